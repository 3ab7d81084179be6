/* hostpoll.h - waiting for host fds (ttys, pipes, sockets) to be ready */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "base/spinlock.h"
#include "sched/sched.h"

/*
 * A host fd watched for readiness. When one of the armed events happens
 * the poller thread wakes @wq with the events; the watch is one-shot and
 * must be armed again to hear more. Embedded in the owner's object.
 */
struct hostwatch {
	struct spinlock lock; /* protects events, registered */
	int fd;
	uint32_t events; /* EPOLL* armed, 0 when not */
	bool registered; /* known to the host epoll */
	struct waitq *wq;
};

void hostwatch_init(struct hostwatch *w, int fd, struct waitq *wq);

/* watch for @events (EPOLLIN/OUT/...): 0 or -errno */
int hostwatch_arm(struct hostwatch *w, uint32_t events);

/* stop watching; after it returns the poller no longer touches @w */
void hostwatch_remove(struct hostwatch *w);
