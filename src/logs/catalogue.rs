//! The log catalogue: one registry code and one pattern per row of
//! research/error-catalogue.md.
//!
//! `scripts/gen-log-catalogue` writes the rows into two tab-separated tables,
//! which are embedded here and parsed on first use. They are text rather than
//! static arrays of `&str` on purpose: in a position-independent binary every
//! `&str` inside a static is a pointer that the loader relocates at every start,
//! and the catalogue's 4,600 of them cost each command, a one-shot probe too,
//! about 20 page faults before `main` (BENCHMARKS.md). Parsing takes well under a
//! millisecond, and only `logs` and `explain` ask for it.

use std::sync::OnceLock;

use crate::finding::Severity;
use crate::registry::{Class, Code};

use super::pattern::{ErrnoUse, Pattern};

static CODES_TSV: &str = include_str!("catalogue-codes.tsv");
static PATTERNS_TSV: &str = include_str!("catalogue-patterns.tsv");

/// Registry codes of the log catalogue, sorted by id.
pub fn codes() -> &'static [Code] {
    static CODES: OnceLock<Vec<Code>> = OnceLock::new();
    CODES.get_or_init(|| rows(CODES_TSV).map(code).collect())
}

/// Patterns, most specific first (longest literal first; ties: catalogue order).
pub fn patterns() -> &'static [Pattern] {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| rows(PATTERNS_TSV).map(pattern).collect())
}

/// The fields of every line that is not a `#` comment. A malformed table is a
/// build mistake, which the tests below catch, so it panics.
fn rows(table: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    table
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| line.split('\t').collect())
}

fn code(fields: Vec<&'static str>) -> Code {
    let [id, class, severity, title, explanation, fix] = fields[..] else {
        panic!("catalogue-codes.tsv: 6 fields expected: {fields:?}");
    };
    Code {
        id,
        class: Class::ALL
            .into_iter()
            .find(|c| c.as_str() == class)
            .unwrap_or_else(|| panic!("catalogue-codes.tsv: {id}: unknown class {class}")),
        severity: [Severity::Info, Severity::Warning, Severity::Critical]
            .into_iter()
            .find(|s| s.as_str() == severity)
            .unwrap_or_else(|| panic!("catalogue-codes.tsv: {id}: unknown severity {severity}")),
        title,
        explanation,
        fix,
    }
}

fn pattern(fields: Vec<&'static str>) -> Pattern {
    let [row, code, source, level, errno, literal, regex] = fields[..] else {
        panic!("catalogue-patterns.tsv: 7 fields expected: {fields:?}");
    };
    Pattern {
        row,
        code,
        source,
        level,
        errno: match errno {
            "none" => ErrnoUse::None,
            "appended" => ErrnoUse::Appended,
            "decides" => ErrnoUse::Decides,
            _ => panic!("catalogue-patterns.tsv: {row}: unknown errno use {errno}"),
        },
        literal,
        regex,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_parse_into_one_code_and_one_pattern_per_row() {
        let codes = codes();
        let patterns = patterns();
        assert_eq!(codes.len(), 457);
        assert_eq!(patterns.len(), codes.len());
        assert!(codes.windows(2).all(|w| w[0].id < w[1].id));
        for p in patterns {
            assert!(
                codes.binary_search_by(|c| c.id.cmp(p.code)).is_ok(),
                "{}: code {} is not in the table",
                p.row,
                p.code
            );
        }
        assert!(patterns
            .windows(2)
            .all(|w| w[0].literal.chars().count() >= w[1].literal.chars().count()));
    }

    #[test]
    fn fields_come_through_verbatim() {
        let p = patterns().iter().find(|p| p.row == "PROXY-015").unwrap();
        assert_eq!(p.code, "FD2212");
        assert_eq!(p.source, "mod_proxy");
        assert!(p
            .regex
            .starts_with(r"AH01144: No protocol handler was valid for the URL (.*?) \("));
        let c = codes().iter().find(|c| c.id == "FD2101").unwrap();
        assert_eq!(c.class, Class::PermissionDenied);
        assert_eq!(c.severity, Severity::Critical);
        assert!(c
            .fix
            .starts_with("Add the web server IP(s) to listen.allowed_clients"));
    }
}
