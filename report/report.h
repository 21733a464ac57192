/* Private to tcptally-report: the run's options, database access, rendering, commands. */
#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include <stdio.h>

#include "tcptally/report.h"

#define MAX_DBS		1024
#define MAX_FILTER	16

struct report {
	struct config	*cfg;
	const char	*config_path;
	const char	*dbpath[MAX_DBS];
	sqlite3		*db[MAX_DBS];
	size_t		 ndb;
	int		 db_from_config;	/* no -d: the path is the config's */
	const char	*host;			/* --host, or NULL */
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
};

/* check --perfdata: every series a threshold judged, those that fired, none */
enum { PERF_ALL = 0, PERF_BREACHING, PERF_NONE };

/* exit codes */
#define EX_OK		0
#define EX_RUNTIME	1
#define EX_USAGE	2

/* main.c */
int		 usage_err(struct report *r, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
int		 runtime_err(struct report *r, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));

/* query.c */
int		 report_open(struct report *r);
void		 report_close(struct report *r);
/* Load samples with from <= ts <= to, of one group (NULL: every group). */
int		 report_load(struct report *r, int64_t from, int64_t to, const char *group,
		     struct dataset *out);
int		 report_load_latest(struct report *r, const char *group, struct dataset *out);
/* Prepare sql, binding ?1 from, ?2 to, ?3 group, ?4 host (NULL: any);
 * 0, or the exit code after the message is printed. */
int		 report_prepare_range(struct report *r, sqlite3 *db, const char *sql,
		     int64_t from, int64_t to, const char *group, const char *host,
		     sqlite3_stmt **st);
/* Hourly rollups of the hours starting in [from, to], into the series' h[]. */
int		 report_load_hourly(struct report *r, int64_t from, int64_t to,
		     const char *group, struct dataset *out);
/* 1 if the window from `from` on holds hours whose raw samples are gone but
 * whose rollups are kept; *oldest_raw gets the oldest raw sample (-1: none). */
int		 report_beyond_raw(struct report *r, int64_t from, int64_t *oldest_raw);
/* Newest sample time over every database (host filter applied); -1 if none. */
int64_t		 report_latest(struct report *r);
/* 0 if --host (a GLOB pattern) matches a host, else the exit code after the
 * known ones are printed. */
int		 report_check_host(struct report *r);
/* 0 if group exists in some database, else prints the known ones and returns -1. */
int		 report_check_group(struct report *r, const char *group);
/* The sampling interval: the config's, else the data's most common gap. */
int64_t		 report_interval(struct report *r);
/* Order series by host, its `all` group first, then by group name. */
void		 dataset_sort(struct dataset *d);
/* The series of d with like's host and group, or NULL. */
const struct series *find_series(const struct dataset *d, const struct series *like);
/* Samples per host (its longest series) summed; *hosts gets the host count. */
size_t		 count_samples(const struct dataset *d, int *hosts);

/* render.c */
struct table {
	char		***cell;		/* [row][col] */
	size_t		 nrows, ncols;
	int		*numeric;		/* right-align column */
};
int		 table_init(struct table *t, size_t ncols, const char *const *header);
int		 table_row_v(struct table *t, const char *const *cells);	/* ncols strings */
void		 table_print(const struct table *t, FILE *f);
void		 table_print_csv(const struct table *t, FILE *f);
void		 table_free(struct table *t);
void		 json_string(FILE *f, const char *s);
void		 csv_field(FILE *f, const char *s);
const char	*sparkline(const double *v, size_t n, char *buf, size_t len);
const char	*fmt_time(int64_t ts, char *buf, size_t len);	/* UTC ISO */
const char	*fmt_num(double v, char *buf, size_t len);
/* cur's change against before's average: "+12.5 (+8.3%)", "n/a". */
const char	*fmt_change(double cur, const struct summary *before, char *buf, size_t len);

/* the commands */
int		 cmd_now(struct report *r);
int		 cmd_trend(struct report *r);
int		 cmd_daily(struct report *r);
int		 cmd_at(struct report *r);
int		 cmd_diff(struct report *r);
int		 cmd_check(struct report *r);
int		 cmd_backtest(struct report *r);
int		 cmd_export(struct report *r);

/* html.c: daily --format html, one self-contained XHTML page */
void		 html_text(FILE *f, const char *s);	/* escaped for XML */
void		 html_begin(FILE *f, const char *date, int64_t from, int64_t to,
		     size_t samples);
void		 html_heading(FILE *f, const char *text);
void		 html_para(FILE *f, const char *text);
void		 html_table(FILE *f, const struct table *t);
int		 html_chart(FILE *f, const struct series *s, int64_t from, int64_t to,
		     int64_t max_gap, const struct threshold *th, size_t nth);
void		 html_end(FILE *f);
/* help.c: a command's usage, options and examples; -1 if no such command */
int		 command_help(FILE *f, const char *name);

#endif
