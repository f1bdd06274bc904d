//! Links the serving binary `ecluse-cred` as a static PIE on x86_64 Linux with glibc: it then
//! starts without the dynamic loader and its symbol relocations (about half of a cached `token`
//! call's instructions; docs/benchmarks.md), and keeps ASLR. `.cargo/static-pie-gcc` turns
//! rustc's dynamic link line into a static one for the artifact that carries `-static-pie`.
//! This build script is the serving package's only, and asks for the `ecluse-cred` binary by
//! name: `ecluse-cred-mint` (DNS, TLS, the SDKs; the `mint/` package) stays dynamic.
//! `tests/structure.rs` checks both.
//!
//! Only when that wrapper is the linker (this repository's `.cargo/config.toml` is in effect)
//! and static glibc is installed: otherwise (`cargo install` from a registry or git, another
//! linker, no `libc.a`) the binary is linked dynamically as usual, and works the same.

use std::path::Path;
use std::process::Command;

/// The wrapper `.cargo/config.toml` names as the linker.
const WRAPPER: &str = "static-pie-gcc";
/// Where Debian, Ubuntu and Fedora (`glibc-static`) put static glibc.
const STATIC_LIBC: [&str; 2] = ["/usr/lib/x86_64-linux-gnu/libc.a", "/usr/lib64/libc.a"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let target = std::env::var("TARGET").unwrap_or_default();
    let wrapped = std::env::var("RUSTC_LINKER").is_ok_and(|l| l.ends_with(WRAPPER));
    let static_libc = STATIC_LIBC.iter().find(|p| Path::new(p).exists());
    if target != "x86_64-unknown-linux-gnu" || !wrapped {
        return;
    }
    let Some(static_libc) = static_libc else {
        return;
    };
    // Static glibc removed or upgraded (a new glibc version): decide again.
    println!("cargo:rerun-if-changed={static_libc}");
    println!("cargo:rustc-link-arg-bin=ecluse-cred=-static-pie");
    // Relative relocations packed (DT_RELR): fewer pages touched at start. A static PIE applies
    // them with the linked libc.a's own code, which knows DT_RELR from glibc 2.36 on.
    if glibc_at_least(2, 36) {
        println!("cargo:rustc-link-arg-bin=ecluse-cred=-Wl,-z,pack-relative-relocs");
    }
}

/// Whether the glibc being linked (this machine's: `getconf GNU_LIBC_VERSION`, "glibc 2.36")
/// is at least `major.minor`.
fn glibc_at_least(major: u32, minor: u32) -> bool {
    let Ok(out) = Command::new("getconf").arg("GNU_LIBC_VERSION").output() else {
        return false;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut version = text
        .trim()
        .trim_start_matches("glibc ")
        .split('.')
        .map(|n| n.parse::<u32>().unwrap_or(0));
    (version.next().unwrap_or(0), version.next().unwrap_or(0)) >= (major, minor)
}
