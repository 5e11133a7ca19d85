//! `fcgi-doctor socket`: what is at a socket path, who may connect to it, and
//! who listens on it.
//!
//! The path is looked at without following it first (`lstat` of every
//! component), the web user's access is worked out from owners and modes, then
//! confirmed by a real connect as that user when we are root. Listeners come
//! from the kernel's socket table and the descriptors of every process.

mod render;

use std::collections::HashSet;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, UnixAddr};
use serde::Serialize;

use crate::access::{self, Need, Owner};
use crate::finding::Finding;
use crate::fpmconf;
use crate::probe::target::Target;
use crate::processes::{Role, Snapshot, Software};
use crate::procfs::ProcFs;
use crate::registry::codes;
use crate::webuser::{self, ConfigRoot, WebUser};

pub use render::render_human;

/// What `socket` was asked to look at.
#[derive(Debug)]
pub struct SocketSettings {
    pub targets: Vec<Target>,
    pub web_user: Option<String>,
    pub proc: ProcFs,
    pub config: ConfigRoot,
}

#[derive(Debug, Serialize)]
pub struct SocketReport {
    /// The user whose access was checked; null when none could be found.
    pub web_user: Option<WebUser>,
    pub targets: Vec<TargetReport>,
    /// What could not be seen or was assumed.
    pub notes: Vec<String>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub target: String,
    /// `unix`, `abstract` or `tcp`.
    pub kind: &'static str,
    /// What is at the path, looked at without following it: `socket`,
    /// `symlink`, `regular file`, `directory`, `fifo`, `device`, `missing`.
    pub file_type: Option<&'static str>,
    /// Where a symlink at the path points.
    pub symlink_target: Option<String>,
    /// Every directory from `/` down, then the socket itself.
    pub components: Vec<Component>,
    pub access: Option<Access>,
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Serialize)]
pub struct Component {
    pub path: String,
    pub file_type: &'static str,
    pub owner: String,
    pub group: String,
    pub uid: u32,
    pub gid: u32,
    /// Octal, as chmod takes it: "0755".
    pub mode: String,
    /// As ls shows it: "drwxr-xr-x".
    pub permissions: String,
    /// The symlink's target, when this component is one.
    pub link: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Access {
    pub user: String,
    /// What owners and modes say.
    pub allowed_by_modes: bool,
    /// The component that denies, when one does.
    pub denied_by: Option<String>,
    /// `search` (a directory) or `write` (the socket).
    pub missing_permission: Option<&'static str>,
    /// The outcome of a real connect as the user: `connected`, or the error
    /// (`EACCES`, `ECONNREFUSED`...). Null when not tried (not root).
    pub connect_as_user: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Listener {
    pub pid: u32,
    pub user: String,
    pub command: String,
    pub inode: u64,
    pub address: String,
    /// For a unix path: whether this listener owns the file at the path (false
    /// for a listener whose file was unlinked and replaced).
    pub owns_path: Option<bool>,
}

pub fn run(settings: &SocketSettings) -> Result<SocketReport, String> {
    let snapshot = Snapshot::take_with(&settings.proc, false)
        .map_err(|e| format!("cannot read the process table: {e}"))?;
    let mut notes = Vec::new();
    let web_user = match &settings.web_user {
        Some(name) => {
            Some(webuser::named(name, "--web-user").map_err(|e| format!("--web-user: {e}"))?)
        }
        None => webuser::detect(&snapshot, &settings.config),
    };
    match &web_user {
        Some(u) if u.guessed => notes.push(format!(
            "no web server is running and none is configured: assumed the web user is {} \
             (the distribution default); give --web-user to be sure",
            u.name
        )),
        Some(_) => {}
        None => notes.push(
            "the web user is unknown (no web server running or configured, no default user \
             exists): access was not checked; give --web-user"
                .into(),
        ),
    }
    let mut checker = Checker {
        settings,
        snapshot: &snapshot,
        web_user: web_user.as_ref(),
        notes: &mut notes,
        findings: Vec::new(),
    };
    let mut targets = Vec::new();
    for target in &settings.targets {
        targets.push(checker.check(target));
    }
    let findings = checker.findings;
    if snapshot.hidden_fds > 0 && !snapshot.as_root {
        notes.push(format!(
            "running as {}: the descriptors of {} processes of other users could not be read, \
             so listeners among them are not shown (run as root to see them)",
            access::user_name(nix::unistd::geteuid().as_raw()),
            snapshot.hidden_fds
        ));
    }
    Ok(SocketReport {
        web_user,
        targets,
        notes,
        findings,
    })
}

struct Checker<'a> {
    settings: &'a SocketSettings,
    snapshot: &'a Snapshot,
    web_user: Option<&'a WebUser>,
    notes: &'a mut Vec<String>,
    findings: Vec<Finding>,
}

impl Checker<'_> {
    fn check(&mut self, target: &Target) -> TargetReport {
        let mut report = TargetReport {
            target: target.to_string(),
            kind: match target {
                Target::Unix(_) => "unix",
                Target::Abstract(_) => "abstract",
                Target::Tcp { .. } => "tcp",
            },
            file_type: None,
            symlink_target: None,
            components: Vec::new(),
            access: None,
            listeners: Vec::new(),
        };
        match target {
            Target::Unix(path) => self.check_path(path, &mut report),
            Target::Abstract(name) => self.check_abstract(name, &mut report),
            Target::Tcp { host, port } => self.check_tcp(host, *port, &mut report),
        }
        report
    }

    fn check_path(&mut self, given: &Path, report: &mut TargetReport) {
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

    fn judge_listeners(
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

    fn judge_root_apps(&mut self, subject: &str, report: &TargetReport) {
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

    fn judge_access(
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
        let confirmed = matches!(connect_result, Some(Err(Errno::EACCES | Errno::EPERM)));
        match denial {
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
                if confirmed {
                    finding.message.push_str(&format!(
                        " (confirmed: connect() as {} failed with EACCES)",
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
            None if confirmed => self.findings.push(Finding::new(
                &codes::PERMISSION_DENIED_OTHER,
                subject,
                format!(
                    "the owners and modes of {} and its directories allow {}, but connect() \
                     as {} failed with EACCES: an ACL or a security module denies",
                    path.display(),
                    user.name,
                    user.name
                ),
            )),
            None => {}
        }
        if let Some(o) = owner.filter(|o| o.mode & 0o002 != 0) {
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

    fn check_abstract(&mut self, name: &[u8], report: &mut TargetReport) {
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

    fn check_tcp(&mut self, host: &str, port: u16, report: &mut TargetReport) {
        use std::net::IpAddr;
        let subject = report.target.clone();
        let addresses: Vec<IpAddr> = match resolve(host, port) {
            Ok(a) => a,
            Err(e) => {
                self.findings.push(Finding::new(
                    &codes::HOST_UNRESOLVED,
                    &subject,
                    format!("{host} does not resolve: {e}"),
                ));
                return;
            }
        };
        let on_port: Vec<&crate::procfs::TcpListener> = self
            .snapshot
            .listeners
            .tcp
            .values()
            .filter(|l| l.port == port)
            .collect();
        let serving: HashSet<u64> = on_port
            .iter()
            .filter(|l| {
                l.address.is_unspecified()
                    || addresses.contains(&l.address)
                    || addresses.iter().any(|a| mapped_equal(a, &l.address))
            })
            .map(|l| l.inode)
            .collect();
        let all: HashSet<u64> = on_port.iter().map(|l| l.inode).collect();
        report.listeners = self.listeners(&all, None, None);
        if serving.is_empty() {
            let refused = addresses.iter().all(|a| {
                std::net::TcpStream::connect_timeout(
                    &std::net::SocketAddr::new(*a, port),
                    Duration::from_secs(1),
                )
                .is_err()
            });
            if refused {
                self.findings.push(Finding::new(
                    &codes::TCP_REFUSED,
                    &subject,
                    format!(
                        "nothing listens on {subject}{}",
                        if on_port.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (port {port} is bound on {} only)",
                                on_port
                                    .iter()
                                    .map(|l| l.endpoint())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ),
                ));
            } else {
                self.notes.push(format!(
                    "{subject} accepts connections, but no listener is in this network \
                     namespace's socket table (another host, container or namespace)"
                ));
            }
        }
        for l in on_port.iter().filter(|l| l.is_exposed()) {
            self.judge_exposure(&subject, l, report);
        }
        self.judge_root_apps(&subject, report);
    }

    /// php-fpm with listen.allowed_clients drops other hosts: exposed, but
    /// restricted. Anything else on a public address is open to the network.
    fn judge_exposure(
        &mut self,
        subject: &str,
        listener: &crate::procfs::TcpListener,
        report: &TargetReport,
    ) {
        let holders: Vec<&Listener> = report
            .listeners
            .iter()
            .filter(|l| l.inode == listener.inode)
            .collect();
        let who = holders.first().map_or_else(
            || "a process this user cannot see".to_string(),
            |h| format!("{} (pid {})", h.command, h.pid),
        );
        if let Some(restriction) = self.fpm_allowed_clients(&holders, listener.port) {
            self.findings.push(Finding::new(
                &codes::TCP_EXPOSED_RESTRICTED,
                subject,
                format!(
                    "{who} listens on {}, reachable from other hosts, but only accepts \
                     listen.allowed_clients = {restriction}",
                    listener.endpoint()
                ),
            ));
            return;
        }
        self.findings.push(
            Finding::new(
                &codes::TCP_EXPOSED,
                subject,
                format!(
                    "{who} listens on {}: every host that can reach this one can send it \
                     FastCGI requests",
                    listener.endpoint()
                ),
            )
            .with_fix(format!(
                "Listen on loopback only (php-fpm: listen = 127.0.0.1:{port}) or on a unix \
                 socket; if the web server is remote, set listen.allowed_clients to its \
                 address and firewall port {port}.",
                port = listener.port
            )),
        );
    }

    /// The php-fpm pool listening on `address`, when a php-fpm process holds it.
    fn fpm_pool_of(&self, report: &TargetReport, address: &str) -> Option<fpmconf::Pool> {
        let master = report.listeners.iter().find_map(|l| {
            let p = self.snapshot.processes.get(&l.pid)?;
            match (p.software, p.role) {
                (Software::PhpFpm, Role::ProcessManager) => Some(p),
                (Software::PhpFpm, _) => self.snapshot.processes.get(&p.stat.ppid),
                _ => None,
            }
        })?;
        fpmconf::pool_listening_on(master.args.first()?, address)
    }

    /// The `listen.allowed_clients` of the php-fpm pool holding this port.
    fn fpm_allowed_clients(&self, holders: &[&Listener], port: u16) -> Option<String> {
        let holder = holders
            .iter()
            .find_map(|h| self.snapshot.processes.get(&h.pid))?;
        if holder.software != Software::PhpFpm {
            return None;
        }
        let master = if holder.role == Role::ProcessManager {
            holder
        } else {
            self.snapshot.processes.get(&holder.stat.ppid)?
        };
        let config = fpmconf::load(&fpmconf::path_from_title(master.args.first()?)?);
        let suffix = format!(":{port}");
        config
            .pools
            .iter()
            .filter(|p| {
                p.listen
                    .as_deref()
                    .is_some_and(|l| l.ends_with(&suffix) || l == port.to_string())
            })
            .find_map(|p| p.allowed_clients.clone().filter(|c| !c.trim().is_empty()))
    }

    /// The file each listening unix socket is bound to, when sock_diag can
    /// say (not for a fixture `/proc`).
    fn unix_files(&self) -> Option<std::collections::HashMap<u64, (u64, u64)>> {
        if !self.settings.proc.is_live() {
            return None;
        }
        crate::sockdiag::unix_listener_files().ok()
    }

    /// Who holds each inode, in pid order. Which of several same-named
    /// sockets owns the file: `bound_here` when sock_diag told, else the
    /// socket of `owner_pid`, the process that accepted our connect (its
    /// listen() credentials).
    fn listeners(
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

/// Resolves `host` within 2 s: a dead DNS server must not hold the check for
/// the resolver's own minutes. A literal address needs no resolver.
fn resolve(host: &str, port: u16) -> Result<Vec<std::net::IpAddr>, String> {
    use std::net::ToSocketAddrs;
    if let Ok(ip) = host.parse() {
        return Ok(vec![ip]);
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_string();
    std::thread::spawn(move || {
        let found = (name.as_str(), port)
            .to_socket_addrs()
            .map(|a| a.map(|a| a.ip()).collect::<Vec<_>>());
        let _ = tx.send(found);
    });
    match rx.recv_timeout(Duration::from_secs(2)) {
        Ok(Ok(found)) if !found.is_empty() => Ok(found),
        Ok(Ok(_)) => Err("no addresses".into()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("the resolver did not answer within 2 s".into()),
    }
}

fn mapped_equal(a: &std::net::IpAddr, b: &std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match (a, b) {
        (IpAddr::V4(v4), IpAddr::V6(v6)) | (IpAddr::V6(v6), IpAddr::V4(v4)) => {
            v6.to_ipv4_mapped() == Some(*v4)
        }
        _ => false,
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

/// Connects as ourselves without blocking; on success, the pid that created
/// the listening socket (`SO_PEERCRED` of a unix connection carries the
/// credentials of the listen() call).
fn connect_unix(addr: nix::Result<UnixAddr>) -> Result<Option<u32>, Errno> {
    let addr = addr?;
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    socket::connect(fd.as_raw_fd(), &addr)?;
    let pid = socket::getsockopt(&fd, socket::sockopt::PeerCredentials)
        .ok()
        .and_then(|c| u32::try_from(c.pid()).ok())
        .filter(|&p| p != 0);
    Ok(pid)
}

/// Connects to `path` as `user` in a forked child: changing identity applies to
/// the whole process, so it cannot be done in this one. Needs root.
fn connect_as(path: &Path, user: &WebUser) -> Result<Result<(), Errno>, String> {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    use nix::unistd::{fork, setgid, setgroups, setuid, ForkResult, Gid, Uid};
    let addr = UnixAddr::new(path).map_err(|e| e.to_string())?;
    let groups: Vec<Gid> = user.gids.iter().map(|&g| Gid::from_raw(g)).collect();
    let (uid, gid) = (Uid::from_raw(user.uid), Gid::from_raw(user.gid));
    // SAFETY: this process is single-threaded here (no runtime is started for
    // `socket`), and the child only makes system calls before _exit.
    match unsafe { fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Child => {
            let outcome = (|| -> Result<(), Errno> {
                setgroups(&groups)?;
                setgid(gid)?;
                setuid(uid)?;
                let fd = socket::socket(
                    AddressFamily::Unix,
                    SockType::Stream,
                    SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
                    None,
                )?;
                socket::connect(fd.as_raw_fd(), &addr)
            })();
            let code = match outcome {
                Ok(()) => 0,
                Err(e) => (e as i32).clamp(1, 255),
            };
            // SAFETY: _exit skips atexit handlers and buffered output, which
            // belong to the parent.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::Exited(_, 0)) => return Ok(Ok(())),
                    Ok(WaitStatus::Exited(_, code)) => return Ok(Err(Errno::from_raw(code))),
                    Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Ok(WaitStatus::StillAlive) => {
                        let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                        let _ = waitpid(child, None);
                        return Err("the connect did not finish within 2 s".into());
                    }
                    Ok(other) => return Err(format!("the checking process ended: {other:?}")),
                    Err(Errno::EINTR) => {}
                    Err(e) => return Err(format!("waitpid: {e}")),
                }
            }
        }
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
