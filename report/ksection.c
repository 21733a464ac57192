/*
 * The kernel section of now, at and daily: per host, the orphans and the
 * TIME_WAIT buckets against their limits (tcp_max_orphans,
 * tcp_max_tw_buckets), and the counters that moved, with their rates. The
 * numbers are kquery.c's kernel_lines; here they become rows (render.c): a
 * table under the states, a member of the JSON, a table of the HTML page.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* Tables get texts ("45/s", "0.3%"), CSV and JSON the numbers. */
enum { K_HOST, K_LABEL, K_NAME, K_KIND, K_NOW_T, K_NOW, K_AVG_T, K_AVG, K_PEAK_T, K_PEAK,
	K_PEAK_TS, K_LIMIT_T, K_LIMIT_NAME, K_LIMIT, K_USED_T, K_USED };

static const struct column kcols[KSEC_NCOLS] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL, 0 },
	{ "kernel", NULL, NULL, COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ NULL, "name", "name", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ NULL, "kind", "kind", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "now", NULL, NULL, COL_TEXT, NULL, NULL, 1, NULL, 0 },
	{ NULL, "value", "value", COL_REAL, NULL, "%.6g", 0, NULL, 0 },
	{ "avg", NULL, NULL, COL_TEXT, NULL, NULL, 1, NULL, 0 },
	{ NULL, "avg", "avg", COL_REAL, NULL, "%.6g", 0, NULL, 0 },
	{ "peak", NULL, NULL, COL_TEXT, NULL, NULL, 1, NULL, 0 },
	{ NULL, "peak", "peak", COL_REAL, NULL, "%.6g", 0, NULL, 0 },
	{ "peak at", "peak_time", "peak_ts", COL_TIME, NULL, NULL, 0, NULL, 0 },
	{ "limit", NULL, NULL, COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ NULL, "limit_name", "limit_name", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ NULL, "limit", "limit", COL_REAL, NULL, "%.0f", 0, NULL, 0 },
	{ "used", NULL, NULL, COL_TEXT, NULL, NULL, 1, NULL, 0 },
	{ NULL, "used", "used", COL_REAL, NULL, "%.6g", 0, NULL, 0 },
};

/* A value of line k as a table shows it: a gauge whole, a rate per second. */
static struct cell
text_of(const struct kline *k, double v, int whole, char *buf, size_t len)
{
	if (isnan(v))
		return cell_null();
	if (kstat_kind(k->stat) == KS_COUNTER)
		snprintf(buf, len, "%.3g/s", v);
	else
		snprintf(buf, len, whole ? "%.0f" : "%.1f", v);
	return cell_text(buf);
}

static struct cell
real_of(double v)
{
	return isnan(v) ? cell_null() : cell_real(v);
}

static int
kline_row(struct rows *t, struct cell host, const struct kline *k)
{
	char now[32], avg[32], peak[32], limit[64], used[32];
	struct cell row[KSEC_NCOLS];
	int gauge = kstat_kind(k->stat) == KS_GAUGE;

	row[K_HOST] = host;
	row[K_LABEL] = cell_text(k->stat == KS_tcp_orphan ? "orphans" : k->stat == KS_tcp_tw ?
	    "TIME_WAIT buckets" : kstat_name(k->stat));
	row[K_NAME] = cell_text(kstat_name(k->stat));
	row[K_KIND] = cell_text(gauge ? "gauge" : "per_sec");
	row[K_NOW_T] = text_of(k, k->now, 1, now, sizeof(now));
	row[K_NOW] = real_of(k->now);
	row[K_AVG_T] = text_of(k, k->avg, 0, avg, sizeof(avg));
	row[K_AVG] = real_of(k->avg);
	row[K_PEAK_T] = text_of(k, k->peak, 1, peak, sizeof(peak));
	row[K_PEAK] = real_of(k->peak);
	row[K_PEAK_TS] = k->peak_ts >= 0 && k->peak > 0 ? cell_int(k->peak_ts) : cell_null();
	row[K_LIMIT_NAME] = k->limit >= 0 ? cell_text(klimit_name(k->limit)) : cell_null();
	row[K_LIMIT] = real_of(k->limit_v);
	if (k->limit >= 0 && !isnan(k->limit_v)) {
		snprintf(limit, sizeof(limit), "%.0f %s", k->limit_v, klimit_name(k->limit));
		row[K_LIMIT_T] = cell_text(limit);
	} else
		row[K_LIMIT_T] = k->limit >= 0 ? cell_text("not known") : cell_text("");
	row[K_USED] = real_of(k->used);
	if (!isnan(k->used)) {
		snprintf(used, sizeof(used), "%.1f%%", k->used * 100.0);
		row[K_USED_T] = cell_text(used);
	} else
		row[K_USED_T] = cell_text("");
	return rows_add(t, row, 0);
}

/* One host's lines: k[0..n) its samples, at the index of T (n: none). */
static int
host_rows(struct report *r, struct ksection *ks, const struct series *s, size_t at,
    int64_t limits_at)
{
	struct kline lines[TT_NKSTATS];
	struct klimits l;
	size_t i, n;

	if (hist_limits(&r->hist, s->host, limits_at, &l) == -1)
		return 0;	/* its file refused: named at the end */
	n = kernel_lines(s->k, s->nk, at, &l, lines);
	for (i = 0; i < n; i++)
		if (kline_row(&ks->t, host_cell(r, s->host), &lines[i]) == -1)
			return runtime_err(r, "out of memory");
	return 0;
}

/* The index of the sample nearest t in k[0..n), n > 0; the earlier on a tie. */
static size_t
nearest_k(const struct kpoint *k, size_t n, int64_t t)
{
	size_t i, best = 0;

	for (i = 1; i < n; i++)
		if (llabs(k[i].ts - t) < llabs(k[best].ts - t))
			best = i;
	return best;
}

int
ksection_rows(struct report *r, int mode, const struct dataset *d, int64_t to, int64_t at,
    int clock, struct ksection *ks)
{
	const struct series *s;
	size_t i, idx;
	int rc = 0;

	memcpy(ks->col, kcols, sizeof(kcols));
	ks->col[K_NOW_T].head = mode == KSEC_AT ? "at T" : "now";
	ks->col[K_PEAK_TS].type = clock ? COL_CLOCK : COL_TIME;
	rows_init(&ks->t, ks->col, KSEC_NCOLS);
	if (mode == KSEC_NOW)
		ks->t.hide = 1u << K_AVG_T | 1u << K_AVG | 1u << K_PEAK_T | 1u << K_PEAK |
		    1u << K_PEAK_TS;
	else if (mode == KSEC_DAY)
		ks->t.hide = 1u << K_NOW_T | 1u << K_NOW;
	/* one host: tables leave it out, CSV and JSON still name it */
	if ((r->format == FMT_TABLE || r->format == FMT_HTML) && !hist_several(&r->hist))
		ks->t.hide |= 1u << K_HOST;
	for (i = 0; i < d->n && rc == 0; i++) {
		s = &d->s[i];
		if (s->nk == 0)
			continue;
		idx = mode == KSEC_NOW ? s->nk - 1 : mode == KSEC_AT ? nearest_k(s->k, s->nk, at) :
		    s->nk;
		/* the limits in force at T, or at the day's end */
		rc = host_rows(r, ks, s, idx, idx < s->nk ? s->k[idx].ts : to);
	}
	return rc;
}

int
ksection_load(struct report *r, int mode, int64_t from, int64_t to, int64_t at,
    struct ksection *ks)
{
	struct dataset d = { 0 };
	int rc;

	/* now: each host's last two samples, the rates of the last interval */
	if ((mode == KSEC_NOW ? hist_kernel_last(&r->hist, to, 2, &d) :
	    hist_kernel(&r->hist, from, to, &d)) == -1) {
		rows_init(&ks->t, kcols, KSEC_NCOLS);
		dataset_free(&d);
		return report_fail(r);
	}
	dataset_sort(&d);
	rc = ksection_rows(r, mode, &d, to, at, mode == KSEC_AT && to - from < 24 * 3600, ks);
	dataset_free(&d);
	return rc;
}

void
ksection_table(const struct ksection *ks, FILE *f)
{
	if (ks->t.n == 0)
		return;
	fprintf(f, "\nthe kernel (the whole host: orphans and TIME_WAIT buckets against "
	    "their limits, the counters that moved)\n");
	rows_table(&ks->t, f);
}

void
ksection_free(struct ksection *ks)
{
	rows_free(&ks->t);
}
