#!/bin/sh
# bench/run.sh — build Release and run the side-by-side benchmark (see run.py).
set -e
cd "$(dirname "$0")/.."
scripts/deps.sh test >/dev/null
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DRILL_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)" >/dev/null
exec python3 bench/run.py "$@"
