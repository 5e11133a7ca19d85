//! Who may reach a socket path, and the one finding that says who may not: the
//! classic Unix permission walk, done on facts (owner, group, mode of every
//! component) rather than by trying. `probe`, `socket` and `ps` all judge
//! access here, so a denial reads the same from each of them.
//!
//! Reaching a unix socket needs search (x) permission on every directory above it
//! and write permission on the socket itself (unix(7)). Root passes every check
//! through CAP_DAC_OVERRIDE. The filesystem is read through a closure (on a
//! host, [`crate::sources::paths::stat_owner`]), so tests can describe a tree
//! without creating it.

use std::io;
use std::path::{Path, PathBuf};

use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::sources::nss::{group_name, user_name};
use crate::sources::paths::{mode_string, Owner};
use crate::sources::webuser::Credentials;

/// Which permission bits (of r=4, w=2, x=1) `creds` get on a file.
pub fn bits_for(creds: &Credentials, owner: &Owner) -> u32 {
    if creds.uid == owner.uid {
        (owner.mode >> 6) & 7
    } else if creds.gid == owner.gid || creds.groups.contains(&owner.gid) {
        (owner.mode >> 3) & 7
    } else {
        owner.mode & 7
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
    let socket = std::path::absolute(socket).unwrap_or_else(|_| socket.to_path_buf());
    let mut dirs: Vec<&Path> = socket.ancestors().skip(1).collect();
    dirs.reverse();
    for dir in dirs {
        if let Ok(owner) = stat(dir) {
            if bits_for(creds, &owner) & 1 == 0 {
                return Some(Denial {
                    path: dir.to_path_buf(),
                    need: Need::Search,
                    owner,
                });
            }
        }
    }
    let owner = stat(&socket).ok()?;
    (bits_for(creds, &owner) & 2 == 0).then_some(Denial {
        path: socket,
        need: Need::Write,
        owner,
    })
}

/// Which software made the socket, for a fix in its own terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    PhpFpm,
    Other,
    #[default]
    Unknown,
}

/// What is known of the process behind a socket, for the message and the fix.
#[derive(Clone, Debug, Default)]
pub struct ServedBy {
    pub backend: Backend,
    /// The php-fpm pool listening there: its name and file.
    pub pool: Option<(String, PathBuf)>,
    /// The process that serves it: command, pid, user.
    pub process: Option<(String, u32, String)>,
}

/// The finding for a denial: which component denies `who`, and the exact
/// command or php-fpm setting that lets `who` through.
pub fn denial_finding(
    socket: &Path,
    denial: &Denial,
    who: &str,
    subject: &str,
    served: &ServedBy,
) -> Finding {
    let mut finding = denial_base(socket, denial, who, subject, served);
    if let Some((command, pid, user)) = &served.process {
        finding.message.push_str(&format!(
            "; it is served by {command} (pid {pid}, user {user})"
        ));
    }
    finding
}

fn denial_base(
    socket: &Path,
    denial: &Denial,
    who: &str,
    subject: &str,
    served: &ServedBy,
) -> Finding {
    let backend = served.backend;
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
            fpm = match (backend, &served.pool) {
                (Backend::Other, _) => String::new(),
                (_, pool) => format!(
                    "{}: listen.acl_users = {who}, or listen.owner/listen.group set to a user \
                     or group {who} belongs to with listen.mode = 0660; then reload php-fpm. ",
                    match pool {
                        Some((name, file)) => format!("In pool [{name}] of {}", file.display()),
                        None => "php-fpm pool".to_string(),
                    }
                ),
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

/// The modes let `who` through, and the kernel still refused: an ACL (when
/// the path has one) or a security module (AppArmor, SELinux) denies.
pub fn denied_despite_modes(
    path: &Path,
    who: &str,
    errno: nix::errno::Errno,
    acl: bool,
    subject: &str,
) -> Finding {
    let shown = path.display();
    Finding::new(
        &codes::PERMISSION_DENIED_OTHER,
        subject,
        format!(
            "the owners and modes of {shown} and its directories allow {who}, but connect() as              {who} failed with {errno:?}: {} denies",
            if acl {
                format!("its ACL (getfacl {shown})")
            } else {
                "a security module (AppArmor, SELinux)".to_string()
            }
        ),
    )
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
}
