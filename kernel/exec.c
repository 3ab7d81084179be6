/* exec.c - execve: replace a process's image; starting the first program */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/kmalloc.h"
#include "base/host.h"
#include "base/log.h"
#include "base/str.h"
#include "kernel/exec.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "loader/loader.h"

/* loader_ops.open: open a program as the current guest process would */
static int exec_open(void *ctx, const char *path, char *abs, size_t abslen)
{
	struct nameidata nd;
	struct file *base, *f = NULL;
	struct stat st;
	long r, fd;

	(void)ctx;
	r = vfs_resolve(AT_FDCWD, path, LOOKUP_FOLLOW, &nd, &base);
	if (r < 0)
		return (int)r;
	r = vfs_open(&nd, O_RDONLY, 0, &f);
	file_put(base);
	if (r < 0)
		return (int)r;
	if (f->host_fd < 0 || !f->ops->fstat) {
		r = -EACCES;
		goto out;
	}
	r = f->ops->fstat(f, &st);
	if (r < 0)
		goto out;
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR; /* execve says EACCES; the loader says why */
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EACCES;
		goto out;
	}
	/* execute permission, as the host sees it (we are its user) */
	if (!(st.st_mode & 0111)) {
		r = -EACCES;
		goto out;
	}
	r = file_dpath(f, abs, abslen);
	if (r < 0)
		snprintf(abs, abslen, "%s", nd.abs);
	fd = host_fcntl(f->host_fd, F_DUPFD_CLOEXEC, 3);
	r = fd;
out:
	file_put(f);
	return (int)r;
}

static void set_comm(char comm[16], const char *path)
{
	const char *b = strrchr(path, '/');

	str_copy(comm, b ? b + 1 : path, 16);
}

/* reset what exec resets: see execve(2), "All process attributes..." */
static void reset_for_exec(struct proc *p, struct thread *t)
{
	for (int s = 0; s < NSIG_LINUX; s++) {
		if (p->sigact[s].handler != (uint64_t)SIG_IGN) {
			p->sigact[s].handler = (uint64_t)SIG_DFL;
			p->sigact[s].flags = 0;
			p->sigact[s].mask = 0;
			p->sigact[s].restorer = 0;
		}
	}
	t->sigaltstack.ss_sp = NULL;
	t->sigaltstack.ss_size = 0;
	t->sigaltstack.ss_flags = SS_DISABLE;
	t->robust_list = 0;
	t->robust_len = 0;
	t->clear_child_tid = 0;
	p->personality &= ~0x0040000ul; /* ADDR_NO_RANDOMIZE stays; others */
	p->dumpable = true;
	p->membarrier_reg = 0;
	fdtab_close_on_exec(p->fdt);
}

int exec_image(const char *filename, char *const argv[], char *const envp[],
	       struct trapframe *tf, char *why, size_t whylen, bool *found)
{
	struct thread *t = current_thread();
	struct proc *p = t->proc;
	struct loader_ops ops = {.open = exec_open};
	struct loader_creds cr = {
		.uid = p->cred.uid,
		.euid = p->cred.euid,
		.gid = p->cred.gid,
		.egid = p->cred.egid,
		.stack_limit = p->rlim[RLIMIT_STACK].rlim_cur,
	};
	struct loader_prep prep;
	struct load_result res;
	struct mm *mm, *old;
	bool fixed;
	int r;

	r = loader_prepare(&ops, filename, argv, envp, &prep, why, whylen);
	if (found)
		*found = prep.found;
	if (r < 0)
		return r;
	mm = kmalloc(sizeof(*mm));
	if (!mm) {
		r = -ENOMEM;
		goto out;
	}
	r = mm_create(mm);
	if (r < 0) {
		kfree(mm);
		snprintf(why, whylen, "no address space region left");
		goto out;
	}
	/*
	 * The new image goes into a new region while the old one still
	 * exists, so a failure leaves the caller intact - unless an image
	 * needs fixed addresses (non-PIE), which the old one may hold: then,
	 * like Linux, the old image goes first and a later failure kills.
	 */
	/* past here, like Linux's point of no return: one thread is left */
	proc_de_thread();
	old = p->mm;
	fixed = prep.main.info->type == ET_EXEC ||
		(prep.interp.info && prep.interp.info->type == ET_EXEC);
	if (fixed && old) {
		mm_destroy(old);
		kfree(old);
		old = NULL;
	}
	p->mm = mm;
	r = loader_commit(mm, &prep, &cr, &res, why, whylen);
	if (r < 0) {
		p->mm = old;
		mm_destroy(mm);
		kfree(mm);
		if (!old) {
			/* past the point of no return (see execve(2)) */
			loader_release(&prep);
			log_msg("execve %s: %s", filename, why);
			p->mm = NULL;
			proc_exit_group(SIGSEGV);
		}
		goto out;
	}
	if (old) {
		mm_destroy(old);
		kfree(old);
	}

	str_copy(p->exe, prep.main.path, sizeof(p->exe));
	p->exe_dev = prep.main.dev;
	p->exe_ino = prep.main.ino;
	set_comm(p->comm, prep.execfn);
	memcpy(t->comm, p->comm, sizeof(t->comm));
	reset_for_exec(p, t);

	/* the new image starts with zeroed registers and a clean FPU */
	memset(tf, 0, sizeof(*tf));
	tf->rip = res.entry;
	tf->rsp = res.sp;
	tf->rflags = 0x202;
	tf->orig_rax = (uint64_t)-1;
	xstate_init_area(t->ut.xsave);
	t->ut.flags |= UT_XSAVED;
	r = 0;
out:
	loader_release(&prep);
	return r;
}

int elf_file_like(const char *why)
{
	return strstr(why, LOADER_UNKNOWN_FORMAT) == NULL;
}

/*
 * Would a shell run @path as a script? Like bash: only a text file (no
 * NUL in its first line) that does not start like a binary.
 */
static bool text_file(const char *path)
{
	unsigned char buf[256];
	long fd = host_openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
	long n;

	if (fd < 0)
		return false;
	n = host_read((int)fd, buf, sizeof(buf));
	host_close((int)fd);
	if (n <= 0 || buf[0] == 0x7f)
		return false;
	for (long i = 0; i < n && buf[i] != '\n'; i++) {
		if (buf[i] == 0)
			return false;
	}
	return true;
}

/* ---- the instance's first program ---- */

static struct exec_start start;
static int start_error_status;

int exec_start_error_status(void)
{
	return start_error_status;
}

extern void return_to_guest_from(struct trapframe *tf);

/* the path execvp found for a bare @name (for the /bin/sh fallback) */
static char *cand_or(const char *name)
{
	static char found_path[PATH_MAX];
	const char *path = start.path ? start.path : "/usr/bin:/bin";

	for (const char *p = path;; p = strchr(p, ':') + 1) {
		size_t dl = strcspn(p, ":");
		struct stat st;

		snprintf(found_path, sizeof(found_path), "%.*s%s%s", (int)dl, p,
			 dl ? "/" : "", name);
		if (stat(found_path, &st) == 0 && S_ISREG(st.st_mode))
			return found_path;
		if (!strchr(p, ':'))
			return (char *)name;
	}
}

/* try @path; 0 on success. *found: the file itself exists */
static int try_start(const char *path, char *why, size_t whylen, bool *found)
{
	struct uthread *u = this_uthread();

	return exec_image(path, start.argv, start.envp, u->tf, why, whylen,
			  found);
}

/*
 * The first thread's body: find the program like execvp(3) and exec it,
 * then enter guest mode. Errors end the instance with 126 / 127.
 */
static void first_thread(void *arg)
{
	char why[LOADER_WHY + PATH_MAX];
	const char *name = start.name;
	int r = -ENOENT;
	bool found = false, eacces = false;

	(void)arg;
	why[0] = '\0';
	current_thread()->sigmask = kernel_initial_sigmask();
	if (strchr(name, '/')) {
		r = try_start(name, why, sizeof(why), &found);
	} else {
		const char *path = start.path ? start.path
					      : "/usr/local/bin:/usr/bin:/bin";
		char cand[PATH_MAX];
		char lastwhy[sizeof(why)] = "";

		/* like execvp: the first file found decides */
		for (const char *p = path;; p = strchr(p, ':') + 1) {
			size_t dl = strcspn(p, ":");

			snprintf(cand, sizeof(cand), "%.*s%s%s", (int)dl, p,
				 dl ? "/" : "", name);
			r = try_start(cand, why, sizeof(why), &found);
			if (r == 0 || (found && r != -EACCES))
				break;
			if (r == -EACCES) {
				eacces = true;
				snprintf(lastwhy, sizeof(lastwhy), "%s", why);
			}
			found = false;
			if (!strchr(p, ':'))
				break;
		}
		if (r < 0 && !found && eacces) {
			r = -EACCES;
			found = true;
			snprintf(why, sizeof(why), "%s", lastwhy);
		}
	}
	if (r == -ENOEXEC && found && !elf_file_like(why) &&
	    text_file(strchr(name, '/') ? name : cand_or(name))) {
		/* execvp runs a file of no known format with /bin/sh */
		size_t n = 0;
		char **sv;

		while (start.argv[n])
			n++;
		sv = kcalloc(n + 2, sizeof(char *));
		if (sv) {
			sv[0] = "/bin/sh";
			sv[1] = strchr(name, '/') ? (char *)name
						  : cand_or(name);
			for (size_t i = 1; i < n; i++)
				sv[i + 1] = start.argv[i];
			start.argv = sv;
			r = try_start("/bin/sh", why, sizeof(why), NULL);
		}
	}
	if (r < 0) {
		if (!found && r == -ENOENT && !strchr(name, '/'))
			log_msg("%s: command not found", name);
		else if (r == -ENOEXEC && !elf_file_like(why))
			log_msg("%s: cannot execute binary file", name);
		else
			log_msg("%s", why[0] ? why : strerror(-r));
		/* 127: no such program; 126: it exists but cannot run */
		start_error_status = found ? 126 : 127;
		proc_exit_group(start_error_status << 8);
	}
	xstate_restore(this_uthread());
	return_to_guest_from(this_uthread()->tf);
}

int exec_start_first(struct proc *p, const struct exec_start *s)
{
	struct thread *t;

	start = *s;
	t = thread_create(p, first_thread, NULL);
	if (!t)
		return -ENOMEM;
	sched_wake(&t->ut);
	return 0;
}
