//! The transport: what to connect to ([`target`]), connecting within deadlines
//! ([`connect`]), connecting as another user from a forked child
//! ([`as_user`]), waiting on a descriptor ([`poll`]), and one FastCGI exchange
//! over a connection ([`exchange`]). `probe` and `socket` use it, and so will
//! `spawn` and `doctor`. What the filesystem says about a socket path is a
//! source: [`crate::sources::paths`].

pub mod as_user;
pub mod connect;
pub mod exchange;
pub mod load;
pub mod poll;
pub mod target;
