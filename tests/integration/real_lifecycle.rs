//! A healthy life, logged by real servers: php-fpm behind nginx and behind
//! Apache's mod_proxy_fcgi, and a flup app under mod_fcgid, started, asked,
//! reloaded gracefully, asked again and stopped. `logs` on everything they
//! wrote must report nothing beyond `lifecycle_info`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;

use crate::servers::{self, http_get, lab_dir};
use crate::util::{fcgi_doctor, is_root, require};

const FASTCGI_PARAMS: &str = "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name; \
     fastcgi_param SCRIPT_NAME $fastcgi_script_name; fastcgi_param REQUEST_METHOD $request_method; \
     fastcgi_param QUERY_STRING $query_string; fastcgi_param SERVER_PROTOCOL $server_protocol; \
     fastcgi_param GATEWAY_INTERFACE CGI/1.1; fastcgi_param REMOTE_ADDR $remote_addr;";

/// Asks until the answer is a 200 (a reload takes a moment), for at most 15 s.
fn ok_soon(port: u16, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut last = String::new();
    while Instant::now() < deadline {
        last = http_get(port, path);
        if last.contains(" 200 ") {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{path} on port {port}: {last}");
}

#[test]
fn a_healthy_start_graceful_reload_and_stop_log_nothing_but_lifecycle() {
    if !require(is_root(), "root (Apache workers switch to www-data)") {
        return;
    }
    let fpm_bin = need!(servers::php_fpm_binary(), "php-fpm");
    let nginx_bin = need!(servers::nginx_binary(), "nginx");
    let apache_bin = need!(servers::apache_binary(), "apache2");
    let python = need!(servers::python_with_flup(), "python3 with flup");
    if !require(
        Path::new("/usr/lib/apache2/modules/mod_fcgid.so").exists(),
        "mod_fcgid (libapache2-mod-fcgid)",
    ) {
        return;
    }
    let dir = lab_dir();
    let d = dir.path();
    let mut fpm = servers::start_php_fpm(&fpm_bin, d);

    let nginx_port = servers::free_port();
    let location = format!(
        "    location ~ \\.php$ {{ fastcgi_pass unix:{}; {FASTCGI_PARAMS} }}",
        fpm.www_sock.display()
    );
    let mut nginx = servers::start_nginx(&nginx_bin, d, nginx_port, &fpm.docroot, &location);

    // Apache with mod_proxy_fcgi in front of the same pool.
    let proxy_dir = d.join("apache-proxy");
    std::fs::create_dir(&proxy_dir).unwrap();
    let proxy_port = servers::free_port();
    let body = format!(
        "DocumentRoot {docroot}\n<Directory {docroot}>\n  Require all granted\n</Directory>\n\
         <FilesMatch \"\\.php$\">\n  SetHandler \"proxy:unix:{sock}|fcgi://localhost\"\n</FilesMatch>\n",
        docroot = fpm.docroot.display(),
        sock = fpm.www_sock.display()
    );
    let mut proxy = servers::start_apache(
        &apache_bin,
        &proxy_dir,
        proxy_port,
        &["proxy", "proxy_fcgi"],
        &body,
    );

    // Apache with mod_fcgid running a flup app.
    let fcgid_dir = d.join("apache-fcgid");
    let apps = fcgid_dir.join("apps");
    std::fs::create_dir_all(&apps).unwrap();
    let script = apps.join("app.fcgi");
    std::fs::write(
        &script,
        format!(
            "#!{}\n{}",
            servers::absolute_interpreter(&python).display(),
            servers::FLUP_APP.replace(
                "WSGIServer(app, bindAddress=sys.argv[1]).run()",
                "WSGIServer(app).run()"
            )
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let fcgid_port = servers::free_port();
    let body = format!(
        "FcgidIPCDir {d}/fcgid-ipc\nFcgidProcessTableFile {d}/apache-run/fcgid_shm\n\
         DocumentRoot {apps}\n<Directory {apps}>\n  Options +ExecCGI\n\
         AddHandler fcgid-script .fcgi\n  Require all granted\n</Directory>\n",
        d = fcgid_dir.display(),
        apps = apps.display()
    );
    let mut fcgid = servers::start_apache(&apache_bin, &fcgid_dir, fcgid_port, &["fcgid"], &body);

    let ask = || {
        ok_soon(nginx_port, "/ok.php");
        ok_soon(proxy_port, "/ok.php");
        ok_soon(fcgid_port, "/app.fcgi");
    };
    ask();
    // Graceful reloads: php-fpm SIGUSR2, nginx SIGHUP, Apache SIGUSR1.
    fpm.server.signal(Signal::SIGUSR2);
    nginx.signal(Signal::SIGHUP);
    proxy.signal(Signal::SIGUSR1);
    fcgid.signal(Signal::SIGUSR1);
    std::thread::sleep(Duration::from_secs(2));
    ask();
    // Graceful stops: the web servers first, then php-fpm.
    assert!(nginx.stop_with(Signal::SIGQUIT), "nginx did not stop");
    assert!(proxy.stop_with(Signal::SIGWINCH), "apache did not stop");
    assert!(fcgid.stop_with(Signal::SIGWINCH), "apache did not stop");
    assert!(
        fpm.server.stop_with(Signal::SIGQUIT),
        "php-fpm did not stop"
    );

    let logs = [&fpm.server.log, &nginx.log, &proxy.log, &fcgid.log];
    let mut args = vec!["logs".to_string(), "--format".into(), "json".into()];
    args.extend(logs.iter().map(|l| l.display().to_string()));
    let run = fcgi_doctor(&args).run();
    let json = run.json();
    let beyond: Vec<&serde_json::Value> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["class"] != "lifecycle_info")
        .collect();
    let texts: String = logs
        .iter()
        .map(|l| {
            format!(
                "--- {}\n{}",
                l.display(),
                std::fs::read_to_string(l).unwrap_or_default()
            )
        })
        .collect();
    assert!(beyond.is_empty(), "{beyond:#?}\n{texts}");
    assert_eq!(run.code, 0, "{}", run.stdout);
    // And the lifecycle was seen: php-fpm's start and reload, mod_fcgid's
    // process that ended with the server (status 0: a clean exit).
    let codes: Vec<&str> = json["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["code"].as_str())
        .collect();
    for code in ["FD2506", "FD2502", "FD2014"] {
        assert!(codes.contains(&code), "{code} not in {codes:?}\n{texts}");
    }
}
