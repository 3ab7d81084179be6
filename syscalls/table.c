/* table.c - the syscall table, built from table.def */
#include <errno.h>
#include <stddef.h>

#include "syscalls/syscalls.h"

#define SYS_IMPL(nr_, name_, nargs_, flags_, ...)                          \
	[nr_] = { .name = #name_, .fn = sys_##name_, .nargs = nargs_,      \
		  .status = SYS_SUPPORTED, .flags = flags_,                \
		  .args = { __VA_ARGS__ } },
#define SYS_PART(nr_, name_, nargs_, flags_, note_, ...)                   \
	[nr_] = { .name = #name_, .fn = sys_##name_, .nargs = nargs_,      \
		  .status = SYS_PARTIAL, .flags = flags_, .note = note_,   \
		  .args = { __VA_ARGS__ } },
#define SYS_UNSUP(nr_, name_, nargs_, err_, note_)                         \
	[nr_] = { .name = #name_, .nargs = nargs_,                         \
		  .status = SYS_UNSUPPORTED, .err = err_, .note = note_ },
#define SYS_LATER(nr_, name_, nargs_)                                      \
	[nr_] = { .name = #name_, .nargs = nargs_, .status = SYS_NOTYET,   \
		  .err = ENOSYS, .note = "not implemented yet" },

const struct sys_entry sys_table[SYS_TABLE_SIZE] = {
#include "syscalls/table.def"
};

static const struct sys_entry sys_unknown = {
	.name = NULL,
	.status = SYS_NOTYET,
	.err = ENOSYS,
	.note = "not a syscall on x86-64",
};

const struct sys_entry *sys_lookup(unsigned long nr)
{
	if (nr < SYS_TABLE_SIZE && sys_table[nr].name)
		return &sys_table[nr];
	return &sys_unknown;
}
