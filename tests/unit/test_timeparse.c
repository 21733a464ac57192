#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "tcptally/timeutil.h"

#define NOW		1795464350LL		/* 2026-11-23T20:05:50Z */
#define T1800		1795456800LL		/* 2026-11-23T18:00:00Z */

static const char time_why[] = "not a time; use 2026-11-23T18:00:00Z, "
    "\"2026-11-23 18:00\" (local), @EPOCH, -2h or now";

static void
set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static int
have_berlin(void)
{
	if (access("/usr/share/zoneinfo/Europe/Berlin", R_OK) == -1) {
		print_message("no zoneinfo: Europe/Berlin checks skipped\n");
		return 0;
	}
	set_tz("Europe/Berlin");
	return 1;
}

static void
ok(const char *s, int64_t want)
{
	int64_t got = -1;
	const char *why = NULL;

	if (time_parse(s, NOW, &got, &why) != 0)
		fail_msg("'%s' rejected: %s", s, why);
	assert_int_equal(got, want);
}

static void
bad(const char *s)
{
	int64_t got = 42;
	const char *why = NULL;

	if (time_parse(s, NOW, &got, &why) != -1)
		fail_msg("'%s' accepted as %lld", s, (long long)got);
	assert_string_equal(why, time_why);
}

static void
logok(const char *s, int64_t want)
{
	int64_t got = -1;
	const char *why = NULL;

	if (logtime_parse(s, &got, &why) != 0)
		fail_msg("'%s' rejected: %s", s, why);
	assert_int_equal(got, want);
}

static void
logbad(const char *s)
{
	int64_t got = 42;
	const char *why = NULL;

	if (logtime_parse(s, &got, &why) != -1)
		fail_msg("'%s' accepted as %lld", s, (long long)got);
	assert_non_null(why);
	assert_non_null(strstr(why, "@EPOCH"));
	assert_non_null(strstr(why, "Mon Nov 23 18:00:01 UTC 2026"));
}

/* Refused for its zone: the reason names it, the local zone and the fixes. */
static void
logzone(const char *s, const char *zone, const char *local)
{
	char want[128];
	int64_t got = 42;
	const char *why = NULL;

	if (logtime_parse(s, &got, &why) != -1)
		fail_msg("'%s' accepted as %lld", s, (long long)got);
	snprintf(want, sizeof(want), "time zone '%s' is neither UTC nor the local zone "
	    "(%s, from TZ)", zone, local);
	if (why == NULL || strncmp(why, want, strlen(want)) != 0)
		fail_msg("'%s': want '%s...', got '%s'", s, want, why ? why : "(null)");
	assert_non_null(strstr(why, "re-log with `LC_ALL=C TZ=UTC date`, or run the "
	    "import with TZ set to the log's zone"));
}

static int
have_zone(const char *tz)
{
	char path[128];

	snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", tz);
	if (access(path, R_OK) == -1) {
		print_message("no zoneinfo: %s checks skipped\n", tz);
		return 0;
	}
	set_tz(tz);
	return 1;
}

static void
test_time_utc(void **state)
{
	(void)state;
	set_tz("UTC");
	ok("2026-11-23T18:00:00Z", T1800);
	ok("2026-11-23T18:00:00+01:00", T1800 - 3600);
	ok("2026-11-23T18:00:00-05:30", T1800 + 5 * 3600 + 1800);
	ok("2026-11-23T18:00:00+0100", T1800 - 3600);
	ok("2026-11-23T18:00:00+00:00", T1800);
	ok("2026-11-23T23:59:60Z", 1795478400LL);	/* leap second */
	ok("2024-02-29T12:00:00Z", 1709208000LL);
	ok("1970-01-01T00:00:00Z", 0);
	ok("@1795464350", 1795464350LL);
	ok("@0", 0);
	ok("now", NOW);
}

static void
test_time_relative(void **state)
{
	(void)state;
	ok("-2h", NOW - 7200);
	ok("-30m", NOW - 1800);
	ok("-7d", NOW - 7 * 86400);
	ok("-90s", NOW - 90);
	ok("-0", NOW);
}

static void
test_time_local(void **state)
{
	(void)state;
	set_tz("UTC");
	ok("2026-11-23 18:00", T1800);
	ok("2026-11-23 18:00:05", T1800 + 5);
	ok("2026-11-23T18:00:00", T1800);
	ok("2026-11-23", 1795392000LL);
	if (!have_berlin())
		return;
	ok("2026-11-23 18:00", T1800 - 3600);		/* CET */
	ok("2026-07-01 12:00", 1782907200LL - 7200);	/* CEST */
	ok("2026-11-23", 1795392000LL - 3600);
	ok("2026-11-23T18:00:00Z", T1800);		/* TZ ignored */
	ok("2026-11-23T18:00:00+01:00", T1800 - 3600);
	set_tz("UTC");
}

static void
test_time_bad(void **state)
{
	(void)state;
	set_tz("UTC");
	bad("");
	bad("yesterday");
	bad("Now");
	bad("2026-13-01");
	bad("2026-00-01");
	bad("2026-02-29");
	bad("2026-11-31");
	bad("2026-11-00");
	bad("2026-11-23 24:00");
	bad("2026-11-23 18:60");
	bad("2026-11-23 18:00:61");
	bad("2026-11-23T18:00:00Zx");
	bad("2026-11-23 18:00 ");
	bad("2026-11-23 18");
	bad("2026-1-23");
	bad("26-11-23");
	bad("2026-11-23T18:00:00+25:00");
	bad("2026-11-23T18:00:00+01:60");
	bad("2026-11-23T18:00:00+1");
	bad("2026-11-23x18:00");
	bad("1969-12-31");
	bad("@");
	bad("@12a");
	bad("@-5");
	bad("@99999999999999999999");
	bad("-");
	bad("-2");
	bad("-2x");
	bad("--2h");
	bad("+2h");
	bad("2h");
}

static void
test_logtime(void **state)
{
	(void)state;
	set_tz("UTC");
	logok("@1795464350", 1795464350LL);
	logok("2026-11-23T18:00:01Z", T1800 + 1);
	logok("2026-11-23T18:00:01+01:00", T1800 + 1 - 3600);
	logok("2026-11-23 18:00:01", T1800 + 1);
	logok("2026-11-23T18:00:01", T1800 + 1);
	logok("Mon Nov 23 18:00:01 UTC 2026", T1800 + 1);
	logok("Mon Nov 23 18:00:01 GMT 2026", T1800 + 1);
	logok("Mon Nov 23 18:00:01 Z 2026", T1800 + 1);
	logok("Tue Nov  3 18:00:01 UTC 2026", 1793728801LL);
	logok("Tue Nov 3 18:00:01 UTC 2026", 1793728801LL);
	logok("Mon Nov 23 18:00:01 +04 2026", T1800 + 1 - 4 * 3600);
	logok("Mon Nov 23 18:00:01 -0130 2026", T1800 + 1 + 5400);
	logok("Mon Nov 23 18:00:01 2026", T1800 + 1);	/* ctime(3) */
	logok("  Mon Nov 23 18:00:01 UTC 2026\r\n", T1800 + 1);
	logok("@1795464350\n", 1795464350LL);
}

static void
test_logtime_local(void **state)
{
	(void)state;
	if (!have_berlin())
		return;
	logok("Mon Nov 23 18:00:01 CET 2026", T1800 + 1 - 3600);
	logok("Wed Jul  1 12:00:00 CEST 2026", 1782907200LL - 7200);
	logok("Mon Nov 23 18:00:01 UTC 2026", T1800 + 1);
	logok("2026-11-23 18:00:01", T1800 + 1 - 3600);
	/* 02:30 happens twice; the abbreviation says which. */
	logok("Sun Oct 25 02:30:00 CEST 2026", 1792888200LL);
	logok("Sun Oct 25 02:30:00 CET 2026", 1792891800LL);
	logzone("Sat Nov 29 10:04:01 EST 2026", "EST", "CET or CEST");
	set_tz("UTC");
}

/*
 * A zone abbreviation other than UTC and the local zone's cannot be placed
 * (EST was read as local time, 10:04Z under TZ=UTC): refused, with the fixes.
 */
static void
test_logtime_zones(void **state)
{
	(void)state;
	set_tz("UTC");
	logzone("Sat Nov 29 10:04:01 EST 2026", "EST", "UTC");
	logzone("Mon Nov 23 18:00:01 CET 2026", "CET", "UTC");
	logzone("Mon Nov 23 18:00:01 IST 2026", "IST", "UTC");
	logzone("Mon Nov 23 18:00:01 Utc 2026", "Utc", "UTC");
	logzone("Mon Nov 23 18:00:01 ABCDEFGHIJ 2026", "ABCDEFGHIJ", "UTC");
	logbad("Mon Nov 23 18:00:01 ABCDEFGHIJK 2026");	/* not a zone word at all */
	/* numeric offsets mean the same under any TZ */
	logok("Sat Nov 29 10:04:01 -0500 2026", 1795946641LL + 5 * 3600);
	logok("Sat Nov 29 10:04:01 -05 2026", 1795946641LL + 5 * 3600);
	if (have_zone("America/New_York")) {
		logok("Sat Nov 29 10:04:01 EST 2026", 1795946641LL + 5 * 3600);
		logok("Wed Jul  1 08:00:00 EDT 2026", 1782907200LL);
		logok("Sat Nov 29 10:04:01 UTC 2026", 1795946641LL);
		logok("Sat Nov 29 10:04:01 -0500 2026", 1795946641LL + 5 * 3600);
		logzone("Mon Nov 23 18:00:01 CET 2026", "CET", "EST or EDT");
	}
	if (have_zone("Europe/Berlin")) {
		logok("Mon Nov 23 18:00:01 CET 2026", T1800 + 1 - 3600);
		logok("Wed Jul  1 12:00:00 CEST 2026", 1782907200LL - 7200);
		logzone("Sat Nov 29 10:04:01 EST 2026", "EST", "CET or CEST");
	}
	set_tz("UTC");
}

static void
test_logtime_bad(void **state)
{
	(void)state;
	set_tz("UTC");
	logbad("");
	logbad("   \n");
	logbad("2026-11-23 18:00");
	logbad("2026-11-23");
	logbad("2026-11-23T18:00:01Q");
	logbad("Mon Nov 23 18:00 UTC 2026");
	logbad("Mon Nov 23 18:00:01 UTC 26");
	logbad("Mon Nov 23 18:00:01 UTC 2026 x");
	logbad("Mon Nov 31 18:00:01 UTC 2026");
	logbad("Mon Nox 23 18:00:01 UTC 2026");
	logbad("Xyz Nov 23 18:00:01 UTC 2026");
	logbad("Mon Nov 23 18:00:01 U1C 2026");
	logbad("Mon Nov 23 18:00:01 +4 2026");
	logbad("Mon Nov 23 18:00:01  UTC 2026");
	logbad("Mon Nov 123 18:00:01 UTC 2026");
	logbad("tcp        0      0 10.0.0.1:22   10.0.0.2:5000   ESTABLISHED");
	logbad("ESTABLISHED 12");
	logbad("@");
	logbad("@17954x");
	logbad("-2h");
	logbad("now");
}

static void
test_format(void **state)
{
	char buf[32], small[8];

	(void)state;
	time_format_utc(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	time_format_utc(NOW, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T20:05:50Z");
	set_tz("America/New_York");
	time_format_utc(T1800, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-23T18:00:00Z");
	set_tz("UTC");
	time_format_utc(T1800, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time_utc),
		cmocka_unit_test(test_time_relative),
		cmocka_unit_test(test_time_local),
		cmocka_unit_test(test_time_bad),
		cmocka_unit_test(test_logtime),
		cmocka_unit_test(test_logtime_local),
		cmocka_unit_test(test_logtime_zones),
		cmocka_unit_test(test_logtime_bad),
		cmocka_unit_test(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
