//! fcgi-doctor: find out why a FastCGI deployment is broken and say how to fix it.
//!
//! The layers, each depending only on those listed before it:
//!
//! - [`core`]: the vocabulary: the registry of codes, findings, a check's
//!   typed outcome, the one error type.
//! - [`fcgi`]: the FastCGI record codec (no I/O).
//! - [`sources`]: what reads the world (`/proc`, sock_diag, users, config and
//!   log files) and [`sources::host::Host`], which gathers it for one run.
//! - [`net`]: the transport: targets, connecting, acting as another user, the
//!   socket path walk, one FastCGI exchange.
//! - [`checks`]: facts in, findings out; one module per concern.
//! - [`commands`]: each command's run: settings and a host in, an outcome out.
//! - [`output`]: the one reporter, in every format.
//! - [`cli`]: the command line (the only module that knows clap) and its
//!   validation into settings.
//!
//! [`run`] ties them together for `main`.

pub mod checks;
pub mod cli;
pub mod commands;
pub mod core;
pub mod fcgi;
pub mod net;
pub mod output;
pub mod sources;

use std::ffi::OsString;
use std::io::{self, Write};

use cli::Command;
use commands::{logs, Data, Report};
use core::error::Error;
use core::finding::Status;
use output::{Format, OutputSettings};
use sources::host::Host;

/// Ignores SIGPIPE, as Rust's own start-up does, so that writing to a closed pipe
/// is an error the caller handles. For binaries that bring their own `main`.
/// Opens /dev/null on whichever of fd 0, 1 and 2 the caller left closed
/// (std's start-up would; ours is skipped, see main.rs). Otherwise the next
/// file opened would become fd 0, 1 or 2 and be handed to a spawned
/// application, or written to as if it were the output.
pub fn standard_fds() {
    use nix::fcntl::{fcntl, FcntlArg};
    for fd in 0..3 {
        if fcntl(fd, FcntlArg::F_GETFD) == Err(nix::errno::Errno::EBADF) {
            // open(2) takes the lowest free descriptor: this one.
            let _ = nix::fcntl::open(
                "/dev/null",
                nix::fcntl::OFlag::O_RDWR,
                nix::sys::stat::Mode::empty(),
            );
        }
    }
}

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
    let cli = match cli::parse(args) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    let settings = cli::settings::output(&cli.global);
    colored::control::set_override(settings.color);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    match dispatch(&cli.command, &settings, &mut out) {
        Ok(status) => status.exit_code(),
        Err(Error::Usage(e)) => {
            output::error(&e);
            Status::Unknown.exit_code()
        }
        // `| head` closed the pipe: not an error (ripgrep does the same).
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => 0,
        Err(e @ Error::Output(_)) => {
            output::error(&e.to_string());
            Status::Unknown.exit_code()
        }
    }
}

fn dispatch(
    command: &Command,
    settings: &OutputSettings,
    out: &mut dyn Write,
) -> Result<Status, Error> {
    let monitoring = matches!(settings.format, Format::Nagios | Format::Prometheus);
    match command {
        Command::Explain(_) if monitoring => {
            return Err(Error::usage(
                "--format nagios and prometheus are for the checks (probe, logs, socket, ps), \
                 not explain",
            ))
        }
        Command::Logs(args) if monitoring && args.follow => {
            return Err(Error::usage(
                "--follow prints entries as they come; --format nagios and prometheus need the \
                 whole run (drop --follow, and bound it with --since)",
            ))
        }
        _ => {}
    }
    let report = match command {
        Command::Probe(args) => {
            let probe = cli::settings::probe(args)?;
            commands::probe::run(&probe, &Host::from_env())?.map(|r| Data::Probe(Box::new(r)))
        }
        Command::Logs(args) => return run_logs(&cli::settings::logs(args)?, settings, out),
        Command::Socket(args) => {
            let socket = cli::settings::socket(args)?;
            let host = host_with(args.web_user.as_deref())?;
            commands::socket::run(&socket, &host).map(Data::Socket)
        }
        Command::Ps(args) => {
            let ps = cli::settings::ps(args)?;
            let host = host_with(args.web_user.as_deref())?;
            commands::ps::run(&ps, &host).map(Data::Ps)
        }
        Command::Spawn(args) => {
            let host = Host::from_env();
            let spawn = cli::settings::spawn(args, &host)?;
            commands::spawn::run(spawn, &host)?.map(|r| Data::Spawn(Box::new(r)))
        }
        Command::Config(args) => {
            let config = cli::settings::config(args)?;
            commands::config::run(&config, &Host::from_env()).map(|r| Data::Config(Box::new(r)))
        }
        Command::Doctor(args) => {
            let doctor = cli::settings::doctor(args)?;
            commands::doctor::run(&doctor, &Host::from_env()).map(|r| Data::Doctor(Box::new(r)))
        }
        Command::Explain(args) => match args.code.as_deref() {
            Some(text) if !args.all && !commands::explain::names_a_code(text) => {
                commands::explain::fragment(text, &Host::from_env())?.map(Data::Fragment)
            }
            code => commands::explain::run(code, args.all)?.map(Data::Explain),
        },
    };
    emit(out, settings, &report)
}

/// This host, with the web user when given.
fn host_with(web_user: Option<&str>) -> Result<Host, Error> {
    let host = Host::from_env();
    Ok(match cli::settings::web_user(web_user)? {
        Some(user) => host.with_web_user(user),
        None => host,
    })
}

/// Prints a report; an unreadable part of it gets one line on stderr too.
fn emit(out: &mut dyn Write, settings: &OutputSettings, report: &Report) -> Result<Status, Error> {
    if report.unchecked {
        for skip in &report.skipped {
            output::error(&skip.text());
        }
    }
    Ok(output::report(out, settings, report)?)
}

fn run_logs(
    logs_settings: &logs::LogsSettings,
    settings: &OutputSettings,
    out: &mut dyn Write,
) -> Result<Status, Error> {
    let host = Host::from_env();
    let mut write = |entry: &logs::EntryReport| output::entry(&mut *out, settings, entry);
    let report = if logs_settings.follow {
        let mut notice = |text: &str| output::notice(text);
        logs::follow::run(logs_settings, &host, &mut write, &mut notice)?.map(Data::Logs)
    } else {
        let streaming = settings.format == Format::Jsonl;
        let progress =
            output::logs::ProgressBar::new(settings.format == Format::Human && !settings.quiet);
        let sink: Option<&mut logs::EntrySink> = if streaming { Some(&mut write) } else { None };
        logs::run(logs_settings, &host, sink, &progress)?.map(Data::Logs)
    };
    // One line on stderr per input that could not be read.
    for skip in &report.skipped {
        output::error(&skip.reason);
    }
    match settings.format {
        // The entries were the output.
        Format::Jsonl => {
            out.flush()?;
            Ok(report.status())
        }
        Format::Human if logs_settings.follow => {
            out.flush()?;
            Ok(report.status())
        }
        _ => Ok(output::report(out, settings, &report)?),
    }
}
