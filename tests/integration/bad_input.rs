//! The bad-input matrix: every command fed what it should never choke on.
//! Each row here is a row of docs/robustness.md, which this file generates
//! (`UPDATE_GENERATED=1 cargo test --test integration bad_input`); a row
//! that names a test instead of arguments points at a test that exercises
//! it elsewhere, and that test must exist.
//!
//! Every row with arguments runs the real binary and must end within
//! [`DEADLINE`], with the row's exit code, the row's words somewhere in its
//! output, no panic, no terminal escape, and one line on stderr when it
//! fails with UNKNOWN.

use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStringExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::{fcgi_doctor, is_root};

/// Longest any row may take; each is expected to end in well under a second.
const DEADLINE: Duration = Duration::from_secs(10);

/// How a row is exercised.
enum How {
    /// These arguments; in them `{d}` is the fixture directory, `{ff}` the
    /// byte 0xff (not UTF-8), `{esc}` ESC and `{long}` 150 letters.
    Run(&'static [&'static str]),
    /// The same, run as the unprivileged user nobody.
    Nobody(&'static [&'static str]),
    /// By this test elsewhere (`file.rs::function`, under tests/integration).
    Test(&'static str),
}

struct Row {
    id: &'static str,
    input: &'static str,
    does: &'static str,
    code: i32,
    /// Words the output (stdout or stderr) must hold.
    says: &'static str,
    how: How,
}

const fn row(
    id: &'static str,
    input: &'static str,
    does: &'static str,
    code: i32,
    says: &'static str,
    how: How,
) -> Row {
    Row {
        id,
        input,
        does,
        code,
        says,
        how,
    }
}

use How::{Nobody, Run, Test};

const ROWS: &[Row] = &[
    // probe
    row("probe-missing", "a socket path that does not exist", "FD1001, and whether its directory exists", 2, "FD1001", Run(&["probe", "{d}/nope.sock"])),
    row("probe-directory", "a directory as the socket", "FD1003: it is a directory, not a socket", 2, "FD1003", Run(&["probe", "{d}/dir"])),
    row("probe-fifo", "a FIFO as the socket", "FD1003: it is a FIFO; never opened", 2, "FD1003", Run(&["probe", "{d}/fifo"])),
    row("probe-symlink-loop", "a symlink loop as the socket", "FD1003: a symlink loop", 2, "symlink loop", Run(&["probe", "{d}/loop1"])),
    row("probe-dangling-symlink", "a symlink to nothing", "FD1001 for the path it points to", 2, "FD1001", Run(&["probe", "{d}/dangling"])),
    row("probe-long-path", "a socket path past the 107-byte limit", "refused before connecting, with the limit", 3, "at most 107", Run(&["probe", "/tmp/{long}.sock"])),
    row("probe-ipv6", "an IPv6 literal in brackets", "connects to it (here: refused, FD1005)", 2, "[::1]:1", Run(&["probe", "[::1]:1"])),
    row("probe-ipv6-no-brackets", "an IPv6 literal without brackets", "asks for brackets", 3, "need brackets", Run(&["probe", "::1:9000"])),
    row("probe-ipv6-no-port", "an IPv6 literal without a port", "asks for the port", 3, "missing :port", Run(&["probe", "[::1]"])),
    row("probe-port-zero", "port 0", "port must be 1-65535", 3, "1-65535", Run(&["probe", "localhost:0"])),
    row("probe-port-too-big", "port 65536", "port must be 1-65535", 3, "1-65535", Run(&["probe", "localhost:65536"])),
    row("probe-port-name", "a service name as the port", "port must be 1-65535", 3, "1-65535", Run(&["probe", "localhost:http"])),
    row("probe-bad-duration", "--timeout soon", "not a duration, with examples", 3, "not a duration", Run(&["probe", "{d}/nope.sock", "--timeout", "soon"])),
    row("probe-huge-duration", "--timeout of 10^17 seconds", "out of range (at most one day)", 3, "out of range", Run(&["probe", "{d}/nope.sock", "--timeout", "99999999999999999s"])),
    row("probe-negative-duration", "--timeout=-1s", "not a duration", 3, "--timeout", Run(&["probe", "{d}/nope.sock", "--timeout=-1s"])),
    row("probe-non-utf8-path", "a socket path that is not UTF-8", "probes the exact bytes; shows them with U+FFFD", 2, "FD1001", Run(&["probe", "{d}/{ff}.sock"])),
    row("probe-escape-in-path", "a socket file whose name holds ESC [2J", "FD1004 (stale socket), the name shown as \\x1b[2J", 2, "\\x1b[2J", Run(&["probe", "{d}/esc{esc}[2J.sock"])),
    row("probe-body-fifo", "--body @FIFO with no writer", "an empty body; no wait for a writer", 2, "FD1001", Run(&["probe", "{d}/nope.sock", "--body", "@{d}/fifo"])),
    row("probe-body-device", "--body @/dev/zero", "refused: a character device has no end", 3, "character device", Run(&["probe", "{d}/nope.sock", "--body", "@/dev/zero"])),
    row("probe-body-missing", "--body @FILE that does not exist", "names the file and the error", 3, "No such file", Run(&["probe", "{d}/nope.sock", "--body", "@{d}/nope"])),
    row("probe-as-user-not-root", "--as-user when not root", "refused: it needs root", 3, "needs root", Nobody(&["probe", "{d}/nope.sock", "--as-user", "www-data"])),
    row("probe-unsearchable-directory", "a socket in a directory the caller may not search", "FD1007, from the directory's owner and mode", 2, "FD1007", Nobody(&["probe", "{d}/closed/x.sock"])),
    row("probe-hostile-peers", "32 misbehaving peers (silence, garbage, endless streams, RST...)", "the right class within the deadline + 1 s, under 64 MiB", 2, "", Test("hostile_peers.rs::every_hostile_peer_gets_its_class_within_its_deadline_and_memory")),
    // logs
    row("logs-missing", "a log that does not exist", "skipped with the error; nothing readable: UNKNOWN", 3, "No such file", Run(&["logs", "{d}/nope.log"])),
    row("logs-directory", "a directory", "skipped: name the log files in it", 3, "is a directory", Run(&["logs", "{d}/dir"])),
    row("logs-fifo", "a FIFO with no writer", "read as a stream: empty at once, no wait", 0, "0 lines", Run(&["logs", "{d}/fifo"])),
    row("logs-dev-zero", "/dev/zero as a log", "refused: a character device has no end", 3, "character device", Run(&["logs", "/dev/zero"])),
    row("logs-dev-urandom", "/dev/urandom as a log", "refused: a character device has no end", 3, "character device", Run(&["logs", "/dev/urandom"])),
    row("logs-symlink-loop", "a symlink loop", "skipped with the error", 3, "symbolic links", Run(&["logs", "{d}/loop1"])),
    row("logs-permission-denied", "a log the caller may not read", "skipped with the error", 3, "Permission denied", Nobody(&["logs", "{d}/secret.log"])),
    row("logs-non-utf8-name", "a file name that is not UTF-8", "arguments must be UTF-8 (read such a file with `logs - < FILE`)", 3, "invalid UTF-8", Run(&["logs", "{d}/{ff}.log"])),
    row("logs-escape-in-name", "a file name holding ESC [2J", "the name shown as \\x1b[2J", 3, "\\x1b[2J", Run(&["logs", "{d}/x{esc}[2J.log"])),
    row("logs-bad-since", "--since yesterday", "not a time, with examples", 3, "not a time", Run(&["logs", "--since", "yesterday", "{d}/h.log"])),
    row("logs-since-overflow", "--since 99999999999d", "out of the calendar", 3, "past the calendar", Run(&["logs", "--since", "99999999999d", "{d}/h.log"])),
    row("logs-impossible-date", "--until 2026-02-30", "not a time", 3, "not a time", Run(&["logs", "--until", "2026-02-30", "{d}/h.log"])),
    row("logs-impossible-timestamps", "lines dated 2026/13/45 99:99:99 and Feb 30", "classified, shown as undated", 2, "undated", Run(&["logs", "{d}/bad-times.log"])),
    row("logs-nul-bytes", "NUL bytes around and inside a line", "the line is classified", 1, "FD2236", Run(&["logs", "{d}/nul.log"])),
    row("logs-invalid-utf8", "invalid UTF-8 inside a line", "read with U+FFFD; classified", 2, "FD2002", Run(&["logs", "{d}/latin1.log"])),
    row("logs-escapes", "terminal escapes and a 50 MiB line in a log", "escapes shown as \\x1b; the long line cut at 64 KiB; memory bounded", 2, "", Test("logs.rs::hostile_bytes_never_reach_the_terminal_and_memory_stays_bounded")),
    row("logs-truncated-gzip", "a truncated .gz, a directory and a missing file among good logs", "each bad input one line on stderr; the readable part of the gzip counts", 2, "", Test("logs.rs::bad_inputs_are_reported_and_the_rest_processed")),
    row("logs-endless-stdin", "/dev/zero and /dev/urandom on standard input", "reads on in bounded memory until stopped", 0, "", Test("bad_input.rs::endless_standard_input_stays_small")),
    row("logs-vanishing", "logs truncated and removed while read", "reads what is there; no error", 0, "", Test("bad_input.rs::logs_truncated_or_removed_while_read_end_cleanly")),
    row("logs-follow-rotation", "--follow over rename, truncation and removal", "follows the new file; says what happened", 0, "", Test("logs.rs::follow_keeps_going_across_rotation_and_truncation")),
    row("logs-follow-fifo", "--follow on a FIFO", "refused: only files can be followed", 3, "only files can be followed", Run(&["logs", "--follow", "{d}/fifo"])),
    row("logs-follow-device", "--follow /dev/zero", "refused: only files can be followed", 3, "only files can be followed", Run(&["logs", "--follow", "/dev/zero"])),
    row("logs-follow-directory", "--follow on a directory", "refused", 3, "is a directory", Run(&["logs", "--follow", "{d}/dir"])),
    // socket
    row("socket-missing", "a socket path that does not exist", "FD1001", 2, "FD1001", Run(&["socket", "{d}/nope.sock"])),
    row("socket-directory", "a directory", "FD1003", 2, "FD1003", Run(&["socket", "{d}/dir"])),
    row("socket-fifo", "a FIFO", "FD1003", 2, "FD1003", Run(&["socket", "{d}/fifo"])),
    row("socket-symlink-loop", "a symlink loop", "FD1003: a symlink loop", 2, "symlink loop", Run(&["socket", "{d}/loop1"])),
    row("socket-long-path", "a path past the 107-byte limit", "refused with the limit", 3, "at most 107", Run(&["socket", "/tmp/{long}.sock"])),
    row("socket-ipv6", "an IPv6 literal", "who listens there (here: nobody, FD1005)", 2, "[::1]:1", Run(&["socket", "[::1]:1"])),
    row("socket-bad-port", "port 0", "port must be 1-65535", 3, "1-65535", Run(&["socket", "localhost:0"])),
    row("socket-escape-in-name", "a socket file whose name holds ESC [2J", "FD1004; the name shown as \\x1b[2J", 2, "\\x1b[2J", Run(&["socket", "{d}/esc{esc}[2J.sock"])),
    row("socket-unknown-web-user", "--web-user that does not exist", "no such user", 3, "no such user", Run(&["socket", "--web-user", "no-such-user-xyz", "{d}/nope.sock"])),
    row("socket-unsearchable-for-caller", "a path the caller may not search, but the web user may", "skipped: UNKNOWN, not OK", 3, "skipped", Nobody(&["socket", "{d}/www/x.sock"])),
    row("socket-unsearchable-for-web-user", "a path neither the caller nor the web user may search", "FD1007 from the modes it can see", 2, "FD1007", Nobody(&["socket", "{d}/closed/x.sock"])),
    // spawn
    row("spawn-missing", "an application that does not exist", "FD1702", 2, "FD1702", Run(&["spawn", "{d}/nope.fcgi"])),
    row("spawn-directory", "a directory as the application", "FD1702: not a regular file", 2, "FD1702", Run(&["spawn", "{d}/dir"])),
    row("spawn-fifo", "a FIFO as the application", "FD1702: not a regular file; never opened", 2, "FD1702", Run(&["spawn", "{d}/fifo"])),
    row("spawn-device", "/dev/zero as the application", "FD1702: not a regular file", 2, "FD1702", Run(&["spawn", "/dev/zero"])),
    row("spawn-symlink-loop", "a symlink loop as the application", "FD1702 with the error", 2, "FD1702", Run(&["spawn", "{d}/loop1"])),
    row("spawn-user-not-root", "--user when not root", "refused: it needs root", 3, "needs root", Nobody(&["spawn", "--user", "www-data", "{d}/app.sh"])),
    row("spawn-bad-env", "--env without =", "NAME=VALUE expected", 3, "NAME=VALUE", Run(&["spawn", "--env", "NOEQ", "{d}/app.sh"])),
    row("spawn-external-bad-port", "--external localhost:0", "port must be 1-65535", 3, "1-65535", Run(&["spawn", "--external", "localhost:0", "{d}/app.sh"])),
    row("spawn-stderr-escapes", "an application writing escapes to stderr and exiting", "its last words shown as \\x1b", 2, "boom", Run(&["spawn", "{d}/app.sh"])),
    row("spawn-hostile-applications", "applications that stay silent, send garbage, stream without end or hang up", "the probe's class within the deadline + 1 s, under 64 MiB; nothing left", 2, "", Test("spawn_cmd.rs::hostile_applications_end_in_time_with_their_class")),
    row("spawn-signals", "SIGINT and SIGTERM to fcgi-doctor while the application runs", "the application's process group is killed", 2, "", Test("spawn_cmd.rs::sigint_and_sigterm_leave_no_process_and_no_directory")),
    // config
    row("config-missing", "--nginx-config FILE that does not exist", "names the file and the error", 3, "No such file", Run(&["config", "--nginx-config", "{d}/nope.conf"])),
    row("config-directory", "--apache-config DIR", "not a regular file", 3, "not a regular file", Run(&["config", "--apache-config", "{d}/dir"])),
    row("config-fifo", "--fpm-config FIFO", "not a regular file; never opened", 3, "not a regular file", Run(&["config", "--fpm-config", "{d}/fifo"])),
    row("config-device", "--apache-config /dev/zero", "not a regular file", 3, "not a regular file", Run(&["config", "--apache-config", "/dev/zero"])),
    row("config-symlink-loop", "--nginx-config LOOP", "the error", 3, "symbolic links", Run(&["config", "--nginx-config", "{d}/loop1"])),
    row("config-permission-denied", "--nginx-config FILE the caller may not read", "the error", 3, "Permission denied", Nobody(&["config", "--nginx-config", "{d}/secret.log"])),
    row("config-dump-not-a-dump", "--nginx-dump FILE that is not nginx -T output", "says what to give", 3, "nginx -T", Run(&["config", "--nginx-dump", "{d}/h.log"])),
    row("config-dump-fifo", "--nginx-dump FIFO with no writer", "empty: says what to give", 3, "is empty", Run(&["config", "--nginx-dump", "{d}/fifo"])),
    row("config-dump-device", "--nginx-dump /dev/zero", "refused: a character device has no end", 3, "character device", Run(&["config", "--nginx-dump", "/dev/zero"])),
    row("config-garbage", "100 KB of random bytes as nginx, Apache and php-fpm configuration", "parsed; nothing found", 0, "OK", Run(&["config", "--nginx-config", "{d}/garbage.conf", "--apache-config", "{d}/garbage.conf", "--fpm-config", "{d}/garbage.conf"])),
    row("config-huge-line", "a 50 MiB one-line nginx configuration", "reads its first 8 MiB and says so", 0, "only its start was read", Run(&["config", "--nginx-config", "{d}/huge.conf"])),
    row("config-include-fan-out", "1000 files that each include all of them", "stops at its budget at once, and says so", 0, "", Test("src/sources/config/nginx.rs::an_include_on_every_read_of_many_files_costs_at_most_the_budget")),
    row("config-apache-define-chain", "Apache Defines doubling to 64 KiB, then thousands naming the last", "expands at most 64 MiB in all, then leaves variables as written, and says so", 0, "", Test("src/sources/config/apache.rs::chained_defines_grow_at_most_the_expansion_budget")),
    row("config-apache-long-section", "a 100 KB `<VirtualHost>` address, ServerName and `<Directory>` around hundreds of handlers", "cuts each name at 1 KiB and path at 4 KiB, and says so", 0, "", Test("src/sources/config/apache.rs::a_long_section_name_is_not_copied_whole_into_every_record")),
    row("config-nginx-access-fan-out", "thousands of allow lines and of fastcgi_pass in one server", "one list shared by the endpoints; JSON shows it in each", 0, "", Test("src/sources/config/nginx.rs::an_access_list_is_shared_by_its_endpoints_not_copied_into_each")),
    row("config-nginx-long-root", "a 10 KB root and 10,000 fastcgi_pass under it", "keeps 64 MiB of endpoint settings, and says so", 0, "", Test("src/sources/config/nginx.rs::endpoints_hold_at_most_their_text_budget")),
    row("config-fpm-pool-name", "a 50 KB pool name in a value of 2000 $pool, and 20,010 pools", "leaves a value over 64 KiB unexpanded and keeps 20,000 pools, and says so", 0, "", Test("src/sources/fpmconf.rs::a_long_pool_name_in_many_pool_variables_stays_bounded")),
    // doctor
    row("doctor-missing-config", "--fpm-config FILE that does not exist", "names the file and the error", 3, "No such file", Run(&["doctor", "--fpm-config", "{d}/nope.conf"])),
    row("doctor-bad-timeout", "--timeout 0", "out of range", 3, "out of range", Run(&["doctor", "--timeout", "0"])),
    row("doctor-bad-since", "--since yesterday", "not a time", 3, "not a time", Run(&["doctor", "--since", "yesterday"])),
    row("doctor-bad-watch", "--watch 2d", "not a duration", 3, "not a duration", Run(&["doctor", "--watch", "2d"])),
    row("doctor-hostile-peers", "the 32 hostile peers as the backends of one nginx configuration", "each backend's row as its probe says, all within the deadline + 1 s, under 64 MiB", 2, "", Test("hostile_peers.rs::doctor_against_the_whole_corpus_at_once")),
    row("doctor-hung-backend", "a backend that accepts and never answers", "that probe ends at its deadline; the verdict comes", 2, "", Test("doctor_cmd.rs::a_hung_backend_does_not_stall_the_report")),
    // ps
    row("ps-bad-watch", "--watch 0", "out of range", 3, "out of range", Run(&["ps", "--watch", "0"])),
    row("ps-unknown-web-user", "--web-user that does not exist", "no such user", 3, "no such user", Run(&["ps", "--web-user", "no-such-user-xyz"])),
    row("ps-escapes-in-titles", "process titles and arguments holding escapes", "shown as \\x1b", 0, "", Test("bad_input.rs::escapes_in_process_titles_are_shown_not_played")),
    row("ps-escapes-in-modules", "Apache module names holding escapes (a mapped file's name, a LoadModule line)", "shown as \\x1b by ps and config", 0, "", Test("bad_input.rs::escapes_in_module_names_are_shown_not_played")),
    row("ps-vanishing-processes", "processes that exit while /proc is read", "they are left out; no error", 0, "", Test("bad_input.rs::processes_exiting_while_read_are_left_out")),
    // explain
    row("explain-unknown-code", "a code that does not exist", "says how to list the codes", 3, "explain --all", Run(&["explain", "FD9999"])),
    row("explain-non-utf8", "an argument that is not UTF-8", "arguments must be UTF-8", 3, "invalid UTF-8", Run(&["explain", "{ff}"])),
    row("explain-escapes", "a pasted line wrapped in terminal escapes", "classified; escapes not played", 2, "FD2004", Run(&["explain", "{esc}]0;x\x07{esc}[2J2026/11/23 07:53:25 [error] 1#1: *5 connect() to unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while connecting to upstream"])),
    row("explain-garbage", "100 KB of text that is no log line", "nothing recognised, said so", 0, "no FastCGI message", Run(&["explain", "{garbage}"])),
];

/// The fixture directory every `{d}` names: one of each odd kind of file.
fn fixture() -> tempfile::TempDir {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mode = |p: &Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    // nobody must reach the files its rows read.
    mode(d, 0o755).unwrap();
    std::fs::create_dir(d.join("dir")).unwrap();
    nix::unistd::mkfifo(
        &d.join("fifo"),
        nix::sys::stat::Mode::from_bits_truncate(0o644),
    )
    .unwrap();
    symlink(d.join("loop2"), d.join("loop1")).unwrap();
    symlink(d.join("loop1"), d.join("loop2")).unwrap();
    symlink(d.join("nowhere"), d.join("dangling")).unwrap();
    std::fs::write(d.join("h.log"), "hello\n").unwrap();
    std::fs::write(d.join("secret.log"), "hello\n").unwrap();
    mode(&d.join("secret.log"), 0o600).unwrap();
    let nginx = "[error] 1#1: *5 connect() to unix:/run/php/x.sock failed (2: No such file or directory) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/x.sock:\", host: \"x\"";
    std::fs::write(
        d.join("bad-times.log"),
        format!("2026/13/45 99:99:99 {nginx}\n[Mon Feb 30 25:61:00.000000 2026] [proxy_fcgi:error] [pid 1] AH01079: failed to make connection to backend: 127.0.0.1\n"),
    )
    .unwrap();
    std::fs::write(
        d.join("nul.log"),
        b"\0\0\n[23-Nov-2026 07:00:00] WARNING: [pool www\0] server reached pm.max_children setting (5), consider raising it\0\n\0",
    )
    .unwrap();
    let mut latin1 = format!("2026/11/23 07:00:00 {nginx}\n").into_bytes();
    let server = latin1.windows(9).position(|w| w == b"server: x").unwrap();
    latin1.splice(server + 8..server + 9, *b"caf\xe9-\xff\xfe");
    std::fs::write(d.join("latin1.log"), latin1).unwrap();
    // The web user (www-data) may search `www`, nobody may not; neither may
    // search `closed`.
    for (name, owner) in [("www", 33), ("closed", 0)] {
        std::fs::create_dir(d.join(name)).unwrap();
        mode(&d.join(name), 0o700).unwrap();
        nix::unistd::chown(&d.join(name), Some(nix::unistd::Uid::from_raw(owner)), None).unwrap();
    }
    // A socket file nobody listens on, with ESC [2J in its name.
    drop(std::os::unix::net::UnixListener::bind(d.join("esc\x1b[2J.sock")).unwrap());
    std::fs::write(
        d.join("app.sh"),
        "#!/bin/sh\nprintf '\\033]0;pwned\\007\\033[2J boom\\n' >&2\nexit 3\n",
    )
    .unwrap();
    mode(&d.join("app.sh"), 0o755).unwrap();
    let mut noise = vec![0u8; 100_000];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for b in &mut noise {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        *b = seed as u8;
    }
    std::fs::write(d.join("garbage.conf"), &noise).unwrap();
    let mut huge = std::fs::File::create(d.join("huge.conf")).unwrap();
    for _ in 0..50 {
        huge.write_all(&[b'#'; 1 << 20]).unwrap();
    }
    dir
}

/// A row's arguments with the fixture's names filled in.
fn arguments(args: &[&str], d: &Path) -> Vec<OsString> {
    let garbage = "lorem ipsum dolor sit amet ".repeat(3700);
    args.iter()
        .map(|a| {
            let mut bytes = a.as_bytes().to_vec();
            for (from, to) in [
                (&b"{d}"[..], d.as_os_str().as_encoded_bytes()),
                (b"{ff}", b"\xff"),
                (b"{esc}", b"\x1b"),
                (b"{long}", &[b'a'; 150]),
                (b"{garbage}", garbage.as_bytes()),
            ] {
                while let Some(at) = bytes.windows(from.len()).position(|w| w == from) {
                    bytes.splice(at..at + from.len(), to.iter().copied());
                }
            }
            OsString::from_vec(bytes)
        })
        .collect()
}

#[test]
fn every_row_of_the_matrix_ends_as_documented() {
    if !crate::util::require(is_root(), "root (rows run as nobody and chown)") {
        return;
    }
    let dir = fixture();
    let mut wrong = Vec::new();
    for row in ROWS {
        let (args, nobody) = match row.how {
            Run(args) => (args, false),
            Nobody(args) => (args, true),
            Test(_) => continue,
        };
        let mut cmd = fcgi_doctor(arguments(args, dir.path()))
            .env("COLUMNS", "100")
            .deadline(DEADLINE);
        if nobody {
            cmd = cmd.run_as_nobody();
        }
        let run = cmd.run();
        let all = format!("{}{}", run.stdout, run.stderr);
        let mut fault = Vec::new();
        if run.code != row.code {
            fault.push(format!("exit {} instead of {}", run.code, row.code));
        }
        if run.elapsed > DEADLINE {
            fault.push(format!("took {:?}", run.elapsed));
        }
        if !all.contains(row.says) {
            fault.push(format!("does not say {:?}", row.says));
        }
        if all.contains("panicked") || all.contains('\x1b') || all.contains('\x07') {
            fault.push("a panic or a raw terminal escape in the output".into());
        }
        if row.code == 3 && run.stderr.lines().count() != 1 {
            fault.push("stderr is not one line".into());
        }
        if !fault.is_empty() {
            wrong.push(format!("{}: {}\n{all}", row.id, fault.join("; ")));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// The matrix as docs/robustness.md shows it.
fn table() -> String {
    let mut out = String::from(
        "| row | bad input | what fcgi-doctor does | exit | tested by |\n|---|---|---|---|---|\n",
    );
    for row in ROWS {
        let by = match row.how {
            Run(_) => "the matrix".to_string(),
            Nobody(_) => "the matrix, as nobody".to_string(),
            Test(test) => format!("`{test}`"),
        };
        out += &format!(
            "| {} | {} | {} | {} | {by} |\n",
            row.id,
            row.input.replace('|', "\\|"),
            row.does.replace('|', "\\|"),
            row.code
        );
    }
    out
}

#[test]
fn robustness_md_shows_the_matrix_and_every_named_test_exists() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut ids = std::collections::BTreeSet::new();
    for row in ROWS {
        assert!(ids.insert(row.id), "{} twice", row.id);
        let Test(test) = row.how else { continue };
        let (file, function) = test.split_once("::").unwrap();
        let path = match file.starts_with("src/") {
            true => root.join(file),
            false => root.join("tests/integration").join(file),
        };
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            text.contains(&format!("fn {function}(")),
            "{}: {test} does not exist",
            row.id
        );
    }
    let doc_path = root.join("docs/robustness.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
    let (start, end) = ("<!-- matrix -->\n", "<!-- end of matrix -->");
    let fresh = table();
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        let (head, rest) = doc
            .split_once(start)
            .expect("docs/robustness.md has the start marker");
        let (_, tail) = rest.split_once(end).expect("and the end marker");
        std::fs::write(&doc_path, format!("{head}{start}{fresh}{end}{tail}")).unwrap();
        return;
    }
    let shown = doc
        .split_once(start)
        .and_then(|(_, rest)| rest.split_once(end))
        .map(|(table, _)| table);
    assert_eq!(
        shown,
        Some(fresh.as_str()),
        "docs/robustness.md drifted from tests/integration/bad_input.rs: \
         UPDATE_GENERATED=1 cargo test --test integration bad_input"
    );
}

#[test]
fn endless_standard_input_stays_small() {
    for source in ["/dev/zero", "/dev/urandom"] {
        let input = std::fs::File::open(source).unwrap();
        let mut child = std::process::Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(crate::util::bin())
            .args(["logs", "-"])
            .env_clear()
            .stdin(input)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_secs(2));
        // SIGTERM to fcgi-doctor itself (the child of time), as a user's ^C would.
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let inner = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
        let inner: i32 = inner.split_whitespace().next().unwrap().parse().unwrap();
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(inner), nix::sys::signal::SIGTERM)
            .unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        child.wait().unwrap();
        let peak_kib: u64 = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("{source}: no peak memory in {stderr:?}"));
        assert!(
            peak_kib < 64 * 1024,
            "{source}: peak RSS {peak_kib} KiB after two seconds"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn logs_truncated_or_removed_while_read_end_cleanly() {
    // Large enough that the read is still going when the file changes.
    let dir = tempfile::tempdir().unwrap();
    let line = "2026/11/23 07:00:00 [error] 1#1: *5 upstream timed out (110: Connection timed out) while reading response header from upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://127.0.0.1:9000\", host: \"x\"\n";
    for change in ["truncate", "remove"] {
        let path = dir.path().join(format!("{change}.log"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        for _ in 0..400_000 {
            f.write_all(line.as_bytes()).unwrap();
        }
        drop(f);
        let child = std::process::Command::new(crate::util::bin())
            .args(["logs", "--format", "json"])
            .arg(&path)
            .env_clear()
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20));
        match change {
            "truncate" => std::fs::File::create(&path).map(drop).unwrap(),
            _ => std::fs::remove_file(&path).unwrap(),
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{change}: {stderr}");
        // Whatever was read before the change is a timeout problem; nothing
        // read (truncated before the first read) is an OK log of 0 lines.
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{change}: {:?} {stderr}",
            out.status
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(
            json["inputs"][0]["errors"]
                .as_array()
                .is_none_or(|e| e.is_empty()),
            "{json}"
        );
    }
}

/// The run ended with a status (not UNKNOWN) and no ESC or BEL of the
/// input reached its output; the output, stdout then stderr.
fn nothing_played(run: &crate::util::Run, what: &str) -> String {
    assert!(matches!(run.code, 0..=2), "{what}: {}", run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        !all.contains('\x1b') && !all.contains('\x07'),
        "{what}: {all}"
    );
    all
}

#[test]
fn escapes_in_process_titles_are_shown_not_played() {
    use fcgi_doctor::sources::fixture::{FakeProc, Proc};
    let dir = tempfile::tempdir().unwrap();
    let mut fake = FakeProc::at(dir.path());
    fake.uptime(86400.0);
    fake.listening(5001, "/run/php/php8.2-fpm.sock");
    fake.add(Proc {
        sockets: &[5001],
        ..Proc::new(
            100,
            1,
            "php-fpm8.2",
            0,
            &["php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf\x1b]0;pwned\x07\x1b[2J)"],
        )
    });
    fake.add(Proc::new(
        101,
        100,
        "php-fpm8.2",
        33,
        &["php-fpm: pool \x1b[31mwww\x1b[0m"],
    ));
    for format in ["human", "json", "nagios", "prometheus"] {
        let run = fcgi_doctor(["ps", "--format", format, "--color", "never"])
            .env("FCGI_DOCTOR_TEST_PROC", dir.path().to_str().unwrap())
            .deadline(DEADLINE)
            .run();
        let all = nothing_played(&run, format);
        if format == "human" {
            assert!(all.contains("\\x1b[31mwww"), "{all}");
        }
    }
}

#[test]
fn escapes_in_module_names_are_shown_not_played() {
    use fcgi_doctor::sources::fixture::{FakeProc, Proc};
    // Any local user can name a library so that an Apache master maps it as
    // a module (ps), and a LoadModule line names one (config).
    let hostile = "php\x1b]0;PWNED\x07";
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeProc::at(dir.path());
    fake.uptime(86400.0);
    let start = ["/usr/sbin/apache2", "-k", "start"];
    fake.add(Proc::new(10, 1, "apache2", 0, &start));
    let mapped = format!("/tmp/mod_{hostile}.so");
    fake.maps(10, &["/usr/lib/apache2/modules/mod_proxy_fcgi.so", &mapped]);
    fake.add(Proc::new(11, 10, "apache2", 33, &start));
    let conf_dir = tempfile::tempdir().unwrap();
    let conf = conf_dir.path().join("apache2.conf");
    std::fs::write(
        &conf,
        "LoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\n\
         LoadModule proxy_fcgi\x1b]0;PWNED\x07_module /usr/lib/apache2/modules/mod_proxy_fcgi.so\n",
    )
    .unwrap();
    let conf = conf.to_str().unwrap();
    for format in ["human", "json", "nagios", "prometheus"] {
        for args in [
            vec!["ps", "--format", format, "--color", "never"],
            vec![
                "config",
                "--apache-config",
                conf,
                "--format",
                format,
                "--color",
                "never",
            ],
        ] {
            let run = fcgi_doctor(&args)
                .env("FCGI_DOCTOR_TEST_PROC", dir.path().to_str().unwrap())
                .deadline(DEADLINE)
                .run();
            let all = nothing_played(&run, &format!("{args:?}"));
            if format == "human" {
                assert!(all.contains("\\x1b]0;PWNED\\x07"), "{args:?}: {all}");
            }
        }
    }
}

#[test]
fn processes_exiting_while_read_are_left_out() {
    // A stream of processes that live a millisecond, some of them with a
    // FastCGI-looking title, while ps reads /proc again and again.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut started = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let _ = std::process::Command::new("/bin/sh")
                    .args(["-c", "exec -a php-fpm-pool-www /bin/true"])
                    .status();
                started += 1;
            }
            started
        })
    };
    for _ in 0..20 {
        let run = fcgi_doctor(["ps", "--format", "json"])
            .deadline(DEADLINE)
            .run();
        assert!(matches!(run.code, 0..=2), "{}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run.json();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let started = churn.join().unwrap();
    assert!(started > 20, "only {started} processes came and went");
}

/// Any local user can start a process called apache2, with workers under
/// a user of its choosing. Root's fcgi-doctor must not take that user for
/// the web server's; the same processes started by root are believed (the
/// control that shows the test can fail).
#[test]
fn another_users_web_server_does_not_choose_the_web_user() {
    use fcgi_doctor::sources::fixture::{FakeProc, Proc};
    for (owner, believed) in [(65534, false), (0, true)] {
        let proc = tempfile::tempdir().unwrap();
        let fake = FakeProc::at(proc.path());
        // The shell that started it, as its owner.
        fake.add(Proc::new(50, 1, "sh", owner, &["sh"]));
        fake.add(Proc::new(200, 50, "apache2", owner, &["/usr/sbin/apache2"]));
        fake.add(Proc::new(201, 200, "apache2", 2, &["/usr/sbin/apache2"]));
        let ps = fcgi_doctor(["ps", "--format", "json"])
            .env("FCGI_DOCTOR_TEST_PROC", proc.path().to_str().unwrap())
            .deadline(DEADLINE)
            .run()
            .json();
        let source = ps["web_user"]["source"].as_str().unwrap_or_default();
        assert_eq!(
            source.contains("running Apache workers"),
            believed,
            "owner {owner}: {}",
            ps["web_user"]
        );
    }
}

/// Any local user can title a process `php-fpm: master process (FILE)`.
/// Root's `config` must not read FILE; the same title on a process run by
/// root is followed (the control). A real process: running masters are
/// looked at on the real host only.
#[test]
fn another_users_php_fpm_title_names_no_file_to_read() {
    if !crate::util::require(is_root(), "root (the fake master runs as nobody)") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let conf = dir.path().join("php-fpm.conf");
    std::fs::write(&conf, "[evil]\nlisten = /run/evil.sock\n").unwrap();
    // A program whose kernel name (comm) is php-fpm8.2.
    let fake = dir.path().join("php-fpm8.2");
    std::fs::copy("/bin/sleep", &fake).unwrap();
    let title = format!("php-fpm: master process ({})", conf.display());
    for (owner, believed) in [(65534u32, false), (0, true)] {
        let mut cmd = std::process::Command::new(&fake);
        std::os::unix::process::CommandExt::arg0(&mut cmd, &title);
        std::os::unix::process::CommandExt::uid(&mut cmd, owner);
        std::os::unix::process::CommandExt::gid(&mut cmd, owner);
        let mut master = cmd.arg("30").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let run = fcgi_doctor(["config", "--format", "json"])
            .deadline(DEADLINE)
            .run();
        master.kill().unwrap();
        master.wait().unwrap();
        let json = run.json();
        let read = json["fpm"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["file"] == conf.display().to_string());
        assert_eq!(read, believed, "owner {owner}: {}", json["fpm"]);
    }
}
