/* main.c - junction-bench: microbenchmarks, natively and under junction-run */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: junction-bench [--rounds N] [--junction PATH] "
		"[--only NAME]\n"
		"       junction-bench --child NAME [FILE]\n\n"
		"Runs each benchmark natively and under junction-run, "
		"interleaved over N\nrounds (default 9), and prints the "
		"median cost on each side and the ratio\njunction/native.\n\n"
		"  --rounds N       rounds, 1 to 101\n"
		"  --junction PATH  junction-run binary, or the directory "
		"holding it\n"
		"                   (default: ../../junction-run next to this "
		"binary)\n"
		"  --only NAME      run only benchmark NAME\n"
		"  --child NAME     run one microbenchmark here and print ns/op "
		"(FILE: the\n"
		"                   file of pread-4k and open-close; default "
		"a new one)\n\n"
		"Benchmarks: getpid read-zero pread-4k open-close mmap-64k "
		"true\n");
}

int main(int argc, char **argv)
{
	const char *junction = NULL, *only = NULL;
	int rounds = 9;

	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "--child"))
		return bench_child(argv[2], argc == 4 ? argv[3] : NULL);
	for (int i = 1; i < argc; i += 2) {
		const char *arg = argv[i], *val = argv[i + 1];
		char *end;

		if (!strcmp(arg, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!val)
			goto bad_usage;
		if (!strcmp(arg, "--rounds")) {
			rounds = (int)strtol(val, &end, 10);
			if (*end || rounds < 1 || rounds > 101)
				goto bad_usage;
		} else if (!strcmp(arg, "--junction")) {
			junction = val;
		} else if (!strcmp(arg, "--only")) {
			only = val;
			if (strcmp(only, "true") && !bench_child_valid(only))
				goto bad_usage;
		} else {
			goto bad_usage;
		}
	}
	return bench_driver(rounds, junction, only);

bad_usage:
	usage(stderr);
	return 2;
}
