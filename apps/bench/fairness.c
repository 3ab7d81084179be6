/* fairness.c - junction-bench child mode "fairness": CPU-bound threads */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"

#define FAIR_THREADS 4

static atomic_int stop;

static void *spin(void *arg)
{
	volatile unsigned long x = 0;

	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		x++;
	return arg;
}

static double cpu_seconds(pthread_t t)
{
	struct timespec ts;
	clockid_t c;

	if (pthread_getcpuclockid(t, &c) || clock_gettime(c, &ts))
		return -1;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * FAIR_THREADS threads spin for @seconds while this one sleeps; prints
 * each one's CPU time as a share of the elapsed time (one core: run it
 * under junction-run --cores 1, or natively under taskset -c 0).
 */
int bench_fairness_child(double seconds)
{
	struct timespec nap = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};
	pthread_t t[FAIR_THREADS];
	double cpu[FAIR_THREADS], total = 0;
	uint64_t t0, t1;

	t0 = bench_now_ns();
	for (int i = 0; i < FAIR_THREADS; i++) {
		if (pthread_create(&t[i], NULL, spin, NULL)) {
			perror("junction-bench: fairness: pthread_create");
			return 1;
		}
	}
	while (nanosleep(&nap, &nap))
		;
	for (int i = 0; i < FAIR_THREADS; i++)
		cpu[i] = cpu_seconds(t[i]);
	t1 = bench_now_ns();
	atomic_store(&stop, 1);
	for (int i = 0; i < FAIR_THREADS; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < FAIR_THREADS; i++) {
		total += cpu[i];
		printf("thread %d: %.3f s of CPU, %.1f%% of %.2f s\n", i,
		       cpu[i], 100 * cpu[i] / ((double)(t1 - t0) / 1e9),
		       (double)(t1 - t0) / 1e9);
	}
	printf("all: %.3f s of CPU\n", total);
	return 0;
}
