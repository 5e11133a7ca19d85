//! Text from outside (app stderr, response bodies, paths) is untrusted: escape
//! control characters before it reaches a terminal, so an escape sequence in a
//! log line or a body can never move the cursor or retitle the window (fd does
//! the same for file names).

use std::borrow::Cow;
use std::fmt::Write;

/// Escapes every control character, newlines and tabs included.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_with(text, false)
}

/// Escapes control characters but keeps newlines and tabs (for multi-line text).
pub fn escape_keep_lines(text: &str) -> Cow<'_, str> {
    escape_with(text, true)
}

fn escape_with(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_lines && (c == '\n' || c == '\t');
    // Control characters are ASCII below 0x20, DEL, or C1 (encoded 0xC2 0x80..0x9F):
    // a byte scan rules most text out without decoding it.
    let suspicious = text.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2);
    if !suspicious || !text.chars().any(|c| c.is_control() && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !c.is_control() || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
        }
    }
    Cow::Owned(out)
}

/// The first `max` characters of `text`, with "…" when cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    // A string of at most `max` bytes has at most `max` characters.
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// The first character of `text` a terminal would act on: every control
/// character but the line end, except the colour codes (SGR, `ESC [ 1;31 m`)
/// the tool writes itself. For the tests of the output formats.
#[cfg(test)]
pub(crate) fn first_played(text: &str) -> Option<char> {
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if let Some(sgr) = rest.strip_prefix("\x1b[") {
            let params = sgr
                .find(|c: char| !c.is_ascii_digit() && c != ';')
                .unwrap_or(sgr.len());
            if sgr[params..].starts_with('m') {
                rest = &sgr[params + 1..];
                continue;
            }
        }
        if c.is_control() && c != '\n' {
            return Some(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_sequences_and_c1_controls() {
        assert_eq!(escape("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(escape("bell\x07"), "bell\\x07");
        assert_eq!(escape("csi\u{9b}"), "csi\\x9b");
        assert_eq!(escape("two\nlines"), "two\\nlines");
        assert_eq!(escape_keep_lines("two\nlines\x1b"), "two\nlines\\x1b");
        assert!(matches!(escape("plain text"), Cow::Borrowed(_)));
    }

    #[test]
    fn colours_are_not_played_text_but_other_escapes_are() {
        assert_eq!(first_played("\x1b[1;31mred\x1b[0m\n"), None);
        assert_eq!(first_played("a\x1b]0;title\x07"), Some('\x1b'));
        assert_eq!(first_played("a\x1b[2J"), Some('\x1b'));
        assert_eq!(first_played("cr\r"), Some('\r'));
        assert_eq!(first_played(&escape("a\x1b]0;t\x07\r\n")), None);
    }

    #[test]
    fn truncate_counts_characters_not_bytes() {
        assert_eq!(truncate("héllo", 2), "hé…");
        assert_eq!(truncate("abc", 3), "abc");
    }
}
