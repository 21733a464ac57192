/* Internals of tcptally-report and of the importer: series, statistics, rules, time. */
#ifndef TCPTALLY_REPORT_H
#define TCPTALLY_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "tcptally/tcptally.h"

/* One stored sample of one host x group: all 11 states. */
struct point {
	int64_t		 ts;
	uint32_t	 count[TT_NSTATES + 1];	/* [1..11] */
};

/* One hourly rollup of one host x group: per state min, max and sum. */
struct hour {
	int64_t		 ts;			/* start of the hour */
	uint32_t	 n;			/* samples in it */
	uint32_t	 min[TT_NSTATES + 1], max[TT_NSTATES + 1];
	uint64_t	 sum[TT_NSTATES + 1];
};

/* The samples (or the hourly rollups) of one host x group, ts ascending. */
struct series {
	char		 host[256];
	char		 group[TT_NAME_MAX];
	struct point	*p;
	size_t		 n, cap;
	struct hour	*h;
	size_t		 nh, caph;
};

struct dataset {
	struct series	*s;
	size_t		 n, cap;
};

enum { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_OPENMETRICS, FMT_HTML };

/* timeparse.c: pure; `now` is injected. */
/* T: 2026-11-23T18:00:00Z, 2026-11-23 18:00[:SS] (local), @EPOCH, -2h, now. */
int		 time_parse(const char *s, int64_t now, int64_t *out, const char **why);
/* Cron-log timestamp lines: @EPOCH, ISO 8601 (Z or +hh:mm, or local), date(1) C locale. */
int		 logtime_parse(const char *s, int64_t *out, const char **why);
void		 time_format_utc(int64_t ts, char *buf, size_t len);	/* 2026-11-23T18:00:00Z */

/* stats.c: pure. */
struct summary {
	size_t		 n;
	uint32_t	 min, max;
	double		 avg;
	double		 p95;		/* nearest rank: the ceil(0.95 n)-th smallest */
	int64_t		 peak_ts;	/* first ts where max was reached */
};
void		 summary_of(const struct point *p, size_t n, int state, struct summary *out);
/* The same over hourly rollups: min, max and avg exact; no p95 (NaN);
 * peak_ts is the start of the hour that held the peak. */
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

/* rules.c: pure threshold evaluation. */
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
/* Evaluate t on series points at time `at` (points after `at` are ignored). */
void		 rule_eval(const struct threshold *t, const struct point *p, size_t n,
		     int64_t at, struct finding *f);
/* Every interval in which t would have fired; *out is malloc'd. */
int		 rule_backtest(const struct threshold *t, const struct point *p, size_t n,
		     struct firing **out, size_t *nout);

/* dataset.c */
int		 series_push(struct series *s, const struct point *pt);
int		 series_push_hour(struct series *s, const struct hour *h);
size_t		 series_samples(const struct series *s);
struct series	*dataset_series(struct dataset *d, const char *host, const char *group);
void		 dataset_free(struct dataset *d);

#endif
