/* robust.c - e2e: robust mutexes whose owner exits without unlocking */
#include "e2e_thr.h"

/*
 * A thread locks a PTHREAD_MUTEX_ROBUST mutex and ends without unlocking.
 * The next locker gets EOWNERDEAD (whether it was already blocked or
 * comes later), pthread_mutex_consistent makes the mutex usable again; if
 * it is unlocked without that, it is ENOTRECOVERABLE for good. glibc
 * leaves the cleanup to the kernel's robust list walk at thread exit;
 * musl walks the list itself in pthread_exit; the PI variants go through
 * FUTEX_LOCK_PI / FUTEX_UNLOCK_PI.
 */

enum kind { NORMAL, ERRORCHECK, RECURSIVE, PI };

static const char *const kind_name[] = {"normal", "errorcheck", "recursive",
					"pi"};

static void init_robust(pthread_mutex_t *m, enum kind k)
{
	pthread_mutexattr_t a;

	must0("mutexattr_init", pthread_mutexattr_init(&a));
	must0("setrobust",
	      pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST));
	if (k == ERRORCHECK)
		must0("settype",
		      pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
	if (k == RECURSIVE)
		must0("settype",
		      pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
	if (k == PI)
		must0("setprotocol",
		      pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT));
	must0("mutex_init", pthread_mutex_init(m, &a));
	pthread_mutexattr_destroy(&a);
}

struct dier {
	pthread_mutex_t *m[3];
	int n;
	int times; /* lock each this many times (recursive) */
	long hold_ms; /* then wait before exiting */
	atomic_int locked;
	int rc;
};

/* lock, announce, and end the thread with the locks held */
static void *die_holding(void *arg)
{
	struct dier *d = arg;

	d->rc = 0;
	for (int i = 0; i < d->n; i++)
		for (int j = 0; j < (d->times ? d->times : 1); j++) {
			int rc = pthread_mutex_lock(d->m[i]);

			if (rc && !d->rc)
				d->rc = rc;
		}
	atomic_store(&d->locked, 1);
	if (d->hold_ms)
		e2e_sleep_ms(d->hold_ms);
	return NULL;
}

static void owner_dies(enum kind k)
{
	pthread_mutex_t m;
	struct dier d = {.m = {&m}, .n = 1};
	char label[96];
	pthread_t t;

	init_robust(&m, k);
	if (k == RECURSIVE)
		d.times = 3;
	t = e2e_spawn(die_holding, &d);
	e2e_join(t);
	snprintf(label, sizeof(label), "%s: owner locked", kind_name[k]);
	expect_errnum(label, d.rc, 0);
	snprintf(label, sizeof(label), "%s: lock after owner exit",
		 kind_name[k]);
	expect_errnum(label, pthread_mutex_lock(&m), EOWNERDEAD);
	snprintf(label, sizeof(label), "%s: consistent", kind_name[k]);
	expect_errnum(label, pthread_mutex_consistent(&m), 0);
	snprintf(label, sizeof(label), "%s: consistent again", kind_name[k]);
	expect_errnum(label, pthread_mutex_consistent(&m), EINVAL);
	snprintf(label, sizeof(label), "%s: unlock", kind_name[k]);
	expect_errnum(label, pthread_mutex_unlock(&m), 0);
	snprintf(label, sizeof(label), "%s: lock again", kind_name[k]);
	expect_errnum(label, pthread_mutex_lock(&m), 0);
	snprintf(label, sizeof(label), "%s: unlock again", kind_name[k]);
	expect_errnum(label, pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
}

/*
 * The next locker is already asleep on the mutex when the owner exits;
 * with @timed it sleeps in pthread_mutex_timedlock with a 5 s deadline.
 */
static void owner_dies_with_waiter(enum kind k, int timed)
{
	pthread_mutex_t m;
	struct dier d = {.m = {&m}, .n = 1, .hold_ms = 30};
	char label[96];
	pthread_t t;
	int rc;

	init_robust(&m, k);
	t = e2e_spawn(die_holding, &d);
	while (!atomic_load(&d.locked))
		sched_yield();
	if (timed) {
		struct timespec ts =
			e2e_ts(e2e_now_ns(CLOCK_REALTIME) + 5000000000LL);

		rc = pthread_mutex_timedlock(&m, &ts);
	} else {
		rc = pthread_mutex_lock(&m);
	}
	snprintf(label, sizeof(label), "%s: blocked %s, owner exits",
		 kind_name[k], timed ? "timedlock" : "lock");
	expect_errnum(label, rc, EOWNERDEAD);
	e2e_join(t);
	snprintf(label, sizeof(label), "%s: consistent", kind_name[k]);
	expect_errnum(label, pthread_mutex_consistent(&m), 0);
	snprintf(label, sizeof(label), "%s: unlock", kind_name[k]);
	expect_errnum(label, pthread_mutex_unlock(&m), 0);
	pthread_mutex_destroy(&m);
}

static void *trylock_thread(void *arg)
{
	return (void *)(long)pthread_mutex_trylock(arg);
}

static void *unlock_thread(void *arg)
{
	return (void *)(long)pthread_mutex_unlock(arg);
}

static void not_recovered(void)
{
	pthread_mutex_t m;
	struct dier d = {.m = {&m}, .n = 1};

	init_robust(&m, NORMAL);
	e2e_join(e2e_spawn(die_holding, &d));
	expect_errnum("unrecovered: trylock after owner exit",
		      pthread_mutex_trylock(&m), EOWNERDEAD);
	expect_errnum("unrecovered: unlock without consistent",
		      pthread_mutex_unlock(&m), 0);
	expect_errnum("unrecovered: lock", pthread_mutex_lock(&m),
		      ENOTRECOVERABLE);
	expect_errnum("unrecovered: trylock from another thread",
		      (int)(long)e2e_join(e2e_spawn(trylock_thread, &m)),
		      ENOTRECOVERABLE);
	pthread_mutex_destroy(&m);
}

static void several_held(void)
{
	pthread_mutex_t m[3];
	struct dier d = {.m = {&m[0], &m[1], &m[2]}, .n = 3};

	for (int i = 0; i < 3; i++)
		init_robust(&m[i], i == 1 ? ERRORCHECK : NORMAL);
	e2e_join(e2e_spawn(die_holding, &d));
	/* the robust list is walked from the most recent lock */
	for (int i = 2; i >= 0; i--) {
		char label[64];

		snprintf(label, sizeof(label), "three held: mutex %d", i);
		expect_errnum(label, pthread_mutex_lock(&m[i]), EOWNERDEAD);
		pthread_mutex_consistent(&m[i]);
		pthread_mutex_unlock(&m[i]);
		pthread_mutex_destroy(&m[i]);
	}
}

static void errorcheck_other(void)
{
	pthread_mutex_t m;

	init_robust(&m, ERRORCHECK);
	pthread_mutex_lock(&m);
	expect_errnum("errorcheck robust: unlock by another thread",
		      (int)(long)e2e_join(e2e_spawn(unlock_thread, &m)), EPERM);
	expect_errnum("errorcheck robust: relock", pthread_mutex_lock(&m),
		      EDEADLK);
	pthread_mutex_unlock(&m);
	pthread_mutex_destroy(&m);

	{
		pthread_mutex_t plain = PTHREAD_MUTEX_INITIALIZER;

		pthread_mutex_lock(&plain);
		expect_errnum("consistent on a non-robust mutex",
			      pthread_mutex_consistent(&plain), EINVAL);
		pthread_mutex_unlock(&plain);
	}
}

/* a chain of threads: each inherits the dead owner's mutex and dies too */
#define CHAIN 40

static pthread_mutex_t chain_m;
static int chain_rc[CHAIN];
static int chain_cons[CHAIN];
static long chain_counter;

static void *chain_link(void *arg)
{
	int i = (int)(long)arg;

	chain_rc[i] = pthread_mutex_lock(&chain_m);
	if (chain_rc[i] == EOWNERDEAD)
		chain_cons[i] = pthread_mutex_consistent(&chain_m);
	chain_counter++; /* protected by chain_m */
	return NULL; /* and never unlock */
}

static void chain(enum kind k)
{
	int first_ok, rest_ok = 1, cons_ok = 1;
	char label[64];

	init_robust(&chain_m, k);
	for (int i = 0; i < CHAIN; i++)
		e2e_join(e2e_spawn(chain_link, (void *)(long)i));
	first_ok = chain_rc[0] == 0;
	for (int i = 1; i < CHAIN; i++) {
		if (chain_rc[i] != EOWNERDEAD)
			rest_ok = 0;
		if (chain_cons[i] != 0)
			cons_ok = 0;
	}
	snprintf(label, sizeof(label), "chain %s: first lock", kind_name[k]);
	expect_true(label, first_ok);
	snprintf(label, sizeof(label), "chain %s: each later lock EOWNERDEAD",
		 kind_name[k]);
	expect_true(label, rest_ok);
	snprintf(label, sizeof(label), "chain %s: consistent each time",
		 kind_name[k]);
	expect_true(label, cons_ok);
	snprintf(label, sizeof(label), "chain %s: counter", kind_name[k]);
	expect_long(label, chain_counter, CHAIN);
	snprintf(label, sizeof(label), "chain %s: main after the last",
		 kind_name[k]);
	expect_errnum(label, pthread_mutex_lock(&chain_m), EOWNERDEAD);
	pthread_mutex_consistent(&chain_m);
	pthread_mutex_unlock(&chain_m);
	pthread_mutex_destroy(&chain_m);
	chain_counter = 0;
	memset(chain_rc, 0, sizeof(chain_rc));
	memset(chain_cons, 0, sizeof(chain_cons));
}

int main(void)
{
	e2e_init();
	e2e_watchdog(20);
	for (int k = NORMAL; k <= PI; k++)
		owner_dies((enum kind)k);
	owner_dies_with_waiter(NORMAL, 0);
	owner_dies_with_waiter(NORMAL, 1);
	owner_dies_with_waiter(PI, 1);
	not_recovered();
	several_held();
	errorcheck_other();
	chain(NORMAL);
	chain(PI);
	return e2e_done();
}
