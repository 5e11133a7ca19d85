//! Sources read the world and decide nothing: `/proc` and the kernel's socket
//! tables, users and groups, configuration files, log files, what init system
//! and which php-fpm the host has. [`host::Host`] gathers them for one run, so
//! every check of the run sees one process table and one web user.

pub mod config;
pub mod files;
pub mod fixture;
pub mod fpmconf;
pub mod host;
pub mod logs;
pub mod nss;
pub mod paths;
pub mod proc_events;
pub mod processes;
pub mod procfs;
pub mod services;
pub mod sockdiag;
pub mod sockets;
pub mod watch;
pub mod webuser;
