/* threads.c - junction-bench child mode: microbenchmarks with threads */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"

/*
 * The ping-pongs: the measuring thread passes the turn to a partner thread
 * and waits until it comes back; one operation is one round trip, that is
 * two handoffs. The partner lives from setup to teardown.
 */
struct pingpong {
	pthread_t partner;
	/* futex-pingpong: 1 while the partner has the turn */
	_Alignas(64) uint32_t turn;
	/* set before the last turn: the partner exits instead of answering */
	uint32_t stop;
	/* condvar-pingpong: protects turn and stop */
	pthread_mutex_t lock;
	pthread_cond_t to_partner, to_main;
	/* pipe-pingpong: main writes ping[1], the partner writes pong[1] */
	int ping[2], pong[2];
};

static long futex(uint32_t *uaddr, int op, uint32_t val)
{
	return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

/* wait while *uaddr == val; a wake, a changed value or EINTR ends it */
static int futex_wait(uint32_t *uaddr, uint32_t val)
{
	if (futex(uaddr, FUTEX_WAIT_PRIVATE, val) && errno != EAGAIN &&
	    errno != EINTR)
		return -errno;
	return 0;
}

static int futex_wake(uint32_t *uaddr)
{
	return futex(uaddr, FUTEX_WAKE_PRIVATE, 1) < 0 ? -errno : 0;
}

static struct pingpong *pingpong_alloc(struct micro_ctx *c)
{
	struct pingpong *p = aligned_alloc(64, sizeof(*p));

	if (!p)
		return NULL;
	*p = (struct pingpong){.ping = {-1, -1}, .pong = {-1, -1}};
	c->priv = p;
	return p;
}

static void pingpong_free(struct micro_ctx *c)
{
	free(c->priv);
	c->priv = NULL;
}

/* start the partner running @fn; returns 0 or -errno */
static int pingpong_start(struct micro_ctx *c, void *(*fn)(void *))
{
	struct pingpong *p = c->priv;

	return -pthread_create(&p->partner, NULL, fn, p);
}

/* futex-pingpong: a raw FUTEX_WAKE, then FUTEX_WAIT until the turn is back */

static void *futex_partner(void *arg)
{
	struct pingpong *p = arg;

	for (;;) {
		while (!__atomic_load_n(&p->turn, __ATOMIC_ACQUIRE)) {
			if (futex_wait(&p->turn, 0))
				return NULL;
		}
		if (__atomic_load_n(&p->stop, __ATOMIC_RELAXED))
			return NULL;
		__atomic_store_n(&p->turn, 0, __ATOMIC_RELEASE);
		if (futex_wake(&p->turn))
			return NULL;
	}
}

static int setup_futex(struct micro_ctx *c)
{
	int err;

	if (!pingpong_alloc(c))
		return -ENOMEM;
	err = pingpong_start(c, futex_partner);
	if (err)
		pingpong_free(c);
	return err;
}

static int run_futex(struct micro_ctx *c, uint64_t n)
{
	struct pingpong *p = c->priv;
	int err;

	for (uint64_t i = 0; i < n; i++) {
		__atomic_store_n(&p->turn, 1, __ATOMIC_RELEASE);
		err = futex_wake(&p->turn);
		if (err)
			return err;
		while (__atomic_load_n(&p->turn, __ATOMIC_ACQUIRE)) {
			err = futex_wait(&p->turn, 1);
			if (err)
				return err;
		}
	}
	return 0;
}

static void teardown_futex(struct micro_ctx *c)
{
	struct pingpong *p = c->priv;

	__atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&p->turn, 1, __ATOMIC_RELEASE);
	futex_wake(&p->turn);
	pthread_join(p->partner, NULL);
	pingpong_free(c);
}

/* condvar-pingpong: one mutex, one condition variable per direction */

static void *condvar_partner(void *arg)
{
	struct pingpong *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->turn)
			pthread_cond_wait(&p->to_partner, &p->lock);
		if (p->stop)
			break;
		p->turn = 0;
		pthread_cond_signal(&p->to_main);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int setup_condvar(struct micro_ctx *c)
{
	struct pingpong *p = pingpong_alloc(c);
	int err;

	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->to_partner, NULL);
	pthread_cond_init(&p->to_main, NULL);
	err = pingpong_start(c, condvar_partner);
	if (err)
		pingpong_free(c);
	return err;
}

static int run_condvar(struct micro_ctx *c, uint64_t n)
{
	struct pingpong *p = c->priv;

	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&p->lock);
		p->turn = 1;
		pthread_cond_signal(&p->to_partner);
		while (p->turn)
			pthread_cond_wait(&p->to_main, &p->lock);
		pthread_mutex_unlock(&p->lock);
	}
	return 0;
}

static void teardown_condvar(struct micro_ctx *c)
{
	struct pingpong *p = c->priv;

	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	p->turn = 1;
	pthread_cond_signal(&p->to_partner);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->partner, NULL);
	pthread_cond_destroy(&p->to_main);
	pthread_cond_destroy(&p->to_partner);
	pthread_mutex_destroy(&p->lock);
	pingpong_free(c);
}

/* pipe-pingpong: one byte each way through two pipes; 'q' stops the partner */

static void *pipe_partner(void *arg)
{
	struct pingpong *p = arg;
	char byte;

	while (read(p->ping[0], &byte, 1) == 1 && byte != 'q') {
		if (write(p->pong[1], &byte, 1) != 1)
			break;
	}
	return NULL;
}

static void close_pipes(struct pingpong *p)
{
	for (int i = 0; i < 2; i++) {
		if (p->ping[i] >= 0)
			close(p->ping[i]);
		if (p->pong[i] >= 0)
			close(p->pong[i]);
	}
}

static int setup_pipe(struct micro_ctx *c)
{
	struct pingpong *p = pingpong_alloc(c);
	int err;

	if (!p)
		return -ENOMEM;
	if (pipe2(p->ping, O_CLOEXEC) || pipe2(p->pong, O_CLOEXEC)) {
		err = -errno;
		goto close_pipes;
	}
	err = pingpong_start(c, pipe_partner);
	if (err)
		goto close_pipes;
	return 0;

close_pipes:
	close_pipes(p);
	pingpong_free(c);
	return err;
}

static int run_pipe(struct micro_ctx *c, uint64_t n)
{
	struct pingpong *p = c->priv;
	char byte = 'p';

	for (uint64_t i = 0; i < n; i++) {
		if (write(p->ping[1], &byte, 1) != 1)
			return -EIO;
		if (read(p->pong[0], &byte, 1) != 1)
			return -EIO;
	}
	return 0;
}

static void teardown_pipe(struct micro_ctx *c)
{
	struct pingpong *p = c->priv;

	if (write(p->ping[1], "q", 1) == 1)
		pthread_join(p->partner, NULL);
	close_pipes(p);
	pingpong_free(c);
}

/* thread-create-join: a thread that returns at once, created and joined */

static void *return_at_once(void *arg)
{
	return arg;
}

static int run_create_join(struct micro_ctx *c, uint64_t n)
{
	(void)c;
	for (uint64_t i = 0; i < n; i++) {
		pthread_t t;
		int err = pthread_create(&t, NULL, return_at_once, NULL);

		if (err)
			return -err;
		err = pthread_join(t, NULL);
		if (err)
			return -err;
	}
	return 0;
}

/* mutex-uncontended: lock and unlock, one thread, no syscall expected */

static int setup_mutex(struct micro_ctx *c)
{
	pthread_mutex_t *m = malloc(sizeof(*m));

	if (!m)
		return -ENOMEM;
	pthread_mutex_init(m, NULL);
	c->priv = m;
	return 0;
}

static int run_mutex(struct micro_ctx *c, uint64_t n)
{
	pthread_mutex_t *m = c->priv;

	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_lock(m);
		pthread_mutex_unlock(m);
	}
	return 0;
}

static void teardown_mutex(struct micro_ctx *c)
{
	pthread_mutex_destroy(c->priv);
	free(c->priv);
}

/*
 * sched-yield: the measuring thread yields while a partner thread yields in
 * a loop until teardown; sched-yield-alone: no partner.
 */

static void *yield_partner(void *arg)
{
	struct pingpong *p = arg;

	while (!__atomic_load_n(&p->stop, __ATOMIC_RELAXED))
		sched_yield();
	return NULL;
}

static int setup_yield(struct micro_ctx *c)
{
	int err;

	if (!pingpong_alloc(c))
		return -ENOMEM;
	err = pingpong_start(c, yield_partner);
	if (err)
		pingpong_free(c);
	return err;
}

static int run_yield(struct micro_ctx *c, uint64_t n)
{
	(void)c;
	for (uint64_t i = 0; i < n; i++) {
		if (sched_yield())
			return -errno;
	}
	return 0;
}

static void teardown_yield(struct micro_ctx *c)
{
	struct pingpong *p = c->priv;

	__atomic_store_n(&p->stop, 1, __ATOMIC_RELAXED);
	pthread_join(p->partner, NULL);
	pingpong_free(c);
}

const struct micro thread_micros[] = {
	{"futex-pingpong", setup_futex, run_futex, teardown_futex},
	{"condvar-pingpong", setup_condvar, run_condvar, teardown_condvar},
	{"pipe-pingpong", setup_pipe, run_pipe, teardown_pipe},
	{"thread-create-join", NULL, run_create_join, NULL},
	{"mutex-uncontended", setup_mutex, run_mutex, teardown_mutex},
	{"sched-yield", setup_yield, run_yield, teardown_yield},
	{"sched-yield-alone", NULL, run_yield, NULL},
};

const size_t thread_nr_micros =
	sizeof(thread_micros) / sizeof(thread_micros[0]);
