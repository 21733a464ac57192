/*
 * The latest sample for node_exporter's textfile collector, in the Prometheus
 * text format. Best effort: the database is the record. The file is replaced
 * atomically (a temporary file in the same directory, then rename), so a
 * scrape never reads half of it. No timestamps on the lines: node_exporter
 * refuses them; tcptally_sample_timestamp_seconds says when it was sampled.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

static int	 failing;	/* log a failure once per episode */

struct out {
	char	*buf;
	size_t	 len, off;	/* off may run past len: the size needed */
};

static void
put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->off < o->len ? o->buf + o->off : NULL,
	    o->off < o->len ? o->len - o->off : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->off += (size_t)n;
}

/* A label value, escaped as the text format wants it. */
static void
put_label(struct out *o, const char *s)
{
	char buf[1024];

	text_label(buf, sizeof(buf), s);
	put(o, "%s", buf);
}

static void
put_gauge(struct out *o, const char *name, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* Per group: one line of name{group="..."} with the value f gives. */
static void
put_groups(struct out *o, const struct config *c, const struct tally *t, const char *name,
    int which)
{
	const struct listen_tally *l;
	size_t g;

	for (g = 0; g < t->ngroups; g++) {
		l = &t->listen[g];
		put(o, "%s{group=\"", name);
		put_label(o, g == 0 ? "all" : c->groups[g - 1].name);
		if (which == 0)
			put(o, "\"} %.6g\n", l->max_fill);
		else
			put(o, "\"} %llu\n", (unsigned long long)(which == 1 ? l->queued :
			    which == 2 ? l->listeners : which == 3 ? l->full : l->backlog));
	}
}

/* The listeners' queues per group, and the kernel's counters and gauges. */
static void
put_context(struct out *o, const struct config *c, const struct tally *t,
    const struct kcontext *kc)
{
	int i;

	put_gauge(o, "tcptally_listen_queue_fill", "The fullest accept queue of the group's "
	    "listeners: queue / (backlog + 1); 1 is full, the next connection is dropped.");
	put_groups(o, c, t, "tcptally_listen_queue_fill", 0);
	put_gauge(o, "tcptally_listen_queued", "Connections waiting in the accept queues of "
	    "the group's listeners.");
	put_groups(o, c, t, "tcptally_listen_queued", 1);
	put_gauge(o, "tcptally_listeners", "The group's LISTEN sockets.");
	put_groups(o, c, t, "tcptally_listeners", 2);
	put_gauge(o, "tcptally_listen_full", "The group's listeners whose queue is full.");
	put_groups(o, c, t, "tcptally_listen_full", 3);
	put_gauge(o, "tcptally_listen_backlog", "The sum of the backlogs of the group's "
	    "listeners (listen(2), capped at net.core.somaxconn).");
	put_groups(o, c, t, "tcptally_listen_backlog", 4);
	if (kc == NULL)
		return;
	put(o, "# HELP tcptally_kernel_total The kernel's TCP counters (/proc/net/netstat "
	    "TcpExt, /proc/net/snmp Tcp), as it printed them.\n# TYPE tcptally_kernel_total "
	    "counter\n");
	for (i = 0; i < TT_NKSTATS; i++)
		if (kstat_kind(i) == KS_COUNTER && (kc->k.have >> i) & 1)
			put(o, "tcptally_kernel_total{name=\"%s\"} %lld\n", kstat_name(i),
			    (long long)kc->k.v[i]);
	put_gauge(o, "tcptally_sockstat", "The kernel's TCP gauges (/proc/net/sockstat, "
	    "sockstat6).");
	for (i = 0; i < TT_NKSTATS; i++)
		if (kstat_kind(i) == KS_GAUGE && (kc->k.have >> i) & 1)
			put(o, "tcptally_sockstat{name=\"%s\"} %lld\n", kstat_name(i),
			    (long long)kc->k.v[i]);
	put_gauge(o, "tcptally_kernel_limit", "The kernel's limits (/proc/sys/net).");
	for (i = 0; i < TT_NKLIMITS; i++)
		if ((kc->l.have >> i) & 1)
			put(o, "tcptally_kernel_limit{name=\"%s\"} %lld\n", klimit_name(i),
			    (long long)kc->l.v[i]);
}

/*
 * The ages of CLOSE_WAIT (groups holding some, tracked) and each group's
 * outbound peer with the largest share of the local port range.
 */
static void
put_breakdown(struct out *o, const struct config *c, const struct tally *t)
{
	struct tk_entry top;
	uint64_t total;
	char peer[64];
	size_t g;
	int dir;

	if (t->cw != NULL) {
		put_gauge(o, "tcptally_close_wait_oldest_seconds", "The age of the group's "
		    "oldest CLOSE_WAIT socket, from the first sample of this collector that saw "
		    "it so (a socket there at its first sample: at least this).");
		for (g = 0; g < t->ngroups; g++) {
			if (t->count[g][TT_CLOSE_WAIT] == 0 || t->cw_since[g] == INT64_MAX)
				continue;
			put(o, "tcptally_close_wait_oldest_seconds{group=\"");
			put_label(o, g == 0 ? "all" : c->groups[g - 1].name);
			put(o, "\"} %lld\n", (long long)(t->cw->now > t->cw_since[g] ?
			    t->cw->now - t->cw_since[g] : 0));
		}
	}
	if (t->bk == NULL || t->bk->k[BK_PEER] == 0)
		return;
	put_gauge(o, "tcptally_peer_port_share", "The group's outbound peer with the most "
	    "sockets (any state) over the size of net.ipv4.ip_local_port_range: near 1, "
	    "connect() to it fails.");
	for (g = 0; g < t->ngroups; g++) {
		if (bk_top(t->bk, BK_PEER, g, BK_ANY, &top, 1, &total) == 0)
			continue;
		bk_key_peer(&top.key, peer, sizeof(peer), &dir);
		put(o, "tcptally_peer_port_share{group=\"");
		put_label(o, g == 0 ? "all" : c->groups[g - 1].name);
		put(o, "\",peer=\"");
		put_label(o, peer);
		put(o, "\"} %.6g\n", (double)top.count / bk_port_range_size(t->bk));
	}
}

size_t
textfile_format(char *buf, size_t len, const struct config *c, const struct tally *t,
    const struct kcontext *kc, int64_t ts, int64_t duration_ns)
{
	struct out o = { buf, len, 0 };
	size_t g;
	int st;

	put_gauge(&o, "tcptally_sockets", "TCP sockets per group and state in the latest "
	    "sample of tcptally-collector (group all: every socket).");
	for (g = 0; g < t->ngroups; g++)
		for (st = 1; st <= TT_NSTATES; st++) {
			put(&o, "tcptally_sockets{group=\"");
			put_label(&o, g == 0 ? "all" : c->groups[g - 1].name);
			put(&o, "\",state=\"%s\"} %llu\n", state_name(st),
			    (unsigned long long)t->count[g][st]);
		}
	put_gauge(&o, "tcptally_sample_sockets", "TCP sockets the kernel reported in the "
	    "latest sample, each once.");
	put(&o, "tcptally_sample_sockets %llu\n", (unsigned long long)t->total);
	put_context(&o, c, t, kc);
	put_breakdown(&o, c, t);
	put_gauge(&o, "tcptally_sample_duration_seconds", "Time the latest sample took: "
	    "socket dump, tally and database store.");
	put(&o, "tcptally_sample_duration_seconds %.6f\n", (double)duration_ns / 1e9);
	put_gauge(&o, "tcptally_sample_interval_seconds", "The collector's sampling interval.");
	put(&o, "tcptally_sample_interval_seconds %lld\n", (long long)c->interval);
	put_gauge(&o, "tcptally_sample_timestamp_seconds", "Unix time of the latest sample. "
	    "Its age is time() - tcptally_sample_timestamp_seconds; more than a few "
	    "intervals means the collector has stopped sampling.");
	put(&o, "tcptally_sample_timestamp_seconds %lld\n", (long long)ts);
	if (len > 0)
		buf[o.off < len ? o.off : len - 1] = '\0';
	return o.off;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write buf to path through path.tmp.PID. 0 ok, -1 with errno and what failed in *what. */
static int
replace_file(const char *path, const char *buf, size_t len, const char **what)
{
	char tmp[4096];
	int fd, saved;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >=
	    (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		*what = "cannot name a temporary file";
		return -1;
	}
	(void)unlink(tmp);	/* a leftover of an earlier process with this pid */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644)) == -1) {
		*what = "cannot create a temporary file next to it";
		return -1;
	}
	*what = "cannot write the temporary file";
	if (fchmod(fd, 0644) == -1 || write_all(fd, buf, len) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail;
	}
	if (close(fd) == -1)
		goto fail;
	*what = "cannot rename the temporary file over it";
	if (rename(tmp, path) == 0)
		return 0;
fail:
	saved = errno;
	unlink(tmp);
	errno = saved;
	return -1;
}

int
textfile_write(const struct config *c, const struct tally *t, const struct kcontext *kc,
    int64_t ts, int64_t duration_ns)
{
	const char *what = "out of memory";
	size_t len;
	char *buf;
	int rc = -1, saved;

	if (c->textfile == NULL)
		return 0;
	len = textfile_format(NULL, 0, c, t, kc, ts, duration_ns);
	if ((buf = malloc(len + 1)) != NULL) {
		textfile_format(buf, len + 1, c, t, kc, ts, duration_ns);
		rc = replace_file(c->textfile, buf, len, &what);
		saved = errno;
		free(buf);
		errno = saved;
	}
	if (rc == -1 && !failing)
		log_warnx("textfile %s: %s: %s; samples are still stored (not logged again "
		    "until writing works)", c->textfile, what, strerror(errno));
	else if (rc == 0 && failing)
		log_warnx("textfile %s: writing works again", c->textfile);
	failing = rc == -1;
	return rc;
}
