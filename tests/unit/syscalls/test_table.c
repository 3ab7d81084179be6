/* test_table.c - sanity of the syscall table (syscalls/table.def) */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "syscalls/syscalls.h"

#define LAST_LOW 334 /* rseq: the end of the first block */
#define FIRST_HIGH 424 /* pidfd_send_signal: the common numbers */
#define LAST_HIGH 469 /* the last number the table knows */
#define X32_BIT 0x40000000ul
#define UNISTD_64 "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"

static void setup(void)
{
}

static void teardown(void)
{
}

TestSuite(table, .init = setup, .fini = teardown);

static bool in_table(unsigned long nr)
{
	return nr <= LAST_LOW || (nr >= FIRST_HIGH && nr <= LAST_HIGH);
}

Test(table, every_number_has_an_entry)
{
	for (unsigned long nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = sys_lookup(nr);

		if (!in_table(nr))
			continue;
		cr_assert_eq(e, &sys_table[nr], "sys_lookup(%lu)", nr);
		cr_assert_not_null(e->name, "syscall %lu has no entry", nr);
		cr_assert_neq(e->name[0], '\0', "syscall %lu: empty name", nr);
	}
}

Test(table, names_are_unique)
{
	for (unsigned i = 0; i < SYS_TABLE_SIZE; i++) {
		if (!sys_table[i].name)
			continue;
		for (unsigned j = i + 1; j < SYS_TABLE_SIZE; j++)
			cr_assert(!sys_table[j].name ||
					  strcmp(sys_table[i].name,
						 sys_table[j].name) != 0,
				  "%s is both %u and %u", sys_table[i].name, i,
				  j);
	}
}

/* the names are Linux's: cross-check with the installed uapi header */
Test(table, names_match_linux_numbers)
{
	FILE *f = fopen(UNISTD_64, "r");
	char line[256], name[128];
	unsigned long nr;
	int checked = 0;

	if (!f)
		cr_skip_test("%s not installed", UNISTD_64);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "#define __NR_%127s %lu", name, &nr) != 2)
			continue;
		cr_assert_lt(nr, SYS_TABLE_SIZE, "__NR_%s", name);
		cr_assert_not_null(sys_table[nr].name,
				   "__NR_%s (%lu) has no entry", name, nr);
		cr_assert_str_eq(sys_table[nr].name, name, "syscall %lu", nr);
		checked++;
	}
	fclose(f);
	cr_assert_gt(checked, 300, "only %d numbers in %s", checked, UNISTD_64);
}

Test(table, entry_fields)
{
	for (unsigned nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = &sys_table[nr];

		if (!e->name) {
			cr_assert_null(e->fn, "nameless %u has a handler", nr);
			continue;
		}
		cr_assert_leq(e->nargs, 6, "%s: %u arguments", e->name,
			      e->nargs);
		cr_assert(e->status == SYS_SUPPORTED ||
				  e->status == SYS_PARTIAL ||
				  e->status == SYS_UNSUPPORTED ||
				  e->status == SYS_NOTYET,
			  "%s: status %u", e->name, e->status);
		cr_assert_eq(e->flags & ~(SYSF_FAST | SYSF_NORETURN), 0,
			     "%s: unknown flags %#x", e->name, e->flags);
		switch (e->status) {
		case SYS_SUPPORTED:
		case SYS_PARTIAL:
			cr_assert_not_null(e->fn, "%s has no handler", e->name);
			cr_assert_eq(e->err, 0, "%s: err with a handler",
				     e->name);
			break;
		case SYS_UNSUPPORTED:
		case SYS_NOTYET:
			cr_assert_null(e->fn, "%s: handler but status %u",
				       e->name, e->status);
			cr_assert_gt(e->err, 0, "%s: no errno", e->name);
			cr_assert_lt(e->err, 4096, "%s: errno %d", e->name,
				     e->err);
			cr_assert_eq(e->flags, 0, "%s: flags without handler",
				     e->name);
			break;
		}
	}
}

Test(table, partial_and_unsupported_say_why)
{
	for (unsigned nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = &sys_table[nr];

		if (!e->name ||
		    (e->status != SYS_PARTIAL && e->status != SYS_UNSUPPORTED))
			continue;
		cr_expect(e->note && e->note[0], "%s (%u) is %s without a note",
			  e->name, nr,
			  e->status == SYS_PARTIAL ? "partial" : "unsupported");
	}
}

Test(table, notyet_is_enosys)
{
	for (unsigned nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = &sys_table[nr];

		if (e->name && e->status == SYS_NOTYET) {
			cr_assert_eq(e->err, ENOSYS, "%s", e->name);
			cr_assert(e->note && e->note[0], "%s", e->name);
		}
	}
}

/* the strace formats: one per argument, none past nargs */
Test(table, strace_formats_match_nargs)
{
	for (unsigned nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = &sys_table[nr];

		if (!e->fn)
			continue;
		for (unsigned i = 0; i < 6; i++) {
			cr_assert_leq(e->args[i], A_CLONEF, "%s arg %u",
				      e->name, i);
			if (i < e->nargs)
				cr_assert_neq(e->args[i], A_NONE,
					      "%s: no format for arg %u",
					      e->name, i);
			else
				cr_assert_eq(e->args[i], A_NONE,
					     "%s: format for arg %u of %u",
					     e->name, i, e->nargs);
		}
	}
}

/*
 * The argument counts of the not-yet-written calls, from the kernel's
 * SYSCALL_DEFINEn: --strace prints this many.
 */
Test(table, notyet_arg_counts)
{
	static const struct {
		const char *name;
		unsigned nargs;
	} want[] = {
		{"poll", 3},
		{"pipe", 1},
		{"select", 5},
		{"pause", 0},
		{"getitimer", 2},
		{"alarm", 1},
		{"setitimer", 3},
		{"clone", 5},
		{"fork", 0},
		{"vfork", 0},
		{"rt_sigtimedwait", 4},
		{"rt_sigsuspend", 2},
		{"epoll_create", 1},
		{"restart_syscall", 0},
		{"timer_create", 3},
		{"timer_settime", 4},
		{"timer_gettime", 2},
		{"timer_getoverrun", 1},
		{"timer_delete", 1},
		{"epoll_wait", 4},
		{"epoll_ctl", 4},
		{"mq_open", 4},
		{"mq_unlink", 1},
		{"mq_timedsend", 5},
		{"mq_timedreceive", 5},
		{"mq_notify", 2},
		{"mq_getsetattr", 3},
		{"inotify_init", 0},
		{"inotify_add_watch", 3},
		{"inotify_rm_watch", 2},
		{"pselect6", 6},
		{"ppoll", 5},
		{"splice", 6},
		{"tee", 4},
		{"sync_file_range", 4},
		{"vmsplice", 4},
		{"epoll_pwait", 6},
		{"signalfd", 3},
		{"timerfd_create", 2},
		{"eventfd", 1},
		{"timerfd_settime", 4},
		{"timerfd_gettime", 2},
		{"signalfd4", 4},
		{"eventfd2", 2},
		{"epoll_create1", 1},
		{"pipe2", 2},
		{"inotify_init1", 1},
		{"sched_setattr", 3},
		{"sched_getattr", 4},
		{"membarrier", 3},
		{"pidfd_send_signal", 4},
		{"pidfd_open", 2},
		{"clone3", 2},
		{"pidfd_getfd", 3},
		{"epoll_pwait2", 6},
		{"futex_waitv", 5},
		{"futex_wake", 4},
		{"futex_wait", 6},
		{"futex_requeue", 4},
	};
	int wrong = 0;
	char names[2048] = "";

	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		for (unsigned nr = 0; nr < SYS_TABLE_SIZE; nr++) {
			const struct sys_entry *e = &sys_table[nr];

			if (!e->name || strcmp(e->name, want[k].name) ||
			    e->status != SYS_NOTYET)
				continue;
			if (e->nargs != want[k].nargs) {
				size_t l = strlen(names);

				snprintf(names + l, sizeof(names) - l,
					 " %s(%u, not %u)", e->name,
					 want[k].nargs, e->nargs);
				wrong++;
			}
		}
	}
	cr_expect_eq(wrong, 0, "%d not-yet entries have a wrong nargs:%s",
		     wrong, names);
}

Test(table, unknown_numbers)
{
	const struct sys_entry *u = sys_lookup(335);

	cr_assert_null(u->name);
	cr_assert_null(u->fn);
	cr_assert_eq(u->status, SYS_NOTYET);
	cr_assert_eq(u->err, ENOSYS);
	cr_assert_eq(u->nargs, 0);
	cr_assert_not_null(u->note);
	for (unsigned long nr = LAST_LOW + 1; nr < FIRST_HIGH; nr++)
		cr_assert_eq(sys_lookup(nr), u, "%lu", nr);
	for (unsigned long nr = LAST_HIGH + 1; nr < SYS_TABLE_SIZE; nr++)
		cr_assert_eq(sys_lookup(nr), u, "%lu", nr);
	for (unsigned long nr = SYS_TABLE_SIZE; nr < 4096; nr++)
		cr_assert_eq(sys_lookup(nr), u, "%lu", nr);
	/* x32: the same numbers with bit 30 set */
	for (unsigned long nr = 0; nr < 1024; nr++)
		cr_assert_eq(sys_lookup(X32_BIT | nr), u, "x32 %lu", nr);
	cr_assert_eq(sys_lookup(0xffffffffffffffffull), u);
	cr_assert_eq(sys_lookup(0x100000000ull), u, "high bits set");
	cr_assert_eq(sys_lookup(0x100000000ull | 1), u, "high bits + 1");
	cr_assert_eq(sys_lookup((unsigned long)-ENOSYS), u);
}

Test(table, fast_flag_whitelist)
{
	/*
	 * SYSF_FAST skips the xsave: the body must not touch vector state.
	 * This is the set of commit 5c19ca6 (kmalloc and base/mem.c's string
	 * functions instead of glibc's; glibc is left to execve and strace,
	 * which are not FAST or save the state themselves), and clone/clone3
	 * (the child's state is written straight from the registers).
	 * --check-fast
	 * verifies it at run time; this list makes a change deliberate.
	 */
	static const char fast[] =
		" read write open close stat fstat lstat lseek mmap"
		" mprotect munmap brk rt_sigaction rt_sigprocmask ioctl"
		" pread64 pwrite64 readv writev access sched_yield mremap"
		" msync mincore madvise dup dup2 getpid exit kill uname"
		" fcntl fsync fdatasync ftruncate getcwd chdir fchdir"
		" rename mkdir rmdir creat link unlink symlink readlink"
		" chmod fchmod chown fchown lchown umask gettimeofday"
		" getrlimit sysinfo getuid getgid geteuid getegid getppid"
		" getpgrp getresuid getresgid getpgid getsid"
		" rt_sigpending sigaltstack statfs fstatfs arch_prctl"
		" gettid tkill time futex sched_getaffinity getdents64"
		" set_tid_address fadvise64 clock_gettime clock_getres"
		" exit_group tgkill openat mkdirat fchownat newfstatat"
		" unlinkat renameat linkat symlinkat readlinkat fchmodat"
		" faccessat set_robust_list get_robust_list utimensat"
		" dup3 preadv pwritev prlimit64 getcpu renameat2"
		" getrandom preadv2 pwritev2 statx close_range faccessat2"
		" fchmodat2 clone clone3 ";
	size_t nfast = 0, seen = 0;
	char key[64];

	for (const char *p = fast; *p; p++)
		nfast += *p == ' ' && p[1];
	for (unsigned nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = &sys_table[nr];
		bool listed;

		if (!e->name)
			continue;
		snprintf(key, sizeof(key), " %s ", e->name);
		listed = strstr(fast, key) != NULL;
		if (e->flags & SYSF_FAST) {
			cr_assert(listed, "%s is SYSF_FAST but not listed",
				  e->name);
			cr_assert_not_null(e->fn);
			seen++;
		} else {
			cr_assert_not(listed, "%s lost SYSF_FAST", e->name);
		}
	}
	cr_assert_eq(seen, nfast, "%zu FAST entries, %zu listed", seen, nfast);
}

Test(table, noreturn_flag)
{
	static const char *const noreturn[] = {"execve", "exit", "exit_group",
					       "execveat", "rt_sigreturn"};
	size_t seen = 0;

	for (unsigned nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = &sys_table[nr];
		bool listed = false;

		if (!e->name)
			continue;
		for (size_t k = 0; k < 5; k++)
			listed |= strcmp(e->name, noreturn[k]) == 0;
		cr_assert_eq(!!(e->flags & SYSF_NORETURN), listed, "%s",
			     e->name);
		seen += listed;
	}
	cr_assert_eq(seen, 5);
}
