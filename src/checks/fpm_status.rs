//! php-fpm's status page (`pm.status_path`, asked with `?json`): busy is not
//! dead. A listen queue or `max children reached` says the pool is out of
//! workers (with the arithmetic for `pm.max_children`), slow requests say
//! where the time goes, and a status answered for another pool says the
//! status path or socket is not the one meant.

use serde::{Deserialize, Serialize};

use crate::core::finding::Finding;
use crate::core::registry::codes;

/// The status page's numbers, as php-fpm's `?json` names them (spaces in its
/// keys become underscores here).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct FpmStatus {
    pub pool: String,
    #[serde(rename(deserialize = "process manager"))]
    pub process_manager: String,
    /// Seconds since the epoch when the pool started.
    #[serde(rename(deserialize = "start time"))]
    pub start_time: u64,
    /// Seconds since the pool started.
    #[serde(rename(deserialize = "start since"))]
    pub start_since: u64,
    #[serde(rename(deserialize = "accepted conn"))]
    pub accepted_conn: u64,
    /// Requests waiting for a free worker now.
    #[serde(rename(deserialize = "listen queue"))]
    pub listen_queue: u64,
    #[serde(rename(deserialize = "max listen queue"))]
    pub max_listen_queue: u64,
    /// The size of the socket's backlog.
    #[serde(rename(deserialize = "listen queue len"))]
    pub listen_queue_len: u64,
    #[serde(rename(deserialize = "idle processes"))]
    pub idle_processes: u64,
    #[serde(rename(deserialize = "active processes"))]
    pub active_processes: u64,
    #[serde(rename(deserialize = "total processes"))]
    pub total_processes: u64,
    #[serde(rename(deserialize = "max active processes"))]
    pub max_active_processes: u64,
    /// Times the pool hit pm.max_children since it started.
    #[serde(rename(deserialize = "max children reached"))]
    pub max_children_reached: u64,
    #[serde(rename(deserialize = "slow requests"))]
    pub slow_requests: u64,
    /// Every worker, with `?json&full` (`--verbose`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processes: Option<Vec<FpmProcess>>,
}

/// One worker of `?json&full`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct FpmProcess {
    pub pid: u64,
    pub state: String,
    #[serde(rename(deserialize = "start since"))]
    pub start_since: u64,
    pub requests: u64,
    /// Microseconds.
    #[serde(rename(deserialize = "request duration"))]
    pub request_duration: u64,
    #[serde(rename(deserialize = "request method"))]
    pub request_method: String,
    #[serde(rename(deserialize = "request uri"))]
    pub request_uri: String,
    pub script: String,
    #[serde(rename(deserialize = "last request cpu"))]
    pub last_request_cpu: f64,
    #[serde(rename(deserialize = "last request memory"))]
    pub last_request_memory: u64,
}

/// Reads the body of a `?json` answer.
pub fn parse(body: &[u8]) -> Result<FpmStatus, String> {
    serde_json::from_slice(body).map_err(|e| format!("not php-fpm's status JSON: {e}"))
}

/// What the host says about the pool's room to grow, for the arithmetic.
#[derive(Clone, Debug, Default)]
pub struct Capacity {
    /// `pm.max_children` and the file that sets it.
    pub max_children: Option<(u32, String)>,
    /// The pool's workers seen running, and their average resident memory.
    pub workers: Option<(usize, u64)>,
    /// The host's memory.
    pub mem_total: Option<u64>,
}

/// The findings of a status answer. `expected_pool`: the pool that listens
/// on the probed socket, when the host's configuration says.
pub fn judge(
    status: &FpmStatus,
    expected_pool: Option<&str>,
    capacity: &Capacity,
    subject: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let pool = &status.pool;
    if let Some(expected) = expected_pool.filter(|e| *e != pool) {
        findings.push(Finding::new(
            &codes::FPM_STATUS_OTHER_POOL,
            subject,
            format!(
                "the status page answered for pool {pool}, but the socket belongs to pool \
                 {expected}: the numbers are not this pool's"
            ),
        ));
    }
    let arithmetic = arithmetic(capacity);
    if status.listen_queue > 0 {
        findings.push(
            Finding::new(
                &codes::FPM_LISTEN_QUEUE,
                subject,
                format!(
                    "{} requests wait for a worker of pool {pool} now ({} active of {} \
                     processes; the queue's highest was {}, its length {})",
                    status.listen_queue,
                    status.active_processes,
                    status.total_processes,
                    status.max_listen_queue,
                    status.listen_queue_len
                ),
            )
            .with_fix(capacity_fix(&arithmetic)),
        );
    }
    if status.max_children_reached > 0 {
        findings.push(
            Finding::new(
                &codes::FPM_MAX_CHILDREN_REACHED,
                subject,
                format!(
                    "pool {pool} reached pm.max_children {} times since it started {} \
                     (most active at once: {})",
                    status.max_children_reached,
                    crate::core::text::ago(status.start_since as i64),
                    status.max_active_processes
                ),
            )
            .with_fix(capacity_fix(&arithmetic)),
        );
    }
    if status.slow_requests > 0 {
        findings.push(Finding::new(
            &codes::FPM_SLOW_REQUESTS,
            subject,
            format!(
                "pool {pool} counted {} slow requests (over request_slowlog_timeout) since it \
                 started {}",
                status.slow_requests,
                crate::core::text::ago(status.start_since as i64)
            ),
        ));
    }
    findings
}

/// `pm.max_children` against the memory: what raising it would cost.
fn arithmetic(c: &Capacity) -> Option<String> {
    let (workers, rss) = c.workers.filter(|(n, rss)| *n > 0 && *rss > 0)?;
    let mib = |b: u64| b / (1024 * 1024);
    let mut text = format!("its {workers} workers use about {} MiB each", mib(rss));
    if let Some((max, file)) = &c.max_children {
        text.push_str(&format!(
            ", so pm.max_children = {max} (in {file}) needs about {} MiB",
            mib(rss * u64::from(*max))
        ));
    }
    if let Some(total) = c.mem_total {
        // Leave a fifth of the memory to the system and the other services.
        let fits = total * 4 / 5 / rss;
        text.push_str(&format!(
            " of {} MiB of RAM: at most about {fits} children fit in 80 % of it",
            mib(total)
        ));
    }
    Some(text)
}

fn capacity_fix(arithmetic: &Option<String>) -> String {
    let base = "Raise pm.max_children only as far as the memory allows, and find the slow \
                requests that hold the workers (request_slowlog_timeout and slowlog; the \
                status page with ?full shows what each worker runs).";
    match arithmetic {
        Some(a) => format!("{base} The arithmetic: {a}."),
        None => base.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"pool":"www","process manager":"dynamic","start time":1764800000,"start since":3600,"accepted conn":120,"listen queue":2,"max listen queue":5,"listen queue len":511,"idle processes":0,"active processes":5,"total processes":5,"max active processes":5,"max children reached":3,"slow requests":1}"#;

    #[test]
    fn a_saturated_pool_says_so_with_the_arithmetic() {
        let status = parse(BODY.as_bytes()).unwrap();
        assert_eq!(status.listen_queue, 2);
        let capacity = Capacity {
            max_children: Some((5, "/etc/php/8.2/fpm/pool.d/www.conf".into())),
            workers: Some((5, 40 * 1024 * 1024)),
            mem_total: Some(2048 * 1024 * 1024),
        };
        let findings = judge(
            &status,
            Some("www"),
            &capacity,
            "unix:/run/php/php8.2-fpm.sock",
        );
        let codes: Vec<_> = findings.iter().map(|f| f.code).collect();
        assert_eq!(
            codes,
            [
                codes::FPM_LISTEN_QUEUE.id,
                codes::FPM_MAX_CHILDREN_REACHED.id,
                codes::FPM_SLOW_REQUESTS.id
            ]
        );
        assert!(
            findings[0].fix.contains(
                "its 5 workers use about 40 MiB each, so pm.max_children = 5 (in \
                 /etc/php/8.2/fpm/pool.d/www.conf) needs about 200 MiB of 2048 MiB of RAM: at \
                 most about 40 children fit"
            ),
            "{}",
            findings[0].fix
        );
        assert!(
            findings[1]
                .message
                .contains("3 times since it started 1 h ago"),
            "{}",
            findings[1].message
        );
    }

    #[test]
    fn another_pool_and_garbage_are_told() {
        let status = parse(BODY.as_bytes()).unwrap();
        let findings = judge(&status, Some("api"), &Capacity::default(), "t");
        assert_eq!(findings[0].code, codes::FPM_STATUS_OTHER_POOL.id);
        assert!(parse(b"<html>status</html>").is_err());
    }
}
