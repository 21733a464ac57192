/*
 * Threshold rules over the values of one series: pure.  This comment is
 * the contract that check and backtest keep.  A value is what the
 * threshold watches at a sample: a state's count, a group's fullest
 * accept queue (fill_above), a kernel counter's rate per second
 * (rate_above), a gauge's share of its limit (tw_buckets_used,
 * orphans_used); the caller makes the series (rule_eval and rule_backtest
 * make a state's counts from points).
 *
 * Let i be the last point with ts <= at.  With no such point, or a
 * threshold without a condition, nothing fires.
 *
 * above N / below N, for F (F = 0: the latest sample alone decides);
 * fill_above, rate_above and a share's above work as above
 *	A point breaches when its value > N (above) or < N (below).
 *	The rule fires iff point i breaches and the run of consecutive
 *	breaching points ending at i, starting at j, has
 *	p[i].ts - p[j].ts >= F.  A non-breaching point breaks a run, and
 *	so does a gap between consecutive points longer than max_gap
 *	when that is set (the report passes STALE_INTERVALS intervals:
 *	across a collector outage nothing is known, so a breach is not
 *	assumed to have lasted).
 *	value = count at i, limit = N, since = p[j].ts (set whenever i
 *	breaches, also while the run is still shorter than F).
 *
 * growth R over window W
 *	The window is the points with at - W <= ts <= at.  The rule fires
 *	iff it holds at least 2 points and the least-squares slope of count
 *	over ts is >= R (per second).  value = that slope, limit = R,
 *	since = ts of the window's first point.
 *
 * backtest
 *	rule_eval at every point's ts, in order.  Consecutive points at
 *	which it fired make one interval [start, end] (their ts); peak is
 *	the highest count in it (above, growth) or the lowest (below).
 *	Points sharing a ts are all judged as rule_eval judges that ts.
 *
 * Cost: rule_eval is O(log n + run) or O(log n + window).  rule_backtest
 * is O(n): above/below keep the run start as the points go by; growth
 * slides the window, adding and removing each point's least-squares
 * terms once.  Those sums are exact int64 integers with x measured from
 * the window's first point, so the order of additions does not matter
 * and backtest reaches the very slope rule_eval computes.  A window
 * whose sums could overflow (m W^2 or W sum(count) near 2^60; e.g. a 7d
 * window of 1s samples) falls back to least squares in doubles over the
 * window, in both, at O(window) per point.
 */
#include <stdlib.h>
#include <string.h>

#include "series.h"

#define LSQ_LIMIT	1152921504606846976.0		/* 2^60 */

/* Least-squares sums over a window; x = ts - base. */
struct lsq {
	int64_t		 base;		/* the window's first ts */
	int64_t		 m, sy;		/* always kept */
	int64_t		 sx, sxx, sxy;	/* only while valid */
	int		 valid;
};

/* Backtest state: a run of breaches, or a growth window [left, right). */
struct slide {
	const struct threshold *t;
	const struct obs *p;
	int64_t		 max_gap;
	size_t		 run;		/* first point of the breaching run */
	int		 inrun;
	size_t		 left, right;
	struct lsq	 l;
};

static int
rule_ok(const struct threshold *t)
{
	if (t->kind != TH_COUNT)
		return t->has_above;
	return t->state >= 1 && t->state <= TT_NSTATES &&
	    (t->has_above || t->has_below || t->has_growth);
}

/* What a value above breaches: a count's, or the limit of the other kinds. */
static double
above_of(const struct threshold *t)
{
	return t->kind == TH_COUNT ? (double)t->above : t->limit;
}

/* The config allows one condition; should there be more, above wins. */
static int
is_below(const struct threshold *t)
{
	return t->kind == TH_COUNT && !t->has_above && t->has_below;
}

static int
is_growth(const struct threshold *t)
{
	return t->kind == TH_COUNT && !t->has_above && !t->has_below && t->has_growth;
}

static int
breach(const struct threshold *t, const struct obs *o)
{
	return t->has_above ? o->v > above_of(t) : o->v < (double)t->below;
}

/* Number of points with ts <= at. */
static size_t
upto(const struct obs *p, size_t n, int64_t at)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].ts <= at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The first of p[0..n) with ts >= from. */
static size_t
from_here(const struct obs *p, size_t n, int64_t from)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (p[mid].ts < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int64_t
window_start(const struct threshold *t, int64_t at)
{
	int64_t w = t->window > 0 ? t->window : 0;

	return at < INT64_MIN + w ? INT64_MIN : at - w;
}

/* Whether a window's exact sums, and a rebase of them, fit in int64. */
static int
lsq_fits(const struct threshold *t, int64_t m, int64_t sy)
{
	double w = t->window > 0 ? (double)t->window : 0;

	return (double)m * w * w < LSQ_LIMIT && w * (double)sy < LSQ_LIMIT;
}

static void
lsq_term(struct lsq *l, const struct obs *pt, int sign)
{
	int64_t x = pt->ts - l->base, y = (int64_t)pt->v;	/* growth: counts */

	l->m += sign;
	l->sy += sign * y;
	if (l->valid) {
		l->sx += sign * x;
		l->sxx += sign * x * x;
		l->sxy += sign * x * y;
	}
}

/* Measure x from nb instead, nb >= base. */
static void
lsq_rebase(struct lsq *l, int64_t nb)
{
	int64_t d = nb - l->base;

	if (l->valid) {
		l->sxx -= d * (2 * l->sx - l->m * d);
		l->sxy -= d * l->sy;
		l->sx -= l->m * d;
	}
	l->base = nb;
}

/* The sums of p[lo..hi) from scratch. */
static void
lsq_build(struct lsq *l, const struct threshold *t, const struct obs *p,
    size_t lo, size_t hi)
{
	size_t k;

	memset(l, 0, sizeof(*l));
	l->base = p[lo].ts;
	for (k = lo; k < hi; k++)
		l->sy += (int64_t)p[k].v;
	l->valid = lsq_fits(t, (int64_t)(hi - lo), l->sy);
	l->sy = 0;
	for (k = lo; k < hi; k++)
		lsq_term(l, &p[k], 1);
}

/* Least squares in doubles, for a window too long for the exact sums. */
static double
slope_obs(const struct obs *p, size_t n)
{
	double sx = 0, sy = 0, sxx = 0, sxy = 0, x, den;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 0; i < n; i++) {
		x = (double)(p[i].ts - p[0].ts);
		sx += x;
		sy += p[i].v;
		sxx += x * x;
		sxy += x * p[i].v;
	}
	den = (double)n * sxx - sx * sx;
	return den > 0 ? ((double)n * sxy - sx * sy) / den : 0;
}

/* The slope of the window p[lo..hi) that l sums. */
static double
lsq_slope(const struct lsq *l, const struct obs *p, size_t lo, size_t hi)
{
	double m = (double)l->m, den;

	if (l->m < 2)
		return 0;
	if (!l->valid)
		return slope_obs(p + lo, hi - lo);
	den = m * (double)l->sxx - (double)l->sx * (double)l->sx;
	if (!(den > 0))
		return 0;
	return (m * (double)l->sxy - (double)l->sx * (double)l->sy) / den;
}

/* Is the step from a to b a gap that ends a run? */
static int
gap(int64_t max_gap, const struct obs *a, const struct obs *b)
{
	return max_gap > 0 && b->ts - a->ts > max_gap;
}

static void
eval_level(const struct threshold *t, const struct obs *p, size_t i,
    int64_t max_gap, struct finding *f)
{
	size_t j = i;

	f->value = p[i].v;
	if (!breach(t, &p[i]))
		return;
	while (j > 0 && breach(t, &p[j - 1]) && !gap(max_gap, &p[j - 1], &p[j]))
		j--;
	f->since = p[j].ts;
	f->fired = p[i].ts - p[j].ts >= t->for_secs;
}

static void
eval_growth(const struct threshold *t, const struct obs *p, size_t n,
    int64_t at, struct finding *f)
{
	struct lsq l;
	size_t lo, hi = n;	/* every one of the n has ts <= at */

	lo = from_here(p, n, window_start(t, at));
	if (hi - lo < 2)
		return;
	lsq_build(&l, t, p, lo, hi);
	f->value = lsq_slope(&l, p, lo, hi);
	f->since = p[lo].ts;
	f->fired = f->value >= t->growth;
}

void
rule_eval_obs(const struct threshold *t, const struct obs *p, size_t n,
    int64_t at, int64_t max_gap, struct finding *f)
{
	memset(f, 0, sizeof(*f));
	if (t->has_above)
		f->limit = above_of(t);
	else if (t->has_below)
		f->limit = (double)t->below;
	else if (t->has_growth)
		f->limit = t->growth;
	if (!rule_ok(t) || (n = upto(p, n, at)) == 0)
		return;
	if (is_growth(t))
		eval_growth(t, p, n, at, f);
	else
		eval_level(t, p, n - 1, max_gap, f);
}

/* Take in p[k..e], which share ts; whether the rule fires at that ts. */
static int
step_level(struct slide *s, size_t k, size_t e)
{
	for (; k <= e; k++) {
		if (!breach(s->t, &s->p[k]))
			s->inrun = 0;
		else if (!s->inrun || (k > 0 && gap(s->max_gap, &s->p[k - 1], &s->p[k]))) {
			s->inrun = 1;
			s->run = k;
		}
	}
	return s->inrun && s->p[e].ts - s->p[s->run].ts >= s->t->for_secs;
}

static int
step_growth(struct slide *s, size_t k, size_t e)
{
	const struct obs *p = s->p;
	int64_t from = window_start(s->t, p[k].ts), ny = 0;
	size_t i;

	for (; s->left < s->right && p[s->left].ts < from; s->left++)
		lsq_term(&s->l, &p[s->left], -1);
	for (i = k; i <= e; i++)
		ny += (int64_t)p[i].v;
	if (s->left < s->right && s->l.valid &&
	    lsq_fits(s->t, s->l.m + (int64_t)(e + 1 - k), s->l.sy + ny)) {
		lsq_rebase(&s->l, p[s->left].ts);
		for (i = k; i <= e; i++)
			lsq_term(&s->l, &p[i], 1);
	} else
		lsq_build(&s->l, s->t, p, s->left, e + 1);
	s->right = e + 1;
	return s->l.m >= 2 &&
	    lsq_slope(&s->l, p, s->left, s->right) >= s->t->growth;
}

/* Note point pt, at which the rule fired or not, in the intervals. */
static int
record(const struct threshold *t, const struct obs *pt, int fired,
    int *open, struct firing **out, size_t *nout, size_t *cap)
{
	struct firing *fi;
	double c = pt->v;

	if (!fired) {
		*open = 0;
		return 0;
	}
	if (*open) {
		fi = &(*out)[*nout - 1];
		fi->end = pt->ts;
		if (is_below(t) ? c < fi->peak : c > fi->peak)
			fi->peak = c;
		return 0;
	}
	if (*nout == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		if ((fi = reallocarray(*out, *cap, sizeof(*fi))) == NULL)
			return -1;
		*out = fi;
	}
	fi = &(*out)[(*nout)++];
	fi->start = fi->end = pt->ts;
	fi->peak = c;
	*open = 1;
	return 0;
}

int
rule_backtest_obs(const struct threshold *t, const struct obs *p, size_t n,
    int64_t max_gap, struct firing **out, size_t *nout)
{
	struct slide s;
	size_t k, e, i, cap = 0;
	int fired, open = 0;

	*out = NULL;
	*nout = 0;
	if (!rule_ok(t))
		return 0;
	memset(&s, 0, sizeof(s));
	s.t = t;
	s.p = p;
	s.max_gap = max_gap;
	for (k = 0; k < n; k = e + 1) {
		for (e = k; e + 1 < n && p[e + 1].ts == p[k].ts; e++)
			;
		if (is_growth(t))
			fired = step_growth(&s, k, e);
		else
			fired = step_level(&s, k, e);
		for (i = k; i <= e; i++)
			if (record(t, &p[i], fired, &open, out, nout,
			    &cap) == -1) {
				free(*out);
				*out = NULL;
				*nout = 0;
				return -1;
			}
	}
	if (*nout == 0) {
		free(*out);
		*out = NULL;
	}
	return 0;
}

/* The state's counts of points, as the values the rules read; NULL if out of memory. */
static struct obs *
counts_of(const struct threshold *t, const struct point *p, size_t n)
{
	struct obs *o;
	size_t i;

	if ((o = calloc(n + 1, sizeof(*o))) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		o[i].ts = p[i].ts;
		o[i].v = t->state >= 1 && t->state <= TT_NSTATES ?
		    (double)p[i].count[t->state] : 0;
	}
	return o;
}

void
rule_eval(const struct threshold *t, const struct point *p, size_t n,
    int64_t at, int64_t max_gap, struct finding *f)
{
	struct obs *o = counts_of(t, p, n);

	if (o == NULL) {
		memset(f, 0, sizeof(*f));
		return;
	}
	rule_eval_obs(t, o, n, at, max_gap, f);
	free(o);
}

int
rule_backtest(const struct threshold *t, const struct point *p, size_t n,
    int64_t max_gap, struct firing **out, size_t *nout)
{
	struct obs *o = counts_of(t, p, n);
	int rc;

	*out = NULL;
	*nout = 0;
	if (o == NULL)
		return -1;
	rc = rule_backtest_obs(t, o, n, max_gap, out, nout);
	free(o);
	return rc;
}
