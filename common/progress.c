/*
 * A progress line on stderr for long imports and exports: only when stderr is
 * a terminal, only once the work has run for a second, rewritten in place
 * with \r at most 4 times a second, and erased at the end. Checking the clock
 * costs a system call at most once per PROGRESS_EVERY rows.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcptally/progress.h"

#define PROGRESS_DELAY_NS	1000000000LL	/* quiet for the first second */
#define PROGRESS_PERIOD_NS	250000000LL	/* then at most 4 lines a second */
#define PROGRESS_EVERY		4096		/* rows between looks at the clock */

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* 1234 -> "1234", 12345 -> "12.3k", 2470000 -> "2.5M" */
static const char *
human(double v, const char *unit, char *buf, size_t len)
{
	if (v < 10000)
		snprintf(buf, len, "%.0f%s", v, unit);
	else if (v < 999950)
		snprintf(buf, len, "%.1fk%s", v / 1e3, unit);
	else if (v < 999950000)
		snprintf(buf, len, "%.1fM%s", v / 1e6, unit);
	else
		snprintf(buf, len, "%.1fG%s", v / 1e9, unit);
	return buf;
}

size_t
progress_format(char *buf, size_t len, const char *what, uint64_t rows, double secs,
    int64_t done, int64_t total)
{
	char r[32], rate[32], size[32];
	int n, pct;

	n = snprintf(buf, len, "%s: %s rows, %s rows/s", what, human((double)rows, "", r,
	    sizeof(r)), human(secs > 0 ? (double)rows / secs : 0, "", rate, sizeof(rate)));
	if (n >= 0 && total > 0 && (size_t)n < len) {
		pct = done >= total ? 100 : (int)(done * 100 / total);
		n += snprintf(buf + n, len - (size_t)n, ", %d%% of %s", pct,
		    human((double)total, "B", size, sizeof(size)));
	}
	return n < 0 ? 0 : (size_t)n;
}

void
progress_start(struct progress *p, const char *what, int size_fd)
{
	struct stat st;

	memset(p, 0, sizeof(*p));
	p->what = what;
	if (!isatty(STDERR_FILENO))
		return;
	p->on = 1;
	p->start_ns = mono_ns();
	p->next_ns = p->start_ns + PROGRESS_DELAY_NS;
	if (size_fd >= 0 && fstat(size_fd, &st) == 0 && S_ISREG(st.st_mode))
		p->total = st.st_size;
}

void
progress_update(struct progress *p, uint64_t rows, int64_t done)
{
	char line[160];
	int64_t now;
	size_t n;

	if (!p->on || rows - p->last_rows < PROGRESS_EVERY)
		return;
	p->last_rows = rows;
	if ((now = mono_ns()) < p->next_ns)
		return;
	p->next_ns = now + PROGRESS_PERIOD_NS;
	n = progress_format(line, sizeof(line), p->what, rows,
	    (double)(now - p->start_ns) / 1e9, done, p->total);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	/* spaces over the rest of a longer line before */
	fprintf(stderr, "\r%s%*s", line, p->width > n ? (int)(p->width - n) : 0, "");
	fflush(stderr);
	if (n > p->width)
		p->width = n;
}

void
progress_end(struct progress *p)
{
	if (p->on && p->width > 0) {
		fprintf(stderr, "\r%*s\r", (int)p->width, "");
		fflush(stderr);
	}
	p->on = 0;
	p->width = 0;
}
