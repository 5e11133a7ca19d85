//! Waiting on one descriptor, within a deadline: the probe has one
//! connection at a time, so poll(2) serves better than an async runtime,
//! which would cost more to start than the whole exchange (BENCHMARKS.md).

use std::io;
use std::os::fd::BorrowedFd;
use std::time::Instant;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};

/// Waits until `fd` is ready for `events`, or until `deadline`: the events that
/// happened (hang-up and error included), or `None` when the deadline passed.
pub fn wait(
    fd: BorrowedFd<'_>,
    events: PollFlags,
    deadline: Instant,
) -> io::Result<Option<PollFlags>> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        // Rounded up to whole milliseconds, so a short wait does not spin.
        let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
        let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
        let mut fds = [PollFd::new(fd, events)];
        match nix::poll::poll(&mut fds, timeout) {
            Ok(0) | Err(Errno::EINTR) => continue,
            Ok(_) => return Ok(Some(fds[0].revents().unwrap_or(PollFlags::POLLERR))),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Whether nothing is waiting on `fd`: no data, no end of file, no error.
pub fn quiet(fd: BorrowedFd<'_>) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    matches!(nix::poll::poll(&mut fds, PollTimeout::ZERO), Ok(0))
}
