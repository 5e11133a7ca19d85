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
    /// The probe of its socket.
    pub probe: Option<Box<ProbeReport>>,
}

/// The process group to kill if a signal ends fcgi-doctor first.
static GROUP: AtomicI32 = AtomicI32::new(0);

/// SIGINT or SIGTERM during a run: the application's whole group goes first,
/// then fcgi-doctor ends by the same signal (the private directory is removed
/// by the kernel's cleanup of nothing: it holds only a socket file, removed
/// here too with async-signal-safe calls).
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
    let head_len = std::fs::File::open(&settings.script)
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
    let stop = found.iter().any(|f| f.severity == Severity::Critical);
    out.findings.extend(found);
    if stop {
        return Ok(out);
    }

    // 2. The private directory and the listening socket.
    let base = std::env::var_os("TMPDIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| PathBuf::from("/tmp"));
    let dir = nix::unistd::mkdtemp(&base.join("fcgi-doctor-spawn.XXXXXX")).map_err(|e| {
        Error::usage(format!(
            "cannot make a private directory in {}: {e}",
            base.display()
        ))
    })?;
    let sock = dir.join("app.sock");
    let cleanup = Cleanup {
        dir: dir.clone(),
        sock: sock.clone(),
    };
    let listener = std::os::unix::net::UnixListener::bind(&sock)
        .map_err(|e| Error::usage(format!("cannot listen on {}: {e}", sock.display())))?;
    let _ = PRIVATE.set((
        CString::new(sock.as_os_str().as_bytes()).unwrap_or_default(),
        CString::new(dir.as_os_str().as_bytes()).unwrap_or_default(),
    ));

    // 3. Everything the child needs, made before the fork.
    let program = cstring(settings.script.as_os_str().as_bytes())?;
    let mut argv = vec![program.clone()];
    for a in &settings.args {
        argv.push(cstring(a.as_bytes())?);
    }
    let mut env = vec![cstring(format!("PATH={WEB_SERVER_PATH}").as_bytes())?];
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
    let (err_r, err_w) = pipe()?;
    let (out_r, out_w) = pipe()?;

    // SAFETY: the child makes only system calls before exec or _exit.
    let child =
        match unsafe { nix::unistd::fork() }.map_err(|e| Error::usage(format!("fork: {e}")))? {
            ForkResult::Child => unsafe {
                use nix::libc;
                libc::setpgid(0, 0);
                libc::dup2(listener.as_raw_fd(), 0);
                libc::dup2(out_w.as_raw_fd(), 1);
                libc::dup2(err_w.as_raw_fd(), 2);
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
                libc::chdir(workdir.as_ptr());
                let argv_ptrs: Vec<*const libc::c_char> = argv
                    .iter()
                    .map(|a| a.as_ptr())
                    .chain([std::ptr::null()])
                    .collect();
                let env_ptrs: Vec<*const libc::c_char> = env
                    .iter()
                    .map(|a| a.as_ptr())
                    .chain([std::ptr::null()])
                    .collect();
                libc::execve(program.as_ptr(), argv_ptrs.as_ptr(), env_ptrs.as_ptr());
                let errno = *libc::__errno_location();
                let text = format!("fcgi-doctor-exec-failed {errno}\n");
                libc::write(2, text.as_ptr().cast(), text.len());
                libc::_exit(127);
            },
            ForkResult::Parent { child } => child,
        };
    drop((err_w, out_w, listener));
    GROUP.store(child.as_raw(), Ordering::SeqCst);
    // SAFETY: the handler only makes async-signal-safe calls.
    unsafe {
        let _ = signal::signal(Signal::SIGINT, SigHandler::Handler(on_signal));
        let _ = signal::signal(Signal::SIGTERM, SigHandler::Handler(on_signal));
    }
    out.data.started = true;
    out.data.pid = Some(child.as_raw() as u32);

    // 4. Probe it while it lives; the probe's own deadline bounds the wait.
    let stderr = Drain::start(err_r);
    let stdout = Drain::start(out_r);
    settings.probe.target = Target::Unix(sock.clone());
    settings.probe.as_user = None;
    let probed = probe::run(&settings.probe, host)?;
    // An application that dies closes its socket a moment before it can be
    // reaped: when the probe got no answer, give it half a second to end.
    let answered = probed.data.response.is_some();
    let grace = Instant::now() + Duration::from_millis(if answered { 0 } else { 500 });
    let ended = loop {
        match waitpid(child, Some(WaitPidFlag::WNOHANG)) {
            Ok(WaitStatus::Exited(_, code)) => break Some(format!("exit {code}")),
            Ok(WaitStatus::Signaled(_, sig, _)) => break Some(format!("signal {}", sig.as_str())),
            _ if Instant::now() >= grace => break None,
            _ => std::thread::sleep(Duration::from_millis(10)),
        }
    };

    // 5. The group goes, whatever happened.
    kill_group(child);
    GROUP.store(0, Ordering::SeqCst);
    // SAFETY: restoring the default dispositions.
    unsafe {
        let _ = signal::signal(Signal::SIGINT, SigHandler::SigDfl);
        let _ = signal::signal(Signal::SIGTERM, SigHandler::SigDfl);
    }
    let stderr = stderr.finish();
    let stdout = stdout.finish();
    drop(cleanup);

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
    } else if answered {
        out.findings.extend(probed.findings.iter().cloned());
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
    out.notes.extend(probed.notes.iter().cloned());
    out.data.probe = Some(Box::new(probed.data));
    Ok(out)
}

/// Removes the socket and the private directory when dropped.
struct Cleanup {
    dir: PathBuf,
    sock: PathBuf,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.sock);
        let _ = std::fs::remove_dir(&self.dir);
    }
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
    let _ = waitpid(child, None);
}

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
