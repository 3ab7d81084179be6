/* helpers.c - shared set-up for unit tests that call into kernel code */
#include <asm/prctl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "sched/sched.h"

#include "helpers.h"

static struct kthread unit_kt;

void unit_kthread_setup(void)
{
	memset(&unit_kt, 0, sizeof(unit_kt));
	unit_kt.self = &unit_kt;
	cr_assert_eq(syscall(SYS_arch_prctl, ARCH_SET_GS, &unit_kt), 0,
		     "arch_prctl(ARCH_SET_GS) failed");
	cr_assert_eq(this_kthread(), &unit_kt);
	cr_assert_null(this_uthread());
}

void unit_kthread_teardown(void)
{
	syscall(SYS_arch_prctl, ARCH_SET_GS, 0ul);
}
