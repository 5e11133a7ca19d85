//! The configuration of every FastCGI participant on a host, parsed and never
//! executed: Apache ([`apache`]), nginx ([`nginx`]) and php-fpm
//! ([`super::fpmconf`]). Files are read under the host's
//! [`super::files::ConfigRoot`]; a missing or unreadable file is a note.

pub mod apache;
pub mod nginx;

use std::path::PathBuf;
use std::rc::Rc;

use serde::{Serialize, Serializer};

/// Where a directive was written, as the host names the file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Origin {
    pub file: PathBuf,
    /// 1-based.
    pub line: u32,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// Largest configuration file read (a bigger one is a note, not a hang).
pub const MAX_FILE: u64 = 8 * 1024 * 1024;
/// Most files one configuration may include, and deepest nesting.
pub const MAX_FILES: usize = 2000;
pub const MAX_DEPTH: u8 = 16;

use std::path::Path;

use super::files::ConfigRoot;
use super::fpmconf::{self, FpmConfig};
use super::processes::{Role, Snapshot, Software};

/// The configuration files named on the command line. When any is given,
/// only those are read: the flags describe the setup to check.
#[derive(Clone, Debug, Default)]
pub struct Given {
    pub apache: Option<PathBuf>,
    pub nginx: Option<PathBuf>,
    pub fpm: Vec<PathBuf>,
    /// The text of `nginx -T`, read instead of nginx's files.
    pub nginx_dump: Option<String>,
}

impl Given {
    pub fn any(&self) -> bool {
        self.apache.is_some()
            || self.nginx.is_some()
            || !self.fpm.is_empty()
            || self.nginx_dump.is_some()
    }
}

/// Everything FastCGI a host is configured for.
#[derive(Debug, Default, Serialize)]
pub struct HostConfig {
    pub apache: Option<apache::ApacheConfig>,
    pub nginx: Option<nginx::NginxConfig>,
    pub fpm: Vec<FpmConfig>,
    /// What was looked for, and where: said when nothing is found.
    pub looked: Vec<String>,
    /// nginx's configuration came from `nginx -T` output, maybe another
    /// host's or a container's: its backends are not looked for here.
    #[serde(skip)]
    pub nginx_dumped: bool,
}

/// Finds and reads the configurations: the files given, or those the running
/// masters name (`apache2 -f`, `nginx -c`, php-fpm's title), or the usual
/// places under `root`.
pub fn discover(root: &ConfigRoot, snapshot: Option<&Snapshot>, given: &Given) -> HostConfig {
    let mut config = HostConfig::default();
    // The running masters are this host's: a configuration root of another
    // (a test fixture, a mounted image) has none of them.
    let running = snapshot
        .filter(|_| root.is_host())
        .map(running_configs)
        .unwrap_or_default();
    let apache_main = match (&given.apache, given.any()) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => None,
        (None, false) => running.apache.clone().or_else(|| apache::find_main(root)),
    };
    let nginx_main = match (&given.nginx, given.any()) {
        (Some(path), _) => Some(path.clone()),
        (None, true) => None,
        (None, false) => running.nginx.clone().or_else(|| nginx::find_main(root)),
    };
    let mut fpm_mains = given.fpm.clone();
    if !given.any() {
        fpm_mains.extend(running.fpm.iter().cloned());
        fpm_mains.extend(fpmconf::installed(root));
    }
    let mut seen = std::collections::BTreeSet::new();
    fpm_mains.retain(|p| seen.insert(p.clone()));
    if given.any() {
        config
            .looked
            .push("the files given on the command line".into());
    } else {
        config.looked.push(
            "Apache: the running master's -f, /etc/apache2/apache2.conf, /etc/httpd/conf/httpd.conf, \
             /etc/apache2/conf/httpd.conf, /etc/apache2/httpd.conf, /usr/local/apache2/conf/httpd.conf, \
             /usr/local/etc/apache24/httpd.conf"
                .into(),
        );
        config.looked.push(
            "nginx: the running master's -c, /etc/nginx/nginx.conf, /usr/local/nginx/conf/nginx.conf, \
             /usr/local/etc/nginx/nginx.conf"
                .into(),
        );
        config.looked.push(
            "php-fpm: the running masters' titles, /etc/php/*/fpm/php-fpm.conf, /etc/php-fpm.conf, \
             /usr/local/etc/php-fpm.conf, /etc/php*/php-fpm.conf, /etc/opt/remi/*/php-fpm.conf, \
             /opt/cpanel/ea-php*/root/etc/php-fpm.conf, /opt/plesk/php/*/etc/php-fpm.conf"
                .into(),
        );
    }
    config.apache = apache_main.map(|main| apache::load(root, &main));
    config.nginx_dumped = given.nginx_dump.is_some();
    config.nginx = match &given.nginx_dump {
        Some(dump) => Some(nginx::parse_dump(dump)),
        None => nginx_main.map(|main| nginx::load(root, &main)),
    };
    config.fpm = fpm_mains
        .iter()
        .map(|main| fpmconf::load(root, main))
        .collect();
    config
}

/// The configuration files the running masters were started with.
#[derive(Debug, Default)]
struct Running {
    apache: Option<PathBuf>,
    nginx: Option<PathBuf>,
    fpm: Vec<PathBuf>,
}

fn running_configs(snapshot: &Snapshot) -> Running {
    let mut running = Running::default();
    // Only masters run by root or the caller name files to read: any user
    // may start a process called apache2 with `-f FILE`.
    let trusted = snapshot
        .processes
        .values()
        .filter(|p| p.uid.is_some_and(super::processes::trusted_uid));
    for p in trusted {
        let words: Vec<&str> = p.args.iter().flat_map(|a| a.split_whitespace()).collect();
        match (p.software, p.role) {
            (Software::Apache, Role::WebServer) if running.apache.is_none() => {
                running.apache = apache_main_from_args(&words);
            }
            (Software::Nginx, Role::WebServer) if running.nginx.is_none() => {
                running.nginx = flag_value(&words, "-c").map(PathBuf::from);
            }
            (Software::PhpFpm, Role::ProcessManager) => {
                if let Some(path) = snapshot.fpm_config_path(p) {
                    if !running.fpm.contains(&path) {
                        running.fpm.push(path);
                    }
                }
            }
            _ => {}
        }
    }
    running
}

/// `httpd -d /etc/httpd -f conf/httpd.conf`: the file, relative to the root.
fn apache_main_from_args(words: &[&str]) -> Option<PathBuf> {
    let file = flag_value(words, "-f")?;
    let file = Path::new(file);
    Some(match (file.is_absolute(), flag_value(words, "-d")) {
        (false, Some(root)) => Path::new(root).join(file),
        _ => file.to_path_buf(),
    })
}

/// `-c FILE` or `-cFILE`.
fn flag_value<'a>(words: &[&'a str], flag: &str) -> Option<&'a str> {
    let mut iter = words.iter();
    while let Some(w) = iter.next() {
        if *w == flag {
            return iter.next().copied();
        }
        if let Some(rest) = w.strip_prefix(flag).filter(|r| !r.is_empty()) {
            return Some(rest);
        }
    }
    None
}

/// One FastCGI backend a web server is configured to reach.
#[derive(Clone, Debug, Serialize)]
pub struct WebEndpoint {
    /// `apache` or `nginx`.
    pub server: &'static str,
    /// `unix:/run/php/php8.2-fpm.sock` or `127.0.0.1:9000`, as `probe` takes it.
    pub address: String,
    /// Where: the virtual host or server and the location.
    pub context: String,
    /// An nginx location as written (`~ \.php$`), for the status-page check.
    #[serde(skip)]
    pub location: Option<String>,
    /// The web server's timeout for the backend in seconds, its default
    /// applied, and the directive that sets it.
    pub timeout: u64,
    pub timeout_directive: &'static str,
    /// nginx: the SCRIPT_FILENAME it sends (None: none); Apache: not known.
    pub script_filename: Option<String>,
    #[serde(skip)]
    pub checks_script_filename: bool,
    /// nginx allow/deny rules in force there, shared with nginx's endpoint.
    #[serde(skip)]
    pub access_rules: Rc<Vec<String>>,
    /// Named by a variable (`fastcgi_pass $backend`): not checked.
    pub dynamic: bool,
    /// Read from another host's configuration (an `nginx -T` dump): what
    /// listens here says nothing of it.
    #[serde(skip)]
    pub elsewhere: bool,
    pub origin: Origin,
}

/// A list records share, written as the list itself: serde's `rc` feature,
/// which would do the same, is not enabled.
pub(crate) fn serialize_shared<S: Serializer, T: Serialize>(
    list: &Rc<T>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    T::serialize(list, serializer)
}

/// nginx's and Apache's default timeout for a backend's answer, in seconds.
const DEFAULT_TIMEOUT: u64 = 60;

impl HostConfig {
    /// Every backend the web servers are configured to reach, in file order.
    pub fn endpoints(&self) -> Vec<WebEndpoint> {
        let mut out = Vec::new();
        if let Some(a) = &self.apache {
            for e in &a.endpoints {
                let context = [
                    e.vhost.as_deref().map(|v| format!("<VirtualHost {v}>")),
                    e.scope.clone(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                out.push(WebEndpoint {
                    server: "apache",
                    address: e.address.clone(),
                    context: if context.is_empty() {
                        "main server".into()
                    } else {
                        context
                    },
                    location: None,
                    timeout: e.timeout.unwrap_or(DEFAULT_TIMEOUT),
                    timeout_directive: "ProxyTimeout",
                    script_filename: None,
                    checks_script_filename: false,
                    access_rules: Rc::default(),
                    dynamic: false,
                    elsewhere: false,
                    origin: e.origin.clone(),
                });
            }
        }
        if let Some(n) = &self.nginx {
            for e in &n.endpoints {
                let mut context = match &e.server_name {
                    Some(name) => format!("server {name}"),
                    None => "server".to_string(),
                };
                if let Some(l) = &e.location {
                    context.push_str(&format!(", location {l}"));
                }
                out.push(WebEndpoint {
                    server: "nginx",
                    address: e.address.clone(),
                    context,
                    location: e.location.clone(),
                    timeout: e.read_timeout.unwrap_or(DEFAULT_TIMEOUT),
                    timeout_directive: "fastcgi_read_timeout",
                    script_filename: e.script_filename.clone(),
                    checks_script_filename: true,
                    access_rules: Rc::clone(&e.access_rules),
                    dynamic: e.dynamic,
                    elsewhere: self.nginx_dumped,
                    origin: e.origin.clone(),
                });
            }
        }
        out
    }

    /// Whether any web server's configuration was read.
    pub fn has_web_server(&self) -> bool {
        self.apache.as_ref().is_some_and(|a| !a.files.is_empty())
            || self.nginx.as_ref().is_some_and(|n| !n.files.is_empty())
    }

    /// Every note of every configuration read.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(a) = &self.apache {
            notes.extend(a.notes.iter().map(|n| format!("Apache: {n}")));
        }
        if let Some(n) = &self.nginx {
            notes.extend(n.notes.iter().map(|x| format!("nginx: {x}")));
        }
        if self.nginx_dumped {
            notes.push(
                "nginx's configuration was read from `nginx -T` output: its backends are not \
                 looked for on this host (run fcgi-doctor where nginx runs to check them)"
                    .into(),
            );
        }
        for f in &self.fpm {
            notes.extend(f.notes.iter().map(|n| format!("php-fpm: {n}")));
        }
        notes
    }
}

/// An address as configured: a unix socket or a TCP host and port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Address {
    Unix(PathBuf),
    /// `host` None for php-fpm's bare port or a wildcard: every address.
    Tcp {
        host: Option<String>,
        port: u16,
    },
}

impl Address {
    /// Reads `unix:/p`, `unix:/p:` (nginx), `/p`, `host:port`, `[v6]:port`,
    /// `*:port`, and php-fpm's bare `9000`.
    pub fn parse(text: &str) -> Option<Address> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("unix:") {
            // nginx's `unix:/p:`, Apache's `unix:///p`.
            let path = path.strip_suffix(':').unwrap_or(path);
            let path = format!("/{}", path.trim_start_matches('/'));
            return Some(Address::Unix(PathBuf::from(path)));
        }
        if text.starts_with('/') {
            return Some(Address::Unix(PathBuf::from(text)));
        }
        if let Ok(port) = text.parse::<u16>() {
            return Some(Address::Tcp { host: None, port });
        }
        let (host, port) = text.rsplit_once(':')?;
        let port = port.parse().ok()?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let wildcard = matches!(host, "" | "*" | "0.0.0.0" | "::");
        Some(Address::Tcp {
            host: (!wildcard).then(|| host.to_ascii_lowercase()),
            port,
        })
    }

    /// Whether a connection to `self` reaches a listener bound to `bound`.
    pub fn reaches(&self, bound: &Address) -> bool {
        match (self, bound) {
            (Address::Unix(a), Address::Unix(b)) => a == b,
            (Address::Tcp { host: h1, port: p1 }, Address::Tcp { host: h2, port: p2 }) => {
                p1 == p2
                    && match (h1, h2) {
                        (_, None) | (None, _) => true,
                        (Some(a), Some(b)) => a == b || (is_loopback(a) && is_loopback(b)),
                    }
            }
            _ => false,
        }
    }

    /// How `probe` takes it, and how findings name it: a unix path as is,
    /// a wildcard TCP address by loopback.
    pub fn target(&self) -> String {
        match self {
            Address::Unix(p) => p.display().to_string(),
            Address::Tcp { host: None, port } => format!("127.0.0.1:{port}"),
            Address::Tcp {
                host: Some(h),
                port,
            } if h.contains(':') => format!("[{h}]:{port}"),
            Address::Tcp {
                host: Some(h),
                port,
            } => format!("{h}:{port}"),
        }
    }

    /// A TCP address on another host (not loopback, not this host's wildcard).
    pub fn is_remote(&self) -> bool {
        match self {
            Address::Tcp { host: Some(h), .. } => !is_loopback(h),
            _ => false,
        }
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host == "ip6-localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_each_server_writes_them_compare() {
        let fpm = |s| Address::parse(s).unwrap();
        assert!(fpm("unix:/run/php/x.sock:").reaches(&fpm("/run/php/x.sock")));
        assert_eq!(fpm("unix:///run/x.sock").target(), "/run/x.sock");
        assert!(fpm("127.0.0.1:9000").reaches(&fpm("9000")));
        assert!(fpm("localhost:9000").reaches(&fpm("127.0.0.1:9000")));
        assert!(fpm("[::1]:9000").reaches(&fpm("[::]:9000")));
        assert!(!fpm("127.0.0.1:9000").reaches(&fpm("127.0.0.1:9001")));
        assert!(!fpm("10.0.0.5:9000").reaches(&fpm("127.0.0.1:9000")));
        assert!(fpm("10.0.0.5:9000").is_remote());
        assert!(!fpm("9000").is_remote());
        assert_eq!(Address::parse("php"), None);
    }

    #[test]
    fn running_masters_name_their_files() {
        let words = [
            "/usr/sbin/httpd",
            "-d",
            "/etc/httpd",
            "-f",
            "conf/httpd.conf",
            "-k",
            "start",
        ];
        assert_eq!(
            apache_main_from_args(&words),
            Some(PathBuf::from("/etc/httpd/conf/httpd.conf"))
        );
        let nginx = [
            "nginx:",
            "master",
            "process",
            "/usr/sbin/nginx",
            "-c",
            "/tmp/lab/nginx.conf",
        ];
        assert_eq!(flag_value(&nginx, "-c"), Some("/tmp/lab/nginx.conf"));
        assert_eq!(flag_value(&["apache2", "-k", "start"], "-f"), None);
    }
}
