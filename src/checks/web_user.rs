//! How much the web user can be trusted: given or seen running, read from a
//! configuration, guessed from the distribution, or unknown. `socket` and `ps`
//! say it in the same words.

use crate::sources::webuser::WebUser;

/// The note about the web user, when it was neither given nor found in a
/// running or configured web server.
pub fn note(user: Option<&WebUser>) -> Option<String> {
    match user {
        Some(u) if u.guessed => Some(format!(
            "no web server runs and none is configured: the web user {} is the \
             distribution's default, a guess (give --web-user to be sure)",
            u.name
        )),
        Some(_) => None,
        None => Some(
            "the web user is unknown (no web server runs or is configured, and no default \
             user exists): access was not checked; give --web-user"
                .into(),
        ),
    }
}
