//! The FastCGI record layer on bytes a peer sends: `fcgi::decode` in a loop
//! (decode, advance by the bytes used, stop on NeedMore or an error), the
//! fixed-size bodies (`EndRequest::parse`, `BeginRequest::parse`,
//! `parse_unknown_type`), and the probe's own reader of an answer,
//! `net::exchange::consume`, fed the same bytes whole and in chunks, followed
//! by `checks::response::diagnose` on what it saw.
//!
//! Invariants:
//! - `decode` never reports using more bytes than it was given, nor fewer than
//!   a header; a record's content is exactly `contentLength` bytes.
//! - `NeedMore(n)` asks for at least one byte, and never for more than the
//!   largest record (8 + 65535 + 255) minus what is there.
//! - The only error `decode` returns is `UnsupportedVersion`, for a first byte
//!   other than 1.
//! - A fixed body parses exactly when it is 8 bytes long.
//! - A decoded record re-encoded with `encode_record` decodes to the same
//!   header fields and content.
//! - `consume` leaves less than one record in its buffer, and whole or in
//!   chunks it ends the same way, with the same records, stdout and stderr.

#![no_main]

use fcgi_doctor::checks::response::{self, BodyMatch, Expectations};
use fcgi_doctor::fcgi::{
    self, parse_unknown_type, BeginRequest, DecodeError, Decoded, EndRequest, FCGI_VERSION_1,
    HEADER_LEN, MAX_CONTENT_LEN,
};
use fcgi_doctor::net::exchange::{self, Exchange, Outcome};
use libfuzzer_sys::fuzz_target;

/// The largest record the 8-byte header can announce.
const MAX_RECORD: usize = HEADER_LEN + MAX_CONTENT_LEN + 255;

fuzz_target!(|data: &[u8]| {
    decode_loop(data);
    let whole = consume_in_chunks(data, data.len().max(1));
    // A chunk size that varies with the input, and one byte at a time, the
    // worst case for an incremental reader (short inputs only: it is
    // quadratic in the bytes held).
    let chunked = consume_in_chunks(data, data.len() % 61 + 1);
    same_exchange(&whole, &chunked);
    if data.len() <= 512 {
        let bytewise = consume_in_chunks(data, 1);
        same_exchange(&whole, &bytewise);
    }
    diagnose(&whole);
});

fn decode_loop(data: &[u8]) {
    let mut buf = data;
    loop {
        match fcgi::decode(buf) {
            Ok(Decoded::Record(record, used)) => {
                assert!(used >= HEADER_LEN, "a record shorter than its header");
                assert!(used <= buf.len(), "used {used} of {} bytes", buf.len());
                assert!(used <= MAX_RECORD);
                let header = record.header;
                assert_eq!(header.version, FCGI_VERSION_1);
                assert_eq!(used, header.record_len());
                assert_eq!(record.content.len(), usize::from(header.content_length));
                assert_eq!(
                    record.content,
                    &buf[HEADER_LEN..HEADER_LEN + record.content.len()]
                );
                bodies(record.content);
                round_trip(header, record.content);
                buf = &buf[used..];
            }
            Ok(Decoded::NeedMore(n)) => {
                assert!(n > 0, "NeedMore(0)");
                assert!(
                    buf.len() + n <= MAX_RECORD,
                    "NeedMore({n}) with {} held",
                    buf.len()
                );
                if buf.len() >= HEADER_LEN {
                    let header = fcgi::Header::parse(buf).expect("a whole header");
                    assert_eq!(buf.len() + n, header.record_len());
                } else {
                    assert_eq!(n, HEADER_LEN - buf.len());
                }
                break;
            }
            Err(DecodeError::UnsupportedVersion(v)) => {
                assert_ne!(v, FCGI_VERSION_1);
                assert_eq!(buf.first(), Some(&v));
                break;
            }
            Err(other) => panic!("decode returned a body error: {other:?}"),
        }
    }
}

/// Every fixed-body parser on every content: each accepts exactly 8 bytes.
fn bodies(content: &[u8]) {
    let eight = content.len() == 8;
    match EndRequest::parse(content) {
        Ok(end) => {
            assert!(eight);
            // The status name is shown to people; it must not panic.
            let _ = end.protocol_status.name();
        }
        Err(e) => {
            assert!(!eight);
            let _ = e.to_string();
        }
    }
    match BeginRequest::parse(content) {
        Ok(begin) => {
            assert!(eight);
            let _ = begin.keep_conn();
        }
        Err(_) => assert!(!eight),
    }
    match parse_unknown_type(content) {
        Ok(t) => {
            assert!(eight);
            let _ = t.to_string();
        }
        Err(_) => assert!(!eight),
    }
}

fn round_trip(header: fcgi::Header, content: &[u8]) {
    let mut out = Vec::new();
    fcgi::encode_record(&mut out, header.record_type, header.request_id, content);
    match fcgi::decode(&out) {
        Ok(Decoded::Record(again, used)) => {
            assert_eq!(used, out.len());
            assert_eq!(again.header.record_type, header.record_type);
            assert_eq!(again.header.request_id, header.request_id);
            assert_eq!(again.header.content_length, header.content_length);
            assert_eq!(again.content, content);
        }
        other => panic!("a re-encoded record does not decode: {other:?}"),
    }
}

/// What `consume` made of the input, fed `chunk` bytes at a time; the
/// outcome is `Closed` when the input ended first, as `exchange::run` says at
/// the end of the stream.
fn consume_in_chunks(data: &[u8], chunk: usize) -> Exchange {
    let mut ex = Exchange::new(1024);
    let mut buf = Vec::new();
    for part in data.chunks(chunk) {
        buf.extend_from_slice(part);
        ex.bytes_received += part.len() as u64;
        if let Some(outcome) = exchange::consume(&mut ex, &mut buf) {
            ex.outcome = outcome;
            return ex;
        }
        // What is left is the start of one record: the reader's buffer is
        // bounded by the largest record.
        assert!(
            buf.len() < MAX_RECORD,
            "{} bytes left unconsumed",
            buf.len()
        );
        assert!(matches!(fcgi::decode(&buf), Ok(Decoded::NeedMore(_))));
    }
    ex.outcome = Outcome::Closed {
        mid_record: !buf.is_empty(),
    };
    ex
}

fn same_exchange(a: &Exchange, b: &Exchange) {
    use std::mem::discriminant;
    assert_eq!(
        discriminant(&a.outcome),
        discriminant(&b.outcome),
        "{:?} vs {:?}",
        a.outcome,
        b.outcome
    );
    match (&a.outcome, &b.outcome) {
        (Outcome::Completed(x), Outcome::Completed(y)) => assert_eq!(x, y),
        (Outcome::BadVersion(x), Outcome::BadVersion(y)) => assert_eq!(x, y),
        (Outcome::WrongRequestId(x, t), Outcome::WrongRequestId(y, u)) => {
            assert_eq!((x, t), (y, u))
        }
        (Outcome::Malformed(x), Outcome::Malformed(y)) => assert_eq!(x, y),
        (Outcome::Closed { mid_record: x }, Outcome::Closed { mid_record: y }) => {
            assert_eq!(x, y)
        }
        // NotFastCgi keeps the first bytes of what had arrived: only the
        // first chunk when chunked.
        _ => {}
    }
    assert_eq!(a.records, b.records);
    assert_eq!(a.stdout.total, b.stdout.total);
    assert_eq!(a.stdout.kept, b.stdout.kept);
    assert_eq!(a.stderr.total, b.stderr.total);
    assert_eq!(a.stderr.kept, b.stderr.kept);
    assert_eq!(a.unexpected, b.unexpected);
    for ex in [a, b] {
        assert!(ex.unexpected.len() <= 8);
        assert!(ex.stdout.total >= ex.stdout.kept.len() as u64);
        assert!(ex.stderr.total >= ex.stderr.kept.len() as u64);
        assert!(ex.stdout.total + ex.stderr.total <= ex.bytes_received);
    }
}

/// The probe's judgement of the exchange, with no expectations and with
/// every kind of expectation.
fn diagnose(ex: &Exchange) {
    let (findings, report) = response::diagnose(ex, &Expectations::default(), "fuzz");
    if let Some(report) = report {
        assert!(report.body_bytes <= ex.stdout.total);
    }
    drop(findings);
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
    let _ = response::diagnose(ex, &expect, "fuzz");
}
