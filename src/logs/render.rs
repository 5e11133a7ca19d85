//! Human output of `logs`: the problem table, one block per problem with its
//! fix, the informational count, the timeline, and the progress bar.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};

use super::Summary;
use crate::finding::Severity;
use crate::registry::Class;
use crate::report::severity_label;
use crate::sanitize;

/// The problems, most important first, and what to do about each.
pub fn write_summary(
    out: &mut dyn Write,
    s: &Summary,
    verbose: bool,
    color: bool,
) -> io::Result<()> {
    let lines: u64 = s.inputs.iter().map(|i| i.lines).sum();
    let entries: u64 = s.inputs.iter().map(|i| i.entries).sum();
    writeln!(
        out,
        "{} {} input{}, {lines} lines, {entries} FastCGI entries",
        "logs".bold(),
        s.inputs.len(),
        if s.inputs.len() == 1 { "" } else { "s" }
    )?;
    for input in &s.inputs {
        for e in &input.errors {
            writeln!(out, "  {} {}", "error:".red().bold(), sanitize::escape(e))?;
        }
    }
    let problems: Vec<_> = s
        .problems
        .iter()
        .filter(|p| p.severity > Severity::Info)
        .collect();
    if !problems.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_header([
                "CODE",
                "SEVERITY",
                "COUNT",
                "FIRST SEEN",
                "LAST SEEN",
                "CLASS",
            ]);
        if color {
            table.enforce_styling();
        } else {
            table.force_no_tty();
        }
        for p in &problems {
            table.add_row([
                p.code.to_string(),
                p.severity.as_str().to_string(),
                p.count.to_string(),
                p.first_seen.map_or("-".into(), |t| t.to_string()),
                p.last_seen.map_or("-".into(), |t| t.to_string()),
                p.class.as_str().to_string(),
            ]);
        }
        writeln!(out, "\n{table}")?;
    }
    for p in &problems {
        writeln!(
            out,
            "\n{} {} {} ({}×)",
            severity_label(p.severity),
            p.code.bold(),
            p.title,
            p.count
        )?;
        let files: Vec<&str> = p.files.iter().map(String::as_str).collect();
        let when = match (p.first_seen, p.last_seen) {
            (Some(a), Some(b)) if a != b => format!("from {a} to {b}"),
            (Some(a), _) => format!("at {a}"),
            _ => "undated".to_string(),
        };
        writeln!(
            out,
            "  seen {when} in {}",
            sanitize::escape(&files.join(", "))
        )?;
        if !p.caused_by.is_empty() {
            let causes: Vec<String> = p
                .caused_by
                .iter()
                .map(|(code, n)| format!("{code} ({n} of {})", p.count))
                .collect();
            writeln!(out, "  follows {}: fix that first", causes.join(", "))?;
        }
        writeln!(
            out,
            "  example {}: {}",
            sanitize::escape(&p.example_at),
            sanitize::escape(&sanitize::truncate(&p.example, 240))
        )?;
        if p.is_symptom() {
            writeln!(
                out,
                "  {} a consequence of the problem above it; fix that",
                "fix:".bold()
            )?;
        } else {
            // Some catalogue fixes run to a page: `explain` has them whole.
            writeln!(
                out,
                "  {} {}",
                "fix:".bold(),
                sanitize::truncate(p.fix, 400)
            )?;
        }
        writeln!(out, "  {} fcgi-doctor explain {}", "more:".dimmed(), p.code)?;
    }
    if s.info_count > 0 {
        let mut by_code: BTreeMap<&str, u64> = BTreeMap::new();
        for p in s.problems.iter().filter(|p| p.severity == Severity::Info) {
            by_code.insert(p.code, p.count);
        }
        let list: Vec<String> = by_code.iter().map(|(c, n)| format!("{c}×{n}")).collect();
        writeln!(
            out,
            "\n{} {} informational entr{} ({}){}",
            "INFO".blue(),
            s.info_count,
            if s.info_count == 1 { "y" } else { "ies" },
            list.join(", "),
            if verbose {
                ":"
            } else {
                "; --verbose lists them"
            }
        )?;
        if verbose {
            for e in &s.info {
                writeln!(
                    out,
                    "  {}:{} {} {} {}",
                    sanitize::escape(&e.file),
                    e.line,
                    e.timestamp.map_or("-".into(), |t| t.to_string()),
                    e.code,
                    sanitize::escape(&sanitize::truncate(&e.message, 160))
                )?;
            }
            if s.info_count > s.info.len() as u64 {
                writeln!(out, "  … {} more", s.info_count - s.info.len() as u64)?;
            }
        }
    }
    Ok(())
}

/// Counts per class and hour (per day when the span is longer than two days),
/// drawn as bars.
pub fn write_timeline(out: &mut dyn Write, s: &Summary) -> io::Result<()> {
    let (Some(first), Some(last)) = (
        s.timeline.keys().map(|(t, _)| *t).min(),
        s.timeline.keys().map(|(t, _)| *t).max(),
    ) else {
        return writeln!(out, "\ntimeline: no dated entries");
    };
    let daily = (last.0 - first.0).num_hours() > 48;
    let mut buckets: BTreeMap<(String, Class), u64> = BTreeMap::new();
    for ((t, class), n) in &s.timeline {
        let key = if daily {
            t.0.format("%Y-%m-%d").to_string()
        } else {
            t.0.format("%Y-%m-%d %H:00").to_string()
        };
        *buckets.entry((key, *class)).or_default() += n;
    }
    let max = buckets.values().copied().max().unwrap_or(1).max(1);
    let width = 40u64;
    writeln!(
        out,
        "\n{} (entries per {})",
        "timeline".bold(),
        if daily { "day" } else { "hour" }
    )?;
    let mut previous = String::new();
    for ((when, class), n) in &buckets {
        let bar_len = ((n * width).div_ceil(max)).max(1) as usize;
        let shown = if *when == previous {
            String::new()
        } else {
            when.clone()
        };
        previous = when.clone();
        writeln!(
            out,
            "  {:<16} {:<26} {} {n}",
            shown,
            class.as_str(),
            "█".repeat(bar_len)
        )?;
    }
    Ok(())
}

/// A progress line on stderr for large inputs, when stderr is a terminal.
pub struct Progress {
    enabled: bool,
    name: String,
    size: u64,
    last: Instant,
}

/// Inputs smaller than this finish before a bar would help.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

impl Progress {
    pub fn new(wanted: bool, name: &str, size: Option<u64>) -> Self {
        let size = size.unwrap_or(0);
        Self {
            enabled: wanted && size >= PROGRESS_MIN_BYTES && io::stderr().is_terminal(),
            name: sanitize::escape(name).into_owned(),
            size,
            last: Instant::now(),
        }
    }

    pub fn update(&mut self, bytes: u64) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(200) {
            return;
        }
        self.last = Instant::now();
        let pct = (bytes.min(self.size) * 100) / self.size.max(1);
        let filled = (pct / 5) as usize;
        let _ = write!(
            io::stderr(),
            "\r{} [{}{}] {pct:>3}% {} MiB",
            self.name,
            "#".repeat(filled),
            " ".repeat(20 - filled),
            bytes >> 20
        );
    }

    pub fn finish(&mut self) {
        if self.enabled {
            let _ = write!(io::stderr(), "\r\x1b[2K");
        }
    }
}
