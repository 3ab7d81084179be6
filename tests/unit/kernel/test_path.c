/* test_path.c - lexical path normalization */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include <criterion/criterion.h>

#include "kernel/vfs.h"

#define CANARY 0xa5
#define SLACK 64

/* the output buffer, with SLACK bytes after any size we pass */
static char out[PATH_MAX + SLACK];

static void setup(void)
{
	memset(out, CANARY, sizeof(out));
}

static void teardown(void)
{
}

TestSuite(path, .init = setup, .fini = teardown);

/* nothing may be written at or past out[n] */
static void check_bounds(size_t n)
{
	for (size_t i = n; i < n + SLACK && i < sizeof(out); i++)
		cr_assert_eq((unsigned char)out[i], CANARY,
			     "byte %zu written past the %zu-byte buffer", i, n);
}

static void norm_ok(const char *base, const char *path, const char *want)
{
	int r = path_normalize(base, path, out, PATH_MAX);

	cr_assert_eq(r, (int)strlen(want),
		     "path_normalize(\"%s\", \"%s\") = %d, want \"%s\"", base,
		     path, r, want);
	cr_assert_str_eq(out, want, "path_normalize(\"%s\", \"%s\")", base,
			 path);
	check_bounds(PATH_MAX);
}

Test(path, absolute_ignores_base)
{
	norm_ok("/home/u", "/etc/passwd", "/etc/passwd");
	norm_ok("/", "/", "/");
	norm_ok("/x", "/", "/");
}

Test(path, relative_joins_base)
{
	norm_ok("/home/u", "x/y", "/home/u/x/y");
	norm_ok("/", "a", "/a");
	norm_ok("/home/u/", "x", "/home/u/x");
	norm_ok("//home//./u/", "x", "/home/u/x");
}

Test(path, empty_relative_path_is_base)
{
	norm_ok("/home/u", "", "/home/u");
	norm_ok("/", "", "/");
}

Test(path, dot)
{
	norm_ok("/a/b", ".", "/a/b");
	norm_ok("/a/b", "./", "/a/b");
	norm_ok("/", "/.", "/");
	norm_ok("/", "/./a/./b/.", "/a/b");
	norm_ok("/", "/a/././././b", "/a/b");
}

Test(path, dotdot)
{
	norm_ok("/a/b", "..", "/a");
	norm_ok("/a/b", "../..", "/");
	norm_ok("/a/b", "../../..", "/");
	norm_ok("/a/b", "../c", "/a/c");
	norm_ok("/a/b", "c/../../d", "/a/d");
	norm_ok("/", "/a/b/c/../../d", "/a/d");
	norm_ok("/", "/a/..", "/");
	norm_ok("/", "/a/../", "/");
}

Test(path, dotdot_at_root)
{
	norm_ok("/", "/..", "/");
	norm_ok("/", "/../..", "/");
	norm_ok("/", "/../a", "/a");
	norm_ok("/", "../a", "/a");
	norm_ok("/x", "/../../x/../y", "/y");
}

Test(path, names_that_only_look_like_dots)
{
	norm_ok("/", "/...", "/...");
	norm_ok("/", "/.a/..b/c.", "/.a/..b/c.");
	norm_ok("/", "/a../.b.", "/a../.b.");
	norm_ok("/", "/.../..", "/");
}

Test(path, repeated_and_trailing_slashes)
{
	norm_ok("/", "//a///b//", "/a/b");
	norm_ok("/", "////", "/");
	norm_ok("/", "/a/b/", "/a/b");
	norm_ok("/c", "a//b/", "/c/a/b");
}

/* @want and its NUL fill exactly @want + 1 bytes: accepted */
static void exact_fit(const char *base, const char *path, const char *want)
{
	size_t n = strlen(want) + 1;
	int r;

	setup();
	r = path_normalize(base, path, out, n);
	check_bounds(n);
	cr_expect_eq(r, (int)n - 1,
		     "path_normalize(\"%s\", \"%s\", %zu bytes) = %d: "
		     "\"%s\" exactly fits",
		     base, path, n, r, want);
	if (r == (int)n - 1)
		cr_expect_str_eq(out, want);
}

Test(path, exactly_fitting_output)
{
	exact_fit("/", "/abc", "/abc");
	exact_fit("/x", "y", "/x/y");
	exact_fit("/", "/.", "/");
	exact_fit("/", "/a/b/..", "/a");
}

Test(path, exactly_fitting_path_max)
{
	char path[PATH_MAX];

	/* "/" + 4094 letters: 4095 characters and the NUL */
	path[0] = '/';
	memset(path + 1, 'a', PATH_MAX - 2);
	path[PATH_MAX - 1] = '\0';
	cr_expect_eq(path_normalize("/", path, out, PATH_MAX), PATH_MAX - 1,
		     "a path of PATH_MAX - 1 characters was refused");
	cr_expect(strcmp(out, path) == 0, "the output differs");
	check_bounds(PATH_MAX);
}

Test(path, too_long)
{
	char path[PATH_MAX + 1];

	cr_assert_eq(path_normalize("/", "/abc", out, 4), -ENAMETOOLONG);
	check_bounds(4);
	setup();
	cr_assert_eq(path_normalize("/", "/abcdef/gh", out, 8), -ENAMETOOLONG);
	check_bounds(8);
	setup();
	cr_assert_eq(path_normalize("/abcdef", "gh", out, 8), -ENAMETOOLONG);
	check_bounds(8);
	setup();
	cr_assert_eq(path_normalize("/", "/", out, 1), -ENAMETOOLONG);
	check_bounds(1);
	setup();
	cr_assert_eq(path_normalize("/", "/", out, 0), -ENAMETOOLONG);
	check_bounds(0);

	setup();
	path[0] = '/';
	memset(path + 1, 'a', PATH_MAX - 1);
	path[PATH_MAX] = '\0';
	cr_assert_eq(path_normalize("/", path, out, PATH_MAX), -ENAMETOOLONG);
	check_bounds(PATH_MAX);
}

Test(path, too_long_never_overruns)
{
	/* every size from 0 up: either the exact result or -ENAMETOOLONG */
	static const char *const cases[][3] = {
		{"/", "/a/bb/ccc", "/a/bb/ccc"},
		{"/base/dir", "x/../yy/./z", "/base/dir/yy/z"},
		{"/", "/../a//b/", "/a/b"},
		{"/a", ".", "/a"},
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		size_t want = strlen(cases[c][2]);

		for (size_t n = 0; n <= want + 3; n++) {
			int r;

			setup();
			r = path_normalize(cases[c][0], cases[c][1], out, n);
			check_bounds(n);
			if (n <= want) {
				cr_assert_eq(r, -ENAMETOOLONG,
					     "case %zu size %zu: %d", c, n, r);
				continue;
			}
			if (r < 0)
				continue; /* exact fits: see the tests above */
			cr_assert_eq(r, (int)want, "case %zu size %zu", c, n);
			cr_assert_str_eq(out, cases[c][2]);
		}
		setup();
		cr_assert_eq(
			path_normalize(cases[c][0], cases[c][1], out, want + 2),
			(int)want, "case %zu with one byte to spare", c);
	}
}

Test(path, under)
{
	cr_assert(path_under("/proc", "/proc"));
	cr_assert(path_under("/proc/self/maps", "/proc"));
	cr_assert(path_under("/proc/", "/proc"));
	cr_assert_not(path_under("/procfs", "/proc"));
	cr_assert_not(path_under("/pro", "/proc"));
	cr_assert_not(path_under("/", "/proc"));
	cr_assert_not(path_under("/dev", "/proc"));
	cr_assert_not(path_under("/x/proc", "/proc"));
	cr_assert(path_under("/dev/null", "/dev"));
	cr_assert(path_under("/", "/"));
}

Test(path, under_root)
{
	cr_expect(path_under("/proc", "/"), "everything is under \"/\"");
	cr_expect(path_under("/a/b", "/"), "everything is under \"/\"");
}
