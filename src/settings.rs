//! Validated settings: the second step of argument parsing. Every value here has
//! been checked; a bad one becomes a [`UsageError`], which exits with UNKNOWN.

use std::io::Read;
use std::ops::RangeInclusive;
use std::time::Duration;

use regex::bytes::Regex;

use crate::cli::{
    ColorChoice, Format, GlobalArgs, LogsArgs, MinSeverity, ProbeArgs, PsArgs, SocketArgs,
};
use crate::finding::Severity;
use crate::logs::{self, LogsSettings};
use crate::probe::target::Target;

/// A bad argument, in one line that names the argument.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

fn usage(msg: impl Into<String>) -> UsageError {
    UsageError(msg.into())
}

/// Options every command shares.
#[derive(Clone, Copy, Debug)]
pub struct OutputSettings {
    pub format: Format,
    pub color: bool,
    pub quiet: bool,
}

impl OutputSettings {
    /// Decides colour once, from the flag, `NO_COLOR`, `TERM=dumb` and whether
    /// stdout is a terminal (https://no-color.org).
    pub fn from_args(args: &GlobalArgs) -> Self {
        use std::io::IsTerminal;
        let color = match args.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
                    && std::io::stdout().is_terminal()
            }
        };
        Self {
            format: args.format,
            color,
            quiet: args.quiet,
        }
    }
}

/// Everything `probe` needs, validated.
#[derive(Debug)]
pub struct ProbeSettings {
    pub target: Target,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub request: RequestSpec,
    pub expect_status: Option<RangeInclusive<u16>>,
    pub expect_body: Option<BodyMatch>,
    pub max_body: usize,
    pub get_values: bool,
    pub as_user: Option<String>,
}

/// What the response body must look like.
///
/// A `--expect-body` regex runs on the raw body bytes in ASCII mode: `.` is any
/// byte, `\w`, `\d` and `(?i)` are ASCII, and a non-ASCII literal matches its
/// UTF-8 bytes. Bodies need not be UTF-8, and Unicode case tables would cost
/// every start of the binary (BENCHMARKS.md).
#[derive(Debug)]
pub enum BodyMatch {
    Regex(Regex),
    Prefix(&'static str),
}

impl BodyMatch {
    pub fn matches(&self, body: &[u8]) -> bool {
        match self {
            BodyMatch::Regex(re) => re.is_match(body),
            BodyMatch::Prefix(prefix) => body.starts_with(prefix.as_bytes()),
        }
    }
}

impl std::fmt::Display for BodyMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BodyMatch::Regex(re) => write!(f, "/{}/", re.as_str()),
            BodyMatch::Prefix(prefix) => write!(f, "\"{prefix}\" at the start"),
        }
    }
}

/// The synthetic request: CGI parameters in order, and the body.
#[derive(Debug)]
pub struct RequestSpec {
    pub params: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// False when the probe picked the script itself (the harmless default): a
    /// "Primary script unknown" then proves the backend works instead of failing.
    pub script_chosen: bool,
    /// Set by `--fpm-ping`, so findings can speak of ping.path.
    pub fpm_ping: bool,
}

/// Bodies come from the user; this bound keeps `--body -` from reading forever.
const MAX_REQUEST_BODY: u64 = 64 * 1024 * 1024;

impl ProbeSettings {
    pub fn from_args(args: &ProbeArgs) -> Result<Self, UsageError> {
        let target = Target::parse(&args.target)?;
        let connect_timeout = parse_duration("--connect-timeout", &args.connect_timeout)?;
        let timeout = parse_duration("--timeout", &args.timeout)?;
        let expect_status = args
            .expect_status
            .as_deref()
            .map(parse_status_range)
            .transpose()?;
        let mut expect_body = args
            .expect_body
            .as_deref()
            .map(|re| {
                crate::text::ascii_regex(re)
                    .map(BodyMatch::Regex)
                    .map_err(|e| {
                        let text = e.to_string();
                        let last = text.lines().last().unwrap_or_default();
                        let why = last.strip_prefix("error: ").unwrap_or(last);
                        let mode = if why.contains("Unicode") {
                            " (the pattern runs in ASCII mode on the body bytes)"
                        } else {
                            ""
                        };
                        usage(format!(
                            "--expect-body: invalid regular expression: {why}{mode}"
                        ))
                    })
            })
            .transpose()?;
        let max_body = parse_size("--max-body", &args.max_body)?;
        let body = match &args.body {
            None => Vec::new(),
            Some(spec) => read_body(spec)?,
        };
        let mut expect_status = expect_status;
        if args.fpm_ping.is_some() {
            // php-fpm answers its ping with 200 and ping.response ("pong" by default).
            expect_status.get_or_insert(200..=200);
            // php-fpm's default ping.response. A prefix test, not a regex: a
            // health check runs every few seconds and should start fast.
            expect_body.get_or_insert(BodyMatch::Prefix("pong"));
        }
        let request = build_request(args, body)?;
        Ok(Self {
            target,
            connect_timeout: connect_timeout.min(timeout),
            timeout,
            request,
            expect_status,
            expect_body,
            max_body,
            get_values: !args.no_get_values,
            as_user: args.as_user.clone(),
        })
    }
}

/// Builds the minimal, complete CGI/1.1 parameter set (RFC 3875 §4.1) and applies
/// `--param` overrides. Nothing comes from the caller's environment, unlike
/// cgi-fcgi, which forwards all of it.
fn build_request(args: &ProbeArgs, body: Vec<u8>) -> Result<RequestSpec, UsageError> {
    let fpm_ping = args.fpm_ping.is_some();
    let uri = match (&args.fpm_ping, &args.uri) {
        (Some(path), _) => path.clone(),
        (None, Some(uri)) => uri.clone(),
        (None, None) => "/".to_string(),
    };
    if !uri.starts_with('/') {
        return Err(usage(format!("--uri must start with '/': {uri:?}")));
    }
    let (path, query) = uri.split_once('?').unwrap_or((&uri, ""));
    let script_chosen = fpm_ping || args.uri.is_some() || args.script_filename.is_some();
    // php-fpm recognises ping.path only when SCRIPT_NAME and SCRIPT_FILENAME are both
    // equal to it (fpm_main.c compares SCRIPT_NAME; the request must not 404 first).
    let (script_filename, document_root) = match &args.script_filename {
        Some(file) => {
            let root = std::path::Path::new(file)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|| "/".into());
            (file.clone(), root)
        }
        None => (path.to_string(), "/".to_string()),
    };
    let script_name = match (&args.script_filename, &args.uri) {
        (Some(file), None) => format!(
            "/{}",
            std::path::Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        _ => path.to_string(),
    };
    let request_uri = match (&args.script_filename, &args.uri) {
        (Some(_), None) => script_name.clone(),
        _ => uri.clone(),
    };
    let method = args.method.trim();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(usage(format!(
            "--method must be a word such as GET: {method:?}"
        )));
    }
    let content_type = if body.is_empty() {
        ""
    } else {
        "application/x-www-form-urlencoded"
    };
    let mut params: Vec<(String, String)> = [
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        (
            "SERVER_SOFTWARE",
            concat!("fcgi-doctor/", env!("CARGO_PKG_VERSION")),
        ),
        ("REQUEST_METHOD", &method.to_ascii_uppercase()),
        ("SCRIPT_FILENAME", &script_filename),
        ("SCRIPT_NAME", &script_name),
        ("REQUEST_URI", &request_uri),
        ("QUERY_STRING", query),
        ("DOCUMENT_ROOT", &document_root),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("SERVER_NAME", "localhost"),
        ("SERVER_ADDR", "127.0.0.1"),
        ("SERVER_PORT", "80"),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("REMOTE_PORT", "0"),
        ("HTTP_HOST", "localhost"),
        (
            "HTTP_USER_AGENT",
            concat!("fcgi-doctor/", env!("CARGO_PKG_VERSION")),
        ),
        ("CONTENT_TYPE", content_type),
        ("CONTENT_LENGTH", &body.len().to_string()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for param in &args.params {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| usage(format!("--param needs NAME=VALUE: {param:?}")))?;
        if name.is_empty() || name.contains('\0') || value.contains('\0') {
            return Err(usage(format!(
                "--param has an empty name or a NUL byte: {param:?}"
            )));
        }
        match params.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => params.push((name.to_string(), value.to_string())),
        }
    }
    Ok(RequestSpec {
        params,
        body,
        script_chosen,
        fpm_ping,
    })
}

fn read_body(spec: &str) -> Result<Vec<u8>, UsageError> {
    let mut body = Vec::new();
    let result = if spec == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_REQUEST_BODY + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("--body -: cannot read standard input: {e}"))
    } else if let Some(file) = spec.strip_prefix('@') {
        std::fs::File::open(file)
            .and_then(|f| f.take(MAX_REQUEST_BODY + 1).read_to_end(&mut body))
            .map_err(|e| format!("--body @{file}: {e}"))
    } else {
        body.extend_from_slice(spec.as_bytes());
        Ok(0)
    };
    result.map_err(usage)?;
    if body.len() as u64 > MAX_REQUEST_BODY {
        return Err(usage(format!(
            "--body is larger than {} MiB",
            MAX_REQUEST_BODY >> 20
        )));
    }
    Ok(body)
}

/// Validates `logs` arguments.
pub fn logs_settings(args: &LogsArgs, output: &OutputSettings) -> Result<LogsSettings, UsageError> {
    let bound = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| logs::time::parse_bound(t).map_err(|e| usage(format!("{flag}: {e}"))))
            .transpose()
    };
    let since = bound("--since", &args.since)?;
    let until = bound("--until", &args.until)?;
    if let (Some(s), Some(u)) = (since, until) {
        if s > u {
            return Err(usage(format!("--since {s} is after --until {u}")));
        }
    }
    if args.follow && args.files.iter().any(|f| f == "-") {
        return Err(usage("--follow needs files, not standard input"));
    }
    if args.files.iter().filter(|f| *f == "-").count() > 1 {
        return Err(usage("standard input (-) can be read only once"));
    }
    Ok(LogsSettings {
        inputs: args.files.clone(),
        since,
        until,
        min_severity: match args.min_severity {
            MinSeverity::Info => Severity::Info,
            MinSeverity::Warning => Severity::Warning,
            MinSeverity::Critical => Severity::Critical,
        },
        follow: args.follow,
        timeline: args.timeline,
        verbose: args.verbose,
        jsonl: output.format == Format::Jsonl,
        progress: output.format == Format::Human && !output.quiet,
    })
}

pub fn socket_settings(args: &SocketArgs) -> Result<crate::socket::SocketSettings, UsageError> {
    let targets = args
        .targets
        .iter()
        .map(|t| Target::parse(t))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(crate::socket::SocketSettings {
        targets,
        web_user: args.web_user.clone(),
        proc: crate::procfs::ProcFs::new(&args.proc_root),
        config: crate::webuser::ConfigRoot::default(),
    })
}

/// `ps --watch` is bounded to ten minutes: it is a diagnosis, not a monitor.
pub fn ps_settings(args: &PsArgs) -> Result<crate::ps::PsSettings, UsageError> {
    let watch = args
        .watch
        .as_deref()
        .map(|w| parse_duration("--watch", w))
        .transpose()?;
    if watch.is_some_and(|w| w > Duration::from_secs(600)) {
        return Err(usage("--watch: at most 10m".to_string()));
    }
    Ok(crate::ps::PsSettings {
        all: args.all,
        watch,
        web_user: args.web_user.clone(),
        proc: crate::procfs::ProcFs::new(&args.proc_root),
        config: crate::webuser::ConfigRoot::default(),
    })
}

/// Parses `500ms`, `2s`, `1.5s`, `1m` or a bare number of seconds.
pub fn parse_duration(flag: &str, text: &str) -> Result<Duration, UsageError> {
    let t = text.trim();
    let (number, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix('m') {
        (n, 60.0)
    } else {
        (t, 1.0)
    };
    let bad = || {
        usage(format!(
            "{flag}: not a duration: {text:?} (use 500ms, 2s, 1m)"
        ))
    };
    let value: f64 = number.trim().parse().map_err(|_| bad())?;
    let secs = value * scale;
    if !secs.is_finite() || secs <= 0.0 || secs > 86_400.0 {
        return Err(usage(format!(
            "{flag}: {text:?} is out of range (more than 0, at most one day)"
        )));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses `4096`, `64K`, `64KiB`, `1M`, `1MiB`, `1G` (binary multiples).
pub fn parse_size(flag: &str, text: &str) -> Result<usize, UsageError> {
    let t = text.trim();
    let digits = t.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = t[digits.len()..].to_ascii_lowercase();
    let scale: u64 = match unit.as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(usage(format!("{flag}: unknown size unit in {text:?}"))),
    };
    let n: u64 = digits.trim().parse().map_err(|_| {
        usage(format!(
            "{flag}: not a size: {text:?} (use 4096, 64K, 1MiB)"
        ))
    })?;
    n.checked_mul(scale)
        .filter(|&v| v <= 1 << 32)
        .map(|v| v as usize)
        .ok_or_else(|| usage(format!("{flag}: {text:?} is larger than 4 GiB")))
}

/// Parses `200` or `200-399`.
pub fn parse_status_range(text: &str) -> Result<RangeInclusive<u16>, UsageError> {
    let bad = || usage(format!("--expect-status: not a status or range: {text:?}"));
    let parse = |s: &str| -> Result<u16, UsageError> {
        let n: u16 = s.trim().parse().map_err(|_| bad())?;
        if (100..=599).contains(&n) {
            Ok(n)
        } else {
            Err(bad())
        }
    };
    let range = match text.split_once('-') {
        Some((a, b)) => parse(a)?..=parse(b)?,
        None => {
            let n = parse(text)?;
            n..=n
        }
    };
    if range.is_empty() {
        return Err(bad());
    }
    Ok(range)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        let d = |s| parse_duration("--t", s);
        assert_eq!(d("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(d("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(d("1.5").unwrap(), Duration::from_millis(1500));
        assert_eq!(d("1m").unwrap(), Duration::from_secs(60));
        for bad in ["", "0", "-1s", "abc", "nan", "inf", "2h", "1e9"] {
            assert!(d(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes() {
        let s = |t| parse_size("--max-body", t);
        assert_eq!(s("4096").unwrap(), 4096);
        assert_eq!(s("64K").unwrap(), 65536);
        assert_eq!(s("1MiB").unwrap(), 1 << 20);
        assert_eq!(s("0").unwrap(), 0);
        for bad in ["", "x", "1T", "-1", "99999999999G"] {
            assert!(s(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_ranges() {
        assert_eq!(parse_status_range("200").unwrap(), 200..=200);
        assert_eq!(parse_status_range("200-399").unwrap(), 200..=399);
        for bad in ["", "2xx", "399-200", "0", "600", "200-", "-"] {
            assert!(parse_status_range(bad).is_err(), "{bad}");
        }
    }
}
