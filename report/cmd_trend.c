/*
 * trend: buckets of --step with min/avg/max per state. Table mode shows one
 * line per state: a sparkline of the bucket averages, the range's min/avg/max
 * and the least-squares slope per hour over the raw samples.
 *
 * The hourly rollups answer instead when the window reaches hours whose raw
 * samples retention has dropped, or when it is longer than two days on a
 * step of whole hours (the same numbers, from 1/360 of the rows at 10 s).
 * Bucket min, avg, max and samples are then exact; the range's slope is
 * that of the hourly averages.  The output says which it used.  Rollups
 * count only the hours wholly inside the window (the last one may be the
 * hour in progress when nothing was sampled after --to): an hour that
 * began before --from would count samples from before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct bucket {
	int64_t		 start;
	size_t		 n;
	uint64_t	 min[TT_NSTATES + 1], max[TT_NSTATES + 1];
	double		 sum[TT_NSTATES + 1];
};

/* Aim for about 60 buckets, on a round step. */
static int64_t
auto_step(int64_t span)
{
	static const int64_t steps[] = { 10, 30, 60, 300, 600, 900, 1800, 3600, 7200,
	    21600, 43200, 86400, 604800 };
	size_t i;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (span / steps[i] <= 60)
			return steps[i];
	return 604800;
}

static struct bucket *
bucket_next(struct bucket **b, size_t *n, int64_t start)
{
	struct bucket *nb;

	if ((nb = realloc(*b, (*n + 1) * sizeof(**b))) == NULL) {
		free(*b);
		*b = NULL;
		return NULL;
	}
	*b = nb;
	nb = &nb[(*n)++];
	memset(nb, 0, sizeof(*nb));
	nb->start = start;
	return nb;
}

static struct bucket *
bucketize_hours(const struct series *s, int64_t step, size_t *nb)
{
	struct bucket *b = NULL, *cur = NULL;
	const struct hour *h;
	size_t i, n = 0;
	int st;

	for (i = 0; i < s->nh; i++) {
		h = &s->h[i];
		if ((cur == NULL || cur->start != h->ts / step * step) &&
		    (cur = bucket_next(&b, &n, h->ts / step * step)) == NULL)
			return NULL;
		for (st = 1; st <= TT_NSTATES; st++) {
			if (cur->n == 0 || h->min[st] < cur->min[st])
				cur->min[st] = h->min[st];
			if (cur->n == 0 || h->max[st] > cur->max[st])
				cur->max[st] = h->max[st];
			cur->sum[st] += (double)h->sum[st];
		}
		cur->n += h->n;
	}
	*nb = n;
	return b;
}

static struct bucket *
bucketize(const struct series *s, int64_t step, size_t *nb)
{
	struct bucket *b = NULL, *cur = NULL;
	size_t i, n = 0;
	int st;

	for (i = 0; i < s->n; i++) {
		int64_t start = s->p[i].ts / step * step;

		if ((cur == NULL || cur->start != start) &&
		    (cur = bucket_next(&b, &n, start)) == NULL)
			return NULL;
		for (st = 1; st <= TT_NSTATES; st++) {
			uint64_t v = s->p[i].count[st];

			if (cur->n == 0 || v < cur->min[st])
				cur->min[st] = v;
			if (cur->n == 0 || v > cur->max[st])
				cur->max[st] = v;
			cur->sum[st] += v;
		}
		cur->n++;
	}
	*nb = n;
	return b;
}

/* --state, or every state that is not zero throughout. */
static int
wanted(const struct report *r, const struct series *s, int st)
{
	size_t i;

	if (r->nstate > 0) {
		for (i = 0; i < r->nstate; i++)
			if (r->state[i] == st)
				return 1;
		return 0;
	}
	for (i = 0; i < s->n; i++)
		if (s->p[i].count[st] != 0)
			return 1;
	for (i = 0; i < s->nh; i++)
		if (s->h[i].max[st] != 0)
			return 1;
	return 0;
}

/* CSV and JSON: a row per bucket x state. */
static const struct column bucket_cols[] = {
	{ NULL, "ts", "ts", COL_TIME, NULL, NULL, 0, NULL },
	{ NULL, "host", "host", COL_HOST, NULL, NULL, 0, NULL },
	{ NULL, "group", "group", COL_TEXT, NULL, NULL, 0, NULL },
	{ NULL, "state", "state", COL_TEXT, NULL, NULL, 0, NULL },
	{ NULL, "min", "min", COL_INT, NULL, NULL, 0, NULL },
	{ NULL, "avg", "avg", COL_REAL, NULL, "%.2f", 0, NULL },
	{ NULL, "max", "max", COL_INT, NULL, NULL, 0, NULL },
	{ NULL, "samples", "samples", COL_INT, NULL, NULL, 0, NULL },
};

static int
bucket_rows(const struct report *r, const struct series *s, const struct bucket *b,
    size_t nb, struct rows *t)
{
	struct cell row[8];
	size_t i;
	int st;

	for (i = 0; i < nb; i++)
		for (st = 1; st <= TT_NSTATES; st++) {
			if (!wanted(r, s, st))
				continue;
			row[0] = cell_int(b[i].start);
			row[1] = host_cell(r, s->host);
			row[2] = cell_text(s->group);
			row[3] = cell_text(state_name(st));
			row[4] = cell_int(b[i].min[st]);
			row[5] = cell_real(b[i].sum[st] / (double)b[i].n);
			row[6] = cell_int(b[i].max[st]);
			row[7] = cell_int((int64_t)b[i].n);
			if (rows_add(t, row, 0) == -1)
				return -1;
		}
	return 0;
}

/* A table per series: a row per state, its sparkline on a terminal. */
enum { T_STATE, T_TREND, T_MIN, T_AVG, T_MAX, T_SLOPE };
static const struct column summary_cols[] = {
	{ "state", NULL, NULL, COL_TEXT, NULL, NULL, 0, NULL },
	{ "trend", NULL, NULL, COL_TEXT, NULL, NULL, 0, NULL },
	{ "min", NULL, NULL, COL_INT, NULL, NULL, 1, NULL },
	{ "avg", NULL, NULL, COL_REAL, "%.1f", NULL, 1, NULL },
	{ "max", NULL, NULL, COL_INT, NULL, NULL, 1, NULL },
	{ "slope/h", NULL, NULL, COL_REAL, "%+.1f", NULL, 1, NULL },
};

static int
trend_table(struct report *r, const struct series *s, const struct bucket *b, size_t nb,
    int64_t from, int64_t to, int64_t step)
{
	char w1[32], w2[32], spark[512 * 3 + 1], h[TT_SOURCE_MAX * 4], g[TT_NAME_MAX * 4];
	char label[TT_SOURCE_MAX + 8];
	const struct hfile *f;
	double avgs[512];
	struct summary sum;
	struct cell row[6];
	struct rows t;
	size_t i, k, skip = nb > 512 ? nb - 512 : 0;
	int st, rc = 0;

	f = hist_source(&r->hist, s->host);
	text_escape(h, sizeof(h), f != NULL ? host_label(f->name, f->netns, label,
	    sizeof(label)) : s->host, NULL);
	text_escape(g, sizeof(g), s->group, NULL);
	printf("%s / %s  %s .. %s  step %llds, %zu samples%s\n", h, g,
	    fmt_time(from, w1, sizeof(w1)), fmt_time(to, w2, sizeof(w2)), (long long)step,
	    series_samples(s), s->nh > 0 ? ", from hourly rollups" : "");
	rows_init(&t, summary_cols, sizeof(summary_cols) / sizeof(summary_cols[0]));
	if (!r->tty)	/* sparklines for a terminal only; main.c decides */
		t.hide = 1u << T_TREND;
	for (st = 1; st <= TT_NSTATES && rc == 0; st++) {
		if (!wanted(r, s, st))
			continue;
		for (i = skip, k = 0; i < nb; i++, k++)
			avgs[k] = b[i].sum[st] / (double)b[i].n;
		series_summary(s, st, &sum);
		row[T_STATE] = cell_text(state_name(st));
		row[T_TREND] = cell_text(sparkline(avgs, k, spark, sizeof(spark)));
		row[T_MIN] = cell_int(sum.min);
		row[T_AVG] = cell_real(sum.avg);
		row[T_MAX] = cell_int(sum.max);
		row[T_SLOPE] = cell_real((s->nh > 0 ? slope_of_hours(s->h, s->nh, st) :
		    slope_of(s->p, s->n, st)) * 3600.0);
		rc = rows_add(&t, row, 0);
	}
	if (rc == -1)
		rc = runtime_err(r, "out of memory");
	else if (t.n == 0)
		printf("every state was 0 throughout\n");
	else
		rows_table(&t, stdout);
	rows_free(&t);
	return rc;
}

/*
 * [from, to] trimmed to the hours it holds whole, for the rollups: from up
 * to an hour's start; to back to the end of its hour's predecessor, unless
 * nothing was sampled after to (then its hour is whole so far).
 */
static void
whole_hours(struct report *r, int64_t *from, int64_t *to)
{
	*from = (*from + 3599) / 3600 * 3600;
	if ((*to + 1) % 3600 != 0 && hist_latest(&r->hist) > *to)
		*to = *to - *to % 3600 - 1;
}

int
cmd_trend(struct report *r)
{
	int64_t to = r->to_set ? r->to : r->now, from, step, oldest;
	char w[32];
	int hourly;
	struct dataset d = { 0 };
	struct bucket *b;
	struct rows rows;
	size_t i, g, nb;
	int rc = 0;

	if (r->since_set && r->from_set)
		return usage_err(r, "trend takes --since or --from, not both");
	from = r->from_set ? r->from : to - (r->since_set ? r->since : 86400);
	if (from >= to)
		return usage_err(r, "the range is empty: --from must be before --to");
	step = r->step_set ? r->step : auto_step(to - from);
	if (hist_beyond_raw(&r->hist, from, &oldest)) {
		hourly = 1;
		if (oldest < 0)
			snprintf(w, sizeof(w), "(none left)");
		else
			fmt_time(oldest, w, sizeof(w));
		if (r->format != FMT_TABLE || step % 3600 != 0)
			fprintf(stderr, "tcptally-report: trend: raw samples start at %s (retention); "
			    "answering from hourly rollups%s\n", w,
			    step % 3600 ? ", in steps of whole hours" : "");
	} else
		hourly = step % 3600 == 0 && to - from > 2 * 86400;
	if (hourly && step % 3600 != 0)
		step = (step / 3600 + 1) * 3600;
	if (hourly)
		whole_hours(r, &from, &to);
	for (g = 0; g < (r->ngroup ? r->ngroup : 1) && rc == 0; g++)
		rc = hourly ? report_load(r, ROWS_HOURLY, from, to,
		    r->ngroup ? r->group[g] : "all", &d) :
		    report_load(r, ROWS_RAW, from, to, r->ngroup ? r->group[g] : "all", &d);
	if (rc == 0 && d.n == 0)
		rc = runtime_err(r, "no samples between the given times");
	rows_init(&rows, bucket_cols, sizeof(bucket_cols) / sizeof(bucket_cols[0]));
	for (i = 0; i < d.n && rc == 0; i++) {
		if ((b = (hourly ? bucketize_hours : bucketize)(&d.s[i], step, &nb)) == NULL &&
		    (hourly ? d.s[i].nh : d.s[i].n) > 0) {
			rc = runtime_err(r, "out of memory");
			break;
		}
		if (r->format == FMT_TABLE) {
			if (i > 0)
				putchar('\n');
			rc = trend_table(r, &d.s[i], b, nb, from, to, step);
		} else if (bucket_rows(r, &d.s[i], b, nb, &rows) == -1)
			rc = runtime_err(r, "out of memory");
		free(b);
	}
	if (r->format != FMT_TABLE && rc == 0)
		rows_print(&rows, r->format, stdout);
	rows_free(&rows);
	dataset_free(&d);
	return rc;
}
