//! `spawn` with real applications: a flup app, a Perl FCGI app, php-cgi, and
//! the ways an application fails to start, each with its finding, exit code
//! and deadline; and no process or directory left behind on any way out.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::servers::{self, lab_dir};
use crate::util::{fcgi_doctor, Run};

/// Writes an application into `dir` with `mode`.
fn app(dir: &Path, name: &str, text: &str, mode: u32) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

fn spawn(path: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "spawn",
        path.to_str().unwrap(),
        "--timeout",
        "3s",
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let started = Instant::now();
    let run = fcgi_doctor(&args).run();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    run
}

fn only_code(run: &Run, code: &str, exit: i32) {
    assert_eq!(run.codes(), [code], "{}", run.stdout);
    assert_eq!(run.code, exit, "{}", run.stdout);
}

/// No process of the run is left, and no private directory.
fn nothing_left(run: &Run) {
    if let Some(pid) = run.json()["pid"].as_u64() {
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists()
                || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .is_ok_and(|s| s.contains(") Z ")),
            "pid {pid} survived"
        );
    }
    let private = run.json()["probe"]["target"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if let Some(path) = private.strip_prefix("unix:") {
        assert!(
            !Path::new(path).parent().unwrap().exists(),
            "{path}'s directory survived"
        );
    }
}

#[test]
fn a_healthy_flup_app_answers() {
    let python = need!(servers::python_with_flup(), "python3 with flup");
    let dir = lab_dir();
    let interpreter = servers::absolute_interpreter(&python);
    let path = app(
        dir.path(),
        "ok.fcgi",
        &format!(
            "#!{}\nimport os\nfrom flup.server.fcgi import WSGIServer\n\
             def app(environ, start_response):\n    \
             start_response('200 OK', [('Content-Type', 'text/plain')])\n    \
             seen = [os.environ.get(k, '-') for k in ('APP_MODE', 'PATH', 'HOME')]\n    \
             return [' '.join(seen).encode()]\n\
             WSGIServer(app).run()\n",
            interpreter.display()
        ),
        0o755,
    );
    let run = spawn(&path, &["--env", "APP_MODE=test"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // Started with fd 0 and 2 closed, fcgi-doctor's own files must not take
    // their numbers: the application still gets its socket as fd 0.
    let closed = fcgi_doctor(["spawn", path.to_str().unwrap(), "--format", "json"])
        .with_closed_stdin_and_stderr()
        .run();
    assert_eq!(closed.code, 0, "{}", closed.stdout);
    // Its environment is --env and the web server's PATH, nothing of the caller's.
    assert_eq!(
        run.json()["probe"]["response"]["body_preview"],
        "test /usr/local/bin:/usr/bin:/bin -"
    );
    assert_eq!(run.json()["started"], true);
    nothing_left(&run);
}

#[test]
fn perl_fcgi_and_php_cgi_answer() {
    let dir = lab_dir();
    if crate::util::require(
        std::process::Command::new("perl")
            .args(["-MFCGI", "-e", "1"])
            .status()
            .is_ok_and(|s| s.success()),
        "perl with FCGI (apt-get install libfcgi-perl)",
    ) {
        let path = app(
            dir.path(),
            "perl.fcgi",
            "#!/usr/bin/perl\nuse FCGI;\nmy $r = FCGI::Request();\n\
             while ($r->Accept() >= 0) { print \"Content-Type: text/plain\\r\\n\\r\\nhello from perl\"; }\n",
            0o755,
        );
        let run = spawn(&path, &[]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert_eq!(
            run.json()["probe"]["response"]["body_preview"],
            "hello from perl"
        );
        nothing_left(&run);
    }
    let php_cgi = Path::new("/usr/bin/php-cgi");
    if crate::util::require(php_cgi.exists(), "php-cgi (apt-get install php-cgi)") {
        let script = app(
            dir.path(),
            "hello.php",
            "<?php echo 'hello from php-cgi';",
            0o644,
        );
        let run = spawn(php_cgi, &["--script-filename", script.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.stdout);
        assert_eq!(
            run.json()["probe"]["response"]["body_preview"],
            "hello from php-cgi"
        );
        nothing_left(&run);
    }
}

#[test]
fn each_way_of_not_starting_gets_its_finding() {
    let python = need!(servers::python_with_flup(), "python3 with flup");
    let py = servers::absolute_interpreter(&python).display().to_string();
    let dir = lab_dir();
    let d = dir.path();
    let cases = [
        (
            app(d, "syntax.fcgi", &format!("#!{py}\ndef broken(:\n"), 0o755),
            "FD1707",
            "SyntaxError",
        ),
        (
            app(
                d,
                "import.fcgi",
                &format!("#!{py}\nimport no_such_module_here\n"),
                0o755,
            ),
            "FD1707",
            "ModuleNotFoundError",
        ),
        (
            app(d, "noexec.fcgi", &format!("#!{py}\n"), 0o644),
            "FD1701",
            "may not execute",
        ),
        (
            app(d, "crlf.fcgi", &format!("#!{py}\r\nprint(1)\r\n"), 0o755),
            "FD1704",
            "carriage return",
        ),
        (
            app(d, "nointerp.fcgi", "#!/usr/bin/no-such-python\n", 0o755),
            "FD1705",
            "does not exist",
        ),
        (
            app(d, "exits.fcgi", "#!/bin/sh\nexit 3\n", 0o755),
            "FD1707",
            "exit 3",
        ),
        (
            app(d, "silent.fcgi", "#!/bin/sh\nexec sleep 30\n", 0o755),
            "FD1708",
            "without answering",
        ),
        (
            app(
                d,
                "cgi.fcgi",
                "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nhi\\n'\n",
                0o755,
            ),
            "FD1709",
            "HTTP headers",
        ),
        (
            app(d, "text.fcgi", "print('no shebang')\n", 0o755),
            "FD1703",
            "neither",
        ),
    ];
    for (path, code, words) in cases {
        let run = spawn(&path, &[]);
        only_code(&run, code, 2);
        let message = run.finding(code)["message"].as_str().unwrap().to_string();
        assert!(message.contains(words), "{}: {message}", path.display());
        nothing_left(&run);
    }
    let run = spawn(&d.join("missing.fcgi"), &[]);
    only_code(&run, "FD1702", 2);
}

#[test]
fn sigint_and_sigterm_leave_no_process_and_no_directory() {
    let dir = lab_dir();
    // The application may run as the web user: it writes its child's pid here.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // An application that starts a child of its own and then says nothing.
    let marker = dir.path().join("grandchild.pid");
    let path = app(
        dir.path(),
        "forks.fcgi",
        &format!(
            "#!/bin/sh\nsleep 60 &\necho $! > {}\nexec sleep 60\n",
            marker.display()
        ),
        0o755,
    );
    for signal in [
        nix::sys::signal::Signal::SIGINT,
        nix::sys::signal::Signal::SIGTERM,
    ] {
        let _ = std::fs::remove_file(&marker);
        let child = std::process::Command::new(crate::util::bin())
            .args(["spawn", path.to_str().unwrap(), "--timeout", "30s"])
            .env("TMPDIR", tmp.path())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while !marker.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let grandchild: i32 = std::fs::read_to_string(&marker)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal).unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            None,
            "ended by the signal itself: {:?}",
            out.status
        );
        std::thread::sleep(Duration::from_millis(200));
        let alive = std::fs::read_to_string(format!("/proc/{grandchild}/stat"))
            .is_ok_and(|s| !s.contains(") Z "));
        assert!(
            !alive,
            "{signal}: the application's child {grandchild} survived"
        );
        let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert!(
            left.is_empty(),
            "{signal}: a private directory survived: {left:?}"
        );
    }
}

/// The application starts as under a web server: in a session of its own
/// (no terminal of the operator's to write to), with SIGPIPE at its default,
/// and with the PATH --env gives instead of the default one.
#[test]
fn the_application_gets_its_own_session_default_sigpipe_and_the_path_given() {
    let dir = lab_dir();
    let path = app(
        dir.path(),
        "env.fcgi",
        "#!/bin/sh\necho \"path=$PATH\" >&2\n\
         echo \"pid=$$ session=$(cut -d' ' -f6 /proc/$$/stat) tty=$(cut -d' ' -f7 /proc/$$/stat)\" >&2\n\
         grep SigIgn /proc/$$/status >&2\nexit 3\n",
        0o755,
    );
    let run = spawn(&path, &["--env", "PATH=/opt/app/bin:/usr/bin:/bin"]);
    let lines: Vec<String> = run.json()["stderr_last_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_string())
        .collect();
    let line = |prefix: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {lines:?}"))
            .clone()
    };
    assert_eq!(line("path="), "path=/opt/app/bin:/usr/bin:/bin");
    let ids = line("pid=");
    let field = |name: &str| {
        ids.split_whitespace()
            .find_map(|f| f.strip_prefix(name))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        field("pid="),
        field("session="),
        "a session of its own: {ids}"
    );
    assert_eq!(field("tty="), "0", "no controlling terminal: {ids}");
    // The tab after "SigIgn:" comes escaped, as \t: the mask is the last 16 digits.
    let mask = line("SigIgn:");
    let ignored = u64::from_str_radix(&mask[mask.len() - 16..], 16).unwrap();
    assert_eq!(ignored & (1 << (13 - 1)), 0, "SIGPIPE ignored: {ignored:x}");
    nothing_left(&run);
}

/// SIGKILL cannot be caught: the kernel's parent-death signal takes the
/// application down instead (its own children, which it may have started
/// in the same group, are not covered, nor is the private directory).
#[test]
fn sigkill_takes_the_application_down_with_it() {
    let dir = lab_dir();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
    let marker = dir.path().join("app.pid");
    let path = app(
        dir.path(),
        "quiet.fcgi",
        &format!("#!/bin/sh\necho $$ > {}\nexec sleep 60\n", marker.display()),
        0o755,
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(crate::util::bin())
        .args(["spawn", path.to_str().unwrap(), "--timeout", "30s"])
        .env("TMPDIR", tmp.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !marker.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let app_pid: i32 = std::fs::read_to_string(&marker)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let gone = Instant::now() + Duration::from_secs(2);
    let alive = || {
        std::fs::read_to_string(format!("/proc/{app_pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
    };
    while alive() && Instant::now() < gone {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !alive(),
        "the application {app_pid} outlived fcgi-doctor's SIGKILL"
    );
}

#[test]
fn an_application_that_binds_its_own_address_is_waited_for() {
    let python = need!(servers::python_with_flup(), "python3 with flup");
    let py = servers::absolute_interpreter(&python).display().to_string();
    let dir = lab_dir();
    let port = servers::free_port();
    // It takes a moment to start, as an application importing its framework does.
    let path = app(
        dir.path(),
        "own.fcgi",
        &format!(
            "#!{py}\nimport time\ntime.sleep(0.3)\nfrom flup.server.fcgi import WSGIServer\n\
             def app(environ, start_response):\n    \
             start_response('200 OK', [('Content-Type', 'text/plain')])\n    \
             return [b'bound it myself']\n\
             WSGIServer(app, bindAddress=('127.0.0.1', {port})).run()\n"
        ),
        0o755,
    );
    let address = format!("127.0.0.1:{port}");
    let run = spawn(&path, &["--external", &address]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let json = run.json();
    assert_eq!(json["probe"]["response"]["body_preview"], "bound it myself");
    assert!(
        json["listen"].as_str().unwrap().contains(&address),
        "{json}"
    );
    assert!(
        json["listening_after_ms"].as_f64().unwrap() >= 300.0,
        "{json}"
    );
    nothing_left(&run);

    // Checked at an address it does not bind: alive, never listening there.
    let elsewhere = format!("127.0.0.1:{}", servers::free_port());
    let run = spawn(&path, &["--external", &elsewhere]);
    only_code(&run, "FD1711", 2);
    nothing_left(&run);

    // An address something else already answers on: the application is not
    // started, since its bind would fail and the probe would reach the other.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let run = spawn(
        &path,
        &["--external", &taken.local_addr().unwrap().to_string()],
    );
    only_code(&run, "FD1712", 2);
    assert_eq!(run.json()["started"], false);

    // One that dies before it binds: how it ended and its last words, not
    // "never listened".
    let dies = app(
        dir.path(),
        "dies.fcgi",
        "#!/bin/sh\necho 'cannot import app' >&2\nexit 3\n",
        0o755,
    );
    let run = spawn(&dies, &["--external", &elsewhere]);
    only_code(&run, "FD1707", 2);
    assert_eq!(run.json()["ended"], "exit 3", "{}", run.stdout);
    assert!(run.stdout.contains("cannot import app"), "{}", run.stdout);
    nothing_left(&run);
}

#[test]
fn an_application_that_serves_one_request_at_a_time_is_told() {
    let python = need!(servers::python_with_flup(), "python3 with flup");
    let py = servers::absolute_interpreter(&python).display().to_string();
    let dir = lab_dir();
    let app_text = |server: &str| {
        format!(
            "#!{py}\nimport time\nfrom flup.server.{server} import WSGIServer\n\
             def app(environ, start_response):\n    time.sleep(0.02)\n    \
             start_response('200 OK', [('Content-Type', 'text/plain')])\n    \
             return [b'ok']\n\
             WSGIServer(app).run()\n"
        )
    };
    let load = ["--requests", "40", "--concurrency", "4"];
    let single = app(dir.path(), "single.fcgi", &app_text("fcgi_single"), 0o755);
    let run = spawn(&single, &load);
    // One at a time: no more throughput with four at once, and each waits.
    assert_eq!(run.codes(), ["FD1601", "FD1603"], "{}", run.stdout);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(
        run.json()["probe"]["load"]["completed"],
        40,
        "{}",
        run.stdout
    );
    nothing_left(&run);
    let threaded = app(dir.path(), "threaded.fcgi", &app_text("fcgi"), 0o755);
    let run = spawn(&threaded, &load);
    assert_eq!(run.code, 0, "{}", run.stdout);
    nothing_left(&run);
}

#[test]
fn the_application_gets_no_other_descriptor_and_only_its_user() {
    let dir = lab_dir();
    // It reports every descriptor from 3 up that it holds, and who it is, then
    // ends: fd 9 is left open and inheritable by fcgi-doctor's own parent.
    let path = app(
        dir.path(),
        "fds.fcgi",
        "#!/usr/bin/python3\nimport os, sys\n\
         held = [fd for fd in range(3, 256) if os.path.exists('/proc/self/fd/%d' % fd)]\n\
         sys.stderr.write('held %s uid %d gid %d groups %s\\n' % \
         (held, os.getuid(), os.getgid(), sorted(os.getgroups())))\n",
        0o755,
    );
    let mut args = vec!["spawn", path.to_str().unwrap(), "--format", "json"];
    if crate::util::is_root() {
        args.extend(["--user", "nobody"]);
    }
    let run = fcgi_doctor(&args).with_open_fd(9).run();
    only_code(&run, "FD1707", 2);
    let last = run.json()["stderr_last_lines"][0]
        .as_str()
        .unwrap()
        .to_string();
    assert!(last.starts_with("held [] "), "{last}");
    if crate::util::is_root() {
        assert!(
            last.ends_with("uid 65534 gid 65534 groups [65534]"),
            "{last}"
        );
    }
}

#[test]
fn suexec_rules_are_checked_when_asked() {
    if !crate::util::require(crate::util::is_root(), "root (spawn --user)") {
        return;
    }
    let dir = lab_dir();
    // Owned by root, run as nobody: suEXEC would refuse it.
    let path = app(dir.path(), "app.fcgi", "#!/bin/sh\nexit 0\n", 0o755);
    let run = spawn(&path, &["--user", "nobody", "--suexec"]);
    assert!(
        run.codes().contains(&"FD1710".to_string()),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.json()["started"], false);
    let message = run.finding("FD1710")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("mismatch"), "{message}");
}

#[test]
fn nagios_and_prometheus_speak_for_spawn() {
    let dir = lab_dir();
    let path = app(
        dir.path(),
        "exits.fcgi",
        "#!/bin/sh\necho boom >&2\nexit 3\n",
        0o755,
    );
    let run = fcgi_doctor(["spawn", path.to_str().unwrap(), "--format", "nagios"]).run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    let first = run.stdout.lines().next().unwrap();
    assert!(first.starts_with("FCGI CRITICAL - "), "{first}");
    assert!(first.contains("FD1707"), "{first}");
    let run = fcgi_doctor(["spawn", path.to_str().unwrap(), "--format", "prometheus"]).run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("fcgi_doctor_spawn_started 1"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("fcgi_doctor_spawn_exited 1"),
        "{}",
        run.stdout
    );
    crate::monitoring::assert_promtool(&run.stdout);
}

/// Applications that misbehave as hostile peers do, on the socket spawn
/// hands them: each run ends within the probe's deadline plus one second,
/// under 64 MiB, with its class, and leaves nothing behind.
#[test]
fn hostile_applications_end_in_time_with_their_class() {
    let dir = lab_dir();
    // The system's python3: the web user runs it.
    let python = need!(
        Some(PathBuf::from("/usr/bin/python3")).filter(|p| p.exists()),
        "/usr/bin/python3"
    );
    let head = format!(
        "#!{}\nimport socket, struct, sys, time\n\
         s = socket.socket(fileno=0)\nc, _ = s.accept()\n",
        python.display()
    );
    let stdout = |text: &str| format!("struct.pack('>BBHHBx', 1, 6, 1, len({text}), 0) + {text}");
    for (name, body, class) in [
        (
            "silent",
            "c.recv(65536)\ntime.sleep(30)\n".to_string(),
            "timeout",
        ),
        (
            "random bytes",
            "c.recv(65536)\nc.sendall(bytes((i * 2654435761) % 251 for i in range(4096)))\nc.close()\ntime.sleep(30)\n"
                .to_string(),
            "protocol_error",
        ),
        (
            "endless stdout",
            format!(
                "c.recv(65536)\nc.sendall({})\nchunk = {}\nwhile True:\n    c.sendall(chunk)\n",
                stdout("b'Content-Type: x\\r\\n\\r\\n'"),
                stdout("b'x' * 65528")
            ),
            "timeout",
        ),
        (
            "closes at once",
            "c.close()\ntime.sleep(30)\n".to_string(),
            "incomplete_headers",
        ),
    ] {
        let path = app(dir.path(), "hostile.fcgi", &format!("{head}{body}"), 0o755);
        let run = fcgi_doctor([
            "spawn",
            path.to_str().unwrap(),
            "--timeout",
            "2s",
            "--format",
            "json",
        ])
        .measure_memory()
        .run();
        let classes: Vec<String> = run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["class"].as_str().unwrap().to_string())
            .collect();
        assert!(
            run.elapsed <= Duration::from_secs(3),
            "{name}: {:?}",
            run.elapsed
        );
        assert!(
            run.max_rss_kib.unwrap() < 64 * 1024,
            "{name}: {:?} KiB",
            run.max_rss_kib
        );
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        assert!(classes.iter().any(|c| c == class), "{name}: {classes:?}");
        nothing_left(&run);
    }
}
