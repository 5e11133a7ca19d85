//! nginx's configuration, parsed and never executed: the FastCGI backends each
//! `fastcgi_pass` reaches and what nginx applies there (root, SCRIPT_FILENAME,
//! timeouts, allow/deny), the worker `user` and the error logs. Read from
//! files under a [`ConfigRoot`] ([`load`]) or from `nginx -T` ([`parse_dump`]).
//!
//! The tokenizer follows `ngx_conf_read_token` (src/core/ngx_conf_file.c) and
//! inheritance follows each module's merge function. Where nginx would refuse
//! to start, this reader writes a note and reads on, so that one typo does
//! not hide the rest of the configuration.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use serde::Serialize;

use super::{Origin, MAX_DEPTH, MAX_FILE, MAX_FILES};
use crate::sources::files::{self, ConfigRoot};

/// Where packages put the main file: Debian/RHEL, the source build's
/// default prefix, FreeBSD and Homebrew.
const MAIN_FILES: [&str; 3] = [
    "/etc/nginx/nginx.conf",
    "/usr/local/nginx/conf/nginx.conf",
    "/usr/local/etc/nginx/nginx.conf",
];
/// Bounds on work, so that no input makes a run slow or large. A snippet
/// included by every location is read each time (its directives belong to
/// each), hence more reads than files.
const MAX_READS: usize = 8 * MAX_FILES;
const MAX_BYTES: u64 = 4 * MAX_FILE;
/// Deepest block nesting read within one file; real ones nest about six.
const MAX_NESTING: usize = 64;
/// Most blocks, settings and backends kept, and endpoints produced.
const MAX_RECORDS: usize = 500_000;
const MAX_ENDPOINTS: usize = 20_000;
/// Bytes of text the endpoints may hold together: each copies its server's
/// name, root and the like, so one 1 MB `root` and 20000 fastcgi_pass
/// lines held 20 GB. Real endpoints take a few hundred bytes each.
const MAX_ENDPOINT_TEXT: usize = 64 * 1024 * 1024;
const MAX_NOTES: usize = 100;
/// Most directory entries looked at for one glob component.
const MAX_DIR_ENTRIES: usize = 100_000;

/// What fcgi-doctor needs of one nginx configuration.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NginxConfig {
    pub main_file: PathBuf,
    /// Every file read, once each, in the order first read.
    pub files: Vec<PathBuf>,
    /// What could not be read or made sense of, with where.
    pub notes: Vec<String>,
    /// `user`'s first word; None when absent (nginx's compiled-in default,
    /// usually "nobody", is not assumed).
    pub user: Option<String>,
    pub endpoints: Vec<Endpoint>,
    /// `error_log` files. Relative ones are joined to the main file's
    /// directory: nginx joins them to its `-p` prefix (/usr/share/nginx on
    /// Debian), which cannot be known from the files, and they are rare.
    pub error_logs: Vec<PathBuf>,
}

/// One backend a `fastcgi_pass` reaches, with the settings in force there.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Endpoint {
    /// The backend as fcgi-doctor's probe takes it: "unix:/run/php/php8.2-fpm.sock"
    /// for a unix socket, "127.0.0.1:9000" / "[::1]:9000" / "php:9000" for TCP.
    /// A fastcgi_pass naming an `upstream` block gives one Endpoint per
    /// `server` in that block (with `upstream` set). A fastcgi_pass with a
    /// variable ($backend) gives address as written and `dynamic: true`.
    pub address: String,
    pub upstream: Option<String>,
    pub dynamic: bool,
    /// The enclosing server block's first `server_name` and the address of
    /// its first `listen` ("80", "[::]:443"), when written.
    pub server_name: Option<String>,
    pub listen: Option<String>,
    /// The enclosing location as written ("~ \.php$", "= /status"); None
    /// when fastcgi_pass is at server level.
    pub location: Option<String>,
    /// Effective `root`: the innermost level that writes one wins.
    pub root: Option<String>,
    /// Effective `fastcgi_param SCRIPT_FILENAME` as written. nginx takes
    /// fastcgi_param from the outer level ONLY if the current level has none
    /// at all (ngx_http_fastcgi_merge_params); within a level the last one
    /// wins, because php-fpm keeps the last of duplicate params.
    pub script_filename: Option<String>,
    /// Effective fastcgi_read_timeout / fastcgi_connect_timeout in seconds
    /// (rounded up); None when not written (nginx's default is 60).
    pub read_timeout: Option<u64>,
    pub connect_timeout: Option<u64>,
    /// `allow`/`deny` rules in force ("allow 127.0.0.1", "deny all"): those
    /// of the innermost level with any (ngx_http_access_merge_loc_conf).
    /// One list per level, shared by its endpoints: 150k rules and 20000
    /// fastcgi_pass lines copied were 3 billion strings. Written out whole.
    #[serde(serialize_with = "super::serialize_shared")]
    pub access_rules: Rc<Vec<String>>,
    /// Where the fastcgi_pass is written.
    pub origin: Origin,
}

/// The first main file found under `root`.
pub fn find_main(root: &ConfigRoot) -> Option<PathBuf> {
    MAIN_FILES
        .iter()
        .map(PathBuf::from)
        .find(|p| root.file(p).is_file())
}

/// Reads `main` (a host path, read under `root`) and every file it includes.
pub fn load(root: &ConfigRoot, main: &Path) -> NginxConfig {
    Loader::new(Source::Root(root.clone()), main).run(main)
}

/// Reads the output of `nginx -T`: each file after a line
/// `# configuration file PATH:`, the first being the main one. Includes are
/// resolved among the printed files only; text before the first such line
/// (nginx's "syntax is ok") is skipped.
pub fn parse_dump(text: &str) -> NginxConfig {
    match dumped_files(text) {
        Some((main, files)) => Loader::new(Source::Dump(files), &main).run(&main),
        None => NginxConfig {
            notes: vec!["no '# configuration file' line: not the output of nginx -T".into()],
            ..NginxConfig::default()
        },
    }
}

/// The main file and every file of an `nginx -T` dump, by path.
fn dumped_files(text: &str) -> Option<(PathBuf, BTreeMap<PathBuf, String>)> {
    let mut dumped: Vec<(PathBuf, String)> = Vec::new();
    for line in text.split_inclusive('\n') {
        let header = line
            .trim_end_matches(['\n', '\r'])
            .strip_prefix("# configuration file ");
        match (header.and_then(|h| h.strip_suffix(':')), dumped.last_mut()) {
            (Some(path), _) => dumped.push((normalize(Path::new(path)), String::new())),
            (None, Some((_, body))) => body.push_str(line),
            (None, None) => {}
        }
    }
    let main = dumped.first()?.0.clone();
    // nginx -T prints a file once; were one printed twice, the first counts.
    Some((main, dumped.into_iter().rev().collect()))
}

/// One step of the token stream.
#[derive(Debug, PartialEq)]
enum Event {
    /// A directive's words, the line of its first, and whether it opens a
    /// block (`{`) rather than ending with `;`.
    Directive(Vec<String>, u32, bool),
    /// A `}`, and its line.
    BlockEnd(u32),
}

/// ngx_conf_read_token: words split by whitespace, `;` and `{`; `}` and `#`
/// count only between words; quotes only open a word; `${` stays inside one.
struct Lexer<'t> {
    chars: std::str::Chars<'t>,
    line: u32,
    /// Syntax errors since last drained, with their lines (at most MAX_NOTES
    /// a file, so a file of ten million `{` costs no more).
    errors: Vec<(String, u32)>,
    error_count: usize,
}

impl<'t> Lexer<'t> {
    fn new(text: &'t str) -> Self {
        Lexer {
            chars: text.chars(),
            line: 1,
            errors: Vec::new(),
            error_count: 0,
        }
    }

    fn error(&mut self, message: impl FnOnce() -> String) {
        self.error_count += 1;
        if self.error_count <= MAX_NOTES {
            self.errors.push((message(), self.line));
        }
    }

    /// The next directive or `}`; None at the end of the text. Iterative, so
    /// neither nesting nor size can exhaust the stack.
    fn next_event(&mut self) -> Option<Event> {
        let mut args: Vec<String> = Vec::new();
        let mut word = String::new();
        let mut line = self.line;
        let mut in_word = false;
        let mut quote: Option<char> = None;
        let (mut need_space, mut escaped, mut variable, mut comment) = (false, false, false, false);
        while let Some(ch) = self.chars.next() {
            if ch == '\n' {
                self.line = self.line.saturating_add(1);
                comment = false;
            }
            if comment {
                continue;
            }
            if escaped {
                escaped = false;
                word.push(ch);
                continue;
            }
            if need_space {
                // After a closing quote nginx wants a separator; `)` may
                // follow directly, as in `if ($a = "b")`.
                need_space = false;
                match ch {
                    ' ' | '\t' | '\r' | '\n' => continue,
                    ';' | '{' => return Some(Event::Directive(args, line, ch == '{')),
                    ')' => {}
                    _ => self.error(|| format!("unexpected '{ch}' after a quoted word")),
                }
            }
            if !in_word {
                match ch {
                    ' ' | '\t' | '\r' | '\n' => continue,
                    '#' => {
                        comment = true;
                        continue;
                    }
                    ';' if args.is_empty() => {
                        self.error(|| "unexpected ';'".into());
                        continue;
                    }
                    '{' if args.is_empty() => {
                        // Still a block, so that its `}` pairs with it.
                        self.error(|| "unexpected '{'".into());
                        return Some(Event::Directive(args, self.line, true));
                    }
                    ';' | '{' => return Some(Event::Directive(args, line, ch == '{')),
                    '}' => {
                        if !args.is_empty() {
                            self.error(|| "unexpected '}' (a ';' is missing before)".into());
                        }
                        return Some(Event::BlockEnd(self.line));
                    }
                    _ => {}
                }
                if args.is_empty() {
                    line = self.line;
                }
                in_word = true;
                variable = false;
                word.clear();
                if ch == '"' || ch == '\'' {
                    quote = Some(ch);
                    continue;
                }
            }
            if ch == '{' && variable {
                word.push(ch);
                continue;
            }
            variable = false;
            match (ch, quote) {
                ('\\', _) => {
                    escaped = true;
                    word.push(ch);
                }
                ('$', _) => {
                    variable = true;
                    word.push(ch);
                }
                (c, Some(q)) if c == q => {
                    quote = None;
                    need_space = true;
                    in_word = false;
                    args.push(unescape(&word));
                }
                (_, Some(_)) => word.push(ch),
                (' ' | '\t' | '\r' | '\n' | ';' | '{', None) => {
                    in_word = false;
                    args.push(unescape(&word));
                    if ch == ';' || ch == '{' {
                        return Some(Event::Directive(args, line, ch == '{'));
                    }
                }
                _ => word.push(ch),
            }
        }
        if quote.is_some() {
            self.error(|| format!("unterminated quote in the word from line {line}"));
        } else if in_word || !args.is_empty() {
            self.error(|| "unexpected end of file, expecting ';' or '}'".into());
        }
        None
    }
}

/// nginx's unescaping of a finished word: `\"`, `\'`, `\\`, `\t`, `\r`, `\n`;
/// any other backslash stays (`\.php$` is a regex).
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let replaced = match (c, chars.peek()) {
            ('\\', Some(&n @ ('"' | '\'' | '\\'))) => Some(n),
            ('\\', Some('t')) => Some('\t'),
            ('\\', Some('r')) => Some('\r'),
            ('\\', Some('n')) => Some('\n'),
            _ => None,
        };
        match replaced {
            Some(r) => {
                chars.next();
                out.push(r);
            }
            None => out.push(c),
        }
    }
    out
}

/// The kind of block a directive is in; only some kinds are interpreted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Kind {
    #[default]
    Main,
    Http,
    Server,
    Location,
    If,
    Upstream,
    /// stream and mail: no FastCGI there; only `error_log` is read.
    Foreign,
    /// events, map, types, geo, limit_except, ...: only `include` is followed
    /// (map and types accept it).
    Opaque,
}

/// The block being read: its kind, and its index in `scopes` (or in
/// `upstreams` for an upstream block; the enclosing scope's for others).
#[derive(Clone, Copy, Debug)]
struct Frame {
    kind: Kind,
    id: usize,
}

/// One main/http/server/location/if level and what it writes itself.
#[derive(Default)]
struct Scope {
    kind: Kind,
    /// Always a smaller index, so walking up ends.
    parent: Option<usize>,
    /// A location's arguments as written, or a server's first name.
    label: Option<String>,
    listen: Option<String>,
    root: Option<String>,
    /// Whether it writes any fastcgi_param, and its last SCRIPT_FILENAME:
    /// all an endpoint takes of them, so no endpoint looks through the list.
    has_params: bool,
    script_filename: Option<String>,
    read_timeout: Option<u64>,
    connect_timeout: Option<u64>,
    /// Only this scope holds it while files are read; endpoints share it.
    access: Rc<Vec<String>>,
}

/// A `fastcgi_pass`, resolved once every file is read: nginx lets an
/// upstream, a root or a param be written after it.
struct Pass {
    target: String,
    scope: usize,
    origin: Origin,
}

/// Where the text of a file comes from.
enum Source {
    Root(ConfigRoot),
    /// The files an `nginx -T` dump printed, by the path it names.
    Dump(BTreeMap<PathBuf, String>),
}

struct Loader {
    source: Source,
    /// nginx's conf prefix: the main file's directory, which relative
    /// `include`s are joined to (ngx_conf_full_name).
    prefix: PathBuf,
    config: NginxConfig,
    scopes: Vec<Scope>,
    /// Each upstream's name and servers.
    upstreams: Vec<(String, Vec<String>)>,
    passes: Vec<Pass>,
    /// The files being read, outermost first: an include of one is a cycle.
    chain: Vec<PathBuf>,
    seen: BTreeSet<PathBuf>,
    /// Each include pattern's matches: files do not change while they are
    /// read, and a pattern met on every read of N files would list N names
    /// each time.
    globbed: HashMap<PathBuf, Rc<[PathBuf]>>,
    /// Work done so far: includes followed, bytes, and blocks and settings kept.
    spent: (usize, u64, usize),
    /// Bytes of text in the endpoints kept, against MAX_ENDPOINT_TEXT; past
    /// it, as past MAX_ENDPOINTS, no endpoint is made.
    endpoint_text: usize,
    /// Whether a limit has been hit (said once).
    limited: bool,
}

impl Loader {
    fn new(source: Source, main: &Path) -> Self {
        let prefix = normalize(main)
            .parent()
            .map_or_else(|| "/".into(), Path::to_path_buf);
        let config = NginxConfig {
            main_file: main.to_path_buf(),
            ..NginxConfig::default()
        };
        Loader {
            source,
            prefix,
            config,
            scopes: vec![Scope::default()],
            upstreams: Vec::new(),
            passes: Vec::new(),
            chain: Vec::new(),
            seen: BTreeSet::new(),
            globbed: HashMap::new(),
            spent: (0, 0, 0),
            endpoint_text: 0,
            limited: false,
        }
    }

    fn run(mut self, main: &Path) -> NginxConfig {
        let base = Frame {
            kind: Kind::Main,
            id: 0,
        };
        self.include_file(&normalize(main), base, 0, None);
        for pass in std::mem::take(&mut self.passes) {
            self.resolve(pass);
        }
        self.config
    }

    /// Keeps a note unless it was said already or MAX_NOTES are there.
    fn note(&mut self, text: String) {
        let notes = &mut self.config.notes;
        if notes.contains(&text) {
            return;
        }
        match notes.len() {
            n if n < MAX_NOTES => notes.push(text),
            MAX_NOTES => notes.push("further notes left out".into()),
            _ => {}
        }
    }

    /// Says once that a limit was reached; later work is skipped quietly.
    /// This note is kept even when the others were cut: without it, nothing
    /// would say the configuration was read only in part.
    fn limit(&mut self, what: String) {
        if !std::mem::replace(&mut self.limited, true) {
            self.config
                .notes
                .push(format!("{what}; the rest is not read"));
        }
    }

    /// Counts one include followed; false (said once) past the budget.
    fn budget(&mut self) -> bool {
        self.spent.0 += 1;
        if self.spent.0 > MAX_READS || self.spent.1 > MAX_BYTES {
            self.limit(format!(
                "more than {MAX_READS} includes or {MAX_BYTES} bytes"
            ));
        }
        !self.limited
    }

    /// Whether one more block, setting or backend may be kept.
    fn admit(&mut self) -> bool {
        self.spent.2 += 1;
        if self.spent.2 > MAX_RECORDS {
            self.limit(format!("more than {MAX_RECORDS} blocks and settings"));
        }
        self.spent.2 <= MAX_RECORDS
    }

    /// A file's text, and whether it is whole (not cut at MAX_FILE).
    fn read(&self, path: &Path) -> Result<(String, bool), String> {
        match &self.source {
            Source::Root(root) => {
                let mut bytes = files::read_regular(&root.file(path), MAX_FILE + 1)
                    .map_err(|e| e.to_string())?;
                let whole = bytes.len() as u64 <= MAX_FILE;
                bytes.truncate(MAX_FILE as usize);
                Ok((String::from_utf8_lossy(&bytes).into_owned(), whole))
            }
            Source::Dump(files) => files
                .get(path)
                .map(|text| (text.clone(), true))
                .ok_or_else(|| "not among the files nginx -T printed".into()),
        }
    }

    /// Reads one file in place: its directives belong to `base`.
    fn include_file(&mut self, path: &Path, base: Frame, depth: u8, from: Option<&Origin>) {
        // Counted before anything else, so that an include met on every
        // read of many files costs at most MAX_READS steps.
        if !self.budget() {
            return;
        }
        let at = || {
            from.map(|o| format!(" (included at {o})"))
                .unwrap_or_default()
        };
        let shown = path.display();
        if depth > MAX_DEPTH {
            return self.note(format!(
                "{shown} not read{}: includes nest over {MAX_DEPTH} deep",
                at()
            ));
        }
        if self.chain.iter().any(|p| p == path) {
            return self.note(format!("include cycle: {shown} includes itself{}", at()));
        }
        if !self.seen.contains(path) && self.seen.len() >= MAX_FILES {
            return self.limit(format!("more than {MAX_FILES} files"));
        }
        let (text, whole) = match self.read(path) {
            Ok(read) => read,
            Err(e) => return self.note(format!("cannot read {shown}{}: {e}", at())),
        };
        if !whole {
            self.note(format!(
                "{shown} is over {MAX_FILE} bytes; only its start was read"
            ));
        }
        self.spent.1 += text.len() as u64;
        if self.seen.insert(path.to_path_buf()) {
            self.config.files.push(path.to_path_buf());
        }
        self.chain.push(path.to_path_buf());
        self.parse(&text, path, base, depth);
        self.chain.pop();
    }

    /// One file's directives and blocks, with an explicit stack: braces pair
    /// within a file, as nginx's ngx_conf_parse requires.
    fn parse(&mut self, text: &str, file: &Path, base: Frame, depth: u8) {
        let at = |line: u32| Origin {
            file: file.to_path_buf(),
            line,
        };
        let mut lexer = Lexer::new(text);
        let mut stack = vec![base];
        // Blocks past MAX_NESTING are counted, not read, so braces still pair.
        let mut skipped = 0usize;
        loop {
            let event = lexer.next_event();
            for (message, line) in lexer.errors.drain(..) {
                self.note(format!("{message} at {}", at(line)));
            }
            let Some(event) = event else { break };
            let top = stack.last().copied().unwrap_or(base);
            match event {
                Event::Directive(args, line, false) if skipped == 0 => {
                    self.directive(top, &args, at(line), depth)
                }
                Event::Directive(args, ..) if skipped == 0 && stack.len() < MAX_NESTING => {
                    stack.push(self.open(top, &args));
                }
                Event::Directive(_, line, block) => {
                    if skipped == 0 && block {
                        let at = at(line);
                        self.note(format!(
                            "blocks nest over {MAX_NESTING} deep at {at}; inner ones not read"
                        ));
                    }
                    skipped += usize::from(block);
                }
                Event::BlockEnd(_) if skipped > 0 => skipped -= 1,
                Event::BlockEnd(line) if stack.len() <= 1 => {
                    self.note(format!("unexpected '}}' at {}", at(line)))
                }
                Event::BlockEnd(_) => {
                    stack.pop();
                }
            }
        }
        if stack.len() > 1 || skipped > 0 {
            self.note(format!(
                "unexpected end of file in {}, expecting '}}'",
                file.display()
            ));
        }
    }

    /// The frame of a block opened inside `top`.
    fn open(&mut self, top: Frame, args: &[String]) -> Frame {
        let kind = match (top.kind, args.first().map_or("", String::as_str)) {
            (Kind::Main, "http") => Kind::Http,
            (Kind::Main, "stream" | "mail") | (Kind::Foreign, _) => Kind::Foreign,
            (Kind::Http, "server") => Kind::Server,
            (Kind::Http, "upstream") => Kind::Upstream,
            (Kind::Server | Kind::Location | Kind::If, "location") => Kind::Location,
            (Kind::Server | Kind::Location, "if") => Kind::If,
            _ => Kind::Opaque,
        };
        let interpreted = !matches!(kind, Kind::Foreign | Kind::Opaque);
        if !interpreted || !self.admit() {
            let kind = if interpreted { Kind::Opaque } else { kind };
            return Frame { kind, id: top.id };
        }
        if kind == Kind::Upstream {
            self.upstreams
                .push((args.get(1).cloned().unwrap_or_default(), Vec::new()));
            return Frame {
                kind,
                id: self.upstreams.len() - 1,
            };
        }
        let label = args.get(1..).map(|words| words.join(" "));
        let label = label.filter(|_| kind == Kind::Location);
        let parent = Some(top.id);
        self.scopes.push(Scope {
            kind,
            parent,
            label,
            ..Scope::default()
        });
        Frame {
            kind,
            id: self.scopes.len() - 1,
        }
    }

    fn directive(&mut self, top: Frame, args: &[String], origin: Origin, depth: u8) {
        let (Some(name), Some(value)) = (args.first(), args.get(1)) else {
            return self.include(args, top, &origin, depth);
        };
        let in_http = matches!(
            top.kind,
            Kind::Http | Kind::Server | Kind::Location | Kind::If
        );
        match (name.as_str(), top.kind) {
            ("include", _) => self.include(args, top, &origin, depth),
            ("user", Kind::Main) => self.config.user = Some(value.clone()),
            ("error_log", Kind::Main | Kind::Foreign) => self.error_log(value),
            ("error_log", _) if in_http => self.error_log(value),
            ("server", Kind::Upstream) if self.admit() => {
                if let Some((_, servers)) = self.upstreams.get_mut(top.id) {
                    servers.push(backend_address(value, true));
                }
            }
            ("fastcgi_pass", Kind::Server | Kind::Location | Kind::If) if self.admit() => {
                self.passes.push(Pass {
                    target: value.clone(),
                    scope: top.id,
                    origin,
                });
            }
            ("fastcgi_read_timeout" | "fastcgi_connect_timeout", _) if in_http => {
                self.timeout(top.id, name, value, &origin)
            }
            _ if in_http && self.admit() => self.setting(top.id, args),
            _ => {}
        }
    }

    /// `include` (a lone word is also taken here, to be said wrong).
    fn include(&mut self, args: &[String], top: Frame, origin: &Origin, depth: u8) {
        let pattern = match args {
            [name, pattern] if name == "include" => pattern,
            [name, ..] if name == "include" => {
                return self.note(format!("include at {origin} takes one argument"))
            }
            _ => return,
        };
        if self.limited {
            return;
        }
        let path = normalize(&self.prefix.join(pattern));
        // A glob matching nothing is fine to nginx (GLOB_NOMATCH); a named
        // file that is missing is not.
        let files: Rc<[PathBuf]> = match (is_glob(pattern), self.globbed.get(&path)) {
            (false, _) => Rc::new([path]),
            (true, Some(files)) => Rc::clone(files),
            (true, None) => {
                let files: Rc<[PathBuf]> = self.glob(&path).into();
                self.globbed.insert(path, Rc::clone(&files));
                files
            }
        };
        for file in files.iter() {
            if self.limited {
                break;
            }
            self.include_file(file, top, depth.saturating_add(1), Some(origin));
        }
    }

    fn error_log(&mut self, target: &str) {
        if target == "stderr" || target.starts_with("syslog:") || target.starts_with("memory:") {
            return;
        }
        let path = normalize(&self.prefix.join(target));
        if !self.config.error_logs.contains(&path) && self.admit() {
            self.config.error_logs.push(path);
        }
    }

    fn timeout(&mut self, id: usize, name: &str, value: &str, origin: &Origin) {
        let seconds = parse_seconds(value);
        if seconds.is_none() {
            self.note(format!("{name} {value} at {origin} is not an nginx time"));
        }
        if let Some(scope) = self.scopes.get_mut(id) {
            let slot = match name {
                "fastcgi_read_timeout" => &mut scope.read_timeout,
                _ => &mut scope.connect_timeout,
            };
            *slot = seconds.or(*slot);
        }
    }

    fn setting(&mut self, id: usize, args: &[String]) {
        let (Some(scope), [name, value, rest @ ..]) = (self.scopes.get_mut(id), args) else {
            return;
        };
        let server = scope.kind == Kind::Server;
        match name.as_str() {
            "root" => scope.root = Some(value.clone()),
            "fastcgi_param" => {
                if let Some(v) = rest.first() {
                    scope.has_params = true;
                    if value == "SCRIPT_FILENAME" {
                        scope.script_filename = Some(v.clone());
                    }
                }
            }
            // Never copied: passes are resolved once every file is read.
            "allow" | "deny" => Rc::make_mut(&mut scope.access).push(format!("{name} {value}")),
            "server_name" if server && scope.label.is_none() => {
                scope.label = args.iter().skip(1).find(|n| !n.is_empty()).cloned()
            }
            "listen" if server && scope.listen.is_none() => scope.listen = Some(value.clone()),
            _ => {}
        }
    }

    /// The names in directory `dir`: on disk, or the files and directories
    /// the dumped paths show.
    fn list(&self, dir: &Path) -> BTreeSet<String> {
        let name = |p: &Path| p.as_os_str().to_string_lossy().into_owned();
        match &self.source {
            Source::Root(root) => std::fs::read_dir(root.file(dir))
                .into_iter()
                .flatten()
                .take(MAX_DIR_ENTRIES)
                .flatten()
                .map(|entry| name(Path::new(&entry.file_name())))
                .collect(),
            Source::Dump(files) => files
                .keys()
                .filter_map(|p| p.strip_prefix(dir).ok()?.components().next())
                .map(|c| name(c.as_ref()))
                .collect(),
        }
    }

    fn exists(&self, path: &Path) -> bool {
        match &self.source {
            Source::Root(root) => std::fs::symlink_metadata(root.file(path)).is_ok(),
            Source::Dump(files) => files.contains_key(path),
        }
    }

    /// glob(3), one component at a time (wildcards may stand for
    /// directories too), sorted as glob(3) sorts.
    fn glob(&self, pattern: &Path) -> Vec<PathBuf> {
        let mut found = vec![PathBuf::from("/")];
        for part in pattern.components().skip(1) {
            let part = part.as_os_str().to_string_lossy();
            if !is_glob(&part) {
                found.iter_mut().for_each(|f| f.push(&*part));
                continue;
            }
            let mut next = Vec::new();
            for dir in &found {
                let names = self
                    .list(dir)
                    .into_iter()
                    .filter(|n| name_matches(&part, n));
                next.extend(
                    names
                        .map(|n| dir.join(n))
                        .take(MAX_FILES - next.len().min(MAX_FILES)),
                );
            }
            found = next;
        }
        found.retain(|p| self.exists(p));
        found.sort();
        found
    }

    fn ancestors(&self, id: usize) -> impl Iterator<Item = &Scope> + '_ {
        std::iter::successors(self.scopes.get(id), |s| {
            s.parent.and_then(|p| self.scopes.get(p))
        })
    }

    /// The settings in force at `scope`, each inherited as its module does.
    fn endpoint_at(&self, scope: usize, origin: Origin) -> Endpoint {
        let up = || self.ancestors(scope);
        let server = up().find(|s| s.kind == Kind::Server);
        Endpoint {
            server_name: server.and_then(|s| s.label.clone()),
            listen: server.and_then(|s| s.listen.clone()),
            location: up()
                .find(|s| s.kind == Kind::Location)
                .and_then(|s| s.label.clone()),
            root: up().find_map(|s| s.root.clone()),
            script_filename: up()
                .find(|s| s.has_params)
                .and_then(|s| s.script_filename.clone()),
            read_timeout: up().find_map(|s| s.read_timeout),
            connect_timeout: up().find_map(|s| s.connect_timeout),
            access_rules: up()
                .find(|s| !s.access.is_empty())
                .map(|s| Rc::clone(&s.access))
                .unwrap_or_default(),
            origin,
            ..Endpoint::default()
        }
    }

    fn resolve(&mut self, pass: Pass) {
        // Checked before the endpoint is built: building copies its settings.
        if self.endpoints_full() {
            return;
        }
        let (target, endpoint) = (pass.target, self.endpoint_at(pass.scope, pass.origin));
        let upstream = self
            .upstreams
            .iter()
            .position(|(name, _)| name.eq_ignore_ascii_case(&target));
        match upstream {
            _ if target.contains('$') => {
                _ = self.keep(Endpoint {
                    address: target,
                    dynamic: true,
                    ..endpoint
                })
            }
            Some(u) => {
                let name = self.upstreams[u].0.clone();
                if self.upstreams[u].1.is_empty() {
                    self.note(format!(
                        "upstream {name} (used at {}) has no server",
                        endpoint.origin
                    ));
                }
                // One server at a time: an upstream of 300k servers made
                // every endpoint before MAX_ENDPOINTS was looked at.
                for i in 0..self.upstreams[u].1.len() {
                    let address = self.upstreams[u].1[i].clone();
                    let upstream = Some(name.clone());
                    let e = Endpoint {
                        address,
                        upstream,
                        ..endpoint.clone()
                    };
                    if !self.keep(e) {
                        break;
                    }
                }
            }
            None => {
                if !target.starts_with("unix:") && !has_port(&target) {
                    let at = &endpoint.origin;
                    self.note(format!(
                        "fastcgi_pass {target} at {at} names no upstream and no port"
                    ));
                }
                let address = backend_address(&target, false);
                _ = self.keep(Endpoint {
                    address,
                    ..endpoint
                });
            }
        }
    }

    fn endpoints_full(&self) -> bool {
        self.config.endpoints.len() >= MAX_ENDPOINTS || self.endpoint_text > MAX_ENDPOINT_TEXT
    }

    /// Keeps an endpoint unless MAX_ENDPOINTS or MAX_ENDPOINT_TEXT is
    /// reached (said once); false when it is not kept.
    fn keep(&mut self, e: Endpoint) -> bool {
        let texts = [
            &e.upstream,
            &e.server_name,
            &e.listen,
            &e.location,
            &e.root,
            &e.script_filename,
        ];
        let text = texts.iter().flat_map(|t| t.as_deref()).map(str::len);
        // The access rules are shared in memory but written out with every
        // endpoint: they count for each, so the JSON stays bounded too.
        let rules: usize = e.access_rules.iter().map(String::len).sum();
        let text = text.sum::<usize>() + e.address.len() + e.origin.file.as_os_str().len() + rules;
        if self.config.endpoints.len() >= MAX_ENDPOINTS {
            self.limit(format!("more than {MAX_ENDPOINTS} endpoints"));
            return false;
        }
        // Counted even when refused, so that no later endpoint fits.
        self.endpoint_text = self.endpoint_text.saturating_add(text);
        if self.endpoint_text > MAX_ENDPOINT_TEXT {
            self.limit(format!(
                "endpoints holding more than {MAX_ENDPOINT_TEXT} bytes of settings"
            ));
            return false;
        }
        self.config.endpoints.push(e);
        true
    }
}

/// The backend as the probe takes it: `unix:/p:` (nginx allows the colon)
/// loses its colon; an upstream `server` without a port gets nginx's
/// default 80 (ngx_http_upstream_server).
fn backend_address(text: &str, upstream_server: bool) -> String {
    match text.strip_prefix("unix:") {
        Some(path) => format!("unix:{}", path.strip_suffix(':').unwrap_or(path)),
        None if upstream_server && !has_port(text) => format!("{text}:80"),
        None => text.to_string(),
    }
}

fn has_port(text: &str) -> bool {
    match text.strip_prefix('[') {
        Some(rest) => rest.contains("]:"),
        None => text.contains(':'),
    }
}

/// nginx's time syntax as ngx_parse_time reads it for a millisecond setting:
/// units w d h m s ms, each at most once and largest first ("1m30s"); a bare
/// number is seconds. Rounded up to whole seconds, so 500ms is not 0.
fn parse_seconds(text: &str) -> Option<u64> {
    let (mut step, mut total, mut value, mut valid) = (0u8, 0u64, 0u64, false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(digit) = c.to_digit(10) {
            value = value.checked_mul(10)?.checked_add(u64::from(digit))?;
            valid = true;
            continue;
        }
        let (next, millis) = match c {
            'w' => (1, 604_800_000),
            'd' => (2, 86_400_000),
            'h' => (3, 3_600_000),
            'm' if chars.next_if_eq(&'s').is_some() => (6, 1),
            'm' => (4, 60_000),
            's' => (5, 1000),
            ' ' if step < 5 => (7, 1000),
            _ => return None,
        };
        if next <= step {
            return None;
        }
        step = next;
        total = total.checked_add(value.checked_mul(millis)?)?;
        value = 0;
    }
    let total = total.checked_add(value.checked_mul(1000)?)?;
    valid.then(|| total.div_ceil(1000))
}

/// The characters nginx takes as a glob (ngx_conf_include uses strpbrk).
fn is_glob(text: &str) -> bool {
    text.contains(['*', '?', '['])
}

/// `path` made absolute with `.` and `..` resolved by name, so a fixture
/// root is never left by `include ../../x`.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// fnmatch(3) for one path component: `*`, `?`, `[a-z]`, `[!x]`, `\`; a
/// leading dot must be matched by a dot, as glob(3) wants. Backtracks only
/// to the last `*`, so the work is at most pattern length times name length.
fn name_matches(pattern: &str, name: &str) -> bool {
    if name.starts_with('.') && !pattern.starts_with('.') {
        return false;
    }
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star) = (0, 0, None);
    while let Some(&c) = n.get(ni) {
        if p.get(pi) == Some(&'*') {
            pi += 1;
            star = Some((pi, ni));
            continue;
        }
        match (atom_width(p.get(pi..).unwrap_or_default(), c), star) {
            (Some(w), _) => (pi, ni) = (pi + w, ni + 1),
            (None, Some((sp, sn))) => (star, pi, ni) = (Some((sp, sn + 1)), sp, sn + 1),
            (None, None) => return false,
        }
    }
    p.get(pi..).unwrap_or_default().iter().all(|&c| c == '*')
}

/// The length of the pattern atom at the head of `p` if it matches `c`.
fn atom_width(p: &[char], c: char) -> Option<usize> {
    let ['[', rest @ ..] = p else {
        return match p {
            ['?', ..] => Some(1),
            ['\\', e, ..] => (*e == c).then_some(2),
            [l, ..] => (*l == c).then_some(1),
            [] => None,
        };
    };
    let negate = matches!(rest.first(), Some('!' | '^'));
    let body = rest.get(usize::from(negate)..).unwrap_or_default();
    // A `]` right after the opening is a member, not the end; no `]` at all
    // makes the `[` a plain character.
    let Some(end) = body.iter().skip(1).position(|&x| x == ']').map(|i| i + 1) else {
        return (c == '[').then_some(1);
    };
    let (mut hit, mut set) = (false, body.get(..end).unwrap_or_default());
    while let Some(&lo) = set.first() {
        match set {
            [_, '-', hi, tail @ ..] => (hit, set) = (hit || (lo..=*hi).contains(&c), tail),
            [_, tail @ ..] => (hit, set) = (hit || lo == c, tail),
            [] => break,
        }
    }
    (hit != negate).then_some(2 + usize::from(negate) + end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fixture tree of host paths and texts, and the root that reads it.
    fn tree(files: &[(&str, &[u8])]) -> (tempfile::TempDir, ConfigRoot) {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let file = dir.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, text).unwrap();
        }
        let root = ConfigRoot(dir.path().to_path_buf());
        (dir, root)
    }

    fn main_only(text: &[u8]) -> NginxConfig {
        let (_dir, root) = tree(&[("/etc/nginx/nginx.conf", text)]);
        load(&root, &find_main(&root).unwrap())
    }

    const DEBIAN_MAIN: &str = "user www-data;\nworker_processes auto;\n\
        error_log /var/log/nginx/error.log;\ninclude /etc/nginx/modules-enabled/*.conf;\n\
        events {\n\tworker_connections 768;\n}\nhttp {\n\tinclude /etc/nginx/mime.types;\n\
        \tinclude /etc/nginx/conf.d/*.conf;\n\tinclude /etc/nginx/sites-enabled/*;\n}\n";
    const DEBIAN_SNIPPET: &str =
        "# regex to split $uri to $fastcgi_script_name and $fastcgi_path\n\
        fastcgi_split_path_info ^(.+?\\.php)(/.*)$;\ntry_files $fastcgi_script_name =404;\n\
        set $path_info $fastcgi_path_info;\nfastcgi_param PATH_INFO $path_info;\n\
        fastcgi_index index.php;\ninclude fastcgi.conf;\n";
    const DEBIAN_SITE: &str = "server {\n\tlisten 80 default_server;\n\tlisten [::]:80;\n\
        \troot /var/www/html;\n\tindex index.html index.php;\n\tserver_name _;\n\n\
        \tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n\n\
        \t# pass PHP scripts to FastCGI server\n\tlocation ~ \\.php$ {\n\
        \t\tinclude snippets/fastcgi-php.conf;\n\t\tfastcgi_pass unix:/run/php/php8.2-fpm.sock;\n\t}\n\
        \tlocation ~ /\\.ht {\n\t\tdeny all;\n\t}\n}\n";

    #[test]
    fn debian_layout_reaches_the_socket_with_fastcgi_conf_script_filename() {
        let (_dir, root) = tree(&[
            ("/etc/nginx/nginx.conf", DEBIAN_MAIN.as_bytes()),
            (
                "/etc/nginx/mime.types",
                b"types {\n    text/html html;\n    root x;\n}\n",
            ),
            (
                "/etc/nginx/fastcgi_params",
                b"fastcgi_param  QUERY_STRING  $query_string;\n",
            ),
            (
                "/etc/nginx/fastcgi.conf",
                b"fastcgi_param  SCRIPT_FILENAME  $document_root$fastcgi_script_name;\n\
                  fastcgi_param  QUERY_STRING     $query_string;\n",
            ),
            (
                "/etc/nginx/snippets/fastcgi-php.conf",
                DEBIAN_SNIPPET.as_bytes(),
            ),
            ("/etc/nginx/sites-enabled/default", DEBIAN_SITE.as_bytes()),
        ]);
        let config = load(&root, &find_main(&root).unwrap());
        assert_eq!(config.notes, Vec::<String>::new());
        assert_eq!(config.user.as_deref(), Some("www-data"));
        assert_eq!(config.error_logs, [Path::new("/var/log/nginx/error.log")]);
        assert!(config
            .files
            .contains(&PathBuf::from("/etc/nginx/fastcgi.conf")));
        let [e] = config.endpoints.as_slice() else {
            panic!("{:?}", config.endpoints)
        };
        assert_eq!(e.address, "unix:/run/php/php8.2-fpm.sock");
        assert_eq!(e.location.as_deref(), Some("~ \\.php$"));
        assert_eq!(e.root.as_deref(), Some("/var/www/html"));
        let script = e.script_filename.as_deref();
        assert_eq!(script, Some("$document_root$fastcgi_script_name"));
        assert_eq!(
            (e.server_name.as_deref(), e.listen.as_deref()),
            (Some("_"), Some("80"))
        );
        assert_eq!(e.origin.to_string(), "/etc/nginx/sites-enabled/default:15");
        assert!(!e.dynamic && e.upstream.is_none() && e.access_rules.is_empty());
    }

    #[test]
    fn upstream_servers_timeouts_and_a_status_page_closed_to_the_world() {
        let config = main_only(
            b"http {\n fastcgi_read_timeout 5m;\n server {\n  server_name example.com www.example.com;\n\
              location ~ \\.php$ { fastcgi_pass php; }\n\
              location = /status { allow 127.0.0.1; deny all; fastcgi_pass 127.0.0.1:9000;\n\
                fastcgi_connect_timeout 1m30s; }\n\
              location /x { fastcgi_pass unix:/run/x.sock:; }\n location /d { fastcgi_pass $backend; }\n }\n\
              upstream php { server unix:/run/php/a.sock weight=2; server 127.0.0.1:9000 max_fails=3; }\n}\n",
        );
        assert!(config.notes.is_empty(), "{:?}", config.notes);
        let e = &config.endpoints;
        let addresses: Vec<_> = e.iter().map(|e| e.address.as_str()).collect();
        let want = [
            "unix:/run/php/a.sock",
            "127.0.0.1:9000",
            "127.0.0.1:9000",
            "unix:/run/x.sock",
        ];
        assert_eq!(addresses, [&want[..], &["$backend"]].concat());
        assert_eq!(
            (e[0].upstream.as_deref(), e[1].upstream.as_deref()),
            (Some("php"), Some("php"))
        );
        assert!(e.iter().all(|e| e.read_timeout == Some(300)));
        assert_eq!(e[2].location.as_deref(), Some("= /status"));
        assert_eq!(*e[2].access_rules, ["allow 127.0.0.1", "deny all"]);
        assert_eq!(
            (e[2].connect_timeout, e[0].connect_timeout),
            (Some(90), None)
        );
        assert!(e[0].access_rules.is_empty());
        assert_eq!(e[0].server_name.as_deref(), Some("example.com"));
        assert!(e[4].dynamic && !e[3].dynamic);
    }

    #[test]
    fn fastcgi_param_is_inherited_only_by_levels_that_set_none() {
        let config = main_only(
            b"http {\n fastcgi_param SCRIPT_FILENAME /a$fastcgi_script_name;\n server {\n\
              location /own { fastcgi_param QUERY_STRING $query_string; fastcgi_pass unix:/a.sock; }\n\
              location /none { fastcgi_pass unix:/a.sock; }\n\
              location /twice { fastcgi_param SCRIPT_FILENAME /b; fastcgi_param SCRIPT_FILENAME /c;\n\
                fastcgi_pass unix:/a.sock; }\n } }\n",
        );
        let got: Vec<_> = config
            .endpoints
            .iter()
            .map(|e| e.script_filename.as_deref())
            .collect();
        assert_eq!(got, [None, Some("/a$fastcgi_script_name"), Some("/c")]);
    }

    #[test]
    fn an_nginx_t_dump_is_read_file_by_file() {
        let dump = "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n\
            # configuration file /etc/nginx/nginx.conf:\nuser nginx nginx;\nerror_log logs/error.log;\n\
            http {\n    include conf.d/*.conf;\n    include fastcgi_params;\n}\n\n\
            # configuration file /etc/nginx/conf.d/php.conf:\n\
            server {\n    listen 8080;\n    location / { fastcgi_pass [::1]:9000; }\n}\n";
        let config = parse_dump(dump);
        assert_eq!(config.user.as_deref(), Some("nginx"));
        assert_eq!(config.main_file, Path::new("/etc/nginx/nginx.conf"));
        let php = Path::new("/etc/nginx/conf.d/php.conf");
        assert_eq!(config.files, [Path::new("/etc/nginx/nginx.conf"), php]);
        assert_eq!(config.error_logs, [Path::new("/etc/nginx/logs/error.log")]);
        let [e] = config.endpoints.as_slice() else {
            panic!("{:?}", config.endpoints)
        };
        assert_eq!(
            (e.address.as_str(), e.listen.as_deref()),
            ("[::1]:9000", Some("8080"))
        );
        assert_eq!(
            e.origin,
            Origin {
                file: php.to_path_buf(),
                line: 3
            }
        );
        let [note] = config.notes.as_slice() else {
            panic!("{:?}", config.notes)
        };
        assert!(note.contains("/etc/nginx/fastcgi_params"), "{note}");
        assert!(!parse_dump("not a dump").notes.is_empty());
    }

    #[test]
    fn an_include_cycle_is_a_note_not_a_hang() {
        let (_dir, root) = tree(&[
            ("/etc/nginx/nginx.conf", b"include a.conf;\nuser u;\n"),
            ("/etc/nginx/a.conf", b"include /etc/nginx/./b.conf;\n"),
            ("/etc/nginx/b.conf", b"include ../nginx/a.conf;\n"),
        ]);
        let config = load(&root, Path::new("/etc/nginx/nginx.conf"));
        assert_eq!((config.user.as_deref(), config.files.len()), (Some("u"), 3));
        assert!(
            config.notes.iter().any(|n| n.contains("cycle")),
            "{:?}",
            config.notes
        );
    }

    #[test]
    fn unbalanced_braces_are_notes() {
        let config = main_only(b"http { server { } } }\nuser a;\nhttp {\n");
        assert_eq!(config.user.as_deref(), Some("a"));
        let has = |c: &NginxConfig, text: &str| c.notes.iter().any(|n| n.contains(text));
        assert!(
            has(&config, "unexpected '}' at /etc/nginx/nginx.conf:1"),
            "{:?}",
            config.notes
        );
        assert!(has(&config, "unexpected end of file"));
        let deep = "location / {".repeat(200) + &"}".repeat(200) + "fastcgi_pass unix:/a;";
        let config = main_only(format!("http {{ server {{ {deep} }} }}").as_bytes());
        assert!(has(&config, "nest over 64"), "{:?}", config.notes);
        assert_eq!(
            config.endpoints.len(),
            1,
            "braces still pair past the limit"
        );
    }

    /// Regression guard (fuzz/regressions/nginx_config): every file includes
    /// the glob that lists them all. Each read used to list and walk all N
    /// matches again, seconds of work for a dump of a few KiB, and the
    /// "include cycle" notes crowded out the one saying reading stopped.
    #[test]
    fn an_include_on_every_read_of_many_files_costs_at_most_the_budget() {
        let mut dump = String::from(
            "# configuration file /etc/nginx/nginx.conf:\nhttp { include conf.d/*.conf; }\n",
        );
        for n in 0..1000 {
            dump += &format!(
                "# configuration file /etc/nginx/conf.d/{n}.conf:\ninclude /etc/nginx/conf.d/*.conf;\n"
            );
        }
        let fuzzed =
            include_bytes!("../../../fuzz/regressions/nginx_config/slow-include-fanout-tmin");
        let fuzzed = String::from_utf8_lossy(fuzzed);
        for text in [dump.as_str(), &fuzzed] {
            let (main, files) = dumped_files(text).unwrap();
            let mut loader = Loader::new(Source::Dump(files), &main);
            let base = Frame {
                kind: Kind::Main,
                id: 0,
            };
            loader.include_file(&main, base, 0, None);
            assert!(
                loader.spent.0 <= MAX_READS + 1,
                "{} includes followed",
                loader.spent.0
            );
            assert!(loader.globbed.len() <= 2, "{:?}", loader.globbed.keys());
        }
        let notes = parse_dump(&dump).notes;
        assert!(notes.len() <= MAX_NOTES + 2, "{notes:?}");
        assert!(
            notes.last().unwrap().ends_with("the rest is not read"),
            "{notes:?}"
        );
        let unique: BTreeSet<_> = notes.iter().collect();
        assert_eq!(unique.len(), notes.len(), "a note said twice: {notes:?}");
    }

    /// Regression guard (security audit): every endpoint copied the
    /// allow/deny list in force, so 150k `allow` lines and 20000
    /// fastcgi_pass lines (3.4 MB) aborted at 4 GB. The endpoints of one
    /// level now hold one list between them; JSON still shows it in each.
    #[test]
    fn an_access_list_is_shared_by_its_endpoints_not_copied_into_each() {
        let mut conf = String::from("http {\nserver {\n");
        for i in 0..1000 {
            conf += &format!("allow 10.0.{}.{};\n", i / 256, i % 256);
        }
        conf += "deny all;\n";
        for _ in 0..1000 {
            conf += "fastcgi_pass 127.0.0.1:9000;\n";
        }
        conf += "location /x { deny all; fastcgi_pass unix:/run/x.sock; }\n}\n}\n";
        let (_dir, root) = tree(&[("/etc/nginx/nginx.conf", conf.as_bytes())]);
        let config = load(&root, Path::new("/etc/nginx/nginx.conf"));
        let e = &config.endpoints;
        assert_eq!(e.len(), 1001);
        // Each distinct list counted once: before, 1000 copies of 1001.
        let lists: BTreeMap<_, _> = e
            .iter()
            .map(|x| (x.access_rules.as_ptr(), x.access_rules.len()))
            .collect();
        let held: usize = lists.values().sum();
        assert!(held <= 1002, "{held} rules held for 1002 written");
        assert_eq!(e[999].access_rules.len(), 1001);
        assert_eq!(*e[1000].access_rules, ["deny all"]);
        let json = serde_json::to_value(&e[999]).unwrap();
        assert_eq!(json["access_rules"].as_array().map(Vec::len), Some(1001));
        assert_eq!(json["access_rules"][1000], "deny all");
        assert!(config.notes.is_empty(), "{:?}", config.notes);
    }

    /// Regression guard (security audit): every endpoint copies its level's
    /// root, names and SCRIPT_FILENAME, so one 1 MB `root` and 20000
    /// fastcgi_pass lines aborted at 4 GB. They now hold at most
    /// MAX_ENDPOINT_TEXT between them, and the cut is said once.
    #[test]
    fn endpoints_hold_at_most_their_text_budget() {
        let long = "r".repeat(10_000);
        let mut conf = format!("http {{\nserver {{\nroot /{long};\n");
        for _ in 0..10_000 {
            conf += "fastcgi_pass 127.0.0.1:9000;\n";
        }
        conf += "}\n}\n";
        let (_dir, root) = tree(&[("/etc/nginx/nginx.conf", conf.as_bytes())]);
        let config = load(&root, Path::new("/etc/nginx/nginx.conf"));
        let e = &config.endpoints;
        let roots: usize = e
            .iter()
            .flat_map(|x| x.root.as_ref())
            .map(String::len)
            .sum();
        assert!(
            roots <= MAX_ENDPOINT_TEXT,
            "{roots} bytes of root in {} endpoints",
            e.len()
        );
        assert!(e.len() > 6000, "{} endpoints", e.len());
        let limit = "endpoints holding more than 67108864 bytes of settings; the rest is not read";
        assert_eq!(config.notes, [limit]);
    }

    /// Regression guard: a recursive parser overflows its stack on this.
    #[test]
    fn ten_megabytes_of_open_braces_end() {
        let config = main_only(&vec![b'{'; 10 * 1024 * 1024]);
        assert!(config.notes.len() <= MAX_NOTES + 2);
        assert!(
            config.notes[0].contains("is over 8388608 bytes"),
            "{:?}",
            config.notes
        );
        assert!(config.endpoints.is_empty());
    }

    #[test]
    fn quotes_escapes_comments_and_odd_bytes_are_read_as_nginx_does() {
        let mut lexer = Lexer::new("a \"b c\" 'd\\'e' f#g ${h}i \\\"j #k\n;");
        let Some(Event::Directive(args, ..)) = lexer.next_event() else {
            panic!()
        };
        assert_eq!(args, ["a", "b c", "d'e", "f#g", "${h}i", "\"j"]);
        let config = main_only(b"user \"www data;\nhttp { }\n");
        assert!(config
            .notes
            .iter()
            .any(|n| n.contains("unterminated quote")));
        let config =
            main_only(b"user w\0\xff;\nhttp{server{location /{fastcgi_pass unix:/a\0.sock;}}}");
        assert_eq!(
            (config.endpoints.len(), config.user.as_deref()),
            (1, Some("w\0\u{fffd}"))
        );
        let config = main_only(b"");
        assert!(config.notes.is_empty() && config.endpoints.is_empty() && config.files.len() == 1);
    }

    #[test]
    fn missing_includes_are_notes_and_empty_globs_are_silent() {
        let config = main_only(b"include none/*.conf;\ninclude missing.conf;\ninclude;\n");
        let [missing, lone] = config.notes.as_slice() else {
            panic!("{:?}", config.notes)
        };
        assert!(missing.contains("/etc/nginx/missing.conf (included at /etc/nginx/nginx.conf:2)"));
        assert!(lone.contains("takes one argument"));
        let (_dir, root) = tree(&[]);
        assert_eq!(find_main(&root), None);
        assert!(!load(&root, Path::new("/etc/nginx/nginx.conf"))
            .notes
            .is_empty());
    }

    #[test]
    fn globs_match_as_glob3_does() {
        assert!(name_matches("*.conf", "a.conf") && !name_matches("*.conf", ".a.conf"));
        assert!(name_matches("php[0-9]?.c*f", "php81.conf") && !name_matches("[!p]*", "php"));
        assert!(name_matches("a[]]b", "a]b") && name_matches("[", "[") && !name_matches("a", "ab"));
        let dump = "# configuration file /n.conf:\ninclude /s*/*.conf;\n\
            # configuration file /sites/b.conf:\nuser b;\n# configuration file /sites/a.conf:\nuser a;\n";
        assert_eq!(
            parse_dump(dump).user.as_deref(),
            Some("b"),
            "sorted, then read in order"
        );
    }

    #[test]
    fn nginx_times_read_in_seconds() {
        let good = [
            ("60", 60),
            ("60s", 60),
            ("5m", 300),
            ("1h", 3600),
            ("1m30s", 90),
            ("500ms", 1),
        ];
        for (text, want) in good {
            assert_eq!(parse_seconds(text), Some(want), "{text}");
        }
        for bad in ["30s1m", "abc", "", "5x", "99999999999999999999"] {
            assert_eq!(parse_seconds(bad), None, "{bad}");
        }
    }
}
