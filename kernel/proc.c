/* proc.c - guest processes and threads, virtual pids */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include <sched.h>
#include <linux/sched.h>

#include "base/fmt.h"
#include "base/kmalloc.h"
#include "base/host.h"
#include "base/log.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/procfs.h"
#include "sched/sched.h"

extern void return_to_guest_from(struct trapframe *tf);
#include "kernel/vfs.h"
#include "kernel/futex.h"
#include "mm/usercopy.h"

#define PID_MAX 65536

/*
 * Virtual pids and tids share one space, as in Linux. Lock order:
 * pid_lock, then proc.lock.
 */
static struct spinlock pid_lock = SPINLOCK_INIT;
static struct {
	struct proc *p; /* set while the pid names a process */
	struct thread *t; /* set while the id names a live thread */
	bool used;
} pids[PID_MAX];
static int last_pid;
static struct proc *init_proc;
static int init_status = -1;

int pid_alloc(void)
{
	int r = -EAGAIN;

	spin_lock(&pid_lock);
	for (int i = 1; i < PID_MAX; i++) {
		int pid = (last_pid + i) % PID_MAX;

		if (pid == 0 || pids[pid].used)
			continue;
		pids[pid].used = true;
		last_pid = pid;
		r = pid;
		break;
	}
	spin_unlock(&pid_lock);
	return r;
}

void pid_free(int pid)
{
	spin_lock(&pid_lock);
	pids[pid].used = false;
	pids[pid].p = NULL;
	pids[pid].t = NULL;
	spin_unlock(&pid_lock);
}

struct proc *proc_find(int pid)
{
	struct proc *p = NULL;

	if (pid <= 0 || pid >= PID_MAX)
		return NULL;
	spin_lock(&pid_lock);
	if (pids[pid].p && pids[pid].p->state == PROC_RUNNING)
		p = pids[pid].p;
	spin_unlock(&pid_lock);
	return p;
}

struct thread *thread_find(int tid)
{
	struct thread *t = NULL;

	if (tid <= 0 || tid >= PID_MAX)
		return NULL;
	spin_lock(&pid_lock);
	t = pids[tid].t;
	spin_unlock(&pid_lock);
	return t;
}

void proc_for_each_thread(void (*fn)(struct thread *t, void *arg), void *arg)
{
	spin_lock(&pid_lock);
	for (int pid = 1; pid < PID_MAX; pid++) {
		struct proc *p = pids[pid].p;
		struct list_node *it;

		if (!p || p->pid != pid || p->state != PROC_RUNNING)
			continue;
		spin_lock(&p->lock);
		list_for_each (&p->threads, it)
			fn(list_entry(it, struct thread, proc_node), arg);
		spin_unlock(&p->lock);
	}
	spin_unlock(&pid_lock);
}

int procfs_list_pids(struct pbuf *b)
{
	char num[16];
	int r = 0;

	spin_lock(&pid_lock);
	for (int pid = 1; pid < PID_MAX && !r; pid++) {
		if (!pids[pid].p || pids[pid].p->pid != pid)
			continue;
		ksnprintf(num, sizeof(num), "%d", pid);
		r = procfs_dir_add(b, num, 4 /* DT_DIR */, (uint64_t)pid << 16);
	}
	spin_unlock(&pid_lock);
	return r;
}

int procfs_list_tids(struct proc *p, struct pbuf *b)
{
	struct list_node *it;
	char num[16];
	int r = 0;

	spin_lock(&p->lock);
	list_for_each (&p->threads, it) {
		struct thread *t = list_entry(it, struct thread, proc_node);

		ksnprintf(num, sizeof(num), "%d", t->tid);
		r = procfs_dir_add(b, num, 4 /* DT_DIR */,
				   ((uint64_t)t->tid << 16) | 1);
		if (r)
			break;
	}
	spin_unlock(&p->lock);
	return r;
}

/* wrap host fd @fd as guest fd @fd if it is open */
static void inherit_fd(struct proc *p, int fd)
{
	long fl = host_fcntl(fd, F_GETFL, 0);
	char link[64], path[PATH_MAX];
	struct file *f;
	long n;

	if (fl < 0)
		return;
	ksnprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = host_readlinkat(AT_FDCWD, link, path, sizeof(path) - 1);
	path[n > 0 ? n : 0] = '\0';
	f = hostfs_wrap(fd, (unsigned)fl, path[0] == '/' ? path : NULL);
	if (f)
		fdtab_install_at(p->fdt, f, fd, false, 1u << 20);
}

/*
 * inherit_fds - every fd junction-run inherited is the guest's, at its
 * number, as execve would leave it. junction's own host fds are all
 * close-on-exec, so those without FD_CLOEXEC are the inherited ones (an
 * inherited close-on-exec fd did not survive the exec of junction-run).
 */
static void inherit_fds(struct proc *p)
{
	char buf[1024];
	int dir = (int)host_openat(AT_FDCWD, "/proc/self/fd",
				   O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	long n;

	if (dir < 0) {
		for (int i = 0; i < 3; i++)
			inherit_fd(p, i);
		return;
	}
	while ((n = host_getdents64(dir, buf, sizeof(buf))) > 0) {
		for (long o = 0; o < n;) {
			struct dirent64 {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *d = (void *)(buf + o);
			long fd = 0;
			const char *c = d->name;

			o += d->reclen;
			if (*c < '0' || *c > '9')
				continue;
			while (*c >= '0' && *c <= '9')
				fd = fd * 10 + (*c++ - '0');
			if (fd == dir || fd >= (1 << 20))
				continue;
			if (host_fcntl((int)fd, F_GETFD, 0) == 0)
				inherit_fd(p, (int)fd);
		}
	}
	host_close(dir);
}

static int init_creds(struct cred *c)
{
	uid_t r, e, s;
	gid_t rg, eg, sg;
	int n;

	getresuid(&r, &e, &s);
	getresgid(&rg, &eg, &sg);
	c->uid = r;
	c->euid = e;
	c->suid = s;
	c->fsuid = e;
	c->gid = rg;
	c->egid = eg;
	c->sgid = sg;
	c->fsgid = eg;
	n = getgroups(0, NULL);
	if (n > 0) {
		c->groups = kcalloc((size_t)n, sizeof(uint32_t));
		if (!c->groups)
			return -ENOMEM;
		n = getgroups(n, (gid_t *)c->groups);
		c->ngroups = n > 0 ? n : 0;
	}
	if (e == 0)
		c->cap_effective = c->cap_permitted = 0x1ffffffffffull;
	return 0;
}

/* usercopy_current_mm: every uthread of the instance is a guest thread */
static struct mm *proc_current_mm(void)
{
	struct uthread *u = this_uthread();

	return u ? ((struct thread *)u)->proc->mm : NULL;
}

struct proc *proc_create_init(int *err)
{
	struct proc *p = kcalloc(1, sizeof(*p));
	long fd;
	int r;

	if (!p) {
		*err = -ENOMEM;
		return NULL;
	}
	r = usercopy_init(proc_current_mm);
	if (r < 0) {
		kfree(p);
		*err = r;
		return NULL;
	}
	spin_init(&p->lock);
	list_init(&p->threads);
	waitq_init(&p->exit_wq);
	list_init(&p->children);
	list_init(&p->sibling);
	p->state = PROC_RUNNING;
	p->dumpable = true;
	p->start_time_ns = kernel_now_ns();
	p->pid = pid_alloc();
	p->pgid = p->sid = p->pid;
	for (int s = 0; s < NSIG_LINUX; s++)
		p->sigact[s].handler = (uint64_t)SIG_DFL;
	kernel_initial_sigstate(p);
	for (int i = 0; i < RLIM_NLIMITS; i++)
		p->rlim[i] = kernel_initial_rlimit(i);
	p->fs.umask = kernel_initial_umask();

	r = init_creds(&p->cred);
	if (r < 0)
		goto fail;
	p->mm = kmalloc(sizeof(*p->mm));
	if (!p->mm) {
		r = -ENOMEM;
		goto fail;
	}
	r = mm_create(p->mm);
	if (r < 0) {
		kfree(p->mm);
		p->mm = NULL;
		goto fail;
	}
	p->fdt = fdtab_new();
	if (!p->fdt) {
		r = -ENOMEM;
		goto fail;
	}
	inherit_fds(p);

	fd = host_openat(AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0) {
		r = (int)fd;
		goto fail;
	}
	if (!getcwd(p->fs.cwd_path, sizeof(p->fs.cwd_path)))
		strcpy(p->fs.cwd_path, "/");
	p->fs.cwd = hostfs_wrap((int)fd, O_PATH, p->fs.cwd_path);
	if (!p->fs.cwd) {
		host_close((int)fd);
		r = -ENOMEM;
		goto fail;
	}
	spin_lock(&pid_lock);
	pids[p->pid].p = p;
	spin_unlock(&pid_lock);
	init_proc = p;
	return p;
fail:
	*err = r;
	return NULL;
}

static void thread_release(struct uthread *u)
{
	kfree((struct thread *)u);
}

static bool clone_caller_killed(void)
{
	struct uthread *u = this_uthread();

	/* kernel-only uthreads (unit tests) have no struct thread */
	return u && u->release == thread_release &&
	       __atomic_load_n(&current_thread()->killed, __ATOMIC_ACQUIRE);
}

struct thread *thread_create(struct proc *p, void (*fn)(void *), void *arg)
{
	struct thread *t = kcalloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (p->nr_threads == 0) {
		t->tid = p->pid;
	} else {
		t->tid = pid_alloc();
		if (t->tid < 0) {
			kfree(t);
			return NULL;
		}
	}
	if (uthread_init(&t->ut, fn, arg) < 0) {
		if (t->tid != p->pid)
			pid_free(t->tid);
		kfree(t);
		return NULL;
	}
	t->ut.release = thread_release;
	t->proc = p;
	t->sigaltstack.ss_flags = SS_DISABLE;
	memcpy(t->comm, p->comm, sizeof(t->comm));
	spin_lock(&p->lock);
	/*
	 * A clone racing with exit_group or execve: kill_others has marked
	 * the threads there were, and would miss this one. The caller is
	 * going too (killed, or the exec thread kills it).
	 */
	if (p->nr_threads && (p->exit_group_started || p->exec_thread ||
			      clone_caller_killed())) {
		spin_unlock(&p->lock);
		uthread_destroy(&t->ut);
		pid_free(t->tid);
		kfree(t);
		return NULL;
	}
	list_add_tail(&p->threads, &t->proc_node);
	p->nr_threads++;
	spin_unlock(&p->lock);
	spin_lock(&pid_lock);
	pids[t->tid].t = t;
	spin_unlock(&pid_lock);
	return t;
}

int proc_init_status(void)
{
	return init_status;
}

/* the shell's view of a wait status */
static int shell_status(int status)
{
	if ((status & 0x7f) == 0)
		return (status >> 8) & 0xff;
	return 128 + (status & 0x7f);
}

/* tear down what a process owns; the caller is its last thread */
static void proc_release_resources(struct proc *p)
{
	struct fdtab *fdt = p->fdt;
	struct mm *mm = p->mm;

	p->fdt = NULL;
	fdtab_put(fdt);
	file_put(p->fs.cwd);
	p->fs.cwd = NULL;
	if (mm) {
		mm_destroy(mm);
		kfree(mm);
	}
	p->mm = NULL;
}

/*
 * Walk the robust futex list of a dying thread (see
 * Documentation/locking/robust-futexes.rst): each lock it still holds gets
 * FUTEX_OWNER_DIED and one waiter is woken.
 */
#define ROBUST_LIST_LIMIT 2048

static void robust_cleanup(struct thread *t)
{
	struct {
		uint64_t next;
		int64_t futex_offset;
		uint64_t pending;
	} head;
	uint64_t entry, pending;
	int n = 0;

	if (!t->robust_list ||
	    copy_from_user(&head, (void *)t->robust_list, sizeof(head)))
		return;
	/* bit 0 of a link marks a PI mutex (glibc), not part of the address */
	entry = head.next & ~1ull;
	pending = head.pending & ~1ull;
	while (entry != t->robust_list && n++ < ROBUST_LIST_LIMIT) {
		uint64_t next;

		if (copy_from_user(&next, (void *)entry, 8))
			return;
		if (entry != pending)
			futex_owner_died(
				(uint32_t *)(entry + head.futex_offset),
				t->tid);
		entry = next & ~1ull;
	}
	if (pending)
		futex_owner_died((uint32_t *)(pending + head.futex_offset),
				 t->tid);
}

_Noreturn void thread_exit(int code)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	bool last;

	/* no xstate_save: nobody needs a dying thread's vector state */
	robust_cleanup(t);
	if (t->clear_child_tid) {
		uint32_t zero = 0;

		/* pthread_join waits on this (see set_tid_address(2)) */
		if (copy_to_user((void *)t->clear_child_tid, &zero, 4) == 0)
			futex_wake((uint32_t *)t->clear_child_tid, 1);
	}
	/* no thread_find from now on (before exec is told, below) */
	spin_lock(&pid_lock);
	pids[t->tid].t = NULL;
	spin_unlock(&pid_lock);
	spin_lock(&p->lock);
	list_del(&t->proc_node);
	last = --p->nr_threads == 0;
	/* the last thread out ends the process with its code (exit(2)) */
	if (last && !p->exit_group_started) {
		p->exit_group_started = true;
		p->exit_status = (code & 0xff) << 8;
	}
	{
		/* the current run too: it is not switched out yet */
		uint64_t cpu = sched_cpu_ns(&t->ut);
		uint64_t sys = t->ut.sys_ns < cpu ? t->ut.sys_ns : cpu;

		p->utime_ns += cpu - sys;
		p->stime_ns += sys;
	}
	if (p->exec_thread && p->nr_threads == 1)
		waitq_wake(&p->exit_wq, ~0u, 0);
	spin_unlock(&p->lock);
	futex_exit_pi(t->tid);
	if (t->tid != p->pid)
		pid_free(t->tid);
	if (last) {
		p->state = PROC_ZOMBIE;
		proc_release_resources(p);
		if (p == init_proc)
			init_status = shell_status(p->exit_status);
		/* no parent to wait for it yet: reap now */
		pid_free(p->pid);
		kfree(p->cred.groups);
		kfree(p);
	}
	sched_exit_current();
}

void thread_kick(struct thread *t)
{
	struct uthread *u = &t->ut;
	struct kthread *k;

	if (sched_wake_signal(u))
		return;
	/* running guest code on another kthread: interrupt it */
	k = __atomic_load_n(&u->last_kt, __ATOMIC_ACQUIRE);
	if (k && k != this_kthread() && k->cur == u &&
	    __atomic_load_n(&u->state, __ATOMIC_ACQUIRE) == UT_RUNNING) {
		__atomic_store_n(&k->need_resched, 1, __ATOMIC_RELEASE);
		host_tgkill((int)host_getpid(), (int)k->host_tid, SIG_PREEMPT);
	}
}

/*
 * Every other thread of @p leaves at its next kernel exit; woken from a
 * wait or interrupted in guest code so that it gets there. p->lock held
 * (which keeps the threads from being freed; sig_send kicks under it too).
 */
static void kill_others(struct proc *p, struct thread *self)
{
	struct list_node *it;

	list_for_each (&p->threads, it) {
		struct thread *t = list_entry(it, struct thread, proc_node);

		if (t != self && !t->killed) {
			__atomic_store_n(&t->killed, 1, __ATOMIC_RELEASE);
			thread_kick(t);
		}
	}
}

_Noreturn void proc_exit_group(int status)
{
	struct thread *self = current_thread();
	struct proc *p = self->proc;

	spin_lock(&p->lock);
	if (!p->exit_group_started) {
		p->exit_group_started = true;
		p->exit_status = status;
	}
	kill_others(p, self);
	spin_unlock(&p->lock);
	thread_exit(0);
}

static bool killed_now(void)
{
	return __atomic_load_n(&current_thread()->killed, __ATOMIC_ACQUIRE);
}

void proc_de_thread(void)
{
	struct thread *self = current_thread();
	struct proc *p = self->proc;
	int old_tid = self->tid;

	spin_lock(&p->lock);
	if (p->nr_threads == 1) {
		spin_unlock(&p->lock);
		return;
	}
	if (p->exit_group_started || p->exec_thread || self->killed) {
		spin_unlock(&p->lock);
		thread_exit(
			0); /* the process is going, or the other exec wins */
	}
	p->exec_thread = self;
	kill_others(p, self);
	while (p->nr_threads > 1) {
		if (waitq_wait_locked(&p->exit_wq, &p->lock, 0, killed_now) ==
		    -EINTR)
			break; /* an exit_group of another thread: it wins */
	}
	p->exec_thread = NULL;
	if (self->killed || p->exit_group_started) {
		spin_unlock(&p->lock);
		thread_exit(0);
	}
	spin_unlock(&p->lock);
	if (old_tid == p->pid)
		return;
	/* the leader is gone: its pid names this thread now (execve(2)) */
	spin_lock(&pid_lock);
	pids[p->pid].t = self;
	self->tid = p->pid;
	spin_unlock(&pid_lock);
	pid_free(old_tid);
}

/* the first return of a new thread: to the guest, after clone */
static void clone_child(void *arg)
{
	struct uthread *u = this_uthread();

	(void)arg;
	xstate_restore(u);
	return_to_guest_from(u->tf);
}

long thread_clone(const struct clone_req *req, struct trapframe *tf)
{
	struct thread *self = current_thread(), *t;
	struct proc *p = self->proc;
	uint64_t f = req->flags;
	uint32_t tid;

	/* see clone(2), ERRORS */
	if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND))
		return -EINVAL;
	if ((f & CLONE_SIGHAND) && !(f & CLONE_VM))
		return -EINVAL;
	if (!(f & CLONE_THREAD))
		return -ENOSYS; /* new processes: not yet (fork, vfork) */
	if ((f & (CLONE_FS | CLONE_FILES)) != (CLONE_FS | CLONE_FILES))
		return -EINVAL; /* threads share fd table and fs (README) */
	if (f & (CLONE_PIDFD | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
		 CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP |
		 CLONE_UNTRACED | CLONE_VFORK | CLONE_PTRACE))
		return -EINVAL;
	if (f & CSIGNAL)
		return -EINVAL; /* a thread sends no exit signal */
	if ((f & CLONE_SETTLS) && req->tls >= 0x7ffffffff000ull)
		return -EPERM;
	if (p->exit_group_started)
		return -EAGAIN;

	kernel_start_kthreads(); /* the first second thread: more kthreads */
	t = thread_create(p, clone_child, NULL);
	if (!t)
		return -EAGAIN;
	tid = (uint32_t)t->tid;
	/* the child returns from the same syscall with 0 */
	*t->ut.tf = *tf;
	t->ut.tf->rax = 0;
	if (req->stack)
		t->ut.tf->rsp = req->stack;
	if (f & CLONE_SETTLS)
		t->ut.tf->fsbase = req->tls;
	/*
	 * It starts with the parent's registers, vector ones included:
	 * written straight from the registers into the child's area (clone
	 * is a fast call; the parent's own state stays live), or copied if
	 * the parent's is saved already.
	 */
	xstate_copy_to(&self->ut, t->ut.xsave);
	t->ut.flags |= UT_XSAVED;
	t->sigmask = self->sigmask;
	t->sigaltstack.ss_flags = SS_DISABLE; /* cleared for CLONE_VM */
	memcpy(t->comm, self->comm, sizeof(t->comm));
	t->nice = self->nice;
	t->policy = self->policy;
	if (f & CLONE_CHILD_CLEARTID)
		t->clear_child_tid = req->child_tid;
	if ((f & CLONE_PARENT_SETTID) &&
	    copy_to_user((void *)req->parent_tid, &tid, 4)) {
		/* Linux writes it after the point of no return, too */
	}
	if (f & CLONE_CHILD_SETTID)
		copy_to_user((void *)req->child_tid, &tid, 4);
	sched_wake(&t->ut);
	return tid;
}

uint64_t thread_cpu_ns(struct thread *t)
{
	return sched_cpu_ns(&t->ut);
}

uint64_t proc_cpu_ns(struct proc *p, uint64_t *user, uint64_t *sys)
{
	uint64_t total, s;
	struct list_node *it;

	spin_lock(&p->lock);
	total = p->utime_ns + p->stime_ns;
	s = p->stime_ns;
	list_for_each (&p->threads, it) {
		struct thread *t = list_entry(it, struct thread, proc_node);

		total += sched_cpu_ns(&t->ut);
		s += t->ut.sys_ns;
	}
	spin_unlock(&p->lock);
	if (s > total)
		s = total;
	if (user)
		*user = total - s;
	if (sys)
		*sys = s;
	return total;
}
