//! The CGI response carried by FCGI_STDOUT (RFC 3875 §6): a header block, an
//! empty line, then the body.

/// A parsed CGI header block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CgiResponse {
    /// From `Status:`; 302 with only `Location:`; 200 otherwise (RFC 3875 §6.3.3).
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Where the body starts in the stdout bytes.
    pub body_offset: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CgiError {
    /// No empty line ends the header block within the bytes seen.
    NoHeaderEnd,
    /// A line is not `Name: value`.
    MalformedLine(String),
    /// `Status:` without a three-digit code.
    BadStatus(String),
}

/// Parses the header block at the start of `stdout`. Lines may end in CRLF or
/// LF: RFC 3875 says CRLF, but php-fpm, flup and most scripts are read by web
/// servers that accept both.
pub fn parse(stdout: &[u8]) -> Result<CgiResponse, CgiError> {
    let mut headers = Vec::new();
    let mut pos = 0;
    loop {
        let Some(nl) = stdout[pos..].iter().position(|&b| b == b'\n') else {
            return Err(CgiError::NoHeaderEnd);
        };
        let raw = &stdout[pos..pos + nl];
        pos += nl + 1;
        let line = raw.strip_suffix(b"\r").unwrap_or(raw);
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(line);
        let Some((name, value)) = text.split_once(':') else {
            return Err(CgiError::MalformedLine(text.into_owned()));
        };
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_!#$%&'*+.^`|~".contains(&b));
        if !valid_name {
            return Err(CgiError::MalformedLine(text.into_owned()));
        }
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let header = |wanted: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(wanted))
            .map(|(_, v)| v.as_str())
    };
    let status = match header("Status") {
        Some(value) => {
            let code = value.split_whitespace().next().unwrap_or_default();
            match code.parse::<u16>() {
                Ok(n) if code.len() == 3 && (100..=599).contains(&n) => n,
                _ => return Err(CgiError::BadStatus(value.to_string())),
            }
        }
        None if header("Location").is_some() => 302,
        None => 200,
    };
    Ok(CgiResponse {
        status,
        headers,
        body_offset: pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_fpm_404_with_crlf() {
        let out = b"Status: 404 Not Found\r\nContent-type: text/html; charset=UTF-8\r\n\r\nFile not found.\n";
        let r = parse(out).unwrap();
        assert_eq!(r.status, 404);
        assert_eq!(
            r.headers[1],
            ("Content-type".into(), "text/html; charset=UTF-8".into())
        );
        assert_eq!(&out[r.body_offset..], b"File not found.\n");
    }

    #[test]
    fn status_defaults_to_200_and_location_to_302() {
        assert_eq!(
            parse(b"Content-Type: text/plain\n\nok").unwrap().status,
            200
        );
        assert_eq!(parse(b"Location: /login\n\n").unwrap().status, 302);
        assert_eq!(parse(b"status: 503 busy\n\n").unwrap().status, 503);
    }

    #[test]
    fn missing_end_and_bad_lines_are_errors() {
        assert_eq!(parse(b"hello world"), Err(CgiError::NoHeaderEnd));
        assert_eq!(parse(b"Content-Type: x\r\n"), Err(CgiError::NoHeaderEnd));
        assert_eq!(
            parse(b"<html>\n\n"),
            Err(CgiError::MalformedLine("<html>".into()))
        );
        assert_eq!(
            parse(b"Bad Name: x\n\n"),
            Err(CgiError::MalformedLine("Bad Name: x".into()))
        );
        assert_eq!(
            parse(b"Status: OK\n\n"),
            Err(CgiError::BadStatus("OK".into()))
        );
        assert_eq!(
            parse(b"Status: 42\n\n"),
            Err(CgiError::BadStatus("42".into()))
        );
    }

    #[test]
    fn empty_header_block_is_allowed() {
        let r = parse(b"\r\nbody").unwrap();
        assert_eq!((r.status, r.body_offset), (200, 2));
    }
}
