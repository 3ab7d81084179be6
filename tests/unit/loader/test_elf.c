/* test_elf.c - elf_validate on hand-built images and on /bin/true */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "loader/elf.h"

#define IMG_MAX (96 * 1024)
#define EH_SIZE sizeof(Elf64_Ehdr)
#define PH_SIZE sizeof(Elf64_Phdr)
#define INTERP_OFF 0x300
#define LD_SO "/lib64/ld-linux-x86-64.so.2"
#define TASK_SIZE 0x7ffffffff000ull

/* the image under test: the whole file, @size bytes of it */
static union {
	uint8_t b[IMG_MAX];
	Elf64_Ehdr eh;
} img __attribute__((aligned(4096)));
static size_t size;
static struct elf_info info;
static char why[256];

#define EH (&img.eh)
#define PH(i) ((Elf64_Phdr *)(void *)(img.b + EH->e_phoff) + (i))

static void setup(void)
{
	memset(&img, 0, sizeof(img));
	memset(&info, 0xcc, offsetof(struct elf_info, phdrs));
	memset(why, 0, sizeof(why));
	size = 0;
}

static void teardown(void)
{
}

TestSuite(elf, .init = setup, .fini = teardown);

static void set_ehdr(uint16_t type, uint64_t entry, uint16_t phnum)
{
	memcpy(EH->e_ident, ELFMAG, SELFMAG);
	EH->e_ident[EI_CLASS] = ELFCLASS64;
	EH->e_ident[EI_DATA] = ELFDATA2LSB;
	EH->e_ident[EI_VERSION] = EV_CURRENT;
	EH->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	EH->e_type = type;
	EH->e_machine = EM_X86_64;
	EH->e_version = EV_CURRENT;
	EH->e_entry = entry;
	EH->e_phoff = EH_SIZE;
	EH->e_ehsize = EH_SIZE;
	EH->e_phentsize = PH_SIZE;
	EH->e_phnum = phnum;
	EH->e_shentsize = sizeof(Elf64_Shdr);
}

static void set_ph(int i, uint32_t type, uint32_t flags, uint64_t off,
		   uint64_t vaddr, uint64_t filesz, uint64_t memsz,
		   uint64_t align)
{
	Elf64_Phdr *p = PH(i);

	p->p_type = type;
	p->p_flags = flags;
	p->p_offset = off;
	p->p_vaddr = vaddr;
	p->p_paddr = vaddr;
	p->p_filesz = filesz;
	p->p_memsz = memsz;
	p->p_align = align;
}

/*
 * A dynamically linked non-PIE executable:
 *   0 PT_PHDR      0x400040
 *   1 PT_INTERP    /lib64/ld-linux-x86-64.so.2 at file 0x300
 *   2 PT_LOAD  R   file [0, 0x1000)      at 0x400000
 *   3 PT_LOAD  RX  file [0x1000, 0x1100) at 0x401000, memsz 0x2000
 *   4 PT_GNU_STACK RW
 */
static void build_exec(void)
{
	set_ehdr(ET_EXEC, 0x401000, 5);
	set_ph(0, PT_PHDR, PF_R, EH_SIZE, 0x400000 + EH_SIZE, 5 * PH_SIZE,
	       5 * PH_SIZE, 8);
	set_ph(1, PT_INTERP, PF_R, INTERP_OFF, 0x400000 + INTERP_OFF,
	       sizeof(LD_SO), sizeof(LD_SO), 1);
	set_ph(2, PT_LOAD, PF_R, 0, 0x400000, 0x1000, 0x1000, 0x1000);
	set_ph(3, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x2000,
	       0x1000);
	set_ph(4, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	memcpy(img.b + INTERP_OFF, LD_SO, sizeof(LD_SO));
	size = 0x1100;
}

/*
 * A static PIE: no PT_INTERP, no PT_PHDR, no PT_GNU_STACK.
 *   0 PT_LOAD  R   file [0, 0x800)       at 0
 *   1 PT_LOAD  RX  file [0x1000, 0x1800) at 0x201000, align 2 MiB
 *   2 PT_LOAD  RW  file [0x1800, 0x1900) at 0x402800, memsz 0x1000
 */
static void build_dyn(void)
{
	set_ehdr(ET_DYN, 0x201010, 3);
	set_ph(0, PT_LOAD, PF_R, 0, 0, 0x800, 0x800, 0x1000);
	set_ph(1, PT_LOAD, PF_R | PF_X, 0x1000, 0x201000, 0x800, 0x800,
	       0x200000);
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x1800, 0x402800, 0x100, 0x1000,
	       0x1000);
	size = 0x1900;
}

static int validate(void)
{
	return elf_validate(img.b, size, &info, why, sizeof(why));
}

static void accepted(void)
{
	int r = validate();

	cr_assert_eq(r, 0, "rejected (%d): %s", r, why);
}

/* rejected with -ENOEXEC and a reason mentioning @word */
static void rejected(const char *word)
{
	int r = validate();

	cr_assert_eq(r, -ENOEXEC, "accepted (%d), want a rejection for \"%s\"",
		     r, word);
	cr_assert_neq(why[0], '\0', "no reason given");
	cr_assert_not_null(strstr(why, word), "reason \"%s\" lacks \"%s\"", why,
			   word);
	cr_assert_null(strchr(why, '\n'), "the reason is one line");
}

/* ---- valid images ---- */

Test(elf, valid_exec)
{
	build_exec();
	accepted();
	cr_assert_eq(info.type, ET_EXEC);
	cr_assert_eq(info.entry, 0x401000);
	cr_assert_eq(info.phnum, 5);
	cr_assert_eq(info.phoff, EH_SIZE);
	cr_assert_eq(info.lo, 0x400000);
	cr_assert_eq(info.hi, 0x403000);
	cr_assert_eq(info.max_align, 0x1000);
	cr_assert_eq(info.phdr_vaddr, 0x400040);
	cr_assert(info.has_interp);
	cr_assert_str_eq(info.interp, LD_SO);
	cr_assert_not(info.exec_stack);
	cr_assert_eq(memcmp(info.phdrs, PH(0), 5 * PH_SIZE), 0);
}

Test(elf, valid_dyn)
{
	build_dyn();
	accepted();
	cr_assert_eq(info.type, ET_DYN);
	cr_assert_eq(info.entry, 0x201010);
	cr_assert_eq(info.phnum, 3);
	cr_assert_eq(info.lo, 0);
	cr_assert_eq(info.hi, 0x404000, "hi: %#lx", (unsigned long)info.hi);
	cr_assert_eq(info.max_align, 0x200000);
	cr_assert_eq(info.phdr_vaddr, EH_SIZE,
		     "the phdrs lie in the first PT_LOAD");
	cr_assert_not(info.has_interp);
	cr_assert_str_eq(info.interp, "");
	cr_assert(info.exec_stack, "no PT_GNU_STACK: executable stack");
}

Test(elf, exec_stack_flag)
{
	build_exec();
	PH(4)->p_flags = PF_R | PF_W | PF_X;
	accepted();
	cr_assert(info.exec_stack);
}

Test(elf, phdr_vaddr_from_a_later_load)
{
	/* the phdrs in the second segment's file range: no PT_PHDR */
	build_dyn();
	EH->e_phoff = 0x1700;
	set_ph(0, PT_LOAD, PF_R, 0, 0, 0x800, 0x800, 0x1000);
	set_ph(1, PT_LOAD, PF_R | PF_X, 0x1000, 0x201000, 0x800, 0x800,
	       0x200000);
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x1800, 0x402800, 0x100, 0x1000,
	       0x1000);
	accepted();
	cr_assert_eq(info.phdr_vaddr, 0x201700);
}

Test(elf, phdr_vaddr_zero_when_not_loaded)
{
	build_dyn();
	EH->e_phoff = 0x1880;
	set_ph(0, PT_LOAD, PF_R, 0, 0, 0x800, 0x800, 0x1000);
	set_ph(1, PT_LOAD, PF_R | PF_X, 0x1000, 0x201000, 0x800, 0x800, 0x1000);
	set_ph(2, PT_LOAD, PF_R | PF_W, 0x1800, 0x402800, 0x80, 0x1000, 0x1000);
	size = 0x1880 + 3 * PH_SIZE;
	accepted();
	cr_assert_eq(info.phdr_vaddr, 0);
}

Test(elf, align_zero_and_one_accepted)
{
	build_exec();
	PH(2)->p_align = 0;
	PH(3)->p_align = 1;
	accepted();
	cr_assert_eq(info.max_align, 0x1000, "at least a page");
}

Test(elf, align_one_gib_accepted)
{
	build_dyn();
	PH(1)->p_align = 1ull << 30;
	accepted();
	cr_assert_eq(info.max_align, 1ull << 30);
}

Test(elf, zero_memsz_load_is_ignored)
{
	build_exec();
	/* a stray empty PT_LOAD at a low address, out of order */
	set_ph(4, PT_LOAD, PF_R, 0, 0, 0, 0, 0x1000);
	accepted();
	cr_assert_eq(info.lo, 0x400000);
	cr_assert_eq(info.hi, 0x403000);
}

Test(elf, entry_at_last_byte)
{
	build_exec();
	EH->e_entry = 0x402fff;
	accepted();
}

Test(elf, segment_ending_at_task_size)
{
	build_exec();
	set_ph(4, PT_LOAD, PF_R | PF_W, 0, TASK_SIZE - 0x1000, 0, 0x1000,
	       0x1000);
	EH->e_entry = 0x400000;
	rejected("span"); /* 128 TiB apart */
	PH(2)->p_vaddr = TASK_SIZE - 0x5000;
	PH(3)->p_vaddr = TASK_SIZE - 0x3000;
	PH(3)->p_memsz = 0x2000;
	EH->e_entry = TASK_SIZE - 0x3000;
	accepted();
	cr_assert_eq(info.hi, TASK_SIZE);
}

Test(elf, max_phnum_accepted)
{
	set_ehdr(ET_DYN, 0x1000, ELF_MAX_PHNUM);
	for (int i = 0; i < ELF_MAX_PHNUM; i++)
		set_ph(i, PT_NOTE, PF_R, 0, 0, 0, 0, 4);
	set_ph(0, PT_LOAD, PF_R | PF_X, 0, 0, 0x2000, 0x2000, 0x1000);
	size = EH_SIZE + ELF_MAX_PHNUM * PH_SIZE;
	cr_assert_leq(size, IMG_MAX);
	cr_assert_geq(size, 0x2000);
	accepted();
	cr_assert_eq(info.phnum, ELF_MAX_PHNUM);
	cr_assert_eq(info.phdrs[ELF_MAX_PHNUM - 1].p_type, PT_NOTE);
}

Test(elf, longest_interp_accepted)
{
	build_exec();
	size = 0x2000;
	PH(1)->p_offset = 0x1000;
	PH(1)->p_filesz = ELF_MAX_INTERP;
	memset(img.b + 0x1000, 'x', ELF_MAX_INTERP - 1);
	img.b[0x1000 + ELF_MAX_INTERP - 1] = '\0';
	accepted();
	cr_assert_eq(strlen(info.interp), ELF_MAX_INTERP - 1);
}

Test(elf, bin_true)
{
	int fd = open("/bin/true", O_RDONLY);
	struct stat st;
	uint8_t *buf;
	const Elf64_Ehdr *e;
	uint64_t load_end = 0;
	int r;

	cr_assert_geq(fd, 0, "cannot open /bin/true");
	cr_assert_eq(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size);
	cr_assert_not_null(buf);
	cr_assert_eq(read(fd, buf, (size_t)st.st_size), st.st_size);
	close(fd);
	e = (const Elf64_Ehdr *)(void *)buf;
	r = elf_validate(buf, (size_t)st.st_size, &info, why, sizeof(why));
	cr_assert_eq(r, 0, "/bin/true rejected: %s", why);
	cr_assert_eq(info.type, e->e_type);
	cr_assert(info.type == ET_DYN || info.type == ET_EXEC);
	cr_assert_eq(info.entry, e->e_entry);
	cr_assert_eq(info.phnum, e->e_phnum);
	cr_assert_eq(info.phoff, e->e_phoff);
	cr_assert(info.has_interp, "/bin/true is dynamically linked");
	cr_assert_eq(info.interp[0], '/');
	cr_assert_not_null(strstr(info.interp, "ld-"));
	cr_assert_not(info.exec_stack);
	cr_assert_lt(info.lo, info.hi);
	cr_assert_eq(info.lo % 4096, 0);
	cr_assert_eq(info.hi % 4096, 0);
	cr_assert_geq(info.entry, info.lo);
	cr_assert_lt(info.entry, info.hi);
	cr_assert_neq(info.phdr_vaddr, 0);
	cr_assert_eq(memcmp(info.phdrs, buf + e->e_phoff,
			    e->e_phnum * sizeof(Elf64_Phdr)),
		     0);

	/*
	 * Truncated: refused while a loadable segment is cut; past the last
	 * one only section data is missing, which the loader does not need.
	 */
	for (int i = 0; i < e->e_phnum; i++) {
		const Elf64_Phdr *p = &info.phdrs[i];

		if (p->p_type == PT_LOAD &&
		    p->p_offset + p->p_filesz > load_end)
			load_end = p->p_offset + p->p_filesz;
	}
	cr_assert_leq(load_end, (uint64_t)st.st_size);
	for (size_t n = 0; n < (size_t)st.st_size; n += 97) {
		r = elf_validate(buf, n, &info, why, sizeof(why));
		if (n < load_end)
			cr_assert_eq(r, -ENOEXEC, "truncated to %zu bytes", n);
		else
			cr_assert(r == 0 || r == -ENOEXEC,
				  "truncated to %zu bytes: %d", n, r);
	}
	free(buf);
}

/* ---- the header ---- */

Test(elf, truncated_header)
{
	build_exec();
	size = EH_SIZE - 1;
	rejected("truncated");
	size = SELFMAG;
	rejected("truncated");
	size = 0;
	rejected("truncated");
}

Test(elf, bad_magic)
{
	build_exec();
	img.b[0] = 0x7e;
	rejected("not an ELF");
	img.b[0] = 0x7f;
	img.b[3] = 'G';
	rejected("not an ELF");
	cr_assert_not(elf_has_magic(img.b, size));
	img.b[3] = 'F';
	cr_assert(elf_has_magic(img.b, size));
	cr_assert_not(elf_has_magic(img.b, SELFMAG - 1));
	cr_assert(elf_has_magic(img.b, SELFMAG));
}

Test(elf, class_32_bit)
{
	build_exec();
	img.b[EI_CLASS] = ELFCLASS32;
	rejected("64-bit");
	img.b[EI_CLASS] = ELFCLASSNONE;
	rejected("64-bit");
}

Test(elf, big_endian)
{
	build_exec();
	img.b[EI_DATA] = ELFDATA2MSB;
	rejected("little-endian");
	img.b[EI_DATA] = ELFDATANONE;
	rejected("little-endian");
}

Test(elf, ident_version)
{
	build_exec();
	img.b[EI_VERSION] = EV_NONE;
	rejected("version");
}

Test(elf, wrong_machine)
{
	build_exec();
	EH->e_machine = EM_386;
	rejected("machine");
	EH->e_machine = EM_AARCH64;
	rejected("machine");
}

Test(elf, not_an_executable_type)
{
	build_exec();
	EH->e_type = ET_REL;
	rejected("not an executable");
	EH->e_type = ET_CORE;
	rejected("not an executable");
	EH->e_type = ET_NONE;
	rejected("not an executable");
}

Test(elf, header_version_and_size)
{
	build_exec();
	EH->e_version = EV_NONE;
	rejected("version");
	EH->e_version = EV_CURRENT;
	EH->e_ehsize = 52;
	rejected("header size");
}

Test(elf, bad_phentsize)
{
	build_exec();
	EH->e_phentsize = sizeof(Elf32_Phdr);
	rejected("program header size");
	EH->e_phentsize = 0;
	rejected("program header size");
	EH->e_phentsize = PH_SIZE + 8;
	rejected("program header size");
}

Test(elf, phnum_zero)
{
	build_exec();
	EH->e_phnum = 0;
	rejected("no program headers");
}

Test(elf, phnum_too_many)
{
	build_exec();
	size = IMG_MAX;
	EH->e_phnum = ELF_MAX_PHNUM + 1;
	rejected("too many");
	EH->e_phnum = 0xffff; /* PN_XNUM: the count would be in a section */
	rejected("too many");
}

Test(elf, phdrs_beyond_file)
{
	build_exec();
	EH->e_phoff = size - PH_SIZE;
	rejected("outside the file");
	EH->e_phoff = size;
	rejected("outside the file");
	EH->e_phoff = UINT64_MAX - 8; /* phoff + table wraps around */
	rejected("outside the file");
	EH->e_phoff = EH_SIZE;
	size = EH_SIZE + 5 * PH_SIZE - 1;
	rejected("outside the file");
}

/* ---- PT_LOAD ---- */

Test(elf, filesz_above_memsz)
{
	build_exec();
	PH(3)->p_filesz = 0x2001;
	PH(3)->p_memsz = 0x2000;
	size = 0x4000;
	rejected("file size exceeds memory size");
}

Test(elf, segment_beyond_file)
{
	build_exec();
	PH(3)->p_filesz = 0x101;
	rejected("outside the file");
	PH(3)->p_filesz = 0x100;
	PH(3)->p_offset = 0x2000;
	PH(3)->p_vaddr = 0x402000;
	rejected("outside the file");
}

Test(elf, segment_offset_wraps)
{
	build_exec();
	PH(3)->p_offset = UINT64_MAX - 0xff; /* + filesz 0x100 wraps to 0 */
	PH(3)->p_vaddr = 0x401000;
	rejected("outside the file");
}

Test(elf, absurd_memsz)
{
	build_exec();
	PH(3)->p_memsz = ELF_MAX_SPAN + 1;
	rejected("absurd");
	PH(3)->p_memsz = UINT64_MAX;
	rejected("absurd");
}

Test(elf, address_overflow)
{
	build_exec();
	PH(3)->p_vaddr = 0xfffffffffffff000ull;
	PH(3)->p_offset = 0x1000;
	rejected("not in user space");
	PH(3)->p_vaddr = TASK_SIZE - 0x1000; /* + 0x2000 > TASK_SIZE */
	rejected("not in user space");
	PH(3)->p_vaddr = 0x800000000000ull;
	rejected("not in user space");
}

Test(elf, align_not_power_of_two)
{
	build_exec();
	PH(3)->p_align = 0x3000;
	rejected("power of two");
	PH(3)->p_align = UINT64_MAX;
	rejected("power of two");
}

Test(elf, align_too_large)
{
	build_dyn();
	PH(1)->p_align = 1ull << 31;
	rejected("too large");
}

Test(elf, vaddr_offset_not_congruent)
{
	build_exec();
	PH(3)->p_vaddr = 0x401010;
	EH->e_entry = 0x401010;
	rejected("modulo the page size");
	PH(3)->p_vaddr = 0x401000;
	PH(3)->p_offset = 0xff0;
	rejected("modulo the page size");
}

Test(elf, exec_below_min_addr)
{
	build_exec();
	PH(2)->p_vaddr = 0xf000;
	rejected("lowest mappable");
	PH(2)->p_vaddr = 0;
	rejected("lowest mappable");
	/* ET_DYN is relocated: address 0 is fine */
	EH->e_type = ET_DYN;
	EH->e_entry = 0x1000 - 1;
	PH(3)->p_vaddr = 0x1000;
	PH(1)->p_type = PT_NULL; /* no interp needed */
	accepted();
	cr_assert_eq(info.lo, 0);
}

Test(elf, exec_at_min_addr)
{
	build_exec();
	PH(2)->p_vaddr = 0x10000;
	PH(3)->p_vaddr = 0x11000;
	EH->e_entry = 0x11000;
	accepted();
	cr_assert_eq(info.lo, 0x10000);
}

Test(elf, overlapping_loads)
{
	build_exec();
	PH(3)->p_vaddr = 0x400000; /* on top of segment 2 */
	EH->e_entry = 0x400000;
	rejected("overlaps or precedes");
}

Test(elf, overlapping_loads_by_one_byte)
{
	build_exec();
	/* segment 2 ends at 0x401001, segment 3 starts at 0x401000 */
	PH(2)->p_memsz = 0x1001;
	rejected("overlaps or precedes");
}

Test(elf, unsorted_loads)
{
	build_exec();
	PH(2)->p_vaddr = 0x500000;
	PH(3)->p_vaddr = 0x401000;
	EH->e_entry = 0x401000;
	rejected("overlaps or precedes");
}

Test(elf, span_too_large)
{
	build_exec();
	PH(3)->p_vaddr = 0x401000 + ELF_MAX_SPAN;
	EH->e_entry = 0x400000;
	rejected("span");
}

Test(elf, no_load)
{
	build_exec();
	PH(2)->p_type = PT_NOTE;
	PH(3)->p_type = PT_NOTE;
	rejected("no loadable segments");
	/* PT_LOADs with nothing in memory do not count */
	PH(2)->p_type = PT_LOAD;
	PH(3)->p_type = PT_LOAD;
	PH(2)->p_filesz = PH(2)->p_memsz = 0;
	PH(3)->p_filesz = PH(3)->p_memsz = 0;
	rejected("no loadable segments");
}

Test(elf, entry_outside_segments)
{
	build_exec();
	EH->e_entry = 0x403000;
	rejected("entry point");
	EH->e_entry = 0x3fffff;
	rejected("entry point");
	EH->e_entry = 0;
	rejected("entry point");
	EH->e_entry = UINT64_MAX;
	rejected("entry point");
}

/* ---- PT_INTERP ---- */

Test(elf, two_interps)
{
	build_exec();
	set_ph(4, PT_INTERP, PF_R, INTERP_OFF, 0x400000 + INTERP_OFF,
	       sizeof(LD_SO), sizeof(LD_SO), 1);
	rejected("more than one PT_INTERP");
}

Test(elf, interp_not_nul_terminated)
{
	build_exec();
	PH(1)->p_filesz = sizeof(LD_SO) - 1;
	rejected("NUL-terminated");
}

Test(elf, interp_with_inner_nul)
{
	build_exec();
	img.b[INTERP_OFF + 5] = '\0';
	rejected("NUL-terminated");
}

Test(elf, interp_too_short)
{
	build_exec();
	PH(1)->p_filesz = 1;
	img.b[INTERP_OFF] = '\0';
	rejected("interpreter path length");
	PH(1)->p_filesz = 0;
	rejected("interpreter path length");
}

Test(elf, interp_too_long)
{
	build_exec();
	size = 0x3000;
	PH(1)->p_offset = 0x1000;
	PH(1)->p_filesz = ELF_MAX_INTERP + 1;
	memset(img.b + 0x1000, 'x', ELF_MAX_INTERP);
	img.b[0x1000 + ELF_MAX_INTERP] = '\0';
	rejected("interpreter path length");
	PH(1)->p_filesz = UINT64_MAX;
	rejected("interpreter path length");
}

Test(elf, interp_beyond_file)
{
	build_exec();
	PH(1)->p_offset = size - 4;
	rejected("interpreter path lies outside");
	PH(1)->p_offset = UINT64_MAX - 4; /* + filesz wraps */
	rejected("interpreter path lies outside");
}

/* ---- the reason buffer ---- */

Test(elf, short_or_no_reason_buffer)
{
	char small[8];

	build_exec();
	EH->e_machine = EM_386;
	memset(small, 'z', sizeof(small));
	cr_assert_eq(elf_validate(img.b, size, &info, small, 4), -ENOEXEC);
	cr_assert_eq(strlen(small), 3, "truncated and NUL-terminated");
	cr_assert_eq(small[4], 'z', "nothing written past whylen");
	cr_assert_eq(elf_validate(img.b, size, &info, NULL, 0), -ENOEXEC);
}

/* ---- every single-byte corruption: an answer, never a crash ---- */

Test(elf, byte_flips_never_crash)
{
	build_exec();
	for (size_t i = 0; i < EH_SIZE + 5 * PH_SIZE; i++) {
		for (int bit = 0; bit < 8; bit++) {
			int r;

			img.b[i] ^= (uint8_t)(1u << bit);
			r = validate();
			cr_assert(r == 0 || r == -ENOEXEC,
				  "byte %zu bit %d: %d", i, bit, r);
			if (r == 0) {
				cr_assert_lt(info.lo, info.hi);
				cr_assert_leq(info.hi, TASK_SIZE);
				cr_assert_geq(info.entry, info.lo);
				cr_assert_lt(info.entry, info.hi);
			}
			img.b[i] ^= (uint8_t)(1u << bit);
		}
	}
	accepted();
}
