#!/usr/bin/env bash
# Installs npm dependencies, builds both packages (napi native module, wasm),
# type-checks the shared API against both, and runs every node:test suite
# (Node package, wasm package in Node, wasm package in headless Chromium).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false

(cd "$here" && npm install --no-audit --no-fund --loglevel=error)
(cd "$root/bindings-node" && npm install --no-audit --no-fund --loglevel=error)   # prepare: napi build --release --platform
"$root/bindings-wasm/build.sh"
(cd "$here" && node_modules/.bin/tsc -p tsconfig.json)
echo "tsc --strict: shared API satisfied by both packages; examples type-check"

node --test \
  "$root/bindings-node/test/" \
  "$root/bindings-wasm/test/" \
  "$here/test/example-browser.test.mjs" \
  "$here/test/browser.test.mjs" "$here/test/interop.test.mjs"
