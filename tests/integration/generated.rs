//! The man pages and shell completions are generated from the clap model and
//! committed; this fails when they drift. Regenerate with
//! `UPDATE_GENERATED=1 cargo test --test integration generated`.

use std::path::{Path, PathBuf};

use clap_complete::Shell;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(path: &Path, fresh: &[u8], stale: &mut Vec<String>) {
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, fresh).unwrap();
        return;
    }
    match std::fs::read(path) {
        Ok(committed) if committed == fresh => {}
        _ => stale.push(path.display().to_string()),
    }
}

/// One page for the tool and one per subcommand (`man fcgi-doctor-probe`),
/// each a real manual: the synopsis as typed (`fcgi-doctor probe ...`), the
/// options, EXIT STATUS, EXAMPLES (from the command's `--help`), SEE ALSO.
fn man_pages() -> Vec<(String, Vec<u8>)> {
    let cmd = fcgi_doctor::cli::command();
    let pages: Vec<String> = cmd
        .get_subcommands()
        .map(|s| format!("fcgi-doctor-{}", s.get_name()))
        .filter(|p| p != "fcgi-doctor-help")
        .collect();
    let mut out = Vec::new();
    // `fcgi-doctor help` has no page of its own.
    let top = cmd.clone().disable_help_subcommand(true);
    out.push((
        "fcgi-doctor.1".to_string(),
        man_page(top, "fcgi-doctor", &pages),
    ));
    for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let page = format!("fcgi-doctor-{}", sub.get_name());
        let typed = format!("fcgi-doctor {}", sub.get_name());
        let sub = sub
            .clone()
            .display_name(leak(page.clone()))
            .bin_name(leak(typed))
            .version(env!("CARGO_PKG_VERSION"));
        let others: Vec<String> = std::iter::once("fcgi-doctor".to_string())
            .chain(pages.iter().filter(|p| **p != page).cloned())
            .collect();
        out.push((format!("{page}.1"), man_page(sub, &page, &others)));
    }
    out
}

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

/// clap_mangen's sections, with the after-help text split into EXAMPLES (its
/// `fcgi-doctor ...` lines) and NOTES (the prose), then EXIT STATUS and SEE ALSO.
fn man_page(cmd: clap::Command, title: &str, see_also: &[String]) -> Vec<u8> {
    use roff::{bold, roman, Roff};
    let after = cmd
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    let man = clap_mangen::Man::new(cmd.clone().after_help(None::<&str>))
        .title(title)
        .source(format!("fcgi-doctor {}", env!("CARGO_PKG_VERSION")))
        .manual("fcgi-doctor manual");
    let mut buf = Vec::new();
    man.render_title(&mut buf).unwrap();
    man.render_name_section(&mut buf).unwrap();
    man.render_synopsis_section(&mut buf).unwrap();
    man.render_description_section(&mut buf).unwrap();
    man.render_options_section(&mut buf).unwrap();
    if cmd.get_subcommands().next().is_some() {
        man.render_subcommands_section(&mut buf).unwrap();
    }
    let mut roff = Roff::new();
    let (examples, notes): (Vec<&str>, Vec<&str>) = after
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with("Examples:"))
        .filter(|l| !l.starts_with("Exit status") && !EXIT_LINE.iter().any(|e| l.contains(e)))
        .partition(|l| l.trim_start().starts_with("fcgi-doctor ") || l.contains(" | fcgi-doctor "));
    if !notes.is_empty() {
        roff.control("SH", ["NOTES"]);
        roff.text([roman(
            notes.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" "),
        )]);
    }
    roff.control("SH", ["EXIT STATUS"]);
    for (code, word, meaning) in EXIT_STATUS {
        roff.control("TP", []);
        roff.text([bold(code), roman(format!("  {word}"))]);
        roff.text([roman(meaning)]);
    }
    roff.control("PP", []);
    roff.text([roman(
        "The status is the same for every command (the monitoring-plugin convention). \
         The exact failure is in each finding's code: fcgi-doctor explain CODE.",
    )]);
    let examples: Vec<&str> = if examples.is_empty() {
        vec![
            "fcgi-doctor probe /run/php/php8.2-fpm.sock --fpm-ping",
            "fcgi-doctor logs /var/log/nginx/error.log /var/log/php8.2-fpm.log --since 2h",
            "fcgi-doctor socket /run/php/php8.2-fpm.sock",
            "fcgi-doctor ps --watch 10s",
            "fcgi-doctor explain FD1004",
        ]
    } else {
        examples
    };
    roff.control("SH", ["EXAMPLES"]);
    for example in examples {
        let (command, comment) = match example.split_once(" # ") {
            Some((c, why)) => (c.trim(), Some(why.trim())),
            None => (example.trim(), None),
        };
        roff.control("PP", []);
        if let Some(why) = comment {
            roff.text([roman(why)]);
        }
        roff.control("RS", []);
        roff.control("nf", []);
        roff.text([roman(command)]);
        roff.control("fi", []);
        roff.control("RE", []);
    }
    roff.control("SH", ["SEE ALSO"]);
    let refs: Vec<String> = see_also
        .iter()
        .map(|p| format!("{p}(1)"))
        .chain(["cgi-fcgi(1)", "php-fpm(8)", "nginx(8)", "apache2(8)"].map(String::from))
        .collect();
    roff.text([roman(refs.join(", "))]);
    buf.extend_from_slice(roff.to_roff().as_bytes());
    man.render_version_section(&mut buf).unwrap();
    buf
}

/// Lines of the top-level after-help that EXIT STATUS says in its own way.
const EXIT_LINE: [&str; 5] = [
    "0  OK",
    "1  WARNING",
    "2  CRITICAL",
    "3  UNKNOWN",
    "explain CODE` says",
];

const EXIT_STATUS: [(&str, &str, &str); 4] = [
    ("0", "OK", "Nothing wrong, or only informational findings."),
    ("1", "WARNING", "At least one warning finding."),
    ("2", "CRITICAL", "At least one critical finding."),
    (
        "3",
        "UNKNOWN",
        "The check could not be done: bad usage, nothing could be read, or the tool's own \
         failure; one line on standard error says which.",
    ),
];

#[test]
fn man_pages_and_completions_match_the_cli() {
    let mut stale = Vec::new();
    for (name, page) in man_pages() {
        check(&root().join("man").join(name), &page, &mut stale);
    }
    for (shell, file) in [
        (Shell::Bash, "fcgi-doctor.bash"),
        (Shell::Zsh, "_fcgi-doctor"),
        (Shell::Fish, "fcgi-doctor.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(
            shell,
            &mut fcgi_doctor::cli::command(),
            "fcgi-doctor",
            &mut buf,
        );
        check(&root().join("completions").join(file), &buf, &mut stale);
    }
    assert!(
        stale.is_empty(),
        "generated files drifted from the CLI: {stale:?}\n\
         regenerate: UPDATE_GENERATED=1 cargo test --test integration generated"
    );
}

/// The catalogue tables are generated from catalogue/messages.md, the one
/// place a message row is edited.
#[test]
fn catalogue_tables_match_the_message_catalogue() {
    let status = std::process::Command::new("python3")
        .arg(root().join("scripts/gen-log-catalogue"))
        .arg("--check")
        .status()
        .expect("python3 runs the generator");
    assert!(
        status.success(),
        "the catalogue tables drifted from catalogue/messages.md: run scripts/gen-log-catalogue"
    );
}

#[test]
fn man_page_documents_exit_status() {
    let (_, page) = &man_pages()[0];
    let text = String::from_utf8_lossy(page);
    assert!(
        text.contains("UNKNOWN"),
        "exit codes missing from the man page"
    );
}

/// Each page is a real manual: the synopsis as the command is typed, and the
/// sections a reader looks for.
#[test]
fn man_pages_are_manuals() {
    for (name, page) in man_pages() {
        let text = String::from_utf8_lossy(&page);
        for section in [
            ".SH NAME",
            ".SH SYNOPSIS",
            ".SH \"EXIT STATUS\"",
            ".SH EXAMPLES",
            ".SH \"SEE ALSO\"",
        ] {
            assert!(text.contains(section), "{name}: no {section}");
        }
        if let Some(command) = name
            .strip_prefix("fcgi-doctor-")
            .and_then(|n| n.strip_suffix(".1"))
        {
            let synopsis = &text[text.find(".SH SYNOPSIS").unwrap()..];
            assert!(
                synopsis.contains(&format!("fcgi\\-doctor {command}")),
                "{name}: the synopsis is not `fcgi-doctor {command} ...`"
            );
        }
    }
}

/// scripts/add-php-binary-rows reads php-fpm's messages from a compiled binary
/// (the arguments of each zlog call); scripts/gen-inventory reads them from the
/// sources. On the installed php-fpm the two must agree on every message both
/// know: same level, same errno flag, same file.
#[test]
fn php_fpm_binary_reader_agrees_with_the_source_inventory() {
    let binary = crate::servers::php_fpm_binary();
    let objdump = crate::servers::which("objdump").is_ok();
    if !crate::util::require(
        binary.is_some() && objdump,
        "php-fpm and objdump (binutils)",
    ) {
        return;
    }
    let binary = binary.unwrap();
    let version = std::process::Command::new(&binary)
        .arg("-v")
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&version.stdout);
    let version = version
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split(['-', '+']).next())
        .expect("php-fpm -v names its version")
        .to_string();
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/add-php-binary-rows"))
        .arg("--check")
        .arg("--binary")
        .arg(format!("{version}={}", binary.display()))
        .output()
        .expect("python3 runs scripts/add-php-binary-rows");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    // "php-fpm 8.2.36: 402 calls read (5 ...), 400 agree with the inventory, ..."
    let number_before = |words: &str| -> usize {
        let at = stderr.find(words).unwrap_or_else(|| panic!("{stderr}"));
        stderr[..at]
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{stderr}"))
    };
    let read = number_before(" calls read");
    let agree = number_before(" agree with the inventory");
    assert!(
        read >= 300 && agree >= 300,
        "too few zlog calls understood: {stderr}"
    );
}
