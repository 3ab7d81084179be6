/* vdso.h - functions of the host's vDSO */
#pragma once

/* the address of the host vDSO's function @name, or NULL */
void *vdso_sym(const char *name);
