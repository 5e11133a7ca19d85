//! Reading logs: opening files, `-` and `.gz`, and scanning them in bounded
//! chunks. Lines that cannot be about FastCGI are skipped by the matcher's
//! automaton over the whole chunk, never looked at one by one; a candidate line
//! is taken with the continuation lines that follow it.

use std::io::{self, BufReader, Read};
use std::path::Path;

use super::envelope;
use crate::core::text::finder;
use crate::sources::files;

/// Bytes read per refill.
const CHUNK: usize = 1 << 20;
/// Longest line kept; the rest of a longer line is skipped (and counted).
pub const MAX_LINE: usize = 64 * 1024;
/// Continuation lines kept per entry.
const MAX_CONTINUATION: usize = 200;

/// What finds the lines worth a closer look, over a whole chunk of a log at
/// once: the classifier's automata of message literals
/// ([`crate::checks::logs::pattern::Matcher`]). Lines it skips are never
/// looked at one by one.
pub trait Prefilter {
    /// The offset of the next candidate byte at or after `from`, if any.
    /// `thorough` asks for every line that holds a known message, envelope or
    /// not (pasted fragments); otherwise a line must also hold what the
    /// envelope of its server puts there (the fast search of large logs).
    fn next_candidate(&self, haystack: &[u8], from: usize, thorough: bool) -> Option<usize>;
}

/// Bytes at the start of an input searched thoroughly: all of a pasted
/// fragment or a small file, the first of a large one.
pub const THOROUGH_BYTES: u64 = 1 << 20;

/// An opened input.
pub struct Opened {
    pub name: String,
    pub reader: Box<dyn Read + Send>,
    /// Size on disk, for the progress bar (None for stdin and pipes).
    pub size: Option<u64>,
}

/// Opens a path, `-` for standard input; gzip is recognised by its magic bytes.
pub fn open(spec: &str) -> Result<Opened, String> {
    if spec == "-" {
        return Ok(Opened {
            name: "-".into(),
            reader: Box::new(io::stdin()),
            size: None,
        });
    }
    let path = Path::new(spec);
    let meta = std::fs::metadata(path).map_err(|e| format!("{spec}: {e}"))?;
    if meta.is_dir() {
        return Err(format!(
            "{spec} is a directory: name the log files in it, e.g. {}/*.log",
            spec.trim_end_matches('/')
        ));
    }
    // A FIFO is read as it comes (or is empty when nobody writes to it); a
    // device is refused: /dev/zero never ends.
    let mut file = files::open_stream(path).map_err(|e| match e.kind() {
        io::ErrorKind::InvalidInput => format!("{spec} is {e}: give a log file, or - for a pipe"),
        _ => format!("{spec}: {e}"),
    })?;
    // Sniffed, then put back: a FIFO cannot be opened twice.
    let mut magic = Vec::with_capacity(2);
    (&mut file)
        .take(2)
        .read_to_end(&mut magic)
        .map_err(|e| format!("{spec}: {e}"))?;
    let gz = magic == [0x1f, 0x8b];
    let file = io::Cursor::new(magic).chain(file);
    let reader: Box<dyn Read + Send> = if gz {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
            1 << 16,
            file,
        )))
    } else {
        Box::new(file)
    };
    Ok(Opened {
        name: spec.to_string(),
        reader,
        size: meta.is_file().then_some(meta.len()),
    })
}

/// Splits a plain (not compressed) file of at least `min` bytes into `parts`
/// byte ranges that start at line starts. None for anything else.
pub fn split_ranges(spec: &str, parts: usize, min: u64) -> Option<Vec<(u64, u64)>> {
    use std::io::{Seek, SeekFrom};
    if spec == "-" || parts < 2 {
        return None;
    }
    let mut file = files::open_regular(Path::new(spec)).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() < min {
        return None;
    }
    let mut magic = [0u8; 2];
    if matches!(file.read(&mut magic), Ok(2) if magic == [0x1f, 0x8b]) {
        return None;
    }
    let size = meta.len();
    let mut bounds = vec![0u64];
    let mut buf = vec![0u8; MAX_LINE + 1];
    for k in 1..parts {
        let guess = size * k as u64 / parts as u64;
        file.seek(SeekFrom::Start(guess)).ok()?;
        let n = file.read(&mut buf).ok()?;
        let nl = memchr::memchr(b'\n', &buf[..n])?;
        let at = guess + nl as u64 + 1;
        if at > *bounds.last()? && at < size {
            bounds.push(at);
        }
    }
    bounds.push(size);
    Some(bounds.windows(2).map(|w| (w[0], w[1])).collect())
}

/// A reader over `start..end` of a file.
pub fn open_range(spec: &str, start: u64, end: u64) -> Result<impl Read, String> {
    use std::io::{Seek, SeekFrom};
    let mut file = files::open_regular(Path::new(spec)).map_err(|e| format!("{spec}: {e}"))?;
    file.seek(SeekFrom::Start(start))
        .map_err(|e| format!("{spec}: {e}"))?;
    Ok(file.take(end - start))
}

/// A candidate entry: its first physical line and what continues it.
#[derive(Debug)]
pub struct RawEntry {
    pub line: u64,
    pub end_line: u64,
    pub first: String,
    pub continuation: Vec<String>,
}

/// Streams candidate entries out of a reader in bounded memory.
pub struct Scanner<R: Read> {
    reader: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Inside a line longer than the buffer: drop bytes up to its newline.
    skipping: bool,
    /// Lines seen so far (the number of the last complete line).
    pub lines: u64,
    pub bytes: u64,
    /// Offsets in the input below this are searched thoroughly.
    thorough_until: u64,
}

impl<R: Read> Scanner<R> {
    /// A scanner that searches the first [`THOROUGH_BYTES`] thoroughly.
    pub fn new(reader: R) -> Self {
        Self::with_thorough(reader, THOROUGH_BYTES)
    }

    /// A scanner that searches the first `bytes` of its input thoroughly (0
    /// for a part that starts in the middle of a large file).
    pub fn with_thorough(reader: R, bytes: u64) -> Self {
        Self {
            reader,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            eof: false,
            skipping: false,
            lines: 0,
            bytes: 0,
            thorough_until: bytes,
        }
    }

    /// Whether the buffer from `at` on lies in the thorough part of the input.
    fn thorough_at(&self, at: usize) -> bool {
        // The input offset of buffer index `at`.
        let offset = self.bytes.saturating_sub((self.end - at) as u64);
        offset < self.thorough_until
    }

    /// Reads more; false at end of input.
    fn fill(&mut self) -> io::Result<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // A line longer than the buffer: keep its start as a truncated line.
            self.long_line();
        }
        loop {
            let old_end = self.end;
            match self.reader.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(self.start < self.end);
                }
                Ok(n) => {
                    self.bytes += n as u64;
                    self.end += n;
                    if self.skipping && !self.drop_long_tail(old_end) {
                        continue;
                    }
                    return Ok(true);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // What was read so far is still scanned.
                    self.eof = true;
                    return Err(e);
                }
            }
        }
    }

    /// The buffer holds one line with no newline: cut it at MAX_LINE and end it
    /// there; the rest of it is dropped as it arrives.
    fn long_line(&mut self) {
        let cut = MAX_LINE.min(self.end);
        self.buf[cut] = b'\n';
        self.end = cut + 1;
        self.skipping = true;
    }

    /// Drops newly read bytes (from `from`) up to and including the newline that
    /// ends an over-long line. False when all of them were dropped.
    fn drop_long_tail(&mut self, from: usize) -> bool {
        match memchr::memchr(b'\n', &self.buf[from..self.end]) {
            Some(nl) => {
                self.buf.copy_within(from + nl + 1..self.end, from);
                self.end -= nl + 1;
                self.skipping = false;
                self.end > from
            }
            None => {
                self.end = from;
                false
            }
        }
    }

    /// End of the complete lines in the buffer (after the last newline), or
    /// the end of input.
    fn complete_end(&self) -> usize {
        match memchr::memrchr(b'\n', &self.buf[self.start..self.end]) {
            Some(nl) => self.start + nl + 1,
            None if self.eof => self.end,
            None => self.start,
        }
    }

    /// The next candidate entry, or None at the end of the input.
    pub fn next_entry(&mut self, matcher: &impl Prefilter) -> io::Result<Option<RawEntry>> {
        loop {
            let complete = self.complete_end();
            let thorough = self.thorough_at(self.start);
            let found = matcher.next_candidate(&self.buf[..complete], self.start, thorough);
            let Some(hit) = found else {
                self.lines += count_lines(&self.buf[self.start..complete]);
                self.start = complete;
                if !self.fill()? && self.start >= self.end {
                    return Ok(None);
                }
                continue;
            };
            let line_start = memchr::memrchr(b'\n', &self.buf[self.start..hit])
                .map_or(self.start, |nl| self.start + nl + 1);
            self.lines += count_lines(&self.buf[self.start..line_start]);
            let first = self.take_line(line_start, complete);
            let mut entry = RawEntry {
                line: self.lines,
                end_line: self.lines,
                first,
                continuation: Vec::new(),
            };
            self.take_continuation(&mut entry)?;
            return Ok(Some(entry));
        }
    }

    /// Takes the line at `at` (a line start before `complete`), counting it.
    fn take_line(&mut self, at: usize, complete: usize) -> String {
        let end = memchr::memchr(b'\n', &self.buf[at..complete]).map_or(complete, |nl| at + nl);
        let mut text = &self.buf[at..end];
        if let Some(stripped) = text.strip_suffix(b"\r") {
            text = stripped;
        }
        let text = &text[..text.len().min(MAX_LINE)];
        self.start = (end + 1).min(self.end);
        self.lines += 1;
        to_text(text)
    }

    /// Appends the lines that continue the entry (raw child output, PHP
    /// messages and tracebacks split over lines, nginx stderr with raw newlines).
    fn take_continuation(&mut self, entry: &mut RawEntry) -> io::Result<()> {
        let open_quote = opens_quote(&entry.first) || opens_config_error(&entry.first);
        while entry.continuation.len() < MAX_CONTINUATION {
            let mut complete = self.complete_end();
            if self.start >= complete {
                if !self.fill()? {
                    return Ok(());
                }
                complete = self.complete_end();
                if self.start >= complete {
                    return Ok(());
                }
            }
            let end = memchr::memchr(b'\n', &self.buf[self.start..complete])
                .map_or(complete, |nl| self.start + nl);
            if !may_continue(open_quote, &self.buf[self.start..end]) {
                return Ok(());
            }
            let line = String::from_utf8_lossy(&self.buf[self.start..end]);
            if !continues(&entry.first, entry.continuation.last(), &line) {
                return Ok(());
            }
            let text = self.take_line(self.start, complete);
            entry.continuation.push(text);
            entry.end_line = self.lines;
        }
        Ok(())
    }
}

/// UTF-8 text of a line; invalid sequences become U+FFFD. Valid text (nearly
/// every line) takes the fast path.
fn to_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    memchr::memchr_iter(b'\n', bytes).count() as u64
}

/// A cheap first look at the line after an entry: most lines start a new
/// entry with a digit or a bracket.
fn may_continue(open_quote: bool, line: &[u8]) -> bool {
    match line.first() {
        None => false,
        Some(b'[') | Some(b'0'..=b'9') => open_quote,
        Some(_) => true,
    }
}

/// Whether `line` continues the entry that starts with `first`. Called for
/// the line after every candidate, so the cheap tests come first.
pub fn continues(first: &str, previous: Option<&String>, line: &str) -> bool {
    let trimmed = line.trim_end_matches('\r');
    if trimmed.trim().is_empty() {
        return false;
    }
    // nginx keeps raw newlines of relayed stderr inside the quoted message.
    let open_quote = opens_quote(first) && !previous.is_some_and(|p| p.contains("\" while "));
    // apachectl and `systemctl status` print a directive's error on the line
    // after the one that names the file and line.
    let config_error = opens_config_error(first) && previous.is_none();
    let starts = |p: &str| trimmed.starts_with(p);
    let looks_continued = open_quote
        || config_error
        || starts(" ")
        || starts("\t")
        || starts("PHP message: ")
        || starts("PHP ")
        || starts("Traceback (")
        || starts("Stack trace:")
        || (starts("#") && trimmed[1..].starts_with(|c: char| c.is_ascii_digit()))
        || python_exception_line(trimmed);
    // A line that starts an entry of its own has an envelope with a time or a
    // level; nginx's request context alone (the end of a relayed message) does not.
    looks_continued && {
        let env = envelope::parse(trimmed);
        !(env.recognised && (env.timestamp.is_some() || env.level.is_some()))
    }
}

/// nginx relayed stderr whose quoted text goes on past the end of the line.
fn opens_quote(first: &str) -> bool {
    let Some(at) = finder!(b"FastCGI sent in stderr: \"").find(first.as_bytes()) else {
        return false;
    };
    let rest = first[at + 25..].trim_end();
    let closed = rest.contains("\" while ") || (rest.len() > 1 && rest.ends_with('"'));
    !closed
}

/// `AH00526: Syntax error on line 41 of /etc/apache2/conf-enabled/app.conf:`,
/// whose next line is the directive's error.
fn opens_config_error(first: &str) -> bool {
    first.trim_end().ends_with(':')
        && finder!(b"Syntax error on line ")
            .find(first.as_bytes())
            .is_some()
}

/// `RuntimeError: boom`, the last line of a traceback.
fn python_exception_line(line: &str) -> bool {
    let Some((name, _)) = line.split_once(": ") else {
        return false;
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
        && (name.ends_with("Error") || name.ends_with("Exception"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::logs::pattern::Matcher;

    fn entries(input: &[u8]) -> (Vec<RawEntry>, u64) {
        let mut s = Scanner::new(input);
        let mut out = Vec::new();
        while let Some(e) = s.next_entry(Matcher::get()).unwrap() {
            out.push(e);
        }
        (out, s.lines)
    }

    #[test]
    fn finds_candidates_with_line_numbers_and_counts_every_line() {
        let log = b"noise one\nnoise two\n2024/01/15 03:42:17 [error] 1#1: *5 FastCGI sent in stderr: \"Primary script unknown\" while reading response header from upstream\nnoise\n";
        let (found, lines) = entries(log);
        assert_eq!(lines, 4);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, 3);
        assert_eq!(found[0].end_line, 3);
    }

    #[test]
    fn nginx_stderr_with_raw_newlines_is_one_entry() {
        let log = b"2024/01/15 03:42:17 [error] 1#1: *5 FastCGI sent in stderr: \"PHP message: PHP Warning:  a\nPHP message: PHP Fatal error:  b\nin /x.php on line 3\" while reading response header from upstream, client: 1.2.3.4\nnext\n";
        let (found, lines) = entries(log);
        assert_eq!(lines, 4);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].line, found[0].end_line), (1, 3));
    }

    #[test]
    fn traceback_after_a_fcgid_line_continues_it() {
        let log = b"[Mon Nov 23 07:53:25.1 2026] [fcgid:warn] [pid 1:tid 2] mod_fcgid: stderr: Traceback (most recent call last):\n  File \"/srv/app.fcgi\", line 3, in app\nRuntimeError: boom\n[Mon Nov 23 07:53:26.1 2026] [core:error] [pid 1:tid 2] x\n";
        let (found, _) = entries(log);
        assert_eq!((found[0].line, found[0].end_line), (1, 3));
    }

    #[test]
    fn no_newline_at_the_end_and_crlf() {
        let (found, lines) = entries(b"a\r\nPrimary script unknown\r\nb\r\nPrimary script unknown");
        assert_eq!(lines, 4);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].first, "Primary script unknown");
        assert_eq!(found[1].line, 4);
    }

    #[test]
    fn a_line_longer_than_the_buffer_is_cut_not_kept() {
        let mut log = b"Primary script unknown ".to_vec();
        log.extend(std::iter::repeat_n(b'x', 3 * CHUNK));
        log.extend_from_slice(b"\nsecond\nPrimary script unknown\n");
        let (found, lines) = entries(&log);
        assert_eq!(lines, 3);
        assert_eq!(found.len(), 2);
        assert!(found[0].first.len() <= MAX_LINE);
        assert_eq!(found[1].line, 3);
    }

    #[test]
    fn invalid_utf8_and_nul_bytes_do_not_stop_the_scan() {
        let (found, lines) = entries(b"\xff\xfe\x00 Primary script unknown \xc3\x28\nok\n");
        assert_eq!((found.len(), lines), (1, 2));
        assert!(found[0].first.contains('\u{fffd}'));
    }
}
