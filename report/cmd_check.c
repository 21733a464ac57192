/*
 * check: evaluate the config's thresholds like a Nagios plugin. The first line
 * is the status with perfdata; then one line per finding. Exit 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no fresh sample within STALE_INTERVALS, or an
 * error of check's own). CRITICAL outranks UNKNOWN, which outranks WARNING.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define ST_OK		0
#define ST_WARNING	1
#define ST_CRITICAL	2
#define ST_UNKNOWN	3

static const char *const status_name[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };

struct check_state {
	int		 status;
	size_t		 nwarn, ncrit, nunknown, nhosts;
	FILE		*perf, *lines;		/* open_memstream: no length limit */
	char		*perfbuf, *linebuf;
	size_t		 perflen, linelen;
};

static int
rank(int status)
{
	static const int r[] = { 0, 1, 3, 2 };	/* OK < WARNING < UNKNOWN < CRITICAL */

	return r[status];
}

static void
raise_status(struct check_state *cs, int status)
{
	if (rank(status) > rank(cs->status))
		cs->status = status;
}

static void
add_line(struct check_state *cs, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_line(struct check_state *cs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(cs->lines, fmt, ap);
	va_end(ap);
}

/* 'group_STATE'=value;warn;crit, once per host x group x state. */
static void
add_perf(struct check_state *cs, const struct report *r, const struct series *s,
    const struct threshold *t, uint32_t value)
{
	char label[512], lim[32] = "";
	char *have;

	if (cs->nhosts > 1 || r->hist.n > 1 || r->hist.host != NULL)
		snprintf(label, sizeof(label), "'%s/%s_%s'", s->host, s->group, state_name(t->state));
	else
		snprintf(label, sizeof(label), "'%s_%s'", s->group, state_name(t->state));
	fflush(cs->perf);
	have = cs->perfbuf;
	if (have != NULL && strstr(have, label) != NULL)
		return;
	if (t->has_above)
		snprintf(lim, sizeof(lim), "%lld", (long long)t->above);
	else if (t->has_below)
		snprintf(lim, sizeof(lim), "%lld:", (long long)t->below);
	fprintf(cs->perf, " %s=%u;%s;%s", label, value, t->severity == SEV_WARNING ? lim : "",
	    t->severity == SEV_CRITICAL ? lim : "");
}

static void
describe(char *buf, size_t len, const struct threshold *t, const struct finding *f)
{
	char d[32];

	if (t->has_growth) {
		duration_format(t->window, d, sizeof(d));
		snprintf(buf, len, "growing %.2f/min over %s, limit %.2f/min", f->value * 60.0, d,
		    f->limit * 60.0);
		return;
	}
	duration_format(t->for_secs, d, sizeof(d));
	snprintf(buf, len, "%.0f %s %.0f%s%s", f->value, t->has_above ? ">" : "<", f->limit,
	    t->for_secs ? " for " : "", t->for_secs ? d : "");
}

static int
host_stale(const struct dataset *stale, const char *host)
{
	size_t i;

	for (i = 0; i < stale->n; i++)
		if (strcmp(stale->s[i].host, host) == 0)
			return 1;
	return 0;
}

static int
check_threshold(struct report *r, const struct threshold *t, int64_t at,
    const struct dataset *stale, struct check_state *cs)
{
	int64_t back = (t->has_growth ? t->window : t->for_secs) + r->max_gap + 1;
	struct dataset d = { 0 };
	struct finding f;
	char what[160];
	size_t i;

	if (report_load(r, ROWS_RAW, at - back, at, t->group, &d) != 0) {
		dataset_free(&d);
		return -1;
	}
	if (d.n == 0 && cs->nhosts > stale->n) {
		/* fresh samples exist, but none of this group: a typo, or a new group
		 * the collector has not been reloaded for */
		add_line(cs, "UNKNOWN %s: no recent samples of group %s; is it in the "
		    "collector's config (reload it with SIGHUP)?\n", t->name, t->group);
		cs->nunknown++;
		raise_status(cs, ST_UNKNOWN);
	}
	for (i = 0; i < d.n; i++) {
		const struct series *s = &d.s[i];

		if (host_stale(stale, s->host))
			continue;
		rule_eval(t, s->p, s->n, at, r->max_gap, &f);
		if (r->perfdata == PERF_ALL || (r->perfdata == PERF_BREACHING && f.fired))
			add_perf(cs, r, s, t, s->p[s->n - 1].count[t->state]);
		if (!f.fired)
			continue;
		describe(what, sizeof(what), t, &f);
		add_line(cs, "%s %s: host %s, group %s, %s %s\n",
		    status_name[t->severity == SEV_CRITICAL ? ST_CRITICAL : ST_WARNING],
		    t->name, s->host, s->group, state_name(t->state), what);
		if (t->severity == SEV_CRITICAL)
			cs->ncrit++;
		else
			cs->nwarn++;
		raise_status(cs, t->severity == SEV_CRITICAL ? ST_CRITICAL : ST_WARNING);
	}
	dataset_free(&d);
	return 0;
}

/* Hosts whose newest sample (at or before `at`) is older than r->max_gap. */
static int
find_stale(struct report *r, int64_t at, struct dataset *stale,
    struct check_state *cs)
{
	struct dataset latest = { 0 }, recent = { 0 };
	char when[32];
	size_t i;
	int rc;

	rc = report_load_latest(r, "all", &latest);
	if (rc == 0)
		rc = report_load(r, ROWS_RAW, at - r->max_gap, at, "all", &recent);
	for (i = 0; i < latest.n && rc == 0; i++) {
		const struct series *s = &latest.s[i];
		const struct series *rs = dataset_series(&recent, s->host, "all");

		cs->nhosts++;
		if (rs == NULL) {
			rc = -1;
			break;
		}
		if (rs->n > 0)
			continue;
		if (dataset_series(stale, s->host, "all") == NULL) {
			rc = -1;
			break;
		}
		add_line(cs, "UNKNOWN host %s: newest sample %s is older than %d intervals "
		    "(%llds); is tcptally-collector running?\n", s->host,
		    fmt_time(s->p[s->n - 1].ts, when, sizeof(when)), STALE_INTERVALS,
		    (long long)r->max_gap);
		cs->nunknown++;
		raise_status(cs, ST_UNKNOWN);
	}
	dataset_free(&latest);
	dataset_free(&recent);
	return rc;
}

int
cmd_check(struct report *r)
{
	int64_t at = r->at_set ? r->at : r->now;
	struct dataset stale = { 0 };
	struct check_state *cs;
	size_t i;
	int rc;

	if (r->cfg->nthresholds == 0) {
		printf("TCPTALLY UNKNOWN: no thresholds in %s; add some under `thresholds:`\n",
		    r->config_path ? r->config_path : "the config (none was found)");
		return ST_UNKNOWN;
	}
	if ((cs = calloc(1, sizeof(*cs))) == NULL ||
	    (cs->perf = open_memstream(&cs->perfbuf, &cs->perflen)) == NULL ||
	    (cs->lines = open_memstream(&cs->linebuf, &cs->linelen)) == NULL) {
		if (cs != NULL && cs->perf != NULL)
			fclose(cs->perf);
		free(cs != NULL ? cs->perfbuf : NULL);
		free(cs);
		return runtime_err(r, "out of memory");
	}
	rc = find_stale(r, at, &stale, cs);
	if (rc == 0 && cs->nhosts == 0) {
		add_line(cs, "UNKNOWN: %s holds no samples yet\n", r->hist.path[0]);
		cs->nunknown++;
		raise_status(cs, ST_UNKNOWN);
	}
	for (i = 0; i < r->cfg->nthresholds && rc == 0; i++)
		rc = check_threshold(r, &r->cfg->thresholds[i], at, &stale, cs);
	dataset_free(&stale);
	if ((fclose(cs->perf) != 0) | (fclose(cs->lines) != 0)) {
		free(cs->perfbuf);
		free(cs->linebuf);
		free(cs);
		return runtime_err(r, "out of memory");
	}
	if (rc != 0) {
		free(cs->perfbuf);
		free(cs->linebuf);
		free(cs);
		return ST_UNKNOWN;
	}
	printf("TCPTALLY %s: %zu critical, %zu warning, %zu unknown; %zu threshold%s on %zu "
	    "host%s%s%s\n%s", status_name[cs->status], cs->ncrit, cs->nwarn, cs->nunknown,
	    r->cfg->nthresholds, r->cfg->nthresholds == 1 ? "" : "s", cs->nhosts,
	    cs->nhosts == 1 ? "" : "s", cs->perflen ? " |" : "", cs->perfbuf, cs->linebuf);
	rc = cs->status;
	free(cs->perfbuf);
	free(cs->linebuf);
	free(cs);
	return rc;
}
