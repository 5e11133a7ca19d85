//! The catalogue's message patterns and the matcher that finds them fast.
//!
//! Each pattern carries a literal that every line it matches contains. One
//! Aho-Corasick automaton over all literals does two jobs: it skips the lines of a
//! log that cannot be about FastCGI (most of them) without looking at them twice,
//! and, for a candidate line, it names the few patterns whose regex is worth
//! running.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, MatchKind};
use regex::bytes::Regex;

use super::catalogue::{self, Pattern};
use super::stderr;

/// Shorter literals do not identify a FastCGI message.
const MIN_LITERAL: usize = 4;

/// The compiled matcher, built once per process.
pub struct Matcher {
    /// A few dozen anchors, at least one of which is on every line worth a look:
    /// small enough for the SIMD (Teddy) searcher, which skips noise at
    /// gigabytes per second.
    anchors: AhoCorasick,
    /// All literals: the patterns' and the stderr content markers.
    automaton: AhoCorasick,
    /// For literal i: the patterns (indices into the catalogue's patterns) that need it.
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
        for (i, p) in catalogue::patterns().iter().enumerate() {
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
        // A contiguous NFA: a DFA searches a little faster but takes tens of
        // milliseconds to build, which a small log never pays back.
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&literals)
            .expect("catalogue literals build an automaton");
        let anchors = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(anchor_set())
            .expect("anchors build an automaton");
        Matcher {
            anchors,
            automaton,
            patterns_of_literal,
            regexes: catalogue::patterns()
                .iter()
                .map(|_| OnceLock::new())
                .collect(),
        }
    }

    /// The byte offset of the first anchor at or after `from`, if any. The line
    /// around it may still turn out not to be about FastCGI.
    pub fn next_candidate(&self, haystack: &[u8], from: usize) -> Option<usize> {
        let input = aho_corasick::Input::new(haystack).range(from..);
        self.anchors.find(input).map(|m| m.start())
    }

    /// Whether the text contains any literal at all.
    pub fn is_candidate(&self, text: &str) -> bool {
        self.automaton.is_match(text)
    }

    /// The most specific pattern whose regex matches `message`.
    pub fn find(&self, message: &str) -> Option<&'static Pattern> {
        // The patterns are ordered most specific first: try the candidates in index
        // order, lowest first, without allocating for them.
        let mut tried: Option<usize> = None;
        loop {
            let next = self
                .automaton
                .find_overlapping_iter(message)
                .flat_map(|m| {
                    self.patterns_of_literal[m.pattern().as_usize()]
                        .iter()
                        .copied()
                })
                .filter(|&i| tried.is_none_or(|t| i > t))
                .min()?;
            let re = self.regexes[next].get_or_init(|| {
                crate::core::text::ascii_regex(catalogue::patterns()[next].regex).ok()
            });
            if re
                .as_ref()
                .is_some_and(|re| re.is_match(message.as_bytes()))
            {
                return Some(&catalogue::patterns()[next]);
            }
            tried = Some(next);
        }
    }
}

/// Text that marks a line as possibly about FastCGI: the protocol's names, the
/// Apache 2.4 module tags of mod_proxy and the FastCGI modules (`[proxy:`,
/// `[proxy_fcgi:`, `[fcgid:`), an AH code in brackets (custom ErrorLogFormat),
/// php-fpm's envelope, nginx's `upstream: "fastcgi://` context, and the markers of
/// raw stderr.
const BASE_ANCHORS: &[&str] = &[
    "fastcgi",
    "FastCGI",
    "fcgi",
    "FCGI",
    "[proxy:",
    "[AH",
    "[pool ",
    "php-fpm",
    "fpm_",
    "NOTICE: ",
    "WARNING: ",
    "ERROR: ",
    "ALERT: ",
    "script headers",
    "script output",
    "from script '",
    "Script timed out",
    "Last-Modified",
    "AH02660",
    // Raw child output and pasted stderr, which no envelope announces.
    "Traceback",
    "Primary script",
    "PHP Fatal error",
    "PHP Parse error",
    "PHP Startup",
    "Cannot get script name",
    "Connection disallowed",
];

/// The anchors: the base set, plus the literal of every pattern whose lines
/// the base set would miss. A pattern is covered when its literal holds an
/// anchor, or when the envelope of its lines always does: php-fpm's level
/// markers, nginx's `fastcgi://` upstream on request-time errors, and the
/// `[proxy:` / `[proxy_fcgi:` tags of modules that exist only in Apache 2.4.
fn anchor_set() -> Vec<&'static str> {
    let mut anchors: Vec<&'static str> = BASE_ANCHORS.to_vec();
    for p in catalogue::patterns() {
        let fixed_text = p.regex.replace('\\', "");
        let literal_covered = BASE_ANCHORS
            .iter()
            .any(|a| p.literal.contains(a) || fixed_text.contains(a));
        // Apache 2.4 tags every line with its module ([fcgid:...], [fastcgi:...]);
        // lighttpd names its source file (mod_fastcgi.c, gw_backend.c).
        // fcgiwrap and spawn-fcgi reach a log through nginx's "FastCGI sent in
        // stderr" or under their own program name; nginx's request-time errors
        // carry `upstream: "fastcgi://`; configuration errors do not.
        let nginx_request_time = p.source.starts_with("nginx")
            && !p.regex.contains("in upstream")
            && !p.regex.contains("resolver")
            && !p.regex.contains("port in");
        // The PHP engine's own messages reach a log only as relayed stderr.
        let envelope_covered = p.source.starts_with("php-fpm")
            || p.source.starts_with("PHP")
            || p.source.starts_with("mod_proxy")
            || p.source.starts_with("mod_fcgid")
            || p.source.starts_with("mod_fastcgi")
            || p.source.starts_with("lighttpd")
            || p.source.starts_with("fcgiwrap")
            || p.source.starts_with("spawn-fcgi")
            || nginx_request_time;
        if literal_covered || envelope_covered || p.literal.trim().len() < MIN_LITERAL {
            continue;
        }
        if !anchors.contains(&p.literal) {
            anchors.push(p.literal);
        }
    }
    // An anchor that contains another one adds nothing.
    let all = anchors.clone();
    anchors.retain(|a| !all.iter().any(|b| b != a && a.contains(b)));
    anchors.sort_unstable();
    anchors.dedup();
    anchors
}

impl crate::sources::logs::input::Prefilter for Matcher {
    fn next_candidate(&self, haystack: &[u8], from: usize) -> Option<usize> {
        Matcher::next_candidate(self, haystack, from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_regex_compiles_and_literal_is_non_empty() {
        for p in catalogue::patterns() {
            assert!(
                crate::core::text::ascii_regex(p.regex).is_ok(),
                "{}: {}",
                p.row,
                p.regex
            );
            assert!(!p.literal.is_empty(), "{}", p.row);
            assert!(
                crate::core::registry::lookup(p.code).is_some(),
                "{} -> {}",
                p.row,
                p.code
            );
        }
    }

    #[test]
    fn anchors_stay_few() {
        // Teddy, the SIMD searcher, is at its fastest ("slim") up to 32 literals.
        let n = anchor_set().len();
        assert!(n <= 32, "{n} anchors: {:?}", anchor_set());
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
