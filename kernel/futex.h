/* futex.h - futex operations */
#pragma once

#include <stdint.h>

/* set up the hash table; once, at start */
void futex_init(void);

/* futex(2): @op with FUTEX_PRIVATE_FLAG / FUTEX_CLOCK_REALTIME bits */
long futex_op(uint32_t *uaddr, int op, uint32_t val, const void *utimeout,
	      uint32_t *uaddr2, uint32_t val3);

/* futex_waitv(2) */
long futex_waitv(const void *uwaiters, unsigned n, unsigned flags,
		 const void *utimeout, int clockid);

/* wake up to @n waiters of @uaddr; returns how many */
int futex_wake(uint32_t *uaddr, int n);

/* robust futex of a dead thread @tid: mark FUTEX_OWNER_DIED, wake one */
void futex_owner_died(uint32_t *uaddr, int tid);

/* @tid has exited: waiters of PI locks it held take them (owner died) */
void futex_exit_pi(int tid);
