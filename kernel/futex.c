/* futex.c - futex operations */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <time.h>

#include "base/host.h"
#include "kernel/futex.h"
#include "kernel/proc.h"
#include "mm/usercopy.h"

/*
 * Each process still has a single thread, so no futex ever has a waiter
 * from our side: a wake wakes nobody, and a wait whose value matches can
 * only end by its timeout (or never, as on Linux). The wait queues and
 * parking come with threads (next issue).
 */
long futex_op(uint32_t *uaddr, int op, uint32_t val, const void *utimeout,
	      uint32_t *uaddr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	uint32_t cur;
	struct timespec ts;

	(void)uaddr2;
	if ((uintptr_t)uaddr & 3)
		return -EINVAL;
	switch (cmd) {
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && !val3)
			return -EINVAL;
		return 0;
	case FUTEX_REQUEUE:
		return 0;
	case FUTEX_CMP_REQUEUE:
		if (copy_from_user(&cur, uaddr, 4))
			return -EFAULT;
		return cur == val3 ? 0 : -EAGAIN;
	case FUTEX_WAKE_OP:
		/* the operation on *uaddr2 still happens; nobody to wake */
		return futex_wake_op_apply(uaddr2, val3);
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && !val3)
			return -EINVAL;
		if (realtime && cmd == FUTEX_WAIT)
			return -ENOSYS; /* Linux: only with WAIT_BITSET */
		if (copy_from_user(&cur, uaddr, 4))
			return -EFAULT;
		if (cur != val)
			return -EAGAIN;
		if (!utimeout) {
			/* Linux would wait forever: so do we, interruptibly */
			host_syscall0(SYS_pause);
			return -EINTR;
		}
		if (copy_from_user(&ts, utimeout, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		/* FUTEX_WAIT: relative; WAIT_BITSET: absolute */
		if (cmd == FUTEX_WAIT)
			host_syscall4(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts,
				      NULL);
		else
			host_syscall4(SYS_clock_nanosleep,
				      realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC,
				      TIMER_ABSTIME, &ts, NULL);
		return -ETIMEDOUT;
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_TRYLOCK_PI:
	case FUTEX_UNLOCK_PI:
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_CMP_REQUEUE_PI:
		return -ENOSYS;
	default:
		return -ENOSYS;
	}
}

long futex_wake_op_apply(uint32_t *uaddr2, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
	uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff;
	uint32_t old, nv;

	if (encoded & (8u << 28))
		oparg = 1u << (oparg & 31);
	if (copy_from_user(&old, uaddr2, 4))
		return -EFAULT;
	switch (op) {
	case FUTEX_OP_SET:
		nv = oparg;
		break;
	case FUTEX_OP_ADD:
		nv = old + oparg;
		break;
	case FUTEX_OP_OR:
		nv = old | oparg;
		break;
	case FUTEX_OP_ANDN:
		nv = old & ~oparg;
		break;
	case FUTEX_OP_XOR:
		nv = old ^ oparg;
		break;
	default:
		return -ENOSYS;
	}
	if (cmp > FUTEX_OP_CMP_GE)
		return -ENOSYS;
	(void)cmparg;
	if (copy_to_user(uaddr2, &nv, 4))
		return -EFAULT;
	return 0;
}
