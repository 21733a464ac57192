/*
 * tcptally-populate: messages, small I/O and address helpers, argument
 * helpers, the fd limit and the sysctls of the current network namespace.
 */

#include <sys/resource.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "populate.h"

/* ---------------------------------------------------------------------- */
/* errors */

void vmsg(int err, const char *fmt, va_list ap)
{
	char buf[512];
	int n;

	if (worker_id >= 0)
		n = snprintf(buf, sizeof buf, PROG ": worker %d: ", worker_id);
	else
		n = snprintf(buf, sizeof buf, PROG ": ");
	if (n < 0 || (size_t)n >= sizeof buf)
		n = 0;
	vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	if (err)
		fprintf(stderr, "%s: %s\n", buf, strerror(err));
	else
		fprintf(stderr, "%s\n", buf);
}

void warnmsg(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
}

/* Fatal error: message with errno text, exit 1 (_exit in workers). */
void die(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
	if (worker_id >= 0)
		_exit(1);
	exit(1);
}

/* Bad arguments: exit 2. */
void usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(0, fmt, ap);
	va_end(ap);
	fprintf(stderr, "Try '" PROG " --help' for more information.\n");
	exit(2);
}

/* ---------------------------------------------------------------------- */
/* helpers */

const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *p = ss->ss_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (!inet_ntop(ss->ss_family, p, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

ssize_t write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t r = write(fd, p + done, len - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* Returns bytes read; fewer than len only at EOF. */
ssize_t read_full(int fd, void *buf, size_t len)
{
	char *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t r = read(fd, p + done, len - done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------------- */
/* argument helpers */

long parse_num(const char *name, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end != '\0')
		usage_error("--%s: '%s' is not a number", name, s);
	if (v < min || v > max)
		usage_error("--%s: %ld out of range [%ld, %ld]", name, v, min, max);
	return v;
}

/* addr + i, in network order: for ADDR+N lists. */
static void addr_add(struct sockaddr_storage *ss, int family, long i)
{
	uint8_t *b = family == AF_INET ? (uint8_t *)&((struct sockaddr_in *)ss)->sin_addr :
		(uint8_t *)&((struct sockaddr_in6 *)ss)->sin6_addr;
	unsigned carry = 0, v;

	for (int k = family == AF_INET ? 3 : 15; k >= 0 && (i > 0 || carry); k--, i >>= 8) {
		v = b[k] + (unsigned)(i & 0xff) + carry;
		b[k] = (uint8_t)v;
		carry = v >> 8;
	}
}

/* A comma list of addresses, or ADDR+N: N consecutive addresses from ADDR. */
void parse_addrs(struct addrlist *l, int family, const char *name, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok, *plus;

	if (!copy)
		die(errno, "strdup");
	l->family = family;
	l->n = 0;
	l->len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct sockaddr_storage ss;
		long count = 1;
		int ok;

		if ((plus = strchr(tok, '+')) != NULL) {
			*plus = '\0';
			count = parse_num(name, plus + 1, 1, MAX_ADDRS);
		}
		if (l->n + count > MAX_ADDRS)
			usage_error("--%s: more than %d addresses", name, MAX_ADDRS);
		memset(&ss, 0, sizeof ss);
		ss.ss_family = (sa_family_t)family;
		if (family == AF_INET)
			ok = inet_pton(AF_INET, tok, &((struct sockaddr_in *)&ss)->sin_addr) == 1;
		else
			ok = inet_pton(AF_INET6, tok, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1;
		if (!ok)
			usage_error("--%s: '%s' is not an IPv%d address", name, tok,
				    family == AF_INET ? 4 : 6);
		for (int i = 0; i < l->n && count == 1; i++)
			if (memcmp(&l->a[i], &ss, sizeof ss) == 0)
				usage_error("--%s: duplicate address '%s'", name, tok);
		for (long i = 0; i < count; i++) {
			l->a[l->n] = ss;
			addr_add(&l->a[l->n++], family, i);
		}
	}
	free(copy);
	if (l->n == 0)
		usage_error("--%s: empty address list", name);
}

/* ---------------------------------------------------------------------- */
/* fd limit */

/* Raise the soft fd limit to the hard one; check or fit --per-worker. */
void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		die(errno, "getrlimit(RLIMIT_NOFILE)");
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			die(errno, "setrlimit(RLIMIT_NOFILE, %llu)", (unsigned long long)rl.rlim_max);
	}
	if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)opt.per_worker > rl.rlim_cur) {
		if (opt.per_worker_set || rl.rlim_cur < 64)
			usage_error("--per-worker %ld exceeds the fd limit %llu", opt.per_worker,
				    (unsigned long long)rl.rlim_cur);
		opt.per_worker = (long)rl.rlim_cur; /* default too big for this host */
	}
}

/* ---------------------------------------------------------------------- */
/* sysctls of the current network namespace */

static int read_sysctl(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = read(fd, buf, len - 1);
	close(fd);
	if (r < 0)
		return -1;
	buf[r] = '\0';
	return 0;
}

static int write_sysctl(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(val);
	ssize_t r;

	if (fd < 0)
		return -1;
	r = write(fd, val, len);
	if (r < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (close(fd) < 0)
		return -1;
	return (size_t)r == len ? 0 : (errno = EIO, -1);
}

void setup_sysctls(void)
{
	static const char range_path[] = "/proc/sys/net/ipv4/ip_local_port_range";
	static const char reuse_path[] = "/proc/sys/net/ipv4/tcp_tw_reuse";
	static const char twb_path[] = "/proc/sys/net/ipv4/tcp_max_tw_buckets";
	char buf[64];

	if (write_sysctl(range_path, EPHEMERAL_RANGE "\n") < 0)
		warnmsg(errno, "warning: cannot set %s to '%s'", range_path, EPHEMERAL_RANGE);

	/*
	 * With tcp_tw_reuse (default 2: loopback only) a new connect() may
	 * recycle the 4-tuple of a TIME_WAIT socket older than 1 s, which would
	 * silently destroy one of our TIME_WAIT sockets.
	 */
	if (read_sysctl(reuse_path, buf, sizeof buf) < 0 || atoi(buf) != 0)
		if (write_sysctl(reuse_path, "0\n") < 0)
			warnmsg(errno, "warning: cannot set %s to 0", reuse_path);

	/* TIME_WAIT sockets beyond tcp_max_tw_buckets are destroyed at once. */
	if (opt.time_wait > 0) {
		long want = 2 * opt.time_wait + 65536, cur = -1;

		if (read_sysctl(twb_path, buf, sizeof buf) == 0)
			cur = atol(buf);
		if (cur < want) {
			snprintf(buf, sizeof buf, "%ld\n", want);
			if (write_sysctl(twb_path, buf) < 0)
				warnmsg(errno, "warning: cannot raise %s from %ld to %ld; TIME_WAIT sockets may be dropped",
					twb_path, cur, want);
			else if (opt.verbose)
				warnmsg(0, "raised %s from %ld to %ld", twb_path, cur, want);
		}
	}
}

