//! Naming the protocol of a peer that is not FastCGI, from its first bytes.

/// A short description of what `bytes` look like, for a finding's message.
pub fn describe(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(80)]);
    let first_line = crate::core::sanitize::escape(text.lines().next().unwrap_or_default());
    let known = [
        (&b"HTTP/"[..], "HTTP"),
        (b"SSH-", "SSH"),
        (b"220 ", "SMTP or FTP"),
        (b"220-", "SMTP or FTP"),
        (b"+OK", "POP3 or Redis"),
        (b"-ERR", "Redis"),
        (b"* OK", "IMAP"),
        (b"RFB ", "VNC"),
    ];
    for (prefix, name) in known {
        if bytes.starts_with(prefix) {
            return format!("{name}: \"{first_line}\"");
        }
    }
    if bytes.len() >= 2 && matches!(bytes[0], 0x15 | 0x16) && bytes[1] == 0x03 {
        return "TLS (a TLS record header: the peer expects an encrypted connection)".into();
    }
    if bytes.len() > 4 && bytes[4] == 0x0a && bytes[..4].iter().all(|&b| b < 0x10) {
        return "MySQL (a server greeting packet)".into();
    }
    let printable = bytes
        .iter()
        .take(16)
        .all(|&b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    if printable {
        format!("text: \"{first_line}\"")
    } else {
        let hex: Vec<String> = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
        format!("unknown binary data: {}", hex.join(" "))
    }
}

/// Whether the answer is from an HTTP server.
pub fn is_http(bytes: &[u8]) -> bool {
    bytes.starts_with(b"HTTP/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_common_protocols() {
        assert_eq!(
            describe(b"HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n"),
            "HTTP: \"HTTP/1.1 400 Bad Request\""
        );
        assert!(describe(b"SSH-2.0-OpenSSH_9.2\r\n").starts_with("SSH"));
        assert!(describe(&[0x15, 0x03, 0x01, 0x00, 0x02]).starts_with("TLS"));
        assert!(describe(b"-ERR unknown command\r\n").starts_with("Redis"));
        assert_eq!(describe(&[0xff, 0x00]), "unknown binary data: ff 00");
    }

    #[test]
    fn control_characters_are_escaped() {
        let d = describe(b"hello \x1b[31mred");
        assert!(!d.contains('\x1b'), "{d}");
    }
}
