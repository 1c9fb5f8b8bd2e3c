#!/usr/bin/env bash
# Builds the anysctp WebAssembly package (idempotent):
#   cargo (wasm32-unknown-unknown, release) -> wasm-bindgen --target web
#   (CLI at exactly the version of the wasm-bindgen crate in Cargo.lock)
#   -> wasm-opt -Oz -> pkg/ + the shared JavaScript layer and declarations.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

want="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)"
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)"
if [ "$have" != "$want" ]; then
  echo "installing wasm-bindgen-cli $want (have: ${have:-none})" >&2
  # --locked fails when the registry mirror lacks a pinned transitive crate; fall back.
  cargo install wasm-bindgen-cli --version "$want" --locked || cargo install wasm-bindgen-cli --version "$want"
fi
# wasm-opt: Debian bookworm's binaryen (108) breaks wasm-bindgen's reference-type
# tables, so use the npm `binaryen` package's (bindings-js devDependency) when the
# system one is older than 116.
wasm_opt="$root/bindings-js/node_modules/.bin/wasm-opt"
if [ ! -x "$wasm_opt" ]; then
  sysv="$(wasm-opt --version 2>/dev/null | awk '{print $3}' || true)"
  if [ -n "$sysv" ] && [ "$sysv" -ge 116 ]; then wasm_opt=wasm-opt
  else (cd "$root/bindings-js" && npm install --no-audit --no-fund >&2); fi
fi
rustup target list --installed 2>/dev/null | grep -q wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

CARGO_PROFILE_RELEASE_DEBUG=0 cargo build -p anysctp-wasm --target wasm32-unknown-unknown --release
rm -rf "$here/pkg.tmp" && mkdir -p "$here/pkg.tmp"
wasm-bindgen --target web --out-dir "$here/pkg.tmp" --out-name anysctp_wasm \
  target/wasm32-unknown-unknown/release/anysctp_wasm.wasm
"$wasm_opt" -Oz --strip-debug --enable-reference-types --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext --enable-mutable-globals --enable-multivalue \
  "$here/pkg.tmp/anysctp_wasm_bg.wasm" -o "$here/pkg.tmp/anysctp_wasm_bg.wasm"
rm -rf "$here/pkg" && mv "$here/pkg.tmp" "$here/pkg"
mkdir -p "$here/lib"
cp "$root/bindings-js/lib/api.js" "$root/bindings-js/lib/udp.js" "$here/lib/"
cp "$root/bindings-js/anysctp.d.ts" "$here/index.d.ts"
raw=$(stat -c %s "$here/pkg/anysctp_wasm_bg.wasm")
gz=$(gzip -9 -c "$here/pkg/anysctp_wasm_bg.wasm" | wc -c)
echo "anysctp_wasm_bg.wasm: $raw bytes, $gz bytes gzipped (budget 256000)"
[ "$gz" -le 256000 ] || { echo "over the 250 KiB gzip budget" >&2; exit 1; }
