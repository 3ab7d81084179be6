/* dispatch.c - the one C entry for every syscall, whatever its tier */
#include <cpuid.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "base/log.h"
#include "kernel/kernel.h"
#include "syscalls/syscalls.h"

/* entry.S: rflags bits that need popfq on the way back to the guest */
extern uint64_t rflags_slow_mask;

#define RFLAGS_SAHF_BITS 0xad7ull /* CF, 1, PF, AF, ZF, SF, IF, OF */

void entry_init(void)
{
	unsigned a, b, c, d;

	/* LAHF/SAHF in 64-bit mode: CPUID 0x80000001 ECX bit 0 */
	if (__get_cpuid(0x80000001, &a, &b, &c, &d) && (c & 1))
		rflags_slow_mask = ~RFLAGS_SAHF_BITS;
}

/* per syscall number: has the "not implemented" message been printed? */
static atomic_uchar reported[SYS_TABLE_SIZE + 1];

long sys_not_supported(unsigned long nr)
{
	const struct sys_entry *e = sys_lookup(nr);
	unsigned idx = nr < SYS_TABLE_SIZE ? (unsigned)nr : SYS_TABLE_SIZE;

	/*
	 * Deliberate errnos (SYS_UNSUPPORTED) are documented in --syscalls and
	 * stay quiet; calls we have not written yet are reported once.
	 */
	if (e->status == SYS_NOTYET && !atomic_exchange(&reported[idx], 1)) {
		if (e->name)
			log_msg("syscall %s (%lu) is not implemented yet: ENOSYS",
				e->name, nr);
		else
			log_msg("unknown syscall %lu: ENOSYS", nr);
	}
	return -e->err;
}

/*
 * syscall_entry_c - called by entry.S on the uthread's kernel stack with
 * our FS base and the selector ALLOW; @how is an enum entry_kind.
 */
void syscall_entry_c(struct trapframe *tf, int how)
{
	struct kthread *k = this_kthread();
	struct uthread *u = k->cur;
	/* like Linux, the number is the low 32 bits of rax, sign-extended */
	unsigned long nr = (unsigned long)(long)(int)tf->orig_rax;
	const struct sys_entry *e = sys_lookup(nr);
	struct vsnap *check = NULL;
	uint64_t t0 = 0;
	long ret;

	/* what the syscall instruction does to rcx and r11 */
	tf->rcx = tf->rip;
	tf->r11 = tf->rflags;

	if (how == ENTRY_TRAP)
		k->nr_trapped++;
	else
		k->nr_jumped++;
	if (nr < SYS_TABLE_SIZE)
		k->sys_counts[nr]++;

	if (!(e->flags & SYSF_FAST) || strace_enabled || how == ENTRY_TRAP) {
		/*
		 * Time in the kernel, for getrusage: measured on calls that
		 * already pay for the xsave; the fast ones (tens of ns)
		 * count as user time (README).
		 */
		t0 = sched_clock_ns();
		xstate_save(u);
	} else if (kopts.check_fast && !(u->flags & UT_XSAVED))
		check = checkfast_enter();
	if (how == ENTRY_TRAP)
		rewrite_site(tf->rip, nr);
	if (strace_enabled)
		strace_enter(e, nr, tf);

	if (e->fn)
		ret = e->fn(&tf->rdi);
	else
		ret = sys_not_supported(nr);

	if (strace_enabled)
		strace_exit(e, nr, tf, ret);
	tf->rax = (uint64_t)ret;
	if (t0) {
		/* the uthread may have moved: it is this_uthread() still */
		uint64_t t1 = sched_clock_ns();

		this_uthread()->sys_ns += t1 - t0;
	}
	kernel_exit_work(tf);
	/*
	 * Saved on the way out (a signal frame gives the handler a clean
	 * state, a switch saves it): the registers now come from the area,
	 * as they should, and may rightly differ from the entry snapshot.
	 */
	if (check && (u->flags & UT_XSAVED))
		check = checkfast_discard(check);
	xstate_restore(u);
	if (check)
		checkfast_exit(check, e, nr);
}

void sys_stats_collect(struct sys_stats *st, uint64_t *counts, int n)
{
	memset(st, 0, sizeof(*st));
	if (counts)
		memset(counts, 0, sizeof(uint64_t) * (size_t)n);
	for (int i = 0; i < kernel_nr_kthreads(); i++) {
		struct kthread *k = kernel_kthread(i);

		st->jumped += k->nr_jumped;
		st->trapped += k->nr_trapped;
		for (int j = 0; counts && j < n && j < kthread_sys_count_max();
		     j++)
			counts[j] += k->sys_counts[j];
	}
	st->total = st->jumped + st->trapped;
}
