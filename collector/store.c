/* Writing samples: prepared statements kept for the process's life, one transaction each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/db.h"
#include "collector.h"

static const char sql_limit[] =
    "INSERT OR REPLACE INTO klimit (ts, host, name, value) VALUES (?1, ?2, ?3, ?4)";

int
store_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) ==
	    SQLITE_OK ? 0 : -1;
}

static int
run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc;
}

/*
 * Keep the error, then roll back unless SQLite has done so already. Keys
 * the transaction added to bkey are gone with it: the cache of their ids
 * goes too, or a later sample would point at rows that are not there.
 */
static void
abort_txn(struct store *s)
{
	snprintf(s->txn_err, sizeof(s->txn_err), "%s", sqlite3_errmsg(s->db));
	if (!sqlite3_get_autocommit(s->db))
		run(s->rollback);
	store_bk_forget(s);
}

/*
 * One counts row: ts, host, grp, then the 11 states in their columns. The
 * trigger counts_to_hourly (schema/0002_hourly.sql) adds each row to its
 * hour's rollup in the same transaction.
 */
static int
prepare_counts(struct store *s)
{
	char cols[256], vals[64], sql[512];

	state_sql(cols, sizeof(cols), ", ", "{c}", 0);
	state_sql(vals, sizeof(vals), ", ", "?", 0);
	snprintf(sql, sizeof(sql), "INSERT INTO counts (ts, host, grp, %s, listeners, queued,"
	    " backlog, max_fill, full) VALUES (?, ?, ?, %s, ?, ?, ?, ?, ?)", cols, vals);
	return store_prepare(s, sql, &s->ins_counts);
}

/* The sample, and its kernel context: ts, host, interval, then the kstats. */
static int
prepare_sample(struct store *s)
{
	char cols[512], vals[128], sql[1024];

	if (store_prepare(s, "INSERT INTO sample (ts, host, flags, duration_us, sockets)"
	    " VALUES (?, ?, ?, ?, ?)", &s->ins_sample) == -1)
		return -1;
	kstat_sql(cols, sizeof(cols), ", ", "{c}", 0);
	kstat_sql(vals, sizeof(vals), ", ", "?", 0);
	snprintf(sql, sizeof(sql), "INSERT INTO sample_kernel (ts, host, interval, %s)"
	    " VALUES (?, ?, ?, %s)", cols, vals);
	return store_prepare(s, sql, &s->ins_kernel);
}

/* The newest stored value of each limit of host row id: only changes are stored. */
static int
load_limits(struct store *s, int64_t id, struct klimits *l)
{
	sqlite3_stmt *st;
	int i;

	if (store_prepare(s, "SELECT value FROM klimit WHERE host = ?1 AND name = ?2"
	    " ORDER BY ts DESC LIMIT 1", &st) == -1)
		return -1;
	memset(l, 0, sizeof(*l));
	for (i = 0; i < TT_NKLIMITS; i++) {
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_text(st, 2, klimit_name(i), -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW) {
			l->v[i] = sqlite3_column_int64(st, 0);
			l->have |= 1u << i;
		}
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return 0;
}

/* One file holds one host: the database's, if it has one, must be ours. */
static int
same_host(struct store *s, const char *path, const char *host, char *err, size_t errlen)
{
	char held[TT_HOST_MAX];
	int n;

	if ((n = db_hosts(s->db, held, sizeof(held))) == -1) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		return -1;
	}
	if (n > 1)
		snprintf(err, errlen, "%s holds %d hosts (imports of an older tcptally kept "
		    "any host name); one file holds one host: split it (tcptally-report(1), "
		    "FLEETS), or point `database:` at a new file", path, n);
	else if (n == 1 && strcmp(held, host) != 0)
		snprintf(err, errlen, "%s holds host '%s', and this collector is '%s' (`host:` "
		    "in the config, else the hostname); one file holds one host: set "
		    "`host: %s`, or point `database:` at a new file", path, held, host, held);
	else
		return 0;
	return -1;
}

int
store_open(struct store *s, const char *path, const char *host, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	if ((s->db = db_open_rw(path, err, errlen)) == NULL)
		return -1;
	if (same_host(s, path, host, err, errlen) == -1) {
		store_close(s);
		return -1;
	}
	if ((s->path = strdup(path)) == NULL ||
	    store_prepare(s, "BEGIN IMMEDIATE", &s->begin) == -1 ||
	    store_prepare(s, "COMMIT", &s->commit) == -1 ||
	    store_prepare(s, "ROLLBACK", &s->rollback) == -1 ||
	    prepare_sample(s) == -1 || prepare_counts(s) == -1 ||
	    store_prepare(s, sql_limit, &s->ins_limit) == -1 || store_bk_prepare(s) == -1 ||
	    (s->host = strdup(host)) == NULL ||
	    (s->src = calloc(1, sizeof(*s->src))) == NULL)
		goto fail;
	s->nsrc = 1;	/* the collector's own namespace */
	if ((s->src[0].netns = strdup("host")) == NULL ||
	    (s->host_id = s->src[0].id = db_name_id(s->db, "host", host)) == -1 ||
	    load_limits(s, s->host_id, &s->src[0].limits) == -1)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
	store_close(s);
	return -1;
}

int
store_source(struct store *s, const char *netns)
{
	struct store_src *ns;
	size_t i;

	for (i = 0; i < s->nsrc && strcmp(s->src[i].netns, netns) != 0; i++)
		;
	if (i == s->nsrc) {	/* new: its row, and the limits it last stored */
		if ((ns = reallocarray(s->src, s->nsrc + 1, sizeof(*ns))) == NULL)
			return -1;
		s->src = ns;
		memset(&ns[i], 0, sizeof(ns[i]));
		if ((ns[i].netns = strdup(netns)) == NULL ||
		    (ns[i].id = db_host_id(s->db, s->host, netns)) == -1 ||
		    load_limits(s, ns[i].id, &ns[i].limits) == -1) {
			free(ns[i].netns);
			return -1;
		}
		s->nsrc++;
	}
	s->cur = i;
	s->host_id = s->src[i].id;
	return 0;
}

int
store_set_groups(struct store *s, const struct config *c)
{
	int64_t *ids;
	size_t i;

	if ((ids = calloc(c->ngroups + 1, sizeof(*ids))) == NULL)
		return -1;
	for (i = 0; i <= c->ngroups; i++) {
		ids[i] = db_name_id(s->db, "grp", i == 0 ? "all" : c->groups[i - 1].name);
		if (ids[i] == -1) {
			free(ids);
			return -1;
		}
	}
	free(s->grp_ids);
	s->grp_ids = ids;
	s->ngroups = c->ngroups + 1;
	return 0;
}

static int
insert_sample(struct store *s, int64_t ts, unsigned flags, int64_t duration_us,
    int64_t sockets, const struct kcontext *kc)
{
	sqlite3_stmt *st = s->ins_sample;
	int i, rc;

	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_int64(st, 2, s->host_id);
	sqlite3_bind_int(st, 3, (int)flags);
	if (flags & SAMPLE_MISSED) {
		sqlite3_bind_null(st, 4);
		sqlite3_bind_null(st, 5);
	} else {
		sqlite3_bind_int64(st, 4, duration_us);
		sqlite3_bind_int64(st, 5, sockets);
	}
	if ((rc = run(st)) != SQLITE_DONE || kc == NULL || (flags & SAMPLE_MISSED))
		return rc;
	/* its own row: a sample without it costs nothing for it */
	st = s->ins_kernel;
	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_int64(st, 2, s->host_id);
	sqlite3_bind_int64(st, 3, kc->interval);
	for (i = 0; i < TT_NKSTATS; i++)
		if ((kc->k.have >> i) & 1)
			sqlite3_bind_int64(st, 4 + i, kc->k.v[i]);
		else
			sqlite3_bind_null(st, 4 + i);
	return run(st);
}

/* The limits that changed since the newest stored (all of them at first). */
static int
insert_limits(struct store *s, int64_t ts, const struct klimits *l, struct klimits *now)
{
	sqlite3_stmt *st = s->ins_limit;
	int i;

	*now = s->src[s->cur].limits;
	for (i = 0; i < TT_NKLIMITS; i++) {
		if (!((l->have >> i) & 1) ||
		    ((now->have >> i) & 1 && now->v[i] == l->v[i]))
			continue;
		sqlite3_bind_int64(st, 1, ts);
		sqlite3_bind_int64(st, 2, s->host_id);
		sqlite3_bind_text(st, 3, klimit_name(i), -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, l->v[i]);
		if (run(st) != SQLITE_DONE)
			return -1;
		now->v[i] = l->v[i];
		now->have |= 1u << i;
	}
	return 0;
}

/* One row per group; each also lands in its hourly rollup (trigger counts_to_hourly, schema/0002). */
static int
insert_counts(struct store *s, int64_t ts, const struct tally *t)
{
	sqlite3_stmt *st = s->ins_counts;
	size_t g;
	int i;

	for (g = 0; g < t->ngroups && g < s->ngroups; g++) {
		sqlite3_bind_int64(st, 1, ts);
		sqlite3_bind_int64(st, 2, s->host_id);
		sqlite3_bind_int64(st, 3, s->grp_ids[g]);
		for (i = 1; i <= TT_NSTATES; i++)
			sqlite3_bind_int64(st, 3 + i, (int64_t)t->count[g][i]);
		sqlite3_bind_int64(st, 4 + TT_NSTATES, (int64_t)t->listen[g].listeners);
		sqlite3_bind_int64(st, 5 + TT_NSTATES, (int64_t)t->listen[g].queued);
		sqlite3_bind_int64(st, 6 + TT_NSTATES, (int64_t)t->listen[g].backlog);
		sqlite3_bind_double(st, 7 + TT_NSTATES, t->listen[g].max_fill);
		sqlite3_bind_int64(st, 8 + TT_NSTATES, (int64_t)t->listen[g].full);
		if (run(st) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int
store_sample(struct store *s, int64_t ts, const struct tally *t, const struct kcontext *kc,
    unsigned flags, int64_t duration_us)
{
	struct klimits stored;
	int rc;

	s->txn_err[0] = '\0';
	if (run(s->begin) != SQLITE_DONE)
		return -1;
	rc = insert_sample(s, ts, flags, duration_us, (int64_t)t->total, kc);
	if (rc == SQLITE_CONSTRAINT) {
		run(s->rollback);
		store_bk_forget(s);
		return 1;
	}
	if (rc != SQLITE_DONE || insert_counts(s, ts, t) == -1 ||
	    (kc != NULL && insert_limits(s, ts, &kc->l, &stored) == -1) ||
	    (t->bk != NULL && store_bk_insert(s, ts, t->bk) == -1) ||
	    (t->cw != NULL && store_cw_insert(s, ts, t) == -1) ||
	    (s->ow != NULL && store_owners_insert(s, ts, s->ow, s->ow_want, s->ow_top) == -1))
		goto fail;
	if (run(s->commit) != SQLITE_DONE)
		goto fail;
	if (kc != NULL)
		s->src[s->cur].limits = stored;	/* only once they are on disk */
	return 0;
fail:
	abort_txn(s);
	return -1;
}

int
store_missed(struct store *s, const int64_t *ts, size_t n)
{
	size_t i;
	int rc;

	if (n == 0)
		return 0;
	s->txn_err[0] = '\0';
	if (run(s->begin) != SQLITE_DONE)
		return -1;
	for (i = 0; i < n; i++) {
		rc = insert_sample(s, ts[i], SAMPLE_MISSED, 0, 0, NULL);
		if (rc != SQLITE_DONE && rc != SQLITE_CONSTRAINT) {
			abort_txn(s);
			return -1;
		}
	}
	if (run(s->commit) != SQLITE_DONE) {
		abort_txn(s);
		return -1;
	}
	return 0;
}

const char *
store_errmsg(struct store *s)
{
	if (s->db == NULL)
		return "no database";
	return s->txn_err[0] != '\0' ? s->txn_err : sqlite3_errmsg(s->db);
}

void
store_close(struct store *s)
{
	size_t i;

	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->ins_sample);
	sqlite3_finalize(s->ins_counts);
	sqlite3_finalize(s->ins_limit);
	sqlite3_finalize(s->ins_kernel);
	store_bk_close(s);
	sqlite3_close(s->db);
	free(s->path);
	free(s->grp_ids);
	free(s->host);
	for (i = 0; i < s->nsrc; i++)
		free(s->src[i].netns);
	free(s->src);
	memset(s, 0, sizeof(*s));
}
