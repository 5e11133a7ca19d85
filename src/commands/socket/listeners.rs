//! Who listens on a socket: the processes holding it, which of several
//! same-named sockets owns the file, and whether application code behind it
//! runs as root.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use nix::errno::Errno;
use nix::sys::socket::UnixAddr;

use super::unix::connect_unix;
use super::{Checker, Listener, TargetReport};
use crate::checks::processes::root_findings;
use crate::checks::socket_path;
use crate::checks::taken_over::{self, TakenOver};
use crate::sources::processes::{Role, UserNames};

impl Checker<'_> {
    /// Several sockets bound to one name, and root applications behind it.
    pub(super) fn judge_listeners(
        &mut self,
        path: &Path,
        inodes: &HashSet<u64>,
        probe: &Result<Option<u32>, Errno>,
        report: &TargetReport,
    ) {
        let shown = path.display().to_string();
        if probe.is_ok() && inodes.is_empty() {
            self.out.notes.push(format!(
                "{shown} accepts connections, but no listener is in this network namespace's \
                 socket table (the listener is in another container or namespace)"
            ));
        }
        if inodes.len() > 1 {
            let holders = report
                .listeners
                .iter()
                .filter(|l| {
                    self.snapshot
                        .processes
                        .get(&l.pid)
                        .is_none_or(|p| p.role != Role::PoolWorker)
                })
                .map(|l| (l.pid, l.command.clone()))
                .collect();
            let owner = report
                .listeners
                .iter()
                .find(|l| l.owns_path == Some(true))
                .map(|l| l.pid);
            self.out.findings.push(taken_over::taken_over(&TakenOver {
                path: &shown,
                sockets: inodes.len(),
                holders,
                owner,
            }));
        }
        self.judge_root_apps(report);
    }

    /// FD3002 for application code behind the target that runs as root. Only
    /// processes known to run application code: a root-owned holder may be
    /// systemd's socket activation or a process manager.
    pub(super) fn judge_root_apps(&mut self, report: &TargetReport) {
        let root_apps = report
            .listeners
            .iter()
            .filter_map(|l| self.snapshot.processes.get(&l.pid))
            .filter(|p| p.uid == Some(0) && matches!(p.role, Role::App | Role::PoolWorker));
        let findings = root_findings(self.snapshot, root_apps);
        self.out.findings.extend(findings);
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
            self.out
                .findings
                .push(socket_path::abstract_missing(&subject));
            return;
        }
        self.judge_listeners(Path::new(&wanted), &inodes, &probe, report);
    }

    /// The file each listening unix socket is bound to, when sock_diag told.
    pub(super) fn unix_files(&self) -> Option<HashMap<u64, (u64, u64)>> {
        let files: HashMap<u64, (u64, u64)> = self
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
        let proc = self.host.proc();
        let holders = self.snapshot.holders(proc, inodes);
        if holders.hidden > 0 && holders.found.is_empty() {
            self.out.skip(
                "listeners",
                "host",
                "naming the process that holds the listener",
                format!(
                    "it is held by a process this user may not inspect ({} processes hidden); \
                     run as root to see it",
                    holders.hidden
                ),
            );
        }
        let owner_inode = owner_pid.and_then(|pid| {
            holders
                .found
                .iter()
                .find(|(p, _)| *p == pid)
                .map(|&(_, i)| i)
        });
        let mut names = UserNames::default();
        let mut found = holders.found;
        found.sort_unstable();
        found
            .into_iter()
            .map(|(pid, inode)| {
                let (user, command) = match self.snapshot.processes.get(&pid) {
                    Some(p) => (p.user.clone(), p.command()),
                    None => (
                        proc.ids(pid)
                            .map_or_else(|_| "?".into(), |i| names.user(i.uid)),
                        proc.cmdline(pid)
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
