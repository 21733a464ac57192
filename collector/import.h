/* --import: the two formats (import_parse.c, pure) and the writer (import.c). */
#ifndef COLLECTOR_IMPORT_H
#define COLLECTOR_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "tcptally/kernel.h"
#include "tcptally/progress.h"
#include "tcptally/tcptally.h"

/* import_parse.c: pure; the import formats, one line at a time, parsed in place. */
#define IMPORT_HEADER	"ts,host,group,state,count"
/* export's header when a row is of a network namespace other than the host's own */
#define IMPORT_HEADER_NETNS	IMPORT_HEADER ",netns"
/*
 * How far ahead of this host's clock an imported sample may be, in seconds:
 * a little for clocks that differ between hosts; one from further ahead is
 * a forged or mislabelled row, and would sit in every "latest sample".
 */
#define IMPORT_FUTURE_MAX	60

/*
 * A key's rows beyond its 11 states, as export writes them after the
 * states: listen.* of any group (all five or none); sample.interval,
 * kernel.* (with sample.interval) and limit.* of group `all`. They are
 * numbered after the states: field IMPORT_F(IX_QUEUED) is listen.queued.
 */
enum { IX_LISTENERS, IX_QUEUED, IX_BACKLOG, IX_MAX_FILL, IX_FULL, IX_INTERVAL, IX_KSTAT0,
	IX_KLIMIT0 = IX_KSTAT0 + TT_NKSTATS, IX_N = IX_KLIMIT0 + TT_NKLIMITS };
#define IMPORT_F(x)	(TT_NSTATES + 1 + (x))
#define IMPORT_NF	IMPORT_F(IX_N)		/* fields 1 .. IMPORT_NF - 1 */
#define IMPORT_FILL_MAX	1e6			/* as the report reads it */
/* A field's units for the duplicate check of a key given in parts. */
enum { IU_LISTEN, IU_SAMPLE, IU_LIMIT, IU_N };

struct import_row {			/* one CSV row; strings point into the line */
	int64_t		 ts;
	const char	*host;
	const char	*group;
	const char	*netns;		/* "host" without the netns column */
	int		 state;		/* the field: a state 1..11, or IMPORT_F(IX_...) */
	uint64_t	 count;		/* 0..TT_COUNT_MAX, or what the field allows */
	double		 real;		/* listen.max_fill */
};

enum { CRON_STAMP = 1, CRON_COUNT = 2 };
struct cron_line {
	int		 kind;		/* CRON_STAMP or CRON_COUNT */
	int64_t		 ts;
	int		 state;
	uint64_t	 count;
};

/* One (ts, host, group) gathered from its rows; states not given stay 0. */
struct import_sample {
	int64_t		 ts;
	char		 host[TT_HOST_MAX];
	char		 group[TT_NAME_MAX];
	char		 netns[TT_HOST_MAX];
	uint64_t	 count[IMPORT_NF];	/* [1..11] the states, then the others */
	size_t		 line[IMPORT_NF];	/* where each was given; 0 = not */
	double		 fill;			/* listen.max_fill */
	size_t		 first;			/* the line that opened it */
	int		 n;			/* fields given */
};

int		 import_is_blank(const char *s, size_t len);
/* 1 the header, 2 the header with netns, 0 not a header; also with a trailing \r. */
int		 import_is_header(const char *s, size_t len);
/* 1 if the quotes of s[0..len) are balanced: the CSV record ends here. */
int		 import_csv_complete(const char *s, size_t len);
/* s[len] must be writable; netns: the header has the netns column. 0 ok, -1 with why. */
int		 import_csv_row(char *s, size_t len, int netns, struct import_row *r, char *why,
		     size_t whylen);
int		 import_cron_line(char *s, size_t len, struct cron_line *c, char *why,
		     size_t whylen);
int		 import_group_ok(const char *name, char *why, size_t whylen);
/* -1 with the reason if ts is more than IMPORT_FUTURE_MAX after now. */
int		 import_future(int64_t ts, int64_t now, char *why, size_t whylen);
/* s[0..len) quoted for a message: clipped, control characters as '?'. */
const char	*import_show(char *buf, size_t size, const char *s, size_t len);
void		 import_sample_start(struct import_sample *s, int64_t ts, const char *host,
		     const char *netns, const char *group, size_t line);
int		 import_sample_same(const struct import_sample *s, int64_t ts,
		     const char *host, const char *netns, const char *group);
int		 import_sample_add(struct import_sample *s, int state, uint64_t count,
		     size_t line, char *why, size_t whylen);
/* Against the lines of an earlier part of the same sample: -1 and *line if a state repeats. */
int		 import_sample_clash(const struct import_sample *s, const size_t *earlier,
		     size_t *line, char *why, size_t whylen);
/* Which unit (IU_*) field f >= IMPORT_F(0) belongs to. */
int		 import_unit(int f);
/* The first line of unit u in s, 0 if none of it was given. */
size_t		 import_unit_line(const struct import_sample *s, int u);
/* Whether a key's fields go together: -1 and *line with the reason if not. */
int		 import_sample_whole(const struct import_sample *s, size_t *line, char *why,
		     size_t whylen);
/* "TIME_WAIT", "listen.queued", "kernel.ListenDrops", "limit.somaxconn" */
const char	*import_field_name(int f, char *buf, size_t len);

/* import_read.c: the input, a line at a time. */
struct reader {
	FILE		*f;
	const char	*file;		/* its name in messages */
	char		*buf;		/* cap + 1: a line's end is always writable */
	size_t		 cap, off, end;
	int		 eof;
	size_t		 lineno;
	int64_t		 bytes;		/* read so far */
	struct progress	 progress;	/* on a terminal, after a second */
	char		*err;		/* "FILE:LINE: message", "FILE: strerror" */
	size_t		 errlen;
};
int		 reader_open(struct reader *r, FILE *f, const char *file, char *err,
		     size_t errlen);
/* 1 a line in s[0..len), 0 the end, -1 an error in r->err; rows for the progress line. */
int		 reader_line(struct reader *r, char **s, size_t *len, uint64_t rows);
void		 reader_close(struct reader *r);

/* import.c */
enum { IMPORT_OK = 0, IMPORT_EDB = 1, IMPORT_EINPUT = 2 };	/* also the exit codes */

struct import_stats {
	uint64_t	 rows;		/* CSV rows or cron-log state lines */
	uint64_t	 samples;	/* distinct (ts, host) */
	uint64_t	 added;		/* samples that gained a group's counts */
	uint64_t	 present;	/* samples whose every group was already stored */
};

/*
 * Import CSV or a cron log from in (named file in messages) into db, in one
 * transaction. cron_host labels cron-log samples. Returns IMPORT_*, with
 * "FILE:LINE: message" or "DBNAME: message" in err.
 */
int		 import_run(sqlite3 *db, const char *dbname, FILE *in, const char *file,
		     const char *cron_host, struct import_stats *st, char *err, size_t errlen);

#endif
