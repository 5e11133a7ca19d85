//! FastCGI application code running as root: a bug in the application is then
//! a root compromise. Masters start as root to bind and switch users, which is
//! how they should be; workers and applications should not. `socket` (for the
//! processes behind its targets) and `ps` (for all of them) judge it here.

use crate::core::finding::Finding;
use crate::core::registry::codes;

/// FD3002 for processes running one command as root, about the first of them.
/// `listening` lists the addresses they serve.
pub fn runs_as_root(command: &str, pids: &[u32], listening: &[String]) -> Finding {
    let pid_list = pid_list(pids);
    let serving = if listening.is_empty() {
        String::new()
    } else {
        format!("; it serves {}", listening.join(", "))
    };
    Finding::new(
        &codes::APP_RUNS_AS_ROOT,
        format!("pid {}", pids.first().copied().unwrap_or_default()),
        format!("{command} runs as root ({pid_list}){serving}"),
    )
}

/// `pid 1, pid 2, ... and N more`.
pub fn pid_list(pids: &[u32]) -> String {
    const SHOWN: usize = 8;
    let mut s = pids
        .iter()
        .take(SHOWN)
        .map(|p| format!("pid {p}"))
        .collect::<Vec<_>>()
        .join(", ");
    if pids.len() > SHOWN {
        s.push_str(&format!(" and {} more", pids.len() - SHOWN));
    }
    s
}
