//! Name lookups (users, groups, host names) in the static build.
//!
//! With glibc linked in (`scripts/build-static`), glibc still loads the NSS
//! modules that /etc/nsswitch.conf names (`passwd: files systemd`, `hosts: files
//! myhostname dns`) as shared libraries, and those are built against another copy
//! of glibc: the first user, group or host name that /etc/passwd, /etc/group or
//! /etc/hosts did not hold crashed the process. [`prepare`] keeps every database
//! to the sources built into the binary: users and groups from the files, host
//! names from /etc/hosts and DNS. Every lookup calls it first; it reads
//! nsswitch.conf, so it runs only when a command looks a name up. In the default
//! (dynamic) build it does nothing, and NSS works as configured (LDAP, SSSD).

/// Call before the first user, group or host-name lookup.
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
