//! `ps` through the real binary, against real php-fpm, flup and nginx, and small
//! scripted processes for what no real server does on demand (zombies, crash
//! loops). Other tests run servers at the same time, so every assertion picks
//! out this test's own processes by pid or path.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::servers::{self, lab_dir};
use crate::util::{fcgi_doctor, is_root, require, Run};

fn ps_json(extra: &[&str]) -> Run {
    let mut args = vec!["ps", "--format", "json"];
    args.extend_from_slice(extra);
    fcgi_doctor(args).run()
}

/// Every process of the JSON tree, flattened.
fn nodes(run: &Run) -> Vec<Value> {
    fn walk(n: &Value, out: &mut Vec<Value>) {
        out.push(n.clone());
        for c in n["children"].as_array().into_iter().flatten() {
            walk(c, out);
        }
    }
    let mut out = Vec::new();
    for root in run.json()["processes"].as_array().expect("processes") {
        walk(root, &mut out);
    }
    out
}

fn node(run: &Run, pid: u32) -> Value {
    nodes(run)
        .into_iter()
        .find(|n| n["pid"] == pid)
        .unwrap_or_else(|| panic!("pid {pid} not in the tree: {}", run.stdout))
}

fn findings_with(run: &Run, code: &str, text: &str) -> Vec<Value> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == code)
        .filter(|f| f["message"].as_str().unwrap().contains(text) || f["subject"] == text)
        .cloned()
        .collect()
}

/// Polls `ps` until `done` holds for its output, for at most `limit`.
fn ps_until(extra: &[&str], limit: Duration, done: impl Fn(&Run) -> bool) -> Run {
    let deadline = Instant::now() + limit;
    loop {
        let run = ps_json(extra);
        if done(&run) || Instant::now() > deadline {
            return run;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The pids whose parent is `ppid`, from /proc.
fn children_of(ppid: u32) -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .filter(|pid: &u32| parent_of(*pid) == Some(ppid))
        .collect();
    pids.sort_unstable();
    pids
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..]
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Kills the pids it holds when dropped, so a failing test leaves no orphans.
struct KillOnDrop(Vec<u32>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        for &pid in &self.0 {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

#[test]
fn the_tree_of_real_php_fpm_flup_and_nginx() {
    let fpm_binary = need!(servers::php_fpm_binary(), "php-fpm");
    let python = need!(servers::python_with_flup(), "python3 with flup");
    let nginx_binary = need!(servers::nginx_binary(), "nginx");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&fpm_binary, dir.path());
    let (flup, flup_sock) = servers::start_flup(&python, dir.path());
    let port = servers::free_port();
    let nginx = servers::start_nginx(&nginx_binary, dir.path(), port, dir.path(), "");
    // Pool workers are forked just after the sockets appear.
    let run = ps_until(&[], Duration::from_secs(5), |r| {
        nodes(r)
            .iter()
            .filter(|n| n["ppid"] == fpm.server.pid())
            .count()
            == 7
    });

    let master = node(&run, fpm.server.pid());
    assert_eq!(master["role"], "process_manager");
    assert_eq!(master["software"], "php-fpm");
    let listening = master["listening"].to_string();
    assert!(
        listening.contains(&format!("unix:{}", fpm.www_sock.display())),
        "{listening}"
    );
    assert!(listening.contains(&fpm.tcp), "{listening}");
    let mut pools: Vec<String> = master["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["role"], "pool_worker");
            c["pool"].as_str().unwrap().to_string()
        })
        .collect();
    pools.sort();
    assert_eq!(
        pools,
        ["dyn1", "noping", "slow", "tcp", "term", "www", "www"]
    );
    if is_root() {
        assert_eq!(master["user"], "root");
        assert_eq!(master["children"][0]["user"], "www-data");
    }

    let app = node(&run, flup.pid());
    assert_eq!(app["role"], "app");
    assert_eq!(app["software"], "python");
    assert_eq!(
        app["listening"],
        serde_json::json!([format!("unix:{}", flup_sock.display())])
    );
    assert!(
        app["threads"].as_u64().unwrap() > 1,
        "flup's server is threaded"
    );

    let web = node(&run, nginx.pid());
    assert_eq!(web["role"], "web_server");
    assert_eq!(web["children"][0]["role"], "web_worker");
    assert!(web["listening"]
        .to_string()
        .contains(&format!("127.0.0.1:{port}")));

    // The human tree collapses identical workers, and --all expands them.
    let human = fcgi_doctor(["ps"]).run();
    assert!(
        human.stdout.contains("2*[php-fpm: pool www]"),
        "{}",
        human.stdout
    );
    let all = fcgi_doctor(["ps", "--all"]).run();
    assert!(
        !all.stdout.contains("*[php-fpm: pool www]"),
        "{}",
        all.stdout
    );
    assert!(all.stdout.contains("php-fpm: pool www"), "{}", all.stdout);
}

#[test]
fn a_pool_with_every_worker_busy_is_at_max_children() {
    if !require(is_root(), "root (to see the workers' connections)") {
        return;
    }
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let conf = dir.path().join("php-fpm.conf").display().to_string();
    // The slow pool has one worker: one sleeping request fills it.
    let slow = fpm.slow_sock.display().to_string();
    let sleep = fpm.docroot.join("sleep.php").display().to_string();
    // And the one worker of the TCP pool: its client is a TCP connection.
    let tcp = fpm.tcp.clone();
    let busy: Vec<_> = [slow, tcp]
        .into_iter()
        .map(|target| {
            let sleep = sleep.clone();
            std::thread::spawn(move || {
                fcgi_doctor([
                    "probe",
                    &target,
                    "--script-filename",
                    &sleep,
                    "--timeout",
                    "15s",
                ])
                .run()
            })
        })
        .collect();
    let run = ps_until(&[], Duration::from_secs(5), |r| {
        findings_with(r, "FD4004", &conf).len() == 2
    });
    let found = findings_with(&run, "FD4004", &conf);
    let mut subjects: Vec<&str> = found
        .iter()
        .map(|f| f["subject"].as_str().unwrap())
        .collect();
    subjects.sort_unstable();
    assert_eq!(subjects, ["pool slow", "pool tcp"], "{}", run.stdout);
    assert_eq!(found[0]["class"], "capacity_exhaustion");
    // The www pool's two workers are idle.
    assert!(!found.iter().any(|f| f["subject"] == "pool www"));
    for b in busy {
        assert_eq!(b.join().unwrap().code, 0);
    }
}

#[test]
fn workers_left_by_a_killed_master_are_orphans() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let user = if is_root() {
        "user = www-data\ngroup = www-data\nlisten.owner = www-data\nlisten.group = www-data\n"
    } else {
        ""
    };
    let sock = dir.path().join("orphan.sock");
    let s = sock.clone();
    let mut fpm = servers::start_php_fpm_with(
        &binary,
        dir.path(),
        &format!("[orphan]\n{user}listen = {{d}}/orphan.sock\npm = static\npm.max_children = 2\n"),
        || s.exists(),
    );
    let master = fpm.pid();
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut workers = children_of(master);
    while workers.len() < 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        workers = children_of(master);
    }
    assert_eq!(workers.len(), 2, "php-fpm forked its two workers");
    let _cleanup = KillOnDrop(workers.clone());
    fpm.kill_hard();
    let run = ps_until(&[], Duration::from_secs(5), |r| {
        !findings_with(r, "FD4002", &format!("pid {}", workers[0])).is_empty()
    });
    let found = findings_with(&run, "FD4002", &format!("pid {}", workers[0]));
    assert_eq!(found.len(), 1, "{}", run.stdout);
    let message = found[0]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("pid {}", workers[1])),
        "{message}"
    );
    if is_root() {
        assert!(
            message.contains(&format!("unix:{}", sock.display())),
            "{message}"
        );
    }
    assert!(found[0]["fix"].as_str().unwrap().starts_with("kill "));
    let orphan = node(&run, workers[0]);
    assert_eq!(orphan["role"], "pool_worker");
    assert_ne!(orphan["ppid"], master);
    // They still serve the socket: the reason they matter.
    let probe = fcgi_doctor(["probe", sock.to_str().unwrap(), "--format", "json"]).run();
    assert_eq!(probe.code, 0, "{}", probe.stdout);
}

const ZOMBIE_APP: &str = r#"
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
if os.fork() == 0:
    os._exit(0)
time.sleep(60)
"#;

#[test]
fn an_app_that_does_not_reap_its_children_leaves_zombies() {
    let dir = lab_dir();
    let sock = dir.path().join("zombie.sock");
    let s = sock.clone();
    let app = servers::start_python(
        std::path::Path::new("python3"),
        dir.path(),
        "zombie.fcgi",
        ZOMBIE_APP,
        &[sock.to_str().unwrap()],
        || s.exists(),
    );
    let subject = format!("pid {}", app.pid());
    let run = ps_until(&[], Duration::from_secs(5), |r| {
        !findings_with(r, "FD4003", &subject).is_empty()
    });
    let found = findings_with(&run, "FD4003", &subject);
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["class"], "app_crashed");
    let parent = node(&run, app.pid());
    assert_eq!(parent["children"][0]["state"], "Z");
}

const CRASH_LOOP_SUPERVISOR: &str = r#"
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(8)
while True:
    pid = os.fork()
    if pid == 0:
        os.dup2(s.fileno(), 0)
        time.sleep(0.3)
        os._exit(1)
    os.waitpid(pid, 0)
    time.sleep(0.1)
"#;

#[test]
fn watch_catches_an_app_that_keeps_dying() {
    let dir = lab_dir();
    let sock = dir.path().join("crash.sock");
    let s = sock.clone();
    let supervisor = servers::start_python(
        std::path::Path::new("python3"),
        dir.path(),
        "crashloop.fcgi",
        CRASH_LOOP_SUPERVISOR,
        &[sock.to_str().unwrap()],
        || s.exists(),
    );
    let run = ps_json(&["--watch", "3s"]);
    let subject = format!("pid {}", supervisor.pid());
    let found = findings_with(&run, "FD4005", &subject);
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["severity"], "critical");
    let json = run.json();
    let exited: Vec<&Value> = json["exited"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["ppid"] == supervisor.pid())
        .collect();
    assert!(exited.len() >= 2, "{}", run.stdout);
    assert!(exited
        .iter()
        .all(|e| e["lived_seconds"].as_f64().unwrap() < 1.0));
    // One snapshot cannot see it, and says so.
    let once = ps_json(&[]);
    assert!(findings_with(&once, "FD4005", &subject).is_empty());
    assert!(once.json()["notes"].to_string().contains("--watch"));
}

const SINGLE_THREADED_APP: &str = r#"
import sys
from flup.server.fcgi_single import WSGIServer
def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"one at a time\n"]
WSGIServer(app, bindAddress=sys.argv[1]).run()
"#;

#[test]
fn a_single_threaded_app_behind_nginx_is_flagged() {
    let python = need!(servers::python_with_flup(), "python3 with flup");
    let nginx_binary = need!(servers::nginx_binary(), "nginx");
    let dir = lab_dir();
    let sock = dir.path().join("single.sock");
    let s = sock.clone();
    let _app = servers::start_python(
        &python,
        dir.path(),
        "single.py",
        SINGLE_THREADED_APP,
        &[sock.to_str().unwrap()],
        || std::os::unix::net::UnixStream::connect(&s).is_ok(),
    );
    let port = servers::free_port();
    let _nginx = servers::start_nginx(&nginx_binary, dir.path(), port, dir.path(), "");
    let subject = format!("unix:{}", sock.display());
    let run = ps_json(&[]);
    let found = findings_with(&run, "FD4006", &subject);
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["class"], "capacity_exhaustion");
}

#[test]
fn as_an_unprivileged_user_it_says_what_it_could_not_see() {
    if !require(is_root(), "root (to run ps as nobody)") {
        return;
    }
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let run = fcgi_doctor(["ps", "--format", "json"])
        .run_as_nobody()
        .run();
    assert!(run.code <= 2, "{}\n{}", run.stdout, run.stderr);
    let master = node(&run, fpm.server.pid());
    assert_eq!(master["fds_visible"], false);
    assert_eq!(master["listening"], serde_json::json!([]));
    let notes = run.json()["notes"].to_string();
    assert!(notes.contains("could not be read"), "{notes}");
}

#[test]
fn an_empty_process_table_has_nothing_running() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("uptime"), "100.0 100.0\n").unwrap();
    let run = fcgi_doctor(["ps", "--format", "json"])
        .env("FCGI_DOCTOR_TEST_PROC", dir.path().to_str().unwrap())
        .run();
    assert_eq!(run.codes(), ["FD4001"], "{}", run.stdout);
    assert_eq!(run.code, 2);
}

#[test]
fn bad_ps_arguments_are_one_line_and_unknown() {
    for (args, proc) in [
        (vec!["ps", "--watch", "forever"], None),
        (vec!["ps", "--watch", "2h"], None),
        (vec!["ps"], Some("/nonexistent-proc")),
        (vec!["ps", "--web-user", "no-such-user-here"], None),
    ] {
        let mut cmd = fcgi_doctor(&args);
        if let Some(proc) = proc {
            cmd = cmd.env("FCGI_DOCTOR_TEST_PROC", proc);
        }
        let run = cmd.run();
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn apache_with_mod_proxy_fcgi_in_front_of_php_fpm() {
    if !require(is_root(), "root (Apache workers switch to www-data)") {
        return;
    }
    let apache = need!(servers::apache_binary(), "apache2");
    let fpm_binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&fpm_binary, dir.path());
    let port = servers::free_port();
    let body = format!(
        "DocumentRoot {docroot}\n<Directory {docroot}>\n  Require all granted\n</Directory>\n\
         <FilesMatch \"\\.php$\">\n  SetHandler \"proxy:unix:{sock}|fcgi://localhost\"\n</FilesMatch>\n",
        docroot = fpm.docroot.display(),
        sock = fpm.www_sock.display()
    );
    let apache = servers::start_apache(&apache, dir.path(), port, &["proxy", "proxy_fcgi"], &body);
    // The real path works: Apache hands the request to php-fpm.
    let status = servers::http_get(port, "/ok.php");
    assert!(status.contains(" 200 "), "{status}\n{}", apache.log_text());

    let run = ps_until(&[], Duration::from_secs(5), |r| {
        nodes(r)
            .iter()
            .any(|n| n["pid"] == apache.pid() && !n["children"].as_array().unwrap().is_empty())
    });
    let master = node(&run, apache.pid());
    assert_eq!(master["role"], "web_server");
    assert_eq!(master["software"], "apache");
    let modules = master["modules"].to_string();
    assert!(
        modules.contains("mpm_event") && modules.contains("proxy_fcgi"),
        "{modules}"
    );
    assert!(master["listening"]
        .to_string()
        .contains(&format!("127.0.0.1:{port}")));
    let worker = &master["children"][0];
    assert_eq!(worker["role"], "web_worker");
    assert_eq!(worker["user"], "www-data");
    assert!(
        worker["threads"].as_u64().unwrap() > 1,
        "event MPM workers are threaded"
    );

    // And `socket` takes the web user from running web server workers.
    let sock = fcgi_doctor(["socket", "--format", "json", fpm.www_sock.to_str().unwrap()]).run();
    let user = &sock.json()["web_user"];
    assert_eq!(user["name"], "www-data");
    assert!(
        user["source"].as_str().unwrap().starts_with("running "),
        "{user}"
    );
    assert_eq!(sock.code, 0, "{}", sock.stdout);
}

#[test]
fn apache_mod_fcgid_process_manager_and_its_flup_app() {
    if !require(is_root(), "root (Apache workers switch to www-data)") {
        return;
    }
    let apache = need!(servers::apache_binary(), "apache2");
    let python = need!(servers::python_with_flup(), "python3 with flup");
    if !require(
        Path::new("/usr/lib/apache2/modules/mod_fcgid.so").exists(),
        "mod_fcgid (libapache2-mod-fcgid)",
    ) {
        return;
    }
    let dir = lab_dir();
    let d = dir.path();
    let apps = d.join("fcgid");
    std::fs::create_dir(&apps).unwrap();
    let script = apps.join("app.fcgi");
    std::fs::write(
        &script,
        format!(
            "#!{}\n{}",
            servers::absolute_interpreter(&python).display(),
            servers::FLUP_APP.replace(
                "WSGIServer(app, bindAddress=sys.argv[1]).run()",
                "WSGIServer(app).run()"
            )
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = servers::free_port();
    // The IPC directory is left for mod_fcgid to create (a root-owned one
    // breaks it: real-servers.md, gotcha 3).
    let body = format!(
        "FcgidIPCDir {d}/fcgid-ipc\nFcgidProcessTableFile {d}/apache-run/fcgid_shm\n\
         DocumentRoot {apps}\n<Directory {apps}>\n  Options +ExecCGI\n\
         AddHandler fcgid-script .fcgi\n  Require all granted\n</Directory>\n",
        d = d.display(),
        apps = apps.display()
    );
    let apache = servers::start_apache(&apache, d, port, &["fcgid"], &body);
    let status = servers::http_get(port, "/app.fcgi");
    assert!(status.contains(" 200 "), "{status}\n{}", apache.log_text());

    let ipc = format!("unix:{}/fcgid-ipc/", d.display());
    let run = ps_until(&[], Duration::from_secs(5), |r| {
        nodes(r)
            .iter()
            .any(|n| n["role"] == "app" && n["listening"].to_string().contains(&ipc))
    });
    let all = nodes(&run);
    let app = all
        .iter()
        .find(|n| n["role"] == "app" && n["listening"].to_string().contains(&ipc))
        .unwrap_or_else(|| panic!("no fcgid app in {}", run.stdout));
    let _cleanup = KillOnDrop(vec![app["pid"].as_u64().unwrap() as u32]);
    assert_eq!(app["software"], "python");
    assert_eq!(app["user"], "www-data");
    let manager = node(&run, app["ppid"].as_u64().unwrap() as u32);
    assert_eq!(
        manager["role"], "process_manager",
        "mod_fcgid's process manager"
    );
    assert_eq!(manager["software"], "apache");
    assert_eq!(manager["ppid"], apache.pid());
    let master = node(&run, apache.pid());
    assert!(master["modules"].to_string().contains("fcgid"), "{master}");
    // mod_fcgid sends one request per process by design: not a finding; and
    // www-data reaches the socket mod_fcgid made for it.
    let socket = app["listening"][0].as_str().unwrap().to_string();
    for code in ["FD4006", "FD1006", "FD1007"] {
        assert!(
            findings_with(&run, code, &socket).is_empty(),
            "{code}: {}",
            run.stdout
        );
    }
}

/// No process table is no verdict: UNKNOWN, and the status line says why.
#[test]
fn without_a_process_table_ps_is_unknown_and_says_why() {
    let run = fcgi_doctor(["ps"])
        .env("FCGI_DOCTOR_TEST_PROC", "/nonexistent-proc")
        .run();
    assert_eq!(run.code, 3);
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("UNKNOWN: "), "{}", run.stdout);
    assert!(last.contains("/nonexistent-proc"), "{last}");
}

/// mod_fcgid restarts an application that dies as it starts: each lives a few
/// milliseconds, far less than a look at /proc every 200 ms can catch. As root
/// the kernel's process events see every one, with its exit status.
#[test]
fn a_crash_loop_of_millisecond_applications_is_caught() {
    if !require(is_root(), "root (the kernel's process events)") {
        return;
    }
    let apache = need!(servers::apache_binary(), "apache2");
    if !require(
        Path::new("/usr/lib/apache2/modules/mod_fcgid.so").exists(),
        "mod_fcgid (libapache2-mod-fcgid)",
    ) {
        return;
    }
    let dir = lab_dir();
    // Requests keep asking for it while ps watches.
    let (_apache, stop, asking) = servers::dying_fcgid_app(&apache, dir.path());
    let run = ps_json(&["--watch", "3s"]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    asking.join().unwrap();
    let json = run.json();
    assert_eq!(json["watched_by"], "process events", "{}", run.stdout);
    let died: Vec<&Value> = json["exited"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["command"].as_str().unwrap().contains("dies.fcgi"))
        .collect();
    assert!(died.len() >= 2, "{}", run.stdout);
    for e in &died {
        assert_eq!(e["status"], "exit 3", "{e}");
        assert!(e["lived_seconds"].as_f64().unwrap() < 0.2, "{e}");
    }
    let loops: Vec<String> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "FD4005")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    assert!(
        loops
            .iter()
            .any(|m| m.contains("dies.fcgi") && m.contains("exit 3")),
        "{loops:?}"
    );
}
