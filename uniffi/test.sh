#!/usr/bin/env bash
# Builds the uniffi crate, generates the Swift, Kotlin and Python bindings
# from the built library (uniffi "library mode"), and runs the Python tests
# (tests/test_*.py) through the generated module, then the Kotlin ones.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
cargo build --quiet --locked 2>/dev/null || cargo build --quiet
LIB=$HERE/target/debug/libanysctp_uniffi.so
OUT=$HERE/target/generated
rm -rf "$OUT"
for lang in python swift kotlin; do
  cargo run --quiet --bin uniffi-bindgen -- generate --library "$LIB" --no-format --language $lang --out-dir "$OUT/$lang"
done
ls "$OUT/swift"/*.swift "$OUT/kotlin"/*/*/*.kt >/dev/null
cp "$LIB" "$OUT/python/"
PYTHONPATH="$OUT/python" python3 "$HERE/tests/test_pair.py"
PYTHONPATH="$OUT/python" python3 "$HERE/tests/test_extensions.py"
"$HERE/kotlin-test.sh"
