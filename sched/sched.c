/* sched.c - run queues and the scheduler loop of a kthread */
#include <stdatomic.h>
#include <stddef.h>

#include "base/log.h"
#include "sched/sched.h"

/* uthreads created and not yet exited, instance-wide */
static atomic_long nr_live;

static struct uthread *runq_pop(struct kthread *k)
{
	struct uthread *u = NULL;

	spin_lock(&k->runq_lock);
	if (!list_empty(&k->runq)) {
		u = list_entry(k->runq.next, struct uthread, runq_node);
		list_del(&u->runq_node);
	}
	spin_unlock(&k->runq_lock);
	return u;
}

void sched_wake(struct uthread *u)
{
	struct kthread *k = this_kthread();

	if (!u->last_kt) {
		u->last_kt = k;
		atomic_fetch_add(&nr_live, 1);
	}
	spin_lock(&k->runq_lock);
	list_add_tail(&k->runq, &u->runq_node);
	spin_unlock(&k->runq_lock);
}

/* called on the loop's stack after switching away from a dead uthread */
static void reap_dead(struct kthread *k)
{
	struct uthread *u = k->dead;

	if (!u)
		return;
	k->dead = NULL;
	uthread_destroy(u);
	if (u->release)
		u->release(u);
}

static void switch_to(struct kthread *k, struct uthread *u)
{
	k->cur = u;
	k->kstack_top = u->kstack_top;
	u->last_kt = k;
	sched_switch_stack(&k->loop_sp, u->ksp);
	k = this_kthread();
	k->cur = NULL;
	reap_dead(k);
}

void sched_run(void)
{
	struct kthread *k = this_kthread();

	for (;;) {
		struct uthread *u = runq_pop(k);

		if (u) {
			switch_to(k, u);
			continue;
		}
		if (atomic_load(&nr_live) == 0)
			return;
		/* nothing runnable but uthreads remain: they are blocked */
		log_panic("all uthreads blocked with no wakeup source");
	}
}

_Noreturn void sched_exit_current(void)
{
	struct kthread *k = this_kthread();
	struct uthread *u = k->cur;
	void *dummy;

	u->flags |= UT_EXITED;
	k->dead = u;
	atomic_fetch_sub(&nr_live, 1);
	sched_switch_stack(&dummy, k->loop_sp);
	__builtin_unreachable();
}

void sched_yield_current(void)
{
	struct kthread *k = this_kthread();
	struct uthread *u = k->cur;

	if (list_empty(&k->runq))
		return;
	xstate_save(u);
	spin_lock(&k->runq_lock);
	list_add_tail(&k->runq, &u->runq_node);
	spin_unlock(&k->runq_lock);
	sched_switch_stack(&u->ksp, k->loop_sp);
}
