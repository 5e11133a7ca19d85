//! Real servers for the end-to-end tests: started in a temp dir on loopback,
//! waited for by polling, stopped by pid (never by name).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

/// A server process; dropping it stops it by pid: SIGTERM, then SIGKILL.
pub struct Server {
    pub name: &'static str,
    child: Child,
    pub log: PathBuf,
}

impl Server {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, the way a crash or the OOM killer ends a process.
    pub fn kill_hard(&mut self) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGKILL);
        let _ = self.child.wait();
    }

    /// Sends `signal` (a reload, a graceful stop).
    pub fn signal(&self, signal: Signal) {
        let _ = kill(Pid::from_raw(self.child.id() as i32), signal);
    }

    /// Sends `signal` and waits up to 15 s for the process to exit; true if it did.
    pub fn stop_with(&mut self, signal: Signal) -> bool {
        self.signal(signal);
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The server's log and whatever it printed on stdout and stderr.
    pub fn log_text(&self) -> String {
        let printed = self.log.with_file_name(format!("{}.out", self.name));
        let mut text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.push_str(&std::fs::read_to_string(printed).unwrap_or_default());
        text
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let _ = kill(Pid::from_raw(self.child.id() as i32), Signal::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `ready` until it holds, the process exits, or 15 s pass.
fn wait_ready(server: &mut Server, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if ready() {
            return;
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!(
                "{} exited during start ({status}):\n{}",
                server.name,
                server.log_text()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!(
        "{} not ready after 15 s:\n{}",
        server.name,
        server.log_text()
    );
}

fn spawn(name: &'static str, cmd: &mut Command, log: &Path) -> Server {
    let out = std::fs::File::create(log).unwrap();
    let err = out.try_clone().unwrap();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Server {
        name,
        child,
        log: log.to_path_buf(),
    }
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A temp dir the unprivileged pool user can traverse.
pub fn lab_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("fcgi-doctor-lab")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The php-fpm binary: Debian installs it as /usr/sbin/php-fpmX.Y.
pub fn php_fpm_binary() -> Option<PathBuf> {
    if let Ok(found) = which("php-fpm") {
        return Some(found);
    }
    let mut candidates: Vec<PathBuf> = std::fs::read_dir("/usr/sbin")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("php-fpm"))
        })
        .collect();
    candidates.sort();
    candidates.pop()
}

pub fn which(name: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .ok_or(())
}

/// A Python interpreter that can import flup.
pub fn python_with_flup() -> Option<PathBuf> {
    ["/usr/bin/python3", "python3"].iter().find_map(|py| {
        let ok = Command::new(py)
            .args(["-c", "import flup.server.fcgi"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| PathBuf::from(py))
    })
}

pub struct PhpFpm {
    pub server: Server,
    /// Healthy pool with ping.path, on a unix socket.
    pub www_sock: PathBuf,
    /// Pool without ping.path.
    pub noping_sock: PathBuf,
    /// Static pool with a single worker, for saturation.
    pub slow_sock: PathBuf,
    /// Dynamic pool with pm.max_children = 1: logs when it is reached.
    pub dyn1_sock: PathBuf,
    /// The dyn1 pool's status page on a socket of its own (pm.status_listen).
    pub dyn1_status_sock: PathBuf,
    /// Pool with request_terminate_timeout = 1s.
    pub term_sock: PathBuf,
    /// Healthy pool on TCP, with one worker.
    pub tcp: String,
    /// The TCP pool's status page on an address of its own (pm.status_listen).
    pub tcp_status: String,
    pub docroot: PathBuf,
}

/// Starts php-fpm with four pools in `dir`. As root the pools run as www-data
/// behind www-data 0660 sockets, as on a Debian host.
pub fn start_php_fpm(binary: &Path, dir: &Path) -> PhpFpm {
    let root = nix::unistd::geteuid().is_root();
    let docroot = dir.join("www");
    std::fs::create_dir_all(&docroot).unwrap();
    for (name, body) in [
        ("ok.php", "<?php echo \"hello from php-fpm\";"),
        (
            "stderr.php",
            "<?php error_log(\"lab: a warning on stderr\"); echo \"done\";",
        ),
        ("fatal.php", "<?php no_such_function();"),
        ("sleep.php", "<?php sleep(4); echo \"slept\";"),
        // A worker that dies the way a segfaulting extension kills it.
        (
            "crash.php",
            "<?php echo \"x\"; flush(); posix_kill(getmypid(), 11);",
        ),
        ("plain.txt", "not php"),
        // A request that takes its time without sleeping for long: load tests.
        ("nap.php", "<?php usleep(20000); echo \"ok\";"),
    ] {
        std::fs::write(docroot.join(name), body).unwrap();
    }
    let port = free_port();
    let status_port = free_port();
    let pool_user = if root {
        "user = www-data\ngroup = www-data\nlisten.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660\n"
    } else {
        ""
    };
    let pools = format!(
        "[www]\n{pool_user}listen = {{d}}/www.sock\npm = static\npm.max_children = 2\n\
         ping.path = /ping\npm.status_path = /status\ncatch_workers_output = yes\n\n\
         [tcp]\n{pool_user}listen = 127.0.0.1:{port}\nlisten.allowed_clients = 127.0.0.1\n\
         pm = static\npm.max_children = 1\nping.path = /ping\n\
         pm.status_path = /status\npm.status_listen = 127.0.0.1:{status_port}\n\n\
         [noping]\n{pool_user}listen = {{d}}/noping.sock\npm = static\npm.max_children = 1\n\n\
         [slow]\n{pool_user}listen = {{d}}/slow.sock\npm = static\npm.max_children = 1\n\
         ping.path = /ping\n\n\
         [dyn1]\n{pool_user}listen = {{d}}/dyn1.sock\npm = dynamic\npm.max_children = 1\n\
         pm.start_servers = 1\npm.min_spare_servers = 1\npm.max_spare_servers = 1\n\
         pm.status_path = /status\npm.status_listen = {{d}}/dyn1-status.sock\n\n\
         [term]\n{pool_user}listen = {{d}}/term.sock\npm = static\npm.max_children = 1\n\
         request_terminate_timeout = 1s\n"
    );
    let tcp = format!("127.0.0.1:{port}");
    let tcp_status = format!("127.0.0.1:{status_port}");
    let socks = ["www.sock", "noping.sock", "slow.sock"].map(|name| dir.join(name));
    let server = start_php_fpm_with(binary, dir, &pools, || {
        socks.iter().all(|s| s.exists()) && std::net::TcpStream::connect(&tcp).is_ok()
    });
    PhpFpm {
        www_sock: dir.join("www.sock"),
        noping_sock: dir.join("noping.sock"),
        slow_sock: dir.join("slow.sock"),
        dyn1_sock: dir.join("dyn1.sock"),
        dyn1_status_sock: dir.join("dyn1-status.sock"),
        term_sock: dir.join("term.sock"),
        tcp,
        tcp_status,
        docroot,
        server,
    }
}

pub const FLUP_APP: &str = r#"
import os, sys
from flup.server.fcgi import WSGIServer

def app(environ, start_response):
    qs = environ.get("QUERY_STRING", "")
    if qs == "exc":
        raise RuntimeError("lab: boom inside the WSGI app")
    if qs == "die":
        os._exit(1)
    if qs == "stderr":
        environ["wsgi.errors"].write("lab: written to wsgi.errors\n")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"OK from flup\n"]

WSGIServer(app, bindAddress=sys.argv[1]).run()
"#;

/// Starts php-fpm with `pools` (pool sections, `{d}` replaced by `dir`) and
/// waits until `ready` holds.
pub fn start_php_fpm_with(
    binary: &Path,
    dir: &Path,
    pools: &str,
    ready: impl Fn() -> bool,
) -> Server {
    let d = dir.display().to_string();
    let conf = format!(
        "[global]\npid = {d}/php-fpm.pid\nerror_log = {d}/php-fpm.log\ndaemonize = no\n\n{}",
        pools.replace("{d}", &d)
    );
    let conf_path = dir.join("php-fpm.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-F").arg("-y").arg(&conf_path);
    let mut server = spawn("php-fpm", &mut cmd, &dir.join("php-fpm.out"));
    server.log = dir.join("php-fpm.log");
    wait_ready(&mut server, ready);
    server
}

/// Starts a Python script `source` (saved as `name` in `dir`) with `args`, and
/// waits until `ready` holds.
pub fn start_python(
    python: &Path,
    dir: &Path,
    name: &str,
    source: &str,
    args: &[&str],
    ready: impl Fn() -> bool,
) -> Server {
    let script = dir.join(name);
    std::fs::write(&script, source).unwrap();
    let log = dir.join(format!("{name}.out"));
    let mut server = spawn("python", Command::new(python).arg(&script).args(args), &log);
    server.log = log;
    wait_ready(&mut server, ready);
    server
}

/// Starts the flup WSGI app on a unix socket in `dir`.
pub fn start_flup(python: &Path, dir: &Path) -> (Server, PathBuf) {
    let app = dir.join("app.py");
    std::fs::write(&app, FLUP_APP).unwrap();
    let sock = dir.join("flup.sock");
    let mut server = spawn(
        "flup",
        Command::new(python).arg(&app).arg(&sock),
        &dir.join("flup.out"),
    );
    let s = sock.clone();
    wait_ready(&mut server, || {
        std::os::unix::net::UnixStream::connect(&s).is_ok()
    });
    (server, sock)
}

/// The apache2 (or httpd) binary, when installed.
pub fn apache_binary() -> Option<PathBuf> {
    which("apache2")
        .or_else(|_| which("httpd"))
        .ok()
        .or_else(|| Some(PathBuf::from("/usr/sbin/apache2")).filter(|p| p.is_file()))
}

/// Writes an Apache 2.4 (event MPM) configuration for `dir`, listening on
/// 127.0.0.1:`port`, with the extra `modules` loaded and `body` appended.
pub fn apache_conf(dir: &Path, port: u16, modules: &[&str], body: &str) -> PathBuf {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("apache-run")).unwrap();
    let mut load = String::new();
    for m in ["mpm_event", "authz_core", "mime"].iter().chain(modules) {
        load.push_str(&format!(
            "LoadModule {m}_module /usr/lib/apache2/modules/mod_{m}.so\n"
        ));
    }
    let conf = format!(
        "ServerRoot \"{d}\"\nDefaultRuntimeDir {d}/apache-run\nPidFile {d}/apache-run/apache.pid\n\
         Mutex file:{d}/apache-run default\n{load}User www-data\nGroup www-data\n\
         ServerName localhost\nListen 127.0.0.1:{port}\nErrorLog {d}/apache-error.log\n\
         LogLevel info\nTypesConfig /etc/mime.types\nStartServers 1\nServerLimit 2\n\
         ThreadsPerChild 10\nMaxRequestWorkers 20\nMinSpareThreads 5\nMaxSpareThreads 20\n\
         <Directory />\n  AllowOverride None\n  Require all denied\n</Directory>\n{body}\n"
    );
    let conf_path = dir.join("apache.conf");
    std::fs::write(&conf_path, conf).unwrap();
    conf_path
}

/// Starts Apache 2.4 (event MPM) in `dir` on 127.0.0.1:`port`, with the extra
/// `modules` loaded and `body` appended to the configuration. Needs root: its
/// workers switch to www-data, as on a Debian host.
pub fn start_apache(binary: &Path, dir: &Path, port: u16, modules: &[&str], body: &str) -> Server {
    let conf_path = apache_conf(dir, port, modules, body);
    let mut cmd = Command::new(binary);
    cmd.arg("-f").arg(&conf_path).arg("-DFOREGROUND");
    let mut server = spawn("apache", &mut cmd, &dir.join("apache.out"));
    server.log = dir.join("apache-error.log");
    wait_ready(&mut server, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    server
}

/// The absolute path of an interpreter, for a `#!` line.
pub fn absolute_interpreter(python: &Path) -> PathBuf {
    let out = Command::new(python)
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

/// The nginx binary, when installed.
pub fn nginx_binary() -> Option<PathBuf> {
    which("nginx")
        .ok()
        .or_else(|| Some(PathBuf::from("/usr/sbin/nginx")).filter(|p| p.is_file()))
}

/// Starts nginx on `port` with `locations` inside its one server block. As root
/// its workers run as www-data, as on a Debian host. The error log is `log`.
pub fn start_nginx(binary: &Path, dir: &Path, port: u16, root: &Path, locations: &str) -> Server {
    let d = dir.display();
    std::fs::create_dir_all(dir.join("nginx-tmp")).unwrap();
    let user = if nix::unistd::geteuid().is_root() {
        "user www-data;"
    } else {
        ""
    };
    let conf = format!(
        "{user}\nworker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\n\
         error_log {d}/nginx-error.log info;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/nginx-tmp/body;\n\
         fastcgi_temp_path {d}/nginx-tmp/fastcgi;\n  proxy_temp_path {d}/nginx-tmp/proxy;\n\
         uwsgi_temp_path {d}/nginx-tmp/uwsgi;\n  scgi_temp_path {d}/nginx-tmp/scgi;\n\
         server {{\n    listen 127.0.0.1:{port};\n    root {};\n{locations}\n  }}\n}}\n",
        root.display()
    );
    let conf_path = dir.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-c").arg(&conf_path).arg("-p").arg(dir);
    let mut server = spawn("nginx", &mut cmd, &dir.join("nginx.out"));
    server.log = dir.join("nginx-error.log");
    wait_ready(&mut server, || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    server
}

/// A plain HTTP/1.0 GET; returns the status line (or the error).
pub fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return "connect failed".into();
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(15)));
    let _ = write!(s, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.lines().next().unwrap_or_default().to_string()
}

/// Apache with mod_fcgid serving `dies.fcgi`, a script that writes one line to
/// stderr and exits 3 at once, and a thread asking for it every 50 ms: a crash
/// loop of applications that live milliseconds. Returns Apache (its error log
/// is `server.log`), and the asking thread with its stop switch.
pub fn dying_fcgid_app(
    apache: &Path,
    dir: &Path,
) -> (
    Server,
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    let apps = dir.join("apps");
    std::fs::create_dir(&apps).unwrap();
    let script = apps.join("dies.fcgi");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'dies.fcgi: cannot open /srv/app/settings.ini' >&2\nexit 3\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let port = free_port();
    let body = format!(
        "FcgidIPCDir {d}/fcgid-ipc\nFcgidProcessTableFile {d}/apache-run/fcgid_shm\n\
         FcgidSpawnScoreUpLimit 1000\nFcgidConnectTimeout 1\n\
         DocumentRoot {apps}\n<Directory {apps}>\n  Options +ExecCGI\n\
         AddHandler fcgid-script .fcgi\n  Require all granted\n</Directory>\n",
        d = dir.display(),
        apps = apps.display()
    );
    let server = start_apache(apache, dir, port, &["fcgid"], &body);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let asking = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                http_get(port, "/dies.fcgi");
                std::thread::sleep(Duration::from_millis(50));
            }
        })
    };
    (server, stop, asking)
}

/// An nginx configuration in `dir` (written, not run) with one location per
/// backend address, each passing to it: what `doctor --nginx-config` reads.
pub fn nginx_passing_to(dir: &Path, backends: &[String]) -> PathBuf {
    let locations: String = backends
        .iter()
        .enumerate()
        .map(|(i, b)| {
            format!("location /p{i} {{ fastcgi_pass {b}; fastcgi_param SCRIPT_FILENAME /srv/p{i}.php; }}\n")
        })
        .collect();
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!("events {{}}\nhttp {{ server {{ listen 8080;\n{locations} }} }}\n"),
    )
    .unwrap();
    conf
}
