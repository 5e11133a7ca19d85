//! The synthetic request: a minimal, complete CGI/1.1 parameter set (RFC 3875
//! §4.1) with `--param` overrides, and nothing from the caller's environment,
//! unlike cgi-fcgi, which forwards all of it.

use crate::core::error::{Error, Result};
use crate::fcgi::Role;

/// What the user asked the request to be, before it is checked.
#[derive(Debug, Default)]
pub struct RequestOptions {
    /// FCGI_BEGIN_REQUEST's role (Responder unless told).
    pub role: Role,
    /// A filter's FCGI_DATA.
    pub data: Vec<u8>,
    /// `--fpm-ping [PATH]`.
    pub fpm_ping: Option<String>,
    /// `--fpm-status`: `uri` is then the status path with `?json`.
    pub fpm_status: bool,
    pub uri: Option<String>,
    pub script_filename: Option<String>,
    pub method: String,
    /// `NAME=VALUE` pairs, as given.
    pub params: Vec<String>,
    pub body: Vec<u8>,
}

/// The request to send: CGI parameters in order, and the body.
#[derive(Debug)]
pub struct RequestSpec {
    pub role: Role,
    pub params: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// FCGI_DATA, for the Filter role.
    pub data: Vec<u8>,
    /// False when the probe picked the script itself (the harmless default): a
    /// "Primary script unknown" then proves the backend works instead of failing.
    pub script_chosen: bool,
    /// Set by `--fpm-ping`, so findings can speak of ping.path.
    pub fpm_ping: bool,
    /// Set by `--fpm-status`: the answer is php-fpm's status JSON.
    pub fpm_status: bool,
}

impl RequestSpec {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn usage(message: String) -> Error {
    Error::Usage(message)
}

/// Checks the options and builds the request.
pub fn build(options: RequestOptions) -> Result<RequestSpec> {
    let RequestOptions {
        role,
        data,
        fpm_ping: ping,
        fpm_status,
        uri: given_uri,
        script_filename,
        method,
        params: overrides,
        body,
    } = options;
    let fpm_ping = ping.is_some();
    let uri = match (&ping, &given_uri) {
        (Some(path), _) => path.clone(),
        (None, Some(uri)) => uri.clone(),
        (None, None) => "/".to_string(),
    };
    if !uri.starts_with('/') {
        return Err(usage(format!("--uri must start with '/': {uri:?}")));
    }
    let (path, query) = uri.split_once('?').unwrap_or((&uri, ""));
    let script_chosen = fpm_ping || given_uri.is_some() || script_filename.is_some();
    // php-fpm recognises ping.path only when SCRIPT_NAME and SCRIPT_FILENAME are both
    // equal to it (fpm_main.c compares SCRIPT_NAME; the request must not 404 first).
    let (filename, document_root) = match &script_filename {
        Some(file) => {
            let root = std::path::Path::new(file)
                .parent()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|| "/".into());
            (file.clone(), root)
        }
        None => (path.to_string(), "/".to_string()),
    };
    let script_name = match (&script_filename, &given_uri) {
        (Some(file), None) => format!(
            "/{}",
            std::path::Path::new(file)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ),
        _ => path.to_string(),
    };
    let request_uri = match (&script_filename, &given_uri) {
        (Some(_), None) => script_name.clone(),
        _ => uri.clone(),
    };
    let method = method.trim();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(usage(format!(
            "--method must be a word such as GET: {method:?}"
        )));
    }
    let content_type = if body.is_empty() {
        ""
    } else {
        "application/x-www-form-urlencoded"
    };
    let agent = concat!("fcgi-doctor/", env!("CARGO_PKG_VERSION"));
    let mut params: Vec<(String, String)> = [
        ("GATEWAY_INTERFACE", "CGI/1.1"),
        ("SERVER_SOFTWARE", agent),
        ("REQUEST_METHOD", &method.to_ascii_uppercase()),
        ("SCRIPT_FILENAME", &filename),
        ("SCRIPT_NAME", &script_name),
        ("REQUEST_URI", &request_uri),
        ("QUERY_STRING", query),
        ("DOCUMENT_ROOT", &document_root),
        ("SERVER_PROTOCOL", "HTTP/1.1"),
        ("SERVER_NAME", "localhost"),
        ("SERVER_ADDR", "127.0.0.1"),
        ("SERVER_PORT", "80"),
        ("REMOTE_ADDR", "127.0.0.1"),
        ("REMOTE_PORT", "0"),
        ("HTTP_HOST", "localhost"),
        ("HTTP_USER_AGENT", agent),
        ("CONTENT_TYPE", content_type),
        ("CONTENT_LENGTH", &body.len().to_string()),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    // The spec's Filter gets the file's length (and its time, unknown here).
    if role == Role::Filter {
        params.push(("FCGI_DATA_LENGTH".into(), data.len().to_string()));
        params.push(("FCGI_DATA_LAST_MOD".into(), "0".into()));
    }
    for param in &overrides {
        let (name, value) = param
            .split_once('=')
            .ok_or_else(|| usage(format!("--param needs NAME=VALUE: {param:?}")))?;
        if name.is_empty() || name.contains('\0') || value.contains('\0') {
            return Err(usage(format!(
                "--param has an empty name or a NUL byte: {param:?}"
            )));
        }
        match params.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value.to_string(),
            None => params.push((name.to_string(), value.to_string())),
        }
    }
    Ok(RequestSpec {
        role,
        params,
        body,
        data,
        script_chosen,
        fpm_ping,
        fpm_status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_sets_script_name_and_filename_alike() {
        let spec = build(RequestOptions {
            fpm_ping: Some("/ping".into()),
            method: "get".into(),
            ..RequestOptions::default()
        })
        .unwrap();
        assert_eq!(spec.param("SCRIPT_NAME"), Some("/ping"));
        assert_eq!(spec.param("SCRIPT_FILENAME"), Some("/ping"));
        assert_eq!(spec.param("REQUEST_METHOD"), Some("GET"));
        assert!(spec.fpm_ping && spec.script_chosen);
    }

    #[test]
    fn params_override_and_bad_ones_are_refused() {
        let spec = build(RequestOptions {
            uri: Some("/a.php?x=1".into()),
            method: "POST".into(),
            params: vec!["HTTP_HOST=example.org".into(), "EXTRA=1".into()],
            body: b"k=v".to_vec(),
            ..RequestOptions::default()
        })
        .unwrap();
        assert_eq!(spec.param("HTTP_HOST"), Some("example.org"));
        assert_eq!(spec.param("EXTRA"), Some("1"));
        assert_eq!(spec.param("QUERY_STRING"), Some("x=1"));
        assert_eq!(spec.param("CONTENT_LENGTH"), Some("3"));
        for bad in ["NOEQUALS", "=x", "A=\0"] {
            let options = RequestOptions {
                method: "GET".into(),
                params: vec![bad.into()],
                ..RequestOptions::default()
            };
            assert!(build(options).is_err(), "{bad}");
        }
    }
}
