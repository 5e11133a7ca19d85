//! What is wrong with the process tree: each check reads the snapshot and
//! returns findings; none of them prints or touches the host.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::watch::Exited;
use crate::access;
use crate::finding::Finding;
use crate::fpmconf;
use crate::processes::{Process, Role, Snapshot, Software};
use crate::registry::codes;
use crate::webuser::WebUser;

pub fn run(
    snapshot: &Snapshot,
    web_user: Option<&WebUser>,
    exited: &[Exited],
    notes: &mut Vec<String>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    nothing_running(snapshot, notes, &mut findings);
    root_apps(snapshot, &mut findings);
    orphans(snapshot, &mut findings);
    zombies(snapshot, &mut findings);
    saturated_pools(snapshot, notes, &mut findings);
    single_threaded(snapshot, &mut findings);
    crash_loops(exited, &mut findings);
    taken_over(snapshot, &mut findings);
    exposed(snapshot, &mut findings);
    if let Some(user) = web_user {
        unreachable_sockets(snapshot, user, notes, &mut findings);
    }
    findings
}

fn nothing_running(snapshot: &Snapshot, notes: &mut Vec<String>, findings: &mut Vec<Finding>) {
    let backends = snapshot
        .processes
        .values()
        .filter(|p| {
            matches!(p.role, Role::PoolWorker | Role::App)
                || (p.role == Role::ProcessManager && !p.software.is_web_server())
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
        notes.push(
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
    findings.push(Finding::new(&codes::NOTHING_RUNNING, "host", message));
}

/// Workers and applications running as root. Masters start as root to bind
/// and switch users; that is how they should be.
fn root_apps(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for p in snapshot.processes.values() {
        if p.uid == Some(0) && matches!(p.role, Role::PoolWorker | Role::App) && !p.is_zombie() {
            groups.entry(p.command()).or_default().push(p.pid());
        }
    }
    for (command, pids) in groups {
        findings.push(Finding::new(
            &codes::APP_RUNS_AS_ROOT,
            format!("pid {}", pids[0]),
            format!("{command} runs as root ({})", pid_list(&pids)),
        ));
    }
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
fn saturated_pools(snapshot: &Snapshot, notes: &mut Vec<String>, findings: &mut Vec<Finding>) {
    for master in snapshot
        .processes
        .values()
        .filter(|p| p.software == Software::PhpFpm && p.role == Role::ProcessManager)
    {
        let Some(path) = master
            .args
            .first()
            .and_then(|t| fpmconf::path_from_title(t))
        else {
            continue;
        };
        let config = fpmconf::load(&path);
        if config.pools.is_empty() {
            notes.push(format!(
                "php-fpm master {}: cannot read its pools from {}, so pm.max_children is not \
                 checked",
                master.pid(),
                path.display()
            ));
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
                notes.push(format!(
                    "pool {} is at pm.max_children = {max}; whether its workers are busy \
                     needs root to see",
                    pool.name
                ));
                continue;
            }
            let busy = procs.iter().filter(|w| w.connections > 0).count();
            if busy < procs.len() {
                continue;
            }
            findings.push(Finding::new(
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
        findings.push(Finding::new(
            &codes::CRASH_LOOP,
            format!("pid {ppid}"),
            format!(
                "{} processes of {command} (parent pid {ppid}) exited within {longest:.1} s of \
                 starting while watched ({})",
                list.len(),
                pid_list(&pids)
            ),
        ));
    }
}

/// A FastCGI socket the web user cannot connect to, because of who the
/// application runs as or how it made its socket.
fn unreachable_sockets(
    snapshot: &Snapshot,
    user: &WebUser,
    notes: &mut Vec<String>,
    findings: &mut Vec<Finding>,
) {
    if user.guessed {
        notes.push(format!(
            "no web server runs and none is configured: socket access was not checked for the \
             guessed web user {} (give --web-user)",
            user.name
        ));
        return;
    }
    let creds = user.credentials();
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
            if let Some(denial) = access::first_denial(path, &creds, access::stat_owner) {
                if access::has_acl(&denial.path) {
                    notes.push(format!(
                        "{}: the modes deny {}, but {} has an ACL, which may grant access: not \
                         judged (fcgi-doctor socket {} confirms it with a real connect)",
                        socket.path,
                        user.name,
                        denial.path.display(),
                        socket.path
                    ));
                    continue;
                }
                let mut f = access::denial_finding(
                    path,
                    &denial,
                    &user.name,
                    &format!("unix:{}", socket.path),
                    if p.software == Software::PhpFpm {
                        access::Backend::PhpFpm
                    } else {
                        access::Backend::Other
                    },
                );
                f.message.push_str(&format!(
                    "; it is served by {} (pid {}, user {})",
                    p.command(),
                    p.pid(),
                    p.user
                ));
                if let Some(pool) = snapshot.fpm_pool(p, &socket.path) {
                    f.fix = format!(
                        "In pool [{}] of {}: {}",
                        pool.name,
                        pool.file.display(),
                        f.fix.trim_start_matches("php-fpm pool: ")
                    );
                }
                findings.push(f);
            }
        }
    }
}

/// FastCGI backends listening on an address other hosts can reach. php-fpm
/// pools that set listen.allowed_clients drop other hosts, so they are only
/// informational.
fn exposed(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
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
            let endpoint = l.endpoint();
            let restricted = snapshot
                .fpm_pool(p, &endpoint)
                .and_then(|pool| pool.allowed_clients)
                .filter(|c| !c.trim().is_empty());
            let finding = match restricted {
                Some(clients) => Finding::new(
                    &codes::TCP_EXPOSED_RESTRICTED,
                    endpoint.clone(),
                    format!(
                        "{} (pid {}) listens on {endpoint}, reachable from other hosts, but only \
                         accepts listen.allowed_clients = {clients}",
                        p.command(),
                        p.pid()
                    ),
                ),
                None => Finding::new(
                    &codes::TCP_EXPOSED,
                    endpoint.clone(),
                    format!(
                        "{} (pid {}) listens on {endpoint}: every host that can reach this one \
                         can send it FastCGI requests",
                        p.command(),
                        p.pid()
                    ),
                ),
            };
            findings.push(finding);
        }
    }
}

/// Several listening sockets bound to one path: all but the newest lost their file.
fn taken_over(snapshot: &Snapshot, findings: &mut Vec<Finding>) {
    let mut by_path: BTreeMap<&str, BTreeSet<u64>> = BTreeMap::new();
    for s in snapshot.listeners.unix.values() {
        if s.path.starts_with('/') || s.path.starts_with('@') {
            by_path.entry(&s.path).or_default().insert(s.inode);
        }
    }
    for (path, inodes) in by_path.into_iter().filter(|(_, i)| i.len() > 1) {
        let holders: Vec<String> = snapshot
            .processes
            .values()
            .filter(|p| p.listening.iter().any(|i| inodes.contains(i)))
            .filter(|p| p.role != Role::PoolWorker)
            .map(|p| format!("pid {} ({})", p.pid(), p.command()))
            .collect();
        if holders.is_empty() {
            continue;
        }
        // sock_diag says which socket is bound to the file now at the path.
        let file = std::fs::metadata(path).ok().map(|m| {
            (
                std::os::unix::fs::MetadataExt::ino(&m),
                std::os::unix::fs::MetadataExt::dev(&m),
            )
        });
        let owner = snapshot
            .listeners
            .unix
            .values()
            .find(|s| inodes.contains(&s.inode) && file.is_some() && s.file == file)
            .and_then(|s| {
                snapshot
                    .processes
                    .values()
                    .filter(|p| p.role != Role::PoolWorker)
                    .find(|p| p.listening.contains(&s.inode))
            });
        let which = match owner {
            Some(p) => format!("pid {} owns the file, the others get no requests", p.pid()),
            None => {
                format!("only the newest owns the file; `fcgi-doctor socket {path}` tells which")
            }
        };
        findings.push(Finding::new(
            &codes::SOCKET_TAKEN_OVER,
            format!("unix:{path}"),
            format!(
                "{} listening sockets are bound as {path}, held by {}: {which}",
                inodes.len(),
                holders.join(", ")
            ),
        ));
    }
}

fn pid_list(pids: &[u32]) -> String {
    const SHOWN: usize = 8;
    let mut s = pids
        .iter()
        .take(SHOWN)
        .map(|p| format!("pid {p}"))
        .collect::<Vec<_>>()
        .join(", ");
    if pids.len() > SHOWN {
        s.push_str(&format!(" and {} more", pids.len() - SHOWN));
    }
    s
}
