//! Human rendering of a probe: one line per phase, then the response.

use std::io::{self, Write};

use colored::Colorize;

use super::{text, OutputSettings};
use crate::commands::probe::ProbeReport;
use crate::core::sanitize;

/// Header lines shown; the JSON output has them all.
const MAX_HEADERS: usize = 12;

/// Columns of the label before each value.
const LABEL: usize = 13;

pub fn render(out: &mut dyn Write, r: &ProbeReport, settings: &OutputSettings) -> io::Result<()> {
    let label = |s: &str| format!("  {:<11}", s).bold();
    let fit = |value: &str| text::after_label(value, LABEL, settings.width);
    writeln!(out, "{} {}", "probe".bold(), sanitize::escape(&r.target))?;
    let t = &r.timings_ms;
    if let Some(peer) = r.peer.as_deref().filter(|p| *p != r.target) {
        writeln!(out, "{}{}", label("peer"), fit(&sanitize::escape(peer)))?;
    }
    let phase = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.2} ms"));
    let timings = [
        format!("connect {}", phase(t.connect)),
        format!("get_values {}", phase(t.get_values)),
        format!("first byte {}", phase(t.first_byte)),
        format!("total {:.2} ms", t.total),
    ];
    writeln!(
        out,
        "{}{}",
        label("timings"),
        text::segments_after_label(&timings, LABEL, settings.width)
    )?;
    if let Some(values) = &r.values {
        let shown: Vec<String> = values
            .iter()
            .map(|(k, v)| format!("{}={}", sanitize::escape(k), sanitize::escape(v)))
            .collect();
        let text = if shown.is_empty() {
            "(empty answer)".to_string()
        } else {
            shown.join(" ")
        };
        writeln!(out, "{}{}", label("values"), fit(&text))?;
    }
    if let Some(a) = &r.access {
        let verdict = match a.connect_as_user.as_deref() {
            Some("connected") => "may connect".to_string(),
            Some(errno) => format!("connect() refused ({errno})"),
            None if a.allowed_by_modes => "the modes allow it (connect not tried)".to_string(),
            None => "the modes deny it (connect not tried)".to_string(),
        };
        let who = format!(
            "{} ({}): {verdict}",
            sanitize::escape(&a.user),
            sanitize::escape(&a.source)
        );
        writeln!(out, "{}{}", label("access"), fit(&who))?;
    }
    if let Some(load) = &r.load {
        render_load(out, load, settings)?;
    }
    let Some(resp) = &r.response else {
        return Ok(());
    };
    let status = resp
        .status
        .map_or("unreadable".to_string(), |s| s.to_string());
    let end = match (&resp.protocol_status, resp.app_status) {
        (Some(p), Some(a)) => format!("{p}, app status {a}"),
        _ => "no FCGI_END_REQUEST".to_string(),
    };
    writeln!(
        out,
        "{}{}",
        label("status"),
        fit(&format!("{status} ({end})"))
    )?;
    for (i, (name, value)) in resp.headers.iter().take(MAX_HEADERS).enumerate() {
        let l = if i == 0 { label("headers") } else { label("") };
        let header = format!("{}: {}", sanitize::escape(name), sanitize::escape(value));
        writeln!(out, "{l}{}", fit(&header))?;
    }
    if resp.headers.len() > MAX_HEADERS {
        writeln!(
            out,
            "{}… {} more",
            label(""),
            resp.headers.len() - MAX_HEADERS
        )?;
    }
    let preview =
        sanitize::escape(&sanitize::truncate(resp.body_preview.trim_end(), 120)).into_owned();
    let truncated = if resp.body_truncated {
        " (more than --max-body: counted, not kept)"
    } else {
        ""
    };
    if r.fpm_status.is_some() {
        // The status lines below say what the JSON body does.
    } else if resp.body_bytes == 0 {
        writeln!(out, "{}0 bytes", label("body"))?;
    } else {
        let body = format!("{} bytes{truncated}: {preview}", resp.body_bytes);
        writeln!(out, "{}{}", label("body"), fit(&body))?;
    }
    if let Some(st) = &r.fpm_status {
        let lines = [
            format!(
                "pool {}, pm {}, up {}, {} connections accepted",
                sanitize::escape(&st.pool),
                sanitize::escape(&st.process_manager),
                crate::core::text::ago(st.start_since as i64).trim_end_matches(" ago"),
                st.accepted_conn
            ),
            format!(
                "processes {} idle, {} active, {} total (most active {})",
                st.idle_processes, st.active_processes, st.total_processes, st.max_active_processes
            ),
            format!(
                "listen queue {} (highest {}, length {}); max children reached {}; slow requests {}",
                st.listen_queue,
                st.max_listen_queue,
                st.listen_queue_len,
                st.max_children_reached,
                st.slow_requests
            ),
        ];
        for (i, line) in lines.iter().enumerate() {
            let l = if i == 0 {
                label("fpm status")
            } else {
                label("")
            };
            writeln!(out, "{l}{}", fit(line))?;
        }
        for p in st.processes.iter().flatten().take(MAX_HEADERS) {
            let busy = if p.state == "Running" {
                format!(
                    ", {} {} for {} ms",
                    sanitize::escape(&p.request_method),
                    sanitize::escape(&p.request_uri),
                    p.request_duration / 1000
                )
            } else {
                String::new()
            };
            let line = format!(
                "pid {} {} after {} requests{busy}",
                p.pid,
                sanitize::escape(&p.state),
                p.requests
            );
            writeln!(out, "{}{}", label(""), fit(&line))?;
        }
    }
    if resp.stderr_bytes > 0 {
        for (i, line) in resp.stderr.lines().take(10).enumerate() {
            let l = if i == 0 { label("stderr") } else { label("") };
            let line = sanitize::escape(&sanitize::truncate(line, 200)).into_owned();
            writeln!(out, "{l}{}", fit(&line))?;
        }
    }
    Ok(())
}

/// The load mode's numbers, and the latencies as a small bar chart.
fn render_load(
    out: &mut dyn Write,
    load: &crate::commands::probe::load::LoadReport,
    settings: &OutputSettings,
) -> io::Result<()> {
    let label = |s: &str| format!("  {:<11}", s).bold();
    let fit = |value: &str| text::after_label(value, LABEL, settings.width);
    let l = &load.latency_ms;
    let mut lines = vec![
        format!(
            "{} requests, {} at once, in {:.2} s: {} requests/s; {} failed",
            load.requests, load.concurrency, load.duration_s, load.requests_per_second, load.failed
        ),
        format!(
            "latency p50 {:.2} ms  p90 {:.2} ms  p99 {:.2} ms  max {:.2} ms",
            l.p50, l.p90, l.p99, l.max
        ),
    ];
    if let Some(single) = &load.single {
        lines.push(format!(
            "one at a time first: {} requests, {} requests/s, p50 {:.2} ms",
            single.requests, single.requests_per_second, single.latency_ms.p50
        ));
    }
    for (code, n) in &load.failures {
        lines.push(format!("{n} failed with {code}"));
    }
    for (i, line) in lines.iter().enumerate() {
        let l = if i == 0 { label("load") } else { label("") };
        writeln!(out, "{l}{}", fit(line))?;
    }
    let most = load.histogram.iter().map(|(_, n)| *n).max().unwrap_or(0);
    for (i, (upper, n)) in load.histogram.iter().enumerate() {
        let width = if most == 0 {
            0
        } else {
            (n * 40).div_ceil(most) as usize
        };
        let l = if i == 0 { label("latency") } else { label("") };
        writeln!(out, "{l}<= {upper:>9.2} ms {:<40} {n}", "#".repeat(width))?;
    }
    Ok(())
}
