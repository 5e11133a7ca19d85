//! What a log entry means: the message catalogue's patterns behind one
//! prefilter ([`pattern`]), the classification of an entry by its message,
//! its operating-system error and relayed stderr ([`classify`], [`stderr`]),
//! and the links from symptoms to their causes ([`correlate`]).

pub mod catalogue;
pub mod classify;
pub mod correlate;
pub mod pattern;
pub mod stderr;
