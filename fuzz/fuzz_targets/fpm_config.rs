//! php-fpm's configuration: `sources::fpmconf::load(&ConfigRoot, &Path)` on
//! files written from the input into a directory of this process's own under
//! `std::env::temp_dir()`, used as the `ConfigRoot`. The input is split at the
//! first NUL byte: the first part is `/etc/php/8.2/fpm/php-fpm.conf` (the main
//! file), the second `/etc/php/8.2/fpm/pool.d/www.conf` (reached by an
//! `include=` of the input's own, e.g. `include=pool.d/*.conf`). A part that
//! is absent is a file that does not exist.
//!
//! Inputs holding `..` are skipped: through the root they would name the
//! machine's own files, which are not the fuzzer's to read.
//!
//! Invariants: the main file is read first; every file read lies under
//! `/etc/php/8.2/fpm` (nothing else exists under the root) and is read once;
//! pool names are unique; every pool names a file that was read, at a line
//! from 1. Then each pool's `listen` goes through `Address::parse` and
//! `FpmConfig::pool_listening_on` finds a pool for it.

#![no_main]

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use fcgi_doctor::sources::config::{Address, HostConfig};
use fcgi_doctor::sources::files::ConfigRoot;
use fcgi_doctor::sources::fpmconf::load;
use libfuzzer_sys::fuzz_target;

const MAIN: &str = "/etc/php/8.2/fpm/php-fpm.conf";
const POOL: &str = "/etc/php/8.2/fpm/pool.d/www.conf";

/// This process's root, made once (a fixed name per process).
fn root() -> &'static ConfigRoot {
    static ROOT: OnceLock<ConfigRoot> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("fcgi-doctor-fuzz-fpm-{}", std::process::id()));
        let root = ConfigRoot(dir);
        fs::create_dir_all(root.file("/etc/php/8.2/fpm/pool.d")).expect("temp dir");
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
    let mut parts = data.splitn(2, |&b| b == 0);
    let root = root();
    put(root, MAIN, parts.next());
    put(root, POOL, parts.next());

    let config = load(root, Path::new(MAIN));
    assert_eq!(
        config.files.first().map(PathBuf::as_path),
        Some(Path::new(MAIN))
    );
    let mut seen = BTreeSet::new();
    for f in &config.files {
        // As the host names it, or relative (read under the root all the same).
        assert!(
            root.file(f).starts_with(root.file("/etc/php/8.2/fpm")),
            "read {}",
            f.display()
        );
        assert!(seen.insert(f), "{} read twice", f.display());
    }
    let mut names = BTreeSet::new();
    for pool in &config.pools {
        assert!(names.insert(&pool.name), "pool {} twice", pool.name);
        assert!(config.files.contains(&pool.file), "{}", pool.file.display());
        assert!(pool.line >= 1);
        if let Some(listen) = &pool.listen {
            assert!(config.pool_listening_on(listen).is_some(), "{listen:?}");
            if let Some(a) = Address::parse(listen) {
                assert!(a.reaches(&a));
                let _ = (a.target(), a.is_remote());
            }
        }
    }
    let host = HostConfig {
        fpm: vec![config],
        ..HostConfig::default()
    };
    let _ = host.notes();
});
