//! Human rendering of `explain`: one code as a page, several as a table in id
//! order.

use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};

use super::{severity_label, text, OutputSettings};
use crate::commands::explain::{ExplainList, FragmentReport};
use crate::core::registry::Code;
use crate::core::sanitize;

/// Prose is wrapped at this width at most, for reading comfort.
const PROSE_WIDTH: usize = 78;

pub fn render(
    out: &mut dyn Write,
    list: &ExplainList,
    settings: &OutputSettings,
) -> io::Result<()> {
    match list.codes.as_slice() {
        [one] => write_one(out, one, settings.width.min(PROSE_WIDTH)),
        many => write_table(out, many, settings),
    }
}

fn write_one(out: &mut dyn Write, code: &Code, width: usize) -> io::Result<()> {
    writeln!(out, "{} {}", code.id.bold(), code.title.bold())?;
    writeln!(
        out,
        "class: {}   severity: {}\n",
        code.class.as_str(),
        code.severity.as_str()
    )?;
    writeln!(out, "{}", text::wrap(code.explanation, width, 0, 0))?;
    writeln!(out, "\n{}", "Fix:".bold())?;
    writeln!(out, "{}", text::wrap(code.fix, width, 0, 0))
}

fn write_table(out: &mut dyn Write, list: &[&Code], settings: &OutputSettings) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(settings.width as u16)
        .set_header(["CODE", "SEVERITY", "CLASS", "TITLE"]);
    if settings.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    for code in list {
        table.add_row([
            code.id.to_string(),
            code.severity.as_str().to_string(),
            code.class.as_str().to_string(),
            code.title.to_string(),
        ]);
    }
    for line in table.to_string().lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    writeln!(
        out,
        "\n`fcgi-doctor explain CODE` for the explanation and the fix."
    )
}

/// A pasted fragment: each recognised entry with why it happens and the fix.
pub fn render_fragment(
    out: &mut dyn Write,
    report: &FragmentReport,
    settings: &OutputSettings,
) -> io::Result<()> {
    let width = settings.width.min(PROSE_WIDTH);
    for (i, e) in report.entries.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        let prefix = e.severity.as_str().len() + e.code.len() + 2;
        writeln!(
            out,
            "{} {} {}",
            severity_label(e.severity),
            e.code.bold(),
            text::after_label(e.title, prefix, width)
        )?;
        let lines = if e.end_line > e.line {
            format!("lines {}-{}", e.line, e.end_line)
        } else {
            format!("line {}", e.line)
        };
        let message = format!(
            "{lines} ({}): {}",
            e.class.as_str(),
            sanitize::escape(&sanitize::truncate(&e.message, 400))
        );
        writeln!(out, "{}", text::wrap(&message, width, 2, 4))?;
        if let Some(context) = super::logs::request_context(
            e.request.as_deref(),
            e.script.as_deref(),
            e.client.as_deref(),
            e.upstream.as_deref(),
        ) {
            writeln!(out, "{}", text::wrap(&context, width, 2, 4))?;
        }
        if let Some(cause) = e.cause {
            writeln!(out, "  follows line {cause}: fix that first")?;
        }
        let why = text::wrap(e.explanation, width, 7, 7);
        writeln!(out, "  {} {}", "why:".bold(), &why[7..])?;
        let fix = text::wrap(&sanitize::escape(&e.fix), width, 7, 7);
        writeln!(out, "  {} {}", "fix:".bold(), &fix[7..])?;
    }
    Ok(())
}
