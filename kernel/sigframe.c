/* sigframe.c - signal frames on the guest stack, and rt_sigreturn */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "base/kmalloc.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "kernel/signal.h"
#include "mm/usercopy.h"
#include "sched/sched.h"

/*
 * The frame is Linux's x86-64 rt_sigframe (arch/x86/kernel/signal_64.c):
 * the return address (sa_restorer), a ucontext whose sigcontext holds
 * every register, the siginfo, and below the frame the FP state in
 * standard XSAVE format with its fx_sw_bytes and trailing magic. The
 * handler gets a clean FP state; rt_sigreturn takes everything back from
 * the frame - including edits the handler made to it (Go's preemption
 * moves rip and rsp).
 */
struct k_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* guest address of the FP state, or 0 */
	uint64_t reserved1[8];
};

struct k_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct k_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct k_stack uc_stack;
	struct k_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};

struct rt_sigframe {
	uint64_t pretcode;
	struct k_ucontext uc;
	struct k_siginfo info;
};

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext");
_Static_assert(sizeof(struct k_ucontext) == 304, "ucontext");
_Static_assert(sizeof(struct k_siginfo) == 128, "siginfo");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "frame");

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4
#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
#define USER_CS 0x33
#define USER_DS 0x2b

/* flags the guest may set through rt_sigreturn (FIX_EFLAGS) */
#define FIX_EFLAGS 0x254dd5ull /* AC OF DF TF SF ZF AF PF CF RF */
#define EFLAGS_TF 0x100ull
#define EFLAGS_DF 0x400ull
#define EFLAGS_RF 0x10000ull

#define SIGBIT(s) (1ull << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* the guest's FP state in standard XSAVE format, from its xsave area */
static void fp_to_standard(struct uthread *u, uint8_t *img, size_t size)
{
	uint32_t lo, hi;
	uint64_t mask = xstate_mask();

	memset(img, 0, size);
	xstate_save(u);
	/*
	 * Through the registers rather than a copy of the area: a component
	 * in its init state may hold stale bytes there (XSAVEOPT skips it),
	 * and a frame is read by code that ignores XSTATE_BV. Like Linux,
	 * the frame gets a plain XSAVE over a zeroed image.
	 */
	__asm__ volatile("xrstor64 (%0)"
			 :
			 : "r"(u->xsave), "a"((uint32_t)mask),
			   "d"((uint32_t)(mask >> 32))
			 : "memory");
	lo = (uint32_t)mask;
	hi = (uint32_t)(mask >> 32);
	__asm__ volatile("xsave64 (%0)"
			 :
			 : "r"(img), "a"(lo), "d"(hi)
			 : "memory");
}

static bool on_altstack(struct thread *t, uint64_t sp)
{
	return !(t->sigaltstack.ss_flags & SS_DISABLE) &&
	       sp - (uint64_t)t->sigaltstack.ss_sp <= t->sigaltstack.ss_size;
}

int sig_setup_frame(struct trapframe *tf, int sig, const struct k_siginfo *info,
		    const struct k_sigaction *act, uint64_t oldmask)
{
	struct thread *t = current_thread();
	size_t fpsize = xstate_std_size();
	struct k_stack saved_stack;
	struct rt_sigframe frame;
	uint64_t sp = tf->rsp, fp_addr, frame_addr;
	uint8_t *mem, *img;
	int r = -EFAULT;

	memset(&saved_stack, 0, sizeof(saved_stack));
	saved_stack.ss_sp = (uint64_t)t->sigaltstack.ss_sp;
	saved_stack.ss_size = t->sigaltstack.ss_size;
	saved_stack.ss_flags = t->sigaltstack.ss_flags & SS_DISABLE
				       ? SS_DISABLE
				       : (on_altstack(t, sp) ? SS_ONSTACK : 0);
	if (t->sigaltstack.ss_flags & (int)SS_AUTODISARM)
		saved_stack.ss_flags |= (int)SS_AUTODISARM;

	if ((act->flags & SA_ONSTACK) &&
	    !(t->sigaltstack.ss_flags & SS_DISABLE) && !on_altstack(t, sp)) {
		sp = (uint64_t)t->sigaltstack.ss_sp + t->sigaltstack.ss_size;
		if (t->sigaltstack.ss_flags & (int)SS_AUTODISARM) {
			t->sigaltstack.ss_sp = NULL;
			t->sigaltstack.ss_size = 0;
			t->sigaltstack.ss_flags = SS_DISABLE;
		}
	} else {
		sp -= 128; /* the red zone of the interrupted code */
	}
	fp_addr = (sp - fpsize - 4) & ~63ull;
	frame_addr = ((fp_addr - sizeof(frame)) & ~15ull) - 8;

	/* XSAVE wants 64-byte alignment; kmalloc gives 16 */
	mem = kmalloc(fpsize + 4 + 64);
	if (!mem)
		return -ENOMEM;
	img = (uint8_t *)(((uintptr_t)mem + 63) & ~(uintptr_t)63);
	fp_to_standard(&t->ut, img, fpsize);
	{
		/* fx_sw_bytes in the software area of the legacy region */
		uint32_t m1 = FP_XSTATE_MAGIC1, ext = (uint32_t)fpsize + 4,
			 xs = (uint32_t)fpsize, m2 = FP_XSTATE_MAGIC2;
		uint64_t xf = xstate_mask();

		memcpy(img + 464, &m1, 4);
		memcpy(img + 468, &ext, 4);
		memcpy(img + 472, &xf, 8);
		memcpy(img + 480, &xs, 4);
		memset(img + 484, 0, 28);
		memcpy(img + fpsize, &m2, 4);
	}

	memset(&frame, 0, sizeof(frame));
	frame.pretcode = act->restorer;
	frame.uc.uc_flags =
		UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	frame.uc.uc_stack = saved_stack;
	{
		struct k_sigcontext *sc = &frame.uc.uc_mcontext;

		sc->r8 = tf->r8;
		sc->r9 = tf->r9;
		sc->r10 = tf->r10;
		sc->r11 = tf->r11;
		sc->r12 = tf->r12;
		sc->r13 = tf->r13;
		sc->r14 = tf->r14;
		sc->r15 = tf->r15;
		sc->rdi = tf->rdi;
		sc->rsi = tf->rsi;
		sc->rbp = tf->rbp;
		sc->rbx = tf->rbx;
		sc->rdx = tf->rdx;
		sc->rax = tf->rax;
		sc->rcx = tf->rcx;
		sc->rsp = tf->rsp;
		sc->rip = tf->rip;
		sc->eflags = tf->rflags;
		sc->cs = USER_CS;
		sc->ss = USER_DS;
		sc->oldmask = oldmask;
		sc->fpstate = fp_addr;
		if (info->signo == t->fault_frame.sig) {
			sc->err = t->fault_frame.err;
			sc->trapno = t->fault_frame.trapno;
			sc->cr2 = t->fault_frame.cr2;
		}
	}
	frame.uc.uc_sigmask = oldmask;
	frame.info = *info;

	if (copy_to_user((void *)fp_addr, img, fpsize + 4) == 0 &&
	    copy_to_user((void *)frame_addr, &frame, sizeof(frame)) == 0)
		r = 0;
	kfree(mem);
	if (r < 0)
		return r;

	/* the handler's registers; its FP state starts clean (Linux) */
	tf->rdi = (uint64_t)sig;
	tf->rsi = frame_addr + offsetof(struct rt_sigframe, info);
	tf->rdx = frame_addr + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rsp = frame_addr;
	tf->rip = act->handler;
	tf->rflags &= ~(EFLAGS_TF | EFLAGS_DF | EFLAGS_RF);
	tf->orig_rax = (uint64_t)-1;
	xstate_init_area(t->ut.xsave);
	t->ut.flags |= UT_XSAVED;
	return 0;
}

long sig_return(struct trapframe *tf)
{
	struct thread *t = current_thread();
	uint64_t frame_addr =
		tf->rsp - 8; /* the handler's ret popped pretcode */
	size_t fpsize = xstate_std_size();
	struct k_ucontext uc;
	struct k_sigcontext *sc = &uc.uc_mcontext;

	if (copy_from_user(&uc, (void *)(frame_addr + 8), sizeof(uc)))
		return -EFAULT;
	tf->r8 = sc->r8;
	tf->r9 = sc->r9;
	tf->r10 = sc->r10;
	tf->r11 = sc->r11;
	tf->r12 = sc->r12;
	tf->r13 = sc->r13;
	tf->r14 = sc->r14;
	tf->r15 = sc->r15;
	tf->rdi = sc->rdi;
	tf->rsi = sc->rsi;
	tf->rbp = sc->rbp;
	tf->rbx = sc->rbx;
	tf->rdx = sc->rdx;
	tf->rax = sc->rax;
	tf->rcx = sc->rcx;
	tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	tf->rflags = (tf->rflags & ~FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	tf->orig_rax = (uint64_t)-1; /* no syscall restart from here */
	t->sigmask = uc.uc_sigmask & ~UNBLOCKABLE;

	/* the alternate stack as it was (see restore_altstack()) */
	if (!(uc.uc_stack.ss_flags & SS_ONSTACK)) {
		if (uc.uc_stack.ss_flags & SS_DISABLE) {
			t->sigaltstack.ss_sp = NULL;
			t->sigaltstack.ss_size = 0;
			t->sigaltstack.ss_flags = SS_DISABLE;
		} else {
			t->sigaltstack.ss_sp = (void *)uc.uc_stack.ss_sp;
			t->sigaltstack.ss_size = uc.uc_stack.ss_size;
			t->sigaltstack.ss_flags =
				uc.uc_stack.ss_flags & (int)SS_AUTODISARM;
		}
	}

	xstate_save(&t->ut);
	if (!sc->fpstate) {
		xstate_init_area(t->ut.xsave);
	} else {
		uint8_t *img = kmalloc(fpsize + 64);
		uint8_t *al = img ? (uint8_t *)(((uintptr_t)img + 63) & ~63ull)
				  : NULL;
		long r = -ENOMEM;

		if (al &&
		    copy_from_user(al, (void *)sc->fpstate, fpsize) == 0) {
			/* a bad header faults in XRSTOR: a bad frame */
			r = __xrstor_checked(al, xstate_mask());
			if (r == 0)
				__asm__ volatile(
					"xsaveopt64 (%0)"
					:
					: "r"(t->ut.xsave),
					  "a"((uint32_t)xstate_mask()),
					  "d"((uint32_t)(xstate_mask() >> 32))
					: "memory");
		} else if (al) {
			r = -EFAULT;
		}
		kfree(img);
		if (r < 0) {
			xstate_init_area(t->ut.xsave);
			return -EFAULT;
		}
	}
	t->ut.flags |= UT_XSAVED;
	return (long)tf->rax;
}
