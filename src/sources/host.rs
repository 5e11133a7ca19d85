//! The host one run looks at: its `/proc`, where its configuration lives, its
//! process table, its web user, its services and php-fpm configurations. Each
//! is read at most once, when a check first asks, and shared by every check of
//! the run: `doctor` runs `socket`, `ps` and `probe` on one `Host` and they see
//! one process table and one web user.
//!
//! [`Host::from_env`] is this host, unless the test harness points the run at
//! a fixture with `FCGI_DOCTOR_TEST_PROC` (a `/proc` laid out by
//! [`super::fixture`]) and `FCGI_DOCTOR_TEST_CONFIG` (a configuration root).
//! They are no options of the command line, and change nothing but where
//! facts are read from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use super::files::ConfigRoot;
use super::fpmconf::{self, FpmConfig, Pool};
use super::paths::{Live, PathFacts};
use super::processes::{Process, Snapshot};
use super::procfs::ProcFs;
use super::services::Services;
use super::webuser::{self, WebUser};

/// The environment variable naming a fixture `/proc` (tests only).
pub const TEST_PROC_ENV: &str = "FCGI_DOCTOR_TEST_PROC";
/// The environment variable naming a fixture configuration root (tests only).
pub const TEST_CONFIG_ENV: &str = "FCGI_DOCTOR_TEST_CONFIG";

/// Where configuration files are read: `/`, or the fixture root the test
/// harness names.
pub fn config_root_from_env() -> ConfigRoot {
    std::env::var_os(TEST_CONFIG_ENV)
        .map_or_else(ConfigRoot::default, |root| ConfigRoot(PathBuf::from(root)))
}
/// The environment variable fixing the clock, `2026-11-23T08:00:00` (tests only).
pub const TEST_NOW_ENV: &str = "FCGI_DOCTOR_TEST_NOW";

pub struct Host {
    proc: ProcFs,
    config: ConfigRoot,
    given_web_user: Option<WebUser>,
    snapshot: OnceLock<Result<Snapshot, String>>,
    /// Taken without looking for applications by their fd 0, when only who
    /// listens matters and no full snapshot was needed (yet).
    listeners: OnceLock<Result<Snapshot, String>>,
    web_user: OnceLock<Option<WebUser>>,
    services: OnceLock<Services>,
    fpm_configs: Mutex<HashMap<PathBuf, Arc<FpmConfig>>>,
    /// The local time, unless a test fixed it.
    now: Option<chrono::NaiveDateTime>,
}

impl Host {
    pub fn new(proc: ProcFs, config: ConfigRoot) -> Self {
        Self {
            proc,
            config,
            given_web_user: None,
            snapshot: OnceLock::new(),
            listeners: OnceLock::new(),
            web_user: OnceLock::new(),
            services: OnceLock::new(),
            fpm_configs: Mutex::new(HashMap::new()),
            now: None,
        }
    }

    /// The local time (logs' timestamps are local), or the test's fixed one.
    pub fn now(&self) -> chrono::NaiveDateTime {
        self.now
            .unwrap_or_else(|| chrono::Local::now().naive_local())
    }

    /// This host, or the fixture the test harness names.
    pub fn from_env() -> Self {
        let proc = std::env::var_os(TEST_PROC_ENV)
            .map_or_else(ProcFs::live, |root| ProcFs::recorded(PathBuf::from(root)));
        let mut host = Self::new(proc, config_root_from_env());
        host.now = std::env::var(TEST_NOW_ENV)
            .ok()
            .and_then(|t| chrono::NaiveDateTime::parse_from_str(&t, "%Y-%m-%dT%H:%M:%S").ok());
        host
    }

    /// The web user, given (`--web-user`) rather than detected.
    pub fn with_web_user(mut self, user: WebUser) -> Self {
        self.given_web_user = Some(user);
        self
    }

    /// A process table taken elsewhere (`ps --watch` ends with one), used
    /// instead of taking one. False when one was taken already.
    pub fn install_snapshot(&self, snapshot: Snapshot) -> bool {
        self.snapshot.set(Ok(snapshot)).is_ok()
    }

    pub fn proc(&self) -> &ProcFs {
        &self.proc
    }

    pub fn config(&self) -> &ConfigRoot {
        &self.config
    }

    /// Whether the configuration read belongs to the processes and sockets
    /// seen: this host's own, or a fixture's with its own `/proc`. A mounted
    /// image's or a fixture's files say nothing of what runs here.
    pub fn config_matches_processes(&self) -> bool {
        self.config.is_host() || self.proc.root() != Path::new("/proc")
    }

    /// What checks may ask about paths: this host's filesystem.
    pub fn paths(&self) -> &'static dyn PathFacts {
        &Live
    }

    /// The process table, taken on first use; the error says why it could not
    /// be read (no `/proc`).
    pub fn snapshot(&self) -> Result<&Snapshot, &str> {
        self.snapshot
            .get_or_init(|| self.take(true))
            .as_ref()
            .map_err(String::as_str)
    }

    /// The process table for who listens where (`socket`): the full one when
    /// it was taken, else one that does not look for applications by the
    /// socket on their fd 0. That look is a `readlink` per process, a quarter
    /// of `socket`'s time on a host with 2,000 processes (BENCHMARKS.md), and
    /// who holds a socket is found from the descriptors anyway.
    pub fn listeners_snapshot(&self) -> Result<&Snapshot, &str> {
        let taken = match self.snapshot.get() {
            Some(full) => full,
            None => self.listeners.get_or_init(|| self.take(false)),
        };
        taken.as_ref().map_err(String::as_str)
    }

    fn take(&self, fd0_apps: bool) -> Result<Snapshot, String> {
        Snapshot::take_with(&self.proc, fd0_apps).map_err(|e| {
            format!(
                "cannot read the process table under {}: {e}",
                self.proc.root().display()
            )
        })
    }

    /// The web user: given, else the user of the running web server's
    /// workers, else the configured one, else the distribution's default
    /// (marked `guessed`); None when there is none of these.
    pub fn web_user(&self) -> Option<&WebUser> {
        if let Some(user) = &self.given_web_user {
            return Some(user);
        }
        // A process table already taken says it; otherwise a light scan of
        // names and uids does, without reading every process's descriptors.
        self.web_user
            .get_or_init(|| match self.snapshot.get().or(self.listeners.get()) {
                Some(Ok(snapshot)) => webuser::detect(Some(snapshot), &self.config),
                _ => webuser::detect_light(&self.proc, &self.config),
            })
            .as_ref()
    }

    /// The init system and the installed php-fpm, for fix texts.
    pub fn services(&self) -> &Services {
        self.services.get_or_init(|| Services::detect(&self.config))
    }

    /// The configuration of the php-fpm master that `p` is or serves, read
    /// once per file.
    pub fn fpm_config(&self, snapshot: &Snapshot, p: &Process) -> Option<Arc<FpmConfig>> {
        let path = snapshot.fpm_config_path(p)?;
        Some(self.fpm_config_at(&path))
    }

    /// The php-fpm configuration at `path` (a path on the host), read once.
    pub fn fpm_config_at(&self, path: &Path) -> Arc<FpmConfig> {
        let mut cache = self.fpm_configs.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(path.to_path_buf())
            .or_insert_with(|| Arc::new(fpmconf::load(&self.config, path)))
            .clone()
    }

    /// The php-fpm pool of `p`'s master whose `listen =` is `address`.
    pub fn fpm_pool(&self, snapshot: &Snapshot, p: &Process, address: &str) -> Option<Pool> {
        self.fpm_config(snapshot, p)?
            .pool_listening_on(address)
            .cloned()
    }
}
