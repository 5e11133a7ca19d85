//! What the filesystem says about a socket path: what is at it, who owns each
//! component, which component is missing. Read without following the last
//! component first (`lstat`), as a sysadmin would look with `namei -l`.

use std::io;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// Ownership and mode of one path component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

impl Owner {
    pub fn from_metadata(meta: &std::fs::Metadata) -> Self {
        Self {
            uid: meta.uid(),
            gid: meta.gid(),
            mode: meta.mode() & 0o7777,
        }
    }
}

/// What a path component is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    Socket,
    Symlink,
    Directory,
    RegularFile,
    Fifo,
    CharDevice,
    BlockDevice,
    Unknown,
}

impl FileKind {
    pub fn of(kind: &std::fs::FileType) -> Self {
        if kind.is_symlink() {
            Self::Symlink
        } else if kind.is_socket() {
            Self::Socket
        } else if kind.is_dir() {
            Self::Directory
        } else if kind.is_file() {
            Self::RegularFile
        } else if kind.is_fifo() {
            Self::Fifo
        } else if kind.is_char_device() {
            Self::CharDevice
        } else if kind.is_block_device() {
            Self::BlockDevice
        } else {
            Self::Unknown
        }
    }

    /// The name in JSON (`file_type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Socket => "socket",
            Self::Symlink => "symlink",
            Self::Directory => "directory",
            Self::RegularFile => "regular file",
            Self::Fifo => "fifo",
            Self::CharDevice | Self::BlockDevice => "device",
            Self::Unknown => "unknown",
        }
    }

    /// The first letter of `ls -l`.
    pub fn letter(self) -> char {
        match self {
            Self::Socket => 's',
            Self::Symlink => 'l',
            Self::Directory => 'd',
            Self::RegularFile => '-',
            Self::Fifo => 'p',
            Self::CharDevice => 'c',
            Self::BlockDevice => 'b',
            Self::Unknown => '?',
        }
    }

    /// For a sentence: "a regular file", "a FIFO", "an unknown".
    pub fn with_article(self) -> String {
        match self.as_str() {
            "fifo" => "a FIFO".to_string(),
            k if k.starts_with(['a', 'e', 'i', 'o', 'u']) => format!("an {k}"),
            k => format!("a {k}"),
        }
    }
}

/// One component of a walk from `/` down to a path.
#[derive(Debug)]
pub struct Step {
    pub path: PathBuf,
    pub meta: std::fs::Metadata,
}

/// How a walk from `/` down to a path ended.
#[derive(Debug)]
pub enum Walk {
    /// Every component is there (the last one looked at without following it).
    Found(Vec<Step>),
    /// `at` does not exist; the components before it do.
    Missing { at: PathBuf, seen: Vec<Step> },
    /// A component above the last is not a directory.
    NotADirectory { at: PathBuf, seen: Vec<Step> },
    /// A component could not be looked at by this user.
    Unreadable {
        at: PathBuf,
        error: io::Error,
        seen: Vec<Step>,
    },
}

/// `lstat` of every component of `path` (made absolute), from `/` down.
pub fn walk(path: &Path) -> Walk {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut ancestors: Vec<&Path> = path.ancestors().collect();
    ancestors.reverse();
    let mut seen = Vec::new();
    for component in ancestors {
        match component.symlink_metadata() {
            Ok(meta) => seen.push(Step {
                path: component.to_path_buf(),
                meta,
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Walk::Missing {
                    at: component.to_path_buf(),
                    seen,
                }
            }
            Err(e) if e.raw_os_error() == Some(nix::libc::ENOTDIR) => {
                let at = component.parent().unwrap_or(component).to_path_buf();
                return Walk::NotADirectory { at, seen };
            }
            Err(error) => {
                return Walk::Unreadable {
                    at: component.to_path_buf(),
                    error,
                    seen,
                }
            }
        }
    }
    Walk::Found(seen)
}

/// What checks may ask about paths: the seam between the filesystem and the
/// checks that judge it ([`Live`] reads this host; tests describe a tree).
pub trait PathFacts {
    /// Ownership and mode, following symlinks as `connect(2)` does.
    fn owner(&self, path: &Path) -> io::Result<Owner>;
    /// What is at `path` once symlinks are followed.
    fn kind(&self, path: &Path) -> io::Result<FileKind>;
    /// The first component that does not exist.
    fn first_missing(&self, path: &Path) -> Option<PathBuf>;
    /// Whether `path` carries a POSIX access ACL.
    fn has_acl(&self, path: &Path) -> bool;
    /// The (inode, device) of the file at `path`, following symlinks.
    fn file_id(&self, path: &Path) -> Option<(u64, u64)>;
}

/// This host's filesystem.
#[derive(Clone, Copy, Debug, Default)]
pub struct Live;

impl PathFacts for Live {
    fn owner(&self, path: &Path) -> io::Result<Owner> {
        stat_owner(path)
    }
    fn kind(&self, path: &Path) -> io::Result<FileKind> {
        kind_followed(path)
    }
    fn first_missing(&self, path: &Path) -> Option<PathBuf> {
        first_missing(path)
    }
    fn has_acl(&self, path: &Path) -> bool {
        crate::sources::files::has_acl(path)
    }
    fn file_id(&self, path: &Path) -> Option<(u64, u64)> {
        file_id(path)
    }
}

/// Ownership and mode, following symlinks as `connect(2)` does.
pub fn stat_owner(path: &Path) -> io::Result<Owner> {
    std::fs::metadata(path).map(|m| Owner::from_metadata(&m))
}

/// What is at `path` once symlinks are followed, as `connect(2)` finds it.
pub fn kind_followed(path: &Path) -> io::Result<FileKind> {
    std::fs::metadata(path).map(|m| FileKind::of(&m.file_type()))
}

/// The (inode, device) of the file at `path`, following symlinks.
pub fn file_id(path: &Path) -> Option<(u64, u64)> {
    std::fs::metadata(path).ok().map(|m| (m.ino(), m.dev()))
}

/// The first component of `path` that does not exist, if any (for "which
/// component is missing"). `lstat` is used, so a dangling symlink counts as
/// present.
pub fn first_missing(path: &Path) -> Option<PathBuf> {
    match walk(path) {
        Walk::Missing { at, .. } => Some(at),
        _ => None,
    }
}

/// `ls -l` style mode string for a socket or directory, e.g. `srw-rw----`.
pub fn mode_string(kind: char, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(kind);
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_walk_names_the_missing_component() {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("gone/app.sock");
        match walk(&sock) {
            Walk::Missing { at, seen } => {
                assert_eq!(at, dir.path().join("gone"));
                assert_eq!(seen.last().unwrap().path, dir.path());
            }
            other => panic!("{other:?}"),
        }
        std::fs::write(dir.path().join("file"), "").unwrap();
        assert!(matches!(
            walk(&dir.path().join("file/app.sock")),
            Walk::NotADirectory { .. }
        ));
    }

    #[test]
    fn kinds_read_naturally() {
        assert_eq!(FileKind::RegularFile.with_article(), "a regular file");
        assert_eq!(FileKind::Fifo.with_article(), "a FIFO");
        assert_eq!(FileKind::Unknown.with_article(), "an unknown");
        assert_eq!(mode_string('s', 0o660), "srw-rw----");
        assert_eq!(mode_string('d', 0o711), "drwx--x--x");
    }
}
