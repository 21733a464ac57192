/*
 * now: the latest sample of each source (a host, or one of its network
 * namespaces), group x state; in a table, the kernel's section.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

enum { C_HOST, C_GROUP, C_TIME, C_STATE0 };

#define STATE_COL_(name, col) \
	{ #name, #name, #name, COL_INT, NULL, NULL, 1, "counts" },
static const struct column cols[] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL },
	{ "group", "group", "group", COL_TEXT, NULL, NULL, 0, NULL },
	{ "time (UTC)", "time (UTC)", "ts", COL_TIME, NULL, NULL, 0, NULL, 1 },
	TT_STATES(STATE_COL_)
};
#undef STATE_COL_

static int
multi_host(const struct dataset *d)
{
	size_t i;

	for (i = 1; i < d->n; i++)
		if (strcmp(d->s[i].host, d->s[0].host) != 0)
			return 1;
	return 0;
}

static int
now_rows(const struct report *r, const struct dataset *d, struct rows *t)
{
	struct cell row[C_STATE0 + TT_NSTATES];
	const struct point *p;
	size_t i;
	int st;

	for (i = 0; i < d->n; i++) {
		p = &d->s[i].p[d->s[i].n - 1];
		row[C_HOST] = host_cell(r, d->s[i].host);
		row[C_GROUP] = cell_text(d->s[i].group);
		row[C_TIME] = cell_int(p->ts);
		for (st = 1; st <= TT_NSTATES; st++)
			row[C_STATE0 + st - 1] = cell_int(p->count[st]);
		if (rows_add(t, row, 0) == -1)
			return -1;
	}
	return 0;
}

int
cmd_now(struct report *r)
{
	struct dataset d = { 0 };
	struct rows t;
	size_t g;
	int rc = 0;

	if (r->ngroup == 0)
		rc = report_load_latest(r, NULL, &d);
	for (g = 0; g < r->ngroup && rc == 0; g++)
		rc = report_load_latest(r, r->group[g], &d);
	if (rc != 0) {
		dataset_free(&d);
		return rc;
	}
	if (d.n == 0) {
		dataset_free(&d);
		return runtime_err(r, "%s: no samples yet; is tcptally-collector running?",
		    r->hist.n > 0 ? r->hist.f[0].path : r->hist.files[0].path);
	}
	dataset_sort(&d);
	rows_init(&t, cols, sizeof(cols) / sizeof(cols[0]));
	/* one host: no host column, but JSON always names it */
	if (r->format != FMT_JSON && !multi_host(&d) && !hist_several(&r->hist))
		t.hide = 1u << C_HOST;
	if (now_rows(r, &d, &t) == -1)
		rc = runtime_err(r, "out of memory");
	else
		rows_print(&t, r->format, stdout);
	/* a table gains the kernel's section and the breakdowns'; CSV and JSON
	 * stay the one table they were (export has the kernel's context in every
	 * format; who and peers have the breakdowns) */
	if (rc == 0 && r->format == FMT_TABLE) {
		struct ksection ks;

		if ((rc = ksection_load(r, KSEC_NOW, 0, r->now, r->now, &ks)) == 0)
			ksection_table(&ks, stdout);
		ksection_free(&ks);
		/* and who holds CLOSE_WAIT, toward whom TIME_WAIT, at the newest samples */
		if (rc == 0)
			rc = bsection_table(r, r->now - r->max_gap, r->now, 1, stdout);
	}
	rows_free(&t);
	dataset_free(&d);
	return rc;
}
