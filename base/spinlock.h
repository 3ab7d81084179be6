/* spinlock.h - short critical sections in kernel mode */
#pragma once

#include <stdbool.h>

/*
 * Kernel code is not preempted (the preemption signal only switches
 * uthreads that are in guest mode), so a spinlock is held for a bounded
 * time by a running kthread. Never block (park) with one held.
 */
struct spinlock {
	volatile int locked;
};

#define SPINLOCK_INIT { 0 }

static inline void spin_init(struct spinlock *l)
{
	l->locked = 0;
}

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	}
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}
