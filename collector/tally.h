/* tally.c: pure counting of sockets into group x state; no I/O. */
#ifndef COLLECTOR_TALLY_H
#define COLLECTOR_TALLY_H

#include <stddef.h>
#include <stdint.h>

#include "tcptally/config.h"
#include "breakdown.h"
#include "cwage.h"
#include "owners.h"

struct tt_sock {
	uint8_t		 family;	/* AF_INET / AF_INET6 */
	uint8_t		 state;		/* 1..11 */
	uint16_t	 sport, dport;	/* host order */
	const uint8_t	*src, *dst;	/* 4 or 16 bytes, network order */
	uint32_t	 rqueue, wqueue;	/* LISTEN: accept queue and backlog */
	uint64_t	 cgroup;	/* cgroup v2 id; 0 = none */
	uint64_t	 cookie;	/* the socket's, for the ages of CLOSE_WAIT */
	uint32_t	 inode, uid;	/* for the owners of CLOSE_WAIT */
};

/*
 * A group's listeners at a sample. A listener holds backlog + 1 connections
 * before it refuses the next (sk_acceptq_is_full: queue > backlog), so its
 * fill is queue / (backlog + 1): 1.0 is full.
 */
struct listen_tally {
	uint64_t	 listeners, queued, backlog, full;
	double		 max_fill;
};

/*
 * A side's addresses seen lately, with the groups whose address conditions
 * on that side they meet: most sockets share a few local addresses and
 * often their peers, so the CIDR lists are walked once per address, not
 * once per socket and group.
 */
#define MATCH_ACACHE	256		/* entries per side, direct-mapped */

struct acache_ent {
	uint8_t		 family;	/* 0: empty */
	uint8_t		 addr[16];
	uint64_t	 mask;
};

/*
 * Port conditions as two small tables per side: port -> class, class ->
 * the mask of groups it matches. There are few distinct masks, so the
 * 64k-entry table is 1 byte a port (2 beyond 256 classes), not 8: 64 KiB
 * a side stays in the cache where 512 KiB did not, and those loads were
 * the counting's largest cost.
 */
struct matcher {
	size_t		 ngroups;	/* user groups */
	void		*lcls, *rcls;	/* [65536] the class of a local / remote port */
	int		 lwide, rwide;	/* classes are uint16_t, not uint8_t */
	uint64_t	*lmask, *rmask;	/* [classes] the groups a class matches */
	uint64_t	 fam4, fam6;	/* groups accepting each family */
	uint64_t	 has_addr;	/* groups with address conditions */
	uint64_t	 has_laddr, has_raddr;	/* ... on the local, the remote side */
	struct acache_ent *acache;	/* [2][MATCH_ACACHE]: local, remote; mutable */
	const struct group *groups;
};

struct tally {
	size_t		 ngroups;	/* 1 + user groups */
	uint64_t	(*count)[TT_NSTATES + 1]; /* [group][state], index 0 = `all` */
	struct listen_tally *listen;	/* [group] */
	uint64_t	 total;		/* sockets seen */
	uint64_t	 unknown_state;	/* state outside 1..11 */
	struct breakdown *bk;		/* NULL: no breakdowns */
	struct cwage	*cw;		/* NULL: no ages of CLOSE_WAIT */
	int64_t		*cw_since;	/* [group] the oldest tracked; INT64_MAX none */
	uint64_t	*cw_untracked;	/* [group] CLOSE_WAIT sockets not tracked */
	struct owners	*ow;		/* NULL: no owners noted */
};

int		 matcher_init(struct matcher *m, const struct config *c);
void		 matcher_free(struct matcher *m);
int		 tally_init(struct tally *t, size_t ngroups);
void		 tally_reset(struct tally *t);
void		 tally_free(struct tally *t);
void		 tally_add(struct tally *t, const struct matcher *m, const struct tt_sock *s);
/* The user groups (bit g: group g) whose port and family conditions s meets. */
uint64_t	 matcher_ports(const struct matcher *m, const struct tt_sock *s);
/* The user groups whose address conditions s meets (with none: all of them). */
uint64_t	 matcher_addrs(const struct matcher *m, const struct tt_sock *s);
/* A new sample at now: the ages of CLOSE_WAIT count from it (when t->cw). */
void		 tally_begin(struct tally *t, int64_t now);
/* A listener's fill: queue / (backlog + 1). */
double		 listen_fill(uint32_t rqueue, uint32_t wqueue);

#endif
