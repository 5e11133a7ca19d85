//! The kernel's socket tables, as both of its interfaces give them: sock_diag
//! ([`super::sockdiag`]) and the text of `/proc/net/unix` and `/proc/net/tcp`,
//! which is read when netlink is not available.

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A socket the kernel lists in `/proc/net/unix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixSocket {
    pub inode: u64,
    /// The bound name: a path, `@abstract`, or empty for unnamed sockets. It stays
    /// after the file is unlinked, which is how a taken-over path shows.
    pub path: String,
    pub listening: bool,
    /// For a listening socket, when sock_diag told: the (inode, device) of the
    /// file it is bound to.
    pub file: Option<(u64, u64)>,
}

/// A TCP socket (listening, or the local end of an accepted connection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpSocket {
    pub inode: u64,
    pub address: IpAddr,
    pub port: u16,
    pub uid: u32,
}

impl TcpSocket {
    /// Reachable from other hosts: bound to a wildcard or non-loopback address.
    pub fn is_exposed(&self) -> bool {
        match self.address {
            IpAddr::V4(a) => !a.is_loopback(),
            IpAddr::V6(a) => {
                !a.is_loopback() && a.to_ipv4_mapped().is_none_or(|v4| !v4.is_loopback())
            }
        }
    }

    pub fn endpoint(&self) -> String {
        match self.address {
            IpAddr::V4(a) => format!("{a}:{}", self.port),
            IpAddr::V6(a) => format!("[{a}]:{}", self.port),
        }
    }
}

/// Every listening socket, by inode.
#[derive(Clone, Debug, Default)]
pub struct Listeners {
    pub unix: HashMap<u64, UnixSocket>,
    pub tcp: HashMap<u64, TcpSocket>,
    /// Connections accepted on a listening socket, by inode: what a busy worker
    /// holds. A unix connection carries its listener's name; a TCP one its
    /// local port. Other sockets a process holds (a log stream to journald, a
    /// database connection) are not in here.
    pub accepted: HashSet<u64>,
    /// Every unix socket inode, to tell unix sockets from the others.
    pub unix_all: HashSet<u64>,
}

impl Listeners {
    /// The address a listening inode is bound to, for display.
    pub fn describe(&self, inode: u64) -> Option<String> {
        if let Some(u) = self.unix.get(&inode) {
            return Some(if u.path.is_empty() {
                format!("unix:(unnamed, inode {inode})")
            } else {
                format!("unix:{}", u.path)
            });
        }
        self.tcp.get(&inode).map(TcpSocket::endpoint)
    }

    pub fn contains(&self, inode: u64) -> bool {
        self.unix.contains_key(&inode) || self.tcp.contains_key(&inode)
    }
}

/// `Num RefCount Protocol Flags Type St Inode Path`. The kernel pads the inode
/// to five columns, so fields are split on runs of spaces; the path is the rest
/// of the line and may itself hold spaces.
pub fn parse_net_unix(text: &str) -> Vec<UnixSocket> {
    const ACCEPTCON: u32 = 0x0001_0000;
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut rest = line;
            let mut fields = [""; 7];
            for field in &mut fields {
                rest = rest.trim_start_matches(' ');
                let end = rest.find(' ').unwrap_or(rest.len());
                *field = &rest[..end];
                rest = &rest[end..];
            }
            let flags = u32::from_str_radix(fields[3], 16).ok()?;
            let inode: u64 = fields[6].parse().ok()?;
            Some(UnixSocket {
                inode,
                path: rest.trim().to_string(),
                listening: flags & ACCEPTCON != 0,
                file: None,
            })
        })
        .collect()
}

/// A line of `/proc/net/tcp`: the local end, and whether it listens.
pub struct TcpEntry {
    pub socket: TcpSocket,
    pub listening: bool,
}

/// `sl local_address rem_address st ... uid timeout inode`: LISTEN entries and
/// ESTABLISHED ones (whose local end is what a server accepted).
pub fn parse_net_tcp(text: &str) -> Vec<TcpEntry> {
    const LISTEN: &str = "0A";
    const ESTABLISHED: &str = "01";
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let state = *f.get(3)?;
            if state != LISTEN && state != ESTABLISHED {
                return None;
            }
            let (addr, port) = f.get(1)?.split_once(':')?;
            Some(TcpEntry {
                socket: TcpSocket {
                    address: parse_hex_address(addr)?,
                    port: u16::from_str_radix(port, 16).ok()?,
                    uid: f.get(7)?.parse().ok()?,
                    inode: f.get(9)?.parse().ok()?,
                },
                listening: state == LISTEN,
            })
        })
        .collect()
}

/// The kernel prints addresses as 32-bit words in host byte order.
fn parse_hex_address(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn net_unix_marks_listeners_and_keeps_paths_with_spaces() {
        let text = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 35353 /run/php/php8.2-fpm.sock\n\
            0000000000000000: 00000003 00000000 00000000 0001 03 35354 /run/php/php8.2-fpm.sock\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 35355 @abstract\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 35356 /tmp/with space.sock\n\
            0000000000000000: 00000002 00000000 00000000 0002 01 35357\n\
            0000000000000000: 00000002 00000000 00010000 0001 01  8123 /run/padded.sock\n";
        let socks = parse_net_unix(text);
        assert_eq!(socks.len(), 6);
        // Inodes under 10000 are padded to five columns.
        assert_eq!(socks[5].inode, 8123);
        assert_eq!(socks[5].path, "/run/padded.sock");
        assert!(socks[0].listening);
        assert!(!socks[1].listening);
        assert_eq!(socks[2].path, "@abstract");
        assert_eq!(socks[3].path, "/tmp/with space.sock");
        assert_eq!(socks[4].path, "");
    }

    #[test]
    fn net_tcp_reads_listeners_in_host_byte_order() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
            0: 0100007F:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0\n\
            1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 2222 1 0\n\
            2: 0100007F:2328 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0\n";
        let all = parse_net_tcp(text);
        assert_eq!(all.len(), 3);
        assert!(!all[2].listening, "an accepted connection on port 9000");
        let l: Vec<TcpSocket> = all
            .into_iter()
            .filter(|e| e.listening)
            .map(|e| e.socket)
            .collect();
        assert_eq!(l[0].endpoint(), "127.0.0.1:9000");
        assert!(!l[0].is_exposed());
        assert_eq!(l[1].endpoint(), "0.0.0.0:8080");
        assert_eq!(l[1].uid, 33);
        assert!(l[1].is_exposed());
        let v6 = "  sl  local_address                         remote_address                        st\n\
            0: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1\n\
            1: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1\n";
        let l: Vec<TcpSocket> = parse_net_tcp(v6).into_iter().map(|e| e.socket).collect();
        assert_eq!(l[0].endpoint(), "[::1]:9000");
        assert!(!l[0].is_exposed());
        assert_eq!(l[1].endpoint(), "[::]:9000");
        assert!(l[1].is_exposed());
    }
}
