/* xstate.c - the guest's extended (x87/SSE/AVX/AVX-512) register state */
#include <cpuid.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "sched/sched.h"

/*
 * We save exactly the components our own code (glibc's string functions,
 * mostly) may clobber: x87, SSE, AVX, AVX-512 opmask/ZMM_Hi256/Hi16_ZMM
 * (mask 0xe7; the CPU intersects it with XCR0). PKRU and AMX tiles are never
 * touched by our code, so they stay live in the registers.
 */
#define XSTATE_MASK 0xe7ull

static size_t xsave_size;
static size_t std_size; /* standard (non-compacted) format, same features */
static uint64_t saved_mask;

int xstate_init(void)
{
	unsigned a, b, c, d;
	uint64_t xcr0, rfbm;
	size_t size = 576; /* legacy area + header */

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return -ENOTSUP;
	__cpuid_count(0xd, 1, a, b, c, d);
	if (!(a & (1u << 1))) /* XSAVEC */
		return -ENOTSUP;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	xcr0 = ((uint64_t)d << 32) | a;
	rfbm = xcr0 & XSTATE_MASK;
	/* compacted format: components in order, some 64-byte aligned */
	/* only the components we save: cpuid is a VM exit, ~1 us each */
	std_size = 576;
	for (unsigned i = 2; i < 8; i++) {
		if (!(rfbm & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		if (c & 2)
			size = (size + 63) & ~(size_t)63;
		size += a;
		if (b + a > std_size)
			std_size = b + a; /* ebx: the standard offset */
	}
	saved_mask = rfbm;
	xsave_size = (size + 63) & ~(size_t)63;
	return 0;
}

size_t xstate_size(void)
{
	return xsave_size;
}

size_t xstate_std_size(void)
{
	return std_size;
}

uint64_t xstate_mask(void)
{
	return saved_mask;
}

void xstate_init_area(void *area)
{
	uint8_t *p = area;

	memset(p, 0, xsave_size);
	/* legacy area: x87 control word 0x37f, MXCSR 0x1f80 (Linux defaults) */
	p[0] = 0x7f;
	p[1] = 0x03;
	p[24] = 0x80;
	p[25] = 0x1f;
	/* header: XSTATE_BV = 0 (all in init state), XCOMP_BV = compacted */
	uint64_t xcomp = (1ull << 63) | XSTATE_MASK;
	uint64_t xcr0;
	unsigned lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	xcr0 = ((uint64_t)hi << 32) | lo;
	xcomp &= (1ull << 63) | xcr0;
	memcpy(p + 512 + 8, &xcomp, 8);
}
