//! Gives `libvalidate.so` its SONAME on ELF targets, so programs record `libvalidate.so.0` and
//! keep working across releases that keep the ABI (see docs/C_API.md, "Versioning").

/// The ABI major version: bumped only when a symbol is removed or a signature or a documented
/// behaviour changes incompatibly (never within a release line).
const ABI_MAJOR: u32 = 0;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "freebsd" | "netbsd" | "openbsd" | "android"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libvalidate.so.{ABI_MAJOR}");
    }
}
