/*
 * The report's data layer: the history in one or many databases, read-only,
 * into datasets (series.h). Every call returns 0 (or a value) on success and
 * -1 with the reason in h->err on failure; what to print and which exit code
 * to give is the caller's business.
 */
#ifndef REPORT_QUERY_H
#define REPORT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "series.h"

#define MAX_DBS		1024

struct history {
	const char	*path[MAX_DBS];
	sqlite3		*db[MAX_DBS];
	size_t		 n;
	const char	*host;		/* a GLOB over host names, or NULL: every host */
	char		 err[1024];	/* why the last call failed */
};

enum { ROWS_RAW, ROWS_HOURLY };

/* One stored row: a sample (pt) or an hourly rollup (hr), the other NULL. -1 stops. */
typedef int	(*row_fn)(void *arg, const char *host, const char *group,
		     const struct point *pt, const struct hour *hr);

/* dbread.c */
/* Open read-only; refuses an unknown, older or newer schema. */
sqlite3		*db_open_ro(const char *path, char *err, size_t errlen);

/* query.c */
int		 hist_open(struct history *h);
void		 hist_close(struct history *h);
/*
 * The rows of database i with from <= ts <= to, of one group (NULL: every
 * group) and the hosts host matches (a GLOB; NULL: every host), in
 * (ts, host, group) order.
 */
int		 hist_rows(struct history *h, size_t i, int kind, int64_t from, int64_t to,
		     const char *group, const char *host, row_fn fn, void *arg);
/* The same over every database, into out: sorted by ts, one row per ts. */
int		 hist_load(struct history *h, int kind, int64_t from, int64_t to,
		     const char *group, struct dataset *out);
/* The newest sample of every host, each at its own time. */
int		 hist_load_latest(struct history *h, const char *group, struct dataset *out);
/* Newest taken sample over every database (the host filter applied); -1 if none. */
int64_t		 hist_latest(struct history *h);
/*
 * 1 if name is in table (host or grp) of some database: as a GLOB pattern
 * (glob, over every database) or exactly (listed from the first database);
 * else 0, and known gets the names there, comma separated, " ..." if cut.
 */
int		 hist_has_name(struct history *h, const char *table, const char *name,
		     int glob, char *known, size_t len);
/* The most common gap between the newest samples of the first database; -1 if none. */
int64_t		 hist_common_gap(struct history *h);
/*
 * 1 if the window from `from` on holds hours whose raw samples are gone but
 * whose rollups are kept; *oldest_raw gets the oldest raw sample (-1: none).
 */
int		 hist_beyond_raw(struct history *h, int64_t from, int64_t *oldest_raw);

#endif
