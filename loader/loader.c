/* loader.c - open, validate and map programs; scripts; initial stack */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "base/kmalloc.h"
#include "base/host.h"
#include "loader/loader.h"
#include "loader/stack.h"
#include "mm/usercopy.h"

#define BINPRM_BUF_SIZE 256
#define PAGE 4096ull

static int why_set(char *why, size_t whylen, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int why_set(char *why, size_t whylen, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return err;
}

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* see load_script() in fs/binfmt_script.c */
int loader_parse_shebang(const char *buf, size_t n, char *interp, size_t ilen,
			 char *arg, size_t alen)
{
	const char *end, *name, *sep, *a;

	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return -ENOEXEC;
	if (n > BINPRM_BUF_SIZE)
		n = BINPRM_BUF_SIZE;
	end = memchr(buf, '\n', n);
	if (!end && n < BINPRM_BUF_SIZE) {
		/* the whole file is the line (Linux zero-fills its buffer) */
		end = buf + n;
	} else if (!end) {
		const char *p = buf + 2, *last = buf + n - 1;

		/* no newline: accept only if the name is not cut off */
		while (p < last && spacetab(*p))
			p++;
		if (p >= last)
			return -ENOEXEC;
		while (p < last && !spacetab(*p) && *p)
			p++;
		if (p >= last)
			return -ENOEXEC;
		end = last;
	}
	/* a NUL ends the line early */
	{
		const char *z = memchr(buf, '\0', (size_t)(end - buf));

		if (z)
			end = z;
	}
	while (end > buf + 2 && spacetab(end[-1]))
		end--;
	name = buf + 2;
	while (name < end && spacetab(*name))
		name++;
	if (name >= end)
		return -ENOEXEC;
	sep = name;
	while (sep < end && !spacetab(*sep))
		sep++;
	if ((size_t)(sep - name) >= ilen)
		return -ENAMETOOLONG;
	memcpy(interp, name, (size_t)(sep - name));
	interp[sep - name] = '\0';
	a = sep;
	while (a < end && spacetab(*a))
		a++;
	if ((size_t)(end - a) >= alen)
		return -ENAMETOOLONG;
	memcpy(arg, a, (size_t)(end - a));
	arg[end - a] = '\0';
	return 0;
}

static void image_close(struct loader_image *im)
{
	if (im->map)
		host_munmap((void *)im->map, im->size ? im->size : 1);
	if (im->fd >= 0)
		host_close(im->fd);
	kfree(im->info);
	im->map = NULL;
	im->info = NULL;
	im->fd = -1;
}

/* open @path and map its contents; no format check yet */
static int image_open(const struct loader_ops *ops, const char *path,
		      struct loader_image *im, char *why, size_t whylen)
{
	struct stat st;
	long r;

	im->fd = ops->open(ops->ctx, path, im->path, sizeof(im->path));
	if (im->fd < 0) {
		int e = im->fd;

		im->fd = -1;
		if (e == -EISDIR) /* execve(2) says EACCES for a directory */
			return why_set(why, whylen, -EACCES,
				       "%s: Is a directory", path);
		return why_set(why, whylen, e, "%s: %s", path, strerror(-e));
	}
	r = host_fstat(im->fd, &st);
	if (r < 0)
		return why_set(why, whylen, (int)r, "%s: %s", path,
			       strerror((int)-r));
	if (S_ISDIR(st.st_mode))
		return why_set(why, whylen, -EACCES, "%s: Is a directory",
			       path);
	if (!S_ISREG(st.st_mode))
		return why_set(why, whylen, -EACCES, "%s: not a regular file",
			       path);
	im->size = (size_t)st.st_size;
	im->dev = st.st_dev;
	im->ino = st.st_ino;
	if (im->size == 0)
		return why_set(why, whylen, -ENOEXEC, "%s: empty file", path);
	/* private and writable so libelf may do as it likes; read lazily */
	r = host_mmap(NULL, im->size, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		      im->fd, 0);
	if (r < 0)
		return why_set(why, whylen, (int)r, "%s: cannot read: %s", path,
			       strerror((int)-r));
	im->map = (const uint8_t *)r;
	return 0;
}

static int image_validate(struct loader_image *im, const char *what, char *why,
			  size_t whylen)
{
	char reason[LOADER_WHY];
	int r;

	im->info = kmalloc(sizeof(*im->info));
	if (!im->info)
		return why_set(why, whylen, -ENOMEM, "out of memory");
	r = elf_validate(im->map, im->size, im->info, reason, sizeof(reason));
	if (r < 0)
		return why_set(why, whylen, r, "%s%s: %s", what, im->path,
			       reason);
	return 0;
}

static char **argv_dup(char *const argv[])
{
	size_t n = 0;
	char **v;

	while (argv[n])
		n++;
	v = kcalloc(n + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[i] = kstrdup(argv[i]);
		if (!v[i]) {
			while (i-- > 0)
				kfree(v[i]);
			kfree(v);
			return NULL;
		}
	}
	return v;
}

static void argv_free(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		kfree(v[i]);
	kfree(v);
}

/* argv of a script: interp [arg] filename argv[1..] */
static char **argv_for_script(char **old, const char *interp, const char *arg,
			      const char *filename)
{
	size_t n = 0, k = 0;
	char **v;

	while (old[n])
		n++;
	v = kcalloc(n + 4, sizeof(char *));
	if (!v)
		return NULL;
	v[k++] = kstrdup(interp);
	if (arg[0])
		v[k++] = kstrdup(arg);
	v[k++] = kstrdup(filename);
	for (size_t i = 1; i < n; i++)
		v[k++] = kstrdup(old[i]);
	for (size_t i = 0; i < k; i++) {
		if (!v[i]) {
			argv_free(v);
			return NULL;
		}
	}
	return v;
}

int loader_prepare(const struct loader_ops *ops, const char *filename,
		   char *const argv[], char *const envp[],
		   struct loader_prep *prep, char *why, size_t whylen)
{
	char path[PATH_MAX], script[PATH_MAX] = "";
	int r;

	memset(prep, 0, sizeof(*prep));
	prep->main.fd = prep->interp.fd = -1;
	prep->envp = envp;
	if (strlen(filename) >= sizeof(prep->execfn))
		return why_set(why, whylen, -ENAMETOOLONG, "name too long");
	strcpy(prep->execfn, filename);
	strcpy(path, filename);
	prep->argv = argv_dup(argv);
	if (!prep->argv)
		return why_set(why, whylen, -ENOMEM, "out of memory");

	for (int depth = 0;; depth++) {
		char interp[BINPRM_BUF_SIZE], arg[BINPRM_BUF_SIZE];
		char **nargv;

		r = image_open(ops, path, &prep->main, why, whylen);
		if (r < 0 && depth > 0)
			why_set(why, whylen, r, "%s: bad interpreter %s: %s",
				script, path, strerror(-r));
		/* it exists unless the path itself does not resolve */
		if (r != -ENOENT && r != -ENOTDIR)
			prep->found = true;
		if (r < 0)
			goto fail;
		if (prep->main.size < 2 || prep->main.map[0] != '#' ||
		    prep->main.map[1] != '!')
			break;
		if (depth == LOADER_MAX_DEPTH) {
			r = why_set(why, whylen, -ELOOP,
				    "%s: too many levels of #! interpreters",
				    path);
			goto fail;
		}
		r = loader_parse_shebang((const char *)prep->main.map,
					 prep->main.size, interp,
					 sizeof(interp), arg, sizeof(arg));
		if (r < 0) {
			why_set(why, whylen, r, "%s: bad #! line", path);
			goto fail;
		}
		nargv = argv_for_script(prep->argv, interp, arg, path);
		if (!nargv) {
			r = why_set(why, whylen, -ENOMEM, "out of memory");
			goto fail;
		}
		argv_free(prep->argv);
		prep->argv = nargv;
		image_close(&prep->main);
		strcpy(script, path);
		strcpy(path, interp);
	}

	if (!elf_has_magic(prep->main.map, prep->main.size)) {
		r = why_set(why, whylen, -ENOEXEC, "%s: " LOADER_UNKNOWN_FORMAT,
			    prep->main.path);
		goto fail;
	}
	r = image_validate(&prep->main, "", why, whylen);
	if (r < 0)
		goto fail;
	if (prep->main.info->has_interp) {
		const char *ip = prep->main.info->interp;

		r = image_open(ops, ip, &prep->interp, why, whylen);
		if (r < 0) {
			if (r == -ENOENT)
				why_set(why, whylen, r,
					"%s: interpreter %s not found",
					prep->main.path, ip);
			else
				why_set(why, whylen, r,
					"%s: interpreter %s: %s",
					prep->main.path, ip, strerror(-r));
			goto fail;
		}
		r = image_validate(&prep->interp, "interpreter ", why, whylen);
		if (r < 0)
			goto fail;
		if (prep->interp.info->has_interp) {
			r = why_set(why, whylen, -ELIBBAD,
				    "interpreter %s has an interpreter", ip);
			goto fail;
		}
	}
	return 0;
fail:
	loader_release(prep);
	return r;
}

void loader_release(struct loader_prep *prep)
{
	image_close(&prep->main);
	image_close(&prep->interp);
	argv_free(prep->argv);
	prep->argv = NULL;
}

static int prot_of(uint32_t pf)
{
	return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) |
	       (pf & PF_X ? PROT_EXEC : 0);
}

/*
 * Find room for an image of @span bytes aligned to @align: at @hint if
 * it is free, else top-down. Returns the address or -errno.
 */
static long place(struct mm *mm, uint64_t hint, uint64_t span, uint64_t align)
{
	long r = mm_mmap(mm, hint, span + align - PAGE, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0,
			 NULL);
	uint64_t a, start;

	if (r < 0)
		return r;
	a = (uint64_t)r;
	start = (a + align - 1) & ~(align - 1);
	if (start > a)
		mm_munmap(mm, a, start - a);
	if (start + span < a + span + align - PAGE)
		mm_munmap(mm, start + span,
			  a + span + align - PAGE - (start + span));
	return (long)start;
}

/* map the PT_LOAD segments of @im at @bias */
static int map_image(struct mm *mm, struct loader_image *im, uint64_t bias,
		     char *why, size_t whylen)
{
	const struct elf_info *in = im->info;
	struct vma_file *vf = vma_file_new(im->path, im->dev, im->ino);
	int r = 0;

	if (!vf)
		return why_set(why, whylen, -ENOMEM, "out of memory");
	for (int i = 0; i < in->phnum; i++) {
		const Elf64_Phdr *p = &in->phdrs[i];
		int prot = prot_of(p->p_flags);
		uint64_t va = bias + p->p_vaddr;
		uint64_t page = va & ~(PAGE - 1);
		uint64_t file_end = va + p->p_filesz;
		uint64_t mem_end = va + p->p_memsz;
		uint64_t anon_start = page;
		long m;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		if (p->p_filesz) {
			bool zero_tail = p->p_memsz > p->p_filesz &&
					 (file_end & (PAGE - 1));

			m = mm_mmap(mm, page, PAGE_ALIGN(file_end) - page,
				    prot | (zero_tail ? PROT_WRITE : 0),
				    MAP_PRIVATE | MAP_FIXED, im->fd,
				    p->p_offset - (va - page), vf);
			if (m < 0) {
				r = why_set(why, whylen, (int)m,
					    "%s: cannot map segment %d at "
					    "%#llx: %s",
					    im->path, i,
					    (unsigned long long)page,
					    strerror((int)-m));
				goto out;
			}
			if (zero_tail) {
				/* the bss starts inside the last file page */
				clear_user((void *)file_end,
					   PAGE_ALIGN(file_end) - file_end);
				if (!(prot & PROT_WRITE))
					mm_mprotect(mm, page,
						    PAGE_ALIGN(file_end) - page,
						    prot);
			}
			anon_start = PAGE_ALIGN(file_end);
		}
		if (PAGE_ALIGN(mem_end) > anon_start) {
			m = mm_mmap(mm, anon_start,
				    PAGE_ALIGN(mem_end) - anon_start, prot,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				    0, NULL);
			if (m < 0) {
				r = why_set(why, whylen, (int)m,
					    "%s: cannot map bss of segment %d: "
					    "%s",
					    im->path, i, strerror((int)-m));
				goto out;
			}
		}
	}
out:
	vma_file_put(vf);
	return r;
}

/* unmap the PROT_NONE holes left between segments by place() */
static void trim_holes(struct mm *mm, struct loader_image *im, uint64_t bias)
{
	const struct elf_info *in = im->info;
	uint64_t at = bias + in->lo;

	for (int i = 0; i < in->phnum; i++) {
		const Elf64_Phdr *p = &in->phdrs[i];
		uint64_t s, e;

		if (p->p_type != PT_LOAD || p->p_memsz == 0)
			continue;
		s = (bias + p->p_vaddr) & ~(PAGE - 1);
		e = PAGE_ALIGN(bias + p->p_vaddr + p->p_memsz);
		if (s > at)
			mm_munmap(mm, at, s - at);
		if (e > at)
			at = e;
	}
}

static long load_one(struct mm *mm, struct loader_image *im, uint64_t hint,
		     char *why, size_t whylen)
{
	const struct elf_info *in = im->info;
	uint64_t bias = 0;
	int r;

	if (in->type == ET_DYN) {
		long start = place(mm, hint, in->hi - in->lo, in->max_align);

		if (start < 0)
			return why_set(why, whylen, (int)start,
				       "%s: no room for the image", im->path);
		bias = (uint64_t)start - in->lo;
	} else if (mm_release_pinned(mm, in->lo & ~(PAGE - 1),
				     PAGE_ALIGN(in->hi)) < 0) {
		return why_set(why, whylen, -ENOMEM,
			       "%s: its fixed address range holds the vDSO",
			       im->path);
	}
	r = map_image(mm, im, bias, why, whylen);
	if (r < 0)
		return r;
	if (in->type == ET_DYN)
		trim_holes(mm, im, bias);
	return (long)bias;
}

static void code_data_bounds(struct mm *mm, const struct elf_info *in,
			     uint64_t bias)
{
	mm->start_code = UINT64_MAX;
	for (int i = 0; i < in->phnum; i++) {
		const Elf64_Phdr *p = &in->phdrs[i];
		uint64_t s = bias + p->p_vaddr, e = s + p->p_filesz;

		if (p->p_type != PT_LOAD)
			continue;
		if (p->p_flags & PF_X) {
			if (s < mm->start_code)
				mm->start_code = s;
			if (e > mm->end_code)
				mm->end_code = e;
		} else if (p->p_flags & PF_W) {
			if (!mm->start_data || s < mm->start_data)
				mm->start_data = s;
			if (e > mm->end_data)
				mm->end_data = e;
		}
	}
	if (mm->start_code == UINT64_MAX)
		mm->start_code = 0;
}

static size_t strv_bytes(char *const v[], size_t *count)
{
	size_t n = 0, c = 0;

	for (; v[c]; c++)
		n += strlen(v[c]) + 1;
	*count = c;
	return n;
}

int loader_commit(struct mm *mm, struct loader_prep *prep,
		  const struct loader_creds *cr, struct load_result *res,
		  char *why, size_t whylen)
{
	struct elf_info *mi = prep->main.info;
	struct auxv_in av = {0};
	struct stack_out so;
	uint64_t stack_size, stack_end, stack_start, brk, img_size;
	size_t argc, envc, strbytes;
	uint8_t rnd[16];
	uint8_t *img;
	long bias, ibias = 0, m;
	int r;

	/* the stack at the top of the region; mmaps start below it */
	stack_size = cr->stack_limit;
	if (stack_size < (128 << 10))
		stack_size = 128 << 10;
	if (stack_size > (1ull << 30))
		stack_size = 1ull << 30;
	stack_size = PAGE_ALIGN(stack_size);
	stack_end = mm->region_end - PAGE - mm_random_offset(1ull << 28);
	stack_start = stack_end - stack_size;
	m = mm_mmap(mm, stack_start, stack_size,
		    PROT_READ | PROT_WRITE | (mi->exec_stack ? PROT_EXEC : 0),
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
		    0, NULL);
	if (m < 0)
		return why_set(why, whylen, (int)m, "cannot map the stack");
	spin_lock(&mm->lock);
	vma_set_flags(&mm->vs, stack_start, stack_end, VMA_STACK, 0);
	spin_unlock(&mm->lock);
	mm->stack_start = stack_start;
	mm->stack_end = stack_end;
	mm->mmap_base =
		stack_start - (128ull << 20) - mm_random_offset(1ull << 28);

	/* the program, at a fixed address or a randomized base */
	bias = load_one(mm, &prep->main,
			mm->region_start + (4ull << 30) +
				mm_random_offset(1ull << 30),
			why, whylen);
	if (bias < 0)
		return (int)bias;
	if (prep->interp.info) {
		ibias = load_one(mm, &prep->interp, 0, why, whylen);
		if (ibias < 0)
			return (int)ibias;
	}
	code_data_bounds(mm, mi, (uint64_t)bias);

	/* brk starts after the program's bss, randomized like Linux */
	brk = PAGE_ALIGN((uint64_t)bias + mi->hi) +
	      mm_random_offset(0x02000000);
	mm_set_brk_start(mm, brk);

	/* the initial stack */
	strbytes =
		strv_bytes(prep->argv, &argc) + strv_bytes(prep->envp, &envc);
	if (strbytes > stack_size / 4)
		return why_set(why, whylen, -E2BIG, "argument list too long");
	img_size = (strbytes + strlen(prep->execfn) + 8192 + 256 +
		    (argc + envc + 64) * 8 + 15) &
		   ~15ull;
	img = kmalloc(img_size);
	if (!img)
		return why_set(why, whylen, -ENOMEM, "out of memory");
	host_getrandom(rnd, sizeof(rnd), 0);
	av.sysinfo_ehdr = getauxval(AT_SYSINFO_EHDR);
	av.minsigstksz = getauxval(51 /* AT_MINSIGSTKSZ */);
	av.hwcap = getauxval(AT_HWCAP);
	av.hwcap2 = getauxval(AT_HWCAP2);
	av.phdr = (uint64_t)bias + mi->phdr_vaddr; /* Linux: bias if none */
	av.phent = sizeof(Elf64_Phdr);
	av.phnum = mi->phnum;
	av.base = (uint64_t)ibias;
	av.entry = (uint64_t)bias + mi->entry;
	av.uid = cr->uid;
	av.euid = cr->euid;
	av.gid = cr->gid;
	av.egid = cr->egid;
	av.rseq_feature_size = getauxval(27);
	av.rseq_align = getauxval(28);
	r = stack_build(stack_end, mm_random_offset(8192) & 0x1ff0, prep->argv,
			prep->envp, prep->execfn, rnd, &av, img, img_size, &so);
	if (r == 0 &&
	    copy_to_user((void *)so.sp, img + img_size - (stack_end - so.sp),
			 stack_end - so.sp) < 0)
		r = -EFAULT;
	kfree(img);
	if (r < 0)
		return why_set(why, whylen, r, "cannot build the stack: %s",
			       strerror(-r));

	mm->arg_start = so.arg_start;
	mm->arg_end = so.arg_end;
	mm->env_start = so.env_start;
	mm->env_end = so.env_end;
	memcpy(mm->auxv, so.auxv, so.auxv_words * 8);
	mm->auxv_words = so.auxv_words;

	res->sp = so.sp;
	res->bias = (uint64_t)bias;
	res->interp_bias = (uint64_t)ibias;
	res->entry = prep->interp.info
			     ? (uint64_t)ibias + prep->interp.info->entry
			     : (uint64_t)bias + mi->entry;
	return 0;
}
