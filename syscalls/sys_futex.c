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
