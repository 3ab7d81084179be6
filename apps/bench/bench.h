/* bench.h - junction-bench: shared declarations of the driver and the child */
#pragma once

#include <stdint.h>

/* size of the host file read by pread-4k and opened by open-close */
#define BENCH_FILE_SIZE (1 << 20)

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
 * @file: the file of pread-4k and open-close, or NULL to create one here
 *
 * Returns the process exit status.
 */
int bench_child(const char *name, const char *file);

/**
 * bench_driver - driver mode: run every benchmark (or only @only) natively
 * and under @junction_run for @rounds rounds and print the table.
 *
 * Returns the process exit status.
 */
int bench_driver(int rounds, const char *junction_run, const char *only);
