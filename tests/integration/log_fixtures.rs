//! Every fixture line of fixtures/logs is classified as expected: code per line,
//! envelope by envelope, server by server.

use crate::util::fcgi_doctor;

/// (first line, code) of every entry `logs` must report for a fixture, in order.
fn classified(file: &str) -> Vec<(u64, String, String)> {
    let path = format!("{}/fixtures/logs/{file}", env!("CARGO_MANIFEST_DIR"));
    let run = fcgi_doctor(["logs", "--format", "jsonl", &path]).run();
    assert!(run.code < 3, "{file}: {}", run.stderr);
    run.stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["line"].as_u64().unwrap(),
                v["code"].as_str().unwrap().to_string(),
                v["server"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn assert_codes(file: &str, want: &[(u64, &str)]) {
    let got: Vec<(u64, String)> = classified(file)
        .into_iter()
        .map(|(l, c, _)| (l, c))
        .collect();
    let want: Vec<(u64, String)> = want.iter().map(|(l, c)| (*l, c.to_string())).collect();
    assert_eq!(got, want, "{file}");
}

#[test]
fn seed_documents_every_line_recognised() {
    // Lines 2-9 are mod_python, mod_wsgi and Apache's own startup lines.
    assert_codes(
        "seeds-apache22.log",
        &[
            (1, "FD2548"),  // process manager initialized
            (10, "FD2551"), // (dynamic) server started
            (11, "FD2254"), // reached dynamicMaxClassProcs
            (12, "FD2551"),
            (13, "FD2544"), // restarting old server processes, newer version found
            (14, "FD2254"),
            (15, "FD2014"), // exit status 0: a clean exit, whatever the row says
            (16, "FD2551"),
            (17, "FD2108"), // access for server not allowed: the appended reason
            (18, "FD2162"), // failed to remain running ... backed off to 600 seconds
            (19, "FD2001"), // (13)Permission denied: failed to connect
            (20, "FD2185"), // incomplete headers (0 bytes)
            (21, "FD2002"), // No such file or directory: failed to connect
            (22, "FD2221"), // "ExecCGI Option" is off
            (23, "FD2064"), // server stderr: SOME TEXT
            (24, "FD2198"), // (first read) idle timeout
        ],
    );
}

#[test]
fn apache24_mod_proxy_fcgi() {
    assert_codes(
        "apache24-proxy-fcgi.log",
        &[
            (1, "FD2002"),
            (2, "FD2117"),
            (3, "FD2001"),
            (4, "FD2117"),
            (5, "FD2003"),
            (6, "FD2051"),
            (7, "FD2181"),
            (8, "FD2011"),
            (9, "FD2013"),
            (10, "FD2057"),
        ],
    );
    let servers: Vec<String> = classified("apache24-proxy-fcgi.log")
        .into_iter()
        .map(|(_, _, s)| s)
        .collect();
    assert!(servers.iter().all(|s| s == "apache24"), "{servers:?}");
}

#[test]
fn apache24_mod_fcgid_with_unprefixed_child_output() {
    assert_codes(
        "apache24-fcgid.log",
        &[(1, "FD2193"), (2, "FD2183"), (7, "FD2011")],
    );
    let path = format!(
        "{}/fixtures/logs/apache24-fcgid.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let run = fcgi_doctor(["logs", "--format", "jsonl", &path]).run();
    let second: serde_json::Value =
        serde_json::from_str(run.stdout.lines().nth(1).unwrap()).unwrap();
    assert_eq!(second["end_line"], 6, "the traceback belongs to the entry");
    assert!(second["message"]
        .as_str()
        .unwrap()
        .contains("ModuleNotFoundError"));
    assert_eq!(second["cause"], 1, "the read timeout caused it");
}

#[test]
fn nginx_fastcgi_upstreams_only() {
    assert_codes(
        "nginx.log",
        &[
            (1, "FD2001"),
            (2, "FD2002"),
            (3, "FD2003"),
            (4, "FD2004"),
            (5, "FD2013"),
            (6, "FD2011"),
            (7, "FD2051"),
            (8, "FD2055"), // two physical lines; the fatal error outranks the warning
            (10, "FD2140"),
        ],
    );
}

#[test]
fn php_fpm_own_log() {
    assert_codes(
        "php-fpm.log",
        &[
            (1, "FD2506"),
            (2, "FD2505"),
            (3, "FD2236"),
            (4, "FD2136"),
            (5, "FD2189"),
            (6, "FD2136"),
            (7, "FD2056"),
            (8, "FD2311"), // unable to bind: was missed before the catalogue grew
            (9, "FD2320"),
        ],
    );
}

#[test]
fn collector_envelopes() {
    let got = classified("envelopes.log");
    let want = [
        (1, "FD2236", "syslog"),
        (2, "FD2136", "php-fpm"),
        (3, "FD2001", "nginx"),
        (4, "FD2236", "php-fpm"),
        (5, "FD2117", "apache24"),
        (6, "FD2051", "unknown"),
    ];
    let got: Vec<(u64, &str, &str)> = got
        .iter()
        .map(|(l, c, s)| (*l, c.as_str(), s.as_str()))
        .collect();
    assert_eq!(got, want);
}
