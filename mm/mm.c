/* mm.c - creating and destroying address spaces */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "base/kmalloc.h"
#include "base/host.h"
#include "base/log.h"
#include "mm/mm.h"

static struct spinlock slots_lock = SPINLOCK_INIT;
static uint64_t slots_used; /* bit i: region i is taken */

/* instance-owned areas every process sees (vDSO, syscall stubs) */
static struct vma pinned[16];
/* for each pinned area: how to give it up for a guest image, or NULL */
static void (*pinned_release[16])(void);
static int nr_pinned;
static bool pinned_scanned;

int mm_add_pinned_release(uint64_t start, uint64_t end, uint32_t prot,
			  const char *name, void (*release)(void))
{
	if (nr_pinned == (int)(sizeof(pinned) / sizeof(*pinned)))
		return -ENOMEM;
	pinned_release[nr_pinned] = release;
	pinned[nr_pinned++] = (struct vma){
		.start = start,
		.end = end,
		.prot = prot,
		.flags = VMA_PINNED | VMA_ANON,
		.name = name,
	};
	return 0;
}

int mm_add_pinned(uint64_t start, uint64_t end, uint32_t prot, const char *name)
{
	return mm_add_pinned_release(start, end, prot, name, NULL);
}

int mm_release_pinned(struct mm *mm, uint64_t start, uint64_t end)
{
	int i = 0;

	while (i < nr_pinned) {
		struct vma v = pinned[i];
		void (*release)(void) = pinned_release[i];

		if (v.start >= end || v.end <= start) {
			i++;
			continue;
		}
		if (!release)
			return -ENOMEM;
		/* forget it first: release() may add areas of its own */
		memmove(&pinned[i], &pinned[i + 1],
			(size_t)(nr_pinned - i - 1) * sizeof(*pinned));
		memmove(&pinned_release[i], &pinned_release[i + 1],
			(size_t)(nr_pinned - i - 1) * sizeof(*pinned_release));
		nr_pinned--;
		spin_lock(&mm->lock);
		vma_remove(&mm->vs, v.start, v.end);
		spin_unlock(&mm->lock);
		release();
	}
	return 0;
}

void mm_pin_into(struct mm *mm)
{
	spin_lock(&mm->lock);
	for (int i = 0; i < nr_pinned; i++) {
		if (!vma_overlaps(&mm->vs, pinned[i].start, pinned[i].end))
			vma_insert(&mm->vs, &pinned[i]);
	}
	spin_unlock(&mm->lock);
}

/* find the host's [vdso] and [vvar*] mappings in our own maps */
static void scan_vdso(void)
{
	char line[512];
	FILE *f;

	pinned_scanned = true;
	f = fopen("/proc/self/maps", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		uint32_t flag = 0;

		if (strstr(line, "[vdso]"))
			flag = VMA_VDSO;
		else if (strstr(line, "[vvar"))
			flag = VMA_VVAR;
		if (!flag || sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		if (nr_pinned < (int)(sizeof(pinned) / sizeof(*pinned)))
			pinned[nr_pinned++] = (struct vma){
				.start = s,
				.end = e,
				.prot = flag == VMA_VDSO ? PROT_READ | PROT_EXEC
							 : PROT_READ,
				.flags = VMA_PINNED | flag,
			};
	}
	fclose(f);
}

int mm_create(struct mm *mm)
{
	int slot = -1;
	long r;

	memset(mm, 0, sizeof(*mm));
	spin_init(&mm->lock);
	vma_set_init(&mm->vs);
	if (!pinned_scanned)
		scan_vdso();

	spin_lock(&slots_lock);
	for (int i = 0; i < MM_MAX_REGIONS; i++) {
		uint64_t base = MM_REGION_BASE + (uint64_t)i * MM_REGION_SIZE;

		if (slots_used & (1ull << i))
			continue;
		r = host_mmap((void *)base, MM_REGION_SIZE, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
				      MAP_FIXED_NOREPLACE,
			      -1, 0);
		if (r >= 0 && (uint64_t)r == base) {
			slot = i;
			slots_used |= 1ull << i;
			break;
		}
		if (r >= 0)
			host_munmap((void *)r, MM_REGION_SIZE);
	}
	spin_unlock(&slots_lock);
	if (slot < 0)
		return -ENOMEM;

	mm->slot = slot;
	mm->region_start = MM_REGION_BASE + (uint64_t)slot * MM_REGION_SIZE;
	mm->region_end = mm->region_start + MM_REGION_SIZE;
	/* top-down mmaps start below room for the stack, like Linux */
	mm->mmap_base =
		mm->region_end - (1ull << 30) - mm_random_offset(1ull << 28);
	for (int i = 0; i < nr_pinned; i++) {
		r = vma_insert(&mm->vs, &pinned[i]);
		if (r < 0)
			goto undo;
	}
	return 0;
undo:
	mm_destroy(mm);
	return (int)r;
}

void mm_destroy(struct mm *mm)
{
	uint64_t before = vma_total(&mm->vs);

	for (size_t i = 0; i < mm->vs.n; i++) {
		const struct vma *v = &mm->vs.v[i];

		if ((v->flags & VMA_PINNED) && !(v->flags & VMA_STUB))
			continue;
		if (v->end <= mm->region_start || v->start >= mm->region_end)
			host_munmap((void *)v->start, v->end - v->start);
	}
	if (mm->region_end) {
		host_munmap((void *)mm->region_start, MM_REGION_SIZE);
		spin_lock(&slots_lock);
		slots_used &= ~(1ull << mm->slot);
		spin_unlock(&slots_lock);
	}
	(void)before;
	while (mm->near_stubs) {
		struct near_area *a = mm->near_stubs;

		mm->near_stubs = a->next;
		kfree(a);
	}
	vma_set_destroy(&mm->vs);
	mm->region_start = mm->region_end = 0;
}
