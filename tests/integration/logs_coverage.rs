//! Every catalogue row is reachable: its format, filled with sample values and
//! rendered in each envelope its server writes (`catalogue/samples.tsv`, made by
//! `scripts/gen-log-catalogue`), classifies to the row's code. The enveloped
//! lines sit past the first MiB of a large log, where only the prefilter's
//! anchors find them; the bare ones are a pasted fragment, read thoroughly.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::util::fcgi_doctor;

/// A line no catalogue row matches, as access logs and other daemons write them.
const NOISE: &str = "192.0.2.7 - - [04/Dec/2026:10:00:00 +0000] \"GET /static/app.css HTTP/1.1\" 200 5120 \"-\" \"Mozilla/5.0 (X11; Linux x86_64)\"";

struct Sample {
    row: String,
    code: String,
    envelope: String,
    text: String,
}

fn samples() -> Vec<Sample> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/catalogue/samples.tsv");
    std::fs::read_to_string(path)
        .expect("catalogue/samples.tsv")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.splitn(4, '\t').collect();
            Sample {
                row: f[0].into(),
                code: f[1].into(),
                envelope: f[2].into(),
                text: unescape(f[3]),
            }
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Writes the samples into one log, each after a noise line, starting after
/// `lead` noise lines; returns the line number of each sample.
fn write_log(path: &std::path::Path, samples: &[&Sample], lead: usize) -> Vec<u64> {
    let mut text = String::new();
    let mut line = 0u64;
    for _ in 0..lead {
        text.push_str(NOISE);
        text.push('\n');
        line += 1;
    }
    let mut at = Vec::new();
    for s in samples {
        text.push_str(NOISE);
        text.push('\n');
        line += 1;
        at.push(line + 1);
        text.push_str(&s.text);
        text.push('\n');
        line += 1 + s.text.matches('\n').count() as u64;
    }
    std::fs::write(path, text).unwrap();
    at
}

/// Runs `logs --format jsonl` on the log and lists the samples that did not
/// classify to their code.
fn misses(path: &std::path::Path, samples: &[&Sample], at: &[u64]) -> Vec<String> {
    let run = fcgi_doctor(["logs", "--format", "jsonl", path.to_str().unwrap()]).run();
    assert!(run.code <= 2, "{}", run.stderr);
    let got: BTreeMap<u64, (String, String)> = run
        .stdout
        .lines()
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                e["line"].as_u64().unwrap(),
                (
                    e["code"].as_str().unwrap().to_string(),
                    e["row"].as_str().unwrap_or("-").to_string(),
                ),
            )
        })
        .collect();
    let mut out = Vec::new();
    for (s, line) in samples.iter().zip(at) {
        match got.get(line) {
            Some((code, _)) if *code == s.code => {}
            other => out.push(format!(
                "{} {} ({}): {} -> {}",
                s.row,
                s.code,
                s.envelope,
                s.text.replace('\n', "\\n"),
                other.map_or("nothing".to_string(), |(c, r)| format!("{c} (row {r})"))
            )),
        }
    }
    out
}

fn report(what: &str, misses: &[String], total: usize) -> String {
    let mut text = format!("{} of {total} {what} lines missed:\n", misses.len());
    for m in misses {
        let _ = writeln!(text, "  {m}");
    }
    text
}

#[test]
fn every_row_in_every_envelope_past_the_first_mib_classifies_to_its_code() {
    let all = samples();
    let enveloped: Vec<&Sample> = all.iter().filter(|s| s.envelope != "bare").collect();
    assert!(enveloped.len() > 1500, "{} samples", enveloped.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enveloped.log");
    // 12,000 noise lines: more than the thoroughly searched first MiB.
    let at = write_log(&path, &enveloped, 12_000);
    let missed = misses(&path, &enveloped, &at);
    assert!(
        missed.is_empty(),
        "{}",
        report("enveloped", &missed, enveloped.len())
    );
}

#[test]
fn every_row_pasted_bare_classifies_to_its_code() {
    let all = samples();
    let bare: Vec<&Sample> = all.iter().filter(|s| s.envelope == "bare").collect();
    assert!(bare.len() > 1000, "{} samples", bare.len());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pasted.log");
    let at = write_log(&path, &bare, 0);
    let missed = misses(&path, &bare, &at);
    assert!(missed.is_empty(), "{}", report("bare", &missed, bare.len()));
}

#[test]
fn every_row_but_the_pass_through_ones_has_samples() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/checks/logs/catalogue-patterns.tsv"
    );
    let table = std::fs::read_to_string(path).unwrap();
    let rows: std::collections::BTreeSet<&str> = table
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[6] != "passthrough")
        .map(|f| f[0])
        .collect();
    let all = samples();
    let sampled: std::collections::BTreeSet<&str> = all.iter().map(|s| s.row.as_str()).collect();
    let missing: Vec<_> = rows.difference(&sampled).collect();
    assert!(missing.is_empty(), "rows without samples: {missing:?}");
    assert!(rows.len() > 1000, "{} rows", rows.len());
}
