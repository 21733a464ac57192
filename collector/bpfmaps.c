/*
 * The BPF backend's tables for a config. Ports: the matcher's own class
 * tables, widened to 16 bits. Addresses: each side's CIDRs as one trie of
 * IPv6 prefixes (IPv4 ones v4-mapped), each prefix valued with the groups
 * of every listed prefix that encloses it, itself included, so that the
 * kernel's longest-prefix match answers "which groups' lists hold this
 * address" in one lookup.
 */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "bpfmaps.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

static uint16_t
class_at(const void *cls, int wide, uint32_t p)
{
	return wide ? ((const uint16_t *)cls)[p] : ((const uint8_t *)cls)[p];
}

static int
ports(struct bpf_tables *t, int side, const void *cls, int wide, const uint64_t *mask,
    const char **why)
{
	uint32_t p, maxc = 0;

	for (p = 0; p < 65536; p++) {
		t->pcls[side][p] = class_at(cls, wide, p);
		if (t->pcls[side][p] > maxc)
			maxc = t->pcls[side][p];
	}
	if (maxc >= TTB_CLASSES) {
		*why = "the groups' port lists make more than 4096 distinct port classes";
		return -1;
	}
	memcpy(t->cmask[side], mask, (maxc + 1) * sizeof(*mask));
	return 0;
}

/* A CIDR as a trie key: IPv6, an IPv4 one v4-mapped. */
static void
cidr_key(const struct cidr *c, struct ttb_key *k)
{
	memset(k, 0, sizeof(*k));
	if (c->family == AF_INET) {
		memcpy(k->addr, v4mapped, 12);
		memcpy(k->addr + 12, c->addr, 4);
		k->prefixlen = 96u + c->prefix;
	} else {
		memcpy(k->addr, c->addr, 16);
		k->prefixlen = c->prefix;
	}
}

/* Does prefix a (a->prefixlen bits) hold the address of b? */
static int
encloses(const struct ttb_key *a, const struct ttb_key *b)
{
	uint32_t bits = a->prefixlen, i;

	if (bits > b->prefixlen)
		return 0;
	for (i = 0; i < bits / 8; i++)
		if (a->addr[i] != b->addr[i])
			return 0;
	if (bits % 8 != 0 &&
	    ((a->addr[i] ^ b->addr[i]) & (uint8_t)(0xff00u >> (bits % 8))) != 0)
		return 0;
	return 1;
}

/* The trie of one side: every group's list, merged; then each valued with its enclosers. */
static int
addrs(struct bpf_tables *t, int side, const struct matcher *m, const char **why)
{
	struct ttb_key k, *key = NULL;
	struct ttb_val *own = NULL, *val = NULL;
	size_t g, i, j, n = 0, cap = 0;
	const struct cidr *list;
	size_t nlist;
	int v4;

	for (g = 0; g < m->ngroups; g++)
		cap += side ? m->groups[g].nremote_addrs : m->groups[g].nlocal_addrs;
	if (cap > TTB_CIDRS) {
		*why = "the groups list more than 4096 address prefixes on one side";
		return -1;
	}
	if (cap == 0)
		return 0;
	key = calloc(cap, sizeof(*key));
	own = calloc(cap, sizeof(*own));
	val = calloc(cap, sizeof(*val));
	if (key == NULL || own == NULL || val == NULL) {
		*why = "out of memory";
		free(key);
		free(own);
		free(val);
		return -1;
	}
	for (g = 0; g < m->ngroups; g++) {
		list = side ? m->groups[g].remote_addrs : m->groups[g].local_addrs;
		nlist = side ? m->groups[g].nremote_addrs : m->groups[g].nlocal_addrs;
		for (i = 0; i < nlist; i++) {
			cidr_key(&list[i], &k);
			v4 = list[i].family == AF_INET;
			for (j = 0; j < n && (key[j].prefixlen != k.prefixlen ||
			    memcmp(key[j].addr, k.addr, 16) != 0); j++)
				;
			if (j == n)
				key[n++] = k;
			/* an IPv4 list entry holds IPv4 sockets and v4-mapped IPv6 ones */
			if (v4)
				own[j].mask[0] |= 1ULL << g;
			own[j].mask[1] |= 1ULL << g;
		}
	}
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			if (encloses(&key[j], &key[i])) {
				val[i].mask[0] |= own[j].mask[0];
				val[i].mask[1] |= own[j].mask[1];
			}
	free(own);
	t->key[side] = key;
	t->val[side] = val;
	t->n[side] = n;
	return 0;
}

int
bpftab_build(struct bpf_tables *t, const struct matcher *m, const char **why)
{
	memset(t, 0, sizeof(*t));
	if (m->ngroups == 0)
		return 0;
	if (m->ngroups > TTB_GROUPS) {
		*why = "more groups than the program counts";
		return -1;
	}
	t->fam[0] = m->fam4;
	t->fam[1] = m->fam6;
	t->has_addr[0] = m->has_laddr;
	t->has_addr[1] = m->has_raddr;
	if (ports(t, 0, m->lcls, m->lwide, m->lmask, why) == -1 ||
	    ports(t, 1, m->rcls, m->rwide, m->rmask, why) == -1 ||
	    addrs(t, 0, m, why) == -1 || addrs(t, 1, m, why) == -1) {
		bpftab_free(t);
		return -1;
	}
	return 0;
}

void
bpftab_free(struct bpf_tables *t)
{
	int side;

	for (side = 0; side < 2; side++) {
		free(t->key[side]);
		free(t->val[side]);
		t->key[side] = NULL;
		t->val[side] = NULL;
		t->n[side] = 0;
	}
}

/* The trie lookup, by hand: the value of the longest prefix holding k, or NULL. */
static const struct ttb_val *
lookup(const struct bpf_tables *t, int side, const struct ttb_key *k)
{
	const struct ttb_val *best = NULL;
	uint32_t bestlen = 0;
	size_t i;

	for (i = 0; i < t->n[side]; i++)
		if (encloses(&t->key[side][i], k) &&
		    (best == NULL || t->key[side][i].prefixlen > bestlen)) {
			best = &t->val[side][i];
			bestlen = t->key[side][i].prefixlen;
		}
	return best;
}

static uint64_t
side_mask(const struct bpf_tables *t, int side, int v6, const uint8_t *a)
{
	struct ttb_key k;
	const struct ttb_val *v;
	uint64_t mask = ~t->has_addr[side];

	memset(&k, 0, sizeof(k));
	k.prefixlen = 128;
	if (v6) {
		memcpy(k.addr, a, 16);
	} else {
		memcpy(k.addr, v4mapped, 12);
		memcpy(k.addr + 12, a, 4);
	}
	if ((v = lookup(t, side, &k)) != NULL)
		mask |= v->mask[v6];
	return mask;
}

uint64_t
bpftab_match(const struct bpf_tables *t, const struct tt_sock *s)
{
	int v6 = s->family == AF_INET6;
	uint64_t mask;

	mask = t->cmask[0][t->pcls[0][s->sport] & (TTB_CLASSES - 1)] &
	    t->cmask[1][t->pcls[1][s->dport] & (TTB_CLASSES - 1)] & t->fam[v6];
	if (mask & t->has_addr[0])
		mask &= side_mask(t, 0, v6, s->src);
	if (mask & t->has_addr[1])
		mask &= side_mask(t, 1, v6, s->dst);
	return mask;
}
