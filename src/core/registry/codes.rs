//! The code table. One entry per diagnosis; ids are never renumbered or reused.
//! This file is long because it is a table.

use super::{Class, Code, Severity};

/// Defines each code as a constant and lists them all in [`ALL`], so a code that a
/// check uses is in the registry by construction.
macro_rules! codes {
    ($(
        $name:ident = $id:literal, $class:ident, $severity:ident, $title:literal,
        explanation: $explanation:expr,
        fix: $fix:expr;
    )*) => {
        $(
            pub const $name: Code = Code {
                id: $id,
                class: Class::$class,
                severity: Severity::$severity,
                title: $title,
                explanation: $explanation,
                fix: $fix,
            };
        )*
        /// Every code, sorted by id.
        pub static ALL: &[Code] = &[$($name),*];
    };
}

codes! {
    // ---- FD10xx probe: connecting -------------------------------------------------
    SOCKET_MISSING = "FD1001", SocketMissingOrRefused, Critical,
        "unix socket path does not exist",
    explanation: "Nothing exists at the socket path, so the connect failed with ENOENT. \
The application or process manager is not running, listens somewhere else, or was \
stopped and removed its socket. The web server logs the same failure as \
'(2)No such file or directory: AH02454: FCGI: attempt to connect to Unix domain socket \
... failed' (Apache) or 'connect() to unix:... failed (2: No such file or directory)' \
(nginx). Example: php-fpm's pool listens on /run/php/php8.2-fpm.sock but the web server \
points at /run/php/php-fpm.sock.",
    fix: "Start the backend (systemctl start php8.2-fpm), or make both sides use the same \
path: compare the pool's 'listen =' with nginx 'fastcgi_pass unix:...' or Apache \
'SetHandler \"proxy:unix:...|fcgi://localhost\"'.";

    SOCKET_DIR_MISSING = "FD1002", SocketMissingOrRefused, Critical,
        "directory of the unix socket does not exist",
    explanation: "A directory on the way to the socket does not exist, so nothing can \
listen there. Runtime directories under /run are on a tmpfs and vanish at every boot; a \
service that expects its directory to exist fails to bind, and clients get ENOENT. \
Example: /run/php/ was never re-created after a reboot because php-fpm runs without \
its systemd unit (RuntimeDirectory=php).",
    fix: "Create the directory with the right owner before the backend starts (systemd \
'RuntimeDirectory=', or 'install -d -o www-data -g www-data /run/myapp' in the start \
script), then restart the backend.";

    NOT_A_SOCKET = "FD1003", SocketMissingOrRefused, Critical,
        "path exists but is not a socket",
    explanation: "The target path is a regular file, a directory, a FIFO or a device, \
not a unix socket, so connect() is refused. This happens when a configuration names a \
pid file, log file or directory by mistake, or when something created an ordinary file \
at the socket path before the backend started. Example: 'fastcgi_pass \
unix:/run/php/php8.2-fpm.pid;'.",
    fix: "Point the web server at the socket the backend really listens on (the pool's \
'listen =' value). If a stray file occupies the path, remove it and restart the backend \
so it can bind there.";

    STALE_SOCKET = "FD1004", SocketMissingOrRefused, Critical,
        "stale socket: the file exists but nobody listens",
    explanation: "The socket file is there but connect() is refused (ECONNREFUSED): the \
process that created it died or was killed without removing it. Web servers log \
'(111)Connection refused' for it. flup and fcgiwrap leave their socket behind when they \
stop, and a killed php-fpm master does too. Example: kill -9 of a flup app leaves \
/run/app/app.sock, and every request gets 503 until the app is started again.",
    fix: "Restart the backend (remove the stale file first if the backend refuses to \
bind: rm /path/to.sock). Then find out why it died: its log, \
dmesg for the OOM killer.";

    TCP_REFUSED = "FD1005", SocketMissingOrRefused, Critical,
        "TCP connection refused",
    explanation: "The host answered with a reset: nothing listens on that address and \
port. The backend is down, listens on another port or interface (127.0.0.1 against \
::1, or a unix socket instead), or a firewall rejects the connection. Example: php-fpm \
'listen = 127.0.0.1:9000' while nginx has 'fastcgi_pass localhost:9000' and localhost \
resolves to ::1 first.",
    fix: "Start the backend, and check what it listens on: 'ss -ltnp' and the pool's \
'listen =' line. Use the same address family and port on both sides.";

    SOCKET_PERMISSION_DENIED = "FD1006", PermissionDenied, Critical,
        "permission denied by the socket file",
    explanation: "Connecting to a unix socket needs write permission on the socket \
file. The user running the probe (and, in production, the web server user) is not the \
owner, not in the group, or the mode gives no write bit to it. php-fpm sets the mode \
from listen.owner, listen.group and listen.mode; other backends use their umask. \
Example: srw------- root:root with nginx workers running as www-data: nginx logs \
'connect() to unix:... failed (13: Permission denied)'.",
    fix: "In the php-fpm pool: 'listen.owner = www-data', 'listen.group = www-data', \
'listen.mode = 0660' (or 'listen.acl_users = www-data'), then reload php-fpm. For other \
backends: chown or chmod the socket after it is created, or start the backend as the \
web server user or with a group the web server user is in.";

    DIRECTORY_PERMISSION_DENIED = "FD1007", PermissionDenied, Critical,
        "permission denied by a parent directory of the socket",
    explanation: "Reaching a path needs search (x) permission on every directory on the \
way. One directory above the socket gives the connecting user no search permission, so \
the socket itself is never reached, whatever its own mode. Example: the socket is \
srw-rw-rw- but lives in /var/lib/myapp, which is drwx------ myapp:myapp.",
    fix: "Give the web server user search permission on that directory (chmod o+x DIR, \
or chgrp www-data DIR && chmod g+x DIR), or move the socket to a directory meant for \
it such as /run/<app>/.";

    CONNECT_TIMEOUT = "FD1008", Timeout, Critical,
        "connect timed out",
    explanation: "The connection was not established before --connect-timeout. Over \
TCP, SYNs are dropped: a firewall drops them, the host is down, or the listener's accept \
queue is full because every worker is busy and the backlog (listen.backlog) has filled \
up. Example: a saturated php-fpm pool behind 'listen = 127.0.0.1:9000' under load: \
nginx logs 'upstream timed out (110: Connection timed out) while connecting to \
upstream'.",
    fix: "Check that the backend is up and reachable (ss -ltn, firewall rules). If it is \
saturated, look at its workers (php-fpm status page with ?full, ps) and raise \
pm.max_children or fix the slow requests; a probe on pm.status_listen shows whether the \
master still answers.";

    LISTEN_BACKLOG_FULL = "FD1009", CapacityExhaustion, Critical,
        "listen backlog of the unix socket is full",
    explanation: "The kernel refused the connection with EAGAIN: the socket's accept \
queue is full. The backend accepts no new connections because all its workers are busy \
and the queue (listen.backlog in php-fpm, the listen() backlog elsewhere) has filled \
up. nginx logs it as 'connect() to unix:... failed (11: Resource temporarily \
unavailable)'. Example: a php-fpm pool with pm.max_children = 5 and five requests stuck \
on a slow database.",
    fix: "Find what keeps the workers busy (php-fpm slowlog, status page with ?full, \
ps -o pid,etime,args), then raise pm.max_children if memory allows, and listen.backlog \
together with net.core.somaxconn for bursts.";

    HOST_UNRESOLVED = "FD1010", SocketMissingOrRefused, Critical,
        "host name does not resolve",
    explanation: "The host part of the target could not be resolved to any address. \
The name is misspelt, the resolver is unreachable, or, in containers, the service \
name of the backend is not known on this network. Example: 'fastcgi_pass php:9000' in a \
compose setup where the service is called 'php-fpm'.",
    fix: "Check the name with 'getent hosts NAME'; use the service name the container \
network knows, or an IP address.";

    UNREACHABLE = "FD1011", SocketMissingOrRefused, Critical,
        "address cannot be reached",
    explanation: "The connect failed before reaching a listener: no route to the host, \
the network is down, or the address is not available on this machine. The message \
names the operating system's error. Example: a pool that listened on a container IP \
address that no longer exists after the container was recreated.",
    fix: "Check the address and routing (ip route get ADDRESS), and point the web server \
at the address the backend listens on now.";

    PERMISSION_DENIED_OTHER = "FD1012", PermissionDenied, Critical,
        "permission denied, but not by file modes",
    explanation: "The connect failed with EACCES although the owner, group and mode of \
the socket and of every directory above it allow this user. Something beyond the \
classic modes denies: a POSIX ACL, SELinux (httpd_can_network_connect, socket labels), \
AppArmor, or a systemd sandbox (ProtectSystem=, PrivateTmp=). Example: on a \
SELinux-enforcing host an nginx worker may not connect to a socket labelled var_run_t \
instead of httpd_var_run_t.",
    fix: "Look for the denial: 'ausearch -m avc -ts recent' or journalctl for SELinux, \
'dmesg | grep apparmor' for AppArmor, 'getfacl PATH' for ACLs. Relabel the socket \
directory (semanage fcontext + restorecon) or adjust the profile.";

    // ---- FD11xx probe: waiting for the answer ---------------------------------------
    NO_FIRST_BYTE = "FD1101", Timeout, Critical,
        "connected, but no answer before the deadline",
    explanation: "The connection was accepted but not one byte came back before \
--timeout. The backend is alive enough to accept (the kernel accepts for it) but every \
worker is busy, or the one that took the request hangs. Apache logs it as 'AH01075: \
Error dispatching request to : (polling)' or 'Connection timed out: AH01102'; nginx as \
'upstream timed out (110: Connection timed out) while reading response header from \
upstream'. Example: php-fpm with all workers sleeping in a slow query: ping.path queues \
behind them too.",
    fix: "See what the workers are doing (php-fpm status ?full, slowlog with \
request_slowlog_timeout, ps). Add capacity (pm.max_children) or fix the \
slow code; set request_terminate_timeout so stuck workers are killed. For health checks \
use pm.status_listen, which has its own worker.";

    RESPONSE_STALLED = "FD1102", Timeout, Critical,
        "response started but did not complete before the deadline",
    explanation: "The backend sent part of the answer and then stopped (or kept \
streaming) past --timeout, so the request never ended with FCGI_END_REQUEST in time. \
A worker blocked in the middle of the request, output is buffered behind a slow \
operation, or the response is larger than expected. Example: a PHP script that flushes \
its headers and then waits on a remote API.",
    fix: "Find where the request blocks (php-fpm slowlog, strace -p on the worker); \
raise --timeout if the endpoint is legitimately slow, or probe a cheap endpoint (php-fpm \
ping.path) for health checks.";

    CLOSED_WITHOUT_RECORD = "FD1103", IncompleteHeaders, Critical,
        "backend closed the connection without answering",
    explanation: "The backend accepted the connection and closed it before sending a \
single FastCGI record. This is what Apache logs as 'incomplete headers (0 bytes) \
received from server' (mod_fastcgi) or 'End of script output before headers' \
(mod_proxy_fcgi). The worker crashed on the request, php-fpm refused the client because \
of listen.allowed_clients, or the application exited. Example: php-fpm with \
'listen.allowed_clients = 10.0.0.5' closes every connection from 127.0.0.1 at once.",
    fix: "On TCP, php-fpm closes a client that listen.allowed_clients does not list \
without reading its request, and logs 'Connection disallowed: IP address ... has been \
dropped': add the web server's address there (or remove the setting and firewall the \
port). Otherwise read the backend's own log around the probe's time for a crash \
('exited on signal', memory limits).";

    CONNECTION_RESET = "FD1104", AppCrashed, Critical,
        "backend reset the connection",
    explanation: "The connection was reset (ECONNRESET or a broken pipe) while the probe \
was sending or waiting: the worker process died or closed the socket with unread \
data. Apache logs '(104)Connection reset by peer: AH01075'; nginx 'recv() failed (104: \
Connection reset by peer) while reading response header from upstream'. Example: a \
worker killed by request_terminate_timeout or by the OOM killer during the request.",
    fix: "Check the backend log for killed or crashed workers (php-fpm 'exited on \
signal 9/11', 'execution timed out'), dmesg for the OOM killer, and the application's \
own error log.";

    SLOWER_THAN_WARNING = "FD1105", Timeout, Warning,
        "probe slower than the --warning threshold",
    explanation: "The probe's total time (connect, FCGI_GET_VALUES, the request and the \
whole answer) fell in the range --warning alerts on, in the monitoring plugins' range \
syntax. The backend answered, but slower than wanted. Example: --warning 0.5 and a \
ping that took 0.8 s because the pool is nearly saturated.",
    fix: "See what slows the backend: --fpm-status for the pool's queue and workers, the \
slowlog for slow requests; or widen the threshold if the time is normal for it.";

    SLOWER_THAN_CRITICAL = "FD1106", Timeout, Critical,
        "probe slower than the --critical threshold",
    explanation: "The probe's total time fell in the range --critical alerts on, in the \
monitoring plugins' range syntax. Example: --critical 2 and a request that took 3 s.",
    fix: "See what slows the backend: --fpm-status for the pool's queue and workers, the \
slowlog for slow requests; raise capacity when the pool is saturated.";

    // ---- FD12xx probe: the FastCGI protocol -----------------------------------------
    PEER_SPEAKS_HTTP = "FD1201", ProtocolError, Critical,
        "peer speaks HTTP, not FastCGI",
    explanation: "The answer starts with 'HTTP/': the target is an HTTP server (or an \
HTTP proxy), not a FastCGI application. FastCGI and HTTP often share ports in \
configurations by mistake. Example: the probe (or nginx 'fastcgi_pass') points at \
127.0.0.1:8080 where a gunicorn or Apache listens, instead of the FastCGI port.",
    fix: "Point the probe and the web server at the FastCGI listener (php-fpm 'listen =', \
the app's FastCGI socket). If the backend is an HTTP server, use proxy_pass (nginx) or \
ProxyPass http:// (Apache) instead of FastCGI.";

    PEER_NOT_FASTCGI = "FD1202", ProtocolError, Critical,
        "peer speaks another protocol, not FastCGI",
    explanation: "The first byte of the answer is not FastCGI version 1, and the message \
says what the bytes look like (TLS, SSH, SMTP, Redis, a text banner). The target is some \
other service. Example: 127.0.0.1:9000 is taken by a monitoring agent or by MinIO, \
and php-fpm failed to bind there.",
    fix: "Find who listens: 'ss -ltnp sport = :PORT' or 'ss -lxp | grep PATH'. Move one \
of the services and point the web server at the FastCGI backend.";

    BAD_VERSION = "FD1203", ProtocolError, Critical,
        "record with an unsupported FastCGI version",
    explanation: "A record in the middle of the answer has a version other than 1. The \
stream lost its framing: the backend wrote raw bytes onto the FastCGI socket (a print \
to the wrong file descriptor), or a buggy library miscounted lengths or padding. \
Example: a CGI-style script run under a FastCGI wrapper writes 'Content-Type: ...' \
straight to fd 0.",
    fix: "Make the application write only through its FastCGI library; look for prints \
to stdout outside the request in the app, and update the FastCGI library.";

    TRUNCATED_RECORD = "FD1204", ProtocolError, Critical,
        "connection closed in the middle of a record",
    explanation: "The backend closed the connection after part of a record header or \
body: the record announced more bytes than arrived. The worker crashed while writing, \
or it lost the framing. Example: a worker killed by a segfault half way through a \
large response.",
    fix: "Check the backend log for crashed workers (php-fpm 'exited on signal 11 \
(SIGSEGV)') and dmesg; disable suspicious extensions and reproduce with the probe.";

    MALFORMED_RECORD = "FD1205", ProtocolError, Critical,
        "malformed record body",
    explanation: "A record arrived whole but its body does not match its type: an \
FCGI_END_REQUEST or FCGI_UNKNOWN_TYPE body that is not 8 bytes, or name-value pairs \
whose lengths run past the record. Example: a hand-written FastCGI server that sends a \
5-byte END_REQUEST body.",
    fix: "Fix or update the backend's FastCGI implementation; the message shows the \
record type and sizes.";

    WRONG_REQUEST_ID = "FD1206", ProtocolError, Critical,
        "record for a request id that was never sent",
    explanation: "The probe sends a single request with id 1; a record came back for \
another request id. The backend mixes up connections or requests (a multiplexing bug), \
or answered a request that another client started on a shared connection. Example: a \
proxy in front of the application that pools connections incorrectly.",
    fix: "Update or fix the backend's FastCGI library; disable multiplexing \
(FCGI_MPXS_CONNS=0) in the application.";

    NO_END_REQUEST = "FD1207", ProtocolError, Critical,
        "connection closed without FCGI_END_REQUEST",
    explanation: "The backend sent output and then closed the connection without the \
FCGI_END_REQUEST record that completes every request (spec section 5.5). Web servers \
then log a premature end of script headers or of the response. The worker died after \
writing part of the answer, or the application exits at the end of the request without \
finishing it. Example: a flup app that calls os._exit() after starting its response.",
    fix: "Look for crashes or exits in the application (its stderr and error log), \
and make it finish requests through its FastCGI library instead of exiting.";

    OVERLOADED = "FD1208", CapacityExhaustion, Critical,
        "backend rejected the request: FCGI_OVERLOADED",
    explanation: "The backend answered FCGI_END_REQUEST with protocolStatus \
FCGI_OVERLOADED: it is out of a resource (workers, connections, memory) and refuses new \
requests. Example: an application built on libfcgi with a connection limit that has \
all its request slots in use.",
    fix: "Add capacity (more worker processes or threads), lower the load, or find the \
requests that hold workers for long; check the backend's own limits (FCGI_MAX_CONNS, \
FCGI_MAX_REQS from the probe's GET_VALUES answer).";

    CANT_MPX_CONN = "FD1209", ProtocolError, Critical,
        "backend rejected the request: FCGI_CANT_MPX_CONN",
    explanation: "The backend answered FCGI_END_REQUEST with protocolStatus \
FCGI_CANT_MPX_CONN: it does not handle several requests at once on one connection, and \
the client sent one anyway. The probe sends a single request per connection, so a \
backend that says this here is confused about connection state. Example: a backend \
that still counts a previous request as active on a reused connection.",
    fix: "Make the client open one connection per concurrent request (nginx: no \
'fastcgi_keep_alive' multiplexing; Apache mod_proxy_fcgi never multiplexes), and update \
the backend's FastCGI library.";

    UNKNOWN_ROLE = "FD1210", HandlerMisconfig, Critical,
        "backend rejected the request: FCGI_UNKNOWN_ROLE",
    explanation: "The backend answered FCGI_END_REQUEST with protocolStatus \
FCGI_UNKNOWN_ROLE: it does not play the role asked for in FCGI_BEGIN_REQUEST. The probe \
asks for the Responder role, which nearly every application implements; an application \
that only implements the Authorizer or Filter role refuses it. Example: an Apache \
FastCgiAuthorizer application configured as the content handler.",
    fix: "Use the application in the role it implements (for an authorizer: Apache \
'FcgidAuthenticator'/'FastCgiAuthorizer'), or point the handler at the responder \
application.";

    UNKNOWN_PROTOCOL_STATUS = "FD1211", ProtocolError, Critical,
        "FCGI_END_REQUEST with an unknown protocol status",
    explanation: "The protocolStatus byte of FCGI_END_REQUEST is not one of the four \
the specification defines (0 to 3). Web servers treat the request as failed. Example: \
a home-made FastCGI server that puts the HTTP status or an exit code into the \
protocolStatus field.",
    fix: "Fix the backend: protocolStatus must be FCGI_REQUEST_COMPLETE (0) for every \
request it served; the application's exit code belongs in appStatus.";

    UNEXPECTED_RECORD = "FD1212", ProtocolError, Warning,
        "backend sent a record type a client never receives",
    explanation: "A record arrived that an application never sends to a web server: \
FCGI_BEGIN_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_DATA, FCGI_ABORT_REQUEST, \
FCGI_GET_VALUES, or a type the specification does not define. The probe skips it, but a \
web server may drop the connection. Example: a FastCGI server that echoes the client's \
records back.",
    fix: "Fix or update the backend's FastCGI implementation; the message names the \
record type.";

    // ---- FD13xx probe: the CGI response ----------------------------------------------
    NO_CGI_HEADERS = "FD1301", IncompleteHeaders, Critical,
        "response has no CGI header block",
    explanation: "FCGI_STDOUT carried data but never the empty line that ends the CGI \
headers, so a web server cannot find the status and headers. Apache logs 'Premature \
end of script headers' or 'malformed header from script'; nginx 'upstream sent invalid \
header'. The application printed its body before the headers, or debug output before \
them. Example: a Python app that prints 'hello' before the WSGI server writes the \
headers.",
    fix: "Make the application send its headers first (Status:, Content-Type:, then an \
empty line). Remove stray print statements and BOMs before the headers.";

    MALFORMED_CGI_HEADER = "FD1302", IncompleteHeaders, Critical,
        "malformed CGI header line",
    explanation: "A line in the CGI header block is not 'Name: value', or a Status: \
line has no three-digit code. Web servers reject such a response with 'malformed \
header from script' (Apache) or 'upstream sent invalid header' (nginx) and answer 502. \
Example: 'Status: OK' instead of 'Status: 200 OK'.",
    fix: "Fix the header the message shows in the application; the format is \
'Name: value' per line, and 'Status: NNN reason'.";

    EMPTY_RESPONSE = "FD1303", IncompleteHeaders, Critical,
        "request ended with no output at all",
    explanation: "The backend completed the request (FCGI_END_REQUEST) without sending \
a single byte of FCGI_STDOUT, so there are no headers. Apache logs it as 'End of script \
output before headers'; nginx as 'upstream prematurely closed FastCGI stdout'. The \
application failed before it produced output, usually with a reason on stderr. \
Example: a PHP fatal error with display_errors off and no output buffering.",
    fix: "Read the backend's stderr in this report and its error log; fix the \
application error that ends the request before it writes anything.";

    PRIMARY_SCRIPT_UNKNOWN = "FD1304", ScriptNotFound, Critical,
        "script not found: Primary script unknown",
    explanation: "php-fpm (or php-cgi) could not find the file named by SCRIPT_FILENAME \
and answered 404 'File not found.' with 'Primary script unknown' on stderr (php-cgi: \
'No input file specified.'). The web server sends a SCRIPT_FILENAME that does not \
exist where PHP runs: a wrong document root, a missing $fastcgi_script_name, a path \
from another container, or an open_basedir/chroot that hides it. For /ping and /status \
php-fpm needs both SCRIPT_NAME and SCRIPT_FILENAME equal to ping.path. Example: nginx \
without 'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;'.",
    fix: "nginx: 'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;' \
with the right root. Apache: ProxyPassMatch with the document root in the fcgi:// URL, \
or SetHandler in a <FilesMatch>. Check the path exists where php-fpm runs (same \
container, same chroot). For probes: --script-filename with an existing script, or \
ping.path set in the pool for --fpm-ping.";

    ACCESS_DENIED_EXTENSION = "FD1305", HandlerMisconfig, Critical,
        "php-fpm refused the script: security.limit_extensions",
    explanation: "php-fpm answered 403 'Access denied.' because the file named by \
SCRIPT_FILENAME does not end in an extension allowed by security.limit_extensions \
(default .php .phar). It logs 'Access to the script ... has been denied (see \
security.limit_extensions)'. A web server routes non-PHP files to php-fpm, or \
SCRIPT_FILENAME points at a directory or a path with PATH_INFO glued on. Example: \
'location ~ \\.php' missing, so /images/logo.png goes to php-fpm.",
    fix: "Send only PHP files to php-fpm (nginx 'location ~ \\.php$' with \
fastcgi_split_path_info; Apache <FilesMatch \"\\.php$\">). Extend \
security.limit_extensions only if you really run PHP code from other extensions.";

    SCRIPT_UNREADABLE = "FD1306", PermissionDenied, Critical,
        "script exists but the backend may not read it",
    explanation: "php-fpm found SCRIPT_FILENAME but could not open it: 'Unable to open \
primary script: ... (Permission denied)' on stderr with a 403. The pool's user has no \
read permission on the file or no search permission on a directory above it. Example: \
a deploy that leaves files 0600 owned by the deploy user while the pool runs as \
www-data.",
    fix: "Give the pool user read permission on the script and search permission on its \
directories (chmod o+r FILE, chmod o+x DIRS, or a shared group), or run the pool as the \
owner (pool 'user =').";

    SERVER_ERROR_STATUS = "FD1307", AppCrashed, Critical,
        "application answered with a 5xx status",
    explanation: "The request reached the application and it answered with a server \
error status (500-599). The application failed on this request: a fatal error, an \
exception, a failing dependency such as the database. The stderr of the response, \
shown with the finding, usually says why. Example: 'PHP Fatal error: Uncaught \
PDOException: could not find driver'.",
    fix: "Read the stderr in this report and the application's error log; fix the error \
or the failing dependency. For health checks, probe an endpoint that checks only what \
should make the instance unhealthy.";

    CLIENT_ERROR_STATUS = "FD1308", HandlerMisconfig, Warning,
        "application answered with a 4xx status",
    explanation: "The application answered with a client error status (400-499) that \
is not one of the specific diagnoses. The probe's request does not match what the \
application routes: a wrong path, a required Host header or method, or authentication. \
Example: a framework front controller that answers 404 for the probe's default \
REQUEST_URI.",
    fix: "Probe a URI the application answers: --uri, --method, --param \
HTTP_HOST=example.org; or accept the status with --expect-status.";

    UNEXPECTED_STATUS = "FD1309", HandlerMisconfig, Critical,
        "status does not match --expect-status",
    explanation: "The CGI status of the response (from the Status: header, 200 when \
absent, 302 with only a Location: header) is outside the range given with \
--expect-status. Example: --expect-status 200 and the application redirects to a login \
page with 302.",
    fix: "Probe the URI that should answer the expected status, or widen the range \
(--expect-status 200-399).";

    BODY_MISMATCH = "FD1310", HandlerMisconfig, Critical,
        "body does not match the expected pattern",
    explanation: "The response body does not match --expect-body (or 'pong' for \
--fpm-ping). For php-fpm's ping this means ping.response differs, or the request was \
handled by a script rather than by the ping handler. Example: the pool has \
'ping.response = OK' while the probe expects pong.",
    fix: "Align the pattern with what the endpoint answers: --expect-body REGEX, or \
'ping.response = pong' in the pool.";

    APP_STDERR = "FD1311", AppStderr, Warning,
        "application wrote to stderr",
    explanation: "The application sent FCGI_STDERR data during the request. Web servers \
copy it into their error log ('FastCGI sent in stderr' in nginx, AH01071 in Apache). It \
may be a harmless notice or the cause of a failure: the text is shown with the finding. \
Example: 'PHP message: PHP Warning: Undefined variable $x in /srv/index.php on line 3'.",
    fix: "Read the text: fix the warning or error in the application, or lower its \
error reporting in production (PHP: error_reporting, log_errors to a file).";

    APP_STATUS_NONZERO = "FD1312", AppCrashed, Warning,
        "request ended with a non-zero application status",
    explanation: "FCGI_END_REQUEST carried a non-zero appStatus: the application \
reports that the request failed, in the way a CGI program reports its exit code. \
fcgiwrap passes the CGI script's exit status here. php-fpm always sends 0. Example: a \
CGI script behind fcgiwrap that exits 1 after printing its headers.",
    fix: "Look at the application's stderr and logs for why it exited with that status.";

    // ---- FD14xx probe: informational ---------------------------------------------------
    GET_VALUES_UNANSWERED = "FD1401", LifecycleInfo, Info,
        "no answer to FCGI_GET_VALUES",
    explanation: "The backend did not answer the management request FCGI_GET_VALUES \
(FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS) in time, or closed the connection \
without answering. Many backends ignore management records; php-fpm answers it with a \
worker, so a saturated pool leaves it unanswered. Not an error by itself. Example: a \
php-fpm pool with every worker busy, where the management request waits in the listen \
queue like any other.",
    fix: "Nothing to fix if the request itself succeeds. If the pool is saturated, see \
FD1101.";

    GET_VALUES_REJECTED = "FD1402", LifecycleInfo, Info,
        "backend does not support FCGI_GET_VALUES",
    explanation: "The backend answered FCGI_GET_VALUES with FCGI_UNKNOWN_TYPE: it does \
not implement management records, as the specification allows. The limits it works \
with are unknown to the probe. Example: a minimal FastCGI library that only serves \
requests.",
    fix: "Nothing to fix; read the backend's documentation for its connection and \
request limits.";

    DEFAULT_SCRIPT_UNKNOWN = "FD1403", LifecycleInfo, Info,
        "php-fpm answered; the default request names no script",
    explanation: "Without --script-filename, --uri or --fpm-ping the probe asks for a \
script that does not exist, so that no application code runs. php-fpm answered it with \
404 'Primary script unknown': a worker took the request and the FastCGI layer works \
end to end. Whether PHP scripts run is not tested. Example: 'fcgi-doctor probe \
/run/php/php8.2-fpm.sock' on a healthy pool.",
    fix: "To test more, name something to run: --fpm-ping (with ping.path = /ping in the \
pool) for a cheap health check, or --script-filename /srv/www/health.php.";

    // ---- FD15xx probe: php-fpm's status page ------------------------------------------
    FPM_LISTEN_QUEUE = "FD1501", CapacityExhaustion, Critical,
        "php-fpm pool saturated: requests wait in its listen queue",
    explanation: "php-fpm's status page shows requests in the listen queue: every worker \
is busy and new requests wait in the socket's backlog until one frees up, or until the \
web server gives up (504, 'upstream timed out'). The pool is alive but out of workers: \
busy, not dead, and restarting it only drops the queued requests. Example: pm = dynamic \
with pm.max_children = 5 and requests that wait on a slow database.",
    fix: "Raise pm.max_children only as far as the memory allows (workers × average \
worker memory must fit in RAM), and find the slow requests that hold the workers \
(request_slowlog_timeout and slowlog).";

    FPM_MAX_CHILDREN_REACHED = "FD1502", CapacityExhaustion, Warning,
        "php-fpm pool reached pm.max_children",
    explanation: "The status page's 'max children reached' counts the times the process \
manager wanted another worker and pm.max_children forbade it, since the pool started. \
Each time, requests queued. php-fpm logs it too: 'server reached pm.max_children \
setting (N), consider raising it'. Example: a traffic peak or slow requests holding \
every worker of a small pool.",
    fix: "Size pm.max_children from memory: (RAM left for PHP) / (average worker RSS); \
find the slow requests first (request_slowlog_timeout, slowlog).";

    FPM_SLOW_REQUESTS = "FD1503", Timeout, Warning,
        "php-fpm counted slow requests",
    explanation: "The status page's 'slow requests' counts the requests that ran longer \
than request_slowlog_timeout since the pool started; php-fpm wrote a backtrace of each \
to the pool's slowlog. Slow requests hold workers and are the usual reason a pool runs \
out of them. Example: scripts waiting on an external API without a timeout.",
    fix: "Read the pool's slowlog (its path is the pool's 'slowlog' setting): each entry is \
the PHP backtrace of a request that was slow, which names the function it waited in.";

    FPM_STATUS_OTHER_POOL = "FD1504", HandlerMisconfig, Warning,
        "php-fpm status page answered for another pool",
    explanation: "The status page named a pool other than the one that listens on the \
probed socket: the request reached another pool (a shared pm.status_listen, or a web \
server location that routes the status path elsewhere), so its numbers describe that \
pool. Example: two pools with the same pm.status_listen address.",
    fix: "Give each pool its own pm.status_path or pm.status_listen, and probe the \
socket of the pool you mean.";

    FPM_STATUS_UNREADABLE = "FD1505", ProtocolError, Warning,
        "php-fpm status page answer is not its JSON",
    explanation: "The status path answered 200, but not with php-fpm's status JSON: the \
path is served by a PHP script or another application rather than php-fpm's status \
page, or the answer was cut by --max-body. Example: a front controller that answers \
every path, including /status.",
    fix: "Set pm.status_path in the pool to a path no script uses (e.g. /fpm-status) and \
probe that path: --fpm-status /fpm-status.";

    POOL_BUSY = "FD1506", CapacityExhaustion, Critical,
        "connected, but every worker is busy",
    explanation: "The connection was accepted, yet neither FCGI_GET_VALUES nor the \
request got an answer before the deadline: php-fpm answers both with a worker, so every \
worker is busy and the requests wait in the listen queue. A dead backend refuses or \
resets the connection; a busy one accepts and queues. Restarting drops the queue and \
does not add workers. Example: a pool whose workers all wait on a locked database table.",
    fix: "See what the workers do (the status page with ?full through pm.status_listen, \
which has its own worker; the slowlog); raise pm.max_children only as the memory \
allows; set request_terminate_timeout so stuck workers are ended.";

    // ---- FD16xx probe: under load -----------------------------------------------------
    LOAD_SERIALIZES = "FD1601", CapacityExhaustion, Warning,
        "the backend serves one request at a time",
    explanation: "With many requests at once (--concurrency), the backend served barely \
more requests per second than with one at a time: it runs one request after the other. \
A FastCGI application must serve concurrent requests, by several processes or threads; \
one that does not queues everything behind its slowest request. Example: php-fpm with \
pm.max_children = 1, a flup app run with a single-threaded server, a global lock.",
    fix: "Run more workers: php-fpm pm.max_children (as the memory allows), mod_fcgid \
FcgidMaxProcessesPerClass, spawn-fcgi -F, flup's threaded WSGIServer; or remove the lock \
that serializes the requests.";

    LOAD_ERRORS_UNDER_CONCURRENCY = "FD1602", CapacityExhaustion, Critical,
        "errors appear only under concurrency",
    explanation: "One request at a time, every request succeeded; many at once, some \
failed. A limit is reached: the listen backlog (connect fails with EAGAIN or is refused), \
the number of workers (requests time out in the queue), or the application's own \
resources. The codes of the failures say which. Example: 64 connections at once to a \
pool whose socket has listen.backlog = 16: the connects beyond it fail with EAGAIN.",
    fix: "For EAGAIN or refused connects raise the backlog (php-fpm listen.backlog and \
sysctl net.core.somaxconn); for timeouts add workers (pm.max_children, as the memory \
allows) or find the slow requests (slowlog); for resets read the backend's log.";

    LOAD_QUEUEING = "FD1603", CapacityExhaustion, Warning,
        "latency grows with concurrency: requests queue",
    explanation: "The median latency with many requests at once is several times the \
median one at a time: requests wait in the listen queue for a free worker before they \
run. The backend is at its capacity. Example: 32 concurrent requests to a pool of 4 \
workers: each waits for about 8 others.",
    fix: "Add workers as the memory allows (pm.max_children), or make the requests faster; \
php-fpm's status page (--fpm-status) shows the listen queue.";

    // ---- FD17xx spawn: starting the application -----------------------------------------
    SPAWN_NOT_EXECUTABLE = "FD1701", PermissionDenied, Critical,
        "the application may not be run by its user",
    explanation: "The user the application runs as (the web server's, or --user) lacks \
execute permission on the file, read permission on a script (its interpreter opens \
it), or search permission on a directory above it. The web server then logs only \
'Permission denied: exec of ... failed' or 'couldn't spawn child process'. Example: a \
script uploaded with mode 0644, or a home directory of mode 0700 above it.",
    fix: "chmod 755 the script and o+x (or a group's x) every directory above it, for the \
user the web server starts it as.";

    SPAWN_MISSING = "FD1702", ScriptNotFound, Critical,
        "the application file does not exist or is not a file",
    explanation: "The path given to spawn is not a regular file: nothing is there, or a \
directory or something else is. mod_fcgid and mod_fastcgi log the same as 'No such file \
or directory' for their FcgidWrapper or FastCgiServer. Example: a FastCgiServer line \
that names app.fcgi in the wrong directory.",
    fix: "Give the path of the application file itself, and check the web server's \
configuration names that path.";

    SPAWN_NO_SHEBANG = "FD1703", HandlerMisconfig, Critical,
        "the file is neither a program nor a script with a #! line",
    explanation: "The kernel runs a binary or a script whose first line is '#!' and the \
interpreter's path. This file starts with neither, so exec fails with 'Exec format \
error' and the web server reports only that the child could not start. Example: a PHP \
file made executable and given to FcgidWrapper without '#!/usr/bin/php-cgi'.",
    fix: "Put the interpreter's line first (#!/usr/bin/python3, #!/usr/bin/perl, \
#!/usr/bin/php-cgi), or name the interpreter in the web server's configuration.";

    SPAWN_BAD_SHEBANG = "FD1704", HandlerMisconfig, Critical,
        "the #! line is broken by Windows line ends or a byte order mark",
    explanation: "A '#!' line that ends in a carriage return names an interpreter \
'python3\\r' that does not exist, so exec fails with 'No such file or directory' for \
a file that plainly exists; a UTF-8 byte order mark before '#!' hides the line from the \
kernel (exec format error). Both come from editors on Windows. Example: an app.fcgi \
edited on Windows and copied to the server.",
    fix: "Save the file with Unix line ends and without a byte order mark: sed -i \
's/\\r$//' FILE, or dos2unix FILE.";

    SPAWN_NO_INTERPRETER = "FD1705", HandlerMisconfig, Critical,
        "the #! interpreter does not exist or may not be run",
    explanation: "The interpreter the '#!' line names is not there, is not executable, \
or, for '#!/usr/bin/env NAME', NAME is not on the short PATH a web server gives the \
applications it starts (/usr/local/bin:/usr/bin:/bin), even if it is on yours. \
Example: '#!/usr/bin/env python3' with python3 only in a virtualenv or under /opt.",
    fix: "Name the interpreter by its full path in the '#!' line (the virtualenv's \
bin/python), or install it where the web server's PATH finds it.";

    SPAWN_WORLD_WRITABLE = "FD1706", SecurityExposure, Warning,
        "the application file is writable by every local user",
    explanation: "Anyone on the host may change what the web server runs, as the web \
server's user; suEXEC and FcgidWrapper refuse such files. Example: a script with mode \
0777.",
    fix: "chmod o-w the file, and keep it owned by the user it runs as (or by root).";

    SPAWN_EXITED = "FD1707", AppCrashed, Critical,
        "the application exited before it answered",
    explanation: "The application started and ended before it answered the request: a \
syntax error, a missing module, an exception at import, or an exit. Whatever it wrote \
to stderr says which (its last line first: a Python traceback's final exception is \
the diagnosis). Behind a web server this shows only as 'End of script output before \
headers' or 'incomplete headers'. Example: a flup app whose import of a missing module \
raises ModuleNotFoundError.",
    fix: "Fix what its stderr names, and run the application by hand the same way until \
it stays up: fcgi-doctor spawn APP.";

    SPAWN_SILENT = "FD1708", Timeout, Critical,
        "the application runs but never answered",
    explanation: "The application stayed alive but did not answer a request on the \
listening socket it was given as file descriptor 0 (FCGI_LISTENSOCK_FILENO), before \
the deadline: it listens somewhere else (its own bind address), waits for something, or \
is a plain CGI program reading its standard input. Example: a flup app started with \
bindAddress=('127.0.0.1', 9000) under mod_fcgid, which passes the socket as fd 0.",
    fix: "Let the application take its socket from fd 0 (flup: WSGIServer(app) without \
bindAddress; libfcgi: FCGI_Accept) when a process manager starts it; or start it \
yourself and probe its own address (spawn --external ADDRESS).";

    SPAWN_PLAIN_CGI = "FD1709", HandlerMisconfig, Critical,
        "a plain CGI program, not a FastCGI application",
    explanation: "The program wrote HTTP headers to its standard output and exited, as a \
CGI program does once per request; a FastCGI application instead loops, accepting \
requests on the socket of fd 0 and answering through FastCGI records. Run under \
mod_fcgid or mod_fastcgi it ends after every start. Example: a shell or Python CGI script \
with a .fcgi name, handled by fcgid-script.",
    fix: "Serve it as CGI (mod_cgi, 'SetHandler cgi-script', or fcgiwrap behind nginx), \
or rewrite it with a FastCGI library (flup, FCGI.pm, libfcgi).";

    SPAWN_SUEXEC = "FD1710", PermissionDenied, Critical,
        "suEXEC would refuse to run the application",
    explanation: "With suEXEC (SuexecUserGroup, or mod_fcgid behind it) Apache runs an \
application only when the script and its directory belong to the target user and group, \
neither is writable by group or others, the script is not setuid or setgid, the user's \
uid is not below the compiled minimum and the script is under suEXEC's document root. \
Otherwise suexec.log says why ('target uid/gid mismatch with directory or program', \
'file is writable by others', 'command not in docroot') and the error log says only \
'Premature end of script headers' or 'End of script output before headers'. Example: a \
script owned by root in a vhost with SuexecUserGroup alice alice.",
    fix: "chown the script and its directory to the vhost's SuexecUserGroup user and group, \
chmod 755 both (no group or other write, no setuid), and keep them under suEXEC's \
document root ('suexec -V' prints AP_DOC_ROOT and AP_UID_MIN).";

    SPAWN_NEVER_LISTENED = "FD1711", Timeout, Critical,
        "the application never listened on its own address",
    explanation: "Started with --external ADDRESS, the application stayed alive but nothing \
accepted connections at ADDRESS before the deadline: it binds another address or port, \
listens on the socket of fd 0 instead (as under a process manager), or is still starting. \
Example: a flup app whose bindAddress is ('127.0.0.1', 9001) checked at 127.0.0.1:9000.",
    fix: "Give --external the address the application binds (its bindAddress, -b or \
listen setting), or give it more time with --timeout; 'ss -ltnxp' shows where it listens.";

    SPAWN_ADDRESS_TAKEN = "FD1712", StartupConfigError, Critical,
        "another process already listens on the application's address",
    explanation: "Before the application was started, something already accepted \
connections at the --external ADDRESS. The application's own bind would fail with \
'Address already in use' and a probe would reach the other process. Example: an old \
instance of the app, or php-fpm on 127.0.0.1:9000, still running.",
    fix: "Stop the process that listens there ('ss -ltnxp' names it), or start the \
application on a free address.";

    // ---- FD18xx config: what the web servers are told against what exists ------------
    CONFIG_NO_BACKEND = "FD1801", SocketMissingOrRefused, Critical,
        "a web server is configured to reach a FastCGI backend that nothing provides",
    explanation: "A fastcgi_pass, SetHandler proxy:, ProxyPass(Match) fcgi:// or \
FastCgiExternalServer names an address where nothing listens and that no php-fpm pool on \
the host is configured to listen on: every request to it fails (nginx 502 'connect() \
... failed (2: No such file or directory)', Apache 503 'AH02454' or 'AH01079'). \
Usually a typo or an old PHP version's socket in the vhost. Example: a vhost still \
pointing at /run/php/php7.4-fpm.sock after an upgrade to PHP 8.2.",
    fix: "Point the web server at the address a pool listens on (the finding names the \
closest), or add a pool that listens there; then reload the web server.";

    CONFIG_STALE_SOCKET = "FD1802", SocketMissingOrRefused, Critical,
        "a web server's backend socket file exists but nothing listens on it",
    explanation: "The socket file a web server is configured to reach is there, but no \
process accepts connections on it: it was left behind by a php-fpm or application that \
was killed (SIGKILL, OOM killer, a crash) or stopped without removing it. Connections \
are refused (ECONNREFUSED, 111) and every request fails with 502 or 503. Example: \
/run/php/php8.2-fpm.sock after 'kill -9' of the php-fpm master.",
    fix: "Start the backend again (it replaces the file): systemctl restart php8.2-fpm, or \
the application's service; find why it died in its log and 'journalctl -u UNIT'.";

    CONFIG_POOL_DOWN = "FD1803", SocketMissingOrRefused, Critical,
        "a configured php-fpm pool is not running",
    explanation: "A pool is configured to listen on an address (the one a web server \
reaches, when one does), but nothing listens there: that php-fpm is stopped, failed to start (a configuration error, \
the address already in use), or runs another configuration. Example: php8.2-fpm.service \
failed after an edit of www.conf.",
    fix: "Check and start it: php-fpm8.2 -t, then systemctl start php8.2-fpm; its log says \
why it stopped.";

    CONFIG_WEB_USER_DENIED = "FD1804", PermissionDenied, Critical,
        "the web server's user may not connect to the pool's socket",
    explanation: "By the socket's owner and mode (or, before it exists, by the pool's \
listen.owner, listen.group and listen.mode), and the search permission of every \
directory above it, the user the web server runs as may not connect: every request \
fails with 'Permission denied' (13). Example: listen.mode = 0600 with listen.owner = \
root.",
    fix: "In the pool: listen.owner and listen.group = the web server's user (www-data, \
nginx, apache), listen.mode = 0660, or listen.acl_users; reload php-fpm.";

    CONFIG_EXECCGI_OFF = "FD1805", HandlerMisconfig, Critical,
        "a FastCGI handler is set where Options ExecCGI is off",
    explanation: "mod_fcgid and mod_fastcgi run a script through fcgid-script or \
fastcgi-script only in a directory with 'Options +ExecCGI'. Without it mod_fcgid answers \
403 Forbidden and logs 'Options ExecCGI is off in this directory' (or nothing useful), \
and mod_fastcgi the same. Example: AddHandler fcgid-script .fcgi in a vhost whose \
<Directory> has only 'Options Indexes FollowSymLinks'.",
    fix: "Add 'Options +ExecCGI' to the <Directory> that holds the scripts, and reload \
Apache.";

    CONFIG_TIMEOUT_ORDER = "FD1806", Timeout, Warning,
        "the web server gives up before the backend's own limit",
    explanation: "The web server's timeout for this backend (nginx fastcgi_read_timeout, \
Apache ProxyTimeout or Timeout, FcgidIOTimeout) is shorter than the pool's \
request_terminate_timeout or PHP's max_execution_time: a slow request is cut by the web \
server with 504 (nginx 'upstream timed out', Apache AH01075) while PHP goes on \
working, and the real cause never reaches the log. Example: fastcgi_read_timeout 30s \
against request_terminate_timeout = 120s.",
    fix: "Make the web server's timeout the longest of the chain: set it above the pool's \
request_terminate_timeout and max_execution_time, or lower those.";

    CONFIG_FPM_EXPOSED = "FD1807", SecurityExposure, Critical,
        "a php-fpm pool listens on a public address without listen.allowed_clients",
    explanation: "A pool listening on 0.0.0.0, [::] or a non-loopback address accepts \
FastCGI from any host that can reach the port, and FastCGI lets the client name the \
script and PHP settings: anyone can run any PHP file on the host as the pool's user \
(remote code execution). listen.allowed_clients limits who may connect. Example: \
'listen = 9000' in a Docker image, published on the host.",
    fix: "Listen on 127.0.0.1:9000 or a unix socket, or set listen.allowed_clients to the \
web servers' addresses, and firewall the port.";

    CONFIG_STATUS_OPEN = "FD1808", SecurityExposure, Warning,
        "php-fpm's status or ping page is served to anyone",
    explanation: "A web-server location passes the pool's pm.status_path or ping.path to \
php-fpm without allow/deny rules: anyone can read the pool's workers, the URIs and \
client addresses they serve (with ?full), and its load. Example: 'location ~ \
^/(status|ping)$' with fastcgi_pass and no 'allow 127.0.0.1; deny all;'.",
    fix: "Add 'allow 127.0.0.1; deny all;' (nginx) or 'Require local' (Apache) to that \
location, or serve the status page on pm.status_listen only.";

    CONFIG_MEMORY = "FD1809", CapacityExhaustion, Warning,
        "the pools' workers could use more memory than the host has",
    explanation: "The sum over the pools of pm.max_children times the workers' average \
resident memory is above the host's RAM: under load php-fpm starts that many workers \
and the host swaps or the OOM killer ends them (502s, 'exited on signal 9'). Example: \
pm.max_children = 50 with 120 MiB workers on a 4 GiB host.",
    fix: "Lower pm.max_children to about (RAM for PHP) / (average worker RSS), or add \
memory; 'ps -o rss -C php-fpm8.2' shows the workers' size.";

    CONFIG_POOL_UNUSED = "FD1810", HandlerMisconfig, Warning,
        "a php-fpm pool that no web server on the host reaches",
    explanation: "A pool listens (or is configured to listen) on an address no web-server \
configuration on this host names: its web server points elsewhere (a typo, an older \
socket name), or the pool is left over. When a web server on another host reaches it \
over TCP, this is expected. Example: pool 'app' on /run/php/app.sock while the vhost \
says /run/php/php8.2-app.sock.",
    fix: "Point the vhost at the pool's listen address, or remove the pool.";

    CONFIG_NO_SCRIPT_FILENAME = "FD1811", ScriptNotFound, Warning,
        "an nginx location passes to FastCGI without SCRIPT_FILENAME",
    explanation: "php-fpm runs the file SCRIPT_FILENAME names; a location with fastcgi_pass \
and no 'fastcgi_param SCRIPT_FILENAME' (directly, inherited, or through 'include \
fastcgi.conf' or snippets/fastcgi-php.conf) gets 'Primary script unknown' and a blank \
page or 404. nginx inherits fastcgi_param only when the location sets none of its own. \
Example: 'include fastcgi_params;' (which has no SCRIPT_FILENAME on Debian) alone.",
    fix: "Add 'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;' to the \
location, or include fastcgi.conf (or snippets/fastcgi-php.conf) instead of \
fastcgi_params.";

    // ---- FD20xx logs: the operating-system error decides -----------------------------
    LOG_CONNECT_PERMISSION = "FD2001", PermissionDenied, Critical,
        "web server may not connect to the backend socket (EACCES)",
    explanation: "The web server's connect() to the FastCGI backend failed with \
errno 13, Permission denied: its worker user lacks write permission on the unix \
socket or search permission on a directory above it, or SELinux/AppArmor denies the \
connection. Every request to the backend fails with 502 (nginx) or 503 (Apache). \
Example: nginx 'connect() to unix:/run/php/php8.2-fpm.sock failed (13: Permission \
denied) while connecting to upstream'.",
    fix: "Give the web server user access: php-fpm pool 'listen.owner = www-data', \
'listen.group = www-data', 'listen.mode = 0660' (or listen.acl_users), reload php-fpm; \
check every directory with 'namei -l SOCKET'; 'fcgi-doctor probe SOCKET --as-user \
www-data' names the component that denies. SELinux: 'ausearch -m avc -ts recent', \
'setsebool -P httpd_can_network_connect 1' for TCP backends.";

    LOG_CONNECT_MISSING = "FD2002", SocketMissingOrRefused, Critical,
        "backend socket does not exist (ENOENT)",
    explanation: "The web server's connect() failed with errno 2, No such file or \
directory: there is no socket at the configured path. The backend is stopped, listens \
elsewhere (a PHP upgrade renamed php7.4-fpm.sock to php8.2-fpm.sock), or its runtime \
directory vanished. Example: '(2)No such file or directory: AH02454: FCGI: attempt to \
connect to Unix domain socket /run/php/php-fpm.sock (*) failed'.",
    fix: "Start the backend (systemctl start php8.2-fpm), and make the web server's \
socket path equal the pool's 'listen =' ('php-fpm8.2 -tt 2>&1 | grep listen'); \
'fcgi-doctor probe SOCKET' tells a missing file from a missing directory.";

    LOG_CONNECT_REFUSED = "FD2003", SocketMissingOrRefused, Critical,
        "connection to the backend refused: nothing listens, or a stale socket",
    explanation: "The web server's connect() failed with errno 111, Connection \
refused: over TCP nothing listens on that address and port; on a unix socket the file \
exists but the process that created it is gone (a stale socket). Example: nginx \
'connect() failed (111: Connection refused) while connecting to upstream' or Apache \
'(111)Connection refused: AH00957: FCGI: attempt to connect to 127.0.0.1:9000 (*) \
failed'.",
    fix: "Start or restart the backend; check what listens with 'ss -ltnp' or 'ss -xlp'; \
compare 127.0.0.1 with ::1 when the web server connects to 'localhost'. For a stale \
unix socket remove the file and restart the backend, then find why it died (its log, \
dmesg).";

    LOG_CONNECT_BACKLOG = "FD2004", CapacityExhaustion, Critical,
        "backend listen queue full (EAGAIN): every worker is busy",
    explanation: "The web server's connect() to a unix socket failed with errno 11, \
Resource temporarily unavailable: the socket's accept queue is full because every \
worker is busy and listen.backlog has filled up. Example: nginx 'connect() to \
unix:/run/php/php8.2-fpm.sock failed (11: Resource temporarily unavailable) while \
connecting to upstream' next to php-fpm's 'server reached pm.max_children setting'.",
    fix: "Find what holds the workers (php-fpm slowlog, status page ?full), raise \
pm.max_children if memory allows, and listen.backlog with net.core.somaxconn for \
bursts.";

    LOG_CONNECT_TIMEOUT = "FD2005", Timeout, Critical,
        "connecting to the backend timed out",
    explanation: "The web server could not establish the connection within its \
connect timeout (errno 110, or APR's 70007): SYNs are dropped by a firewall, the host \
is down, or the backend's accept queue is full. Example: nginx 'upstream timed out \
(110: Connection timed out) while connecting to upstream'.",
    fix: "Check reachability (ss -ltn on the backend, firewall rules) and saturation \
(php-fpm status page); 'fcgi-doctor probe HOST:PORT' reports connect timeouts \
separately from slow answers.";

    LOG_CONNECT_UNREACHABLE = "FD2006", SocketMissingOrRefused, Critical,
        "backend host unreachable",
    explanation: "The web server's connect() failed with no route to the host or an \
unreachable network (errno 113, 101): the backend's container or host is gone or its \
address changed. Example: nginx 'connect() failed (113: No route to host) while \
connecting to upstream'.",
    fix: "Check the address the web server uses against the backend's current one \
(container IPs change on recreate: use service names), and routing with 'ip route get \
ADDRESS'.";

    LOG_BACKEND_RESET = "FD2011", AppCrashed, Critical,
        "backend reset the connection (ECONNRESET)",
    explanation: "While the web server sent the request or read the answer, the \
backend reset the connection (errno 104): the worker died (segfault, OOM killer, \
request_terminate_timeout) or php-fpm dropped the client (listen.allowed_clients). \
Example: nginx 'recv() failed (104: Connection reset by peer) while reading response \
header from upstream'.",
    fix: "Look at the backend's log at the same second: php-fpm 'exited on signal', \
'execution timed out ... terminating', 'Connection disallowed'; dmesg for the OOM \
killer and segfaults.";

    LOG_BACKEND_BROKEN_PIPE = "FD2012", AppCrashed, Critical,
        "backend stopped reading the request (EPIPE)",
    explanation: "Writing the request to the backend failed with errno 32, Broken \
pipe: the backend closed its side while the web server was still sending, usually \
because the worker died or rejected the request. Example: nginx 'writev() failed (32: \
Broken pipe) while sending request to upstream'.",
    fix: "Check the backend's log for crashes and rejections at the same second; large \
request bodies may hit a limit on the backend (post_max_size, client limits).";

    LOG_BACKEND_TIMEOUT = "FD2013", Timeout, Critical,
        "timed out waiting for the backend",
    explanation: "The backend accepted the request but did not answer within the web \
server's read timeout (errno 110, or APR 70007 'The timeout specified has expired'): \
the request is slow or the pool is saturated. Example: nginx 'upstream timed out (110: \
Connection timed out) while reading response header from upstream'.",
    fix: "Find the slow requests (php-fpm request_slowlog_timeout and slowlog); keep \
max_execution_time <= request_terminate_timeout <= the web server's timeout \
(fastcgi_read_timeout, ProxyTimeout, FcgidIOTimeout); add capacity if the pool is \
saturated.";

    LOG_EXIT_CLEAN = "FD2014", LifecycleInfo, Info,
        "a FastCGI process exited cleanly",
    explanation: "A FastCGI process ended with status 0, on the signal of a graceful \
stop or reload (SIGQUIT, php-fpm's NOTICE-level SIGTERM), or for a reason of its \
manager's own (mod_fcgid's idle timeout, lifetime expired, shutting down): the line \
names the process and how it ended. It is part of a normal life cycle, though the \
message it came in often reads like a failure. Example: php-fpm 'WARNING: [pool www] \
child 4301 exited with code 0 after 2529.93 seconds from start', mod_fcgid \
'process /srv/app.fcgi(123) exit(shutting down), terminated by calling exit(), return \
code: 0'.",
    fix: "No action needed. If processes restart often, compare pm.max_requests or \
FcgidMaxRequestsPerProcess and the idle timeouts with the load.";

    LOG_EXIT_FAILED = "FD2015", AppCrashed, Critical,
        "a FastCGI process exited with an error status or was killed",
    explanation: "A FastCGI process ended with a non-zero status or on a signal that \
is not a graceful stop (SIGSEGV, SIGKILL, SIGABRT), or its manager ended it after a \
failure (mod_fcgid's communication error, busy timeout): the line names the process and \
how it ended, and requests it was serving failed. Example: lighttpd '(mod_fastcgi.c.1114) \
terminated by signal: 9', php-fpm 'ALERT: oops, unknown child (103) exited with code 1'.",
    fix: "Find why it ended at that second: the process's own log and stderr for a \
non-zero status, 'dmesg' or 'journalctl -k' for SIGKILL (OOM killer) and segfaults, \
coredumpctl for a core; then restart it if its manager does not.";

    LOG_EXIT_CONFIG = "FD2016", StartupConfigError, Critical,
        "a FastCGI process manager exited on a configuration error (status 78)",
    explanation: "A FastCGI service ended with exit status 78, EX_CONFIG: php-fpm \
exits with it when its configuration test fails (a syntax error, an unknown setting, \
a pool without listen, a user that does not exist), and the service manager reports \
it. The service is not running. Example: systemd 'php8.2-fpm.service: Main process \
exited, code=exited, status=78/CONFIG', docker compose 'php exited with code 78'.",
    fix: "Run the configuration test, which names the file and line: 'php-fpm8.2 -t' \
(in a container: 'docker compose run php php-fpm -t'); fix it and start the service.";

    // ---- FD205x logs: relayed application stderr, by content ---------------------------
    STDERR_PRIMARY_SCRIPT_UNKNOWN = "FD2051", ScriptNotFound, Critical,
        "php-fpm: Primary script unknown (SCRIPT_FILENAME does not exist)",
    explanation: "php-fpm could not find the file named by SCRIPT_FILENAME and answered \
404 'File not found.'; the web server relays the message from its stderr. The web \
server sends a wrong path: a wrong root, a missing '$fastcgi_script_name', or a path \
that exists only in the web server's container. Example: nginx 'FastCGI sent in \
stderr: \"Primary script unknown\" while reading response header from upstream'.",
    fix: "nginx: 'fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;' \
with the right root (and 'try_files $uri =404;'); Apache: SetHandler \
\"proxy:unix:...|fcgi://localhost\" in <FilesMatch \\.php$>; containers: the same path \
must exist inside the php-fpm container.";

    STDERR_UNABLE_TO_OPEN = "FD2052", ScriptNotFound, Critical,
        "php-fpm: unable to open the primary script",
    explanation: "php-fpm found a SCRIPT_FILENAME but could not open it: 'No such file \
or directory' (a path mismatch between containers or chroots), 'Permission denied' (the \
pool user cannot read the file or traverse a directory, answered with 403) or \
'Operation not permitted' (open_basedir). Example: 'PHP message: PHP Warning: Unknown: \
Unable to open primary script: /var/www/index.php (Permission denied)'.",
    fix: "Check the path exists where php-fpm runs and that the pool user can read it: \
'sudo -u www-data namei -l /var/www/index.php'; fix open_basedir or chroot in the \
pool.";

    STDERR_LIMIT_EXTENSIONS = "FD2053", HandlerMisconfig, Critical,
        "php-fpm refused a non-PHP file: security.limit_extensions",
    explanation: "The web server sent php-fpm a file that does not end in an allowed \
extension (default .php .phar), and php-fpm answered 403 'Access denied.'. Non-PHP \
files are routed to php-fpm, or SCRIPT_FILENAME points at a directory or has path info \
glued on. Example: 'Access to the script '/var/www/html' has been denied (see \
security.limit_extensions)'.",
    fix: "Send only PHP files to php-fpm (nginx 'location ~ \\.php$' with \
'fastcgi_split_path_info ^(.+\\.php)(/.+)$;'); extend security.limit_extensions only \
for extensions you really execute.";

    STDERR_CONNECTION_DISALLOWED = "FD2054", PermissionDenied, Critical,
        "php-fpm dropped the client: listen.allowed_clients",
    explanation: "php-fpm accepted a TCP connection from an address that is not in \
listen.allowed_clients and closed it at once; the web server sees a reset or an empty \
answer. Example: 'WARNING: [pool www] child 12 said into stderr: \"ERROR: Connection \
disallowed: IP address '172.18.0.5' has been dropped.\"'.",
    fix: "Add the web server's address to listen.allowed_clients (comma separated), or \
remove the directive and firewall the port; use a unix socket on the same host.";

    STDERR_MEMORY_EXHAUSTED = "FD2055", AppStderr, Critical,
        "PHP memory_limit exhausted",
    explanation: "A PHP script used more memory than memory_limit allows and died with \
a fatal error; the request fails with 500. Example: 'PHP Fatal error:  Allowed memory \
size of 134217728 bytes exhausted (tried to allocate 20480 bytes)'.",
    fix: "Fix the script's memory use (large arrays, unbounded queries), or raise \
memory_limit for that pool ('php_admin_value[memory_limit] = 256M') within what RAM \
allows for pm.max_children workers.";

    STDERR_MAX_EXECUTION_TIME = "FD2056", Timeout, Critical,
        "PHP max_execution_time exceeded",
    explanation: "A PHP script ran longer than max_execution_time and was stopped with \
a fatal error. Example: 'PHP Fatal error:  Maximum execution time of 30 seconds \
exceeded in /var/www/app/slow.php on line 12'.",
    fix: "Find what is slow (request_slowlog_timeout, slowlog); raise max_execution_time \
only together with request_terminate_timeout and the web server's read timeout.";

    STDERR_PHP_FATAL = "FD2057", AppStderr, Critical,
        "PHP fatal or parse error",
    explanation: "The application died on a PHP fatal error, parse error or uncaught \
exception; the request ends with 500 or an empty answer. Example: 'FastCGI sent in \
stderr: \"PHP message: PHP Fatal error:  Uncaught Error: Call to undefined function \
foo() in /var/www/index.php:3\"'.",
    fix: "Fix the error the message names (file and line are in it); after deploys, \
check that every file and extension the code needs is present.";

    STDERR_PHP_WARNING = "FD2058", AppStderr, Info,
        "PHP warning, notice or deprecation",
    explanation: "The application logged a PHP warning, notice or deprecation through \
FastCGI. nginx logs these at [error] level, but they are not outages. Example: \
'FastCGI sent in stderr: \"PHP message: PHP Warning:  Undefined variable $x in \
/var/www/index.php on line 3\"'.",
    fix: "Fix the code when convenient; in production log PHP errors to a file \
(log_errors, error_log) and lower error_reporting noise.";

    STDERR_PYTHON_TRACEBACK = "FD2059", AppStderr, Critical,
        "Python exception in a FastCGI application",
    explanation: "A Python FastCGI application (flup, a .fcgi script) raised an \
exception; mod_fcgid writes the traceback to the Apache error log without any prefix, \
other servers relay it as stderr. Example: 'Traceback (most recent call last):' \
followed by '  File \"/srv/app.fcgi\", line 12, in app'.",
    fix: "Fix the exception the last traceback line names; run the app by hand as its \
user to reproduce.";

    STDERR_PHP_STARTUP = "FD2060", StartupConfigError, Warning,
        "PHP could not load an extension at startup",
    explanation: "PHP started without an extension the configuration asks for: the .so \
is missing or built for another PHP version. Code that needs it fails later. Example: \
'PHP Warning:  PHP Startup: Unable to load dynamic library 'redis.so''.",
    fix: "Install the extension for this PHP version (apt-get install php8.2-redis) or \
remove the extension= line; check with 'php-fpm8.2 -m'.";

    STDERR_OPEN_BASEDIR = "FD2061", ScriptNotFound, Critical,
        "PHP open_basedir restriction",
    explanation: "PHP refused to open a file outside the directories open_basedir \
allows. Example: 'PHP Warning:  Unknown: open_basedir restriction in effect. \
File(/srv/www/index.php) is not within the allowed path(s): (/var/www)'.",
    fix: "Add the directory to php_admin_value[open_basedir] in the pool, or serve the \
site from inside the allowed path.";

    STDERR_FCGIWRAP_SCRIPT_NAME = "FD2062", ScriptNotFound, Critical,
        "fcgiwrap cannot find the script",
    explanation: "fcgiwrap could not work out which CGI script to run from \
SCRIPT_FILENAME, DOCUMENT_ROOT and SCRIPT_NAME, or the script is not executable. \
Example: 'FastCGI sent in stderr: \"Cannot get script name, are DOCUMENT_ROOT and \
SCRIPT_NAME (or SCRIPT_FILENAME) set and is the script executable?\"'.",
    fix: "Pass 'fastcgi_param SCRIPT_FILENAME /path/to/script;' (the first one set \
wins), and make the script executable by fcgiwrap's user (chmod +x).";

    STDERR_FLUP_MISSING_PARAM = "FD2063", HandlerMisconfig, Critical,
        "flup: missing FastCGI parameter",
    explanation: "A flup WSGI server got a request without a parameter it needs, or was \
started outside a FastCGI server. Example: 'WSGIServer: missing FastCGI param \
REQUEST_METHOD required by WSGI!'.",
    fix: "Pass the standard parameters (include fastcgi_params in nginx), and start the \
app through its FastCGI server, not from a shell.";

    STDERR_OTHER = "FD2064", AppStderr, Warning,
        "application wrote to stderr",
    explanation: "The application wrote something to stderr that no content rule \
recognises; the text is in the entry. It may be harmless or the cause of a failure \
logged next to it. Example: 'FastCGI sent in stderr: \"lab: print to sys.stderr \
inside request\"'.",
    fix: "Read the text; fix the application, or send its debugging output to its own \
log file.";

    STDERR_POST_TOO_LARGE = "FD2065", RequestLimit, Warning,
        "PHP: request body larger than post_max_size",
    explanation: "PHP refused the body of a POST request because its Content-Length \
is above post_max_size: $_POST and $_FILES stay empty, so uploads and forms fail \
without an error the user sees. Example: 'PHP Warning:  POST Content-Length of \
10468213 bytes exceeds the limit of 8388608 bytes in Unknown on line 0'.",
    fix: "Raise post_max_size (and upload_max_filesize, below it) in the pool \
('php_admin_value[post_max_size] = 64M') or php.ini, and the web server's limit with it \
(client_max_body_size, LimitRequestBody, FcgidMaxRequestLen); reload php-fpm.";

    STDERR_SHM_ALLOCATION = "FD2066", StartupConfigError, Critical,
        "PHP could not allocate shared memory (opcache, APCu)",
    explanation: "A shared-memory segment that PHP allocates at start-up (opcache's, \
APCu's) could not be mapped: the size asked for is above what the host or container \
allows (memory limit, /dev/shm size, kernel.shmmax). The extension stays off, or \
php-fpm does not start. Example: 'Fatal Error Unable to allocate shared memory segment \
of 67108864 bytes: mmap: Cannot allocate memory (12)'.",
    fix: "Lower opcache.memory_consumption (or apc.shm_size), or give the host or \
container more memory (docker --shm-size, the memory limit); then restart php-fpm.";

    STDERR_MODULE_MISSING = "FD2067", StartupConfigError, Critical,
        "the application cannot start: a module it imports is missing",
    explanation: "The FastCGI application died at start-up because a library it \
loads is not installed for the interpreter that runs it (another Python, a \
virtualenv that is not active, a Perl @INC without the module). mod_fcgid and \
spawn-fcgi write its stderr into the error log; the web server's 'End of script \
output before headers' or 'Premature end of script headers' follows. Example: a \
traceback ending 'ModuleNotFoundError: No module named 'flup'', or Perl's 'Can't \
locate CGI/Fast.pm in @INC'.",
    fix: "Install the module for the interpreter in the script's #! line (or the \
virtualenv: point #! at its python), as the user the server runs it as: 'sudo -u \
www-data /srv/app.fcgi' shows the same error at the console.";

    STDERR_SYNTAX_ERROR = "FD2068", StartupConfigError, Critical,
        "the application cannot start: a syntax error in its code",
    explanation: "The FastCGI application died at start-up on a syntax error: \
Python's SyntaxError or IndentationError (often Python 2 code run by Python 3), \
Perl's 'syntax error at ... line N'. Nothing it serves works; the web server's 'End \
of script output before headers' follows. Example: a traceback ending 'SyntaxError: \
invalid syntax'.",
    fix: "Fix the line the message names; check that the interpreter in the #! line \
is the one the code is written for ('sudo -u www-data /srv/app.fcgi' at the \
console shows the same error).";

    STDERR_EXEC_FAILED = "FD2069", HandlerMisconfig, Critical,
        "the script cannot be executed: a bad interpreter line or format",
    explanation: "The server could not execute the FastCGI script at all: its #! line \
names an interpreter that does not exist, ends in a carriage return (the file has \
Windows line ends), or the file is not a script or binary for this machine. \
Example: '/usr/bin/python^M: bad interpreter: No such file or directory', 'exec format \
error'.",
    fix: "Fix the #! line (the interpreter's full path, 'head -1 SCRIPT | od -c' shows \
a stray \\r; 'dos2unix SCRIPT' removes them) and make the file executable; run it \
by hand as the server's user to check.";

    // ---- FD30xx socket: ownership, permissions, listeners ------------------------
    SOCKET_TAKEN_OVER = "FD3001", SocketMissingOrRefused, Warning,
        "two processes listen on sockets with the same path",
    explanation: "The kernel lists more than one listening socket bound to this path. \
Only the newest owns the file; the older one listens on an unlinked inode that nobody \
can reach any more. flup (and any server that unlinks before bind) does this silently \
when a second instance starts on a live socket: requests go to the newcomer, and when \
it stops they are refused although the old process is still running. Example: two \
'python3 app.fcgi' processes, pids 4100 and 4230, both listening as /run/app.sock.",
    fix: "Stop the process that does not own the file (its pid is in the finding), then \
make sure only one instance is started (systemd unit, pid file, or spawn-fcgi, which \
refuses a live socket).";

    APP_RUNS_AS_ROOT = "FD3002", SecurityExposure, Warning,
        "FastCGI application runs as root",
    explanation: "A process that executes application code for requests runs as root. \
Any flaw in the application (an upload, an include, a template injection) then gives an \
attacker the whole machine. Process managers start as root to bind and switch users; \
their workers should not stay root. Example: a php-fpm pool with 'user = root' started \
with -R, or a flup app started by root without dropping privileges.",
    fix: "Run the application as an unprivileged user: php-fpm 'user = www-data' and \
'group = www-data' in the pool; spawn-fcgi -u USER -g GROUP; systemd 'User='.";

    SOCKET_WORLD_WRITABLE = "FD3003", SecurityExposure, Warning,
        "FastCGI socket is writable by every local user",
    explanation: "The socket is writable by 'other', so every local user and every \
compromised service can send it FastCGI requests, and with php-fpm run any PHP file \
(SCRIPT_FILENAME is chosen by the client) as the pool's user. 'chmod 777 the socket' is \
a common but dangerous fix for a permission error. Example: srwxrwxrwx root:root \
/run/php/php-fpm.sock (php-fpm listen.mode = 0666).",
    fix: "Give the socket to the web server's group instead: php-fpm 'listen.owner = \
www-data', 'listen.group = www-data', 'listen.mode = 0660' (or listen.acl_users = \
www-data); other backends: chgrp www-data SOCKET && chmod 660 SOCKET.";

    TCP_EXPOSED = "FD3004", SecurityExposure, Critical,
        "FastCGI backend listens on an address reachable from other hosts",
    explanation: "The backend listens on a wildcard or public address. FastCGI has no \
authentication: whoever can connect chooses SCRIPT_FILENAME and the other parameters. \
For php-fpm that means running any PHP file on the host, or with PHP_VALUE \
auto_prepend_file=php://input arbitrary code: remote code execution. Example: php-fpm \
'listen = 9000' (which means every address) or 'listen = 0.0.0.0:9000' without \
listen.allowed_clients.",
    fix: "Listen on loopback or a unix socket: php-fpm 'listen = 127.0.0.1:9000' or \
'listen = /run/php/php-fpm.sock'. If the web server is on another host, restrict \
'listen.allowed_clients = <web server address>' and firewall the port.";

    TCP_EXPOSED_RESTRICTED = "FD3005", SecurityExposure, Info,
        "backend listens on a public address but restricts its clients",
    explanation: "The backend listens on a wildcard or public address, and its \
configuration accepts only the listed clients (php-fpm listen.allowed_clients), so \
other hosts are dropped after connecting. Example: php-fpm 'listen = 0.0.0.0:9000' \
with 'listen.allowed_clients = 10.0.0.5'.",
    fix: "Nothing urgent. A firewall rule for the port, or listening on the one address \
the web server uses, also keeps scanners from connecting at all.";

    // ---- FD40xx ps: the process tree ---------------------------------------------
    NOTHING_RUNNING = "FD4001", SocketMissingOrRefused, Critical,
        "no FastCGI process manager or application is running",
    explanation: "No php-fpm, php-cgi, fcgiwrap, mod_fcgid/mod_fastcgi process manager \
or recognizable FastCGI application runs on this host (in this PID namespace). A web \
server that forwards to FastCGI then answers 502/503. mod_fcgid starts applications on \
the first request, so with it an idle server legitimately has none. Example: php-fpm \
stopped after a failed reload ('ERROR: FPM initialization failed').",
    fix: "Start the backend (systemctl start php8.2-fpm) and read why it stopped: \
journalctl -u php8.2-fpm, or its error_log.";

    ORPHANED_WORKERS = "FD4002", AppCrashed, Warning,
        "FastCGI workers whose manager is gone",
    explanation: "Workers of a process manager still run, re-parented to PID 1 or a \
subreaper, after their master died. They keep serving the socket, but nothing replaces \
them when they exit, configuration reloads do not reach them, and a new master refuses \
to start ('Another FPM instance seems to already listen'). A SIGKILLed php-fpm master \
or an fcgiwrap parent stopped with SIGTERM leaves them behind. Example: three \
'php-fpm: pool www' processes with PPID 1 and no 'php-fpm: master process'.",
    fix: "Stop the orphans by pid (kill PID...), check that the socket is free \
(fcgi-doctor socket PATH), then start the service again.";

    ZOMBIES = "FD4003", AppCrashed, Warning,
        "zombie FastCGI processes",
    explanation: "Processes exited but their parent has not collected their exit \
status. A few for a moment are normal; many, or old ones, mean the parent is stuck or \
does not reap (a custom manager, or children re-parented to a PID 1 that does not \
reap, as in containers without an init). Each zombie still takes a pid. Example: \
'[php-cgi] <defunct>' children of a wrapper script that never calls wait().",
    fix: "Look at the parent named in the finding: restart it if it is stuck. In \
containers run an init that reaps (docker run --init, tini).";

    POOL_AT_MAX_CHILDREN = "FD4004", CapacityExhaustion, Warning,
        "php-fpm pool has every worker busy at pm.max_children",
    explanation: "The pool runs as many workers as pm.max_children allows and each of \
them holds a client connection: the next request waits in the listen queue until one is \
free, and the web server times out (504) if that takes too long. php-fpm logs \
'server reached pm.max_children setting (N), consider raising it'. Example: pool www \
with pm.max_children = 5 and five workers each holding an nginx connection.",
    fix: "Raise pm.max_children if memory allows (about available RAM / the RSS of one \
worker), or find what keeps workers busy: request_slowlog_timeout = 5s and the slow log, \
or pm.status_path.";

    CRASH_LOOP = "FD4005", AppCrashed, Critical,
        "FastCGI processes keep dying and being restarted",
    explanation: "While being watched, processes of one application exited young and \
were started again: the application crashes at start or on every request, and its \
manager keeps restarting it. mod_fastcgi reports the same as 'has failed to remain \
running for 30+ seconds given 3 attempts, its restart interval has been backed off'; \
php-fpm as 'child N exited on signal 11 (SIGSEGV)'. Example: five 'python3 app.fcgi' \
processes under mod_fcgid's process manager, each gone within a second.",
    fix: "Read the application's stderr and the manager's log for the first failure \
(fcgi-doctor logs ERROR_LOG), run the application by hand as its user to see it fail, \
and fix that before restarting.";

    SINGLE_THREADED_APP = "FD4006", CapacityExhaustion, Warning,
        "single-threaded FastCGI app behind a concurrent web server",
    explanation: "Only one process with one thread listens on this socket, so it serves \
one request at a time, while the web server in front sends requests concurrently: the \
rest queue and time out as soon as one request is slow. Example: a flup app using \
flup.server.fcgi_single, 'php-cgi -b' without PHP_FCGI_CHILDREN.",
    fix: "Run a threaded or forking server (flup.server.fcgi or fcgi_fork), several \
processes on the socket (spawn-fcgi -F N, PHP_FCGI_CHILDREN=N), or php-fpm.";
}
