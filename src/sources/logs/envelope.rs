//! Envelopes: the prefixes servers and collectors put around a message. Parsing
//! is by hand, byte by byte, because it runs on every candidate line; the
//! shapes follow the "Log line envelopes" section of the error catalogue.

use super::time::{self, Timestamp};
use crate::core::text::{finder, finder_rev};

/// Which program wrote the line, as far as its envelope tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Server {
    Apache22,
    Apache24,
    Nginx,
    Lighttpd,
    #[serde(rename = "php-fpm")]
    PhpFpm,
    Syslog,
    Unknown,
}

impl Server {
    pub fn as_str(self) -> &'static str {
        match self {
            Server::Apache22 => "apache22",
            Server::Apache24 => "apache24",
            Server::Nginx => "nginx",
            Server::Lighttpd => "lighttpd",
            Server::PhpFpm => "php-fpm",
            Server::Syslog => "syslog",
            Server::Unknown => "unknown",
        }
    }

    pub fn is_apache(self) -> bool {
        matches!(self, Server::Apache22 | Server::Apache24)
    }
}

/// What the envelope of one physical line says, and where the message starts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Envelope<'a> {
    pub server: Option<Server>,
    pub timestamp: Option<Timestamp>,
    /// Log level as written (`error`, `crit`, `WARNING`).
    pub level: Option<&'a str>,
    /// Apache 2.4 module tag (`proxy_fcgi`, `fcgid`, `core`); lighttpd's
    /// source file (`mod_fastcgi`, `gw_backend`).
    pub module: Option<&'a str>,
    pub pid: Option<u32>,
    /// nginx connection number (`*42`).
    pub connection: Option<u64>,
    pub client: Option<&'a str>,
    /// The operating-system error, wherever the server put it.
    pub errno: Option<i32>,
    pub errno_text: Option<&'a str>,
    /// nginx `upstream: "..."`, which tells FastCGI from proxy_pass.
    pub upstream: Option<&'a str>,
    /// nginx `request: "GET /slow.php?s=8 HTTP/1.1"`, without its quotes.
    pub request: Option<&'a str>,
    /// The message body, envelope and trailing request context removed.
    pub message: &'a str,
    /// The message with what follows it kept: php-fpm's `: strerror (errno)`,
    /// nginx's ` (errno: strerror)` and ` while ...` action. The same as
    /// `message` where nothing was cut.
    pub full: &'a str,
    /// False when no envelope was recognised at all.
    pub recognised: bool,
    /// The whole line, envelope and context included.
    pub line: &'a str,
}

/// Parses one line (without its newline).
pub fn parse(line: &str) -> Envelope<'_> {
    let mut env = Envelope {
        message: line,
        line,
        ..Envelope::default()
    };
    let mut rest = strip_noise(line);
    // Collector wrappers, outermost first.
    if let Some((ts, after)) = time::parse_rfc3339_prefix(rest) {
        env.timestamp = Some(ts);
        rest = after.trim_start();
    }
    if let Some((ts, after)) = syslog_prefix(rest) {
        env.timestamp = Some(ts);
        env.server = Some(Server::Syslog);
        env.recognised = true;
        rest = after;
    }
    let inner = parse_apache(rest, &mut env)
        || parse_nginx(rest, &mut env)
        || parse_php_fpm(rest, &mut env)
        || parse_lighttpd(rest, &mut env)
        || parse_json(rest, &mut env)
        || parse_logfmt(rest, &mut env)
        || parse_apache_custom(rest, &mut env);
    // A paste may hold prose before the envelope (`Example : [Fri Dec 02 ...`,
    // `Starting php-fpm: [06-Dec-2013 ...`): the envelope is found further in.
    if !inner && !env.recognised {
        if let Some(at) = later_envelope(rest) {
            let mut later = parse(&rest[at..]);
            later.line = line;
            if later.recognised {
                return later;
            }
        }
    }
    if !inner && !parse_nginx_partial(rest, &mut env) {
        env.message = rest.trim();
        env.full = env.message;
        // Pasted messages often keep Apache's `(13)Permission denied: ` or just
        // `Permission denied: ` in front.
        if let Some((errno, text, after)) =
            apache_errno(env.message).or_else(|| errno_word(env.message))
        {
            env.errno = Some(errno);
            env.errno_text = Some(text);
            env.message = after;
        } else if let Some((errno, text)) = errno_anywhere(env.message) {
            env.errno = Some(errno);
            env.errno_text = Some(text);
        }
    }
    if env.full.is_empty() {
        env.full = env.message;
    }
    env
}

/// The operating-system error somewhere in a line no envelope explained: nginx's
/// `(13: Permission denied)`, php-fpm's `: Permission denied (13)` at the end, or
/// Go's lower-case `connect: permission denied` (Caddy, exporters).
fn errno_anywhere(s: &str) -> Option<(i32, &str)> {
    const GO_WORDS: [(&str, i32); 8] = [
        ("permission denied", 13),
        ("no such file or directory", 2),
        ("connection refused", 111),
        ("connection reset by peer", 104),
        ("resource temporarily unavailable", 11),
        ("broken pipe", 32),
        ("i/o timeout", 110),
        ("no route to host", 113),
    ];
    if let Some(open) = finder!(b" (").find(s.as_bytes()) {
        let mut at = open;
        // Each ` (` in turn: the first that holds `N: text)` is the errno.
        loop {
            let inner = &s[at + 2..];
            if let Some((num, rest)) = inner.split_once(": ") {
                if let (Ok(errno), Some(close)) = (num.parse::<i32>(), rest.find(')')) {
                    return Some((errno, &rest[..close]));
                }
            }
            match finder!(b" (").find(&s.as_bytes()[at + 2..]) {
                Some(next) => at += 2 + next,
                None => break,
            }
        }
    }
    if let Some((errno, text, _)) = fpm_errno(s) {
        return Some((errno, text));
    }
    GO_WORDS.iter().find_map(|(word, errno)| {
        let at = s.find(word)?;
        Some((*errno, &s[at..at + word.len()]))
    })
}

/// Where an Apache or php-fpm envelope starts after some text: a `[` followed
/// by a weekday (Apache) or a day of the month (php-fpm), in the first 80 bytes.
fn later_envelope(s: &str) -> Option<usize> {
    const DAYS: [&str; 7] = [
        "[Mon ", "[Tue ", "[Wed ", "[Thu ", "[Fri ", "[Sat ", "[Sun ",
    ];
    let head = &s.as_bytes()[..s.len().min(80)];
    memchr::memchr_iter(b'[', head)
        .skip_while(|&at| at == 0)
        .find(|&at| {
            let rest = &s[at..];
            DAYS.iter().any(|d| rest.starts_with(d))
                || (rest.len() > 4
                    && rest.as_bytes()[1].is_ascii_digit()
                    && rest.as_bytes()[2].is_ascii_digit()
                    && rest.as_bytes()[3] == b'-')
        })
}

/// A bare strerror text before the message, as in pasted Apache lines.
fn errno_word(s: &str) -> Option<(i32, &str, &str)> {
    const WORDS: [(&str, i32); 6] = [
        ("Permission denied: ", 13),
        ("No such file or directory: ", 2),
        ("Connection refused: ", 111),
        ("Connection reset by peer: ", 104),
        ("Resource temporarily unavailable: ", 11),
        ("Connection timed out: ", 110),
    ];
    WORDS.iter().find_map(|(word, errno)| {
        s.strip_prefix(word)
            .map(|after| (*errno, &word[..word.len() - 2], after))
    })
}

/// Docker log framing bytes, compose prefixes (`php_1  | `), line numbers of
/// `cat -n` and vim, Markdown residue of a paste (quotes, back-ticks, `**`, a
/// `$` where a terminal cut the line) and blanks.
fn strip_noise(line: &str) -> &str {
    let mut s = line
        .trim_start_matches(|c: char| c.is_whitespace() || c == '>' || c == '`' || c.is_control());
    s = s.trim_end_matches(|c: char| c.is_whitespace() || c == '`');
    // Markdown bold around a whole line: `**[Fri Sep 01 ...] ...**`.
    let unstarred = s.trim_start_matches('*');
    if unstarred.len() < s.len() && unstarred.starts_with(|c: char| c == '[' || c.is_ascii_digit())
    {
        s = unstarred.trim_end_matches(['*', '_']);
    }
    // `  12 [Fri May 09 ...` or `12: 2024/01/15 ...`: a line number before an envelope.
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if (1..=6).contains(&digits) {
        let after = s[digits..].trim_start_matches(':');
        let trimmed = after.trim_start();
        if trimmed.len() < after.len() && trimmed.starts_with('[') {
            s = trimmed;
        }
    }
    // A compose prefix is short: look for its bar near the start only.
    let head = &s.as_bytes()[..s.len().min(64)];
    let bar = finder!(b" | ")
        .find(head)
        .or_else(|| finder!(b"\t| ").find(head));
    if let Some(bar) = bar {
        let name = s[..bar].trim_end();
        if !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            s = s[bar + 3..].trim_start();
        }
    }
    // A single docker stream byte before a bracket: `W[03-Mar-2023 ...]`.
    if s.len() > 2 && s.as_bytes()[1] == b'[' && s.as_bytes()[0].is_ascii_uppercase() {
        let after = &s[1..];
        if after.len() > 3 && after.as_bytes()[1].is_ascii_digit() {
            s = after;
        }
    }
    s
}

/// `Nov 23 07:53:25 host prog[123]: ` (syslog, journald's short format).
fn syslog_prefix(s: &str) -> Option<(Timestamp, &str)> {
    let (ts, rest) = time::parse_syslog_prefix(s)?;
    let rest = rest.strip_prefix(' ')?;
    let (_host, rest) = rest.split_once(' ')?;
    let colon = finder!(b": ").find(rest.as_bytes())?;
    let prog = &rest[..colon];
    if prog.is_empty() || prog.contains(' ') {
        return None;
    }
    Some((ts, &rest[colon + 2..]))
}

/// Apache 2.2 `[date] [level] ...` and 2.4 `[date] [module:level] [pid N:tid N] ...`.
fn parse_apache<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    let Some((ts, rest)) = time::parse_apache_prefix(s) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(" [") else {
        return false;
    };
    let Some(close) = rest.find(']') else {
        return false;
    };
    let tag = &rest[..close];
    let mut rest = &rest[close + 1..];
    let server = match tag.rsplit_once(':') {
        Some((module, level)) => {
            env.module = Some(module);
            env.level = Some(level);
            Server::Apache24
        }
        None => {
            env.level = Some(tag);
            Server::Apache22
        }
    };
    env.server = Some(if env.server == Some(Server::Syslog) {
        Server::Syslog
    } else {
        server
    });
    env.timestamp = Some(ts);
    env.recognised = true;
    rest = rest.trim_start();
    if let Some(after) = rest.strip_prefix("[pid ") {
        if let Some(close) = after.find(']') {
            let ids = &after[..close];
            env.pid = ids.split(':').next().and_then(|p| p.trim().parse().ok());
            rest = after[close + 1..].trim_start();
        }
    }
    // The order of errno, file(line) and [client] varies by version: take them in
    // any order until the message starts.
    loop {
        if let Some((errno, text, after)) = apache_errno(rest) {
            env.errno = Some(errno);
            env.errno_text = Some(text);
            rest = after;
        } else if let Some(after) = rest.strip_prefix("[client ") {
            let Some(close) = after.find(']') else { break };
            env.client = Some(after[..close].trim());
            rest = after[close + 1..].trim_start();
        } else if let Some(after) = source_location(rest) {
            rest = after;
        } else {
            break;
        }
    }
    let message = match finder!(b", referer: ").find(rest.as_bytes()) {
        Some(at) => &rest[..at],
        None => rest,
    };
    // AHnnnnn codes exist since 2.4: a custom ErrorLogFormat can look like 2.2.
    if env.server == Some(Server::Apache22) && has_ah_code(message) {
        env.server = Some(Server::Apache24);
    }
    env.message = message.trim_end();
    true
}

fn has_ah_code(s: &str) -> bool {
    memchr::memmem::find_iter(s.as_bytes(), b"AH").any(|at| {
        s.as_bytes()
            .get(at + 2..at + 7)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    })
}

/// `(13)Permission denied: ` or APR's `(70007)The timeout specified has expired: `.
fn apache_errno(s: &str) -> Option<(i32, &str, &str)> {
    let after = s.strip_prefix('(')?;
    let close = after.find(')')?;
    let errno: i32 = after[..close].parse().ok()?;
    let rest = &after[close + 1..];
    let colon = finder!(b": ").find(rest.as_bytes())?;
    let text = &rest[..colon];
    if text.contains('[') {
        return None;
    }
    Some((errno, text, rest[colon + 2..].trim_start()))
}

/// `mod_proxy_fcgi.c(745): ` as logged at debug level or with `%F`. Only the
/// first word is looked at: this runs on every Apache line.
fn source_location(s: &str) -> Option<&str> {
    let word = &s[..s.find(' ').unwrap_or(s.len())];
    if !word.ends_with("):") {
        return None;
    }
    let paren = finder!(b".c(").find(word.as_bytes())?;
    if paren == 0 {
        return None;
    }
    Some(s[word.len()..].trim_start())
}

/// nginx: `2024/01/15 03:42:17 [error] 123#123: *5 message (13: Permission denied)
/// while connecting to upstream, client: ..., upstream: "fastcgi://...", host: ...`.
fn parse_nginx<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    let Some((ts, rest)) = time::parse_nginx_prefix(s) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(" [") else {
        return false;
    };
    let Some(close) = finder!(b"] ").find(rest.as_bytes()) else {
        return false;
    };
    env.level = Some(&rest[..close]);
    let mut rest = &rest[close + 2..];
    if let Some(hash) = rest.find('#') {
        if let Some(colon) = finder!(b": ").find(rest.as_bytes()) {
            if hash < colon && rest[..hash].bytes().all(|b| b.is_ascii_digit()) {
                env.pid = rest[..hash].parse().ok();
                rest = &rest[colon + 2..];
            }
        }
    }
    env.timestamp = Some(ts);
    nginx_tail(rest, env);
    true
}

/// An nginx line pasted without its time: `[crit] 812#812: *5 connect() ...` or
/// `*5 connect() ...`.
fn parse_nginx_partial<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    let mut rest = s;
    if let Some(inner) = rest.strip_prefix('[') {
        let Some(close) = inner.find("] ") else {
            return false;
        };
        let level = &inner[..close];
        if !NGINX_LEVELS.contains(&level) {
            return false;
        }
        env.level = Some(level);
        rest = &inner[close + 2..];
        if let Some(colon) = finder!(b": ").find(rest.as_bytes()) {
            let pid = &rest[..colon];
            if pid.contains('#') && pid.bytes().all(|b| b.is_ascii_digit() || b == b'#') {
                rest = &rest[colon + 2..];
            }
        }
    }
    let connection = rest.strip_prefix('*').is_some_and(|a| {
        let digits = a.bytes().take_while(u8::is_ascii_digit).count();
        digits > 0 && a[digits..].starts_with(' ')
    });
    // Or only nginx's request context: `..., client: 1.2.3.4, server: shop, ...`.
    let context = finder!(b", client: ").find(rest.as_bytes()).is_some()
        && finder!(b", server: ").find(rest.as_bytes()).is_some();
    if env.level.is_none() && !connection && !context {
        return false;
    }
    nginx_tail(rest, env);
    true
}

const NGINX_LEVELS: [&str; 8] = [
    "emerg", "alert", "crit", "error", "warn", "notice", "info", "debug",
];

/// What follows nginx's time and level: `*5 message (errno: text) while
/// action, client: ..., upstream: "..."`.
fn nginx_tail<'a>(s: &'a str, env: &mut Envelope<'a>) {
    let mut rest = s;
    if let Some(after) = rest.strip_prefix('*') {
        let digits = after.bytes().take_while(|b| b.is_ascii_digit()).count();
        env.connection = after[..digits].parse().ok();
        rest = after[digits..].trim_start();
    }
    env.server = Some(if env.server == Some(Server::Syslog) {
        Server::Syslog
    } else {
        Server::Nginx
    });
    env.recognised = true;
    // Request context: everything from ", client: " on, with the upstream,
    // the request and the client kept.
    if let Some(at) = finder!(b", upstream: \"").find(rest.as_bytes()) {
        let value = &rest[at + 13..];
        env.upstream = value.find('"').map(|end| &value[..end]);
    }
    if let Some(at) = finder!(b", request: \"").find(rest.as_bytes()) {
        let value = &rest[at + 12..];
        env.request = value.find('"').map(|end| &value[..end]);
    }
    if let Some(at) = finder!(b", client: ").find(rest.as_bytes()) {
        let value = &rest[at + 10..];
        let end = value.find(',').unwrap_or(value.len());
        env.client = Some(value[..end].trim()).filter(|c| !c.is_empty());
    }
    let mut message = match finder!(b", client: ").find(rest.as_bytes()) {
        Some(at) => &rest[..at],
        None => rest,
    };
    env.full = message.trim_end();
    if let Some(at) = finder_rev!(b" while ").rfind(message.as_bytes()) {
        message = &message[..at];
    }
    if let Some((errno, text, before)) = trailing_errno(message) {
        env.errno = Some(errno);
        env.errno_text = Some(text);
        message = before;
    }
    env.message = message;
}

/// nginx's ` (13: Permission denied)` at the end of a message.
fn trailing_errno(s: &str) -> Option<(i32, &str, &str)> {
    let s = s.trim_end();
    let inner = s.strip_suffix(')')?;
    let open = finder_rev!(b" (").rfind(inner.as_bytes())?;
    let (num, text) = inner[open + 2..].split_once(": ")?;
    let errno = num.parse().ok()?;
    Some((errno, text, &s[..open]))
}

const FPM_LEVELS: [&str; 6] = ["DEBUG", "NOTICE", "WARNING", "ERROR", "ALERT", "SYSERROR"];

/// php-fpm: `[23-Nov-2026 07:53:25] WARNING: [pool www] ...`, the same without the
/// timestamp (containers), and the syslog form `[WARNING] func(), line N: ...`.
fn parse_php_fpm<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    let mut rest = s;
    let mut ts = None;
    if let Some((t, after)) = time::parse_fpm_prefix(s) {
        ts = Some(t);
        rest = after.trim_start();
    }
    let mut level = None;
    for l in FPM_LEVELS {
        if let Some(after) = rest.strip_prefix(l).and_then(|a| a.strip_prefix(": ")) {
            level = Some(l);
            rest = after;
            break;
        }
        if let Some(after) = rest
            .strip_prefix('[')
            .and_then(|a| a.strip_prefix(l))
            .and_then(|a| a.strip_prefix("] "))
        {
            level = Some(l);
            rest = after;
            break;
        }
    }
    if level.is_none() && ts.is_none() {
        // php-fpm 0.5.x: `Nov 25 17:51:40.363813 [WARNING] fpm_children_bury(), line 215: `
        if let Some((t, after)) = time::parse_legacy_fpm_prefix(s) {
            for l in FPM_LEVELS {
                if let Some(a) = after
                    .strip_prefix(" [")
                    .and_then(|a| a.strip_prefix(l))
                    .and_then(|a| a.strip_prefix("] "))
                {
                    ts = Some(t);
                    level = Some(l);
                    rest = a;
                    break;
                }
            }
        }
    }
    let Some(level) = level else {
        return false;
    };
    // `pid N, func(), line N: ` (debug level) or `func(), line N: ` (syslog).
    if let Some(after) = rest.strip_prefix("pid ") {
        if let Some(comma) = finder!(b", ").find(after.as_bytes()) {
            env.pid = after[..comma].parse().ok();
            rest = &after[comma + 2..];
        }
    }
    env.full = rest.trim_end();
    if let Some(at) = finder!(b"(), line ").find(rest.as_bytes()) {
        if let Some(colon) = finder!(b": ").find(&rest.as_bytes()[at..]) {
            if !rest[..at].contains(' ') {
                rest = &rest[at + colon + 2..];
            }
        }
    }
    // SYSERROR appends `: strerror (errno)`.
    if let Some((errno, text, before)) = fpm_errno(rest) {
        env.errno = Some(errno);
        env.errno_text = Some(text);
        env.message = before;
    } else {
        env.message = rest.trim_end();
    }
    env.level = Some(level);
    // `WARNING: ` alone (php-fpm in a container, without its time) is how
    // other programs start a line too: without a pool it names no server.
    let fpm = ts.is_some() || !s.starts_with(level) || env.full.starts_with("[pool ");
    if env.server != Some(Server::Syslog) && fpm {
        env.server = Some(Server::PhpFpm);
    }
    if ts.is_some() {
        env.timestamp = ts;
    }
    env.recognised = true;
    true
}

/// php-fpm's `...: Permission denied (13)`.
fn fpm_errno(s: &str) -> Option<(i32, &str, &str)> {
    let s = s.trim_end();
    let inner = s.strip_suffix(')')?;
    let open = finder_rev!(b" (").rfind(inner.as_bytes())?;
    let errno: i32 = inner[open + 2..].parse().ok()?;
    let before = &inner[..open];
    let colon = finder_rev!(b": ").rfind(before.as_bytes())?;
    Some((errno, &before[colon + 2..], &before[..colon]))
}

/// lighttpd: `2026-11-23 07:53:25: (mod_fastcgi.c.2543) message`.
fn parse_lighttpd<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    let Some((ts, rest)) = time::parse_lighttpd_prefix(s) else {
        return false;
    };
    let Some(inner) = rest.strip_prefix('(') else {
        return false;
    };
    let Some((place, message)) = inner.split_once(") ") else {
        return false;
    };
    // `gw_backend.c.1234`: the file, then the line.
    let Some((file, line)) = place.rsplit_once('.') else {
        return false;
    };
    if !line.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    env.module = Some(file.strip_suffix(".c").unwrap_or(file));
    env.server = Some(if env.server == Some(Server::Syslog) {
        Server::Syslog
    } else {
        Server::Lighttpd
    });
    env.timestamp = Some(ts);
    env.recognised = true;
    env.message = message.trim_end();
    true
}

/// Caddy's JSON lines: `{"level":"error","ts":...,"logger":"http.log.error",
/// "msg":"dialing backend: ...","error":"..."}`. The message is `msg`; an
/// `error` field, where there is one, is the fuller text.
fn parse_json<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    if !s.starts_with('{') {
        return false;
    }
    let Some(msg) = quoted_after(s, "\"msg\":\"") else {
        return false;
    };
    env.level = quoted_after(s, "\"level\":\"");
    env.message = msg;
    env.full = quoted_after(s, "\"error\":\"").unwrap_or(msg);
    env.recognised = true;
    true
}

/// Go's logfmt (logrus, php-fpm_exporter): `time="..." level=error msg="..."`.
fn parse_logfmt<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    if !s.starts_with("time=") && !s.starts_with("level=") {
        return false;
    }
    let Some(msg) = quoted_after(s, " msg=\"") else {
        return false;
    };
    if let Some(at) = finder!(b"level=").find(s.as_bytes()) {
        let level = &s[at + 6..];
        env.level = Some(&level[..level.find(' ').unwrap_or(level.len())]);
    }
    env.message = msg;
    env.recognised = true;
    true
}

/// The text after `marker` up to the next quote that no backslash escapes.
fn quoted_after<'a>(s: &'a str, marker: &str) -> Option<&'a str> {
    let start = s.find(marker)? + marker.len();
    let bytes = s.as_bytes();
    let mut i = start;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(&s[start..i]),
            _ => i += 1,
        }
    }
    None
}

/// Custom ErrorLogFormat: the `AHnnnnn: ...` message in brackets anywhere.
fn parse_apache_custom<'a>(s: &'a str, env: &mut Envelope<'a>) -> bool {
    let Some(at) = finder!(b"[AH").find(s.as_bytes()) else {
        return false;
    };
    let inner = &s[at + 1..];
    let Some(close) = inner.find(']') else {
        return false;
    };
    let msg = &inner[..close];
    if msg.len() < 8 || !msg.as_bytes()[2..7].iter().all(u8::is_ascii_digit) {
        return false;
    }
    env.server = env.server.or(Some(Server::Apache24));
    env.recognised = true;
    env.message = msg;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apache24_with_errno_before_client() {
        let e = parse("[Tue Oct 15 08:11:35.123456 2013] [proxy:error] [pid 123:tid 140] (111)Connection refused: AH00957: FCGI: attempt to connect to 127.0.0.1:9000 (*) failed");
        assert_eq!(e.server, Some(Server::Apache24));
        assert_eq!(e.module, Some("proxy"));
        assert_eq!(e.level, Some("error"));
        assert_eq!(e.pid, Some(123));
        assert_eq!(e.errno, Some(111));
        assert_eq!(
            e.message,
            "AH00957: FCGI: attempt to connect to 127.0.0.1:9000 (*) failed"
        );
        let t = e.timestamp.unwrap();
        assert_eq!(t.to_string(), "2013-10-15T08:11:35");
    }

    #[test]
    fn apache24_client_then_message_and_referer() {
        let e = parse("[Mon Nov 23 07:53:25.000001 2026] [proxy_fcgi:error] [pid 9:tid 10] [client 127.0.0.1:5678] AH01071: Got error 'Primary script unknown', referer: http://x/");
        assert_eq!(e.client, Some("127.0.0.1:5678"));
        assert_eq!(e.message, "AH01071: Got error 'Primary script unknown'");
    }

    #[test]
    fn apache22_errno_glued_to_client() {
        let e = parse("[Tue Oct 15 08:11:35 2013] [error] [client 127.0.0.1](104)Connection reset by peer: mod_fcgid: error reading data from FastCGI server");
        assert_eq!(e.server, Some(Server::Apache22));
        assert_eq!(e.errno, Some(104));
        assert_eq!(
            e.message,
            "mod_fcgid: error reading data from FastCGI server"
        );
    }

    #[test]
    fn nginx_with_errno_action_and_upstream() {
        let e = parse(
            r#"2013/10/15 08:11:35 [crit] 1234#1234: *5 connect() to unix:/run/php/php-fpm.sock failed (13: Permission denied) while connecting to upstream, client: 1.2.3.4, server: example.com, request: "GET / HTTP/1.1", upstream: "fastcgi://unix:/run/php/php-fpm.sock:", host: "example.com""#,
        );
        assert_eq!(e.server, Some(Server::Nginx));
        assert_eq!(e.level, Some("crit"));
        assert_eq!(e.connection, Some(5));
        assert_eq!(e.errno, Some(13));
        assert_eq!(e.message, "connect() to unix:/run/php/php-fpm.sock failed");
        assert_eq!(e.upstream, Some("fastcgi://unix:/run/php/php-fpm.sock:"));
    }

    #[test]
    fn php_fpm_pool_line_and_syserror() {
        let e = parse("[23-Nov-2026 07:53:25] WARNING: [pool www] server reached pm.max_children setting (5), consider raising it");
        assert_eq!(e.server, Some(Server::PhpFpm));
        assert_eq!(e.level, Some("WARNING"));
        assert_eq!(
            e.message,
            "[pool www] server reached pm.max_children setting (5), consider raising it"
        );
        let e = parse("[23-Nov-2026 07:53:25] ERROR: unable to bind listening socket for address '127.0.0.1:9000': Address already in use (98)");
        assert_eq!(e.errno, Some(98));
        assert_eq!(
            e.message,
            "unable to bind listening socket for address '127.0.0.1:9000'"
        );
    }

    #[test]
    fn collector_wrappers_are_stripped() {
        let e = parse("php_1  | [13-Dec-2019 00:49:16] NOTICE: fpm is running, pid 1");
        assert_eq!(e.server, Some(Server::PhpFpm));
        assert_eq!(e.message, "fpm is running, pid 1");
        let e = parse("Nov 23 07:53:25 web1 php-fpm[123]: [WARNING] [pool www] child 5 exited on signal 9 (SIGKILL) after 1.0 seconds from start");
        assert_eq!(e.server, Some(Server::Syslog));
        assert_eq!(
            e.message,
            "[pool www] child 5 exited on signal 9 (SIGKILL) after 1.0 seconds from start"
        );
        let e = parse("2020-04-26T04:21:34.717765840Z 2020/04/26 04:21:34 [error] 7#7: *1 FastCGI sent in stderr: \"Primary script unknown\" while reading response header from upstream");
        assert_eq!(e.server, Some(Server::Nginx));
        assert_eq!(
            e.message,
            "FastCGI sent in stderr: \"Primary script unknown\""
        );
        let e = parse("WARNING: [pool www] seems busy");
        assert_eq!(e.server, Some(Server::PhpFpm));
    }

    /// Regression: a multi-byte character where a timestamp field was expected
    /// once made a slice panic. Hostile lines of every shape must parse.
    #[test]
    fn never_panics_on_hostile_lines() {
        let pieces = [
            "[",
            "]",
            "2020-04-26T04:21:3",
            "é",
            "2013/10/15 08:11:3",
            "[Tue Oct 15 08:11:35 2013]",
            " [proxy:error]",
            " [pid 1:tid 2]",
            "(13)",
            "Permission denied: ",
            "[client ",
            "*",
            "1#1: ",
            "[23-Nov-2026 07:53:25]",
            " WARNING: ",
            "(), line ",
            ": x (98)",
            " (",
            ")",
            ", upstream: \"",
            ", client: ",
            " while ",
            "AH0",
            "php_1  | ",
            "\u{9b}",
            "🦀",
            "Nov 23 07:53:25 h p[1]: ",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            let mut line = String::new();
            for _ in 0..(seed % 9) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                line.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            seed = seed.wrapping_add(1);
            let e = parse(&line);
            let _ = crate::checks::logs::classify::classify(&e, e.message);
        }
    }

    #[test]
    fn bare_message_is_kept() {
        let e = parse("  Primary script unknown  ");
        assert!(!e.recognised);
        assert_eq!(e.message, "Primary script unknown");
    }
}
