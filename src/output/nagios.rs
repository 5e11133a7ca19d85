//! `--format nagios`: one status line as the monitoring plugins write it
//! (`FCGI CRITICAL - text | 'label'=value[UOM];warn;crit;min;max ...`), for
//! Nagios, Icinga, Naemon and Sensu. The exit status stays the documented one,
//! which is also the plugins' (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

use std::io::{self, Write};

use crate::commands::{Data, Report};
use crate::core::finding::{Finding, Severity, Status};
use crate::core::sanitize;

/// A performance data item.
pub struct Perf {
    pub label: String,
    pub value: f64,
    /// `s`, `B`, `c` (a counter), or empty.
    pub uom: &'static str,
    pub warn: Option<String>,
    pub crit: Option<String>,
    pub min: Option<f64>,
}

impl Perf {
    pub fn new(label: impl Into<String>, value: f64, uom: &'static str) -> Self {
        Self {
            label: label.into(),
            value,
            uom,
            warn: None,
            crit: None,
            min: Some(0.0),
        }
    }

    fn render(&self) -> String {
        // A label is quoted, a quote in it doubled, and it may not hold `=`
        // (plugin guidelines); its control characters are escaped as the
        // text's are, so the line stays one line (labels may name addresses
        // from configuration files).
        let label = sanitize::escape(&self.label)
            .replace('\'', "''")
            .replace('=', "_");
        let min = self.min.map(number).unwrap_or_default();
        format!(
            "'{label}'={}{};{};{};{min};",
            number(self.value),
            self.uom,
            self.warn.as_deref().unwrap_or(""),
            self.crit.as_deref().unwrap_or(""),
        )
    }
}

/// Digits without an exponent, at most 6 decimals, no trailing zeros.
fn number(v: f64) -> String {
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text.is_empty() || text == "-" {
        "0".into()
    } else {
        text.into()
    }
}

/// Writes one report as a plugin's output: one line, then nothing.
pub fn write(out: &mut dyn Write, reports: &[&Report], perf: &[Perf]) -> io::Result<()> {
    let status = reports
        .iter()
        .map(|r| r.status())
        .max()
        .unwrap_or(Status::Ok);
    let problems: Vec<&Finding> = reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.severity >= Severity::Warning)
        .collect();
    let text = if status == Status::Unknown {
        reports
            .iter()
            .flat_map(|r| &r.skipped)
            .map(|s| s.text())
            .next()
            .unwrap_or_else(|| "the check could not be done".into())
    } else if problems.is_empty() {
        reports
            .iter()
            .map(|r| ok_text(r))
            .collect::<Vec<_>>()
            .join("; ")
    } else {
        let mut worst = problems.clone();
        worst.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let shown: Vec<String> = worst
            .iter()
            .take(3)
            .map(|f| format!("{} {}: {}", f.code, f.title, f.subject))
            .collect();
        let more = match worst.len() {
            n if n > 3 => format!(" (and {} more)", n - 3),
            _ => String::new(),
        };
        format!("{}{more}", shown.join(", "))
    };
    let perf: Vec<String> = perf.iter().map(Perf::render).collect();
    let word = match status {
        Status::Ok => "OK",
        Status::Warning => "WARNING",
        Status::Critical => "CRITICAL",
        Status::Unknown => "UNKNOWN",
    };
    // The line is the plugin's whole output: no newline or `|` of the text
    // may cut it.
    let text = sanitize::escape(&text).replace('|', "/");
    if perf.is_empty() {
        writeln!(out, "FCGI {word} - {text}")
    } else {
        writeln!(out, "FCGI {word} - {text} | {}", perf.join(" "))
    }
}

/// The performance data of a report: timings, sizes and counts.
pub fn perf(report: &Report) -> Vec<Perf> {
    let mut perf = Vec::new();
    match &report.data {
        Data::Probe(p) => probe_perf(p, &mut perf),
        Data::Logs(s) => {
            for severity in [Severity::Critical, Severity::Warning] {
                let n: u64 = s
                    .problems
                    .iter()
                    .filter(|p| p.severity == severity)
                    .map(|p| p.count)
                    .sum();
                perf.push(Perf::new(severity.as_str(), n as f64, ""));
            }
            perf.push(Perf::new("info", s.info_count as f64, ""));
            let entries: u64 = s.inputs.iter().map(|i| i.entries).sum();
            let lines: u64 = s.inputs.iter().map(|i| i.lines).sum();
            perf.push(Perf::new("entries", entries as f64, ""));
            perf.push(Perf::new("lines", lines as f64, ""));
        }
        Data::Socket(s) => {
            perf.push(Perf::new("sockets", s.targets.len() as f64, ""));
            let listeners: usize = s.targets.iter().map(|t| t.listeners.len()).sum();
            perf.push(Perf::new("listeners", listeners as f64, ""));
        }
        Data::Ps(p) => {
            let s = &p.summary;
            for (label, n) in [
                ("web_servers", s.web_servers),
                ("process_managers", s.process_managers),
                ("pool_workers", s.pool_workers),
                ("apps", s.apps),
                ("total", s.total),
            ] {
                perf.push(Perf::new(label, n as f64, ""));
            }
        }
        Data::Spawn(s) => {
            if let Some(ms) = s.listening_after_ms {
                perf.push(Perf::new("listening_after", ms / 1000.0, "s"));
            }
            if let Some(p) = &s.probe {
                probe_perf(p, &mut perf);
            }
        }
        Data::Config(c) => {
            perf.push(Perf::new("backends", c.endpoints.len() as f64, ""));
            let pools: usize = c.config.fpm.iter().map(|f| f.pools.len()).sum();
            perf.push(Perf::new("pools", pools as f64, ""));
        }
        Data::Doctor(d) => {
            for status in ["ok", "warning", "critical", "unknown", "skipped"] {
                let n = d.checks.iter().filter(|c| c.status == status).count();
                perf.push(Perf::new(status, n as f64, ""));
            }
            for e in &d.endpoints {
                if let Some(ms) = e.total_ms {
                    perf.push(Perf::new(format!("time_{}", e.address), ms / 1000.0, "s"));
                }
            }
        }
        Data::Explain(_) | Data::Fragment(_) => {}
    }
    perf
}

/// A probe's timings, answer and load numbers (for `probe` and `spawn`).
fn probe_perf(p: &crate::commands::probe::ProbeReport, perf: &mut Vec<Perf>) {
    let t = &p.timings_ms;
    let mut total = Perf::new("time", t.total / 1000.0, "s");
    total.warn = p.thresholds.warning.clone();
    total.crit = p.thresholds.critical.clone();
    perf.push(total);
    for (label, ms) in [
        ("connect", t.connect),
        ("get_values", t.get_values),
        ("first_byte", t.first_byte),
    ] {
        if let Some(ms) = ms {
            perf.push(Perf::new(label, ms / 1000.0, "s"));
        }
    }
    if let Some(r) = &p.response {
        if let Some(status) = r.status {
            perf.push(Perf::new("status", f64::from(status), ""));
        }
        perf.push(Perf::new("size", r.body_bytes as f64, "B"));
    }
    if let Some(load) = &p.load {
        let l = &load.latency_ms;
        perf.push(Perf::new(
            "requests_per_second",
            load.requests_per_second,
            "",
        ));
        for (label, ms) in [
            ("p50", l.p50),
            ("p90", l.p90),
            ("p99", l.p99),
            ("max", l.max),
        ] {
            perf.push(Perf::new(label, ms / 1000.0, "s"));
        }
        perf.push(Perf::new("failed", load.failed as f64, ""));
        perf.push(Perf::new("requests", load.requests as f64, ""));
    }
    if let Some(st) = &p.fpm_status {
        for (label, n, uom) in [
            ("listen_queue", st.listen_queue, ""),
            ("idle_processes", st.idle_processes, ""),
            ("active_processes", st.active_processes, ""),
            ("total_processes", st.total_processes, ""),
            ("max_children_reached", st.max_children_reached, "c"),
            ("slow_requests", st.slow_requests, "c"),
            ("accepted_conn", st.accepted_conn, "c"),
        ] {
            perf.push(Perf::new(label, n as f64, uom));
        }
    }
}

/// What an OK run says of itself.
fn ok_text(report: &Report) -> String {
    match &report.data {
        Data::Probe(p) if p.load.is_some() => {
            let load = p.load.as_ref().expect("checked");
            format!(
                "{} served {} requests/s, {} at once, p99 {:.2} ms, {} of {} failed",
                p.target,
                load.requests_per_second,
                load.concurrency,
                load.latency_ms.p99,
                load.failed,
                load.requests
            )
        }
        Data::Probe(p) => match &p.response {
            Some(r) => format!(
                "{} answered {} in {:.2} ms",
                p.target,
                r.status
                    .map_or("an unreadable status".into(), |s| s.to_string()),
                p.timings_ms.total
            ),
            None => format!("{}: no answer", p.target),
        },
        Data::Logs(s) => {
            let entries: u64 = s.inputs.iter().map(|i| i.entries).sum();
            format!(
                "{entries} FastCGI entries in {} inputs, none above info",
                s.inputs.len()
            )
        }
        Data::Socket(s) => format!("{} sockets checked", s.targets.len()),
        Data::Ps(p) => format!("{} FastCGI processes", p.summary.total),
        Data::Spawn(s) => {
            let answered = match s.probe.as_ref().and_then(|p| p.load.as_ref()) {
                Some(load) => format!(
                    "served {} requests/s, {} at once",
                    load.requests_per_second, load.concurrency
                ),
                None => "answered".into(),
            };
            format!("{} started as {} and {answered}", s.script, s.user)
        }
        Data::Config(c) => format!(
            "{} backends and {} pools cross-checked",
            c.endpoints.len(),
            c.config.fpm.iter().map(|f| f.pools.len()).sum::<usize>()
        ),
        Data::Doctor(d) => format!(
            "{} checks OK ({} backends, {} logs)",
            d.checks.iter().filter(|c| c.status == "ok").count(),
            d.endpoints.len(),
            d.logs.len()
        ),
        Data::Explain(_) | Data::Fragment(_) => "explained".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfdata_follows_the_plugin_syntax() {
        let mut p = Perf::new("time", 0.000_83, "s");
        p.warn = Some("0.5".into());
        p.crit = Some("1".into());
        assert_eq!(p.render(), "'time'=0.00083s;0.5;1;0;");
        assert_eq!(Perf::new("it's", 12.0, "").render(), "'it''s'=12;;;0;");
        assert_eq!(number(1e-9), "0");
    }

    #[test]
    fn hostile_labels_keep_one_plugin_line() {
        // doctor names a backend's timing after its address, which comes from
        // configuration files; a space, a quote and `=` as well as escapes.
        let label = "time_unix:/run/it's a=b\x1b]0;PWNED\x07\r\n";
        let perf = [Perf::new(label, 1.5, "s"), Perf::new("time", 0.25, "s")];
        assert_eq!(
            perf[0].render(),
            "'time_unix:/run/it''s a_b\\x1b]0;PWNED\\x07\\r\\n'=1.5s;;;0;"
        );
        let mut out = Vec::new();
        write(&mut out, &[], &perf).unwrap();
        let text = String::from_utf8(out).unwrap();
        let line = text.strip_suffix('\n').expect("ends with a newline");
        assert!(!line.chars().any(char::is_control), "{line:?}");
        // The guidelines: a label quoted, no `=` in it, a quote in it doubled.
        let item = r"'(?:[^'=]|'')+'=-?[0-9]+(?:\.[0-9]+)?(?:s|ms|us|%|B|KB|MB|TB|c)?;[^; ]*;[^; ]*;-?[0-9.]*;-?[0-9.]*";
        let plugin_line =
            crate::core::text::ascii_regex(&format!(r"^FCGI OK - [^|]* \| {item}(?: {item})*$"))
                .unwrap();
        assert!(plugin_line.is_match(line.as_bytes()), "{line:?}");
    }
}
