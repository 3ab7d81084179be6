/* poll.h - readiness of files: the poll op and poll tables */
#pragma once

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"

struct file;

/*
 * What file_ops.poll registers with: for each wait queue the file's
 * readiness can change on, poll_wait() calls @queue, which typically adds
 * a wait entry (poll/select: wake the caller; epoll: mark the item ready).
 * @key is the events the caller cares about (host fds watch only those).
 */
struct poll_table {
	void (*queue)(struct poll_table *pt, struct waitq *wq, struct file *f);
	unsigned key;
};

static inline void poll_wait(struct poll_table *pt, struct waitq *wq,
			     struct file *f)
{
	if (pt && pt->queue)
		pt->queue(pt, wq, f);
}

/* the events every file reports whether asked or not */
#define POLL_ALWAYS (POLLERR | POLLHUP | POLLNVAL)

/*
 * file_poll - readiness of @f (POLL* bits), registering through @pt when
 * not NULL. Files without a poll op are always ready for I/O, as Linux
 * says of regular files.
 */
unsigned file_poll(struct file *f, struct poll_table *pt);
