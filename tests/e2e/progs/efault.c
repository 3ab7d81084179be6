/* efault.c - e2e: bad user pointers give EFAULT (or Linux's exact result) */
#include "e2e.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <time.h>

/*
 * Calls go through syscall() so that libc never touches the bad pointer
 * itself (a libc wrapper may copy or convert a struct first and crash).
 */

#define BAD ((void *)1)
/* a kernel-half address: never valid for a user copy */
#define KADDR ((void *)0xffff888000000000UL)

static size_t pg;
static char *ro_page; /* mapped PROT_READ */
static char *none_page; /* mapped PROT_NONE */
static char *end_str; /* "abc" ending at a page end, unmapped after it */
static char *edge; /* the last 100 bytes before an unmapped page */

static void setup_pages(void)
{
	char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	must("mmap", p == MAP_FAILED ? -1 : 0);
	must("munmap", munmap(p + pg, pg));
	memcpy(p + pg - 3, "abc", 3);
	end_str = p + pg - 3;
	edge = p + pg - 100;
	ro_page = p + 2 * pg;
	must("mprotect ro", mprotect(ro_page, pg, PROT_READ));
	none_page = p + 3 * pg;
	must("mprotect none", mprotect(none_page, pg, PROT_NONE));
}

static void check_rw(int fd)
{
	struct iovec iov[2] = {
		{.iov_base = BAD, .iov_len = 8},
		{.iov_base = BAD, .iov_len = 8},
	};
	int zero = open("/dev/zero", O_RDONLY);
	int null = open("/dev/null", O_RDWR);

	must("open /dev/zero", zero);
	must("open /dev/null", null);
	/* at offset 0, so a read has data to copy out */
	must("lseek", lseek(fd, 0, SEEK_SET));
	expect_err("read bad buf", syscall(SYS_read, fd, BAD, 10), EFAULT);
	expect_err("read kernel address", syscall(SYS_read, fd, KADDR, 10),
		   EFAULT);
	expect_err("read into a read-only page",
		   syscall(SYS_read, fd, ro_page, 10), EFAULT);
	expect_err("read into a PROT_NONE page",
		   syscall(SYS_read, fd, none_page, 10), EFAULT);
	expect_err("read /dev/zero bad buf", syscall(SYS_read, zero, BAD, 10),
		   EFAULT);
	expect_long("read /dev/null bad buf (EOF, no copy)",
		    syscall(SYS_read, null, BAD, 10), 0);
	expect_long("read bad buf, count 0", syscall(SYS_read, fd, BAD, 0), 0);
	expect_err("write bad buf", syscall(SYS_write, fd, BAD, 10), EFAULT);
	expect_err("write from a PROT_NONE page",
		   syscall(SYS_write, fd, none_page, 10), EFAULT);
	expect_err("write kernel address", syscall(SYS_write, fd, KADDR, 10),
		   EFAULT);
	/* /dev/null's write never reads the buffer; see drivers/char/mem.c */
	expect_long("write /dev/null bad buf",
		    syscall(SYS_write, null, BAD, 10), 10);
	expect_err("pread bad buf", syscall(SYS_pread64, fd, BAD, 10, 0),
		   EFAULT);
	expect_err("pwrite bad buf", syscall(SYS_pwrite64, fd, BAD, 10, 0),
		   EFAULT);
	expect_err("readv bad iovec array", syscall(SYS_readv, fd, BAD, 2),
		   EFAULT);
	expect_err("readv iovec array at page end",
		   syscall(SYS_readv, fd, end_str, 1), EFAULT);
	expect_err("readv bad iov_base", syscall(SYS_readv, fd, iov, 2),
		   EFAULT);
	expect_err("writev bad iovec array", syscall(SYS_writev, fd, BAD, 2),
		   EFAULT);
	expect_err("writev bad iov_base", syscall(SYS_writev, fd, iov, 2),
		   EFAULT);
	expect_err("preadv bad iovec array",
		   syscall(SYS_preadv, fd, BAD, 2, 0, 0), EFAULT);

	/* a transfer that faults part way returns the bytes done */
	expect_long("pread straddling an unmapped page",
		    syscall(SYS_pread64, fd, edge, 200, 0), 100);
	expect_long("pwrite straddling an unmapped page",
		    syscall(SYS_pwrite64, fd, edge, 200, 0), 100);
	close(zero);
	close(null);
}

static void check_stat(int fd)
{
	expect_err("stat bad struct", syscall(SYS_stat, "f", BAD), EFAULT);
	expect_err("stat into a read-only page",
		   syscall(SYS_stat, "f", ro_page), EFAULT);
	expect_err("lstat bad struct", syscall(SYS_lstat, "f", BAD), EFAULT);
	expect_err("fstat bad struct", syscall(SYS_fstat, fd, BAD), EFAULT);
	expect_err("newfstatat bad struct",
		   syscall(SYS_newfstatat, AT_FDCWD, "f", BAD, 0), EFAULT);
	expect_err("statx bad struct",
		   syscall(SYS_statx, AT_FDCWD, "f", 0, E2E_STATX_BASIC_STATS,
			   BAD),
		   EFAULT);
	expect_err("statx bad path",
		   syscall(SYS_statx, AT_FDCWD, BAD, 0, E2E_STATX_BASIC_STATS,
			   ro_page),
		   EFAULT);
}

static void check_paths(void)
{
	struct stat st;
	char buf[64];

	expect_err("open bad path", syscall(SYS_open, BAD, O_RDONLY), EFAULT);
	expect_err("open NULL path", syscall(SYS_open, NULL, O_RDONLY), EFAULT);
	expect_err("open path at page end",
		   syscall(SYS_open, end_str, O_RDONLY), EFAULT);
	expect_err("open path in PROT_NONE page",
		   syscall(SYS_open, none_page, O_RDONLY), EFAULT);
	expect_err("openat bad path",
		   syscall(SYS_openat, AT_FDCWD, BAD, O_RDONLY), EFAULT);
	expect_err("openat path at page end",
		   syscall(SYS_openat, AT_FDCWD, end_str, O_RDONLY), EFAULT);
	expect_err("stat bad path", syscall(SYS_stat, BAD, &st), EFAULT);
	expect_err("stat path at page end", syscall(SYS_stat, end_str, &st),
		   EFAULT);
	expect_err("mkdir bad path", syscall(SYS_mkdir, BAD, 0755), EFAULT);
	expect_err("mkdir path at page end", syscall(SYS_mkdir, end_str, 0755),
		   EFAULT);
	expect_err("unlink bad path", syscall(SYS_unlink, BAD), EFAULT);
	expect_err("unlink path at page end", syscall(SYS_unlink, end_str),
		   EFAULT);
	expect_err("readlink bad path",
		   syscall(SYS_readlink, BAD, buf, sizeof(buf)), EFAULT);
	expect_err("readlink path at page end",
		   syscall(SYS_readlink, end_str, buf, sizeof(buf)), EFAULT);
	expect_err("readlink bad buffer",
		   syscall(SYS_readlink, "lnk", BAD, sizeof(buf)), EFAULT);
	expect_err("rename bad new path", syscall(SYS_rename, "f", BAD),
		   EFAULT);
	expect_err("chdir bad path", syscall(SYS_chdir, BAD), EFAULT);
	expect_err("access bad path", syscall(SYS_access, BAD, F_OK), EFAULT);
	expect_err("execve bad path", syscall(SYS_execve, BAD, NULL, NULL),
		   EFAULT);
	expect_err("execve bad argv",
		   syscall(SYS_execve, "/proc/self/exe", BAD, NULL), EFAULT);
	/* the files and cwd are unchanged after all that */
	expect_err("f still there", stat("f", &st), 0);
	expect_long("f size", st.st_size, 200);
}

static void check_misc(void)
{
	char buf[8];
	int dfd = open(".", O_RDONLY | O_DIRECTORY);

	expect_err("getcwd bad buffer", syscall(SYS_getcwd, BAD, 4096), EFAULT);
	expect_err("getcwd into a read-only page",
		   syscall(SYS_getcwd, ro_page, 4096), EFAULT);
	expect_err("uname bad", syscall(SYS_uname, BAD), EFAULT);
	expect_err("sysinfo bad", syscall(SYS_sysinfo, BAD), EFAULT);
	expect_err("getrlimit bad", syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD),
		   EFAULT);
	expect_err("prlimit64 bad new limit",
		   syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, BAD, NULL), EFAULT);
	expect_err("clock_gettime MONOTONIC bad",
		   syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD), EFAULT);
	expect_err("clock_gettime REALTIME kernel address",
		   syscall(SYS_clock_gettime, CLOCK_REALTIME, KADDR), EFAULT);
	expect_err("clock_getres bad",
		   syscall(SYS_clock_getres, CLOCK_MONOTONIC, BAD), EFAULT);
	expect_err("gettimeofday bad", syscall(SYS_gettimeofday, BAD, NULL),
		   EFAULT);
	expect_err("nanosleep bad request", syscall(SYS_nanosleep, BAD, NULL),
		   EFAULT);
	expect_err("getrandom bad", syscall(SYS_getrandom, BAD, 8, 0), EFAULT);
	expect_err("getdents64 bad buffer",
		   syscall(SYS_getdents64, dfd, BAD, 4096), EFAULT);
	expect_err("rt_sigprocmask bad set",
		   syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD, NULL, 8),
		   EFAULT);
	expect_err("rt_sigprocmask bad old set",
		   syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, BAD, 8),
		   EFAULT);
	expect_err("mincore bad vector", syscall(SYS_mincore, ro_page, pg, BAD),
		   EFAULT);
	expect_err("mincore vector in a read-only page",
		   syscall(SYS_mincore, ro_page, pg, ro_page), EFAULT);
	expect_err("sched_getaffinity bad mask",
		   syscall(SYS_sched_getaffinity, 0, 128, BAD), EFAULT);
	expect_err("getresuid bad", syscall(SYS_getresuid, BAD, BAD, BAD),
		   EFAULT);
	expect_err("getcwd too small still ERANGE",
		   syscall(SYS_getcwd, buf, sizeof(buf)), ERANGE);
	close(dfd);
}

int main(int argc, char **argv)
{
	int fd;

	(void)argv;
	/* "execve bad argv" must fail; if it ran us again, say so and stop */
	if (argc != 1) {
		printf("started again by execve with argc %d\n", argc);
		return 3;
	}
	e2e_init();
	pg = (size_t)sysconf(_SC_PAGESIZE);
	setup_pages();
	must("chdir tmp", chdir(e2e_tmpdir()));
	fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
	must("open f", fd);
	{
		char data[200];

		memset(data, 'd', sizeof(data));
		must("write", write(fd, data, sizeof(data)));
	}
	must("symlink", symlink("f", "lnk"));
	check_rw(fd);
	check_stat(fd);
	check_paths();
	check_misc();
	close(fd);
	expect_true("survived", 1);
	return e2e_done();
}
