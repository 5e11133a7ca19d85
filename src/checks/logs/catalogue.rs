//! The message catalogue's patterns: one per row of `catalogue/messages.md`,
//! each pointing at its registry code (FD2101 and up, in
//! [`crate::core::registry::catalogue`]).
//!
//! `scripts/gen-log-catalogue` writes them into `catalogue-patterns.tsv`, which
//! is embedded and parsed on first use (text, not a static array: see the
//! registry's catalogue module for why).

use std::sync::OnceLock;

use crate::core::registry::catalogue::rows;
use crate::core::registry::Code;
use crate::sources::logs::envelope::Server;

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

/// When a row's line counts as being about FastCGI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// The message itself says so (its server speaks only FastCGI).
    None,
    /// The server serves HTTP backends too (nginx's upstream module, mod_proxy,
    /// lighttpd's gw_backend): the line must show a FastCGI upstream.
    Required,
    /// A format with no text of its own (`%s`): the text appended to it is
    /// what a row matches, so this one is never matched.
    Passthrough,
}

/// Whose envelope a row's lines carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Apache,
    Nginx,
    PhpFpm,
    Lighttpd,
    /// Messages that reach a log through other programs (relayed stderr,
    /// fcgiwrap, spawn-fcgi, flup, Caddy).
    Any,
}

impl Family {
    /// Whether a line whose envelope says `server` can be one of this family's.
    pub fn writes(self, server: Option<Server>) -> bool {
        match (self, server) {
            (Family::Any, _) | (_, None | Some(Server::Syslog | Server::Unknown)) => true,
            (Family::Apache, Some(s)) => s.is_apache(),
            (Family::Nginx, Some(s)) => s == Server::Nginx,
            (Family::PhpFpm, Some(s)) => s == Server::PhpFpm,
            (Family::Lighttpd, Some(s)) => s == Server::Lighttpd,
        }
    }
}

/// One catalogue row as a pattern.
#[derive(Debug)]
pub struct Pattern {
    /// The catalogue row id, e.g. `NGXU-025`.
    pub row: &'static str,
    pub code: &'static str,
    /// The registry's entry for `code`.
    pub registry_code: &'static Code,
    pub source: &'static str,
    pub family: Family,
    pub level: &'static str,
    pub errno: ErrnoUse,
    pub evidence: Evidence,
    /// How many characters of a line the row's own words can cover: of
    /// several rows that match a line, the heaviest explains it best.
    pub weight: u16,
    pub literal: &'static str,
    pub regex: &'static str,
}

/// Patterns, most specific first (longest literal first; ties: catalogue order).
pub fn patterns() -> &'static [Pattern] {
    static PATTERNS: OnceLock<Vec<Pattern>> = OnceLock::new();
    PATTERNS.get_or_init(|| rows(PATTERNS_TSV).map(pattern).collect())
}

/// The pattern of a catalogue row, by its id.
pub fn row(id: &str) -> Option<&'static Pattern> {
    patterns().iter().find(|p| p.row == id)
}

fn pattern(fields: Vec<&'static str>) -> Pattern {
    let [row, code, source, server, level, errno, evidence, weight, literal, regex] = fields[..]
    else {
        panic!("catalogue-patterns.tsv: 10 fields expected: {fields:?}");
    };
    Pattern {
        row,
        code,
        registry_code: crate::core::registry::lookup(code).unwrap_or_else(|| {
            panic!("catalogue-patterns.tsv: {row}: {code} is not in the registry")
        }),
        source,
        family: match server {
            "apache" => Family::Apache,
            "nginx" => Family::Nginx,
            "php-fpm" => Family::PhpFpm,
            "lighttpd" => Family::Lighttpd,
            "any" => Family::Any,
            _ => panic!("catalogue-patterns.tsv: {row}: unknown server {server}"),
        },
        level,
        errno: match errno {
            "none" => ErrnoUse::None,
            "appended" => ErrnoUse::Appended,
            "decides" => ErrnoUse::Decides,
            _ => panic!("catalogue-patterns.tsv: {row}: unknown errno use {errno}"),
        },
        evidence: match evidence {
            "none" => Evidence::None,
            "required" => Evidence::Required,
            "passthrough" => Evidence::Passthrough,
            _ => panic!("catalogue-patterns.tsv: {row}: unknown evidence {evidence}"),
        },
        weight: weight
            .parse()
            .unwrap_or_else(|_| panic!("catalogue-patterns.tsv: {row}: bad weight {weight}")),
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
            // A row reports its own code, or one of the stderr content rules'.
            assert!(
                codes.binary_search_by(|c| c.id.cmp(p.code)).is_ok()
                    || (p.code.starts_with("FD20")
                        && crate::core::registry::lookup(p.code).is_some()),
                "{}: code {} is not in the registry",
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
