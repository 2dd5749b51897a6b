#!/bin/sh
# deps.sh — install the Debian packages Rill needs, only those missing.
#   scripts/deps.sh build   packages to build and run rill-server
#   scripts/deps.sh test    those plus what the test suite drives
set -e
BUILD="cmake make gcc pkg-config libevent-dev libnng-dev libprotobuf-c-dev protobuf-c-compiler libcmocka-dev"
TEST="redis-tools redis-server libhiredis-dev python3-redis clang libclang-rt-14-dev"
want="$BUILD"
[ "$1" = "test" ] && want="$BUILD $TEST"
missing=""
for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q $missing
