//! The transport: what to connect to ([`target`]), connecting within deadlines
//! ([`connect`]), connecting as another user from a forked child
//! ([`as_user`]), what the filesystem says about a socket path ([`path`]), and
//! one FastCGI exchange over a connection ([`exchange`]). `probe` and `socket`
//! use it, and so will `spawn` and `doctor`.

pub mod as_user;
pub mod connect;
pub mod exchange;
pub mod path;
pub mod target;
