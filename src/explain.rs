//! `fcgi-doctor explain`: the registry, read by people (rustc --explain, ruff rule).

use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};
use serde::Serialize;

use crate::registry::{self, Class, Code};
use crate::report;
use crate::settings::{OutputSettings, UsageError};

#[derive(Serialize)]
struct ExplainData<'a> {
    codes: Vec<&'a Code>,
}

/// What to explain: one code, every code of a class, or all of them.
pub fn select(code: Option<&str>, all: bool) -> Result<Vec<&'static Code>, UsageError> {
    if all {
        return Ok(registry::all().collect());
    }
    let wanted = code.unwrap_or_default().trim();
    if let Some(code) = registry::lookup(wanted) {
        return Ok(vec![code]);
    }
    if let Some(class) = Class::ALL.iter().find(|c| c.as_str() == wanted) {
        let members: Vec<&Code> = registry::all().filter(|c| c.class == *class).collect();
        if members.is_empty() {
            return Err(UsageError(format!(
                "class {wanted} has no codes yet (later commands will add them)"
            )));
        }
        return Ok(members);
    }
    Err(UsageError(format!(
        "unknown code or class {wanted:?}: `fcgi-doctor explain --all` lists every code"
    )))
}

pub fn run(
    out: &mut dyn Write,
    settings: &OutputSettings,
    selected: Vec<&'static Code>,
) -> io::Result<crate::finding::Status> {
    let single = selected.len() == 1;
    let data = ExplainData { codes: selected };
    report::emit(
        out,
        settings,
        report::Command {
            name: "explain",
            is_check: false,
            renders_findings: false,
        },
        &[],
        &data,
        |out| {
            if single {
                write_one(out, data.codes[0])
            } else {
                write_table(out, &data.codes, settings.color)
            }
        },
    )
    .map(|_| crate::finding::Status::Ok)
}

fn write_one(out: &mut dyn Write, code: &Code) -> io::Result<()> {
    writeln!(out, "{} {}", code.id.bold(), code.title.bold())?;
    writeln!(
        out,
        "class: {}   severity: {}\n",
        code.class.as_str(),
        code.severity.as_str()
    )?;
    for line in wrap(code.explanation, 78) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "\n{}", "Fix:".bold())?;
    for line in wrap(code.fix, 78) {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn write_table(out: &mut dyn Write, list: &[&Code], color: bool) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["CODE", "SEVERITY", "CLASS", "TITLE"]);
    if color {
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
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "\n`fcgi-doctor explain CODE` for the explanation and the fix."
    )
}

/// Greedy word wrap for the registry's prose.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_codes_classes_and_all() {
        assert_eq!(select(Some("fd1004"), false).unwrap()[0].id, "FD1004");
        let perm = select(Some("permission_denied"), false).unwrap();
        assert!(perm.len() >= 3 && perm.iter().all(|c| c.class == Class::PermissionDenied));
        assert_eq!(select(None, true).unwrap().len(), registry::all().count());
        assert!(select(Some("FD9999"), false).is_err());
    }

    #[test]
    fn wrap_keeps_words_whole() {
        let lines = wrap("aaa bbb ccc", 7);
        assert_eq!(lines, ["aaa bbb", "ccc"]);
    }
}
