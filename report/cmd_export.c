/*
 * export: the history as CSV (the import format), JSON, or OpenMetrics for
 * backfilling Prometheus (`promtool tsdb create-blocks-from openmetrics`).
 * CSV and JSON stream in (ts, host, group) order, every state, zeros included.
 * OpenMetrics needs each series contiguous, so it goes series by series.
 * A network namespace other than the host's own is named beside the host:
 * a netns member in JSON (always), a netns label in OpenMetrics, and in CSV
 * a sixth column, netns, only when some row is of one (else the CSV is the
 * import format of old, byte for byte).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/progress.h"
#include "report.h"

static struct progress progress;	/* on a terminal, after a second; rows are values */
static uint64_t nrows;
static int csv_netns;		/* CSV: the netns column */

/*
 * One (ts, host, group) to write: its counts and accept queues, and with
 * group `all` the sample's kernel context and the limits that changed.
 */
struct xrow {
	int64_t		 ts;
	const struct hfile *src;	/* whose: host name and netns */
	const char	*group;
	const struct point *pt;
	const struct kpoint *k;		/* NULL: none */
	const struct klimits *lim;	/* NULL or none changed */
};

/* A fill exactly, and short: the fewest digits that read back the same double. */
static const char *
exact(double v, char *buf, size_t len)
{
	snprintf(buf, len, "%.15g", v);
	if (strtod(buf, NULL) != v)
		snprintf(buf, len, "%.17g", v);
	return buf;
}

/* The CSV rows after the states: name is "listen.queued", "kernel.ListenDrops" ... */
static void
csv_extra(const struct xrow *x, const char *prefix, const char *name, const char *value)
{
	printf("%lld,", (long long)x->ts);
	csv_field(stdout, x->src->name);
	putchar(',');
	csv_field(stdout, x->group);
	printf(",%s%s,%s", prefix, name, value);
	if (csv_netns) {
		putchar(',');
		csv_field(stdout, x->src->netns);
	}
	putchar('\n');
	nrows++;
}

static void
emit_csv(const struct xrow *x)
{
	const struct lq *q = &x->pt->lq;
	char v[32];
	int i;

	for (i = 1; i <= TT_NSTATES; i++) {
		snprintf(v, sizeof(v), "%llu", (unsigned long long)x->pt->count[i]);
		csv_extra(x, "", state_name(i), v);
	}
	if (q->have) {
#define LQ_(name, val) snprintf(v, sizeof(v), "%llu", (unsigned long long)(val)); \
		csv_extra(x, "listen.", name, v);
		LQ_("listeners", q->listeners);
		LQ_("queued", q->queued);
		LQ_("backlog", q->backlog);
		csv_extra(x, "listen.", "max_fill", exact(q->max_fill, v, sizeof(v)));
		LQ_("full", q->full);
#undef LQ_
	}
	if (x->k != NULL) {
		snprintf(v, sizeof(v), "%lld", (long long)x->k->interval);
		csv_extra(x, "sample.", "interval", v);
		for (i = 0; i < TT_NKSTATS; i++)
			if ((x->k->have >> i) & 1) {
				snprintf(v, sizeof(v), "%lld", (long long)x->k->v[i]);
				csv_extra(x, "kernel.", kstat_name(i), v);
			}
	}
	for (i = 0; x->lim != NULL && i < TT_NKLIMITS; i++)
		if ((x->lim->have >> i) & 1) {
			snprintf(v, sizeof(v), "%lld", (long long)x->lim->v[i]);
			csv_extra(x, "limit.", klimit_name(i), v);
		}
}

static void
emit_json(const struct xrow *x, int *first)
{
	const struct lq *q = &x->pt->lq;
	char v[32];
	int i, n;

	printf("%s\n  {\"ts\": %lld, \"host\": ", *first ? "" : ",", (long long)x->ts);
	json_string(stdout, x->src->name);
	printf(", \"netns\": ");
	json_string(stdout, x->src->netns);
	printf(", \"group\": ");
	json_string(stdout, x->group);
	printf(", \"counts\": {");
	for (i = 1; i <= TT_NSTATES; i++)
		printf("%s\"%s\": %llu", i > 1 ? ", " : "", state_name(i),
		    (unsigned long long)x->pt->count[i]);
	printf("}");
	if (q->have)
		printf(", \"listen\": {\"listeners\": %llu, \"queued\": %llu, \"backlog\": %llu, "
		    "\"max_fill\": %s, \"full\": %llu}", (unsigned long long)q->listeners,
		    (unsigned long long)q->queued, (unsigned long long)q->backlog,
		    exact(q->max_fill, v, sizeof(v)), (unsigned long long)q->full);
	if (x->k != NULL) {
		printf(", \"interval\": %lld, \"kernel\": {", (long long)x->k->interval);
		for (i = 0, n = 0; i < TT_NKSTATS; i++)
			if ((x->k->have >> i) & 1)
				printf("%s\"%s\": %lld", n++ ? ", " : "", kstat_name(i),
				    (long long)x->k->v[i]);
		printf("}");
	}
	if (x->lim != NULL && x->lim->have != 0) {
		printf(", \"limits\": {");
		for (i = 0, n = 0; i < TT_NKLIMITS; i++)
			if ((x->lim->have >> i) & 1)
				printf("%s\"%s\": %lld", n++ ? ", " : "", klimit_name(i),
				    (long long)x->lim->v[i]);
		printf("}");
	}
	printf("}");
	*first = 0;
	nrows += TT_NSTATES;
}

static void
emit(const struct report *r, const struct xrow *x, int *first)
{
	if (r->format == FMT_JSON)
		emit_json(x, first);
	else
		emit_csv(x);
	*first = 0;
	progress_update(&progress, nrows, 0);
}

/* A source's kernel context and limits as its `all` rows go by, in ts order. */
struct hostctx {
	struct kcursor	 kc;		/* one database: a cursor (none: empty) */
	const struct series *ks;	/* several: the loaded series, or NULL ... */
	size_t		 kpos;		/* ... and where in it */
	struct klimit_row *lim;
	size_t		 nlim, lpos;
	struct klimits	 inforce, changed;
};

/* x->k and x->lim for group `all`; -1 if the file is refused on the way. */
static int
context_of(struct hostctx *c, struct xrow *x)
{
	x->k = NULL;
	x->lim = NULL;
	if (strcmp(x->group, "all") != 0)
		return 0;
	if (c->ks != NULL) {
		while (c->kpos < c->ks->nk && c->ks->k[c->kpos].ts < x->ts)
			c->kpos++;
		if (c->kpos < c->ks->nk && c->ks->k[c->kpos].ts == x->ts)
			x->k = &c->ks->k[c->kpos];
	} else if (kcursor_at(&c->kc, x->ts, &x->k) == -1)
		return -1;
	klimits_advance(c->lim, c->nlim, &c->lpos, x->ts, &c->inforce, &c->changed);
	x->lim = &c->changed;
	return 0;
}

struct streamer {
	const struct report *r;
	struct hostctx	*c;		/* per source */
	int		*first;
};

static int
stream_row(void *arg, const struct hfile *src, const char *group, const struct point *pt,
    const struct hour *hr)
{
	struct streamer *sm = arg;
	struct xrow x = { pt->ts, src, group, pt, NULL, NULL };

	(void)hr;
	if (context_of(&sm->c[src - sm->r->hist.f], &x) == -1)
		return -1;
	emit(sm->r, &x, sm->first);
	return 0;
}

/* One database (file i): its rows in (ts, source, group) order, as they come. */
static int
stream(struct report *r, size_t i, int64_t from, int64_t to, const char *group, int *first)
{
	struct hostctx *c;
	struct streamer sm = { r, NULL, first };
	size_t k;
	int rc = 0;

	if ((c = calloc(r->hist.n + 1, sizeof(*c))) == NULL)
		return runtime_err(r, "out of memory");
	sm.c = c;
	for (k = 0; k < r->hist.n && rc == 0; k++)
		if (hist_limit_rows(&r->hist, k, to, &c[k].lim, &c[k].nlim) == -1 ||
		    kcursor_open(&r->hist, k, from, to, &c[k].kc) == -1)
			rc = -1;
	if (rc != 0 || hist_rows(&r->hist, i, ROWS_RAW, from, to, group, NULL, stream_row,
	    &sm) != 0)
		rc = report_fail(r);
	for (k = 0; k < r->hist.n; k++) {
		kcursor_close(&c[k].kc);
		free(c[k].lim);
	}
	free(c);
	return rc;
}

/* Several databases: one (ts, source, group) order, each sample once. */
struct ref {
	const struct series *s;
	const struct point *p;
};

static int
cmp_ref(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c;

	if (x->p->ts != y->p->ts)
		return x->p->ts < y->p->ts ? -1 : 1;
	if ((c = strcmp(x->s->host, y->s->host)) != 0)
		return c;
	return strcmp(x->s->group, y->s->group);
}

/* Each source: its kernel series in ks, its limits. */
static int
contexts(struct report *r, int64_t to, const struct dataset *ks, struct hostctx *c)
{
	size_t i, j;

	for (i = 0; i < r->hist.n; i++) {
		if (r->hist.f[i].file->why != NULL)
			continue;
		for (j = 0; j < ks->n; j++)
			if (strcmp(ks->s[j].host, r->hist.f[i].host) == 0)
				c[i].ks = &ks->s[j];
		if (hist_limit_rows(&r->hist, i, to, &c[i].lim, &c[i].nlim) == -1 &&
		    hist_good(&r->hist) == 0)
			return report_fail(r);
	}
	return 0;
}

/* The context of the source labelled host. */
static struct hostctx *
context_for(struct report *r, struct hostctx *c, const char *host)
{
	const struct hfile *f = hist_file_of(&r->hist, host);

	return f != NULL ? &c[f - r->hist.f] : NULL;
}

static int
merged(struct report *r, int64_t from, int64_t to, const char *group, int *first)
{
	struct dataset d = { 0 }, ks = { 0 };
	struct hostctx *c, *hc;
	struct ref *refs = NULL;
	struct xrow x;
	size_t i, k, n = 0;
	int rc;

	if ((c = calloc(r->hist.n + 1, sizeof(*c))) == NULL)
		return runtime_err(r, "out of memory");
	if ((rc = report_load(r, ROWS_RAW, from, to, group, &d)) == 0 &&
	    hist_kernel(&r->hist, from, to, &ks) == -1)
		rc = report_fail(r);
	if (rc == 0)
		rc = contexts(r, to, &ks, c);
	for (i = 0; i < d.n; i++)
		n += d.s[i].n;
	if (rc == 0 && (refs = calloc(n + 1, sizeof(*refs))) == NULL)
		rc = runtime_err(r, "out of memory");
	for (i = 0, n = 0; rc == 0 && i < d.n; i++)
		for (k = 0; k < d.s[i].n; k++, n++) {
			refs[n].s = &d.s[i];
			refs[n].p = &d.s[i].p[k];
		}
	if (rc == 0 && n > 1)
		qsort(refs, n, sizeof(*refs), cmp_ref);
	for (i = 0; rc == 0 && i < n; i++) {
		x = (struct xrow){ refs[i].p->ts, hist_source(&r->hist, refs[i].s->host),
		    refs[i].s->group, refs[i].p, NULL, NULL };
		if (x.src == NULL)
			continue;	/* cannot be: every series is a source's */
		if ((hc = context_for(r, c, refs[i].s->host)) != NULL)
			context_of(hc, &x);
		emit(r, &x, first);
	}
	free(refs);
	for (i = 0; i < r->hist.n; i++)
		free(c[i].lim);
	free(c);
	dataset_free(&d);
	dataset_free(&ks);
	return rc;
}

/* A label value, escaped as OpenMetrics wants it. */
static void
om_label(const char *s)
{
	char buf[1024];

	text_label(buf, sizeof(buf), s);
	fputs(buf, stdout);
}

/*
 * One series' line start: name{host="...",group="..." for the series of
 * label host; a network namespace other than the host's own adds
 * netns="..." after host.
 */
static void
om_start(const struct report *r, const char *name, const char *host, const char *k,
    const char *v)
{
	const struct hfile *f = hist_source(&r->hist, host);

	printf("%s{host=\"", name);
	om_label(f != NULL ? f->name : host);
	if (f != NULL && strcmp(f->netns, "host") != 0) {
		printf("\",netns=\"");
		om_label(f->netns);
	}
	printf("\",%s=\"", k);
	om_label(v);
	putchar('"');
}

/* The listeners' queues of each series, one family per value. */
static void
om_listen(const struct report *r, const struct dataset *d)
{
	static const struct {
		const char *name, *help;
	} fam[] = {
		{ "tcptally_listen_queue_fill", "The fullest accept queue of the group's listeners: "
		    "queue / (backlog + 1); 1 is full." },
		{ "tcptally_listen_queued", "Connections waiting in the accept queues of the "
		    "group's listeners." },
		{ "tcptally_listeners", "The group's LISTEN sockets." },
		{ "tcptally_listen_full", "The group's listeners whose queue is full." },
		{ "tcptally_listen_backlog", "The sum of the backlogs of the group's listeners." },
	};
	const struct lq *q;
	char v[32];
	size_t f, i, k;

	for (f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		printf("# TYPE %s gauge\n# HELP %s %s\n", fam[f].name, fam[f].name, fam[f].help);
		for (i = 0; i < d->n; i++)
			for (k = 0; k < d->s[i].n; k++) {
				if (!(q = &d->s[i].p[k].lq)->have)
					continue;
				om_start(r, fam[f].name, d->s[i].host, "group", d->s[i].group);
				if (f == 0)
					exact(q->max_fill, v, sizeof(v));
				else
					snprintf(v, sizeof(v), "%llu", (unsigned long long)(f == 1 ?
					    q->queued : f == 2 ? q->listeners : f == 3 ? q->full :
					    q->backlog));
				printf("} %s %lld\n", v, (long long)d->s[i].p[k].ts);
				progress_update(&progress, ++nrows, 0);
			}
	}
}

/*
 * The kernel's counters (a counter family: its samples end in _total), its
 * gauges, and the limits in force at each sample (a backfilled series
 * needs a value at every step, not only where one changed).
 */
static int
om_kernel(struct report *r, const struct dataset *ks, int64_t to)
{
	struct klimit_row *lim;
	struct klimits in, changed;
	const struct series *s;
	size_t i, j, nlim, pos;
	int kind, st;

	for (kind = KS_COUNTER; kind <= KS_GAUGE; kind++) {
		printf(kind == KS_COUNTER ? "# TYPE tcptally_kernel counter\n# HELP tcptally_kernel "
		    "The kernel's TCP counters (/proc/net/netstat TcpExt, /proc/net/snmp Tcp).\n" :
		    "# TYPE tcptally_sockstat gauge\n# HELP tcptally_sockstat The kernel's "
		    "TCP gauges (/proc/net/sockstat, sockstat6).\n");
		for (i = 0; i < ks->n; i++)
			for (st = 0; st < TT_NKSTATS; st++)
				for (j = 0, s = &ks->s[i]; j < s->nk && kstat_kind(st) == kind; j++) {
					if (!((s->k[j].have >> st) & 1))
						continue;
					om_start(r, kind == KS_COUNTER ? "tcptally_kernel_total" :
					    "tcptally_sockstat", s->host, "name", kstat_name(st));
					printf("} %lld %lld\n", (long long)s->k[j].v[st],
					    (long long)s->k[j].ts);
					progress_update(&progress, ++nrows, 0);
				}
	}
	printf("# TYPE tcptally_kernel_limit gauge\n# HELP tcptally_kernel_limit The kernel's "
	    "limits (/proc/sys/net) in force.\n");
	for (i = 0; i < ks->n; i++) {
		const struct hfile *f = hist_file_of(&r->hist, ks->s[i].host);

		s = &ks->s[i];
		if (f == NULL || hist_limit_rows(&r->hist, (size_t)(f - r->hist.f), to, &lim,
		    &nlim) == -1)
			continue;	/* refused: named at the end */
		for (st = 0; st < TT_NKLIMITS; st++) {
			memset(&in, 0, sizeof(in));
			for (j = 0, pos = 0; j < s->nk; j++) {
				klimits_advance(lim, nlim, &pos, s->k[j].ts, &in, &changed);
				if (!((in.have >> st) & 1))
					continue;
				om_start(r, "tcptally_kernel_limit", s->host, "name",
				    klimit_name(st));
				printf("} %lld %lld\n", (long long)in.v[st], (long long)s->k[j].ts);
				progress_update(&progress, ++nrows, 0);
			}
		}
		free(lim);
	}
	return 0;
}

static int
openmetrics(struct report *r, int64_t from, int64_t to, const char *group)
{
	struct dataset d = { 0 }, ks = { 0 };
	size_t i, k;
	int st, rc;

	if ((rc = report_load(r, ROWS_RAW, from, to, group, &d)) == 0 &&
	    hist_kernel(&r->hist, from, to, &ks) == -1)
		rc = report_fail(r);
	if (rc != 0) {
		dataset_free(&d);
		dataset_free(&ks);
		return rc;
	}
	dataset_sort(&d);
	dataset_sort(&ks);
	printf("# TYPE tcptally_sockets gauge\n"
	    "# HELP tcptally_sockets TCP sockets per state, sampled by tcptally-collector.\n");
	for (i = 0; i < d.n; i++)
		for (st = 1; st <= TT_NSTATES; st++)
			for (k = 0; k < d.s[i].n; k++) {
				om_start(r, "tcptally_sockets", d.s[i].host, "group", d.s[i].group);
				printf(",state=\"%s\"} %llu %lld\n", state_name(st),
				    (unsigned long long)d.s[i].p[k].count[st],
				    (long long)d.s[i].p[k].ts);
				progress_update(&progress, ++nrows, 0);
			}
	om_listen(r, &d);
	/* the kernel's context belongs to the host: with --group G, only for `all` */
	if (group == NULL || strcmp(group, "all") == 0)
		om_kernel(r, &ks, to);
	printf("# EOF\n");
	dataset_free(&d);
	dataset_free(&ks);
	return 0;
}

/*
 * Whether some source of a namespace other than the host's own has rows to
 * export: CSV then has its netns column. 1, 0, or -1 (every file refused).
 */
static int
netns_rows(struct report *r, int64_t from, int64_t to, const char *group)
{
	size_t i;

	for (i = 0; i < r->hist.n; i++)
		if (strcmp(r->hist.f[i].netns, "host") != 0 &&
		    hist_has_rows(&r->hist.f[i], from, to, group) == 1)
			return 1;
	return hist_good(&r->hist) > 0 ? 0 : -1;
}

/* The file of every source, if they are of one (then its rows stream); else -1. */
static ssize_t
one_file(const struct report *r)
{
	size_t i;

	for (i = 1; i < r->hist.n; i++)
		if (r->hist.f[i].file != r->hist.f[0].file)
			return -1;
	return r->hist.n > 0 ? r->hist.f[0].file - r->hist.files : -1;
}

int
cmd_export(struct report *r)
{
	int64_t from = r->from_set ? r->from : 0, to = r->to_set ? r->to : INT64_MAX;
	const char *group = r->ngroup > 0 ? r->group[0] : NULL;
	ssize_t fi;
	int first = 1, rc = 0;

	if (r->ngroup > 1)
		return usage_err(r, "export takes one --group (or none for every group)");
	if (from > to)
		return usage_err(r, "--from is after --to");
	if (r->format == FMT_TABLE)
		return usage_err(r, "export needs --format csv, json or openmetrics");
	r->hist.lq = 1;
	if (!r->tty)	/* not over the output on the same terminal */
		progress_start(&progress, "export", -1);
	if (r->format == FMT_OPENMETRICS) {
		rc = openmetrics(r, from, to, group);
		progress_end(&progress);
		return rc;
	}
	if (r->format == FMT_CSV && (csv_netns = netns_rows(r, from, to, group)) == -1) {
		progress_end(&progress);
		return report_fail(r);
	}
	if (r->format == FMT_CSV)
		printf("ts,host,group,state,count%s\n", csv_netns ? ",netns" : "");
	else
		printf("[");
	if ((fi = one_file(r)) < 0)
		rc = merged(r, from, to, group, &first);
	else
		rc = stream(r, (size_t)fi, from, to, group, &first);
	if (r->format == FMT_JSON)
		printf("%s]\n", first ? "" : "\n");
	progress_end(&progress);
	return rc;
}
