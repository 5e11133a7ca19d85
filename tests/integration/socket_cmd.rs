//! `socket` through the real binary: real listeners (this test process, php-fpm,
//! flup), and every odd thing that can sit at a socket path.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;

use crate::servers::{self, lab_dir};
use crate::util::{fcgi_doctor, is_root, require, Run};

fn socket_json(targets: &[&str], extra: &[&str]) -> Run {
    let mut args = vec!["socket", "--format", "json"];
    args.extend_from_slice(targets);
    args.extend_from_slice(extra);
    fcgi_doctor(args).run()
}

/// `socket --format json TARGET --web-user USER`, run as nobody.
fn socket_json_as_nobody(target: &str, web_user: &str) -> Run {
    fcgi_doctor(["socket", "--format", "json", target, "--web-user", web_user])
        .run_as_nobody()
        .run()
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn target(run: &Run, i: usize) -> serde_json::Value {
    run.json()["targets"][i].clone()
}

#[test]
fn a_healthy_socket_names_its_listener_and_every_component() {
    let dir = lab_dir();
    let path = dir.path().join("ok.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    chmod(&path, 0o666);
    let run = socket_json(&[path.to_str().unwrap()], &["--web-user", "nobody"]);
    // 0666 lets every local user in: that is the one thing to say.
    assert_eq!(run.codes(), ["FD3003"], "{}", run.stdout);
    assert_eq!(run.code, 1);
    let t = target(&run, 0);
    assert_eq!(t["file_type"], "socket");
    let components = t["components"].as_array().unwrap();
    assert_eq!(components[0]["path"], "/");
    let last = components.last().unwrap();
    assert_eq!(last["path"], path.to_str().unwrap());
    assert_eq!(last["mode"], "0666");
    assert_eq!(last["permissions"], "srw-rw-rw-");
    let listener = &t["listeners"][0];
    assert_eq!(listener["pid"], std::process::id());
    assert_eq!(listener["owns_path"], true);
    assert_eq!(t["access"]["allowed_by_modes"], true);
    if is_root() {
        assert_eq!(t["access"]["connect_as_user"], "connected");
    }
    assert_eq!(run.json()["web_user"]["source"], "--web-user");
}

#[test]
fn a_root_only_socket_denies_the_web_user_and_a_connect_confirms_it() {
    if !require(is_root(), "root (to own a socket another user cannot use)") {
        return;
    }
    let dir = lab_dir();
    let path = dir.path().join("locked.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    chmod(&path, 0o600);
    let run = socket_json(&[path.to_str().unwrap()], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD1006"], "{}", run.stdout);
    assert_eq!(run.code, 2);
    let f = run.finding("FD1006");
    assert_eq!(f["class"], "permission_denied");
    let msg = f["message"].as_str().unwrap();
    assert!(msg.contains("srw------- root:root"), "{msg}");
    assert!(
        msg.contains("confirmed: connect() as nobody failed with EACCES"),
        "{msg}"
    );
    let t = target(&run, 0);
    assert_eq!(t["access"]["denied_by"], path.to_str().unwrap());
    assert_eq!(t["access"]["missing_permission"], "write");
    assert_eq!(t["access"]["connect_as_user"], "EACCES");
    // Root's own group is never offered as the fix.
    let fix = f["fix"].as_str().unwrap();
    assert!(!fix.contains("usermod -aG root"), "{fix}");
}

#[test]
fn an_acl_that_grants_the_web_user_is_not_a_denial() {
    // php-fpm's listen.acl_users grants through an ACL, not the mode bits.
    if !require(is_root(), "root (to own a socket another user cannot use)") {
        return;
    }
    if !require(
        std::process::Command::new("setfacl")
            .arg("--version")
            .output()
            .is_ok(),
        "setfacl (apt-get install acl)",
    ) {
        return;
    }
    let dir = lab_dir();
    let path = dir.path().join("acl.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    chmod(&path, 0o600);
    let status = std::process::Command::new("setfacl")
        .args(["-m", "u:nobody:rw"])
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let run = socket_json(&[path.to_str().unwrap()], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), Vec::<String>::new(), "{}", run.stdout);
    let t = target(&run, 0);
    assert_eq!(t["access"]["allowed_by_modes"], false);
    assert_eq!(t["access"]["connect_as_user"], "connected");
    assert!(run.json()["notes"]
        .to_string()
        .contains("an ACL grants access"));
    // Without root there is no connect to settle it: a note, not a finding.
    let run = socket_json_as_nobody(path.to_str().unwrap(), "www-data");
    assert!(
        !run.codes().contains(&"FD1006".to_string()),
        "{}",
        run.stdout
    );
}

#[test]
fn a_directory_without_search_permission_is_named() {
    if !require(
        is_root(),
        "root (to make a directory another user cannot search)",
    ) {
        return;
    }
    let dir = lab_dir();
    let private = dir.path().join("private");
    std::fs::create_dir(&private).unwrap();
    let path = private.join("app.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    chmod(&path, 0o660);
    chmod(&private, 0o700);
    let run = socket_json(&[path.to_str().unwrap()], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD1007"], "{}", run.stdout);
    let t = target(&run, 0);
    assert_eq!(t["access"]["denied_by"], private.to_str().unwrap());
    assert_eq!(t["access"]["missing_permission"], "search");
    let fix = run.finding("FD1007")["fix"].as_str().unwrap().to_string();
    assert!(
        fix.contains(&format!("chmod o+x {}", private.display())),
        "{fix}"
    );
}

#[test]
fn a_socket_file_nobody_listens_on_is_stale() {
    let dir = lab_dir();
    let path = dir.path().join("stale.sock");
    drop(UnixListener::bind(&path).unwrap());
    let run = socket_json(&[path.to_str().unwrap()], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD1004"], "{}", run.stdout);
    assert_eq!(run.code, 2);
    let t = target(&run, 0);
    assert_eq!(t["listeners"], serde_json::json!([]));
    let fix = run.finding("FD1004")["fix"].as_str().unwrap().to_string();
    assert!(fix.contains(&format!("rm {}", path.display())), "{fix}");
}

#[test]
fn odd_things_at_the_path() {
    let dir = lab_dir();
    let d = dir.path();
    let fifo = d.join("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let file = d.join("file");
    std::fs::write(&file, "x").unwrap();
    let loop_a = d.join("loop-a");
    std::os::unix::fs::symlink(d.join("loop-b"), &loop_a).unwrap();
    std::os::unix::fs::symlink(&loop_a, d.join("loop-b")).unwrap();
    let dangling = d.join("dangling");
    std::os::unix::fs::symlink(d.join("nowhere.sock"), &dangling).unwrap();
    let missing_dir = d.join("no-dir/app.sock");
    let shown: Vec<String> = [&fifo, &file, &loop_a, &dangling, &missing_dir]
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let mut targets: Vec<&str> = shown.iter().map(String::as_str).collect();
    targets.push("/dev/null");
    targets.push(d.to_str().unwrap());
    let run = socket_json(&targets, &["--web-user", "nobody"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let messages: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["code"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |code: &str, text: &str| {
        assert!(
            messages
                .iter()
                .any(|m| m.starts_with(code) && m.contains(text)),
            "no {code} with {text:?} in {messages:#?}"
        );
    };
    has("FD1003", "is a FIFO, not a socket");
    has("FD1003", "is a regular file, not a socket");
    has("FD1003", "symlink loop");
    has(
        "FD1001",
        &format!("dangling symlink to {}", d.join("nowhere.sock").display()),
    );
    has(
        "FD1002",
        &format!(
            "the directory {} does not exist",
            d.join("no-dir").display()
        ),
    );
    has("FD1003", "/dev/null is a device, not a socket");
    has("FD1003", "is a directory, not a socket");
    assert_eq!(target(&run, 3)["file_type"], "symlink");
    assert_eq!(target(&run, 4)["file_type"], "missing");
}

#[test]
fn a_symlink_to_a_live_socket_is_followed_and_shown() {
    let dir = lab_dir();
    let real = dir.path().join("real.sock");
    let _listener = UnixListener::bind(&real).unwrap();
    chmod(&real, 0o660);
    let link = dir.path().join("link.sock");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let run = socket_json(&[link.to_str().unwrap()], &["--web-user", "root"]);
    assert_eq!(run.codes(), Vec::<String>::new(), "{}", run.stdout);
    let t = target(&run, 0);
    assert_eq!(t["file_type"], "symlink");
    assert_eq!(t["symlink_target"], real.to_str().unwrap());
    assert_eq!(t["listeners"][0]["pid"], std::process::id());
}

#[test]
fn a_socket_reached_through_a_symlinked_directory_keeps_its_listener() {
    // Like /var/run -> /run: the kernel knows the socket by the path it was
    // bound as, the user types the other one.
    let dir = lab_dir();
    let real = dir.path().join("run");
    std::fs::create_dir(&real).unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("var-run")).unwrap();
    let _listener = UnixListener::bind(real.join("app.sock")).unwrap();
    let via_link = dir.path().join("var-run/app.sock");
    let run = socket_json(&[via_link.to_str().unwrap()], &["--web-user", "root"]);
    let t = target(&run, 0);
    assert_eq!(t["listeners"][0]["pid"], std::process::id(), "{t:#}");
    assert_eq!(t["listeners"][0]["owns_path"], true);
    let kinds: Vec<&str> = t["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["file_type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"symlink"), "{kinds:?}");
    assert_eq!(kinds.last(), Some(&"socket"));
}

#[test]
fn a_socket_name_holding_a_newline_cannot_fake_a_listener() {
    // Any local user may bind an abstract socket with any bytes in its name;
    // /proc/net/unix prints it raw, so a newline forges a line of the table.
    use std::os::linux::net::SocketAddrExt;
    let dir = lab_dir();
    let path = dir.path().join("real.sock");
    let _real = UnixListener::bind(&path).unwrap();
    let forged = format!(
        "x\n0000000000000000: 00000002 00000000 00010000 0001 01 99999 {}",
        path.display()
    );
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(forged.as_bytes()).unwrap();
    let _forger = UnixListener::bind_addr(&addr).unwrap();
    let run = socket_json(&[path.to_str().unwrap()], &["--web-user", "root"]);
    assert_eq!(run.codes(), Vec::<String>::new(), "{}", run.stdout);
    assert_eq!(target(&run, 0)["listeners"].as_array().unwrap().len(), 1);
    let ps = fcgi_doctor(["ps", "--format", "json"]).run();
    let subject = format!("unix:{}", path.display());
    assert!(
        !ps.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["subject"] == subject.as_str()),
        "{}",
        ps.stdout
    );
}

#[test]
fn an_unresolvable_host_is_a_finding_not_a_hang() {
    let run = socket_json(&["no-such-host.invalid:9000"], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD1010"], "{}", run.stdout);
    assert!(
        run.elapsed < std::time::Duration::from_secs(5),
        "{:?}",
        run.elapsed
    );
}

#[test]
fn bad_arguments_are_one_line_and_unknown() {
    let long = format!("/{}", "x".repeat(200));
    for args in [
        vec!["socket"],
        vec!["socket", long.as_str()],
        vec!["socket", "/tmp/x.sock", "--web-user", "no-such-user-here"],
        vec!["socket", "bad:port:here"],
    ] {
        let run = fcgi_doctor(&args).run();
        assert_eq!(run.code, 3, "{args:?}: {}", run.stderr);
        assert_eq!(
            run.stderr.trim().lines().count(),
            1,
            "{args:?}: {}",
            run.stderr
        );
        assert!(run.stdout.is_empty(), "{args:?}: {}", run.stdout);
    }
}

#[test]
fn abstract_sockets_have_listeners_but_no_file() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("fcgi-doctor-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&addr).unwrap();
    let run = socket_json(&[&format!("@{name}")], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), Vec::<String>::new(), "{}", run.stdout);
    let t = target(&run, 0);
    assert_eq!(t["kind"], "abstract");
    assert_eq!(t["listeners"][0]["pid"], std::process::id());
    assert_eq!(t["listeners"][0]["address"], format!("unix:@{name}"));
    drop(listener);
    let run = socket_json(&[&format!("@{name}")], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD1001"], "{}", run.stdout);
}

#[test]
fn a_backend_on_a_public_address_is_an_exposure() {
    // Bound to every address but never accepting: nothing can be done with it
    // during the few milliseconds of this test.
    let listener = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let run = socket_json(&[&format!("127.0.0.1:{port}")], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD3004"], "{}", run.stdout);
    assert_eq!(run.code, 2);
    let f = run.finding("FD3004");
    assert_eq!(f["class"], "security_exposure");
    assert!(f["message"]
        .as_str()
        .unwrap()
        .contains(&format!("0.0.0.0:{port}")));
    assert_eq!(target(&run, 0)["listeners"][0]["pid"], std::process::id());
    drop(listener);
    let run = socket_json(&[&format!("127.0.0.1:{port}")], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD1005"], "{}", run.stdout);
}

#[test]
fn real_php_fpm_pools_on_unix_and_tcp() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let fpm = servers::start_php_fpm(&binary, dir.path());
    let www = fpm.www_sock.to_str().unwrap();
    // The workers are forked just after the sockets appear: wait for both.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let run = loop {
        let run = socket_json(&[www, &fpm.tcp], &["--web-user", "www-data"]);
        let seen = target(&run, 0)["listeners"].as_array().map_or(0, Vec::len);
        if seen == 3 || std::time::Instant::now() > deadline {
            break run;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(run.codes(), Vec::<String>::new(), "{}", run.stdout);
    assert_eq!(run.code, 0);
    let unix = target(&run, 0);
    let pids: Vec<u64> = unix["listeners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["pid"].as_u64().unwrap())
        .collect();
    assert!(
        pids.contains(&u64::from(fpm.server.pid())),
        "the master holds the socket: {pids:?}"
    );
    // The master and the two www workers.
    assert_eq!(pids.len(), 3, "{unix:#}");
    if is_root() {
        let last = unix["components"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["owner"], "www-data");
        assert_eq!(last["mode"], "0660");
        assert_eq!(unix["access"]["connect_as_user"], "connected");
    }
    let tcp = target(&run, 1);
    assert_eq!(tcp["kind"], "tcp");
    assert_eq!(tcp["listeners"][0]["address"], fpm.tcp.as_str());
}

#[test]
fn php_fpm_on_every_address_with_allowed_clients_is_restricted() {
    let binary = need!(servers::php_fpm_binary(), "php-fpm");
    let dir = lab_dir();
    let port = servers::free_port();
    let user = if is_root() {
        "user = www-data\ngroup = www-data\n"
    } else {
        ""
    };
    let _fpm = servers::start_php_fpm_with(
        &binary,
        dir.path(),
        &format!(
            "[open]\n{user}listen = 0.0.0.0:{port}\nlisten.allowed_clients = 127.0.0.1\n\
             pm = static\npm.max_children = 1\n"
        ),
        || std::net::TcpStream::connect(("127.0.0.1", port)).is_ok(),
    );
    let run = socket_json(&[&format!("127.0.0.1:{port}")], &["--web-user", "nobody"]);
    assert_eq!(run.codes(), ["FD3005"], "{}", run.stdout);
    assert_eq!(run.code, 0, "restricted exposure is informational");
    let msg = run.finding("FD3005")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("listen.allowed_clients = 127.0.0.1"), "{msg}");
}

#[test]
fn flup_taking_over_a_live_socket_is_caught() {
    let python = need!(servers::python_with_flup(), "python3 with flup");
    let dir = lab_dir();
    let (first, sock) = servers::start_flup(&python, dir.path());
    // flup unlinks the live socket and binds again: the first instance keeps
    // running on an inode nobody can reach.
    let old_inode = std::fs::metadata(&sock).map(|m| std::os::unix::fs::MetadataExt::ino(&m));
    let (second, sock2) = servers::start_flup(&python, dir.path());
    assert_eq!(sock, sock2);
    // The old socket still answers, so wait for the file to change hands.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let inode = std::fs::metadata(&sock).map(|m| std::os::unix::fs::MetadataExt::ino(&m));
        if inode.ok() != old_inode.as_ref().ok().copied() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second flup never replaced the socket file"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let run = socket_json(&[sock.to_str().unwrap()], &["--web-user", "root"]);
    assert!(
        run.codes().contains(&"FD3001".to_string()),
        "{}",
        run.stdout
    );
    let t = target(&run, 0);
    let owner_of = |pid: u32| {
        t["listeners"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["pid"] == pid)
            .map(|l| l["owns_path"].clone())
            .unwrap_or_else(|| panic!("pid {pid} not a listener: {t:#}"))
    };
    assert_eq!(owner_of(second.pid()), true);
    assert_eq!(owner_of(first.pid()), false);
    let msg = run.finding("FD3001")["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains(&format!("pid {} (", second.pid())), "{msg}");

    // ps sees it from the kernel's table too.
    let ps = fcgi_doctor(["ps", "--format", "json"]).run();
    let json = ps.json();
    let found = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "FD3001" && f["subject"] == format!("unix:{}", sock.display()))
        .unwrap_or_else(|| panic!("no FD3001 in {}", ps.stdout));
    let message = found["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("pid {} owns the file", second.pid())),
        "{message}"
    );
}

#[test]
fn web_user_is_taken_from_running_nginx_workers() {
    if !require(is_root(), "root (nginx workers switch to www-data)") {
        return;
    }
    let nginx = need!(servers::nginx_binary(), "nginx");
    let dir = lab_dir();
    let port = servers::free_port();
    let server = servers::start_nginx(&nginx, dir.path(), port, dir.path(), "");
    let run = socket_json(&["/dev/null"], &[]);
    let user = &run.json()["web_user"];
    assert_eq!(user["name"], "www-data", "{}", run.stdout);
    let source = user["source"].as_str().unwrap();
    // Another test's nginx may be the one seen; any running nginx worker counts.
    assert!(
        source.starts_with("running nginx workers (pid "),
        "{source}"
    );
    drop(server);
}

#[test]
fn as_an_unprivileged_user_it_says_what_it_could_not_check() {
    if !require(is_root(), "root (to run the check as nobody)") {
        return;
    }
    let dir = lab_dir();
    let path = dir.path().join("root.sock");
    let _listener = UnixListener::bind(&path).unwrap();
    chmod(&path, 0o666);
    let run = socket_json_as_nobody(path.to_str().unwrap(), "www-data");
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let notes = run.json()["notes"].to_string();
    assert!(notes.contains("needs root"), "{notes}");
    assert!(notes.contains("run as root to see"), "{notes}");
    // The listener (this root process) is hidden from nobody.
    assert_eq!(
        target(&run, 0)["access"]["connect_as_user"],
        serde_json::Value::Null
    );
}
