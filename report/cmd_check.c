/*
 * check: evaluate the config's thresholds like a Nagios plugin. The first line
 * is the status with perfdata; then one line per finding. Exit 0 OK,
 * 1 WARNING, 2 CRITICAL, 3 UNKNOWN (no fresh sample within STALE_INTERVALS, a
 * refused database, or an error of check's own). CRITICAL outranks UNKNOWN,
 * which outranks WARNING.
 *
 * Each network namespace of a host is judged on its own, and its findings
 * name it: "host web-1, netns ttns-a". Over a fleet, a database refused on
 * the way (hostile, damaged, too slow) is one UNKNOWN finding of its own,
 * and whatever was found on its host before is dropped: every other host
 * is still judged. Names in the output are escaped as the plugin guidelines
 * need: no name can end a line, start perfdata ('|') or break a perfdata
 * pair ('=', quotes).
 */
#include <math.h>
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

struct line {
	int		 status;
	char		*host;		/* whose it is; NULL: nobody's */
	char		*text;		/* after "STATUS " */
};

struct perf {
	char		*host;
	char		*label;		/* quoted and escaped */
	double		 value;		/* a count, or a fill, rate, share */
	char		 warn[32], crit[32];
};

struct check_state {
	struct line	*line;
	size_t		 nline, capline;
	struct perf	*perf;
	size_t		 nperf, capperf;
	size_t		 nhosts;	/* judged: with a sample */
	struct dataset	 latest;	/* their newest samples */
	int		 oom;
};

static int
rank(int status)
{
	static const int r[] = { 0, 1, 3, 2 };	/* OK < WARNING < UNKNOWN < CRITICAL */

	return r[status];
}

static void *
grow(void *arr, size_t n, size_t *cap, size_t size)
{
	void *na;

	if (n < *cap)
		return arr;
	if ((na = reallocarray(arr, *cap ? *cap * 2 : 16, size)) != NULL)
		*cap = *cap ? *cap * 2 : 16;
	return na;
}

static void
add_line(struct check_state *cs, int status, const char *host, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
add_line(struct check_state *cs, int status, const char *host, const char *fmt, ...)
{
	struct line *l;
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n == -1 || (l = grow(cs->line, cs->nline, &cs->capline, sizeof(*l))) == NULL) {
		if (n != -1)
			free(text);
		cs->oom = 1;
		return;
	}
	cs->line = l;
	l = &cs->line[cs->nline++];
	l->status = status;
	l->text = text;
	if ((l->host = host ? strdup(host) : NULL) == NULL && host != NULL)
		cs->oom = 1;
}

static const char *
esc(const char *s, char *buf, size_t len)
{
	nagios_text(buf, len, s);
	return buf;
}

/* Whose a finding is: "host web-1", or "host web-1, netns ttns-a", escaped. */
static const char *
whose(const struct report *r, const char *label, char *buf, size_t len)
{
	const struct hfile *f = hist_source(&r->hist, label);
	char h[TT_HOST_MAX * 4], n[TT_HOST_MAX * 4];

	if (f == NULL || strcmp(f->netns, "host") == 0)
		snprintf(buf, len, "host %s", esc(f != NULL ? f->name : label, h, sizeof(h)));
	else
		snprintf(buf, len, "host %s, netns %s", esc(f->name, h, sizeof(h)),
		    esc(f->netns, n, sizeof(n)));
	return buf;
}

/*
 * 'group_STATE'=value;warn;crit, once per host x group x state (a fill, a
 * rate or a share: 'group_LISTEN_fill', 'ListenOverflows_rate',
 * 'tw_buckets_used'); the limits of thresholds on one series merged. Over
 * several sources each label starts with the series' (web-1/, web-1/ttns-a/);
 * a namespace other than the host's own is named even alone (ttns-a/).
 */
static void
add_perf(struct check_state *cs, const struct report *r, const struct series *s,
    const struct threshold *t, double value)
{
	char raw[TT_SOURCE_MAX + TT_NAME_MAX + 80], label[sizeof(raw) * 5], lim[32] = "", w[64];
	char pre[TT_SOURCE_MAX + 1] = "";
	const struct hfile *f = hist_source(&r->hist, s->host);
	struct perf *p = NULL;
	size_t i;

	if (cs->nhosts > 1 || hist_several(&r->hist) || r->hist.host != NULL)
		snprintf(pre, sizeof(pre), "%s/", s->host);
	else if (f != NULL && strcmp(f->netns, "host") != 0)
		snprintf(pre, sizeof(pre), "%s/", f->netns);

	watch_what(t, w, sizeof(w));
	for (i = 0; w[i] != '\0'; i++)	/* 'LISTEN fill' -> 'LISTEN_fill' */
		if (w[i] == ' ')
			w[i] = '_';
	if (t->kind == TH_RATE || t->kind == TH_USED)
		snprintf(raw, sizeof(raw), "%s%s", pre, w);
	else
		snprintf(raw, sizeof(raw), "%s%s_%s", pre, s->group, w);
	nagios_label(label, sizeof(label), raw);
	for (i = 0; i < cs->nperf && p == NULL; i++)
		if (strcmp(cs->perf[i].label, label) == 0)
			p = &cs->perf[i];
	if (p == NULL) {
		if ((p = grow(cs->perf, cs->nperf, &cs->capperf, sizeof(*p))) == NULL) {
			cs->oom = 1;
			return;
		}
		cs->perf = p;
		p = &cs->perf[cs->nperf++];
		memset(p, 0, sizeof(*p));
		p->value = value;
		if ((p->label = strdup(label)) == NULL || (p->host = strdup(s->host)) == NULL)
			cs->oom = 1;
	}
	if (t->kind != TH_COUNT)
		snprintf(lim, sizeof(lim), "%.6g", t->limit);
	else if (t->has_above)
		snprintf(lim, sizeof(lim), "%lld", (long long)t->above);
	else if (t->has_below)
		snprintf(lim, sizeof(lim), "%lld:", (long long)t->below);
	if (t->severity == SEV_CRITICAL && p->crit[0] == '\0')
		memcpy(p->crit, lim, sizeof(lim));
	if (t->severity == SEV_WARNING && p->warn[0] == '\0')
		memcpy(p->warn, lim, sizeof(lim));
}

static void
describe(char *buf, size_t len, const struct threshold *t, const struct finding *f)
{
	char d[32], v[32], l[32];

	if (t->has_growth) {
		duration_format(t->window, d, sizeof(d));
		snprintf(buf, len, "growing %.2f/min over %s, limit %.2f/min", f->value * 60.0, d,
		    f->limit * 60.0);
		return;
	}
	duration_format(t->for_secs, d, sizeof(d));
	snprintf(buf, len, "%s %s %s%s%s", watch_value(t, f->value, v, sizeof(v)),
	    t->has_above ? ">" : "<", watch_value(t, f->limit, l, sizeof(l)),
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

/* One threshold's series, judged at `at`. */
struct judge {
	struct report	*r;
	const struct threshold *t;
	int64_t		 at;
	const struct dataset *stale;
	struct check_state *cs;
	size_t		 series;	/* judged */
	struct dataset	 judged;	/* the hosts judged (a rate, a share): a set */
	int		 oom;
};

/*
 * Who is behind a finding on a state's count or age: the top cgroup of the
 * state at the newest sample; behind a port share, the peer. Appended to
 * what, as "; top cgroup /system.slice/app.service (412)".
 */
static void
behind(struct judge *j, const struct series *s, char *what, size_t len)
{
	const struct threshold *t = j->t;
	char key[BKD_TEXT_MAX], e[BKD_TEXT_MAX * 4];
	size_t used = strlen(what);
	uint64_t n;
	int share = t->kind == TH_PORT_SHARE;

	if (t->kind != TH_COUNT && t->kind != TH_OLDEST && !share)
		return;
	if (hist_bk_top(&j->r->hist, s->host, s->group, share ? BKO_PORT_SHARE : BKO_OLDEST,
	    t->state, j->at - j->r->max_gap, j->at, key, sizeof(key), &n) != 1)
		return;
	esc(key, e, sizeof(e));
	snprintf(what + used, len - used, share ? ", toward %s (%llu sockets)" :
	    "; top cgroup %s (%llu)", e, (unsigned long long)n);
}

static int
judge_one(void *arg, const struct series *s, const struct obs *o, size_t n)
{
	struct judge *j = arg;
	const struct threshold *t = j->t;
	char what[200 + BKD_TEXT_MAX * 4], h[TT_HOST_MAX * 9], g[TT_NAME_MAX * 4], w[64];
	struct finding f;

	if (host_stale(j->stale, s->host) || n == 0)
		return 0;
	j->series++;
	if (dataset_series(&j->judged, s->host, "all") == NULL)
		j->oom = 1;
	rule_eval_obs(t, o, n, j->at, j->r->max_gap, &f);
	if (j->r->perfdata == PERF_ALL || (j->r->perfdata == PERF_BREACHING && f.fired))
		add_perf(j->cs, j->r, s, t, o[n - 1].v);
	if (!f.fired)
		return 0;
	describe(what, sizeof(what), t, &f);
	behind(j, s, what, sizeof(what));
	whose(j->r, s->host, h, sizeof(h));
	watch_what(t, w, sizeof(w));
	if (t->kind == TH_RATE || t->kind == TH_USED)
		add_line(j->cs, t->severity == SEV_CRITICAL ? ST_CRITICAL : ST_WARNING, s->host,
		    "%s: %s, %s %s", t->name, h, w, what);
	else
		add_line(j->cs, t->severity == SEV_CRITICAL ? ST_CRITICAL : ST_WARNING, s->host,
		    "%s: %s, group %s, %s %s", t->name, h, esc(s->group, g, sizeof(g)), w,
		    what);
	return 0;
}

static int
check_threshold(struct report *r, const struct threshold *t, int64_t at,
    const struct dataset *stale, struct check_state *cs)
{
	int64_t back = (t->has_growth ? t->window : t->for_secs) + r->max_gap + 1;
	struct judge j = { r, t, at, stale, cs, 0, { 0 }, 0 };
	char g[TT_NAME_MAX * 4], h[TT_HOST_MAX * 9], w[64];
	const char *host;
	size_t i, good = hist_good(&r->hist);

	if (watch_each(r, t, at - back, at, judge_one, &j) != 0) {
		dataset_free(&j.judged);
		return -1;
	}
	if (hist_good(&r->hist) < good) {
		/* a file refused on the way: its line says why; nothing to add */
		dataset_free(&j.judged);
		return j.oom ? runtime_err(r, "out of memory") : 0;
	}
	/* a rate or a share that cannot be judged on a fresh host is not OK: say why */
	for (i = 0; i < cs->latest.n && (t->kind == TH_RATE || t->kind == TH_USED); i++) {
		host = cs->latest.s[i].host;
		if (host_stale(stale, host) || find_series(&j.judged, &cs->latest.s[i]) != NULL)
			continue;
		whose(r, host, h, sizeof(h));
		watch_what(t, w, sizeof(w));
		if (t->kind == TH_RATE)
			add_line(cs, ST_UNKNOWN, host, "%s: %s, no %s: it takes two samples "
			    "with the kernel's context at most 3 intervals apart (context: off, a "
			    "kernel without %s, or a database before schema 3?)", t->name, h, w,
			    kstat_name(t->metric));
		else
			add_line(cs, ST_UNKNOWN, host, "%s: %s, no %s: %s or %s is not stored "
			    "(context: off, or a collector outside the first network namespace, "
			    "where the kernel does not show %s)", t->name, h, w,
			    t->metric == USED_TW ? "tcp_tw" : "tcp_orphan",
			    t->metric == USED_TW ? "tcp_max_tw_buckets" : "tcp_max_orphans",
			    t->metric == USED_TW ? "it" : "tcp_max_orphans");
	}
	dataset_free(&j.judged);
	if (j.oom)
		return runtime_err(r, "out of memory");
	if (j.series == 0 && cs->nhosts > stale->n && t->kind == TH_COUNT)
		/* fresh samples exist, but none of this group: a typo, or a new group
		 * the collector has not been reloaded for */
		add_line(cs, ST_UNKNOWN, NULL, "%s: no recent samples of group %s; is it in "
		    "the collector's config (reload it with SIGHUP)?", t->name,
		    esc(t->group, g, sizeof(g)));
	else if (j.series == 0 && cs->nhosts > stale->n &&
	    (t->kind == TH_PORT_SHARE || t->kind == TH_OLDEST))
		add_line(cs, ST_UNKNOWN, NULL, "%s: no %s of group %s in recent samples "
		    "(breakdown: off in the collector's config, or samples before schema 4)",
		    t->name, t->kind == TH_PORT_SHARE ? "port shares" : "ages of CLOSE_WAIT",
		    esc(t->group, g, sizeof(g)));
	else if (j.series == 0 && cs->nhosts > stale->n && t->kind == TH_FILL)
		add_line(cs, ST_UNKNOWN, NULL, "%s: no accept queues of group %s in recent "
		    "samples (a group not in the collector's config, or samples stored before "
		    "schema 3 or imported without them)", t->name, esc(t->group, g, sizeof(g)));
	return 0;
}

/* Hosts whose newest sample at or before `at` is older than r->max_gap, or who have none. */
static int
find_stale(struct report *r, int64_t at, struct dataset *stale, struct check_state *cs)
{
	struct dataset *latest = &cs->latest, recent = { 0 };
	char when[32], first[32], h[TT_HOST_MAX * 9];
	int64_t newest;
	size_t i;
	int rc;

	rc = report_load_latest(r, "all", latest);
	if (rc == 0)
		rc = report_load(r, ROWS_RAW, at - r->max_gap, at, "all", &recent);
	for (i = 0; i < latest->n && rc == 0; i++) {
		const struct series *s = &latest->s[i];
		const struct series *rs = find_series(&recent, s);

		cs->nhosts++;
		if (rs != NULL && rs->n > 0)
			continue;
		if (dataset_series(stale, s->host, "all") == NULL) {
			rc = runtime_err(r, "out of memory");
			break;
		}
		whose(r, s->host, h, sizeof(h));
		if ((newest = hist_newest_at(&r->hist, s->host, at)) < 0)
			add_line(cs, ST_UNKNOWN, s->host, "%s: no samples at or before %s; "
			    "the first is later", h, fmt_time(at, first, sizeof(first)));
		else
			add_line(cs, ST_UNKNOWN, s->host, "%s: newest sample %s is older "
			    "than %d intervals (%llds); is tcptally-collector running?", h,
			    fmt_time(newest, when, sizeof(when)), STALE_INTERVALS,
			    (long long)r->max_gap);
	}
	dataset_free(&recent);
	return rc;
}

/* Each refused file, once; the lines of its host's judged before it was refused go. */
static void
refused_files(struct report *r, struct check_state *cs)
{
	char p[4096];
	size_t i;

	for (i = 0; i < r->hist.nfiles; i++)
		if (r->hist.files[i].why != NULL) {
			add_line(cs, ST_UNKNOWN, NULL, "file %s", esc(r->hist.files[i].why, p,
			    sizeof(p)));
			r->hist.files[i].told = 1;
		}
}

/* Whose host's database was refused after the host was judged. */
static int
dropped(const struct report *r, const char *host)
{
	return host != NULL && hist_file_of(&r->hist, host) == NULL;
}

static int
by_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(const void *const *)a, y = (uintptr_t)*(const void *const *)b;

	return (x > y) - (x < y);
}

/* The hosts judged (one file, one host) and their sources not dropped. */
static size_t
count_hosts(const struct report *r, const struct check_state *cs, size_t *sources)
{
	const struct hfile *f;
	const void **files;
	size_t i, n = 0, hosts = 0;

	*sources = 0;
	if ((files = calloc(cs->latest.n + 1, sizeof(*files))) == NULL)
		return 0;
	for (i = 0; i < cs->latest.n; i++)
		if (!dropped(r, cs->latest.s[i].host) &&
		    (f = hist_source(&r->hist, cs->latest.s[i].host)) != NULL)
			files[n++] = f->file;
	if (n > 1)
		qsort(files, n, sizeof(*files), by_ptr);
	for (i = 0; i < n; i++)
		hosts += i == 0 || files[i] != files[i - 1];
	free(files);
	*sources = n;
	return hosts;
}

static int
check_print(struct report *r, struct check_state *cs)
{
	size_t i, n[4] = { 0 }, hosts, sources;
	int status = ST_OK, first;
	FILE *out = stdout;

	for (i = 0; i < cs->nline; i++)
		if (!dropped(r, cs->line[i].host)) {
			n[cs->line[i].status]++;
			if (rank(cs->line[i].status) > rank(status))
				status = cs->line[i].status;
		}
	hosts = count_hosts(r, cs, &sources);
	fprintf(out, "TCPTALLY %s: %zu critical, %zu warning, %zu unknown; %zu threshold%s on "
	    "%zu host%s", status_name[status], n[ST_CRITICAL], n[ST_WARNING], n[ST_UNKNOWN],
	    r->cfg->nthresholds, r->cfg->nthresholds == 1 ? "" : "s", hosts,
	    hosts == 1 ? "" : "s");
	if (sources > hosts)
		fprintf(out, " (%zu network namespaces)", sources);
	for (i = 0, first = 1; i < cs->nperf; i++)
		if (!dropped(r, cs->perf[i].host)) {
			fprintf(out, "%s %s=%.*f;%s;%s", first ? " |" : "", cs->perf[i].label,
			    cs->perf[i].value == floor(cs->perf[i].value) ? 0 : 4,
			    cs->perf[i].value, cs->perf[i].warn, cs->perf[i].crit);
			first = 0;
		}
	fputc('\n', out);
	for (i = 0; i < cs->nline; i++)
		if (!dropped(r, cs->line[i].host))
			fprintf(out, "%s %s\n", status_name[cs->line[i].status], cs->line[i].text);
	return status;
}

static void
check_free(struct check_state *cs)
{
	size_t i;

	for (i = 0; i < cs->nline; i++) {
		free(cs->line[i].host);
		free(cs->line[i].text);
	}
	for (i = 0; i < cs->nperf; i++) {
		free(cs->perf[i].host);
		free(cs->perf[i].label);
	}
	free(cs->line);
	free(cs->perf);
	dataset_free(&cs->latest);
}

int
cmd_check(struct report *r)
{
	int64_t at = r->at_set ? r->at : r->now;
	struct dataset stale = { 0 };
	struct check_state cs;
	size_t i;
	int rc;

	if (r->cfg->nthresholds == 0) {
		printf("TCPTALLY UNKNOWN: no thresholds in %s; add some under `thresholds:`\n",
		    r->config_path ? r->config_path : "the config (none was found)");
		return ST_UNKNOWN;
	}
	memset(&cs, 0, sizeof(cs));
	rc = find_stale(r, at, &stale, &cs);
	if (rc == 0 && cs.nhosts == 0 && hist_good(&r->hist) > 0)
		add_line(&cs, ST_UNKNOWN, NULL, "%s holds no samples yet", r->hist.nfiles == 1 ?
		    r->hist.files[0].path : "no database");
	for (i = 0; i < r->cfg->nthresholds && rc == 0; i++)
		rc = check_threshold(r, &r->cfg->thresholds[i], at, &stale, &cs);
	dataset_free(&stale);
	if (rc == 0)
		refused_files(r, &cs);
	if (rc == 0 && cs.oom)
		rc = runtime_err(r, "out of memory");
	if (rc == 0)
		rc = check_print(r, &cs);
	else
		rc = ST_UNKNOWN;
	check_free(&cs);
	return rc;
}
