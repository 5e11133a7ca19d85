//! Connecting to a unix socket as ourselves, and as another user.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{self, UnixAddr};

use crate::probe::connect::unix_stream;
use crate::webuser::WebUser;

/// Connects as ourselves without blocking; on success, the pid that created
/// the listening socket (`SO_PEERCRED` of a unix connection carries the
/// credentials of the listen() call).
pub(super) fn connect_unix(addr: nix::Result<UnixAddr>) -> Result<Option<u32>, Errno> {
    let fd = unix_stream(&addr?)?;
    let pid = socket::getsockopt(&fd, socket::sockopt::PeerCredentials)
        .ok()
        .and_then(|c| u32::try_from(c.pid()).ok())
        .filter(|&p| p != 0);
    Ok(pid)
}

/// The child's exit status when it could not become the user.
const SETUP_FAILED: i32 = 250;

/// Connects to `path` as `user` in a forked child: changing identity applies to
/// the whole process, so it cannot be done in this one. Needs root.
pub(super) fn connect_as(path: &Path, user: &WebUser) -> Result<Result<(), Errno>, String> {
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    use nix::unistd::{fork, setgid, setgroups, setuid, ForkResult, Gid, Uid};
    let addr = UnixAddr::new(path).map_err(|e| e.to_string())?;
    let groups: Vec<Gid> = user.gids.iter().map(|&g| Gid::from_raw(g)).collect();
    let (uid, gid) = (Uid::from_raw(user.uid), Gid::from_raw(user.gid));
    // SAFETY: the child only makes system calls (no allocation, no lock) before
    // _exit, so it is sound even when another thread (a name resolver left
    // behind by a TCP target) held a lock at the fork.
    match unsafe { fork() }.map_err(|e| format!("fork: {e}"))? {
        ForkResult::Child => {
            // The connect's errno, or SETUP_FAILED when the identity could not
            // be taken (in a user namespace, say): that is no verdict.
            let switched = setgroups(&groups)
                .and_then(|()| setgid(gid))
                .and_then(|()| setuid(uid));
            let code = match switched {
                Err(_) => SETUP_FAILED,
                Ok(()) => match unix_stream(&addr) {
                    Ok(_) => 0,
                    Err(e) => (e as i32).clamp(1, SETUP_FAILED - 1),
                },
            };
            // SAFETY: _exit skips atexit handlers and buffered output, which
            // belong to the parent.
            unsafe { nix::libc::_exit(code) }
        }
        ForkResult::Parent { child } => {
            let deadline = Instant::now() + Duration::from_secs(2);
            loop {
                match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
                    Ok(WaitStatus::Exited(_, 0)) => return Ok(Ok(())),
                    Ok(WaitStatus::Exited(_, SETUP_FAILED)) => {
                        return Err(format!("cannot switch to user {}", user.name));
                    }
                    Ok(WaitStatus::Exited(_, code)) => return Ok(Err(Errno::from_raw(code))),
                    Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Ok(WaitStatus::StillAlive) => {
                        let _ = nix::sys::signal::kill(child, nix::sys::signal::Signal::SIGKILL);
                        let _ = waitpid(child, None);
                        return Err("the connect did not finish within 2 s".into());
                    }
                    Ok(other) => return Err(format!("the checking process ended: {other:?}")),
                    Err(Errno::EINTR) => {}
                    Err(e) => return Err(format!("waitpid: {e}")),
                }
            }
        }
    }
}
