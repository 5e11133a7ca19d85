//! Reading files that other people control (configuration files named in a
//! process title, scripts named on a command line) without being led astray:
//! a FIFO would block the open forever, a device could act on being opened,
//! a huge file would fill memory.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Where configuration files are looked for: `/` on a real host, a fixture
/// tree in tests. Paths named by the host itself (a php-fpm master's title)
/// are read under it too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigRoot(pub PathBuf);

impl Default for ConfigRoot {
    fn default() -> Self {
        Self(PathBuf::from("/"))
    }
}

impl ConfigRoot {
    /// `path` (absolute, as the host names it) under this root.
    pub fn file(&self, path: impl AsRef<Path>) -> PathBuf {
        let path = path.as_ref();
        self.0.join(path.strip_prefix("/").unwrap_or(path))
    }

    pub fn is_host(&self) -> bool {
        self.0 == Path::new("/")
    }
}

/// The first `limit` bytes of `path` if it is a regular file. Opened without
/// blocking and without becoming a controlling terminal, and checked again
/// after opening, so a path swapped for a FIFO or device in between is refused.
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file: File = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_regular`] as text, with invalid UTF-8 replaced.
pub fn read_regular_text(path: &Path, limit: u64) -> io::Result<String> {
    read_regular(path, limit).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Whether `path` carries a POSIX access ACL (beyond its mode bits).
pub fn has_acl(path: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c_path) = std::ffi::CString::new(path.as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: both strings are NUL-terminated; a null buffer of size 0 only
    // asks for the attribute's size.
    let size = unsafe {
        nix::libc::getxattr(
            c_path.as_ptr(),
            c"system.posix_acl_access".as_ptr(),
            std::ptr::null_mut(),
            0,
        )
    };
    size > 0
}

fn not_regular() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, "not a regular file")
}

/// The lines of the last `bytes` of the regular file at `path` (the first,
/// likely cut, dropped unless the file is that small), invalid UTF-8 replaced.
pub fn tail_lines(path: &Path, bytes: u64) -> io::Result<Vec<String>> {
    use std::io::{Read, Seek, SeekFrom};
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let mut file: File = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path)?;
    let size = file.metadata()?.len();
    let start = size.saturating_sub(bytes);
    file.seek(SeekFrom::Start(start))?;
    let mut raw = Vec::new();
    file.take(bytes).read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    if start > 0 && !lines.is_empty() {
        lines.remove(0);
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        assert!(read_regular(&fifo, 10).is_err());
        assert!(read_regular(Path::new("/dev/null"), 10).is_err());
    }

    #[test]
    fn reads_stop_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        std::fs::write(&file, vec![b'x'; 10_000]).unwrap();
        assert_eq!(read_regular(&file, 100).unwrap().len(), 100);
    }
}
