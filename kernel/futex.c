/* futex.c - hashed futex wait and wake */
#include <errno.h>
#include <linux/futex.h>
#include <stdint.h>
#include <time.h>

#include "base/host.h"
#include "base/kmalloc.h"
#include "kernel/futex.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "mm/usercopy.h"
#include "sched/sched.h"

/*
 * Waiters hang in buckets hashed by the futex's guest address. All guest
 * processes of an instance live in one address space with disjoint
 * regions, so the address alone is the key for private and shared
 * futexes alike (shared memory mapped at two addresses: see README).
 * Lock order: two buckets lowest index first; a bucket before a run queue.
 */
#define FUTEX_BUCKETS 512

struct futex_waiter {
	struct list_node node;
	uint32_t *uaddr;
	struct uthread *u;
	uint32_t bitset;
	int *woken; /* shared by the entries of one futex_waitv */
	int index; /* which entry of a futex_waitv */
	int tid; /* a PI waiter's tid, to hand the lock to */
	int owner; /* a PI waiter's lock owner (futex_exit_pi) */
	bool pi;
};

#define WOKEN_HANDOFF 1 /* a PI waiter's *woken: UNLOCK_PI gave it the lock */
#define WOKEN_RETRY (-1) /* ... its owner died: try to take it again */

static int pi_waiters; /* atomic: PI waiters queued anywhere */

static struct futex_bucket {
	struct spinlock lock;
	struct list_node waiters;
} buckets[FUTEX_BUCKETS];

static struct futex_bucket *bucket_of(uint32_t *uaddr)
{
	uint64_t a = (uint64_t)uaddr >> 2;

	a ^= a >> 17;
	a *= 0x9e3779b97f4a7c15ull;
	return &buckets[(a >> 40) % FUTEX_BUCKETS];
}

static void bucket_init(struct futex_bucket *b)
{
	if (!b->waiters.next)
		list_init(&b->waiters);
}

void futex_init(void)
{
	for (int i = 0; i < FUTEX_BUCKETS; i++) {
		spin_init(&buckets[i].lock);
		list_init(&buckets[i].waiters);
	}
}

static void lock2(struct futex_bucket *a, struct futex_bucket *b)
{
	if (a == b) {
		spin_lock(&a->lock);
	} else if (a < b) {
		spin_lock(&a->lock);
		spin_lock(&b->lock);
	} else {
		spin_lock(&b->lock);
		spin_lock(&a->lock);
	}
}

static void unlock2(struct futex_bucket *a, struct futex_bucket *b)
{
	spin_unlock(&a->lock);
	if (a != b)
		spin_unlock(&b->lock);
}

/*
 * Take one waiter off its bucket (lock held) and wake it with @how, its
 * *woken value; the host wakeups this may need wait on @wl until the
 * caller drops its locks. The uthread is woken before *woken is set: a
 * waiter returns at once when it sees *woken (its entry and, if it then
 * exits, its uthread are gone), so nothing of it may be touched after.
 * Until then it cannot leave: without *woken it takes this lock first.
 */
static void wake_with(struct futex_waiter *w, int how, struct wake_list *wl)
{
	int zero = 0;

	list_del(&w->node);
	/* a futex_waitv waiter woken through another entry already: done */
	if (__atomic_load_n(w->woken, __ATOMIC_ACQUIRE))
		return;
	sched_wake_deferred(w->u, wl);
	__atomic_compare_exchange_n(w->woken, &zero, how, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

static void wake_waiter(struct futex_waiter *w, struct wake_list *wl)
{
	/* a PI waiter woken other than by UNLOCK_PI: to look again */
	wake_with(w, w->pi ? WOKEN_RETRY : w->index + 1, wl);
}

/* UNLOCK_PI's wake: the lock is the waiter's now */
static void hand_off(struct futex_waiter *w, struct wake_list *wl)
{
	wake_with(w, WOKEN_HANDOFF, wl);
}

/* wake up to @n waiters of @uaddr matching @bitset (lock held) */
static int wake_locked(struct futex_bucket *b, uint32_t *uaddr, int n,
		       uint32_t bitset, bool pi_too, struct wake_list *wl)
{
	struct list_node *it, *tmp;
	int woken = 0;

	list_for_each_safe (&b->waiters, it, tmp) {
		struct futex_waiter *w =
			list_entry(it, struct futex_waiter, node);

		if (w->uaddr != uaddr || !(w->bitset & bitset) ||
		    (w->pi && !pi_too))
			continue;
		wake_waiter(w, wl);
		/* counted after the wake: @n <= 0 wakes one, as on Linux */
		if (++woken >= n)
			break;
	}
	return woken;
}

static int wake_bitset(uint32_t *uaddr, int n, uint32_t bitset, bool pi_too)
{
	struct futex_bucket *b = bucket_of(uaddr);
	struct wake_list wl = WAKE_LIST_INIT(wl);
	int r;

	spin_lock(&b->lock);
	bucket_init(b);
	r = wake_locked(b, uaddr, n, bitset, pi_too, &wl);
	spin_unlock(&b->lock);
	wake_list_flush(&wl);
	return r;
}

int futex_wake(uint32_t *uaddr, int n)
{
	return wake_bitset(uaddr, n, FUTEX_BITSET_MATCH_ANY, false);
}

/*
 * The caller's waiter is queued on @b, whose lock is held: drop it and
 * block until woken, @deadline (kclock ns, 0: none) or a signal. Returns
 * 0, -ETIMEDOUT or -EINTR; the caller then looks at its *woken.
 */
static long block_queued(struct futex_bucket *b, uint64_t deadline)
{
	sched_prepare_block(true);
	spin_unlock(&b->lock);
	if (signal_pending_now()) {
		sched_cancel_block();
		return -EINTR;
	}
	return sched_block(deadline);
}

/* read a guest timespec into an absolute kclock deadline */
static long deadline_of(const void *uts, bool absolute, bool realtime,
			uint64_t *deadline)
{
	struct timespec ts;
	uint64_t ns;

	*deadline = 0;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	ns = ns_sat((uint64_t)ts.tv_sec, (uint64_t)ts.tv_nsec);
	if (!absolute) {
		*deadline = kclock_ns() + ns;
	} else if (realtime) {
		/* CLOCK_REALTIME: the same distance from now, monotonic */
		struct timespec now;
		int64_t real;

		host_clock_gettime(CLOCK_REALTIME, &now);
		real = (int64_t)now.tv_sec * 1000000000ll + now.tv_nsec;
		*deadline = kclock_ns() +
			    ((int64_t)ns > real ? (uint64_t)((int64_t)ns - real)
						: 0);
	} else {
		*deadline = ns;
	}
	if (!*deadline)
		*deadline = 1; /* already past */
	return 0;
}

static long futex_wait(uint32_t *uaddr, uint32_t val, uint64_t deadline,
		       uint32_t bitset)
{
	struct futex_bucket *b = bucket_of(uaddr);
	struct futex_waiter w;
	int woken = 0;
	uint32_t cur;
	long r;

	if (!bitset)
		return -EINVAL;
	w.uaddr = uaddr;
	w.u = this_uthread();
	w.bitset = bitset;
	w.woken = &woken;
	w.index = 0;
	w.pi = false;
	spin_lock(&b->lock);
	bucket_init(b);
	if (copy_from_user(&cur, uaddr, 4)) {
		spin_unlock(&b->lock);
		return -EFAULT;
	}
	if (cur != val) {
		spin_unlock(&b->lock);
		return -EAGAIN;
	}
	list_add_tail(&b->waiters, &w.node);
	r = block_queued(b, deadline);

	/* woken: off the list already, no lock needed */
	if (__atomic_load_n(&woken, __ATOMIC_ACQUIRE))
		return 0;
	/* the waker may have moved us (requeue): find our bucket again */
	for (;;) {
		struct futex_bucket *wb = bucket_of(w.uaddr);

		spin_lock(&wb->lock);
		if (__atomic_load_n(&woken, __ATOMIC_ACQUIRE)) {
			spin_unlock(&wb->lock);
			return 0;
		}
		if (wb != bucket_of(w.uaddr)) {
			spin_unlock(&wb->lock);
			continue;
		}
		list_del(&w.node);
		spin_unlock(&wb->lock);
		return r == -EINTR ? -EINTR : r == -ETIMEDOUT ? -ETIMEDOUT : 0;
	}
}

static long futex_requeue(uint32_t *uaddr, uint32_t *uaddr2, int nr_wake,
			  int nr_requeue, bool cmp, uint32_t val3)
{
	struct futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
	struct wake_list wl = WAKE_LIST_INIT(wl);
	struct list_node *it, *tmp;
	int woken = 0, moved = 0;
	uint32_t cur;

	if (nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	lock2(b1, b2);
	bucket_init(b1);
	bucket_init(b2);
	if (cmp) {
		if (copy_from_user(&cur, uaddr, 4)) {
			unlock2(b1, b2);
			return -EFAULT;
		}
		if (cur != val3) {
			unlock2(b1, b2);
			return -EAGAIN;
		}
	}
	list_for_each_safe (&b1->waiters, it, tmp) {
		struct futex_waiter *w =
			list_entry(it, struct futex_waiter, node);

		if (w->uaddr != uaddr || w->pi)
			continue;
		if (woken < nr_wake) {
			wake_waiter(w, &wl);
			woken++;
		} else if (moved < nr_requeue) {
			/*
			 * Onto the same bucket it stays where it is (at the
			 * tail it would be met again by this walk).
			 */
			w->uaddr = uaddr2;
			if (b2 != b1) {
				list_del(&w->node);
				list_add_tail(&b2->waiters, &w->node);
			}
			moved++;
		} else {
			break;
		}
	}
	unlock2(b1, b2);
	wake_list_flush(&wl);
	return woken + moved;
}

/* the read-modify-write half of FUTEX_WAKE_OP; old value or -errno */
static long wake_op_apply(uint32_t *uaddr2, uint32_t encoded)
{
	unsigned op = (encoded >> 28) & 7;
	/* 12 bits, signed, as Linux's sign_extend32 */
	int32_t arg = (int32_t)(encoded << 8) >> 20;
	uint32_t oparg = (uint32_t)arg;
	long old;
	uint32_t nv;

	if (encoded & (8u << 28)) /* FUTEX_OP_OPARG_SHIFT; Linux masks */
		oparg = 1u << (arg & 31);
	if (copy_from_user(&nv, uaddr2, 4))
		return -EFAULT;
	for (;;) {
		uint32_t cur = nv;

		switch (op) {
		case FUTEX_OP_SET:
			nv = oparg;
			break;
		case FUTEX_OP_ADD:
			nv = cur + oparg;
			break;
		case FUTEX_OP_OR:
			nv = cur | oparg;
			break;
		case FUTEX_OP_ANDN:
			nv = cur & ~oparg;
			break;
		case FUTEX_OP_XOR:
			nv = cur ^ oparg;
			break;
		default:
			return -ENOSYS;
		}
		old = cmpxchg_user32(uaddr2, cur, nv);
		if (old < 0)
			return old;
		if ((uint32_t)old == cur)
			return old;
		nv = (uint32_t)old; /* lost a race: again from the new value */
	}
}

static bool wake_op_cmp(uint32_t old, uint32_t encoded)
{
	unsigned cmp = (encoded >> 24) & 15;
	int32_t cmparg = (int32_t)(encoded << 20) >> 20; /* 12 bits, signed */

	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		return (int32_t)old == cmparg;
	case FUTEX_OP_CMP_NE:
		return (int32_t)old != cmparg;
	case FUTEX_OP_CMP_LT:
		return (int32_t)old < cmparg;
	case FUTEX_OP_CMP_LE:
		return (int32_t)old <= cmparg;
	case FUTEX_OP_CMP_GT:
		return (int32_t)old > cmparg;
	case FUTEX_OP_CMP_GE:
		return (int32_t)old >= cmparg;
	default:
		return false;
	}
}

static long futex_wake_op(uint32_t *uaddr, uint32_t *uaddr2, int nr1, int nr2,
			  uint32_t encoded)
{
	struct futex_bucket *b1 = bucket_of(uaddr), *b2 = bucket_of(uaddr2);
	struct wake_list wl = WAKE_LIST_INIT(wl);
	long old;
	int woken;

	lock2(b1, b2);
	bucket_init(b1);
	bucket_init(b2);
	old = wake_op_apply(uaddr2, encoded);
	/* an unknown comparison: the operation is done, nobody woken (Linux) */
	if (old >= 0 && ((encoded >> 24) & 15) > FUTEX_OP_CMP_GE)
		old = -ENOSYS;
	if (old < 0) {
		unlock2(b1, b2);
		return old;
	}
	woken = wake_locked(b1, uaddr, nr1, FUTEX_BITSET_MATCH_ANY, false, &wl);
	if (wake_op_cmp((uint32_t)old, encoded))
		woken += wake_locked(b2, uaddr2, nr2, FUTEX_BITSET_MATCH_ANY,
				     false, &wl);
	unlock2(b1, b2);
	wake_list_flush(&wl);
	return woken;
}

/* ---- priority-inheritance futexes: the ownership protocol ---- */

/*
 * The PI operations hand a held lock from its owner to the first waiter
 * (UNLOCK_PI writes the waiter's tid), as Linux does. There are no
 * thread priorities here, so nothing is inherited (README).
 */
static long futex_lock_pi(uint32_t *uaddr, uint64_t deadline, bool trylock)
{
	struct futex_bucket *b = bucket_of(uaddr);
	uint32_t tid = (uint32_t)current_thread()->tid;
	struct futex_waiter w;
	int woken = 0;
	long r, cur;

	for (;;) {
		uint32_t v;

		if (copy_from_user(&v, uaddr, 4))
			return -EFAULT;
		if ((v & FUTEX_TID_MASK) == tid)
			return -EDEADLK;
		if (!(v & FUTEX_TID_MASK) ||
		    !thread_find((int)(v & FUTEX_TID_MASK))) {
			/* free, or its owner is gone: take it */
			uint32_t nv =
				tid | (v & (FUTEX_WAITERS | FUTEX_OWNER_DIED)) |
				((v & FUTEX_TID_MASK) ? FUTEX_OWNER_DIED : 0);

			cur = cmpxchg_user32(uaddr, v, nv);
			if (cur < 0)
				return cur;
			if ((uint32_t)cur == v)
				return 0;
			continue;
		}
		if (trylock)
			return -EAGAIN;
		spin_lock(&b->lock);
		bucket_init(b);
		/* tell the owner there are waiters, under the bucket lock */
		cur = cmpxchg_user32(uaddr, v, v | FUTEX_WAITERS);
		if (cur < 0) {
			spin_unlock(&b->lock);
			return cur;
		}
		if ((uint32_t)cur != v) {
			spin_unlock(&b->lock);
			continue;
		}
		w.uaddr = uaddr;
		w.u = this_uthread();
		w.bitset = FUTEX_BITSET_MATCH_ANY;
		w.woken = &woken;
		w.index = 0;
		w.tid = (int)tid;
		w.owner = (int)(v & FUTEX_TID_MASK);
		w.pi = true;
		list_add_tail(&b->waiters, &w.node);
		__atomic_add_fetch(&pi_waiters, 1, __ATOMIC_RELAXED);
		r = block_queued(b, deadline);
		if (!__atomic_load_n(&woken, __ATOMIC_ACQUIRE)) {
			spin_lock(&b->lock);
			if (!__atomic_load_n(&woken, __ATOMIC_ACQUIRE))
				list_del(&w.node);
			spin_unlock(&b->lock);
		}
		__atomic_sub_fetch(&pi_waiters, 1, __ATOMIC_RELAXED);
		if (woken == WOKEN_HANDOFF)
			return 0; /* UNLOCK_PI wrote our tid: the lock is ours */
		if (woken == 0 && r < 0)
			return r;
		/* its owner died: look again */
		woken = 0;
	}
}

static long futex_unlock_pi(uint32_t *uaddr)
{
	struct futex_bucket *b = bucket_of(uaddr);
	uint32_t tid = (uint32_t)current_thread()->tid;
	struct futex_waiter *next = NULL;
	struct wake_list wl = WAKE_LIST_INIT(wl);
	struct list_node *it;
	uint32_t v, nv;
	long cur;
	bool more = false;

	if (copy_from_user(&v, uaddr, 4))
		return -EFAULT;
	if ((v & FUTEX_TID_MASK) != tid)
		return -EPERM;
	spin_lock(&b->lock);
	bucket_init(b);
	list_for_each (&b->waiters, it) {
		struct futex_waiter *w =
			list_entry(it, struct futex_waiter, node);

		if (w->uaddr != uaddr || !w->pi)
			continue;
		if (!next)
			next = w;
		else
			more = true;
	}
	for (;;) {
		nv = next ? (uint32_t)next->tid | (more ? FUTEX_WAITERS : 0)
			  : 0;
		cur = cmpxchg_user32(uaddr, v, nv);
		if (cur < 0) {
			spin_unlock(&b->lock);
			return cur;
		}
		if ((uint32_t)cur == v)
			break;
		v = (uint32_t)cur;
		if ((v & FUTEX_TID_MASK) != tid) {
			spin_unlock(&b->lock);
			return -EPERM;
		}
	}
	if (next) {
		list_for_each (&b->waiters, it) {
			struct futex_waiter *w =
				list_entry(it, struct futex_waiter, node);

			if (w->uaddr == uaddr && w->pi)
				w->owner = next->tid;
		}
		hand_off(next, &wl);
	}
	spin_unlock(&b->lock);
	wake_list_flush(&wl);
	return 0;
}

/*
 * A thread that exits holding PI locks: their waiters look again and take
 * them, marked FUTEX_OWNER_DIED (Linux's exit_pi_state_list). Called
 * after @tid stopped naming a thread.
 */
void futex_exit_pi(int tid)
{
	struct wake_list wl = WAKE_LIST_INIT(wl);

	if (!__atomic_load_n(&pi_waiters, __ATOMIC_RELAXED))
		return;
	for (int i = 0; i < FUTEX_BUCKETS; i++) {
		struct futex_bucket *b = &buckets[i];
		struct list_node *it, *tmp;

		spin_lock(&b->lock);
		list_for_each_safe (&b->waiters, it, tmp) {
			struct futex_waiter *w =
				list_entry(it, struct futex_waiter, node);
			uint32_t v;

			/*
			 * Its owner as we know it, or as the word says: the
			 * owner's own exit code (musl) may have rewritten
			 * the word already, as a Linux kernel would not see.
			 */
			if (w->pi && (w->owner == tid ||
				      (!copy_from_user(&v, w->uaddr, 4) &&
				       (v & FUTEX_TID_MASK) == (uint32_t)tid)))
				wake_waiter(w, &wl);
		}
		spin_unlock(&b->lock);
	}
	wake_list_flush(&wl);
}

void futex_owner_died(uint32_t *uaddr, int tid)
{
	uint32_t v;

	if (((uintptr_t)uaddr & 3) || copy_from_user(&v, uaddr, 4))
		return;
	for (;;) {
		long cur;

		if ((v & FUTEX_TID_MASK) != (uint32_t)tid)
			return;
		cur = cmpxchg_user32(uaddr, v,
				     (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED);
		if (cur < 0)
			return;
		if ((uint32_t)cur == v)
			break;
		v = (uint32_t)cur;
	}
	/* a PI waiter retries and takes it (FUTEX_OWNER_DIED kept) */
	if (v & FUTEX_WAITERS)
		wake_bitset(uaddr, 1, FUTEX_BITSET_MATCH_ANY, true);
}

long futex_op(uint32_t *uaddr, int op, uint32_t val, const void *utimeout,
	      uint32_t *uaddr2, uint32_t val3)
{
	int cmd = op & FUTEX_CMD_MASK;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	uint64_t deadline;
	uint32_t probe;
	long r;

	if ((uintptr_t)uaddr & 3)
		return -EINVAL;
	/*
	 * Linux's get_futex_key: access_ok for every futex, and a shared one
	 * is keyed by its page, which must be mapped (EFAULT otherwise).
	 */

	if (!access_ok(uaddr, 4) ||
	    (!(op & FUTEX_PRIVATE_FLAG) &&
	     copy_from_user(&probe, uaddr, sizeof(probe))))
		return -EFAULT;
	if (realtime && cmd != FUTEX_WAIT_BITSET &&
	    cmd != FUTEX_WAIT_REQUEUE_PI && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS; /* as Linux */
	/*
	 * Interrupted by a signal (see sig_handle_pending): an untimed wait
	 * restarts under SA_RESTART, as on Linux; a timed one returns EINTR
	 * if a handler ran; LOCK_PI never returns EINTR (glibc would take a
	 * mutex it does not hold).
	 */
	switch (cmd) {
	case FUTEX_WAIT:
		r = deadline_of(utimeout, false, false, &deadline);
		if (r == 0)
			r = futex_wait(uaddr, val, deadline,
				       FUTEX_BITSET_MATCH_ANY);
		return r == -EINTR && !deadline ? -ERESTARTSYS : r;
	case FUTEX_WAIT_BITSET:
		r = deadline_of(utimeout, true, realtime, &deadline);
		if (r == 0)
			r = futex_wait(uaddr, val, deadline, val3);
		return r == -EINTR && !deadline ? -ERESTARTSYS : r;
	case FUTEX_WAKE:
		return futex_wake(uaddr, (int)val);
	case FUTEX_WAKE_BITSET:
		if (!val3)
			return -EINVAL;
		return wake_bitset(uaddr, (int)val, val3, false);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, uaddr2, (int)val,
				     (int)(uintptr_t)utimeout, false, 0);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, uaddr2, (int)val,
				     (int)(uintptr_t)utimeout, true, val3);
	case FUTEX_WAKE_OP:
		return futex_wake_op(uaddr, uaddr2, (int)val,
				     (int)(uintptr_t)utimeout, val3);
	case FUTEX_LOCK_PI:
		/* absolute, CLOCK_REALTIME (see futex(2)) */
		r = deadline_of(utimeout, true, true, &deadline);
		if (r == 0)
			r = futex_lock_pi(uaddr, deadline, false);
		return r == -EINTR ? -ERESTARTNOINTR : r;
	case FUTEX_LOCK_PI2:
		r = deadline_of(utimeout, true, realtime, &deadline);
		if (r == 0)
			r = futex_lock_pi(uaddr, deadline, false);
		return r == -EINTR ? -ERESTARTNOINTR : r;
	case FUTEX_TRYLOCK_PI:
		return futex_lock_pi(uaddr, 0, true);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(uaddr);
	case FUTEX_WAIT_REQUEUE_PI:
	case FUTEX_CMP_REQUEUE_PI:
		/* PI condition variables: glibc does not use them */
		return -ENOSYS;
	default:
		return -ENOSYS;
	}
}

/* ---- futex_waitv(2) ---- */

struct futex_waitv_user {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_PRIVATE 128
#define WAITV_MAX 128

long futex_waitv(const void *uwaiters, unsigned n, unsigned flags,
		 const void *utimeout, int clockid)
{
	struct futex_waitv_user *v;
	struct futex_waiter *ws;
	uint64_t deadline = 0;
	int woken = 0;
	long r;

	if (flags || n == 0 || n > WAITV_MAX)
		return -EINVAL;
	if (utimeout) {
		if (clockid != CLOCK_MONOTONIC && clockid != CLOCK_REALTIME)
			return -EINVAL;
		r = deadline_of(utimeout, true, clockid == CLOCK_REALTIME,
				&deadline);
		if (r < 0)
			return r;
	}
	v = kmalloc(sizeof(*v) * n);
	ws = kmalloc(sizeof(*ws) * n);
	if (!v || !ws) {
		r = -ENOMEM;
		goto out;
	}
	if (copy_from_user(v, uwaiters, sizeof(*v) * n)) {
		r = -EFAULT;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if ((v[i].flags &
		     ~(uint32_t)(FUTEX2_SIZE_U32 | FUTEX2_PRIVATE)) ||
		    (v[i].flags & 3) != FUTEX2_SIZE_U32 || v[i].reserved ||
		    (v[i].uaddr & 3) || v[i].val >> 32) {
			r = -EINVAL;
			goto out;
		}
		ws[i].uaddr = (uint32_t *)v[i].uaddr;
		ws[i].u = this_uthread();
		ws[i].bitset = FUTEX_BITSET_MATCH_ANY;
		ws[i].woken = &woken;
		ws[i].index = (int)i;
		ws[i].pi = false;
		list_init(&ws[i].node);
	}
	/* queue on each; a changed value ends the wait at once */
	sched_prepare_block(true);
	r = 0;
	for (unsigned i = 0; i < n && r == 0; i++) {
		struct futex_bucket *b = bucket_of(ws[i].uaddr);
		uint32_t cur;

		spin_lock(&b->lock);
		bucket_init(b);
		if (copy_from_user(&cur, ws[i].uaddr, 4))
			r = -EFAULT;
		else if (cur != (uint32_t)v[i].val)
			r = -EAGAIN;
		else
			list_add_tail(&b->waiters, &ws[i].node);
		spin_unlock(&b->lock);
	}
	if (r == 0 && !signal_pending_now()) {
		r = sched_block(deadline);
	} else {
		sched_cancel_block();
		if (r == 0)
			r = -EINTR;
	}
	for (unsigned i = 0; i < n; i++) {
		/* a requeue may move an entry: its bucket is the locked one */
		for (;;) {
			struct futex_bucket *b = bucket_of(ws[i].uaddr);

			spin_lock(&b->lock);
			if (b != bucket_of(ws[i].uaddr)) {
				spin_unlock(&b->lock);
				continue;
			}
			if (!list_empty(&ws[i].node))
				list_del(&ws[i].node);
			spin_unlock(&b->lock);
			break;
		}
	}
	if (__atomic_load_n(&woken, __ATOMIC_ACQUIRE))
		r = woken - 1; /* the index of the futex that woke us */
out:
	kfree(v);
	kfree(ws);
	return r;
}
