//! The `hwf-license` command: see `hwf-license --help` and `docs/SERVER.md`.

fn main() -> std::process::ExitCode {
    hwf_license_server::cli::main()
}
