/* hostfs.c - files of the host tree, read-write passthrough */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "base/fmt.h"
#include "base/host.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "kernel/hostpoll.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "base/kmalloc.h"
#include "mm/vma.h"
#include "mm/usercopy.h"

/*
 * Host fds that can block (ttys, pipes, sockets) must not block a kthread:
 * before reading or writing one we ask the host whether it would block,
 * and if so the uthread waits on the file's wait queue, which the poller
 * thread wakes (kernel/hostpoll.c). Regular files never wait.
 */
struct host_stream {
	struct waitq wq;
	struct hostwatch watch;
};

bool hostfs_is_stream(struct file *f)
{
	unsigned ff = __atomic_load_n(&f->fflags, __ATOMIC_RELAXED);
	struct stat st;

	if (ff & FILE_HOST_TYPED)
		return ff & FILE_HOST_STREAM;
	if (host_fstat(f->host_fd, &st) == 0 &&
	    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) ||
	     S_ISCHR(st.st_mode)))
		ff = FILE_HOST_TYPED | FILE_HOST_STREAM;
	else
		ff = FILE_HOST_TYPED;
	__atomic_or_fetch(&f->fflags, ff, __ATOMIC_RELAXED);
	return ff & FILE_HOST_STREAM;
}

/* the stream state of @f, made on first use; NULL if out of memory */
static struct host_stream *stream_of(struct file *f)
{
	struct host_stream *hs = __atomic_load_n(
		(struct host_stream **)&f->priv2, __ATOMIC_ACQUIRE);
	struct host_stream *expected = NULL;

	if (hs)
		return hs;
	hs = kmalloc(sizeof(*hs));
	if (!hs)
		return NULL;
	waitq_init(&hs->wq);
	hostwatch_init(&hs->watch, f->host_fd, &hs->wq);
	if (!__atomic_compare_exchange_n((struct host_stream **)&f->priv2,
					 &expected, hs, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(hs);
		hs = expected;
	}
	return hs;
}

static unsigned host_ready(int fd, unsigned events)
{
	struct pollfd p = {.fd = fd, .events = (short)events};

	if (host_syscall3(SYS_poll, &p, 1, 0) < 0)
		return POLLERR;
	return (unsigned short)p.revents;
}

/*
 * wait_stream - block until the host says @events (POLLIN/POLLOUT) would
 * not block. 0, or -EAGAIN (O_NONBLOCK), -EINTR, -ENOMEM.
 */
static long wait_stream(struct file *f, unsigned events)
{
	struct host_stream *hs;
	long r = 0;

	if (host_ready(f->host_fd, events) & (events | POLL_ALWAYS))
		return 0;
	if (f->oflags & O_NONBLOCK)
		return -EAGAIN;
	hs = stream_of(f);
	if (!hs)
		return -ENOMEM;
	for (;;) {
		struct wait_entry we;

		wait_entry_init(&we, this_uthread());
		sched_prepare_block(true);
		waitq_add(&hs->wq, &we);
		hostwatch_arm(&hs->watch, events);
		if (host_ready(f->host_fd, events) & (events | POLL_ALWAYS)) {
			sched_cancel_block();
			waitq_remove(&hs->wq, &we);
			return 0;
		}
		if (signal_pending_now()) {
			sched_cancel_block();
			r = -EINTR;
		} else {
			r = sched_block(0);
		}
		waitq_remove(&hs->wq, &we);
		if (r < 0)
			return r;
	}
}

/* read/write/iovec ops: fast path, no glibc (see struct file_ops) */
static long hf_read(struct file *f, void *buf, size_t n, off_t off)
{
	if (off < 0 && n && hostfs_is_stream(f)) {
		long r = wait_stream(f, POLLIN);

		if (r < 0)
			return r;
	}
	n = user_host_buf(&buf, n, true); /* never junction's own memory */
	if (off < 0)
		return host_read(f->host_fd, buf, n);
	return host_pread(f->host_fd, buf, n, off);
}

static long hf_write(struct file *f, const void *buf, size_t n, off_t off)
{
	if (off < 0 && n && hostfs_is_stream(f)) {
		long r = wait_stream(f, POLLOUT);

		if (r < 0)
			return r;
	}
	n = user_host_buf((void **)&buf, n, false);
	if (off < 0)
		return host_write(f->host_fd, buf, n);
	return host_pwrite(f->host_fd, buf, n, off);
}

static unsigned hf_poll(struct file *f, struct poll_table *pt)
{
	struct host_stream *hs;
	unsigned want = pt ? pt->key : (POLLIN | POLLOUT | POLLPRI);

	if (!hostfs_is_stream(f))
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	hs = stream_of(f);
	if (pt && hs) {
		poll_wait(pt, &hs->wq, f);
		/* watch only what is asked: writable fds would wake forever */
		hostwatch_arm(&hs->watch,
			      want & (POLLIN | POLLOUT | POLLPRI | POLLRDHUP));
	}
	return host_ready(f->host_fd, want | POLLRDHUP);
}

#define FAST_IOV 8

/*
 * A kernel copy of the guest's iovec array for the host, every buffer
 * clamped to guest memory (user_host_buf); the array stops after the
 * first element that is cut short, as a fault there ends a Linux
 * transfer. Returns the count to pass, or -errno; *@kiov is @fast or a
 * kmalloc'd array the caller frees.
 */
static int iov_import(const struct iovec *uiov, int cnt, bool write,
		      struct iovec *fast, struct iovec **kiov)
{
	struct iovec *v = fast;

	if (cnt < 0)
		return -EINVAL;
	if (cnt > FAST_IOV) {
		v = kmalloc((size_t)cnt * sizeof(*v));
		if (!v)
			return -ENOMEM;
	}
	*kiov = v;
	if (copy_from_user(v, uiov, (size_t)cnt * sizeof(*v)))
		return -EFAULT;
	for (int i = 0; i < cnt; i++) {
		size_t len = v[i].iov_len;

		if ((ssize_t)len < 0)
			return -EINVAL;
		if (!access_ok(v[i].iov_base, len))
			return -EFAULT;
	}
	for (int i = 0; i < cnt; i++) {
		size_t len = v[i].iov_len;

		if (!len)
			continue;
		v[i].iov_len = user_host_buf(&v[i].iov_base, len, write);
		if (v[i].iov_base == usercopy_poison && i > 0)
			return i; /* stop before it: a short transfer */
		if (v[i].iov_len < len || v[i].iov_base == usercopy_poison)
			return i + 1;
	}
	return cnt;
}

static long hf_rwv(struct file *f, const struct iovec *uiov, int cnt,
		   off_t off, int flags, bool wr)
{
	struct iovec fast[FAST_IOV], *kiov = fast;
	long r;

	if (off < 0 && hostfs_is_stream(f) && !(flags & RWF_NOWAIT)) {
		r = wait_stream(f, wr ? POLLOUT : POLLIN);
		if (r < 0)
			return r;
	}
	r = iov_import(uiov, cnt, !wr, fast, &kiov);
	if (r < 0)
		goto out;
	cnt = (int)r;
	if (off < 0 && !flags)
		r = wr ? host_writev(f->host_fd, kiov, cnt)
		       : host_readv(f->host_fd, kiov, cnt);
	else if (wr)
		r = host_pwritev2(f->host_fd, kiov, cnt, off < 0 ? -1 : off,
				  flags);
	else
		r = host_preadv2(f->host_fd, kiov, cnt, off < 0 ? -1 : off,
				 flags);
out:
	if (kiov != fast)
		kfree(kiov);
	return r;
}

static long hf_readv(struct file *f, const struct iovec *uiov, int cnt,
		     off_t off, int flags)
{
	return hf_rwv(f, uiov, cnt, off, flags, false);
}

static long hf_writev(struct file *f, const struct iovec *uiov, int cnt,
		      off_t off, int flags)
{
	return hf_rwv(f, uiov, cnt, off, flags, true);
}

static long hf_lseek(struct file *f, off_t off, int whence)
{
	return host_lseek(f->host_fd, off, whence);
}

static long hf_getdents64(struct file *f, void *buf, size_t n)
{
	/* @buf was made safe by the handler (see sys_getdents64) */
	return host_getdents64(f->host_fd, buf, n);
}

static long hf_fstat(struct file *f, struct stat *kst)
{
	return host_fstat(f->host_fd, kst);
}

static long hf_fsync(struct file *f, bool datasync)
{
	return host_syscall1(datasync ? SYS_fdatasync : SYS_fsync, f->host_fd);
}

static long hf_ftruncate(struct file *f, off_t len)
{
	return host_syscall2(SYS_ftruncate, f->host_fd, len);
}

static long hf_setfl(struct file *f, unsigned flags)
{
	long r = host_fcntl(f->host_fd, F_SETFL, flags);

	if (r == 0)
		f->oflags = (f->oflags & ~(O_APPEND | O_NONBLOCK | O_DIRECT |
					   O_NOATIME | O_ASYNC)) |
			    flags;
	return r;
}

/*
 * The argument of a pass-through ioctl, made safe for the host: a pointer
 * to a struct of a known size outside guest memory becomes the poison
 * page, so the host answers EFAULT where Linux would (and ENOTTY first on
 * a file that is no tty, as Linux does).
 */
static unsigned long ioctl_arg(unsigned long req, unsigned long arg)
{
	size_t n;

	switch (req) {
	case TCGETS:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		n = 36; /* the kernel's struct termios */
		break;
	case TIOCGWINSZ:
	case TIOCSWINSZ:
		n = sizeof(struct winsize);
		break;
	case FS_IOC_FSGETXATTR:
		n = sizeof(struct fsxattr);
		break;
	case TIOCOUTQ:
	case TIOCINQ:
	case TIOCGPTN:
	case TIOCSPTLCK:
	case TIOCGPTLCK:
	case TIOCGEXCL:
	case FS_IOC_GETFLAGS: /* an int, whatever the macro says */
	case FS_IOC_GETVERSION:
	case FIGETBSZ:
	case FIONBIO:
		n = sizeof(int);
		break;
	default:
		return arg; /* a value, not a pointer */
	}
	return (unsigned long)user_host_ptr((void *)arg, n, true);
}

/*
 * hf_ptpeer - TIOCGPTPEER on a pty master: the host opens the slave and
 * returns a host fd; the guest gets a guest fd for it, from its own table
 * (the host's number means nothing to the guest). @flags as open(2).
 */
static long hf_ptpeer(struct file *f, unsigned long flags)
{
	struct proc *p = current_proc();
	rlim_t lim = p->rlim[RLIMIT_NOFILE].rlim_cur;
	char path[64];
	struct file *peer;
	long hfd, r;
	int n = 0;

	if (flags & ~(unsigned long)(O_ACCMODE | O_NOCTTY | O_NONBLOCK |
				     O_CLOEXEC))
		return -EINVAL;
	hfd = host_ioctl(f->host_fd, TIOCGPTPEER,
			 (flags & ~(unsigned long)O_CLOEXEC) | O_CLOEXEC);
	if (hfd < 0)
		return hfd;
	/* the slave's name, for /proc/<pid>/fd: the master's pty number */
	path[0] = '\0';
	if (host_ioctl(f->host_fd, TIOCGPTN, (unsigned long)&n) == 0)
		ksnprintf(path, sizeof(path), "/dev/pts/%d", n);
	peer = hostfs_wrap((int)hfd, (unsigned)(flags & ~(unsigned long)O_CLOEXEC),
			   path[0] ? path : NULL);
	if (!peer) {
		host_close((int)hfd);
		return -ENOMEM;
	}
	r = fdtab_install(p->fdt, peer, 0, flags & O_CLOEXEC,
			  lim > (1u << 20) ? (1u << 20) : (unsigned)lim);
	if (r < 0)
		file_put(peer);
	return r;
}

/*
 * Only ioctls whose argument layout we know go to the host; anything else
 * is ENOTTY (Linux's answer for an ioctl the file does not support).
 */
static long hf_ioctl(struct file *f, unsigned long req, unsigned long arg)
{
	switch (req) {
	case TCGETS:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TIOCGWINSZ:
	case TIOCSWINSZ:
	case TCFLSH:
	case TCXONC:
	case TCSBRK:
	case TCSBRKP:
	case TIOCOUTQ:
	case TIOCINQ: /* FIONREAD */
	case TIOCGPTN:
	case TIOCSPTLCK:
	case TIOCGPTLCK:
	case TIOCEXCL:
	case TIOCNXCL:
	case TIOCGEXCL:
	case FS_IOC_GETFLAGS:
	case FS_IOC_GETVERSION:
	case FS_IOC_FSGETXATTR:
	case FIGETBSZ:
	case FIONBIO:
		/* the host reads and writes the guest's argument directly */
		return host_ioctl(f->host_fd, req, ioctl_arg(req, arg));
	case TIOCGPTPEER:
		return hf_ptpeer(f, arg);
	case TIOCGPGRP:
	case TIOCSPGRP:
	case TIOCGSID: {
		/* process groups are virtual: answer for the guest's own */
		struct termios t;
		struct proc *p = current_proc();
		int id = req == TIOCGSID ? p->sid : p->pgid;

		if (host_ioctl(f->host_fd, TCGETS, (unsigned long)&t) < 0)
			return -ENOTTY;
		if (req == TIOCSPGRP) {
			int want;

			if (copy_from_user(&want, (void *)arg, sizeof(want)))
				return -EFAULT;
			return want == p->pgid ? 0 : -EPERM;
		}
		return copy_to_user((void *)arg, &id, sizeof(id));
	}
	default:
		return -ENOTTY;
	}
}

static long hf_dpath(struct file *f, char *buf, size_t n)
{
	char link[64];
	long r;

	ksnprintf(link, sizeof(link), "/proc/self/fd/%d", f->host_fd);
	r = host_readlinkat(AT_FDCWD, link, buf, n - 1);
	if (r < 0)
		return r;
	if ((size_t)r >= n - 1)
		return -ENAMETOOLONG;
	buf[r] = '\0';
	return r;
}

static void hf_release(struct file *f)
{
	struct host_stream *hs = f->priv2;

	vma_file_put(f->priv);
	if (hs) {
		hostwatch_remove(&hs->watch);
		kfree(hs);
	}
}

/*
 * What a mapping of @f shows in /proc/<pid>/maps; made once per open file
 * and cached in f->priv. Returns a new reference, or NULL.
 */
struct vma_file *hostfs_vma_file(struct file *f)
{
	struct vma_file *vf =
		__atomic_load_n((struct vma_file **)&f->priv, __ATOMIC_ACQUIRE);
	struct vma_file *expected = NULL;
	char path[PATH_MAX];
	struct stat st;

	if (vf)
		return vma_file_get(vf);
	if (host_fstat(f->host_fd, &st) < 0)
		return NULL;
	if (hf_dpath(f, path, sizeof(path)) < 0)
		ksnprintf(path, sizeof(path), "%s", f->path ? f->path : "");
	vf = vma_file_new(path, st.st_dev, st.st_ino);
	if (!vf)
		return NULL;
	if (!__atomic_compare_exchange_n((struct vma_file **)&f->priv,
					 &expected, vf, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		vma_file_put(vf);
		vf = expected;
	}
	return vma_file_get(vf);
}

const struct file_ops hostfs_file_ops = {
	.release = hf_release,
	.poll = hf_poll,
	.read = hf_read,
	.write = hf_write,
	.readv = hf_readv,
	.writev = hf_writev,
	.lseek = hf_lseek,
	.getdents64 = hf_getdents64,
	.fstat = hf_fstat,
	.ioctl = hf_ioctl,
	.fsync = hf_fsync,
	.ftruncate = hf_ftruncate,
	.setfl = hf_setfl,
	.dpath = hf_dpath,
};

struct file *hostfs_wrap(int fd, unsigned oflags, const char *path)
{
	return file_alloc(&hostfs_file_ops, FS_HOST, oflags, fd, path);
}
