//! `fcgi-doctor socket`: what is at a socket path, who may connect to it, and
//! who listens on it.
//!
//! The path is looked at without following it first (`lstat` of every
//! component), the web user's access is worked out from owners and modes, then
//! confirmed by a real connect as that user when we are root. Listeners come
//! from the kernel's socket table and the descriptors of every process.

mod connect;
mod listeners;
mod path;
mod render;
mod tcp;

use serde::Serialize;

use crate::access;
use crate::finding::Finding;
use crate::probe::target::Target;
use crate::processes::Snapshot;
use crate::procfs::ProcFs;
use crate::webuser::{self, ConfigRoot, WebUser};

pub use render::render_human;

/// What `socket` was asked to look at.
#[derive(Debug)]
pub struct SocketSettings {
    pub targets: Vec<Target>,
    pub web_user: Option<String>,
    pub proc: ProcFs,
    pub config: ConfigRoot,
}

#[derive(Debug, Serialize)]
pub struct SocketReport {
    /// The user whose access was checked; null when none could be found.
    pub web_user: Option<WebUser>,
    pub targets: Vec<TargetReport>,
    /// What could not be seen or was assumed.
    pub notes: Vec<String>,
    #[serde(skip)]
    pub findings: Vec<Finding>,
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
    pub access: Option<Access>,
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
pub struct Access {
    pub user: String,
    /// What owners and modes say.
    pub allowed_by_modes: bool,
    /// The component that denies, when one does.
    pub denied_by: Option<String>,
    /// `search` (a directory) or `write` (the socket).
    pub missing_permission: Option<&'static str>,
    /// The outcome of a real connect as the user: `connected`, or the error
    /// (`EACCES`, `ECONNREFUSED`...). Null when not tried (not root).
    pub connect_as_user: Option<String>,
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

pub fn run(settings: &SocketSettings) -> Result<SocketReport, String> {
    let snapshot = Snapshot::take_with(&settings.proc, false)
        .map_err(|e| format!("cannot read the process table: {e}"))?;
    let mut notes = Vec::new();
    let web_user = match &settings.web_user {
        Some(name) => {
            Some(webuser::named(name, "--web-user").map_err(|e| format!("--web-user: {e}"))?)
        }
        None => webuser::detect(&snapshot, &settings.config),
    };
    match &web_user {
        Some(u) if u.guessed => notes.push(format!(
            "no web server is running and none is configured: assumed the web user is {} \
             (the distribution default); give --web-user to be sure",
            u.name
        )),
        Some(_) => {}
        None => notes.push(
            "the web user is unknown (no web server running or configured, no default user \
             exists): access was not checked; give --web-user"
                .into(),
        ),
    }
    let mut checker = Checker {
        settings,
        snapshot: &snapshot,
        web_user: web_user.as_ref(),
        notes: &mut notes,
        findings: Vec::new(),
    };
    let mut targets = Vec::new();
    for target in &settings.targets {
        targets.push(checker.check(target));
    }
    let findings = checker.findings;
    if snapshot.hidden_fds > 0 && !snapshot.as_root {
        notes.push(format!(
            "running as {}: the descriptors of {} processes of other users could not be read, \
             so listeners among them are not shown (run as root to see them)",
            access::user_name(nix::unistd::geteuid().as_raw()),
            snapshot.hidden_fds
        ));
    }
    Ok(SocketReport {
        web_user,
        targets,
        notes,
        findings,
    })
}

/// Checks the targets one by one, collecting findings and notes. Its methods
/// are spread by concern: `path.rs` (what is at a unix path and who may
/// connect), `listeners.rs` (who listens), `tcp.rs` (TCP targets).
struct Checker<'a> {
    settings: &'a SocketSettings,
    snapshot: &'a Snapshot,
    web_user: Option<&'a WebUser>,
    notes: &'a mut Vec<String>,
    findings: Vec<Finding>,
}

impl Checker<'_> {
    fn check(&mut self, target: &Target) -> TargetReport {
        let mut report = TargetReport {
            target: target.to_string(),
            kind: match target {
                Target::Unix(_) => "unix",
                Target::Abstract(_) => "abstract",
                Target::Tcp { .. } => "tcp",
            },
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
