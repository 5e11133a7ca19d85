//! A host laid out in a directory, for tests: a `/proc` tree with its text
//! socket tables and the sock_diag dumps the kernel would send, read by the
//! same code as a real host ([`super::procfs::ProcFs::recorded`]). The unit
//! tests and the integration tests (through `FCGI_DOCTOR_TEST_PROC`) both use
//! it; nothing in the tool itself does.

use std::net::SocketAddr;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use super::sockdiag::record;
use super::sockets::{TcpSocket, UnixSocket};

/// A fixture `/proc`. Every change is written through at once. Failures to
/// write panic: this is test scaffolding.
pub struct FakeProc {
    root: PathBuf,
    unix: Vec<UnixSocket>,
    tcp: Vec<(TcpSocket, bool)>,
    sock_diag: bool,
    #[cfg(test)]
    _dir: Option<tempfile::TempDir>,
}

/// One process to lay out.
#[derive(Clone, Copy, Debug)]
pub struct Proc<'a> {
    pub pid: u32,
    pub ppid: u32,
    pub comm: &'a str,
    pub state: char,
    pub uid: u32,
    pub threads: u32,
    pub args: &'a [&'a str],
    /// Socket inodes held, as fd 0, 1, 2...
    pub sockets: &'a [u64],
    /// Start time in clock ticks after boot.
    pub start_ticks: u64,
    /// User and system time in clock ticks.
    pub cpu_ticks: (u64, u64),
    pub rss_pages: u64,
}

impl<'a> Proc<'a> {
    /// A sleeping single-threaded process that started 100 s after boot.
    pub fn new(pid: u32, ppid: u32, comm: &'a str, uid: u32, args: &'a [&'a str]) -> Self {
        Self {
            pid,
            ppid,
            comm,
            state: 'S',
            uid,
            threads: 1,
            args,
            sockets: &[],
            start_ticks: 10_000,
            cpu_ticks: (150, 50),
            rss_pages: 250,
        }
    }
}

#[cfg(test)]
impl Default for FakeProc {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
impl FakeProc {
    /// A fixture in a temporary directory that lives as long as it does.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut fake = Self::at(dir.path());
        fake._dir = Some(dir);
        fake
    }
}

impl FakeProc {
    /// Lays out an empty `/proc` in `root` (which must exist): booted 1000 s ago.
    pub fn at(root: &Path) -> Self {
        std::fs::create_dir_all(root.join("net")).unwrap();
        let fake = Self {
            root: root.to_path_buf(),
            unix: Vec::new(),
            tcp: Vec::new(),
            sock_diag: true,
            #[cfg(test)]
            _dir: None,
        };
        fake.uptime(1000.0);
        fake.write_tables();
        fake
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn uptime(&self, seconds: f64) {
        let text = format!("{seconds:.2} {:.2}\n", seconds * 1.9);
        std::fs::write(self.root.join("uptime"), text).unwrap();
    }

    /// Leaves out the sock_diag dumps, as on a kernel without it: the socket
    /// tables are then read from the text of `/proc/net`.
    pub fn text_tables_only(&mut self) {
        self.sock_diag = false;
        let _ = std::fs::remove_dir_all(self.root.join("sock_diag"));
    }

    /// A listening unix socket bound as `path`.
    pub fn listening(&mut self, inode: u64, path: &str) {
        self.unix_socket(inode, path, true);
    }

    /// A connection accepted on the socket bound as `path` (or, with an
    /// empty path, any other unix socket).
    pub fn connected(&mut self, inode: u64, path: &str) {
        self.unix_socket(inode, path, false);
    }

    fn unix_socket(&mut self, inode: u64, path: &str, listening: bool) {
        self.unix.push(UnixSocket {
            inode,
            path: path.to_string(),
            listening,
            file: None,
        });
        self.write_tables();
    }

    /// A TCP socket listening on `address` (such as `0.0.0.0:9000`).
    pub fn tcp_listening(&mut self, inode: u64, address: &str, uid: u32) {
        let address: SocketAddr = address.parse().unwrap();
        self.tcp.push((
            TcpSocket {
                inode,
                address: address.ip(),
                port: address.port(),
                uid,
            },
            true,
        ));
        self.write_tables();
    }

    /// Writes `/proc/PID/maps` naming these shared objects.
    pub fn maps(&self, pid: u32, objects: &[&str]) {
        let text: String = objects
            .iter()
            .map(|o| format!("7f0000000000-7f0000001000 r-xp 00000000 08:01 1234 {o}\n"))
            .collect();
        std::fs::write(self.root.join(pid.to_string()).join("maps"), text).unwrap();
    }

    /// Lays out a process; adding a pid again replaces its files.
    pub fn add(&self, p: Proc<'_>) {
        let d = self.root.join(p.pid.to_string());
        std::fs::create_dir_all(d.join("fd")).unwrap();
        std::fs::write(
            d.join("stat"),
            format!(
                "{} ({}) {} {} 0 0 0 -1 0 0 0 0 0 {} {} 0 0 20 0 {} 0 {} 1000 {} 0 0",
                p.pid,
                p.comm,
                p.state,
                p.ppid,
                p.cpu_ticks.0,
                p.cpu_ticks.1,
                p.threads,
                p.start_ticks,
                p.rss_pages
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("status"),
            format!(
                "Name:\t{}\nPPid:\t{}\nUid:\t{u}\t{u}\t{u}\t{u}\nGid:\t{u}\t{u}\t{u}\t{u}\n",
                p.comm,
                p.ppid,
                u = p.uid
            ),
        )
        .unwrap();
        let mut cmdline = Vec::new();
        for a in p.args {
            cmdline.extend_from_slice(a.as_bytes());
            cmdline.push(0);
        }
        std::fs::write(d.join("cmdline"), cmdline).unwrap();
        for entry in std::fs::read_dir(d.join("fd")).unwrap() {
            let _ = std::fs::remove_file(entry.unwrap().path());
        }
        for (fd, inode) in p.sockets.iter().enumerate() {
            symlink(
                format!("socket:[{inode}]"),
                d.join("fd").join(fd.to_string()),
            )
            .unwrap();
        }
    }

    /// `/proc/net/unix`, `/proc/net/tcp` and `tcp6` as text, and the same
    /// sockets as sock_diag dumps.
    fn write_tables(&self) {
        let mut unix = "Num       RefCount Protocol Flags    Type St Inode Path\n".to_string();
        for s in &self.unix {
            let (flags, state) = if s.listening {
                ("00010000", "01")
            } else {
                ("00000000", "03")
            };
            unix.push_str(&format!(
                "0000000000000000: 00000002 00000000 {flags} 0001 {state} {} {}\n",
                s.inode, s.path
            ));
        }
        std::fs::write(self.root.join("net/unix"), unix).unwrap();
        let header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when \
                      retrnsmt   uid  timeout inode\n";
        for (file, v4) in [("tcp", true), ("tcp6", false)] {
            let mut text = header.to_string();
            for (i, (s, listening)) in self
                .tcp
                .iter()
                .filter(|(s, _)| s.address.is_ipv4() == v4)
                .enumerate()
            {
                let state = if *listening { "0A" } else { "01" };
                text.push_str(&format!(
                    "{i:4}: {}:{:04X} {}:0000 {state} 00000000:00000000 00:00000000 00000000 {:5} \
                     0 {} 1 0\n",
                    hex_address(&s.address),
                    s.port,
                    "0".repeat(if v4 { 8 } else { 32 }),
                    s.uid,
                    s.inode
                ));
            }
            std::fs::write(self.root.join("net").join(file), text).unwrap();
        }
        if !self.sock_diag {
            return;
        }
        let dir = self.root.join("sock_diag");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("unix"), record::unix_dump(&self.unix)).unwrap();
        for (file, v4) in [("tcp4", true), ("tcp6", false)] {
            let family: Vec<(TcpSocket, bool)> = self
                .tcp
                .iter()
                .filter(|(s, _)| s.address.is_ipv4() == v4)
                .cloned()
                .collect();
            std::fs::write(dir.join(file), record::tcp_dump(&family)).unwrap();
        }
    }
}

/// An address as `/proc/net/tcp` prints it: 32-bit words in host byte order.
fn hex_address(address: &std::net::IpAddr) -> String {
    let bytes = match address {
        std::net::IpAddr::V4(a) => a.octets().to_vec(),
        std::net::IpAddr::V6(a) => a.octets().to_vec(),
    };
    bytes
        .chunks(4)
        .map(|w| format!("{:08X}", u32::from_ne_bytes([w[0], w[1], w[2], w[3]])))
        .collect()
}
