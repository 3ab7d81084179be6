/* e2e.h - shared helpers for the e2e guest programs (glibc and musl) */
#pragma once

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * struct statx as the kernel defines it (include/uapi/linux/stat.h); musl
 * 1.2.3 has neither the struct nor statx(), so both libcs use this and
 * syscall(SYS_statx).
 */
struct e2e_statx_ts {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

struct e2e_statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct e2e_statx_ts stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major;
	uint32_t stx_rdev_minor;
	uint32_t stx_dev_major;
	uint32_t stx_dev_minor;
	uint64_t spare[14];
};
_Static_assert(sizeof(struct e2e_statx) == 256, "struct statx is 256 bytes");

#define E2E_STATX_TYPE 0x1U
#define E2E_STATX_MODE 0x2U
#define E2E_STATX_NLINK 0x4U
#define E2E_STATX_INO 0x100U
#define E2E_STATX_SIZE 0x200U
#define E2E_STATX_BASIC_STATS 0x7ffU
#define E2E_STATX_RESERVED 0x80000000U

/*
 * Every program prints one line per check and keeps a failure count. A line
 * shows the observed fact (a value, an errno name, yes/no); when it is not the
 * value Linux gives, " (want ...)" is appended and the program exits 1. The
 * native run therefore validates the test, and compare.sh catches junction's
 * departures both from the output and from the exit status.
 */
static int e2e_fails;

static inline const char *errname(int e)
{
	static const struct {
		int e;
		const char *name;
	} names[] = {
		{0, "OK"},
		{EPERM, "EPERM"},
		{ENOENT, "ENOENT"},
		{ESRCH, "ESRCH"},
		{EINTR, "EINTR"},
		{EIO, "EIO"},
		{ENXIO, "ENXIO"},
		{E2BIG, "E2BIG"},
		{ENOEXEC, "ENOEXEC"},
		{EBADF, "EBADF"},
		{ECHILD, "ECHILD"},
		{EAGAIN, "EAGAIN"},
		{ENOMEM, "ENOMEM"},
		{EACCES, "EACCES"},
		{EFAULT, "EFAULT"},
		{EBUSY, "EBUSY"},
		{EEXIST, "EEXIST"},
		{EXDEV, "EXDEV"},
		{ENODEV, "ENODEV"},
		{ENOTDIR, "ENOTDIR"},
		{EISDIR, "EISDIR"},
		{EINVAL, "EINVAL"},
		{ENFILE, "ENFILE"},
		{EMFILE, "EMFILE"},
		{ENOTTY, "ENOTTY"},
		{ETXTBSY, "ETXTBSY"},
		{EFBIG, "EFBIG"},
		{ENOSPC, "ENOSPC"},
		{ESPIPE, "ESPIPE"},
		{EROFS, "EROFS"},
		{EMLINK, "EMLINK"},
		{EPIPE, "EPIPE"},
		{ERANGE, "ERANGE"},
		{ENAMETOOLONG, "ENAMETOOLONG"},
		{ENOSYS, "ENOSYS"},
		{ENOTEMPTY, "ENOTEMPTY"},
		{ELOOP, "ELOOP"},
		{ENODATA, "ENODATA"},
		{EOVERFLOW, "EOVERFLOW"},
		{EOPNOTSUPP, "EOPNOTSUPP"},
		{EDEADLK, "EDEADLK"},
		{ETIMEDOUT, "ETIMEDOUT"},
		{EOWNERDEAD, "EOWNERDEAD"},
		{ENOTRECOVERABLE, "ENOTRECOVERABLE"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].name;
	return "E?";
}

/* print "label: text" */
static inline void __attribute__((format(printf, 2, 3)))
say(const char *label, const char *fmt, ...)
{
	va_list ap;

	printf("%s: ", label);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* integer fact: "label: got", a failure unless got == want */
static inline void expect_long(const char *label, long got, long want)
{
	if (got == want) {
		printf("%s: %ld\n", label, got);
		return;
	}
	printf("%s: %ld (want %ld)\n", label, got, want);
	e2e_fails++;
}

/* boolean fact: "label: yes|no", a failure unless it is yes */
static inline void expect_true(const char *label, int cond)
{
	printf("%s: %s\n", label, cond ? "yes" : "no");
	if (!cond)
		e2e_fails++;
}

/* string fact: "label: 'got'" */
static inline void expect_str(const char *label, const char *got,
			      const char *want)
{
	if (got && strcmp(got, want) == 0) {
		printf("%s: '%s'\n", label, got);
		return;
	}
	printf("%s: '%s' (want '%s')\n", label, got ? got : "(null)", want);
	e2e_fails++;
}

/*
 * Outcome of a libc call returning -1 and setting errno: prints "OK" (rc >= 0)
 * or the errno name. Call it right after the call, before errno changes.
 */
static inline void expect_err(const char *label, long rc, int want)
{
	int e = rc < 0 ? errno : 0;

	if (e == want) {
		printf("%s: %s\n", label, errname(e));
		return;
	}
	printf("%s: %s (want %s)\n", label, errname(e), errname(want));
	e2e_fails++;
}

/* same for a raw syscall return value (-errno), for syscall-free asm paths */
static inline void expect_raw(const char *label, long rc, int want)
{
	int e = rc < 0 && rc > -4096 ? (int)-rc : 0;

	if (e == want) {
		printf("%s: %s\n", label, errname(e));
		return;
	}
	printf("%s: %s (want %s)\n", label, errname(e), errname(want));
	e2e_fails++;
}

/*
 * Outcome of a call returning 0 or an error number (the pthread_* style):
 * prints "OK" or the errno name.
 */
static inline void expect_errnum(const char *label, int rc, int want)
{
	if (rc == want) {
		printf("%s: %s\n", label, errname(rc));
		return;
	}
	printf("%s: %s (want %s)\n", label, errname(rc), errname(want));
	e2e_fails++;
}

/* a call that cannot sensibly fail without the whole test being moot */
static inline void must(const char *what, long rc)
{
	if (rc < 0) {
		printf("setup failed: %s: %s\n", what, errname(errno));
		fflush(stdout);
		exit(2);
	}
}

/* the same for a call returning 0 or an error number (pthread_*) */
static inline void must0(const char *what, int rc)
{
	if (rc != 0) {
		printf("setup failed: %s: %s\n", what, errname(rc));
		fflush(stdout);
		exit(2);
	}
}

static inline void rm_tree_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	DIR *d;
	struct dirent *de;

	if (fd < 0) {
		unlinkat(dirfd, name, 0);
		return;
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rm_tree_at(fd, de->d_name);
	}
	closedir(d);
	unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* absolute path of a fresh private directory under /tmp */
static char e2e_tmp[64];

static inline const char *e2e_tmpdir(void)
{
	strcpy(e2e_tmp, "/tmp/e2e-XXXXXX");
	if (!mkdtemp(e2e_tmp)) {
		printf("setup failed: mkdtemp: %s\n", errname(errno));
		exit(2);
	}
	return e2e_tmp;
}

static inline void e2e_rmtmp(void)
{
	if (e2e_tmp[0])
		rm_tree_at(AT_FDCWD, e2e_tmp);
	e2e_tmp[0] = '\0';
}

/* line buffering so a crash still leaves every finished check visible */
static inline void e2e_init(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* print the verdict, remove the temp dir, return the exit status */
static inline int e2e_done(void)
{
	e2e_rmtmp();
	printf("failures: %d\n", e2e_fails);
	return e2e_fails ? 1 : 0;
}
