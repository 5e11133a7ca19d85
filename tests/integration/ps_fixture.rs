//! `ps` on a `/proc` laid out by the test (`FCGI_DOCTOR_TEST_PROC`): every
//! byte of the output is known, so the human tree and the JSON are snapshots.
//! The real processes are in `ps_cmd.rs`.

use std::path::Path;

use fcgi_doctor::sources::fixture::{FakeProc, Proc};

use crate::util::fcgi_doctor;

/// A process to lay out: pid, ppid, kernel name, state, uid, threads, argv,
/// socket inodes held as fd 0, 1, 2...
struct P<'a>(u32, u32, &'a str, char, u32, u32, &'a [&'a str], &'a [u64]);

/// The host as the library's fixture writer lays it out: `/proc` with its
/// text socket tables and the sock_diag dumps the kernel would send, read by
/// the binary through `FCGI_DOCTOR_TEST_PROC`.
fn lay_out(root: &Path, unix: &[(u64, bool, &str)], processes: &[P<'_>]) {
    let mut fake = FakeProc::at(root);
    // A day since boot; every process started an hour after it.
    fake.uptime(86400.0);
    for (inode, listening, path) in unix {
        if *listening {
            fake.listening(*inode, path);
        } else {
            fake.connected(*inode, path);
        }
    }
    fake.tcp_listening(9080, "0.0.0.0:80", 0);
    fake.tcp_listening(9001, "0.0.0.0:9000", 0);
    for P(pid, ppid, comm, state, uid, threads, args, sockets) in processes {
        fake.add(Proc {
            state: *state,
            threads: *threads,
            sockets,
            start_ticks: 360_000,
            cpu_ticks: (4000, 1000),
            rss_pages: 3000,
            ..Proc::new(*pid, *ppid, comm, *uid, args)
        });
    }
}

/// nginx in front of a php-fpm pool and a flup app; php-fpm also has a pool on
/// every address (port 9000); a second php-fpm whose master was killed left two
/// workers behind; the app left a zombie.
fn host(root: &Path) {
    let fpm = "php-fpm: master process (/nonexistent/php-fpm.conf)";
    lay_out(
        root,
        &[
            (5000, true, "/run/php/php8.2-fpm.sock"),
            (5001, false, "/run/php/php8.2-fpm.sock"),
            (6000, true, "/run/app/app.sock"),
            (7000, true, "/run/php/old.sock"),
        ],
        &[
            P(1, 0, "init", 'S', 0, 1, &["/sbin/init"], &[]),
            P(300, 1, "sshd", 'S', 0, 1, &["sshd: /usr/sbin/sshd -D"], &[]),
            P(
                400,
                1,
                "nginx",
                'S',
                0,
                1,
                &["nginx: master process /usr/sbin/nginx"],
                &[9080],
            ),
            P(
                401,
                400,
                "nginx",
                'S',
                33,
                1,
                &["nginx: worker process"],
                &[9080],
            ),
            P(
                402,
                400,
                "nginx",
                'S',
                33,
                1,
                &["nginx: worker process"],
                &[9080],
            ),
            P(500, 1, "php-fpm8.2", 'S', 0, 1, &[fpm], &[5000, 9001]),
            P(
                501,
                500,
                "php-fpm8.2",
                'S',
                33,
                1,
                &["php-fpm: pool www"],
                &[5000, 5001],
            ),
            P(
                502,
                500,
                "php-fpm8.2",
                'S',
                33,
                1,
                &["php-fpm: pool www"],
                &[5000],
            ),
            P(
                503,
                500,
                "php-fpm8.2",
                'S',
                33,
                1,
                &["php-fpm: pool www"],
                &[5000],
            ),
            P(
                504,
                500,
                "php-fpm8.2",
                'S',
                33,
                1,
                &["php-fpm: pool api"],
                &[9001],
            ),
            P(
                600,
                1,
                "python3",
                'S',
                33,
                4,
                &["/usr/bin/python3", "/srv/app/app.fcgi"],
                &[6000],
            ),
            P(601, 600, "python3", 'Z', 33, 1, &[], &[]),
            P(
                700,
                1,
                "php-fpm8.2",
                'S',
                33,
                1,
                &["php-fpm: pool old"],
                &[7000],
            ),
            P(
                701,
                1,
                "php-fpm8.2",
                'S',
                33,
                1,
                &["php-fpm: pool old"],
                &[7000],
            ),
        ],
    );
}

fn ps(root: &Path, format: &str) -> crate::util::Run {
    fcgi_doctor([
        "ps",
        "--web-user",
        "www-data",
        "--color",
        "never",
        "--format",
        format,
    ])
    .env("FCGI_DOCTOR_TEST_PROC", root.to_str().unwrap())
    .on_debian_host()
    .run()
}

#[test]
fn human_tree_of_a_fixture_host() {
    let dir = tempfile::tempdir().unwrap();
    host(dir.path());
    let run = ps(dir.path(), "human");
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn json_tree_of_a_fixture_host() {
    let dir = tempfile::tempdir().unwrap();
    host(dir.path());
    let run = ps(dir.path(), "json");
    let mut json = run.json();
    // The web user's groups depend on this machine's /etc/group.
    json["web_user"]["groups"] = serde_json::json!("[GROUPS]");
    insta::assert_json_snapshot!(json);
}
