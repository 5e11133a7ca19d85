//! Linking a symptom to the cause logged just before it: the "Correlation
//! rules" of the catalogue. A symptom (incomplete headers, AH01079, AH01075,
//! a disabled worker) takes as cause the latest non-symptom problem of the same
//! file with the same process, client or nginx connection, within seconds.

use std::collections::VecDeque;

use crate::core::registry::{Class, Code, Severity};
use crate::sources::logs::envelope::Envelope;
use crate::sources::logs::time::Timestamp;

/// How far back a cause may be.
const WINDOW_SECONDS: i64 = 5;
const WINDOW_LINES: u64 = 10;
const REMEMBERED: usize = 64;
/// Entries looked at for a cause: "logged just before it".
const LOOK_BACK: usize = 16;

/// What a later entry needs to know of an earlier one.
#[derive(Clone, Debug)]
struct Seen {
    line: u64,
    /// The last line of the entry (a traceback spans many).
    end_line: u64,
    /// Seconds since the epoch of the (zone-less) timestamp.
    seconds: Option<i64>,
    pid: Option<u32>,
    connection: Option<u64>,
    /// Hash of the client's host (the port changes per connection).
    client: Option<u64>,
    code: &'static Code,
    symptom: bool,
}

/// The recent entries of one file.
#[derive(Default)]
pub struct Correlator {
    recent: VecDeque<Seen>,
}

/// Whether an entry is a consequence rather than a cause.
pub fn is_symptom(code: &Code, message: &str) -> bool {
    // Apache puts the AH code first in the message; php-fpm's SIGTERM of a
    // worker follows the `execution timed out ... terminating` that sent it,
    // and its `FPM initialization failed` the error that stopped the start.
    code.class == Class::IncompleteHeaders
        || message.contains("exited on signal 15 (SIGTERM)")
        || message.starts_with("FPM initialization failed")
        || [
            "AH01079",
            "AH01075",
            "AH00940",
            "AH00959",
            "no live upstreams",
        ]
        .iter()
        .any(|m| message.starts_with(m))
}

impl Correlator {
    /// Records an entry and returns the line and code of its cause, if it is a
    /// symptom and one was found.
    pub fn observe(
        &mut self,
        line: u64,
        end_line: u64,
        env: &Envelope,
        code: &'static Code,
    ) -> Option<(u64, &'static Code)> {
        let symptom = is_symptom(code, env.message);
        let cause = symptom
            .then(|| {
                self.recent
                    .iter()
                    .rev()
                    .take(LOOK_BACK)
                    .take_while(|s| within_window(s, line, env))
                    .find(|s| {
                        !s.symptom && s.code.severity >= Severity::Warning && related(s, line, env)
                    })
                    .map(|s| (s.line, s.code))
            })
            .flatten();
        if self.recent.len() == REMEMBERED {
            self.recent.pop_front();
        }
        self.recent.push_back(Seen {
            line,
            end_line,
            seconds: env.timestamp.map(seconds),
            pid: env.pid,
            connection: env.connection,
            client: env.client.map(client_key),
            code,
            symptom,
        });
        cause
    }
}

fn seconds(t: Timestamp) -> i64 {
    t.0.and_utc().timestamp()
}

fn within_window(earlier: &Seen, line: u64, env: &Envelope) -> bool {
    match (earlier.seconds, env.timestamp.map(seconds)) {
        (Some(a), Some(b)) => (b - a).abs() <= WINDOW_SECONDS,
        _ => line.saturating_sub(earlier.end_line) <= WINDOW_LINES,
    }
}

fn related(earlier: &Seen, line: u64, env: &Envelope) -> bool {
    // The most precise key both entries have decides.
    if let (Some(a), Some(b)) = (earlier.connection, env.connection) {
        return a == b;
    }
    let same_pid = match (earlier.pid, env.pid) {
        (Some(a), Some(b)) => Some(a == b),
        _ => None,
    };
    let same_client = match (earlier.client, env.client) {
        (Some(a), Some(b)) => Some(a == client_key(b)),
        _ => None,
    };
    match (same_pid, same_client) {
        (Some(false), _) | (_, Some(false)) => false,
        (Some(true), _) | (_, Some(true)) => true,
        (None, None) => line.saturating_sub(earlier.end_line) <= 2,
    }
}

fn client_key(client: &str) -> u64 {
    crate::core::text::fast_hash(0, [client_host(client).as_bytes()])
}

/// `1.2.3.4:5678` and `1.2.3.4` are the same client.
fn client_host(client: &str) -> &str {
    match client.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.ends_with(':') => {
            host
        }
        _ => client,
    }
}

/// Links across files and servers: the web server's symptom (nginx's
/// `upstream timed out`, a reset, `No such file`) and the backend's cause
/// (php-fpm's `execution timed out`, `server reached pm.max_children`, a
/// refused start) are logged in different files. An entry of the web server's
/// that found no cause in its own file takes the backend's problem of another
/// file logged within [`ACROSS_BEFORE`] seconds before it (or a second after:
/// the two clocks tick apart), when what both name agrees (the script); a
/// backend that did not start explains the failures of the hour after.
#[derive(Default)]
pub struct Across {
    backend: Vec<Candidate>,
    /// The backend's start failures, which explain failures for an hour.
    starts: Vec<Candidate>,
    web: Vec<Candidate>,
    /// Entries not kept for want of room.
    pub dropped: u64,
}

/// An entry, as the pass across files sees it.
#[derive(Clone, Debug)]
pub struct Candidate {
    /// Which input (an index the caller keeps).
    pub file: usize,
    pub line: u64,
    pub seconds: i64,
    pub code: &'static Code,
    /// The script's file name, where the entry names one.
    pub script: Option<String>,
}

/// A symptom and its cause in another file.
#[derive(Clone, Debug)]
pub struct Link {
    pub symptom: Candidate,
    pub cause: Candidate,
}

/// Seconds a backend's cause may come before the web server's symptom.
pub const ACROSS_BEFORE: i64 = 5;
/// And after it: the two servers' clocks and buffers.
const ACROSS_AFTER: i64 = 1;
/// A backend that refused to start explains the failures of this long after.
const START_FAILURE_SPAN: i64 = 3600;
/// Entries kept per side: bounded memory on any log.
const ACROSS_MAX: usize = 50_000;

impl Across {
    /// Keeps an entry: `backend` for php-fpm's own log, otherwise the web
    /// server's (only those without a cause in their own file).
    pub fn observe(&mut self, backend: bool, candidate: Candidate) {
        if candidate.code.severity < Severity::Warning {
            return;
        }
        let side = match (backend, candidate.code.class) {
            (true, Class::StartupConfigError) => &mut self.starts,
            (true, _) => &mut self.backend,
            (false, _) => &mut self.web,
        };
        if side.len() < ACROSS_MAX {
            side.push(candidate);
        } else {
            self.dropped += 1;
        }
    }

    /// Takes over what another tally kept: its lines start after
    /// `line_offset` (a later part of a file read in parts) and `file` maps
    /// its input indices to this one's.
    pub fn merge(&mut self, other: Across, line_offset: u64, file: impl Fn(usize) -> usize) {
        for (mine, theirs) in [
            (&mut self.backend, other.backend),
            (&mut self.starts, other.starts),
            (&mut self.web, other.web),
        ] {
            for mut c in theirs {
                if mine.len() == ACROSS_MAX {
                    self.dropped += 1;
                    continue;
                }
                c.line += line_offset;
                c.file = file(c.file);
                mine.push(c);
            }
        }
        self.dropped += other.dropped;
    }

    /// Every web server entry with its backend cause in another file.
    pub fn links(mut self) -> Vec<Link> {
        self.backend.sort_by_key(|c| c.seconds);
        self.starts.sort_by_key(|c| c.seconds);
        let mut links = Vec::new();
        for symptom in self.web {
            let t = symptom.seconds;
            // The causes logged in its window: a few seconds before it for a
            // problem, an hour for a start failure.
            let window = |list: &'_ [Candidate], before: i64| -> std::ops::Range<usize> {
                let from = list.partition_point(|c| c.seconds < t - before);
                let to = list.partition_point(|c| c.seconds <= t + ACROSS_AFTER);
                from..to.max(from)
            };
            let fits = |c: &&Candidate| c.file != symptom.file && explains(c, &symptom);
            let near = &self.backend[window(&self.backend, ACROSS_BEFORE)];
            let starts = &self.starts[window(&self.starts, START_FAILURE_SPAN)];
            // One that names the same script says the most; else the latest.
            let same_script = near
                .iter()
                .rev()
                .filter(fits)
                .find(|c| c.script.is_some() && c.script == symptom.script);
            let latest = || {
                let a = near.iter().rev().find(fits);
                let b = starts.iter().rev().find(fits);
                match (a, b) {
                    (Some(a), Some(b)) => Some(if a.seconds >= b.seconds { a } else { b }),
                    (a, b) => a.or(b),
                }
            };
            if let Some(cause) = same_script.or_else(latest) {
                links.push(Link {
                    cause: cause.clone(),
                    symptom,
                });
            }
        }
        links
    }
}

/// Whether a backend problem can be why the web server failed: the same script
/// when both name one, and a cause that can produce that kind of failure. A
/// worker that was slow, killed or out of room explains a timeout, a reset or
/// missing headers; a backend that did not start explains only a missing or
/// refused socket; nothing the backend does while running explains a socket
/// the web server may not open or one that is not there.
fn explains(cause: &Candidate, symptom: &Candidate) -> bool {
    if let (Some(a), Some(b)) = (&cause.script, &symptom.script) {
        if a != b {
            return false;
        }
    }
    can_explain(cause.code.class, symptom.code.class)
}

/// The classes of a backend problem that can cause each class of the web
/// server's failure.
fn can_explain(cause: Class, symptom: Class) -> bool {
    use Class::*;
    let runtime = matches!(
        cause,
        Timeout | CapacityExhaustion | AppCrashed | AppStderr | RequestLimit | InternalError
    );
    match symptom {
        SocketMissingOrRefused => cause == StartupConfigError,
        ScriptNotFound => matches!(cause, ScriptNotFound | PermissionDenied),
        Timeout | AppCrashed | IncompleteHeaders | ProtocolError | InternalError
        | CapacityExhaustion => runtime,
        _ => false,
    }
}

/// The file name of a script path or request path (`/srv/www/slow.php` and
/// `/slow.php` are the same script to both servers).
pub fn script_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Seconds since the epoch of a (zone-less, local) timestamp.
pub fn epoch_seconds(t: Timestamp) -> i64 {
    seconds(t)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::{codes, lookup};
    use crate::sources::logs::envelope::parse;

    #[test]
    fn chain_leads_to_the_connect_error() {
        let mut c = Correlator::default();
        let a = parse("[Mon Nov 23 07:53:25.1 2026] [proxy:error] [pid 7:tid 8] (2)No such file or directory: AH02454: FCGI: attempt to connect to Unix domain socket /run/x.sock (*) failed");
        let b = parse("[Mon Nov 23 07:53:25.1 2026] [proxy_fcgi:error] [pid 7:tid 8] [client 1.2.3.4:5] AH01079: failed to make connection to backend: httpd-UDS");
        assert!(c.observe(10, 10, &a, &codes::LOG_CONNECT_MISSING).is_none());
        let symptom = lookup("FD2001").unwrap();
        assert_eq!(
            c.observe(11, 11, &b, symptom).map(|(line, _)| line),
            Some(10)
        );
    }

    #[test]
    fn other_process_or_too_late_is_not_a_cause() {
        let mut c = Correlator::default();
        let a = parse("[Mon Nov 23 07:53:25.1 2026] [proxy:error] [pid 7:tid 8] (2)No such file or directory: AH02454: x");
        let other_pid = parse("[Mon Nov 23 07:53:25.1 2026] [proxy_fcgi:error] [pid 9:tid 8] AH01079: failed to make connection to backend: httpd-UDS");
        let late = parse("[Mon Nov 23 07:54:25.1 2026] [proxy_fcgi:error] [pid 7:tid 8] AH01079: failed to make connection to backend: httpd-UDS");
        c.observe(1, 1, &a, &codes::LOG_CONNECT_MISSING);
        assert!(c
            .observe(2, 2, &other_pid, &codes::LOG_CONNECT_MISSING)
            .is_none());
        assert!(c
            .observe(3, 3, &late, &codes::LOG_CONNECT_MISSING)
            .is_none());
    }

    #[test]
    fn a_backend_timeout_explains_the_web_servers_reset_in_another_file() {
        let fpm_timeout = lookup("FD2189").unwrap();
        let mut across = Across::default();
        let cand = |file, line, seconds, code, script: Option<&str>| Candidate {
            file,
            line,
            seconds,
            code,
            script: script.map(str::to_string),
        };
        across.observe(true, cand(1, 7, 100, fpm_timeout, Some("slow.php")));
        across.observe(
            false,
            cand(0, 3, 101, &codes::LOG_BACKEND_RESET, Some("slow.php")),
        );
        across.observe(
            false,
            cand(0, 4, 101, &codes::LOG_BACKEND_RESET, Some("other.php")),
        );
        across.observe(
            false,
            cand(0, 5, 120, &codes::LOG_BACKEND_RESET, Some("slow.php")),
        );
        let links = across.links();
        assert_eq!(links.len(), 1, "{links:?}");
        assert_eq!((links[0].symptom.line, links[0].cause.line), (3, 7));
    }

    #[test]
    fn a_backend_problem_explains_only_failures_it_can_cause() {
        let fatal = lookup("FD2056").unwrap(); // max_execution_time exceeded
        let full = lookup("FD2236").unwrap(); // pm.max_children reached
        let refused_start = lookup("FD2311").unwrap(); // cannot bind
        let cand = |file, line, code| Candidate {
            file,
            line,
            seconds: 100,
            code,
            script: None,
        };
        let mut across = Across::default();
        across.observe(true, cand(1, 1, fatal));
        across.observe(true, cand(1, 2, full));
        across.observe(true, cand(1, 3, refused_start));
        // A socket the web user may not open and one that is not there.
        across.observe(false, cand(0, 10, &codes::LOG_CONNECT_PERMISSION));
        across.observe(false, cand(0, 11, &codes::LOG_CONNECT_MISSING));
        across.observe(false, cand(0, 12, &codes::LOG_BACKEND_RESET));
        let links: Vec<_> = across
            .links()
            .iter()
            .map(|l| (l.symptom.line, l.cause.line))
            .collect();
        assert_eq!(links, [(11, 3), (12, 2)]);
    }
}
