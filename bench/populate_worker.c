/*
 * tcptally-populate: a worker process and the socket choreography that
 * builds its share of the population (see the design notes in populate.c).
 */

#include <sys/prctl.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "populate.h"

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


/* Phase 1: the worker's own listeners, then its slice of the idle ones. */
static void make_listeners(const struct famwork *f4, const struct famwork *f6, int port,
			   int *lfd4, int *lfd6, struct report *cnt)
{
	long i;

	if (plan.use4)
		for (int d = 0; d < opt.dst4.n; d++) {
			lfd4[d] = make_listener(&opt.dst4.a[d], opt.dst4.len, port);
			cnt->listen++;
		}
	if (plan.use6)
		for (int d = 0; d < opt.dst6.n; d++) {
			lfd6[d] = make_listener(&opt.dst6.a[d], opt.dst6.len, port);
			cnt->listen++;
		}
	for (i = 0; i < f4->idle; i++) {
		make_listener(&opt.dst4.a[0], opt.dst4.len, (int)(f4->idle_port + i));
		cnt->listen++;
	}
	for (i = 0; i < f6->idle; i++) {
		make_listener(&opt.dst6.a[0], opt.dst6.len, (int)(f6->idle_port + i));
		cnt->listen++;
	}
}

/* Phase 2: ESTABLISHED, then CLOSE_WAIT/FIN_WAIT2 connections, fds kept. */
static void build_held(struct famctx *c4, struct famctx *c6, const struct famwork *f4,
		       const struct famwork *f6, struct report *cnt)
{
	long i;

	for (i = 0; i < f4->est; i++)
		build_conn(c4, K_EST);
	for (i = 0; i < f6->est; i++)
		build_conn(c6, K_EST);
	cnt->established = 2 * (f4->est + f6->est);
	for (i = 0; i < f4->cw; i++)
		build_conn(c4, K_CW);
	for (i = 0; i < f6->cw; i++)
		build_conn(c6, K_CW);
	cnt->close_wait = cnt->fin_wait2 = f4->cw + f6->cw;
}

/* Phase 3: TIME_WAIT connections, last. */
static void build_time_wait(struct famctx *c4, struct famctx *c6, const struct famwork *f4,
			    const struct famwork *f6, struct report *cnt)
{
	long i;

	for (i = 0; i < f4->tw; i++)
		build_conn(c4, K_TW);
	for (i = 0; i < f6->tw; i++)
		build_conn(c6, K_TW);
	cnt->time_wait = f4->tw + f6->tw;
}

/* Hold until the parent closes the control pipe or kills us. */
static void __attribute__((noreturn)) hold_sockets(int ctl)
{
	for (;;) {
		char b;
		ssize_t r = read(ctl, &b, 1);

		if (r == 0 || (r < 0 && errno != EINTR))
			_exit(0);
	}
}

void worker_main(int w, int rep, int ctl, pid_t parent)
{
	struct famwork f4, f6;
	struct report cnt;
	int lfd4[MAX_ADDRS], lfd6[MAX_ADDRS];
	struct famctx c4, c6;
	int port = (int)opt.port_base + w;

	worker_id = w;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		die(errno, "prctl(PR_SET_PDEATHSIG)");
	if (getppid() != parent)
		_exit(1);

	memset(&cnt, 0, sizeof cnt);
	worker_work(w, &f4, &f6);

	make_listeners(&f4, &f6, port, lfd4, lfd6, &cnt);
	send_report(rep, 1, &cnt);
	wait_go(ctl);

	c4 = (struct famctx){ &opt.src4, &opt.dst4, lfd4, 0, port };
	c6 = (struct famctx){ &opt.src6, &opt.dst6, lfd6, 0, port };
	build_held(&c4, &c6, &f4, &f6, &cnt);
	send_report(rep, 2, &cnt);
	wait_go(ctl);

	build_time_wait(&c4, &c6, &f4, &f6, &cnt);
	send_report(rep, 3, &cnt);
	hold_sockets(ctl);
}
