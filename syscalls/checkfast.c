/* checkfast.c - --check-fast: prove FAST syscalls leave vector state alone */
#include <cpuid.h>
#include <stdint.h>
#include <string.h>

#include "base/kmalloc.h"
#include "base/log.h"
#include "syscalls/syscalls.h"

/*
 * A FAST syscall skips the xsave (DESIGN.md rule 2), so its whole path
 * must leave every vector register as the guest had it. With
 * --check-fast the dispatcher snapshots the registers on entry and
 * compares on exit; a difference is a bug of ours and aborts the instance
 * naming the syscall. The snapshots are plain stores (no register is
 * written), so the check itself changes nothing.
 */
struct vsnap {
	uint8_t v[32 * 64]; /* zmm0-31, or ymm0-15 / xmm0-15 */
	uint64_t k[8];
	uint32_t mxcsr;
	uint16_t fcw;
};

enum { VEC_SSE, VEC_AVX, VEC_AVX512 };
static int level = -1;

static void detect(void)
{
	unsigned a, b, c, d, lo, hi;

	level = VEC_SSE;
	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 6) == 6 && (c & bit_AVX))
		level = VEC_AVX;
	__cpuid_count(7, 0, a, b, c, d);
	if ((lo & 0xe6) == 0xe6 && (b & bit_AVX512F))
		level = VEC_AVX512;
}

#define ST(insn, r, off) insn " %%" r ", " #off "(%0)\n\t"

static void snap(struct vsnap *s)
{
	uint8_t *v = s->v;

	if (level == VEC_AVX512) {
		__asm__ volatile(
			ST("vmovdqu64", "zmm0", 0) ST("vmovdqu64", "zmm1", 64) ST(
				"vmovdqu64", "zmm2",
				128) ST("vmovdqu64", "zmm3",
					192) ST("vmovdqu64", "zmm4",
						256) ST("vmovdqu64", "zmm5",
							320) ST("vmovdqu64",
								"zmm6",
								384) ST("vmovdqu64",
									"zmm7",
									448) ST("vmovdqu64",
										"zmm8",
										512)
				ST("vmovdqu64", "zmm9", 576) ST(
					"vmovdqu64", "zmm10",
					640) ST("vmovdqu64", "zmm11",
						704) ST("vmovdqu64", "zmm12",
							768) ST("vmovdqu64",
								"zmm13",
								832) ST("vmovdqu64",
									"zmm14",
									896) ST("vmovdqu64",
										"zmm15",
										960)
					ST("vmovdqu64", "zmm16", 1024) ST(
						"vmovdqu64", "zmm17",
						1088) ST("vmovdqu64", "zmm18",
							 1152) ST("vmovdqu64",
								  "zmm19",
								  1216) ST("vmovdqu64",
									   "zmm20",
									   1280)
						ST("vmovdqu64", "zmm21", 1344) ST(
							"vmovdqu64", "zmm22",
							1408) ST("vmovdqu64",
								 "zmm23",
								 1472) ST("vmovdqu64",
									  "zmm24",
									  1536)
							ST("vmovdqu64", "zmm25",
							   1600) ST("vmovdqu64",
								    "zmm26",
								    1664) ST("vmovdqu64",
									     "zmm27",
									     1728)
								ST("vmovdqu64",
								   "zmm28",
								   1792) ST("vmovdqu64",
									    "zmm29",
									    1856)
									ST("vmovdqu64",
									   "zmm30",
									   1920)
										ST("vmovdqu64",
										   "zmm31",
										   1984)
			:
			: "r"(v)
			: "memory");
		__asm__ volatile(
			ST("kmovq", "k1", 8) ST("kmovq", "k2", 16)
				ST("kmovq", "k3", 24) ST("kmovq", "k4", 32)
					ST("kmovq", "k5", 40)
						ST("kmovq", "k6", 48)
							ST("kmovq", "k7", 56)
			:
			: "r"(s->k)
			: "memory");
		__asm__ volatile("kmovq %%k0, (%0)" : : "r"(s->k) : "memory");
	} else if (level == VEC_AVX) {
		__asm__ volatile(
			ST("vmovdqu", "ymm0", 0) ST("vmovdqu", "ymm1", 32) ST(
				"vmovdqu", "ymm2", 64) ST("vmovdqu", "ymm3", 96)
				ST("vmovdqu", "ymm4", 128) ST(
					"vmovdqu", "ymm5",
					160) ST("vmovdqu", "ymm6",
						192) ST("vmovdqu", "ymm7", 224)
					ST("vmovdqu", "ymm8", 256) ST(
						"vmovdqu", "ymm9",
						288) ST("vmovdqu", "ymm10", 320)
						ST("vmovdqu", "ymm11", 352) ST(
							"vmovdqu", "ymm12", 384)
							ST("vmovdqu", "ymm13",
							   416) ST("vmovdqu",
								   "ymm14", 448)
								ST("vmovdqu",
								   "ymm15", 480)
			:
			: "r"(v)
			: "memory");
	} else {
		__asm__ volatile(
			ST("movdqu", "xmm0", 0) ST("movdqu", "xmm1", 16) ST(
				"movdqu", "xmm2", 32) ST("movdqu", "xmm3", 48)
				ST("movdqu", "xmm4",
				   64) ST("movdqu", "xmm5",
					  80) ST("movdqu", "xmm6",
						 96) ST("movdqu", "xmm7", 112)
					ST("movdqu", "xmm8", 128) ST(
						"movdqu", "xmm9",
						144) ST("movdqu", "xmm10", 160)
						ST("movdqu", "xmm11", 176) ST(
							"movdqu", "xmm12", 192)
							ST("movdqu", "xmm13",
							   208) ST("movdqu",
								   "xmm14", 224)
								ST("movdqu",
								   "xmm15", 240)
			:
			: "r"(v)
			: "memory");
	}
	__asm__ volatile("stmxcsr %0" : "=m"(s->mxcsr));
	__asm__ volatile("fnstcw %0" : "=m"(s->fcw));
}

/* one snapshot per uthread: a FAST handler may block and switch */
struct vsnap *checkfast_enter(void)
{
	struct vsnap *s;

	if (level < 0)
		detect();
	s = kmalloc(sizeof(*s));
	if (s) {
		memset(s, 0, sizeof(*s));
		snap(s);
	}
	return s;
}

struct vsnap *checkfast_discard(struct vsnap *before)
{
	kfree(before);
	return NULL;
}

void checkfast_exit(struct vsnap *before, const struct sys_entry *e,
		    unsigned long nr)
{
	struct vsnap now;

	if (!before)
		return;
	memset(&now, 0, sizeof(now));
	snap(&now);
	if (memcmp(before, &now, sizeof(now)) != 0)
		log_panic("--check-fast: syscall %s (%lu) changed the guest's "
			  "vector registers",
			  e->name ? e->name : "?", nr);
	kfree(before);
}
