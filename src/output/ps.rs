//! Human rendering of `ps`: a pstree-like tree in a table, identical siblings
//! collapsed as `5*[php-fpm: pool www]` unless `--all`. Commands are never cut:
//! `ps --forest` truncating names is one of the traps this replaces.

use std::io::{self, Write};

use colored::Colorize;
use comfy_table::{presets, CellAlignment, ColumnConstraint, ContentArrangement, Table, Width};

use super::OutputSettings;
use crate::commands::ps::{Node, PsReport};
use crate::core::sanitize;
use crate::sources::processes::Role;

pub fn render(out: &mut dyn Write, r: &PsReport, settings: &OutputSettings) -> io::Result<()> {
    if r.processes.is_empty() {
        writeln!(out, "no web server or FastCGI process is running")?;
    } else {
        let mut table = Table::new();
        // Too wide for the terminal: the widest column wraps (commands are
        // wrapped, never cut).
        table
            .load_preset(presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic)
            .set_width(settings.width as u16)
            .force_no_tty()
            .set_header([
                "PID", "USER", "THR", "RSS", "%CPU", "AGE", "LISTEN", "COMMAND",
            ]);
        let mut rows = Vec::new();
        // Orphans re-parented to init are roots: alike ones collapse too.
        for group in group_children(&r.processes, r.all) {
            match group.as_slice() {
                [one] => rows_for(one, "", "", r.all, &mut rows),
                many => rows.push(collapsed(many, "")),
            }
        }
        // Only LISTEN and COMMAND may wrap, and only when the table is wider
        // than the width: LISTEN between its addresses, COMMAND between words.
        // A socket path cut in two is worse than a wide table.
        let widest = |column: usize, word: bool| {
            rows.iter()
                .flat_map(|r| -> Vec<&str> {
                    if word {
                        r[column].split_whitespace().collect()
                    } else {
                        vec![r[column].as_str()]
                    }
                })
                .map(console_width)
                .max()
                .unwrap_or(1)
        };
        // One column of padding each.
        let natural: usize = (0..8).map(|c| widest(c, false) + 1).sum();
        let (listen, command) = (widest(6, true), widest(7, true).min(60));
        for row in rows {
            table.add_row(row);
        }
        // One space between columns, as ps(1) has: eight columns fit more
        // of the command in the width.
        for c in table.column_iter_mut() {
            c.set_padding((0, 1));
        }
        for column in 0..8 {
            if let Some(c) = table.column_mut(column) {
                c.set_constraint(ColumnConstraint::ContentWidth);
            }
        }
        if natural > settings.width {
            // The widths include the padding.
            if let Some(c) = table.column_mut(6) {
                c.set_constraint(ColumnConstraint::Absolute(Width::Fixed(listen as u16 + 1)));
            }
            if let Some(c) = table.column_mut(7) {
                c.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(
                    command as u16 + 1,
                )));
            }
        }
        for column in [0, 2, 3, 4, 5] {
            if let Some(c) = table.column_mut(column) {
                c.set_cell_alignment(CellAlignment::Right);
            }
        }
        for line in table.to_string().lines() {
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    let s = &r.summary;
    writeln!(
        out,
        "\n{}, {}, {}, {} ({})",
        count(s.web_servers, "web server"),
        count(s.process_managers, "process manager"),
        count(s.pool_workers, "pool worker"),
        count(s.apps, "app"),
        count(s.total, "process")
    )?;
    if let Some(u) = &r.web_user {
        writeln!(
            out,
            "{} {} (from {})",
            "web user".bold(),
            sanitize::escape(&u.name),
            sanitize::escape(&u.source)
        )?;
    }
    if !r.exited.is_empty() {
        writeln!(
            out,
            "{} {} while watched{}",
            "exited".bold(),
            r.exited.len(),
            r.watched_by
                .map_or(String::new(), |w| format!(" (seen by {w})"))
        )?;
        // The last ten: enough to see a loop, not a screenful of it.
        for e in r.exited.iter().rev().take(10).rev() {
            writeln!(
                out,
                "  pid {:<7} lived {:>8}  {:<12} {}",
                e.pid,
                if e.lived_seconds < 1.0 {
                    format!("{:.0} ms", e.lived_seconds * 1000.0)
                } else {
                    format!("{:.1} s", e.lived_seconds)
                },
                e.status.as_deref().unwrap_or("-"),
                sanitize::escape(&e.command)
            )?;
        }
    }
    Ok(())
}

/// Rows of `node` and its subtree. `lead` prefixes this node's command,
/// `rest` the lines below it (the tree art of pstree).
fn rows_for(node: &Node, lead: &str, rest: &str, all: bool, rows: &mut Vec<Vec<String>>) {
    rows.push(row(node, &format!("{lead}{}", command_text(node))));
    let groups = group_children(&node.children, all);
    for (i, group) in groups.iter().enumerate() {
        let last = i + 1 == groups.len();
        let (branch, below) = if last {
            ("└─ ", "   ")
        } else {
            ("├─ ", "│  ")
        };
        let lead = format!("{rest}{branch}");
        let rest = format!("{rest}{below}");
        match group.as_slice() {
            [one] => rows_for(one, &lead, &rest, all, rows),
            many => rows.push(collapsed(many, &lead)),
        }
    }
}

/// One row for alike siblings: the first pid and how many more, their RSS
/// summed, `N*[command]`.
fn collapsed(many: &[&Node], lead: &str) -> Vec<String> {
    let first = many[0];
    let mut r = row(first, "");
    r[7] = format!("{lead}{}*[{}]", many.len(), command_text(first));
    r[0] = format!("{}+{}", first.pid, many.len() - 1);
    r[3] = human_bytes(many.iter().map(|n| n.rss_bytes).sum());
    r
}

/// Siblings that look alike (same command, user, state, sockets, and no
/// children of their own) collapse into one row, as pstree does.
fn group_children(children: &[Node], all: bool) -> Vec<Vec<&Node>> {
    let mut groups: Vec<Vec<&Node>> = Vec::new();
    for c in children {
        let alike = |g: &Vec<&Node>| {
            let f = g[0];
            !all && c.children.is_empty()
                && f.children.is_empty()
                && f.command == c.command
                && f.user == c.user
                && f.state == c.state
                && f.listening == c.listening
        };
        match groups.iter_mut().find(|g| alike(g)) {
            Some(g) => g.push(c),
            None => groups.push(vec![c]),
        }
    }
    groups
}

fn command_text(n: &Node) -> String {
    let command = sanitize::escape(&n.command).into_owned();
    let command = if n.state == 'Z' {
        format!("{command} <defunct>")
    } else {
        command
    };
    // Module names are file names a process mapped: anyone's text.
    let modules = if n.modules.is_empty() {
        String::new()
    } else {
        format!(" [{}]", sanitize::escape(&n.modules.join(" ")))
            .dimmed()
            .to_string()
    };
    match n.role {
        Role::WebServer | Role::ProcessManager => format!("{}{modules}", command.bold()),
        _ if n.state == 'Z' => command.red().to_string(),
        _ => command,
    }
}

fn row(n: &Node, command: &str) -> Vec<String> {
    // Escaped before colouring: the escaping must not touch a colour code.
    let user = sanitize::escape(&n.user);
    let user = if n.uid == Some(0) && matches!(n.role, Role::App | Role::PoolWorker) {
        user.red().to_string()
    } else {
        user.into_owned()
    };
    let listen = if n.fds_visible {
        n.listening
            .iter()
            .map(|l| sanitize::escape(l).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        "?".to_string()
    };
    vec![
        n.pid.to_string(),
        user,
        n.threads.to_string(),
        human_bytes(n.rss_bytes),
        format!("{:.1}", n.cpu_percent),
        human_age(n.age_seconds),
        listen,
        command.to_string(),
    ]
}

/// Columns a word takes (the tree art and names may be non-ASCII).
fn console_width(word: &str) -> usize {
    word.chars().count()
}

fn count(n: usize, what: &str) -> String {
    match (n, what.ends_with('s')) {
        (1, _) => format!("1 {what}"),
        (_, true) => format!("{n} {what}es"),
        (_, false) => format!("{n} {what}s"),
    }
}

fn human_bytes(b: u64) -> String {
    const K: f64 = 1024.0;
    let b = b as f64;
    if b >= K * K * K {
        format!("{:.1}G", b / K / K / K)
    } else if b >= K * K {
        format!("{:.1}M", b / K / K)
    } else {
        format!("{:.0}K", b / K)
    }
}

fn human_age(s: f64) -> String {
    let s = s as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sources::processes::Software;

    fn node(pid: u32, ppid: u32, command: &str, children: Vec<Node>) -> Node {
        Node {
            pid,
            ppid,
            user: "www-data".into(),
            uid: Some(33),
            state: 'S',
            role: Role::PoolWorker,
            software: Software::PhpFpm,
            pool: None,
            threads: 1,
            rss_bytes: 1 << 20,
            cpu_seconds: 0.0,
            cpu_percent: 0.0,
            age_seconds: 60.0,
            command: command.into(),
            listening: vec![],
            connections: 0,
            fds_visible: true,
            modules: vec![],
            children,
        }
    }

    #[test]
    fn identical_siblings_collapse_unless_all() {
        let workers = vec![
            node(101, 100, "php-fpm: pool www", vec![]),
            node(102, 100, "php-fpm: pool www", vec![]),
        ];
        let mut report = PsReport {
            processes: vec![node(100, 1, "php-fpm: master process", workers)],
            ..PsReport::default()
        };
        let settings = OutputSettings {
            format: super::super::Format::Human,
            color: false,
            quiet: false,
            width: 100,
        };
        let text = |r: &PsReport| {
            let mut out = Vec::new();
            render(&mut out, r, &settings).unwrap();
            String::from_utf8(out).unwrap()
        };
        let collapsed = text(&report);
        assert!(collapsed.contains("2*[php-fpm: pool www]"), "{collapsed}");
        report.all = true;
        let each = text(&report);
        assert_eq!(each.matches("php-fpm: pool www").count(), 2, "{each}");
    }

    #[test]
    fn module_names_and_user_names_are_shown_not_played() {
        // A file name any user can map into a process, and a user name.
        let hostile = "php\x1b]0;PWNED\x07\r\x1b[2J\n";
        let mut worker = node(101, 100, "php-fpm: pool www", vec![]);
        (worker.uid, worker.user) = (Some(0), "ro\x1b]0;x\x07ot".into());
        let mut master = node(100, 1, "apache2 -k start", vec![worker]);
        master.role = Role::WebServer;
        master.modules = vec![hostile.into(), "proxy_fcgi".into()];
        let report = PsReport {
            processes: vec![master],
            ..PsReport::default()
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
        assert_eq!(sanitize::first_played(&text), None, "{text:?}");
        assert!(
            text.contains("php\\x1b]0;PWNED\\x07\\r\\x1b[2J\\n proxy_fcgi"),
            "{text}"
        );
        assert!(text.contains("ro\\x1b]0;x\\x07ot"), "{text}");
    }

    #[test]
    fn ages_and_sizes_read_like_ps() {
        assert_eq!(human_age(5.4), "5s");
        assert_eq!(human_age(125.0), "2m05s");
        assert_eq!(human_age(7300.0), "2h01m");
        assert_eq!(human_age(200_000.0), "2d07h");
        assert_eq!(human_bytes(12 * 1024 * 1024), "12.0M");
        assert_eq!(human_bytes(900 * 1024), "900K");
    }
}
