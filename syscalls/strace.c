/* strace.c - --strace: each syscall with decoded arguments and result */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "base/host.h"
#include "base/log.h"
#include "kernel/proc.h"
#include "mm/usercopy.h"
#include "syscalls/syscalls.h"

bool strace_enabled;
static int out_fd = -1;

#define STR_MAX 32 /* bytes of a string or buffer shown, like strace -s 32 */

int strace_init(const char *path)
{
	if (path) {
		long fd = host_openat(AT_FDCWD, path,
				      O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
				      0644);

		if (fd < 0)
			return (int)fd;
		out_fd = (int)fd;
	} else {
		out_fd = log_get_fd();
	}
	strace_enabled = true;
	return 0;
}

struct line {
	char buf[2048];
	size_t len;
};

static void add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->len >= sizeof(l->buf) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
	if (l->len > sizeof(l->buf) - 1)
		l->len = sizeof(l->buf) - 1;
}

/* a guest buffer as a C string literal, at most STR_MAX bytes */
static void add_bytes(struct line *l, const void *ubuf, long n, bool is_str)
{
	unsigned char tmp[STR_MAX + 1];
	long show = n < 0 ? 0 : n > STR_MAX ? STR_MAX : n;
	long got;

	if (!ubuf) {
		add(l, "NULL");
		return;
	}
	if (is_str) {
		got = __strncpy_user((char *)tmp, ubuf, STR_MAX + 1);
		if (got < 0) {
			add(l, "%p", ubuf);
			return;
		}
		show = got > STR_MAX ? STR_MAX : got;
		n = got;
	} else if (copy_from_user(tmp, ubuf, (size_t)show)) {
		add(l, "%p", ubuf);
		return;
	}
	add(l, "\"");
	for (long i = 0; i < show; i++) {
		unsigned char c = tmp[i];

		switch (c) {
		case '\n':
			add(l, "\\n");
			break;
		case '\t':
			add(l, "\\t");
			break;
		case '"':
			add(l, "\\\"");
			break;
		case '\\':
			add(l, "\\\\");
			break;
		default:
			if (c >= 0x20 && c < 0x7f)
				add(l, "%c", c);
			else
				add(l, "\\%o", c);
		}
	}
	add(l, "\"%s", n > show ? "..." : "");
}

struct flagname {
	long v;
	const char *n;
};

static void add_flags(struct line *l, unsigned long v,
		      const struct flagname *names, const char *zero)
{
	bool first = true;

	if (!v && zero) {
		add(l, "%s", zero);
		return;
	}
	for (; names->n; names++) {
		if (names->v &&
		    (v & (unsigned long)names->v) == (unsigned long)names->v) {
			add(l, "%s%s", first ? "" : "|", names->n);
			v &= ~(unsigned long)names->v;
			first = false;
		}
	}
	if (v || first)
		add(l, "%s%#lx", first ? "" : "|", v);
}

#define F(x)          \
	{             \
		x, #x \
	}
static const struct flagname oflags[] = {
	F(O_WRONLY),	F(O_RDWR),    F(O_CREAT),     F(O_EXCL),
	F(O_NOCTTY),	F(O_TRUNC),   F(O_APPEND),    F(O_NONBLOCK),
	F(O_DSYNC),	F(O_DIRECT),  F(O_LARGEFILE), F(O_DIRECTORY),
	F(O_NOFOLLOW),	F(O_NOATIME), F(O_CLOEXEC),   F(O_PATH),
	F(__O_TMPFILE), F(O_SYNC),    {0, NULL},
};
static const struct flagname prots[] = {
	F(PROT_READ),
	F(PROT_WRITE),
	F(PROT_EXEC),
	{0, NULL},
};
static const struct flagname mflags[] = {
	F(MAP_SHARED),	  F(MAP_PRIVATE),   F(MAP_FIXED),
	F(MAP_ANONYMOUS), F(MAP_32BIT),	    F(MAP_GROWSDOWN),
	F(MAP_DENYWRITE), F(MAP_NORESERVE), F(MAP_POPULATE),
	F(MAP_STACK),	  F(MAP_HUGETLB),   F(MAP_FIXED_NOREPLACE),
	{0, NULL},
};
static const struct flagname atflags[] = {
	F(AT_SYMLINK_NOFOLLOW), F(AT_REMOVEDIR),  F(AT_SYMLINK_FOLLOW),
	F(AT_NO_AUTOMOUNT),	F(AT_EMPTY_PATH), {0, NULL},
};
static const struct flagname accmodes[] = {
	F(R_OK),
	F(W_OK),
	F(X_OK),
	{0, NULL},
};
#undef F

static const char *const signames[] = {
	NULL,	   "SIGHUP",  "SIGINT",	   "SIGQUIT", "SIGILL",	   "SIGTRAP",
	"SIGABRT", "SIGBUS",  "SIGFPE",	   "SIGKILL", "SIGUSR1",   "SIGSEGV",
	"SIGUSR2", "SIGPIPE", "SIGALRM",   "SIGTERM", "SIGSTKFLT", "SIGCHLD",
	"SIGCONT", "SIGSTOP", "SIGTSTP",   "SIGTTIN", "SIGTTOU",   "SIGURG",
	"SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH",  "SIGIO",
	"SIGPWR",  "SIGSYS",
};

static void add_arg(struct line *l, const struct sys_entry *e, int i,
		    const uint64_t *a, long ret, bool done)
{
	uint64_t v = a[i];

	switch (e->args[i]) {
	case A_INT:
	case A_FD:
		add(l, "%d", (int)v);
		break;
	case A_DIRFD:
		if ((int)v == AT_FDCWD)
			add(l, "AT_FDCWD");
		else
			add(l, "%d", (int)v);
		break;
	case A_UINT:
	case A_SIZE:
		add(l, "%lu", (unsigned long)v);
		break;
	case A_OFF:
		add(l, "%ld", (long)v);
		break;
	case A_MODE:
		add(l, "%#o", (unsigned)v);
		break;
	case A_PATH:
		add_bytes(l, (const void *)v, 0, true);
		break;
	case A_BUFW:
		add_bytes(l, (const void *)v, i + 1 < 6 ? (long)a[i + 1] : 0,
			  false);
		break;
	case A_BUFR:
		if (done && ret >= 0)
			add_bytes(l, (const void *)v, ret, false);
		else
			add(l, "%#lx", (unsigned long)v);
		break;
	case A_OFLAGS:
		if (!(v & O_ACCMODE))
			add(l, "O_RDONLY%s", v ? "|" : "");
		if (v)
			add_flags(l, v, oflags, NULL);
		break;
	case A_PROT:
		add_flags(l, v, prots, "PROT_NONE");
		break;
	case A_MFLAGS:
		add_flags(l, v, mflags, "0");
		break;
	case A_ATFLAGS:
		add_flags(l, v, atflags, "0");
		break;
	case A_ACCMODE:
		add_flags(l, v, accmodes, "F_OK");
		break;
	case A_SIG:
		if (v > 0 && v < sizeof(signames) / sizeof(*signames))
			add(l, "%s", signames[v]);
		else
			add(l, "%d", (int)v);
		break;
	case A_WHENCE:
		add(l, "%s",
		    v == SEEK_SET   ? "SEEK_SET"
		    : v == SEEK_CUR ? "SEEK_CUR"
		    : v == SEEK_END ? "SEEK_END"
				    : "?");
		break;
	case A_PTR:
		if (v)
			add(l, "%#lx", (unsigned long)v);
		else
			add(l, "NULL");
		break;
	default:
		add(l, "%#lx", (unsigned long)v);
		break;
	}
}

static void start(struct line *l, const struct sys_entry *e, unsigned long nr,
		  const struct trapframe *tf, long ret, bool done)
{
	const uint64_t *a = &tf->rdi;

	l->len = 0;
	if (current_thread()->proc->pid != 1 || current_thread()->tid != 1)
		add(l, "[pid %d] ", current_thread()->tid);
	if (e->name)
		add(l, "%s(", e->name);
	else
		add(l, "syscall_%lu(", nr);
	for (int i = 0; i < e->nargs; i++) {
		if (i)
			add(l, ", ");
		add_arg(l, e, i, a, ret, done);
	}
	add(l, ")");
}

static void emit(struct line *l)
{
	l->buf[l->len++] = '\n';
	host_write(out_fd, l->buf, l->len);
}

void strace_enter(const struct sys_entry *e, unsigned long nr,
		  const struct trapframe *tf)
{
	struct line l;

	/* calls that do not return print now: their result is "?" */
	if (!(e->flags & SYSF_NORETURN))
		return;
	start(&l, e, nr, tf, 0, false);
	add(&l, " = ?");
	emit(&l);
}

void strace_exit(const struct sys_entry *e, unsigned long nr,
		 const struct trapframe *tf, long ret)
{
	struct line l;

	/* printed at entry; rt_sigreturn's "result" is a restored rax */
	if ((e->flags & SYSF_NORETURN) && (ret >= 0 || nr == SYS_rt_sigreturn))
		return;
	start(&l, e, nr, tf, ret, true);
	if (ret < 0 && ret > -4096)
		add(&l, " = -1 %s (%s)", strerrorname_np((int)-ret) ?: "E?",
		    strerror((int)-ret));
	else if (nr == SYS_mmap || nr == SYS_brk || nr == SYS_mremap)
		add(&l, " = %#lx", (unsigned long)ret);
	else
		add(&l, " = %ld", ret);
	emit(&l);
}

static void add_signame(struct line *l, int sig)
{
	if (sig > 0 && (size_t)sig < sizeof(signames) / sizeof(*signames))
		add(l, "%s", signames[sig]);
	else
		add(l, "SIG%d", sig);
}

void strace_signal(int sig, int code, uint64_t addr, uint64_t ip)
{
	struct line l;

	l.len = 0;
	if (current_thread()->proc->pid != 1 || current_thread()->tid != 1)
		add(&l, "[pid %d] ", current_thread()->tid);
	add(&l, "--- ");
	add_signame(&l, sig);
	add(&l, " {si_signo=");
	add_signame(&l, sig);
	add(&l, ", si_code=%d, si_addr=%#lx} (ip %#lx) ---", code,
	    (unsigned long)addr, (unsigned long)ip);
	emit(&l);
}

void strace_killed(int sig)
{
	struct line l;

	l.len = 0;
	add(&l, "+++ killed by ");
	add_signame(&l, sig);
	add(&l, " +++");
	emit(&l);
}
