#!/bin/bash
# compare.sh - run a command natively and under junction-run; compare.
#
# usage: compare.sh [--stderr] [--stdin FILE] [--cwd DIR] [--jr-opt OPT]...
#                   JUNCTION_RUN -- CMD [ARGS...]
#
# Compares stdout (byte for byte) and the exit status; with --stderr, also
# stderr. Both runs get the same environment, stdin and working directory.
# Each --jr-opt adds one option to junction-run's command line (after
# --check-fast, before CMD), e.g. --jr-opt --cores=2; the native run does
# not see it.
# Prints a diff and exits 1 on a mismatch; exit 0 when identical.
set -u
cmp_stderr=0
stdin=/dev/null
cwd=.
jr_opts=()
while [ $# -gt 0 ]; do
	case "$1" in
	--stderr) cmp_stderr=1; shift ;;
	--stdin) stdin="$2"; shift 2 ;;
	--cwd) cwd="$2"; shift 2 ;;
	--jr-opt) jr_opts+=("$2"); shift 2 ;;
	*) break ;;
	esac
done
jr="$1"
shift
[ "$1" = "--" ] && shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$cwd" && "$@" <"$stdin" >"$tmp/n.out" 2>"$tmp/n.err")
n_rc=$?
(cd "$cwd" && "$jr" --check-fast ${jr_opts[@]+"${jr_opts[@]}"} "$@" <"$stdin" >"$tmp/j.out" 2>"$tmp/j.err")
j_rc=$?

fail=0
if ! cmp -s "$tmp/n.out" "$tmp/j.out"; then
	echo "stdout differs for: ${jr_opts[*]+${jr_opts[*]} }$*"
	if grep -qI . "$tmp/n.out" && grep -qI . "$tmp/j.out"; then
		diff "$tmp/n.out" "$tmp/j.out" | head -40
	else
		diff <(od -c "$tmp/n.out" | head -200) <(od -c "$tmp/j.out" | head -200) | head -40
	fi
	fail=1
fi
if [ "$n_rc" != "$j_rc" ]; then
	echo "exit status differs for: $*: native $n_rc, junction $j_rc"
	fail=1
fi
if [ $cmp_stderr = 1 ] && ! cmp -s "$tmp/n.err" "$tmp/j.err"; then
	echo "stderr differs for: $*"
	diff "$tmp/n.err" "$tmp/j.err" | head -40
	fail=1
fi
if [ $fail = 1 ]; then
	echo "--- junction stderr:"
	head -20 "$tmp/j.err"
fi
exit $fail
