//! Sockets from the kernel's sock_diag netlink interface: TCP sockets by state,
//! and which file each listening unix socket is bound to.
//!
//! `/proc/net/tcp` walks every bucket of the established-connection table on
//! every read: about 2 ms per read on this project's 24 GiB test machine, more
//! than all the rest of `ps`. Asking sock_diag for LISTEN sockets walks only
//! the listening table. Callers fall back to `/proc/net/tcp` when this fails.
//!
//! The bytes come from a netlink socket ([`DiagSource::Kernel`]) or from a
//! recorded dump ([`DiagSource::Recorded`], for fixture hosts): the same parser
//! reads both, so tests of a fixture `/proc` drive the code that runs on a host.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use nix::sys::socket::{
    self, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};

use super::sockets::{TcpSocket, UnixSocket};

/// `1 << TCP_LISTEN`.
pub const LISTEN: u32 = 1 << 10;
/// `1 << TCP_ESTABLISHED`.
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
/// `struct unix_diag_msg`: family, type, state, pad, ino, cookie.
const UNIX_DIAG_MSG: usize = 16;
const UDIAG_SHOW_NAME: u32 = 0x1;
const UDIAG_SHOW_VFS: u32 = 0x2;
const UNIX_DIAG_NAME: u16 = 0;
const UNIX_DIAG_VFS: u16 = 1;
const TCP_LISTEN: u8 = 10;

/// Where sock_diag answers come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiagSource {
    /// The running kernel, over a netlink socket.
    Kernel,
    /// Dumps recorded in files of a directory: `unix`, `tcp4` and `tcp6`, each
    /// the bytes the kernel sends for one dump request, `NLMSG_DONE` included.
    /// A missing file fails like a kernel without sock_diag.
    Recorded(PathBuf),
}

impl DiagSource {
    /// Every unix socket of this network namespace with its name, and for the
    /// listening ones the file they are bound to: the (inode, device) of the
    /// socket file as the kernel remembers it. A socket whose file was unlinked
    /// and re-created by another process keeps the old pair, so comparing with
    /// `stat` of the path tells the real owner of a path. Unlike
    /// `/proc/net/unix`, names come length-delimited: a name holding a newline
    /// cannot forge an entry.
    pub fn unix_sockets(&self) -> io::Result<Vec<UnixSocket>> {
        let mut sockets = Vec::new();
        let mut each = |m: &[u8]| {
            if let Some(s) = parse_unix_msg(m) {
                sockets.push(s);
            }
        };
        match self {
            DiagSource::Kernel => {
                let fd = diag_socket()?;
                send(&fd, &unix_request())?;
                each_message(&mut Receiver::Socket(&fd), &mut each)?;
            }
            DiagSource::Recorded(dir) => {
                let bytes = std::fs::read(dir.join("unix"))?;
                each_message(&mut Receiver::Recorded(Some(bytes)), &mut each)?;
            }
        }
        Ok(sockets)
    }

    /// The TCP sockets (IPv4 and IPv6) in any of `states` (a bit mask of
    /// `1 << TCP_STATE`), with their local address, uid and inode.
    pub fn tcp_sockets(&self, states: u32) -> io::Result<Vec<TcpSocket>> {
        let mut found = Vec::new();
        let mut each = |m: &[u8]| {
            if let Some((state, s)) = parse_inet_msg(m) {
                // The kernel filters by state already; a recorded dump holds all.
                if states & (1 << state) != 0 {
                    found.push(s);
                }
            }
        };
        match self {
            DiagSource::Kernel => {
                let fd = diag_socket()?;
                for (seq, family) in [(1u32, nix::libc::AF_INET), (2, nix::libc::AF_INET6)] {
                    send(&fd, &inet_request(seq, family as u8, states))?;
                    each_message(&mut Receiver::Socket(&fd), &mut each)?;
                }
            }
            DiagSource::Recorded(dir) => {
                for file in ["tcp4", "tcp6"] {
                    let bytes = std::fs::read(dir.join(file))?;
                    each_message(&mut Receiver::Recorded(Some(bytes)), &mut each)?;
                }
            }
        }
        Ok(found)
    }
}

fn parse_unix_msg(m: &[u8]) -> Option<UnixSocket> {
    let state = *m.get(2)?;
    let inode = u32_at(m.get(4..8)?, 0);
    let mut socket = UnixSocket {
        inode: u64::from(inode),
        path: String::new(),
        listening: state == TCP_LISTEN,
        file: None,
    };
    let mut off = UNIX_DIAG_MSG;
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
    Some(socket)
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

/// The inverse of [`kernel_dev_to_user`], for recorded dumps.
fn user_dev_to_kernel(dev: u64) -> u32 {
    let (major, minor) = (nix::libc::major(dev), nix::libc::minor(dev));
    (major << 20) | (minor & 0xf_ffff)
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

fn send(fd: &std::os::fd::OwnedFd, request: &[u8]) -> io::Result<()> {
    socket::sendto(
        fd.as_raw_fd(),
        request,
        &NetlinkAddr::new(0, 0),
        MsgFlags::empty(),
    )?;
    Ok(())
}

fn header(out: &mut Vec<u8>, len: usize, kind: u16, flags: u16, seq: u32) {
    out.extend_from_slice(&(len as u32).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&0u32.to_ne_bytes());
}

fn unix_request() -> Vec<u8> {
    let mut r = Vec::with_capacity(HEADER + 24);
    header(
        &mut r,
        HEADER + 24,
        SOCK_DIAG_BY_FAMILY,
        NLM_F_REQUEST | NLM_F_DUMP,
        3,
    );
    // struct unix_diag_req: family, protocol, pad, states (all), ino, show, cookie.
    r.extend_from_slice(&[nix::libc::AF_UNIX as u8, 0, 0, 0]);
    r.extend_from_slice(&u32::MAX.to_ne_bytes());
    r.extend_from_slice(&0u32.to_ne_bytes());
    r.extend_from_slice(&(UDIAG_SHOW_NAME | UDIAG_SHOW_VFS).to_ne_bytes());
    r.extend_from_slice(&[0u8; 8]);
    r
}

fn inet_request(seq: u32, family: u8, states: u32) -> Vec<u8> {
    let mut r = Vec::with_capacity(HEADER + 56);
    header(
        &mut r,
        HEADER + 56,
        SOCK_DIAG_BY_FAMILY,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
    );
    // struct inet_diag_req_v2: family, protocol, ext, pad, states, sockid.
    r.extend_from_slice(&[family, nix::libc::IPPROTO_TCP as u8, 0, 0]);
    r.extend_from_slice(&states.to_ne_bytes());
    r.extend_from_slice(&[0u8; 48]);
    r
}

/// Where the datagrams of one dump come from.
enum Receiver<'a> {
    Socket(&'a std::os::fd::OwnedFd),
    /// A recorded dump, handed over whole the first time.
    Recorded(Option<Vec<u8>>),
}

impl Receiver<'_> {
    fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<usize> {
        match self {
            Receiver::Socket(fd) => {
                buf.resize(64 * 1024, 0);
                // A datagram from another process (not the kernel) is read
                // and dropped: only the kernel's answer is believed.
                loop {
                    if let Some(n) = super::proc_events::recv_from_kernel(
                        fd.as_raw_fd(),
                        buf,
                        MsgFlags::empty(),
                    )? {
                        return Ok(n);
                    }
                }
            }
            Receiver::Recorded(bytes) => {
                let bytes = bytes.take().unwrap_or_default();
                let n = bytes.len();
                *buf = bytes;
                Ok(n)
            }
        }
    }
}

/// Calls `each` with the payload of every message of a dump, until its end.
fn each_message(from: &mut Receiver, each: &mut dyn FnMut(&[u8])) -> io::Result<()> {
    let mut buf = Vec::new();
    loop {
        let n = from.next(&mut buf)?;
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

/// The state and the socket of one `inet_diag_msg`.
fn parse_inet_msg(m: &[u8]) -> Option<(u8, TcpSocket)> {
    if m.len() < DIAG_MSG {
        return None;
    }
    let family = i32::from(m[0]);
    let state = m[1];
    let port = u16::from_be_bytes([m[4], m[5]]);
    let src = &m[8..24];
    let address = if family == nix::libc::AF_INET {
        IpAddr::V4(Ipv4Addr::new(src[0], src[1], src[2], src[3]))
    } else {
        let bytes: [u8; 16] = src.try_into().ok()?;
        IpAddr::V6(Ipv6Addr::from(bytes))
    };
    Some((
        state,
        TcpSocket {
            address,
            port,
            uid: u32_at(m, 64),
            inode: u64::from(u32_at(m, 68)),
        },
    ))
}

/// Dumps in the kernel's encoding, for recorded (fixture) hosts.
pub mod record {
    use super::*;

    /// One unix socket as sock_diag describes it: listening sockets carry the
    /// (inode, device) of their file when `file` is given.
    pub fn unix_dump(sockets: &[UnixSocket]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in sockets {
            let mut body = Vec::new();
            // family, type (SOCK_STREAM), state, pad, ino, cookie.
            let state = if s.listening { TCP_LISTEN } else { 1 };
            body.extend_from_slice(&[nix::libc::AF_UNIX as u8, 1, state, 0]);
            body.extend_from_slice(&(s.inode as u32).to_ne_bytes());
            body.extend_from_slice(&[0u8; 8]);
            if !s.path.is_empty() {
                let name: Vec<u8> = match s.path.strip_prefix('@') {
                    Some(abstract_name) => [&[0u8][..], abstract_name.as_bytes()].concat(),
                    None => s.path.as_bytes().to_vec(),
                };
                attribute(&mut body, UNIX_DIAG_NAME, &name);
            }
            if let Some((ino, dev)) = s.file {
                let mut vfs = (ino as u32).to_ne_bytes().to_vec();
                vfs.extend_from_slice(&user_dev_to_kernel(dev).to_ne_bytes());
                attribute(&mut body, UNIX_DIAG_VFS, &vfs);
            }
            message(&mut out, SOCK_DIAG_BY_FAMILY, &body);
        }
        message(&mut out, NLMSG_DONE, &0i32.to_ne_bytes());
        out
    }

    /// TCP sockets of one family as sock_diag describes them; `listening`
    /// says LISTEN or ESTABLISHED.
    pub fn tcp_dump(sockets: &[(TcpSocket, bool)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (s, listening) in sockets {
            let mut body = vec![0u8; DIAG_MSG];
            let (family, src): (i32, Vec<u8>) = match s.address {
                IpAddr::V4(a) => (nix::libc::AF_INET, a.octets().to_vec()),
                IpAddr::V6(a) => (nix::libc::AF_INET6, a.octets().to_vec()),
            };
            body[0] = family as u8;
            body[1] = if *listening { TCP_LISTEN } else { 1 };
            body[4..6].copy_from_slice(&s.port.to_be_bytes());
            body[8..8 + src.len()].copy_from_slice(&src);
            body[64..68].copy_from_slice(&s.uid.to_ne_bytes());
            body[68..72].copy_from_slice(&(s.inode as u32).to_ne_bytes());
            message(&mut out, SOCK_DIAG_BY_FAMILY, &body);
        }
        message(&mut out, NLMSG_DONE, &0i32.to_ne_bytes());
        out
    }

    fn attribute(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
        let len = 4 + data.len();
        out.extend_from_slice(&(len as u16).to_ne_bytes());
        out.extend_from_slice(&kind.to_ne_bytes());
        out.extend_from_slice(data);
        out.resize((out.len() + 3) & !3, 0);
    }

    fn message(out: &mut Vec<u8>, kind: u16, body: &[u8]) {
        header(out, HEADER + body.len(), kind, 2, 0);
        out.extend_from_slice(body);
        out.resize((out.len() + 3) & !3, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_listener_of_this_process() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let found = DiagSource::Kernel.tcp_sockets(LISTEN).unwrap();
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
        let sockets = DiagSource::Kernel.unix_sockets().unwrap();
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
        let found = DiagSource::Kernel.tcp_sockets(ESTABLISHED).unwrap();
        assert!(found.iter().any(|s| s.port == port), "the accepted end");
    }

    #[test]
    fn a_recorded_dump_reads_back_as_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let unix = vec![
            UnixSocket {
                inode: 5000,
                path: "/run/php/www.sock".into(),
                listening: true,
                file: Some((77, nix::libc::makedev(0, 25))),
            },
            UnixSocket {
                inode: 5001,
                path: "@abstract".into(),
                listening: false,
                file: None,
            },
        ];
        std::fs::write(dir.path().join("unix"), record::unix_dump(&unix)).unwrap();
        let v4 = TcpSocket {
            inode: 9000,
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 9000,
            uid: 33,
        };
        let v6 = TcpSocket {
            inode: 9001,
            address: IpAddr::V6(Ipv6Addr::LOCALHOST),
            port: 80,
            uid: 0,
        };
        std::fs::write(
            dir.path().join("tcp4"),
            record::tcp_dump(&[(v4.clone(), true)]),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("tcp6"),
            record::tcp_dump(&[(v6.clone(), false)]),
        )
        .unwrap();
        let source = DiagSource::Recorded(dir.path().to_path_buf());
        assert_eq!(source.unix_sockets().unwrap(), unix);
        assert_eq!(source.tcp_sockets(LISTEN).unwrap(), [v4]);
        assert_eq!(source.tcp_sockets(ESTABLISHED).unwrap(), [v6]);
        // A directory without dumps fails like a kernel without sock_diag.
        let empty = DiagSource::Recorded(dir.path().join("none"));
        assert!(empty.unix_sockets().is_err());
    }

    #[test]
    fn a_truncated_or_garbled_dump_is_an_error_not_a_panic() {
        let whole = record::unix_dump(&[UnixSocket {
            inode: 1,
            path: "/x".into(),
            listening: true,
            file: None,
        }]);
        for cut in 0..whole.len() {
            let mut from = Receiver::Recorded(Some(whole[..cut].to_vec()));
            let _ = each_message(&mut from, &mut |m| {
                let _ = parse_unix_msg(m);
            });
        }
        let mut garbled = whole.clone();
        garbled[0] = 3; // a length shorter than the header
        let mut from = Receiver::Recorded(Some(garbled));
        assert!(each_message(&mut from, &mut |_| {}).is_err());
    }
}
