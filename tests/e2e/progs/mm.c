/* mm.c - e2e: mmap family, mprotect, mremap, brk, madvise, msync, mincore */
#include "e2e.h"

#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MREMAP_MAYMOVE
#define MREMAP_MAYMOVE 1
#endif
#ifndef MREMAP_FIXED
#define MREMAP_FIXED 2
#endif

static size_t pg;

/*
 * The maps line containing addr: perms ("rw-p") into perms[5], the pathname
 * field (may be empty) into name. Returns 0, or -1 when no line contains it.
 * Reads with read(2) into a static buffer: no malloc, so malloc never moves
 * the break while check_brk() owns it.
 */
static int maps_find(const void *addr, char *perms, char *name, size_t len)
{
	static char maps[1 << 16];
	uintptr_t a = (uintptr_t)addr;
	size_t used = 0;
	ssize_t n;
	int fd = open("/proc/self/maps", O_RDONLY);

	strcpy(perms, "none");
	if (name)
		name[0] = '\0';
	if (fd < 0)
		return -1;
	while (used < sizeof(maps) - 1 &&
	       (n = read(fd, maps + used, sizeof(maps) - 1 - used)) > 0)
		used += n;
	close(fd);
	maps[used] = '\0';
	for (char *line = maps; *line;) {
		char *eol = strchr(line, '\n');
		unsigned long start, end;
		int off = 0;

		if (eol)
			*eol = '\0';
		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s%n", &start, &end,
			   perms, &off) >= 3 &&
		    a >= start && a < end) {
			if (name) {
				char *p = line + off;

				while (*p == ' ')
					p++;
				snprintf(name, len, "%s", p);
			}
			return 0;
		}
		strcpy(perms, "none");
		if (!eol)
			break;
		line = eol + 1;
	}
	return -1;
}

static const char *perms_of(const void *addr)
{
	static char perms[8];

	maps_find(addr, perms, NULL, 0);
	return perms;
}

/* "1" per resident page, "0" otherwise; or the errno name */
static const char *resident(void *addr, size_t pages)
{
	static char buf[64];
	unsigned char vec[64];

	if (mincore(addr, pages * pg, vec) < 0)
		return errname(errno);
	for (size_t i = 0; i < pages; i++)
		buf[i] = (vec[i] & 1) ? '1' : '0';
	buf[pages] = '\0';
	return buf;
}

static int all_bytes(const void *p, int c, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != (unsigned char)c)
			return 0;
	return 1;
}

static void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		printf("setup failed: mmap: %s\n", errname(errno));
		exit(2);
	}
	return p;
}

/* an address with len bytes free: mapped then unmapped */
static char *free_range(size_t len)
{
	char *p = map_anon(len, PROT_NONE);

	munmap(p, len);
	return p;
}

static long mmap_err(void *p)
{
	return p == MAP_FAILED ? -1 : 0;
}

static void check_anon(void)
{
	char *p, *s;

	p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect_err("anon private", mmap_err(p), 0);
	expect_true("anon private page-aligned", ((uintptr_t)p % pg) == 0);
	expect_true("anon private zeroed", all_bytes(p, 0, 3 * pg));
	memset(p, 0xa5, 3 * pg);
	expect_true("anon private holds data", all_bytes(p, 0xa5, 3 * pg));
	expect_str("anon private perms", perms_of(p + pg), "rw-p");
	expect_err("munmap", munmap(p, 3 * pg), 0);
	expect_str("unmapped: no maps line", perms_of(p), "none");

	s = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	expect_err("anon shared", mmap_err(s), 0);
	expect_true("anon shared zeroed", all_bytes(s, 0, 2 * pg));
	strcpy(s + pg, "shared data");
	expect_str("anon shared holds data", s + pg, "shared data");
	expect_str("anon shared perms", perms_of(s), "rw-s");
	expect_err("madvise DONTNEED shared", madvise(s, 2 * pg, MADV_DONTNEED),
		   0);
	expect_str("shared data survives DONTNEED", s + pg, "shared data");
	munmap(s, 2 * pg);

	p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	expect_err("MAP_POPULATE", mmap_err(p), 0);
	expect_str("MAP_POPULATE resident", resident(p, 4), "1111");
	munmap(p, 4 * pg);

	p = map_anon(4 * pg, PROT_READ | PROT_WRITE);
	expect_str("untouched anon not resident", resident(p, 4), "0000");
	p[2 * pg] = 1;
	expect_str("touched page resident", resident(p, 4), "0010");
	memset(p, 7, 4 * pg);
	expect_err("madvise DONTNEED private",
		   madvise(p + pg, 2 * pg, MADV_DONTNEED), 0);
	expect_true("DONTNEED zeroes private pages",
		    all_bytes(p + pg, 0, 2 * pg));
	expect_true("DONTNEED spares neighbours",
		    all_bytes(p, 7, pg) && all_bytes(p + 3 * pg, 7, pg));
	expect_err("madvise WILLNEED", madvise(p, pg, MADV_WILLNEED), 0);
	expect_err("madvise bad advice", madvise(p, pg, 12345), EINVAL);
	expect_err("madvise unaligned", madvise(p + 1, pg, MADV_DONTNEED),
		   EINVAL);
	munmap(p, 4 * pg);
	expect_err("madvise unmapped", madvise(p, pg, MADV_WILLNEED), ENOMEM);
}

static void check_file(void)
{
	char buf[32], name[256];
	char *p, *q;
	int fd, ro;

	fd = open("m.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
	must("open m.bin", fd);
	{
		char page[4096];

		memset(page, 'A', sizeof(page));
		must("write", write(fd, page, sizeof(page)));
		memset(page, 'B', sizeof(page));
		must("write", write(fd, page, sizeof(page)));
	}

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	expect_err("file private", mmap_err(p), 0);
	expect_true("file private content",
		    all_bytes(p, 'A', pg) && all_bytes(p + pg, 'B', pg));
	memcpy(p, "private", 7);
	must("pread", pread(fd, buf, 7, 0));
	expect_true("private write not in file", all_bytes(buf, 'A', 7));
	expect_err("madvise DONTNEED file private",
		   madvise(p, pg, MADV_DONTNEED), 0);
	expect_true("DONTNEED restores file content", all_bytes(p, 'A', pg));
	maps_find(p, buf, name, sizeof(name));
	expect_str("file private perms", buf, "rw-p");
	expect_true("maps names the file",
		    strlen(name) > 6 &&
			    !strcmp(name + strlen(name) - 6, "/m.bin"));
	munmap(p, 2 * pg);

	q = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
	expect_err("file private at offset", mmap_err(q), 0);
	expect_true("offset content", all_bytes(q, 'B', pg));
	munmap(q, pg);

	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	expect_err("file shared", mmap_err(p), 0);
	expect_str("file shared perms", perms_of(p), "rw-s");
	memcpy(p + pg + 10, "through-map", 11);
	expect_err("msync MS_SYNC", msync(p, 2 * pg, MS_SYNC), 0);
	memset(buf, 0, sizeof(buf));
	must("pread", pread(fd, buf, 11, pg + 10));
	expect_str("shared write reaches the file", buf, "through-map");
	must("pwrite", pwrite(fd, "via-write", 9, 100));
	expect_true("file write visible in map",
		    !memcmp(p + 100, "via-write", 9));
	expect_err("msync MS_ASYNC", msync(p, pg, MS_ASYNC), 0);
	expect_err("msync MS_INVALIDATE", msync(p, pg, MS_INVALIDATE), 0);
	expect_err("msync SYNC|ASYNC", msync(p, pg, MS_SYNC | MS_ASYNC),
		   EINVAL);
	expect_err("msync unaligned", msync(p + 1, pg, MS_SYNC), EINVAL);
	expect_err("msync bad flags", msync(p, pg, 0x100), EINVAL);
	munmap(p, 2 * pg);
	expect_err("msync unmapped", msync(p, pg, MS_SYNC), ENOMEM);

	/* a mapping may extend past EOF; its pages there are not touched */
	must("ftruncate", ftruncate(fd, 100));
	p = mmap(NULL, 3 * pg, PROT_READ, MAP_SHARED, fd, 0);
	expect_err("map beyond EOF", mmap_err(p), 0);
	expect_true("last partial page: data then zeros",
		    p != MAP_FAILED && p[0] == 'A' &&
			    all_bytes(p + 100, 0, pg - 100));
	munmap(p, 3 * pg);

	ro = open("m.bin", O_RDONLY);
	must("open ro", ro);
	expect_err("shared writable map of O_RDONLY fd",
		   mmap_err(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED,
				 ro, 0)),
		   EACCES);
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	expect_err("private writable map of O_RDONLY fd", mmap_err(p), 0);
	munmap(p, pg);
	close(ro);
	expect_err("map of a closed fd",
		   mmap_err(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, ro, 0)),
		   EBADF);
	expect_err("unaligned offset",
		   mmap_err(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 100)),
		   EINVAL);
	ro = open(".", O_RDONLY | O_DIRECTORY);
	expect_err("map of a directory",
		   mmap_err(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, ro, 0)),
		   ENODEV);
	close(ro);
	close(fd);
}

static void check_devzero(void)
{
	int fd = open("/dev/zero", O_RDWR);
	char *p;

	must("open /dev/zero", fd);
	p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	expect_err("/dev/zero private", mmap_err(p), 0);
	expect_true("/dev/zero zeroed",
		    p != MAP_FAILED && all_bytes(p, 0, 2 * pg));
	if (p != MAP_FAILED) {
		strcpy(p, "zero");
		expect_str("/dev/zero writable", p, "zero");
		munmap(p, 2 * pg);
	}
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	expect_err("/dev/zero shared", mmap_err(p), 0);
	if (p != MAP_FAILED) {
		expect_true("/dev/zero shared zeroed", all_bytes(p, 0, pg));
		expect_str("/dev/zero shared perms", perms_of(p), "rw-s");
		munmap(p, pg);
	}
	close(fd);
}

static void check_fixed_and_hints(void)
{
	char *p, *q, *hint;

	p = map_anon(4 * pg, PROT_READ | PROT_WRITE);
	memset(p, 'x', 4 * pg);
	q = mmap(p + pg, pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	expect_true("MAP_FIXED at the address", q == p + pg);
	expect_true("MAP_FIXED page replaced (zero)", all_bytes(p + pg, 0, pg));
	expect_true("MAP_FIXED neighbours kept",
		    all_bytes(p, 'x', pg) &&
			    all_bytes(p + 2 * pg, 'x', 2 * pg));
	q = mmap(p + 2 * pg, pg, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	expect_err("MAP_FIXED_NOREPLACE over a mapping", mmap_err(q), EEXIST);
	expect_true("NOREPLACE left data", all_bytes(p + 2 * pg, 'x', pg));
	munmap(p + 3 * pg, pg);
	q = mmap(p + 3 * pg, pg, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	expect_true("MAP_FIXED_NOREPLACE in a hole", q == p + 3 * pg);
	expect_str("NOREPLACE page perms", perms_of(p + 3 * pg), "r--p");
	expect_err(
		"MAP_FIXED unaligned",
		mmap_err(mmap(p + 1, pg, PROT_READ,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)),
		EINVAL);

	hint = free_range(2 * pg);
	q = mmap(hint, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	expect_true("free hint honoured", q == hint);
	q[0] = 1;
	p[0] = 'y';
	{
		char *r = mmap(p, pg, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		expect_true("busy hint: placed elsewhere",
			    r != MAP_FAILED && r != p);
		expect_true("busy hint: old data intact", p[0] == 'y');
		munmap(r, pg);
	}
	munmap(q, 2 * pg);
	munmap(p, 4 * pg);

	expect_err("mmap len 0",
		   mmap_err(mmap(NULL, 0, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)),
		   EINVAL);
	expect_err("mmap neither private nor shared",
		   mmap_err(mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0)),
		   EINVAL);
	expect_err("mmap huge length",
		   mmap_err(mmap(NULL, (size_t)1 << 62, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)),
		   ENOMEM);
}

static void check_mprotect(void)
{
	char *p = map_anon(3 * pg, PROT_READ | PROT_WRITE);

	p[0] = 'k';
	expect_err("mprotect READ", mprotect(p, 3 * pg, PROT_READ), 0);
	expect_str("perms after READ", perms_of(p + pg), "r--p");
	expect_true("data readable after READ", p[0] == 'k');
	expect_err("mprotect NONE", mprotect(p, 3 * pg, PROT_NONE), 0);
	expect_str("perms after NONE", perms_of(p), "---p");
	expect_err("mprotect READ|EXEC",
		   mprotect(p, 3 * pg, PROT_READ | PROT_EXEC), 0);
	expect_str("perms after READ|EXEC", perms_of(p + 2 * pg), "r-xp");
	expect_err("mprotect middle RW",
		   mprotect(p + pg, pg, PROT_READ | PROT_WRITE), 0);
	expect_str("split: first", perms_of(p), "r-xp");
	expect_str("split: middle", perms_of(p + pg), "rw-p");
	expect_str("split: last", perms_of(p + 2 * pg), "r-xp");
	p[pg] = 'm';
	expect_true("middle writable", p[pg] == 'm' && p[0] == 'k');
	/* raw: musl's mprotect() rounds the address down itself */
	expect_err("mprotect unaligned",
		   syscall(SYS_mprotect, p + 1, pg, PROT_READ), EINVAL);
	expect_err("mprotect bad prot", mprotect(p, pg, 0x100), EINVAL);
	munmap(p, 3 * pg);
	expect_err("mprotect unmapped", mprotect(p, pg, PROT_READ), ENOMEM);

	expect_str("mincore after munmap", resident(p, 1), "ENOMEM");
	expect_err("mincore unaligned",
		   mincore(p + 1, pg, (unsigned char[1]){0}), EINVAL);
	expect_err("munmap unaligned", munmap(p + 1, pg), EINVAL);
	expect_err("munmap len 0", munmap(p, 0), EINVAL);
	expect_err("munmap unmapped range", munmap(p, pg), 0);
	p = map_anon(3 * pg, PROT_READ | PROT_WRITE);
	expect_err("munmap middle page", munmap(p + pg, pg), 0);
	expect_str("hole in the middle", resident(p + pg, 1), "ENOMEM");
	expect_str("mincore across the hole", resident(p, 3), "ENOMEM");
	expect_str("first page still mapped", perms_of(p), "rw-p");
	expect_str("last page still mapped", perms_of(p + 2 * pg), "rw-p");
	munmap(p, 3 * pg);
}

static void check_mremap(void)
{
	char *p, *q, *r, *t;

	/* grow in place: two pages at the start of an 8-page hole */
	r = free_range(8 * pg);
	p = mmap(r, 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	expect_true("placed in a hole", p == r);
	memset(p, 'g', 2 * pg);
	q = mremap(p, 2 * pg, 4 * pg, 0);
	expect_true("mremap grow in place", q == p);
	expect_true("grown: data kept", all_bytes(p, 'g', 2 * pg));
	expect_true("grown: new pages zero", all_bytes(p + 2 * pg, 0, 2 * pg));
	expect_str("grown: new pages mapped", perms_of(p + 3 * pg), "rw-p");

	/* blocked by another mapping: fails in place, moves with MAYMOVE */
	t = mmap(p + 4 * pg, pg, PROT_READ,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	expect_true("blocker placed", t == p + 4 * pg);
	expect_err("mremap grow blocked",
		   mmap_err(mremap(p, 4 * pg, 6 * pg, 0)), ENOMEM);
	memset(p, 'h', 4 * pg);
	q = mremap(p, 4 * pg, 6 * pg, MREMAP_MAYMOVE);
	expect_true("MREMAP_MAYMOVE moved", q != MAP_FAILED && q != p);
	expect_true("moved: data kept", all_bytes(q, 'h', 4 * pg));
	expect_true("moved: tail zero", all_bytes(q + 4 * pg, 0, 2 * pg));
	expect_str("moved: old range unmapped", resident(p, 1), "ENOMEM");
	expect_str("moved: blocker kept", perms_of(t), "r--p");
	munmap(t, pg);

	/* MREMAP_FIXED onto a range we reserve (and mremap replaces) */
	r = map_anon(3 * pg, PROT_NONE);
	t = mremap(q, 6 * pg, 3 * pg, MREMAP_MAYMOVE | MREMAP_FIXED, r);
	expect_true("MREMAP_FIXED at the target", t == r);
	expect_true("fixed: data kept", all_bytes(r, 'h', 3 * pg));
	expect_str("fixed: prot follows the source", perms_of(r), "rw-p");
	expect_str("fixed: old range unmapped", resident(q, 1), "ENOMEM");
	expect_err("MREMAP_FIXED without MAYMOVE",
		   mmap_err(mremap(r, pg, pg, MREMAP_FIXED, q)), EINVAL);
	expect_err("mremap unaligned", mmap_err(mremap(r + 1, pg, pg, 0)),
		   EINVAL);
	expect_err("mremap bad flags", mmap_err(mremap(r, pg, pg, 0x40)),
		   EINVAL);
	expect_err("mremap new size 0", mmap_err(mremap(r, pg, 0, 0)), EINVAL);

	/* shrink in place */
	t = mremap(r, 3 * pg, pg, 0);
	expect_true("mremap shrink in place", t == r);
	expect_true("shrunk: data kept", all_bytes(r, 'h', pg));
	expect_str("shrunk: tail unmapped", resident(r + pg, 1), "ENOMEM");
	munmap(r, pg);
	expect_err("mremap unmapped", mmap_err(mremap(r, pg, 2 * pg, 0)),
		   EFAULT);
}

static void check_brk(void)
{
	char *base = (char *)syscall(SYS_brk, 0), *cur;
	long up = 16 * pg;

	expect_true("brk(0) non-zero", base != NULL);
	cur = (char *)syscall(SYS_brk, base + up);
	expect_true("brk grow", cur == base + up);
	memset(base, 'b', up);
	expect_str("brk area perms", perms_of(base + up - 1), "rw-p");
	expect_true("brk(0) reports the new break",
		    (char *)syscall(SYS_brk, 0) == base + up);
	cur = (char *)syscall(SYS_brk, base + pg);
	expect_true("brk shrink", cur == base + pg);
	expect_true("shrunk: data kept", all_bytes(base, 'b', pg));
	expect_str("shrunk: tail unmapped", resident(base + 2 * pg, 1),
		   "ENOMEM");
	cur = (char *)syscall(SYS_brk, base + 4 * pg);
	expect_true("brk regrow", cur == base + 4 * pg);
	expect_true("regrown: data kept", all_bytes(base, 'b', pg));
	expect_true("regrown: fresh pages zero",
		    all_bytes(base + 2 * pg, 0, 2 * pg));
	cur = (char *)syscall(SYS_brk, 1);
	expect_true("brk too low refused (returns current)",
		    cur == base + 4 * pg);
	cur = (char *)syscall(SYS_brk, base);
	expect_true("brk back to start", cur == base);
}

int main(void)
{
	e2e_init();
	pg = (size_t)sysconf(_SC_PAGESIZE);
	expect_long("page size", (long)pg, 4096);
	must("chdir tmp", chdir(e2e_tmpdir()));
	check_anon();
	check_file();
	check_devzero();
	check_fixed_and_hints();
	check_mprotect();
	check_mremap();
	check_brk();
	return e2e_done();
}
