#!/bin/sh
# quickstart.sh - install, build, and run a real program under junction-run.
set -eu
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
echo '--- python3 under junction-run:'
./build/junction-run --stats /usr/bin/python3 -c \
	'import os, platform; print("hello from", platform.python_implementation(), "pid", os.getpid())'
