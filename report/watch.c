/*
 * What a threshold watches, as values in time, for check, backtest and
 * daily alike: a state's count, a group's fullest accept queue, its largest
 * outbound port share or its oldest CLOSE_WAIT's age in each host x group
 * series, or per host a kernel counter's rate or a gauge's share of its
 * limit (the limits in force at the window's end). One load
 * per threshold, then a call per series with its values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

/* The values of s that t watches; *n of them, malloc'd into *out. */
static int
values_of(const struct threshold *t, const struct series *s, const struct klimits *l,
    struct obs **out, size_t *n)
{
	struct obs *o;
	double v;
	size_t i, m = t->kind == TH_RATE || t->kind == TH_USED ? s->nk : s->n;

	*n = 0;
	if ((*out = o = calloc(m + 1, sizeof(*o))) == NULL)
		return -1;
	for (i = 0; i < m; i++) {
		switch (t->kind) {
		case TH_COUNT:
			v = (double)s->p[i].count[t->state];
			break;
		case TH_FILL:
			v = s->p[i].lq.have ? s->p[i].lq.max_fill : NAN;
			break;
		case TH_RATE:
			v = kernel_rate(s->k, i, t->metric);
			break;
		default:
			v = kernel_used(&s->k[i], t->metric, l);
		}
		if (isnan(v))
			continue;
		o[*n].ts = t->kind == TH_RATE || t->kind == TH_USED ? s->k[i].ts : s->p[i].ts;
		o[(*n)++].v = v;
	}
	return 0;
}

int
watch_each(struct report *r, const struct threshold *t, int64_t from, int64_t to,
    int (*fn)(void *, const struct series *, const struct obs *, size_t), void *arg)
{
	struct dataset d = { 0 };
	struct klimits l;
	struct obs *o;
	size_t i, n;
	int rc = 0, was;

	if (t->kind == TH_RATE || t->kind == TH_USED)
		rc = hist_kernel(&r->hist, from, to, &d) == -1 ? report_fail(r) : 0;
	else {
		was = r->hist.lq;
		r->hist.lq = was || t->kind == TH_FILL;
		rc = report_load(r, ROWS_RAW, from, to, t->group, &d);
		r->hist.lq = was;
	}
	dataset_sort(&d);
	for (i = 0; i < d.n && rc == 0; i++) {
		memset(&l, 0, sizeof(l));
		if (t->kind == TH_USED && hist_limits(&r->hist, d.s[i].host, to, &l) == -1)
			continue;	/* its file refused: named at the end */
		if (t->kind == TH_PORT_SHARE || t->kind == TH_OLDEST) {
			int got = hist_bk_obs(&r->hist, d.s[i].host, d.s[i].group,
			    t->kind == TH_PORT_SHARE ? BKO_PORT_SHARE : BKO_OLDEST, from, to,
			    &o, &n);

			if (got == -2) {
				rc = runtime_err(r, "out of memory");
				break;
			}
			if (got == -1)
				continue;	/* its file refused: named at the end */
		} else if (values_of(t, &d.s[i], &l, &o, &n) == -1) {
			rc = runtime_err(r, "out of memory");
			break;
		}
		rc = fn(arg, &d.s[i], o, n);
		free(o);
	}
	dataset_free(&d);
	return rc;
}

const char *
watch_what(const struct threshold *t, char *buf, size_t len)
{
	if (t->kind == TH_FILL)
		snprintf(buf, len, "%s fill", state_name(t->state));
	else if (t->kind == TH_PORT_SHARE)
		snprintf(buf, len, "peer port share");
	else if (t->kind == TH_OLDEST)
		snprintf(buf, len, "oldest %s", state_name(t->state));
	else if (t->kind == TH_RATE)
		snprintf(buf, len, "%s rate", kstat_name(t->metric));
	else if (t->kind == TH_USED)
		snprintf(buf, len, "%s", t->metric == USED_TW ? "tw_buckets_used" :
		    "orphans_used");
	else
		snprintf(buf, len, "%s", state_name(t->state));
	return buf;
}

const char *
watch_value(const struct threshold *t, double v, char *buf, size_t len)
{
	if (t->kind == TH_FILL || t->kind == TH_USED || t->kind == TH_PORT_SHARE)
		snprintf(buf, len, "%.0f%%", v * 100.0);
	else if (t->kind == TH_OLDEST)
		duration_format((int64_t)v, buf, len);
	else if (t->kind == TH_RATE)
		snprintf(buf, len, "%.3g/s", v);
	else
		snprintf(buf, len, "%.0f", v);
	return buf;
}
