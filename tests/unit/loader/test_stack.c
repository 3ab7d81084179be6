/* test_stack.c - the initial stack: argc, argv, envp, auxv, strings */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "loader/stack.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif
#ifndef AT_RSEQ_FEATURE_SIZE
#define AT_RSEQ_FEATURE_SIZE 27
#define AT_RSEQ_ALIGN 28
#endif

#define TOP 0x7ffffffff000ull
#define IMG 0x10000
#define GUARD 256
#define FILL 0x5a
#define MAX_STR_IMG (3 * STACK_MAX_STRLEN)

/*
 * The image, with GUARD bytes on both sides to catch stray writes. Its
 * end is 16-byte aligned unless @misalign is given, as a real stack top.
 */
static uint8_t *mem;
static size_t memsize;
static uint8_t *img;
static size_t imgsize;
static struct stack_out out;

static const uint8_t rnd16[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
				  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
				  0xcc, 0xdd, 0xee, 0xff};

static const struct auxv_in av = {
	.sysinfo_ehdr = 0x7fff00001000,
	.minsigstksz = 3632,
	.hwcap = 0x178bfbff,
	.hwcap2 = 0x2,
	.phdr = 0x400040,
	.phent = 56,
	.phnum = 13,
	.base = 0x7f0000000000,
	.entry = 0x401020,
	.uid = 1000,
	.euid = 1001,
	.gid = 1002,
	.egid = 1003,
	.secure = 0,
	.rseq_feature_size = 28,
	.rseq_align = 32,
};

static void alloc_img_at(size_t n, size_t misalign)
{
	size_t lead = GUARD + (16 - n % 16) % 16 + misalign;

	free(mem);
	memsize = lead + n + GUARD;
	mem = aligned_alloc(16, (memsize + 15) & ~(size_t)15);
	cr_assert_not_null(mem);
	memset(mem, FILL, memsize);
	img = mem + lead;
	imgsize = n;
	cr_assert_eq((uintptr_t)(img + imgsize) % 16, misalign);
}

static void alloc_img(size_t n)
{
	alloc_img_at(n, 0);
}

static void setup(void)
{
	alloc_img(IMG);
	memset(&out, 0, sizeof(out));
}

static void check_guards(void)
{
	for (uint8_t *p = mem; p < img; p++)
		cr_assert_eq(*p, FILL, "written %zu bytes below the image",
			     (size_t)(img - p));
	for (size_t i = 0; i < GUARD; i++)
		cr_assert_eq(img[imgsize + i], FILL,
			     "written %zu bytes above the image", i + 1);
}

static void teardown(void)
{
	if (mem)
		check_guards();
	free(mem);
	mem = NULL;
}

TestSuite(stack, .init = setup, .fini = teardown);

/* the byte at address @a */
static uint8_t *at(uint64_t a)
{
	cr_assert_leq(a, TOP, "address %#lx above the top", (unsigned long)a);
	cr_assert_leq(TOP - a, imgsize, "address %#lx below the image",
		      (unsigned long)a);
	return &img[imgsize - (TOP - a)];
}

static uint64_t word(uint64_t a)
{
	uint64_t w;

	memcpy(&w, at(a), sizeof(w));
	return w;
}

static const char *str(uint64_t a)
{
	return (const char *)at(a);
}

static int build(char *const argv[], char *const envp[], const char *execfn,
		 uint64_t pad)
{
	return stack_build(TOP, pad, argv, envp, execfn, rnd16, &av, img,
			   imgsize, &out);
}

/* the full layout check for any successful build */
static void check_layout(char *const argv[], char *const envp[],
			 const char *execfn, uint64_t pad)
{
	size_t argc = 0, envc = 0, i;
	uint64_t a, s, execfn_at, random_at = 0, platform_at = 0;
	static const uint64_t types[] = {
		AT_SYSINFO_EHDR, AT_MINSIGSTKSZ, AT_HWCAP,
		AT_PAGESZ,	 AT_CLKTCK,	 AT_PHDR,
		AT_PHENT,	 AT_PHNUM,	 AT_BASE,
		AT_FLAGS,	 AT_ENTRY,	 AT_UID,
		AT_EUID,	 AT_GID,	 AT_EGID,
		AT_SECURE,	 AT_RANDOM,	 AT_HWCAP2,
		AT_EXECFN,	 AT_PLATFORM,	 AT_RSEQ_FEATURE_SIZE,
		AT_RSEQ_ALIGN,	 AT_NULL,
	};
	const uint64_t values[] = {
		av.sysinfo_ehdr,
		av.minsigstksz,
		av.hwcap,
		4096,
		100,
		av.phdr,
		av.phent,
		av.phnum,
		av.base,
		0,
		av.entry,
		av.uid,
		av.euid,
		av.gid,
		av.egid,
		av.secure,
		0,
		av.hwcap2,
		0,
		0,
		av.rseq_feature_size,
		av.rseq_align,
		0,
	};
	const size_t ntypes = sizeof(types) / sizeof(types[0]);

	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;

	check_guards();
	cr_assert_eq(out.sp % 16, 0, "sp %#lx is not 16-byte aligned",
		     (unsigned long)out.sp);
	cr_assert_lt(out.sp, TOP);
	cr_assert_leq(TOP - out.sp, imgsize);

	/* the top word is zero, the file name right below it */
	cr_assert_eq(word(TOP - 8), 0, "top 8 bytes not zero");
	execfn_at = TOP - 8 - (strlen(execfn) + 1);
	cr_assert_str_eq(str(execfn_at), execfn);
	cr_assert_eq(out.env_end, execfn_at);

	/* argc, argv[], NULL */
	a = out.sp;
	cr_assert_eq(word(a), argc, "argc");
	a += 8;
	s = out.arg_start;
	for (i = 0; i < argc; i++, a += 8) {
		cr_assert_eq(word(a), s, "argv[%zu] at %#lx, want %#lx", i,
			     (unsigned long)word(a), (unsigned long)s);
		cr_assert_str_eq(str(word(a)), argv[i], "argv[%zu]", i);
		s += strlen(argv[i]) + 1;
	}
	cr_assert_eq(s, out.arg_end, "argv strings end at arg_end");
	cr_assert_eq(word(a), 0, "argv NULL");
	a += 8;

	/* envp[], NULL */
	cr_assert_eq(out.env_start, out.arg_end);
	s = out.env_start;
	for (i = 0; i < envc; i++, a += 8) {
		cr_assert_eq(word(a), s, "envp[%zu]", i);
		cr_assert_str_eq(str(word(a)), envp[i], "envp[%zu]", i);
		s += strlen(envp[i]) + 1;
	}
	cr_assert_eq(s, out.env_end, "env strings end at env_end");
	cr_assert_eq(word(a), 0, "envp NULL");
	a += 8;

	/* auxv, in Linux's order, as reported in out->auxv */
	cr_assert_eq(out.auxv_words, 2 * ntypes);
	for (i = 0; i < ntypes; i++, a += 16) {
		uint64_t t = word(a), v = word(a + 8);

		cr_assert_eq(t, types[i], "auxv[%zu] type %lu, want %lu", i,
			     (unsigned long)t, (unsigned long)types[i]);
		cr_assert_eq(out.auxv[2 * i], t);
		cr_assert_eq(out.auxv[2 * i + 1], v);
		switch (t) {
		case AT_RANDOM:
			random_at = v;
			break;
		case AT_EXECFN:
			cr_assert_eq(v, execfn_at, "AT_EXECFN");
			break;
		case AT_PLATFORM:
			platform_at = v;
			break;
		default:
			cr_assert_eq(v, values[i], "auxv[%zu] (type %lu)", i,
				     (unsigned long)t);
		}
	}

	/* below the strings: pad, 16-byte alignment, platform, random */
	cr_assert_eq(platform_at, ((out.arg_start - pad) & ~15ull) - 7,
		     "AT_PLATFORM at %#lx", (unsigned long)platform_at);
	cr_assert_str_eq(str(platform_at), "x86_64");
	cr_assert_eq(random_at, platform_at - 16);
	cr_assert_eq(memcmp(at(random_at), rnd16, 16), 0, "AT_RANDOM bytes");
	cr_assert_leq(a, random_at, "auxv runs into the random bytes");
	cr_assert_gt(a + 16, random_at, "more than alignment slack below");
}

static char *const ARGV[] = {"prog", "-x", "", "last arg", NULL};
static char *const ENVP[] = {"A=1", "HOME=/root", "", NULL};
static char *const NONE[] = {NULL};

Test(stack, layout)
{
	cr_assert_eq(build(ARGV, ENVP, "/usr/bin/prog", 0), 0);
	check_layout(ARGV, ENVP, "/usr/bin/prog", 0);
}

Test(stack, layout_with_pad)
{
	for (uint64_t pad = 0; pad < 48; pad++) {
		setup();
		cr_assert_eq(build(ARGV, ENVP, "/p", pad), 0, "pad %lu",
			     (unsigned long)pad);
		check_layout(ARGV, ENVP, "/p", pad);
	}
}

Test(stack, string_lengths_move_alignment)
{
	/* argv[0] of every length mod 16: sp stays 16-byte aligned */
	char name[40];

	for (size_t n = 0; n < 32; n++) {
		char *const argv[] = {name, NULL};

		memset(name, 'n', n);
		name[n] = '\0';
		setup();
		cr_assert_eq(build(argv, ENVP, "x", 0), 0);
		check_layout(argv, ENVP, "x", 0);
	}
}

Test(stack, no_args_no_env)
{
	cr_assert_eq(build(NONE, NONE, "", 0), 0);
	check_layout(NONE, NONE, "", 0);
	cr_assert_eq(word(out.sp), 0);
	cr_assert_eq(out.arg_start, out.arg_end);
	cr_assert_eq(out.env_start, out.env_end);
}

Test(stack, exact_size_needed)
{
	uint64_t need;

	cr_assert_eq(build(ARGV, ENVP, "/usr/bin/prog", 8), 0);
	need = TOP - out.sp;
	/* the layout does not depend on the size: it fits or not */
	for (size_t n = 0; n < need + 32; n++) {
		int r;

		alloc_img(n);
		r = build(ARGV, ENVP, "/usr/bin/prog", 8);
		check_guards();
		if (n < need) {
			cr_assert_eq(r, -E2BIG, "size %zu of %lu: %d", n,
				     (unsigned long)need, r);
		} else {
			cr_assert_eq(r, 0, "size %zu of %lu", n,
				     (unsigned long)need);
			cr_assert_eq(TOP - out.sp, need);
			check_layout(ARGV, ENVP, "/usr/bin/prog", 8);
		}
	}
}

/* stack.h does not ask for an aligned image: any byte buffer must do */
Test(stack, image_end_not_aligned)
{
	alloc_img_at(IMG, 1);
	cr_assert_eq(build(ARGV, ENVP, "/usr/bin/prog", 0), 0);
	check_layout(ARGV, ENVP, "/usr/bin/prog", 0);
}

Test(stack, huge_pad)
{
	cr_assert_eq(build(ARGV, ENVP, "/p", IMG), -E2BIG);
	cr_assert_eq(build(ARGV, ENVP, "/p", UINT64_MAX / 2), -E2BIG);
	check_guards();
}

/* a string of @len characters (freed by the caller) */
static char *long_string(size_t len)
{
	char *s = malloc(len + 1);

	cr_assert_not_null(s);
	memset(s, 'L', len);
	s[len] = '\0';
	return s;
}

Test(stack, longest_strings_accepted)
{
	char *s = long_string(STACK_MAX_STRLEN - 1);
	char *const argv[] = {s, NULL};
	char *const envp[] = {s, NULL};

	alloc_img(MAX_STR_IMG + 4096);
	cr_assert_eq(build(argv, envp, s, 0), 0);
	check_layout(argv, envp, s, 0);
	free(s);
}

Test(stack, too_long_arg)
{
	char *s = long_string(STACK_MAX_STRLEN);
	char *const argv[] = {"a", s, NULL};

	alloc_img(MAX_STR_IMG + 4096);
	cr_assert_eq(build(argv, NONE, "/p", 0), -E2BIG);
	check_guards();
	free(s);
}

Test(stack, too_long_env)
{
	char *s = long_string(STACK_MAX_STRLEN);
	char *const envp[] = {"A=1", s, NULL};

	alloc_img(MAX_STR_IMG + 4096);
	cr_assert_eq(build(ARGV, envp, "/p", 0), -E2BIG);
	check_guards();
	free(s);
}

Test(stack, too_long_execfn)
{
	char *s = long_string(STACK_MAX_STRLEN);

	alloc_img(MAX_STR_IMG + 4096);
	cr_assert_eq(build(ARGV, ENVP, s, 0), -E2BIG);
	check_guards();
	free(s);
}

Test(stack, many_args)
{
	enum { N = 5000 };
	char **argv = calloc(N + 1, sizeof(char *));

	cr_assert_not_null(argv);
	for (int i = 0; i < N; i++)
		argv[i] = i % 2 ? "odd" : "even-argument";
	alloc_img(N * (8 + 14) + 4096);
	cr_assert_eq(build(argv, ENVP, "/p", 0), 0);
	check_layout(argv, ENVP, "/p", 0);
	alloc_img(N * (8 + 14) / 2);
	cr_assert_eq(build(argv, ENVP, "/p", 0), -E2BIG);
	free(argv);
}
