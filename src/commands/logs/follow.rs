//! `logs --follow`: like `tail -F`, keep reading files as they grow, across
//! rotation by rename and by truncation, and print each problem as it happens.
//! Polling, not inotify: it works the same on every filesystem and in
//! containers, and a log line a fifth of a second late is soon enough.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::{
    entry_report, outcome, EntryReport, EntrySink, InputReport, LogsSettings, Summary, Tally,
};
use crate::checks::logs::correlate::Correlator;
use crate::checks::logs::pattern::Matcher;
use crate::core::error::{Error, Result};
use crate::core::outcome::Outcome;
use crate::sources::files;
use crate::sources::host::Host;
use crate::sources::logs::input::Scanner;

const POLL: Duration = Duration::from_millis(200);
/// Bytes read per poll and file; the rest waits for the next poll.
const MAX_READ: usize = 8 << 20;

static STOP: AtomicBool = AtomicBool::new(false);

extern "C" fn request_stop(_: nix::libc::c_int) {
    STOP.store(true, Ordering::SeqCst);
}

/// One followed file.
struct Followed {
    path: PathBuf,
    name: String,
    file: Option<File>,
    inode: u64,
    pos: u64,
    lines: u64,
    partial: Vec<u8>,
    correlator: Correlator,
    vanished: bool,
}

impl Followed {
    fn open(name: &str) -> Result<Self, String> {
        let path = PathBuf::from(name);
        if path.is_dir() {
            return Err(format!("{name} is a directory: name the log files in it"));
        }
        // Only a regular file can be followed: a FIFO or device is read
        // with `-` (`fcgi-doctor logs --follow - < FIFO`).
        let mut file = files::open_regular(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::InvalidInput => {
                format!(
                    "{name} is not a regular file: only files can be followed (a pipe: --follow -)"
                )
            }
            _ => format!("{name}: {e}"),
        })?;
        let meta = file.metadata().map_err(|e| format!("{name}: {e}"))?;
        // Line numbers stay true: count what is already there, then start at the end.
        let mut lines = 0u64;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(|e| format!("{name}: {e}"))?;
            if n == 0 {
                break;
            }
            lines += memchr::memchr_iter(b'\n', &buf[..n]).count() as u64;
        }
        let pos = file.stream_position().map_err(|e| format!("{name}: {e}"))?;
        Ok(Self {
            path,
            name: name.to_string(),
            file: Some(file),
            inode: meta.ino(),
            pos,
            lines,
            partial: Vec::new(),
            correlator: Correlator::default(),
            vanished: false,
        })
    }

    /// Reads what was appended and returns the classified entries; what
    /// happened to the file (rotated, truncated, gone) is told to `notice`.
    fn poll(&mut self, notice: &mut dyn FnMut(&str)) -> Vec<EntryReport> {
        let mut found = self.read_new();
        match std::fs::metadata(&self.path) {
            Err(_) => {
                if !self.vanished {
                    self.vanished = true;
                    notice(&format!(
                        "{} vanished; waiting for it to come back",
                        self.name
                    ));
                }
            }
            Ok(meta) if meta.ino() != self.inode => {
                // Rotated by rename: the old handle was drained above.
                if let Ok(file) = files::open_regular(&self.path) {
                    notice(&format!(
                        "{} was replaced; following the new file",
                        self.name
                    ));
                    self.reset(file, meta.ino());
                    found.extend(self.read_new());
                }
            }
            Ok(meta) if meta.len() < self.pos => {
                notice(&format!(
                    "{} was truncated; reading from its start",
                    self.name
                ));
                if let Some(file) = self.file.as_mut() {
                    let _ = file.seek(SeekFrom::Start(0));
                }
                self.pos = 0;
                self.lines = 0;
                self.partial.clear();
                found.extend(self.read_new());
            }
            Ok(_) => {
                if self.vanished {
                    self.vanished = false;
                }
            }
        }
        found
    }

    fn reset(&mut self, file: File, inode: u64) {
        self.file = Some(file);
        self.inode = inode;
        self.pos = 0;
        self.lines = 0;
        self.partial.clear();
        self.vanished = false;
    }

    fn read_new(&mut self) -> Vec<EntryReport> {
        let Some(file) = self.file.as_mut() else {
            return Vec::new();
        };
        let mut chunk = Vec::new();
        let _ = file.take(MAX_READ as u64).read_to_end(&mut chunk);
        self.pos += chunk.len() as u64;
        if chunk.is_empty() {
            return Vec::new();
        }
        self.partial.extend_from_slice(&chunk);
        let Some(last_nl) = memchr::memrchr(b'\n', &self.partial) else {
            if self.partial.len() > super::input::MAX_LINE {
                self.partial.clear();
            }
            return Vec::new();
        };
        let complete: Vec<u8> = self.partial.drain(..=last_nl).collect();
        let base = self.lines;
        let mut scanner = Scanner::new(&complete[..]);
        let mut out = Vec::new();
        while let Ok(Some(mut raw)) = scanner.next_entry(Matcher::get()) {
            raw.line += base;
            raw.end_line += base;
            if let Some(e) = entry_report(&self.name, &raw, &mut self.correlator) {
                out.push(e);
            }
        }
        self.lines = base + scanner.lines;
        out
    }
}

/// Follows every input until SIGINT or SIGTERM, handing each entry to
/// `on_entry` as it happens; the outcome counts every entry handed over, so
/// its status is the worst severity printed. A file that cannot be opened is a
/// usage error; output that cannot be written (a closed pipe) ends the run.
pub fn run(
    settings: &LogsSettings,
    host: &Host,
    on_entry: &mut EntrySink<'_>,
    notice: &mut dyn FnMut(&str),
) -> Result<Outcome<Summary>> {
    let mut files = Vec::new();
    for name in &settings.inputs {
        if name == "-" {
            return Err(Error::usage("--follow needs files, not standard input"));
        }
        files.push(Followed::open(name).map_err(Error::Usage)?);
    }
    install_stop_handler();
    let mut tally = Tally::default();
    while !STOP.load(Ordering::SeqCst) {
        for f in &mut files {
            for e in f.poll(notice) {
                if e.severity < settings.min_severity {
                    continue;
                }
                tally.record(&e);
                on_entry(&e)?;
            }
        }
        std::thread::sleep(POLL);
    }
    let inputs = files
        .iter()
        .map(|f| InputReport {
            file: f.name.clone(),
            lines: f.lines,
            ..InputReport::default()
        })
        .collect();
    let mut summary = tally.into_summary(inputs);
    summary.verbose = settings.verbose;
    summary.show_timeline = settings.timeline;
    Ok(outcome(summary, host))
}

fn install_stop_handler() {
    use nix::sys::signal::{sigaction, SaFlags, SigAction, SigHandler, SigSet, Signal};
    let action = SigAction::new(
        SigHandler::Handler(request_stop),
        SaFlags::empty(),
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM] {
        // Only an atomic store happens in the handler, which is async-signal-safe.
        unsafe {
            let _ = sigaction(signal, &action);
        }
    }
}
