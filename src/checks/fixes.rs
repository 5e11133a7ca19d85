//! Fix texts that work on this host. The registry's fixes are written for a
//! Debian host with systemd and PHP 8.2 (`systemctl restart php8.2-fpm`,
//! `/etc/php/8.2/fpm/...`); here they are rewritten for the init system and
//! the php-fpm actually installed: `rc-service php-fpm82 restart` on Alpine,
//! `service php8.3-fpm restart` without systemd, "restart the container" where
//! there is no init system at all.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::bytes::{Captures, Regex};

use crate::core::finding::Finding;
use crate::sources::host::Host;
use crate::sources::services::{InitSystem, Services};

/// `systemctl ACTION UNIT`, `journalctl [OPTIONS] -u UNIT [OPTIONS]`, and
/// Debian's PHP paths.
static SERVICE_COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    const UNIT: &str = r"([A-Za-z0-9@._-]*[A-Za-z0-9])";
    const OPTIONS: &str = r"(?: -[A-Za-z]+(?: [0-9]+)?| --[a-z-]+(?:=[^\s;,)'\x22]+)?)*";
    crate::core::text::ascii_regex(&format!(
        r"systemctl (start|stop|restart|reload|status) {UNIT}|journalctl{OPTIONS} -u {UNIT}{OPTIONS}|/etc/php/(\d+\.\d+)/|\bphp-fpm(\d+\.\d+)\b"
    ))
    .expect("a valid pattern")
});

/// `fix` in this host's terms; unchanged when nothing in it depends on the host
/// or nothing is known about the host.
pub fn localize<'a>(fix: &'a str, services: &Services) -> Cow<'a, str> {
    if !depends_on_host(fix) {
        return Cow::Borrowed(fix);
    }
    let out = SERVICE_COMMAND.replace_all(fix.as_bytes(), |c: &Captures| {
        let text = |i: usize| {
            c.get(i)
                .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
        };
        let whole = text(0).unwrap_or_default();
        // Under systemd the command stays as written, with this host's unit.
        let systemd = |unit: &str| whole.replace(unit, &unit_here(unit, services));
        if let (Some(action), Some(unit)) = (text(1), text(2)) {
            if services.init == InitSystem::Systemd {
                return systemd(&unit);
            }
            return service_command(&action, &unit_here(&unit, services), services.init)
                .unwrap_or(whole);
        }
        if let Some(unit) = text(3) {
            if services.init == InitSystem::Systemd {
                return systemd(&unit);
            }
            return log_command(&unit_here(&unit, services), services.init).unwrap_or(whole);
        }
        if let Some(version) = text(4) {
            return php_config_dir(&version, services).unwrap_or(whole);
        }
        if let Some(version) = text(5) {
            return php_binary(&version, services).unwrap_or(whole);
        }
        whole
    });
    match out {
        Cow::Borrowed(_) => Cow::Borrowed(fix),
        Cow::Owned(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
    }
}

/// Every finding's fix in this host's terms. The host is asked about its
/// services only when a fix names something that depends on them.
pub fn localize_all(findings: &mut [Finding], host: &Host) {
    for f in findings.iter_mut().filter(|f| depends_on_host(&f.fix)) {
        if let Cow::Owned(fix) = localize(&f.fix, host.services()) {
            f.fix = fix;
        }
    }
}

/// Whether `fix` names a service command or a path that differs by host.
pub fn depends_on_host(fix: &str) -> bool {
    fix.contains("systemctl ")
        || fix.contains("journalctl ")
        || fix.contains("/etc/php/")
        || fix.contains("php-fpm")
}

/// A php-fpm unit named in a fix, as this host calls its php-fpm.
fn unit_here(unit: &str, services: &Services) -> String {
    let is_fpm = unit == "php-fpm" || (unit.starts_with("php") && unit.ends_with("-fpm"));
    if !is_fpm || services.php_fpm.iter().any(|p| p.service == unit) {
        return unit.to_string();
    }
    services
        .php_fpm
        .first()
        .map_or_else(|| unit.to_string(), |p| p.service.clone())
}

fn service_command(action: &str, unit: &str, init: InitSystem) -> Option<String> {
    Some(match init {
        InitSystem::Systemd => format!("systemctl {action} {unit}"),
        InitSystem::OpenRc => format!("rc-service {unit} {action}"),
        InitSystem::SysV => format!("service {unit} {action}"),
        InitSystem::Container if action == "status" => {
            format!("the log of the container that runs {unit} (docker logs, kubectl logs)")
        }
        InitSystem::Container => format!("{action} the container that runs {unit}"),
        InitSystem::Unknown => return None,
    })
}

fn log_command(unit: &str, init: InitSystem) -> Option<String> {
    Some(match init {
        InitSystem::Systemd => format!("journalctl -u {unit}"),
        InitSystem::Container => {
            format!("the log of the container that runs {unit} (docker logs, kubectl logs)")
        }
        InitSystem::OpenRc | InitSystem::SysV => format!("the log file of {unit}"),
        InitSystem::Unknown => return None,
    })
}

/// The php-fpm binary installed (`php-fpm8.3`, `php-fpm82`), when the
/// version named is not.
fn php_binary(version: &str, services: &Services) -> Option<String> {
    if services
        .php_fpm
        .iter()
        .any(|p| p.version.as_deref() == Some(version))
    {
        return None;
    }
    let binary = &services.php_fpm.first()?.binary;
    Some(binary.rsplit('/').next()?.to_string())
}

/// Debian's `/etc/php/8.2/` for the version installed, when 8.2 is not.
fn php_config_dir(version: &str, services: &Services) -> Option<String> {
    let versions: Vec<&str> = services
        .php_fpm
        .iter()
        .filter_map(|p| p.version.as_deref())
        .collect();
    if versions.is_empty() || versions.contains(&version) {
        return None;
    }
    let config = services.php_fpm.first()?.config.as_deref()?;
    let dir = config.strip_suffix("fpm/php-fpm.conf")?;
    Some(dir.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::services::PhpFpm;

    fn host(init: InitSystem, fpm: &[(&str, Option<&str>, &str)]) -> Services {
        Services {
            init,
            php_fpm: fpm
                .iter()
                .map(|(service, version, config)| PhpFpm {
                    // Debian names the binary php-fpm8.3 and the service php8.3-fpm.
                    binary: match version {
                        Some(v) if service.starts_with("php8") => format!("/usr/sbin/php-fpm{v}"),
                        _ => format!("/usr/sbin/{service}"),
                    },
                    version: version.map(str::to_string),
                    service: service.to_string(),
                    config: Some(config.to_string()),
                })
                .collect(),
        }
    }

    const FIX: &str = "Start the backend (systemctl start php8.2-fpm) and read why it stopped: \
                       journalctl -u php8.2-fpm -n 50, or /etc/php/8.2/fpm/php-fpm.conf's error_log.";

    #[test]
    fn a_debian_host_with_the_same_php_keeps_the_text() {
        let debian = host(
            InitSystem::Systemd,
            &[("php8.2-fpm", Some("8.2"), "/etc/php/8.2/fpm/php-fpm.conf")],
        );
        assert_eq!(localize(FIX, &debian), FIX);
    }

    #[test]
    fn another_php_version_and_init_system_are_named() {
        let sysv = host(
            InitSystem::SysV,
            &[("php8.3-fpm", Some("8.3"), "/etc/php/8.3/fpm/php-fpm.conf")],
        );
        assert_eq!(
            localize(FIX, &sysv),
            "Start the backend (service php8.3-fpm start) and read why it stopped: the log \
             file of php8.3-fpm, or /etc/php/8.3/fpm/php-fpm.conf's error_log."
        );
        let tt = "php-fpm8.2 -tt 2>&1 | grep listen";
        assert_eq!(localize(tt, &sysv), "php-fpm8.3 -tt 2>&1 | grep listen");
        let alpine = host(
            InitSystem::OpenRc,
            &[("php-fpm82", Some("8.2"), "/etc/php82/php-fpm.conf")],
        );
        assert!(localize(FIX, &alpine).contains("rc-service php-fpm82 start"));
    }

    #[test]
    fn a_container_is_restarted_not_served() {
        let container = host(
            InitSystem::Container,
            &[("php-fpm", None, "/usr/local/etc/php-fpm.conf")],
        );
        let fix = localize(FIX, &container);
        assert_eq!(
            fix,
            "Start the backend (start the container that runs php-fpm) and read why it stopped: \
             the log of the container that runs php-fpm (docker logs, kubectl logs), or \
             /etc/php/8.2/fpm/php-fpm.conf's error_log."
        );
    }

    #[test]
    fn nothing_known_changes_nothing() {
        let unknown = host(InitSystem::Unknown, &[]);
        assert_eq!(localize(FIX, &unknown), FIX);
        let nginx = "systemctl reload nginx";
        let sysv = host(InitSystem::SysV, &[]);
        assert_eq!(localize(nginx, &sysv), "service nginx reload");
    }
}
