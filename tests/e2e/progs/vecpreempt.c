/* vecpreempt.c - e2e: vector registers survive blocking waits and preemption */
#include "e2e_thr.h"

#include <cpuid.h>
#include <stddef.h>

/*
 * Every thread keeps its own patterns live in the vector registers (zmm0-31
 * and k0-7 with AVX-512, else ymm0-15 with AVX, else xmm0-15) and MXCSR
 * across a point where another thread may run on the same core:
 *
 * - waiters: one asm block loads the registers, sleeps in a raw FUTEX_WAIT
 *   syscall until main wakes it, and stores the registers;
 * - spinners: one asm block loads the registers, spins without syscalls
 *   until a ticker thread has advanced a counter (so, on one core, until
 *   it has been preempted at least once), and stores the registers.
 *
 * All run at once, so while one thread sleeps or is preempted the others
 * load their own patterns on the same core. Run under --cores 1 this needs
 * the timer tick to preempt the spinners; the native run sees the same
 * results. Details of a mismatch go to stderr.
 */

#define NWAIT 3
#define NSPIN 3
#define WAITS 20 /* blocking waits per waiter */
#define ROUNDS 5 /* preempted spins per spinner */
#define SPIN_LIMIT 3000000000ULL /* TSC ticks: about a second */

#define FUTEX_WAIT_PRIVATE_OP 128L /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAKE_PRIVATE_OP 129L /* FUTEX_WAKE | FUTEX_PRIVATE_FLAG */

enum { LVL_SSE, LVL_AVX, LVL_AVX512 };
static int level;

struct regs {
	uint8_t v[32 * 64];
	uint64_t k[8];
	uint32_t mxcsr[3]; /* in, out, default to restore */
} __attribute__((aligned(64)));

/* asm text below: one instruction group per line, kept unformatted */
/* clang-format off */
#define NL "\n\t"
#define LX(i) "movdqu " #i "*16(%[in]), %%xmm" #i NL
#define SX(i) "movdqu %%xmm" #i ", " #i "*16(%[out])" NL
#define LY(i) "vmovdqu " #i "*32(%[in]), %%ymm" #i NL
#define SY(i) "vmovdqu %%ymm" #i ", " #i "*32(%[out])" NL
#define LZ(i) "vmovdqu64 " #i "*64(%[in]), %%zmm" #i NL
#define SZ(i) "vmovdqu64 %%zmm" #i ", " #i "*64(%[out])" NL
#define LK(i) "kmovq " #i "*8+2048(%[in]), %%k" #i NL
#define SK(i) "kmovq %%k" #i ", " #i "*8+2048(%[out])" NL
#define R16(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7) \
	m(8) m(9) m(10) m(11) m(12) m(13) m(14) m(15)
#define R32(m) R16(m) m(16) m(17) m(18) m(19) m(20) m(21) m(22) m(23) \
	m(24) m(25) m(26) m(27) m(28) m(29) m(30) m(31)
#define K8(m) m(0) m(1) m(2) m(3) m(4) m(5) m(6) m(7)

/* MXCSR: in at +2112, out at +2116, the default at +2120 */
#define LMX "ldmxcsr 2112(%[in])" NL
#define SMX "stmxcsr 2116(%[out])" NL "ldmxcsr 2120(%[in])" NL

#define LOAD_SSE LMX R16(LX)
#define STORE_SSE R16(SX) SMX
#define LOAD_AVX LMX R16(LY)
#define STORE_AVX R16(SY) SMX
#define LOAD_AVX512 LMX R32(LZ) K8(LK)
#define STORE_AVX512 R32(SZ) K8(SK) SMX

#define CLOB_16 "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", \
	"xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", \
	"xmm15"
#define CLOB_SSE CLOB_16
#define CLOB_AVX CLOB_16
#define CLOB_AVX512 CLOB_16, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", \
	"xmm21", "xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", \
	"xmm28", "xmm29", "xmm30", "xmm31", "k0", "k1", "k2", "k3", "k4", \
	"k5", "k6", "k7"

/*
 * Spin until *ep changes (returns 0) or SPIN_LIMIT TSC ticks pass
 * (returns 1); no syscall, no vector instruction.
 */
#define SPIN_BODY                                                   \
	"mov (%[ep]), %%r8" NL                                      \
	"rdtsc" NL "shl $32, %%rdx" NL "or %%rdx, %%rax" NL         \
	"mov %%rax, %%r9" NL                                        \
	"1: pause" NL                                               \
	"cmp (%[ep]), %%r8" NL                                      \
	"jne 2f" NL                                                 \
	"rdtsc" NL "shl $32, %%rdx" NL "or %%rdx, %%rax" NL         \
	"sub %%r9, %%rax" NL                                        \
	"cmp %[lim], %%rax" NL                                      \
	"jb 1b" NL                                                  \
	"mov $1, %%eax" NL                                          \
	"jmp 3f" NL                                                 \
	"2: xor %%eax, %%eax" NL                                    \
	"3:" NL

#define DEFINE_LEVEL(lvl, attr)                                          \
	attr static long wait_##lvl(struct regs *in, struct regs *out,  \
				    uint32_t *word)                     \
	{                                                               \
		long ret = SYS_futex;                                   \
		register long r10 __asm__("r10") = 0;                   \
		__asm__ volatile(LOAD_##lvl "syscall" NL STORE_##lvl    \
				 : "+a"(ret), "+r"(r10)                 \
				 : [in] "r"(in), [out] "r"(out),        \
				   "D"(word),                           \
				   "S"(FUTEX_WAIT_PRIVATE_OP), "d"(0L)  \
				 : "rcx", "r11", "memory", CLOB_##lvl); \
		return ret;                                             \
	}                                                               \
	attr static long spin_##lvl(struct regs *in, struct regs *out,  \
				    atomic_long *ep)                    \
	{                                                               \
		long ret;                                               \
		__asm__ volatile(LOAD_##lvl SPIN_BODY STORE_##lvl       \
				 : "=&a"(ret)                           \
				 : [in] "r"(in), [out] "r"(out),        \
				   [ep] "r"(ep), [lim] "r"(SPIN_LIMIT)  \
				 : "rdx", "r8", "r9", "cc", "memory",   \
				   CLOB_##lvl);                         \
		return ret;                                             \
	}
/* clang-format on */

DEFINE_LEVEL(SSE, )
DEFINE_LEVEL(AVX, __attribute__((target("avx"))))
DEFINE_LEVEL(AVX512, __attribute__((target("avx512f,avx512bw"))))

_Static_assert(offsetof(struct regs, k) == 2048, "k at +2048");
_Static_assert(offsetof(struct regs, mxcsr) == 2112, "mxcsr at +2112");

static long do_wait(struct regs *in, struct regs *out, uint32_t *word)
{
	switch (level) {
	case LVL_AVX512:
		return wait_AVX512(in, out, word);
	case LVL_AVX:
		return wait_AVX(in, out, word);
	default:
		return wait_SSE(in, out, word);
	}
}

static long do_spin(struct regs *in, struct regs *out, atomic_long *ep)
{
	switch (level) {
	case LVL_AVX512:
		return spin_AVX512(in, out, ep);
	case LVL_AVX:
		return spin_AVX(in, out, ep);
	default:
		return spin_SSE(in, out, ep);
	}
}

static void detect(void)
{
	unsigned a, b, c, d, lo, hi;

	level = LVL_SSE;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	(void)hi;
	if ((lo & 6) != 6 || !(c & bit_AVX))
		return;
	level = LVL_AVX;
	if (__get_cpuid_max(0, NULL) < 7)
		return;
	__cpuid_count(7, 0, a, b, c, d);
	if ((lo & 0xe6) == 0xe6 && (b & bit_AVX512F) && (b & bit_AVX512BW))
		level = LVL_AVX512;
}

/* fresh patterns for thread t, iteration it */
static void fill(struct regs *in, struct regs *out, int t, int it)
{
	for (size_t i = 0; i < sizeof(in->v) / 8; i++) {
		uint64_t x =
			e2e_mix((uint64_t)t << 40 | (uint64_t)it << 20 | i);

		memcpy(in->v + i * 8, &x, 8);
	}
	for (int i = 0; i < 8; i++)
		in->k[i] = e2e_mix((uint64_t)t << 40 | (uint64_t)it << 20 |
				   (0x10000 + (uint64_t)i));
	/* all exceptions masked; rounding, FTZ/DAZ and sticky flags vary */
	in->mxcsr[0] = 0x1f80 | (uint32_t)((t + it) & 3) << 13 |
		       ((t + it) & 1 ? 0x8040 : 0) |
		       (uint32_t)((t * 7 + it) & 0x3f);
	in->mxcsr[2] = 0x1f80;
	memset(out, 0, sizeof(*out));
}

/* 0 if every register came back; details of the first few on stderr */
static int differs(const char *who, int t, int it, const struct regs *in,
		   const struct regs *out)
{
	static atomic_int notes;
	int n = level == LVL_AVX512 ? 32 : 16;
	size_t w = level == LVL_AVX512 ? 64 : level == LVL_AVX ? 32 : 16;
	int bad = 0;

	for (int r = 0; r < n; r++)
		if (memcmp(in->v + (size_t)r * w, out->v + (size_t)r * w, w)) {
			bad++;
			if (atomic_fetch_add(&notes, 1) < 20)
				fprintf(stderr,
					"%s %d iteration %d: vector register "
					"%d differs\n",
					who, t, it, r);
		}
	if (level == LVL_AVX512)
		for (int r = 0; r < 8; r++)
			if (in->k[r] != out->k[r]) {
				bad++;
				if (atomic_fetch_add(&notes, 1) < 20)
					fprintf(stderr,
						"%s %d iteration %d: k%d "
						"differs\n",
						who, t, it, r);
			}
	if (in->mxcsr[0] != out->mxcsr[1]) {
		bad++;
		if (atomic_fetch_add(&notes, 1) < 20)
			fprintf(stderr,
				"%s %d iteration %d: mxcsr %#x, want %#x\n",
				who, t, it, out->mxcsr[1], in->mxcsr[0]);
	}
	return bad;
}

/* --- waiters ---------------------------------------------------------- */

struct waiter {
	int idx;
	uint32_t word; /* 0: keep sleeping; 1: done */
	int woken; /* waits that ended in a wake (returned 0) */
	int bad; /* iterations with a register mismatch */
	int other; /* returns other than 0 and -EAGAIN */
	struct regs in, out;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	for (int it = 0;; it++) {
		long r;

		fill(&w->in, &w->out, w->idx, it);
		r = do_wait(&w->in, &w->out, &w->word);
		if (differs("waiter", w->idx, it, &w->in, &w->out))
			w->bad++;
		if (r == 0)
			w->woken++;
		else if (r != -EAGAIN && r != -EINTR)
			w->other++;
		if (__atomic_load_n(&w->word, __ATOMIC_ACQUIRE))
			break;
	}
	return NULL;
}

/* wake until the wake reports one woken: the waiter was asleep */
static int wake_sleeper(uint32_t *word)
{
	int64_t give_up = e2e_now_ns(CLOCK_MONOTONIC) + 5000000000LL;

	while (e2e_now_ns(CLOCK_MONOTONIC) < give_up) {
		if (syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE_OP, 1, NULL,
			    NULL, 0) == 1)
			return 1;
		sched_yield();
	}
	return 0;
}

/* --- spinners and the ticker ------------------------------------------ */

static atomic_long epoch;
static atomic_int spinners_left = NSPIN;

struct spinner {
	int idx;
	int rounds; /* rounds that saw the ticker advance */
	int timeouts;
	int bad;
	struct regs in, out;
};

static void *spinner_main(void *arg)
{
	struct spinner *s = arg;

	for (int it = 0; it < ROUNDS; it++) {
		long r;

		fill(&s->in, &s->out, 100 + s->idx, it);
		r = do_spin(&s->in, &s->out, &epoch);
		if (differs("spinner", s->idx, it, &s->in, &s->out))
			s->bad++;
		if (r) {
			s->timeouts++;
			break; /* the ticker does not get to run: give up */
		}
		s->rounds++;
	}
	atomic_fetch_sub(&spinners_left, 1);
	return NULL;
}

static void *ticker_main(void *arg)
{
	long ticks = 0;

	(void)arg;
	while (atomic_load(&spinners_left) > 0) {
		atomic_fetch_add(&epoch, 1);
		ticks++;
		for (int i = 0; i < 64; i++)
			__asm__ volatile("pause");
	}
	return (void *)ticks;
}

int main(void)
{
	static struct waiter w[NWAIT];
	static struct spinner s[NSPIN];
	pthread_t wt[NWAIT], st[NSPIN], tt;
	int wakes_ok = 1, woken_ok = 1, wbad = 0, wother = 0;
	int sbad = 0, srounds = 0, stimeouts = 0;

	e2e_init();
	e2e_watchdog(20);
	detect();
	for (int i = 0; i < NWAIT; i++) {
		w[i].idx = i;
		wt[i] = e2e_spawn(waiter_main, &w[i]);
	}
	for (int i = 0; i < NSPIN; i++) {
		s[i].idx = i;
		st[i] = e2e_spawn(spinner_main, &s[i]);
	}
	tt = e2e_spawn(ticker_main, NULL);
	for (int k = 0; k < WAITS && wakes_ok; k++)
		for (int i = 0; i < NWAIT; i++)
			if (!wake_sleeper(&w[i].word)) {
				printf("waiter %d: not asleep for wake %d\n", i,
				       k);
				wakes_ok = 0;
			}
	for (int i = 0; i < NWAIT; i++) {
		__atomic_store_n(&w[i].word, 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, &w[i].word, FUTEX_WAKE_PRIVATE_OP, INT32_MAX,
			NULL, NULL, 0);
	}
	for (int i = 0; i < NWAIT; i++) {
		e2e_join(wt[i]);
		if (w[i].woken < WAITS)
			woken_ok = 0;
		wbad += w[i].bad;
		wother += w[i].other;
	}
	for (int i = 0; i < NSPIN; i++) {
		e2e_join(st[i]);
		sbad += s[i].bad;
		srounds += s[i].rounds;
		stimeouts += s[i].timeouts;
	}
	e2e_join(tt);

	expect_true("waiters: every wake found its waiter asleep", wakes_ok);
	expect_true("waiters: at least 20 blocking waits each", woken_ok);
	expect_long("waiters: unexpected futex returns", wother, 0);
	say("waiters: registers after blocking futex waits", "%s",
	    wbad ? "CORRUPTED" : "ok");
	if (wbad)
		e2e_fails++;
	expect_long("spinners: rounds that saw another thread run", srounds,
		    NSPIN * ROUNDS);
	expect_long("spinners: rounds that timed out", stimeouts, 0);
	say("spinners: registers after preemption", "%s",
	    sbad ? "CORRUPTED" : "ok");
	if (sbad)
		e2e_fails++;
	return e2e_done();
}
