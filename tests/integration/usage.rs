//! Bad arguments: one clear line on stderr and exit 3 (UNKNOWN), never clap's 2,
//! which a monitoring system would read as CRITICAL.

use crate::util::fcgi_doctor;

fn assert_usage_error(args: &[&str], needle: &str) {
    let run = fcgi_doctor(args).run();
    assert_eq!(
        run.code, 3,
        "{args:?}: stdout {} stderr {}",
        run.stdout, run.stderr
    );
    assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[test]
fn clap_errors_are_one_line_with_the_tip() {
    let run = fcgi_doctor(["probe", "/x", "--timeout", "-1s"]).run();
    assert_eq!(run.code, 3);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("tip:"), "{}", run.stderr);
    assert!(run.stderr.contains("--help"), "{}", run.stderr);
}

#[test]
fn clap_usage_errors_exit_unknown() {
    // No command at all shows the help, which is more use than one line.
    assert_usage_error(&[], "Usage");
    assert_usage_error(&["frobnicate"], "unrecognized subcommand");
    assert_usage_error(&["probe"], "TARGET");
    assert_usage_error(&["probe", "/x", "--bogus"], "--bogus");
    assert_usage_error(&["probe", "/x", "--format", "xml"], "xml");
    assert_usage_error(
        &["probe", "/x", "--fpm-ping", "--uri", "/a"],
        "cannot be used with",
    );
}

#[test]
fn bad_values_are_one_line_and_unknown() {
    let long = format!("/tmp/{}.sock", "a".repeat(150));
    for (args, needle) in [
        (vec!["probe", "localhost"], "needs a port"),
        (vec!["probe", "host:99999"], "1-65535"),
        (vec!["probe", "http://x:80"], "unknown scheme"),
        (vec!["probe", &long], "at most 107"),
        (vec!["probe", "/x", "--timeout", "soon"], "--timeout"),
        (vec!["probe", "/x", "--timeout", "0"], "out of range"),
        (
            vec!["probe", "/x", "--connect-timeout=-1s"],
            "--connect-timeout",
        ),
        (vec!["probe", "/x", "--timeout", "-1s"], "tip:"),
        (
            vec!["probe", "/x", "--expect-status", "2xx"],
            "--expect-status",
        ),
        (
            vec!["probe", "/x", "--expect-body", "(unclosed"],
            "invalid regular expression",
        ),
        (
            vec!["probe", "/x", "--expect-body", r"\p{Greek}"],
            "ASCII mode",
        ),
        (vec!["probe", "/x", "--max-body", "lots"], "--max-body"),
        (vec!["probe", "/x", "--param", "NOEQUALS"], "NAME=VALUE"),
        (vec!["probe", "/x", "--uri", "relative"], "--uri"),
        (vec!["probe", "/x", "--method", "GE T"], "--method"),
        (
            vec!["probe", "/x", "--body", "@/nonexistent/body"],
            "--body @/nonexistent/body",
        ),
        (
            vec!["probe", "/x", "--as-user", "no-such-user-xyz"],
            "no-such-user-xyz",
        ),
    ] {
        let run = fcgi_doctor(&args).run();
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(needle), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn help_and_version_succeed_and_document_exit_codes() {
    let run = fcgi_doctor(["--help"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("3  UNKNOWN"), "{}", run.stdout);
    let run = fcgi_doctor(["--version"]).run();
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("fcgi-doctor "));
}

#[test]
fn quiet_prints_nothing_when_ok_and_findings_otherwise() {
    let run = fcgi_doctor(["-q", "explain", "FD1001"]).run();
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
    let dir = tempfile::tempdir().unwrap();
    let run = fcgi_doctor(["probe", "-q", dir.path().join("x.sock").to_str().unwrap()]).run();
    assert_eq!(run.code, 2);
    assert!(run.stdout.contains("FD1001"), "{}", run.stdout);
    assert!(!run.stdout.contains("timings"), "{}", run.stdout);
}

#[test]
fn color_follows_the_flag_and_no_color() {
    let always = fcgi_doctor(["explain", "FD1001", "--color", "always"]).run();
    assert!(always.stdout.contains('\x1b'), "{}", always.stdout);
    let never = fcgi_doctor(["explain", "FD1001", "--color", "never"]).run();
    assert!(!never.stdout.contains('\x1b'));
    // auto: not a terminal here, so no colour even without NO_COLOR.
    let auto = fcgi_doctor(["explain", "FD1001"]).run();
    assert!(!auto.stdout.contains('\x1b'));
}

#[test]
fn jsonl_is_one_compact_object() {
    let run = fcgi_doctor(["explain", "FD1001", "--format", "jsonl"]).run();
    assert_eq!(run.stdout.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["codes"][0]["code"], "FD1001");
}

/// A monitoring system takes the first line as the status text: with -q it is
/// the status line, with no blank line before it.
#[test]
fn quiet_output_starts_with_the_status_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = fcgi_doctor(["probe", "-q", dir.path().join("x.sock").to_str().unwrap()]).run();
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stdout.lines().next(),
        Some("CRITICAL: 1 critical"),
        "{}",
        run.stdout
    );
}

/// clap's own pointer to --help was printed beside ours: one is enough, and
/// it names the command.
#[test]
fn a_usage_error_points_to_help_once() {
    let run = fcgi_doctor(["probe", "/x", "--bogus"]).run();
    assert_eq!(run.code, 3);
    assert_eq!(run.stderr.matches("--help").count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("'fcgi-doctor probe --help'"),
        "{}",
        run.stderr
    );
}

/// Every human report fits 100 columns when stdout is not a terminal, and
/// COLUMNS narrows it.
#[test]
fn human_output_fits_the_width() {
    let widest = |run: &crate::util::Run| run.stdout.lines().map(|l| l.chars().count()).max();
    let run = fcgi_doctor(["explain", "--all"]).run();
    assert!(widest(&run) <= Some(100), "{}", run.stdout);
    let run = fcgi_doctor(["explain", "--all"]).env("COLUMNS", "70").run();
    assert!(widest(&run) <= Some(70), "{}", run.stdout);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    let run = fcgi_doctor(["probe", path.to_str().unwrap()])
        .env("COLUMNS", "60")
        .run();
    assert!(widest(&run) <= Some(60), "{}", run.stdout);
    assert!(
        run.stdout.contains("\n       remove the stale"),
        "hanging indent: {}",
        run.stdout
    );
}
