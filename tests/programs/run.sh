#!/bin/bash
# run.sh - a real program, natively and under junction-run, compared.
#
# usage: run.sh JUNCTION_RUN TEST_NAME
#
# Builds two identical fixture trees, runs the test's command natively in
# the first and under junction-run in the second, and compares: stdout
# (byte for byte), the exit status, and the resulting trees (paths, types,
# modes, sizes, contents). Exits 0 when all are identical.
set -u
jr=$(readlink -f "$1")
name="$2"
PY=/usr/bin/python3
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

listing() {
	(cd "$1/work" && find . -printf '%p %y %m %s\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# the command of each test; runs in the work dir; $RUN is empty natively
cmd() {
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
	*) echo "unknown test $name" >&2; exit 2 ;;
	esac
}

fixture "$base/n"
fixture "$base/j"
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
