//! Sockets from the kernel's sock_diag netlink interface: TCP sockets by state,
//! and which file each listening unix socket is bound to.
//!
//! `/proc/net/tcp` walks every bucket of the established-connection table on
//! every read: about 2 ms per read on this project's 24 GiB test machine, more
//! than all the rest of `ps`. Asking sock_diag for LISTEN sockets walks only
//! the listening table. Callers fall back to `/proc/net/tcp` when this fails.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{
    self, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};

use crate::procfs::{TcpListener, UnixSocket};

pub const LISTEN: u32 = 1 << 10;
pub const ESTABLISHED: u32 = 1 << 1;

const SOCK_DIAG_BY_FAMILY: u16 = 20;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const HEADER: usize = 16;
/// `struct inet_diag_msg`: family, state, timer, retrans, a 48-byte
/// `inet_diag_sockid`, then expires, rqueue, wqueue, uid, inode.
const DIAG_MSG: usize = 72;

/// The TCP sockets (IPv4 and IPv6) in any of `states` (a bit mask of
/// `1 << TCP_STATE`), with their local address, uid and inode.
pub fn tcp_sockets(states: u32) -> io::Result<Vec<TcpListener>> {
    let fd = diag_socket()?;
    let mut found = Vec::new();
    for (seq, family) in [(1u32, nix::libc::AF_INET), (2, nix::libc::AF_INET6)] {
        let request = request(seq, family as u8, states);
        socket::sendto(
            fd.as_raw_fd(),
            &request,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        read_dump(fd.as_raw_fd(), &mut found)?;
    }
    Ok(found)
}

/// Every unix socket of this network namespace with its name, and for the
/// listening ones the file they are bound to: the (inode, device) of the
/// socket file as the kernel remembers it. A socket whose file was unlinked
/// and re-created by another process keeps the old pair, so comparing with
/// `stat` of the path tells the real owner of a path. Unlike `/proc/net/unix`,
/// names come length-delimited: a name holding a newline cannot forge an entry.
pub fn unix_sockets() -> io::Result<Vec<UnixSocket>> {
    const UDIAG_SHOW_NAME: u32 = 0x1;
    const UDIAG_SHOW_VFS: u32 = 0x2;
    const UNIX_DIAG_NAME: u16 = 0;
    const UNIX_DIAG_VFS: u16 = 1;
    const TCP_LISTEN: u8 = 10;
    let fd = diag_socket()?;
    let len = (HEADER + 24) as u32;
    let mut r = Vec::with_capacity(len as usize);
    r.extend_from_slice(&len.to_ne_bytes());
    r.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    r.extend_from_slice(&3u32.to_ne_bytes());
    r.extend_from_slice(&0u32.to_ne_bytes());
    // struct unix_diag_req: family, protocol, pad, states (all), ino, show, cookie.
    r.extend_from_slice(&[nix::libc::AF_UNIX as u8, 0, 0, 0]);
    r.extend_from_slice(&u32::MAX.to_ne_bytes());
    r.extend_from_slice(&0u32.to_ne_bytes());
    r.extend_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS).to_ne_bytes());
    r.extend_from_slice(&[0u8; 8]);
    socket::sendto(
        fd.as_raw_fd(),
        &r,
        &NetlinkAddr::new(0, 0),
        MsgFlags::empty(),
    )?;
    let mut sockets = Vec::new();
    each_message(fd.as_raw_fd(), |m| {
        // struct unix_diag_msg: family, type, state, pad, ino, cookie; then attributes.
        let (Some(&state), Some(inode)) = (m.get(2), m.get(4..8).map(|b| u32_at(b, 0))) else {
            return;
        };
        let mut socket = UnixSocket {
            inode: u64::from(inode),
            path: String::new(),
            listening: state == TCP_LISTEN,
            file: None,
        };
        let mut off = 16;
        while off + 4 <= m.len() {
            let len = usize::from(u16::from_ne_bytes([m[off], m[off + 1]]));
            let kind = u16::from_ne_bytes([m[off + 2], m[off + 3]]);
            let Some(end) = off.checked_add(len).filter(|&e| len >= 4 && e <= m.len()) else {
                break;
            };
            let data = &m[off + 4..end];
            match kind {
                UNIX_DIAG_NAME => socket.path = display_name(data),
                UNIX_DIAG_VFS if data.len() >= 8 => {
                    let ino = u64::from(u32_at(data, 0));
                    socket.file = Some((ino, kernel_dev_to_user(u32_at(data, 4))));
                }
                _ => {}
            }
            off += (len + 3) & !3;
        }
        if !socket.listening {
            socket.file = None;
        }
        sockets.push(socket);
    })?;
    Ok(sockets)
}

/// A unix address as `/proc/net/unix` shows it: the path, or `@name` for an
/// abstract one (whose first byte is NUL).
fn display_name(raw: &[u8]) -> String {
    match raw.split_first() {
        Some((0, rest)) => format!("@{}", String::from_utf8_lossy(rest)),
        _ => {
            let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            String::from_utf8_lossy(&raw[..end]).into_owned()
        }
    }
}

/// The kernel keeps a device as `major << 20 | minor`; `stat` reports it in
/// glibc's encoding.
fn kernel_dev_to_user(dev: u32) -> u64 {
    let (major, minor) = (dev >> 20, dev & 0xf_ffff);
    nix::libc::makedev(major, minor)
}

/// A sock_diag netlink socket. A kernel that never answers must not hang the
/// tool: receiving gives up after a second.
fn diag_socket() -> io::Result<std::os::fd::OwnedFd> {
    let fd = socket::socket(
        AddressFamily::Netlink,
        SockType::Datagram,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::NetlinkSockDiag,
    )?;
    socket::setsockopt(
        &fd,
        socket::sockopt::ReceiveTimeout,
        &nix::sys::time::TimeVal::new(1, 0),
    )?;
    Ok(fd)
}

fn request(seq: u32, family: u8, states: u32) -> Vec<u8> {
    let len = (HEADER + 56) as u32;
    let mut r = Vec::with_capacity(len as usize);
    r.extend_from_slice(&len.to_ne_bytes());
    r.extend_from_slice(&SOCK_DIAG_BY_FAMILY.to_ne_bytes());
    r.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    r.extend_from_slice(&seq.to_ne_bytes());
    r.extend_from_slice(&0u32.to_ne_bytes());
    // struct inet_diag_req_v2: family, protocol, ext, pad, states, sockid.
    r.extend_from_slice(&[family, nix::libc::IPPROTO_TCP as u8, 0, 0]);
    r.extend_from_slice(&states.to_ne_bytes());
    r.extend_from_slice(&[0u8; 48]);
    r
}

fn read_dump(fd: i32, found: &mut Vec<TcpListener>) -> io::Result<()> {
    each_message(fd, |m| {
        if m.len() >= DIAG_MSG {
            if let Some(s) = parse_msg(m) {
                found.push(s);
            }
        }
    })
}

/// Calls `each` with the payload of every message of a dump, until its end.
fn each_message(fd: i32, mut each: impl FnMut(&[u8])) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = socket::recv(fd, &mut buf, MsgFlags::empty())?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "sock_diag closed",
            ));
        }
        let mut off = 0;
        while off + HEADER <= n {
            let len = u32_at(&buf, off) as usize;
            let kind = u16::from_ne_bytes([buf[off + 4], buf[off + 5]]);
            if len < HEADER || off.checked_add(len).is_none_or(|end| end > n) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "bad netlink message",
                ));
            }
            match kind {
                NLMSG_DONE => return Ok(()),
                NLMSG_ERROR => {
                    let errno = buf
                        .get(off + HEADER..off + HEADER + 4)
                        .map_or(0, |b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
                    return Err(io::Error::from_raw_os_error(errno.saturating_abs()));
                }
                _ => each(&buf[off + HEADER..off + len]),
            }
            off += (len + 3) & !3;
        }
    }
}

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_ne_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn parse_msg(m: &[u8]) -> Option<TcpListener> {
    let family = i32::from(*m.first()?);
    let port = u16::from_be_bytes([*m.get(4)?, *m.get(5)?]);
    let src = m.get(8..24)?;
    let address = if family == nix::libc::AF_INET {
        IpAddr::V4(Ipv4Addr::new(src[0], src[1], src[2], src[3]))
    } else {
        let bytes: [u8; 16] = src.try_into().ok()?;
        IpAddr::V6(Ipv6Addr::from(bytes))
    };
    Some(TcpListener {
        address,
        port,
        uid: u32_at(m, 64),
        inode: u64::from(u32_at(m, 68)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_listener_of_this_process() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let found = tcp_sockets(LISTEN).unwrap();
        let mine = found
            .iter()
            .find(|s| s.port == port)
            .expect("the listener is in the dump");
        assert_eq!(mine.address, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(mine.inode > 0);
    }

    #[test]
    fn a_listening_unix_socket_names_its_file() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sock");
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        let sockets = unix_sockets().unwrap();
        let mine = sockets
            .iter()
            .find(|s| s.file == Some((meta.ino(), meta.dev())))
            .expect("the listener names its file");
        assert!(mine.listening);
        assert_eq!(mine.path, path.to_str().unwrap());
        drop(listener);
    }

    #[test]
    fn finds_both_ends_of_an_established_connection() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (_server, _) = listener.accept().unwrap();
        let found = tcp_sockets(ESTABLISHED).unwrap();
        assert!(found.iter().any(|s| s.port == port), "the accepted end");
    }
}
