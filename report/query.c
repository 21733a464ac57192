/*
 * Reading the history: read-only, short statements, over one or many
 * databases. Rows come out through one statement per kind (raw samples or
 * hourly rollups), whoever reads them: a dataset for the commands, or a
 * stream for export. Every value is checked on the way (types, ranges, a
 * rollup's min <= avg <= max); the first bad one refuses its file, which
 * every later call leaves out, as it leaves out a file past its budget.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/db.h"
#include "query.h"

#define TS_MAX		253402300799LL	/* 9999-12-31T23:59:59Z */
#define HOUR_SAMPLES	3600		/* at most one sample a second */
#define FDS_PER_FILE	3		/* the database, its -wal and -shm */
/*
 * Rows of one file held in memory over a run, at most: about 1 GB. A real
 * host writes a sample a second per group at the most; a file that makes a
 * report hold more than this is forged, or the window is far too wide.
 */
#define ROWS_MAX	10000000ULL

#define ROWS_WHERE \
    " WHERE r.ts BETWEEN ?1 AND ?2 AND (?3 IS NULL OR g.name = ?3)" \
    " AND (?4 IS NULL OR h.name GLOB ?4) ORDER BY r.ts, h.name, g.name"

/* The newest taken sample (of the hosts ?1 matches): a walk back from the end of the key. */
static const char sql_newest[] =
    "SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED) ") = 0"
    " AND (?1 IS NULL OR host IN (SELECT id FROM host WHERE name GLOB ?1))"
    " ORDER BY ts DESC LIMIT 1";
static const char sql_newest_at[] =
    "SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED) ") = 0 AND ts <= ?2"
    " AND host IN (SELECT id FROM host WHERE name = ?1) ORDER BY ts DESC LIMIT 1";
static const char sql_oldest[] =
    "SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED) ") = 0"
    " AND (?1 IS NULL OR host IN (SELECT id FROM host WHERE name GLOB ?1))"
    " ORDER BY ts LIMIT 1";

/*
 * ts, host, group, then per state its count (raw), or samples and per
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
		snprintf(buf, len, "SELECT r.ts, h.name, g.name, %s, %s FROM counts AS r"
		    " JOIN host AS h ON h.id = r.host JOIN grp AS g ON g.id = r.grp" ROWS_WHERE,
		    cols, lq ? "r.listeners, r.queued, r.backlog, r.max_fill, r.full" :
		    "NULL, NULL, NULL, NULL, NULL");
	} else {
		state_sql(cols, sizeof(cols), ", ", "r.{c}_min, r.{c}_max, r.{c}_sum", 0);
		snprintf(buf, len, "SELECT r.ts, h.name, g.name, r.samples, %s, %s FROM hourly AS r"
		    " JOIN host AS h ON h.id = r.host JOIN grp AS g ON g.id = r.grp" ROWS_WHERE,
		    cols, lq ? "r.listeners_max, r.queued_max, NULL, r.fill_max, r.full_max" :
		    "NULL, NULL, NULL, NULL, NULL");
	}
}

size_t
hist_good(const struct history *h)
{
	size_t i, n = 0;

	for (i = 0; i < h->n; i++)
		n += h->f[i].why == NULL;
	return n;
}

/* 0 while some file is good; else -1 with the last reason. */
static int
some_good(struct history *h)
{
	size_t i;

	if (hist_good(h) > 0)
		return 0;
	for (i = h->n; i-- > 0;)
		if (h->f[i].why != NULL) {
			snprintf(h->err, sizeof(h->err), "%s", h->f[i].why);
			return -1;
		}
	snprintf(h->err, sizeof(h->err), "no database");
	return -1;
}

int
hist_add(struct history *h, const char *path)
{
	struct hfile *nf;

	if (h->n == MAX_DBS)
		return -1;
	if (h->n == h->cap) {
		if ((nf = reallocarray(h->f, h->cap ? h->cap * 2 : 8, sizeof(*nf))) == NULL)
			return -1;
		h->f = nf;
		h->cap = h->cap ? h->cap * 2 : 8;
	}
	memset(&h->f[h->n], 0, sizeof(h->f[h->n]));
	h->f[h->n++].path = path;
	return 0;
}

/*
 * Enough descriptors for every file (up to 3 each): the soft limit raised
 * toward the hard one if need be; -1 with a message naming the limit.
 */
static int
fd_room(struct history *h)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)h->n * (h->fleet ? 1 : FDS_PER_FILE) + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return 0;
	}
	snprintf(h->err, sizeof(h->err), "%zu databases need up to %llu open files, and "
	    "the limit is %llu (ulimit -n; hard limit %llu): raise it, or give fewer", h->n,
	    (unsigned long long)need, (unsigned long long)rl.rlim_cur,
	    (unsigned long long)rl.rlim_max);
	return -1;
}

/* Two files that claim one host: the one named HOST.db is kept, else neither. */
static void
one_file_per_host(struct history *h)
{
	struct hfile *a, *b;
	const char *base;
	char want[TT_HOST_MAX + 4];
	size_t i, j;
	int an, bn;

	for (i = 0; i < h->n; i++)
		for (j = i + 1; j < h->n; j++) {
			a = &h->f[i];
			b = &h->f[j];
			if (a->db == NULL || b->db == NULL || strcmp(a->host, b->host) != 0)
				continue;
			snprintf(want, sizeof(want), "%s.db", a->host);
			an = strcmp((base = strrchr(a->path, '/')) ? base + 1 : a->path, want) == 0;
			bn = strcmp((base = strrchr(b->path, '/')) ? base + 1 : b->path, want) == 0;
			if (!an)
				hfile_refuse(a, "holds host '%s', as %s does; one file per host%s",
				    a->host, b->path, bn ? " (that one is named for it)" : "");
			if (!bn)
				hfile_refuse(b, "holds host '%s', as %s does; one file per host%s",
				    b->host, a->path, an ? " (that one is named for it)" : "");
		}
	for (i = 0; i < h->n; i++)
		if (h->f[i].why != NULL && h->f[i].db != NULL) {
			sqlite3_close(h->f[i].db);
			h->f[i].db = NULL;
		}
}

int
hist_open(struct history *h)
{
	size_t i;

	if (h->budget_ns <= 0)
		h->budget_ns = (int64_t)FILE_BUDGET_MS * 1000000;
	if (fd_room(h) == -1)
		return -1;
	for (i = 0; i < h->n; i++)
		if (db_open_ro(&h->f[i], h->fleet ? RO_IMMUTABLE : 0, h->budget_ns) == -1 &&
		    errno == EMFILE) {
			fd_room(h);
			return -1;
		}
	one_file_per_host(h);
	return some_good(h);
}

void
hist_close(struct history *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		sqlite3_close(h->f[i].db);
		free(h->f[i].why);
	}
	free(h->f);
	h->f = NULL;
	h->n = h->cap = 0;
}

const struct hfile *
hist_file_of(const struct history *h, const char *host)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->f[i].why == NULL && strcmp(h->f[i].host, host) == 0)
			return &h->f[i];
	return NULL;
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

/* The current row of a rows_sql statement, checked, into fn; -1 refuses f. */
static int
row_out(struct hfile *f, sqlite3_stmt *st, int kind, row_fn fn, void *arg)
{
	const char *host = (const char *)sqlite3_column_text(st, 1);
	const char *group = (const char *)sqlite3_column_text(st, 2);
	int64_t ts = sqlite3_column_int64(st, 0);
	struct point pt;
	struct hour hr;
	uint64_t n = 0;
	int k, bad = sqlite3_column_type(st, 0) != SQLITE_INTEGER || ts < 0 || ts > TS_MAX;

	if (kind == ROWS_RAW) {
		pt.ts = ts;
		pt.count[0] = 0;
		for (k = 1; k <= TT_NSTATES && !bad; k++)
			bad = count_at(st, 2 + k, &pt.count[k]) == -1;
		bad = bad || lq_at(st, 3 + TT_NSTATES, &pt.lq) == -1;
		if (bad)
			return hfile_refuse(f, "a sample at ts %lld, group %s: a value that is not "
			    "a time or a count from 0 to %lld", (long long)ts, group,
			    (long long)TT_COUNT_MAX);
		return fn(arg, host, group, &pt, NULL);
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
		return hfile_refuse(f, "an hourly rollup at ts %lld, group %s: not an hour's "
		    "start, 1 to %d samples, and min <= avg <= max of counts from 0 to %lld",
		    (long long)ts, group, HOUR_SAMPLES, (long long)TT_COUNT_MAX);
	return fn(arg, host, group, NULL, &hr);
}

int
hist_rows(struct history *h, size_t i, int kind, int64_t from, int64_t to,
    const char *group, const char *host, row_fn fn, void *arg)
{
	struct hfile *f = &h->f[i];
	char sql[2048];
	sqlite3_stmt *st;
	int rc, out = 0;

	if (f->why != NULL)
		return -1;
	rows_sql(kind, f->schema, h->lq, sql, sizeof(sql));
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (group != NULL)
		sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
	if (host != NULL)
		sqlite3_bind_text(st, 4, host, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if ((out = row_out(f, st, kind, fn, arg)) == -1)
			break;
	hfile_end(f);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		hfile_fail(f);
	sqlite3_finalize(st);
	if (out == -1 && f->why == NULL) {
		snprintf(h->err, sizeof(h->err), "%s: out of memory", f->path);
		return -2;
	}
	return f->why != NULL ? -1 : 0;
}

/* Rows into a dataset: consecutive rows of one host x group go to one series. */
struct loader {
	struct hfile	*f;
	struct dataset	*d;
	struct series	*last;
};

static int
load_row(void *arg, const char *host, const char *group, const struct point *pt,
    const struct hour *hr)
{
	struct loader *l = arg;

	if (++l->f->rows > ROWS_MAX)
		return hfile_refuse(l->f, "more than %llu rows for one report (a host writes a "
		    "sample a second per group at most): forged, or narrow the window",
		    (unsigned long long)ROWS_MAX);
	if (l->last == NULL || strcmp(l->last->host, host) != 0 ||
	    strcmp(l->last->group, group) != 0)
		if ((l->last = dataset_series(l->d, host, group)) == NULL)
			return -1;
	return pt != NULL ? series_push(l->last, pt) : series_push_hour(l->last, hr);
}

/*
 * File i's rows into a dataset of their own, merged into out only if the
 * whole read went well: a file refused half-way adds nothing.
 */
static int
load_one(struct history *h, size_t i, int kind, int64_t from, int64_t to,
    const char *group, const char *host, struct dataset *out)
{
	struct dataset mine = { 0 };
	struct loader l = { &h->f[i], &mine, NULL };
	int rc;

	if ((rc = hist_rows(h, i, kind, from, to, group, host, load_row, &l)) == 0 &&
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

	for (i = 0; i < h->n; i++)
		if (load_one(h, i, kind, from, to, group, h->host, out) == -2)
			return -1;
	dataset_dedup(out);
	return some_good(h);
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

/* One integer from file i (sql with ?1 = arg, ?2 = at), timed; dflt if none, -2 refuses it. */
static int64_t
file_int(struct history *h, size_t i, const char *sql, const char *arg, int64_t at,
    int64_t dflt)
{
	struct hfile *f = &h->f[i];
	sqlite3_stmt *st;
	int64_t v = dflt;
	int rc;

	if (f->why != NULL)
		return -2;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, sql, -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		hfile_fail(f);
		return -2;
	}
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_int64(st, 2, at);
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
hist_has_name(struct history *h, const char *table, const char *name, int glob,
    char *known, size_t len)
{
	sqlite3_stmt *st;
	char sql[96];
	size_t i, off = 0;
	int found = 0, first = 1;

	known[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT name, name %s ?1 FROM %s ORDER BY name",
	    glob ? "GLOB" : "=", table);
	for (i = 0; i < h->n && !found; i++) {
		if (h->f[i].why != NULL)
			continue;
		if (sqlite3_prepare_v2(h->f[i].db, sql, -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		hfile_begin(&h->f[i]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (sqlite3_column_int(st, 1))
				found = 1;
			if ((glob || first) && off < len - 1)
				off += (size_t)snprintf(known + off, len - off, "%s%s",
				    off ? ", " : "", (const char *)sqlite3_column_text(st, 0));
		}
		hfile_end(&h->f[i]);
		sqlite3_finalize(st);
		first = 0;
	}
	if (off >= len - 1 && len > 5)
		strcpy(known + len - 5, " ...");
	return found;
}

/* The newest (or oldest) sample over the good files. */
static int64_t
edge(struct history *h, const char *sql, int newest)
{
	int64_t best = -1, v;
	size_t i;

	for (i = 0; i < h->n; i++) {
		v = file_int(h, i, sql, h->host, INT64_MAX, -1);
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
	int64_t best = -1, v;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (h->f[i].why == NULL && strcmp(h->f[i].host, host) == 0 &&
		    (v = file_int(h, i, sql_newest_at, host, at, -1)) > best)
			best = v;
	return best;
}

int64_t
hist_common_gap(struct history *h)
{
	size_t i;
	int64_t v;

	for (i = 0; i < h->n; i++)
		if ((v = file_int(h, i, "SELECT d FROM (SELECT ts - lag(ts) OVER (ORDER BY ts)"
		    " AS d FROM (SELECT ts FROM sample WHERE (flags & " TT_SQL(SAMPLE_MISSED)
		    ") = 0 ORDER BY ts DESC LIMIT 50)) WHERE d > 0 GROUP BY d"
		    " ORDER BY count(*) DESC, d LIMIT 1", NULL, INT64_MAX, -1)) != -2)
			return v;
	return -1;
}

/* Whether file i holds a rollup of an hour in [from, to). */
static int
hourly_between(struct history *h, size_t i, int64_t from, int64_t to)
{
	struct hfile *f = &h->f[i];
	sqlite3_stmt *st;
	int rc;

	if (from >= to || f->why != NULL)
		return 0;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, "SELECT 1 FROM hourly WHERE ts >= ?1 AND ts < ?2"
	    " LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		hfile_fail(f);
		return 0;
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	rc = sqlite3_step(st);
	hfile_end(f);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		hfile_fail(f);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW;
}

int
hist_beyond_raw(struct history *h, int64_t from, int64_t *oldest_raw)
{
	int64_t oldest;
	size_t i;
	int beyond = 0;

	*oldest_raw = -1;
	for (i = 0; i < h->n; i++) {
		oldest = file_int(h, i, sql_oldest, NULL, INT64_MAX, -1);
		if (oldest == -2)
			continue;
		if (oldest < 0)
			oldest = INT64_MAX;
		else if (*oldest_raw < 0 || oldest < *oldest_raw)
			*oldest_raw = oldest;
		if (hourly_between(h, i, from - from % 3600, oldest - oldest % 3600))
			beyond = 1;
	}
	return beyond;
}

int
hist_load_latest(struct history *h, const char *group, struct dataset *out)
{
	char host[TT_HOST_MAX * 3 + 1];
	int64_t ts;
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (h->f[i].why != NULL ||
		    (h->host != NULL && sqlite3_strglob(h->host, h->f[i].host) != 0))
			continue;
		glob_quote(h->f[i].host, host, sizeof(host));
		if ((ts = file_int(h, i, sql_newest, host, INT64_MAX, -1)) >= 0 &&
		    load_one(h, i, ROWS_RAW, ts, ts, group, host, out) == -2)
			return -1;
	}
	dataset_dedup(out);
	return some_good(h);
}
