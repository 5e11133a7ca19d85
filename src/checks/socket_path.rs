//! What is wrong at a socket path itself: nothing there, no directory, not a
//! socket, or a socket file nobody listens on. `probe` (after a failed
//! connect) and `socket` (looking first) say it in the same words.

use std::path::Path;

use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::sources::paths::FileKind;

/// Nothing at `path`: FD1001 when its directory exists, FD1002 naming the
/// missing directory otherwise.
pub fn missing(subject: &str, path: &Path, first_missing: Option<&Path>) -> Finding {
    let shown = path.display();
    let whole = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    match first_missing {
        Some(dir) if dir != whole => Finding::new(
            &codes::SOCKET_DIR_MISSING,
            subject,
            format!("{shown}: the directory {} does not exist", dir.display()),
        ),
        _ => Finding::new(
            &codes::SOCKET_MISSING,
            subject,
            format!("{shown} does not exist (its directory does)"),
        ),
    }
}

/// Nothing listens on an abstract socket (which has no file to look at).
pub fn abstract_missing(subject: &str) -> Finding {
    Finding::new(
        &codes::SOCKET_MISSING,
        subject,
        format!("nothing listens on the abstract socket {subject}"),
    )
}

/// A component above the socket is a file, not a directory.
pub fn not_a_directory(subject: &str, path: &Path, component: Option<&Path>) -> Finding {
    let message = match component {
        Some(c) => format!("{}: {} is not a directory", path.display(), c.display()),
        None => format!(
            "{}: a component of the path is not a directory",
            path.display()
        ),
    };
    Finding::new(&codes::SOCKET_DIR_MISSING, subject, message)
}

/// Something other than a socket at the path.
pub fn not_a_socket(subject: &str, path: &Path, kind: FileKind) -> Finding {
    Finding::new(
        &codes::NOT_A_SOCKET,
        subject,
        format!(
            "{} is {}, not a socket",
            path.display(),
            kind.with_article()
        ),
    )
}

pub fn symlink_loop(subject: &str, path: &Path) -> Finding {
    Finding::new(
        &codes::NOT_A_SOCKET,
        subject,
        format!(
            "{} is a symlink loop (too many levels of symbolic links)",
            path.display()
        ),
    )
}

pub fn dangling_symlink(subject: &str, path: &Path, target: &str) -> Finding {
    Finding::new(
        &codes::SOCKET_MISSING,
        subject,
        format!("{} is a dangling symlink to {target}", path.display()),
    )
}

/// A socket file whose connect is refused: its listener is gone.
pub fn stale(subject: &str, path: &Path) -> Finding {
    let shown = path.display();
    Finding::new(
        &codes::STALE_SOCKET,
        subject,
        format!("{shown} is a socket file, but nobody listens on it: connect() is refused"),
    )
    .with_fix(format!(
        "Restart the backend that should listen on {shown}; if it refuses to bind, remove \
         the stale file first (rm {shown}). Then find out why it died (its log, dmesg for \
         the OOM killer)."
    ))
}
