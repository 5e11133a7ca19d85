//! `probe` on unix socket paths and TCP ports that fail before FastCGI starts:
//! each failure named with the component that causes it.

use std::os::fd::AsRawFd;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use crate::fake_peer::{self, answer, response};
use crate::util::{fcgi_doctor, is_root, probe_json};

fn assert_finding(run: &crate::util::Run, code: &str, class: &str, exit: i32) -> String {
    assert_eq!(
        run.codes(),
        [code],
        "stdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, exit);
    let f = run.finding(code);
    assert_eq!(f["class"], class);
    f["message"].as_str().unwrap().to_string()
}

#[test]
fn missing_socket_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fpm.sock");
    let run = probe_json(path.to_str().unwrap(), &[]);
    let msg = assert_finding(&run, "FD1001", "socket_missing_or_refused", 2);
    assert!(msg.contains("does not exist"), "{msg}");
}

#[test]
fn missing_socket_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("php");
    let path = missing.join("fpm.sock");
    let run = probe_json(&format!("unix:{}:", path.display()), &[]);
    let msg = assert_finding(&run, "FD1002", "socket_missing_or_refused", 2);
    assert!(
        msg.contains(&format!("{} does not exist", missing.display())),
        "{msg}"
    );
}

#[test]
fn regular_file_is_not_a_socket() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("php-fpm.pid");
    std::fs::write(&path, "123\n").unwrap();
    let run = probe_json(path.to_str().unwrap(), &[]);
    let msg = assert_finding(&run, "FD1003", "socket_missing_or_refused", 2);
    assert!(msg.contains("a regular file"), "{msg}");
    let dir_run = probe_json(dir.path().to_str().unwrap(), &[]);
    assert!(dir_run.finding("FD1003")["message"]
        .as_str()
        .unwrap()
        .contains("a directory"));
}

#[test]
fn stale_socket_nobody_listens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists(), "the listener leaves its file behind");
    let run = probe_json(path.to_str().unwrap(), &[]);
    let msg = assert_finding(&run, "FD1004", "socket_missing_or_refused", 2);
    assert!(msg.contains("nobody listens"), "{msg}");
    assert!(run.finding("FD1004")["fix"]
        .as_str()
        .unwrap()
        .contains(&format!("rm {}", path.display())));
}

#[test]
fn tcp_port_with_nothing_listening() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let run = probe_json(&format!("tcp://127.0.0.1:{port}"), &[]);
    let msg = assert_finding(&run, "FD1005", "socket_missing_or_refused", 2);
    assert!(msg.contains("connection refused"), "{msg}");
}

#[test]
fn unresolvable_host() {
    let run = probe_json("no-such-host.invalid:9000", &["--connect-timeout", "1s"]);
    assert_finding(&run, "FD1010", "socket_missing_or_refused", 2);
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
}

#[test]
fn socket_mode_denies_the_web_user() {
    if !is_root() {
        eprintln!("skipped, because --as-user needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = dir.path().join("locked.sock");
    let peer = fake_peer::unix(&path, answer(response(b"\r\nok")));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let run = probe_json(&peer.target, &["--as-user", "nobody", "--no-get-values"]);
    let msg = assert_finding(&run, "FD1006", "permission_denied", 2);
    assert!(msg.contains("srw------- root:root"), "{msg}");
    assert!(msg.contains("nobody has no write permission"), "{msg}");
    // Root connects and gets its answer where the web server cannot: a root
    // probe checks the web user's access too, in a connect of its own.
    let root = probe_json(&peer.target, &["--no-get-values"]);
    let msg = assert_finding(&root, "FD1006", "permission_denied", 2);
    let json = root.json();
    let web_user = json["access"]["user"].as_str().unwrap().to_string();
    assert!(
        msg.contains(&format!("{web_user} has no write permission")),
        "{msg}"
    );
    assert!(msg.contains("confirmed: connect() as"), "{msg}");
    assert_eq!(json["access"]["connect_as_user"], "EACCES");
    assert!(json["access"]["source"]
        .as_str()
        .is_some_and(|s| !s.is_empty()));
    assert_eq!(
        json["response"]["status"], 200,
        "root's own request was answered"
    );
    // Opened to everyone, the same probe is clean.
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let ok = probe_json(&peer.target, &["--no-get-values"]);
    assert_eq!(ok.codes(), Vec::<String>::new(), "{}", ok.stdout);
    assert_eq!(ok.json()["access"]["connect_as_user"], "connected");
    // An explicit --as-user is the user checked, and says so.
    let explicit = probe_json(&peer.target, &["--as-user", "nobody", "--no-get-values"]);
    assert_eq!(explicit.json()["access"]["user"], "nobody");
    assert_eq!(explicit.json()["access"]["source"], "--as-user");
}

#[test]
fn parent_directory_denies_the_web_user() {
    if !is_root() {
        eprintln!("skipped, because --as-user needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    let path = private.join("app.sock");
    let _peer = fake_peer::unix(&path, answer(response(b"\r\nok")));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let run = probe_json(path.to_str().unwrap(), &["--as-user", "nobody"]);
    let msg = assert_finding(&run, "FD1007", "permission_denied", 2);
    assert!(
        msg.contains(&format!("the directory {}", private.display())),
        "{msg}"
    );
    assert!(msg.contains("drwx------"), "{msg}");
    let fix = run.finding("FD1007")["fix"].as_str().unwrap().to_string();
    assert!(
        fix.contains(&format!("chmod o+x {}", private.display())),
        "{fix}"
    );
}

#[test]
fn full_listen_queue_on_a_unix_socket() {
    use nix::sys::socket::{self, AddressFamily, Backlog, SockFlag, SockType, UnixAddr};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.sock");
    let listener = socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap();
    socket::bind(listener.as_raw_fd(), &UnixAddr::new(&path).unwrap()).unwrap();
    socket::listen(&listener, Backlog::new(1).unwrap()).unwrap();
    // Fill the queue: nobody ever accepts.
    let mut held = Vec::new();
    for _ in 0..16 {
        let fd = socket::socket(
            AddressFamily::Unix,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK,
            None,
        )
        .unwrap();
        if socket::connect(fd.as_raw_fd(), &UnixAddr::new(&path).unwrap()).is_err() {
            break;
        }
        held.push(fd);
    }
    let run = probe_json(path.to_str().unwrap(), &[]);
    assert_finding(&run, "FD1009", "capacity_exhaustion", 2);
    drop(listener);
}

#[test]
fn abstract_socket_with_no_listener() {
    let name = format!("@fcgi-doctor-test-{}", std::process::id());
    let run = probe_json(&name, &[]);
    let msg = assert_finding(&run, "FD1001", "socket_missing_or_refused", 2);
    assert!(msg.contains("abstract socket"), "{msg}");
}

#[test]
fn human_output_names_the_problem_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    // No process table: what else listens on this host (the servers of other
    // tests) stays out of the snapshot.
    let run = fcgi_doctor(["probe", path.to_str().unwrap()])
        .env("FCGI_DOCTOR_TEST_PROC", "/nonexistent-proc")
        .run();
    assert_eq!(run.code, 2);
    let shown = run
        .stdout
        .replace(&dir.path().display().to_string(), "[TMP]");
    insta::with_settings!({filters => vec![(r"\d+\.\d+ ms", "[TIME] ms")]}, {
        insta::assert_snapshot!(shown);
    });
}

#[test]
fn full_tcp_accept_queue_is_a_connect_timeout() {
    use nix::sys::socket::{self, AddressFamily, Backlog, SockFlag, SockType, SockaddrIn};
    // A listener that never accepts, with its queue filled: the kernel drops
    // further SYNs, so connect() hangs, the way a saturated backend does.
    let listener = socket::socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::empty(),
        None,
    )
    .unwrap();
    socket::bind(listener.as_raw_fd(), &SockaddrIn::new(127, 0, 0, 1, 0)).unwrap();
    socket::listen(&listener, Backlog::new(0).unwrap()).unwrap();
    let addr: SockaddrIn = socket::getsockname(listener.as_raw_fd()).unwrap();
    let mut held = Vec::new();
    for _ in 0..8 {
        let fd = socket::socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK,
            None,
        )
        .unwrap();
        let _ = socket::connect(fd.as_raw_fd(), &addr);
        held.push(fd);
    }
    std::thread::sleep(Duration::from_millis(300));
    let run = probe_json(
        &format!("127.0.0.1:{}", addr.port()),
        &["--connect-timeout", "500ms"],
    );
    assert_finding(&run, "FD1008", "timeout", 2);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
}
