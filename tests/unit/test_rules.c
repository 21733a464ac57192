#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>

#include "query.h"
#include "series.h"

#define S	TT_TIME_WAIT
#define T0	1795464350LL

static struct point *
series(const uint32_t *c, size_t n, int64_t step)
{
	struct point *p;
	size_t i;

	assert_non_null(p = calloc(n ? n : 1, sizeof(*p)));
	for (i = 0; i < n; i++) {
		p[i].ts = T0 + (int64_t)i * step;
		p[i].count[S] = c[i];
		p[i].count[TT_LISTEN] = 7;
	}
	return p;
}

static struct threshold
above(int64_t n, int64_t for_secs)
{
	struct threshold t;

	memset(&t, 0, sizeof(t));
	t.state = S;
	t.has_above = 1;
	t.above = n;
	t.for_secs = for_secs;
	return t;
}

static struct threshold
below(int64_t n, int64_t for_secs)
{
	struct threshold t = above(0, for_secs);

	t.has_above = 0;
	t.has_below = 1;
	t.below = n;
	return t;
}

static struct threshold
growth(double per_sec, int64_t window)
{
	struct threshold t = above(0, 0);

	t.has_above = 0;
	t.has_growth = 1;
	t.growth = per_sec;
	t.window = window;
	return t;
}

/* The gap that ends a breach (0: none), as the report passes it to the rules. */
static int64_t max_gap;

static struct finding
eval(struct threshold t, const struct point *p, size_t n, int64_t at)
{
	struct finding f;

	memset(&f, 0xa5, sizeof(f));
	rule_eval(&t, p, n, at, max_gap, &f);
	return f;
}

static void
test_above_for(void **state)
{
	/* ts T0 .. T0+50: a breach from T0+10 to T0+40, 30 s long. */
	static const uint32_t c[] = { 50, 150, 101, 150, 150, 50 };
	struct point *p = series(c, 6, 10);
	struct finding f;

	(void)state;
	f = eval(above(100, 30), p, 6, T0 - 1);		/* no sample yet */
	assert_false(f.fired);
	assert_true(f.value == 0 && f.limit == 100);
	f = eval(above(100, 30), p, 6, T0 + 10);
	assert_false(f.fired);
	assert_true(f.value == 150);
	assert_int_equal(f.since, T0 + 10);
	f = eval(above(100, 30), p, 6, T0 + 30);	/* 20 s of 30 */
	assert_false(f.fired);
	f = eval(above(100, 31), p, 6, T0 + 40);	/* just shorter */
	assert_false(f.fired);
	assert_int_equal(f.since, T0 + 10);
	f = eval(above(100, 30), p, 6, T0 + 40);	/* exactly */
	assert_true(f.fired);
	assert_true(f.value == 150 && f.limit == 100);
	assert_int_equal(f.since, T0 + 10);
	f = eval(above(100, 29), p, 6, T0 + 40);	/* just longer */
	assert_true(f.fired);
	f = eval(above(100, 30), p, 6, T0 + 49);	/* between samples */
	assert_true(f.fired);
	assert_true(f.value == 150);
	f = eval(above(100, 30), p, 6, T0 + 50);	/* over */
	assert_false(f.fired);
	assert_true(f.value == 50);
	f = eval(above(101, 0), p, 6, T0 + 20);		/* 101 is not above */
	assert_false(f.fired);
	f = eval(above(100, 0), p, 6, T0 + 20);		/* latest decides */
	assert_true(f.fired);
	assert_int_equal(f.since, T0 + 10);
	f = eval(above(100, 0), p, 6, T0 + 10000);	/* after the end */
	assert_false(f.fired);
	f = eval(above(100, 0), p, 0, T0 + 10);
	assert_false(f.fired);
	free(p);
}

static void
test_above_gap(void **state)
{
	/* Two samples 1000 s apart, both breaching: a gap is no break. */
	static const uint32_t c[] = { 500, 500 };
	struct point *p = series(c, 2, 1000);
	struct finding f;

	(void)state;
	f = eval(above(100, 1000), p, 2, T0 + 1000);
	assert_true(f.fired);
	assert_int_equal(f.since, T0);
	f = eval(above(100, 1001), p, 2, T0 + 5000);
	assert_false(f.fired);
	free(p);
}

/* With max_gap set (the report passes 3 intervals), an outage ends a breach. */
static void
test_above_max_gap(void **state)
{
	/* 10 s samples breaching, a 100 s outage, then breaching again */
	static const uint32_t c[] = { 500, 500, 500, 500, 500, 500, 500 };
	struct point *p = series(c, 7, 10);
	struct threshold t = above(100, 40);
	struct firing *fi;
	struct finding f;
	size_t nf;
	int i;

	(void)state;
	for (i = 4; i < 7; i++)
		p[i].ts += 100;			/* T0+0..30, then T0+140..160 */
	max_gap = 30;
	f = eval(t, p, 7, T0 + 160);
	assert_false(f.fired);			/* the run restarted at T0+140: 20 s */
	assert_int_equal(f.since, T0 + 140);
	max_gap = 110;			/* a 110 s gap is tolerated */
	f = eval(t, p, 7, T0 + 160);
	assert_true(f.fired);
	assert_int_equal(f.since, T0);
	max_gap = 30;				/* backtest agrees */
	t.for_secs = 20;
	assert_int_equal(rule_backtest(&t, p, 7, max_gap, &fi, &nf), 0);
	assert_int_equal(nf, 2);
	assert_int_equal(fi[0].start, T0 + 20);
	assert_int_equal(fi[0].end, T0 + 30);
	assert_int_equal(fi[1].start, T0 + 160);
	assert_int_equal(fi[1].end, T0 + 160);
	free(fi);
	free(p);
	max_gap = 0;
}

static void
test_below_for(void **state)
{
	static const uint32_t c[] = { 1, 0, 0, 0, 0, 1 };
	struct point *p = series(c, 6, 10);
	struct finding f;

	(void)state;
	f = eval(below(1, 30), p, 6, T0);		/* 1 is not below 1 */
	assert_false(f.fired);
	assert_true(f.value == 1 && f.limit == 1);
	f = eval(below(1, 31), p, 6, T0 + 40);
	assert_false(f.fired);
	f = eval(below(1, 30), p, 6, T0 + 40);
	assert_true(f.fired);
	assert_true(f.value == 0 && f.limit == 1);
	assert_int_equal(f.since, T0 + 10);
	f = eval(below(1, 29), p, 6, T0 + 40);
	assert_true(f.fired);
	f = eval(below(1, 30), p, 6, T0 + 50);
	assert_false(f.fired);
	f = eval(below(2, 30), p, 6, T0 + 50);		/* all below 2 */
	assert_true(f.fired);
	assert_int_equal(f.since, T0);
	free(p);
}

static void
test_growth(void **state)
{
	uint32_t c[20];
	struct point *p;
	struct finding f;
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++)
		c[i] = 1000 + 20 * (uint32_t)i;		/* 2/s at 10 s */
	p = series(c, 20, 10);
	f = eval(growth(2.0, 60), p, 20, T0 + 100);	/* exactly the rate */
	assert_true(f.fired);
	assert_true(f.value == 2.0 && f.limit == 2.0);
	assert_int_equal(f.since, T0 + 40);
	f = eval(growth(2.0 + 1e-9, 60), p, 20, T0 + 100);	/* just over */
	assert_false(f.fired);
	assert_true(f.value == 2.0);
	f = eval(growth(2.0 - 1e-9, 60), p, 20, T0 + 100);	/* just under */
	assert_true(f.fired);
	f = eval(growth(2.0, 60), p, 20, T0 + 105);	/* between samples */
	assert_true(f.fired);
	assert_int_equal(f.since, T0 + 50);
	f = eval(growth(1.0, 60), p, 20, T0);		/* one point */
	assert_false(f.fired);
	assert_true(f.value == 0 && f.limit == 1.0);
	f = eval(growth(1.0, 10), p, 20, T0 + 10);	/* two points */
	assert_true(f.fired);
	assert_true(f.value == 2.0);
	f = eval(growth(1.0, 9), p, 20, T0 + 10);	/* one in window */
	assert_false(f.fired);
	free(p);

	for (i = 0; i < 20; i++)
		c[i] = 5000 - 3 * (uint32_t)i;		/* shrinking */
	p = series(c, 20, 10);
	f = eval(growth(0.01, 600), p, 20, T0 + 190);
	assert_false(f.fired);
	assert_float_equal(f.value, -0.3, 1e-12);
	assert_int_equal(f.since, T0);
	free(p);
}

static void
expect(const struct firing *fi, int64_t start, int64_t end, double peak)
{
	assert_int_equal(fi->start, start);
	assert_int_equal(fi->end, end);
	assert_true(fi->peak == peak);
}

static void
test_backtest_above(void **state)
{
	static const uint32_t c[] = {
	    50, 150, 180, 160, 50,		/* fires at T0+30 only */
	    150, 150, 300, 200, 50,		/* fires T0+70 .. T0+80 */
	    150, 50 };				/* too short */
	struct threshold t = above(100, 20);
	struct point *p = series(c, 12, 10);
	struct firing *fi;
	size_t n;

	(void)state;
	assert_int_equal(rule_backtest(&t, p, 12, max_gap, &fi, &n), 0);
	assert_int_equal(n, 2);
	expect(&fi[0], T0 + 30, T0 + 30, 160);	/* 180 came before it fired */
	expect(&fi[1], T0 + 70, T0 + 80, 300);
	free(fi);
	t = above(1000, 0);
	assert_int_equal(rule_backtest(&t, p, 12, max_gap, &fi, &n), 0);
	assert_int_equal(n, 0);
	assert_null(fi);
	assert_int_equal(rule_backtest(&t, p, 0, max_gap, &fi, &n), 0);
	assert_int_equal(n, 0);
	assert_null(fi);
	free(p);
}

static void
test_backtest_below_growth(void **state)
{
	static const uint32_t lc[] = { 3, 0, 0, 1, 2, 0, 0, 0 };
	static const uint32_t gc[] = {
	    100, 100, 100, 130, 160, 190, 190, 190, 190, 250, 310 };
	struct threshold t = below(2, 10);
	struct point *p = series(lc, 8, 10);
	struct firing *fi;
	size_t n;

	(void)state;
	assert_int_equal(rule_backtest(&t, p, 8, max_gap, &fi, &n), 0);
	assert_int_equal(n, 2);
	expect(&fi[0], T0 + 20, T0 + 30, 0);	/* lowest */
	expect(&fi[1], T0 + 60, T0 + 70, 0);
	free(fi);
	free(p);

	/* window 20 s: 3 points; slope 3/s when all three rise 30. */
	p = series(gc, 11, 10);
	t = growth(3.0, 20);
	assert_int_equal(rule_backtest(&t, p, 11, max_gap, &fi, &n), 0);
	assert_int_equal(n, 2);
	expect(&fi[0], T0 + 40, T0 + 50, 190);
	expect(&fi[1], T0 + 90, T0 + 100, 310);
	free(fi);
	free(p);
}

static uint32_t
lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (uint32_t)(*s >> 33);
}

/* Backtest must say at each point what rule_eval says at its ts. */
static void
check_against_eval(const struct threshold *t, const struct point *p,
    size_t n)
{
	struct firing *fi;
	struct finding f;
	size_t nfi, k, j = 0;
	double c, pk = 0;
	int open = 0;

	assert_int_equal(rule_backtest(t, p, n, max_gap, &fi, &nfi), 0);
	for (k = 0; k < n; k++) {
		rule_eval(t, p, n, p[k].ts, max_gap, &f);
		c = p[k].count[S];
		if (f.fired && !open) {
			assert_true(j < nfi);
			assert_int_equal(fi[j].start, p[k].ts);
			j++;
			pk = c;
		} else if (f.fired)
			pk = t->has_below ? (c < pk ? c : pk) :
			    (c > pk ? c : pk);
		else if (open) {
			assert_int_equal(fi[j - 1].end, p[k - 1].ts);
			assert_true(fi[j - 1].peak == pk);
		}
		open = f.fired;
	}
	assert_int_equal(j, nfi);
	if (open) {
		assert_int_equal(fi[j - 1].end, p[n - 1].ts);
		assert_true(fi[j - 1].peak == pk);
	}
	free(fi);
}

static void
test_backtest_matches_eval(void **state)
{
	struct threshold t;
	struct point *p;
	uint64_t seed = 42;
	size_t n = 3000, i, r;
	int64_t ts = T0;

	(void)state;
	assert_non_null(p = calloc(n, sizeof(*p)));
	for (i = 0; i < n; i++) {
		r = lcg(&seed) % 100;
		ts += r < 3 ? 0 : r < 6 ? 700 : 10;	/* ties and gaps */
		p[i].ts = ts;
		p[i].count[S] = (i / 500) % 3 == 2 ? 4000000000u - lcg(&seed) % 9 :
		    250 + lcg(&seed) % 100;
	}
	for (r = 0; r < 4; r++) {
		t = above(300, (int64_t)r * 30);
		check_against_eval(&t, p, n);
		t = below(300, (int64_t)r * 30);
		check_against_eval(&t, p, n);
		t = growth(0.5 + r, 60 + (int64_t)r * 60);
		check_against_eval(&t, p, n);
	}
	/* Windows whose sums do not fit int64: slope_of in both. */
	t = growth(1e-6, 20000000);
	check_against_eval(&t, p, 400);
	t = growth(-1e9, 3000);
	check_against_eval(&t, p, n);
	/* Windows that stop fitting and fit again as they slide. */
	for (i = 0; i < 1000; i++) {
		p[i].ts = T0 + 100000 * (int64_t)i;
		p[i].count[S] = (i / 200) % 2 ? 4000000000u - lcg(&seed) % 9 :
		    lcg(&seed) % 40;
	}
	t = growth(1e-3, 10000000);
	check_against_eval(&t, p, 1000);
	free(p);
}

static void
test_backtest_long(void **state)
{
	struct threshold t;
	struct firing *fi;
	struct point *p;
	size_t n = 100000, nfi, i;

	(void)state;
	assert_non_null(p = calloc(n, sizeof(*p)));
	for (i = 0; i < n; i++) {
		p[i].ts = T0 + 10 * (int64_t)i;
		p[i].count[S] = 20000 + (uint32_t)i;
	}
	t = above(100, 1000);			/* one run, 100k long */
	assert_int_equal(rule_backtest(&t, p, n, max_gap, &fi, &nfi), 0);
	assert_int_equal(nfi, 1);
	expect(&fi[0], T0 + 1000, T0 + 10 * (int64_t)(n - 1), 20000 + n - 1);
	free(fi);
	t = growth(0.0999, 86400);		/* 8641-point windows */
	assert_int_equal(rule_backtest(&t, p, n, max_gap, &fi, &nfi), 0);
	assert_int_equal(nfi, 1);
	expect(&fi[0], T0 + 10, T0 + 10 * (int64_t)(n - 1), 20000 + n - 1);
	free(fi);
	free(p);
}

static void
test_no_condition(void **state)
{
	static const uint32_t c[] = { 1, 2 };
	struct threshold t = above(0, 0);
	struct point *p = series(c, 2, 10);
	struct firing *fi;
	struct finding f;
	size_t n;

	(void)state;
	t.has_above = 0;
	rule_eval(&t, p, 2, T0 + 10, max_gap, &f);
	assert_false(f.fired);
	assert_int_equal(rule_backtest(&t, p, 2, max_gap, &fi, &n), 0);
	assert_int_equal(n, 0);
	assert_null(fi);
	free(p);
}

/*
 * rate_above: a counter's rate between samples, as check computes it
 * (kernel_rate), against 1/min: just under, equal (not above), just over;
 * and with `for`.
 */
static struct kpoint *
counter(const int64_t *v, const int64_t *ts, size_t n)
{
	struct kpoint *k;
	size_t i;

	assert_non_null(k = calloc(n, sizeof(*k)));
	for (i = 0; i < n; i++) {
		k[i].ts = ts[i];
		k[i].interval = 60;
		k[i].v[KS_ListenOverflows] = v[i];
		k[i].have = 1u << KS_ListenOverflows;
	}
	return k;
}

static struct finding
eval_rate(const struct threshold *t, const struct kpoint *k, size_t n, int64_t at)
{
	struct obs o[8];
	struct finding f;
	size_t i, m = 0;
	double r;

	for (i = 0; i < n && m < 8; i++)
		if (!isnan(r = kernel_rate(k, i, KS_ListenOverflows))) {
			o[m].ts = k[i].ts;
			o[m++].v = r;
		}
	memset(&f, 0xa5, sizeof(f));
	rule_eval_obs(t, o, m, at, max_gap, &f);
	return f;
}

static struct threshold
rate_above(double per_sec, int64_t for_secs)
{
	struct threshold t = above(0, for_secs);

	t.kind = TH_RATE;
	t.metric = KS_ListenOverflows;
	t.limit = per_sec;
	return t;
}

static void
test_rate_above_boundaries(void **state)
{
	/* one more overflow over 61 s (under 1/min), 60 s (1/min), 59 s (over) */
	static const int64_t under[] = { 100, 101 }, under_ts[] = { T0, T0 + 61 };
	static const int64_t equal[] = { 100, 101 }, equal_ts[] = { T0, T0 + 60 };
	static const int64_t over[] = { 100, 101 }, over_ts[] = { T0, T0 + 59 };
	struct threshold t = rate_above(1.0 / 60.0, 0);
	struct kpoint *k;
	struct finding f;

	(void)state;
	k = counter(under, under_ts, 2);
	f = eval_rate(&t, k, 2, T0 + 61);
	assert_false(f.fired);
	assert_true(f.value == 1.0 / 61.0 && f.limit == 1.0 / 60.0);
	free(k);
	k = counter(equal, equal_ts, 2);
	f = eval_rate(&t, k, 2, T0 + 60);
	assert_false(f.fired);			/* equal is not above */
	assert_true(f.value == 1.0 / 60.0);
	free(k);
	k = counter(over, over_ts, 2);
	f = eval_rate(&t, k, 2, T0 + 59);
	assert_true(f.fired);
	assert_true(f.value == 1.0 / 59.0);
	assert_int_equal(f.since, T0 + 59);
	free(k);
}

static void
test_rate_above_for(void **state)
{
	/* 2/min for three minutes, then still: with for 2m it fires at the third */
	static const int64_t v[] = { 0, 2, 4, 6, 6 };
	static const int64_t ts[] = { T0, T0 + 60, T0 + 120, T0 + 180, T0 + 240 };
	struct threshold t = rate_above(1.0 / 60.0, 120);
	struct kpoint *k = counter(v, ts, 5);
	struct finding f;

	(void)state;
	f = eval_rate(&t, k, 5, T0 + 120);	/* 60 s of 120 */
	assert_false(f.fired);
	assert_int_equal(f.since, T0 + 60);
	f = eval_rate(&t, k, 5, T0 + 180);	/* 120 s: fires */
	assert_true(f.fired);
	assert_true(f.value == 2.0 / 60.0);
	f = eval_rate(&t, k, 5, T0 + 240);	/* the rate is 0 again */
	assert_false(f.fired);
	assert_true(f.value == 0);
	free(k);
}

/* fill_above 0.9 over a group's fullest queue: just under, equal, just over. */
static void
test_fill_above_boundaries(void **state)
{
	static const double fills[] = { 0.8999, 0.9, 0.9001 };
	struct threshold t = above(0, 0);
	struct finding f;
	struct obs o;
	size_t i;

	(void)state;
	t.kind = TH_FILL;
	t.state = TT_LISTEN;
	t.limit = 0.9;
	for (i = 0; i < 3; i++) {
		o.ts = T0;
		o.v = fills[i];
		rule_eval_obs(&t, &o, 1, T0, max_gap, &f);
		assert_int_equal(f.fired, i == 2);
		assert_true(f.value == fills[i] && f.limit == 0.9);
	}
	/* 9 queued on backlog 9 holds 9 of 10: equal, not above; 10 of 10 is */
	o.v = 9.0 / (9 + 1);
	rule_eval_obs(&t, &o, 1, T0, max_gap, &f);
	assert_false(f.fired);
	o.v = 10.0 / (9 + 1);
	rule_eval_obs(&t, &o, 1, T0, max_gap, &f);
	assert_true(f.fired);
}

/*
 * peer_port_share_above 0.5 over 1000 ports: 500 sockets toward the peer is
 * equal, not above; 501 is; with for 1m, a minute of 501 and more.
 */
static void
test_port_share_boundaries(void **state)
{
	static const double shares[] = { 499.0 / 1000, 500.0 / 1000, 501.0 / 1000 };
	struct threshold t = above(0, 0);
	struct obs o[4];
	struct finding f;
	size_t i;

	(void)state;
	t.kind = TH_PORT_SHARE;
	t.limit = 0.5;
	for (i = 0; i < 3; i++) {
		o[0].ts = T0;
		o[0].v = shares[i];
		rule_eval_obs(&t, o, 1, T0, max_gap, &f);
		assert_int_equal(f.fired, i == 2);
		assert_true(f.value == shares[i] && f.limit == 0.5);
	}
	t.for_secs = 60;
	for (i = 0; i < 4; i++) {
		o[i].ts = T0 + 30 * (int64_t)i;
		o[i].v = i == 0 ? 0.4 : 0.6;	/* above from T0 + 30 on */
	}
	rule_eval_obs(&t, o, 3, T0 + 60, max_gap, &f);	/* 30 s of 60 */
	assert_false(f.fired);
	assert_int_equal(f.since, T0 + 30);
	rule_eval_obs(&t, o, 4, T0 + 90, max_gap, &f);	/* 60 s: fires */
	assert_true(f.fired);
}

/* oldest_above 10m: an age of 600 s is equal, not above; 601 s is. */
static void
test_oldest_boundaries(void **state)
{
	static const double ages[] = { 599, 600, 601 };
	struct threshold t = above(0, 0);
	struct obs o;
	struct finding f;
	size_t i;

	(void)state;
	t.kind = TH_OLDEST;
	t.state = TT_CLOSE_WAIT;
	t.limit = 600;
	for (i = 0; i < 3; i++) {
		o.ts = T0;
		o.v = ages[i];
		rule_eval_obs(&t, &o, 1, T0, max_gap, &f);
		assert_int_equal(f.fired, i == 2);
		assert_true(f.value == ages[i] && f.limit == 600);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_share_boundaries),
		cmocka_unit_test(test_oldest_boundaries),
		cmocka_unit_test(test_above_for),
		cmocka_unit_test(test_above_gap),
		cmocka_unit_test(test_above_max_gap),
		cmocka_unit_test(test_below_for),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_backtest_above),
		cmocka_unit_test(test_backtest_below_growth),
		cmocka_unit_test(test_backtest_matches_eval),
		cmocka_unit_test(test_backtest_long),
		cmocka_unit_test(test_no_condition),
		cmocka_unit_test(test_rate_above_boundaries),
		cmocka_unit_test(test_rate_above_for),
		cmocka_unit_test(test_fill_above_boundaries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
