//! The configuration of every FastCGI participant on a host, parsed and never
//! executed: Apache ([`apache`]), nginx ([`nginx`]) and php-fpm
//! ([`super::fpmconf`]). Files are read under the host's
//! [`super::files::ConfigRoot`]; a missing or unreadable file is a note.

pub mod apache;
pub mod nginx;

use std::path::PathBuf;

use serde::Serialize;

/// Where a directive was written, as the host names the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: PathBuf,
    /// 1-based.
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Largest configuration file read (a bigger one is a note, not a hang).
pub const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Most files one configuration may include, and deepest nesting.
pub const MAX_FILES: usize = 2000;
pub const MAX_DEPTH: u8 = 16;
