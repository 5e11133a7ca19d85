//! `probe` against scripted peers: every diagnosis of a misbehaving backend.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fcgi_doctor::fcgi::{self, ProtocolStatus, RecordType};

use crate::fake_peer::{self, answer, end, read_past_get_values, record, response};
use crate::util::{fcgi_doctor, probe_json};

/// Probes a fake peer without the GET_VALUES connection, so each scripted
/// behaviour sees exactly one request.
fn probe(target: &str, args: &[&str]) -> crate::util::Run {
    let mut all = vec!["--no-get-values"];
    all.extend_from_slice(args);
    probe_json(target, &all)
}

fn assert_codes(run: &crate::util::Run, codes: &[&str], exit: i32) {
    assert_eq!(
        run.codes(),
        codes,
        "stdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, exit, "exit code; stdout: {}", run.stdout);
}

#[test]
fn healthy_peer_is_ok_and_reports_the_response() {
    let peer = fake_peer::tcp(answer(response(b"Status: 200 OK\r\nX-A: b\r\n\r\nhello")));
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &[], 0);
    let json = run.json();
    assert_eq!(json["tool"], "fcgi-doctor");
    assert_eq!(json["command"], "probe");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["response"]["status"], 200);
    assert_eq!(json["response"]["body_preview"], "hello");
    assert_eq!(
        json["response"]["headers"][1],
        serde_json::json!(["X-A", "b"])
    );
    assert_eq!(json["response"]["app_status"], 0);
    assert_eq!(json["response"]["protocol_status"], "FCGI_REQUEST_COMPLETE");
    assert!(json["timings_ms"]["connect"].as_f64().is_some());
    assert!(json["timings_ms"]["first_byte"].as_f64().is_some());
}

#[test]
fn request_carries_minimal_cgi_params_and_never_the_environment() {
    let (tx, rx) = std::sync::mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let peer = fake_peer::tcp(move |conn| {
        if let Some(req) = read_past_get_values(conn) {
            tx.lock().unwrap().send(req).unwrap();
            let _ = conn.write_all(&response(b"\r\n"));
        }
    });
    let run = fcgi_doctor([
        "probe",
        &peer.target,
        "--no-get-values",
        "--uri",
        "/app/x?y=1",
        "--method",
        "post",
        "--body",
        "a=b",
        "--param",
        "HTTP_HOST=example.org",
        "--param",
        "X_EXTRA=1",
    ])
    .env("SECRET_TOKEN", "leak")
    .run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let req = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    let get = |name: &str| {
        req.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("REQUEST_METHOD"), Some("POST"));
    assert_eq!(get("REQUEST_URI"), Some("/app/x?y=1"));
    assert_eq!(get("SCRIPT_NAME"), Some("/app/x"));
    assert_eq!(get("QUERY_STRING"), Some("y=1"));
    assert_eq!(get("CONTENT_LENGTH"), Some("3"));
    assert_eq!(get("HTTP_HOST"), Some("example.org"), "--param overrides");
    assert_eq!(get("X_EXTRA"), Some("1"));
    for name in [
        "GATEWAY_INTERFACE",
        "SCRIPT_FILENAME",
        "DOCUMENT_ROOT",
        "SERVER_PROTOCOL",
        "SERVER_NAME",
        "SERVER_PORT",
        "REMOTE_ADDR",
        "CONTENT_TYPE",
    ] {
        assert!(get(name).is_some(), "{name} missing");
    }
    assert!(get("SECRET_TOKEN").is_none() && get("PATH").is_none());
    assert_eq!(req.stdin, b"a=b");
}

#[test]
fn silent_peer_times_out_within_the_deadline() {
    let peer = fake_peer::tcp(|conn| {
        let _ = read_past_get_values(conn);
        std::thread::sleep(Duration::from_secs(6));
    });
    let run = probe(&peer.target, &["--timeout", "700ms"]);
    assert_codes(&run, &["FD1101"], 2);
    assert!(
        run.elapsed < Duration::from_secs(4),
        "took {:?}",
        run.elapsed
    );
    assert_eq!(run.json()["response"], serde_json::Value::Null);
}

#[test]
fn peer_that_stalls_mid_response() {
    let peer = fake_peer::tcp(|conn| {
        if read_past_get_values(conn).is_some() {
            let _ = conn.write_all(&record(
                RecordType::Stdout,
                1,
                b"Content-Type: text/plain\r\n\r\nhal",
            ));
            std::thread::sleep(Duration::from_secs(6));
        }
    });
    let run = probe(&peer.target, &["--timeout", "700ms"]);
    assert_codes(&run, &["FD1102"], 2);
    assert_eq!(
        run.json()["response"]["app_status"],
        serde_json::Value::Null
    );
}

#[test]
fn peer_closing_at_once_is_incomplete_headers() {
    let peer = fake_peer::tcp(|conn| {
        let _ = read_past_get_values(conn);
    });
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &["FD1103"], 2);
    assert_eq!(run.finding("FD1103")["class"], "incomplete_headers");
}

#[test]
fn a_peer_closing_without_reading_gets_one_diagnosis_every_time() {
    // Whether its kernel's FIN or RST reaches the probe first varies from run
    // to run; what the backend did does not, and neither may the code.
    on_both_transports(|unix| {
        let (peer, _, _) = counting_peer(unix, |_conn, _| {});
        for round in 0..10 {
            let run = probe(&peer.target, &[]);
            assert_codes(&run, &["FD1103"], 2);
            let message = run.finding("FD1103")["message"]
                .as_str()
                .unwrap()
                .to_string();
            assert!(
                message.contains("without reading the request"),
                "{round}: {message}"
            );
            assert_eq!(
                message.contains("listen.allowed_clients"),
                unix.is_none(),
                "php-fpm's refusal is named on TCP only: {message}"
            );
        }
    });
}

#[test]
fn peer_resetting_the_connection() {
    // A TCP reset needs SO_LINGER 0 on the peer's socket; build that peer by hand.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = fake_peer::read_request(&mut s);
        let _ = s.write_all(&record(RecordType::Stdout, 1, b"Status: 200\r\n"));
        std::thread::sleep(Duration::from_millis(50));
        nix::sys::socket::setsockopt(
            &s,
            nix::sys::socket::sockopt::Linger,
            &nix::libc::linger {
                l_onoff: 1,
                l_linger: 0,
            },
        )
        .unwrap();
        drop(s);
    });
    let run = probe(&target, &[]);
    assert_codes(&run, &["FD1104"], 2);
    assert_eq!(run.finding("FD1104")["class"], "app_crashed");
}

#[test]
fn http_server_is_named() {
    let peer = fake_peer::tcp(|conn| {
        let _ = conn
            .write_all(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Length: 0\r\n\r\n");
    });
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &["FD1201"], 2);
    let message = run.finding("FD1201")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(message.contains("HTTP/1.1 400 Bad Request"), "{message}");
}

#[test]
fn other_protocols_are_named() {
    let peer = fake_peer::tcp(|conn| {
        let _ = conn.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian\r\n");
    });
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &["FD1202"], 2);
    assert!(run.finding("FD1202")["message"]
        .as_str()
        .unwrap()
        .contains("SSH"));
}

#[test]
fn end_request_protocol_statuses() {
    for (status, code, class) in [
        (ProtocolStatus::Overloaded, "FD1208", "capacity_exhaustion"),
        (ProtocolStatus::CantMpxConn, "FD1209", "protocol_error"),
        (ProtocolStatus::UnknownRole, "FD1210", "handler_misconfig"),
        (ProtocolStatus::Other(9), "FD1211", "protocol_error"),
    ] {
        let peer = fake_peer::tcp(answer(end(0, status)));
        let run = probe(&peer.target, &[]);
        assert_codes(&run, &[code], 2);
        assert_eq!(run.finding(code)["class"], class);
    }
}

#[test]
fn output_then_close_without_end_request() {
    let peer = fake_peer::tcp(answer(record(
        RecordType::Stdout,
        1,
        b"Status: 200\r\n\r\npartial",
    )));
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &["FD1207"], 2);
    assert_eq!(run.json()["response"]["body_preview"], "partial");
}

#[test]
fn close_inside_a_record() {
    let mut bytes = record(RecordType::Stdout, 1, &[b'x'; 100]);
    bytes.truncate(20);
    let peer = fake_peer::tcp(answer(bytes));
    assert_codes(&probe(&peer.target, &[]), &["FD1204"], 2);
}

#[test]
fn bad_version_after_good_records() {
    let mut bytes = record(RecordType::Stdout, 1, b"Status: 200\r\n\r\n");
    let mut bad = record(RecordType::Stdout, 1, b"x");
    bad[0] = 2;
    bytes.extend(bad);
    let peer = fake_peer::tcp(answer(bytes));
    assert_codes(&probe(&peer.target, &[]), &["FD1203"], 2);
}

#[test]
fn wrong_request_id() {
    let peer = fake_peer::tcp(answer(record(
        RecordType::Stdout,
        7,
        b"Status: 200\r\n\r\n",
    )));
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &["FD1206"], 2);
    assert!(run.finding("FD1206")["message"]
        .as_str()
        .unwrap()
        .contains("request id 7"));
}

#[test]
fn malformed_end_request_body() {
    let peer = fake_peer::tcp(answer(record(RecordType::EndRequest, 1, &[0, 0, 0, 0, 0])));
    assert_codes(&probe(&peer.target, &[]), &["FD1205"], 2);
}

#[test]
fn cgi_header_problems() {
    for (stdout, code) in [
        (&b"hello, no headers"[..], "FD1301"),
        (b"<html>\r\n\r\n", "FD1302"),
        (b"Status: OK\r\n\r\n", "FD1302"),
        (b"", "FD1303"),
    ] {
        let peer = fake_peer::tcp(answer(response(stdout)));
        assert_codes(&probe(&peer.target, &[]), &[code], 2);
    }
}

#[test]
fn stderr_and_app_status_are_warnings() {
    let mut bytes = record(RecordType::Stderr, 1, b"lab: something odd\n");
    bytes.extend(record(RecordType::Stdout, 1, b"\r\nok"));
    bytes.extend(end(3, ProtocolStatus::RequestComplete));
    let peer = fake_peer::tcp(answer(bytes));
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &["FD1312", "FD1311"], 1);
    assert!(run.finding("FD1311")["message"]
        .as_str()
        .unwrap()
        .contains("lab: something odd"));
    assert_eq!(run.json()["response"]["stderr"], "lab: something odd\n");
}

#[test]
fn unexpected_record_types_are_skipped_with_a_warning() {
    let mut bytes = record(RecordType::Params, 1, b"");
    bytes.extend(record(RecordType::Other(77), 1, b"zz"));
    bytes.extend(response(b"\r\nok"));
    let peer = fake_peer::tcp(answer(bytes));
    let run = probe(&peer.target, &[]);
    assert_codes(&run, &["FD1212"], 1);
    assert_eq!(run.json()["response"]["status"], 200);
}

#[test]
fn status_and_body_expectations() {
    let peer = fake_peer::tcp(answer(response(
        b"Status: 302 Found\r\nLocation: /login\r\n\r\n",
    )));
    assert_codes(
        &probe(&peer.target, &["--expect-status", "200"]),
        &["FD1309"],
        2,
    );
    assert_codes(
        &probe(&peer.target, &["--expect-status", "200-399"]),
        &[],
        0,
    );
    let peer = fake_peer::tcp(answer(response(b"\r\nstatus: degraded")));
    assert_codes(
        &probe(&peer.target, &["--expect-body", "status: (ok|fine)"]),
        &["FD1310"],
        2,
    );
    assert_codes(
        &probe(&peer.target, &["--expect-body", "degraded$"]),
        &[],
        0,
    );
    assert_codes(
        &probe(&peer.target, &["--expect-body", "(?i)STATUS: DEGRADED"]),
        &[],
        0,
    );
}

#[test]
fn body_expectation_runs_on_the_raw_bytes() {
    // Latin-1, not UTF-8: the pattern still sees the byte 0xE9 after "caf".
    let peer = fake_peer::tcp(answer(response(b"\r\ncaf\xe9 ok")));
    assert_codes(
        &probe(&peer.target, &["--expect-body", r"^caf.\x20ok$"]),
        &[],
        0,
    );
    assert_codes(
        &probe(&peer.target, &["--expect-body", "^café"]),
        &["FD1310"],
        2,
    );
}

#[test]
fn status_families_without_expectations() {
    let peer = fake_peer::tcp(answer(response(b"Status: 503 Busy\r\n\r\n")));
    assert_codes(&probe(&peer.target, &[]), &["FD1307"], 2);
    let peer = fake_peer::tcp(answer(response(b"Status: 401 Unauthorized\r\n\r\n")));
    assert_codes(&probe(&peer.target, &[]), &["FD1308"], 1);
}

#[test]
fn endless_stream_is_counted_not_kept() {
    // The peer streams as fast as it can; the probe must keep at most
    // --max-body, stop at the deadline, and stay far below the memory cap.
    let peer = fake_peer::tcp(|conn| {
        if read_past_get_values(conn).is_some() {
            let _ = conn.write_all(&record(RecordType::Stdout, 1, b"Content-Type: x\r\n\r\n"));
            let chunk = record(RecordType::Stdout, 1, &[b'a'; 65528]);
            let started = std::time::Instant::now();
            while started.elapsed() < Duration::from_secs(5) {
                if conn.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
    });
    let run = fcgi_doctor([
        "probe",
        &peer.target,
        "--no-get-values",
        "--format",
        "json",
        "--timeout",
        "1500ms",
        "--max-body",
        "64K",
    ])
    .memory_limit(256 << 20)
    .run();
    assert_codes(&run, &["FD1102"], 2);
    let response = &run.json()["response"];
    assert_eq!(response["body_truncated"], true);
    assert!(
        response["body_bytes"].as_u64().unwrap() > 1 << 20,
        "{response}"
    );
}

#[test]
fn get_values_answer_is_reported() {
    let peer = fake_peer::tcp(|conn| {
        let req = fake_peer::read_request(conn);
        if req.get_values {
            let body =
                fcgi::encode_pairs(&[("FCGI_MAX_CONNS", "10"), ("FCGI_MPXS_CONNS", "0")]).unwrap();
            let _ = conn.write_all(&record(RecordType::GetValuesResult, 0, &body));
        } else if !req.eof {
            let _ = conn.write_all(&response(b"\r\nok"));
        }
    });
    let run = probe_json(&peer.target, &[]);
    assert_codes(&run, &[], 0);
    let json = run.json();
    assert_eq!(json["values"]["FCGI_MAX_CONNS"], "10");
    assert_eq!(json["values"]["FCGI_MPXS_CONNS"], "0");
    assert!(json["timings_ms"]["get_values"].as_f64().is_some());
}

#[test]
fn get_values_unanswered_or_rejected_is_only_info() {
    // Closing on GET_VALUES, like flup under Python 3.
    let peer = fake_peer::tcp(answer(response(b"\r\nok")));
    let run = probe_json(&peer.target, &[]);
    assert_codes(&run, &["FD1401"], 0);
    assert_eq!(run.json()["values"], serde_json::Value::Null);

    let rejecting = fake_peer::tcp(|conn| {
        let req = fake_peer::read_request(conn);
        if req.get_values {
            let _ = conn.write_all(&record(
                RecordType::UnknownType,
                0,
                &[9, 0, 0, 0, 0, 0, 0, 0],
            ));
        } else if !req.eof {
            let _ = conn.write_all(&response(b"\r\nok"));
        }
    });
    assert_codes(&probe_json(&rejecting.target, &[]), &["FD1402"], 0);

    // A hostile answer: a pair length far past the record.
    let hostile = fake_peer::tcp(|conn| {
        let req = fake_peer::read_request(conn);
        if req.get_values {
            let _ = conn.write_all(&record(
                RecordType::GetValuesResult,
                0,
                &[0xff, 0xff, 0xff, 0xff, 1],
            ));
        } else if !req.eof {
            let _ = conn.write_all(&response(b"\r\nok"));
        }
    });
    let run = probe_json(&hostile.target, &[]);
    assert_codes(&run, &["FD1401"], 0);
}

/// Runs `check` with a TCP peer (`None`) and with a unix socket peer.
fn on_both_transports(check: impl Fn(Option<&std::path::Path>)) {
    let dir = tempfile::tempdir().unwrap();
    check(None);
    check(Some(&dir.path().join("peer.sock")));
}

/// Answers FCGI_GET_VALUES as php-fpm does (FCGI_MPXS_CONNS=0).
fn answer_get_values(conn: &mut dyn fake_peer::Conn) {
    let body = fcgi::encode_pairs(&[("FCGI_MPXS_CONNS", "0")]).unwrap();
    let _ = conn.write_all(&record(RecordType::GetValuesResult, 0, &body));
}

/// A peer that counts its connections and the requests it reads to the end.
fn counting_peer(
    unix: Option<&std::path::Path>,
    behaviour: impl Fn(&mut dyn fake_peer::Conn, &AtomicUsize) + Send + Sync + 'static,
) -> (fake_peer::FakePeer, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let connections = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(AtomicUsize::new(0));
    let (c, r) = (connections.clone(), requests.clone());
    let serve = move |conn: &mut dyn fake_peer::Conn| {
        c.fetch_add(1, Ordering::SeqCst);
        behaviour(conn, &r);
    };
    let peer = match unix {
        Some(path) => fake_peer::unix(path, serve),
        None => fake_peer::tcp(serve),
    };
    (peer, connections, requests)
}

/// The probe reported `connections`, the peer counted as many (and one more
/// for the web user's connect of a root probe of a unix socket), and it read
/// the request exactly once.
fn assert_seen(
    run: &crate::util::Run,
    connections: &AtomicUsize,
    requests: &AtomicUsize,
    want: usize,
    unix: Option<&std::path::Path>,
) {
    let json = run.json();
    assert_eq!(json["connections"], want, "{unix:?}");
    let access_check = usize::from(json["access"]["connect_as_user"] == "connected");
    assert_eq!(
        access_check,
        usize::from(unix.is_some() && crate::util::is_root())
    );
    // The peer counts in its own threads: wait for the count to settle.
    let expected = want + access_check;
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while connections.load(Ordering::SeqCst) < expected && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(connections.load(Ordering::SeqCst), expected, "{unix:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 1, "{unix:?}");
}

/// Reads one whole request, counting it; false at end of file.
fn read_counted(conn: &mut dyn fake_peer::Conn, requests: &AtomicUsize) -> bool {
    let req = fake_peer::read_request(conn);
    let whole = !req.get_values && !req.eof;
    if whole {
        requests.fetch_add(1, Ordering::SeqCst);
    }
    whole
}

#[test]
fn request_follows_get_values_on_its_connection() {
    // php-fpm since the fix of PHP bug #76922, and flup 1.0.3: one connection.
    on_both_transports(|unix| {
        let (peer, connections, requests) = counting_peer(unix, |conn, requests| {
            if fake_peer::read_request(conn).get_values {
                answer_get_values(conn);
                if read_counted(conn, requests) {
                    let _ = conn.write_all(&response(b"\r\nok"));
                }
            }
        });
        let run = probe_json(&peer.target, &[]);
        assert_codes(&run, &[], 0);
        let json = run.json();
        assert_eq!(json["values"]["FCGI_MPXS_CONNS"], "0");
        assert_seen(&run, &connections, &requests, 1, unix);
    });
}

#[test]
fn backend_closing_after_get_values_gets_the_request_on_a_new_connection() {
    // php-fpm before the fix of PHP bug #76922: answers, then closes at once.
    on_both_transports(|unix| {
        let (peer, connections, requests) = counting_peer(unix, |conn, requests| {
            let req = fake_peer::read_request(conn);
            if req.get_values {
                answer_get_values(conn);
            } else if !req.eof {
                requests.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(&response(b"\r\nok"));
            }
        });
        let run = probe_json(&peer.target, &[]);
        assert_codes(&run, &[], 0);
        let json = run.json();
        assert_eq!(json["values"]["FCGI_MPXS_CONNS"], "0");
        assert_seen(&run, &connections, &requests, 2, unix);
    });
}

#[test]
fn request_left_unread_is_sent_again_on_a_new_connection() {
    // The close comes after the request was sent, with the request unread:
    // the kernel resets the connection, so the backend never saw it.
    on_both_transports(|unix| {
        let (peer, connections, requests) = counting_peer(unix, |conn, requests| {
            let req = fake_peer::read_request(conn);
            if req.get_values {
                answer_get_values(conn);
                std::thread::sleep(Duration::from_millis(200));
            } else if !req.eof {
                requests.fetch_add(1, Ordering::SeqCst);
                let _ = conn.write_all(&response(b"\r\nok"));
            }
        });
        let run = probe_json(&peer.target, &[]);
        assert_codes(&run, &[], 0);
        assert_seen(&run, &connections, &requests, 2, unix);
    });
}

#[test]
fn request_read_and_dropped_is_never_sent_twice() {
    // A backend that reads the request and dies without a byte: the finding
    // is about it, and it saw the request once.
    on_both_transports(|unix| {
        let (peer, connections, requests) = counting_peer(unix, |conn, requests| {
            let req = fake_peer::read_request(conn);
            if req.get_values {
                answer_get_values(conn);
                read_counted(conn, requests);
            } else if !req.eof {
                requests.fetch_add(1, Ordering::SeqCst);
            }
        });
        let run = probe_json(&peer.target, &[]);
        assert_codes(&run, &["FD1103"], 2);
        let message = run.finding("FD1103")["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains("read the request and closed"), "{message}");
        assert_seen(&run, &connections, &requests, 1, unix);
    });
}

#[test]
fn terminal_escapes_from_the_peer_never_reach_the_terminal() {
    let mut bytes = record(RecordType::Stderr, 1, b"\x1b]0;pwned\x07\x1b[2J evil");
    bytes.extend(response(b"X-Evil: \x1b[31mred\r\n\r\nbody \x1b[5m"));
    let peer = fake_peer::tcp(answer(bytes));
    let run = fcgi_doctor(["probe", &peer.target, "--no-get-values", "--color", "never"]).run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        !run.stdout.contains('\x1b'),
        "raw escape in:\n{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\x07'));
    assert!(run.stdout.contains("\\x1b"), "{}", run.stdout);
}

#[test]
fn name_with_several_addresses_tries_each() {
    // localhost resolves to ::1 and 127.0.0.1 on most hosts; the peer listens on
    // 127.0.0.1 only, so a refused ::1 must not end the probe.
    let peer = fake_peer::tcp(answer(response(b"\r\nok")));
    let port = peer.target.rsplit(':').next().unwrap();
    let run = probe(&format!("localhost:{port}"), &[]);
    assert_codes(&run, &[], 0);
    assert_eq!(run.json()["peer"], format!("127.0.0.1:{port}"));
}

#[test]
fn ipv6_literal_target() {
    let Ok(listener) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipped, because this host has no IPv6 loopback");
        return;
    };
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = fake_peer::read_request(&mut s);
        let _ = s.write_all(&response(b"\r\nv6"));
    });
    let run = probe(&format!("[::1]:{port}"), &[]);
    assert_codes(&run, &[], 0);
    assert_eq!(run.json()["target"], format!("[::1]:{port}"));
}

#[test]
fn slow_reader_peer_still_gets_heard() {
    // The peer answers before reading a large body and never reads it: the
    // probe must not block on writing and must report the answer.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let _ = s.write_all(&response(b"Status: 413 Too Large\r\n\r\n"));
        std::thread::sleep(Duration::from_secs(3));
    });
    let big = "x".repeat(8 << 20);
    let run = fcgi_doctor([
        "probe",
        &target,
        "--no-get-values",
        "--format",
        "json",
        "--body",
        "-",
        "--timeout",
        "2s",
    ])
    .stdin_bytes()
    .run_with_input(big.as_bytes());
    assert_eq!(run.codes(), ["FD1308"], "{}", run.stdout);
}

/// Reads one request's records up to the end of the last stream it expects
/// (STDIN, or DATA for a filter), returning (role, stdin seen, data).
fn read_role_request(conn: &mut dyn fake_peer::Conn) -> (u16, bool, Vec<u8>) {
    let (mut buf, mut chunk) = (Vec::new(), [0u8; 4096]);
    let (mut role, mut stdin_seen, mut data) = (0u16, false, Vec::new());
    loop {
        while let Ok(fcgi::Decoded::Record(r, used)) = fcgi::decode(&buf) {
            let (rtype, content) = (r.header.record_type, r.content.to_vec());
            buf.drain(..used);
            match rtype {
                RecordType::BeginRequest => role = u16::from_be_bytes([content[0], content[1]]),
                RecordType::Stdin => stdin_seen = true,
                RecordType::Data if content.is_empty() => return (role, stdin_seen, data),
                RecordType::Data => data.extend_from_slice(&content),
                RecordType::Params if content.is_empty() && role == 2 => {
                    return (role, stdin_seen, data)
                }
                _ => {}
            }
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => return (role, stdin_seen, data),
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

#[test]
fn a_filter_gets_its_data_and_an_authorizer_no_stdin() {
    let peer = fake_peer::tcp(|conn| {
        let (role, stdin_seen, data) = read_role_request(conn);
        let body = format!(
            "\r\nrole={role} stdin={stdin_seen} data={}",
            String::from_utf8_lossy(&data)
        );
        let _ = conn.write_all(&response(body.as_bytes()));
    });
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.txt");
    std::fs::write(&file, "to be filtered").unwrap();
    let data = format!("@{}", file.display());
    let run = probe(&peer.target, &["--role", "filter", "--data", &data]);
    assert_codes(&run, &[], 0);
    let json = run.json();
    assert_eq!(
        json["response"]["body_preview"],
        "role=3 stdin=true data=to be filtered"
    );
    assert_eq!(json["request"]["role"], "filter");
    assert_eq!(json["request"]["data_bytes"], 14);
    assert_eq!(json["request"]["params"]["FCGI_DATA_LENGTH"], "14");

    let run = probe(&peer.target, &["--role", "authorizer"]);
    assert_codes(&run, &[], 0);
    assert_eq!(
        run.json()["response"]["body_preview"],
        "role=2 stdin=false data="
    );

    let run = crate::util::fcgi_doctor(["probe", &peer.target, "--data", "x"]).run();
    assert_eq!(run.code, 3, "--data needs --role filter");
}

#[test]
fn a_role_the_app_does_not_play_is_handler_misconfig() {
    let peer = fake_peer::tcp(|conn| {
        let _ = read_role_request(conn);
        let _ = conn.write_all(&end(0, ProtocolStatus::UnknownRole));
    });
    let run = probe(&peer.target, &["--role", "filter", "--data", "x"]);
    assert_codes(&run, &["FD1210"], 2);
    assert_eq!(run.finding("FD1210")["class"], "handler_misconfig");
}
