//! Connecting, and explaining a failed connect from what the filesystem and the
//! kernel's error say.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::Path;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{self, AddressFamily, SockFlag, SockType, UnixAddr};

use super::target::Target;
use crate::access::{self, Credentials};
use crate::finding::Finding;
use crate::registry::codes;

/// A connected, non-blocking byte stream, unix or TCP. The probe has one
/// connection at a time, so it waits with poll(2) rather than an async runtime,
/// which would cost more to start than the whole exchange (BENCHMARKS.md).
pub trait Io: io::Read + io::Write + AsFd {}
impl<T: io::Read + io::Write + AsFd> Io for T {}

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

pub struct Connection {
    pub stream: Box<dyn Io>,
    /// The address that answered (for names that resolve to several).
    pub peer: String,
}

/// Whether nothing is waiting on `fd`: no data, no end of file, no error.
pub fn quiet(fd: BorrowedFd<'_>) -> bool {
    let mut fds = [PollFd::new(fd, PollFlags::POLLIN)];
    matches!(nix::poll::poll(&mut fds, PollTimeout::ZERO), Ok(0))
}

/// Connects within `connect_timeout`, never past `deadline`. A failure comes back
/// as the finding that explains it.
pub fn connect(
    target: &Target,
    connect_timeout: Duration,
    deadline: Instant,
) -> Result<Connection, Box<Finding>> {
    let subject = target.to_string();
    match target {
        Target::Unix(path) => connect_unix(UnixAddr::new(path.as_path()), &subject)
            .map_err(|errno| Box::new(explain_unix_failure(path, errno, &subject))),
        Target::Abstract(name) => connect_unix(UnixAddr::new_abstract(name), &subject)
            .map_err(|errno| Box::new(explain_abstract_failure(errno, &subject))),
        Target::Tcp { host, port } => {
            connect_tcp(host, *port, connect_timeout, deadline, &subject).map_err(Box::new)
        }
    }
}

/// A non-blocking unix stream socket connected to `addr`. Unix stream sockets
/// never answer a non-blocking connect with EINPROGRESS on Linux: it succeeds
/// at once, or fails at once (EAGAIN when the accept queue is full), so no wait
/// is needed.
pub fn unix_stream(addr: &UnixAddr) -> Result<std::os::fd::OwnedFd, Errno> {
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    socket::connect(fd.as_raw_fd(), addr)?;
    Ok(fd)
}

fn connect_unix(addr: nix::Result<UnixAddr>, subject: &str) -> Result<Connection, Errno> {
    let fd = unix_stream(&addr?)?;
    let stream = std::os::unix::net::UnixStream::from(fd);
    Ok(Connection {
        stream: Box::new(stream),
        peer: subject.to_string(),
    })
}

fn explain_unix_failure(path: &Path, errno: Errno, subject: &str) -> Finding {
    let shown = path.display();
    match errno {
        Errno::ENOENT | Errno::ENOTDIR => match access::first_missing(path) {
            Some(missing) if missing != std::path::absolute(path).unwrap_or_default() => {
                Finding::new(
                    &codes::SOCKET_DIR_MISSING,
                    subject,
                    format!(
                        "{shown}: the directory {} does not exist",
                        missing.display()
                    ),
                )
            }
            _ if errno == Errno::ENOTDIR => Finding::new(
                &codes::SOCKET_DIR_MISSING,
                subject,
                format!("{shown}: a component of the path is not a directory"),
            ),
            _ => Finding::new(
                &codes::SOCKET_MISSING,
                subject,
                format!("{shown} does not exist (its directory does)"),
            ),
        },
        Errno::ECONNREFUSED | Errno::ENOTSOCK | Errno::ELOOP => {
            match std::fs::metadata(path).map(|m| m.file_type()) {
                Ok(kind) if std::os::unix::fs::FileTypeExt::is_socket(&kind) => Finding::new(
                    &codes::STALE_SOCKET,
                    subject,
                    format!(
                        "{shown} is a socket file, but connect() is refused: nobody listens on it"
                    ),
                )
                .with_fix(format!(
                    "Restart the backend that should listen on {shown}; if it refuses to bind, \
                     remove the stale file first (rm {shown}). Then find out why it died \
                     (its log, dmesg for the OOM killer)."
                )),
                Ok(kind) => Finding::new(
                    &codes::NOT_A_SOCKET,
                    subject,
                    format!("{shown} is {}, not a socket", describe_kind(&kind)),
                ),
                Err(e) if e.raw_os_error() == Some(Errno::ELOOP as i32) => Finding::new(
                    &codes::NOT_A_SOCKET,
                    subject,
                    format!("{shown}: too many levels of symbolic links"),
                ),
                Err(e) => Finding::new(
                    &codes::STALE_SOCKET,
                    subject,
                    format!(
                        "connect() to {shown} is refused, and the path cannot be examined: {e}"
                    ),
                ),
            }
        }
        Errno::EACCES | Errno::EPERM => explain_denial(path, subject),
        Errno::EAGAIN => Finding::new(
            &codes::LISTEN_BACKLOG_FULL,
            subject,
            format!("connect() to {shown} failed with EAGAIN: the listen queue is full"),
        ),
        other => Finding::new(
            &codes::UNREACHABLE,
            subject,
            format!("connect() to {shown} failed: {}", errno_text(other)),
        ),
    }
}

fn describe_kind(kind: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_dir() {
        "a directory"
    } else if kind.is_file() {
        "a regular file"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else {
        "not a socket"
    }
}

/// Names the component that denies, with the exact command that fixes it.
fn explain_denial(path: &Path, subject: &str) -> Finding {
    let creds = Credentials::current();
    let who = access::user_name(creds.uid);
    let Some(denial) = access::first_denial(path, &creds, access::stat_owner) else {
        return Finding::new(
            &codes::PERMISSION_DENIED_OTHER,
            subject,
            format!(
                "connect() to {} as {who} failed with EACCES, but the modes of the socket and \
                 its directories allow {who}: an ACL or a security module denies",
                path.display()
            ),
        );
    };
    access::denial_finding(path, &denial, &who, subject, access::Backend::Unknown)
}

fn explain_abstract_failure(errno: Errno, subject: &str) -> Finding {
    match errno {
        Errno::ECONNREFUSED => Finding::new(
            &codes::SOCKET_MISSING,
            subject,
            format!("nothing listens on the abstract socket {subject}"),
        ),
        Errno::EAGAIN => Finding::new(
            &codes::LISTEN_BACKLOG_FULL,
            subject,
            format!("connect() to {subject} failed with EAGAIN: the listen queue is full"),
        ),
        Errno::EACCES | Errno::EPERM => Finding::new(
            &codes::PERMISSION_DENIED_OTHER,
            subject,
            format!(
                "connect() to {subject} was denied: abstract sockets have no file modes, so a \
                 security module or network namespace denies"
            ),
        ),
        other => Finding::new(
            &codes::UNREACHABLE,
            subject,
            format!("connect() to {subject} failed: {}", errno_text(other)),
        ),
    }
}

fn errno_text(errno: Errno) -> String {
    format!("{} ({})", errno.desc(), errno as i32)
}

fn connect_tcp(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    deadline: Instant,
    subject: &str,
) -> Result<Connection, Finding> {
    let resolve_deadline = deadline.min(Instant::now() + connect_timeout);
    let addrs = match resolve(host, port, resolve_deadline) {
        Ok(addrs) => addrs,
        Err(Resolve::Failed(e)) => {
            return Err(Finding::new(
                &codes::HOST_UNRESOLVED,
                subject,
                format!("cannot resolve {host}: {e}"),
            ))
        }
        Err(Resolve::TooSlow) => {
            return Err(Finding::new(
                &codes::HOST_UNRESOLVED,
                subject,
                format!("resolving {host} took longer than the connect timeout"),
            ))
        }
    };
    if addrs.is_empty() {
        return Err(Finding::new(
            &codes::HOST_UNRESOLVED,
            subject,
            format!("{host} resolves to no address"),
        ));
    }
    // Try each address in turn, as web servers do for a name with several
    // addresses; the first failure decides the code, the message lists them all.
    let mut failures: Vec<(SocketAddr, TcpFailure)> = Vec::new();
    for addr in &addrs {
        let attempt = deadline
            .min(Instant::now() + connect_timeout)
            .saturating_duration_since(Instant::now());
        let failure = if attempt.is_zero() {
            TcpFailure::Timeout
        } else {
            match TcpStream::connect_timeout(addr, attempt) {
                Ok(stream) => match stream.set_nonblocking(true) {
                    Ok(()) => {
                        let _ = stream.set_nodelay(true);
                        return Ok(Connection {
                            stream: Box::new(stream),
                            peer: addr.to_string(),
                        });
                    }
                    Err(e) => TcpFailure::Error(e),
                },
                // std's own deadline; the kernel's ETIMEDOUT is a timeout as well.
                Err(e) if e.kind() == io::ErrorKind::TimedOut => TcpFailure::Timeout,
                Err(e) => TcpFailure::Error(e),
            }
        };
        failures.push((*addr, failure));
        if Instant::now() >= deadline {
            break;
        }
    }
    let detail = failures
        .iter()
        .map(|(addr, f)| format!("{addr}: {f}"))
        .collect::<Vec<_>>()
        .join("; ");
    let code = match &failures[0].1 {
        TcpFailure::Timeout => &codes::CONNECT_TIMEOUT,
        TcpFailure::Error(e) if e.kind() == io::ErrorKind::ConnectionRefused => &codes::TCP_REFUSED,
        TcpFailure::Error(_) => &codes::UNREACHABLE,
    };
    Err(Finding::new(code, subject, detail))
}

/// Why a name gave no addresses.
pub enum Resolve {
    Failed(io::Error),
    /// The resolver had not answered by the deadline.
    TooSlow,
}

/// The addresses of `host` (an address literal is its own answer). getaddrinfo
/// cannot be cancelled, so it runs on a thread of its own, which is left behind
/// when `deadline` passes: it ends with the process.
pub fn resolve(host: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, Resolve> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    crate::nss::prepare();
    let (tx, rx) = std::sync::mpsc::channel();
    let name = host.to_string();
    std::thread::Builder::new()
        .name("resolver".into())
        .spawn(move || {
            let found = (name.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect::<Vec<_>>);
            let _ = tx.send(found);
        })
        .map_err(Resolve::Failed)?;
    match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        Ok(found) => found.map_err(Resolve::Failed),
        Err(_) => Err(Resolve::TooSlow),
    }
}

enum TcpFailure {
    Error(io::Error),
    Timeout,
}

impl std::fmt::Display for TcpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TcpFailure::Error(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
                f.write_str("connection refused")
            }
            TcpFailure::Error(e) => write!(f, "{e}"),
            TcpFailure::Timeout => {
                f.write_str("no answer to the connection attempt before the connect timeout")
            }
        }
    }
}
