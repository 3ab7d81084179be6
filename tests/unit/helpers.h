/* helpers.h - shared set-up for unit tests that call into kernel code */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct proc;
struct thread;

/*
 * unit_kthread_setup - point %gs at a zeroed struct kthread, as a kthread
 * of the instance would have it. Code such as file_put() reads the
 * current uthread at %gs:24 (xstate_save_current); with no kthread the GS
 * base of a test process is 0 and that read faults. The kthread has no
 * current uthread, so such saves do nothing, and no host timer (timers
 * armed on it never send a tick). Call from a suite's .init (Criterion
 * runs each test in its own process).
 */
void unit_kthread_setup(void);

/* undo unit_kthread_setup: GS base back to 0 */
void unit_kthread_teardown(void);

/* ---- a fake clock ---- */

/*
 * unit_clock_fake - kclock_ns() returns unit_now from here on. It starts an
 * hour past the real monotonic clock, so the host timers the scheduler
 * arms at our deadlines (sched_tick_update) never fire during a test:
 * time moves only when the test moves it.
 */
extern volatile uint64_t unit_now;
void unit_clock_fake(void);
void unit_clock_advance(uint64_t ns);

/* ---- a process to run kernel code in ---- */

/*
 * unit_proc - the test's guest process (pid 1, an fd table, euid 0, no
 * signal pending). Set up by unit_proc_setup or unit_sched_setup.
 */
struct proc *unit_proc(void);
void unit_proc_setup(void);

/*
 * unit_current_setup - with unit_kthread_setup: make the kthread's current
 * uthread a thread of unit_proc, for code that reads current_thread()
 * (fstat, F_SETPIPE_SZ, poll's fd table) without running the scheduler.
 * It must not block: there is no scheduler loop to switch to.
 */
void unit_current_setup(void);

/* ---- running uthreads ---- */

/*
 * unit_sched_setup - make the calling thread kthread 0 of @nkthreads, as
 * kernel_init() does: xstate, clock (fake if @fake_clock), host signal
 * handlers, kthread_init_self, kthreads_start; and unit_proc. Then spawn
 * uthreads and call unit_run().
 */
void unit_sched_setup(int nkthreads, bool fake_clock);

/*
 * unit_spawn - a new thread of unit_proc running @fn(@arg), then exiting;
 * it is made runnable (sched_wake) on the current kthread. unit_thread
 * without the wake. Its struct is never freed: after exit its state is
 * UT_DEAD.
 */
struct thread *unit_thread(void (*fn)(void *), void *arg);
struct thread *unit_spawn(void (*fn)(void *), void *arg);

/*
 * run the scheduler on this thread until every uthread has exited; then
 * assert that each was released (its kernel stack freed) exactly once
 */
void unit_run(void);

/* ---- an ordered log of events, shared by uthreads and kthreads ---- */

#define UNIT_LOG_MAX 4096
void unit_log(int v);
int unit_log_len(void);
int unit_log_at(int i);
/* assert the log holds exactly @n values @want */
void unit_log_expect(const int *want, int n);
