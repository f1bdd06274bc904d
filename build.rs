//! Links the serving binary `ecluse-cred` as a static PIE on x86_64 Linux with glibc: it then
//! starts without the dynamic loader and its symbol relocations (about half of a cached `token`
//! call's instructions; docs/benchmarks.md), and keeps ASLR. `.cargo/static-pie-gcc` turns
//! rustc's dynamic link line into a static one for the artifact that carries `-static-pie`;
//! `ecluse-cred-mint` (DNS, TLS, the SDKs) stays dynamic. `tests/structure.rs` checks both.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("TARGET").as_deref() == Ok("x86_64-unknown-linux-gnu") {
        println!("cargo:rustc-link-arg-bin=ecluse-cred=-static-pie");
        // Relative relocations packed (DT_RELR): fewer pages to touch at start.
        println!("cargo:rustc-link-arg-bin=ecluse-cred=-Wl,-z,pack-relative-relocs");
    }
}
