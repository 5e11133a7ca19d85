//! The one integration-test binary: everything here runs the real
//! `fcgi-doctor` executable.

#[macro_use]
mod util;

mod bad_input;
mod config_fixtures;
mod doctor_cmd;
mod explain;
mod fake_peer;
mod fleet;
mod generated;
mod hostile_peers;
mod layout;
mod log_fixtures;
mod logs;
mod logs_corpus;
mod logs_coverage;
mod monitoring;
mod probe_peers;
mod probe_sockets;
mod ps_cmd;
mod ps_fixture;
mod real_lifecycle;
mod real_logs;
mod real_servers;
mod servers;
mod socket_cmd;
mod spawn_cmd;
mod usage;
