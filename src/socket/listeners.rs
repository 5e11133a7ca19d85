//! Who listens on a socket: the processes holding it, which of several
//! same-named sockets owns the file, a stale file, a root application.

use std::collections::HashSet;

use nix::errno::Errno;
use nix::sys::socket::UnixAddr;

use super::connect::connect_unix;
use super::{Checker, Listener, TargetReport};
use crate::finding::Finding;
use crate::processes::Role;
use crate::registry::codes;

impl Checker<'_> {
    pub(super) fn judge_listeners(
        &mut self,
        subject: &str,
        shown: &str,
        inodes: &HashSet<u64>,
        probe: &Result<Option<u32>, Errno>,
        report: &TargetReport,
    ) {
        match probe {
            Err(Errno::ECONNREFUSED) => {
                self.findings.push(
                    Finding::new(
                        &codes::STALE_SOCKET,
                        subject,
                        format!(
                            "{shown} is a socket file, but nobody listens on it (no process \
                             holds it, and connect() is refused)"
                        ),
                    )
                    .with_fix(format!(
                        "Restart the backend that should listen on {shown}; if it refuses to \
                         bind, remove the stale file first (rm {shown}). Then find out why it \
                         died (its log, dmesg for the OOM killer)."
                    )),
                );
                return;
            }
            Ok(_) if inodes.is_empty() => self.notes.push(format!(
                "{shown} accepts connections, but no listener is in this network namespace's \
                 socket table (the listener is in another container or namespace)"
            )),
            _ => {}
        }
        let distinct: HashSet<u64> = report.listeners.iter().map(|l| l.inode).collect();
        if inodes.len() > 1 {
            let owner = report.listeners.iter().find(|l| l.owns_path == Some(true));
            let others: Vec<String> = report
                .listeners
                .iter()
                .filter(|l| l.owns_path != Some(true))
                .map(|l| format!("pid {} ({})", l.pid, l.command))
                .collect();
            let message = match owner {
                Some(o) => format!(
                    "{} listening sockets are bound as {shown}: pid {} ({}) owns the file; {} \
                     on a socket whose file was replaced, and get no requests",
                    inodes.len(),
                    o.pid,
                    o.command,
                    match others.len() {
                        0 => "processes not visible to this user listen".to_string(),
                        1 => format!("{} listens", others[0]),
                        _ => format!("{} listen", others.join(", ")),
                    }
                ),
                None => format!(
                    "{} listening sockets are bound as {shown} ({} seen): only the newest owns \
                     the file",
                    inodes.len(),
                    distinct.len()
                ),
            };
            self.findings
                .push(Finding::new(&codes::SOCKET_TAKEN_OVER, subject, message));
        }
        self.judge_root_apps(subject, report);
    }

    pub(super) fn judge_root_apps(&mut self, subject: &str, report: &TargetReport) {
        let root_apps: Vec<&Listener> = report
            .listeners
            .iter()
            // Only processes known to run application code: a root-owned
            // holder may be systemd's socket activation or a process manager.
            .filter(|l| {
                self.snapshot.processes.get(&l.pid).is_some_and(|p| {
                    p.uid == Some(0) && matches!(p.role, Role::App | Role::PoolWorker)
                })
            })
            .collect();
        if let Some(first) = root_apps.first() {
            self.findings.push(Finding::new(
                &codes::APP_RUNS_AS_ROOT,
                subject,
                format!(
                    "{} serves {subject} as root (pid {}){}",
                    first.command,
                    first.pid,
                    if root_apps.len() > 1 {
                        format!(", and {} more processes", root_apps.len() - 1)
                    } else {
                        String::new()
                    }
                ),
            ));
        }
    }

    pub(super) fn check_abstract(&mut self, name: &[u8], report: &mut TargetReport) {
        let subject = report.target.clone();
        let wanted = format!("@{}", String::from_utf8_lossy(name));
        let inodes: HashSet<u64> = self
            .snapshot
            .listeners
            .unix
            .values()
            .filter(|s| s.path == wanted)
            .map(|s| s.inode)
            .collect();
        let probe = connect_unix(UnixAddr::new_abstract(name));
        report.file_type = Some("abstract");
        let owner_pid = probe.as_ref().ok().copied().flatten();
        report.listeners = self.listeners(&inodes, owner_pid, None);
        if inodes.is_empty() && matches!(probe, Err(Errno::ECONNREFUSED)) {
            self.findings.push(Finding::new(
                &codes::SOCKET_MISSING,
                &subject,
                format!("nothing listens on the abstract socket {wanted}"),
            ));
            return;
        }
        self.judge_listeners(&subject, &wanted, &inodes, &probe, report);
    }

    /// The file each listening unix socket is bound to, when sock_diag told
    /// (not for a fixture `/proc`, or a kernel without it).
    pub(super) fn unix_files(&self) -> Option<std::collections::HashMap<u64, (u64, u64)>> {
        let files: std::collections::HashMap<u64, (u64, u64)> = self
            .snapshot
            .listeners
            .unix
            .values()
            .filter_map(|s| Some((s.inode, s.file?)))
            .collect();
        (!files.is_empty()).then_some(files)
    }

    /// Who holds each inode, in pid order. Which of several same-named
    /// sockets owns the file: `bound_here` when sock_diag told, else the
    /// socket of `owner_pid`, the process that accepted our connect (its
    /// listen() credentials).
    pub(super) fn listeners(
        &mut self,
        inodes: &HashSet<u64>,
        owner_pid: Option<u32>,
        bound_here: Option<&HashSet<u64>>,
    ) -> Vec<Listener> {
        if inodes.is_empty() {
            return Vec::new();
        }
        let holders = self.snapshot.holders(&self.settings.proc, inodes);
        if holders.hidden > 0 && holders.found.is_empty() {
            self.notes.push(format!(
                "the listener is held by a process this user may not inspect ({} processes \
                 hidden); run as root to see it",
                holders.hidden
            ));
        }
        let owner_inode = owner_pid.and_then(|pid| {
            holders
                .found
                .iter()
                .find(|(p, _)| *p == pid)
                .map(|&(_, i)| i)
        });
        let mut names = crate::processes::UserNames::default();
        let mut found = holders.found;
        found.sort_unstable();
        found
            .into_iter()
            .map(|(pid, inode)| {
                let (user, command) = match self.snapshot.processes.get(&pid) {
                    Some(p) => (p.user.clone(), p.command()),
                    None => (
                        self.settings
                            .proc
                            .ids(pid)
                            .map_or_else(|_| "?".into(), |i| names.user(i.uid)),
                        self.settings
                            .proc
                            .cmdline(pid)
                            .ok()
                            .filter(|a| !a.is_empty())
                            .map_or_else(
                                || {
                                    self.snapshot
                                        .all
                                        .get(&pid)
                                        .map_or("?".into(), |s| format!("[{}]", s.comm))
                                },
                                |a| a.join(" "),
                            ),
                    ),
                };
                Listener {
                    pid,
                    user,
                    command,
                    inode,
                    address: self.snapshot.listeners.describe(inode).unwrap_or_default(),
                    owns_path: match bound_here {
                        Some(here) => Some(here.contains(&inode)),
                        None if inodes.len() > 1 => owner_inode.map(|o| o == inode),
                        None => Some(true),
                    },
                }
            })
            .collect()
    }
}
