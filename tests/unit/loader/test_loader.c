/* test_loader.c - the "#!" line parser (see fs/binfmt_script.c) */
#include <errno.h>
#include <string.h>

#include <criterion/criterion.h>

#include "loader/loader.h"

#define BINPRM_BUF_SIZE 256 /* what Linux reads of a script */
#define FILL 'Z'

static char interp[512], arg[512];

static void setup(void)
{
	memset(interp, FILL, sizeof(interp));
	memset(arg, FILL, sizeof(arg));
}

static void teardown(void)
{
}

TestSuite(loader, .init = setup, .fini = teardown);

static int parse_n(const char *buf, size_t n)
{
	return loader_parse_shebang(buf, n, interp, sizeof(interp), arg,
				    sizeof(arg));
}

static int parse(const char *buf)
{
	return parse_n(buf, strlen(buf));
}

static void ok_n(const char *buf, size_t n, const char *want_interp,
		 const char *want_arg)
{
	int r = parse_n(buf, n);

	cr_assert_eq(r, 0, "\"%.*s\" refused (%d)", (int)n, buf, r);
	cr_assert_str_eq(interp, want_interp, "interpreter of \"%.*s\"", (int)n,
			 buf);
	cr_assert_str_eq(arg, want_arg, "argument of \"%.*s\"", (int)n, buf);
}

static void ok(const char *buf, const char *want_interp, const char *want_arg)
{
	ok_n(buf, strlen(buf), want_interp, want_arg);
}

Test(loader, interpreter_only)
{
	ok("#!/bin/sh\n", "/bin/sh", "");
	ok("#!/bin/sh\necho hi\n", "/bin/sh", "");
	ok("#! /bin/sh\n", "/bin/sh", "");
}

Test(loader, interpreter_and_argument)
{
	ok("#!/bin/sh -x\n", "/bin/sh", "-x");
	ok("#!/usr/bin/env python3\n", "/usr/bin/env", "python3");
	/* one argument: inner blanks are part of it, as on Linux */
	ok("#!/usr/bin/env python3 -u -v\n", "/usr/bin/env", "python3 -u -v");
	ok("#!/bin/sh -a   b\n", "/bin/sh", "-a   b");
	ok("#!/bin/sh   -x\n", "/bin/sh", "-x");
}

Test(loader, tabs)
{
	ok("#!\t/bin/sh\t-x\n", "/bin/sh", "-x");
	ok("#!/bin/sh\t\t-x\t-y\n", "/bin/sh", "-x\t-y");
	ok("#! \t /bin/sh \t \n", "/bin/sh", "");
}

Test(loader, trailing_whitespace)
{
	ok("#!/bin/sh   \n", "/bin/sh", "");
	ok("#!/bin/sh -x  \t \n", "/bin/sh", "-x");
	/* a carriage return is not whitespace to Linux either */
	ok("#!/bin/sh\r\n", "/bin/sh\r", "");
}

Test(loader, nul_ends_the_line)
{
	ok_n("#!/bin/sh\0 -x\n", 14, "/bin/sh", "");
	ok_n("#!/bin/sh -x\0yz\n", 16, "/bin/sh", "-x");
	ok_n("#!/bin/sh -x\0", 13, "/bin/sh", "-x");
	cr_assert_eq(parse_n("#!\0/bin/sh\n", 11), -ENOEXEC);
}

Test(loader, nothing_after_hashbang)
{
	cr_assert_eq(parse("#!"), -ENOEXEC);
	cr_assert_eq(parse("#!\n"), -ENOEXEC);
	cr_assert_eq(parse("#!   \n"), -ENOEXEC);
	cr_assert_eq(parse("#! \t \t"), -ENOEXEC);
	cr_assert_eq(parse("#!\n/bin/sh\n"), -ENOEXEC);
}

Test(loader, not_a_script)
{
	cr_assert_eq(parse_n("", 0), -ENOEXEC);
	cr_assert_eq(parse_n("#", 1), -ENOEXEC);
	cr_assert_eq(parse_n("#!/bin/sh\n", 1), -ENOEXEC);
	cr_assert_eq(parse("#/bin/sh\n"), -ENOEXEC);
	cr_assert_eq(parse("!#/bin/sh\n"), -ENOEXEC);
	cr_assert_eq(parse(" #!/bin/sh\n"), -ENOEXEC);
	cr_assert_eq(parse("\x7f"
			   "ELF"),
		     -ENOEXEC);
}

/* like ok(), but goes on after a mismatch */
static void expect_ok(const char *buf, const char *want_interp,
		      const char *want_arg)
{
	int r;

	setup();
	r = parse(buf);
	cr_expect_eq(r, 0, "\"%s\" refused (%d)", buf, r);
	if (r)
		return;
	cr_expect_str_eq(interp, want_interp, "interpreter of \"%s\"", buf);
	cr_expect_str_eq(arg, want_arg, "argument of \"%s\"", buf);
}

Test(loader, whole_file_without_newline)
{
	/*
	 * A file shorter than 256 bytes is complete: Linux zero-fills its
	 * buffer, so the end of the file ends the line. Natively,
	 * printf '#!/bin/echo -x' > s; ./s   prints "-x ./s".
	 */
	expect_ok("#!/bin/sh", "/bin/sh", "");
	expect_ok("#!/bin/echo -x", "/bin/echo", "-x");
	expect_ok("#!/bin/sh ", "/bin/sh", "");
	expect_ok("#!/bin/sh -x ", "/bin/sh", "-x");
}

/* a 300-byte buffer: @head, then @fill up to the end, no newline */
static char *long_line(char *buf, const char *head, char fill)
{
	memset(buf, fill, 300);
	memcpy(buf, head, strlen(head));
	return buf;
}

Test(loader, no_newline_in_256_bytes)
{
	char buf[300], want[BINPRM_BUF_SIZE];

	/* the name ends in the buffer: the argument is cut at byte 255 */
	long_line(buf, "#!/bin/sh ", 'x');
	memset(want, 'x', 255 - 10);
	want[255 - 10] = '\0';
	ok_n(buf, sizeof(buf), "/bin/sh", want);

	/* the name runs to the end: it may be cut off, refused */
	long_line(buf, "#!/", 'a');
	cr_assert_eq(parse_n(buf, sizeof(buf)), -ENOEXEC);
	long_line(buf, "#!    ", 'a');
	cr_assert_eq(parse_n(buf, sizeof(buf)), -ENOEXEC);
	long_line(buf, "#!", ' ');
	cr_assert_eq(parse_n(buf, sizeof(buf)), -ENOEXEC);
	/* a newline past byte 256 does not count */
	long_line(buf, "#!/", 'a');
	buf[290] = '\n';
	cr_assert_eq(parse_n(buf, sizeof(buf)), -ENOEXEC);
}

Test(loader, name_ending_at_the_buffer_edge)
{
	char buf[300], want[BINPRM_BUF_SIZE];

	/* blank at byte 254: the name [2, 254) is whole */
	long_line(buf, "#!", 'a');
	buf[254] = ' ';
	memset(want, 'a', 252);
	want[252] = '\0';
	ok_n(buf, sizeof(buf), want, "");

	/* blank at byte 255: Linux never looks at it, the name may be cut */
	long_line(buf, "#!", 'a');
	buf[255] = ' ';
	cr_assert_eq(parse_n(buf, sizeof(buf)), -ENOEXEC);
}

Test(loader, newline_at_the_buffer_edge)
{
	char buf[300], want[BINPRM_BUF_SIZE];

	long_line(buf, "#!/bin/sh ", 'y');
	buf[255] = '\n';
	memset(want, 'y', 245);
	want[245] = '\0';
	ok_n(buf, sizeof(buf), "/bin/sh", want);
	ok_n(buf, 256, "/bin/sh", want);
}

Test(loader, names_too_long_for_the_buffers)
{
	char i8[8], a4[4];

	cr_assert_eq(loader_parse_shebang("#!/bin/sh\n", 10, i8, sizeof(i8), a4,
					  sizeof(a4)),
		     0, "7 characters fit in 8 bytes");
	cr_assert_str_eq(i8, "/bin/sh");
	cr_assert_str_eq(a4, "");
	cr_assert_eq(loader_parse_shebang("#!/bin/shh\n", 11, i8, sizeof(i8),
					  a4, sizeof(a4)),
		     -ENAMETOOLONG);
	cr_assert_eq(loader_parse_shebang("#!/bin/sh abc\n", 14, i8, sizeof(i8),
					  a4, sizeof(a4)),
		     0);
	cr_assert_str_eq(a4, "abc");
	cr_assert_eq(loader_parse_shebang("#!/bin/sh abcd\n", 15, i8,
					  sizeof(i8), a4, sizeof(a4)),
		     -ENAMETOOLONG);
	cr_assert_eq(loader_parse_shebang("#!/bin/sh abc\n", 14, i8, sizeof(i8),
					  a4, 0),
		     -ENAMETOOLONG, "no room even for the NUL");
}

Test(loader, outputs_are_nul_terminated_in_place)
{
	ok("#!/a b\n", "/a", "b");
	cr_assert_eq(interp[3], FILL, "nothing written past the NUL");
	cr_assert_eq(arg[2], FILL, "nothing written past the NUL");
}
