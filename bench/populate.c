/*
 * tcptally-populate: build a known population of TCP sockets on loopback.
 *
 * Used by the integration tests and benchmarks to give tcptally something
 * exact to count.  Normally run inside a private network namespace:
 *
 *   ip netns add X; ip -n X link set lo up
 *   ip -n X -6 addr add fd00::2/128 dev lo nodad
 *   ip netns exec X tcptally-populate --established 2000 --hold
 *
 * All counts on the command line are numbers of SOCKETS in the final state.
 * When everything is built the tool prints exactly one line on stdout:
 *
 *   ready listen=L established=E close_wait=C fin_wait2=F time_wait=T workers=W
 *
 * Design
 * ------
 * The per-process fd limit is far below the socket counts we need, so the
 * work is spread over W forked worker processes.  Each worker owns its own
 * listening port(s) (--port-base + w, on every --dst4 / --dst6 address) and
 * connects only to its own ports.  Per-worker ports are essential: for the
 * CLOSE_WAIT / TIME_WAIT choreography the process that accept()s a
 * connection must be the one that owns the client end, because it has to
 * act on both ends in a precise order (server shutdown(SHUT_WR) while the
 * client keeps its fd; client close() first, then the server reads EOF and
 * closes).  With a shared port another worker's accept() could take our
 * connection and we could neither pair the ends nor drive them.
 *
 * A worker builds one connection at a time: connect() on loopback completes
 * the handshake synchronously, so the accept queue of the worker's listener
 * holds at most one connection, can never overflow (no stray SYN_RECV or
 * dropped connections), and the socket we accept is exactly the peer of the
 * client we just connected.
 *
 * Workers run in three barrier-separated phases driven by the parent:
 *   1. create listeners (per-worker ones plus a slice of the --listen idle
 *      ones).  All listeners exist before anybody connects, so no ephemeral
 *      client port can grab a port a listener still has to bind.
 *   2. ESTABLISHED and CLOSE_WAIT/FIN_WAIT2 connections (fds kept).
 *   3. TIME_WAIT connections, last, so their 60 s lifetime starts as late as
 *      possible and at the same moment in every worker.
 * Each worker reports its counts over a pipe; the parent only sums them and
 * keeps no per-socket state at all.
 *
 * Every socket that is kept open gets SO_LINGER {1, 0}: this does not change
 * its state while it is held, but when a worker dies (teardown, or exit
 * without --hold) its sockets are reset instead of being closed gracefully,
 * so teardown does not leave a flood of new TIME_WAIT / FIN_WAIT sockets
 * behind.  Only the deliberate TIME_WAIT sockets survive the tool.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define PROG "tcptally-populate"

#define MAX_ADDRS       64
#define MAX_COUNT       100000000L  /* sanity bound on every count */
#define MAX_WORKERS     4096
#define FD_RESERVE      32          /* stdio, pipes, slack inside a worker */
#define FD_SLACK        16          /* rounding when splitting work */
#define TUPLE_CAP       20000L      /* max connections per (src, dst, dport) */
#define IO_TIMEOUT_MS   10000
#define LISTEN_BACKLOG  4096
#define SETTLE_NS       200000000L  /* let FINs/ACKs be processed */

#define EPHEMERAL_RANGE "10000 65000"

/* ---------------------------------------------------------------------- */

struct addrlist {
	int family;
	int n;
	struct sockaddr_storage a[MAX_ADDRS];
	socklen_t len;
};

struct options {
	long listen, established, close_wait, time_wait;
	int v6pct;
	long port_base, idle_base;
	long per_worker;
	bool hold, verbose, per_worker_set;
	struct addrlist src4, dst4, src6, dst6;
};

/* Work assigned to one family (v4 or v6) of one worker. */
struct famwork {
	long est;       /* ESTABLISHED connections (2 sockets each) */
	long cw;        /* CLOSE_WAIT/FIN_WAIT2 connections */
	long tw;        /* TIME_WAIT connections (1 TIME_WAIT socket each) */
	long idle;      /* idle listeners */
	long idle_port; /* port of the first idle listener */
};

struct plan {
	int workers;
	bool use4, use6;
	int listeners_per_worker;
	/* totals per family, in connections / listeners */
	long est4, est6, cw4, cw6, tw4, tw6, idle4, idle6;
};

/* Message from a worker to the parent; small enough to be written atomically. */
struct report {
	int32_t phase;
	int32_t pad;
	int64_t listen, established, close_wait, fin_wait2, time_wait;
};

static struct options opt;
static struct plan plan;
static int worker_id = -1;

/* ---------------------------------------------------------------------- */
/* errors */

static void vmsg(int err, const char *fmt, va_list ap)
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

static void warnmsg(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warnmsg(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
}

/* Fatal error: message with errno text, exit 1 (_exit in workers). */
static void die(int err, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
static void die(int err, const char *fmt, ...)
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
static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...)
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

static const char *addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *p = ss->ss_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (!inet_ntop(ss->ss_family, p, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

static void set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
}

static ssize_t write_full(int fd, const void *buf, size_t len)
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
static ssize_t read_full(int fd, void *buf, size_t len)
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

static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long share(long total, int parts, int idx)
{
	return total / parts + (idx < total % parts ? 1 : 0);
}

static long share_start(long total, int parts, int idx)
{
	long base = total / parts, rem = total % parts;

	return base * idx + (idx < rem ? idx : rem);
}

/* ---------------------------------------------------------------------- */
/* argument parsing */

static long parse_num(const char *name, const char *s, long min, long max)
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

static void parse_addrs(struct addrlist *l, int family, const char *name, const char *arg)
{
	char *copy = strdup(arg), *save = NULL, *tok;

	if (!copy)
		die(errno, "strdup");
	l->family = family;
	l->n = 0;
	l->len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct sockaddr_storage ss;

		if (l->n >= MAX_ADDRS)
			usage_error("--%s: more than %d addresses", name, MAX_ADDRS);
		memset(&ss, 0, sizeof ss);
		ss.ss_family = (sa_family_t)family;
		if (family == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
			if (inet_pton(AF_INET, tok, &sin->sin_addr) != 1)
				usage_error("--%s: '%s' is not an IPv4 address", name, tok);
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
			if (inet_pton(AF_INET6, tok, &sin6->sin6_addr) != 1)
				usage_error("--%s: '%s' is not an IPv6 address", name, tok);
		}
		for (int i = 0; i < l->n; i++)
			if (memcmp(&l->a[i], &ss, sizeof ss) == 0)
				usage_error("--%s: duplicate address '%s'", name, tok);
		l->a[l->n++] = ss;
	}
	free(copy);
	if (l->n == 0)
		usage_error("--%s: empty address list", name);
}

static void usage(void)
{
	printf(
"Usage: " PROG " [OPTION]...\n"
"Build a known population of TCP sockets over loopback (run it inside a\n"
"private network namespace).  Every count is a number of SOCKETS.\n"
"\n"
"  --listen N          N extra idle listening sockets on ports --idle-port-base,\n"
"                      +1, ... (v4 ones first, on the first --dst4 address, then\n"
"                      v6 ones on the first --dst6 address)\n"
"  --established N     N ESTABLISHED sockets (N/2 connections, both ends count);\n"
"                      N must be even\n"
"  --close-wait N      N connections whose server end did shutdown(SHUT_WR):\n"
"                      N CLOSE_WAIT (client ends) + N FIN_WAIT2 (server ends)\n"
"  --time-wait N       N connections closed by the client first: exactly N\n"
"                      TIME_WAIT sockets, the server ends fully closed\n"
"  --v6 PCT            percentage of every category built over IPv6 (default 20);\n"
"                      per category: v6 units = units * PCT / 100 (rounded down),\n"
"                      units being connections (E/2, C, T) or idle listeners\n"
"  --port-base P       worker w listens on port P+w (default 8000) on every\n"
"                      --dst4 address (if PCT < 100) and every --dst6 address\n"
"                      (if PCT > 0, IPV6_V6ONLY)\n"
"  --idle-port-base P  first port of the --listen idle listeners (default 20000)\n"
"  --src4 LIST         comma-separated IPv4 client source addresses, used round\n"
"                      robin (default 127.0.0.1)\n"
"  --dst4 LIST         IPv4 addresses listeners bind / clients connect to\n"
"                      (default 127.0.0.1)\n"
"  --src6 LIST         IPv6 client source addresses (default ::1)\n"
"  --dst6 LIST         IPv6 listener addresses (default ::1)\n"
"  --per-worker N      max fds per worker process (default 18000)\n"
"  --hold              keep all sockets after printing the ready line, until\n"
"                      SIGTERM/SIGINT/SIGHUP or EOF on stdin (stdin is watched\n"
"                      only if it is a pipe, a socket or a foreground tty)\n"
"  -v, --verbose       print the plan and timings on stderr\n"
"  -h, --help          show this help\n"
"\n"
"When built, prints exactly one line on stdout:\n"
"  ready listen=L established=E close_wait=C fin_wait2=F time_wait=T workers=W\n"
"(L includes the per-worker listeners).  Without --hold the tool then exits:\n"
"only the TIME_WAIT sockets survive (held sockets are reset, SO_LINGER 0).\n"
"\n"
"In the current network namespace the tool sets ip_local_port_range to\n"
"'" EPHEMERAL_RANGE "', tcp_tw_reuse to 0 and, if needed, raises\n"
"tcp_max_tw_buckets (warnings only if that fails).\n"
"\n"
"Exit status: 0 ok, 1 system error, 2 bad arguments.\n");
}

enum {
	OPT_LISTEN = 256, OPT_EST, OPT_CW, OPT_TW, OPT_V6, OPT_PORT_BASE,
	OPT_IDLE_BASE, OPT_SRC4, OPT_DST4, OPT_SRC6, OPT_DST6, OPT_PER_WORKER,
	OPT_HOLD,
};

static void parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen",         required_argument, NULL, OPT_LISTEN },
		{ "established",    required_argument, NULL, OPT_EST },
		{ "close-wait",     required_argument, NULL, OPT_CW },
		{ "time-wait",      required_argument, NULL, OPT_TW },
		{ "v6",             required_argument, NULL, OPT_V6 },
		{ "port-base",      required_argument, NULL, OPT_PORT_BASE },
		{ "idle-port-base", required_argument, NULL, OPT_IDLE_BASE },
		{ "src4",           required_argument, NULL, OPT_SRC4 },
		{ "dst4",           required_argument, NULL, OPT_DST4 },
		{ "src6",           required_argument, NULL, OPT_SRC6 },
		{ "dst6",           required_argument, NULL, OPT_DST6 },
		{ "per-worker",     required_argument, NULL, OPT_PER_WORKER },
		{ "hold",           no_argument,       NULL, OPT_HOLD },
		{ "verbose",        no_argument,       NULL, 'v' },
		{ "help",           no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opt.v6pct = 20;
	opt.port_base = 8000;
	opt.idle_base = 20000;
	opt.per_worker = 18000;
	parse_addrs(&opt.src4, AF_INET, "src4", "127.0.0.1");
	parse_addrs(&opt.dst4, AF_INET, "dst4", "127.0.0.1");
	parse_addrs(&opt.src6, AF_INET6, "src6", "::1");
	parse_addrs(&opt.dst6, AF_INET6, "dst6", "::1");

	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			opt.listen = parse_num("listen", optarg, 0, MAX_COUNT);
			break;
		case OPT_EST:
			opt.established = parse_num("established", optarg, 0, MAX_COUNT);
			if (opt.established % 2)
				usage_error("--established: %ld is odd (both ends of a connection count)",
					    opt.established);
			break;
		case OPT_CW:
			opt.close_wait = parse_num("close-wait", optarg, 0, MAX_COUNT);
			break;
		case OPT_TW:
			opt.time_wait = parse_num("time-wait", optarg, 0, MAX_COUNT);
			break;
		case OPT_V6:
			opt.v6pct = (int)parse_num("v6", optarg, 0, 100);
			break;
		case OPT_PORT_BASE:
			opt.port_base = parse_num("port-base", optarg, 1, 65535);
			break;
		case OPT_IDLE_BASE:
			opt.idle_base = parse_num("idle-port-base", optarg, 1, 65535);
			break;
		case OPT_SRC4:
			parse_addrs(&opt.src4, AF_INET, "src4", optarg);
			break;
		case OPT_DST4:
			parse_addrs(&opt.dst4, AF_INET, "dst4", optarg);
			break;
		case OPT_SRC6:
			parse_addrs(&opt.src6, AF_INET6, "src6", optarg);
			break;
		case OPT_DST6:
			parse_addrs(&opt.dst6, AF_INET6, "dst6", optarg);
			break;
		case OPT_PER_WORKER:
			opt.per_worker = parse_num("per-worker", optarg, 64, 1L << 30);
			opt.per_worker_set = true;
			break;
		case OPT_HOLD:
			opt.hold = true;
			break;
		case 'v':
			opt.verbose = true;
			break;
		case 'h':
			usage();
			exit(0);
		default:
			fprintf(stderr, "Try '" PROG " --help' for more information.\n");
			exit(2);
		}
	}
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
}

/* ---------------------------------------------------------------------- */
/* planning */

static long ceil_div(long a, long b)
{
	return (a + b - 1) / b;
}

static void make_plan(void)
{
	long held, cap, w;
	int pct = opt.v6pct;

	plan.use4 = pct < 100;
	plan.use6 = pct > 0;
	plan.listeners_per_worker = (plan.use4 ? opt.dst4.n : 0) + (plan.use6 ? opt.dst6.n : 0);

	plan.est6 = (opt.established / 2) * pct / 100;
	plan.est4 = opt.established / 2 - plan.est6;
	plan.cw6 = opt.close_wait * pct / 100;
	plan.cw4 = opt.close_wait - plan.cw6;
	plan.tw6 = opt.time_wait * pct / 100;
	plan.tw4 = opt.time_wait - plan.tw6;
	plan.idle6 = opt.listen * pct / 100;
	plan.idle4 = opt.listen - plan.idle6;

	/* fds held for the whole life of the population */
	held = opt.listen + opt.established + 2 * opt.close_wait;
	/* per worker: its listeners, a transient connection (2 fds), rounding */
	cap = opt.per_worker - FD_RESERVE - plan.listeners_per_worker - 2 - FD_SLACK;
	if (cap < 16)
		usage_error("--per-worker %ld is too small (need at least %ld)", opt.per_worker,
			    opt.per_worker - cap + 16);

	w = ceil_div(held, cap);
	/*
	 * Keep the number of connections per (source, destination, dport) tuple
	 * well below the ephemeral port range, so that the kernel's per-destination
	 * port search never wraps into ports it handed out earlier.
	 */
	{
		long c4 = plan.est4 + plan.cw4 + plan.tw4;
		long c6 = plan.est6 + plan.cw6 + plan.tw6;
		long w4 = ceil_div(c4, TUPLE_CAP * opt.src4.n * opt.dst4.n);
		long w6 = ceil_div(c6, TUPLE_CAP * opt.src6.n * opt.dst6.n);
		if (w4 > w)
			w = w4;
		if (w6 > w)
			w = w6;
	}
	if (w < 1)
		w = 1;
	if (w > MAX_WORKERS)
		usage_error("population needs %ld workers (max %d); raise --per-worker", w, MAX_WORKERS);
	plan.workers = (int)w;

	if (opt.port_base + plan.workers - 1 > 65535)
		usage_error("--port-base %ld + %d workers exceeds port 65535", opt.port_base, plan.workers);
	if (opt.idle_base + opt.listen - 1 > 65535)
		usage_error("--idle-port-base %ld + %ld listeners exceeds port 65535", opt.idle_base,
			    opt.listen);
	if (opt.listen > 0 && opt.port_base < opt.idle_base + opt.listen &&
	    opt.idle_base < opt.port_base + plan.workers)
		usage_error("worker ports %ld-%ld overlap idle listener ports %ld-%ld",
			    opt.port_base, opt.port_base + plan.workers - 1,
			    opt.idle_base, opt.idle_base + opt.listen - 1);
}

static void worker_work(int w, struct famwork *f4, struct famwork *f6)
{
	int W = plan.workers;

	memset(f4, 0, sizeof *f4);
	memset(f6, 0, sizeof *f6);
	f4->est = share(plan.est4, W, w);
	f6->est = share(plan.est6, W, w);
	f4->cw = share(plan.cw4, W, w);
	f6->cw = share(plan.cw6, W, w);
	f4->tw = share(plan.tw4, W, w);
	f6->tw = share(plan.tw6, W, w);
	f4->idle = share(plan.idle4, W, w);
	f6->idle = share(plan.idle6, W, w);
	f4->idle_port = opt.idle_base + share_start(plan.idle4, W, w);
	f6->idle_port = opt.idle_base + plan.idle4 + share_start(plan.idle6, W, w);
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

static void setup_sysctls(void)
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

/* ---------------------------------------------------------------------- */
/* worker */

static void set_linger0(int fd)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) < 0)
		die(errno, "setsockopt(SO_LINGER)");
}

static int make_listener(const struct sockaddr_storage *addr, socklen_t len, int port)
{
	struct sockaddr_storage sa = *addr;
	char abuf[INET6_ADDRSTRLEN];
	int one = 1;
	int fd;

	set_port(&sa, port);
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(errno, "socket(%s)", sa.ss_family == AF_INET ? "AF_INET" : "AF_INET6");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die(errno, "setsockopt(SO_REUSEADDR)");
	if (sa.ss_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0)
		die(errno, "setsockopt(IPV6_V6ONLY)");
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		die(errno, "bind(%s port %d)", addr_str(&sa, abuf, sizeof abuf), port);
	if (listen(fd, LISTEN_BACKLOG) < 0)
		die(errno, "listen(%s port %d)", addr_str(&sa, abuf, sizeof abuf), port);
	/* no SO_LINGER here: accepted sockets would inherit it, and the
	 * TIME_WAIT choreography needs a graceful server close */
	return fd;
}

/* Blocking loopback connect from src (port chosen per destination). */
static int connect_one(const struct addrlist *srcl, int si, const struct addrlist *dstl, int di,
		       int port, bool linger0)
{
	struct sockaddr_storage dst = dstl->a[di];
	char sbuf[INET6_ADDRSTRLEN], dbuf[INET6_ADDRSTRLEN];
	int one = 1;
	int fd;

	set_port(&dst, port);
	fd = socket(dstl->family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die(errno, "socket(%s)", dstl->family == AF_INET ? "AF_INET" : "AF_INET6");
	/* lets a later run bind idle listeners over ports held by our TIME_WAITs */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0)
		die(errno, "setsockopt(SO_REUSEADDR)");
	/* allocate the source port at connect() time, per destination */
	if (setsockopt(fd, SOL_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one) < 0)
		die(errno, "setsockopt(IP_BIND_ADDRESS_NO_PORT)");
	/* held sockets are reset, not closed gracefully, when a worker dies */
	if (linger0)
		set_linger0(fd);
	if (bind(fd, (const struct sockaddr *)&srcl->a[si], srcl->len) < 0)
		die(errno, "bind(%s)", addr_str(&srcl->a[si], sbuf, sizeof sbuf));
	while (connect(fd, (struct sockaddr *)&dst, dstl->len) < 0) {
		if (errno == EINTR)
			continue;
		die(errno, "connect(%s -> %s port %d)", addr_str(&srcl->a[si], sbuf, sizeof sbuf),
		    addr_str(&dst, dbuf, sizeof dbuf), port);
	}
	return fd;
}

static int accept_one(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd p = { .fd = lfd, .events = POLLIN };
			int r = poll(&p, 1, IO_TIMEOUT_MS);

			if (r < 0 && errno != EINTR)
				die(errno, "poll(listener)");
			if (r == 0)
				die(ETIMEDOUT, "accept(): connection did not arrive");
			continue;
		}
		die(errno, "accept4()");
	}
}

/* Wait for EOF on a server socket whose peer has closed. */
static void wait_eof(int fd)
{
	char c;

	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r == 0)
			return;
		if (r > 0)
			die(0, "unexpected data on a TIME_WAIT server socket");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int pr = poll(&p, 1, IO_TIMEOUT_MS);

			if (pr < 0 && errno != EINTR)
				die(errno, "poll(server socket)");
			if (pr == 0)
				die(ETIMEDOUT, "waiting for the client's FIN");
			continue;
		}
		die(errno, "read(server socket)");
	}
}

enum kind { K_EST, K_CW, K_TW };

struct famctx {
	const struct addrlist *src, *dst;
	int *lfd;       /* one listener per dst address */
	long next;      /* round-robin counter over (src, dst) */
	int port;
};

static void build_conn(struct famctx *fc, enum kind k)
{
	int si = (int)(fc->next % fc->src->n);
	int di = (int)((fc->next / fc->src->n) % fc->dst->n);
	int c, s;

	fc->next++;
	c = connect_one(fc->src, si, fc->dst, di, fc->port, k != K_TW);
	/* Only this worker connects to this port, and one at a time: the
	 * accepted socket is c's peer. */
	s = accept_one(fc->lfd[di]);
	switch (k) {
	case K_EST:
		set_linger0(s);
		break;
	case K_CW:
		set_linger0(s);
		/* server sends FIN: client -> CLOSE_WAIT, server -> FIN_WAIT2 */
		if (shutdown(s, SHUT_WR) < 0)
			die(errno, "shutdown(SHUT_WR)");
		break;
	case K_TW:
		/* client is the active closer and ends in TIME_WAIT */
		if (close(c) < 0)
			die(errno, "close(client)");
		wait_eof(s);
		if (close(s) < 0)
			die(errno, "close(server)");
		break;
	}
}

static void send_report(int fd, int phase, const struct report *counts)
{
	struct report r = *counts;

	r.phase = phase;
	if (write_full(fd, &r, sizeof r) < 0)
		die(errno, "write(report pipe)");
}

static void wait_go(int ctl)
{
	char b;
	ssize_t r = read_full(ctl, &b, 1);

	if (r < 0)
		die(errno, "read(control pipe)");
	if (r == 0)
		_exit(1); /* parent is gone */
}

static void __attribute__((noreturn)) worker_main(int w, int rep, int ctl, pid_t parent)
{
	struct famwork f4, f6;
	struct report cnt;
	int lfd4[MAX_ADDRS], lfd6[MAX_ADDRS];
	struct famctx c4, c6;
	int port = (int)opt.port_base + w;
	long i;

	worker_id = w;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die(errno, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != parent)
		_exit(1);

	memset(&cnt, 0, sizeof cnt);
	worker_work(w, &f4, &f6);

	/* phase 1: listeners */
	if (plan.use4)
		for (int d = 0; d < opt.dst4.n; d++) {
			lfd4[d] = make_listener(&opt.dst4.a[d], opt.dst4.len, port);
			cnt.listen++;
		}
	if (plan.use6)
		for (int d = 0; d < opt.dst6.n; d++) {
			lfd6[d] = make_listener(&opt.dst6.a[d], opt.dst6.len, port);
			cnt.listen++;
		}
	for (i = 0; i < f4.idle; i++) {
		make_listener(&opt.dst4.a[0], opt.dst4.len, (int)(f4.idle_port + i));
		cnt.listen++;
	}
	for (i = 0; i < f6.idle; i++) {
		make_listener(&opt.dst6.a[0], opt.dst6.len, (int)(f6.idle_port + i));
		cnt.listen++;
	}
	send_report(rep, 1, &cnt);
	wait_go(ctl);

	/* phase 2: held connections */
	c4 = (struct famctx){ &opt.src4, &opt.dst4, lfd4, 0, port };
	c6 = (struct famctx){ &opt.src6, &opt.dst6, lfd6, 0, port };
	for (i = 0; i < f4.est; i++)
		build_conn(&c4, K_EST);
	for (i = 0; i < f6.est; i++)
		build_conn(&c6, K_EST);
	cnt.established = 2 * (f4.est + f6.est);
	for (i = 0; i < f4.cw; i++)
		build_conn(&c4, K_CW);
	for (i = 0; i < f6.cw; i++)
		build_conn(&c6, K_CW);
	cnt.close_wait = cnt.fin_wait2 = f4.cw + f6.cw;
	send_report(rep, 2, &cnt);
	wait_go(ctl);

	/* phase 3: TIME_WAIT, last */
	for (i = 0; i < f4.tw; i++)
		build_conn(&c4, K_TW);
	for (i = 0; i < f6.tw; i++)
		build_conn(&c6, K_TW);
	cnt.time_wait = f4.tw + f6.tw;
	send_report(rep, 3, &cnt);

	/* hold until the parent closes the control pipe or kills us */
	for (;;) {
		char b;
		ssize_t r = read(ctl, &b, 1);

		if (r == 0 || (r < 0 && errno != EINTR))
			_exit(0);
	}
}

/* ---------------------------------------------------------------------- */
/* parent */

static pid_t *pids;
static int *rep_r, *ctl_w;
static int nforked;
static int sigfd = -1;

static void kill_workers(void)
{
	for (int w = 0; w < nforked; w++)
		if (pids[w] > 0)
			kill(pids[w], SIGKILL);
	for (int w = 0; w < nforked; w++) {
		if (pids[w] <= 0)
			continue;
		pid_t r;

		while ((r = waitpid(pids[w], NULL, 0)) < 0 && errno == EINTR)
			;
		if (r < 0)
			warnmsg(errno, "waitpid(worker %d, pid %d)", w, (int)pids[w]);
		pids[w] = 0;
	}
}

static void __attribute__((noreturn)) parent_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void parent_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(err, fmt, ap);
	va_end(ap);
	kill_workers();
	exit(1);
}

/* A worker's report pipe hit EOF: it died.  Describe how. */
static void __attribute__((noreturn)) worker_died(int w)
{
	int status = 0;
	pid_t r;

	kill(pids[w], SIGKILL); /* in case it merely closed the pipe */
	while ((r = waitpid(pids[w], &status, 0)) < 0 && errno == EINTR)
		;
	if (r == pids[w]) {
		pids[w] = 0;
		if (WIFEXITED(status))
			parent_fail(0, "worker %d exited with status %d", w, WEXITSTATUS(status));
		if (WIFSIGNALED(status))
			parent_fail(0, "worker %d killed by signal %d", w, WTERMSIG(status));
	}
	parent_fail(0, "worker %d died", w);
}

static void build_interrupted(void)
{
	struct signalfd_siginfo si;

	if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
		parent_fail(0, "interrupted by signal %u while building", si.ssi_signo);
	parent_fail(errno, "read(signalfd)");
}

/* Wait until every worker has sent its report for phase; sum into total. */
static void wait_phase(int phase, struct report *total)
{
	int W = plan.workers, pending = W;
	struct pollfd *pfd = calloc((size_t)W + 1, sizeof *pfd);
	bool *done = calloc((size_t)W, sizeof *done);

	if (!pfd || !done)
		parent_fail(errno, "calloc");
	memset(total, 0, sizeof *total);
	while (pending > 0) {
		int n = 0;

		pfd[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		for (int w = 0; w < W; w++)
			pfd[n++] = (struct pollfd){ .fd = done[w] ? -1 : rep_r[w], .events = POLLIN };
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			parent_fail(errno, "poll");
		}
		if (pfd[0].revents)
			build_interrupted();
		for (int w = 0; w < W; w++) {
			struct report r;
			ssize_t got;

			if (done[w] || !pfd[w + 1].revents)
				continue;
			got = read_full(rep_r[w], &r, sizeof r);
			if (got < 0)
				parent_fail(errno, "read(report pipe of worker %d)", w);
			if (got != (ssize_t)sizeof r)
				worker_died(w);
			if (r.phase != phase)
				parent_fail(0, "worker %d: unexpected report phase %d (want %d)", w,
					    (int)r.phase, phase);
			total->listen += r.listen;
			total->established += r.established;
			total->close_wait += r.close_wait;
			total->fin_wait2 += r.fin_wait2;
			total->time_wait += r.time_wait;
			done[w] = true;
			pending--;
		}
	}
	free(pfd);
	free(done);
}

static void release_phase(void)
{
	for (int w = 0; w < plan.workers; w++)
		if (write_full(ctl_w[w], "g", 1) < 0)
			parent_fail(errno, "write(control pipe of worker %d)", w);
}

static void spawn_workers(void)
{
	int W = plan.workers;
	pid_t self = getpid();

	pids = calloc((size_t)W, sizeof *pids);
	rep_r = calloc((size_t)W, sizeof *rep_r);
	ctl_w = calloc((size_t)W, sizeof *ctl_w);
	if (!pids || !rep_r || !ctl_w)
		die(errno, "calloc");

	for (int w = 0; w < W; w++) {
		int rp[2], cp[2];
		pid_t pid;

		if (pipe2(rp, O_CLOEXEC) < 0 || pipe2(cp, O_CLOEXEC) < 0)
			parent_fail(errno, "pipe2");
		pid = fork();
		if (pid < 0)
			parent_fail(errno, "fork");
		if (pid == 0) {
			sigset_t none;

			/* only the parent handles termination requests */
			signal(SIGINT, SIG_IGN);
			signal(SIGTERM, SIG_IGN);
			signal(SIGHUP, SIG_IGN);
			sigemptyset(&none);
			sigprocmask(SIG_SETMASK, &none, NULL);
			close(sigfd);
			for (int j = 0; j < w; j++) {
				close(rep_r[j]);
				close(ctl_w[j]);
			}
			close(rp[0]);
			close(cp[1]);
			worker_main(w, rp[1], cp[0], self);
		}
		close(rp[1]);
		close(cp[0]);
		pids[w] = pid;
		rep_r[w] = rp[0];
		ctl_w[w] = cp[1];
		nforked = w + 1;
	}
}

/* Should EOF on stdin end --hold?  Only for a pipe, a socket or a tty we own:
 * a shell starts background jobs with stdin on /dev/null, which would
 * otherwise end the hold immediately. */
static bool stdin_watchable(void)
{
	struct stat st;

	if (fstat(STDIN_FILENO, &st) < 0)
		return false;
	if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode))
		return true;
	if (isatty(STDIN_FILENO))
		return tcgetpgrp(STDIN_FILENO) == getpgrp();
	return false;
}

static int hold(void)
{
	int W = plan.workers;
	bool watch_stdin = stdin_watchable();
	struct pollfd *pfd = calloc((size_t)W + 2, sizeof *pfd);

	if (!pfd)
		parent_fail(errno, "calloc");
	if (opt.verbose)
		warnmsg(0, "holding (pid %d); stdin %s", (int)getpid(),
			watch_stdin ? "watched for EOF" : "not watched");
	for (;;) {
		int n = 0;

		pfd[n++] = (struct pollfd){ .fd = sigfd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = watch_stdin ? STDIN_FILENO : -1, .events = POLLIN };
		for (int w = 0; w < W; w++)
			pfd[n++] = (struct pollfd){ .fd = rep_r[w], .events = POLLIN };
		if (poll(pfd, (nfds_t)n, -1) < 0) {
			if (errno == EINTR)
				continue;
			parent_fail(errno, "poll");
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si && opt.verbose)
				warnmsg(0, "signal %u: tearing down", si.ssi_signo);
			break;
		}
		if (pfd[1].revents) {
			char buf[4096];
			ssize_t r = read(STDIN_FILENO, buf, sizeof buf);

			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
				if (opt.verbose)
					warnmsg(0, "EOF on stdin: tearing down");
				break;
			}
		}
		for (int w = 0; w < W; w++)
			if (pfd[w + 2].revents)
				worker_died(w); /* workers send nothing after phase 3 */
	}
	free(pfd);
	return 0;
}

int main(int argc, char **argv)
{
	struct report lst, held, fin;
	struct rlimit rl;
	sigset_t mask;
	double t0, t1, t2, t3;
	struct timespec settle = { 0, SETTLE_NS };

	parse_args(argc, argv);

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

	make_plan();
	if (opt.verbose)
		warnmsg(0, "plan: %d workers, %d listeners each; v4: est=%ld cw=%ld tw=%ld idle=%ld conns/listeners; "
			"v6: est=%ld cw=%ld tw=%ld idle=%ld",
			plan.workers, plan.listeners_per_worker, plan.est4, plan.cw4, plan.tw4, plan.idle4,
			plan.est6, plan.cw6, plan.tw6, plan.idle6);

	/* Termination requests are blocked and read from a signalfd.  A
	 * non-interactive shell starts background jobs with SIGINT ignored;
	 * restore the default dispositions so that nothing is discarded, and
	 * make sure children can be waited for. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
		die(errno, "sigprocmask");
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sigfd < 0)
		die(errno, "signalfd");

	setup_sysctls();

	t0 = now_sec();
	spawn_workers();
	wait_phase(1, &lst);
	t1 = now_sec();
	release_phase();
	wait_phase(2, &held);
	t2 = now_sec();
	release_phase();
	wait_phase(3, &fin);
	nanosleep(&settle, NULL);
	t3 = now_sec();
	if (opt.verbose)
		warnmsg(0, "built in %.2f s (listeners %.2f s, held connections %.2f s, time-wait + 0.2 s settle %.2f s)",
			t3 - t0, t1 - t0, t2 - t1, t3 - t2);

	if (printf("ready listen=%" PRId64 " established=%" PRId64 " close_wait=%" PRId64
		   " fin_wait2=%" PRId64 " time_wait=%" PRId64 " workers=%d\n",
		   fin.listen, fin.established, fin.close_wait, fin.fin_wait2, fin.time_wait,
		   plan.workers) < 0 || fflush(stdout) == EOF)
		parent_fail(errno, "write(stdout)");

	if (opt.hold)
		hold();
	kill_workers();
	return 0;
}
