/*
 * The kernel's context in the history: each sample's counters and gauges
 * (into its source's `all` series: a network namespace has its own), the
 * limits as they changed, and the arithmetic on them that the commands and
 * rules share: a counter's rate between two samples, a gauge's share of its
 * limit. Values are checked as query.c checks counts: a bad one refuses its
 * file.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/*
 * ts, host id, interval, the kstats: the samples of a file that have the
 * context (?3: of that source); with last, of the last ones of source ?3
 * those that have it (newest first).
 */
static void
kernel_sql(char *buf, size_t len, int last)
{
	char cols[1024];

	kstat_sql(cols, sizeof(cols), ", ", "k.{c}", 0);
	if (last)	/* the newest samples, with it or not: no walk back through years */
		snprintf(buf, len, "SELECT * FROM (SELECT s.ts, s.host, k.interval AS iv, %s"
		    " FROM sample AS s LEFT JOIN sample_kernel AS k"
		    " ON k.ts = s.ts AND k.host = s.host WHERE s.ts BETWEEN ?1 AND ?2"
		    " AND s.host = ?3 ORDER BY s.ts DESC LIMIT ?4)"
		    " WHERE iv IS NOT NULL", cols);
	else
		snprintf(buf, len, "SELECT k.ts, k.host, k.interval, %s FROM sample_kernel AS k"
		    " WHERE k.ts BETWEEN ?1 AND ?2 AND (?3 IS NULL OR k.host = ?3)"
		    " ORDER BY k.ts", cols);
}

/* The current row as a kpoint; -1 if a value is not what the collector writes. */
static int
kpoint_at(sqlite3_stmt *st, struct kpoint *k)
{
	int i, t;

	memset(k, 0, sizeof(*k));
	k->ts = sqlite3_column_int64(st, 0);
	k->interval = sqlite3_column_int64(st, 2);
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || k->ts < 0 ||
	    sqlite3_column_type(st, 2) != SQLITE_INTEGER || k->interval < 1 ||
	    k->interval > 3600)
		return -1;
	for (i = 0; i < TT_NKSTATS; i++) {
		if ((t = sqlite3_column_type(st, 3 + i)) == SQLITE_NULL)
			continue;
		k->v[i] = sqlite3_column_int64(st, 3 + i);
		if (t != SQLITE_INTEGER || k->v[i] < 0)
			return -1;
		k->have |= 1u << i;
	}
	return 0;
}

/*
 * File i's rows (last > 0: the last ones of source `only`) into a dataset
 * of their own, each into its source's `all` series; merged by the caller.
 */
static int
kernel_one(struct history *h, size_t i, int64_t from, int64_t to, int last,
    const struct hfile *only, struct dataset *mine)
{
	struct hdbfile *x = &h->files[i];
	const struct hfile *src;
	struct series *s = NULL;
	struct kpoint k;
	sqlite3_stmt *st;
	char sql[2048];
	size_t j, guess = 0;
	int rc;

	if (x->schema < SCHEMA_CONTEXT || x->nmap == 0)
		return 0;	/* its samples have no context, or none is wanted */
	kernel_sql(sql, sizeof(sql), last > 0);
	hdb_begin(x);
	if (sqlite3_prepare_v2(x->db, sql, -1, &st, NULL) != SQLITE_OK) {
		hdb_end(x);
		return hdb_fail(x);
	}
	sqlite3_bind_int64(st, 1, from);
	sqlite3_bind_int64(st, 2, to);
	if (only != NULL)
		sqlite3_bind_int64(st, 3, only->host_id);
	sqlite3_bind_int(st, 4, last);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
		    (src = hist_source_id(h, x, sqlite3_column_int64(st, 1))) == NULL)
			continue;	/* a source not selected */
		if (kpoint_at(st, &k) == -1) {
			hdb_refuse(x, "the kernel's context of the sample at ts %lld: a value "
			    "that is not a time, an interval of 1 to 3600 s or a counter",
			    (long long)k.ts);
			break;
		}
		if ((s = series_for(mine, &guess, src->host, "all")) == NULL ||
		    series_push_kernel(s, &k) == -1) {
			snprintf(h->err, sizeof(h->err), "out of memory");
			rc = -2;
			break;
		}
	}
	hdb_end(x);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != -2 && x->why == NULL)
		hdb_fail(x);
	sqlite3_finalize(st);
	if (last > 0 && s != NULL)	/* newest first: turn it round */
		for (j = 0; j < s->nk / 2; j++) {
			k = s->k[j];
			s->k[j] = s->k[s->nk - 1 - j];
			s->k[s->nk - 1 - j] = k;
		}
	return rc == -2 ? -2 : x->why != NULL ? -1 : 0;
}

static int
kernel_merge(struct history *h, size_t i, int64_t from, int64_t to, int last,
    const struct hfile *only, struct dataset *out)
{
	struct dataset mine;
	int rc;

	memset(&mine, 0, sizeof(mine));
	rc = kernel_one(h, i, from, to, last, only, &mine);
	if (rc == 0 && dataset_take(out, &mine) == -1) {
		snprintf(h->err, sizeof(h->err), "out of memory");
		rc = -2;
	}
	dataset_free(&mine);
	return rc;
}

/* Every file's (last: every source's last ones), each merged only if read whole. */
static int
kernel_load(struct history *h, int64_t from, int64_t to, int last, struct dataset *out)
{
	size_t i;

	for (i = 0; i < (last ? h->n : h->nfiles); i++) {
		if (last ? h->f[i].file->why != NULL : h->files[i].why != NULL)
			continue;
		if (kernel_merge(h, last ? (size_t)(h->f[i].file - h->files) : i, from, to,
		    last, last ? &h->f[i] : NULL, out) == -2)
			return -1;
	}
	dataset_dedup(out);
	return hist_good(h) > 0 ? 0 : (snprintf(h->err, sizeof(h->err), "no database left"), -1);
}

int
hist_kernel(struct history *h, int64_t from, int64_t to, struct dataset *out)
{
	return kernel_load(h, from, to, 0, out);
}

int
hist_kernel_last(struct history *h, int64_t to, int last, struct dataset *out)
{
	return kernel_load(h, 0, to, last, out);
}

int
kcursor_open(struct history *h, size_t i, int64_t from, int64_t to, struct kcursor *c)
{
	char sql[2048];

	memset(c, 0, sizeof(*c));
	c->f = &h->f[i];
	if (c->f->schema < SCHEMA_CONTEXT || c->f->file->why != NULL)
		return 0;	/* no statement: no context */
	kernel_sql(sql, sizeof(sql), 0);
	hfile_begin(c->f);
	if (sqlite3_prepare_v2(c->f->db, sql, -1, &c->st, NULL) != SQLITE_OK) {
		hfile_end(c->f);
		return hfile_fail(c->f);
	}
	hfile_end(c->f);
	sqlite3_bind_int64(c->st, 1, from);
	sqlite3_bind_int64(c->st, 2, to);
	sqlite3_bind_int64(c->st, 3, c->f->host_id);
	return 0;
}

int
kcursor_at(struct kcursor *c, int64_t ts, const struct kpoint **out)
{
	int rc;

	*out = NULL;
	for (;;) {
		if (c->state == 1 && c->k.ts >= ts) {
			if (c->k.ts == ts)
				*out = &c->k;
			return 0;
		}
		if (c->state == 2 || c->st == NULL)
			return 0;
		if ((rc = sqlite3_step(c->st)) != SQLITE_ROW) {
			c->state = 2;
			return rc == SQLITE_DONE ? 0 : hfile_fail(c->f);
		}
		if (kpoint_at(c->st, &c->k) == -1)
			return hfile_refuse(c->f, "the kernel's context of the sample at ts %lld: "
			    "a value that is not a time, an interval of 1 to 3600 s or a counter",
			    (long long)c->k.ts);
		c->state = 1;
	}
}

void
kcursor_close(struct kcursor *c)
{
	sqlite3_finalize(c->st);
	c->st = NULL;
}

int
hist_limit_rows(struct history *h, size_t i, int64_t to, struct klimit_row **out, size_t *n)
{
	struct hfile *f = &h->f[i];
	struct klimit_row *r = NULL, *nr;
	size_t cap = 0;
	sqlite3_stmt *st;
	const char *name;
	int rc, k;

	*out = NULL;
	*n = 0;
	if (f->file->why != NULL)
		return -1;
	if (f->schema < SCHEMA_CONTEXT)
		return 0;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, "SELECT ts, name, value FROM klimit WHERE ts <= ?1"
	    " AND host = ?2 ORDER BY ts, name", -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, to);
	sqlite3_bind_int64(st, 2, f->host_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		name = (const char *)sqlite3_column_text(st, 1);
		for (k = 0; k < TT_NKLIMITS && name != NULL; k++)
			if (strcmp(name, klimit_name(k)) == 0)
				break;
		if (name == NULL || k == TT_NKLIMITS || sqlite3_column_type(st, 0) !=
		    SQLITE_INTEGER || sqlite3_column_int64(st, 0) < 0 ||
		    sqlite3_column_type(st, 2) != SQLITE_INTEGER || sqlite3_column_int64(st, 2) < 0) {
			hfile_refuse(f, "a limit that is not one tcptally keeps, or not a number");
			break;
		}
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			if ((nr = reallocarray(r, cap, sizeof(*r))) == NULL) {
				rc = -2;
				break;
			}
			r = nr;
		}
		r[*n].ts = sqlite3_column_int64(st, 0);
		r[*n].limit = k;
		r[(*n)++].value = sqlite3_column_int64(st, 2);
	}
	hfile_end(f);
	if (rc != SQLITE_DONE && rc != -2 && f->file->why == NULL)
		hfile_fail(f);
	sqlite3_finalize(st);
	if (rc == -2)
		snprintf(h->err, sizeof(h->err), "out of memory");
	if (rc == -2 || f->file->why != NULL) {
		free(r);
		*n = 0;
		return -1;
	}
	*out = r;
	return 0;
}

void
klimits_advance(const struct klimit_row *r, size_t n, size_t *pos, int64_t ts,
    struct klimits *inforce, struct klimits *changed)
{
	struct klimits was = *inforce;
	int k;

	for (; *pos < n && r[*pos].ts <= ts; (*pos)++) {
		inforce->v[r[*pos].limit] = r[*pos].value;
		inforce->have |= 1u << r[*pos].limit;
	}
	memset(changed, 0, sizeof(*changed));
	for (k = 0; k < TT_NKLIMITS; k++)
		if (((inforce->have >> k) & 1) && (!((was.have >> k) & 1) ||
		    was.v[k] != inforce->v[k])) {
			changed->v[k] = inforce->v[k];
			changed->have |= 1u << k;
		}
}

int
hist_limits(struct history *h, const char *host, int64_t at, struct klimits *l)
{
	struct hfile *f = hist_file_of(h, host);
	sqlite3_stmt *st;
	int rc, i;

	memset(l, 0, sizeof(*l));
	if (f == NULL || f->schema < SCHEMA_CONTEXT)
		return 0;
	hfile_begin(f);
	if (sqlite3_prepare_v2(f->db, "SELECT l.name, l.value FROM klimit AS l WHERE l.host = ?2"
	    " AND l.ts = (SELECT max(ts) FROM klimit AS n WHERE n.host = l.host"
	    " AND n.name = l.name AND n.ts <= ?1)", -1, &st, NULL) != SQLITE_OK) {
		hfile_end(f);
		return hfile_fail(f);
	}
	sqlite3_bind_int64(st, 1, at);
	sqlite3_bind_int64(st, 2, f->host_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (i = 0; i < TT_NKLIMITS; i++)
			if (sqlite3_column_type(st, 0) == SQLITE_TEXT &&
			    strcmp((const char *)sqlite3_column_text(st, 0), klimit_name(i)) == 0)
				break;
		if (i == TT_NKLIMITS || sqlite3_column_type(st, 1) != SQLITE_INTEGER ||
		    sqlite3_column_int64(st, 1) < 0) {
			hfile_refuse(f, "a limit that is not one tcptally keeps, or not a number");
			break;
		}
		l->v[i] = sqlite3_column_int64(st, 1);
		l->have |= 1u << i;
	}
	hfile_end(f);
	if (rc != SQLITE_DONE && f->file->why == NULL)
		hfile_fail(f);
	sqlite3_finalize(st);
	return f->file->why != NULL ? -1 : 0;
}

double
kernel_rate(const struct kpoint *k, size_t i, int stat)
{
	const struct kpoint *a, *b;

	if (i == 0)
		return NAN;
	a = &k[i - 1];
	b = &k[i];
	if (!((a->have >> stat) & 1) || !((b->have >> stat) & 1) || b->ts <= a->ts ||
	    b->ts - a->ts > 3 * b->interval || b->v[stat] < a->v[stat])
		return NAN;
	return (double)(b->v[stat] - a->v[stat]) / (double)(b->ts - a->ts);
}

double
kernel_rate_over(const struct kpoint *k, size_t n, int stat, int64_t *secs)
{
	int64_t span = 0;
	double r, total = 0;	/* a hostile file's deltas could pass 2^63 */
	size_t i;

	for (i = 1; i < n; i++)
		if (!isnan(r = kernel_rate(k, i, stat))) {
			total += (double)(k[i].v[stat] - k[i - 1].v[stat]);
			span += k[i].ts - k[i - 1].ts;
		}
	if (secs != NULL)
		*secs = span;
	return span > 0 ? total / (double)span : NAN;
}

double
kernel_used(const struct kpoint *k, int used, const struct klimits *l)
{
	int gauge = used == USED_TW ? KS_tcp_tw : KS_tcp_orphan;
	int limit = used == USED_TW ? KL_tcp_max_tw_buckets : KL_tcp_max_orphans;

	if (!((k->have >> gauge) & 1) || !((l->have >> limit) & 1) || l->v[limit] <= 0)
		return NAN;
	return (double)k->v[gauge] / (double)l->v[limit];
}

/* The gauge `stat` at k[at] and over k[0..n), against limit. */
static int
gauge_line(const struct kpoint *k, size_t n, size_t at, int stat, int limit,
    const struct klimits *l, struct kline *o)
{
	double sum = 0, v;
	size_t i, m = 0;

	memset(o, 0, sizeof(*o));
	o->stat = stat;
	o->now = o->avg = o->peak = NAN;
	o->peak_ts = -1;
	for (i = 0; i < n; i++) {
		if (!((k[i].have >> stat) & 1))
			continue;
		v = (double)k[i].v[stat];
		sum += v;
		m++;
		if (o->peak_ts == -1 || v > o->peak) {
			o->peak = v;
			o->peak_ts = k[i].ts;
		}
		if (i == at)
			o->now = v;
	}
	if (m == 0)
		return 0;
	o->avg = sum / (double)m;
	o->limit = limit;
	o->limit_v = (l->have >> limit) & 1 ? (double)l->v[limit] : NAN;
	v = at < n ? o->now : o->peak;
	o->used = o->limit_v > 0 ? v / o->limit_v : NAN;
	return 1;
}

/* A counter's rate into k[at] and over k[0..n); 0 if it never moved there. */
static int
rate_line(const struct kpoint *k, size_t n, size_t at, int stat, struct kline *o)
{
	double v;
	size_t i;

	memset(o, 0, sizeof(*o));
	o->stat = stat;
	o->limit = -1;
	o->limit_v = o->used = NAN;
	o->peak = NAN;
	o->peak_ts = -1;
	for (i = 1; i < n; i++)
		if (!isnan(v = kernel_rate(k, i, stat)) && (o->peak_ts == -1 || v > o->peak)) {
			o->peak = v;
			o->peak_ts = k[i].ts;
		}
	o->now = at < n ? kernel_rate(k, at, stat) : NAN;
	o->avg = kernel_rate_over(k, n, stat, NULL);
	return o->peak > 0;
}

size_t
kernel_lines(const struct kpoint *k, size_t n, size_t at, const struct klimits *l,
    struct kline *out)
{
	size_t m = 0;
	int i;

	m += (size_t)gauge_line(k, n, at, KS_tcp_orphan, KL_tcp_max_orphans, l, &out[m]);
	m += (size_t)gauge_line(k, n, at, KS_tcp_tw, KL_tcp_max_tw_buckets, l, &out[m]);
	for (i = 0; i < TT_NKSTATS; i++)
		if (kstat_kind(i) == KS_COUNTER)
			m += (size_t)rate_line(k, n, at, i, &out[m]);
	return m;
}
