//! How this host runs its services, for fix texts that work here: which init
//! system (systemd, OpenRC, SysV `service`, or none because this is a
//! container), and which php-fpm is installed, under what service name.

use super::files::ConfigRoot;

/// What starts and stops services on this host.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InitSystem {
    Systemd,
    OpenRc,
    /// SysV init scripts, run through `service NAME ACTION`.
    SysV,
    /// No init system: a container whose first process is the service itself.
    Container,
    Unknown,
}

/// One installed php-fpm.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhpFpm {
    /// The binary: `/usr/sbin/php-fpm8.2`, `/usr/sbin/php-fpm`, `/usr/sbin/php-fpm82`.
    pub binary: String,
    /// `8.2`, when the binary's name says.
    pub version: Option<String>,
    /// The name its init system knows it by: Debian `php8.2-fpm`, RHEL
    /// `php-fpm`, Alpine `php-fpm82`.
    pub service: String,
    /// Its main configuration file, when one is where the layout puts it.
    pub config: Option<String>,
}

/// The facts fix texts are made of.
#[derive(Clone, Debug)]
pub struct Services {
    pub init: InitSystem,
    /// Installed php-fpm binaries, newest version first.
    pub php_fpm: Vec<PhpFpm>,
}

impl Services {
    /// Looks at the host under `root` (`/` on a real host).
    pub fn detect(root: &ConfigRoot) -> Self {
        Self {
            init: detect_init(root),
            php_fpm: installed_php_fpm(root),
        }
    }
}

fn detect_init(root: &ConfigRoot) -> InitSystem {
    let exists = |p: &str| root.file(p).exists();
    // sd_booted(3): systemd is running when this directory exists.
    if exists("/run/systemd/system") {
        return InitSystem::Systemd;
    }
    if exists("/run/openrc") {
        return InitSystem::OpenRc;
    }
    // Containers: the runtimes' marker files, or a first process that is not
    // an init (php-fpm itself, a shell, tini).
    if exists("/.dockerenv") || exists("/run/.containerenv") {
        return InitSystem::Container;
    }
    if root.is_host() {
        let init = std::fs::read_to_string("/proc/1/comm").unwrap_or_default();
        let init = init.trim();
        if !init.is_empty() && !matches!(init, "init" | "systemd" | "openrc-init" | "runit") {
            return InitSystem::Container;
        }
    }
    if exists("/usr/sbin/service") || exists("/sbin/service") {
        return InitSystem::SysV;
    }
    InitSystem::Unknown
}

fn installed_php_fpm(root: &ConfigRoot) -> Vec<PhpFpm> {
    let mut found: Vec<PhpFpm> = Vec::new();
    for dir in ["/usr/sbin", "/usr/local/sbin"] {
        let Ok(entries) = std::fs::read_dir(root.file(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix("php-fpm") else {
                continue;
            };
            if !rest.is_empty() && !rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                continue;
            }
            let binary = format!("{dir}/{name}");
            found.push(describe(root, binary, rest));
        }
    }
    found.sort_by_key(|p| std::cmp::Reverse(version_key(&p.version)));
    found.dedup_by(|a, b| a.service == b.service);
    found
}

/// Names a php-fpm binary's version, service and configuration by the
/// distribution layouts: Debian `php-fpm8.2` / `php8.2-fpm` /
/// `/etc/php/8.2/fpm`, Alpine `php-fpm82` / `php-fpm82` / `/etc/php82`,
/// RHEL and the official images `php-fpm` / `php-fpm` / `/etc/php-fpm.conf`
/// or `/usr/local/etc/php-fpm.conf`.
fn describe(root: &ConfigRoot, binary: String, suffix: &str) -> PhpFpm {
    let first = |candidates: &[String]| {
        candidates
            .iter()
            .find(|c| root.file(c.as_str()).is_file())
            .cloned()
    };
    if suffix.contains('.') {
        return PhpFpm {
            config: first(&[format!("/etc/php/{suffix}/fpm/php-fpm.conf")]),
            service: format!("php{suffix}-fpm"),
            version: Some(suffix.to_string()),
            binary,
        };
    }
    if suffix.len() >= 2 {
        let version = format!("{}.{}", &suffix[..1], &suffix[1..]);
        return PhpFpm {
            config: first(&[format!("/etc/php{suffix}/php-fpm.conf")]),
            service: format!("php-fpm{suffix}"),
            version: Some(version),
            binary,
        };
    }
    PhpFpm {
        config: first(&[
            "/etc/php-fpm.conf".to_string(),
            "/usr/local/etc/php-fpm.conf".to_string(),
        ]),
        service: "php-fpm".to_string(),
        version: None,
        binary,
    }
}

fn version_key(version: &Option<String>) -> Vec<u32> {
    version
        .as_deref()
        .unwrap_or("0")
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lay_out(files: &[&str]) -> (tempfile::TempDir, ConfigRoot) {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f.trim_start_matches('/'));
            if f.ends_with('/') {
                std::fs::create_dir_all(&path).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, "").unwrap();
            }
        }
        let root = ConfigRoot(dir.path().to_path_buf());
        (dir, root)
    }

    #[test]
    fn debian_with_two_php_versions_under_systemd() {
        let (_d, root) = lay_out(&[
            "/run/systemd/system/",
            "/usr/sbin/php-fpm8.2",
            "/usr/sbin/php-fpm8.3",
            "/etc/php/8.2/fpm/php-fpm.conf",
        ]);
        let s = Services::detect(&root);
        assert_eq!(s.init, InitSystem::Systemd);
        let services: Vec<&str> = s.php_fpm.iter().map(|p| p.service.as_str()).collect();
        assert_eq!(services, ["php8.3-fpm", "php8.2-fpm"]);
        assert_eq!(
            s.php_fpm[1].config.as_deref(),
            Some("/etc/php/8.2/fpm/php-fpm.conf")
        );
        assert_eq!(s.php_fpm[0].config, None);
    }

    #[test]
    fn alpine_openrc_and_an_official_image_container() {
        let (_d, root) = lay_out(&[
            "/run/openrc/",
            "/usr/sbin/php-fpm82",
            "/etc/php82/php-fpm.conf",
        ]);
        let s = Services::detect(&root);
        assert_eq!(s.init, InitSystem::OpenRc);
        assert_eq!(s.php_fpm[0].service, "php-fpm82");
        assert_eq!(s.php_fpm[0].version.as_deref(), Some("8.2"));
        let (_d, root) = lay_out(&[
            "/.dockerenv",
            "/usr/local/sbin/php-fpm",
            "/usr/local/etc/php-fpm.conf",
        ]);
        let s = Services::detect(&root);
        assert_eq!(s.init, InitSystem::Container);
        assert_eq!(s.php_fpm[0].service, "php-fpm");
        assert_eq!(
            s.php_fpm[0].config.as_deref(),
            Some("/usr/local/etc/php-fpm.conf")
        );
    }
}
