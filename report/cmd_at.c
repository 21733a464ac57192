/*
 * at and diff: one window of samples against one or two earlier windows,
 * per host x group x state, the states with the largest change against the
 * first earlier window first.  at T compares T +- DUR with the same local
 * time a day and a week before, and says the window's lowest and highest
 * values and when (a drop from 400 to 0 and back inside the window shows);
 * diff compares --from..--to with a baseline.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

#define MAX_WIN		3
#define WIN_COLS	5		/* per earlier window: avg, max, change x 3 */
enum { A_HOST, A_GROUP, A_STATE, A_NEAR_TS, A_NEAR, A_AVG, A_MIN, A_MIN_TS, A_MAX, A_MAX_TS,
	A_WIN0 };
#define MAX_COLS	(A_WIN0 + WIN_COLS * (MAX_WIN - 1))

struct window {
	const char	*name;		/* table: "day before" */
	const char	*key;		/* CSV and JSON: "day_before" */
	int64_t		 from, to;	/* inclusive */
	struct dataset	 d;
	size_t		 samples;
};

struct compare {
	const struct report *r;
	struct window	 w[MAX_WIN];	/* w[0] is compared against each other one */
	size_t		 nw;
	int		 at_set;	/* at: the value at the sample nearest `at` */
	int64_t		 at, nearest;
	int		 with_max;	/* diff: the max in each window */
	int		 with_extremes;	/* at: the window's min and max, and when */
	int		 clock;		/* ... those times as HH:MM:SS in tables */
	struct ksection	*ks;		/* at: the kernel's section, or NULL */
	int		 hosts;		/* show the host column */
	struct column	 col[MAX_COLS];
	char		 names[MAX_WIN][WIN_COLS][32];	/* their headings and keys */
};

struct crow {
	size_t		 block;		/* which host x group: rows stay grouped */
	const struct series *s;
	int		 st;
	struct summary	 sum[MAX_WIN];
	int64_t		 near_ts;
	uint64_t	 near;
};

/* The same local time `days` days later (earlier if negative). */
static int64_t
shift_days(int64_t t, int days)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (localtime_r(&tt, &tm) == NULL)
		return t + (int64_t)days * 86400;
	tm.tm_mday += days;
	tm.tm_isdst = -1;
	return (int64_t)mktime(&tm);
}

/* The point nearest t; the earlier one on a tie.  n > 0. */
static size_t
nearest_point(const struct series *s, int64_t t)
{
	size_t lo, hi;

	point_range(s->p, s->n, t, t + 1, &lo, &hi);
	if (lo == s->n)
		return lo - 1;
	if (lo > 0 && t - s->p[lo - 1].ts <= s->p[lo].ts - t)
		return lo - 1;
	return lo;
}

/* --group, or `all`; each checked first by the caller. */
static int
load_window(struct report *r, struct window *w)
{
	size_t g;
	int hosts;

	for (g = 0; g < (r->ngroup ? r->ngroup : 1); g++)
		if (report_load(r, ROWS_RAW, w->from, w->to, r->ngroup ? r->group[g] : "all", &w->d) != 0)
			return -1;
	dataset_sort(&w->d);
	w->samples = count_samples(&w->d, &hosts);
	return 0;
}

static int
compare_load(struct report *r, struct compare *c)
{
	const struct series *s;
	int64_t t;
	size_t i;
	int hosts;

	for (i = 0; i < c->nw; i++)
		if (load_window(r, &c->w[i]) != 0)
			return -1;
	count_samples(&c->w[0].d, &hosts);
	c->hosts = hosts > 1 || hist_several(&r->hist);
	c->nearest = -1;
	for (i = 0; i < c->w[0].d.n; i++) {
		s = &c->w[0].d.s[i];
		t = s->p[nearest_point(s, c->at)].ts;
		if (c->nearest == -1 || llabs(t - c->at) < llabs(c->nearest - c->at) ||
		    (llabs(t - c->at) == llabs(c->nearest - c->at) && t < c->nearest))
			c->nearest = t;
	}
	return 0;
}

static void
compare_free(struct compare *c)
{
	size_t i;

	for (i = 0; i < c->nw; i++)
		dataset_free(&c->w[i].d);
}

/* |change of avg| against w[1]; -1 (last) when w[1] has no samples. */
static double
rank_key(const struct crow *w)
{
	return w->sum[1].n ? fabs(w->sum[0].avg - w->sum[1].avg) : -1;
}

static int
cmp_rows(const void *a, const void *b)
{
	const struct crow *x = a, *y = b;
	double kx = rank_key(x), ky = rank_key(y);

	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	if (kx != ky)
		return kx > ky ? -1 : 1;
	return x->st - y->st;
}

/* Every host x group of w[0] x every state, ranked; *out is malloc'd. */
static struct crow *
compare_rows(struct compare *c, size_t *nout)
{
	const struct series *s, *e;
	struct crow *rows, *w;
	size_t i, k, j;
	int st;

	if ((rows = calloc(c->w[0].d.n * TT_NSTATES + 1, sizeof(*rows))) == NULL)
		return NULL;
	for (i = 0, w = rows; i < c->w[0].d.n; i++) {
		s = &c->w[0].d.s[i];
		k = nearest_point(s, c->at);
		for (st = 1; st <= TT_NSTATES; st++, w++) {
			w->block = i;
			w->s = s;
			w->st = st;
			w->near_ts = s->p[k].ts;
			w->near = s->p[k].count[st];
			for (j = 0; j < c->nw; j++) {
				e = j == 0 ? s : find_series(&c->w[j].d, s);
				summary_of(e ? e->p : NULL, e ? e->n : 0, st, &w->sum[j]);
			}
		}
	}
	*nout = c->w[0].d.n * TT_NSTATES;
	if (*nout > 1)
		qsort(rows, *nout, sizeof(*rows), cmp_rows);
	return rows;
}

static int
zero_everywhere(const struct compare *c, const struct crow *w)
{
	size_t j;

	for (j = 0; j < c->nw; j++)
		if (w->sum[j].max != 0)
			return 0;
	return 1;
}

static void
col(struct column *k, const char *head, const char *key, int type, const char *tfmt,
    const char *fmt)
{
	memset(k, 0, sizeof(*k));
	k->head = head;
	k->csv = key;
	k->json = key;
	k->type = type;
	k->tfmt = tfmt;
	k->fmt = fmt;
	k->right = type != COL_TEXT || key == NULL;
}

/* The columns, and (as hide bits) those this comparison leaves out. */
static uint64_t
compare_cols(struct compare *c)
{
	struct column *k = c->col;
	char (*nm)[32];
	uint64_t hide = 0;
	size_t j;

	col(&k[A_HOST], "host", "host", COL_HOST, NULL, NULL);
	col(&k[A_GROUP], "group", "group", COL_TEXT, NULL, NULL);
	col(&k[A_STATE], "state", "state", COL_TEXT, NULL, NULL);
	col(&k[A_NEAR_TS], NULL, "nearest_time", COL_TIME, NULL, NULL);
	k[A_NEAR_TS].json = "nearest_ts";
	col(&k[A_NEAR], "at T", "value", COL_REAL, "%.0f", "%.0f");
	col(&k[A_AVG], "avg", "avg", COL_REAL, "%.1f", "%.2f");
	col(&k[A_MIN], "min", "min", COL_REAL, "%.0f", "%.0f");
	col(&k[A_MIN_TS], "min at", "min_time", c->clock ? COL_CLOCK : COL_TIME, NULL, NULL);
	k[A_MIN_TS].json = "min_ts";
	col(&k[A_MAX], "max", "max", COL_REAL, "%.0f", "%.0f");
	col(&k[A_MAX_TS], "max at", "max_time", c->clock ? COL_CLOCK : COL_TIME, NULL, NULL);
	k[A_MAX_TS].json = "max_ts";
	k[A_HOST].right = k[A_GROUP].right = k[A_STATE].right = 0;
	for (j = 1; j < MAX_WIN; j++) {
		k = &c->col[A_WIN0 + WIN_COLS * (j - 1)];
		nm = c->names[j];
		snprintf(nm[0], 32, "%s avg", c->w[j].name ? c->w[j].name : "");
		snprintf(nm[1], 32, "%s_avg", c->w[j].key ? c->w[j].key : "");
		snprintf(nm[2], 32, "%s max", c->w[j].name ? c->w[j].name : "");
		snprintf(nm[3], 32, "%s_max", c->w[j].key ? c->w[j].key : "");
		snprintf(nm[4], 32, "%s_change", c->w[j].key ? c->w[j].key : "");
		col(&k[0], nm[0], nm[1], COL_REAL, "%.1f", "%.2f");
		col(&k[1], nm[2], nm[3], COL_REAL, "%.0f", "%.0f");
		col(&k[2], "change", NULL, COL_TEXT, NULL, NULL);
		col(&k[3], NULL, nm[4], COL_REAL, NULL, "%.2f");
		col(&k[4], NULL, NULL, COL_REAL, NULL, "%.2f");
		snprintf(c->names[0][j], 32, "%s_change_pct", c->w[j].key ? c->w[j].key : "");
		k[4].csv = k[4].json = c->names[0][j];
		if (!c->with_max)
			hide |= 1ULL << (A_WIN0 + WIN_COLS * (j - 1) + 1);
		if (j >= c->nw)
			hide |= 0x1FULL << (A_WIN0 + WIN_COLS * (j - 1));
	}
	if (!c->at_set)
		hide |= 1ULL << A_NEAR_TS | 1ULL << A_NEAR;
	if (!c->with_max && !c->with_extremes)
		hide |= 1ULL << A_MAX;
	if (!c->with_extremes)
		hide |= 1ULL << A_MIN | 1ULL << A_MIN_TS | 1ULL << A_MAX_TS;
	return hide;
}

static int
compare_row(const struct compare *c, struct rows *t, const struct crow *w)
{
	struct cell row[MAX_COLS], *k;
	char change[MAX_WIN][48];
	const struct summary *a = &w->sum[0], *b;
	size_t j;

	memset(row, 0, sizeof(row));
	row[A_HOST] = host_cell(c->r, w->s->host);
	row[A_GROUP] = cell_text(w->s->group);
	row[A_STATE] = cell_text(state_name(w->st));
	row[A_NEAR_TS] = cell_int(w->near_ts);
	row[A_NEAR] = cell_real(w->near);
	row[A_AVG] = cell_real(a->avg);
	row[A_MIN] = cell_real(a->min);
	row[A_MIN_TS] = cell_int(a->low_ts);
	row[A_MAX] = cell_real(a->max);
	row[A_MAX_TS] = cell_int(a->peak_ts);
	for (j = 1; j < MAX_WIN; j++) {
		k = &row[A_WIN0 + WIN_COLS * (j - 1)];
		b = &w->sum[j];
		if (j >= c->nw) {
			k[0] = k[1] = k[3] = k[4] = cell_null();
			k[2] = cell_text("");
			continue;
		}
		k[0] = b->n ? cell_real(b->avg) : cell_null();
		k[1] = b->n ? cell_real(b->max) : cell_null();
		k[2] = cell_text(fmt_change(a->avg, b, change[j], sizeof(change[j])));
		k[3] = b->n ? cell_real(a->avg - b->avg) : cell_null();
		k[4] = b->n && b->avg != 0 ? cell_real((a->avg - b->avg) / b->avg * 100.0) :
		    cell_null();
	}
	return rows_add(t, row, zero_everywhere(c, w) ? ROW_NOT_IN_TABLE : 0);
}

/* The windows, for JSON: [{"name": ..., "from": ..., "to": ..., "samples": N}, ...] */
static void
windows_json(const struct compare *c)
{
	size_t j;

	printf("{");
	if (c->at_set)
		printf("\"at\": %lld, \"nearest\": %lld, ", (long long)c->at,
		    (long long)c->nearest);
	printf("\"windows\": [");
	for (j = 0; j < c->nw; j++)
		printf("%s{\"name\": \"%s\", \"from\": %lld, \"to\": %lld, \"samples\": %zu}",
		    j ? ", " : "", c->w[j].key, (long long)c->w[j].from,
		    (long long)c->w[j].to, c->w[j].samples);
	printf("],\n  \"states\": ");
}

/* The shared output of at and diff; `title` heads the table. */
static int
compare_print(struct report *r, struct compare *c, const char *title)
{
	struct crow *w;
	struct rows t;
	size_t i, n;
	int rc = 0;

	if ((w = compare_rows(c, &n)) == NULL)
		return runtime_err(r, "out of memory");
	rows_init(&t, c->col, MAX_COLS);
	t.hide = compare_cols(c);
	if (r->format == FMT_TABLE && !c->hosts)
		t.hide |= 1u << A_HOST;
	for (i = 0; i < n && rc == 0; i++)
		if (compare_row(c, &t, &w[i]) == -1)
			rc = runtime_err(r, "out of memory");
	if (rc == 0 && r->format == FMT_CSV)
		rows_csv(&t, stdout);
	else if (rc == 0 && r->format == FMT_JSON) {
		windows_json(c);
		rows_json(&t, stdout, 4);
		if (c->ks != NULL) {
			printf(",\n  \"kernel\": ");
			rows_json(&c->ks->t, stdout, 4);
		}
		printf("}\n");
	} else if (rc == 0) {
		printf("%s\n\n", title);
		if (t.ntable == 0)
			printf("every state was 0 in every window\n");
		else
			rows_table(&t, stdout);
		if (c->ks != NULL)
			ksection_table(c->ks, stdout);
		if (c->at_set)
			rc = bsection_table(r, c->w[0].from, c->at, c->clock, stdout);
	}
	rows_free(&t);
	free(w);
	return rc;
}

/* The nearest sample to t anywhere: rings of growing distance, up to 20 years. */
static int64_t
nearest_anywhere(struct report *r, int64_t t, int64_t inner)
{
	const char *group = r->ngroup ? r->group[0] : "all";
	struct dataset d = { 0 };
	int64_t latest = hist_latest(&r->hist), best = -1, k, dist;
	size_t i, j;

	if (latest < 0 || t >= latest)
		return latest;
	for (k = inner * 4; best == -1 && inner < 20 * 366 * 86400LL; inner = k, k *= 4) {
		if (report_load(r, ROWS_RAW, t - k, t - inner, group, &d) != 0 ||
		    report_load(r, ROWS_RAW, t + inner, t + k, group, &d) != 0)
			break;
		for (i = 0; i < d.n; i++)
			for (j = 0; j < d.s[i].n; j++) {
				dist = llabs(d.s[i].p[j].ts - t);
				if (best == -1 || dist < llabs(best - t))
					best = d.s[i].p[j].ts;
			}
		dataset_free(&d);
	}
	dataset_free(&d);
	return best;
}

static int
at_empty(struct report *r, int64_t t, int64_t around)
{
	char dur[32], a[32], b[32];
	int64_t near = nearest_anywhere(r, t, around > 0 ? around : 1);

	duration_format(around, dur, sizeof(dur));
	fmt_time(t, a, sizeof(a));
	if (near < 0)
		return runtime_err(r, "no samples within %s of %s; the database has none "
		    "near it", dur, a);
	return runtime_err(r, "no samples within %s of %s; the nearest is at %s", dur, a,
	    fmt_time(near, b, sizeof(b)));
}

int
cmd_at(struct report *r)
{
	struct ksection ks;
	struct compare c;
	char title[512], dur[32], a[32], b[32];
	const char *why;
	int64_t t, around = r->around_set ? r->around : 600, s;
	size_t j;
	int rc = 0;

	if (time_parse(r->arg, r->now, &t, &why) == -1)
		return usage_err(r, "at '%s': %s", r->arg, why);
	memset(&c, 0, sizeof(c));
	c.r = r;
	memset(&ks, 0, sizeof(ks));
	c.nw = 3;
	c.at_set = 1;
	c.with_extremes = 1;
	c.clock = around < 12 * 3600;
	c.at = t;
	c.w[0].name = "window";
	c.w[0].key = "window";
	c.w[1].name = "day before";
	c.w[1].key = "day_before";
	c.w[2].name = "week before";
	c.w[2].key = "week_before";
	for (j = 0; j < c.nw; j++) {
		s = shift_days(t, j == 0 ? 0 : j == 1 ? -1 : -7);
		c.w[j].from = s - around;
		c.w[j].to = s + around;
	}
	if (compare_load(r, &c) != 0)
		rc = EX_RUNTIME;
	else if (c.w[0].d.n == 0)
		rc = at_empty(r, t, around);
	else if ((rc = ksection_load(r, KSEC_AT, c.w[0].from, c.w[0].to, t, &ks)) == 0) {
		c.ks = &ks;
		duration_format(around, dur, sizeof(dur));
		snprintf(title, sizeof(title), "at %s, within %s (UTC times): %zu samples, "
		    "the nearest at %s;\nagainst the same window a day before (%zu samples) "
		    "and a week before (%zu samples)", fmt_time(t, a, sizeof(a)), dur,
		    c.w[0].samples, fmt_time(c.nearest, b, sizeof(b)), c.w[1].samples,
		    c.w[2].samples);
		rc = compare_print(r, &c, title);
	}
	ksection_free(&ks);
	compare_free(&c);
	return rc;
}

int
cmd_diff(struct report *r)
{
	struct compare c;
	char title[512], a[32], b[32], e[32], f[32];
	int64_t shift;
	int rc = 0;

	if (!r->from_set || !r->to_set)
		return usage_err(r, "diff needs --from T and --to T");
	if (r->from >= r->to)
		return usage_err(r, "diff: --from must be before --to");
	if (r->baseline_set != 0 && r->baseline_set != 3)
		return usage_err(r, "diff: give both --baseline-from and --baseline-to, or "
		    "neither for the same length right before --from");
	if (r->baseline_set == 3 && r->baseline_from >= r->baseline_to)
		return usage_err(r, "diff: --baseline-from must be before --baseline-to");
	memset(&c, 0, sizeof(c));
	c.r = r;
	c.nw = 2;
	c.with_max = 1;
	c.w[0].name = "window";
	c.w[0].key = "window";
	c.w[0].from = r->from;
	c.w[0].to = r->to;
	c.w[1].name = "baseline";
	c.w[1].key = "baseline";
	/*
	 * default: the window moved back by its length plus one interval, so
	 * it ends one sample before --from and, both ends being inclusive,
	 * holds as many samples: --from 18:00 --to 19:59 at 1m gives the
	 * baseline 16:00 .. 17:59.
	 */
	shift = (r->to - r->from) + r->interval;
	c.w[1].from = r->baseline_set ? r->baseline_from : r->from - shift;
	c.w[1].to = r->baseline_set ? r->baseline_to : r->to - shift;
	if (compare_load(r, &c) != 0)
		rc = EX_RUNTIME;
	else if (c.w[0].d.n == 0)
		rc = runtime_err(r, "no samples between %s and %s", fmt_time(r->from, a,
		    sizeof(a)), fmt_time(r->to, b, sizeof(b)));
	else {
		snprintf(title, sizeof(title), "%s .. %s (%zu samples) against the baseline "
		    "%s .. %s (%zu samples), UTC times", fmt_time(c.w[0].from, a, sizeof(a)),
		    fmt_time(c.w[0].to, b, sizeof(b)), c.w[0].samples,
		    fmt_time(c.w[1].from, e, sizeof(e)), fmt_time(c.w[1].to, f, sizeof(f)),
		    c.w[1].samples);
		rc = compare_print(r, &c, title);
	}
	compare_free(&c);
	return rc;
}
