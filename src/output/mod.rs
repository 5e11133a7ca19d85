//! The one place that prints. It owns the output formats ([`Format`]), the
//! JSON envelope every command shares, and the human rendering of findings,
//! notes, skips and the status line; each command's own data is drawn by its
//! module here ([`probe`], [`logs`], [`socket`], [`ps`], [`explain`]). It
//! prints one command's outcome or several merged into one report (what
//! `doctor` needs), and log entries as they are found. It never decides.

pub mod config;
pub mod explain;
pub mod logs;
pub mod nagios;
pub mod probe;
pub mod prometheus;
pub mod ps;
pub mod socket;
pub mod spawn;
pub mod text;

use std::io::{self, Write};

use colored::{ColoredString, Colorize};
use serde::Serialize;

use crate::commands::logs::EntryReport;
use crate::commands::{Data, Report};
use crate::core::finding::{Finding, Severity, Status};
use crate::core::outcome::Skip;
use crate::core::sanitize;

pub const TOOL: &str = "fcgi-doctor";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// How reports are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// For people: coloured when wanted, fitted to the width.
    Human,
    /// One JSON document, pretty-printed.
    Json,
    /// One compact JSON object per line (log entries as they are found).
    Jsonl,
    /// One status line with performance data, as monitoring plugins write.
    Nagios,
    /// The Prometheus text exposition format.
    Prometheus,
}

/// Decided once per run (ripgrep, fd).
#[derive(Clone, Copy, Debug)]
pub struct OutputSettings {
    pub format: Format,
    pub color: bool,
    /// Human output: the status line and the findings only, nothing when OK.
    pub quiet: bool,
    /// Columns human output fits in.
    pub width: usize,
}

/// The common keys of every command's JSON output; the command's own data is
/// flattened beside them.
#[derive(Serialize)]
struct Envelope<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    tool: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'static str>,
    command: &'static str,
    status: Status,
    findings: &'a [Finding],
    /// Notes, and the skips as sentences.
    notes: Vec<String>,
    skipped: &'a [Skip],
    #[serde(flatten)]
    data: &'a Data,
}

impl<'a> Envelope<'a> {
    fn of(report: &'a Report, top: bool) -> Self {
        Self {
            tool: top.then_some(TOOL),
            version: top.then_some(VERSION),
            command: report.data.command(),
            status: report.status(),
            findings: &report.findings,
            notes: report.note_texts(),
            skipped: &report.skipped,
            data: &report.data,
        }
    }
}

/// Several reports as one document: one status, every finding once.
#[derive(Serialize)]
struct Combined<'a> {
    tool: &'static str,
    version: &'static str,
    command: &'static str,
    status: Status,
    findings: Vec<&'a Finding>,
    reports: Vec<Envelope<'a>>,
}

/// Writes one command's report in the chosen format and returns its status.
pub fn report(
    out: &mut dyn Write,
    settings: &OutputSettings,
    report: &Report,
) -> io::Result<Status> {
    let status = report.status();
    match settings.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &Envelope::of(report, true))?;
            writeln!(out)?;
        }
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, &Envelope::of(report, true))?;
            writeln!(out)?;
        }
        Format::Human => Human::new(out, settings).report(report)?,
        Format::Nagios => nagios::write(out, &[report], &nagios::perf(report))?,
        Format::Prometheus => {
            let mut metrics = prometheus::Metrics::default();
            metrics.report(report);
            metrics.write(out)?;
        }
    }
    out.flush()?;
    Ok(status)
}

/// Writes several reports as one (`doctor`): each report's own part, then
/// every finding once (a problem two checks find is one problem), worst
/// first, and one status line for all.
pub fn reports(
    out: &mut dyn Write,
    settings: &OutputSettings,
    command: &'static str,
    reports: &[Report],
) -> io::Result<Status> {
    let findings = merged_findings(reports);
    let status = reports
        .iter()
        .map(|r| r.status())
        .max()
        .unwrap_or(Status::Ok);
    match settings.format {
        Format::Nagios => {
            let all: Vec<&Report> = reports.iter().collect();
            let perf: Vec<nagios::Perf> = reports.iter().flat_map(nagios::perf).collect();
            nagios::write(out, &all, &perf)?;
        }
        Format::Prometheus => {
            let mut metrics = prometheus::Metrics::default();
            for r in reports {
                metrics.report(r);
            }
            metrics.write(out)?;
        }
        Format::Json | Format::Jsonl => {
            let combined = Combined {
                tool: TOOL,
                version: VERSION,
                command,
                status,
                findings,
                reports: reports.iter().map(|r| Envelope::of(r, false)).collect(),
            };
            if settings.format == Format::Json {
                serde_json::to_writer_pretty(&mut *out, &combined)?;
            } else {
                serde_json::to_writer(&mut *out, &combined)?;
            }
            writeln!(out)?;
        }
        Format::Human => {
            let mut human = Human::new(out, settings);
            if settings.quiet {
                if status != Status::Ok {
                    human.status_line(status, &findings, &skips_of(reports), false)?;
                    human.findings(findings.iter().copied())?;
                }
            } else {
                for (i, r) in reports.iter().enumerate() {
                    if i > 0 {
                        writeln!(human.out)?;
                    }
                    human.body(r)?;
                }
                human.findings(findings.iter().copied())?;
                human.status_line(status, &findings, &skips_of(reports), true)?;
            }
        }
    }
    out.flush()?;
    Ok(status)
}

fn skips_of(reports: &[Report]) -> Vec<&Skip> {
    reports.iter().flat_map(|r| &r.skipped).collect()
}

/// Every finding of `reports` once: the same code about the same subject is
/// one problem, whichever check found it.
fn merged_findings(reports: &[Report]) -> Vec<&Finding> {
    let mut seen = std::collections::HashSet::new();
    reports
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| seen.insert((f.code, f.subject.as_str())))
        .collect()
}

/// One classified log entry as it is found: a JSON line, or a line for people.
pub fn entry(out: &mut dyn Write, settings: &OutputSettings, e: &EntryReport) -> io::Result<()> {
    match settings.format {
        Format::Jsonl => {
            serde_json::to_writer(&mut *out, e)?;
            writeln!(out)?;
        }
        Format::Human => logs::write_entry(out, e, settings.width)?,
        // The summary is written at the end.
        Format::Json | Format::Nagios | Format::Prometheus => return Ok(()),
    }
    out.flush()
}

/// A one-line error for UNKNOWN outcomes: bad usage or the tool's own failure.
pub fn error(message: &str) {
    let _ = writeln!(io::stderr(), "fcgi-doctor: {}", sanitize::escape(message));
}

/// A one-line notice on stderr, beside the report (a followed file rotated).
pub fn notice(message: &str) {
    error(message);
}

/// The coloured label of a severity.
pub fn severity_label(severity: Severity) -> ColoredString {
    match severity {
        Severity::Critical => "CRITICAL".red().bold(),
        Severity::Warning => "WARNING".yellow().bold(),
        Severity::Info => "INFO".blue(),
    }
}

fn status_label(status: Status) -> ColoredString {
    match status {
        Status::Ok => "OK".green().bold(),
        Status::Warning => "WARNING".yellow().bold(),
        Status::Critical => "CRITICAL".red().bold(),
        Status::Unknown => "UNKNOWN".magenta().bold(),
    }
}

/// Human output of reports.
struct Human<'a> {
    out: &'a mut dyn Write,
    settings: &'a OutputSettings,
}

impl<'a> Human<'a> {
    fn new(out: &'a mut dyn Write, settings: &'a OutputSettings) -> Self {
        Self { out, settings }
    }

    fn report(&mut self, report: &Report) -> io::Result<()> {
        let status = report.status();
        let skipped: Vec<&Skip> = report.skipped.iter().collect();
        let findings: Vec<&Finding> = report.findings.iter().collect();
        if self.settings.quiet {
            // The status line first, for monitoring systems that read one line.
            if report.data.is_check() && status != Status::Ok {
                self.status_line(status, &findings, &skipped, false)?;
                self.findings(findings.iter().copied())?;
            }
            return Ok(());
        }
        self.body(report)?;
        if !matches!(report.data, Data::Logs(_) | Data::Fragment(_)) {
            self.findings(findings.iter().copied())?;
        }
        if report.data.is_check() {
            self.status_line(status, &findings, &skipped, true)?;
        }
        Ok(())
    }

    /// The command's own data, then its notes and skips.
    fn body(&mut self, report: &Report) -> io::Result<()> {
        let (out, settings) = (&mut *self.out, self.settings);
        match &report.data {
            Data::Probe(d) => probe::render(out, d, settings)?,
            Data::Logs(d) => logs::render(out, d, &report.findings, settings)?,
            Data::Socket(d) => socket::render(out, d, settings)?,
            Data::Ps(d) => ps::render(out, d, settings)?,
            Data::Explain(d) => explain::render(out, d, settings)?,
            Data::Fragment(d) => explain::render_fragment(out, d, settings)?,
            Data::Spawn(d) => spawn::render(out, d, settings)?,
            Data::Config(d) => config::render(out, d, settings)?,
            Data::Doctor(d) => config::render_doctor(out, d, settings)?,
        }
        let width = settings.width;
        for note in &report.notes {
            let text = text::wrap(&sanitize::escape(note), width, 6, 6);
            writeln!(out, "{} {}", "note:".dimmed(), &text[6..])?;
        }
        for skip in &report.skipped {
            let line = format!("{}, because {}", skip.description, skip.reason);
            let text = text::wrap(&sanitize::escape(&line), width, 9, 9);
            writeln!(out, "{} {}", "skipped:".dimmed(), &text[9..])?;
        }
        Ok(())
    }

    /// Findings, most severe first, each with its fix and where to read more.
    fn findings<'f>(&mut self, findings: impl Iterator<Item = &'f Finding>) -> io::Result<()> {
        let mut sorted: Vec<&Finding> = findings.collect();
        sorted.sort_by_key(|f| std::cmp::Reverse(f.severity));
        for f in sorted {
            write_finding(self.out, f, self.settings.width)?;
        }
        Ok(())
    }

    /// `CRITICAL: 1 critical, 2 warning` (the exit status in words), after a
    /// blank line unless it comes first.
    fn status_line(
        &mut self,
        status: Status,
        findings: &[&Finding],
        skipped: &[&Skip],
        after: bool,
    ) -> io::Result<()> {
        let count = |s: Severity| findings.iter().filter(|f| f.severity == s).count();
        let mut parts = Vec::new();
        for severity in [Severity::Critical, Severity::Warning, Severity::Info] {
            let n = count(severity);
            if n > 0 {
                parts.push(format!("{n} {}", severity.as_str()));
            }
        }
        let mut detail = if status == Status::Unknown {
            skipped.first().map_or_else(
                || "the check could not be done".to_string(),
                |s| sanitize::escape(&s.text()).into_owned(),
            )
        } else if parts.is_empty() {
            "no findings".to_string()
        } else {
            parts.join(", ")
        };
        if status != Status::Unknown && !skipped.is_empty() {
            detail.push_str(&format!("; {} skipped", skipped.len()));
        }
        let blank = if after { "\n" } else { "" };
        writeln!(self.out, "{blank}{}: {detail}", status_label(status))
    }
}

/// One finding: the label line, the message, the fix with a hanging indent,
/// and where to read more.
pub fn write_finding(out: &mut dyn Write, f: &Finding, width: usize) -> io::Result<()> {
    let prefix = f.severity.as_str().len() + f.code.len() + 2;
    writeln!(
        out,
        "\n{} {} {}",
        severity_label(f.severity),
        f.code.bold(),
        text::after_label(f.title, prefix, width)
    )?;
    writeln!(
        out,
        "{}",
        text::wrap(&sanitize::escape(&f.message), width, 2, 2)
    )?;
    let fix = text::wrap(&sanitize::escape(&f.fix), width, 7, 7);
    writeln!(out, "  {} {}", "fix:".bold(), &fix[7..])?;
    writeln!(out, "  {} fcgi-doctor explain {}", "more:".dimmed(), f.code)
}

#[cfg(test)]
mod tests {
    //! `doctor`, `spawn` and the load mode are plain calls into checks that
    //! return data: here `socket`, `ps` and `probe` run on one `Host` and one
    //! reporter merges them.

    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;
    use std::time::Duration;

    use super::*;
    use crate::commands::probe::request::{self, RequestOptions};
    use crate::commands::probe::ProbeSettings;
    use crate::commands::ps::PsSettings;
    use crate::commands::socket::SocketSettings;
    use crate::commands::{probe, ps, socket};
    use crate::fcgi::{self, Decoded, EndRequest, ProtocolStatus, RecordType};
    use crate::net::target::Target;
    use crate::sources::files::ConfigRoot;
    use crate::sources::fixture::{FakeProc, Proc};
    use crate::sources::host::Host;
    use crate::sources::procfs::ProcFs;
    use crate::sources::webuser;

    /// Answers one request on `listener` with a 200 and "ok". Connections
    /// that close without a request (`socket` connecting to see who listens)
    /// are let go.
    fn answer_once(listener: UnixListener) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let mut conn = loop {
                let (mut conn, _) = listener.accept().unwrap();
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Read up to the empty STDIN record that ends the request.
                let complete = 'request: loop {
                    let n = conn.read(&mut chunk).unwrap_or(0);
                    if n == 0 {
                        break false;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                    while let Ok(Decoded::Record(record, used)) = fcgi::decode(&buf) {
                        let end = record.header.record_type == RecordType::Stdin
                            && record.content.is_empty();
                        buf.drain(..used);
                        if end {
                            break 'request true;
                        }
                    }
                };
                if complete {
                    break conn;
                }
            };
            let mut out = Vec::new();
            let body = b"Status: 200 OK\r\nContent-type: text/plain\r\n\r\nok";
            fcgi::encode_stream(&mut out, RecordType::Stdout, 1, body);
            let end = EndRequest {
                app_status: 0,
                protocol_status: ProtocolStatus::RequestComplete,
            };
            fcgi::encode_end_request(&mut out, 1, end);
            conn.write_all(&out).unwrap();
        })
    }

    #[test]
    fn socket_ps_and_probe_on_one_host_make_one_report() {
        let lab = tempfile::tempdir().unwrap();
        let live = lab.path().join("app.sock");
        let missing = lab.path().join("gone.sock");
        let server = answer_once(UnixListener::bind(&live).unwrap());

        // The host: a flup app running as root holds the live socket.
        let mut fake = FakeProc::new();
        fake.listening(6000, live.to_str().unwrap());
        fake.add(Proc {
            sockets: &[6000],
            ..Proc::new(600, 1, "python3", 0, &["python3", "/srv/app.fcgi"])
        });
        let host = Host::new(
            ProcFs::recorded(fake.root()),
            ConfigRoot(fake.root().into()),
        )
        .with_web_user(webuser::named("root", "--web-user").unwrap());

        let socket = socket::run(
            &SocketSettings {
                targets: vec![Target::Unix(live.clone()), Target::Unix(missing.clone())],
            },
            &host,
        );
        let ps = ps::run(
            &PsSettings {
                all: false,
                watch: None,
            },
            &host,
        );
        let probe_settings = |target: &std::path::Path| ProbeSettings {
            target: Target::Unix(target.to_path_buf()),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            request: request::build(RequestOptions {
                uri: Some("/".into()),
                method: "GET".into(),
                ..RequestOptions::default()
            })
            .unwrap(),
            expect_status: Some(200..=200),
            expect_body: None,
            max_body: 1 << 20,
            get_values: false,
            as_user: None,
            warning: None,
            critical: None,
            load: None,
            check_web_user: true,
        };
        let healthy = probe::run(&probe_settings(&live), &host).unwrap();
        let dead = probe::run(&probe_settings(&missing), &host).unwrap();
        server.join().unwrap();
        assert_eq!(healthy.findings, [], "{:?}", healthy.findings);
        assert_eq!(
            healthy.data.response.as_ref().and_then(|r| r.status),
            Some(200)
        );

        let all = [
            socket.map(Data::Socket),
            ps.map(Data::Ps),
            healthy.map(|r| Data::Probe(Box::new(r))),
            dead.map(|r| Data::Probe(Box::new(r))),
        ];
        let settings = OutputSettings {
            format: Format::Json,
            color: false,
            quiet: false,
            width: 100,
        };
        let mut out = Vec::new();
        let status = reports(&mut out, &settings, "doctor", &all).unwrap();
        assert_eq!(status, Status::Critical);
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let commands: Vec<&str> = json["reports"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["command"].as_str().unwrap())
            .collect();
        assert_eq!(commands, ["socket", "ps", "probe", "probe"]);
        let found = |code: &str| {
            json["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["code"] == code)
                .count()
        };
        // `socket` and `ps` both see the root app, `socket` and the probe both
        // see the missing socket: each is one problem in the merged report.
        assert_eq!(found("FD3002"), 1, "{json:#}");
        assert_eq!(found("FD1001"), 1, "{json:#}");
        for r in json["reports"].as_array().unwrap() {
            assert!(r.get("tool").is_none(), "the envelope is written once");
        }
        assert_eq!(json["reports"][0]["findings"].as_array().unwrap().len(), 2);

        // The same reports for people: one status line, each problem once.
        let human = OutputSettings {
            format: Format::Human,
            ..settings
        };
        let mut out = Vec::new();
        reports(&mut out, &human, "doctor", &all).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("FD3002 ").count(), 1, "{text}");
        assert!(
            text.trim_end().ends_with("CRITICAL: 1 critical, 1 warning"),
            "{text}"
        );
    }
}
