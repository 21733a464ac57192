/* Reading the history: read-only, short statements, over one or many databases. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/db.h"
#include "report.h"

static const char sql_load[] =
    "SELECT c.ts, h.name, g.name, c.established, c.syn_sent, c.syn_recv, c.fin_wait1,"
    " c.fin_wait2, c.time_wait, c.close, c.close_wait, c.last_ack, c.listen, c.closing"
    " FROM counts AS c JOIN host AS h ON h.id = c.host JOIN grp AS g ON g.id = c.grp"
    " WHERE c.ts BETWEEN ?1 AND ?2 AND (?3 IS NULL OR g.name = ?3)"
    " AND (?4 IS NULL OR h.name GLOB ?4) ORDER BY c.ts";

/* Hourly rollups, like sql_load: 11 x (min, max, sum) after ts, host, group, samples. */
static const char sql_load_hourly[] =
    "SELECT r.ts, h.name, g.name, r.samples, "
    "r.established_min, r.established_max, r.established_sum"
    ", r.syn_sent_min, r.syn_sent_max, r.syn_sent_sum"
    ", r.syn_recv_min, r.syn_recv_max, r.syn_recv_sum"
    ", r.fin_wait1_min, r.fin_wait1_max, r.fin_wait1_sum"
    ", r.fin_wait2_min, r.fin_wait2_max, r.fin_wait2_sum"
    ", r.time_wait_min, r.time_wait_max, r.time_wait_sum"
    ", r.close_min, r.close_max, r.close_sum"
    ", r.close_wait_min, r.close_wait_max, r.close_wait_sum"
    ", r.last_ack_min, r.last_ack_max, r.last_ack_sum"
    ", r.listen_min, r.listen_max, r.listen_sum"
    ", r.closing_min, r.closing_max, r.closing_sum"
    " FROM hourly AS r JOIN host AS h ON h.id = r.host JOIN grp AS g ON g.id = r.grp"
    " WHERE r.ts BETWEEN ?1 AND ?2 AND (?3 IS NULL OR g.name = ?3)"
    " AND (?4 IS NULL OR h.name GLOB ?4) ORDER BY r.ts";

int
report_open(struct report *r)
{
	char err[1024];
	size_t i;

	for (i = 0; i < r->ndb; i++) {
		if (access(r->dbpath[i], F_OK) == -1 && !r->db_from_config)
			return usage_err(r, "%s: no database there (given with -d)",
			    r->dbpath[i]);
		if (access(r->dbpath[i], F_OK) == -1 && r->config_path != NULL)
			return usage_err(r, "%s: no database there (`database:` in %s, "
			    "relative to the working directory); has tcptally-collector run?",
			    r->dbpath[i], r->config_path);
		if (access(r->dbpath[i], F_OK) == -1)
			return usage_err(r, "%s: no database there; no config file was found "
			    "(-c, $TCPTALLY_CONFIG, /etc/tcptally/tcptally.yaml), so it looked "
			    "for tcptally.db in the working directory; pass -d DB or -c FILE",
			    r->dbpath[i]);
		if ((r->db[i] = db_open_ro(r->dbpath[i], err, sizeof(err))) == NULL)
			return runtime_err(r, "%s", err);
	}
	return 0;
}

void
report_close(struct report *r)
{
	size_t i;

	for (i = 0; i < r->ndb; i++)
		sqlite3_close(r->db[i]);
}

/* Points and hours both start with their int64_t ts. */
_Static_assert(offsetof(struct point, ts) == 0 && offsetof(struct hour, ts) == 0,
    "ts leads struct point and struct hour");

static int64_t
ts_of(const void *el)
{
	int64_t ts;

	memcpy(&ts, el, sizeof(ts));
	return ts;
}

static int
cmp_ts(const void *a, const void *b)
{
	int64_t x = ts_of(a), y = ts_of(b);

	return (x > y) - (x < y);
}

/*
 * Rows arrive in ts order per database; several databases may interleave, and
 * may hold the same host's samples twice (copies of one database): sort n
 * elements of `size` bytes by ts, keep one per ts, and return how many are left.
 */
static size_t
sort_unique(void *base, size_t n, size_t size)
{
	char *e = base;
	size_t k, out;

	for (k = 1; k < n; k++)
		if (ts_of(e + k * size) < ts_of(e + (k - 1) * size)) {
			qsort(base, n, size, cmp_ts);
			break;
		}
	for (k = 1, out = 1; k < n; k++)
		if (ts_of(e + k * size) != ts_of(e + (out - 1) * size))
			memmove(e + out++ * size, e + k * size, size);
	return n > 0 ? out : 0;
}

/* Every series' points and hours sorted by ts, one per ts. */
static void
sort_series(struct dataset *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		d->s[i].n = sort_unique(d->s[i].p, d->s[i].n, sizeof(struct point));
		d->s[i].nh = sort_unique(d->s[i].h, d->s[i].nh, sizeof(struct hour));
	}
}

/*
 * Prepare one of the range queries and bind ?1 from, ?2 to, ?3 group and
 * ?4 host (NULL: any). 0, or the exit code after the message is printed.
 */
int
report_prepare_range(struct report *r, sqlite3 *db, const char *sql, int64_t from,
    int64_t to, const char *group, const char *host, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return runtime_err(r, "%s: %s", sqlite3_db_filename(db, "main"),
		    sqlite3_errmsg(db));
	sqlite3_bind_int64(*st, 1, from);
	sqlite3_bind_int64(*st, 2, to);
	if (group != NULL)
		sqlite3_bind_text(*st, 3, group, -1, SQLITE_STATIC);
	if (host != NULL)
		sqlite3_bind_text(*st, 4, host, -1, SQLITE_STATIC);
	return 0;
}

/* A row of sql_load (a sample) or of sql_load_hourly (an hour), into s. */
static int
push_row(sqlite3_stmt *st, int hourly, struct series *s)
{
	struct point pt;
	struct hour hr;
	int k;

	if (!hourly) {
		pt.ts = sqlite3_column_int64(st, 0);
		pt.count[0] = 0;
		for (k = 1; k <= TT_NSTATES; k++)
			pt.count[k] = (uint32_t)sqlite3_column_int64(st, 2 + k);
		return series_push(s, &pt);
	}
	memset(&hr, 0, sizeof(hr));
	hr.ts = sqlite3_column_int64(st, 0);
	hr.n = (uint32_t)sqlite3_column_int64(st, 3);
	for (k = 1; k <= TT_NSTATES; k++) {
		hr.min[k] = (uint32_t)sqlite3_column_int64(st, 1 + 3 * k);
		hr.max[k] = (uint32_t)sqlite3_column_int64(st, 2 + 3 * k);
		hr.sum[k] = (uint64_t)sqlite3_column_int64(st, 3 + 3 * k);
	}
	return series_push_hour(s, &hr);
}

/* The samples (hourly: the rollups) of one database, unsorted, into out. */
static int
load_one(struct report *r, sqlite3 *db, int hourly, int64_t from, int64_t to,
    const char *group, const char *host, struct dataset *out)
{
	sqlite3_stmt *st;
	struct series *last = NULL;
	const char *h, *g;
	int rc;

	if ((rc = report_prepare_range(r, db, hourly ? sql_load_hourly : sql_load, from, to,
	    group, host, &st)) != 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		h = (const char *)sqlite3_column_text(st, 1);
		g = (const char *)sqlite3_column_text(st, 2);
		if (last == NULL || strcmp(last->host, h) != 0 || strcmp(last->group, g) != 0)
			if ((last = dataset_series(out, h, g)) == NULL)
				break;
		if (push_row(st, hourly, last) == -1)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return runtime_err(r, "%s: %s", sqlite3_db_filename(db, "main"),
		    rc == SQLITE_ROW ? "out of memory" : sqlite3_errmsg(db));
	return 0;
}

/* 0, or the exit code after the message is printed. */
int
report_load(struct report *r, int64_t from, int64_t to, const char *group, struct dataset *out)
{
	size_t i;
	int rc;

	for (i = 0; i < r->ndb; i++)
		if ((rc = load_one(r, r->db[i], 0, from, to, group, r->host, out)) != 0)
			return rc;
	sort_series(out);
	return 0;
}

static int64_t
query_int(sqlite3 *db, const char *sql, const char *host)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (host != NULL)
		sqlite3_bind_text(st, 1, host, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
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

/*
 * Whether name matches a row of table (host or grp) in some database: as a
 * GLOB pattern (hosts, over every database) or exactly (groups, listed from
 * the first database). Else known gets the names there, comma separated,
 * ending " ..." when cut.
 */
static int
find_name(struct report *r, const char *table, const char *name, int glob, char *known,
    size_t len)
{
	sqlite3_stmt *st;
	char sql[96];
	size_t i, off = 0;
	int found = 0;

	known[0] = '\0';
	snprintf(sql, sizeof(sql), "SELECT name, name %s ?1 FROM %s ORDER BY name",
	    glob ? "GLOB" : "=", table);
	for (i = 0; i < r->ndb && !found; i++) {
		if (sqlite3_prepare_v2(r->db[i], sql, -1, &st, NULL) != SQLITE_OK)
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

/*
 * --host is a pattern (SQLite GLOB: *, ?, [...], case-sensitive): 0 if it
 * matches a host in some database, else the exit code after the known
 * hosts are printed.
 */
int
report_check_host(struct report *r)
{
	char known[1024];

	if (r->host == NULL || find_name(r, "host", r->host, 1, known, sizeof(known)))
		return 0;
	return usage_err(r, "--host '%s' matches no host; %s: %s", r->host,
	    r->ndb > 1 ? "the databases have" : "the database has", known[0] ? known : "none yet");
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

/*
 * The newest taken sample (of one host): a walk back from the end of the
 * sample table's key, so the cost does not grow with the history.
 */
static const char sql_newest[] =
    "SELECT ts FROM sample WHERE (flags & 4) = 0"
    " AND (?1 IS NULL OR host IN (SELECT id FROM host WHERE name GLOB ?1))"
    " ORDER BY ts DESC LIMIT 1";

int64_t
report_latest(struct report *r)
{
	int64_t best = -1, v;
	size_t i;

	for (i = 0; i < r->ndb; i++) {
		v = query_int(r->db[i], sql_newest, r->host);
		if (v > best)
			best = v;
	}
	return best;
}

int
report_check_group(struct report *r, const char *group)
{
	char known[1024];

	if (find_name(r, "grp", group, 0, known, sizeof(known)))
		return 0;
	usage_err(r, "unknown group '%s'; the database has: %s", group,
	    known[0] ? known : "no groups yet");
	return -1;
}

int64_t
report_interval(struct report *r)
{
	int64_t v;

	if (r->config_path != NULL)
		return r->cfg->interval;
	/* The most common gap between the newest samples of the first database. */
	v = query_int(r->db[0], "SELECT d FROM (SELECT ts - lag(ts) OVER (ORDER BY ts) AS d"
	    " FROM (SELECT ts FROM sample WHERE (flags & 4) = 0 ORDER BY ts DESC LIMIT 50))"
	    " WHERE d > 0 GROUP BY d ORDER BY count(*) DESC, d LIMIT 1", NULL);
	return v > 0 ? v : r->cfg->interval;
}

/* The rollups of the hours that start in [from, to]. */
int
report_load_hourly(struct report *r, int64_t from, int64_t to, const char *group,
    struct dataset *out)
{
	size_t i;
	int rc;

	for (i = 0; i < r->ndb; i++)
		if ((rc = load_one(r, r->db[i], 1, from, to, group, r->host, out)) != 0)
			return rc;
	sort_series(out);
	return 0;
}

/*
 * Whether the window from `from` on reaches hours whose raw samples are gone
 * (retention, max_size) but whose rollups are kept: some database holds a
 * rollup from the hour of `from` on, older than its oldest raw sample.
 */
int
report_beyond_raw(struct report *r, int64_t from, int64_t *oldest_raw)
{
	int64_t oldest;
	size_t i;
	int beyond = 0;

	*oldest_raw = -1;
	for (i = 0; i < r->ndb; i++) {
		oldest = query_int(r->db[i], "SELECT ts FROM sample WHERE (flags & 4) = 0"
		    " ORDER BY ts LIMIT 1", NULL);
		if (oldest < 0)
			oldest = INT64_MAX;
		else if (*oldest_raw < 0 || oldest < *oldest_raw)
			*oldest_raw = oldest;
		if (hourly_between(r->db[i], from - from % 3600, oldest - oldest % 3600))
			beyond = 1;
	}
	return beyond;
}

/* The newest sample of every host, each at its own time. */
int
report_load_latest(struct report *r, const char *group, struct dataset *out)
{
	sqlite3_stmt *st;
	size_t i;
	int rc = 0;

	for (i = 0; i < r->ndb && rc == 0; i++) {
		if (sqlite3_prepare_v2(r->db[i], "SELECT name FROM host"
		    " WHERE ?1 IS NULL OR name GLOB ?1 ORDER BY name", -1, &st, NULL) != SQLITE_OK)
			return runtime_err(r, "%s: %s", r->dbpath[i], sqlite3_errmsg(r->db[i]));
		if (r->host != NULL)
			sqlite3_bind_text(st, 1, r->host, -1, SQLITE_STATIC);
		while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
			char h[1024];
			int64_t ts;

			glob_quote((const char *)sqlite3_column_text(st, 0), h, sizeof(h));
			if ((ts = query_int(r->db[i], sql_newest, h)) >= 0)
				rc = load_one(r, r->db[i], 0, ts, ts, group, h, out);
		}
		sqlite3_finalize(st);
	}
	sort_series(out);
	return rc;
}

/* By host, then its `all` group, then the other groups by name. */
static int
cmp_series(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int c;

	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	if ((c = (strcmp(y->group, "all") == 0) - (strcmp(x->group, "all") == 0)) != 0)
		return c;
	return strcmp(x->group, y->group);
}

const struct series *
find_series(const struct dataset *d, const struct series *like)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->s[i].host, like->host) == 0 &&
		    strcmp(d->s[i].group, like->group) == 0)
			return &d->s[i];
	return NULL;
}

/* Each host's samples (its series with the most points), summed over hosts. */
size_t
count_samples(const struct dataset *d, int *hosts)
{
	size_t i, best = 0, total = 0;

	*hosts = 0;
	for (i = 0; i < d->n; i++) {
		if (i == 0 || strcmp(d->s[i].host, d->s[i - 1].host) != 0) {
			total += best;
			best = 0;
			(*hosts)++;
		}
		if (series_samples(&d->s[i]) > best)
			best = series_samples(&d->s[i]);
	}
	return total + best;
}

void
dataset_sort(struct dataset *d)
{
	if (d->n > 1)	/* qsort of 0 elements may be handed a NULL base */
		qsort(d->s, d->n, sizeof(d->s[0]), cmp_series);
}
