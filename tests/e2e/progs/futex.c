/* futex.c - e2e: raw futex syscalls: wait, wake, requeue, wake_op, bitsets */
#include "e2e_thr.h"

/*
 * Return values are checked exactly, so a waiter must be known to be
 * asleep in the kernel before a wake or requeue counts it. A waiter never
 * announces that itself; instead every waiter first sleeps on a private
 * staging word that never changes, and gather() moves them with
 * FUTEX_CMP_REQUEUE to the word under test until it has moved all of them.
 * A waiter moved by requeue is asleep on the new word by construction.
 */

/* include/uapi/linux/futex.h (musl-gcc has no kernel headers) */
#ifndef FUTEX_WAIT
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffU
#define FUTEX_OP_SET 0
#define FUTEX_OP_ADD 1
#define FUTEX_OP_OR 2
#define FUTEX_OP_ANDN 3
#define FUTEX_OP_XOR 4
#define FUTEX_OP_OPARG_SHIFT 8
#define FUTEX_OP_CMP_EQ 0
#define FUTEX_OP_CMP_NE 1
#define FUTEX_OP_CMP_LT 2
#define FUTEX_OP_CMP_LE 3
#define FUTEX_OP_CMP_GT 4
#define FUTEX_OP_CMP_GE 5
#endif
#define FUTEX_32 2 /* futex_waitv flags: a 32-bit word */

#define P FUTEX_PRIVATE_FLAG

/* linux/futex.h's FUTEX_OP, unsigned and with its arguments parenthesized */
#define WOP(op, oparg, cmp, cmparg)                                     \
	((((uint32_t)(op)&0xf) << 28) | (((uint32_t)(cmp)&0xf) << 24) | \
	 (((uint32_t)(oparg)&0xfff) << 12) | ((uint32_t)(cmparg)&0xfff))

static long fx(uint32_t *uaddr, int op, uint32_t val, unsigned long val2,
	       uint32_t *uaddr2, uint32_t val3)
{
	return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static long fx_wait(uint32_t *uaddr, int op, uint32_t val,
		    const struct timespec *ts, uint32_t bitset)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, bitset);
}

struct waiter {
	uint32_t *stage;
	int op; /* FUTEX_WAIT or FUTEX_WAIT_BITSET, private */
	uint32_t bitset;
	int timed; /* with a 10 s timeout */
	long ret;
	int err;
	pthread_t t;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;
	struct timespec ts;

	if (w->timed && w->op == (FUTEX_WAIT | P))
		ts = e2e_ts(10000000000LL);
	else if (w->timed)
		ts = e2e_ts(e2e_now_ns(CLOCK_MONOTONIC) + 10000000000LL);
	do {
		w->ret = fx_wait(w->stage, w->op, 0, w->timed ? &ts : NULL,
				 w->bitset);
		w->err = w->ret < 0 ? errno : 0;
	} while (w->err == EINTR);
	return NULL;
}

static void start(struct waiter *w, uint32_t *stage, int op, uint32_t bitset,
		  int timed)
{
	w->stage = stage;
	w->op = op | P;
	w->bitset = bitset;
	w->timed = timed;
	w->ret = -2;
	w->t = e2e_spawn(waiter_main, w);
}

/* move n sleepers from stage to target; returns how many it moved */
static long gather(uint32_t *stage, uint32_t *target, long n)
{
	long moved = 0;
	int64_t give_up = e2e_now_ns(CLOCK_MONOTONIC) + 5000000000LL;

	while (moved < n && e2e_now_ns(CLOCK_MONOTONIC) < give_up) {
		long r = fx(stage, FUTEX_CMP_REQUEUE | P, 0,
			    (unsigned long)(n - moved), target, *stage);

		if (r > 0)
			moved += r;
		else
			e2e_sleep_ms(1);
	}
	return moved;
}

/* join n waiters; 1 if every one returned 0 from its wait */
static int join_all(struct waiter *w, int n)
{
	int ok = 1;

	for (int i = 0; i < n; i++) {
		e2e_join(w[i].t);
		if (w[i].ret != 0) {
			printf("waiter %d: returned %ld (%s)\n", i, w[i].ret,
			       errname(w[i].err));
			ok = 0;
		}
	}
	return ok;
}

/* --- single-threaded: errors and timeouts ----------------------------- */

static uint32_t bad_futex_area[2];

static void check_basics(void)
{
	uint32_t f = 1;
	struct timespec ts;
	int64_t t0, dl;
	char *unaligned = (char *)&bad_futex_area[0] + 1;

	expect_err("wait: value differs",
		   fx_wait(&f, FUTEX_WAIT | P, 0, NULL, 0), EAGAIN);
	ts = e2e_ts(20000000);
	t0 = e2e_now_ns(CLOCK_MONOTONIC);
	expect_err("wait: 20 ms relative timeout",
		   fx_wait(&f, FUTEX_WAIT | P, 1, &ts, 0), ETIMEDOUT);
	expect_true("wait: not early",
		    e2e_now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	ts = e2e_ts(20000000);
	t0 = e2e_now_ns(CLOCK_MONOTONIC);
	expect_err("wait (shared): 20 ms relative timeout",
		   fx_wait(&f, FUTEX_WAIT, 1, &ts, 0), ETIMEDOUT);
	expect_true("wait (shared): not early",
		    e2e_now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	dl = e2e_now_ns(CLOCK_MONOTONIC) + 20000000;
	ts = e2e_ts(dl);
	expect_err("wait_bitset: absolute monotonic timeout",
		   fx_wait(&f, FUTEX_WAIT_BITSET | P, 1, &ts,
			   FUTEX_BITSET_MATCH_ANY),
		   ETIMEDOUT);
	expect_true("wait_bitset monotonic: not early",
		    e2e_now_ns(CLOCK_MONOTONIC) >= dl);
	dl = e2e_now_ns(CLOCK_REALTIME) + 20000000;
	ts = e2e_ts(dl);
	expect_err("wait_bitset: absolute realtime timeout",
		   fx_wait(&f, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME | P, 1,
			   &ts, FUTEX_BITSET_MATCH_ANY),
		   ETIMEDOUT);
	expect_true("wait_bitset realtime: not early",
		    e2e_now_ns(CLOCK_REALTIME) >= dl);
	ts = e2e_ts(e2e_now_ns(CLOCK_MONOTONIC) - 1000000);
	expect_err("wait_bitset: deadline passed",
		   fx_wait(&f, FUTEX_WAIT_BITSET | P, 1, &ts,
			   FUTEX_BITSET_MATCH_ANY),
		   ETIMEDOUT);
	ts = e2e_ts(e2e_now_ns(CLOCK_MONOTONIC) + 1000000);
	expect_err("wait_bitset: bitset 0",
		   fx_wait(&f, FUTEX_WAIT_BITSET | P, 1, &ts, 0), EINVAL);
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000000;
	expect_err("wait: tv_nsec 1e9", fx_wait(&f, FUTEX_WAIT | P, 1, &ts, 0),
		   EINVAL);
	ts.tv_sec = -1;
	ts.tv_nsec = 0;
	expect_err("wait: negative tv_sec",
		   fx_wait(&f, FUTEX_WAIT | P, 1, &ts, 0), EINVAL);
	expect_err("wait: unaligned address",
		   fx_wait((uint32_t *)(void *)unaligned, FUTEX_WAIT | P, 0,
			   NULL, 0),
		   EINVAL);
	expect_err("wait: unmapped address",
		   fx_wait((uint32_t *)8, FUTEX_WAIT | P, 0, NULL, 0), EFAULT);
	expect_long("wake: nobody waiting",
		    fx(&f, FUTEX_WAKE | P, 1, 0, NULL, 0), 0);
	expect_long("wake (shared): nobody waiting",
		    fx(&f, FUTEX_WAKE, INT32_MAX, 0, NULL, 0), 0);
	/* a private key is the address alone: nothing is read */
	expect_long("wake: private, unmapped address",
		    fx((uint32_t *)8, FUTEX_WAKE | P, 1, 0, NULL, 0), 0);
	expect_err("wake with FUTEX_CLOCK_REALTIME",
		   fx(&f, FUTEX_WAKE | FUTEX_CLOCK_REALTIME | P, 1, 0, NULL, 0),
		   ENOSYS);
	expect_err("unknown op", fx(&f, 99 | P, 1, 0, NULL, 0), ENOSYS);
	{
		uint32_t g = 0;

		expect_err("cmp_requeue: value differs",
			   fx(&f, FUTEX_CMP_REQUEUE | P, 1, 1, &g, 0), EAGAIN);
		expect_err(
			"cmp_requeue: negative nr_wake",
			fx(&f, FUTEX_CMP_REQUEUE | P, (uint32_t)-1, 1, &g, 1),
			EINVAL);
		expect_long("cmp_requeue: nobody waiting",
			    fx(&f, FUTEX_CMP_REQUEUE | P, 1, 1, &g, 1), 0);
		expect_long("requeue: nobody waiting",
			    fx(&f, FUTEX_REQUEUE | P, 1, 1, &g, 0), 0);
	}
}

/* --- FUTEX_WAKE_OP arithmetic, no waiters ----------------------------- */

static void check_wake_op_ops(void)
{
	static const struct {
		const char *name;
		uint32_t op;
		uint32_t want;
	} ops[] = {
		{"set 7", WOP(FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 0), 7},
		{"add 3", WOP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 0), 10},
		{"or 0x30", WOP(FUTEX_OP_OR, 0x30, FUTEX_OP_CMP_NE, 0), 0x3a},
		{"andn 0x2", WOP(FUTEX_OP_ANDN, 0x2, FUTEX_OP_CMP_LT, 0), 0x38},
		{"xor 0xff", WOP(FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_LE, 0), 0xc7},
		{"add -1 (sign-extended oparg)",
		 WOP(FUTEX_OP_ADD, 0xfff, FUTEX_OP_CMP_GT, 0), 0xc6},
		{"set 1<<4 (FUTEX_OP_OPARG_SHIFT)",
		 WOP(FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_GE,
		     0),
		 16},
	};
	uint32_t f1 = 0, f2 = 5;

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char label[96];
		long r;

		r = fx(&f1, FUTEX_WAKE_OP | P, 1, 1, &f2, ops[i].op);
		snprintf(label, sizeof(label), "wake_op %s: woken",
			 ops[i].name);
		expect_long(label, r, 0);
		snprintf(label, sizeof(label), "wake_op %s: value",
			 ops[i].name);
		expect_long(label, f2, ops[i].want);
	}
	expect_err("wake_op: unknown op",
		   fx(&f1, FUTEX_WAKE_OP | P, 1, 1, &f2, 7u << 28), ENOSYS);
	expect_long("wake_op: unknown op leaves the value", f2, 16);
	/* Linux applies the operation before it looks at the comparison */
	expect_err("wake_op: unknown comparison",
		   fx(&f1, FUTEX_WAKE_OP | P, 1, 1, &f2,
		      WOP(FUTEX_OP_ADD, 1, 6, 0)),
		   ENOSYS);
	expect_long("wake_op: unknown comparison, value", f2, 17);
	expect_err("wake_op: unmapped second address",
		   fx(&f1, FUTEX_WAKE_OP | P, 1, 1, (uint32_t *)8,
		      WOP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
		   EFAULT);
}

/* --- plain wake of a sleeper, shared and private ---------------------- */

static uint32_t plain_word;
static atomic_int plain_started;

static void *plain_waiter(void *arg)
{
	long r;

	atomic_store(&plain_started, 1);
	do
		r = fx_wait(&plain_word, (int)(long)arg, 0, NULL, 0);
	while (r < 0 && errno == EINTR);
	return (void *)r;
}

/* wake until the wake reports one woken: then the sleeper was asleep */
static void wake_one(const char *label, int op)
{
	pthread_t t;
	long r = 0;
	int64_t give_up = e2e_now_ns(CLOCK_MONOTONIC) + 5000000000LL;

	plain_word = 0;
	atomic_store(&plain_started, 0);
	t = e2e_spawn(
		plain_waiter,
		(void *)(long)(op == FUTEX_WAKE ? FUTEX_WAIT : FUTEX_WAIT | P));
	while (e2e_now_ns(CLOCK_MONOTONIC) < give_up) {
		r = fx(&plain_word, op, 1, 0, NULL, 0);
		if (r != 0)
			break;
		e2e_sleep_ms(1);
	}
	expect_long(label, r, 1);
	if (r != 1)
		exit(1); /* the waiter would never return */
	expect_long("woken waiter's return", (long)e2e_join(t), 0);
}

/* --- requeue ---------------------------------------------------------- */

static uint32_t stage1, stage2, f1, f2;

static void check_requeue(void)
{
	struct waiter w[8];
	int n = 8;

	for (int i = 0; i < n; i++)
		start(&w[i], &stage1, FUTEX_WAIT, 0, i % 2);
	expect_long("gather 8 sleepers on f1", gather(&stage1, &f1, n), n);
	expect_long("cmp_requeue f1->f2 wake 2 requeue 3",
		    fx(&f1, FUTEX_CMP_REQUEUE | P, 2, 3, &f2, 0), 5);
	expect_long("wake all on f1",
		    fx(&f1, FUTEX_WAKE | P, INT32_MAX, 0, NULL, 0), 3);
	expect_long("wake 1 on f2", fx(&f2, FUTEX_WAKE | P, 1, 0, NULL, 0), 1);
	expect_long("wake all on f2",
		    fx(&f2, FUTEX_WAKE | P, INT32_MAX, 0, NULL, 0), 2);
	expect_long("f2 empty", fx(&f2, FUTEX_WAKE | P, INT32_MAX, 0, NULL, 0),
		    0);
	expect_true("requeue waiters all returned 0", join_all(w, n));

	/* FUTEX_REQUEUE (no compare) and requeue onto a busy word */
	for (int i = 0; i < 6; i++)
		start(&w[i], &stage1, FUTEX_WAIT, 0, 0);
	expect_long("gather 4 on f1", gather(&stage1, &f1, 4), 4);
	expect_long("gather 2 on f2", gather(&stage1, &f2, 2), 2);
	expect_long("requeue f1->f2 wake 1",
		    fx(&f1, FUTEX_REQUEUE | P, 1, INT32_MAX, &f2, 0), 4);
	expect_long("wake all on f2 (2 + 3 requeued)",
		    fx(&f2, FUTEX_WAKE | P, INT32_MAX, 0, NULL, 0), 5);
	expect_true("requeue waiters all returned 0", join_all(w, 6));
}

/* --- wake_op with sleepers -------------------------------------------- */

static void check_wake_op(void)
{
	struct waiter w[4];
	uint32_t op = WOP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_EQ, 0);

	for (int i = 0; i < 4; i++)
		start(&w[i], i < 2 ? &stage1 : &stage2, FUTEX_WAIT, 0, i & 1);
	expect_long("gather 2 on f1", gather(&stage1, &f1, 2), 2);
	expect_long("gather 2 on f2", gather(&stage2, &f2, 2), 2);
	f2 = 0;
	expect_long("wake_op add 1, cmp old == 0: woken",
		    fx(&f1, FUTEX_WAKE_OP | P, 1, 1, &f2, op), 2);
	expect_long("wake_op: f2 after", f2, 1);
	expect_long("wake_op add 1, cmp old == 0 (false): woken",
		    fx(&f1, FUTEX_WAKE_OP | P, 1, 1, &f2, op), 1);
	expect_long("wake_op: f2 after", f2, 2);
	expect_long("f1 empty", fx(&f1, FUTEX_WAKE | P, INT32_MAX, 0, NULL, 0),
		    0);
	expect_long("wake rest of f2",
		    fx(&f2, FUTEX_WAKE | P, INT32_MAX, 0, NULL, 0), 1);
	expect_true("wake_op waiters all returned 0", join_all(w, 4));
	f2 = 0;
}

/* --- bitsets ---------------------------------------------------------- */

static void check_bitset(void)
{
	static const uint32_t sets[5] = {0x1, 0x2, 0x4, 0x3,
					 FUTEX_BITSET_MATCH_ANY};
	struct waiter w[5];

	for (int i = 0; i < 5; i++)
		start(&w[i], &stage1, FUTEX_WAIT_BITSET, sets[i], i == 2);
	expect_long("gather 5 bitset sleepers on f1", gather(&stage1, &f1, 5),
		    5);
	expect_long("wake_bitset 0x2 (0x2, 0x3, any)",
		    fx(&f1, FUTEX_WAKE_BITSET | P, INT32_MAX, 0, NULL, 0x2), 3);
	expect_long("wake_bitset 0x8 (none)",
		    fx(&f1, FUTEX_WAKE_BITSET | P, INT32_MAX, 0, NULL, 0x8), 0);
	expect_long("wake_bitset 0x4, at most 1",
		    fx(&f1, FUTEX_WAKE_BITSET | P, 1, 0, NULL, 0x4), 1);
	expect_err("wake_bitset 0",
		   fx(&f1, FUTEX_WAKE_BITSET | P, 1, 0, NULL, 0), EINVAL);
	expect_long("wake (any bitset)",
		    fx(&f1, FUTEX_WAKE | P, INT32_MAX, 0, NULL, 0), 1);
	expect_true("bitset waiters all returned 0", join_all(w, 5));
}

/* --- futex_waitv ------------------------------------------------------ */

struct waitv {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

static uint32_t va, vb;

static void *waitv_main(void *arg)
{
	struct waitv v[2] = {
		{0, (uintptr_t)&va, FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
		{0, (uintptr_t)&vb, FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
	};
	long r;

	(void)arg;
	do
		r = syscall(SYS_futex_waitv, v, 2, 0, NULL, 0);
	while (r < 0 && errno == EINTR);
	return (void *)r;
}

static void check_waitv(void)
{
	struct waitv v[2] = {
		{0, (uintptr_t)&va, FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
		{1, (uintptr_t)&vb, FUTEX_32 | FUTEX_PRIVATE_FLAG, 0},
	};
	struct timespec ts;
	int64_t dl;
	pthread_t t;
	long r = 0;
	int64_t give_up;

	expect_err("waitv: second value differs",
		   syscall(SYS_futex_waitv, v, 2, 0, NULL, 0), EAGAIN);
	v[1].val = 0;
	dl = e2e_now_ns(CLOCK_MONOTONIC) + 20000000;
	ts = e2e_ts(dl);
	expect_err("waitv: timeout",
		   syscall(SYS_futex_waitv, v, 2, 0, &ts, CLOCK_MONOTONIC),
		   ETIMEDOUT);
	expect_true("waitv: not early", e2e_now_ns(CLOCK_MONOTONIC) >= dl);
	expect_err("waitv: bad flags",
		   syscall(SYS_futex_waitv, v, 2, 1, NULL, 0), EINVAL);
	t = e2e_spawn(waitv_main, NULL);
	give_up = e2e_now_ns(CLOCK_MONOTONIC) + 5000000000LL;
	while (e2e_now_ns(CLOCK_MONOTONIC) < give_up) {
		r = fx(&vb, FUTEX_WAKE | P, 1, 0, NULL, 0);
		if (r)
			break;
		e2e_sleep_ms(1);
	}
	expect_long("waitv: wake the second word", r, 1);
	if (r != 1)
		exit(1);
	expect_long("waitv: returns the index woken", (long)e2e_join(t), 1);
}

int main(void)
{
	e2e_init();
	e2e_watchdog(20);
	check_basics();
	check_wake_op_ops();
	wake_one("wake (private) a sleeper", FUTEX_WAKE | P);
	wake_one("wake (shared) a sleeper", FUTEX_WAKE);
	check_requeue();
	check_wake_op();
	check_bitset();
	check_waitv();
	return e2e_done();
}
