/* wait.h - poll and select, and helpers of blocking syscalls */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * do_poll - wait until some of @fds (kernel copies) have events, or
 * until @deadline (kclock ns) if @has_timeout (deadline 0: do not wait).
 * Fills revents. Returns the count, or -EINTR / -ENOMEM.
 */
long do_poll(struct pollfd *fds, unsigned nfds, uint64_t deadline,
	     bool has_timeout);

/* select(2) on kernel copies of the sets (NULL for absent ones) */
long do_select(int nfds, unsigned long *in, unsigned long *out,
	       unsigned long *ex, uint64_t deadline, bool has_timeout);
