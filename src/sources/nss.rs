//! Name lookups (users, groups, host names) in the static build.
//!
//! With glibc linked in (`scripts/build-static`), glibc still loads the NSS
//! modules that /etc/nsswitch.conf names (`passwd: files systemd`, `hosts: files
//! myhostname dns`) as shared libraries, and those are built against another copy
//! of glibc: the first user, group or host name that /etc/passwd, /etc/group or
//! /etc/hosts did not hold crashed the process. [`prepare`] keeps every database
//! to the sources built into the binary: users and groups from the files, host
//! names from /etc/hosts and DNS. It reads nsswitch.conf, so it runs only when a
//! command looks a name up: user and group lookups go through this module's
//! functions, which call it first. In the default (dynamic) build it does
//! nothing, and NSS works as configured (LDAP, SSSD).

use nix::unistd::{Gid, Group, Uid, User};

/// The user called `name`; the error is the user database's.
pub fn user_by_name(name: &str) -> nix::Result<Option<User>> {
    prepare();
    User::from_name(name)
}

/// The user with `uid`, when the user database knows it.
pub fn user_by_uid(uid: u32) -> Option<User> {
    prepare();
    User::from_uid(Uid::from_raw(uid)).ok().flatten()
}

/// The group with `gid`, when the group database knows it.
pub fn group_by_gid(gid: u32) -> Option<Group> {
    prepare();
    Group::from_gid(Gid::from_raw(gid)).ok().flatten()
}

/// `uid` as a user name when the password database knows it, else the number.
pub fn user_name(uid: u32) -> String {
    user_by_uid(uid).map_or_else(|| uid.to_string(), |u| u.name)
}

/// `gid` as a group name when the group database knows it, else the number.
pub fn group_name(gid: u32) -> String {
    group_by_gid(gid).map_or_else(|| gid.to_string(), |g| g.name)
}

/// Call before any other user, group or host-name lookup (group lists,
/// `initgroups`, host names): the functions above already do.
pub fn prepare() {
    #[cfg(target_feature = "crt-static")]
    {
        static CONFIGURED: std::sync::Once = std::sync::Once::new();
        CONFIGURED.call_once(builtin_sources_only);
    }
}

#[cfg(target_feature = "crt-static")]
fn builtin_sources_only() {
    extern "C" {
        // glibc: replaces the nsswitch.conf line of one database (as nscd does).
        fn __nss_configure_lookup(
            db: *const std::ffi::c_char,
            services: *const std::ffi::c_char,
        ) -> std::ffi::c_int;
    }
    for (db, services) in [
        (c"passwd", c"files"),
        (c"group", c"files"),
        (c"initgroups", c"files"),
        (c"hosts", c"files dns"),
    ] {
        // SAFETY: two NUL-terminated strings that glibc copies; `Once` makes this
        // happen before any lookup, on one thread.
        unsafe { __nss_configure_lookup(db.as_ptr(), services.as_ptr()) };
    }
}
