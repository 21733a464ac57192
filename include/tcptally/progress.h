/* progress.c: a \r-updated line on stderr for long imports and exports, on a terminal only. */
#ifndef TCPTALLY_PROGRESS_H
#define TCPTALLY_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct progress {
	int		 on;		/* stderr is a terminal */
	const char	*what;
	int64_t		 start_ns, next_ns;	/* monotonic */
	int64_t		 total;		/* bytes to read; 0 = unknown */
	uint64_t	 last_rows;
	size_t		 width;		/* of the longest line shown */
};
/* Pure: "import: 12.3k rows, 2.5M rows/s, 45% of 120.0MB" (the percent if total > 0). */
size_t		 progress_format(char *buf, size_t len, const char *what, uint64_t rows,
		     double secs, int64_t done, int64_t total);
/* size_fd: a file whose size is the total (if a regular file), or -1. */
void		 progress_start(struct progress *p, const char *what, int size_fd);
/* Cheap to call per row: looks at the clock every 4096 rows. */
void		 progress_update(struct progress *p, uint64_t rows, int64_t done);
void		 progress_end(struct progress *p);	/* erase the line */

#endif
