//! `probe --requests N --concurrency C [--duration D]`: N requests over C
//! connections at once, each request on a connection of its own (as nginx and
//! Apache send them), diagnosed with the same codes as a single probe. The
//! tokio runtime is created here only, on one thread: a single probe starts
//! without it. With C above 1 a short run one request at a time comes first,
//! so that serializing, queueing and errors that appear only under
//! concurrency can be told.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::{encode_request, ProbeReport, ProbeSettings};
use crate::checks::connect_failure::{self, Connector};
use crate::checks::load::{self, Latency, Phase};
use crate::checks::response;
use crate::core::error::{Error, Result};
use crate::core::finding::Severity;
use crate::core::outcome::Outcome;
use crate::core::registry::codes;
use crate::net::connect::{ConnectError, TcpFailure};
use crate::net::load::{self as transport, Address, ConnectFailure};
use crate::net::target::Target;
use crate::sources::host::Host;
use crate::sources::webuser::Credentials;

/// How much load.
#[derive(Clone, Debug)]
pub struct LoadSettings {
    /// Stop after this many requests (with `duration`, whichever comes first).
    pub requests: Option<u64>,
    pub concurrency: usize,
    pub duration: Option<Duration>,
    /// A progress line on stderr (when it is a terminal).
    pub progress: bool,
}

/// The `load` object of the JSON output.
#[derive(Debug, Serialize)]
pub struct LoadReport {
    pub concurrency: usize,
    /// Requests sent (completed and failed).
    pub requests: u64,
    pub completed: u64,
    pub failed: u64,
    pub duration_s: f64,
    pub requests_per_second: f64,
    pub latency_ms: Latency,
    /// Failed requests by diagnosis code.
    pub failures: BTreeMap<&'static str, u64>,
    /// The short run one request at a time that came first (C above 1).
    pub single: Option<SingleReport>,
    /// Stopped by SIGINT or SIGTERM before the end: the numbers so far.
    pub interrupted: bool,
    /// Counts by latency, for the chart: [upper edge in ms, requests].
    #[serde(skip)]
    pub histogram: Vec<(f64, u64)>,
}

#[derive(Debug, Serialize)]
pub struct SingleReport {
    pub requests: u64,
    pub requests_per_second: f64,
    pub latency_ms: Latency,
}

/// Requests of the run one at a time, at most.
const SINGLE_REQUESTS: u64 = 200;
/// And its time, at most.
const SINGLE_TIME: Duration = Duration::from_millis(1000);

pub fn run(
    settings: &ProbeSettings,
    load: &LoadSettings,
    host: &Host,
) -> Result<Outcome<ProbeReport>> {
    let address = resolve(&settings.target, Instant::now() + settings.connect_timeout)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| Error::usage(format!("cannot start the load engine: {e}")))?;
    let stop = Arc::new(AtomicBool::new(false));
    let request = Rc::new(encode_request(&settings.request));
    let started = Instant::now();
    let local = tokio::task::LocalSet::new();
    let (single, main) = local.block_on(&runtime, async {
        let stopper = stop.clone();
        tokio::task::spawn_local(async move {
            // SIGINT or SIGTERM: finish what is in flight, report what was done.
            let term = async {
                match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                    Ok(mut s) => {
                        s.recv().await;
                    }
                    Err(_) => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term => {}
            }
            stopper.store(true, Ordering::SeqCst);
        });
        let single = if load.concurrency > 1 {
            let limit = Limit {
                requests: Some(load.requests.unwrap_or(u64::MAX).min(SINGLE_REQUESTS)),
                until: Some(Instant::now() + SINGLE_TIME),
            };
            Some(phase(settings, &address, &request, 1, limit, &stop, false).await)
        } else {
            None
        };
        let limit = Limit {
            requests: load.requests,
            until: load.duration.map(|d| Instant::now() + d),
        };
        let main = phase(
            settings,
            &address,
            &request,
            load.concurrency,
            limit,
            &stop,
            load.progress,
        )
        .await;
        (single, main)
    });
    let interrupted = stop.load(Ordering::SeqCst);
    let subject = settings.target.to_string();
    let mut out = Outcome::new(super::empty_report(settings));
    let main = main.finish(settings, host);
    let single = single.map(|s| s.finish(settings, host));
    out.findings = load::judge(&main.phase, single.as_ref().map(|s| &s.phase), &subject);
    out.data.response = main.first_answer;
    out.data.timings_ms.total = super::ms(started.elapsed());
    out.data.connections = (main.phase.completed + main.phase.failed()) as u32;
    out.data.load = Some(LoadReport {
        concurrency: load.concurrency,
        requests: main.phase.completed + main.phase.failed(),
        completed: main.phase.completed,
        failed: main.phase.failed(),
        duration_s: (main.phase.seconds * 1000.0).round() / 1000.0,
        requests_per_second: main.phase.requests_per_second().round(),
        latency_ms: Latency::from(&main.phase.latency),
        failures: main
            .phase
            .failures
            .iter()
            .map(|(code, (n, _))| (*code, *n))
            .collect(),
        single: single.map(|s| SingleReport {
            requests: s.phase.completed + s.phase.failed(),
            requests_per_second: s.phase.requests_per_second().round(),
            latency_ms: Latency::from(&s.phase.latency),
        }),
        interrupted,
        histogram: main.phase.latency.rows(8),
    });
    if interrupted {
        out.notes
            .push("stopped by a signal: the numbers are those of the requests sent so far".into());
    }
    Ok(out)
}

/// Where the run stops.
#[derive(Clone, Copy)]
struct Limit {
    requests: Option<u64>,
    until: Option<Instant>,
}

/// What one phase saw, before its connect failures are explained.
struct Seen {
    phase: Phase,
    /// The first connect error of each kind, explained once at the end.
    connect_errors: Vec<ConnectFailure>,
    connect_failed: u64,
    first_answer: Option<response::ResponseReport>,
}

struct Finished {
    phase: Phase,
    first_answer: Option<response::ResponseReport>,
}

impl Seen {
    /// Explains the connect failures (one look at the path for each kind).
    fn finish(mut self, settings: &ProbeSettings, host: &Host) -> Finished {
        if let Some(first) = self.connect_errors.first() {
            let error = match (first, &settings.target) {
                (ConnectFailure::Error(e), Target::Unix(_) | Target::Abstract(_)) => {
                    ConnectError::Unix(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(0)))
                }
                (ConnectFailure::Error(e), _) => ConnectError::Tcp(vec![(
                    ([0, 0, 0, 0], 0).into(),
                    TcpFailure::Error(std::io::Error::from(e.kind())),
                )]),
                (ConnectFailure::Timeout, _) => {
                    ConnectError::Tcp(vec![(([0, 0, 0, 0], 0).into(), TcpFailure::Timeout)])
                }
            };
            let creds = Credentials::current();
            let name = crate::sources::nss::user_name(creds.uid);
            let who = Connector {
                name: &name,
                creds: &creds,
            };
            if let Some(f) = connect_failure::explain(&settings.target, &error, &who, host.paths())
            {
                let entry = self
                    .phase
                    .failures
                    .entry(code_of(f.code))
                    .or_insert((0, f.message));
                entry.0 += self.connect_failed;
            }
        }
        Finished {
            phase: self.phase,
            first_answer: self.first_answer,
        }
    }
}

/// The registry's own `&'static str` for a code.
fn code_of(id: &str) -> &'static str {
    crate::core::registry::lookup(id).map_or(codes::UNREACHABLE.id, |c| c.id)
}

/// Runs `concurrency` requests at a time until `limit`.
async fn phase(
    settings: &ProbeSettings,
    address: &Address,
    request: &Rc<Vec<u8>>,
    concurrency: usize,
    limit: Limit,
    stop: &Arc<AtomicBool>,
    progress: bool,
) -> Seen {
    let seen = Rc::new(RefCell::new(Seen {
        phase: Phase {
            concurrency,
            ..Phase::default()
        },
        connect_errors: Vec::new(),
        connect_failed: 0,
        first_answer: None,
    }));
    let issued = Rc::new(RefCell::new(0u64));
    let started = Instant::now();
    let subject = settings.target.to_string();
    let expect = settings.expectations();
    let worker = || {
        let (seen, issued, request) = (seen.clone(), issued.clone(), request.clone());
        let (subject, expect) = (&subject, &expect);
        async move {
            loop {
                let done = stop.load(Ordering::Relaxed)
                    || limit.until.is_some_and(|t| Instant::now() >= t)
                    || limit.requests.is_some_and(|n| *issued.borrow() >= n);
                if done {
                    return;
                }
                *issued.borrow_mut() += 1;
                let begun = Instant::now();
                let result = transport::one(
                    address,
                    &request,
                    settings.connect_timeout,
                    begun + settings.timeout,
                    settings.max_body,
                )
                .await;
                let micros = begun.elapsed().as_micros() as u64;
                let mut s = seen.borrow_mut();
                match result {
                    Err(failure) => {
                        s.connect_failed += 1;
                        if s.connect_errors.is_empty() {
                            s.connect_errors.push(failure);
                        }
                    }
                    Ok(ex) => {
                        let (findings, answer) = response::diagnose(&ex, expect, subject);
                        let failure = findings
                            .into_iter()
                            .find(|f| f.severity >= Severity::Warning);
                        match failure {
                            Some(f) => {
                                let entry = s
                                    .phase
                                    .failures
                                    .entry(code_of(f.code))
                                    .or_insert((0, f.message));
                                entry.0 += 1;
                            }
                            None => {
                                s.phase.completed += 1;
                                s.phase.latency.record(micros);
                                if s.first_answer.is_none() {
                                    s.first_answer = answer;
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    let tasks: Vec<_> = (0..concurrency.max(1)).map(|_| worker()).collect();
    let all = futures_join(tasks);
    if progress {
        let report = async {
            let mut tick = tokio::time::interval(Duration::from_millis(250));
            loop {
                tick.tick().await;
                let s = seen.borrow();
                let n = s.phase.completed + s.phase.failed() + s.connect_failed;
                let rps = n as f64 / started.elapsed().as_secs_f64().max(1e-3);
                eprint!(
                    "\r{n} requests, {rps:.0}/s, {} failed   ",
                    n - s.phase.completed
                );
            }
        };
        tokio::select! {
            _ = all => {}
            _ = report => {}
        }
        eprint!("\r{:60}\r", "");
    } else {
        all.await;
    }
    drop(issued);
    let mut seen = Rc::try_unwrap(seen)
        .ok()
        .expect("the tasks are over")
        .into_inner();
    seen.phase.seconds = started.elapsed().as_secs_f64();
    seen
}

/// Awaits every future together, on this thread (each is polled until it
/// is done, and never after).
async fn futures_join<F: std::future::Future<Output = ()>>(tasks: Vec<F>) {
    let mut set: Vec<Option<std::pin::Pin<Box<F>>>> =
        tasks.into_iter().map(|t| Some(Box::pin(t))).collect();
    std::future::poll_fn(move |cx| {
        let mut pending = false;
        for slot in set.iter_mut() {
            if let Some(task) = slot {
                match task.as_mut().poll(cx) {
                    std::task::Poll::Ready(()) => *slot = None,
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await
}

/// The address to connect to, resolved once, by `deadline` (the connect
/// deadline, as for a single probe).
fn resolve(target: &Target, deadline: Instant) -> Result<Address> {
    use crate::net::connect::{self, Resolve};
    Ok(match target {
        Target::Unix(path) => Address::Unix(path.clone()),
        Target::Abstract(name) => Address::Abstract(name.clone()),
        Target::Tcp { host, port } => {
            let addr = match connect::resolve(host, *port, deadline) {
                Ok(found) => found.into_iter().next(),
                Err(Resolve::TooSlow) => {
                    return Err(Error::usage(format!(
                        "{host}: the resolver did not answer within the connect timeout"
                    )))
                }
                Err(Resolve::Failed(_)) => None,
            };
            Address::Tcp(
                addr.ok_or_else(|| Error::usage(format!("{host}: the name does not resolve")))?,
            )
        }
    })
}
