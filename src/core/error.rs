//! The one error type of the tool. Checks do not fail: what they cannot do is
//! an [`crate::core::outcome::Skip`]. What is left is bad input from the user
//! (exit UNKNOWN with one line) and output that cannot be written.

use std::io;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bad argument or setting, said in one line that names it.
    #[error("{0}")]
    Usage(String),
    /// The report could not be written; a closed pipe (`| head`) is not an
    /// error to the user, and the caller treats it so.
    #[error("cannot write the output: {0}")]
    Output(#[from] io::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
