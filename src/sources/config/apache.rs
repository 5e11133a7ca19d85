//! Apache httpd's configuration, parsed and never executed: the FastCGI
//! backends it reaches (mod_proxy_fcgi, mod_fastcgi), the scripts it starts
//! itself (mod_fcgid, mod_fastcgi) and whether ExecCGI lets them run, who it
//! runs as and where it logs. Read as httpd reads it (server/config.c): one
//! pass in file order, `Include` followed where it stands, `${VAR}` resolved
//! on the whole line before it is split into arguments.
//!
//! Approximations, because a parse cannot know what a start-up knows:
//! - `<IfModule>` and `<IfDefine>` count as true (modules may be built in,
//!   defines may come from `-D`); only a negation known false is skipped:
//!   `<IfModule !mod_x.c>` or `<IfModule !x_module>` after `LoadModule
//!   x_module .../mod_x.so`, `<IfDefine !X>` after `Define X`. `<If>`,
//!   `<ElseIf>` and `<Else>` are decided per request: all are read.
//!   `<Macro>` bodies are templates: none is.
//! - `Options` is merged for a handler's directory in core.c's order:
//!   server level, then the `<Directory>` sections containing it (fewest
//!   components first, the main server's before the vhost's), then the
//!   `<DirectoryMatch>`/`<Files>`/`<Location>` sections around the handler
//!   itself (a regex is not evaluated against other directories).
//! - `${VAR}` takes `Define`s and Debian's envvars, never this process's
//!   environment, which is not Apache's.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use regex::{Regex, RegexBuilder};
use serde::Serialize;

use super::{Origin, MAX_DEPTH, MAX_FILE, MAX_FILES};
use crate::sources::files::{read_regular_text, ConfigRoot};

/// Notes kept: a garbage file must not turn into a million-line report.
const MAX_NOTES: usize = 100;
/// Bytes read over all files: MAX_FILES files of MAX_FILE each is too much.
const MAX_TOTAL: u64 = 64 * 1024 * 1024;
/// Includes followed, counting cycles and files read again.
const MAX_STEPS: usize = 8 * MAX_FILES;
/// Deepest section nesting kept; deeper ones are skipped whole, which keeps
/// every look at the enclosing sections short.
const MAX_SECTIONS: usize = 64;
/// Entries read from one directory, and directories listed in one load
/// (a symlink loop under an included directory must end).
const MAX_ENTRIES: usize = 10_000;
const MAX_LISTINGS: usize = 4096;
/// Longest growth of one line by `${VAR}`.
const MAX_EXPANSION: usize = 64 * 1024;
/// Bytes `${VAR}` may add over a whole load, Defines and envvars together.
/// MAX_EXPANSION bounds one line, not the lines: each `Define` keeps its
/// copy, so 4 MB of short Defines naming a 64 KiB one held 18 GB. As much
/// as MAX_TOTAL, far above what real files use (a few KiB).
const MAX_EXPANDED: usize = 64 * 1024 * 1024;
/// Longest section, virtual host or ServerName kept, and longest path a
/// `<Directory>`, DocumentRoot or ServerRoot gives: each is copied into
/// every record made under it (4 MB of `<VirtualHost>` address times 2000
/// endpoints was 8 GB). A longer path names no file anyway (PATH_MAX).
const MAX_LABEL: usize = 1024;
const MAX_PATH: usize = 4096;
/// Handlers, endpoints, wrappers and Options lines kept: merging Options
/// for every handler is quadratic.
const MAX_RECORDS: usize = 2000;
/// proxy_util.c's scheme table: `fcgi` is port 8000 when a URL names none.
const FCGI_DEFAULT_PORT: u16 = 8000;
/// mod_fastcgi.h `FCGI_DEFAULT_IDLE_TIMEOUT`: its wait for an answer.
const FASTCGI_IDLE_TIMEOUT: u64 = 30;

/// Debian's and RHEL's main files, then Alpine/SUSE's, the official Docker
/// image's and FreeBSD's.
const MAIN_FILES: [&str; 6] = [
    "/etc/apache2/apache2.conf",
    "/etc/httpd/conf/httpd.conf",
    // cPanel's EasyApache 4.
    "/etc/apache2/conf/httpd.conf",
    "/etc/apache2/httpd.conf",
    "/usr/local/apache2/conf/httpd.conf",
    "/usr/local/etc/apache24/httpd.conf",
];

/// What one Apache configuration sets up for FastCGI.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ApacheConfig {
    pub main_file: PathBuf,
    /// `ServerRoot`, else what distributions build httpd with: the main
    /// file's directory (/etc/apache2), or its parent when that is `conf`.
    pub server_root: PathBuf,
    /// Every file read, host paths.
    pub files: Vec<PathBuf>,
    /// Unreadable files, include cycles, limits hit, unbalanced sections.
    pub notes: Vec<String>,
    /// `User`/`Group` after `${VAR}` expansion; None when unset or unresolved.
    pub user: Option<String>,
    pub group: Option<String>,
    /// `LoadModule` names in order (`proxy_fcgi_module`).
    pub modules: Vec<String>,
    /// The main server's `Timeout` and `ProxyTimeout` in seconds; None when
    /// unset (Apache's 60 applies).
    pub timeout: Option<u64>,
    pub proxy_timeout: Option<u64>,
    pub endpoints: Vec<Endpoint>,
    pub handlers: Vec<Handler>,
    pub fcgid: Fcgid,
    pub fastcgi: FastCgi,
    /// `ErrorLog` files (not syslog, not piped), relative ones under ServerRoot.
    pub error_logs: Vec<PathBuf>,
}

/// One FastCGI backend the server is configured to reach.
#[derive(Clone, Debug, Serialize)]
pub struct Endpoint {
    /// As `probe` takes it: `unix:/run/php/php8.2-fpm.sock`, `127.0.0.1:9000`.
    pub address: String,
    /// `SetHandler`, `AddHandler`, `ProxyPass`, `ProxyPassMatch`,
    /// `BalancerMember`, `RewriteRule`, `FastCgiExternalServer`.
    pub via: String,
    /// The `<VirtualHost>`: its addresses, then its ServerName if any.
    pub vhost: Option<String>,
    /// The innermost `<Directory>`, `<Files>`, `<Location>`, `<Proxy>`...
    /// as written.
    pub scope: Option<String>,
    /// Seconds: the worker's `timeout=` (mod_fastcgi: `-idle-timeout`, 30 by
    /// default), else ProxyTimeout (vhost, then main server), else Timeout
    /// (vhost, then main server); None: Apache's 60.
    pub timeout: Option<u64>,
    pub origin: Origin,
}

/// A `fastcgi-script` or `fcgid-script` handler, which needs ExecCGI.
#[derive(Clone, Debug, Serialize)]
pub struct Handler {
    pub handler: String,
    /// `SetHandler`, or `AddHandler .fcgi .php`.
    pub directive: String,
    pub vhost: Option<String>,
    pub scope: Option<String>,
    /// The enclosing `<Directory>`, else the vhost's DocumentRoot, else the
    /// main server's.
    pub directory: Option<PathBuf>,
    /// Whether the merged `Options` there include ExecCGI (Apache's
    /// default, FollowSymLinks, does not).
    pub exec_cgi: bool,
    pub origin: Origin,
}

/// mod_fcgid's main-server settings (its old directive names accepted).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Fcgid {
    pub io_timeout: Option<u64>,
    pub max_processes_per_class: Option<u64>,
    pub ipc_dir: Option<PathBuf>,
    pub wrappers: Vec<Wrapper>,
}

/// `FcgidWrapper "command [args]" [suffix] [virtual]`: what mod_fcgid starts.
#[derive(Clone, Debug, Serialize)]
pub struct Wrapper {
    pub command: PathBuf,
    pub suffix: Option<String>,
    pub vhost: Option<String>,
    pub origin: Origin,
}

/// The legacy mod_fastcgi's settings.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FastCgi {
    pub servers: Vec<FastCgiServer>,
    pub ipc_dir: Option<PathBuf>,
    pub wrapper: Option<String>,
    /// `FastCgiConfig` options as (flag, value); the value is empty for a switch.
    pub config: Vec<(String, String)>,
}

/// `FastCgiServer path [options]`: an application Apache starts.
#[derive(Clone, Debug, Serialize)]
pub struct FastCgiServer {
    pub path: PathBuf,
    pub options: Vec<(String, String)>,
    pub origin: Origin,
}

/// The main file at the usual places under `root`, first that exists.
pub fn find_main(root: &ConfigRoot) -> Option<PathBuf> {
    MAIN_FILES
        .iter()
        .map(PathBuf::from)
        .find(|p| root.file(p).is_file())
}

/// Reads `main` (a host path, read under `root`), Debian's envvars beside
/// it, and everything it includes. Never fails: what cannot be read is a note.
pub fn load(root: &ConfigRoot, main: &Path) -> ApacheConfig {
    let mut loader = Loader {
        root: root.clone(),
        ..Loader::default()
    };
    loader.config.main_file = main.to_path_buf();
    loader.config.server_root = default_server_root(main);
    let envvars = loader.read_envvars(main);
    loader.read_file(main);
    // Only worth naming when the configuration itself was read.
    if let Some(path) = envvars.filter(|_| !loader.config.files.is_empty()) {
        loader.config.files.insert(1, path);
    }
    loader.finish()
}

fn default_server_root(main: &Path) -> PathBuf {
    let dir = main.parent().unwrap_or(Path::new("/"));
    match dir.file_name() {
        Some(name) if name == "conf" => dir.parent().unwrap_or(dir).to_path_buf(),
        _ => dir.to_path_buf(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    VirtualHost,
    Directory,
    DirectoryMatch,
    /// `<Location>`, `<Files>`, `<Proxy>` and their Match forms.
    Scope,
    IfModule,
    IfDefine,
    Macro,
    Other,
}

impl Kind {
    fn of(name: &str) -> Kind {
        match name {
            "virtualhost" => Kind::VirtualHost,
            "directory" => Kind::Directory,
            "directorymatch" => Kind::DirectoryMatch,
            "location" | "locationmatch" | "files" | "filesmatch" | "proxy" | "proxymatch" => {
                Kind::Scope
            }
            "ifmodule" => Kind::IfModule,
            "ifdefine" => Kind::IfDefine,
            "macro" => Kind::Macro,
            _ => Kind::Other,
        }
    }

    fn is_scope(self) -> bool {
        matches!(self, Kind::Directory | Kind::DirectoryMatch | Kind::Scope)
    }
}

/// An open section.
struct Frame {
    /// Lower-cased, to match its close.
    name: String,
    kind: Kind,
    written: String,
    /// Its first argument, unquoted.
    arg: String,
    id: u32,
    /// Whether its content is read: every enclosing condition holds.
    active: bool,
    vhost: Option<usize>,
}

#[derive(Default)]
struct Vhost {
    address: String,
    server_name: Option<String>,
    document_root: Option<PathBuf>,
    timeout: Option<u64>,
    proxy_timeout: Option<u64>,
}

/// Where an `Options` line applies: everywhere in its server, in a
/// `<Directory>` (with its wildcards as a regex), or inside one section.
enum Reach {
    Everywhere,
    Under(PathBuf, Option<Regex>),
    Within(u32),
}

/// What `${VAR}` has added in one load; once MAX_EXPANDED is reached a
/// variable is left as written (envvars: left out) and that is said once.
#[derive(Default)]
struct Expanded {
    bytes: usize,
    refused: bool,
    noted: bool,
}

impl Expanded {
    /// Whether `len` more bytes may be added.
    fn take(&mut self, len: usize) -> bool {
        let fits = self.bytes.saturating_add(len) <= MAX_EXPANDED;
        match fits {
            true => self.bytes += len,
            false => self.refused = true,
        }
        fits
    }
}

/// Records finished at the end: ServerName, DocumentRoot and the timeouts
/// may be written after them.
struct Pending<T> {
    item: T,
    vhost: Option<usize>,
    frames: Vec<u32>,
}

#[derive(Default)]
struct Loader {
    root: ConfigRoot,
    config: ApacheConfig,
    defines: BTreeMap<String, Option<String>>,
    env: BTreeMap<String, String>,
    /// Module names and source names (`mod_proxy_fcgi.c`) loaded so far.
    loaded: BTreeSet<String>,
    chain: Vec<PathBuf>,
    /// Each Include pattern's files: the tree does not change while it is
    /// read, and a pattern met on every read of N files would list N names
    /// each time.
    globbed: HashMap<PathBuf, Rc<[PathBuf]>>,
    /// Includes followed (cycles and repeats too), files read, bytes read.
    steps: usize,
    reads: usize,
    bytes: u64,
    listings: usize,
    limit_noted: bool,
    /// Bytes `${VAR}` has added, against MAX_EXPANDED.
    expanded: Expanded,
    /// Whether a name or path was cut at MAX_LABEL or MAX_PATH (said once).
    cut_noted: bool,
    stack: Vec<Frame>,
    /// Where the current file's sections start; sections past MAX_SECTIONS.
    base: usize,
    overflow: usize,
    next_id: u32,
    vhosts: Vec<Vhost>,
    document_root: Option<PathBuf>,
    options: Vec<Pending<(Reach, Vec<String>)>>,
    handlers: Vec<Pending<Handler>>,
    endpoints: Vec<Pending<Endpoint>>,
    wrappers: Vec<Pending<Wrapper>>,
}

impl Loader {
    /// Keeps a note unless it was said already or MAX_NOTES are there.
    fn note(&mut self, note: String) {
        let notes = &mut self.config.notes;
        if notes.contains(&note) {
            return;
        }
        if notes.len() < MAX_NOTES {
            notes.push(note);
        } else if notes.len() == MAX_NOTES {
            notes.push("further notes left out".into());
        }
    }

    /// Says once, with where, that MAX_EXPANDED was reached. Kept even past
    /// MAX_NOTES: nothing else says why a variable stayed unexpanded.
    fn note_expansion(&mut self, at: &dyn std::fmt::Display) {
        if self.expanded.refused && !std::mem::replace(&mut self.expanded.noted, true) {
            self.config.notes.push(format!(
                "`${{VAR}}` expansion reached {MAX_EXPANDED} bytes at {at}: later variables are \
                 left unexpanded"
            ));
        }
    }

    /// `text` cut to `max` bytes (said once, with where).
    fn cut(&mut self, mut text: String, max: usize, at: &Origin) -> String {
        if text.len() > max {
            let mut end = max;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
            if !std::mem::replace(&mut self.cut_noted, true) {
                self.note(format!(
                    "{at}: a name over {MAX_LABEL} bytes or a path over {MAX_PATH} bytes is cut \
                     there (and wherever else one is)"
                ));
            }
        }
        text
    }

    /// Debian's apache2ctl sources `<dir of main>/envvars`, and Apache reads
    /// `${APACHE_RUN_USER}` from the environment. Only top-level assignments
    /// are taken: the shell's conditionals are not evaluated.
    fn read_envvars(&mut self, main: &Path) -> Option<PathBuf> {
        let path = main.parent()?.join("envvars");
        let text = read_regular_text(&self.root.file(&path), MAX_FILE).ok()?;
        self.bytes += text.len() as u64;
        let mut depth = 0usize;
        for (number, line) in text.lines().enumerate() {
            let line = line.trim();
            match line.split_whitespace().next().unwrap_or("") {
                "if" | "case" | "for" | "while" | "until" => depth += 1,
                "fi" | "esac" | "done" => depth = depth.saturating_sub(1),
                _ if depth > 0 => {}
                _ => {
                    let assignment = line.strip_prefix("export ").unwrap_or(line).trim();
                    if let Some((name, value)) = assignment.split_once('=') {
                        if is_name(name) {
                            let value = shell_value(value, &self.env, &mut self.expanded);
                            self.env.insert(name.to_string(), value);
                            let at = format!("{}:{}", path.display(), number + 1);
                            self.note_expansion(&at);
                        }
                    }
                }
            }
        }
        Some(path)
    }

    /// Reads one file in place, as httpd does for `Include`.
    fn read_file(&mut self, path: &Path) {
        // Counted before anything else, so that an Include met on every read
        // of many files costs at most MAX_STEPS steps.
        self.steps += 1;
        if self.limit_noted {
            return;
        }
        if self.steps > MAX_STEPS || self.reads >= MAX_FILES || self.bytes >= MAX_TOTAL {
            // Kept even past MAX_NOTES: nothing else says the configuration
            // was read only in part.
            self.limit_noted = true;
            self.config.notes.push(format!(
                "over {MAX_STEPS} includes, {MAX_FILES} files or {MAX_TOTAL} bytes: {} and later files not read",
                path.display()
            ));
            return;
        }
        let shown = path.display();
        if self.chain.iter().any(|p| p == path) {
            return self.note(format!("include cycle: {shown} is already being read"));
        }
        if self.chain.len() >= usize::from(MAX_DEPTH) {
            return self.note(format!(
                "includes nest deeper than {MAX_DEPTH}: {shown} not read"
            ));
        }
        self.reads += 1;
        let limit = MAX_FILE.min(MAX_TOTAL - self.bytes);
        let text = match read_regular_text(&self.root.file(path), limit) {
            Ok(text) => text,
            Err(e) => return self.note(format!("cannot read {shown}: {}", reason(&e))),
        };
        self.bytes += text.len() as u64;
        if text.len() as u64 >= limit {
            self.note(format!("{shown} is read only up to {limit} bytes"));
        }
        if !self.config.files.iter().any(|f| f == path) {
            self.config.files.push(path.to_path_buf());
        }
        self.chain.push(path.to_path_buf());
        let saved = (self.base, self.overflow);
        self.base = self.stack.len();
        for (number, line) in logical_lines(&text) {
            self.line(path, number, &line);
        }
        // A section must end in the file that opened it (config.c): say so,
        // and close it here so the rest of the configuration stays sane.
        if let Some(open) = self.stack.get(self.base).map(|f| f.written.clone()) {
            let more = self.stack.len() - self.base - 1;
            self.note(format!(
                "{shown} ends inside {open} (and {more} more sections)"
            ));
        }
        self.stack.truncate(self.base);
        (self.base, self.overflow) = saved;
        self.chain.pop();
    }

    fn line(&mut self, file: &Path, number: u32, raw: &str) {
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            return;
        }
        let origin = Origin {
            file: file.to_path_buf(),
            line: number,
        };
        let text = self.expand(trimmed);
        self.note_expansion(&origin);
        if let Some(close) = text.strip_prefix("</") {
            self.close(close, &origin);
        } else if let Some(open) = text.strip_prefix('<') {
            self.open(open, &origin);
        } else if self.active() {
            if let [name, args @ ..] = words(&text).as_slice() {
                if !args.is_empty() {
                    self.directive(&name.to_ascii_lowercase(), args, origin);
                }
            }
        }
    }

    /// `${NAME}` from Defines, then envvars; an unknown one stays as written,
    /// and so does one past MAX_EXPANSION or MAX_EXPANDED.
    fn expand(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                break;
            };
            let name = &after[..end];
            let value = match self.defines.get(name) {
                Some(value) => value.as_deref(),
                None => self.env.get(name).map(String::as_str),
            };
            match value {
                Some(v) if out.len() + v.len() <= MAX_EXPANSION && self.expanded.take(v.len()) => {
                    out.push_str(v)
                }
                _ => out.push_str(&rest[start..start + end + 3]),
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn active(&self) -> bool {
        self.overflow == 0 && self.stack.last().is_none_or(|f| f.active)
    }

    fn vhost(&self) -> Option<usize> {
        self.stack.last().and_then(|f| f.vhost)
    }

    fn open(&mut self, text: &str, origin: &Origin) {
        let text = text.trim_end();
        let text = text.strip_suffix('>').unwrap_or(text).trim();
        let (name, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        let rest = rest.trim();
        if self.overflow > 0 || self.stack.len() >= MAX_SECTIONS {
            if self.overflow == 0 {
                self.note(format!(
                    "sections nest deeper than {MAX_SECTIONS}: <{name}> skipped"
                ));
            }
            self.overflow += 1;
            return;
        }
        let args = words(rest);
        let lower = name.to_ascii_lowercase();
        let mut kind = Kind::of(&lower);
        let mut arg = args.first().cloned().unwrap_or_default();
        if arg == "~" && kind == Kind::Directory {
            kind = Kind::DirectoryMatch;
            arg = args.get(1).cloned().unwrap_or_default();
        }
        let arg = self.cut(arg, MAX_PATH, origin);
        let active = self.active() && kind != Kind::Macro && self.holds(kind, &arg);
        let mut vhost = self.vhost();
        if kind == Kind::VirtualHost && active {
            let address = self.cut(args.join(" "), MAX_LABEL, origin);
            self.vhosts.push(Vhost {
                address,
                ..Vhost::default()
            });
            vhost = Some(self.vhosts.len() - 1);
        }
        let written = match rest.is_empty() {
            true => format!("<{name}>"),
            false => format!("<{name} {rest}>"),
        };
        let written = self.cut(written, MAX_LABEL, origin);
        self.next_id += 1;
        let id = self.next_id;
        let frame = Frame {
            name: lower,
            kind,
            written,
            arg,
            id,
            active,
            vhost,
        };
        self.stack.push(frame);
    }

    /// Whether a conditional section's content is read (see the module doc).
    fn holds(&self, kind: Kind, arg: &str) -> bool {
        match (kind, arg.strip_prefix('!')) {
            (Kind::IfModule, Some(name)) => !self.loaded.contains(name),
            (Kind::IfDefine, Some(name)) => !self.defines.contains_key(name),
            _ => true,
        }
    }

    fn close(&mut self, text: &str, origin: &Origin) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let text = text.trim_end();
        let name = text.strip_suffix('>').unwrap_or(text).trim();
        let lower = name.to_ascii_lowercase();
        let at = self.stack.iter().rposition(|f| f.name == lower);
        let Some(at) = at.filter(|&at| at >= self.base) else {
            return self.note(format!("{origin}: </{name}> without a matching <{name}>"));
        };
        if let Some(inner) = self.stack.get(at + 1).map(|f| f.written.clone()) {
            self.note(format!("{origin}: </{name}> closes {inner} too"));
        }
        self.stack.truncate(at);
    }

    /// The vhost, innermost scope as written, enclosing `<Directory>` path
    /// and scope section ids of the directive being read.
    fn place(&self) -> (Option<usize>, Option<String>, Option<PathBuf>, Vec<u32>) {
        let scopes = || self.stack.iter().filter(|f| f.kind.is_scope());
        let directory = self.stack.iter().rev().find(|f| f.kind == Kind::Directory);
        (
            self.vhost(),
            scopes().next_back().map(|f| f.written.clone()),
            directory.map(|f| self.path(&f.arg)),
            scopes().map(|f| f.id).collect(),
        )
    }

    /// A path as httpd resolves it: relative to ServerRoot, `..` folded.
    fn path(&self, arg: &str) -> PathBuf {
        let mut out = PathBuf::from("/");
        for c in self.config.server_root.join(arg).components() {
            match c {
                Component::Normal(n) => out.push(n),
                Component::ParentDir => _ = out.pop(),
                _ => {}
            }
        }
        out
    }

    fn directive(&mut self, name: &str, args: &[String], origin: Origin) {
        let first = args[0].as_str();
        let vhost = self.vhost();
        let server = vhost.is_none();
        let in_vhost = vhost.and_then(|i| self.vhosts.get_mut(i));
        match name {
            "serverroot" if server => {
                let first = self.cut(first.to_string(), MAX_PATH, &origin);
                self.config.server_root = self.path(&first);
            }
            "define" => _ = self.defines.insert(first.to_string(), args.get(1).cloned()),
            "undefine" => _ = self.defines.remove(first),
            "include" => self.include(first, false, &origin),
            "includeoptional" => self.include(first, true, &origin),
            "loadmodule" => {
                self.config.modules.push(first.to_string());
                self.loaded.insert(first.to_string());
                let stem = args.get(1).and_then(|f| Path::new(f).file_stem()?.to_str());
                self.loaded.extend(stem.map(|stem| format!("{stem}.c")));
            }
            "user" | "group" if server => self.user_or_group(name == "user", first),
            "timeout" | "proxytimeout" => {
                let slot = match (in_vhost, name == "timeout") {
                    (Some(v), true) => &mut v.timeout,
                    (Some(v), false) => &mut v.proxy_timeout,
                    (None, true) => &mut self.config.timeout,
                    (None, false) => &mut self.config.proxy_timeout,
                };
                *slot = seconds(first);
            }
            "documentroot" => {
                let first = self.cut(first.to_string(), MAX_PATH, &origin);
                let root = Some(self.path(&first));
                match vhost.and_then(|i| self.vhosts.get_mut(i)) {
                    Some(v) => v.document_root = root,
                    None => self.document_root = root,
                }
            }
            "servername" if !server => {
                let name = self.cut(first.to_string(), MAX_LABEL, &origin);
                if let Some(v) = vhost.and_then(|i| self.vhosts.get_mut(i)) {
                    v.server_name = Some(name);
                }
            }
            "errorlog" if !first.starts_with(['|', '$']) && !starts_with_ci(first, "syslog") => {
                let path = self.path(first);
                self.config.error_logs.push(path);
            }
            "sethandler" | "addhandler" => self.handler(name == "sethandler", args, origin),
            "proxypass" => self.proxy_pass("ProxyPass", args, origin),
            "proxypassmatch" => self.proxy_pass("ProxyPassMatch", args, origin),
            "balancermember" => {
                // `BalancerMember [balancer://name] url [key=value...]`
                let skip = usize::from(starts_with_ci(first, "balancer://") && args.len() > 1);
                self.proxy_pass("BalancerMember", &args[skip..], origin);
            }
            "rewriterule" => self.rewrite_rule(args, origin),
            "options" if self.options.len() < MAX_RECORDS => self.options(args, vhost),
            "fcgidiotimeout" | "ipccommtimeout" if server => {
                self.config.fcgid.io_timeout = seconds(first)
            }
            "fcgidmaxprocessesperclass" | "defaultmaxclassprocesscount" if server => {
                self.config.fcgid.max_processes_per_class = first.parse().ok()
            }
            "fcgidipcdir" | "socketpath" => self.config.fcgid.ipc_dir = Some(self.path(first)),
            "fcgidwrapper" => self.fcgid_wrapper(args, origin),
            "fastcgiserver" => {
                let path = self.path(first);
                let options = fastcgi_options(&args[1..]);
                let server = FastCgiServer {
                    path,
                    options,
                    origin,
                };
                self.config.fastcgi.servers.push(server);
            }
            "fastcgiexternalserver" => self.fastcgi_external(&args[1..], origin),
            "fastcgiipcdir" => self.config.fastcgi.ipc_dir = Some(self.path(first)),
            "fastcgiwrapper" => self.config.fastcgi.wrapper = Some(first.to_string()),
            "fastcgiconfig" => self.config.fastcgi.config.extend(fastcgi_options(args)),
            _ => {}
        }
    }

    /// Records an `Options` line with where it applies; merged per handler
    /// at the end, when every section is known.
    fn options(&mut self, args: &[String], vhost: Option<usize>) {
        let reach = match self.stack.iter().rev().find(|f| f.kind.is_scope()) {
            None => Reach::Everywhere,
            Some(f) if f.kind == Kind::Directory => {
                let path = self.path(&f.arg);
                let wild = has_wildcard(&f.arg).then(|| glob(&path.to_string_lossy(), "(/|$)"));
                Reach::Under(path, wild.flatten())
            }
            Some(f) => Reach::Within(f.id),
        };
        let item = (reach, args.to_vec());
        let frames = Vec::new();
        self.options.push(Pending {
            item,
            vhost,
            frames,
        });
    }

    /// A name still holding `${...}` is no user: say so instead.
    fn user_or_group(&mut self, user: bool, value: &str) {
        let known = (!value.contains("${")).then(|| value.to_string());
        if known.is_none() {
            let what = if user { "User" } else { "Group" };
            self.note(format!("{what} {value} names an unknown variable"));
        }
        match user {
            true => self.config.user = known,
            false => self.config.group = known,
        }
    }

    /// `Include`/`IncludeOptional`: a missing file or a wildcard that matches
    /// nothing is an error for the first, nothing for the second (2.4.30+).
    fn include(&mut self, arg: &str, optional: bool, origin: &Origin) {
        let pattern = self.path(arg);
        let wildcard = has_wildcard(arg);
        if optional && !wildcard && !self.root.file(&pattern).exists() {
            return;
        }
        if self.limit_noted {
            return;
        }
        let files = match self.globbed.get(&pattern) {
            Some(files) => Rc::clone(files),
            None => {
                let files: Rc<[PathBuf]> = self.include_targets(&pattern).into();
                self.globbed.insert(pattern, Rc::clone(&files));
                files
            }
        };
        if files.is_empty() && wildcard && !optional {
            self.note(format!("{origin}: Include {arg} matched no file"));
        }
        for file in files.iter() {
            if self.limit_noted {
                break;
            }
            self.read_file(file);
        }
    }

    /// The files a pattern names, in the order httpd reads them: wildcards
    /// in any component (matching only directories before the last), each
    /// component's matches sorted, a directory read whole, recursively, sorted.
    fn include_targets(&mut self, pattern: &Path) -> Vec<PathBuf> {
        let mut bases = vec![PathBuf::from("/")];
        let parts: Vec<_> = pattern
            .iter()
            .skip(1)
            .map(|p| p.to_string_lossy())
            .collect();
        for (i, part) in parts.iter().enumerate() {
            if !has_wildcard(part) {
                bases.iter_mut().for_each(|b| b.push(&**part));
                continue;
            }
            // APR_FNM_PERIOD: a leading `.` is matched only by a `.`.
            let Some(re) = glob(part, "$") else {
                return Vec::new();
            };
            let dot = part.starts_with('.');
            let last = i + 1 == parts.len();
            let mut next = Vec::new();
            for base in &bases {
                for (name, is_dir) in self.list(base) {
                    let hidden = name.starts_with('.') && !dot;
                    if (last || is_dir) && !hidden && re.is_match(&name) && next.len() < MAX_FILES {
                        next.push(base.join(name));
                    }
                }
            }
            bases = next;
        }
        let mut out = Vec::new();
        for path in bases {
            match self.root.file(&path).is_dir() {
                true => self.files_under(&path, 0, &mut out),
                false => out.push(path),
            }
        }
        out.truncate(MAX_FILES);
        out
    }

    fn files_under(&mut self, dir: &Path, depth: u8, out: &mut Vec<PathBuf>) {
        for (name, is_dir) in self.list(dir) {
            match is_dir {
                _ if out.len() >= MAX_FILES || depth >= MAX_DEPTH => return,
                true => self.files_under(&dir.join(name), depth + 1, out),
                false => out.push(dir.join(name)),
            }
        }
    }

    /// A directory's entries, sorted as httpd sorts them (strcmp), each with
    /// whether it is a directory.
    fn list(&mut self, dir: &Path) -> Vec<(String, bool)> {
        self.listings += 1;
        let entries = match std::fs::read_dir(self.root.file(dir)) {
            Ok(entries) if self.listings <= MAX_LISTINGS => entries,
            _ => return Vec::new(),
        };
        let mut names: Vec<String> = entries
            .take(MAX_ENTRIES)
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        let is_dir = |n: &String| self.root.file(dir.join(n)).is_dir();
        names
            .into_iter()
            .map(|n| (is_dir(&n), n))
            .map(|(d, n)| (n, d))
            .collect()
    }

    /// `SetHandler`/`AddHandler`: a `proxy:` URL is a backend; the two
    /// FastCGI script handlers are handlers; anything else is not ours.
    fn handler(&mut self, set: bool, args: &[String], origin: Origin) {
        let via = if set { "SetHandler" } else { "AddHandler" };
        if let Some(url) = strip_prefix_ci(&args[0], "proxy:") {
            return self.endpoint(fcgi_address(url), via, None, origin);
        }
        let handler = args[0].to_ascii_lowercase();
        let ours = matches!(handler.as_str(), "fastcgi-script" | "fcgid-script");
        if !ours || self.handlers.len() >= MAX_RECORDS {
            return;
        }
        let directive = match set {
            true => via.to_string(),
            false => format!("{via} {}", args[1..].join(" "))
                .trim_end()
                .to_string(),
        };
        let (vhost, scope, directory, frames) = self.place();
        let item = Handler {
            handler,
            directive,
            vhost: None,
            scope,
            directory,
            exec_cgi: false,
            origin,
        };
        self.handlers.push(Pending {
            item,
            vhost,
            frames,
        });
    }

    fn endpoint(
        &mut self,
        address: Option<String>,
        via: &str,
        timeout: Option<u64>,
        origin: Origin,
    ) {
        let Some(address) = address.filter(|_| self.endpoints.len() < MAX_RECORDS) else {
            return;
        };
        let (vhost, scope, _, frames) = self.place();
        let via = via.to_string();
        let item = Endpoint {
            address,
            via,
            vhost: None,
            scope,
            timeout,
            origin,
        };
        self.endpoints.push(Pending {
            item,
            vhost,
            frames,
        });
    }

    /// `ProxyPass [path] url [key=value...]` (no path inside `<Location>`),
    /// likewise ProxyPassMatch and BalancerMember; `!` excludes a path.
    fn proxy_pass(&mut self, via: &str, args: &[String], origin: Origin) {
        let url_first = args.first().is_some_and(|a| a == "!" || is_url(a));
        let skip = usize::from(!url_first);
        let Some(url) = args.get(skip) else {
            return;
        };
        let params = args.get(skip + 1..).unwrap_or_default();
        let timeout = params.iter().find_map(|p| {
            let (key, value) = p.split_once('=')?;
            key.eq_ignore_ascii_case("timeout")
                .then(|| seconds(value))?
        });
        self.endpoint(fcgi_address(url), via, timeout, origin);
    }

    /// `RewriteRule pattern fcgi://... [P]` proxies as ProxyPassMatch does.
    fn rewrite_rule(&mut self, args: &[String], origin: Origin) {
        let (Some(target), Some(flags)) = (args.get(1), args.get(2)) else {
            return;
        };
        let flags = flags.trim_start_matches('[').trim_end_matches(']');
        let proxy = |f: &str| f.eq_ignore_ascii_case("p") || f.eq_ignore_ascii_case("proxy");
        if flags.split(',').any(proxy) {
            self.endpoint(fcgi_address(target), "RewriteRule", None, origin);
        }
    }

    fn fcgid_wrapper(&mut self, args: &[String], origin: Origin) {
        let Some(command) = args[0].split_whitespace().next() else {
            return;
        };
        if self.wrappers.len() < MAX_RECORDS {
            let suffix = args.get(1).filter(|s| s.starts_with('.')).cloned();
            let command = PathBuf::from(command);
            let item = Wrapper {
                command,
                suffix,
                vhost: None,
                origin,
            };
            let (vhost, frames) = (self.vhost(), Vec::new());
            self.wrappers.push(Pending {
                item,
                vhost,
                frames,
            });
        }
    }

    /// `FastCgiExternalServer path -host h:p | -socket name`: mod_fastcgi
    /// resolves a relative socket against FastCgiIpcDir when it reads the
    /// line; its default is logs/fastcgi under ServerRoot (mod_fastcgi.h).
    fn fastcgi_external(&mut self, args: &[String], origin: Origin) {
        let options = fastcgi_options(args);
        let value = |flag: &str| {
            let found = options.iter().find(|(k, _)| k.eq_ignore_ascii_case(flag));
            found.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
        };
        let address = match (value("-host"), value("-socket")) {
            (Some(host), _) => host.to_string(),
            (None, Some(socket)) => {
                let ipc_dir = self.config.fastcgi.ipc_dir.clone();
                let dir = ipc_dir.unwrap_or_else(|| self.path("logs/fastcgi"));
                format!("unix:{}", dir.join(socket).display())
            }
            (None, None) => return,
        };
        let idle = value("-idle-timeout").and_then(seconds);
        let timeout = Some(idle.unwrap_or(FASTCGI_IDLE_TIMEOUT));
        self.endpoint(Some(address), "FastCgiExternalServer", timeout, origin);
    }

    /// Fills in what is known only once everything is read.
    fn finish(mut self) -> ApacheConfig {
        let no_vhost = Vhost::default();
        let vhost = |i: Option<usize>| i.and_then(|i| self.vhosts.get(i)).unwrap_or(&no_vhost);
        let label = |i: Option<usize>| {
            let v = i.and_then(|i| self.vhosts.get(i))?;
            let name = v.server_name.as_deref().map(|n| format!(" {n}"));
            Some(format!("{}{}", v.address, name.unwrap_or_default()))
        };
        for Pending {
            mut item,
            vhost: at,
            ..
        } in std::mem::take(&mut self.endpoints)
        {
            let v = vhost(at);
            let global = (self.config.proxy_timeout, self.config.timeout);
            let timeout = item.timeout.or(v.proxy_timeout).or(global.0);
            item.timeout = timeout.or(v.timeout).or(global.1);
            item.vhost = label(at);
            self.config.endpoints.push(item);
        }
        for p in std::mem::take(&mut self.handlers) {
            let mut h = p.item.clone();
            let root = vhost(p.vhost).document_root.clone();
            h.directory = h.directory.or(root).or_else(|| self.document_root.clone());
            h.exec_cgi = self.exec_cgi(&p, h.directory.as_deref().unwrap_or(Path::new("/")));
            h.vhost = label(p.vhost);
            self.config.handlers.push(h);
        }
        for Pending {
            mut item, vhost, ..
        } in std::mem::take(&mut self.wrappers)
        {
            item.vhost = label(vhost);
            self.config.fcgid.wrappers.push(item);
        }
        let mut seen = BTreeSet::new();
        self.config.error_logs.retain(|p| seen.insert(p.clone()));
        self.config
    }

    /// Options in force in `dir` for the handler, merged in core.c's order
    /// (see the module doc), starting from Apache 2.4's FollowSymLinks.
    fn exec_cgi(&self, h: &Pending<Handler>, dir: &Path) -> bool {
        let mut lines: Vec<(MergeOrder, &[String])> = Vec::new();
        for (seq, o) in self.options.iter().enumerate() {
            if o.vhost.is_some() && o.vhost != h.vhost {
                continue;
            }
            let rank = match &o.item.0 {
                Reach::Everywhere => (0, 0),
                Reach::Under(d, Some(re)) if re.is_match(&dir.to_string_lossy()) => {
                    (1, d.components().count())
                }
                Reach::Under(d, None) if dir.starts_with(d) => (1, d.components().count()),
                Reach::Within(id) if h.frames.contains(id) => (2, 0),
                _ => continue,
            };
            lines.push(((rank.0, rank.1, o.vhost.is_some(), seq), &o.item.1));
        }
        lines.sort_by_key(|(key, _)| *key);
        let apply = |exec, (_, words): &(_, &[String])| apply_options(exec, words);
        lines.iter().fold(false, apply)
    }
}

/// Where an `Options` line falls in core.c's merge: its kind of section
/// (server, `<Directory>`, section around the handler), the directory's
/// components, whether it is the vhost's (after the main server's), and
/// its place in the files.
type MergeOrder = (u8, usize, bool, usize);

/// One `Options` line on the ExecCGI bit, as core.c's set_options: `+X`/`-X`
/// adjust, the first plain word resets to nothing, `All` includes ExecCGI.
fn apply_options(mut exec: bool, words: &[String]) -> bool {
    let mut first = true;
    for w in words {
        let (action, option) = match w.strip_prefix(['+', '-']) {
            Some(option) => (Some(w.starts_with('+')), option),
            None => (None, w.as_str()),
        };
        let is_exec = option.eq_ignore_ascii_case("execcgi") || option.eq_ignore_ascii_case("all");
        match action {
            Some(on) if is_exec => exec = on,
            Some(_) => {}
            None => {
                let reset = std::mem::replace(&mut first, false);
                exec = (exec && !reset) || is_exec;
            }
        }
    }
    exec
}

/// The probe address of a mod_proxy_fcgi URL: `unix:/path|fcgi://name/...`
/// (the name after `|` is only a label) or `fcgi://host[:port]/...`; None
/// for other schemes (http://, ajp://, balancer://).
fn fcgi_address(url: &str) -> Option<String> {
    let url = url.trim();
    if let Some((socket, rest)) = url.split_once('|') {
        let path = strip_prefix_ci(socket, "unix:").filter(|p| !p.is_empty())?;
        return starts_with_ci(rest, "fcgi://").then(|| format!("unix:{path}"));
    }
    let rest = strip_prefix_ci(url, "fcgi://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit('@').next().unwrap_or("");
    let has_port = match authority.strip_prefix('[') {
        Some(v6) => v6.contains("]:"),
        None => authority.contains(':'),
    };
    match (authority.is_empty(), has_port) {
        (true, _) => None,
        (false, true) => Some(authority.to_string()),
        (false, false) => Some(format!("{authority}:{FCGI_DEFAULT_PORT}")),
    }
}

fn is_url(arg: &str) -> bool {
    arg.contains("://") || starts_with_ci(arg, "unix:")
}

/// mod_fastcgi's options: `-flag value`, but its three switches stand alone.
fn fastcgi_options(args: &[String]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut iter = args.iter().peekable();
    while let Some(flag) = iter.next() {
        let lower = flag.to_ascii_lowercase();
        let switch = matches!(lower.as_str(), "-flush" | "-nph" | "-autoupdate");
        if flag.starts_with('-') {
            let value =
                iter.next_if(|v| !switch && (!v.starts_with('-') || v.parse::<i64>().is_ok()));
            out.push((flag.clone(), value.cloned().unwrap_or_default()));
        }
    }
    out
}

/// Seconds from httpd's time syntax: `N`, `Ns`, `Nms` (rounded up), `Nmi`, `Nh`.
fn seconds(arg: &str) -> Option<u64> {
    let digits = arg.find(|c: char| !c.is_ascii_digit()).unwrap_or(arg.len());
    let n: u64 = arg[..digits].parse().ok()?;
    match arg[digits..].to_ascii_lowercase().as_str() {
        "" | "s" => Some(n),
        "ms" => Some(n.div_ceil(1000)),
        "mi" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        _ => None,
    }
}

/// A shell assignment's value: quotes removed, `$X`/`${X}` taken from
/// earlier assignments; unknown variables and `${X##pat}`-style operators
/// are empty, as nothing is ever evaluated.
fn shell_value(raw: &str, env: &BTreeMap<String, String>, expanded: &mut Expanded) -> String {
    let raw = raw.trim();
    if let Some(v) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
        return v.to_string();
    }
    let mut rest = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::new();
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, tail) = match after.strip_prefix('{') {
            Some(braced) => braced.split_once('}').unwrap_or((braced, "")),
            None => {
                let end = after.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'));
                after.split_at(end.unwrap_or(after.len()))
            }
        };
        let value = env.get(name).map_or("", String::as_str);
        if out.len() + value.len() <= MAX_EXPANSION && expanded.take(value.len()) {
            out.push_str(value);
        }
        rest = tail;
    }
    out + rest
}

fn is_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Lines joined where one ends in `\` (trailing blanks ignored, as
/// ap_cfg_getline does), each with the number of its first line.
fn logical_lines(text: &str) -> impl Iterator<Item = (u32, String)> + '_ {
    let mut lines = text.lines().enumerate();
    std::iter::from_fn(move || {
        let (index, first) = lines.next()?;
        let mut line = first.to_string();
        while let Some(len) = line.trim_end().strip_suffix('\\').map(str::len) {
            line.truncate(len);
            match lines.next() {
                Some((_, next)) => line.push_str(next),
                None => break,
            }
        }
        Some((u32::try_from(index + 1).unwrap_or(u32::MAX), line))
    })
}

/// Arguments as ap_getword_conf splits them: blanks separate, "double" or
/// 'single' quotes group (an unclosed one runs to the end), `\\` is one
/// backslash and `\"` a quote inside double quotes.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(quote) = chars.peek().map(|&c| (c == '"' || c == '\'').then_some(c)) else {
            return out;
        };
        if quote.is_some() {
            chars.next();
        }
        let mut word = String::new();
        while let Some(c) = chars.next() {
            let escaped = chars.peek().is_some_and(|&n| n == '\\' || Some(n) == quote);
            match c {
                '\\' if escaped => word.extend(chars.next()),
                c if Some(c) == quote || (quote.is_none() && c.is_whitespace()) => break,
                c => word.push(c),
            }
        }
        out.push(word);
    }
}

fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// A shell wildcard as apr_fnmatch reads it (`*`, `?` within one name,
/// `[a-z]`, `[!x]`, `\` escapes) turned into a regex ending in `end`; the
/// regex crate matches in linear time whatever the pattern. None when it
/// is malformed (an unclosed `[`), which then matches nothing.
fn glob(pattern: &str, end: &str) -> Option<Regex> {
    let mut re = String::from("^");
    let mut class = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, class) {
            (']', true) => {
                class = false;
                re.push(']');
            }
            ('-', true) => re.push('-'),
            ('[', false) => {
                class = true;
                re.push('[');
                if chars.next_if(|&c| c == '!' || c == '^').is_some() {
                    re.push('^');
                }
            }
            ('*', false) => re.push_str("[^/]*"),
            ('?', false) => re.push_str("[^/]"),
            ('\\', false) => re.push_str(&regex::escape(&chars.next().unwrap_or('\\').to_string())),
            (c, _) => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    RegexBuilder::new(&(re + end))
        .size_limit(1 << 20)
        .build()
        .ok()
}

fn strip_prefix_ci<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    strip_prefix_ci(text, prefix).is_some()
}

/// An I/O error without Rust's `(os error N)` tail.
fn reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    text.split(" (os error").next().unwrap_or(&text).to_string()
}
#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture tree of host paths and texts under a temp dir, and the
    /// configuration `main` reads from it.
    fn load_tree(main: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, ApacheConfig) {
        let dir = tempfile::tempdir().unwrap();
        let root = ConfigRoot(dir.path().to_path_buf());
        for (path, text) in files {
            let file = root.file(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let config = load(&root, Path::new(main));
        (dir, config)
    }

    fn addresses(config: &ApacheConfig) -> Vec<&str> {
        config
            .endpoints
            .iter()
            .map(|e| e.address.as_str())
            .collect()
    }

    const DEBIAN_MAIN: &str = r#"
        # This is the main Apache server configuration file.
        #ServerRoot "/etc/apache2"
        PidFile ${APACHE_PID_FILE}
        Timeout 300
        User ${APACHE_RUN_USER}
        Group ${APACHE_RUN_GROUP}
        ErrorLog ${APACHE_LOG_DIR}/error.log
        IncludeOptional mods-enabled/*.load
        Include ports.conf
        <Directory />
            Options FollowSymLinks
        </Directory>
        <IfModule !mod_proxy_fcgi.c>
            SetHandler "proxy:fcgi://10.9.9.9:9000"
        </IfModule>
        IncludeOptional conf-enabled/*.conf
        IncludeOptional sites-enabled/*.conf
    "#;

    /// Debian's own, with the instance-suffix conditional it ships.
    const DEBIAN_ENVVARS: &str = r#"
        unset HOME
        if [ "${APACHE_CONFDIR##/etc/apache2-}" != "${APACHE_CONFDIR}" ] ; then
            SUFFIX="-${APACHE_CONFDIR##/etc/apache2-}"
        else
            SUFFIX=
        fi
        export APACHE_RUN_USER=www-data
        export APACHE_RUN_GROUP=www-data
        export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid
        export APACHE_LOG_DIR=/var/log/apache2$SUFFIX
        export LANG
    "#;

    /// Debian's conf-available/php8.2-fpm.conf, comments left out.
    const DEBIAN_PHP_FPM: &str = r#"
        <IfModule !mod_php8.c>
        <IfModule proxy_fcgi_module>
            <IfModule setenvif_module>
            SetEnvIfNoCase ^Authorization$ "(.+)" HTTP_AUTHORIZATION=$1
            </IfModule>
            <FilesMatch ".+\.ph(?:ar|p|tml)$">
                SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
            </FilesMatch>
            <FilesMatch "^\.ph(?:ar|p|ps|tml)$">
                Require all denied
            </FilesMatch>
        </IfModule>
        </IfModule>
    "#;

    const DEBIAN_SITE: &str = r#"
        <VirtualHost *:80>
            ServerName example.org
            DocumentRoot /var/www/html
            <FilesMatch \.php$>
                SetHandler "proxy:unix:/run/php/php8.2-fpm.sock|fcgi://localhost"
            </FilesMatch>
            ProxyTimeout 30
            ErrorLog ${APACHE_LOG_DIR}/example-error.log
        </VirtualHost>
    "#;

    #[test]
    fn debian_layout_with_envvars_and_php_fpm() {
        let dir = tempfile::tempdir().unwrap();
        let root = ConfigRoot(dir.path().to_path_buf());
        let mods = "/usr/lib/apache2/modules";
        let files = [
            ("apache2.conf", DEBIAN_MAIN.to_string()),
            ("envvars", DEBIAN_ENVVARS.into()),
            ("ports.conf", "Listen 80\n".into()),
            (
                "mods-enabled/mpm_event.load",
                format!("LoadModule mpm_event_module {mods}/mod_mpm_event.so"),
            ),
            (
                "mods-enabled/proxy.load",
                format!("LoadModule proxy_module {mods}/mod_proxy.so"),
            ),
            (
                "mods-enabled/proxy_fcgi.load",
                format!("LoadModule proxy_fcgi_module {mods}/mod_proxy_fcgi.so"),
            ),
            ("conf-available/php8.2-fpm.conf", DEBIAN_PHP_FPM.into()),
            ("sites-available/example.conf", DEBIAN_SITE.into()),
        ];
        for (path, text) in files {
            let file = root.file("/etc/apache2").join(path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        // Debian enables confs and sites with relative symlinks.
        for (dir, name) in [("conf", "php8.2-fpm.conf"), ("sites", "example.conf")] {
            let enabled = root.file(format!("/etc/apache2/{dir}-enabled"));
            std::fs::create_dir_all(&enabled).unwrap();
            let target = format!("../{dir}-available/{name}");
            std::os::unix::fs::symlink(target, enabled.join(name)).unwrap();
        }
        let main = find_main(&root).unwrap();
        assert_eq!(main, Path::new("/etc/apache2/apache2.conf"));
        let config = load(&root, &main);
        assert_eq!(config.notes, Vec::<String>::new());
        assert_eq!(config.server_root, Path::new("/etc/apache2"));
        assert_eq!(config.user.as_deref(), Some("www-data"));
        assert_eq!(config.group.as_deref(), Some("www-data"));
        let modules = ["mpm_event_module", "proxy_module", "proxy_fcgi_module"];
        assert_eq!(config.modules, modules);
        assert_eq!(config.timeout, Some(300));
        let logs = [
            "/var/log/apache2/error.log",
            "/var/log/apache2/example-error.log",
        ];
        assert_eq!(config.error_logs, logs.map(PathBuf::from));
        assert_eq!(config.files[1], Path::new("/etc/apache2/envvars"));
        // `<IfModule !mod_proxy_fcgi.c>` is known false: no 10.9.9.9.
        let socket = "unix:/run/php/php8.2-fpm.sock";
        assert_eq!(addresses(&config), [socket, socket]);
        let global = &config.endpoints[0];
        assert_eq!(global.vhost, None);
        let scope = r#"<FilesMatch ".+\.ph(?:ar|p|tml)$">"#;
        assert_eq!(global.scope.as_deref(), Some(scope));
        assert_eq!(global.timeout, Some(300));
        let site = &config.endpoints[1];
        assert_eq!(site.via, "SetHandler");
        assert_eq!(site.vhost.as_deref(), Some("*:80 example.org"));
        assert_eq!(site.scope.as_deref(), Some(r"<FilesMatch \.php$>"));
        assert_eq!(site.timeout, Some(30));
        let file = Path::new("/etc/apache2/sites-enabled/example.conf");
        assert_eq!((site.origin.file.as_path(), site.origin.line), (file, 6));
    }

    #[test]
    fn rhel_layout_with_proxy_pass_and_balancer() {
        let main = r#"
            ServerRoot "/etc/httpd"
            Include conf.modules.d/*.conf
            User apache
            DocumentRoot "/var/www/html"
            ErrorLog "logs/error_log"
            IncludeOptional conf.d/*.conf
            Timeout 120
        "#;
        let modules = "LoadModule proxy_module modules/mod_proxy.so\n\
                       LoadModule proxy_fcgi_module modules/mod_proxy_fcgi.so\n";
        let php = r#"
            <VirtualHost 192.0.2.10:80 [2001:db8::1]:80>
                ProxyPassMatch ^/(.*\.php(/.*)?)$ fcgi://127.0.0.1:9000/var/www/html/$1 timeout=45
                ProxyPass /status fcgi://[::1]/status
                ProxyPass /static/ !
                ProxyPass /app/ http://127.0.0.1:8080/
            </VirtualHost>
            <Proxy balancer://php>
                BalancerMember fcgi://10.0.0.5:9000
                BalancerMember "unix:/run/php-fpm/www.sock|fcgi://localhost"
            </Proxy>
            <Location /api>
                ProxyPass fcgi://backend.local:9100/ timeout=5
            </Location>
            RewriteRule ^/old/(.*\.php)$ fcgi://127.0.0.1:9002/srv/$1 [P,L]
        "#;
        let (_dir, config) = load_tree(
            "/etc/httpd/conf/httpd.conf",
            &[
                ("/etc/httpd/conf/httpd.conf", main),
                ("/etc/httpd/conf.modules.d/00-proxy.conf", modules),
                ("/etc/httpd/conf.d/php.conf", php),
            ],
        );
        assert_eq!(config.notes, Vec::<String>::new());
        assert_eq!(config.server_root, Path::new("/etc/httpd"));
        assert_eq!(config.user.as_deref(), Some("apache"));
        assert_eq!(config.modules, ["proxy_module", "proxy_fcgi_module"]);
        assert_eq!(
            config.error_logs,
            [PathBuf::from("/etc/httpd/logs/error_log")]
        );
        let socket = "unix:/run/php-fpm/www.sock";
        let expected = ["127.0.0.1:9000", "[::1]:8000", "10.0.0.5:9000", socket];
        assert_eq!(addresses(&config)[..4], expected);
        assert_eq!(
            addresses(&config)[4..],
            ["backend.local:9100", "127.0.0.1:9002"]
        );
        let via: Vec<&str> = config.endpoints.iter().map(|e| e.via.as_str()).collect();
        assert_eq!(via[..3], ["ProxyPassMatch", "ProxyPass", "BalancerMember"]);
        assert_eq!(via[5], "RewriteRule");
        // The global Timeout comes last in the file but is the whole server's.
        let timeouts: Vec<_> = config.endpoints.iter().map(|e| e.timeout).collect();
        let t = |n| Some(n);
        assert_eq!(timeouts, [t(45), t(120), t(120), t(120), t(5), t(120)]);
        let first = &config.endpoints[0];
        assert_eq!(
            first.vhost.as_deref(),
            Some("192.0.2.10:80 [2001:db8::1]:80")
        );
        assert_eq!(first.origin.line, 3);
        let scopes: Vec<_> = config
            .endpoints
            .iter()
            .map(|e| e.scope.as_deref())
            .collect();
        assert_eq!(
            scopes[2..5],
            [Some("<Proxy balancer://php>"); 2]
                .into_iter()
                .chain([Some("<Location /api>")])
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn fcgid_handlers_follow_options_exec_cgi() {
        let conf = r#"
            LoadModule fcgid_module modules/mod_fcgid.so
            DocumentRoot /var/www
            FcgidIOTimeout 90
            FcgidMaxProcessesPerClass 4
            FcgidIPCDir /run/mod_fcgid
            <Directory /srv/app>
                Options +ExecCGI
                AddHandler fcgid-script .fcgi
                FcgidWrapper /usr/local/bin/php-wrapper .php
            </Directory>
            <Directory /srv/plain>
                Options Indexes
                SetHandler fcgid-script
            </Directory>
            <Directory /srv/all>
                Options All
                AddHandler fcgid-script .fcgi .py
            </Directory>
            <Directory /srv/all/locked>
                Options None
                SetHandler fcgid-script
            </Directory>
            <Directory /srv/all/*/cgi>
                Options -ExecCGI
            </Directory>
            <VirtualHost *:80>
                DocumentRoot /srv/all/site
                AddHandler fcgid-script .fcgi
                FcgidWrapper "/usr/bin/php-cgi -c /etc/php.ini" virtual
            </VirtualHost>
            <VirtualHost *:81>
                DocumentRoot /srv/all/x/cgi
                <Files "*.fcgi">
                    AddHandler FCGID-Script .fcgi
                </Files>
            </VirtualHost>
            AddHandler application/x-httpd-php .php
            SetHandler fastcgi-script
        "#;
        let main = "/etc/httpd/conf/httpd.conf";
        let (_dir, config) = load_tree(main, &[(main, conf)]);
        let seen: Vec<_> = config
            .handlers
            .iter()
            .map(|h| {
                (
                    h.handler.as_str(),
                    h.directive.as_str(),
                    h.directory.clone(),
                    h.exec_cgi,
                )
            })
            .collect();
        let h = |handler, directive, dir: &str, exec| {
            (handler, directive, Some(PathBuf::from(dir)), exec)
        };
        let fcgid = "fcgid-script";
        assert_eq!(
            seen,
            [
                h(fcgid, "AddHandler .fcgi", "/srv/app", true),
                h(fcgid, "SetHandler", "/srv/plain", false),
                h(fcgid, "AddHandler .fcgi .py", "/srv/all", true),
                // `None` in the deeper directory undoes `All`.
                h(fcgid, "SetHandler", "/srv/all/locked", false),
                h(fcgid, "AddHandler .fcgi", "/srv/all/site", true),
                // The wildcard directory's `-ExecCGI` is more specific.
                h(fcgid, "AddHandler .fcgi", "/srv/all/x/cgi", false),
                h("fastcgi-script", "SetHandler", "/var/www", false),
            ]
        );
        assert_eq!(
            config.handlers[0].scope.as_deref(),
            Some("<Directory /srv/app>")
        );
        assert_eq!(config.handlers[4].vhost.as_deref(), Some("*:80"));
        assert_eq!(
            config.handlers[5].scope.as_deref(),
            Some(r#"<Files "*.fcgi">"#)
        );
        let f = &config.fcgid;
        assert_eq!(
            (f.io_timeout, f.max_processes_per_class),
            (Some(90), Some(4))
        );
        assert_eq!(f.ipc_dir.as_deref(), Some(Path::new("/run/mod_fcgid")));
        let wrappers: Vec<_> = f
            .wrappers
            .iter()
            .map(|w| {
                (
                    w.command.to_str().unwrap(),
                    w.suffix.as_deref(),
                    w.vhost.as_deref(),
                )
            })
            .collect();
        let php_cgi = ("/usr/bin/php-cgi", None, Some("*:80"));
        assert_eq!(
            wrappers,
            [("/usr/local/bin/php-wrapper", Some(".php"), None), php_cgi]
        );

        let old = "IPCCommTimeout 40\nDefaultMaxClassProcessCount 3\nSocketPath /var/lib/fcgid\n";
        let (_dir, config) = load_tree(
            "/etc/apache2/apache2.conf",
            &[("/etc/apache2/apache2.conf", old)],
        );
        let f = &config.fcgid;
        assert_eq!(
            (f.io_timeout, f.max_processes_per_class),
            (Some(40), Some(3))
        );
        assert_eq!(f.ipc_dir.as_deref(), Some(Path::new("/var/lib/fcgid")));
    }

    #[test]
    fn fastcgi_servers_and_external_servers() {
        let conf = r#"
            LoadModule fastcgi_module /usr/lib/apache2/modules/mod_fastcgi.so
            FastCgiIpcDir /var/lib/apache2/fastcgi
            FastCgiWrapper /usr/lib/apache2/suexec
            FastCgiConfig -maxClassProcesses 2 -autoUpdate -idle-timeout 120
            FastCgiServer /srv/app.fcgi -processes 2 -idle-timeout 30
            FastCgiExternalServer /srv/ext.fcgi -socket ext.sock
            <VirtualHost *:80>
                FastCgiExternalServer /srv/tcp.fcgi -host 127.0.0.1:9001 -idle-timeout 90 -flush
            </VirtualHost>
        "#;
        let main = "/etc/apache2/apache2.conf";
        let (_dir, config) = load_tree(main, &[(main, conf)]);
        let f = &config.fastcgi;
        assert_eq!(
            f.ipc_dir.as_deref(),
            Some(Path::new("/var/lib/apache2/fastcgi"))
        );
        assert_eq!(f.wrapper.as_deref(), Some("/usr/lib/apache2/suexec"));
        let pair = |a: &str, b: &str| (a.to_string(), b.to_string());
        let options = [
            ("-maxClassProcesses", "2"),
            ("-autoUpdate", ""),
            ("-idle-timeout", "120"),
        ];
        assert_eq!(f.config, options.map(|(a, b)| pair(a, b)));
        assert_eq!(f.servers.len(), 1);
        assert_eq!(
            (f.servers[0].path.to_str(), f.servers[0].origin.line),
            (Some("/srv/app.fcgi"), 6)
        );
        assert_eq!(
            f.servers[0].options,
            [pair("-processes", "2"), pair("-idle-timeout", "30")]
        );
        let socket = "unix:/var/lib/apache2/fastcgi/ext.sock";
        assert_eq!(addresses(&config), [socket, "127.0.0.1:9001"]);
        assert!(config
            .endpoints
            .iter()
            .all(|e| e.via == "FastCgiExternalServer"));
        // mod_fastcgi's own idle timeout applies when none is written.
        let timeouts: Vec<_> = config.endpoints.iter().map(|e| e.timeout).collect();
        assert_eq!(timeouts, [Some(30), Some(90)]);
        assert_eq!(config.endpoints[1].vhost.as_deref(), Some("*:80"));
    }

    /// Regression guard: every file includes the pattern that names them
    /// all. Each read used to list the directory and walk all N matches
    /// again (8.6 s for 1000 files), and the "include cycle" notes crowded
    /// out the one saying reading stopped.
    #[test]
    fn an_include_on_every_read_of_many_files_costs_at_most_the_budget() {
        let main = "/etc/apache2/apache2.conf";
        let include = "Include /etc/apache2/conf.d/*.conf\n";
        let names: Vec<String> = (0..300)
            .map(|n| format!("/etc/apache2/conf.d/{n}.conf"))
            .collect();
        let mut files = vec![(main, include)];
        files.extend(names.iter().map(|n| (n.as_str(), include)));
        let (dir, config) = load_tree(main, &files);
        let notes = &config.notes;
        assert!(notes.len() <= MAX_NOTES + 2, "{notes:?}");
        assert!(
            notes.last().unwrap().contains("later files not read"),
            "{notes:?}"
        );
        let unique: BTreeSet<_> = notes.iter().collect();
        assert_eq!(unique.len(), notes.len(), "a note said twice: {notes:?}");

        let mut loader = Loader {
            root: ConfigRoot(dir.path().to_path_buf()),
            ..Loader::default()
        };
        loader.read_file(Path::new(main));
        assert!(
            loader.steps <= MAX_STEPS + 1,
            "{} includes followed",
            loader.steps
        );
        assert_eq!(loader.globbed.len(), 1);
    }

    #[test]
    fn include_cycles_and_missing_files_are_notes() {
        let main = "/etc/apache2/apache2.conf";
        let (_dir, config) = load_tree(
            main,
            &[
                (main, "Include a.conf\n"),
                ("/etc/apache2/a.conf", "Include b.conf\nUser cyc\n"),
                ("/etc/apache2/b.conf", "Include a.conf\nGroup cyc\n"),
            ],
        );
        let cycle = "include cycle: /etc/apache2/a.conf is already being read";
        assert_eq!(config.notes, [cycle]);
        assert_eq!(
            (config.user.as_deref(), config.group.as_deref()),
            (Some("cyc"), Some("cyc"))
        );
        assert_eq!(config.files.len(), 3);

        let conf =
            "Include missing.conf\nIncludeOptional none/*.conf\nIncludeOptional absent.conf\n\
                    Include none/*.conf\n";
        let (_dir, config) = load_tree(main, &[(main, conf)]);
        let missing = "cannot read /etc/apache2/missing.conf: No such file or directory";
        let unmatched = "/etc/apache2/apache2.conf:4: Include none/*.conf matched no file";
        assert_eq!(config.notes, [missing, unmatched]);
        let (_dir, config) = load_tree(main, &[]);
        assert_eq!((config.notes.len(), config.files.len()), (1, 0));
    }

    #[test]
    fn include_globs_in_directories_and_whole_directories() {
        let module = |n: &str| format!("LoadModule {n}_module x\n");
        let files = [
            ("/etc/apache2/vhosts/b/enabled/2.conf", module("two")),
            ("/etc/apache2/vhosts/a/enabled/1.conf", module("one")),
            (
                "/etc/apache2/vhosts/a/enabled/.hidden.conf",
                module("hidden"),
            ),
            ("/etc/apache2/vhosts/c/enabled/3.conf", module("three")),
            ("/etc/apache2/vhosts/b/disabled/4.conf", module("four")),
            ("/etc/apache2/extra/y.conf", module("y")),
            ("/etc/apache2/extra/sub/z.conf", module("z")),
        ];
        let conf = "IncludeOptional /etc/apache2/v*/[ab]/enabled/*.conf\nInclude extra\n";
        let mut all = vec![("/etc/apache2/apache2.conf", conf)];
        all.extend(files.iter().map(|(p, t)| (*p, t.as_str())));
        let (_dir, config) = load_tree("/etc/apache2/apache2.conf", &all);
        assert_eq!(config.notes, Vec::<String>::new());
        assert_eq!(
            config.modules,
            ["one_module", "two_module", "z_module", "y_module"]
        );
    }

    #[test]
    fn defines_quotes_comments_and_conditions() {
        let conf = r#"
            Define php_sock /run/php/app.sock
            Define docroot "/srv/my site"
            DocumentRoot "${docroot}"
            <Directory "${docroot}">
                Options "+ExecCGI"
                AddHandler fcgid-script ".fcgi"
            </Directory>
            SetHandler "proxy:unix:${php_sock}|fcgi://localhost"
            User ${UNKNOWN_USER}
            ErrorLog "|/usr/bin/rotatelogs /var/log/x 86400"
            ErrorLog syslog:local1
            # SetHandler "proxy:fcgi://10.1.1.1:9000"
            <IfDefine !php_sock>
                SetHandler "proxy:fcgi://10.2.2.2:9000"
            </IfDefine>
            <IfDefine NEVER_DEFINED>
                ProxyTimeout 5
            </IfDefine>
            <Macro VHost $name>
                SetHandler "proxy:fcgi://10.3.3.3:9000"
            </Macro>
            ProxyPass /a \
                fcgi://10.4.4.4:9000/ \
                timeout=7
            Group "web \"admins\""
        "#;
        let main = "/etc/apache2/apache2.conf";
        let (_dir, config) = load_tree(main, &[(main, conf)]);
        assert_eq!(
            config.notes,
            ["User ${UNKNOWN_USER} names an unknown variable"]
        );
        assert_eq!(config.user, None);
        assert_eq!(config.group.as_deref(), Some("web \"admins\""));
        assert_eq!(
            addresses(&config),
            ["unix:/run/php/app.sock", "10.4.4.4:9000"]
        );
        let e = &config.endpoints;
        assert_eq!(
            (e[0].timeout, e[1].timeout, e[1].origin.line),
            (Some(5), Some(7), 23)
        );
        assert!(config.error_logs.is_empty());
        let handler = &config.handlers[0];
        assert_eq!(
            handler.directory.as_deref(),
            Some(Path::new("/srv/my site"))
        );
        assert_eq!(
            handler.scope.as_deref(),
            Some(r#"<Directory "/srv/my site">"#)
        );
        assert!(handler.exec_cgi);
    }

    /// Regression guard (security audit): MAX_EXPANSION bounded one line,
    /// not the load, and every `Define` kept its own copy, so a 4.3 MB file
    /// of `Define Cn ${A6}` lines, A6 being 64 KiB, aborted at 4 GB. The
    /// Defines and envvars may now hold what was read plus MAX_EXPANDED.
    #[test]
    fn chained_defines_grow_at_most_the_expansion_budget() {
        let mut conf = format!("Define A0 {}\n", "x".repeat(1000));
        let mut envvars = format!("export E0={}\n", "y".repeat(1024));
        for i in 1..7 {
            conf += &format!("Define A{i} ${{A{}}}${{A{}}}\n", i - 1, i - 1);
            envvars += &format!("export E{i}=\"${{E{}}}$E{}\"\n", i - 1, i - 1);
        }
        // 500 copies of 64 KiB in envvars, 3000 in Defines: 215 MiB before.
        for i in 0..3000 {
            conf += &format!("Define C{i} ${{A6}}\n");
        }
        for i in 0..500 {
            envvars += &format!("export F{i}=$E6\n");
        }
        conf += "ServerName ${C2999}\n";
        let main = "/etc/apache2/apache2.conf";
        let envvars_path = "/etc/apache2/envvars";
        let (dir, config) = load_tree(main, &[(main, &conf), (envvars_path, &envvars)]);
        let said: Vec<_> = config
            .notes
            .iter()
            .filter(|n| n.contains("expansion reached"))
            .collect();
        assert_eq!(said.len(), 1, "{:?}", config.notes);
        let at = "`${VAR}` expansion reached 67108864 bytes at /etc/apache2/apache2.conf:";
        assert!(said[0].starts_with(at), "{said:?}");

        let mut loader = Loader {
            root: ConfigRoot(dir.path().to_path_buf()),
            ..Loader::default()
        };
        loader.read_envvars(Path::new(main));
        loader.read_file(Path::new(main));
        let defines: usize = loader.defines.values().flatten().map(String::len).sum();
        let env: usize = loader.env.values().map(String::len).sum();
        let read = conf.len() + envvars.len();
        assert!(
            defines + env <= MAX_EXPANDED + read,
            "{defines} + {env} bytes kept from {read} read"
        );
        // What is left unexpanded stays as written, the rest as before.
        assert_eq!(loader.defines["C2999"].as_deref(), Some("${A6}"));
        assert_eq!(loader.defines["A6"].as_ref().map(String::len), Some(64_000));
        assert_eq!(loader.defines["C0"], loader.defines["A6"]);
        assert_eq!(loader.env["E6"].len(), 64 * 1024);
    }

    /// Regression guard (security audit): a section's name, its virtual
    /// host's address and its directory were copied into every record made
    /// inside it, so one 4 MB `<VirtualHost>` and 2000 SetHandler lines
    /// aborted at 4 GB. Each copy is now at most MAX_LABEL or MAX_PATH.
    #[test]
    fn a_long_section_name_is_not_copied_whole_into_every_record() {
        let long = "v".repeat(100_000);
        let mut conf = format!(
            "<VirtualHost {long}>\nServerName {long}\nDocumentRoot /{long}\n<Directory /{long}>\n"
        );
        for _ in 0..200 {
            conf += "SetHandler proxy:fcgi://127.0.0.1:9000\nSetHandler fcgid-script\n";
            conf += "FcgidWrapper /usr/bin/php-cgi\n";
        }
        conf += "</Directory>\n</VirtualHost>\n";
        let main = "/etc/apache2/apache2.conf";
        let (_dir, config) = load_tree(main, &[(main, &conf)]);
        let (e, h, w) = (&config.endpoints, &config.handlers, &config.fcgid.wrappers);
        assert_eq!((e.len(), h.len(), w.len()), (200, 200, 200));
        // Every string of the result, as JSON: before, 180 MB.
        let json = serde_json::to_string(&config).unwrap().len();
        let per_record = 2 * MAX_LABEL + MAX_LABEL + MAX_PATH + 1000;
        assert!(
            json <= 600 * per_record,
            "{json} bytes of JSON for 600 records"
        );
        let cut: Vec<_> = config
            .notes
            .iter()
            .filter(|n| n.contains("is cut"))
            .collect();
        assert_eq!(cut.len(), 1, "{:?}", config.notes);
        assert!(
            cut[0].starts_with("/etc/apache2/apache2.conf:1: "),
            "{cut:?}"
        );
        assert!(e[0].vhost.as_ref().unwrap().ends_with('…'));
    }

    #[test]
    fn garbage_never_panics_and_stays_bounded() {
        let junk: [&[u8]; 12] = [
            b"</Directory>\n",
            b"<VirtualHost *:80\n",
            b"<a>\n",
            b"\"unclosed quote ${ and ${X \n",
            b"Options +ExecCGI \x00 -All\n",
            b"SetHandler proxy:fcgi://\xff\xfe:1/\n",
            b"ProxyPass\n",
            b"<\n",
            b"</>\n",
            b"BalancerMember balancer://x\n",
            b"Include [\n",
            b"FcgidWrapper \"\"\n",
        ];
        let mut bytes: Vec<u8> = (0..100_000)
            .flat_map(|i| junk[i % junk.len()].to_vec())
            .collect();
        bytes.extend_from_slice(b"<VirtualHost *:81>\nSetHandler \"proxy:fcgi://[::1]:9000\" \\");
        let dir = tempfile::tempdir().unwrap();
        let root = ConfigRoot(dir.path().to_path_buf());
        let main = root.file("/etc/httpd/conf/httpd.conf");
        std::fs::create_dir_all(main.parent().unwrap()).unwrap();
        std::fs::write(&main, &bytes).unwrap();
        let config = load(&root, Path::new("/etc/httpd/conf/httpd.conf"));
        assert!(config.notes.len() <= MAX_NOTES + 1);
        // Sections past MAX_SECTIONS are skipped whole, not noted one by one.
        assert!(config.notes.iter().any(|n| n.contains("nest deeper")));
        assert_eq!(config.files.len(), 1);
        assert!(config.endpoints.len() <= MAX_RECORDS);
    }

    #[test]
    fn small_parsers_read_as_apache_does() {
        let w = |s: &str| words(s);
        assert_eq!(
            w(r#"SetHandler "a b" 'c d' e\\f"#),
            ["SetHandler", "a b", "c d", r"e\f"]
        );
        assert_eq!(w(r#"x "say \"hi\"" "open"#), ["x", "say \"hi\"", "open"]);
        let lines: Vec<_> = logical_lines("a \\\n b\nc\\").collect();
        assert_eq!(lines, [(1, "a  b".to_string()), (3, "c".to_string())]);
        let address = |u| fcgi_address(u);
        assert_eq!(
            address("FCGI://localhost").as_deref(),
            Some("localhost:8000")
        );
        assert_eq!(address("unix:/x.sock|http://localhost/"), None);
        assert_eq!(address("http://127.0.0.1:8080/"), None);
        assert_eq!(address("balancer://php"), None);
        let options = |start, s: &str| apply_options(start, &words(s));
        assert!(options(false, "+ExecCGI") && options(false, "All") && options(true, "+Indexes"));
        assert!(!options(true, "Indexes FollowSymLinks") && !options(true, "None"));
        assert!(!options(false, "ExecCGI Indexes -ExecCGI"));
        assert!(options(false, "Indexes ExecCGI"));
        let matches = |p, n| glob(p, "$").is_some_and(|re| re.is_match(n));
        assert!(matches("*.conf", "a.conf") && matches("[a-c]?.load", "b1.load"));
        assert!(!matches("[!a-c]*", "apple") && !matches("*", "a/b") && !matches("[", "["));
        assert!(matches(r"a\*[&~-]", "a*~"));
        assert_eq!(seconds("500ms"), Some(1));
        assert_eq!(seconds("2mi"), Some(120));
    }
}
