//! `spawn`'s pre-flight: what stops a FastCGI application from starting
//! before any web server is involved, and what its run said. Facts in (the
//! script's start, owners and modes), findings out.

use std::path::Path;

use super::path_access::bits_for;
use crate::core::finding::Finding;
use crate::core::registry::codes;
use crate::sources::nss::{group_name, user_name};
use crate::sources::paths::{mode_string, PathFacts};
use crate::sources::webuser::Credentials;

/// The PATH a web server gives the applications it starts: not yours.
pub const WEB_SERVER_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// What the file's first bytes say it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// An ELF binary.
    Binary,
    /// `#!` with the interpreter, its optional argument, and whether the line
    /// ends in CR (a file saved with Windows line ends).
    Shebang {
        interpreter: String,
        argument: Option<String>,
        crlf: bool,
    },
    /// A UTF-8 byte order mark before `#!`.
    BomShebang,
    /// Neither: the kernel cannot run it (ENOEXEC).
    Unknown,
}

/// Reads what the first line of a file says.
pub fn start_of(head: &[u8]) -> Start {
    if head.starts_with(b"\x7fELF") {
        return Start::Binary;
    }
    if head.starts_with(b"\xef\xbb\xbf#!") {
        return Start::BomShebang;
    }
    let Some(rest) = head.strip_prefix(b"#!") else {
        return Start::Unknown;
    };
    let line = rest.split(|&b| b == b'\n').next().unwrap_or_default();
    let crlf = line.ends_with(b"\r");
    let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line)).into_owned();
    let mut words = line.trim().splitn(2, [' ', '\t']);
    let interpreter = words.next().unwrap_or_default().to_string();
    let argument = words
        .next()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty());
    Start::Shebang {
        interpreter,
        argument,
        crlf,
    }
}

/// The findings that keep `script` from starting as `user` (`creds`): the
/// path, the modes, the `#!` line and its interpreter. `head` is the file's
/// first bytes; `exists` tells whether a path is a file the user's kernel
/// would find.
pub fn preflight(
    script: &Path,
    head: &[u8],
    user: &str,
    creds: &Credentials,
    paths: &dyn PathFacts,
    exists: impl Fn(&Path) -> bool,
) -> Vec<Finding> {
    let subject = script.display().to_string();
    let mut findings = Vec::new();
    // Every directory on the way needs search permission, the file execute
    // (and read, for a script the interpreter opens).
    if creds.uid != 0 {
        for dir in script
            .ancestors()
            .skip(1)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if let Ok(owner) = paths.owner(dir) {
                if bits_for(creds, &owner) & 1 == 0 {
                    findings.push(
                        Finding::new(
                            &codes::SPAWN_NOT_EXECUTABLE,
                            &subject,
                            format!(
                                "the directory {} ({} {}:{}) gives {user} no search permission",
                                dir.display(),
                                mode_string('d', owner.mode),
                                user_name(owner.uid),
                                group_name(owner.gid)
                            ),
                        )
                        .with_fix(format!(
                            "chmod o+x {} (or give {user} a group that may pass)",
                            dir.display()
                        )),
                    );
                    return findings;
                }
            }
        }
    }
    let start = start_of(head);
    if let Ok(owner) = paths.owner(script) {
        let bits = if creds.uid == 0 {
            // Root may read anything but runs only what someone may run.
            4 | u32::from(owner.mode & 0o111 != 0)
        } else {
            bits_for(creds, &owner)
        };
        let script_needs_read = !matches!(start, Start::Binary);
        if bits & 1 == 0 || (script_needs_read && bits & 4 == 0) {
            findings.push(
                Finding::new(
                    &codes::SPAWN_NOT_EXECUTABLE,
                    &subject,
                    format!(
                        "{} is {}: {user} may not {}",
                        script.display(),
                        mode_string('-', owner.mode),
                        if bits & 1 == 0 {
                            "execute it"
                        } else {
                            "read it"
                        }
                    ),
                )
                .with_fix(format!(
                    "chmod 755 {} (a script must be readable as well as executable)",
                    script.display()
                )),
            );
        }
        if owner.mode & 0o002 != 0 {
            findings.push(Finding::new(
                &codes::SPAWN_WORLD_WRITABLE,
                &subject,
                format!(
                    "{} is {}: any local user may change what the web server runs",
                    script.display(),
                    mode_string('-', owner.mode)
                ),
            ));
        }
    }
    match start {
        Start::Binary => {}
        Start::Unknown => findings.push(Finding::new(
            &codes::SPAWN_NO_SHEBANG,
            &subject,
            "the file starts with neither '#!' nor a binary's header: the kernel cannot run it \
             (exec format error)",
        )),
        Start::BomShebang => findings.push(Finding::new(
            &codes::SPAWN_BAD_SHEBANG,
            &subject,
            "a UTF-8 byte order mark comes before '#!', so the kernel does not see the '#!' \
             line (exec format error)",
        )),
        Start::Shebang {
            interpreter,
            argument,
            crlf,
        } => {
            if crlf {
                let asked = match &argument {
                    Some(a) => format!("{a}\\r"),
                    None => format!("{interpreter}\\r"),
                };
                findings.push(
                    Finding::new(
                        &codes::SPAWN_BAD_SHEBANG,
                        &subject,
                        format!(
                            "the '#!' line ends in a carriage return (Windows line ends): the \
                             kernel looks for '{asked}', which does not exist, and says \"No \
                             such file or directory\" for a file that plainly exists"
                        ),
                    )
                    .with_fix(format!(
                        "sed -i 's/\\r$//' {} (or dos2unix), and save it with Unix line ends",
                        script.display()
                    )),
                );
                return findings;
            }
            // `#!/usr/bin/env python3`: found on the web server's PATH, not yours.
            let (program, found) =
                if interpreter.ends_with("/env") && exists(Path::new(&interpreter)) {
                    let name = argument.clone().unwrap_or_default();
                    let name = name
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    let found = WEB_SERVER_PATH
                        .split(':')
                        .map(|dir| Path::new(dir).join(&name))
                        .find(|p| exists(p));
                    (name, found.map(|p| p.display().to_string()))
                } else {
                    let found = exists(Path::new(&interpreter)).then(|| interpreter.clone());
                    (interpreter.clone(), found)
                };
            match found {
                None => findings.push(Finding::new(
                    &codes::SPAWN_NO_INTERPRETER,
                    &subject,
                    format!(
                        "the '#!' line names {program}, which {}",
                        if program.starts_with('/') {
                            "does not exist".to_string()
                        } else {
                            format!("is not on the web server's PATH ({WEB_SERVER_PATH})")
                        }
                    ),
                )),
                Some(path) => {
                    if let Ok(owner) = paths.owner(Path::new(&path)) {
                        let bits = if creds.uid == 0 {
                            u32::from(owner.mode & 0o111 != 0)
                        } else {
                            bits_for(creds, &owner)
                        };
                        if bits & 1 == 0 {
                            findings.push(Finding::new(
                                &codes::SPAWN_NO_INTERPRETER,
                                &subject,
                                format!("the interpreter {path} is not executable by {user}"),
                            ));
                        }
                    }
                }
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_line_says_what_the_kernel_will_do() {
        assert_eq!(start_of(b"\x7fELF\x02"), Start::Binary);
        assert_eq!(start_of(b"\xef\xbb\xbf#!/bin/sh\n"), Start::BomShebang);
        assert_eq!(start_of(b"<?php echo 1;"), Start::Unknown);
        assert_eq!(
            start_of(b"#!/usr/bin/env python3\r\nimport x"),
            Start::Shebang {
                interpreter: "/usr/bin/env".into(),
                argument: Some("python3".into()),
                crlf: true
            }
        );
        assert_eq!(
            start_of(b"#! /bin/sh\n"),
            Start::Shebang {
                interpreter: "/bin/sh".into(),
                argument: None,
                crlf: false
            }
        );
    }
}
