/* driver.c - junction-bench driver: native vs junction runs, side by side */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_ROUNDS 101
/* /bin/true runs per mode and round; its figure is their mean */
#define TRUE_ITERS 50

enum mode { NATIVE, JUNCTION, NR_MODES };

static const char *const mode_names[NR_MODES] = {"native", "junction"};

struct bench {
	const char *name;
	/* acceptance target for junction/native, or 0 for none */
	double target;
	/* 1: the driver times /bin/true itself; 0: a child microbenchmark */
	int is_true;
	/* per mode and round: ns/op (ms/run for true), < 0 on failure */
	double sample[NR_MODES][MAX_ROUNDS];
	/* why the first failure of each mode happened, "" if none */
	char fail[NR_MODES][96];
};

static struct bench benches[] = {
	{.name = "getpid", .target = 0.5},
	{.name = "read-zero"},
	{.name = "pread-4k", .target = 1.5},
	{.name = "open-close", .target = 1.5},
	{.name = "mmap-64k"},
	{.name = "true", .target = 3.0, .is_true = 1},
};

#define NR_BENCHES (sizeof(benches) / sizeof(benches[0]))

struct spawn_env {
	char self[PATH_MAX];
	char junction_run[PATH_MAX];
	char file[64];
};

static void describe_status(char *buf, size_t len, int status)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "wait status %#x", status);
}

/*
 * Fork and exec @argv. With @out, the child's stdout is a pipe whose whole
 * content is stored in @out (NUL-terminated, truncated to @out_len - 1).
 * Returns 0 if the child exited with status 0; otherwise -1 with @why set.
 */
static int spawn_wait(char *const argv[], char *out, size_t out_len, char *why,
		      size_t why_len)
{
	int pipefd[2] = {-1, -1};
	size_t got = 0;
	int status;
	pid_t pid;

	if (out && pipe2(pipefd, O_CLOEXEC)) {
		snprintf(why, why_len, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, why_len, "fork: %s", strerror(errno));
		goto close_pipe;
	}
	if (pid == 0) {
		if (out && dup2(pipefd[1], STDOUT_FILENO) < 0)
			_exit(127);
		execv(argv[0], argv);
		fprintf(stderr, "junction-bench: exec %s: %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	if (out) {
		close(pipefd[1]);
		pipefd[1] = -1;
		for (;;) {
			ssize_t n =
				read(pipefd[0], out + got, out_len - 1 - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
			if (got == out_len - 1)
				break;
		}
		out[got] = '\0';
		close(pipefd[0]);
		pipefd[0] = -1;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			snprintf(why, why_len, "waitpid: %s", strerror(errno));
			return -1;
		}
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	describe_status(why, why_len, status);
	return -1;

close_pipe:
	if (out) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	return -1;
}

/* one child run of microbenchmark @b; returns ns/op or -1 */
static double run_micro(struct spawn_env *env, struct bench *b, enum mode m,
			char *why, size_t why_len)
{
	char *native_argv[] = {env->self, "--child", (char *)b->name, env->file,
			       NULL};
	char *junction_argv[] = {env->junction_run, env->self, "--child",
				 (char *)b->name,   env->file, NULL};
	char out[128], *end;
	double v;

	if (spawn_wait(m == NATIVE ? native_argv : junction_argv, out,
		       sizeof(out), why, why_len))
		return -1;
	v = strtod(out, &end);
	if (end == out || v <= 0) {
		snprintf(why, why_len, "bad child output '%.40s'", out);
		return -1;
	}
	return v;
}

/* TRUE_ITERS wall-clock runs of /bin/true; returns the mean in ms or -1 */
static double run_true(struct spawn_env *env, enum mode m, char *why,
		       size_t why_len)
{
	char *native_argv[] = {"/bin/true", NULL};
	char *junction_argv[] = {env->junction_run, "/bin/true", NULL};
	uint64_t total = 0;

	for (int i = 0; i < TRUE_ITERS; i++) {
		uint64_t t0 = bench_now_ns();

		if (spawn_wait(m == NATIVE ? native_argv : junction_argv, NULL,
			       0, why, why_len))
			return -1;
		total += bench_now_ns() - t0;
	}
	return (double)total / TRUE_ITERS / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
	double s[MAX_ROUNDS];

	memcpy(s, v, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void print_header(int rounds, const struct spawn_env *env)
{
	char date[64] = "?", cpu[128] = "unknown CPU", line[256];
	time_t now = time(NULL);
	struct utsname u;
	FILE *f;

	strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	if (uname(&u))
		strcpy(u.release, "?");
	f = fopen("/proc/cpuinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			char *colon = strchr(line, ':');

			if (strncmp(line, "model name", 10) || !colon)
				continue;
			snprintf(cpu, sizeof(cpu), "%s", colon + 2);
			cpu[strcspn(cpu, "\n")] = '\0';
			break;
		}
		fclose(f);
	}
	printf("junction-bench  %s  Linux %s  %s  (%ld CPUs online)\n", date,
	       u.release, cpu, sysconf(_SC_NPROCESSORS_ONLN));
	printf("junction-run: %s\n", env->junction_run);
	printf("%d rounds, alternating which side goes first; median per "
	       "benchmark; ratio = junction/native\n\n",
	       rounds);
}

static void print_row(const struct bench *b, int rounds)
{
	double med[NR_MODES], ratios[MAX_ROUNDS], lo, hi, ratio;
	const char *unit = b->is_true ? "ms" : "ns";
	const char *prec = b->is_true ? "%10.3f %s" : "%10.1f %s";
	char range[32];

	printf("%-11s ", b->name);
	for (int m = 0; m < NR_MODES; m++) {
		if (b->fail[m][0]) {
			printf(" FAILED %s: %s\n", mode_names[m], b->fail[m]);
			return;
		}
	}
	for (int m = 0; m < NR_MODES; m++) {
		med[m] = median(b->sample[m], rounds);
		printf(prec, med[m], unit);
		printf("  ");
	}
	lo = hi = b->sample[JUNCTION][0] / b->sample[NATIVE][0];
	for (int r = 0; r < rounds; r++) {
		ratios[r] = b->sample[JUNCTION][r] / b->sample[NATIVE][r];
		lo = ratios[r] < lo ? ratios[r] : lo;
		hi = ratios[r] > hi ? ratios[r] : hi;
	}
	ratio = med[JUNCTION] / med[NATIVE];
	snprintf(range, sizeof(range), "%.2f-%.2f", lo, hi);
	printf("%6.2f  ", ratio);
	if (b->target > 0)
		printf("%-11s  <= %.1f  %s", range, b->target,
		       ratio <= b->target ? "ok" : "over");
	else
		printf("%s", range);
	printf("\n");
}

static void run_one(struct spawn_env *env, struct bench *b, enum mode m, int r)
{
	char why[96] = "";
	double v;

	if (b->fail[m][0]) {
		b->sample[m][r] = -1;
		return;
	}
	if (b->is_true)
		v = run_true(env, m, why, sizeof(why));
	else
		v = run_micro(env, b, m, why, sizeof(why));
	b->sample[m][r] = v;
	if (v < 0) {
		snprintf(b->fail[m], sizeof(b->fail[m]), "%s", why);
		fprintf(stderr, "junction-bench: %s %s, round %d: %s\n",
			b->name, mode_names[m], r + 1, why);
	}
}

/* resolve @path, a junction-run binary or the directory holding one */
static int find_junction_run(struct spawn_env *env, const char *path)
{
	char buf[PATH_MAX];
	struct stat st;

	if (path) {
		snprintf(buf, sizeof(buf), "%s", path);
	} else {
		char *slash;

		snprintf(buf, sizeof(buf), "%s", env->self);
		slash = strrchr(buf, '/');
		if (slash)
			*slash = '\0';
		strncat(buf, "/../../junction-run",
			sizeof(buf) - strlen(buf) - 1);
	}
	if (!stat(buf, &st) && S_ISDIR(st.st_mode))
		strncat(buf, "/junction-run", sizeof(buf) - strlen(buf) - 1);
	if (!realpath(buf, env->junction_run) ||
	    access(env->junction_run, X_OK)) {
		fprintf(stderr,
			"junction-bench: no junction-run at %s (use "
			"--junction PATH)\n",
			buf);
		return -1;
	}
	return 0;
}

int bench_driver(int rounds, const char *junction_run, const char *only)
{
	static struct spawn_env env;
	int failed = 0, err;
	ssize_t n;

	n = readlink("/proc/self/exe", env.self, sizeof(env.self) - 1);
	if (n < 0) {
		perror("junction-bench: /proc/self/exe");
		return 1;
	}
	env.self[n] = '\0';
	if (find_junction_run(&env, junction_run))
		return 1;
	err = bench_file_create(env.file);
	if (err) {
		fprintf(stderr, "junction-bench: temp file: %s\n",
			strerror(-err));
		return 1;
	}

	print_header(rounds, &env);
	fflush(stdout);
	for (int r = 0; r < rounds; r++) {
		/* even rounds run native first, odd rounds junction first */
		enum mode first = r % 2 ? JUNCTION : NATIVE;

		fprintf(stderr, "round %d/%d ...\n", r + 1, rounds);
		for (size_t i = 0; i < NR_BENCHES; i++) {
			struct bench *b = &benches[i];

			if (only && strcmp(only, b->name))
				continue;
			run_one(&env, b, first, r);
			run_one(&env, b, 1 - first, r);
		}
	}
	unlink(env.file);

	printf("%-11s %13s  %13s  %6s  %-11s  %s\n", "benchmark", "native",
	       "junction", "ratio", "range", "target");
	for (size_t i = 0; i < NR_BENCHES; i++) {
		struct bench *b = &benches[i];

		if (only && strcmp(only, b->name))
			continue;
		print_row(b, rounds);
		failed |= b->fail[NATIVE][0] || b->fail[JUNCTION][0];
	}
	printf("\n(micro: ns per operation, child runs ~0.3 s after warm-up; "
	       "true: mean ms per run of %d fork+exec+wait)\n",
	       TRUE_ITERS);
	return failed;
}
