//! `logs` through the binary: inputs of every kind, bad input, output formats,
//! filters and --follow.

use std::io::Write;
use std::time::Duration;

use crate::util::fcgi_doctor;

const NGINX_DENIED: &str = "2026/11/23 07:53:25 [crit] 812#812: *5 connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"localhost\"";
const FPM_MAX_CHILDREN: &str = "[23-Nov-2026 07:53:26] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it";
const FPM_STARTED: &str = "[23-Nov-2026 07:50:00] NOTICE: fpm is running, pid 4242";
const NGINX_HTTP_UPSTREAM: &str = "2026/11/23 07:53:27 [error] 812#812: *9 connect() failed (111: Connection refused) while connecting to upstream, client: 127.0.0.1, server: _, request: \"GET /api HTTP/1.1\", upstream: \"http://127.0.0.1:8080/api\", host: \"localhost\"";

fn write_log(dir: &std::path::Path, name: &str, lines: &[&str]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.display().to_string()
}

fn jsonl(run: &crate::util::Run) -> Vec<serde_json::Value> {
    run.stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn jsonl_has_one_object_per_entry_with_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "mixed.log",
        &[
            FPM_STARTED,
            "noise",
            NGINX_DENIED,
            NGINX_HTTP_UPSTREAM,
            FPM_MAX_CHILDREN,
        ],
    );
    let run = fcgi_doctor(["logs", "--format", "jsonl", &log]).run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let entries = jsonl(&run);
    let lines: Vec<u64> = entries
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [1, 3, 5], "the http:// upstream is not FastCGI");
    let denied = &entries[1];
    for key in [
        "file",
        "line",
        "end_line",
        "timestamp",
        "server",
        "code",
        "class",
        "severity",
        "message",
        "cause",
    ] {
        assert!(denied.get(key).is_some(), "{key} missing in {denied}");
    }
    assert_eq!(denied["code"], "FD2001");
    assert_eq!(denied["class"], "permission_denied");
    assert_eq!(denied["server"], "nginx");
    assert_eq!(denied["timestamp"], "2026-11-23T07:53:25");
    assert_eq!(entries[0]["severity"], "info");
    assert_eq!(entries[2]["class"], "capacity_exhaustion");
    assert_eq!(entries[2]["server"], "php-fpm");
}

#[test]
fn json_summary_has_problems_and_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "e.log",
        &[NGINX_DENIED, NGINX_DENIED, FPM_MAX_CHILDREN, FPM_STARTED],
    );
    let run = fcgi_doctor(["logs", "--format", "json", &log]).run();
    assert_eq!(run.code, 2);
    let json = run.json();
    assert_eq!(json["command"], "logs");
    assert_eq!(json["status"], "critical");
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(problems[0]["code"], "FD2001", "most severe first");
    assert_eq!(problems[0]["count"], 2);
    for key in [
        "code",
        "class",
        "severity",
        "count",
        "first_seen",
        "last_seen",
        "files",
        "example",
        "fix",
    ] {
        assert!(problems[0].get(key).is_some(), "{key}");
    }
    let input = &json["inputs"][0];
    assert_eq!(input["lines"], 4);
    assert_eq!(input["entries"], 4);
    assert_eq!(json["findings"].as_array().unwrap().len(), problems.len());
}

#[test]
fn info_only_is_ok_and_min_severity_filters() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "e.log", &[FPM_STARTED, FPM_MAX_CHILDREN]);
    assert_eq!(
        fcgi_doctor(["logs", &log, "--min-severity", "critical"])
            .run()
            .code,
        0
    );
    assert_eq!(fcgi_doctor(["logs", &log]).run().code, 1);
    let only_info = write_log(dir.path(), "i.log", &[FPM_STARTED]);
    let run = fcgi_doctor(["logs", &only_info]).run();
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("1 informational entry"),
        "{}",
        run.stdout
    );
}

#[test]
fn since_and_until_bound_the_entries() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "e.log",
        &[FPM_STARTED, NGINX_DENIED, FPM_MAX_CHILDREN],
    );
    let run = fcgi_doctor([
        "logs",
        "--format",
        "jsonl",
        "--since",
        "2026-11-23T07:53:00",
        "--until",
        "2026-11-23T07:53:25",
        &log,
    ])
    .run();
    let lines: Vec<u64> = jsonl(&run)
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2]);
    let bad = fcgi_doctor(["logs", "--since", "yesterday", &log]).run();
    assert_eq!(bad.code, 3);
    assert_eq!(bad.stderr.lines().count(), 1);
}

#[test]
fn stdin_and_gzip_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let gz_path = dir.path().join("error.log.1.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(format!("{NGINX_DENIED}\n").as_bytes())
        .unwrap();
    enc.finish().unwrap();
    let run = fcgi_doctor(["logs", "--format", "jsonl", gz_path.to_str().unwrap()]).run();
    assert_eq!(jsonl(&run)[0]["code"], "FD2001", "{}", run.stderr);
    let run = fcgi_doctor(["logs", "--format", "jsonl", "-"])
        .stdin_bytes()
        .run_with_input(format!("{FPM_MAX_CHILDREN}\n").as_bytes());
    let entries = jsonl(&run);
    assert_eq!(entries[0]["file"], "-");
    assert_eq!(entries[0]["class"], "capacity_exhaustion");
}

#[test]
fn bad_inputs_are_reported_and_the_rest_processed() {
    let dir = tempfile::tempdir().unwrap();
    let good = write_log(dir.path(), "good.log", &[NGINX_DENIED]);
    // A truncated gzip: its readable part still counts.
    let gz_path = dir.path().join("cut.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for _ in 0..2000 {
        enc.write_all(format!("{FPM_MAX_CHILDREN}\n").as_bytes())
            .unwrap();
    }
    let bytes = enc.finish().unwrap();
    std::fs::write(&gz_path, &bytes[..bytes.len() / 2]).unwrap();
    let missing = dir.path().join("missing.log");
    let run = fcgi_doctor([
        "logs",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
        missing.to_str().unwrap(),
        gz_path.to_str().unwrap(),
        &good,
    ])
    .run();
    assert_eq!(run.code, 2, "the readable inputs decide: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"));
    let json = run.json();
    let inputs = json["inputs"].as_array().unwrap();
    assert!(inputs[0]["errors"][0]
        .as_str()
        .unwrap()
        .contains("is a directory"));
    assert!(inputs[1]["errors"][0]
        .as_str()
        .unwrap()
        .contains("No such file"));
    assert!(inputs[2]["errors"][0]
        .as_str()
        .unwrap()
        .contains("read failed"));
    assert!(
        inputs[2]["entries"].as_u64().unwrap() > 0,
        "the part before the cut was read"
    );
    assert_eq!(inputs[3]["entries"], 1);
    assert_eq!(
        run.stderr.lines().count(),
        3,
        "one line per bad input: {}",
        run.stderr
    );
    // Nothing readable at all: UNKNOWN.
    let run = fcgi_doctor(["logs", missing.to_str().unwrap()]).run();
    assert_eq!(run.code, 3);
}

#[test]
fn hostile_bytes_never_reach_the_terminal_and_memory_stays_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.log");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(b"\xff\xfe\x00garbage\n").unwrap();
    f.write_all(b"2026/11/23 07:53:25 [error] 1#1: *5 FastCGI sent in stderr: \"PHP message: PHP Fatal error:  \x1b]0;pwned\x07\x1b[2J boom\" while reading response header from upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"x\"\r\n").unwrap();
    // A 50 MiB line with no newline at the end of the file.
    let chunk = vec![b'A'; 1 << 20];
    for _ in 0..50 {
        f.write_all(&chunk).unwrap();
    }
    drop(f);
    let run = fcgi_doctor(["logs", "--color", "never", path.to_str().unwrap()])
        .memory_limit(256 << 20)
        .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        !run.stdout.contains('\x1b') && !run.stdout.contains('\x07'),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("FD2057"), "{}", run.stdout);
    let json = fcgi_doctor(["logs", "--format", "json", path.to_str().unwrap()])
        .run()
        .json();
    assert_eq!(json["inputs"][0]["lines"], 3);
}

#[test]
fn human_output_leads_with_the_cause() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "error.log",
        &[
            "[Mon Nov 23 07:53:25.100000 2026] [proxy:error] [pid 7:tid 8] (2)No such file or directory: AH02454: FCGI: attempt to connect to Unix domain socket /run/php/php8.2-fpm.sock (localhost:8000) failed",
            "[Mon Nov 23 07:53:25.100100 2026] [proxy_fcgi:error] [pid 7:tid 8] [client 127.0.0.1:5566] AH01079: failed to make connection to backend: httpd-UDS",
        ],
    );
    let run = fcgi_doctor(["logs", "--format", "jsonl", &log]).run();
    let entries = jsonl(&run);
    assert_eq!(entries[0]["code"], "FD2002");
    assert_eq!(entries[1]["cause"], 1);
    let human = fcgi_doctor(["logs", "--color", "never", &log])
        .on_debian_host()
        .run();
    let first = human.stdout.find("FD2002").unwrap();
    let second = human
        .stdout
        .find(entries[1]["code"].as_str().unwrap())
        .unwrap();
    assert!(first < second, "{}", human.stdout);
    assert!(human.stdout.contains("follows FD2002"), "{}", human.stdout);
    let shown = human
        .stdout
        .replace(&dir.path().display().to_string(), "[TMP]");
    insta::assert_snapshot!(shown);
}

#[test]
fn timeline_draws_bars_per_hour_and_class() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "e.log",
        &[NGINX_DENIED, NGINX_DENIED, FPM_MAX_CHILDREN],
    );
    let run = fcgi_doctor(["logs", "--timeline", "--color", "never", &log]).run();
    assert!(run.stdout.contains("timeline"), "{}", run.stdout);
    assert!(run.stdout.contains("2026-11-23 07:00"), "{}", run.stdout);
    assert!(run.stdout.contains("permission_denied"), "{}", run.stdout);
    assert!(run.stdout.contains('█'));
}

#[test]
fn follow_keeps_going_across_rotation_and_truncation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    std::fs::write(&path, format!("{NGINX_DENIED}\n")).unwrap();
    let child = std::process::Command::new(crate::util::bin())
        .args([
            "logs",
            "--follow",
            "--format",
            "jsonl",
            path.to_str().unwrap(),
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pause = || std::thread::sleep(Duration::from_millis(600));
    pause();
    let append = |text: &str| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    };
    append(&format!("{FPM_MAX_CHILDREN}\n"));
    pause();
    // Rotation by rename, then a new file at the same path.
    std::fs::rename(&path, dir.path().join("error.log.1")).unwrap();
    std::fs::write(&path, format!("{NGINX_DENIED}\n")).unwrap();
    pause();
    // Truncation in place.
    std::fs::write(&path, format!("{FPM_MAX_CHILDREN}\n")).unwrap();
    pause();
    // The file vanishes, then comes back.
    std::fs::remove_file(&path).unwrap();
    pause();
    std::fs::write(&path, format!("{NGINX_DENIED}\n")).unwrap();
    pause();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let codes: Vec<String> = stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["code"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(
        codes.len(),
        4,
        "old content is not repeated; four new entries: {stdout}\n{stderr}"
    );
    assert_eq!(codes[1], "FD2001");
    assert_eq!(codes[3], "FD2001");
    assert!(stderr.contains("replaced"), "{stderr}");
    assert!(stderr.contains("truncated"), "{stderr}");
    assert!(stderr.contains("vanished"), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "worst severity seen: {stderr}");
}

#[test]
fn usage_errors_are_unknown() {
    assert_eq!(fcgi_doctor(["logs"]).run().code, 3);
    let run = fcgi_doctor(["logs", "--follow", "-"]).run();
    assert_eq!(run.code, 3);
    assert!(
        run.stderr.contains("--follow needs files"),
        "{}",
        run.stderr
    );
}

#[test]
fn json_summary_snapshot_of_the_apache_fixture() {
    let path = format!(
        "{}/fixtures/logs/apache24-proxy-fcgi.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = fcgi_doctor(["logs", "--format", "json", &path])
        .on_debian_host()
        .run();
    let mut json = run.json();
    json["version"] = serde_json::Value::from("[VERSION]");
    let shown = serde_json::to_string_pretty(&json)
        .unwrap()
        .replace(env!("CARGO_MANIFEST_DIR"), "[REPO]");
    insta::assert_snapshot!(shown);
}

/// The status line says what the exit status says: nothing readable is
/// UNKNOWN, not "OK: no findings".
#[test]
fn nothing_readable_says_unknown() {
    let run = fcgi_doctor(["logs", "/nonexistent/error.log"]).run();
    assert_eq!(run.code, 3);
    let last = run.stdout.lines().last().unwrap_or_default();
    assert!(last.starts_with("UNKNOWN: "), "{}", run.stdout);
    assert!(last.contains("No such file"), "{last}");
    let json = fcgi_doctor(["logs", "--format", "json", "/nonexistent/error.log"]).run();
    assert_eq!(json.json()["status"], "unknown");
    assert_eq!(json.json()["skipped"][0]["check"], "input");
}

/// `logs -f LOG | head -1`: the reader going away ends the run, and that is
/// no error.
#[test]
fn follow_into_a_closed_pipe_ends_quietly() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    std::fs::write(&path, "").unwrap();
    let mut child = Command::new(crate::util::bin())
        .args([
            "logs",
            "--follow",
            "--format",
            "jsonl",
            path.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    // The reader reads nothing and goes away; then the log grows.
    drop(child.stdout.take());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for _ in 0..3 {
        writeln!(f, "{NGINX_DENIED}").unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still following a closed pipe"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

/// --follow --format json writes the summary of what it saw when stopped.
#[test]
fn follow_with_json_writes_the_summary_at_the_end() {
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("error.log");
    std::fs::write(&path, "").unwrap();
    let child = Command::new(crate::util::bin())
        .args([
            "logs",
            "--follow",
            "--format",
            "json",
            path.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(400));
    std::fs::write(&path, format!("{NGINX_DENIED}\n{FPM_MAX_CHILDREN}\n")).unwrap();
    std::thread::sleep(Duration::from_millis(600));
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGINT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(json["command"], "logs");
    assert_eq!(json["status"], "critical");
    let codes: Vec<&str> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"FD2001"), "{codes:?}");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn problems_say_how_long_ago_and_old_news_points_at_since() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "fpm.log", &[FPM_MAX_CHILDREN]);
    // 07:53:26 seen from 08:00:00: 6 minutes.
    let fresh = fcgi_doctor(["logs", &log]).run();
    assert!(
        fresh.stdout.contains("last seen 6 min ago"),
        "{}",
        fresh.stdout
    );
    assert!(!fresh.stdout.contains("--since 1h"), "{}", fresh.stdout);
    let json = fcgi_doctor(["logs", "--format", "json", &log]).run().json();
    assert_eq!(json["problems"][0]["last_seen_seconds_ago"], 394);
    // Three hours later everything is old news; the status stays what was found.
    let later = fcgi_doctor(["logs", &log])
        .env("FCGI_DOCTOR_TEST_NOW", "2026-11-23T11:00:00")
        .run();
    assert!(
        later.stdout.contains("last seen 3 h ago"),
        "{}",
        later.stdout
    );
    assert!(later.stdout.contains("`--since 1h`"), "{}", later.stdout);
    assert_eq!(later.code, 1);
    let since = fcgi_doctor(["logs", "--since", "2026-11-23", &log])
        .env("FCGI_DOCTOR_TEST_NOW", "2026-11-23T11:00:00")
        .run();
    assert!(!since.stdout.contains("`--since 1h`"), "{}", since.stdout);
}

#[test]
fn a_backend_cause_in_another_file_leads_the_web_servers_symptom() {
    let dir = tempfile::tempdir().unwrap();
    let nginx = write_log(
        dir.path(),
        "error.log",
        &["2026/11/23 07:53:29 [error] 812#812: *7 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 127.0.0.1, server: _, request: \"GET /slow.php?s=8 HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"localhost\""],
    );
    let fpm = write_log(
        dir.path(),
        "php8.2-fpm.log",
        &[
            "[23-Nov-2026 07:53:29] WARNING: [pool www] child 4302, script '/var/www/html/slow.php' (request: \"GET /slow.php?s=8\") execution timed out (2.012345 sec), terminating",
            "[23-Nov-2026 07:53:29] WARNING: [pool www] child 4302 exited on signal 15 (SIGTERM) after 10.000000 seconds from start",
        ],
    );
    let run = fcgi_doctor(["logs", "--format", "json", &nginx, &fpm]).run();
    let json = run.json();
    let problems = json["problems"].as_array().unwrap();
    // The timeout leads; the reset in nginx's log names it, file and line.
    assert_eq!(problems[0]["class"], "timeout", "{json:#}");
    let reset = problems.iter().find(|p| p["code"] == "FD2011").unwrap();
    let cause = problems[0]["code"].as_str().unwrap();
    assert_eq!(reset["caused_by"][cause], 1, "{reset:#}");
    assert_eq!(reset["caused_by_at"][cause]["file"], fpm.as_str());
    assert_eq!(reset["caused_by_at"][cause]["line"], 1);
    assert_eq!(reset["example_request"], "GET /slow.php?s=8 HTTP/1.1");
    assert_eq!(reset["example_script"], "/slow.php");
    // A reset of another script at the same second is not this timeout's.
    let other = write_log(
        dir.path(),
        "other.log",
        &["2026/11/23 07:53:29 [error] 812#812: *8 recv() failed (104: Connection reset by peer) while reading response header from upstream, client: 127.0.0.1, server: _, request: \"GET /fast.php HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/php8.2-fpm.sock:\", host: \"localhost\""],
    );
    let json = fcgi_doctor(["logs", "--format", "json", &other, &fpm])
        .run()
        .json();
    let reset = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["code"] == "FD2011")
        .unwrap()
        .clone();
    assert_eq!(reset["caused_by"], serde_json::json!({}), "{reset:#}");
}

#[test]
fn an_applications_traceback_is_the_cause_of_the_missing_headers_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "error.log",
        &[
            "[Mon Nov 23 07:53:25.100 2026] [fcgid:warn] [pid 1:tid 2] [client 127.0.0.1:5] mod_fcgid: stderr: Traceback (most recent call last):",
            "  File \"/srv/app.fcgi\", line 3, in <module>",
            "    from flup.server.fcgi import WSGIServer",
            "ModuleNotFoundError: No module named 'flup'",
            "[Mon Nov 23 07:53:25.200 2026] [core:error] [pid 1:tid 2] [client 127.0.0.1:5] End of script output before headers: app.fcgi",
        ],
    );
    let json = fcgi_doctor(["logs", "--format", "json", &log]).run().json();
    let problems = json["problems"].as_array().unwrap();
    assert_eq!(problems[0]["code"], "FD2067", "{json:#}");
    assert_eq!(
        problems[0]["example"],
        "ModuleNotFoundError: No module named 'flup' (Python traceback of 4 lines)"
    );
    assert_eq!(problems[1]["class"], "incomplete_headers");
    assert_eq!(problems[1]["caused_by"]["FD2067"], 1);
    assert_eq!(problems[1]["caused_by_at"]["FD2067"]["line"], 1);
}
