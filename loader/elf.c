/* elf.c - field-by-field validation of ELF64 x86-64 images (libelf) */
#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "loader/elf.h"

#define PAGE 4096ull
#define TASK_SIZE 0x7ffffffff000ull
#define MIN_ADDR 0x10000ull /* vm.mmap_min_addr's default */

static int fail(char *why, size_t whylen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -ENOEXEC;
}

bool elf_has_magic(const void *buf, size_t size)
{
	return size >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

static bool add_overflows(uint64_t a, uint64_t b, uint64_t *sum)
{
	return __builtin_add_overflow(a, b, sum);
}

/* the raw header, before libelf sees the image */
static int check_ident(const unsigned char *id, size_t size, char *why,
		       size_t whylen)
{
	if (size < sizeof(Elf64_Ehdr))
		return fail(why, whylen, "truncated ELF header (%zu bytes)",
			    size);
	if (!elf_has_magic(id, size))
		return fail(why, whylen, "not an ELF file");
	if (id[EI_CLASS] != ELFCLASS64)
		return fail(why, whylen, "not a 64-bit ELF file (class %u)",
			    id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return fail(why, whylen, "not a little-endian ELF file");
	if (id[EI_VERSION] != EV_CURRENT)
		return fail(why, whylen, "unknown ELF version %u",
			    id[EI_VERSION]);
	return 0;
}

static int check_ehdr(const Elf64_Ehdr *eh, size_t size, char *why,
		      size_t whylen)
{
	uint64_t end;

	if (eh->e_machine != EM_X86_64)
		return fail(why, whylen,
			    "wrong machine %u: not an x86-64 executable",
			    eh->e_machine);
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return fail(why, whylen, "ELF type %u is not an executable",
			    eh->e_type);
	if (eh->e_version != EV_CURRENT)
		return fail(why, whylen, "unknown ELF version %u",
			    eh->e_version);
	if (eh->e_ehsize != sizeof(Elf64_Ehdr))
		return fail(why, whylen, "bad ELF header size %u",
			    eh->e_ehsize);
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return fail(why, whylen, "bad program header size %u",
			    eh->e_phentsize);
	if (eh->e_phnum == 0)
		return fail(why, whylen, "no program headers");
	if (eh->e_phnum > ELF_MAX_PHNUM)
		return fail(why, whylen, "too many program headers (%u)",
			    eh->e_phnum);
	if (add_overflows(eh->e_phoff,
			  (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), &end) ||
	    end > size)
		return fail(why, whylen,
			    "program headers at offset %#llx lie outside the "
			    "file",
			    (unsigned long long)eh->e_phoff);
	return 0;
}

static int check_load(const Elf64_Phdr *ph, int i, uint16_t type, size_t size,
		      char *why, size_t whylen)
{
	uint64_t end;

	if (ph->p_filesz > ph->p_memsz)
		return fail(why, whylen,
			    "segment %d: file size exceeds memory size", i);
	if (add_overflows(ph->p_offset, ph->p_filesz, &end) || end > size)
		return fail(why, whylen,
			    "segment %d: file range %#llx+%#llx lies outside "
			    "the file",
			    i, (unsigned long long)ph->p_offset,
			    (unsigned long long)ph->p_filesz);
	if (ph->p_memsz > ELF_MAX_SPAN)
		return fail(why, whylen, "segment %d: absurd memory size %#llx",
			    i, (unsigned long long)ph->p_memsz);
	if (add_overflows(ph->p_vaddr, ph->p_memsz, &end) || end > TASK_SIZE)
		return fail(why, whylen,
			    "segment %d: address range %#llx+%#llx is not in "
			    "user space",
			    i, (unsigned long long)ph->p_vaddr,
			    (unsigned long long)ph->p_memsz);
	if (ph->p_align > 1 && (ph->p_align & (ph->p_align - 1)))
		return fail(why, whylen,
			    "segment %d: alignment %#llx is not a power of two",
			    i, (unsigned long long)ph->p_align);
	if ((ph->p_vaddr - ph->p_offset) % PAGE)
		return fail(why, whylen,
			    "segment %d: address and file offset differ modulo "
			    "the page size",
			    i);
	if (type == ET_EXEC && ph->p_memsz && ph->p_vaddr < MIN_ADDR)
		return fail(why, whylen,
			    "segment %d: address %#llx is below the lowest "
			    "mappable address",
			    i, (unsigned long long)ph->p_vaddr);
	return 0;
}

static int check_interp(const unsigned char *base, const Elf64_Phdr *ph,
			size_t size, struct elf_info *out, char *why,
			size_t whylen)
{
	uint64_t end;

	if (out->has_interp)
		return fail(why, whylen, "more than one PT_INTERP");
	if (ph->p_filesz < 2 || ph->p_filesz > ELF_MAX_INTERP)
		return fail(why, whylen, "bad interpreter path length %llu",
			    (unsigned long long)ph->p_filesz);
	if (add_overflows(ph->p_offset, ph->p_filesz, &end) || end > size)
		return fail(why, whylen,
			    "interpreter path lies outside the file");
	memcpy(out->interp, base + ph->p_offset, ph->p_filesz);
	if (out->interp[ph->p_filesz - 1] != '\0' ||
	    strlen(out->interp) != ph->p_filesz - 1)
		return fail(why, whylen,
			    "interpreter path is not a NUL-terminated string");
	out->has_interp = true;
	return 0;
}

int elf_validate(const void *buf, size_t size, struct elf_info *out, char *why,
		 size_t whylen)
{
	Elf *elf = NULL;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	uint64_t prev_end = 0;
	bool have_load = false, entry_ok = false;
	int r;

	memset(out, 0, offsetof(struct elf_info, phdrs));
	out->exec_stack = true; /* x86-64 Linux: executable unless said */
	r = check_ident(buf, size, why, whylen);
	if (r)
		return r;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return fail(why, whylen, "libelf unavailable");
	/* libelf only reads: the cast drops const for its old interface */
	elf = elf_memory((char *)(uintptr_t)buf, size);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		r = fail(why, whylen, "libelf: %s", elf_errmsg(-1));
		goto out;
	}
	eh = elf64_getehdr(elf);
	if (!eh) {
		r = fail(why, whylen, "bad ELF header: %s", elf_errmsg(-1));
		goto out;
	}
	r = check_ehdr(eh, size, why, whylen);
	if (r)
		goto out;
	ph = elf64_getphdr(elf);
	if (!ph) {
		r = fail(why, whylen, "bad program headers: %s",
			 elf_errmsg(-1));
		goto out;
	}

	out->type = eh->e_type;
	out->entry = eh->e_entry;
	out->phnum = eh->e_phnum;
	out->phoff = eh->e_phoff;
	out->lo = UINT64_MAX;
	out->max_align = PAGE;
	memcpy(out->phdrs, ph, sizeof(Elf64_Phdr) * eh->e_phnum);

	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *p = &out->phdrs[i];

		switch (p->p_type) {
		case PT_LOAD:
			r = check_load(p, i, out->type, size, why, whylen);
			if (r)
				goto out;
			if (p->p_memsz == 0)
				break;
			/* ELF requires PT_LOAD sorted by address; no overlap */
			if (have_load && p->p_vaddr < prev_end) {
				r = fail(why, whylen,
					 "segment %d overlaps or precedes the "
					 "previous one",
					 i);
				goto out;
			}
			prev_end = p->p_vaddr + p->p_memsz;
			if (p->p_vaddr - p->p_vaddr % PAGE < out->lo)
				out->lo = p->p_vaddr - p->p_vaddr % PAGE;
			out->hi = (prev_end + PAGE - 1) & ~(PAGE - 1);
			if (p->p_align > out->max_align)
				out->max_align = p->p_align;
			if (out->entry >= p->p_vaddr &&
			    out->entry < p->p_vaddr + p->p_memsz)
				entry_ok = true;
			if (!out->phdr_vaddr && out->phoff >= p->p_offset &&
			    out->phoff - p->p_offset < p->p_filesz)
				out->phdr_vaddr =
					p->p_vaddr + out->phoff - p->p_offset;
			have_load = true;
			break;
		case PT_INTERP:
			r = check_interp(buf, p, size, out, why, whylen);
			if (r)
				goto out;
			break;
		case PT_GNU_STACK:
			out->exec_stack = (p->p_flags & PF_X) != 0;
			break;
		case PT_PHDR:
			/*
			 * Ignored, as Linux does: AT_PHDR comes from the
			 * PT_LOAD that holds e_phoff (above), so it always
			 * points at mapped memory.
			 */
			break;
		default:
			break;
		}
	}
	if (!have_load) {
		r = fail(why, whylen, "no loadable segments");
		goto out;
	}
	if (out->hi - out->lo > ELF_MAX_SPAN) {
		r = fail(why, whylen, "loadable segments span %#llx bytes",
			 (unsigned long long)(out->hi - out->lo));
		goto out;
	}
	if (!entry_ok) {
		r = fail(why, whylen,
			 "entry point %#llx is outside every loadable segment",
			 (unsigned long long)out->entry);
		goto out;
	}
	if (out->max_align > (1ull << 30)) {
		r = fail(why, whylen, "segment alignment %#llx is too large",
			 (unsigned long long)out->max_align);
		goto out;
	}
	r = 0;
out:
	if (elf)
		elf_end(elf);
	return r;
}
