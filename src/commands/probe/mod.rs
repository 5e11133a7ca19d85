//! `fcgi-doctor probe`: connect, ask FCGI_GET_VALUES, send one Responder request,
//! and diagnose every way that fails.

pub mod load;
pub mod request;

use std::collections::BTreeMap;
use std::ops::RangeInclusive;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::checks::connect_failure::{self, Connector};
use crate::checks::fixes;
use crate::checks::fpm_status::{self, FpmStatus};
use crate::checks::processes;
use crate::checks::response::{self, BodyMatch, Expectations, ResponseReport};
use crate::checks::thresholds::{self, Range};
use crate::checks::web_access::{self, Access};
use crate::checks::web_user;
use crate::checks::what_listens::{self, Wanted};
use crate::core::error::{Error, Result};
use crate::core::finding::Finding;
use crate::core::outcome::Outcome;
use crate::core::registry::codes;
use crate::fcgi::{self, RecordType, Role};
use crate::net::as_user::{self, Attempt, Identity};
use crate::net::connect::{self, ConnectError};
use crate::net::exchange::{self, ValuesOutcome, REQUEST_ID};
use crate::net::target::Target;
use crate::sources::fpmconf::Pool;
use crate::sources::host::Host;
use crate::sources::processes::{Process, Software};
use crate::sources::webuser::{Credentials, WebUser};
use request::RequestSpec;

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
    /// Connect as this user (`--as-user`), as the web server would.
    pub as_user: Option<WebUser>,
    /// `--warning` and `--critical` on the total time, in seconds.
    pub warning: Option<Range>,
    pub critical: Option<Range>,
    /// The load mode, when asked for.
    pub load: Option<load::LoadSettings>,
    /// As root, also connect as the web user (off for `spawn`'s private socket).
    pub check_web_user: bool,
}

/// Longest time FCGI_GET_VALUES may take; it must leave time for the request.
const GET_VALUES_BUDGET: Duration = Duration::from_secs(1);
/// Least time to wait for the reset that says a peer closed before the request
/// reached it (twice the connect time when that is longer: one round trip).
const RESET_GRACE: Duration = Duration::from_millis(10);

/// The probe's own data, beside the common JSON keys.
#[derive(Debug, Serialize)]
pub struct ProbeReport {
    pub target: String,
    /// The address that answered (a name may resolve to several).
    pub peer: Option<String>,
    /// Connections opened: 1 when the request followed FCGI_GET_VALUES on its
    /// connection, 2 when the backend closed that one, 0 when none was made.
    pub connections: u32,
    pub timings_ms: Timings,
    /// The FCGI_GET_VALUES answer, or null.
    pub values: Option<BTreeMap<String, String>>,
    pub request: RequestReport,
    pub response: Option<ResponseReport>,
    /// php-fpm's status page (`--fpm-status`), when it answered with its JSON.
    pub fpm_status: Option<FpmStatus>,
    /// The thresholds given, for the performance data.
    #[serde(skip)]
    pub thresholds: Thresholds,
    /// The load mode's numbers (`--requests`, `--concurrency`, `--duration`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub load: Option<load::LoadReport>,
    /// Whose access to a unix socket was checked, why that user, and what the
    /// modes and a real connect as that user said: the `--as-user`, or, when
    /// root probes without one, the web user (root connects where the web
    /// server may not). Null when no user's access was checked.
    pub access: Option<Access>,
}

/// `--warning` and `--critical` as given.
#[derive(Debug, Default)]
pub struct Thresholds {
    pub warning: Option<String>,
    pub critical: Option<String>,
}

/// Phase durations in milliseconds; null for a phase that did not happen.
#[derive(Debug, Default, Serialize)]
pub struct Timings {
    /// Establishing the first connection.
    pub connect: Option<f64>,
    /// The FCGI_GET_VALUES round trip.
    pub get_values: Option<f64>,
    /// From sending the request to the first byte of the answer.
    pub first_byte: Option<f64>,
    /// The whole probe.
    pub total: f64,
}

#[derive(Debug, Serialize)]
pub struct RequestReport {
    /// `responder`, `authorizer` or `filter`.
    pub role: &'static str,
    #[serde(serialize_with = "pairs_as_object")]
    pub params: Vec<(String, String)>,
    pub body_bytes: usize,
    /// A filter's FCGI_DATA.
    pub data_bytes: usize,
}

pub(crate) fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Runs the probe: one connection at a time, each wait bounded by poll(2).
/// Fails only when `--as-user` could not be acted on.
pub fn run(settings: &ProbeSettings, host: &Host) -> Result<Outcome<ProbeReport>> {
    if let Some(load) = &settings.load {
        return load::run(settings, load, host);
    }
    let mut probe = Probe {
        settings,
        host,
        identity: settings.as_user.as_ref().map(Identity::from),
        started: Instant::now(),
        unix_error: None,
        out: Outcome::new(empty_report(settings)),
    };
    probe.run()?;
    probe.out.data.timings_ms.total = ms(probe.started.elapsed());
    // A probe that failed says why; the thresholds judge one that answered.
    if probe.out.data.response.is_some() {
        let seconds = probe.out.data.timings_ms.total / 1000.0;
        let subject = settings.target.to_string();
        let slow = thresholds::judge(
            seconds,
            settings.warning.as_ref(),
            settings.critical.as_ref(),
            &subject,
        );
        probe.out.findings.extend(slow);
    }
    probe.check_access();
    fixes::localize_all(&mut probe.out.findings, host);
    Ok(probe.out)
}

impl ProbeSettings {
    /// What the answer is judged against.
    pub(crate) fn expectations(&self) -> Expectations<'_> {
        Expectations {
            status: self.expect_status.as_ref(),
            body: self.expect_body.as_ref(),
            script_chosen: self.request.script_chosen,
            fpm_ping: self.request.fpm_ping,
            fpm_status: self.request.fpm_status,
            script_filename: self.request.param("SCRIPT_FILENAME"),
        }
    }
}

/// The report before anything was seen.
fn empty_report(settings: &ProbeSettings) -> ProbeReport {
    ProbeReport {
        target: settings.target.to_string(),
        peer: None,
        connections: 0,
        timings_ms: Timings::default(),
        values: None,
        request: RequestReport {
            role: match settings.request.role {
                Role::Responder => "responder",
                Role::Authorizer => "authorizer",
                Role::Filter => "filter",
                Role::Other(_) => "other",
            },
            params: settings.request.params.clone(),
            body_bytes: settings.request.body.len(),
            data_bytes: settings.request.data.len(),
        },
        response: None,
        fpm_status: None,
        load: None,
        thresholds: Thresholds {
            warning: settings.warning.as_ref().map(|r| r.text.clone()),
            critical: settings.critical.as_ref().map(|r| r.text.clone()),
        },
        access: None,
    }
}

/// One run of the probe and what it has seen so far.
struct Probe<'a> {
    settings: &'a ProbeSettings,
    host: &'a Host,
    identity: Option<Identity>,
    started: Instant,
    /// connect(2)'s error, when a unix socket refused the probe.
    unix_error: Option<nix::errno::Errno>,
    out: Outcome<ProbeReport>,
}

impl Probe<'_> {
    fn run(&mut self) -> Result<()> {
        let settings = self.settings;
        let deadline = self.started + settings.timeout;
        let subject = settings.target.to_string();
        let request = encode_request(&settings.request);
        let Some(mut conn) = self.open(deadline)? else {
            return Ok(());
        };
        let connected = self.started.elapsed();
        self.out.data.timings_ms.connect = Some(ms(connected));
        self.out.data.peer = Some(conn.peer.clone());

        // The request follows on the connection that answered FCGI_GET_VALUES,
        // as the spec allows and php-fpm (since PHP bug #76922 was fixed in 2023;
        // 8.2.31 here) and flup serve it: one connection, one worker woken. Older
        // php-fpm closes that connection after its answer; the request then takes
        // a new one.
        let mut reused = false;
        if settings.get_values {
            let values_started = Instant::now();
            let budget = deadline.min(values_started + GET_VALUES_BUDGET.min(settings.timeout / 2));
            let answer = exchange::get_values(&mut *conn.stream, budget);
            self.out.data.timings_ms.get_values = Some(ms(values_started.elapsed()));
            match answer.outcome {
                ValuesOutcome::Values(pairs) => {
                    self.out.data.values = Some(pairs.into_iter().collect())
                }
                ValuesOutcome::Rejected => self.out.findings.push(Finding::new(
                    &codes::GET_VALUES_REJECTED,
                    &subject,
                    "the backend answered FCGI_UNKNOWN_TYPE",
                )),
                ValuesOutcome::NoAnswer(why) => self.out.findings.push(Finding::new(
                    &codes::GET_VALUES_UNANSWERED,
                    &subject,
                    why,
                )),
            }
            reused = answer.reusable && crate::net::poll::quiet(conn.stream.as_fd());
            if !reused {
                let Some(fresh) = self.open(deadline)? else {
                    return Ok(());
                };
                conn = fresh;
            }
        }

        let sent = Instant::now();
        let mut ex = exchange::run(&mut *conn.stream, &request, deadline, settings.max_body);
        // The closing of an old php-fpm can cross the request: if the request was
        // provably never read, it is sent once more on a new connection.
        if reused {
            let reset_wait = deadline.min(Instant::now() + RESET_GRACE.max(connected * 2));
            if exchange::left_unread(&ex, &*conn.stream, reset_wait) {
                let Some(fresh) = self.open(deadline)? else {
                    return Ok(());
                };
                conn = fresh;
                ex = exchange::run(&mut *conn.stream, &request, deadline, settings.max_body);
            }
        }
        // php-fpm answers its status page with 503 "Server busy" while another
        // request holds the scoreboard (before PHP 8.1): once more.
        if settings.request.fpm_status && scoreboard_busy(&ex) {
            std::thread::sleep(
                deadline
                    .saturating_duration_since(Instant::now())
                    .min(STATUS_RETRY_PAUSE),
            );
            let Some(fresh) = self.open(deadline)? else {
                return Ok(());
            };
            conn = fresh;
            ex = exchange::run(&mut *conn.stream, &request, deadline, settings.max_body);
        }
        // Whether a backend that closed without a byte read the request
        // decides the diagnosis, not which packet (FIN or RST) came first.
        if ex.bytes_received == 0 && !ex.left_unread {
            let reset_wait = deadline.min(Instant::now() + RESET_GRACE.max(connected * 2));
            ex.left_unread = exchange::left_unread(&ex, &*conn.stream, reset_wait);
        }
        self.out.data.timings_ms.first_byte = ex.first_byte.map(ms);
        let expect = settings.expectations();
        let (findings, response) = response::diagnose(&ex, &expect, &subject);
        self.out.findings.extend(findings);
        let answered = response.as_ref().is_some_and(|r| r.status == Some(200));
        self.out.data.response = response;
        if settings.request.fpm_status && answered {
            self.read_status(&ex, &subject);
        }
        self.judge_busy();
        self.name_terminate_timeout(sent.elapsed());
        Ok(())
    }

    /// A request accepted but never answered is BUSY when the evidence says
    /// so: FCGI_GET_VALUES unanswered as well (php-fpm answers it with a
    /// worker), or the pool's status page through `pm.status_listen` showing no
    /// idle worker or a queue. Dead and busy must not look alike.
    fn judge_busy(&mut self) {
        let Some(at) = self
            .out
            .findings
            .iter()
            .position(|f| f.code == codes::NO_FIRST_BYTE.id)
        else {
            return;
        };
        let mut evidence = Vec::new();
        if self
            .out
            .findings
            .iter()
            .any(|f| f.code == codes::GET_VALUES_UNANSWERED.id)
        {
            evidence.push(
                "FCGI_GET_VALUES went unanswered too (php-fpm answers it with a worker)"
                    .to_string(),
            );
        }
        match self.status_through_status_listen() {
            Some((address, status)) if status.idle_processes == 0 || status.listen_queue > 0 => {
                evidence.push(format!(
                    "the pool's status page (pm.status_listen {address}) shows {} of {} workers \
                     active and {} requests waiting",
                    status.active_processes, status.total_processes, status.listen_queue
                ));
            }
            Some((address, status)) => {
                // Idle workers, yet no answer: not a full pool.
                let f = &mut self.out.findings[at];
                f.message.push_str(&format!(
                    "; the pool's status page (pm.status_listen {address}) shows {} idle \
                     workers, so the pool is not full: the request itself hangs",
                    status.idle_processes
                ));
                return;
            }
            None => {}
        }
        if evidence.is_empty() {
            return;
        }
        let subject = self.out.findings[at].subject.clone();
        self.out.findings[at] = Finding::new(
            &codes::POOL_BUSY,
            &subject,
            format!(
                "the connection was accepted, but no answer came before the deadline \
                 (--timeout): {}",
                evidence.join("; ")
            ),
        );
    }

    /// The status page of the pool behind the target, asked through its own
    /// worker (`pm.status_listen`), within half a second: what a saturated
    /// pool still answers.
    /// The php-fpm pool that listens on the target, from the process table
    /// and the pool's configuration file.
    fn target_pool(&self) -> Option<Pool> {
        let snapshot = self.host.listeners_snapshot().ok()?;
        match &self.settings.target {
            Target::Unix(path) => {
                let (name, file) =
                    processes::served_by_path(self.host, snapshot, &path.to_string_lossy()).pool?;
                self.host
                    .fpm_config_at(&file)
                    .pools
                    .iter()
                    .find(|p| p.name == name)
                    .cloned()
            }
            Target::Tcp { port, .. } => {
                let inode = snapshot
                    .listeners
                    .tcp
                    .values()
                    .find(|l| l.port == *port)
                    .map(|l| l.inode)?;
                let holder = snapshot
                    .processes
                    .values()
                    .find(|p| p.listening.contains(&inode))?;
                self.host
                    .fpm_pool(snapshot, holder, &format!("127.0.0.1:{port}"))
            }
            Target::Abstract(_) => None,
        }
    }

    /// A worker that died or closed mid-request just as the pool's
    /// `request_terminate_timeout` ran out was killed by php-fpm for it: the
    /// finding names the setting and its file.
    fn name_terminate_timeout(&mut self, waited: Duration) {
        let ended_early = [
            codes::CONNECTION_RESET.id,
            codes::CLOSED_WITHOUT_RECORD.id,
            codes::NO_END_REQUEST.id,
            codes::TRUNCATED_RECORD.id,
        ];
        let Some(at) = self
            .out
            .findings
            .iter()
            .position(|f| ended_early.contains(&f.code))
        else {
            return;
        };
        let Some(pool) = self.target_pool() else {
            return;
        };
        let Some(limit) = pool
            .request_terminate_timeout
            .as_deref()
            .and_then(fpm_seconds)
            .filter(|s| *s > 0.0)
        else {
            return;
        };
        let waited = waited.as_secs_f64();
        // php-fpm checks the limit about once a second.
        if waited < limit - 0.1 || waited > limit + 1.5 {
            return;
        }
        let file = pool.file.display().to_string();
        let f = &mut self.out.findings[at];
        f.message.push_str(&format!(
            "; it ended {waited:.1} s after the request, just past the pool's \
             request_terminate_timeout = {} (in {file}): php-fpm killed the worker",
            pool.request_terminate_timeout
                .as_deref()
                .unwrap_or_default()
        ));
        f.fix =
            format!(
            "The request ran longer than request_terminate_timeout = {} of pool [{}] in {file}: \
             find why it is slow (request_slowlog_timeout and the slowlog), or raise the \
             setting (keep max_execution_time <= request_terminate_timeout <= the web \
             server's timeout) and reload php-fpm.",
            pool.request_terminate_timeout.as_deref().unwrap_or_default(),
            pool.name
        );
    }

    fn status_through_status_listen(&self) -> Option<(String, FpmStatus)> {
        let pool = self.target_pool()?;
        let address = pool.status_listen?;
        let path = pool.status_path?;
        let target = Target::parse(std::ffi::OsStr::new(&address)).ok()?;
        let spec = request::build(request::RequestOptions {
            uri: Some(format!("{path}?json")),
            fpm_status: true,
            method: "GET".into(),
            ..Default::default()
        })
        .ok()?;
        let budget = Duration::from_millis(500);
        let deadline = Instant::now() + budget;
        let mut conn = connect::connect(&target, budget, deadline, None).ok()?;
        let ex = exchange::run(&mut *conn.stream, &encode_request(&spec), deadline, 1 << 20);
        let status = fpm_status::parse(body_of(&ex)).ok()?;
        Some((address, status))
    }

    /// The status page's JSON, and what it says about the pool.
    fn read_status(&mut self, ex: &exchange::Exchange, subject: &str) {
        let cut = ex.stdout.total > ex.stdout.kept.len() as u64;
        match fpm_status::parse(body_of(ex)) {
            Ok(status) if !cut => {
                let (expected, capacity) = self.pool_facts(&status.pool);
                let findings = fpm_status::judge(&status, expected.as_deref(), &capacity, subject);
                self.out.findings.extend(findings);
                self.out.data.fpm_status = Some(status);
            }
            result => self.out.findings.push(Finding::new(
                &codes::FPM_STATUS_UNREADABLE,
                subject,
                match result {
                    Err(why) => why,
                    Ok(_) => "the answer is longer than --max-body".to_string(),
                },
            )),
        }
    }

    /// The pool that listens on the target, and the status pool's room to
    /// grow, as the process table and php-fpm's configuration say.
    fn pool_facts(&self, pool: &str) -> (Option<String>, fpm_status::Capacity) {
        let mut capacity = fpm_status::Capacity {
            mem_total: self.host.proc().mem_total().ok(),
            ..Default::default()
        };
        let Ok(snapshot) = self.host.listeners_snapshot() else {
            return (None, capacity);
        };
        let expected = self.target_pool().map(|p| p.name);
        let workers: Vec<&Process> = snapshot
            .processes
            .values()
            .filter(|p| p.software == Software::PhpFpm && p.pool.as_deref() == Some(pool))
            .collect();
        if !workers.is_empty() {
            let total: u64 = workers.iter().map(|p| p.stat.rss_bytes).sum();
            capacity.workers = Some((workers.len(), total / workers.len() as u64));
        }
        capacity.max_children = workers.first().and_then(|w| {
            let config = self.host.fpm_config(snapshot, w)?;
            let found = config.pools.iter().find(|p| p.name == pool)?;
            Some((found.max_children?, found.file.display().to_string()))
        });
        (expected, capacity)
    }

    /// Whether the user the web server connects as may open the socket, when
    /// it is a unix path: the `--as-user` (its connect was the probe's own), or,
    /// for root without one, the web user, in a connect of its own from a
    /// forked child.
    fn check_access(&mut self) {
        let Target::Unix(path) = &self.settings.target else {
            return;
        };
        let subject = self.settings.target.to_string();
        let paths = self.host.paths();
        let served = || {
            self.host
                .listeners_snapshot()
                .map(|s| processes::served_by_path(self.host, s, &path.to_string_lossy()))
                .unwrap_or_default()
        };
        if let Some(user) = &self.settings.as_user {
            // The probe connected as this user: its verdict is the kernel's,
            // and a denial was explained where the connect failed.
            let attempt = match (self.out.data.connections, self.unix_error) {
                (0, Some(errno)) => Attempt::Failed(errno),
                (0, None) => return,
                _ => Attempt::Connected,
            };
            let verdict = web_access::judge(user, path, &subject, &attempt, paths, served);
            self.out.data.access = Some(verdict.data);
            return;
        }
        // Only root can act as someone else, and only root's access differs
        // from the web server's in the way that hides a denial.
        if !self.settings.check_web_user
            || !nix::unistd::geteuid().is_root()
            || self.out.data.connections == 0
        {
            return;
        }
        let Some(user) = self.host.web_user() else {
            self.out.notes.push(
                "the web user is unknown (no web server runs or is configured): only root's \
                 access was checked; give --as-user to check the web server's"
                    .into(),
            );
            return;
        };
        if user.uid == 0 {
            return;
        }
        if let Some(note) = web_user::note(Some(user)) {
            self.out.notes.push(note);
        }
        let deadline = Instant::now() + self.settings.connect_timeout;
        let attempt = as_user::try_unix(&Identity::from(user), path, deadline);
        let verdict = web_access::judge(user, path, &subject, &attempt, paths, served);
        self.out.data.access = Some(self.out.absorb(verdict));
    }

    /// Opens one more connection and counts it; a failure becomes the finding
    /// that explains it.
    fn open(&mut self, deadline: Instant) -> Result<Option<connect::Connection>> {
        let settings = self.settings;
        let error = match connect::connect(
            &settings.target,
            settings.connect_timeout,
            deadline,
            self.identity.as_ref(),
        ) {
            Ok(conn) => {
                self.out.data.connections += 1;
                return Ok(Some(conn));
            }
            Err(e) => e,
        };
        if let ConnectError::Unix(errno) = &error {
            self.unix_error = Some(*errno);
        }
        if let ConnectError::AsUser(why) = &error {
            let name = self.identity.as_ref().map_or("?", |i| i.name.as_str());
            return Err(Error::usage(format!("--as-user {name}: {why}")));
        }
        // The kernel checked the permissions of whoever connected.
        let (name, creds) = match &settings.as_user {
            Some(user) => (user.name.clone(), user.credentials()),
            None => {
                let creds = Credentials::current();
                (crate::sources::nss::user_name(creds.uid), creds)
            }
        };
        let who = Connector {
            name: &name,
            creds: &creds,
        };
        if let Some(mut finding) =
            connect_failure::explain(&settings.target, &error, &who, self.host.paths())
        {
            // Nothing there: say what does listen, and the likely intended one.
            let wanted = match &settings.target {
                Target::Unix(path) => Some(Wanted::Unix(path)),
                Target::Tcp { port, .. } => Some(Wanted::Tcp { port: *port }),
                _ => None,
            };
            let nothing_there = [
                codes::SOCKET_MISSING.id,
                codes::SOCKET_DIR_MISSING.id,
                codes::STALE_SOCKET.id,
                codes::TCP_REFUSED.id,
            ]
            .contains(&finding.code);
            if let Some(wanted) = wanted.filter(|_| nothing_there) {
                let all = what_listens::listening(self.host);
                what_listens::point_at_what_listens(&mut finding, wanted, &all);
            }
            self.out.findings.push(finding);
        }
        Ok(None)
    }
}

/// A php-fpm duration (`30`, `30s`, `5m`, `1h`, `1d`) in seconds.
fn fpm_seconds(text: &str) -> Option<f64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((at, _)) => (&text[..at], &text[at..]),
        None => (text, "s"),
    };
    let n: f64 = number.trim().parse().ok()?;
    Some(
        n * match unit {
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "d" => 86400.0,
            _ => return None,
        },
    )
}

/// Pause before asking a busy status page again.
const STATUS_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// php-fpm's "Server busy. Please try again later." (503) of its status page.
fn scoreboard_busy(ex: &exchange::Exchange) -> bool {
    let kept = &ex.stdout.kept;
    find(kept, b"Status: 503").is_some() && find(kept, b"Server busy").is_some()
}

/// The body of a CGI answer: what follows the blank line after the headers.
fn body_of(ex: &exchange::Exchange) -> &[u8] {
    let kept = &ex.stdout.kept;
    find(kept, b"\r\n\r\n")
        .map(|at| &kept[at + 4..])
        .or_else(|| find(kept, b"\n\n").map(|at| &kept[at + 2..]))
        .unwrap_or_default()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

/// BEGIN_REQUEST (the role asked, no KEEP_CONN: the probe closes), PARAMS,
/// STDIN (none for an Authorizer, as the spec says), and a Filter's DATA.
pub(crate) fn encode_request(request: &RequestSpec) -> Vec<u8> {
    let mut out = Vec::new();
    fcgi::encode_begin_request(&mut out, REQUEST_ID, request.role, 0);
    // Parameter values were checked for NULs and the body bounded, so the only
    // encode error (a length over 2^31) cannot happen.
    let params = fcgi::encode_pairs(&request.params).expect("params fit 2^31 bytes");
    fcgi::encode_stream(&mut out, RecordType::Params, REQUEST_ID, &params);
    if request.role != Role::Authorizer {
        fcgi::encode_stream(&mut out, RecordType::Stdin, REQUEST_ID, &request.body);
    }
    if request.role == Role::Filter {
        fcgi::encode_stream(&mut out, RecordType::Data, REQUEST_ID, &request.data);
    }
    out
}

/// Writes name-value pairs as a JSON object in their original order (parameter
/// names are unique once `--param` overrides are applied).
fn pairs_as_object<S: serde::Serializer>(
    pairs: &[(String, String)],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(pairs.len()))?;
    for (name, value) in pairs {
        map.serialize_entry(name, value)?;
    }
    map.end()
}
