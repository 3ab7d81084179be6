#!/bin/sh
# install-deps.sh - the Debian 12 packages junction needs to build and test.
set -eu
export DEBIAN_FRONTEND=noninteractive
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends \
	build-essential meson ninja-build pkg-config libelf-dev zlib1g-dev \
	libcriterion-dev musl-tools clang python3 perl tar sed grep \
	findutils coreutils xz-utils strace golang-go nodejs
