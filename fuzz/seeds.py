#!/usr/bin/env python3
"""Writes the hand-made seeds of fuzz/corpus/ (the files not named cmin-*).

Run from anywhere: python3 fuzz/seeds.py. It overwrites those seeds and leaves
the cmin-* files alone. The FastCGI records, name-value bodies, CGI answers
and configuration layouts are built here; the log seeds are the fixtures of
fixtures/logs/ and two multi-line entries.
"""
import os, struct
HERE = os.path.dirname(os.path.abspath(__file__))
B = os.path.join(HERE, 'corpus')
def put(target, name, data):
    d = os.path.join(B, target); os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(os.path.join(d, name), 'wb').write(data)

# ---- FastCGI helpers
def rec(t, rid, content=b'', pad=None, ver=1):
    if pad is None: pad = (8 - len(content) % 8) % 8
    return bytes([ver, t]) + struct.pack('>HHBB', rid, len(content), pad, 0) + content + b'\0'*pad
def stream(t, rid, data):
    out = b''
    for i in range(0, len(data), 65535): out += rec(t, rid, data[i:i+65535])
    return out + rec(t, rid)
def end(rid, app=0, proto=0): return rec(3, rid, struct.pack('>IB3x', app, proto))
def lenb(n): return bytes([n]) if n < 128 else struct.pack('>I', n | 0x80000000)
def pairs(ps): return b''.join(lenb(len(n)) + lenb(len(v)) + n + v for n, v in ps)

ok = b"X-Powered-By: PHP/8.2.7\r\nContent-type: text/html; charset=UTF-8\r\n\r\n<h1>hello</h1>"
put('record_decoder', 'php-200', stream(6, 1, ok) + end(1))
put('record_decoder', 'php-404-primary-script-unknown',
    rec(7, 1, b"Primary script unknown") + stream(6, 1, b"Status: 404 Not Found\r\nContent-type: text/html; charset=UTF-8\r\n\r\nFile not found.\n") + end(1))
put('record_decoder', 'get-values-result', rec(10, 0, pairs([(b"FCGI_MAX_CONNS", b"50"), (b"FCGI_MAX_REQS", b"50"), (b"FCGI_MPXS_CONNS", b"0")])))
put('record_decoder', 'unknown-type', rec(11, 0, bytes([9, 0, 0, 0, 0, 0, 0, 0])))
put('record_decoder', 'http-peer', b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\nContent-Type: text/html\r\n\r\n")
put('record_decoder', 'cant-mpx-conn', end(1, 0, 1))
put('record_decoder', 'overloaded-app-status', stream(6, 1, b"Status: 503\r\n\r\n") + end(1, 255, 2))
put('record_decoder', 'wrong-request-id', stream(6, 2, b"Content-Type: text/plain\n\nx") + end(2))
put('record_decoder', 'truncated-mid-record', (stream(6, 1, ok) + end(1))[:40])
put('record_decoder', 'padding-255', rec(6, 1, b"Status: 200\r\n\r\nok", pad=255) + rec(6, 1) + end(1))
put('record_decoder', 'bad-version-later', rec(6, 1, b"Content-type: text/html\r\n\r\n") + rec(6, 1, b"x", ver=2))
put('record_decoder', 'end-request-short-body', rec(3, 1, b"\0\0\0\0\0\0\0"))
put('record_decoder', 'unexpected-types', rec(1, 1, bytes([0, 1, 1, 0, 0, 0, 0, 0])) + rec(8, 1, b"data") + rec(42, 1, b"?") + rec(5, 1) + stream(6, 1, b"\r\n") + end(1))
put('record_decoder', 'stdout-two-records', rec(6, 1, b"Content-Type: text/plain\r") + rec(6, 1, b"\n\r\npong") + rec(6, 1) + end(1))
put('record_decoder', 'tls-peer', bytes([0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x50]))

# ---- pairs
put('name_value_pairs', 'get-values', pairs([(b"FCGI_MAX_CONNS", b""), (b"FCGI_MAX_REQS", b""), (b"FCGI_MPXS_CONNS", b"")]))
put('name_value_pairs', 'get-values-result', pairs([(b"FCGI_MAX_CONNS", b"50"), (b"FCGI_MAX_REQS", b"50"), (b"FCGI_MPXS_CONNS", b"0")]))
put('name_value_pairs', 'params', pairs([(b"SCRIPT_FILENAME", b"/var/www/html/index.php"), (b"REQUEST_METHOD", b"GET"), (b"QUERY_STRING", b""), (b"SERVER_PROTOCOL", b"HTTP/1.1"), (b"GATEWAY_INTERFACE", b"CGI/1.1")]))
put('name_value_pairs', 'long-value', pairs([(b"HTTP_COOKIE", b"a=" + b"x" * 300)]))
put('name_value_pairs', 'long-name', pairs([(b"N" * 130, b"v")]))
put('name_value_pairs', 'non-canonical-length', struct.pack('>I', 0x80000004) + b"\x01NAMEv")
put('name_value_pairs', 'hostile-length', bytes([0xff, 0xff, 0xff, 0xff, 0]))
put('name_value_pairs', 'truncated', pairs([(b"FCGI_MPXS_CONNS", b"0")])[:-3])
put('name_value_pairs', 'empty-pair', b"\0\0")

# ---- CGI stdout (input: stdout, then NUL, then stderr)
cgi = {
 'php-200': ok,
 'php-404': b"Status: 404 Not Found\r\nContent-type: text/html; charset=UTF-8\r\n\r\nFile not found.\n",
 'location-302': b"Location: /login\n\n",
 'status-503-lf': b"status: 503 busy\nRetry-After: 30\n\n<p>busy</p>",
 'empty-header-block': b"\r\nbody",
 'fpm-ping': b"Content-Type: text/plain\r\nExpires: Thu, 01 Jan 1970 00:00:00 GMT\r\nCache-Control: no-cache, no-store, must-revalidate, max-age=0\r\n\r\npong",
 'fpm-status': b"Content-type: text/plain;charset=UTF-8\r\n\r\npool:                 www\nprocess manager:      dynamic\nactive processes:     1\nmax children reached: 0\n",
 'no-header-end': b"Content-Type: text/html\r\n",
 'html-no-headers': b"<html><body>Fatal error</body></html>\n\n",
 'bad-status': b"Status: OK\r\n\r\n",
 'bad-name': b"Bad Name: x\n\n",
 'with-stderr': b"Status: 500 Internal Server Error\r\nContent-type: text/html\r\n\r\n\0PHP message: PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in /var/www/html/index.php on line 3",
 'stderr-only': b"\0Primary script unknown",
 'http-response': b"HTTP/1.1 200 OK\r\nServer: Apache\r\n\r\n",
 'ssh-banner': b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n",
 'utf8-header': "X-Name: caf\u00e9\r\nContent-Type: text/plain\r\n\r\n\u00e9".encode(),
}
for k, v in cgi.items(): put('cgi_headers', k, v)

# ---- logs: the fixtures whole, and two entries over several lines
L = os.path.join(HERE, '..', 'fixtures', 'logs')
for f in ['envelopes.log', 'seeds-apache22.log', 'apache24-proxy-fcgi.log', 'php-fpm.log', 'apache24-fcgid.log', 'nginx.log']:
    put('log_lines', 'fixture-' + f, open(os.path.join(L, f), 'rb').read())
put('log_lines', 'nginx-multiline-stderr',
    '2026/11/23 07:53:27 [error] 7#7: *3 FastCGI sent in stderr: "PHP message: PHP Warning:  Undefined variable $x in /var/www/html/a.php on line 2\nPHP message: PHP Fatal error:  Uncaught Error: boom in /var/www/html/a.php:3\nStack trace:\n#0 {main}\n  thrown in /var/www/html/a.php on line 3" while reading response header from upstream, client: 172.18.0.1, server: _, request: "GET /a.php HTTP/1.1", upstream: "fastcgi://unix:/run/php/php-fpm.sock:", host: "localhost"\n')
put('log_lines', 'apachectl-syntax-error', 'AH00526: Syntax error on line 41 of /etc/apache2/conf-enabled/app.conf:\nInvalid command \'ProxyPassMatch\', perhaps misspelled or defined by a module not included in the server configuration\n')

# ---- nginx -T dumps
hdr = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\nnginx: configuration file /etc/nginx/nginx.conf test is successful\n"
def dump(files):
    return hdr + ''.join('# configuration file %s:\n%s\n' % (p, t) for p, t in files)
put('nginx_config', 'debian', dump([
 ("/etc/nginx/nginx.conf", "user www-data;\nworker_processes auto;\nerror_log /var/log/nginx/error.log;\nevents { worker_connections 768; }\nhttp {\n  include /etc/nginx/mime.types;\n  include /etc/nginx/sites-enabled/*;\n}\n"),
 ("/etc/nginx/mime.types", "types {\n  text/html html htm;\n}\n"),
 ("/etc/nginx/sites-enabled/default", "server {\n  listen 80 default_server;\n  listen [::]:80 default_server;\n  root /var/www/html;\n  server_name _;\n  location ~ \\.php$ {\n    include snippets/fastcgi-php.conf;\n    fastcgi_pass unix:/run/php/php8.2-fpm.sock;\n  }\n}\n"),
 ("/etc/nginx/snippets/fastcgi-php.conf", "fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\ntry_files $fastcgi_script_name =404;\nset $path_info $fastcgi_path_info;\nfastcgi_param PATH_INFO $path_info;\nfastcgi_index index.php;\ninclude fastcgi.conf;\n"),
 ("/etc/nginx/fastcgi.conf", "fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\nfastcgi_param QUERY_STRING $query_string;\n"),
]))
put('nginx_config', 'upstream-and-timeouts', dump([
 ("/etc/nginx/nginx.conf", "events {}\nhttp {\n  upstream php {\n    server 127.0.0.1:9000 weight=5;\n    server unix:/run/php/b.sock backup;\n    keepalive 8;\n  }\n  fastcgi_read_timeout 5m;\n  fastcgi_connect_timeout 1500ms;\n  server {\n    listen 127.0.0.1:8080;\n    server_name app.example www.app.example;\n    allow 127.0.0.1;\n    deny all;\n    location = /status { fastcgi_pass php; include fastcgi_params; fastcgi_param SCRIPT_FILENAME /status; }\n    location / {\n      location ~ [^/]\\.php(/|$) {\n        fastcgi_param SCRIPT_FILENAME \"$document_root$fastcgi_script_name\";\n        fastcgi_pass $backend;\n      }\n    }\n  }\n}\n"),
]))
put('nginx_config', 'quotes-comments-if', dump([
 ("/etc/nginx/nginx.conf", "user nginx nginx; # the worker\nevents {}\nhttp {\n  map $http_upgrade $conn { default upgrade; '' close; }\n  server {\n    root '/srv/my site';\n    if ($request_uri ~* \"\\.php$\") { return 404; }\n    location ~ ^/(index|app)\\.php(/|$) {\n      fastcgi_pass [::1]:9000;\n      fastcgi_param SCRIPT_FILENAME ${document_root}/index.php;\n      fastcgi_read_timeout 1h;\n    }\n  }\n}\n"),
]))
put('nginx_config', 'syntax-errors', dump([
 ("/etc/nginx/nginx.conf", "events {\nhttp {\n  server { location ~ \\.php$ { fastcgi_pass 127.0.0.1:9000 }\n  }}}\n  \"unterminated\n include /etc/nginx/missing.conf;\n"),
]))
put('nginx_config', 'include-cycle', dump([
 ("/etc/nginx/nginx.conf", "events {}\nhttp { include /etc/nginx/conf.d/*.conf; }\n"),
 ("/etc/nginx/conf.d/a.conf", "include /etc/nginx/conf.d/b.conf;\nserver { fastcgi_pass php-fpm:9000; }\n"),
 ("/etc/nginx/conf.d/b.conf", "include /etc/nginx/conf.d/a.conf;\n"),
]))
put('nginx_config', 'not-a-dump', "server { listen 80; }\n")

# ---- Apache (main NUL extra NUL envvars)
def ap(main, extra=None, envvars=None):
    parts = [main]
    if extra is not None or envvars is not None: parts.append(extra or '')
    if envvars is not None: parts.append(envvars)
    return '\0'.join(parts)
put('apache_config', 'debian', ap(
 "DefaultRuntimeDir ${APACHE_RUN_DIR}\nUser ${APACHE_RUN_USER}\nGroup ${APACHE_RUN_GROUP}\nErrorLog ${APACHE_LOG_DIR}/error.log\nLoadModule proxy_module /usr/lib/apache2/modules/mod_proxy.so\nLoadModule proxy_fcgi_module /usr/lib/apache2/modules/mod_proxy_fcgi.so\nIncludeOptional conf-enabled/*.conf\n<VirtualHost *:80>\n  ServerName example.org\n  DocumentRoot /var/www/html\n</VirtualHost>\n",
 "<FilesMatch \".+\\.ph(?:ar|p|tml)$\">\n    SetHandler \"proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost\"\n</FilesMatch>\n",
 "unset HOME\nexport APACHE_RUN_USER=www-data\nexport APACHE_RUN_GROUP=www-data\nif [ -n \"$X\" ]; then\n  SUFFIX=\"-${X}\"\nfi\nexport APACHE_RUN_DIR=/var/run/apache2$SUFFIX\nexport APACHE_LOG_DIR=/var/log/apache2$SUFFIX\n"))
put('apache_config', 'rhel-ifmodule', ap(
 "ServerRoot \"/etc/apache2\"\nListen 80\nUser apache\nGroup apache\nErrorLog \"logs/error_log\"\nTimeout 300\nProxyTimeout 120\nInclude /etc/apache2/conf-enabled/extra.conf\n",
 "<Files \".user.ini\">\n  Require all denied\n</Files>\n<IfModule !mod_php.c>\n  <FilesMatch \\.(php|phar)$>\n    SetHandler \"proxy:unix:/run/php-fpm/www.sock|fcgi://localhost\"\n  </FilesMatch>\n</IfModule>\n"))
put('apache_config', 'vhosts-proxypass', ap(
 "User nobody\nLoadModule proxy_fcgi_module modules/mod_proxy_fcgi.so\n<VirtualHost 10.0.0.5:80>\n  ServerName alice.example\n  DocumentRoot /home/alice/public_html\n  ProxyPassMatch ^/(.*\\.php(/.*)?)$ fcgi://127.0.0.1:9000/home/alice/public_html/$1\n  <Proxy balancer://php>\n    BalancerMember fcgi://127.0.0.1:9001\n    BalancerMember \"unix:/run/php/b.sock|fcgi://b/\"\n  </Proxy>\n  ProxyPass /app/ balancer://php/ timeout=30\n  RewriteRule ^(.*\\.php)$ fcgi://127.0.0.1:9000/srv/$1 [P,L]\n  <Directory /home/alice/public_html>\n    Options +ExecCGI -Indexes\n    AddHandler fcgid-script .php\n  </Directory>\n</VirtualHost>\n"))
put('apache_config', 'fcgid-and-fastcgi', ap(
 "LoadModule fcgid_module modules/mod_fcgid.so\nFcgidIPCDir /var/run/mod_fcgid\nFcgidIOTimeout 40\nFcgidMaxProcessesPerClass 8\n<Directory \"/var/www/*/html\">\n  Options ExecCGI\n  FcgidWrapper /usr/local/bin/php-wrapper .php virtual\n</Directory>\nFastCgiServer /var/www/app.fcgi -processes 2 -idle-timeout 30\nFastCgiExternalServer /var/www/ext.fcgi -socket /run/ext.sock\nFastCgiIpcDir /var/lib/apache2/fastcgi\nFastCgiWrapper /usr/lib/apache2/suexec\nFastCgiConfig -maxClassProcesses 4 -idle-timeout 60\n"))
put('apache_config', 'define-macro-include-cycle', ap(
 "Define PHPSOCK /run/php/php-fpm.sock\nDefine DEBUG\n<IfDefine DEBUG>\n  <Macro Php $sock>\n    SetHandler \"proxy:unix:$sock|fcgi://localhost\"\n  </Macro>\n</IfDefine>\n<IfDefine !DEBUG>\n  User nobody\n</IfDefine>\n<Location /app>\n  SetHandler \"proxy:unix:${PHPSOCK}|fcgi://localhost\"\n</Location>\nUndefine DEBUG\nInclude /etc/apache2/conf-enabled/\nInclude /etc/apache2/conf-enabled/missing.conf\nIncludeOptional /etc/apache2/nothing/*.conf\n",
 "Include /etc/apache2/apache2.conf\n<VirtualHost *:443>\n  ServerName \\\n    continued.example\n  SetHandler proxy:fcgi://[::1]:9000\n"))

# ---- php-fpm (main NUL pool)
put('fpm_config', 'debian', "[global]\npid = /run/php/php8.2-fpm.pid\nerror_log = /var/log/php8.2-fpm.log\ninclude=/etc/php/8.2/fpm/pool.d/*.conf\n\0"
 "[www]\nuser = www-data\ngroup = www-data\nlisten = /run/php/php8.2-fpm.sock\nlisten.owner = www-data\nlisten.group = www-data\nlisten.mode = 0660\npm = dynamic\npm.max_children = 5\npm.status_path = /status\nping.path = /ping\n")
put('fpm_config', 'relative-include-pool-var', "include=pool.d/*.conf ; comment\n[global]\nerror_log = log/php-fpm.log\n\0"
 "[app]\nlisten = /run/php/$pool.sock\nlisten.allowed_clients = 127.0.0.1\nlisten.acl_users = apache,nginx\nrequest_terminate_timeout = 30s\nphp_admin_value[max_execution_time] = 60\ncatch_workers_output = yes\nslowlog = /var/log/$pool.slow.log\n[app]\npm.max_children = 10\npm.status_listen = 127.0.0.1:9001\n")
put('fpm_config', 'docker-tcp', "[global]\ndaemonize = no\nerror_log = /proc/self/fd/2\n[www]\nlisten = 9000\nlisten = \"127.0.0.1:9000\"\npm = ondemand\npm.max_children = abc\n")
put('fpm_config', 'include-self', "[global]\ninclude=/etc/php/8.2/fpm/php-fpm.conf\ninclude=/etc/php/8.2/fpm/pool.d/www.conf\n\0include=/etc/php/8.2/fpm/pool.d/*\n[x]\nlisten=[::1]:9000\n")
