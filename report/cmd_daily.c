/*
 * daily: the capacity report for one local calendar day.  Per host x group
 * x state: min, avg, p95 and peak (with its time), and the change of the
 * average against the day before and the same day a week before; then the
 * thresholds that fired that day.  --format html puts a chart of the day
 * per host x group (html.c) before the same tables.
 *
 * The day before and the week before need only their averages (and
 * whether anything was non-zero): the hourly rollups give those exactly
 * from 24 rows per group instead of 8640, so the cost of daily does not
 * depend on how much history is kept.  A day whose raw samples retention
 * has dropped is reported from its rollups: min, avg and peak exact, no
 * p95, the peak's hour instead of its time, and the rules are not replayed.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

struct daily {
	char		 date[16];		/* YYYY-MM-DD */
	int64_t		 from, to;		/* [from, to) */
	struct dataset	 day, prev, week;	/* the day, the day before, a week before */
	struct dataset	 kern;			/* the day's kernel context */
	struct ksection	 ks;
	int		 hosts;			/* show the host column */
	size_t		 samples;
	int		 from_hourly;		/* the day itself from rollups */
};

/* One row: a state of one host x group, on the day and the two before. */
struct drow {
	const struct series *s;
	int		 st;
	struct summary	 day, prev, week;
};

/* Per host x group x state; the changes are one text in tables, three numbers elsewhere. */
enum { D_HOST, D_GROUP, D_STATE, D_SAMPLES, D_MIN, D_AVG, D_P95, D_PEAK, D_PEAK_TS,
	D_PREV, D_PREV_AVG = D_PREV + 1, D_WEEK = D_PREV + 4, D_NCOLS = D_WEEK + 4 };
#define CHANGE_COLS(key, head) \
	{ head, NULL, NULL, COL_TEXT, NULL, NULL, 0, NULL }, \
	{ NULL, key "_avg", key "_avg", COL_REAL, NULL, "%.2f", 0, NULL }, \
	{ NULL, key "_change", key "_change", COL_REAL, NULL, "%.2f", 0, NULL }, \
	{ NULL, key "_change_pct", key "_change_pct", COL_REAL, NULL, "%.2f", 0, NULL }
static const struct column stats_cols[D_NCOLS] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL },
	{ "group", "group", "group", COL_TEXT, NULL, NULL, 0, NULL },
	{ "state", "state", "state", COL_TEXT, NULL, NULL, 0, NULL },
	{ NULL, "samples", "samples", COL_INT, NULL, NULL, 0, NULL },
	{ "min", "min", "min", COL_INT, NULL, NULL, 1, NULL },
	{ "avg", "avg", "avg", COL_REAL, "%.1f", "%.2f", 1, NULL },
	{ "p95", "p95", "p95", COL_NUM, NULL, NULL, 1, NULL },
	{ "peak", "peak", "peak", COL_INT, NULL, NULL, 1, NULL },
	{ "peak at", "peak_time", "peak_ts", COL_TIME, NULL, NULL, 0, NULL },
	CHANGE_COLS("day_before", "vs day before"),
	CHANGE_COLS("week_before", "vs week before"),
};
#undef CHANGE_COLS

/* Strictly YYYY-MM-DD, a real date from 1970 on. */
static int
parse_date(const char *s, struct tm *tm)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int i, y, m, d, leap;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1970 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] + (m == 2 && leap))
		return -1;
	memset(tm, 0, sizeof(*tm));
	tm->tm_year = y - 1900;
	tm->tm_mon = m - 1;
	tm->tm_mday = d;
	return 0;
}

/* Local midnight `days` days after the given day (mktime normalises). */
static int64_t
local_midnight(const struct tm *day, int days)
{
	struct tm tm = *day;

	tm.tm_mday += days;
	tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* From col on: the table's "+12.5 (+8.3%)", then avg, change and change_pct. */
static void
change_cells(struct cell *row, char *buf, size_t len, double cur,
    const struct summary *before)
{
	row[0] = cell_text(fmt_change(cur, before, buf, len));
	row[1] = before->n ? cell_real(before->avg) : cell_null();
	row[2] = before->n ? cell_real(cur - before->avg) : cell_null();
	row[3] = before->n && before->avg != 0 ?
	    cell_real((cur - before->avg) / before->avg * 100.0) : cell_null();
}

static int
stats_row(const struct report *r, struct rows *t, const struct drow *w)
{
	struct cell row[D_NCOLS];
	char c1[64], c2[64];

	row[D_HOST] = host_cell(r, w->s->host);
	row[D_GROUP] = cell_text(w->s->group);
	row[D_STATE] = cell_text(state_name(w->st));
	row[D_SAMPLES] = cell_int((int64_t)w->day.n);
	row[D_MIN] = cell_int(w->day.min);
	row[D_AVG] = cell_real(w->day.avg);
	row[D_P95] = isnan(w->day.p95) ? cell_null() : cell_real(w->day.p95);
	row[D_PEAK] = cell_int(w->day.max);
	row[D_PEAK_TS] = cell_int(w->day.peak_ts);
	change_cells(row + D_PREV, c1, sizeof(c1), w->day.avg, &w->prev);
	change_cells(row + D_WEEK, c2, sizeof(c2), w->day.avg, &w->week);
	/* tables leave out what was 0 on all three days */
	return rows_add(t, row, w->day.max != 0 || w->prev.max != 0 || w->week.max != 0 ?
	    0 : ROW_NOT_IN_TABLE);
}

static int
stats_rows(const struct report *r, struct daily *dl, struct rows *t)
{
	const struct series *p, *k;
	struct drow w;
	size_t i;

	for (i = 0; i < dl->day.n; i++) {
		w.s = &dl->day.s[i];
		p = find_series(&dl->prev, w.s);
		k = find_series(&dl->week, w.s);
		for (w.st = 1; w.st <= TT_NSTATES; w.st++) {
			series_summary(w.s, w.st, &w.day);
			series_summary(p, w.st, &w.prev);
			series_summary(k, w.st, &w.week);
			if (stats_row(r, t, &w) == -1)
				return -1;
		}
	}
	return 0;
}

static int
wanted_group(const struct report *r, const char *group)
{
	size_t i;

	for (i = 0; i < r->ngroup; i++)
		if (strcmp(r->group[i], group) == 0)
			return 1;
	return r->ngroup == 0;
}

/* rule_backtest over the day, loaded early enough to judge the first sample. */
static int
fired_rows(struct report *r, struct daily *dl, struct rows *t)
{
	const struct threshold *th;
	size_t i, samples = 0;
	int rc = 0;

	for (i = 0; i < r->cfg->nthresholds && rc == 0; i++) {
		th = &r->cfg->thresholds[i];
		/* a firing carried over from the day before starts, for this day, at midnight */
		if (wanted_group(r, th->group))
			rc = replay(r, th, dl->from, dl->to - 1, 1, t, &samples);
	}
	return rc;
}

/* [from, to) of every group (or --group), raw or (hourly) from the rollups. */
static int
load_day(struct report *r, int64_t from, int64_t to, int hourly, struct dataset *d)
{
	size_t g;

	for (g = 0; g < (r->ngroup ? r->ngroup : 1); g++)
		if ((hourly ? report_load(r, ROWS_HOURLY, from, to - 1, r->ngroup ? r->group[g] : NULL,
		    d) : report_load(r, ROWS_RAW, from, to - 1, r->ngroup ? r->group[g] : NULL, d)) != 0)
			return -1;
	dataset_sort(d);
	return 0;
}

/* Rollups answer for a local day only when its bounds are whole UTC hours. */
static int
hour_aligned(int64_t from, int64_t to)
{
	return from % 3600 == 0 && to % 3600 == 0;
}

/* The day from --date or today; its bounds and the two earlier days' data. */
static int
daily_load(struct report *r, struct daily *dl)
{
	struct tm day;
	time_t now = (time_t)r->now;
	int64_t p0, w0, w1;

	if (r->date != NULL && parse_date(r->date, &day) == -1)
		return usage_err(r, "--date '%s': not a date; use the form YYYY-MM-DD, "
		    "e.g. 2026-11-23", r->date);
	if (r->date == NULL && localtime_r(&now, &day) == NULL)
		return runtime_err(r, "cannot convert the current time to local time");
	strftime(dl->date, sizeof(dl->date), "%Y-%m-%d", &day);
	dl->from = local_midnight(&day, 0);
	dl->to = local_midnight(&day, 1);
	p0 = local_midnight(&day, -1);
	w0 = local_midnight(&day, -7);
	w1 = local_midnight(&day, -6);
	r->hist.lq = r->format == FMT_HTML;	/* the queues' chart */
	if (load_day(r, dl->from, dl->to, 0, &dl->day) != 0 ||
	    load_day(r, p0, dl->from, hour_aligned(p0, dl->from), &dl->prev) != 0 ||
	    load_day(r, w0, w1, hour_aligned(w0, w1), &dl->week) != 0)
		return EX_RUNTIME;
	if (dl->day.n == 0 && hour_aligned(dl->from, dl->to)) {
		if (load_day(r, dl->from, dl->to, 1, &dl->day) != 0)
			return EX_RUNTIME;
		dl->from_hourly = dl->day.n > 0;
	}
	if (dl->day.n == 0) {
		char a[32], b[32];

		return runtime_err(r, "no samples on %s (local day %s .. %s)", dl->date,
		    fmt_time(dl->from, a, sizeof(a)), fmt_time(dl->to, b, sizeof(b)));
	}
	dl->samples = count_samples(&dl->day, &dl->hosts);
	dl->hosts = dl->hosts > 1 || hist_several(&r->hist);
	if (hist_kernel(&r->hist, dl->from, dl->to - 1, &dl->kern) == -1)
		return report_fail(r);
	dataset_sort(&dl->kern);
	return ksection_rows(r, KSEC_DAY, &dl->kern, dl->to - 1, 0, 0, &dl->ks);
}

/* Per host: the fullest accept queue of each group, and the rates that were not 0. */
static int
kernel_charts(struct report *r, struct daily *dl)
{
	const struct series **hs;
	size_t i, j, n;
	int rc = 0;

	if ((hs = calloc(dl->day.n + 1, sizeof(*hs))) == NULL)
		return -1;
	for (i = 0; i < dl->day.n && rc == 0; i = j) {
		for (j = i, n = 0; j < dl->day.n && strcmp(dl->day.s[j].host, dl->day.s[i].host) == 0;
		    j++)
			hs[n++] = &dl->day.s[j];
		rc = html_chart_fill(stdout, hs, n, dl->from, dl->to, r->max_gap,
		    r->cfg->thresholds, r->cfg->nthresholds);
	}
	for (i = 0; i < dl->kern.n && rc >= 0; i++)
		if (dl->kern.s[i].nk > 1)
			rc = html_chart_rates(stdout, &dl->kern.s[i], dl->from, dl->to,
			    r->max_gap, r->cfg->thresholds, r->cfg->nthresholds);
	free(hs);
	return rc < 0 ? -1 : 0;
}

/*
 * One host x group's chart: its samples, or for a day from the rollups one
 * point per hour at mid-hour, the hour's average.
 */
static int
chart(struct report *r, struct daily *dl, const struct series *s, int64_t gap)
{
	struct series h;
	size_t i;
	int st, rc;

	if (!dl->from_hourly)
		return html_chart(stdout, s, dl->from, dl->to, gap, r->cfg->thresholds,
		    r->cfg->nthresholds);
	h = *s;
	h.n = h.cap = 0;
	h.nh = h.caph = 0;
	h.h = NULL;
	if ((h.p = calloc(s->nh ? s->nh : 1, sizeof(*h.p))) == NULL)
		return -1;
	for (i = 0; i < s->nh; i++) {
		if (s->h[i].n == 0)
			continue;
		h.p[h.n].ts = s->h[i].ts + 1800;
		for (st = 1; st <= TT_NSTATES; st++)
			h.p[h.n].count[st] = (uint64_t)((s->h[i].sum[st] + s->h[i].n / 2) /
			    s->h[i].n);
		h.n++;
	}
	rc = html_chart(stdout, &h, dl->from, dl->to, STALE_INTERVALS * 3600, r->cfg->thresholds,
	    r->cfg->nthresholds);
	free(h.p);
	return rc;
}

/* The same tables, after a chart per host x group, as one XHTML page. */
static int
daily_html(struct report *r, struct daily *dl, struct rows *st, struct rows *ft)
{
	char msg[64];
	size_t i;

	html_begin(stdout, dl->date, dl->from, dl->to, dl->samples);
	html_heading(stdout, "States over the day, per host and group");
	if (dl->from_hourly)
		html_para(stdout, "The day's raw samples are gone (retention): the charts show "
		    "hourly averages from the rollups, the table their min, avg and peak "
		    "(no p95).");
	for (i = 0; i < dl->day.n; i++)
		if (chart(r, dl, &dl->day.s[i], r->max_gap) == -1)
			return runtime_err(r, "out of memory");
	if (!dl->from_hourly && dl->kern.n > 0) {
		html_heading(stdout, "Accept queues and the kernel's counters");
		if (kernel_charts(r, dl) == -1)
			return runtime_err(r, "out of memory");
	}
	html_heading(stdout, "Per group and state: min, avg, p95, peak, change");
	if (st->ntable == 0)
		html_para(stdout, "every state was 0 on the day, the day before and the "
		    "week before");
	else
		html_rows(stdout, st);
	if (dl->ks.t.n > 0) {
		html_heading(stdout, "The kernel: orphans and TIME_WAIT buckets against their "
		    "limits, the counters that moved");
		html_rows(stdout, &dl->ks.t);
	}
	html_heading(stdout, "Thresholds fired");
	snprintf(msg, sizeof(msg), "no threshold fired on %s", dl->date);
	if (dl->from_hourly)
		html_para(stdout, "thresholds not replayed: the day's raw samples are gone");
	else if (r->cfg->nthresholds == 0)
		html_para(stdout, "no thresholds configured");
	else if (ft->n == 0)
		html_para(stdout, msg);
	else
		html_rows(stdout, ft);
	html_end(stdout);
	return 0;
}

static int
daily_table(struct report *r, struct daily *dl, struct rows *st, struct rows *ft)
{
	printf("daily report for %s (local day, UTC times), %zu samples%s\n\n", dl->date,
	    dl->samples, dl->from_hourly ? ", from hourly rollups (the raw samples are "
	    "gone: no p95; peak at = start of the peak's hour)" : "");
	if (st->ntable == 0)
		printf("every state was 0 on the day, the day before and the week before\n");
	else
		rows_table(st, stdout);
	ksection_table(&dl->ks, stdout);
	if (bsection_table(r, dl->from, dl->to, 0, stdout) != 0)
		return EX_RUNTIME;
	if (r->cfg->nthresholds == 0)
		printf("\nno thresholds configured\n");
	else if (dl->from_hourly)
		printf("\nthresholds not replayed: the raw samples of %s are gone\n", dl->date);
	else if (ft->n == 0)
		printf("\nno threshold fired on %s\n", dl->date);
	else {
		printf("\nthresholds fired:\n");
		rows_table(ft, stdout);
	}
	return 0;
}

static int
daily_print(struct report *r, struct daily *dl, struct rows *st, struct rows *ft)
{
	if (stats_rows(r, dl, st) == -1)
		return runtime_err(r, "out of memory");
	if (!dl->from_hourly && fired_rows(r, dl, ft) != 0)
		return EX_RUNTIME;
	if (r->format == FMT_HTML)
		return daily_html(r, dl, st, ft);
	if (r->format == FMT_TABLE)
		return daily_table(r, dl, st, ft);
	if (dl->from_hourly)
		fprintf(stderr, "tcptally-report: daily: %s from hourly rollups; its raw samples "
		    "are gone (retention): no p95, peak times are hours\n", dl->date);
	if (r->format == FMT_CSV) {
		rows_csv(st, stdout);
		putchar('\n');
		rows_csv(ft, stdout);
		if (dl->ks.t.n > 0) {
			putchar('\n');
			rows_csv(&dl->ks.t, stdout);
		}
		return 0;
	}
	printf("{\"date\": \"%s\", \"from\": %lld, \"to\": %lld, \"samples\": %zu,\n"
	    "  \"states\": ", dl->date, (long long)dl->from, (long long)dl->to, dl->samples);
	rows_json(st, stdout, 4);
	printf(",\n  \"fired\": ");
	rows_json(ft, stdout, 4);
	printf(",\n  \"kernel\": ");
	rows_json(&dl->ks.t, stdout, 4);
	printf("}\n");
	return 0;
}

int
cmd_daily(struct report *r)
{
	struct daily dl;
	struct rows st, ft;
	int rc;

	memset(&dl, 0, sizeof(dl));
	rows_init(&st, stats_cols, D_NCOLS);
	rows_init(&ft, firing_cols, NFIRING_COLS);
	if ((rc = daily_load(r, &dl)) == 0) {
		if (!dl.hosts && (r->format == FMT_TABLE || r->format == FMT_HTML))
			st.hide = 1u << D_HOST;	/* one host: CSV and JSON still name it */
		rc = daily_print(r, &dl, &st, &ft);
	}
	rows_free(&st);
	rows_free(&ft);
	dataset_free(&dl.day);
	dataset_free(&dl.prev);
	dataset_free(&dl.week);
	dataset_free(&dl.kern);
	ksection_free(&dl.ks);
	return rc;
}
