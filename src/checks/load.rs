//! What a load run says: latencies in a bounded histogram, and the findings
//! of concurrency (an application that serializes, errors that appear only
//! under concurrency, latency that grows with queueing).

use std::collections::BTreeMap;

use serde::Serialize;

use crate::core::finding::Finding;
use crate::core::registry::{self, codes};

/// Latencies in logarithmic buckets 2 % wide, from 1 µs to about 10 min:
/// memory stays the same whatever the number of requests.
#[derive(Clone, Debug)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
    max_us: u64,
}

const GROWTH: f64 = 1.02;
const BUCKETS: usize = 1400;

impl Default for Histogram {
    fn default() -> Self {
        Self {
            buckets: vec![0; BUCKETS],
            count: 0,
            max_us: 0,
        }
    }
}

impl Histogram {
    pub fn record(&mut self, micros: u64) {
        let i = ((micros.max(1) as f64).ln() / GROWTH.ln()) as usize;
        self.buckets[i.min(BUCKETS - 1)] += 1;
        self.count += 1;
        self.max_us = self.max_us.max(micros);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The latency under which `q` (0..1) of the requests fell, in
    /// milliseconds (the bucket's upper edge, never above the maximum).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count == 0 {
            return 0.0;
        }
        let rank = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                let upper = GROWTH.powi(i as i32 + 1);
                return upper.min(self.max_us as f64) / 1000.0;
            }
        }
        self.max_us as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.max_us as f64 / 1000.0
    }

    /// Counts in `rows` ranges between the fastest and the slowest request,
    /// for the terminal chart: (upper edge in ms, count).
    pub fn rows(&self, rows: usize) -> Vec<(f64, u64)> {
        let used: Vec<usize> = (0..BUCKETS).filter(|&i| self.buckets[i] > 0).collect();
        let (Some(&first), Some(&last)) = (used.first(), used.last()) else {
            return Vec::new();
        };
        let span = (last - first + 1).div_ceil(rows.max(1));
        (first..=last)
            .step_by(span)
            .map(|start| {
                let end = (start + span).min(last + 1);
                let n = self.buckets[start..end].iter().sum();
                (GROWTH.powi(end as i32) / 1000.0, n)
            })
            .collect()
    }
}

/// Latency percentiles in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl From<&Histogram> for Latency {
    fn from(h: &Histogram) -> Self {
        let round = |v: f64| (v * 1000.0).round() / 1000.0;
        Latency {
            p50: round(h.quantile_ms(0.50)),
            p90: round(h.quantile_ms(0.90)),
            p99: round(h.quantile_ms(0.99)),
            max: round(h.max_ms()),
        }
    }
}

/// One phase of a run: the numbers, and the failures by code with an example.
#[derive(Clone, Debug, Default)]
pub struct Phase {
    pub concurrency: usize,
    pub completed: u64,
    pub seconds: f64,
    pub latency: Histogram,
    pub failures: BTreeMap<&'static str, (u64, String)>,
}

impl Phase {
    pub fn failed(&self) -> u64 {
        self.failures.values().map(|(n, _)| n).sum()
    }

    pub fn requests_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            (self.completed + self.failed()) as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The findings of a run: each failure code with its share, and what the
/// comparison with one connection at a time says.
pub fn judge(main: &Phase, single: Option<&Phase>, subject: &str) -> Vec<Finding> {
    let total = main.completed + main.failed();
    let mut findings = Vec::new();
    for (code, (n, example)) in &main.failures {
        let Some(known) = registry::lookup(code) else {
            continue;
        };
        findings.push(Finding::new(
            known,
            subject,
            format!("{n} of {total} requests: {example}"),
        ));
    }
    let Some(single) = single.filter(|s| s.concurrency == 1 && main.concurrency > 1) else {
        return findings;
    };
    let (rps1, rps) = (single.requests_per_second(), main.requests_per_second());
    if single.failed() == 0 && main.failed() > 0 {
        let codes: Vec<&str> = main.failures.keys().copied().collect();
        findings.push(Finding::new(
            &codes::LOAD_ERRORS_UNDER_CONCURRENCY,
            subject,
            format!(
                "one request at a time: no failure in {}; {} at once: {} of {total} failed ({})",
                single.completed,
                main.concurrency,
                main.failed(),
                codes.join(", ")
            ),
        ));
    }
    // Requests that take under 2 ms are bounded by the CPU of this host (the
    // client and the backend share it), not by the backend's concurrency:
    // their throughput says nothing of serializing.
    let slow_enough = single.latency.quantile_ms(0.5) >= 2.0;
    if slow_enough && rps1 > 0.0 && main.completed > 0 && rps < rps1 * 1.25 {
        findings.push(Finding::new(
            &codes::LOAD_SERIALIZES,
            subject,
            format!(
                "{rps:.0} requests/s with {} at once against {rps1:.0} one at a time: the \
                 backend serves one request at a time",
                main.concurrency
            ),
        ));
    }
    let (p50_1, p50) = (
        single.latency.quantile_ms(0.5),
        main.latency.quantile_ms(0.5),
    );
    if p50_1 > 0.0 && p50 > 3.0 * p50_1 && p50 > 1.0 {
        findings.push(Finding::new(
            &codes::LOAD_QUEUEING,
            subject,
            format!(
                "median latency {p50:.1} ms with {} at once against {p50_1:.1} ms one at a time: \
                 requests wait for a worker",
                main.concurrency
            ),
        ));
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_bounded_buckets() {
        let mut h = Histogram::default();
        for us in 1..=1000 {
            h.record(us * 1000); // 1 ms .. 1 s
        }
        let p50 = h.quantile_ms(0.5);
        assert!((490.0..=520.0).contains(&p50), "{p50}");
        assert!((980.0..=1000.0).contains(&h.quantile_ms(0.99)));
        assert_eq!(h.max_ms(), 1000.0);
        h.record(u64::MAX / 2); // far past the last bucket: still counted
        assert_eq!(h.count(), 1001);
        assert!(!h.rows(8).is_empty());
    }

    #[test]
    fn a_backend_that_serializes_and_queues_is_told() {
        let phase = |concurrency, completed, seconds: f64, ms: u64| {
            let mut p = Phase {
                concurrency,
                completed,
                seconds,
                ..Phase::default()
            };
            for _ in 0..completed {
                p.latency.record(ms * 1000);
            }
            p
        };
        let single = phase(1, 100, 1.0, 10);
        let main = phase(8, 110, 1.0, 80);
        let codes: Vec<_> = judge(&main, Some(&single), "t")
            .iter()
            .map(|f| f.code)
            .collect();
        assert!(codes.contains(&codes::LOAD_SERIALIZES.id), "{codes:?}");
        assert!(codes.contains(&codes::LOAD_QUEUEING.id), "{codes:?}");
        let parallel = phase(8, 700, 1.0, 11);
        assert!(judge(&parallel, Some(&single), "t").is_empty());
    }
}
