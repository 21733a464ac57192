/*
 * The breakdowns in the history (schema 4): per source, the keys of one kind
 * (cgroups or peers) of one group x state over a window, each with its
 * count at the newest sample, its peak and its growth. Values are checked
 * as query.c checks counts: a bad one refuses its file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

static const char sql_rows[] =
    "SELECT b.ts, k.key, k.direction, b.count, b.err, p.sockets, sb.port_range, 0"
    " FROM breakdown_count AS b JOIN grp AS g ON g.id = b.grp JOIN bkey AS k ON k.id = b.bkey"
    " LEFT JOIN peer_load AS p ON p.ts = b.ts AND p.host = b.host AND p.grp = b.grp"
    "  AND p.bkey = b.bkey"
    " LEFT JOIN sample_breakdown AS sb ON sb.ts = b.ts AND sb.host = b.host"
    " WHERE b.host = ?1 AND b.ts BETWEEN ?2 AND ?3 AND b.state = ?4 AND k.kind = ?5"
    "  AND g.name = ?6 AND (?7 = '' OR k.direction = ?7)"
    /* the hours before the oldest raw sample: their maxima, as points at the hour */
    " UNION ALL SELECT b.ts, k.key, k.direction, b.max, 0, NULL, NULL, 1"
    " FROM hourly_breakdown AS b JOIN grp AS g ON g.id = b.grp JOIN bkey AS k ON k.id = b.bkey"
    " WHERE b.host = ?1 AND b.ts BETWEEN ?2 - ?2 % 3600 AND ?8 AND b.ts <= ?3"
    "  AND b.state = ?4 AND k.kind = ?5 AND g.name = ?6 AND (?7 = '' OR k.direction = ?7)"
    " ORDER BY 2, 3, 1";

/*
 * The newest sample with breakdowns in the window (else the newest hour of
 * their rollups), and the oldest raw one kept at all.
 */
static const char sql_newest[] =
    "SELECT coalesce((SELECT max(ts) FROM sample_breakdown WHERE host = ?1 AND ts BETWEEN ?2"
    " AND ?3), (SELECT max(ts) FROM hourly_breakdown WHERE host = ?1 AND ts BETWEEN"
    " ?2 - ?2 % 3600 AND ?3)), (SELECT min(ts) FROM sample_breakdown WHERE host = ?1)";

/* Least squares over the samples that held the key, in counts per second. */
struct fit {
	double		 n, st, sc, stt, stc;
};

static double
fit_slope(const struct fit *f)
{
	double d = f->n * f->stt - f->st * f->st;

	return f->n < 2 || d <= 0 ? NAN : (f->n * f->stc - f->st * f->sc) / d;
}

struct acc {
	struct bkstat	*s;
	size_t		 n, cap;
	struct fit	 fit;
	int64_t		 t0;
};

static struct bkstat *
acc_new(struct acc *a, const struct hfile *f, const char *key, int dir, int64_t newest)
{
	struct bkstat *s;

	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;

		if ((s = realloc(a->s, cap * sizeof(*s))) == NULL)
			return NULL;
		a->s = s;
		a->cap = cap;
	}
	s = &a->s[a->n++];
	memset(s, 0, sizeof(*s));
	snprintf(s->host, sizeof(s->host), "%s", f->host);
	snprintf(s->key, sizeof(s->key), "%s", key);
	s->dir = dir;
	s->newest = newest;
	s->share_now = s->share_peak = NAN;
	memset(&a->fit, 0, sizeof(a->fit));
	return s;
}

static int
dir_of(const unsigned char *d)
{
	if (d == NULL)
		return -1;
	if (*d == '\0')
		return 0;
	if (strcmp((const char *)d, "in") == 0)
		return BKD_IN;
	if (strcmp((const char *)d, "out") == 0)
		return BKD_OUT;
	return -1;
}

/* Column c as a count (count_at), or NULL if nullable: then *v is -1. */
static int
count_col(sqlite3_stmt *st, int c, int nullable, int64_t *v)
{
	uint64_t u;

	*v = -1;
	if (sqlite3_column_type(st, c) == SQLITE_NULL)
		return nullable ? 0 : -1;
	if (count_at(st, c, &u) == -1)
		return -1;
	*v = (int64_t)u;
	return 0;
}

/* One row into the key it belongs to; -1 bad value, -2 out of memory. */
static int
take_row(struct acc *a, const struct hfile *f, sqlite3_stmt *st, int64_t newest)
{
	const unsigned char *key = sqlite3_column_text(st, 1);
	int dir = dir_of(sqlite3_column_text(st, 2));
	int64_t ts = sqlite3_column_int64(st, 0), count, err, sockets, range;
	struct bkstat *s = a->n > 0 ? &a->s[a->n - 1] : NULL;
	double t, share;

	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || ts < 0 ||
	    !name_ok(st, 1, BKD_TEXT_MAX, 0) || dir < 0 ||
	    count_col(st, 3, 0, &count) == -1 || count_col(st, 4, 0, &err) == -1 ||
	    err > count || count_col(st, 5, 1, &sockets) == -1 ||
	    count_col(st, 6, 1, &range) == -1 || range == 0 || range > 65536)
		return -1;
	/* A key's rows come together, per source: another source's same key is its own. */
	if (s == NULL || strcmp(s->key, (const char *)key) != 0 || s->dir != dir ||
	    strcmp(s->host, f->host) != 0) {
		if ((s = acc_new(a, f, (const char *)key, dir, newest)) == NULL)
			return -2;
		a->t0 = ts;
	}
	s->n++;
	if ((uint64_t)count >= s->peak && (s->peak_ts == 0 || (uint64_t)count > s->peak)) {
		s->peak = (uint64_t)count;
		s->peak_ts = ts;
	}
	if ((uint64_t)err > s->err)
		s->err = (uint64_t)err;
	share = sockets >= 0 && range > 0 ? (double)sockets / (double)range : NAN;
	if (!isnan(share) && (isnan(s->share_peak) || share > s->share_peak))
		s->share_peak = share;
	if (ts == newest) {
		s->now = (uint64_t)count;
		s->share_now = share;
	}
	t = (double)(ts - a->t0);
	a->fit.n++;
	a->fit.st += t;
	a->fit.sc += (double)count;
	a->fit.stt += t * t;
	a->fit.stc += t * (double)count;
	s->slope = fit_slope(&a->fit);
	return 0;
}

static int
one_file(struct history *h, size_t i, struct bkquery *q, struct acc *a)
{
	struct hfile *f = &h->f[i];
	sqlite3_stmt *st = NULL;
	int64_t newest = -1, oldest = INT64_MAX, hourly_to;
	int rc, hourly = 0;

	if (f->file->why != NULL || f->schema < SCHEMA_BREAKDOWN)
		return 0;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, sql_newest, -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, f->host_id);
	sqlite3_bind_int64(st, 2, q->from);
	sqlite3_bind_int64(st, 3, q->to);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
		newest = sqlite3_column_int64(st, 0);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 1) == SQLITE_INTEGER)
		oldest = sqlite3_column_int64(st, 1);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW) {
		hfile_end(f);
		return hfile_fail(f);
	}
	/* hours wholly before the oldest raw sample come from the rollups */
	if (oldest != INT64_MAX)
		oldest = oldest - oldest % 3600 - 3600;
	else
		oldest = q->to;	/* no raw sample left: the rollups alone */
	hourly_to = oldest < q->to ? oldest + 3599 : q->to;
	if (newest < 0) {
		hfile_end(f);
		return 0;	/* no breakdown in the window */
	}
	if (newest > q->newest)
		q->newest = newest;
	if (sqlite3_prepare_v2(f->db, sql_rows, -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, f->host_id);
	sqlite3_bind_int64(st, 2, q->from);
	sqlite3_bind_int64(st, 3, q->to);
	sqlite3_bind_int(st, 4, q->state);
	sqlite3_bind_text(st, 5, q->kind == BKD_CGROUP ? "cgroup" : "peer", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, q->group, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, q->dir == BKD_IN ? "in" : q->dir == BKD_OUT ? "out" : "", -1,
	    SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, oldest);
	a->t0 = 0;
	{
		size_t first = a->n;

		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			int r = take_row(a, f, st, newest);

			if (r == -2) {
				sqlite3_finalize(st);
				hfile_end(f);
				snprintf(h->err, sizeof(h->err), "out of memory");
				return -2;
			}
			if (r == -1) {
				long long ts = sqlite3_column_int64(st, 0);

				sqlite3_finalize(st);
				hfile_end(f);
				a->n = first;	/* nothing of a refused file */
				return hfile_refuse(f, "breakdown row at ts %lld: a value that is "
				    "not a time, a key of 1 to 255 printable bytes, a direction "
				    "(in, out) or a count", ts);
			}
			f->file->rows++;
			hourly |= sqlite3_column_int(st, 7);
		}
		sqlite3_finalize(st);
		hfile_end(f);
		if (rc != SQLITE_DONE) {
			a->n = first;
			return hfile_fail(f);
		}
	}
	if (hourly && hourly_to > q->hourly_to)
		q->hourly_to = hourly_to;
	return 0;
}

static int
by_now(const void *x, const void *y)
{
	const struct bkstat *a = x, *b = y;
	int c;

	if (a->now != b->now)
		return a->now > b->now ? -1 : 1;
	if (a->peak != b->peak)
		return a->peak > b->peak ? -1 : 1;
	if ((c = strcmp(a->host, b->host)) != 0)
		return c;
	return strcmp(a->key, b->key);
}

int
hist_breakdown(struct history *h, struct bkquery *q, struct bkstat **out, size_t *n)
{
	struct acc a = { 0 };
	size_t i;

	*out = NULL;
	*n = 0;
	q->newest = -1;
	q->hourly_to = -1;
	for (i = 0; i < h->n; i++)
		if (one_file(h, i, q, &a) == -2) {
			free(a.s);
			return -1;
		}
	if (hist_good(h) == 0) {
		free(a.s);
		snprintf(h->err, sizeof(h->err), "no database left");
		return -1;
	}
	if (a.n > 1)
		qsort(a.s, a.n, sizeof(*a.s), by_now);
	*out = a.s;
	*n = a.n;
	return 0;
}

/* Per sample: the group's largest outbound share (sockets toward one peer / range). */
static const char sql_share[] =
    "SELECT sb.ts, max(p.sockets), sb.port_range FROM sample_breakdown AS sb"
    " LEFT JOIN peer_load AS p ON p.ts = sb.ts AND p.host = sb.host"
    "  AND p.grp = (SELECT id FROM grp WHERE name = ?2)"
    " WHERE sb.host = ?1 AND sb.ts BETWEEN ?3 AND ?4 GROUP BY sb.ts ORDER BY sb.ts";

/* Per taken sample: the age of the group's oldest CLOSE_WAIT (none: 0). */
static const char sql_oldest[] =
    "SELECT s.ts, a.age, 1 FROM sample AS s"
    " LEFT JOIN close_wait_age AS a ON a.ts = s.ts AND a.host = s.host"
    "  AND a.grp = (SELECT id FROM grp WHERE name = ?2)"
    " WHERE s.host = ?1 AND s.ts BETWEEN ?3 AND ?4 AND (s.flags & 4) = 0 ORDER BY s.ts";

int
hist_bk_obs(struct history *h, const char *host, const char *group, int what,
    int64_t from, int64_t to, struct obs **out, size_t *n)
{
	struct hfile *f = hist_file_of(h, host);
	struct obs *o = NULL, *no;
	size_t cap = 0;
	sqlite3_stmt *st;
	int64_t ts, v, range;
	int rc;

	*out = NULL;
	*n = 0;
	if (f == NULL || f->schema < SCHEMA_BREAKDOWN)
		return 0;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, what == BKO_PORT_SHARE ? sql_share : sql_oldest, -1, &st,
	    NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, f->host_id);
	sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, from);
	sqlite3_bind_int64(st, 4, to);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ts = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || ts < 0 ||
		    count_col(st, 1, 1, &v) == -1 || count_col(st, 2, 0, &range) == -1 ||
		    range < 1 || range > 65536) {
			sqlite3_finalize(st);
			hfile_end(f);
			free(o);
			return hfile_refuse(f, "%s at ts %lld: a value that is not a time, a "
			    "count, an age or a port range of 1 to 65536",
			    what == BKO_PORT_SHARE ? "peer_load" : "close_wait_age", (long long)ts);
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 256;
			if ((no = realloc(o, cap * sizeof(*o))) == NULL) {
				sqlite3_finalize(st);
				hfile_end(f);
				free(o);
				snprintf(h->err, sizeof(h->err), "out of memory");
				return -2;
			}
			o = no;
		}
		o[*n].ts = ts;
		o[*n].v = v < 0 ? 0 : what == BKO_PORT_SHARE ? (double)v / (double)range :
		    (double)v;
		(*n)++;
		f->file->rows++;
	}
	sqlite3_finalize(st);
	hfile_end(f);
	if (rc != SQLITE_DONE) {
		free(o);
		*n = 0;
		return hfile_fail(f);
	}
	*out = o;
	return 0;
}

static const char sql_top_cgroup[] =
    "SELECT k.key, b.count FROM breakdown_count AS b JOIN bkey AS k ON k.id = b.bkey"
    " JOIN grp AS g ON g.id = b.grp WHERE b.host = ?1 AND g.name = ?2 AND b.state = ?3"
    " AND k.kind = 'cgroup' AND k.key != '(other)' AND b.ts = (SELECT max(ts)"
    " FROM sample_breakdown WHERE host = ?1 AND ts BETWEEN ?4 AND ?5)"
    " ORDER BY b.count DESC, k.key LIMIT 1";

static const char sql_top_peer[] =
    "SELECT k.key, p.sockets FROM peer_load AS p JOIN bkey AS k ON k.id = p.bkey"
    " JOIN grp AS g ON g.id = p.grp WHERE p.host = ?1 AND g.name = ?2 AND ?3 = ?3"
    " AND p.ts = (SELECT max(ts) FROM sample_breakdown WHERE host = ?1"
    " AND ts BETWEEN ?4 AND ?5) ORDER BY p.sockets DESC, k.key LIMIT 1";

int
hist_bk_top(struct history *h, const char *host, const char *group, int what, int state,
    int64_t from, int64_t to, char *key, size_t len, uint64_t *count)
{
	struct hfile *f = hist_file_of(h, host);
	sqlite3_stmt *st;
	const unsigned char *k;
	int64_t v;
	int rc, got = 0;

	if (f == NULL || f->schema < SCHEMA_BREAKDOWN)
		return 0;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, what == BKO_PORT_SHARE ? sql_top_peer : sql_top_cgroup,
	    -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, f->host_id);
	sqlite3_bind_text(st, 2, group, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 3, state);
	sqlite3_bind_int64(st, 4, from);
	sqlite3_bind_int64(st, 5, to);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = sqlite3_column_text(st, 0);
		if (!name_ok(st, 0, BKD_TEXT_MAX, 0) || count_col(st, 1, 0, &v) == -1) {
			sqlite3_finalize(st);
			hfile_end(f);
			return hfile_refuse(f, "a breakdown key that is not 1 to 255 printable "
			    "bytes, or its count not a count");
		}
		snprintf(key, len, "%s", (const char *)k);
		*count = (uint64_t)v;
		got = 1;
	}
	sqlite3_finalize(st);
	hfile_end(f);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return hfile_fail(f);
	return got;
}

static const char sql_owners[] =
    "SELECT o.ts, g.name, o.pid, o.comm, o.cgroup, o.count FROM owner AS o"
    " JOIN grp AS g ON g.id = o.grp WHERE o.host = ?1 AND o.ts BETWEEN ?2 AND ?3"
    " AND (?4 IS NULL OR g.name = ?4) ORDER BY g.name, o.pid, o.comm, o.ts";

/* A name (name_ok), or empty text: a process's name or cgroup may be unreadable. */
static int
text_col(sqlite3_stmt *st, int c, size_t max)
{
	if (sqlite3_column_type(st, c) == SQLITE_TEXT && sqlite3_column_bytes(st, c) == 0)
		return 0;
	return name_ok(st, c, max, 0) ? 0 : -1;
}

/* One file's owner rows into *out (grown); -1 refused, -2 out of memory. */
static int
owners_file(struct history *h, size_t fi, int64_t from, int64_t to, const char *group,
    struct ownstat **out, size_t *n, size_t *cap)
{
	struct hfile *f = &h->f[fi];
	struct ownstat *o = NULL, *no;
	sqlite3_stmt *st;
	int64_t ts, pid, count, newest = -1;
	size_t first = *n, i;
	int rc;

	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, sql_owners, -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, f->host_id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, to);
	if (group != NULL)
		sqlite3_bind_text(st, 4, group, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		ts = sqlite3_column_int64(st, 0);
		pid = sqlite3_column_int64(st, 2);
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || ts < 0 ||
		    !name_ok(st, 1, TT_NAME_MAX, 1) || text_col(st, 3, 64) == -1 ||
		    text_col(st, 4, BKD_TEXT_MAX) == -1 ||
		    sqlite3_column_type(st, 2) != SQLITE_INTEGER || pid < 1 || pid > INT32_MAX ||
		    count_col(st, 5, 0, &count) == -1) {
			sqlite3_finalize(st);
			hfile_end(f);
			*n = first;
			return hfile_refuse(f, "owner row at ts %lld: a value that is not a time, a "
			    "group, a pid, a name of printable bytes or a count", (long long)ts);
		}
		o = *n > first ? &(*out)[*n - 1] : NULL;
		if (o == NULL || o->pid != pid ||
		    strcmp(o->group, (const char *)sqlite3_column_text(st, 1)) != 0 ||
		    strcmp(o->comm, (const char *)sqlite3_column_text(st, 3)) != 0) {
			if (*n == *cap) {
				size_t c = *cap ? *cap * 2 : 16;

				if ((no = realloc(*out, c * sizeof(*no))) == NULL) {
					sqlite3_finalize(st);
					hfile_end(f);
					snprintf(h->err, sizeof(h->err), "out of memory");
					return -2;
				}
				*out = no;
				*cap = c;
			}
			o = &(*out)[(*n)++];
			memset(o, 0, sizeof(*o));
			snprintf(o->host, sizeof(o->host), "%s", f->host);
			snprintf(o->group, sizeof(o->group), "%s", sqlite3_column_text(st, 1));
			snprintf(o->comm, sizeof(o->comm), "%s", sqlite3_column_text(st, 3));
			o->pid = (int32_t)pid;
			o->first = ts;
		}
		snprintf(o->cgroup, sizeof(o->cgroup), "%s", sqlite3_column_text(st, 4));
		o->last = ts;
		o->now = (uint64_t)count;
		if ((uint64_t)count > o->peak)
			o->peak = (uint64_t)count;
		if (ts > newest)
			newest = ts;
		f->file->rows++;
	}
	sqlite3_finalize(st);
	hfile_end(f);
	if (rc != SQLITE_DONE) {
		*n = first;
		return hfile_fail(f);
	}
	/* named at the file's newest trigger: now; else they were gone by then */
	for (i = first; i < *n; i++) {
		(*out)[i].newest = newest;
		if ((*out)[i].last != newest)
			(*out)[i].now = 0;
	}
	return 0;
}

static int
by_owner(const void *x, const void *y)
{
	const struct ownstat *a = x, *b = y;
	int c;

	if (a->now != b->now)
		return a->now > b->now ? -1 : 1;
	if (a->peak != b->peak)
		return a->peak > b->peak ? -1 : 1;
	if ((c = strcmp(a->host, b->host)) != 0 || (c = strcmp(a->group, b->group)) != 0)
		return c;
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

int
hist_owners(struct history *h, int64_t from, int64_t to, const char *group,
    struct ownstat **out, size_t *n)
{
	size_t i, cap = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < h->n; i++) {
		struct hfile *f = &h->f[i];

		if (f->file->why != NULL || f->schema < SCHEMA_BREAKDOWN)
			continue;
		if (owners_file(h, i, from, to, group, out, n, &cap) == -2) {
			free(*out);
			*out = NULL;
			*n = 0;
			return -1;
		}
	}
	if (hist_good(h) == 0) {
		free(*out);
		*out = NULL;
		*n = 0;
		snprintf(h->err, sizeof(h->err), "no database left");
		return -1;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), by_owner);
	return 0;
}
