/* test_futex.c - the futex table: wait, wake, bitsets, requeue, wake_op */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <criterion/criterion.h>

#include "kernel/futex.h"
#include "kernel/proc.h"
#include "sched/sched.h"

#include "helpers.h"

/*
 * Waiters are uthreads of the unit process on one kthread: they run in
 * the order spawned, block in futex_op, and the waker (spawned last) finds
 * them all queued. A woken waiter runs once the waker exits, in the order
 * it was woken. Futex words are ordinary memory of the test process (the
 * user-copy functions accept any address below USER_ADDR_END).
 */

static void setup(void)
{
	unit_sched_setup(1, true);
}

TestSuite(futex, .init = setup, .timeout = 10);

#define MAXW 8

static uint32_t fa, fb; /* futex words */

static struct {
	struct thread *t[MAXW];
	uint32_t *addr[MAXW];
	uint32_t bitset[MAXW];
	long r[MAXW];
	uint64_t timeout_ns[MAXW]; /* relative FUTEX_WAIT timeout, 0: none */
} w;

static int state_of(struct thread *t)
{
	return __atomic_load_n(&t->ut.state, __ATOMIC_ACQUIRE);
}

static void waiter(void *arg)
{
	int i = (int)(intptr_t)arg;
	struct timespec ts;
	uint32_t *a = w.addr[i];

	if (w.timeout_ns[i]) {
		ts.tv_sec = (time_t)(w.timeout_ns[i] / 1000000000ull);
		ts.tv_nsec = (long)(w.timeout_ns[i] % 1000000000ull);
		w.r[i] = futex_op(a, FUTEX_WAIT_PRIVATE, *a, &ts, NULL, 0);
	} else if (w.bitset[i]) {
		w.r[i] = futex_op(a, FUTEX_WAIT_BITSET_PRIVATE, *a, NULL, NULL,
				  w.bitset[i]);
	} else {
		w.r[i] = futex_op(a, FUTEX_WAIT_PRIVATE, *a, NULL, NULL, 0);
	}
	unit_log(i);
}

/* @n waiters on @addr, in order 0..n-1 */
static void spawn_waiters(int n, uint32_t *addr)
{
	for (int i = 0; i < n; i++) {
		w.addr[i] = addr;
		w.t[i] = unit_spawn(waiter, (void *)(intptr_t)i);
	}
}

/* which waiters are still blocked, as a bit mask */
static unsigned blocked_mask(int n)
{
	unsigned m = 0;

	for (int i = 0; i < n; i++)
		if (state_of(w.t[i]) == UT_BLOCKED)
			m |= 1u << i;
	return m;
}

/* ---- calls that do not block ---- */

Test(futex, wait_on_changed_value_is_eagain)
{
	fa = 5;
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT_PRIVATE, 4, NULL, NULL, 0),
		     -EAGAIN);
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT, 6, NULL, NULL, 0), -EAGAIN);
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL,
			      FUTEX_BITSET_MATCH_ANY),
		     -EAGAIN);
	cr_assert_eq(fa, 5);
}

Test(futex, argument_errors)
{
	char *page =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec bad_ns = {0, 1000000000}, neg = {-1, 0};
	uint32_t words[2] = {0, 0};

	cr_assert_neq(page, MAP_FAILED);
	/* misaligned */
	cr_assert_eq(futex_op((uint32_t *)((char *)words + 1), FUTEX_WAKE, 1,
			      NULL, NULL, 0),
		     -EINVAL);
	/* bitset 0 */
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT_BITSET, fa, NULL, NULL, 0),
		     -EINVAL);
	cr_assert_eq(futex_op(&fa, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0),
		     -EINVAL);
	/* bad timeouts */
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT, fa, &bad_ns, NULL, 0), -EINVAL);
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT, fa, &neg, NULL, 0), -EINVAL);
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT, fa, (void *)page, NULL, 0),
		     -EFAULT);
	/* CLOCK_REALTIME only with the bitset and PI waits (as Linux) */
	cr_assert_eq(futex_op(&fa, FUTEX_WAIT | FUTEX_CLOCK_REALTIME, fa + 1,
			      NULL, NULL, 0),
		     -ENOSYS);
	cr_assert_eq(futex_op(&fa, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL,
			      NULL, 0),
		     -ENOSYS);
	/* requeue counts */
	cr_assert_eq(futex_op(&fa, FUTEX_CMP_REQUEUE, 0, (void *)-1L, &fb, fa),
		     -EINVAL);
	cr_assert_eq(
		futex_op(&fa, FUTEX_REQUEUE, (uint32_t)-1, (void *)1L, &fb, 0),
		-EINVAL);
	/* unknown commands */
	cr_assert_eq(futex_op(&fa, 99, 0, NULL, NULL, 0), -ENOSYS);
	/* an unmapped word, and one in the kernel half */
	cr_assert_eq(futex_op((uint32_t *)page, FUTEX_WAIT, 0, NULL, NULL, 0),
		     -EFAULT);
	cr_assert_eq(futex_op((uint32_t *)0xffff800000001000ull, FUTEX_WAIT, 0,
			      NULL, NULL, 0),
		     -EFAULT);
	fa = 3;
	cr_assert_eq(futex_op(&fa, FUTEX_CMP_REQUEUE, 1, (void *)1L, &fb, 2),
		     -EAGAIN, "the word is not val3");
	cr_assert_eq(futex_op(&fa, FUTEX_WAKE_OP, 1, (void *)1L,
			      (uint32_t *)page,
			      FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
		     -EFAULT);
	munmap(page, 4096);
}

Test(futex, wake_without_waiters)
{
	cr_assert_eq(futex_op(&fa, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);
	cr_assert_eq(futex_op(&fa, FUTEX_WAKE_BITSET, 1, NULL, NULL, 7), 0);
	cr_assert_eq(futex_wake(&fb, 1), 0);
}

static struct {
	int r1, r2;
	uint64_t nvcsw;
} now_past;

static void wait_past(void *arg)
{
	uint64_t n0 = this_uthread()->nvcsw, abs = unit_now - 1;
	struct timespec ts = {(time_t)(abs / 1000000000ull),
			      (long)(abs % 1000000000ull)};
	struct timespec zero = {0, 0};

	(void)arg;
	now_past.r1 = (int)futex_op(&fa, FUTEX_WAIT_BITSET_PRIVATE, fa, &ts,
				    NULL, FUTEX_BITSET_MATCH_ANY);
	now_past.r2 =
		(int)futex_op(&fa, FUTEX_WAIT_PRIVATE, fa, &zero, NULL, 0);
	now_past.nvcsw = this_uthread()->nvcsw - n0;
}

Test(futex, deadline_in_the_past_times_out_at_once)
{
	unit_spawn(wait_past, NULL);
	unit_run();
	cr_assert_eq(now_past.r1, -ETIMEDOUT);
	cr_assert_eq(now_past.r2, -ETIMEDOUT);
	cr_assert_eq(now_past.nvcsw, 0, "no switch");
	cr_assert_eq(futex_op(&fa, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0,
		     "no waiter left queued");
}

/* ---- wake ---- */

static struct {
	long r[8];
	unsigned blocked[8];
} k;

static void waker_counts(void *arg)
{
	(void)arg;
	k.r[0] = futex_op(&fb, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	k.r[1] = futex_op(&fa, FUTEX_WAKE_PRIVATE, 2, NULL, NULL, 0);
	k.blocked[1] = blocked_mask(5);
	k.r[2] = futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	k.blocked[2] = blocked_mask(5);
	k.r[3] = futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	unit_log(9);
}

Test(futex, wake_counts_and_fifo_order)
{
	spawn_waiters(5, &fa);
	unit_spawn(waker_counts, NULL);
	unit_run();
	cr_assert_eq(k.r[0], 0, "no waiter on another word");
	cr_assert_eq(k.r[1], 2);
	cr_assert_eq(k.blocked[1], 0x1c, "the first two waiters woke");
	cr_assert_eq(k.r[2], 3);
	cr_assert_eq(k.blocked[2], 0);
	cr_assert_eq(k.r[3], 0);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(w.r[i], 0);
	unit_log_expect((int[]){9, 0, 1, 2, 3, 4}, 6);
}

static void waker_bitset(void *arg)
{
	(void)arg;
	k.r[0] = futex_op(&fa, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL,
			  0x2);
	k.blocked[0] = blocked_mask(4);
	k.r[1] = futex_op(&fa, FUTEX_WAKE_BITSET_PRIVATE, INT_MAX, NULL, NULL,
			  0x8);
	k.r[2] = futex_op(&fa, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x5);
	k.blocked[2] = blocked_mask(4);
	/* FUTEX_WAKE matches any bitset */
	k.r[3] = futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	k.blocked[3] = blocked_mask(4);
}

Test(futex, bitsets_select_waiters)
{
	uint32_t sets[4] = {0x1, 0x2, 0x3, 0x4};

	for (int i = 0; i < 4; i++)
		w.bitset[i] = sets[i];
	spawn_waiters(4, &fa);
	unit_spawn(waker_bitset, NULL);
	unit_run();
	cr_assert_eq(k.r[0], 2, "0x2 and 0x3 match 0x2");
	cr_assert_eq(k.blocked[0], 0x9);
	cr_assert_eq(k.r[1], 0, "nobody waits for 0x8");
	cr_assert_eq(k.r[2], 1, "one of 0x1 and 0x4");
	cr_assert_eq(k.blocked[2], 0x8, "the first queued: 0x1");
	cr_assert_eq(k.r[3], 1);
	cr_assert_eq(k.blocked[3], 0);
}

/* ---- requeue ---- */

static void waker_requeue(void *arg)
{
	(void)arg;
	/* the value changed: nothing happens */
	k.r[0] = futex_op(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &fb,
			  fa + 1);
	k.blocked[0] = blocked_mask(4);
	/* wake one, move two to fb, leave one */
	k.r[1] = futex_op(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2L, &fb,
			  fa);
	k.blocked[1] = blocked_mask(4);
	/* the moved ones are woken through fb only, in their order */
	k.r[2] = futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	k.blocked[2] = blocked_mask(4);
	k.r[3] = futex_op(&fb, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	k.blocked[3] = blocked_mask(4);
	k.r[4] = futex_op(&fb, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	k.blocked[4] = blocked_mask(4);
	unit_log(9);
}

Test(futex, cmp_requeue_moves_waiters)
{
	fa = 1;
	spawn_waiters(4, &fa);
	unit_spawn(waker_requeue, NULL);
	unit_run();
	cr_assert_eq(k.r[0], -EAGAIN);
	cr_assert_eq(k.blocked[0], 0xf);
	cr_assert_eq(k.r[1], 3, "one woken plus two requeued");
	cr_assert_eq(k.blocked[1], 0xe);
	cr_assert_eq(k.r[2], 1, "only waiter 3 is left on fa");
	cr_assert_eq(k.blocked[2], 0x6);
	cr_assert_eq(k.r[3], 1);
	cr_assert_eq(k.blocked[3], 0x4, "waiter 1 first");
	cr_assert_eq(k.r[4], 1);
	cr_assert_eq(k.blocked[4], 0);
	unit_log_expect((int[]){9, 0, 3, 1, 2}, 5);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(w.r[i], 0);
}

static void waker_requeue_all(void *arg)
{
	(void)arg;
	k.r[0] = futex_op(&fa, FUTEX_REQUEUE_PRIVATE, 0, (void *)(long)INT_MAX,
			  &fb, 0);
	k.r[1] = futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	k.blocked[1] = blocked_mask(3);
	k.r[2] = futex_op(&fb, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

Test(futex, requeue_without_wake)
{
	spawn_waiters(3, &fa);
	unit_spawn(waker_requeue_all, NULL);
	unit_run();
	cr_assert_eq(k.r[0], 3);
	cr_assert_eq(k.r[1], 0);
	cr_assert_eq(k.blocked[1], 0x7);
	cr_assert_eq(k.r[2], 3);
}

/*
 * Requeue onto the same word: Linux leaves the waiters where they are and
 * counts each once (a condvar's broadcast may do this). The result is
 * the number of waiters, not nr_requeue.
 */
static void waker_requeue_self(void *arg)
{
	(void)arg;
	k.r[0] = futex_op(&fa, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)100L, &fa,
			  fa);
	k.r[1] = futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

Test(futex, requeue_onto_same_word)
{
	spawn_waiters(2, &fa);
	unit_spawn(waker_requeue_self, NULL);
	unit_run();
	cr_assert_eq(k.r[0], 2, "CMP_REQUEUE(a -> a) of 2 waiters returned %ld",
		     k.r[0]);
	cr_assert_eq(k.r[1], 2);
}

/* ---- wake_op ---- */

static struct {
	uint32_t encoded;
	uint32_t b_before, b_after;
	long r, r_b;
	unsigned blocked;
} op;

static void waker_op(void *arg)
{
	(void)arg;
	fb = op.b_before;
	op.r = futex_op(&fa, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &fb,
			op.encoded);
	op.b_after = fb;
	op.blocked = blocked_mask(2);
	/* release whoever is left */
	op.r_b = futex_op(&fb, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

/* one waiter on fa (0), one on fb (1); run FUTEX_WAKE_OP */
static void run_wake_op(uint32_t b_before, uint32_t encoded)
{
	memset(&op, 0, sizeof(op));
	op.b_before = b_before;
	op.encoded = encoded;
	fb = b_before;
	w.addr[0] = &fa;
	w.t[0] = unit_spawn(waiter, (void *)0);
	w.addr[1] = &fb;
	w.t[1] = unit_spawn(waiter, (void *)1);
	unit_spawn(waker_op, NULL);
	unit_run();
}

Test(futex, wake_op_add_cmp_true)
{
	run_wake_op(0, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0));
	cr_assert_eq(op.b_after, 1);
	cr_assert_eq(op.r, 2, "both woken: the old value was 0");
	cr_assert_eq(op.blocked, 0);
	cr_assert_eq(op.r_b, 0);
}

Test(futex, wake_op_or_cmp_false)
{
	run_wake_op(5, FUTEX_OP(FUTEX_OP_OR, 2, FUTEX_OP_CMP_GT, 10));
	cr_assert_eq(op.b_after, 7);
	cr_assert_eq(op.r, 1, "only the waiter of uaddr");
	cr_assert_eq(op.blocked, 0x2);
	cr_assert_eq(op.r_b, 1);
}

Test(futex, wake_op_ops)
{
	struct {
		uint32_t before, encoded, after;
	} c[] = {
		{7, FUTEX_OP(FUTEX_OP_SET, 3, FUTEX_OP_CMP_NE, 7), 3},
		{0xff, FUTEX_OP(FUTEX_OP_ANDN, 0x0f, FUTEX_OP_CMP_LE, 0xff),
		 0xf0},
		{0x5, FUTEX_OP(FUTEX_OP_XOR, 0x1, FUTEX_OP_CMP_GE, 6), 0x4},
		/* FUTEX_OP_OPARG_SHIFT: oparg is 1 << 4 */
		{0x1,
		 FUTEX_OP(FUTEX_OP_OR, 4, FUTEX_OP_CMP_LT, 2) |
			 (uint32_t)FUTEX_OP_OPARG_SHIFT << 28,
		 0x11},
		{0, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_LT, 0xfff), 1},
	};
	uint32_t a = 0, b;

	/* no waiters: the count is 0 but the operation is done */
	for (unsigned i = 0; i < sizeof(c) / sizeof(*c); i++) {
		b = c[i].before;
		cr_assert_eq(futex_op(&a, FUTEX_WAKE_OP, 1, (void *)1L, &b,
				      c[i].encoded),
			     0, "case %u", i);
		cr_assert_eq(b, c[i].after, "case %u: %#x", i, b);
	}
	b = 0;
	cr_assert_eq(futex_op(&a, FUTEX_WAKE_OP, 1, (void *)1L, &b,
			      FUTEX_OP(5, 1, FUTEX_OP_CMP_EQ, 0)),
		     -ENOSYS, "unknown op");
}

/* cmparg is a signed 12-bit number: 0 < -1 is false */
Test(futex, wake_op_cmparg_is_signed)
{
	run_wake_op(0, FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_LT, 0xfff));
	cr_assert_eq(op.b_after, 1);
	cr_assert_eq(op.r, 1, "the waiter of uaddr2 stays");
	cr_assert_eq(op.blocked, 0x2);
	cr_assert_eq(op.r_b, 1);
}

Test(futex, wake_op_andn_le)
{
	run_wake_op(0xff, FUTEX_OP(FUTEX_OP_ANDN, 0x0f, FUTEX_OP_CMP_LE, 0xff));
	cr_assert_eq(op.b_after, 0xf0);
	cr_assert_eq(op.r, 2, "0xff <= 0xff");
}

/*
 * Linux sign-extends oparg (12 bits), as it does cmparg: ADD 0xfff is
 * "subtract one", SET 0x800 stores 0xfffff800 (futex_atomic_op_inuser).
 */
Test(futex, wake_op_oparg_is_signed)
{
	uint32_t a = 0, b = 5;

	futex_op(&a, FUTEX_WAKE_OP, 1, (void *)1L, &b,
		 FUTEX_OP(FUTEX_OP_ADD, 0xfff, FUTEX_OP_CMP_EQ, 0));
	cr_expect_eq(b, 4, "ADD -1 to 5 gave %u", b);
	b = 7;
	futex_op(&a, FUTEX_WAKE_OP, 1, (void *)1L, &b,
		 FUTEX_OP(FUTEX_OP_SET, 0x800, FUTEX_OP_CMP_EQ, 0));
	cr_expect_eq(b, 0xfffff800u, "SET -2048 gave %#x", b);
}

/* ---- timeouts and signals ---- */

static void jump_clock(void *arg)
{
	unit_clock_advance((uint64_t)(uintptr_t)arg);
	unit_log(9);
}

static struct {
	int state1;
	long wake_after;
} tmo;

static void timeout_driver(void *arg)
{
	(void)arg;
	unit_clock_advance(2000);
	sched_yield_current(); /* nothing runnable: no timers run here */
	unit_log(9);
}

static void timeout_checker(void *arg)
{
	(void)arg;
	/* waiter 0 timed out and left the queue; 1 and 2 still wait */
	tmo.state1 = state_of(w.t[1]);
	tmo.wake_after =
		futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
	unit_log(8);
}

/* the waiter that timed out runs next and spawns the checker */
static void waiter_then_check(void *arg)
{
	waiter(arg);
	unit_spawn(timeout_checker, NULL);
}

Test(futex, relative_timeout_expires)
{
	w.addr[0] = w.addr[1] = w.addr[2] = &fa;
	w.timeout_ns[0] = 1000;
	w.timeout_ns[1] = 3000;
	w.t[0] = unit_spawn(waiter_then_check, (void *)0);
	w.t[1] = unit_spawn(waiter, (void *)1);
	w.t[2] = unit_spawn(waiter, (void *)2);
	unit_spawn(timeout_driver, NULL);
	unit_run();
	cr_assert_eq(w.r[0], -ETIMEDOUT);
	cr_assert_eq(tmo.state1, UT_BLOCKED, "3000 ns have not passed");
	cr_assert_eq(tmo.wake_after, 2, "the timed-out waiter left the queue");
	cr_assert_eq(w.r[1], 0);
	cr_assert_eq(w.r[2], 0);
	unit_log_expect((int[]){9, 0, 8, 1, 2}, 5);
}

static long abs_r;

static void abs_waiter(void *arg)
{
	uint64_t d = unit_now + 500;
	struct timespec ts = {(time_t)(d / 1000000000ull),
			      (long)(d % 1000000000ull)};

	(void)arg;
	abs_r = futex_op(&fa, FUTEX_WAIT_BITSET_PRIVATE, fa, &ts, NULL,
			 FUTEX_BITSET_MATCH_ANY);
	unit_log(1);
}

Test(futex, absolute_timeout_on_the_monotonic_clock)
{
	unit_spawn(abs_waiter, NULL);
	unit_spawn(jump_clock, (void *)499);
	unit_spawn(jump_clock, (void *)1);
	unit_run();
	cr_assert_eq(abs_r, -ETIMEDOUT);
	unit_log_expect((int[]){9, 9, 1}, 3);
}

/* what sig_send does for an unblocked signal */
static void signaller(void *arg)
{
	struct thread *t = arg;

	__atomic_or_fetch(&t->sig_pending, 1ull << (SIGUSR2 - 1),
			  __ATOMIC_RELEASE);
	k.r[0] = sched_wake_signal(&t->ut);
	sched_yield_current();
	k.r[2] = futex_op(&fa, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
}

Test(futex, signal_interrupts_wait)
{
	spawn_waiters(1, &fa);
	unit_spawn(signaller, w.t[0]);
	unit_run();
	cr_assert_eq(k.r[0], 1, "sched_wake_signal woke it");
	/* untimed: restarted under SA_RESTART, else EINTR (signal.c) */
	cr_assert_eq(w.r[0], -ERESTARTSYS);
	cr_assert_eq(k.r[2], 0, "the interrupted waiter left the queue");
}

static void pending_first(void *arg)
{
	struct thread *t = (struct thread *)this_uthread();
	struct timespec rel = {5, 0};

	(void)arg;
	t->sig_pending = 1ull << (SIGUSR2 - 1);
	k.r[0] = futex_op(&fa, FUTEX_WAIT_PRIVATE, fa, NULL, NULL, 0);
	k.r[1] = futex_op(&fa, FUTEX_WAIT_PRIVATE, fa, &rel, NULL, 0);
	t->sig_pending = 0;
}

/*
 * A pending signal ends a wait at once. What the guest then sees is up to
 * sig_handle_pending: an untimed wait restarts under SA_RESTART, a timed
 * one is EINTR. (LOCK_PI, which always restarts: e2e regress pi-signal.)
 */
Test(futex, pending_signal_ends_wait_at_once)
{
	unit_spawn(pending_first, NULL);
	unit_run();
	cr_assert_eq(k.r[0], -ERESTARTSYS);
	cr_assert_eq(k.r[1], -EINTR);
	cr_assert_eq(futex_op(&fa, FUTEX_WAKE, INT_MAX, NULL, NULL, 0), 0);
}

/* ---- many addresses: shared buckets ---- */

#define NADDR 600 /* more than the 512 buckets: some must share */

static uint32_t words[NADDR * 2];
static struct thread *many[NADDR + 8];
static long many_r[NADDR + 8];
static int many_idx[NADDR + 8];
static struct {
	long woken[NADDR];
	int wrong; /* a waiter woken by another address's wake */
	int first_wrong;
} hc;

static void many_waiter(void *arg)
{
	int i = (int)(intptr_t)arg;
	uint32_t *a = &words[2 * many_idx[i]]; /* 8 bytes apart */

	many_r[i] = futex_op(a, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
}

static void many_waker(void *arg)
{
	int n = (int)(intptr_t)arg;

	hc.first_wrong = -1;
	for (int j = 0; j < NADDR; j++) {
		hc.woken[j] = futex_op(&words[2 * j], FUTEX_WAKE_PRIVATE,
				       INT_MAX, NULL, NULL, 0);
		/* exactly the waiters of address j are awake, no other */
		for (int i = 0; i < n; i++) {
			bool awake = state_of(many[i]) != UT_BLOCKED;

			if (awake != (many_idx[i] <= j)) {
				hc.wrong++;
				if (hc.first_wrong < 0)
					hc.first_wrong = i;
			}
		}
	}
}

Test(futex, many_addresses_share_buckets)
{
	int n = 0;

	for (int j = 0; j < NADDR; j++) {
		many_idx[n] = j;
		many[n] = unit_spawn(many_waiter, (void *)(intptr_t)n);
		n++;
		if (j % 100 == 7) { /* a second waiter on some */
			many_idx[n] = j;
			many[n] = unit_spawn(many_waiter, (void *)(intptr_t)n);
			n++;
		}
	}
	unit_spawn(many_waker, (void *)(intptr_t)n);
	unit_run();
	cr_assert_eq(hc.wrong, 0, "%d wrong wakeups (first: waiter %d)",
		     hc.wrong, hc.first_wrong);
	for (int j = 0; j < NADDR; j++)
		cr_assert_eq(hc.woken[j], j % 100 == 7 ? 2 : 1, "address %d",
			     j);
	for (int i = 0; i < n; i++)
		cr_assert_eq(many_r[i], 0);
}

/* ---- futex_waitv ---- */

struct waitv {
	uint64_t val, uaddr;
	uint32_t flags, reserved;
};

static uint32_t v3[3];
static long waitv_r;

static void waitv_waiter(void *arg)
{
	struct waitv wv[3];

	(void)arg;
	for (int i = 0; i < 3; i++) {
		wv[i].val = v3[i];
		wv[i].uaddr = (uint64_t)&v3[i];
		wv[i].flags = 0x02 | 128; /* FUTEX2_SIZE_U32 | PRIVATE */
		wv[i].reserved = 0;
	}
	waitv_r = futex_waitv(wv, 3, 0, NULL, 0);
}

static void waitv_waker(void *arg)
{
	(void)arg;
	k.r[0] = futex_wake(&v3[0] + 3, 1); /* not one of them */
	k.r[1] = futex_wake(&v3[2], 1);
	sched_yield_current(); /* the waiter returns */
	k.r[2] = futex_wake(&v3[1], 1);
}

Test(futex, waitv_returns_index_of_woken)
{
	unit_spawn(waitv_waiter, NULL);
	unit_spawn(waitv_waker, NULL);
	unit_run();
	cr_assert_eq(k.r[0], 0);
	cr_assert_eq(k.r[1], 1);
	cr_assert_eq(k.r[2], 0, "its other entries were dequeued");
	cr_assert_eq(waitv_r, 2);
}

static void waitv_errors_body(void *arg)
{
	struct waitv wv[2] = {
		{.val = 1, .uaddr = (uint64_t)&v3[0], .flags = 0x02},
		{.val = 0, .uaddr = (uint64_t)&v3[1], .flags = 0x02},
	};

	(void)arg;
	k.r[0] = futex_waitv(wv, 0, 0, NULL, 0);
	k.r[1] = futex_waitv(wv, 2, 1, NULL, 0);
	k.r[2] = futex_waitv(wv, 2, 0, NULL, 0); /* v3[0] != 1 */
	wv[0].flags = 0x03; /* a 64-bit futex */
	k.r[3] = futex_waitv(wv, 2, 0, NULL, 0);
	k.r[4] = futex_waitv((void *)0xffff800000000000ull, 1, 0, NULL, 0);
	wv[0].flags = 0x02;
	wv[0].val = 0;
	wv[1].uaddr = 0x1000; /* unmapped */
	k.r[5] = futex_waitv(wv, 2, 0, NULL, 0);
}

Test(futex, waitv_errors)
{
	unit_spawn(waitv_errors_body, NULL);
	unit_run();
	cr_assert_eq(k.r[0], -EINVAL, "no futex");
	cr_assert_eq(k.r[1], -EINVAL, "flags");
	cr_assert_eq(k.r[2], -EAGAIN);
	cr_assert_eq(k.r[3], -EINVAL, "size");
	cr_assert_eq(k.r[4], -EFAULT);
	cr_assert_eq(k.r[5], -EFAULT);
	cr_assert_eq(futex_wake(&v3[0], INT_MAX), 0, "nothing left queued");
}
