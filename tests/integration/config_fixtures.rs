//! `config` on the layouts it meets in the field, laid out in a temp root:
//! Debian, RHEL, the official php-fpm Docker image, cPanel (EasyApache 4 with
//! ea-php) and Plesk. What listens is not looked at (the root is not this
//! host), so what is checked is what the files say.

use std::path::Path;

use crate::util::{fcgi_doctor, Run};

/// Writes `files` (host path, text) under a new root.
fn layout(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let at = root.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    root
}

fn config(root: &Path) -> Run {
    fcgi_doctor(["config", "--format", "json"])
        .env("FCGI_DOCTOR_TEST_CONFIG", root.to_str().unwrap())
        .run()
}

fn addresses(run: &Run) -> Vec<String> {
    run.json()["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["server"].as_str().unwrap(),
                e["address"].as_str().unwrap()
            )
        })
        .collect()
}

fn pools(run: &Run) -> Vec<String> {
    run.json()["fpm"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["pools"].as_array().unwrap().clone())
        .map(|p| {
            format!(
                "{} {}",
                p["name"].as_str().unwrap(),
                p["listen"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn debian_apache_nginx_and_php_fpm() {
    let root = layout(&[
        (
            "/etc/apache2/apache2.conf",
            "DefaultRuntimeDir ${APACHE_RUN_DIR}\nUser ${APACHE_RUN_USER}\n\
             Group ${APACHE_RUN_GROUP}\nErrorLog ${APACHE_LOG_DIR}/error.log\n\
             IncludeOptional mods-enabled/*.load\nIncludeOptional mods-enabled/*.conf\n\
             Include ports.conf\nIncludeOptional conf-enabled/*.conf\n\
             IncludeOptional sites-enabled/*.conf\n",
        ),
        (
            "/etc/apache2/envvars",
            "export APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\n\
             export APACHE_LOG_DIR=/var/log/apache2$SUFFIX\n",
        ),
        ("/etc/apache2/ports.conf", "Listen 80\n"),
        (
            "/etc/apache2/mods-enabled/proxy_fcgi.load",
            "LoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so\n",
        ),
        (
            "/etc/apache2/conf-enabled/php8.2-fpm.conf",
            "<FilesMatch \".+\\.ph(?:ar|p|tml)$\">\n    SetHandler \
             \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"\n</FilesMatch>\n",
        ),
        (
            "/etc/apache2/sites-enabled/000-default.conf",
            "<VirtualHost *:80>\n  ServerName example.org\n  DocumentRoot /var/www/html\n\
             </VirtualHost>\n",
        ),
        (
            "/etc/nginx/nginx.conf",
            "user www-data;\nerror_log /var/log/nginx/error.log;\nevents {}\n\
             http {\n  include /etc/nginx/sites-enabled/*;\n}\n",
        ),
        (
            "/etc/nginx/fastcgi.conf",
            "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n\
             fastcgi_param QUERY_STRING $query_string;\n",
        ),
        (
            "/etc/nginx/snippets/fastcgi-php.conf",
            "fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\ntry_files $fastcgi_script_name =404;\n\
             set $path_info $fastcgi_path_info;\nfastcgi_param PATH_INFO $path_info;\n\
             fastcgi_index index.php;\ninclude fastcgi.conf;\n",
        ),
        (
            "/etc/nginx/sites-enabled/default",
            "server {\n  listen 80 default_server;\n  root /var/www/html;\n\
             location ~ \\.php$ {\n    include snippets/fastcgi-php.conf;\n\
             fastcgi_pass unix:/run/php/php8.2-fpm.sock;\n  }\n}\n",
        ),
        (
            "/etc/php/8.2/fpm/php-fpm.conf",
            "[global]\npid = /run/php/php8.2-fpm.pid\nerror_log = /var/log/php8.2-fpm.log\n\
             include=/etc/php/8.2/fpm/pool.d/*.conf\n",
        ),
        (
            "/etc/php/8.2/fpm/pool.d/www.conf",
            "[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php/php8.2-fpm.sock\n\
             listen.owner = www-data\nlisten.group = www-data\npm = dynamic\n\
             pm.max_children = 5\n",
        ),
    ]);
    let run = config(root.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        addresses(&run),
        [
            "apache unix:/run/php/php8.2-fpm.sock",
            "nginx unix:/run/php/php8.2-fpm.sock"
        ]
    );
    assert_eq!(pools(&run), ["www /run/php/php8.2-fpm.sock"]);
    let json = run.json();
    assert_eq!(json["apache"]["user"], "www-data");
    assert_eq!(json["nginx"]["user"], "www-data");
    assert_eq!(
        json["nginx"]["endpoints"][0]["script_filename"],
        "$document_root$fastcgi_script_name"
    );
    assert_eq!(json["fpm"][0]["error_log"], "/var/log/php8.2-fpm.log");
}

#[test]
fn rhel_httpd_and_php_fpm() {
    let root = layout(&[
        (
            "/etc/httpd/conf/httpd.conf",
            "ServerRoot \"/etc/httpd\"\nListen 80\nInclude conf.modules.d/*.conf\nUser apache\n\
             Group apache\nErrorLog \"logs/error_log\"\nIncludeOptional conf.d/*.conf\n",
        ),
        (
            "/etc/httpd/conf.modules.d/00-proxy.conf",
            "LoadModule proxy_module modules/mod_proxy.so\n\
             LoadModule proxy_fcgi_module modules/mod_proxy_fcgi.so\n",
        ),
        (
            "/etc/httpd/conf.d/php.conf",
            "<Files \".user.ini\">\n  Require all denied\n</Files>\n\
             <IfModule !mod_php.c>\n  <FilesMatch \\.(php|phar)$>\n    SetHandler \
             \"proxy:unix:/run/php-fpm/www.sock|fcgi://localhost\"\n  </FilesMatch>\n</IfModule>\n",
        ),
        (
            "/etc/php-fpm.conf",
            "include=/etc/php-fpm.d/*.conf\n[global]\nerror_log = /var/log/php-fpm/error.log\n",
        ),
        (
            "/etc/php-fpm.d/www.conf",
            "[www]\nuser = apache\ngroup = apache\nlisten = /run/php-fpm/www.sock\n\
             listen.acl_users = apache,nginx\nlisten.allowed_clients = 127.0.0.1\n\
             pm = dynamic\npm.max_children = 50\n",
        ),
    ]);
    let run = config(root.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(addresses(&run), ["apache unix:/run/php-fpm/www.sock"]);
    assert_eq!(pools(&run), ["www /run/php-fpm/www.sock"]);
    let json = run.json();
    assert_eq!(json["apache"]["user"], "apache");
    assert_eq!(json["apache"]["error_logs"][0], "/etc/httpd/logs/error_log");
    assert_eq!(
        json["fpm"][0]["pools"][0]["listen_acl_users"],
        "apache,nginx"
    );
}

#[test]
fn the_docker_php_fpm_image_listens_on_every_address() {
    // The official image: a relative include from the prefix, and
    // zz-docker.conf's `listen = 9000` read last.
    let root = layout(&[
        (
            "/usr/local/etc/php-fpm.conf",
            "[global]\ninclude=etc/php-fpm.d/*.conf\n",
        ),
        (
            "/usr/local/etc/php-fpm.d/www.conf",
            "[www]\nuser = www-data\ngroup = www-data\nlisten = 127.0.0.1:9000\npm = dynamic\n\
             pm.max_children = 5\n",
        ),
        (
            "/usr/local/etc/php-fpm.d/docker.conf",
            "[global]\nerror_log = /proc/self/fd/2\n[www]\naccess.log = /proc/self/fd/2\n\
             clear_env = no\ncatch_workers_output = yes\n",
        ),
        (
            "/usr/local/etc/php-fpm.d/zz-docker.conf",
            "[global]\ndaemonize = no\n\n[www]\nlisten = 9000\n",
        ),
    ]);
    let run = config(root.path());
    assert_eq!(pools(&run), ["www 9000"]);
    assert_eq!(run.codes(), ["FD1807"], "{}", run.stdout);
    assert_eq!(run.code, 2);
}

#[test]
fn cpanel_pools_per_account() {
    let root = layout(&[
        (
            "/etc/apache2/conf/httpd.conf",
            "User nobody\nGroup nobody\nLoadModule proxy_fcgi_module modules/mod_proxy_fcgi.so\n\
             <VirtualHost 10.0.0.5:80>\n  ServerName alice.example\n  DocumentRoot \
             /home/alice/public_html\n  <FilesMatch \\.(phtml|php[0-9]*)$>\n    SetHandler \
             proxy:unix:/opt/cpanel/ea-php82/root/usr/var/run/php-fpm/1f2e3d.sock|fcgi://alice.example\n\
             </FilesMatch>\n</VirtualHost>\n\
             <VirtualHost 10.0.0.5:80>\n  ServerName bob.example\n  DocumentRoot \
             /home/bob/public_html\n  <FilesMatch \\.(phtml|php[0-9]*)$>\n    SetHandler \
             proxy:unix:/opt/cpanel/ea-php82/root/usr/var/run/php-fpm/4c5b6a.sock|fcgi://bob.example\n\
             </FilesMatch>\n</VirtualHost>\n",
        ),
        (
            "/opt/cpanel/ea-php82/root/etc/php-fpm.conf",
            "include=/opt/cpanel/ea-php82/root/etc/php-fpm.d/*.conf\n[global]\n",
        ),
        (
            "/opt/cpanel/ea-php82/root/etc/php-fpm.d/alice.example.conf",
            "[alice_example]\nuser = alice\ngroup = alice\n\
             listen = /opt/cpanel/ea-php82/root/usr/var/run/php-fpm/1f2e3d.sock\n\
             listen.owner = alice\nlisten.group = nobody\nlisten.mode = 0660\npm = ondemand\n\
             pm.max_children = 5\n",
        ),
        (
            "/opt/cpanel/ea-php82/root/etc/php-fpm.d/bob.example.conf",
            "[bob_example]\nuser = bob\ngroup = bob\n\
             listen = /opt/cpanel/ea-php82/root/usr/var/run/php-fpm/4c5b6a.sock\n\
             listen.owner = bob\nlisten.group = nobody\nlisten.mode = 0660\npm = ondemand\n\
             pm.max_children = 5\n",
        ),
    ]);
    let run = config(root.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(addresses(&run).len(), 2);
    assert_eq!(pools(&run).len(), 2);
}

#[test]
fn plesk_vhost_sockets_and_a_vhost_left_behind() {
    let root = layout(&[
        (
            "/etc/apache2/apache2.conf",
            "User www-data\nInclude /etc/apache2/plesk.conf.d/vhosts/*.conf\n",
        ),
        (
            "/etc/apache2/plesk.conf.d/vhosts/example.com.conf",
            "<VirtualHost 10.0.0.5:7080>\n  ServerName \"example.com:443\"\n\
             <IfModule mod_proxy_fcgi.c>\n    <Files ~ (\\.php$)>\n      SetHandler \
             proxy:unix:///var/www/vhosts/system/example.com/php-fpm.sock|fcgi://127.0.0.1:9000\n\
             </Files>\n  </IfModule>\n</VirtualHost>\n",
        ),
        (
            "/etc/apache2/plesk.conf.d/vhosts/old.example.conf",
            "<VirtualHost 10.0.0.5:7080>\n  ServerName \"old.example:443\"\n\
             <Files ~ (\\.php$)>\n    SetHandler \
             proxy:unix:///var/www/vhosts/system/old.example/php-fpm.sock|fcgi://127.0.0.1:9000\n\
             </Files>\n</VirtualHost>\n",
        ),
        (
            "/opt/plesk/php/8.2/etc/php-fpm.conf",
            "include=/opt/plesk/php/8.2/etc/php-fpm.d/*.conf\n",
        ),
        (
            "/opt/plesk/php/8.2/etc/php-fpm.d/example.com.conf",
            "[example.com]\nuser = exampleuser\ngroup = psacln\n\
             listen = /var/www/vhosts/system/example.com/php-fpm.sock\nlisten.owner = root\n\
             listen.group = psaserv\nlisten.mode = 0660\npm = ondemand\npm.max_children = 10\n\
             request_terminate_timeout = 300\n",
        ),
    ]);
    let run = config(root.path());
    // Apache's default 60 s against the pool's 300 s.
    assert_eq!(run.codes(), ["FD1806"], "{}", run.stdout);
    assert_eq!(
        addresses(&run),
        [
            "apache unix:///var/www/vhosts/system/example.com/php-fpm.sock",
            "apache unix:///var/www/vhosts/system/old.example/php-fpm.sock"
        ]
    );
    assert_eq!(
        run.finding("FD1806")["subject"],
        "/var/www/vhosts/system/example.com/php-fpm.sock"
    );
}

/// `nginx -T` from a container, piped in: real nginx prints the dump.
#[test]
fn an_nginx_dump_is_read_from_standard_input() {
    let nginx = need!(crate::servers::nginx_binary(), "nginx");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("sites")).unwrap();
    std::fs::write(
        d.join("nginx.conf"),
        format!(
            "error_log {0}/error.log;\npid {0}/nginx.pid;\nevents {{}}\nhttp {{\n  \
             include {0}/sites/*.conf;\n}}\n",
            d.display()
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("sites/app.conf"),
        "server {\n  listen 127.0.0.1:8080;\n  root /srv/app;\n  location ~ \\.php$ {\n    \
         fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n    \
         fastcgi_pass unix:/run/php/php-fpm.sock;\n  }\n}\n",
    )
    .unwrap();
    let dump = std::process::Command::new(nginx)
        .arg("-T")
        .arg("-c")
        .arg(d.join("nginx.conf"))
        .arg("-p")
        .arg(d)
        .output()
        .unwrap();
    assert!(
        dump.status.success(),
        "{}",
        String::from_utf8_lossy(&dump.stderr)
    );
    let run = fcgi_doctor(["config", "--nginx-dump", "-", "--format", "json"])
        .stdin_bytes()
        .run_with_input(&dump.stdout);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(addresses(&run), ["nginx unix:/run/php/php-fpm.sock"]);
    let endpoint = &run.json()["nginx"]["endpoints"][0];
    assert_eq!(
        endpoint["origin"]["file"],
        format!("{}/sites/app.conf", d.display())
    );
    assert_eq!(endpoint["origin"]["line"], 6);
}

#[test]
fn alpine_nginx_and_php82() {
    let root = layout(&[
        (
            "/etc/nginx/nginx.conf",
            "user nginx;\nerror_log /var/log/nginx/error.log warn;\nevents {}\n\
             http {\n  include /etc/nginx/http.d/*.conf;\n}\n",
        ),
        (
            "/etc/nginx/fastcgi.conf",
            "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n",
        ),
        (
            "/etc/nginx/http.d/default.conf",
            "server {\n  listen 80 default_server;\n  root /var/www/localhost/htdocs;\n\
             location ~ \\.php$ {\n    fastcgi_pass 127.0.0.1:9000;\n    include fastcgi.conf;\n\
             fastcgi_read_timeout 300;\n  }\n}\n",
        ),
        (
            "/etc/php82/php-fpm.conf",
            "[global]\nerror_log = /var/log/php82/error.log\ninclude=/etc/php82/php-fpm.d/*.conf\n",
        ),
        (
            "/etc/php82/php-fpm.d/www.conf",
            "[www]\nuser = nobody\ngroup = nobody\nlisten = 127.0.0.1:9000\npm = dynamic\n\
             pm.max_children = 5\nrequest_terminate_timeout = 120\n",
        ),
    ]);
    let run = config(root.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(addresses(&run), ["nginx 127.0.0.1:9000"]);
    assert_eq!(pools(&run), ["www 127.0.0.1:9000"]);
    let json = run.json();
    assert_eq!(json["nginx"]["user"], "nginx");
    assert_eq!(json["endpoints"][0]["timeout"], 300);
    assert_eq!(json["fpm"][0]["error_log"], "/var/log/php82/error.log");
}
