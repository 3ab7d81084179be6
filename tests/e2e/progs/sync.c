/* sync.c - e2e: pthread mutex, condvar, rwlock, barrier, spinlock, sem */
#include "e2e_thr.h"

#include <semaphore.h>

/*
 * Each section runs a few threads hard against one primitive and checks an
 * invariant the primitive guarantees (no lost update, no torn read, every
 * item consumed once, ...); then the error returns of the uncontended API.
 */

#define NT 4

/* --- mutex ------------------------------------------------------------ */

#define MUTEX_ITERS 50000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long mu_counter;
static int mu_inside; /* threads inside the critical section */
static atomic_int mu_overlap;

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < MUTEX_ITERS; i++) {
		pthread_mutex_lock(&mu);
		if (mu_inside++)
			atomic_fetch_add(&mu_overlap, 1);
		mu_counter++;
		mu_inside--;
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

static void *trylock_other(void *arg)
{
	return (void *)(long)pthread_mutex_trylock(arg);
}

static void *unlock_other(void *arg)
{
	return (void *)(long)pthread_mutex_unlock(arg);
}

static void check_mutex(void)
{
	pthread_t t[NT];
	pthread_mutexattr_t a;
	pthread_mutex_t m;

	for (int i = 0; i < NT; i++)
		t[i] = e2e_spawn(mutex_worker, NULL);
	for (int i = 0; i < NT; i++)
		e2e_join(t[i]);
	expect_long("mutex: counter", mu_counter, (long)NT * MUTEX_ITERS);
	expect_long("mutex: overlapping critical sections",
		    atomic_load(&mu_overlap), 0);

	pthread_mutex_lock(&mu);
	expect_errnum("mutex: trylock held (other thread)",
		      (int)(long)e2e_join(e2e_spawn(trylock_other, &mu)),
		      EBUSY);
	pthread_mutex_unlock(&mu);
	expect_errnum("mutex: trylock free", pthread_mutex_trylock(&mu), 0);
	pthread_mutex_unlock(&mu);

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(&m, &a);
	expect_errnum("errorcheck: lock", pthread_mutex_lock(&m), 0);
	expect_errnum("errorcheck: relock", pthread_mutex_lock(&m), EDEADLK);
	expect_errnum("errorcheck: unlock by another thread",
		      (int)(long)e2e_join(e2e_spawn(unlock_other, &m)), EPERM);
	expect_errnum("errorcheck: unlock", pthread_mutex_unlock(&m), 0);
	expect_errnum("errorcheck: unlock unlocked", pthread_mutex_unlock(&m),
		      EPERM);
	pthread_mutex_destroy(&m);

	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m, &a);
	for (int i = 0; i < 5; i++)
		pthread_mutex_lock(&m);
	expect_errnum("recursive: trylock by owner", pthread_mutex_trylock(&m),
		      0);
	for (int i = 0; i < 5; i++)
		pthread_mutex_unlock(&m);
	expect_errnum("recursive: still held, trylock by another thread",
		      (int)(long)e2e_join(e2e_spawn(trylock_other, &m)), EBUSY);
	expect_errnum("recursive: last unlock", pthread_mutex_unlock(&m), 0);
	expect_errnum("recursive: free, trylock by another thread",
		      (int)(long)e2e_join(e2e_spawn(trylock_other, &m)), 0);
	pthread_mutex_destroy(&m);
	pthread_mutexattr_destroy(&a);
}

/* --- condvar: bounded queue ------------------------------------------- */

#define QCAP 8
#define NPROD 3
#define NCONS 3
#define ITEMS 20000 /* per producer */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t not_full, not_empty;
	long buf[QCAP];
	int head, len, max_len;
	int producers_left;
} q = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER,
	.producers_left = NPROD,
};

struct cons_result {
	long count, sum;
	long bad; /* items out of range or out of order per producer */
};

static void *producer(void *arg)
{
	long id = (long)arg;

	for (long i = 0; i < ITEMS; i++) {
		pthread_mutex_lock(&q.mu);
		while (q.len == QCAP)
			pthread_cond_wait(&q.not_full, &q.mu);
		q.buf[(q.head + q.len) % QCAP] = id * ITEMS + i;
		if (++q.len > q.max_len)
			q.max_len = q.len;
		pthread_cond_signal(&q.not_empty);
		pthread_mutex_unlock(&q.mu);
	}
	pthread_mutex_lock(&q.mu);
	if (--q.producers_left == 0)
		pthread_cond_broadcast(&q.not_empty);
	pthread_mutex_unlock(&q.mu);
	return NULL;
}

static void *consumer(void *arg)
{
	struct cons_result *r = arg;
	long last[NPROD];

	for (int i = 0; i < NPROD; i++)
		last[i] = -1;
	for (;;) {
		long v;

		pthread_mutex_lock(&q.mu);
		while (q.len == 0 && q.producers_left)
			pthread_cond_wait(&q.not_empty, &q.mu);
		if (q.len == 0) {
			pthread_mutex_unlock(&q.mu);
			break;
		}
		v = q.buf[q.head];
		q.head = (q.head + 1) % QCAP;
		q.len--;
		pthread_cond_signal(&q.not_full);
		pthread_mutex_unlock(&q.mu);
		if (v < 0 || v >= (long)NPROD * ITEMS) {
			r->bad++;
			continue;
		}
		/* one consumer sees each producer's items in order */
		if (v % ITEMS <= last[v / ITEMS])
			r->bad++;
		last[v / ITEMS] = v % ITEMS;
		r->count++;
		r->sum += v;
	}
	return NULL;
}

struct tw {
	pthread_cond_t *cv;
	pthread_mutex_t *mu;
	int *flag;
	atomic_int *waiting;
};

static void *bcast_waiter(void *arg)
{
	struct tw *w = arg;

	pthread_mutex_lock(w->mu);
	atomic_fetch_add(w->waiting, 1);
	while (!*w->flag)
		pthread_cond_wait(w->cv, w->mu);
	pthread_mutex_unlock(w->mu);
	return NULL;
}

static void check_condvar(void)
{
	pthread_t p[NPROD], c[NCONS];
	struct cons_result r[NCONS] = {{0}};
	long count = 0, sum = 0, bad = 0, n = (long)NPROD * ITEMS;

	for (int i = 0; i < NCONS; i++)
		c[i] = e2e_spawn(consumer, &r[i]);
	for (int i = 0; i < NPROD; i++)
		p[i] = e2e_spawn(producer, (void *)(long)i);
	for (int i = 0; i < NPROD; i++)
		e2e_join(p[i]);
	for (int i = 0; i < NCONS; i++) {
		e2e_join(c[i]);
		count += r[i].count;
		sum += r[i].sum;
		bad += r[i].bad;
	}
	expect_long("condvar queue: items consumed", count, n);
	expect_long("condvar queue: sum", sum, n * (n - 1) / 2);
	expect_long("condvar queue: bad or reordered items", bad, 0);
	expect_true("condvar queue: never above capacity", q.max_len <= QCAP);

	/* broadcast wakes every waiter */
	{
		pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
		pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
		atomic_int waiting = 0;
		int flag = 0;
		struct tw w = {&cv, &m, &flag, &waiting};
		pthread_t t[8];

		for (int i = 0; i < 8; i++)
			t[i] = e2e_spawn(bcast_waiter, &w);
		while (atomic_load(&waiting) < 8)
			sched_yield();
		pthread_mutex_lock(&m);
		flag = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&m);
		for (int i = 0; i < 8; i++)
			e2e_join(t[i]);
		say("condvar broadcast: waiters woken", "8");
	}

	/* timed waits that time out, on both clocks */
	{
		pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
		pthread_cond_t cv = PTHREAD_COND_INITIALIZER, cvm;
		pthread_condattr_t ca;
		int64_t t0, dl;
		struct timespec ts;
		int rc;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&cvm, &ca);
		pthread_mutex_lock(&m);
		dl = e2e_now_ns(CLOCK_REALTIME) + 20000000;
		ts = e2e_ts(dl);
		rc = pthread_cond_timedwait(&cv, &m, &ts);
		expect_errnum("cond_timedwait realtime", rc, ETIMEDOUT);
		expect_true("cond_timedwait realtime: not early",
			    e2e_now_ns(CLOCK_REALTIME) >= dl);
		t0 = e2e_now_ns(CLOCK_MONOTONIC);
		dl = t0 + 20000000;
		ts = e2e_ts(dl);
		rc = pthread_cond_timedwait(&cvm, &m, &ts);
		expect_errnum("cond_timedwait monotonic", rc, ETIMEDOUT);
		expect_true("cond_timedwait monotonic: not early",
			    e2e_now_ns(CLOCK_MONOTONIC) >= dl);
		ts = e2e_ts(t0 - 1000000);
		expect_errnum("cond_timedwait past deadline",
			      pthread_cond_timedwait(&cvm, &m, &ts), ETIMEDOUT);
		expect_errnum("mutex held after timedwait",
			      pthread_mutex_trylock(&m), EBUSY);
		pthread_mutex_unlock(&m);
		pthread_cond_destroy(&cvm);
		pthread_condattr_destroy(&ca);
	}
}

/* --- rwlock ----------------------------------------------------------- */

#define NWRITERS 2
#define NREADERS 4
#define WRITES 20000

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static volatile long pair_a, pair_b;
static atomic_int writers_left = NWRITERS;
static atomic_int rw_writers_in, rw_readers_in;

struct rd_result {
	long reads, torn, excl_bad;
};

static void *rw_writer(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int i = 0; i < WRITES; i++) {
		pthread_rwlock_wrlock(&rw);
		if (atomic_fetch_add(&rw_writers_in, 1) ||
		    atomic_load(&rw_readers_in))
			bad++;
		pair_a = pair_a + 1;
		/* a reader that ran here would see a torn pair */
		if (i % 64 == 0)
			sched_yield();
		pair_b = pair_b + 1;
		atomic_fetch_sub(&rw_writers_in, 1);
		pthread_rwlock_unlock(&rw);
	}
	atomic_fetch_sub(&writers_left, 1);
	return (void *)bad;
}

static void *rw_reader(void *arg)
{
	struct rd_result *r = arg;

	while (atomic_load(&writers_left) || r->reads < 100) {
		long a, b;

		pthread_rwlock_rdlock(&rw);
		atomic_fetch_add(&rw_readers_in, 1);
		if (atomic_load(&rw_writers_in))
			r->excl_bad++;
		a = pair_a;
		b = pair_b;
		atomic_fetch_sub(&rw_readers_in, 1);
		pthread_rwlock_unlock(&rw);
		if (a != b)
			r->torn++;
		r->reads++;
		/* glibc's rwlock prefers readers: leave writers a gap */
		sched_yield();
	}
	return NULL;
}

static void *try_rd(void *arg)
{
	int rc = pthread_rwlock_tryrdlock(arg);

	if (rc == 0)
		pthread_rwlock_unlock(arg);
	return (void *)(long)rc;
}

static void *try_wr(void *arg)
{
	int rc = pthread_rwlock_trywrlock(arg);

	if (rc == 0)
		pthread_rwlock_unlock(arg);
	return (void *)(long)rc;
}

static void check_rwlock(void)
{
	pthread_t w[NWRITERS], r[NREADERS];
	struct rd_result res[NREADERS] = {{0}};
	long torn = 0, excl = 0, wbad = 0;
	int reads_ok = 1;

	for (int i = 0; i < NREADERS; i++)
		r[i] = e2e_spawn(rw_reader, &res[i]);
	for (int i = 0; i < NWRITERS; i++)
		w[i] = e2e_spawn(rw_writer, NULL);
	for (int i = 0; i < NWRITERS; i++)
		wbad += (long)e2e_join(w[i]);
	for (int i = 0; i < NREADERS; i++) {
		e2e_join(r[i]);
		torn += res[i].torn;
		excl += res[i].excl_bad;
		if (res[i].reads < 100)
			reads_ok = 0;
	}
	expect_long("rwlock: writes", pair_a, (long)NWRITERS * WRITES);
	expect_long("rwlock: pair equal after writes", pair_b, pair_a);
	expect_long("rwlock: torn reads", torn, 0);
	expect_long("rwlock: reader beside a writer", excl, 0);
	expect_long("rwlock: writer beside anyone", wbad, 0);
	expect_true("rwlock: every reader read", reads_ok);

	pthread_rwlock_rdlock(&rw);
	expect_errnum("rwlock: tryrdlock while read-locked",
		      (int)(long)e2e_join(e2e_spawn(try_rd, &rw)), 0);
	expect_errnum("rwlock: trywrlock while read-locked",
		      (int)(long)e2e_join(e2e_spawn(try_wr, &rw)), EBUSY);
	pthread_rwlock_unlock(&rw);
	pthread_rwlock_wrlock(&rw);
	expect_errnum("rwlock: tryrdlock while write-locked",
		      (int)(long)e2e_join(e2e_spawn(try_rd, &rw)), EBUSY);
	expect_errnum("rwlock: trywrlock while write-locked",
		      (int)(long)e2e_join(e2e_spawn(try_wr, &rw)), EBUSY);
	pthread_rwlock_unlock(&rw);
	expect_errnum("rwlock: trywrlock free",
		      (int)(long)e2e_join(e2e_spawn(try_wr, &rw)), 0);
}

/* --- barrier ---------------------------------------------------------- */

#define PHASES 1000

static pthread_barrier_t bar;
static atomic_long phase_count;
static atomic_int serials;

static void *bar_worker(void *arg)
{
	long bad = 0;

	(void)arg;
	for (long p = 0; p < PHASES; p++) {
		int rc;

		atomic_fetch_add(&phase_count, 1);
		rc = pthread_barrier_wait(&bar);
		if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&serials, 1);
		else if (rc != 0)
			bad++;
		/* everyone has counted phase p, nobody has started p + 1 */
		if (atomic_load(&phase_count) != (p + 1) * NT)
			bad++;
		rc = pthread_barrier_wait(&bar);
		if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
			atomic_fetch_add(&serials, 1);
		else if (rc != 0)
			bad++;
	}
	return (void *)bad;
}

static void check_barrier(void)
{
	pthread_t t[NT];
	long bad = 0;

	must0("barrier_init", pthread_barrier_init(&bar, NULL, NT));
	for (int i = 0; i < NT; i++)
		t[i] = e2e_spawn(bar_worker, NULL);
	for (int i = 0; i < NT; i++)
		bad += (long)e2e_join(t[i]);
	pthread_barrier_destroy(&bar);
	expect_long("barrier: phase count", atomic_load(&phase_count),
		    (long)PHASES * NT);
	expect_long("barrier: phase mismatches", bad, 0);
	expect_long("barrier: serial threads (one per wait)",
		    atomic_load(&serials), 2L * PHASES);
	expect_errnum("barrier: init with count 0",
		      pthread_barrier_init(&bar, NULL, 0), EINVAL);
}

/* --- spinlock --------------------------------------------------------- */

#define SPIN_ITERS 50000

static pthread_spinlock_t spin;
static long spin_counter;

static void *spin_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < SPIN_ITERS; i++) {
		pthread_spin_lock(&spin);
		spin_counter++;
		pthread_spin_unlock(&spin);
	}
	return NULL;
}

static void *spin_try(void *arg)
{
	pthread_spinlock_t *s = arg;
	int rc = pthread_spin_trylock(s);

	if (rc == 0)
		pthread_spin_unlock(s);
	return (void *)(long)rc;
}

static void check_spin(void)
{
	pthread_t t[NT];

	must0("spin_init", pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE));
	for (int i = 0; i < NT; i++)
		t[i] = e2e_spawn(spin_worker, NULL);
	for (int i = 0; i < NT; i++)
		e2e_join(t[i]);
	expect_long("spinlock: counter", spin_counter, (long)NT * SPIN_ITERS);
	pthread_spin_lock(&spin);
	expect_errnum("spinlock: trylock held",
		      (int)(long)e2e_join(e2e_spawn(spin_try, (void *)&spin)),
		      EBUSY);
	pthread_spin_unlock(&spin);
	expect_errnum("spinlock: trylock free",
		      (int)(long)e2e_join(e2e_spawn(spin_try, (void *)&spin)),
		      0);
	pthread_spin_destroy(&spin);
}

/* --- semaphores ------------------------------------------------------- */

#define PINGS 5000
#define SEM_ITEMS 20000 /* per producer */

static sem_t ping, pong;
static volatile int turn; /* 0: ping's side may run, 1: pong's */

static void *ponger(void *arg)
{
	long bad = 0;

	(void)arg;
	for (int i = 0; i < PINGS; i++) {
		while (sem_wait(&ping) < 0 && errno == EINTR)
			;
		if (turn != 1)
			bad++;
		turn = 0;
		sem_post(&pong);
	}
	return (void *)bad;
}

static sem_t items, slots_free;
static sem_t sem_mu;
static long sem_sum, sem_taken;

static void *sem_producer(void *arg)
{
	long id = (long)arg;

	for (long i = 0; i < SEM_ITEMS; i++) {
		sem_wait(&slots_free);
		sem_wait(&sem_mu);
		sem_sum += id * SEM_ITEMS + i;
		sem_post(&sem_mu);
		sem_post(&items);
	}
	return NULL;
}

static void *sem_consumer(void *arg)
{
	long n = (long)arg;

	for (long i = 0; i < n; i++) {
		sem_wait(&items);
		sem_wait(&sem_mu);
		sem_taken++;
		sem_post(&sem_mu);
		sem_post(&slots_free);
	}
	return NULL;
}

static void *sem_late_post(void *arg)
{
	e2e_sleep_ms(10);
	sem_post(arg);
	return NULL;
}

static void check_sem(void)
{
	pthread_t t, p[2], c[2];
	long bad = 0;
	int v = -1;
	struct timespec ts;
	int64_t dl;
	sem_t s;

	must("sem_init", sem_init(&ping, 0, 0));
	must("sem_init", sem_init(&pong, 0, 0));
	t = e2e_spawn(ponger, NULL);
	for (int i = 0; i < PINGS; i++) {
		if (turn != 0)
			bad++;
		turn = 1;
		sem_post(&ping);
		while (sem_wait(&pong) < 0 && errno == EINTR)
			;
	}
	bad += (long)e2e_join(t);
	expect_long("sem ping-pong: alternation violations", bad, 0);
	sem_getvalue(&ping, &v);
	expect_long("sem ping-pong: ping value after", v, 0);

	must("sem_init", sem_init(&items, 0, 0));
	must("sem_init", sem_init(&slots_free, 0, 4));
	must("sem_init", sem_init(&sem_mu, 0, 1));
	for (int i = 0; i < 2; i++)
		p[i] = e2e_spawn(sem_producer, (void *)(long)i);
	c[0] = e2e_spawn(sem_consumer, (void *)(long)(SEM_ITEMS / 2));
	c[1] = e2e_spawn(sem_consumer,
			 (void *)(long)(2 * SEM_ITEMS - SEM_ITEMS / 2));
	for (int i = 0; i < 2; i++) {
		e2e_join(p[i]);
		e2e_join(c[i]);
	}
	expect_long("sem queue: items taken", sem_taken, 2L * SEM_ITEMS);
	expect_long("sem queue: sum", sem_sum,
		    (2L * SEM_ITEMS) * (2L * SEM_ITEMS - 1) / 2);
	sem_getvalue(&slots_free, &v);
	expect_long("sem queue: free slots after", v, 4);
	sem_getvalue(&items, &v);
	expect_long("sem queue: items left", v, 0);

	must("sem_init", sem_init(&s, 0, 0));
	expect_err("sem_trywait at 0", sem_trywait(&s), EAGAIN);
	dl = e2e_now_ns(CLOCK_REALTIME) + 20000000;
	ts = e2e_ts(dl);
	expect_err("sem_timedwait at 0", sem_timedwait(&s, &ts), ETIMEDOUT);
	expect_true("sem_timedwait: not early",
		    e2e_now_ns(CLOCK_REALTIME) >= dl);
	ts = e2e_ts(e2e_now_ns(CLOCK_REALTIME) - 1000000000);
	expect_err("sem_timedwait past deadline", sem_timedwait(&s, &ts),
		   ETIMEDOUT);
	ts.tv_nsec = 1000000000;
	expect_err("sem_timedwait bad tv_nsec", sem_timedwait(&s, &ts), EINVAL);
	sem_post(&s);
	ts = e2e_ts(e2e_now_ns(CLOCK_REALTIME) + 1000000000);
	expect_err("sem_timedwait available", sem_timedwait(&s, &ts), 0);
	/* woken by a post from another thread before the deadline */
	t = e2e_spawn(sem_late_post, &s);
	ts = e2e_ts(e2e_now_ns(CLOCK_REALTIME) + 4000000000LL);
	expect_err("sem_timedwait posted later", sem_timedwait(&s, &ts), 0);
	e2e_join(t);
	sem_getvalue(&s, &v);
	expect_long("sem value at the end", v, 0);
	sem_destroy(&s);
}

int main(void)
{
	e2e_init();
	e2e_watchdog(20);
	check_mutex();
	check_condvar();
	check_rwlock();
	check_barrier();
	check_spin();
	check_sem();
	return e2e_done();
}
