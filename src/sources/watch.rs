//! `ps --watch`: look at the process table again and again for a while, and
//! remember the FastCGI processes that exited. A crash loop cannot be seen in one
//! snapshot; it shows as young processes of one application dying and coming back.
//!
//! As root, the kernel's process events ([`super::proc_events`]) say every
//! fork, exec and exit as it happens, with the exit status: an application
//! its manager restarts every few seconds and that lives 12 ms is seen each
//! time. Without them (not root, a container without the connector), the
//! table is sampled every 200 ms, and such an application is missed.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::proc_events::{self, Event, ProcEvents};
use super::processes::{Role, Snapshot, Software};
use super::procfs::ProcFs;

const POLL: Duration = Duration::from_millis(200);
/// Forks, execs and exits remembered at most (a busy host forks a lot).
const MAX_TRACKED: usize = 100_000;

/// A process that exited (or became a zombie) while watched.
#[derive(Clone, Debug, Serialize)]
pub struct Exited {
    pub pid: u32,
    pub ppid: u32,
    pub command: String,
    /// From its start to its exit (process events), or to the last time it
    /// was seen alive (sampling).
    pub lived_seconds: f64,
    /// `exit 1`, `signal SEGV`; null when only sampling saw it go.
    pub status: Option<String>,
}

/// What a watch saw, and how.
pub struct Watched {
    pub snapshot: Snapshot,
    pub exited: Vec<Exited>,
    /// `process events` or `sampling /proc every 200 ms`.
    pub seen_by: &'static str,
}

/// Watches for `duration`, then returns the last snapshot and what exited.
pub fn watch(proc: &ProcFs, duration: Duration) -> io::Result<Watched> {
    let events = (proc.root() == std::path::Path::new("/proc"))
        .then(ProcEvents::open)
        .and_then(Result::ok);
    let end = Instant::now() + duration;
    let mut alive: HashMap<u32, (u64, Exited)> = HashMap::new();
    let mut sampled = Vec::new();
    let mut tracker = Tracker::default();
    loop {
        let snapshot = Snapshot::take(proc)?;
        tracker.learn(&snapshot);
        let mut now_alive: HashMap<u32, (u64, Exited)> = HashMap::new();
        for p in snapshot.processes.values() {
            // php-fpm replaces pool workers as a matter of course
            // (pm.max_requests, spare-worker culling): their exits prove
            // nothing; its log says when they crash.
            if p.is_zombie() || !p.role.is_fastcgi() || p.role == Role::PoolWorker {
                continue;
            }
            let lived = snapshot.age(&p.stat);
            now_alive.insert(
                p.pid(),
                (
                    p.stat.start_ticks,
                    Exited {
                        pid: p.pid(),
                        ppid: p.stat.ppid,
                        command: p.command(),
                        lived_seconds: (lived * 10.0).round() / 10.0,
                        status: None,
                    },
                ),
            );
        }
        for (pid, (start, seen)) in alive.drain() {
            // Gone, or the pid now belongs to a newer process.
            let same = now_alive.get(&pid).is_some_and(|(s, _)| *s == start);
            if !same {
                sampled.push(seen);
            }
        }
        alive = now_alive;
        if Instant::now() >= end {
            let mut snapshot = snapshot;
            let seen_by = match events {
                Some(_) => "process events",
                None => "sampling /proc every 200 ms",
            };
            let mut exited = match events {
                Some(_) => tracker.exited(&mut snapshot, sampled),
                None => sampled,
            };
            exited.sort_by_key(|e| e.pid);
            return Ok(Watched {
                snapshot,
                exited,
                seen_by,
            });
        }
        let next = (Instant::now() + POLL).min(end);
        match &events {
            Some(events) => {
                // Until the next look at the table, the kernel's events.
                while let Some(wait) = next.checked_duration_since(Instant::now()) {
                    let mut got = Vec::new();
                    events.next(wait, &mut got)?;
                    for e in got {
                        tracker.event(e, proc);
                    }
                    if wait.is_zero() {
                        break;
                    }
                }
            }
            None => std::thread::sleep(next.saturating_duration_since(Instant::now())),
        }
    }
}

/// What the process events said, joined with what the snapshots saw.
#[derive(Default)]
struct Tracker {
    /// child → (parent, fork time in ns).
    forks: HashMap<u32, (u32, u64)>,
    /// pid → the command it exec'd, read at once.
    commands: HashMap<u32, String>,
    /// (pid, wait status, exit time in ns).
    exits: Vec<(u32, u32, u64)>,
    /// Every process of the FastCGI side a snapshot saw: role, software,
    /// command, start ticks and parent.
    seen: HashMap<u32, (Role, Software, String, u64, u32)>,
    clock_ticks: u64,
}

impl Tracker {
    fn learn(&mut self, snapshot: &Snapshot) {
        self.clock_ticks = snapshot.clock_ticks.max(1);
        for p in snapshot.processes.values() {
            if self.seen.len() < MAX_TRACKED {
                self.seen.insert(
                    p.pid(),
                    (
                        p.role,
                        p.software,
                        p.command(),
                        p.stat.start_ticks,
                        p.stat.ppid,
                    ),
                );
            }
        }
    }

    fn event(&mut self, e: Event, proc: &ProcFs) {
        match e {
            Event::Fork { parent, child, ns } if self.forks.len() < MAX_TRACKED => {
                self.forks.insert(child, (parent, ns));
            }
            Event::Exec { pid, .. } if self.commands.len() < MAX_TRACKED => {
                // Read now: a process that lives milliseconds is gone soon.
                if let Ok(args) = proc.cmdline(pid) {
                    if !args.is_empty() {
                        self.commands.insert(pid, args.join(" "));
                    }
                }
            }
            Event::Exit { pid, status, ns }
                if self.exits.len() < MAX_TRACKED
                    && (self.forks.contains_key(&pid) || self.seen.contains_key(&pid)) =>
            {
                self.exits.push((pid, status, ns));
            }
            _ => {}
        }
    }

    /// The FastCGI processes that exited: those a snapshot saw as
    /// applications or managers, and the children a FastCGI process manager
    /// (or a web server's child: mod_fastcgi's fcgi-pm, mod_fcgid's manager)
    /// started that failed. A web server's child whose children failed so is
    /// a process manager, and the snapshot says so.
    fn exited(&self, snapshot: &mut Snapshot, sampled: Vec<Exited>) -> Vec<Exited> {
        let ticks = self.clock_ticks as f64;
        let mut out: Vec<Exited> = Vec::new();
        for &(pid, status, ns) in &self.exits {
            let fork = self.forks.get(&pid).copied();
            let seen = self.seen.get(&pid);
            let ppid = fork.map(|(p, _)| p).or(seen.map(|s| s.4)).unwrap_or(0);
            let parent = self.seen.get(&ppid);
            let is_app = seen.is_some_and(|s| s.0.is_fastcgi() && s.0 != Role::PoolWorker);
            let from_manager = parent.is_some_and(|p| match p.0 {
                Role::ProcessManager => p.1 != Software::PhpFpm,
                Role::WebWorker => p.1 == Software::Apache || p.1 == Software::Lighttpd,
                _ => false,
            });
            let failed = proc_events::failed(status);
            if !(is_app || (from_manager && failed)) {
                continue;
            }
            let lived = match (fork, seen) {
                (Some((_, forked)), _) => ns.saturating_sub(forked) as f64 / 1e9,
                (None, Some(s)) => (ns as f64 / 1e9 - s.3 as f64 / ticks).max(0.0),
                (None, None) => 0.0,
            };
            let command = self
                .commands
                .get(&pid)
                .cloned()
                .or_else(|| seen.map(|s| s.2.clone()))
                .unwrap_or_else(|| format!("pid {pid} (gone before it could be read)"));
            out.push(Exited {
                pid,
                ppid,
                command,
                lived_seconds: (lived * 1000.0).round() / 1000.0,
                status: Some(proc_events::status_text(status)),
            });
            if failed && from_manager {
                if let Some(p) = snapshot.processes.get_mut(&ppid) {
                    if p.role == Role::WebWorker {
                        p.role = Role::ProcessManager;
                    }
                }
            }
        }
        // A process sampling saw go whose exit the events missed (a full
        // receive queue drops them) is still told.
        for s in sampled {
            if !out.iter().any(|e| e.pid == s.pid) {
                out.push(s);
            }
        }
        out
    }
}
