//! What is at a socket path, component by component, and whether the web user
//! may connect to it.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::errno::Errno;
use nix::sys::socket::UnixAddr;

use super::{Checker, Component, TargetReport};
use crate::checks::path_access::{self, Backend, ServedBy};
use crate::checks::socket_path;
use crate::checks::web_access;
use crate::checks::what_listens::{self, Wanted};
use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::net::as_user::{self, Identity};
use crate::net::connect::unix_stream;
use crate::sources::nss::{group_name, user_name};
use crate::sources::paths::{mode_string, FileKind, Owner, Step, Walk};
use crate::sources::processes::Role;
use crate::sources::webuser::{Credentials, WebUser};

impl Checker<'_> {
    pub(super) fn check_path(&mut self, given: &Path, report: &mut TargetReport) {
        let subject = report.target.clone();
        let path = std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());

        // 1. Every component, from / down, without following the last one.
        let steps = match crate::sources::paths::walk(&path) {
            Walk::Found(steps) => steps,
            Walk::Missing { at, seen } => {
                report.components = seen.iter().map(describe).collect();
                report.file_type = Some("missing");
                let mut finding = socket_path::missing(&subject, &path, Some(&at));
                let all = what_listens::listening(self.host);
                what_listens::point_at_what_listens(&mut finding, Wanted::Unix(&path), &all);
                self.out.findings.push(finding);
                return;
            }
            Walk::NotADirectory { at, seen } => {
                report.components = seen.iter().map(describe).collect();
                report.file_type = Some("missing");
                let finding = socket_path::not_a_directory(&subject, &path, Some(&at));
                self.out.findings.push(finding);
                return;
            }
            Walk::Unreadable { at, error, seen } => {
                report.components = seen.iter().map(describe).collect();
                // The directories seen may already shut the web user out.
                if let Some(user) = self.web_user {
                    let paths = self.host.paths();
                    let denial =
                        path_access::first_denial(&path, &user.credentials(), |p| paths.owner(p));
                    if let Some(denial) = denial.filter(|d| d.need == path_access::Need::Search) {
                        let served = ServedBy::default();
                        let finding = path_access::denial_finding(
                            &path, &denial, &user.name, &subject, &served,
                        );
                        self.out.findings.push(finding);
                        return;
                    }
                }
                // We may not search a directory the web user may (or may not).
                self.unreadable += 1;
                self.out.skip(
                    "path",
                    &subject,
                    format!("looking at {}", at.display()),
                    format!(
                        "{} may not: {error}",
                        user_name(nix::unistd::geteuid().as_raw())
                    ),
                );
                return;
            }
        };
        report.components = steps.iter().map(describe).collect();
        let Some(last) = steps.last() else {
            return;
        };
        let last_kind = FileKind::of(&last.meta.file_type());
        report.file_type = Some(last_kind.as_str());

        // 2. A symlink: say where it points, then judge what it resolves to.
        let (resolved, kind) = if last_kind == FileKind::Symlink {
            report.symlink_target = report.components.last().and_then(|c| c.link.clone());
            match std::fs::canonicalize(&path) {
                Ok(real) => {
                    let kind = match std::fs::metadata(&real) {
                        Ok(meta) => {
                            report.components.push(describe(&Step {
                                path: real.clone(),
                                meta: meta.clone(),
                            }));
                            FileKind::of(&meta.file_type())
                        }
                        Err(_) => FileKind::Unknown,
                    };
                    (real, kind)
                }
                Err(e) if e.raw_os_error() == Some(Errno::ELOOP as i32) => {
                    self.out
                        .findings
                        .push(socket_path::symlink_loop(&subject, &path));
                    return;
                }
                Err(_) => {
                    let target = report.symlink_target.clone().unwrap_or_else(|| "?".into());
                    self.out
                        .findings
                        .push(socket_path::dangling_symlink(&subject, &path, &target));
                    return;
                }
            }
        } else {
            (path.clone(), last_kind)
        };
        if kind != FileKind::Socket {
            self.out
                .findings
                .push(socket_path::not_a_socket(&subject, &resolved, kind));
            return;
        }

        // 3. Who listens. sock_diag says which listening socket is bound to this
        // very file; the kernel's table also names the sockets bound under the
        // same name whose file was since replaced.
        let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| resolved.clone());
        let names = [
            path.to_string_lossy().into_owned(),
            resolved.to_string_lossy().into_owned(),
            canonical.to_string_lossy().into_owned(),
            given.to_string_lossy().into_owned(),
        ];
        let mut inodes: HashSet<u64> = self
            .snapshot
            .listeners
            .unix
            .values()
            .filter(|s| names.contains(&s.path))
            .map(|s| s.inode)
            .collect();
        let file = self.host.paths().file_id(&path);
        let bound_here: Option<HashSet<u64>> = self.unix_files().map(|files| {
            files
                .iter()
                .filter(|(_, f)| Some(**f) == file)
                .map(|(&i, _)| i)
                .collect()
        });
        inodes.extend(bound_here.iter().flatten());
        let probe = connect_unix(UnixAddr::new(&path));
        let owner_pid = probe.as_ref().ok().copied().flatten();
        report.listeners = self.listeners(&inodes, owner_pid, bound_here.as_ref());
        if matches!(probe, Err(Errno::ECONNREFUSED)) {
            // A stale file says nothing about the socket the backend will
            // create when it starts again: access is not judged.
            let mut finding = socket_path::stale(&subject, &path);
            let all = what_listens::listening(self.host);
            what_listens::point_at_what_listens(&mut finding, Wanted::Unix(&path), &all);
            self.out.findings.push(finding);
            return;
        }
        self.judge_listeners(&path, &inodes, &probe, report);

        // 4. Can the web user connect?
        if let Some(user) = self.web_user {
            let owner = steps.last().map(|s| Owner::from_metadata(&s.meta));
            let owner = if last_kind == FileKind::Symlink {
                std::fs::metadata(&resolved)
                    .ok()
                    .map(|m| Owner::from_metadata(&m))
            } else {
                owner
            };
            self.judge_access(user, &path, &subject, owner, report);
        }
    }

    pub(super) fn judge_access(
        &mut self,
        user: &WebUser,
        path: &Path,
        subject: &str,
        owner: Option<Owner>,
        report: &mut TargetReport,
    ) {
        let paths = self.host.paths();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
        let attempt = as_user::try_unix(&Identity::from(user), path, deadline);
        let verdict = web_access::judge(user, path, subject, &attempt, paths, || {
            self.served_by(report, path)
        });
        report.access = Some(self.out.absorb(verdict));
        // World-writable matters only when "other" can get through the
        // directories too.
        let reachable_by_anyone =
            path_access::first_denial(path, &Credentials::anyone(), |p| paths.owner(p)).is_none();
        if let Some(o) = owner.filter(|o| o.mode & 0o002 != 0 && reachable_by_anyone) {
            self.out.findings.push(Finding::new(
                &codes::SOCKET_WORLD_WRITABLE,
                subject,
                format!(
                    "{} is {} {}:{}: every local user can send it requests",
                    path.display(),
                    mode_string('s', o.mode),
                    user_name(o.uid),
                    group_name(o.gid)
                ),
            ));
        }
    }

    /// The backend behind a socket, as the listeners show it: a pool worker
    /// rather than its master.
    fn served_by(&self, report: &TargetReport, path: &Path) -> ServedBy {
        let mut served_by: Vec<_> = report
            .listeners
            .iter()
            .filter_map(|l| self.snapshot.processes.get(&l.pid))
            .collect();
        served_by.sort_by_key(|p| (p.role == Role::ProcessManager, p.pid()));
        match served_by.first() {
            Some(p) => crate::checks::processes::served_by(
                self.host,
                self.snapshot,
                p,
                &path.to_string_lossy(),
            ),
            None => ServedBy {
                backend: if report.listeners.is_empty() {
                    Backend::Unknown
                } else {
                    Backend::Other
                },
                pool: None,
                process: report
                    .listeners
                    .first()
                    .map(|l| (l.command.clone(), l.pid, l.user.clone())),
            },
        }
    }
}

/// Connects as ourselves without blocking; on success, the pid that created
/// the listening socket (`SO_PEERCRED` of a unix connection carries the
/// credentials of the listen() call).
pub(super) fn connect_unix(addr: nix::Result<UnixAddr>) -> Result<Option<u32>, Errno> {
    use nix::sys::socket;
    let fd = unix_stream(&addr?)?;
    let pid = socket::getsockopt(&fd, socket::sockopt::PeerCredentials)
        .ok()
        .and_then(|c| u32::try_from(c.pid()).ok())
        .filter(|&p| p != 0);
    Ok(pid)
}

fn describe(step: &Step) -> Component {
    let meta = &step.meta;
    let kind = FileKind::of(&meta.file_type());
    let mode = meta.mode() & 0o7777;
    Component {
        path: step.path.display().to_string(),
        file_type: kind.as_str(),
        owner: user_name(meta.uid()),
        group: group_name(meta.gid()),
        uid: meta.uid(),
        gid: meta.gid(),
        mode: format!("{mode:04o}"),
        permissions: mode_string(kind.letter(), mode),
        link: (kind == FileKind::Symlink)
            .then(|| std::fs::read_link(&step.path).ok())
            .flatten()
            .map(|l| l.display().to_string()),
    }
}
