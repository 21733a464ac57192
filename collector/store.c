/* Writing samples: prepared statements kept for the process's life, one transaction each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/collector.h"
#include "tcptally/db.h"

static const char sql_counts[] =
    "INSERT INTO counts (ts, host, grp, established, syn_sent, syn_recv, fin_wait1,"
    " fin_wait2, time_wait, close, close_wait, last_ack, listen, closing)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char sql_sample[] =
    "INSERT INTO sample (ts, host, flags, duration_us, sockets) VALUES (?, ?, ?, ?, ?)";

/*
 * The message of the statement that failed a transaction: the ROLLBACK after it
 * would replace sqlite3_errmsg() with its own ("cannot rollback - no
 * transaction is active" when SQLite already rolled back, as it does on
 * SQLITE_FULL, or "not an error"). Cleared by each call that may set it.
 */
static char txn_err[256];

static int
prepare(struct store *s, const char *sql, sqlite3_stmt **st)
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

/* Keep the error, then roll back unless SQLite has done so already. */
static void
abort_txn(struct store *s)
{
	snprintf(txn_err, sizeof(txn_err), "%s", sqlite3_errmsg(s->db));
	if (!sqlite3_get_autocommit(s->db))
		run(s->rollback);
}

/* The id of name in table (host or grp), inserted if missing. */
static int64_t
name_id(sqlite3 *db, const char *table, const char *name)
{
	char sql[128];
	sqlite3_stmt *st;
	int64_t id = -1;

	snprintf(sql, sizeof(sql), "INSERT INTO %s (name) VALUES (?1) "
	    "ON CONFLICT (name) DO UPDATE SET name = name RETURNING id", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return id;
}

int
store_open(struct store *s, const char *path, const char *host, char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	txn_err[0] = '\0';
	if ((s->db = db_open_rw(path, err, errlen)) == NULL)
		return -1;
	if ((s->path = strdup(path)) == NULL ||
	    prepare(s, "BEGIN IMMEDIATE", &s->begin) == -1 ||
	    prepare(s, "COMMIT", &s->commit) == -1 ||
	    prepare(s, "ROLLBACK", &s->rollback) == -1 ||
	    prepare(s, sql_sample, &s->ins_sample) == -1 ||
	    prepare(s, sql_counts, &s->ins_counts) == -1 ||
	    (s->host_id = name_id(s->db, "host", host)) == -1) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(s->db));
		store_close(s);
		return -1;
	}
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
		ids[i] = name_id(s->db, "grp", i == 0 ? "all" : c->groups[i - 1].name);
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
    int64_t sockets)
{
	sqlite3_stmt *st = s->ins_sample;

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
	return run(st);
}

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
			sqlite3_bind_int64(st, 3 + i, t->count[g][i]);
		if (run(st) != SQLITE_DONE)
			return -1;
	}
	return 0;
}

int
store_sample(struct store *s, int64_t ts, const struct tally *t, unsigned flags,
    int64_t duration_us)
{
	int rc;

	txn_err[0] = '\0';
	if (run(s->begin) != SQLITE_DONE)
		return -1;
	rc = insert_sample(s, ts, flags, duration_us, (int64_t)t->total);
	if (rc == SQLITE_CONSTRAINT) {
		run(s->rollback);
		return 1;
	}
	if (rc != SQLITE_DONE || insert_counts(s, ts, t) == -1)
		goto fail;
	if (run(s->commit) != SQLITE_DONE)
		goto fail;
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
	txn_err[0] = '\0';
	if (run(s->begin) != SQLITE_DONE)
		return -1;
	for (i = 0; i < n; i++) {
		rc = insert_sample(s, ts[i], SAMPLE_MISSED, 0, 0);
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

int64_t
store_last_ts(struct store *s)
{
	sqlite3_stmt *st;
	int64_t ts = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT max(ts) FROM sample WHERE host = ?", -1,
	    &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, s->host_id);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		ts = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return ts;
}

const char *
store_errmsg(struct store *s)
{
	if (s->db == NULL)
		return "no database";
	return txn_err[0] != '\0' ? txn_err : sqlite3_errmsg(s->db);
}

void
store_close(struct store *s)
{
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->ins_sample);
	sqlite3_finalize(s->ins_counts);
	sqlite3_close(s->db);
	free(s->path);
	free(s->grp_ids);
	memset(s, 0, sizeof(*s));
}
