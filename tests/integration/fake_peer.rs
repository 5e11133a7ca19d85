//! Small scripted FastCGI peers for misbehaviour no real server produces on
//! demand. Each connection runs a behaviour in its own thread.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use fcgi_doctor::fcgi::{self, Decoded, EndRequest, ProtocolStatus, RecordType};

pub trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

type Behaviour = Arc<dyn Fn(&mut dyn Conn) + Send + Sync>;

pub struct FakePeer {
    pub target: String,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

impl Drop for FakePeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// A peer on 127.0.0.1 with a free port.
pub fn tcp(behaviour: impl Fn(&mut dyn Conn) + Send + Sync + 'static) -> FakePeer {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    serve(target, Arc::new(behaviour), move || {
        listener.set_nonblocking(true).unwrap();
        listener.accept().map(|(s, _)| {
            s.set_nonblocking(false).unwrap();
            Box::new(s) as Box<dyn Conn>
        })
    })
}

/// A peer on a unix socket at `path`.
pub fn unix(path: &Path, behaviour: impl Fn(&mut dyn Conn) + Send + Sync + 'static) -> FakePeer {
    let listener = UnixListener::bind(path).unwrap();
    // Open to the web user, as a backend meant for the web server is (a root
    // probe checks the web user's access too).
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let target = path.display().to_string();
    serve(target, Arc::new(behaviour), move || {
        listener.set_nonblocking(true).unwrap();
        listener.accept().map(|(s, _)| {
            s.set_nonblocking(false).unwrap();
            Box::new(s) as Box<dyn Conn>
        })
    })
}

fn serve(
    target: String,
    behaviour: Behaviour,
    mut accept: impl FnMut() -> std::io::Result<Box<dyn Conn>> + Send + 'static,
) -> FakePeer {
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let handle = std::thread::spawn(move || {
        while !stop2.load(Ordering::SeqCst) {
            match accept() {
                Ok(mut conn) => {
                    let b = behaviour.clone();
                    std::thread::spawn(move || b(&mut *conn));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    });
    FakePeer {
        target,
        stop,
        handle: Some(handle),
    }
}

/// What the client sent: a management request or a whole request.
#[derive(Debug, Default)]
pub struct Incoming {
    pub get_values: bool,
    pub params: Vec<(String, String)>,
    pub stdin: Vec<u8>,
    pub eof: bool,
}

/// Reads until the empty FCGI_STDIN record, a GET_VALUES record, or EOF.
pub fn read_request(conn: &mut dyn Conn) -> Incoming {
    let mut buf = Vec::new();
    let mut params = Vec::new();
    let mut incoming = Incoming::default();
    let mut chunk = [0u8; 8192];
    loop {
        while let Ok(Decoded::Record(record, used)) = fcgi::decode(&buf) {
            let (rtype, content) = (record.header.record_type, record.content.to_vec());
            buf.drain(..used);
            match rtype {
                RecordType::GetValues => {
                    incoming.get_values = true;
                    return incoming;
                }
                RecordType::Params => params.extend_from_slice(&content),
                RecordType::Stdin if content.is_empty() => {
                    incoming.params = fcgi::decode_pairs(&params)
                        .unwrap()
                        .into_iter()
                        .map(|(n, v)| {
                            (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap())
                        })
                        .collect();
                    return incoming;
                }
                RecordType::Stdin => incoming.stdin.extend_from_slice(&content),
                _ => {}
            }
        }
        match conn.read(&mut chunk) {
            Ok(0) | Err(_) => {
                incoming.eof = true;
                return incoming;
            }
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Reads the whole request. A GET_VALUES gets no answer: `None`, and the
/// behaviour closes the connection, so the probe sends its request on a new one.
pub fn read_past_get_values(conn: &mut dyn Conn) -> Option<Incoming> {
    let incoming = read_request(conn);
    (!incoming.get_values && !incoming.eof).then_some(incoming)
}

pub fn record(rtype: RecordType, id: u16, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    fcgi::encode_record(&mut out, rtype, id, content);
    out
}

pub fn end(app_status: u32, protocol_status: ProtocolStatus) -> Vec<u8> {
    let mut out = Vec::new();
    fcgi::encode_end_request(
        &mut out,
        1,
        EndRequest {
            app_status,
            protocol_status,
        },
    );
    out
}

/// A complete, well-formed response with `stdout`.
pub fn response(stdout: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    fcgi::encode_stream(&mut out, RecordType::Stdout, 1, stdout);
    out.extend(end(0, ProtocolStatus::RequestComplete));
    out
}

/// Behaviour: read the request, then write `bytes` and close.
pub fn answer(bytes: Vec<u8>) -> impl Fn(&mut dyn Conn) + Send + Sync + 'static {
    move |conn| {
        if read_past_get_values(conn).is_some() {
            let _ = conn.write_all(&bytes);
        }
    }
}
