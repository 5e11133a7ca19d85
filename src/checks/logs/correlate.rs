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
    // Apache puts the AH code first in the message.
    code.class == Class::IncompleteHeaders
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
        _ => line.saturating_sub(earlier.line) <= WINDOW_LINES,
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
        (None, None) => line.saturating_sub(earlier.line) <= 2,
    }
}

fn client_key(client: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    client_host(client).hash(&mut h);
    h.finish()
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
        assert!(c.observe(10, &a, &codes::LOG_CONNECT_MISSING).is_none());
        let symptom = lookup("FD2001").unwrap();
        assert_eq!(c.observe(11, &b, symptom).map(|(line, _)| line), Some(10));
    }

    #[test]
    fn other_process_or_too_late_is_not_a_cause() {
        let mut c = Correlator::default();
        let a = parse("[Mon Nov 23 07:53:25.1 2026] [proxy:error] [pid 7:tid 8] (2)No such file or directory: AH02454: x");
        let other_pid = parse("[Mon Nov 23 07:53:25.1 2026] [proxy_fcgi:error] [pid 9:tid 8] AH01079: failed to make connection to backend: httpd-UDS");
        let late = parse("[Mon Nov 23 07:54:25.1 2026] [proxy_fcgi:error] [pid 7:tid 8] AH01079: failed to make connection to backend: httpd-UDS");
        c.observe(1, &a, &codes::LOG_CONNECT_MISSING);
        assert!(c
            .observe(2, &other_pid, &codes::LOG_CONNECT_MISSING)
            .is_none());
        assert!(c.observe(3, &late, &codes::LOG_CONNECT_MISSING).is_none());
    }
}
