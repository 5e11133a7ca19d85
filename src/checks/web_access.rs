//! Whether the web user may connect to a unix socket: what owners and modes
//! say, checked against a real connect(2) as that user where one was made.
//! `socket` and `probe` judge it here, in the same words.

use std::path::Path;

use nix::errno::Errno;
use serde::Serialize;

use super::path_access::{self, Need, ServedBy};
use crate::core::outcome::Outcome;
use crate::net::as_user::Attempt;
use crate::sources::paths::PathFacts;
use crate::sources::webuser::WebUser;

/// The verdict, as JSON shows it.
#[derive(Clone, Debug, Serialize)]
pub struct Access {
    pub user: String,
    /// Why this user: `--as-user`, `--web-user`, the running web server's
    /// workers, a configuration file, or the distribution's default.
    pub source: String,
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

/// Judges `user`'s access to the socket at `path` from the modes and the
/// connect `attempt`; `served` names the backend for the fix, asked only when
/// access is denied.
pub fn judge(
    user: &WebUser,
    path: &Path,
    subject: &str,
    attempt: &Attempt,
    paths: &dyn PathFacts,
    served: impl FnOnce() -> ServedBy,
) -> Outcome<Access> {
    let creds = user.credentials();
    let denial = path_access::first_denial(path, &creds, |p| paths.owner(p));
    let mut out = Outcome::new(Access {
        user: user.name.clone(),
        source: user.source.clone(),
        allowed_by_modes: denial.is_none(),
        denied_by: denial.as_ref().map(|d| d.path.display().to_string()),
        missing_permission: denial.as_ref().map(|d| match d.need {
            Need::Search => "search",
            Need::Write => "write",
        }),
        connect_as_user: match attempt {
            Attempt::Connected => Some("connected".to_string()),
            Attempt::Failed(e) => Some(format!("{e:?}")),
            Attempt::NeedsRoot | Attempt::Broken(_) => None,
        },
    });
    match attempt {
        Attempt::NeedsRoot => out.skip(
            "connect_as_user",
            subject,
            format!("connect() as {} to {}", user.name, path.display()),
            "it needs root; access was judged from owners and modes only",
        ),
        Attempt::Broken(why) => out
            .notes
            .push(format!("could not connect as {}: {why}", user.name)),
        _ => {}
    }
    let refused = match attempt {
        Attempt::Failed(e @ (Errno::EACCES | Errno::EPERM)) => Some(*e),
        _ => None,
    };
    let connected = *attempt == Attempt::Connected;
    let need = |d: &path_access::Denial| match d.need {
        Need::Search => "no search permission",
        Need::Write => "no write permission",
    };
    match denial {
        // The modes deny but the kernel let the user in: an ACL grants it
        // (php-fpm's listen.acl_users works that way).
        Some(d) if connected => out.notes.push(format!(
            "{}: the modes deny {} ({} on {}), but connect() as {} succeeded: an ACL \
             grants access (getfacl {})",
            path.display(),
            user.name,
            need(&d),
            d.path.display(),
            user.name,
            d.path.display()
        )),
        // Not confirmed either way, and an ACL may grant what the modes deny.
        Some(d) if refused.is_none() && paths.has_acl(&d.path) => out.notes.push(format!(
            "{}: the modes deny {}, but {} has an ACL, which may grant access: not judged \
             (getfacl {}; run as root to confirm with a real connect)",
            path.display(),
            user.name,
            d.path.display(),
            d.path.display()
        )),
        Some(d) => {
            let mut finding = path_access::denial_finding(path, &d, &user.name, subject, &served());
            if let Some(e) = refused {
                // The confirmation belongs right after the modes, before who
                // serves the socket.
                let confirmed =
                    format!(" (confirmed: connect() as {} failed with {e:?})", user.name);
                match finding.message.find("; it is served by") {
                    Some(at) => finding.message.insert_str(at, &confirmed),
                    None => finding.message.push_str(&confirmed),
                }
            }
            out.findings.push(finding);
        }
        None => {
            if let Some(e) = refused {
                out.findings.push(path_access::denied_despite_modes(
                    path,
                    &user.name,
                    e,
                    paths.has_acl(path),
                    subject,
                ));
            }
        }
    }
    out
}
