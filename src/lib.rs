//! fcgi-doctor: find out why a FastCGI deployment is broken and say how to fix it.
//!
//! Data flows one way: sources read the world (the `probe` transport, the
//! filesystem), checks turn what they saw into [`finding::Finding`]s through the
//! [`registry`], and [`report`] prints them.

pub mod access;
pub mod cli;
pub mod explain;
pub mod fcgi;
pub mod files;
pub mod finding;
pub mod fpmconf;
pub mod logs;
pub mod nss;
pub mod probe;
pub mod processes;
pub mod procfs;
pub mod ps;
pub mod registry;
pub mod report;
pub mod sanitize;
pub mod settings;
mod sockdiag;
pub mod socket;
mod text;
pub mod webuser;

use std::ffi::OsString;
use std::io::{self, Write};

use clap::Parser;

use cli::{Cli, Command};
use finding::Status;
use settings::{OutputSettings, ProbeSettings, UsageError};

/// Ignores SIGPIPE, as Rust's own start-up does, so that writing to a closed pipe
/// is an error the caller handles. For binaries that bring their own `main`.
pub fn ignore_sigpipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: SIG_IGN installs no handler code, so nothing can run in signal context.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigIgn) };
}

/// Parses `args`, runs the command, prints, and returns the exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are successes; every usage error is UNKNOWN (3),
            // not clap's default 2, which would read as CRITICAL.
            if !e.use_stderr() {
                let _ = e.print();
                return 0;
            }
            if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
            } else {
                report::write_error(&one_line_usage_error(&e));
            }
            return Status::Unknown.exit_code();
        }
    };
    let output = OutputSettings::from_args(&cli.global);
    colored::control::set_override(output.color);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = dispatch(&cli.command, &output, &mut out);
    match result {
        Ok(status) => status.exit_code(),
        Err(Failure::Usage(e)) => {
            report::write_error(&e.0);
            Status::Unknown.exit_code()
        }
        Err(Failure::Io(e)) if e.kind() == io::ErrorKind::BrokenPipe => {
            // `| head` closed the pipe: not an error (ripgrep does the same).
            0
        }
        Err(Failure::Io(e)) => {
            report::write_error(&format!("cannot write the output: {e}"));
            Status::Unknown.exit_code()
        }
    }
}

/// clap's error, its tip, and a pointer to --help, on one line: scripts and
/// monitoring systems read one line.
fn one_line_usage_error(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    let lines: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    // The error is everything before the tip and the usage block.
    let error: Vec<&str> = lines
        .iter()
        .take_while(|l| !l.starts_with("tip:") && !l.starts_with("Usage:"))
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
    message.push_str("; see 'fcgi-doctor --help'");
    message
}

fn run_logs(
    settings: &logs::LogsSettings,
    output: &OutputSettings,
    out: &mut dyn Write,
) -> Result<Status, Failure> {
    if settings.follow {
        return logs::follow::run(settings, out).map_err(|e| Failure::Usage(UsageError(e)));
    }
    let summary = if settings.jsonl {
        let mut write = |entry: &logs::EntryReport| logs::write_jsonl(&mut *out, entry);
        logs::scan(settings, Some(&mut write))?
    } else {
        logs::scan(settings, None)?
    };
    for input in &summary.inputs {
        for e in &input.errors {
            report::write_error(e);
        }
    }
    let findings = summary.findings();
    let mut status = Status::from_findings(&findings);
    if summary.inputs.iter().all(|i| !i.errors.is_empty()) {
        // Nothing could be read: the check was not done.
        status = Status::Unknown;
    }
    if settings.jsonl {
        out.flush()?;
        return Ok(status);
    }
    report::emit(
        out,
        output,
        report::Command {
            name: "logs",
            is_check: true,
            renders_findings: true,
        },
        &findings,
        &summary,
        |o| {
            logs::render::write_summary(o, &summary, settings.verbose, output.color)?;
            if settings.timeline {
                logs::render::write_timeline(o, &summary)?;
            }
            Ok(())
        },
    )?;
    Ok(status)
}

enum Failure {
    Usage(UsageError),
    Io(io::Error),
}

impl From<UsageError> for Failure {
    fn from(e: UsageError) -> Self {
        Failure::Usage(e)
    }
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Io(e)
    }
}

fn dispatch(
    command: &Command,
    output: &OutputSettings,
    out: &mut dyn Write,
) -> Result<Status, Failure> {
    match command {
        Command::Probe(args) => {
            let settings = ProbeSettings::from_args(args)?;
            let report = probe::run(&settings)?;
            Ok(report::emit(
                out,
                output,
                report::Command {
                    name: "probe",
                    is_check: true,
                    renders_findings: false,
                },
                &report.findings,
                &report,
                |o| probe::render_human(o, &report),
            )?)
        }
        Command::Logs(args) => {
            let settings = settings::logs_settings(args, output)?;
            run_logs(&settings, output, out)
        }
        Command::Socket(args) => {
            let settings = settings::socket_settings(args)?;
            let report = socket::run(&settings).map_err(|e| Failure::Usage(UsageError(e)))?;
            Ok(report::emit(
                out,
                output,
                report::Command {
                    name: "socket",
                    is_check: true,
                    renders_findings: false,
                },
                &report.findings,
                &report,
                |o| socket::render_human(o, &report),
            )?)
        }
        Command::Ps(args) => {
            let settings = settings::ps_settings(args)?;
            let report = ps::run(&settings).map_err(|e| Failure::Usage(UsageError(e)))?;
            Ok(report::emit(
                out,
                output,
                report::Command {
                    name: "ps",
                    is_check: true,
                    renders_findings: false,
                },
                &report.findings,
                &report,
                |o| ps::render_human(o, &report),
            )?)
        }
        Command::Explain(args) => {
            let selected = explain::select(args.code.as_deref(), args.all)?;
            Ok(explain::run(out, output, selected)?)
        }
    }
}
