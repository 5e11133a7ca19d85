//! `explain`: the registry as people and machines read it.

use crate::util::fcgi_doctor;

#[test]
fn explain_one_code() {
    let run = fcgi_doctor(["explain", "FD1004"]).run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn explain_is_case_insensitive_and_takes_classes() {
    let run = fcgi_doctor(["explain", "fd1006"]).run();
    assert!(run.stdout.starts_with("FD1006"), "{}", run.stdout);
    let run = fcgi_doctor(["explain", "timeout"]).run();
    assert_eq!(run.code, 0);
    for code in ["FD1008", "FD1101", "FD1102"] {
        assert!(run.stdout.contains(code), "{code} in:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("FD1001"));
}

#[test]
fn explain_all_lists_every_code() {
    let run = fcgi_doctor(["explain", "--all"]).run();
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn explain_json_has_the_common_keys_and_every_field() {
    let run = fcgi_doctor(["explain", "--all", "--format", "json"]).run();
    let json = run.json();
    assert_eq!(json["tool"], "fcgi-doctor");
    assert_eq!(json["command"], "explain");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["findings"], serde_json::json!([]));
    let codes = json["codes"].as_array().unwrap();
    assert_eq!(codes.len(), fcgi_doctor::core::registry::all().count());
    for c in codes {
        for key in ["code", "class", "severity", "title", "explanation", "fix"] {
            assert!(
                c[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} in {c}"
            );
        }
    }
}

#[test]
fn unknown_code_is_unknown_status() {
    let run = fcgi_doctor(["explain", "FD9999"]).run();
    assert_eq!(run.code, 3);
    assert!(run.stdout.is_empty());
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("explain --all"), "{}", run.stderr);
}
