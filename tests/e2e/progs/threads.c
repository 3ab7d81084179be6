/* threads.c - e2e: pthread create/join/detach, return values, TLS, keys */
#include "e2e_thr.h"

#include <sys/mman.h>

/*
 * Usage: threads           the checks below, main returns
 *        threads mainexit  main calls pthread_exit; a worker joins it,
 *                          reports, and the process ends with the last
 *                          thread (status 0)
 */

#define NT 8

static __thread int tls_int = 42;
static __thread char tls_str[32] = "initial";
static __thread long tls_bss[16];

/* --- create / join / return values ------------------------------------ */

struct rec {
	int idx;
	long tid, pid;
	pthread_t self;
	int *tls_addr;
	int tls_ok; /* saw the initial TLS image, kept its own values */
	int bad_tls; /* the first wrong value seen, for the report */
};

static struct rec recs[NT];
static pthread_barrier_t tls_bar;

/* pthread_exit from a few frames down; returns only for a negative depth */
static void __attribute__((noinline)) deep_exit(int depth, long v)
{
	if (depth < 0)
		return;
	if (depth == 0)
		pthread_exit((void *)v);
	deep_exit(depth - 1, v + 1);
}

static void *worker(void *arg)
{
	struct rec *r = arg;
	int ok = 1;

	r->tid = e2e_gettid();
	r->pid = getpid();
	r->self = pthread_self();
	r->tls_addr = &tls_int;
	/* a new thread starts from the TLS image, not from main's copy */
	if (tls_int != 42 || strcmp(tls_str, "initial")) {
		ok = 0;
		r->bad_tls = tls_int;
	}
	for (int i = 0; i < 16; i++)
		if (tls_bss[i])
			ok = 0;
	tls_int = 1000 + r->idx;
	snprintf(tls_str, sizeof(tls_str), "thread %d", r->idx);
	for (int i = 0; i < 16; i++)
		tls_bss[i] = r->idx * 16 + i;
	/* everyone has written its own copy before anyone checks */
	pthread_barrier_wait(&tls_bar);
	for (int k = 0; k < 100; k++)
		sched_yield();
	{
		char want[32];

		snprintf(want, sizeof(want), "thread %d", r->idx);
		if (tls_int != 1000 + r->idx || strcmp(tls_str, want)) {
			ok = 0;
			r->bad_tls = tls_int;
		}
		for (int i = 0; i < 16; i++)
			if (tls_bss[i] != r->idx * 16 + i)
				ok = 0;
	}
	r->tls_ok = ok;
	if (r->idx == NT - 1)
		deep_exit(5, 7L * r->idx);
	return (void *)(long)(r->idx * r->idx + 1);
}

static void check_create_join(void)
{
	pthread_t t[NT];
	long main_tid = e2e_gettid();
	int distinct = 1, same_pid = 1, tls_ok = 1, tls_distinct = 1;
	int rets_ok = 1, self_ok = 1;

	tls_int = 99; /* main's copy only */
	must0("barrier_init", pthread_barrier_init(&tls_bar, NULL, NT));
	for (int i = 0; i < NT; i++) {
		recs[i].idx = i;
		t[i] = e2e_spawn(worker, &recs[i]);
	}
	for (int i = 0; i < NT; i++) {
		long want = i == NT - 1 ? 7L * i + 5 : (long)i * i + 1;
		long got = (long)e2e_join(t[i]);

		if (got != want) {
			printf("thread %d returned %ld (want %ld)\n", i, got,
			       want);
			rets_ok = 0;
		}
		if (!pthread_equal(t[i], recs[i].self))
			self_ok = 0;
	}
	pthread_barrier_destroy(&tls_bar);
	for (int i = 0; i < NT; i++) {
		if (recs[i].tid == main_tid || recs[i].tid <= 0)
			distinct = 0;
		if (recs[i].pid != getpid())
			same_pid = 0;
		if (!recs[i].tls_ok) {
			printf("thread %d: bad tls (tls_int %d)\n", i,
			       recs[i].bad_tls);
			tls_ok = 0;
		}
		for (int j = 0; j < i; j++) {
			if (recs[i].tid == recs[j].tid)
				distinct = 0;
			if (recs[i].tls_addr == recs[j].tls_addr)
				tls_distinct = 0;
			if (pthread_equal(recs[i].self, recs[j].self))
				self_ok = 0;
		}
		if (recs[i].tls_addr == &tls_int)
			tls_distinct = 0;
	}
	expect_true("join: return values (return and nested pthread_exit)",
		    rets_ok);
	expect_true("tids distinct and not main's", distinct);
	expect_true("getpid same in every thread", same_pid);
	expect_true("pthread_self matches pthread_create's id", self_ok);
	expect_true("__thread: initial image and private copies", tls_ok);
	expect_true("__thread: distinct addresses per thread", tls_distinct);
	expect_long("__thread: main's copy untouched", tls_int, 99);
}

/* --- pthread_key_create destructors ----------------------------------- */

static pthread_key_t key_plain, key_dtor, key_again;
static atomic_int dtor_calls, dtor_sum, again_calls;
static int slots[NT];

static void dtor(void *p)
{
	atomic_fetch_add(&dtor_calls, 1);
	atomic_fetch_add(&dtor_sum, *(int *)p);
}

/* sets its value once more: called a second time (destructor iterations) */
static void dtor_again(void *p)
{
	atomic_fetch_add(&again_calls, 1);
	if (p == (void *)1)
		pthread_setspecific(key_again, (void *)2);
}

static void *key_worker(void *arg)
{
	int i = (int)(long)arg;
	int ok = 1;

	if (pthread_getspecific(key_plain) || pthread_getspecific(key_dtor))
		ok = 0;
	pthread_setspecific(key_plain, (void *)(long)(i + 100));
	slots[i] = i + 1;
	/* odd threads leave a NULL value: no destructor call for them */
	pthread_setspecific(key_dtor, i % 2 ? NULL : &slots[i]);
	pthread_setspecific(key_again, (void *)1);
	for (int k = 0; k < 50; k++)
		sched_yield();
	if (pthread_getspecific(key_plain) != (void *)(long)(i + 100))
		ok = 0;
	if (pthread_getspecific(key_dtor) != (i % 2 ? NULL : &slots[i]))
		ok = 0;
	if (i == 1)
		pthread_exit((void *)(long)ok); /* destructors run here too */
	return (void *)(long)ok;
}

static void check_keys(void)
{
	pthread_t t[NT];
	int ok = 1, want_sum = 0;

	must0("key_create", pthread_key_create(&key_plain, NULL));
	must0("key_create", pthread_key_create(&key_dtor, dtor));
	must0("key_create", pthread_key_create(&key_again, dtor_again));
	pthread_setspecific(key_plain, (void *)7);
	for (int i = 0; i < NT; i++)
		t[i] = e2e_spawn(key_worker, (void *)(long)i);
	for (int i = 0; i < NT; i++) {
		if (!e2e_join(t[i]))
			ok = 0;
		if (i % 2 == 0)
			want_sum += i + 1;
	}
	expect_true("key: per-thread values", ok);
	expect_true("key: main's value kept",
		    pthread_getspecific(key_plain) == (void *)7);
	expect_long("key: destructor calls", atomic_load(&dtor_calls), NT / 2);
	expect_long("key: destructor value sum", atomic_load(&dtor_sum),
		    want_sum);
	expect_long("key: re-set value gets a second destructor call",
		    atomic_load(&again_calls), 2 * NT);
	expect_errnum("key_delete", pthread_key_delete(key_dtor), 0);
	pthread_key_delete(key_plain);
	pthread_key_delete(key_again);
}

/* --- detached threads ------------------------------------------------- */

static pthread_mutex_t det_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t det_cv = PTHREAD_COND_INITIALIZER;
static int det_done, det_sum;

static void *det_worker(void *arg)
{
	pthread_mutex_lock(&det_mu);
	det_done++;
	det_sum += (int)(long)arg;
	pthread_cond_signal(&det_cv);
	pthread_mutex_unlock(&det_mu);
	return NULL;
}

static atomic_int quick_done;

static void *quick(void *arg)
{
	atomic_store(&quick_done, 1);
	return arg;
}

static void check_detach(void)
{
	pthread_attr_t attr;
	int state = -1, sum = 0;

	must0("attr_init", pthread_attr_init(&attr));
	must0("setdetachstate",
	      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED));
	pthread_attr_getdetachstate(&attr, &state);
	expect_true("attr: detached state", state == PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 16; i++) {
		pthread_t t;

		must0("create detached",
		      pthread_create(&t, &attr, det_worker, (void *)(long)i));
		sum += i;
	}
	pthread_attr_destroy(&attr);
	for (int i = 16; i < 32; i++) {
		pthread_t t = e2e_spawn(det_worker, (void *)(long)i);

		must0("pthread_detach", pthread_detach(t));
		sum += i;
	}
	pthread_mutex_lock(&det_mu);
	while (det_done < 32)
		pthread_cond_wait(&det_cv, &det_mu);
	pthread_mutex_unlock(&det_mu);
	expect_long("detached: threads finished", det_done, 32);
	expect_long("detached: argument sum", det_sum, sum);

	/* join and detach a thread that has already finished */
	{
		pthread_t t = e2e_spawn(quick, (void *)55);

		while (!atomic_load(&quick_done))
			sched_yield();
		e2e_sleep_ms(5);
		expect_long("join after the thread ended", (long)e2e_join(t),
			    55);
		atomic_store(&quick_done, 0);
		t = e2e_spawn(quick, NULL);
		while (!atomic_load(&quick_done))
			sched_yield();
		e2e_sleep_ms(5);
		expect_errnum("detach after the thread ended",
			      pthread_detach(t), 0);
	}
}

/* --- stacks ----------------------------------------------------------- */

struct stk {
	uintptr_t lo, hi;
	int inside;
};

static void *stack_worker(void *arg)
{
	struct stk *s = arg;
	volatile char local[256];
	uintptr_t a = (uintptr_t)local;

	local[0] = 1;
	s->inside = a >= s->lo && a + sizeof(local) <= s->hi;
	return NULL;
}

static void *getattr_worker(void *arg)
{
	struct stk *s = arg;
	pthread_attr_t a;
	void *base;
	size_t size;
	volatile char local[64];

	local[0] = 1;
	s->inside = 0;
	if (pthread_getattr_np(pthread_self(), &a))
		return NULL;
	pthread_attr_getstack(&a, &base, &size);
	pthread_attr_destroy(&a);
	s->lo = (uintptr_t)base;
	s->hi = (uintptr_t)base + size;
	s->inside = (uintptr_t)local >= s->lo && (uintptr_t)local < s->hi &&
		    size >= 64 * 1024;
	return NULL;
}

static void check_stacks(void)
{
	size_t sz = 256 * 1024;
	void *mem = mmap(NULL, sz, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_attr_t attr;
	struct stk s = {0};
	pthread_t t;

	must("mmap stack", mem == MAP_FAILED ? -1 : 0);
	must0("attr_init", pthread_attr_init(&attr));
	must0("setstack", pthread_attr_setstack(&attr, mem, sz));
	s.lo = (uintptr_t)mem;
	s.hi = s.lo + sz;
	must0("create on own stack",
	      pthread_create(&t, &attr, stack_worker, &s));
	e2e_join(t);
	pthread_attr_destroy(&attr);
	expect_true("setstack: runs on the given stack", s.inside);
	munmap(mem, sz);

	must0("attr_init", pthread_attr_init(&attr));
	must0("setstacksize", pthread_attr_setstacksize(&attr, 64 * 1024));
	must0("create small stack",
	      pthread_create(&t, &attr, getattr_worker, &s));
	e2e_join(t);
	pthread_attr_destroy(&attr);
	expect_true("setstacksize 64K: on the stack getattr_np reports",
		    s.inside);
}

/* --- threads creating and joining threads ----------------------------- */

static void *chain(void *arg)
{
	long depth = (long)arg;
	long below = 0;

	if (depth < 10)
		below = (long)e2e_join(e2e_spawn(chain, (void *)(depth + 1)));
	return (void *)(below + depth);
}

static void check_chain(void)
{
	expect_long("chain of 10 nested create/join: depth sum",
		    (long)e2e_join(e2e_spawn(chain, (void *)1)), 55);
}

/* --- main thread exits first ------------------------------------------ */

static pthread_t main_thread;

static void *survivor(void *arg)
{
	void *ret = NULL;

	expect_errnum("join the main thread", pthread_join(main_thread, &ret),
		      0);
	expect_long("main thread's pthread_exit value", (long)ret, 123);
	expect_true("getpid unchanged after main exited",
		    getpid() == (long)arg);
	expect_long("create/join after main exited",
		    (long)e2e_join(e2e_spawn(quick, (void *)77)), 77);
	printf("failures: %d\n", e2e_fails);
	fflush(stdout);
	if (e2e_fails)
		exit(1);
	return NULL; /* the last thread: the process exits with 0 */
}

static void main_exit(void)
{
	main_thread = pthread_self();
	e2e_spawn(survivor, (void *)(long)getpid());
	pthread_exit((void *)123);
}

int main(int argc, char **argv)
{
	e2e_init();
	/* not in mainexit: the process ends with its last thread */
	if (argc > 1 && !strcmp(argv[1], "mainexit"))
		main_exit();
	e2e_watchdog(20);
	check_create_join();
	check_keys();
	check_detach();
	check_stacks();
	check_chain();
	return e2e_done();
}
