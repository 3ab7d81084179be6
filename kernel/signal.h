/* signal.h - signal delivery: siginfo, frames */
#pragma once

#include <stdint.h>

#include "sched/sched.h"

struct k_sigaction;

/* the kernel's siginfo (128 bytes), the fields we fill */
struct k_siginfo {
	int32_t signo;
	int32_t errno_;
	int32_t code;
	int32_t pad0;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			uint64_t value; /* sigqueue's sival */
		} kill;
		struct {
			uint64_t addr; /* SIGSEGV, SIGBUS, SIGILL, SIGFPE */
		} fault;
		uint8_t pad[112];
	};
};

/* what a pending signal carries until it is delivered */
struct sig_qinfo {
	int32_t code; /* SI_USER, SI_TKILL, SI_KERNEL, SI_QUEUE, ... */
	int32_t pid;
	uint32_t uid;
	uint64_t value;
};

/* the sigcontext extras of a synchronous fault */
struct fault_frame {
	int sig;
	uint64_t err, trapno, cr2;
	uint64_t addr;
	int code;
};

/*
 * sig_setup_frame - deliver @sig to the current thread's handler @act:
 * build the frame below tf->rsp (or on the alternate stack) and set @tf
 * to enter the handler. @oldmask goes into the frame (restored by
 * rt_sigreturn). Returns 0, or -EFAULT if the stack is not writable.
 */
int sig_setup_frame(struct trapframe *tf, int sig, const struct k_siginfo *info,
		    const struct k_sigaction *act, uint64_t oldmask);

/* rt_sigreturn: restore @tf from the frame; new rax, or -EFAULT */
long sig_return(struct trapframe *tf);
