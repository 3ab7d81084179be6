/* hygiene.c - e2e: bad-input and fd-plumbing bugs of issue 7, one mode each */
#include "e2e.h"

#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

/*
 * getdents: the legacy call with every buffer size from 0 up: EINVAL while
 * the first record does not fit, then records; a heap overflow once.
 */
static void getdents_sizes(const char *dir)
{
	static char buf[4096];
	int first_ok = -1;

	for (unsigned n = 0; n < 64; n++) {
		int fd = open(dir, O_RDONLY | O_DIRECTORY);
		long r;

		must("open dir", fd);
		r = syscall(SYS_getdents, fd, buf, n);
		if (r > 0 && first_ok < 0)
			first_ok = (int)n;
		if (r < 0 && errno != EINVAL) {
			printf("getdents %s size %u: %s\n", dir, n,
			       errname(errno));
			e2e_fails++;
		}
		for (int i = 0; i < 4; i++)
			syscall(SYS_getdents, fd, buf, n);
		close(fd);
	}
	expect_true("getdents: a small buffer works at some size",
		    first_ok > 0 && first_ok < 64);
}

/* count the entries read with the legacy call and buffer size n */
static long getdents_count(const char *dir, unsigned n, int *dots)
{
	static char buf[4096];
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	long count = 0, r;

	must("open dir", fd);
	*dots = 0;
	while ((r = syscall(SYS_getdents, fd, buf, n)) > 0) {
		for (long off = 0; off < r;) {
			unsigned short reclen;
			char *name = buf + off + 18;
			unsigned char type;

			memcpy(&reclen, buf + off + 16, 2);
			type = (unsigned char)buf[off + reclen - 1];
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				*dots += type == DT_DIR;
			count++;
			off += reclen;
		}
	}
	if (r < 0)
		count = -errno;
	close(fd);
	return count;
}

static void run_getdents(void)
{
	int dots;
	long a, b;

	getdents_sizes(".");
	getdents_sizes("/proc/self");
	getdents_sizes("/dev");
	a = getdents_count(".", 4096, &dots);
	expect_long("getdents .: dot entries are DT_DIR", dots, 2);
	b = getdents_count(".", 40, &dots);
	expect_true("getdents .: same count with 40-byte reads",
		    a == b && a >= 2);
	a = getdents_count("/proc/self", 4096, &dots);
	expect_true("getdents /proc/self: entries", a > 5);
	b = getdents_count("/proc/self", 64, &dots);
	expect_true("getdents /proc/self: same count with 64-byte reads",
		    a == b);
	a = getdents_count("/dev", 4096, &dots);
	expect_true("getdents /dev: entries", a > 3);
}

/* clone3: Linux's argument checks first; a new process is then made or ENOSYS */
struct clone_args_v0 {
	unsigned long long flags, pidfd, child_tid, parent_tid, exit_signal,
		stack, stack_size, tls;
};

static void run_clone3(void)
{
	struct clone_args_v0 ca = {.exit_signal = SIGCHLD};
	static char big[8192];
	long r;

	r = syscall(SYS_clone3, &ca, sizeof(ca));
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	expect_true("clone3 new process: a child or ENOSYS, not EINVAL",
		    r > 0 || errno == ENOSYS);
	ca.exit_signal = 0x100;
	expect_err("clone3 exit_signal 0x100", syscall(SYS_clone3, &ca,
						       sizeof(ca)), EINVAL);
	ca.exit_signal = SIGCHLD;
	ca.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
	expect_err("clone3 thread with exit_signal",
		   syscall(SYS_clone3, &ca, sizeof(ca)), EINVAL);
	ca.flags = 0xff;
	ca.exit_signal = 0;
	expect_err("clone3 signal in flags",
		   syscall(SYS_clone3, &ca, sizeof(ca)), EINVAL);
	expect_err("clone3 size 32", syscall(SYS_clone3, &ca, 32), EINVAL);
	expect_err("clone3 size 8192", syscall(SYS_clone3, big, sizeof(big)),
		   E2BIG);
	big[200] = 1;
	expect_err("clone3 nonzero tail", syscall(SYS_clone3, big, 256),
		   E2BIG);
}

/* socket calls: EBADF for a closed fd, ENOTSOCK for a file */
static void run_sockbad(void)
{
	static const struct {
		const char *name;
		long nr;
	} calls[] = {
		{"connect", SYS_connect},   {"accept", SYS_accept},
		{"accept4", SYS_accept4},   {"sendto", SYS_sendto},
		{"recvfrom", SYS_recvfrom}, {"sendmsg", SYS_sendmsg},
		{"recvmsg", SYS_recvmsg},   {"sendmmsg", SYS_sendmmsg},
		{"recvmmsg", SYS_recvmmsg}, {"shutdown", SYS_shutdown},
		{"bind", SYS_bind},	    {"listen", SYS_listen},
		{"getsockname", SYS_getsockname},
		{"getpeername", SYS_getpeername},
		{"setsockopt", SYS_setsockopt},
		{"getsockopt", SYS_getsockopt},
	};
	int file = open("/dev/null", O_RDONLY);
	char label[64];

	must("open /dev/null", file);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		snprintf(label, sizeof(label), "%s closed fd", calls[i].name);
		expect_err(label, syscall(calls[i].nr, 999, 0, 0, 0, 0, 0),
			   EBADF);
		snprintf(label, sizeof(label), "%s file fd", calls[i].name);
		expect_err(label, syscall(calls[i].nr, file, 0, 0, 0, 0, 0),
			   ENOTSOCK);
	}
	close(file);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	e2e_init();
	if (!strcmp(mode, "getdents"))
		run_getdents();
	else if (!strcmp(mode, "clone3"))
		run_clone3();
	else if (!strcmp(mode, "sockbad"))
		run_sockbad();
	else
		say("usage", "hygiene getdents|clone3|sockbad");
	return e2e_done();
}
