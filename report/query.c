/*
 * Reading the history: read-only, short statements, over one or many
 * databases. Rows come out through one statement per kind (raw samples or
 * hourly rollups), whoever reads them: a dataset for the commands, or a
 * stream for export.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/db.h"
#include "query.h"

#define ROWS_WHERE \
    " WHERE r.ts BETWEEN ?1 AND ?2 AND (?3 IS NULL OR g.name = ?3)" \
    " AND (?4 IS NULL OR h.name GLOB ?4) ORDER BY r.ts, h.name, g.name"

/* The newest taken sample (of the hosts ?1 matches): a walk back from the end of the key. */
static const char sql_newest[] =
    "SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED) ") = 0"
    " AND (?1 IS NULL OR host IN (SELECT id FROM host WHERE name GLOB ?1))"
    " ORDER BY ts DESC LIMIT 1";

/*
 * ts, host, group, then per state its count (raw), or samples and per
 * state min, max, sum (hourly).
 */
static void
rows_sql(int kind, char *buf, size_t len)
{
	char cols[1024];

	if (kind == ROWS_RAW) {
		state_sql(cols, sizeof(cols), ", ", "r.{c}", 0);
		snprintf(buf, len, "SELECT r.ts, h.name, g.name, %s FROM counts AS r"
		    " JOIN host AS h ON h.id = r.host JOIN grp AS g ON g.id = r.grp" ROWS_WHERE,
		    cols);
	} else {
		state_sql(cols, sizeof(cols), ", ", "r.{c}_min, r.{c}_max, r.{c}_sum", 0);
		snprintf(buf, len, "SELECT r.ts, h.name, g.name, r.samples, %s FROM hourly AS r"
		    " JOIN host AS h ON h.id = r.host JOIN grp AS g ON g.id = r.grp" ROWS_WHERE,
		    cols);
	}
}

static int
fail(struct history *h, size_t i)
{
	snprintf(h->err, sizeof(h->err), "%s: %s", h->path[i], sqlite3_errmsg(h->db[i]));
	return -1;
}

int
hist_open(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if ((h->db[i] = db_open_ro(h->path[i], h->err, sizeof(h->err))) == NULL)
			return -1;
	return 0;
}

void
hist_close(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		sqlite3_close(h->db[i]);
	memset(h->db, 0, sizeof(h->db));
}

/* The current row of a rows_sql statement into fn. */
static int
row_out(sqlite3_stmt *st, int kind, row_fn fn, void *arg)
{
	const char *host = (const char *)sqlite3_column_text(st, 1);
	const char *group = (const char *)sqlite3_column_text(st, 2);
	struct point pt;
	struct hour hr;
	int k;

	if (kind == ROWS_RAW) {
		pt.ts = sqlite3_column_int64(st, 0);
		pt.count[0] = 0;
		for (k = 1; k <= TT_NSTATES; k++)
			pt.count[k] = (uint32_t)sqlite3_column_int64(st, 2 + k);
		return fn(arg, host, group, &pt, NULL);
	}
	memset(&hr, 0, sizeof(hr));
	hr.ts = sqlite3_column_int64(st, 0);
	hr.n = (uint32_t)sqlite3_column_int64(st, 3);
	for (k = 1; k <= TT_NSTATES; k++) {
		hr.min[k] = (uint32_t)sqlite3_column_int64(st, 1 + 3 * k);
		hr.max[k] = (uint32_t)sqlite3_column_int64(st, 2 + 3 * k);
		hr.sum[k] = (uint64_t)sqlite3_column_int64(st, 3 + 3 * k);
	}
	return fn(arg, host, group, NULL, &hr);
}

int
hist_rows(struct history *h, size_t i, int kind, int64_t from, int64_t to,
    const char *group, const char *host, row_fn fn, void *arg)
{
	char sql[2048];
	sqlite3_stmt *st;
	int rc;

	rows_sql(kind, sql, sizeof(sql));
	if (sqlite3_prepare_v2(h->db[i], sql, -1, &st, NULL) != SQLITE_OK)
		return fail(h, i);
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (group != NULL)
		sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
	if (host != NULL)
		sqlite3_bind_text(st, 4, host, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) == SQLITE_NULL ||
		    sqlite3_column_type(st, 2) == SQLITE_NULL) {
			snprintf(h->err, sizeof(h->err), "%s: a row without a host or group "
			    "name", h->path[i]);
			sqlite3_finalize(st);
			return -1;
		}
		if (row_out(st, kind, fn, arg) == -1)
			break;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW) {
		snprintf(h->err, sizeof(h->err), "%s: out of memory", h->path[i]);
		return -1;
	}
	return rc == SQLITE_DONE ? 0 : fail(h, i);
}

/* Rows into a dataset: consecutive rows of one host x group go to one series. */
struct loader {
	struct dataset	*d;
	struct series	*last;
};

static int
load_row(void *arg, const char *host, const char *group, const struct point *pt,
    const struct hour *hr)
{
	struct loader *l = arg;

	if (l->last == NULL || strcmp(l->last->host, host) != 0 ||
	    strcmp(l->last->group, group) != 0)
		if ((l->last = dataset_series(l->d, host, group)) == NULL)
			return -1;
	return pt != NULL ? series_push(l->last, pt) : series_push_hour(l->last, hr);
}

static int
load_one(struct history *h, size_t i, int kind, int64_t from, int64_t to,
    const char *group, const char *host, struct dataset *out)
{
	struct loader l = { out, NULL };

	return hist_rows(h, i, kind, from, to, group, host, load_row, &l);
}

int
hist_load(struct history *h, int kind, int64_t from, int64_t to, const char *group,
    struct dataset *out)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (load_one(h, i, kind, from, to, group, h->host, out) == -1)
			return -1;
	dataset_dedup(out);
	return 0;
}

/* A name as a GLOB pattern that matches only itself: [*], [?], [[]. */
static void
glob_quote(const char *s, char *buf, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 4 < len; s++) {
		if (*s == '*' || *s == '?' || *s == '[') {
			buf[o++] = '[';
			buf[o++] = *s;
			buf[o++] = ']';
		} else
			buf[o++] = *s;
	}
	buf[o] = '\0';
}

int
hist_has_name(struct history *h, const char *table, const char *name, int glob,
    char *known, size_t len)
{
	sqlite3_stmt *st;
	char sql[96];
	size_t i, off = 0;
	int found = 0;

	known[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT name, name %s ?1 FROM %s ORDER BY name",
	    glob ? "GLOB" : "=", table);
	for (i = 0; i < h->n && !found; i++) {
		if (sqlite3_prepare_v2(h->db[i], sql, -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (sqlite3_column_int(st, 1))
				found = 1;
			if ((glob || i == 0) && off < len - 1)
				off += (size_t)snprintf(known + off, len - off, "%s%s",
				    off ? ", " : "", (const char *)sqlite3_column_text(st, 0));
		}
		sqlite3_finalize(st);
	}
	if (off >= len - 1 && len > 5)
		strcpy(known + len - 5, " ...");
	return found;
}

int64_t
hist_latest(struct history *h)
{
	int64_t best = -1, v;
	size_t i;

	for (i = 0; i < h->n; i++) {
		v = db_int(h->db[i], sql_newest, h->host, -1);
		if (v > best)
			best = v;
	}
	return best;
}

int64_t
hist_common_gap(struct history *h)
{
	return db_int(h->db[0], "SELECT d FROM (SELECT ts - lag(ts) OVER (ORDER BY ts) AS d"
	    " FROM (SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED) ") = 0"
	    " ORDER BY ts DESC LIMIT 50)) WHERE d > 0 GROUP BY d ORDER BY count(*) DESC, d"
	    " LIMIT 1", NULL, -1);
}

/* Whether db holds a rollup of an hour in [from, to). */
static int
hourly_between(sqlite3 *db, int64_t from, int64_t to)
{
	sqlite3_stmt *st;
	int found = 0;

	if (from >= to || sqlite3_prepare_v2(db, "SELECT 1 FROM hourly WHERE ts >= ?1"
	    " AND ts < ?2 LIMIT 1", -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return found;
}

int
hist_beyond_raw(struct history *h, int64_t from, int64_t *oldest_raw)
{
	int64_t oldest;
	size_t i;
	int beyond = 0;

	*oldest_raw = -1;
	for (i = 0; i < h->n; i++) {
		oldest = db_int(h->db[i], "SELECT ts FROM sample WHERE (flags & "
		    TT_SQL(SAMPLE_MISSED) ") = 0 ORDER BY ts LIMIT 1", NULL, -1);
		if (oldest < 0)
			oldest = INT64_MAX;
		else if (*oldest_raw < 0 || oldest < *oldest_raw)
			*oldest_raw = oldest;
		if (hourly_between(h->db[i], from - from % 3600, oldest - oldest % 3600))
			beyond = 1;
	}
	return beyond;
}

int
hist_load_latest(struct history *h, const char *group, struct dataset *out)
{
	sqlite3_stmt *st;
	char host[1024];
	int64_t ts;
	size_t i;
	int rc = 0;

	for (i = 0; i < h->n && rc == 0; i++) {
		if (sqlite3_prepare_v2(h->db[i], "SELECT name FROM host"
		    " WHERE ?1 IS NULL OR name GLOB ?1 ORDER BY name", -1, &st, NULL) != SQLITE_OK)
			return fail(h, i);
		if (h->host != NULL)
			sqlite3_bind_text(st, 1, h->host, -1, SQLITE_STATIC);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			glob_quote((const char *)sqlite3_column_text(st, 0), host, sizeof(host));
			if ((ts = db_int(h->db[i], sql_newest, host, -1)) >= 0)
				rc = load_one(h, i, ROWS_RAW, ts, ts, group, host, out);
		}
		sqlite3_finalize(st);
	}
	dataset_dedup(out);
	return rc;
}
