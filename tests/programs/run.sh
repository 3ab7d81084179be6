#!/bin/bash
# run.sh - a real program, natively and under junction-run, compared.
#
# usage: run.sh JUNCTION_RUN TEST_NAME [PROGRAM]
#
# Builds two identical fixture trees, runs the test's command natively in
# the first and under junction-run in the second, and compares: stdout
# (byte for byte), the exit status, and the resulting trees (paths, types,
# modes, sizes, contents). Exits 0 when all are identical, 77 (skipped)
# when the test needs something that is not installed. PROGRAM is a binary
# built for the test (the go-* tests: the Go program built by meson).
set -u
jr=$(readlink -f "$1")
name="$2"
prog="${3:+$(readlink -f "$3")}"
here=$(dirname "$(readlink -f "$0")")
PY=/usr/bin/python3
PYT="$here/python"

case "$name" in
node-*)
	if [ ! -x /usr/bin/node ]; then
		echo "SKIP $name: node is not installed (apt-get install nodejs)"
		exit 77
	fi ;;
go-*)
	if [ -z "$prog" ] || [ ! -x "$prog" ]; then
		echo "SKIP $name: no Go program built: go is not installed" \
			"(apt-get install golang-go)"
		exit 77
	fi ;;
esac
base=$(mktemp -d /tmp/jprog.XXXXXX)
trap 'chmod -R u+w "$base" 2>/dev/null; rm -rf "$base"' EXIT
export LC_ALL=C TZ=UTC

# a fixed tree: text, binary, nested dirs, a symlink, fixed modes and times
fixture() {
	local d="$1/work"
	mkdir -p "$d/src/sub/deep" "$d/empty"
	printf 'alpha\nbeta\ngamma\ndelta\nepsilon\n' >"$d/src/greek.txt"
	seq 1 2000 | sed 's/$/ lines of numbers/' >"$d/src/numbers.txt"
	head -c 65536 /usr/bin/python3 >"$d/src/binary.bin"
	printf 'deep file\n' >"$d/src/sub/deep/leaf.txt"
	printf 'int main(void) { return 0; }\n' >"$d/src/sub/code.c"
	printf 'zeta\neta\ntheta\n' >"$d/src/sub/more.txt"
	ln -s greek.txt "$d/src/link.txt"
	chmod 0640 "$d/src/numbers.txt"
	chmod 0755 "$d/src/sub/code.c"
	find "$d" -exec touch -h -d '2021-02-03 04:05:06' {} +
	touch -d '2021-02-03 04:05:06' "$1"
}

# N lines of deterministic pseudo-random text (a Park-Miller generator; the
# products stay below 2^53, exact in awk's doubles), about 38 bytes a line
gen_lines() {
	awk -v n="$1" 'BEGIN {
		x = 42
		for (i = 0; i < n; i++) {
			x = (x * 16807) % 2147483647
			printf "%010d %07x %s line %d\n", x, (x * 7) % 268435399,
				substr("qwertyuiopasdfghjklzxcvbnm", x % 26 + 1, 4 + x % 9), i
		}
	}'
}

# extra input of the tests that need a large file: made once, copied into
# both trees
prepare() {
	case "$name" in
	sort-parallel*)
		[ -f "$base/big.txt" ] || gen_lines 700000 >"$base/big.txt"
		cp "$base/big.txt" "$1/work/big.txt" ;;
	xz-T2)
		[ -f "$base/data.bin" ] || gen_lines 105000 >"$base/data.bin"
		cp "$base/data.bin" "$1/work/data.bin" ;;
	esac
}

listing() {
	(cd "$1/work" && find . -printf '%p %y %m %s\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# the command of each test; runs in the work dir; $RUN is empty natively.
# Multithreaded programs run with $RUN2, on two host threads (--cores 2).
cmd() {
	local RUN2=${RUN:+$RUN --cores 2} RUN1=${RUN:+$RUN --cores 1}
	case "$name" in
	ls) $RUN ls -la src src/sub ;;
	ls-R) $RUN ls -lR --time-style=+%F src ;;
	cat) $RUN cat src/greek.txt src/sub/more.txt src/binary.bin ;;
	sort) $RUN sort -r src/numbers.txt ;;
	sort-k) $RUN sort -t' ' -k1,1n -k2 src/numbers.txt src/greek.txt ;;
	wc) $RUN wc src/numbers.txt src/greek.txt src/binary.bin ;;
	sha256sum) $RUN sha256sum src/greek.txt src/binary.bin src/numbers.txt ;;
	cp) $RUN cp -a src copy && $RUN cp src/greek.txt src/greek2.txt ;;
	mv) $RUN mv src/sub src/moved && $RUN mv src/greek.txt renamed.txt ;;
	rm) $RUN rm -r src/sub && $RUN rm src/greek.txt ;;
	mkdir) $RUN mkdir -p a/b/c && $RUN mkdir -m 700 d ;;
	find) $RUN find src -name '*.txt' -printf '%p %s %m\n' ;;
	stat) $RUN stat -c '%n %s %a %F %h %U' src src/greek.txt src/link.txt src/sub ;;
	stat-L) $RUN stat -L -c '%n %s %a %F' src/link.txt /dev/null ;;
	date) $RUN date -d @1234567890 ; $RUN date -u -d '2020-02-29 12:00' '+%s %A %j' ;;
	env) env -i A=1 B='two words' PATH=/usr/bin:/bin $RUN /usr/bin/env ;;
	env-exec) $RUN env -i X=1 /usr/bin/env ;;
	# node is non-PIE (0x400000-0x5689000), over the rewriter's slot
	# window: exec'd by env after env's own sites were rewritten
	# openpty: glibc's TIOCGPTPEER returns a new fd, which is a guest fd
	python-openpty) $RUN $PY -c 'import os
m, s = os.openpty()
os.write(m, b"hi\n")
print(os.read(s, 10), os.ttyname(s).startswith("/dev/pts/"), os.isatty(s), s > m)
os.write(s, b"back\n")
got = b""
while b"back" not in got:
    got += os.read(m, 20)
print(got)' ;;
	# every fd junction-run inherits is the guest's, at its number
	inherit-fds) $RUN cat /dev/fd/3 3<src/greek.txt && $RUN head -c 40 /proc/self/fd/7 7<src/numbers.txt && $RUN $PY -c 'import os; os.write(9, b"to nine\n"); print(os.read(8, 5))' 8<src/greek.txt 9>nine.txt ;;
	node-version) $RUN /usr/bin/env node --version ;;
	node-script) printf '#!/usr/bin/env node\nconst fs = require("fs");\nconsole.log(fs.readdirSync("src").sort().join(" "), [1, 2, 3].map(x => x * 2));\n' >s.js && chmod +x s.js && $RUN ./s.js ;;
	grep) $RUN grep -n 'a' src/greek.txt && $RUN grep -rc 'e' src ;;
	grep-E) $RUN grep -E '^(1|22|333) ' src/numbers.txt ;;
	sed) $RUN sed -n 's/\(numbers\)/[\1]/p' src/numbers.txt | head -5 ;;
	sed-i) $RUN sed -i 's/a/A/g' src/greek.txt ;;
	tar) $RUN tar -cf arch.tar src && $RUN tar -tvf arch.tar &&
		mkdir out && $RUN tar -xf arch.tar -C out ;;
	python-json) $RUN $PY -c 'import json; d={"k":[1,2.5,None,True],"s":"\u00e9"}; print(json.dumps(d, sort_keys=True)); print(json.loads("[1, {\"a\": 2}]"))' ;;
	python-re) $RUN $PY -c 'import re; print(re.findall(r"(\w+)a\b", "alpha beta gamma delta")); print(re.sub(r"\d+", lambda m: str(int(m.group())*2), "1 22 333"))' ;;
	python-hashlib) $RUN $PY -c 'import hashlib; d=open("src/binary.bin","rb").read(); print(hashlib.sha256(d).hexdigest(), hashlib.md5(d).hexdigest(), hashlib.blake2b(d).hexdigest()[:32])' ;;
	python-walk) $RUN $PY -c 'import os
for r, ds, fs in sorted(os.walk("src")):
    print(r, sorted(ds), sorted(fs))' ;;
	python-write) $RUN $PY -c 'import os
with open("out.txt", "w") as f:
    for i in range(1000): f.write("line %d\n" % i)
os.rename("out.txt", "final.txt"); os.mkdir("pydir"); open("pydir/x","wb").write(bytes(range(256)))
print(os.path.getsize("final.txt"), sorted(os.listdir(".")))' ;;
	perl) $RUN perl -e 'my %h; for (1..100) { $h{$_ % 7}++ } print join(",", map {"$_=$h{$_}"} sort keys %h), "\n"; printf("%.3f %s\n", 22/7, scalar reverse "junction");' ;;
	perl-file) $RUN perl -ne 'print if /^(alpha|delta)/; END { print "$.\n" }' src/greek.txt ;;
	python-threads) $RUN2 $PY "$PYT/threads_lock.py" ;;
	python-queue) $RUN2 $PY "$PYT/queue_pc.py" ;;
	python-pool) $RUN2 $PY "$PYT/pool.py" ;;
	python-timer) $RUN2 $PY "$PYT/timer.py" ;;
	python-event) $RUN2 $PY "$PYT/event_cond.py" ;;
	go-goroutines | go-channels | go-timers | go-sync | go-gc | go-gomaxprocs | \
	go-threads)
		$RUN2 "$prog" "${name#go-}" ;;
	go-cgo-*) $RUN2 "$prog" "${name#go-cgo-}" ;;
	go-preempt-1core) $RUN1 "$prog" gomaxprocs ;;
	# in memory: more than 128k lines, so sort splits them among threads
	sort-parallel) $RUN2 sort --parallel=2 -o sorted.txt big.txt &&
		sha256sum sorted.txt ;;
	# 16 MiB buffers: sorted by threads, spilled to temporary files, merged
	sort-parallel-tmp) mkdir tmp && $RUN2 sort --parallel=2 -S 16M -T tmp \
		-k2,2 -k1,1n -o sorted.txt big.txt && sha256sum sorted.txt &&
		rmdir tmp ;;
	# 4 blocks compressed by 2 threads; the output depends only on the
	# block size, so it must equal the native one byte for byte
	xz-T2) $RUN2 xz -3 -T2 --block-size=1MiB -k data.bin &&
		mv data.bin orig.bin && $RUN2 xz -T2 -d -k data.bin.xz &&
		cmp data.bin orig.bin && $RUN2 xz -T2 -dc data.bin.xz | sha256sum &&
		sha256sum data.bin.xz data.bin orig.bin ;;
	*) echo "unknown test $name" >&2; exit 2 ;;
	esac
}

fixture "$base/n"
fixture "$base/j"
prepare "$base/n"
prepare "$base/j"
(cd "$base/n/work" && RUN= cmd) >"$base/n.out" 2>"$base/n.err"
n_rc=$?
(cd "$base/j/work" && RUN="$jr --check-fast" cmd) >"$base/j.out" 2>"$base/j.err"
j_rc=$?

fail=0
if ! cmp -s "$base/n.out" "$base/j.out"; then
	echo "stdout differs:"
	diff "$base/n.out" "$base/j.out" | head -30
	fail=1
fi
if [ $n_rc != $j_rc ]; then
	echo "exit status differs: native $n_rc, junction $j_rc"
	fail=1
fi
if ! diff <(listing "$base/n") <(listing "$base/j") >"$base/tree.diff"; then
	echo "resulting trees differ:"
	head -30 "$base/tree.diff"
	fail=1
fi
if [ $fail = 1 ]; then
	echo "--- junction stderr:"
	head -20 "$base/j.err"
fi
exit $fail
