//! `fcgi-doctor logs`: read error logs of Apache, nginx, php-fpm and friends,
//! and turn their FastCGI lines into coded problems with causes and fixes.
//!
//! Flow: [`input`] streams candidate entries (bounded memory, most lines never
//! looked at twice) → [`envelope`] takes each apart → [`classify`] names it with a
//! registry code → [`correlate`] links symptoms to causes → [`Summary`] counts
//! problems; the reporter prints it, and each entry as it is found when asked.

pub mod follow;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, Read};

use serde::Serialize;

use crate::checks::fixes;
use crate::checks::logs::pattern::Matcher;
use crate::checks::logs::{classify, correlate};
use crate::core::finding::{Finding, Severity};
use crate::core::outcome::Outcome;
use crate::core::registry::{Class, Code};
use crate::core::sanitize;
use crate::core::text::finder;
use crate::sources::host::Host;
use crate::sources::logs::envelope::{self, Server};
use crate::sources::logs::input;
use crate::sources::logs::time::Timestamp;

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
}

/// Told how far the reading of a large input has got (the progress bar on a
/// terminal). Called from the threads that read parts of one file.
pub trait Progress: Sync {
    /// `bytes` of `size` of `input` have been read.
    fn update(&self, input: &str, size: u64, bytes: u64);
    /// `input` has been read.
    fn finish(&self, input: &str);
}

/// No progress to show.
pub struct Quiet;

impl Progress for Quiet {
    fn update(&self, _: &str, _: u64, _: u64) {}
    fn finish(&self, _: &str) {}
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
    /// The request (`GET /slow.php?s=8 HTTP/1.1`), client and upstream the
    /// line names, and the script it is about, where it says.
    pub request: Option<String>,
    pub client: Option<String>,
    pub upstream: Option<String>,
    pub script: Option<String>,
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
    /// The example's request, client, upstream and script, where it names them.
    pub example_request: Option<String>,
    pub example_client: Option<String>,
    pub example_upstream: Option<String>,
    pub example_script: Option<String>,
    #[serde(skip)]
    pub example_file: String,
    #[serde(skip)]
    pub example_line: u64,
    /// The registry's fix, in this host's terms.
    pub fix: String,
    /// Seconds from `last_seen` to now; null without a timestamp (or one in
    /// the future: another time zone, a wrong clock).
    pub last_seen_seconds_ago: Option<i64>,
    /// Codes of the causes this problem followed, with how often.
    pub caused_by: BTreeMap<&'static str, u64>,
    /// For each cause code, where one such cause was logged (any input).
    pub caused_by_at: BTreeMap<&'static str, Place>,
    /// Entries that had a cause: when all did, this is a symptom.
    #[serde(skip)]
    pub with_cause: u64,
}

impl Problem {
    pub fn is_symptom(&self) -> bool {
        self.with_cause == self.count
    }
}

/// A line of an input.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Place {
    pub file: String,
    pub line: u64,
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
    /// How to show it: `--timeline` and `--verbose`.
    #[serde(skip)]
    pub show_timeline: bool,
    #[serde(skip)]
    pub verbose: bool,
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
                fix: p.fix.clone(),
            })
            .collect()
    }
}

/// What sees each classified entry as it is found.
pub type EntrySink<'a> = dyn FnMut(&EntryReport) -> io::Result<()> + 'a;

/// Reads every input and classifies it. `on_entry` sees each classified entry
/// in order as it is found (`--format jsonl` streams from there); when it is
/// not needed, large files are split between the cores. Fails only when
/// `on_entry` does (its output is gone).
pub fn run(
    settings: &LogsSettings,
    host: &Host,
    mut on_entry: Option<&mut EntrySink<'_>>,
    progress: &dyn Progress,
) -> io::Result<Outcome<Summary>> {
    let mut tally = Tally::default();
    let mut inputs = Vec::new();
    for spec in &settings.inputs {
        let report = match on_entry.as_deref_mut() {
            Some(callback) => scan_stream(settings, spec, &mut tally, callback, progress)?,
            None => scan_parallel(settings, spec, &mut tally, progress),
        };
        inputs.push(report);
    }
    let mut summary = tally.into_summary(inputs);
    summary.show_timeline = settings.timeline;
    summary.verbose = settings.verbose;
    let mut out = outcome(summary, host);
    if settings.since.is_none() {
        if let Some(note) = old_news(&out.data.problems) {
            out.notes.push(note);
        }
    }
    Ok(out)
}

/// Problems last seen longer ago than this are old news.
const OLD_NEWS_SECONDS: i64 = 3600;

/// When every problem found was last seen over an hour ago: say so, and how
/// to see only what happens now.
fn old_news(problems: &[Problem]) -> Option<String> {
    let ages: Vec<i64> = problems
        .iter()
        .filter(|p| p.severity > Severity::Info)
        .map(|p| p.last_seen_seconds_ago)
        .collect::<Option<_>>()?;
    let newest = *ages.iter().min()?;
    (newest > OLD_NEWS_SECONDS).then(|| {
        format!(
            "every problem found was last seen over an hour ago (the newest {}): `--since 1h` \
             shows only what happens now",
            crate::core::text::ago(newest)
        )
    })
}

/// The summary's problems as findings (their fixes in this host's terms), and
/// the inputs that could not be read as skips.
fn outcome(mut summary: Summary, host: &Host) -> Outcome<Summary> {
    for p in summary
        .problems
        .iter_mut()
        .filter(|p| fixes::depends_on_host(&p.fix))
    {
        if let std::borrow::Cow::Owned(fix) = fixes::localize(&p.fix, host.services()) {
            p.fix = fix;
        }
    }
    let now = host.now();
    for p in &mut summary.problems {
        p.last_seen_seconds_ago = p
            .last_seen
            .map(|t| (now - t.0).num_seconds())
            .filter(|&s| s >= 0);
    }
    let mut out = Outcome::new(summary);
    out.findings = out.data.findings();
    for input in &out.data.inputs {
        for e in &input.errors {
            out.skipped.push(crate::core::outcome::Skip {
                check: "input",
                subject: input.file.clone(),
                description: format!("reading {}", input.file),
                reason: e.clone(),
            });
        }
    }
    // Nothing could be read: the check was not done.
    out.unchecked = out
        .data
        .inputs
        .iter()
        .all(|i| !i.errors.is_empty() && i.lines == 0);
    out
}

/// Reads one input from start to end on this thread.
fn scan_stream(
    settings: &LogsSettings,
    spec: &str,
    tally: &mut Tally,
    on_entry: &mut dyn FnMut(&EntryReport) -> io::Result<()>,
    progress: &dyn Progress,
) -> io::Result<InputReport> {
    let mut report = InputReport {
        file: spec.to_string(),
        ..InputReport::default()
    };
    match input::open(spec) {
        Err(e) => report.errors.push(e),
        Ok(mut opened) => {
            let watched = Watched::new(progress, spec, opened.size);
            // A paste on standard input is read whole, as one fragment.
            if spec == "-" {
                let mut head = Vec::new();
                let read = (&mut opened.reader)
                    .take(FRAGMENT_MAX as u64 + 1)
                    .read_to_end(&mut head);
                if let Err(e) = read {
                    report.errors.push(format!("-: {e}"));
                    return Ok(report);
                }
                if head.len() <= FRAGMENT_MAX {
                    let text = String::from_utf8_lossy(&head);
                    scan_fragment(settings, &text, tally, &mut report, on_entry)?;
                    return Ok(report);
                }
                let reader = io::Cursor::new(head).chain(opened.reader);
                scan_reader(
                    settings,
                    spec,
                    input::Scanner::new(reader),
                    &watched,
                    tally,
                    &mut report,
                    on_entry,
                )?;
                return Ok(report);
            }
            scan_reader(
                settings,
                spec,
                input::Scanner::new(opened.reader),
                &watched,
                tally,
                &mut report,
                on_entry,
            )?;
        }
    }
    Ok(report)
}

/// The entries of a pasted fragment (`fcgi-doctor explain '<line>'`), read as
/// `logs -` reads a paste.
pub fn fragment_entries(text: &str) -> io::Result<Vec<EntryReport>> {
    let settings = LogsSettings {
        inputs: vec!["-".into()],
        since: None,
        until: None,
        min_severity: Severity::Info,
        follow: false,
        timeline: false,
        verbose: false,
    };
    let mut found = Vec::new();
    let mut keep = |e: &EntryReport| {
        found.push(e.clone());
        Ok(())
    };
    scan_fragment(
        &settings,
        text,
        &mut Tally::default(),
        &mut InputReport::default(),
        &mut keep,
    )?;
    Ok(found)
}

/// Standard input up to this size is a paste: read whole, it is read again as
/// one line when none of its lines is recognised (a mail client or a terminal
/// wrapped it).
const FRAGMENT_MAX: usize = 16 << 10;

/// Classifies a pasted fragment: typographic quotes made plain, and, when no
/// line of it is recognised, its lines joined (with a space, then without, for
/// a word cut in two).
fn scan_fragment(
    settings: &LogsSettings,
    text: &str,
    tally: &mut Tally,
    report: &mut InputReport,
    on_entry: &mut dyn FnMut(&EntryReport) -> io::Result<()>,
) -> io::Result<()> {
    let plain = plain_quotes(text);
    let lines = plain.lines().filter(|l| !l.trim().is_empty()).count();
    let mut variants = vec![plain.clone().into_owned()];
    if lines > 1 {
        for joiner in [" ", ""] {
            let joined: Vec<&str> = plain
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            variants.push(joined.join(joiner));
        }
    }
    for (i, variant) in variants.iter().enumerate() {
        let mut part = Tally::default();
        let mut part_report = InputReport::default();
        let mut found = Vec::new();
        let mut keep = |e: &EntryReport| {
            found.push(e.clone());
            Ok(())
        };
        let quiet = Watched::new(&Quiet, "-", None);
        scan_reader(
            settings,
            "-",
            input::Scanner::new(variant.as_bytes()),
            &quiet,
            &mut part,
            &mut part_report,
            &mut keep,
        )?;
        if found.is_empty() && i + 1 < variants.len() {
            continue;
        }
        let unwrapped = i > 0;
        for mut e in found {
            if unwrapped {
                (e.line, e.end_line) = (1, lines as u64);
            }
            on_entry(&e)?;
        }
        if unwrapped {
            for p in part.problems.values_mut() {
                p.example_line = 1;
            }
        }
        tally.merge(part, 0);
        report.entries += part_report.entries;
        break;
    }
    report.lines = text.lines().count() as u64;
    report.bytes = text.len() as u64;
    Ok(())
}

/// Typographic quotes, which blogs and word processors put into pasted log
/// lines, as the plain ones the servers wrote.
fn plain_quotes(text: &str) -> std::borrow::Cow<'_, str> {
    const QUOTES: [(char, char); 4] = [
        ('\u{201c}', '"'),
        ('\u{201d}', '"'),
        ('\u{2018}', '\''),
        ('\u{2019}', '\''),
    ];
    if !text.contains(|c| QUOTES.iter().any(|(q, _)| c == *q)) {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(
        text.chars()
            .map(|c| {
                QUOTES
                    .iter()
                    .find(|(q, _)| c == *q)
                    .map_or(c, |(_, plain)| *plain)
            })
            .collect(),
    )
}

/// The progress of one input, told only for inputs large enough to need it.
struct Watched<'a> {
    progress: &'a dyn Progress,
    input: &'a str,
    size: Option<u64>,
}

/// Inputs smaller than this finish before a bar would help.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

impl<'a> Watched<'a> {
    fn new(progress: &'a dyn Progress, input: &'a str, size: Option<u64>) -> Self {
        Self {
            progress,
            input,
            size: size.filter(|&s| s >= PROGRESS_MIN_BYTES),
        }
    }

    fn update(&self, bytes: u64) {
        if let Some(size) = self.size {
            self.progress.update(self.input, size, bytes);
        }
    }

    fn finish(&self) {
        if self.size.is_some() {
            self.progress.finish(self.input);
        }
    }
}

/// The classification loop over one reader.
fn scan_reader(
    settings: &LogsSettings,
    spec: &str,
    mut scanner: input::Scanner<impl io::Read>,
    progress: &Watched,
    tally: &mut Tally,
    report: &mut InputReport,
    on_entry: &mut dyn FnMut(&EntryReport) -> io::Result<()>,
) -> io::Result<()> {
    let matcher = Matcher::get();
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
        if !in_bounds(settings, entry.timestamp) || entry.severity < settings.min_severity {
            continue;
        }
        report.entries += 1;
        on_entry(&entry)?;
        tally.record(&entry);
    }
    progress.finish();
    report.lines = scanner.lines;
    report.bytes = scanner.bytes;
    Ok(())
}

/// Files smaller than this are not worth a second thread.
const PARALLEL_MIN_BYTES: u64 = 32 << 20;

/// Splits a large plain file into one range per core, at line starts, and
/// scans the ranges on their own threads. Line numbers are fixed up when the
/// line counts of the earlier ranges are known. A symptom whose cause sits in
/// the previous range loses that link, once per range boundary at most.
fn scan_parallel(
    settings: &LogsSettings,
    spec: &str,
    tally: &mut Tally,
    progress: &dyn Progress,
) -> InputReport {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let ranges = match input::split_ranges(spec, threads, PARALLEL_MIN_BYTES) {
        Some(ranges) if ranges.len() > 1 => ranges,
        _ => {
            let mut ignore = |_: &EntryReport| Ok(());
            return scan_stream(settings, spec, tally, &mut ignore, progress).unwrap_or_else(|e| {
                InputReport {
                    file: spec.to_string(),
                    errors: vec![e.to_string()],
                    ..InputReport::default()
                }
            });
        }
    };
    let parts: Vec<(Tally, InputReport)> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .enumerate()
            .map(|(i, &(start, end))| {
                scope.spawn(move || {
                    let mut part = Tally::default();
                    let mut report = InputReport {
                        file: spec.to_string(),
                        ..InputReport::default()
                    };
                    match input::open_range(spec, start, end) {
                        Err(e) => report.errors.push(e),
                        Ok(reader) => {
                            // The first part speaks for the whole file.
                            let size = (i == 0).then_some(end - start);
                            let watched = Watched::new(progress, spec, size);
                            let mut ignore = |_: &EntryReport| Ok(());
                            // Only the start of the file is searched thoroughly.
                            let thorough = if i == 0 { input::THOROUGH_BYTES } else { 0 };
                            if let Err(e) = scan_reader(
                                settings,
                                spec,
                                input::Scanner::with_thorough(reader, thorough),
                                &watched,
                                &mut part,
                                &mut report,
                                &mut ignore,
                            ) {
                                report.errors.push(e.to_string());
                            }
                        }
                    }
                    (part, report)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("scan thread"))
            .collect()
    });
    let mut report = InputReport {
        file: spec.to_string(),
        ..InputReport::default()
    };
    for (part, r) in parts {
        tally.merge(part, report.lines);
        report.lines += r.lines;
        report.bytes += r.bytes;
        report.entries += r.entries;
        report.errors.extend(r.errors);
    }
    report
}

/// Counts being built: problems by code, the timeline, informational
/// entries, and what the pass across files needs.
#[derive(Default)]
struct Tally {
    problems: HashMap<&'static str, Problem>,
    timeline: BTreeMap<(Timestamp, Class), u64>,
    info: Vec<EntryReport>,
    info_count: u64,
    across: correlate::Across,
    /// The inputs, in the order first seen (indices of `across`).
    files: Vec<String>,
}

impl Tally {
    fn file_index(&mut self, file: &str) -> usize {
        match self.files.iter().position(|f| f == file) {
            Some(i) => i,
            None => {
                self.files.push(file.to_string());
                self.files.len() - 1
            }
        }
    }

    /// Keeps what the pass across files needs of an entry: php-fpm's own
    /// lines and the web servers', those that found no cause in their file.
    fn keep_for_across(&mut self, e: &EntryReport) {
        let Some(ts) = e.timestamp else {
            return;
        };
        // An entry with a cause in its own file is neither side's root.
        let backend = e.server == Server::PhpFpm.as_str();
        let web = matches!(e.server, "nginx" | "apache22" | "apache24" | "lighttpd");
        if !(backend || web) || e.cause.is_some() {
            return;
        }
        let Some(code) = crate::core::registry::lookup(e.code) else {
            return;
        };
        let file = self.file_index(&e.file);
        self.across.observe(
            backend,
            correlate::Candidate {
                file,
                line: e.line,
                seconds: correlate::epoch_seconds(ts),
                code,
                script: e
                    .script
                    .as_deref()
                    .map(|s| correlate::script_name(s).to_string()),
            },
        );
    }

    /// Links the web servers' problems to their causes in other files.
    fn link_across(&mut self) {
        let links = std::mem::take(&mut self.across).links();
        for link in links {
            let Some(p) = self.problems.get_mut(link.symptom.code.id) else {
                continue;
            };
            p.with_cause += 1;
            *p.caused_by.entry(link.cause.code.id).or_default() += 1;
            p.caused_by_at.entry(link.cause.code.id).or_insert(Place {
                file: self.files[link.cause.file].clone(),
                line: link.cause.line,
            });
        }
    }

    fn record(&mut self, e: &EntryReport) {
        self.keep_for_across(e);
        if let Some(ts) = e.timestamp {
            *self.timeline.entry((ts.hour(), e.class)).or_default() += 1;
        }
        if e.severity == Severity::Info {
            self.info_count += 1;
            if self.info.len() < MAX_INFO_KEPT {
                self.info.push(e.clone());
            }
        }
        let p = self.problems.entry(e.code).or_insert_with(|| Problem {
            code: e.code,
            class: e.class,
            severity: e.severity,
            title: e.title,
            count: 0,
            first_seen: None,
            last_seen: None,
            files: BTreeSet::new(),
            // Its first line: a traceback's exception, a message's start.
            example: sanitize::escape(&sanitize::truncate(
                e.message.lines().next().unwrap_or_default(),
                300,
            ))
            .into_owned(),
            example_at: String::new(),
            example_request: e.request.clone(),
            example_client: e.client.clone(),
            example_upstream: e.upstream.clone(),
            example_script: e.script.clone(),
            example_file: e.file.clone(),
            example_line: e.line,
            fix: crate::core::registry::lookup(e.code)
                .map_or("", |c| c.fix)
                .to_string(),
            last_seen_seconds_ago: None,
            caused_by: BTreeMap::new(),
            caused_by_at: BTreeMap::new(),
            with_cause: 0,
        });
        p.count += 1;
        if let Some(ts) = e.timestamp {
            p.first_seen = Some(p.first_seen.map_or(ts, |f| f.min(ts)));
            p.last_seen = Some(p.last_seen.map_or(ts, |l| l.max(ts)));
        }
        if !p.files.contains(&e.file) {
            p.files.insert(e.file.clone());
        }
        if let (Some(cause), Some(line)) = (e.cause_code, e.cause) {
            p.with_cause += 1;
            *p.caused_by.entry(cause).or_default() += 1;
            p.caused_by_at.entry(cause).or_insert(Place {
                file: e.file.clone(),
                line,
            });
        }
    }

    /// Adds a later range's counts; its line numbers start after `line_offset`.
    fn merge(&mut self, other: Tally, line_offset: u64) {
        let files: Vec<usize> = other.files.iter().map(|f| self.file_index(f)).collect();
        self.across.merge(other.across, line_offset, |i| files[i]);
        for ((t, c), n) in other.timeline {
            *self.timeline.entry((t, c)).or_default() += n;
        }
        self.info_count += other.info_count;
        for mut e in other.info {
            if self.info.len() >= MAX_INFO_KEPT {
                break;
            }
            e.line += line_offset;
            e.end_line += line_offset;
            self.info.push(e);
        }
        for (code, mut theirs) in other.problems {
            theirs.example_line += line_offset;
            for at in theirs.caused_by_at.values_mut() {
                at.line += line_offset;
            }
            match self.problems.get_mut(code) {
                None => {
                    self.problems.insert(code, theirs);
                }
                Some(mine) => {
                    mine.count += theirs.count;
                    mine.with_cause += theirs.with_cause;
                    mine.first_seen = match (mine.first_seen, theirs.first_seen) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    mine.last_seen = mine.last_seen.max(theirs.last_seen);
                    mine.files.extend(theirs.files);
                    for (c, n) in theirs.caused_by {
                        *mine.caused_by.entry(c).or_default() += n;
                    }
                    for (c, at) in theirs.caused_by_at {
                        mine.caused_by_at.entry(c).or_insert(at);
                    }
                }
            }
        }
    }

    fn into_summary(mut self, inputs: Vec<InputReport>) -> Summary {
        self.link_across();
        let mut list: Vec<Problem> = self.problems.into_values().collect();
        for p in &mut list {
            p.example_at = format!("{}:{}", p.example_file, p.example_line);
        }
        // Causes before their symptoms, then the most severe and most frequent.
        list.sort_by(|a, b| {
            a.is_symptom()
                .cmp(&b.is_symptom())
                .then(b.severity.cmp(&a.severity))
                .then(b.count.cmp(&a.count))
                .then(a.code.cmp(b.code))
        });
        Summary {
            problems: list,
            inputs,
            timeline: self.timeline,
            info: self.info,
            info_count: self.info_count,
            show_timeline: false,
            verbose: false,
        }
    }
}

/// Classifies a raw entry; None when it is not about FastCGI.
pub fn entry_report(
    file: &str,
    raw: &input::RawEntry,
    correlator: &mut correlate::Correlator,
) -> Option<EntryReport> {
    // nginx says `upstream: "http://` (or uwsgi, scgi) for other upstreams: such
    // a line is not about FastCGI, and saying so early is cheap.
    if let Some(at) = finder!(b", upstream: \"").find(raw.first.as_bytes()) {
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
    let cause = correlator.observe(raw.line, raw.end_line, &env, code);
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
        message: sanitize::escape_keep_lines(&sanitize::truncate(&headline(&body), 2000))
            .into_owned(),
        cause: cause.map(|(line, _)| line),
        cause_code: cause.map(|(_, code)| code.id),
        row: classified.row,
        request: env.request.map(|r| sanitize::escape(r).into_owned()),
        client: env.client.map(|c| sanitize::escape(c).into_owned()),
        upstream: env.upstream.map(|u| sanitize::escape(u).into_owned()),
        script: script_of(&env, &body).map(|s| sanitize::escape(s).into_owned()),
    })
}

/// What to show of an entry: a traceback is known by its last line (the
/// exception), the rest of it follows.
fn headline(body: &str) -> std::borrow::Cow<'_, str> {
    let Some(at) = finder!(b"Traceback (most recent call last)").find(body.as_bytes()) else {
        return std::borrow::Cow::Borrowed(body);
    };
    let last = body[at..]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with("File \"") && !l.starts_with('^'));
    match last {
        Some(exception) if !exception.starts_with("Traceback") => std::borrow::Cow::Owned(format!(
            "{exception} (Python traceback of {} lines)\n{body}",
            body[at..].lines().count()
        )),
        _ => std::borrow::Cow::Borrowed(body),
    }
}

/// The script a line is about: the path of its request, or the one the
/// message names (Apache's `End of script output before headers: index.php`,
/// `script '/srv/www/x.php'`, php-fpm's `script '...'` in its slowlog and
/// timeouts, mod_fcgid's `process /srv/app.fcgi(123)`).
fn script_of<'a>(env: &envelope::Envelope<'a>, body: &'a str) -> Option<&'a str> {
    if let Some(request) = env.request {
        let path = request.split(' ').nth(1)?;
        return Some(path.split('?').next().unwrap_or(path));
    }
    // Every marker but mod_fcgid's says "script" or "headers": one search
    // rules most messages out.
    let bytes = body.as_bytes();
    if finder!(b"script").find(bytes).is_none()
        && finder!(b"headers: ").find(bytes).is_none()
        && finder!(b"mod_fcgid: process ").find(bytes).is_none()
    {
        return None;
    }
    for (marker, end) in [
        ("script '", '\''),
        ("script \"", '"'),
        ("from script '", '\''),
        ("before headers: ", ' '),
        ("script headers: ", ' '),
        ("mod_fcgid: process ", '('),
    ] {
        if let Some(at) = body.find(marker) {
            let rest = &body[at + marker.len()..];
            let name = &rest[..rest.find([end, ',', '\n']).unwrap_or(rest.len())];
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
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
