//! Link the binaries with packed relative relocations (DT_RELR): a position-independent binary
//! of recaudit's size carries about 260,000 relative relocations, and the dynamic loader
//! applying them from the usual table was most of a process's start (about 6 ms of the
//! 8 ms `recaudit --version` took). The packed table is a few kilobytes instead of 6 MB and the
//! binary stays position-independent. Needs binutils 2.38 and glibc 2.36 or newer (Debian 12);
//! other linkers ignore nothing silently, so it is asked for on Linux with GNU ld only.
fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let linux = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "linux");
    if linux {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
