/* backtest: the intervals in which each threshold would have fired over a range. */
#include <stdio.h>
#include <stdlib.h>

#include "report.h"

static void
emit(struct report *r, struct table *t, const struct threshold *th, const struct series *s,
    const struct firing *f, int *first)
{
	char a[32], b[32], peak[32];
	const char *row[8];

	fmt_time(f->start, a, sizeof(a));
	fmt_time(f->end, b, sizeof(b));
	fmt_num(f->peak, peak, sizeof(peak));
	if (r->format == FMT_JSON) {
		printf("%s\n  {\"threshold\": ", *first ? "" : ",");
		json_string(stdout, th->name);
		printf(", \"host\": ");
		json_string(stdout, s->host);
		printf(", \"group\": ");
		json_string(stdout, s->group);
		printf(", \"state\": \"%s\", \"start\": %lld, \"end\": %lld, \"peak\": %s}",
		    state_name(th->state), (long long)f->start, (long long)f->end, peak);
		*first = 0;
		return;
	}
	row[0] = th->name;
	row[1] = th->severity == SEV_CRITICAL ? "critical" : "warning";
	row[2] = s->host;
	row[3] = s->group;
	row[4] = state_name(th->state);
	row[5] = a;
	row[6] = b;
	row[7] = peak;
	table_row_v(t, row);
}

int
cmd_backtest(struct report *r)
{
	static const char *const head[] = { "threshold", "severity", "host", "group", "state",
	    "start", "end", "peak" };
	int64_t to = r->to_set ? r->to : r->now, from, back = 0;
	struct dataset d = { 0 };
	struct firing *f;
	struct table t;
	size_t i, k, j, nf, total = 0;
	int rc = 0, first = 1;

	if (r->since_set && r->from_set)
		return usage_err(r, "backtest takes --since or --from, not both");
	if (r->cfg->nthresholds == 0)
		return usage_err(r, "no thresholds in %s; add some under `thresholds:`",
		    r->config_path ? r->config_path : "the config (none was found)");
	from = r->from_set ? r->from : to - (r->since_set ? r->since : 7 * 86400);
	if (table_init(&t, 8, head) == -1)
		return runtime_err(r, "out of memory");
	t.numeric[7] = 1;
	if (r->format == FMT_JSON)
		printf("[");
	for (i = 0; i < r->cfg->nthresholds && rc == 0; i++) {
		const struct threshold *th = &r->cfg->thresholds[i];

		/* start early enough that a rule can be judged at `from` */
		back = (th->has_growth ? th->window : th->for_secs) + th->max_gap;
		if ((rc = report_load(r, from - back, to, th->group, &d)) != 0)
			break;
		for (k = 0; k < d.n && rc == 0; k++) {
			if (rule_backtest(th, d.s[k].p, d.s[k].n, &f, &nf) == -1) {
				rc = runtime_err(r, "out of memory");
				break;
			}
			for (j = 0; j < nf; j++)
				if (f[j].end >= from) {
					emit(r, &t, th, &d.s[k], &f[j], &first);
					total++;
				}
			free(f);
		}
		dataset_free(&d);
	}
	if (rc == 0 && r->format == FMT_JSON)
		printf("%s]\n", first ? "" : "\n");
	else if (rc == 0 && r->format == FMT_CSV)
		table_print_csv(&t, stdout);
	else if (rc == 0 && total == 0)
		printf("no threshold would have fired in this range\n");
	else if (rc == 0)
		table_print(&t, stdout);
	table_free(&t);
	return rc;
}
