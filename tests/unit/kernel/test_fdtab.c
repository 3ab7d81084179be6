/* test_fdtab.c - fd tables: allocation, limits, close, cloexec, refcounts */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "kernel/vfs.h"

#include "helpers.h"

#define FDTAB_MAX (1u << 20) /* fdtab.c: Linux's fs.nr_open default */
#define MAX_FILES 8192

/*
 * Leaks are caught by counting releases, not with kmalloc_in_use(): with
 * %gs on a kthread, kfree() keeps blocks in its cache, still counted.
 */
static struct fdtab *t;
static unsigned nr_alloc;
static unsigned releases[MAX_FILES]; /* by file id (f->priv) */

static void count_release(struct file *f)
{
	unsigned id = (unsigned)(uintptr_t)f->priv;

	cr_assert_lt(id, nr_alloc, "release of an unknown file");
	releases[id]++;
	cr_assert_eq(releases[id], 1, "file %u released twice", id);
}

static const struct file_ops dummy_ops = {
	.release = count_release,
};

/* a new file with one reference, numbered in f->priv */
static struct file *mkfile(void)
{
	struct file *f;

	cr_assert_lt(nr_alloc, MAX_FILES);
	f = file_alloc(&dummy_ops, FS_ANON, O_RDWR, -1, NULL);
	cr_assert_not_null(f);
	f->priv = (void *)(uintptr_t)nr_alloc++;
	return f;
}

static unsigned id_of(const struct file *f)
{
	return (unsigned)(uintptr_t)f->priv;
}

static unsigned nr_released(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < nr_alloc; i++)
		n += releases[i];
	return n;
}

static int install(int minfd)
{
	return fdtab_install(t, mkfile(), minfd, false, UINT_MAX);
}

static void setup(void)
{
	unit_kthread_setup();
	nr_alloc = 0;
	memset(releases, 0, sizeof(releases));
	t = fdtab_new();
	cr_assert_not_null(t);
	cr_assert_eq(t->refs, 1);
}

/* dropping the table must release every file exactly once */
static void teardown(void)
{
	fdtab_put(t);
	t = NULL;
	cr_expect_eq(nr_released(), nr_alloc, "%u of %u files leaked",
		     nr_alloc - nr_released(), nr_alloc);
	for (unsigned i = 0; i < nr_alloc; i++)
		cr_expect_eq(releases[i], 1, "file %u released %u times", i,
			     releases[i]);
	unit_kthread_teardown();
}

TestSuite(fdtab, .init = setup, .fini = teardown);

Test(fdtab, empty_table)
{
	cr_assert_eq(fdtab_count_open(t), 0);
	cr_assert_null(fdtab_get(t, 0));
	cr_assert_null(fdtab_get(t, -1));
	cr_assert_null(fdtab_get(t, INT_MAX));
	cr_assert_eq(fdtab_close(t, 0), -EBADF);
	cr_assert_eq(fdtab_close(t, -1), -EBADF);
	cr_assert_eq(fdtab_get_cloexec(t, 0), -EBADF);
	cr_assert_eq(fdtab_set_cloexec(t, 0, true), -EBADF);
	cr_assert_eq(fdtab_close_range(t, 0, UINT_MAX, false), 0);
	fdtab_close_on_exec(t);
}

Test(fdtab, lowest_free_fd)
{
	cr_assert_eq(install(0), 0);
	cr_assert_eq(install(0), 1);
	cr_assert_eq(install(0), 2);
	cr_assert_eq(install(0), 3);
	cr_assert_eq(fdtab_close(t, 1), 0);
	cr_assert_eq(fdtab_close(t, 2), 0);
	cr_assert_eq(install(0), 1);
	cr_assert_eq(install(0), 2);
	cr_assert_eq(install(0), 4);
	cr_assert_eq(fdtab_count_open(t), 5);
}

Test(fdtab, minfd)
{
	cr_assert_eq(install(5), 5);
	cr_assert_eq(install(5), 6);
	cr_assert_eq(install(0), 0);
	cr_assert_eq(install(3), 3);
	cr_assert_eq(install(2), 2);
	cr_assert_eq(install(2), 4);
	cr_assert_eq(install(2), 7);
	cr_assert_eq(fdtab_count_open(t), 8);
	cr_assert_null(fdtab_get(t, 1));
}

Test(fdtab, failed_install_does_not_consume_the_file)
{
	struct file *f = mkfile();

	cr_assert_eq(fdtab_install(t, f, -1, false, 10), -EINVAL);
	cr_assert_eq(fdtab_install(t, f, 10, false, 10), -EMFILE);
	cr_assert_eq(fdtab_install(t, f, 0, false, 0), -EMFILE);
	cr_assert_eq(fdtab_install_at(t, f, 10, false, 10), -EBADF);
	cr_assert_eq(fdtab_install_at(t, f, -1, false, 10), -EBADF);
	cr_assert_eq(f->refs, 1);
	cr_assert_eq(fdtab_count_open(t), 0);
	file_put(f);
	cr_assert_eq(releases[0], 1);
}

Test(fdtab, limit_gives_emfile)
{
	struct file *f;

	for (int i = 0; i < 3; i++)
		cr_assert_eq(fdtab_install(t, mkfile(), 0, false, 3), i);
	f = mkfile();
	cr_assert_eq(fdtab_install(t, f, 0, false, 3), -EMFILE);
	cr_assert_eq(fdtab_install(t, f, 2, false, 3), -EMFILE);
	/* a higher limit lets it in; a hole below the limit is reused */
	cr_assert_eq(fdtab_install(t, f, 0, false, 4), 3);
	cr_assert_eq(fdtab_close(t, 1), 0);
	cr_assert_eq(fdtab_install(t, mkfile(), 0, false, 3), 1);
	f = mkfile();
	cr_assert_eq(fdtab_install(t, f, 0, false, 4), -EMFILE);
	file_put(f);
}

Test(fdtab, limit_clamped_to_nr_open)
{
	struct file *f = mkfile();

	cr_assert_eq(fdtab_install(t, f, (int)FDTAB_MAX, false, UINT_MAX),
		     -EMFILE);
	cr_assert_eq(fdtab_install(t, f, (int)FDTAB_MAX - 1, false, UINT_MAX),
		     (int)FDTAB_MAX - 1);
	cr_assert_eq(fdtab_count_open(t), (int)FDTAB_MAX);
	f = mkfile();
	cr_assert_eq(fdtab_install(t, f, (int)FDTAB_MAX - 1, false, UINT_MAX),
		     -EMFILE, "the last fd is taken");
	cr_assert_eq(fdtab_install(t, f, INT_MAX, false, UINT_MAX), -EMFILE);
	cr_assert_eq(fdtab_install_at(t, f, (int)FDTAB_MAX, false, UINT_MAX),
		     -EBADF);
	cr_assert_eq(fdtab_install_at(t, f, INT_MAX, false, UINT_MAX), -EBADF);
	file_put(f);
}

Test(fdtab, large_fd)
{
	struct file *f = mkfile(), *g;
	unsigned id = id_of(f);

	cr_assert_eq(fdtab_install(t, f, 100000, true, UINT_MAX), 100000);
	cr_assert_geq(t->cap, 100001);
	cr_assert_eq(fdtab_count_open(t), 100001);
	g = fdtab_get(t, 100000);
	cr_assert_eq(g, f);
	cr_assert_eq(f->refs, 2);
	file_put(g);
	cr_assert_null(fdtab_get(t, 99999));
	cr_assert_null(fdtab_get(t, 100001));
	cr_assert_eq(fdtab_get_cloexec(t, 100000), 1);
	cr_assert_eq(install(0), 0, "the lowest fd is still free");
	cr_assert_eq(fdtab_close(t, 100000), 0);
	cr_assert_eq(releases[id], 1);
	cr_assert_eq(fdtab_count_open(t), 1);
}

Test(fdtab, install_at_replaces)
{
	struct file *a = mkfile(), *b = mkfile(), *g;
	unsigned ia = id_of(a), ib = id_of(b);

	cr_assert_eq(fdtab_install_at(t, a, 4, true, UINT_MAX), 4);
	cr_assert_eq(fdtab_count_open(t), 5);
	cr_assert_eq(fdtab_get_cloexec(t, 4), 1);
	cr_assert_eq(fdtab_install_at(t, b, 4, false, UINT_MAX), 4);
	cr_assert(releases[ia], "the replaced file is closed");
	cr_assert_not(releases[ib]);
	cr_assert_eq(fdtab_get_cloexec(t, 4), 0, "cloexec is the new one's");
	g = fdtab_get(t, 4);
	cr_assert_eq(g, b);
	file_put(g);
	/* dup2(fd, fd)-like: the same file again, with a new reference */
	cr_assert_eq(fdtab_install_at(t, file_get(b), 4, false, UINT_MAX), 4);
	cr_assert_eq(b->refs, 1);
	cr_assert_not(releases[ib]);
	cr_assert_eq(fdtab_install_at(t, mkfile(), 100000, false, 100001),
		     100000);
	cr_assert_eq(fdtab_install_at(t, mkfile(), 0, false, 1), 0);
	cr_assert_eq(fdtab_count_open(t), 100001);
	cr_assert_eq(install(0), 1);
}

Test(fdtab, get_takes_a_reference)
{
	struct file *f = mkfile(), *g;

	cr_assert_eq(fdtab_install(t, f, 0, false, UINT_MAX), 0);
	g = fdtab_get(t, 0);
	cr_assert_eq(g, f);
	cr_assert_eq(f->refs, 2);
	cr_assert_eq(fdtab_close(t, 0), 0);
	cr_assert_eq(releases[0], 0, "the get reference keeps it alive");
	cr_assert_null(fdtab_get(t, 0));
	file_put(g);
	cr_assert_eq(releases[0], 1);
}

Test(fdtab, close_twice)
{
	cr_assert_eq(install(0), 0);
	cr_assert_eq(fdtab_close(t, 0), 0);
	cr_assert_eq(fdtab_close(t, 0), -EBADF);
	cr_assert_eq(fdtab_close(t, 1), -EBADF);
	cr_assert_eq(fdtab_close(t, INT_MAX), -EBADF);
	cr_assert_eq(fdtab_count_open(t), 0);
}

Test(fdtab, close_range_inclusive)
{
	for (int i = 0; i < 10; i++)
		cr_assert_eq(install(0), i);
	cr_assert_eq(fdtab_close_range(t, 3, 5, false), 0);
	for (int i = 0; i < 10; i++) {
		struct file *g = fdtab_get(t, i);

		cr_assert_eq(g == NULL, i >= 3 && i <= 5, "fd %d", i);
		file_put(g);
	}
	cr_assert_eq(nr_released(), 3);
	cr_assert_eq(fdtab_close_range(t, 8, 2, false), 0, "lo > hi: none");
	cr_assert_eq(nr_released(), 3);
	cr_assert_eq(fdtab_close_range(t, 9, 9, false), 0);
	cr_assert_eq(fdtab_count_open(t), 9);
	cr_assert_eq(fdtab_close_range(t, 1000, UINT_MAX, false), 0);
	cr_assert_eq(fdtab_close_range(t, 0, UINT_MAX, false), 0);
	cr_assert_eq(fdtab_count_open(t), 0);
	cr_assert_eq(nr_released(), 10);
}

Test(fdtab, close_range_cloexec_only)
{
	for (int i = 0; i < 4; i++)
		cr_assert_eq(install(0), i);
	cr_assert_eq(fdtab_close_range(t, 1, 2, true), 0);
	cr_assert_eq(nr_released(), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 0), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 1), 1);
	cr_assert_eq(fdtab_get_cloexec(t, 2), 1);
	cr_assert_eq(fdtab_get_cloexec(t, 3), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 4), -EBADF, "free fds stay free");
	cr_assert_eq(fdtab_close_range(t, 0, UINT_MAX, true), 0);
	cr_assert_eq(fdtab_count_open(t), 4);
	fdtab_close_on_exec(t);
	cr_assert_eq(fdtab_count_open(t), 0);
	cr_assert_eq(nr_released(), 4);
}

Test(fdtab, close_range_large_fds)
{
	cr_assert_eq(fdtab_install(t, mkfile(), 100000, false, UINT_MAX),
		     100000);
	cr_assert_eq(fdtab_install(t, mkfile(), 70000, false, UINT_MAX), 70000);
	cr_assert_eq(fdtab_close_range(t, 70001, 100000, false), 0);
	cr_assert_eq(fdtab_count_open(t), 70001);
	cr_assert_eq(fdtab_close_range(t, 0, 70000, false), 0);
	cr_assert_eq(fdtab_count_open(t), 0);
}

Test(fdtab, close_on_exec)
{
	cr_assert_eq(fdtab_install(t, mkfile(), 0, true, UINT_MAX), 0);
	cr_assert_eq(fdtab_install(t, mkfile(), 0, false, UINT_MAX), 1);
	cr_assert_eq(fdtab_install(t, mkfile(), 0, true, UINT_MAX), 2);
	cr_assert_eq(fdtab_install(t, mkfile(), 99999, true, UINT_MAX), 99999);
	cr_assert_eq(fdtab_install(t, mkfile(), 5, false, UINT_MAX), 5);
	fdtab_close_on_exec(t);
	cr_assert_eq(nr_released(), 3);
	cr_assert_eq(releases[0] + releases[2] + releases[3], 3);
	cr_assert_eq(fdtab_count_open(t), 6);
	cr_assert_eq(fdtab_get_cloexec(t, 1), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 5), 0);
	fdtab_close_on_exec(t);
	cr_assert_eq(nr_released(), 3);
}

Test(fdtab, cloexec_get_set)
{
	cr_assert_eq(install(0), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 0), 0);
	cr_assert_eq(fdtab_set_cloexec(t, 0, true), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 0), 1);
	cr_assert_eq(fdtab_set_cloexec(t, 0, false), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 0), 0);
	cr_assert_eq(fdtab_set_cloexec(t, 1, true), -EBADF);
	cr_assert_eq(fdtab_set_cloexec(t, -1, true), -EBADF);
	cr_assert_eq(fdtab_get_cloexec(t, -1), -EBADF);
	cr_assert_eq(fdtab_get_cloexec(t, INT_MAX), -EBADF);
	/* a closed fd forgets its flag */
	cr_assert_eq(fdtab_set_cloexec(t, 0, true), 0);
	cr_assert_eq(fdtab_close(t, 0), 0);
	cr_assert_eq(install(0), 0);
	cr_assert_eq(fdtab_get_cloexec(t, 0), 0);
}

Test(fdtab, count_open_is_highest_plus_one)
{
	cr_assert_eq(fdtab_install(t, mkfile(), 7, false, UINT_MAX), 7);
	cr_assert_eq(fdtab_count_open(t), 8);
	cr_assert_eq(install(0), 0);
	cr_assert_eq(fdtab_count_open(t), 8);
	cr_assert_eq(fdtab_close(t, 7), 0);
	cr_assert_eq(fdtab_count_open(t), 1);
}

Test(fdtab, dup_shares_files)
{
	struct fdtab *n;
	struct file *f = mkfile();

	cr_assert_eq(fdtab_install(t, f, 0, false, UINT_MAX), 0);
	cr_assert_eq(fdtab_install(t, mkfile(), 0, true, UINT_MAX), 1);
	cr_assert_eq(fdtab_install(t, mkfile(), 200, false, UINT_MAX), 200);
	n = fdtab_dup(t);
	cr_assert_not_null(n);
	cr_assert_eq(n->refs, 1);
	cr_assert_eq(f->refs, 2);
	cr_assert_eq(fdtab_count_open(n), 201);
	cr_assert_eq(fdtab_get_cloexec(n, 0), 0);
	cr_assert_eq(fdtab_get_cloexec(n, 1), 1);
	cr_assert_eq(fdtab_get_cloexec(n, 200), 0);
	/* independent tables from now on */
	cr_assert_eq(fdtab_close(n, 0), 0);
	cr_assert_eq(nr_released(), 0);
	cr_assert_eq(f->refs, 1);
	cr_assert_eq(fdtab_install(n, mkfile(), 0, false, UINT_MAX), 0);
	cr_assert_eq(fdtab_get(t, 0), f);
	file_put(f);
	fdtab_set_cloexec(t, 200, true);
	cr_assert_eq(fdtab_get_cloexec(n, 200), 0);
	fdtab_put(n);
	cr_assert_eq(nr_released(), 1, "only the file n alone held");
}

Test(fdtab, dup_empty_table)
{
	struct fdtab *n = fdtab_dup(t);

	cr_assert_not_null(n);
	cr_assert_eq(fdtab_count_open(n), 0);
	cr_assert_eq(fdtab_install(n, mkfile(), 0, false, UINT_MAX), 0);
	cr_assert_eq(fdtab_count_open(t), 0);
	fdtab_put(n);
	cr_assert_eq(nr_released(), 1);
}

Test(fdtab, put_with_shared_references)
{
	cr_assert_eq(install(0), 0);
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED); /* CLONE_FILES */
	fdtab_put(t);
	cr_assert_eq(nr_released(), 0, "a shared table stays");
	cr_assert_eq(fdtab_count_open(t), 1);
	fdtab_put(NULL);
}

Test(fdtab, many_files)
{
	for (int i = 0; i < 3000; i++)
		cr_assert_eq(install(0), i);
	for (int i = 0; i < 3000; i += 2)
		cr_assert_eq(fdtab_close(t, i), 0);
	for (int i = 0; i < 3000; i += 2)
		cr_assert_eq(install(0), i);
	cr_assert_eq(fdtab_count_open(t), 3000);
}

/* ---- the file object itself ---- */

Test(fdtab, file_refcount_and_path)
{
	struct file *f = file_alloc(&dummy_ops, FS_HOST, O_RDONLY, -1, "/a/bc");
	char buf[8];

	cr_assert_not_null(f);
	f->priv = (void *)(uintptr_t)nr_alloc++;
	cr_assert_eq(f->refs, 1);
	cr_assert_eq(f->fs, FS_HOST);
	cr_assert_eq(f->oflags, O_RDONLY);
	cr_assert_str_eq(f->path, "/a/bc");
	cr_assert_eq(file_dpath(f, buf, sizeof(buf)), 5);
	cr_assert_str_eq(buf, "/a/bc");
	cr_assert_eq(file_dpath(f, buf, 6), 5, "exactly fits");
	cr_assert_eq(file_dpath(f, buf, 5), -ENAMETOOLONG);
	cr_assert_eq(file_dpath(f, buf, 0), -ENAMETOOLONG);
	cr_assert_eq(file_get(f), f);
	file_put(f);
	cr_assert_eq(releases[0], 0);
	file_put(f);
	cr_assert_eq(releases[0], 1);
	file_put(NULL);
}

Test(fdtab, file_without_path)
{
	struct file *f = mkfile();
	char buf[8];

	cr_assert_null(f->path);
	cr_assert_eq(file_dpath(f, buf, sizeof(buf)), -ENOENT);
	file_put(f);
}
