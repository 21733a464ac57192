/* Internals of tcptally-collector: the sock_diag dump, the store, the loop. */
#ifndef TCPTALLY_COLLECTOR_H
#define TCPTALLY_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "tcptally/tcptally.h"

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
struct store {
	sqlite3		*db;
	char		*path;
	sqlite3_stmt	*begin, *commit, *rollback;
	sqlite3_stmt	*ins_sample, *ins_counts;
	int64_t		 host_id;
	int64_t		*grp_ids;	/* [0] = all */
	size_t		 ngroups;
};

int		 store_open(struct store *s, const char *path, const char *host,
		     char *err, size_t errlen);
int		 store_set_groups(struct store *s, const struct config *c);
/* 0 ok, -1 error, 1 a sample already exists at ts. */
int		 store_sample(struct store *s, int64_t ts, const struct tally *t,
		     unsigned flags, int64_t duration_us);
int		 store_missed(struct store *s, const int64_t *ts, size_t n);
int64_t		 store_last_ts(struct store *s);
const char	*store_errmsg(struct store *s);
void		 store_close(struct store *s);

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
