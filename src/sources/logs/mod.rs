//! Log files as the servers write them: opening plain, gzip-compressed and
//! standard input ([`input`]), finding candidate entries and putting entries
//! that span several lines back together, taking a line's envelope apart
//! ([`envelope`]: timestamp, level, pid, client, errno) and reading its time
//! ([`time`]). What a message means is the classifier's business
//! ([`crate::checks::logs`]).

pub mod envelope;
pub mod input;
pub mod time;
