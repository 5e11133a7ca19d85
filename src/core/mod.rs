//! The shared vocabulary every layer speaks: the registry of diagnostic codes,
//! findings and statuses, a check's typed [`outcome::Outcome`], the one error
//! type, and text helpers. No I/O and nothing of the command line here.

pub mod error;
pub mod finding;
pub mod outcome;
pub mod registry;
pub mod sanitize;
pub mod text;
