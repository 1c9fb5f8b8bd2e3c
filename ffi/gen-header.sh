#!/usr/bin/env bash
# Regenerates ffi/include/anysctp.h from the sources with cbindgen (a
# dev-dependency, so nothing needs installing). The test `header` fails when
# the committed header differs from what this would write.
set -euo pipefail
cd "$(dirname "$0")/.."
ANYSCTP_UPDATE_HEADER=1 cargo test -q -p anysctp-ffi --test header
echo "wrote ffi/include/anysctp.h"
