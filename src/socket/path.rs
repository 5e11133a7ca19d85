//! What is at a socket path, component by component, and whether the web user
//! may connect to it.

use std::collections::HashSet;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::sys::socket::UnixAddr;

use super::connect::{connect_as, connect_unix};
use super::{Access, Checker, Component, Listener, TargetReport};
use crate::access::{self, Need, Owner};
use crate::finding::Finding;
use crate::fpmconf;
use crate::processes::{Role, Software};
use crate::registry::codes;
use crate::webuser::WebUser;

impl Checker<'_> {
    pub(super) fn check_path(&mut self, given: &Path, report: &mut TargetReport) {
        let subject = report.target.clone();
        let path = std::path::absolute(given).unwrap_or_else(|_| given.to_path_buf());
        let shown = path.display().to_string();

        // 1. Every component, from / down, without following the last one.
        let mut ancestors: Vec<&Path> = path.ancestors().collect();
        ancestors.reverse();
        for component in ancestors {
            match component.symlink_metadata() {
                Ok(meta) => report.components.push(describe(component, &meta)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    report.file_type = Some("missing");
                    let finding = if component == path {
                        Finding::new(
                            &codes::SOCKET_MISSING,
                            &subject,
                            format!("{shown} does not exist (its directory does)"),
                        )
                    } else {
                        Finding::new(
                            &codes::SOCKET_DIR_MISSING,
                            &subject,
                            format!(
                                "{shown}: the directory {} does not exist",
                                component.display()
                            ),
                        )
                    };
                    self.findings.push(finding);
                    return;
                }
                Err(e) if e.raw_os_error() == Some(Errno::ENOTDIR as i32) => {
                    report.file_type = Some("missing");
                    self.findings.push(Finding::new(
                        &codes::SOCKET_DIR_MISSING,
                        &subject,
                        format!(
                            "{shown}: {} is not a directory",
                            component.parent().unwrap_or(component).display()
                        ),
                    ));
                    return;
                }
                Err(e) => {
                    // We may not search a directory the web user may (or may not).
                    self.notes.push(format!(
                        "{}: cannot look at it as {}: {e}",
                        component.display(),
                        access::user_name(nix::unistd::geteuid().as_raw())
                    ));
                    report.file_type = None;
                    return;
                }
            }
        }
        let Some(last) = report.components.last() else {
            return;
        };
        report.file_type = Some(last.file_type);

        // 2. A symlink: say where it points, then judge what it resolves to.
        let resolved: PathBuf = if last.file_type == "symlink" {
            report.symlink_target = last.link.clone();
            match std::fs::canonicalize(&path) {
                Ok(real) => {
                    if let Ok(meta) = std::fs::metadata(&real) {
                        report.components.push(describe(&real, &meta));
                    }
                    real
                }
                Err(e) if e.raw_os_error() == Some(Errno::ELOOP as i32) => {
                    self.findings.push(Finding::new(
                        &codes::NOT_A_SOCKET,
                        &subject,
                        format!("{shown} is a symlink loop (too many levels of symbolic links)"),
                    ));
                    return;
                }
                Err(_) => {
                    self.findings.push(Finding::new(
                        &codes::SOCKET_MISSING,
                        &subject,
                        format!(
                            "{shown} is a dangling symlink to {}",
                            report.symlink_target.as_deref().unwrap_or("?")
                        ),
                    ));
                    return;
                }
            }
        } else {
            path.clone()
        };
        let kind = report.components.last().map_or("missing", |c| c.file_type);
        if kind != "socket" {
            self.findings.push(Finding::new(
                &codes::NOT_A_SOCKET,
                &subject,
                format!(
                    "{} is {}, not a socket",
                    resolved.display(),
                    with_article(kind)
                ),
            ));
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
        let file = std::fs::metadata(&path).ok().map(|m| (m.ino(), m.dev()));
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
        self.judge_listeners(&subject, &shown, &inodes, &probe, report);

        // 4. Can the web user connect? A stale file says nothing about the
        // socket the backend will create when it starts again.
        if matches!(probe, Err(Errno::ECONNREFUSED)) {
            return;
        }
        if let Some(user) = self.web_user {
            let owner = report.components.last().map(|c| Owner {
                uid: c.uid,
                gid: c.gid,
                mode: c.mode_bits(),
            });
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
        let creds = user.credentials();
        let denial = access::first_denial(path, &creds, access::stat_owner);
        let i_am = nix::unistd::geteuid().as_raw();
        let connect_result = if i_am == user.uid {
            Some(connect_unix(UnixAddr::new(path)).map(|_| ()))
        } else if i_am == 0 {
            match connect_as(path, user) {
                Ok(r) => Some(r),
                Err(e) => {
                    self.notes
                        .push(format!("could not connect as {}: {e}", user.name));
                    None
                }
            }
        } else {
            self.notes.push(format!(
                "connect() as {} to {}: skipped, because it needs root; access was judged \
                 from owners and modes only",
                user.name,
                path.display()
            ));
            None
        };
        report.access = Some(Access {
            user: user.name.clone(),
            allowed_by_modes: denial.is_none(),
            denied_by: denial.as_ref().map(|d| d.path.display().to_string()),
            missing_permission: denial.as_ref().map(|d| match d.need {
                Need::Search => "search",
                Need::Write => "write",
            }),
            connect_as_user: connect_result.map(|r| match r {
                Ok(()) => "connected".to_string(),
                Err(e) => format!("{e:?}"),
            }),
        });
        let refused = match connect_result {
            Some(Err(e @ (Errno::EACCES | Errno::EPERM))) => Some(e),
            _ => None,
        };
        let connected = matches!(connect_result, Some(Ok(())));
        let acl = access::has_acl(path);
        match denial {
            // The modes deny but the kernel let the user in: an ACL grants it
            // (php-fpm's listen.acl_users works that way).
            Some(d) if connected => self.notes.push(format!(
                "{}: the modes deny {} ({} on {}), but connect() as {} succeeded: an ACL \
                 grants access (getfacl {})",
                path.display(),
                user.name,
                match d.need {
                    Need::Search => "no search permission",
                    Need::Write => "no write permission",
                },
                d.path.display(),
                user.name,
                d.path.display()
            )),
            // Not confirmed either way, and an ACL may grant what the modes deny.
            Some(d) if refused.is_none() && access::has_acl(&d.path) => self.notes.push(format!(
                "{}: the modes deny {}, but {} has an ACL, which may grant access: not \
                 judged (getfacl {}; run as root to confirm with a real connect)",
                path.display(),
                user.name,
                d.path.display(),
                d.path.display()
            )),
            Some(d) => {
                let backend = if report.listeners.is_empty() {
                    access::Backend::Unknown
                } else if report.listeners.iter().any(|l| {
                    self.snapshot
                        .processes
                        .get(&l.pid)
                        .is_some_and(|p| p.software == Software::PhpFpm)
                }) {
                    access::Backend::PhpFpm
                } else {
                    access::Backend::Other
                };
                let mut finding = access::denial_finding(path, &d, &user.name, subject, backend);
                if let Some(pool) = self.fpm_pool_of(report, &path.to_string_lossy()) {
                    finding.fix = format!(
                        "In pool [{}] of {}: {}",
                        pool.name,
                        pool.file.display(),
                        finding.fix.trim_start_matches("php-fpm pool: ")
                    );
                }
                if let Some(e) = refused {
                    finding.message.push_str(&format!(
                        " (confirmed: connect() as {} failed with {e:?})",
                        user.name
                    ));
                }
                // Who the backend runs as, beside who the web server runs as.
                let mut served_by: Vec<&Listener> = report.listeners.iter().collect();
                served_by.sort_by_key(|l| {
                    self.snapshot
                        .processes
                        .get(&l.pid)
                        .is_none_or(|p| p.role == Role::ProcessManager)
                });
                if let Some(l) = served_by.first() {
                    finding.message.push_str(&format!(
                        "; it is served by {} (pid {}, user {})",
                        l.command, l.pid, l.user
                    ));
                }
                self.findings.push(finding);
            }
            None if refused.is_some() => self.findings.push(Finding::new(
                &codes::PERMISSION_DENIED_OTHER,
                subject,
                format!(
                    "the owners and modes of {} and its directories allow {}, but connect() \
                     as {} failed with {:?}: {} denies",
                    path.display(),
                    user.name,
                    user.name,
                    refused.unwrap_or(Errno::EACCES),
                    if acl {
                        "its ACL (getfacl)"
                    } else {
                        "a security module (AppArmor, SELinux)"
                    }
                ),
            )),
            None => {}
        }
        // World-writable matters only when "other" can get through the
        // directories too.
        let anyone = access::Credentials {
            uid: u32::MAX - 1,
            gid: u32::MAX - 1,
            groups: Vec::new(),
        };
        let reachable_by_anyone = access::first_denial(path, &anyone, access::stat_owner).is_none();
        if let Some(o) = owner.filter(|o| o.mode & 0o002 != 0 && reachable_by_anyone) {
            self.findings.push(Finding::new(
                &codes::SOCKET_WORLD_WRITABLE,
                subject,
                format!(
                    "{} is {} {}:{}: every local user can send it requests",
                    path.display(),
                    access::mode_string('s', o.mode),
                    access::user_name(o.uid),
                    access::group_name(o.gid)
                ),
            ));
        }
    }

    /// The php-fpm pool listening on `address`, when a php-fpm process holds it.
    pub(super) fn fpm_pool_of(
        &self,
        report: &TargetReport,
        address: &str,
    ) -> Option<fpmconf::Pool> {
        report.listeners.iter().find_map(|l| {
            let p = self.snapshot.processes.get(&l.pid)?;
            self.snapshot.fpm_pool(p, address)
        })
    }
}

impl Component {
    fn mode_bits(&self) -> u32 {
        u32::from_str_radix(&self.mode, 8).unwrap_or(0)
    }
}

fn describe(path: &Path, meta: &std::fs::Metadata) -> Component {
    let kind = meta.file_type();
    let (file_type, letter) = if kind.is_symlink() {
        ("symlink", 'l')
    } else if kind.is_socket() {
        ("socket", 's')
    } else if kind.is_dir() {
        ("directory", 'd')
    } else if kind.is_file() {
        ("regular file", '-')
    } else if kind.is_fifo() {
        ("fifo", 'p')
    } else if kind.is_char_device() {
        ("device", 'c')
    } else if kind.is_block_device() {
        ("device", 'b')
    } else {
        ("unknown", '?')
    };
    let mode = meta.mode() & 0o7777;
    Component {
        path: path.display().to_string(),
        file_type,
        owner: access::user_name(meta.uid()),
        group: access::group_name(meta.gid()),
        uid: meta.uid(),
        gid: meta.gid(),
        mode: format!("{mode:04o}"),
        permissions: access::mode_string(letter, mode),
        link: kind
            .is_symlink()
            .then(|| std::fs::read_link(path).ok())
            .flatten()
            .map(|l| l.display().to_string()),
    }
}

fn with_article(kind: &str) -> String {
    match kind {
        "fifo" => "a FIFO".to_string(),
        k if k.starts_with(['a', 'e', 'i', 'o', 'u']) => format!("an {k}"),
        k => format!("a {k}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn articles_read_naturally() {
        assert_eq!(with_article("regular file"), "a regular file");
        assert_eq!(with_article("fifo"), "a FIFO");
        assert_eq!(with_article("unknown"), "an unknown");
    }
}
