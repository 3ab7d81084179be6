/* loader.h - executing a program image: ELF and #! scripts */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "loader/elf.h"
#include "mm/mm.h"

#define LOADER_MAX_DEPTH 4 /* nested #! interpreters */
#define LOADER_WHY 256

/* the reason given for a file that is neither ELF nor #! */
#define LOADER_UNKNOWN_FORMAT "not an executable format"

/* how the loader opens files: as the guest would, through our VFS */
struct loader_ops {
	/*
	 * open @path for execution: returns a host fd (O_RDONLY) or -errno
	 * (-ENOENT, -EACCES for no exec permission or not a regular file);
	 * the absolute path goes to @abs.
	 */
	int (*open)(void *ctx, const char *path, char *abs, size_t abslen);
	void *ctx;
};

struct loader_image {
	int fd;
	const uint8_t *map; /* the whole file, read-only */
	size_t size;
	struct elf_info *info;
	char path[PATH_MAX];
	uint64_t dev, ino;
};

/* everything checked before the point of no return of execve */
struct loader_prep {
	struct loader_image main, interp;
	char **argv; /* final argv (rewritten by #!), owned */
	char *const *envp;
	char execfn[PATH_MAX]; /* AT_EXECFN: the name given to execve */
	bool found; /* the program itself was opened (kept after release) */
};

struct loader_creds {
	uint64_t uid, euid, gid, egid;
	uint64_t stack_limit; /* RLIMIT_STACK soft limit */
};

struct load_result {
	uint64_t entry, sp;
	uint64_t bias, interp_bias;
};

/*
 * loader_prepare - open and validate @filename and its interpreters.
 * Returns 0, or -errno with a one-line reason in @why (-ENOEXEC for a
 * malformed file, -ENOENT, -EACCES, -ELOOP, -E2BIG).
 */
int loader_prepare(const struct loader_ops *ops, const char *filename,
		   char *const argv[], char *const envp[],
		   struct loader_prep *prep, char *why, size_t whylen);

/*
 * loader_commit - map the prepared images into the fresh @mm, set up brk
 * and the initial stack. Returns 0 or -errno (with @why).
 */
int loader_commit(struct mm *mm, struct loader_prep *prep,
		  const struct loader_creds *cr, struct load_result *res,
		  char *why, size_t whylen);

/* release what loader_prepare took (fds, mappings, argv) */
void loader_release(struct loader_prep *prep);

/*
 * loader_parse_shebang - parse a "#!" line in @buf (@n bytes): fills
 * @interp and @arg (empty if none). Returns 0, or -ENOEXEC if malformed.
 */
int loader_parse_shebang(const char *buf, size_t n, char *interp, size_t ilen,
			 char *arg, size_t alen);
