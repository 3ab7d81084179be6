/* procfs_pid.c - per-process helpers of /proc: fds, memory usage */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "base/fmt.h"
#include "base/host.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/procfs.h"
#include "kernel/vfs.h"

long procfs_reopen_fd(struct proc *p, int fd, int flags, struct file **out)
{
	struct file *f = fdtab_get(p->fdt, fd);
	long r;

	if (!f)
		return -ENOENT;
	if (f->host_fd >= 0) {
		/* the host reopens its own file: a new open file description */
		char link[64];
		long hfd;

		ksnprintf(link, sizeof(link), "/proc/self/fd/%d", f->host_fd);
		hfd = host_openat(AT_FDCWD, link,
				  (flags & ~O_ASYNC) | O_CLOEXEC, 0);
		if (hfd < 0) {
			r = hfd;
		} else {
			char path[PATH_MAX];

			if (file_dpath(f, path, sizeof(path)) < 0)
				path[0] = '\0';
			*out = hostfs_wrap((int)hfd,
					   (unsigned)flags &
						   (O_ACCMODE | O_APPEND |
						    O_NONBLOCK | O_PATH),
					   path[0] == '/' ? path : f->path);
			if (!*out) {
				host_close((int)hfd);
				r = -ENOMEM;
			} else {
				r = 0;
			}
		}
	} else if (f->path && f->fs != FS_ANON) {
		struct nameidata nd;

		if (path_normalize("/", f->path, nd.abs, sizeof(nd.abs)) < 0) {
			r = -ENAMETOOLONG;
		} else if (path_under(nd.abs, "/proc")) {
			nd.fs = FS_PROC;
			nd.rel = nd.abs + 5;
			r = procfs_open(&nd, flags, out);
		} else {
			nd.fs = FS_DEV;
			nd.rel = nd.abs + 4;
			r = devfs_open(&nd, flags, out);
		}
	} else {
		/* pipes and other objects without a path: the same object */
		*out = file_get(f);
		r = 0;
	}
	file_put(f);
	return r;
}

int procfs_gen_fdinfo(struct proc *p, int fd, struct pbuf *b)
{
	struct file *f = fdtab_get(p->fdt, fd);
	long pos = 0;
	int cloexec, r;
	unsigned flags;

	if (!f)
		return -ENOENT;
	if (f->host_fd >= 0) {
		pos = host_lseek(f->host_fd, 0, SEEK_CUR);
		if (pos < 0)
			pos = 0;
		flags = (unsigned)host_fcntl(f->host_fd, F_GETFL, 0);
	} else {
		pos = f->pos;
		flags = f->oflags;
	}
	cloexec = fdtab_get_cloexec(p->fdt, fd);
	if (cloexec > 0)
		flags |= O_CLOEXEC;
	r = pbuf_printf(b, "pos:\t%ld\nflags:\t0%o\nmnt_id:\t0\nino:\t0\n", pos,
			flags);
	file_put(f);
	return r;
}

/* resident pages of [start, end) from the host's mincore */
static uint64_t resident(uint64_t start, uint64_t end)
{
	unsigned char vec[4096];
	uint64_t n = 0;

	while (start < end) {
		uint64_t len = end - start;

		if (len > sizeof(vec) * 4096)
			len = sizeof(vec) * 4096;
		if (host_syscall3(SYS_mincore, start, len, vec) == 0) {
			for (uint64_t i = 0; i < len / 4096; i++)
				n += vec[i] & 1;
		}
		start += len;
	}
	return n;
}

void procfs_mem_usage(struct proc *p, struct procfs_mem *m)
{
	struct mm *mm = p->mm;

	memset(m, 0, sizeof(*m));
	spin_lock(&mm->lock);
	for (size_t i = 0; i < mm->vs.n; i++) {
		const struct vma *v = &mm->vs.v[i];
		uint64_t kb = (v->end - v->start) / 1024;
		uint64_t res;

		if (v->flags & (VMA_VDSO | VMA_VVAR))
			continue;
		m->vm_kb += kb;
		if (v->flags & VMA_LOCKED)
			m->lck_kb += kb;
		if (v->prot == PROT_NONE)
			continue;
		res = resident(v->start, v->end) * 4;
		m->rss_kb += res;
		if (v->file)
			m->file_kb += res;
		else
			m->anon_kb += res;
		if (v->flags & VMA_STACK)
			m->stack_kb += kb;
		else if (!v->file && (v->prot & PROT_WRITE) &&
			 !(v->flags & VMA_SHARED))
			m->data_kb += kb;
		if (v->file && (v->prot & PROT_EXEC)) {
			if (v->start >= mm->start_code &&
			    v->end <= PAGE_ALIGN(mm->end_code))
				m->exe_kb += kb;
			else
				m->lib_kb += kb;
		}
	}
	spin_unlock(&mm->lock);
	m->pte_kb = (m->rss_kb / 512 + 1) * 4;
}

const char *procfs_cpus_mask(void)
{
	static char buf[32];

	uint64_t m = kopts.cores >= 64 ? ~0ull : (1ull << kopts.cores) - 1;

	/* as Linux prints Cpus_allowed: 32-bit words, comma separated */
	if (m >> 32)
		ksnprintf(buf, sizeof(buf), "%x,%08x", (unsigned)(m >> 32),
			  (unsigned)m);
	else
		ksnprintf(buf, sizeof(buf), "%x", (unsigned)m);
	return buf;
}

const char *procfs_cpus_list(void)
{
	static char buf[32];

	if (kopts.cores == 1)
		ksnprintf(buf, sizeof(buf), "0");
	else
		ksnprintf(buf, sizeof(buf), "0-%d", kopts.cores - 1);
	return buf;
}
