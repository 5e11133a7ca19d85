//! Reading files that other people control (configuration files named in a
//! process title, scripts named on a command line) without being led astray:
//! a FIFO would block the open forever, a device could act on being opened,
//! a huge file would fill memory.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
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

/// Opens `path` for reading if it is a regular file. Opened without blocking
/// and without becoming a controlling terminal, and checked again after
/// opening, so a path swapped for a FIFO or device in between is refused.
pub fn open_regular(path: &Path) -> io::Result<File> {
    if !std::fs::metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let file = open_nonblocking(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

/// Opens a stream to read to its end: a regular file, or a FIFO (read while
/// a writer is there; one with no writer is at its end at once, where a
/// plain open would wait for a writer forever). Anything else (a directory, a
/// device such as /dev/zero whose end never comes, a socket) is refused
/// with what it is.
pub fn open_stream(path: &Path) -> io::Result<File> {
    let file = open_nonblocking(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    if !kind.is_fifo() {
        let what = describe(&kind);
        return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
    }
    use nix::fcntl::{fcntl, FcntlArg, OFlag};
    use std::os::fd::AsRawFd;
    let flags = OFlag::from_bits_truncate(fcntl(file.as_raw_fd(), FcntlArg::F_GETFL)?);
    fcntl(
        file.as_raw_fd(),
        FcntlArg::F_SETFL(flags - OFlag::O_NONBLOCK),
    )?;
    Ok(file)
}

/// What a file that is not a regular file is, as `open_stream` says it.
fn describe(kind: &std::fs::FileType) -> String {
    let what = match () {
        _ if kind.is_dir() => "a directory",
        _ if kind.is_char_device() => "a character device",
        _ if kind.is_block_device() => "a block device",
        _ if kind.is_socket() => "a socket",
        _ => "not a regular file",
    };
    format!("{what}, not a file to read to its end")
}

fn open_nonblocking(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK | nix::libc::O_NOCTTY)
        .open(path)
}

/// The first `limit` bytes of `path` if it is a regular file (see
/// [`open_regular`]).
pub fn read_regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    open_regular(path)?.take(limit).read_to_end(&mut bytes)?;
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
    use std::io::{Seek, SeekFrom};
    let mut file = open_regular(path)?;
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
    fn streams_are_files_and_fifos_and_a_fifo_without_writer_ends_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
        let mut text = String::new();
        open_stream(&fifo)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "");
        for (path, what) in [("/dev/zero", "a character device"), ("/tmp", "a directory")] {
            let e = open_stream(Path::new(path)).unwrap_err().to_string();
            assert!(e.starts_with(what), "{path}: {e}");
        }
        std::fs::write(dir.path().join("log"), "line\n").unwrap();
        let mut text = String::new();
        let mut file = open_stream(&dir.path().join("log")).unwrap();
        file.read_to_string(&mut text).unwrap();
        assert_eq!(text, "line\n");
    }

    #[test]
    fn reads_stop_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        std::fs::write(&file, vec![b'x'; 10_000]).unwrap();
        assert_eq!(read_regular(&file, 100).unwrap().len(), 100);
    }
}
