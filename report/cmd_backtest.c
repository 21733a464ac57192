/* backtest: the intervals in which each threshold would have fired over a range. */
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

const struct column firing_cols[NFIRING_COLS] = {
	{ "threshold", "threshold", "threshold", COL_TEXT, NULL, NULL, 0, NULL },
	{ "severity", "severity", "severity", COL_TEXT, NULL, NULL, 0, NULL },
	{ "host", "host", "host", COL_TEXT, NULL, NULL, 0, NULL },
	{ "group", "group", "group", COL_TEXT, NULL, NULL, 0, NULL },
	{ "state", "state", "state", COL_TEXT, NULL, NULL, 0, NULL },
	{ "start", "start", "start", COL_TIME, NULL, NULL, 0, NULL },
	{ "end", "end", "end", COL_TIME, NULL, NULL, 0, NULL },
	{ "peak", "peak", "peak", COL_NUM, NULL, NULL, 1, NULL },
};

int
firing_row(struct rows *t, const struct threshold *th, const struct series *s,
    const struct firing *f)
{
	struct cell row[NFIRING_COLS];

	row[0] = cell_text(th->name);
	row[1] = cell_text(th->severity == SEV_CRITICAL ? "critical" : "warning");
	row[2] = cell_text(s->host);
	row[3] = cell_text(s->group);
	row[4] = cell_text(state_name(th->state));
	row[5] = cell_int(f->start);
	row[6] = cell_int(f->end);
	row[7] = cell_real(f->peak);
	return rows_add(t, row, 0);
}

/* Each threshold's firings that end at or after `from`, into t; *samples judged. */
static int
backtest(struct report *r, int64_t from, int64_t to, struct rows *t, size_t *samples)
{
	const struct threshold *th;
	struct dataset d = { 0 };
	struct firing *f;
	size_t i, k, j, nf;
	int64_t back;
	int rc = 0;

	for (i = 0; i < r->cfg->nthresholds && rc == 0; i++) {
		th = &r->cfg->thresholds[i];
		/* start early enough that a rule can be judged at `from` */
		back = (th->has_growth ? th->window : th->for_secs) + r->max_gap;
		if ((rc = report_load(r, ROWS_RAW, from - back, to, th->group, &d)) != 0)
			break;
		for (k = 0; k < d.n && rc == 0; k++) {
			*samples += d.s[k].n;
			if (rule_backtest(th, d.s[k].p, d.s[k].n, r->max_gap, &f, &nf) == -1) {
				rc = runtime_err(r, "out of memory");
				break;
			}
			for (j = 0; j < nf && rc == 0; j++)
				if (f[j].end >= from && firing_row(t, th, &d.s[k], &f[j]) == -1)
					rc = runtime_err(r, "out of memory");
			free(f);
		}
		dataset_free(&d);
	}
	return rc;
}

int
cmd_backtest(struct report *r)
{
	int64_t to = r->to_set ? r->to : r->now, from;
	char a[32], b[32];
	struct rows t;
	size_t samples = 0;
	int rc;

	if (r->since_set && r->from_set)
		return usage_err(r, "backtest takes --since or --from, not both");
	if (r->cfg->nthresholds == 0)
		return usage_err(r, "no thresholds in %s; add some under `thresholds:`",
		    r->config_path ? r->config_path : "the config (none was found)");
	from = r->from_set ? r->from : to - (r->since_set ? r->since : 7 * 86400);
	rows_init(&t, firing_cols, NFIRING_COLS);
	if ((rc = backtest(r, from, to, &t, &samples)) == 0 && samples == 0)
		rc = runtime_err(r, "no samples between %s and %s: nothing to replay the "
		    "thresholds on", fmt_time(from, a, sizeof(a)), fmt_time(to, b, sizeof(b)));
	else if (rc == 0) {
		if (r->format == FMT_TABLE && t.n == 0)
			printf("no threshold would have fired in this range\n");
		else
			rows_print(&t, r->format, stdout);
	}
	rows_free(&t);
	return rc;
}
