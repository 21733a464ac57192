/*
 * The wall clock that sample slots follow.
 *
 * TCPTALLY_TEST_CLOCK is a test seam, not a setting for operators: when it
 * names a file, the wall clock is CLOCK_REALTIME plus the signed offset in
 * nanoseconds that the file holds. The file is read on every call, so a test
 * can step the clock of a running collector by rewriting it (atomically:
 * write another file, then rename it over this one). The collector reads the
 * wall clock about twice per sample, so the read costs nothing that matters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "collector.h"

static int64_t
test_offset(const char *path)
{
	static int64_t last;	/* kept while the file is unreadable */
	static int warned;
	int64_t off;
	FILE *f;
	int n, saved = errno;

	if (!warned) {
		log_warnx("TCPTALLY_TEST_CLOCK=%s: the wall clock is offset by that file "
		    "(a test seam; unset it in production)", path);
		warned = 1;
	}
	if ((f = fopen(path, "r")) != NULL) {
		n = fscanf(f, "%" SCNd64, &off);
		fclose(f);
		if (n == 1)
			last = off;
	}
	errno = saved;	/* callers may be about to log theirs */
	return last;
}

int64_t
clock_real_ns(void)
{
	struct timespec ts;
	const char *path = getenv("TCPTALLY_TEST_CLOCK");
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (path != NULL && path[0] != '\0')
		now += test_offset(path);
	return now;
}
