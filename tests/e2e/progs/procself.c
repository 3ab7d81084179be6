/* procself.c - e2e: /proc/self files, then the same after an execve */
#include "e2e.h"

/*
 * usage: procself ARGS...   (the test passes E2E_MARK in the environment)
 *
 * Checks /proc/self, then sets E2E_CHILD with setenv and execs itself through
 * /proc/self/exe with "--child"; the child checks what the exec changed.
 */

extern char **environ;

static const char *base_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* whole file into buf, NUL-terminated; returns the length or -1 */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t used = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (used < size - 1 &&
	       (n = read(fd, buf + used, size - 1 - used)) > 0)
		used += n;
	close(fd);
	buf[used] = '\0';
	return (long)used;
}

/* value of "Key:\t..." in a status file, without the newline */
static const char *status_field(const char *status, const char *key)
{
	static char val[128];
	size_t klen = strlen(key);

	for (const char *l = status; l && *l;) {
		if (!strncmp(l, key, klen) && l[klen] == ':') {
			const char *v = l + klen + 1;

			while (*v == '\t' || *v == ' ')
				v++;
			snprintf(val, sizeof(val), "%.*s",
				 (int)strcspn(v, "\n"), v);
			return val;
		}
		l = strchr(l, '\n');
		l = l ? l + 1 : NULL;
	}
	return "(absent)";
}

/* comm: the first 15 bytes of a name (TASK_COMM_LEN - 1) */
static const char *comm_of(const char *name)
{
	static char comm[16];

	snprintf(comm, sizeof(comm), "%s", name);
	return comm;
}

static void check_cmdline(int argc, char **argv)
{
	static char buf[4096];
	long n = slurp("/proc/self/cmdline", buf, sizeof(buf));
	int i = 0, same = 1;

	expect_true("cmdline readable", n > 0);
	for (long off = 0; off < n; i++) {
		if (i >= argc || strcmp(buf + off, argv[i]))
			same = 0;
		if (i > 0)
			printf("cmdline[%d]: '%s'\n", i, buf + off);
		else
			printf("cmdline[0] basename: '%s'\n",
			       base_of(buf + off));
		off += (long)strlen(buf + off) + 1;
	}
	expect_long("cmdline count", i, argc);
	expect_true("cmdline matches argv", same);
	expect_true("cmdline ends with NUL", n > 0 && buf[n - 1] == '\0');
}

static void check_exe(const char *argv0, const char *want_base)
{
	char exe[PATH_MAX], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	expect_true("readlink /proc/self/exe", n > 0);
	exe[n > 0 ? n : 0] = '\0';
	expect_str("exe basename", base_of(exe), want_base);
	expect_true("exe is absolute", exe[0] == '/');
	expect_true("exe is argv[0] resolved",
		    realpath(argv0, real) && !strcmp(real, exe));
	expect_long("readlink exe truncated",
		    readlink("/proc/self/exe", exe, 3), 3);
}

static void check_status(const char *want_name)
{
	static char st[8192], num[32];

	expect_true("status readable",
		    slurp("/proc/self/status", st, sizeof(st)) > 0);
	expect_str("status Name", status_field(st, "Name"), want_name);
	expect_str("status State", status_field(st, "State"), "R (running)");
	snprintf(num, sizeof(num), "%d", (int)getpid());
	expect_true("status Pid is getpid()",
		    !strcmp(status_field(st, "Pid"), num));
	expect_true("status Tgid is getpid()",
		    !strcmp(status_field(st, "Tgid"), num));
	snprintf(num, sizeof(num), "%d", (int)getppid());
	expect_true("status PPid is getppid()",
		    !strcmp(status_field(st, "PPid"), num));
	snprintf(num, sizeof(num), "%u\t", (unsigned)getuid());
	expect_true("status Uid starts with getuid()",
		    !strncmp(status_field(st, "Uid"), num, strlen(num)));
	expect_true("status has Gid",
		    strcmp(status_field(st, "Gid"), "(absent)") != 0);
	expect_true("status has VmRSS",
		    strcmp(status_field(st, "VmRSS"), "(absent)") != 0);
	expect_str("status Threads", status_field(st, "Threads"), "1");

	expect_true("comm readable",
		    slurp("/proc/self/comm", st, sizeof(st)) > 0);
	st[strcspn(st, "\n")] = '\0';
	expect_str("comm", st, want_name);
	expect_true("stat readable",
		    slurp("/proc/self/stat", st, sizeof(st)) > 0);
	snprintf(num, sizeof(num), "%d (", (int)getpid());
	expect_true("stat starts with 'pid ('", !strncmp(st, num, strlen(num)));
	{
		/* "pid (comm) S ...": the state follows the last ')' */
		char *rp = strrchr(st, ')');
		char state[2] = "";

		if (rp && rp[1] == ' ' && rp[2])
			state[0] = rp[2];
		expect_str("stat state", state, "R");
	}
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void check_fds(void)
{
	char line[256] = "", target[64];
	int fds[64], n = 0;
	DIR *d;
	struct dirent *de;
	ssize_t len;

	must("dup2 10", dup2(0, 10));
	must("dup2 12", dup2(0, 12));
	d = opendir("/proc/self/fd");
	expect_true("opendir /proc/self/fd", d != NULL);
	while (d && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n < 64)
			fds[n++] = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	qsort(fds, n, sizeof(fds[0]), cmp_int);
	for (int i = 0; i < n; i++)
		sprintf(line + strlen(line), "%s%d", i ? " " : "", fds[i]);
	/* 3 is the directory stream's own descriptor */
	expect_str("fds", line, "0 1 2 3 10 12");
	len = readlink("/proc/self/fd/10", target, sizeof(target) - 1);
	target[len > 0 ? len : 0] = '\0';
	expect_str("fd 10 target", target, "/dev/null");
	expect_err("fd 11 absent",
		   readlink("/proc/self/fd/11", target, sizeof(target)),
		   ENOENT);
	close(10);
	close(12);
}

static void check_maps(const char *exe)
{
	static char maps[1 << 17];

	expect_true("maps readable",
		    slurp("/proc/self/maps", maps, sizeof(maps)) > 0);
	expect_true("maps names the executable", strstr(maps, exe) != NULL);
	expect_true("maps has [stack]", strstr(maps, "[stack]\n") != NULL);
	expect_true("maps has [vdso]", strstr(maps, "[vdso]\n") != NULL);
	expect_true("maps lines end with newline",
		    maps[0] && maps[strlen(maps) - 1] == '\n');
}

/* environ at exec time must be exactly the envp we started with */
static void check_environ(const char *want_var)
{
	static char env[1 << 16];
	long n = slurp("/proc/self/environ", env, sizeof(env));
	int i = 0, same = 1, found = 0;

	expect_true("environ readable", n > 0);
	for (long off = 0; off < n; i++) {
		if (!environ[i] || strcmp(environ[i], env + off))
			same = 0;
		if (!strcmp(env + off, want_var))
			found = 1;
		off += (long)strlen(env + off) + 1;
	}
	expect_true("environ matches envp", same && !environ[i]);
	say("environ has", "%s %s", want_var, found ? "yes" : "no");
	if (!found)
		e2e_fails++;
}

static int child(int argc, char **argv)
{
	char exe[PATH_MAX];
	ssize_t n;

	printf("-- after execve of /proc/self/exe\n");
	check_cmdline(argc, argv);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	expect_true("exe unchanged by the exec",
		    !strcmp(exe, getenv("E2E_EXE") ? getenv("E2E_EXE") : ""));
	/* comm is the basename of the path given to execve; see execve(2) */
	check_status("exe");
	check_environ("E2E_CHILD=set-before-exec");
	check_environ("E2E_MARK=junction-e2e-marker");
	e2e_fails += atoi(
		getenv("E2E_PARENT_FAILS") ? getenv("E2E_PARENT_FAILS") : "9");
	printf("failures (with the parent's): %d\n", e2e_fails);
	return e2e_fails ? 1 : 0;
}

int main(int argc, char **argv)
{
	char exe[PATH_MAX], num[16];
	ssize_t n;

	e2e_init();
	/* only 0, 1 and 2 from whoever started us */
	syscall(SYS_close_range, 3, ~0U, 0);
	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child(argc, argv);

	printf("argc: %d\n", argc);
	printf("argv[0] basename: '%s'\n", base_of(argv[0]));
	for (int i = 1; i < argc; i++)
		printf("argv[%d]: '%s'\n", i, argv[i]);
	check_cmdline(argc, argv);
	check_exe(argv[0], base_of(argv[0]));
	check_status(comm_of(base_of(argv[0])));
	check_fds();
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = '\0';
	check_maps(exe);
	check_environ("E2E_MARK=junction-e2e-marker");
	printf("parent failures: %d\n", e2e_fails);
	fflush(stdout);

	snprintf(num, sizeof(num), "%d", e2e_fails);
	setenv("E2E_PARENT_FAILS", num, 1);
	setenv("E2E_CHILD", "set-before-exec", 1);
	setenv("E2E_EXE", exe, 1);
	{
		char *args[] = {argv[0], "--child", "x y", "", NULL};

		execv("/proc/self/exe", args);
	}
	printf("execv: %s\n", errname(errno));
	return 1;
}
