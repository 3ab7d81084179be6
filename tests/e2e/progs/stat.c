/* stat.c - e2e: stat family, statx, access, chmod and file times */
#include "e2e.h"

#include <sys/sysmacros.h>
#include <time.h>

#ifndef UTIME_NOW
#define UTIME_NOW ((1L << 30) - 1L)
#define UTIME_OMIT ((1L << 30) - 2L)
#endif

static const char *type_of(mode_t m)
{
	if (S_ISREG(m))
		return "reg";
	if (S_ISDIR(m))
		return "dir";
	if (S_ISLNK(m))
		return "lnk";
	if (S_ISCHR(m))
		return "chr";
	if (S_ISBLK(m))
		return "blk";
	if (S_ISFIFO(m))
		return "fifo";
	if (S_ISSOCK(m))
		return "sock";
	return "?";
}

/* "type mode size nlink" of a struct stat, or the errno name */
static const char *describe(int rc, const struct stat *st)
{
	static char buf[96];

	if (rc < 0)
		return errname(errno);
	/* a directory's size depends on the filesystem */
	if (S_ISDIR(st->st_mode)) {
		snprintf(buf, sizeof(buf), "dir %04o nlink=%lu",
			 (unsigned)(st->st_mode & 07777),
			 (unsigned long)st->st_nlink);
		return buf;
	}
	snprintf(buf, sizeof(buf), "%s %04o size=%lld nlink=%lu",
		 type_of(st->st_mode), (unsigned)(st->st_mode & 07777),
		 (long long)st->st_size, (unsigned long)st->st_nlink);
	return buf;
}

static long e2e_statx(int dfd, const char *path, int flags, unsigned mask,
		      struct e2e_statx *sx)
{
	return syscall(SYS_statx, dfd, path, flags, mask, sx);
}

static void check_file(int tmpfd)
{
	struct stat st, fst, at;
	int fd;

	fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0640);
	must("create f", fd);
	must("write f", write(fd, "0123456789", 10));

	expect_str("stat file", describe(stat("f", &st), &st),
		   "reg 0640 size=10 nlink=1");
	expect_str("fstat file", describe(fstat(fd, &fst), &fst),
		   "reg 0640 size=10 nlink=1");
	expect_true("stat and fstat: same st_ino",
		    st.st_ino == fst.st_ino && st.st_dev == fst.st_dev);
	expect_true("st_blksize positive", st.st_blksize > 0);
	expect_true("owner is euid", st.st_uid == geteuid());

	expect_str("fstatat relative",
		   describe(fstatat(tmpfd, "f", &at, 0), &at),
		   "reg 0640 size=10 nlink=1");
	expect_true("fstatat: same st_ino", at.st_ino == st.st_ino);
	expect_str("fstatat AT_EMPTY_PATH",
		   describe(fstatat(fd, "", &at, AT_EMPTY_PATH), &at),
		   "reg 0640 size=10 nlink=1");
	expect_true("AT_EMPTY_PATH: same st_ino", at.st_ino == st.st_ino);
	expect_err("fstatat empty path without flag", fstatat(fd, "", &at, 0),
		   ENOENT);
	expect_err("fstatat bad flags", fstatat(tmpfd, "f", &at, 0x1), EINVAL);
	expect_err("fstatat relative to a file fd", fstatat(fd, "x", &at, 0),
		   ENOTDIR);
	expect_err("stat missing", stat("missing", &st), ENOENT);
	expect_err("stat file/ (trailing slash)", stat("f/", &st), ENOTDIR);
	expect_err("stat empty path", stat("", &st), ENOENT);
	expect_err("fstat bad fd", fstat(999, &st), EBADF);

	must("ftruncate", ftruncate(fd, 4096 * 3 + 1));
	expect_str("fstat after ftruncate", describe(fstat(fd, &fst), &fst),
		   "reg 0640 size=12289 nlink=1");
	must("link", link("f", "f2"));
	expect_str("stat after link", describe(stat("f", &st), &st),
		   "reg 0640 size=12289 nlink=2");
	must("unlink", unlink("f2"));
	close(fd);
}

static void check_dir_and_links(void)
{
	struct stat st, st2;

	must("mkdir", mkdir("d", 0750));
	expect_str("stat dir", describe(stat("d", &st), &st),
		   "dir 0750 nlink=2");
	must("mkdir sub", mkdir("d/sub", 0700));
	must("stat", stat("d", &st));
	expect_long("dir nlink with a subdir", st.st_nlink, 3);

	must("symlink", symlink("f", "l"));
	expect_str("lstat symlink", describe(lstat("l", &st), &st),
		   "lnk 0777 size=1 nlink=1");
	expect_str("stat through symlink", describe(stat("l", &st), &st),
		   "reg 0640 size=12289 nlink=1");
	must("stat f", stat("f", &st2));
	expect_true("symlink stat: target st_ino", st.st_ino == st2.st_ino);
	expect_str(
		"fstatat AT_SYMLINK_NOFOLLOW",
		describe(fstatat(AT_FDCWD, "l", &st, AT_SYMLINK_NOFOLLOW), &st),
		"lnk 0777 size=1 nlink=1");
	expect_true("link and target: different st_ino",
		    st.st_ino != st2.st_ino);
	must("symlink", symlink("no-such-target-anywhere", "dangling"));
	expect_str("lstat dangling", describe(lstat("dangling", &st), &st),
		   "lnk 0777 size=23 nlink=1");
	expect_err("stat dangling", stat("dangling", &st), ENOENT);
}

static void check_special(void)
{
	static const struct {
		const char *path;
		unsigned major, minor;
	} devs[] = {
		{"/dev/null", 1, 3},
		{"/dev/zero", 1, 5},
		{"/dev/urandom", 1, 9},
	};
	struct stat st, fst;
	char buf[64], pid[32];
	ssize_t n;
	int fd;

	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		char label[64];

		must(devs[i].path, stat(devs[i].path, &st));
		snprintf(label, sizeof(label), "%s type", devs[i].path);
		expect_str(label, type_of(st.st_mode), "chr");
		snprintf(label, sizeof(label), "%s rdev", devs[i].path);
		snprintf(buf, sizeof(buf), "%u,%u", major(st.st_rdev),
			 minor(st.st_rdev));
		snprintf(pid, sizeof(pid), "%u,%u", devs[i].major,
			 devs[i].minor);
		expect_str(label, buf, pid);
		snprintf(label, sizeof(label), "%s mode", devs[i].path);
		expect_long(label, st.st_mode & 0777, 0666);
	}
	fd = open("/dev/null", O_RDWR);
	must("open /dev/null", fd);
	must("fstat /dev/null", fstat(fd, &fst));
	expect_true("fstat /dev/null: S_ISCHR", S_ISCHR(fst.st_mode));
	snprintf(buf, sizeof(buf), "%u,%u", major(fst.st_rdev),
		 minor(fst.st_rdev));
	expect_str("fstat /dev/null rdev", buf, "1,3");
	expect_long("fstat /dev/null size", fst.st_size, 0);
	close(fd);

	expect_str("lstat /proc/self",
		   type_of(lstat("/proc/self", &st) < 0 ? 0 : st.st_mode),
		   "lnk");
	expect_str("stat /proc/self",
		   type_of(stat("/proc/self", &st) < 0 ? 0 : st.st_mode),
		   "dir");
	n = readlink("/proc/self", buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	expect_true("readlink /proc/self is the pid", strcmp(buf, pid) == 0);
	expect_str("stat /proc/self/exe",
		   type_of(stat("/proc/self/exe", &st) < 0 ? 0 : st.st_mode),
		   "reg");
	expect_str("lstat /proc/self/exe",
		   type_of(lstat("/proc/self/exe", &st) < 0 ? 0 : st.st_mode),
		   "lnk");
	expect_str("stat /proc/self/fd",
		   type_of(stat("/proc/self/fd", &st) < 0 ? 0 : st.st_mode),
		   "dir");
	expect_str("stat /", type_of(stat("/", &st) < 0 ? 0 : st.st_mode),
		   "dir");
}

static void check_statx(int tmpfd)
{
	const unsigned want = E2E_STATX_TYPE | E2E_STATX_MODE |
			      E2E_STATX_NLINK | E2E_STATX_SIZE | E2E_STATX_INO;
	struct e2e_statx sx;
	struct stat st;
	int fd;

	must("stat f", stat("f", &st));
	memset(&sx, 0, sizeof(sx));
	expect_err("statx file",
		   e2e_statx(AT_FDCWD, "f", 0, E2E_STATX_BASIC_STATS, &sx), 0);
	expect_true("statx mask has basic fields",
		    (sx.stx_mask & want) == want);
	expect_long("statx mode", sx.stx_mode, S_IFREG | 0640);
	expect_long("statx size", (long)sx.stx_size, 12289);
	expect_long("statx nlink", sx.stx_nlink, 1);
	expect_true("statx ino matches stat", sx.stx_ino == st.st_ino);
	expect_true("statx dev matches stat",
		    makedev(sx.stx_dev_major, sx.stx_dev_minor) == st.st_dev);

	expect_err("statx symlink nofollow",
		   e2e_statx(tmpfd, "l", AT_SYMLINK_NOFOLLOW,
			     E2E_STATX_BASIC_STATS, &sx),
		   0);
	expect_str("statx symlink type", type_of(sx.stx_mode), "lnk");
	expect_err("statx symlink follow",
		   e2e_statx(tmpfd, "l", 0, E2E_STATX_BASIC_STATS, &sx), 0);
	expect_str("statx followed type", type_of(sx.stx_mode), "reg");

	fd = open("d", O_RDONLY | O_DIRECTORY);
	must("open d", fd);
	expect_err("statx AT_EMPTY_PATH",
		   e2e_statx(fd, "", AT_EMPTY_PATH, E2E_STATX_BASIC_STATS, &sx),
		   0);
	expect_long("statx dir mode", sx.stx_mode, S_IFDIR | 0750);
	close(fd);
	expect_err(
		"statx /dev/null",
		e2e_statx(AT_FDCWD, "/dev/null", 0, E2E_STATX_BASIC_STATS, &sx),
		0);
	expect_str("statx /dev/null rdev",
		   sx.stx_rdev_major == 1 && sx.stx_rdev_minor == 3 ? "1,3"
								    : "other",
		   "1,3");
	expect_err("statx reserved mask bit",
		   e2e_statx(AT_FDCWD, "f", 0, E2E_STATX_RESERVED, &sx),
		   EINVAL);
	expect_err("statx both sync flags",
		   e2e_statx(AT_FDCWD, "f", 0x6000, E2E_STATX_BASIC_STATS, &sx),
		   EINVAL);
	expect_err(
		"statx missing",
		e2e_statx(AT_FDCWD, "missing", 0, E2E_STATX_BASIC_STATS, &sx),
		ENOENT);
	expect_err("statx bad dirfd",
		   e2e_statx(999, "f", 0, E2E_STATX_BASIC_STATS, &sx), EBADF);
}

static void check_access(int tmpfd)
{
	int root = geteuid() == 0;
	int fd;

	expect_err("access F_OK", access("f", F_OK), 0);
	expect_err("access missing", access("missing", F_OK), ENOENT);
	expect_err("access R_OK|W_OK", access("f", R_OK | W_OK), 0);
	expect_err("access X_OK on 0640", access("f", X_OK), EACCES);
	expect_err("access X_OK on dir", access("d", X_OK), 0);
	fd = open("ro", O_WRONLY | O_CREAT, 0444);
	close(fd);
	/* root passes R and W checks whatever the mode; see access(2) */
	expect_err("access W_OK on 0444", access("ro", W_OK),
		   root ? 0 : EACCES);
	expect_err("access bad mode", access("f", 0x10), EINVAL);
	expect_err("faccessat relative", faccessat(tmpfd, "f", R_OK, 0), 0);
	expect_err("faccessat AT_EACCESS",
		   faccessat(tmpfd, "f", R_OK, AT_EACCESS), 0);
	expect_err("faccessat2 AT_SYMLINK_NOFOLLOW dangling",
		   syscall(SYS_faccessat2, tmpfd, "dangling", F_OK,
			   AT_SYMLINK_NOFOLLOW),
		   0);
	expect_err("faccessat dangling", faccessat(tmpfd, "dangling", F_OK, 0),
		   ENOENT);
	expect_err("faccessat2 bad flags",
		   syscall(SYS_faccessat2, tmpfd, "f", F_OK, 0x1), EINVAL);
	expect_err("access through a file", access("f/x", F_OK), ENOTDIR);
}

static void check_chmod(void)
{
	struct stat st;
	int fd;

	expect_err("chmod 0600", chmod("f", 0600), 0);
	must("stat", stat("f", &st));
	expect_long("mode after chmod", st.st_mode & 07777, 0600);
	expect_err("chmod through symlink", chmod("l", 0604), 0);
	must("stat", stat("f", &st));
	expect_long("target mode after chmod via link", st.st_mode & 07777,
		    0604);
	must("lstat", lstat("l", &st));
	expect_long("link mode unchanged", st.st_mode & 07777, 0777);
	fd = open("f", O_RDONLY);
	must("open f", fd);
	expect_err("fchmod 04751", fchmod(fd, 04751), 0);
	must("fstat", fstat(fd, &st));
	expect_long("mode after fchmod", st.st_mode & 07777, 04751);
	expect_err("fchmodat", fchmodat(AT_FDCWD, "f", 0640, 0), 0);
	must("fstat", fstat(fd, &st));
	expect_long("mode after fchmodat", st.st_mode & 07777, 0640);
	expect_str("type kept", type_of(st.st_mode), "reg");
	close(fd);
	expect_err("chmod missing", chmod("missing", 0600), ENOENT);
	expect_err("fchmod bad fd", fchmod(999, 0600), EBADF);
	expect_err("chmod dir 0700", chmod("d", 0700), 0);
	must("stat", stat("d", &st));
	expect_long("dir mode after chmod", st.st_mode & 07777, 0700);
}

static void check_times(int tmpfd)
{
	struct timespec ts[2] = {
		{.tv_sec = 1000000000, .tv_nsec = 123456789},
		{.tv_sec = 1234567890, .tv_nsec = 500},
	};
	struct e2e_statx sx;
	struct stat st;
	int fd;

	expect_err("utimensat", utimensat(AT_FDCWD, "f", ts, 0), 0);
	must("stat", stat("f", &st));
	expect_long("atime sec", st.st_atim.tv_sec, 1000000000);
	expect_long("atime nsec", st.st_atim.tv_nsec, 123456789);
	expect_long("mtime sec", st.st_mtim.tv_sec, 1234567890);
	expect_long("mtime nsec", st.st_mtim.tv_nsec, 500);
	must("statx", e2e_statx(AT_FDCWD, "f", 0, E2E_STATX_BASIC_STATS, &sx));
	expect_long("statx mtime sec", sx.stx_mtime.tv_sec, 1234567890);
	expect_long("statx atime nsec", sx.stx_atime.tv_nsec, 123456789);

	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = 1500000000;
	ts[1].tv_nsec = 7;
	expect_err("utimensat UTIME_OMIT atime", utimensat(tmpfd, "f", ts, 0),
		   0);
	must("stat", stat("f", &st));
	expect_long("atime kept sec", st.st_atim.tv_sec, 1000000000);
	expect_long("mtime set sec", st.st_mtim.tv_sec, 1500000000);
	expect_long("mtime set nsec", st.st_mtim.tv_nsec, 7);

	fd = open("f", O_RDONLY);
	must("open f", fd);
	ts[0].tv_sec = 86400;
	ts[0].tv_nsec = 0;
	ts[1].tv_nsec = UTIME_NOW;
	expect_err("futimens UTIME_NOW mtime", futimens(fd, ts), 0);
	must("fstat", fstat(fd, &st));
	expect_long("atime via futimens", st.st_atim.tv_sec, 86400);
	expect_true("mtime is now (after 2020)",
		    st.st_mtim.tv_sec > 1577836800);
	close(fd);

	ts[0].tv_sec = 2000000000;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec = 2000000001;
	ts[1].tv_nsec = 0;
	expect_err("utimensat AT_SYMLINK_NOFOLLOW",
		   utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW), 0);
	must("lstat", lstat("l", &st));
	expect_long("symlink mtime", st.st_mtim.tv_sec, 2000000001);
	must("stat", stat("f", &st));
	expect_true("target mtime untouched", st.st_mtim.tv_sec != 2000000001);

	ts[0].tv_nsec = 1000000000;
	expect_err("utimensat bad nsec", utimensat(AT_FDCWD, "f", ts, 0),
		   EINVAL);
	expect_err("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0),
		   ENOENT);
	expect_err("utimensat bad flags", utimensat(AT_FDCWD, "f", NULL, 0x1),
		   EINVAL);
}

int main(void)
{
	int tmpfd;

	e2e_init();
	umask(0);
	must("chdir tmp", chdir(e2e_tmpdir()));
	tmpfd = open(".", O_RDONLY | O_DIRECTORY);
	must("open tmp", tmpfd);
	check_file(tmpfd);
	check_dir_and_links();
	check_special();
	check_statx(tmpfd);
	check_access(tmpfd);
	check_chmod();
	check_times(tmpfd);
	close(tmpfd);
	return e2e_done();
}
