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
	int		 hosts;			/* show the host column */
	size_t		 samples;
	int		 first;			/* JSON: no row printed yet */
	int		 from_hourly;		/* the day itself from rollups */
};

/* One row: a state of one host x group, on the day and the two before. */
struct drow {
	const struct series *s;
	int		 st;
	struct summary	 day, prev, week;
};

static const char *const stats_head[] = { "host", "group", "state", "min", "avg", "p95",
    "peak", "peak at", "vs day before", "vs week before" };
#define STATS_COLS	10

static const char *const fired_head[] = { "threshold", "severity", "host", "group",
    "state", "start", "end", "peak" };
#define FIRED_COLS	8

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

/* CSV: avg,change,change_pct, each empty when n/a. */
static void
csv_change(double cur, const struct summary *before)
{
	if (before->n == 0)
		printf(",,,");
	else if (before->avg == 0)
		printf(",%.2f,%.2f,", before->avg, cur - before->avg);
	else
		printf(",%.2f,%.2f,%.2f", before->avg, cur - before->avg,
		    (cur - before->avg) / before->avg * 100.0);
}

static void
json_change(const char *key, double cur, const struct summary *before)
{
	if (before->n == 0)
		printf(", \"%s_avg\": null, \"%s_change\": null, \"%s_change_pct\": null",
		    key, key, key);
	else if (before->avg == 0)
		printf(", \"%s_avg\": %.2f, \"%s_change\": %.2f, \"%s_change_pct\": null",
		    key, before->avg, key, cur - before->avg, key);
	else
		printf(", \"%s_avg\": %.2f, \"%s_change\": %.2f, \"%s_change_pct\": %.2f",
		    key, before->avg, key, cur - before->avg, key,
		    (cur - before->avg) / before->avg * 100.0);
}

static void
row_table(struct daily *dl, struct table *t, const struct drow *w)
{
	char mn[16], av[32], p95[32], mx[16], when[32], c1[64], c2[64];
	const char *row[STATS_COLS];

	snprintf(mn, sizeof(mn), "%u", w->day.min);
	snprintf(av, sizeof(av), "%.1f", w->day.avg);
	if (isnan(w->day.p95))
		snprintf(p95, sizeof(p95), "n/a");
	else
		fmt_num(w->day.p95, p95, sizeof(p95));
	snprintf(mx, sizeof(mx), "%u", w->day.max);
	row[0] = w->s->host;
	row[1] = w->s->group;
	row[2] = state_name(w->st);
	row[3] = mn;
	row[4] = av;
	row[5] = p95;
	row[6] = mx;
	row[7] = fmt_time(w->day.peak_ts, when, sizeof(when));
	row[8] = fmt_change(w->day.avg, &w->prev, c1, sizeof(c1));
	row[9] = fmt_change(w->day.avg, &w->week, c2, sizeof(c2));
	table_row_v(t, row + (dl->hosts ? 0 : 1));
}

static void
row_csv(const struct drow *w)
{
	char p95[32], when[32];

	csv_field(stdout, w->s->host);
	putchar(',');
	csv_field(stdout, w->s->group);
	printf(",%s,%zu,%u,%.2f,%s,%u,%s", state_name(w->st), w->day.n, w->day.min,
	    w->day.avg, isnan(w->day.p95) ? "" : fmt_num(w->day.p95, p95, sizeof(p95)),
	    w->day.max,
	    fmt_time(w->day.peak_ts, when, sizeof(when)));
	csv_change(w->day.avg, &w->prev);
	csv_change(w->day.avg, &w->week);
	putchar('\n');
}

static void
row_json(struct daily *dl, const struct drow *w)
{
	char p95[32];

	printf("%s\n    {\"host\": ", dl->first ? "" : ",");
	json_string(stdout, w->s->host);
	printf(", \"group\": ");
	json_string(stdout, w->s->group);
	printf(", \"state\": \"%s\", \"samples\": %zu, \"min\": %u, \"avg\": %.2f, "
	    "\"p95\": %s, \"peak\": %u, \"peak_ts\": %lld", state_name(w->st), w->day.n,
	    w->day.min, w->day.avg, isnan(w->day.p95) ? "null" :
	    fmt_num(w->day.p95, p95, sizeof(p95)), w->day.max,
	    (long long)w->day.peak_ts);
	json_change("day_before", w->day.avg, &w->prev);
	json_change("week_before", w->day.avg, &w->week);
	printf("}");
	dl->first = 0;
}

static void
stats_rows(struct report *r, struct daily *dl, struct table *t)
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
			if (r->format == FMT_CSV)
				row_csv(&w);
			else if (r->format == FMT_JSON)
				row_json(dl, &w);
			else if (w.day.max != 0 || w.prev.max != 0 || w.week.max != 0)
				row_table(dl, t, &w);
		}
	}
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

static void
fired_row(struct report *r, struct daily *dl, struct table *t, const struct threshold *th,
    const struct series *s, const struct firing *f)
{
	char a[32], b[32], peak[32];
	const char *row[FIRED_COLS];
	const char *sev = th->severity == SEV_CRITICAL ? "critical" : "warning";

	fmt_num(f->peak, peak, sizeof(peak));
	if (r->format == FMT_JSON) {
		printf("%s\n    {\"threshold\": ", dl->first ? "" : ",");
		json_string(stdout, th->name);
		printf(", \"severity\": \"%s\", \"host\": ", sev);
		json_string(stdout, s->host);
		printf(", \"group\": ");
		json_string(stdout, s->group);
		printf(", \"state\": \"%s\", \"start\": %lld, \"end\": %lld, \"peak\": %s}",
		    state_name(th->state), (long long)f->start, (long long)f->end, peak);
		dl->first = 0;
		return;
	}
	row[0] = th->name;
	row[1] = sev;
	row[2] = s->host;
	row[3] = s->group;
	row[4] = state_name(th->state);
	row[5] = fmt_time(f->start, a, sizeof(a));
	row[6] = fmt_time(f->end, b, sizeof(b));
	row[7] = peak;
	table_row_v(t, row);
}

/* rule_backtest over the day, loaded early enough to judge the first sample. */
static int
fired_rows(struct report *r, struct daily *dl, struct table *t)
{
	const struct threshold *th;
	struct dataset d = { 0 };
	struct firing *f;
	size_t i, k, j, nf;
	int64_t back;

	for (i = 0; i < r->cfg->nthresholds; i++) {
		th = &r->cfg->thresholds[i];
		if (!wanted_group(r, th->group))
			continue;
		back = (th->has_growth ? th->window : th->for_secs) + th->max_gap;
		if (report_load(r, dl->from - back, dl->to - 1, th->group, &d) != 0)
			return -1;
		dataset_sort(&d);
		for (k = 0; k < d.n; k++) {
			if (rule_backtest(th, d.s[k].p, d.s[k].n, &f, &nf) == -1) {
				dataset_free(&d);
				return runtime_err(r, "out of memory");
			}
			for (j = 0; j < nf; j++) {
				if (f[j].end < dl->from || f[j].start >= dl->to)
					continue;
				/* a firing carried over from the day before starts, for
				 * this day's report, at midnight */
				if (f[j].start < dl->from)
					f[j].start = dl->from;
				fired_row(r, dl, t, th, &d.s[k], &f[j]);
			}
			free(f);
		}
		dataset_free(&d);
	}
	return 0;
}

/* [from, to) of every group (or --group), raw or (hourly) from the rollups. */
static int
load_day(struct report *r, int64_t from, int64_t to, int hourly, struct dataset *d)
{
	size_t g;

	for (g = 0; g < (r->ngroup ? r->ngroup : 1); g++)
		if ((hourly ? report_load_hourly(r, from, to - 1, r->ngroup ? r->group[g] : NULL,
		    d) : report_load(r, from, to - 1, r->ngroup ? r->group[g] : NULL, d)) != 0)
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
	size_t g;

	if (r->date != NULL && parse_date(r->date, &day) == -1)
		return usage_err(r, "--date '%s': not a date; use the form YYYY-MM-DD, "
		    "e.g. 2026-11-23", r->date);
	if (r->date == NULL && localtime_r(&now, &day) == NULL)
		return runtime_err(r, "cannot convert the current time to local time");
	strftime(dl->date, sizeof(dl->date), "%Y-%m-%d", &day);
	for (g = 0; g < r->ngroup; g++)
		if (report_check_group(r, r->group[g]) == -1)
			return EX_USAGE;
	dl->from = local_midnight(&day, 0);
	dl->to = local_midnight(&day, 1);
	p0 = local_midnight(&day, -1);
	w0 = local_midnight(&day, -7);
	w1 = local_midnight(&day, -6);
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
	dl->hosts = dl->hosts > 1 || r->ndb > 1;
	return 0;
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
			h.p[h.n].count[st] = (uint32_t)((s->h[i].sum[st] + s->h[i].n / 2) /
			    s->h[i].n);
		h.n++;
	}
	rc = html_chart(stdout, &h, dl->from, dl->to, 3 * 3600, r->cfg->thresholds,
	    r->cfg->nthresholds);
	free(h.p);
	return rc;
}

/* The same tables, after a chart per host x group, as one XHTML page. */
static int
daily_html(struct report *r, struct daily *dl, struct table *st, struct table *ft)
{
	int64_t gap = 3 * report_interval(r);
	char msg[64];
	size_t i;

	html_begin(stdout, dl->date, dl->from, dl->to, dl->samples);
	html_heading(stdout, "States over the day, per host and group");
	if (dl->from_hourly)
		html_para(stdout, "The day's raw samples are gone (retention): the charts show "
		    "hourly averages from the rollups, the table their min, avg and peak "
		    "(no p95).");
	for (i = 0; i < dl->day.n; i++)
		if (chart(r, dl, &dl->day.s[i], gap) == -1)
			return runtime_err(r, "out of memory");
	html_heading(stdout, "Per group and state: min, avg, p95, peak, change");
	stats_rows(r, dl, st);
	if (st->nrows == 1)
		html_para(stdout, "every state was 0 on the day, the day before and the "
		    "week before");
	else
		html_table(stdout, st);
	html_heading(stdout, "Thresholds fired");
	if (!dl->from_hourly && fired_rows(r, dl, ft) != 0)
		return EX_RUNTIME;
	snprintf(msg, sizeof(msg), "no threshold fired on %s", dl->date);
	if (dl->from_hourly)
		html_para(stdout, "thresholds not replayed: the day's raw samples are gone");
	else if (r->cfg->nthresholds == 0)
		html_para(stdout, "no thresholds configured");
	else if (ft->nrows == 1)
		html_para(stdout, msg);
	else
		html_table(stdout, ft);
	html_end(stdout);
	return 0;
}

static int
daily_print(struct report *r, struct daily *dl, struct table *st, struct table *ft)
{
	if (r->format == FMT_HTML)
		return daily_html(r, dl, st, ft);
	if (r->format == FMT_TABLE)
		printf("daily report for %s (local day, UTC times), %zu samples%s\n\n", dl->date,
		    dl->samples, dl->from_hourly ? ", from hourly rollups (the raw samples are "
		    "gone: no p95; peak at = start of the peak's hour)" : "");
	else if (dl->from_hourly)
		fprintf(stderr, "tcptally-report: daily: %s from hourly rollups; its raw samples "
		    "are gone (retention): no p95, peak times are hours\n", dl->date);
	else if (r->format == FMT_CSV)
		printf("host,group,state,samples,min,avg,p95,peak,peak_time,"
		    "day_before_avg,day_before_change,day_before_change_pct,"
		    "week_before_avg,week_before_change,week_before_change_pct\n");
	else
		printf("{\"date\": \"%s\", \"from\": %lld, \"to\": %lld, \"samples\": %zu,\n"
		    "  \"states\": [", dl->date, (long long)dl->from, (long long)dl->to,
		    dl->samples);
	stats_rows(r, dl, st);
	if (r->format == FMT_TABLE && st->nrows == 1)
		printf("every state was 0 on the day, the day before and the week before\n");
	else if (r->format == FMT_TABLE)
		table_print(st, stdout);
	if (r->format == FMT_JSON) {
		printf("%s],\n  \"fired\": [", dl->first ? "" : "\n  ");
		dl->first = 1;
	}
	if (!dl->from_hourly && fired_rows(r, dl, ft) != 0)
		return EX_RUNTIME;
	if (r->format == FMT_JSON)
		printf("%s]}\n", dl->first ? "" : "\n  ");
	else if (r->format == FMT_CSV) {
		putchar('\n');
		table_print_csv(ft, stdout);
	} else if (r->cfg->nthresholds == 0)
		printf("\nno thresholds configured\n");
	else if (dl->from_hourly)
		printf("\nthresholds not replayed: the raw samples of %s are gone\n", dl->date);
	else if (ft->nrows == 1)
		printf("\nno threshold fired on %s\n", dl->date);
	else {
		printf("\nthresholds fired:\n");
		table_print(ft, stdout);
	}
	return 0;
}

int
cmd_daily(struct report *r)
{
	struct daily dl;
	struct table st, ft;
	size_t c, skip;
	int rc;

	memset(&dl, 0, sizeof(dl));
	memset(&st, 0, sizeof(st));
	memset(&ft, 0, sizeof(ft));
	dl.first = 1;
	if ((rc = daily_load(r, &dl)) == 0) {
		skip = dl.hosts ? 0 : 1;
		if (table_init(&st, STATS_COLS - skip, stats_head + skip) == -1 ||
		    table_init(&ft, FIRED_COLS, fired_head) == -1)
			rc = runtime_err(r, "out of memory");
		else {
			for (c = 3; c < 7; c++)	/* min, avg, p95, peak */
				st.numeric[c - skip] = 1;
			ft.numeric[FIRED_COLS - 1] = 1;
			rc = daily_print(r, &dl, &st, &ft);
		}
	}
	table_free(&st);
	table_free(&ft);
	dataset_free(&dl.day);
	dataset_free(&dl.prev);
	dataset_free(&dl.week);
	return rc;
}
