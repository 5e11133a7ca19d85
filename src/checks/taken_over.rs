//! Several listening sockets bound to one path. Binding a unix socket needs the
//! path to be free, so a second server (flup does this) unlinks the live file
//! and binds again: the first keeps listening on a socket nobody can reach any
//! more. `socket` and `ps` both judge it here.

use crate::core::finding::Finding;
use crate::core::registry::codes;

/// What is known about one path bound several times.
pub struct TakenOver<'a> {
    pub path: &'a str,
    /// How many listening sockets carry the path's name.
    pub sockets: usize,
    /// The processes holding them (pid, command), pool workers left out:
    /// they share their master's socket.
    pub holders: Vec<(u32, String)>,
    /// The process whose socket owns the file now at the path, when the
    /// kernel (sock_diag) or the peer credentials of a connect said.
    pub owner: Option<u32>,
}

/// FD3001, about `unix:PATH`.
pub fn taken_over(t: &TakenOver) -> Finding {
    let holders = if t.holders.is_empty() {
        "processes this user cannot see".to_string()
    } else {
        t.holders
            .iter()
            .map(|(pid, command)| format!("pid {pid} ({command})"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let which = match t.owner {
        Some(pid) => format!("pid {pid} owns the file, the others get no requests"),
        None => "only the newest owns the file, the others get no requests".to_string(),
    };
    Finding::new(
        &codes::SOCKET_TAKEN_OVER,
        format!("unix:{}", t.path),
        format!(
            "{} listening sockets are bound as {}, held by {holders}: {which}",
            t.sockets, t.path
        ),
    )
}
