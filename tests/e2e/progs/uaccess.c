/* uaccess.c - e2e: guest pointers outside the guest's own mappings fault */
#include "e2e.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>

/*
 * Addresses that no mapping of this process covers, as its own
 * /proc/self/maps lists them. Natively they are holes; under junction-run
 * the instance's own memory (its text, heap, kernel stacks) lies in some
 * of them, and a syscall must fault there exactly as in a hole.
 */
#define MAX_GAPS 256
static unsigned long gaps[MAX_GAPS];
static int ngaps;

#define FUTEX_WAKE 1
#define FUTEX_WAKE_PRIVATE 129

#define NONCANON ((void *)0x800000000000ul)

static void find_gaps(void)
{
	static char buf[1 << 16];
	unsigned long prev_end = 0x10000;
	int prev_heap = 0;
	int fd = open("/proc/self/maps", O_RDONLY);
	size_t len = 0;
	long n;
	char *line;

	must("open maps", fd);
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	for (line = buf; line && *line; line = strchr(line, '\n')) {
		unsigned long s, e;

		if (*line == '\n')
			line++;
		char *nl = strchr(line, '\n');
		int stack, heap;

		if (sscanf(line, "%lx-%lx", &s, &e) != 2)
			continue;
		/* the stack grows into the hole below it, brk above [heap] */
		stack = nl ? !!memmem(line, (size_t)(nl - line), "[stack]", 7)
			   : !!strstr(line, "[stack]");
		heap = nl ? !!memmem(line, (size_t)(nl - line), "[heap]", 6)
			  : !!strstr(line, "[heap]");
		if (s > prev_end + 8192 && ngaps + 2 <= MAX_GAPS &&
		    s <= 0x7ffffffff000ul) {
			if (!prev_heap)
				gaps[ngaps++] = prev_end; /* after a mapping */
			if (!stack)
				gaps[ngaps++] = s - 8; /* before the next */
		}
		if (e > prev_end)
			prev_end = e;
		prev_heap = heap;
	}
}

/* does @call fail with EFAULT for every gap address? */
#define ALL_GAPS(label, call)                                               \
	do {                                                                \
		int bad = 0;                                                \
		for (int i = 0; i < ngaps; i++) {                           \
			void *g = (void *)gaps[i];                          \
			long r = (call);                                    \
			if (r != -1 || errno != EFAULT) {                   \
				if (!bad)                                   \
					printf("  %s at %p: %ld %s\n",      \
					       label, g, r,                 \
					       errname(r < 0 ? errno : 0)); \
				bad++;                                      \
			}                                                   \
		}                                                           \
		expect_true(label ": EFAULT at every hole", bad == 0);      \
	} while (0)

/* an eventfd read consumes the counter even when the copy faults */
static long efd_read_at(int efd, void *g)
{
	uint64_t one = 1;

	if (write(efd, &one, 8) != 8)
		return -2;
	return syscall(SYS_read, efd, g, 8);
}

static long preadv_at(int fd, void *g)
{
	struct iovec v = {g, 8};

	return syscall(SYS_preadv, fd, &v, 1, 0);
}

static long getdents_at(void *g)
{
	int d = open(e2e_tmpdir(), O_RDONLY | O_DIRECTORY);
	long r = syscall(SYS_getdents64, d, g, 4096);
	int e = errno;

	close(d);
	errno = e;
	return r;
}

int main(void)
{
	char path[128], ok[16] = {0};
	int null, efd, p[2], file;
	uint64_t one = 1;
	unsigned char vec[4];
	void *page;

	e2e_init();
	printf("uaccess\n"); /* stdio's buffer exists before the holes are found */
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	must("mmap", page == MAP_FAILED ? -1 : 0);
	snprintf(path, sizeof(path), "%s/f", e2e_tmpdir());
	find_gaps();
	expect_true("found holes in /proc/self/maps", ngaps > 0);

	/* /dev/null and an eventfd: Linux's access_ok comes first */
	null = open("/dev/null", O_RDWR);
	must("open /dev/null", null);
	expect_err("read /dev/null non-canonical",
		   syscall(SYS_read, null, NONCANON, 8), EFAULT);
	expect_err("write /dev/null non-canonical",
		   syscall(SYS_write, null, NONCANON, 8), EFAULT);
	expect_err("read /dev/null wrapping",
		   syscall(SYS_read, null, ok, (size_t)-8), EFAULT);
	expect_err("write /dev/null wrapping",
		   syscall(SYS_write, null, ok, (size_t)-8), EFAULT);
	expect_err("write /dev/null past the top",
		   syscall(SYS_write, null, (void *)0x7ffffffff000ul, 8192),
		   EFAULT);
	efd = eventfd(0, EFD_NONBLOCK);
	must("eventfd", efd);
	expect_err("write eventfd non-canonical",
		   syscall(SYS_write, efd, NONCANON, 8), EFAULT);
	expect_err("write eventfd wrapping",
		   syscall(SYS_write, efd, (void *)-4ul, 8), EFAULT);
	must("write eventfd", write(efd, &one, 8));
	expect_err("read eventfd non-canonical",
		   syscall(SYS_read, efd, NONCANON, 8), EFAULT);
	expect_err("read eventfd wrapping",
		   syscall(SYS_read, efd, (void *)-4ul, 8), EFAULT);
	must("read eventfd", read(efd, &one, 8));
	ALL_GAPS("read eventfd", efd_read_at(efd, g));
	ALL_GAPS("write eventfd", syscall(SYS_write, efd, g, 8));

	/* a pipe with data, and a regular file at offset 0 */
	must("pipe", pipe2(p, O_NONBLOCK));
	must("write pipe", write(p[1], "12345678", 8));
	ALL_GAPS("read pipe", syscall(SYS_read, p[0], g, 8));
	ALL_GAPS("write pipe", syscall(SYS_write, p[1], g, 8));
	expect_long("pipe data intact", read(p[0], ok, 8), 8);
	file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	must("open file", file);
	must("write file", write(file, "abcdefghabcdefgh", 16));
	ALL_GAPS("pread file", syscall(SYS_pread64, file, g, 8, 0));
	ALL_GAPS("pwrite file", syscall(SYS_pwrite64, file, g, 8, 0));
	ALL_GAPS("preadv file", preadv_at(file, g));
	ALL_GAPS("fstat", syscall(SYS_fstat, file, g));
	ALL_GAPS("clock_gettime", syscall(SYS_clock_gettime, CLOCK_REALTIME, g));
	ALL_GAPS("getrandom", syscall(SYS_getrandom, g, 8, 0));
	ALL_GAPS("getdents64", getdents_at(g));
	ALL_GAPS("open path", syscall(SYS_openat, AT_FDCWD, g, O_RDONLY));
	expect_long("file intact", pread(file, ok, 16, 0), 16);
	expect_true("file content", memcmp(ok, "abcdefghabcdefgh", 16) == 0);

	/* mincore: a bad vector faults (the range itself is fine) */
	expect_err("mincore non-canonical vector",
		   syscall(SYS_mincore, page, 4096, NONCANON), EFAULT);
	ALL_GAPS("mincore vector", syscall(SYS_mincore, page, 4096, g));
	expect_err("mincore good vector", syscall(SYS_mincore, page, 4096, vec),
		   0);

	/* futexes: a shared one must be mapped, a private one need not be */
	expect_err("shared FUTEX_WAKE at 0",
		   syscall(SYS_futex, NULL, FUTEX_WAKE, 1, NULL, NULL, 0),
		   EFAULT);
	expect_err("private FUTEX_WAKE at 0",
		   syscall(SYS_futex, NULL, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
			   0),
		   0);
	ALL_GAPS("shared FUTEX_WAKE",
		 syscall(SYS_futex, g, FUTEX_WAKE, 1, NULL, NULL, 0));

	/* fcntl reads its struct; flags come before pointers */
	expect_err("fcntl F_SETOWN_EX NULL",
		   syscall(SYS_fcntl, file, F_SETOWN_EX, NULL), EFAULT);
	ALL_GAPS("fcntl F_GETLK", syscall(SYS_fcntl, file, F_GETLK, g));
	expect_err("setxattr bad flags, bad pointers",
		   syscall(SYS_setxattr, NONCANON, NONCANON, NONCANON, 8, 0x100),
		   EINVAL);
	expect_err("fsetxattr bad flags, bad pointers",
		   syscall(SYS_fsetxattr, file, NONCANON, NONCANON, 8, 0x100),
		   EINVAL);
	expect_err("memfd_create bad flags, bad name",
		   syscall(SYS_memfd_create, NONCANON, 0x100), EINVAL);
	close(file);
	return e2e_done();
}
