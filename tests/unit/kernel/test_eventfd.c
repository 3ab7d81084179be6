/* test_eventfd.c - eventfd: counter and semaphore modes, limits, blocking */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>

#include <criterion/criterion.h>

#include "kernel/objects.h"
#include "kernel/poll.h"
#include "kernel/proc.h"
#include "kernel/vfs.h"
#include "sched/sched.h"

#include "helpers.h"

#define EFD_MAX 0xfffffffffffffffeull
#define KADDR ((void *)0xffff800000000000ull)

/* read the counter into *@v: 8 or -errno */
static long get(struct file *f, uint64_t *v)
{
	return f->ops->read(f, v, sizeof(*v), -1);
}

static long put(struct file *f, uint64_t v)
{
	return f->ops->write(f, &v, sizeof(v), -1);
}

static unsigned pollf(struct file *f)
{
	return file_poll(f, NULL);
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

TestSuite(eventfd, .init = setup, .fini = teardown, .timeout = 10);

Test(eventfd, read_returns_and_clears_the_count)
{
	struct file *f;
	uint64_t v = 0;

	cr_assert_eq(eventfd_create(7, EFD_NONBLOCK, &f), 0);
	cr_assert_eq(pollf(f), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	cr_assert_eq(get(f, &v), 8);
	cr_assert_eq(v, 7);
	cr_assert_eq(get(f, &v), -EAGAIN);
	cr_assert_eq(pollf(f), POLLOUT | POLLWRNORM);
	cr_assert_eq(put(f, 3), 8);
	cr_assert_eq(put(f, 4), 8);
	cr_assert_eq(put(f, 0), 8, "adding 0 is allowed");
	cr_assert_eq(get(f, &v), 8);
	cr_assert_eq(v, 7, "writes add up");
	file_put(f);
}

Test(eventfd, semaphore_mode_reads_one)
{
	struct file *f;
	uint64_t v = 0;

	cr_assert_eq(eventfd_create(3, EFD_SEMAPHORE | EFD_NONBLOCK, &f), 0);
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(get(f, &v), 8);
		cr_assert_eq(v, 1);
	}
	cr_assert_eq(get(f, &v), -EAGAIN);
	cr_assert_eq(put(f, 2), 8);
	cr_assert_eq(get(f, &v), 8);
	cr_assert_eq(v, 1);
	cr_assert_eq(pollf(f) & POLLIN, POLLIN, "one left");
	file_put(f);
}

Test(eventfd, argument_errors)
{
	struct file *f;
	uint64_t v = 0;

	cr_assert_eq(eventfd_create(0, 0x1234, &f), -EINVAL);
	cr_assert_eq(eventfd_create(1, EFD_NONBLOCK | EFD_CLOEXEC, &f), 0);
	cr_assert_eq(f->ops->read(f, &v, 7, -1), -EINVAL, "short buffer");
	cr_assert_eq(f->ops->write(f, &v, 4, -1), -EINVAL);
	cr_assert_eq(put(f, UINT64_MAX), -EINVAL);
	cr_assert_eq(f->ops->write(f, KADDR, 8, -1), -EFAULT);
	cr_assert_eq(f->ops->read(f, KADDR, 8, -1), -EFAULT);
	cr_assert_eq(get(f, &v), 8, "a failed read consumes nothing");
	cr_assert_eq(v, 1);
	/* a larger buffer is fine; 8 bytes are used */
	cr_assert_eq(put(f, 5), 8);
	{
		uint64_t big[2] = {0, 0xabcd};

		cr_assert_eq(f->ops->read(f, big, sizeof(big), -1), 8);
		cr_assert_eq(big[0], 5);
		cr_assert_eq(big[1], 0xabcd);
	}
	file_put(f);
}

Test(eventfd, counter_limit_is_eagain)
{
	struct file *f;
	uint64_t v = 0;

	cr_assert_eq(eventfd_create(0, EFD_NONBLOCK, &f), 0);
	cr_assert_eq(put(f, EFD_MAX - 1), 8);
	cr_assert_eq(pollf(f), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM);
	cr_assert_eq(put(f, 2), -EAGAIN, "would pass the maximum");
	cr_assert_eq(put(f, 1), 8);
	cr_assert_eq(pollf(f), POLLIN | POLLRDNORM, "full: not writable");
	cr_assert_eq(put(f, 1), -EAGAIN);
	cr_assert_eq(put(f, 0), 8);
	cr_assert_eq(get(f, &v), 8);
	cr_assert_eq(v, EFD_MAX);
	cr_assert_eq(pollf(f), POLLOUT | POLLWRNORM);
	file_put(f);
}

Test(eventfd, name)
{
	struct file *f;
	char name[64];

	cr_assert_eq(eventfd_create(0, 0, &f), 0);
	cr_assert_gt(file_dpath(f, name, sizeof(name)), 0);
	cr_assert_str_eq(name, "anon_inode:[eventfd]");
	file_put(f);
}

/* ---- blocking ---- */

static void setup_sched(void)
{
	unit_sched_setup(1, true);
}

TestSuite(eventfd_block, .init = setup_sched, .timeout = 10);

static struct file *ef;
static struct {
	struct thread *t[4];
	long r[4];
	uint64_t v[4];
	int state[4];
} e;

static int state_of(struct thread *t)
{
	return __atomic_load_n(&t->ut.state, __ATOMIC_ACQUIRE);
}

static void reader(void *arg)
{
	int i = (int)(intptr_t)arg;

	e.r[i] = get(ef, &e.v[i]);
	unit_log(i);
}

static void writer5(void *arg)
{
	(void)arg;
	e.state[0] = state_of(e.t[0]);
	cr_expect_eq(put(ef, 5), 8);
	unit_log(9);
}

Test(eventfd_block, read_waits_for_a_write)
{
	cr_assert_eq(eventfd_create(0, 0, &ef), 0);
	e.t[0] = unit_spawn(reader, (void *)0);
	unit_spawn(writer5, NULL);
	unit_run();
	cr_assert_eq(e.state[0], UT_BLOCKED);
	cr_assert_eq(e.r[0], 8);
	cr_assert_eq(e.v[0], 5);
	unit_log_expect((int[]){9, 0}, 2);
	file_put(ef);
}

static void reader_later(void *arg)
{
	(void)arg;
	e.state[1] = state_of(e.t[1]);
	e.r[0] = get(ef, &e.v[0]);
	unit_log(0);
	e.r[2] = get(ef, &e.v[2]);
	unit_log(2);
}

static void writer_blocks(void *arg)
{
	(void)arg;
	e.r[1] = put(ef, 5);
	unit_log(1);
}

Test(eventfd_block, write_waits_for_room)
{
	cr_assert_eq(eventfd_create(0, 0, &ef), 0);
	cr_assert_eq(put(ef, EFD_MAX - 1), 8);
	e.t[1] = unit_spawn(writer_blocks, NULL);
	unit_spawn(reader_later, NULL);
	unit_run();
	cr_assert_eq(e.state[1], UT_BLOCKED, "the write would overflow");
	cr_assert_eq(e.v[0], EFD_MAX - 1);
	cr_assert_eq(e.r[1], 8);
	cr_assert_eq(e.r[2], 8);
	cr_assert_eq(e.v[2], 5, "the waiting write went in after the read");
	unit_log_expect((int[]){0, 1, 2}, 3);
	file_put(ef);
}

static void sem_writer(void *arg)
{
	(void)arg;
	cr_expect_eq(put(ef, 2), 8);
	sched_yield_current(); /* all three readers look; two get one */
	for (int i = 0; i < 3; i++)
		e.state[i] = state_of(e.t[i]);
	unit_log(9);
	cr_expect_eq(put(ef, 1), 8);
}

Test(eventfd_block, semaphore_wakes_one_per_unit)
{
	cr_assert_eq(eventfd_create(0, EFD_SEMAPHORE, &ef), 0);
	for (int i = 0; i < 3; i++)
		e.t[i] = unit_spawn(reader, (void *)(intptr_t)i);
	unit_spawn(sem_writer, NULL);
	unit_run();
	int dead = 0, blocked = 0, last = -1;

	for (int i = 0; i < 3; i++) {
		dead += e.state[i] == UT_DEAD;
		if (e.state[i] == UT_BLOCKED) {
			blocked++;
			last = i;
		}
	}
	cr_assert_eq(dead, 2, "two got a unit and returned");
	cr_assert_eq(blocked, 1, "the third waits again");
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(e.r[i], 8);
		cr_assert_eq(e.v[i], 1);
	}
	cr_assert_eq(unit_log_len(), 4);
	cr_assert_eq(unit_log_at(2), 9);
	cr_assert_eq(unit_log_at(3), last);
	file_put(ef);
}
