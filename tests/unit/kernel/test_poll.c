/* test_poll.c - poll(2) and select(2): readiness bits, timeouts, wakeups */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>

#include <criterion/criterion.h>

#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "kernel/wait.h"
#include "sched/sched.h"

#include "helpers.h"

/* fds of the unit process */
static int install(struct file *f)
{
	int fd = fdtab_install(unit_proc()->fdt, f, 0, false, INT_MAX);

	cr_assert_geq(fd, 0);
	return fd;
}

static int rfd, wfd;

/* a pipe as fds rfd and wfd */
static void mkpipe(void)
{
	struct file *r, *w;

	cr_assert_eq(pipe_create(O_NONBLOCK, &r, &w), 0);
	rfd = install(r);
	wfd = install(w);
}

static void write_fd(int fd, const void *b, size_t n)
{
	struct file *f = fdtab_get(unit_proc()->fdt, fd);

	cr_assert_not_null(f);
	cr_assert_eq(f->ops->write(f, b, n, -1), (long)n);
	file_put(f);
}

/* poll without waiting */
static long poll0(struct pollfd *fds, unsigned n)
{
	return do_poll(fds, n, 0, true);
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

TestSuite(poll, .init = setup, .fini = teardown, .timeout = 10);

Test(poll, pipe_bits)
{
	struct pollfd p[2];

	mkpipe();
	p[0] = (struct pollfd){.fd = rfd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = wfd, .events = POLLOUT};
	cr_assert_eq(poll0(p, 2), 1);
	cr_assert_eq(p[0].revents, 0);
	cr_assert_eq(p[1].revents, POLLOUT);
	write_fd(wfd, "x", 1);
	p[0].events = POLLIN | POLLRDNORM;
	cr_assert_eq(poll0(p, 2), 2);
	cr_assert_eq(p[0].revents, POLLIN | POLLRDNORM);
	cr_assert_eq(p[1].revents, POLLOUT);
	/* only what was asked, and the ones always reported */
	p[0].events = POLLOUT;
	p[1].events = POLLIN;
	cr_assert_eq(poll0(p, 2), 0);
	cr_assert_eq(p[0].revents, 0);
	cr_assert_eq(p[1].revents, 0);
}

Test(poll, hangup_and_error_are_always_reported)
{
	struct pollfd p;

	mkpipe();
	write_fd(wfd, "x", 1);
	cr_assert_eq(fdtab_close(unit_proc()->fdt, wfd), 0);
	p = (struct pollfd){.fd = rfd, .events = 0};
	cr_assert_eq(poll0(&p, 1), 1);
	cr_assert_eq(p.revents, POLLHUP, "POLLHUP without asking");
	p.events = POLLIN;
	cr_assert_eq(poll0(&p, 1), 1);
	cr_assert_eq(p.revents, POLLIN | POLLHUP, "data is still there");

	mkpipe();
	cr_assert_eq(fdtab_close(unit_proc()->fdt, rfd), 0);
	p = (struct pollfd){.fd = wfd, .events = POLLOUT};
	cr_assert_eq(poll0(&p, 1), 1);
	cr_assert_eq(p.revents, POLLOUT | POLLERR);
}

Test(poll, invalid_and_negative_fds)
{
	struct pollfd p[3];

	mkpipe();
	write_fd(wfd, "x", 1);
	p[0] = (struct pollfd){.fd = 1000, .events = POLLIN};
	p[1] = (struct pollfd){.fd = -1, .events = POLLIN, .revents = 77};
	p[2] = (struct pollfd){.fd = rfd, .events = POLLIN};
	cr_assert_eq(poll0(p, 3), 2);
	cr_assert_eq(p[0].revents, POLLNVAL);
	cr_assert_eq(p[1].revents, 0, "a negative fd is skipped, revents 0");
	cr_assert_eq(p[2].revents, POLLIN);
	cr_assert_eq(poll0(p, 0), 0, "no fds");
}

Test(poll, eventfd_bits)
{
	struct file *e;
	struct pollfd p;
	uint64_t one = 1;

	cr_assert_eq(eventfd_create(0, EFD_NONBLOCK, &e), 0);
	p = (struct pollfd){.fd = install(e), .events = POLLIN | POLLOUT};
	cr_assert_eq(poll0(&p, 1), 1);
	cr_assert_eq(p.revents, POLLOUT);
	write_fd(p.fd, &one, 8);
	cr_assert_eq(poll0(&p, 1), 1);
	cr_assert_eq(p.revents, POLLIN | POLLOUT);
}

Test(poll, select_sets)
{
	unsigned long in[2], out[2], ex[2];

	mkpipe();
	in[0] = out[0] = ex[0] = 0;
	in[0] |= 1ul << rfd;
	out[0] |= 1ul << wfd | 1ul << rfd;
	ex[0] |= 1ul << rfd;
	cr_assert_eq(do_select(wfd + 1, in, out, ex, 0, true), 1);
	cr_assert_eq(in[0], 0);
	cr_assert_eq(out[0], 1ul << wfd, "the read end is never writable");
	cr_assert_eq(ex[0], 0);
	write_fd(wfd, "x", 1);
	in[0] = 1ul << rfd;
	out[0] = 1ul << wfd;
	cr_assert_eq(do_select(wfd + 1, in, out, NULL, 0, true), 2);
	cr_assert_eq(in[0], 1ul << rfd);
	cr_assert_eq(out[0], 1ul << wfd);
	/* a closed fd in a set is EBADF */
	in[0] = 1ul << (wfd + 1);
	cr_assert_eq(do_select(wfd + 2, in, NULL, NULL, 0, true), -EBADF);
	/* nothing asked */
	cr_assert_eq(do_select(0, NULL, NULL, NULL, 0, true), 0);
}

/* ---- blocking ---- */

static void setup_sched(void)
{
	unit_sched_setup(1, true);
}

TestSuite(poll_block, .init = setup_sched, .timeout = 10);

static struct {
	struct pollfd p[3];
	long r;
	int state;
	uint64_t start, woke_at;
	struct thread *t;
} pw;

static void poller(void *arg)
{
	uint64_t timeout = (uint64_t)(uintptr_t)arg;

	pw.start = unit_now;
	pw.r = do_poll(pw.p, 3, timeout ? unit_now + timeout : 0, timeout != 0);
	pw.woke_at = unit_now;
	unit_log(1);
}

static void writer(void *arg)
{
	int fd = (int)(intptr_t)arg;

	pw.state = __atomic_load_n(&pw.t->ut.state, __ATOMIC_ACQUIRE);
	write_fd(fd, "x", 1);
	unit_log(2);
}

/* three pipes; the second becomes readable */
Test(poll_block, poll_waits_for_any)
{
	int fds[3];

	for (int i = 0; i < 3; i++) {
		mkpipe();
		fds[i] = wfd;
		pw.p[i] = (struct pollfd){.fd = rfd, .events = POLLIN};
	}
	pw.t = unit_spawn(poller, NULL);
	unit_spawn(writer, (void *)(intptr_t)fds[1]);
	unit_run();
	cr_assert_eq(pw.state, UT_BLOCKED);
	cr_assert_eq(pw.r, 1);
	cr_assert_eq(pw.p[0].revents, 0);
	cr_assert_eq(pw.p[1].revents, POLLIN);
	cr_assert_eq(pw.p[2].revents, 0);
	unit_log_expect((int[]){2, 1}, 2);
}

static void jump_clock(void *arg)
{
	unit_clock_advance((uint64_t)(uintptr_t)arg);
	unit_log(9);
}

Test(poll_block, poll_times_out)
{
	for (int i = 0; i < 3; i++) {
		mkpipe();
		pw.p[i] = (struct pollfd){
			.fd = rfd, .events = POLLIN, .revents = 55};
	}
	unit_spawn(poller, (void *)2000);
	unit_spawn(jump_clock, (void *)1999);
	unit_spawn(jump_clock, (void *)1);
	unit_run();
	cr_assert_eq(pw.r, 0);
	cr_assert_eq(pw.woke_at, pw.start + 2000);
	for (int i = 0; i < 3; i++)
		cr_assert_eq(pw.p[i].revents, 0);
	unit_log_expect((int[]){9, 9, 1}, 3);
}

static void signaller(void *arg)
{
	(void)arg;
	pw.state = __atomic_load_n(&pw.t->ut.state, __ATOMIC_ACQUIRE);
	__atomic_or_fetch(&pw.t->sig_pending, 1ull << (SIGUSR1 - 1),
			  __ATOMIC_RELEASE);
	sched_wake_signal(&pw.t->ut);
}

Test(poll_block, signal_interrupts_poll)
{
	for (int i = 0; i < 3; i++) {
		mkpipe();
		pw.p[i] = (struct pollfd){.fd = rfd, .events = POLLIN};
	}
	pw.t = unit_spawn(poller, NULL);
	unit_spawn(signaller, NULL);
	unit_run();
	cr_assert_eq(pw.state, UT_BLOCKED);
	cr_assert_eq(pw.r, -EINTR);
}
