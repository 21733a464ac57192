/* Private to tcptally-report: the run's options, rendering, the commands. */
#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include <stdio.h>

#include "tcptally/config.h"
#include "tcptally/timeutil.h"
#include "query.h"
#include "render.h"
#include "series.h"

#define MAX_FILTER	16
/*
 * A host whose newest sample is older than this many intervals has no
 * collector running, and a gap this long between samples ends a breach:
 * nothing is known about a time nobody measured.
 */
#define STALE_INTERVALS	3

struct report {
	struct config	*cfg;
	const char	*config_path;
	struct history	 hist;			/* the databases: -d, or the config's */
	int		 db_from_config;	/* no -d: the path is the config's */
	int64_t		 interval;		/* the config's, else the data's */
	int64_t		 max_gap;		/* STALE_INTERVALS x interval */
	int		 format;
	int64_t		 now;
	int		 tty;			/* stdout is a terminal */
	int		 check;			/* exit codes are Nagios' */
	/* command options; *_set says whether given */
	int64_t		 since, from, to, step, around, at;
	int64_t		 baseline_from, baseline_to;
	int		 since_set, from_set, to_set, step_set, around_set, at_set;
	int		 baseline_set;
	const char	*date;
	const char	*group[MAX_FILTER];
	size_t		 ngroup;
	int		 state[MAX_FILTER];
	size_t		 nstate;
	const char	*arg;			/* positional argument: at T */
	int		 perfdata;		/* check: PERF_* */
	int		 direction;		/* peers: BKD_IN, BKD_OUT, 0 both */
};

/* A command's options: each command's table in opts.c lists those it takes. */
enum { O_SINCE, O_FROM, O_TO, O_STEP, O_GROUP, O_STATE, O_DATE, O_AROUND,
	O_BASELINE_FROM, O_BASELINE_TO, O_AT, O_PERFDATA, O_DIRECTION, O_NOPT };

struct command {
	const char	*name;
	int		(*run)(struct report *);
	const int	*opts;		/* O_* it takes, ending in -1 */
	int		 arg;		/* takes a time: at T */
	const char	*synopsis;
};

/* check --perfdata: every series a threshold judged, those that fired, none */
enum { PERF_ALL = 0, PERF_BREACHING, PERF_NONE };

/* exit codes */
#define EX_OK		0
#define EX_RUNTIME	1
#define EX_USAGE	2

/* opts.c */
#define OPTS_DONE	(-1)	/* help or version printed: exit 0 */
/* 0, OPTS_DONE, or the exit code after the message. */
int		 opts_parse(struct report *r, int argc, char *argv[],
		     const struct command **cmd);
void		 opts_free(void);
void		 usage(FILE *f);

/* run.c */
/* The whole run after main's setup (now, tty): its exit code. */
int		 report_run(struct report *r, int argc, char *argv[]);
/* Name the refused files not yet named, on stderr; how many are refused. */
size_t		 report_refused(struct report *r);
int		 usage_err(struct report *r, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
int		 runtime_err(struct report *r, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
/* The data layer's error (r->hist.err) as a runtime failure: its exit code. */
int		 report_fail(struct report *r);
/* hist_load and hist_load_latest: 0, or the exit code after the message. */
int		 report_load(struct report *r, int kind, int64_t from, int64_t to,
		     const char *group, struct dataset *d);
int		 report_load_latest(struct report *r, const char *group, struct dataset *d);
/* A COL_HOST cell of the series label host: its host name and netns label. */
struct cell	 host_cell(const struct report *r, const char *host);

/* cmd_backtest.c: the rows of backtest and of daily's thresholds fired */
#define NFIRING_COLS	9
extern const struct column firing_cols[NFIRING_COLS];
int		 firing_row(const struct report *r, struct rows *t, const struct threshold *th,
		     const struct series *s, const struct firing *f);
/*
 * th replayed over [from, to]: a row of t for each firing that reaches into
 * it (with clip, one that began before from starts at from); *samples counts
 * the values judged. 0, or the exit code after the message.
 */
int		 replay(struct report *r, const struct threshold *th, int64_t from, int64_t to,
		     int clip, struct rows *t, size_t *samples);

/* watch.c: what a threshold watches, as values (series.h struct obs) */
/* fn for each host x group (or host: a rate, a share) series t watches in [from, to]. */
int		 watch_each(struct report *r, const struct threshold *t, int64_t from,
		     int64_t to, int (*fn)(void *, const struct series *, const struct obs *,
		     size_t), void *arg);
/* "CLOSE_WAIT", "LISTEN fill", "ListenOverflows rate", "tw_buckets_used" */
const char	*watch_what(const struct threshold *t, char *buf, size_t len);
/* A value as t's kind shows it: "412", "93%", "0.5/s". */
const char	*watch_value(const struct threshold *t, double v, char *buf, size_t len);

/* ksection.c: the kernel section of now, at and daily, as rows */
enum { KSEC_NOW, KSEC_AT, KSEC_DAY };
#define KSEC_NCOLS	16
struct ksection {
	struct column	 col[KSEC_NCOLS];	/* t points here: do not move it */
	struct rows	 t;
};
/*
 * Per host: now, its last sample; at, [from, to] with T the sample nearest
 * `at`; a day, [from, to] with no T. 0, or the exit code after the message.
 */
int		 ksection_load(struct report *r, int mode, int64_t from, int64_t to,
		     int64_t at, struct ksection *ks);
/* The same from the kernel series already loaded (hist_kernel) in d; clock:
 * peak times as HH:MM:SS in tables. */
int		 ksection_rows(struct report *r, int mode, const struct dataset *d, int64_t to,
		     int64_t at, int clock, struct ksection *ks);
/* Its table under a heading; nothing when no host has the context. */
void		 ksection_table(const struct ksection *ks, FILE *f);
void		 ksection_free(struct ksection *ks);

/* the commands */
int		 cmd_now(struct report *r);
int		 cmd_trend(struct report *r);
int		 cmd_daily(struct report *r);
int		 cmd_at(struct report *r);
int		 cmd_diff(struct report *r);
int		 cmd_check(struct report *r);
int		 cmd_backtest(struct report *r);
int		 cmd_export(struct report *r);
int		 cmd_listeners(struct report *r);
int		 cmd_who(struct report *r);
/* cmd_who.c: at's and daily's lines on who holds CLOSE_WAIT and TIME_WAIT. */
int		 bsection_table(struct report *r, int64_t from, int64_t to, int clock, FILE *f);
int		 cmd_peers(struct report *r);
int		 cmd_owners(struct report *r);

/* help.c: a command's usage, options and examples; -1 if no such command */
int		 command_help(FILE *f, const char *name);

#endif
