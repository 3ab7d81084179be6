/* epoll.c - e2e: epoll over pipes, eventfds and timerfds; LT, ET, ONESHOT */
#include "e2e_thr.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

/*
 * Single-threaded semantics first (level/edge triggering, one-shot re-arm,
 * eventfd counter and semaphore modes, the three kinds of timerfd, error
 * returns), then two threaded loops: one thread feeding pipes and an
 * eventfd to an epoll loop, and workers sharing one epoll set of one-shot
 * eventfds. Events are gathered per fd and printed in a fixed order, so the
 * order epoll reports them in does not matter.
 */

static char evbuf[64];

/* the events of a mask by name, in a fixed order */
static const char *evnames(uint32_t e)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {{EPOLLIN, "IN"},	{EPOLLPRI, "PRI"},
		     {EPOLLOUT, "OUT"}, {EPOLLERR, "ERR"},
		     {EPOLLHUP, "HUP"}, {EPOLLRDHUP, "RDHUP"}};

	evbuf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(e & names[i].bit))
			continue;
		if (evbuf[0])
			strcat(evbuf, "|");
		strcat(evbuf, names[i].name);
		e &= ~names[i].bit;
	}
	if (e)
		sprintf(evbuf + strlen(evbuf), "%s0x%x", evbuf[0] ? "|" : "",
			e);
	if (!evbuf[0])
		strcpy(evbuf, "none");
	return evbuf;
}

/*
 * One epoll_wait; prints "label: N tag=EVENTS ..." with the events sorted
 * by tag (data.u64), so the line does not depend on epoll's order.
 */
static int wait_show(int ep, int timeout, const char *label, const char *want)
{
	struct epoll_event ev[8];
	char line[256];
	int n = epoll_wait(ep, ev, 8, timeout);

	if (n < 0) {
		snprintf(line, sizeof(line), "error %s", errname(errno));
	} else {
		int len = snprintf(line, sizeof(line), "%d", n);

		for (int i = 0; i < n; i++)
			for (int j = i + 1; j < n; j++)
				if (ev[j].data.u64 < ev[i].data.u64) {
					struct epoll_event t = ev[i];

					ev[i] = ev[j];
					ev[j] = t;
				}
		for (int i = 0; i < n && len < (int)sizeof(line); i++)
			len += snprintf(line + len, sizeof(line) - (size_t)len,
					" %llu=%s",
					(unsigned long long)ev[i].data.u64,
					evnames(ev[i].events));
	}
	expect_str(label, line, want);
	return n;
}

static int add(int ep, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int mod(int ep, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = {.events = events, .data.u64 = tag};

	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
}

static void drain(int fd, size_t n)
{
	char buf[4096];

	while (n > 0) {
		ssize_t r = read(fd, buf, n < sizeof(buf) ? n : sizeof(buf));

		if (r <= 0)
			break;
		n -= (size_t)r;
	}
}

/* --- level, edge, one-shot on pipes ----------------------------------- */

static void check_pipes(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int p[2], q[2], o[2];
	int64_t t0;
	ssize_t w;
	long filled = 0;

	must("epoll_create1", ep);
	must("pipe2", pipe2(p, O_NONBLOCK));
	must("pipe2", pipe2(q, O_NONBLOCK));
	must("pipe2", pipe2(o, O_NONBLOCK));

	/* level-triggered */
	must("add", add(ep, p[0], EPOLLIN, 1));
	wait_show(ep, 0, "lt: empty", "0");
	t0 = e2e_now_ns(CLOCK_MONOTONIC);
	wait_show(ep, 20, "lt: empty, 20 ms timeout", "0");
	expect_true("lt: timeout not early",
		    e2e_now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	w = write(p[1], "0123456789", 10);
	expect_long("lt: write", w, 10);
	wait_show(ep, 0, "lt: data", "1 1=IN");
	wait_show(ep, 0, "lt: data, again", "1 1=IN");
	drain(p[0], 5);
	wait_show(ep, 0, "lt: half read", "1 1=IN");
	drain(p[0], 5);
	wait_show(ep, 0, "lt: drained", "0");

	/* edge-triggered */
	must("add", add(ep, q[0], EPOLLIN | EPOLLET, 2));
	must("write", write(q[1], "abcdefghij", 10));
	wait_show(ep, 0, "et: data", "1 2=IN");
	wait_show(ep, 0, "et: no new data", "0");
	drain(q[0], 3);
	wait_show(ep, 0, "et: partly read, no new data", "0");
	must("write", write(q[1], "k", 1));
	wait_show(ep, 0, "et: more data", "1 2=IN");
	drain(q[0], 8);
	expect_err("et: drained to EAGAIN", read(q[0], evbuf, 1), EAGAIN);
	wait_show(ep, 0, "et: after EAGAIN", "0");

	/* edge-triggered EPOLLOUT on a write end: full, then drained */
	must("add", add(ep, q[1], EPOLLOUT | EPOLLET, 3));
	wait_show(ep, 0, "et out: writable", "1 3=OUT");
	wait_show(ep, 0, "et out: again", "0");
	{
		static char chunk[4096];

		while ((w = write(q[1], chunk, sizeof(chunk))) > 0)
			filled += w;
		expect_err("et out: fill to EAGAIN", w, EAGAIN);
	}
	expect_long("et out: pipe capacity", filled, 65536);
	wait_show(ep, 0, "et out: full", "1 2=IN");
	drain(q[0], (size_t)filled);
	wait_show(ep, 0, "et out: drained", "1 3=OUT");
	must("del", epoll_ctl(ep, EPOLL_CTL_DEL, q[1], NULL));

	/* one-shot and re-arm */
	must("add", add(ep, o[0], EPOLLIN | EPOLLONESHOT, 4));
	wait_show(ep, 0, "oneshot: empty", "0");
	must("write", write(o[1], "xy", 2));
	wait_show(ep, 0, "oneshot: data", "1 4=IN");
	wait_show(ep, 0, "oneshot: disarmed", "0");
	expect_err("oneshot: re-arm with MOD",
		   mod(ep, o[0], EPOLLIN | EPOLLONESHOT, 5), 0);
	wait_show(ep, 0, "oneshot: re-armed", "1 5=IN");
	wait_show(ep, 0, "oneshot: disarmed again", "0");
	expect_err("oneshot: re-arm level-triggered", mod(ep, o[0], EPOLLIN, 6),
		   0);
	wait_show(ep, 0, "oneshot: now level", "1 6=IN");
	wait_show(ep, 0, "oneshot: still level", "1 6=IN");
	drain(o[0], 2);

	/* hang-up and error */
	close(p[1]);
	wait_show(ep, 0, "hup: writer closed", "1 1=HUP");
	must("add", add(ep, o[1], EPOLLOUT, 7));
	must("del", epoll_ctl(ep, EPOLL_CTL_DEL, o[0], NULL));
	close(o[0]);
	wait_show(ep, 0, "err: reader closed", "2 1=HUP 7=OUT|ERR");
	close(q[0]);
	close(q[1]);
	close(o[1]);
	wait_show(ep, 0, "closed write ends leave the set", "1 1=HUP");
	/* closing the last fd of a file removes it (see epoll(7), Q6) */
	close(p[0]);
	wait_show(ep, 0, "closed fds leave the set", "0");
	close(ep);
}

/* --- eventfd ---------------------------------------------------------- */

static void check_eventfd(void)
{
	int ep = epoll_create1(0);
	int e = eventfd(0, EFD_NONBLOCK);
	int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	uint64_t v = 0;
	uint32_t small;

	must("epoll_create1", ep);
	must("eventfd", e);
	must("eventfd", s);
	must("add", add(ep, e, EPOLLIN | EPOLLOUT, 1));
	wait_show(ep, 0, "eventfd: zero", "1 1=OUT");
	v = 3;
	expect_long("eventfd: write 3", write(e, &v, 8), 8);
	v = 4;
	expect_long("eventfd: write 4", write(e, &v, 8), 8);
	wait_show(ep, 0, "eventfd: nonzero", "1 1=IN|OUT");
	v = 0;
	expect_long("eventfd: read", read(e, &v, 8), 8);
	expect_long("eventfd: value", (long)v, 7);
	expect_err("eventfd: read at zero", read(e, &v, 8), EAGAIN);
	expect_err("eventfd: 4-byte read", read(e, &small, 4), EINVAL);
	v = UINT64_MAX;
	expect_err("eventfd: write of 2^64-1", write(e, &v, 8), EINVAL);
	v = UINT64_MAX - 1;
	expect_long("eventfd: write of the maximum", write(e, &v, 8), 8);
	wait_show(ep, 0, "eventfd: at the maximum", "1 1=IN");
	v = 1;
	expect_err("eventfd: overflow", write(e, &v, 8), EAGAIN);
	expect_long("eventfd: read the maximum", read(e, &v, 8), 8);
	expect_true("eventfd: maximum value", v == UINT64_MAX - 1);

	/* semaphore mode, edge-triggered */
	must("add", add(ep, s, EPOLLIN | EPOLLET, 2));
	must("del", epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL));
	wait_show(ep, 0, "semaphore: initial 3", "1 2=IN");
	for (int i = 0; i < 3; i++) {
		v = 0;
		expect_long("semaphore: read", read(s, &v, 8), 8);
		expect_long("semaphore: value", (long)v, 1);
	}
	expect_err("semaphore: read at zero", read(s, &v, 8), EAGAIN);
	wait_show(ep, 0, "semaphore: zero", "0");
	v = 2;
	must("write", write(s, &v, 8));
	wait_show(ep, 0, "semaphore: write 2", "1 2=IN");
	wait_show(ep, 0, "semaphore: edge reported once", "0");
	expect_long("semaphore: read", read(s, &v, 8), 8);
	expect_long("semaphore: value", (long)v, 1);
	expect_long("semaphore: read", read(s, &v, 8), 8);
	expect_err("semaphore: read at zero", read(s, &v, 8), EAGAIN);
	close(e);
	close(s);
	close(ep);
}

/* --- timerfd ---------------------------------------------------------- */

enum { T_REL, T_ABS_MONO, T_ABS_REAL, T_INT, T_RESET, T_CANCEL, NTIMERS };

static void check_timerfd(void)
{
	static const char *const names[NTIMERS] = {
		"relative", "absolute monotonic", "absolute realtime",
		"interval", "re-armed",		  "disarmed"};
	int ep = epoll_create1(0), fd[NTIMERS];
	uint64_t got[NTIMERS] = {0};
	int64_t deadline[NTIMERS], start, give_up, fired_at[NTIMERS] = {0};
	struct itimerspec its, cur;
	int64_t now_m = e2e_now_ns(CLOCK_MONOTONIC);
	int64_t now_r = e2e_now_ns(CLOCK_REALTIME);
	uint64_t v;

	must("epoll_create1", ep);
	for (int i = 0; i < NTIMERS; i++) {
		fd[i] = timerfd_create(i == T_ABS_REAL ? CLOCK_REALTIME
						       : CLOCK_MONOTONIC,
				       TFD_NONBLOCK | TFD_CLOEXEC);
		must("timerfd_create", fd[i]);
		must("add", add(ep, fd[i], EPOLLIN, (uint64_t)i));
	}
	memset(&cur, 0xff, sizeof(cur));
	expect_err("gettime disarmed", timerfd_gettime(fd[T_REL], &cur), 0);
	expect_true("gettime disarmed: zero", !cur.it_value.tv_sec &&
						      !cur.it_value.tv_nsec &&
						      !cur.it_interval.tv_sec &&
						      !cur.it_interval.tv_nsec);
	expect_err("read disarmed", read(fd[T_REL], &v, 8), EAGAIN);

	start = e2e_now_ns(CLOCK_MONOTONIC);
	memset(&its, 0, sizeof(its));
	its.it_value = e2e_ts(20000000);
	must("settime", timerfd_settime(fd[T_REL], 0, &its, NULL));
	deadline[T_REL] = start + 20000000;

	its.it_value = e2e_ts(now_m + 30000000);
	must("settime",
	     timerfd_settime(fd[T_ABS_MONO], TFD_TIMER_ABSTIME, &its, NULL));
	deadline[T_ABS_MONO] = now_m + 30000000;

	its.it_value = e2e_ts(now_r + 25000000);
	must("settime",
	     timerfd_settime(fd[T_ABS_REAL], TFD_TIMER_ABSTIME, &its, NULL));
	deadline[T_ABS_REAL] = now_m + 25000000;

	its.it_value = e2e_ts(5000000);
	its.it_interval = e2e_ts(5000000);
	must("settime", timerfd_settime(fd[T_INT], 0, &its, NULL));
	deadline[T_INT] = start + 5000000;

	/* armed for 10 ms, then re-armed for 40 ms: the first never fires */
	memset(&its, 0, sizeof(its));
	its.it_value = e2e_ts(10000000);
	must("settime", timerfd_settime(fd[T_RESET], 0, &its, NULL));
	its.it_value = e2e_ts(40000000);
	deadline[T_RESET] = e2e_now_ns(CLOCK_MONOTONIC) + 40000000;
	{
		struct itimerspec old;

		must("settime", timerfd_settime(fd[T_RESET], 0, &its, &old));
		expect_true("settime: old value returned",
			    old.it_value.tv_sec == 0 &&
				    old.it_value.tv_nsec > 0 &&
				    old.it_value.tv_nsec <= 10000000);
	}

	its.it_value = e2e_ts(10000000);
	must("settime", timerfd_settime(fd[T_CANCEL], 0, &its, NULL));
	memset(&its, 0, sizeof(its));
	must("settime", timerfd_settime(fd[T_CANCEL], 0, &its, NULL));
	deadline[T_CANCEL] = 0;

	must("gettime", timerfd_gettime(fd[T_ABS_MONO], &cur));
	expect_true("gettime armed: remaining within the setting",
		    cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
			    cur.it_value.tv_nsec <= 30000000);
	must("gettime", timerfd_gettime(fd[T_INT], &cur));
	expect_true("gettime interval: interval kept",
		    cur.it_interval.tv_sec == 0 &&
			    cur.it_interval.tv_nsec == 5000000);

	give_up = start + 3000000000LL;
	while (!(got[T_REL] && got[T_ABS_MONO] && got[T_ABS_REAL] &&
		 got[T_RESET] && got[T_INT] >= 10)) {
		struct epoll_event ev[NTIMERS];
		int n = epoll_wait(ep, ev, NTIMERS, 100);

		if (e2e_now_ns(CLOCK_MONOTONIC) > give_up) {
			printf("timerfd: gave up waiting\n");
			e2e_fails++;
			break;
		}
		for (int i = 0; i < n; i++) {
			int k = (int)ev[i].data.u64;

			if (read(fd[k], &v, 8) != 8)
				continue;
			if (!fired_at[k])
				fired_at[k] = e2e_now_ns(CLOCK_MONOTONIC);
			got[k] += v;
			if (k == T_INT && got[k] >= 10) {
				/* disarm; check the count is plausible */
				int64_t el =
					e2e_now_ns(CLOCK_MONOTONIC) - start;

				memset(&its, 0, sizeof(its));
				timerfd_settime(fd[T_INT], 0, &its, NULL);
				if ((int64_t)got[k] > el / 5000000 + 1) {
					printf("interval: %llu expirations in "
					       "too short a time\n",
					       (unsigned long long)got[k]);
					e2e_fails++;
				}
			}
		}
	}
	for (int k = 0; k < NTIMERS; k++) {
		char label[64];

		if (k == T_INT || k == T_CANCEL)
			continue;
		snprintf(label, sizeof(label), "timerfd %s: expirations",
			 names[k]);
		expect_long(label, (long)got[k], 1);
		snprintf(label, sizeof(label), "timerfd %s: not early",
			 names[k]);
		expect_true(label, fired_at[k] >= deadline[k]);
		snprintf(label, sizeof(label), "timerfd %s: read again",
			 names[k]);
		expect_err(label, read(fd[k], &v, 8), EAGAIN);
		must("gettime", timerfd_gettime(fd[k], &cur));
		snprintf(label, sizeof(label), "timerfd %s: disarmed after",
			 names[k]);
		expect_true(label,
			    !cur.it_value.tv_sec && !cur.it_value.tv_nsec);
	}
	expect_true("timerfd interval: at least 10 expirations",
		    got[T_INT] >= 10);
	expect_true("timerfd interval: first not early",
		    fired_at[T_INT] >= deadline[T_INT]);
	expect_long("timerfd disarmed: expirations", (long)got[T_CANCEL], 0);
	expect_err("timerfd disarmed: read", read(fd[T_CANCEL], &v, 8), EAGAIN);
	expect_err("timerfd: 4-byte read", read(fd[T_REL], &v, 4), EINVAL);
	for (int k = 0; k < NTIMERS; k++)
		close(fd[k]);
	close(ep);
}

/* --- errors ----------------------------------------------------------- */

static void check_errors(void)
{
	int ep = epoll_create1(0), p[2], f;
	struct epoll_event ev[1];
	char path[128];

	must("epoll_create1", ep);
	must("pipe", pipe(p));
	must("add", add(ep, p[0], EPOLLIN, 1));
	expect_err("ctl: add twice", add(ep, p[0], EPOLLIN, 1), EEXIST);
	expect_err("ctl: mod not added", mod(ep, p[1], EPOLLOUT, 1), ENOENT);
	expect_err("ctl: del not added",
		   epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	expect_err("ctl: add itself", add(ep, ep, EPOLLIN, 1), EINVAL);
	expect_err("ctl: bad fd", add(ep, 9999, EPOLLIN, 1), EBADF);
	expect_err("ctl: not an epoll fd", add(p[0], p[1], EPOLLIN, 1), EINVAL);
	expect_err("ctl: bad op",
		   epoll_ctl(ep, 99, p[1], &(struct epoll_event){0}), EINVAL);
	snprintf(path, sizeof(path), "%s/regular", e2e_tmpdir());
	f = open(path, O_CREAT | O_RDWR, 0600);
	must("open", f);
	expect_err("ctl: regular file", add(ep, f, EPOLLIN, 1), EPERM);
	close(f);
	expect_err("wait: maxevents 0", epoll_wait(ep, ev, 0, 0), EINVAL);
	expect_err("wait: not an epoll fd", epoll_wait(p[0], ev, 1, 0), EINVAL);
	expect_err("create1: bad flags", epoll_create1(12345), EINVAL);
	/* musl's epoll_create ignores its size: ask the kernel directly */
	expect_err("create: size 0", syscall(SYS_epoll_create, 0), EINVAL);
	{
		struct timespec ts = {0, 20000000};
		int64_t t0 = e2e_now_ns(CLOCK_MONOTONIC);
		long n = syscall(SYS_epoll_pwait2, ep, ev, 1, &ts, NULL, 0);

		expect_long("epoll_pwait2: 20 ms timeout", n, 0);
		expect_true("epoll_pwait2: not early",
			    e2e_now_ns(CLOCK_MONOTONIC) - t0 >= 20000000);
	}
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* --- a feeder thread and an epoll loop -------------------------------- */

#define FEED_PIPES 3
#define FEED_MSGS 2000
#define FEED_ADDS 1000

struct feed {
	int pw[FEED_PIPES];
	int efd;
};

static size_t feed_len(int pipe_idx, int msg)
{
	return 1 + e2e_mix((uint64_t)pipe_idx * 100000 + (uint64_t)msg) % 700;
}

static void *feeder(void *arg)
{
	struct feed *f = arg;
	static char buf[1024];

	memset(buf, 'f', sizeof(buf));
	for (int m = 0; m < FEED_MSGS; m++) {
		for (int i = 0; i < FEED_PIPES; i++) {
			size_t n = feed_len(i, m), off = 0;

			/* nonblocking write end: wait for room by polling */
			while (off < n) {
				ssize_t w = write(f->pw[i], buf, n - off);

				if (w > 0)
					off += (size_t)w;
				else
					sched_yield();
			}
		}
		if (m < FEED_ADDS) {
			uint64_t v = (uint64_t)m + 1;

			if (write(f->efd, &v, 8) != 8)
				abort();
		}
		if (m % 256 == 0)
			e2e_sleep_ms(1);
	}
	for (int i = 0; i < FEED_PIPES; i++)
		close(f->pw[i]);
	return NULL;
}

static void check_feed(void)
{
	int ep = epoll_create1(0), pr[FEED_PIPES];
	struct feed f;
	long bytes[FEED_PIPES] = {0}, want[FEED_PIPES] = {0};
	int eof[FEED_PIPES] = {0}, open_pipes;
	uint64_t esum = 0;
	pthread_t t;
	int64_t give_up = e2e_now_ns(CLOCK_MONOTONIC) + 4000000000LL;

	must("epoll_create1", ep);
	for (int i = 0; i < FEED_PIPES; i++) {
		int p[2];

		must("pipe2", pipe2(p, O_NONBLOCK));
		pr[i] = p[0];
		f.pw[i] = p[1];
		/* pipe 0 level-triggered, the others edge-triggered */
		must("add",
		     add(ep, pr[i], EPOLLIN | (i ? EPOLLET : 0), (uint64_t)i));
		for (int m = 0; m < FEED_MSGS; m++)
			want[i] += (long)feed_len(i, m);
	}
	f.efd = eventfd(0, EFD_NONBLOCK);
	must("eventfd", f.efd);
	must("add", add(ep, f.efd, EPOLLIN | EPOLLET, 100));
	t = e2e_spawn(feeder, &f);
	open_pipes = FEED_PIPES;
	while (open_pipes || esum < (uint64_t)FEED_ADDS * (FEED_ADDS + 1) / 2) {
		struct epoll_event ev[4];
		int n = epoll_wait(ep, ev, 4, 1000);

		if (e2e_now_ns(CLOCK_MONOTONIC) > give_up) {
			printf("feed: gave up waiting\n");
			e2e_fails++;
			break;
		}
		for (int k = 0; k < n; k++) {
			int i = (int)ev[k].data.u64;
			char buf[1000];
			ssize_t r;

			if (i == 100) {
				uint64_t v;

				while (read(f.efd, &v, 8) == 8)
					esum += v;
				continue;
			}
			/* level: one read per event; edge: to EAGAIN or EOF */
			do {
				r = read(pr[i], buf, sizeof(buf));
				if (r > 0)
					bytes[i] += r;
			} while (i && r > 0);
			if (r == 0 && !eof[i]) {
				eof[i] = 1;
				open_pipes--;
				epoll_ctl(ep, EPOLL_CTL_DEL, pr[i], NULL);
			}
		}
	}
	e2e_join(t);
	for (int i = 0; i < FEED_PIPES; i++) {
		char label[64];

		snprintf(label, sizeof(label), "feed pipe %d (%s): bytes", i,
			 i ? "edge" : "level");
		expect_long(label, bytes[i], want[i]);
		snprintf(label, sizeof(label), "feed pipe %d: EOF", i);
		expect_true(label, eof[i]);
		close(pr[i]);
	}
	expect_long("feed eventfd: sum", (long)esum,
		    (long)FEED_ADDS * (FEED_ADDS + 1) / 2);
	close(f.efd);
	close(ep);
}

/* --- workers sharing one epoll set of one-shot eventfds ---------------- */

#define NWORK 4
#define NEFD 8
#define ROUNDS 300

static int ws_ep, ws_efd[NEFD], ws_stop;
static atomic_int ws_busy[NEFD], ws_overlap;
static atomic_long ws_sum, ws_events;

static void *ws_worker(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event ev;
		int n = epoll_wait(ws_ep, &ev, 1, 2000);
		int i;
		uint64_t v;

		if (n <= 0)
			return (void *)1; /* timeout or error */
		if (ev.data.u64 == NEFD)
			return NULL; /* stop: level-triggered, never read */
		i = (int)ev.data.u64;
		/* one-shot: nobody else can hold this fd now */
		if (atomic_fetch_add(&ws_busy[i], 1))
			atomic_fetch_add(&ws_overlap, 1);
		if (read(ws_efd[i], &v, 8) == 8) {
			atomic_fetch_add(&ws_sum, (long)v);
			atomic_fetch_add(&ws_events, 1);
		}
		atomic_fetch_sub(&ws_busy[i], 1);
		mod(ws_ep, ws_efd[i], EPOLLIN | EPOLLONESHOT, (uint64_t)i);
	}
}

static void check_workers(void)
{
	pthread_t t[NWORK];
	long want = (long)NEFD * ROUNDS * (ROUNDS + 1) / 2, stuck = 0;
	int64_t give_up;

	ws_ep = epoll_create1(0);
	must("epoll_create1", ws_ep);
	for (int i = 0; i < NEFD; i++) {
		ws_efd[i] = eventfd(0, EFD_NONBLOCK);
		must("eventfd", ws_efd[i]);
		must("add", add(ws_ep, ws_efd[i], EPOLLIN | EPOLLONESHOT,
				(uint64_t)i));
	}
	ws_stop = eventfd(0, EFD_NONBLOCK);
	must("eventfd", ws_stop);
	must("add", add(ws_ep, ws_stop, EPOLLIN, NEFD));
	for (int i = 0; i < NWORK; i++)
		t[i] = e2e_spawn(ws_worker, NULL);
	for (uint64_t r = 1; r <= ROUNDS; r++) {
		for (int i = 0; i < NEFD; i++)
			if (write(ws_efd[i], &r, 8) != 8)
				abort();
		if (r % 32 == 0)
			sched_yield();
	}
	give_up = e2e_now_ns(CLOCK_MONOTONIC) + 4000000000LL;
	while (atomic_load(&ws_sum) < want &&
	       e2e_now_ns(CLOCK_MONOTONIC) < give_up)
		e2e_sleep_ms(1);
	{
		uint64_t one = 1;

		must("write stop", write(ws_stop, &one, 8));
	}
	for (int i = 0; i < NWORK; i++)
		stuck += (long)e2e_join(t[i]);
	expect_long("oneshot workers: sum", atomic_load(&ws_sum), want);
	expect_long("oneshot workers: fd handled by two at once",
		    atomic_load(&ws_overlap), 0);
	expect_true("oneshot workers: events at least one per fd",
		    atomic_load(&ws_events) >= NEFD);
	expect_long("oneshot workers: timed out", stuck, 0);
	for (int i = 0; i < NEFD; i++)
		close(ws_efd[i]);
	close(ws_stop);
	close(ws_ep);
}

int main(void)
{
	e2e_init();
	e2e_watchdog(20);
	check_pipes();
	check_eventfd();
	check_timerfd();
	check_errors();
	check_feed();
	check_workers();
	return e2e_done();
}
