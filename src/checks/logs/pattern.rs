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

use super::catalogue::{self, Evidence, Pattern};
use super::stderr;
use crate::sources::logs::envelope::Server;

static ANCHORS_TSV: &str = include_str!("catalogue-anchors.tsv");

/// The compiled matcher, built once per process.
pub struct Matcher {
    /// The anchors (`catalogue-anchors.tsv`): every catalogue row, in each
    /// envelope its server writes, holds one. Few enough for the SIMD (Teddy)
    /// searcher, which skips noise at gigabytes per second.
    anchors: AhoCorasick,
    /// All literals: the patterns' and the stderr content markers. Lines
    /// pasted without their envelope hold no anchor, only this.
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
            // A pass-through row (`%s`) has no text of its own to match.
            if p.evidence == Evidence::Passthrough {
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

    /// The row that explains the most of a message: of the patterns whose
    /// regex matches `message`, or `full` (the message with what the envelope
    /// cut off, such as php-fpm's `: strerror (errno)`), the heaviest (whose
    /// own words cover the most); ties go to the longer literal. Only rows
    /// that `server` writes are considered (any, when it is unknown).
    pub fn find(
        &self,
        server: Option<Server>,
        message: &str,
        full: &str,
    ) -> Option<&'static Pattern> {
        // A log repeats its messages: the same connect error, timeout or
        // warning, line after line, with another pid, port or line number.
        // Rows are told apart by words and short numbers (an errno, a signal,
        // an exit status), never by a long one, so long numbers are read as
        // ones and the answer for a message seen lately on this thread is kept.
        let masked = ones_for_long_numbers(full);
        let masked_message;
        let (message, full) = match full.starts_with(message) {
            // Mostly the message is the start of the full text: one pass.
            true => (&masked[..message.len()], &*masked),
            false => {
                masked_message = ones_for_long_numbers(message);
                (&*masked_message, &*masked)
            }
        };
        RECENT.with(|recent| {
            let mut recent = recent.borrow_mut();
            let key = Recent::key(server, message, full);
            if let Some(found) = recent.get(key, server, message, full) {
                return found;
            }
            let found = self.search(server, message, full);
            recent.put(key, server, message, full, found);
            found
        })
    }

    fn search(
        &self,
        server: Option<Server>,
        message: &str,
        full: &str,
    ) -> Option<&'static Pattern> {
        let patterns = catalogue::patterns();
        let mut candidates: Vec<usize> = self
            .automaton
            .find_overlapping_iter(full)
            .flat_map(|m| {
                self.patterns_of_literal[m.pattern().as_usize()]
                    .iter()
                    .copied()
            })
            .filter(|&i| patterns[i].family.writes(server))
            .collect();
        // Heaviest first, then the longer literal (the lower index).
        candidates.sort_unstable_by_key(|&i| (std::cmp::Reverse(patterns[i].weight), i));
        candidates.dedup();
        candidates.into_iter().find_map(|i| {
            let re = self.regex(i)?;
            let hit = re.is_match(message.as_bytes())
                || (full != message && re.is_match(full.as_bytes()));
            hit.then_some(&patterns[i])
        })
    }

    fn regex(&self, i: usize) -> Option<&Regex> {
        self.regexes[i]
            .get_or_init(|| crate::core::text::ascii_regex(catalogue::patterns()[i].regex).ok())
            .as_ref()
    }
}

/// `text` with every digit of each run of four digits or more that stands on
/// its own (not part of a word such as `AH01079`) written as `1`: the same
/// length and still digits, so the rows' regexes match as before.
fn ones_for_long_numbers(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let mut out: Option<Vec<u8>> = None;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let alone =
            (start == 0 || !is_word(bytes[start - 1])) && (i == bytes.len() || !is_word(bytes[i]));
        if i - start >= 4 && alone {
            let out = out.get_or_insert_with(|| bytes.to_vec());
            out[start..i].fill(b'1');
        }
    }
    match out {
        // Only ASCII digits were replaced by an ASCII digit.
        Some(out) => String::from_utf8(out).expect("still UTF-8").into(),
        None => text.into(),
    }
}

thread_local! {
    static RECENT: std::cell::RefCell<Recent> = std::cell::RefCell::new(Recent::default());
}

/// The answers for recently seen messages: a direct-mapped table of
/// [`Recent::SLOTS`] slots, so its memory is bounded however varied the log.
#[derive(Default)]
struct Recent {
    slots: Vec<Option<Slot>>,
}

struct Slot {
    key: u64,
    server: Option<Server>,
    message: Box<str>,
    /// Empty when the same as `message`.
    full: Box<str>,
    found: Option<&'static Pattern>,
}

impl Recent {
    const SLOTS: usize = 1024;

    fn key(server: Option<Server>, message: &str, full: &str) -> u64 {
        let seed = server.map_or(0, |s| s as u64 + 1);
        crate::core::text::fast_hash(seed, [message.as_bytes(), full.as_bytes()])
    }

    fn get(
        &self,
        key: u64,
        server: Option<Server>,
        message: &str,
        full: &str,
    ) -> Option<Option<&'static Pattern>> {
        let slot = self.slots.get(key as usize % Self::SLOTS)?.as_ref()?;
        let same_full = if slot.full.is_empty() {
            full == message
        } else {
            *slot.full == *full
        };
        (slot.key == key && slot.server == server && *slot.message == *message && same_full)
            .then_some(slot.found)
    }

    fn put(
        &mut self,
        key: u64,
        server: Option<Server>,
        message: &str,
        full: &str,
        found: Option<&'static Pattern>,
    ) {
        if self.slots.is_empty() {
            self.slots.resize_with(Self::SLOTS, || None);
        }
        self.slots[key as usize % Self::SLOTS] = Some(Slot {
            key,
            server,
            message: message.into(),
            full: if full == message { "" } else { full }.into(),
            found,
        });
    }
}

/// The anchors, one per line of the table (see `scripts/gen-log-catalogue`).
fn anchor_set() -> Vec<&'static str> {
    ANCHORS_TSV
        .lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .collect()
}

impl crate::sources::logs::input::Prefilter for Matcher {
    /// The byte offset of the first anchor at or after `from` (of any literal,
    /// when `thorough`), if any. The line around it may still turn out not to
    /// be about FastCGI.
    fn next_candidate(&self, haystack: &[u8], from: usize, thorough: bool) -> Option<usize> {
        let input = aho_corasick::Input::new(haystack).range(from..);
        let automaton = if thorough {
            &self.automaton
        } else {
            &self.anchors
        };
        automaton.find(input).map(|m| m.start())
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
    fn anchors_stay_few_enough_for_the_simd_searcher() {
        // Teddy, the SIMD searcher, takes at most 64 literals.
        let n = anchor_set().len();
        assert!((20..=64).contains(&n), "{n} anchors: {:?}", anchor_set());
    }

    #[test]
    fn long_numbers_read_as_ones_words_and_short_numbers_kept() {
        assert_eq!(
            ones_for_long_numbers(
                "child 14907 exited on signal 9 after 12.503215 s, AH01079 port 9000"
            ),
            "child 11111 exited on signal 9 after 12.111111 s, AH01079 port 1111"
        );
        assert!(matches!(
            ones_for_long_numbers("(13: Permission denied) IPv6 php8.2"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_repeated_message_gets_the_same_row_and_another_one_its_own() {
        let m = Matcher::get();
        let find = |text: &str| m.find(None, text, text).map(|p| p.row);
        let first = find(
            "[pool www] child 14907 exited on signal 11 (SIGSEGV) after 1.5 seconds from start",
        );
        assert!(first.is_some());
        assert_eq!(
            find(
                "[pool www] child 20001 exited on signal 11 (SIGSEGV) after 1.5 seconds from start"
            ),
            first
        );
        assert_ne!(
            find("[pool www] child 20001 exited with code 0 after 1.5 seconds from start"),
            first
        );
    }

    #[test]
    fn finds_the_row_of_a_message() {
        let m = Matcher::get();
        let p = m
            .find(
                None,
                "[pool www] server reached pm.max_children setting (5), consider raising it",
                "[pool www] server reached pm.max_children setting (5), consider raising it",
            )
            .expect("max_children");
        assert!(p.row.starts_with("FPM"), "{}", p.row);
        assert!(m
            .find(None, "GET /index.html 200", "GET /index.html 200")
            .is_none());
    }
}
