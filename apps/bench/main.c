/* main.c - junction-bench: microbenchmarks, natively and under junction-run */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* --only names and --junction-arg arguments a command line may give */
#define MAX_LIST 32

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: junction-bench [--rounds N] [--junction PATH] "
		"[--only NAME[,NAME...]]\n"
		"                      [--junction-arg ARG] [--idle-seconds S]\n"
		"       junction-bench --list\n"
		"       junction-bench --child NAME [ARG]\n\n"
		"Runs each benchmark natively and under junction-run, "
		"interleaved over N\nrounds (default 9), and prints the "
		"median cost on each side and the ratio\njunction/native. "
		"Some benchmarks have a second row that runs junction-run\n"
		"with an option (--cores=1: all threads on one host thread). "
		"idle-cpu runs\nonce per side, after the table, and prints "
		"the CPU time of a sleeping\nprocess as a percentage of one "
		"core.\n\n"
		"  --rounds N          rounds, 1 to 101\n"
		"  --junction PATH     junction-run binary, or the directory "
		"holding it\n"
		"                      (default: ../../junction-run next to "
		"this binary)\n"
		"  --only NAME,...     run only these benchmarks (every row of "
		"each) or groups\n"
		"                      (syscalls, process, threads, idle, all); "
		"may be repeated\n"
		"  --junction-arg ARG  pass ARG to every junction-run (e.g. "
		"--no-rewrite);\n"
		"                      may be repeated\n"
		"  --idle-seconds S    idle-cpu sleep in seconds, 0 < S <= 3600 "
		"(default:\n"
		"                      $%s if set, else %g)\n"
		"  --list              list the benchmarks, groups and targets "
		"and exit\n"
		"  --child NAME [ARG]  run one microbenchmark here and print "
		"ns/op (ARG: the\n"
		"                      file of pread-4k and open-close, "
		"default a new one;\n"
		"                      for idle-cpu, the seconds to sleep, "
		"printing nothing;\n"
		"                      fairness [S]: four CPU-bound threads "
		"for S seconds\n"
		"                      (default 5), each one's share of the "
		"time: run it\n"
		"                      as junction-run --cores 1 "
		"junction-bench --child fairness)\n"
		"  --help              print this help and exit\n\n"
		"Benchmarks: getpid read-zero pread-4k open-close mmap-64k "
		"true futex-pingpong\ncondvar-pingpong pipe-pingpong "
		"thread-create-join mutex-uncontended sched-yield\n"
		"sched-yield-alone idle-cpu\n",
		BENCH_IDLE_ENV, BENCH_IDLE_SECONDS);
}

/* add the comma-separated names of @val to @only; -1 if one is unknown */
static int add_only(const char **only, int *n, char *val)
{
	for (char *name = strtok(val, ","); name; name = strtok(NULL, ",")) {
		if (!bench_select_valid(name)) {
			fprintf(stderr,
				"junction-bench: no benchmark or group "
				"'%s' (see --list)\n",
				name);
			return -1;
		}
		if (*n == MAX_LIST - 1) {
			fprintf(stderr, "junction-bench: too many --only "
					"names\n");
			return -1;
		}
		only[(*n)++] = name;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const char *only[MAX_LIST], *junction_args[MAX_LIST];
	struct bench_opts o = {
		.rounds = 9,
		.only = only,
		.junction_args = junction_args,
		.idle_seconds = BENCH_IDLE_SECONDS,
	};
	const char *idle_env = getenv(BENCH_IDLE_ENV);
	int nr_only = 0, nr_args = 0;

	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "--child"))
		return bench_child(argv[2], argc == 4 ? argv[3] : NULL);
	if (idle_env && idle_env[0]) {
		o.idle_seconds = bench_parse_seconds(idle_env);
		if (o.idle_seconds < 0) {
			fprintf(stderr,
				"junction-bench: %s: '%s' is not a "
				"number of seconds, 0 < S <= 3600\n",
				BENCH_IDLE_ENV, idle_env);
			return 2;
		}
	}
	for (int i = 1; i < argc; i += 2) {
		const char *arg = argv[i];
		char *val = argv[i + 1], *end;

		if (!strcmp(arg, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(arg, "--list")) {
			bench_list(stdout);
			return 0;
		}
		if (!val)
			goto bad_usage;
		if (!strcmp(arg, "--rounds")) {
			o.rounds = (int)strtol(val, &end, 10);
			if (*end || o.rounds < 1 || o.rounds > 101)
				goto bad_usage;
		} else if (!strcmp(arg, "--junction")) {
			o.junction_run = val;
		} else if (!strcmp(arg, "--only")) {
			if (add_only(only, &nr_only, val))
				return 2;
		} else if (!strcmp(arg, "--junction-arg")) {
			if (nr_args == MAX_LIST - 1)
				goto bad_usage;
			junction_args[nr_args++] = val;
		} else if (!strcmp(arg, "--idle-seconds")) {
			o.idle_seconds = bench_parse_seconds(val);
			if (o.idle_seconds < 0)
				goto bad_usage;
		} else {
			goto bad_usage;
		}
	}
	return bench_driver(&o);

bad_usage:
	usage(stderr);
	return 2;
}
