/*
 * listeners: per host x group, its LISTEN sockets' accept queues now (how
 * many listeners, how much is queued, the fullest queue's fill, how many
 * are full) and the fullest over the window with its time, beside the
 * host's ListenOverflows and ListenDrops rates over the window: is the
 * kernel dropping connections, and where.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "report.h"

enum { L_HOST, L_GROUP, L_TS, L_LISTENERS, L_QUEUED, L_BACKLOG, L_FILL, L_PEAK, L_PEAK_TS,
	L_FULL, L_OVERFLOWS, L_DROPS, L_NCOLS };

static const struct column cols[L_NCOLS] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL, 0 },
	{ "group", "group", "group", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ NULL, "time", "ts", COL_TIME, NULL, NULL, 0, NULL, 0 },
	{ "listeners", "listeners", "listeners", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "queued", "queued", "queued", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "backlog", "backlog", "backlog", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "fill", "fill", "fill", COL_REAL, "%.2f", "%.4f", 1, NULL, 0 },
	{ "peak fill", "peak_fill", "peak_fill", COL_REAL, "%.2f", "%.4f", 1, NULL, 0 },
	{ "peak at", "peak_time", "peak_ts", COL_TIME, NULL, NULL, 0, NULL, 0 },
	{ "full", "full", "full", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "overflows/s", "overflows_per_sec", "overflows_per_sec", COL_REAL, "%.3g", "%.6g",
	  1, NULL, 0 },
	{ "drops/s", "drops_per_sec", "drops_per_sec", COL_REAL, "%.3g", "%.6g", 1, NULL, 0 },
};

/* The host's kernel series in k, or NULL. */
static const struct series *
kernel_of(const struct dataset *k, const char *host)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->s[i].host, host) == 0 && k->s[i].nk > 0)
			return &k->s[i];
	return NULL;
}

/* A rate over the window as a cell: NaN (no context stored) is n/a. */
static struct cell
rate_cell(const struct series *ks, int stat)
{
	double v = ks != NULL ? kernel_rate_over(ks->k, ks->nk, stat, NULL) : NAN;

	return isnan(v) ? cell_null() : cell_real(v);
}

static int
listener_row(const struct report *r, struct rows *t, const struct series *s,
    const struct series *ks)
{
	struct cell row[L_NCOLS];
	const struct point *now = NULL, *peak = NULL;
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (!s->p[i].lq.have)
			continue;
		now = &s->p[i];
		if (peak == NULL || s->p[i].lq.max_fill > peak->lq.max_fill)
			peak = &s->p[i];
	}
	if (now == NULL)
		return 0;	/* not stored: older samples, imports */
	row[L_HOST] = host_cell(r, s->host);
	row[L_GROUP] = cell_text(s->group);
	row[L_TS] = cell_int(now->ts);
	row[L_LISTENERS] = cell_int((int64_t)now->lq.listeners);
	row[L_QUEUED] = cell_int((int64_t)now->lq.queued);
	row[L_BACKLOG] = cell_int((int64_t)now->lq.backlog);
	row[L_FILL] = cell_real(now->lq.max_fill);
	row[L_PEAK] = cell_real(peak->lq.max_fill);
	/* a queue never filled has no peak to point at */
	row[L_PEAK_TS] = peak->lq.max_fill > 0 ? cell_int(peak->ts) : cell_null();
	row[L_FULL] = cell_int((int64_t)now->lq.full);
	row[L_OVERFLOWS] = rate_cell(ks, KS_ListenOverflows);
	row[L_DROPS] = rate_cell(ks, KS_ListenDrops);
	/* a table leaves out the groups that had no listener all along */
	return rows_add(t, row, peak->lq.listeners > 0 || now->lq.listeners > 0 ? 0 :
	    ROW_NOT_IN_TABLE);
}

/*
 * The kernel counts overflows and drops per host, not per listener: a table
 * says them once per host, under the groups (CSV and JSON repeat them on
 * every row of the host, as columns).
 */
static void
kernel_footer(const struct history *h, const struct dataset *k)
{
	size_t i;

	putchar('\n');
	for (i = 0; i < h->n; i++) {
		const struct series *ks = kernel_of(k, h->f[i].host);
		double o = ks ? kernel_rate_over(ks->k, ks->nk, KS_ListenOverflows, NULL) : NAN;
		double d = ks ? kernel_rate_over(ks->k, ks->nk, KS_ListenDrops, NULL) : NAN;

		if (hist_several(h))
			printf("%s: ", h->f[i].host);
		if (ks == NULL)
			printf("the kernel's ListenOverflows and ListenDrops: not stored "
			    "(context: off, or samples before schema 3)\n");
		else if (isnan(o) && isnan(d))
			printf("the kernel's ListenOverflows and ListenDrops: no rate yet (it takes "
			    "two samples at most 3 intervals apart)\n");
		else
			printf("the kernel (whole host, not per listener): ListenOverflows %.3g/s, "
			    "ListenDrops %.3g/s over the window\n", o, d);
	}
}

int
cmd_listeners(struct report *r)
{
	int64_t to = r->now, from = to - (r->since_set ? r->since : 3600);
	struct dataset d = { 0 }, k = { 0 };
	char a[32], b[32];
	struct rows t;
	size_t g, i;
	int rc = 0;

	r->hist.lq = 1;
	for (g = 0; g < (r->ngroup ? r->ngroup : 1) && rc == 0; g++)
		rc = report_load(r, ROWS_RAW, from, to, r->ngroup ? r->group[g] : NULL, &d);
	if (rc == 0 && hist_kernel(&r->hist, from, to, &k) == -1)
		rc = report_fail(r);
	dataset_sort(&d);
	rows_init(&t, cols, L_NCOLS);
	if (r->format != FMT_JSON && !hist_several(&r->hist))
		t.hide = 1u << L_HOST;
	for (i = 0; i < d.n && rc == 0; i++)
		if (listener_row(r, &t, &d.s[i], kernel_of(&k, d.s[i].host)) == -1)
			rc = runtime_err(r, "out of memory");
	if (rc == 0 && t.n == 0)
		rc = runtime_err(r, "no listener data between %s and %s: samples stored "
		    "before schema 3, and imported ones, have none", fmt_time(from, a, sizeof(a)),
		    fmt_time(to, b, sizeof(b)));
	else if (rc == 0 && r->format == FMT_TABLE) {
		printf("listeners now, and the fullest since %s (UTC); rates over the window\n\n",
		    fmt_time(from, a, sizeof(a)));
		t.hide |= 1u << L_OVERFLOWS | 1u << L_DROPS;
		if (t.ntable == 0)
			printf("no group had a listener\n");
		else
			rows_table(&t, stdout);
		kernel_footer(&r->hist, &k);
	} else if (rc == 0)
		rows_print(&t, r->format, stdout);
	rows_free(&t);
	dataset_free(&d);
	dataset_free(&k);
	return rc;
}
