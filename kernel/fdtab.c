/* fdtab.c - per-process file descriptor tables */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/kmalloc.h"
#include "kernel/vfs.h"

#define FDTAB_MAX (1u << 20) /* Linux's fs.nr_open default */

struct fdtab *fdtab_new(void)
{
	struct fdtab *t = kcalloc(1, sizeof(*t));

	if (!t)
		return NULL;
	spin_init(&t->lock);
	t->refs = 1;
	return t;
}

/* grow to hold fd @fd; lock held. 0 or -ENOMEM */
static int grow(struct fdtab *t, unsigned fd)
{
	unsigned cap = t->cap ? t->cap : 64;
	struct file **files;
	unsigned char *ce;

	if (fd < t->cap)
		return 0;
	while (cap <= fd)
		cap *= 2;
	files = krealloc(t->files, cap * sizeof(*files));
	if (!files)
		return -ENOMEM;
	t->files = files;
	ce = krealloc(t->cloexec, cap);
	if (!ce)
		return -ENOMEM;
	t->cloexec = ce;
	memset(t->files + t->cap, 0, (cap - t->cap) * sizeof(*files));
	memset(t->cloexec + t->cap, 0, cap - t->cap);
	t->cap = cap;
	return 0;
}

struct fdtab *fdtab_dup(struct fdtab *t)
{
	struct fdtab *n = fdtab_new();

	if (!n)
		return NULL;
	spin_lock(&t->lock);
	if (t->cap && grow(n, t->cap - 1) < 0) {
		spin_unlock(&t->lock);
		fdtab_put(n);
		return NULL;
	}
	for (unsigned i = 0; i < t->cap; i++) {
		if (t->files[i])
			n->files[i] = file_get(t->files[i]);
		n->cloexec[i] = t->cloexec[i];
	}
	spin_unlock(&t->lock);
	return n;
}

void fdtab_put(struct fdtab *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (unsigned i = 0; i < t->cap; i++)
		file_put(t->files[i]);
	kfree(t->files);
	kfree(t->cloexec);
	kfree(t);
}

int fdtab_install(struct fdtab *t, struct file *f, int minfd, bool cloexec,
		  unsigned limit)
{
	unsigned fd;

	if (minfd < 0)
		return -EINVAL;
	if (limit > FDTAB_MAX)
		limit = FDTAB_MAX;
	spin_lock(&t->lock);
	for (fd = (unsigned)minfd; fd < t->cap && t->files[fd]; fd++)
		;
	if (fd >= limit) {
		spin_unlock(&t->lock);
		return -EMFILE;
	}
	if (grow(t, fd) < 0) {
		spin_unlock(&t->lock);
		return -ENOMEM;
	}
	t->files[fd] = f;
	t->cloexec[fd] = cloexec;
	spin_unlock(&t->lock);
	return (int)fd;
}

int fdtab_install_at(struct fdtab *t, struct file *f, int fd, bool cloexec,
		     unsigned limit)
{
	struct file *old;

	if (fd < 0 || (unsigned)fd >= limit || (unsigned)fd >= FDTAB_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	if (grow(t, (unsigned)fd) < 0) {
		spin_unlock(&t->lock);
		return -ENOMEM;
	}
	old = t->files[fd];
	t->files[fd] = f;
	t->cloexec[fd] = cloexec;
	spin_unlock(&t->lock);
	file_put(old);
	return fd;
}

struct file *fdtab_get(struct fdtab *t, int fd)
{
	struct file *f = NULL;

	spin_lock(&t->lock);
	if (fd >= 0 && (unsigned)fd < t->cap && t->files[fd])
		f = file_get(t->files[fd]);
	spin_unlock(&t->lock);
	return f;
}

struct fd fdget(struct fdtab *t, int fd, bool sole_user)
{
	struct fd r = {NULL, false};

	if (sole_user && __atomic_load_n(&t->refs, __ATOMIC_RELAXED) == 1) {
		/* other processes (procfs) only read the table, under lock */
		if (fd >= 0 && (unsigned)fd < t->cap) {
			r.file = __atomic_load_n(&t->files[fd],
						 __ATOMIC_ACQUIRE);
			r.borrowed = true;
		}
		return r;
	}
	r.file = fdtab_get(t, fd);
	return r;
}

int fdtab_close(struct fdtab *t, int fd)
{
	struct file *f;

	spin_lock(&t->lock);
	if (fd < 0 || (unsigned)fd >= t->cap || !t->files[fd]) {
		spin_unlock(&t->lock);
		return -EBADF;
	}
	f = t->files[fd];
	t->files[fd] = NULL;
	t->cloexec[fd] = 0;
	spin_unlock(&t->lock);
	file_put(f);
	return 0;
}

int fdtab_close_range(struct fdtab *t, unsigned lo, unsigned hi,
		      bool cloexec_only)
{
	for (;;) {
		struct file *f = NULL;

		spin_lock(&t->lock);
		for (; lo < t->cap && lo <= hi; lo++) {
			if (!t->files[lo])
				continue;
			if (cloexec_only) {
				t->cloexec[lo] = 1;
				continue;
			}
			f = t->files[lo];
			t->files[lo] = NULL;
			t->cloexec[lo] = 0;
			break;
		}
		spin_unlock(&t->lock);
		if (!f)
			return 0;
		/* drop each file outside the lock: release may be slow */
		file_put(f);
	}
}

void fdtab_close_on_exec(struct fdtab *t)
{
	for (unsigned fd = 0;; fd++) {
		struct file *f = NULL;

		spin_lock(&t->lock);
		for (; fd < t->cap; fd++) {
			if (t->files[fd] && t->cloexec[fd]) {
				f = t->files[fd];
				t->files[fd] = NULL;
				t->cloexec[fd] = 0;
				break;
			}
		}
		spin_unlock(&t->lock);
		if (!f)
			return;
		file_put(f);
	}
}

int fdtab_get_cloexec(struct fdtab *t, int fd)
{
	int r = -EBADF;

	spin_lock(&t->lock);
	if (fd >= 0 && (unsigned)fd < t->cap && t->files[fd])
		r = t->cloexec[fd];
	spin_unlock(&t->lock);
	return r;
}

int fdtab_set_cloexec(struct fdtab *t, int fd, bool on)
{
	int r = -EBADF;

	spin_lock(&t->lock);
	if (fd >= 0 && (unsigned)fd < t->cap && t->files[fd]) {
		t->cloexec[fd] = on;
		r = 0;
	}
	spin_unlock(&t->lock);
	return r;
}

int fdtab_count_open(struct fdtab *t)
{
	int hi = 0;

	spin_lock(&t->lock);
	for (unsigned i = 0; i < t->cap; i++) {
		if (t->files[i])
			hi = (int)i + 1;
	}
	spin_unlock(&t->lock);
	return hi;
}
