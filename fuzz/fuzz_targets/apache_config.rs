//! Apache's configuration: `sources::config::apache::load(&ConfigRoot, &Path)`
//! on files written from the input into a directory of this process's own
//! under `std::env::temp_dir()`, used as the `ConfigRoot`. The input is split
//! at NUL bytes: the first part is `/etc/apache2/apache2.conf` (the main
//! file), the second `/etc/apache2/conf-enabled/extra.conf` (reached by an
//! `Include` or `IncludeOptional` of the input's own), the third
//! `/etc/apache2/envvars` (Debian's, which `load` reads beside the main
//! file). A part that is absent is a file that does not exist.
//!
//! Inputs holding `..` are skipped: through the root they would name the
//! machine's own files, which are not the fuzzer's to read.
//!
//! Invariants: at most 100 notes (plus "further notes left out"); the main
//! file is among the files read; every file read lies under `/etc/apache2`
//! (nothing else exists under the root); every endpoint's origin is a file
//! that was read, at a line from 1.

#![no_main]

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fcgi_doctor::checks::config::started_by_apache;
use fcgi_doctor::sources::config::apache::load;
use fcgi_doctor::sources::config::{Address, HostConfig};
use fcgi_doctor::sources::files::ConfigRoot;
use libfuzzer_sys::fuzz_target;

const MAIN: &str = "/etc/apache2/apache2.conf";
const EXTRA: &str = "/etc/apache2/conf-enabled/extra.conf";
const ENVVARS: &str = "/etc/apache2/envvars";

/// This process's root, made once (a fixed name per process).
fn root() -> &'static ConfigRoot {
    static ROOT: OnceLock<ConfigRoot> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("fcgi-doctor-fuzz-apache-{}", std::process::id()));
        let root = ConfigRoot(dir);
        fs::create_dir_all(root.file("/etc/apache2/conf-enabled")).expect("temp dir");
        root
    })
}

fn put(root: &ConfigRoot, path: &str, text: Option<&[u8]>) {
    let at: PathBuf = root.file(path);
    match text {
        Some(text) => fs::write(&at, text).expect("write"),
        None => match fs::remove_file(&at) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => panic!("remove {}: {e}", at.display()),
        },
    }
}

fuzz_target!(|data: &[u8]| {
    if data.windows(2).any(|w| w == b"..") {
        return;
    }
    let mut parts = data.splitn(3, |&b| b == 0);
    let root = root();
    put(root, MAIN, parts.next());
    put(root, EXTRA, parts.next());
    put(root, ENVVARS, parts.next());

    let config = load(root, Path::new(MAIN));
    assert!(config.notes.len() <= 101, "{} notes", config.notes.len());
    assert_eq!(
        config.files.first().map(PathBuf::as_path),
        Some(Path::new(MAIN))
    );
    for f in &config.files {
        // As the host names it, or relative (read under the root all the same).
        assert!(
            root.file(f).starts_with(root.file("/etc/apache2")),
            "read {}",
            f.display()
        );
    }
    for e in &config.endpoints {
        assert!(
            config.files.contains(&e.origin.file),
            "{} is not among the files read",
            e.origin.file.display()
        );
        assert!(e.origin.line >= 1, "line 0");
        if let Some(a) = Address::parse(&e.address) {
            assert!(a.reaches(&a));
            let _ = (a.target(), a.is_remote());
        }
    }
    let host = HostConfig {
        apache: Some(config),
        ..HostConfig::default()
    };
    let _ = host.endpoints();
    let _ = host.notes();
    let _ = started_by_apache(&host);
});
