/*
 * The kernel's context of a sample: its TCP counters and gauges from
 * /proc/self/net (netstat, snmp, sockstat, sockstat6: the collector's own
 * network namespace), and its limits from /proc/sys, read in the slot of the
 * dump. Four small reads and six tiny ones, a few tens of microseconds: the
 * dump itself costs a thousand times more at 270k sockets. A file that
 * cannot be read or parsed is logged once (and once when it works again);
 * the sample goes on without what it holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

#define READ_MAX	65536		/* /proc/net/netstat is about 5 KB */

static const char *const files[KS_NFILES] = {
	"net/netstat", "net/snmp", "net/sockstat", "net/sockstat6",
};

int
context_init(struct context *cx, const char *proc)
{
	memset(cx, 0, sizeof(*cx));
	snprintf(cx->proc, sizeof(cx->proc), "%s", proc);
	if ((cx->buf = malloc(READ_MAX)) == NULL)
		return -1;
	return 0;
}

void
context_free(struct context *cx)
{
	free(cx->buf);
	cx->buf = NULL;
}

/* The whole of path into cx->buf; its length, or -1 with errno. */
static ssize_t
slurp(struct context *cx, const char *path)
{
	ssize_t n, len = 0;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while (len < READ_MAX - 1) {
		if ((n = read(fd, cx->buf + len, (size_t)(READ_MAX - 1 - len))) == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	cx->buf[len] = '\0';
	return len;
}

/* Whether file i failed (why) or works again: logged once each way. */
static void
note(struct context *cx, int i, const char *path, const char *why)
{
	if (why != NULL && !cx->failing[i])
		log_warnx("%s: %s; samples go on without what it holds (logged once)", path,
		    why);
	else if (why == NULL && cx->failing[i])
		log_warnx("%s: readable again", path);
	cx->failing[i] = why != NULL;
}

void
context_read(struct context *cx, struct kstat *k, struct klimits *l)
{
	char path[512], why[256];
	ssize_t n;
	int i;

	memset(k, 0, sizeof(*k));
	memset(l, 0, sizeof(*l));
	for (i = 0; i < KS_NFILES; i++) {
		snprintf(path, sizeof(path), "%s/%s", cx->proc, files[i]);
		if ((n = slurp(cx, path)) == -1) {
			note(cx, i, path, strerror(errno));
			continue;
		}
		why[0] = '\0';
		if (kstat_parse(i, cx->buf, (size_t)n, k, why, sizeof(why)) == -1) {
			note(cx, i, path, why);
			continue;
		}
		note(cx, i, path, NULL);
	}
	for (i = 0, n = -1; i < TT_NKLIMITS; i++) {
		/* several limits of one file (tcp_mem's three) come from one read */
		if (i == 0 || strcmp(klimit_path(i), klimit_path(i - 1)) != 0) {
			snprintf(path, sizeof(path), "/proc/sys/%s", klimit_path(i));
			/* tcp_max_orphans and tcp_mem are the whole machine's:
			 * other network namespaces do not show them */
			if ((n = slurp(cx, path)) == -1)
				note(cx, KS_NFILES + i, path, errno == ENOENT ?
				    "not shown in this network namespace (the kernel shows its "
				    "machine-wide limits only in the first one)" : strerror(errno));
		}
		if (n == -1)
			continue;
		if (klimit_parse(cx->buf, (size_t)n, klimit_index(i), &l->v[i]) == -1) {
			note(cx, KS_NFILES + i, path, "not a number where one was expected");
			continue;
		}
		l->have |= 1u << i;
		note(cx, KS_NFILES + i, path, NULL);
	}
}

int
context_port_range(struct context *cx, int64_t *lo, int64_t *hi)
{
	const int a = KL_ip_local_port_range_min, b = KL_ip_local_port_range_max;
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/sys/%s", klimit_path(a));
	if ((n = slurp(cx, path)) == -1 ||
	    klimit_parse(cx->buf, (size_t)n, klimit_index(a), lo) == -1 ||
	    klimit_parse(cx->buf, (size_t)n, klimit_index(b), hi) == -1)
		return -1;
	return 0;
}
