//! TCP targets: who listens on the port, and whether other hosts can reach it.

use std::collections::HashSet;
use std::time::Duration;

use super::{Checker, Listener, TargetReport};
use crate::finding::Finding;
use crate::registry::codes;

impl Checker<'_> {
    pub(super) fn check_tcp(&mut self, host: &str, port: u16, report: &mut TargetReport) {
        use std::net::IpAddr;
        let subject = report.target.clone();
        let addresses: Vec<IpAddr> = match resolve(host, port) {
            Ok(a) => a,
            Err(e) => {
                self.findings.push(Finding::new(
                    &codes::HOST_UNRESOLVED,
                    &subject,
                    format!("{host} does not resolve: {e}"),
                ));
                return;
            }
        };
        let on_port: Vec<&crate::procfs::TcpListener> = self
            .snapshot
            .listeners
            .tcp
            .values()
            .filter(|l| l.port == port)
            .collect();
        let serving: HashSet<u64> = on_port
            .iter()
            .filter(|l| {
                l.address.is_unspecified()
                    || addresses.contains(&l.address)
                    || addresses.iter().any(|a| mapped_equal(a, &l.address))
            })
            .map(|l| l.inode)
            .collect();
        let all: HashSet<u64> = on_port.iter().map(|l| l.inode).collect();
        report.listeners = self.listeners(&all, None, None);
        if serving.is_empty() {
            let refused = addresses.iter().all(|a| {
                std::net::TcpStream::connect_timeout(
                    &std::net::SocketAddr::new(*a, port),
                    Duration::from_secs(1),
                )
                .is_err()
            });
            if refused {
                self.findings.push(Finding::new(
                    &codes::TCP_REFUSED,
                    &subject,
                    format!(
                        "nothing listens on {subject}{}",
                        if on_port.is_empty() {
                            String::new()
                        } else {
                            format!(
                                " (port {port} is bound on {} only)",
                                on_port
                                    .iter()
                                    .map(|l| l.endpoint())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            )
                        }
                    ),
                ));
            } else {
                self.notes.push(format!(
                    "{subject} accepts connections, but no listener is in this network \
                     namespace's socket table (another host, container or namespace)"
                ));
            }
        }
        for l in on_port.iter().filter(|l| l.is_exposed()) {
            self.judge_exposure(&subject, l, report);
        }
        self.judge_root_apps(&subject, report);
    }

    /// php-fpm with listen.allowed_clients drops other hosts: exposed, but
    /// restricted. Anything else on a public address is open to the network.
    pub(super) fn judge_exposure(
        &mut self,
        subject: &str,
        listener: &crate::procfs::TcpListener,
        report: &TargetReport,
    ) {
        let holders: Vec<&Listener> = report
            .listeners
            .iter()
            .filter(|l| l.inode == listener.inode)
            .collect();
        let who = holders.first().map_or_else(
            || "a process this user cannot see".to_string(),
            |h| format!("{} (pid {})", h.command, h.pid),
        );
        if let Some(restriction) = self.fpm_allowed_clients(&holders, listener) {
            self.findings.push(Finding::new(
                &codes::TCP_EXPOSED_RESTRICTED,
                subject,
                format!(
                    "{who} listens on {}, reachable from other hosts, but only accepts \
                     listen.allowed_clients = {restriction}",
                    listener.endpoint()
                ),
            ));
            return;
        }
        self.findings.push(
            Finding::new(
                &codes::TCP_EXPOSED,
                subject,
                format!(
                    "{who} listens on {}: every host that can reach this one can send it \
                     FastCGI requests",
                    listener.endpoint()
                ),
            )
            .with_fix(format!(
                "Listen on loopback only (php-fpm: listen = 127.0.0.1:{port}) or on a unix \
                 socket; if the web server is remote, set listen.allowed_clients to its \
                 address and firewall port {port}.",
                port = listener.port
            )),
        );
    }

    /// The `listen.allowed_clients` of the php-fpm pool holding this port.
    pub(super) fn fpm_allowed_clients(
        &self,
        holders: &[&Listener],
        listener: &crate::procfs::TcpListener,
    ) -> Option<String> {
        holders
            .iter()
            .filter_map(|h| self.snapshot.processes.get(&h.pid))
            .find_map(|p| self.snapshot.fpm_pool(p, &listener.endpoint()))?
            .allowed_clients
            .filter(|c| !c.trim().is_empty())
    }
}

/// Resolves `host` within 2 s: a dead DNS server must not hold the check for
/// the resolver's own minutes. A literal address needs no resolver.
fn resolve(host: &str, port: u16) -> Result<Vec<std::net::IpAddr>, String> {
    use crate::probe::connect::{self, Resolve};
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    match connect::resolve(host, port, deadline) {
        Ok(found) if !found.is_empty() => Ok(found.iter().map(|a| a.ip()).collect()),
        Ok(_) => Err("no addresses".into()),
        Err(Resolve::Failed(e)) => Err(e.to_string()),
        Err(Resolve::TooSlow) => Err("the resolver did not answer within 2 s".into()),
    }
}

fn mapped_equal(a: &std::net::IpAddr, b: &std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match (a, b) {
        (IpAddr::V4(v4), IpAddr::V6(v6)) | (IpAddr::V6(v6), IpAddr::V4(v4)) => {
            v6.to_ipv4_mapped() == Some(*v4)
        }
        _ => false,
    }
}
