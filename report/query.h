/*
 * The report's data layer: the history in one or many databases, read-only,
 * into datasets (series.h).  Every database file is untrusted input (fleet
 * files come from other hosts): dbread.c opens it defensively and checks
 * that it is exactly what the migrations make, and every value read is
 * checked here.  A file that fails any of that, or runs past its time
 * budget, is refused (f->why) and left out of everything after; the others
 * are still read.  A call fails (-1, the reason in h->err) only when no
 * file is left; what to print and which exit code to give is the caller's
 * business.
 */
#ifndef REPORT_QUERY_H
#define REPORT_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "series.h"

#define MAX_DBS		1024
#define FILE_BUDGET_MS	5000	/* per file, for the whole run */
#define MAX_NETNS	4096	/* network namespaces (host rows) in one file */
#define MAX_SOURCES	65536	/* ... and in all the files of a run */

/* A host row of a file: one network namespace of its host. */
struct hns {
	int64_t		 id;
	char		*netns;		/* 'host', a /run/netns name, a cgroup, netns:INODE */
};

/* A source of a file by its host id (the rows' host column). */
struct hsrcid {
	int64_t		 id;
	size_t		 src;		/* index in history.f */
};

/*
 * One database file. Its sources (below) share its connection, its time
 * budget and its fate: refused, it is refused once, named once, and every
 * source of it is left out. The progress handler points here, so the
 * array of them is never moved once opened.
 */
struct hdbfile {
	const char	*path;
	sqlite3		*db;
	char		 host[TT_HOST_MAX];	/* the one host it holds */
	int		 schema;	/* its version: 2 has no queues, no context */
	struct hns	*ns;		/* its host rows, ordered by id */
	size_t		 nns;
	struct hsrcid	*map;		/* its selected sources by host id (query.c) */
	size_t		 nmap;
	char		*why;		/* refused: "PATH: reason"; NULL while good */
	int		 told;		/* why has been printed */
	int64_t		 spent_ns;	/* in SQLite so far */
	int64_t		 budget_ns;	/* its limit */
	int64_t		 t0;		/* the statement running began (monotonic ns) */
	uint64_t	 rows;		/* loaded into memory, this run */
};

/*
 * A source: one network namespace of the host of one file, whose samples
 * are a set of series of their own. path, db and schema are its file's,
 * for reading; fate and budget are the file's (f->file).
 */
struct hfile {
	struct hdbfile	*file;
	const char	*path;
	sqlite3		*db;
	int		 schema;
	int64_t		 host_id;	/* its row in the file's host table */
	const char	*name;		/* the host name (file->host) */
	const char	*netns;		/* the namespace's label: 'host' for the host's own */
	char		 host[TT_SOURCE_MAX];	/* the series label: NAME or NAME/NETNS */
};

struct history {
	struct hdbfile	*files;		/* every database given */
	size_t		 nfiles, capfiles;
	struct hfile	*f;		/* the sources: hist_open makes them, hist_select picks */
	size_t		 n, cap;
	int		 fleet;		/* -d DIR: copies, opened immutable */
	int		 lq;		/* rows bring their accept queues (else lq.have 0) */
	int64_t		 budget_ns;	/* per file */
	const char	*host;		/* a GLOB over host names, or NULL: every host */
	const char	*netns;		/* a GLOB over netns labels, or NULL: every one */
	char		 err[1024];	/* why the last call failed */
};

enum { ROWS_RAW, ROWS_HOURLY };

/* One stored row of source src: a sample (pt) or an hourly rollup (hr), the other
 * NULL. -1 stops. */
typedef int	(*row_fn)(void *arg, const struct hfile *src, const char *group,
		     const struct point *pt, const struct hour *hr);

/* dbread.c: open and check one file, read its host rows; 0, or -1 with x->why set. */
enum { RO_IMMUTABLE = 1 };	/* a copy nobody writes: no locks, no -wal/-shm */
int		 db_open_ro(struct hdbfile *x, int flags, int64_t budget_ns);
/* Free x's host rows. */
void		 hdb_free_ns(struct hdbfile *x);
/* The same for a path alone (tests): the connection, or NULL with err. */
sqlite3		*db_open_ro_path(const char *path, char *err, size_t errlen);
/* Refuse file x for why (printf-style, after "PATH: "); returns -1. */
int		 hdb_refuse(struct hdbfile *x, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* The same through one of its sources: the whole file is refused. */
int		 hfile_refuse(const struct hfile *f, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* A statement on f failed: past its budget, or SQLite's reason. Refuses f's file: -1. */
int		 hfile_fail(const struct hfile *f);
int		 hdb_fail(struct hdbfile *x);
/* Start and end of a statement on a file, for its time budget. */
void		 hdb_begin(struct hdbfile *x);
void		 hdb_end(struct hdbfile *x);
#define hfile_begin(f)	hdb_begin((f)->file)
#define hfile_end(f)	hdb_end((f)->file)

/* Checks on a column of a row read: every value is validated before use. */
/* dbread.c: a name as the collector and import write them: printable UTF-8 without
 * NUL, 1..max-1 bytes; strict: of the characters a group or threshold name takes. */
int		 name_ok(sqlite3_stmt *st, int col, size_t max, int strict);
/* query.c: a count, min or max: an integer from 0 to TT_COUNT_MAX. 0, or -1. */
int		 count_at(sqlite3_stmt *st, int col, uint64_t *out);

/* source.c: the files and their sources */
/* 0 while some file is good; else -1 with the last reason in h->err. */
int		 hist_some_good(struct history *h);
int		 hist_add(struct history *h, const char *path);
/* Open every file, and make its sources (all of them: see hist_select). */
int		 hist_open(struct history *h);
/* Keep the sources h->host and h->netns match (NULL: any); the others are gone. */
void		 hist_select(struct history *h);
void		 hist_close(struct history *h);
/* Files still read. */
size_t		 hist_good(const struct history *h);
/* Whether the report is over several files or sources: then it names the host. */
int		 hist_several(const struct history *h);

/* query.c: the rows */
/*
 * The rows of file i with from <= ts <= to, of one group (NULL: every
 * group), of its selected sources (only: of that one), in (ts, source,
 * group) order. -1 if the file is refused on the way.
 */
int		 hist_rows(struct history *h, size_t i, int kind, int64_t from, int64_t to,
		     const char *group, const struct hfile *only, row_fn fn, void *arg);
/* Whether src holds a raw sample in [from, to] (of group, NULL: any); -1 refused. */
int		 hist_has_rows(const struct hfile *src, int64_t from, int64_t to,
		     const char *group);
/* The same over every good file, into out: sorted by ts, one row per ts. */
int		 hist_load(struct history *h, int kind, int64_t from, int64_t to,
		     const char *group, struct dataset *out);
/* The newest sample of every source, each at its own time. */
int		 hist_load_latest(struct history *h, const char *group, struct dataset *out);
/* Newest (oldest: first) taken sample over every source; -1 if none. */
int64_t		 hist_latest(struct history *h);
int64_t		 hist_first(struct history *h);
/* The newest taken sample of the source labelled host at or before at; -1 if none. */
int64_t		 hist_newest_at(struct history *h, const char *host, int64_t at);
/*
 * source.c: 1 if name is in table of some good file: "host" and "netns" as a GLOB
 * over host names and netns labels (of the hosts h->host matches), over
 * every source; "grp" exactly (listed from the first good file); else 0,
 * and known gets the names there, comma separated, " ..." if cut.
 */
int		 hist_has_name(struct history *h, const char *table, const char *name,
		     int glob, char *known, size_t len);
/* The most common gap between the newest samples of the first good source; -1 if none. */
int64_t		 hist_common_gap(struct history *h);
/*
 * 1 if the window from `from` on holds hours whose raw samples are gone but
 * whose rollups are kept; *oldest_raw gets the oldest raw sample (-1: none).
 */
int		 hist_beyond_raw(struct history *h, int64_t from, int64_t *oldest_raw);
/* source.c: the source labelled host whose file is good, or NULL. */
struct hfile	*hist_file_of(const struct history *h, const char *host);
/* source.c: the selected source of file x with host id; NULL: none (not selected, or no such). */
const struct hfile *hist_source_id(const struct history *h, const struct hdbfile *x,
		     int64_t id);
/* source.c: the source labelled host, refused or not, or NULL. */
const struct hfile *hist_source(const struct history *h, const char *host);

/* The schema that brought the accept queues and the kernel's context. */
#define SCHEMA_CONTEXT	3

/* The schema that brought the breakdowns by cgroup and peer. */
#define SCHEMA_BREAKDOWN	4

/* The schema that brought a host row per network namespace (host.netns). */
#define SCHEMA_NETNS	5

/* bquery.c: the breakdowns. */
enum { BKD_CGROUP, BKD_PEER };
enum { BKD_IN = 1, BKD_OUT = 2 };
#define BKD_TEXT_MAX	256
struct bkquery {
	int		 kind;		/* BKD_CGROUP, BKD_PEER */
	const char	*group;		/* "all", or a config group */
	int		 state;		/* 1..11 */
	int		 dir;		/* peers: BKD_IN, BKD_OUT, 0 both */
	int64_t		 from, to;
	int64_t		 newest;	/* out: the newest sample with breakdowns; -1 none */
	int64_t		 hourly_to;	/* out: up to this, hourly maxima (raw gone); -1 none */
};
/* One key of one host over the window. */
struct bkstat {
	char		 host[TT_SOURCE_MAX];	/* the source's label */
	char		 key[BKD_TEXT_MAX];
	int		 dir;		/* 0 (cgroups, (other)), BKD_IN, BKD_OUT */
	int64_t		 newest;	/* the host's newest sample with breakdowns in it */
	uint64_t	 now;		/* the count then; 0 if not among the top then */
	uint64_t	 peak;
	int64_t		 peak_ts;	/* first reached */
	uint64_t	 err;		/* the most any count of it may be over */
	double		 slope;		/* per second, least squares; NaN under 2 samples */
	double		 share_now, share_peak;	/* outbound: of the port range; else NaN */
	size_t		 n;		/* samples that held it */
};
/*
 * The keys of q over every good file, the most at the newest sample first;
 * *out malloc'd. Files before schema 4 have none. -1 (h->err) if no file is
 * left.
 */
int		 hist_breakdown(struct history *h, struct bkquery *q,
		     struct bkstat **out, size_t *n);

/*
 * What the breakdown thresholds watch in host's file, one value per sample
 * in [from, to]: BKO_PORT_SHARE, the group's largest outbound port share
 * (0 when it has no outbound peer); BKO_OLDEST, the age in seconds of its
 * oldest CLOSE_WAIT (0 when none). *out malloc'd; none before schema 4.
 * -1 the file refused, -2 out of memory (h->err).
 */
enum { BKO_PORT_SHARE, BKO_OLDEST };
int		 hist_bk_obs(struct history *h, const char *host, const char *group, int what,
		     int64_t from, int64_t to, struct obs **out, size_t *n);

/*
 * Behind a finding, at host's newest sample with breakdowns in [from, to]:
 * BKO_OLDEST (or any other what) the cgroup holding the most sockets of
 * state in group; BKO_PORT_SHARE the outbound peer with the most sockets.
 * 1 found (key, *count), 0 none, -1 the file refused.
 */
int		 hist_bk_top(struct history *h, const char *host, const char *group, int what,
		     int state, int64_t from, int64_t to, char *key, size_t len, uint64_t *count);

/* A process named as holding a group's CLOSE_WAIT sockets (config owners). */
struct ownstat {
	char		 host[TT_SOURCE_MAX];	/* the source's label */
	char		 group[TT_NAME_MAX];
	int32_t		 pid;
	char		 comm[64];
	char		 cgroup[BKD_TEXT_MAX];	/* as last seen */
	uint64_t	 now;		/* at the host's newest trigger in the window; 0: gone */
	uint64_t	 peak;
	int64_t		 first, last;	/* the first and last sample that named it */
	int64_t		 newest;	/* the host's newest trigger */
};
/* The owners named in [from, to], of one group or all (NULL); *out malloc'd. */
int		 hist_owners(struct history *h, int64_t from, int64_t to, const char *group,
		     struct ownstat **out, size_t *n);

/* kquery.c: the kernel's context. */
/* The samples' kernel context, from <= ts <= to, into each host's `all` series' k[]. */
int		 hist_kernel(struct history *h, int64_t from, int64_t to, struct dataset *out);
/* The same, of each host's last `last` samples up to `to` (for now). */
int		 hist_kernel_last(struct history *h, int64_t to, int last, struct dataset *out);
/* The limits in force for host at `at` (stored when they changed). */
int		 hist_limits(struct history *h, const char *host, int64_t at, struct klimits *l);
/*
 * export's cursor over one source's kernel context (source i), in ts order:
 * it steps inside the caller's time budget (hist_rows' callback). kcursor_at
 * gives the sample at ts (NULL: none); -1 refuses the file.
 */
struct kcursor {
	struct hfile	*f;
	sqlite3_stmt	*st;
	struct kpoint	 k;
	int		 state;		/* 0 k is empty, 1 k is the next, 2 done */
};
int		 kcursor_open(struct history *h, size_t i, int64_t from, int64_t to,
		     struct kcursor *c);
int		 kcursor_at(struct kcursor *c, int64_t ts, const struct kpoint **out);
void		 kcursor_close(struct kcursor *c);

/* Every limit row of source i up to `to`, in ts order; *out malloc'd. */
struct klimit_row {
	int64_t		 ts;
	int		 limit;		/* KL_* */
	int64_t		 value;
};
int		 hist_limit_rows(struct history *h, size_t i, int64_t to,
		     struct klimit_row **out, size_t *n);
/*
 * Pure: the limits in force at ts (rows r[*pos..n) with ts <= it applied to
 * *inforce, *pos moved on), and in *changed those that differ from what
 * *inforce held before (all of them the first time).
 */
void		 klimits_advance(const struct klimit_row *r, size_t n, size_t *pos, int64_t ts,
		     struct klimits *inforce, struct klimits *changed);

/*
 * Pure: a counter's rate per second from k[i - 1] to k[i]; NaN when either
 * lacks it, it went down (a reboot, a wrap), or the gap is over 3 intervals.
 */
double		 kernel_rate(const struct kpoint *k, size_t i, int stat);
/* Its average over k[0..n): the increases over the seconds they cover; *secs those. */
double		 kernel_rate_over(const struct kpoint *k, size_t n, int stat, int64_t *secs);
/* A gauge's share of its limit (USED_TW, USED_ORPHANS); NaN if either is unknown. */
double		 kernel_used(const struct kpoint *k, int used, const struct klimits *l);

/*
 * One line of the kernel section of now, at and daily: the orphans and the
 * TIME_WAIT buckets (each against its limit), or a counter's rate. NaN:
 * not known.
 */
struct kline {
	int		 stat;		/* KS_* */
	double		 now;		/* the gauge at k[at], or the rate into it */
	double		 avg;		/* over k[0..n): the gauge's mean, the rate's */
	double		 peak;		/* the highest gauge or rate ... */
	int64_t		 peak_ts;	/* ... first reached then */
	int		 limit;		/* KL_*, or -1 */
	double		 limit_v;
	double		 used;		/* now (or with no now, peak) / limit */
};
/*
 * Pure: the lines of k[0..n) (one host's samples in time order) with the
 * limits l: the two gauges when stored, then the counters whose rate was
 * not 0 somewhere in k[0..n) (for `now`, k is the last two samples). at >= n:
 * no `now` (then `used` is the peak's). out holds TT_NKSTATS; how many.
 */
size_t		 kernel_lines(const struct kpoint *k, size_t n, size_t at,
		     const struct klimits *l, struct kline *out);

#endif
