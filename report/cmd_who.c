/*
 * who and peers: behind a state's count, the cgroups that hold the sockets
 * (which service leaks CLOSE_WAIT) and the peers they are toward (who piles
 * up TIME_WAIT, and how much of the local port range goes to one peer):
 * each key's count at the newest sample, its peak in the window and its
 * growth per hour.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

#define TABLE_ROWS	25	/* a table shows this many keys, then says how many more */

enum { W_HOST, W_KEY, W_DIR, W_NOW, W_PEAK, W_PEAK_TS, W_GROWTH, W_SHARE, W_PEAK_SHARE,
	W_ERR, W_NCOLS };

static const struct column who_cols[W_NCOLS] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL, 0 },
	{ "cgroup", "cgroup", "cgroup", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ NULL, NULL, NULL, COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "now", "now", "now", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "peak", "peak", "peak", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "peak at", "peak_time", "peak_ts", COL_TIME, NULL, NULL, 0, NULL, 0 },
	{ "growth/h", "growth_per_hour", "growth_per_hour", COL_REAL, "%+.1f", "%.3f", 1,
	  NULL, 0 },
	{ NULL, NULL, NULL, COL_REAL, NULL, NULL, 0, NULL, 0 },
	{ NULL, NULL, NULL, COL_REAL, NULL, NULL, 0, NULL, 0 },
	{ "max error", "max_error", "max_error", COL_INT, NULL, NULL, 1, NULL, 0 },
};

static const struct column peer_cols[W_NCOLS] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL, 0 },
	{ "peer", "peer", "peer", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "direction", "direction", "direction", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "now", "now", "now", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "peak", "peak", "peak", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "peak at", "peak_time", "peak_ts", COL_TIME, NULL, NULL, 0, NULL, 0 },
	{ "growth/h", "growth_per_hour", "growth_per_hour", COL_REAL, "%+.1f", "%.3f", 1,
	  NULL, 0 },
	{ "port share", "port_share", "port_share", COL_REAL, "%.3f", "%.6g", 1, NULL, 0 },
	{ "peak share", "peak_port_share", "peak_port_share", COL_REAL, "%.3f", "%.6g", 1,
	  NULL, 0 },
	{ "max error", "max_error", "max_error", COL_INT, NULL, NULL, 1, NULL, 0 },
};

static struct cell
real_or_null(double v)
{
	return isnan(v) ? cell_null() : cell_real(v);
}

static int
add_row(const struct report *r, struct rows *t, const struct bkstat *s, int shown)
{
	struct cell row[W_NCOLS];

	row[W_HOST] = host_cell(r, s->host);
	row[W_KEY] = cell_text(s->key);
	row[W_DIR] = s->dir == BKD_IN ? cell_text("in") : s->dir == BKD_OUT ?
	    cell_text("out") : cell_null();
	row[W_NOW] = cell_int((int64_t)s->now);
	row[W_PEAK] = cell_int((int64_t)s->peak);
	row[W_PEAK_TS] = cell_int(s->peak_ts);
	row[W_GROWTH] = real_or_null(s->slope * 3600.0);
	row[W_SHARE] = real_or_null(s->share_now);
	row[W_PEAK_SHARE] = real_or_null(s->share_peak);
	row[W_ERR] = cell_int((int64_t)s->err);
	return rows_add(t, row, shown ? 0 : ROW_NOT_IN_TABLE);
}

static int
breakdown_cmd(struct report *r, int kind)
{
	struct bkquery q;
	struct bkstat *s = NULL;
	struct rows t;
	char a[32], b[32];
	const char *what = kind == BKD_CGROUP ? "cgroups" : "peers";
	uint64_t maxerr = 0;
	size_t n = 0, i;
	int rc = 0;

	if (r->nstate > 1)
		return usage_err(r, "%s: one --state at a time", kind == BKD_CGROUP ? "who" :
		    "peers");
	if (r->at_set && r->since_set)
		return usage_err(r, "--since and --at: give one (--at T shows the sample at T)");
	if (r->ngroup > 1)
		return usage_err(r, "%s: one --group at a time", kind == BKD_CGROUP ? "who" :
		    "peers");
	memset(&q, 0, sizeof(q));
	q.kind = kind;
	q.group = r->ngroup ? r->group[0] : "all";
	q.state = r->nstate ? r->state[0] : kind == BKD_CGROUP ? TT_CLOSE_WAIT : TT_TIME_WAIT;
	q.dir = kind == BKD_PEER ? r->direction : 0;
	if (r->at_set) {
		/* the sample at T: the newest at or before it, within 3 intervals */
		q.to = r->at;
		q.from = r->at - r->max_gap;
	} else {
		q.to = r->now;
		q.from = q.to - (r->since_set ? r->since : 3600);
	}
	if (hist_breakdown(&r->hist, &q, &s, &n) == -1)
		return report_fail(r);
	rows_init(&t, kind == BKD_CGROUP ? who_cols : peer_cols, W_NCOLS);
	if (r->format != FMT_JSON && !hist_several(&r->hist))
		t.hide |= 1u << W_HOST;
	if (r->at_set)
		t.hide |= 1u << W_GROWTH | 1u << W_PEAK | 1u << W_PEAK_TS | 1u << W_PEAK_SHARE;
	for (i = 0; i < n && rc == 0; i++) {
		if (s[i].err > maxerr)
			maxerr = s[i].err;
		if (add_row(r, &t, &s[i], i < TABLE_ROWS) == -1)
			rc = runtime_err(r, "out of memory");
	}
	if (maxerr == 0)
		t.hide |= 1u << W_ERR;
	if (rc == 0 && q.newest < 0)
		rc = runtime_err(r, "no sample with breakdowns between %s and %s: breakdowns "
		    "are off (breakdown: in the config), or the samples are from before "
		    "schema 4 or imported", fmt_time(q.from, a, sizeof(a)),
		    fmt_time(q.to, b, sizeof(b)));
	else if (rc == 0 && n == 0 && r->format == FMT_TABLE)
		printf("no %s socket in group %s between %s and %s (UTC)\n",
		    state_name(q.state), q.group, fmt_time(q.from, a, sizeof(a)),
		    fmt_time(q.to, b, sizeof(b)));
	else if (rc == 0 && n == 0)
		rows_print(&t, r->format, stdout);
	else if (rc == 0 && r->format == FMT_TABLE) {
		if (r->at_set)
			printf("%s of %s in group %s at %s (UTC)\n\n", what, state_name(q.state),
			    q.group, fmt_time(s[0].newest, a, sizeof(a)));
		else
			printf("%s of %s in group %s: now (%s), and since %s (UTC)\n\n", what,
			    state_name(q.state), q.group, fmt_time(s[0].newest, a, sizeof(a)),
			    fmt_time(q.from, b, sizeof(b)));
		rows_table(&t, stdout);
		if (q.hourly_to >= 0)
			printf("\nuntil %s: hourly maxima (the raw samples are gone: retention.raw)\n",
			    fmt_time(q.hourly_to + 1, a, sizeof(a)));
		if (n > TABLE_ROWS)
			printf("... and %zu more (--format csv lists them all)\n", n - TABLE_ROWS);
		if (maxerr > 0)
			printf("\nmore distinct %s than the collector keeps exactly: a count may be "
			    "over by up to its max error\n", what);
	} else if (rc == 0)
		rows_print(&t, r->format, stdout);
	rows_free(&t);
	free(s);
	return rc;
}

int
cmd_who(struct report *r)
{
	return breakdown_cmd(r, BKD_CGROUP);
}

int
cmd_peers(struct report *r)
{
	return breakdown_cmd(r, BKD_PEER);
}

/*
 * The section of at and daily: behind CLOSE_WAIT, the cgroups and peers
 * with the most at the newest sample up to `to` (and their peak since
 * `from`); behind TIME_WAIT, the peers (its sockets have no owner). Tables
 * only; nothing when no sample in the window has breakdowns. 0, or the exit
 * code after the message (every file refused).
 */
int
bsection_table(struct report *r, int64_t from, int64_t to, int clock, FILE *f)
{
	static const struct { int state, kind; const char *label; } part[] = {
		{ TT_CLOSE_WAIT, BKD_CGROUP, "CLOSE_WAIT by cgroup" },
		{ TT_CLOSE_WAIT, BKD_PEER, "CLOSE_WAIT by peer" },
		{ TT_TIME_WAIT, BKD_PEER, "TIME_WAIT by peer" },
	};
	struct bkquery q;
	struct bkstat *s;
	char a[32], b[32], share[32];
	size_t n, i, k, shown;
	int head = 0;

	for (k = 0; k < sizeof(part) / sizeof(part[0]); k++) {
		memset(&q, 0, sizeof(q));
		q.kind = part[k].kind;
		q.group = "all";
		q.state = part[k].state;
		q.from = from;
		q.to = to;
		if (hist_breakdown(&r->hist, &q, &s, &n) == -1)
			return report_fail(r);
		if (q.newest < 0) {
			free(s);
			return 0;
		}
		if (!head) {
			fmt_time(q.newest, a, sizeof(a));
			fmt_time(from, b, sizeof(b));
			fprintf(f, "\nwho and toward whom, group all: the most at %s, peak since "
			    "%s (UTC)\n", clock ? a + 11 : a, clock ? b + 11 : b);
			head = 1;
		}
		fprintf(f, "  %-22s", part[k].label);
		for (i = 0, shown = 0; i < n && shown < 3; i++) {
			if (strcmp(s[i].key, "(other)") == 0 || (s[i].now == 0 && s[i].peak == 0))
				continue;
			share[0] = '\0';
			if (!isnan(s[i].share_now))
				snprintf(share, sizeof(share), ", port share %.2f", s[i].share_now);
			fprintf(f, "%s%s%s%s%s %llu (peak %llu%s)", shown ? "; " : "",
			    hist_several(&r->hist) ? s[i].host : "",
			    hist_several(&r->hist) ? " " : "", s[i].key,
			    s[i].dir == BKD_IN ? " in" : s[i].dir == BKD_OUT ? " out" : "",
			    (unsigned long long)s[i].now, (unsigned long long)s[i].peak, share);
			shown++;
		}
		fprintf(f, "%s\n", shown ? "" : "none");
		free(s);
	}
	return 0;
}

enum { OW_HOST, OW_GROUP, OW_PID, OW_COMM, OW_CGROUP, OW_NOW, OW_PEAK, OW_FIRST, OW_LAST,
	OW_NCOLS };

static const struct column owner_cols[OW_NCOLS] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL, 0 },
	{ "group", "group", "group", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "pid", "pid", "pid", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "process", "comm", "comm", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "cgroup", "cgroup", "cgroup", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "CLOSE_WAIT now", "now", "now", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "peak", "peak", "peak", COL_INT, NULL, NULL, 1, NULL, 0 },
	{ "first named", "first_time", "first_ts", COL_TIME, NULL, NULL, 0, NULL, 0 },
	{ "last named", "last_time", "last_ts", COL_TIME, NULL, NULL, 0, NULL, 0 },
};

int
cmd_owners(struct report *r)
{
	int64_t to = r->now, from = to - (r->since_set ? r->since : 3600);
	struct ownstat *o = NULL;
	struct cell row[OW_NCOLS];
	struct rows t;
	char a[32], b[32];
	size_t n = 0, i;
	int rc = 0;

	if (r->ngroup > 1)
		return usage_err(r, "owners: one --group at a time");
	if (hist_owners(&r->hist, from, to, r->ngroup ? r->group[0] : NULL, &o, &n) == -1)
		return report_fail(r);
	rows_init(&t, owner_cols, OW_NCOLS);
	if (r->format != FMT_JSON && !hist_several(&r->hist))
		t.hide |= 1u << OW_HOST;
	for (i = 0; i < n && rc == 0; i++) {
		row[OW_HOST] = host_cell(r, o[i].host);
		row[OW_GROUP] = cell_text(o[i].group);
		row[OW_PID] = cell_int(o[i].pid);
		row[OW_COMM] = cell_text(o[i].comm);
		row[OW_CGROUP] = o[i].cgroup[0] ? cell_text(o[i].cgroup) : cell_null();
		row[OW_NOW] = cell_int((int64_t)o[i].now);
		row[OW_PEAK] = cell_int((int64_t)o[i].peak);
		row[OW_FIRST] = cell_int(o[i].first);
		row[OW_LAST] = cell_int(o[i].last);
		if (rows_add(&t, row, 0) == -1)
			rc = runtime_err(r, "out of memory");
	}
	if (rc == 0 && n == 0 && r->format == FMT_TABLE)
		printf("no process was named as holding CLOSE_WAIT sockets between %s and %s "
		    "(UTC): the trigger (owners.close_wait_above in the config) is off, or no "
		    "group's CLOSE_WAIT passed it\n", fmt_time(from, a, sizeof(a)),
		    fmt_time(to, b, sizeof(b)));
	else if (rc == 0 && r->format == FMT_TABLE) {
		printf("processes holding CLOSE_WAIT sockets, named when a group's count passed "
		    "owners.close_wait_above, since %s (UTC)\n\n", fmt_time(from, a, sizeof(a)));
		rows_table(&t, stdout);
	} else if (rc == 0)
		rows_print(&t, r->format, stdout);
	rows_free(&t);
	free(o);
	return rc;
}
