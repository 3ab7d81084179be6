/* syscalls.h - the syscall table, handler definitions and entry points */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"

/* a guest pointer: never dereference, use mm/usercopy.h */
#define __user

/* handler: the six argument registers rdi, rsi, rdx, r10, r8, r9 */
typedef long (*sys_fn)(const uint64_t *args);

enum sys_status {
	SYS_SUPPORTED,
	SYS_PARTIAL, /* works as real programs use it; the note says what not */
	SYS_UNSUPPORTED, /* returns ->err deliberately; the note says why */
	SYS_NOTYET, /* not written yet: ENOSYS, reported once when called */
};

#define SYSF_FAST 0x1 /* body never touches vector state: skip the xsave */
#define SYSF_NORETURN 0x2 /* does not return on success (exit, execve) */

/* argument formats for --strace */
enum sys_arg {
	A_NONE,
	A_INT,
	A_UINT,
	A_HEX,
	A_PTR,
	A_FD,
	A_DIRFD,
	A_PATH,
	A_BUFW, /* buffer the guest passes in; its length is the next arg */
	A_BUFR, /* buffer filled by the call; length = return value */
	A_SIZE,
	A_OFF,
	A_OFLAGS,
	A_MODE,
	A_PROT,
	A_MFLAGS,
	A_SIG,
	A_ATFLAGS,
	A_WHENCE,
	A_CLOCK,
	A_FCNTL,
	A_IOCTL,
	A_ACCMODE,
	A_ARCHPRCTL,
	A_STRV, /* char *const argv[] */
	A_MADV,
	A_SIGHOW,
	A_FUTEXOP,
	A_CLONEF,
};

struct sys_entry {
	const char *name;
	sys_fn fn;
	uint8_t nargs;
	uint8_t status;
	uint8_t flags;
	uint8_t args[6];
	int16_t err; /* errno returned when there is no handler */
	const char *note;
};

#define SYS_TABLE_SIZE 512

extern const struct sys_entry sys_table[SYS_TABLE_SIZE];

/* the entry of @nr, or of an unknown number (ENOSYS) */
const struct sys_entry *sys_lookup(unsigned long nr);

/* the current trapframe, for handlers that need more than the arguments */
static inline struct trapframe *current_tf(void)
{
	return this_uthread()->tf;
}

/*
 * Handler definitions keep the ABI (six registers) apart from the typed
 * body: SYSCALL_DEFINE3(read, int, fd, void __user *, buf, size_t, n) { }
 */
#define __SC_ARG(i, t) ((t)(a[i]))

#define SYSCALL_DEFINE0(name)              \
	static long do_sys_##name(void);   \
	long sys_##name(const uint64_t *a) \
	{                                  \
		(void)a;                   \
		return do_sys_##name();    \
	}                                  \
	static long do_sys_##name(void)

#define SYSCALL_DEFINE1(name, t0, n0)                  \
	static long do_sys_##name(t0 n0);              \
	long sys_##name(const uint64_t *a)             \
	{                                              \
		return do_sys_##name(__SC_ARG(0, t0)); \
	}                                              \
	static long do_sys_##name(t0 n0)

#define SYSCALL_DEFINE2(name, t0, n0, t1, n1)                           \
	static long do_sys_##name(t0 n0, t1 n1);                        \
	long sys_##name(const uint64_t *a)                              \
	{                                                               \
		return do_sys_##name(__SC_ARG(0, t0), __SC_ARG(1, t1)); \
	}                                                               \
	static long do_sys_##name(t0 n0, t1 n1)

#define SYSCALL_DEFINE3(name, t0, n0, t1, n1, t2, n2)                  \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2);                \
	long sys_##name(const uint64_t *a)                             \
	{                                                              \
		return do_sys_##name(__SC_ARG(0, t0), __SC_ARG(1, t1), \
				     __SC_ARG(2, t2));                 \
	}                                                              \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2)

#define SYSCALL_DEFINE4(name, t0, n0, t1, n1, t2, n2, t3, n3)           \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3);          \
	long sys_##name(const uint64_t *a)                              \
	{                                                               \
		return do_sys_##name(__SC_ARG(0, t0), __SC_ARG(1, t1),  \
				     __SC_ARG(2, t2), __SC_ARG(3, t3)); \
	}                                                               \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3)

#define SYSCALL_DEFINE5(name, t0, n0, t1, n1, t2, n2, t3, n3, t4, n4)  \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4);  \
	long sys_##name(const uint64_t *a)                             \
	{                                                              \
		return do_sys_##name(__SC_ARG(0, t0), __SC_ARG(1, t1), \
				     __SC_ARG(2, t2), __SC_ARG(3, t3), \
				     __SC_ARG(4, t4));                 \
	}                                                              \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4)

#define SYSCALL_DEFINE6(name, t0, n0, t1, n1, t2, n2, t3, n3, t4, n4, t5, n5) \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4, t5 n5);  \
	long sys_##name(const uint64_t *a)                                    \
	{                                                                     \
		return do_sys_##name(__SC_ARG(0, t0), __SC_ARG(1, t1),        \
				     __SC_ARG(2, t2), __SC_ARG(3, t3),        \
				     __SC_ARG(4, t4), __SC_ARG(5, t5));       \
	}                                                                     \
	static long do_sys_##name(t0 n0, t1 n1, t2 n2, t3 n3, t4 n4, t5 n5)

/* prototypes of every handler named in the table */
#define SYS_IMPL(nr, name, ...) long sys_##name(const uint64_t *a);
#define SYS_PART SYS_IMPL
#define SYS_UNSUP(...)
#define SYS_LATER(...)
#include "syscalls/table.def"
#undef SYS_IMPL
#undef SYS_PART
#undef SYS_UNSUP
#undef SYS_LATER

/* dispatch.c */

struct sys_stats {
	uint64_t total, jumped, trapped;
};

/* Sum the per-kthread counters; @counts gets per-syscall totals. */
void sys_stats_collect(struct sys_stats *st, uint64_t *counts, int n);

/* the errno of a deliberately unsupported call, printed once */
long sys_not_supported(unsigned long nr);

/* hostsig.c */

/* Install our host signal handlers (SIGSYS, faults, forwarded signals). */
int hostsig_init(void);
/* the fast flags restore of return_to_guest, if the CPU has LAHF/SAHF */
void entry_init(void);

/* ehframe.c */

struct mm;
/*
 * Does a function of the object mapped at @site end exactly at @x, by its
 * .eh_frame_hdr? false if not, or not known.
 */
bool ehframe_fde_ends_at(struct mm *mm, uint64_t site, uint64_t x);
/* the start of the function containing @x, by .eh_frame_hdr; 0 if not known */
uint64_t ehframe_func_start(struct mm *mm, uint64_t site, uint64_t x);

/* rewrite.c */

/* Set up tier 2; @enable false is --no-rewrite. Returns 0 or -errno. */
int rewrite_init(bool enable);

/*
 * rewrite_site - try to turn the `mov $nr,%eax; syscall` that ends at
 * @rip into a jump to entry_jmp. Called after a trap from that site.
 * Returns 1 if rewritten, 0 if the site does not qualify.
 */
int rewrite_site(uint64_t rip, unsigned long nr);

/* how many sites have been rewritten */
unsigned rewrite_nr_sites(void);

/*
 * rewrite_int3_target - a guest thread met an int3 at @addr: if it is the
 * first byte of a site being rewritten by another thread, where the
 * thread goes instead (doing what the old code did); 0 if not ours.
 * Async-signal-safe.
 */
uint64_t rewrite_int3_target(uint64_t addr);

/* Is @addr inside one of our stub or slot pages? */
bool rewrite_owns(uint64_t addr, uint64_t len);

/* checkfast.c (--check-fast) */
struct vsnap;
struct vsnap *checkfast_enter(void);
void checkfast_exit(struct vsnap *before, const struct sys_entry *e,
		    unsigned long nr);
/* drop the snapshot unchecked (the state was saved meanwhile); NULL */
struct vsnap *checkfast_discard(struct vsnap *before);

/* strace.c */

/* open the --strace destination (NULL: our stderr); 0 or -errno */
int strace_init(const char *path);
extern bool strace_enabled;
/* a signal delivered (or fatal) to the current thread, at guest @ip */
void strace_signal(int sig, int code, uint64_t addr, uint64_t ip);
/* the process dies of @sig */
void strace_killed(int sig);
void strace_enter(const struct sys_entry *e, unsigned long nr,
		  const struct trapframe *tf);
void strace_exit(const struct sys_entry *e, unsigned long nr,
		 const struct trapframe *tf, long ret);
