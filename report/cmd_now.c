/* now: the latest sample of each host, group x state. */
#include <stdio.h>
#include <string.h>

#include "report.h"

static int
multi_host(const struct dataset *d)
{
	size_t i;

	for (i = 1; i < d->n; i++)
		if (strcmp(d->s[i].host, d->s[0].host) != 0)
			return 1;
	return 0;
}

static void
now_json(const struct dataset *d)
{
	size_t i;
	int st;

	printf("[");
	for (i = 0; i < d->n; i++) {
		const struct point *p = &d->s[i].p[d->s[i].n - 1];

		printf("%s\n  {\"ts\": %lld, \"host\": ", i ? "," : "", (long long)p->ts);
		json_string(stdout, d->s[i].host);
		printf(", \"group\": ");
		json_string(stdout, d->s[i].group);
		printf(", \"counts\": {");
		for (st = 1; st <= TT_NSTATES; st++)
			printf("%s\"%s\": %u", st > 1 ? ", " : "", state_name(st), p->count[st]);
		printf("}}");
	}
	printf("\n]\n");
}

static int
now_table(struct report *r, const struct dataset *d)
{
	const char *head[3 + TT_NSTATES];
	char cells[TT_NSTATES + 1][24], when[32];
	struct table t;
	size_t i, c, first;
	int st, hosts = multi_host(d) || r->ndb > 1;

	first = hosts ? 0 : 1;
	head[0] = "host";
	head[1] = "group";
	head[2] = "time (UTC)";
	for (st = 1; st <= TT_NSTATES; st++)
		head[2 + st] = state_name(st);
	if (table_init(&t, 3 + TT_NSTATES - first, head + first) == -1)
		return runtime_err(r, "out of memory");
	for (c = 3 - first; c < t.ncols; c++)
		t.numeric[c] = 1;
	for (i = 0; i < d->n; i++) {
		const struct point *p = &d->s[i].p[d->s[i].n - 1];
		const char *row[3 + TT_NSTATES];

		row[0] = d->s[i].host;
		row[1] = d->s[i].group;
		row[2] = fmt_time(p->ts, when, sizeof(when));
		for (st = 1; st <= TT_NSTATES; st++) {
			snprintf(cells[st], sizeof(cells[st]), "%u", p->count[st]);
			row[2 + st] = cells[st];
		}
		table_row_v(&t, row + first);
	}
	if (r->format == FMT_CSV)
		table_print_csv(&t, stdout);
	else
		table_print(&t, stdout);
	table_free(&t);
	return 0;
}

int
cmd_now(struct report *r)
{
	struct dataset d = { 0 };
	size_t g;
	int rc = 0;

	for (g = 0; g < r->ngroup; g++)
		if (report_check_group(r, r->group[g]) == -1)
			return r->check ? 3 : EX_USAGE;
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
		    r->dbpath[0]);
	}
	dataset_sort(&d);
	if (r->format == FMT_JSON)
		now_json(&d);
	else
		rc = now_table(r, &d);
	dataset_free(&d);
	return rc;
}
