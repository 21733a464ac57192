/*
 * trend: buckets of --step with min/avg/max per state. Table mode shows one
 * line per state: a sparkline of the bucket averages, the range's min/avg/max
 * and the least-squares slope per hour over the raw samples.
 *
 * The hourly rollups answer instead when the window reaches hours whose raw
 * samples retention has dropped, or when it is longer than two days on a
 * step of whole hours (the same numbers, from 1/360 of the rows at 10 s).
 * Bucket min, avg, max and samples are then exact; the range's slope is
 * that of the hourly averages.  The output says which it used.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

struct bucket {
	int64_t		 start;
	size_t		 n;
	uint32_t	 min[TT_NSTATES + 1], max[TT_NSTATES + 1];
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
			uint32_t v = s->p[i].count[st];

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

static void
trend_rows(const struct report *r, const struct series *s, const struct bucket *b,
    size_t nb, int *first)
{
	char when[32];
	size_t i;
	int st;

	for (i = 0; i < nb; i++)
		for (st = 1; st <= TT_NSTATES; st++) {
			if (!wanted(r, s, st))
				continue;
			if (r->format == FMT_CSV) {
				printf("%s,", fmt_time(b[i].start, when, sizeof(when)));
				csv_field(stdout, s->host);
				putchar(',');
				csv_field(stdout, s->group);
				printf(",%s,%u,%.2f,%u,%zu\n", state_name(st), b[i].min[st],
				    b[i].sum[st] / (double)b[i].n, b[i].max[st], b[i].n);
				continue;
			}
			printf("%s\n  {\"ts\": %lld, \"host\": ", *first ? "" : ",",
			    (long long)b[i].start);
			json_string(stdout, s->host);
			printf(", \"group\": ");
			json_string(stdout, s->group);
			printf(", \"state\": \"%s\", \"min\": %u, \"avg\": %.2f, \"max\": %u, "
			    "\"samples\": %zu}", state_name(st), b[i].min[st],
			    b[i].sum[st] / (double)b[i].n, b[i].max[st], b[i].n);
			*first = 0;
		}
}

static int
trend_table(struct report *r, const struct series *s, const struct bucket *b, size_t nb,
    int64_t from, int64_t to, int64_t step)
{
	const char *head[] = { "state", "trend", "min", "avg", "max", "slope/h" };
	char w1[32], w2[32], st_s[16], spark[512 * 3 + 1], mn[24], av[24], mx[24], sl[24];
	double avgs[512];
	struct summary sum;
	struct table t;
	size_t i, k, skip = nb > 512 ? nb - 512 : 0;
	int st;

	printf("%s / %s  %s .. %s  step %llds, %zu samples%s\n", s->host, s->group,
	    fmt_time(from, w1, sizeof(w1)), fmt_time(to, w2, sizeof(w2)), (long long)step,
	    series_samples(s), s->nh > 0 ? ", from hourly rollups" : "");
	if (!r->tty)	/* sparklines for a terminal only; main.c decides */
		memmove(head + 1, head + 2, 4 * sizeof(*head));
	if (table_init(&t, 5 + (r->tty != 0), head) == -1)
		return runtime_err(r, "out of memory");
	t.numeric[t.ncols - 4] = t.numeric[t.ncols - 3] = t.numeric[t.ncols - 2] = 1;
	t.numeric[t.ncols - 1] = 1;
	for (st = 1; st <= TT_NSTATES; st++) {
		const char *row[6];

		if (!wanted(r, s, st))
			continue;
		for (i = skip, k = 0; i < nb; i++, k++)
			avgs[k] = b[i].sum[st] / (double)b[i].n;
		series_summary(s, st, &sum);
		snprintf(mn, sizeof(mn), "%u", sum.min);
		snprintf(av, sizeof(av), "%.1f", sum.avg);
		snprintf(mx, sizeof(mx), "%u", sum.max);
		snprintf(sl, sizeof(sl), "%+.1f", (s->nh > 0 ? slope_of_hours(s->h, s->nh, st) :
		    slope_of(s->p, s->n, st)) * 3600.0);
		snprintf(st_s, sizeof(st_s), "%s", state_name(st));
		row[0] = st_s;
		row[1] = sparkline(avgs, k, spark, sizeof(spark));
		row[2] = mn;
		row[3] = av;
		row[4] = mx;
		row[5] = sl;
		if (!r->tty)
			memmove(row + 1, row + 2, 4 * sizeof(*row));
		table_row_v(&t, row);
	}
	if (t.nrows == 1)
		printf("every state was 0 throughout\n");
	else
		table_print(&t, stdout);
	table_free(&t);
	return 0;
}

int
cmd_trend(struct report *r)
{
	int64_t to = r->to_set ? r->to : r->now, from, step, oldest;
	char w[32];
	int hourly;
	struct dataset d = { 0 };
	struct bucket *b;
	size_t i, g, nb;
	int rc = 0, first = 1;

	if (r->since_set && r->from_set)
		return usage_err(r, "trend takes --since or --from, not both");
	from = r->from_set ? r->from : to - (r->since_set ? r->since : 86400);
	if (from >= to)
		return usage_err(r, "the range is empty: --from must be before --to");
	step = r->step_set ? r->step : auto_step(to - from);
	for (g = 0; g < r->ngroup; g++)
		if (report_check_group(r, r->group[g]) == -1)
			return EX_USAGE;
	if (report_beyond_raw(r, from, &oldest)) {
		hourly = 1;
		if (r->format != FMT_TABLE || step % 3600 != 0)
			fprintf(stderr, "tcptally-report: trend: raw samples start at %s (retention); "
			    "answering from hourly rollups%s\n", fmt_time(oldest, w, sizeof(w)),
			    step % 3600 ? ", in steps of whole hours" : "");
	} else
		hourly = step % 3600 == 0 && to - from > 2 * 86400;
	if (hourly && step % 3600 != 0)
		step = (step / 3600 + 1) * 3600;
	for (g = 0; g < (r->ngroup ? r->ngroup : 1) && rc == 0; g++)
		rc = hourly ? report_load_hourly(r, from - from % 3600, to,
		    r->ngroup ? r->group[g] : "all", &d) :
		    report_load(r, from, to, r->ngroup ? r->group[g] : "all", &d);
	if (rc == 0 && d.n == 0)
		rc = runtime_err(r, "no samples between the given times");
	if (r->format == FMT_CSV && rc == 0)
		printf("ts,host,group,state,min,avg,max,samples\n");
	if (r->format == FMT_JSON && rc == 0)
		printf("[");
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
		} else
			trend_rows(r, &d.s[i], b, nb, &first);
		free(b);
	}
	if (r->format == FMT_JSON && rc == 0)
		printf("%s]\n", first ? "" : "\n");
	dataset_free(&d);
	return rc;
}
