/* idle.c - junction-bench child mode of idle-cpu: sleep and do nothing */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bench.h"

double bench_parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v > 0) || v > 3600)
		return -1;
	return v;
}

int bench_idle_child(double seconds)
{
	struct timespec left = {
		.tv_sec = (time_t)seconds,
		.tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9),
	};

	/* one sleep; a signal (none is expected) resumes it where it was */
	while (nanosleep(&left, &left)) {
		if (errno != EINTR) {
			perror("junction-bench: idle-cpu: nanosleep");
			return 1;
		}
	}
	return 0;
}
