//! Human rendering of `explain`: one code as a page, several as a table in id
//! order.

use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};

use super::{text, OutputSettings};
use crate::commands::explain::ExplainList;
use crate::core::registry::Code;

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
