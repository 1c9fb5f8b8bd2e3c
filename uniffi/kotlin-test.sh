#!/usr/bin/env bash
# Compiles the generated Kotlin bindings plus tests/*.kt (main is in
# TestPair.kt; it runs TestExtensions.kt too) with the Kotlin compiler from
# the npm registry (package `kotlin-compiler`, a full JVM distribution,
# installed into the git-ignored .kotlin/), against JNA
# from Debian (libjna-java), and runs the test on the JVM with the cdylib on
# jna.library.path. Expects test.sh to have built the library and generated
# target/generated/kotlin (test.sh calls this script).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
KOTLIN_VERSION=2.4.20
KDIR=$HERE/.kotlin
KHOME=$KDIR/node_modules/kotlin-compiler
JNA=/usr/share/java/jna.jar
LIB=$HERE/target/debug/libanysctp_uniffi.so
GEN=$HERE/target/generated/kotlin
BUILD=$HERE/target/kotlin

command -v java >/dev/null || { echo "kotlin-test: no java on PATH (a JDK 17 is needed)" >&2; exit 1; }
if [ ! -f "$JNA" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq >/dev/null && apt-get install -y -qq libjna-java >/dev/null
  else
    echo "kotlin-test: $JNA missing: install Debian's libjna-java" >&2; exit 1
  fi
fi
if [ "$(cat "$KHOME/build.txt" 2>/dev/null)" != "$KOTLIN_VERSION" ]; then
  rm -rf "$KDIR"
  mkdir -p "$KDIR"
  npm install --silent --no-audit --no-fund --prefix "$KDIR" "kotlin-compiler@$KOTLIN_VERSION" >/dev/null
fi
[ -f "$LIB" ] && ls "$GEN"/*/*/*.kt >/dev/null || { echo "kotlin-test: run test.sh first" >&2; exit 1; }

rm -rf "$BUILD"
mkdir -p "$BUILD"
"$KHOME/bin/kotlinc" -nowarn -cp "$JNA" -d "$BUILD/test.jar" "$GEN"/*/*/*.kt tests/*.kt
java -Djna.library.path="$(dirname "$LIB")" \
  -cp "$BUILD/test.jar:$JNA:$KHOME/lib/kotlin-stdlib.jar" TestPairKt
