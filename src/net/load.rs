//! The load mode's transport: one request on a new connection, asynchronously
//! (tokio), so that many run at once on one thread. The records are read by
//! the same parser as a single probe's ([`super::exchange::consume`]).

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::exchange::{self, Exchange, Outcome};

/// Where to connect, resolved once before the run.
#[derive(Clone, Debug)]
pub enum Address {
    Unix(PathBuf),
    Abstract(Vec<u8>),
    Tcp(SocketAddr),
}

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectFailure {
    Error(io::Error),
    Timeout,
}

/// Connects within `connect_timeout`, sends `request` and reads the answer
/// until FCGI_END_REQUEST, close, error or `deadline`.
pub async fn one(
    address: &Address,
    request: &[u8],
    connect_timeout: Duration,
    deadline: Instant,
    max_body: usize,
) -> Result<Exchange, ConnectFailure> {
    let connect_by = deadline.min(Instant::now() + connect_timeout);
    let connecting = async {
        match address {
            Address::Unix(path) => tokio::net::UnixStream::connect(path)
                .await
                .map(Stream::Unix),
            Address::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
                let std = std::os::unix::net::UnixStream::connect_addr(&addr)?;
                std.set_nonblocking(true)?;
                tokio::net::UnixStream::from_std(std).map(Stream::Unix)
            }
            Address::Tcp(addr) => tokio::net::TcpStream::connect(addr).await.map(Stream::Tcp),
        }
    };
    let stream = match tokio::time::timeout_at(connect_by.into(), connecting).await {
        Err(_) => return Err(ConnectFailure::Timeout),
        Ok(Err(e)) => return Err(ConnectFailure::Error(e)),
        Ok(Ok(stream)) => stream,
    };
    Ok(match stream {
        Stream::Unix(s) => exchange(s, request, deadline, max_body).await,
        Stream::Tcp(s) => exchange(s, request, deadline, max_body).await,
    })
}

enum Stream {
    Unix(tokio::net::UnixStream),
    Tcp(tokio::net::TcpStream),
}

/// Writes the request, then reads the answer (a load request is small: the
/// write never waits on the peer's reading).
async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    request: &[u8],
    deadline: Instant,
    max_body: usize,
) -> Exchange {
    let sent_at = Instant::now();
    let mut ex = Exchange::new(max_body);
    match tokio::time::timeout_at(deadline.into(), stream.write_all(request)).await {
        Err(_) => {
            ex.outcome = Outcome::TimedOut;
            return ex;
        }
        Ok(Err(e)) => ex.write_error = Some(e),
        Ok(Ok(())) => {}
    }
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 16 * 1024];
    loop {
        let n = match tokio::time::timeout_at(deadline.into(), stream.read(&mut chunk)).await {
            Err(_) => {
                ex.outcome = Outcome::TimedOut;
                return ex;
            }
            Ok(Err(e)) => {
                ex.outcome = Outcome::ReadFailed(e);
                return ex;
            }
            Ok(Ok(0)) => {
                ex.outcome = Outcome::Closed {
                    mid_record: !buf.is_empty(),
                };
                return ex;
            }
            Ok(Ok(n)) => n,
        };
        let now = sent_at.elapsed();
        ex.first_byte.get_or_insert(now);
        ex.last_byte = Some(now);
        ex.bytes_received += n as u64;
        buf.extend_from_slice(&chunk[..n]);
        if let Some(outcome) = exchange::consume(&mut ex, &mut buf) {
            ex.outcome = outcome;
            return ex;
        }
    }
}
