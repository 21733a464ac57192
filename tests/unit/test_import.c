#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collector.h"
#include "import.h"
#include "tcptally/db.h"

#define HDR	"ts,host,group,state,count\n"
#define FORMS	"CSV input starts with the header line ts,host,group,state,count, " \
		"a cron log with a timestamp line (@EPOCH, ISO 8601 such as " \
		"2026-11-23T18:00:01Z, or date(1) output such as " \
		"\"Mon Nov 23 18:00:01 UTC 2026\")"
#define STATES	"ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, " \
		"CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING"
#define LOGTIME	"not a timestamp; use @EPOCH, 2026-11-23T18:00:01Z (or +01:00, or " \
		"no zone for local time), \"2026-11-23 18:00:01\" (local) or date(1) " \
		"output like \"Mon Nov 23 18:00:01 UTC 2026\""

static char dir[64], dbpath[128], inpath[128];
static sqlite3 *db;
static char err[1024];
static struct import_stats st;
/* The host a cron log is stored as (the config's); one file holds one host. */
static const char *cron_host = "cronhost";

static int
setup(void **state)
{
	char e[512];

	(void)state;
	strcpy(dir, "/tmp/tt-importtest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/t.db", dir);
	snprintf(inpath, sizeof(inpath), "%s/in.txt", dir);
	db = db_open_rw(dbpath, e, sizeof(e));
	assert_non_null(db);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	sqlite3_close(db);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/* Write text to a temp file and import it, named "in.csv" in messages. */
static int
import_mem(const char *text, size_t len)
{
	FILE *f;
	int rc;

	assert_non_null(f = fopen(inpath, "w"));
	assert_int_equal(fwrite(text, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_non_null(f = fopen(inpath, "r"));
	err[0] = '\0';
	rc = import_run(db, "t.db", f, "in.csv", cron_host, &st, err, sizeof(err));
	fclose(f);
	return rc;
}

static int
import_text(const char *text)
{
	return import_mem(text, strlen(text));
}

/* Every row of a query, as text; malloc'd. */
static char *
dump(const char *sql)
{
	sqlite3_stmt *s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int i;

	assert_non_null(f);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		for (i = 0; i < sqlite3_column_count(s); i++)
			fprintf(f, "%s%s", i ? "|" : "", sqlite3_column_type(s, i) ==
			    SQLITE_NULL ? "NULL" : (const char *)sqlite3_column_text(s, i));
		fputc('\n', f);
	}
	sqlite3_finalize(s);
	fclose(f);
	return buf;
}

static char *
dump_all(void)
{
	char *a = dump("SELECT * FROM counts ORDER BY ts, host, grp");
	char *b = dump("SELECT * FROM sample ORDER BY ts, host");
	char *c = dump("SELECT * FROM host ORDER BY id");
	char *d = dump("SELECT * FROM grp ORDER BY id");
	char *all;

	assert_true(asprintf(&all, "counts\n%ssample\n%shost\n%sgrp\n%s", a, b, c, d) > 0);
	free(a);
	free(b);
	free(c);
	free(d);
	return all;
}

static int64_t
q1(const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_type(s, 0) == SQLITE_NULL ? -2 : sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void
assert_dump(const char *sql, const char *want)
{
	char *got = dump(sql);

	assert_string_equal(got, want);
	free(got);
}

/* Parser, line by line. */

static void
test_csv_row_ok(void **state)
{
	char line[] = "1795464350,\"web,1 \"\"x\"\"\",all,TIME_WAIT,4294967295";
	char plain[] = "0,h,g.1-_Z,CLOSING,0";
	struct import_row r;
	char why[512] = "";

	(void)state;
	assert_int_equal(import_csv_row(line, strlen(line), 0, &r, why, sizeof(why)), 0);
	assert_int_equal(r.ts, 1795464350);
	assert_string_equal(r.host, "web,1 \"x\"");
	assert_string_equal(r.group, "all");
	assert_int_equal(r.state, TT_TIME_WAIT);
	assert_int_equal(r.count, 4294967295u);
	assert_int_equal(import_csv_row(plain, strlen(plain), 0, &r, why, sizeof(why)), 0);
	assert_int_equal(r.ts, 0);
	assert_string_equal(r.group, "g.1-_Z");
	assert_int_equal(r.state, TT_CLOSING);
	assert_string_equal(r.netns, "host");	/* without the column: the host's own */
	assert_int_equal(import_is_header("ts,host,group,state,count", 25), 1);
	assert_int_equal(import_is_header("ts,host,group,state,count\r", 26), 1);
	assert_int_equal(import_is_header("ts,host,group,state,count,netns", 31), 2);
	assert_int_equal(import_is_header("ts,host,group,state,count,netns\r", 32), 2);
	assert_false(import_is_header("ts,host,group,state,count,netn", 30));
	assert_false(import_is_header("ts,host,group,state", 19));
	assert_false(import_csv_complete("1,\"a,b,c", 8));
	assert_true(import_csv_complete("1,\"a\"\"b\",c", 11));
}

/* With the netns column: six fields, the sixth a label. */
static void
test_csv_row_netns(void **state)
{
	char ok[] = "1795464350,web-1,all,CLOSE_WAIT,12,/kubepods.slice/x.scope";
	char five[] = "1795464350,web-1,all,CLOSE_WAIT,12";
	char six[] = "1795464350,web-1,all,CLOSE_WAIT,12,ttns-a";
	char empty[] = "1795464350,web-1,all,CLOSE_WAIT,12,";
	char ctl[] = "1795464350,web-1,all,CLOSE_WAIT,12,a\tb";
	struct import_row r;
	char why[512] = "";

	(void)state;
	assert_int_equal(import_csv_row(ok, strlen(ok), 1, &r, why, sizeof(why)), 0);
	assert_string_equal(r.netns, "/kubepods.slice/x.scope");
	assert_string_equal(r.host, "web-1");
	assert_int_equal(r.count, 12);
	assert_int_equal(import_csv_row(five, strlen(five), 1, &r, why, sizeof(why)), -1);
	assert_string_equal(why, "expected 6 fields (ts,host,group,state,count,netns), found 5");
	assert_int_equal(import_csv_row(six, strlen(six), 0, &r, why, sizeof(why)), -1);
	assert_string_equal(why, "expected 5 fields (ts,host,group,state,count), found 6");
	assert_int_equal(import_csv_row(empty, strlen(empty), 1, &r, why, sizeof(why)), -1);
	assert_string_equal(why, "netns is not 1 to 255 bytes of printable UTF-8 (the label of a "
	    "network namespace: host, a name under /run/netns, a cgroup, netns:INODE)");
	assert_int_equal(import_csv_row(ctl, strlen(ctl), 1, &r, why, sizeof(why)), -1);
}

static void
expect_csv(const char *text, const char *want)
{
	char line[512], why[512] = "";
	struct import_row r;

	snprintf(line, sizeof(line), "%s", text);
	assert_int_equal(import_csv_row(line, strlen(line), 0, &r, why, sizeof(why)), -1);
	assert_string_equal(why, want);
}

static void
test_csv_row_errors(void **state)
{
	(void)state;
	expect_csv("1,h,all,LISTEN", "expected 5 fields (ts,host,group,state,count), found 4");
	expect_csv("1,h,all,LISTEN,2,3",
	    "expected 5 fields (ts,host,group,state,count), found 6");
	expect_csv("12x,h,all,LISTEN,2", "bad timestamp '12x': expected unix seconds, "
	    "a whole number such as 1795464350");
	expect_csv("-5,h,all,LISTEN,2", "bad timestamp '-5': expected unix seconds, "
	    "a whole number such as 1795464350");
	expect_csv("999999999999999999999,h,all,LISTEN,2", "timestamp "
	    "'999999999999999999999' is out of range (0 to 253402300799)");
	expect_csv("1,,all,LISTEN,2", "empty host name");
	expect_csv("1,h,,LISTEN,2", "empty group name; group names are 1 to 63 "
	    "characters of A-Z a-z 0-9 _ . -");
	expect_csv("1,h,we b,LISTEN,2", "group name 'we b' has invalid characters; "
	    "use only A-Z a-z 0-9 _ . -");
	expect_csv("1,h,all,LISTENING,2", "unknown state 'LISTENING'; the states are "
	    STATES);
	expect_csv("1,h,all,listen,2", "unknown state 'listen' (did you mean 'LISTEN'?); "
	    "the states are " STATES);
	expect_csv("1,h,all,LISTEN,-1", "bad count '-1' for LISTEN: expected a whole "
	    "number from 0 to 1000000000000");
	expect_csv("1,h,all,LISTEN,1000000000001", "count '1000000000001' for LISTEN is "
	    "too large (at most 1000000000000)");
	expect_csv("1,h,all,LISTEN,18446744073709551616", "count "
	    "'18446744073709551616' for LISTEN is too large (at most 1000000000000)");
	expect_csv("1,h\"x,all,LISTEN,2", "field 2: stray '\"'; a field with quotes must "
	    "be quoted whole, e.g. \"a\"\"b\"");
	expect_csv("1,\"hx\"y,all,LISTEN,2", "field 2: 'y' after the closing quote; a "
	    "quote inside a quoted field is written \"\"");
	expect_csv("1,\"hx,all,LISTEN,2", "field 2: unterminated quoted field");
}

static void
test_cron_lines(void **state)
{
	char why[512] = "", l1[] = "  @1795456801 ", l2[] = "Mon Nov 23 18:00:01 UTC 2026";
	char l3[] = "2026-11-23T18:00:01Z", l4[] = "CLOSE_WAIT\t17", l5[] = "LISTEN 3 4";
	char l6[] = "FOO 3", l7[] = "TIME_WAIT x", l8[] = "Mon Nov 31 18:00:01 UTC 2026";
	char l9[] = "2026-11-23 18:02:01", l10[] = "LISTEN\0 3";
	struct cron_line c;

	(void)state;
	assert_int_equal(import_cron_line(l1, strlen(l1), &c, why, sizeof(why)), 0);
	assert_int_equal(c.kind, CRON_STAMP);
	assert_int_equal(c.ts, 1795456801);
	assert_int_equal(import_cron_line(l2, strlen(l2), &c, why, sizeof(why)), 0);
	assert_int_equal(c.ts, 1795456801);
	assert_int_equal(import_cron_line(l3, strlen(l3), &c, why, sizeof(why)), 0);
	assert_int_equal(c.ts, 1795456801);
	assert_int_equal(import_cron_line(l4, strlen(l4), &c, why, sizeof(why)), 0);
	assert_int_equal(c.kind, CRON_COUNT);
	assert_int_equal(c.state, TT_CLOSE_WAIT);
	assert_int_equal(c.count, 17);
	assert_int_equal(import_cron_line(l5, strlen(l5), &c, why, sizeof(why)), -1);
	assert_string_equal(why, "expected 'STATE COUNT', found 3 fields");
	assert_int_equal(import_cron_line(l6, strlen(l6), &c, why, sizeof(why)), -1);
	assert_string_equal(why, "unknown state 'FOO'; the states are " STATES);
	assert_int_equal(import_cron_line(l7, strlen(l7), &c, why, sizeof(why)), -1);
	assert_string_equal(why, "bad count 'x' for TIME_WAIT: expected a whole number "
	    "from 0 to 1000000000000");
	assert_int_equal(import_cron_line(l8, strlen(l8), &c, why, sizeof(why)), -1);
	assert_string_equal(why, "bad timestamp 'Mon Nov 31 18:00:01 UTC 2026': " LOGTIME);
	/* A local time with a space is a stamp, not "STATE COUNT". */
	assert_int_equal(import_cron_line(l9, strlen(l9), &c, why, sizeof(why)), 0);
	assert_int_equal(c.kind, CRON_STAMP);
	/* A NUL byte inside a line separates like a space (it used to spin). */
	assert_int_equal(import_cron_line(l10, sizeof(l10) - 1, &c, why, sizeof(why)), 0);
	assert_int_equal(c.count, 3);
}

/* A sample at most IMPORT_FUTURE_MAX ahead of the clock; further is refused, saying how far. */
static void
test_future_row(void **state)
{
	char why[512] = "";
	int64_t now = 1795464350;	/* 2026-11-23T20:05:50Z */

	(void)state;
	assert_int_equal(IMPORT_FUTURE_MAX, 60);
	assert_int_equal(import_future(now, now, why, sizeof(why)), 0);
	assert_int_equal(import_future(now - 86400 * 365, now, why, sizeof(why)), 0);
	assert_int_equal(import_future(now + 60, now, why, sizeof(why)), 0);
	assert_int_equal(import_future(now + 61, now, why, sizeof(why)), -1);
	assert_string_equal(why, "timestamp 2026-11-23T20:06:51Z is 1m 1s ahead of this "
	    "host's clock (2026-11-23T20:05:50Z; at most 60 s ahead is accepted): if the "
	    "clock is right, fix the row's time or drop the row; if the clock is behind, "
	    "set it and import again");
	assert_int_equal(import_future(now + 86400 + 3600, now, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "2026-11-24T21:05:50Z is 1d 1h ahead"));
}

/* Whole files: each error is FILE:LINE: message, and nothing is written. */

static void
expect_bad_mem(const char *text, size_t len, const char *want)
{
	char *before = dump_all(), *after;

	assert_int_equal(import_mem(text, len), IMPORT_EINPUT);
	assert_string_equal(err, want);
	after = dump_all();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static void
expect_bad(const char *text, const char *want)
{
	expect_bad_mem(text, strlen(text), want);
}

/* The message starts with want and holds also, and nothing is written. */
static void
expect_bad_part(const char *text, const char *want, const char *also)
{
	char *before = dump_all(), *after;

	assert_int_equal(import_text(text), IMPORT_EINPUT);
	if (strncmp(err, want, strlen(want)) != 0 || strstr(err, also) == NULL)
		fail_msg("got '%s', want '%s...%s...'", err, want, also);
	after = dump_all();
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* Against the real clock: rows from the year 9999 are ahead of any. */
static void
test_future_file(void **state)
{
	(void)state;
	cron_host = "web-1";
	assert_int_equal(import_text(HDR "1795464350,web-1,all,LISTEN,1\n"), IMPORT_OK);
	expect_bad_part(HDR "1795464360,web-1,all,LISTEN,1\n"
	    "253402300799,web-1,all,LISTEN,1\n", "in.csv:3: timestamp "
	    "9999-12-31T23:59:59Z is ", " ahead of this host's clock (");
	expect_bad_part("@1795456801\nLISTEN 4\nFri Dec 31 23:59:59 UTC 9999\nLISTEN 5\n",
	    "in.csv:3: timestamp 9999-12-31T23:59:59Z is ", "set it and import again");
	expect_bad_part("@253402300799\n", "in.csv:1: timestamp 9999-12-31T23:59:59Z ",
	    "at most 60 s ahead is accepted");
	assert_int_equal(q1("SELECT count(*) FROM counts"), 1);
	cron_host = "cronhost";
}

static void
test_file_errors(void **state)
{
	(void)state;
	cron_host = "web-1";
	assert_int_equal(import_text(HDR "1795464350,web-1,all,LISTEN,1\n"), IMPORT_OK);
	expect_bad("ts,host,grp,state,count\n1,web-1,all,LISTEN,2\n", "in.csv:1: "
	    "'ts,host,grp,state,count' is neither the CSV header nor a cron-log "
	    "timestamp; " FORMS);
	expect_bad("\n\n" HDR "1,web-1,all,LISTEN,2\n1,web-1,all\n", "in.csv:5: expected 5 "
	    "fields (ts,host,group,state,count), found 3");
	expect_bad(HDR "1,web-1,all,LISTEN,2\nnow,web-1,all,LISTEN,2\n", "in.csv:3: bad "
	    "timestamp 'now': expected unix seconds, a whole number such as 1795464350");
	expect_bad(HDR "1,web-1,all,LISTN,2\n", "in.csv:2: unknown state 'LISTN'; the "
	    "states are " STATES);
	expect_bad(HDR "1,web-1,all,LISTEN,-2\n", "in.csv:2: bad count '-2' for LISTEN: "
	    "expected a whole number from 0 to 1000000000000");
	expect_bad(HDR "1,web-1,all,LISTEN,1000000000001\n", "in.csv:2: count "
	    "'1000000000001' for LISTEN is too large (at most 1000000000000)");
	expect_bad("@1795456801\nLISTEN 4\nCLOSING 1000000000001\n", "in.csv:3: count "
	    "'1000000000001' for CLOSING is too large (at most 1000000000000)");
	expect_bad(HDR "1,web-1,web/1,LISTEN,2\n", "in.csv:2: group name 'web/1' has "
	    "invalid characters; use only A-Z a-z 0-9 _ . -");
	expect_bad(HDR "1,web-1,all,LISTEN,2\n1,web-1,all,CLOSING,2\n1,web-1,all,LISTEN,3\n",
	    "in.csv:4: duplicate LISTEN for ts 1, host 'web-1', group 'all' (first given "
	    "on line 2)");
	/* non-contiguous: found when the key's second run is written */
	expect_bad(HDR "1,web-1,all,LISTEN,2\n1,web-1,web,LISTEN,2\n1,web-1,all,CLOSING,1\n"
	    "1,web-1,all,LISTEN,5\n2,web-1,all,LISTEN,1\n", "in.csv:5: duplicate LISTEN for ts 1, "
	    "host 'web-1', group 'all' (first given on line 2)");
	/* ... also when the next line is bad itself: the earlier error wins */
	expect_bad(HDR "1,web-1,all,LISTEN,2\n1,web-1,web,LISTEN,2\n1,web-1,all,LISTEN,5\nx\n",
	    "in.csv:4: duplicate LISTEN for ts 1, host 'web-1', group 'all' (first given "
	    "on line 2)");
	expect_bad(HDR "1,\"h\nx,all,LISTEN,2\n", "in.csv:2: field 2: unterminated "
	    "quoted field");
	expect_bad("LISTEN 3\n@1795456801\nLISTEN 4\n", "in.csv:1: 'LISTEN 3' comes "
	    "before any timestamp; " FORMS);
	expect_bad("@1795456801\nLISTEN 4\n\nMon Nov 31 18:00:01 UTC 2026\nLISTEN 1\n",
	    "in.csv:4: bad timestamp 'Mon Nov 31 18:00:01 UTC 2026': " LOGTIME);
	expect_bad("@1795456801\n@1795456811\nLISTEN 4\n", "in.csv:1: timestamp with no "
	    "counts; a timestamp line must be followed by 'STATE COUNT' lines");
	expect_bad("@1795456801\nLISTEN 4\n@1795456811\n\n", "in.csv:3: timestamp with "
	    "no counts; a timestamp line must be followed by 'STATE COUNT' lines");
	expect_bad("@1795456801\nLISTEN 4\nESTABLISHED 2\nLISTEN 4\n", "in.csv:4: "
	    "duplicate LISTEN for ts 1795456801, host 'web-1', group 'all' (first "
	    "given on line 2)");
	expect_bad("@1795456801\nFOO x\n", "in.csv:2: bad timestamp 'FOO x': " LOGTIME);
	/* the same timestamp twice: blocks merge, a state given in both is an error */
	expect_bad("@1795456801\nLISTEN 4\n@1795456811\nLISTEN 1\n@1795456801\n"
	    "CLOSING 1\nLISTEN 5\nbad\n", "in.csv:7: duplicate LISTEN for ts 1795456801, "
	    "host 'web-1', group 'all' (first given on line 2)");
	/* a zone that is neither UTC nor the local one (EST was read as 10:04Z) */
	setenv("TZ", "UTC", 1);
	tzset();
	expect_bad("@1795456801\nLISTEN 4\nSat Nov 29 10:04:01 EST 2026\nLISTEN 1\n",
	    "in.csv:3: bad timestamp 'Sat Nov 29 10:04:01 EST 2026': time zone 'EST' is "
	    "neither UTC nor the local zone (UTC, from TZ), so the time cannot be placed; "
	    "re-log with `LC_ALL=C TZ=UTC date`, or run the import with TZ set to the "
	    "log's zone (such as TZ=America/New_York)");
	expect_bad("@1795456801\nLISTEN 4\nLISTEN: 4\n", "in.csv:3: unknown state "
	    "'LISTEN:'; the states are " STATES);
	expect_bad("@1795456801\nLISTEN 4\n18:00 Nov 23\n", "in.csv:3: bad timestamp "
	    "'18:00 Nov 23': " LOGTIME);
	expect_bad_mem(HDR "1,web-1,all,LISTEN,2\n2,web-1,all,LISTEN,2\0\n", sizeof(HDR) + 42,
	    "in.csv:3: NUL byte in line; is this a text file?");
	assert_int_equal(q1("SELECT count(*) FROM counts"), 1);
	cron_host = "cronhost";
}

static void
test_import_values(void **state)
{
	char *before, *after;

	(void)state;
	assert_int_equal(import_text(HDR
	    "1795464350,web-1,all,ESTABLISHED,123\n"
	    "1795464350,web-1,all,LISTEN,7\n"
	    "1795464350,web-1,web,ESTABLISHED,100\n"
	    "1795464350,web-1,db,TIME_WAIT,4294967295\n"
	    "\n"
	    "1795464360,web-1,web,CLOSE_WAIT,5\n"), IMPORT_OK);
	assert_int_equal(st.rows, 5);
	assert_int_equal(st.samples, 2);
	assert_int_equal(st.added, 2);
	assert_int_equal(st.present, 0);
	assert_dump("SELECT ts, host, grp, state, count FROM state_counts"
	    " WHERE count != 0 ORDER BY ts, host, grp, state",
	    "1795464350|web-1|all|ESTABLISHED|123\n"
	    "1795464350|web-1|all|LISTEN|7\n"
	    "1795464350|web-1|db|TIME_WAIT|4294967295\n"
	    "1795464350|web-1|web|ESTABLISHED|100\n"
	    "1795464360|web-1|web|CLOSE_WAIT|5\n");
	/* missing states are 0: every state is there */
	assert_int_equal(q1("SELECT count(*) FROM state_counts"), 4 * 11);
	assert_int_equal(q1("SELECT count(*) FROM state_counts WHERE count = 0"), 4 * 11 - 5);
	assert_dump("SELECT ts, host, missed, retried, suspect, duration_ms, sockets"
	    " FROM samples ORDER BY ts, host",
	    "1795464350|web-1|0|0|0|NULL|130\n"
	    "1795464360|web-1|0|0|0|NULL|NULL\n");
	assert_int_equal(q1("SELECT count(*) FROM sample WHERE flags = 8"), 2);
	assert_int_equal(SAMPLE_IMPORTED, 8);

	/* again: nothing new, nothing changed */
	before = dump_all();
	assert_int_equal(import_text(HDR
	    "1795464350,web-1,all,ESTABLISHED,123\n"
	    "1795464350,web-1,all,LISTEN,7\n"
	    "1795464350,web-1,web,ESTABLISHED,100\n"
	    "1795464350,web-1,db,TIME_WAIT,4294967295\n"
	    "1795464360,web-1,web,CLOSE_WAIT,5\n"), IMPORT_OK);
	assert_int_equal(st.samples, 2);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.present, 2);
	after = dump_all();
	assert_string_equal(before, after);
	free(after);

	/* a bad line at the end of many good ones changes nothing */
	assert_int_equal(import_text(HDR
	    "1795464370,web-1,all,ESTABLISHED,1\n"
	    "1795464380,web-1,all,ESTABLISHED,1\n"
	    "1795464380,web-1,new,ESTABLISHED,1\n"
	    "1795464390,web-1,all,ESTABLISHED,x\n"), IMPORT_EINPUT);
	assert_string_equal(err, "in.csv:5: bad count 'x' for ESTABLISHED: expected a "
	    "whole number from 0 to 1000000000000");
	after = dump_all();
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* an old sample that gains a group is new; its sample row stays as it was */
	assert_int_equal(import_text(HDR "1795464360,web-1,all,LISTEN,2\n"), IMPORT_OK);
	assert_int_equal(st.added, 1);
	assert_int_equal(q1("SELECT sockets FROM sample WHERE ts = 1795464360"), -2);
	assert_int_equal(q1("SELECT count(*) FROM counts WHERE ts = 1795464360"), 2);
}

/* Counts are 64-bit end to end: past 2^32 up to TT_COUNT_MAX, stored exactly. */
static void
test_count_bound(void **state)
{
	char why[512] = "", l1[] = "ESTABLISHED 1000000000000", l2[] = "LISTEN 4294967296";
	struct cron_line c;

	(void)state;
	cron_host = "h";
	assert_int_equal(TT_COUNT_MAX, 1000000000000LL);
	assert_int_equal(import_cron_line(l1, strlen(l1), &c, why, sizeof(why)), 0);
	assert_true(c.count == (uint64_t)TT_COUNT_MAX);
	assert_int_equal(import_cron_line(l2, strlen(l2), &c, why, sizeof(why)), 0);
	assert_true(c.count == 4294967296ULL);
	assert_int_equal(import_text(HDR
	    "1795464350,h,all,ESTABLISHED,4294967296\n"
	    "1795464350,h,all,TIME_WAIT,1000000000000\n"
	    "1795464350,h,all,LISTEN,4294967295\n"), IMPORT_OK);
	assert_dump("SELECT state, count FROM state_counts WHERE count != 0 ORDER BY state",
	    "ESTABLISHED|4294967296\nLISTEN|4294967295\nTIME_WAIT|1000000000000\n");
	assert_int_equal(q1("SELECT sockets FROM sample"),
	    4294967296LL + 1000000000000LL + 4294967295LL);
	assert_int_equal(q1("SELECT established_sum + time_wait_max FROM hourly"),
	    4294967296LL + 1000000000000LL);
	assert_int_equal(import_text("@1795464360\nCLOSE_WAIT 1000000000000\n"
	    "LISTEN 4294967296\n"), IMPORT_OK);
	assert_int_equal(q1("SELECT close_wait + listen FROM counts WHERE ts = 1795464360"),
	    1000000000000LL + 4294967296LL);
	expect_bad(HDR "1795464370,h,all,LISTEN,1000000000001\n", "in.csv:2: count "
	    "'1000000000001' for LISTEN is too large (at most 1000000000000)");
	assert_int_equal(q1("SELECT count(*) FROM sample"), 2);
	cron_host = "cronhost";
}

/* A key that comes back later is merged; sockets follow group all. */
static void
test_merge_noncontiguous(void **state)
{
	(void)state;
	assert_int_equal(import_text(HDR
	    "10,h,web,LISTEN,1\n"
	    "10,h,all,ESTABLISHED,5\n"
	    "20,h,all,ESTABLISHED,6\n"
	    "10,h,all,LISTEN,2\n"
	    "10,h,web,CLOSING,3\n"
	    HDR
	    "30,h,all,LISTEN,9\n"), IMPORT_OK);
	assert_int_equal(st.samples, 3);
	assert_int_equal(st.added, 3);
	assert_dump("SELECT ts, host, grp, state, count FROM state_counts"
	    " WHERE count != 0 ORDER BY ts, host, grp, state",
	    "10|h|all|ESTABLISHED|5\n"
	    "10|h|all|LISTEN|2\n"
	    "10|h|web|CLOSING|3\n"
	    "10|h|web|LISTEN|1\n"
	    "20|h|all|ESTABLISHED|6\n"
	    "30|h|all|LISTEN|9\n");
	assert_dump("SELECT ts, host, sockets FROM samples ORDER BY ts, host",
	    "10|h|7\n20|h|6\n30|h|9\n");
}

static void
test_cron_log(void **state)
{
	(void)state;
	assert_int_equal(import_text(
	    "Mon Nov 23 18:00:01 UTC 2026\n"
	    "ESTABLISHED 12\n"
	    "LISTEN 3\n"
	    "\n"
	    "@1795456811\n"
	    "TIME_WAIT 40\n"
	    "ESTABLISHED 10\n"
	    "Tue Nov  3 09:05:00 UTC 2026\n"
	    "  CLOSE_WAIT 1  \n"), IMPORT_OK);
	assert_int_equal(st.rows, 5);
	assert_int_equal(st.samples, 3);
	assert_int_equal(st.added, 3);
	assert_dump("SELECT ts, host, grp, state, count FROM state_counts"
	    " WHERE count != 0 ORDER BY ts, state",
	    "1793696700|cronhost|all|CLOSE_WAIT|1\n"
	    "1795456801|cronhost|all|ESTABLISHED|12\n"
	    "1795456801|cronhost|all|LISTEN|3\n"
	    "1795456811|cronhost|all|ESTABLISHED|10\n"
	    "1795456811|cronhost|all|TIME_WAIT|40\n");
	assert_int_equal(q1("SELECT count(*) FROM state_counts"), 3 * 11);
	assert_dump("SELECT ts, sockets, flags, duration_us FROM sample ORDER BY ts",
	    "1793696700|1|8|NULL\n1795456801|15|8|NULL\n1795456811|50|8|NULL\n");
	assert_int_equal(import_text("@1795456811\nESTABLISHED 10\nTIME_WAIT 40\n"),
	    IMPORT_OK);
	assert_int_equal(st.added, 0);
	assert_int_equal(st.present, 1);
}

/* One file holds one host: another host's rows are refused, nothing is written. */
static void
test_one_host(void **state)
{
	(void)state;
	assert_int_equal(import_text(HDR "10,web-1,all,LISTEN,1\n"), IMPORT_OK);
	expect_bad(HDR "20,web-1,all,LISTEN,1\n20,web-2,all,LISTEN,1\n",
	    "in.csv:3: host 'web-2' is not this database's host 'web-1'; one file holds one "
	    "host: import the rows of 'web-2' into a database of its own (a config with "
	    "its own `database:` and `host:`)");
	/* a cron log is the config's host: here another one */
	expect_bad("@20\nLISTEN 1\n", "in.csv:1: host 'cronhost' is not this database's "
	    "host 'web-1'; one file holds one host: import the rows of 'cronhost' into a "
	    "database of its own (a config with its own `database:` and `host:`)");
	assert_int_equal(q1("SELECT count(*) FROM sample"), 1);
	/* a database of two hosts (older imports) takes none */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO host (name) VALUES ('old')", NULL, NULL,
	    NULL), SQLITE_OK);
	assert_int_equal(import_text(HDR "30,web-1,all,LISTEN,1\n"), IMPORT_EDB);
	assert_string_equal(err, "t.db holds 2 hosts (imports of an older tcptally kept any "
	    "host name); one file holds one host: split it (tcptally-report(1), FLEETS), or "
	    "import into a new database");
	assert_int_equal(q1("SELECT count(*) FROM sample"), 1);
}

/* What `export` writes, as other tools may pass it on: CRLF, BOM, quoted newlines. */
static void
test_csv_variants(void **state)
{
	(void)state;
	assert_int_equal(import_text("\xef\xbb\xbfts,host,group,state,count\r\n"
	    "5,\"a,\"\"b\"\"\",all,LISTEN,1\r\n"
	    "5,\"a,\"\"b\"\"\",all,CLOSING,2\r\n"
	    "\r\n"
	    "6,\"a,\"\"b\"\"\",all,LISTEN,3\r\n"), IMPORT_OK);
	assert_int_equal(st.samples, 2);
	assert_dump("SELECT ts, host, state, count FROM state_counts"
	    " WHERE count != 0 ORDER BY ts, state",
	    "5|a,\"b\"|CLOSING|2\n5|a,\"b\"|LISTEN|1\n6|a,\"b\"|LISTEN|3\n");
	/* a quoted newline parses, but a host name may not hold control characters:
	 * it would end up in Nagios status lines and terminals */
	assert_int_not_equal(import_text(HDR "7,\"a\nb\",all,LISTEN,1\n"), IMPORT_OK);
	/* an empty input, or a header alone, imports nothing */
	assert_int_equal(import_text(""), IMPORT_OK);
	assert_int_equal(st.samples, 0);
	assert_int_equal(import_text(HDR), IMPORT_OK);
	assert_int_equal(st.samples, 0);
}

/* Rows as export writes them: ordered, every state, many samples. */
static void
test_many_rows(void **state)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int t, g, s;

	(void)state;
	assert_non_null(f);
	fputs(HDR, f);
	for (t = 0; t < 2000; t++)
		for (g = 0; g < 3; g++)
			for (s = 1; s <= TT_NSTATES; s++)
				fprintf(f, "%d,host,%s,%s,%d\n", 1000 + t * 10,
				    g == 0 ? "all" : g == 1 ? "web" : "ssh", state_name(s),
				    t + s + g);
	fclose(f);
	assert_int_equal(import_text(buf), IMPORT_OK);
	free(buf);
	assert_int_equal(st.rows, 2000 * 3 * 11);
	assert_int_equal(st.samples, 2000);
	assert_int_equal(q1("SELECT count(*) FROM counts"), 6000);
	assert_int_equal(q1("SELECT sum(count) FROM state_counts WHERE grp = 'ssh'"),
	    (int64_t)2000 * (11 * 2 + 66) + (int64_t)11 * (1999 * 2000 / 2));
	assert_int_equal(q1("SELECT sockets FROM sample WHERE ts = 1010"), 11 + 66);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csv_row_ok),
		cmocka_unit_test(test_csv_row_netns),
		cmocka_unit_test(test_csv_row_errors),
		cmocka_unit_test(test_cron_lines),
		cmocka_unit_test(test_future_row),
		cmocka_unit_test_setup_teardown(test_future_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_import_values, setup, teardown),
		cmocka_unit_test_setup_teardown(test_count_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_noncontiguous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cron_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_variants, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_rows, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
