//! `config`'s cross-checks: what the web servers are configured to reach
//! against the php-fpm pools configured and what listens now; the handlers
//! against their directories' Options; the timeouts along the chain; pools
//! open to the network; the memory the pools may take. Facts in, findings out.

use std::path::{Path, PathBuf};

use crate::checks::path_access::{self, Need};
use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::sources::config::{Address, HostConfig, WebEndpoint};
use crate::sources::fpmconf::{FpmConfig, Pool};
use crate::sources::paths::{mode_string, FileKind, PathFacts};
use crate::sources::webuser::Credentials;

/// What the cross-checks are given beside the configuration.
pub struct Facts<'a> {
    pub paths: &'a dyn PathFacts,
    /// Addresses something listens on now; None when that could not be seen
    /// (no process table): then nothing is said of what listens.
    pub listening: Option<Vec<Address>>,
    /// The user each web server runs as (`apache`, `nginx`), when known.
    pub web_users: Vec<(&'static str, String, Credentials)>,
    /// The host's memory and the pool workers' average resident size, bytes.
    pub memory: Option<(u64, u64)>,
}

/// A pool with the configuration it is in.
struct PoolRef<'a> {
    pool: &'a Pool,
    config: &'a FpmConfig,
    address: Option<Address>,
}

pub fn cross_check(config: &HostConfig, facts: &Facts) -> Vec<Finding> {
    let pools: Vec<PoolRef> = config
        .fpm
        .iter()
        .flat_map(|c| {
            c.pools.iter().map(move |p| PoolRef {
                pool: p,
                config: c,
                address: p.listen.as_deref().and_then(Address::parse),
            })
        })
        .collect();
    let endpoints = config.endpoints();
    let mut findings = Vec::new();
    for e in endpoints.iter().filter(|e| !e.dynamic) {
        let Some(address) = Address::parse(&e.address) else {
            continue;
        };
        let subject = address.target();
        let pool = pools
            .iter()
            .find(|p| p.address.as_ref().is_some_and(|a| address.reaches(a)));
        if !e.elsewhere {
            findings.extend(endpoint_findings(e, &address, pool, &pools, facts));
        }
        if let Some(pool) = pool {
            findings.extend(timeout_order(e, &subject, pool.pool));
            findings.extend(status_open(e, &subject, pool.pool));
            if e.checks_script_filename && e.script_filename.is_none() {
                findings.push(
                    Finding::new(
                        &codes::CONFIG_NO_SCRIPT_FILENAME,
                        &subject,
                        format!(
                            "{} ({}) passes to php-fpm pool {} without fastcgi_param \
                             SCRIPT_FILENAME",
                            e.origin, e.context, pool.pool.name
                        ),
                    )
                    .with_fix(format!(
                        "add 'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;' \
                         to the location at {}, or 'include fastcgi.conf;'",
                        e.origin
                    )),
                );
            }
        }
    }
    for p in &pools {
        findings.extend(exposed(p));
        findings.extend(pool_down(p, &endpoints, facts));
        let reached = p.address.as_ref().is_some_and(|a| {
            endpoints
                .iter()
                .any(|e| e.dynamic || Address::parse(&e.address).is_some_and(|ea| ea.reaches(a)))
        });
        if config.has_web_server() && !reached {
            findings.push(
                Finding::new(
                    &codes::CONFIG_POOL_UNUSED,
                    pool_subject(p),
                    format!(
                        "pool {} ({}:{}) listens on {}, which no web-server configuration \
                         read here names",
                        p.pool.name,
                        p.pool.file.display(),
                        p.pool.line,
                        p.pool.listen.as_deref().unwrap_or("(no listen)")
                    ),
                )
                .with_fix(format!(
                    "point the vhost at {}, or remove pool {} from {}",
                    p.pool.listen.as_deref().unwrap_or("its address"),
                    p.pool.name,
                    p.pool.file.display()
                )),
            );
        }
    }
    if let Some(apache) = &config.apache {
        // A server-wide `AddHandler fcgid-script .fcgi` (Debian's fcgid.conf)
        // only maps a suffix; it says nothing of where scripts are.
        let placed = |h: &&crate::sources::config::apache::Handler| {
            h.directive == "SetHandler" || h.vhost.is_some() || h.scope.is_some()
        };
        for h in apache
            .handlers
            .iter()
            .filter(placed)
            .filter(|h| !h.exec_cgi)
        {
            let dir = h
                .directory
                .as_ref()
                .map_or("its directory".to_string(), |d| d.display().to_string());
            findings.push(
                Finding::new(
                    &codes::CONFIG_EXECCGI_OFF,
                    &dir,
                    format!(
                        "{} at {} is in force where Options has no ExecCGI",
                        match h.directive.strip_prefix("AddHandler") {
                            Some(suffixes) => format!("AddHandler {}{suffixes}", h.handler),
                            None => format!("{} {}", h.directive, h.handler),
                        },
                        h.origin
                    ),
                )
                .with_fix(format!(
                    "add 'Options +ExecCGI' to <Directory {dir}>, then apachectl configtest && \
                     systemctl reload apache2"
                )),
            );
        }
    }
    findings.extend(memory(&pools, facts));
    findings
}

/// The subject of a pool's finding: its address, or its name.
fn pool_subject(p: &PoolRef) -> String {
    match &p.address {
        Some(a) => a.target(),
        None => format!("pool {}", p.pool.name),
    }
}

fn endpoint_findings(
    e: &WebEndpoint,
    address: &Address,
    pool: Option<&PoolRef>,
    pools: &[PoolRef],
    facts: &Facts,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let subject = address.target();
    let where_ = format!("{} {} ({})", e.server, e.origin, e.context);
    let Some(listening) = &facts.listening else {
        return out;
    };
    let listens = listening.iter().any(|l| address.reaches(l));
    if listens {
        if let Address::Unix(path) = address {
            out.extend(web_user_access(e, path, facts));
        }
        return out;
    }
    if address.is_remote() {
        return out;
    }
    let stale = match address {
        Address::Unix(path) => facts.paths.kind(path).is_ok_and(|k| k == FileKind::Socket),
        Address::Tcp { .. } => false,
    };
    if pool.is_some() {
        // The pool's own check says it is down, stale or missing.
    } else if stale {
        out.push(Finding::new(
            &codes::CONFIG_STALE_SOCKET,
            &subject,
            format!(
                "{where_} reaches {}: the socket file is there, nothing listens on it",
                e.address
            ),
        ));
    } else {
        let closest = closest_pool(address, pools);
        let mut f = Finding::new(
            &codes::CONFIG_NO_BACKEND,
            &subject,
            format!(
                "{where_} reaches {}: nothing listens there and no php-fpm pool is configured \
                 to{}",
                e.address,
                match &closest {
                    Some(p) => format!(
                        "; the closest pool is {} on {}",
                        p.pool.name,
                        p.pool.listen.as_deref().unwrap_or_default()
                    ),
                    None => String::new(),
                }
            ),
        );
        if let Some(p) = closest {
            f = f.with_fix(format!(
                "point {} at {} (pool {}), or make a pool listen on {}; then reload {}",
                e.origin,
                listen_as(e.server, p.pool.listen.as_deref().unwrap_or_default()),
                p.pool.name,
                e.address,
                e.server
            ));
        }
        out.push(f);
    }
    out
}

/// A pool nothing listens for: its php-fpm is stopped (FD1803), or was
/// killed and left its socket file (FD1802).
fn pool_down(p: &PoolRef, endpoints: &[WebEndpoint], facts: &Facts) -> Option<Finding> {
    let address = p.address.as_ref()?;
    let listening = facts.listening.as_ref()?;
    if listening
        .iter()
        .any(|l| l.reaches(address) || address.reaches(l))
    {
        return None;
    }
    let reached_by: Vec<String> = endpoints
        .iter()
        .filter(|e| Address::parse(&e.address).is_some_and(|a| a.reaches(address)))
        .map(|e| format!("{} {}", e.server, e.origin))
        .collect();
    let by = match reached_by.is_empty() {
        true => String::new(),
        false => format!(" ({} reaches it)", reached_by.join(", ")),
    };
    let stale = match address {
        Address::Unix(path) => facts.paths.kind(path).is_ok_and(|k| k == FileKind::Socket),
        Address::Tcp { .. } => false,
    };
    let fpm = p.config.file.display();
    Some(if stale {
        Finding::new(
            &codes::CONFIG_STALE_SOCKET,
            address.target(),
            format!(
                "pool {}'s socket file is there, but nothing listens on it: the php-fpm of {fpm} \
                 was killed or crashed{by}",
                p.pool.name
            ),
        )
    } else {
        Finding::new(
            &codes::CONFIG_POOL_DOWN,
            address.target(),
            format!(
                "pool {} ({}:{}) is configured to listen on {}, but nothing does: the php-fpm of \
                 {fpm} is not running{by}",
                p.pool.name,
                p.pool.file.display(),
                p.pool.line,
                address.target()
            ),
        )
    })
}

/// How each web server writes an address: nginx `unix:/path`, Apache
/// `proxy:unix:/path|fcgi://localhost`.
fn listen_as(server: &str, listen: &str) -> String {
    match (Address::parse(listen), server) {
        (Some(Address::Unix(p)), "nginx") => format!("unix:{}", p.display()),
        (Some(Address::Unix(p)), _) => format!("\"proxy:unix:{}|fcgi://localhost\"", p.display()),
        (Some(Address::Tcp { host, port }), _) => {
            format!("{}:{port}", host.unwrap_or_else(|| "127.0.0.1".into()))
        }
        (None, _) => listen.to_string(),
    }
}

/// The pool whose unix socket shares the most with `wanted` (same directory
/// first), or the only TCP pool for a TCP address.
fn closest_pool<'a>(wanted: &Address, pools: &'a [PoolRef<'a>]) -> Option<&'a PoolRef<'a>> {
    let score = |p: &PoolRef| -> usize {
        match (wanted, &p.address) {
            (Address::Unix(w), Some(Address::Unix(a))) => {
                let same_dir = usize::from(w.parent() == a.parent()) * 1000;
                let shared = w
                    .to_string_lossy()
                    .bytes()
                    .zip(a.to_string_lossy().bytes())
                    .take_while(|(x, y)| x == y)
                    .count();
                same_dir + shared
            }
            (Address::Tcp { .. }, Some(Address::Tcp { .. })) => 1,
            _ => 0,
        }
    };
    pools
        .iter()
        .map(|p| (score(p), p))
        .filter(|(s, _)| *s > 0)
        .max_by_key(|(s, _)| *s)
        .map(|(_, p)| p)
}

/// The web server's user may search every directory to the socket and
/// write the socket.
fn web_user_access(e: &WebEndpoint, path: &Path, facts: &Facts) -> Option<Finding> {
    let (_, user, creds) = facts.web_users.iter().find(|(s, _, _)| *s == e.server)?;
    let denial = path_access::first_denial(path, creds, |p| facts.paths.owner(p))?;
    let what = match denial.need {
        Need::Search => format!(
            "the directory {} ({}) gives {user} no search permission",
            denial.path.display(),
            mode_string('d', denial.owner.mode)
        ),
        Need::Write => format!(
            "the socket is {} {}:{}: {user} may not write it",
            mode_string('s', denial.owner.mode),
            crate::sources::nss::user_name(denial.owner.uid),
            crate::sources::nss::group_name(denial.owner.gid)
        ),
    };
    Some(Finding::new(
        &codes::CONFIG_WEB_USER_DENIED,
        path.display().to_string(),
        format!("{} {} runs as {user}; {what}", e.server, e.origin),
    ))
}

/// A duration as php-fpm writes it (`30`, `30s`, `5m`, `1h`), in seconds.
fn fpm_seconds(text: &str) -> Option<u64> {
    let t = text.trim();
    let (number, unit) = t
        .find(|c: char| !c.is_ascii_digit())
        .map_or((t, ""), |i| t.split_at(i));
    let n: u64 = number.parse().ok()?;
    Some(match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return None,
    })
}

fn timeout_order(e: &WebEndpoint, subject: &str, pool: &Pool) -> Option<Finding> {
    let limits = [
        (
            "request_terminate_timeout",
            pool.request_terminate_timeout.as_deref(),
        ),
        ("max_execution_time", pool.max_execution_time.as_deref()),
    ];
    let (name, seconds) = limits
        .into_iter()
        .filter_map(|(n, v)| Some((n, fpm_seconds(v?)?)))
        .filter(|(_, s)| *s > 0)
        .max_by_key(|(_, s)| *s)?;
    (e.timeout < seconds).then(|| {
        Finding::new(
            &codes::CONFIG_TIMEOUT_ORDER,
            subject,
            format!(
                "{} {} waits {} s ({}), pool {} allows {seconds} s ({name} in {})",
                e.server,
                e.origin,
                e.timeout,
                e.timeout_directive,
                pool.name,
                pool.file.display()
            ),
        )
        .with_fix(format!(
            "set {} above {seconds}s at {}, or lower {name} in {}",
            e.timeout_directive,
            e.origin,
            pool.file.display()
        ))
    })
}

/// An nginx location that passes the pool's status or ping path with no
/// allow/deny rule.
fn status_open(e: &WebEndpoint, subject: &str, pool: &Pool) -> Option<Finding> {
    if !e.access_rules.is_empty() {
        return None;
    }
    let location = e.location.as_deref()?;
    let path = [pool.status_path.as_deref(), pool.ping_path.as_deref()]
        .into_iter()
        .flatten()
        .find(|p| location_matches(location, p))?;
    Some(Finding::new(
        &codes::CONFIG_STATUS_OPEN,
        subject,
        format!(
            "nginx {} (location {location}) passes {path}, pool {}'s status or ping page, with \
             no allow/deny rule",
            e.origin, pool.name
        ),
    ))
}

/// Whether an nginx location (`= /status`, `~ ^/(status|ping)$`, `/st`)
/// takes the request path `path`.
fn location_matches(location: &str, path: &str) -> bool {
    let (modifier, pattern) = match location.split_once(char::is_whitespace) {
        Some((m, p)) if matches!(m, "=" | "~" | "~*" | "^~") => (m, p.trim()),
        _ => ("", location.trim()),
    };
    match modifier {
        "=" => pattern == path,
        "~" | "~*" => {
            let pattern = if modifier == "~*" {
                format!("(?i){pattern}")
            } else {
                pattern.to_string()
            };
            regex::Regex::new(&pattern).is_ok_and(|re| re.is_match(path))
        }
        _ => path.starts_with(pattern),
    }
}

/// A pool on a non-loopback or wildcard TCP address with nothing limiting
/// its clients.
fn exposed(p: &PoolRef) -> Option<Finding> {
    let Some(Address::Tcp { host, port }) = &p.address else {
        return None;
    };
    let public = match host {
        None => true,
        Some(h) => {
            !h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
                && h != "localhost"
        }
    };
    if !public
        || p.pool
            .allowed_clients
            .as_deref()
            .is_some_and(|c| !c.trim().is_empty())
    {
        return None;
    }
    Some(
        Finding::new(
            &codes::CONFIG_FPM_EXPOSED,
            pool_subject(p),
            format!(
                "pool {} ({}:{}) listens on {} without listen.allowed_clients: any host that \
                 reaches port {port} may run PHP files as {}",
                p.pool.name,
                p.pool.file.display(),
                p.pool.line,
                p.pool.listen.as_deref().unwrap_or_default(),
                p.pool.user.as_deref().unwrap_or("the pool's user")
            ),
        )
        .with_fix(format!(
            "in {}: listen = 127.0.0.1:{port} (or a unix socket), or listen.allowed_clients = \
             the web servers' addresses; then reload php-fpm",
            p.pool.file.display()
        )),
    )
}

fn memory(pools: &[PoolRef], facts: &Facts) -> Option<Finding> {
    let (total, worker) = facts.memory?;
    let children: u64 = pools
        .iter()
        .filter_map(|p| p.pool.max_children)
        .map(u64::from)
        .sum();
    let need = children * worker;
    (worker > 0 && need > total).then(|| {
        let mib = |b: u64| b >> 20;
        let names: Vec<String> = pools
            .iter()
            .filter_map(|p| Some(format!("{} {}", p.pool.name, p.pool.max_children?)))
            .collect();
        Finding::new(
            &codes::CONFIG_MEMORY,
            "php-fpm",
            format!(
                "pm.max_children adds up to {children} ({}) at {} MiB a worker: {} MiB, above \
                 the host's {} MiB",
                names.join(", "),
                mib(worker),
                mib(need),
                mib(total)
            ),
        )
    })
}

/// The paths of every application Apache starts itself (FastCgiServer,
/// FcgidWrapper), with where each is configured, for `spawn`'s pre-flight.
pub fn started_by_apache(config: &HostConfig) -> Vec<(PathBuf, String)> {
    let Some(a) = &config.apache else {
        return Vec::new();
    };
    let servers = a
        .fastcgi
        .servers
        .iter()
        .map(|s| (s.path.clone(), format!("FastCgiServer at {}", s.origin)));
    let wrappers = a
        .fcgid
        .wrappers
        .iter()
        .map(|w| (w.command.clone(), format!("FcgidWrapper at {}", w.origin)));
    servers.chain(wrappers).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_fpm_durations_read_as_seconds() {
        assert_eq!(fpm_seconds("30"), Some(30));
        assert_eq!(fpm_seconds("5m"), Some(300));
        assert_eq!(fpm_seconds("1h"), Some(3600));
        assert_eq!(fpm_seconds("x"), None);
    }

    use crate::sources::config::nginx::{Endpoint, NginxConfig};
    use crate::sources::config::Origin;
    use crate::sources::paths::Owner;

    /// Nothing on disk: every path is missing.
    struct Nothing;

    impl PathFacts for Nothing {
        fn owner(&self, _: &Path) -> std::io::Result<Owner> {
            Err(std::io::ErrorKind::NotFound.into())
        }
        fn kind(&self, _: &Path) -> std::io::Result<FileKind> {
            Err(std::io::ErrorKind::NotFound.into())
        }
        fn first_missing(&self, p: &Path) -> Option<PathBuf> {
            Some(p.to_path_buf())
        }
        fn has_acl(&self, _: &Path) -> bool {
            false
        }
        fn file_id(&self, _: &Path) -> Option<(u64, u64)> {
            None
        }
    }

    fn pool(name: &str, listen: &str) -> Pool {
        Pool {
            name: name.into(),
            listen: Some(listen.into()),
            file: PathBuf::from(format!("/etc/php/8.2/fpm/pool.d/{name}.conf")),
            line: 1,
            ..Pool::default()
        }
    }

    fn nginx(location: &str, address: &str, script_filename: Option<&str>) -> Endpoint {
        Endpoint {
            address: address.into(),
            location: Some(location.into()),
            script_filename: script_filename.map(str::to_string),
            origin: Origin {
                file: "/etc/nginx/sites-enabled/default".into(),
                line: 12,
            },
            ..Endpoint::default()
        }
    }

    fn host(pools: Vec<Pool>, endpoints: Vec<Endpoint>) -> HostConfig {
        HostConfig {
            nginx: Some(NginxConfig {
                files: vec!["/etc/nginx/nginx.conf".into()],
                endpoints,
                ..NginxConfig::default()
            }),
            fpm: vec![FpmConfig {
                file: "/etc/php/8.2/fpm/php-fpm.conf".into(),
                files: vec!["/etc/php/8.2/fpm/php-fpm.conf".into()],
                pools,
                ..FpmConfig::default()
            }],
            ..HostConfig::default()
        }
    }

    fn codes(found: &[Finding]) -> Vec<&str> {
        found.iter().map(|f| f.code).collect()
    }

    fn facts(listening: &[&str], memory: Option<(u64, u64)>) -> Facts<'static> {
        Facts {
            paths: &Nothing,
            listening: Some(listening.iter().filter_map(|a| Address::parse(a)).collect()),
            web_users: Vec::new(),
            memory,
        }
    }

    #[test]
    fn a_status_page_open_to_the_world_and_a_missing_script_filename() {
        let mut www = pool("www", "/run/php/www.sock");
        www.status_path = Some("/status".into());
        let mut closed = nginx(
            "= /status",
            "unix:/run/php/www.sock",
            Some("$fastcgi_script_name"),
        );
        closed.access_rules = vec!["allow 127.0.0.1".into(), "deny all".into()].into();
        let config = host(
            vec![www],
            vec![
                nginx("~ ^/(status|ping)$", "unix:/run/php/www.sock", Some("x")),
                closed,
                nginx("~ \\.php$", "unix:/run/php/www.sock", None),
            ],
        );
        let found = cross_check(&config, &facts(&["/run/php/www.sock"], None));
        assert_eq!(codes(&found), ["FD1808", "FD1811"], "{found:#?}");
    }

    #[test]
    fn pools_down_stale_or_missing_each_say_so() {
        let config = host(
            vec![
                pool("www", "/run/php/www.sock"),
                pool("api", "127.0.0.1:9001"),
            ],
            vec![
                nginx("/", "unix:/run/php/www.sock", Some("x")),
                nginx("/api", "127.0.0.1:9001", Some("x")),
                nginx("/old", "unix:/run/php/php7.4-fpm.sock", Some("x")),
            ],
        );
        let found = cross_check(&config, &facts(&[], None));
        assert_eq!(codes(&found), ["FD1801", "FD1803", "FD1803"], "{found:#?}");
        assert!(
            found[0].message.contains("the closest pool is www"),
            "{}",
            found[0].message
        );
        // What listens unknown (no process table): nothing is said of it.
        let unknown = Facts {
            listening: None,
            ..facts(&[], None)
        };
        assert!(cross_check(&config, &unknown).is_empty());
    }

    #[test]
    fn more_workers_than_memory_is_told() {
        let mut a = pool("a", "/run/a.sock");
        a.max_children = Some(50);
        let mut b = pool("b", "/run/b.sock");
        b.max_children = Some(30);
        let config = HostConfig {
            fpm: vec![FpmConfig {
                pools: vec![a, b],
                ..FpmConfig::default()
            }],
            ..HostConfig::default()
        };
        let gib = 1 << 30;
        let found = cross_check(
            &config,
            &facts(&["/run/a.sock", "/run/b.sock"], Some((4 * gib, 100 << 20))),
        );
        assert_eq!(codes(&found), ["FD1809"], "{found:#?}");
        assert!(
            found[0].message.contains("80 (a 50, b 30) at 100 MiB"),
            "{}",
            found[0].message
        );
        let roomy = cross_check(
            &config,
            &facts(&["/run/a.sock", "/run/b.sock"], Some((16 * gib, 100 << 20))),
        );
        assert!(roomy.is_empty());
    }

    #[test]
    fn nginx_locations_take_the_paths_nginx_gives_them() {
        assert!(location_matches("= /status", "/status"));
        assert!(!location_matches("= /status", "/status2"));
        assert!(location_matches("~ ^/(status|ping)$", "/ping"));
        assert!(location_matches("~* \\.PHP$", "/x.php"));
        assert!(location_matches("/st", "/status"));
        assert!(!location_matches("~ \\.php$", "/status"));
    }
}
