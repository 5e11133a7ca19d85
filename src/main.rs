fn main() {
    std::process::exit(fcgi_doctor::run(std::env::args_os()));
}
