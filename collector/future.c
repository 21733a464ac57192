/*
 * Samples stored ahead of this host's clock: an import from before imports
 * refused them, or a clock that was once set ahead. The collector samples
 * on around them (a second already stored is skipped); at start it says
 * once what they are and the statements that remove them. One range scan
 * of the sample table's key, at start only.
 */
#include <stdio.h>
#include <string.h>

#include "tcptally/kernel.h"
#include "tcptally/timeutil.h"
#include "collector.h"

#define TS_END		253402300800LL	/* 10000-01-01: after every sample */

int
future_find(sqlite3 *db, int64_t now, struct future *f)
{
	sqlite3_stmt *st;
	int rc;

	f->n = 0;
	if (sqlite3_prepare_v2(db, "SELECT count(*), min(ts), max(ts) FROM sample"
	    " WHERE ts > ?1", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, now);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		f->n = sqlite3_column_int64(st, 0);
		f->first = sqlite3_column_int64(st, 1);
		f->last = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : -1;
}

/*
 * Every row after `after` goes, and the rollups of its hour and later ones
 * are summed again from the raw rows kept: a rollup cannot have a sample
 * taken out of its min and max.
 */
size_t
future_sql(char *buf, size_t len, int64_t after)
{
	char cols[1024], aggs[1024], kernel[8192];
	long long n = after, hour = after - after % 3600;

	state_sql(cols, sizeof(cols), ", ", "{c}_min, {c}_max, {c}_sum", 0);
	state_sql(aggs, sizeof(aggs), ", ", "min({c}), max({c}), sum({c})", 0);
	kernel_rollup_sql(kernel, sizeof(kernel), hour, TS_END);
	return (size_t)snprintf(buf, len, "BEGIN IMMEDIATE; "
	    "DELETE FROM counts WHERE ts > %lld; DELETE FROM sample WHERE ts > %lld; "
	    "DELETE FROM sample_kernel WHERE ts > %lld; "
	    "DELETE FROM klimit WHERE ts > %lld; DELETE FROM breakdown_count WHERE ts > %lld; "
	    "DELETE FROM peer_load WHERE ts > %lld; DELETE FROM sample_breakdown WHERE ts > %lld; "
	    "DELETE FROM close_wait_age WHERE ts > %lld; DELETE FROM owner WHERE ts > %lld; "
	    "DELETE FROM hourly WHERE ts >= %lld; "
	    "INSERT INTO hourly (ts, host, grp, samples, %s, listeners_max, queued_max, "
	    "fill_max, full_max) "
	    "SELECT ts - ts %% 3600, host, grp, count(*), %s, max(listeners), max(queued), "
	    "max(max_fill), max(full) FROM counts WHERE ts >= %lld "
	    "GROUP BY ts - ts %% 3600, host, grp; %s "
	    "DELETE FROM hourly_breakdown WHERE ts >= %lld; "
	    "INSERT INTO hourly_breakdown (ts, host, grp, state, bkey, max) "
	    "SELECT ts - ts %% 3600, host, grp, state, bkey, max(count) FROM breakdown_count "
	    "WHERE ts >= %lld GROUP BY ts - ts %% 3600, host, grp, state, bkey; COMMIT;",
	    n, n, n, n, n, n, n, n, n, hour, cols, aggs, hour, kernel, hour, hour);
}

/* s in single quotes for a shell. */
static void
shell_quote(char *buf, size_t len, const char *s)
{
	size_t off = 0;

	for (; *s != '\0' && off + 5 < len; s++) {
		if (*s == '\'') {
			memcpy(buf + off, "'\\''", 4);
			off += 4;
		} else
			buf[off++] = *s;
	}
	buf[off] = '\0';
}

void
future_report(sqlite3 *db, const char *path, int64_t now)
{
	struct future f;
	char sql[16384], qpath[2048], first[32], last[32], clock[32], ahead[64];

	if (future_find(db, now, &f) == -1 || f.n == 0)
		return;
	time_format_utc(now, clock, sizeof(clock));
	time_format_utc(f.first, first, sizeof(first));
	time_format_utc(f.last, last, sizeof(last));
	duration_span(f.first - now, ahead, sizeof(ahead));
	log_warnx("%s holds %lld sample%s after this host's clock (%s), from %s (%s "
	    "ahead) to %s; sampling goes on, skipping any second already stored",
	    path, (long long)f.n, f.n == 1 ? "" : "s", clock, first, ahead, last);
	future_sql(sql, sizeof(sql), f.first - 1);
	shell_quote(qpath, sizeof(qpath), path);
	log_warnx("if this host's clock is right, remove them (and rebuild the rollups of "
	    "their hours) before the clock reaches %s, after which this would remove new "
	    "samples too; the collector may keep running:", first);
	log_warnx("    sqlite3 '%s' '%s'", qpath, sql);
}
