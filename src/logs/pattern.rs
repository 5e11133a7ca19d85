//! The catalogue's message patterns and the matcher that finds them fast.
//!
//! Each pattern carries a literal that every line it matches contains. One
//! Aho-Corasick automaton over all literals does two jobs: it skips the lines of a
//! log that cannot be about FastCGI (most of them) without looking at them twice,
//! and, for a candidate line, it names the few patterns whose regex is worth
//! running.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use super::catalogue::PATTERNS;
use super::stderr;

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

/// Shorter literals do not identify a FastCGI message.
const MIN_LITERAL: usize = 4;

/// The compiled matcher, built once per process.
pub struct Matcher {
    /// All literals: the patterns' and the stderr content markers.
    automaton: AhoCorasick,
    /// For literal i: the patterns (indices into PATTERNS) that need it.
    patterns_of_literal: Vec<Vec<usize>>,
    regexes: Vec<OnceLock<Option<Regex>>>,
}

impl Matcher {
    pub fn get() -> &'static Matcher {
        static MATCHER: OnceLock<Matcher> = OnceLock::new();
        MATCHER.get_or_init(Matcher::build)
    }

    fn build() -> Matcher {
        let mut literals: Vec<&'static str> = Vec::new();
        let mut patterns_of_literal: Vec<Vec<usize>> = Vec::new();
        for (i, p) in PATTERNS.iter().enumerate() {
            // A literal this short (CORE-006's two spaces, MFC-117's `: "`) is in
            // half of all log lines: such generic pass-through rows would turn
            // noise into findings, so they are not matched.
            if p.literal.trim().len() < MIN_LITERAL {
                continue;
            }
            match literals.iter().position(|l| *l == p.literal) {
                Some(at) => patterns_of_literal[at].push(i),
                None => {
                    literals.push(p.literal);
                    patterns_of_literal.push(vec![i]);
                }
            }
        }
        for marker in stderr::MARKERS {
            if !literals.contains(marker) {
                literals.push(marker);
                patterns_of_literal.push(Vec::new());
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(&literals)
            .expect("catalogue literals build an automaton");
        Matcher {
            automaton,
            patterns_of_literal,
            regexes: PATTERNS.iter().map(|_| OnceLock::new()).collect(),
        }
    }

    /// The byte offset of the first literal at or after `from`, if any.
    pub fn next_candidate(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let input = aho_corasick::Input::new(haystack).range(from..);
        self.automaton.find(input).map(|m| m.start())
    }

    /// Whether the text contains any literal at all.
    pub fn is_candidate(&self, text: &str) -> bool {
        self.automaton.is_match(text)
    }

    /// The most specific pattern whose regex matches `message`.
    pub fn find(&self, message: &str) -> Option<&'static Pattern> {
        let mut candidates: Vec<usize> = self
            .automaton
            .find_overlapping_iter(message)
            .flat_map(|m| {
                self.patterns_of_literal[m.pattern().as_usize()]
                    .iter()
                    .copied()
            })
            .collect();
        // PATTERNS is ordered most specific first.
        candidates.sort_unstable();
        candidates.dedup();
        candidates.into_iter().find_map(|i| {
            let re = self.regexes[i].get_or_init(|| Regex::new(PATTERNS[i].regex).ok());
            re.as_ref()
                .filter(|re| re.is_match(message))
                .map(|_| &PATTERNS[i])
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_regex_compiles_and_literal_is_non_empty() {
        for p in PATTERNS {
            assert!(Regex::new(p.regex).is_ok(), "{}: {}", p.row, p.regex);
            assert!(!p.literal.is_empty(), "{}", p.row);
            assert!(
                crate::registry::lookup(p.code).is_some(),
                "{} -> {}",
                p.row,
                p.code
            );
        }
    }

    #[test]
    fn finds_the_row_of_a_message() {
        let m = Matcher::get();
        let p = m
            .find("[pool www] server reached pm.max_children setting (5), consider raising it")
            .expect("max_children");
        assert!(p.row.starts_with("FPM"), "{}", p.row);
        assert!(m.find("GET /index.html 200").is_none());
    }
}
