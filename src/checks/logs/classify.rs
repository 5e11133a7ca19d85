//! From an entry's envelope and text to a registry code: the catalogue pattern,
//! with the operating-system error and relayed stderr content deciding where the
//! catalogue says they do.

use super::catalogue::{ErrnoUse, Evidence, Pattern};
use super::pattern::Matcher;
use super::stderr;
use crate::core::registry::{codes, Code};
use crate::core::text::finder;
use crate::sources::logs::envelope::{self, Envelope, Server};

/// What an entry is.
#[derive(Clone, Copy, Debug)]
pub struct Classified {
    pub code: &'static Code,
    /// The catalogue row whose pattern matched, when one did.
    pub row: Option<&'static str>,
}

/// Classifies one entry: `body` is the message with any continuation lines.
pub fn classify(env: &Envelope, body: &str) -> Option<Classified> {
    if !is_fastcgi_context(env) {
        return None;
    }
    // apachectl's `Syntax error on line N of FILE:` is followed by what was
    // wrong there, which says more than the line number.
    if let Some((head, detail)) = body.split_once('\n') {
        if head.contains("Syntax error on line ") {
            let detail = detail.lines().next().unwrap_or_default();
            if let Some(found) = classify(&envelope::parse(detail), detail) {
                return Some(found);
            }
        }
    }
    let matcher = Matcher::get();
    // Most rows match the message without the errno the envelope took off;
    // some hold it (php-fpm's `: strerror (errno)`, nginx's ` while ...`).
    let pattern = matcher
        .find(env.server, env.message, env.full)
        .filter(|p| p.evidence != Evidence::Required || shows_fastcgi(env, body));
    if let Some(payload) = stderr::relayed(body) {
        // What the application wrote decides: its content first, then a
        // message of the backend's own (php-fpm's answers, fcgiwrap's, flup's).
        if let Some(code) = stderr::classify(payload, false) {
            return Some(Classified {
                code,
                row: pattern.map(|p| p.row),
            });
        }
        // A relayed line may carry its own envelope (php-fpm's `ERROR: ` of a
        // worker's message, relayed by the master as `said into stderr`).
        let inner = envelope::parse(payload);
        let own = matcher
            .find(inner.server, inner.message, inner.full)
            .filter(|p| stderr::relayed(p.literal).is_none() && p.evidence == Evidence::None);
        return Some(match own {
            Some(p) => Classified {
                code: row_code(p),
                row: Some(p.row),
            },
            None => Classified {
                code: stderr::classify(payload, true)?,
                row: pattern.map(|p| p.row),
            },
        });
    }
    if let Some(p) = pattern {
        // Rows that are php-fpm's own stderr texts are judged by the same
        // content rules as the relayed ones, so one diagnosis has one code.
        if p.source.contains("STDERR") || p.source.starts_with("PHP engine") {
            if let Some(code) = stderr::classify(body, false) {
                return Some(Classified {
                    code,
                    row: Some(p.row),
                });
            }
        }
        let code = errno_code(p, env).unwrap_or_else(|| row_code(p));
        return Some(Classified {
            code: exit_code(code, env, env.full),
            row: Some(p.row),
        });
    }
    // Raw child output (mod_fcgid writes it unprefixed) and bare pasted lines:
    // only their content can say what they are. PHP writes `PHP Fatal error:` to
    // its logs and stderr; a bare `Fatal error:` is what a browser showed, from
    // any SAPI.
    if !env.recognised || env.server == Some(Server::Unknown) {
        let code = stderr::classify(body, false)?;
        if stderr::is_php(code) && !body.contains("PHP ") {
            return None;
        }
        return Some(Classified { code, row: None });
    }
    None
}

/// How a process ended, where a line says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Exit {
    Clean,
    Failed,
    /// Status 78, EX_CONFIG: php-fpm refused its configuration.
    Config,
}

/// The exit status, signal or reason in a message about a process that ended
/// decides whether it crashed: a row's class alone cannot, as the same message
/// reports both (php-fpm's `exited with code 0` and `code 255`, mod_fcgid's
/// `exit(shutting down)` and `exit(communication error)`).
fn exit_code(code: &'static Code, env: &Envelope, text: &str) -> &'static Code {
    use crate::core::registry::Class;
    // php-fpm's `oops, unknown child (N) exited`: a process it did not start (a
    // script's own child), whose end says nothing about the pool.
    if !matches!(code.class, Class::AppCrashed | Class::LifecycleInfo)
        || text.contains("unknown child")
    {
        return code;
    }
    match (exit_verdict(env, text), code.class) {
        (Some(Exit::Config), _) => &codes::LOG_EXIT_CONFIG,
        (Some(Exit::Clean), Class::AppCrashed) => &codes::LOG_EXIT_CLEAN,
        (Some(Exit::Failed), Class::LifecycleInfo) => &codes::LOG_EXIT_FAILED,
        _ => code,
    }
}

fn exit_verdict(env: &Envelope, text: &str) -> Option<Exit> {
    // Most messages say nothing of an exit: one search each rules them out.
    let bytes = text.as_bytes();
    if finder!(b"exit").find(bytes).is_none()
        && finder!(b"signal").find(bytes).is_none()
        && finder!(b"status").find(bytes).is_none()
        && finder!(b"code").find(bytes).is_none()
    {
        return None;
    }
    const CLEAN_REASONS: [&str; 4] = [
        "idle timeout",
        "lifetime expired",
        "shutting down",
        "graceful restart",
    ];
    let status = [
        "return code: ",
        "return code ",
        "with code ",
        "with status '",
        "with status ",
        "exit status ",
        "status=",
    ]
    .iter()
    .find_map(|marker| number_after(text, marker));
    // mod_fcgid: `exit(REASON), terminated by calling exit(), return code: N`.
    if let Some(at) = text.find(" exit(") {
        let reason = text[at + 6..].split(')').next().unwrap_or_default();
        let clean = CLEAN_REASONS.contains(&reason)
            && status.is_none_or(|s| s == 0)
            && !text.contains("unexpected signal");
        return Some(if clean { Exit::Clean } else { Exit::Failed });
    }
    let signal = [
        "on signal ",
        "by signal: ",
        "by signal ",
        "signalled: ",
        "signal: ",
    ]
    .iter()
    .find_map(|marker| number_after(text, marker));
    if let Some(signal) = signal {
        // SIGQUIT ends a worker gracefully; php-fpm logs the SIGTERM of a
        // reload or stop at NOTICE level, that of a killed request as a WARNING.
        let graceful = signal == 3 || (signal == 15 && env.level == Some("NOTICE"));
        return Some(if graceful { Exit::Clean } else { Exit::Failed });
    }
    status.map(|s| match s {
        0 => Exit::Clean,
        78 => Exit::Config,
        _ => Exit::Failed,
    })
}

/// The number right after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<i64> {
    let at = text.find(marker)? + marker.len();
    let rest = &text[at..];
    let digits = rest
        .bytes()
        .enumerate()
        .take_while(|&(i, b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
        .count();
    rest[..digits].parse().ok()
}

/// nginx logs the same upstream messages for proxy_pass, uwsgi and scgi: only
/// the `upstream: "fastcgi://..."` field says FastCGI. Apache's mod_php (tag
/// `php7`, `php8`) and mod_proxy_http are not FastCGI either.
fn is_fastcgi_context(env: &Envelope) -> bool {
    if let Some(upstream) = env.upstream {
        if !upstream.starts_with("fastcgi://") {
            return false;
        }
    }
    // Apache 2.4's mod_php5 writes `[:error]`, with an empty module (as do
    // builds of mod_fastcgi, whose messages start with `FastCGI:`).
    let mod_php5 = env.module == Some("") && env.message.starts_with("PHP ");
    !mod_php5
        && !matches!(env.module, Some(m) if m.starts_with("php") || m == "proxy_http" || m == "ssl")
}

/// Whether a line shows that its backend speaks FastCGI, for the rows of
/// servers that serve HTTP backends too. nginx's `upstream: "http://...` has
/// already ruled the line out.
///
/// - A FastCGI or php-fpm name, a unix socket or php-fpm's port 9000 in the
///   line, or a FastCGI module's tag, is evidence.
/// - A line of the proxy layer that a FastCGI backend shares (Apache's
///   `[proxy:...]`, lighttpd's `gw_backend`) counts unless it names another
///   protocol: those lines often name no backend at all.
/// - nginx's `[emerg]` refusals of its configuration stop the whole server,
///   and every FastCGI site with it.
fn shows_fastcgi(env: &Envelope, body: &str) -> bool {
    static WORDS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let words = WORDS.get_or_init(|| {
        aho_corasick::AhoCorasick::new([
            "fcgi", "FCGI", "FastCGI", "fastcgi", "php", "unix:", ".sock", ":9000",
        ])
        .expect("static words")
    });
    const OTHER: [&str; 12] = [
        "http://", "https://", "ws://", "wss://", "ajp://", "h2c://", "HTTP: ", "HTTPS: ", "AJP: ",
        "WS: ", "scgi", "uwsgi",
    ];
    if words.is_match(env.line) || words.is_match(body) {
        return true;
    }
    match env.module {
        Some(m) if m.contains("fcgi") || m.contains("fastcgi") => true,
        Some("proxy" | "gw_backend") => !OTHER.iter().any(|w| env.line.contains(w)),
        _ => env.server == Some(Server::Nginx) && env.level == Some("emerg"),
    }
}

fn row_code(p: &Pattern) -> &'static Code {
    p.registry_code
}

/// The code the operating-system error decides, for the rows where it does
/// ("errno / status text variants that change the class" in the catalogue).
fn errno_code(p: &Pattern, env: &Envelope) -> Option<&'static Code> {
    let errno = env.errno?;
    // Apache prepends an errno only where the call site passed one; a pasted
    // line without an envelope keeps it too.
    let applies = p.errno != ErrnoUse::None || env.server.is_none_or(Server::is_apache);
    // A client-side message's errno is about the client's connection.
    if !applies || row_code(p).class == crate::core::registry::Class::ClientAbort {
        return None;
    }
    let connecting =
        p.regex.contains("connect") || p.literal.contains("connect") || p.literal.contains("dial");
    if connecting {
        let code = match errno {
            13 | 1 => &codes::LOG_CONNECT_PERMISSION,
            2 | 20 => &codes::LOG_CONNECT_MISSING,
            111 | 61 | 10061 => &codes::LOG_CONNECT_REFUSED,
            11 | 35 => &codes::LOG_CONNECT_BACKLOG,
            110 | 60 | 10060 | 70007 => &codes::LOG_CONNECT_TIMEOUT,
            113 | 101 | 65 | 51 => &codes::LOG_CONNECT_UNREACHABLE,
            104 | 54 => &codes::LOG_BACKEND_RESET,
            _ => return None,
        };
        return Some(code);
    }
    match errno {
        // mod_proxy_fcgi's `(22)Invalid argument: ... AH01075` follows a
        // response whose headers it could not parse (AH01070).
        22 if env.module == Some("proxy_fcgi") => super::catalogue::row("PFCGI-014").map(row_code),
        104 | 54 => Some(&codes::LOG_BACKEND_RESET),
        32 => Some(&codes::LOG_BACKEND_BROKEN_PIPE),
        110 | 60 | 10060 | 70007 => Some(&codes::LOG_BACKEND_TIMEOUT),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(line: &str) -> Option<&'static str> {
        let env = envelope::parse(line);
        classify(&env, env.message).map(|c| c.code.id)
    }

    #[test]
    fn errno_decides_the_connect_failures() {
        let nginx = |errno: &str| {
            format!("2024/01/15 03:42:17 [crit] 1#1: *5 connect() to unix:/run/php/fpm.sock failed ({errno}) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/fpm.sock:\", host: \"x\"")
        };
        assert_eq!(code_of(&nginx("13: Permission denied")), Some("FD2001"));
        assert_eq!(
            code_of(&nginx("2: No such file or directory")),
            Some("FD2002")
        );
        assert_eq!(code_of(&nginx("111: Connection refused")), Some("FD2003"));
        assert_eq!(
            code_of(&nginx("11: Resource temporarily unavailable")),
            Some("FD2004")
        );
        assert_eq!(
            code_of("[Mon Nov 23 07:53:25.1 2026] [proxy:error] [pid 1:tid 2] (2)No such file or directory: AH02454: FCGI: attempt to connect to Unix domain socket /run/php/x.sock (*) failed"),
            Some("FD2002")
        );
    }

    #[test]
    fn http_upstreams_and_mod_php_are_not_fastcgi() {
        assert_eq!(
            code_of("2024/01/15 03:42:17 [error] 1#1: *5 connect() failed (111: Connection refused) while connecting to upstream, client: 1.2.3.4, server: x, request: \"GET / HTTP/1.1\", upstream: \"http://127.0.0.1:8080/\", host: \"x\""),
            None
        );
        assert_eq!(
            code_of("[Mon Nov 23 07:53:25.1 2026] [php7:warn] [pid 1] [client 1.2.3.4:5] PHP Warning:  Undefined variable $x in /var/www/index.php on line 3"),
            None
        );
    }

    #[test]
    fn relayed_stderr_is_classified_by_content() {
        assert_eq!(
            code_of("2024/01/15 03:42:17 [error] 1#1: *5 FastCGI sent in stderr: \"Primary script unknown\" while reading response header from upstream, client: 1.2.3.4, server: x, request: \"GET /x.php HTTP/1.1\", upstream: \"fastcgi://unix:/run/php/fpm.sock:\", host: \"x\""),
            Some("FD2051")
        );
        assert_eq!(
            code_of("Traceback (most recent call last):"),
            Some("FD2059")
        );
        assert_eq!(code_of("hello world"), None);
    }

    #[test]
    fn the_exit_status_decides_whether_a_process_crashed() {
        // The same message reports a clean exit and a crash.
        assert_eq!(
            code_of("[04-Dec-2026 10:00:00] WARNING: [pool www] child 515958 exited with code 0 after 2529.933860 seconds from start"),
            Some("FD2014")
        );
        let class = |line: &str| {
            crate::core::registry::lookup(code_of(line).unwrap())
                .unwrap()
                .class
        };
        assert_eq!(
            class("[04-Dec-2026 10:00:00] WARNING: [pool www] child 515958 exited with code 255 after 2.9 seconds from start"),
            crate::core::registry::Class::AppCrashed
        );
        let crash = code_of("[04-Dec-2026 10:00:00] WARNING: [pool www] child 4301 exited on signal 11 (SIGSEGV - core dumped) after 12.5 seconds from start");
        assert_eq!(
            crate::core::registry::lookup(crash.unwrap()).unwrap().class,
            crate::core::registry::Class::AppCrashed
        );
        assert_eq!(
            code_of("[Mon Nov 23 07:53:25.1 2026] [fcgid:info] [pid 1:tid 2] mod_fcgid: process /srv/app.fcgi(123) exit(shutting down), terminated by calling exit(), return code: 0"),
            Some("FD2014")
        );
        // EX_CONFIG: php-fpm refused its configuration.
        assert_eq!(
            code_of("Jan 04 21:23:29 web1 systemd[1]: php8.0-fpm.service: Main process exited, code=exited, status=78/CONFIG"),
            Some("FD2016")
        );
    }

    #[test]
    fn evidence_of_fastcgi_is_needed_where_http_backends_log_the_same() {
        let cut = "connect() failed (111: Connection refused) while connecting to upstream";
        assert_eq!(code_of(cut), None, "no sign of FastCGI");
        assert_eq!(
            code_of("connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied) while connecting to upstream"),
            Some("FD2001"),
            "a unix socket, a php name: FastCGI"
        );
    }

    #[test]
    fn mod_php5_and_other_modules_directives_are_not_fastcgi() {
        assert_eq!(
            code_of("[Wed Jul 10 16:20:07.685294 2019] [:error] [pid 2280] [client 192.168.1.65:58547] PHP Warning:  Unknown: POST Content-Length of 68 bytes exceeds the limit of 3 bytes in Unknown on line 0"),
            None
        );
        assert_eq!(
            code_of("Invalid command 'RewriteEngine', perhaps misspelled or defined by a module not included in the server configuration"),
            None
        );
        assert!(code_of("Invalid command 'FcgidWrapper', perhaps misspelled or defined by a module not included in the server configuration").is_some());
    }

    #[test]
    fn mod_proxy_fcgi_invalid_argument_after_bad_headers_is_a_protocol_error() {
        let code = code_of("[Mon Aug 12 14:11:35.807031 2019] [proxy_fcgi:error] [pid 155:tid 1] (22)Invalid argument: [client 172.23.0.6:54150] AH01075: Error dispatching request to :").unwrap();
        assert_eq!(
            crate::core::registry::lookup(code).unwrap().class,
            crate::core::registry::Class::ProtocolError
        );
    }

    #[test]
    fn a_worker_message_relayed_by_the_master_is_classified_by_its_own_row() {
        let code = code_of("[11-Aug-2024 17:13:42] WARNING: [pool app] child 667 said into stderr: \"ERROR: scoreboard: failed to lock (already locked)\"").unwrap();
        assert_eq!(
            crate::core::registry::lookup(code).unwrap().class,
            crate::core::registry::Class::InternalError
        );
    }
}
