//! Substring search with searchers built once per needle and call site.
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
