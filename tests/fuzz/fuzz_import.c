/*
 * Fuzz --import: first the pure parser (import_parse.c) on every line of the
 * input, read both as a CSV row and as a cron-log line whatever the input
 * looks like; then the whole path, import_run, from the input into an
 * in-memory database migrated once.  The database is emptied after each
 * input so every run starts alike.  Promises checked: a failure says why
 * and leaves nothing behind (one transaction), input is never blamed on
 * the database, and the transaction is always closed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "tcptally/db.h"

#define CHECK(cond)	do { if (!(cond)) fail(#cond, __LINE__); } while (0)

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { Q_LEFT, Q_SAMPLES, Q_COUNTS, Q_HOURLY, Q_KERNEL, Q_EMPTY1, Q_EMPTY2, Q_EMPTY3,
	Q_EMPTY4, Q_EMPTY5, Q_EMPTY6, Q_EMPTY7, Q_EMPTY8, NQ };

static const char *const qsql[NQ] = {
	("SELECT (SELECT count(*) FROM sample) + (SELECT count(*) FROM counts) +"
	" (SELECT count(*) FROM host) + (SELECT count(*) FROM grp) +"
	" (SELECT count(*) FROM hourly) + (SELECT count(*) FROM sample_kernel) +"
	" (SELECT count(*) FROM klimit) + (SELECT count(*) FROM hourly_kernel)"),
	"SELECT count(*) FROM sample",
	"SELECT count(*) FROM counts",
	/* every counts row is in its hour, and no hour counts more than its rows */
	("SELECT (SELECT count(*) FROM counts) - (SELECT coalesce(sum(samples), 0) FROM hourly)"),
	/* every kernel context is a sample's, and in its hour, counted once */
	("SELECT (SELECT count(*) FROM sample_kernel AS k WHERE NOT EXISTS (SELECT 1 FROM"
	" sample AS s WHERE s.ts = k.ts AND s.host = k.host)) + abs((SELECT count(*) FROM"
	" sample_kernel) - (SELECT coalesce(sum(samples), 0) FROM hourly_kernel))"),
	"DELETE FROM counts", "DELETE FROM sample", "DELETE FROM grp", "DELETE FROM host",
	"DELETE FROM hourly", "DELETE FROM sample_kernel", "DELETE FROM klimit",
	"DELETE FROM hourly_kernel",
};

static sqlite3 *db;
static sqlite3_stmt *q[NQ];

static void
fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_import.c:%d: check failed: %s\n", line, what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];
	int i;

	(void)argc;
	(void)argv;
	log_init("fuzz_import", LOG_LVL_QUIET);
	setenv("TZ", "Europe/Berlin", 1);
	err[0] = '\0';
	if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
	    db_migrate(db, ":memory:", err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_import: cannot set up the database: %s\n", err);
		exit(1);
	}
	/* The harness's own statements, prepared once: import_run is the cost to measure. */
	for (i = 0; i < NQ; i++)
		if (sqlite3_prepare_v3(db, qsql[i], -1, SQLITE_PREPARE_PERSISTENT, &q[i],
		    NULL) != SQLITE_OK) {
			fprintf(stderr, "fuzz_import: %s\n", sqlite3_errmsg(db));
			exit(1);
		}
	return 0;
}

/* The one value of q[i], or for a statement without a result 0. */
static int64_t
query(int i)
{
	int64_t n = 0;
	int rc;

	if ((rc = sqlite3_step(q[i])) == SQLITE_ROW)
		n = sqlite3_column_int64(q[i], 0);
	else if (rc != SQLITE_DONE) {
		fprintf(stderr, "fuzz_import: %s: %s\n", qsql[i], sqlite3_errmsg(db));
		abort();
	}
	sqlite3_reset(q[i]);
	return n;
}

static int netns_col;	/* the last header had the netns column */

/* One line as a CSV row, gathered into a sample as import.c would. */
static void
csv_line(char *s, size_t len, struct import_sample *cur, int *has_cur, size_t lineno)
{
	struct import_row r;
	char why[512];
	size_t line;

	why[0] = '\0';
	if (import_csv_row(s, len, netns_col, &r, why, sizeof(why)) == -1) {
		CHECK(why[0] != '\0');
		return;
	}
	CHECK(r.ts >= 0 && r.state >= 1 && r.state < IMPORT_NF);
	if (r.state <= TT_NSTATES || (import_unit(r.state) == IU_LISTEN &&
	    r.state != IMPORT_F(IX_MAX_FILL)))
		CHECK(r.count <= TT_COUNT_MAX);
	if (r.state == IMPORT_F(IX_MAX_FILL))
		CHECK(r.real >= 0 && r.real <= IMPORT_FILL_MAX);
	if (r.state == IMPORT_F(IX_INTERVAL))
		CHECK(r.count >= 1 && r.count <= 3600);
	if (r.state > TT_NSTATES && import_unit(r.state) != IU_LISTEN)
		CHECK(strcmp(r.group, "all") == 0 && r.count <= INT64_MAX);
	CHECK(strlen(r.host) > 0 && strlen(r.host) < TT_HOST_MAX);
	CHECK(strlen(r.netns) > 0 && strlen(r.netns) < TT_HOST_MAX);
	CHECK(import_group_ok(r.group, why, sizeof(why)) == 0);
	if (!*has_cur || !import_sample_same(cur, r.ts, r.host, r.netns, r.group)) {
		import_sample_start(cur, r.ts, r.host, r.netns, r.group, lineno);
		*has_cur = 1;
		CHECK(import_sample_same(cur, r.ts, r.host, r.netns, r.group));
	}
	if (import_sample_add(cur, r.state, r.count, lineno, why, sizeof(why)) == 0) {
		CHECK(cur->line[r.state] == lineno && cur->count[r.state] == r.count);
		CHECK(import_sample_clash(cur, cur->line, &line, why, sizeof(why)) == -1);
		CHECK(line >= cur->first);
	}
}

static void
cron_line(char *s, size_t len)
{
	struct cron_line c;
	char why[512];

	why[0] = '\0';
	if (import_cron_line(s, len, &c, why, sizeof(why)) == -1)
		CHECK(why[0] != '\0');
	else if (c.kind == CRON_COUNT)
		CHECK(state_name(c.state) != NULL && c.count <= TT_COUNT_MAX);
	else
		CHECK(c.kind == CRON_STAMP && c.ts >= 0);
}

static void
pure(const uint8_t *data, size_t size)
{
	struct import_sample cur;
	char *s, shown[64];
	const uint8_t *p = data, *end = data + size, *nl;
	size_t len, lineno = 0;
	int has_cur = 0, h;

	netns_col = 0;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lineno++;
		/* Each parser writes into its copy; s[len] must be writable. */
		if ((s = malloc(len + 1)) == NULL)
			return;
		memcpy(s, p, len);
		s[len] = '\0';
		(void)import_is_blank(s, len);
		if ((h = import_is_header(s, len)) != 0)
			netns_col = h == 2;
		(void)import_csv_complete(s, len);
		import_show(shown, sizeof(shown), s, len);
		CHECK(shown[0] == '\'' && strlen(shown) < sizeof(shown));
		import_show(shown, 12, s, len);
		CHECK(strlen(shown) < 12);
		csv_line(s, len, &cur, &has_cur, lineno);
		/* A NUL inside a line separates like a space in import_cron_line. */
		memcpy(s, p, len);
		if (memchr(p, '\0', len) == NULL)
			(void)import_group_ok(s, shown, sizeof(shown));
		cron_line(s, len);
		free(s);
		p += len + 1;
	}
}

static void
whole(const uint8_t *data, size_t size)
{
	struct import_stats st;
	char err[1024], *buf;
	FILE *f;
	int i, rc;

	/* fmemopen wants a buffer of at least one byte. */
	if ((buf = malloc(size + 1)) == NULL)
		return;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((f = fmemopen(buf, size > 0 ? size : 1, "r")) == NULL) {
		free(buf);
		return;
	}
	if (size == 0)
		fgetc(f);	/* the one byte is not input */
	err[0] = '\0';
	rc = import_run(db, "fuzz.db", f, "fuzz.txt", "cronhost", &st, err, sizeof(err));
	fclose(f);
	free(buf);
	if (rc != IMPORT_OK && rc != IMPORT_EINPUT) {
		fprintf(stderr, "fuzz_import: import_run returned %d: %s\n", rc, err);
		abort();
	}
	CHECK(sqlite3_get_autocommit(db));
	if (rc != IMPORT_OK) {
		CHECK(strncmp(err, "fuzz.txt:", 9) == 0);
		CHECK(query(Q_LEFT) == 0);
		return;
	}
	/* The database was empty: every sample is new. */
	CHECK(st.present == 0 && st.added == st.samples);
	CHECK((int64_t)st.samples == query(Q_SAMPLES));
	CHECK(query(Q_COUNTS) <= (int64_t)st.rows);
	CHECK(query(Q_HOURLY) == 0);
	CHECK(query(Q_KERNEL) == 0);
	for (i = Q_EMPTY1; i <= Q_EMPTY8; i++)
		query(i);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pure(data, size);
	whole(data, size);
	return 0;
}
