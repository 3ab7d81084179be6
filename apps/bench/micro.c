/* micro.c - junction-bench child mode: one timed microbenchmark */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* a measured run lasts about this long */
#define RUN_NS 300000000ull
/* calibration doubles the count until a batch lasts at least this long */
#define CALIB_NS 30000000ull
/* warm-up: first calls trap and get rewritten, pages and caches get hot */
#define WARMUP_OPS 2000

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int bench_file_create(char *path)
{
	static char chunk[65536];
	int fd, ret = 0;

	snprintf(path, 64, "/tmp/junction-bench.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	memset(chunk, 'j', sizeof(chunk));
	for (size_t off = 0; off < BENCH_FILE_SIZE; off += sizeof(chunk)) {
		if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
			ret = -EIO;
			goto unlink_file;
		}
	}
	/* read it back once so every later read hits the page cache */
	for (off_t off = 0; off < BENCH_FILE_SIZE; off += sizeof(chunk)) {
		if (pread(fd, chunk, sizeof(chunk), off) !=
		    (ssize_t)sizeof(chunk)) {
			ret = -EIO;
			goto unlink_file;
		}
	}
	close(fd);
	return 0;

unlink_file:
	unlink(path);
	close(fd);
	return ret;
}

static int run_getpid(struct micro_ctx *c, uint64_t n)
{
	(void)c;
	for (uint64_t i = 0; i < n; i++) {
		long ret;

		/*
		 * A 7-byte "mov $39,%eax; syscall" site, which junction
		 * rewrites into a jump; glibc's getpid() could be cached.
		 */
		asm volatile("mov $39, %%eax\n\t"
			     "syscall"
			     : "=a"(ret)
			     :
			     : "rcx", "r11", "memory");
		if (ret <= 0)
			return ret < 0 ? (int)ret : -EINVAL;
	}
	return 0;
}

static int setup_read_zero(struct micro_ctx *c)
{
	c->fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
	return c->fd < 0 ? -errno : 0;
}

static int run_read_zero(struct micro_ctx *c, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (read(c->fd, c->buf, 1) != 1)
			return -EIO;
	}
	return 0;
}

static int setup_file(struct micro_ctx *c)
{
	c->fd = open(c->file, O_RDONLY | O_CLOEXEC);
	return c->fd < 0 ? -errno : 0;
}

static int run_pread_4k(struct micro_ctx *c, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		if (pread(c->fd, c->buf, 4096, 0) != 4096)
			return -EIO;
	}
	return 0;
}

static int run_open_close(struct micro_ctx *c, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		int fd = open(c->file, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return -errno;
		if (close(fd))
			return -errno;
	}
	return 0;
}

static int run_mmap_64k(struct micro_ctx *c, uint64_t n)
{
	(void)c;
	for (uint64_t i = 0; i < n; i++) {
		void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return -errno;
		if (munmap(p, 65536))
			return -errno;
	}
	return 0;
}

static void teardown_fd(struct micro_ctx *c)
{
	close(c->fd);
}

static const struct micro micros[] = {
	{"getpid", NULL, run_getpid, NULL},
	{"read-zero", setup_read_zero, run_read_zero, teardown_fd},
	{"pread-4k", setup_file, run_pread_4k, teardown_fd},
	{"open-close", setup_file, run_open_close, teardown_fd},
	{"mmap-64k", NULL, run_mmap_64k, NULL},
};

static const struct micro *micro_find(const char *name)
{
	for (size_t i = 0; i < sizeof(micros) / sizeof(micros[0]); i++) {
		if (!strcmp(micros[i].name, name))
			return &micros[i];
	}
	for (size_t i = 0; i < thread_nr_micros; i++) {
		if (!strcmp(thread_micros[i].name, name))
			return &thread_micros[i];
	}
	return NULL;
}

int bench_child_valid(const char *name)
{
	return !strcmp(name, "idle-cpu") || !strcmp(name, "fairness") ||
	       micro_find(name) != NULL;
}

/* time @n operations; returns elapsed ns, or 0 with *err set on failure */
static uint64_t timed_run(const struct micro *m, struct micro_ctx *c,
			  uint64_t n, int *err)
{
	uint64_t t0 = bench_now_ns();

	*err = m->run(c, n);
	return bench_now_ns() - t0;
}

int bench_child(const char *name, const char *arg)
{
	const struct micro *m = micro_find(name);
	struct micro_ctx c = {.file = arg, .fd = -1};
	char own_file[64] = "";
	uint64_t n, ns;
	int err;

	if (!strcmp(name, "idle-cpu")) {
		double s = arg ? bench_parse_seconds(arg) : BENCH_IDLE_SECONDS;

		if (s < 0) {
			fprintf(stderr,
				"junction-bench: idle-cpu: '%s' is "
				"not 0 < S <= 3600 seconds\n",
				arg);
			return 2;
		}
		return bench_idle_child(s);
	}
	if (!strcmp(name, "fairness")) {
		double s = arg ? bench_parse_seconds(arg) : 5;

		if (s < 0) {
			fprintf(stderr,
				"junction-bench: fairness: '%s' is "
				"not 0 < S <= 3600 seconds\n",
				arg);
			return 2;
		}
		return bench_fairness_child(s);
	}
	if (!m) {
		fprintf(stderr, "junction-bench: no benchmark '%s'\n", name);
		return 2;
	}
	if (!c.file) {
		err = bench_file_create(own_file);
		if (err) {
			fprintf(stderr, "junction-bench: temp file: %s\n",
				strerror(-err));
			return 1;
		}
		c.file = own_file;
	}
	if (m->setup) {
		err = m->setup(&c);
		if (err)
			goto unlink_file;
	}

	timed_run(m, &c, WARMUP_OPS, &err);
	if (err)
		goto teardown;
	/* find a count that lasts CALIB_NS, then scale it to RUN_NS */
	for (n = WARMUP_OPS;; n *= 2) {
		ns = timed_run(m, &c, n, &err);
		if (err)
			goto teardown;
		if (ns >= CALIB_NS)
			break;
	}
	n = (uint64_t)((double)n * RUN_NS / (double)ns) + 1;
	ns = timed_run(m, &c, n, &err);
	if (err)
		goto teardown;

	printf("%.3f\n", (double)ns / (double)n);
	fflush(stdout);

teardown:
	if (m->teardown)
		m->teardown(&c);
unlink_file:
	if (own_file[0])
		unlink(own_file);
	if (err)
		fprintf(stderr, "junction-bench: %s: %s\n", name,
			strerror(-err));
	return err ? 1 : 0;
}
