//! Sending one request and reading the answer record by record, within a
//! deadline and within memory bounds. What was seen is recorded, not judged:
//! [`crate::checks::response`] decides what it means.

use std::io;
use std::time::{Duration, Instant};

use nix::poll::PollFlags;

use super::connect::Io;
use super::poll::wait;
use crate::fcgi::{self, DecodeError, Decoded, EndRequest, RecordType};

/// The request id the probe uses; the spec lets a client pick any non-zero id.
pub const REQUEST_ID: u16 = 1;
/// Bytes of stderr kept; the rest is only counted.
pub const MAX_STDERR: usize = 64 * 1024;
/// Room for the CGI header block on top of `--max-body`.
const HEADER_ALLOWANCE: usize = 64 * 1024;
/// Bytes of a non-FastCGI answer kept to say what protocol it is.
const SNIFF_LEN: usize = 256;

/// A stream's first bytes, up to a limit, and how many there were in all.
#[derive(Debug, Default)]
pub struct Captured {
    pub kept: Vec<u8>,
    pub total: u64,
    limit: usize,
}

impl Captured {
    pub fn with_limit(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    fn push(&mut self, data: &[u8]) {
        self.total += data.len() as u64;
        let room = self.limit.saturating_sub(self.kept.len());
        self.kept.extend_from_slice(&data[..data.len().min(room)]);
    }

    pub fn truncated(&self) -> bool {
        self.total > self.kept.len() as u64
    }
}

/// How reading the answer ended.
#[derive(Debug)]
pub enum Outcome {
    /// `FCGI_END_REQUEST` for our request arrived.
    Completed(EndRequest),
    /// The peer closed the connection; `mid_record` when inside a record.
    Closed { mid_record: bool },
    /// A read failed, usually ECONNRESET.
    ReadFailed(io::Error),
    /// The deadline passed.
    TimedOut,
    /// The very first byte was not FastCGI version 1: another protocol.
    NotFastCgi { first_bytes: Vec<u8> },
    /// A later record had a version other than 1.
    BadVersion(u8),
    /// A record for a request we never sent.
    WrongRequestId(u16, RecordType),
    /// A record whose body does not fit its type.
    Malformed(String),
}

/// Everything seen during one request.
#[derive(Debug)]
pub struct Exchange {
    pub outcome: Outcome,
    pub stdout: Captured,
    pub stderr: Captured,
    pub records: usize,
    pub bytes_received: u64,
    /// From the request being sent to the first byte of the answer.
    pub first_byte: Option<Duration>,
    /// When the last byte arrived, relative to the request being sent.
    pub last_byte: Option<Duration>,
    /// Record types a client never receives, in order of arrival (at most 8).
    pub unexpected: Vec<RecordType>,
    /// Writing the request failed (the peer may still have answered).
    pub write_error: Option<io::Error>,
    /// Nothing came back and the peer provably left (part of) the request
    /// unread: it closed without reading, so its kernel reset the connection.
    /// Set by the caller, from [`left_unread`].
    pub left_unread: bool,
}

impl Exchange {
    /// Nothing seen yet; the body kept up to `max_body`.
    pub fn new(max_body: usize) -> Self {
        Exchange {
            outcome: Outcome::TimedOut,
            stdout: Captured::with_limit(max_body.saturating_add(HEADER_ALLOWANCE)),
            stderr: Captured::with_limit(MAX_STDERR),
            records: 0,
            bytes_received: 0,
            first_byte: None,
            last_byte: None,
            unexpected: Vec::new(),
            write_error: None,
            left_unread: false,
        }
    }
}

/// Writes `request` and reads the answer until END_REQUEST, close, error or
/// `deadline`. Writing and reading run together so a peer that answers early
/// (and stops reading) is still heard.
pub fn run(stream: &mut dyn Io, request: &[u8], deadline: Instant, max_body: usize) -> Exchange {
    let sent_at = Instant::now();
    let mut ex = Exchange::new(max_body);
    let mut written = 0;
    // One record is at most 8 + 65535 + 255 bytes, so the buffer stays bounded.
    let mut buf: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let writing = written < request.len() && ex.write_error.is_none();
        let events = if writing {
            PollFlags::POLLIN | PollFlags::POLLOUT
        } else {
            PollFlags::POLLIN
        };
        let ready = match wait(stream.as_fd(), events, deadline) {
            Ok(Some(ready)) => ready,
            Ok(None) => {
                ex.outcome = Outcome::TimedOut;
                return ex;
            }
            Err(e) => {
                ex.outcome = Outcome::ReadFailed(e);
                return ex;
            }
        };
        let hung_up = ready.intersects(PollFlags::POLLERR | PollFlags::POLLHUP);
        if writing && (ready.contains(PollFlags::POLLOUT) || hung_up) {
            match stream.write(&request[written..]) {
                Ok(n) => written += n,
                Err(e) if retry(&e) => {}
                Err(e) => ex.write_error = Some(e),
            }
        }
        if !ready.contains(PollFlags::POLLIN) && !hung_up {
            continue;
        }
        let n = match stream.read(&mut chunk) {
            Err(e) if retry(&e) => continue,
            Err(e) => {
                ex.outcome = Outcome::ReadFailed(e);
                return ex;
            }
            Ok(0) => {
                ex.outcome = Outcome::Closed {
                    mid_record: !buf.is_empty(),
                };
                return ex;
            }
            Ok(n) => n,
        };
        let now = sent_at.elapsed();
        ex.first_byte.get_or_insert(now);
        ex.last_byte = Some(now);
        ex.bytes_received += n as u64;
        buf.extend_from_slice(&chunk[..n]);
        if let Some(outcome) = consume(&mut ex, &mut buf) {
            ex.outcome = outcome;
            return ex;
        }
    }
}

/// A non-blocking read or write that may simply be tried again.
fn retry(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// Writes all of `data` before `deadline`.
fn write_all(stream: &mut dyn Io, mut data: &[u8], deadline: Instant) -> io::Result<()> {
    while !data.is_empty() {
        match stream.write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if retry(&e) => {
                if wait(stream.as_fd(), PollFlags::POLLOUT, deadline)?.is_none() {
                    return Err(io::ErrorKind::TimedOut.into());
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Decodes every whole record in `buf`, removing them; returns the outcome when
/// the exchange is over. The load mode feeds it from its own sockets.
pub fn consume(ex: &mut Exchange, buf: &mut Vec<u8>) -> Option<Outcome> {
    let mut used_total = 0;
    let result = loop {
        let (header, content, used) = match fcgi::decode(&buf[used_total..]) {
            Ok(Decoded::NeedMore(_)) => break None,
            Ok(Decoded::Record(record, used)) => (record.header, record.content, used),
            Err(DecodeError::UnsupportedVersion(v)) => {
                break Some(if ex.records == 0 && used_total == 0 {
                    Outcome::NotFastCgi {
                        first_bytes: buf[..buf.len().min(SNIFF_LEN)].to_vec(),
                    }
                } else {
                    Outcome::BadVersion(v)
                });
            }
            Err(e) => break Some(Outcome::Malformed(e.to_string())),
        };
        used_total += used;
        ex.records += 1;
        let rtype = header.record_type;
        if rtype.is_management() {
            // A stray management answer on the request connection is harmless.
            continue;
        }
        if header.request_id != REQUEST_ID {
            break Some(Outcome::WrongRequestId(header.request_id, rtype));
        }
        match rtype {
            RecordType::Stdout => ex.stdout.push(content),
            RecordType::Stderr => ex.stderr.push(content),
            RecordType::EndRequest => {
                break Some(match EndRequest::parse(content) {
                    Ok(end) => Outcome::Completed(end),
                    Err(e) => Outcome::Malformed(e.to_string()),
                })
            }
            other => {
                if ex.unexpected.len() < 8 {
                    ex.unexpected.push(other);
                }
            }
        }
    };
    buf.drain(..used_total);
    result
}

/// What the peer said to `FCGI_GET_VALUES`.
#[derive(Debug, PartialEq, Eq)]
pub enum ValuesOutcome {
    Values(Vec<(String, String)>),
    /// FCGI_UNKNOWN_TYPE: management records are not supported.
    Rejected,
    /// No answer: timeout, close, or garbage; the reason in words.
    NoAnswer(String),
}

/// The answer to `FCGI_GET_VALUES`, and whether its connection can carry the
/// request next.
#[derive(Debug, PartialEq, Eq)]
pub struct ValuesAnswer {
    pub outcome: ValuesOutcome,
    /// The peer answered, and sent nothing after its answer.
    pub reusable: bool,
}

impl From<ValuesOutcome> for ValuesAnswer {
    fn from(outcome: ValuesOutcome) -> Self {
        Self {
            outcome,
            reusable: false,
        }
    }
}

/// Asks for FCGI_MAX_CONNS, FCGI_MAX_REQS and FCGI_MPXS_CONNS (§4.1).
pub fn get_values(stream: &mut dyn Io, deadline: Instant) -> ValuesAnswer {
    let mut request = Vec::new();
    let names: Vec<(&str, &str)> = fcgi::GET_VALUES_NAMES.iter().map(|n| (*n, "")).collect();
    let body = fcgi::encode_pairs(&names).expect("short static names");
    fcgi::encode_record(
        &mut request,
        RecordType::GetValues,
        fcgi::NULL_REQUEST_ID,
        &body,
    );
    match write_all(stream, &request, deadline) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::TimedOut => {
            return ValuesOutcome::NoAnswer("sending it timed out".into()).into()
        }
        Err(e) => return ValuesOutcome::NoAnswer(format!("sending it failed: {e}")).into(),
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match fcgi::decode(&buf) {
            Err(e) => {
                return ValuesOutcome::NoAnswer(format!("the answer is not FastCGI: {e}")).into()
            }
            Ok(Decoded::Record(record, used)) => {
                let outcome = match record.header.record_type {
                    RecordType::GetValuesResult => match fcgi::decode_pairs(record.content) {
                        Ok(pairs) => ValuesOutcome::Values(
                            pairs
                                .into_iter()
                                .map(|(n, v)| {
                                    (
                                        String::from_utf8_lossy(&n).into_owned(),
                                        String::from_utf8_lossy(&v).into_owned(),
                                    )
                                })
                                .collect(),
                        ),
                        Err(e) => {
                            return ValuesOutcome::NoAnswer(format!(
                                "FCGI_GET_VALUES_RESULT is malformed: {e}"
                            ))
                            .into()
                        }
                    },
                    RecordType::UnknownType => ValuesOutcome::Rejected,
                    _ => {
                        buf.drain(..used);
                        continue;
                    }
                };
                return ValuesAnswer {
                    outcome,
                    reusable: used == buf.len(),
                };
            }
            Ok(Decoded::NeedMore(_)) => {}
        }
        let why = match wait(stream.as_fd(), PollFlags::POLLIN, deadline) {
            Ok(Some(_)) => match stream.read(&mut chunk) {
                Ok(0) => "the connection was closed without an answer".to_string(),
                Ok(n) => {
                    buf.extend_from_slice(&chunk[..n]);
                    continue;
                }
                Err(e) if retry(&e) => continue,
                Err(e) => format!("reading failed: {e}"),
            },
            Ok(None) => "no answer before its deadline".to_string(),
            Err(e) => format!("reading failed: {e}"),
        };
        return ValuesOutcome::NoAnswer(why).into();
    }
}

/// Whether the peer provably left the request unread: it answered nothing,
/// and the connection broke (EPIPE, ECONNRESET) instead of closing after a
/// read. A peer that read the request and then closed is not retried: it
/// would run the request twice.
///
/// Over TCP a peer that had already closed (FIN) resets the connection when the
/// request reaches it, which can come after the FIN has been read as end of
/// file: so on end of file this waits until `until` for that reset.
pub fn left_unread(ex: &Exchange, stream: &dyn Io, until: Instant) -> bool {
    let broken = |e: &io::Error| {
        matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::ConnectionReset
        )
    };
    if ex.bytes_received > 0 {
        return false;
    }
    if ex.write_error.as_ref().is_some_and(broken) {
        return true;
    }
    match &ex.outcome {
        Outcome::ReadFailed(e) => broken(e),
        // No events asked: poll(2) returns on an error or a full hang-up only.
        Outcome::Closed { .. } => {
            matches!(wait(stream.as_fd(), PollFlags::empty(), until), Ok(Some(_)))
                && socket_error(stream).is_some_and(|e| broken(&e))
        }
        _ => false,
    }
}

/// The pending error of a socket (SO_ERROR), if any.
fn socket_error(stream: &dyn Io) -> Option<io::Error> {
    match nix::sys::socket::getsockopt(&stream.as_fd(), nix::sys::socket::sockopt::SocketError) {
        Ok(0) | Err(_) => None,
        Ok(errno) => Some(io::Error::from_raw_os_error(errno)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

    fn closed_without_answer() -> Exchange {
        Exchange {
            outcome: Outcome::Closed { mid_record: false },
            ..Exchange::new(0)
        }
    }

    /// A loopback connection whose far end has closed, and the request then
    /// written to it, as when an old php-fpm closes after GET_VALUES.
    fn written_after_close(peer_reads_first: bool) -> TcpStream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (mut server, _) = listener.accept().unwrap();
        if peer_reads_first {
            client.write_all(b"request").unwrap();
            let mut buf = [0u8; 7];
            server.read_exact(&mut buf).unwrap();
        }
        drop(server);
        let mut buf = [0u8; 1];
        assert_eq!(client.read(&mut buf).unwrap(), 0, "FIN");
        if !peer_reads_first {
            client.write_all(b"request").unwrap();
        }
        client
    }

    #[test]
    fn a_reset_after_the_fin_means_the_request_went_unread() {
        let stream = written_after_close(false);
        let until = Instant::now() + Duration::from_secs(5);
        assert!(left_unread(&closed_without_answer(), &stream, until));
    }

    #[test]
    fn a_plain_close_after_reading_is_not_retried() {
        let stream = written_after_close(true);
        let until = Instant::now() + Duration::from_millis(50);
        assert!(!left_unread(&closed_without_answer(), &stream, until));
        assert!(
            Instant::now() >= until,
            "waited for a reset that never came"
        );
    }

    #[test]
    fn an_answer_or_a_broken_write_decides_at_once() {
        let stream = written_after_close(false);
        let mut answered = closed_without_answer();
        answered.bytes_received = 8;
        let until = Instant::now() + Duration::from_secs(5);
        assert!(!left_unread(&answered, &stream, until));
        let mut broken = closed_without_answer();
        broken.write_error = Some(io::ErrorKind::BrokenPipe.into());
        assert!(left_unread(&broken, &stream, until));
    }
}
