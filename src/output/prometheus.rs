//! `--format prometheus`: the text exposition format, for node_exporter's
//! textfile collector (a timer writes the file atomically; see the README).
//! Every command exports `fcgi_doctor_status` (the exit status) and its
//! findings by code, class and severity, and its own numbers beside them.

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::commands::{Data, Report};
use crate::core::finding::Severity;
use crate::core::sanitize;

/// Metric families by name, each with its help, type and samples, written
/// in name order: a family is written once however many reports add to it.
#[derive(Default)]
pub struct Metrics {
    families: BTreeMap<&'static str, Family>,
}

struct Family {
    help: &'static str,
    kind: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Metrics {
    fn add(
        &mut self,
        name: &'static str,
        kind: &'static str,
        help: &'static str,
        labels: Vec<(&'static str, String)>,
        value: f64,
    ) {
        self.families
            .entry(name)
            .or_insert_with(|| Family {
                help,
                kind,
                samples: Vec::new(),
            })
            .samples
            .push((labels, value));
    }

    fn gauge(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: Vec<(&'static str, String)>,
        value: f64,
    ) {
        self.add(name, "gauge", help, labels, value);
    }

    /// Adds what one report says.
    pub fn report(&mut self, report: &Report) {
        let command = report.data.command();
        let subject = subject_of(report);
        let base = || -> Vec<(&'static str, String)> {
            let mut labels = vec![("command", command.to_string())];
            if let Some(s) = &subject {
                labels.push(("target", s.clone()));
            }
            labels
        };
        self.gauge(
            "fcgi_doctor_status",
            "Exit status of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            base(),
            f64::from(report.status().exit_code()),
        );
        let mut by_code: BTreeMap<(&str, &str, Severity), u64> = BTreeMap::new();
        for f in &report.findings {
            *by_code
                .entry((f.code, f.class.as_str(), f.severity))
                .or_default() += 1;
        }
        for ((code, class, severity), n) in by_code {
            let mut labels = base();
            labels.push(("code", code.to_string()));
            labels.push(("class", class.to_string()));
            labels.push(("severity", severity.as_str().to_string()));
            self.gauge(
                "fcgi_doctor_findings",
                "Findings of the check by code, class and severity.",
                labels,
                n as f64,
            );
        }
        match &report.data {
            Data::Probe(p) => self.probe(p, base()),
            Data::Logs(s) => self.logs(s, base()),
            Data::Socket(s) => {
                for t in &s.targets {
                    let labels = vec![
                        ("command", command.to_string()),
                        ("target", t.target.clone()),
                    ];
                    self.gauge(
                        "fcgi_doctor_socket_listeners",
                        "Processes listening on the socket.",
                        labels.clone(),
                        t.listeners.len() as f64,
                    );
                    if let Some(a) = &t.access {
                        let mut labels = labels;
                        labels.push(("user", a.user.clone()));
                        let allowed = match a.connect_as_user.as_deref() {
                            Some(c) => c == "connected",
                            None => a.allowed_by_modes,
                        };
                        self.gauge(
                            "fcgi_doctor_socket_web_user_access",
                            "1 when the web user may connect to the socket, else 0.",
                            labels,
                            f64::from(u8::from(allowed)),
                        );
                    }
                }
            }
            Data::Ps(p) => {
                let s = &p.summary;
                for (role, n) in [
                    ("web_server", s.web_servers),
                    ("process_manager", s.process_managers),
                    ("pool_worker", s.pool_workers),
                    ("app", s.apps),
                ] {
                    let mut labels = base();
                    labels.push(("role", role.to_string()));
                    self.gauge(
                        "fcgi_doctor_ps_processes",
                        "FastCGI-related processes by role.",
                        labels,
                        n as f64,
                    );
                }
            }
            Data::Spawn(s) => {
                self.gauge(
                    "fcgi_doctor_spawn_started",
                    "1 when spawn started the application, else 0.",
                    base(),
                    f64::from(u8::from(s.started)),
                );
                self.gauge(
                    "fcgi_doctor_spawn_exited",
                    "1 when the application ended by itself before the run was over, else 0.",
                    base(),
                    f64::from(u8::from(s.ended.is_some())),
                );
                if let Some(ms) = s.listening_after_ms {
                    self.gauge(
                        "fcgi_doctor_spawn_listening_seconds",
                        "Time from the start until the application's own address accepted \
                         a connection (--external).",
                        base(),
                        (ms * 1000.0).round() / 1e6,
                    );
                }
                if let Some(p) = &s.probe {
                    self.probe(p, base());
                }
            }
            Data::Config(c) => {
                self.gauge(
                    "fcgi_doctor_config_backends",
                    "Backends the web servers are configured to reach.",
                    base(),
                    c.endpoints.len() as f64,
                );
                self.gauge(
                    "fcgi_doctor_config_pools",
                    "php-fpm pools configured.",
                    base(),
                    c.config.fpm.iter().map(|f| f.pools.len()).sum::<usize>() as f64,
                );
            }
            Data::Doctor(d) => {
                for c in &d.checks {
                    let value = match c.status {
                        "ok" => 0.0,
                        "warning" => 1.0,
                        "critical" => 2.0,
                        "unknown" => 3.0,
                        _ => -1.0,
                    };
                    let mut labels = base();
                    labels.push(("check", c.check.to_string()));
                    labels.push(("subject", c.subject.clone()));
                    self.gauge(
                        "fcgi_doctor_check_status",
                        "Each check of doctor: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, -1 skipped.",
                        labels,
                        value,
                    );
                }
                for e in &d.endpoints {
                    let mut labels = base();
                    labels.push(("backend", e.address.clone()));
                    self.gauge(
                        "fcgi_doctor_backend_up",
                        "1 when the backend answered doctor's probe with a CGI status, else 0.",
                        labels.clone(),
                        f64::from(u8::from(e.status.is_some())),
                    );
                    if let Some(ms) = e.total_ms {
                        self.gauge(
                            "fcgi_doctor_backend_probe_seconds",
                            "Time doctor's probe of the backend took.",
                            labels,
                            (ms * 1000.0).round() / 1e6,
                        );
                    }
                }
            }
            Data::Explain(_) | Data::Fragment(_) => {}
        }
    }

    fn probe(
        &mut self,
        p: &crate::commands::probe::ProbeReport,
        labels: Vec<(&'static str, String)>,
    ) {
        let answered = p
            .response
            .as_ref()
            .is_some_and(|r| r.protocol_status.is_some());
        self.gauge(
            "fcgi_doctor_probe_up",
            "1 when the backend answered the request with FCGI_END_REQUEST, else 0.",
            labels.clone(),
            f64::from(u8::from(answered)),
        );
        let t = &p.timings_ms;
        for (phase, ms) in [
            ("connect", t.connect),
            ("get_values", t.get_values),
            ("first_byte", t.first_byte),
            ("total", Some(t.total)),
        ] {
            if let Some(ms) = ms {
                let mut labels = labels.clone();
                labels.push(("phase", phase.to_string()));
                // Milliseconds with three decimals: whole microseconds.
                self.gauge(
                    "fcgi_doctor_probe_duration_seconds",
                    "Duration of each phase of the probe.",
                    labels,
                    (ms * 1000.0).round() / 1e6,
                );
            }
        }
        if let Some(r) = &p.response {
            if let Some(status) = r.status {
                self.gauge(
                    "fcgi_doctor_probe_status_code",
                    "CGI status of the answer.",
                    labels.clone(),
                    f64::from(status),
                );
            }
            self.gauge(
                "fcgi_doctor_probe_body_bytes",
                "Size of the answer's body.",
                labels.clone(),
                r.body_bytes as f64,
            );
        }
        if let Some(load) = &p.load {
            self.gauge(
                "fcgi_doctor_load_requests_per_second",
                "Requests per second of the load run.",
                labels.clone(),
                load.requests_per_second,
            );
            let l = &load.latency_ms;
            for (percentile, ms) in [("50", l.p50), ("90", l.p90), ("99", l.p99), ("100", l.max)] {
                let mut labels = labels.clone();
                labels.push(("percentile", percentile.to_string()));
                self.gauge(
                    "fcgi_doctor_load_latency_seconds",
                    "Latency percentiles of the load run's successful requests.",
                    labels,
                    ms / 1000.0,
                );
            }
            for (result, n) in [("completed", load.completed), ("failed", load.failed)] {
                let mut labels = labels.clone();
                labels.push(("result", result.to_string()));
                self.gauge(
                    "fcgi_doctor_load_requests",
                    "Requests of the load run by result.",
                    labels,
                    n as f64,
                );
            }
            for (code, n) in &load.failures {
                let mut labels = labels.clone();
                labels.push(("code", code.to_string()));
                self.gauge(
                    "fcgi_doctor_load_failures",
                    "Failed requests of the load run by code.",
                    labels,
                    *n as f64,
                );
            }
        }
        if let Some(st) = &p.fpm_status {
            let mut labels = labels;
            labels.push(("pool", st.pool.clone()));
            for (name, help, value) in [
                (
                    "fcgi_doctor_fpm_listen_queue",
                    "Requests waiting for a php-fpm worker.",
                    st.listen_queue,
                ),
                (
                    "fcgi_doctor_fpm_max_listen_queue",
                    "The most requests ever waiting.",
                    st.max_listen_queue,
                ),
                (
                    "fcgi_doctor_fpm_listen_queue_length",
                    "Size of the pool socket's backlog.",
                    st.listen_queue_len,
                ),
                (
                    "fcgi_doctor_fpm_max_active_processes",
                    "The most workers active at once.",
                    st.max_active_processes,
                ),
                (
                    "fcgi_doctor_fpm_start_since_seconds",
                    "Seconds since the pool started.",
                    st.start_since,
                ),
            ] {
                self.gauge(name, help, labels.clone(), value as f64);
            }
            for (state, n) in [
                ("idle", st.idle_processes),
                ("active", st.active_processes),
                ("total", st.total_processes),
            ] {
                let mut labels = labels.clone();
                labels.push(("state", state.to_string()));
                self.gauge(
                    "fcgi_doctor_fpm_processes",
                    "php-fpm workers by state.",
                    labels,
                    n as f64,
                );
            }
            for (name, help, value) in [
                (
                    "fcgi_doctor_fpm_accepted_connections_total",
                    "Connections the pool accepted since it started.",
                    st.accepted_conn,
                ),
                (
                    "fcgi_doctor_fpm_max_children_reached_total",
                    "Times pm.max_children stopped the process manager.",
                    st.max_children_reached,
                ),
                (
                    "fcgi_doctor_fpm_slow_requests_total",
                    "Requests over request_slowlog_timeout.",
                    st.slow_requests,
                ),
            ] {
                self.add(name, "counter", help, labels.clone(), value as f64);
            }
        }
    }

    fn logs(&mut self, s: &crate::commands::logs::Summary, labels: Vec<(&'static str, String)>) {
        for input in &s.inputs {
            let mut l = labels.clone();
            l.push(("file", input.file.clone()));
            self.gauge(
                "fcgi_doctor_logs_lines",
                "Lines read from the input.",
                l.clone(),
                input.lines as f64,
            );
            self.gauge(
                "fcgi_doctor_logs_entries",
                "FastCGI entries found in the input.",
                l,
                input.entries as f64,
            );
        }
        for p in &s.problems {
            let mut l = labels.clone();
            l.push(("code", p.code.to_string()));
            l.push(("class", p.class.as_str().to_string()));
            l.push(("severity", p.severity.as_str().to_string()));
            self.gauge(
                "fcgi_doctor_logs_problem_entries",
                "Log entries of each problem found.",
                l,
                p.count as f64,
            );
        }
    }

    /// The exposition text.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        for (name, family) in &self.families {
            writeln!(out, "# HELP {name} {}", family.help)?;
            writeln!(out, "# TYPE {name} {}", family.kind)?;
            for (labels, value) in &family.samples {
                let labels: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                writeln!(out, "{name}{{{}}} {}", labels.join(","), value)?;
            }
        }
        Ok(())
    }
}

/// The target of a probe, or nothing for commands about many things.
fn subject_of(report: &Report) -> Option<String> {
    match &report.data {
        Data::Probe(p) => Some(p.target.clone()),
        _ => None,
    }
}

/// A label value. Its control characters become the text the human output
/// shows (`\x1b`, `\n`): a scraper stores no escape sequence and no line end
/// to play later on a dashboard or in an alert. Then backslash and double
/// quote are escaped as the exposition format wants.
fn escape(v: &str) -> String {
    sanitize::escape(v)
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped_and_families_written_once() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\\\nd");
        let mut m = Metrics::default();
        m.gauge("x_a", "A.", vec![("k", "1".into())], 1.0);
        m.gauge("x_a", "A.", vec![("k", "2".into())], 2.5);
        let mut out = Vec::new();
        m.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP x_a A.\n# TYPE x_a gauge\nx_a{k=\"1\"} 1\nx_a{k=\"2\"} 2.5\n"
        );
    }

    /// The labels of a sample line as a parser of the exposition format reads
    /// them, or None when the line is not valid (an unknown escape, a value
    /// not closed, no value after the labels).
    fn parsed_labels(line: &str) -> Option<Vec<(String, String)>> {
        let (_, mut rest) = line.split_once('{')?;
        let mut labels = Vec::new();
        loop {
            if let Some(value) = rest.strip_prefix("} ") {
                value.parse::<f64>().ok()?;
                return Some(labels);
            }
            let rest_of_label = rest.strip_prefix(',').unwrap_or(rest);
            let (name, after) = rest_of_label.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = after.char_indices();
            let end = loop {
                match chars.next()? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next()?.1 {
                        '\\' => value.push('\\'),
                        '"' => value.push('"'),
                        'n' => value.push('\n'),
                        _ => return None,
                    },
                    (_, c) => value.push(c),
                }
            };
            labels.push((name.to_string(), value));
            rest = &after[end + 1..];
        }
    }

    #[test]
    fn label_values_never_carry_a_control_character() {
        // A pool name as the peer's status page sends it, an address as a
        // configuration file has it.
        let hostile = "www\x1b]0;PWNED\x07\r\n\"q\"\\b\u{9b}";
        let mut m = Metrics::default();
        m.gauge(
            "x_a",
            "A.",
            vec![
                ("pool", hostile.into()),
                ("backend", "127.0.0.1:9000".into()),
            ],
            1.0,
        );
        let mut out = Vec::new();
        m.write(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text:?}");
        let labels = parsed_labels(lines[2]).unwrap_or_else(|| panic!("{:?}", lines[2]));
        // What a scraper stores is what the human output shows.
        let shown = crate::core::sanitize::escape(hostile).into_owned();
        assert_eq!(
            labels,
            [
                ("pool".to_string(), shown),
                ("backend".to_string(), "127.0.0.1:9000".to_string())
            ]
        );
        assert!(labels.iter().all(|(_, v)| !v.chars().any(char::is_control)));
    }
}
