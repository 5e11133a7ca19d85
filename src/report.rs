//! The one place that prints: the JSON envelope every command shares, and the
//! human rendering of findings. Checks never print; this never decides.

use std::io::{self, Write};

use colored::{ColoredString, Colorize};
use serde::Serialize;

use crate::cli::Format;
use crate::finding::{Finding, Severity, Status};
use crate::sanitize;
use crate::settings::OutputSettings;

pub const TOOL: &str = "fcgi-doctor";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Which command is reporting.
#[derive(Clone, Copy, Debug)]
pub struct Command {
    pub name: &'static str,
    /// A check ends its human report with a verdict; `explain` does not.
    pub is_check: bool,
    /// The command's own human rendering shows its findings (`logs`).
    pub renders_findings: bool,
}

/// The common keys of every command's JSON output; the command's own data is
/// flattened beside them.
#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    tool: &'static str,
    version: &'static str,
    command: &'static str,
    status: Status,
    findings: &'a [Finding],
    #[serde(flatten)]
    data: &'a T,
}

/// Writes a command's result in the chosen format. `human` renders the
/// command's data; findings and, for a check, the verdict line are added here.
pub fn emit<T: Serialize>(
    out: &mut dyn Write,
    settings: &OutputSettings,
    command: Command,
    findings: &[Finding],
    data: &T,
    human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<Status> {
    let status = Status::from_findings(findings);
    let envelope = Envelope {
        tool: TOOL,
        version: VERSION,
        command: command.name,
        status,
        findings,
        data,
    };
    match settings.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &envelope)?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, &envelope)?;
            writeln!(out)?;
        }
        Format::Human if settings.quiet => {
            if status != Status::Ok {
                write_findings(out, findings)?;
            }
        }
        Format::Human => {
            human(out)?;
            if !command.renders_findings {
                write_findings(out, findings)?;
            }
            if command.is_check {
                write_verdict(out, status, findings)?;
            }
        }
    }
    out.flush()?;
    Ok(status)
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

/// Findings, most severe first, each with its fix and where to read more.
pub fn write_findings(out: &mut dyn Write, findings: &[Finding]) -> io::Result<()> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
    for f in sorted {
        writeln!(
            out,
            "\n{} {} {}",
            severity_label(f.severity),
            f.code.bold(),
            f.title
        )?;
        writeln!(out, "  {}", sanitize::escape(&f.message))?;
        writeln!(out, "  {} {}", "fix:".bold(), sanitize::escape(&f.fix))?;
        writeln!(out, "  {} fcgi-doctor explain {}", "more:".dimmed(), f.code)?;
    }
    Ok(())
}

fn write_verdict(out: &mut dyn Write, status: Status, findings: &[Finding]) -> io::Result<()> {
    let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
    let mut parts = Vec::new();
    for (severity, word) in [
        (Severity::Critical, "critical"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ] {
        let n = count(severity);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let detail = if parts.is_empty() {
        "no findings".to_string()
    } else {
        parts.join(", ")
    };
    writeln!(out, "\n{}: {detail}", status_label(status))
}

/// A one-line error for UNKNOWN outcomes: bad usage or the tool's own failure.
pub fn write_error(message: &str) {
    let _ = writeln!(io::stderr(), "fcgi-doctor: {}", sanitize::escape(message));
}
