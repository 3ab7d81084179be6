/* procfs.h - internals shared by the /proc files */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct proc;
struct file;

/* a growing text buffer */
struct pbuf {
	char *data;
	size_t len, cap;
};

int pbuf_printf(struct pbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int pbuf_reserve(struct pbuf *b, size_t more);
int pbuf_append(struct pbuf *b, const void *p, size_t n);

/* add a directory entry to a listing being built */
int procfs_dir_add(struct pbuf *b, const char *name, unsigned char type,
		   uint64_t ino);

/* the live pids of the instance / tids of @p, as directory entries */
int procfs_list_pids(struct pbuf *b);
int procfs_list_tids(struct proc *p, struct pbuf *b);

/* open /proc/<pid>/fd/<fd>: a new open of the same file */
long procfs_reopen_fd(struct proc *p, int fd, int flags, struct file **out);

int procfs_gen_fdinfo(struct proc *p, int fd, struct pbuf *b);

struct procfs_mem {
	uint64_t vm_kb, rss_kb, anon_kb, file_kb, data_kb, stack_kb, exe_kb,
		lib_kb, lck_kb, pte_kb;
};

void procfs_mem_usage(struct proc *p, struct procfs_mem *m);

/* the instance's CPUs for Cpus_allowed(_list) */
const char *procfs_cpus_mask(void);
const char *procfs_cpus_list(void);
