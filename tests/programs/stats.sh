#!/bin/bash
# stats.sh - the rewriter keeps hot syscall sites off the trap path.
#
# usage: stats.sh JUNCTION_RUN
#
# junction-run --stats prints "syscalls: total=N rewritten=N trapped=N"
# first. Checks: python3 -c pass traps at most 15% of its syscalls (the
# foundation issue's bound), and 4000 pipe reads and writes from two
# threads (glibc's multithreaded read path) trap fewer than 100 times:
# each site traps once, then jumps.
set -u
jr=$(readlink -f "$1")
fail=0

# stats CMD... -> "total trapped" of the --stats line
stats() {
	"$jr" --stats "$@" 2>&1 >/dev/null |
		sed -n 's/^syscalls: total=\([0-9]*\) rewritten=[0-9]* trapped=\([0-9]*\)$/\1 \2/p' |
		head -1
}

read -r total trapped <<<"$(stats /usr/bin/python3 -c pass)"
if [ -z "${total:-}" ]; then
	echo "FAIL python3 -c pass: no stats line"
	exit 1
fi
echo "python3 -c pass: total=$total trapped=$trapped"
if [ $((trapped * 100)) -gt $((total * 15)) ]; then
	echo "FAIL more than 15% trapped"
	fail=1
fi

read -r total trapped <<<"$(stats /usr/bin/python3 -c '
import os, threading
r1, w1 = os.pipe(); r2, w2 = os.pipe()
def echo():
    for _ in range(2000):
        os.write(w2, os.read(r1, 1))
t = threading.Thread(target=echo); t.start()
for _ in range(2000):
    os.write(w1, b"x"); os.read(r2, 1)
t.join()
')"
echo "pipe ping-pong from two threads: total=$total trapped=$trapped"
if [ -z "${total:-}" ] || [ "$total" -lt 8000 ] || [ "$trapped" -ge 100 ]; then
	echo "FAIL expected >= 8000 syscalls and < 100 traps"
	fail=1
fi
exit $fail
