//! `ps` on a `/proc` laid out by the test (`--proc-root`): every byte of the
//! output is known, so the human tree and the JSON are snapshots. The real
//! processes are in `ps_cmd.rs`.

use std::os::unix::fs::symlink;
use std::path::Path;

use crate::util::fcgi_doctor;

/// A process to lay out: pid, ppid, kernel name, state, uid, threads, argv,
/// socket inodes held as fd 0, 1, 2...
struct P<'a>(u32, u32, &'a str, char, u32, u32, &'a [&'a str], &'a [u64]);

fn lay_out(root: &Path, unix: &[(u64, bool, &str)], processes: &[P<'_>]) {
    std::fs::write(root.join("uptime"), "86400.00 170000.00\n").unwrap();
    std::fs::create_dir(root.join("net")).unwrap();
    let mut table = "Num       RefCount Protocol Flags    Type St Inode Path\n".to_string();
    for (inode, listening, path) in unix {
        let (flags, state) = if *listening {
            ("00010000", "01")
        } else {
            ("00000000", "03")
        };
        table.push_str(&format!(
            "0000000000000000: 00000002 00000000 {flags} 0001 {state} {inode} {path}\n"
        ));
    }
    std::fs::write(root.join("net/unix"), table).unwrap();
    std::fs::write(
        root.join("net/tcp"),
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
         0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9080 1 0\n\
         1: 00000000:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 9001 1 0\n",
    )
    .unwrap();
    for P(pid, ppid, comm, state, uid, threads, args, sockets) in processes {
        let d = root.join(pid.to_string());
        std::fs::create_dir_all(d.join("fd")).unwrap();
        // Started one hour after boot, a day ago: 23 hours old.
        std::fs::write(
            d.join("stat"),
            format!(
                "{pid} ({comm}) {state} {ppid} 0 0 0 -1 0 0 0 0 0 4000 1000 0 0 20 0 {threads} 0 \
                 360000 100000 3000 0 0"
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("status"),
            format!("Name:\t{comm}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{uid}\t{uid}\t{uid}\t{uid}\n"),
        )
        .unwrap();
        let mut cmdline = Vec::new();
        for a in *args {
            cmdline.extend_from_slice(a.as_bytes());
            cmdline.push(0);
        }
        std::fs::write(d.join("cmdline"), cmdline).unwrap();
        for (fd, inode) in sockets.iter().enumerate() {
            symlink(
                format!("socket:[{inode}]"),
                d.join("fd").join(fd.to_string()),
            )
            .unwrap();
        }
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
        "--proc-root",
        root.to_str().unwrap(),
        "--web-user",
        "www-data",
        "--color",
        "never",
        "--format",
        format,
    ])
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
