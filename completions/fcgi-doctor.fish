# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_fcgi_doctor_global_optspecs
    string join \n format= color= q/quiet h/help V/version
end

function __fish_fcgi_doctor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_fcgi_doctor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_fcgi_doctor_using_subcommand
    set -l cmd (__fish_fcgi_doctor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "probe" -d 'Speak FastCGI to a socket with a synthetic request and diagnose what fails'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "logs" -d 'Turn FastCGI lines of Apache, nginx and php-fpm error logs into problems, causes and fixes'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "socket" -d 'Check a socket\'s path, owner and modes against the web server user, and who listens on it'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "ps" -d 'Show the web server, FastCGI process managers and applications as a tree, and what is wrong'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "explain" -d 'Explain a diagnostic code (FD1004), a class (timeout), a pasted log line, or list every code'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "spawn" -d 'Start a FastCGI application as a process manager would (socket on fd 0), probe it, and say why it fails'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "config" -d 'Read Apache, nginx and php-fpm configuration and cross-check what they are set up to reach'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "doctor" -d 'The whole FastCGI setup of this host: config, sockets, probes, processes and logs, one verdict'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l connect-timeout -d 'Deadline for establishing the connection (500ms, 2s, 1m)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l timeout -d 'Deadline for the whole probe, connecting included' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l script-filename -d 'SCRIPT_FILENAME to request (default: the SCRIPT_NAME, which php-fpm answers with "Primary script unknown" without running any code)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l uri -d 'REQUEST_URI to request; SCRIPT_NAME and QUERY_STRING are taken from it' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l method -d 'REQUEST_METHOD' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l param -d 'Extra or overriding FastCGI parameter, repeatable (HTTP_HOST=example.org)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l body -d 'Request body: literal text, @FILE, or - for standard input' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l role -d 'The FastCGI role asked for in FCGI_BEGIN_REQUEST' -r -f -a "responder\t''
authorizer\t''
filter\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l data -d 'With --role filter, the file to filter, sent as FCGI_DATA: text, @FILE, or -' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l fpm-ping -d 'php-fpm ping: SCRIPT_NAME and SCRIPT_FILENAME set to PATH, expects "pong"' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l fpm-status -d 'php-fpm status page (pm.status_path, default /status), asked with ?json: pool, queue, workers, max children reached, slow requests' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l expect-status -d 'Acceptable CGI status: 200, or a range such as 200-399' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l expect-body -d 'Regular expression the response body must match' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l max-body -d 'Keep at most this much of the body (the rest is only counted): 1MiB, 64K, 4096' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l requests -d 'Load mode: send this many requests (each on a connection of its own)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l concurrency -d 'Load mode: this many requests at once (default 1; alone, 100 requests per connection)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l duration -d 'Load mode: send requests for this long (with --requests, whichever ends first)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l warning -d 'WARNING when the probe\'s total time in seconds is in this alert range (monitoring-plugin syntax: 0.5, 0.2:1, ~:1, @1:2)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l critical -d 'CRITICAL when the probe\'s total time in seconds is in this alert range' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l as-user -d 'Probe as this user, as the web server would connect (needs root). Without it, a root probe of a unix socket also connects as the detected web user, since root connects where the web server may not' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -s v -l verbose -d 'With --fpm-status, ask for every worker too (?json&full)'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -l no-get-values -d 'Skip the FCGI_GET_VALUES management request'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand probe" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -l since -d 'Only entries at or after this time: 2h, 30m, 3d, 2026-11-23, 2026-11-23T07:00' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -l until -d 'Only entries at or before this time (same forms as --since)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -l min-severity -d 'Leave out entries below this severity' -r -f -a "info\t''
warning\t''
critical\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -s f -l follow -d 'Keep reading as the files grow, across rotation (like tail -F), and print each problem as it happens; stops on SIGINT or SIGTERM'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -l timeline -d 'Draw entries per hour (or day) and class as a bar chart'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -s v -l verbose -d 'List the informational entries too'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand logs" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand socket" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand socket" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand socket" -l web-user -d 'Check access for this user instead of the detected web server user' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand socket" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand socket" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand socket" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -l watch -d 'Watch for this long (5s, 1m) and report processes that die and restart' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -l web-user -d 'Check socket access for this user instead of the detected web server user' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -s a -l all -d 'Show identical siblings one by one instead of collapsing them into `N*[...]`'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand ps" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand explain" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand explain" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand explain" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand explain" -l all -d 'List every code'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand explain" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand explain" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l user -d 'Run it as this user (root only; as root the default is the web user)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l env -d 'Add a variable to its environment, repeatable' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l external -d 'The application binds this address itself (host:port or a unix socket path) instead of taking a socket as fd 0: wait for it to listen there' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l connect-timeout -d 'Deadline for establishing the connection (500ms, 2s, 1m)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l timeout -d 'Deadline for the whole probe, connecting included' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l script-filename -d 'SCRIPT_FILENAME to request (default: the SCRIPT_NAME, which php-fpm answers with "Primary script unknown" without running any code)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l uri -d 'REQUEST_URI to request; SCRIPT_NAME and QUERY_STRING are taken from it' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l method -d 'REQUEST_METHOD' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l param -d 'Extra or overriding FastCGI parameter, repeatable (HTTP_HOST=example.org)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l body -d 'Request body: literal text, @FILE, or - for standard input' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l role -d 'The FastCGI role asked for in FCGI_BEGIN_REQUEST' -r -f -a "responder\t''
authorizer\t''
filter\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l data -d 'With --role filter, the file to filter, sent as FCGI_DATA: text, @FILE, or -' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l fpm-ping -d 'php-fpm ping: SCRIPT_NAME and SCRIPT_FILENAME set to PATH, expects "pong"' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l fpm-status -d 'php-fpm status page (pm.status_path, default /status), asked with ?json: pool, queue, workers, max children reached, slow requests' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l expect-status -d 'Acceptable CGI status: 200, or a range such as 200-399' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l expect-body -d 'Regular expression the response body must match' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l max-body -d 'Keep at most this much of the body (the rest is only counted): 1MiB, 64K, 4096' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l requests -d 'Load mode: send this many requests (each on a connection of its own)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l concurrency -d 'Load mode: this many requests at once (default 1; alone, 100 requests per connection)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l duration -d 'Load mode: send requests for this long (with --requests, whichever ends first)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l warning -d 'WARNING when the probe\'s total time in seconds is in this alert range (monitoring-plugin syntax: 0.5, 0.2:1, ~:1, @1:2)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l critical -d 'CRITICAL when the probe\'s total time in seconds is in this alert range' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -l suexec -d 'Check the script against suEXEC\'s rules too (owner and group those of --user, nothing writable by group or others, no setuid)'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -s v -l verbose -d 'With --fpm-status, ask for every worker too (?json&full)'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand spawn" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -l apache-config -d 'Read this Apache main file (apache2.conf, httpd.conf) instead of looking' -r -F
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -l nginx-config -d 'Read this nginx main file instead of looking' -r -F
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -l fpm-config -d 'Read this php-fpm main file (php-fpm.conf) instead of looking; repeatable' -r -F
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -l nginx-dump -d 'Read nginx\'s configuration from the output of `nginx -T` (a file, or - for standard input) instead of its files: for an nginx in a container' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand config" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l format -d 'Output format; jsonl prints one compact JSON object per line' -r -f -a "human\t''
json\t''
jsonl\t''
nagios\t''
prometheus\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l color -d 'When to colour human output (NO_COLOR and TERM=dumb turn `auto` off)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l apache-config -d 'Read this Apache main file (apache2.conf, httpd.conf) instead of looking' -r -F
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l nginx-config -d 'Read this nginx main file instead of looking' -r -F
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l fpm-config -d 'Read this php-fpm main file (php-fpm.conf) instead of looking; repeatable' -r -F
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l nginx-dump -d 'Read nginx\'s configuration from the output of `nginx -T` (a file, or - for standard input) instead of its files: for an nginx in a container' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l since -d 'Read the logs from this time on: 24h, 2h, 30m, 2026-11-23T07:00' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l timeout -d 'Deadline of each probe (they run at the same time)' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -l watch -d 'Also watch the processes this long (as `ps --watch`, while the probes run) for applications that die and are restarted' -r
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -s q -l quiet -d 'Print nothing when the status is OK, and only the findings otherwise'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "probe" -d 'Speak FastCGI to a socket with a synthetic request and diagnose what fails'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "logs" -d 'Turn FastCGI lines of Apache, nginx and php-fpm error logs into problems, causes and fixes'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "socket" -d 'Check a socket\'s path, owner and modes against the web server user, and who listens on it'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "ps" -d 'Show the web server, FastCGI process managers and applications as a tree, and what is wrong'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "explain" -d 'Explain a diagnostic code (FD1004), a class (timeout), a pasted log line, or list every code'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "spawn" -d 'Start a FastCGI application as a process manager would (socket on fd 0), probe it, and say why it fails'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "config" -d 'Read Apache, nginx and php-fpm configuration and cross-check what they are set up to reach'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "doctor" -d 'The whole FastCGI setup of this host: config, sockets, probes, processes and logs, one verdict'
complete -c fcgi-doctor -n "__fish_fcgi_doctor_using_subcommand help; and not __fish_seen_subcommand_from probe logs socket ps explain spawn config doctor help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
