//! Who may reach a path: the classic Unix permission walk, done on facts
//! (owner, group, mode of every component) rather than by trying.
//!
//! Reaching a unix socket needs search (x) permission on every directory above it
//! and write permission on the socket itself (unix(7)). Root passes every check
//! through CAP_DAC_OVERRIDE. The filesystem is read through a closure, so tests
//! can describe a tree without creating it.

use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// The identity a permission check is made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl Credentials {
    /// The effective identity of this process.
    pub fn current() -> Self {
        Self {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            groups: nix::unistd::getgroups()
                .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
                .unwrap_or_default(),
        }
    }

    fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(&gid)
    }

    /// Which permission bits (of r=4, w=2, x=1) this identity gets on a file.
    pub fn bits_for(&self, owner: &Owner) -> u32 {
        if self.uid == owner.uid {
            (owner.mode >> 6) & 7
        } else if self.in_group(owner.gid) {
            (owner.mode >> 3) & 7
        } else {
            owner.mode & 7
        }
    }
}

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

/// The permission a component lacks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Search permission on a directory.
    Search,
    /// Write permission on the socket.
    Write,
}

/// The first component that denies access, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub path: PathBuf,
    pub need: Need,
    pub owner: Owner,
}

/// Walks from `/` down to `socket` and returns the first component that denies
/// `creds`. `None` means the modes allow access; if the kernel denied anyway, an
/// ACL or a security module did. Components that cannot be read are skipped:
/// the caller reports what it could see.
pub fn first_denial(
    socket: &Path,
    creds: &Credentials,
    stat: impl Fn(&Path) -> io::Result<Owner>,
) -> Option<Denial> {
    if creds.uid == 0 {
        return None;
    }
    let socket = absolute(socket);
    let mut dirs: Vec<&Path> = socket.ancestors().skip(1).collect();
    dirs.reverse();
    for dir in dirs {
        if let Ok(owner) = stat(dir) {
            if creds.bits_for(&owner) & 1 == 0 {
                return Some(Denial {
                    path: dir.to_path_buf(),
                    need: Need::Search,
                    owner,
                });
            }
        }
    }
    let owner = stat(&socket).ok()?;
    (creds.bits_for(&owner) & 2 == 0).then_some(Denial {
        path: socket,
        need: Need::Write,
        owner,
    })
}

/// Which software made the socket, for a fix in its own terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    PhpFpm,
    Other,
    Unknown,
}

/// The finding for a denial: which component denies `who`, and the exact
/// command or php-fpm setting that lets `who` through.
pub fn denial_finding(
    socket: &Path,
    denial: &Denial,
    who: &str,
    subject: &str,
    backend: Backend,
) -> crate::finding::Finding {
    use crate::finding::Finding;
    use crate::registry::codes;
    let owner = format!(
        "{}:{}",
        user_name(denial.owner.uid),
        group_name(denial.owner.gid)
    );
    let shown = denial.path.display();
    match denial.need {
        Need::Search => Finding::new(
            &codes::DIRECTORY_PERMISSION_DENIED,
            subject,
            format!(
                "the directory {shown} ({} {owner}) gives {who} no search permission, so \
                 {} cannot be reached",
                mode_string('d', denial.owner.mode),
                socket.display()
            ),
        )
        .with_fix(format!(
            "Let {who} through {shown}: chmod o+x {shown} (or chgrp a group of {who} and \
             chmod g+x), or move the socket to a directory meant for it such as /run/<app>/."
        )),
        Need::Write => Finding::new(
            &codes::SOCKET_PERMISSION_DENIED,
            subject,
            format!(
                "the socket {shown} is {} {owner}: {who} has no write permission on it",
                mode_string('s', denial.owner.mode)
            ),
        )
        .with_fix(format!(
            "{fpm}{other}chgrp a group of {who} {shown} && chmod g+w {shown},{join} or \
             run the backend as {who}.",
            fpm = if backend == Backend::Other {
                String::new()
            } else {
                format!(
                    "php-fpm pool: listen.acl_users = {who}, or listen.owner/listen.group set \
                     to a user or group {who} belongs to with listen.mode = 0660; then reload \
                     php-fpm. "
                )
            },
            other = match backend {
                Backend::PhpFpm => "Without php-fpm's settings: ",
                Backend::Other => "The backend creates the socket with its umask: after it binds, ",
                Backend::Unknown => "Other backends: ",
            },
            // Never advise joining root's group: that hands out far more than a socket.
            join = if denial.owner.gid != 0 && denial.owner.mode & 0o020 != 0 {
                format!(
                    " add {who} to the socket's group (usermod -aG {} {who}, then restart \
                     the web server),",
                    group_name(denial.owner.gid)
                )
            } else {
                String::new()
            }
        )),
    }
}

/// The deepest ancestor of `path` that does not exist, if any (for "which
/// component is missing"). `lstat` is used so a dangling symlink counts as present.
pub fn first_missing(path: &Path) -> Option<PathBuf> {
    let path = absolute(path);
    let mut components: Vec<&Path> = path.ancestors().collect();
    components.reverse();
    components
        .into_iter()
        .find(|p| matches!(p.symlink_metadata(), Err(e) if e.kind() == io::ErrorKind::NotFound))
        .map(Path::to_path_buf)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Reads ownership and mode, following symlinks like `connect(2)` does.
pub fn stat_owner(path: &Path) -> io::Result<Owner> {
    std::fs::metadata(path).map(|m| Owner::from_metadata(&m))
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

/// `uid` as a user name when the password database knows it.
pub fn user_name(uid: u32) -> String {
    crate::nss::user_by_uid(uid).map_or_else(|| uid.to_string(), |u| u.name)
}

/// `gid` as a group name when the group database knows it.
pub fn group_name(gid: u32) -> String {
    crate::nss::group_by_gid(gid).map_or_else(|| gid.to_string(), |g| g.name)
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
    use std::collections::HashMap;

    fn tree(entries: &[(&str, u32, u32, u32)]) -> impl Fn(&Path) -> io::Result<Owner> {
        let map: HashMap<PathBuf, Owner> = entries
            .iter()
            .map(|&(p, uid, gid, mode)| (PathBuf::from(p), Owner { uid, gid, mode }))
            .collect();
        move |p: &Path| {
            map.get(p)
                .copied()
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        }
    }

    const WWW: Credentials = Credentials {
        uid: 33,
        gid: 33,
        groups: Vec::new(),
    };

    #[test]
    fn socket_without_write_for_other_denies() {
        let fs = tree(&[
            ("/", 0, 0, 0o755),
            ("/run", 0, 0, 0o755),
            ("/run/fpm.sock", 0, 0, 0o600),
        ]);
        let d = first_denial(Path::new("/run/fpm.sock"), &WWW, fs).unwrap();
        assert_eq!(d.path, Path::new("/run/fpm.sock"));
        assert_eq!(d.need, Need::Write);
    }

    #[test]
    fn private_directory_denies_before_an_open_socket() {
        let fs = tree(&[
            ("/", 0, 0, 0o755),
            ("/srv", 0, 0, 0o700),
            ("/srv/app.sock", 0, 0, 0o777),
        ]);
        let d = first_denial(Path::new("/srv/app.sock"), &WWW, fs).unwrap();
        assert_eq!(d.path, Path::new("/srv"));
        assert_eq!(d.need, Need::Search);
    }

    #[test]
    fn supplementary_group_grants_access() {
        let fs = tree(&[("/", 0, 0, 0o755), ("/s.sock", 0, 1000, 0o660)]);
        let member = Credentials {
            groups: vec![1000],
            ..WWW
        };
        assert_eq!(first_denial(Path::new("/s.sock"), &member, &fs), None);
        assert!(first_denial(Path::new("/s.sock"), &WWW, &fs).is_some());
    }

    #[test]
    fn owner_bits_apply_even_when_other_bits_would_allow() {
        // The kernel picks exactly one class: an owner with --- is denied.
        let fs = tree(&[("/", 0, 0, 0o755), ("/s.sock", 33, 0, 0o077)]);
        assert!(first_denial(Path::new("/s.sock"), &WWW, fs).is_some());
    }

    #[test]
    fn root_is_never_denied() {
        let fs = tree(&[("/", 0, 0, 0o700), ("/s.sock", 5, 5, 0)]);
        let root = Credentials {
            uid: 0,
            gid: 0,
            groups: vec![],
        };
        assert_eq!(first_denial(Path::new("/s.sock"), &root, fs), None);
    }

    #[test]
    fn mode_strings_look_like_ls() {
        assert_eq!(mode_string('s', 0o660), "srw-rw----");
        assert_eq!(mode_string('d', 0o711), "drwx--x--x");
    }
}
