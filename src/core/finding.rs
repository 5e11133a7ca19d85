//! Findings and the overall status every command reports.
//!
//! A check turns what it saw into [`Finding`]s; the reporter prints them; the
//! [`Status`] of a run is the worst severity found and decides the exit code.

use serde::Serialize;

pub use super::registry::Severity;
use super::registry::{Class, Code};

/// The outcome of a whole run, in the monitoring-plugin convention (Nagios, Icinga,
/// Sensu): the exit code is the contract, the word is for humans and JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    /// The check itself could not be done: bad usage or the tool's own failure.
    Unknown,
}

impl Status {
    pub fn exit_code(self) -> i32 {
        match self {
            Self::Ok => 0,
            Self::Warning => 1,
            Self::Critical => 2,
            Self::Unknown => 3,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Warning => "warning",
            Self::Critical => "critical",
            Self::Unknown => "unknown",
        }
    }

    /// The status that a set of findings amounts to.
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Self {
        match findings.into_iter().map(|f| f.severity).max() {
            Some(Severity::Critical) => Self::Critical,
            Some(Severity::Warning) => Self::Warning,
            Some(Severity::Info) | None => Self::Ok,
        }
    }
}

/// One diagnosis about one subject, speaking through a registry [`Code`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub class: Class,
    pub severity: Severity,
    pub title: &'static str,
    /// What was seen, specific to this subject.
    pub message: String,
    /// The socket, file or process the finding is about.
    pub subject: String,
    /// The fix: the registry's, or a more concrete one built from what was seen.
    pub fix: String,
}

impl Finding {
    pub fn new(code: &Code, subject: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.id,
            class: code.class,
            severity: code.severity,
            title: code.title,
            message: message.into(),
            subject: subject.into(),
            fix: code.fix.to_string(),
        }
    }

    /// Replaces the generic fix with one that names the actual paths or values.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::codes;

    #[test]
    fn status_is_the_worst_severity_and_info_does_not_count() {
        let info = Finding::new(&codes::GET_VALUES_UNANSWERED, "s", "m");
        let warn = Finding::new(&codes::APP_STDERR, "s", "m");
        let crit = Finding::new(&codes::SOCKET_MISSING, "s", "m");
        assert_eq!(Status::from_findings([]), Status::Ok);
        assert_eq!(Status::from_findings([&info]), Status::Ok);
        assert_eq!(Status::from_findings([&info, &warn]), Status::Warning);
        assert_eq!(
            Status::from_findings([&warn, &crit, &info]),
            Status::Critical
        );
    }

    #[test]
    fn exit_codes_follow_the_monitoring_plugin_convention() {
        let codes: Vec<i32> = [
            Status::Ok,
            Status::Warning,
            Status::Critical,
            Status::Unknown,
        ]
        .iter()
        .map(|s| s.exit_code())
        .collect();
        assert_eq!(codes, [0, 1, 2, 3]);
    }
}
