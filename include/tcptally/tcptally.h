/*
 * tcptally: the internals shared by tcptally-collector and tcptally-report.
 * One header, each file's functions under its own comment (OpenBSD style).
 */
#ifndef TCPTALLY_H
#define TCPTALLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define TT_VERSION_STRING "0.1.0"

/* Kernel TCP states, numbered as in include/net/tcp_states.h. */
enum tt_state {
	TT_ESTABLISHED = 1,
	TT_SYN_SENT,
	TT_SYN_RECV,
	TT_FIN_WAIT1,
	TT_FIN_WAIT2,
	TT_TIME_WAIT,
	TT_CLOSE,
	TT_CLOSE_WAIT,
	TT_LAST_ACK,
	TT_LISTEN,
	TT_CLOSING,
};
#define TT_NSTATES 11
/* Request bits 1..11 only: bit 13 (BOUND_INACTIVE) makes the kernel walk the bind table too. */
#define TT_STATE_MASK 0xFFEu

#define TT_MAX_GROUPS 64		/* user groups; `all` is extra */
#define TT_NAME_MAX 64			/* group, threshold and host names */

/* states.c */
const char	*state_name(int state);		/* 1..11, else NULL */
int		 state_from_name(const char *name);	/* -1 if unknown */
const char	*state_names_list(void);	/* "ESTABLISHED, SYN_SENT, ..." */
const char	*state_column(int state);	/* SQL column: "established" ... */

/* duration.c: "10s", "5m", "2h", "14d", and bare "0". */
int		 duration_parse(const char *s, int64_t *secs, const char **why);
int		 rate_parse(const char *s, double *per_sec, const char **why);
void		 duration_format(int64_t secs, char *buf, size_t len);
/* "512M", "2G", bare 0 (no cap); binary units, at least 1M. */
int		 size_parse(const char *s, int64_t *bytes, const char **why);
void		 size_format(int64_t bytes, char *buf, size_t len);

/* text.c */
int		 text_printable(const char *s, size_t len);

/* progress.c: a \r-updated line on stderr for long imports and exports, on a terminal only. */
struct progress {
	int		 on;		/* stderr is a terminal */
	const char	*what;
	int64_t		 start_ns, next_ns;	/* monotonic */
	int64_t		 total;		/* bytes to read; 0 = unknown */
	uint64_t	 last_rows;
	size_t		 width;		/* of the longest line shown */
};
/* Pure: "import: 12.3k rows, 2.5M rows/s, 45% of 120.0MB" (the percent if total > 0). */
size_t		 progress_format(char *buf, size_t len, const char *what, uint64_t rows,
		     double secs, int64_t done, int64_t total);
/* size_fd: a file whose size is the total (if a regular file), or -1. */
void		 progress_start(struct progress *p, const char *what, int size_fd);
/* Cheap to call per row: looks at the clock every 4096 rows. */
void		 progress_update(struct progress *p, uint64_t rows, int64_t done);
void		 progress_end(struct progress *p);	/* erase the line */

/* log.c */
enum { LOG_LVL_QUIET = 0, LOG_LVL_INFO = 1, LOG_LVL_DEBUG = 2 };
void		 log_init(const char *progname, int level);
int		 log_level(void);
void		 log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void		 log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void		 log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void		 log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void		 fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void		 fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* match.c: pure port and address matching. */
struct cidr {
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 prefix;
	uint8_t		 addr[16];	/* network order; v4 uses the first 4 bytes */
};
struct portrange {
	uint16_t	 lo, hi;
};
int		 cidr_parse(const char *s, struct cidr *out, const char **why);
/* addr is 4 (AF_INET) or 16 (AF_INET6) bytes, network order. v4-mapped v6 matches v4 CIDRs. */
int		 cidr_match(const struct cidr *c, int family, const uint8_t *addr);
int		 cidr_list_match(const struct cidr *c, size_t n, int family, const uint8_t *addr);
/* "80", 80, "8000-8099": returns 0 and fills r, or -1 with *why. */
int		 portrange_parse(const char *s, struct portrange *r, const char **why);

/* config.c */
enum { FAM_ANY = 0, FAM_IPV4 = 4, FAM_IPV6 = 6 };
enum { SEV_WARNING = 1, SEV_CRITICAL = 2 };

struct group {
	char		 name[TT_NAME_MAX];
	int		 family;		/* FAM_* */
	struct portrange *local_ports;	/* NULL/0 = no condition */
	size_t		 nlocal_ports;
	struct portrange *remote_ports;
	size_t		 nremote_ports;
	struct cidr	*local_addrs;
	size_t		 nlocal_addrs;
	struct cidr	*remote_addrs;
	size_t		 nremote_addrs;
};

struct threshold {
	char		 name[TT_NAME_MAX];
	char		 group[TT_NAME_MAX];	/* default "all" */
	int		 state;			/* enum tt_state */
	int		 has_above, has_below, has_growth;
	int64_t		 above, below;
	double		 growth;		/* per second */
	int64_t		 window;		/* seconds, for growth */
	int64_t		 for_secs;		/* seconds, for above/below; 0 = latest */
	int		 severity;		/* SEV_* */
	int		 line;			/* where it was defined */
	int64_t		 max_gap;		/* set by the report: a longer gap between
						   samples ends a breach (0 = never) */
};

struct config {
	char		*path;			/* NULL for built-in defaults */
	char		*database;
	int64_t		 interval;		/* seconds, 1..3600 */
	char		*host;			/* "" = gethostname() */
	int64_t		 retention_raw;		/* seconds, 0 = forever */
	int64_t		 retention_hourly;
	int64_t		 max_size;		/* bytes, 0 = no cap */
	char		*textfile;		/* node_exporter textfile; NULL = off */
	struct group	*groups;		/* user groups, `all` not included */
	size_t		 ngroups;
	struct threshold *thresholds;
	size_t		 nthresholds;
};

struct errlist {
	char		**msg;			/* "FILE:LINE:COL: message" */
	size_t		 n;
};
void		 errlist_add(struct errlist *e, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
void		 errlist_free(struct errlist *e);

struct config	*config_default(void);
/* NULL on error, with every problem in errs. */
struct config	*config_load(const char *path, struct errlist *errs);
/* -c, else $TCPTALLY_CONFIG, else /etc/tcptally/tcptally.yaml if it exists, else NULL (defaults). */
const char	*config_locate(const char *opt);
void		 config_free(struct config *c);
int		 config_group_index(const struct config *c, const char *name); /* 0 = all, 1.. user, -1 */

/* tally.c: pure counting of sockets into group x state. */
struct tt_sock {
	uint8_t		 family;	/* AF_INET / AF_INET6 */
	uint8_t		 state;		/* 1..11 */
	uint16_t	 sport, dport;	/* host order */
	const uint8_t	*src, *dst;	/* 4 or 16 bytes, network order */
};

struct matcher {
	size_t		 ngroups;	/* user groups */
	uint64_t	*lport;		/* [65536] bit g set: local port matches group g */
	uint64_t	*rport;		/* [65536] */
	uint64_t	 fam4, fam6;	/* groups accepting each family */
	uint64_t	 has_addr;	/* groups with address conditions */
	const struct group *groups;
};

struct tally {
	size_t		 ngroups;	/* 1 + user groups */
	uint32_t	(*count)[TT_NSTATES + 1]; /* [group][state], index 0 = `all` */
	uint64_t	 total;		/* sockets seen */
	uint64_t	 unknown_state;	/* state outside 1..11 */
};

int		 matcher_init(struct matcher *m, const struct config *c);
void		 matcher_free(struct matcher *m);
int		 tally_init(struct tally *t, size_t ngroups);
void		 tally_reset(struct tally *t);
void		 tally_free(struct tally *t);
void		 tally_add(struct tally *t, const struct matcher *m, const struct tt_sock *s);

#endif
