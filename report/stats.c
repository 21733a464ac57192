/* Statistics over the points of one series for one state: pure. */
#include <math.h>
#include <string.h>

#include "series.h"

static int
state_ok(int state)
{
	return state >= 1 && state <= TT_NSTATES;
}

static size_t
count_le(const struct point *p, size_t n, int state, uint64_t v)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += p[i].count[state] <= v;
	return k;
}

/*
 * The rank-th smallest count (1-based), without copying or sorting:
 * the smallest v in [lo, hi] with at least rank counts <= v.  At most
 * 32 passes over the points, and no allocation.
 */
static uint64_t
nth_smallest(const struct point *p, size_t n, int state, uint64_t lo,
    uint64_t hi, size_t rank)
{
	uint64_t mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (count_le(p, n, state, mid) >= rank)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void
summary_of(const struct point *p, size_t n, int state, struct summary *out)
{
	uint64_t sum = 0;
	uint64_t c;
	size_t i, rank;

	memset(out, 0, sizeof(*out));
	if (n == 0 || !state_ok(state))
		return;
	out->n = n;
	out->min = out->max = p[0].count[state];
	out->peak_ts = out->low_ts = p[0].ts;
	for (i = 0; i < n; i++) {
		c = p[i].count[state];
		sum += c;
		if (c < out->min) {
			out->min = c;
			out->low_ts = p[i].ts;
		}
		if (c > out->max) {
			out->max = c;
			out->peak_ts = p[i].ts;
		}
	}
	out->avg = (double)sum / (double)n;
	/* Nearest rank, ceil(0.95 n), in integers: 0.95 is inexact. */
	rank = (size_t)(((uint64_t)n * 95 + 99) / 100);
	out->p95 = nth_smallest(p, n, state, out->min, out->max, rank);
}

/* Two passes, x relative to the first point, for precision. */
double
slope_of(const struct point *p, size_t n, int state)
{
	double mx = 0, my = 0, sxx = 0, sxy = 0, dx;
	size_t i;

	if (n < 2 || !state_ok(state))
		return 0;
	for (i = 0; i < n; i++) {
		mx += (double)(p[i].ts - p[0].ts);
		my += p[i].count[state];
	}
	mx /= (double)n;
	my /= (double)n;
	for (i = 0; i < n; i++) {
		dx = (double)(p[i].ts - p[0].ts) - mx;
		sxx += dx * dx;
		sxy += dx * ((double)p[i].count[state] - my);
	}
	return sxx > 0 ? sxy / sxx : 0;
}

/* The first index whose ts is >= t (n if none). */
static size_t
lower_bound(const struct point *p, size_t n, int64_t t)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].ts < t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
point_range(const struct point *p, size_t n, int64_t from, int64_t to,
    size_t *lo, size_t *hi)
{
	*lo = lower_bound(p, n, from);
	*hi = to > from ? lower_bound(p, n, to) : *lo;
}

void
series_summary(const struct series *s, int state, struct summary *out)
{
	if (s != NULL && s->nh > 0)
		summary_of_hours(s->h, s->nh, state, out);
	else
		summary_of(s ? s->p : NULL, s ? s->n : 0, state, out);
}

void
summary_of_hours(const struct hour *h, size_t n, int state, struct summary *out)
{
	uint64_t sum = 0, samples = 0;
	size_t i;
	int first = 1;

	memset(out, 0, sizeof(*out));
	if (!state_ok(state))
		return;
	for (i = 0; i < n; i++) {
		if (h[i].n == 0)
			continue;
		if (first || h[i].min[state] < out->min) {
			out->min = h[i].min[state];
			out->low_ts = h[i].ts;
		}
		if (first || h[i].max[state] > out->max) {
			out->max = h[i].max[state];
			out->peak_ts = h[i].ts;
		}
		first = 0;
		sum += h[i].sum[state];
		samples += h[i].n;
	}
	if (samples == 0)
		return;
	out->n = (size_t)samples;
	out->avg = (double)sum / (double)samples;
	out->p95 = NAN;
}

double
slope_of_hours(const struct hour *h, size_t n, int state)
{
	double w = 0, mx = 0, my = 0, sxx = 0, sxy = 0, dx, y;
	size_t i, used = 0;

	if (!state_ok(state))
		return 0;
	for (i = 0; i < n; i++) {
		if (h[i].n == 0)
			continue;
		used++;
		w += h[i].n;
		mx += (double)h[i].n * (double)(h[i].ts - h[0].ts);
		my += (double)h[i].sum[state];
	}
	if (used < 2)
		return 0;
	mx /= w;
	my /= w;
	for (i = 0; i < n; i++) {
		if (h[i].n == 0)
			continue;
		dx = (double)(h[i].ts - h[0].ts) - mx;
		y = (double)h[i].sum[state] / (double)h[i].n;
		sxx += (double)h[i].n * dx * dx;
		sxy += (double)h[i].n * dx * (y - my);
	}
	return sxx > 0 ? sxy / sxx : 0;
}
