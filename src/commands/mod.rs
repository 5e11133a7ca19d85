//! Commands put sources and checks together: each takes its validated settings
//! and a [`crate::sources::host::Host`], and returns a typed
//! [`Outcome`] of its own data. None of them prints; [`crate::output`] does.

pub mod config;
pub mod doctor;
pub mod explain;
pub mod logs;
pub mod probe;
pub mod ps;
pub mod socket;
pub mod spawn;

use serde::Serialize;

use crate::core::outcome::Outcome;

/// The data of one command's outcome, for the reporter.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Data {
    Probe(Box<probe::ProbeReport>),
    Logs(logs::Summary),
    Socket(socket::SocketReport),
    Ps(ps::PsReport),
    Explain(explain::ExplainList),
    /// `explain '<pasted line>'`.
    Fragment(explain::FragmentReport),
    Spawn(Box<spawn::SpawnReport>),
    Config(Box<config::ConfigReport>),
    Doctor(Box<doctor::DoctorReport>),
}

impl Data {
    /// The command's name, as typed and in the JSON `command` key.
    pub fn command(&self) -> &'static str {
        match self {
            Data::Probe(_) => "probe",
            Data::Logs(_) => "logs",
            Data::Socket(_) => "socket",
            Data::Ps(_) => "ps",
            Data::Explain(_) | Data::Fragment(_) => "explain",
            Data::Spawn(_) => "spawn",
            Data::Config(_) => "config",
            Data::Doctor(_) => "doctor",
        }
    }

    /// A check ends its report with a status line; `explain` does not.
    pub fn is_check(&self) -> bool {
        !matches!(self, Data::Explain(_))
    }
}

/// One command's outcome, ready for the reporter.
pub type Report = Outcome<Data>;
