//! `logs` on what real servers wrote: php-fpm and nginx are driven into the
//! failures of the issue (permission-denied, missing and stale sockets, a
//! missing script, a timeout, a crash, pm.max_children reached, a terminated
//! request), and the logs they wrote are classified.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use crate::fake_peer::{self, answer, response};
use crate::servers::{self, http_get, lab_dir};
use crate::util::{fcgi_doctor, is_root};

const FASTCGI_PARAMS: &str = "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; \
     fastcgi_param SCRIPT_NAME $fastcgi_script_name; fastcgi_param REQUEST_METHOD $request_method; \
     fastcgi_param QUERY_STRING $query_string; fastcgi_param SERVER_PROTOCOL $server_protocol; \
     fastcgi_param GATEWAY_INTERFACE CGI/1.1; fastcgi_param REMOTE_ADDR $remote_addr;";

/// Waits until `file` contains `needle` (servers log asynchronously).
fn wait_for_log(file: &std::path::Path, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if std::fs::read_to_string(file).is_ok_and(|t| t.contains(needle)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!(
        "{} never logged {needle:?}:\n{}",
        file.display(),
        std::fs::read_to_string(file).unwrap_or_default()
    );
}

#[test]
fn failures_of_real_servers_are_classified_from_their_logs() {
    let fpm_bin = need!(servers::php_fpm_binary(), "php-fpm");
    let nginx_bin = need!(servers::nginx_binary(), "nginx");
    let dir = lab_dir();
    let d = dir.path();
    let fpm = servers::start_php_fpm(&fpm_bin, d);

    // Sockets for the web server's failures.
    let stale = d.join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o666)).unwrap();
    let locked = d.join("locked.sock");
    let _locked_peer = fake_peer::unix(&locked, answer(response(b"\r\nok")));
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o600)).unwrap();

    let port = servers::free_port();
    let locations = format!(
        "    location = /missing {{ fastcgi_pass unix:{d}/missing.sock; {FASTCGI_PARAMS} }}\n\
         location = /stale {{ fastcgi_pass unix:{stale}; {FASTCGI_PARAMS} }}\n\
         location = /locked {{ fastcgi_pass unix:{locked}; {FASTCGI_PARAMS} }}\n\
         location ~ \\.php$ {{ fastcgi_pass unix:{www}; fastcgi_read_timeout 1s; {FASTCGI_PARAMS} }}",
        d = d.display(),
        stale = stale.display(),
        locked = locked.display(),
        www = fpm.www_sock.display(),
    );
    let nginx = servers::start_nginx(&nginx_bin, d, port, &fpm.docroot, &locations);

    // php-fpm's own failures, straight to its pools.
    let sleepers: Vec<_> = (0..2)
        .map(|_| {
            let sock = fpm.dyn1_sock.display().to_string();
            let script = fpm.docroot.join("sleep.php").display().to_string();
            std::thread::spawn(move || {
                fcgi_doctor([
                    "probe",
                    &sock,
                    "--no-get-values",
                    "--timeout",
                    "8s",
                    "--script-filename",
                    &script,
                ])
                .run()
            })
        })
        .collect();
    let terminated = fcgi_doctor([
        "probe",
        fpm.term_sock.to_str().unwrap(),
        "--no-get-values",
        "--timeout",
        "6s",
        "--script-filename",
        fpm.docroot.join("sleep.php").to_str().unwrap(),
    ])
    .run();
    assert_eq!(
        terminated.code, 2,
        "the terminated request fails: {}",
        terminated.stdout
    );

    // The web server's failures, through nginx.
    for path in [
        "/missing",
        "/stale",
        "/nope.php",
        "/sleep.php",
        "/crash.php",
    ] {
        let status = http_get(port, path);
        assert!(
            status.contains(" 50") || status.contains(" 404"),
            "{path}: {status}"
        );
    }
    if is_root() {
        assert!(http_get(port, "/locked").contains(" 502"));
    }
    for s in sleepers {
        s.join().unwrap();
    }

    let fpm_log = fpm.server.log.clone();
    let nginx_log = nginx.log.clone();
    wait_for_log(&fpm_log, "pm.max_children");
    wait_for_log(&fpm_log, "exited on signal 11");
    wait_for_log(&fpm_log, "execution timed out");
    wait_for_log(&nginx_log, "upstream timed out");

    let run = fcgi_doctor([
        "logs",
        "--format",
        "jsonl",
        nginx_log.to_str().unwrap(),
        fpm_log.to_str().unwrap(),
    ])
    .run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    let entries: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let codes: BTreeSet<String> = entries
        .iter()
        .map(|e| e["code"].as_str().unwrap().to_string())
        .collect();
    let classes: BTreeSet<String> = entries
        .iter()
        .map(|e| e["class"].as_str().unwrap().to_string())
        .collect();
    let logs = format!(
        "{}\n{}",
        std::fs::read_to_string(&nginx_log).unwrap_or_default(),
        std::fs::read_to_string(&fpm_log).unwrap_or_default()
    );
    let expect = |code: &str, what: &str| {
        assert!(
            codes.contains(code),
            "{what}: {code} not in {codes:?}\n{logs}"
        );
    };
    expect("FD2002", "nginx: missing socket");
    expect("FD2003", "nginx: stale socket");
    expect("FD2051", "nginx: missing script (Primary script unknown)");
    expect("FD2013", "nginx: fastcgi_read_timeout");
    expect("FD2136", "php-fpm: worker killed by SIGSEGV");
    expect("FD2236", "php-fpm: pm.max_children reached");
    expect("FD2189", "php-fpm: request_terminate_timeout");
    if is_root() {
        expect("FD2001", "nginx: socket 0600 root, workers www-data");
    }
    for class in [
        "socket_missing_or_refused",
        "script_not_found",
        "timeout",
        "app_crashed",
        "capacity_exhaustion",
    ] {
        assert!(classes.contains(class), "{class} in {classes:?}");
    }
    // Every entry comes from one of the two files, with the server it names.
    for e in &entries {
        assert!(
            ["nginx", "php-fpm"].contains(&e["server"].as_str().unwrap()),
            "{e}"
        );
    }
}
