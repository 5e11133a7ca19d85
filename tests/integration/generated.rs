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

/// One page for the tool and one per subcommand (`man fcgi-doctor-probe`).
fn man_pages() -> Vec<(String, Vec<u8>)> {
    let cmd = fcgi_doctor::cli::command();
    let mut pages = Vec::new();
    let mut render = |cmd: clap::Command, name: String| {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut buf).unwrap();
        pages.push((name, buf));
    };
    render(cmd.clone(), "fcgi-doctor.1".into());
    for sub in cmd.get_subcommands() {
        let name = format!("fcgi-doctor-{}", sub.get_name());
        let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
        let sub = sub
            .clone()
            .name(static_name)
            .version(env!("CARGO_PKG_VERSION"));
        render(sub, format!("{name}.1"));
    }
    pages
}

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
