//! End to end against real servers: php-fpm (unix and TCP pools) and a flup WSGI
//! app, started by the harness on loopback and stopped by pid.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::servers::{self, lab_dir};
use crate::util::{fcgi_doctor, is_root, probe_json, Run};

fn codes(run: &Run) -> Vec<String> {
    run.codes()
}

fn check(run: &Run, want: &[&str], exit: i32) {
    assert_eq!(
        codes(run),
        want,
        "stdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, exit, "stdout: {}", run.stdout);
}

#[test]
fn php_fpm_end_to_end() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let www = fpm.www_sock.to_str().unwrap();
    let script = |name: &str| fpm.docroot.join(name).display().to_string();

    // The default request runs no code and proves a worker answered.
    let run = probe_json(www, &[]);
    check(&run, &["FD1403"], 0);
    let json = run.json();
    assert_eq!(
        json["values"]["FCGI_MPXS_CONNS"], "0",
        "php-fpm answers GET_VALUES"
    );
    assert_eq!(json["response"]["status"], 404);
    assert_eq!(
        json["connections"], 1,
        "php-fpm with PHP bug #76922 fixed takes the request on the GET_VALUES connection"
    );

    // The health check, over unix and TCP, with nginx's spelling of the target.
    for target in [format!("unix:{www}:"), fpm.tcp.clone()] {
        let run = probe_json(&target, &["--fpm-ping"]);
        check(&run, &[], 0);
        assert_eq!(run.json()["response"]["body_preview"], "pong");
        assert_eq!(run.json()["connections"], 1, "{target}");
    }

    // A real script.
    let run = probe_json(www, &["--script-filename", &script("ok.php")]);
    check(&run, &[], 0);
    let json = run.json();
    assert_eq!(json["response"]["status"], 200);
    assert_eq!(json["response"]["body_preview"], "hello from php-fpm");
    let run = probe_json(
        &fpm.tcp,
        &[
            "--script-filename",
            &script("ok.php"),
            "--expect-body",
            "hello",
        ],
    );
    check(&run, &[], 0);

    // Failures php-fpm produces on demand.
    let run = probe_json(www, &["--script-filename", &script("missing.php")]);
    check(&run, &["FD1304"], 2);
    let finding = run.finding("FD1304");
    assert_eq!(finding["class"], "script_not_found");
    assert!(
        finding["message"].as_str().unwrap().contains("missing.php"),
        "{finding}"
    );

    let run = probe_json(fpm.noping_sock.to_str().unwrap(), &["--fpm-ping"]);
    check(&run, &["FD1304"], 2);
    assert!(run.finding("FD1304")["fix"]
        .as_str()
        .unwrap()
        .contains("ping.path"));

    let run = probe_json(www, &["--script-filename", &script("stderr.php")]);
    check(&run, &["FD1311"], 1);
    assert!(
        run.finding("FD1311")["message"]
            .as_str()
            .unwrap()
            .contains("lab: a warning on stderr"),
        "{}",
        run.stdout
    );

    let run = probe_json(www, &["--script-filename", &script("fatal.php")]);
    check(&run, &["FD1307", "FD1311"], 2);
    assert!(run.json()["response"]["stderr"]
        .as_str()
        .unwrap()
        .contains("no_such_function"));

    let run = probe_json(www, &["--script-filename", &script("plain.txt")]);
    check(&run, &["FD1305"], 2);

    if is_root() {
        // As the web server's worst case: a user the socket does not admit.
        let run = probe_json(www, &["--as-user", "nobody", "--fpm-ping"]);
        check(&run, &["FD1006"], 2);
        assert!(run.finding("FD1006")["message"]
            .as_str()
            .unwrap()
            .contains("srw-rw---- www-data:www-data"));
        // And as www-data itself, it works.
        check(
            &probe_json(www, &["--as-user", "www-data", "--fpm-ping"]),
            &[],
            0,
        );

        // A script the pool user may not read.
        let secret = fpm.docroot.join("secret.php");
        std::fs::write(&secret, "<?php echo 1;").unwrap();
        std::fs::set_permissions(&secret, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
        let run = probe_json(www, &["--script-filename", secret.to_str().unwrap()]);
        check(&run, &["FD1306"], 2);
    }

    // Saturation: the one worker of [slow] sleeps, so the ping queues behind it.
    let slow = fpm.slow_sock.to_str().unwrap().to_string();
    let sleeper_script = script("sleep.php");
    let sleeper = std::thread::spawn({
        let slow = slow.clone();
        move || {
            fcgi_doctor([
                "probe",
                &slow,
                "--no-get-values",
                "--timeout",
                "10s",
                "--script-filename",
                &sleeper_script,
            ])
            .run()
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    let run = probe_json(&slow, &["--fpm-ping", "--timeout", "1s", "--no-get-values"]);
    check(&run, &["FD1101"], 2);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
    let slept = sleeper.join().unwrap();
    assert_eq!(
        slept.code, 0,
        "the sleeper itself succeeds: {}",
        slept.stdout
    );

    // php-fpm's log saw the denied and missing requests, not a crash.
    let log = fpm.server.log_text();
    assert!(!log.contains("exited on signal"), "{log}");
}

#[test]
fn a_root_probe_sees_the_socket_the_web_server_cannot_open() {
    // The case: a pool with listen.owner = root and listen.mode = 0600.
    // Root connects and php-fpm answers pong; nginx and Apache get EACCES.
    if !is_root() {
        eprintln!("skipped, because only root connects where the web user cannot");
        return;
    }
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let sock = dir.path().join("locked.sock");
    let pool = "[locked]\nuser = www-data\ngroup = www-data\nlisten = {d}/locked.sock\n\
                listen.owner = root\nlisten.group = root\nlisten.mode = 0600\n\
                pm = static\npm.max_children = 1\nping.path = /ping\n";
    let _fpm = servers::start_php_fpm_with(&binary, dir.path(), pool, || sock.exists());
    let run = probe_json(sock.to_str().unwrap(), &["--fpm-ping"]);
    check(&run, &["FD1006"], 2);
    let json = run.json();
    assert_eq!(
        json["response"]["body_preview"], "pong",
        "root itself got pong"
    );
    assert_eq!(json["access"]["user"], "www-data");
    assert_eq!(json["access"]["allowed_by_modes"], false);
    assert_eq!(json["access"]["missing_permission"], "write");
    let finding = run.finding("FD1006");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("srw------- root:root"), "{message}");
    let fix = finding["fix"].as_str().unwrap();
    assert!(
        fix.contains("[locked]") || fix.contains("locked"),
        "names the pool: {fix}"
    );
    assert!(fix.contains("listen.acl_users = www-data"), "{fix}");
}

#[test]
fn a_missing_socket_names_what_php_fpm_listens_on_instead() {
    // The web server asks for php8.1's socket, php-fpm 8.2 runs and listens
    // next to it: "start the backend" would be wrong.
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let wanted = dir.path().join("www2.sock");
    let run = probe_json(wanted.to_str().unwrap(), &["--fpm-ping"]);
    check(&run, &["FD1001"], 2);
    let finding = run.finding("FD1001");
    let message = finding["message"].as_str().unwrap();
    let www = fpm.www_sock.display().to_string();
    assert!(message.contains("what listens: "), "{message}");
    assert!(
        message.contains(&format!("{www} (php-fpm pool www (pid ")),
        "{message}"
    );
    // Its TCP pool may be past the cut at eight when other tests' servers run:
    // the unit tests of checks::what_listens cover TCP listeners.
    assert!(
        message.ends_with(&format!("the closest is {www}")),
        "{message}"
    );
    let fix = finding["fix"].as_str().unwrap();
    assert!(
        fix.starts_with(&format!(
            "The backend runs but listens elsewhere: point the web server at {www}"
        )),
        "{fix}"
    );
    let conf = dir.path().join("php-fpm.conf").display().to_string();
    assert!(fix.contains(&conf), "names the pool's file: {fix}");
}

#[test]
fn php_fpm_status_page_busy_is_not_dead() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let www = fpm.www_sock.to_str().unwrap();

    // A healthy pool: its numbers, no finding.
    let run = probe_json(www, &["--fpm-status"]);
    check(&run, &[], 0);
    let status = &run.json()["fpm_status"];
    assert_eq!(status["pool"], "www");
    assert_eq!(status["process_manager"], "static");
    assert_eq!(status["total_processes"], 2);
    assert_eq!(status["listen_queue"], 0);
    assert!(status.get("processes").is_none());
    let run = probe_json(www, &["--fpm-status", "--verbose"]);
    assert_eq!(
        run.json()["fpm_status"]["processes"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // A pool without pm.status_path: how to set it.
    let run = probe_json(fpm.noping_sock.to_str().unwrap(), &["--fpm-status"]);
    check(&run, &["FD1304"], 2);
    let finding = run.finding("FD1304");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .contains("pm.status_path"),
        "{finding}"
    );
    assert!(
        finding["fix"]
            .as_str()
            .unwrap()
            .contains("pm.status_path = /status"),
        "{finding}"
    );

    // Pools of one worker, each held by a slow request with another waiting:
    // their status pages on pm.status_listen still answer, and say busy. The
    // listen queue is counted on TCP sockets only (php-fpm reads it with
    // TCP_INFO); max children reached by the dynamic pool's once-a-second check.
    let sleep = fpm.docroot.join("sleep.php").display().to_string();
    let mut held = Vec::new();
    for target in [fpm.tcp.clone(), fpm.dyn1_sock.display().to_string()] {
        for _ in 0..2 {
            let (target, sleep) = (target.clone(), sleep.clone());
            held.push(std::thread::spawn(move || {
                let args = [
                    "--no-get-values",
                    "--timeout",
                    "10s",
                    "--script-filename",
                    &sleep,
                ];
                probe_json(&target, &args)
            }));
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    std::thread::sleep(Duration::from_millis(1500));
    let run = probe_json(&fpm.tcp_status, &["--fpm-status"]);
    check(&run, &["FD1501"], 2);
    let status = &run.json()["fpm_status"];
    assert_eq!(status["pool"], "tcp");
    assert!(status["listen_queue"].as_u64().unwrap() >= 1, "{status}");
    let fix = run.finding("FD1501")["fix"].as_str().unwrap().to_string();
    assert!(
        fix.contains("pm.max_children = 1 (in "),
        "the arithmetic: {fix}"
    );
    assert!(fix.contains("MiB of RAM"), "{fix}");

    let run = probe_json(fpm.dyn1_status_sock.to_str().unwrap(), &["--fpm-status"]);
    check(&run, &["FD1502"], 1);
    assert!(
        run.json()["fpm_status"]["max_children_reached"]
            .as_u64()
            .unwrap()
            >= 1
    );

    // A request to the full pool itself times out: busy, not a bare timeout,
    // on the evidence of GET_VALUES and of the status page's own worker.
    for target in [fpm.tcp.clone(), fpm.dyn1_sock.display().to_string()] {
        let run = probe_json(&target, &["--timeout", "1500ms"]);
        let codes = run.codes();
        assert!(
            codes.contains(&"FD1506".to_string()),
            "{target}: {}",
            run.stdout
        );
        assert!(
            !codes.contains(&"FD1101".to_string()),
            "{target}: {codes:?}"
        );
        assert_eq!(run.code, 2);
        let message = run.finding("FD1506")["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            message.contains("FCGI_GET_VALUES went unanswered"),
            "{message}"
        );
        assert!(
            message.contains("status page (pm.status_listen"),
            "{message}"
        );
        assert_eq!(run.finding("FD1506")["class"], "capacity_exhaustion");
    }
    for t in held {
        assert_eq!(t.join().unwrap().code, 0, "the held requests were served");
    }
}

#[test]
fn a_worker_killed_by_request_terminate_timeout_names_the_setting() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let sleep = fpm.docroot.join("sleep.php").display().to_string();
    let args = [
        "--no-get-values",
        "--timeout",
        "6s",
        "--script-filename",
        &sleep,
    ];
    let run = probe_json(fpm.term_sock.to_str().unwrap(), &args);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let finding = &run.json()["findings"][0];
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.contains("request_terminate_timeout = 1s (in "),
        "{finding}"
    );
    assert!(message.contains("php-fpm killed the worker"), "{finding}");
    let fix = finding["fix"].as_str().unwrap();
    assert!(fix.contains("of pool [term] in "), "{fix}");
}

#[test]
fn load_mode_against_real_php_fpm() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let www = fpm.www_sock.to_str().unwrap();

    // Two workers answering pings: every request served, every number there.
    let run = probe_json(
        www,
        &["--fpm-ping", "--requests", "500", "--concurrency", "4"],
    );
    check(&run, &[], 0);
    let load = &run.json()["load"];
    assert_eq!(load["requests"], 500);
    assert_eq!(load["completed"], 500);
    assert_eq!(load["failed"], 0);
    assert_eq!(load["concurrency"], 4);
    assert!(load["requests_per_second"].as_f64().unwrap() > 0.0);
    for p in ["p50", "p90", "p99", "max"] {
        assert!(load["latency_ms"][p].as_f64().unwrap() > 0.0, "{p}: {load}");
    }
    assert!(load["latency_ms"]["p50"].as_f64() <= load["latency_ms"]["max"].as_f64());
    assert!(load["single"]["requests"].as_u64().unwrap() > 0, "{load}");
    assert_eq!(load["failures"], serde_json::json!({}));

    // One worker, 20 ms a request: four at once are no faster than one, and
    // wait for each other.
    let nap = fpm.docroot.join("nap.php").display().to_string();
    let run = probe_json(
        &fpm.tcp,
        &[
            "--script-filename",
            &nap,
            "--requests",
            "60",
            "--concurrency",
            "4",
        ],
    );
    check(&run, &["FD1601", "FD1603"], 1);
    assert_eq!(run.finding("FD1601")["class"], "capacity_exhaustion");

    // SIGINT: the numbers so far, at once.
    let child = std::process::Command::new(crate::util::bin())
        .args([
            "probe",
            www,
            "--fpm-ping",
            "--duration",
            "20s",
            "--concurrency",
            "2",
            "--format",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let started = std::time::Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["load"]["interrupted"], true, "{json}");
    assert!(json["load"]["requests"].as_u64().unwrap() > 0);
}

#[test]
fn flup_end_to_end() {
    let python = need!(
        servers::python_with_flup(),
        "python3 with flup (pip install flup)"
    );
    let dir = lab_dir();
    let (mut flup, sock) = servers::start_flup(&python, dir.path());
    let target = sock.to_str().unwrap();

    if is_root() {
        // flup binds with root's umask: 0755, which the web server's user
        // cannot connect to. Root can, and a root probe says so.
        let run = probe_json(target, &["--uri", "/hello"]);
        check(&run, &["FD1006"], 2);
        let json = run.json();
        assert_eq!(json["response"]["status"], 200, "root got its answer");
        assert_eq!(json["access"]["user"], "www-data");
        assert_eq!(json["access"]["connect_as_user"], "EACCES");
        let message = run.finding("FD1006")["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            message.contains("www-data has no write permission"),
            "{message}"
        );
        assert!(
            message.contains("python3"),
            "names who serves it: {message}"
        );
        std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();
    }
    let run = probe_json(target, &["--uri", "/hello"]);
    check(&run, &[], 0);
    let json = run.json();
    assert_eq!(json["response"]["status"], 200);
    assert_eq!(json["response"]["body_preview"], "OK from flup\n");
    // flup 1.0.3 answers FCGI_GET_VALUES with no values, and then takes the
    // request on the same connection.
    assert_eq!(json["values"], serde_json::json!({}));
    assert_eq!(json["connections"], 1);

    let run = probe_json(target, &["--uri", "/?stderr", "--no-get-values"]);
    check(&run, &["FD1311"], 1);
    assert!(run.finding("FD1311")["message"]
        .as_str()
        .unwrap()
        .contains("wsgi.errors"));

    let run = probe_json(target, &["--uri", "/?exc", "--no-get-values"]);
    assert_eq!(codes(&run)[0], "FD1307", "{}", run.stdout);
    assert_eq!(run.code, 2);

    // os._exit() with the request still unread: the kernel resets the
    // connection, and that is closing without an answer, not a reset mid-answer.
    let run = probe_json(target, &["--uri", "/?die", "--no-get-values"]);
    check(&run, &["FD1103"], 2);
    let message = run.finding("FD1103")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("without reading the request, or all of it"),
        "{message}"
    );

    // After a crash the socket file stays behind: a stale socket.
    flup.kill_hard();
    let run = probe_json(target, &[]);
    check(&run, &["FD1004"], 2);
}
