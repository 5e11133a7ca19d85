//! Validated settings: the second step of argument parsing. Every value here is
//! checked and turned into the settings types of [`crate::commands`] and
//! [`crate::output`]; a bad one is an [`Error::Usage`], which exits with
//! UNKNOWN and one line that names the argument.

use std::io::Read;
use std::ops::RangeInclusive;
use std::time::Duration;

use super::{
    ColorChoice, GlobalArgs, LogsArgs, MinSeverity, ProbeArgs, ProbeOptions, PsArgs, SocketArgs,
};
use crate::checks::response::BodyMatch;
use crate::checks::thresholds::Range;
use crate::commands::logs::LogsSettings;
use crate::commands::probe::load::LoadSettings;
use crate::commands::probe::request::{self, RequestOptions};
use crate::commands::probe::ProbeSettings;
use crate::commands::ps::PsSettings;
use crate::commands::socket::SocketSettings;
use crate::commands::spawn::SpawnSettings;
use crate::core::error::{Error, Result};
use crate::core::registry::Severity;
use crate::fcgi::Role;
use crate::net::target::Target;
use crate::output::{self, Format, OutputSettings};
use crate::sources::webuser::{self, WebUser};

fn usage(msg: impl Into<String>) -> Error {
    Error::Usage(msg.into())
}

/// Decides colour once, from the flag, `NO_COLOR`, `TERM=dumb` and whether
/// stdout is a terminal (https://no-color.org), and the width human output
/// fits in.
pub fn output(args: &GlobalArgs) -> OutputSettings {
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
    let format = match args.format {
        super::Format::Human => Format::Human,
        super::Format::Json => Format::Json,
        super::Format::Jsonl => Format::Jsonl,
        super::Format::Nagios => Format::Nagios,
        super::Format::Prometheus => Format::Prometheus,
    };
    OutputSettings {
        format,
        color,
        quiet: args.quiet,
        width: if format == Format::Human {
            output::text::width()
        } else {
            output::text::DEFAULT_WIDTH
        },
    }
}

/// Bodies come from the user; this bound keeps `--body -` from reading forever.
const MAX_REQUEST_BODY: u64 = 64 * 1024 * 1024;

/// Validates `probe` arguments.
pub fn probe(args: &ProbeArgs) -> Result<ProbeSettings> {
    let target = Target::parse(&args.target).map_err(|e| usage(e.0))?;
    let mut settings = probe_options(&args.request, target)?;
    settings.as_user = args.as_user.as_deref().map(as_user).transpose()?;
    // php-fpm's scoreboard counts a worker as active for up to a second
    // after a connection that carried FCGI_GET_VALUES (PHP 8.2.31): the
    // status page would count the probe's own question. It says more anyway.
    settings.get_values = !args.no_get_values && args.request.fpm_status.is_none();
    Ok(settings)
}

/// Validates the options `probe` and `spawn` share, for `target`.
fn probe_options(args: &ProbeOptions, target: Target) -> Result<ProbeSettings> {
    let connect_timeout = parse_duration("--connect-timeout", &args.connect_timeout)?;
    let timeout = parse_duration("--timeout", &args.timeout)?;
    let mut expect_status = args
        .expect_status
        .as_deref()
        .map(parse_status_range)
        .transpose()?;
    let mut expect_body = args
        .expect_body
        .as_deref()
        .map(|re| {
            crate::core::text::ascii_regex(re)
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
        Some(spec) => read_body("--body", spec)?,
    };
    if args.fpm_ping.is_some() {
        // php-fpm answers its ping with 200 and ping.response ("pong" by default).
        expect_status.get_or_insert(200..=200);
        // php-fpm's default ping.response. A prefix test, not a regex: a
        // health check runs every few seconds and should start fast.
        expect_body.get_or_insert(BodyMatch::Prefix("pong"));
    }
    let status_uri = args.fpm_status.as_ref().map(|path| match args.verbose {
        true => format!("{path}?json&full"),
        false => format!("{path}?json"),
    });
    if args.data.is_some() && args.role != super::Role::Filter {
        return Err(usage(
            "--data is the filter's FCGI_DATA: give --role filter",
        ));
    }
    let data = match &args.data {
        None => Vec::new(),
        Some(spec) => read_body("--data", spec)?,
    };
    let request = request::build(RequestOptions {
        role: match args.role {
            super::Role::Responder => Role::Responder,
            super::Role::Authorizer => Role::Authorizer,
            super::Role::Filter => Role::Filter,
        },
        data,
        fpm_ping: args.fpm_ping.clone(),
        fpm_status: args.fpm_status.is_some(),
        uri: status_uri.or_else(|| args.uri.clone()),
        script_filename: args.script_filename.clone(),
        method: args.method.clone(),
        params: args.params.clone(),
        body,
    })?;
    let range = |flag: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| Range::parse(t).map_err(|e| usage(format!("{flag}: {e}"))))
            .transpose()
    };
    let warning = range("--warning", &args.warning)?;
    let critical = range("--critical", &args.critical)?;
    let load = load_settings(args)?;
    Ok(ProbeSettings {
        check_web_user: true,
        load,
        warning,
        critical,
        target,
        connect_timeout: connect_timeout.min(timeout),
        timeout,
        request,
        expect_status,
        expect_body,
        max_body,
        get_values: false,
        as_user: None,
    })
}

/// `--as-user NAME`: root only (only root can become another user), and a
/// user that exists.
fn as_user(name: &str) -> Result<WebUser> {
    let me = nix::unistd::geteuid();
    if !me.is_root() {
        return Err(usage(format!(
            "--as-user {name} needs root (running as {})",
            crate::sources::nss::user_name(me.as_raw())
        )));
    }
    if name.contains('\0') {
        return Err(usage("--as-user: the name contains a NUL byte"));
    }
    webuser::named(name, "--as-user").map_err(|e| usage(format!("--as-user {name}: {e}")))
}

/// `--web-user NAME`: a user that exists.
pub fn web_user(name: Option<&str>) -> Result<Option<WebUser>> {
    name.map(|n| webuser::named(n, "--web-user").map_err(|e| usage(format!("--web-user: {e}"))))
        .transpose()
}

/// The load mode, when `--requests`, `--concurrency` or `--duration` asks
/// for more than one request.
fn load_settings(args: &ProbeOptions) -> Result<Option<LoadSettings>> {
    use std::io::IsTerminal;
    let duration = args
        .duration
        .as_deref()
        .map(|d| parse_duration("--duration", d))
        .transpose()?;
    let concurrency = args.concurrency.unwrap_or(1);
    if concurrency == 0 || concurrency > 10_000 {
        return Err(usage(format!(
            "--concurrency must be between 1 and 10000: {concurrency}"
        )));
    }
    if args.requests == Some(0) {
        return Err(usage("--requests must be at least 1"));
    }
    let load = args.requests.is_some_and(|n| n > 1) || concurrency > 1 || duration.is_some();
    if !load {
        return Ok(None);
    }
    let requests = match (args.requests, duration) {
        (None, None) => Some(100 * concurrency as u64),
        (n, _) => n,
    };
    Ok(Some(LoadSettings {
        requests,
        concurrency,
        duration,
        progress: std::io::stderr().is_terminal(),
    }))
}

fn read_body(flag: &str, spec: &str) -> Result<Vec<u8>> {
    let mut body = Vec::new();
    let result = if spec == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_REQUEST_BODY + 1)
            .read_to_end(&mut body)
            .map_err(|e| format!("{flag} -: cannot read standard input: {e}"))
    } else if let Some(file) = spec.strip_prefix('@') {
        // A FIFO with no writer would block a plain open forever.
        crate::sources::files::open_stream(std::path::Path::new(file))
            .and_then(|f| f.take(MAX_REQUEST_BODY + 1).read_to_end(&mut body))
            .map_err(|e| format!("{flag} @{file}: {e}"))
    } else {
        body.extend_from_slice(spec.as_bytes());
        Ok(0)
    };
    result.map_err(usage)?;
    if body.len() as u64 > MAX_REQUEST_BODY {
        return Err(usage(format!(
            "{flag} is larger than {} MiB",
            MAX_REQUEST_BODY >> 20
        )));
    }
    Ok(body)
}

/// Validates `logs` arguments.
pub fn logs(args: &LogsArgs) -> Result<LogsSettings> {
    use crate::sources::logs::time::parse_bound;
    let bound = |flag: &str, v: &Option<String>| {
        v.as_deref()
            .map(|t| parse_bound(t).map_err(|e| usage(format!("{flag}: {e}"))))
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
    })
}

pub fn socket(args: &SocketArgs) -> Result<SocketSettings> {
    let targets = args
        .targets
        .iter()
        .map(|t| Target::parse(t).map_err(|e| usage(e.0)))
        .collect::<Result<Vec<_>>>()?;
    Ok(SocketSettings { targets })
}

/// `ps --watch` is bounded to ten minutes: it is a diagnosis, not a monitor.
pub fn ps(args: &PsArgs) -> Result<PsSettings> {
    let watch = args
        .watch
        .as_deref()
        .map(|w| parse_duration("--watch", w))
        .transpose()?;
    if watch.is_some_and(|w| w > Duration::from_secs(600)) {
        return Err(usage("--watch: at most 10m"));
    }
    Ok(PsSettings {
        all: args.all,
        watch,
    })
}

/// Parses `500ms`, `2s`, `1.5s`, `1m` or a bare number of seconds.
pub fn parse_duration(flag: &str, text: &str) -> Result<Duration> {
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
pub fn parse_size(flag: &str, text: &str) -> Result<usize> {
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
pub fn parse_status_range(text: &str) -> Result<RangeInclusive<u16>> {
    let bad = || usage(format!("--expect-status: not a status or range: {text:?}"));
    let parse = |s: &str| -> Result<u16> {
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

/// The configuration files given to `config` and `doctor`, made absolute.
/// A file given that cannot be read is an error: the user asked for that
/// file to be checked, and nothing else would be.
fn config_files(files: &super::ConfigFiles) -> Result<crate::sources::config::Given> {
    use std::path::PathBuf;
    let root = crate::sources::host::config_root_from_env();
    let readable = |flag: &str, path: &PathBuf| -> Result<PathBuf> {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.clone());
        crate::sources::files::open_regular(&root.file(&path)).map_err(|e| {
            let why = match e.raw_os_error() {
                Some(code) => nix::errno::Errno::from_raw(code).desc().to_string(),
                None => e.to_string(),
            };
            usage(format!("{flag} {}: {why}", path.display()))
        })?;
        Ok(path)
    };
    let nginx_dump = match files.nginx_dump.as_deref() {
        None => None,
        Some(spec) => {
            let at = match spec {
                "-" => "-".to_string(),
                file => format!("@{file}"),
            };
            let text = String::from_utf8_lossy(&read_body("--nginx-dump", &at)?).into_owned();
            if !text.lines().any(|l| l.starts_with("# configuration file ")) {
                let what = match text.trim().is_empty() {
                    true => "is empty",
                    false => "has no '# configuration file' line",
                };
                return Err(usage(format!(
                    "--nginx-dump {spec} {what}: give the output of `nginx -T`"
                )));
            }
            Some(text)
        }
    };
    Ok(crate::sources::config::Given {
        apache: files
            .apache_config
            .as_ref()
            .map(|p| readable("--apache-config", p))
            .transpose()?,
        nginx: files
            .nginx_config
            .as_ref()
            .map(|p| readable("--nginx-config", p))
            .transpose()?,
        fpm: files
            .fpm_config
            .iter()
            .map(|p| readable("--fpm-config", p))
            .collect::<Result<_>>()?,
        nginx_dump,
    })
}

pub fn config(args: &super::ConfigArgs) -> Result<crate::commands::config::ConfigSettings> {
    Ok(crate::commands::config::ConfigSettings {
        given: config_files(&args.files)?,
    })
}

/// Validates `doctor` arguments.
pub fn doctor(args: &super::DoctorArgs) -> Result<crate::commands::doctor::DoctorSettings> {
    let since = crate::sources::logs::time::parse_bound(&args.since)
        .map_err(|e| usage(format!("--since: {e}")))?;
    Ok(crate::commands::doctor::DoctorSettings {
        given: config_files(&args.files)?,
        since,
        timeout: parse_duration("--timeout", &args.timeout)?,
        watch: args
            .watch
            .as_deref()
            .map(|w| parse_duration("--watch", w))
            .transpose()?,
    })
}

/// Validates `spawn` arguments: the probe part as `probe` would, the user
/// (as root, the web user unless given), and the environment.
pub fn spawn(args: &super::SpawnArgs, host: &crate::sources::host::Host) -> Result<SpawnSettings> {
    let script = std::path::absolute(&args.script).unwrap_or_else(|_| args.script.clone());
    let external = args
        .external
        .as_deref()
        .map(|a| Target::parse(a).map_err(|e| usage(format!("--external: {}", e.0))))
        .transpose()?;
    // The target is set by `spawn` once its socket exists; the script's path
    // stands in. The application is new: no management record before its
    // first request (a slow start would spend GET_VALUES' budget).
    let mut probe = probe_options(&args.probe, Target::Unix(script.clone()))?;
    // spawn's own socket is in a private directory: not the web user's to
    // reach. An address the application binds itself is.
    probe.check_web_user = matches!(external, Some(Target::Unix(_)));
    let root = nix::unistd::geteuid().is_root();
    let user = match (&args.user, root) {
        (Some(name), true) => {
            Some(webuser::named(name, "--user").map_err(|e| usage(format!("--user {name}: {e}")))?)
        }
        (Some(name), false) => {
            let me = crate::sources::nss::user_name(nix::unistd::geteuid().as_raw());
            if *name != me {
                return Err(usage(format!(
                    "--user {name}: running as another user needs root"
                )));
            }
            None
        }
        // Never root unasked: an application a web server starts never runs
        // as root.
        (None, true) => Some(host.web_user().cloned().ok_or_else(|| {
            usage(
                "no web server user found on this host: name the user to run the application \
                 as with --user (--user root runs it as root)"
                    .to_string(),
            )
        })?),
        (None, false) => None,
    };
    let mut env = Vec::new();
    for pair in &args.env {
        let (k, v) = pair
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| usage(format!("--env needs NAME=VALUE: {pair:?}")))?;
        env.push((k.to_string(), v.to_string()));
    }
    Ok(SpawnSettings {
        script,
        args: args.args.clone(),
        user,
        env,
        external,
        suexec: args.suexec,
        probe,
    })
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
