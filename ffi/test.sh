#!/usr/bin/env bash
# Builds and runs the C test suite (ffi/tests/c/test_*.c) against the
# INSTALLED library and header in a temporary prefix, four ways:
#   shared   cc -Wall -Wextra -Werror, linked to libanysctp.so
#   static   linked to libanysctp.a (pkg-config --static)
#   valgrind the shared build under valgrind --leak-check=full
#   asan     rebuilt with -fsanitize=address,undefined
# Ends with the line "c: N passed, M failed" (one count per test function
# and way; a crash or a valgrind/sanitizer report fails the whole program).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/anysctp-ctest.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix

"$HERE/install.sh" "$PREFIX" >/dev/null || { echo "c: 0 passed, 1 failed (install)"; exit 1; }
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
CC=${CC:-cc}
CFLAGS="-std=c11 -D_GNU_SOURCE -pthread -O1 -g -Wall -Wextra -Werror $(pkg-config --cflags anysctp)"
LIBS="$(pkg-config --libs anysctp) -Wl,-rpath,$PREFIX/lib"
STATIC_LIBS="-L$PREFIX/lib -l:libanysctp.a $(pkg-config --static --libs-only-l anysctp | sed 's/-lanysctp//')"

passed=0; failed=0
# Runs one built test program; counts its PASS/FAIL lines; a non-zero exit
# without a FAIL line (crash, valgrind/sanitizer error) counts as a failure.
run() {
  local way=$1 name=$2; shift 2
  local out=$WORK/$name.$way.out
  "$@" >"$out" 2>"$out.err"
  local rc=$?
  local p f
  p=$(grep -c '^PASS ' "$out"); f=$(grep -c '^FAIL ' "$out")
  sed "s/^/  [$way] /" "$out"
  if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
    sed "s/^/  [$way] | /" "$out.err" | tail -40
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "  [$way] FAIL $name (exit status $rc)"
    f=1
  fi
  passed=$((passed + p)); failed=$((failed + f))
}

build_failed() { echo "  FAIL build $1"; failed=$((failed + 1)); }

have_valgrind=1; command -v valgrind >/dev/null || have_valgrind=0
for src in "$HERE"/tests/c/test_*.c; do
  name=$(basename "$src" .c)
  echo "== $name"
  if $CC $CFLAGS -o "$WORK/$name" "$src" $LIBS; then
    run shared "$name" "$WORK/$name"
    if [ $have_valgrind = 1 ]; then
      run valgrind "$name" valgrind -q --error-exitcode=1 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect,possible "$WORK/$name"
    else
      echo "  valgrind not installed"; failed=$((failed + 1))
    fi
  else build_failed "$name"; fi
  if $CC $CFLAGS -o "$WORK/$name.static" "$src" $STATIC_LIBS; then
    run static "$name" "$WORK/$name.static"
  else build_failed "$name.static"; fi
  if $CC $CFLAGS -fsanitize=address,undefined -fno-omit-frame-pointer \
      -o "$WORK/$name.asan" "$src" $LIBS; then
    run asan "$name" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
      UBSAN_OPTIONS=halt_on_error=1 "$WORK/$name.asan"
  else build_failed "$name.asan"; fi
done
# The examples build with the README's line and run.
EX=$HERE/../examples/c
example() {
  local name=$1; shift
  if "$@" >"$WORK/$name.out" 2>&1; then
    echo "  PASS $name"; passed=$((passed + 1))
  else
    echo "  FAIL $name"; sed 's/^/  | /' "$WORK/$name.out" | tail -20; failed=$((failed + 1))
  fi
}
echo "== examples"
for p in echo_server echo_client epoll_loop; do
  example "build_$p" $CC -Wall -Wextra -Werror -o "$WORK/$p" "$EX/$p.c" $(pkg-config --cflags --libs anysctp) -Wl,-rpath,"$PREFIX/lib"
done
if [ -x "$WORK/epoll_loop" ]; then
  example run_epoll_loop timeout 60 "$WORK/epoll_loop" 3000
fi
if [ -x "$WORK/echo_server" ] && [ -x "$WORK/echo_client" ]; then
  port=$((20000 + RANDOM % 20000))
  "$WORK/echo_server" "$port" >"$WORK/echo_server.out" 2>&1 &
  server_pid=$!
  sleep 0.3
  example run_echo_client timeout 60 "$WORK/echo_client" "$port" 1000
  kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
fi

echo "c: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
