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

#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "populate.h"

struct options opt;
struct plan plan;
int worker_id = -1;

/* ---------------------------------------------------------------------- */
/* argument parsing */

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
"                      robin (default 127.0.0.1); ADDR+N: N addresses from ADDR\n"
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

/* Defaults; the address lists are parsed like the options that replace them. */
static void set_defaults(void)
{
	opt.v6pct = 20;
	opt.port_base = 8000;
	opt.idle_base = 20000;
	opt.per_worker = 18000;
	parse_addrs(&opt.src4, AF_INET, "src4", "127.0.0.1");
	parse_addrs(&opt.dst4, AF_INET, "dst4", "127.0.0.1");
	parse_addrs(&opt.src6, AF_INET6, "src6", "::1");
	parse_addrs(&opt.dst6, AF_INET6, "dst6", "::1");
}

static void parse_opt(int c)
{
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

	set_defaults();
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1)
		parse_opt(c);
	if (optind < argc)
		usage_error("unexpected argument '%s'", argv[optind]);
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

/* In the child of fork(): drop the parent's fds and signal handling. */
static void __attribute__((noreturn)) start_worker(int w, const int rp[2], const int cp[2],
						   pid_t parent)
{
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
	worker_main(w, rp[1], cp[0], parent);
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
		if (pid == 0)
			start_worker(w, rp, cp, self);
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


/*
 * Termination requests are blocked and read from a signalfd.  A
 * non-interactive shell starts background jobs with SIGINT ignored;
 * restore the default dispositions so that nothing is discarded, and
 * make sure children can be waited for.
 */
static void setup_signals(void)
{
	sigset_t mask;

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
}

static void print_ready(const struct report *fin)
{
	if (printf("ready listen=%" PRId64 " established=%" PRId64 " close_wait=%" PRId64
		   " fin_wait2=%" PRId64 " time_wait=%" PRId64 " workers=%d\n",
		   fin->listen, fin->established, fin->close_wait, fin->fin_wait2, fin->time_wait,
		   plan.workers) < 0 || fflush(stdout) == EOF)
		parent_fail(errno, "write(stdout)");
}

int main(int argc, char **argv)
{
	struct report lst, held, fin;
	double t0, t1, t2, t3;
	struct timespec settle = { 0, SETTLE_NS };

	parse_args(argc, argv);
	raise_fd_limit();
	make_plan();
	if (opt.verbose)
		warnmsg(0, "plan: %d workers, %d listeners each; v4: est=%ld cw=%ld tw=%ld idle=%ld conns/listeners; "
			"v6: est=%ld cw=%ld tw=%ld idle=%ld",
			plan.workers, plan.listeners_per_worker, plan.est4, plan.cw4, plan.tw4, plan.idle4,
			plan.est6, plan.cw6, plan.tw6, plan.idle6);
	setup_signals();
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

	print_ready(&fin);
	if (opt.hold)
		hold();
	kill_workers();
	return 0;
}
