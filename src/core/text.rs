//! Text matching shared by the commands: regexes in ASCII mode, and substring
//! search with searchers built once per needle and call site.
//!
//! `memchr::memmem::find` builds its searcher on every call, which costs more
//! than the search itself on a log line; the log reader looks for the same few
//! needles on millions of lines.

/// A forward searcher for a constant needle, built on first use.
macro_rules! finder {
    ($needle:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($needle));
        &*FINDER
    }};
}

/// A reverse searcher for a constant needle, built on first use.
macro_rules! finder_rev {
    ($needle:expr) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::FinderRev<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::FinderRev::new($needle));
        &*FINDER
    }};
}

pub(crate) use {finder, finder_rev};

/// A regex in ASCII mode on bytes: `\d`, `\w` and `(?i)` are ASCII, `.` is any
/// byte, `\p{..}` is refused. Every regex in the tool (the log catalogue,
/// `--expect-body`) is built here: the crate is compiled without its Unicode
/// tables, whose pointers would be relocated at every start (BENCHMARKS.md).
pub fn ascii_regex(pattern: &str) -> Result<regex::bytes::Regex, regex::Error> {
    regex::bytes::RegexBuilder::new(pattern)
        .unicode(false)
        .build()
}

/// `3 min ago`, `2 h ago`, `5 days ago`: how long ago, for people.
pub fn ago(seconds: i64) -> String {
    match seconds {
        ..60 => "under a minute ago".to_string(),
        60..3600 => format!("{} min ago", seconds / 60),
        3600..172_800 => format!("{} h ago", seconds / 3600),
        _ => format!("{} days ago", seconds / 86_400),
    }
}

/// A fast, non-cryptographic hash of some texts (multiply and rotate, eight
/// bytes at a time), for tables that compare the texts on a hit, or where a
/// collision costs no more than a missed or wrong hint.
pub fn fast_hash<'a>(seed: u64, texts: impl IntoIterator<Item = &'a [u8]>) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = seed;
    let mut add = |word: u64| h = (h.rotate_left(5) ^ word).wrapping_mul(K);
    for text in texts {
        let mut chunks = text.chunks_exact(8);
        for chunk in &mut chunks {
            add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let mut tail = [0u8; 8];
        tail[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
        add(u64::from_le_bytes(tail) ^ text.len() as u64);
    }
    h
}

#[cfg(test)]
mod ago_tests {
    #[test]
    fn ago_reads_like_a_person_says_it() {
        assert_eq!(super::ago(5), "under a minute ago");
        assert_eq!(super::ago(180), "3 min ago");
        assert_eq!(super::ago(7300), "2 h ago");
        assert_eq!(super::ago(3 * 86_400 + 5), "3 days ago");
    }
}
