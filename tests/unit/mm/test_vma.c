/* test_vma.c - the pure VMA set: insert/merge, remove/split, gaps */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>

#include "base/kmalloc.h"
#include "mm/vma.h"

#define P(n) ((uint64_t)(n)*PAGE_SIZE)
#define BASE 0x10000000ull /* aligned to 256 MiB: alignments are absolute */
#define A(n) (BASE + P(n))
#define TOP_PAGE 0xfffffffffffff000ull /* the highest page of the space */

static struct vma_set set;
static struct vma_file *fa, *fb;
static size_t kmem_before; /* exact: no kthread, so no kmalloc cache */

static void setup(void)
{
	kmem_before = kmalloc_in_use();
	vma_set_init(&set);
	fa = vma_file_new("/lib/a.so", 8, 100);
	fb = vma_file_new("/lib/b.so", 8, 200);
	cr_assert_not_null(fa);
	cr_assert_not_null(fb);
}

/* every reference the set took must be gone with it */
static void teardown(void)
{
	vma_set_destroy(&set);
	cr_expect_eq(set.n, 0);
	cr_expect_null(set.v);
	cr_expect_eq(fa->refs, 1, "file a leaks %d references", fa->refs - 1);
	cr_expect_eq(fb->refs, 1, "file b leaks %d references", fb->refs - 1);
	vma_file_put(fa);
	vma_file_put(fb);
	cr_expect_eq(kmalloc_in_use(), kmem_before,
		     "%zu bytes of kernel memory leaked",
		     kmalloc_in_use() - kmem_before);
}

TestSuite(vma, .init = setup, .fini = teardown);

static struct vma mk(uint64_t start, uint64_t end, uint32_t prot,
		     uint32_t flags, struct vma_file *f, uint64_t off)
{
	struct vma v = {
		.start = start,
		.end = end,
		.prot = prot,
		.flags = flags,
		.off = off,
		.file = f,
	};

	return v;
}

static struct vma anon(uint64_t start, uint64_t end, uint32_t prot)
{
	return mk(start, end, prot, VMA_ANON, NULL, 0);
}

static void ins(const struct vma *v)
{
	cr_assert_eq(vma_insert(&set, v), 0);
}

static void ins_anon(uint64_t start, uint64_t end, uint32_t prot)
{
	struct vma v = anon(start, end, prot);

	ins(&v);
}

/* would Linux merge these two neighbours? (vma.h: equal and contiguous) */
static bool should_merge(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    a->file != b->file || a->name != b->name)
		return false;
	if (a->flags & (VMA_VDSO | VMA_VVAR | VMA_STACK))
		return false;
	if ((a->flags & VMA_SHARED) && !a->file)
		return false;
	return !a->file || a->off + (a->end - a->start) == b->off;
}

/* sorted, page aligned, non-empty, disjoint and fully merged */
static void check_set(const struct vma_set *s)
{
	cr_assert_leq(s->n, s->cap);
	for (size_t i = 0; i < s->n; i++) {
		const struct vma *v = &s->v[i];

		cr_assert(PAGE_ALIGNED(v->start), "area %zu start %#lx", i,
			  (unsigned long)v->start);
		cr_assert(PAGE_ALIGNED(v->end), "area %zu end %#lx", i,
			  (unsigned long)v->end);
		cr_assert_lt(v->start, v->end, "area %zu is empty", i);
		if (i == 0)
			continue;
		cr_assert_leq(s->v[i - 1].end, v->start,
			      "areas %zu and %zu overlap or are unsorted",
			      i - 1, i);
		cr_assert_not(should_merge(&s->v[i - 1], v),
			      "areas %zu [%#lx,%#lx) and %zu [%#lx,%#lx) "
			      "were not merged",
			      i - 1, (unsigned long)s->v[i - 1].start,
			      (unsigned long)s->v[i - 1].end, i,
			      (unsigned long)v->start, (unsigned long)v->end);
	}
}

static void expect_area(size_t i, uint64_t start, uint64_t end, uint32_t prot)
{
	cr_assert_lt(i, set.n, "no area %zu (n = %zu)", i, set.n);
	cr_expect_eq(set.v[i].start, start, "area %zu start %#lx != %#lx", i,
		     (unsigned long)set.v[i].start, (unsigned long)start);
	cr_expect_eq(set.v[i].end, end, "area %zu end %#lx != %#lx", i,
		     (unsigned long)set.v[i].end, (unsigned long)end);
	cr_expect_eq(set.v[i].prot, prot, "area %zu prot %u != %u", i,
		     set.v[i].prot, prot);
}

/* ---- empty set ---- */

Test(vma, empty_set)
{
	cr_assert_eq(vma_first_after(&set, 0), 0);
	cr_assert_eq(vma_first_after(&set, UINT64_MAX), 0);
	cr_assert_null(vma_lookup(&set, 0));
	cr_assert_null(vma_lookup(&set, A(0)));
	cr_assert_not(vma_overlaps(&set, 0, UINT64_MAX));
	cr_assert_not(vma_covered(&set, A(0), A(1)));
	cr_assert(vma_covered(&set, A(0), A(0)), "an empty range is covered");
	cr_assert_not(vma_any_flag(&set, 0, UINT64_MAX, ~0u));
	cr_assert_eq(vma_total(&set), 0);
	cr_assert_eq(vma_gap_topdown(&set, P(1), A(0), A(10), PAGE_SIZE), A(9));
	cr_assert_eq(vma_gap_bottomup(&set, P(1), A(0), A(10), PAGE_SIZE),
		     A(0));
}

/* a fresh set has no array yet (s->v == NULL) */
Test(vma, remove_on_empty_set)
{
	cr_assert_null(set.v);
	cr_assert_eq(vma_remove(&set, A(0), A(10)), 0);
	cr_assert_eq(set.n, 0);
	cr_assert_eq(vma_protect(&set, A(0), A(0), PROT_READ), 0);
	cr_assert_eq(vma_set_flags(&set, A(0), A(0), VMA_LOCKED, 0), 0);
	cr_assert_eq(set.n, 0);
}

/* ---- insert and merge ---- */

Test(vma, insert_single_and_lookup)
{
	struct vma *v;

	ins_anon(A(2), A(5), PROT_READ);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	v = vma_lookup(&set, A(2));
	cr_assert_not_null(v);
	cr_assert_eq(v->start, A(2));
	cr_assert_eq(v->end, A(5));
	cr_assert_eq(vma_lookup(&set, A(5) - 1), v);
	cr_assert_eq(vma_lookup(&set, A(3) + 123), v);
	cr_assert_null(vma_lookup(&set, A(5)), "end is exclusive");
	cr_assert_null(vma_lookup(&set, A(2) - 1));
	cr_assert_null(vma_lookup(&set, 0));
	cr_assert_null(vma_lookup(&set, UINT64_MAX));
	cr_assert_eq(vma_total(&set), P(3));
}

Test(vma, insert_unsorted_order)
{
	ins_anon(A(20), A(21), PROT_READ);
	ins_anon(A(0), A(1), PROT_READ);
	ins_anon(A(10), A(11), PROT_READ);
	ins_anon(A(30), A(31), PROT_READ);
	ins_anon(A(5), A(6), PROT_READ);
	check_set(&set);
	cr_assert_eq(set.n, 5);
	expect_area(0, A(0), A(1), PROT_READ);
	expect_area(1, A(5), A(6), PROT_READ);
	expect_area(2, A(10), A(11), PROT_READ);
	expect_area(3, A(20), A(21), PROT_READ);
	expect_area(4, A(30), A(31), PROT_READ);
}

Test(vma, insert_merges_left)
{
	ins_anon(A(0), A(2), PROT_READ);
	ins_anon(A(2), A(4), PROT_READ);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, A(0), A(4), PROT_READ);
}

Test(vma, insert_merges_right)
{
	ins_anon(A(2), A(4), PROT_READ);
	ins_anon(A(0), A(2), PROT_READ);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, A(0), A(4), PROT_READ);
}

Test(vma, insert_merges_both_sides)
{
	ins_anon(A(0), A(2), PROT_READ | PROT_WRITE);
	ins_anon(A(3), A(5), PROT_READ | PROT_WRITE);
	ins_anon(A(10), A(11), PROT_READ);
	cr_assert_eq(set.n, 3);
	ins_anon(A(2), A(3), PROT_READ | PROT_WRITE);
	check_set(&set);
	cr_assert_eq(set.n, 2);
	expect_area(0, A(0), A(5), PROT_READ | PROT_WRITE);
	expect_area(1, A(10), A(11), PROT_READ);
}

Test(vma, insert_no_merge_across_gap)
{
	ins_anon(A(0), A(2), PROT_READ);
	ins_anon(A(3), A(5), PROT_READ);
	check_set(&set);
	cr_assert_eq(set.n, 2);
}

Test(vma, insert_no_merge_different_prot_or_flags)
{
	struct vma v;

	ins_anon(A(0), A(1), PROT_READ);
	ins_anon(A(1), A(2), PROT_READ | PROT_WRITE);
	v = mk(A(2), A(3), PROT_READ | PROT_WRITE, VMA_ANON | VMA_LOCKED, NULL,
	       0);
	ins(&v);
	check_set(&set);
	cr_assert_eq(set.n, 3);
}

Test(vma, insert_no_merge_different_name)
{
	static const char name_a[] = "a", name_b[] = "b";
	struct vma v = anon(A(0), A(1), PROT_READ);

	v.name = name_a;
	ins(&v);
	v = anon(A(1), A(2), PROT_READ);
	v.name = name_b;
	ins(&v);
	v = anon(A(2), A(3), PROT_READ);
	ins(&v);
	check_set(&set);
	cr_assert_eq(set.n, 3);
	v = anon(A(3), A(4), PROT_READ);
	ins(&v);
	cr_assert_eq(set.n, 3, "unnamed neighbours merge");
	expect_area(2, A(2), A(4), PROT_READ);
}

Test(vma, insert_file_merge_needs_contiguous_offsets)
{
	struct vma v;

	v = mk(A(0), A(2), PROT_READ, 0, fa, 0x3000);
	ins(&v);
	v = mk(A(2), A(3), PROT_READ, 0, fa, 0x5000);
	ins(&v);
	cr_assert_eq(set.n, 1, "contiguous offsets merge");
	cr_assert_eq(set.v[0].off, 0x3000);
	cr_assert_eq(set.v[0].end, A(3));
	cr_assert_eq(fa->refs, 2, "the merged-away area's reference dropped");

	v = mk(A(3), A(4), PROT_READ, 0, fa, 0x9000);
	ins(&v);
	cr_assert_eq(set.n, 2, "a jump in the offset does not merge");

	v = mk(A(4), A(5), PROT_READ, 0, fb, 0xa000);
	ins(&v);
	cr_assert_eq(set.n, 3, "another file does not merge");

	v = mk(A(5), A(6), PROT_READ, VMA_ANON, NULL, 0);
	ins(&v);
	cr_assert_eq(set.n, 4, "anonymous memory does not merge with a file");
	check_set(&set);
	cr_assert_eq(fa->refs, 3);
	cr_assert_eq(fb->refs, 2);
}

Test(vma, insert_shared_file_merges_shared_anon_does_not)
{
	struct vma v;

	v = mk(A(0), A(1), PROT_READ, VMA_SHARED, fa, 0);
	ins(&v);
	v = mk(A(1), A(2), PROT_READ, VMA_SHARED, fa, P(1));
	ins(&v);
	cr_assert_eq(set.n, 1, "shared file mappings merge");

	v = mk(A(4), A(5), PROT_READ, VMA_SHARED | VMA_ANON, NULL, 0);
	ins(&v);
	v = mk(A(5), A(6), PROT_READ, VMA_SHARED | VMA_ANON, NULL, 0);
	ins(&v);
	check_set(&set);
	cr_assert_eq(set.n, 3, "two shared anonymous objects stay apart");
}

Test(vma, insert_special_areas_never_merge)
{
	static const uint32_t special[] = {VMA_VDSO, VMA_VVAR, VMA_STACK};

	for (size_t k = 0; k < 3; k++) {
		uint64_t b = A(10 * k);
		struct vma v = mk(b, b + P(1), PROT_READ, VMA_ANON | special[k],
				  NULL, 0);

		ins(&v);
		v.start = b + P(1);
		v.end = b + P(2);
		ins(&v);
	}
	check_set(&set);
	cr_assert_eq(set.n, 6);
}

Test(vma, highest_page_of_the_address_space)
{
	/* the last page-aligned end there is: 2^64 - 4096 */
	ins_anon(TOP_PAGE - P(2), TOP_PAGE, PROT_READ);
	ins_anon(TOP_PAGE - P(4), TOP_PAGE - P(2), PROT_READ);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	cr_assert_not_null(vma_lookup(&set, TOP_PAGE - 1));
	cr_assert_null(vma_lookup(&set, TOP_PAGE));
	cr_assert_null(vma_lookup(&set, UINT64_MAX));
	cr_assert_eq(vma_first_after(&set, UINT64_MAX), 1);
	cr_assert(vma_covered(&set, TOP_PAGE - P(4), TOP_PAGE));
	cr_assert_not(vma_covered(&set, TOP_PAGE - P(4), UINT64_MAX));
	cr_assert(vma_overlaps(&set, TOP_PAGE - 1, UINT64_MAX));
	cr_assert_not(vma_overlaps(&set, TOP_PAGE, UINT64_MAX));
	cr_assert_eq(vma_total(&set), P(4));
	/* nothing fits above it, everything below */
	cr_assert_eq(vma_gap_bottomup(&set, P(1), TOP_PAGE - P(4), TOP_PAGE,
				      PAGE_SIZE),
		     0);
	cr_assert_eq(vma_gap_topdown(&set, P(1), 0, TOP_PAGE, PAGE_SIZE),
		     TOP_PAGE - P(5));
	cr_assert_eq(vma_protect(&set, TOP_PAGE - P(1), TOP_PAGE, PROT_NONE),
		     0);
	check_set(&set);
	cr_assert_eq(set.n, 2);
	cr_assert_eq(vma_remove(&set, TOP_PAGE - P(3), TOP_PAGE), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, TOP_PAGE - P(4), TOP_PAGE - P(3), PROT_READ);
}

/* ---- remove ---- */

Test(vma, remove_whole_area)
{
	ins_anon(A(0), A(2), PROT_READ);
	ins_anon(A(4), A(6), PROT_READ);
	cr_assert_eq(vma_remove(&set, A(0), A(2)), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, A(4), A(6), PROT_READ);
}

Test(vma, remove_middle_splits_file_area)
{
	struct vma v = mk(A(0), A(10), PROT_READ, 0, fa, 0x10000);

	ins(&v);
	cr_assert_eq(fa->refs, 2);
	cr_assert_eq(vma_remove(&set, A(3), A(5)), 0);
	check_set(&set);
	cr_assert_eq(set.n, 2);
	expect_area(0, A(0), A(3), PROT_READ);
	expect_area(1, A(5), A(10), PROT_READ);
	cr_assert_eq(set.v[0].off, 0x10000);
	cr_assert_eq(set.v[1].off, 0x10000 + P(5));
	cr_assert_eq(set.v[0].file, fa);
	cr_assert_eq(set.v[1].file, fa);
	cr_assert_eq(fa->refs, 3, "each half holds a reference");
	cr_assert_eq(vma_total(&set), P(8));
}

Test(vma, remove_head_and_tail)
{
	struct vma v = mk(A(0), A(10), PROT_READ, 0, fa, 0);

	ins(&v);
	cr_assert_eq(vma_remove(&set, A(0), A(2)), 0);
	cr_assert_eq(vma_remove(&set, A(8), A(10)), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, A(2), A(8), PROT_READ);
	cr_assert_eq(set.v[0].off, P(2));
	cr_assert_eq(fa->refs, 2);
}

Test(vma, remove_across_areas_and_gaps)
{
	ins_anon(A(0), A(2), PROT_READ);
	ins_anon(A(3), A(5), PROT_WRITE);
	ins_anon(A(6), A(8), PROT_READ);
	ins_anon(A(9), A(10), PROT_READ);
	cr_assert_eq(vma_remove(&set, A(1), A(7)), 0);
	check_set(&set);
	cr_assert_eq(set.n, 3);
	expect_area(0, A(0), A(1), PROT_READ);
	expect_area(1, A(7), A(8), PROT_READ);
	expect_area(2, A(9), A(10), PROT_READ);
}

Test(vma, remove_in_gap_is_noop)
{
	ins_anon(A(0), A(2), PROT_READ);
	ins_anon(A(6), A(8), PROT_READ);
	cr_assert_eq(vma_remove(&set, A(2), A(6)), 0);
	check_set(&set);
	cr_assert_eq(set.n, 2);
	cr_assert_eq(vma_total(&set), P(4));
}

Test(vma, remove_everything)
{
	struct vma v = mk(A(3), A(4), PROT_READ, 0, fb, 0);

	ins_anon(A(0), A(2), PROT_READ);
	ins(&v);
	ins_anon(TOP_PAGE - P(1), TOP_PAGE, PROT_READ);
	cr_assert_eq(vma_remove(&set, 0, TOP_PAGE), 0);
	cr_assert_eq(set.n, 0);
	cr_assert_eq(fb->refs, 1);
}

Test(vma, remove_zero_length_changes_nothing)
{
	ins_anon(A(0), A(4), PROT_READ);
	cr_assert_eq(vma_remove(&set, A(2), A(2)), 0);
	cr_expect_eq(set.n, 1,
		     "removing [x, x) inside an area split it in two "
		     "(n = %zu)",
		     set.n);
	check_set(&set);
	expect_area(0, A(0), A(4), PROT_READ);
}

/* ---- protect and flags ---- */

Test(vma, protect_middle_splits_then_merges_back)
{
	struct vma v = mk(A(0), A(10), PROT_READ | PROT_WRITE, 0, fa, 0);

	ins(&v);
	cr_assert_eq(vma_protect(&set, A(3), A(5), PROT_READ), 0);
	check_set(&set);
	cr_assert_eq(set.n, 3);
	expect_area(0, A(0), A(3), PROT_READ | PROT_WRITE);
	expect_area(1, A(3), A(5), PROT_READ);
	expect_area(2, A(5), A(10), PROT_READ | PROT_WRITE);
	cr_assert_eq(set.v[1].off, P(3));
	cr_assert_eq(set.v[2].off, P(5));
	cr_assert_eq(fa->refs, 4);

	cr_assert_eq(vma_protect(&set, A(3), A(5), PROT_READ | PROT_WRITE), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, A(0), A(10), PROT_READ | PROT_WRITE);
	cr_assert_eq(set.v[0].off, 0);
	cr_assert_eq(fa->refs, 2);
}

Test(vma, protect_across_areas_merges_them)
{
	ins_anon(A(0), A(2), PROT_READ);
	ins_anon(A(2), A(4), PROT_READ | PROT_WRITE);
	ins_anon(A(4), A(6), PROT_READ | PROT_EXEC);
	cr_assert_eq(set.n, 3);
	cr_assert_eq(vma_protect(&set, A(0), A(6), PROT_NONE), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, A(0), A(6), PROT_NONE);
}

Test(vma, protect_tail_merges_with_next)
{
	ins_anon(A(0), A(4), PROT_READ);
	ins_anon(A(4), A(8), PROT_READ | PROT_WRITE);
	cr_assert_eq(vma_protect(&set, A(2), A(4), PROT_READ | PROT_WRITE), 0);
	check_set(&set);
	cr_assert_eq(set.n, 2);
	expect_area(0, A(0), A(2), PROT_READ);
	expect_area(1, A(2), A(8), PROT_READ | PROT_WRITE);
}

Test(vma, protect_same_prot_and_zero_length)
{
	ins_anon(A(0), A(4), PROT_READ);
	cr_assert_eq(vma_protect(&set, A(1), A(3), PROT_READ), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	cr_assert_eq(vma_protect(&set, A(2), A(2), PROT_WRITE), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	expect_area(0, A(0), A(4), PROT_READ);
}

Test(vma, set_flags_splits_and_merges)
{
	ins_anon(A(0), A(8), PROT_READ);
	cr_assert_eq(vma_set_flags(&set, A(2), A(4), VMA_LOCKED, 0), 0);
	check_set(&set);
	cr_assert_eq(set.n, 3);
	cr_assert_eq(set.v[0].flags, VMA_ANON);
	cr_assert_eq(set.v[1].flags, VMA_ANON | VMA_LOCKED);
	cr_assert_eq(set.v[2].flags, VMA_ANON);
	cr_assert_eq(vma_set_flags(&set, A(0), A(8), 0, VMA_LOCKED), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	cr_assert_eq(set.v[0].flags, VMA_ANON);
	/* set wins over clear for the same bit */
	cr_assert_eq(vma_set_flags(&set, A(0), A(8), VMA_LOCKED, VMA_LOCKED),
		     0);
	cr_assert_eq(set.v[0].flags, VMA_ANON | VMA_LOCKED);
}

Test(vma, set_flags_stack_stops_merging)
{
	ins_anon(A(0), A(8), PROT_READ);
	cr_assert_eq(vma_set_flags(&set, A(4), A(8), VMA_STACK, 0), 0);
	ins_anon(A(8), A(9), PROT_READ);
	cr_assert_eq(set.n, 3);
	cr_assert_eq(vma_set_flags(&set, A(8), A(9), VMA_STACK, 0), 0);
	check_set(&set);
	cr_assert_eq(set.n, 3, "[stack] areas never merge");
}

/* ---- queries ---- */

Test(vma, first_after_boundaries)
{
	ins_anon(A(2), A(4), PROT_READ);
	ins_anon(A(6), A(8), PROT_WRITE);
	cr_assert_eq(vma_first_after(&set, 0), 0);
	cr_assert_eq(vma_first_after(&set, A(2)), 0);
	cr_assert_eq(vma_first_after(&set, A(4) - 1), 0);
	cr_assert_eq(vma_first_after(&set, A(4)), 1);
	cr_assert_eq(vma_first_after(&set, A(5)), 1);
	cr_assert_eq(vma_first_after(&set, A(8) - 1), 1);
	cr_assert_eq(vma_first_after(&set, A(8)), 2);
	cr_assert_eq(vma_first_after(&set, UINT64_MAX), 2);
}

Test(vma, overlaps_touching_is_not_overlap)
{
	ins_anon(A(2), A(4), PROT_READ);
	cr_assert_not(vma_overlaps(&set, A(0), A(2)));
	cr_assert_not(vma_overlaps(&set, A(4), A(6)));
	cr_assert(vma_overlaps(&set, A(0), A(2) + 1));
	cr_assert(vma_overlaps(&set, A(4) - 1, A(6)));
	cr_assert(vma_overlaps(&set, A(3), A(3) + 1));
	cr_assert(vma_overlaps(&set, 0, UINT64_MAX));
}

Test(vma, overlaps_empty_range)
{
	ins_anon(A(2), A(4), PROT_READ);
	cr_assert_not(vma_overlaps(&set, A(0), A(0)));
	cr_expect_not(vma_overlaps(&set, A(3), A(3)),
		      "an empty range inside an area intersects nothing");
}

Test(vma, covered_needs_every_page)
{
	ins_anon(A(0), A(2), PROT_READ);
	ins_anon(A(2), A(4), PROT_WRITE);
	ins_anon(A(5), A(6), PROT_READ);
	cr_assert_eq(set.n, 3);
	cr_assert(vma_covered(&set, A(0), A(4)), "adjacent areas cover");
	cr_assert(vma_covered(&set, A(1), A(3)));
	cr_assert(vma_covered(&set, A(0) + 1, A(1) - 1));
	cr_assert(vma_covered(&set, A(5), A(6)));
	cr_assert_not(vma_covered(&set, A(0), A(6)), "a hole at page 4");
	cr_assert_not(vma_covered(&set, A(4), A(5)));
	cr_assert_not(vma_covered(&set, A(3), A(5)));
	cr_assert_not(vma_covered(&set, A(5), A(7)));
	cr_assert(vma_covered(&set, A(4), A(4)), "an empty range is covered");
}

Test(vma, any_flag)
{
	struct vma v = mk(A(4), A(6), PROT_READ, VMA_ANON | VMA_HEAP, NULL, 0);

	ins(&v);
	ins_anon(A(0), A(4), PROT_READ);
	cr_assert_not(vma_any_flag(&set, A(0), A(4), VMA_HEAP));
	cr_assert(vma_any_flag(&set, A(0), A(5), VMA_HEAP));
	cr_assert(vma_any_flag(&set, A(5), A(10), VMA_HEAP | VMA_PINNED));
	cr_assert_not(vma_any_flag(&set, A(6), A(10), VMA_HEAP));
	cr_assert_not(vma_any_flag(&set, A(0), A(10), VMA_PINNED));
	cr_assert(vma_any_flag(&set, A(0), A(1), VMA_ANON));
	cr_assert_not(vma_any_flag(&set, A(0), A(10), 0));
}

Test(vma, total_sums_sizes)
{
	ins_anon(A(0), A(3), PROT_READ);
	ins_anon(A(3), A(4), PROT_WRITE);
	ins_anon(A(100), A(200), PROT_READ);
	cr_assert_eq(vma_total(&set), P(104));
}

/* ---- gaps ---- */

/* areas at pages [4, 6) and [10, 12) */
static void two_areas(void)
{
	ins_anon(A(4), A(6), PROT_READ);
	ins_anon(A(10), A(12), PROT_READ);
}

Test(vma, gap_topdown_basic)
{
	two_areas();
	cr_assert_eq(vma_gap_topdown(&set, P(2), A(0), A(16), PAGE_SIZE),
		     A(14));
	cr_assert_eq(vma_gap_topdown(&set, P(4), A(0), A(16), PAGE_SIZE), A(12),
		     "exact fit at the top");
	cr_assert_eq(vma_gap_topdown(&set, P(4), A(0), A(12), PAGE_SIZE), A(6),
		     "exact fit between the areas");
	cr_assert_eq(vma_gap_topdown(&set, P(4), A(0), A(11), PAGE_SIZE), A(6),
		     "hi inside an area");
	cr_assert_eq(vma_gap_topdown(&set, P(4), A(0), A(6), PAGE_SIZE), A(0));
	cr_assert_eq(vma_gap_topdown(&set, P(5), A(0), A(16), PAGE_SIZE), 0,
		     "no gap of 5 pages");
}

Test(vma, gap_topdown_bounds)
{
	two_areas();
	cr_assert_eq(vma_gap_topdown(&set, P(3), A(1), A(5), PAGE_SIZE), A(1));
	cr_assert_eq(vma_gap_topdown(&set, P(4), A(1), A(5), PAGE_SIZE), 0);
	cr_assert_eq(vma_gap_topdown(&set, P(3), A(7), A(10), PAGE_SIZE), A(7));
	cr_assert_eq(vma_gap_topdown(&set, P(4), A(7), A(10), PAGE_SIZE), 0,
		     "lo cuts the gap");
	cr_assert_eq(vma_gap_topdown(&set, P(1), A(4), A(6), PAGE_SIZE), 0,
		     "[lo, hi) entirely mapped");
	cr_assert_eq(vma_gap_topdown(&set, P(1), A(5), A(5), PAGE_SIZE), 0,
		     "lo == hi");
	cr_assert_eq(vma_gap_topdown(&set, P(1), A(8), A(7), PAGE_SIZE), 0,
		     "hi < lo");
	cr_assert_eq(vma_gap_topdown(&set, 0, A(0), A(16), PAGE_SIZE), 0,
		     "zero length");
	cr_assert_eq(vma_gap_topdown(&set, P(17), A(0), A(16), PAGE_SIZE), 0,
		     "longer than [lo, hi)");
}

Test(vma, gap_topdown_alignment)
{
	two_areas();
	cr_assert_eq(vma_gap_topdown(&set, P(1), A(0), A(16), P(8)), A(8));
	cr_assert_eq(vma_gap_topdown(&set, P(2), A(12), A(16), P(4)), A(12));
	cr_assert_eq(vma_gap_topdown(&set, P(2), A(13), A(16), P(4)), 0,
		     "the aligned start would be below lo");
	cr_assert_eq(vma_gap_topdown(&set, P(1), A(0), A(16), P(16)), A(0));
	cr_assert_eq(vma_gap_topdown(&set, P(1), A(1), A(16), P(16)), 0);
}

Test(vma, gap_topdown_largest_values)
{
	cr_assert_eq(vma_gap_topdown(&set, P(1), 0, TOP_PAGE, PAGE_SIZE),
		     TOP_PAGE - P(1));
	cr_assert_eq(vma_gap_topdown(&set, TOP_PAGE - P(1), P(1), TOP_PAGE,
				     PAGE_SIZE),
		     P(1));
	cr_assert_eq(vma_gap_topdown(&set, TOP_PAGE, P(1), TOP_PAGE, PAGE_SIZE),
		     0);
	cr_assert_eq(vma_gap_topdown(&set, UINT64_MAX & ~(PAGE_SIZE - 1), P(1),
				     TOP_PAGE, PAGE_SIZE),
		     0);
	cr_assert_eq(vma_gap_topdown(&set, P(1), P(1), TOP_PAGE, 1ull << 63),
		     1ull << 63);
	ins_anon(P(16), TOP_PAGE - P(16), PROT_READ);
	cr_assert_eq(vma_gap_topdown(&set, P(16), P(1), TOP_PAGE, PAGE_SIZE),
		     TOP_PAGE - P(16));
	cr_assert_eq(
		vma_gap_topdown(&set, P(15), P(1), TOP_PAGE - P(1), PAGE_SIZE),
		TOP_PAGE - P(16));
	cr_assert_eq(
		vma_gap_topdown(&set, P(16), P(1), TOP_PAGE - P(1), PAGE_SIZE),
		0, "15 pages below and 15 above");
}

Test(vma, gap_bottomup_basic)
{
	two_areas();
	cr_assert_eq(vma_gap_bottomup(&set, P(2), A(0), A(16), PAGE_SIZE),
		     A(0));
	cr_assert_eq(vma_gap_bottomup(&set, P(4), A(0), A(16), PAGE_SIZE), A(0),
		     "exact fit below the first area");
	cr_assert_eq(vma_gap_bottomup(&set, P(4), A(1), A(16), PAGE_SIZE),
		     A(6));
	cr_assert_eq(vma_gap_bottomup(&set, P(4), A(5), A(16), PAGE_SIZE), A(6),
		     "lo inside an area");
	cr_assert_eq(vma_gap_bottomup(&set, P(4), A(7), A(16), PAGE_SIZE),
		     A(12));
	cr_assert_eq(vma_gap_bottomup(&set, P(5), A(0), A(16), PAGE_SIZE), 0,
		     "no gap of 5 pages");
}

Test(vma, gap_bottomup_bounds)
{
	two_areas();
	cr_assert_eq(vma_gap_bottomup(&set, P(3), A(13), A(16), PAGE_SIZE),
		     A(13));
	cr_assert_eq(vma_gap_bottomup(&set, P(4), A(13), A(16), PAGE_SIZE), 0,
		     "hi cuts the gap");
	cr_assert_eq(vma_gap_bottomup(&set, P(2), A(0), A(3), PAGE_SIZE), A(0));
	cr_assert_eq(vma_gap_bottomup(&set, P(4), A(0), A(3), PAGE_SIZE), 0);
	cr_assert_eq(vma_gap_bottomup(&set, P(1), A(10), A(12), PAGE_SIZE), 0,
		     "[lo, hi) entirely mapped");
	cr_assert_eq(vma_gap_bottomup(&set, P(1), A(5), A(5), PAGE_SIZE), 0,
		     "lo == hi");
	cr_assert_eq(vma_gap_bottomup(&set, P(1), A(8), A(7), PAGE_SIZE), 0,
		     "hi < lo");
	cr_assert_eq(vma_gap_bottomup(&set, 0, A(0), A(16), PAGE_SIZE), 0,
		     "zero length");
}

Test(vma, gap_bottomup_alignment)
{
	two_areas();
	cr_assert_eq(vma_gap_bottomup(&set, P(1), A(1), A(16), P(8)), A(8));
	cr_assert_eq(vma_gap_bottomup(&set, P(2), A(1), A(16), P(4)), A(8),
		     "exact aligned fit between the areas");
	cr_assert_eq(vma_gap_bottomup(&set, P(3), A(1), A(16), P(4)), A(12));
	cr_assert_eq(vma_gap_bottomup(&set, P(1), A(13), A(16), P(16)), 0);
}

Test(vma, gap_bottomup_largest_values)
{
	cr_assert_eq(vma_gap_bottomup(&set, P(1), TOP_PAGE - P(1), TOP_PAGE,
				      PAGE_SIZE),
		     TOP_PAGE - P(1));
	cr_assert_eq(vma_gap_bottomup(&set, P(2), TOP_PAGE - P(1), TOP_PAGE,
				      PAGE_SIZE),
		     0);
	cr_assert_eq(vma_gap_bottomup(&set, UINT64_MAX & ~(PAGE_SIZE - 1), P(1),
				      TOP_PAGE, PAGE_SIZE),
		     0, "lo + len overflows");
	cr_assert_eq(vma_gap_bottomup(&set, P(1), TOP_PAGE - P(1), UINT64_MAX,
				      P(16)),
		     0, "aligning lo up wraps past 2^64");
	ins_anon(P(16), TOP_PAGE - P(16), PROT_READ);
	cr_assert_eq(vma_gap_bottomup(&set, P(16), P(1), TOP_PAGE, PAGE_SIZE),
		     TOP_PAGE - P(16));
	cr_assert_eq(vma_gap_bottomup(&set, P(15), P(1), TOP_PAGE, PAGE_SIZE),
		     P(1));
	cr_assert_eq(vma_gap_bottomup(&set, P(1), P(1), TOP_PAGE, 1ull << 63),
		     0, "2^63 is inside the area");
}

/* ---- vma_file ---- */

Test(vma, file_refcounting)
{
	struct vma_file *f = vma_file_new("/x/y", 3, 4);
	struct vma v;

	cr_assert_not_null(f);
	cr_assert_eq(f->refs, 1);
	cr_assert_str_eq(f->path, "/x/y");
	cr_assert_eq(f->dev, 3);
	cr_assert_eq(f->ino, 4);
	cr_assert_eq(vma_file_get(f), f);
	cr_assert_eq(f->refs, 2);
	vma_file_put(f);
	cr_assert_eq(f->refs, 1);

	v = mk(A(0), A(4), PROT_READ, 0, f, 0);
	ins(&v);
	cr_assert_eq(f->refs, 2, "insert takes a reference");
	cr_assert_eq(vma_remove(&set, A(1), A(2)), 0);
	cr_assert_eq(f->refs, 3, "a split takes one more");
	cr_assert_eq(vma_remove(&set, A(0), A(1)), 0);
	cr_assert_eq(f->refs, 2, "remove drops one");
	v = mk(A(1), A(2), PROT_READ, 0, f, P(1));
	ins(&v);
	cr_assert_eq(set.n, 1, "the hole refilled: merged");
	cr_assert_eq(f->refs, 2, "a merge drops one");
	vma_set_destroy(&set);
	cr_assert_eq(f->refs, 1, "destroy drops every reference");
	vma_file_put(f);
}

Test(vma, file_null_and_empty_path)
{
	struct vma_file *f = vma_file_new("", 0, 0);

	cr_assert_null(vma_file_get(NULL));
	vma_file_put(NULL);
	cr_assert_not_null(f);
	cr_assert_str_eq(f->path, "");
	vma_file_put(f);
}

Test(vma, many_areas_grow_the_array)
{
	for (unsigned i = 0; i < 1000; i++)
		ins_anon(A(2 * i), A(2 * i + 1), i % 2 ? PROT_READ : PROT_NONE);
	check_set(&set);
	cr_assert_eq(set.n, 1000);
	cr_assert_geq(set.cap, 1000);
	for (unsigned i = 0; i < 1000; i++)
		ins_anon(A(2 * i + 1), A(2 * i + 2), PROT_WRITE);
	check_set(&set);
	cr_assert_eq(set.n, 2000);
	cr_assert_eq(vma_protect(&set, A(0), A(2000), PROT_READ), 0);
	check_set(&set);
	cr_assert_eq(set.n, 1);
	cr_assert_eq(vma_total(&set), P(2000));
}

/* ---- randomized, against a page model ---- */

#define NPAGES 256

/* what one page of the model holds; kind 0: unmapped */
struct mpage {
	uint8_t kind; /* 1 anon, 2 file a, 3 file b, 4 anon heap */
	uint8_t prot;
	uint32_t extra; /* extra flags (VMA_LOCKED) */
	uint64_t off; /* file offset of the page */
};

static struct mpage model[NPAGES];

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed in the failure message */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static struct vma_file *kind_file(uint8_t kind)
{
	return kind == 2 ? fa : kind == 3 ? fb : NULL;
}

static uint32_t kind_flags(uint8_t kind)
{
	switch (kind) {
	case 1:
		return VMA_ANON;
	case 4:
		return VMA_ANON | VMA_HEAP;
	default:
		return 0;
	}
}

/*
 * File offsets usually follow the address, so that neighbouring file
 * areas are contiguous and merge; sometimes they jump, and must not.
 */
static uint64_t kind_off(uint8_t kind, unsigned page)
{
	if (kind != 2 && kind != 3)
		return 0;
	if (rnd_below(4) == 0)
		return P(rnd_below(64) * 1000);
	return kind == 2 ? P(page) + P(7) : P(page) + P(1000);
}

/* does page @b (right after @a) continue the same area? */
static bool same_page(const struct mpage *a, const struct mpage *b)
{
	return a->kind == b->kind && a->prot == b->prot &&
	       a->extra == b->extra &&
	       (!kind_file(a->kind) || b->off == a->off + PAGE_SIZE);
}

/* the set must equal the maximal runs of equal pages in the model */
static void check_against_model(unsigned step)
{
	size_t k = 0;
	uint64_t mapped = 0;
	int refs_a = 1, refs_b = 1;

	check_set(&set);
	for (unsigned p = 0; p < NPAGES;) {
		unsigned q = p + 1;
		const struct vma *v;

		if (!model[p].kind) {
			cr_assert_null(vma_lookup(&set, A(p)),
				       "step %u: page %u should be unmapped",
				       step, p);
			p++;
			continue;
		}
		while (q < NPAGES && same_page(&model[q - 1], &model[q]))
			q++;
		cr_assert_lt(k, set.n, "step %u: missing area for [%u, %u)",
			     step, p, q);
		v = &set.v[k];
		cr_assert_eq(v->start, A(p),
			     "step %u: area %zu starts at page %ld, model %u",
			     step, k, (long)((v->start - BASE) / PAGE_SIZE), p);
		cr_assert_eq(v->end, A(q),
			     "step %u: area %zu ends at page %ld, model %u",
			     step, k, (long)((v->end - BASE) / PAGE_SIZE), q);
		cr_assert_eq(v->prot, model[p].prot, "step %u", step);
		cr_assert_eq(v->flags,
			     kind_flags(model[p].kind) | model[p].extra,
			     "step %u: flags %#x", step, v->flags);
		cr_assert_eq(v->file, kind_file(model[p].kind), "step %u",
			     step);
		if (v->file)
			cr_assert_eq(v->off, model[p].off,
				     "step %u: offset %#lx", step,
				     (unsigned long)v->off);
		refs_a += v->file == fa;
		refs_b += v->file == fb;
		mapped += q - p;
		k++;
		p = q;
	}
	cr_assert_eq(k, set.n, "step %u: %zu areas, model has %zu", step, set.n,
		     k);
	cr_assert_eq(vma_total(&set), P(mapped), "step %u", step);
	cr_assert_eq(fa->refs, refs_a, "step %u: file a refs", step);
	cr_assert_eq(fb->refs, refs_b, "step %u: file b refs", step);

	/* the queries agree with the model on a few random ranges */
	for (int t = 0; t < 8; t++) {
		unsigned lo = rnd_below(NPAGES),
			 hi = lo + 1 + rnd_below(NPAGES - lo);
		bool any = false, all = true, heap = false;

		for (unsigned p = lo; p < hi; p++) {
			any |= model[p].kind != 0;
			all &= model[p].kind != 0;
			heap |= model[p].kind == 4;
		}
		cr_assert_eq(vma_overlaps(&set, A(lo), A(hi)), any,
			     "step %u: overlaps [%u, %u)", step, lo, hi);
		cr_assert_eq(vma_covered(&set, A(lo), A(hi)), all,
			     "step %u: covered [%u, %u)", step, lo, hi);
		cr_assert_eq(vma_any_flag(&set, A(lo), A(hi), VMA_HEAP), heap,
			     "step %u: any_flag [%u, %u)", step, lo, hi);
	}
}

/* a random run [*lo, *hi) of pages that are all mapped or all free */
static bool pick_run(bool mapped, unsigned *lo, unsigned *hi)
{
	unsigned p = rnd_below(NPAGES), q, maxlen = 1 + rnd_below(24);

	if ((model[p].kind != 0) != mapped)
		return false;
	for (q = p + 1;
	     q < NPAGES && q - p < maxlen && (model[q].kind != 0) == mapped;
	     q++)
		;
	*lo = p;
	*hi = q;
	return true;
}

static void op_insert(void)
{
	unsigned lo, hi;
	uint8_t kind = (uint8_t)(1 + rnd_below(4));
	static const uint8_t prots[] = {PROT_READ, PROT_READ | PROT_WRITE,
					PROT_READ | PROT_EXEC};
	uint8_t prot = prots[rnd_below(3)];
	uint64_t off;
	struct vma v;

	if (!pick_run(false, &lo, &hi))
		return;
	off = kind_off(kind, lo);
	v = mk(A(lo), A(hi), prot, kind_flags(kind), kind_file(kind), off);
	ins(&v);
	for (unsigned p = lo; p < hi; p++) {
		model[p].kind = kind;
		model[p].prot = prot;
		model[p].extra = 0;
		model[p].off = kind_file(kind) ? off + P(p - lo) : 0;
	}
}

static void op_remove(void)
{
	unsigned lo = rnd_below(NPAGES), hi = lo + 1 + rnd_below(NPAGES - lo);

	cr_assert_eq(vma_remove(&set, A(lo), A(hi)), 0);
	for (unsigned p = lo; p < hi; p++)
		model[p].kind = 0;
}

static void op_protect(void)
{
	unsigned lo, hi;
	uint8_t prot = (uint8_t)rnd_below(8);

	if (!pick_run(true, &lo, &hi))
		return;
	cr_assert_eq(vma_protect(&set, A(lo), A(hi), prot), 0);
	for (unsigned p = lo; p < hi; p++)
		model[p].prot = prot;
}

static void op_set_flags(void)
{
	unsigned lo, hi;
	bool on = rnd_below(2);

	if (!pick_run(true, &lo, &hi))
		return;
	cr_assert_eq(vma_set_flags(&set, A(lo), A(hi), on ? VMA_LOCKED : 0,
				   on ? 0 : VMA_LOCKED),
		     0);
	for (unsigned p = lo; p < hi; p++)
		model[p].extra = on ? VMA_LOCKED : 0;
}

Test(vma, random_ops_match_page_model)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		rng_state = seed * 0x9e3779b97f4a7c15ull;
		memset(model, 0, sizeof(model));
		vma_set_destroy(&set);
		for (unsigned step = 0; step < 1000; step++) {
			/* step 0 inserts: remove on a NULL array is tested apart */
			unsigned op = step ? rnd_below(10) : 0;

			if (op < 4)
				op_insert();
			else if (op < 6)
				op_remove();
			else if (op < 8)
				op_protect();
			else
				op_set_flags();
			check_against_model((unsigned)(seed * 100000 + step));
		}
	}
}

/* every aligned start in [lo, hi - len] that meets no mapped page */
static bool model_fits(uint64_t start, unsigned len_pages)
{
	unsigned p = (unsigned)((start - BASE) / PAGE_SIZE);

	for (unsigned i = 0; i < len_pages; i++)
		if (model[p + i].kind)
			return false;
	return true;
}

Test(vma, random_gaps_match_brute_force)
{
	rng_state = 0x1234567ull;
	memset(model, 0, sizeof(model));
	for (unsigned step = 0; step < 3000; step++) {
		unsigned lo, hi, len;
		uint64_t align = PAGE_SIZE << rnd_below(5), want_td = 0,
			 want_bu = 0, got;

		if (step && rnd_below(3) == 0)
			op_remove();
		else
			op_insert();
		lo = rnd_below(NPAGES);
		hi = lo + rnd_below(NPAGES - lo + 1);
		len = 1 + rnd_below(12);
		for (uint64_t s = A(lo); s + P(len) <= A(hi); s += PAGE_SIZE) {
			if (s % align || !model_fits(s, len))
				continue;
			if (!want_bu)
				want_bu = s;
			want_td = s;
		}
		got = vma_gap_topdown(&set, P(len), A(lo), A(hi), align);
		cr_assert_eq(got, want_td,
			     "step %u: topdown len %u in [%u, %u) align %lu: "
			     "page %ld, want %ld",
			     step, len, lo, hi, (unsigned long)align,
			     got ? (long)((got - BASE) / PAGE_SIZE) : -1l,
			     want_td ? (long)((want_td - BASE) / PAGE_SIZE)
				     : -1l);
		got = vma_gap_bottomup(&set, P(len), A(lo), A(hi), align);
		cr_assert_eq(got, want_bu,
			     "step %u: bottomup len %u in [%u, %u) align %lu: "
			     "page %ld, want %ld",
			     step, len, lo, hi, (unsigned long)align,
			     got ? (long)((got - BASE) / PAGE_SIZE) : -1l,
			     want_bu ? (long)((want_bu - BASE) / PAGE_SIZE)
				     : -1l);
	}
}
