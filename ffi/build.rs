//! Gives the shared library its SONAME, so programs link against
//! `libanysctp.so.0` and survive compatible upgrades.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" || os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libanysctp.so.0");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
