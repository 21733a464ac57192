/*
 * Private to tcptally-collector: the sock_diag dump, the store, retention,
 * the clock, the textfile, the loop. The tally is in tally.h, --import in
 * import.h.
 */
#ifndef COLLECTOR_COLLECTOR_H
#define COLLECTOR_COLLECTOR_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "tcptally/config.h"
#include "tcptally/kernel.h"
#include "tally.h"

/* context.c: the kernel's counters, gauges and limits, read per sample. */
struct context {
	char		 proc[64];	/* "/proc/self": this network namespace */
	char		*buf;
	int		 failing[KS_NFILES + TT_NKLIMITS];	/* logged once */
};
int		 context_init(struct context *cx, const char *proc);
void		 context_free(struct context *cx);
void		 context_read(struct context *cx, struct kstat *k, struct klimits *l);
/*
 * net.ipv4.ip_local_port_range alone, read before each dump whatever
 * `context` says: it tells outbound peers from inbound. 0, or -1.
 */
int		 context_port_range(struct context *cx, int64_t *lo, int64_t *hi);

/* diag.c */
enum { DIAG_LEGACY = 1, DIAG_V2 = 2 };

struct dump_ctx {
	struct tally	*tally;
	const struct matcher *matcher;
	int		 done;		/* NLMSG_DONE seen */
	int		 intr;		/* NLM_F_DUMP_INTR seen */
	int		 err;		/* errno-style cause of failure, 0 if none */
	const char	*why;		/* what failed, for the log */
};

struct diag {
	struct mnl_socket *nl;
	uint32_t	 portid;
	uint32_t	 seq;
	int		 mode;		/* DIAG_LEGACY or DIAG_V2 */
	char		*buf;
	size_t		 buflen;
	FILE		*tap;		/* when set, every reply chunk is recorded */
	/*
	 * The socket I/O, set by diag_open to the netlink socket. A test may
	 * replace them to replay recorded replies: they see seq and portid
	 * above, which the replies must carry.
	 */
	ssize_t		(*send)(struct diag *d, const void *buf, size_t len);
	ssize_t		(*recv)(struct diag *d, void *buf, size_t len);
};

int		 diag_open(struct diag *d, int mode);
void		 diag_close(struct diag *d);
/* One sample: dump every TCP socket into t. Sets SAMPLE_* flags. */
int		 diag_sample(struct diag *d, struct tally *t, const struct matcher *m,
		     unsigned *flags);
/* Pure: parse one chunk of replies. 1 = more to come, 0 = done, -1 = error. */
int		 diag_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		     struct dump_ctx *ctx);
/* Recorded chunk files: "TTNL" magic, seq, portid, then [u32 len][bytes]... */
int		 diag_tap_header(FILE *f, uint32_t seq, uint32_t portid);

/* store.c */
struct store_src {
	char		*netns;
	int64_t		 id;
	struct klimits	 limits;
};

struct store {
	sqlite3		*db;
	char		*path;
	sqlite3_stmt	*begin, *commit, *rollback;
	sqlite3_stmt	*ins_sample, *ins_counts;
	int64_t		 host_id;
	int64_t		*grp_ids;	/* [0] = all */
	size_t		 ngroups;
	/*
	 * The message of the statement that failed a transaction: the
	 * ROLLBACK after it would replace sqlite3_errmsg() with its own.
	 */
	char		 txn_err[256];
	sqlite3_stmt	*ins_limit, *ins_kernel;
	/*
	 * The network namespaces stored to, each its host row and the newest
	 * limits stored (only changes are stored); cur's row is host_id.
	 */
	char		*host;
	struct store_src *src;
	size_t		 nsrc, cur;
	/* store_bk.c: breakdowns */
	sqlite3_stmt	*bk_get, *bk_put, *ins_bcount, *ins_load, *ins_bsample, *ins_cwage;
	sqlite3_stmt	*ins_owner;
	/* the owners found for the next sample (the caller sets them), or NULL */
	const struct owners *ow;
	uint64_t	 ow_want[2];
	int		 ow_top;
	struct bkcache	*bkc;
	const char	*(*cgname)(void *arg, uint64_t id);	/* NULL: "(id N)" */
	void		*cgarg;
};

int		 store_open(struct store *s, const char *path, const char *host,
		     char *err, size_t errlen);
int		 store_set_groups(struct store *s, const struct config *c);
/* 0 ok, -1 error, 1 a sample already exists at ts. */
/* The kernel's context of a sample (config `context: on`). */
struct kcontext {
	int64_t		 interval;	/* the collector's, for the rates' gaps */
	struct kstat	 k;
	struct klimits	 l;
};
/* kc may be NULL (context off): the sample's kernel columns stay NULL. */
int		 store_sample(struct store *s, int64_t ts, const struct tally *t,
		     const struct kcontext *kc, unsigned flags, int64_t duration_us);
int		 store_missed(struct store *s, const int64_t *ts, size_t n);
/*
 * The network namespace the next samples are of: its label ("host": the
 * collector's own), whose host row is made if need be. 0, or -1.
 */
int		 store_source(struct store *s, const char *netns);
/* A statement kept for the process's life; 0 or -1. */
int		 store_prepare(struct store *s, const char *sql, sqlite3_stmt **st);
/* store_bk.c, for store.c: the breakdown rows of a sample, in its transaction. */
int		 store_bk_prepare(struct store *s);
int		 store_bk_insert(struct store *s, int64_t ts, const struct breakdown *b);
int		 store_cw_insert(struct store *s, int64_t ts, const struct tally *t);
/* The top `top` owners of each group in want (owners.h), found by owners_scan. */
int		 store_owners_insert(struct store *s, int64_t ts, const struct owners *o,
		     const uint64_t want[2], int top);
void		 store_bk_close(struct store *s);
/* A transaction rolled back: the key ids cached may name rows that are gone. */
void		 store_bk_forget(struct store *s);
const char	*store_errmsg(struct store *s);
void		 store_close(struct store *s);

/* retain.c: retention and max_size, in short steps between samples. */
struct retain {
	sqlite3		*db;
	sqlite3_stmt	*st[23];
	int64_t		 page_size;
	int		 incremental;	/* auto_vacuum = INCREMENTAL */
	int		 capping, cap_hourly, cap_full;	/* a max_size episode */
	int64_t		 cap_to;	/* raw samples before this were dropped */
	char		 err[256];
};
int		 retain_open(struct retain *rt, sqlite3 *db);
void		 retain_close(struct retain *rt);
/* One step: 1 if more work is waiting, 0 if none, -1 on error (rt->err). */
int		 retain_step(struct retain *rt, const struct config *c, int64_t now,
		     const char *path);
int64_t		 retain_used_bytes(struct retain *rt);

/* future.c: samples stored ahead of this host's clock. */
struct future {
	int64_t		 n;		/* how many */
	int64_t		 first, last;	/* their ts */
};
int		 future_find(sqlite3 *db, int64_t now, struct future *f);
/*
 * Pure: the statements that remove every sample after `after` and sum the
 * rollups of its hour and later ones again from the raw rows kept.
 */
size_t		 future_sql(char *buf, size_t len, int64_t after);
/* Say, once, what is stored after now, with future_sql to remove it. */
void		 future_report(sqlite3 *db, const char *path, int64_t now);

/* lock.c: one writer per database, through an flock on DATABASE.lock. */
struct dblock {
	int		 fd;		/* -1: not held */
};
/*
 * 0 taken, held until dblock_release or the end of the process; 1 another
 * process holds it, its pid in *holder (0 if it has not written it yet);
 * -1 with the fix in err. Makes the database's directory if it is missing.
 */
int		 dblock_take(struct dblock *l, const char *database, long *holder,
		     char *err, size_t errlen);
/* 1 if l is the lock of database, however its path is spelt. */
int		 dblock_covers(const struct dblock *l, const char *database);
void		 dblock_release(struct dblock *l);

/* clock.c */
/* CLOCK_REALTIME in ns; offset by the file $TCPTALLY_TEST_CLOCK names (tests only). */
int64_t		 clock_real_ns(void);

/* textfile.c: the latest sample for node_exporter's textfile collector. */
/* Pure: the Prometheus text into buf (NUL-terminated); returns the length it needs. */
size_t		 textfile_format(char *buf, size_t len, const struct config *c,
		     const struct tally *t, const struct kcontext *kc, int64_t ts,
		     int64_t duration_ns);
/* Replace c->textfile atomically; a no-op without one. -1 on failure, logged once per episode. */
int		 textfile_write(const struct config *c, const struct tally *t,
		     const struct kcontext *kc, int64_t ts,
		     int64_t duration_ns);

/* daemon.c */
struct collector_opts {
	const char	*config_path;	/* NULL: built-in defaults */
	long		 samples;	/* 0 = until stopped */
	int		 once;
};
/* Takes ownership of c; returns the exit code. */
int		 collector_run(struct config *c, const struct collector_opts *o);
const char	*resolve_host(const struct config *c, char *buf, size_t len);

#endif
