//! `--format nagios` and `--format prometheus` for every check: the Nagios
//! line parsed against the monitoring plugins' guidelines, the Prometheus
//! text checked by `promtool check metrics` (Debian `prometheus`).

use std::io::Write;
use std::process::{Command, Stdio};

use crate::servers::{self, lab_dir};
use crate::util::{fcgi_doctor, Run};

const LOGS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/logs");

/// The plugin output: `FCGI STATE - text`, then optionally ` | ` and
/// performance data items `'label'=value[UOM];[warn];[crit];[min];[max]`; one
/// line; the state word matching the exit status.
fn assert_nagios(run: &Run) -> Vec<(String, f64, String, String, String)> {
    let line = run
        .stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("one line: {:?}", run.stdout));
    assert!(!line.contains('\n'), "one line only: {line:?}");
    let (head, perf) = match line.split_once(" | ") {
        Some((h, p)) => (h, p),
        None => (line, ""),
    };
    let state = ["OK", "WARNING", "CRITICAL", "UNKNOWN"][run.code as usize];
    assert!(
        head.starts_with(&format!("FCGI {state} - ")),
        "{line:?} exit {}",
        run.code
    );
    assert!(!head.contains('|'), "{line:?}");
    let item = regex::Regex::new(
        r"^'([^']|'')+'=(-?[0-9]+(\.[0-9]+)?)(s|ms|us|%|B|KB|MB|TB|c)?;([^;]*);([^;]*);(-?[0-9.]*);(-?[0-9.]*)$",
    )
    .unwrap();
    let range = regex::Regex::new(r"^(@?(~|-?[0-9.]+)?:?(-?[0-9.]+)?)?$").unwrap();
    perf.split(' ')
        .filter(|s| !s.is_empty())
        .map(|p| {
            let c = item
                .captures(p)
                .unwrap_or_else(|| panic!("perfdata {p:?} in {line:?}"));
            let (warn, crit) = (c[5].to_string(), c[6].to_string());
            assert!(range.is_match(&warn) && range.is_match(&crit), "{p:?}");
            let label = p[1..p.find("'=").unwrap()].to_string();
            let uom = c.get(4).map_or("", |m| m.as_str()).to_string();
            (label, c[2].parse().unwrap(), uom, warn, crit)
        })
        .collect()
}

/// `promtool check metrics` accepts the output; it prints its lint problems.
pub fn assert_promtool(text: &str) {
    let Ok(promtool) = servers::which("promtool") else {
        crate::util::require(false, "promtool (apt-get install prometheus)");
        return;
    };
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}{}\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sample(text: &str, metric: &str, label: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) && l.contains(label))
        .find_map(|l| l.rsplit_once(' ')?.1.parse().ok())
}

#[test]
fn probe_in_both_formats_against_real_php_fpm() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let www = fpm.www_sock.to_str().unwrap();

    let run = fcgi_doctor([
        "probe",
        www,
        "--fpm-ping",
        "--format",
        "nagios",
        "--warning",
        "5",
        "--critical",
        "10",
    ])
    .run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let perf = assert_nagios(&run);
    let time = perf.iter().find(|p| p.0 == "time").expect("time");
    assert_eq!(
        (time.2.as_str(), time.3.as_str(), time.4.as_str()),
        ("s", "5", "10")
    );
    assert!(time.1 > 0.0 && time.1 < 5.0);
    assert!(perf.iter().any(|p| p.0 == "status" && p.1 == 200.0));

    // A threshold every answer passes: WARNING, with the code that says why.
    let run = fcgi_doctor([
        "probe",
        www,
        "--fpm-ping",
        "--format",
        "nagios",
        "--warning",
        "@0:100",
    ])
    .run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_nagios(&run);
    assert!(run.stdout.contains("FD1105"), "{}", run.stdout);

    // Nothing there: CRITICAL, and still one valid line.
    let missing = dir.path().join("missing.sock");
    let run = fcgi_doctor(["probe", missing.to_str().unwrap(), "--format", "nagios"]).run();
    assert_eq!(run.code, 2);
    assert_nagios(&run);
    assert!(run.stdout.contains("FD1001"), "{}", run.stdout);

    let run = fcgi_doctor(["probe", www, "--fpm-status", "--format", "prometheus"]).run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_promtool(&run.stdout);
    assert_eq!(sample(&run.stdout, "fcgi_doctor_probe_up", ""), Some(1.0));
    assert_eq!(sample(&run.stdout, "fcgi_doctor_status", ""), Some(0.0));
    let total = sample(&run.stdout, "fcgi_doctor_fpm_processes", "state=\"total\"");
    assert!(total.is_some_and(|n| n >= 1.0), "{}", run.stdout);
    assert!(sample(
        &run.stdout,
        "fcgi_doctor_probe_duration_seconds",
        "phase=\"total\""
    )
    .is_some());

    // The load mode's rates and percentiles, in both formats.
    let load = [
        "probe",
        www,
        "--fpm-ping",
        "--requests",
        "200",
        "--concurrency",
        "2",
    ];
    let run = fcgi_doctor(load.iter().chain(&["--format", "nagios"])).run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let perf = assert_nagios(&run);
    for label in ["requests_per_second", "p50", "p99", "failed"] {
        assert!(perf.iter().any(|p| p.0 == label), "{label}: {}", run.stdout);
    }
    let run = fcgi_doctor(load.iter().chain(&["--format", "prometheus"])).run();
    assert_promtool(&run.stdout);
    assert!(sample(&run.stdout, "fcgi_doctor_load_requests_per_second", "").is_some());
    assert_eq!(
        sample(
            &run.stdout,
            "fcgi_doctor_load_requests",
            "result=\"completed\""
        ),
        Some(200.0)
    );

    let run = fcgi_doctor(["probe", missing.to_str().unwrap(), "--format", "prometheus"]).run();
    assert_eq!(run.code, 2);
    assert_promtool(&run.stdout);
    assert_eq!(sample(&run.stdout, "fcgi_doctor_probe_up", ""), Some(0.0));
    assert_eq!(
        sample(&run.stdout, "fcgi_doctor_findings", "code=\"FD1001\""),
        Some(1.0)
    );
}

#[test]
fn logs_socket_and_ps_in_both_formats() {
    let logs = [
        "logs",
        &format!("{LOGS}/apache24-proxy-fcgi.log"),
        &format!("{LOGS}/php-fpm.log"),
    ]
    .map(str::to_string);
    let run = fcgi_doctor(logs.iter().chain(&["--format".into(), "nagios".into()])).run();
    assert_eq!(run.code, 2);
    let perf = assert_nagios(&run);
    let count = |label: &str| perf.iter().find(|p| p.0 == label).map(|p| p.1);
    assert_eq!(count("lines"), Some(21.0));
    assert!(count("critical").unwrap() >= 1.0);
    let run = fcgi_doctor(logs.iter().chain(&["--format".into(), "prometheus".into()])).run();
    assert_eq!(run.code, 2);
    assert_promtool(&run.stdout);
    assert!(sample(
        &run.stdout,
        "fcgi_doctor_logs_problem_entries",
        "code=\"FD2001\""
    )
    .is_some());

    let dir = lab_dir();
    let missing = dir.path().join("missing.sock").display().to_string();
    for command in [vec!["socket", missing.as_str()], vec!["ps"]] {
        for format in ["nagios", "prometheus"] {
            let mut args = command.clone();
            args.extend(["--format", format]);
            let run = fcgi_doctor(&args).run();
            assert!(run.code <= 2, "{args:?}: {}", run.stderr);
            match format {
                "nagios" => {
                    assert_nagios(&run);
                }
                _ => assert_promtool(&run.stdout),
            }
        }
    }
}

#[test]
fn a_hostile_pool_name_keeps_both_formats_valid() {
    // The pool name is what the peer's status page says: text from whoever
    // runs the pool, escapes, line ends and quotes included.
    let status = serde_json::json!({
        "pool": "www\u{1b}]0;PWNED\u{7}\r\n\"x\"\\",
        "process manager": "dynamic",
        "start time": 1_700_000_000u64,
        "start since": 60,
        "accepted conn": 1,
        "listen queue": 0,
        "max listen queue": 0,
        "listen queue len": 0,
        "idle processes": 1,
        "active processes": 1,
        "total processes": 2,
        "max active processes": 1,
        "max children reached": 0,
        "slow requests": 0,
    });
    let body = format!("Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{status}");
    let peer = crate::fake_peer::tcp(crate::fake_peer::answer(crate::fake_peer::response(
        body.as_bytes(),
    )));
    for format in ["prometheus", "nagios", "human"] {
        let run = fcgi_doctor([
            "probe",
            &peer.target,
            "--fpm-status",
            "--format",
            format,
            "--color",
            "never",
        ])
        .run();
        assert!(run.code <= 2, "{format}: {}{}", run.stdout, run.stderr);
        assert!(
            !run.stdout.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: {:?}",
            run.stdout
        );
        match format {
            "prometheus" => {
                assert_promtool(&run.stdout);
                let pool = r#"pool="www\\x1b]0;PWNED\\x07\\r\\n\"x\"\\""#;
                assert!(run.stdout.contains(pool), "{}", run.stdout);
            }
            "nagios" => _ = assert_nagios(&run),
            _ => assert!(run.stdout.contains("www\\x1b]0;PWNED"), "{}", run.stdout),
        }
    }
}

#[test]
fn monitoring_formats_refuse_what_they_cannot_say() {
    let run = fcgi_doctor(["explain", "FD1001", "--format", "nagios"]).run();
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("not explain"), "{}", run.stderr);
    let run = fcgi_doctor(["logs", "--follow", "/dev/null", "--format", "prometheus"]).run();
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("--follow"), "{}", run.stderr);
    let run = fcgi_doctor(["probe", "/tmp/x.sock", "--warning", "fast"]).run();
    assert_eq!(run.code, 3);
    assert!(run.stderr.contains("--warning"), "{}", run.stderr);
}
