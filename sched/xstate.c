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
 *
 * The area is in the standard format and saved with XSAVEOPT: a uthread's
 * state is restored from and saved to its own area, so the CPU writes only
 * what the guest changed in between (the "modified optimization"; a
 * thread that blocks on a futex rarely touches its AVX-512 state). Our
 * code writes an area only while the state is saved in it (UT_XSAVED),
 * never between the XRSTOR and the next XSAVEOPT, as that needs.
 */
#define XSTATE_MASK 0xe7ull

static size_t std_size; /* standard format, the components we save */
static uint64_t saved_mask;

int xstate_init(void)
{
	unsigned a, b, c, d;
	uint64_t xcr0, rfbm;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_OSXSAVE))
		return -ENOTSUP;
	__cpuid_count(0xd, 1, a, b, c, d);
	if (!(a & 1)) /* XSAVEOPT */
		return -ENOTSUP;
	__asm__ volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	xcr0 = ((uint64_t)d << 32) | a;
	rfbm = xcr0 & XSTATE_MASK;
	/* only the components we save: cpuid is a VM exit, ~1 us each */
	std_size = 576; /* legacy area + header */
	for (unsigned i = 2; i < 8; i++) {
		if (!(rfbm & (1ull << i)))
			continue;
		__cpuid_count(0xd, i, a, b, c, d);
		if (b + a > std_size)
			std_size = b + a; /* ebx: the component's offset */
	}
	std_size = (std_size + 63) & ~(size_t)63;
	saved_mask = rfbm;
	return 0;
}

size_t xstate_size(void)
{
	return std_size;
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

	/*
	 * The legacy area and the header only: with XSTATE_BV = 0 (all in
	 * their init state; XCOMP_BV = 0, standard) XRSTOR ignores the bytes
	 * of every component, and nothing else reads them.
	 */
	memset(p, 0, 576);
	/* legacy area: x87 control word 0x37f, MXCSR 0x1f80 (Linux defaults) */
	p[0] = 0x7f;
	p[1] = 0x03;
	p[24] = 0x80;
	p[25] = 0x1f;
}
