//! Connecting within deadlines, as ourselves or (through [`super::as_user`])
//! as another user. A failed connect comes back as a typed [`ConnectError`];
//! [`crate::checks::connect_failure`] says what it means.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{
    self, AddressFamily, SockFlag, SockType, SockaddrIn, SockaddrIn6, UnixAddr,
};

use super::as_user::{self, Identity};
use super::target::Target;

/// A connected, non-blocking byte stream, unix or TCP. The probe has one
/// connection at a time, so it waits with poll(2) rather than an async runtime,
/// which would cost more to start than the whole exchange (BENCHMARKS.md).
pub trait Io: io::Read + io::Write + AsFd {}
impl<T: io::Read + io::Write + AsFd> Io for T {}

pub struct Connection {
    pub stream: Box<dyn Io>,
    /// The address that answered (for names that resolve to several).
    pub peer: String,
}

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// connect(2) to a unix socket (a path or an abstract name) failed.
    Unix(Errno),
    /// The host name gave no address; the reason in words.
    Unresolved(String),
    /// Every address of a TCP target failed; the first failure decides.
    Tcp(Vec<(SocketAddr, TcpFailure)>),
    /// Acting as the other user failed before any connect: no verdict.
    AsUser(String),
}

#[derive(Debug)]
pub enum TcpFailure {
    Error(io::Error),
    Timeout,
}

impl TcpFailure {
    pub fn is_refused(&self) -> bool {
        matches!(self, TcpFailure::Error(e) if e.kind() == io::ErrorKind::ConnectionRefused)
    }
}

impl std::fmt::Display for TcpFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TcpFailure::Error(_) if self.is_refused() => f.write_str("connection refused"),
            TcpFailure::Error(e) => write!(f, "{e}"),
            TcpFailure::Timeout => {
                f.write_str("no answer to the connection attempt before the connect timeout")
            }
        }
    }
}

/// Connects within `connect_timeout`, never past `deadline`; as `identity`
/// when given (from a forked child, see [`as_user`]).
pub fn connect(
    target: &Target,
    connect_timeout: Duration,
    deadline: Instant,
    identity: Option<&Identity>,
) -> Result<Connection, ConnectError> {
    let subject = target.to_string();
    let unix = |addr: nix::Result<UnixAddr>| -> Result<Connection, ConnectError> {
        let addr = addr.map_err(ConnectError::Unix)?;
        let fd = match identity {
            None => unix_stream(&addr).map_err(ConnectError::Unix)?,
            Some(id) => {
                let until = deadline.min(Instant::now() + connect_timeout);
                as_user::connect(id, &addr, until)
                    .map_err(ConnectError::AsUser)?
                    .map_err(ConnectError::Unix)?
            }
        };
        Ok(Connection {
            stream: Box::new(std::os::unix::net::UnixStream::from(fd)),
            peer: subject.clone(),
        })
    };
    match target {
        Target::Unix(path) => unix(UnixAddr::new(path.as_path())),
        Target::Abstract(name) => unix(UnixAddr::new_abstract(name)),
        Target::Tcp { host, port } => connect_tcp(host, *port, connect_timeout, deadline, identity),
    }
}

/// A non-blocking unix stream socket connected to `addr`. Unix stream sockets
/// never answer a non-blocking connect with EINPROGRESS on Linux: it succeeds
/// at once, or fails at once (EAGAIN when the accept queue is full), so no wait
/// is needed.
pub fn unix_stream(addr: &UnixAddr) -> Result<OwnedFd, Errno> {
    let fd = socket::socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    socket::connect(fd.as_raw_fd(), addr)?;
    Ok(fd)
}

fn connect_tcp(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    deadline: Instant,
    identity: Option<&Identity>,
) -> Result<Connection, ConnectError> {
    let resolve_deadline = deadline.min(Instant::now() + connect_timeout);
    let addrs = match resolve(host, port, resolve_deadline) {
        Ok(addrs) if addrs.is_empty() => {
            return Err(ConnectError::Unresolved(format!(
                "{host} resolves to no address"
            )))
        }
        Ok(addrs) => addrs,
        Err(Resolve::Failed(e)) => {
            return Err(ConnectError::Unresolved(format!(
                "cannot resolve {host}: {e}"
            )))
        }
        Err(Resolve::TooSlow) => {
            return Err(ConnectError::Unresolved(format!(
                "resolving {host} took longer than the connect timeout"
            )))
        }
    };
    // Try each address in turn, as web servers do for a name with several
    // addresses; the first failure decides the code, the message lists them all.
    let mut failures: Vec<(SocketAddr, TcpFailure)> = Vec::new();
    for addr in &addrs {
        let until = deadline.min(Instant::now() + connect_timeout);
        let attempt = until.saturating_duration_since(Instant::now());
        let failure = if attempt.is_zero() {
            TcpFailure::Timeout
        } else {
            let connected = match identity {
                None => TcpStream::connect_timeout(addr, attempt),
                Some(id) => connect_as(id, addr, until)
                    .map_err(ConnectError::AsUser)?
                    .map(TcpStream::from)
                    .map_err(|errno| match errno {
                        Errno::ETIMEDOUT => io::Error::from(io::ErrorKind::TimedOut),
                        other => io::Error::from(other),
                    }),
            };
            match connected {
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
    Err(ConnectError::Tcp(failures))
}

/// A TCP connect to `addr` as `id`.
fn connect_as(
    id: &Identity,
    addr: &SocketAddr,
    until: Instant,
) -> Result<Result<OwnedFd, Errno>, String> {
    match addr {
        SocketAddr::V4(a) => as_user::connect(id, &SockaddrIn::from(*a), until),
        SocketAddr::V6(a) => as_user::connect(id, &SockaddrIn6::from(*a), until),
    }
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
    crate::sources::nss::prepare();
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
