//! From an entry's envelope and text to a registry code: the catalogue pattern,
//! with the operating-system error and relayed stderr content deciding where the
//! catalogue says they do.

use super::catalogue::{ErrnoUse, Evidence, Pattern};
use super::pattern::Matcher;
use super::stderr;
use crate::core::registry::{self, codes, Code};
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
        let own = matcher
            .find(None, payload, payload)
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
        if p.source.contains("STDERR") {
            if let Some(code) = stderr::classify(body, false) {
                return Some(Classified {
                    code,
                    row: Some(p.row),
                });
            }
        }
        return Some(Classified {
            code: errno_code(p, env).unwrap_or_else(|| row_code(p)),
            row: Some(p.row),
        });
    }
    // Raw child output (mod_fcgid writes it unprefixed) and bare pasted lines:
    // only their content can say what they are.
    if !env.recognised || env.server == Some(Server::Unknown) {
        return stderr::classify(body, false).map(|code| Classified { code, row: None });
    }
    None
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
    !matches!(env.module, Some(m) if m.starts_with("php") || m == "proxy_http" || m == "ssl")
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
    const WORDS: [&str; 8] = [
        "fcgi", "FCGI", "FastCGI", "fastcgi", "php", "unix:", ".sock", ":9000",
    ];
    const OTHER: [&str; 12] = [
        "http://", "https://", "ws://", "wss://", "ajp://", "h2c://", "HTTP: ", "HTTPS: ", "AJP: ",
        "WS: ", "scgi", "uwsgi",
    ];
    if WORDS
        .iter()
        .any(|w| env.line.contains(w) || body.contains(w))
    {
        return true;
    }
    match env.module {
        Some(m) if m.contains("fcgi") || m.contains("fastcgi") => true,
        Some("proxy" | "gw_backend") => !OTHER.iter().any(|w| env.line.contains(w)),
        _ => env.server == Some(Server::Nginx) && env.level == Some("emerg"),
    }
}

fn row_code(p: &Pattern) -> &'static Code {
    registry::lookup(p.code).expect("catalogue codes are in the registry (tested)")
}

/// The code the operating-system error decides, for the rows where it does
/// ("errno / status text variants that change the class" in the catalogue).
fn errno_code(p: &Pattern, env: &Envelope) -> Option<&'static Code> {
    let errno = env.errno?;
    // Apache prepends an errno only where the call site passed one; a pasted
    // line without an envelope keeps it too.
    let applies = p.errno != ErrnoUse::None || env.server.is_none_or(Server::is_apache);
    if !applies {
        return None;
    }
    let connecting = p.regex.contains("connect") || p.literal.contains("connect");
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
}
