/* test_epoll.c - epoll: level/edge/one-shot readiness, nesting, ctl errors */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include <criterion/criterion.h>

#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "sched/sched.h"

#include "helpers.h"

#define KADDR ((void *)0xffff800000000000ull)

static struct epoll_event evs[16];

static long add(struct file *ep, int fd, struct file *f, uint32_t events,
		uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return ep_ctl(ep, EPOLL_CTL_ADD, fd, f, &ev);
}

static long mod(struct file *ep, int fd, struct file *f, uint32_t events,
		uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return ep_ctl(ep, EPOLL_CTL_MOD, fd, f, &ev);
}

/* epoll_wait with timeout 0 */
static long wait0(struct file *ep)
{
	memset(evs, 0, sizeof(evs));
	return ep_wait(ep, evs, 16, 0, true);
}

static struct file *mkep(void)
{
	struct file *f;

	cr_assert_eq(ep_create(0, &f), 0);
	cr_assert(file_is_ep(f));
	return f;
}

static struct file *mkefd(unsigned init)
{
	struct file *f;

	cr_assert_eq(eventfd_create(init, EFD_NONBLOCK, &f), 0);
	return f;
}

static void efd_add(struct file *f, uint64_t v)
{
	cr_assert_eq(f->ops->write(f, &v, 8, -1), 8);
}

static uint64_t efd_take(struct file *f)
{
	uint64_t v = 0;

	cr_assert_eq(f->ops->read(f, &v, 8, -1), 8);
	return v;
}

static void setup(void)
{
	unit_kthread_setup();
	unit_proc_setup();
	unit_current_setup();
}

static void teardown(void)
{
	unit_kthread_teardown();
}

TestSuite(epoll, .init = setup, .fini = teardown, .timeout = 10);

Test(epoll, level_triggered)
{
	struct file *ep = mkep(), *e = mkefd(0);

	cr_assert_eq(add(ep, 3, e, EPOLLIN, 42), 0);
	cr_assert_eq(wait0(ep), 0);
	efd_add(e, 1);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].events, EPOLLIN, "only what was asked");
	cr_assert_eq(evs[0].data.u64, 42);
	cr_assert_eq(wait0(ep), 1, "still readable: reported again");
	efd_take(e);
	cr_assert_eq(wait0(ep), 0);
	cr_assert_eq(wait0(ep), 0);
	file_put(ep);
	file_put(e);
}

Test(epoll, ready_at_add)
{
	struct file *ep = mkep(), *e = mkefd(5);

	cr_assert_eq(add(ep, 3, e, EPOLLIN | EPOLLOUT, 1), 0);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].events, EPOLLIN | EPOLLOUT);
	file_put(ep);
	file_put(e);
}

Test(epoll, edge_triggered)
{
	struct file *ep = mkep(), *e = mkefd(0);

	cr_assert_eq(add(ep, 3, e, EPOLLIN | EPOLLET, 7), 0);
	cr_assert_eq(wait0(ep), 0);
	efd_add(e, 1);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].events, EPOLLIN);
	cr_assert_eq(wait0(ep), 0, "no new edge while it stays readable");
	efd_add(e, 1);
	cr_assert_eq(wait0(ep), 1, "another write is another edge");
	cr_assert_eq(wait0(ep), 0);
	cr_assert_eq(efd_take(e), 2);
	cr_assert_eq(wait0(ep), 0);
	file_put(ep);
	file_put(e);
}

Test(epoll, oneshot_until_mod)
{
	struct file *ep = mkep(), *e = mkefd(0);

	cr_assert_eq(add(ep, 3, e, EPOLLIN | EPOLLONESHOT, 7), 0);
	efd_add(e, 1);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(wait0(ep), 0, "disarmed after one event");
	efd_add(e, 1);
	cr_assert_eq(wait0(ep), 0, "even with new events");
	cr_assert_eq(mod(ep, 3, e, EPOLLIN | EPOLLONESHOT, 8), 0);
	cr_assert_eq(wait0(ep), 1, "re-armed, and it is ready");
	cr_assert_eq(evs[0].data.u64, 8, "with the new data");
	cr_assert_eq(wait0(ep), 0);
	file_put(ep);
	file_put(e);
}

Test(epoll, mod_changes_events)
{
	struct file *ep = mkep(), *e = mkefd(0);

	cr_assert_eq(add(ep, 3, e, EPOLLIN, 1), 0);
	cr_assert_eq(wait0(ep), 0);
	cr_assert_eq(mod(ep, 3, e, EPOLLOUT, 2), 0);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].events, EPOLLOUT);
	cr_assert_eq(evs[0].data.u64, 2);
	file_put(ep);
	file_put(e);
}

Test(epoll, pipe_ends)
{
	struct file *ep = mkep(), *r, *w;
	char c[4];

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	cr_assert_eq(add(ep, 3, r, EPOLLIN, 3), 0);
	cr_assert_eq(add(ep, 4, w, EPOLLOUT, 4), 0);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].data.u64, 4);
	cr_assert_eq(evs[0].events, EPOLLOUT);
	cr_assert_eq(w->ops->write(w, "ab", 2, -1), 2);
	cr_assert_eq(wait0(ep), 2);
	cr_assert_eq(evs[0].data.u64 + evs[1].data.u64, 7);
	/* the reader's HUP comes unasked once the writer is gone */
	cr_assert_eq(ep_ctl(ep, EPOLL_CTL_DEL, 4, w, NULL), 0);
	file_put(w);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].events, EPOLLIN | EPOLLHUP);
	cr_assert_eq(r->ops->read(r, c, 4, -1), 2);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].events, EPOLLHUP);
	file_put(ep);
	file_put(r);
}

Test(epoll, del_stops_events)
{
	struct file *ep = mkep(), *e = mkefd(1);

	cr_assert_eq(add(ep, 3, e, EPOLLIN, 1), 0);
	cr_assert_eq(ep_ctl(ep, EPOLL_CTL_DEL, 3, e, NULL), 0);
	cr_assert_eq(wait0(ep), 0, "a ready item that was removed");
	efd_add(e, 1);
	cr_assert_eq(wait0(ep), 0);
	cr_assert_eq(add(ep, 3, e, EPOLLIN, 2), 0, "can be added again");
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(evs[0].data.u64, 2);
	file_put(ep);
	file_put(e);
}

/* one file under two fds is two items */
Test(epoll, same_file_two_fds)
{
	struct file *ep = mkep(), *e = mkefd(1);

	cr_assert_eq(add(ep, 3, e, EPOLLIN, 3), 0);
	cr_assert_eq(add(ep, 4, e, EPOLLIN, 4), 0);
	cr_assert_eq(wait0(ep), 2);
	file_put(ep);
	file_put(e);
}

/* level-triggered items go to the back: maxevents does not starve any */
Test(epoll, maxevents_rotates)
{
	struct file *ep = mkep(), *e[3];
	int seen[3] = {0};

	for (int i = 0; i < 3; i++) {
		e[i] = mkefd(1);
		cr_assert_eq(add(ep, 3 + i, e[i], EPOLLIN, (uint64_t)i), 0);
	}
	for (int call = 0; call < 3; call++) {
		cr_assert_eq(ep_wait(ep, evs, 2, 0, true), 2);
		seen[evs[0].data.u64]++;
		seen[evs[1].data.u64]++;
		cr_assert_neq(evs[0].data.u64, evs[1].data.u64);
	}
	for (int i = 0; i < 3; i++)
		cr_assert_eq(seen[i], 2, "item %d reported %d times of 6", i,
			     seen[i]);
	for (int i = 0; i < 3; i++)
		file_put(e[i]);
	file_put(ep);
}

Test(epoll, wait_arguments)
{
	struct file *ep = mkep();
	static struct epoll_event big[100000];

	cr_assert_eq(ep_wait(ep, evs, 0, 0, true), -EINVAL);
	cr_assert_eq(ep_wait(ep, evs, -1, 0, true), -EINVAL);
	cr_assert_eq(ep_wait(ep, KADDR, 1, 0, true), -EFAULT);
	/* Linux's limit is INT_MAX / sizeof(struct epoll_event) */
	cr_expect_eq(ep_wait(ep, big, 100000, 0, true), 0,
		     "maxevents 100000 is valid on Linux");
	file_put(ep);
}

Test(epoll, ctl_errors)
{
	struct file *ep = mkep(), *e = mkefd(0), *e2 = mkefd(0);
	static const struct file_ops no_poll_ops = {0};
	struct file *plain =
		file_alloc(&no_poll_ops, FS_ANON, O_RDWR, -1, NULL);
	struct epoll_event ev = {.events = EPOLLIN};

	cr_assert_eq(add(ep, 3, e, EPOLLIN, 0), 0);
	cr_assert_eq(add(ep, 3, e, EPOLLIN, 0), -EEXIST);
	cr_assert_eq(mod(ep, 4, e2, EPOLLIN, 0), -ENOENT);
	cr_assert_eq(ep_ctl(ep, EPOLL_CTL_DEL, 4, e2, NULL), -ENOENT);
	cr_assert_eq(mod(ep, 4, e, EPOLLIN, 0), -ENOENT, "the fd is the key");
	cr_assert_eq(add(ep, 5, ep, EPOLLIN, 0), -EINVAL, "itself");
	cr_assert_eq(ep_ctl(ep, 99, 4, e2, &ev), -EINVAL, "bad op");
	cr_assert_eq(add(ep, 6, plain, EPOLLIN, 0), -EPERM, "no poll op");
	cr_assert_eq(ep_ctl(ep, EPOLL_CTL_ADD, 4, e2, KADDR), -EFAULT);
	/* EPOLLEXCLUSIVE: only at ADD, and never changed by MOD */
	cr_assert_eq(mod(ep, 3, e, EPOLLIN | EPOLLEXCLUSIVE, 0), -EINVAL);
	cr_assert_eq(add(ep, 4, e2, EPOLLIN | EPOLLEXCLUSIVE, 0), 0);
	cr_assert_eq(mod(ep, 4, e2, EPOLLIN, 0), -EINVAL);
	file_put(plain);
	file_put(ep);
	file_put(e);
	file_put(e2);
}

/*
 * epoll_ctl(2): "EINVAL: EPOLLEXCLUSIVE was specified in event and fd
 * refers to an epoll instance", and with flags other than EPOLLIN,
 * EPOLLOUT, EPOLLERR, EPOLLHUP, EPOLLWAKEUP, EPOLLET (e.g. EPOLLONESHOT).
 */
Test(epoll, exclusive_restrictions)
{
	struct file *ep = mkep(), *inner = mkep(), *e = mkefd(0);

	cr_expect_eq(add(ep, 3, inner, EPOLLIN | EPOLLEXCLUSIVE, 0), -EINVAL,
		     "EPOLLEXCLUSIVE on an epoll fd");
	cr_expect_eq(add(ep, 4, e, EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 0),
		     -EINVAL, "EPOLLEXCLUSIVE with EPOLLONESHOT");
	cr_assert_eq(add(ep, 5, e, EPOLLIN | EPOLLEXCLUSIVE | EPOLLET, 0), 0);
	file_put(ep);
	file_put(inner);
	file_put(e);
}

/* Linux ignores event bits it does not know (no EINVAL) */
Test(epoll, unknown_event_bits_are_ignored)
{
	struct file *ep = mkep(), *e = mkefd(1);

	cr_expect_eq(add(ep, 3, e, EPOLLIN | (1u << 20), 0), 0);
	file_put(ep);
	file_put(e);
}

Test(epoll, loops_are_refused)
{
	struct file *a = mkep(), *b = mkep(), *c = mkep();

	cr_assert_eq(add(a, 10, b, EPOLLIN, 0), 0);
	cr_assert_eq(add(b, 11, c, EPOLLIN, 0), 0);
	cr_assert_eq(add(b, 12, a, EPOLLIN, 0), -ELOOP);
	cr_assert_eq(add(c, 13, a, EPOLLIN, 0), -ELOOP, "a longer cycle");
	cr_assert_eq(add(c, 14, b, EPOLLIN, 0), -ELOOP);
	cr_assert_eq(ep_ctl(a, EPOLL_CTL_DEL, 10, b, NULL), 0);
	cr_assert_eq(add(c, 13, a, EPOLLIN, 0), 0, "no cycle any more");
	file_put(a);
	file_put(b);
	file_put(c);
}

/*
 * Linux allows at most EP_MAX_NESTS (4) epoll-to-epoll links in a path,
 * whichever order the chain is built in; so does the wakeup recursion
 * through nested epolls stay bounded on a 64 KiB kernel stack.
 */
Test(epoll, nesting_depth_is_limited)
{
	struct file *ep[6];
	long r = 0;

	for (int i = 0; i < 6; i++)
		ep[i] = mkep();
	/* top down: 0 -> 1 -> 2 -> 3 -> 4 is allowed, 4 -> 5 is not */
	for (int i = 0; i < 4; i++)
		cr_assert_eq(add(ep[i], 10 + i, ep[i + 1], EPOLLIN, 0), 0);
	r = add(ep[4], 14, ep[5], EPOLLIN, 0);
	cr_expect_eq(r, -ELOOP, "a 5th link (top down) gave %ld", r);
	for (int i = 0; i < 6; i++)
		file_put(ep[i]);
}

Test(epoll, nested_epoll_reports_readiness)
{
	struct file *outer = mkep(), *inner = mkep(), *e = mkefd(0);

	cr_assert_eq(add(inner, 3, e, EPOLLIN, 33), 0);
	cr_assert_eq(add(outer, 4, inner, EPOLLIN, 44), 0);
	cr_assert_eq(wait0(outer), 0);
	cr_assert_eq(file_poll(inner, NULL), 0);
	efd_add(e, 1);
	cr_assert_eq(file_poll(inner, NULL), POLLIN | POLLRDNORM);
	cr_assert_eq(wait0(outer), 1);
	cr_assert_eq(evs[0].data.u64, 44);
	cr_assert_eq(evs[0].events, EPOLLIN);
	cr_assert_eq(wait0(inner), 1);
	cr_assert_eq(evs[0].data.u64, 33);
	efd_take(e);
	cr_assert_eq(wait0(outer), 0, "the inner one is no longer ready");
	file_put(outer);
	file_put(inner);
	file_put(e);
}

/*
 * close(2) of the last fd of a watched file removes it from every epoll
 * (epoll(7), Q6): the file is released - a pipe's reader then sees EOF -
 * and no more events come for it.
 */
Test(epoll, closing_last_fd_removes_item)
{
	struct fdtab *t = current_proc()->fdt;
	struct file *ep = mkep(), *r, *w;
	char c;
	int wfd;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	wfd = fdtab_install(t, w, 0, false, INT_MAX);
	cr_assert_geq(wfd, 0);
	cr_assert_eq(add(ep, wfd, w, EPOLLOUT, 9), 0);
	cr_assert_eq(wait0(ep), 1);
	cr_assert_eq(fdtab_close(t, wfd), 0);
	cr_expect_eq(r->ops->read(r, &c, 1, -1), 0,
		     "EOF: the write end is gone");
	cr_expect_eq(wait0(ep), 0, "no event for a closed file");
	file_put(ep);
	file_put(r);
}

/* ---- blocking ---- */

static void setup_sched(void)
{
	unit_sched_setup(1, true);
}

TestSuite(epoll_block, .init = setup_sched, .timeout = 10);

static struct file *bep, *bfile;
static struct {
	long r;
	struct epoll_event ev[4];
	uint64_t woke_at, start;
	int state;
	struct thread *t;
} bw;

static void waiter(void *arg)
{
	uint64_t timeout = (uint64_t)(uintptr_t)arg;

	bw.start = unit_now;
	bw.r = ep_wait(bep, bw.ev, 4, timeout ? unit_now + timeout : 0,
		       timeout != 0);
	bw.woke_at = unit_now;
	unit_log(1);
}

static void efd_writer(void *arg)
{
	(void)arg;
	bw.state = __atomic_load_n(&bw.t->ut.state, __ATOMIC_ACQUIRE);
	efd_add(bfile, 1);
	unit_log(2);
}

Test(epoll_block, wait_blocks_until_ready)
{
	bep = mkep();
	bfile = mkefd(0);
	cr_assert_eq(add(bep, 3, bfile, EPOLLIN, 5), 0);
	bw.t = unit_spawn(waiter, NULL);
	unit_spawn(efd_writer, NULL);
	unit_run();
	cr_assert_eq(bw.state, UT_BLOCKED);
	cr_assert_eq(bw.r, 1);
	cr_assert_eq(bw.ev[0].events, EPOLLIN);
	cr_assert_eq(bw.ev[0].data.u64, 5);
	unit_log_expect((int[]){2, 1}, 2);
}

Test(epoll_block, nested_wakeup)
{
	struct file *inner = mkep();

	bep = mkep();
	bfile = mkefd(0);
	cr_assert_eq(add(inner, 3, bfile, EPOLLIN, 5), 0);
	cr_assert_eq(add(bep, 4, inner, EPOLLIN, 6), 0);
	bw.t = unit_spawn(waiter, NULL);
	unit_spawn(efd_writer, NULL);
	unit_run();
	cr_assert_eq(bw.r, 1);
	cr_assert_eq(bw.ev[0].data.u64, 6);
}

static void jump_clock(void *arg)
{
	unit_clock_advance((uint64_t)(uintptr_t)arg);
	unit_log(9);
}

Test(epoll_block, wait_times_out)
{
	bep = mkep();
	bfile = mkefd(0);
	cr_assert_eq(add(bep, 3, bfile, EPOLLIN, 5), 0);
	unit_spawn(waiter, (void *)1000);
	unit_spawn(jump_clock, (void *)999);
	unit_spawn(jump_clock, (void *)1);
	unit_run();
	cr_assert_eq(bw.r, 0);
	cr_assert_eq(bw.woke_at, bw.start + 1000);
	unit_log_expect((int[]){9, 9, 1}, 3);
}

Test(epoll_block, timerfd_expiry_wakes)
{
	struct itimerspec v = {.it_value = {0, 500}};

	bep = mkep();
	cr_assert_eq(tfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK, &bfile), 0);
	cr_assert_eq(tfd_settime(bfile, 0, &v, NULL), 0);
	cr_assert_eq(add(bep, 3, bfile, EPOLLIN, 7), 0);
	unit_spawn(waiter, NULL);
	unit_spawn(jump_clock, (void *)500);
	unit_run();
	cr_assert_eq(bw.r, 1);
	cr_assert_eq(bw.ev[0].data.u64, 7);
	cr_assert_eq(bw.ev[0].events, EPOLLIN);
}
