/*
 * Reading the history: read-only, short statements, over one or many
 * databases. Rows come out through one statement per kind (raw samples or
 * hourly rollups), whoever reads them: a dataset for the commands, or a
 * stream for export. Every value is checked on the way (types, ranges, a
 * rollup's min <= avg <= max); the first bad one refuses its file, which
 * every later call leaves out, as it leaves out a file past its budget.
 *
 * A file holds one host; from schema 5 in a host row per network namespace.
 * Each row is a source (query.h), a set of series of its own labelled NAME
 * or NAME/NETNS; --host and --netns pick sources. A file's rows are read by
 * one statement and handed to their source by host id, so that a file of
 * many namespaces is read once, not once per namespace.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/db.h"
#include "query.h"

#define TS_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */
#define HOUR_SAMPLES	3600		/* at most one sample a second */
/*
 * Rows of one file held in memory over a run, at most: about 1 GB. A real
 * host writes a sample a second per group at the most; a file that makes a
 * report hold more than this is forged, or the window is far too wide.
 */
#define ROWS_MAX	10000000ULL

/*
 * The rows of every selected source of a file (?4: of that one), in (ts,
 * source label, group) order: a file holds one host, whose own namespace
 * ('host') comes first, then the others by label.
 */
#define ROWS_WHERE \
    " WHERE r.ts BETWEEN ?1 AND ?2 AND (?3 IS NULL OR g.name = ?3)" \
    " AND (?4 IS NULL OR r.host = ?4)"
#define ROWS_ORDER(schema) ((schema) >= SCHEMA_NETNS ? \
    " JOIN host AS h ON h.id = r.host" ROWS_WHERE \
    " ORDER BY r.ts, h.netns != 'host', h.netns, g.name" : \
    ROWS_WHERE " ORDER BY r.ts, r.host, g.name")

/* A source's newest taken sample (?1 its host id): a walk back from the end of the key. */
static const char sql_newest[] =
    "SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED) ") = 0 AND host = ?1"
    " AND ts <= ?2 ORDER BY ts DESC LIMIT 1";
static const char sql_oldest[] =
    "SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED) ") = 0 AND host = ?1"
    " ORDER BY ts LIMIT 1";

/*
 * ts, host id, group, then per state its count (raw), or samples and per
 * state min, max, sum (hourly).
 */
static void
rows_sql(int kind, int schema, int want_lq, char *buf, size_t len)
{
	/* before schema 3 there are none; a command that shows none reads none */
	int lq = schema >= SCHEMA_CONTEXT && want_lq;
	char cols[1024];

	if (kind == ROWS_RAW) {
		state_sql(cols, sizeof(cols), ", ", "r.{c}", 0);
		snprintf(buf, len, "SELECT r.ts, r.host, g.name, %s, %s FROM counts AS r"
		    " JOIN grp AS g ON g.id = r.grp%s", cols,
		    lq ? "r.listeners, r.queued, r.backlog, r.max_fill, r.full" :
		    "NULL, NULL, NULL, NULL, NULL", ROWS_ORDER(schema));
	} else {
		state_sql(cols, sizeof(cols), ", ", "r.{c}_min, r.{c}_max, r.{c}_sum", 0);
		snprintf(buf, len, "SELECT r.ts, r.host, g.name, r.samples, %s, %s FROM hourly AS r"
		    " JOIN grp AS g ON g.id = r.grp%s", cols,
		    lq ? "r.listeners_max, r.queued_max, NULL, r.fill_max, r.full_max" :
		    "NULL, NULL, NULL, NULL, NULL", ROWS_ORDER(schema));
	}
}


int
count_at(sqlite3_stmt *st, int col, uint64_t *out)
{
	int64_t v;

	if (sqlite3_column_type(st, col) != SQLITE_INTEGER)
		return -1;
	v = sqlite3_column_int64(st, col);
	if (v < 0 || v > TT_COUNT_MAX)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

/*
 * Columns col.. of listeners, queued, backlog, max_fill, full: all NULL (not
 * stored: older samples, imports), or counts and a fill from 0 to 10^6.
 */
static int
lq_at(sqlite3_stmt *st, int col, struct lq *q)
{
	int type = sqlite3_column_type(st, col + 3);

	memset(q, 0, sizeof(*q));
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return 0;
	q->have = 1;
	q->max_fill = sqlite3_column_double(st, col + 3);
	if ((type != SQLITE_FLOAT && type != SQLITE_INTEGER) || !(q->max_fill >= 0 &&
	    q->max_fill <= 1e6))
		return -1;
	return count_at(st, col, &q->listeners) == -1 || count_at(st, col + 1, &q->queued) == -1 ||
	    (sqlite3_column_type(st, col + 2) != SQLITE_NULL &&
	    count_at(st, col + 2, &q->backlog) == -1) || count_at(st, col + 4, &q->full) == -1 ?
	    -1 : 0;
}

/*
 * The current row of a rows_sql statement of file x, checked, into fn as
 * its source's; a row of a source not selected is skipped. -1 refuses x.
 */
static int
row_out(const struct history *h, struct hdbfile *x, sqlite3_stmt *st, int kind, row_fn fn,
    void *arg)
{
	const struct hfile *src = hist_source_id(h, x, sqlite3_column_int64(st, 1));
	const char *group = (const char *)sqlite3_column_text(st, 2);
	int64_t ts = sqlite3_column_int64(st, 0);
	struct point pt;
	struct hour hr;
	uint64_t n = 0;
	int k, bad = sqlite3_column_type(st, 0) != SQLITE_INTEGER || ts < 0 || ts > TS_MAX;

	if (sqlite3_column_type(st, 1) != SQLITE_INTEGER || src == NULL)
		return 0;
	if (kind == ROWS_RAW) {
		pt.ts = ts;
		pt.count[0] = 0;
		for (k = 1; k <= TT_NSTATES && !bad; k++)
			bad = count_at(st, 2 + k, &pt.count[k]) == -1;
		bad = bad || lq_at(st, 3 + TT_NSTATES, &pt.lq) == -1;
		if (bad)
			return hdb_refuse(x, "a sample at ts %lld, group %s: a value that is not "
			    "a time or a count from 0 to %lld", (long long)ts, group,
			    (long long)TT_COUNT_MAX);
		return fn(arg, src, group, &pt, NULL);
	}
	memset(&hr, 0, sizeof(hr));
	hr.ts = ts;
	bad |= ts % 3600 != 0 || count_at(st, 3, &n) == -1 || n < 1 || n > HOUR_SAMPLES;
	hr.n = (uint32_t)n;
	for (k = 1; k <= TT_NSTATES && !bad; k++)
		bad = count_at(st, 1 + 3 * k, &hr.min[k]) == -1 ||
		    count_at(st, 2 + 3 * k, &hr.max[k]) == -1 ||
		    sqlite3_column_type(st, 3 + 3 * k) != SQLITE_INTEGER ||
		    (hr.sum[k] = (uint64_t)sqlite3_column_int64(st, 3 + 3 * k),
		    hr.min[k] > hr.max[k] || hr.sum[k] < hr.min[k] * n || hr.sum[k] > hr.max[k] * n);
	bad = bad || lq_at(st, 4 + 3 * TT_NSTATES, &hr.lq) == -1;
	if (bad)
		return hdb_refuse(x, "an hourly rollup at ts %lld, group %s: not an hour's "
		    "start, 1 to %d samples, and min <= avg <= max of counts from 0 to %lld",
		    (long long)ts, group, HOUR_SAMPLES, (long long)TT_COUNT_MAX);
	return fn(arg, src, group, NULL, &hr);
}

int
hist_rows(struct history *h, size_t i, int kind, int64_t from, int64_t to,
    const char *group, const struct hfile *only, row_fn fn, void *arg)
{
	struct hdbfile *x = &h->files[i];
	char sql[2048];
	sqlite3_stmt *st;
	int rc, out = 0;

	if (x->why != NULL)
		return -1;
	if (x->nmap == 0)
		return 0;	/* none of its sources selected */
	rows_sql(kind, x->schema, h->lq, sql, sizeof(sql));
	hdb_begin(x);
	if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK) {
		hdb_end(x);
		return hdb_fail(x);
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (group != NULL)
		sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
	if (only != NULL)
		sqlite3_bind_int64(st, 4, only->host_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = row_out(h, x, st, kind, fn, arg)) == -1)
			break;
	hdb_end(x);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		hdb_fail(x);
	sqlite3_finalize(st);
	if (out == -1 && x->why == NULL) {
		snprintf(h->err, sizeof(h->err), "%s: out of memory", x->path);
		return -2;
	}
	return x->why != NULL ? -1 : 0;
}

/*
 * Rows into a dataset. A file's rows come in (ts, source, group) order, the
 * same cycle of series at every ts: after series k, k + 1 is tried first.
 */
struct loader {
	struct hdbfile	*x;
	struct dataset	*d;
	size_t		 next;
};

static int
load_row(void *arg, const struct hfile *src, const char *group, const struct point *pt,
    const struct hour *hr)
{
	struct loader *l = arg;
	struct series *s;

	if (++l->x->rows > ROWS_MAX)
		return hdb_refuse(l->x, "more than %llu rows for one report (a host writes a "
		    "sample a second per group at most): forged, or narrow the window",
		    (unsigned long long)ROWS_MAX);
	if ((s = series_for(l->d, &l->next, src->host, group)) == NULL)
		return -1;
	return pt != NULL ? series_push(s, pt) : series_push_hour(s, hr);
}

/*
 * File i's rows (only: of that source) into a dataset of their own, merged
 * into out only if the whole read went well: a file refused half-way adds
 * nothing.
 */
static int
load_one(struct history *h, size_t i, int kind, int64_t from, int64_t to,
    const char *group, const struct hfile *only, struct dataset *out)
{
	struct dataset mine = { 0 };
	struct loader l = { &h->files[i], &mine, 0 };
	int rc;

	if ((rc = hist_rows(h, i, kind, from, to, group, only, load_row, &l)) == 0 &&
	    dataset_take(out, &mine) == -1) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		rc = -2;
	}
	dataset_free(&mine);
	return rc;
}

int
hist_load(struct history *h, int kind, int64_t from, int64_t to, const char *group,
    struct dataset *out)
{
	size_t i;

	for (i = 0; i < h->nfiles; i++)
		if (load_one(h, i, kind, from, to, group, NULL, out) == -2)
			return -1;
	dataset_dedup(out);
	return hist_some_good(h);
}

/*
 * One integer from source f (sql with ?1 = its host id, ?2 = at, ?3 = arg),
 * timed; dflt if none, -2 refuses its file.
 */
static int64_t
file_int(struct hfile *f, const char *sql, int64_t at, int64_t arg, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v = dflt;
	int rc;

	if (f->file->why != NULL)
		return -2;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		hfile_fail(f);
		return -2;
	}
	sqlite3_bind_int64(st, 1, f->host_id);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, at);
	if (sqlite3_bind_parameter_count(st) >= 3)
		sqlite3_bind_int64(st, 3, arg);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			v = sqlite3_column_int64(st, 0);
		else if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			rc = SQLITE_MISMATCH;
	}
	hfile_end(f);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		if (rc == SQLITE_MISMATCH)
			hfile_refuse(f, "a time that is not a number");
		else
			hfile_fail(f);
		v = -2;
	}
	sqlite3_finalize(st);
	if (v != dflt && v != -2 && (v < 0 || v > TS_MAX)) {
		hfile_refuse(f, "a time out of range: %lld", (long long)v);
		v = -2;
	}
	return v;
}

int
hist_has_rows(const struct hfile *src, int64_t from, int64_t to, const char *group)
{
	const struct hfile *f = src;
	sqlite3_stmt *st;
	int rc;

	if (f->file->why != NULL)
		return -1;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, "SELECT 1 FROM counts AS r JOIN grp AS g ON g.id = r.grp"
	    " WHERE r.ts BETWEEN ?1 AND ?2 AND r.host = ?3 AND (?4 IS NULL OR g.name = ?4)"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	sqlite3_bind_int64(st, 3, f->host_id);
	if (group != NULL)
		sqlite3_bind_text(st, 4, group, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	hfile_end(f);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hfile_fail(f);
	return rc == SQLITE_ROW;
}


/* The newest (or oldest) sample over the selected sources. */
static int64_t
edge(struct history *h, const char *sql, int newest)
{
	int64_t best = -1, v;
	size_t i;

	for (i = 0; i < h->n; i++) {
		v = file_int(&h->f[i], sql, INT64_MAX, 0, -1);
		if (v >= 0 && (best < 0 || (newest ? v > best : v < best)))
			best = v;
	}
	return best;
}

int64_t
hist_latest(struct history *h)
{
	return edge(h, sql_newest, 1);
}

int64_t
hist_first(struct history *h)
{
	return edge(h, sql_oldest, 0);
}

int64_t
hist_newest_at(struct history *h, const char *host, int64_t at)
{
	struct hfile *f = hist_file_of(h, host);
	int64_t v;

	return f != NULL && (v = file_int(f, sql_newest, at, 0, -1)) >= 0 ? v : -1;
}

int64_t
hist_common_gap(struct history *h)
{
	size_t i;
	int64_t v;

	for (i = 0; i < h->n; i++)
		if ((v = file_int(&h->f[i], "SELECT d FROM (SELECT ts - lag(ts) OVER (ORDER BY ts)"
		    " AS d FROM (SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED)
		    ") = 0 AND host = ?1 ORDER BY ts DESC LIMIT 50)) WHERE d > 0 GROUP BY d"
		    " ORDER BY count(*) DESC, d LIMIT 1", INT64_MAX, 0, -1)) != -2)
			return v;
	return -1;
}

int
hist_beyond_raw(struct history *h, int64_t from, int64_t *oldest_raw)
{
	int64_t oldest;
	size_t i;
	int beyond = 0;

	*oldest_raw = -1;
	for (i = 0; i < h->n; i++) {
		oldest = file_int(&h->f[i], sql_oldest, INT64_MAX, 0, -1);
		if (oldest == -2)
			continue;
		if (oldest < 0)
			oldest = INT64_MAX;
		else if (*oldest_raw < 0 || oldest < *oldest_raw)
			*oldest_raw = oldest;
		/* a rollup of an hour in [from, oldest): its raw samples are gone */
		if (from - from % 3600 < oldest - oldest % 3600 && file_int(&h->f[i],
		    "SELECT 1 FROM hourly WHERE host = ?1 AND ts >= ?2 AND ts < ?3 LIMIT 1",
		    from - from % 3600, oldest - oldest % 3600, 0) == 1)
			beyond = 1;
	}
	return beyond;
}

int
hist_load_latest(struct history *h, const char *group, struct dataset *out)
{
	int64_t ts;
	size_t i;

	for (i = 0; i < h->n; i++)
		if ((ts = file_int(&h->f[i], sql_newest, INT64_MAX, 0, -1)) >= 0 &&
		    load_one(h, (size_t)(h->f[i].file - h->files), ROWS_RAW, ts, ts, group,
		    &h->f[i], out) == -2)
			return -1;
	dataset_dedup(out);
	return hist_some_good(h);
}
