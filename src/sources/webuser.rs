//! The user the web server connects to FastCGI sockets as: given, seen running,
//! configured, or guessed from the distribution, in that order.

use std::collections::BTreeMap;
use std::ffi::CString;
use std::path::Path;

use serde::Serialize;

use super::files::ConfigRoot;
use super::processes::{Snapshot, Software};

/// The identity whose access to sockets is checked.
#[derive(Clone, Debug, Serialize)]
pub struct WebUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups, by name.
    pub groups: Vec<String>,
    #[serde(skip)]
    pub gids: Vec<u32>,
    /// How it was found: `--web-user`, the running workers, a config file, or a guess.
    pub source: String,
    /// True when nothing pointed at it but the distribution's default.
    pub guessed: bool,
}

/// The identity a permission check is made for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl Credentials {
    /// The effective identity of this process.
    pub fn current() -> Self {
        Self {
            uid: nix::unistd::geteuid().as_raw(),
            gid: nix::unistd::getegid().as_raw(),
            groups: nix::unistd::getgroups()
                .map(|g| g.into_iter().map(|g| g.as_raw()).collect())
                .unwrap_or_default(),
        }
    }

    /// Someone who is neither owner nor in any group: what "other" may do.
    pub fn anyone() -> Self {
        Self {
            uid: u32::MAX - 1,
            gid: u32::MAX - 1,
            groups: Vec::new(),
        }
    }
}

impl WebUser {
    pub fn credentials(&self) -> Credentials {
        Credentials {
            uid: self.uid,
            gid: self.gid,
            groups: self.gids.clone(),
        }
    }
}

/// Looks up a user by name, with its groups.
pub fn named(name: &str, source: &str) -> Result<WebUser, String> {
    let user = super::nss::user_by_name(name)
        .map_err(|e| format!("cannot read the user database: {e}"))?
        .ok_or_else(|| format!("no such user: {name}"))?;
    let gids = CString::new(name)
        .ok()
        .and_then(|c| nix::unistd::getgrouplist(&c, user.gid).ok())
        .map(|g| g.into_iter().map(|g| g.as_raw()).collect::<Vec<_>>())
        .unwrap_or_default();
    let groups = gids.iter().map(|&g| super::nss::group_name(g)).collect();
    Ok(WebUser {
        name: user.name,
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
        groups,
        gids,
        source: source.to_string(),
        guessed: false,
    })
}

/// Finds the web user without being told: from the running web server's
/// workers when the process table could be read, else from the configuration,
/// else the distribution's default (marked as guessed).
pub fn detect(snapshot: Option<&Snapshot>, config: &ConfigRoot) -> Option<WebUser> {
    let workers = snapshot
        .into_iter()
        .flat_map(Snapshot::web_workers)
        .filter_map(|p| {
            let uid = p.uid?;
            Some((p.pid(), p.software, uid))
        });
    from_workers(workers).or_else(|| configured_or_default(config))
}

/// The same as [`detect`], from a light scan of the process table (each
/// process's name and uid) instead of a full snapshot: what `probe` needs.
pub fn detect_light(proc: &super::procfs::ProcFs, config: &ConfigRoot) -> Option<WebUser> {
    let workers = super::processes::web_server_uids(proc).unwrap_or_default();
    from_workers(workers).or_else(|| configured_or_default(config))
}

/// The workers that actually connect: the most common non-root user of the
/// web servers' processes (a master runs as root).
fn from_workers(workers: impl IntoIterator<Item = (u32, Software, u32)>) -> Option<WebUser> {
    let mut seen: BTreeMap<u32, (usize, &'static str, u32)> = BTreeMap::new();
    for (pid, software, uid) in workers {
        if uid != 0 {
            let e = seen.entry(uid).or_insert((0, software_name(software), pid));
            e.0 += 1;
        }
    }
    let (&uid, &(_, server, pid)) = seen.iter().max_by_key(|(_, (n, _, _))| *n)?;
    let name = super::nss::user_name(uid);
    named(&name, &format!("running {server} workers (pid {pid})")).ok()
}

fn configured_or_default(config: &ConfigRoot) -> Option<WebUser> {
    // 2. What the configuration says.
    for (file, read) in CONFIGURED {
        let path = config.file(file);
        let text = super::files::read_regular_text(&path, 1024 * 1024).ok();
        if let Some(name) = text.and_then(|t| read(&t)) {
            if let Ok(user) = named(&name, &format!("{}", Path::new(file).display())) {
                return Some(user);
            }
        }
    }
    // 3. The distribution's default, said to be a guess.
    for name in ["www-data", "apache", "nginx", "http", "wwwrun", "www"] {
        if let Ok(mut user) = named(name, "distribution default") {
            user.guessed = true;
            return Some(user);
        }
    }
    None
}

fn software_name(software: Software) -> &'static str {
    match software {
        Software::Apache => "Apache",
        Software::Nginx => "nginx",
        Software::Lighttpd => "lighttpd",
        _ => "web server",
    }
}

type ConfigReader = fn(&str) -> Option<String>;

/// Configuration files that name the web server's user, most specific first.
const CONFIGURED: &[(&str, ConfigReader)] = &[
    ("/etc/apache2/envvars", apache_envvars_user),
    ("/etc/httpd/conf/httpd.conf", apache_user_directive),
    ("/etc/apache2/httpd.conf", apache_user_directive),
    ("/etc/nginx/nginx.conf", nginx_user_directive),
];

/// Debian's `export APACHE_RUN_USER=www-data`.
fn apache_envvars_user(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.trim();
        let l = l.strip_prefix("export ").unwrap_or(l);
        let value = l.strip_prefix("APACHE_RUN_USER=")?;
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
        (!value.is_empty() && !value.contains('$')).then(|| value.to_string())
    })
}

/// Apache's `User apache` (not inside a comment, not a `${VAR}`).
fn apache_user_directive(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let mut words = l.split_whitespace();
        let directive = words.next()?;
        let value = words.next()?.trim_matches('"');
        (directive.eq_ignore_ascii_case("User") && !value.starts_with('$') && !value.is_empty())
            .then(|| value.to_string())
    })
}

/// nginx's `user www-data;` or `user nginx nginx;` in the main context.
fn nginx_user_directive(text: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.split('#').next()?.trim();
        let rest = l.strip_prefix("user")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let value = rest
            .trim()
            .trim_end_matches(';')
            .split_whitespace()
            .next()?;
        Some(value.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_envvars_name_the_apache_user() {
        let text = "# envvars\nunset HOME\nexport APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\n";
        assert_eq!(apache_envvars_user(text).as_deref(), Some("www-data"));
        assert_eq!(apache_envvars_user("export APACHE_RUN_USER=$SUEXEC"), None);
    }

    #[test]
    fn apache_and_nginx_user_directives() {
        assert_eq!(
            apache_user_directive("ServerRoot /etc/httpd\nUser apache\nGroup apache\n").as_deref(),
            Some("apache")
        );
        assert_eq!(apache_user_directive("User ${APACHE_RUN_USER}\n"), None);
        assert_eq!(
            nginx_user_directive("user  nginx nginx;\nworker_processes auto;\n").as_deref(),
            Some("nginx")
        );
        assert_eq!(nginx_user_directive("# user www-data;\n"), None);
        assert_eq!(nginx_user_directive("user_agent x;\n"), None);
    }
}
