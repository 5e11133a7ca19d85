//! `config` and `doctor` against real servers configured by the harness in a
//! temp dir: php-fpm with three pools, nginx, Apache with mod_proxy_fcgi and
//! mod_fcgid. A clean setup gives exit 0; then each fault is planted alone in
//! a setup of its own and found with its code.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::servers::{self, lab_dir, Server};
use crate::util::{fcgi_doctor, is_root, Run};

/// What differs from the clean setup.
#[derive(Default)]
struct Fault {
    /// Extra lines in every pool section (`request_terminate_timeout = 30s`).
    www_extra: &'static str,
    /// Replaces the TCP pool's `listen.allowed_clients` line and address.
    tcp_listen_all: bool,
    /// A fourth pool that no web server names.
    orphan_pool: bool,
    /// nginx's php location passes to this socket name instead of www.sock.
    nginx_socket: Option<&'static str>,
    /// Extra lines in nginx's php location.
    nginx_extra: &'static str,
    /// The fcgid directory without `Options +ExecCGI`.
    no_exec_cgi: bool,
    /// An FcgidWrapper that does not exist: Apache then refuses to start, so
    /// only its configuration is written.
    missing_wrapper: bool,
    /// Without Apache at all.
    no_apache: bool,
}

struct Lab {
    dir: tempfile::TempDir,
    fpm: Option<Server>,
    _nginx: Server,
    _apache: Option<Server>,
    fpm_conf: PathBuf,
    nginx_conf: PathBuf,
    apache_conf: Option<PathBuf>,
}

impl Lab {
    fn start(fault: Fault) -> Option<Lab> {
        let fpm_bin = servers::php_fpm_binary();
        let nginx_bin = servers::nginx_binary();
        let apache_bin = servers::apache_binary();
        let python = servers::python_with_flup();
        let ok = crate::util::require(fpm_bin.is_some(), "php-fpm")
            && crate::util::require(nginx_bin.is_some(), "nginx")
            && crate::util::require(apache_bin.is_some() || fault.no_apache, "apache2")
            && crate::util::require(python.is_some(), "python3 with flup")
            && crate::util::require(is_root(), "root (Apache and the pools run as www-data)");
        if !ok {
            return None;
        }
        let dir = lab_dir();
        let d = dir.path();
        let (fpm_dir, nginx_dir, apache_dir, apps) = (
            d.join("fpm"),
            d.join("nginx"),
            d.join("apache"),
            d.join("apps"),
        );
        for sub in [&fpm_dir, &nginx_dir, &apache_dir, &apps] {
            std::fs::create_dir(sub).unwrap();
        }
        let www = fpm_dir.join("www");
        std::fs::create_dir(&www).unwrap();
        std::fs::write(www.join("ok.php"), "<?php echo 'ok';").unwrap();

        // php-fpm: three pools as on a Debian host (www-data, 0660 sockets).
        let user = "user = www-data\ngroup = www-data\nlisten.owner = www-data\n\
                    listen.group = www-data\nlisten.mode = 0660\n";
        let tcp_port = servers::free_port();
        let tcp_listen = if fault.tcp_listen_all {
            format!("listen = 0.0.0.0:{tcp_port}\n")
        } else {
            format!("listen = 127.0.0.1:{tcp_port}\nlisten.allowed_clients = 127.0.0.1\n")
        };
        let mut pools = format!(
            "[www]\n{user}listen = {{d}}/www.sock\npm = static\npm.max_children = 2\n\
             ping.path = /ping\npm.status_path = /status\n{}\n\
             [api]\n{user}listen = {{d}}/api.sock\npm = static\npm.max_children = 1\n\n\
             [tcp]\n{user}{tcp_listen}pm = static\npm.max_children = 1\nping.path = /ping\n",
            fault.www_extra
        );
        if fault.orphan_pool {
            pools.push_str(&format!(
                "\n[orphan]\n{user}listen = {{d}}/orphan.sock\npm = static\npm.max_children = 1\n"
            ));
        }
        let tcp = format!("127.0.0.1:{tcp_port}");
        let www_sock = fpm_dir.join("www.sock");
        let ready_tcp = tcp.clone();
        let fpm = servers::start_php_fpm_with(fpm_bin.as_ref().unwrap(), &fpm_dir, &pools, || {
            www_sock.exists() && std::net::TcpStream::connect(&ready_tcp).is_ok()
        });

        // nginx: each pool behind a location.
        let f = fpm_dir.display();
        let php_sock = fault.nginx_socket.unwrap_or("www.sock");
        let locations = format!(
            "    location ~ \\.php$ {{\n      fastcgi_param SCRIPT_FILENAME \
             $document_root$fastcgi_script_name;\n      {}\n      fastcgi_pass unix:{f}/{php_sock};\n    }}\n\
             location /api/ {{\n      fastcgi_param SCRIPT_FILENAME $document_root/ok.php;\n\
                   fastcgi_pass unix:{f}/api.sock;\n    }}\n\
             location = /tcp {{\n      fastcgi_param SCRIPT_FILENAME $document_root/ok.php;\n\
                   fastcgi_pass {tcp};\n    }}\n",
            fault.nginx_extra
        );
        let nginx_port = servers::free_port();
        let nginx = servers::start_nginx(
            nginx_bin.as_ref().unwrap(),
            &nginx_dir,
            nginx_port,
            &www,
            &locations,
        );

        // Apache: PHP through mod_proxy_fcgi, a flup app through mod_fcgid.
        let (apache, apache_conf) = if fault.no_apache {
            (None, None)
        } else {
            let interpreter = servers::absolute_interpreter(python.as_ref().unwrap());
            let app = apps.join("app.fcgi");
            std::fs::write(
                &app,
                format!(
                    "#!{}\n{}",
                    interpreter.display(),
                    servers::FLUP_APP.replace(
                        "WSGIServer(app, bindAddress=sys.argv[1]).run()",
                        "WSGIServer(app).run()"
                    )
                ),
            )
            .unwrap();
            std::fs::set_permissions(&app, std::fs::Permissions::from_mode(0o755)).unwrap();
            let a = apache_dir.display();
            let port = servers::free_port();
            let body = format!(
                "FcgidIPCDir {a}/fcgid-ipc\nFcgidProcessTableFile {a}/apache-run/fcgid_shm\n\
                 <VirtualHost 127.0.0.1:{port}>\n  DocumentRoot {www}\n\
                   <Directory {www}>\n    Require all granted\n  </Directory>\n\
                   <FilesMatch \\.php$>\n    SetHandler \"proxy:unix:{f}/www.sock|fcgi://localhost\"\n\
                   </FilesMatch>\n  Alias /apps {apps}\n</VirtualHost>\n\
                 <Directory {apps}>\n{}  AddHandler fcgid-script .fcgi\n{}  Require all granted\n\
                 </Directory>\n",
                if fault.no_exec_cgi {
                    ""
                } else {
                    "  Options +ExecCGI\n"
                },
                if fault.missing_wrapper {
                    "  FcgidWrapper /nonexistent/php-wrapper .php\n"
                } else {
                    ""
                },
                www = www.display(),
                apps = apps.display(),
            );
            let modules = ["proxy", "proxy_fcgi", "fcgid", "alias"];
            if fault.missing_wrapper {
                let conf = servers::apache_conf(&apache_dir, port, &modules, &body);
                (None, Some(conf))
            } else {
                let server = servers::start_apache(
                    apache_bin.as_ref().unwrap(),
                    &apache_dir,
                    port,
                    &modules,
                    &body,
                );
                (Some(server), Some(apache_dir.join("apache.conf")))
            }
        };
        Some(Lab {
            fpm_conf: fpm_dir.join("php-fpm.conf"),
            nginx_conf: nginx_dir.join("nginx.conf"),
            apache_conf,
            fpm: Some(fpm),
            _nginx: nginx,
            _apache: apache,
            dir,
        })
    }

    /// `fcgi-doctor COMMAND` on this setup's files, with `extra`.
    fn run(&self, command: &str, extra: &[&str]) -> Run {
        let mut args = vec![
            command.to_string(),
            "--fpm-config".into(),
            self.fpm_conf.display().to_string(),
            "--nginx-config".into(),
            self.nginx_conf.display().to_string(),
        ];
        if let Some(a) = &self.apache_conf {
            args.extend(["--apache-config".into(), a.display().to_string()]);
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        fcgi_doctor(&args).run()
    }

    fn doctor(&self) -> Run {
        self.run("doctor", &["--format", "json"])
    }
}

/// The codes of warnings and criticals.
fn problems(run: &Run) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] != "info")
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

fn expect(fault: Fault, code: &str, exit: i32, words: &str) {
    let Some(lab) = Lab::start(fault) else {
        return;
    };
    println!("{}", lab.run("doctor", &["--color", "never"]).stdout);
    let run = lab.doctor();
    assert!(
        problems(&run).contains(&code.to_string()),
        "{code} expected: {}\n{}",
        run.stdout,
        run.stderr
    );
    assert_eq!(run.code, exit, "{}", run.stdout);
    let message = run.finding(code)["message"].as_str().unwrap().to_string();
    assert!(message.contains(words), "{code}: {message}");
}

#[test]
fn a_clean_setup_is_ok() {
    let Some(lab) = Lab::start(Fault::default()) else {
        return;
    };
    let run = lab.doctor();
    assert_eq!(problems(&run), Vec::<String>::new(), "{}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let json = run.json();
    // Three pools, each probed once however many servers name it.
    let endpoints = json["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 3, "{json}");
    assert!(endpoints.iter().all(|e| e["status"].is_number()), "{json}");
    let www = endpoints
        .iter()
        .find(|e| e["address"].as_str().unwrap().ends_with("www.sock"))
        .unwrap();
    assert_eq!(www["status"], 200, "the ping answered: {www}");
    let named: Vec<&str> = www["named_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(named.iter().any(|n| n.starts_with("nginx ")), "{named:?}");
    assert!(named.iter().any(|n| n.starts_with("apache ")), "{named:?}");
    assert!(named.contains(&"php-fpm pool www"), "{named:?}");
    // The three logs the configurations name were read.
    assert_eq!(json["logs"].as_array().unwrap().len(), 3, "{json}");
    let statuses: Vec<&str> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.iter().all(|s| *s == "ok" || *s == "skipped"),
        "{statuses:?}"
    );

    // `config` says what it read: both servers' backends, the pools.
    let run = lab.run("config", &["--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let json = run.json();
    let servers: Vec<&str> = json["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["apache", "nginx", "nginx", "nginx"], "{json}");
    assert_eq!(json["fpm"][0]["pools"].as_array().unwrap().len(), 3);
    assert_eq!(json["apache"]["handlers"][0]["exec_cgi"], true, "{json}");

    // People get the table of checks.
    let run = lab.run("doctor", &["--color", "never"]);
    println!("{}", run.stdout);
    assert!(run.stdout.contains(" CHECK "), "{}", run.stdout);
    assert!(
        run.stdout.trim_end().ends_with("OK: no findings"),
        "{}",
        run.stdout
    );
    println!("{}", lab.run("config", &["--color", "never"]).stdout);

    // The monitoring outputs of the same run.
    let run = lab.run("doctor", &["--format", "nagios"]);
    println!("{}", run.stdout);
    assert!(run.stdout.starts_with("FCGI OK - "), "{}", run.stdout);
    let run = lab.run("doctor", &["--format", "prometheus"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("fcgi_doctor_backend_up{"),
        "{}",
        run.stdout
    );
    crate::monitoring::assert_promtool(&run.stdout);
    drop(lab.dir);
}

#[test]
fn a_wrong_socket_path_in_the_vhost_is_found() {
    let fault = Fault {
        // The name an older setup used.
        nginx_socket: Some("www-php7.4.sock"),
        ..Fault::default()
    };
    expect(fault, "FD1801", 2, "closest pool is www");
}

#[test]
fn a_0600_socket_is_found() {
    let fault = Fault {
        // Later lines win in php-fpm's ini: the socket becomes root's 0600.
        www_extra: "listen.owner = root\nlisten.group = root\nlisten.mode = 0600\n",
        ..Fault::default()
    };
    expect(fault, "FD1804", 2, "may not write it");
}

#[test]
fn exec_cgi_off_is_found() {
    let fault = Fault {
        no_exec_cgi: true,
        ..Fault::default()
    };
    expect(fault, "FD1805", 2, "AddHandler fcgid-script .fcgi");
}

#[test]
fn php_fpm_on_every_address_is_found() {
    let fault = Fault {
        tcp_listen_all: true,
        ..Fault::default()
    };
    expect(fault, "FD1807", 2, "without listen.allowed_clients");
}

#[test]
fn timeouts_in_the_wrong_order_are_found() {
    let fault = Fault {
        www_extra: "request_terminate_timeout = 30s\n",
        nginx_extra: "fastcgi_read_timeout 5s;",
        no_apache: true,
        ..Fault::default()
    };
    expect(fault, "FD1806", 1, "waits 5 s (fastcgi_read_timeout)");
}

#[test]
fn a_pool_no_vhost_names_is_found() {
    let fault = Fault {
        orphan_pool: true,
        ..Fault::default()
    };
    expect(fault, "FD1810", 1, "pool orphan");
}

#[test]
fn a_missing_fcgid_wrapper_is_found() {
    let fault = Fault {
        missing_wrapper: true,
        ..Fault::default()
    };
    expect(fault, "FD1702", 2, "FcgidWrapper at");
}

#[test]
fn a_stale_socket_is_found_and_not_probed() {
    let Some(mut lab) = Lab::start(Fault {
        no_apache: true,
        ..Fault::default()
    }) else {
        return;
    };
    // php-fpm killed as the OOM killer would: the master, then its workers.
    let mut fpm = lab.fpm.take().unwrap();
    let master = fpm.pid();
    let workers = children_of(master);
    fpm.kill_hard();
    for pid in workers {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
    }
    let www = lab.dir.path().join("fpm/www.sock");
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::os::unix::net::UnixStream::connect(&www).is_ok() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(www.exists(), "SIGKILL leaves the socket file");
    let run = lab.doctor();
    let codes = problems(&run);
    assert!(codes.contains(&"FD1802".to_string()), "{}", run.stdout);
    assert_eq!(run.code, 2);
    let probe = run.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "probe" && c["subject"] == www.display().to_string())
        .cloned()
        .unwrap();
    assert_eq!(probe["status"], "skipped", "{probe}");
}

#[test]
fn a_hung_backend_does_not_stall_the_report() {
    let Some(lab) = Lab::start(Fault {
        no_apache: true,
        ..Fault::default()
    }) else {
        return;
    };
    // The api pool's address, taken over by a listener that never accepts:
    // connections queue and no answer ever comes, as from a wedged backend.
    drop(lab.fpm);
    let api = lab.dir.path().join("fpm/api.sock");
    let _ = std::fs::remove_file(&api);
    let _hung = std::os::unix::net::UnixListener::bind(&api).unwrap();
    std::fs::set_permissions(&api, std::fs::Permissions::from_mode(0o777)).unwrap();
    let started = Instant::now();
    let run = fcgi_doctor([
        "doctor",
        "--fpm-config",
        lab.fpm_conf.to_str().unwrap(),
        "--nginx-config",
        lab.nginx_conf.to_str().unwrap(),
        "--timeout",
        "2s",
        "--format",
        "json",
    ])
    .run();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 2, "{}", run.stdout);
    let json = run.json();
    let api_row = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "probe" && c["subject"] == api.display().to_string())
        .cloned()
        .unwrap();
    assert_eq!(api_row["status"], "critical", "{json}");
}

#[test]
fn a_host_with_nothing_fastcgi_says_where_it_looked() {
    let empty = tempfile::tempdir().unwrap();
    let run = fcgi_doctor(["doctor", "--format", "json"])
        .env("FCGI_DOCTOR_TEST_CONFIG", empty.path().to_str().unwrap())
        .run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let notes = run.json()["notes"].to_string();
    assert!(
        notes.contains("nothing FastCGI-related is configured here"),
        "{notes}"
    );
    assert!(notes.contains("/etc/nginx/nginx.conf"), "{notes}");
}

/// The pids whose parent is `pid`.
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        let ppid = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            out.push(child);
        }
    }
    out
}

/// An application mod_fcgid restarts as fast as it dies: doctor's watch sees
/// the loop (as root, by the kernel's process events) and names what the
/// error log says of the same program.
#[test]
fn a_crash_loop_is_joined_with_what_the_log_says() {
    if !crate::util::require(is_root(), "root (the kernel's process events)") {
        return;
    }
    let apache = need!(servers::apache_binary(), "apache2");
    let dir = lab_dir();
    let d = dir.path();
    let (_apache, stop, asking) = servers::dying_fcgid_app(&apache, d);
    std::thread::sleep(Duration::from_millis(500));
    let run = fcgi_doctor([
        "doctor",
        "--apache-config",
        d.join("apache.conf").to_str().unwrap(),
        "--watch",
        "3s",
        "--format",
        "json",
    ])
    .run();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    asking.join().unwrap();
    println!("{}", run.stdout);
    let loops: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "FD4005")
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    let ours = loops
        .iter()
        .find(|m| m.contains("dies.fcgi"))
        .unwrap_or_else(|| panic!("{loops:?}\n{}", run.stdout));
    assert!(ours.contains("exit 3"), "{ours}");
    // Its own last words, from Apache's error log, are the cause.
    assert!(
        ours.contains("its last words in") && ours.contains("cannot open /srv/app/settings.ini"),
        "{ours}"
    );
    assert_eq!(run.code, 2);
}

/// A configuration that names hundreds of live backends: at most 256 are
/// probed (32 at a time), the rest are listed as skipped with the reason.
#[test]
fn hundreds_of_backends_are_probed_up_to_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    // Listeners that never accept: each probe waits out its deadline.
    let listeners: Vec<_> = (0..300)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let backends: Vec<String> = listeners
        .iter()
        .map(|l| l.local_addr().unwrap().to_string())
        .collect();
    let conf = crate::servers::nginx_passing_to(dir.path(), &backends);
    let run = fcgi_doctor([
        "doctor",
        "--nginx-config",
        conf.to_str().unwrap(),
        "--timeout",
        "300ms",
        "--format",
        "json",
    ])
    .deadline(Duration::from_secs(30))
    .run();
    let json = run.json();
    let probes: Vec<_> = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["check"] == "probe")
        .collect();
    assert_eq!(probes.len(), 300, "{json}");
    let capped = probes
        .iter()
        .filter(|c| {
            c["status"] == "skipped" && c["detail"].as_str().unwrap().contains("more than 256")
        })
        .count();
    assert_eq!(capped, 44, "{json}");
    assert_eq!(run.code, 2, "the probed ones timed out: {}", run.stdout);
}
