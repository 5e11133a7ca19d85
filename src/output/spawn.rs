//! `spawn`'s own lines: who ran what, how it ended, its stderr's last lines,
//! then the probe of its socket.

use std::io::{self, Write};

use colored::Colorize;

use super::{probe, text, OutputSettings};
use crate::commands::spawn::SpawnReport;
use crate::core::sanitize;

const LABEL: usize = 13;

pub fn render(out: &mut dyn Write, r: &SpawnReport, settings: &OutputSettings) -> io::Result<()> {
    let label = |s: &str| format!("  {:<11}", s).bold();
    let fit = |value: &str| text::after_label(value, LABEL, settings.width);
    writeln!(
        out,
        "{} {} as {}",
        "spawn".bold(),
        sanitize::escape(&r.script),
        sanitize::escape(&r.user)
    )?;
    let state = match (r.started, r.pid, &r.ended) {
        (false, _, _) => "not started (see the findings)".to_string(),
        (true, Some(pid), Some(how)) => format!("pid {pid}, ended by itself: {how}"),
        (true, Some(pid), None) => format!("pid {pid}, still running at the end (stopped)"),
        (true, None, _) => "started".to_string(),
    };
    writeln!(out, "{}{}", label("process"), fit(&state))?;
    if let (Some(listen), Some(ms)) = (&r.listen, r.listening_after_ms) {
        let text = format!(
            "{} accepted a connection {ms:.0} ms after the start",
            sanitize::escape(listen)
        );
        writeln!(out, "{}{}", label("listening"), fit(&text))?;
    }
    for (i, line) in r.stderr_last_lines.iter().take(10).enumerate() {
        let l = if i == 0 { label("stderr") } else { label("") };
        writeln!(out, "{l}{}", fit(line))?;
    }
    if let Some(p) = &r.probe {
        writeln!(out)?;
        probe::render(out, p, settings)?;
    }
    Ok(())
}
