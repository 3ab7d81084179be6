#!/bin/sh
# make_seeds.sh - the seed corpus of fuzz_elf: malformed variants and real ELFs.
#
# usage: make_seeds.sh OUTDIR PYTHON GEN_CORPUS BASE [BIN...]
#
# Writes into a fresh OUTDIR the malformed variants that GEN_CORPUS
# (tests/elf/gen_corpus.py) makes of BASE, BASE itself, and copies of the
# BINs that exist (real programs and interpreters of this machine).
set -eu
out="$1" python="$2" gen="$3" base="$4"
shift 4
rm -rf "$out"
mkdir -p "$out"
"$python" "$gen" --base "$base" --outdir "$out"
rm -f "$out/MANIFEST"
cp "$base" "$out/real_base"
for b in "$@"; do
	[ -f "$b" ] && cp -L "$b" "$out/real_$(basename "$b")"
done
exit 0
