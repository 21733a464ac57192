/*
 * breakdown.c: who holds the sockets (cgroups) and toward whom (peers), per
 * group x state, counted from the same dump; pure, no I/O.
 */
#ifndef COLLECTOR_BREAKDOWN_H
#define COLLECTOR_BREAKDOWN_H

#include <stddef.h>
#include <stdint.h>

#include <string.h>

#include "tcptally/tcptally.h"

enum { BK_CGROUP = 0, BK_PEER = 1, BK_NKINDS };

#define TK_KEYLEN	20

struct tk_key {
	uint8_t		 b[TK_KEYLEN];
};

/* A key's count in one stream, and how much it may be over the truth. */
struct tk_entry {
	struct tk_key	 key;
	uint32_t	 count;
	uint32_t	 err;
};

/* A key's hash, computed once per socket. */
static inline uint32_t
tk_hash(const struct tk_key *k)
{
	uint64_t a, b;
	uint32_t c;

	memcpy(&a, k->b, 8);
	memcpy(&b, k->b + 8, 8);
	memcpy(&c, k->b + 16, 4);
	a ^= b * 0x9e3779b97f4a7c15ULL ^ c * 0xc2b2ae3d27d4eb4fULL;
	a ^= a >> 33;
	a *= 0xff51afd7ed558ccdULL;
	a ^= a >> 33;
	a *= 0xc4ceb9fe1a85ec53ULL;
	a ^= a >> 33;
	return (uint32_t)a;
}

/* Keys are 20 bytes: two words and a half, not a call to memcmp. */
static inline int
tk_eq(const struct tk_key *a, const struct tk_key *b)
{
	uint64_t a0, a1, b0, b1;
	uint32_t a2, b2;

	memcpy(&a0, a->b, 8);
	memcpy(&b0, b->b, 8);
	memcpy(&a1, a->b + 8, 8);
	memcpy(&b1, b->b + 8, 8);
	memcpy(&a2, a->b + 16, 4);
	memcpy(&b2, b->b + 16, 4);
	return ((a0 ^ b0) | (a1 ^ b1) | (a2 ^ b2)) == 0;
}
enum { BK_IN = 1, BK_OUT = 2 };

/*
 * Streams of a group: one per state (1..11) and, for peers, stream 0: the
 * outbound peers in any state, for their share of the local port range.
 */
#define BK_PER_GROUP	(TT_NSTATES + 1)
#define BK_ANY		0
#define BK_K_MAX	TT_BREAKDOWN_MAX
#define CG_TEXT_MAX	256		/* a key's text, as stored */

/*
 * The keys of a sample, per kind: `cap` rows, each a key with a counter per
 * stream, so that a socket costs one lookup per kind however many groups
 * it is in. While the sample's distinct keys fit, every count is exact.
 * Beyond, Space-Saving (Metwally et al., 2005) over the rows: a new key
 * takes the row of the key with the fewest sockets (its weight), keeping
 * its counts, and that weight becomes the row's error: each count of the
 * row is over the truth by at most it, and at most sockets / cap. The
 * counts of a stream still add up to its sockets, and a key with more
 * sockets than that bound always has a row.
 */
#define BK_DICT_BYTES	(512 * 1024)	/* per kind, for the rows of counters */

struct bk_dict {
	uint32_t	 cap, n;
	uint32_t	 hmask;
	uint32_t	*slot;		/* [2 cap, pow2] row + 1; 0 = empty */
	struct tk_key	*key;		/* [cap] */
	uint32_t	*hash;		/* [cap] */
	uint64_t	*weight;	/* [cap] the row's sockets, over every stream once */
	uint64_t	*err;		/* [cap] the weight it took over: its counts' bound */
	uint32_t	*heap, *pos;	/* [cap] rows, least weight first, once heaped */
	int		 heaped;	/* the first eviction builds the heap */
	uint64_t	 evicted;	/* this sample */
	uint32_t	*cnt;		/* [cap][nstreams], state by state */
};

struct breakdown {
	uint32_t	 k[BK_NKINDS];	/* top K stored; 0 = that kind is off */
	uint16_t	 port_lo, port_hi;	/* ip_local_port_range */
	size_t		 ngroups;	/* 1 + user groups */
	size_t		 nstreams;	/* ngroups * BK_PER_GROUP */
	struct bk_dict	 dict[BK_NKINDS];
	/* the last socket's keys: the next is often of the same cgroup or peer */
	struct tk_key	 last[BK_NKINDS];
	uint32_t	 last_hash[BK_NKINDS];
	int32_t		 last_id[BK_NKINDS];	/* -2: none since the reset */
};

/* A socket's keys, computed once and counted in each group it matches. */
struct bk_sock {
	struct tk_key	 key[BK_NKINDS];
	uint32_t	*row[BK_NKINDS];	/* its counters in the dict */
	int		 out;		/* its peer is outbound */
};

int		 bk_init(struct breakdown *b, size_t ngroups, uint32_t kcgroups, uint32_t kpeers);
void		 bk_free(struct breakdown *b);
void		 bk_reset(struct breakdown *b);
/* The local port range in force; lo > hi is refused (the old range stays). */
int		 bk_set_port_range(struct breakdown *b, uint32_t lo, uint32_t hi);
uint32_t	 bk_port_range_size(const struct breakdown *b);

/*
 * family AF_INET/AF_INET6; addresses network order (4 or 16 bytes); cgroup
 * 0 = none (TIME_WAIT and request sockets carry no id).
 */
void		 bk_keys(struct breakdown *b, int family, int state, uint16_t sport,
		     uint16_t dport, const uint8_t *dst, uint64_t cgroup, struct bk_sock *k);
void		 bk_add(struct breakdown *b, size_t grp, int state, const struct bk_sock *k);
/*
 * The n largest keys of group grp x state (BK_ANY: the outbound peers in any
 * state), largest first (ties: smaller key first), into out[0..n) with their
 * error bounds (0 when exact); how many. *total: the stream's sockets, of
 * which the rest beyond out are (other).
 */
size_t		 bk_top(const struct breakdown *b, int kind, size_t grp, int state,
		     struct tk_entry *out, size_t n, uint64_t *total);

/* Keys back to what they mean. */
uint64_t	 bk_key_cgroup(const struct tk_key *k);
/* "10.0.0.5:5432", "[2001:db8::1]:443"; *dir = BK_IN or BK_OUT. */
void		 bk_key_peer(const struct tk_key *k, char *buf, size_t len, int *dir);
/* The key under which the rest of a stream beyond its top K is stored. */
const struct tk_key *bk_other_key(void);

#endif
