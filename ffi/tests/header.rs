//! The committed header `include/anysctp.h` must be exactly what cbindgen
//! generates from the sources. `ANYSCTP_UPDATE_HEADER=1` rewrites it
//! (that is what `gen-header.sh` does).

use std::path::Path;

#[test]
fn committed_header_matches_the_sources() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut generated);
    let path = dir.join("include/anysctp.h");
    if std::env::var_os("ANYSCTP_UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/anysctp.h");
        return;
    }
    let committed = std::fs::read(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/anysctp.h is stale: run ffi/gen-header.sh and commit the result"
    );
}
