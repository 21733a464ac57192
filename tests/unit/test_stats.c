#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "series.h"

#define S	TT_CLOSE_WAIT
#define NP	200

static struct point pts[NP];

/* n points at ts0, ts0 + step, ... with the given counts of state S. */
static void
fill(int64_t ts0, int64_t step, const uint32_t *c, size_t n)
{
	size_t i;

	memset(pts, 0, sizeof(pts));
	for (i = 0; i < n; i++) {
		pts[i].ts = ts0 + (int64_t)i * step;
		pts[i].count[S] = c[i];
		pts[i].count[TT_LISTEN] = 99999;	/* another state */
	}
}

static void
fill_ramp(size_t n, uint32_t first, int32_t inc)
{
	uint32_t c[NP];
	size_t i;

	for (i = 0; i < n; i++)
		c[i] = first + (uint32_t)((int32_t)i * inc);
	fill(1795464350, 10, c, n);
}

static void
test_p95(void **state)
{
	struct summary sm;

	(void)state;
	fill_ramp(100, 1, 1);			/* 1..100 */
	summary_of(pts, 100, S, &sm);
	assert_int_equal(sm.n, 100);
	assert_int_equal(sm.min, 1);
	assert_int_equal(sm.max, 100);
	assert_true(sm.p95 == 95.0);
	assert_true(sm.avg == 50.5);
	assert_int_equal(sm.peak_ts, 1795464350 + 990);

	fill_ramp(20, 1, 1);			/* 1..20: the 19th */
	summary_of(pts, 20, S, &sm);
	assert_true(sm.p95 == 19.0);
	assert_true(sm.avg == 10.5);

	fill_ramp(100, 100, -1);		/* 100..1: order is irrelevant */
	summary_of(pts, 100, S, &sm);
	assert_true(sm.p95 == 95.0);
	assert_int_equal(sm.peak_ts, 1795464350);

	fill_ramp(19, 1, 1);			/* ceil(18.05) = 19: the max */
	summary_of(pts, 19, S, &sm);
	assert_true(sm.p95 == 19.0);

	fill_ramp(21, 1, 1);			/* ceil(19.95) = 20 */
	summary_of(pts, 21, S, &sm);
	assert_true(sm.p95 == 20.0);
}

static void
test_summary_edges(void **state)
{
	static const uint32_t one[] = { 7 };
	static const uint32_t peaks[] = { 3, 9, 2, 9, 1 };
	static const uint32_t dup[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 4000000000u, 4000000000u };
	struct summary sm;

	(void)state;
	fill(500, 10, one, 1);
	summary_of(pts, 1, S, &sm);
	assert_int_equal(sm.n, 1);
	assert_int_equal(sm.min, 7);
	assert_int_equal(sm.max, 7);
	assert_true(sm.p95 == 7.0);
	assert_true(sm.avg == 7.0);
	assert_int_equal(sm.peak_ts, 500);

	fill(500, 10, peaks, 5);
	summary_of(pts, 5, S, &sm);
	assert_int_equal(sm.min, 1);
	assert_int_equal(sm.max, 9);
	assert_int_equal(sm.peak_ts, 510);	/* the first 9 */
	assert_true(sm.p95 == 9.0);
	assert_true(sm.avg == 24.0 / 5);

	fill(500, 10, dup, 20);			/* the 19th of 20 */
	summary_of(pts, 20, S, &sm);
	assert_true(sm.p95 == 4000000000.0);
	assert_true(sm.avg == 400000000.0);

	memset(&sm, 0xff, sizeof(sm));
	summary_of(pts, 0, S, &sm);
	assert_int_equal(sm.n, 0);
	assert_int_equal(sm.min, 0);
	assert_int_equal(sm.max, 0);
	assert_true(sm.avg == 0 && sm.p95 == 0);
	assert_int_equal(sm.peak_ts, 0);
}

static void
test_slope(void **state)
{
	static const uint32_t flat[] = { 5, 5, 5, 5 };
	static const uint32_t two[] = { 10, 40 };
	static const uint32_t noisy[] = { 1, 3, 2, 4 };

	(void)state;
	fill_ramp(100, 5, 20);			/* +20 per 10 s */
	assert_float_equal(slope_of(pts, 100, S), 2.0, 1e-9);
	assert_float_equal(slope_of(pts, 100, TT_LISTEN), 0.0, 1e-12);
	fill_ramp(60, 10000, -5);		/* -0.5/s */
	assert_float_equal(slope_of(pts, 60, S), -0.5, 1e-9);
	fill(1795464350, 10, flat, 4);
	assert_true(slope_of(pts, 4, S) == 0.0);
	fill(1795464350, 30, two, 2);
	assert_float_equal(slope_of(pts, 2, S), 1.0, 1e-12);
	assert_true(slope_of(pts, 1, S) == 0.0);
	assert_true(slope_of(pts, 0, S) == 0.0);
	fill(1795464350, 0, two, 2);		/* same ts: no slope */
	assert_true(slope_of(pts, 2, S) == 0.0);
	/* x 0,10,20,30; y 1,3,2,4: sxy = 25, sxx = 500. */
	fill(1795464350, 10, noisy, 4);
	assert_float_equal(slope_of(pts, 4, S), 0.08, 1e-12);
}

/*
 * Rollups of raw points summarised equal the raw summary (min, max, avg),
 * whatever the hours' sample counts; p95 is unknown; slope of a straight
 * ramp is its slope.
 */
static void
test_hours(void **state)
{
	struct hour h[3];
	struct summary raw, agg;
	size_t i, k, bounds[4] = { 0, 7, 50, 120 };
	int64_t t0 = 1795464000;	/* on the hour */

	(void)state;
	fill_ramp(120, 1000, -3);
	pts[30].count[S] = 5000;	/* a spike in the second hour */
	for (i = 0; i < 120; i++)	/* 10 s apart: hour boundaries at 0, 360 points */
		pts[i].ts = t0 + (int64_t)(bounds[i < 7 ? 0 : i < 50 ? 1 : 2]) * 3600 +
		    (int64_t)i;
	memset(h, 0, sizeof(h));
	for (k = 0; k < 3; k++) {
		h[k].ts = t0 + (int64_t)bounds[k] * 3600;
		for (i = bounds[k]; i < bounds[k + 1]; i++) {
			uint32_t v = pts[i].count[S];

			if (h[k].n == 0 || v < h[k].min[S])
				h[k].min[S] = v;
			if (h[k].n == 0 || v > h[k].max[S])
				h[k].max[S] = v;
			h[k].sum[S] += v;
			h[k].n++;
		}
	}
	summary_of(pts, 120, S, &raw);
	summary_of_hours(h, 3, S, &agg);
	assert_int_equal(agg.n, raw.n);
	assert_int_equal(agg.min, raw.min);
	assert_int_equal(agg.max, 5000);
	assert_int_equal(agg.max, raw.max);
	assert_true(agg.avg == raw.avg);
	assert_int_equal(agg.peak_ts, h[1].ts);
	assert_true(agg.p95 != agg.p95);	/* NaN: not known from rollups */
	summary_of_hours(h, 0, S, &agg);
	assert_int_equal(agg.n, 0);
	summary_of_hours(h, 3, 0, &agg);
	assert_int_equal(agg.n, 0);

	/* Hourly averages on a line of +2 per hour, uneven counts: slope 2/3600 s. */
	memset(h, 0, sizeof(h));
	for (k = 0; k < 3; k++) {
		h[k].ts = t0 + (int64_t)k * 3600;
		h[k].n = (uint32_t)(k + 1) * 10;
		h[k].sum[S] = (uint64_t)h[k].n * (100 + 2 * k);
	}
	assert_true(fabs(slope_of_hours(h, 3, S) - 2.0 / 3600.0) < 1e-12);
	assert_true(slope_of_hours(h, 1, S) == 0);
}

static void
test_point_range(void **state)
{
	static const uint32_t c[] = { 1, 2, 3, 4 };
	size_t lo, hi;

	(void)state;
	fill(10, 10, c, 4);			/* ts 10 20 30 40 */
	point_range(pts, 4, 20, 40, &lo, &hi);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 3);
	point_range(pts, 4, 15, 35, &lo, &hi);
	assert_int_equal(lo, 1);
	assert_int_equal(hi, 3);
	point_range(pts, 4, 0, 100, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 4);
	point_range(pts, 4, 10, 11, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 1);
	point_range(pts, 4, 40, 41, &lo, &hi);
	assert_int_equal(lo, 3);
	assert_int_equal(hi, 4);
	point_range(pts, 4, 41, 50, &lo, &hi);
	assert_int_equal(lo, 4);
	assert_int_equal(hi, 4);
	point_range(pts, 4, 0, 10, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 0);
	point_range(pts, 4, 30, 30, &lo, &hi);
	assert_int_equal(lo, 2);
	assert_int_equal(hi, 2);
	point_range(pts, 4, 35, 15, &lo, &hi);	/* backwards: empty */
	assert_int_equal(lo, 3);
	assert_int_equal(hi, 3);
	point_range(pts, 0, 0, 100, &lo, &hi);
	assert_int_equal(lo, 0);
	assert_int_equal(hi, 0);
}

static void
test_dataset(void **state)
{
	struct dataset d;
	struct series *a, *b;
	struct point pt;
	char longhost[TT_SOURCE_MAX + 100];
	size_t i, guess;

	(void)state;
	memset(&d, 0, sizeof(d));
	assert_non_null(a = dataset_series(&d, "web1", "all"));
	assert_string_equal(a->host, "web1");
	assert_string_equal(a->group, "all");
	assert_int_equal(a->n, 0);
	memset(&pt, 0, sizeof(pt));
	for (i = 0; i < 1000; i++) {
		pt.ts = (int64_t)i;
		pt.count[S] = (uint32_t)i * 2;
		assert_int_equal(series_push(a, &pt), 0);
	}
	for (i = 0; i < 20; i++) {
		snprintf(longhost, sizeof(longhost), "h%zu", i);
		assert_non_null(b = dataset_series(&d, longhost, "web"));
	}
	assert_int_equal(d.n, 21);
	a = dataset_series(&d, "web1", "all");		/* found, not added */
	assert_int_equal(d.n, 21);
	assert_int_equal(a->n, 1000);
	assert_true(a->cap >= 1000);
	assert_int_equal(a->p[999].ts, 999);
	assert_int_equal(a->p[999].count[S], 1998);
	assert_ptr_equal(dataset_series(&d, "h3", "web"), &d.s[4]);
	assert_ptr_not_equal(dataset_series(&d, "h3", "all"), &d.s[4]);
	assert_int_equal(d.n, 22);

	memset(longhost, 'x', sizeof(longhost) - 1);	/* truncated, found */
	longhost[sizeof(longhost) - 1] = '\0';
	assert_non_null(b = dataset_series(&d, longhost, "all"));
	assert_int_equal(strlen(b->host), sizeof(b->host) - 1);
	assert_ptr_equal(dataset_series(&d, longhost, "all"), b);
	assert_int_equal(d.n, 23);

	/* series_for: the guess first, then the one after it; else found or made */
	guess = 4;
	assert_ptr_equal(series_for(&d, &guess, "h3", "web"), &d.s[4]);
	assert_int_equal(guess, 5);
	assert_ptr_equal(series_for(&d, &guess, "h4", "web"), &d.s[5]);
	assert_ptr_equal(series_for(&d, &guess, "web1", "all"), &d.s[0]);
	assert_int_equal(guess, 1);
	assert_ptr_equal(series_for(&d, &guess, longhost, "all"), &d.s[22]);
	assert_int_equal(guess, 0);	/* after the last: the first */
	assert_non_null(b = series_for(&d, &guess, "web1/ttns-a", "all"));
	assert_int_equal(d.n, 24);
	assert_string_equal(b->host, "web1/ttns-a");
	assert_int_equal(guess, 0);

	dataset_free(&d);
	assert_null(d.s);
	assert_int_equal(d.n, 0);
	assert_int_equal(d.cap, 0);
	dataset_free(&d);				/* twice is harmless */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p95),
		cmocka_unit_test(test_summary_edges),
		cmocka_unit_test(test_slope),
		cmocka_unit_test(test_hours),
		cmocka_unit_test(test_point_range),
		cmocka_unit_test(test_dataset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
