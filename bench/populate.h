/*
 * tcptally-populate: private declarations shared by populate.c,
 * populate_plan.c, populate_worker.c and populate_sys.c.
 * See populate.c for the design.
 */

#ifndef POPULATE_H
#define POPULATE_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT 24
#endif

#define PROG "tcptally-populate"

#define MAX_ADDRS       16384       /* per list: ADDR+N makes many peers */
#define MAX_COUNT       100000000L  /* sanity bound on every count */
#define MAX_WORKERS     4096
#define FD_RESERVE      32          /* stdio, pipes, slack inside a worker */
#define FD_SLACK        16          /* rounding when splitting work */
#define TUPLE_CAP       20000L      /* max connections per (src, dst, dport) */
#define IO_TIMEOUT_MS   10000
#define LISTEN_BACKLOG  4096
#define SETTLE_NS       200000000L  /* let FINs/ACKs be processed */

#define EPHEMERAL_RANGE "10000 65000"

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

/* populate.c */
extern struct options opt;
extern struct plan plan;
extern int worker_id;

/* populate_plan.c */
void	make_plan(void);
void	worker_work(int, struct famwork *, struct famwork *);

/* populate_worker.c */
void	worker_main(int, int, int, pid_t) __attribute__((noreturn));

/* populate_sys.c */
void	vmsg(int, const char *, va_list) __attribute__((format(printf, 2, 0)));
void	warnmsg(int, const char *, ...) __attribute__((format(printf, 2, 3)));
void	die(int, const char *, ...) __attribute__((format(printf, 2, 3), noreturn));
void	usage_error(const char *, ...) __attribute__((format(printf, 1, 2), noreturn));
const char *addr_str(const struct sockaddr_storage *, char *, size_t);
void	set_port(struct sockaddr_storage *, int);
ssize_t	write_full(int, const void *, size_t);
ssize_t	read_full(int, void *, size_t);
double	now_sec(void);
long	parse_num(const char *, const char *, long, long);
void	parse_addrs(struct addrlist *, int, const char *, const char *);
void	raise_fd_limit(void);
void	setup_sysctls(void);

#endif /* POPULATE_H */
