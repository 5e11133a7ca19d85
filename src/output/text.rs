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
/// spaces, the others by `rest`. Runs of whitespace become one space.
pub fn wrap(text: &str, width: usize, first: usize, rest: usize) -> String {
    let mut out = " ".repeat(first);
    let mut column = first;
    let mut line_empty = true;
    for word in text.split_whitespace() {
        let len = word.chars().count();
        if !line_empty && column + 1 + len > width {
            out.push('\n');
            out.push_str(&" ".repeat(rest));
            column = rest;
            line_empty = true;
        }
        if !line_empty {
            out.push(' ');
            column += 1;
        }
        out.push_str(word);
        column += len;
        line_empty = false;
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
        assert_eq!(wrap("", 80, 2, 2), "  ");
    }
}
