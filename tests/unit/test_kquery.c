/*
 * The arithmetic on the kernel's context that check, backtest, listeners
 * and the kernel section share: a counter's rate between two samples (none
 * at the first sample, after a reset or a wrap, or across a gap of more than
 * 3 intervals; never negative or huge), its average over a window, a
 * gauge's share of its limit, the section's lines, and the limits in force.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

#define T0	1795464000LL
#define LO	KS_ListenOverflows

/* Samples every 10 s of one counter; v < 0: the kernel lacks it there. */
static void
fill(struct kpoint *k, const int64_t *ts, const int64_t *v, size_t n)
{
	size_t i;

	memset(k, 0, n * sizeof(*k));
	for (i = 0; i < n; i++) {
		k[i].ts = ts[i];
		k[i].interval = 10;
		if (v[i] >= 0) {
			k[i].v[LO] = v[i];
			k[i].have = 1u << LO;
		}
	}
}

static void
test_first_and_steady(void **state)
{
	static const int64_t ts[] = { T0, T0 + 10, T0 + 20 };
	static const int64_t v[] = { 100, 130, 130 };
	struct kpoint k[3];

	(void)state;
	fill(k, ts, v, 3);
	assert_true(isnan(kernel_rate(k, 0, LO)));	/* the first sample: nothing before */
	assert_true(kernel_rate(k, 1, LO) == 3.0);
	assert_true(kernel_rate(k, 2, LO) == 0.0);
	assert_true(isnan(kernel_rate(k, 1, KS_ListenDrops)));	/* not stored */
}

/* A reboot: the counter starts again from 0; that sample has no rate, the next has. */
static void
test_reset(void **state)
{
	static const int64_t ts[] = { T0, T0 + 10, T0 + 20, T0 + 30 };
	static const int64_t v[] = { 5000, 5100, 7, 27 };
	struct kpoint k[4];
	int64_t secs;

	(void)state;
	fill(k, ts, v, 4);
	assert_true(kernel_rate(k, 1, LO) == 10.0);
	assert_true(isnan(kernel_rate(k, 2, LO)));
	assert_true(kernel_rate(k, 3, LO) == 2.0);
	/* over the window: 100 + 20 events over the 20 s they cover */
	assert_true(kernel_rate_over(k, 4, LO, &secs) == 6.0);
	assert_int_equal(secs, 20);
}

/*
 * A 64-bit counter at its wrap: the kernel prints up to 2^64 - 1, the parser
 * keeps values up to 2^63 - 1 (SQLite's integers) and takes a larger one as
 * absent; either way the sample after the wrap went down or has nothing
 * before it, so it gives no rate: no negative, no 2^64-sized one.
 */
static void
test_wrap(void **state)
{
	static const char before[] = "TcpExt: ListenOverflows\nTcpExt: 18446744073709551610\n";
	static const char after[] = "TcpExt: ListenOverflows\nTcpExt: 4\n";
	static const int64_t ts[] = { T0, T0 + 10, T0 + 20, T0 + 30 };
	static const int64_t v[] = { INT64_MAX - 5, INT64_MAX, 3, 9 };
	struct kpoint k[4];
	struct kstat a, b;
	char why[64];

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	assert_int_equal(kstat_parse(KS_NETSTAT, before, sizeof(before) - 1, &a, why,
	    sizeof(why)), 0);
	assert_int_equal(kstat_parse(KS_NETSTAT, after, sizeof(after) - 1, &b, why,
	    sizeof(why)), 0);
	assert_false((a.have >> LO) & 1);	/* past 2^63: absent */
	memset(k, 0, sizeof(k));
	k[0].ts = T0;
	k[1].ts = T0 + 10;
	k[0].interval = k[1].interval = 10;
	k[0].have = a.have;
	k[1].have = b.have;
	k[1].v[LO] = b.v[LO];
	assert_true(isnan(kernel_rate(k, 1, LO)));
	/* stored values on both sides of a wrap at 2^63 (a hostile or odd file) */
	fill(k, ts, v, 4);
	assert_true(kernel_rate(k, 1, LO) == 0.5);
	assert_true(isnan(kernel_rate(k, 2, LO)));
	assert_true(kernel_rate(k, 3, LO) == 0.6);
}

/* A gap of 4 intervals (the collector was down): no rate across it; 3 is still one. */
static void
test_gap(void **state)
{
	static const int64_t ts[] = { T0, T0 + 30, T0 + 70, T0 + 80 };
	static const int64_t v[] = { 0, 30, 70, 71 };
	struct kpoint k[4];
	int64_t secs;

	(void)state;
	fill(k, ts, v, 4);
	assert_true(kernel_rate(k, 1, LO) == 1.0);	/* 30 s = 3 intervals */
	assert_true(isnan(kernel_rate(k, 2, LO)));	/* 40 s = 4 intervals */
	assert_true(kernel_rate(k, 3, LO) == 0.1);
	assert_true(kernel_rate_over(k, 4, LO, &secs) == 31.0 / 40.0);
	assert_int_equal(secs, 40);
	assert_true(isnan(kernel_rate_over(k, 1, LO, &secs)));	/* one sample: no rate */
	assert_int_equal(secs, 0);
}

static void
test_used(void **state)
{
	struct kpoint k;
	struct klimits l;

	(void)state;
	memset(&k, 0, sizeof(k));
	memset(&l, 0, sizeof(l));
	k.v[KS_tcp_tw] = 26214;
	k.have = 1u << KS_tcp_tw;
	assert_true(isnan(kernel_used(&k, USED_TW, &l)));	/* no limit known */
	l.v[KL_tcp_max_tw_buckets] = 262144;
	l.have = 1u << KL_tcp_max_tw_buckets;
	assert_true(fabs(kernel_used(&k, USED_TW, &l) - 0.1) < 1e-4);
	assert_true(isnan(kernel_used(&k, USED_ORPHANS, &l)));
	l.v[KL_tcp_max_tw_buckets] = 0;		/* a limit of 0: no share */
	assert_true(isnan(kernel_used(&k, USED_TW, &l)));
}

/* The section: the gauges against their limits, the counters that moved. */
static void
test_lines(void **state)
{
	struct kline out[TT_NKSTATS];
	struct kpoint k[3];
	struct klimits l;
	size_t n, i;

	(void)state;
	memset(k, 0, sizeof(k));
	memset(&l, 0, sizeof(l));
	for (i = 0; i < 3; i++) {
		k[i].ts = T0 + 10 * (int64_t)i;
		k[i].interval = 10;
		k[i].v[KS_tcp_tw] = 100 + 50 * (int64_t)(i == 1);	/* 100, 150, 100 */
		k[i].v[KS_tcp_orphan] = 2;
		k[i].v[KS_ListenDrops] = 10 * (int64_t)i;		/* 1/s */
		k[i].v[KS_RetransSegs] = 7;				/* still */
		k[i].have = 1u << KS_tcp_tw | 1u << KS_tcp_orphan | 1u << KS_ListenDrops |
		    1u << KS_RetransSegs;
	}
	l.v[KL_tcp_max_tw_buckets] = 1000;
	l.have = 1u << KL_tcp_max_tw_buckets;
	n = kernel_lines(k, 3, 2, &l, out);		/* at the last sample */
	assert_int_equal(n, 3);
	assert_int_equal(out[0].stat, KS_tcp_orphan);
	assert_true(out[0].now == 2 && isnan(out[0].limit_v) && isnan(out[0].used));
	assert_int_equal(out[1].stat, KS_tcp_tw);
	assert_true(out[1].now == 100 && out[1].peak == 150 && out[1].peak_ts == T0 + 10);
	assert_true(fabs(out[1].avg - 350.0 / 3) < 1e-9);
	assert_true(out[1].limit_v == 1000 && out[1].used == 0.1);
	assert_int_equal(out[2].stat, KS_ListenDrops);
	assert_true(out[2].now == 1.0 && out[2].avg == 1.0 && out[2].peak == 1.0);
	n = kernel_lines(k, 3, 3, &l, out);		/* a day: no now, the peak's share */
	assert_true(isnan(out[1].now) && out[1].used == 0.15);
	n = kernel_lines(k, 1, 0, &l, out);		/* one sample: no rate moved */
	assert_int_equal(n, 2);
}

static void
test_limits_advance(void **state)
{
	static const struct klimit_row r[] = {
		{ T0, KL_somaxconn, 4096 }, { T0, KL_tcp_fin_timeout, 60 },
		{ T0 + 25, KL_somaxconn, 128 }, { T0 + 40, KL_somaxconn, 128 },
	};
	struct klimits in, ch;
	size_t pos = 0;

	(void)state;
	memset(&in, 0, sizeof(in));
	klimits_advance(r, 4, &pos, T0 - 10, &in, &ch);	/* before any */
	assert_int_equal(ch.have, 0);
	klimits_advance(r, 4, &pos, T0, &in, &ch);		/* the first: all */
	assert_int_equal(ch.have, 1u << KL_somaxconn | 1u << KL_tcp_fin_timeout);
	klimits_advance(r, 4, &pos, T0 + 10, &in, &ch);
	assert_int_equal(ch.have, 0);
	klimits_advance(r, 4, &pos, T0 + 30, &in, &ch);	/* changed between samples */
	assert_int_equal(ch.have, 1u << KL_somaxconn);
	assert_int_equal(ch.v[KL_somaxconn], 128);
	klimits_advance(r, 4, &pos, T0 + 40, &in, &ch);	/* the same value again */
	assert_int_equal(ch.have, 0);
	assert_int_equal(in.v[KL_tcp_fin_timeout], 60);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_and_steady),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_wrap),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_used),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_limits_advance),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
