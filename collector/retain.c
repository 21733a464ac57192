/*
 * Retention and the size cap, in small steps between samples.
 *
 * Each step is one short write transaction that deletes at most about
 * RETAIN_BATCH rows, oldest first, so the write lock is held for
 * milliseconds and a reader or the next sample never waits long.  The
 * daemon runs steps while the slot's budget lasts, and resumes after the
 * next sample: a backlog of months drains over a few slots without a
 * slot missed.
 *
 *   raw:     counts and sample rows with ts < now - retention.raw, and the
 *            breakdowns of those samples (first, in batches of their own:
 *            a sample has tens to thousands of them)
 *   hourly:  hourly rows (of the counts, the kernel, the breakdowns) with
 *            ts < now - retention.hourly
 *   cap:     while the pages in use exceed max_size, the oldest raw rows
 *            (never the newest sample), then the oldest hourly rows
 *
 * Freed pages go back to the file system a few at a time (incremental
 * auto-vacuum) in databases created with it; older ones reuse them.
 */
#include <stdio.h>
#include <string.h>

#include "tcptally/db.h"
#include "tcptally/timeutil.h"
#include "collector.h"

#define RETAIN_BATCH	2000		/* rows of counts (or hourly) per step */
#define BK_BATCH	20000		/* rows of breakdown_count per step */
#define VACUUM_PAGES	512		/* pages returned per step */
#define VACUUM_KEEP	64		/* free pages kept for the next samples */

enum { R_BEGIN, R_COMMIT, R_ROLLBACK,
	R_RAW_BOUND, R_RAW_DEL, R_SAMPLE_DEL, R_KERNEL_DEL, R_LIMIT_DEL, R_RAW_OLDEST,
	R_BK_BOUND, R_BK_DEL, R_LOAD_DEL, R_BKS_DEL, R_CWA_DEL, R_OWN_DEL,
	R_HOUR_BOUND, R_HOUR_DEL, R_HOURK_DEL, R_HOURB_DEL,
	R_PAGES, R_FREE, R_PAGESIZE, R_AUTOVAC, NRSTMT };

_Static_assert(NRSTMT == sizeof(((struct retain *)0)->st) / sizeof(sqlite3_stmt *), "struct retain st[] size");
static const char *const rsql[NRSTMT] = {
	"BEGIN IMMEDIATE", "COMMIT", "ROLLBACK",
	/* ?1 cutoff (exclusive), ?2 batch: the ts of the batch's last row */
	"SELECT ts FROM counts WHERE ts < ?1 ORDER BY ts LIMIT 1 OFFSET ?2",
	"DELETE FROM counts WHERE ts < ?1",
	"DELETE FROM sample WHERE ts < ?1",
	"DELETE FROM sample_kernel WHERE ts < ?1",
	/* a limit's row goes only once a newer one is in force by then */
	"DELETE FROM klimit WHERE ts < ?1 AND EXISTS (SELECT 1 FROM klimit AS n WHERE"
	" n.host = klimit.host AND n.name = klimit.name AND n.ts > klimit.ts AND n.ts <= ?1)",
	"SELECT min(ts) FROM sample",
	"SELECT ts FROM breakdown_count WHERE ts < ?1 ORDER BY ts LIMIT 1 OFFSET ?2",
	"DELETE FROM breakdown_count WHERE ts < ?1",
	"DELETE FROM peer_load WHERE ts < ?1",
	"DELETE FROM sample_breakdown WHERE ts < ?1",
	"DELETE FROM close_wait_age WHERE ts < ?1",
	"DELETE FROM owner WHERE ts < ?1",
	"SELECT ts FROM hourly WHERE ts < ?1 ORDER BY ts LIMIT 1 OFFSET ?2",
	"DELETE FROM hourly WHERE ts < ?1",
	"DELETE FROM hourly_kernel WHERE ts < ?1",
	"DELETE FROM hourly_breakdown WHERE ts < ?1",
	"PRAGMA page_count", "PRAGMA freelist_count", "PRAGMA page_size",
	"PRAGMA auto_vacuum",
};

/*
 * The delete that goes with another: a sample's kernel context, its limits,
 * its breakdowns; breakdown rows, their peer loads, breakdown samples, the
 * ages of CLOSE_WAIT and its owners.
 */
static int
follows(int st)
{
	switch (st) {
	case R_SAMPLE_DEL:	return R_KERNEL_DEL;
	case R_KERNEL_DEL:	return R_LIMIT_DEL;
	case R_LIMIT_DEL:	return R_BK_DEL;
	case R_BK_DEL:		return R_LOAD_DEL;
	case R_LOAD_DEL:	return R_BKS_DEL;
	case R_BKS_DEL:		return R_CWA_DEL;
	case R_CWA_DEL:		return R_OWN_DEL;
	case R_HOURK_DEL:	return R_HOURB_DEL;
	default:		return -1;
	}
}

static int
exec_stmt(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

int
retain_open(struct retain *rt, sqlite3 *db)
{
	int i;

	memset(rt, 0, sizeof(*rt));
	rt->db = db;
	for (i = 0; i < NRSTMT; i++)
		if (sqlite3_prepare_v3(db, rsql[i], -1, SQLITE_PREPARE_PERSISTENT,
		    &rt->st[i], NULL) != SQLITE_OK) {
			retain_close(rt);
			return -1;
		}
	rt->page_size = db_int_stmt(rt->st[R_PAGESIZE], 4096);
	rt->incremental = db_int_stmt(rt->st[R_AUTOVAC], 0) == 2;
	return 0;
}

void
retain_close(struct retain *rt)
{
	int i;

	for (i = 0; i < NRSTMT; i++)
		sqlite3_finalize(rt->st[i]);
	memset(rt, 0, sizeof(*rt));
}

int64_t
retain_used_bytes(struct retain *rt)
{
	return (db_int_stmt(rt->st[R_PAGES], 0) - db_int_stmt(rt->st[R_FREE], 0)) * rt->page_size;
}

/*
 * Delete the oldest rows with ts < cutoff, at most about RETAIN_BATCH of
 * them (whole timestamps: a little more when a ts has many rows).
 * Returns 1 if rows older than cutoff remain, 0 if none, -1 on error.
 */
static int
batch(struct retain *rt, int bound_st, int del_st, int del2_st, int64_t cutoff,
    int64_t *deleted_to)
{
	sqlite3_stmt *st = rt->st[bound_st];
	int64_t upto = cutoff, last;
	int more = 0;

	sqlite3_bind_int64(st, 1, cutoff);
	sqlite3_bind_int(st, 2, bound_st == R_BK_BOUND ? BK_BATCH : RETAIN_BATCH);
	if ((last = db_int_stmt(st, -1)) >= 0) {
		upto = last + 1;	/* through the batch's last timestamp */
		more = upto < cutoff;
	}
	sqlite3_bind_int64(rt->st[del_st], 1, upto);
	if (exec_stmt(rt->st[del_st]) == -1)
		return -1;
	if (sqlite3_changes(rt->db) > 0)
		*deleted_to = upto;
	for (; del2_st >= 0; del2_st = follows(del2_st)) {
		sqlite3_bind_int64(rt->st[del2_st], 1, upto);
		if (exec_stmt(rt->st[del2_st]) == -1)
			return -1;
	}
	return more;
}

/* Over the cap: the oldest raw samples go, then the oldest rollups. */
static int
cap_step(struct retain *rt, const struct config *c, int64_t now, const char *path)
{
	char a[32], b[32], when[32];
	int64_t used, oldest, to = -1;
	int rc;

	if (c->max_size == 0) {
		rt->capping = 0;
		return 0;
	}
	if ((used = retain_used_bytes(rt)) <= c->max_size) {
		if (rt->capping) {
			size_format(used, a, sizeof(a));
			time_format_utc(rt->cap_to, when, sizeof(when));
			log_info("%s: %s in use, under max_size again; samples before %s "
			    "were dropped for it", path, a, when);
		}
		rt->capping = 0;
		return 0;
	}
	oldest = db_int_stmt(rt->st[R_RAW_OLDEST], -1);
	if (!rt->capping) {
		size_format(used, a, sizeof(a));
		size_format(c->max_size, b, sizeof(b));
		time_format_utc(oldest, when, sizeof(when));
		log_warnx("%s: max_size %s reached (%s in use): dropping the oldest raw "
		    "samples, from %s", path, b, a, oldest >= 0 ? when : "(none)");
		rt->capping = 1;
	}
	/* Never the newest sample: keep one interval. */
	if ((rc = batch(rt, R_RAW_BOUND, R_RAW_DEL, R_SAMPLE_DEL, now - c->interval + 1,
	    &to)) == -1)
		return -1;
	if (to >= 0) {
		rt->cap_to = to;
		return 1;
	}
	if ((rc = batch(rt, R_HOUR_BOUND, R_HOUR_DEL, R_HOURK_DEL, now - 3600 * 24, &to)) == -1)
		return -1;
	if (to >= 0) {
		if (!rt->cap_hourly)
			log_warnx("%s: max_size: no raw samples left to drop; dropping the "
			    "oldest hourly rollups", path);
		rt->cap_hourly = 1;
		return 1;
	}
	if (!rt->cap_full)
		log_warnx("%s: max_size is too small for even a day of rollups; raise it",
		    path);
	rt->cap_full = 1;
	return 0;
}

int
retain_step(struct retain *rt, const struct config *c, int64_t now, const char *path)
{
	int64_t to = -1, nfree;
	int more = 0, rc;

	/* Nothing to keep in bounds: no transaction, no lock. */
	if (c->max_size == 0 && c->retention_raw == 0 && c->retention_hourly == 0 &&
	    !rt->incremental)
		return 0;
	if (exec_stmt(rt->st[R_BEGIN]) == -1)
		return -1;
	if ((rc = cap_step(rt, c, now, path)) == -1)
		goto fail;
	more |= rc;
	if (!more && c->retention_raw > 0) {
		/* the breakdowns first: the samples' own batch would carry too many */
		if ((rc = batch(rt, R_BK_BOUND, R_BK_DEL, R_LOAD_DEL,
		    now - c->retention_raw, &to)) == -1)
			goto fail;
		more |= rc;
	}
	if (!more && c->retention_raw > 0) {
		if ((rc = batch(rt, R_RAW_BOUND, R_RAW_DEL, R_SAMPLE_DEL,
		    now - c->retention_raw, &to)) == -1)
			goto fail;
		more |= rc;
	}
	if (!more && c->retention_hourly > 0) {
		if ((rc = batch(rt, R_HOUR_BOUND, R_HOUR_DEL, R_HOURK_DEL,
		    now - c->retention_hourly, &to)) == -1)
			goto fail;
		more |= rc;
	}
	if (rt->incremental && (nfree = db_int_stmt(rt->st[R_FREE], 0)) > VACUUM_KEEP) {
		char sql[64];

		snprintf(sql, sizeof(sql), "PRAGMA incremental_vacuum(%lld)",
		    (long long)(nfree - VACUUM_KEEP < VACUUM_PAGES ?
		    nfree - VACUUM_KEEP : VACUUM_PAGES));
		if (sqlite3_exec(rt->db, sql, NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
		more |= nfree - VACUUM_KEEP > VACUUM_PAGES;
	}
	if (exec_stmt(rt->st[R_COMMIT]) == -1)
		goto fail;
	return more;
fail:
	snprintf(rt->err, sizeof(rt->err), "%s", sqlite3_errmsg(rt->db));
	if (!sqlite3_get_autocommit(rt->db))
		exec_stmt(rt->st[R_ROLLBACK]);
	return -1;
}
