//! `config`'s and `doctor`'s own lines: what each server is configured for,
//! the backends in one table, and (doctor) the table of checks.

use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};

use super::OutputSettings;
use crate::commands::config::ConfigReport;
use crate::commands::doctor::DoctorReport;
use crate::core::sanitize::escape;
use crate::sources::config::WebEndpoint;

fn table(settings: &OutputSettings, header: &[&str]) -> Table {
    let mut table = Table::new();
    table
        .load_preset(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(settings.width as u16)
        .set_header(header.iter().map(|h| h.to_string()));
    if settings.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    table
}

pub fn render(out: &mut dyn Write, r: &ConfigReport, settings: &OutputSettings) -> io::Result<()> {
    let c = &r.config;
    let user = |server: &str| {
        r.web_users
            .iter()
            .find(|u| u.server == server)
            .map_or(String::new(), |u| format!(", runs as {}", escape(&u.user)))
    };
    if let Some(a) = c.apache.as_ref().filter(|a| !a.files.is_empty()) {
        writeln!(
            out,
            "{} {} ({} files{})",
            "apache".bold(),
            escape(&a.main_file.display().to_string()),
            a.files.len(),
            user("apache")
        )?;
        let fastcgi: Vec<&str> = a
            .modules
            .iter()
            .map(String::as_str)
            .filter(|m| m.contains("fcgi") || m.contains("fastcgi") || m.starts_with("proxy"))
            .collect();
        if !fastcgi.is_empty() {
            writeln!(out, "  modules   {}", escape(&fastcgi.join(", ")))?;
        }
        for h in &a.handlers {
            writeln!(
                out,
                "  handler   {} {} ExecCGI {} ({})",
                escape(&h.handler),
                h.directory
                    .as_ref()
                    .map_or("-".into(), |d| escape(&d.display().to_string())
                        .into_owned()),
                if h.exec_cgi { "on" } else { "off" },
                escape(&h.origin.to_string())
            )?;
        }
        for s in &a.fastcgi.servers {
            writeln!(
                out,
                "  app       FastCgiServer {} ({})",
                escape(&s.path.display().to_string()),
                escape(&s.origin.to_string())
            )?;
        }
        for w in &a.fcgid.wrappers {
            writeln!(
                out,
                "  app       FcgidWrapper {} ({})",
                escape(&w.command.display().to_string()),
                escape(&w.origin.to_string())
            )?;
        }
    }
    if let Some(n) = c.nginx.as_ref().filter(|n| !n.files.is_empty()) {
        writeln!(
            out,
            "{} {} ({} files{})",
            "nginx".bold(),
            escape(&n.main_file.display().to_string()),
            n.files.len(),
            user("nginx")
        )?;
    }
    for f in c.fpm.iter().filter(|f| !f.files.is_empty()) {
        writeln!(
            out,
            "{} {} ({} files, {} pools)",
            "php-fpm".bold(),
            escape(&f.file.display().to_string()),
            f.files.len(),
            f.pools.len()
        )?;
        for p in &f.pools {
            let mut parts = vec![format!(
                "listen {}",
                p.listen.as_deref().unwrap_or("(none)")
            )];
            if p.listen_owner.is_some() || p.listen_group.is_some() || p.listen_mode.is_some() {
                parts.push(format!(
                    "{}:{} {}",
                    p.listen_owner.as_deref().unwrap_or("-"),
                    p.listen_group.as_deref().unwrap_or("-"),
                    p.listen_mode.as_deref().unwrap_or("-")
                ));
            }
            if let Some(u) = &p.user {
                parts.push(format!("user {u}"));
            }
            if let (Some(pm), Some(n)) = (&p.pm, p.max_children) {
                parts.push(format!("pm {pm} max {n}"));
            }
            if let Some(t) = &p.request_terminate_timeout {
                parts.push(format!("terminate {t}"));
            }
            writeln!(
                out,
                "  pool {:<8} {}",
                escape(&p.name),
                escape(&parts.join("  "))
            )?;
        }
    }
    endpoints(out, &r.endpoints, settings)
}

fn endpoints(
    out: &mut dyn Write,
    list: &[WebEndpoint],
    settings: &OutputSettings,
) -> io::Result<()> {
    if list.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    let mut t = table(settings, &["SERVER", "BACKEND", "WHERE", "TIMEOUT", "FILE"]);
    for e in list {
        t.add_row([
            e.server.to_string(),
            escape(&e.address).into_owned(),
            escape(&e.context).into_owned(),
            format!("{} s", e.timeout),
            escape(&e.origin.to_string()).into_owned(),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out)
}

pub fn render_doctor(
    out: &mut dyn Write,
    r: &DoctorReport,
    settings: &OutputSettings,
) -> io::Result<()> {
    writeln!(
        out,
        "{} {} checks; logs since {}",
        "doctor".bold(),
        r.checks.len(),
        r.since
    )?;
    if r.checks.is_empty() {
        writeln!(out)?;
        return Ok(());
    }
    let mut t = table(settings, &["CHECK", "SUBJECT", "STATUS", "DETAIL"]);
    for c in &r.checks {
        let status = match (c.status, settings.color) {
            (s, false) => s.to_uppercase(),
            ("ok", true) => "OK".green().to_string(),
            ("warning", true) => "WARNING".yellow().to_string(),
            ("critical", true) => "CRITICAL".red().bold().to_string(),
            (s, true) => s.to_uppercase().dimmed().to_string(),
        };
        t.add_row([
            c.check.to_string(),
            escape(&c.subject).into_owned(),
            status,
            escape(&c.detail).into_owned(),
        ]);
    }
    writeln!(out, "{t}")?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::sanitize::first_played;
    use crate::sources::config::apache::ApacheConfig;
    use crate::sources::config::HostConfig;

    #[test]
    fn module_names_are_shown_not_played() {
        let report = ConfigReport {
            config: HostConfig {
                apache: Some(ApacheConfig {
                    main_file: "/etc/apache2/apache2.conf".into(),
                    files: vec!["/etc/apache2/apache2.conf".into()],
                    modules: vec![
                        "proxy_module".into(),
                        "proxy_fcgi\x1b]0;PWNED\x07\r\n_module".into(),
                    ],
                    ..ApacheConfig::default()
                }),
                ..HostConfig::default()
            },
            endpoints: Vec::new(),
            web_users: Vec::new(),
        };
        let settings = OutputSettings {
            format: super::super::Format::Human,
            color: false,
            quiet: false,
            width: 100,
        };
        let mut out = Vec::new();
        render(&mut out, &report, &settings).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(first_played(&text), None, "{text:?}");
        assert!(
            text.contains("modules   proxy_module, proxy_fcgi\\x1b]0;PWNED\\x07\\r\\n_module\n"),
            "{text}"
        );
    }
}
