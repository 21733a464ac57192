/*
 * export: the history as CSV (the import format), JSON, or OpenMetrics for
 * backfilling Prometheus (`promtool tsdb create-blocks-from openmetrics`).
 * CSV and JSON stream in (ts, host, group) order, every state, zeros included.
 * OpenMetrics needs each series contiguous, so it goes series by series.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/progress.h"
#include "report.h"

static struct progress progress;	/* on a terminal, after a second; rows are values */
static uint64_t nrows;

static void
emit(const struct report *r, int64_t ts, const char *h, const char *g, const uint64_t *count,
    int *first)
{
	int i;

	if (r->format == FMT_JSON) {
		printf("%s\n  {\"ts\": %lld, \"host\": ", *first ? "" : ",", (long long)ts);
		json_string(stdout, h);
		printf(", \"group\": ");
		json_string(stdout, g);
		printf(", \"counts\": {");
		for (i = 1; i <= TT_NSTATES; i++)
			printf("%s\"%s\": %llu", i > 1 ? ", " : "", state_name(i),
			    (unsigned long long)count[i]);
		printf("}}");
	} else
		for (i = 1; i <= TT_NSTATES; i++) {
			printf("%lld,", (long long)ts);
			csv_field(stdout, h);
			putchar(',');
			csv_field(stdout, g);
			printf(",%s,%llu\n", state_name(i), (unsigned long long)count[i]);
		}
	*first = 0;
	nrows += TT_NSTATES;
	progress_update(&progress, nrows, 0);
}

struct streamer {
	const struct report *r;
	int		*first;
};

static int
stream_row(void *arg, const char *host, const char *group, const struct point *pt,
    const struct hour *hr)
{
	struct streamer *sm = arg;

	(void)hr;
	emit(sm->r, pt->ts, host, group, pt->count, sm->first);
	return 0;
}

/* One database: its rows in (ts, host, group) order, as they come. */
static int
stream(struct report *r, int64_t from, int64_t to, const char *group, int *first)
{
	struct streamer sm = { r, first };

	if (hist_rows(&r->hist, 0, ROWS_RAW, from, to, group, r->hist.host, stream_row,
	    &sm) != 0)
		return report_fail(r);
	return 0;
}

/* Several databases: one (ts, host, group) order, each sample once. */
struct ref {
	const struct series *s;
	const struct point *p;
};

static int
cmp_ref(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c;

	if (x->p->ts != y->p->ts)
		return x->p->ts < y->p->ts ? -1 : 1;
	if ((c = strcmp(x->s->host, y->s->host)) != 0)
		return c;
	return strcmp(x->s->group, y->s->group);
}

static int
merged(struct report *r, int64_t from, int64_t to, const char *group, int *first)
{
	struct dataset d = { 0 };
	struct ref *refs;
	size_t i, k, n = 0;
	int rc;

	if ((rc = report_load(r, ROWS_RAW, from, to, group, &d)) != 0) {
		dataset_free(&d);
		return rc;
	}
	for (i = 0; i < d.n; i++)
		n += d.s[i].n;
	if ((refs = calloc(n + 1, sizeof(*refs))) == NULL) {
		dataset_free(&d);
		return runtime_err(r, "out of memory");
	}
	for (i = 0, n = 0; i < d.n; i++)
		for (k = 0; k < d.s[i].n; k++, n++) {
			refs[n].s = &d.s[i];
			refs[n].p = &d.s[i].p[k];
		}
	if (n > 1)
		qsort(refs, n, sizeof(*refs), cmp_ref);
	for (i = 0; i < n; i++)
		emit(r, refs[i].p->ts, refs[i].s->host, refs[i].s->group, refs[i].p->count, first);
	free(refs);
	dataset_free(&d);
	return 0;
}

/* A label value, escaped as OpenMetrics wants it. */
static void
om_label(const char *s)
{
	char buf[1024];

	text_label(buf, sizeof(buf), s);
	fputs(buf, stdout);
}

static int
openmetrics(struct report *r, int64_t from, int64_t to, const char *group)
{
	struct dataset d = { 0 };
	size_t i, k;
	int st, rc;

	if ((rc = report_load(r, ROWS_RAW, from, to, group, &d)) != 0) {
		dataset_free(&d);
		return rc;
	}
	dataset_sort(&d);
	printf("# TYPE tcptally_sockets gauge\n"
	    "# HELP tcptally_sockets TCP sockets per state, sampled by tcptally-collector.\n");
	for (i = 0; i < d.n; i++)
		for (st = 1; st <= TT_NSTATES; st++)
			for (k = 0; k < d.s[i].n; k++) {
				fputs("tcptally_sockets{host=\"", stdout);
				om_label(d.s[i].host);
				fputs("\",group=\"", stdout);
				om_label(d.s[i].group);
				printf("\",state=\"%s\"} %llu %lld\n", state_name(st),
				    (unsigned long long)d.s[i].p[k].count[st],
				    (long long)d.s[i].p[k].ts);
				progress_update(&progress, ++nrows, 0);
			}
	printf("# EOF\n");
	dataset_free(&d);
	return 0;
}

int
cmd_export(struct report *r)
{
	int64_t from = r->from_set ? r->from : 0, to = r->to_set ? r->to : INT64_MAX;
	const char *group = r->ngroup > 0 ? r->group[0] : NULL;
	int first = 1, rc = 0;

	if (r->ngroup > 1)
		return usage_err(r, "export takes one --group (or none for every group)");
	if (from > to)
		return usage_err(r, "--from is after --to");
	if (r->format == FMT_TABLE)
		return usage_err(r, "export needs --format csv, json or openmetrics");
	if (!r->tty)	/* not over the output on the same terminal */
		progress_start(&progress, "export", -1);
	if (r->format == FMT_OPENMETRICS) {
		rc = openmetrics(r, from, to, group);
		progress_end(&progress);
		return rc;
	}
	if (r->format == FMT_CSV)
		printf("ts,host,group,state,count\n");
	else
		printf("[");
	if (r->hist.n > 1)
		rc = merged(r, from, to, group, &first);
	else
		rc = stream(r, from, to, group, &first);
	if (r->format == FMT_JSON)
		printf("%s]\n", first ? "" : "\n");
	progress_end(&progress);
	return rc;
}
