//! What `/proc` shows: processes, the sockets they hold, and the kernel's socket
//! tables. Everything is read under one root directory (normally `/proc`), so
//! tests can lay out a fixture tree, and every read tolerates a process that
//! vanishes or hides itself while being read: it is skipped, or counted as unseen.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

/// A `/proc` to read from.
#[derive(Clone, Debug)]
pub struct ProcFs {
    root: PathBuf,
    /// `sysconf(_SC_CLK_TCK)`: the unit of every time in `/proc/PID/stat`.
    clock_ticks: u64,
    page_size: u64,
}

/// One line of `/proc/PID/stat`, the fields a process tree needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stat {
    pub pid: u32,
    pub ppid: u32,
    /// The kernel's 15-byte command name (`php-fpm8.2`, `apache2`).
    pub comm: String,
    /// R, S, D, Z, T...
    pub state: char,
    pub threads: u32,
    pub rss_bytes: u64,
    /// User plus system time, in clock ticks.
    pub cpu_ticks: u64,
    /// Start time in clock ticks after boot.
    pub start_ticks: u64,
}

/// Real and effective ids from `/proc/PID/status`. The owner of `/proc/PID` is
/// not enough: php-fpm workers are not dumpable, so their directory is root's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ids {
    pub uid: u32,
    pub euid: u32,
    pub egid: u32,
}

/// A socket the kernel lists in `/proc/net/unix`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixSocket {
    pub inode: u64,
    /// The bound name: a path, `@abstract`, or empty for unnamed sockets. It stays
    /// after the file is unlinked, which is how a taken-over path shows.
    pub path: String,
    pub listening: bool,
    /// For a listening socket, when sock_diag told: the (inode, device) of the
    /// file it is bound to.
    pub file: Option<(u64, u64)>,
}

/// A TCP socket in LISTEN state from `/proc/net/tcp` or `/proc/net/tcp6`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TcpListener {
    pub inode: u64,
    pub address: IpAddr,
    pub port: u16,
    pub uid: u32,
}

impl TcpListener {
    /// Reachable from other hosts: bound to a wildcard or non-loopback address.
    pub fn is_exposed(&self) -> bool {
        match self.address {
            IpAddr::V4(a) => !a.is_loopback(),
            IpAddr::V6(a) => {
                !a.is_loopback() && a.to_ipv4_mapped().is_none_or(|v4| !v4.is_loopback())
            }
        }
    }

    pub fn endpoint(&self) -> String {
        match self.address {
            IpAddr::V4(a) => format!("{a}:{}", self.port),
            IpAddr::V6(a) => format!("[{a}]:{}", self.port),
        }
    }
}

/// Every listening socket, by inode.
#[derive(Clone, Debug, Default)]
pub struct Listeners {
    pub unix: HashMap<u64, UnixSocket>,
    pub tcp: HashMap<u64, TcpListener>,
    /// Connections accepted on a listening socket, by inode: what a busy worker
    /// holds. A unix connection carries its listener's name; a TCP one its
    /// local port. Other sockets a process holds (a log stream to journald, a
    /// database connection) are not in here.
    pub accepted: HashSet<u64>,
    /// Every unix socket inode, to tell unix sockets from the others.
    pub unix_all: HashSet<u64>,
}

impl Listeners {
    /// The address a listening inode is bound to, for display.
    pub fn describe(&self, inode: u64) -> Option<String> {
        if let Some(u) = self.unix.get(&inode) {
            return Some(if u.path.is_empty() {
                format!("unix:(unnamed, inode {inode})")
            } else {
                format!("unix:{}", u.path)
            });
        }
        self.tcp.get(&inode).map(TcpListener::endpoint)
    }

    pub fn contains(&self, inode: u64) -> bool {
        self.unix.contains_key(&inode) || self.tcp.contains_key(&inode)
    }
}

impl Default for ProcFs {
    fn default() -> Self {
        Self::new("/proc")
    }
}

impl ProcFs {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        use nix::unistd::{sysconf, SysconfVar};
        let clock_ticks = sysconf(SysconfVar::CLK_TCK)
            .ok()
            .flatten()
            .and_then(|t| u64::try_from(t).ok())
            .filter(|&t| t > 0)
            .unwrap_or(100);
        let page_size = sysconf(SysconfVar::PAGE_SIZE)
            .ok()
            .flatten()
            .and_then(|t| u64::try_from(t).ok())
            .unwrap_or(4096);
        Self {
            root: root.into(),
            clock_ticks,
            page_size,
        }
    }

    /// True for the real `/proc`, whose kernel also answers netlink queries.
    pub fn is_live(&self) -> bool {
        self.root == Path::new("/proc")
    }

    pub fn clock_ticks(&self) -> u64 {
        self.clock_ticks
    }

    fn pid_path(&self, pid: u32, file: &str) -> PathBuf {
        let mut p = self.root.join(pid.to_string());
        p.push(file);
        p
    }

    /// The process's working directory, as a path that resolves through
    /// `/proc/PID/cwd` (readable for our own processes, or as root).
    pub fn cwd(&self, pid: u32) -> PathBuf {
        self.pid_path(pid, "cwd")
    }

    /// Every pid in `/proc`, ascending.
    pub fn pids(&self) -> io::Result<Vec<u32>> {
        let mut pids: Vec<u32> = fs::read_dir(&self.root)?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        pids.sort_unstable();
        Ok(pids)
    }

    /// Seconds since boot, from `/proc/uptime`.
    pub fn uptime(&self) -> io::Result<f64> {
        let text = fs::read_to_string(self.root.join("uptime"))?;
        text.split_whitespace()
            .next()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed /proc/uptime"))
    }

    pub fn stat(&self, pid: u32) -> io::Result<Stat> {
        let mut buf = [0u8; 1024];
        let text = read_small(&self.pid_path(pid, "stat"), &mut buf)?;
        parse_stat(text, self.page_size)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed stat"))
    }

    pub fn ids(&self, pid: u32) -> io::Result<Ids> {
        let mut buf = [0u8; 4096];
        let text = read_small(&self.pid_path(pid, "status"), &mut buf)?;
        parse_status_ids(text)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed status"))
    }

    /// The arguments, as the process shows them now (php-fpm and nginx rewrite
    /// theirs into titles such as `php-fpm: pool www`). Empty for kernel threads
    /// and zombies. Bounded: a title is never longer than a few pages.
    pub fn cmdline(&self, pid: u32) -> io::Result<Vec<String>> {
        let mut raw = Vec::new();
        fs::File::open(self.pid_path(pid, "cmdline"))?
            .take(64 * 1024)
            .read_to_end(&mut raw)?;
        Ok(split_cmdline(&raw))
    }

    /// The inodes of every socket the process holds. Fails with EACCES for
    /// another user's process when not root.
    pub fn socket_inodes(&self, pid: u32) -> io::Result<Vec<u64>> {
        let mut inodes = Vec::new();
        for entry in fs::read_dir(self.pid_path(pid, "fd"))? {
            let Ok(entry) = entry else { continue };
            if let Ok(link) = fs::read_link(entry.path()) {
                if let Some(inode) = socket_inode(&link) {
                    inodes.push(inode);
                }
            }
        }
        inodes.sort_unstable();
        inodes.dedup();
        Ok(inodes)
    }

    /// The Apache modules mapped into a process, by name (`mpm_event`,
    /// `proxy_fcgi`, `fcgid`), from `/proc/PID/maps`: what it really loaded,
    /// whatever its configuration files say.
    pub fn apache_modules(&self, pid: u32) -> io::Result<Vec<String>> {
        let mut text = String::new();
        fs::File::open(self.pid_path(pid, "maps"))?
            .take(8 * 1024 * 1024)
            .read_to_string(&mut text)?;
        let mut modules: Vec<String> = text
            .lines()
            .filter_map(|l| l.rsplit('/').next())
            .filter_map(|f| f.strip_prefix("mod_")?.strip_suffix(".so"))
            .map(str::to_string)
            .collect();
        modules.sort();
        modules.dedup();
        Ok(modules)
    }

    /// The socket on file descriptor 0, if any: where FastCGI applications
    /// started by spawn-fcgi or mod_fcgid find their listening socket
    /// (`FCGI_LISTENSOCK_FILENO`).
    pub fn fd0_socket(&self, pid: u32) -> io::Result<Option<u64>> {
        match fs::read_link(self.pid_path(pid, "fd/0")) {
            Ok(link) => Ok(socket_inode(&link)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every listening unix and TCP socket of this network namespace.
    pub fn listeners(&self) -> Listeners {
        let mut listeners = Listeners::default();
        let net = self.root.join("net");
        let sockets = if self.is_live() {
            crate::sockdiag::unix_sockets().ok()
        } else {
            None
        };
        let sockets = sockets.or_else(|| {
            // Bounded, and lossy: one odd name must not empty the table.
            crate::files::read_regular(&net.join("unix"), 64 * 1024 * 1024)
                .ok()
                .map(|raw| parse_net_unix(&String::from_utf8_lossy(&raw)))
        });
        if let Some(sockets) = sockets {
            let names: HashSet<&str> = sockets
                .iter()
                .filter(|s| s.listening && !s.path.is_empty())
                .map(|s| s.path.as_str())
                .collect();
            listeners.unix_all = sockets.iter().map(|s| s.inode).collect();
            listeners.accepted = sockets
                .iter()
                .filter(|s| !s.listening && names.contains(s.path.as_str()))
                .map(|s| s.inode)
                .collect();
            listeners.unix = sockets
                .into_iter()
                .filter(|s| s.listening)
                .map(|s| (s.inode, s))
                .collect();
        }
        listeners.tcp = self
            .tcp_sockets(crate::sockdiag::LISTEN)
            .into_iter()
            .map(|l| (l.inode, l))
            .collect();
        listeners
    }

    /// Adds the TCP connections accepted on a listening port to
    /// `listeners.accepted`. Costly (the whole connection table is walked), so
    /// only called when a worker holds a socket that is not a unix one.
    pub fn add_accepted_tcp(&self, listeners: &mut Listeners) {
        let ports: HashSet<u16> = listeners.tcp.values().map(|l| l.port).collect();
        listeners.accepted.extend(
            self.tcp_sockets(crate::sockdiag::ESTABLISHED)
                .into_iter()
                .filter(|c| ports.contains(&c.port) && c.inode != 0)
                .map(|c| c.inode),
        );
    }

    /// TCP sockets in `states`: from sock_diag for the real `/proc`, from the
    /// text tables for a fixture or when netlink is unavailable.
    fn tcp_sockets(&self, states: u32) -> Vec<TcpListener> {
        if self.is_live() {
            if let Ok(found) = crate::sockdiag::tcp_sockets(states) {
                return found;
            }
        }
        let want_listen = states & crate::sockdiag::LISTEN != 0;
        let want_established = states & crate::sockdiag::ESTABLISHED != 0;
        let mut found = Vec::new();
        for file in ["tcp", "tcp6"] {
            let raw = crate::files::read_regular(&self.root.join("net").join(file), 64 << 20);
            if let Ok(text) = raw.map(|r| String::from_utf8_lossy(&r).into_owned()) {
                found.extend(
                    parse_net_tcp(&text)
                        .into_iter()
                        .filter(|e| {
                            if e.listening {
                                want_listen
                            } else {
                                want_established
                            }
                        })
                        .map(|e| e.socket),
                );
            }
        }
        found
    }
}

/// Reads a small file in one `read`, as procps does for `stat` and `status`:
/// procfs hands such a file over whole, and `buf` is larger than any of them.
fn read_small<'a>(path: &Path, buf: &'a mut [u8]) -> io::Result<&'a str> {
    let len = fs::File::open(path)?.read(buf)?;
    std::str::from_utf8(&buf[..len])
        .or_else(|e| std::str::from_utf8(&buf[..e.valid_up_to()]))
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

fn socket_inode(link: &Path) -> Option<u64> {
    link.to_str()?
        .strip_prefix("socket:[")?
        .strip_suffix(']')?
        .parse()
        .ok()
}

/// `pid (comm) S ppid ...`: the command name may hold spaces and parentheses,
/// so the fields are counted from the last `)`.
fn parse_stat(text: &str, page_size: u64) -> Option<Stat> {
    let open = text.find('(')?;
    let close = text.rfind(')')?;
    let pid = text[..open].trim().parse().ok()?;
    let comm = text.get(open + 1..close)?.to_string();
    let fields: Vec<&str> = text.get(close + 1..)?.split_whitespace().collect();
    let num = |i: usize| -> Option<u64> { fields.get(i)?.parse().ok() };
    Some(Stat {
        pid,
        comm,
        state: fields.first()?.chars().next()?,
        ppid: u32::try_from(num(1)?).ok()?,
        cpu_ticks: num(11)?.saturating_add(num(12)?),
        threads: u32::try_from(num(17)?).ok()?,
        start_ticks: num(19)?,
        rss_bytes: num(21)?.saturating_mul(page_size),
    })
}

fn parse_status_ids(text: &str) -> Option<Ids> {
    let ids = |key: &str| -> Option<Vec<u32>> {
        let line = text.lines().find(|l| l.starts_with(key))?;
        line[key.len()..]
            .split_whitespace()
            .map(|f| f.parse().ok())
            .collect()
    };
    let uid = ids("Uid:")?;
    let gid = ids("Gid:")?;
    Some(Ids {
        uid: *uid.first()?,
        euid: *uid.get(1)?,
        egid: *gid.get(1)?,
    })
}

fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let raw = raw.strip_suffix(b"\0").unwrap_or(raw);
    if raw.is_empty() {
        return Vec::new();
    }
    let args: Vec<String> = raw
        .split(|&b| b == 0)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    // A rewritten title (nginx, php-fpm) is one argument padded with NULs or
    // spaces; drop the padding.
    let mut args: Vec<String> = args.into_iter().map(|a| a.trim_end().to_string()).collect();
    while args.last().is_some_and(String::is_empty) {
        args.pop();
    }
    args
}

/// `Num RefCount Protocol Flags Type St Inode Path`. The kernel pads the inode
/// to five columns, so fields are split on runs of spaces; the path is the rest
/// of the line and may itself hold spaces.
fn parse_net_unix(text: &str) -> Vec<UnixSocket> {
    const ACCEPTCON: u32 = 0x0001_0000;
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let mut rest = line;
            let mut fields = [""; 7];
            for field in &mut fields {
                rest = rest.trim_start_matches(' ');
                let end = rest.find(' ').unwrap_or(rest.len());
                *field = &rest[..end];
                rest = &rest[end..];
            }
            let flags = u32::from_str_radix(fields[3], 16).ok()?;
            let inode: u64 = fields[6].parse().ok()?;
            Some(UnixSocket {
                inode,
                path: rest.trim().to_string(),
                listening: flags & ACCEPTCON != 0,
                file: None,
            })
        })
        .collect()
}

/// A line of `/proc/net/tcp`: the local end, and whether it listens.
struct TcpEntry {
    socket: TcpListener,
    listening: bool,
}

/// `sl local_address rem_address st ... uid timeout inode`: LISTEN entries and
/// ESTABLISHED ones (whose local end is what a server accepted).
fn parse_net_tcp(text: &str) -> Vec<TcpEntry> {
    const LISTEN: &str = "0A";
    const ESTABLISHED: &str = "01";
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let state = *f.get(3)?;
            if state != LISTEN && state != ESTABLISHED {
                return None;
            }
            let (addr, port) = f.get(1)?.split_once(':')?;
            Some(TcpEntry {
                socket: TcpListener {
                    address: parse_hex_address(addr)?,
                    port: u16::from_str_radix(port, 16).ok()?,
                    uid: f.get(7)?.parse().ok()?,
                    inode: f.get(9)?.parse().ok()?,
                },
                listening: state == LISTEN,
            })
        })
        .collect()
}

/// The kernel prints addresses as 32-bit words in host byte order.
fn parse_hex_address(hex: &str) -> Option<IpAddr> {
    let word = |i: usize| -> Option<[u8; 4]> {
        let w = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
        Some(w.to_ne_bytes())
    };
    match hex.len() {
        8 => Some(IpAddr::V4(Ipv4Addr::from(word(0)?))),
        32 => {
            let mut bytes = [0u8; 16];
            for i in 0..4 {
                bytes[i * 4..i * 4 + 4].copy_from_slice(&word(i)?);
            }
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// A `/proc` laid out in a temp dir, for tests of everything that reads one.
#[cfg(test)]
pub mod fixture {
    use std::os::unix::fs::symlink;
    use std::path::Path;

    pub struct FakeProc {
        pub dir: tempfile::TempDir,
        unix: Vec<String>,
    }

    /// One process to lay out.
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
    }

    impl FakeProc {
        /// Writes `/proc/PID/maps` naming these shared objects.
        pub fn maps(&self, pid: u32, objects: &[&str]) {
            let text: String = objects
                .iter()
                .map(|o| format!("7f0000000000-7f0000001000 r-xp 00000000 08:01 1234 {o}\n"))
                .collect();
            std::fs::write(self.dir.path().join(pid.to_string()).join("maps"), text).unwrap();
        }
    }

    impl Default for FakeProc {
        fn default() -> Self {
            Self::new()
        }
    }

    impl FakeProc {
        pub fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("uptime"), "1000.00 1900.00\n").unwrap();
            std::fs::create_dir(dir.path().join("net")).unwrap();
            std::fs::write(
                dir.path().join("net/tcp"),
                "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n",
            )
            .unwrap();
            let me = Self {
                dir,
                unix: Vec::new(),
            };
            me.write_unix();
            me
        }

        pub fn root(&self) -> &Path {
            self.dir.path()
        }

        fn write_unix(&self) {
            let mut text = "Num       RefCount Protocol Flags    Type St Inode Path\n".to_string();
            for line in &self.unix {
                text.push_str(line);
                text.push('\n');
            }
            std::fs::write(self.dir.path().join("net/unix"), text).unwrap();
        }

        /// A listening unix socket bound as `path`.
        pub fn listening(&mut self, inode: u64, path: &str) {
            self.unix.push(format!(
                "0000000000000000: 00000002 00000000 00010000 0001 01 {inode} {path}"
            ));
            self.write_unix();
        }

        /// A connection accepted on the socket bound as `path` (or, with an
        /// empty path, any other unix socket).
        pub fn connected(&mut self, inode: u64, path: &str) {
            self.unix.push(format!(
                "0000000000000000: 00000003 00000000 00000000 0001 03 {inode} {path}"
            ));
            self.write_unix();
        }

        pub fn add(&self, p: Proc<'_>) {
            let d = self.dir.path().join(p.pid.to_string());
            std::fs::create_dir_all(d.join("fd")).unwrap();
            // Started 100 s after boot: 900 s old with uptime 1000 s.
            std::fs::write(
                d.join("stat"),
                format!(
                    "{} ({}) {} {} 0 0 0 -1 0 0 0 0 0 150 50 0 0 20 0 {} 0 10000 1000 250 0 0",
                    p.pid, p.comm, p.state, p.ppid, p.threads
                ),
            )
            .unwrap();
            std::fs::write(
                d.join("status"),
                format!(
                    "Name:\t{}\nUid:\t{u}\t{u}\t{u}\t{u}\nGid:\t{u}\t{u}\t{u}\t{u}\n",
                    p.comm,
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
            for (fd, inode) in p.sockets.iter().enumerate() {
                let link = d.join("fd").join(fd.to_string());
                // Adding a pid again replaces it.
                let _ = std::fs::remove_file(&link);
                symlink(format!("socket:[{inode}]"), link).unwrap();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_survives_spaces_and_parentheses_in_the_name() {
        let line = "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 \
                    150 50 0 0 20 0 3 0 123456 1000000 250 18446744073709551615";
        let s = parse_stat(line, 4096).unwrap();
        assert_eq!(s.pid, 4242);
        assert_eq!(s.comm, "my (odd) app");
        assert_eq!(s.state, 'S');
        assert_eq!(s.ppid, 1);
        assert_eq!(s.cpu_ticks, 200);
        assert_eq!(s.threads, 3);
        assert_eq!(s.start_ticks, 123456);
        assert_eq!(s.rss_bytes, 250 * 4096);
    }

    #[test]
    fn huge_numbers_in_stat_saturate_instead_of_overflowing() {
        let max = u64::MAX;
        let line = format!("7 (x) S 1 0 0 0 -1 0 0 0 0 0 {max} {max} 0 0 20 0 1 0 5 0 {max} 0");
        let s = parse_stat(&line, 4096).unwrap();
        assert_eq!(s.cpu_ticks, u64::MAX);
        assert_eq!(s.rss_bytes, u64::MAX);
    }

    #[test]
    fn truncated_stat_is_rejected_not_misread() {
        assert_eq!(parse_stat("12 (x) S 1 2 3", 4096), None);
        assert_eq!(parse_stat("", 4096), None);
        assert_eq!(parse_stat("garbage", 4096), None);
    }

    #[test]
    fn status_gives_real_and_effective_ids() {
        let text = "Name:\tphp-fpm8.2\nUid:\t33\t33\t33\t33\nGid:\t33\t34\t33\t33\n";
        assert_eq!(
            parse_status_ids(text),
            Some(Ids {
                uid: 33,
                euid: 33,
                egid: 34
            })
        );
    }

    #[test]
    fn titles_lose_their_padding() {
        assert_eq!(
            split_cmdline(b"php-fpm: pool www          \0\0\0"),
            ["php-fpm: pool www"]
        );
        assert_eq!(
            split_cmdline(b"python3\0app.py\0/run/a.sock\0"),
            ["python3", "app.py", "/run/a.sock"]
        );
        assert!(split_cmdline(b"").is_empty());
    }

    #[test]
    fn net_unix_marks_listeners_and_keeps_paths_with_spaces() {
        let text = "Num       RefCount Protocol Flags    Type St Inode Path\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 35353 /run/php/php8.2-fpm.sock\n\
            0000000000000000: 00000003 00000000 00000000 0001 03 35354 /run/php/php8.2-fpm.sock\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 35355 @abstract\n\
            0000000000000000: 00000002 00000000 00010000 0001 01 35356 /tmp/with space.sock\n\
            0000000000000000: 00000002 00000000 00000000 0002 01 35357\n\
            0000000000000000: 00000002 00000000 00010000 0001 01  8123 /run/padded.sock\n";
        let socks = parse_net_unix(text);
        assert_eq!(socks.len(), 6);
        // Inodes under 10000 are padded to five columns.
        assert_eq!(socks[5].inode, 8123);
        assert_eq!(socks[5].path, "/run/padded.sock");
        assert!(socks[0].listening);
        assert!(!socks[1].listening);
        assert_eq!(socks[2].path, "@abstract");
        assert_eq!(socks[3].path, "/tmp/with space.sock");
        assert_eq!(socks[4].path, "");
    }

    #[test]
    fn net_tcp_reads_listeners_in_host_byte_order() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n\
            0: 0100007F:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0\n\
            1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000    33        0 2222 1 0\n\
            2: 0100007F:2328 0100007F:C350 01 00000000:00000000 00:00000000 00000000     0        0 3333 1 0\n";
        let all = parse_net_tcp(text);
        assert_eq!(all.len(), 3);
        assert!(!all[2].listening, "an accepted connection on port 9000");
        let l: Vec<TcpListener> = all
            .into_iter()
            .filter(|e| e.listening)
            .map(|e| e.socket)
            .collect();
        assert_eq!(l[0].endpoint(), "127.0.0.1:9000");
        assert!(!l[0].is_exposed());
        assert_eq!(l[1].endpoint(), "0.0.0.0:8080");
        assert_eq!(l[1].uid, 33);
        assert!(l[1].is_exposed());
        let v6 = "  sl  local_address                         remote_address                        st\n\
            0: 00000000000000000000000001000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1\n\
            1: 00000000000000000000000000000000:2328 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1\n";
        let l: Vec<TcpListener> = parse_net_tcp(v6).into_iter().map(|e| e.socket).collect();
        assert_eq!(l[0].endpoint(), "[::1]:9000");
        assert!(!l[0].is_exposed());
        assert_eq!(l[1].endpoint(), "[::]:9000");
        assert!(l[1].is_exposed());
    }
}
