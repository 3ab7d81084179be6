/* host.h - the only way our kernel makes host syscalls (DESIGN.md rule 5) */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/types.h>

/*
 * Raw host syscalls. They never touch errno or vector state (so they are
 * safe on the fast paths built with -mgeneral-regs-only) and return >= 0 or
 * -errno. A future seccomp filter on the instance allows exactly the calls
 * that appear here.
 *
 * The syscall instruction itself is in the page exempt from Syscall User
 * Dispatch (syscalls/entry.S), reached by a call: kernel code is built
 * with -mno-red-zone, so nothing lives below rsp.
 */
void host_syscall_gate(void);

static inline long host_syscall6(long nr, long a0, long a1, long a2, long a3,
				 long a4, long a5)
{
	long ret;
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;

	__asm__ volatile("call host_syscall_gate"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#define host_syscall0(n) host_syscall6(n, 0, 0, 0, 0, 0, 0)
#define host_syscall1(n, a) host_syscall6(n, (long)(a), 0, 0, 0, 0, 0)
#define host_syscall2(n, a, b) \
	host_syscall6(n, (long)(a), (long)(b), 0, 0, 0, 0)
#define host_syscall3(n, a, b, c) \
	host_syscall6(n, (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define host_syscall4(n, a, b, c, d) \
	host_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define host_syscall5(n, a, b, c, d, e)                              \
	host_syscall6(n, (long)(a), (long)(b), (long)(c), (long)(d), \
		      (long)(e), 0)

static inline long host_read(int fd, void *buf, size_t n)
{
	return host_syscall3(SYS_read, fd, buf, n);
}

static inline long host_write(int fd, const void *buf, size_t n)
{
	return host_syscall3(SYS_write, fd, buf, n);
}

static inline long host_pread(int fd, void *buf, size_t n, off_t off)
{
	return host_syscall4(SYS_pread64, fd, buf, n, off);
}

static inline long host_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return host_syscall4(SYS_pwrite64, fd, buf, n, off);
}

static inline long host_readv(int fd, const void *iov, int cnt)
{
	return host_syscall3(SYS_readv, fd, iov, cnt);
}

static inline long host_writev(int fd, const void *iov, int cnt)
{
	return host_syscall3(SYS_writev, fd, iov, cnt);
}

static inline long host_preadv2(int fd, const void *iov, int cnt, off_t off,
				int flags)
{
	/* the kernel splits the offset into lo/hi words; hi is 0 on 64-bit */
	return host_syscall6(SYS_preadv2, fd, (long)iov, cnt, off, 0, flags);
}

static inline long host_pwritev2(int fd, const void *iov, int cnt, off_t off,
				 int flags)
{
	return host_syscall6(SYS_pwritev2, fd, (long)iov, cnt, off, 0, flags);
}

static inline long host_openat(int dirfd, const char *path, int flags, int mode)
{
	return host_syscall4(SYS_openat, dirfd, path, flags, mode);
}

static inline long host_close(int fd)
{
	return host_syscall1(SYS_close, fd);
}

static inline long host_lseek(int fd, off_t off, int whence)
{
	return host_syscall3(SYS_lseek, fd, off, whence);
}

static inline long host_fstat(int fd, void *st)
{
	return host_syscall2(SYS_fstat, fd, st);
}

static inline long host_newfstatat(int dirfd, const char *path, void *st,
				   int flags)
{
	return host_syscall4(SYS_newfstatat, dirfd, path, st, flags);
}

static inline long host_statx(int dirfd, const char *path, int flags,
			      unsigned mask, void *stx)
{
	return host_syscall5(SYS_statx, dirfd, path, flags, mask, stx);
}

static inline long host_mmap(void *addr, size_t len, int prot, int flags,
			     int fd, off_t off)
{
	return host_syscall6(SYS_mmap, (long)addr, (long)len, prot, flags, fd,
			     off);
}

static inline long host_munmap(void *addr, size_t len)
{
	return host_syscall2(SYS_munmap, addr, len);
}

static inline long host_mprotect(void *addr, size_t len, int prot)
{
	return host_syscall3(SYS_mprotect, addr, len, prot);
}

static inline long host_mremap(void *old, size_t oldlen, size_t newlen,
			       int flags, void *newaddr)
{
	return host_syscall5(SYS_mremap, old, oldlen, newlen, flags, newaddr);
}

static inline long host_madvise(void *addr, size_t len, int advice)
{
	return host_syscall3(SYS_madvise, addr, len, advice);
}

static inline long host_exit_group(int code)
{
	return host_syscall1(SYS_exit_group, code);
}

static inline long host_gettid(void)
{
	return host_syscall0(SYS_gettid);
}

static inline long host_getpid(void)
{
	return host_syscall0(SYS_getpid);
}

static inline long host_tgkill(int tgid, int tid, int sig)
{
	return host_syscall3(SYS_tgkill, tgid, tid, sig);
}

static inline long host_arch_prctl(int code, unsigned long addr)
{
	return host_syscall2(SYS_arch_prctl, code, addr);
}

static inline long host_prctl(int op, long a, long b, long c, long d)
{
	return host_syscall5(SYS_prctl, op, a, b, c, d);
}

static inline long host_rt_sigaction(int sig, const void *act, void *old)
{
	return host_syscall4(SYS_rt_sigaction, sig, act, old, 8);
}

static inline long host_rt_sigprocmask(int how, const void *set, void *old)
{
	return host_syscall4(SYS_rt_sigprocmask, how, set, old, 8);
}

static inline long host_sigaltstack(const void *ss, void *old)
{
	return host_syscall2(SYS_sigaltstack, ss, old);
}

static inline long host_getdents64(int fd, void *buf, size_t n)
{
	return host_syscall3(SYS_getdents64, fd, buf, n);
}

static inline long host_readlinkat(int dirfd, const char *path, char *buf,
				   size_t n)
{
	return host_syscall4(SYS_readlinkat, dirfd, path, buf, n);
}

static inline long host_ioctl(int fd, unsigned long req, unsigned long arg)
{
	return host_syscall3(SYS_ioctl, fd, req, arg);
}

static inline long host_fcntl(int fd, int cmd, unsigned long arg)
{
	return host_syscall3(SYS_fcntl, fd, cmd, arg);
}

static inline long host_dup3(int oldfd, int newfd, int flags)
{
	return host_syscall3(SYS_dup3, oldfd, newfd, flags);
}

static inline long host_clock_gettime(int clk, void *ts)
{
	return host_syscall2(SYS_clock_gettime, clk, ts);
}

static inline long host_getrandom(void *buf, size_t n, unsigned flags)
{
	return host_syscall3(SYS_getrandom, buf, n, flags);
}

static inline long host_futex(uint32_t *uaddr, int op, uint32_t val,
			      const void *ts, uint32_t *uaddr2, uint32_t val3)
{
	return host_syscall6(SYS_futex, (long)uaddr, op, val, (long)ts,
			     (long)uaddr2, val3);
}
