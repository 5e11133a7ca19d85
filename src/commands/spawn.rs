//! `fcgi-doctor spawn SCRIPT [ARGS...]`: start an application the way
//! mod_fcgid, mod_fastcgi's process manager, spawn-fcgi and `cgi-fcgi -start`
//! do (a listening socket as file descriptor 0, as some user, in its
//! directory, with a web server's short environment), probe it like `probe`,
//! and report how it started, answered or ended. Its whole process group is
//! killed and its private directory removed on every way out, SIGINT and
//! SIGTERM included.

use std::ffi::CString;
use std::io::Read;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

use nix::sys::signal::{self, SigHandler, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
use nix::unistd::{ForkResult, Pid};
use serde::Serialize;

use super::probe::{self, ProbeReport, ProbeSettings};
use crate::checks::spawn::{self as preflight, WEB_SERVER_PATH};
use crate::core::error::{Error, Result};
use crate::core::finding::{Finding, Severity};
use crate::core::outcome::Outcome;
use crate::core::registry::codes;
use crate::net::as_user::{self, Identity};
use crate::net::target::Target;
use crate::sources::host::Host;
use crate::sources::webuser::WebUser;

/// Everything `spawn` needs, validated.
#[derive(Debug)]
pub struct SpawnSettings {
    pub script: PathBuf,
    pub args: Vec<std::ffi::OsString>,
    /// Who runs it; None: ourselves.
    pub user: Option<WebUser>,
    pub env: Vec<(String, String)>,
    /// `--external`: the address the application binds itself.
    pub external: Option<Target>,
    /// `--suexec`: check suEXEC's rules too.
    pub suexec: bool,
    /// The probe, whose target is set to the private socket.
    pub probe: ProbeSettings,
}

/// The data of `spawn` beside the common JSON keys.
#[derive(Debug, Serialize)]
pub struct SpawnReport {
    pub script: String,
    pub user: String,
    /// Whether the application was started (pre-flight may stop it).
    pub started: bool,
    pub pid: Option<u32>,
    /// How it ended before the probe was over: `exit N` or `signal NAME`.
    pub ended: Option<String>,
    /// What it wrote to stderr, the last lines first.
    pub stderr_last_lines: Vec<String>,
    /// Whether it wrote HTTP headers to its standard output (a CGI program).
    pub wrote_headers: bool,
    /// Where it was probed: its private socket (fd 0), or the `--external`
    /// address it binds itself.
    pub listen: Option<String>,
    /// Milliseconds from the start until the `--external` address accepted a
    /// connection (null with fd 0, or when it never did).
    pub listening_after_ms: Option<f64>,
    /// The probe of its socket.
    pub probe: Option<Box<ProbeReport>>,
}

/// The process group to kill if a signal ends fcgi-doctor first.
static GROUP: AtomicI32 = AtomicI32::new(0);

/// SIGINT, SIGTERM, SIGHUP or SIGQUIT during a run: the application's whole group goes first,
/// then its socket file and private directory, then fcgi-doctor ends by the
/// same signal. Only async-signal-safe calls.
extern "C" fn on_signal(sig: i32) {
    let group = GROUP.load(Ordering::SeqCst);
    if group > 0 {
        // SAFETY: kill(2) is async-signal-safe.
        unsafe { nix::libc::kill(-group, nix::libc::SIGKILL) };
    }
    // SAFETY: unlink(2), rmdir(2), signal(2) and raise(3) are async-signal-safe,
    // and the paths were written once before the handler was installed.
    unsafe {
        if let Some((sock, dir)) = PRIVATE.get() {
            nix::libc::unlink(sock.as_ptr());
            nix::libc::rmdir(dir.as_ptr());
        }
        nix::libc::signal(sig, nix::libc::SIG_DFL);
        nix::libc::raise(sig);
    }
}

static PRIVATE: std::sync::OnceLock<(CString, CString)> = std::sync::OnceLock::new();

pub fn run(mut settings: SpawnSettings, host: &Host) -> Result<Outcome<SpawnReport>> {
    let user_name = settings.user.as_ref().map_or_else(
        || crate::sources::nss::user_name(nix::unistd::geteuid().as_raw()),
        |u| u.name.clone(),
    );
    let mut out = Outcome::new(SpawnReport {
        script: settings.script.display().to_string(),
        user: user_name.clone(),
        started: false,
        pid: None,
        ended: None,
        stderr_last_lines: Vec::new(),
        wrote_headers: false,
        listen: None,
        listening_after_ms: None,
        probe: None,
    });
    let subject = settings.script.display().to_string();
    // 1. Pre-flight.
    let meta = std::fs::metadata(&settings.script);
    if !meta.as_ref().is_ok_and(|m| m.is_file()) {
        out.findings.push(Finding::new(
            &codes::SPAWN_MISSING,
            &subject,
            match meta {
                Err(e) => format!("{}: {e}", settings.script.display()),
                Ok(_) => format!("{} is not a regular file", settings.script.display()),
            },
        ));
        return Ok(out);
    }
    let mut head = [0u8; 512];
    let head_len = crate::sources::files::open_regular(&settings.script)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    let creds = match &settings.user {
        Some(u) => u.credentials(),
        None => crate::sources::webuser::Credentials::current(),
    };
    let found = preflight::preflight(
        &settings.script,
        &head[..head_len],
        &user_name,
        &creds,
        host.paths(),
        |p| std::fs::metadata(p).is_ok_and(|m| m.is_file()),
    );
    out.findings.extend(found);
    let helper = suexec_helper();
    if settings.suexec {
        let build = helper.as_deref().map(suexec_build).unwrap_or_default();
        out.findings.extend(preflight::suexec_rules(
            &settings.script,
            (creds.uid, creds.gid),
            &build,
            host.paths(),
        ));
    } else if let Some(path) = &helper {
        out.notes.push(format!(
            "suEXEC is installed ({}): if the vhost has SuexecUserGroup, --suexec checks \
             its rules too",
            path.display()
        ));
    }
    if out
        .findings
        .iter()
        .any(|f| f.severity == Severity::Critical)
    {
        return Ok(out);
    }
    if let Some(address) = &settings.external {
        if let Some(peer) = listening(address, Duration::from_millis(500)) {
            out.findings.push(Finding::new(
                &codes::SPAWN_ADDRESS_TAKEN,
                address.to_string(),
                format!(
                    "{peer} accepted a connection before the application was started: its own \
                     bind would fail with 'Address already in use'"
                ),
            ));
            return Ok(out);
        }
    }

    // 2. The private directory and the listening socket (fd 0), or nothing on
    // fd 0 for an application that binds its own address.
    // The parent keeps no copy of the listener once the child has it: a dead
    // application's socket must refuse connections at once.
    let (private, fd0) = match settings.external {
        None => {
            let (private, listener) = Private::make()?;
            (Some(private), OwnedFd::from(listener))
        }
        Some(_) => (
            None,
            OwnedFd::from(std::fs::File::open("/dev/null").map_err(|e| {
                Error::usage(format!(
                    "cannot open /dev/null for the application's fd 0: {e}"
                ))
            })?),
        ),
    };

    // 3. Everything the child needs, made before the fork.
    let program = cstring(settings.script.as_os_str().as_bytes())?;
    let mut argv = vec![program.clone()];
    for a in &settings.args {
        argv.push(cstring(a.as_bytes())?);
    }
    // The web server's PATH unless --env gives one (one PATH, not two: the
    // application would see only the first).
    let mut env = Vec::new();
    if !settings.env.iter().any(|(k, _)| k == "PATH") {
        env.push(cstring(format!("PATH={WEB_SERVER_PATH}").as_bytes())?);
    }
    for (k, v) in &settings.env {
        env.push(cstring(format!("{k}={v}").as_bytes())?);
    }
    let workdir = cstring(
        settings
            .script
            .parent()
            .unwrap_or(Path::new("/"))
            .as_os_str()
            .as_bytes(),
    )?;
    let identity = settings
        .user
        .as_ref()
        .filter(|u| u.uid != nix::unistd::geteuid().as_raw())
        .map(Identity::from);
    let groups: Vec<nix::unistd::Gid> = identity
        .iter()
        .flat_map(|i| i.groups.iter().map(|&g| nix::unistd::Gid::from_raw(g)))
        .collect();
    let argv_ptrs: Vec<*const nix::libc::c_char> = argv
        .iter()
        .map(|a| a.as_ptr())
        .chain([std::ptr::null()])
        .collect();
    let env_ptrs: Vec<*const nix::libc::c_char> = env
        .iter()
        .map(|a| a.as_ptr())
        .chain([std::ptr::null()])
        .collect();
    let parent = nix::unistd::getpid().as_raw();
    let (err_r, err_w) = pipe()?;
    let (out_r, out_w) = pipe()?;

    // SAFETY: the child makes only system calls before exec or _exit: no
    // allocation, no lock (another thread may have held one at the fork).
    let child =
        match unsafe { nix::unistd::fork() }.map_err(|e| Error::usage(format!("fork: {e}")))? {
            ForkResult::Child => unsafe {
                use nix::libc;
                // A session of its own, not only a group: no controlling
                // terminal, so the application cannot write to (or push input
                // into, TIOCSTI) the terminal of whoever runs fcgi-doctor.
                // Its group id is its pid, as kill(-pid) needs.
                libc::setsid();
                // fcgi-doctor ignores SIGPIPE; the application starts with the
                // default, as under a web server.
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                libc::dup2(fd0.as_raw_fd(), 0);
                libc::dup2(out_w.as_raw_fd(), 1);
                libc::dup2(err_w.as_raw_fd(), 2);
                // Nothing of fcgi-doctor's beyond fd 0, 1 and 2 reaches the
                // application, whatever a library opened without O_CLOEXEC.
                close_from(3);
                if let Some(id) = &identity {
                    if as_user::switch_to(id, &groups).is_err() {
                        libc::write(
                            2,
                            c"fcgi-doctor: cannot become the user\n".as_ptr().cast(),
                            36,
                        );
                        libc::_exit(126);
                    }
                }
                // Should fcgi-doctor be killed outright (SIGKILL, the OOM
                // killer), the kernel kills the application too. Set after the
                // switch of user, which clears it; a parent already gone
                // before it was set is caught by getppid.
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                if libc::getppid() != parent {
                    libc::_exit(125);
                }
                libc::chdir(workdir.as_ptr());
                libc::execve(program.as_ptr(), argv_ptrs.as_ptr(), env_ptrs.as_ptr());
                let errno = *libc::__errno_location();
                let prefix = b"fcgi-doctor-exec-failed ";
                libc::write(2, prefix.as_ptr().cast(), prefix.len());
                let (digits, len) = decimal(errno.unsigned_abs());
                libc::write(2, digits[digits.len() - len..].as_ptr().cast(), len);
                libc::write(2, b"\n".as_ptr().cast(), 1);
                libc::_exit(127);
            },
            ForkResult::Parent { child } => child,
        };
    drop((err_w, out_w, fd0));
    let started = Instant::now();
    // From here every way out kills the group: an early return or a probe
    // error drops the guard, a signal runs the handler.
    let group = Group(child);
    GROUP.store(child.as_raw(), Ordering::SeqCst);
    // SAFETY: the handler only makes async-signal-safe calls.
    unsafe {
        for sig in HANDLED {
            let _ = signal::signal(sig, SigHandler::Handler(on_signal));
        }
    }
    out.data.started = true;
    out.data.pid = Some(child.as_raw() as u32);

    // 4. Probe it while it lives; the probe's own deadline bounds the wait.
    let stderr = Drain::start(err_r);
    let stdout = Drain::start(out_r);
    settings.probe.as_user = None;
    let mut never_listened = false;
    // How it ended, when that is seen while waiting for its own address.
    let mut ended_early = None;
    match (&settings.external, &private) {
        (Some(address), _) => {
            settings.probe.target = address.clone();
            let deadline = started + settings.probe.timeout;
            never_listened = true;
            while Instant::now() < deadline {
                let status = waitpid(child, Some(WaitPidFlag::WNOHANG));
                if !matches!(status, Ok(WaitStatus::StillAlive)) {
                    ended_early = status.ok().and_then(ending);
                    break;
                }
                if listening(address, Duration::from_millis(200)).is_some() {
                    out.data.listening_after_ms = Some(probe::ms(started.elapsed()));
                    never_listened = false;
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        (None, Some(p)) => settings.probe.target = Target::Unix(p.sock.clone()),
        (None, None) => unreachable!("a private socket is made unless --external"),
    }
    out.data.listen = Some(settings.probe.target.to_string());
    let probed = if never_listened {
        None
    } else {
        Some(probe::run(&settings.probe, host)?)
    };
    // An application that dies closes its socket a moment before it can be
    // reaped: when the probe got no answer, give it half a second to end.
    // Anything it sent counts as an answer, garbage included: the probe's
    // findings then say what was wrong with it.
    let answered = probed
        .as_ref()
        .is_some_and(|p| p.data.response.is_some() || p.data.timings_ms.first_byte.is_some());
    // It hung up without a word: the probe says how, unless it also ended
    // (then spawn says why, with its last words).
    let hung_up = probed.as_ref().is_some_and(|p| {
        !p.findings.is_empty()
            && p.findings
                .iter()
                .all(|f| f.class != crate::core::registry::Class::Timeout)
    });
    let grace = Instant::now() + Duration::from_millis(if answered { 0 } else { 500 });
    let ended = ended_early.or_else(|| loop {
        match waitpid(child, Some(WaitPidFlag::WNOHANG))
            .ok()
            .and_then(ending)
        {
            Some(how) => break Some(how),
            None if Instant::now() >= grace => break None,
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    });

    // 5. The group goes, whatever happened, then its directory; only then
    // may a signal end fcgi-doctor by its default action.
    drop(group);
    drop(private);
    // SAFETY: restoring the default dispositions.
    unsafe {
        for sig in HANDLED {
            let _ = signal::signal(sig, SigHandler::SigDfl);
        }
    }
    let stderr = stderr.finish();
    let stdout = stdout.finish();

    // 6. What happened.
    let exec_failed = stderr
        .lines()
        .find_map(|l| l.strip_prefix("fcgi-doctor-exec-failed "))
        .and_then(|n| n.trim().parse::<i32>().ok());
    let mut lines: Vec<String> = stderr
        .lines()
        .filter(|l| !l.starts_with("fcgi-doctor-exec-failed "))
        .map(|l| crate::core::sanitize::escape(l).into_owned())
        .collect();
    lines.reverse();
    lines.truncate(40);
    out.data.stderr_last_lines = lines.clone();
    out.data.ended = ended.clone();
    let headers = stdout.lines().take(20).any(|l| {
        l.to_ascii_lowercase().starts_with("content-type:")
            || l.to_ascii_lowercase().starts_with("status:")
    });
    out.data.wrote_headers = headers;
    if let Some(errno) = exec_failed {
        out.findings.push(Finding::new(
            &codes::SPAWN_NO_INTERPRETER,
            &subject,
            format!("exec failed: {}", nix::errno::Errno::from_raw(errno).desc()),
        ));
    } else if answered || (hung_up && ended.is_none() && !headers) {
        let probed = probed.as_ref().expect("probed");
        // The private socket is gone after the run: the application is the subject.
        let private = settings
            .external
            .is_none()
            .then(|| settings.probe.target.to_string());
        out.findings
            .extend(probed.findings.iter().cloned().map(|mut f| {
                if Some(&f.subject) == private.as_ref() {
                    f.subject = subject.clone();
                }
                f
            }));
    } else if headers {
        out.findings.push(Finding::new(
            &codes::SPAWN_PLAIN_CGI,
            &subject,
            format!(
                "it wrote HTTP headers to its standard output and ended ({}) instead of \
                 answering on the socket of fd 0",
                ended.as_deref().unwrap_or("still running")
            ),
        ));
    } else if let Some(how) = &ended {
        let last = lines
            .first()
            .cloned()
            .unwrap_or_else(|| "(nothing on stderr)".into());
        out.findings.push(Finding::new(
            &codes::SPAWN_EXITED,
            &subject,
            format!("it ended ({how}) before it answered; the last line it wrote: {last}"),
        ));
    } else if let (true, Some(address)) = (never_listened, &settings.external) {
        out.findings.push(Finding::new(
            &codes::SPAWN_NEVER_LISTENED,
            &subject,
            format!(
                "it kept running for {:.1} s and nothing accepted connections at {address}",
                settings.probe.timeout.as_secs_f64()
            ),
        ));
    } else {
        out.findings.push(Finding::new(
            &codes::SPAWN_SILENT,
            &subject,
            format!(
                "it kept running for {:.1} s without answering the request sent to the socket \
                 it was given as fd 0",
                settings.probe.timeout.as_secs_f64()
            ),
        ));
    }
    if let Some(probed) = probed {
        out.notes.extend(probed.notes.iter().cloned());
        out.data.probe = Some(Box::new(probed.data));
    }
    Ok(out)
}

/// The private directory and the listening socket given as fd 0; both are
/// removed when dropped.
struct Private {
    dir: PathBuf,
    sock: PathBuf,
}

impl Private {
    /// A directory only fcgi-doctor may enter, under $TMPDIR or /tmp, with a
    /// listening socket in it (group and others may connect: the application
    /// may run as another user, and the directory guards it).
    fn make() -> Result<(Private, std::os::unix::net::UnixListener)> {
        let base = std::env::var_os("TMPDIR")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute() && safe_base(p))
            .unwrap_or_else(|| PathBuf::from("/tmp"));
        let dir = nix::unistd::mkdtemp(&base.join("fcgi-doctor-spawn.XXXXXX")).map_err(|e| {
            Error::usage(format!(
                "cannot make a private directory in {}: {e}",
                base.display()
            ))
        })?;
        let sock = dir.join("app.sock");
        let listener = match std::os::unix::net::UnixListener::bind(&sock) {
            Ok(l) => l,
            Err(e) => {
                let _ = std::fs::remove_dir(&dir);
                return Err(Error::usage(format!(
                    "cannot listen on {}: {e}",
                    sock.display()
                )));
            }
        };
        let _ = PRIVATE.set((
            CString::new(sock.as_os_str().as_bytes()).unwrap_or_default(),
            CString::new(dir.as_os_str().as_bytes()).unwrap_or_default(),
        ));
        Ok((Private { dir, sock }, listener))
    }
}

impl Drop for Private {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sock);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// Whether $TMPDIR may hold the private directory: a directory no other user
/// can rename things in (ours and not writable by others, or sticky as /tmp
/// is). One that another user may write to after `su` without `-` would let
/// that user swap the directory for a link before it is cleaned up.
fn safe_base(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::symlink_metadata(dir).is_ok_and(|m| {
        let ours = m.uid() == nix::unistd::geteuid().as_raw();
        m.is_dir() && (m.mode() & 0o1000 != 0 || (ours && m.mode() & 0o022 == 0))
    })
}

/// Whether something accepts connections at `address` now: the address that
/// answered, or None.
fn listening(address: &Target, wait: Duration) -> Option<String> {
    crate::net::connect::connect(address, wait, Instant::now() + wait, None)
        .ok()
        .map(|c| c.peer)
}

/// Closes every descriptor from `first` up, in a forked child before exec:
/// close_range(2) (Linux 5.9), or one close(2) each up to the limit.
///
/// # Safety
/// Only system calls: async-signal-safe.
/// How a reaped process ended ("exit 3", "signal SIGSEGV"); None while it runs.
fn ending(status: WaitStatus) -> Option<String> {
    match status {
        WaitStatus::Exited(_, code) => Some(format!("exit {code}")),
        WaitStatus::Signaled(_, sig, _) => Some(format!("signal {}", sig.as_str())),
        _ => None,
    }
}

/// `n` in decimal, right-aligned in a stack buffer, and how many digits:
/// formatting without allocating, for a forked child.
fn decimal(mut n: u32) -> ([u8; 10], usize) {
    let mut digits = [0u8; 10];
    let mut len = 0;
    loop {
        len += 1;
        digits[10 - len] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return (digits, len);
        }
    }
}

unsafe fn close_from(first: i32) {
    use nix::libc;
    if libc::syscall(
        libc::SYS_close_range,
        first as libc::c_uint,
        libc::c_uint::MAX,
        0,
    ) == 0
    {
        return;
    }
    let limit = match libc::sysconf(libc::_SC_OPEN_MAX) {
        n if n > 0 => n.min(1 << 16) as i32,
        _ => 1024,
    };
    for fd in first..limit {
        libc::close(fd);
    }
}

/// Where Debian and RHEL put Apache's suEXEC helper, when it is installed
/// setuid root (as it must be to work).
fn suexec_helper() -> Option<PathBuf> {
    use std::os::unix::fs::MetadataExt;
    ["/usr/lib/apache2/suexec", "/usr/sbin/suexec"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| {
            std::fs::metadata(p)
                .is_ok_and(|m| m.is_file() && m.uid() == 0 && m.mode() & 0o4000 != 0)
        })
}

/// What the helper was built with (`suexec -V`, which answers only root and
/// the web server's user), and the document root of Debian's suexec-custom
/// (/etc/apache2/suexec/www-data's first line) when that file exists.
fn suexec_build(helper: &Path) -> preflight::SuexecBuild {
    use std::process::Stdio;
    // `suexec -V` prints a few lines and ends; one that does not is killed
    // after two seconds (its output is then what it wrote, maybe nothing).
    let text = std::process::Command::new(helper)
        .arg("-V")
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            let until = Instant::now() + Duration::from_secs(2);
            while child.try_wait()?.is_none() {
                if Instant::now() >= until {
                    let _ = child.kill();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            child.wait_with_output()
        })
        .map(|o| {
            let mut t = String::from_utf8_lossy(&o.stderr).into_owned();
            t.push_str(&String::from_utf8_lossy(&o.stdout));
            t
        })
        .unwrap_or_default();
    let mut build = preflight::SuexecBuild::parse(&text);
    if let Ok(custom) = std::fs::read_to_string("/etc/apache2/suexec/www-data") {
        if let Some(root) = custom.lines().next().filter(|l| l.starts_with('/')) {
            build.docroot = Some(PathBuf::from(root.trim()));
        }
    }
    build
}

/// SIGTERM to the whole group, SIGKILL to what is left after 200 ms, and the
/// child reaped: nothing survives the run.
fn kill_group(child: Pid) {
    let group = Pid::from_raw(-child.as_raw());
    let _ = signal::kill(group, Signal::SIGTERM);
    let until = Instant::now() + Duration::from_millis(200);
    while Instant::now() < until {
        if signal::kill(group, None).is_err() {
            break;
        }
        let _ = waitpid(child, Some(WaitPidFlag::WNOHANG));
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = signal::kill(group, Signal::SIGKILL);
    // Reaped within a second; one stuck in the kernel (state D) is left to
    // init rather than hang fcgi-doctor.
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until
        && matches!(
            waitpid(child, Some(WaitPidFlag::WNOHANG)),
            Ok(WaitStatus::StillAlive)
        )
    {
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The application's process group, killed when this goes out of scope.
struct Group(Pid);

impl Drop for Group {
    fn drop(&mut self) {
        kill_group(self.0);
        GROUP.store(0, Ordering::SeqCst);
    }
}

/// The signals that end fcgi-doctor while an application runs: each kills
/// the application's group and removes its directory first.
const HANDLED: [Signal; 4] = [
    Signal::SIGINT,
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGQUIT,
];

fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| Error::usage(format!("pipe: {e}")))
}

/// What the application writes to a pipe, read as it comes (so a chatty
/// application never blocks on a full pipe), at most 1 MiB kept.
struct Drain {
    text: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Drain {
    fn start(fd: OwnedFd) -> Drain {
        let text = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (tx, done) = std::sync::mpsc::channel();
        let keep = text.clone();
        std::thread::spawn(move || {
            let mut file = std::fs::File::from(fd);
            let mut chunk = [0u8; 8192];
            while let Ok(n) = file.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut kept = keep.lock().unwrap_or_else(|e| e.into_inner());
                if kept.len() < 1 << 20 {
                    kept.extend_from_slice(&chunk[..n]);
                }
            }
            let _ = tx.send(());
        });
        Drain { text, done }
    }

    /// The text, once every writer is gone, or after 300 ms (a process that
    /// left the group may hold the pipe open).
    fn finish(self) -> String {
        let _ = self.done.recv_timeout(Duration::from_millis(300));
        let kept = self.text.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&kept).into_owned()
    }
}

fn cstring(bytes: &[u8]) -> Result<CString> {
    CString::new(bytes).map_err(|_| Error::usage("a NUL byte in an argument or variable"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_writes_digits_right_aligned() {
        for n in [0, 7, 13, 4_294_967_295] {
            let (digits, len) = decimal(n);
            assert_eq!(&digits[10 - len..], n.to_string().as_bytes());
        }
    }
}
