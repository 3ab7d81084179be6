/* hostpoll.c - a helper thread that turns host fd readiness into wakeups */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>

#include "base/host.h"
#include "base/log.h"
#include "kernel/hostpoll.h"
#include "kernel/kernel.h"
#include "sched/sched.h"

/*
 * One host thread sleeps in epoll_wait on every host fd a uthread waits
 * for; it wakes the fd's wait queue. It costs nothing while nothing is
 * ready (DESIGN.md rule 6). Registrations are EPOLLONESHOT, so a readable
 * fd nobody reads does not make it spin. dispatch_lock is held while
 * events are handed out, and by hostwatch_remove after EPOLL_CTL_DEL, so a
 * removed watch is never touched again.
 */
static int epfd = -1;
static struct spinlock dispatch_lock = SPINLOCK_INIT;
static struct kthread poller_kt; /* a %gs base for sched_wake */
static int poller_started; /* atomic */
static struct spinlock start_lock = SPINLOCK_INIT;

void hostwatch_init(struct hostwatch *w, int fd, struct waitq *wq)
{
	spin_init(&w->lock);
	w->fd = fd;
	w->events = 0;
	w->registered = false;
	w->wq = wq;
}

static int start_poller(void);

int hostwatch_arm(struct hostwatch *w, uint32_t events)
{
	struct epoll_event ev = {.events = events | EPOLLONESHOT,
				 .data.ptr = w};
	long r;

	/* the helper thread starts with the first host fd to wait for */
	if (!__atomic_load_n(&poller_started, __ATOMIC_ACQUIRE)) {
		r = start_poller();
		if (r < 0)
			return (int)r;
	}

	spin_lock(&w->lock);
	r = host_syscall4(SYS_epoll_ctl, epfd,
			  w->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd,
			  &ev);
	if (r == -EEXIST) /* lost track of it: it is registered */
		r = host_syscall4(SYS_epoll_ctl, epfd, EPOLL_CTL_MOD, w->fd,
				  &ev);
	if (r == 0) {
		w->registered = true;
		w->events = events;
	}
	spin_unlock(&w->lock);
	/*
	 * EPERM: a regular file or /dev/null, which epoll refuses; they are
	 * always ready, and the caller's poll of the fd says so.
	 */
	return r == -EPERM ? 0 : (int)r;
}

void hostwatch_remove(struct hostwatch *w)
{
	spin_lock(&w->lock);
	if (w->registered)
		host_syscall4(SYS_epoll_ctl, epfd, EPOLL_CTL_DEL, w->fd, NULL);
	w->registered = false;
	w->events = 0;
	spin_unlock(&w->lock);
	/* wait out a dispatch that may still hold @w */
	spin_lock(&dispatch_lock);
	spin_unlock(&dispatch_lock);
}

static void *poller_main(void *arg)
{
	struct epoll_event ev[64];

	(void)arg;
	kthread_init_self(&poller_kt, -1);
	for (;;) {
		long n = host_syscall4(SYS_epoll_wait, epfd, ev, 64, -1);

		if (n < 0)
			continue; /* EINTR */
		spin_lock(&dispatch_lock);
		for (long i = 0; i < n; i++) {
			struct hostwatch *w = ev[i].data.ptr;

			spin_lock(&w->lock);
			w->events = 0; /* one-shot: disarmed now */
			spin_unlock(&w->lock);
			waitq_wake(w->wq, ev[i].events, 1 << 30);
		}
		spin_unlock(&dispatch_lock);
	}
	return NULL;
}

int hostpoll_init(void)
{
	epfd = (int)host_syscall1(SYS_epoll_create1, EPOLL_CLOEXEC);
	return epfd < 0 ? epfd : 0;
}

/* in kernel mode, from any kthread; the first caller starts the thread */
static int start_poller(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all;
	int r = 0;

	spin_lock(&start_lock);
	if (poller_started) {
		spin_unlock(&start_lock);
		return 0;
	}
	/* glibc's pthread_create may touch vector registers */
	xstate_save_current();
	/* host signals are for the kthreads, never this thread */
	sigfillset(&all);
	sigdelset(&all, SIGSEGV);
	sigdelset(&all, SIGBUS);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	sigset_t old;

	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&t, &attr, poller_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (r == 0)
		__atomic_store_n(&poller_started, 1, __ATOMIC_RELEASE);
	spin_unlock(&start_lock);
	return r ? -r : 0;
}
