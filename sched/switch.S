/* switch.S - kernel-mode context switch between uthreads */

	.text

/*
 * sched_switch_stack(void **save_sp, void *new_sp)
 * Both sides are in kernel mode on the same kthread, so the FS base (this
 * kthread's TLS) does not change; the guest's state of the uthread being
 * left is in its trapframe and xsave area already.
 */
	.globl	sched_switch_stack
	.type	sched_switch_stack, @function
sched_switch_stack:
	pushq	%rbp			/* callee-saved registers of the SysV ABI */
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	mov	%rsp, (%rdi)		/* where we will resume */
	mov	%rsi, %rsp		/* the other context's stack */
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.size	sched_switch_stack, .-sched_switch_stack

/*
 * uthread_trampoline - where a new uthread's first switch "returns" to;
 * uthread_init put fn in r12 and arg in r13.
 */
	.globl	uthread_trampoline
	.type	uthread_trampoline, @function
uthread_trampoline:
	call	sched_finish_switch	/* as after every switch */
	mov	%r13, %rdi
	call	*%r12
	ud2				/* fn never returns */
	.size	uthread_trampoline, .-uthread_trampoline

	.section .note.GNU-stack, "", @progbits
