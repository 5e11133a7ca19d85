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
    /// For an Apache master: the MPM and FastCGI modules it loaded
    /// (`mpm_event`, `proxy_fcgi`, `fcgid`, `fastcgi`, `php`).
    pub modules: Vec<String>,
    pub children: Vec<Node>,
}

pub fn run(settings: &PsSettings) -> Result<PsReport, String> {
    let read = |e: std::io::Error| format!("cannot read the process table: {e}");
    let (mut snapshot, exited) = match settings.watch {
        Some(duration) => watch::watch(&settings.proc, duration).map_err(read)?,
        None => (Snapshot::take(&settings.proc).map_err(read)?, Vec::new()),
    };
    drop_reaped_zombies(&mut snapshot, &settings.proc);
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

/// A worker caught between its exit and its parent's wait() is a zombie for a
/// moment: look again a little later and keep only those still there.
fn drop_reaped_zombies(snapshot: &mut Snapshot, proc: &ProcFs) {
    let zombies: Vec<u32> = snapshot
        .processes
        .values()
        .filter(|p| p.is_zombie())
        .map(Process::pid)
        .collect();
    if zombies.is_empty() {
        return;
    }
    std::thread::sleep(Duration::from_millis(100));
    for pid in zombies {
        let still = proc.stat(pid).is_ok_and(|s| {
            s.state == 'Z'
                && Some(s.start_ticks) == snapshot.processes.get(&pid).map(|p| p.stat.start_ticks)
        });
        if !still {
            snapshot.processes.remove(&pid);
        }
    }
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
    roots
        .into_iter()
        .map(|pid| node(snapshot, pid, 0))
        .collect()
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
        modules: p.modules.clone(),
        children,
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::procfs::fixture::{FakeProc, Proc};

    fn settings(fake: &FakeProc) -> PsSettings {
        PsSettings {
            all: false,
            watch: None,
            web_user: None,
            proc: ProcFs::new(fake.root()),
            config: ConfigRoot(fake.root().to_path_buf()),
        }
    }

    fn proc<'a>(pid: u32, ppid: u32, comm: &'a str, uid: u32, args: &'a [&'a str]) -> Proc<'a> {
        Proc {
            pid,
            ppid,
            comm,
            state: 'S',
            uid,
            threads: 1,
            args,
            sockets: &[],
        }
    }

    fn codes(report: &PsReport) -> Vec<&str> {
        report.findings.iter().map(|f| f.code).collect()
    }

    /// A host with init, an nginx, a php-fpm master with two www workers, a
    /// flup app, an orphaned worker of a dead master, and a zombie.
    fn host() -> FakeProc {
        let mut fake = FakeProc::new();
        fake.listening(5000, "/run/php/www.sock");
        fake.listening(6000, "/run/app.sock");
        fake.listening(7000, "/run/php/old.sock");
        fake.add(proc(1, 0, "init", 0, &["/sbin/init"]));
        fake.add(proc(50, 1, "sshd", 0, &["sshd: /usr/sbin/sshd -D"]));
        fake.add(proc(
            200,
            1,
            "nginx",
            0,
            &["nginx: master process /usr/sbin/nginx"],
        ));
        fake.add(proc(201, 200, "nginx", 33, &["nginx: worker process"]));
        let master = ["php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"];
        fake.add(Proc {
            sockets: &[5000],
            ..proc(100, 1, "php-fpm8.2", 0, &master)
        });
        for pid in [101, 102] {
            fake.add(Proc {
                sockets: &[5000],
                ..proc(pid, 100, "php-fpm8.2", 33, &["php-fpm: pool www"])
            });
        }
        fake.add(Proc {
            sockets: &[7000],
            ..proc(300, 1, "php-fpm8.2", 33, &["php-fpm: pool old"])
        });
        fake.add(Proc {
            sockets: &[6000],
            threads: 4,
            ..proc(400, 1, "python3", 0, &["python3", "/srv/app.fcgi"])
        });
        fake.add(Proc {
            state: 'Z',
            ..proc(401, 400, "python3", 0, &[])
        });
        fake
    }

    #[test]
    fn the_tree_holds_the_fastcgi_side_only() {
        let fake = host();
        let report = run(&settings(&fake)).unwrap();
        let roots: Vec<u32> = report.processes.iter().map(|n| n.pid).collect();
        assert_eq!(roots, [100, 200, 300, 400], "init and sshd are left out");
        let fpm = &report.processes[0];
        assert_eq!(fpm.role, Role::ProcessManager);
        assert_eq!(fpm.listening, ["unix:/run/php/www.sock"]);
        let pools: Vec<_> = fpm.children.iter().map(|c| c.pool.as_deref()).collect();
        assert_eq!(pools, [Some("www"), Some("www")]);
        assert_eq!(fpm.children[0].role, Role::PoolWorker);
        assert_eq!(report.processes[1].children[0].role, Role::WebWorker);
        assert_eq!(report.processes[3].role, Role::App);
        assert_eq!(report.processes[3].children[0].state, 'Z');
        assert_eq!(report.summary.pool_workers, 3);
        assert_eq!(report.summary.web_servers, 1);
        // 900 s old: started 100 s after a boot 1000 s ago.
        assert!((fpm.age_seconds - 900.0).abs() < 0.01);
    }

    #[test]
    fn orphans_zombies_and_root_apps_are_found() {
        let fake = host();
        let report = run(&settings(&fake)).unwrap();
        let codes = codes(&report);
        assert!(codes.contains(&"FD4002"), "{codes:?}");
        assert!(codes.contains(&"FD4003"), "{codes:?}");
        assert!(codes.contains(&"FD3002"), "{codes:?}");
        assert!(!codes.contains(&"FD4001"), "{codes:?}");
        let orphan = report.findings.iter().find(|f| f.code == "FD4002").unwrap();
        assert!(orphan.message.contains("pid 300"), "{}", orphan.message);
        assert!(
            orphan.message.contains("/run/php/old.sock"),
            "{}",
            orphan.message
        );
        assert!(orphan.fix.starts_with("kill 300"), "{}", orphan.fix);
        let zombie = report.findings.iter().find(|f| f.code == "FD4003").unwrap();
        assert_eq!(zombie.subject, "pid 400");
    }

    #[test]
    fn an_empty_host_has_nothing_running() {
        let fake = FakeProc::new();
        fake.add(proc(1, 0, "init", 0, &["/sbin/init"]));
        let report = run(&settings(&fake)).unwrap();
        assert_eq!(codes(&report), ["FD4001"]);
        assert!(report.processes.is_empty());
    }

    #[test]
    fn vanished_and_garbled_processes_are_skipped() {
        let fake = host();
        // Listed by readdir, gone before its files were read.
        std::fs::create_dir(fake.root().join("900")).unwrap();
        // A stat line cut short.
        std::fs::create_dir(fake.root().join("901")).unwrap();
        std::fs::write(fake.root().join("901/stat"), "901 (php-fpm8.2) S").unwrap();
        // Not UTF-8 in the command name.
        std::fs::create_dir(fake.root().join("902")).unwrap();
        std::fs::write(fake.root().join("902/stat"), b"902 (\xff\xfe) S 1 0").unwrap();
        let report = run(&settings(&fake)).unwrap();
        assert_eq!(report.summary.total, 8);
    }

    #[test]
    fn identical_siblings_collapse_unless_all() {
        let fake = host();
        let mut report = run(&settings(&fake)).unwrap();
        let mut out = Vec::new();
        render_human(&mut out, &report).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("2*[php-fpm: pool www]"), "{text}");
        report.all = true;
        let mut out = Vec::new();
        render_human(&mut out, &report).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("php-fpm: pool www").count(), 2, "{text}");
    }

    #[test]
    fn a_lone_single_threaded_app_behind_nginx_is_found() {
        let mut fake = host();
        fake.listening(8000, "/run/single.sock");
        fake.add(Proc {
            sockets: &[8000],
            ..proc(
                500,
                1,
                "php-cgi8.2",
                33,
                &["php-cgi", "-b", "/run/single.sock"],
            )
        });
        let report = run(&settings(&fake)).unwrap();
        let f = report
            .findings
            .iter()
            .find(|f| f.code == "FD4006")
            .expect("FD4006");
        assert_eq!(f.subject, "unix:/run/single.sock");
    }

    #[test]
    fn a_pool_is_saturated_only_when_every_worker_holds_a_client() {
        let mut fake = FakeProc::new();
        let conf = fake.root().join("php-fpm.conf");
        std::fs::write(&conf, "[www]\npm = dynamic\npm.max_children = 2\n").unwrap();
        let title = format!("php-fpm: master process ({})", conf.display());
        fake.listening(5000, "/run/php/www.sock");
        // Worker 101 serves a client; worker 102 only has a journald stream.
        fake.connected(5001, "/run/php/www.sock");
        fake.connected(5002, "");
        fake.add(Proc {
            sockets: &[5000],
            ..proc(100, 1, "php-fpm8.2", 0, &[title.as_str()])
        });
        fake.add(Proc {
            sockets: &[5000, 5001],
            ..proc(101, 100, "php-fpm8.2", 33, &["php-fpm: pool www"])
        });
        fake.add(Proc {
            sockets: &[5000, 5002],
            ..proc(102, 100, "php-fpm8.2", 33, &["php-fpm: pool www"])
        });
        let report = run(&settings(&fake)).unwrap();
        assert!(!codes(&report).contains(&"FD4004"), "{:?}", codes(&report));
        fake.connected(5003, "/run/php/www.sock");
        fake.add(Proc {
            sockets: &[5000, 5002, 5003],
            ..proc(102, 100, "php-fpm8.2", 33, &["php-fpm: pool www"])
        });
        let report = run(&settings(&fake)).unwrap();
        let f = report.findings.iter().find(|f| f.code == "FD4004").unwrap();
        assert_eq!(f.subject, "pool www");
        assert_eq!(report.processes[0].children[1].connections, 1);
    }

    /// An Apache master (pid 10, root) with `modules` mapped, and one worker
    /// (pid 11, www-data).
    fn apache_with_one_worker(fake: &FakeProc, modules: &[&str]) {
        let start = ["/usr/sbin/apache2", "-k", "start"];
        fake.add(proc(10, 1, "apache2", 0, &start));
        fake.maps(10, modules);
        fake.add(proc(11, 10, "apache2", 33, &start));
    }

    #[test]
    fn an_idle_mod_fcgid_process_manager_is_told_from_the_workers() {
        let fake = FakeProc::new();
        apache_with_one_worker(
            &fake,
            &[
                "/usr/lib/apache2/modules/mod_mpm_event.so",
                "/usr/lib/apache2/modules/mod_fcgid.so",
                "/usr/lib/apache2/modules/mod_alias.so",
            ],
        );
        fake.add(Proc {
            threads: 27,
            ..proc(12, 10, "apache2", 33, &["/usr/sbin/apache2", "-k", "start"])
        });
        let report = run(&settings(&fake)).unwrap();
        let master = &report.processes[0];
        assert_eq!(master.modules, ["fcgid", "mpm_event"]);
        assert_eq!(master.children[0].role, Role::ProcessManager);
        assert_eq!(master.children[1].role, Role::WebWorker);
    }

    #[test]
    fn apache_with_mod_php_only_is_not_a_dead_fastcgi_setup() {
        let fake = FakeProc::new();
        apache_with_one_worker(
            &fake,
            &[
                "/usr/lib/apache2/modules/mod_mpm_prefork.so",
                "/usr/lib/apache2/modules/libphp8.2.so",
                "/usr/lib/apache2/modules/mod_php8.2.so",
            ],
        );
        // A piped logger is Apache's child, not a FastCGI application.
        fake.add(proc(
            12,
            10,
            "rotatelogs",
            0,
            &["/usr/bin/rotatelogs", "/var/log/x", "86400"],
        ));
        let report = run(&settings(&fake)).unwrap();
        assert_eq!(codes(&report), Vec::<&str>::new());
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("does not serve through FastCGI")));
        assert_eq!(report.processes[0].children[1].role, Role::Other);
    }
}
