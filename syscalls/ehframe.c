/* ehframe.c - function extents from a loaded object's .eh_frame_hdr */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>

#include "mm/mm.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

/*
 * The rewriter borrows padding between functions for its jumps. Whether
 * bytes after a `ret` are padding cannot be told from their values (01 c3
 * is add %eax,%ebx, and loop-alignment NOPs are executed); the unwind
 * table can: every function compiled with unwind info (all of glibc, all
 * of gcc's and clang's output by default) has an FDE giving its start and
 * length, and .eh_frame_hdr holds them sorted by start. A function that
 * ends exactly after a jmp or ret has nothing of its own after it: NOPs
 * from there to the next 16-byte boundary are padding.
 *
 * Everything is read from guest memory with copy_from_user: a malformed
 * or unmapped table makes the answer "not known", never a fault.
 */

#define DW_EH_PE_omit 0xff
#define DW_EH_PE_absptr 0x00
#define DW_EH_PE_uleb128 0x01
#define DW_EH_PE_udata2 0x02
#define DW_EH_PE_udata4 0x03
#define DW_EH_PE_udata8 0x04
#define DW_EH_PE_sleb128 0x09
#define DW_EH_PE_sdata2 0x0a
#define DW_EH_PE_sdata4 0x0b
#define DW_EH_PE_sdata8 0x0c
#define DW_EH_PE_pcrel 0x10
#define DW_EH_PE_datarel 0x30

#define MAX_PHDRS 64
#define MAX_AUG 16

static bool rd(void *dst, uint64_t src, size_t n)
{
	return copy_from_user(dst, (const void *)src, n) == 0;
}

/*
 * Read a pointer of encoding @enc at *@p (advanced past it). @data is the
 * base of datarel. Indirect and aligned encodings are refused.
 */
static bool read_enc(uint64_t *p, uint8_t enc, uint64_t data, uint64_t *out)
{
	uint64_t at = *p, v = 0;
	size_t n;

	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
	case DW_EH_PE_sdata8:
		n = 8;
		break;
	case DW_EH_PE_udata4:
	case DW_EH_PE_sdata4:
		n = 4;
		break;
	case DW_EH_PE_udata2:
	case DW_EH_PE_sdata2:
		n = 2;
		break;
	default:
		return false; /* leb128 pointers: not in practice */
	}
	if (!rd(&v, at, n))
		return false;
	if ((enc & 0x0f) == DW_EH_PE_sdata4)
		v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
	else if ((enc & 0x0f) == DW_EH_PE_sdata2)
		v = (uint64_t)(int64_t)(int16_t)(uint16_t)v;
	switch (enc & 0x70) {
	case 0:
		break;
	case DW_EH_PE_pcrel:
		v += at;
		break;
	case DW_EH_PE_datarel:
		v += data;
		break;
	default:
		return false;
	}
	if (enc & 0x80)
		return false; /* indirect */
	*p = at + n;
	*out = v;
	return true;
}

static bool read_uleb(uint64_t *p, uint64_t *out)
{
	uint64_t v = 0;

	for (int shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (!rd(&b, (*p)++, 1))
			return false;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/* the 'R' pointer encoding of the CIE at @cie (FDE pointers), or -1 */
static int cie_fde_enc(uint64_t cie)
{
	uint32_t len, id;
	uint8_t ver, b;
	char aug[MAX_AUG];
	uint64_t p = cie, v;
	int n = 0;

	if (!rd(&len, p, 4) || len == 0 || len == 0xffffffffu)
		return -1;
	if (!rd(&id, p + 4, 4) || id != 0 || !rd(&ver, p + 8, 1) ||
	    (ver != 1 && ver != 3))
		return -1;
	p += 9;
	do {
		if (n == MAX_AUG || !rd(&b, p++, 1))
			return -1;
		aug[n++] = (char)b;
	} while (b);
	if (aug[0] != 'z')
		return DW_EH_PE_absptr; /* no augmentation data: absolute */
	if (!read_uleb(&p, &v) || !read_uleb(&p, &v)) /* code, data align */
		return -1;
	if (ver == 1)
		p++; /* return address register, one byte */
	else if (!read_uleb(&p, &v))
		return -1;
	if (!read_uleb(&p, &v)) /* augmentation data length */
		return -1;
	for (int i = 1; aug[i]; i++) {
		uint8_t enc;

		switch (aug[i]) {
		case 'R':
			return rd(&enc, p, 1) ? enc : -1;
		case 'L':
			p++;
			break;
		case 'P':
			if (!rd(&enc, p++, 1) ||
			    !read_enc(&p, enc & 0x7f, 0, &v))
				return -1;
			break;
		default:
			return -1;
		}
	}
	return DW_EH_PE_absptr;
}

/* [start, start + range) of the FDE at @fde */
static bool fde_extent(uint64_t fde, uint64_t *start, uint64_t *range)
{
	uint32_t len, cie_off;
	uint64_t p = fde + 8;
	int enc;

	if (!rd(&len, fde, 4) || len == 0 || len == 0xffffffffu ||
	    !rd(&cie_off, fde + 4, 4) || cie_off == 0)
		return false;
	enc = cie_fde_enc(fde + 4 - cie_off);
	if (enc < 0 || !read_enc(&p, (uint8_t)enc, 0, start) ||
	    !read_enc(&p, (uint8_t)(enc & 0x0f), 0, range))
		return false;
	return true;
}

/* where the ELF header of the object mapped at @addr is; 0 if unknown */
static uint64_t image_base(struct mm *mm, uint64_t addr)
{
	struct vma *v;
	uint64_t base = 0;

	spin_lock(&mm->lock);
	v = vma_lookup(&mm->vs, addr);
	if (v && v->file) {
		/* the nearest mapping of the same file at offset 0, below */
		for (size_t i = 0; i < mm->vs.n && mm->vs.v[i].start <= addr;
		     i++) {
			struct vma *w = &mm->vs.v[i];

			if (w->file && w->off == 0 &&
			    w->file->dev == v->file->dev &&
			    w->file->ino == v->file->ino)
				base = w->start;
		}
	}
	spin_unlock(&mm->lock);
	return base;
}

/* the runtime address of .eh_frame_hdr of the object at @base, or 0 */
static uint64_t find_hdr(uint64_t base)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	uint64_t bias = 0, hdr = 0;
	bool have_bias = false;

	if (!rd(&eh, base, sizeof(eh)) || eh.e_ident[EI_MAG0] != ELFMAG0 ||
	    eh.e_ident[EI_MAG1] != ELFMAG1 || eh.e_ident[EI_MAG2] != ELFMAG2 ||
	    eh.e_ident[EI_MAG3] != ELFMAG3 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 ||
	    eh.e_phnum > MAX_PHDRS || eh.e_phoff > 65536 ||
	    !rd(ph, base + eh.e_phoff, sizeof(Elf64_Phdr) * eh.e_phnum))
		return 0;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0 &&
		    !have_bias) {
			/* this segment's first page is at @base */
			bias = base - (ph[i].p_vaddr & ~4095ull);
			have_bias = true;
		}
		if (ph[i].p_type == PT_GNU_EH_FRAME)
			hdr = ph[i].p_vaddr;
	}
	if (!have_bias || !hdr)
		return 0;
	return bias + hdr;
}

/*
 * The function (FDE) of the object mapped at @site that is the last to
 * start at or before @x (@strict: before @x): its [start, end). false if
 * there is none, or no table we can read.
 */
static bool fde_before(struct mm *mm, uint64_t site, uint64_t x, bool strict,
		       uint64_t *start, uint64_t *end)
{
	uint64_t base = image_base(mm, site), hdr, p, count, eh_ptr;
	uint64_t range, fstart;
	uint8_t h[4];
	int64_t lo, hi;
	int32_t e[2];

	if (!base || !(hdr = find_hdr(base)) || !rd(h, hdr, 4) || h[0] != 1 ||
	    h[3] != (DW_EH_PE_datarel | DW_EH_PE_sdata4) ||
	    h[2] == DW_EH_PE_omit)
		return false;
	p = hdr + 4;
	if (!read_enc(&p, h[1], hdr, &eh_ptr) ||
	    !read_enc(&p, h[2], hdr, &count) || count == 0 ||
	    count > (1u << 24))
		return false;
	/* the table: pairs of sdata4 (start, fde) relative to @hdr, sorted */
	lo = 0;
	hi = (int64_t)count - 1;
	while (lo < hi) {
		int64_t mid = (lo + hi + 1) / 2;
		int32_t s;
		uint64_t at;

		if (!rd(&s, p + (uint64_t)mid * 8, 4))
			return false;
		at = hdr + (uint64_t)(int64_t)s;
		if (strict ? at < x : at <= x)
			lo = mid;
		else
			hi = mid - 1;
	}
	if (!rd(e, p + (uint64_t)lo * 8, 8))
		return false;
	fstart = hdr + (uint64_t)(int64_t)e[0];
	if ((strict ? fstart >= x : fstart > x) ||
	    !fde_extent(hdr + (uint64_t)(int64_t)e[1], start, &range) ||
	    *start != fstart)
		return false;
	*end = fstart + range;
	return true;
}

bool ehframe_fde_ends_at(struct mm *mm, uint64_t site, uint64_t x)
{
	uint64_t start, end;

	return fde_before(mm, site, x, true, &start, &end) && end == x;
}

uint64_t ehframe_func_start(struct mm *mm, uint64_t site, uint64_t x)
{
	uint64_t start, end;

	if (!fde_before(mm, site, x, false, &start, &end) || x >= end)
		return 0;
	return start;
}
