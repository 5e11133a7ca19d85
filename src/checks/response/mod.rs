//! Turning what one FastCGI exchange saw into findings and the `response`
//! report (`probe`). Pure: no I/O, so every diagnosis is unit-tested on
//! hand-made exchanges.

pub mod cgi;
pub mod sniff;

use std::ops::RangeInclusive;

use regex::bytes::Regex;
use serde::Serialize;

use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::core::sanitize;
use crate::fcgi::ProtocolStatus;
use crate::net::exchange::{Exchange, Outcome};
use cgi::CgiError;

/// What the response body must look like.
///
/// A `--expect-body` regex runs on the raw body bytes in ASCII mode: `.` is any
/// byte, `\w`, `\d` and `(?i)` are ASCII, and a non-ASCII literal matches its
/// UTF-8 bytes. Bodies need not be UTF-8, and Unicode case tables would cost
/// every start of the binary (BENCHMARKS.md).
#[derive(Debug)]
pub enum BodyMatch {
    Regex(Regex),
    Prefix(&'static str),
}

impl BodyMatch {
    pub fn matches(&self, body: &[u8]) -> bool {
        match self {
            BodyMatch::Regex(re) => re.is_match(body),
            BodyMatch::Prefix(prefix) => body.starts_with(prefix.as_bytes()),
        }
    }
}

impl std::fmt::Display for BodyMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyMatch::Regex(re) => write!(f, "/{}/", re.as_str()),
            BodyMatch::Prefix(prefix) => write!(f, "\"{prefix}\" at the start"),
        }
    }
}

/// Bytes of the body shown in the preview.
const PREVIEW_LEN: usize = 512;

/// What the response must look like.
#[derive(Debug, Default)]
pub struct Expectations<'a> {
    pub status: Option<&'a RangeInclusive<u16>>,
    pub body: Option<&'a BodyMatch>,
    /// False when the probe chose the (harmless, missing) script itself.
    pub script_chosen: bool,
    pub fpm_ping: bool,
    /// `--fpm-status`: the path asked is php-fpm's status page.
    pub fpm_status: bool,
    /// The SCRIPT_FILENAME sent, to name it in findings.
    pub script_filename: Option<&'a str>,
}

/// The `response` object of the JSON output.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ResponseReport {
    /// CGI status; null when the header block could not be read.
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub body_bytes: u64,
    pub body_preview: String,
    /// True when the body was larger than --max-body and only counted.
    pub body_truncated: bool,
    pub stderr: String,
    pub stderr_bytes: u64,
    /// From FCGI_END_REQUEST; null when it never came.
    pub app_status: Option<u32>,
    pub protocol_status: Option<String>,
}

/// Findings about one exchange, and the response report when any record came.
pub fn diagnose(
    ex: &Exchange,
    expect: &Expectations,
    subject: &str,
) -> (Vec<Finding>, Option<ResponseReport>) {
    let mut findings = Vec::new();
    let parsed = cgi::parse(&ex.stdout.kept);
    let end = match &ex.outcome {
        Outcome::Completed(end) => Some(*end),
        _ => None,
    };
    let stderr_text = String::from_utf8_lossy(&ex.stderr.kept);

    if let Some(finding) = outcome_finding(ex, subject) {
        findings.push(finding);
    }
    let mut stderr_explained = false;
    if let Some(end) = end {
        match end.protocol_status {
            ProtocolStatus::RequestComplete => {
                stderr_explained =
                    response_findings(ex, &parsed, &stderr_text, expect, subject, &mut findings);
            }
            other => findings.push(protocol_status_finding(other, subject)),
        }
        if end.app_status != 0 {
            findings.push(Finding::new(
                &codes::APP_STATUS_NONZERO,
                subject,
                format!("FCGI_END_REQUEST carried appStatus {}", end.app_status),
            ));
        }
    }
    if ex.stderr.total > 0 && !stderr_explained {
        let shown = sanitize::truncate(stderr_text.trim(), 600);
        findings.push(Finding::new(
            &codes::APP_STDERR,
            subject,
            format!(
                "{} bytes on FCGI_STDERR: {}",
                ex.stderr.total,
                sanitize::escape(&shown)
            ),
        ));
    }
    if !ex.unexpected.is_empty() {
        let types: Vec<String> = ex.unexpected.iter().map(|t| t.to_string()).collect();
        findings.push(Finding::new(
            &codes::UNEXPECTED_RECORD,
            subject,
            format!("received {} (skipped)", types.join(", ")),
        ));
    }

    let report = (ex.records > 0).then(|| {
        let (status, headers, body_offset) = match &parsed {
            Ok(r) => (Some(r.status), r.headers.clone(), r.body_offset),
            Err(_) => (None, Vec::new(), 0),
        };
        let body = &ex.stdout.kept[body_offset.min(ex.stdout.kept.len())..];
        let preview = String::from_utf8_lossy(&body[..body.len().min(PREVIEW_LEN)]);
        ResponseReport {
            status,
            headers,
            body_bytes: ex.stdout.total - body_offset as u64,
            body_preview: sanitize::escape_keep_lines(&preview).into_owned(),
            body_truncated: ex.stdout.truncated(),
            stderr: sanitize::escape_keep_lines(&stderr_text).into_owned(),
            stderr_bytes: ex.stderr.total,
            app_status: end.map(|e| e.app_status),
            protocol_status: end.map(|e| e.protocol_status.name()),
        }
    });
    (findings, report)
}

/// The finding for an exchange that did not end with FCGI_END_REQUEST.
fn outcome_finding(ex: &Exchange, subject: &str) -> Option<Finding> {
    let received = ex.bytes_received;
    Some(match &ex.outcome {
        Outcome::Completed(_) => return None,
        Outcome::NotFastCgi { first_bytes } if sniff::is_http(first_bytes) => Finding::new(
            &codes::PEER_SPEAKS_HTTP,
            subject,
            format!("the peer answered {}", sniff::describe(first_bytes)),
        ),
        Outcome::NotFastCgi { first_bytes } => Finding::new(
            &codes::PEER_NOT_FASTCGI,
            subject,
            format!("the answer looks like {}", sniff::describe(first_bytes)),
        ),
        Outcome::TimedOut if received == 0 => Finding::new(
            &codes::NO_FIRST_BYTE,
            subject,
            "the connection was accepted, but no byte came back before the deadline (--timeout)",
        ),
        Outcome::TimedOut => Finding::new(
            &codes::RESPONSE_STALLED,
            subject,
            format!(
                "{received} bytes in {} records arrived, the last {} after the request, but \
                 no FCGI_END_REQUEST before the deadline (--timeout)",
                ex.records,
                ex.last_byte
                    .map_or("-".into(), |d| format!("{:.0} ms", d.as_secs_f64() * 1e3))
            ),
        ),
        // One behaviour, one code: a backend that closed without a byte is
        // told by whether it read the request, not by whether its kernel's FIN
        // or RST arrived first.
        Outcome::Closed { .. } if received == 0 => closed_without_answer(ex, subject),
        Outcome::ReadFailed(e) if received == 0 && ex.left_unread && is_broken(e) => {
            closed_without_answer(ex, subject)
        }
        Outcome::Closed { mid_record: true } => Finding::new(
            &codes::TRUNCATED_RECORD,
            subject,
            format!("the connection closed inside a record after {received} bytes"),
        ),
        Outcome::Closed { mid_record: false } => Finding::new(
            &codes::NO_END_REQUEST,
            subject,
            format!(
                "{} bytes of output and {} of stderr, then the connection closed without \
                 FCGI_END_REQUEST",
                ex.stdout.total, ex.stderr.total
            ),
        ),
        Outcome::ReadFailed(e) => Finding::new(
            &codes::CONNECTION_RESET,
            subject,
            match &ex.write_error {
                Some(w) if received == 0 => {
                    format!("sending the request failed ({w}), then reading failed: {e}")
                }
                _ => format!("reading the answer failed after {received} bytes: {e}"),
            },
        ),
        Outcome::BadVersion(v) => Finding::new(
            &codes::BAD_VERSION,
            subject,
            format!(
                "after {} good records, a record has version {v}",
                ex.records
            ),
        ),
        Outcome::WrongRequestId(id, rtype) => Finding::new(
            &codes::WRONG_REQUEST_ID,
            subject,
            format!("{rtype} arrived for request id {id}; the probe sent request id 1"),
        ),
        Outcome::Malformed(why) => Finding::new(&codes::MALFORMED_RECORD, subject, why.clone()),
    })
}

/// FD1103, saying whether the backend read the request first.
fn closed_without_answer(ex: &Exchange, subject: &str) -> Finding {
    let message = if ex.left_unread {
        let fpm = if subject.starts_with("unix:") {
            ""
        } else {
            ": php-fpm does this to a client its listen.allowed_clients does not list \
             ('Connection disallowed: IP address ... has been dropped' in its log)"
        };
        format!(
            "the backend accepted the connection and closed it without reading the \
             request, or all of it (its kernel then reset the connection){fpm}; an \
             application that exits at once does the same"
        )
    } else {
        "the backend read the request and closed the connection without sending a byte \
         (the \"incomplete headers (0 bytes)\" of Apache's logs): the worker crashed or \
         exited on it"
            .to_string()
    };
    Finding::new(&codes::CLOSED_WITHOUT_RECORD, subject, message)
}

fn is_broken(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::ConnectionReset
    )
}

fn protocol_status_finding(status: ProtocolStatus, subject: &str) -> Finding {
    let code = match status {
        ProtocolStatus::Overloaded => &codes::OVERLOADED,
        ProtocolStatus::CantMpxConn => &codes::CANT_MPX_CONN,
        ProtocolStatus::UnknownRole => &codes::UNKNOWN_ROLE,
        _ => &codes::UNKNOWN_PROTOCOL_STATUS,
    };
    Finding::new(
        code,
        subject,
        format!("FCGI_END_REQUEST with protocolStatus {}", status.name()),
    )
}

/// Findings about a completed request's CGI response. Returns whether the stderr
/// is fully explained by a finding (so it is not reported twice).
fn response_findings(
    ex: &Exchange,
    parsed: &Result<cgi::CgiResponse, CgiError>,
    stderr: &str,
    expect: &Expectations,
    subject: &str,
    findings: &mut Vec<Finding>,
) -> bool {
    if ex.stdout.total == 0 {
        findings.push(Finding::new(
            &codes::EMPTY_RESPONSE,
            subject,
            "FCGI_END_REQUEST arrived without any FCGI_STDOUT: no headers, no body",
        ));
        return false;
    }
    let response = match parsed {
        Ok(r) => r,
        Err(CgiError::NoHeaderEnd) => {
            let start = String::from_utf8_lossy(&ex.stdout.kept[..ex.stdout.kept.len().min(60)]);
            findings.push(Finding::new(
                &codes::NO_CGI_HEADERS,
                subject,
                format!(
                    "{} bytes of output without the empty line that ends the headers; it starts \"{}\"",
                    ex.stdout.total,
                    sanitize::escape(&start)
                ),
            ));
            return false;
        }
        Err(CgiError::MalformedLine(line)) => {
            findings.push(Finding::new(
                &codes::MALFORMED_CGI_HEADER,
                subject,
                format!(
                    "header line \"{}\" is not 'Name: value'",
                    sanitize::escape(line)
                ),
            ));
            return false;
        }
        Err(CgiError::BadStatus(value)) => {
            findings.push(Finding::new(
                &codes::MALFORMED_CGI_HEADER,
                subject,
                format!(
                    "\"Status: {}\" has no three-digit code",
                    sanitize::escape(value)
                ),
            ));
            return false;
        }
    };
    let status = response.status;
    let body = &ex.stdout.kept[response.body_offset.min(ex.stdout.kept.len())..];
    let body_text = String::from_utf8_lossy(body);
    if expect.status.is_some_and(|r| r.contains(&status)) {
        check_body(expect, body, subject, findings);
        return false;
    }
    // php-fpm's own answers, recognised by their stderr and body (fpm_main.c).
    let script_unknown = status == 404
        && (stderr.contains("Primary script unknown")
            || body_text.starts_with("No input file specified"));
    if script_unknown {
        if !expect.script_chosen {
            findings.push(Finding::new(
                &codes::DEFAULT_SCRIPT_UNKNOWN,
                subject,
                "404 \"Primary script unknown\" for the probe's placeholder script: a worker answered",
            ));
        } else if expect.fpm_status {
            findings.push(
                Finding::new(
                    &codes::PRIMARY_SCRIPT_UNKNOWN,
                    subject,
                    "404 \"Primary script unknown\" for the status path: php-fpm does not treat \
                     it as its status page, so pm.status_path is unset or differs in this pool",
                )
                .with_fix(
                    "Set 'pm.status_path = /status' in the pool and reload php-fpm (keep it \
                     away from the web: allow it only from localhost in the web server, or \
                     use pm.status_listen for a socket of its own), or pass the configured \
                     path: --fpm-status /fpm-status.",
                ),
            );
        } else if expect.fpm_ping {
            findings.push(
                Finding::new(
                    &codes::PRIMARY_SCRIPT_UNKNOWN,
                    subject,
                    "404 \"Primary script unknown\" for the ping path: php-fpm does not treat it as \
                     its ping, so ping.path is unset or differs in this pool",
                )
                .with_fix(
                    "Set 'ping.path = /ping' (and optionally 'ping.response = pong') in the pool \
                     and reload php-fpm, or pass the configured path: --fpm-ping /fpm-ping.",
                ),
            );
        } else {
            findings.push(Finding::new(
                &codes::PRIMARY_SCRIPT_UNKNOWN,
                subject,
                format!(
                    "404 \"Primary script unknown\": SCRIPT_FILENAME {} does not exist where \
                     php-fpm runs",
                    sanitize::escape(expect.script_filename.unwrap_or("(none)"))
                ),
            ));
        }
        return true;
    }
    if status == 403 && stderr.contains("security.limit_extensions") {
        findings.push(Finding::new(
            &codes::ACCESS_DENIED_EXTENSION,
            subject,
            format!(
                "403 \"Access denied.\": {}",
                sanitize::escape(first_line(stderr))
            ),
        ));
        return true;
    }
    if status == 403 && stderr.contains("Unable to open primary script") {
        findings.push(Finding::new(
            &codes::SCRIPT_UNREADABLE,
            subject,
            format!(
                "403: {}",
                sanitize::escape(&sanitize::truncate(stderr.trim(), 300))
            ),
        ));
        return true;
    }
    if (500..=599).contains(&status) {
        findings.push(Finding::new(
            &codes::SERVER_ERROR_STATUS,
            subject,
            format!("the application answered {status}"),
        ));
        return false;
    }
    match expect.status {
        Some(range) => findings.push(Finding::new(
            &codes::UNEXPECTED_STATUS,
            subject,
            format!(
                "status {status}, expected {}",
                if range.start() == range.end() {
                    range.start().to_string()
                } else {
                    format!("{}-{}", range.start(), range.end())
                }
            ),
        )),
        None if (400..=499).contains(&status) => findings.push(Finding::new(
            &codes::CLIENT_ERROR_STATUS,
            subject,
            format!("the application answered {status}"),
        )),
        None => check_body(expect, body, subject, findings),
    }
    false
}

fn check_body(expect: &Expectations, body: &[u8], subject: &str, findings: &mut Vec<Finding>) {
    let Some(wanted) = expect.body else { return };
    if !wanted.matches(body) {
        let text = String::from_utf8_lossy(body);
        let shown = sanitize::truncate(text.trim(), 80);
        findings.push(Finding::new(
            &codes::BODY_MISMATCH,
            subject,
            format!(
                "body \"{}\" does not match {wanted}",
                sanitize::escape(&shown)
            ),
        ));
    }
}

fn first_line(text: &str) -> &str {
    text.trim().lines().next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::Class;
    use crate::fcgi::EndRequest;
    use crate::net::exchange::Captured;

    fn exchange(stdout: &[u8], stderr: &[u8], outcome: Outcome) -> Exchange {
        let mut out = Captured::with_limit(1 << 20);
        let mut err = Captured::with_limit(1 << 20);
        out.kept.extend_from_slice(stdout);
        out.total = stdout.len() as u64;
        err.kept.extend_from_slice(stderr);
        err.total = stderr.len() as u64;
        Exchange {
            outcome,
            stdout: out,
            stderr: err,
            records: 3,
            bytes_received: 100,
            first_byte: None,
            last_byte: None,
            unexpected: Vec::new(),
            write_error: None,
            left_unread: false,
        }
    }

    fn complete(status: ProtocolStatus) -> Outcome {
        Outcome::Completed(EndRequest {
            app_status: 0,
            protocol_status: status,
        })
    }

    fn codes_of(ex: &Exchange, expect: &Expectations) -> Vec<&'static str> {
        diagnose(ex, expect, "t").0.iter().map(|f| f.code).collect()
    }

    const CHOSEN: Expectations = Expectations {
        status: None,
        body: None,
        script_chosen: true,
        fpm_ping: false,
        fpm_status: false,
        script_filename: Some("/srv/x.php"),
    };

    #[test]
    fn healthy_response_has_no_findings() {
        let ex = exchange(
            b"Content-type: text/plain\r\n\r\npong",
            b"",
            complete(ProtocolStatus::RequestComplete),
        );
        let (findings, report) = diagnose(&ex, &CHOSEN, "t");
        assert!(findings.is_empty(), "{findings:?}");
        let report = report.unwrap();
        assert_eq!(report.status, Some(200));
        assert_eq!(report.body_bytes, 4);
        assert_eq!(report.body_preview, "pong");
        assert_eq!(
            report.protocol_status.as_deref(),
            Some("FCGI_REQUEST_COMPLETE")
        );
    }

    #[test]
    fn primary_script_unknown_is_script_not_found_only_when_chosen() {
        let ex = exchange(
            b"Status: 404 Not Found\r\n\r\nFile not found.\n",
            b"Primary script unknown",
            complete(ProtocolStatus::RequestComplete),
        );
        let (findings, _) = diagnose(&ex, &CHOSEN, "t");
        assert_eq!(findings.len(), 1, "stderr is explained, not reported again");
        assert_eq!(findings[0].class, Class::ScriptNotFound);
        let default = Expectations::default();
        assert_eq!(codes_of(&ex, &default), ["FD1403"]);
    }

    #[test]
    fn php_fpm_403_answers_are_told_apart() {
        let ext = exchange(
            b"Status: 403 Forbidden\r\n\r\nAccess denied.\n",
            b"Access to the script '/x.txt' has been denied (see security.limit_extensions)",
            complete(ProtocolStatus::RequestComplete),
        );
        assert_eq!(codes_of(&ext, &CHOSEN), ["FD1305"]);
        let perm = exchange(
            b"Status: 403 Forbidden\r\n\r\nAccess denied.\n",
            b"PHP message: PHP Warning: ... Unable to open primary script: /x.php (Permission denied)",
            complete(ProtocolStatus::RequestComplete),
        );
        assert_eq!(codes_of(&perm, &CHOSEN), ["FD1306"]);
    }

    #[test]
    fn status_and_body_expectations() {
        let ex = exchange(
            b"Status: 302 Found\r\nLocation: /x\r\n\r\n",
            b"",
            complete(ProtocolStatus::RequestComplete),
        );
        let range = 200..=200;
        let expect = Expectations {
            status: Some(&range),
            ..CHOSEN
        };
        assert_eq!(codes_of(&ex, &expect), ["FD1309"]);
        assert!(codes_of(&ex, &CHOSEN).is_empty());
        let re = BodyMatch::Prefix("pong");
        let ping = exchange(b"\r\nOK", b"", complete(ProtocolStatus::RequestComplete));
        let expect = Expectations {
            status: Some(&range),
            body: Some(&re),
            ..CHOSEN
        };
        assert_eq!(codes_of(&ping, &expect), ["FD1310"]);
    }

    #[test]
    fn five_hundred_with_stderr_reports_both() {
        let ex = exchange(
            b"Status: 500 Internal Server Error\r\n\r\n",
            b"PHP message: PHP Fatal error:  Uncaught Error",
            complete(ProtocolStatus::RequestComplete),
        );
        assert_eq!(codes_of(&ex, &CHOSEN), ["FD1307", "FD1311"]);
    }

    #[test]
    fn rejected_requests_map_to_their_classes() {
        for (status, code) in [
            (ProtocolStatus::Overloaded, "FD1208"),
            (ProtocolStatus::CantMpxConn, "FD1209"),
            (ProtocolStatus::UnknownRole, "FD1210"),
            (ProtocolStatus::Other(7), "FD1211"),
        ] {
            let ex = exchange(b"", b"", complete(status));
            assert_eq!(codes_of(&ex, &CHOSEN), [code]);
        }
    }

    #[test]
    fn endings_without_end_request() {
        let mut closed = exchange(b"", b"", Outcome::Closed { mid_record: false });
        closed.bytes_received = 0;
        closed.records = 0;
        let (f, report) = diagnose(&closed, &CHOSEN, "t");
        assert_eq!(f[0].code, "FD1103");
        assert!(report.is_none(), "no record, no response object");
        let partial = exchange(
            b"Content-type: x\r\n\r\nhalf",
            b"",
            Outcome::Closed { mid_record: false },
        );
        assert_eq!(codes_of(&partial, &CHOSEN), ["FD1207"]);
        let cut = exchange(b"", b"", Outcome::Closed { mid_record: true });
        assert_eq!(codes_of(&cut, &CHOSEN), ["FD1204"]);
        let mut silent = exchange(b"", b"", Outcome::TimedOut);
        silent.bytes_received = 0;
        assert_eq!(codes_of(&silent, &CHOSEN), ["FD1101"]);
        let stalled = exchange(b"Content-type: x\r\n\r\n", b"", Outcome::TimedOut);
        assert_eq!(codes_of(&stalled, &CHOSEN), ["FD1102"]);
    }

    #[test]
    fn bad_cgi_headers() {
        let none = exchange(b"hello", b"", complete(ProtocolStatus::RequestComplete));
        assert_eq!(codes_of(&none, &CHOSEN), ["FD1301"]);
        let bad = exchange(
            b"Status: OK\r\n\r\n",
            b"",
            complete(ProtocolStatus::RequestComplete),
        );
        assert_eq!(codes_of(&bad, &CHOSEN), ["FD1302"]);
        let empty = exchange(b"", b"", complete(ProtocolStatus::RequestComplete));
        assert_eq!(codes_of(&empty, &CHOSEN), ["FD1303"]);
    }

    #[test]
    fn peers_speaking_other_protocols() {
        let http = exchange(
            b"",
            b"",
            Outcome::NotFastCgi {
                first_bytes: b"HTTP/1.1 400 Bad Request\r\n".to_vec(),
            },
        );
        assert_eq!(codes_of(&http, &CHOSEN), ["FD1201"]);
        let ssh = exchange(
            b"",
            b"",
            Outcome::NotFastCgi {
                first_bytes: b"SSH-2.0-x\r\n".to_vec(),
            },
        );
        let (f, _) = diagnose(&ssh, &CHOSEN, "t");
        assert_eq!(f[0].code, "FD1202");
        assert!(f[0].message.contains("SSH"), "{}", f[0].message);
    }
}
