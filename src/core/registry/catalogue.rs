//! The codes of the message catalogue (`catalogue/messages.md`): one registry
//! code per catalogue row, FD2101 and up.
//!
//! `scripts/gen-log-catalogue` writes them into `catalogue-codes.tsv`, which is
//! embedded here and parsed on first use. The table is text rather than a
//! static array of `&str` on purpose: in a position-independent binary every
//! `&str` inside a static is a pointer that the loader relocates at every
//! start, and the catalogue's thousands of them cost each command, a one-shot
//! probe too, about 20 page faults before `main` (BENCHMARKS.md). Parsing takes
//! well under a millisecond, and only `logs` and `explain` ask for it.

use std::sync::OnceLock;

use super::{Class, Code, Severity};

static CODES_TSV: &str = include_str!("catalogue-codes.tsv");

/// Registry codes of the message catalogue, sorted by id.
pub fn codes() -> &'static [Code] {
    static CODES: OnceLock<Vec<Code>> = OnceLock::new();
    CODES.get_or_init(|| rows(CODES_TSV).map(code).collect())
}

/// The fields of every line that is not a `#` comment. A malformed table is a
/// build mistake, which the tests below catch, so it panics.
pub fn rows(table: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
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
        severity: Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == severity)
            .unwrap_or_else(|| panic!("catalogue-codes.tsv: {id}: unknown severity {severity}")),
        title,
        explanation,
        fix,
    }
}

#[cfg(test)]
mod tests {

    /// A title is what a person reads first: a complete phrase, never one cut
    /// off (`... where a FastCGI`, `disabled connection for`, a lone word).
    #[test]
    fn titles_are_complete_phrases() {
        const DANGLING: [&str; 23] = [
            "a", "an", "and", "as", "at", "because", "but", "by", "for", "from", "in", "into",
            "is", "of", "on", "or", "so", "than", "that", "the", "to", "when", "with",
        ];
        let mut bad = Vec::new();
        for c in super::codes() {
            let body = c.title.split_once(": ").map_or(c.title, |(_, b)| b);
            let last = body.split_whitespace().last().unwrap_or_default();
            let balanced = c.title.matches('(').count() == c.title.matches(')').count()
                && c.title.matches('`').count() % 2 == 0
                && c.title.matches('"').count() % 2 == 0;
            let cut = body.split_whitespace().count() < 2
                || c.title.ends_with("...")
                || c.title.ends_with('\u{2026}')
                || c.title.ends_with([',', ':', ';', '(', '=', '-', '/'])
                || DANGLING.contains(&last.to_lowercase().as_str())
                || !balanced
                || c.title.len() > 110;
            if cut {
                bad.push(format!("{} {}", c.id, c.title));
            }
        }
        assert!(
            bad.is_empty(),
            "{} cut-off titles:\n{}",
            bad.len(),
            bad.join("\n")
        );
    }

    use super::*;

    #[test]
    fn the_table_parses_in_id_order() {
        let codes = codes();
        assert!(codes.len() >= 457);
        assert!(codes.windows(2).all(|w| w[0].id < w[1].id));
        let c = codes.iter().find(|c| c.id == "FD2101").unwrap();
        assert_eq!(c.class, Class::PermissionDenied);
        assert_eq!(c.severity, Severity::Critical);
        assert!(c
            .fix
            .starts_with("Add the web server IP(s) to listen.allowed_clients"));
    }
}
