/* sys_futex.c - futex */
#include <stdint.h>

#include "kernel/futex.h"
#include "syscalls/syscalls.h"

SYSCALL_DEFINE6(futex, uint32_t __user *, uaddr, int, op, uint32_t, val,
		const void __user *, timeout, uint32_t __user *, uaddr2,
		uint32_t, val3)
{
	return futex_op(uaddr, op, val, timeout, uaddr2, val3);
}

SYSCALL_DEFINE5(futex_waitv, const void __user *, waiters, unsigned, n,
		unsigned, flags, const void __user *, timeout, int, clockid)
{
	return futex_waitv(waiters, n, flags, timeout, clockid);
}
