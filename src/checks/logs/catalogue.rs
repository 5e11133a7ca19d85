//! The message catalogue's patterns: one per row of `catalogue/messages.md`,
//! each pointing at its registry code (FD2101 and up, in
//! [`crate::core::registry::catalogue`]).
//!
//! `scripts/gen-log-catalogue` writes them into `catalogue-patterns.tsv`, which
//! is embedded and parsed on first use (text, not a static array: see the
//! registry's catalogue module for why).

use std::sync::OnceLock;

use crate::core::registry::catalogue::rows;

static PATTERNS_TSV: &str = include_str!("catalogue-patterns.tsv");

/// How a pattern's message relates to the operating-system error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrnoUse {
    None,
    /// The server appends an errno; it adds detail but the row's class holds.
    Appended,
    /// The errno decides the diagnosis (13 permission, 2 missing, 111 refused...).
    Decides,
}

/// One catalogue row as a pattern.
#[derive(Debug)]
pub struct Pattern {
    /// The catalogue row id, e.g. `NGXU-025`.
    pub row: &'static str,
    pub code: &'static str,
    pub source: &'static str,
    pub level: &'static str,
    pub errno: ErrnoUse,
    pub literal: &'static str,
    pub regex: &'static str,
}

/// Patterns, most specific first (longest literal first; ties: catalogue order).
pub fn patterns() -> &'static [Pattern] {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| rows(PATTERNS_TSV).map(pattern).collect())
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
    use crate::core::registry::catalogue::codes;

    #[test]
    fn every_pattern_has_its_code_and_the_most_specific_come_first() {
        let codes = codes();
        let patterns = patterns();
        assert_eq!(patterns.len(), codes.len());
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
    }
}
