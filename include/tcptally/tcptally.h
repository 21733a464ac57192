/*
 * tcptally: what common/ offers both programs, by concern:
 *	tcptally.h	version, limits, the 11 states, logging, error lists, text
 *	config.h	the parsed config (config.c, cfgyaml.c) and matching (match.c)
 *	timeutil.h	durations, sizes, times on command lines and in cron logs
 *	db.h		opening databases, migrations, small query helpers
 *	progress.h	the progress line of long imports and exports
 * Each file's functions under its own comment (OpenBSD style).
 */
#ifndef TCPTALLY_H
#define TCPTALLY_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>

#define TT_VERSION_STRING "0.1.0"

#define TT_MAX_GROUPS 64		/* user groups; `all` is extra */
#define TT_NAME_MAX 64			/* group and threshold names */
#define TT_BREAKDOWN_MAX 100		/* breakdown.cgroups and .peers: top K at most */
#define TT_OWNERS_MAX 100		/* owners.top at most */
#define TT_HOST_MAX 256			/* host names are 1..255 bytes */
/*
 * Counts are 64-bit end to end; a count above this (10^12 sockets, far past
 * any kernel's tables) is damage or forgery, refused on import and on read.
 */
#define TT_COUNT_MAX 1000000000000LL

/*
 * The 11 TCP states, in the kernel's order (include/net/tcp_states.h): the
 * name as the kernel and netstat spell it, and the column that holds it in
 * the counts and hourly tables. Every list of states, in C or in SQL, is
 * made from this one.
 */
#define TT_STATES(X) \
	X(ESTABLISHED, established) \
	X(SYN_SENT, syn_sent) \
	X(SYN_RECV, syn_recv) \
	X(FIN_WAIT1, fin_wait1) \
	X(FIN_WAIT2, fin_wait2) \
	X(TIME_WAIT, time_wait) \
	X(CLOSE, close) \
	X(CLOSE_WAIT, close_wait) \
	X(LAST_ACK, last_ack) \
	X(LISTEN, listen) \
	X(CLOSING, closing)

#define TT_STATE_ENUM_(name, col)	TT_##name,
enum tt_state {
	TT_STATE_NONE = 0,
	TT_STATES(TT_STATE_ENUM_)
	TT_NSTATES_END
};
#undef TT_STATE_ENUM_
#define TT_NSTATES	(TT_NSTATES_END - 1)
/* Request bits 1..11 only: bit 13 (BOUND_INACTIVE) makes the kernel walk the bind table too. */
#define TT_STATE_MASK	(((1u << TT_NSTATES) - 1) << 1)

/* states.c */
const char	*state_name(int state);		/* 1..11, else NULL */
int		 state_from_name(const char *name);	/* -1 if unknown */
const char	*state_names_list(void);	/* "ESTABLISHED, SYN_SENT, ..." */
const char	*state_column(int state);	/* SQL column: "established" ... */
/*
 * The 11 states' SQL, in state order, joined by sep: tmpl once per state
 * with {c} replaced by its column and {n} by first + (state - 1), a
 * parameter number. "c.{c}" gives "c.established, c.syn_sent, ...";
 * "{c} = {c} + ?{n}" with first 4 gives "established = established + ?4, ...".
 * Returns the length needed; buf is NUL-terminated if len > 0.
 */
size_t		 state_sql(char *buf, size_t len, const char *sep, const char *tmpl,
		     int first);
/* The same over any list of n names: {c} is list[i], {n} is first + i. */
size_t		 sql_list(char *buf, size_t len, const char *sep, const char *tmpl, int first,
		     const char *const *list, size_t n);

/* text.c */
int		 text_printable(const char *s, size_t len);
/*
 * s for a terminal or a line-based protocol (Nagios): control characters
 * (C0, DEL, C1), bytes that are not UTF-8, and the characters in extra
 * (NULL: none) as \xNN, so that a name can never end a line, move the
 * cursor or forge a field. Returns the length needed; dst is NUL-terminated
 * if len > 0.
 */
size_t		 text_escape(char *dst, size_t len, const char *s, const char *extra);
/*
 * s as a Prometheus/OpenMetrics label value: backslash, double quote and
 * newline escaped as the formats say; any other control character, or a
 * byte that is not UTF-8, becomes U+FFFD (the formats have no escape for
 * them). Returns the length needed; dst is NUL-terminated if len > 0.
 */
size_t		 text_label(char *dst, size_t len, const char *s);

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

/* errlist.c: every error a parser found, so that one run reports them all. */
struct errlist {
	char		**msg;			/* "FILE:LINE:COL: message" */
	size_t		 n;
};
void		 errlist_add(struct errlist *e, const char *fmt, ...)
		     __attribute__((format(printf, 2, 3)));
void		 errlist_free(struct errlist *e);

#endif
