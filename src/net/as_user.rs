//! Acting as another user without giving up our own identity: the other user's
//! work happens in a forked child that drops root (groups, then gid, then uid,
//! then checks it cannot get root back), and a connected socket comes back to
//! the parent over a socket pair (SCM_RIGHTS). The kernel checks a unix
//! socket's permissions at connect(2), and php-fpm's `listen.acl_users` and
//! SO_PEERCRED see the child's credentials: the connection is the other
//! user's, everything after it runs here as before. `probe --as-user` and
//! `socket` use it, and so will `spawn --user`.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, SockaddrLike};
use nix::unistd::{Gid, Uid};

use crate::sources::webuser::WebUser;

/// Who to become.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl From<&WebUser> for Identity {
    fn from(user: &WebUser) -> Self {
        Self {
            name: user.name.clone(),
            uid: user.uid,
            gid: user.gid,
            groups: user.gids.clone(),
        }
    }
}

/// Drops this process's identity for `id`, in the order that works (groups,
/// then gid, then uid) and checks that it stuck: root cannot be regained.
/// Only system calls, no allocation: safe in a child forked from a process
/// with other threads.
pub fn switch_to(id: &Identity, groups: &[Gid]) -> Result<(), Errno> {
    let (uid, gid) = (Uid::from_raw(id.uid), Gid::from_raw(id.gid));
    nix::unistd::setgroups(groups)?;
    nix::unistd::setgid(gid)?;
    nix::unistd::setuid(uid)?;
    // Real, effective and saved ids all switched, the groups exactly those
    // asked for, and setuid(0) refused: nothing left to regain root with.
    let uids = nix::unistd::getresuid()?;
    let gids = nix::unistd::getresgid()?;
    let stuck = [uids.real, uids.effective, uids.saved] == [uid; 3]
        && [gids.real, gids.effective, gids.saved] == [gid; 3]
        && groups_are(groups);
    if !stuck || (id.uid != 0 && nix::unistd::setuid(Uid::from_raw(0)).is_ok()) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// Whether this process's supplementary groups are the set `groups` (the
/// kernel keeps them sorted, getgrouplist puts the primary group first),
/// read into a buffer on the stack (no allocation after fork).
fn groups_are(groups: &[Gid]) -> bool {
    let mut have = [0 as nix::libc::gid_t; 4096];
    // SAFETY: the buffer holds `have.len()` entries, as the call is told.
    let n = unsafe { nix::libc::getgroups(have.len() as i32, have.as_mut_ptr()) };
    let Ok(n) = usize::try_from(n) else {
        return false;
    };
    let have = &have[..n];
    have.iter().all(|h| groups.iter().any(|g| g.as_raw() == *h))
        && groups.iter().all(|g| have.contains(&g.as_raw()))
}

/// The code a child sends when it could not become the user.
const SWITCH_FAILED: i32 = -1;

/// Connects to `addr` as `id`, from a forked child, by `deadline`. The outer
/// error says the attempt itself failed (no fork, no identity switch, no
/// answer in time); the inner one is connect(2)'s verdict. The socket comes
/// back non-blocking. Needs root, unless `id` is who we are.
pub fn connect(
    id: &Identity,
    addr: &dyn SockaddrLike,
    deadline: Instant,
) -> Result<Result<OwnedFd, Errno>, String> {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    use nix::unistd::{fork, ForkResult};
    let family = addr.family().ok_or("the address has no family")?;
    let groups: Vec<Gid> = id.groups.iter().map(|&g| Gid::from_raw(g)).collect();
    let (ours, theirs) = socket::socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::SOCK_CLOEXEC,
    )
    .map_err(|e| format!("socketpair: {e}"))?;
    let timeout = deadline.saturating_duration_since(Instant::now());
    // SAFETY: the child only makes system calls (no allocation, no lock) before
    // _exit, so it is sound even when another thread (a name resolver left
    // behind by a TCP target) held a lock at the fork.
    match unsafe { fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Child => {
            drop(ours);
            let (code, fd) = match switch_to(id, &groups) {
                Err(_) => (SWITCH_FAILED, -1),
                Ok(()) => match connect_raw(family, addr, timeout) {
                    Ok(fd) => (0, fd),
                    Err(e) => (e as i32, -1),
                },
            };
            // SAFETY: a stack buffer and two descriptors this child owns.
            unsafe {
                send_code(theirs.as_raw_fd(), code, fd);
                nix::libc::_exit(0)
            }
        }
        ForkResult::Parent { child } => {
            drop(theirs);
            // A little longer than the child's own connect deadline.
            let answer = receive(&ours, deadline + Duration::from_millis(500));
            let reaped = match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::StillAlive) => {
                    let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                    waitpid(child, None)
                }
                other => other,
            };
            let _ = reaped;
            match answer? {
                (0, Some(fd)) => Ok(Ok(fd)),
                (SWITCH_FAILED, _) => Err(format!("cannot switch to user {}", id.name)),
                (code, _) => Ok(Err(Errno::from_raw(code))),
            }
        }
    }
}

/// What a connect(2) to a unix socket as someone gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    Connected,
    /// connect(2) failed: `EACCES` is the kernel's permission verdict.
    Failed(Errno),
    /// Acting as another user needs root.
    NeedsRoot,
    /// The attempt itself failed (no fork, no identity switch, no answer).
    Broken(String),
}

/// Connects to the unix socket at `path` as `id`, by `deadline`, and closes
/// the connection at once: directly when we are `id`, from a forked child
/// when we are root.
pub fn try_unix(id: &Identity, path: &std::path::Path, deadline: Instant) -> Attempt {
    let addr = match nix::sys::socket::UnixAddr::new(path) {
        Ok(addr) => addr,
        Err(e) => return Attempt::Failed(e),
    };
    let me = nix::unistd::geteuid().as_raw();
    if me == id.uid {
        return match connect_raw(AddressFamily::Unix, &addr, Duration::ZERO) {
            Ok(fd) => {
                // SAFETY: connect_raw just opened it, and nothing else owns it.
                drop(unsafe { OwnedFd::from_raw_fd(fd) });
                Attempt::Connected
            }
            Err(e) => Attempt::Failed(e),
        };
    }
    if me != 0 {
        return Attempt::NeedsRoot;
    }
    match connect(id, &addr, deadline) {
        Ok(Ok(_)) => Attempt::Connected,
        Ok(Err(e)) => Attempt::Failed(e),
        Err(why) => Attempt::Broken(why),
    }
}

/// socket(2), connect(2) and, for TCP, a poll(2) for the outcome: system
/// calls only, for the forked child.
fn connect_raw(
    family: AddressFamily,
    addr: &dyn SockaddrLike,
    timeout: Duration,
) -> Result<RawFd, Errno> {
    let fd = socket::socket(
        family,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    match socket::connect(fd.as_raw_fd(), addr) {
        Ok(()) => {}
        Err(Errno::EINPROGRESS) => {
            use nix::poll::{PollFd, PollFlags, PollTimeout};
            let ms = timeout.as_millis().min(i32::MAX as u128) as i32;
            let mut fds = [PollFd::new(
                std::os::fd::AsFd::as_fd(&fd),
                PollFlags::POLLOUT,
            )];
            match nix::poll::poll(
                &mut fds,
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
            ) {
                Ok(0) => return Err(Errno::ETIMEDOUT),
                Ok(_) => {}
                Err(e) => return Err(e),
            }
            match socket::getsockopt(&fd, socket::sockopt::SocketError) {
                Ok(0) => {}
                Ok(errno) => return Err(Errno::from_raw(errno)),
                Err(e) => return Err(e),
            }
        }
        Err(e) => return Err(e),
    }
    // The descriptor outlives this function: it is sent, then the child exits.
    Ok(std::os::fd::IntoRawFd::into_raw_fd(fd))
}

/// Sends a 4-byte code, with `fd` attached when it is one (SCM_RIGHTS).
///
/// # Safety
/// `sock` and `fd` (when not -1) must be open descriptors of this process.
unsafe fn send_code(sock: RawFd, code: i32, fd: RawFd) {
    use nix::libc;
    let mut data = code.to_ne_bytes();
    let mut iov = libc::iovec {
        iov_base: data.as_mut_ptr().cast(),
        iov_len: data.len(),
    };
    // Room for one descriptor's control message, aligned for cmsghdr.
    #[repr(C)]
    union Control {
        _align: libc::cmsghdr,
        bytes: [u8; 64],
    }
    let mut control = Control { bytes: [0; 64] };
    let mut msg: libc::msghdr = std::mem::zeroed();
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    if fd >= 0 {
        msg.msg_control = std::ptr::addr_of_mut!(control).cast();
        msg.msg_controllen = libc::CMSG_SPACE(std::mem::size_of::<RawFd>() as u32) as _;
        let header = libc::CMSG_FIRSTHDR(&msg);
        (*header).cmsg_level = libc::SOL_SOCKET;
        (*header).cmsg_type = libc::SCM_RIGHTS;
        (*header).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<RawFd>() as u32) as _;
        std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd);
    }
    libc::sendmsg(sock, &msg, 0);
}

/// The child's code and descriptor, or why none came by `deadline`.
fn receive(sock: &OwnedFd, deadline: Instant) -> Result<(i32, Option<OwnedFd>), String> {
    use nix::sys::socket::{recvmsg, ControlMessageOwned, MsgFlags};
    use std::io::IoSliceMut;
    match super::poll::wait(
        std::os::fd::AsFd::as_fd(sock),
        nix::poll::PollFlags::POLLIN,
        deadline,
    ) {
        Ok(Some(_)) => {}
        Ok(None) => return Err("the connect did not finish in time".into()),
        Err(e) => return Err(format!("waiting for the connect: {e}")),
    }
    let mut data = [0u8; 4];
    let mut iov = [IoSliceMut::new(&mut data)];
    let mut space = nix::cmsg_space!(RawFd);
    let msg = recvmsg::<()>(
        sock.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_CMSG_CLOEXEC,
    )
    .map_err(|e| format!("receiving the connection: {e}"))?;
    if msg.bytes < 4 {
        return Err("the connecting process ended without an answer".into());
    }
    let mut fd = None;
    for cmsg in msg.cmsgs().map_err(|e| e.to_string())? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            // SAFETY: the kernel installed these descriptors for us just now.
            fd = fds.first().map(|&f| unsafe { OwnedFd::from_raw_fd(f) });
        }
    }
    Ok((i32::from_ne_bytes(data), fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nobody() -> Identity {
        Identity {
            name: "nobody".into(),
            uid: 65534,
            gid: 65534,
            groups: vec![],
        }
    }

    #[test]
    fn the_connection_comes_back_and_root_stays_root() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let open = dir.path().join("open.sock");
        let closed = dir.path().join("closed.sock");
        let _a = std::os::unix::net::UnixListener::bind(&open).unwrap();
        let _b = std::os::unix::net::UnixListener::bind(&closed).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o666)).unwrap();
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o600)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(2);
        let addr = |p: &std::path::Path| nix::sys::socket::UnixAddr::new(p).unwrap();
        let fd = connect(&nobody(), &addr(&open), deadline).unwrap().unwrap();
        let peer = socket::getsockopt(&fd, socket::sockopt::PeerCredentials).unwrap();
        assert!(peer.uid() == 0, "the listener is ours");
        assert_eq!(
            connect(&nobody(), &addr(&closed), deadline)
                .unwrap()
                .unwrap_err(),
            Errno::EACCES
        );
        assert!(nix::unistd::geteuid().is_root(), "the parent keeps root");
    }

    /// getgrouplist puts the primary group first; the kernel sorts them.
    /// A user whose groups are not in ascending order must still be taken.
    #[test]
    fn groups_in_any_order_are_taken() {
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let id = Identity {
            groups: vec![300, 100, 200],
            ..nobody()
        };
        let groups: Vec<Gid> = id.groups.iter().map(|&g| Gid::from_raw(g)).collect();
        // SAFETY: the child makes only system calls before _exit.
        match unsafe { nix::unistd::fork() }.unwrap() {
            nix::unistd::ForkResult::Child => unsafe {
                nix::libc::_exit(i32::from(switch_to(&id, &groups).is_err()))
            },
            nix::unistd::ForkResult::Parent { child } => {
                let status = nix::sys::wait::waitpid(child, None).unwrap();
                assert_eq!(status, nix::sys::wait::WaitStatus::Exited(child, 0));
            }
        }
    }
}
