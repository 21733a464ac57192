#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "tcptally/db.h"

#define H0	1795456800LL	/* 2026-11-23T18:00:00Z, the start of an hour */
#define DAY	86400

static char dir[64], path[128];
static struct store s;
static struct tally t;

static int
setup(void **state)
{
	struct group g[1];
	struct config c;
	char err[512];

	(void)state;
	strcpy(dir, "/tmp/tt-futuretest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	memset(g, 0, sizeof(g));
	strcpy(g[0].name, "web");
	memset(&c, 0, sizeof(c));
	c.groups = g;
	c.ngroups = 1;
	assert_int_equal(store_open(&s, path, "host-a", err, sizeof(err)), 0);
	assert_int_equal(store_set_groups(&s, &c), 0);
	assert_int_equal(tally_init(&t, 2), 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	tally_free(&t);
	store_close(&s);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int64_t
q1(const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(s.db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
sample_at(int64_t ts, unsigned est)
{
	unsigned st;

	for (st = 1; st <= TT_NSTATES; st++) {
		t.count[0][st] = est + st;
		t.count[1][st] = est / 2 + st;
	}
	t.total = est;
	assert_int_equal(store_sample(&s, ts, &t, NULL, 0, 100), 0);
}

/* Rows of hourly that the raw rows do not give, and the other way round. */
static int64_t
rollup_mismatches(void)
{
	char cols[1024], aggs[1024], sql[8192];

	state_sql(cols, sizeof(cols), ", ", "{c}_min, {c}_max, {c}_sum", 0);
	state_sql(aggs, sizeof(aggs), ", ", "min({c}), max({c}), sum({c})", 0);
	snprintf(sql, sizeof(sql), "SELECT (SELECT count(*) FROM (SELECT ts, host, grp, "
	    "samples, %1$s FROM hourly EXCEPT SELECT ts - ts %% 3600, host, grp, count(*), "
	    "%2$s FROM counts GROUP BY 1, 2, 3)) + (SELECT count(*) FROM (SELECT "
	    "ts - ts %% 3600, host, grp, count(*), %2$s FROM counts GROUP BY 1, 2, 3 "
	    "EXCEPT SELECT ts, host, grp, samples, %1$s FROM hourly))", cols, aggs);
	return q1(sql);
}

static void
test_find(void **state)
{
	struct future f;

	(void)state;
	sample_at(H0 + 10, 5);
	sample_at(H0 + 20, 6);
	assert_int_equal(future_find(s.db, H0 + 20, &f), 0);
	assert_int_equal(f.n, 0);
	sample_at(H0 + DAY, 7);
	sample_at(H0 + DAY + 3600, 8);
	assert_int_equal(future_find(s.db, H0 + 20, &f), 0);
	assert_int_equal(f.n, 2);
	assert_int_equal(f.first, H0 + DAY);
	assert_int_equal(f.last, H0 + DAY + 3600);
	assert_int_equal(future_find(s.db, H0 + 15, &f), 0);
	assert_int_equal(f.n, 3);
	assert_int_equal(f.first, H0 + 20);
}

/*
 * The statements the collector prints: they take out the future samples
 * and their rollups, keep everything before, and leave every rollup equal
 * to the raw rows it sums, also in the hour they cut.
 */
static void
test_sql_removes_and_rebuilds(void **state)
{
	char sql[16384], *err = NULL;
	int64_t hour_before, after;

	(void)state;
	sample_at(H0 - 3600 + 5, 1);		/* the hour before */
	sample_at(H0 + 10, 10);
	sample_at(H0 + 20, 30);			/* the newest sample of the present */
	sample_at(H0 + 3599, 2);		/* the same hour, "future" */
	sample_at(H0 + DAY, 500);		/* a day ahead */
	assert_int_equal(store_missed(&s, (int64_t[]){ H0 + DAY + 10 }, 1), 0);
	/* retention took the raw rows of an old hour: its rollup must stay */
	sample_at(H0 - 7200 + 5, 3);
	assert_int_equal(sqlite3_exec(s.db, "DELETE FROM counts WHERE ts < 1795453200",
	    NULL, NULL, NULL), SQLITE_OK);
	hour_before = q1("SELECT count(*) FROM hourly WHERE ts < 1795456800");
	assert_int_equal(hour_before, 4);	/* 2 hours x 2 groups */
	assert_int_equal(rollup_mismatches(), 2);	/* the old hour, now without raw rows */

	after = H0 + 3599 - 1;
	assert_true(future_sql(sql, sizeof(sql), after) < sizeof(sql));
	assert_non_null(strstr(sql, "DELETE FROM counts WHERE ts > 1795460398;"));
	assert_non_null(strstr(sql, "DELETE FROM sample WHERE ts > 1795460398;"));
	assert_non_null(strstr(sql, "DELETE FROM hourly WHERE ts >= 1795456800;"));
	assert_non_null(strstr(sql, "DELETE FROM breakdown_count WHERE ts > 1795460398;"));
	assert_non_null(strstr(sql, "DELETE FROM close_wait_age WHERE ts > 1795460398;"));
	assert_non_null(strstr(sql, "DELETE FROM owner WHERE ts > 1795460398;"));
	assert_non_null(strstr(sql, "DELETE FROM hourly_breakdown WHERE ts >= 1795456800;"));
	if (sqlite3_exec(s.db, sql, NULL, NULL, &err) != SQLITE_OK)
		fail_msg("the printed statements fail: %s\n%s", err, sql);
	assert_int_equal(q1("SELECT count(*) FROM sample WHERE ts > 1795460398"), 0);
	assert_int_equal(q1("SELECT count(*) FROM counts WHERE ts > 1795460398"), 0);
	assert_int_equal(q1("SELECT count(*) FROM hourly WHERE ts > 1795456800"), 0);
	assert_int_equal(q1("SELECT count(*) FROM sample"), 4);
	assert_int_equal(q1("SELECT samples FROM hourly WHERE ts = 1795456800 AND grp = 1"), 2);
	assert_int_equal(q1("SELECT established_sum FROM hourly WHERE ts = 1795456800 "
	    "AND grp = 1"), (10 + 1) + (30 + 1));
	assert_int_equal(q1("SELECT established_max FROM hourly WHERE ts = 1795456800 "
	    "AND grp = 1"), 31);
	assert_int_equal(q1("SELECT count(*) FROM hourly WHERE ts < 1795456800"), hour_before);
	assert_int_equal(rollup_mismatches(), 2);	/* the same old hour, nothing else */
	assert_true(sqlite3_get_autocommit(s.db));
	/* and the collector writes on */
	sample_at(H0 + 30, 40);
	assert_int_equal(q1("SELECT samples FROM hourly WHERE ts = 1795456800 AND grp = 1"), 3);
	assert_int_equal(rollup_mismatches(), 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sql_removes_and_rebuilds, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
