//! TCP targets: who listens on the port, and whether other hosts can reach it.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use super::{Checker, Listener, TargetReport};
use crate::checks::exposure::{self, Exposed};
use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::net::connect::{self, Resolve};
use crate::sources::processes::Role;
use crate::sources::sockets::TcpSocket;

impl Checker<'_> {
    pub(super) fn check_tcp(&mut self, host: &str, port: u16, report: &mut TargetReport) {
        let subject = report.target.clone();
        let addresses: Vec<IpAddr> = match resolve(host, port) {
            Ok(a) => a,
            Err(e) => {
                self.out.findings.push(Finding::new(
                    &codes::HOST_UNRESOLVED,
                    &subject,
                    format!("{host} does not resolve: {e}"),
                ));
                return;
            }
        };
        let on_port: Vec<&TcpSocket> = self
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
                TcpStream::connect_timeout(&SocketAddr::new(*a, port), Duration::from_secs(1))
                    .is_err()
            });
            if refused {
                let bound_elsewhere = if on_port.is_empty() {
                    String::new()
                } else {
                    let endpoints: Vec<String> = on_port.iter().map(|l| l.endpoint()).collect();
                    format!(" (port {port} is bound on {} only)", endpoints.join(", "))
                };
                self.out.findings.push(Finding::new(
                    &codes::TCP_REFUSED,
                    &subject,
                    format!("nothing listens on {subject}{bound_elsewhere}"),
                ));
            } else {
                self.out.notes.push(format!(
                    "{subject} accepts connections, but no listener is in this network \
                     namespace's socket table (another host, container or namespace)"
                ));
            }
        }
        for l in on_port.iter().filter(|l| l.is_exposed()) {
            let finding = self.exposure(l, report);
            self.out.findings.push(finding);
        }
        self.judge_root_apps(report);
    }

    /// FD3004 (or FD3005) for a listener other hosts can reach, named by the
    /// process that serves it: a pool worker rather than its master.
    fn exposure(&self, listener: &TcpSocket, report: &TargetReport) -> Finding {
        let holders: Vec<&Listener> = report
            .listeners
            .iter()
            .filter(|l| l.inode == listener.inode)
            .collect();
        let mut processes: Vec<_> = holders
            .iter()
            .filter_map(|h| self.snapshot.processes.get(&h.pid))
            .collect();
        processes.sort_by_key(|p| (p.role == Role::ProcessManager, p.pid()));
        let command;
        let holder = match (processes.first(), holders.first()) {
            (Some(p), _) => {
                command = p.command();
                Some((command.as_str(), p.pid()))
            }
            (None, Some(h)) => Some((h.command.as_str(), h.pid)),
            (None, None) => None,
        };
        let pool = processes
            .iter()
            .find_map(|p| self.host.fpm_pool(self.snapshot, p, &listener.endpoint()));
        exposure::exposure(&Exposed {
            listener,
            holder,
            allowed_clients: pool.as_ref().and_then(|p| p.allowed_clients.as_deref()),
        })
    }
}

/// Resolves `host` within 2 s: a dead DNS server must not hold the check for
/// the resolver's own minutes. A literal address needs no resolver.
fn resolve(host: &str, port: u16) -> Result<Vec<IpAddr>, String> {
    let deadline = Instant::now() + Duration::from_secs(2);
    match connect::resolve(host, port, deadline) {
        Ok(found) if !found.is_empty() => Ok(found.iter().map(|a| a.ip()).collect()),
        Ok(_) => Err("no addresses".into()),
        Err(Resolve::Failed(e)) => Err(e.to_string()),
        Err(Resolve::TooSlow) => Err("the resolver did not answer within 2 s".into()),
    }
}

fn mapped_equal(a: &IpAddr, b: &IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(v4), IpAddr::V6(v6)) | (IpAddr::V6(v6), IpAddr::V4(v4)) => {
            v6.to_ipv4_mapped() == Some(*v4)
        }
        _ => false,
    }
}
