//! The test builder: run the real binary with a scrubbed environment and read
//! its exit code, output and JSON.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary under test: cargo's build, or the one `FCGI_DOCTOR_BIN` names
/// (`scripts/test` runs the suite a second time against the static build).
pub fn bin() -> std::ffi::OsString {
    std::env::var_os("FCGI_DOCTOR_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_fcgi-doctor").into())
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
    /// With [`Cmd::measure_memory`]: the peak resident memory in KiB.
    pub max_rss_kib: Option<u64>,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// The finding codes of a JSON run, in order.
    pub fn codes(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| f["code"].as_str().unwrap().to_string())
            .collect()
    }

    /// The finding with `code`, or a panic showing the whole output.
    pub fn finding(&self, code: &str) -> serde_json::Value {
        let json = self.json();
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("no {code} in {json:#}"))
    }
}

/// A command line for the binary, with a clean environment: no colour from the
/// caller's terminal, no leaked variables (the probe must not need any).
pub struct Cmd {
    cmd: Command,
    memory_limit: Option<u64>,
    as_nobody: bool,
    /// A fixture configuration root that lives as long as the command.
    host: Option<tempfile::TempDir>,
    open_fd: Option<i32>,
    closed_fds: bool,
    measure: bool,
    deadline: Option<Duration>,
}

pub fn fcgi_doctor<I, S>(args: I) -> Cmd
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(bin());
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        // A fixed clock, shortly after the fixtures' log lines (2026-11-23).
        .env("FCGI_DOCTOR_TEST_NOW", "2026-11-23T08:00:00")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    Cmd {
        cmd,
        memory_limit: None,
        as_nobody: false,
        host: None,
        open_fd: None,
        closed_fds: false,
        measure: false,
        deadline: None,
    }
}

impl Cmd {
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Fix texts depend on the host's init system and php-fpm: this pins
    /// them to a Debian 12 host with systemd and php-fpm 8.2 (a configuration
    /// root laid out for the run), whatever machine runs the test.
    pub fn on_debian_host(mut self) -> Self {
        let dir = tempfile::tempdir().unwrap();
        for d in ["run/systemd/system", "usr/sbin", "etc/php/8.2/fpm"] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
        }
        std::fs::write(dir.path().join("usr/sbin/php-fpm8.2"), "").unwrap();
        std::fs::write(dir.path().join("etc/php/8.2/fpm/php-fpm.conf"), "").unwrap();
        self.cmd.env("FCGI_DOCTOR_TEST_CONFIG", dir.path());
        self.host = Some(dir);
        self
    }

    pub fn stdin_bytes(mut self) -> Self {
        self.cmd.stdin(Stdio::piped());
        self
    }

    /// Caps the address space, so unbounded memory use fails the run.
    pub fn memory_limit(mut self, bytes: u64) -> Self {
        self.memory_limit = Some(bytes);
        self
    }

    /// Starts it with `fd` open on /dev/null and inheritable, as a careless
    /// parent would leave one.
    pub fn with_open_fd(mut self, fd: i32) -> Self {
        self.open_fd = Some(fd);
        self
    }

    /// Starts it with fd 0 and 2 closed, as a careless parent (`<&- 2>&-`)
    /// would (stdout stays: the test reads it).
    pub fn with_closed_stdin_and_stderr(mut self) -> Self {
        self.closed_fds = true;
        self
    }

    /// Runs it under GNU time, which reports the peak resident memory. (A
    /// child's own wait4 figure would include this test process's memory:
    /// the kernel keeps the larger of the two across fork and exec.)
    pub fn measure_memory(mut self) -> Self {
        self.measure = true;
        self
    }

    /// Kills it (SIGKILL, exit code -1) if it runs longer than `limit`: a
    /// hang fails the test instead of stalling the suite.
    pub fn deadline(mut self, limit: Duration) -> Self {
        self.deadline = Some(limit);
        self
    }

    /// Runs it as the unprivileged user nobody (the caller must be root).
    pub fn run_as_nobody(mut self) -> Self {
        self.as_nobody = true;
        self
    }

    pub fn run(self) -> Run {
        self.run_with_input(b"")
    }

    pub fn run_with_input(mut self, input: &[u8]) -> Run {
        if let Some(limit) = self.memory_limit {
            unsafe {
                self.cmd.pre_exec(move || {
                    nix::sys::resource::setrlimit(
                        nix::sys::resource::Resource::RLIMIT_AS,
                        limit,
                        limit,
                    )
                    .map_err(std::io::Error::from)
                });
            }
        }
        if let Some(fd) = self.open_fd {
            unsafe {
                self.cmd.pre_exec(move || {
                    let null = nix::libc::open(c"/dev/null".as_ptr(), nix::libc::O_RDONLY);
                    if null < 0 || nix::libc::dup2(null, fd) < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        if self.closed_fds {
            unsafe {
                self.cmd.pre_exec(|| {
                    nix::libc::close(0);
                    nix::libc::close(2);
                    Ok(())
                });
            }
        }
        if self.as_nobody {
            unsafe {
                self.cmd.pre_exec(|| {
                    use nix::unistd::{setgid, setgroups, setuid, Gid, Uid};
                    setgroups(&[])
                        .and_then(|()| setgid(Gid::from_raw(65534)))
                        .and_then(|()| setuid(Uid::from_raw(65534)))
                        .map_err(std::io::Error::from)
                });
            }
        }
        let report = tempfile::NamedTempFile::new().unwrap();
        if self.measure {
            let mut timed = Command::new("/usr/bin/time");
            timed
                .arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(report.path())
                .arg(self.cmd.get_program())
                .args(self.cmd.get_args())
                .env_clear()
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            for (k, v) in self.cmd.get_envs() {
                if let Some(v) = v {
                    timed.env(k, v);
                }
            }
            self.cmd = timed;
        }
        let started = Instant::now();
        let mut child = self.cmd.spawn().expect("spawn fcgi-doctor");
        let (done, finished) = std::sync::mpsc::channel::<()>();
        if let Some(limit) = self.deadline {
            let pid = nix::unistd::Pid::from_raw(child.id() as i32);
            std::thread::spawn(move || {
                // Disconnected: it ended in time, and its pid is not ours to kill.
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    finished.recv_timeout(limit)
                {
                    let _ = nix::sys::signal::kill(pid, nix::sys::signal::SIGKILL);
                }
            });
        }
        if let Some(mut stdin) = child.stdin.take() {
            use std::io::Write;
            let _ = stdin.write_all(input);
        }
        let out = child.wait_with_output().expect("wait for fcgi-doctor");
        drop(done);
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: started.elapsed(),
            max_rss_kib: self
                .measure
                .then(|| std::fs::read_to_string(report.path()).unwrap_or_default())
                .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok())),
        }
    }
}

/// `probe TARGET --format json ARGS...`, run.
pub fn probe_json(target: &str, args: &[&str]) -> Run {
    let mut all = vec!["probe", target, "--format", "json"];
    all.extend_from_slice(args);
    fcgi_doctor(all).run()
}

pub fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// The value inside `found`; when it is `None`, what [`require`] says about the
/// missing `what`, and the test returns (under `CI=true`, `require` panics).
macro_rules! need {
    ($found:expr, $what:expr) => {
        match $found {
            Some(found) => found,
            None => {
                $crate::util::require(false, $what);
                return;
            }
        }
    };
}

/// Under CI=true a missing prerequisite fails the run; elsewhere the test says
/// why it is skipped and passes.
pub fn require(ok: bool, what: &str) -> bool {
    if ok {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("CI=true and {what} is missing: run scripts/test, which installs it");
    }
    eprintln!("skipped, because {what} is missing (run scripts/test to install it)");
    false
}
