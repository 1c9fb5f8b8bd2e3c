#!/usr/bin/env bash
# Installs libanysctp like a C library:
#   PREFIX/lib/libanysctp.so.0 (+ libanysctp.so -> libanysctp.so.0)
#   PREFIX/lib/libanysctp.a
#   PREFIX/include/anysctp.h
#   PREFIX/lib/pkgconfig/anysctp.pc
# Usage: ffi/install.sh PREFIX   (builds the release profile first)
set -euo pipefail
if [ $# -ne 1 ]; then echo "usage: $0 PREFIX" >&2; exit 2; fi
PREFIX=$(mkdir -p "$1" && cd "$1" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

(cd "$ROOT" && cargo build --release -p anysctp-ffi --quiet)
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)

install -d "$PREFIX/lib/pkgconfig" "$PREFIX/include"
install -m 0755 "$TARGET_DIR/release/libanysctp.so" "$PREFIX/lib/libanysctp.so.0"
ln -sf libanysctp.so.0 "$PREFIX/lib/libanysctp.so"
install -m 0644 "$TARGET_DIR/release/libanysctp.a" "$PREFIX/lib/libanysctp.a"
install -m 0644 "$HERE/include/anysctp.h" "$PREFIX/include/anysctp.h"

# Libs.private: what a Rust staticlib needs from the system on Linux
# (`--print native-static-libs`), for `pkg-config --static`.
cat > "$PREFIX/lib/pkgconfig/anysctp.pc" <<PC
prefix=$PREFIX
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: anysctp
Description: Portable sans-IO SCTP (RFC 9260) for C
Version: $VERSION
Libs: -L\${libdir} -lanysctp
Libs.private: -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
Cflags: -I\${includedir}
PC
echo "installed libanysctp $VERSION into $PREFIX"
