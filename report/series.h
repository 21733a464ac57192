/*
 * The report's pure core: a history as series of samples (or hourly
 * rollups) per host x group, their statistics, and the threshold rules.
 * No I/O and no SQLite here: history.c fills a dataset, the commands
 * read it.
 */
#ifndef REPORT_SERIES_H
#define REPORT_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "tcptally/config.h"
#include "tcptally/kernel.h"

/* A group's listeners at a sample (or their maxima over an hour). */
struct lq {
	int		 have;			/* 0: not stored (older samples, imports) */
	uint64_t	 listeners, queued, backlog, full;
	double		 max_fill;		/* queue / (backlog + 1) of the fullest */
};

/* One stored sample of one host x group: all 11 states, and its listeners. */
struct point {
	int64_t		 ts;
	uint64_t	 count[TT_NSTATES + 1];	/* [1..11] */
	struct lq	 lq;
};

/* One hourly rollup of one host x group: per state min, max and sum. */
struct hour {
	int64_t		 ts;			/* start of the hour */
	uint32_t	 n;			/* samples in it */
	uint64_t	 min[TT_NSTATES + 1], max[TT_NSTATES + 1];
	uint64_t	 sum[TT_NSTATES + 1];
	struct lq	 lq;			/* maxima (backlog unused) */
};

/* The kernel's context of one sample of a host. */
struct kpoint {
	int64_t		 ts;
	int64_t		 interval;		/* a longer gap than 3 of them: no rate */
	int64_t		 v[TT_NKSTATS];
	uint32_t	 have;			/* bit i: v[i] stored */
};

/*
 * A series' host is the label of its source, one network namespace of a
 * host: the host name for the host's own ('host'), else NAME/NETNS.
 */
#define TT_SOURCE_MAX	(2 * TT_HOST_MAX)

/* The samples (or the hourly rollups) of one host x group, ts ascending. */
struct series {
	char		 host[TT_SOURCE_MAX];	/* the source's label */
	char		 group[TT_NAME_MAX];
	struct point	*p;
	size_t		 n, cap;
	struct hour	*h;
	size_t		 nh, caph;
	struct kpoint	*k;			/* the host's kernel context: `all` only */
	size_t		 nk, capk;
};

struct dataset {
	struct series	*s;
	size_t		 n, cap;
};

/* stats.c: pure. */
struct summary {
	size_t		 n;
	uint64_t	 min, max;
	double		 avg;
	double		 p95;		/* nearest rank: the ceil(0.95 n)-th smallest */
	int64_t		 peak_ts;	/* first ts where max was reached */
	int64_t		 low_ts;	/* first ts where min was reached */
};
void		 summary_of(const struct point *p, size_t n, int state, struct summary *out);
/* The same over hourly rollups: min, max and avg exact; no p95 (NaN);
 * peak_ts and low_ts are the start of the hour that held them. */
void		 summary_of_hours(const struct hour *h, size_t n, int state,
		     struct summary *out);
/* Least-squares slope of the hourly averages at mid-hour, each weighted by
 * its samples, per second; 0 if fewer than 2 hours. */
double		 slope_of_hours(const struct hour *h, size_t n, int state);
/* A series' summary of one state: over its hourly rollups when it holds
 * them, else over its points; s may be NULL (n = 0). */
void		 series_summary(const struct series *s, int state, struct summary *out);
/* Least-squares slope of count over time, per second; 0 if fewer than 2 points. */
double		 slope_of(const struct point *p, size_t n, int state);
/* Index range [*lo, *hi) of points with from <= ts < to. */
void		 point_range(const struct point *p, size_t n, int64_t from, int64_t to,
		     size_t *lo, size_t *hi);

/* rules.c: pure threshold evaluation, over values in time. */
struct obs {
	int64_t		 ts;
	double		 v;		/* a count, a fill, a rate per second, a share */
};
struct finding {
	int		 fired;
	double		 value;		/* latest count, or the slope per second for growth */
	double		 limit;		/* above/below, or growth per second */
	int64_t		 since;		/* start of the breach that fired */
};
struct firing {				/* an interval in which a rule fired (backtest) */
	int64_t		 start, end;	/* sample times, inclusive */
	double		 peak;		/* highest count (above, growth) or lowest (below) */
};
/*
 * Evaluate t on series points at time `at` (points after `at` are ignored).
 * A gap of more than max_gap between samples ends a breach (0: never).
 */
void		 rule_eval(const struct threshold *t, const struct point *p, size_t n,
		     int64_t at, int64_t max_gap, struct finding *f);
/* Every interval in which t would have fired; *out is malloc'd. */
int		 rule_backtest(const struct threshold *t, const struct point *p, size_t n,
		     int64_t max_gap, struct firing **out, size_t *nout);
/* The same over the values t watches, whatever its kind (count, fill, rate, share). */
void		 rule_eval_obs(const struct threshold *t, const struct obs *o, size_t n,
		     int64_t at, int64_t max_gap, struct finding *f);
int		 rule_backtest_obs(const struct threshold *t, const struct obs *o, size_t n,
		     int64_t max_gap, struct firing **out, size_t *nout);

/* dataset.c */
/* Append a sample, an hourly rollup or a kernel sample; -1 out of memory. */
int		 series_push(struct series *s, const struct point *pt);
int		 series_push_hour(struct series *s, const struct hour *h);
int		 series_push_kernel(struct series *s, const struct kpoint *k);
size_t		 series_samples(const struct series *s);
struct series	*dataset_series(struct dataset *d, const char *host, const char *group);
/*
 * The same, d->s[*guess] first: rows that cycle through the same series
 * find each in one try. *guess moves to the one after.
 */
struct series	*series_for(struct dataset *d, size_t *guess, const char *host,
		     const char *group);
/* Every series of from appended to d's of the same host and group; from is left empty. */
int		 dataset_take(struct dataset *d, struct dataset *from);
/* Every series' points and hours sorted by ts, one per ts (copies merged). */
void		 dataset_dedup(struct dataset *d);
/* Order series by host, its `all` group first, then by group name. */
void		 dataset_sort(struct dataset *d);
/* The series of d with like's host and group, or NULL. */
const struct series *find_series(const struct dataset *d, const struct series *like);
/* Samples per host (its longest series) summed; *hosts gets the host count. */
size_t		 count_samples(const struct dataset *d, int *hosts);
void		 dataset_free(struct dataset *d);

#endif
