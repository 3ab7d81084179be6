/* entry.S - guest to kernel and back: jump entry, trap resume, return */

/* offsets pinned in sched/sched.h */
#define KT_SELECTOR	8
#define KT_KSTACK_TOP	16
#define KT_RET_RIP	32
#define KT_SCRATCH	40
#define KT_FSBASE	48

#define TF_RAX		64
#define TF_RIP		128
#define TF_RFLAGS	136
#define TF_FSBASE	152

#define SEL_ALLOW	0
#define SEL_BLOCK	1

	.text

/*
 * entry_jmp - a rewritten syscall site lands here (tier 2), through its
 * per-site stub. In: eax = syscall number, rcx = return address (as the
 * syscall instruction would leave it), r11 = scratch, everything else is
 * the guest's, FS base is the guest's, the selector is BLOCK. We must not
 * write below the guest rsp: its red zone may be live.
 */
	.globl	entry_jmp
	.type	entry_jmp, @function
entry_jmp:
	mov	%rsp, %gs:KT_SCRATCH		/* guest rsp */
	mov	%gs:KT_KSTACK_TOP, %rsp		/* this uthread's kernel stack */
	pushq	$0				/* tf.fsbase, filled below */
	pushq	%gs:KT_SCRATCH			/* tf.rsp */
	pushfq					/* tf.rflags, before any flag change */
	pushq	%rcx				/* tf.rip */
	pushq	%rax				/* tf.orig_rax */
	pushq	%r9				/* the six arguments, rdi lowest */
	pushq	%r8
	pushq	%r10
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rax				/* tf.rax */
	pushq	%rcx				/* tf.rcx */
	pushq	%r11				/* tf.r11 */
	pushq	%rbx
	pushq	%rbp
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	cld					/* the guest may have left DF set */
	testl	$0x40100, TF_RFLAGS(%rsp)	/* AC or TF: off in kernel mode */
	jz	1f
	pushq	$0x202				/* (as the host's syscall entry) */
	popfq
1:	rdfsbase %rax
	mov	%rax, TF_FSBASE(%rsp)
	mov	%gs:KT_FSBASE, %rax		/* kernel mode: our own TLS */
	wrfsbase %rax
	movb	$SEL_ALLOW, %gs:KT_SELECTOR	/* our syscalls go to the host */
	mov	%rsp, %rdi
	mov	$2, %esi			/* ENTRY_JUMP */
	call	syscall_entry_c
	jmp	return_to_guest
	.globl	entry_jmp_end
entry_jmp_end:
	.size	entry_jmp, .-entry_jmp

/*
 * entry_trap_resume - the SIGSYS handler has copied the guest registers
 * into the trapframe and left the signal to here: rsp = trapframe, FS base
 * ours, selector ALLOW, vector registers the guest's.
 */
	.globl	entry_trap_resume
	.type	entry_trap_resume, @function
entry_trap_resume:
	mov	%rsp, %rdi
	mov	$1, %esi			/* ENTRY_TRAP */
	call	syscall_entry_c
	jmp	return_to_guest
	.size	entry_trap_resume, .-entry_trap_resume

/*
 * entry_fault_resume - a host signal taken in guest mode (preemption, a
 * fault) left to here with rsp = trapframe, like entry_trap_resume.
 */
	.globl	entry_fault_resume
	.type	entry_fault_resume, @function
entry_fault_resume:
	mov	%rsp, %rdi
	call	fault_entry_c
	jmp	return_to_guest
	.size	entry_fault_resume, .-entry_fault_resume

/*
 * return_to_guest - rsp = the trapframe at the top of the current kernel
 * stack. Restores every guest register exactly (rflags included) without
 * touching the guest stack, then jumps through a per-kthread slot. The
 * range [return_to_guest, return_to_guest_end) counts as kernel mode for
 * host signal handlers even after the selector is BLOCK.
 *
 * popfq costs ~9 ns here (it is microcoded); when the saved rflags hold
 * nothing but the six status flags (and the always-set bits 1 and IF),
 * OF is set by a subtraction and the other five by sahf, ~1 ns. DF, TF,
 * AC, ID and friends take popfq (rflags_slow_mask, set by entry_init).
 */
	.globl	return_to_guest
	.globl	return_to_guest_end
	.type	return_to_guest, @function
return_to_guest:
	mov	TF_FSBASE(%rsp), %rax
	wrfsbase %rax				/* guest FS base */
	mov	TF_RIP(%rsp), %rax
	mov	%rax, %gs:KT_RET_RIP
	movb	$SEL_BLOCK, %gs:KT_SELECTOR	/* guest syscalls trap again */
	mov	TF_RFLAGS(%rsp), %rax
	test	rflags_slow_mask(%rip), %rax
	jnz	1f
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%rcx
	/* rsp = &tf.rax; no flag changes after these two */
	movzbl	TF_RFLAGS-TF_RAX+1(%rsp), %eax	/* rflags bits 8-15 */
	and	$0x08, %al			/* OF */
	shl	$4, %al				/* OF ? 0x80 : 0 */
	sub	$1, %al				/* 0x80 - 1 overflows: OF */
	movb	TF_RFLAGS-TF_RAX(%rsp), %ah	/* SF ZF AF PF CF */
	sahf
	popq	%rax
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%r10
	popq	%r8
	popq	%r9
	lea	24(%rsp), %rsp			/* orig_rax, rip, rflags */
	popq	%rsp				/* guest rsp; the fsbase slot stays */
	jmp	*%gs:KT_RET_RIP
1:	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbp
	popq	%rbx
	popq	%r11
	popq	%rcx
	popq	%rax
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%r10
	popq	%r8
	popq	%r9
	lea	16(%rsp), %rsp			/* skip orig_rax, rip; keeps flags */
	popfq
	popq	%rsp				/* guest rsp; the fsbase slot stays */
	jmp	*%gs:KT_RET_RIP
return_to_guest_end:
	.size	return_to_guest, .-return_to_guest

/*
 * return_to_guest_from(tf) - the first entry of a new uthread into guest
 * mode, and any other return that is not the tail of an entry above.
 */
	.globl	return_to_guest_from
	.type	return_to_guest_from, @function
return_to_guest_from:
	mov	%rdi, %rsp
	jmp	return_to_guest
	.size	return_to_guest_from, .-return_to_guest_from

/*
 * host_sig_entry(sig, info, uc) - every host signal handler of ours starts
 * here, on the kthread's alternate stack, in guest or kernel mode. It
 * switches to kernel mode (our FS base, selector ALLOW), calls
 * host_signal_c(sig, info, uc, &saved_fs, &saved_sel), then restores the
 * FS base and selector from those slots, which the C code may have changed
 * (to leave the signal into kernel mode).
 */
	.globl	host_sig_entry
	.type	host_sig_entry, @function
host_sig_entry:
	rdfsbase %rax
	pushq	%rax				/* saved_fs   at 8(%rsp) after next */
	movzbl	%gs:KT_SELECTOR, %eax
	pushq	%rax				/* saved_sel  at 0(%rsp) */
	movb	$SEL_ALLOW, %gs:KT_SELECTOR
	mov	%gs:KT_FSBASE, %rax
	wrfsbase %rax
	lea	8(%rsp), %rcx			/* &saved_fs */
	mov	%rsp, %r8			/* &saved_sel */
	sub	$8, %rsp			/* 16-byte alignment for the call */
	call	host_signal_c
	add	$8, %rsp
	popq	%rax
	movb	%al, %gs:KT_SELECTOR
	popq	%rax
	wrfsbase %rax
	ret					/* to sig_restorer */
	.size	host_sig_entry, .-host_sig_entry

/*
 * The page exempt from Syscall User Dispatch. It holds the rt_sigreturn
 * of our host signal handlers, which may run with the selector BLOCK (a
 * signal taken in guest mode that returns there), and the gate every
 * host syscall of ours goes through: the host skips its selector check
 * (a user-memory read) for syscalls from this range, ~30 ns each.
 */
	.section .text.exempt, "ax", @progbits
	.balign	4096
	.globl	sud_exempt_start
sud_exempt_start:
	.globl	sig_restorer
	.type	sig_restorer, @function
sig_restorer:
	mov	$15, %eax			/* __NR_rt_sigreturn */
	syscall
	ud2
	.size	sig_restorer, .-sig_restorer

/* host_syscall_gate: the syscall instruction of base/host.h */
	.globl	host_syscall_gate
	.type	host_syscall_gate, @function
host_syscall_gate:
	syscall
	ret
	.size	host_syscall_gate, .-host_syscall_gate
	.balign	4096
	.globl	sud_exempt_end
sud_exempt_end:

/*
 * rflags bits that send return_to_guest to popfq: all but CF, bit 1, PF,
 * AF, ZF, SF, IF and OF once entry_init has seen LAHF/SAHF in 64-bit
 * mode; every bit (so always popfq) until then.
 */
	.data
	.balign	8
	.globl	rflags_slow_mask
rflags_slow_mask:
	.quad	-1

	.section .note.GNU-stack, "", @progbits
