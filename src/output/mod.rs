//! The one place that prints. It owns the output formats ([`Format`]), the
//! JSON envelope every command shares, and the human rendering of findings,
//! notes, skips and the status line; each command's own data is drawn by its
//! module here ([`probe`], [`logs`], [`socket`], [`ps`], [`explain`]). It
//! prints one command's outcome or several merged into one report (what
//! `doctor` needs), and log entries as they are found. It never decides.

pub mod explain;
pub mod logs;
pub mod probe;
pub mod ps;
pub mod socket;
pub mod text;

use std::io::{self, Write};

use colored::{ColoredString, Colorize};
use serde::Serialize;

use crate::commands::logs::EntryReport;
use crate::commands::{Data, Report};
use crate::core::finding::{Finding, Severity, Status};
use crate::core::outcome::Skip;
use crate::core::sanitize;

pub const TOOL: &str = "fcgi-doctor";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How reports are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For people: coloured when wanted, fitted to the width.
    Human,
    /// One JSON document, pretty-printed.
    Json,
    /// One compact JSON object per line (log entries as they are found).
    Jsonl,
}

/// Decided once per run (ripgrep, fd).
#[derive(Clone, Copy, Debug)]
pub struct OutputSettings {
    pub format: Format,
    pub color: bool,
    /// Human output: the status line and the findings only, nothing when OK.
    pub quiet: bool,
    /// Columns human output fits in.
    pub width: usize,
}

/// The common keys of every command's JSON output; the command's own data is
/// flattened beside them.
#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
    command: &'static str,
    status: Status,
    findings: &'a [Finding],
    /// Notes, and the skips as sentences.
    notes: Vec<String>,
    skipped: &'a [Skip],
    #[serde(flatten)]
    data: &'a Data,
}

impl<'a> Envelope<'a> {
    fn of(report: &'a Report, top: bool) -> Self {
        Self {
            tool: top.then_some(TOOL),
            version: top.then_some(VERSION),
            command: report.data.command(),
            status: report.status(),
            findings: &report.findings,
            notes: report.note_texts(),
            skipped: &report.skipped,
            data: &report.data,
        }
    }
}

/// Several reports as one document: one status, every finding once.
#[derive(Serialize)]
struct Combined<'a> {
    tool: &'static str,
    version: &'static str,
    command: &'static str,
    status: Status,
    findings: Vec<&'a Finding>,
    reports: Vec<Envelope<'a>>,
}

/// Writes one command's report in the chosen format and returns its status.
pub fn report(
    out: &mut dyn Write,
    settings: &OutputSettings,
    report: &Report,
) -> io::Result<Status> {
    let status = report.status();
    match settings.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &Envelope::of(report, true))?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, &Envelope::of(report, true))?;
            writeln!(out)?;
        }
        Format::Human => Human::new(out, settings).report(report)?,
    }
    out.flush()?;
    Ok(status)
}

/// Writes several reports as one (`doctor`): each report's own part, then
/// every finding once (a problem two checks find is one problem), worst
/// first, and one status line for all.
pub fn reports(
    out: &mut dyn Write,
    settings: &OutputSettings,
    command: &'static str,
    reports: &[Report],
) -> io::Result<Status> {
    let findings = merged_findings(reports);
    let status = reports
        .iter()
        .map(|r| r.status())
        .max()
        .unwrap_or(Status::Ok);
    match settings.format {
        Format::Json | Format::Jsonl => {
            let combined = Combined {
                tool: TOOL,
                version: VERSION,
                command,
                status,
                findings,
                reports: reports.iter().map(|r| Envelope::of(r, false)).collect(),
            };
            if settings.format == Format::Json {
                serde_json::to_writer_pretty(&mut *out, &combined)?;
            } else {
                serde_json::to_writer(&mut *out, &combined)?;
            }
            writeln!(out)?;
        }
        Format::Human => {
            let mut human = Human::new(out, settings);
            if settings.quiet {
                if status != Status::Ok {
                    human.status_line(status, &findings, &skips_of(reports), false)?;
                    human.findings(findings.iter().copied())?;
                }
            } else {
                for (i, r) in reports.iter().enumerate() {
                    if i > 0 {
                        writeln!(human.out)?;
                    }
                    human.body(r)?;
                }
                human.findings(findings.iter().copied())?;
                human.status_line(status, &findings, &skips_of(reports), true)?;
            }
        }
    }
    out.flush()?;
    Ok(status)
}

fn skips_of(reports: &[Report]) -> Vec<&Skip> {
    reports.iter().flat_map(|r| &r.skipped).collect()
}

/// Every finding of `reports` once: the same code about the same subject is
/// one problem, whichever check found it.
fn merged_findings(reports: &[Report]) -> Vec<&Finding> {
    let mut seen = std::collections::HashSet::new();
    reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| seen.insert((f.code, f.subject.as_str())))
        .collect()
}

/// One classified log entry as it is found: a JSON line, or a line for people.
pub fn entry(out: &mut dyn Write, settings: &OutputSettings, e: &EntryReport) -> io::Result<()> {
    match settings.format {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, e)?;
            writeln!(out)?;
        }
        Format::Human => logs::write_entry(out, e, settings.width)?,
        // The summary is written at the end.
        Format::Json => return Ok(()),
    }
    out.flush()
}

/// A one-line error for UNKNOWN outcomes: bad usage or the tool's own failure.
pub fn error(message: &str) {
    let _ = writeln!(io::stderr(), "fcgi-doctor: {}", sanitize::escape(message));
}

/// A one-line notice on stderr, beside the report (a followed file rotated).
pub fn notice(message: &str) {
    error(message);
}

/// The coloured label of a severity.
pub fn severity_label(severity: Severity) -> ColoredString {
    match severity {
        Severity::Critical => "CRITICAL".red().bold(),
        Severity::Warning => "WARNING".yellow().bold(),
        Severity::Info => "INFO".blue(),
    }
}

fn status_label(status: Status) -> ColoredString {
    match status {
        Status::Ok => "OK".green().bold(),
        Status::Warning => "WARNING".yellow().bold(),
        Status::Critical => "CRITICAL".red().bold(),
        Status::Unknown => "UNKNOWN".magenta().bold(),
    }
}

/// Human output of reports.
struct Human<'a> {
    out: &'a mut dyn Write,
    settings: &'a OutputSettings,
}

impl<'a> Human<'a> {
    fn new(out: &'a mut dyn Write, settings: &'a OutputSettings) -> Self {
        Self { out, settings }
    }

    fn report(&mut self, report: &Report) -> io::Result<()> {
        let status = report.status();
        let skipped: Vec<&Skip> = report.skipped.iter().collect();
        let findings: Vec<&Finding> = report.findings.iter().collect();
        if self.settings.quiet {
            // The status line first, for monitoring systems that read one line.
            if report.data.is_check() && status != Status::Ok {
                self.status_line(status, &findings, &skipped, false)?;
                self.findings(findings.iter().copied())?;
            }
            return Ok(());
        }
        self.body(report)?;
        if !matches!(report.data, Data::Logs(_)) {
            self.findings(findings.iter().copied())?;
        }
        if report.data.is_check() {
            self.status_line(status, &findings, &skipped, true)?;
        }
        Ok(())
    }

    /// The command's own data, then its notes and skips.
    fn body(&mut self, report: &Report) -> io::Result<()> {
        let (out, settings) = (&mut *self.out, self.settings);
        match &report.data {
            Data::Probe(d) => probe::render(out, d, settings)?,
            Data::Logs(d) => logs::render(out, d, &report.findings, settings)?,
            Data::Socket(d) => socket::render(out, d, settings)?,
            Data::Ps(d) => ps::render(out, d, settings)?,
            Data::Explain(d) => explain::render(out, d, settings)?,
        }
        let width = settings.width;
        for note in &report.notes {
            let text = text::wrap(&sanitize::escape(note), width, 6, 6);
            writeln!(out, "{} {}", "note:".dimmed(), &text[6..])?;
        }
        for skip in &report.skipped {
            let line = format!("{}, because {}", skip.description, skip.reason);
            let text = text::wrap(&sanitize::escape(&line), width, 9, 9);
            writeln!(out, "{} {}", "skipped:".dimmed(), &text[9..])?;
        }
        Ok(())
    }

    /// Findings, most severe first, each with its fix and where to read more.
    fn findings<'f>(&mut self, findings: impl Iterator<Item = &'f Finding>) -> io::Result<()> {
        let mut sorted: Vec<&Finding> = findings.collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in sorted {
            write_finding(self.out, f, self.settings.width)?;
        }
        Ok(())
    }

    /// `CRITICAL: 1 critical, 2 warning` (the exit status in words), after a
    /// blank line unless it comes first.
    fn status_line(
        &mut self,
        status: Status,
        findings: &[&Finding],
        skipped: &[&Skip],
        after: bool,
    ) -> io::Result<()> {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let mut parts = Vec::new();
        for severity in [Severity::Critical, Severity::Warning, Severity::Info] {
            let n = count(severity);
            if n > 0 {
                parts.push(format!("{n} {}", severity.as_str()));
            }
        }
        let mut detail = if status == Status::Unknown {
            skipped.first().map_or_else(
                || "the check could not be done".to_string(),
                |s| sanitize::escape(&s.text()).into_owned(),
            )
        } else if parts.is_empty() {
            "no findings".to_string()
        } else {
            parts.join(", ")
        };
        if status != Status::Unknown && !skipped.is_empty() {
            detail.push_str(&format!("; {} skipped", skipped.len()));
        }
        let blank = if after { "\n" } else { "" };
        writeln!(self.out, "{blank}{}: {detail}", status_label(status))
    }
}

/// One finding: the label line, the message, the fix with a hanging indent,
/// and where to read more.
pub fn write_finding(out: &mut dyn Write, f: &Finding, width: usize) -> io::Result<()> {
    writeln!(
        out,
        "\n{} {} {}",
        severity_label(f.severity),
        f.code.bold(),
        f.title
    )?;
    writeln!(
        out,
        "{}",
        text::wrap(&sanitize::escape(&f.message), width, 2, 2)
    )?;
    let fix = text::wrap(&sanitize::escape(&f.fix), width, 7, 7);
    writeln!(out, "  {} {}", "fix:".bold(), &fix[7..])?;
    writeln!(out, "  {} fcgi-doctor explain {}", "more:".dimmed(), f.code)
}
