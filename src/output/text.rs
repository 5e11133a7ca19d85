//! Fitting human output to the terminal: how wide it is, and wrapping prose
//! with a hanging indent. Words are never cut: a path longer than the line
//! stays whole on a line of its own.

/// Columns when stdout is not a terminal (a pipe, a file, a CI log).
pub const DEFAULT_WIDTH: usize = 100;
/// Narrower than this, wrapping helps nobody.
const MIN_WIDTH: usize = 40;

/// The width to fit: `COLUMNS` when set, the terminal's when stdout is one,
/// else [`DEFAULT_WIDTH`].
pub fn width() -> usize {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0);
    columns
        .or_else(terminal_width)
        .unwrap_or(DEFAULT_WIDTH)
        .max(MIN_WIDTH)
}

fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let mut size = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills the struct it is given, and stdout is a terminal.
    let ok = unsafe { nix::libc::ioctl(1, nix::libc::TIOCGWINSZ, &mut size) } == 0;
    (ok && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// `text` wrapped at `width` columns: the first line indented by `first`
/// spaces, the others by `rest`. Lines break at spaces, which the break
/// replaces; other runs of spaces are kept (a log line's spacing is its own).
/// Other whitespace counts as a character: callers escape newlines and tabs.
pub fn wrap(text: &str, width: usize, first: usize, rest: usize) -> String {
    let mut out = " ".repeat(first);
    let mut column = first;
    let mut line_empty = true;
    // Spaces seen since the last word, written only if no break comes.
    let mut spaces = 0;
    for word in text.trim().split(' ') {
        if word.is_empty() {
            spaces += 1;
            continue;
        }
        let len = word.chars().count();
        let gap = spaces + 1;
        spaces = 0;
        if !line_empty && column + gap + len > width {
            out.push('\n');
            out.push_str(&" ".repeat(rest));
            column = rest;
            line_empty = true;
        }
        if !line_empty {
            out.push_str(&" ".repeat(gap));
            column += gap;
        }
        out.push_str(word);
        column += len;
        line_empty = false;
    }
    out
}

/// `value` after a label that takes `indent` columns: the first line's text
/// (the label is written before it) and the lines under it, indented.
pub fn after_label(value: &str, indent: usize, width: usize) -> String {
    wrap(value, width, indent, indent)[indent..].to_string()
}

/// `segments` joined by two spaces, wrapped between segments only, after a
/// label of `indent` columns (the probe's timings: `connect 0.22 ms  ...`).
pub fn segments_after_label(segments: &[String], indent: usize, width: usize) -> String {
    let mut out = String::new();
    let mut column = indent;
    for (i, segment) in segments.iter().enumerate() {
        let len = segment.chars().count();
        if i > 0 {
            if column + 2 + len > width {
                out.push('\n');
                out.push_str(&" ".repeat(indent));
                column = indent;
            } else {
                out.push_str("  ");
                column += 2;
            }
        }
        out.push_str(segment);
        column += len;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_with_a_hanging_indent_and_keeps_long_words_whole() {
        let text = "Restart the backend that should listen on /run/php/a-rather-long-name.sock now";
        assert_eq!(
            wrap(text, 30, 7, 7),
            "       Restart the backend\n       that should listen on\n       \
             /run/php/a-rather-long-name.sock\n       now"
        );
        assert_eq!(wrap("short", 80, 2, 4), "  short");
        let timings = [
            "connect 1 ms".to_string(),
            "get_values 2 ms".into(),
            "total 3 ms".into(),
        ];
        assert_eq!(
            segments_after_label(&timings, 4, 34),
            "connect 1 ms  get_values 2 ms\n    total 3 ms"
        );
        assert_eq!(wrap("", 80, 2, 2), "  ");
        assert_eq!(
            wrap("PHP Fatal error:  boom", 80, 0, 0),
            "PHP Fatal error:  boom"
        );
        assert_eq!(wrap("aaa  bbb", 5, 0, 0), "aaa\nbbb");
    }
}
