//! When nothing answers at the address a web server or a probe was given, what
//! does listen: the sockets in the same directory and every FastCGI backend's
//! addresses (a php-fpm pool with its `listen`), and the closest of them as the
//! likely intended target. "Start the backend" is wrong advice when the
//! backend runs and listens somewhere else.

use std::collections::BTreeSet;
use std::path::Path;

use crate::core::finding::Finding;
use crate::sources::host::Host;
use crate::sources::processes::{Process, Role};

/// An address something listens on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listening {
    /// A socket path or `address:port`.
    pub address: String,
    /// Who: `php-fpm pool www (pid 812)`, or the command.
    pub who: String,
    /// A php-fpm pool's configuration file, for the fix.
    pub pool_file: Option<String>,
    /// Whether a FastCGI backend holds it.
    pub fastcgi: bool,
}

/// What the address asked for was.
#[derive(Clone, Copy, Debug)]
pub enum Wanted<'a> {
    Unix(&'a Path),
    Tcp { port: u16 },
}

/// Every listening unix socket with a path, and every TCP listener of a
/// FastCGI backend, from the process table (empty when it cannot be read).
pub fn listening(host: &Host) -> Vec<Listening> {
    let Ok(snapshot) = host.listeners_snapshot() else {
        return Vec::new();
    };
    // A pool worker names the pool; its master only the file.
    let mut holders: Vec<&Process> = snapshot.processes.values().collect();
    holders.sort_by_key(|p| (p.role == Role::ProcessManager, p.pid()));
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for p in holders {
        for inode in &p.listening {
            let address = if let Some(u) = snapshot.listeners.unix.get(inode) {
                if !u.listening || !u.path.starts_with('/') {
                    continue;
                }
                u.path.clone()
            } else if let Some(t) = snapshot.listeners.tcp.get(inode) {
                if !p.role.is_fastcgi() {
                    continue;
                }
                t.endpoint()
            } else {
                continue;
            };
            if !seen.insert(address.clone()) {
                continue;
            }
            let pool = host.fpm_pool(snapshot, p, &address);
            let who = match &pool {
                Some(pool) => format!("php-fpm pool {} (pid {})", pool.name, p.pid()),
                None => format!("{} (pid {})", p.command(), p.pid()),
            };
            out.push(Listening {
                address,
                who,
                pool_file: pool.map(|pool| pool.file.display().to_string()),
                fastcgi: p.role.is_fastcgi(),
            });
        }
    }
    out
}

/// Adds to `finding` what listens instead of `wanted` (sockets in its
/// directory, FastCGI backends anywhere), and, when one is a likely intended
/// target, a fix that points at it instead of "start the backend".
pub fn point_at_what_listens(finding: &mut Finding, wanted: Wanted, all: &[Listening]) {
    let dir = match wanted {
        Wanted::Unix(path) => path.parent(),
        Wanted::Tcp { .. } => None,
    };
    let same_dir = |l: &Listening| dir.is_some_and(|d| Path::new(&l.address).parent() == Some(d));
    let mut relevant: Vec<&Listening> = all.iter().filter(|l| l.fastcgi || same_dir(l)).collect();
    if relevant.is_empty() {
        return;
    }
    // Those next to the path first: on a busy host the list is cut at eight.
    relevant.sort_by_key(|l| !same_dir(l));
    let listed: Vec<String> = relevant
        .iter()
        .take(8)
        .map(|l| format!("{} ({})", l.address, l.who))
        .collect();
    finding
        .message
        .push_str(&format!("; what listens: {}", listed.join(", ")));
    let Some(closest) = closest(wanted, &relevant) else {
        return;
    };
    let wanted_text = match wanted {
        Wanted::Unix(path) => path.display().to_string(),
        Wanted::Tcp { port } => format!("port {port}"),
    };
    finding
        .message
        .push_str(&format!("; the closest is {}", closest.address));
    let change_pool = match &closest.pool_file {
        Some(file) => {
            format!(", or set the pool's listen to {wanted_text} (in {file}) and reload php-fpm")
        }
        None => String::new(),
    };
    finding.fix = format!(
        "The backend runs but listens elsewhere: point the web server at {} (what {} \
         listens on){change_pool}.",
        closest.address, closest.who
    );
}

/// The listener most like `wanted`: for a path, the FastCGI socket whose path
/// is fewest edits away (a version number, a pool name); for a port, a FastCGI
/// backend on the same port on another address, else the only one.
fn closest<'a>(wanted: Wanted, candidates: &[&'a Listening]) -> Option<&'a Listening> {
    match wanted {
        Wanted::Unix(path) => {
            // A near name in the same directory (another version, another
            // pool), or the same name in another directory (/var/run/php and
            // /run/php): an unrelated directory's socket is no near miss.
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let dir = path.parent();
            candidates
                .iter()
                .filter(|l| l.address.starts_with('/') && l.fastcgi)
                .filter_map(|l| {
                    let theirs = Path::new(&l.address);
                    let their_name = theirs.file_name()?.to_string_lossy();
                    if theirs.parent() == dir {
                        let d = edits(&name, &their_name);
                        // More than half the name changed is not a near miss.
                        (d * 2 <= name.len()).then_some((d, *l))
                    } else {
                        (their_name == name).then_some((name.len(), *l))
                    }
                })
                .min_by_key(|(d, _)| *d)
                .map(|(_, l)| l)
        }
        Wanted::Tcp { port } => {
            let fastcgi: Vec<&Listening> =
                candidates.iter().copied().filter(|l| l.fastcgi).collect();
            let same_port = fastcgi.iter().find(|l| {
                l.address
                    .rsplit_once(':')
                    .is_some_and(|(_, p)| p == port.to_string())
            });
            same_port.copied().or(match fastcgi.as_slice() {
                [only] => Some(only),
                _ => None,
            })
        }
    }
}

/// Levenshtein distance, by bytes.
fn edits(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &ca) in a.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::registry::codes;

    fn listening(address: &str, who: &str, fastcgi: bool) -> Listening {
        Listening {
            address: address.into(),
            who: who.into(),
            pool_file: fastcgi.then(|| "/etc/php/8.2/fpm/pool.d/www.conf".into()),
            fastcgi,
        }
    }

    #[test]
    fn a_missing_socket_names_the_pool_listening_next_to_it() {
        let all = [
            listening(
                "/run/php/php8.2-fpm.sock",
                "php-fpm pool www (pid 812)",
                true,
            ),
            listening("0.0.0.0:9000", "php-fpm pool api (pid 813)", true),
            listening("/run/systemd/notify", "systemd (pid 1)", false),
        ];
        let path = Path::new("/run/php/php8.1-fpm.sock");
        let mut f = Finding::new(
            &codes::SOCKET_MISSING,
            "unix:/run/php/php8.1-fpm.sock",
            "gone",
        );
        point_at_what_listens(&mut f, Wanted::Unix(path), &all);
        assert!(
            f.message.contains(
                "what listens: /run/php/php8.2-fpm.sock (php-fpm pool www (pid 812)), \
                 0.0.0.0:9000 (php-fpm pool api (pid 813))"
            ),
            "{}",
            f.message
        );
        assert!(
            f.message
                .ends_with("the closest is /run/php/php8.2-fpm.sock"),
            "{}",
            f.message
        );
        assert!(f.fix.starts_with("The backend runs but listens elsewhere: point the web server at /run/php/php8.2-fpm.sock"), "{}", f.fix);
        assert!(
            f.fix.contains("/etc/php/8.2/fpm/pool.d/www.conf"),
            "{}",
            f.fix
        );
    }

    #[test]
    fn a_refused_port_points_at_the_backend_on_it_elsewhere_and_nothing_is_no_change() {
        let all = [listening("[::1]:9000", "php-fpm pool www (pid 812)", true)];
        let mut f = Finding::new(&codes::TCP_REFUSED, "127.0.0.1:9000", "refused");
        point_at_what_listens(&mut f, Wanted::Tcp { port: 9000 }, &all);
        assert!(
            f.message.ends_with("the closest is [::1]:9000"),
            "{}",
            f.message
        );
        let mut untouched = Finding::new(&codes::TCP_REFUSED, "127.0.0.1:9000", "refused");
        let before = untouched.fix.clone();
        point_at_what_listens(&mut untouched, Wanted::Tcp { port: 9000 }, &[]);
        assert_eq!(
            (untouched.message.as_str(), untouched.fix),
            ("refused", before)
        );
    }

    #[test]
    fn another_directory_is_near_only_with_the_same_name() {
        let all = [
            listening("/tmp/lab-b/www.sock", "php-fpm pool www (pid 2)", true),
            listening("/run/php/app.sock", "php-fpm pool app (pid 3)", true),
        ];
        let mut f = Finding::new(&codes::STALE_SOCKET, "t", "stale");
        point_at_what_listens(
            &mut f,
            Wanted::Unix(Path::new("/tmp/lab-a/stale.sock")),
            &all,
        );
        assert!(!f.message.contains("closest"), "{}", f.message);
        let mut moved = Finding::new(&codes::SOCKET_MISSING, "t", "gone");
        point_at_what_listens(
            &mut moved,
            Wanted::Unix(Path::new("/var/run/php/app.sock")),
            &all,
        );
        assert!(
            moved.message.ends_with("the closest is /run/php/app.sock"),
            "{}",
            moved.message
        );
    }

    #[test]
    fn a_far_path_is_listed_but_not_called_the_closest() {
        let all = [listening(
            "/srv/app/backend.sock",
            "python3 app.py (pid 9)",
            true,
        )];
        let mut f = Finding::new(
            &codes::SOCKET_MISSING,
            "unix:/run/php/php8.1-fpm.sock",
            "gone",
        );
        point_at_what_listens(
            &mut f,
            Wanted::Unix(Path::new("/run/php/php8.1-fpm.sock")),
            &all,
        );
        assert!(
            f.message.contains("what listens: /srv/app/backend.sock"),
            "{}",
            f.message
        );
        assert!(!f.message.contains("closest"), "{}", f.message);
        assert_eq!(edits("kitten", "sitting"), 3);
    }
}
