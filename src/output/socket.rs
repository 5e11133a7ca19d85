//! Human rendering of `socket`: the path component by component, who may
//! connect, and who listens.

use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{presets, ContentArrangement, Table};

use super::{text, OutputSettings};
use crate::commands::socket::{SocketReport, TargetReport};
use crate::core::sanitize;

/// Listeners shown per target; JSON has them all (a php-fpm pool may have hundreds).
const MAX_LISTENERS: usize = 8;

/// Columns of the label before each value.
const LABEL: usize = 12;

pub fn render(out: &mut dyn Write, r: &SocketReport, settings: &OutputSettings) -> io::Result<()> {
    let label = |s: &str| format!("  {s:<10}").bold();
    match &r.web_user {
        Some(u) => {
            let groups = if u.groups.is_empty() {
                String::new()
            } else {
                format!(", groups {}", sanitize::escape(&u.groups.join(",")))
            };
            let user = format!(
                "{} (uid {}{groups}; from {})",
                sanitize::escape(&u.name),
                u.uid,
                sanitize::escape(&u.source)
            );
            let user = text::after_label(&user, 9, settings.width);
            writeln!(out, "{} {user}", "web user".bold())?;
        }
        None => writeln!(out, "{} unknown", "web user".bold())?,
    }
    for t in &r.targets {
        writeln!(out)?;
        render_target(out, t, &label, settings)?;
    }
    Ok(())
}

fn render_target(
    out: &mut dyn Write,
    t: &TargetReport,
    label: &dyn Fn(&str) -> colored::ColoredString,
    settings: &OutputSettings,
) -> io::Result<()> {
    writeln!(out, "{} {}", "socket".bold(), sanitize::escape(&t.target))?;
    if let Some(link) = &t.symlink_target {
        writeln!(
            out,
            "{}symlink to {}",
            label("path"),
            sanitize::escape(link)
        )?;
    }
    if !t.components.is_empty() {
        let mut table = Table::new();
        table
            .load_preset(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(settings.width as u16)
            .force_no_tty()
            .set_header(["  PERMISSIONS", "OWNER", "GROUP", "PATH"]);
        for c in &t.components {
            let path = match &c.link {
                Some(l) => format!("{} -> {}", c.path, l),
                None => c.path.clone(),
            };
            table.add_row([
                format!("  {}", c.permissions),
                sanitize::escape(&c.owner).into_owned(),
                sanitize::escape(&c.group).into_owned(),
                sanitize::escape(&path).into_owned(),
            ]);
        }
        for line in table.to_string().lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    if let Some(a) = &t.access {
        // Escaped and wrapped before colouring: neither may cut a colour code.
        let who = sanitize::escape(&a.user);
        let connected = a.connect_as_user.as_deref() == Some("connected");
        let (verdict, allowed) = match &a.denied_by {
            Some(d) if connected => (
                format!(
                    "{who} may connect through an ACL (the modes alone deny: no {} \
                     permission on {})",
                    a.missing_permission.unwrap_or("?"),
                    sanitize::escape(d)
                ),
                true,
            ),
            Some(d) => (
                format!(
                    "{who} cannot connect: no {} permission on {}",
                    a.missing_permission.unwrap_or("?"),
                    sanitize::escape(d)
                ),
                false,
            ),
            None => (format!("{who} may connect"), true),
        };
        let confirmed = match a.connect_as_user.as_deref() {
            Some("connected") => format!("(confirmed: connect() as {who} succeeded)"),
            Some(err) => format!("(connect() as {who} failed: {err})"),
            None => String::new(),
        };
        let line = text::after_label(&format!("{verdict} {confirmed}"), LABEL, settings.width);
        let line = if allowed { line.green() } else { line.red() };
        writeln!(out, "{}{line}", label("access"))?;
    }
    if t.listeners.is_empty() {
        if t.file_type == Some("socket") || t.kind != "unix" {
            writeln!(out, "{}nobody", label("listener"))?;
        }
    } else {
        for (i, l) in t.listeners.iter().take(MAX_LISTENERS).enumerate() {
            let mark = match l.owns_path {
                Some(false) => " (file replaced: unreachable)".yellow().to_string(),
                _ => String::new(),
            };
            let listener = format!(
                "pid {} {} {}  [{}]",
                l.pid,
                sanitize::escape(&l.user),
                sanitize::escape(&sanitize::truncate(&l.command, 100)),
                sanitize::escape(&l.address),
            );
            writeln!(
                out,
                "{}{}{mark}",
                if i == 0 { label("listener") } else { label("") },
                text::after_label(&listener, LABEL, settings.width)
            )?;
        }
        if t.listeners.len() > MAX_LISTENERS {
            writeln!(
                out,
                "{}... and {} more processes (--format json lists them all)",
                label(""),
                t.listeners.len() - MAX_LISTENERS
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::sanitize::first_played;
    use crate::sources::webuser::WebUser;

    #[test]
    fn group_names_are_shown_not_played() {
        // Group names come from the user database, which may be a directory
        // service.
        let report = SocketReport {
            web_user: Some(WebUser {
                name: "www-data".into(),
                uid: 33,
                gid: 33,
                groups: vec!["www-data".into(), "dev\x1b]0;PWNED\x07\r\n".into()],
                gids: vec![33, 1000],
                source: "--web-user".into(),
                guessed: false,
            }),
            targets: Vec::new(),
        };
        let settings = OutputSettings {
            format: super::super::Format::Human,
            color: false,
            quiet: false,
            width: 200,
        };
        let mut out = Vec::new();
        render(&mut out, &report, &settings).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(first_played(&text), None, "{text:?}");
        assert!(
            text.contains("groups www-data,dev\\x1b]0;PWNED\\x07\\r\\n;"),
            "{text}"
        );
    }
}
