/* sys_proc.c - process and thread identity, exit, exec, scheduling knobs */
#include <asm/prctl.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/prctl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "base/host.h"
#include "kernel/exec.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "loader/loader.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

#define TASK_SIZE 0x7ffffffff000ull

SYSCALL_DEFINE0(getpid)
{
	return current_proc()->pid;
}

SYSCALL_DEFINE0(gettid)
{
	return current_thread()->tid;
}

SYSCALL_DEFINE0(getppid)
{
	struct proc *p = current_proc();

	return p->parent ? p->parent->pid : 0;
}

SYSCALL_DEFINE1(exit, int, code)
{
	/* the last thread's exit ends the process with its code */
	thread_exit(code);
}

SYSCALL_DEFINE5(clone, unsigned long, flags, unsigned long, stack, int __user *,
		parent_tid, int __user *, child_tid, unsigned long, tls)
{
	struct clone_req req = {
		.flags = flags,
		.stack = stack,
		.parent_tid = (uint64_t)parent_tid,
		.child_tid = (uint64_t)child_tid,
		.tls = tls,
	};

	return thread_clone(&req, current_tf());
}

#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ull
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ull
#endif

/* struct clone_args of clone3(2), as far as we read it */
struct clone_args_user {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack,
		stack_size, tls, set_tid, set_tid_size, cgroup;
};

/*
 * Checked in the order of Linux's copy_clone_args_from_user() and
 * clone3_args_valid() (kernel/fork.c); what they let through goes to
 * thread_clone(), which says ENOSYS for a new process.
 */
SYSCALL_DEFINE2(clone3, const void __user *, uargs, size_t, size)
{
	struct clone_args_user ca = {0};
	struct clone_req req;

	if (size > 4096)
		return -E2BIG;
	if (size < 64)
		return -EINVAL;
	if (copy_from_user(&ca, uargs, size < sizeof(ca) ? size : sizeof(ca)))
		return -EFAULT;
	/* bytes past the struct we know must be zero (copy_struct_from_user) */
	for (size_t off = sizeof(ca); off < size; off++) {
		unsigned char c;

		if (copy_from_user(&c, (const char __user *)uargs + off, 1))
			return -EFAULT;
		if (c)
			return -E2BIG;
	}
	if (ca.set_tid_size > 32 || (!ca.set_tid && ca.set_tid_size) ||
	    (ca.set_tid && !ca.set_tid_size))
		return -EINVAL;
	if (ca.exit_signal & ~(uint64_t)CSIGNAL)
		return -EINVAL;
	if ((ca.flags & CLONE_INTO_CGROUP) &&
	    (ca.cgroup > INT_MAX || size < 88))
		return -EINVAL;
	if (ca.flags & ~(0xffffffffull | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP))
		return -EINVAL;
	if (ca.flags & CSIGNAL)
		return -EINVAL;
	if ((ca.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) ==
	    (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND))
		return -EINVAL;
	if ((ca.flags & (CLONE_THREAD | CLONE_PARENT)) && ca.exit_signal)
		return -EINVAL;
	if (!!ca.stack != !!ca.stack_size)
		return -EINVAL;
	/* a thread: Linux would take set_tid and a cgroup; we do not yet */
	if ((ca.flags & CLONE_THREAD) &&
	    (ca.set_tid || (ca.flags & (CLONE_INTO_CGROUP | CLONE_CLEAR_SIGHAND))))
		return -EINVAL;
	req.flags = ca.flags;
	/* clone3 gives the lowest address and size; the stack grows down */
	req.stack = ca.stack ? ca.stack + ca.stack_size : 0;
	req.parent_tid = ca.parent_tid;
	req.child_tid = ca.child_tid;
	req.tls = ca.tls;
	return thread_clone(&req, current_tf());
}

SYSCALL_DEFINE1(exit_group, int, code)
{
	proc_exit_group((code & 0xff) << 8);
}

/* copy a guest argv/envp: NULL-terminated array of strings */
static char **copy_strv(char *const __user *uv, long *err, size_t *total)
{
	size_t n = 0, cap = 16;
	char **v = kmalloc(cap * sizeof(char *));

	if (!v) {
		*err = -ENOMEM;
		return NULL;
	}
	for (;; n++) {
		char *us, *ks;
		long len;

		if (n + 1 >= cap) {
			char **nv;

			cap *= 2;
			nv = krealloc(v, cap * sizeof(char *));
			if (!nv) {
				*err = -ENOMEM;
				goto fail;
			}
			v = nv;
		}
		if (!uv) {
			us = NULL;
		} else if (copy_from_user(&us, &uv[n], sizeof(us))) {
			*err = -EFAULT;
			goto fail;
		}
		if (!us)
			break;
		ks = kmalloc(32 * 4096);
		if (!ks) {
			*err = -ENOMEM;
			goto fail;
		}
		len = strncpy_from_user(ks, us, 32 * 4096);
		if (len < 0) {
			kfree(ks);
			*err = len == -ENAMETOOLONG ? -E2BIG : len;
			goto fail;
		}
		*total += (size_t)len + 1;
		if (*total > (2u << 20)) {
			kfree(ks);
			*err = -E2BIG;
			goto fail;
		}
		v[n] = krealloc(ks, (size_t)len + 1);
		if (!v[n])
			v[n] = ks;
	}
	v[n] = NULL;
	return v;
fail:
	while (n-- > 0)
		kfree(v[n]);
	kfree(v);
	return NULL;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		kfree(v[i]);
	kfree(v);
}

static long do_execve(const char *kpath, char *const __user *uargv,
		      char *const __user *uenvp)
{
	char why[LOADER_WHY + PATH_MAX];
	char **argv, **envp = NULL;
	size_t total = 0;
	long err = 0, r;

	argv = copy_strv(uargv, &err, &total);
	if (!argv)
		return err;
	envp = copy_strv(uenvp, &err, &total);
	if (!envp) {
		free_strv(argv);
		return err;
	}
	r = exec_image(kpath, argv, envp, current_tf(), why, sizeof(why), NULL);
	free_strv(argv);
	free_strv(envp);
	return r;
}

SYSCALL_DEFINE3(execve, const char __user *, path, char *const __user *, argv,
		char *const __user *, envp)
{
	char kpath[PATH_MAX];
	long r = strncpy_from_user(kpath, path, sizeof(kpath));

	if (r < 0)
		return r;
	if (r == 0)
		return -ENOENT;
	return do_execve(kpath, argv, envp);
}

SYSCALL_DEFINE5(execveat, int, dirfd, const char __user *, path,
		char *const __user *, argv, char *const __user *, envp, int,
		flags)
{
	char kpath[PATH_MAX], abs[PATH_MAX];
	struct file *f;
	long r;

	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	r = strncpy_from_user(kpath, path, sizeof(kpath));
	if (r < 0)
		return r;
	if (kpath[0] == '/' || (dirfd == AT_FDCWD && kpath[0]))
		return do_execve(kpath, argv, envp);
	/* relative to an open directory, or the open file itself */
	f = fdtab_get(current_proc()->fdt, dirfd);
	if (!f)
		return -EBADF;
	r = file_dpath(f, abs, sizeof(abs));
	file_put(f);
	if (r < 0 || abs[0] != '/')
		return -ENOENT;
	if (kpath[0]) {
		size_t n = strlen(abs);

		if (n + 1 + strlen(kpath) >= sizeof(abs))
			return -ENAMETOOLONG;
		abs[n] = '/';
		strcpy(abs + n + 1, kpath);
	} else if (!(flags & AT_EMPTY_PATH)) {
		return -ENOENT;
	}
	return do_execve(abs, argv, envp);
}

SYSCALL_DEFINE4(wait4, int, pid, int __user *, status, int, options,
		struct rusage __user *, ru)
{
	(void)pid;
	(void)status;
	(void)ru;
	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	/* no process of an instance has children yet (fork: next issues) */
	return -ECHILD;
}

SYSCALL_DEFINE5(waitid, int, which, int, id, siginfo_t __user *, info, int,
		options, struct rusage __user *, ru)
{
	(void)which;
	(void)id;
	(void)info;
	(void)ru;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	return -ECHILD;
}

static long signal_proc(struct proc *p, int sig)
{
	struct proc *self = current_proc();
	struct sig_qinfo qi = {.code = 0 /* SI_USER */,
			       .pid = self->pid,
			       .uid = self->cred.uid};

	if (sig)
		sig_send_info(p, NULL, sig, &qi);
	return 0;
}

SYSCALL_DEFINE2(kill, int, pid, int, sig)
{
	struct proc *self = current_proc(), *p;

	if (sig < 0 || sig > NSIG_LINUX)
		return -EINVAL;
	if (pid > 0) {
		p = proc_find(pid);
		return p ? signal_proc(p, sig) : -ESRCH;
	}
	/* 0: our group; -1: everyone we may signal; < -1: group -pid */
	if (pid == 0 || pid == -1 || -pid == self->pgid)
		return signal_proc(self, sig);
	return -ESRCH;
}

static long signal_thread(int tgid, int tid, int sig)
{
	struct thread *t;

	if (sig < 0 || sig > NSIG_LINUX || tid <= 0)
		return -EINVAL;
	t = thread_find(tid);
	if (!t || (tgid > 0 && t->proc->pid != tgid))
		return -ESRCH;
	if (sig) {
		struct sig_qinfo qi = {.code = -6 /* SI_TKILL */,
				       .pid = current_proc()->pid,
				       .uid = current_proc()->cred.uid};

		sig_send_info(t->proc, t, sig, &qi);
	}
	return 0;
}

SYSCALL_DEFINE3(tgkill, int, tgid, int, tid, int, sig)
{
	if (tgid <= 0)
		return -EINVAL;
	return signal_thread(tgid, tid, sig);
}

SYSCALL_DEFINE2(tkill, int, tid, int, sig)
{
	return signal_thread(0, tid, sig);
}

SYSCALL_DEFINE1(set_tid_address, int __user *, ptr)
{
	struct thread *t = current_thread();

	t->clear_child_tid = (uint64_t)ptr;
	return t->tid;
}

SYSCALL_DEFINE2(set_robust_list, void __user *, head, size_t, len)
{
	struct thread *t = current_thread();

	if (len != 24)
		return -EINVAL;
	t->robust_list = (uint64_t)head;
	t->robust_len = len;
	return 0;
}

SYSCALL_DEFINE3(get_robust_list, int, tid, void __user *__user *, head,
		size_t __user *, len)
{
	struct thread *t = tid ? thread_find(tid) : current_thread();
	size_t l;

	if (!t)
		return -ESRCH;
	l = t->robust_len;
	if (copy_to_user(head, &t->robust_list, sizeof(void *)) ||
	    copy_to_user(len, &l, sizeof(l)))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE2(arch_prctl, int, code, unsigned long, addr)
{
	struct trapframe *tf = current_tf();
	uint64_t zero = 0;

	switch (code) {
	case ARCH_SET_FS:
		if (addr >= TASK_SIZE)
			return -EPERM;
		tf->fsbase = addr;
		return 0;
	case ARCH_GET_FS:
		return copy_to_user((void *)addr, &tf->fsbase, 8);
	case ARCH_SET_GS:
		/* GS base belongs to the instance (DESIGN.md rule 1) */
		return -EPERM;
	case ARCH_GET_GS:
		return copy_to_user((void *)addr, &zero, 8);
	case ARCH_GET_CPUID:
		return 1;
	case ARCH_SET_CPUID:
		return -ENODEV;
	case 0x1021: /* ARCH_GET_XCOMP_SUPP */
	case 0x1022: /* ARCH_GET_XCOMP_PERM */
	case 0x1023: /* ARCH_REQ_XCOMP_PERM: AMX, granted by the host */
		return host_arch_prctl(code, addr);
	default:
		return -EINVAL;
	}
}

/* names given with PR_SET_VMA_ANON_NAME live as long as the instance */
static const char *intern(const char *s)
{
	static struct {
		char *name;
	} names[256];
	static struct spinlock lock = SPINLOCK_INIT;
	const char *r = NULL;
	int i;

	spin_lock(&lock);
	for (i = 0; i < 256 && names[i].name; i++) {
		if (!strcmp(names[i].name, s)) {
			r = names[i].name;
			break;
		}
	}
	if (!r && i < 256) {
		names[i].name = kmalloc(strlen(s) + 8);
		if (names[i].name) {
			strcpy(names[i].name, "[anon:");
			strcat(names[i].name, s);
			strcat(names[i].name, "]");
			r = names[i].name;
		}
	}
	spin_unlock(&lock);
	return r;
}

SYSCALL_DEFINE5(prctl, int, op, unsigned long, a2, unsigned long, a3,
		unsigned long, a4, unsigned long, a5)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	char name[80];
	long r;

	switch (op) {
	case PR_SET_NAME:
		r = strncpy_from_user(name, (void *)a2, 16);
		if (r == -ENAMETOOLONG) {
			r = copy_from_user(name, (void *)a2, 15);
			name[15] = '\0';
		}
		if (r < 0)
			return r;
		ksnprintf(t->comm, sizeof(t->comm), "%s", name);
		if (t->tid == p->pid)
			memcpy(p->comm, t->comm, sizeof(p->comm));
		return 0;
	case PR_GET_NAME:
		return copy_to_user((void *)a2, t->comm, 16);
	case PR_SET_PDEATHSIG:
		if (a2 > NSIG_LINUX)
			return -EINVAL;
		p->pdeath_sig = (int)a2;
		return 0;
	case PR_GET_PDEATHSIG:
		return copy_to_user((void *)a2, &p->pdeath_sig, sizeof(int));
	case PR_GET_DUMPABLE:
		return p->dumpable;
	case PR_SET_DUMPABLE:
		if (a2 > 1)
			return -EINVAL;
		p->dumpable = a2;
		return 0;
	case PR_SET_NO_NEW_PRIVS:
		return a2 == 1 && !a3 && !a4 && !a5 ? 0 : -EINVAL;
	case PR_GET_NO_NEW_PRIVS:
		return 0;
	case PR_GET_SECCOMP:
		return 0;
	case PR_SET_SECCOMP:
		/* a guest filter would apply to the whole instance (README) */
		return -EINVAL;
	case PR_CAPBSET_READ:
		return a2 <= 40 ? 1 : -EINVAL;
	case PR_CAPBSET_DROP:
		return a2 <= 40 ? 0 : -EINVAL;
	case PR_GET_KEEPCAPS:
	case PR_GET_CHILD_SUBREAPER:
	case PR_GET_THP_DISABLE:
	case PR_GET_TIMERSLACK:
		if (op == PR_GET_CHILD_SUBREAPER)
			return clear_user((void *)a2, sizeof(int));
		return op == PR_GET_TIMERSLACK ? 50000 : 0;
	case PR_SET_KEEPCAPS:
	case PR_SET_CHILD_SUBREAPER:
	case PR_SET_THP_DISABLE:
	case PR_SET_TIMERSLACK:
		return 0;
	case PR_GET_TID_ADDRESS:
		return copy_to_user((void *)a2, &t->clear_child_tid, 8);
	case PR_SET_VMA: {
		const char *n = NULL;

		if (a2 != PR_SET_VMA_ANON_NAME)
			return -EINVAL;
		if (a5) {
			r = strncpy_from_user(name, (void *)a5, sizeof(name));
			if (r < 0)
				return r == -ENAMETOOLONG ? -EINVAL : r;
			n = intern(name);
			if (!n)
				return -ENOMEM;
		}
		return mm_set_anon_name(p->mm, a3, a4, n);
	}
	case PR_CAP_AMBIENT:
		if (a2 == PR_CAP_AMBIENT_IS_SET ||
		    a2 == PR_CAP_AMBIENT_CLEAR_ALL)
			return 0;
		return a2 == PR_CAP_AMBIENT_RAISE ? -EPERM : -EINVAL;
	case PR_GET_SPECULATION_CTRL:
		return host_prctl(op, (long)a2, 0, 0, 0);
	case 0x41555856: /* PR_GET_AUXV */
		if (a4 || a5)
			return -EINVAL;
		r = (long)(p->mm->auxv_words * 8);
		if (copy_to_user((void *)a2, p->mm->auxv,
				 a3 < (unsigned long)r ? a3 : (unsigned long)r))
			return -EFAULT;
		return r;
	case PR_SET_SYSCALL_USER_DISPATCH:
		return -EINVAL; /* the instance's own (DESIGN.md tier 1) */
	default:
		return -EINVAL;
	}
}

SYSCALL_DEFINE1(personality, unsigned long, persona)
{
	struct proc *p = current_proc();
	unsigned long old = p->personality;

	if (persona != 0xffffffff) {
		/* only the Linux personality and its flags */
		if ((persona & 0xff) != 0)
			return -EINVAL;
		p->personality = persona;
	}
	return (long)old;
}

SYSCALL_DEFINE0(getpgrp)
{
	return current_proc()->pgid;
}

SYSCALL_DEFINE1(getpgid, int, pid)
{
	struct proc *p = pid ? proc_find(pid) : current_proc();

	return p ? p->pgid : -ESRCH;
}

SYSCALL_DEFINE2(setpgid, int, pid, int, pgid)
{
	struct proc *self = current_proc();
	struct proc *p = pid ? proc_find(pid) : self;

	if (pgid < 0)
		return -EINVAL;
	if (!p)
		return -ESRCH;
	if (p != self)
		return -ESRCH; /* no children yet */
	if (p->sid == p->pid)
		return -EPERM; /* a session leader */
	p->pgid = pgid ? pgid : p->pid;
	return 0;
}

SYSCALL_DEFINE1(getsid, int, pid)
{
	struct proc *p = pid ? proc_find(pid) : current_proc();

	return p ? p->sid : -ESRCH;
}

SYSCALL_DEFINE0(setsid)
{
	struct proc *p = current_proc();

	if (p->pgid == p->pid)
		return -EPERM; /* already a group leader */
	p->sid = p->pgid = p->pid;
	return p->sid;
}

SYSCALL_DEFINE0(sched_yield)
{
	sched_yield_current();
	return 0;
}

/*
 * Every guest thread of the instance runs on our kthreads, threads of one
 * host process: the host's private expedited barriers reach them all, so
 * they serve the guest's global and private commands alike.
 */
#define MB_SUPPORTED                                               \
	(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | \
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |                \
	 MEMBARRIER_CMD_PRIVATE_EXPEDITED |                        \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |               \
	 MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE |              \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE)

static long host_barrier(bool sync_core)
{
	int reg = sync_core
			  ? MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE
			  : MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
	int cmd = sync_core ? MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE
			    : MEMBARRIER_CMD_PRIVATE_EXPEDITED;
	long r = host_syscall3(SYS_membarrier, cmd, 0, 0);

	if (r == -EPERM) { /* the host wants us registered first */
		r = host_syscall3(SYS_membarrier, reg, 0, 0);
		if (r == 0)
			r = host_syscall3(SYS_membarrier, cmd, 0, 0);
	}
	return r;
}

SYSCALL_DEFINE3(membarrier, int, cmd, unsigned, flags, int, cpu_id)
{
	struct proc *p = current_proc();

	(void)cpu_id; /* only for the RSEQ commands */
	if (flags)
		return -EINVAL;
	switch (cmd) {
	case MEMBARRIER_CMD_QUERY:
		return MB_SUPPORTED;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		return host_barrier(false);
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE:
		/* each needs its own registration, as on Linux */
		if (!(__atomic_load_n(&p->membarrier_reg, __ATOMIC_ACQUIRE) &
		      (unsigned)cmd << 1))
			return -EPERM;
		return host_barrier(cmd ==
				    MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE);
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE:
		__atomic_or_fetch(&p->membarrier_reg, (unsigned)cmd,
				  __ATOMIC_RELEASE);
		return 0;
	default:
		return -EINVAL; /* incl. the RSEQ commands: no rseq (README) */
	}
}

SYSCALL_DEFINE3(sched_getaffinity, int, pid, unsigned, size,
		unsigned long __user *, mask)
{
	unsigned long m = kopts.cores >= 64 ? ~0ul : (1ul << kopts.cores) - 1;

	if (pid && !thread_find(pid))
		return -ESRCH;
	if (size < sizeof(m) || (size & (sizeof(m) - 1)))
		return -EINVAL;
	if (clear_user(mask, size) || copy_to_user(mask, &m, sizeof(m)))
		return -EFAULT;
	return sizeof(m);
}

SYSCALL_DEFINE3(sched_setaffinity, int, pid, unsigned, size,
		const unsigned long __user *, mask)
{
	unsigned long m = 0;
	unsigned long all = kopts.cores >= 64 ? ~0ul : (1ul << kopts.cores) - 1;

	if (pid && !thread_find(pid))
		return -ESRCH;
	if (copy_from_user(&m, mask, size < sizeof(m) ? size : sizeof(m)))
		return -EFAULT;
	/* the instance schedules its own threads: accepted, not binding */
	return (m & all) ? 0 : -EINVAL;
}

SYSCALL_DEFINE3(getcpu, unsigned __user *, cpu, unsigned __user *, node,
		void __user *, cache)
{
	unsigned c = (unsigned)this_kthread()->id, n = 0;

	(void)cache;
	if (cpu && copy_to_user(cpu, &c, sizeof(c)))
		return -EFAULT;
	if (node && copy_to_user(node, &n, sizeof(n)))
		return -EFAULT;
	return 0;
}

/* the thread a scheduling call names: 0 is the caller (a tid, as Linux) */
static struct thread *sched_target(int pid)
{
	if (pid < 0)
		return NULL;
	return pid ? thread_find(pid) : current_thread();
}

/* policies we take: recorded, all scheduled alike (README) */
static bool normal_policy(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_BATCH ||
	       policy == SCHED_IDLE;
}

SYSCALL_DEFINE1(sched_getscheduler, int, pid)
{
	struct thread *t;

	if (pid < 0)
		return -EINVAL;
	t = sched_target(pid);
	return t ? t->policy : -ESRCH;
}

SYSCALL_DEFINE3(sched_setscheduler, int, pid, int, policy,
		const struct sched_param __user *, param)
{
	struct sched_param sp;
	struct thread *t;

	if (pid < 0 || !param)
		return -EINVAL;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	if (copy_from_user(&sp, param, sizeof(sp)))
		return -EFAULT;
	policy &= ~SCHED_RESET_ON_FORK;
	if (policy == SCHED_FIFO || policy == SCHED_RR ||
	    policy == SCHED_DEADLINE)
		return -EPERM; /* no real-time uthreads */
	if (!normal_policy(policy) || sp.sched_priority != 0)
		return -EINVAL;
	t->policy = policy;
	return 0;
}

SYSCALL_DEFINE2(sched_getparam, int, pid, struct sched_param __user *, param)
{
	struct sched_param sp = {0};

	if (pid < 0 || !param)
		return -EINVAL;
	if (!sched_target(pid))
		return -ESRCH;
	return copy_to_user(param, &sp, sizeof(sp));
}

SYSCALL_DEFINE2(sched_setparam, int, pid, const struct sched_param __user *,
		param)
{
	struct sched_param sp;

	if (pid < 0 || !param)
		return -EINVAL;
	if (!sched_target(pid))
		return -ESRCH;
	if (copy_from_user(&sp, param, sizeof(sp)))
		return -EFAULT;
	return sp.sched_priority == 0 ? 0 : -EINVAL;
}

/* struct sched_attr of sched_setattr(2); VER0 is 48 bytes, VER1 56 */
struct k_sched_attr {
	uint32_t size;
	uint32_t sched_policy;
	uint64_t sched_flags;
	int32_t sched_nice;
	uint32_t sched_priority;
	uint64_t sched_runtime, sched_deadline, sched_period;
	uint32_t sched_util_min, sched_util_max;
};

#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_FLAG_RESET_ON_FORK 0x01
#define SCHED_FLAG_KEEP_POLICY 0x08
#define SCHED_FLAG_KEEP_PARAMS 0x10
#define SCHED_FLAGS_TAKEN                                    \
	(SCHED_FLAG_RESET_ON_FORK | SCHED_FLAG_KEEP_POLICY | \
	 SCHED_FLAG_KEEP_PARAMS)

static bool may_lower_nice(struct thread *t, int nice);

SYSCALL_DEFINE4(sched_getattr, int, pid, void __user *, uattr, unsigned, size,
		unsigned, flags)
{
	struct k_sched_attr a = {0};
	struct thread *t;

	if (pid < 0 || !uattr || flags || size < SCHED_ATTR_SIZE_VER0 ||
	    size > 4096)
		return -EINVAL;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	if (size > sizeof(a))
		size = sizeof(a);
	a.size = size;
	a.sched_policy = (uint32_t)t->policy;
	a.sched_nice = t->nice;
	return copy_to_user(uattr, &a, size);
}

SYSCALL_DEFINE3(sched_setattr, int, pid, void __user *, uattr, unsigned, flags)
{
	struct k_sched_attr a = {0};
	uint32_t size;
	struct thread *t;
	int policy, nice;

	if (pid < 0 || !uattr || flags)
		return -EINVAL;
	if (copy_from_user(&size, uattr, sizeof(size)))
		return -EFAULT;
	if (size == 0)
		size = SCHED_ATTR_SIZE_VER0;
	if (size < SCHED_ATTR_SIZE_VER0 || size > 4096)
		goto too_big;
	/* a newer struct: its extra bytes must be zero (like copy_struct_from_user) */
	for (uint32_t off = sizeof(a); off < size; off++) {
		uint8_t c;

		if (copy_from_user(&c, (uint8_t __user *)uattr + off, 1))
			return -EFAULT;
		if (c)
			goto too_big;
	}
	if (copy_from_user(&a, uattr, size < sizeof(a) ? size : sizeof(a)))
		return -EFAULT;
	t = sched_target(pid);
	if (!t)
		return -ESRCH;
	if (a.sched_flags & ~(uint64_t)SCHED_FLAGS_TAKEN)
		return -EINVAL; /* utilization clamping, deadline flags */
	policy = (a.sched_flags & SCHED_FLAG_KEEP_POLICY) ? t->policy
							  : (int)a.sched_policy;
	if (policy == SCHED_FIFO || policy == SCHED_RR ||
	    policy == SCHED_DEADLINE)
		return -EPERM; /* no real-time uthreads */
	if (!normal_policy(policy) || a.sched_priority != 0)
		return -EINVAL;
	nice = a.sched_nice < -20 ? -20 : a.sched_nice > 19 ? 19 : a.sched_nice;
	if (!(a.sched_flags & SCHED_FLAG_KEEP_PARAMS)) {
		if (nice < t->nice && !may_lower_nice(t, nice))
			return -EPERM;
		t->nice = nice;
	}
	t->policy = policy;
	return 0;

too_big:
	size = sizeof(a);
	if (copy_to_user(uattr, &size, sizeof(size)))
		return -EFAULT;
	return -E2BIG;
}

SYSCALL_DEFINE1(sched_get_priority_max, int, policy)
{
	if (policy == SCHED_FIFO || policy == SCHED_RR)
		return 99;
	if (policy == SCHED_DEADLINE)
		return 0;
	return normal_policy(policy) ? 0 : -EINVAL;
}

SYSCALL_DEFINE1(sched_get_priority_min, int, policy)
{
	if (policy == SCHED_FIFO || policy == SCHED_RR)
		return 1;
	if (policy == SCHED_DEADLINE)
		return 0;
	return normal_policy(policy) ? 0 : -EINVAL;
}

SYSCALL_DEFINE2(sched_rr_get_interval, int, pid, struct timespec __user *, ts)
{
	struct timespec t = {0, 100000000};

	if (pid < 0)
		return -EINVAL;
	if (!sched_target(pid))
		return -ESRCH;
	return copy_to_user(ts, &t, sizeof(t));
}

/*
 * Nice values are per thread, as in Linux: PRIO_PROCESS names a thread
 * (0: the caller), PRIO_PGRP the threads of a process group, PRIO_USER
 * those of processes whose real uid is @who.
 */
struct prio_walk {
	int which, who;
	int set; /* the nice value to set, or INT_MIN to read */
	int found, best, err;
};

static bool prio_matches(struct thread *t, const struct prio_walk *w)
{
	switch (w->which) {
	case PRIO_PROCESS:
		return t->tid == w->who;
	case PRIO_PGRP:
		return t->proc->pgid == w->who;
	default:
		return t->proc->cred.uid == (uint32_t)w->who;
	}
}

static bool may_lower_nice(struct thread *t, int nice)
{
	struct proc *self = current_proc();
	uint64_t lim = self->rlim[RLIMIT_NICE].rlim_cur;

	(void)t;
	/* CAP_SYS_NICE, or RLIMIT_NICE allows 20 - nice */
	return (self->cred.cap_effective & (1ull << 23)) ||
	       (lim != RLIM_INFINITY && (uint64_t)(20 - nice) <= lim) ||
	       lim == RLIM_INFINITY;
}

static void prio_visit(struct thread *t, void *arg)
{
	struct prio_walk *w = arg;

	if (!prio_matches(t, w))
		return;
	w->found++;
	if (w->set == INT_MIN) {
		if (20 - t->nice > w->best)
			w->best = 20 - t->nice;
		return;
	}
	if (w->set < t->nice && !may_lower_nice(t, w->set)) {
		w->err = -EACCES;
		return;
	}
	t->nice = w->set;
}

static long prio_walk(int which, int who, int set)
{
	struct proc *self = current_proc();
	struct prio_walk w = {which, who, set, 0, 0, 0};

	if (which < PRIO_PROCESS || which > PRIO_USER)
		return -EINVAL;
	if (!who)
		w.who = which == PRIO_PROCESS ? current_thread()->tid
			: which == PRIO_PGRP  ? self->pgid
					      : (int)self->cred.uid;
	proc_for_each_thread(prio_visit, &w);
	if (!w.found)
		return -ESRCH;
	if (set == INT_MIN)
		return w.best; /* 20 - nice, so that it is never negative */
	return w.err;
}

SYSCALL_DEFINE2(getpriority, int, which, int, who)
{
	return prio_walk(which, who, INT_MIN);
}

SYSCALL_DEFINE3(setpriority, int, which, int, who, int, prio)
{
	if (prio < -20)
		prio = -20;
	if (prio > 19)
		prio = 19;
	return prio_walk(which, who, prio);
}

SYSCALL_DEFINE2(ioprio_get, int, which, int, who)
{
	(void)who;
	if (which < 1 || which > 3)
		return -EINVAL;
	return (0 << 13) | 4; /* IOPRIO_CLASS_NONE, level 4: the default */
}

SYSCALL_DEFINE3(ioprio_set, int, which, int, who, int, prio)
{
	(void)who;
	(void)prio;
	if (which < 1 || which > 3)
		return -EINVAL;
	return 0;
}
