/* exec.h - execve and the instance's first program */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "sched/sched.h"

struct proc;

/*
 * exec_image - replace the current process's image with @filename (a
 * kernel copy), setting @tf for the new program's first instruction.
 * Returns 0, or -errno with a reason in @why; on failure the process is
 * unchanged.
 */
int exec_image(const char *filename, char *const argv[], char *const envp[],
	       struct trapframe *tf, char *why, size_t whylen, bool *found);

struct exec_start {
	const char *name; /* as typed: looked up on $PATH if it has no '/' */
	const char *path; /* $PATH of the guest's environment, or NULL */
	char **argv, **envp;
};

/* create the first thread of @p, which will exec @s and run it */
int exec_start_first(struct proc *p, const struct exec_start *s);

/* 126 / 127 if the first program could not be started, else 0 */
int exec_start_error_status(void);

/* does a loader reason say the file was an ELF (malformed)? */
int elf_file_like(const char *why);
