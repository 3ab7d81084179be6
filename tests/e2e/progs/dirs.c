/* dirs.c - e2e: directories, listings, cwd, renames, links and umask */
#include "e2e.h"

#include <stdio.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char type_char(unsigned char t)
{
	switch (t) {
	case DT_REG:
		return 'f';
	case DT_DIR:
		return 'd';
	case DT_LNK:
		return 'l';
	case DT_UNKNOWN:
		return '?';
	default:
		return 'o';
	}
}

static void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	must(path, fd);
	must("write", write(fd, text, strlen(text)));
	close(fd);
}

static const char *file_text(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return errname(errno);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0) {
		n = errno;
		close(fd);
		return errname((int)n);
	}
	close(fd);
	buf[n] = '\0';
	return buf;
}

static long mode_of(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return -1;
	return st.st_mode & 07777;
}

/*
 * List a directory with raw getdents64 and a deliberately small buffer, so
 * the listing takes several calls; print "name:type" sorted by name.
 */
static void list_dir(const char *label, const char *path)
{
	char buf[80] __attribute__((aligned(8)));
	char *names[64], line[512] = "";
	int n = 0, calls = 0, fd;
	long got;

	fd = open(path, O_RDONLY | O_DIRECTORY);
	must("open dir", fd);
	while ((got = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		calls++;
		for (long off = 0; off < got;) {
			struct linux_dirent64 *de = (void *)(buf + off);
			char *s = malloc(strlen(de->d_name) + 3);

			sprintf(s, "%s:%c", de->d_name, type_char(de->d_type));
			if (n < 64)
				names[n++] = s;
			off += de->d_reclen;
		}
	}
	expect_err("getdents64 end", got, 0);
	close(fd);
	qsort(names, n, sizeof(names[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		strcat(line, i ? " " : "");
		strcat(line, names[i]);
		free(names[i]);
	}
	say(label, "%s", line);
	expect_true("listing took several calls", calls > 1);
}

static void check_umask_mkdir(void)
{
	int fd;

	umask(022);
	expect_long("umask old", umask(077), 022);
	expect_err("mkdir under 077", mkdir("u77", 0777), 0);
	expect_long("mode under 077", mode_of("u77"), 0700);
	umask(027);
	fd = open("u27.txt", O_WRONLY | O_CREAT, 0666);
	expect_err("create under 027", fd, 0);
	close(fd);
	expect_long("file mode under 027", mode_of("u27.txt"), 0640);
	umask(022);
	expect_err("mkdir d", mkdir("d", 0777), 0);
	expect_long("mode under 022", mode_of("d"), 0755);
	expect_err("mkdir sticky", mkdir("sticky", 01777), 0);
	expect_long("sticky mode under 022", mode_of("sticky"), 01755);
	expect_err("mkdir existing", mkdir("d", 0755), EEXIST);
	expect_err("mkdir missing parent", mkdir("missing/x", 0755), ENOENT);
	put_file("plain", "plain");
	expect_err("mkdir under a file", mkdir("plain/x", 0755), ENOTDIR);
	expect_err("mkdir over a file", mkdir("plain", 0755), EEXIST);
}

static void check_rmdir_unlink(int tmpfd)
{
	expect_err("mkdirat", mkdirat(tmpfd, "d/sub", 0755), 0);
	expect_err("mkdirat 2", mkdirat(tmpfd, "d/sub2", 0755), 0);
	put_file("d/sub/f", "x");
	expect_err("rmdir non-empty", rmdir("d/sub"), ENOTEMPTY);
	expect_err("rmdir a file", rmdir("plain"), ENOTDIR);
	expect_err("rmdir missing", rmdir("nothing"), ENOENT);
	expect_err("rmdir dot", rmdir("d/."), EINVAL);
	expect_err("unlink a dir", unlink("d/sub2"), EISDIR);
	expect_err("unlinkat dir without flag", unlinkat(tmpfd, "d/sub2", 0),
		   EISDIR);
	expect_err("unlinkat AT_REMOVEDIR file",
		   unlinkat(tmpfd, "plain", AT_REMOVEDIR), ENOTDIR);
	expect_err("unlinkat AT_REMOVEDIR",
		   unlinkat(tmpfd, "d/sub2", AT_REMOVEDIR), 0);
	expect_err("unlinkat bad flags", unlinkat(tmpfd, "plain", 0x4000),
		   EINVAL);
	expect_err("unlink missing", unlink("d/none"), ENOENT);
	expect_err("unlink file", unlink("d/sub/f"), 0);
	expect_err("rmdir now empty", rmdir("d/sub"), 0);
	expect_err("rmdir gone", rmdir("d/sub"), ENOENT);
}

static void check_listing(void)
{
	int fd;
	char buf[8];

	mkdir("ls", 0755);
	put_file("ls/alpha", "a");
	put_file("ls/bravo-with-a-longer-name", "b");
	put_file("ls/charlie", "c");
	mkdir("ls/delta.d", 0755);
	symlink("alpha", "ls/echo-link");
	list_dir("listing", "ls");

	fd = open("plain", O_RDONLY);
	expect_err("getdents64 on a file",
		   syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
	close(fd);
	fd = open("ls", O_RDONLY | O_DIRECTORY);
	expect_err("getdents64 tiny buffer",
		   syscall(SYS_getdents64, fd, buf, sizeof(buf)), EINVAL);
	close(fd);
	expect_err("getdents64 bad fd",
		   syscall(SYS_getdents64, 999, buf, sizeof(buf)), EBADF);
}

static const char *rel_cwd(const char *tmp)
{
	static char buf[PATH_MAX];
	size_t n = strlen(tmp);

	if (!getcwd(buf, sizeof(buf)))
		return errname(errno);
	if (strncmp(buf, tmp, n) != 0)
		return "outside tmp";
	return buf[n] ? buf + n : "/";
}

static void check_cwd(const char *tmp, int tmpfd)
{
	char small[4];

	expect_err("chdir d", chdir("d"), 0);
	expect_str("getcwd in d", rel_cwd(tmp), "/d");
	expect_err("chdir ..", chdir(".."), 0);
	expect_str("getcwd after ..", rel_cwd(tmp), "/");
	expect_err("chdir ls/delta.d", chdir("ls/delta.d"), 0);
	expect_str("getcwd deep", rel_cwd(tmp), "/ls/delta.d");
	expect_err("fchdir tmp", fchdir(tmpfd), 0);
	expect_str("getcwd after fchdir", rel_cwd(tmp), "/");
	expect_err("chdir a file", chdir("plain"), ENOTDIR);
	expect_err("chdir missing", chdir("missing"), ENOENT);
	expect_err("fchdir bad fd", fchdir(999), EBADF);
	expect_err("getcwd too small", getcwd(small, sizeof(small)) ? 0 : -1,
		   ERANGE);
	expect_err("getcwd size 0", syscall(SYS_getcwd, small, 0), ERANGE);
	expect_str("cwd unchanged", rel_cwd(tmp), "/");
}

static void check_rename(int tmpfd)
{
	put_file("r1", "one");
	put_file("r2", "two");
	expect_err("rename", rename("r1", "r3"), 0);
	expect_str("old name gone", file_text("r1"), "ENOENT");
	expect_str("new name", file_text("r3"), "one");
	expect_err("rename over file", rename("r3", "r2"), 0);
	expect_str("replaced", file_text("r2"), "one");
	expect_err("rename missing", rename("r3", "r4"), ENOENT);
	expect_err("rename to itself", rename("r2", "r2"), 0);

	mkdir("rd1", 0755);
	mkdir("rd2", 0755);
	put_file("rd2/f", "f");
	expect_err("rename dir over non-empty dir", rename("rd1", "rd2"),
		   ENOTEMPTY);
	expect_err("rename dir over file", rename("rd1", "r2"), ENOTDIR);
	expect_err("rename file over dir", rename("r2", "rd1"), EISDIR);
	expect_err("rename dir into itself", rename("rd1", "rd1/x"), EINVAL);
	expect_err("rename dir", rename("rd1", "rd3"), 0);

	put_file("x1", "first");
	put_file("x2", "second");
	expect_err("RENAME_NOREPLACE existing",
		   syscall(SYS_renameat2, tmpfd, "x1", tmpfd, "x2",
			   RENAME_NOREPLACE),
		   EEXIST);
	expect_err("RENAME_NOREPLACE new",
		   syscall(SYS_renameat2, tmpfd, "x1", tmpfd, "x3",
			   RENAME_NOREPLACE),
		   0);
	expect_err("RENAME_EXCHANGE",
		   syscall(SYS_renameat2, AT_FDCWD, "x2", tmpfd, "x3",
			   RENAME_EXCHANGE),
		   0);
	expect_str("exchanged x2", file_text("x2"), "first");
	expect_str("exchanged x3", file_text("x3"), "second");
	expect_err("RENAME_EXCHANGE file and dir",
		   syscall(SYS_renameat2, tmpfd, "x3", tmpfd, "rd3",
			   RENAME_EXCHANGE),
		   0);
	expect_str("dir took file name", file_text("x3"), "EISDIR");
	expect_str("file took dir name", file_text("rd3"), "second");
	expect_err("RENAME_EXCHANGE missing",
		   syscall(SYS_renameat2, tmpfd, "x2", tmpfd, "x9",
			   RENAME_EXCHANGE),
		   ENOENT);
	expect_err("NOREPLACE|EXCHANGE",
		   syscall(SYS_renameat2, tmpfd, "x2", tmpfd, "x3",
			   RENAME_EXCHANGE | RENAME_NOREPLACE),
		   EINVAL);
}

static void check_links(int tmpfd)
{
	char buf[64];
	struct stat st;
	long n;

	put_file("orig", "linked");
	expect_err("link", link("orig", "hard"), 0);
	must("stat", stat("orig", &st));
	expect_long("nlink after link", st.st_nlink, 2);
	expect_str("read through hard link", file_text("hard"), "linked");
	expect_err("link to existing", link("orig", "hard"), EEXIST);
	expect_err("link a dir", link("d", "dlink"), EPERM);
	expect_err("link missing", link("none", "n2"), ENOENT);
	expect_err("linkat", linkat(tmpfd, "orig", tmpfd, "hard2", 0), 0);
	expect_err("unlink hard", unlink("hard"), 0);
	must("stat", stat("orig", &st));
	expect_long("nlink after unlink", st.st_nlink, 2);

	expect_err("symlink", symlink("orig", "sym"), 0);
	memset(buf, 0, sizeof(buf));
	n = readlink("sym", buf, sizeof(buf));
	expect_long("readlink length", n, 4);
	expect_str("readlink text", buf, "orig");
	memset(buf, 0, sizeof(buf));
	expect_long("readlink truncates", readlink("sym", buf, 2), 2);
	expect_str("readlink truncated text", buf, "or");
	/* raw: musl's readlink() turns size 0 into a 1-byte dummy buffer */
	expect_err("readlink size 0", syscall(SYS_readlink, "sym", buf, 0),
		   EINVAL);
	expect_err("readlink on a file", readlink("orig", buf, sizeof(buf)),
		   EINVAL);
	expect_err("readlink missing", readlink("none", buf, sizeof(buf)),
		   ENOENT);
	memset(buf, 0, sizeof(buf));
	expect_long("readlinkat", readlinkat(tmpfd, "sym", buf, sizeof(buf)),
		    4);
	expect_str("readlinkat text", buf, "orig");
	expect_str("open through symlink", file_text("sym"), "linked");
	expect_err("symlink to existing", symlink("x", "sym"), EEXIST);
	expect_err("symlinkat dangling", symlinkat("no/such", tmpfd, "dang"),
		   0);
	expect_str("open dangling", file_text("dang"), "ENOENT");
	expect_err("open O_NOFOLLOW symlink",
		   open("sym", O_RDONLY | O_NOFOLLOW), ELOOP);
	symlink("loop2", "loop1");
	symlink("loop1", "loop2");
	expect_str("open symlink loop", file_text("loop1"), "ELOOP");
	expect_err("unlink symlink", unlink("sym"), 0);
	expect_str("target survives", file_text("orig"), "linked");
	expect_err("symlink empty target", symlink("", "empty"), ENOENT);
}

static void check_openat(const char *tmp, int tmpfd)
{
	char abs[PATH_MAX];
	int dfd, fd, ffd;

	dfd = openat(tmpfd, "d", O_RDONLY | O_DIRECTORY);
	expect_err("openat O_DIRECTORY", dfd, 0);
	fd = openat(dfd, "in-d", O_WRONLY | O_CREAT, 0644);
	expect_err("openat create relative", fd, 0);
	must("write", write(fd, "in d", 4));
	close(fd);
	expect_str("created under dirfd", file_text("d/in-d"), "in d");
	snprintf(abs, sizeof(abs), "%s/plain", tmp);
	fd = openat(dfd, abs, O_RDONLY);
	expect_err("openat absolute ignores dirfd", fd, 0);
	close(fd);
	ffd = open("plain", O_RDONLY);
	expect_err("openat relative to a file fd", openat(ffd, "x", O_RDONLY),
		   ENOTDIR);
	expect_err("openat absolute with file fd",
		   fd = openat(ffd, abs, O_RDONLY), 0);
	close(fd);
	close(ffd);
	expect_err("openat bad dirfd", openat(999, "x", O_RDONLY), EBADF);
	expect_err("O_DIRECTORY on a file",
		   openat(tmpfd, "plain", O_RDONLY | O_DIRECTORY), ENOTDIR);
	expect_err("trailing slash on a file", open("plain/", O_RDONLY),
		   ENOTDIR);
	expect_err("file as path component", open("plain/x", O_RDONLY),
		   ENOTDIR);
	expect_err("O_CREAT on a dir", open("d", O_RDWR | O_CREAT, 0644),
		   EISDIR);
	expect_err("missing component", open("none/x", O_RDONLY), ENOENT);
	expect_err("empty path", open("", O_RDONLY), ENOENT);
	fd = openat(dfd, "..", O_RDONLY | O_DIRECTORY);
	expect_err("openat ..", fd, 0);
	expect_str("..: plain via new fd",
		   (ffd = openat(fd, "plain", O_RDONLY)) >= 0 ? "ok"
							      : errname(errno),
		   "ok");
	close(ffd);
	close(fd);
	{
		char longname[300];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		expect_err("name too long", open(longname, O_RDONLY),
			   ENAMETOOLONG);
	}
	close(dfd);
}

int main(void)
{
	const char *tmp;
	int tmpfd;

	e2e_init();
	tmp = e2e_tmpdir();
	must("chdir tmp", chdir(tmp));
	tmpfd = open(tmp, O_RDONLY | O_DIRECTORY);
	must("open tmp", tmpfd);

	check_umask_mkdir();
	check_rmdir_unlink(tmpfd);
	check_listing();
	check_cwd(tmp, tmpfd);
	check_rename(tmpfd);
	check_links(tmpfd);
	check_openat(tmp, tmpfd);
	close(tmpfd);
	return e2e_done();
}
