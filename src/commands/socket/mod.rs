//! `fcgi-doctor socket`: what is at a socket path, who may connect to it, and
//! who listens on it.
//!
//! The path is looked at without following it first (`lstat` of every
//! component), the web user's access is worked out from owners and modes, then
//! confirmed by a real connect as that user when we are root. Listeners come
//! from the kernel's socket table and the descriptors of every process.

mod listeners;
mod tcp;
mod unix;

use serde::Serialize;

use crate::checks::{visibility, web_user};
use crate::core::outcome::Outcome;
use crate::net::target::Target;
use crate::sources::host::Host;
use crate::sources::processes::Snapshot;
use crate::sources::webuser::WebUser;

/// What `socket` was asked to look at.
#[derive(Debug)]
pub struct SocketSettings {
    pub targets: Vec<Target>,
}

#[derive(Debug, Serialize)]
pub struct SocketReport {
    /// The user whose access was checked; null when none could be found.
    pub web_user: Option<WebUser>,
    pub targets: Vec<TargetReport>,
}

#[derive(Debug, Serialize)]
pub struct TargetReport {
    pub target: String,
    /// `unix`, `abstract` or `tcp`.
    pub kind: &'static str,
    /// What is at the path, looked at without following it: `socket`,
    /// `symlink`, `regular file`, `directory`, `fifo`, `device`, `missing`.
    pub file_type: Option<&'static str>,
    /// Where a symlink at the path points.
    pub symlink_target: Option<String>,
    /// Every directory from `/` down, then the socket itself.
    pub components: Vec<Component>,
    pub access: Option<crate::checks::web_access::Access>,
    pub listeners: Vec<Listener>,
}

#[derive(Debug, Serialize)]
pub struct Component {
    pub path: String,
    pub file_type: &'static str,
    pub owner: String,
    pub group: String,
    pub uid: u32,
    pub gid: u32,
    /// Octal, as chmod takes it: "0755".
    pub mode: String,
    /// As ls shows it: "drwxr-xr-x".
    pub permissions: String,
    /// The symlink's target, when this component is one.
    pub link: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Listener {
    pub pid: u32,
    pub user: String,
    pub command: String,
    pub inode: u64,
    pub address: String,
    /// For a unix path: whether this listener owns the file at the path (false
    /// for a listener whose file was unlinked and replaced).
    pub owns_path: Option<bool>,
}

pub fn run(settings: &SocketSettings, host: &Host) -> Outcome<SocketReport> {
    let web_user = host.web_user().cloned();
    let mut out = Outcome::new(SocketReport {
        web_user: web_user.clone(),
        targets: Vec::new(),
    });
    out.notes.extend(web_user::note(web_user.as_ref()));
    let empty;
    let snapshot = match host.listeners_snapshot() {
        Ok(snapshot) => snapshot,
        Err(why) => {
            out.skip(
                "listeners",
                "host",
                "who listens on the sockets",
                why.to_string(),
            );
            empty = Snapshot::empty();
            &empty
        }
    };
    let mut checker = Checker {
        host,
        snapshot,
        web_user: web_user.as_ref(),
        out: &mut out,
        unreadable: 0,
    };
    let targets: Vec<TargetReport> = settings.targets.iter().map(|t| checker.check(t)).collect();
    // Nothing could be looked at: that is not OK, it is UNKNOWN.
    out.unchecked = checker.unreadable == targets.len();
    out.data.targets = targets;
    out.skipped.extend(visibility::hidden_descriptors(
        snapshot,
        "listeners among them are not shown",
    ));
    crate::checks::fixes::localize_all(&mut out.findings, host);
    out
}

/// Checks the targets one by one. Its methods are spread by concern:
/// `unix.rs` (what is at a unix path and who may connect), `listeners.rs`
/// (who listens), `tcp.rs` (TCP targets).
struct Checker<'a> {
    host: &'a Host,
    snapshot: &'a Snapshot,
    web_user: Option<&'a WebUser>,
    out: &'a mut Outcome<SocketReport>,
    /// Targets whose path this user may not look at.
    unreadable: usize,
}

impl Checker<'_> {
    fn check(&mut self, target: &Target) -> TargetReport {
        let mut report = TargetReport {
            target: target.to_string(),
            kind: target.kind(),
            file_type: None,
            symlink_target: None,
            components: Vec::new(),
            access: None,
            listeners: Vec::new(),
        };
        match target {
            Target::Unix(path) => self.check_path(path, &mut report),
            Target::Abstract(name) => self.check_abstract(name, &mut report),
            Target::Tcp { host, port } => self.check_tcp(host, *port, &mut report),
        }
        report
    }
}
