/* main.c - junction-run: run a Linux program on the junction kernel */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/host.h"
#include "base/log.h"
#include "kernel/exec.h"
#include "kernel/kernel.h"
#include "kernel/proc.h"
#include "syscalls/syscalls.h"

#ifndef JUNCTION_VERSION
#define JUNCTION_VERSION "0.0.0"
#endif

extern char **environ;

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: junction-run [OPTIONS] [--] PROGRAM [ARGS...]\n"
		"Run the Linux x86-64 program PROGRAM on the junction library "
		"OS:\nevery syscall it makes is served by junction's own "
		"kernel in this process.\n"
		"PROGRAM is looked up on $PATH like execvp(3). The exit status "
		"is the\nprogram's, or 128+N if it died of signal N; 126 if "
		"it cannot be executed,\n127 if it is not found.\n\n"
		"Options:\n"
		"  --strace[=FILE]  print each syscall with its arguments and "
		"result\n"
		"                   to stderr, or to FILE\n"
		"  --stats          at exit, print syscall counts to stderr:\n"
		"                   'syscalls: total=N rewritten=N trapped=N', "
		"then per call\n"
		"  --no-rewrite     serve every syscall through the trap "
		"(Syscall User\n"
		"                   Dispatch); do not rewrite call sites into "
		"jumps\n"
		"  --cores N        host threads (1-64) to run guest threads "
		"on; the\n"
		"                   guest sees N CPUs (default: the CPUs "
		"junction-run\n"
		"                   may use, at most 64)\n"
		"  --syscalls       print the syscall table (number, name, "
		"status, note)\n"
		"                   and exit\n"
		"  --check-fast     testing aid: abort if a syscall served "
		"without saving\n"
		"                   the guest's vector registers changed "
		"them\n"
		"  --help           print this help and exit\n"
		"  --version        print the version and exit\n");
}

static const char *status_name(const struct sys_entry *e)
{
	switch (e->status) {
	case SYS_SUPPORTED:
		return "supported";
	case SYS_PARTIAL:
		return "partial";
	case SYS_UNSUPPORTED:
		return "unsupported";
	default:
		return "unsupported";
	}
}

static void print_table(void)
{
	for (int nr = 0; nr < SYS_TABLE_SIZE; nr++) {
		const struct sys_entry *e = &sys_table[nr];

		if (!e->name)
			continue;
		printf("%3d  %-24s %-12s", nr, e->name, status_name(e));
		if (e->status == SYS_UNSUPPORTED || e->status == SYS_NOTYET)
			printf(" %s: %s", strerrorname_np(e->err), e->note);
		else if (e->note)
			printf(" %s", e->note);
		printf("\n");
	}
}

static void print_stats(void)
{
	uint64_t counts[SYS_TABLE_SIZE];
	struct sys_stats st;
	int order[SYS_TABLE_SIZE], n = 0;

	sys_stats_collect(&st, counts, SYS_TABLE_SIZE);
	dprintf(log_get_fd(),
		"syscalls: total=%llu rewritten=%llu trapped=%llu\n",
		(unsigned long long)st.total, (unsigned long long)st.jumped,
		(unsigned long long)st.trapped);
	for (int i = 0; i < SYS_TABLE_SIZE; i++) {
		if (counts[i])
			order[n++] = i;
	}
	/* most frequent first */
	for (int i = 1; i < n; i++) {
		int k = order[i], j = i;

		while (j > 0 && counts[order[j - 1]] < counts[k]) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = k;
	}
	for (int i = 0; i < n; i++) {
		const struct sys_entry *e = sys_lookup((unsigned)order[i]);

		dprintf(log_get_fd(), "  %-24s %llu\n", e->name ? e->name : "?",
			(unsigned long long)counts[order[i]]);
	}
	dprintf(log_get_fd(), "  (sites rewritten: %u)\n", rewrite_nr_sites());
}

static const char *env_path(void)
{
	for (char **e = environ; *e; e++) {
		if (!strncmp(*e, "PATH=", 5))
			return *e + 5;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct exec_start st = {0};
	struct proc *p;
	long logfd;
	int i, r, err = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (a[0] != '-')
			break;
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--version")) {
			printf("junction-run %s\n", JUNCTION_VERSION);
			return 0;
		} else if (!strcmp(a, "--syscalls")) {
			print_table();
			return 0;
		} else if (!strcmp(a, "--strace")) {
			kopts.strace = true;
		} else if (!strncmp(a, "--strace=", 9)) {
			kopts.strace = true;
			kopts.strace_path = a + 9;
		} else if (!strcmp(a, "--stats")) {
			kopts.stats = true;
		} else if (!strcmp(a, "--check-fast")) {
			kopts.check_fast = true;
		} else if (!strcmp(a, "--no-rewrite")) {
			kopts.rewrite = false;
		} else if (!strcmp(a, "--cores") ||
			   !strncmp(a, "--cores=", 8)) {
			const char *v = a[7] == '=' ? a + 8 : argv[++i];
			char *end;
			long n;

			if (!v) {
				fprintf(stderr, "junction-run: --cores needs a "
						"number\n");
				return 2;
			}
			n = strtol(v, &end, 10);
			if (*end || n < 1 || n > 64) {
				fprintf(stderr,
					"junction-run: --cores: '%s' is "
					"not a number from 1 to 64\n",
					v);
				return 2;
			}
			kopts.cores = (int)n;
		} else {
			fprintf(stderr,
				"junction-run: unknown option '%s' (see "
				"--help)\n",
				a);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}

	/* our own messages keep going to the stderr we started with */
	logfd = host_fcntl(2, F_DUPFD_CLOEXEC, 100);
	if (logfd >= 0)
		log_set_fd((int)logfd);

	r = kernel_init();
	if (r < 0) {
		log_msg("cannot start: %s", strerror(-r));
		return 126;
	}
	p = proc_create_init(&err);
	if (!p) {
		log_msg("cannot create the first process: %s", strerror(-err));
		return 126;
	}
	st.name = argv[i];
	st.path = env_path();
	st.argv = argv + i;
	st.envp = environ;
	r = exec_start_first(p, &st);
	if (r < 0) {
		log_msg("cannot start %s: %s", argv[i], strerror(-r));
		return 126;
	}
	r = kernel_run();
	if (kopts.stats)
		print_stats();
	if (exec_start_error_status())
		return exec_start_error_status();
	return r;
}
