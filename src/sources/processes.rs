//! The FastCGI side of the process table: web servers, process managers, pool
//! workers and applications, recognized from what `/proc` shows. Shared by `ps`
//! (which draws the tree) and `socket` (which asks who holds an inode).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;

use serde::Serialize;

use super::procfs::{ProcFs, Stat};
use super::sockets::Listeners;

/// What a process is in a FastCGI deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Apache, nginx or lighttpd master.
    WebServer,
    /// A web server's child that serves clients.
    WebWorker,
    /// Starts and watches FastCGI processes: php-fpm master, mod_fcgid's and
    /// mod_fastcgi's process managers, a php-cgi or fcgiwrap parent.
    ProcessManager,
    /// A php-fpm pool worker.
    PoolWorker,
    /// A FastCGI application process.
    App,
    /// Anything else under one of the above (a CGI script, a helper).
    Other,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::WebServer => "web server",
            Role::WebWorker => "web worker",
            Role::ProcessManager => "process manager",
            Role::PoolWorker => "pool worker",
            Role::App => "app",
            Role::Other => "other",
        }
    }

    /// Serves FastCGI requests itself.
    pub fn is_fastcgi(self) -> bool {
        matches!(self, Role::PoolWorker | Role::App | Role::ProcessManager)
    }
}

/// The software behind a process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Software {
    Apache,
    Nginx,
    Lighttpd,
    PhpFpm,
    PhpCgi,
    Fcgiwrap,
    SpawnFcgi,
    Python,
    Perl,
    Ruby,
    Other,
}

/// The running web servers' processes as (pid, software, uid), from each
/// process's `comm` and, for a web server's, its `status`: small reads a
/// process, for when the whole table (descriptors, sockets, titles) is not
/// needed. Processes that vanish meanwhile are left out.
pub fn web_server_uids(proc: &ProcFs) -> io::Result<Vec<(u32, Software, u32)>> {
    let mut all = BTreeMap::new();
    for pid in proc.pids()? {
        let Ok(comm) = proc.comm(pid) else { continue };
        let Some(software) = Software::from_comm(&comm).filter(|s| s.is_web_server()) else {
            continue;
        };
        if let Ok(ids) = proc.ids(pid) {
            all.insert(pid, (ids.ppid, software, ids.uid));
        }
    }
    // Taken only from a process whose parent is root's or the caller's (a
    // master, or the init system that started a lone server).
    Ok(all
        .iter()
        .filter(|(_, &(ppid, _, _))| match all.get(&ppid) {
            Some(&(_, _, uid)) => trusted_uid(uid),
            None => proc.ids(ppid).is_ok_and(|ids| trusted_uid(ids.uid)),
        })
        .map(|(&pid, &(_, software, uid))| (pid, software, uid))
        .collect())
}

/// Whether a process's word may be taken (the configuration file its title
/// names, the user its workers run as): root's, or the caller's own. Any
/// user can start a process called apache2 or php-fpm with a title of its
/// choosing.
pub fn trusted_uid(uid: u32) -> bool {
    uid == 0 || uid == nix::unistd::geteuid().as_raw()
}

impl Software {
    fn from_comm(comm: &str) -> Option<Self> {
        Some(match comm {
            "apache2" | "httpd" | "httpd-prefork" | "httpd-worker" | "httpd-event" => {
                Software::Apache
            }
            "nginx" => Software::Nginx,
            "lighttpd" => Software::Lighttpd,
            "fcgiwrap" => Software::Fcgiwrap,
            "spawn-fcgi" => Software::SpawnFcgi,
            c if c.starts_with("php-fpm") => Software::PhpFpm,
            c if c.starts_with("php-cgi") => Software::PhpCgi,
            c if c.starts_with("python") => Software::Python,
            c if c.starts_with("perl") => Software::Perl,
            c if c.starts_with("ruby") => Software::Ruby,
            _ => return None,
        })
    }

    pub fn is_web_server(self) -> bool {
        matches!(
            self,
            Software::Apache | Software::Nginx | Software::Lighttpd
        )
    }

    fn is_interpreter(self) -> bool {
        matches!(self, Software::Python | Software::Perl | Software::Ruby)
    }
}

/// One process of the FastCGI side, with what `/proc` let us see of it.
#[derive(Clone, Debug)]
pub struct Process {
    pub stat: Stat,
    pub software: Software,
    pub role: Role,
    /// php-fpm pool name, from the `php-fpm: pool NAME` title.
    pub pool: Option<String>,
    pub args: Vec<String>,
    /// Real uid; `None` when the process vanished before it was read.
    pub uid: Option<u32>,
    /// Its parent's real uid, when it could be read.
    pub parent_uid: Option<u32>,
    pub user: String,
    /// Inodes of the listening sockets it holds.
    pub listening: Vec<u64>,
    /// Client connections it holds that were accepted on a listening socket
    /// (a busy php-fpm worker holds one).
    pub connections: usize,
    /// False when its file descriptors could not be read (another user's
    /// process, and we are not root).
    pub fds_visible: bool,
    /// For an Apache master: the modules it loaded that matter here (the MPM,
    /// proxy_fcgi, fcgid, fastcgi, php).
    pub modules: Vec<String>,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.stat.pid
    }

    /// The command line as `ps` shows it.
    pub fn command(&self) -> String {
        if self.args.is_empty() {
            format!("[{}]", self.stat.comm)
        } else {
            self.args.join(" ")
        }
    }

    pub fn is_zombie(&self) -> bool {
        self.stat.state == 'Z'
    }
}

/// A look at the process table.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// The FastCGI side, by pid.
    pub processes: BTreeMap<u32, Process>,
    /// Every process's stat line, by pid (for ancestry and holder lookups).
    pub all: HashMap<u32, Stat>,
    pub listeners: Listeners,
    /// Seconds since boot when the snapshot was taken.
    pub uptime: f64,
    pub clock_ticks: u64,
    /// Processes whose descriptors this user may not read.
    pub hidden_fds: usize,
    pub as_root: bool,
}

impl Snapshot {
    /// No process at all: what is known when `/proc` cannot be read.
    pub fn empty() -> Self {
        Self {
            clock_ticks: 100,
            ..Self::default()
        }
    }

    /// Reads the process table. Fails only when `/proc` itself cannot be read.
    pub fn take(proc: &ProcFs) -> io::Result<Self> {
        Self::take_with(proc, true)
    }

    /// Like [`Snapshot::take`]; without `fd0_apps`, applications known only by
    /// the listening socket on their fd 0 are not looked for (one `readlink`
    /// per process saved; `socket` finds them as holders anyway).
    pub fn take_with(proc: &ProcFs, fd0_apps: bool) -> io::Result<Self> {
        let uptime = proc.uptime()?;
        let listeners = proc.listeners();
        let as_root = nix::unistd::geteuid().is_root();
        let mut all = HashMap::new();
        let mut seeds: Vec<(u32, Software)> = Vec::new();
        let mut args_cache: HashMap<u32, Vec<String>> = HashMap::new();
        for pid in proc.pids()? {
            // A process may exit between readdir and read: skip it.
            let Ok(stat) = proc.stat(pid) else { continue };
            // spawn-fcgi and mod_fcgid hand the listening socket over as fd 0.
            let fd0_listens = || {
                fd0_apps
                    && stat.ppid != 2
                    && pid != 2
                    && proc
                        .fd0_socket(pid)
                        .is_ok_and(|i| i.is_some_and(|i| listeners.contains(i)))
            };
            match Software::from_comm(&stat.comm) {
                Some(software) if software.is_interpreter() => {
                    let args = proc.cmdline(pid).unwrap_or_default();
                    // A relative script path is relative to the process's own
                    // working directory, not ours.
                    let cwd = proc.cwd(pid);
                    if speaks_fastcgi(&args, &cwd) || fd0_listens() {
                        seeds.push((pid, software));
                    }
                    args_cache.insert(pid, args);
                }
                Some(software) => seeds.push((pid, software)),
                // A script run through its #! line is named after the script.
                None if stat.comm.ends_with(".fcgi") || fd0_listens() => {
                    seeds.push((pid, Software::Other));
                }
                None => {}
            }
            all.insert(pid, stat);
        }

        // Everything below a recognized process belongs to the picture too.
        let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
        for s in all.values() {
            children.entry(s.ppid).or_default().push(s.pid);
        }
        let mut selected: BTreeMap<u32, Software> = BTreeMap::new();
        let mut stack: Vec<(u32, Software)> = seeds;
        while let Some((pid, software)) = stack.pop() {
            if selected.insert(pid, software).is_some() {
                continue;
            }
            for &child in children.get(&pid).into_iter().flatten() {
                let child_software = all
                    .get(&child)
                    .and_then(|s| Software::from_comm(&s.comm))
                    .unwrap_or(Software::Other);
                stack.push((child, child_software));
            }
        }

        let mut names = UserNames::default();
        let mut hidden_fds = 0;
        let mut processes = BTreeMap::new();
        let mut held: HashMap<u32, Vec<u64>> = HashMap::new();
        for (pid, software) in selected {
            let Some(stat) = all.get(&pid).cloned() else {
                continue;
            };
            let args = match args_cache.remove(&pid) {
                Some(a) => a,
                None => proc.cmdline(pid).unwrap_or_default(),
            };
            let uid = proc.ids(pid).ok().map(|i| i.uid);
            let parent_uid = proc.ids(stat.ppid).ok().map(|i| i.uid);
            let (listening, connections, fds_visible) = match proc.socket_inodes(pid) {
                Ok(inodes) => {
                    let listening = inodes
                        .iter()
                        .copied()
                        .filter(|&i| listeners.contains(i))
                        .collect();
                    held.insert(pid, inodes);
                    (listening, 0, true)
                }
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
                    hidden_fds += 1;
                    (Vec::new(), 0, false)
                }
                Err(_) => (Vec::new(), 0, true),
            };
            let pool = args.first().and_then(|t| pool_from_title(t));
            // `app.fcgi` started through `#!/usr/bin/python3` is Python.
            let software = match software {
                Software::Other => args
                    .first()
                    .and_then(|a| a.rsplit('/').next())
                    .and_then(Software::from_comm)
                    .filter(|s| s.is_interpreter())
                    .unwrap_or(Software::Other),
                known => known,
            };
            let apache_master = software == Software::Apache
                && all
                    .get(&stat.ppid)
                    .and_then(|s| Software::from_comm(&s.comm))
                    != Some(Software::Apache);
            let modules = if apache_master {
                proc.apache_modules(pid)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|m| {
                        m.starts_with("mpm_")
                            || m.starts_with("php")
                            || matches!(m.as_str(), "proxy_fcgi" | "fcgid" | "fastcgi")
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let user = uid.map_or_else(|| "?".to_string(), |u| names.user(u));
            processes.insert(
                pid,
                Process {
                    role: Role::Other,
                    software,
                    pool,
                    args,
                    uid,
                    parent_uid,
                    user,
                    listening,
                    connections,
                    fds_visible,
                    modules,
                    stat,
                },
            );
        }
        // A worker holding a socket that is neither unix nor listening may be
        // serving a TCP client: only then is the connection table read.
        let mut listeners = listeners;
        let tcp_client = held.iter().any(|(pid, inodes)| {
            processes.get(pid).is_some_and(|p: &Process| {
                matches!(
                    p.software,
                    Software::PhpFpm | Software::PhpCgi | Software::Fcgiwrap
                ) || p.software.is_interpreter()
            }) && inodes
                .iter()
                .any(|i| !listeners.unix_all.contains(i) && !listeners.contains(*i))
        });
        if tcp_client && !listeners.tcp.is_empty() {
            proc.add_accepted_tcp(&mut listeners);
        }
        for (pid, inodes) in &held {
            if let Some(p) = processes.get_mut(pid) {
                p.connections = inodes
                    .iter()
                    .filter(|i| listeners.accepted.contains(i))
                    .count();
            }
        }
        assign_roles(&mut processes);
        Ok(Self {
            processes,
            all,
            listeners,
            uptime,
            clock_ticks: proc.clock_ticks(),
            hidden_fds,
            as_root,
        })
    }

    /// Seconds the process has been running.
    pub fn age(&self, stat: &Stat) -> f64 {
        (self.uptime - stat.start_ticks as f64 / self.clock_ticks as f64).max(0.0)
    }

    pub fn cpu_seconds(&self, stat: &Stat) -> f64 {
        stat.cpu_ticks as f64 / self.clock_ticks as f64
    }

    /// The pids holding any of `inodes`: the FastCGI side first, the rest of
    /// the machine only when nobody there holds one.
    pub fn holders(&self, proc: &ProcFs, inodes: &HashSet<u64>) -> Holders {
        let mut holders = Holders::default();
        for p in self.processes.values() {
            if !p.fds_visible {
                continue;
            }
            for &inode in &p.listening {
                if inodes.contains(&inode) {
                    holders.found.push((p.pid(), inode));
                }
            }
        }
        if !holders.found.is_empty() {
            return holders;
        }
        let mut pids: Vec<u32> = self
            .all
            .keys()
            .filter(|p| !self.processes.contains_key(p))
            .copied()
            .collect();
        pids.sort_unstable();
        for pid in pids {
            match proc.socket_inodes(pid) {
                Ok(held) => holders.found.extend(
                    held.into_iter()
                        .filter(|i| inodes.contains(i))
                        .map(|i| (pid, i)),
                ),
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => holders.hidden += 1,
                Err(_) => {}
            }
        }
        holders
    }

    /// The web server processes that serve clients (workers, or a master that
    /// serves by itself), started by root or the caller (see [`trusted_uid`]).
    pub fn web_workers(&self) -> impl Iterator<Item = &Process> {
        self.processes.values().filter(|p| {
            p.software.is_web_server()
                && p.role == Role::WebWorker
                && p.parent_uid.is_some_and(trusted_uid)
        })
    }

    /// The configuration file of the php-fpm master that `p` is or serves, as
    /// its title names it.
    /// Only a master run by root or the caller is believed (see
    /// [`trusted_uid`]): any user may title a process `php-fpm: master
    /// process (FILE)`.
    pub fn fpm_config_path(&self, p: &Process) -> Option<std::path::PathBuf> {
        if p.software != Software::PhpFpm {
            return None;
        }
        let master = if p.role == Role::ProcessManager {
            p
        } else {
            self.processes.get(&p.stat.ppid)?
        };
        if !master.uid.is_some_and(trusted_uid) {
            return None;
        }
        super::fpmconf::path_from_title(master.args.first()?)
    }

    pub fn children_of(&self, pid: u32) -> impl Iterator<Item = &Process> {
        self.processes.values().filter(move |p| p.stat.ppid == pid)
    }
}

/// Who holds a set of socket inodes.
#[derive(Debug, Default)]
pub struct Holders {
    /// (pid, inode) pairs.
    pub found: Vec<(u32, u64)>,
    /// Processes whose descriptors could not be read.
    pub hidden: usize,
}

/// A Python, Perl or Ruby process is a FastCGI app when its command line or
/// its script says so: flup, `.fcgi` scripts, the FCGI modules. Loose matches
/// would pull in unrelated programs (and everything they start), so the words
/// are specific.
fn speaks_fastcgi(args: &[String], cwd: &std::path::Path) -> bool {
    let in_args = |a: &String| {
        let a = a.to_ascii_lowercase();
        a.ends_with(".fcgi")
            || a.contains("flup")
            || a.contains("fastcgi")
            || a.starts_with("-mfcgi")
            || a == "fcgi"
    };
    if args.iter().any(in_args) {
        return true;
    }
    // The script is the first argument that names a file; read its head.
    args.iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .take(2)
        .any(|a| script_head(&cwd.join(a)).is_some_and(|head| script_speaks_fastcgi(&head)))
}

/// What a FastCGI script imports: flup, Python's `fcgi`, Perl's `FCGI` and
/// `CGI::Fast`, Ruby's `fcgi`.
fn script_speaks_fastcgi(head: &str) -> bool {
    const WORDS: &[&str] = &[
        "flup",
        "fastcgi",
        "import fcgi",
        "from fcgi",
        "use fcgi",
        "cgi::fast",
        "require 'fcgi'",
        "require \"fcgi\"",
    ];
    let head = head.to_ascii_lowercase();
    WORDS.iter().any(|w| head.contains(w))
}

fn script_head(path: &std::path::Path) -> Option<String> {
    super::files::read_regular_text(path, 16 * 1024).ok()
}

/// `php-fpm: pool www` → `www`.
fn pool_from_title(title: &str) -> Option<String> {
    title
        .strip_prefix("php-fpm: pool ")
        .map(|p| p.trim().to_string())
}

/// Roles need the tree: a web server child that has FastCGI children is
/// mod_fcgid's or mod_fastcgi's process manager, a php-cgi or fcgiwrap with
/// children of its own kind is their manager.
fn assign_roles(processes: &mut BTreeMap<u32, Process>) {
    let mut kids: HashMap<u32, Vec<Software>> = HashMap::new();
    for p in processes.values() {
        kids.entry(p.stat.ppid).or_default().push(p.software);
    }
    let parent_software: HashMap<u32, Software> = processes
        .iter()
        .map(|(&pid, p)| (pid, p.software))
        .collect();
    // A threaded Apache that loaded mod_fcgid or mod_fastcgi has one
    // single-threaded child that is not a worker: the process manager.
    let fcgi_pm_parents: HashSet<u32> = processes
        .values()
        .filter(|p| {
            p.modules.iter().any(|m| m == "fcgid" || m == "fastcgi")
                && p.modules
                    .iter()
                    .any(|m| m == "mpm_event" || m == "mpm_worker")
        })
        .map(|p| p.stat.pid)
        .collect();
    for p in processes.values_mut() {
        let parent = parent_software.get(&p.stat.ppid).copied();
        let children = kids.get(&p.stat.pid).map(Vec::as_slice).unwrap_or(&[]);
        let title = p.args.first().map(String::as_str).unwrap_or("");
        p.role = match p.software {
            Software::Apache | Software::Lighttpd | Software::Nginx => {
                if p.software == Software::Nginx {
                    // Titles say it; without them, the parent does.
                    let worker = if title.starts_with("nginx:") {
                        !title.starts_with("nginx: master")
                    } else {
                        parent == Some(Software::Nginx)
                    };
                    if worker {
                        Role::WebWorker
                    } else {
                        Role::WebServer
                    }
                } else if parent != Some(p.software) {
                    Role::WebServer
                } else if children.iter().any(|s| !s.is_web_server())
                    || (fcgi_pm_parents.contains(&p.stat.ppid) && p.stat.threads == 1)
                {
                    Role::ProcessManager
                } else {
                    Role::WebWorker
                }
            }
            Software::PhpFpm if p.pool.is_some() => Role::PoolWorker,
            Software::PhpFpm => Role::ProcessManager,
            Software::SpawnFcgi => Role::ProcessManager,
            Software::PhpCgi | Software::Fcgiwrap
                if children.contains(&p.software) && parent != Some(p.software) =>
            {
                Role::ProcessManager
            }
            Software::PhpCgi | Software::Fcgiwrap => Role::App,
            Software::Python | Software::Perl | Software::Ruby | Software::Other => {
                // A child of a web server without a listening socket is a
                // piped logger or a CGI script, not a FastCGI application
                // (mod_fcgid's applications listen on their fd 0).
                if !p.listening.is_empty()
                    || parent == Some(Software::SpawnFcgi)
                    || (parent.is_none() && p.software != Software::Other)
                {
                    Role::App
                } else {
                    Role::Other
                }
            }
        };
    }
}

/// Caches uid → name lookups: the password database is slow to ask 2,000 times.
#[derive(Default)]
pub struct UserNames(HashMap<u32, String>);

impl UserNames {
    pub fn user(&mut self, uid: u32) -> String {
        self.0
            .entry(uid)
            .or_insert_with(|| super::nss::user_name(uid))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_names_come_from_titles() {
        assert_eq!(pool_from_title("php-fpm: pool www").as_deref(), Some("www"));
        assert_eq!(
            pool_from_title("php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"),
            None
        );
    }

    #[test]
    fn software_is_known_by_its_kernel_name() {
        assert_eq!(Software::from_comm("php-fpm8.2"), Some(Software::PhpFpm));
        assert_eq!(Software::from_comm("php-cgi8.2"), Some(Software::PhpCgi));
        assert_eq!(Software::from_comm("apache2"), Some(Software::Apache));
        assert_eq!(Software::from_comm("python3.11"), Some(Software::Python));
        assert_eq!(Software::from_comm("bash"), None);
    }

    #[test]
    fn interpreters_need_fastcgi_evidence() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let speaks_fastcgi = |a: &[String]| speaks_fastcgi(a, std::path::Path::new("/"));
        assert!(speaks_fastcgi(&args(&["python3", "/srv/app/app.fcgi"])));
        assert!(speaks_fastcgi(&args(&["perl", "-MFCGI", "x.pl"])));
        assert!(!speaks_fastcgi(&args(&["python3", "-m", "http.server"])));
        // The tool's own name is not evidence.
        assert!(!speaks_fastcgi(&args(&[
            "python3",
            "-",
            "/usr/bin/fcgi-doctor"
        ])));
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("server.py");
        std::fs::write(&script, "from flup.server.fcgi import WSGIServer\n").unwrap();
        assert!(speaks_fastcgi(&args(&[
            "python3",
            script.to_str().unwrap()
        ])));
    }
}
