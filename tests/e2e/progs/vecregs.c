/* vecregs.c - e2e: syscalls preserve vector, x87, MXCSR and other registers */
#include "e2e.h"

#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>

/*
 * DESIGN.md, Execution rules 2: a syscall preserves every register except
 * rax, rcx and r11. Each check loads distinct patterns into the registers,
 * runs `syscall` in the same asm block and stores the registers right after.
 * Every call runs ITERS times with fresh patterns: the first time the site
 * traps (Syscall User Dispatch), then it has been rewritten into a jump, so
 * both entry paths are covered. Each syscall number has its own asm sites of
 * the form `mov $nr,%eax; syscall` (the rewritable 7-byte form); one check
 * loads eax from a register instead (a site the rewriter may leave alone).
 */

#define ITERS 50

static uint8_t vin[32 * 64] __attribute__((aligned(64)));
static uint8_t vout[32 * 64] __attribute__((aligned(64)));
static uint64_t kin[8], kout[8];
static uint64_t gin[5], gout[11];
static uint32_t ctl_in[2]; /* MXCSR, x87 control word */
static uint32_t ctl_out[3]; /* the same, then a scratch word */
static double st_in[8], st_out[8];

static int have_avx, have_avx512;

/* a site's failures, by kind */
struct verdict {
	int vec, fpu, gpr, result;
};

/* asm text below: one instruction group per line, kept unformatted */
/* clang-format off */
#define NL "\n\t"
#define LDY(i) "vmovdqu " #i "*32+%[vin], %%ymm" #i NL
#define STY(i) "vmovdqu %%ymm" #i ", " #i "*32+%[vout]" NL
#define LDZ(i) "vmovdqu64 " #i "*64+%[vin], %%zmm" #i NL
#define STZ(i) "vmovdqu64 %%zmm" #i ", " #i "*64+%[vout]" NL
#define LDK(i) "kmovq " #i "*8+%[kin], %%k" #i NL
#define STK(i) "kmovq %%k" #i ", " #i "*8+%[kout]" NL
#define X8(m, a, b, c, d, e, f, g, h) m(a) m(b) m(c) m(d) m(e) m(f) m(g) m(h)

#define LOAD_YMM                                                     \
	X8(LDY, 0, 1, 2, 3, 4, 5, 6, 7)                              \
	X8(LDY, 8, 9, 10, 11, 12, 13, 14, 15)
#define STORE_YMM                                                    \
	X8(STY, 0, 1, 2, 3, 4, 5, 6, 7)                              \
	X8(STY, 8, 9, 10, 11, 12, 13, 14, 15)
#define LOAD_ZMM                                                     \
	X8(LDZ, 0, 1, 2, 3, 4, 5, 6, 7)                              \
	X8(LDZ, 8, 9, 10, 11, 12, 13, 14, 15)                        \
	X8(LDZ, 16, 17, 18, 19, 20, 21, 22, 23)                      \
	X8(LDZ, 24, 25, 26, 27, 28, 29, 30, 31)                      \
	X8(LDK, 0, 1, 2, 3, 4, 5, 6, 7)
#define STORE_ZMM                                                    \
	X8(STZ, 0, 1, 2, 3, 4, 5, 6, 7)                              \
	X8(STZ, 8, 9, 10, 11, 12, 13, 14, 15)                        \
	X8(STZ, 16, 17, 18, 19, 20, 21, 22, 23)                      \
	X8(STZ, 24, 25, 26, 27, 28, 29, 30, 31)                      \
	X8(STK, 0, 1, 2, 3, 4, 5, 6, 7)

/* x87 stack: st(0) = st_in[0] after the loads; popped in the same order */
#define LOAD_FPU                                                     \
	"ldmxcsr 0+%[ctl_in]" NL "fldcw 4+%[ctl_in]" NL                 \
	"fldl 56+%[st_in]" NL "fldl 48+%[st_in]" NL "fldl 40+%[st_in]" NL \
	"fldl 32+%[st_in]" NL "fldl 24+%[st_in]" NL "fldl 16+%[st_in]" NL \
	"fldl 8+%[st_in]" NL "fldl 0+%[st_in]" NL
#define STORE_FPU                                                    \
	"stmxcsr 0+%[ctl_out]" NL "fnstcw 4+%[ctl_out]" NL              \
	"fstpl 0+%[st_out]" NL "fstpl 8+%[st_out]" NL "fstpl 16+%[st_out]" NL \
	"fstpl 24+%[st_out]" NL "fstpl 32+%[st_out]" NL              \
	"fstpl 40+%[st_out]" NL                                      \
	"fstpl 48+%[st_out]" NL "fstpl 56+%[st_out]" NL                 \
	"movl $0x1f80, 8+%[ctl_out]" NL
#define LOAD_GPR                                                     \
	"mov 0+%[gin], %%rbx" NL "mov 8+%[gin], %%r12" NL                \
	"mov 16+%[gin], %%r13" NL "mov 24+%[gin], %%r14" NL              \
	"mov 32+%[gin], %%r15" NL
#define STORE_GPR                                                    \
	"mov %%rbx, 0+%[gout]" NL "mov %%r12, 8+%[gout]" NL              \
	"mov %%r13, 16+%[gout]" NL "mov %%r14, 24+%[gout]" NL            \
	"mov %%r15, 32+%[gout]" NL "mov %%rdi, 40+%[gout]" NL            \
	"mov %%rsi, 48+%[gout]" NL "mov %%rdx, 56+%[gout]" NL            \
	"mov %%r10, 64+%[gout]" NL "mov %%r8, 72+%[gout]" NL             \
	"mov %%r9, 80+%[gout]" NL

#define ARG_REGS(a1, a2, a3, a4, a5, a6)                             \
	register long r10 __asm__("r10") = (a4);                     \
	register long r8 __asm__("r8") = (a5);                       \
	register long r9 __asm__("r9") = (a6);                       \
	long rdi = (a1), rsi = (a2), rdx = (a3), ret

#define MEM_OUTS                                                     \
	[vout] "=m"(vout), [kout] "=m"(kout), [gout] "=m"(gout),      \
	[ctl_out] "=m"(ctl_out), [st_out] "=m"(st_out)
#define MEM_INS                                                      \
	[vin] "m"(vin), [kin] "m"(kin), [gin] "m"(gin),               \
	[ctl_in] "m"(ctl_in), [st_in] "m"(st_in), "D"(rdi), "S"(rsi), \
	"d"(rdx), "r"(r10), "r"(r8), "r"(r9)
#define GPR_CLOBBERS                                                 \
	"rbx", "r12", "r13", "r14", "r15", "rcx", "r11", "cc", "memory"
#define YMM_CLOBBERS                                                 \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", \
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",  \
	"xmm15"
#define ZMM_CLOBBERS                                                 \
	YMM_CLOBBERS, "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", \
	"xmm22", "xmm23", "xmm24", "xmm25", "xmm26", "xmm27", "xmm28", \
	"xmm29", "xmm30", "xmm31",                                   \
	"k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"
#define X87_CLOBBERS                                                 \
	"st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)"

/*
 * One syscall number, two sites: site_NAME_avx (ymm0-15, MXCSR, x87 control
 * word and stack, GPRs) and site_NAME_avx512 (zmm0-31, k0-7, GPRs). MXCSR and
 * the control word go back to their defaults inside the block.
 */
#define DEFINE_SITES(name, num)                                        \
	static long site_##name##_avx(long a1, long a2, long a3, long a4, \
				      long a5, long a6)               \
	{                                                             \
		ARG_REGS(a1, a2, a3, a4, a5, a6);                     \
		__asm__ volatile(LOAD_YMM LOAD_FPU LOAD_GPR           \
				 "mov %[nr], %%eax" NL "syscall" NL   \
				 STORE_YMM STORE_FPU STORE_GPR        \
				 "ldmxcsr 8+%[ctl_out]" NL            \
				 "movl $0x37f, 8+%[ctl_out]" NL       \
				 "fldcw 8+%[ctl_out]"                 \
				 : "=a"(ret), MEM_OUTS                \
				 : [nr] "i"(num), MEM_INS              \
				 : GPR_CLOBBERS, YMM_CLOBBERS, X87_CLOBBERS); \
		return ret;                                           \
	}                                                             \
	__attribute__((target("avx512f,avx512bw"))) static long       \
	site_##name##_avx512(long a1, long a2, long a3, long a4, long a5, \
			     long a6)                                 \
	{                                                             \
		ARG_REGS(a1, a2, a3, a4, a5, a6);                     \
		__asm__ volatile(LOAD_ZMM LOAD_GPR                    \
				 "mov %[nr], %%eax" NL "syscall" NL   \
				 STORE_ZMM STORE_GPR                  \
				 : "=a"(ret), MEM_OUTS                \
				 : [nr] "i"(num), MEM_INS              \
				 : GPR_CLOBBERS, ZMM_CLOBBERS);       \
		return ret;                                           \
	}

DEFINE_SITES(getpid, SYS_getpid)
DEFINE_SITES(openat, SYS_openat)
DEFINE_SITES(write, SYS_write)
DEFINE_SITES(mmap, SYS_mmap)
DEFINE_SITES(munmap, SYS_munmap)
DEFINE_SITES(uname, SYS_uname)
DEFINE_SITES(pread, SYS_pread64)
DEFINE_SITES(newfstatat, SYS_newfstatat)
DEFINE_SITES(clock_gettime, SYS_clock_gettime)
/* clang-format on */

/*
 * getpid from a site without `mov $nr,%eax` before it (eax is set before
 * the block; a `mov %r15` load precedes the syscall)
 */
static long site_getpid_reg_avx(long a1, long a2, long a3, long a4, long a5,
				long a6)
{
	volatile int nr = SYS_getpid;
	int n = nr;
	ARG_REGS(a1, a2, a3, a4, a5, a6);

	__asm__ volatile(LOAD_YMM LOAD_FPU LOAD_GPR
			 "syscall" NL STORE_YMM STORE_FPU STORE_GPR
			 "ldmxcsr 8+%[ctl_out]" NL
			 "movl $0x37f, 8+%[ctl_out]" NL "fldcw 8+%[ctl_out]"
			 : "=a"(ret), MEM_OUTS
			 : "0"(n), MEM_INS
			 : GPR_CLOBBERS, YMM_CLOBBERS, X87_CLOBBERS);
	return ret;
}

__attribute__((target("avx512f,avx512bw"))) static long
site_getpid_reg_avx512(long a1, long a2, long a3, long a4, long a5, long a6)
{
	volatile int nr = SYS_getpid;
	int n = nr;
	ARG_REGS(a1, a2, a3, a4, a5, a6);

	__asm__ volatile(LOAD_ZMM LOAD_GPR "syscall" NL STORE_ZMM STORE_GPR
			 : "=a"(ret), MEM_OUTS
			 : "0"(n), MEM_INS
			 : GPR_CLOBBERS, ZMM_CLOBBERS);
	return ret;
}

typedef long (*site_fn)(long, long, long, long, long, long);

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	return x ^ (x >> 33);
}

/* fresh patterns for iteration it of call number call */
static void fill(int call, int it)
{
	uint64_t seed = ((uint64_t)call << 32) | (uint64_t)it;
	static const unsigned pcs[3] = {0, 2, 3};

	for (size_t i = 0; i < sizeof(vin) / 8; i++) {
		uint64_t v = mix(seed * 4096 + i + 1);

		memcpy(vin + i * 8, &v, 8);
	}
	for (int i = 0; i < 8; i++) {
		kin[i] = mix(seed + 0x1000 + i);
		st_in[i] = (double)(it + 1) * 1.5 + i * 1000.25 + call;
	}
	for (int i = 0; i < 5; i++)
		gin[i] = mix(seed + 0x2000 + i);
	/* all exceptions masked; rounding, FTZ/DAZ and sticky flags vary */
	ctl_in[0] = 0x1f80 | ((unsigned)(it & 3) << 13) |
		    ((it & 1) ? 0x8040 : 0) | (unsigned)(it & 0x3f);
	ctl_in[1] = 0x7f | ((unsigned)(it & 3) << 10) | (pcs[it % 3] << 8);
	memset(vout, 0, sizeof(vout));
	memset(kout, 0, sizeof(kout));
	memset(gout, 0, sizeof(gout));
	memset(ctl_out, 0, sizeof(ctl_out));
	memset(st_out, 0, sizeof(st_out));
}

/* details on stderr (not compared), the first few only */
static void note(const char *call, const char *what, int it, int reg)
{
	static int notes;

	if (notes++ >= 40)
		return;
	fprintf(stderr, "%s: %s differs (iteration %d, register %d)\n", call,
		what, it, reg);
}

/* compare what the avx site stored */
static void judge_avx(const char *call, int it, const long args[6],
		      struct verdict *v)
{
	for (int r = 0; r < 16; r++)
		if (memcmp(vin + r * 32, vout + r * 32, 32)) {
			note(call, "ymm", it, r);
			v->vec++;
		}
	if (ctl_out[0] != ctl_in[0]) {
		note(call, "mxcsr", it, 0);
		v->fpu++;
	}
	if ((ctl_out[1] & 0x1f3f) != (ctl_in[1] & 0x1f3f)) {
		note(call, "x87 control word", it, 0);
		v->fpu++;
	}
	for (int r = 0; r < 8; r++)
		if (st_out[r] != st_in[r]) {
			note(call, "x87 st", it, r);
			v->fpu++;
		}
	for (int r = 0; r < 5; r++)
		if (gout[r] != gin[r]) {
			note(call, "callee-saved gpr", it, r);
			v->gpr++;
		}
	for (int r = 0; r < 6; r++)
		if ((long)gout[5 + r] != args[r]) {
			note(call, "argument gpr", it, r);
			v->gpr++;
		}
}

static void judge_avx512(const char *call, int it, const long args[6],
			 struct verdict *v)
{
	for (int r = 0; r < 32; r++)
		if (memcmp(vin + r * 64, vout + r * 64, 64)) {
			note(call, "zmm", it, r);
			v->vec++;
		}
	for (int r = 0; r < 8; r++)
		if (kout[r] != kin[r]) {
			note(call, "k", it, r);
			v->vec++;
		}
	for (int r = 0; r < 5; r++)
		if (gout[r] != gin[r]) {
			note(call, "callee-saved gpr", it, r);
			v->gpr++;
		}
	for (int r = 0; r < 6; r++)
		if ((long)gout[5 + r] != args[r]) {
			note(call, "argument gpr", it, r);
			v->gpr++;
		}
}

/* what a call must return; -1 for "any non-error value" */
typedef int (*result_ok)(long ret);

static int ok_pid(long r)
{
	return r == (long)getpid();
}

static int ok_enoent(long r)
{
	return r == -ENOENT;
}

static int ok_16(long r)
{
	return r == 16;
}

static int ok_zero(long r)
{
	return r == 0;
}

static int ok_positive(long r)
{
	return r > 0;
}

static int ok_page(long r)
{
	return r > 0 && (r & 4095) == 0;
}

static void report(const char *call, const struct verdict *v)
{
	printf("vec preserved: %s %s\n", call, v->vec ? "no" : "yes");
	printf("fpu preserved: %s %s\n", call, v->fpu ? "no" : "yes");
	printf("gpr preserved: %s %s\n", call, v->gpr ? "no" : "yes");
	printf("result: %s %s\n", call, v->result ? "wrong" : "ok");
	e2e_fails += !!v->vec + !!v->fpu + !!v->gpr + !!v->result;
}

static void run(int call, const char *name, site_fn avx, site_fn avx512,
		const long args[6], result_ok ok)
{
	struct verdict v = {0};

	for (int it = 0; it < ITERS; it++) {
		long r;

		if (have_avx) {
			fill(call, it);
			r = avx(args[0], args[1], args[2], args[3], args[4],
				args[5]);
			judge_avx(name, it, args, &v);
			if (!ok(r)) {
				fprintf(stderr, "%s: returned %ld\n", name, r);
				v.result++;
			}
		}
		if (have_avx512) {
			fill(call + 100, it);
			r = avx512(args[0], args[1], args[2], args[3], args[4],
				   args[5]);
			judge_avx512(name, it, args, &v);
			if (!ok(r)) {
				fprintf(stderr, "%s: returned %ld\n", name, r);
				v.result++;
			}
		}
	}
	report(name, &v);
}

/* mmap then munmap, each through its own sites, ITERS times */
static void run_mmap(void)
{
	struct verdict vm = {0}, vu = {0};
	const long margs[6] = {
		0,  4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		-1, 0};

	for (int it = 0; it < ITERS; it++) {
		for (int wide = 0; wide < 2; wide++) {
			long uargs[6] = {0, 4096, 0x11, 0x22, 0x33, 0x44};
			long r;

			if (wide ? !have_avx512 : !have_avx)
				continue;
			fill(wide ? 107 : 7, it);
			r = (wide ? site_mmap_avx512 : site_mmap_avx)(
				margs[0], margs[1], margs[2], margs[3],
				margs[4], margs[5]);
			(wide ? judge_avx512 : judge_avx)("mmap", it, margs,
							  &vm);
			if (!ok_page(r)) {
				fprintf(stderr, "mmap: returned %ld\n", r);
				vm.result++;
				continue;
			}
			((char *)r)[0] = 1;
			uargs[0] = r;
			fill(wide ? 108 : 8, it);
			r = (wide ? site_munmap_avx512 : site_munmap_avx)(
				uargs[0], uargs[1], uargs[2], uargs[3],
				uargs[4], uargs[5]);
			(wide ? judge_avx512 : judge_avx)("munmap", it, uargs,
							  &vu);
			if (r != 0) {
				fprintf(stderr, "munmap: returned %ld\n", r);
				vu.result++;
			}
		}
	}
	report("mmap", &vm);
	report("munmap", &vu);
}

/*
 * rflags: the status flags, DF and AC survive a syscall, and r11 holds
 * rflags as they were at the syscall. One site for every pattern, so the
 * first runs trapped and the rest through the rewritten jump. 128 bytes
 * below rsp are skipped first: the pushes must not touch a red zone.
 * Nothing between the popfq and the pushfq makes an unaligned access
 * (with AC set, Linux turns one into SIGBUS).
 */
#define FL_STATUS 0x8d5ul /* CF PF AF ZF SF OF */
#define FL_DF 0x400ul
#define FL_AC 0x40000ul

/*
 * One site per call, in the rewritable `mov $nr,%eax; syscall` form:
 * getpid, uname(a1), newfstatat(a1, a2, a3, 0).
 */
#define FLAGS_SITE(name, nr)                                                  \
	static void flags_##name(uint64_t in, long a1, long a2, long a3,      \
				 uint64_t *out, uint64_t *r11)                \
	{                                                                     \
		register long r10 __asm__("r10") = 0;                         \
		uint64_t o, r;                                                \
                                                                              \
		__asm__ volatile("lea -128(%%rsp), %%rsp" NL "pushq %[in]" NL \
				 "popfq" NL "mov $" #nr ", %%eax" NL          \
				 "syscall" NL "pushfq" NL "popq %[o]" NL      \
				 "pushq $0x202" NL /* DF, AC off again */     \
				 "popfq" NL "mov %%r11, %[r]" NL              \
				 "lea 128(%%rsp), %%rsp" NL                   \
				 : [o] "=&r"(o), [r] "=&r"(r), "+D"(a1),      \
				   "+S"(a2), "+d"(a3), "+r"(r10)              \
				 : [in] "r"(in)                               \
				 : "rax", "rcx", "r8", "r9", "r11", "memory", \
				   "cc");                                     \
		*out = o;                                                     \
		*r11 = r;                                                     \
	}
FLAGS_SITE(getpid, 39)
FLAGS_SITE(uname, 63)
FLAGS_SITE(newfstatat, 262)

static void check_flags(void)
{
	static const uint64_t extra[4] = {0, FL_DF, FL_AC, FL_DF | FL_AC};
	static const char *const names[4] = {"status", "status+DF", "status+AC",
					     "status+DF+AC"};
	static struct utsname u;
	static struct stat st;
	const uint64_t mask = FL_STATUS | FL_DF | FL_AC;

	for (int e = 0; e < 4; e++) {
		int bad_flags = 0, bad_r11 = 0, bad_result = 0, runs = 0;

		for (int rep = 0; rep < 2; rep++) {
			for (unsigned bits = 0; bits < 64; bits++) {
				uint64_t in = 0x202 | extra[e], out[3], r11[3];

				/* spread the 6 bits over CF PF AF ZF SF OF */
				in |= (bits & 1) ? 0x1 : 0;
				in |= (bits & 2) ? 0x4 : 0;
				in |= (bits & 4) ? 0x10 : 0;
				in |= (bits & 8) ? 0x40 : 0;
				in |= (bits & 16) ? 0x80 : 0;
				in |= (bits & 32) ? 0x800 : 0;
				memset(&u, 0, sizeof(u));
				memset(&st, 0, sizeof(st));
				flags_getpid(in, 0, 0, 0, &out[0], &r11[0]);
				flags_uname(in, (long)&u, 0, 0, &out[1],
					    &r11[1]);
				flags_newfstatat(in, AT_FDCWD, (long)"/",
						 (long)&st, &out[2], &r11[2]);
				if (!u.sysname[0] || !S_ISDIR(st.st_mode))
					bad_result++;
				for (int i = 0; i < 3; i++) {
					runs++;
					if ((out[i] & mask) != (in & mask))
						bad_flags++;
					if ((r11[i] & mask) != (in & mask))
						bad_r11++;
				}
			}
		}
		printf("rflags %-13s %d syscalls: flags after %s, r11 %s, "
		       "results %s\n",
		       names[e], runs, bad_flags ? "CHANGED" : "kept",
		       bad_r11 ? "WRONG" : "= rflags",
		       bad_result ? "WRONG" : "ok");
	}
}

int main(void)
{
	static char buf[1 << 16];
	static struct utsname uts;
	static struct stat st;
	static struct timespec ts;
	int null_fd, maps_fd;

	e2e_init();
	__builtin_cpu_init();
	have_avx = __builtin_cpu_supports("avx");
	have_avx512 = __builtin_cpu_supports("avx512f") &&
		      __builtin_cpu_supports("avx512bw");
	/* the set of checks printed is the same whatever the CPU has */
	null_fd = open("/dev/null", O_WRONLY);
	maps_fd = open("/proc/self/maps", O_RDONLY);
	must("open /dev/null", null_fd);
	must("open /proc/self/maps", maps_fd);

	{
		const long a[6] = {0x1111, 0x2222, 0x3333,
				   0x4444, 0x5555, 0x6666};

		run(1, "getpid", site_getpid_avx, site_getpid_avx512, a,
		    ok_pid);
		run(2, "getpid-reg", site_getpid_reg_avx,
		    site_getpid_reg_avx512, a, ok_pid);
	}
	{
		const long a[6] = {AT_FDCWD, (long)"/nonexistent-e2e/x",
				   O_RDONLY, 0,
				   0x77,     0x88};

		run(3, "openat-missing", site_openat_avx, site_openat_avx512, a,
		    ok_enoent);
	}
	{
		const long a[6] = {null_fd, (long)"0123456789abcdef", 16, 9, 8,
				   7};

		run(4, "write-devnull", site_write_avx, site_write_avx512, a,
		    ok_16);
	}
	{
		const long a[6] = {(long)&uts, 1, 2, 3, 4, 5};

		run(5, "uname", site_uname_avx, site_uname_avx512, a, ok_zero);
	}
	{
		const long a[6] = {maps_fd, (long)buf, sizeof(buf), 0, 6, 5};

		run(6, "pread-proc-maps", site_pread_avx, site_pread_avx512, a,
		    ok_positive);
	}
	run_mmap();
	{
		const long a[6] = {AT_FDCWD, (long)"/", (long)&st, 0, 1, 2};

		run(9, "newfstatat", site_newfstatat_avx,
		    site_newfstatat_avx512, a, ok_zero);
	}
	{
		const long a[6] = {CLOCK_MONOTONIC, (long)&ts, 3, 4, 5, 6};

		run(10, "clock_gettime", site_clock_gettime_avx,
		    site_clock_gettime_avx512, a, ok_zero);
	}
	check_flags();
	close(null_fd);
	close(maps_fd);
	return e2e_done();
}
