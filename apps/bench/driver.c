/* driver.c - junction-bench driver: native vs junction runs, side by side */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MAX_ROUNDS 101
/* /bin/true runs per mode and round; its figure is their mean */
#define TRUE_ITERS 50
/* a child still running this long after its start is killed as hung */
#define CHILD_TIMEOUT_S 120
/* room for the junction-run arguments of one child */
#define MAX_ARGV 48

enum mode { NATIVE, JUNCTION, NR_MODES };

static const char *const mode_names[NR_MODES] = {"native", "junction"};

enum kind {
	/* a child microbenchmark printing ns/op */
	MICRO,
	/* the driver times fork+exec+wait of /bin/true itself */
	TRUE_RUNS,
	/* the driver measures a sleeping child's CPU time (not per round) */
	IDLE,
};

struct bench {
	const char *name;
	const char *group;
	/* what one operation is, for --list */
	const char *what;
	/* this row's own junction-run argument (a variant), or NULL */
	const char *variant;
	/* acceptance target for junction/native, or 0 for none */
	double target;
	enum kind kind;
	int selected;
	/*
	 * per mode and round: ns/op (MICRO), ms/run (TRUE_RUNS), or for IDLE
	 * in round 0 the CPU time in ns; < 0 on failure
	 */
	double sample[NR_MODES][MAX_ROUNDS];
	/* IDLE: the child's wall-clock lifetime in ns */
	double wall[NR_MODES];
	/* why the first failure of each mode happened, "" if none */
	char fail[NR_MODES][96];
};

#define ONE_HOST_THREAD "the same, junction-run with one host thread"

static struct bench benches[] = {
	{.name = "getpid",
	 .group = "syscalls",
	 .what = "getpid through a 7-byte syscall site",
	 .target = 0.5},
	{.name = "read-zero",
	 .group = "syscalls",
	 .what = "1-byte read of /dev/zero"},
	{.name = "pread-4k",
	 .group = "syscalls",
	 .what = "4 KiB pread of a cached host file",
	 .target = 1.5},
	{.name = "open-close",
	 .group = "syscalls",
	 .what = "open and close of that file",
	 .target = 1.5},
	{.name = "mmap-64k",
	 .group = "syscalls",
	 .what = "64 KiB anonymous mmap and munmap"},
	{.name = "true",
	 .group = "process",
	 .what = "fork+exec+wait of /bin/true (ms per run)",
	 .target = 3.0,
	 .kind = TRUE_RUNS},
	{.name = "futex-pingpong",
	 .group = "threads",
	 .what = "round trip of 2 threads: FUTEX_WAKE, FUTEX_WAIT",
	 .target = 0.1},
	{.name = "futex-pingpong",
	 .group = "threads",
	 .what = ONE_HOST_THREAD,
	 .variant = "--cores=1",
	 .target = 0.1},
	{.name = "condvar-pingpong",
	 .group = "threads",
	 .what = "round trip: a mutex, one condvar per direction",
	 .target = 0.1},
	{.name = "condvar-pingpong",
	 .group = "threads",
	 .what = ONE_HOST_THREAD,
	 .variant = "--cores=1",
	 .target = 0.1},
	{.name = "pipe-pingpong",
	 .group = "threads",
	 .what = "round trip: 1-byte write and read, 2 pipes",
	 .target = 0.15},
	{.name = "pipe-pingpong",
	 .group = "threads",
	 .what = ONE_HOST_THREAD,
	 .variant = "--cores=1",
	 .target = 0.15},
	{.name = "thread-create-join",
	 .group = "threads",
	 .what = "pthread_create + pthread_join, empty thread",
	 .target = 0.1},
	{.name = "mutex-uncontended",
	 .group = "threads",
	 .what = "pthread_mutex_lock + unlock, 1 thread, no syscall"},
	{.name = "sched-yield",
	 .group = "threads",
	 .what = "sched_yield while a 2nd thread yields too"},
	{.name = "sched-yield",
	 .group = "threads",
	 .what = ONE_HOST_THREAD,
	 .variant = "--cores=1"},
	{.name = "sched-yield-alone",
	 .group = "threads",
	 .what = "sched_yield, 1 thread"},
	{.name = "idle-cpu",
	 .group = "idle",
	 .what = "CPU time of a process sleeping S s, % of a core",
	 .kind = IDLE},
};

#define NR_BENCHES (sizeof(benches) / sizeof(benches[0]))

struct spawn_env {
	char self[PATH_MAX];
	char junction_run[PATH_MAX];
	char file[64];
	/* NULL-terminated arguments for every junction-run, before the row's */
	const char **junction_args;
	/* the signal mask children start with (the driver blocks SIGCHLD) */
	sigset_t child_mask;
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

/* milliseconds from now to @deadline (bench_now_ns), at least 0 */
static int ms_left(uint64_t deadline)
{
	uint64_t now = bench_now_ns();

	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

/* read @fd to its end into @out (NUL-terminated); -ETIMEDOUT at @deadline */
static int read_all(int fd, char *out, size_t out_len, uint64_t deadline)
{
	size_t got = 0;

	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		int ready = poll(&pfd, 1, ms_left(deadline));
		ssize_t n;

		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			break;
		if (ready == 0) {
			out[got] = '\0';
			return -ETIMEDOUT;
		}
		n = read(fd, out + got, out_len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == out_len - 1)
			break;
	}
	out[got] = '\0';
	return 0;
}

/*
 * Reap @pid into @status and @ru; at @deadline (or at once if @kill_now),
 * kill it first. SIGCHLD is blocked: sigtimedwait sleeps until the child
 * exits, with no polling. Returns 0, or -ETIMEDOUT if it had to be killed
 * (or could not be waited for, which cannot happen to our own child).
 */
static int reap(pid_t pid, int *status, struct rusage *ru, uint64_t deadline,
		int kill_now)
{
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	while (!kill_now) {
		pid_t r = wait4(pid, status, WNOHANG, ru);
		int ms = ms_left(deadline);
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

		if (r == pid)
			return 0;
		if (r < 0 && errno != EINTR)
			break;
		if (!ms)
			break;
		sigtimedwait(&chld, NULL, &ts);
	}
	kill(pid, SIGKILL);
	while (wait4(pid, status, 0, ru) < 0 && errno == EINTR)
		;
	return -ETIMEDOUT;
}

/*
 * Fork and exec @argv, and wait at most @timeout_s seconds for it. With
 * @out, the child's stdout is a pipe whose whole content is stored in @out
 * (NUL-terminated, truncated to @out_len - 1). With @ru, the child's
 * resource usage is stored there. Returns 0 if the child exited with status
 * 0; otherwise -1 with @why set.
 */
static int spawn_wait(const struct spawn_env *env, char *const argv[],
		      int timeout_s, char *out, size_t out_len,
		      struct rusage *ru, char *why, size_t why_len)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)timeout_s * 1000000000;
	int pipefd[2] = {-1, -1};
	struct rusage own_ru;
	int status, late = 0;
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
		sigprocmask(SIG_SETMASK, &env->child_mask, NULL);
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
		late = read_all(pipefd[0], out, out_len, deadline);
		close(pipefd[0]);
		pipefd[0] = -1;
	}
	if (reap(pid, &status, ru ? ru : &own_ru, deadline, late)) {
		snprintf(why, why_len, "hung: killed after %d s", timeout_s);
		return -1;
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

/*
 * The command line of @b's child in mode @m: @prog (and @args) natively,
 * under junction-run with the common and the row's own arguments otherwise.
 */
static void child_argv(const struct spawn_env *env, const struct bench *b,
		       enum mode m, char *argv[MAX_ARGV], char *prog,
		       char *const args[])
{
	int n = 0;

	if (m == JUNCTION) {
		argv[n++] = (char *)env->junction_run;
		for (int i = 0; env->junction_args && env->junction_args[i];
		     i++)
			argv[n++] = (char *)env->junction_args[i];
		if (b->variant)
			argv[n++] = (char *)b->variant;
	}
	argv[n++] = prog;
	for (int i = 0; args[i]; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
}

/* one child run of microbenchmark @b; returns ns/op or -1 */
static double run_micro(struct spawn_env *env, struct bench *b, enum mode m,
			char *why, size_t why_len)
{
	char *args[] = {"--child", (char *)b->name, env->file, NULL};
	char *argv[MAX_ARGV], out[128], *end;
	double v;

	child_argv(env, b, m, argv, env->self, args);
	if (spawn_wait(env, argv, CHILD_TIMEOUT_S, out, sizeof(out), NULL, why,
		       why_len))
		return -1;
	v = strtod(out, &end);
	if (end == out || v <= 0) {
		snprintf(why, why_len, "bad child output '%.40s'", out);
		return -1;
	}
	return v;
}

/* TRUE_ITERS wall-clock runs of /bin/true; returns the mean in ms or -1 */
static double run_true(struct spawn_env *env, struct bench *b, enum mode m,
		       char *why, size_t why_len)
{
	char *args[] = {NULL}, *argv[MAX_ARGV];
	uint64_t total = 0;

	child_argv(env, b, m, argv, "/bin/true", args);
	for (int i = 0; i < TRUE_ITERS; i++) {
		uint64_t t0 = bench_now_ns();

		if (spawn_wait(env, argv, CHILD_TIMEOUT_S, NULL, 0, NULL, why,
			       why_len))
			return -1;
		total += bench_now_ns() - t0;
	}
	return (double)total / TRUE_ITERS / 1e6;
}

/*
 * One idle-cpu child sleeping @seconds; returns the CPU time (user + sys)
 * of the whole child process, junction-run included, in ns, or -1.
 */
static double run_idle(struct spawn_env *env, struct bench *b, enum mode m,
		       double seconds, char *why, size_t why_len)
{
	char secs[32], *args[] = {"--child", "idle-cpu", secs, NULL};
	char *argv[MAX_ARGV];
	struct rusage ru;
	uint64_t t0;

	snprintf(secs, sizeof(secs), "%g", seconds);
	child_argv(env, b, m, argv, env->self, args);
	t0 = bench_now_ns();
	if (spawn_wait(env, argv, (int)seconds + CHILD_TIMEOUT_S, NULL, 0, &ru,
		       why, why_len))
		return -1;
	b->wall[m] = (double)(bench_now_ns() - t0);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e9 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e3;
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
	printf("junction-run: %s", env->junction_run);
	for (int i = 0; env->junction_args && env->junction_args[i]; i++)
		printf(" %s", env->junction_args[i]);
	printf("\n%d rounds, alternating which side goes first; median per "
	       "benchmark; ratio = junction/native\n\n",
	       rounds);
}

#define LABEL_WIDTH 28

static void print_row(const struct bench *b, int rounds)
{
	double med[NR_MODES], ratios[MAX_ROUNDS], lo, hi, ratio;
	const char *unit = b->kind == TRUE_RUNS ? "ms" : "ns";
	const char *prec = b->kind == TRUE_RUNS ? "%10.3f %s" : "%10.1f %s";
	char label[64], range[32];

	snprintf(label, sizeof(label), "%s%s%s", b->name, b->variant ? " " : "",
		 b->variant ? b->variant : "");
	printf("%-*s ", LABEL_WIDTH, label);
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
		printf("%-11s  <= %-4g  %s", range, b->target,
		       ratio <= b->target ? "ok" : "over");
	else
		printf("%s", range);
	printf("\n");
}

/* idle-cpu: "idle-cpu: native X% junction Y% of a core over S s" */
static void print_idle(const struct bench *b, double seconds)
{
	for (int m = 0; m < NR_MODES; m++) {
		if (b->fail[m][0]) {
			printf("idle-cpu: FAILED %s: %s\n", mode_names[m],
			       b->fail[m]);
			return;
		}
	}
	printf("idle-cpu: native %.2f%% junction %.2f%% of a core over %g s\n",
	       100 * b->sample[NATIVE][0] / b->wall[NATIVE],
	       100 * b->sample[JUNCTION][0] / b->wall[JUNCTION], seconds);
	printf("  (user+sys of the whole child, fork to exit: native %.1f ms "
	       "in %.2f s,\n  junction %.1f ms in %.2f s)\n",
	       b->sample[NATIVE][0] / 1e6, b->wall[NATIVE] / 1e9,
	       b->sample[JUNCTION][0] / 1e6, b->wall[JUNCTION] / 1e9);
}

static void run_one(struct spawn_env *env, struct bench *b, enum mode m, int r,
		    double idle_seconds)
{
	char why[96] = "";
	double v;

	if (b->fail[m][0]) {
		b->sample[m][r] = -1;
		return;
	}
	if (b->kind == TRUE_RUNS)
		v = run_true(env, b, m, why, sizeof(why));
	else if (b->kind == IDLE)
		v = run_idle(env, b, m, idle_seconds, why, sizeof(why));
	else
		v = run_micro(env, b, m, why, sizeof(why));
	b->sample[m][r] = v;
	if (v < 0) {
		snprintf(b->fail[m], sizeof(b->fail[m]), "%s", why);
		fprintf(stderr, "junction-bench: %s%s%s %s, round %d: %s\n",
			b->name, b->variant ? " " : "",
			b->variant ? b->variant : "", mode_names[m], r + 1,
			why);
	}
}

int bench_select_valid(const char *name)
{
	if (!strcmp(name, "all"))
		return 1;
	for (size_t i = 0; i < NR_BENCHES; i++) {
		if (!strcmp(name, benches[i].name) ||
		    !strcmp(name, benches[i].group))
			return 1;
	}
	return 0;
}

void bench_list(FILE *f)
{
	char label[64], target[16];

	fprintf(f, "%-9s %-*s %-7s %s\n", "group", LABEL_WIDTH, "benchmark",
		"target", "one operation");
	for (size_t i = 0; i < NR_BENCHES; i++) {
		const struct bench *b = &benches[i];

		snprintf(label, sizeof(label), "%s%s%s", b->name,
			 b->variant ? " " : "", b->variant ? b->variant : "");
		snprintf(target, sizeof(target), "<= %g", b->target);
		fprintf(f, "%-9s %-*s %-7s %s\n", b->group, LABEL_WIDTH, label,
			b->target > 0 ? target : "", b->what);
	}
}

/* mark the benchmarks @only names (by name or group); all if none */
static void select_benches(const char **only)
{
	for (size_t i = 0; i < NR_BENCHES; i++) {
		struct bench *b = &benches[i];

		b->selected = !only || !only[0];
		for (int j = 0; only && only[j]; j++) {
			if (!strcmp(only[j], "all") ||
			    !strcmp(only[j], b->name) ||
			    !strcmp(only[j], b->group))
				b->selected = 1;
		}
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

int bench_driver(const struct bench_opts *o)
{
	static struct spawn_env env;
	int failed = 0, tabled = 0, idle = 0, err;
	sigset_t chld;
	ssize_t n;

	n = readlink("/proc/self/exe", env.self, sizeof(env.self) - 1);
	if (n < 0) {
		perror("junction-bench: /proc/self/exe");
		return 1;
	}
	env.self[n] = '\0';
	env.junction_args = o->junction_args;
	if (find_junction_run(&env, o->junction_run))
		return 1;
	select_benches(o->only);
	for (size_t i = 0; i < NR_BENCHES; i++) {
		if (benches[i].selected) {
			tabled |= benches[i].kind != IDLE;
			idle |= benches[i].kind == IDLE;
		}
	}
	err = bench_file_create(env.file);
	if (err) {
		fprintf(stderr, "junction-bench: temp file: %s\n",
			strerror(-err));
		return 1;
	}
	/* children are reaped with sigtimedwait, to kill the ones that hang */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigprocmask(SIG_BLOCK, &chld, &env.child_mask);

	print_header(o->rounds, &env);
	fflush(stdout);
	for (int r = 0; tabled && r < o->rounds; r++) {
		/* even rounds run native first, odd rounds junction first */
		enum mode first = r % 2 ? JUNCTION : NATIVE;

		fprintf(stderr, "round %d/%d ...\n", r + 1, o->rounds);
		for (size_t i = 0; i < NR_BENCHES; i++) {
			struct bench *b = &benches[i];

			if (!b->selected || b->kind == IDLE)
				continue;
			run_one(&env, b, first, r, 0);
			run_one(&env, b, 1 - first, r, 0);
		}
	}
	unlink(env.file);

	if (tabled) {
		printf("%-*s %13s  %13s  %6s  %-11s  %s\n", LABEL_WIDTH,
		       "benchmark", "native", "junction", "ratio", "range",
		       "target");
	}
	for (size_t i = 0; i < NR_BENCHES; i++) {
		struct bench *b = &benches[i];

		if (!b->selected || b->kind == IDLE)
			continue;
		print_row(b, o->rounds);
		failed |= b->fail[NATIVE][0] || b->fail[JUNCTION][0];
	}
	if (tabled) {
		printf("\n(micro: ns per operation, child runs ~0.3 s after "
		       "warm-up; true: mean ms per run\nof %d fork+exec+wait; "
		       "a row naming a junction-run option runs junction with "
		       "it,\nthe native side is the same in every row)\n",
		       TRUE_ITERS);
	}
	fflush(stdout);

	for (size_t i = 0; idle && i < NR_BENCHES; i++) {
		struct bench *b = &benches[i];

		if (!b->selected || b->kind != IDLE)
			continue;
		fprintf(stderr, "idle-cpu: 2 runs of %g s ...\n",
			o->idle_seconds);
		run_one(&env, b, NATIVE, 0, o->idle_seconds);
		run_one(&env, b, JUNCTION, 0, o->idle_seconds);
		if (tabled)
			printf("\n");
		print_idle(b, o->idle_seconds);
		failed |= b->fail[NATIVE][0] || b->fail[JUNCTION][0];
	}
	return failed;
}
