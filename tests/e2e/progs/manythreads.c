/* manythreads.c - e2e: 1000 threads alive at once, then all joined */
#include "e2e_thr.h"

/*
 * Round 1: every thread blocks on a condvar until the 1000th arrives and
 * broadcasts. Round 2: the same with a pthread barrier of 1001 (main
 * included). Default thread attributes (glibc and musl stacks, guard
 * pages) in round 1, 64 KiB stacks in round 2. Each thread returns a value
 * derived from its index; the tids must all differ.
 */

#define N 1000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int arrived, released, max_seen;
static long tids[N];
static pthread_barrier_t bar;
static atomic_int serials, bar_bad;

static void *cv_thread(void *arg)
{
	long i = (long)arg;

	tids[i] = e2e_gettid();
	pthread_mutex_lock(&mu);
	if (++arrived == N) {
		released = 1;
		pthread_cond_broadcast(&cv);
	}
	while (!released)
		pthread_cond_wait(&cv, &mu);
	/* everyone arrived before anyone left */
	if (arrived > max_seen)
		max_seen = arrived;
	pthread_mutex_unlock(&mu);
	return (void *)(i * 3 + 1);
}

static void *bar_thread(void *arg)
{
	long i = (long)arg;
	int rc;

	tids[i] = e2e_gettid();
	rc = pthread_barrier_wait(&bar);
	if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
		atomic_fetch_add(&serials, 1);
	else if (rc)
		atomic_fetch_add(&bar_bad, 1);
	return (void *)(i * 5 + 2);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return x < y ? -1 : x > y;
}

/* tids all valid and pairwise distinct */
static int tids_distinct(void)
{
	static long sorted[N];

	memcpy(sorted, tids, sizeof(sorted));
	qsort(sorted, N, sizeof(long), cmp_long);
	if (sorted[0] <= 0)
		return 0;
	for (int i = 1; i < N; i++)
		if (sorted[i] == sorted[i - 1])
			return 0;
	return 1;
}

static pthread_t t[N];

static void round_condvar(void)
{
	int rets_ok = 1, created = 0;

	for (long i = 0; i < N; i++) {
		int rc = pthread_create(&t[i], NULL, cv_thread, (void *)i);

		if (rc) {
			printf("condvar round: create #%ld: %s\n", i,
			       errname(rc));
			e2e_fails++;
			break;
		}
		created++;
	}
	if (created < N) {
		/* let the ones we have go, so that they can be joined */
		pthread_mutex_lock(&mu);
		released = 1;
		pthread_cond_broadcast(&cv);
		pthread_mutex_unlock(&mu);
	}
	for (int i = 0; i < created; i++)
		if ((long)e2e_join(t[i]) != i * 3L + 1)
			rets_ok = 0;
	expect_long("condvar round: threads created", created, N);
	expect_long("condvar round: arrived", arrived, N);
	expect_long("condvar round: all alive when released", max_seen, N);
	expect_true("condvar round: return values", rets_ok);
	expect_true("condvar round: tids distinct", tids_distinct());
}

static void round_barrier(void)
{
	pthread_attr_t attr;
	int rets_ok = 1, rc;

	memset(tids, 0, sizeof(tids));
	must0("barrier_init", pthread_barrier_init(&bar, NULL, N + 1));
	must0("attr_init", pthread_attr_init(&attr));
	must0("setstacksize", pthread_attr_setstacksize(&attr, 64 * 1024));
	for (long i = 0; i < N; i++) {
		rc = pthread_create(&t[i], &attr, bar_thread, (void *)i);
		if (rc) {
			/* the barrier would never open: give up here */
			printf("barrier round: create #%ld: %s\n", i,
			       errname(rc));
			printf("failures: %d\n", e2e_fails + 1);
			exit(1);
		}
	}
	pthread_attr_destroy(&attr);
	rc = pthread_barrier_wait(&bar);
	if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
		atomic_fetch_add(&serials, 1);
	for (int i = 0; i < N; i++)
		if ((long)e2e_join(t[i]) != i * 5L + 2)
			rets_ok = 0;
	pthread_barrier_destroy(&bar);
	expect_long("barrier round: serial threads", atomic_load(&serials), 1);
	expect_long("barrier round: bad returns", atomic_load(&bar_bad), 0);
	expect_true("barrier round: return values", rets_ok);
	expect_true("barrier round: tids distinct", tids_distinct());
}

int main(void)
{
	e2e_init();
	e2e_watchdog(20);
	round_condvar();
	round_barrier();
	return e2e_done();
}
