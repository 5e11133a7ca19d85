//! What a check returns: its own data, its findings, what it noticed, and what
//! it could not do here. A skipped check is neither a pass nor a failure: it is
//! reported as skipped, with the reason (bottom's "skipped, because ...").

use serde::Serialize;

use super::finding::{Finding, Status};

/// Something a check did not do on this host, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    /// What was not done, for machines: `connect_as_user`, `listeners`,
    /// `descriptors`, `pool_saturation`, `socket_access`, `input`, `process_table`.
    pub check: &'static str,
    /// What it would have been done to (a socket, a pool, a file, `host`).
    pub subject: String,
    /// What was not done, for people: "connect() as www-data to /run/php.sock".
    pub description: String,
    /// Why not: "it needs root".
    pub reason: String,
}

impl Skip {
    /// The sentence people read: "connect() as www-data to /x: skipped, because it needs root".
    pub fn text(&self) -> String {
        format!("{}: skipped, because {}", self.description, self.reason)
    }
}

/// The typed outcome of one check.
#[derive(Clone, Debug)]
pub struct Outcome<T> {
    /// The check's own data (a probe's timings, a process tree...).
    pub data: T,
    pub findings: Vec<Finding>,
    /// What was seen or assumed that is neither a finding nor a skip.
    pub notes: Vec<String>,
    pub skipped: Vec<Skip>,
    /// True when the check could not look at anything at all (no input could be
    /// read, no process table): its status is UNKNOWN.
    pub unchecked: bool,
}

impl<T> Outcome<T> {
    pub fn new(data: T) -> Self {
        Self {
            data,
            findings: Vec::new(),
            notes: Vec::new(),
            skipped: Vec::new(),
            unchecked: false,
        }
    }

    /// The worst severity found; UNKNOWN when nothing could be checked.
    pub fn status(&self) -> Status {
        if self.unchecked && self.findings.is_empty() {
            Status::Unknown
        } else {
            Status::from_findings(&self.findings)
        }
    }

    pub fn skip(
        &mut self,
        check: &'static str,
        subject: impl Into<String>,
        description: impl Into<String>,
        reason: impl Into<String>,
    ) {
        self.skipped.push(Skip {
            check,
            subject: subject.into(),
            description: description.into(),
            reason: reason.into(),
        });
    }

    /// Takes over another outcome's findings, notes and skips, and returns its data.
    pub fn absorb<U>(&mut self, other: Outcome<U>) -> U {
        self.findings.extend(other.findings);
        self.notes.extend(other.notes);
        self.skipped.extend(other.skipped);
        self.unchecked |= other.unchecked;
        other.data
    }

    /// The same outcome around other data.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        Outcome {
            data: f(self.data),
            findings: self.findings,
            notes: self.notes,
            skipped: self.skipped,
            unchecked: self.unchecked,
        }
    }

    /// The notes and the skips, as sentences (the `notes` of the JSON output).
    pub fn note_texts(&self) -> Vec<String> {
        self.notes
            .iter()
            .cloned()
            .chain(self.skipped.iter().map(Skip::text))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::codes;

    #[test]
    fn a_check_that_saw_nothing_is_unknown_unless_it_found_something() {
        let mut o = Outcome::new(());
        assert_eq!(o.status(), Status::Ok);
        o.unchecked = true;
        assert_eq!(o.status(), Status::Unknown);
        o.findings.push(Finding::new(&codes::APP_STDERR, "s", "m"));
        assert_eq!(o.status(), Status::Warning);
    }

    #[test]
    fn a_skip_reads_as_a_sentence_and_is_no_finding() {
        let mut o = Outcome::new(());
        o.skip(
            "connect_as_user",
            "unix:/x",
            "connect() as www-data to /x",
            "it needs root",
        );
        assert_eq!(o.status(), Status::Ok);
        assert_eq!(
            o.note_texts(),
            ["connect() as www-data to /x: skipped, because it needs root"]
        );
    }
}
