/* fileio.c - e2e: file descriptors, reads, writes, offsets and fcntl */
#include "e2e.h"

#include <sys/uio.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char *fd_flags(int fd)
{
	int f = fcntl(fd, F_GETFD);

	if (f < 0)
		return errname(errno);
	return (f & FD_CLOEXEC) ? "cloexec" : "none";
}

static void check_rw_offsets(int fd)
{
	char buf[64];

	expect_long("write 11", write(fd, "hello world", 11), 11);
	expect_long("offset after write", lseek(fd, 0, SEEK_CUR), 11);
	expect_long("SEEK_SET 0", lseek(fd, 0, SEEK_SET), 0);
	memset(buf, 0, sizeof(buf));
	expect_long("read 5", read(fd, buf, 5), 5);
	expect_str("read 5 data", buf, "hello");
	expect_long("SEEK_CUR +1", lseek(fd, 1, SEEK_CUR), 6);
	memset(buf, 0, sizeof(buf));
	expect_long("read rest", read(fd, buf, sizeof(buf)), 5);
	expect_str("read rest data", buf, "world");
	expect_long("read at EOF", read(fd, buf, sizeof(buf)), 0);
	expect_long("SEEK_END 0", lseek(fd, 0, SEEK_END), 11);
	expect_long("SEEK_END -3", lseek(fd, -3, SEEK_END), 8);
	expect_err("SEEK_SET -1", lseek(fd, -1, SEEK_SET), EINVAL);
	expect_err("bad whence", lseek(fd, 0, 42), EINVAL);
	expect_long("offset kept after bad seek", lseek(fd, 0, SEEK_CUR), 8);
	expect_long("SEEK_SET past EOF", lseek(fd, 100, SEEK_SET), 100);
	expect_long("read past EOF", read(fd, buf, sizeof(buf)), 0);

	memset(buf, 0, sizeof(buf));
	expect_long("pread 5 @6", pread(fd, buf, 5, 6), 5);
	expect_str("pread data", buf, "world");
	expect_long("pread keeps offset", lseek(fd, 0, SEEK_CUR), 100);
	expect_long("pwrite 5 @0", pwrite(fd, "HELLO", 5, 0), 5);
	expect_long("pwrite keeps offset", lseek(fd, 0, SEEK_CUR), 100);
	memset(buf, 0, sizeof(buf));
	expect_long("pread all", pread(fd, buf, sizeof(buf), 0), 11);
	expect_str("pread all data", buf, "HELLO world");
	expect_long("pread past EOF", pread(fd, buf, 4, 500), 0);
	expect_err("pread negative offset", pread(fd, buf, 4, -1), EINVAL);

	expect_long("zero-length read", read(fd, buf, 0), 0);
	expect_long("zero-length write", write(fd, buf, 0), 0);
	expect_long("zero-length read NULL", read(fd, NULL, 0), 0);
	expect_long("zero-length write NULL", write(fd, NULL, 0), 0);
	expect_long("size unchanged", lseek(fd, 0, SEEK_END), 11);
}

static void check_vectors(int fd)
{
	char a[4] = {0}, b[8] = {0}, c[16] = {0};
	struct iovec wv[3] = {
		{.iov_base = "abc", .iov_len = 3},
		{.iov_base = "", .iov_len = 0},
		{.iov_base = "defghij", .iov_len = 7},
	};
	struct iovec rv[2] = {
		{.iov_base = a, .iov_len = 3},
		{.iov_base = b, .iov_len = 7},
	};
	struct iovec big = {.iov_base = c, .iov_len = 1};

	must("ftruncate", ftruncate(fd, 0));
	must("lseek", lseek(fd, 0, SEEK_SET));
	expect_long("writev 3 iovecs", writev(fd, wv, 3), 10);
	expect_long("offset after writev", lseek(fd, 0, SEEK_CUR), 10);
	must("lseek", lseek(fd, 0, SEEK_SET));
	expect_long("readv 2 iovecs", readv(fd, rv, 2), 10);
	expect_str("readv iov0", a, "abc");
	expect_str("readv iov1", b, "defghij");
	expect_long("readv at EOF", readv(fd, rv, 2), 0);
	expect_long("readv iovcnt 0", readv(fd, rv, 0), 0);
	/* raw calls: the compiler rejects these counts for readv() */
	expect_err("readv iovcnt -1", syscall(SYS_readv, fd, rv, -1), EINVAL);
	expect_err("readv iovcnt 1025", syscall(SYS_readv, fd, &big, 1025),
		   EINVAL);

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	expect_long("preadv @1", preadv(fd, rv, 2, 1), 9);
	expect_str("preadv iov0", a, "bcd");
	expect_str("preadv iov1", b, "efghij");
	expect_long("pwritev @10", pwritev(fd, wv, 3, 10), 10);
	expect_long("size after pwritev", lseek(fd, 0, SEEK_END), 20);
	memset(c, 0, sizeof(c));
	expect_long("pread tail", pread(fd, c, sizeof(c), 10), 10);
	expect_str("pread tail data", c, "abcdefghij");
}

static void check_open_modes(void)
{
	char buf[32];
	struct stat st;
	int fd;

	fd = open("m.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
	expect_err("O_EXCL new file", fd, 0);
	expect_long("write base", write(fd, "0123456789", 10), 10);
	close(fd);
	expect_err("O_EXCL existing",
		   open("m.txt", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);

	fd = open("m.txt", O_WRONLY | O_APPEND);
	must("open O_APPEND", fd);
	must("lseek", lseek(fd, 0, SEEK_SET));
	expect_long("append write", write(fd, "ab", 2), 2);
	expect_long("append offset at end", lseek(fd, 0, SEEK_CUR), 12);
	/* pwrite(2) BUGS: with O_APPEND, Linux appends whatever the offset */
	expect_long("append pwrite @0", pwrite(fd, "cd", 2, 0), 2);
	expect_true("F_GETFL has O_APPEND", fcntl(fd, F_GETFL) & O_APPEND);
	close(fd);
	fd = open("m.txt", O_RDONLY);
	must("open O_RDONLY", fd);
	memset(buf, 0, sizeof(buf));
	expect_long("read appended", read(fd, buf, sizeof(buf)), 14);
	expect_str("appended data", buf, "0123456789abcd");
	expect_err("write on O_RDONLY", write(fd, "x", 1), EBADF);
	close(fd);

	fd = open("m.txt", O_WRONLY);
	must("open O_WRONLY", fd);
	expect_err("read on O_WRONLY", read(fd, buf, 1), EBADF);
	close(fd);

	fd = open("m.txt", O_RDWR | O_TRUNC);
	must("open O_TRUNC", fd);
	must("fstat", fstat(fd, &st));
	expect_long("size after O_TRUNC", st.st_size, 0);
	close(fd);

	fd = creat("c.txt", 0600);
	must("creat", fd);
	expect_long("creat is write-only", fcntl(fd, F_GETFL) & O_ACCMODE,
		    O_WRONLY);
	expect_long("creat write", write(fd, "xyz", 3), 3);
	close(fd);
	fd = creat("c.txt", 0600);
	must("creat again", fd);
	must("fstat", fstat(fd, &st));
	expect_long("creat truncates", st.st_size, 0);
	close(fd);

	expect_err("open missing", open("nope.txt", O_RDONLY), ENOENT);
	fd = open(".", O_RDONLY);
	must("open dir", fd);
	expect_err("read on a directory", read(fd, buf, sizeof(buf)), EISDIR);
	close(fd);
	expect_err("open dir for writing", open(".", O_WRONLY), EISDIR);
}

static void check_truncate(int fd)
{
	char buf[16];
	struct stat st;
	int zeros = 1;

	must("ftruncate", ftruncate(fd, 0));
	must("pwrite", pwrite(fd, "abcd", 4, 0));
	expect_err("ftruncate grow", ftruncate(fd, 12), 0);
	must("fstat", fstat(fd, &st));
	expect_long("size after grow", st.st_size, 12);
	memset(buf, 'x', sizeof(buf));
	expect_long("read grown", pread(fd, buf, sizeof(buf), 0), 12);
	for (int i = 4; i < 12; i++)
		zeros &= buf[i] == 0;
	expect_true("grown tail is zero", zeros);
	expect_err("ftruncate shrink", ftruncate(fd, 2), 0);
	must("fstat", fstat(fd, &st));
	expect_long("size after shrink", st.st_size, 2);
	expect_err("ftruncate negative", ftruncate(fd, -1), EINVAL);
	expect_err("truncate by path", truncate("f.txt", 7), 0);
	must("fstat", fstat(fd, &st));
	expect_long("size after truncate", st.st_size, 7);
	expect_err("fsync", fsync(fd), 0);
	expect_err("fdatasync", fdatasync(fd), 0);
}

static void check_dup(int fd)
{
	int d, d2, d3;

	must("lseek", lseek(fd, 0, SEEK_SET));
	d = dup(fd);
	expect_err("dup", d, 0);
	expect_long("dup offset shared (set 3)", lseek(d, 3, SEEK_SET), 3);
	expect_long("dup offset seen by original", lseek(fd, 0, SEEK_CUR), 3);
	expect_str("dup has no cloexec", fd_flags(d), "none");

	d2 = dup2(fd, 50);
	expect_long("dup2 to 50", d2, 50);
	lseek(fd, 5, SEEK_SET);
	expect_long("dup2 offset shared", lseek(d2, 0, SEEK_CUR), 5);
	expect_long("dup2 onto itself", dup2(fd, fd), fd);
	expect_long("dup2 onto an open fd", dup2(d, 50), 50);
	expect_err("dup2 bad old fd", dup2(1000, 51), EBADF);

	d3 = dup3(fd, 52, O_CLOEXEC);
	expect_long("dup3 O_CLOEXEC", d3, 52);
	expect_str("dup3 fd flags", fd_flags(52), "cloexec");
	expect_err("dup3 same fd", dup3(fd, fd, 0), EINVAL);
	/* raw: musl's dup3() passes only O_CLOEXEC on */
	expect_err("dup3 bad flags", syscall(SYS_dup3, fd, 53, 0x1234), EINVAL);
	close(d);
}

static void check_fcntl(int fd)
{
	int fl, d;

	fl = fcntl(fd, F_GETFL);
	expect_long("F_GETFL accmode", fl & O_ACCMODE, O_RDWR);
	expect_err("F_SETFL O_APPEND", fcntl(fd, F_SETFL, fl | O_APPEND), 0);
	expect_true("F_GETFL shows O_APPEND", fcntl(fd, F_GETFL) & O_APPEND);
	/* the access mode cannot be changed by F_SETFL; it is ignored */
	expect_err("F_SETFL O_RDONLY", fcntl(fd, F_SETFL, O_RDONLY), 0);
	fl = fcntl(fd, F_GETFL);
	expect_long("accmode unchanged", fl & O_ACCMODE, O_RDWR);
	expect_true("O_APPEND cleared", !(fl & O_APPEND));

	expect_str("F_GETFD initial", fd_flags(fd), "none");
	expect_err("F_SETFD cloexec", fcntl(fd, F_SETFD, FD_CLOEXEC), 0);
	expect_str("F_GETFD after set", fd_flags(fd), "cloexec");
	expect_err("F_SETFD 0", fcntl(fd, F_SETFD, 0), 0);
	expect_str("F_GETFD after clear", fd_flags(fd), "none");

	d = fcntl(fd, F_DUPFD_CLOEXEC, 20);
	expect_long("F_DUPFD_CLOEXEC min 20", d, 20);
	expect_str("F_DUPFD_CLOEXEC flags", fd_flags(d), "cloexec");
	d = fcntl(fd, F_DUPFD, 20);
	expect_long("F_DUPFD min 20 (20 taken)", d, 21);
	expect_str("F_DUPFD flags", fd_flags(d), "none");
	expect_err("F_DUPFD negative min", fcntl(fd, F_DUPFD, -1), EINVAL);
	expect_err("F_GETFD closed fd", fcntl(999, F_GETFD), EBADF);
	expect_err("fcntl bad cmd", fcntl(fd, 0x7fff), EINVAL);
}

static void check_close_range(void)
{
	expect_long("dup2 to 40", dup2(0, 40), 40);
	expect_long("dup2 to 41", dup2(0, 41), 41);
	expect_long("close_range 20..45 cloexec",
		    syscall(SYS_close_range, 20, 45, CLOSE_RANGE_CLOEXEC), 0);
	expect_str("fd 40 cloexec", fd_flags(40), "cloexec");
	expect_str("fd 50 untouched", fd_flags(50), "none");
	expect_long("close_range 20..~0", syscall(SYS_close_range, 20, ~0U, 0),
		    0);
	expect_str("fd 20 closed", fd_flags(20), "EBADF");
	expect_str("fd 41 closed", fd_flags(41), "EBADF");
	expect_str("fd 50 closed", fd_flags(50), "EBADF");
	expect_str("fd 52 closed", fd_flags(52), "EBADF");
	errno = 0;
	expect_err("close_range first > last",
		   syscall(SYS_close_range, 10, 5, 0), EINVAL);
	expect_err("close_range bad flags",
		   syscall(SYS_close_range, 20, 30, 0x80), EINVAL);
}

static void check_large(void)
{
	const off_t big = 5LL << 30;
	char buf[8] = {0};
	struct stat st;
	int fd = open("big.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);

	must("open big", fd);
	expect_long("pwrite @5GiB", pwrite(fd, "end", 3, big), 3);
	must("fstat", fstat(fd, &st));
	expect_long("sparse size", st.st_size, big + 3);
	expect_true("sparse: few blocks", st.st_blocks < 1024);
	expect_long("SEEK_END on 5GiB file", lseek(fd, 0, SEEK_END), big + 3);
	expect_long("SEEK_SET 5GiB", lseek(fd, big, SEEK_SET), big);
	expect_long("read @5GiB", read(fd, buf, sizeof(buf)), 3);
	expect_str("read @5GiB data", buf, "end");
	expect_long("pread @4GiB is zero", pread(fd, buf, 1, 4LL << 30), 1);
	expect_long("hole byte", buf[0], 0);
	expect_long("SEEK_DATA 0", lseek(fd, 0, SEEK_DATA), big);
	expect_long("SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE), 0);
	expect_long("SEEK_HOLE 5GiB", lseek(fd, big, SEEK_HOLE), big + 3);
	expect_err("SEEK_DATA past EOF", lseek(fd, big + 10, SEEK_DATA), ENXIO);
	expect_err("SEEK_HOLE past EOF", lseek(fd, big + 10, SEEK_HOLE), ENXIO);
	close(fd);
	unlink("big.bin");
}

static void check_badf_and_reuse(void)
{
	char buf[4];
	int a, b, c, n1, n2;

	a = open("f.txt", O_RDONLY);
	b = open("f.txt", O_RDONLY);
	c = open("f.txt", O_RDONLY);
	must("open a", a);
	must("open b", b);
	must("open c", c);
	expect_true("fds ascend", a < b && b < c);
	close(b);
	close(a);
	n1 = open("f.txt", O_RDONLY);
	n2 = open("f.txt", O_RDONLY);
	expect_true("reuse lowest first", n1 == a);
	expect_true("reuse next lowest", n2 == b);
	expect_err("close", close(c), 0);
	expect_err("read closed fd", read(c, buf, 1), EBADF);
	expect_err("write closed fd", write(c, buf, 1), EBADF);
	expect_err("close closed fd", close(c), EBADF);
	expect_err("lseek closed fd", lseek(c, 0, SEEK_SET), EBADF);
	expect_err("read fd -1", read(-1, buf, 1), EBADF);
	expect_err("close fd -1", close(-1), EBADF);
	expect_err("dup closed fd", dup(c), EBADF);
	expect_err("fsync closed fd", fsync(c), EBADF);
	close(n1);
	close(n2);
	n1 = open("f.txt", O_RDONLY | O_CLOEXEC);
	expect_str("O_CLOEXEC open", fd_flags(n1), "cloexec");
	close(n1);
}

int main(void)
{
	int fd;

	e2e_init();
	must("chdir tmp", chdir(e2e_tmpdir()));
	fd = open("f.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
	must("open f.txt", fd);
	check_rw_offsets(fd);
	check_vectors(fd);
	check_open_modes();
	check_truncate(fd);
	check_dup(fd);
	check_fcntl(fd);
	check_close_range();
	check_large();
	check_badf_and_reuse();
	close(fd);
	return e2e_done();
}
