//! `spawn`'s pre-flight: what stops a FastCGI application from starting
//! before any web server is involved, and what its run said. Facts in (the
//! script's start, owners and modes), findings out.

use std::path::{Path, PathBuf};

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

/// What suEXEC was built with or configured for, when it could be read
/// (`suexec -V`, Debian's /etc/apache2/suexec/www-data).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SuexecBuild {
    pub docroot: Option<PathBuf>,
    pub uid_min: Option<u32>,
    pub gid_min: Option<u32>,
}

impl SuexecBuild {
    /// Reads `suexec -V`'s ` -D AP_DOC_ROOT="/var/www"` lines.
    pub fn parse(text: &str) -> SuexecBuild {
        let mut build = SuexecBuild::default();
        for line in text.lines() {
            let Some((name, value)) = line.trim().trim_start_matches("-D ").split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches('"');
            match name.trim() {
                "AP_DOC_ROOT" => build.docroot = Some(PathBuf::from(value)),
                "AP_UID_MIN" => build.uid_min = value.parse().ok(),
                "AP_GID_MIN" => build.gid_min = value.parse().ok(),
                _ => {}
            }
        }
        build
    }
}

/// The rules suEXEC checks before it runs `script` as `uid`:`gid` (apache's
/// support/suexec.c), each broken one a finding quoting what suexec.log says.
pub fn suexec_rules(
    script: &Path,
    (uid, gid): (u32, u32),
    build: &SuexecBuild,
    paths: &dyn PathFacts,
) -> Vec<Finding> {
    let subject = script.display().to_string();
    let who = format!("{}:{}", user_name(uid), group_name(gid));
    let mut broken = Vec::new();
    if let Some(min) = build.uid_min.filter(|&m| uid < m) {
        broken.push(format!(
            "the user's uid {uid} is below AP_UID_MIN {min}: suexec.log says \"cannot run as \
             forbidden uid\""
        ));
    }
    if let Some(min) = build.gid_min.filter(|&m| gid < m) {
        broken.push(format!(
            "the group's gid {gid} is below AP_GID_MIN {min}: suexec.log says \"cannot run as \
             forbidden gid\""
        ));
    }
    if let Some(root) = &build.docroot {
        if !script.starts_with(root) {
            broken.push(format!(
                "it is not under suEXEC's document root {}: suexec.log says \"command not in \
                 docroot\"",
                root.display()
            ));
        }
    }
    let dir = script.parent().unwrap_or(Path::new("/"));
    for (what, path) in [("directory", dir), ("script", script)] {
        let Ok(owner) = paths.owner(path) else {
            continue;
        };
        if (owner.uid, owner.gid) != (uid, gid) {
            broken.push(format!(
                "the {what} {} belongs to {}:{}, not to {who}: suexec.log says \"target uid/gid \
                 mismatch with directory or program\"",
                path.display(),
                user_name(owner.uid),
                group_name(owner.gid)
            ));
        }
        if owner.mode & 0o022 != 0 {
            broken.push(format!(
                "the {what} {} is {}: suexec.log says \"{} is writable by others\"",
                path.display(),
                mode_string(if what == "script" { '-' } else { 'd' }, owner.mode),
                if what == "script" {
                    "file"
                } else {
                    "directory"
                }
            ));
        }
        if what == "script" && owner.mode & 0o6000 != 0 {
            broken.push(format!(
                "the script is {}: suexec.log says \"file is either setuid or setgid\"",
                mode_string('-', owner.mode)
            ));
        }
    }
    broken
        .into_iter()
        .map(|why| {
            Finding::new(&codes::SPAWN_SUEXEC, &subject, why).with_fix(format!(
                "chown {who} {} {}; chmod 755 {} {}",
                dir.display(),
                script.display(),
                dir.display(),
                script.display()
            ))
        })
        .collect()
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

#[cfg(test)]
mod suexec_tests {
    use super::*;
    use crate::sources::paths::{FileKind, Owner};
    use std::collections::HashMap;

    struct Fake(HashMap<PathBuf, Owner>);

    impl PathFacts for Fake {
        fn owner(&self, path: &Path) -> std::io::Result<Owner> {
            self.0
                .get(path)
                .cloned()
                .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::NotFound))
        }
        fn kind(&self, _: &Path) -> std::io::Result<FileKind> {
            Ok(FileKind::RegularFile)
        }
        fn first_missing(&self, _: &Path) -> Option<PathBuf> {
            None
        }
        fn has_acl(&self, _: &Path) -> bool {
            false
        }
        fn file_id(&self, _: &Path) -> Option<(u64, u64)> {
            None
        }
    }

    fn facts(dir: (u32, u32, u32), file: (u32, u32, u32)) -> Fake {
        let owner = |(uid, gid, mode)| Owner { uid, gid, mode };
        Fake(HashMap::from([
            (PathBuf::from("/var/www/alice"), owner(dir)),
            (PathBuf::from("/var/www/alice/app.fcgi"), owner(file)),
        ]))
    }

    #[test]
    fn suexec_build_lines_are_read() {
        let build = SuexecBuild::parse(
            " -D AP_DOC_ROOT=\"/var/www\"\n -D AP_GID_MIN=100\n -D AP_HTTPD_USER=\"www-data\"\n \
             -D AP_UID_MIN=100\n",
        );
        assert_eq!(build.docroot.as_deref(), Some(Path::new("/var/www")));
        assert_eq!((build.uid_min, build.gid_min), (Some(100), Some(100)));
    }

    #[test]
    fn each_suexec_rule_broken_is_told() {
        let script = Path::new("/var/www/alice/app.fcgi");
        let build = SuexecBuild {
            docroot: Some("/var/www".into()),
            uid_min: Some(100),
            gid_min: Some(100),
        };
        let good = facts((1001, 1001, 0o40755), (1001, 1001, 0o100755));
        assert!(suexec_rules(script, (1001, 1001), &build, &good).is_empty());
        let owned_by_root = facts((1001, 1001, 0o40755), (0, 0, 0o100755));
        let found = suexec_rules(script, (1001, 1001), &build, &owned_by_root);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("mismatch"), "{found:?}");
        let group_writable = facts((1001, 1001, 0o40775), (1001, 1001, 0o104775));
        let found = suexec_rules(script, (1001, 1001), &build, &group_writable);
        let details: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(found.len(), 3, "{details:?}");
        assert!(details[0].contains("directory is writable"), "{details:?}");
        assert!(details[1].contains("file is writable"), "{details:?}");
        assert!(details[2].contains("setuid"), "{details:?}");
        let outside = suexec_rules(Path::new("/srv/app.fcgi"), (33, 33), &build, &good);
        assert!(outside.iter().any(|f| f.message.contains("forbidden uid")));
        assert!(outside.iter().any(|f| f.message.contains("not in docroot")));
    }
}
