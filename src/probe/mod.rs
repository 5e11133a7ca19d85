//! `fcgi-doctor probe`: connect, ask FCGI_GET_VALUES, send one Responder request,
//! and diagnose every way that fails.

pub mod cgi;
pub mod connect;
pub mod diagnose;
pub mod exchange;
mod render;
pub mod sniff;
pub mod target;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::fcgi::{self, RecordType, Role};
use crate::finding::Finding;
use crate::registry::codes;
use crate::settings::{ProbeSettings, UsageError};
use diagnose::{Expectations, ResponseReport};
use exchange::{ValuesOutcome, REQUEST_ID};

/// Longest time FCGI_GET_VALUES may take; it must leave time for the request.
const GET_VALUES_BUDGET: Duration = Duration::from_secs(1);
/// Least time to wait for the reset that says a peer closed before the request
/// reached it (twice the connect time when that is longer: one round trip).
const RESET_GRACE: Duration = Duration::from_millis(10);

/// The probe's own data, beside the common JSON keys.
#[derive(Debug, Serialize)]
pub struct ProbeReport {
    pub target: String,
    /// The address that answered (a name may resolve to several).
    pub peer: Option<String>,
    /// Connections opened: 1 when the request followed FCGI_GET_VALUES on its
    /// connection, 2 when the backend closed that one, 0 when none was made.
    pub connections: u32,
    pub timings_ms: Timings,
    /// The FCGI_GET_VALUES answer, or null.
    pub values: Option<BTreeMap<String, String>>,
    pub request: RequestReport,
    pub response: Option<ResponseReport>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
}

/// Phase durations in milliseconds; null for a phase that did not happen.
#[derive(Debug, Default, Serialize)]
pub struct Timings {
    /// Establishing the first connection.
    pub connect: Option<f64>,
    /// The FCGI_GET_VALUES round trip.
    pub get_values: Option<f64>,
    /// From sending the request to the first byte of the answer.
    pub first_byte: Option<f64>,
    /// The whole probe.
    pub total: f64,
}

#[derive(Debug, Serialize)]
pub struct RequestReport {
    #[serde(serialize_with = "pairs_as_object")]
    pub params: Vec<(String, String)>,
    pub body_bytes: usize,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Runs the probe: one connection at a time, each wait bounded by poll(2).
pub fn run(settings: &ProbeSettings) -> Result<ProbeReport, UsageError> {
    if let Some(user) = &settings.as_user {
        become_user(user)?;
    }
    Ok(probe(settings))
}

fn probe(settings: &ProbeSettings) -> ProbeReport {
    let started = Instant::now();
    let deadline = started + settings.timeout;
    let subject = settings.target.to_string();
    let mut report = ProbeReport {
        target: subject.clone(),
        peer: None,
        connections: 0,
        timings_ms: Timings::default(),
        values: None,
        request: RequestReport {
            params: settings.request.params.clone(),
            body_bytes: settings.request.body.len(),
        },
        response: None,
        findings: Vec::new(),
    };
    let request = encode_request(settings);
    let finish = |mut report: ProbeReport| {
        report.timings_ms.total = ms(started.elapsed());
        report
    };

    let Some(mut conn) = open(settings, deadline, &mut report) else {
        return finish(report);
    };
    let connected = started.elapsed();
    report.timings_ms.connect = Some(ms(connected));
    report.peer = Some(conn.peer.clone());

    // The request follows on the connection that answered FCGI_GET_VALUES,
    // as the spec allows and php-fpm (since PHP bug #76922 was fixed in 2023;
    // 8.2.31 here) and flup serve it: one connection, one worker woken. Older
    // php-fpm closes that connection after its answer; the request then takes
    // a new one.
    let mut reused = false;
    if settings.get_values {
        let values_started = Instant::now();
        let budget = deadline.min(values_started + GET_VALUES_BUDGET.min(settings.timeout / 2));
        let answer = exchange::get_values(&mut *conn.stream, budget);
        report.timings_ms.get_values = Some(ms(values_started.elapsed()));
        match answer.outcome {
            ValuesOutcome::Values(pairs) => report.values = Some(pairs.into_iter().collect()),
            ValuesOutcome::Rejected => report.findings.push(Finding::new(
                &codes::GET_VALUES_REJECTED,
                &subject,
                "the backend answered FCGI_UNKNOWN_TYPE",
            )),
            ValuesOutcome::NoAnswer(why) => {
                report
                    .findings
                    .push(Finding::new(&codes::GET_VALUES_UNANSWERED, &subject, why))
            }
        }
        reused = answer.reusable && connect::quiet(conn.stream.as_fd());
        if !reused {
            let Some(fresh) = open(settings, deadline, &mut report) else {
                return finish(report);
            };
            conn = fresh;
        }
    }

    let mut ex = exchange::run(&mut *conn.stream, &request, deadline, settings.max_body);
    // The closing of an old php-fpm can cross the request: if the request was
    // provably never read, it is sent once more on a new connection.
    if reused {
        let reset_wait = deadline.min(Instant::now() + RESET_GRACE.max(connected * 2));
        if exchange::left_unread(&ex, &*conn.stream, reset_wait) {
            let Some(mut fresh) = open(settings, deadline, &mut report) else {
                return finish(report);
            };
            ex = exchange::run(&mut *fresh.stream, &request, deadline, settings.max_body);
        }
    }
    report.timings_ms.first_byte = ex.first_byte.map(ms);
    let expect = Expectations {
        status: settings.expect_status.as_ref(),
        body: settings.expect_body.as_ref(),
        script_chosen: settings.request.script_chosen,
        fpm_ping: settings.request.fpm_ping,
        script_filename: settings
            .request
            .params
            .iter()
            .find(|(name, _)| name == "SCRIPT_FILENAME")
            .map(|(_, value)| value.as_str()),
    };
    let (findings, response) = diagnose::diagnose(&ex, &expect, &subject);
    report.findings.extend(findings);
    report.response = response;
    finish(report)
}

/// Opens one more connection and counts it; a failure becomes the report's
/// finding.
fn open(
    settings: &ProbeSettings,
    deadline: Instant,
    report: &mut ProbeReport,
) -> Option<connect::Connection> {
    match connect::connect(&settings.target, settings.connect_timeout, deadline) {
        Ok(conn) => {
            report.connections += 1;
            Some(conn)
        }
        Err(finding) => {
            report.findings.push(*finding);
            None
        }
    }
}

/// BEGIN_REQUEST (Responder, no KEEP_CONN: the probe closes), PARAMS, STDIN.
fn encode_request(settings: &ProbeSettings) -> Vec<u8> {
    let mut out = Vec::new();
    fcgi::encode_begin_request(&mut out, REQUEST_ID, Role::Responder, 0);
    // Parameter values were checked for NULs and the body bounded, so the only
    // encode error (a length over 2^31) cannot happen.
    let params = fcgi::encode_pairs(&settings.request.params).expect("params fit 2^31 bytes");
    fcgi::encode_stream(&mut out, RecordType::Params, REQUEST_ID, &params);
    fcgi::encode_stream(
        &mut out,
        RecordType::Stdin,
        REQUEST_ID,
        &settings.request.body,
    );
    out
}

/// Drops root for the whole process, as the web server's workers do, so the
/// connect is checked by the kernel exactly as it checks theirs.
fn become_user(name: &str) -> Result<(), UsageError> {
    use nix::unistd;
    if !unistd::geteuid().is_root() {
        return Err(UsageError(format!(
            "--as-user {name} needs root (running as {})",
            crate::access::user_name(unistd::geteuid().as_raw())
        )));
    }
    let user = crate::nss::user_by_name(name)
        .map_err(|e| {
            UsageError(format!(
                "--as-user {name}: cannot read the user database: {e}"
            ))
        })?
        .ok_or_else(|| UsageError(format!("--as-user {name}: no such user")))?;
    let cname = std::ffi::CString::new(name)
        .map_err(|_| UsageError("--as-user: the name contains a NUL byte".into()))?;
    unistd::initgroups(&cname, user.gid)
        .and_then(|()| unistd::setgid(user.gid))
        .and_then(|()| unistd::setuid(user.uid))
        .map_err(|e| UsageError(format!("--as-user {name}: cannot switch user: {e}")))
}

pub use render::render_human;

/// Writes name-value pairs as a JSON object in their original order (parameter
/// names are unique once `--param` overrides are applied).
fn pairs_as_object<S: serde::Serializer>(
    pairs: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (name, value) in pairs {
        map.serialize_entry(name, value)?;
    }
    map.end()
}
