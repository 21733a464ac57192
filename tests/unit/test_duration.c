#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "tcptally/tcptally.h"
#include "tcptally/timeutil.h"

static void
ok(const char *s, int64_t want)
{
	int64_t got = -1;
	const char *why = NULL;

	assert_int_equal(duration_parse(s, &got, &why), 0);
	assert_int_equal(got, want);
}

static void
bad(const char *s, const char *want_why)
{
	int64_t got = 0;
	const char *why = NULL;

	assert_int_equal(duration_parse(s, &got, &why), -1);
	assert_string_equal(why, want_why);
}

static void
test_durations(void **state)
{
	(void)state;
	ok("0", 0);
	ok("1s", 1);
	ok("10s", 10);
	ok("5m", 300);
	ok("2h", 7200);
	ok("14d", 14 * 86400);
	ok("400d", 400 * 86400);
	ok("0s", 0);
	ok("36500d", 36500LL * 86400);
}

static void
test_bad_durations(void **state)
{
	(void)state;
	bad("", "empty duration; use Ns, Nm, Nh or Nd, e.g. 10s");
	bad("-5s", "a duration cannot be negative");
	bad("10", "a duration needs a unit (s, m, h or d); only 0 may stand alone");
	bad("10x", "unknown duration unit; use s, m, h or d, e.g. 10s");
	bad("10 s", "unknown duration unit; use s, m, h or d, e.g. 10s");
	bad("1.5h", "unknown duration unit; use s, m, h or d, e.g. 10s");
	bad("s", "not a duration; use Ns, Nm, Nh or Nd, e.g. 10s");
	bad("36501d", "duration too long (at most 36500d)");
	bad("99999999999999999999s", "duration too long (at most 36500d)");
}

static void
test_sizes(void **state)
{
	int64_t b = -1;
	const char *why = NULL;
	char buf[32];

	(void)state;
	assert_int_equal(size_parse("0", &b, &why), 0);
	assert_int_equal(b, 0);
	assert_int_equal(size_parse("512M", &b, &why), 0);
	assert_int_equal(b, 512LL << 20);
	assert_int_equal(size_parse("2G", &b, &why), 0);
	assert_int_equal(b, 2LL << 30);
	assert_int_equal(size_parse("2GiB", &b, &why), 0);
	assert_int_equal(b, 2LL << 30);
	assert_int_equal(size_parse("1T", &b, &why), 0);
	assert_int_equal(b, 1LL << 40);
	assert_int_equal(size_parse("2048k", &b, &why), 0);
	assert_int_equal(b, 2LL << 20);
	assert_int_equal(size_parse("1048576", &b, &why), 0);
	assert_int_equal(b, 1LL << 20);
	size_format(2LL << 30, buf, sizeof(buf));
	assert_string_equal(buf, "2G");
	size_format(1536LL << 20, buf, sizeof(buf));
	assert_string_equal(buf, "1536M");
	size_format(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
	assert_int_equal(size_parse("1000", &b, &why), -1);
	assert_non_null(strstr(why, "below 1M"));
	assert_int_equal(size_parse("2X", &b, &why), -1);
	assert_non_null(strstr(why, "unknown size unit"));
	assert_int_equal(size_parse("2GB5", &b, &why), -1);
	assert_int_equal(size_parse("-1G", &b, &why), -1);
	assert_int_equal(size_parse("", &b, &why), -1);
	assert_int_equal(size_parse("2000T", &b, &why), -1);
	assert_non_null(strstr(why, "too large"));
	assert_int_equal(size_parse("99999999999999999999", &b, &why), -1);
}

static void
test_rates(void **state)
{
	double r = 0;
	const char *why = NULL;

	(void)state;
	assert_int_equal(rate_parse("100/min", &r, &why), 0);
	assert_true(r > 1.6666 && r < 1.6667);
	assert_int_equal(rate_parse("5/s", &r, &why), 0);
	assert_true(r == 5.0);
	assert_int_equal(rate_parse("3600/h", &r, &why), 0);
	assert_true(r == 1.0);
	assert_int_equal(rate_parse("100", &r, &why), -1);
	assert_string_equal(why, "a rate is COUNT/UNIT, e.g. 100/min (units s, min, h)");
	assert_int_equal(rate_parse("-1/min", &r, &why), -1);
	assert_string_equal(why, "a rate needs a positive number before '/', e.g. 100/min");
	assert_int_equal(rate_parse("10/day", &r, &why), -1);
	assert_string_equal(why, "unknown rate unit; use /s, /min or /h, e.g. 100/min");
}

static void
test_format(void **state)
{
	char buf[32];

	(void)state;
	duration_format(86400 * 14, buf, sizeof(buf));
	assert_string_equal(buf, "14d");
	duration_format(7200, buf, sizeof(buf));
	assert_string_equal(buf, "2h");
	duration_format(90, buf, sizeof(buf));
	assert_string_equal(buf, "90s");
	duration_format(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	duration_span(86400 + 2 * 3600 + 3 * 60 + 4, buf, sizeof(buf));
	assert_string_equal(buf, "1d 2h 3m 4s");
	duration_span(86400, buf, sizeof(buf));
	assert_string_equal(buf, "1d");
	duration_span(3600 + 5, buf, sizeof(buf));
	assert_string_equal(buf, "1h 5s");
	duration_span(61, buf, sizeof(buf));
	assert_string_equal(buf, "1m 1s");
	duration_span(0, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	duration_span(-5, buf, sizeof(buf));
	assert_string_equal(buf, "0s");
	duration_span(86400 + 2 * 3600 + 3 * 60 + 4, buf, 6);	/* cut, still a string */
	assert_string_equal(buf, "1d 2h");
}

static void
test_states(void **state)
{
	(void)state;
	assert_string_equal(state_name(TT_ESTABLISHED), "ESTABLISHED");
	assert_string_equal(state_name(TT_CLOSING), "CLOSING");
	assert_null(state_name(0));
	assert_null(state_name(12));
	assert_int_equal(state_from_name("CLOSE_WAIT"), TT_CLOSE_WAIT);
	assert_int_equal(state_from_name("close_wait"), -1);
	assert_int_equal(state_from_name("NEW_SYN_RECV"), -1);
	assert_string_equal(state_column(TT_TIME_WAIT), "time_wait");
}

/* Every SQL list of the states comes from one table, in the kernel's order. */
static void
test_state_sql(void **state)
{
	char buf[512], small[8];
	size_t need;

	(void)state;
	assert_int_equal(TT_NSTATES, 11);
	assert_int_equal(TT_STATE_MASK, 0xFFE);
	assert_string_equal(state_names_list(), "ESTABLISHED, SYN_SENT, SYN_RECV, "
	    "FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE, CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING");
	state_sql(buf, sizeof(buf), ", ", "c.{c}", 0);
	assert_string_equal(buf, "c.established, c.syn_sent, c.syn_recv, c.fin_wait1, "
	    "c.fin_wait2, c.time_wait, c.close, c.close_wait, c.last_ack, c.listen, c.closing");
	need = state_sql(buf, sizeof(buf), ",", "{c}=?{n}", 4);
	assert_string_equal(buf, "established=?4,syn_sent=?5,syn_recv=?6,fin_wait1=?7,"
	    "fin_wait2=?8,time_wait=?9,close=?10,close_wait=?11,last_ack=?12,listen=?13,"
	    "closing=?14");
	assert_int_equal(need, strlen(buf));
	/* cut short: NUL-terminated, and the length it needs */
	assert_int_equal(state_sql(small, sizeof(small), ",", "{c}=?{n}", 4), need);
	assert_string_equal(small, "establi");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_bad_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_rates),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_state_sql),
		cmocka_unit_test(test_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
