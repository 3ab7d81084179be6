/* exitcodes.c - e2e: ways to end a process and the status each gives */
#include "e2e.h"

#include <signal.h>

/*
 * usage: exitcodes MODE [N]
 *
 * The status seen by compare.sh is the shell's $?: N for a normal exit,
 * 128+SIG for a death by signal. junction-run must report the same.
 */

static void bye(void)
{
	printf("atexit handler ran\n");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int n = argc > 2 ? atoi(argv[2]) : 0;
	sigset_t set;

	e2e_init();
	printf("mode: %s %d\n", mode, n);
	fflush(stdout);

	if (!strcmp(mode, "return"))
		return n;
	if (!strcmp(mode, "exit"))
		exit(n);
	if (!strcmp(mode, "_exit"))
		_exit(n);
	if (!strcmp(mode, "exit_group")) {
		syscall(SYS_exit_group, n);
		printf("exit_group returned\n");
		return 99;
	}
	if (!strcmp(mode, "exit-flush")) {
		/* fully buffered: only exit()'s flush writes this line */
		setvbuf(stdout, NULL, _IOFBF, 4096);
		printf("flushed at exit\n");
		exit(n);
	}
	if (!strcmp(mode, "atexit")) {
		atexit(bye);
		exit(n);
	}
	if (!strcmp(mode, "abort"))
		abort();
	if (!strcmp(mode, "segv")) {
		/* through a volatile pointer: gcc would turn a literal NULL
		 * store into ud2 (SIGILL) */
		volatile int *volatile np = NULL;

		*np = 1;
		printf("survived a NULL store\n");
		return 99;
	}
	if (!strcmp(mode, "sigterm")) {
		raise(SIGTERM);
		printf("survived SIGTERM\n");
		return 99;
	}
	if (!strcmp(mode, "sigkill")) {
		kill(getpid(), SIGKILL);
		printf("survived SIGKILL\n");
		return 99;
	}
	if (!strcmp(mode, "sigabrt-blocked")) {
		/* abort() unblocks SIGABRT; see abort(3) */
		sigemptyset(&set);
		sigaddset(&set, SIGABRT);
		sigprocmask(SIG_BLOCK, &set, NULL);
		abort();
	}
	if (!strcmp(mode, "sigusr1-ignored")) {
		signal(SIGUSR1, SIG_IGN);
		raise(SIGUSR1);
		printf("SIGUSR1 ignored\n");
		return 4;
	}
	if (!strcmp(mode, "sigurg-default")) {
		/* SIGURG's default action is to ignore it */
		raise(SIGURG);
		printf("SIGURG ignored by default\n");
		return 6;
	}
	if (!strcmp(mode, "sigterm-blocked")) {
		/* pending while blocked; the process dies when it unblocks */
		sigemptyset(&set);
		sigaddset(&set, SIGTERM);
		sigprocmask(SIG_BLOCK, &set, NULL);
		raise(SIGTERM);
		printf("SIGTERM pending while blocked\n");
		fflush(stdout);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		printf("survived unblocking SIGTERM\n");
		return 99;
	}
	printf("unknown mode\n");
	return 2;
}
