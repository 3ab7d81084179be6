/* usercopy.c - the fixup table of the guest memory copies */
#include <stdbool.h>
#include <stdint.h>
#include <sys/ucontext.h>

#include "mm/usercopy.h"

extern char __copy_user_fault[], __copy_user_fixup[];
extern char __clear_user_fault[], __clear_user_fixup[];
extern char __strncpy_user_fault[], __strncpy_user_fixup[];
extern char __cmpxchg_user32_fault[], __cmpxchg_user32_fixup[];
extern char __xrstor_checked_fault[], __xrstor_checked_fixup[];

static const struct {
	const char *fault, *fixup;
} fixups[] = {
	{__copy_user_fault, __copy_user_fixup},
	{__clear_user_fault, __clear_user_fixup},
	{__strncpy_user_fault, __strncpy_user_fixup},
	{__cmpxchg_user32_fault, __cmpxchg_user32_fixup},
	{__xrstor_checked_fault, __xrstor_checked_fixup},
};

bool usercopy_fixup(void *ucv)
{
	ucontext_t *uc = ucv;
	uint64_t ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];

	for (unsigned i = 0; i < sizeof(fixups) / sizeof(*fixups); i++) {
		if (ip == (uint64_t)fixups[i].fault) {
			uc->uc_mcontext.gregs[REG_RIP] =
				(greg_t)fixups[i].fixup;
			return true;
		}
	}
	return false;
}
