#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/socket.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "query.h"
#include "tcptally/db.h"
#include "tcptally/kernel.h"

#define LO_	KS_ListenOverflows

static char dir[64], path[128];

static int
mkdb(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/tt-dbtest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/t.db", dir);
	return 0;
}

static int
rmdb(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int64_t
q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void
test_fresh_db_migrates(void **state)
{
	char err[512] = "";
	sqlite3 *db;
	struct stat st;
	mode_t old = umask(0);

	(void)state;
	db = db_open_rw(path, err, sizeof(err));
	umask(old);
	assert_non_null(db);
	assert_int_equal(db_user_version(db), (int)nmigrations);
	assert_int_equal(q1(db, "PRAGMA application_id"), TT_APPLICATION_ID);
	assert_int_equal(q1(db, "SELECT count(*) FROM state"), 11);
	assert_int_equal(q1(db, "SELECT count(*) FROM state_counts"), 0);
	assert_int_equal(sqlite3_db_readonly(db, "main"), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);	/* whatever the umask */
	sqlite3_close(db);
	/* opening again is a no-op */
	db = db_open_rw(path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(db_user_version(db), (int)nmigrations);
	sqlite3_close(db);
}

/* A missing directory is made 0750 whatever the umask; only the last component. */
static void
test_creates_missing_dir(void **state)
{
	static const mode_t masks[] = { 0, 077, 022 };
	char err[1024] = "", sub[128], db_path[160], want[1024];
	struct stat st;
	sqlite3 *db;
	mode_t old;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		snprintf(sub, sizeof(sub), "%s/sub%zu", dir, i);
		snprintf(db_path, sizeof(db_path), "%s/t.db", sub);
		old = umask(masks[i]);
		db = db_open_rw(db_path, err, sizeof(err));
		umask(old);
		assert_non_null(db);
		sqlite3_close(db);
		assert_int_equal(stat(sub, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0750);
		assert_int_equal(stat(db_path, &st), 0);
		assert_int_equal(st.st_mode & 07777, 0640);
	}
	/* an existing directory keeps its mode (mkdtemp made it 0700) */
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	/* trailing and doubled slashes */
	snprintf(db_path, sizeof(db_path), "%s/dbl//t.db", dir);
	db = db_open_rw(db_path, err, sizeof(err));
	assert_non_null(db);
	sqlite3_close(db);
	snprintf(sub, sizeof(sub), "%s/dbl", dir);
	assert_int_equal(stat(sub, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	/* a missing grandparent is an error naming the path and the fix */
	snprintf(sub, sizeof(sub), "%s/no/such", dir);
	snprintf(db_path, sizeof(db_path), "%s/t.db", sub);
	assert_null(db_open_rw(db_path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: cannot create the directory %s: its parent does "
	    "not exist; create it (mkdir -p -m 0750 %s) or point `database:` elsewhere",
	    db_path, sub, sub);
	assert_string_equal(err, want);
	snprintf(sub, sizeof(sub), "%s/no", dir);
	assert_int_equal(access(sub, F_OK), -1);	/* nothing was created */
}

static void
test_v0_empty_sqlite_file(void **state)
{
	char err[512] = "";
	sqlite3 *db;

	(void)state;
	/* a database that exists at version 0 with nothing in it */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(db_exec(db, "PRAGMA user_version = 0", err, sizeof(err)), 0);
	sqlite3_close(db);
	db = db_open_rw(path, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(db_user_version(db), (int)nmigrations);
	sqlite3_close(db);
}

static void
test_newer_db_refused(void **state)
{
	char err[512] = "", want[512], sql[128];
	sqlite3 *db;

	(void)state;
	db = db_open_rw(path, err, sizeof(err));
	assert_non_null(db);
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", (int)nmigrations + 1);
	assert_int_equal(db_exec(db, sql, err, sizeof(err)), 0);
	sqlite3_close(db);
	assert_null(db_open_rw(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: database schema version %d is newer than this tcptally "
	    "%s understands (%d); upgrade tcptally or use another database", path,
	    (int)nmigrations + 1, TT_VERSION_STRING, (int)nmigrations);
	assert_string_equal(err, want);
	assert_null(db_open_ro_path(path, err, sizeof(err)));
	assert_string_equal(err, want);
	/* and it was left alone */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(db_user_version(db), (int)nmigrations + 1);
	sqlite3_close(db);
}

static void
test_foreign_db_refused(void **state)
{
	char err[512] = "", want[512];
	sqlite3 *db;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(db_exec(db, "CREATE TABLE accounts (id INTEGER)", err, sizeof(err)), 0);
	sqlite3_close(db);
	assert_null(db_open_rw(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a tcptally database (it holds 1 other objects); "
	    "point `database:` at a new file", path);
	assert_string_equal(err, want);
}

static void
test_missing_db_ro(void **state)
{
	char err[512] = "", want[512];

	(void)state;
	assert_null(db_open_ro_path(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: no database there (No such file or directory); set "
	    "`database:` in the config or pass -d PATH", path);
	assert_string_equal(err, want);
	assert_int_equal(access(path, F_OK), -1);	/* the reader created nothing */
}

static void
test_empty_file_ro(void **state)
{
	char err[512] = "", want[512];
	FILE *f;

	(void)state;
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_null(db_open_ro_path(path, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: not a tcptally database yet (it holds no schema); "
	    "point -d at the collector's database, or let tcptally-collector create it", path);
	assert_string_equal(err, want);
}

/* A new database: incremental auto-vacuum, and the hourly rollups in place. */
static void
test_new_db_layout(void **state)
{
	char err[512] = "";
	sqlite3 *db;

	(void)state;
	assert_non_null(db = db_open_rw(path, err, sizeof(err)));
	assert_int_equal(db_exec(db, "SELECT count(*) FROM hourly", err, sizeof(err)), 0);
	assert_int_equal(db_exec(db, "SELECT * FROM state_counts_hourly", err, sizeof(err)), 0);
	sqlite3_close(db);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	{
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA auto_vacuum", -1, &st, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int(st, 0), 2);	/* INCREMENTAL */
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
}

static void
test_store_sample_and_view(void **state)
{
	struct group g[2];
	struct config c;
	struct store s;
	struct tally t;
	char err[512];
	int64_t missed[2] = { 1000, 1010 };
	int st;

	(void)state;
	memset(g, 0, sizeof(g));
	strcpy(g[0].name, "web");
	strcpy(g[1].name, "x'); DROP TABLE counts; --");
	memset(&c, 0, sizeof(c));
	c.groups = g;
	c.ngroups = 2;
	assert_int_equal(store_open(&s, path, "host-a", err, sizeof(err)), 0);
	assert_int_equal(store_set_groups(&s, &c), 0);
	assert_int_equal(tally_init(&t, 3), 0);
	for (st = 1; st <= TT_NSTATES; st++) {
		t.count[0][st] = (uint32_t)(st * 100);
		t.count[1][st] = (uint32_t)st;
	}
	t.total = 6600;
	assert_int_equal(store_sample(&s, 1020, &t, NULL, SAMPLE_RETRIED, 1234), 0);
	assert_int_equal(store_sample(&s, 1020, &t, NULL, 0, 1), 1);	/* never overwritten */
	assert_int_equal(store_missed(&s, missed, 2), 0);

	/* every state for every group, zeros included */
	assert_int_equal(q1(s.db, "SELECT count(*) FROM state_counts WHERE ts = 1020"), 33);
	assert_int_equal(q1(s.db, "SELECT count FROM state_counts WHERE ts = 1020 AND "
	    "grp = 'all' AND state = 'CLOSE_WAIT'"), 800);
	assert_int_equal(q1(s.db, "SELECT count FROM state_counts WHERE ts = 1020 AND "
	    "grp = 'web' AND state = 'LISTEN'"), 10);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM state_counts WHERE count = 0"), 11);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM state_counts WHERE grp = "
	    "'x''); DROP TABLE counts; --'"), 11);
	assert_int_equal(q1(s.db, "SELECT count(DISTINCT host) FROM state_counts"), 1);
	/* missed slots are recorded, with no counts */
	assert_int_equal(q1(s.db, "SELECT count(*) FROM samples WHERE missed"), 2);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM state_counts WHERE ts < 1020"), 0);
	assert_int_equal(q1(s.db, "SELECT retried FROM samples WHERE ts = 1020"), 1);
	assert_int_equal(q1(s.db, "SELECT sockets FROM samples WHERE ts = 1020"), 6600);
	/* counts are 64-bit end to end: stored whole past 2^32 */
	t.count[0][TT_LISTEN] = (uint64_t)TT_COUNT_MAX;
	assert_int_equal(store_sample(&s, 1030, &t, NULL, 0, 1), 0);
	assert_int_equal(q1(s.db, "SELECT count FROM state_counts WHERE ts = 1030 AND "
	    "grp = 'all' AND state = 'LISTEN'"), TT_COUNT_MAX);
	assert_int_equal(q1(s.db, "SELECT listen_max FROM hourly WHERE ts = 0 AND grp = "
	    "(SELECT id FROM grp WHERE name = 'all')"), TT_COUNT_MAX);
	tally_free(&t);
	store_close(&s);
}

/*
 * The kernel's context through the store: the view kernel_rates gives the
 * rows kernel_rate gives (none at the first sample, after a reset, across a
 * gap of 4 intervals), the trigger's hourly_kernel equals what
 * kernel_rollup_sql sums again, and limits are stored only when they change.
 */
static void
test_kernel_context(void **state)
{
	/* ListenOverflows: steady, a reset at 1060, a gap of 40 s before 1110 */
	static const int64_t ts[] = { 1000, 1010, 1020, 1030, 1040, 1050, 1060, 1070, 1110, 1120,
		3600, 3610 };
	static const int64_t lo[] = { 10, 20, 40, 40, 70, 70, 3, 13, 53, 54, 60, 61 };
	struct kcontext kc;
	struct kpoint k[12];
	struct config c;
	struct store s;
	struct tally t;
	sqlite3_stmt *st;
	char err[512], sql[8192], *e = NULL;
	int64_t before[64], after[64];
	size_t i, n = sizeof(ts) / sizeof(ts[0]), rows = 0;
	double r;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_open(&s, path, "host-k", err, sizeof(err)), 0);
	assert_int_equal(store_set_groups(&s, &c), 0);
	assert_int_equal(tally_init(&t, 1), 0);
	memset(&kc, 0, sizeof(kc));
	kc.interval = 10;
	kc.l.v[KL_somaxconn] = 4096;
	kc.l.have = 1u << KL_somaxconn;
	memset(k, 0, sizeof(k));
	for (i = 0; i < n; i++) {
		kc.k.v[LO_] = lo[i];
		kc.k.v[KS_tcp_tw] = (int64_t)i;
		kc.k.have = 1u << LO_ | 1u << KS_tcp_tw;
		if (i == 9)
			kc.l.v[KL_somaxconn] = 128;
		assert_int_equal(store_sample(&s, ts[i], &t, &kc, 0, 1), 0);
		k[i].ts = ts[i];
		k[i].interval = 10;
		k[i].v[LO_] = lo[i];
		k[i].have = 1u << LO_;
	}
	assert_int_equal(q1(s.db, "SELECT count(*) FROM kernel_limits WHERE name = 'somaxconn'"), 2);
	assert_int_equal(q1(s.db, "SELECT value FROM kernel_limits WHERE ts = 1120"), 128);
	/* the view's rates are kernel_rate's, sample by sample */
	assert_int_equal(sqlite3_prepare_v2(s.db, "SELECT ts, per_sec FROM kernel_rates WHERE "
	    "name = 'ListenOverflows' ORDER BY ts", -1, &st, NULL), SQLITE_OK);
	for (i = 0; i < n; i++) {
		if (isnan(r = kernel_rate(k, i, LO_)))
			continue;
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(st, 0), ts[i]);
		assert_true(sqlite3_column_double(st, 1) == r);
		rows++;
	}
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	assert_int_equal(rows, 8);	/* 12 samples: not the first, 1060, 1110, 3600 */
	assert_int_equal(q1(s.db, "SELECT ListenOverflows FROM hourly_kernel WHERE ts = 0"),
	    10 + 20 + 0 + 30 + 0 + 10 + 1);
	assert_int_equal(q1(s.db, "SELECT secs FROM hourly_kernel WHERE ts = 0"), 80);
	assert_int_equal(q1(s.db, "SELECT tcp_tw_max FROM hourly_kernel WHERE ts = 0"), 9);
	/* summed again from the samples, the rollups are the same */
	assert_int_equal(sqlite3_prepare_v2(s.db, "SELECT * FROM hourly_kernel ORDER BY ts", -1,
	    &st, NULL), SQLITE_OK);
	for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++)
		before[i] = sqlite3_column_int64(st, 4) * 1000003 + sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	assert_int_equal(i, 2);
	kernel_rollup_sql(sql, sizeof(sql), 0, 7200);
	if (sqlite3_exec(s.db, sql, NULL, NULL, &e) != SQLITE_OK)
		fail_msg("%s", e);
	assert_int_equal(sqlite3_prepare_v2(s.db, "SELECT * FROM hourly_kernel ORDER BY ts", -1,
	    &st, NULL), SQLITE_OK);
	for (i = 0; sqlite3_step(st) == SQLITE_ROW; i++)
		after[i] = sqlite3_column_int64(st, 4) * 1000003 + sqlite3_column_int64(st, 3);
	sqlite3_finalize(st);
	assert_int_equal(i, 2);
	assert_memory_equal(before, after, 2 * sizeof(before[0]));
	/*
	 * Retention treats them like the counts: raw samples before 1115 go,
	 * with the limit row superseded by then (somaxconn 4096 of 1000 stays:
	 * 128 came only at 1120); hourly rollups before 3600 go, the kernel's too.
	 */
	{
		struct retain rt;
		int more;

		c.retention_raw = 3615 - 1115;
		c.retention_hourly = 15;	/* rollups before 3600 */
		assert_int_equal(retain_open(&rt, s.db), 0);
		while ((more = retain_step(&rt, &c, 3615, path)) == 1)
			;
		assert_int_equal(more, 0);
		retain_close(&rt);
	}
	assert_int_equal(q1(s.db, "SELECT min(ts) FROM sample"), 1120);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM klimit"), 2);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM hourly_kernel WHERE ts < 3600"), 0);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM hourly_kernel"), 1);
	c.retention_raw = 3615 - 3601;		/* now 1120 goes too: 4096 is superseded */
	{
		struct retain rt;

		assert_int_equal(retain_open(&rt, s.db), 0);
		while (retain_step(&rt, &c, 3615, path) == 1)
			;
		retain_close(&rt);
	}
	assert_int_equal(q1(s.db, "SELECT count(*) FROM klimit"), 1);
	assert_int_equal(q1(s.db, "SELECT value FROM klimit"), 128);
	tally_free(&t);
	store_close(&s);
}

/*
 * Breakdowns through the store: per group x state, the rows of each kind
 * add up to the count in state_counts, (other) holds the rest beyond K,
 * keys are stored once, the trigger's hourly maxima equal the raw rows',
 * and retention takes them with their samples (and the hourly ones with the
 * hourly rollups).
 */
static void
test_breakdown_rows(void **state)
{
	static struct portrange p80[] = { { 80, 80 } };
	struct group g[1];
	struct config c;
	struct matcher m;
	struct tally t;
	struct breakdown b;
	struct cwage a;
	struct store s;
	struct tt_sock k;
	uint8_t src[4] = { 127, 0, 0, 1 }, dst[4] = { 10, 0, 0, 0 };
	char err[512];
	int64_t ts;
	int i;

	(void)state;
	memset(g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	strcpy(g[0].name, "web");
	g[0].local_ports = p80;
	g[0].nlocal_ports = 1;
	c.groups = g;
	c.ngroups = 1;
	assert_int_equal(store_open(&s, path, "host-b", err, sizeof(err)), 0);
	assert_int_equal(store_set_groups(&s, &c), 0);
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(tally_init(&t, 2), 0);
	assert_int_equal(bk_init(&b, 2, 2, 2), 0);	/* top 2 of each: the rest is (other) */
	assert_int_equal(cwage_init(&a), 0);
	t.bk = &b;
	t.cw = &a;
	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.src = src;
	k.dst = dst;
	for (ts = 1000; ts <= 1020; ts += 10) {
		tally_begin(&t, ts);
		tally_reset(&t);
		/* 12 CLOSE_WAIT on :80 from 4 clients (6, 3, 2, 1), in cgroups 5 (8) and 6 */
		for (i = 0; i < 12; i++) {
			dst[3] = (uint8_t)(i < 6 ? 1 : i < 9 ? 2 : i < 11 ? 3 : 4);
			k.state = TT_CLOSE_WAIT;
			k.sport = 80;
			k.dport = (uint16_t)(40000 + i);
			k.cgroup = i < 8 ? 5 : 6;
			k.cookie = (uint64_t)(100 + i);
			tally_add(&t, &m, &k);
		}
		/* and ts/10 - 99 TIME_WAIT outbound to 10.0.0.9:5432 */
		for (i = 0; i < ts / 10 - 99; i++) {
			dst[3] = 9;
			k.state = TT_TIME_WAIT;
			k.sport = (uint16_t)(33000 + i);
			k.dport = 5432;
			k.cgroup = 0;
			tally_add(&t, &m, &k);
		}
		assert_int_equal(store_sample(&s, ts, &t, NULL, 0, 1), 0);
	}
	/* the rows of each group x state x kind add up to state_counts */
	assert_int_equal(q1(s.db, "SELECT count(*) FROM (SELECT b.ts, b.grp, b.state, b.kind, "
	    "sum(b.count) AS n FROM breakdown AS b GROUP BY 1, 2, 3, 4) AS x JOIN state_counts AS sc "
	    "ON sc.ts = x.ts AND sc.grp = x.grp AND sc.state = x.state WHERE x.n != sc.count"), 0);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM (SELECT DISTINCT ts, grp, state, kind "
	    "FROM breakdown)"), 3 * (2 * 2 + 2));	/* all: CW, TW; web: CW; each of 2 kinds */
	assert_int_equal(q1(s.db, "SELECT count FROM breakdown WHERE ts = 1020 AND grp = 'web' "
	    "AND kind = 'peer' AND key = '10.0.0.1:80' AND direction = 'in'"), 6);
	assert_int_equal(q1(s.db, "SELECT count FROM breakdown WHERE ts = 1020 AND grp = 'web' "
	    "AND kind = 'peer' AND key = '(other)'"), 3);	/* 2 + 1 beyond the top 2 */
	assert_int_equal(q1(s.db, "SELECT count FROM breakdown WHERE ts = 1020 AND grp = 'all' "
	    "AND kind = 'cgroup' AND key = '(id 5)' AND state = 'CLOSE_WAIT'"), 8);
	assert_int_equal(q1(s.db, "SELECT count FROM breakdown WHERE ts = 1020 AND kind = 'cgroup' "
	    "AND key = '(kernel)' AND state = 'TIME_WAIT'"), 3);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM bkey"), 7);	/* once each */
	assert_int_equal(q1(s.db, "SELECT sockets FROM port_shares WHERE ts = 1020 "
	    "AND peer = '10.0.0.9:5432' AND grp = 'all'"), 3);
	assert_int_equal(q1(s.db, "SELECT round(port_share * 28232) FROM port_shares WHERE ts = 1020 "
	    "AND peer = '10.0.0.9:5432' AND grp = 'all'"), 3);	/* the default range */
	assert_int_equal(q1(s.db, "SELECT sum(err) FROM breakdown"), 0);
	/* the ages: 12 CLOSE_WAIT seen first at 1000, a lower bound (the first sample) */
	assert_int_equal(q1(s.db, "SELECT age FROM oldest_close_wait WHERE ts = 1020 AND grp = 'web'"),
	    20);
	assert_int_equal(q1(s.db, "SELECT lower_bound FROM oldest_close_wait WHERE ts = 1020 "
	    "AND grp = 'web'"), 1);
	/* hourly maxima: what the raw rows give */
	assert_int_equal(q1(s.db, "SELECT count(*) FROM hourly_breakdown AS h WHERE max != (SELECT "
	    "max(count) FROM breakdown_count AS b WHERE b.ts - b.ts % 3600 = h.ts AND b.grp = h.grp "
	    "AND b.state = h.state AND b.bkey = h.bkey)"), 0);
	assert_int_equal(q1(s.db, "SELECT max FROM breakdown_hourly WHERE key = '10.0.0.9:5432' AND "
	    "state = 'TIME_WAIT' AND grp = 'all'"), 3);
	/* retention: the raw ones with their samples, the hourly ones with the rollups */
	{
		struct retain rt;

		c.retention_raw = 3615 - 1015;	/* 1000 and 1010 go */
		c.retention_hourly = 0;
		assert_int_equal(retain_open(&rt, s.db), 0);
		while (retain_step(&rt, &c, 3615, path) == 1)
			;
		assert_int_equal(q1(s.db, "SELECT min(ts) FROM breakdown_count"), 1020);
		assert_int_equal(q1(s.db, "SELECT min(ts) FROM sample_breakdown"), 1020);
		assert_int_equal(q1(s.db, "SELECT min(ts) FROM peer_load"), 1020);
		assert_int_equal(q1(s.db, "SELECT min(ts) FROM close_wait_age"), 1020);
		assert_true(q1(s.db, "SELECT count(*) FROM hourly_breakdown") > 0);
		c.retention_hourly = 15;	/* rollups before 3600 go */
		while (retain_step(&rt, &c, 3615, path) == 1)
			;
		assert_int_equal(q1(s.db, "SELECT count(*) FROM hourly_breakdown"), 0);
		retain_close(&rt);
	}
	cwage_free(&a);
	bk_free(&b);
	tally_free(&t);
	matcher_free(&m);
	store_close(&s);
}

/*
 * A sample whose transaction fails after it added keys: they are rolled
 * back, and the next sample stores them again, never an id that is gone.
 */
static void
test_breakdown_rollback(void **state)
{
	struct config c;
	struct tally t;
	struct breakdown b;
	struct matcher m;
	struct store s;
	struct tt_sock k;
	uint8_t src[4] = { 127, 0, 0, 1 }, dst[4] = { 10, 0, 0, 7 };
	char err[512];

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(store_open(&s, path, "host-r", err, sizeof(err)), 0);
	assert_int_equal(store_set_groups(&s, &c), 0);
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(tally_init(&t, 1), 0);
	assert_int_equal(bk_init(&b, 1, 5, 5), 0);
	t.bk = &b;
	memset(&k, 0, sizeof(k));
	k.family = AF_INET;
	k.src = src;
	k.dst = dst;
	k.state = TT_TIME_WAIT;
	k.sport = 40000;
	k.dport = 5432;
	tally_reset(&t);
	tally_add(&t, &m, &k);
	/* the last insert of the sample fails: keys were added before it */
	assert_int_equal(sqlite3_exec(s.db, "CREATE TRIGGER boom BEFORE INSERT ON peer_load "
	    "BEGIN SELECT RAISE(ABORT, 'boom'); END", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_sample(&s, 2000, &t, NULL, 0, 1), -1);
	assert_non_null(strstr(store_errmsg(&s), "boom"));
	assert_int_equal(q1(s.db, "SELECT count(*) FROM bkey"), 0);
	assert_int_equal(sqlite3_exec(s.db, "DROP TRIGGER boom", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(store_sample(&s, 2010, &t, NULL, 0, 1), 0);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM breakdown_count AS b LEFT JOIN bkey AS k "
	    "ON k.id = b.bkey WHERE k.id IS NULL"), 0);
	assert_int_equal(q1(s.db, "SELECT count(*) FROM breakdown WHERE ts = 2010"), 2);
	bk_free(&b);
	tally_free(&t);
	matcher_free(&m);
	store_close(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fresh_db_migrates, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_creates_missing_dir, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_v0_empty_sqlite_file, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_newer_db_refused, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_foreign_db_refused, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_missing_db_ro, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_empty_file_ro, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_new_db_layout, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_store_sample_and_view, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_kernel_context, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_breakdown_rows, mkdb, rmdb),
		cmocka_unit_test_setup_teardown(test_breakdown_rollback, mkdb, rmdb),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
