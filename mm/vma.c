/* vma.c - sorted array of virtual memory areas */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/kmalloc.h"
#include "mm/vma.h"

struct vma_file *vma_file_new(const char *path, uint64_t dev, uint64_t ino)
{
	size_t len = strlen(path);
	struct vma_file *f = kmalloc(sizeof(*f) + len + 1);

	if (!f)
		return NULL;
	f->refs = 1;
	f->dev = dev;
	f->ino = ino;
	memcpy(f->path, path, len + 1);
	return f;
}

struct vma_file *vma_file_get(struct vma_file *f)
{
	if (f)
		__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void vma_file_put(struct vma_file *f)
{
	if (f && __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) == 0)
		kfree(f);
}

void vma_set_init(struct vma_set *s)
{
	s->v = NULL;
	s->n = s->cap = 0;
	s->seq = 0;
	s->hint_next = 0;
	memset(s->hint, 0, sizeof(s->hint));
}

/* a seqcount write section: readers see an odd count and retry */
static void hints_write_begin(struct vma_set *s)
{
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void hints_write_end(struct vma_set *s)
{
	__atomic_store_n(&s->seq, s->seq + 1, __ATOMIC_RELEASE);
}

void vma_hint_add(struct vma_set *s, uint64_t start, uint64_t end,
		  uint32_t prot)
{
	struct vma_hint *h = &s->hint[s->hint_next++ % VMA_HINTS];

	hints_write_begin(s);
	__atomic_store_n(&h->start, start, __ATOMIC_RELAXED);
	__atomic_store_n(&h->end, end, __ATOMIC_RELAXED);
	__atomic_store_n(&h->prot, prot, __ATOMIC_RELAXED);
	hints_write_end(s);
}

void vma_hints_clear(struct vma_set *s)
{
	hints_write_begin(s);
	for (int i = 0; i < VMA_HINTS; i++) {
		__atomic_store_n(&s->hint[i].start, 0, __ATOMIC_RELAXED);
		__atomic_store_n(&s->hint[i].end, 0, __ATOMIC_RELAXED);
	}
	hints_write_end(s);
}

void vma_set_destroy(struct vma_set *s)
{
	vma_hints_clear(s);
	for (size_t i = 0; i < s->n; i++)
		vma_file_put(s->v[i].file);
	kfree(s->v);
	vma_set_init(s);
}

size_t vma_first_after(const struct vma_set *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

struct vma *vma_lookup(struct vma_set *s, uint64_t addr)
{
	size_t i = vma_first_after(s, addr);

	if (i < s->n && s->v[i].start <= addr)
		return &s->v[i];
	return NULL;
}

bool vma_overlaps(const struct vma_set *s, uint64_t start, uint64_t end)
{
	size_t i = vma_first_after(s, start);

	return start < end && i < s->n && s->v[i].start < end;
}

bool vma_covered(const struct vma_set *s, uint64_t start, uint64_t end)
{
	size_t i = vma_first_after(s, start);
	uint64_t at = start;

	for (; i < s->n && at < end; i++) {
		if (s->v[i].start > at)
			return false;
		at = s->v[i].end;
	}
	return at >= end;
}

bool vma_any_flag(const struct vma_set *s, uint64_t start, uint64_t end,
		  uint32_t flags)
{
	for (size_t i = vma_first_after(s, start);
	     i < s->n && s->v[i].start < end; i++) {
		if (s->v[i].flags & flags)
			return true;
	}
	return false;
}

static int reserve(struct vma_set *s, size_t extra)
{
	size_t cap;
	struct vma *v;

	if (s->n + extra <= s->cap)
		return 0;
	cap = s->cap ? s->cap * 2 : 64;
	while (cap < s->n + extra)
		cap *= 2;
	v = krealloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

static bool mergeable(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    a->file != b->file || a->name != b->name)
		return false;
	if (a->flags & (VMA_VDSO | VMA_VVAR | VMA_STACK))
		return false;
	/* two shared anonymous mappings are two distinct objects */
	if ((a->flags & VMA_SHARED) && !a->file)
		return false;
	return !a->file || a->off + (a->end - a->start) == b->off;
}

/* merge s->v[i] with s->v[i + 1] if possible */
static void try_merge(struct vma_set *s, size_t i)
{
	if (i + 1 >= s->n || !mergeable(&s->v[i], &s->v[i + 1]))
		return;
	s->v[i].end = s->v[i + 1].end;
	vma_file_put(s->v[i + 1].file);
	memmove(&s->v[i + 1], &s->v[i + 2],
		(s->n - i - 2) * sizeof(struct vma));
	s->n--;
}

int vma_insert(struct vma_set *s, const struct vma *v)
{
	size_t i;

	if (reserve(s, 1))
		return -ENOMEM;
	i = vma_first_after(s, v->start);
	if (i < s->n)
		memmove(&s->v[i + 1], &s->v[i],
			(s->n - i) * sizeof(struct vma));
	s->v[i] = *v;
	vma_file_get(v->file);
	s->n++;
	try_merge(s, i);
	if (i > 0)
		try_merge(s, i - 1);
	return 0;
}

/* split the area containing @addr so that one ends and one starts there */
static int split_at(struct vma_set *s, uint64_t addr)
{
	size_t i = vma_first_after(s, addr);
	struct vma *v;

	if (i >= s->n || s->v[i].start >= addr)
		return 0;
	if (reserve(s, 1))
		return -ENOMEM;
	v = &s->v[i];
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(struct vma));
	s->n++;
	v[0].end = addr;
	v[1].start = addr;
	if (v[1].file)
		v[1].off += addr - v[0].start;
	vma_file_get(v[1].file);
	return 0;
}

int vma_remove(struct vma_set *s, uint64_t start, uint64_t end)
{
	size_t i, j;

	if (start >= end || !vma_overlaps(s, start, end))
		return 0;
	vma_hints_clear(s);
	if (split_at(s, start) || split_at(s, end))
		return -ENOMEM;
	i = vma_first_after(s, start);
	j = i;
	while (j < s->n && s->v[j].end <= end)
		vma_file_put(s->v[j++].file);
	memmove(&s->v[i], &s->v[j], (s->n - j) * sizeof(struct vma));
	s->n -= j - i;
	return 0;
}

int vma_set_flags(struct vma_set *s, uint64_t start, uint64_t end, uint32_t set,
		  uint32_t clear)
{
	size_t i, first;

	if (split_at(s, start) || split_at(s, end))
		return -ENOMEM;
	first = vma_first_after(s, start);
	for (i = first; i < s->n && s->v[i].start < end; i++)
		s->v[i].flags = (s->v[i].flags & ~clear) | set;
	/* merge back from the right so indices below stay valid */
	while (i-- > first)
		try_merge(s, i);
	if (first > 0)
		try_merge(s, first - 1);
	return 0;
}

int vma_protect(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot)
{
	size_t i, first;

	vma_hints_clear(s);
	if (split_at(s, start) || split_at(s, end))
		return -ENOMEM;
	first = vma_first_after(s, start);
	for (i = first; i < s->n && s->v[i].start < end; i++)
		s->v[i].prot = prot;
	while (i-- > first)
		try_merge(s, i);
	if (first > 0)
		try_merge(s, first - 1);
	return 0;
}

static uint64_t align_down(uint64_t x, uint64_t a)
{
	return x & ~(a - 1);
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
	return (x + a - 1) & ~(a - 1);
}

uint64_t vma_gap_topdown(const struct vma_set *s, uint64_t len, uint64_t lo,
			 uint64_t hi, uint64_t align)
{
	size_t i = vma_first_after(s, hi);
	uint64_t top = hi;

	if (len == 0 || len > hi - lo)
		return 0;
	/* walk the gaps from @hi downwards */
	for (;;) {
		uint64_t bottom = i > 0 ? s->v[i - 1].end : 0;

		if (i < s->n && s->v[i].start < top)
			top = s->v[i].start;
		if (bottom < lo)
			bottom = lo;
		if (top >= bottom + len) {
			uint64_t start = align_down(top - len, align);

			if (start >= bottom)
				return start;
		}
		if (i == 0)
			return 0;
		i--;
		top = s->v[i].start;
		if (top <= lo)
			return 0;
	}
}

uint64_t vma_gap_bottomup(const struct vma_set *s, uint64_t len, uint64_t lo,
			  uint64_t hi, uint64_t align)
{
	size_t i = vma_first_after(s, lo);
	uint64_t at = align_up(lo, align);

	if (len == 0)
		return 0;
	for (;;) {
		uint64_t limit = i < s->n ? s->v[i].start : hi;

		if (limit > hi)
			limit = hi;
		if (at + len >= at && at + len <= limit)
			return at;
		if (i >= s->n || s->v[i].end >= hi)
			return 0;
		at = align_up(s->v[i].end, align);
		i++;
	}
}

uint64_t vma_total(const struct vma_set *s)
{
	uint64_t t = 0;

	for (size_t i = 0; i < s->n; i++)
		t += s->v[i].end - s->v[i].start;
	return t;
}
