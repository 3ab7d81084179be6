#!/bin/sh
# test.sh - install, build, and run the whole test suite: the release build
# (unit, end-to-end, ELF corpus, real programs) and the unit tests again
# under AddressSanitizer and UBSan in a debug build.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
meson test -C build --print-errorlogs
[ -d build-asan ] || meson setup build-asan -Dbuildtype=debug \
	-Db_sanitize=address,undefined
ninja -C build-asan
meson test -C build-asan --suite unit --print-errorlogs
