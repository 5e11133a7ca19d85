//! `nginx -T` output: `sources::config::nginx::parse_dump` on the input as
//! text (`String::from_utf8_lossy`). It reads nothing from disk: includes are
//! resolved among the files the dump prints. What it returns is then used as
//! `config` uses it: `HostConfig::endpoints` and `notes`, and
//! `sources::config::Address::parse` on each backend address.
//!
//! Invariants: at most 100 notes (plus "further notes left out"), at most
//! 20,000 endpoints; every endpoint's origin is a file that was read, at a
//! line from 1 up to the number of lines of the input; an address reaches
//! itself.

#![no_main]

use fcgi_doctor::sources::config::nginx::parse_dump;
use fcgi_doctor::sources::config::{Address, HostConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let config = parse_dump(&text);
    assert!(config.notes.len() <= 101, "{} notes", config.notes.len());
    assert!(config.endpoints.len() <= 20_000);
    let lines = text.split('\n').count();
    for e in &config.endpoints {
        assert!(
            config.files.contains(&e.origin.file),
            "{} is not among the files read",
            e.origin.file.display()
        );
        assert!(e.origin.line >= 1, "line 0");
        assert!(
            e.origin.line as usize <= lines,
            "line {} of {lines}",
            e.origin.line
        );
        if let Some(a) = Address::parse(&e.address) {
            assert!(a.reaches(&a));
            let _ = (a.target(), a.is_remote());
        }
    }
    let host = HostConfig {
        nginx: Some(config),
        nginx_dumped: true,
        ..HostConfig::default()
    };
    let _ = host.endpoints();
    let _ = host.notes();
    let _ = host.has_web_server();
});
