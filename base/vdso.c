/* vdso.c - find a function of the host's vDSO, for our own use */
#include <elf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/auxv.h>

#include "base/vdso.h"

/*
 * The vDSO is a small ELF image the host maps into every process; its
 * functions are plain SysV functions built without vector instructions,
 * safe to call from kernel code. Its section headers are mapped with it.
 */
void *vdso_sym(const char *name)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Phdr *ph;
	const Elf64_Shdr *sh;
	uint64_t base = (uint64_t)eh, load = 0;
	bool have_load = false;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || !eh->e_shoff ||
	    eh->e_shentsize != sizeof(Elf64_Shdr))
		return NULL;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			load = ph[i].p_vaddr - ph[i].p_offset;
			have_load = true;
		}
	}
	if (!have_load)
		return NULL;
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;
		size_t n;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		sym = (const Elf64_Sym *)(base + sh[i].sh_offset);
		str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		n = sh[i].sh_size / sizeof(*sym);
		for (size_t j = 0; j < n; j++) {
			if (ELF64_ST_TYPE(sym[j].st_info) != STT_FUNC ||
			    sym[j].st_shndx == SHN_UNDEF ||
			    strcmp(str + sym[j].st_name, name))
				continue;
			return (void *)(base + sym[j].st_value - load);
		}
	}
	return NULL;
}
