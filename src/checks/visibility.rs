//! What this user could not see of the process table: the descriptors of other
//! users' processes need root. `socket` and `ps` skip the same thing for the
//! same reason, and say what it costs them.

use crate::core::outcome::Skip;
use crate::sources::processes::Snapshot;

/// The skip for processes whose descriptors could not be read, if any;
/// `lost` says what the command cannot show without them.
pub fn hidden_descriptors(snapshot: &Snapshot, lost: &str) -> Option<Skip> {
    if snapshot.hidden_fds == 0 || snapshot.as_root {
        return None;
    }
    Some(Skip {
        check: "descriptors",
        subject: "host".into(),
        description: format!(
            "the descriptors of {} processes of other users",
            snapshot.hidden_fds
        ),
        reason: format!(
            "running as {} they could not be read, so {lost} (run as root to see them)",
            crate::sources::nss::user_name(nix::unistd::geteuid().as_raw())
        ),
    })
}
