//! `ps --watch`: look at the process table again and again for a while, and
//! remember the FastCGI processes that exited. A crash loop cannot be seen in one
//! snapshot; it shows as young processes of one application dying and coming back.

use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::processes::{Role, Snapshot};
use super::procfs::ProcFs;

const POLL: Duration = Duration::from_millis(200);

/// A process that exited (or became a zombie) while watched.
#[derive(Clone, Debug, Serialize)]
pub struct Exited {
    pub pid: u32,
    pub ppid: u32,
    pub command: String,
    /// From its start to the last time it was seen alive.
    pub lived_seconds: f64,
}

/// Watches for `duration`, then returns the last snapshot and what exited.
pub fn watch(proc: &ProcFs, duration: Duration) -> io::Result<(Snapshot, Vec<Exited>)> {
    let end = Instant::now() + duration;
    let mut alive: HashMap<u32, (u64, Exited)> = HashMap::new();
    let mut exited = Vec::new();
    loop {
        let snapshot = Snapshot::take(proc)?;
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
                    },
                ),
            );
        }
        for (pid, (start, seen)) in alive.drain() {
            // Gone, or the pid now belongs to a newer process.
            let same = now_alive.get(&pid).is_some_and(|(s, _)| *s == start);
            if !same {
                exited.push(seen);
            }
        }
        alive = now_alive;
        if Instant::now() >= end {
            exited.sort_by_key(|e| e.pid);
            return Ok((snapshot, exited));
        }
        std::thread::sleep(POLL.min(end.saturating_duration_since(Instant::now())));
    }
}
