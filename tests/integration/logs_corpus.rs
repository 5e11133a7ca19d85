//! The real-world corpus (`fixtures/logs/real-world/corpus.jsonl`): lines people
//! pasted into public issue threads and forums, each with the class an expert
//! gives it. Each paste goes to `logs -` on its own, as a user would pipe it;
//! the class of the first problem reported (causes lead) must be the label, and
//! a line labelled `none` must produce nothing at all.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::util::fcgi_doctor;

/// The share of pastes that must come out right.
const TARGET: f64 = 0.95;

struct Entry {
    line: String,
    class: String,
    source: String,
}

fn corpus() -> Vec<Entry> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/logs/real-world/corpus.jsonl"
    );
    std::fs::read_to_string(path)
        .expect("corpus.jsonl")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("corpus line is JSON");
            Entry {
                line: v["line"].as_str().unwrap().to_string(),
                class: v["class"].as_str().unwrap().to_string(),
                source: v["source"].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

/// The class of the first problem `logs` reports for a paste, or `none`.
fn classify(paste: &str) -> String {
    let run = fcgi_doctor(["logs", "--format", "json", "-"])
        .stdin_bytes()
        .run_with_input(format!("{paste}\n").as_bytes());
    assert!(run.code <= 2, "{paste}: exit {}: {}", run.code, run.stderr);
    run.json()["problems"]
        .as_array()
        .and_then(|p| p.first())
        .map_or("none".to_string(), |p| {
            p["class"].as_str().unwrap().to_string()
        })
}

#[test]
fn real_world_pastes_are_recognised() {
    let entries = corpus();
    assert!(entries.len() >= 300, "{} entries", entries.len());
    let mut right = 0;
    let mut wrong: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut loud_none = Vec::new();
    for e in &entries {
        let got = classify(&e.line);
        if got == e.class {
            right += 1;
            continue;
        }
        if e.class == "none" {
            loud_none.push(format!("{} ({})", e.line, e.source));
        }
        wrong
            .entry(format!("{} -> {got}", e.class))
            .or_default()
            .push(format!("{} ({})", e.line.replace('\n', "\\n"), e.source));
    }
    let rate = right as f64 / entries.len() as f64;
    let mut text = format!(
        "real-world corpus: {right} of {} pastes right ({:.1} %), target {:.0} %\n",
        entries.len(),
        rate * 100.0,
        TARGET * 100.0
    );
    for (what, lines) in &wrong {
        let _ = writeln!(text, "  {what}: {}", lines.len());
        for l in lines {
            let _ = writeln!(text, "      {l}");
        }
    }
    // The rate is printed on every run (`cargo test -- --nocapture` shows it).
    println!("{text}");
    assert!(rate >= TARGET, "{text}");
    assert!(
        loud_none.is_empty(),
        "lines that are not about FastCGI were reported:\n{}",
        loud_none.join("\n")
    );
}
