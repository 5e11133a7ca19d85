//! `fcgi-doctor logs`: read error logs of Apache, nginx, php-fpm and friends,
//! and turn their FastCGI lines into coded problems with causes and fixes.
//!
//! Flow: [`input`] streams candidate entries (bounded memory, most lines never
//! looked at twice) → [`envelope`] takes each apart → [`classify`] names it with a
//! registry code → [`correlate`] links symptoms to causes → [`Summary`] counts
//! problems → [`render`] prints.

pub mod catalogue;
pub mod classify;
pub mod correlate;
pub mod envelope;
pub mod follow;
pub mod input;
pub mod pattern;
pub mod render;
pub mod stderr;
pub mod time;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Write};

use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::registry::{Class, Code};
use crate::sanitize;
use envelope::Server;
use pattern::Matcher;
use time::Timestamp;

/// Validated settings of `logs`.
#[derive(Debug, Clone)]
pub struct LogsSettings {
    pub inputs: Vec<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub min_severity: Severity,
    pub follow: bool,
    pub timeline: bool,
    pub verbose: bool,
    /// Stream one JSON object per entry instead of a summary.
    pub jsonl: bool,
    pub progress: bool,
}

/// One classified entry: the `--format jsonl` object.
#[derive(Debug, Clone, Serialize)]
pub struct EntryReport {
    pub file: String,
    pub line: u64,
    pub end_line: u64,
    pub timestamp: Option<Timestamp>,
    pub server: &'static str,
    pub code: &'static str,
    pub class: Class,
    pub severity: Severity,
    pub title: &'static str,
    pub message: String,
    /// Line number of the entry this one is a symptom of.
    pub cause: Option<u64>,
    /// Code of that entry.
    pub cause_code: Option<&'static str>,
    /// The catalogue row whose pattern matched.
    pub row: Option<&'static str>,
}

/// Everything seen about one code: the `problems` objects.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub class: Class,
    pub severity: Severity,
    pub title: &'static str,
    pub count: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub files: BTreeSet<String>,
    pub example: String,
    /// `file:line` of the example.
    pub example_at: String,
    pub fix: &'static str,
    /// Codes of the causes this problem followed, with how often.
    pub caused_by: BTreeMap<&'static str, u64>,
    /// Entries that had a cause: when all did, this is a symptom.
    #[serde(skip)]
    pub with_cause: u64,
}

impl Problem {
    pub fn is_symptom(&self) -> bool {
        self.with_cause == self.count
    }
}

/// Per-input counters: the `inputs` objects.
#[derive(Debug, Clone, Default, Serialize)]
pub struct InputReport {
    pub file: String,
    pub lines: u64,
    pub bytes: u64,
    pub entries: u64,
    pub errors: Vec<String>,
}

/// The data of `logs` beside the common JSON keys.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub problems: Vec<Problem>,
    pub inputs: Vec<InputReport>,
    /// Entries per class and hour, for --timeline.
    #[serde(skip)]
    pub timeline: BTreeMap<(Timestamp, Class), u64>,
    #[serde(skip)]
    pub info: Vec<EntryReport>,
    #[serde(skip)]
    pub info_count: u64,
}

/// Informational entries kept for --verbose; the rest are counted.
const MAX_INFO_KEPT: usize = 1000;

impl Summary {
    /// One finding per problem, for the common `findings` key and the status.
    pub fn findings(&self) -> Vec<Finding> {
        self.problems
            .iter()
            .map(|p| Finding {
                code: p.code,
                class: p.class,
                severity: p.severity,
                title: p.title,
                message: format!(
                    "{} entr{}{}: {}",
                    p.count,
                    if p.count == 1 { "y" } else { "ies" },
                    match (p.first_seen, p.last_seen) {
                        (Some(a), Some(b)) if a != b => format!(" from {a} to {b}"),
                        (Some(a), _) => format!(" at {a}"),
                        _ => String::new(),
                    },
                    p.example
                ),
                subject: p.files.iter().cloned().collect::<Vec<_>>().join(", "),
                fix: p.fix.to_string(),
            })
            .collect()
    }
}

/// Reads every input and classifies it. `on_entry` sees each classified entry
/// as it is found (jsonl streams from there).
pub fn scan(
    settings: &LogsSettings,
    mut on_entry: impl FnMut(&EntryReport) -> io::Result<()>,
) -> io::Result<Summary> {
    let matcher = Matcher::get();
    let mut summary = Summary::default();
    let mut problems: HashMap<&'static str, Problem> = HashMap::new();
    for spec in &settings.inputs {
        let mut report = InputReport {
            file: spec.clone(),
            ..InputReport::default()
        };
        match input::open(spec) {
            Err(e) => report.errors.push(e),
            Ok(opened) => {
                let mut progress =
                    render::Progress::new(settings.progress, &opened.name, opened.size);
                let mut scanner = input::Scanner::new(opened.reader);
                let mut correlator = correlate::Correlator::default();
                loop {
                    let raw = match scanner.next_entry(matcher) {
                        Ok(Some(raw)) => raw,
                        Ok(None) => break,
                        Err(e) => {
                            report.errors.push(format!(
                                "{spec}: read failed after line {}: {e}",
                                scanner.lines
                            ));
                            break;
                        }
                    };
                    progress.update(scanner.bytes);
                    let Some(entry) = entry_report(spec, &raw, &mut correlator) else {
                        continue;
                    };
                    if !in_bounds(settings, entry.timestamp)
                        || entry.severity < settings.min_severity
                    {
                        continue;
                    }
                    report.entries += 1;
                    on_entry(&entry)?;
                    record(&mut problems, &mut summary, &entry);
                }
                progress.finish();
                report.lines = scanner.lines;
                report.bytes = scanner.bytes;
            }
        }
        summary.inputs.push(report);
    }
    let mut list: Vec<Problem> = problems.into_values().collect();
    // Causes before their symptoms, then the most severe and most frequent.
    list.sort_by(|a, b| {
        a.is_symptom()
            .cmp(&b.is_symptom())
            .then(b.severity.cmp(&a.severity))
            .then(b.count.cmp(&a.count))
            .then(a.code.cmp(b.code))
    });
    summary.problems = list;
    Ok(summary)
}

/// Classifies a raw entry; None when it is not about FastCGI.
pub fn entry_report(
    file: &str,
    raw: &input::RawEntry,
    correlator: &mut correlate::Correlator,
) -> Option<EntryReport> {
    // nginx says `upstream: "http://` (or uwsgi, scgi) for other upstreams: such
    // a line is not about FastCGI, and saying so early is cheap.
    if let Some(at) = memchr::memmem::find(raw.first.as_bytes(), b", upstream: \"") {
        if !raw.first[at + 13..].starts_with("fastcgi://") {
            return None;
        }
    }
    let env = envelope::parse(&raw.first);
    let body = if raw.continuation.is_empty() {
        std::borrow::Cow::Borrowed(env.message)
    } else {
        std::borrow::Cow::Owned(format!("{}\n{}", env.message, raw.continuation.join("\n")))
    };
    let classified = classify::classify(&env, &body)?;
    let code: &'static Code = classified.code;
    let cause = correlator.observe(raw.line, &env, code);
    Some(EntryReport {
        file: file.to_string(),
        line: raw.line,
        end_line: raw.end_line,
        timestamp: env.timestamp,
        server: env.server.unwrap_or(Server::Unknown).as_str(),
        code: code.id,
        class: code.class,
        severity: code.severity,
        title: code.title,
        message: sanitize::escape_keep_lines(&sanitize::truncate(&body, 2000)).into_owned(),
        cause: cause.map(|(line, _)| line),
        cause_code: cause.map(|(_, code)| code.id),
        row: classified.row,
    })
}

fn in_bounds(settings: &LogsSettings, ts: Option<Timestamp>) -> bool {
    if settings.since.is_none() && settings.until.is_none() {
        return true;
    }
    let Some(ts) = ts else {
        return false;
    };
    settings.since.is_none_or(|s| ts >= s) && settings.until.is_none_or(|u| ts <= u)
}

fn record(problems: &mut HashMap<&'static str, Problem>, summary: &mut Summary, e: &EntryReport) {
    if let Some(ts) = e.timestamp {
        *summary.timeline.entry((ts.hour(), e.class)).or_default() += 1;
    }
    if e.severity == Severity::Info {
        summary.info_count += 1;
        if summary.info.len() < MAX_INFO_KEPT {
            summary.info.push(e.clone());
        }
    }
    let code = crate::registry::lookup(e.code).expect("entry codes come from the registry");
    let p = problems.entry(e.code).or_insert_with(|| Problem {
        code: e.code,
        class: e.class,
        severity: e.severity,
        title: e.title,
        count: 0,
        first_seen: None,
        last_seen: None,
        files: BTreeSet::new(),
        example: sanitize::escape(&sanitize::truncate(&e.message, 300)).into_owned(),
        example_at: format!("{}:{}", e.file, e.line),
        fix: code.fix,
        caused_by: BTreeMap::new(),
        with_cause: 0,
    });
    p.count += 1;
    if let Some(ts) = e.timestamp {
        p.first_seen = Some(p.first_seen.map_or(ts, |f| f.min(ts)));
        p.last_seen = Some(p.last_seen.map_or(ts, |l| l.max(ts)));
    }
    p.files.insert(e.file.clone());
    if let Some(cause) = e.cause_code {
        p.with_cause += 1;
        *p.caused_by.entry(cause).or_default() += 1;
    }
}

/// Writes one entry as a line of JSON.
pub fn write_jsonl(out: &mut dyn Write, entry: &EntryReport) -> io::Result<()> {
    serde_json::to_writer(&mut *out, entry)?;
    writeln!(out)
}
