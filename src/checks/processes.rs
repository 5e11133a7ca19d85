//! What is wrong with the process tree (`ps`): each check reads the snapshot
//! and what the [`Host`] knows, and adds findings, notes and skips to the
//! outcome; none of them prints or changes the host. Concerns that other
//! commands judge too (exposure, a taken-over path, root, socket access) are
//! judged by their own modules.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::exposure::{self, Exposed};
use super::path_access::{self, Backend, ServedBy};
use super::root_app::{self, pid_list};
use super::taken_over::{self, TakenOver};
use crate::core::finding::Finding;
use crate::core::outcome::Outcome;
use crate::core::registry::codes;
use crate::sources::host::Host;
use crate::sources::processes::{Process, Role, Snapshot, Software};
use crate::sources::services::Services;
use crate::sources::watch::Exited;
use crate::sources::webuser::WebUser;

/// Every check of the process tree.
pub fn run(
    host: &Host,
    snapshot: &Snapshot,
    web_user: Option<&WebUser>,
    exited: &[Exited],
) -> Outcome<()> {
    let mut out = Outcome::new(());
    // Applications that exited while watched are running, in a way: the
    // crash loop says what is wrong.
    if exited.is_empty() {
        nothing_running(snapshot, host.services(), &mut out);
    }
    root_apps(snapshot, &mut out.findings);
    orphans(snapshot, &mut out.findings);
    zombies(snapshot, &mut out.findings);
    saturated_pools(host, snapshot, &mut out);
    single_threaded(snapshot, &mut out.findings);
    crash_loops(exited, &mut out.findings);
    taken_over_paths(host, snapshot, &mut out.findings);
    exposed(host, snapshot, &mut out.findings);
    match web_user {
        Some(user) if user.guessed => out.skip(
            "socket_access",
            "host",
            format!("socket access for the guessed web user {}", user.name),
            "no web server runs and none is configured (give --web-user)",
        ),
        Some(user) => unreachable_sockets(host, snapshot, user, &mut out),
        None => {}
    }
    out
}

fn nothing_running(snapshot: &Snapshot, services: &Services, out: &mut Outcome<()>) {
    let backends = snapshot
        .processes
        .values()
        .filter(|p| {
            matches!(p.role, Role::PoolWorker | Role::App) || p.role == Role::ProcessManager
        })
        .count();
    if backends > 0 {
        return;
    }
    let masters: Vec<&Process> = snapshot
        .processes
        .values()
        .filter(|p| p.role == Role::WebServer)
        .collect();
    // An Apache whose loaded modules are known and include no FastCGI one
    // (mod_php, static files) is not a FastCGI deployment.
    let no_fastcgi_module = |p: &&Process| {
        p.software == Software::Apache
            && !p.modules.is_empty()
            && !p
                .modules
                .iter()
                .any(|m| matches!(m.as_str(), "proxy_fcgi" | "fcgid" | "fastcgi"))
    };
    if !masters.is_empty() && masters.iter().all(no_fastcgi_module) {
        out.notes.push(
            "Apache runs without mod_proxy_fcgi, mod_fcgid or mod_fastcgi, and no FastCGI \
             process runs: this host does not serve through FastCGI"
                .into(),
        );
        return;
    }
    let servers: BTreeSet<&str> = masters.iter().map(|p| p.stat.comm.as_str()).collect();
    let message = if servers.is_empty() {
        "neither a web server nor any FastCGI process manager or application is running".into()
    } else {
        format!(
            "{} runs, but no FastCGI process manager or application does: requests it \
             forwards to FastCGI fail (mod_fcgid starts its applications on the first request, \
             so an idle mod_fcgid server has none)",
            servers.into_iter().collect::<Vec<_>>().join(" and ")
        )
    };
    let mut finding = Finding::new(&codes::NOTHING_RUNNING, "host", message);
    // The registry's fix starts php-fpm; a host without it runs something else.
    if services.php_fpm.is_empty() {
        finding = finding.with_fix(
            "Start the FastCGI backend the web server is configured to reach (fcgi-doctor \
             config lists them: an application's own service, spawn-fcgi, fcgiwrap), or, for \
             mod_fcgid and mod_fastcgi, look in Apache's error log for why its process manager \
             starts nothing (and run fcgi-doctor ps --watch 10s as root to see applications \
             that die as they start).",
        );
    }
    out.findings.push(finding);
}

/// Workers and applications running as root, one finding per command.
fn root_apps(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let root_apps = snapshot
        .processes
        .values()
        .filter(|p| p.uid == Some(0) && matches!(p.role, Role::PoolWorker | Role::App));
    findings.extend(root_findings(snapshot, root_apps));
}

/// FD3002 for each command among `processes` (all running as root): `ps`
/// passes every root application, `socket` those behind its target.
pub fn root_findings<'a>(
    snapshot: &Snapshot,
    processes: impl Iterator<Item = &'a Process>,
) -> Vec<Finding> {
    let mut groups: BTreeMap<String, (Vec<u32>, BTreeSet<String>)> = BTreeMap::new();
    for p in processes.filter(|p| !p.is_zombie()) {
        let (pids, listening) = groups.entry(p.command()).or_default();
        pids.push(p.pid());
        listening.extend(
            p.listening
                .iter()
                .filter_map(|&i| snapshot.listeners.describe(i)),
        );
    }
    groups
        .into_iter()
        .map(|(command, (mut pids, listening))| {
            pids.sort_unstable();
            let listening: Vec<String> = listening.into_iter().collect();
            root_app::runs_as_root(&command, &pids, &listening)
        })
        .collect()
}

/// php-fpm pool workers whose parent is not a php-fpm master any more.
fn orphans(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<String, Vec<&Process>> = BTreeMap::new();
    for p in snapshot.processes.values() {
        if p.role != Role::PoolWorker || p.is_zombie() {
            continue;
        }
        let parent_is_master = snapshot
            .processes
            .get(&p.stat.ppid)
            .is_some_and(|m| m.software == Software::PhpFpm && m.role == Role::ProcessManager);
        if !parent_is_master {
            groups.entry(p.command()).or_default().push(p);
        }
    }
    for (command, procs) in groups {
        let pids: Vec<u32> = procs.iter().map(|p| p.pid()).collect();
        let sockets: BTreeSet<String> = procs
            .iter()
            .flat_map(|p| p.listening.iter())
            .filter_map(|&i| snapshot.listeners.describe(i))
            .collect();
        let holding = if sockets.is_empty() {
            String::new()
        } else {
            format!(
                "; they still hold {}",
                sockets.into_iter().collect::<Vec<_>>().join(", ")
            )
        };
        findings.push(
            Finding::new(
                &codes::ORPHANED_WORKERS,
                format!("pid {}", pids[0]),
                format!(
                    "{} {command} process{} ({}) run without their php-fpm master (parent is \
                     pid {}){holding}",
                    pids.len(),
                    if pids.len() == 1 { "" } else { "es" },
                    pid_list(&pids),
                    procs[0].stat.ppid,
                ),
            )
            .with_fix(format!(
                "kill {}; then check the socket is free (fcgi-doctor socket PATH) and start \
                 php-fpm again.",
                pids.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(" ")
            )),
        );
    }
}

fn zombies(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let mut by_parent: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    for p in snapshot.processes.values().filter(|p| p.is_zombie()) {
        by_parent.entry(p.stat.ppid).or_default().push(p.pid());
    }
    for (parent, pids) in by_parent {
        let name = snapshot
            .processes
            .get(&parent)
            .map(Process::command)
            .or_else(|| snapshot.all.get(&parent).map(|s| s.comm.clone()))
            .unwrap_or_else(|| "?".into());
        findings.push(Finding::new(
            &codes::ZOMBIES,
            format!("pid {parent}"),
            format!(
                "{} exited process{} ({}) not reaped by pid {parent} ({name})",
                pids.len(),
                if pids.len() == 1 { "" } else { "es" },
                pid_list(&pids)
            ),
        ));
    }
}

/// A pool at pm.max_children with every worker holding a client connection.
fn saturated_pools(host: &Host, snapshot: &Snapshot, out: &mut Outcome<()>) {
    for master in snapshot
        .processes
        .values()
        .filter(|p| p.software == Software::PhpFpm && p.role == Role::ProcessManager)
    {
        let (Some(path), Some(config)) = (
            snapshot.fpm_config_path(master),
            host.fpm_config(snapshot, master),
        ) else {
            continue;
        };
        if config.pools.is_empty() {
            out.skip(
                "pool_saturation",
                format!("pid {}", master.pid()),
                format!("pm.max_children of php-fpm master {}", master.pid()),
                format!("its pools cannot be read from {}", path.display()),
            );
            continue;
        }
        let mut workers: BTreeMap<&str, Vec<&Process>> = BTreeMap::new();
        for w in snapshot.children_of(master.pid()) {
            if let Some(pool) = &w.pool {
                workers.entry(pool.as_str()).or_default().push(w);
            }
        }
        for pool in &config.pools {
            let Some(max) = pool.max_children else {
                continue;
            };
            let procs = workers
                .get(pool.name.as_str())
                .map_or(&[][..], Vec::as_slice);
            if procs.len() < max as usize || max == 0 {
                continue;
            }
            if procs.iter().any(|w| !w.fds_visible) {
                out.skip(
                    "pool_saturation",
                    format!("pool {}", pool.name),
                    format!(
                        "whether the workers of pool {} (at pm.max_children = {max}) are busy",
                        pool.name
                    ),
                    "that needs root to see",
                );
                continue;
            }
            let busy = procs.iter().filter(|w| w.connections > 0).count();
            if busy < procs.len() {
                continue;
            }
            out.findings.push(Finding::new(
                &codes::POOL_AT_MAX_CHILDREN,
                format!("pool {}", pool.name),
                format!(
                    "php-fpm pool {} ({}) runs {} of pm.max_children = {max} workers, all \
                     busy with a request; new requests wait in the listen queue",
                    pool.name,
                    pool.file.display(),
                    procs.len()
                ),
            ));
        }
    }
}

/// One process with one thread serves a socket, and a web server in front
/// sends it concurrent requests. mod_fcgid sends one request per process by
/// design, and php-fpm pools are judged by pm.max_children instead.
fn single_threaded(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let concurrent_server = snapshot.processes.values().any(|p| {
        p.role == Role::WebServer
            && matches!(
                p.software,
                Software::Nginx | Software::Apache | Software::Lighttpd
            )
    });
    if !concurrent_server {
        return;
    }
    let mut holders: BTreeMap<u64, Vec<&Process>> = BTreeMap::new();
    for p in snapshot.processes.values() {
        for &inode in &p.listening {
            holders.entry(inode).or_default().push(p);
        }
    }
    for (inode, procs) in holders {
        let [p] = procs.as_slice() else { continue };
        let managed_by_fcgid = snapshot
            .processes
            .get(&p.stat.ppid)
            .is_some_and(|parent| parent.software == Software::Apache);
        if p.role != Role::App || p.stat.threads != 1 || managed_by_fcgid {
            continue;
        }
        let address = snapshot.listeners.describe(inode).unwrap_or_default();
        findings.push(Finding::new(
            &codes::SINGLE_THREADED_APP,
            address.clone(),
            format!(
                "{} (pid {}) is the only process on {address} and has one thread: it serves \
                 one request at a time",
                p.command(),
                p.pid()
            ),
        ));
    }
}

/// A process that exits sooner than this after starting did not get to serve.
const YOUNG_SECONDS: f64 = 5.0;

fn crash_loops(exited: &[Exited], findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(u32, &str), Vec<&Exited>> = BTreeMap::new();
    for e in exited.iter().filter(|e| e.lived_seconds < YOUNG_SECONDS) {
        groups
            .entry((e.ppid, e.command.as_str()))
            .or_default()
            .push(e);
    }
    for ((ppid, command), list) in groups {
        if list.len() < 2 {
            continue;
        }
        let pids: Vec<u32> = list.iter().map(|e| e.pid).collect();
        let longest = list.iter().map(|e| e.lived_seconds).fold(0.0, f64::max);
        let mut statuses: Vec<&str> = list.iter().filter_map(|e| e.status.as_deref()).collect();
        statuses.sort_unstable();
        statuses.dedup();
        let ended = match statuses.is_empty() {
            true => String::new(),
            false => format!(", ended by {}", statuses.join(", ")),
        };
        findings.push(Finding::new(
            &codes::CRASH_LOOP,
            format!("pid {ppid}"),
            format!(
                "{} processes of {command} (parent pid {ppid}) exited within {} of starting \
                 while watched{ended} ({})",
                list.len(),
                if longest < 0.1 {
                    format!("{:.0} ms", longest * 1000.0)
                } else {
                    format!("{longest:.1} s")
                },
                pid_list(&pids)
            ),
        ));
    }
}

/// A FastCGI socket the web user cannot connect to, because of who the
/// application runs as or how it made its socket.
fn unreachable_sockets(host: &Host, snapshot: &Snapshot, user: &WebUser, out: &mut Outcome<()>) {
    let creds = user.credentials();
    let paths = host.paths();
    let mut seen = BTreeSet::new();
    // Name the worker that serves a socket rather than the master that bound it.
    let mut servers: Vec<&Process> = snapshot
        .processes
        .values()
        .filter(|p| {
            matches!(p.role, Role::PoolWorker | Role::App | Role::ProcessManager)
                && !p.software.is_web_server()
        })
        .collect();
    servers.sort_by_key(|p| (p.role == Role::ProcessManager, p.pid()));
    for p in servers {
        for &inode in &p.listening {
            let Some(socket) = snapshot.listeners.unix.get(&inode) else {
                continue;
            };
            if !socket.path.starts_with('/') || !seen.insert(socket.path.clone()) {
                continue;
            }
            let path = Path::new(&socket.path);
            let Some(denial) = path_access::first_denial(path, &creds, |c| paths.owner(c)) else {
                continue;
            };
            if paths.has_acl(&denial.path) {
                out.notes.push(format!(
                    "{}: the modes deny {}, but {} has an ACL, which may grant access: not \
                     judged (fcgi-doctor socket {} confirms it with a real connect)",
                    socket.path,
                    user.name,
                    denial.path.display(),
                    socket.path
                ));
                continue;
            }
            let served = served_by(host, snapshot, p, &socket.path);
            out.findings.push(path_access::denial_finding(
                path,
                &denial,
                &user.name,
                &format!("unix:{}", socket.path),
                &served,
            ));
        }
    }
}

/// What is known of `p` as the server of the socket at `address`.
pub fn served_by(host: &Host, snapshot: &Snapshot, p: &Process, address: &str) -> ServedBy {
    ServedBy {
        backend: if p.software == Software::PhpFpm {
            Backend::PhpFpm
        } else {
            Backend::Other
        },
        pool: host
            .fpm_pool(snapshot, p, address)
            .map(|pool| (pool.name, pool.file)),
        process: Some((p.command(), p.pid(), p.user.clone())),
    }
}

/// The backend serving the unix socket at `path`, as the process table shows
/// it: a pool worker rather than its master.
pub fn served_by_path(host: &Host, snapshot: &Snapshot, path: &str) -> ServedBy {
    let inodes: BTreeSet<u64> = snapshot
        .listeners
        .unix
        .values()
        .filter(|u| u.listening && u.path == path)
        .map(|u| u.inode)
        .collect();
    let mut serving: Vec<&Process> = snapshot
        .processes
        .values()
        .filter(|p| p.listening.iter().any(|i| inodes.contains(i)))
        .collect();
    serving.sort_by_key(|p| (p.role == Role::ProcessManager, p.pid()));
    match serving.first() {
        Some(p) => served_by(host, snapshot, p, path),
        None => ServedBy::default(),
    }
}

/// FastCGI backends listening on an address other hosts can reach.
fn exposed(host: &Host, snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let mut seen = BTreeSet::new();
    // Name the pool worker rather than the master that bound the socket.
    let mut backends: Vec<&Process> = snapshot
        .processes
        .values()
        .filter(|p| !p.software.is_web_server() && p.role.is_fastcgi())
        .collect();
    backends.sort_by_key(|p| (p.role == Role::ProcessManager, p.pid()));
    for p in backends {
        for inode in &p.listening {
            let Some(l) = snapshot.listeners.tcp.get(inode) else {
                continue;
            };
            if !l.is_exposed() || !seen.insert(*inode) {
                continue;
            }
            let command = p.command();
            let pool = host.fpm_pool(snapshot, p, &l.endpoint());
            findings.push(exposure::exposure(&Exposed {
                listener: l,
                holder: Some((&command, p.pid())),
                allowed_clients: pool.as_ref().and_then(|p| p.allowed_clients.as_deref()),
            }));
        }
    }
}

/// Several listening sockets bound to one path: all but the newest lost their file.
fn taken_over_paths(host: &Host, snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let mut by_path: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    for s in snapshot.listeners.unix.values() {
        if s.path.starts_with('/') || s.path.starts_with('@') {
            by_path.entry(&s.path).or_default().insert(s.inode);
        }
    }
    for (path, inodes) in by_path.into_iter().filter(|(_, i)| i.len() > 1) {
        let holders: Vec<&Process> = snapshot
            .processes
            .values()
            .filter(|p| p.listening.iter().any(|i| inodes.contains(i)))
            .filter(|p| p.role != Role::PoolWorker)
            .collect();
        if holders.is_empty() {
            continue;
        }
        // sock_diag says which socket is bound to the file now at the path.
        let file = host.paths().file_id(Path::new(path));
        let owner = snapshot
            .listeners
            .unix
            .values()
            .find(|s| inodes.contains(&s.inode) && file.is_some() && s.file == file)
            .and_then(|s| holders.iter().find(|p| p.listening.contains(&s.inode)))
            .map(|p| p.pid());
        findings.push(taken_over::taken_over(&TakenOver {
            path,
            sockets: inodes.len(),
            holders: holders.iter().map(|p| (p.pid(), p.command())).collect(),
            owner,
        }));
    }
}
