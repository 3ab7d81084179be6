/* procfs.c - /proc: per-process files synthesized, system files from the host */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "base/host.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/procfs.h"
#include "kernel/vfs.h"
#include "mm/usercopy.h"

/*
 * A path below /proc is parsed into a target: the root, a process (or
 * one of its threads under task/), and an entry of that process. Entries
 * that are files get their whole content generated at open (a snapshot,
 * as Linux's seq files give for small reads); directories get their list
 * of names at open.
 */

enum pentry {
	PE_NONE,
	PE_ROOT, /* /proc */
	PE_SELF, /* /proc/self -> <pid> */
	PE_THREAD_SELF, /* /proc/thread-self -> <pid>/task/<tid> */
	PE_PIDDIR, /* /proc/<pid> or /proc/<pid>/task/<tid> */
	PE_TASKDIR, /* /proc/<pid>/task */
	PE_FDDIR, /* /proc/<pid>/fd */
	PE_FD, /* /proc/<pid>/fd/<n> -> the file */
	PE_FDINFODIR,
	PE_FDINFO,
	PE_EXE,
	PE_CWD,
	PE_ROOTLINK,
	PE_FILE, /* a generated file, see files[] */
	PE_HOST, /* /proc/<not a pid>...: the host's file */
};

struct ptarget {
	enum pentry kind;
	struct proc *p;
	struct thread *t; /* for task/<tid>, else NULL */
	int fd;
	int file; /* index in files[] */
	const char *host_rel; /* PE_HOST: path below /proc */
};

typedef int (*gen_fn)(struct proc *p, struct thread *t, struct pbuf *b);

static int gen_maps(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_status(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_stat(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_statm(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_cmdline(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_environ(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_auxv(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_comm(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_limits(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_mountinfo(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_mounts(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_cgroup(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_zero(struct proc *p, struct thread *t, struct pbuf *b);
static int gen_loginuid(struct proc *p, struct thread *t, struct pbuf *b);

static const struct {
	const char *name;
	gen_fn gen;
	unsigned mode;
} files[] = {
	{"maps", gen_maps, 0444},	  {"status", gen_status, 0444},
	{"stat", gen_stat, 0444},	  {"statm", gen_statm, 0444},
	{"cmdline", gen_cmdline, 0444},	  {"environ", gen_environ, 0400},
	{"auxv", gen_auxv, 0400},	  {"comm", gen_comm, 0644},
	{"limits", gen_limits, 0444},	  {"mountinfo", gen_mountinfo, 0444},
	{"mounts", gen_mounts, 0444},	  {"cgroup", gen_cgroup, 0444},
	{"oom_score", gen_zero, 0444},	  {"oom_score_adj", gen_zero, 0644},
	{"loginuid", gen_loginuid, 0644},
};

#define NFILES (int)(sizeof(files) / sizeof(*files))

/* names in a process directory, with their d_type */
static const struct {
	const char *name;
	unsigned char type;
} pid_links_dirs[] = {
	{"exe", DT_LNK}, {"cwd", DT_LNK},    {"root", DT_LNK},
	{"fd", DT_DIR},	 {"fdinfo", DT_DIR}, {"task", DT_DIR},
};

/* ---- text buffers ---- */

int pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = kvsnprintf(b->data ? b->data + b->len : NULL, room, fmt,
			       ap);
		va_end(ap);
		if (n < 0)
			return -EINVAL;
		if ((size_t)n < room) {
			b->len += (size_t)n;
			return 0;
		}
		if (pbuf_reserve(b, (size_t)n + 1) < 0)
			return -ENOMEM;
	}
}

int pbuf_reserve(struct pbuf *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *d;

	while (cap < b->len + more)
		cap *= 2;
	if (cap == b->cap)
		return 0;
	d = krealloc(b->data, cap);
	if (!d)
		return -ENOMEM;
	b->data = d;
	b->cap = cap;
	return 0;
}

int pbuf_append(struct pbuf *b, const void *p, size_t n)
{
	if (pbuf_reserve(b, n + 1) < 0)
		return -ENOMEM;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

/* ---- parsing ---- */

static bool parse_num(const char *s, size_t n, int *out)
{
	long v = 0;

	if (n == 0 || n > 9 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = (int)v;
	return true;
}

/* next path component of *s: returns its length, advances *s */
static size_t next_comp(const char **s, const char **comp)
{
	const char *p = *s;
	size_t n;

	while (*p == '/')
		p++;
	*comp = p;
	n = strcspn(p, "/");
	*s = p + n;
	return n;
}

static bool comp_is(const char *c, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(c, name, n) == 0;
}

/*
 * parse - fill @t for @rel (the path below /proc, normalized). Returns 0
 * or -ENOENT. @follow resolves /proc/self (always, as a path prefix).
 */
static int parse(const char *rel, struct ptarget *t)
{
	const char *s = rel, *c;
	size_t n;
	int id;

	memset(t, 0, sizeof(*t));
	n = next_comp(&s, &c);
	if (n == 0) {
		t->kind = PE_ROOT;
		return 0;
	}
	if (comp_is(c, n, "self") || comp_is(c, n, "thread-self")) {
		bool ts = n == 11;
		const char *save = s;

		t->p = current_proc();
		if (ts)
			t->t = current_thread();
		if (next_comp(&save, &c) == 0) {
			t->kind = ts ? PE_THREAD_SELF : PE_SELF;
			return 0;
		}
	} else if (parse_num(c, n, &id)) {
		t->p = proc_find(id);
		if (!t->p)
			return -ENOENT;
	} else {
		t->kind = PE_HOST;
		t->host_rel = rel;
		return 0;
	}

	n = next_comp(&s, &c);
	if (n == 0) {
		t->kind = PE_PIDDIR;
		return 0;
	}
	if (comp_is(c, n, "task") && !t->t) {
		n = next_comp(&s, &c);
		if (n == 0) {
			t->kind = PE_TASKDIR;
			return 0;
		}
		if (!parse_num(c, n, &id))
			return -ENOENT;
		t->t = thread_find(id);
		if (!t->t || t->t->proc != t->p)
			return -ENOENT;
		n = next_comp(&s, &c);
		if (n == 0) {
			t->kind = PE_PIDDIR;
			return 0;
		}
	}
	if (comp_is(c, n, "fd") || comp_is(c, n, "fdinfo")) {
		bool info = n == 6;

		n = next_comp(&s, &c);
		if (n == 0) {
			t->kind = info ? PE_FDINFODIR : PE_FDDIR;
			return 0;
		}
		if (!parse_num(c, n, &t->fd))
			return -ENOENT;
		{
			struct file *f = fdtab_get(t->p->fdt, t->fd);

			if (!f)
				return -ENOENT;
			file_put(f);
		}
		t->kind = info ? PE_FDINFO : PE_FD;
		return *s && next_comp(&s, &c) ? -ENOTDIR : 0;
	}
	if (comp_is(c, n, "exe"))
		t->kind = PE_EXE;
	else if (comp_is(c, n, "cwd"))
		t->kind = PE_CWD;
	else if (comp_is(c, n, "root"))
		t->kind = PE_ROOTLINK;
	else {
		for (int i = 0; i < NFILES; i++) {
			if (comp_is(c, n, files[i].name)) {
				t->kind = PE_FILE;
				t->file = i;
			}
		}
		if (t->kind != PE_FILE)
			return -ENOENT;
	}
	/* exe/cwd/root followed by more: the link's target tree */
	if (*s && next_comp(&s, &c)) {
		if (t->kind == PE_FILE)
			return -ENOTDIR;
		return -ENOENT; /* not supported through the link */
	}
	return 0;
}

static bool is_link(enum pentry k)
{
	return k == PE_SELF || k == PE_THREAD_SELF || k == PE_FD ||
	       k == PE_EXE || k == PE_CWD || k == PE_ROOTLINK;
}

static bool is_dir(enum pentry k)
{
	return k == PE_ROOT || k == PE_PIDDIR || k == PE_TASKDIR ||
	       k == PE_FDDIR || k == PE_FDINFODIR;
}

/* the text of a link of ours; length or -errno */
static long link_text(const struct ptarget *t, char *buf, size_t n)
{
	int len;

	switch (t->kind) {
	case PE_SELF:
		len = ksnprintf(buf, n, "%d", t->p->pid);
		break;
	case PE_THREAD_SELF:
		len = ksnprintf(buf, n, "%d/task/%d", t->p->pid, t->t->tid);
		break;
	case PE_EXE:
		len = ksnprintf(buf, n, "%s", t->p->exe);
		break;
	case PE_CWD:
		len = ksnprintf(buf, n, "%s", t->p->fs.cwd_path);
		break;
	case PE_ROOTLINK:
		len = ksnprintf(buf, n, "/");
		break;
	case PE_FD: {
		struct file *f = fdtab_get(t->p->fdt, t->fd);
		long r;

		if (!f)
			return -ENOENT;
		r = file_dpath(f, buf, n);
		file_put(f);
		return r;
	}
	default:
		return -EINVAL;
	}
	if (len < 0 || (size_t)len >= n)
		return -ENAMETOOLONG;
	return len;
}

/* ---- magic links in the middle of a path ---- */

/* @a followed by @b into @out of size @n; 0 or -ENAMETOOLONG */
static int join2(char *out, size_t n, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la + lb + 1 > n)
		return -ENAMETOOLONG;
	memcpy(out, a, la);
	memcpy(out + la, b, lb + 1);
	return 0;
}

int procfs_magic(struct nameidata *nd, unsigned lookup, int depth)
{
	const char *s = nd->rel, *c, *rest;
	struct proc *p;
	struct file *f = NULL;
	char target[PATH_MAX];
	size_t n;
	int id, fd = -1, r;
	bool last;

	if (depth > 8)
		return -ELOOP;
	n = next_comp(&s, &c);
	if (comp_is(c, n, "self")) {
		p = current_proc();
	} else if (comp_is(c, n, "thread-self")) {
		/* <pid>/task/<tid>/...: not followed through (rarely used) */
		return 0;
	} else if (parse_num(c, n, &id)) {
		p = proc_find(id);
		if (!p)
			return 0; /* procfs says ENOENT */
	} else {
		return 0;
	}
	n = next_comp(&s, &c);
	if (comp_is(c, n, "task")) {
		if (!next_comp(&s, &c) || !parse_num(c, strcspn(c, "/"), &id))
			return 0;
		n = next_comp(&s, &c);
	}
	if (comp_is(c, n, "fd")) {
		n = next_comp(&s, &c);
		if (!parse_num(c, n, &fd))
			return 0;
	} else if (!comp_is(c, n, "cwd") && !comp_is(c, n, "exe") &&
		   !comp_is(c, n, "root")) {
		return 0;
	}
	rest = s;
	last = strspn(rest, "/") == strlen(rest);
	if (last && !(lookup & LOOKUP_FOLLOW))
		return 0;

	if (fd >= 0)
		f = fdtab_get(p->fdt, fd);
	else if (comp_is(c, n, "cwd"))
		f = file_get(p->fs.cwd);
	if (fd >= 0 && !f)
		return 0; /* no such fd: procfs says ENOENT */

	if (f && f->host_fd >= 0) {
		/* the host follows its own magic link to the same file */
		char phys[PATH_MAX];

		r = ksnprintf(nd->hostbuf, sizeof(nd->hostbuf),
			      "/proc/self/fd/%d%s", f->host_fd, rest);
		if (file_dpath(f, phys, sizeof(phys)) > 0 && phys[0] == '/' &&
		    join2(target, sizeof(target), phys, rest) == 0)
			path_normalize("/", target, nd->abs, sizeof(nd->abs));
		file_put(f);
		if (r < 0 || (size_t)r >= sizeof(nd->hostbuf))
			return -ENAMETOOLONG;
		nd->fs = FS_HOST;
		nd->rel = NULL;
		nd->host_dirfd = AT_FDCWD;
		nd->host_path = nd->hostbuf;
		return 0;
	}
	if (f) {
		/* one of ours with a path: resolve that path instead */
		if (!f->path || f->fs == FS_ANON) {
			file_put(f);
			return last ? 0 : -ENOTDIR;
		}
		r = join2(target, sizeof(target), f->path, rest);
		file_put(f);
	} else if (comp_is(c, n, "exe")) {
		r = join2(target, sizeof(target), p->exe, rest);
	} else {
		r = join2(target, sizeof(target), "/", rest);
	}
	if (r < 0)
		return r;
	r = path_normalize("/", target, nd->abs, sizeof(nd->abs));
	if (r < 0)
		return r;
	return vfs_classify(nd, lookup, depth + 1);
}

/* ---- directory listings: records of type byte, ino (8), name, NUL ---- */

static int dir_add(struct pbuf *b, const char *name, unsigned char type,
		   uint64_t ino)
{
	if (pbuf_append(b, &type, 1) || pbuf_append(b, &ino, 8) ||
	    pbuf_append(b, name, strlen(name) + 1))
		return -ENOMEM;
	return 0;
}

static uint64_t ino_of(int pid, int what)
{
	return ((uint64_t)(unsigned)pid << 16) | (uint64_t)(what & 0xffff) |
	       (1ull << 48);
}

static int list_dir(const struct ptarget *t, struct pbuf *b)
{
	char num[16];
	int r = 0;

	dir_add(b, ".", DT_DIR, 1);
	dir_add(b, "..", DT_DIR, 1);
	switch (t->kind) {
	case PE_ROOT: {
		char hb[4096];
		long fd, n;

		r = procfs_list_pids(b);
		dir_add(b, "self", DT_LNK, 2);
		dir_add(b, "thread-self", DT_LNK, 3);
		/* the host's system entries: everything not a number */
		fd = host_openat(AT_FDCWD, "/proc",
				 O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (fd < 0)
			break;
		while ((n = host_getdents64((int)fd, hb, sizeof(hb))) > 0) {
			for (long off = 0; off < n;) {
				struct dirent64 *d = (void *)(hb + off);

				off += d->d_reclen;
				if ((d->d_name[0] >= '0' &&
				     d->d_name[0] <= '9') ||
				    !strcmp(d->d_name, ".") ||
				    !strcmp(d->d_name, "..") ||
				    !strcmp(d->d_name, "self") ||
				    !strcmp(d->d_name, "thread-self"))
					continue;
				dir_add(b, d->d_name, d->d_type, d->d_ino);
			}
		}
		host_close((int)fd);
		break;
	}
	case PE_PIDDIR:
		for (unsigned i = 0;
		     i < sizeof(pid_links_dirs) / sizeof(*pid_links_dirs);
		     i++) {
			if (t->t && !strcmp(pid_links_dirs[i].name, "task"))
				continue;
			dir_add(b, pid_links_dirs[i].name,
				pid_links_dirs[i].type,
				ino_of(t->p->pid, 100 + i));
		}
		for (int i = 0; i < NFILES; i++)
			dir_add(b, files[i].name, DT_REG,
				ino_of(t->p->pid, 200 + i));
		break;
	case PE_TASKDIR:
		r = procfs_list_tids(t->p, b);
		break;
	case PE_FDDIR:
	case PE_FDINFODIR: {
		int max = fdtab_count_open(t->p->fdt);

		for (int fd = 0; fd < max; fd++) {
			struct file *f = fdtab_get(t->p->fdt, fd);

			if (!f)
				continue;
			file_put(f);
			ksnprintf(num, sizeof(num), "%d", fd);
			dir_add(b, num, t->kind == PE_FDDIR ? DT_LNK : DT_REG,
				ino_of(t->p->pid, 1000 + fd));
		}
		break;
	}
	default:
		return -ENOTDIR;
	}
	return r;
}

int procfs_dir_add(struct pbuf *b, const char *name, unsigned char type,
		   uint64_t ino)
{
	return dir_add(b, name, type, ino);
}

/* an open /proc directory: what it lists, and the listing once built */
struct pdir {
	struct ptarget t;
	int pid; /* the process listed, to notice it is gone */
	struct pbuf names; /* built at the first read and after a rewind */
	bool built;
};

static long pdir_getdents64(struct file *f, void *ubuf, size_t n)
{
	struct pdir *pd = f->priv;
	struct pbuf *b = &pd->names;
	size_t done = 0;

	/* Linux lists at read time: fds opened since, the dir's own too */
	if (!pd->built) {
		int r;

		if (pd->pid && !(pd->t.p = proc_find(pd->pid)))
			return -ENOENT;
		b->len = 0;
		r = list_dir(&pd->t, b);
		if (r < 0)
			return r;
		pd->built = true;
	}
	spin_lock(&f->lock);
	while ((size_t)f->pos < b->len) {
		const char *rec = b->data + f->pos;
		unsigned char type = (unsigned char)rec[0];
		uint64_t ino;
		const char *name = rec + 9;
		size_t nlen = strlen(name);
		size_t reclen = (19 + nlen + 1 + 7) & ~(size_t)7;
		char out[512];
		struct dirent64 *d = (void *)out;

		memcpy(&ino, rec + 1, 8);
		if (reclen > sizeof(out))
			break;
		if (done + reclen > n) {
			if (done == 0) {
				spin_unlock(&f->lock);
				return -EINVAL;
			}
			break;
		}
		memset(out, 0, reclen);
		d->d_ino = ino;
		d->d_off = f->pos + 9 + (off_t)nlen + 1;
		d->d_reclen = (unsigned short)reclen;
		d->d_type = type;
		memcpy(d->d_name, name, nlen + 1);
		if (copy_to_user((char *)ubuf + done, out, reclen)) {
			spin_unlock(&f->lock);
			return -EFAULT;
		}
		done += reclen;
		f->pos = d->d_off;
	}
	spin_unlock(&f->lock);
	return (long)done;
}

static long pdir_lseek(struct file *f, off_t off, int whence)
{
	struct pdir *pd = f->priv;

	if (whence != SEEK_SET || off < 0)
		return -EINVAL;
	spin_lock(&f->lock);
	f->pos = off;
	if (off == 0)
		pd->built = false; /* rewinddir: list afresh */
	spin_unlock(&f->lock);
	return off;
}

static void pdir_release(struct file *f)
{
	struct pdir *pd = f->priv;

	if (pd) {
		kfree(pd->names.data);
		kfree(pd);
	}
}

/* ---- stat ---- */

static uint64_t proc_dev(void)
{
	static uint64_t dev;
	struct stat st;

	if (!dev && host_newfstatat(AT_FDCWD, "/proc", &st, 0) == 0)
		dev = st.st_dev;
	return dev;
}

static void fill_stat(const struct ptarget *t, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = proc_dev();
	st->st_blksize = 1024;
	if (t->p) {
		uint64_t ns = t->p->start_time_ns;

		st->st_uid = t->p->cred.euid;
		st->st_gid = t->p->cred.egid;
		st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
			(time_t)(kernel_realtime_at(ns) / 1000000000ull);
	}
	if (is_dir(t->kind)) {
		st->st_mode = S_IFDIR | 0555;
		st->st_nlink = 2;
	} else if (is_link(t->kind)) {
		st->st_mode = S_IFLNK | 0777;
		st->st_nlink = 1;
	} else if (t->kind == PE_FILE) {
		st->st_mode = S_IFREG | files[t->file].mode;
		st->st_nlink = 1;
	} else {
		st->st_mode = S_IFREG | 0400;
		st->st_nlink = 1;
	}
	st->st_ino =
		t->p ? ino_of(t->p->pid, (int)t->kind * 64 + t->file + t->fd)
		     : (uint64_t)t->kind;
}

static long host_path_of(const struct ptarget *t, char *buf, size_t n)
{
	int len = ksnprintf(buf, n, "/proc%s", t->host_rel);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* follow a link of ours: resolve its target through the VFS again */
static long follow(struct nameidata *nd, const struct ptarget *t)
{
	char target[PATH_MAX];
	long r = link_text(t, target, sizeof(target));
	char base[PATH_MAX];

	if (r < 0)
		return r;
	/* relative targets (self -> 1) are relative to /proc */
	ksnprintf(base, sizeof(base), "%s", nd->abs);
	{
		char *slash = strrchr(base, '/');

		if (slash)
			*(slash == base ? slash + 1 : slash) = '\0';
	}
	r = path_normalize(base, target, nd->abs, sizeof(nd->abs));
	if (r < 0)
		return r;
	if (path_under(nd->abs, "/proc")) {
		nd->fs = FS_PROC;
		nd->rel = nd->abs + 5;
	} else if (path_under(nd->abs, "/dev") && devfs_owns(nd->abs + 4)) {
		nd->fs = FS_DEV;
		nd->rel = nd->abs + 4;
	} else {
		nd->fs = FS_HOST;
		nd->host_dirfd = AT_FDCWD;
		nd->host_path = nd->abs;
	}
	return 0;
}

long procfs_stat(struct nameidata *nd, bool followlinks, struct stat *kst)
{
	struct ptarget t;
	int r = parse(nd->rel, &t);

	if (r < 0)
		return r;
	if (t.kind == PE_HOST) {
		char hp[PATH_MAX];

		if (host_path_of(&t, hp, sizeof(hp)) < 0)
			return -ENAMETOOLONG;
		return host_newfstatat(AT_FDCWD, hp, kst,
				       followlinks ? 0 : AT_SYMLINK_NOFOLLOW);
	}
	if (followlinks && is_link(t.kind)) {
		if (t.kind == PE_FD) {
			struct file *f = fdtab_get(t.p->fdt, t.fd);
			long sr;

			if (!f)
				return -ENOENT;
			sr = f->ops->fstat ? f->ops->fstat(f, kst) : -EINVAL;
			file_put(f);
			return sr;
		}
		r = (int)follow(nd, &t);
		return r < 0 ? r : vfs_stat(nd, 0, kst);
	}
	fill_stat(&t, kst);
	return 0;
}

long procfs_readlink(struct nameidata *nd, char *kbuf, size_t n)
{
	struct ptarget t;
	char tmp[PATH_MAX];
	int r = parse(nd->rel, &t);
	long len;

	if (r < 0)
		return r;
	if (t.kind == PE_HOST) {
		if (host_path_of(&t, tmp, sizeof(tmp)) < 0)
			return -ENAMETOOLONG;
		return host_readlinkat(AT_FDCWD, tmp, kbuf, n);
	}
	if (!is_link(t.kind))
		return -EINVAL;
	len = link_text(&t, tmp, sizeof(tmp));
	if (len < 0)
		return len;
	if ((size_t)len > n)
		len = (long)n;
	memcpy(kbuf, tmp, (size_t)len);
	return len;
}

/* ---- open ---- */

static long pfile_fstat(struct file *f, struct stat *kst)
{
	struct nameidata nd;

	if (path_normalize("/", f->path, nd.abs, sizeof(nd.abs)) < 0)
		return -ENAMETOOLONG;
	nd.fs = FS_PROC;
	nd.rel = nd.abs + 5;
	if (procfs_stat(&nd, false, kst) < 0) {
		/* the process is gone; still a file of ours */
		memset(kst, 0, sizeof(*kst));
		kst->st_mode = S_IFREG | 0444;
	}
	if (S_ISREG(kst->st_mode))
		kst->st_size = 0; /* as Linux: sizes of proc files are 0 */
	return 0;
}

static long pfile_write(struct file *f, const void *buf, size_t n, off_t off)
{
	(void)buf;
	(void)off;
	/* comm, oom_score_adj, loginuid: accepted and ignored */
	if ((f->oflags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	return (long)n;
}

static const struct file_ops pfile_ops = {
	.read = membuf_read,
	.write = pfile_write,
	.lseek = membuf_lseek,
	.fstat = pfile_fstat,
	.release = membuf_release,
};

static const struct file_ops pdir_ops = {
	.getdents64 = pdir_getdents64,
	.lseek = pdir_lseek,
	.fstat = pfile_fstat,
	.release = pdir_release,
};

long procfs_open(struct nameidata *nd, int flags, struct file **out)
{
	struct ptarget t;
	struct file *f;
	int acc = flags & O_ACCMODE;
	int r = parse(nd->rel, &t);

	if (r < 0) {
		if (r == -ENOENT && (flags & O_CREAT))
			return -EACCES;
		return r;
	}
	if (t.kind == PE_HOST) {
		char hp[PATH_MAX];
		long fd;

		/* the host's /proc/sys and friends: read only */
		if (acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC)))
			return -EACCES;
		if (host_path_of(&t, hp, sizeof(hp)) < 0)
			return -ENAMETOOLONG;
		fd = host_openat(AT_FDCWD, hp, flags | O_CLOEXEC, 0);
		if (fd < 0)
			return fd;
		f = hostfs_wrap((int)fd,
				(unsigned)flags &
					(O_ACCMODE | O_NONBLOCK | O_PATH),
				nd->abs);
		if (!f) {
			host_close((int)fd);
			return -ENOMEM;
		}
		*out = f;
		return 0;
	}
	if (is_link(t.kind)) {
		if (flags & O_NOFOLLOW) {
			if (!(flags & O_PATH))
				return -ELOOP;
		} else if (t.kind == PE_FD) {
			return procfs_reopen_fd(t.p, t.fd, flags, out);
		} else {
			r = (int)follow(nd, &t);
			return r < 0 ? r : vfs_open(nd, flags, 0, out);
		}
	}
	if (flags & O_CREAT)
		return -EEXIST;
	if (is_dir(t.kind)) {
		struct pdir *pd;

		if (acc != O_RDONLY)
			return -EISDIR;
		pd = kzalloc(sizeof(*pd));
		if (!pd)
			return -ENOMEM;
		pd->t = t;
		pd->pid = t.p ? t.p->pid : 0;
		f = file_alloc(&pdir_ops, FS_PROC,
			       (unsigned)flags & (O_ACCMODE | O_NONBLOCK |
						  O_PATH | O_DIRECTORY),
			       -1, nd->abs);
		if (!f) {
			kfree(pd);
			return -ENOMEM;
		}
		f->fflags |= FILE_DIR;
		f->priv = pd;
		*out = f;
		return 0;
	}
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (acc != O_RDONLY && !(files[t.file].mode & 0200))
		return -EACCES;
	{
		struct pbuf b = {0};
		struct membuf *mb;

		if (t.kind == PE_FDINFO)
			r = procfs_gen_fdinfo(t.p, t.fd, &b);
		else if (t.kind == PE_FILE)
			r = files[t.file].gen(t.p, t.t, &b);
		else
			r = -EINVAL;
		if (r < 0) {
			kfree(b.data);
			return r;
		}
		mb = kmalloc(sizeof(*mb));
		f = file_alloc(&pfile_ops, FS_PROC,
			       (unsigned)flags & (O_ACCMODE | O_NONBLOCK), -1,
			       nd->abs);
		if (!mb || !f) {
			kfree(mb);
			kfree(f);
			kfree(b.data);
			return -ENOMEM;
		}
		mb->data = b.data;
		mb->len = b.len;
		f->priv = mb;
		*out = f;
		return 0;
	}
}

/* ---- generated files ---- */

static int gen_maps(struct proc *p, struct thread *t, struct pbuf *b)
{
	size_t need;

	(void)t;
	need = mm_maps_text(p->mm, NULL, 0);
	if (pbuf_reserve(b, need + 4096) < 0)
		return -ENOMEM;
	/* the map may have grown since: take what fits, then retry once */
	need = mm_maps_text(p->mm, b->data, b->cap);
	if (need > b->cap) {
		if (pbuf_reserve(b, need) < 0)
			return -ENOMEM;
		need = mm_maps_text(p->mm, b->data, b->cap);
	}
	b->len = need < b->cap ? need : b->cap;
	return 0;
}

/* copy [start, end) of the process's memory (cmdline, environ) */
static int gen_user_range(uint64_t start, uint64_t end, struct pbuf *b)
{
	size_t n = end > start ? end - start : 0;

	if (n > (1 << 20))
		n = 1 << 20;
	if (pbuf_reserve(b, n + 1) < 0)
		return -ENOMEM;
	if (n && copy_from_user(b->data, (void *)start, n) < 0)
		n = 0;
	b->len = n;
	return 0;
}

static int gen_cmdline(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)t;
	return gen_user_range(p->mm->arg_start, p->mm->arg_end, b);
}

static int gen_environ(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)t;
	return gen_user_range(p->mm->env_start, p->mm->env_end, b);
}

static int gen_auxv(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)t;
	return pbuf_append(b, p->mm->auxv, p->mm->auxv_words * 8);
}

static int gen_comm(struct proc *p, struct thread *t, struct pbuf *b)
{
	return pbuf_printf(b, "%s\n", t ? t->comm : p->comm);
}

static int gen_zero(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)p;
	(void)t;
	return pbuf_printf(b, "0\n");
}

static int gen_loginuid(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)p;
	(void)t;
	return pbuf_printf(b, "4294967295");
}

static int gen_host_file(const char *path, struct pbuf *b)
{
	long fd = host_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	char buf[4096];
	long n;

	if (fd < 0)
		return (int)fd;
	while ((n = host_read((int)fd, buf, sizeof(buf))) > 0) {
		if (pbuf_append(b, buf, (size_t)n) < 0) {
			host_close((int)fd);
			return -ENOMEM;
		}
	}
	host_close((int)fd);
	return n < 0 ? (int)n : 0;
}

/* the instance's mount table is the host's (one mount namespace) */
static int gen_mountinfo(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)p;
	(void)t;
	return gen_host_file("/proc/self/mountinfo", b);
}

static int gen_mounts(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)p;
	(void)t;
	return gen_host_file("/proc/self/mounts", b);
}

static int gen_cgroup(struct proc *p, struct thread *t, struct pbuf *b)
{
	(void)p;
	(void)t;
	return gen_host_file("/proc/self/cgroup", b);
}

static int gen_limits(struct proc *p, struct thread *t, struct pbuf *b)
{
	static const struct {
		const char *name, *unit;
		int res;
	} lim[] = {
		{"Max cpu time", "seconds", RLIMIT_CPU},
		{"Max file size", "bytes", RLIMIT_FSIZE},
		{"Max data size", "bytes", RLIMIT_DATA},
		{"Max stack size", "bytes", RLIMIT_STACK},
		{"Max core file size", "bytes", RLIMIT_CORE},
		{"Max resident set", "bytes", RLIMIT_RSS},
		{"Max processes", "processes", RLIMIT_NPROC},
		{"Max open files", "files", RLIMIT_NOFILE},
		{"Max locked memory", "bytes", RLIMIT_MEMLOCK},
		{"Max address space", "bytes", RLIMIT_AS},
		{"Max file locks", "locks", RLIMIT_LOCKS},
		{"Max pending signals", "signals", RLIMIT_SIGPENDING},
		{"Max msgqueue size", "bytes", RLIMIT_MSGQUEUE},
		{"Max nice priority", "", RLIMIT_NICE},
		{"Max realtime priority", "", RLIMIT_RTPRIO},
		{"Max realtime timeout", "us", RLIMIT_RTTIME},
	};
	int r = pbuf_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit",
			    "Soft Limit", "Hard Limit", "Units");

	(void)t;
	for (unsigned i = 0; !r && i < sizeof(lim) / sizeof(*lim); i++) {
		const struct rlimit *rl = &p->rlim[lim[i].res];
		char s[24], h[24];

		if (rl->rlim_cur == RLIM_INFINITY)
			ksnprintf(s, sizeof(s), "unlimited");
		else
			ksnprintf(s, sizeof(s), "%llu",
				  (unsigned long long)rl->rlim_cur);
		if (rl->rlim_max == RLIM_INFINITY)
			ksnprintf(h, sizeof(h), "unlimited");
		else
			ksnprintf(h, sizeof(h), "%llu",
				  (unsigned long long)rl->rlim_max);
		r = pbuf_printf(b, "%-25s %-20s %-20s %-10s\n", lim[i].name, s,
				h, lim[i].unit);
	}
	return r;
}

static char state_char(struct proc *p)
{
	return p->state == PROC_RUNNING ? 'R' : 'Z';
}

static int gen_status(struct proc *p, struct thread *t, struct pbuf *b)
{
	struct procfs_mem m;
	uint64_t ign = 0, cgt = 0;
	struct thread *th = t				  ? t
			    : current_thread()->proc == p ? current_thread()
							  : NULL;
	int r;

	procfs_mem_usage(p, &m);
	for (int s = 1; s <= NSIG_LINUX; s++) {
		uint64_t h = p->sigact[s - 1].handler;

		if (h == (uint64_t)SIG_IGN)
			ign |= 1ull << (s - 1);
		else if (h != (uint64_t)SIG_DFL)
			cgt |= 1ull << (s - 1);
	}
	r = pbuf_printf(
		b,
		"Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%d\n"
		"Ngid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n"
		"Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\n"
		"Groups:\t\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n"
		"Kthread:\t0\n"
		"VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmLck:\t%8llu kB\n"
		"VmPin:\t       0 kB\nVmHWM:\t%8llu kB\nVmRSS:\t%8llu kB\n"
		"RssAnon:\t%8llu kB\nRssFile:\t%8llu kB\nRssShmem:\t       0 kB\n"
		"VmData:\t%8llu kB\nVmStk:\t%8llu kB\nVmExe:\t%8llu kB\n"
		"VmLib:\t%8llu kB\nVmPTE:\t%8llu kB\nVmSwap:\t       0 kB\n"
		"HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\n"
		"untag_mask:\t0xffffffffffffffff\n"
		"Threads:\t%d\nSigQ:\t0/%llu\nSigPnd:\t%016llx\nShdPnd:\t%016llx\n"
		"SigBlk:\t%016llx\nSigIgn:\t%016llx\nSigCgt:\t%016llx\n"
		"CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n"
		"CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
		"NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n"
		"Speculation_Store_Bypass:\tthread vulnerable\n"
		"SpeculationIndirectBranch:\tconditional enabled\n"
		"Cpus_allowed:\t%s\nCpus_allowed_list:\t%s\n"
		"Mems_allowed:\t00000001\nMems_allowed_list:\t0\n"
		"voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
		t ? t->comm : p->comm, p->fs.umask, state_char(p),
		p->state == PROC_RUNNING ? "running" : "zombie", p->pid,
		t ? t->tid : p->pid, p->parent ? p->parent->pid : 0,
		p->cred.uid, p->cred.euid, p->cred.suid, p->cred.fsuid,
		p->cred.gid, p->cred.egid, p->cred.sgid, p->cred.fsgid,
		fdtab_count_open(p->fdt) < 64 ? 64 : fdtab_count_open(p->fdt),
		p->pid, t ? t->tid : p->pid, p->pgid, p->sid,
		(unsigned long long)m.vm_kb, (unsigned long long)m.vm_kb,
		(unsigned long long)m.lck_kb, (unsigned long long)m.rss_kb,
		(unsigned long long)m.rss_kb, (unsigned long long)m.anon_kb,
		(unsigned long long)m.file_kb, (unsigned long long)m.data_kb,
		(unsigned long long)m.stack_kb, (unsigned long long)m.exe_kb,
		(unsigned long long)m.lib_kb, (unsigned long long)m.pte_kb,
		p->nr_threads,
		(unsigned long long)p->rlim[RLIMIT_SIGPENDING].rlim_cur,
		(unsigned long long)(th ? th->sig_pending : 0),
		(unsigned long long)p->sig_pending,
		(unsigned long long)(th ? th->sigmask : 0),
		(unsigned long long)ign, (unsigned long long)cgt,
		(unsigned long long)p->cred.cap_inheritable,
		(unsigned long long)p->cred.cap_permitted,
		(unsigned long long)p->cred.cap_effective, procfs_cpus_mask(),
		procfs_cpus_list());
	return r;
}

static int gen_stat(struct proc *p, struct thread *t, struct pbuf *b)
{
	struct procfs_mem m;
	struct mm *mm = p->mm;
	struct thread *who =
		t ? t : list_entry(p->threads.next, struct thread, proc_node);
	uint64_t user, sys;

	procfs_mem_usage(p, &m);
	/* in clock ticks (USER_HZ = 100) */
	if (t) {
		uint64_t total = thread_cpu_ns(t);

		sys = t->ut.sys_ns < total ? t->ut.sys_ns : total;
		user = total - sys;
	} else {
		proc_cpu_ns(p, &user, &sys);
	}
	return pbuf_printf(
		b,
		"%d (%s) %c %d %d %d 0 -1 4194304 0 0 0 0 %llu %llu 0 0 %d %d "
		"%d 0 %llu %llu %llu %llu %llu %llu %llu 0 0 0 0 0 0 0 0 0 17 "
		"0 0 0 0 0 0 %llu %llu %llu %llu %llu %llu %llu 0\n",
		t ? t->tid : p->pid, t ? t->comm : p->comm, state_char(p),
		p->parent ? p->parent->pid : 0, p->pgid, p->sid,
		(unsigned long long)(user / 10000000ull),
		(unsigned long long)(sys / 10000000ull), 20 + who->nice,
		who->nice, p->nr_threads,
		(unsigned long long)(kernel_boottime_at(p->start_time_ns) /
				     10000000ull),
		(unsigned long long)m.vm_kb * 1024,
		(unsigned long long)m.rss_kb / 4,
		(unsigned long long)p->rlim[RLIMIT_RSS].rlim_cur,
		(unsigned long long)mm->start_code,
		(unsigned long long)mm->end_code,
		(unsigned long long)mm->stack_end,
		(unsigned long long)mm->start_data,
		(unsigned long long)mm->end_data,
		(unsigned long long)mm->start_brk,
		(unsigned long long)mm->arg_start,
		(unsigned long long)mm->arg_end,
		(unsigned long long)mm->env_start,
		(unsigned long long)mm->env_end);
}

static int gen_statm(struct proc *p, struct thread *t, struct pbuf *b)
{
	struct procfs_mem m;

	(void)t;
	procfs_mem_usage(p, &m);
	return pbuf_printf(b, "%llu %llu %llu %llu 0 %llu 0\n",
			   (unsigned long long)m.vm_kb / 4,
			   (unsigned long long)m.rss_kb / 4,
			   (unsigned long long)m.file_kb / 4,
			   (unsigned long long)m.exe_kb / 4,
			   (unsigned long long)(m.data_kb + m.stack_kb) / 4);
}
