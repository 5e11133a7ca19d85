//! `fcgi-doctor ps`: the web servers, FastCGI process managers, pool workers
//! and applications of this host as a tree, and what is wrong with them.

use std::borrow::Cow;
use std::time::Duration;

use serde::Serialize;

use crate::checks::{processes, visibility, web_user};
use crate::core::outcome::Outcome;
use crate::sources::host::Host;
use crate::sources::processes::{Process, Role, Snapshot, Software};
use crate::sources::procfs::ProcFs;
use crate::sources::watch::{self, Exited};
use crate::sources::webuser::WebUser;

#[derive(Debug)]
pub struct PsSettings {
    /// Show identical siblings one by one instead of collapsing them.
    pub all: bool,
    /// Watch this long for processes that die and restart.
    pub watch: Option<Duration>,
}

#[derive(Debug, Default, Serialize)]
pub struct PsReport {
    pub web_user: Option<WebUser>,
    pub summary: Summary,
    /// The tree: processes whose parent is not shown, each with its `children`.
    pub processes: Vec<Node>,
    /// Processes that exited while watched (with --watch).
    pub exited: Vec<Exited>,
    /// With --watch: `process events` (the kernel's, as root) or `sampling
    /// /proc every 200 ms`.
    pub watched_by: Option<&'static str>,
    /// Show identical siblings one by one (`--all`).
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

pub fn run(settings: &PsSettings, host: &Host) -> Outcome<PsReport> {
    let mut out = Outcome::new(PsReport {
        all: settings.all,
        ..PsReport::default()
    });
    if let Some(duration) = settings.watch {
        match watch::watch(host.proc(), duration) {
            Ok(watched) => {
                host.install_snapshot(watched.snapshot);
                out.data.exited = watched.exited;
                out.data.watched_by = Some(watched.seen_by);
                if watched.seen_by != "process events" {
                    out.notes.push(format!(
                        "watched by {}: an application that lives less than that between \
                         looks is missed (as root, the kernel's process events see every one)",
                        watched.seen_by
                    ));
                }
            }
            Err(e) => out.notes.push(format!("--watch stopped early: {e}")),
        }
    }
    let snapshot = match host.snapshot() {
        Ok(snapshot) => snapshot,
        Err(why) => {
            out.skip("process_table", "host", "ps", why.to_string());
            out.unchecked = true;
            return out;
        }
    };
    let snapshot = without_reaped_zombies(snapshot, host.proc());
    let web_user = host.web_user();
    out.data.web_user = web_user.cloned();
    out.notes.extend(web_user::note(web_user));
    let checked = processes::run(host, &snapshot, web_user, &out.data.exited);
    out.absorb(checked);
    out.skipped.extend(visibility::hidden_descriptors(
        &snapshot,
        "their sockets, connections and pool saturation are not shown",
    ));
    if settings.watch.is_none() {
        out.notes.push(
            "crash loops show over time: add --watch 10s to watch for processes that die and \
             restart"
                .into(),
        );
    }
    out.data.summary = summarize(&snapshot);
    out.data.processes = tree(&snapshot);
    crate::checks::fixes::localize_all(&mut out.findings, host);
    out
}

/// A worker caught between its exit and its parent's wait() is a zombie for a
/// moment: look again a little later and keep only those still there.
fn without_reaped_zombies<'a>(snapshot: &'a Snapshot, proc: &ProcFs) -> Cow<'a, Snapshot> {
    let zombies: Vec<u32> = snapshot
        .processes
        .values()
        .filter(|p| p.is_zombie())
        .map(Process::pid)
        .collect();
    if zombies.is_empty() {
        return Cow::Borrowed(snapshot);
    }
    std::thread::sleep(Duration::from_millis(100));
    let reaped: Vec<u32> = zombies
        .into_iter()
        .filter(|&pid| {
            !proc.stat(pid).is_ok_and(|s| {
                s.state == 'Z'
                    && Some(s.start_ticks)
                        == snapshot.processes.get(&pid).map(|p| p.stat.start_ticks)
            })
        })
        .collect();
    if reaped.is_empty() {
        return Cow::Borrowed(snapshot);
    }
    let mut fresh = snapshot.clone();
    for pid in reaped {
        fresh.processes.remove(&pid);
    }
    Cow::Owned(fresh)
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
    use crate::sources::files::ConfigRoot;
    use crate::sources::fixture::{FakeProc, Proc};

    /// `ps` on the fixture; the configuration root is the fixture too.
    fn run(fake: &FakeProc) -> Outcome<PsReport> {
        let host = Host::new(
            ProcFs::recorded(fake.root()),
            ConfigRoot(fake.root().to_path_buf()),
        );
        super::run(
            &PsSettings {
                all: false,
                watch: None,
            },
            &host,
        )
    }

    fn proc<'a>(pid: u32, ppid: u32, comm: &'a str, uid: u32, args: &'a [&'a str]) -> Proc<'a> {
        Proc::new(pid, ppid, comm, uid, args)
    }

    fn codes(report: &Outcome<PsReport>) -> Vec<&str> {
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
        let report = run(&fake);
        let roots: Vec<u32> = report.data.processes.iter().map(|n| n.pid).collect();
        assert_eq!(roots, [100, 200, 300, 400], "init and sshd are left out");
        let fpm = &report.data.processes[0];
        assert_eq!(fpm.role, Role::ProcessManager);
        assert_eq!(fpm.listening, ["unix:/run/php/www.sock"]);
        let pools: Vec<_> = fpm.children.iter().map(|c| c.pool.as_deref()).collect();
        assert_eq!(pools, [Some("www"), Some("www")]);
        assert_eq!(fpm.children[0].role, Role::PoolWorker);
        assert_eq!(report.data.processes[1].children[0].role, Role::WebWorker);
        assert_eq!(report.data.processes[3].role, Role::App);
        assert_eq!(report.data.processes[3].children[0].state, 'Z');
        assert_eq!(report.data.summary.pool_workers, 3);
        assert_eq!(report.data.summary.web_servers, 1);
        // 900 s old: started 100 s after a boot 1000 s ago.
        assert!((fpm.age_seconds - 900.0).abs() < 0.01);
    }

    #[test]
    fn orphans_zombies_and_root_apps_are_found() {
        let fake = host();
        let report = run(&fake);
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
        let report = run(&fake);
        assert_eq!(codes(&report), ["FD4001"]);
        assert!(report.data.processes.is_empty());
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
        let report = run(&fake);
        assert_eq!(report.data.summary.total, 8);
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
        let report = run(&fake);
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
        // The master names its configuration as a host path, read under the
        // configuration root (the fixture).
        std::fs::create_dir_all(fake.root().join("etc/php")).unwrap();
        std::fs::write(
            fake.root().join("etc/php/php-fpm.conf"),
            "[www]\npm = dynamic\npm.max_children = 2\n",
        )
        .unwrap();
        let title = "php-fpm: master process (/etc/php/php-fpm.conf)";
        fake.listening(5000, "/run/php/www.sock");
        // Worker 101 serves a client; worker 102 only has a journald stream.
        fake.connected(5001, "/run/php/www.sock");
        fake.connected(5002, "");
        fake.add(Proc {
            sockets: &[5000],
            ..proc(100, 1, "php-fpm8.2", 0, &[title])
        });
        fake.add(Proc {
            sockets: &[5000, 5001],
            ..proc(101, 100, "php-fpm8.2", 33, &["php-fpm: pool www"])
        });
        fake.add(Proc {
            sockets: &[5000, 5002],
            ..proc(102, 100, "php-fpm8.2", 33, &["php-fpm: pool www"])
        });
        let report = run(&fake);
        assert!(!codes(&report).contains(&"FD4004"), "{:?}", codes(&report));
        fake.connected(5003, "/run/php/www.sock");
        fake.add(Proc {
            sockets: &[5000, 5002, 5003],
            ..proc(102, 100, "php-fpm8.2", 33, &["php-fpm: pool www"])
        });
        let report = run(&fake);
        let f = report.findings.iter().find(|f| f.code == "FD4004").unwrap();
        assert_eq!(f.subject, "pool www");
        assert_eq!(report.data.processes[0].children[1].connections, 1);
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
        let report = run(&fake);
        let master = &report.data.processes[0];
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
        let report = run(&fake);
        assert_eq!(codes(&report), Vec::<&str>::new());
        assert!(report
            .notes
            .iter()
            .any(|n| n.contains("does not serve through FastCGI")));
        assert_eq!(report.data.processes[0].children[1].role, Role::Other);
    }
}
