//! What `/proc` shows: processes, the sockets they hold, and the kernel's socket
//! tables. Everything is read under one root directory (normally `/proc`), so
//! tests can lay out a fixture tree (with recorded sock_diag dumps beside it),
//! and every read tolerates a process that vanishes or hides itself while being
//! read: it is skipped, or counted as unseen.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::sockdiag::{self, DiagSource};
use super::sockets::{parse_net_tcp, parse_net_unix, Listeners, TcpSocket};

/// A `/proc` to read from.
#[derive(Clone, Debug)]
pub struct ProcFs {
    root: PathBuf,
    /// Where sock_diag answers come from: the kernel for the real `/proc`.
    diag: DiagSource,
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
    /// The parent's pid (0 when status does not say).
    pub ppid: u32,
    pub uid: u32,
    pub euid: u32,
    pub egid: u32,
}

impl Default for ProcFs {
    fn default() -> Self {
        Self::live()
    }
}

impl ProcFs {
    /// This host's `/proc` and its kernel's sock_diag.
    pub fn live() -> Self {
        Self::new("/proc", DiagSource::Kernel)
    }

    /// A `/proc` laid out under `root`, with its sock_diag dumps recorded in
    /// `root/sock_diag` (see [`super::fixture`]).
    pub fn recorded(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let diag = DiagSource::Recorded(root.join("sock_diag"));
        Self::new(root, diag)
    }

    fn new(root: impl Into<PathBuf>, diag: DiagSource) -> Self {
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
            diag,
            clock_ticks,
            page_size,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
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

    /// The host's memory in bytes, from `/proc/meminfo`'s MemTotal.
    pub fn mem_total(&self) -> io::Result<u64> {
        let text = fs::read_to_string(self.root.join("meminfo"))?;
        text.lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|kb| kb.trim().parse::<u64>().ok())
            .map(|kb| kb * 1024)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no MemTotal in meminfo"))
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

    /// The kernel's command name alone: much cheaper for the kernel to write
    /// than `stat`. Falls back to `stat` where there is no `comm` (a recorded
    /// table).
    pub fn comm(&self, pid: u32) -> io::Result<String> {
        let mut buf = [0u8; 64];
        match read_small(&self.pid_path(pid, "comm"), &mut buf) {
            Ok(text) => Ok(text.trim_end_matches('\n').to_string()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => self.stat(pid).map(|s| s.comm),
            Err(e) => Err(e),
        }
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
        let sockets = self.diag.unix_sockets().ok().or_else(|| {
            // Bounded, and lossy: one odd name must not empty the table.
            super::files::read_regular(&net.join("unix"), 64 * 1024 * 1024)
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
            .tcp_sockets(sockdiag::LISTEN)
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
            self.tcp_sockets(sockdiag::ESTABLISHED)
                .into_iter()
                .filter(|c| ports.contains(&c.port) && c.inode != 0)
                .map(|c| c.inode),
        );
    }

    /// TCP sockets in `states`: from sock_diag, or from the text tables when
    /// netlink is unavailable.
    fn tcp_sockets(&self, states: u32) -> Vec<TcpSocket> {
        if let Ok(found) = self.diag.tcp_sockets(states) {
            return found;
        }
        let want_listen = states & sockdiag::LISTEN != 0;
        let want_established = states & sockdiag::ESTABLISHED != 0;
        let mut found = Vec::new();
        for file in ["tcp", "tcp6"] {
            let raw = super::files::read_regular(&self.root.join("net").join(file), 64 << 20);
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
    let ppid = text
        .lines()
        .find_map(|l| l.strip_prefix("PPid:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    Some(Ids {
        ppid,
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
        let text = "Name:\tphp-fpm8.2\nPPid:\t812\nUid:\t33\t33\t33\t33\nGid:\t33\t34\t33\t33\n";
        assert_eq!(
            parse_status_ids(text),
            Some(Ids {
                ppid: 812,
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
}
