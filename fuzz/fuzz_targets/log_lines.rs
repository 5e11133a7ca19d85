//! Log lines, as `fcgi-doctor logs` and `fcgi-doctor explain '<line>'` read
//! them. The input is taken as text (`String::from_utf8_lossy`) and:
//! - line by line: `sources::logs::envelope::parse`, then
//!   `checks::logs::classify::classify` on the envelope's message (and on its
//!   full text), `checks::logs::stderr::relayed` / `stderr::classify`, and
//!   `sources::logs::input::continues` against the line before;
//! - whole: `sources::logs::input::Scanner` with the catalogue's
//!   `checks::logs::pattern::Matcher`, each candidate entry classified as the
//!   `logs` command does (message plus continuation lines);
//! - whole: `commands::logs::fragment_entries`, what `explain '<line>'` runs
//!   on a pasted fragment (with no `Host`: it reads nothing of the machine).
//!
//! Invariants: an envelope keeps the line it was given; `stderr::classify`
//! with its fallback always names a code; an entry ends on or after the line
//! it starts, within the input's lines, and every code found is in the
//! registry.

#![no_main]

use fcgi_doctor::checks::logs::classify::classify;
use fcgi_doctor::checks::logs::pattern::Matcher;
use fcgi_doctor::checks::logs::stderr;
use fcgi_doctor::commands::logs::fragment_entries;
use fcgi_doctor::core::registry;
use fcgi_doctor::sources::logs::envelope;
use fcgi_doctor::sources::logs::input::{continues, Scanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut first: Option<&str> = None;
    let mut previous: Option<String> = None;
    for line in text.lines() {
        let env = envelope::parse(line);
        assert_eq!(env.line, line);
        if let Some(found) = classify(&env, env.message) {
            assert!(registry::lookup(found.code.id).is_some());
        }
        let _ = classify(&env, env.full);
        if let Some(payload) = stderr::relayed(env.message) {
            let _ = stderr::classify(payload, false);
        }
        assert!(
            stderr::classify(line, true).is_some(),
            "fallback gives a code"
        );
        match first {
            Some(f) if continues(f, previous.as_ref(), line) => {
                previous = Some(line.to_string());
            }
            _ => {
                first = Some(line);
                previous = None;
            }
        }
    }
    // Lines as the scanner counts them: one per newline, and a last one
    // without its newline.
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64
        + u64::from(!data.is_empty() && !data.ends_with(b"\n"));

    let mut scanner = Scanner::new(data);
    let mut last_end = 0;
    while let Some(raw) = scanner.next_entry(Matcher::get()).expect("reading a slice") {
        assert!(
            raw.line >= 1 && raw.line <= raw.end_line,
            "{} > {}",
            raw.line,
            raw.end_line
        );
        assert!(
            raw.line > last_end,
            "entries overlap: {} after {last_end}",
            raw.line
        );
        assert!(raw.end_line <= lines, "line {} of {lines}", raw.end_line);
        last_end = raw.end_line;
        let env = envelope::parse(&raw.first);
        let body = if raw.continuation.is_empty() {
            env.message.to_string()
        } else {
            format!("{}\n{}", env.message, raw.continuation.join("\n"))
        };
        if let Some(found) = classify(&env, &body) {
            assert!(registry::lookup(found.code.id).is_some());
        }
    }

    let entries = fragment_entries(&text).expect("a fragment is read from memory");
    for e in &entries {
        assert!(e.line <= e.end_line, "{} > {}", e.line, e.end_line);
        assert!(
            registry::lookup(e.code).is_some(),
            "unknown code {}",
            e.code
        );
        if let Some(cause) = e.cause {
            assert!(cause <= e.end_line, "cause {cause} after {}", e.end_line);
        }
    }
});
