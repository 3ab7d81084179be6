#!/bin/bash
# run_corpus.sh - run malformed programs under junction-run; check the failure.
#
# usage: run_corpus.sh [--expect N] [--control BIN] JUNCTION_RUN PROG [ARG...]
#        run_corpus.sh --all JUNCTION_RUN CORPUS_DIR
#
# The first form runs PROG under JUNCTION_RUN (stdin /dev/null, 30 s at
# most) and checks that the exit status is exactly N (default 126:
# the file exists but cannot be executed; 127: not found), never a death
# by signal, and, for a non-zero N, that stderr is exactly one line,
# "junction-run: REASON" with a non-empty REASON.  With --control, the
# valid program BIN must first run and exit 0 in the same instance of
# this script, so a broken junction-run cannot pass for a good check.
#
# The second form checks every file of CORPUS_DIR/MANIFEST (lines "NAME
# STATUS", written by gen_corpus.py) and prints one line per file with
# what junction-run said.  Exit status: 0 if every check passed, else 1.
set -u
prefix="junction-run: "

# check JR EXPECT PROG [ARGS...]: prints the failures; returns 0 or 1
check() {
	local jr="$1" expect="$2" prog="$3" tmp rc err lines reason
	shift 3
	tmp=$(mktemp -d) || return 1
	# run in an empty directory: a garbage file run by a shell as a
	# script can create files (junction-run falls back to /bin/sh)
	mkdir "$tmp/cwd"
	case "$jr" in /*) ;; *) jr="$PWD/$jr" ;; esac
	case "$prog" in /*) ;; */*) prog="$PWD/$prog" ;; esac
	(cd "$tmp/cwd" && exec timeout -s KILL 30 "$jr" "$prog" "$@") \
		</dev/null >"$tmp/out" 2>"$tmp/err"
	rc=$?
	err=$(cat "$tmp/err")
	last_reason=${err#"$prefix"}
	lines=$(wc -l <"$tmp/err")
	rm -rf "$tmp"
	if [ "$rc" -eq 137 ] && [ "$expect" -ne 137 ]; then
		echo "FAIL $prog: killed after 30 s (hung?)"
		return 1
	fi
	if [ "$rc" -gt 128 ] && [ "$rc" -ne "$expect" ]; then
		echo "FAIL $prog: died of signal $((rc - 128)), expected exit $expect"
		printf '  stderr: %s\n' "$err" | head -5
		return 1
	fi
	if [ "$rc" -ne "$expect" ]; then
		echo "FAIL $prog: exit status $rc, expected $expect"
		printf '  stderr: %s\n' "$err" | head -5
		return 1
	fi
	[ "$expect" -eq 0 ] && return 0
	if [ "$lines" -ne 1 ] || [ "${#err}" -eq 0 ] ||
	   [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ]; then
		echo "FAIL $prog: stderr is $lines lines, expected exactly one:"
		printf '%s\n' "$err" | head -5 | sed 's/^/  | /'
		return 1
	fi
	if [ "${err#"$prefix"}" = "$err" ]; then
		echo "FAIL $prog: stderr does not start with '$prefix': $err"
		return 1
	fi
	reason=${err#"$prefix"}
	if [ -z "${reason//[[:space:]]/}" ]; then
		echo "FAIL $prog: empty reason after '$prefix'"
		return 1
	fi
	return 0
}

if [ "${1:-}" = "--all" ]; then
	if [ $# -ne 3 ]; then
		echo "usage: $0 --all JUNCTION_RUN CORPUS_DIR" >&2
		exit 2
	fi
	jr="$2" dir="$3" fail=0 n=0
	while read -r name status; do
		n=$((n + 1))
		if check "$jr" "$status" "$dir/$name" </dev/null; then
			printf 'ok   %-32s %3s  %s\n' "$name" "$status" \
				"$last_reason"
		else
			fail=$((fail + 1))
		fi
	done <"$dir/MANIFEST"
	echo "$((n - fail))/$n corpus files behaved"
	[ "$fail" -eq 0 ]
	exit
fi

expect=126 control=
while [ $# -gt 0 ]; do
	case "$1" in
	--expect) expect="$2"; shift 2 ;;
	--control) control="$2"; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -lt 2 ]; then
	echo "usage: $0 [--expect N] [--control BIN] JUNCTION_RUN PROG [ARG...]" >&2
	exit 2
fi
jr="$1"
shift
if [ -n "$control" ] && ! check "$jr" 0 "$control"; then
	echo "the valid control program does not run: not checking $1"
	exit 1
fi
check "$jr" "$expect" "$@" || exit 1
printf 'ok %s: exit %s: %s\n' "$1" "$expect" "$last_reason"
