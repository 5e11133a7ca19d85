//! Human output of `logs`: the problem table, one block per problem with its
//! fix, the informational count, the timeline; a followed entry as one line;
//! and the progress bar.

use std::collections::BTreeMap;
use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};

use super::{severity_label, text, OutputSettings};
use crate::commands::logs::{EntryReport, Progress, Summary};
use crate::core::finding::{Finding, Severity};
use crate::core::registry::Class;
use crate::core::sanitize;

/// Fix texts longer than this are cut: `explain` has them whole.
const MAX_FIX: usize = 400;

/// The summary, then the timeline when asked for.
pub fn render(
    out: &mut dyn Write,
    s: &Summary,
    _findings: &[Finding],
    settings: &OutputSettings,
) -> io::Result<()> {
    write_summary(out, s, settings)?;
    if s.show_timeline {
        write_timeline(out, s)?;
    }
    Ok(())
}

/// The problems, most important first, and what to do about each.
fn write_summary(out: &mut dyn Write, s: &Summary, settings: &OutputSettings) -> io::Result<()> {
    let (verbose, color, width) = (s.verbose, settings.color, settings.width);
    let lines: u64 = s.inputs.iter().map(|i| i.lines).sum();
    let entries: u64 = s.inputs.iter().map(|i| i.entries).sum();
    writeln!(
        out,
        "{} {} input{}, {lines} lines, {entries} FastCGI entries",
        "logs".bold(),
        s.inputs.len(),
        if s.inputs.len() == 1 { "" } else { "s" }
    )?;
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
            .set_width(width as u16)
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
        writeln!(out)?;
        for line in table.to_string().lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    for p in &problems {
        let prefix = p.severity.as_str().len() + p.code.len() + 2;
        let title = format!("{} ({}×)", p.title, p.count);
        writeln!(
            out,
            "\n{} {} {}",
            severity_label(p.severity),
            p.code.bold(),
            text::after_label(&title, prefix, width)
        )?;
        let files: Vec<&str> = p.files.iter().map(String::as_str).collect();
        let when = match (p.first_seen, p.last_seen) {
            (Some(a), Some(b)) if a != b => format!("from {a} to {b}"),
            (Some(a), _) => format!("at {a}"),
            _ => "undated".to_string(),
        };
        let age = p
            .last_seen_seconds_ago
            .map(|s| format!("; last seen {}", crate::core::text::ago(s)))
            .unwrap_or_default();
        let seen = format!(
            "seen {when} in {}{age}",
            sanitize::escape(&files.join(", "))
        );
        writeln!(out, "{}", text::wrap(&seen, width, 2, 7))?;
        if !p.caused_by.is_empty() {
            let causes: Vec<String> = p
                .caused_by
                .iter()
                .map(|(code, n)| match p.caused_by_at.get(code) {
                    Some(at) => format!(
                        "{code} at {}:{} ({n} of {})",
                        sanitize::escape(&at.file),
                        at.line,
                        p.count
                    ),
                    None => format!("{code} ({n} of {})", p.count),
                })
                .collect();
            let follows = format!("follows {}: fix that first", causes.join(", "));
            writeln!(out, "{}", text::wrap(&follows, width, 2, 10))?;
        }
        let example = format!(
            "example {}: {}",
            sanitize::escape(&p.example_at),
            sanitize::escape(&sanitize::truncate(&p.example, 240))
        );
        writeln!(out, "{}", text::wrap(&example, width, 2, 10))?;
        // The script, unless the example names it already.
        let script = p
            .example_script
            .as_deref()
            .filter(|s| !p.example.contains(s));
        if let Some(context) = request_context(
            p.example_request.as_deref(),
            script,
            p.example_client.as_deref(),
            p.example_upstream.as_deref(),
        ) {
            writeln!(out, "{}", text::wrap(&context, width, 10, 10))?;
        }
        if p.is_symptom() {
            writeln!(
                out,
                "  {} a consequence of the problem above it; fix that",
                "fix:".bold()
            )?;
        } else {
            // Some catalogue fixes run to a page: `explain` has them whole.
            let fix = whole_clauses(&p.fix, MAX_FIX);
            let fix = text::wrap(&sanitize::escape(fix), width, 7, 7);
            writeln!(out, "  {} {}", "fix:".bold(), &fix[7..])?;
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

/// The clauses of `text` (up to a `. ` or `; `) that fit in `max` bytes: a
/// long fix is shortened where a sentence ends, never in a word; at least the
/// first clause is kept.
fn whole_clauses(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = None;
    for (at, _) in text.match_indices(['.', ';']) {
        let after = text[at + 1..].chars().next();
        if after.is_some_and(|c| c == ' ') {
            if at + 1 > max && end.is_some() {
                break;
            }
            end = Some(at + usize::from(&text[at..at + 1] == "."));
            if at + 1 > max {
                break;
            }
        }
    }
    end.map_or(text, |e| &text[..e])
}

/// `GET /slow.php?s=8 HTTP/1.1 from 203.0.113.9 to fastcgi://unix:/run/...`:
/// what a line says about its request, for the example.
pub fn request_context(
    request: Option<&str>,
    script: Option<&str>,
    client: Option<&str>,
    upstream: Option<&str>,
) -> Option<String> {
    let mut parts = Vec::new();
    match (request, script) {
        (Some(r), _) => parts.push(format!("request {r}")),
        (None, Some(s)) => parts.push(format!("script {s}")),
        _ => {}
    }
    if let Some(c) = client {
        parts.push(format!("from {c}"));
    }
    if let Some(u) = upstream {
        parts.push(format!("to {u}"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Counts per class and hour (per day when the span is longer than two days),
/// drawn as bars.
fn write_timeline(out: &mut dyn Write, s: &Summary) -> io::Result<()> {
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

/// One followed entry, as it happens.
pub fn write_entry(out: &mut dyn Write, e: &EntryReport, width: usize) -> io::Result<()> {
    let line = format!(
        "{} {}:{} {}: {}",
        e.timestamp.map_or("-".into(), |t| t.to_string()),
        sanitize::escape(&e.file),
        e.line,
        e.title,
        sanitize::escape(&sanitize::truncate(&e.message, 200))
    );
    // The label and code first, the rest wrapped under them.
    let label = format!("{} {}", e.severity.as_str().to_uppercase(), e.code);
    let text = text::wrap(&line, width, label.len() + 1, 4);
    writeln!(
        out,
        "{} {} {}",
        severity_label(e.severity),
        e.code.bold(),
        &text[label.len() + 1..]
    )
}

/// A progress line on stderr for large inputs, when stderr is a terminal.
pub struct ProgressBar {
    enabled: bool,
    last: Mutex<Instant>,
}

impl ProgressBar {
    /// Shown only when stderr is a terminal.
    pub fn new(wanted: bool) -> Self {
        Self {
            enabled: wanted && io::stderr().is_terminal(),
            last: Mutex::new(Instant::now()),
        }
    }
}

impl Progress for ProgressBar {
    fn update(&self, input: &str, size: u64, bytes: u64) {
        if !self.enabled {
            return;
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if last.elapsed() < Duration::from_millis(200) {
            return;
        }
        *last = Instant::now();
        let pct = (bytes.min(size) * 100) / size.max(1);
        let filled = (pct / 5) as usize;
        let _ = write!(
            io::stderr(),
            "\r{} [{}{}] {pct:>3}% {} MiB",
            sanitize::escape(input),
            "#".repeat(filled),
            " ".repeat(20 - filled),
            bytes >> 20
        );
    }

    fn finish(&self, _: &str) {
        if self.enabled {
            let _ = write!(io::stderr(), "\r\x1b[2K");
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_fix_ends_where_a_sentence_does() {
        let fix = "Raise pm.max_children. Find slow requests; add capacity. Check the logs now.";
        assert_eq!(super::whole_clauses(fix, 200), fix);
        assert_eq!(
            super::whole_clauses(fix, 45),
            "Raise pm.max_children. Find slow requests"
        );
        assert_eq!(super::whole_clauses(fix, 5), "Raise pm.max_children.");
    }
}
