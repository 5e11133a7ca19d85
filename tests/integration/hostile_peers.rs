//! The hostile peer corpus: FastCGI peers that misbehave in every way the
//! probe can meet, each started by the test on loopback. For every one the
//! probe ends within its deadline plus one second, names the expected class,
//! exits with the documented code, does not panic, and its peak resident
//! memory (GNU time's %M) stays under 64 MiB.

use std::time::Duration;

use fcgi_doctor::fcgi::{ProtocolStatus, RecordType};

use crate::fake_peer::{self, end, read_past_get_values, record, response, Conn};
use crate::util::{fcgi_doctor, Run};

/// The probe's deadline in this corpus.
const TIMEOUT: Duration = Duration::from_secs(2);
const MAX_RSS_KIB: u64 = 64 * 1024;

type Behaviour = Box<dyn Fn(&mut dyn Conn) + Send + Sync>;

/// One hostile peer: what it does, and what the probe must say.
struct Case {
    name: &'static str,
    behaviour: Behaviour,
    /// The class of the worst finding, or "" for none above info.
    class: &'static str,
    exit: i32,
}

fn case(
    name: &'static str,
    class: &'static str,
    exit: i32,
    behaviour: impl Fn(&mut dyn Conn) + Send + Sync + 'static,
) -> Case {
    Case {
        name,
        behaviour: Box::new(behaviour),
        class,
        exit,
    }
}

/// Reads the request (GET_VALUES is left unanswered: the probe goes on), then
/// writes `bytes` and closes.
fn then_write(bytes: Vec<u8>) -> impl Fn(&mut dyn Conn) + Send + Sync + 'static {
    move |conn| {
        if read_past_get_values(conn).is_some() {
            let _ = conn.write_all(&bytes);
        }
    }
}

/// A record header with a version of our choosing.
fn header(version: u8, rtype: u8, id: u16, len: u16, padding: u8) -> Vec<u8> {
    let mut h = vec![version, rtype];
    h.extend_from_slice(&id.to_be_bytes());
    h.extend_from_slice(&len.to_be_bytes());
    h.extend_from_slice(&[padding, 0]);
    h
}

fn ok_stdout() -> Vec<u8> {
    record(RecordType::Stdout, 1, b"Content-Type: text/plain\r\n\r\nok")
}

fn corpus() -> Vec<Case> {
    let mut cases = vec![
        // Silence after GET_VALUES and the request is what a pool with every
        // worker busy looks like (FD1506).
        case("silent after accept", "capacity_exhaustion", 2, |conn| {
            let _ = read_past_get_values(conn);
            std::thread::sleep(TIMEOUT + Duration::from_secs(1));
        }),
        case("closes at once", "incomplete_headers", 2, |_conn| {}),
        case(
            "closes mid-header",
            "protocol_error",
            2,
            then_write(vec![1, 6, 0]),
        ),
        case("closes mid-body", "protocol_error", 2, {
            let mut b = header(1, 6, 1, 100, 0);
            b.extend_from_slice(b"Content-Type: te");
            then_write(b)
        }),
        case(
            "answers HTTP",
            "protocol_error",
            2,
            then_write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".to_vec()),
        ),
        case("SMTP banner", "protocol_error", 2, |conn| {
            let _ = conn.write_all(b"220 mail.example ESMTP Postfix\r\n");
            let _ = read_past_get_values(conn);
        }),
        case(
            "TLS handshake",
            "protocol_error",
            2,
            then_write(vec![
                0x16, 0x03, 0x03, 0x00, 0x31, 0x02, 0x00, 0x00, 0x2d, 0x03,
            ]),
        ),
        case("random bytes", "protocol_error", 2, {
            let mut x: u32 = 0x9e37_79b9;
            let bytes = (0..4096)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    (x >> 24) as u8
                })
                .collect();
            then_write(bytes)
        }),
        case("version 0", "protocol_error", 2, {
            let mut b = header(0, 6, 1, 2, 0);
            b.extend_from_slice(b"ok");
            then_write(b)
        }),
        case("version 2", "protocol_error", 2, {
            let mut b = header(2, 6, 1, 2, 0);
            b.extend_from_slice(b"ok");
            then_write(b)
        }),
        case(
            "content length beyond the bytes sent",
            "protocol_error",
            2,
            {
                let mut b = header(1, 6, 1, 65535, 0);
                b.extend_from_slice(&[b'x'; 100]);
                then_write(b)
            },
        ),
        case(
            "padding 255 with no data",
            "protocol_error",
            2,
            then_write(header(1, 6, 1, 0, 255)),
        ),
        case("wrong request id", "protocol_error", 2, {
            let mut b = record(RecordType::Stdout, 7, b"Content-Type: text/plain\r\n\r\nx");
            b.extend(record(RecordType::EndRequest, 7, &[0, 0, 0, 0, 0, 0, 0, 0]));
            then_write(b)
        }),
        case("unknown record types only", "protocol_error", 2, {
            let mut b = Vec::new();
            for t in [12u8, 99, 200] {
                b.extend(header(1, t, 1, 0, 0));
            }
            then_write(b)
        }),
        case(
            "STDOUT without END_REQUEST",
            "protocol_error",
            2,
            then_write(ok_stdout()),
        ),
        case(
            "END_REQUEST before any STDOUT",
            "incomplete_headers",
            2,
            then_write(end(0, ProtocolStatus::RequestComplete)),
        ),
        case("endless STDOUT", "timeout", 2, |conn| {
            if read_past_get_values(conn).is_some() {
                let _ = conn.write_all(&record(RecordType::Stdout, 1, b"Content-Type: x\r\n\r\n"));
                let chunk = record(RecordType::Stdout, 1, &[b'a'; 65528]);
                // Up to 10 GiB, or until the probe hangs up.
                for _ in 0..(10u64 << 30) / 65528 {
                    if conn.write_all(&chunk).is_err() {
                        return;
                    }
                }
            }
        }),
        case("endless STDERR", "timeout", 2, |conn| {
            if read_past_get_values(conn).is_some() {
                let chunk = record(RecordType::Stderr, 1, &[b'e'; 65528]);
                for _ in 0..(10u64 << 30) / 65528 {
                    if conn.write_all(&chunk).is_err() {
                        return;
                    }
                }
            }
        }),
        case(
            "one byte every 25 ms, done within the deadline",
            "",
            0,
            |conn| {
                if read_past_get_values(conn).is_some() {
                    for b in response(b"Content-Type: text/plain\r\n\r\nok") {
                        if conn.write_all(&[b]).is_err() {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(25));
                    }
                }
            },
        ),
        case(
            "one byte per second, past the deadline",
            "timeout",
            2,
            |conn| {
                if read_past_get_values(conn).is_some() {
                    for b in response(b"Content-Type: text/plain\r\n\r\nok") {
                        if conn.write_all(&[b]).is_err() {
                            return;
                        }
                        std::thread::sleep(Duration::from_secs(1));
                    }
                }
            },
        ),
        case("huge GET_VALUES_RESULT", "", 0, |conn| {
            let incoming = fake_peer::read_request(conn);
            if incoming.get_values {
                let mut pairs = Vec::new();
                for i in 0..2000 {
                    let name = format!("X_{i:05}");
                    pairs.extend_from_slice(&[name.len() as u8, 20]);
                    pairs.extend_from_slice(name.as_bytes());
                    pairs.extend_from_slice(&[b'v'; 20]);
                }
                let mut out = Vec::new();
                for part in pairs.chunks(65535) {
                    out.extend(record(RecordType::GetValuesResult, 0, part));
                }
                if conn.write_all(&out).is_err() {
                    return;
                }
                if fake_peer::read_request(conn).eof {
                    return;
                }
            }
            let _ = conn.write_all(&response(b"Content-Type: text/plain\r\n\r\nok"));
        }),
        case("pair lengths larger than the record", "", 0, |conn| {
            let incoming = fake_peer::read_request(conn);
            if incoming.get_values {
                // A name of 2^31-1 bytes announced in a 12-byte record.
                let bogus = [
                    0xff, 0xff, 0xff, 0xff, 0x05, b'F', b'C', b'G', b'I', b'_', 0, 0,
                ];
                if conn
                    .write_all(&record(RecordType::GetValuesResult, 0, &bogus))
                    .is_err()
                {
                    return;
                }
                if fake_peer::read_request(conn).eof {
                    return;
                }
            }
            let _ = conn.write_all(&response(b"Content-Type: text/plain\r\n\r\nok"));
        }),
        case(
            "OVERLOADED",
            "capacity_exhaustion",
            2,
            then_write(end(0, ProtocolStatus::Overloaded)),
        ),
        case(
            "CANT_MPX_CONN",
            "protocol_error",
            2,
            then_write(end(0, ProtocolStatus::CantMpxConn)),
        ),
        case(
            "UNKNOWN_ROLE",
            "handler_misconfig",
            2,
            then_write(end(0, ProtocolStatus::UnknownRole)),
        ),
        case("app status 255", "app_crashed", 1, {
            let mut b = ok_stdout();
            b.extend(record(RecordType::Stdout, 1, b""));
            b.extend(end(255, ProtocolStatus::RequestComplete));
            then_write(b)
        }),
        case("closes mid-response", "protocol_error", 2, |conn| {
            if read_past_get_values(conn).is_some() {
                let _ = conn.write_all(&record(
                    RecordType::Stdout,
                    1,
                    b"Content-Type: x\r\n\r\npart",
                ));
            }
        }),
        case("HTTP/2 preface", "protocol_error", 2, |conn| {
            let _ = conn.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
            let _ = read_past_get_values(conn);
        }),
        case(
            "NUL flood then close",
            "protocol_error",
            2,
            then_write(vec![0u8; 1 << 20]),
        ),
        case("terminal escapes in STDOUT and STDERR", "app_stderr", 1, {
            let mut b = record(RecordType::Stderr, 1, b"\x1b]0;owned\x07\x1b[2J");
            b.extend(record(
                RecordType::Stdout,
                1,
                b"Content-Type: text/plain\r\nX-Evil: \x1b[31mred\r\n\r\n\x1b[2Jbody",
            ));
            b.extend(record(RecordType::Stdout, 1, b""));
            b.extend(end(0, ProtocolStatus::RequestComplete));
            then_write(b)
        }),
        case("a 64 KiB header line", "", 0, {
            let mut head = b"Content-Type: text/plain\r\nX-Long: ".to_vec();
            head.extend_from_slice(&[b'a'; 60000]);
            head.extend_from_slice(b"\r\n\r\nok");
            then_write(response(&head))
        }),
    ];
    // Reads the request and hangs up without a word.
    cases.push(case("reads then closes", "incomplete_headers", 2, |conn| {
        let _ = read_past_get_values(conn);
    }));
    cases
}

fn probe(target: &str) -> Run {
    fcgi_doctor(["probe", target, "--timeout", "2s", "--format", "json"])
        .measure_memory()
        .run()
}

fn worst_class(run: &Run) -> String {
    let json = run.json();
    let findings = json["findings"].as_array().unwrap();
    let rank = |s: &str| match s {
        "critical" => 2,
        "warning" => 1,
        _ => 0,
    };
    findings
        .iter()
        .filter(|f| f["severity"] != "info")
        .max_by_key(|f| rank(f["severity"].as_str().unwrap()))
        .map(|f| f["class"].as_str().unwrap().to_string())
        .unwrap_or_default()
}

#[test]
fn every_hostile_peer_gets_its_class_within_its_deadline_and_memory() {
    let corpus = corpus();
    assert!(corpus.len() >= 30, "{} peers", corpus.len());
    let mut failures = Vec::new();
    for c in corpus {
        let name = c.name;
        let behaviour = c.behaviour;
        let peer = fake_peer::tcp(move |conn| behaviour(conn));
        let run = probe(&peer.target);
        let class = worst_class(&run);
        let ok = class == c.class
            && run.code == c.exit
            && run.elapsed <= TIMEOUT + Duration::from_secs(1)
            && run.max_rss_kib.unwrap() < MAX_RSS_KIB
            && !run.stderr.contains("panicked");
        let line = format!(
            "{name}: class {class:?} exit {} in {:?}, {} KiB{}",
            run.code,
            run.elapsed,
            run.max_rss_kib.unwrap(),
            if ok { "" } else { "  <-- expected otherwise" }
        );
        println!("{line}");
        if !ok {
            failures.push(format!("{line}\n{}", run.stdout));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// A listener that never accepts: once its queue is full, connecting hangs.
#[test]
fn a_full_accept_queue_ends_within_the_deadline() {
    let dir = crate::servers::lab_dir();
    let path = dir.path().join("never.sock");
    let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
    // Fill the queue (the kernel's backlog) from here.
    let mut held = Vec::new();
    while let Ok(s) = {
        let s = nix::sys::socket::socket(
            nix::sys::socket::AddressFamily::Unix,
            nix::sys::socket::SockType::Stream,
            nix::sys::socket::SockFlag::SOCK_NONBLOCK,
            None,
        )
        .unwrap();
        let addr = nix::sys::socket::UnixAddr::new(&path).unwrap();
        nix::sys::socket::connect(std::os::fd::AsRawFd::as_raw_fd(&s), &addr).map(|()| s)
    } {
        held.push(s);
        if held.len() > 10_000 {
            break;
        }
    }
    let run = probe(path.to_str().unwrap());
    drop(listener);
    assert!(
        run.elapsed <= TIMEOUT + Duration::from_secs(1),
        "{:?}",
        run.elapsed
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.max_rss_kib.unwrap() < MAX_RSS_KIB);
    assert_eq!(worst_class(&run), "capacity_exhaustion", "{}", run.stdout);
}

/// The load mode against a peer that accepts and closes, connection after
/// connection: every failure counted, no hang, bounded memory.
#[test]
fn the_load_mode_against_a_peer_that_accepts_and_closes() {
    let peer = fake_peer::tcp(|_conn| {});
    let run = fcgi_doctor([
        "probe",
        &peer.target,
        "--requests",
        "500",
        "--concurrency",
        "16",
        "--timeout",
        "2s",
        "--format",
        "json",
    ])
    .measure_memory()
    .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.elapsed < Duration::from_secs(20), "{:?}", run.elapsed);
    assert!(
        run.max_rss_kib.unwrap() < MAX_RSS_KIB,
        "{:?} KiB",
        run.max_rss_kib
    );
    let load = &run.json()["load"];
    assert_eq!(load["failed"], 500, "{load}");
    // Many connections at once meet the peer's reset while still writing
    // (FD1104), where a single probe sees the close first.
    assert_eq!(worst_class(&run), "app_crashed", "{}", run.stdout);
}

/// The whole corpus behind one nginx configuration, for `doctor`: every
/// peer probed at once (one batch), the run ends within the probes' deadline
/// plus one second under 64 MiB, and each backend's row says what the probe
/// of that peer says.
#[test]
fn doctor_against_the_whole_corpus_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut peers = Vec::new();
    for c in corpus() {
        let behaviour = c.behaviour;
        let peer = fake_peer::tcp(move |conn| behaviour(conn));
        peers.push((c.name, c.exit, peer));
    }
    let backends: Vec<String> = peers.iter().map(|(_, _, p)| p.target.clone()).collect();
    let conf = crate::servers::nginx_passing_to(dir.path(), &backends);
    let run = fcgi_doctor([
        "doctor",
        "--nginx-config",
        conf.to_str().unwrap(),
        "--timeout",
        "2s",
        "--format",
        "json",
    ])
    .measure_memory()
    .run();
    assert!(
        run.elapsed <= TIMEOUT + Duration::from_secs(1),
        "{:?}",
        run.elapsed
    );
    assert!(
        run.max_rss_kib.unwrap() < MAX_RSS_KIB,
        "{:?} KiB",
        run.max_rss_kib
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let json = run.json();
    let rows = json["checks"].as_array().unwrap();
    let mut wrong = Vec::new();
    for (name, exit, peer) in &peers {
        let want = ["ok", "warning", "critical"][*exit as usize];
        let row = rows
            .iter()
            .find(|r| r["check"] == "probe" && r["subject"] == peer.target.as_str());
        let got = row
            .map(|r| r["status"].as_str().unwrap())
            .unwrap_or("missing");
        if got != want {
            wrong.push(format!("{name}: {got} instead of {want}: {row:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
