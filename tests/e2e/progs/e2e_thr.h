/* e2e_thr.h - helpers for the e2e thread programs (glibc and musl) */
#pragma once

#include "e2e.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>

/*
 * Thread programs print from one thread only, after the others are
 * joined: the workers record what they saw (counts, first bad value) and
 * main prints the facts, so the output never depends on interleaving.
 * Timings are never printed; a time bound appears only as a safety limit
 * that turns a hang into a failure line.
 */

static inline long e2e_gettid(void)
{
	return syscall(SYS_gettid);
}

static inline int64_t e2e_now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline struct timespec e2e_ts(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000,
			      .tv_nsec = ns % 1000000000};

	return ts;
}

/* sleep on CLOCK_MONOTONIC, resuming after EINTR */
static inline void e2e_sleep_ms(long ms)
{
	struct timespec ts = e2e_ts((int64_t)ms * 1000000);

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* start a thread or give up on the whole program */
static inline pthread_t e2e_spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;

	must0("pthread_create", pthread_create(&t, NULL, fn, arg));
	return t;
}

static inline void *e2e_join(pthread_t t)
{
	void *ret;

	must0("pthread_join", pthread_join(t, &ret));
	return ret;
}

/* a deterministic stream of numbers (splitmix64) */
static inline uint64_t e2e_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * A detached thread that ends the program if it is still running after
 * @seconds: it prints "watchdog: ..." and exits with status 3, so a hang
 * (natively or under junction) is a quick failure with the finished
 * checks visible, not a test-runner timeout. Every program here finishes
 * natively in well under a second.
 */
static void *e2e_watchdog_main(void *arg)
{
	int64_t deadline =
		e2e_now_ns(CLOCK_MONOTONIC) + (int64_t)(long)arg * 1000000000;
	char msg[64];
	int n;

	while (e2e_now_ns(CLOCK_MONOTONIC) < deadline)
		e2e_sleep_ms(100);
	n = snprintf(msg, sizeof(msg), "watchdog: still running after %ld s\n",
		     (long)arg);
	if (write(1, msg, (size_t)n) < 0)
		_exit(4);
	_exit(3);
}

static inline void e2e_watchdog(long seconds)
{
	pthread_attr_t a;
	pthread_t t;

	must0("attr_init", pthread_attr_init(&a));
	must0("setdetachstate",
	      pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
	must0("watchdog",
	      pthread_create(&t, &a, e2e_watchdog_main, (void *)seconds));
	pthread_attr_destroy(&a);
}
