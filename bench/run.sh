#!/bin/sh
# bench/run.sh — build Release and run the side-by-side benchmark (see run.py).
# RILL_BUILD=<dir> picks the build tree (default build/release).
set -e
cd "$(dirname "$0")/.."
B="${RILL_BUILD:-build/release}"
scripts/deps.sh test >/dev/null
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=Release -DRILL_TESTS=OFF >/dev/null
cmake --build "$B" -j "$(nproc)" >/dev/null
exec python3 bench/run.py --rill "$B/broker/rill-server" "$@"
