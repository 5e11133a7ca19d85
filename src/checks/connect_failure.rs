//! What a failed connect means, from connect(2)'s error and what the
//! filesystem says about the path (`probe`; `socket` finds the same things by
//! looking first, through [`super::socket_path`] and [`super::path_access`]).

use std::net::SocketAddr;
use std::path::Path;

use nix::errno::Errno;

use super::{path_access, socket_path};
use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::net::connect::{ConnectError, TcpFailure};
use crate::net::target::Target;
use crate::sources::paths::{FileKind, PathFacts};
use crate::sources::webuser::Credentials;

/// Who connected: the identity whose permissions the kernel checked.
pub struct Connector<'a> {
    pub name: &'a str,
    pub creds: &'a Credentials,
}

/// The finding that explains `error`. None for a failure that is not the
/// backend's (the identity switch of `--as-user` failed): the caller says so.
pub fn explain(
    target: &Target,
    error: &ConnectError,
    who: &Connector,
    paths: &dyn PathFacts,
) -> Option<Finding> {
    let subject = target.to_string();
    Some(match (target, error) {
        (Target::Unix(path), ConnectError::Unix(errno)) => {
            unix_failure(path, *errno, &subject, who, paths)
        }
        (_, ConnectError::Unix(errno)) => abstract_failure(*errno, &subject),
        (_, ConnectError::Unresolved(why)) => {
            Finding::new(&codes::HOST_UNRESOLVED, &subject, why.clone())
        }
        (_, ConnectError::Tcp(failures)) => tcp_failure(failures, &subject),
        (_, ConnectError::AsUser(_)) => return None,
    })
}

fn unix_failure(
    path: &Path,
    errno: Errno,
    subject: &str,
    who: &Connector,
    paths: &dyn PathFacts,
) -> Finding {
    let shown = path.display();
    match errno {
        Errno::ENOENT => socket_path::missing(subject, path, paths.first_missing(path).as_deref()),
        Errno::ENOTDIR => socket_path::not_a_directory(subject, path, None),
        Errno::ECONNREFUSED | Errno::ENOTSOCK | Errno::ELOOP => match paths.kind(path) {
            Ok(FileKind::Socket) => socket_path::stale(subject, path),
            Ok(kind) => socket_path::not_a_socket(subject, path, kind),
            Err(e) if e.raw_os_error() == Some(Errno::ELOOP as i32) => {
                socket_path::symlink_loop(subject, path)
            }
            Err(e) => Finding::new(
                &codes::STALE_SOCKET,
                subject,
                format!("connect() to {shown} is refused, and the path cannot be examined: {e}"),
            ),
        },
        Errno::EACCES | Errno::EPERM => {
            match path_access::first_denial(path, who.creds, |p| paths.owner(p)) {
                Some(denial) => path_access::denial_finding(
                    path,
                    &denial,
                    who.name,
                    subject,
                    &path_access::ServedBy::default(),
                ),
                None => path_access::denied_despite_modes(
                    path,
                    who.name,
                    errno,
                    paths.has_acl(path),
                    subject,
                ),
            }
        }
        Errno::EAGAIN => Finding::new(
            &codes::LISTEN_BACKLOG_FULL,
            subject,
            format!("connect() to {shown} failed with EAGAIN: the listen queue is full"),
        ),
        other => Finding::new(
            &codes::UNREACHABLE,
            subject,
            format!("connect() to {shown} failed: {}", errno_text(other)),
        ),
    }
}

fn abstract_failure(errno: Errno, subject: &str) -> Finding {
    match errno {
        Errno::ECONNREFUSED => socket_path::abstract_missing(subject),
        Errno::EAGAIN => Finding::new(
            &codes::LISTEN_BACKLOG_FULL,
            subject,
            format!("connect() to {subject} failed with EAGAIN: the listen queue is full"),
        ),
        Errno::EACCES | Errno::EPERM => Finding::new(
            &codes::PERMISSION_DENIED_OTHER,
            subject,
            format!(
                "connect() to {subject} was denied: abstract sockets have no file modes, so a \
                 security module or network namespace denies"
            ),
        ),
        other => Finding::new(
            &codes::UNREACHABLE,
            subject,
            format!("connect() to {subject} failed: {}", errno_text(other)),
        ),
    }
}

fn tcp_failure(failures: &[(SocketAddr, TcpFailure)], subject: &str) -> Finding {
    let detail = failures
        .iter()
        .map(|(addr, f)| format!("{addr}: {f}"))
        .collect::<Vec<_>>()
        .join("; ");
    let code = match failures.first().map(|(_, f)| f) {
        Some(TcpFailure::Timeout) => &codes::CONNECT_TIMEOUT,
        Some(f) if f.is_refused() => &codes::TCP_REFUSED,
        _ => &codes::UNREACHABLE,
    };
    Finding::new(code, subject, detail)
}

pub fn errno_text(errno: Errno) -> String {
    format!("{} ({})", errno.desc(), errno as i32)
}
