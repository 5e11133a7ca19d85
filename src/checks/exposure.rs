//! A FastCGI backend listening where other hosts can reach it. Anyone who can
//! connect can make php-fpm run any PHP file on the host, so this is critical
//! unless php-fpm's `listen.allowed_clients` drops other hosts (then it is
//! only informational). `socket` (for its TCP targets) and `ps` (for every
//! backend) judge it here.

use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::sources::sockets::TcpSocket;

/// A listening TCP socket reachable from other hosts, and who holds it.
pub struct Exposed<'a> {
    pub listener: &'a TcpSocket,
    /// The process that serves it (a pool worker rather than its master):
    /// command and pid; None when this user cannot see it.
    pub holder: Option<(&'a str, u32)>,
    /// php-fpm's `listen.allowed_clients` for the pool, when set.
    pub allowed_clients: Option<&'a str>,
}

/// FD3004, or FD3005 when php-fpm restricts the clients. The subject is the
/// listening address.
pub fn exposure(e: &Exposed) -> Finding {
    let endpoint = e.listener.endpoint();
    let who = e.holder.map_or_else(
        || "a process this user cannot see".to_string(),
        |(command, pid)| format!("{command} (pid {pid})"),
    );
    match e.allowed_clients.filter(|c| !c.trim().is_empty()) {
        Some(clients) => Finding::new(
            &codes::TCP_EXPOSED_RESTRICTED,
            &endpoint,
            format!(
                "{who} listens on {endpoint}, reachable from other hosts, but only accepts \
                 listen.allowed_clients = {clients}"
            ),
        ),
        None => Finding::new(
            &codes::TCP_EXPOSED,
            &endpoint,
            format!(
                "{who} listens on {endpoint}: every host that can reach this one can send it \
                 FastCGI requests"
            ),
        )
        .with_fix(format!(
            "Listen on loopback only (php-fpm: listen = 127.0.0.1:{port}) or on a unix socket; \
             if the web server is remote, set listen.allowed_clients to its address and \
             firewall port {port}.",
            port = e.listener.port
        )),
    }
}
