//! The kernel's process events connector (`NETLINK_CONNECTOR`, `CN_IDX_PROC`):
//! every fork, exec and exit on the host as it happens, with the kernel's
//! timestamps and exit statuses. A FastCGI application that dies 12 ms after
//! its process manager started it never shows in a look at `/proc` every
//! 200 ms; here it does. Listening needs CAP_NET_ADMIN (root) in the initial
//! namespaces; elsewhere [`ProcEvents::open`] fails and `ps --watch` samples.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

use nix::libc;
use nix::sys::socket::{self, MsgFlags, NetlinkAddr};

const NETLINK_CONNECTOR: i32 = 11;
const CN_IDX_PROC: u32 = 1;
const CN_VAL_PROC: u32 = 1;
const PROC_CN_MCAST_LISTEN: u32 = 1;
const PROC_CN_MCAST_IGNORE: u32 = 2;
const NLMSG_DONE: u16 = 3;

const PROC_EVENT_FORK: u32 = 0x0000_0001;
const PROC_EVENT_EXEC: u32 = 0x0000_0002;
const PROC_EVENT_EXIT: u32 = 0x8000_0000;

/// struct nlmsghdr, then struct cn_msg's header: where struct proc_event starts.
const NLMSG_HEADER: usize = 16;
const CN_MSG_HEADER: usize = 20;

/// One event of a whole process (a thread group leader; threads are left out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    Fork {
        parent: u32,
        child: u32,
        ns: u64,
    },
    Exec {
        pid: u32,
        ns: u64,
    },
    /// `status` is the wait(2) status: the exit code shifted left by 8, or
    /// the signal.
    Exit {
        pid: u32,
        status: u32,
        ns: u64,
    },
}

/// A subscription to the connector; dropping it unsubscribes.
pub struct ProcEvents {
    fd: OwnedFd,
}

impl ProcEvents {
    /// Subscribes, or says why not (not root, another namespace, no
    /// connector in the kernel).
    pub fn open() -> io::Result<ProcEvents> {
        // SAFETY: socket(2) with constant arguments; the descriptor is owned at once.
        let raw = unsafe {
            libc::socket(
                libc::AF_NETLINK,
                libc::SOCK_DGRAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK,
                NETLINK_CONNECTOR,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a new descriptor nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        socket::bind(fd.as_raw_fd(), &NetlinkAddr::new(0, CN_IDX_PROC))?;
        let events = ProcEvents { fd };
        events.control(PROC_CN_MCAST_LISTEN)?;
        Ok(events)
    }

    fn control(&self, op: u32) -> io::Result<()> {
        let mut msg = Vec::with_capacity(NLMSG_HEADER + CN_MSG_HEADER + 4);
        let len = (NLMSG_HEADER + CN_MSG_HEADER + 4) as u32;
        msg.extend_from_slice(&len.to_ne_bytes());
        msg.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        msg.extend_from_slice(&0u16.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(&std::process::id().to_ne_bytes());
        msg.extend_from_slice(&CN_IDX_PROC.to_ne_bytes());
        msg.extend_from_slice(&CN_VAL_PROC.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes()); // seq
        msg.extend_from_slice(&0u32.to_ne_bytes()); // ack
        msg.extend_from_slice(&4u16.to_ne_bytes()); // len
        msg.extend_from_slice(&0u16.to_ne_bytes()); // flags
        msg.extend_from_slice(&op.to_ne_bytes());
        socket::sendto(
            self.fd.as_raw_fd(),
            &msg,
            &NetlinkAddr::new(0, CN_IDX_PROC),
            MsgFlags::empty(),
        )?;
        Ok(())
    }

    /// The events that arrive within `wait` (all that are queued, once the
    /// first is there). A full receive queue drops events: the kernel says
    /// ENOBUFS, which ends nothing here.
    pub fn next(&self, wait: Duration, out: &mut Vec<Event>) -> io::Result<()> {
        use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
        use std::os::fd::AsFd;
        let ms = u16::try_from(wait.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(ms))? == 0 {
            return Ok(());
        }
        let mut buf = [0u8; 8192];
        // Bounded: one wait reads at most this many datagrams.
        for _ in 0..4096 {
            match recv_from_kernel(self.fd.as_raw_fd(), &mut buf, MsgFlags::MSG_DONTWAIT) {
                Ok(Some(n)) => out.extend(decode(&buf[..n])),
                Ok(None) => {}
                Err(nix::errno::Errno::EAGAIN) => break,
                Err(nix::errno::Errno::ENOBUFS) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }
}

impl Drop for ProcEvents {
    fn drop(&mut self) {
        let _ = self.control(PROC_CN_MCAST_IGNORE);
    }
}

/// One datagram: its length when the kernel sent it (netlink port 0), None
/// when another process did (the datagram is dropped).
pub(super) fn recv_from_kernel(
    fd: std::os::fd::RawFd,
    buf: &mut [u8],
    flags: MsgFlags,
) -> nix::Result<Option<usize>> {
    use nix::libc;
    // SAFETY: an all-zero sockaddr_nl is valid; recvfrom writes at most
    // `len` bytes into each buffer it is given.
    let mut from: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
    let n = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            flags.bits(),
            std::ptr::from_mut(&mut from).cast(),
            &mut len,
        )
    };
    let n = nix::errno::Errno::result(n)?;
    Ok((from.nl_pid == 0).then_some(n as usize))
}

fn u32_at(buf: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(buf.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(buf: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(buf.get(at..at + 8)?.try_into().ok()?))
}

/// The process events in one datagram (one or more netlink messages).
pub fn decode(buf: &[u8]) -> Vec<Event> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(len) = u32_at(buf, at).map(|l| l as usize) {
        if len < NLMSG_HEADER || at + len > buf.len() {
            break;
        }
        if let Some(e) = event(&buf[at..at + len]) {
            out.push(e);
        }
        // Messages are 4-byte aligned.
        at += (len + 3) & !3;
    }
    out
}

/// struct proc_event: what, cpu, timestamp_ns (8-aligned), then the union.
fn event(msg: &[u8]) -> Option<Event> {
    let base = NLMSG_HEADER + CN_MSG_HEADER;
    let what = u32_at(msg, base)?;
    let ns = u64_at(msg, base + 8)?;
    let data = base + 16;
    match what {
        PROC_EVENT_FORK => {
            let (parent_tgid, child_pid, child_tgid) = (
                u32_at(msg, data + 4)?,
                u32_at(msg, data + 8)?,
                u32_at(msg, data + 12)?,
            );
            (child_pid == child_tgid).then_some(Event::Fork {
                parent: parent_tgid,
                child: child_tgid,
                ns,
            })
        }
        PROC_EVENT_EXEC => {
            let (pid, tgid) = (u32_at(msg, data)?, u32_at(msg, data + 4)?);
            (pid == tgid).then_some(Event::Exec { pid, ns })
        }
        PROC_EVENT_EXIT => {
            let (pid, tgid, status) = (
                u32_at(msg, data)?,
                u32_at(msg, data + 4)?,
                u32_at(msg, data + 8)?,
            );
            (pid == tgid).then_some(Event::Exit { pid, status, ns })
        }
        _ => None,
    }
}

/// A wait(2) status in words: `exit 1`, `signal SEGV`.
pub fn status_text(status: u32) -> String {
    let signal = (status & 0x7f) as i32;
    if signal == 0 {
        format!("exit {}", (status >> 8) & 0xff)
    } else {
        match nix::sys::signal::Signal::try_from(signal) {
            Ok(s) => format!("signal {}", s.as_str().trim_start_matches("SIG")),
            Err(_) => format!("signal {signal}"),
        }
    }
}

/// Whether a wait(2) status says the process failed (a non-zero code or a
/// signal other than the SIGTERM a manager stops its children with).
pub fn failed(status: u32) -> bool {
    let signal = status & 0x7f;
    match signal {
        0 => (status >> 8) & 0xff != 0,
        s => s != libc::SIGTERM as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(what: u32, ns: u64, data: &[u32]) -> Vec<u8> {
        let len = NLMSG_HEADER + CN_MSG_HEADER + 16 + 24;
        let mut m = vec![0u8; len];
        m[..4].copy_from_slice(&(len as u32).to_ne_bytes());
        let base = NLMSG_HEADER + CN_MSG_HEADER;
        m[base..base + 4].copy_from_slice(&what.to_ne_bytes());
        m[base + 8..base + 16].copy_from_slice(&ns.to_ne_bytes());
        for (i, v) in data.iter().enumerate() {
            let at = base + 16 + 4 * i;
            m[at..at + 4].copy_from_slice(&v.to_ne_bytes());
        }
        m
    }

    #[test]
    fn fork_exec_and_exit_of_processes_are_read_and_threads_left_out() {
        let mut buf = message(PROC_EVENT_FORK, 5, &[100, 100, 200, 200]);
        buf.extend(message(PROC_EVENT_FORK, 6, &[100, 100, 201, 200]));
        buf.extend(message(PROC_EVENT_EXEC, 7, &[200, 200]));
        buf.extend(message(PROC_EVENT_EXIT, 9, &[200, 200, 1 << 8, 17]));
        buf.extend(message(0, 0, &[]));
        assert_eq!(
            decode(&buf),
            [
                Event::Fork {
                    parent: 100,
                    child: 200,
                    ns: 5
                },
                Event::Exec { pid: 200, ns: 7 },
                Event::Exit {
                    pid: 200,
                    status: 256,
                    ns: 9
                },
            ]
        );
        // Cut short: what is whole is read, the rest ignored.
        assert_eq!(decode(&buf[..100]).len(), 1);
        assert!(decode(&[1, 2, 3]).is_empty());
    }

    #[test]
    fn wait_statuses_read_as_words() {
        assert_eq!(status_text(1 << 8), "exit 1");
        assert_eq!(status_text(11), "signal SEGV");
        assert!(failed(1 << 8));
        assert!(failed(11));
        assert!(!failed(0));
        assert!(!failed(libc::SIGTERM as u32));
    }
}
