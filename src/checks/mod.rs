//! Checks turn facts into findings and decide nothing else. They read the world
//! only through what they are handed: a [`crate::sources::host::Host`], a
//! [`crate::sources::paths::PathFacts`], or plain values. Each concern has one
//! module, so the same problem reads the same (code, subject, message, fix)
//! from every command that finds it.

pub mod config;
pub mod connect_failure;
pub mod exposure;
pub mod fixes;
pub mod fpm_status;
pub mod load;
pub mod logs;
pub mod path_access;
pub mod processes;
pub mod response;
pub mod root_app;
pub mod socket_path;
pub mod spawn;
pub mod taken_over;
pub mod thresholds;
pub mod visibility;
pub mod web_access;
pub mod web_user;
pub mod what_listens;
