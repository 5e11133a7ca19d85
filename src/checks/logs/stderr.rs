//! Application stderr relayed by a web server or php-fpm is classified by its
//! content: the "Content decision table for relayed stderr" of the catalogue.

use crate::core::registry::{codes, Code};
use crate::core::text::finder;

/// Where each server puts relayed stderr, and the text that starts it.
const RELAYS: [(&str, &str); 5] = [
    ("FastCGI sent in stderr: ", "\""),
    ("AH01071: Got error ", "'"),
    ("mod_fcgid: stderr: ", ""),
    ("\" stderr: ", ""),
    (" said into stderr: ", "\""),
];

/// Content rules, most specific and most severe first.
const RULES: [(&[&str], &Code); 18] = [
    (
        &["Primary script unknown"],
        &codes::STDERR_PRIMARY_SCRIPT_UNKNOWN,
    ),
    (
        &["Unable to open primary script"],
        &codes::STDERR_UNABLE_TO_OPEN,
    ),
    (
        &["(see security.limit_extensions)"],
        &codes::STDERR_LIMIT_EXTENSIONS,
    ),
    (
        &["Connection disallowed: IP address"],
        &codes::STDERR_CONNECTION_DISALLOWED,
    ),
    (
        &["Unable to allocate shared memory segment"],
        &codes::STDERR_SHM_ALLOCATION,
    ),
    (&["Allowed memory size of"], &codes::STDERR_MEMORY_EXHAUSTED),
    (
        &["Maximum execution time of"],
        &codes::STDERR_MAX_EXECUTION_TIME,
    ),
    (
        &["PHP Startup: Unable to load dynamic library"],
        &codes::STDERR_PHP_STARTUP,
    ),
    // The script itself is outside open_basedir ("Unknown:" is the request's
    // own script); a script's access to another file is its own warning.
    (
        &["Unknown: open_basedir restriction in effect"],
        &codes::STDERR_OPEN_BASEDIR,
    ),
    (&["POST Content-Length of"], &codes::STDERR_POST_TOO_LARGE),
    (
        &["Cannot get script name, are DOCUMENT_ROOT and SCRIPT_NAME"],
        &codes::STDERR_FCGIWRAP_SCRIPT_NAME,
    ),
    (
        &["WSGIServer: missing FastCGI param"],
        &codes::STDERR_FLUP_MISSING_PARAM,
    ),
    // What ends an application's start: before the traceback that shows it.
    (
        &[
            "ModuleNotFoundError: No module named",
            "ImportError: No module named",
            "ImportError: cannot import name",
            "in @INC (you may need to install",
            "cannot load such file -- ",
        ],
        &codes::STDERR_MODULE_MISSING,
    ),
    (
        &["SyntaxError: ", "IndentationError: ", "syntax error at "],
        &codes::STDERR_SYNTAX_ERROR,
    ),
    (
        &[
            "bad interpreter: ",
            "exec format error",
            "Exec format error",
        ],
        &codes::STDERR_EXEC_FAILED,
    ),
    (
        &["Traceback (most recent call last)"],
        &codes::STDERR_PYTHON_TRACEBACK,
    ),
    (
        &[
            "PHP Fatal error",
            "PHP Parse error",
            "PHP Recoverable fatal error",
        ],
        &codes::STDERR_PHP_FATAL,
    ),
    (
        &[
            "PHP Warning",
            "PHP Notice",
            "PHP Deprecated",
            "PHP Strict Standards",
        ],
        &codes::STDERR_PHP_WARNING,
    ),
];

/// Literals that make a line worth a look even without an envelope.
pub const MARKERS: &[&str] = &[
    "FastCGI sent in stderr",
    "AH01071: Got error",
    "mod_fcgid: stderr",
    "said into stderr",
    "Primary script unknown",
    "Unable to open primary script",
    "security.limit_extensions",
    "Connection disallowed: IP address",
    "Allowed memory size of",
    "Maximum execution time of",
    "Unable to load dynamic library",
    "open_basedir restriction in effect",
    "POST Content-Length of",
    "Unable to allocate shared memory segment",
    "Cannot get script name",
    "WSGIServer: missing FastCGI param",
    "Traceback (most recent call last)",
    "in @INC (you may need to install",
    "bad interpreter: ",
    "exec format error",
    "PHP Fatal error",
    "PHP Parse error",
];

/// Whether a content code is about a message of PHP's (a fatal error, a
/// warning, a limit).
pub fn is_php(code: &Code) -> bool {
    [
        &codes::STDERR_MEMORY_EXHAUSTED,
        &codes::STDERR_MAX_EXECUTION_TIME,
        &codes::STDERR_PHP_FATAL,
        &codes::STDERR_PHP_WARNING,
        &codes::STDERR_POST_TOO_LARGE,
        &codes::STDERR_OPEN_BASEDIR,
    ]
    .iter()
    .any(|c| c.id == code.id)
}

/// The relayed text, when `message` relays application stderr.
pub fn relayed(message: &str) -> Option<&str> {
    // Every relay marker says "stderr" or "Got error": one SIMD search decides
    // for most entries.
    let bytes = message.as_bytes();
    if finder!(b"stderr").find(bytes).is_none() && finder!(b"Got error").find(bytes).is_none() {
        return None;
    }
    RELAYS
        .iter()
        .zip(relay_finders())
        .find_map(|((marker, quote), finder)| {
            let at = finder.find(bytes)?;
            let payload = &message[at + marker.len()..];
            let payload = payload.strip_prefix(quote).unwrap_or(payload);
            Some(payload.strip_suffix(quote).unwrap_or(payload))
        })
}

/// A searcher per relay marker, built once.
fn relay_finders() -> &'static [memchr::memmem::Finder<'static>] {
    static FINDERS: std::sync::OnceLock<Vec<memchr::memmem::Finder<'static>>> =
        std::sync::OnceLock::new();
    FINDERS.get_or_init(|| {
        RELAYS
            .iter()
            .map(|(marker, _)| memchr::memmem::Finder::new(marker.as_bytes()))
            .collect()
    })
}

/// The code for a piece of stderr; `None` when `fallback` is false and no rule
/// matches (raw text that is not known to be stderr).
pub fn classify(text: &str, fallback: bool) -> Option<&'static Code> {
    // One pass over the text finds every needle; the earliest rule wins.
    static NEEDLES: std::sync::OnceLock<(aho_corasick::AhoCorasick, Vec<usize>)> =
        std::sync::OnceLock::new();
    let (automaton, rule_of) = NEEDLES.get_or_init(|| {
        let mut needles = Vec::new();
        let mut rule_of = Vec::new();
        for (i, (list, _)) in RULES.iter().enumerate() {
            for n in *list {
                needles.push(*n);
                rule_of.push(i);
            }
        }
        let automaton = aho_corasick::AhoCorasick::new(&needles).expect("static needles");
        (automaton, rule_of)
    });
    automaton
        .find_overlapping_iter(text)
        .map(|m| rule_of[m.pattern().as_usize()])
        .min()
        .map(|rule| RULES[rule].1)
        .or(fallback.then_some(&codes::STDERR_OTHER))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relays_of_every_server() {
        assert_eq!(
            relayed("FastCGI sent in stderr: \"Primary script unknown\""),
            Some("Primary script unknown")
        );
        assert_eq!(
            relayed("AH01071: Got error 'PHP message: PHP Warning:  x'"),
            Some("PHP message: PHP Warning:  x")
        );
        assert_eq!(
            relayed("[pool www] child 12 said into stderr: \"NOTICE: PHP message: boom\""),
            Some("NOTICE: PHP message: boom")
        );
        assert_eq!(relayed("connect() failed"), None);
    }

    #[test]
    fn content_decides_and_the_most_severe_wins() {
        let c = |t| classify(t, true).unwrap().id;
        assert_eq!(
            c("Primary script unknown"),
            codes::STDERR_PRIMARY_SCRIPT_UNKNOWN.id
        );
        assert_eq!(
            c("PHP message: PHP Warning: a; PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted"),
            codes::STDERR_MEMORY_EXHAUSTED.id
        );
        assert_eq!(
            c("PHP message: PHP Deprecated: x"),
            codes::STDERR_PHP_WARNING.id
        );
        assert_eq!(c("something else"), codes::STDERR_OTHER.id);
        assert!(classify("something else", false).is_none());
    }
}
