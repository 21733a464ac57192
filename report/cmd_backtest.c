/* backtest: the intervals in which each threshold would have fired over a range. */
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

const struct column firing_cols[NFIRING_COLS] = {
	{ "threshold", "threshold", "threshold", COL_TEXT, NULL, NULL, 0, NULL },
	{ "severity", "severity", "severity", COL_TEXT, NULL, NULL, 0, NULL },
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL },
	{ "group", "group", "group", COL_TEXT, NULL, NULL, 0, NULL },
	{ "state", "state", "state", COL_TEXT, NULL, NULL, 0, NULL },
	{ "start", "start", "start", COL_TIME, NULL, NULL, 0, NULL },
	{ "end", "end", "end", COL_TIME, NULL, NULL, 0, NULL },
	{ "peak", NULL, NULL, COL_TEXT, NULL, NULL, 1, NULL },	/* "412", "100%", "45/s" */
	{ NULL, "peak", "peak", COL_NUM, NULL, NULL, 1, NULL },
};

int
firing_row(const struct report *r, struct rows *t, const struct threshold *th,
    const struct series *s, const struct firing *f)
{
	struct cell row[NFIRING_COLS];
	char w[64], p[32];

	row[0] = cell_text(th->name);
	row[1] = cell_text(th->severity == SEV_CRITICAL ? "critical" : "warning");
	row[2] = host_cell(r, s->host);
	row[3] = cell_text(th->kind == TH_RATE || th->kind == TH_USED ? "" : s->group);
	row[4] = cell_text(watch_what(th, w, sizeof(w)));
	row[5] = cell_int(f->start);
	row[6] = cell_int(f->end);
	row[7] = cell_text(watch_value(th, f->peak, p, sizeof(p)));
	row[8] = cell_real(f->peak);
	return rows_add(t, row, 0);
}

/* Each series' firings that end at or after `from`, into t. */
struct replay {
	struct report	*r;
	const struct threshold *th;
	int64_t		 from, to;	/* firings are kept if they reach into it */
	int		 clip;		/* one that began before from starts at from */
	struct rows	*t;
	size_t		 samples;
};

static int
replay_one(void *arg, const struct series *s, const struct obs *o, size_t n)
{
	struct replay *rp = arg;
	struct firing *f;
	size_t j, nf;
	int rc = 0;

	rp->samples += n;
	if (rule_backtest_obs(rp->th, o, n, rp->r->max_gap, &f, &nf) == -1)
		return runtime_err(rp->r, "out of memory");
	for (j = 0; j < nf && rc == 0; j++) {
		if (f[j].end < rp->from || f[j].start > rp->to)
			continue;
		if (f[j].start < rp->from && rp->clip)
			f[j].start = rp->from;
		if (firing_row(rp->r, rp->t, rp->th, s, &f[j]) == -1)
			rc = runtime_err(rp->r, "out of memory");
	}
	free(f);
	return rc;
}

int
replay(struct report *r, const struct threshold *th, int64_t from, int64_t to, int clip,
    struct rows *t, size_t *samples)
{
	/* start early enough that a rule can be judged at `from` */
	int64_t back = (th->has_growth ? th->window : th->for_secs) + r->max_gap;
	struct replay rp = { r, th, from, to, clip, t, 0 };
	int rc;

	rc = watch_each(r, th, from - back, to, replay_one, &rp);
	*samples += rp.samples;
	return rc;
}

/* Each threshold's firings that end at or after `from`, into t; *samples judged. */
static int
backtest(struct report *r, int64_t from, int64_t to, struct rows *t, size_t *samples)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < r->cfg->nthresholds && rc == 0; i++)
		rc = replay(r, &r->cfg->thresholds[i], from, to, 0, t, samples);
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
