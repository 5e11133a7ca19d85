//! Just enough of php-fpm's configuration to judge a pool: where it listens,
//! who may connect, and how many workers it may have. Read from the file a
//! master names in its title, `php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)`,
//! under the host's [`ConfigRoot`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use super::files::ConfigRoot;

/// One `[pool]` section.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Pool {
    pub name: String,
    pub listen: Option<String>,
    pub allowed_clients: Option<String>,
    pub pm: Option<String>,
    pub max_children: Option<u32>,
    /// `pm.status_path` and `pm.status_listen`: the status page, and the
    /// address of its own worker (PHP 8.0+).
    pub status_path: Option<String>,
    pub status_listen: Option<String>,
    /// As written (`30s`, `5m`, `0`).
    pub request_terminate_timeout: Option<String>,
    pub user: Option<String>,
    pub group: Option<String>,
    /// `listen.owner`, `listen.group`, `listen.mode` and `listen.acl_users`:
    /// who may connect to a unix socket.
    pub listen_owner: Option<String>,
    pub listen_group: Option<String>,
    pub listen_mode: Option<String>,
    pub listen_acl_users: Option<String>,
    pub ping_path: Option<String>,
    pub catch_workers_output: Option<String>,
    pub slowlog: Option<String>,
    /// `php_admin_value[max_execution_time]` or `php_value[...]`, seconds.
    pub max_execution_time: Option<String>,
    /// The file the section is in, and the line of its `[name]`.
    pub file: PathBuf,
    pub line: u32,
}

/// Every pool of one master's configuration, in file order.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FpmConfig {
    /// The main file, as the host names it.
    pub file: PathBuf,
    pub pools: Vec<Pool>,
    /// `[global]` `error_log` (a file; `syslog` is left out).
    pub error_log: Option<PathBuf>,
    /// Every file read, and what could not be read.
    pub files: Vec<PathBuf>,
    pub notes: Vec<String>,
}

impl FpmConfig {
    /// The pool that listens on `address`, as written in `listen =` (a path,
    /// or `host:port`, or a bare port).
    pub fn pool_listening_on(&self, address: &str) -> Option<&Pool> {
        self.pools.iter().find(|p| {
            p.listen.as_deref().is_some_and(|l| {
                l == address
                    || address
                        .rsplit_once(':')
                        .is_some_and(|(_, port)| l == port || l.ends_with(&format!(":{port}")))
            })
        })
    }
}

/// The configuration path in a master's title.
pub fn path_from_title(title: &str) -> Option<PathBuf> {
    let rest = title.strip_prefix("php-fpm: master process (")?;
    Some(PathBuf::from(rest.strip_suffix(')')?))
}

/// Reads a configuration (a path on the host, read under `root`) and the files
/// it includes (one level of `*` globbing in the file name, as Debian's
/// `include=/etc/php/8.2/fpm/pool.d/*.conf`). Pools name their files as the
/// host does.
pub fn load(root: &ConfigRoot, path: &Path) -> FpmConfig {
    let mut reader = Reader::new(root, path);
    reader.read_file(path, 0);
    reader.config
}

/// Files read at most; php-fpm has no such limit, but a directory of a
/// million files named by an include must not keep the reader busy for hours.
const MAX_FILES: usize = 2000;
/// Largest file read, and bytes read over all files: MAX_FILES files of
/// MAX_FILE each would be 8 GB.
const MAX_FILE: u64 = 4 * 1024 * 1024;
const MAX_TOTAL: u64 = 64 * 1024 * 1024;
/// Pools kept: each costs some 700 bytes, so a 4 MB file of `[x]` lines
/// made 340 MB; a host with thousands of pools is already a large one.
const MAX_POOLS: usize = 20_000;
/// Longest value once `$pool` is replaced by the pool's name (php-fpm's
/// fpm_conf_expand_pool_name): a 1 MiB name in 1 MiB of `$pool`, a 2 MB
/// file, asked for 220 GB. Real values are paths and addresses.
const MAX_VALUE: usize = 64 * 1024;

struct Reader<'a> {
    root: &'a ConfigRoot,
    config: FpmConfig,
    /// Pools by name, as indexes into `config.pools`.
    pools: BTreeMap<String, usize>,
    visited: BTreeSet<PathBuf>,
    /// Each include's files: an include met in each of N files would
    /// otherwise list the directory N times.
    globbed: HashMap<PathBuf, Rc<[PathBuf]>>,
    /// Whether MAX_FILES or MAX_TOTAL was reached (said once).
    limited: bool,
    bytes: u64,
    /// Whether MAX_POOLS was reached, and whether a value was left
    /// unexpanded for MAX_VALUE (each said once).
    pools_cut: bool,
    value_cut: bool,
}

impl<'a> Reader<'a> {
    fn new(root: &'a ConfigRoot, main: &Path) -> Self {
        Reader {
            root,
            config: FpmConfig {
                file: main.to_path_buf(),
                ..FpmConfig::default()
            },
            pools: BTreeMap::new(),
            visited: BTreeSet::new(),
            globbed: HashMap::new(),
            limited: false,
            bytes: 0,
            pools_cut: false,
            value_cut: false,
        }
    }

    /// The index of pool `name`, made at its first `[name]`; None past
    /// MAX_POOLS (said once).
    fn pool(&mut self, name: &str, file: &Path, line: u32) -> Option<usize> {
        if let Some(&i) = self.pools.get(name) {
            return Some(i);
        }
        let pools = &mut self.config.pools;
        if pools.len() >= MAX_POOLS {
            if !std::mem::replace(&mut self.pools_cut, true) {
                let at = file.display();
                let note =
                    format!("more than {MAX_POOLS} pools: those from {at}:{line} on not read");
                self.config.notes.push(note);
            }
            return None;
        }
        self.pools.insert(name.to_string(), pools.len());
        pools.push(Pool {
            name: name.to_string(),
            file: file.to_path_buf(),
            line,
            ..Pool::default()
        });
        Some(pools.len() - 1)
    }

    fn read_file(&mut self, path: &Path, depth: u8) {
        // Bounded: a file is read once, and includes nest at most four deep, so
        // configurations that include each other end.
        if depth > 4 || self.visited.contains(path) {
            return;
        }
        if self.visited.len() >= MAX_FILES || self.bytes >= MAX_TOTAL {
            if !std::mem::replace(&mut self.limited, true) {
                let shown = path.display();
                let what = match self.bytes >= MAX_TOTAL {
                    true => format!("{MAX_TOTAL} bytes"),
                    false => format!("{MAX_FILES} files"),
                };
                let note = format!("more than {what}: {shown} and later ones not read");
                self.config.notes.push(note);
            }
            return;
        }
        self.visited.insert(path.to_path_buf());
        let root = self.root;
        let limit = MAX_FILE.min(MAX_TOTAL - self.bytes);
        let text = match super::files::read_regular_text(&root.file(path), limit) {
            Ok(text) => text,
            Err(e) => {
                let note = format!("cannot read {}: {e}", path.display());
                self.config.notes.push(note);
                return;
            }
        };
        self.bytes += text.len() as u64;
        self.config.files.push(path.to_path_buf());
        let mut section: Option<usize> = None;
        let mut global = true;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                let name = name.trim();
                global = name == "global";
                section = match global {
                    true => None,
                    false => self.pool(name, path, number as u32 + 1),
                };
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let key = key.trim();
            let value = value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .trim_matches('"')
                .to_string();
            if key == "include" {
                let pattern = include_pattern(path, &value);
                let files = match self.globbed.get(&pattern) {
                    Some(files) => Rc::clone(files),
                    None => {
                        let files: Rc<[PathBuf]> = expand_include(root, &pattern).into();
                        self.globbed.insert(pattern, Rc::clone(&files));
                        files
                    }
                };
                for file in files.iter() {
                    self.read_file(file, depth + 1);
                }
                section = None;
                continue;
            }
            if global && section.is_none() && key == "error_log" && !value.starts_with("syslog") {
                let log = Path::new(&value);
                // Relative to php-fpm's prefix, /var on Debian and most builds.
                self.config.error_log = Some(match log.is_absolute() {
                    true => log.to_path_buf(),
                    false => Path::new("/var").join(log),
                });
                continue;
            }
            let Some(pool) = section.and_then(|i| self.config.pools.get_mut(i)) else {
                continue;
            };
            // Left as written when the name would make it too long.
            let count = value.matches("$pool").count();
            let grown =
                (value.len() - 5 * count).saturating_add(pool.name.len().saturating_mul(count));
            let value = match grown <= MAX_VALUE {
                true if count > 0 => value.replace("$pool", &pool.name),
                true => value,
                false => {
                    if !std::mem::replace(&mut self.value_cut, true) {
                        self.config.notes.push(format!(
                            "{}:{}: `$pool` would make {key} longer than {MAX_VALUE} bytes; \
                             left as written (and any other such value)",
                            path.display(),
                            number + 1
                        ));
                    }
                    value
                }
            };
            match key {
                "listen" => pool.listen = Some(value),
                "listen.allowed_clients" => pool.allowed_clients = Some(value),
                "pm" => pool.pm = Some(value),
                "pm.max_children" => pool.max_children = value.parse().ok(),
                "pm.status_path" => pool.status_path = Some(value),
                "pm.status_listen" => pool.status_listen = Some(value),
                "request_terminate_timeout" => pool.request_terminate_timeout = Some(value),
                "user" => pool.user = Some(value),
                "group" => pool.group = Some(value),
                "listen.owner" => pool.listen_owner = Some(value),
                "listen.group" => pool.listen_group = Some(value),
                "listen.mode" => pool.listen_mode = Some(value),
                "listen.acl_users" => pool.listen_acl_users = Some(value),
                "ping.path" => pool.ping_path = Some(value),
                "catch_workers_output" => pool.catch_workers_output = Some(value),
                "slowlog" => pool.slowlog = Some(value),
                "php_admin_value[max_execution_time]" | "php_value[max_execution_time]" => {
                    pool.max_execution_time = Some(value)
                }
                _ => {}
            }
        }
    }
}

/// Every php-fpm main configuration installed under `root`, as host paths:
/// Debian's one per PHP version, RHEL's and Remi's, Alpine's, and the official
/// Docker image's (/usr/local/etc/php-fpm.conf, whose pools include
/// zz-docker.conf's `listen = 9000`).
pub fn installed(root: &ConfigRoot) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut versions = |dir: &str, inner: &str| {
        let Ok(entries) = std::fs::read_dir(root.file(dir)) else {
            return;
        };
        let mut names: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        for name in names {
            let path = Path::new(dir).join(name).join(inner);
            if root.file(&path).is_file() {
                found.push(path);
            }
        }
    };
    versions("/etc/php", "fpm/php-fpm.conf");
    versions("/etc/opt/remi", "php-fpm.conf");
    versions("/opt/cpanel", "root/etc/php-fpm.conf");
    versions("/opt/plesk/php", "etc/php-fpm.conf");
    for fixed in [
        "/etc/php-fpm.conf",
        "/usr/local/etc/php-fpm.conf",
        "/etc/php7/php-fpm.conf",
        "/etc/php8/php-fpm.conf",
        "/etc/php81/php-fpm.conf",
        "/etc/php82/php-fpm.conf",
        "/etc/php83/php-fpm.conf",
        "/etc/php84/php-fpm.conf",
    ] {
        if root.file(fixed).is_file() {
            found.push(PathBuf::from(fixed));
        }
    }
    found
}

/// The path an `include =` in file `config` names, as a host path.
fn include_pattern(config: &Path, pattern: &str) -> PathBuf {
    let pattern = Path::new(pattern);
    if pattern.is_absolute() {
        pattern.to_path_buf()
    } else {
        // php-fpm reads a relative include from its prefix: /usr/local for
        // the Docker image's /usr/local/etc/php-fpm.conf and its
        // `include=etc/php-fpm.d/*.conf`; else next to the file.
        let dir = config.parent().unwrap_or(Path::new("/"));
        match dir.file_name().is_some_and(|n| n == "etc") && pattern.starts_with("etc") {
            true => dir.parent().unwrap_or(Path::new("/")).join(pattern),
            false => dir.join(pattern),
        }
    }
}

/// The files an include pattern names, sorted.
fn expand_include(root: &ConfigRoot, pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (
        pattern.parent(),
        pattern.file_name().and_then(|n| n.to_str()),
    ) else {
        return Vec::new();
    };
    let Some((prefix, suffix)) = name.split_once('*') else {
        return vec![pattern.to_path_buf()];
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.file(dir))
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let e = e.ok()?;
            let n = e.file_name();
            let n = n.to_str()?;
            (n.len() >= prefix.len() + suffix.len() && n.starts_with(prefix) && n.ends_with(suffix))
                .then(|| dir.join(n))
        })
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_title_names_the_config() {
        assert_eq!(
            path_from_title("php-fpm: master process (/etc/php/8.2/fpm/php-fpm.conf)"),
            Some(PathBuf::from("/etc/php/8.2/fpm/php-fpm.conf"))
        );
        assert_eq!(path_from_title("php-fpm: pool www"), None);
    }

    /// Regression guard: every file includes the pattern that names them
    /// all, and there are more of them than the reader takes. The directory
    /// is listed once, and a note says where reading stopped.
    #[test]
    fn an_include_in_every_file_lists_its_directory_once() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let include = format!("include={}/pool.d/*.conf\n", d.display());
        std::fs::create_dir(d.join("pool.d")).unwrap();
        std::fs::write(d.join("php-fpm.conf"), &include).unwrap();
        for n in 0..MAX_FILES + 10 {
            let text = format!("{include}[p{n}]\nlisten = /run/p{n}.sock\n");
            std::fs::write(d.join(format!("pool.d/{n:05}.conf")), text).unwrap();
        }
        let root = ConfigRoot(PathBuf::from("/"));
        let mut reader = Reader::new(&root, &d.join("php-fpm.conf"));
        reader.read_file(&d.join("php-fpm.conf"), 0);
        assert_eq!(reader.globbed.len(), 1);
        let config = reader.config;
        assert_eq!(config.files.len(), MAX_FILES);
        assert_eq!(config.pools.len(), MAX_FILES - 1);
        let stopped = d.join("pool.d/01999.conf");
        let note = format!(
            "more than 2000 files: {} and later ones not read",
            stopped.display()
        );
        assert_eq!(config.notes, [note]);
    }

    /// Regression guard (security audit): `$pool` was replaced with no
    /// bound, so a 1 MiB pool name and a 1 MiB value of `$pool` (a 2 MB
    /// file) asked for 220 GB and aborted; here 100 MB. Such a value is left as
    /// written, once noted. And a 4 MB file of `[x]` lines made 340 MB of
    /// pools: they are MAX_POOLS at most.
    #[test]
    fn a_long_pool_name_in_many_pool_variables_stays_bounded() {
        let name = "p".repeat(50_000);
        let value = "$pool".repeat(2000);
        let mut conf = format!("[{name}]\nlisten = {value}\nslowlog = /var/log/$pool.log\n");
        conf += "[www]\nlisten = /run/php/$pool.sock\nuser = $pool$pool\n";
        for n in 0..MAX_POOLS + 10 {
            conf += &format!("[{n:x}]\n");
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("php-fpm.conf"), &conf).unwrap();
        let root = ConfigRoot(dir.path().to_path_buf());
        let config = load(&root, Path::new("/php-fpm.conf"));
        // Every string of the result, as JSON (an empty pool is 400 bytes).
        let json = serde_json::to_string(&config).unwrap().len();
        let bound = 2 * conf.len() + 400 * MAX_POOLS;
        assert!(json <= bound, "{json} bytes of JSON from {}", conf.len());
        let long = &config.pools[0];
        assert!(long.listen.as_ref() == Some(&value), "`$pool` replaced");
        let slowlog = format!("/var/log/{name}.log");
        assert!(
            long.slowlog.as_ref() == Some(&slowlog),
            "`$pool` not replaced"
        );
        let www = &config.pools[1];
        assert_eq!(www.listen.as_deref(), Some("/run/php/www.sock"));
        assert_eq!(www.user.as_deref(), Some("wwwwww"));
        assert_eq!(config.pools.len(), MAX_POOLS);
        let notes = [
            "/php-fpm.conf:2: `$pool` would make listen longer than 65536 bytes; left as \
             written (and any other such value)"
                .to_string(),
            format!("more than {MAX_POOLS} pools: those from /php-fpm.conf:20005 on not read"),
        ];
        assert_eq!(config.notes, notes);
    }

    #[test]
    fn pools_are_read_through_globbed_includes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("pool.d")).unwrap();
        std::fs::write(
            d.join("php-fpm.conf"),
            format!(
                "[global]\npid = /run/x.pid\ninclude={}/pool.d/*.conf\n",
                d.display()
            ),
        )
        .unwrap();
        std::fs::write(
            d.join("pool.d/www.conf"),
            "[www]\nuser = www-data\nlisten = /run/php/$pool.sock ; comment\n\
             pm = dynamic\npm.max_children = 5\n",
        )
        .unwrap();
        std::fs::write(
            d.join("pool.d/api.conf"),
            "[api]\nlisten = 0.0.0.0:9001\nlisten.allowed_clients = 10.0.0.5\n",
        )
        .unwrap();
        std::fs::write(d.join("pool.d/README"), "[ignored]\n").unwrap();
        let config = load(&ConfigRoot::default(), &d.join("php-fpm.conf"));
        assert_eq!(config.pools.len(), 2);
        let www = config.pools.iter().find(|p| p.name == "www").unwrap();
        assert_eq!(www.listen.as_deref(), Some("/run/php/www.sock"));
        assert_eq!(www.max_children, Some(5));
        assert_eq!(www.pm.as_deref(), Some("dynamic"));
        let api = config.pools.iter().find(|p| p.name == "api").unwrap();
        assert_eq!(api.allowed_clients.as_deref(), Some("10.0.0.5"));
    }

    #[test]
    fn the_pool_behind_an_address_is_found_under_the_config_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = ConfigRoot(dir.path().to_path_buf());
        std::fs::create_dir_all(dir.path().join("etc/php/fpm/pool.d")).unwrap();
        std::fs::write(
            dir.path().join("etc/php/fpm/php-fpm.conf"),
            "include=pool.d/*.conf\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("etc/php/fpm/pool.d/www.conf"),
            "[www]\nlisten = /run/php/www.sock\n[api]\nlisten = 9001\n",
        )
        .unwrap();
        let config = load(&root, Path::new("/etc/php/fpm/php-fpm.conf"));
        let www = config.pool_listening_on("/run/php/www.sock").unwrap();
        assert_eq!(www.name, "www");
        assert_eq!(www.file, Path::new("/etc/php/fpm/pool.d/www.conf"));
        assert_eq!(
            config.pool_listening_on("0.0.0.0:9001").unwrap().name,
            "api"
        );
        assert!(config.pool_listening_on("/run/other.sock").is_none());
    }

    #[test]
    fn a_config_that_includes_itself_ends() {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("loop.conf");
        std::fs::write(
            &conf,
            format!("include={}\n[a]\npm = static\n", conf.display()),
        )
        .unwrap();
        let config = load(&ConfigRoot::default(), &conf);
        assert_eq!(config.pools.len(), 1);
    }
}
