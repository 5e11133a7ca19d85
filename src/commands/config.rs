//! `fcgi-doctor config`: read the configuration of every FastCGI participant
//! on the host (Apache, nginx, every php-fpm), say what each is set up to do,
//! and cross-check them against each other and against what listens now.

use std::io::Read;

use serde::Serialize;

use crate::checks::config::{self as cross, Facts};
use crate::checks::spawn as preflight;
use crate::core::finding::Finding;
use crate::core::outcome::Outcome;
use crate::sources::config::{self, Address, Given, HostConfig, WebEndpoint};
use crate::sources::host::Host;
use crate::sources::processes::{Role, Snapshot};
use crate::sources::webuser::{self, Credentials};

#[derive(Debug, Default)]
pub struct ConfigSettings {
    pub given: Given,
}

/// `config`'s data beside the common JSON keys.
#[derive(Debug, Serialize)]
pub struct ConfigReport {
    #[serde(flatten)]
    pub config: HostConfig,
    /// Every backend the web servers reach, both servers together.
    pub endpoints: Vec<WebEndpoint>,
    /// Who each web server runs as (`server`, `user`).
    pub web_users: Vec<WebServerUser>,
}

#[derive(Debug, Serialize)]
pub struct WebServerUser {
    pub server: &'static str,
    pub user: String,
}

pub fn run(settings: &ConfigSettings, host: &Host) -> Outcome<ConfigReport> {
    let snapshot = host.snapshot().ok();
    let config = config::discover(host.config(), snapshot, &settings.given);
    let (findings, web_users) = check(&config, host, snapshot);
    let mut out = Outcome::new(ConfigReport {
        endpoints: config.endpoints(),
        web_users: web_users
            .iter()
            .map(|(server, user, _)| WebServerUser {
                server,
                user: user.clone(),
            })
            .collect(),
        config,
    });
    out.findings = findings;
    out.notes.extend(out.data.config.notes());
    if snapshot.is_none() {
        out.notes
            .push("the process table could not be read: what listens was not checked".into());
    }
    if nothing_found(&out.data.config) {
        out.notes.push(format!(
            "no FastCGI configuration found; looked at {}",
            out.data.config.looked.join("; ")
        ));
    }
    out
}

/// Whether no file of any participant was read.
pub fn nothing_found(config: &HostConfig) -> bool {
    !config.has_web_server() && config.fpm.iter().all(|f| f.files.is_empty())
}

/// The cross-checks, and the web servers' users they used.
pub fn check(
    config: &HostConfig,
    host: &Host,
    snapshot: Option<&Snapshot>,
) -> (Vec<Finding>, Vec<(&'static str, String, Credentials)>) {
    let web_users = web_users(config, host);
    // What listens and the workers' memory are this host's: not facts about
    // a configuration root of another (a fixture, a mounted image), unless
    // the process table is that root's too.
    let same_host = host.config_matches_processes();
    let listening = host
        .listeners_snapshot()
        .ok()
        .filter(|_| same_host)
        .map(listening_addresses);
    let facts = Facts {
        paths: host.paths(),
        listening,
        web_users: web_users.clone(),
        memory: snapshot.filter(|_| same_host).and_then(|s| memory(host, s)),
    };
    let mut findings = cross::cross_check(config, &facts);
    // The applications Apache starts itself get spawn's pre-flight, as the
    // user Apache runs them as.
    let apache_user = web_users.iter().find(|(s, _, _)| *s == "apache");
    for (path, origin) in cross::started_by_apache(config) {
        let (user, creds) = match apache_user {
            Some((_, u, c)) => (u.clone(), c.clone()),
            None => (
                crate::sources::nss::user_name(nix::unistd::geteuid().as_raw()),
                Credentials::current(),
            ),
        };
        let mut head = [0u8; 512];
        let meta = std::fs::metadata(host.config().file(&path));
        if !meta.as_ref().is_ok_and(|m| m.is_file()) {
            findings.push(Finding::new(
                &crate::core::registry::codes::SPAWN_MISSING,
                path.display().to_string(),
                format!("{origin} names {}, which is not a file", path.display()),
            ));
            continue;
        }
        let n = crate::sources::files::open_regular(&host.config().file(&path))
            .and_then(|mut f| f.read(&mut head))
            .unwrap_or(0);
        let found = preflight::preflight(&path, &head[..n], &user, &creds, host.paths(), |p| {
            std::fs::metadata(host.config().file(p)).is_ok_and(|m| m.is_file())
        });
        findings.extend(found.into_iter().map(|mut f| {
            f.message = format!("{origin}: {}", f.message);
            f
        }));
    }
    crate::checks::fixes::localize_all(&mut findings, host);
    (findings, web_users)
}

/// Who each web server runs as: its configuration's `User` or `user`, else
/// the host's detected web user.
fn web_users(config: &HostConfig, host: &Host) -> Vec<(&'static str, String, Credentials)> {
    let mut out = Vec::new();
    let configured = [
        (
            "apache",
            config
                .apache
                .as_ref()
                .filter(|a| !a.files.is_empty())
                .map(|a| a.user.clone()),
        ),
        (
            "nginx",
            config
                .nginx
                .as_ref()
                .filter(|n| !n.files.is_empty())
                .map(|n| n.user.clone()),
        ),
    ];
    for (server, user) in configured {
        let Some(user) = user else {
            continue;
        };
        let found = match user {
            // An unexpanded ${APACHE_RUN_USER} says nothing.
            Some(name) if !name.contains('$') => webuser::named(&name, "configuration").ok(),
            _ => host.web_user().cloned(),
        };
        if let Some(u) = found {
            out.push((server, u.name.clone(), u.credentials()));
        }
    }
    out
}

/// Every address something listens on.
fn listening_addresses(snapshot: &Snapshot) -> Vec<Address> {
    let unix = snapshot
        .listeners
        .unix
        .values()
        .filter(|u| u.listening && u.path.starts_with('/'))
        .filter_map(|u| Address::parse(&u.path));
    let tcp = snapshot
        .listeners
        .tcp
        .values()
        .filter_map(|t| Address::parse(&t.endpoint()));
    unix.chain(tcp).collect()
}

/// The host's RAM and the php-fpm workers' average resident size.
fn memory(host: &Host, snapshot: &Snapshot) -> Option<(u64, u64)> {
    let total = host.proc().mem_total().ok()?;
    let sizes: Vec<u64> = snapshot
        .processes
        .values()
        .filter(|p| p.role == Role::PoolWorker)
        .map(|p| p.stat.rss_bytes)
        .collect();
    if sizes.is_empty() {
        return None;
    }
    Some((total, sizes.iter().sum::<u64>() / sizes.len() as u64))
}
