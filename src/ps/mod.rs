//! `fcgi-doctor ps`: the web servers, FastCGI process managers, pool workers
//! and applications of this host as a tree, and what is wrong with them.

mod checks;
mod render;
mod watch;

use std::time::Duration;

use serde::Serialize;

use crate::finding::Finding;
use crate::processes::{Process, Role, Snapshot, Software};
use crate::procfs::ProcFs;
use crate::webuser::{self, ConfigRoot, WebUser};

pub use render::render_human;

#[derive(Debug)]
pub struct PsSettings {
    /// Show identical siblings one by one instead of collapsing them.
    pub all: bool,
    /// Watch this long for processes that die and restart.
    pub watch: Option<Duration>,
    pub web_user: Option<String>,
    pub proc: ProcFs,
    pub config: ConfigRoot,
}

#[derive(Debug, Serialize)]
pub struct PsReport {
    pub web_user: Option<WebUser>,
    pub summary: Summary,
    /// The tree: processes whose parent is not shown, each with its `children`.
    pub processes: Vec<Node>,
    /// Processes that exited while watched (with --watch).
    pub exited: Vec<watch::Exited>,
    pub notes: Vec<String>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
    #[serde(skip)]
    pub all: bool,
}

#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub web_servers: usize,
    pub process_managers: usize,
    pub pool_workers: usize,
    pub apps: usize,
    pub total: usize,
}

#[derive(Debug, Serialize)]
pub struct Node {
    pub pid: u32,
    pub ppid: u32,
    pub user: String,
    pub uid: Option<u32>,
    /// The kernel's state letter: R, S, D, Z, T...
    pub state: char,
    pub role: Role,
    pub software: Software,
    /// php-fpm pool, from the worker's title.
    pub pool: Option<String>,
    pub threads: u32,
    pub rss_bytes: u64,
    pub cpu_seconds: f64,
    /// CPU time over lifetime, as ps computes %CPU.
    pub cpu_percent: f64,
    pub age_seconds: f64,
    pub command: String,
    /// Addresses of the listening sockets it holds (`unix:/path`, `127.0.0.1:9000`).
    pub listening: Vec<String>,
    /// Client connections it holds (a busy php-fpm worker holds one).
    pub connections: usize,
    /// False when its descriptors could not be read (not root).
    pub fds_visible: bool,
    pub children: Vec<Node>,
}

pub fn run(settings: &PsSettings) -> Result<PsReport, String> {
    let read = |e: std::io::Error| format!("cannot read the process table: {e}");
    let (snapshot, exited) = match settings.watch {
        Some(duration) => watch::watch(&settings.proc, duration).map_err(read)?,
        None => (Snapshot::take(&settings.proc).map_err(read)?, Vec::new()),
    };
    let mut notes = Vec::new();
    let web_user = match &settings.web_user {
        Some(name) => {
            Some(webuser::named(name, "--web-user").map_err(|e| format!("--web-user: {e}"))?)
        }
        None => webuser::detect(&snapshot, &settings.config),
    };
    let findings = checks::run(&snapshot, web_user.as_ref(), &exited, &mut notes);
    if snapshot.hidden_fds > 0 {
        notes.push(format!(
            "running as {}: the descriptors of {} processes of other users could not be read, \
             so their sockets, connections and pool saturation are not shown (run as root)",
            crate::access::user_name(nix::unistd::geteuid().as_raw()),
            snapshot.hidden_fds
        ));
    }
    if settings.watch.is_none() {
        notes.push(
            "crash loops show over time: add --watch 10s to watch for processes that die and \
             restart"
                .into(),
        );
    }
    Ok(PsReport {
        web_user,
        summary: summarize(&snapshot),
        processes: tree(&snapshot),
        exited,
        notes,
        findings,
        all: settings.all,
    })
}

fn summarize(snapshot: &Snapshot) -> Summary {
    let mut s = Summary::default();
    for p in snapshot.processes.values() {
        s.total += 1;
        match p.role {
            Role::WebServer => s.web_servers += 1,
            Role::ProcessManager => s.process_managers += 1,
            Role::PoolWorker => s.pool_workers += 1,
            Role::App => s.apps += 1,
            Role::WebWorker | Role::Other => {}
        }
    }
    s
}

fn tree(snapshot: &Snapshot) -> Vec<Node> {
    let roots: Vec<u32> = snapshot
        .processes
        .values()
        .filter(|p| !snapshot.processes.contains_key(&p.stat.ppid) || p.stat.ppid == p.pid())
        .map(Process::pid)
        .collect();
    roots.into_iter().map(|pid| node(snapshot, pid, 0)).collect()
}

fn node(snapshot: &Snapshot, pid: u32, depth: usize) -> Node {
    let p = &snapshot.processes[&pid];
    let age = snapshot.age(&p.stat);
    let cpu = snapshot.cpu_seconds(&p.stat);
    // The tree is at most as deep as the process table; a cycle cannot occur
    // because a pid's parent is older, but guard anyway.
    let children = if depth < 64 {
        snapshot
            .children_of(pid)
            .filter(|c| c.pid() != pid)
            .map(|c| node(snapshot, c.pid(), depth + 1))
            .collect()
    } else {
        Vec::new()
    };
    Node {
        pid,
        ppid: p.stat.ppid,
        user: p.user.clone(),
        uid: p.uid,
        state: p.stat.state,
        role: p.role,
        software: p.software,
        pool: p.pool.clone(),
        threads: p.stat.threads,
        rss_bytes: p.stat.rss_bytes,
        cpu_seconds: round2(cpu),
        cpu_percent: if age > 0.0 {
            round2(100.0 * cpu / age)
        } else {
            0.0
        },
        age_seconds: round2(age),
        command: p.command(),
        listening: p
            .listening
            .iter()
            .filter_map(|&i| snapshot.listeners.describe(i))
            .collect(),
        connections: p.connections,
        fds_visible: p.fds_visible,
        children,
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}
