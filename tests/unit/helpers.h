/* helpers.h - shared set-up for unit tests that call into kernel code */
#pragma once

/*
 * unit_kthread_setup - point %gs at a zeroed struct kthread, as a kthread
 * of the instance would have it. Code such as file_put() reads the
 * current uthread at %gs:24 (xstate_save_current); with no kthread the GS
 * base of a test process is 0 and that read faults. The kthread has no
 * current uthread, so such saves do nothing. Call from a suite's .init
 * (Criterion runs each test in its own process).
 */
void unit_kthread_setup(void);

/* undo unit_kthread_setup: GS base back to 0 */
void unit_kthread_teardown(void);
