/* futex.h - futex operations */
#pragma once

#include <stdint.h>

/* futex(2): @op with FUTEX_PRIVATE_FLAG / FUTEX_CLOCK_REALTIME bits */
long futex_op(uint32_t *uaddr, int op, uint32_t val, const void *utimeout,
	      uint32_t *uaddr2, uint32_t val3);

/* the read-modify-write half of FUTEX_WAKE_OP; 0 or -errno */
long futex_wake_op_apply(uint32_t *uaddr2, uint32_t encoded);
