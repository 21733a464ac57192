/*
 * export: the history as CSV (the import format), JSON, or OpenMetrics for
 * backfilling Prometheus (`promtool tsdb create-blocks-from openmetrics`).
 * CSV and JSON stream in (ts, host, group) order, every state, zeros included.
 * OpenMetrics needs each series contiguous, so it goes series by series.
 */
#include <stdio.h>
#include <string.h>

#include "report.h"

static const char sql_rows[] =
    "SELECT c.ts, h.name, g.name, c.established, c.syn_sent, c.syn_recv, c.fin_wait1,"
    " c.fin_wait2, c.time_wait, c.close, c.close_wait, c.last_ack, c.listen, c.closing"
    " FROM counts AS c JOIN host AS h ON h.id = c.host JOIN grp AS g ON g.id = c.grp"
    " WHERE c.ts BETWEEN ?1 AND ?2 AND (?3 IS NULL OR g.name = ?3)"
    " AND (?4 IS NULL OR h.name = ?4) ORDER BY c.ts, h.name, g.name";

static void
row_csv(sqlite3_stmt *st)
{
	const char *h = (const char *)sqlite3_column_text(st, 1);
	const char *g = (const char *)sqlite3_column_text(st, 2);
	long long ts = sqlite3_column_int64(st, 0);
	int i;

	for (i = 1; i <= TT_NSTATES; i++) {
		printf("%lld,", ts);
		csv_field(stdout, h);
		putchar(',');
		csv_field(stdout, g);
		printf(",%s,%lld\n", state_name(i), (long long)sqlite3_column_int64(st, 2 + i));
	}
}

static void
row_json(sqlite3_stmt *st, int first)
{
	int i;

	printf("%s\n  {\"ts\": %lld, \"host\": ", first ? "" : ",",
	    (long long)sqlite3_column_int64(st, 0));
	json_string(stdout, (const char *)sqlite3_column_text(st, 1));
	printf(", \"group\": ");
	json_string(stdout, (const char *)sqlite3_column_text(st, 2));
	printf(", \"counts\": {");
	for (i = 1; i <= TT_NSTATES; i++)
		printf("%s\"%s\": %lld", i > 1 ? ", " : "", state_name(i),
		    (long long)sqlite3_column_int64(st, 2 + i));
	printf("}}");
}

static int
stream(struct report *r, sqlite3 *db, const char *path, int64_t from, int64_t to,
    const char *group, int *first)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, sql_rows, -1, &st, NULL) != SQLITE_OK)
		return runtime_err(r, "%s: %s", path, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (group != NULL)
		sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
	if (r->host != NULL)
		sqlite3_bind_text(st, 4, r->host, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->format == FMT_JSON)
			row_json(st, *first);
		else
			row_csv(st);
		*first = 0;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return runtime_err(r, "%s: %s", path, sqlite3_errmsg(db));
	return 0;
}

/* OpenMetrics label values escape backslash, quote and newline. */
static void
om_label(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			putchar('\\');
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
}

static int
openmetrics(struct report *r, int64_t from, int64_t to, const char *group)
{
	struct dataset d = { 0 };
	size_t i, k;
	int st;

	if (report_load(r, from, to, group, &d) != 0) {
		dataset_free(&d);
		return EX_RUNTIME;
	}
	printf("# TYPE tcptally_sockets gauge\n"
	    "# HELP tcptally_sockets TCP sockets per state, sampled by tcptally-collector.\n");
	for (i = 0; i < d.n; i++)
		for (st = 1; st <= TT_NSTATES; st++)
			for (k = 0; k < d.s[i].n; k++) {
				fputs("tcptally_sockets{host=\"", stdout);
				om_label(d.s[i].host);
				fputs("\",group=\"", stdout);
				om_label(d.s[i].group);
				printf("\",state=\"%s\"} %u %lld\n", state_name(st),
				    d.s[i].p[k].count[st], (long long)d.s[i].p[k].ts);
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
	size_t i;
	int first = 1, rc = 0;

	if (r->ngroup > 1)
		return usage_err(r, "export takes one --group (or none for every group)");
	if (group != NULL && report_check_group(r, group) == -1)
		return EX_USAGE;
	if (from > to)
		return usage_err(r, "--from is after --to");
	if (r->format == FMT_TABLE)
		return usage_err(r, "export needs --format csv, json or openmetrics");
	if (r->format == FMT_OPENMETRICS)
		return openmetrics(r, from, to, group);
	if (r->format == FMT_CSV)
		printf("ts,host,group,state,count\n");
	else
		printf("[");
	for (i = 0; i < r->ndb && rc == 0; i++)
		rc = stream(r, r->db[i], r->dbpath[i], from, to, group, &first);
	if (r->format == FMT_JSON)
		printf("%s]\n", first ? "" : "\n");
	return rc;
}
