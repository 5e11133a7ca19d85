//! What to connect to, parsed from every spelling sysadmins copy from configs:
//! php-fpm `listen`, nginx `fastcgi_pass`, Apache `proxy:unix:...|fcgi://...`.

use std::ffi::OsStr;
use std::fmt;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// Why a target cannot be used, in one line that quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TargetError(pub String);

/// The longest filesystem path a unix socket address can hold: `sun_path` is 108
/// bytes on Linux and the kernel wants room for the terminating NUL.
pub const MAX_UNIX_PATH: usize = 107;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A socket in the filesystem.
    Unix(PathBuf),
    /// A Linux abstract socket (`@name`), which has no file and no permissions.
    Abstract(Vec<u8>),
    /// A host (name or address literal, without brackets) and a port.
    Tcp { host: String, port: u16 },
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Unix(path) => write!(f, "unix:{}", path.display()),
            Target::Abstract(name) => write!(f, "unix:@{}", String::from_utf8_lossy(name)),
            Target::Tcp { host, port } if host.contains(':') => write!(f, "[{host}]:{port}"),
            Target::Tcp { host, port } => write!(f, "{host}:{port}"),
        }
    }
}

impl Target {
    /// `unix`, `abstract` or `tcp`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Unix(_) => "unix",
            Target::Abstract(_) => "abstract",
            Target::Tcp { .. } => "tcp",
        }
    }

    /// Parses any spelling of a target (see the module header).
    pub fn parse(raw: &OsStr) -> Result<Self, TargetError> {
        let bytes = raw.as_bytes();
        let shown = String::from_utf8_lossy(bytes);
        let err = |why: &str| TargetError(format!("target {shown:?}: {why}"));
        if bytes.is_empty() {
            return Err(err("empty"));
        }
        if bytes.contains(&0) {
            return Err(err("contains a NUL byte"));
        }
        if let Some(rest) = bytes.strip_prefix(b"unix:") {
            // nginx writes `unix:/path:` when a URI could follow; Apache writes
            // `unix:/path|fcgi://localhost/`.
            let rest = rest.split(|&b| b == b'|').next().unwrap_or_default();
            let rest = rest.strip_suffix(b":").unwrap_or(rest);
            return Self::unix(rest, &err);
        }
        if bytes.starts_with(b"/") || bytes.starts_with(b"./") || bytes.starts_with(b"../") {
            return Self::unix(bytes, &err);
        }
        if bytes.starts_with(b"@") {
            return Self::unix(bytes, &err);
        }
        let text = std::str::from_utf8(bytes).map_err(|_| err("not valid UTF-8"))?;
        for scheme in ["tcp://", "fcgi://"] {
            if let Some(rest) = text.strip_prefix(scheme) {
                // Apache's fcgi://host:port/docroot/$1 carries a path after the port.
                let authority = rest.split('/').next().unwrap_or_default();
                return Self::tcp(authority, &err);
            }
        }
        if text.contains("://") {
            return Err(err("unknown scheme (use unix:, tcp:// or fcgi://)"));
        }
        if !text.contains(':') {
            // symlink_metadata: a dangling link or a link loop is still a
            // path, and the probe says what is wrong with it.
            if std::fs::symlink_metadata(text).is_ok() {
                return Self::unix(bytes, &err);
            }
            return Err(err(
                "neither an existing socket path nor host:port (a TCP target needs a port, e.g. localhost:9000)",
            ));
        }
        Self::tcp(text, &err)
    }

    fn unix(path: &[u8], err: &dyn Fn(&str) -> TargetError) -> Result<Self, TargetError> {
        if let Some(name) = path.strip_prefix(b"@") {
            if name.is_empty() {
                return Err(err("empty abstract socket name"));
            }
            if name.len() > MAX_UNIX_PATH {
                return Err(err("abstract socket name longer than 107 bytes"));
            }
            return Ok(Target::Abstract(name.to_vec()));
        }
        if path.is_empty() {
            return Err(err("empty socket path"));
        }
        if path.len() > MAX_UNIX_PATH {
            return Err(err(&format!(
                "socket path is {} bytes, but unix sockets hold at most {MAX_UNIX_PATH} \
                 (sun_path): no server can listen there, use a shorter path",
                path.len()
            )));
        }
        Ok(Target::Unix(PathBuf::from(OsStr::from_bytes(path))))
    }

    fn tcp(authority: &str, err: &dyn Fn(&str) -> TargetError) -> Result<Self, TargetError> {
        let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
            let (host, after) = rest
                .split_once(']')
                .ok_or_else(|| err("missing ']' after an IPv6 address"))?;
            let port = after
                .strip_prefix(':')
                .ok_or_else(|| err("missing :port after the IPv6 address"))?;
            (host, port)
        } else {
            let (host, port) = authority
                .rsplit_once(':')
                .ok_or_else(|| err("missing :port"))?;
            if host.contains(':') {
                return Err(err("IPv6 addresses need brackets: [::1]:9000"));
            }
            (host, port)
        };
        let port: u16 = port
            .parse()
            .ok()
            .filter(|&p| p != 0)
            .ok_or_else(|| err(&format!("port must be 1-65535, not {port:?}")))?;
        // cgi-fcgi reads ":9000" as localhost:9000; so do we.
        let host = if host.is_empty() { "localhost" } else { host };
        if host.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(err("host contains spaces or control characters"));
        }
        Ok(Target::Tcp {
            host: host.to_string(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Target, String> {
        Target::parse(OsStr::new(s)).map_err(|e| e.0)
    }

    fn tcp(host: &str, port: u16) -> Target {
        Target::Tcp {
            host: host.into(),
            port,
        }
    }

    #[test]
    fn every_spelling_of_a_unix_socket() {
        let want = Ok(Target::Unix("/run/php/fpm.sock".into()));
        assert_eq!(parse("/run/php/fpm.sock"), want);
        assert_eq!(parse("unix:/run/php/fpm.sock"), want);
        assert_eq!(parse("unix:/run/php/fpm.sock:"), want);
        assert_eq!(parse("unix:/run/php/fpm.sock|fcgi://localhost/"), want);
        assert_eq!(parse("./x.sock"), Ok(Target::Unix("./x.sock".into())));
        assert_eq!(parse("@fpm"), Ok(Target::Abstract(b"fpm".to_vec())));
        assert_eq!(parse("unix:@fpm"), Ok(Target::Abstract(b"fpm".to_vec())));
    }

    #[test]
    fn every_spelling_of_a_tcp_target() {
        assert_eq!(parse("127.0.0.1:9000"), Ok(tcp("127.0.0.1", 9000)));
        assert_eq!(parse("tcp://localhost:9000"), Ok(tcp("localhost", 9000)));
        assert_eq!(parse("fcgi://php:9000/var/www/$1"), Ok(tcp("php", 9000)));
        assert_eq!(parse("[::1]:9000"), Ok(tcp("::1", 9000)));
        assert_eq!(parse(":9000"), Ok(tcp("localhost", 9000)));
        assert_eq!(tcp("::1", 9000).to_string(), "[::1]:9000");
    }

    #[test]
    fn bad_targets_say_what_is_wrong() {
        for (input, needle) in [
            ("", "empty"),
            ("unix:", "empty socket path"),
            ("localhost", "needs a port"),
            ("host:0", "1-65535"),
            ("host:70000", "1-65535"),
            ("host:http", "1-65535"),
            ("::1:9000", "brackets"),
            ("[::1", "']'"),
            ("[::1]9000", ":port"),
            ("http://x:80", "unknown scheme"),
            ("@", "abstract"),
        ] {
            let e = parse(input).unwrap_err();
            assert!(e.contains(needle), "{input}: {e}");
        }
    }

    #[test]
    fn path_longer_than_sun_path_is_a_clear_error() {
        let long = format!("/tmp/{}", "a".repeat(200));
        let e = parse(&long).unwrap_err();
        assert!(e.contains("at most 107"), "{e}");
        let fits = format!("/{}", "a".repeat(MAX_UNIX_PATH - 1));
        assert!(parse(&fits).is_ok());
    }
}
