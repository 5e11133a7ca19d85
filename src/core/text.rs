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
