#!/usr/bin/env bash
# Runs the shared perf-anchors harness with anysctp added as an implementation, so
# anysctp and the anchors (usrsctp, sctp-proto, dcsctp) are measured in ONE run.
#
# usage: bench/perf-anchors/run.sh [run.py options: --quick, --runs N, --skip-callgrind, --only A,B]
#   default --only: anysctp,anysctp/jumbo,anysctp-napi,anysctp-wasm,usrsctp,sctp-proto,dcsctp,werift
#
# /work/shared/perf-anchors is read-only: it is copied to a temporary directory; the
# anchors' Rust target dir and the results are kept in bench/perf-anchors/.cache and
# bench/perf-anchors/results (both ignored by git) so warm runs do not rebuild.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
# The shared harness: $PERF_ANCHORS, else ../../../shared (a checkout at /work/<name>), else /work/shared.
SHARED="${PERF_ANCHORS:-$HERE/../../../shared/perf-anchors}"
[ -d "$SHARED" ] || SHARED=/work/shared/perf-anchors
SHARED="$(cd "$SHARED" && pwd)"
log() { printf '== %s\n' "$*" >&2; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
cp -r "$SHARED" "$TMP/pa"
rm -rf "$TMP/pa/rust/target" "$TMP/pa/results"
mkdir -p "$HERE/.cache/anchors-target" "$HERE/results" "$TMP/pa/build"
ln -s "$HERE/.cache/anchors-target" "$TMP/pa/rust/target"
ln -s "$HERE/results" "$TMP/pa/results"

log "build usrsctp bench"
gcc -O2 -Wall -o "$TMP/pa/build/usrsctp_bench" "$TMP/pa/c/usrsctp_bench.c" -lusrsctp
if [ -n "${USRSCTP_O2:-}" ]; then
  gcc -O2 -Wall -o "$TMP/pa/build/usrsctp_bench_o2" "$TMP/pa/c/usrsctp_bench.c" -I"$USRSCTP_O2" "$USRSCTP_O2/libusrsctp.a" -lpthread
fi

log "build anchor Rust benches (sctp-proto, dcsctp, limits)"
(cd "$TMP/pa/rust" && cargo build --release --quiet -p sctp-proto-bench -p dcsctp-bench -p limits)

log "build anysctp bench"
# Built from a copy whose paths point at this checkout's core and the harness copy, so it
# builds wherever the repository is checked out (Cargo.toml's relative path to the shared
# harness only holds for a checkout at /work/<name>).
mkdir -p "$TMP/anysctp-bench"
cp -r "$HERE/src" "$TMP/anysctp-bench/"
sed -e "s#path = \"../../core\"#path = \"$HERE/../../core\"#" \
    -e "s#path = \"../../../shared/perf-anchors/rust/harness\"#path = \"$TMP/pa/rust/harness\"#" \
    "$HERE/Cargo.toml" > "$TMP/anysctp-bench/Cargo.toml"
cp "$HERE/Cargo.lock" "$TMP/anysctp-bench/" 2>/dev/null || true
(cd "$TMP/anysctp-bench" && CARGO_TARGET_DIR="$HERE/.cache/target" cargo build --release --quiet)
BIN="$HERE/.cache/target/release/anysctp-perf-anchors"

log "machine limits"
"$TMP/pa/rust/target/release/limits" | tee "$HERE/results/limits.txt" | sed 's/^LIMIT /   /' >&2

# werift (the Node anchor) needs its npm package: bindings-js's node_modules has it.
ROOT="$(cd "$HERE/../.." && pwd)"
if [ -d "$ROOT/bindings-js/node_modules/werift" ]; then
  ln -s "$ROOT/bindings-js/node_modules" "$TMP/pa/node/node_modules"
fi
# The Node and wasm packages (built by `scripts/test`, or `npm install` in bindings-node
# and bindings-wasm/build.sh) run through the harness's Node edition.
NODE_ROWS=""
if ls "$ROOT"/bindings-node/anysctp.*.node >/dev/null 2>&1 && [ -f "$ROOT/bindings-wasm/pkg/anysctp_wasm_bg.wasm" ]; then
  NODE_ROWS=1
else
  log "bindings-node / bindings-wasm not built: no anysctp-napi / anysctp-wasm rows"
fi

# anysctp rows: the default (MTU 1200, CRC32c computed and verified, like the anchors)
# and a jumbo row (MTU 65507: the wire has no MTU, each stack picks its packet size);
# the Node (napi) and wasm packages with their batch calls (the contract's batch=1).
cat > "$TMP/pa/run_with_anysctp.py" <<PY
import sys
sys.path.insert(0, "$TMP/pa")
import run
run.IMPLS.insert(0, dict(name="anysctp", cmd=["$BIN"], speed="fast", callgrind=True))
run.IMPLS.insert(1, dict(name="anysctp/jumbo", cmd=["$BIN"], speed="fast", extra=["mtu=65507"],
                         workloads=["W1", "W2", "W3", "W4"], callgrind=False))
if "$NODE_ROWS":
    node_bench = ["node", "$HERE/node/anysctp_bench.mjs"]
    run.IMPLS.insert(2, dict(name="anysctp-napi", cmd=node_bench, speed="fast", extra=["impl=napi", "batch=1"],
                             callgrind=False))
    run.IMPLS.insert(3, dict(name="anysctp-wasm", cmd=node_bench, speed="fast", extra=["impl=wasm", "batch=1"],
                             callgrind=False))
run.main()
PY

ONLY="anysctp,anysctp/jumbo,anysctp-napi,anysctp-wasm,usrsctp,sctp-proto,dcsctp,werift"
args=("$@")
for a in "$@"; do [ "$a" = "--only" ] && ONLY=""; done
log "running workloads"
export PERF_ANCHORS="$TMP/pa"   # the Node rows read the harness's wire.js from the copy
if [ -n "$ONLY" ]; then
  python3 "$TMP/pa/run_with_anysctp.py" --only "$ONLY" "${args[@]}"
else
  python3 "$TMP/pa/run_with_anysctp.py" "${args[@]}"
fi
