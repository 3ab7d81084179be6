/* bench.h - junction-bench: shared declarations of the driver and the child */
#pragma once

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

/* size of the host file read by pread-4k and opened by open-close */
#define BENCH_FILE_SIZE (1 << 20)

/* idle-cpu: default sleep, and the environment variable that overrides it */
#define BENCH_IDLE_SECONDS 10.0
#define BENCH_IDLE_ENV "JUNCTION_BENCH_IDLE_SECONDS"

/* the state of one child microbenchmark, set up once and run many times */
struct micro_ctx {
	/* the file of pread-4k and open-close */
	const char *file;
	int fd;
	/* a benchmark's own state (threads.c), or NULL */
	void *priv;
	char buf[4096];
};

/* one child microbenchmark: whatever @run does @n times is one operation */
struct micro {
	const char *name;
	/* prepare @c, or return -errno; may be NULL */
	int (*setup)(struct micro_ctx *c);
	/* do @n operations; returns 0 or -errno */
	int (*run)(struct micro_ctx *c, uint64_t n);
	/* undo @setup (stop and join helper threads); may be NULL */
	void (*teardown)(struct micro_ctx *c);
};

/* the multithreaded microbenchmarks of threads.c */
extern const struct micro thread_micros[];
extern const size_t thread_nr_micros;

/**
 * bench_now_ns - CLOCK_MONOTONIC in nanoseconds (vDSO, natively and under
 * junction alike).
 */
uint64_t bench_now_ns(void);

/**
 * bench_file_create - create a BENCH_FILE_SIZE file in /tmp and read it once
 * so that it sits in the host page cache.
 * @path: receives the file's name (at least 64 bytes)
 *
 * Returns 0, or -errno. The caller unlinks @path when done.
 */
int bench_file_create(char *path);

/**
 * bench_child_valid - whether @name is a microbenchmark the child can run.
 */
int bench_child_valid(const char *name);

/**
 * bench_child - child mode: run microbenchmark @name and print its cost in
 * ns per operation on stdout, as one number on one line.
 * @arg: the file of pread-4k and open-close, or NULL to create one here;
 *       for idle-cpu, the seconds to sleep
 *
 * Returns the process exit status.
 */
int bench_child(const char *name, const char *arg);

/**
 * bench_parse_seconds - parse an idle-cpu duration: a decimal number of
 * seconds, more than 0 and at most 3600.
 *
 * Returns the seconds, or -1 if @s is not one.
 */
double bench_parse_seconds(const char *s);

/**
 * bench_idle_child - child mode of idle-cpu: sleep @seconds in one thread,
 * doing nothing else. The driver measures the CPU time this costs.
 *
 * Returns the process exit status.
 */
int bench_idle_child(double seconds);

/**
 * bench_fairness_child - child mode "fairness": four CPU-bound threads for
 * @seconds; prints each one's CPU time and share of the elapsed time.
 */
int bench_fairness_child(double seconds);

/* what the driver runs; set by main() from the command line */
struct bench_opts {
	int rounds;
	/* junction-run binary or its directory, or NULL for the default */
	const char *junction_run;
	/* NULL-terminated benchmark or group names; NULL or empty: all */
	const char **only;
	/* NULL-terminated extra arguments given to every junction-run */
	const char **junction_args;
	/* idle-cpu sleep */
	double idle_seconds;
};

/**
 * bench_select_valid - whether @name names a benchmark or a group.
 */
int bench_select_valid(const char *name);

/**
 * bench_list - print the benchmarks, their groups, junction-run variants and
 * targets to @f.
 */
void bench_list(FILE *f);

/**
 * bench_driver - driver mode: run the benchmarks @o selects natively and
 * under junction-run for @o->rounds rounds and print the table.
 *
 * Returns the process exit status.
 */
int bench_driver(const struct bench_opts *o);
