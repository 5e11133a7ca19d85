//! `fcgi-doctor doctor`: the whole FastCGI setup of a host in one run. It
//! reads the configurations (`config`), probes every backend they name and
//! every pool (concurrently, each within its deadline), looks at the process
//! tree (`ps`) and the recent part of every error log (`logs`), and gives one
//! table of checks, the findings worst first, and one exit status. It reads
//! only; the fixes it prints are for a person to run.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;

use super::config::{self as config_cmd, WebServerUser};
use super::logs::{self, LogsSettings};
use super::probe::{self, request, ProbeSettings};
use super::ps::{self, PsSettings};
use crate::core::finding::{Finding, Severity, Status};
use crate::core::outcome::Outcome;
use crate::core::registry::codes;
use crate::fcgi::Role;
use crate::net::target::Target;
use crate::sources::config::{self, Address, Given, HostConfig};
use crate::sources::host::Host;
use crate::sources::logs::time::Timestamp;

#[derive(Debug)]
pub struct DoctorSettings {
    pub given: Given,
    /// Logs are read from this time on (default: the last 24 hours).
    pub since: Timestamp,
    /// Each probe's deadline.
    pub timeout: Duration,
    /// `--watch`: how long to watch the processes, while the probes run.
    pub watch: Option<Duration>,
}

/// `doctor`'s data beside the common JSON keys.
#[derive(Debug, Serialize)]
pub struct DoctorReport {
    /// One row per check: what was looked at, how, and what it said.
    pub checks: Vec<Check>,
    /// What was looked for and where.
    pub looked: Vec<String>,
    pub web_users: Vec<WebServerUser>,
    /// The backends probed, with their pool and the probe's main numbers.
    pub endpoints: Vec<EndpointReport>,
    /// The logs read, since when.
    pub logs: Vec<String>,
    pub since: String,
}

#[derive(Debug, Serialize)]
pub struct Check {
    /// `config`, `probe`, `ps` or `logs`.
    pub check: &'static str,
    /// What it was about: a backend's address, a log file, `host`.
    pub subject: String,
    /// `ok`, `warning`, `critical`, `unknown` or `skipped`.
    pub status: &'static str,
    /// The codes it found, or why it was skipped, or what it saw.
    pub detail: String,
}

impl Check {
    fn new(
        check: &'static str,
        subject: impl Into<String>,
        status: &'static str,
        detail: impl Into<String>,
    ) -> Check {
        Check {
            check,
            subject: subject.into(),
            status,
            detail: detail.into(),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct EndpointReport {
    pub address: String,
    /// Which configurations name it: `nginx /etc/nginx/sites-enabled/a:12`,
    /// `php-fpm pool www`.
    pub named_by: Vec<String>,
    /// The CGI status the probe got, null when none.
    pub status: Option<u16>,
    /// The probe's total time in milliseconds, null when not probed.
    pub total_ms: Option<f64>,
}

/// Backends probed at the same time: a host has a handful; a configuration
/// that names thousands must not become thousands of threads and sockets.
const AT_ONCE: usize = 32;
/// Backends probed in one run; the others are listed as skipped. With
/// AT_ONCE, the probes take at most MAX_PROBED / AT_ONCE deadlines.
const MAX_PROBED: usize = 256;

pub fn run(settings: &DoctorSettings, host: &Host) -> Outcome<DoctorReport> {
    let snapshot = host.snapshot().ok();
    let hc = config::discover(host.config(), snapshot, &settings.given);
    let (config_findings, web_users) = config_cmd::check(&hc, host, snapshot);
    let mut out = Outcome::new(DoctorReport {
        checks: Vec::new(),
        looked: hc.looked.clone(),
        web_users: web_users
            .iter()
            .map(|(server, user, _)| WebServerUser {
                server,
                user: user.clone(),
            })
            .collect(),
        endpoints: Vec::new(),
        logs: Vec::new(),
        since: settings.since.to_string(),
    });
    out.notes.extend(hc.notes());
    if config_cmd::nothing_found(&hc) {
        out.notes.push(format!(
            "nothing FastCGI-related is configured here; looked at {}",
            hc.looked.join("; ")
        ));
    }

    // 1. The configuration's cross-checks, one row per subject.
    let dead: Vec<String> = config_findings
        .iter()
        .filter(|f| {
            [
                codes::CONFIG_NO_BACKEND.id,
                codes::CONFIG_STALE_SOCKET.id,
                codes::CONFIG_POOL_DOWN.id,
            ]
            .contains(&f.code)
        })
        .map(|f| f.subject.clone())
        .collect();
    rows(
        &mut out.data.checks,
        "config",
        &config_findings,
        "cross-checked",
    );
    if config_findings.is_empty() && !config_cmd::nothing_found(&hc) {
        out.data.checks.push(Check::new(
            "config",
            "host",
            "ok",
            format!(
                "{} backends, {} pools",
                hc.endpoints().len(),
                pool_count(&hc)
            ),
        ));
    }
    out.findings.extend(config_findings);

    // 2. Every backend, probed AT_ONCE at a time (a handful on a real host:
    // all at once); one that is known dead is not.
    let targets = backends(&hc);
    let mut to_probe = Vec::new();
    let live = host.config_matches_processes();
    for (address, b) in &targets {
        if !live {
            out.data.checks.push(Check::new(
                "probe",
                address.clone(),
                "skipped",
                "the configuration read is not this host's",
            ));
            out.data.endpoints.push(b.report(address, None));
            continue;
        }
        if dead.contains(address) {
            out.data.checks.push(Check::new(
                "probe",
                address.clone(),
                "skipped",
                "nothing listens there (see config)",
            ));
            out.data.endpoints.push(b.report(address, None));
            continue;
        }
        if to_probe.len() >= MAX_PROBED {
            out.data.checks.push(Check::new(
                "probe",
                address.clone(),
                "skipped",
                format!("more than {MAX_PROBED} backends: probe it with fcgi-doctor probe"),
            ));
            out.data.endpoints.push(b.report(address, None));
            continue;
        }
        match probe_settings(address, b, settings) {
            Some(s) => to_probe.push((address.clone(), s)),
            None => out.data.checks.push(Check::new(
                "probe",
                address.clone(),
                "skipped",
                "not an address fcgi-doctor can connect to",
            )),
        }
    }
    // The process tree is looked at meanwhile (watched, with --watch).
    // With files given, the host's other processes are not this setup's:
    // only a watch's crash loops are asked for.
    let judge_ps = live && (!settings.given.any() || settings.watch.is_some());
    let (probed, ps_out): (Vec<_>, _) = std::thread::scope(|scope| {
        let ps = judge_ps.then(|| {
            scope.spawn(|| {
                ps::run(
                    &PsSettings {
                        all: false,
                        watch: settings.watch,
                    },
                    host,
                )
            })
        });
        // At most AT_ONCE probes (threads, sockets) at a time.
        let mut probed = Vec::new();
        for batch in to_probe.chunks(AT_ONCE) {
            let handles: Vec<_> = batch
                .iter()
                .map(|(address, s)| (address, scope.spawn(move || probe::run(s, host))))
                .collect();
            probed.extend(
                handles
                    .into_iter()
                    .map(|(address, h)| (address.clone(), h.join())),
            );
        }
        (probed, ps.map(|h| h.join()))
    });
    for (address, result) in probed {
        let b = &targets[&address];
        match result {
            Ok(Ok(p)) => {
                let status = p.data.response.as_ref().and_then(|r| r.status);
                let mut report = b.report(&address, status);
                report.total_ms = Some(p.data.timings_ms.total);
                out.data.endpoints.push(report);
                let detail = match (&p.data.response, status) {
                    (Some(_), Some(s)) => {
                        format!("answered {s} in {:.1} ms", p.data.timings_ms.total)
                    }
                    (Some(_), None) => "answered without a status".into(),
                    (None, _) => "no answer".into(),
                };
                // A pool without ping.path answers the plain request with
                // "Primary script unknown" (FD1403): the row says it answered.
                let found: Vec<Finding> = p
                    .findings
                    .into_iter()
                    .filter(|f| f.code != codes::DEFAULT_SCRIPT_UNKNOWN.id)
                    .collect();
                rows_for(&mut out.data.checks, "probe", &address, &found, &detail);
                out.findings.extend(found);
                out.notes.extend(p.notes);
            }
            Ok(Err(e)) => out.data.checks.push(Check::new(
                "probe",
                address.clone(),
                "unknown",
                e.to_string(),
            )),
            Err(_) => out.data.checks.push(Check::new(
                "probe",
                address.clone(),
                "unknown",
                "the probe failed",
            )),
        }
    }

    // 3. The process tree: host-wide, unless the files to check were given.
    let mut exited = Vec::new();
    if !live {
        out.data.checks.push(Check::new(
            "ps",
            "host",
            "skipped",
            "the configuration read is not this host's",
        ));
    } else if settings.given.any() && settings.watch.is_none() {
        out.data.checks.push(Check::new(
            "ps",
            "host",
            "skipped",
            "configuration files were given: the host's other processes are not judged \
                     (fcgi-doctor ps shows them)",
        ));
    } else if let Some(Ok(mut p)) = ps_out {
        if settings.given.any() {
            p.findings.retain(|f| f.code == codes::CRASH_LOOP.id);
        }
        let s = &p.data.summary;
        let detail = format!(
            "{} web servers, {} process managers, {} pool workers, {} applications",
            s.web_servers, s.process_managers, s.pool_workers, s.apps
        );
        if p.unchecked {
            out.data.checks.push(Check::new(
                "ps",
                "host",
                "unknown",
                "the process table could not be read",
            ));
        } else {
            rows_for(&mut out.data.checks, "ps", "host", &p.findings, &detail);
        }
        // With nothing configured, a missing process manager is no news.
        if !config_cmd::nothing_found(&hc) {
            out.findings.extend(p.findings);
        }
        exited = p.data.exited;
    } else {
        out.data.checks.push(Check::new(
            "ps",
            "host",
            "unknown",
            "the look at the process table failed",
        ));
    }

    // 4. The recent part of every error log the configurations name.
    let files = log_files(&hc, host);
    for file in &files {
        let s = LogsSettings {
            inputs: vec![file.clone()],
            since: Some(settings.since),
            until: None,
            min_severity: Severity::Warning,
            follow: false,
            timeline: false,
            verbose: false,
        };
        match logs::run(&s, host, None, &logs::Quiet) {
            Ok(l) => {
                let entries: u64 = l.data.inputs.iter().map(|i| i.entries).sum();
                let found = l.data.findings();
                let detail = format!("{entries} FastCGI entries since {}", settings.since);
                rows_for(&mut out.data.checks, "logs", file, &found, &detail);
                out.findings.extend(found);
            }
            Err(e) => {
                out.data
                    .checks
                    .push(Check::new("logs", file.clone(), "skipped", e.to_string()))
            }
        }
    }
    out.data.logs = files;
    join_crash_loops(&mut out.findings, &exited, &out.data.logs);
    crate::checks::fixes::localize_all(&mut out.findings, host);
    dedupe(&mut out.findings);
    out
}

fn pool_count(hc: &HostConfig) -> usize {
    hc.fpm.iter().map(|f| f.pools.len()).sum()
}

/// A backend to probe: who names it, and a php-fpm ping path when its pool
/// has one.
#[derive(Debug, Default)]
struct Backend {
    named_by: Vec<String>,
    ping: Option<String>,
}

impl Backend {
    fn report(&self, address: &str, status: Option<u16>) -> EndpointReport {
        EndpointReport {
            address: address.to_string(),
            named_by: self.named_by.clone(),
            status,
            total_ms: None,
        }
    }
}

/// Every backend the web servers name and every pool's address, once each,
/// keyed by the address a probe takes.
fn backends(hc: &HostConfig) -> BTreeMap<String, Backend> {
    let mut out: BTreeMap<String, Backend> = BTreeMap::new();
    let endpoints = hc.endpoints();
    for e in endpoints.iter().filter(|e| !e.dynamic && !e.elsewhere) {
        let Some(address) = Address::parse(&e.address) else {
            continue;
        };
        out.entry(address.target())
            .or_default()
            .named_by
            .push(format!("{} {}", e.server, e.origin));
    }
    for f in &hc.fpm {
        for pool in &f.pools {
            let Some(address) = pool.listen.as_deref().and_then(Address::parse) else {
                continue;
            };
            // A web server's address that reaches this pool stands for it.
            let key = out
                .keys()
                .find(|k| Address::parse(k).is_some_and(|a| a.reaches(&address)))
                .cloned()
                .unwrap_or_else(|| address.target());
            let b = out.entry(key).or_default();
            b.named_by.push(format!("php-fpm pool {}", pool.name));
            if b.ping.is_none() {
                b.ping = pool.ping_path.clone();
            }
        }
    }
    out
}

/// The probe of one backend: php-fpm's ping when its pool has a ping path,
/// else the plain request `probe` sends by default.
fn probe_settings(address: &str, b: &Backend, settings: &DoctorSettings) -> Option<ProbeSettings> {
    let target = Target::parse(std::ffi::OsStr::new(address)).ok()?;
    let request = request::build(request::RequestOptions {
        role: Role::Responder,
        data: Vec::new(),
        fpm_ping: b.ping.clone(),
        fpm_status: false,
        uri: None,
        script_filename: None,
        method: "GET".into(),
        params: Vec::new(),
        body: Vec::new(),
    })
    .ok()?;
    let ping = b.ping.is_some();
    Some(ProbeSettings {
        target,
        connect_timeout: Duration::from_secs(2).min(settings.timeout),
        timeout: settings.timeout,
        request,
        expect_status: ping.then_some(200..=200),
        expect_body: ping.then_some(crate::checks::response::BodyMatch::Prefix("pong")),
        max_body: 64 * 1024,
        get_values: false,
        as_user: None,
        warning: None,
        critical: None,
        load: None,
        check_web_user: true,
    })
}

/// The error logs the configurations name that exist here.
fn log_files(hc: &HostConfig, host: &Host) -> Vec<String> {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    if let Some(a) = &hc.apache {
        files.extend(a.error_logs.iter().cloned());
    }
    if let Some(n) = &hc.nginx {
        files.extend(n.error_logs.iter().cloned());
    }
    files.extend(hc.fpm.iter().filter_map(|f| f.error_log.clone()));
    let mut seen = std::collections::BTreeSet::new();
    files
        .into_iter()
        .filter(|f| seen.insert(f.clone()))
        .filter(|f| host.config().file(f).is_file())
        .map(|f| host.config().file(f).display().to_string())
        .collect()
}

/// A crash loop `ps` saw, joined with what the logs say of the same program:
/// the application's own last words (its stderr in the error log, its exit)
/// are the cause the loop's finding names.
fn join_crash_loops(
    findings: &mut [Finding],
    exited: &[crate::sources::watch::Exited],
    logs: &[String],
) {
    let log_lines: Vec<(String, String)> = findings
        .iter()
        .filter(|f| f.code != codes::CRASH_LOOP.id)
        .map(|f| (f.code.to_string(), f.message.clone()))
        .collect();
    for f in findings
        .iter_mut()
        .filter(|f| f.code == codes::CRASH_LOOP.id)
    {
        let programs: Vec<&str> = exited
            .iter()
            .filter(|e| f.message.contains(&e.command))
            .flat_map(|e| e.command.split_whitespace())
            .filter_map(|w| w.rsplit('/').next())
            .filter(|name| name.contains('.') && name.len() > 3)
            .collect();
        // Its own last words first: mod_fcgid and mod_fastcgi send an
        // application's stderr straight into the error log, unprefixed.
        if let Some((file, line)) = last_words(logs, &programs) {
            f.message = format!("{}; its last words in {file}: {line}", f.message);
            continue;
        }
        let said = log_lines
            .iter()
            .find(|(_, message)| programs.iter().any(|p| message.contains(p)));
        if let Some((code, message)) = said {
            f.message = format!("{}; the error log says ({code}): {message}", f.message);
        }
    }
}

/// The last line of the logs' last 256 KiB that names one of `programs` and is
/// not the web server's own (those carry `[module:level]` or `AH` codes).
fn last_words(logs: &[String], programs: &[&str]) -> Option<(String, String)> {
    let own = |line: &str| {
        line.starts_with('[') || line.contains("mod_fcgid:") || line.contains("FastCGI:")
    };
    logs.iter().find_map(|file| {
        let lines =
            crate::sources::files::tail_lines(std::path::Path::new(file), 256 * 1024).ok()?;
        lines
            .iter()
            .rev()
            .find(|l| !own(l) && programs.iter().any(|p| l.contains(p)))
            .map(|l| {
                let line: String = l.chars().take(300).collect();
                (
                    file.clone(),
                    crate::core::sanitize::escape(&line).into_owned(),
                )
            })
    })
}

/// One row per subject of `findings`, for `check`.
fn rows(checks: &mut Vec<Check>, check: &'static str, findings: &[Finding], seen: &str) {
    let mut by_subject: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_subject.entry(&f.subject).or_default().push(f);
    }
    for (subject, found) in by_subject {
        checks.push(row(check, subject, &found, seen));
    }
}

/// One row for `subject`: the worst of `findings`, or OK with `detail`.
fn rows_for(
    checks: &mut Vec<Check>,
    check: &'static str,
    subject: &str,
    findings: &[Finding],
    detail: &str,
) {
    let found: Vec<&Finding> = findings.iter().collect();
    checks.push(row(check, subject, &found, detail));
}

fn row(check: &'static str, subject: &str, found: &[&Finding], detail: &str) -> Check {
    let status = Status::from_findings(found.iter().copied()).as_str();
    let mut codes: Vec<&str> = found
        .iter()
        .filter(|f| f.severity > Severity::Info)
        .map(|f| f.code)
        .collect();
    codes.dedup();
    Check {
        check,
        subject: subject.to_string(),
        status,
        detail: if codes.is_empty() {
            detail.to_string()
        } else {
            codes.join(" ")
        },
    }
}

/// The same finding from two views (a socket's access from `config` and
/// from the probe) is said once.
fn dedupe(findings: &mut Vec<Finding>) {
    let mut seen = std::collections::HashSet::new();
    findings.retain(|f| seen.insert((f.code, f.subject.clone(), f.message.clone())));
}
