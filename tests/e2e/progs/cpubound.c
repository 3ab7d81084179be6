/* cpubound.c - e2e: more spinning threads than cores all make progress */
#include "e2e_thr.h"

/*
 * Four threads spin without a single syscall. Phase 1: each counts to a
 * target but may stop only when every other spinner has reached it too and
 * the main thread, which sleeps in short naps meanwhile, has woken a few
 * times: on one core this finishes only if spinners are preempted and the
 * sleeper's timer is served while they spin. Phase 2: the spinners pass a
 * token around a ring, each waiting for its turn by spinning, so every pass
 * needs the holder to get the CPU. Last, the CPU time each spinner was
 * charged must be plausible. A safety deadline turns a hang into a
 * failure line.
 */

#define NT 4
#define TARGET (20L * 1000 * 1000)
#define PASSES 10
#define SAFETY_NS 10000000000LL

static atomic_long progress[NT];
static atomic_int main_ticks, spinners_done, token;
static int64_t t_start;

struct spinner {
	int idx;
	int stuck;
	int passes;
	uint64_t sink;
	int64_t cpu_ns;
};

static int all_reached(void)
{
	for (int i = 0; i < NT; i++)
		if (atomic_load_explicit(&progress[i], memory_order_relaxed) <
		    TARGET)
			return 0;
	return 1;
}

static void *spin(void *arg)
{
	struct spinner *s = arg;
	uint64_t x = (uint64_t)s->idx + 1;
	long n = 0;

	/* phase 1 */
	for (;;) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		if ((++n & 0x3fff) != 0)
			continue;
		atomic_store_explicit(&progress[s->idx], n,
				      memory_order_relaxed);
		if (n >= TARGET && all_reached() &&
		    atomic_load(&main_ticks) >= 3)
			break;
		if ((n & 0xfffff) == 0 &&
		    e2e_now_ns(CLOCK_MONOTONIC) - t_start > SAFETY_NS) {
			s->stuck = 1;
			break;
		}
	}
	/* phase 2: token ring */
	for (int p = 0; p < PASSES && !s->stuck; p++) {
		long spins = 0;

		while (atomic_load(&token) != s->idx) {
			x = x * 6364136223846793005ULL + 1;
			if ((++spins & 0xfffff) == 0 &&
			    e2e_now_ns(CLOCK_MONOTONIC) - t_start > SAFETY_NS) {
				s->stuck = 2;
				break;
			}
		}
		if (s->stuck)
			break;
		atomic_store(&token, (s->idx + 1) % NT);
		s->passes++;
	}
	s->sink = x;
	s->cpu_ns = e2e_now_ns(CLOCK_THREAD_CPUTIME_ID);
	atomic_fetch_add(&spinners_done, 1);
	return NULL;
}

int main(void)
{
	struct spinner s[NT];
	pthread_t t[NT];
	int stuck = 0, reached = 1, cpu_each = 1, passes = 0;
	int64_t wall, cpu_sum = 0, proc0, proc;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	e2e_init();
	e2e_watchdog(20);
	t_start = e2e_now_ns(CLOCK_MONOTONIC);
	proc0 = e2e_now_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < NT; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].idx = i;
		t[i] = e2e_spawn(spin, &s[i]);
	}
	/* the sleeper: short naps while the spinners run */
	while (atomic_load(&spinners_done) < NT &&
	       e2e_now_ns(CLOCK_MONOTONIC) - t_start < SAFETY_NS + 1000000000) {
		e2e_sleep_ms(2);
		atomic_fetch_add(&main_ticks, 1);
	}
	for (int i = 0; i < NT; i++) {
		e2e_join(t[i]);
		if (s[i].stuck) {
			printf("spinner %d: stuck in phase %d\n", i,
			       s[i].stuck);
			stuck = 1;
		}
		if (atomic_load(&progress[i]) < TARGET)
			reached = 0;
		if (s[i].cpu_ns < 5000000)
			cpu_each = 0;
		cpu_sum += s[i].cpu_ns;
		passes += s[i].passes;
	}
	wall = e2e_now_ns(CLOCK_MONOTONIC) - t_start;
	proc = e2e_now_ns(CLOCK_PROCESS_CPUTIME_ID) - proc0;
	expect_true("spinners finished without the safety deadline", !stuck);
	expect_true("phase 1: every spinner reached the target", reached);
	expect_true("phase 1: the sleeper woke while they spun",
		    atomic_load(&main_ticks) >= 3);
	expect_long("phase 2: token passes", passes, PASSES * NT);
	expect_true("cpu time: each spinner charged >= 5 ms", cpu_each);
	expect_true("cpu time: spinners within wall time x cpus",
		    cpu_sum <= wall * (cpus > 0 ? cpus : 1) + 50000000);
	expect_true("cpu time: process >= sum of its spinners",
		    proc + 1000000 >= cpu_sum);
	if (!cpu_each || proc + 1000000 < cpu_sum)
		fprintf(stderr, "cpu: sum %lld ns, process %lld ns\n",
			(long long)cpu_sum, (long long)proc);
	return e2e_done();
}
