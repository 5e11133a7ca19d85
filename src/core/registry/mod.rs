//! The one registry of diagnostic codes.
//!
//! Every finding any command emits speaks through a [`Code`] defined in
//! [`codes`]: a stable `FDnnnn` id, one class from the fixed vocabulary, a severity,
//! a title, an explanation and a fix. Codes are never renumbered or reused (ruff,
//! rustc `--explain`, shellcheck).
//!
//! Numbering: FD1xxx `probe` (10xx connecting, 11xx waiting, 12xx the FastCGI
//! protocol, 13xx the CGI response, 14xx informational); FD2xxx `logs` (20xx
//! decided by the operating-system error, 205x relayed stderr by content, 2101 and
//! up one per row of the message catalogue, [`catalogue`]). Later commands take
//! the following thousands: FD3xxx `socket`, FD4xxx `ps`.

pub mod catalogue;
pub mod codes;

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Serialize;

/// How bad a finding is. `Info` never changes the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Info, Severity::Warning, Severity::Critical];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Warning => "warning",
            Self::Critical => "critical",
        }
    }
}

/// The fixed class vocabulary. Machines filter on these names; they are a contract
/// and never change spelling (see the "Problem classes" table of the catalogue).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    PermissionDenied,
    SocketMissingOrRefused,
    AppCrashed,
    IncompleteHeaders,
    Timeout,
    HandlerMisconfig,
    ScriptNotFound,
    CapacityExhaustion,
    ProtocolError,
    RequestLimit,
    AppStderr,
    StartupConfigError,
    ClientAbort,
    InternalError,
    LifecycleInfo,
    SecurityExposure,
}

impl Class {
    pub const ALL: [Class; 16] = [
        Class::PermissionDenied,
        Class::SocketMissingOrRefused,
        Class::AppCrashed,
        Class::IncompleteHeaders,
        Class::Timeout,
        Class::HandlerMisconfig,
        Class::ScriptNotFound,
        Class::CapacityExhaustion,
        Class::ProtocolError,
        Class::RequestLimit,
        Class::AppStderr,
        Class::StartupConfigError,
        Class::ClientAbort,
        Class::InternalError,
        Class::LifecycleInfo,
        Class::SecurityExposure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Class::PermissionDenied => "permission_denied",
            Class::SocketMissingOrRefused => "socket_missing_or_refused",
            Class::AppCrashed => "app_crashed",
            Class::IncompleteHeaders => "incomplete_headers",
            Class::Timeout => "timeout",
            Class::HandlerMisconfig => "handler_misconfig",
            Class::ScriptNotFound => "script_not_found",
            Class::CapacityExhaustion => "capacity_exhaustion",
            Class::ProtocolError => "protocol_error",
            Class::RequestLimit => "request_limit",
            Class::AppStderr => "app_stderr",
            Class::StartupConfigError => "startup_config_error",
            Class::ClientAbort => "client_abort",
            Class::InternalError => "internal_error",
            Class::LifecycleInfo => "lifecycle_info",
            Class::SecurityExposure => "security_exposure",
        }
    }
}

/// One registry entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Code {
    #[serde(rename = "code")]
    pub id: &'static str,
    pub class: Class,
    pub severity: Severity,
    pub title: &'static str,
    /// What it means, why it happens, and an example.
    pub explanation: &'static str,
    /// Concrete commands or configuration lines.
    pub fix: &'static str,
}

/// Every code, the hand-written ones and the catalogue's, in id order.
pub fn all() -> impl Iterator<Item = &'static Code> {
    static SORTED: OnceLock<Vec<&'static Code>> = OnceLock::new();
    SORTED
        .get_or_init(|| {
            let mut all: Vec<&Code> = codes::ALL.iter().chain(catalogue::codes()).collect();
            all.sort_by_key(|c| c.id);
            all
        })
        .iter()
        .copied()
}

/// Looks a code up by id, case-insensitively (`fd1001` works too). The
/// classifier calls this for every log entry, so it is a hash lookup.
pub fn lookup(id: &str) -> Option<&'static Code> {
    static INDEX: OnceLock<HashMap<&'static str, &'static Code>> = OnceLock::new();
    let index = INDEX.get_or_init(|| all().map(|c| (c.id, c)).collect());
    match index.get(id) {
        Some(code) => Some(code),
        None => index.get(id.to_ascii_uppercase().as_str()).copied(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_sorted_and_well_formed() {
        // Each table is kept in id order, and together they list every id once.
        for table in [codes::ALL, catalogue::codes()] {
            for pair in table.windows(2) {
                assert!(
                    pair[0].id < pair[1].id,
                    "{} before {}",
                    pair[0].id,
                    pair[1].id
                );
            }
        }
        let ids: Vec<&str> = all().map(|c| c.id).collect();
        assert_eq!(ids.len(), codes::ALL.len() + catalogue::codes().len());
        for pair in ids.windows(2) {
            assert!(
                pair[0] < pair[1],
                "{} is listed twice or out of order",
                pair[1]
            );
        }
        let mut seen = HashSet::new();
        for code in all() {
            assert!(seen.insert(code.id), "duplicate {}", code.id);
            assert_eq!(code.id.len(), 6, "{}", code.id);
            assert!(code.id.starts_with("FD"), "{}", code.id);
            assert!(
                code.id[2..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                code.id
            );
        }
    }

    #[test]
    fn every_code_is_fully_documented() {
        for code in all() {
            assert!(!code.title.is_empty(), "{} has no title", code.id);
            assert!(
                !code.title.ends_with('.'),
                "{}: titles are fragments without a full stop",
                code.id
            );
            assert!(
                code.explanation.len() > 80,
                "{}: explanation too short",
                code.id
            );
            assert!(
                code.explanation.contains("Example:"),
                "{}: explanation needs an example",
                code.id
            );
            assert!(code.fix.len() > 20, "{}: fix too short", code.id);
        }
    }

    #[test]
    fn class_names_are_the_contract_vocabulary() {
        let names: Vec<&str> = Class::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(
            names,
            [
                "permission_denied",
                "socket_missing_or_refused",
                "app_crashed",
                "incomplete_headers",
                "timeout",
                "handler_misconfig",
                "script_not_found",
                "capacity_exhaustion",
                "protocol_error",
                "request_limit",
                "app_stderr",
                "startup_config_error",
                "client_abort",
                "internal_error",
                "lifecycle_info",
                "security_exposure",
            ]
        );
        for class in Class::ALL {
            let json = serde_json::to_string(&class).unwrap();
            assert_eq!(json, format!("\"{}\"", class.as_str()));
        }
    }

    #[test]
    fn lookup_ignores_case_and_rejects_unknown_ids() {
        assert_eq!(lookup("fd1001").map(|c| c.id), Some("FD1001"));
        assert!(lookup("FD0000").is_none());
        assert!(lookup("").is_none());
    }
}
