//! The C `main` is ours, not Rust's: std's start-up reads /proc/self/maps to place
//! a stack guard and installs stack-overflow handlers, 0.05-0.1 ms of a probe
//! that takes about 1.5 (BENCHMARKS.md). Arguments still come from
//! `std::env::args_os`, which glibc hands to std before `main`.
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
#[no_mangle]
extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // What std's start-up would have done that we rely on: a closed pipe is an
    // EPIPE error to handle (`| head`), not a silent death by SIGPIPE.
    fcgi_doctor::ignore_sigpipe();
    fcgi_doctor::standard_fds();
    // `exit` flushes stdout, as returning from Rust's main would.
    std::process::exit(fcgi_doctor::run(std::env::args_os()));
}
