#!/usr/bin/env bash
# Benchmarks libanysctp's C sans-IO API next to usrsctp, same machine, same
# run, same in-memory wire and contract (shared/perf-anchors). W2: 1 KiB
# ordered on 1 stream; W3: 100 B unordered over 16 streams. Medians of RUNS
# runs (default 3). Prints a table of msg/s and the ratio anysctp/usrsctp.
#   ffi/bench/run.sh [--quick]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
ANCHORS=${PERF_ANCHORS:-}
for d in "$ROOT/../shared/perf-anchors" "$ROOT/shared/perf-anchors" /work/shared/perf-anchors; do
  [ -z "$ANCHORS" ] && [ -f "$d/c/wire.h" ] && ANCHORS=$d
done
[ -n "$ANCHORS" ] || { echo "perf-anchors not found (set PERF_ANCHORS)" >&2; exit 1; }
RUNS=3; W2=65536; W3=262144
if [ "${1:-}" = --quick ]; then RUNS=1; W2=8192; W3=32768; fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/anysctp-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
"$HERE/../install.sh" "$WORK/prefix" >/dev/null
cc -O2 -I"$ANCHORS/c" -I"$WORK/prefix/include" -o "$WORK/anysctp_bench" "$HERE/bench.c" \
  -L"$WORK/prefix/lib" -l:libanysctp.a -lpthread -ldl -lm
have_usrsctp=1
cc -O2 -I"$ANCHORS/c" -o "$WORK/usrsctp_bench" "$ANCHORS/c/usrsctp_bench.c" -lusrsctp 2>/dev/null || have_usrsctp=0

# msg/s of one run: messages / secs from the RESULT line (checks ok=true).
rate() {
  "$@" | python3 -c '
import json, sys
for line in sys.stdin:
    if line.startswith("RESULT "):
        r = json.loads(line[7:])
        if not r["ok"]: sys.exit("run not ok: " + line)
        print(r["messages"] / r["secs"])
'
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

printf '| workload | anysctp (C API) msg/s | usrsctp msg/s | anysctp / usrsctp |\n|---|---|---|---|\n'
for w in W2 W3; do
  if [ $w = W2 ]; then args="size=1024 streams=1 unordered=0 count=$W2"; else args="size=100 streams=16 unordered=1 count=$W3"; fi
  common="seed=1 backlog=1048576 reorder=0 loss=0"
  ours=$(for i in $(seq $RUNS); do rate "$WORK/anysctp_bench" $w $args $common; done | median)
  if [ $have_usrsctp = 1 ]; then
    theirs=$(for i in $(seq $RUNS); do rate "$WORK/usrsctp_bench" $w $args $common; done | median)
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN {printf "%.2f", a / b}')
    theirs=$(printf '%.0f' "$theirs")
  else theirs="(libusrsctp-dev missing)"; ratio="-"; fi
  printf '| %s | %.0f | %s | %s |\n' "$w" "$ours" "$theirs" "$ratio"
done
