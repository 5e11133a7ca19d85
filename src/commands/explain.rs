//! `fcgi-doctor explain`: the registry, read by people (rustc --explain, ruff
//! rule) and by machines.

use serde::Serialize;

use crate::checks::fixes;
use crate::core::error::{Error, Result};
use crate::core::finding::{Finding, Severity};
use crate::core::outcome::Outcome;
use crate::core::registry::{self, Class, Code};
use crate::sources::host::Host;

/// The codes to explain, in id order.
#[derive(Debug, Serialize)]
pub struct ExplainList {
    pub codes: Vec<&'static Code>,
}

/// What to explain: one code, every code of a class, or all of them.
pub fn run(code: Option<&str>, all: bool) -> Result<Outcome<ExplainList>> {
    select(code, all).map(|codes| Outcome::new(ExplainList { codes }))
}

fn select(code: Option<&str>, all: bool) -> Result<Vec<&'static Code>> {
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
            return Err(Error::usage(format!(
                "class {wanted} has no codes yet (later commands will add them)"
            )));
        }
        return Ok(members);
    }
    Err(Error::usage(format!(
        "unknown code or class {wanted:?}: `fcgi-doctor explain --all` lists every code"
    )))
}

/// Whether `explain`'s argument is a code or a class (one word: `FD1004`,
/// `permission_denied`) rather than a pasted log line.
pub fn names_a_code(arg: &str) -> bool {
    let arg = arg.trim();
    !arg.is_empty()
        && arg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What a pasted fragment of a log says: each recognised entry with its
/// code, explanation and fix (`fcgi-doctor explain '<line>'`).
#[derive(Debug, Serialize)]
pub struct FragmentReport {
    pub entries: Vec<FragmentEntry>,
}

/// One recognised entry of a fragment.
#[derive(Debug, Serialize)]
pub struct FragmentEntry {
    /// Lines of the fragment it spans (from 1).
    pub line: u64,
    pub end_line: u64,
    pub code: &'static str,
    pub class: Class,
    pub severity: Severity,
    pub title: &'static str,
    /// The message as recognised (envelope and context taken off).
    pub message: String,
    pub explanation: &'static str,
    /// The fix, in this host's terms.
    pub fix: String,
    /// The catalogue row that matched, when one did.
    pub row: Option<&'static str>,
    /// The line of the entry this one follows from, when it is a symptom.
    pub cause: Option<u64>,
    /// The request, client, upstream and script the line names.
    pub request: Option<String>,
    pub client: Option<String>,
    pub upstream: Option<String>,
    pub script: Option<String>,
}

/// Classifies a pasted fragment of a log.
pub fn fragment(text: &str, host: &Host) -> Result<Outcome<FragmentReport>> {
    let found = crate::commands::logs::fragment_entries(text)?;
    let mut entries = Vec::new();
    for e in found {
        let Some(code) = registry::lookup(e.code) else {
            continue;
        };
        entries.push(FragmentEntry {
            line: e.line,
            end_line: e.end_line,
            code: code.id,
            class: code.class,
            severity: code.severity,
            title: code.title,
            message: e.message,
            explanation: code.explanation,
            fix: fixes::localize(code.fix, host.services()).into_owned(),
            row: e.row,
            cause: e.cause,
            request: e.request,
            client: e.client,
            upstream: e.upstream,
            script: e.script,
        });
    }
    let mut out = Outcome::new(FragmentReport { entries });
    out.findings = out
        .data
        .entries
        .iter()
        .map(|e| Finding {
            code: e.code,
            class: e.class,
            severity: e.severity,
            title: e.title,
            message: e.message.clone(),
            subject: format!("line {}", e.line),
            fix: e.fix.clone(),
        })
        .collect();
    if out.data.entries.is_empty() {
        out.notes.push(
            "no FastCGI message recognised in the text: it is about something else, or a \
             message the catalogue does not know yet (fcgi-doctor explain --all lists the codes)"
                .into(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_codes_classes_and_all_in_id_order() {
        assert_eq!(select(Some("fd1004"), false).unwrap()[0].id, "FD1004");
        let perm = select(Some("permission_denied"), false).unwrap();
        assert!(perm.len() >= 3 && perm.iter().all(|c| c.class == Class::PermissionDenied));
        let all = select(None, true).unwrap();
        assert_eq!(all.len(), registry::all().count());
        assert!(all.windows(2).all(|w| w[0].id < w[1].id));
        assert!(select(Some("FD9999"), false).is_err());
    }

    #[test]
    fn a_pasted_line_is_not_a_code() {
        assert!(names_a_code("FD2001"));
        assert!(names_a_code("permission_denied"));
        assert!(!names_a_code(
            "connect() to unix:/run/php/x.sock failed (13: Permission denied)"
        ));
        assert!(!names_a_code(
            "[pool www] server reached pm.max_children setting (5)"
        ));
    }

    #[test]
    fn a_pasted_line_is_explained_with_its_fix() {
        let out = fragment(
            "connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream",
            &Host::from_env(),
        )
        .unwrap();
        assert_eq!(out.data.entries.len(), 1);
        assert_eq!(out.data.entries[0].code, "FD2001");
        assert_eq!(out.findings.len(), 1);
        let none = fragment("GET /index.html 200", &Host::from_env()).unwrap();
        assert!(none.data.entries.is_empty() && !none.notes.is_empty());
    }
}
