//! The command line as clap sees it: the only module that knows clap. Its
//! types are turned into validated settings by [`settings`] first (ripgrep,
//! fd); nothing past that sees them.

pub mod settings;

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Shown at the end of `--help` and in the man page.
pub const EXIT_STATUS_HELP: &str = "\
Exit status (the monitoring-plugin convention, the same for every command):
  0  OK        nothing wrong, or only informational findings
  1  WARNING   at least one warning finding
  2  CRITICAL  at least one critical finding
  3  UNKNOWN   the check could not be done: bad usage or the tool's own failure

Every finding has a code; `fcgi-doctor explain CODE` says what it means and how to fix it.";

const PROBE_EXAMPLES: &str = "\
Examples:
  fcgi-doctor probe /run/php/php8.2-fpm.sock --fpm-ping
  fcgi-doctor probe unix:/run/app.sock --uri /health --expect-status 200
  fcgi-doctor probe 127.0.0.1:9000 --script-filename /srv/www/index.php --format json
  fcgi-doctor probe '[::1]:9000' --timeout 1s --connect-timeout 200ms
  fcgi-doctor probe 127.0.0.1:9001 --fpm-status
  fcgi-doctor probe /run/php/php8.2-fpm.sock --fpm-ping --format nagios --warning 0.5 --critical 1
  fcgi-doctor probe /run/php/php8.2-fpm.sock --fpm-ping --requests 10000 --concurrency 32

Health checks: `--fpm-ping` needs `ping.path = /ping` in the php-fpm pool. For a
Kubernetes liveness probe prefer a ping on `pm.status_listen`, which has its own
worker and still answers when the pool is saturated; watch capacity with
`--fpm-status` there. As root, a probe of a unix socket also checks the web user's
access.";

#[derive(Debug, Parser)]
#[command(
    name = "fcgi-doctor",
    version,
    about = "Find out why a FastCGI deployment is broken and say how to fix it",
    long_about = "Find out why a FastCGI deployment is broken and say how to fix it.\n\n\
                  fcgi-doctor speaks FastCGI to php-fpm, flup, fcgiwrap and any other \
                  FastCGI application, and turns every failure into a coded finding \
                  with its cause and fix.",
    after_help = EXIT_STATUS_HELP,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the options every command takes are listed in each subcommand's help:
/// after its own (clap numbers each command's options from 0, so without it the
/// two lists interleave).
const GLOBAL_ORDER: usize = 100;

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format; jsonl prints one compact JSON object per line.
    #[arg(long, global = true, value_enum, default_value_t = Format::Human, display_order = GLOBAL_ORDER)]
    pub format: Format,
    /// When to colour human output (NO_COLOR and TERM=dumb turn `auto` off).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, display_order = GLOBAL_ORDER + 1)]
    pub color: ColorChoice,
    /// Print nothing when the status is OK, and only the findings otherwise.
    #[arg(short, long, global = true, display_order = GLOBAL_ORDER + 2)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
    Jsonl,
    Nagios,
    Prometheus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Role {
    Responder,
    Authorizer,
    Filter,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
// Each subcommand's arguments are built only when it is the one named (or for
// help, man pages and completions): most of clap's work at every start.
#[command(defer = true)]
pub enum Command {
    /// Speak FastCGI to a socket with a synthetic request and diagnose what fails.
    #[command(after_help = PROBE_EXAMPLES)]
    Probe(Box<ProbeArgs>),
    /// Turn FastCGI lines of Apache, nginx and php-fpm error logs into problems, causes and fixes.
    #[command(after_help = LOGS_EXAMPLES)]
    Logs(LogsArgs),
    /// Check a socket's path, owner and modes against the web server user, and who listens on it.
    #[command(after_help = SOCKET_EXAMPLES)]
    Socket(SocketArgs),
    /// Show the web server, FastCGI process managers and applications as a tree, and what is wrong.
    #[command(after_help = PS_EXAMPLES)]
    Ps(PsArgs),
    /// Explain a diagnostic code (FD1004), a class (timeout), a pasted log line, or list every code.
    #[command(after_help = EXPLAIN_EXAMPLES)]
    Explain(ExplainArgs),
    /// Start a FastCGI application as a process manager would (socket on fd 0), probe it, and say why it fails.
    #[command(after_help = SPAWN_EXAMPLES)]
    Spawn(Box<SpawnArgs>),
    /// Read Apache, nginx and php-fpm configuration and cross-check what they are set up to reach.
    #[command(after_help = CONFIG_EXAMPLES)]
    Config(ConfigArgs),
    /// The whole FastCGI setup of this host: config, sockets, probes, processes and logs, one verdict.
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(DoctorArgs),
}

const CONFIG_EXAMPLES: &str = "\
Examples:
  fcgi-doctor config
  fcgi-doctor config --format json | jq '.endpoints'
  fcgi-doctor config --nginx-config /srv/nginx/nginx.conf --fpm-config /etc/php/8.2/fpm/php-fpm.conf
  docker exec web nginx -T | fcgi-doctor config --nginx-dump -

Without files given, it reads what the running masters were started with
(apache2 -f, nginx -c, php-fpm's title) and the usual places (Debian, RHEL,
Alpine, the official Docker image). Given files replace all discovery. Files
are parsed, never executed; nothing on the host is changed.";

const DOCTOR_EXAMPLES: &str = "\
Examples:
  fcgi-doctor doctor
  fcgi-doctor doctor --since 1h
  fcgi-doctor doctor --watch 10s
  fcgi-doctor doctor --format nagios
  fcgi-doctor doctor --format prometheus > /var/lib/node_exporter/textfile/fcgi.prom
  fcgi-doctor doctor --format json | jq '.checks[] | select(.status != \"ok\")'

It reads, probes and prints; it runs none of the fixes it prints. Every probe
has its deadline (--timeout) and runs at the same time as the others, so one
hung backend cannot stall the report.";

// The configuration files to read instead of discovering them: shared by
// `config` and `doctor`. (A doc comment here would become their description.)
#[derive(Debug, Args)]
pub struct ConfigFiles {
    /// Read this Apache main file (apache2.conf, httpd.conf) instead of looking.
    #[arg(long, value_name = "FILE")]
    pub apache_config: Option<std::path::PathBuf>,

    /// Read this nginx main file instead of looking.
    #[arg(long, value_name = "FILE")]
    pub nginx_config: Option<std::path::PathBuf>,

    /// Read this php-fpm main file (php-fpm.conf) instead of looking; repeatable.
    #[arg(long, value_name = "FILE")]
    pub fpm_config: Vec<std::path::PathBuf>,

    /// Read nginx's configuration from the output of `nginx -T` (a file, or -
    /// for standard input) instead of its files: for an nginx in a container.
    #[arg(long, value_name = "FILE|-", conflicts_with = "nginx_config")]
    pub nginx_dump: Option<String>,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    #[command(flatten)]
    pub files: ConfigFiles,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub files: ConfigFiles,

    /// Read the logs from this time on: 24h, 2h, 30m, 2026-11-23T07:00.
    #[arg(long, value_name = "TIME", default_value = "24h")]
    pub since: String,

    /// Deadline of each probe (they run at the same time).
    #[arg(long, value_name = "DURATION", default_value = "3s")]
    pub timeout: String,

    /// Also watch the processes this long (as `ps --watch`, while the probes
    /// run) for applications that die and are restarted.
    #[arg(long, value_name = "DURATION")]
    pub watch: Option<String>,
}

const SPAWN_EXAMPLES: &str = "\
Examples:
  fcgi-doctor spawn /srv/app/app.fcgi
  fcgi-doctor spawn /srv/app/app.fcgi --user www-data --env APP_ENV=production --uri /health
  fcgi-doctor spawn /usr/bin/php-cgi --script-filename /srv/www/index.php
  fcgi-doctor spawn /srv/app/app.fcgi --requests 200 --concurrency 8
  fcgi-doctor spawn /srv/app/server.py --external 127.0.0.1:9001

The application gets a listening unix socket as file descriptor 0
(FCGI_LISTENSOCK_FILENO), the web server's PATH and nothing else of your
environment, runs in its own directory as --user (as root: the web user by
default), and its whole process group is stopped at the end. Every request,
expectation, threshold and load option of `probe` applies to its socket.";

#[derive(Debug, Args)]
pub struct SpawnArgs {
    /// The application to start: a FastCGI program or script.
    #[arg(value_name = "SCRIPT")]
    pub script: PathBuf,

    /// Arguments for the application.
    #[arg(
        value_name = "ARGS",
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub args: Vec<OsString>,

    /// Run it as this user (root only; as root the default is the web user).
    #[arg(long, value_name = "USER")]
    pub user: Option<String>,

    /// Add a variable to its environment, repeatable.
    #[arg(long = "env", value_name = "NAME=VALUE")]
    pub env: Vec<String>,

    /// The application binds this address itself (host:port or a unix socket
    /// path) instead of taking a socket as fd 0: wait for it to listen there.
    #[arg(long, value_name = "ADDRESS")]
    pub external: Option<OsString>,

    /// Check the script against suEXEC's rules too (owner and group those of
    /// --user, nothing writable by group or others, no setuid).
    #[arg(long)]
    pub suexec: bool,

    #[command(flatten)]
    pub probe: ProbeOptions,
}

const EXPLAIN_EXAMPLES: &str = "\
Examples:
  fcgi-doctor explain 'connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission denied)'
  fcgi-doctor explain FD1004
  fcgi-doctor explain permission_denied
  fcgi-doctor explain --all --format json

A log line (anything that is not one word) is read as `logs -` reads a paste,
with or without its envelope, wrapped or cut: each message recognised is shown
with its code, why it happens and the fix; the exit status is that of `logs`.
Every finding of every command names its code; the registry never renumbers or
reuses one.";

const SOCKET_EXAMPLES: &str = "\
Examples:
  fcgi-doctor socket /run/php/php8.2-fpm.sock
  fcgi-doctor socket unix:/run/app.sock: 127.0.0.1:9000 --web-user www-data
  fcgi-doctor socket @fcgi-abstract --format json

The web user is --web-user, else the user of the running Apache/nginx workers, else
the configured one (/etc/apache2/envvars, httpd.conf User, nginx.conf user), else the
distribution default. As root the verdict is confirmed by a real connect as that
user; otherwise it is worked out from owners and modes.";

#[derive(Debug, Args)]
pub struct SocketArgs {
    /// Sockets: /path, unix:/path, @abstract, host:port, tcp://host:port, fcgi://host:port.
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<OsString>,

    /// Check access for this user instead of the detected web server user.
    #[arg(long, value_name = "USER")]
    pub web_user: Option<String>,
}

const PS_EXAMPLES: &str = "\
Examples:
  fcgi-doctor ps
  fcgi-doctor ps --all --format json
  fcgi-doctor ps --watch 10s      # also catch crash loops: processes that die and restart

Run as root to see every process's sockets; as another user, what /proc hides is
listed as a note.";

#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show identical siblings one by one instead of collapsing them into `N*[...]`.
    #[arg(short, long)]
    pub all: bool,

    /// Watch for this long (5s, 1m) and report processes that die and restart.
    #[arg(long, value_name = "DURATION")]
    pub watch: Option<String>,

    /// Check socket access for this user instead of the detected web server user.
    #[arg(long, value_name = "USER")]
    pub web_user: Option<String>,
}

const LOGS_EXAMPLES: &str = "\
Examples:
  fcgi-doctor logs /var/log/apache2/error.log
  fcgi-doctor logs /var/log/nginx/error.log /var/log/php8.2-fpm.log --since 2h
  fcgi-doctor logs /var/log/apache2/error.log.*.gz --timeline
  journalctl -u php8.2-fpm --no-pager | fcgi-doctor logs -
  fcgi-doctor logs --follow --format jsonl /var/log/nginx/error.log

Inputs may be plain or gzip-compressed; `-` reads standard input. Lines that are
not about FastCGI produce nothing.";

#[derive(Debug, Args)]
pub struct LogsArgs {
    /// Log files (plain or .gz); - for standard input.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<String>,

    /// Only entries at or after this time: 2h, 30m, 3d, 2026-11-23, 2026-11-23T07:00.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Only entries at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Leave out entries below this severity.
    #[arg(long, value_enum, value_name = "SEVERITY", default_value_t = MinSeverity::Info)]
    pub min_severity: MinSeverity,

    /// Keep reading as the files grow, across rotation (like tail -F), and print
    /// each problem as it happens; stops on SIGINT or SIGTERM.
    #[arg(short = 'f', long)]
    pub follow: bool,

    /// Draw entries per hour (or day) and class as a bar chart.
    #[arg(long)]
    pub timeline: bool,

    /// List the informational entries too.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MinSeverity {
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Socket to probe: /path.sock, unix:/path, unix:/path: (nginx), @abstract,
    /// host:port, tcp://host:port, fcgi://host:port, [::1]:9000.
    #[arg(value_name = "TARGET")]
    pub target: OsString,

    #[command(flatten)]
    pub request: ProbeOptions,

    /// Skip the FCGI_GET_VALUES management request.
    #[arg(long)]
    pub no_get_values: bool,

    /// Probe as this user, as the web server would connect (needs root).
    /// Without it, a root probe of a unix socket also connects as the
    /// detected web user, since root connects where the web server may not.
    #[arg(
        long,
        value_name = "USER",
        conflicts_with_all = ["requests", "concurrency", "duration"]
    )]
    pub as_user: Option<String>,
}

// The request, the expectations, the deadlines and the load mode: shared by
// `probe` and `spawn`. (A doc comment here would become their description.)
#[derive(Debug, Args)]
pub struct ProbeOptions {
    /// Deadline for establishing the connection (500ms, 2s, 1m).
    #[arg(long, value_name = "DURATION", default_value = "2s")]
    pub connect_timeout: String,

    /// Deadline for the whole probe, connecting included.
    #[arg(long, value_name = "DURATION", default_value = "5s")]
    pub timeout: String,

    /// SCRIPT_FILENAME to request (default: the SCRIPT_NAME, which php-fpm
    /// answers with "Primary script unknown" without running any code).
    #[arg(long, value_name = "PATH")]
    pub script_filename: Option<String>,

    /// REQUEST_URI to request; SCRIPT_NAME and QUERY_STRING are taken from it.
    #[arg(long, value_name = "URI")]
    pub uri: Option<String>,

    /// REQUEST_METHOD.
    #[arg(long, value_name = "METHOD", default_value = "GET")]
    pub method: String,

    /// Extra or overriding FastCGI parameter, repeatable (HTTP_HOST=example.org).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,

    /// Request body: literal text, @FILE, or - for standard input.
    #[arg(long, value_name = "TEXT|@FILE|-")]
    pub body: Option<String>,

    /// The FastCGI role asked for in FCGI_BEGIN_REQUEST.
    #[arg(long, value_enum, default_value = "responder")]
    pub role: Role,

    /// With --role filter, the file to filter, sent as FCGI_DATA: text, @FILE, or -.
    #[arg(long, value_name = "TEXT|@FILE|-")]
    pub data: Option<String>,

    /// php-fpm ping: SCRIPT_NAME and SCRIPT_FILENAME set to PATH, expects "pong".
    #[arg(
        long,
        value_name = "PATH",
        num_args = 0..=1,
        default_missing_value = "/ping",
        conflicts_with_all = ["script_filename", "uri"]
    )]
    pub fpm_ping: Option<String>,

    /// php-fpm status page (pm.status_path, default /status), asked with ?json:
    /// pool, queue, workers, max children reached, slow requests.
    #[arg(
        long,
        value_name = "PATH",
        num_args = 0..=1,
        default_missing_value = "/status",
        conflicts_with_all = ["script_filename", "uri", "fpm_ping"]
    )]
    pub fpm_status: Option<String>,

    /// With --fpm-status, ask for every worker too (?json&full).
    #[arg(short, long, requires = "fpm_status")]
    pub verbose: bool,

    /// Acceptable CGI status: 200, or a range such as 200-399.
    #[arg(long, value_name = "STATUS|FROM-TO")]
    pub expect_status: Option<String>,

    /// Regular expression the response body must match.
    #[arg(long, value_name = "REGEX")]
    pub expect_body: Option<String>,

    /// Keep at most this much of the body (the rest is only counted): 1MiB, 64K, 4096.
    #[arg(long, value_name = "SIZE", default_value = "1MiB")]
    pub max_body: String,

    /// Load mode: send this many requests (each on a connection of its own).
    #[arg(long, value_name = "N", conflicts_with_all = ["fpm_status", "warning", "critical"])]
    pub requests: Option<u64>,

    /// Load mode: this many requests at once (default 1; alone, 100 requests per
    /// connection).
    #[arg(long, value_name = "C", conflicts_with_all = ["fpm_status", "warning", "critical"])]
    pub concurrency: Option<usize>,

    /// Load mode: send requests for this long (with --requests, whichever ends first).
    #[arg(long, value_name = "DURATION", conflicts_with_all = ["fpm_status", "warning", "critical"])]
    pub duration: Option<String>,

    /// WARNING when the probe's total time in seconds is in this alert range
    /// (monitoring-plugin syntax: 0.5, 0.2:1, ~:1, @1:2).
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    pub warning: Option<String>,

    /// CRITICAL when the probe's total time in seconds is in this alert range.
    #[arg(long, value_name = "RANGE", allow_hyphen_values = true)]
    pub critical: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A code such as FD1004, a class such as permission_denied, or a log line
    /// pasted in quotes.
    #[arg(value_name = "CODE|LINE", required_unless_present = "all")]
    pub code: Option<String>,

    /// List every code.
    #[arg(long, conflicts_with = "code")]
    pub all: bool,
}

/// Parses the command line. On `--help` and `--version` the text is printed
/// and the exit code is 0; on a usage error one line (or, with no command at
/// all, the help) goes to stderr and the exit code is UNKNOWN's 3, not clap's
/// 2, which a monitoring system would read as CRITICAL.
pub fn parse<I, T>(args: I) -> Result<Cli, i32>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let e = match <Cli as Parser>::try_parse_from(args) {
        Ok(cli) => return Ok(cli),
        Err(e) => e,
    };
    if !e.use_stderr() {
        let _ = e.print();
        return Err(0);
    }
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = e.print();
    } else {
        crate::output::error(&one_line_usage_error(&e));
    }
    Err(crate::core::finding::Status::Unknown.exit_code())
}

/// clap's error, its tip, and where help is, on one line: scripts and
/// monitoring systems read one line.
fn one_line_usage_error(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let lines: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // The error is everything before the tip, the usage block and clap's own
    // pointer to --help (which names no command).
    let error: Vec<&str> = lines
        .iter()
        .take_while(|l| {
            !l.starts_with("tip:") && !l.starts_with("Usage:") && !l.starts_with("For more")
        })
        .copied()
        .collect();
    let joined = error.join(" ");
    let mut message = joined
        .strip_prefix("error: ")
        .unwrap_or(&joined)
        .to_string();
    if let Some(tip) = lines.iter().find(|l| l.starts_with("tip:")) {
        message.push_str(&format!(" ({tip})"));
    }
    // `Usage: fcgi-doctor probe [OPTIONS] <TARGET>` names the command.
    let command = lines
        .iter()
        .find_map(|l| l.strip_prefix("Usage: fcgi-doctor "))
        .and_then(|rest| rest.split_whitespace().next())
        .filter(|word| word.chars().all(|c| c.is_ascii_lowercase()));
    match command {
        Some(command) => message.push_str(&format!("; see 'fcgi-doctor {command} --help'")),
        None => message.push_str("; see 'fcgi-doctor --help'"),
    }
    message
}

/// The clap model, for the man page and completion generators.
pub fn command() -> clap::Command {
    <Cli as clap::CommandFactory>::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_model_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn each_subcommand_lists_its_own_options_before_the_global_ones() {
        let mut cmd = command();
        cmd.build();
        for name in ["probe", "logs", "socket", "ps", "explain"] {
            let help = cmd
                .find_subcommand_mut(name)
                .unwrap()
                .render_help()
                .to_string();
            let at = |option: &str| {
                help.find(option)
                    .unwrap_or_else(|| panic!("{name}: {option}"))
            };
            let own = help
                .lines()
                .filter(|l| l.trim_start().starts_with("--"))
                .map(|l| l.split_whitespace().next().unwrap())
                .find(|o| !["--format", "--color"].contains(o))
                .unwrap();
            assert!(at(own) < at("--format"), "{name}: {own} after --format");
            assert!(
                at("--format") < at("--color") && at("--color") < at("--quiet"),
                "{name}"
            );
            assert!(at("--quiet") < at("--help"), "{name}");
        }
    }
}
