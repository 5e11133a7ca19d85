//! The CGI response on FCGI_STDOUT: `checks::response::cgi::parse`, the header
//! block parser the probe uses, then the whole response path: the input sent
//! as a STDOUT stream (and, split at its first NUL byte, a STDERR stream)
//! read by `net::exchange::consume` and judged by `checks::response::diagnose`.
//! `checks::response::sniff::describe` names what a non-FastCGI peer sent.
//!
//! Invariants:
//! - `body_offset` is within the bytes and past at least one newline.
//! - A parsed status is a three-digit code in 100..=599.
//! - Header names are non-empty and hold no ':' or whitespace.
//! - The exchange built from the input completes, with stdout and stderr
//!   exactly as sent.

#![no_main]

use fcgi_doctor::checks::response::cgi::{self, CgiError};
use fcgi_doctor::checks::response::{self, sniff, BodyMatch, Expectations};
use fcgi_doctor::fcgi::{self, EndRequest, ProtocolStatus, RecordType};
use fcgi_doctor::net::exchange::{self, Exchange, Outcome, REQUEST_ID};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match cgi::parse(data) {
        Ok(r) => {
            assert!(r.body_offset >= 1 && r.body_offset <= data.len());
            assert_eq!(data[r.body_offset - 1], b'\n');
            assert!((100..=599).contains(&r.status), "status {}", r.status);
            for (name, _) in &r.headers {
                assert!(!name.is_empty());
                assert!(!name.contains(':') && !name.contains(char::is_whitespace));
            }
        }
        Err(CgiError::NoHeaderEnd)
        | Err(CgiError::MalformedLine(_))
        | Err(CgiError::BadStatus(_)) => {}
    }
    let _ = sniff::describe(data);
    let _ = sniff::is_http(data);

    let (stdout, stderr) = match data.iter().position(|&b| b == 0) {
        Some(nul) => (&data[..nul], &data[nul + 1..]),
        None => (data, &[][..]),
    };
    let mut wire = Vec::new();
    fcgi::encode_stream(&mut wire, RecordType::Stdout, REQUEST_ID, stdout);
    if !stderr.is_empty() {
        fcgi::encode_stream(&mut wire, RecordType::Stderr, REQUEST_ID, stderr);
    }
    let end = EndRequest {
        app_status: 0,
        protocol_status: ProtocolStatus::RequestComplete,
    };
    fcgi::encode_end_request(&mut wire, REQUEST_ID, end);
    let mut ex = Exchange::new(1 << 20);
    ex.bytes_received = wire.len() as u64;
    let outcome = exchange::consume(&mut ex, &mut wire).expect("END_REQUEST ends it");
    assert!(matches!(outcome, Outcome::Completed(e) if e == end));
    assert!(wire.is_empty());
    ex.outcome = outcome;
    assert_eq!(ex.stdout.kept, stdout);
    assert_eq!(ex.stderr.kept.len(), stderr.len().min(exchange::MAX_STDERR));

    let (_, report) = response::diagnose(&ex, &Expectations::default(), "fuzz");
    let report = report.expect("records came");
    if let Ok(r) = cgi::parse(stdout) {
        assert_eq!(report.status, Some(r.status));
        assert_eq!(report.body_bytes, (stdout.len() - r.body_offset) as u64);
    }
    let status = 200..=299;
    let body = BodyMatch::Prefix("pong");
    let expect = Expectations {
        status: Some(&status),
        body: Some(&body),
        script_chosen: true,
        fpm_ping: true,
        fpm_status: true,
        script_filename: Some("/var/www/html/index.php"),
    };
    let _ = response::diagnose(&ex, &expect, "fuzz");
});
