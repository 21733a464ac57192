/*
 * Breakdowns: the keys of a socket, and their counting per group x state.
 *
 * Key layouts (TK_KEYLEN bytes, the rest zero):
 *   cgroup  the id, 8 bytes host order; 0 = no id: "(kernel)"
 *   peer    address (16 bytes: IPv4 in the first 4), port (network order),
 *           family (4 or 6), direction (BK_IN or BK_OUT)
 * A peer is outbound when our local port is in ip_local_port_range: we
 * connected to it, and it is keyed by its address and port. Otherwise it
 * is a client of one of our services, keyed by its address and our port.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breakdown.h"

static const struct tk_key other_key = { {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };

const struct tk_key *
bk_other_key(void)
{
	return &other_key;
}

static int
dict_init(struct bk_dict *d, size_t nstreams)
{
	size_t cap = BK_DICT_BYTES / (nstreams * sizeof(*d->cnt)), hsize = 4;

	if (cap < 16)
		cap = 16;
	while (hsize < 2 * cap)
		hsize <<= 1;
	d->cap = (uint32_t)cap;
	d->hmask = (uint32_t)hsize - 1;
	d->slot = calloc(hsize, sizeof(*d->slot));
	d->key = calloc(cap, sizeof(*d->key));
	d->hash = calloc(cap, sizeof(*d->hash));
	d->weight = calloc(cap, sizeof(*d->weight));
	d->err = calloc(cap, sizeof(*d->err));
	d->heap = calloc(cap, sizeof(*d->heap));
	d->pos = calloc(cap, sizeof(*d->pos));
	d->cnt = calloc(cap * nstreams, sizeof(*d->cnt));	/* touched as keys come */
	return d->slot && d->key && d->hash && d->weight && d->err && d->heap && d->pos &&
	    d->cnt ? 0 : -1;
}

static void
dict_free(struct bk_dict *d)
{
	free(d->slot);
	free(d->key);
	free(d->hash);
	free(d->weight);
	free(d->err);
	free(d->heap);
	free(d->pos);
	free(d->cnt);
	memset(d, 0, sizeof(*d));
}

static void
heap_swap(struct bk_dict *d, uint32_t i, uint32_t j)
{
	uint32_t a = d->heap[i], b = d->heap[j];

	d->heap[i] = b;
	d->heap[j] = a;
	d->pos[b] = i;
	d->pos[a] = j;
}

/* A row's weight grew: move it toward the leaves. */
static void
sift_down(struct bk_dict *d, uint32_t i)
{
	uint32_t l, r, least;

	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		least = i;
		if (l < d->n && d->weight[d->heap[l]] < d->weight[d->heap[least]])
			least = l;
		if (r < d->n && d->weight[d->heap[r]] < d->weight[d->heap[least]])
			least = r;
		if (least == i)
			return;
		heap_swap(d, i, least);
		i = least;
	}
}

/* The rows as a min-heap by weight: built at the first eviction of a sample. */
static void
heapify(struct bk_dict *d)
{
	uint32_t i;

	for (i = 0; i < d->n; i++)
		d->heap[i] = d->pos[i] = i;
	for (i = d->n / 2; i-- > 0;)
		sift_down(d, i);
	d->heaped = 1;
}

/* Where k is, or the empty slot it would take. */
static uint32_t
slot_of(const struct bk_dict *d, const struct tk_key *k, uint32_t h, int *found)
{
	uint32_t i, x;

	for (i = h & d->hmask; (x = d->slot[i]) != 0; i = (i + 1) & d->hmask)
		if (d->hash[x - 1] == h && tk_eq(&d->key[x - 1], k)) {
			*found = 1;
			return i;
		}
	*found = 0;
	return i;
}

/* Empty slot i, shifting back the rows after it that probed past it. */
static void
slot_delete(struct bk_dict *d, uint32_t i)
{
	uint32_t j = i, home;

	for (;;) {
		j = (j + 1) & d->hmask;
		if (d->slot[j] == 0)
			break;
		home = d->hash[d->slot[j] - 1] & d->hmask;
		if (((j - home) & d->hmask) >= ((j - i) & d->hmask)) {
			d->slot[i] = d->slot[j];
			i = j;
		}
	}
	d->slot[i] = 0;
}

/* One more socket of row x. */
static inline void
weigh(struct bk_dict *d, uint32_t x)
{
	d->weight[x]++;
	if (d->heaped)
		sift_down(d, d->pos[x]);
}

/* The row of k, for one more socket: its own, a new one, or the lightest's. */
static uint32_t
dict_row(struct bk_dict *d, const struct tk_key *k, uint32_t h)
{
	uint32_t i, x;
	int found;

	i = slot_of(d, k, h, &found);
	if (found) {
		x = d->slot[i] - 1;
		weigh(d, x);
		return x;
	}
	if (d->n < d->cap) {
		x = d->n++;
		d->weight[x] = 1;
		d->err[x] = 0;
	} else {
		if (!d->heaped)
			heapify(d);
		x = d->heap[0];
		slot_delete(d, slot_of(d, &d->key[x], d->hash[x], &found));
		i = slot_of(d, k, h, &found);
		d->err[x] = d->weight[x];	/* its counts stay: each is over by at most this */
		weigh(d, x);
		d->evicted++;
	}
	d->key[x] = *k;
	d->hash[x] = h;
	d->slot[i] = x + 1;
	return x;
}

int
bk_init(struct breakdown *b, size_t ngroups, uint32_t kcgroups, uint32_t kpeers)
{
	int i;

	memset(b, 0, sizeof(*b));
	b->k[BK_CGROUP] = kcgroups;
	b->k[BK_PEER] = kpeers;
	b->ngroups = ngroups;
	b->nstreams = ngroups * BK_PER_GROUP;
	b->port_lo = 32768;	/* the kernel's default */
	b->port_hi = 60999;
	for (i = 0; i < BK_NKINDS; i++) {
		b->last_id[i] = -2;
		if (b->k[i] > BK_K_MAX)
			return -1;
		if (b->k[i] > 0 && dict_init(&b->dict[i], b->nstreams) == -1) {
			bk_free(b);
			return -1;
		}
	}
	return 0;
}

void
bk_free(struct breakdown *b)
{
	int i;

	for (i = 0; i < BK_NKINDS; i++)
		dict_free(&b->dict[i]);
	memset(b, 0, sizeof(*b));
}

void
bk_reset(struct breakdown *b)
{
	struct bk_dict *d;
	int i;

	for (i = 0; i < BK_NKINDS; i++) {
		if (b->k[i] == 0)
			continue;
		d = &b->dict[i];
		if (d->n > 0) {
			memset(d->slot, 0, ((size_t)d->hmask + 1) * sizeof(*d->slot));
			memset(d->cnt, 0, (size_t)d->n * b->nstreams * sizeof(*d->cnt));
			d->n = 0;
		}
		d->heaped = 0;
		d->evicted = 0;
		b->last_id[i] = -2;
	}
}

int
bk_set_port_range(struct breakdown *b, uint32_t lo, uint32_t hi)
{
	if (lo > hi || hi > 65535)
		return -1;
	b->port_lo = (uint16_t)lo;
	b->port_hi = (uint16_t)hi;
	return 0;
}

uint32_t
bk_port_range_size(const struct breakdown *b)
{
	return (uint32_t)b->port_hi - b->port_lo + 1;
}

void
bk_keys(struct breakdown *b, int family, int state, uint16_t sport, uint16_t dport,
    const uint8_t *dst, uint64_t cgroup, struct bk_sock *k)
{
	uint8_t *p = k->key[BK_PEER].b;
	uint64_t w0;
	uint32_t w1;
	uint16_t port;
	int i;

	memset(&k->key, 0, sizeof(k->key));
	memcpy(k->key[BK_CGROUP].b, &cgroup, sizeof(cgroup));
	if (family == AF_INET6)
		memcpy(&w0, dst, 8), memcpy(&w1, dst + 8, 4);
	if (family == AF_INET6 && (w0 != 0 || w1 != htonl(0xffff))) {
		memcpy(p, dst, 16);
		p[18] = 6;
	} else {
		memcpy(p, family == AF_INET6 ? dst + 12 : dst, 4);
		p[18] = 4;
	}
	/* a listener is never outbound, even on a port inside the range */
	k->out = state != TT_LISTEN && sport >= b->port_lo && sport <= b->port_hi;
	port = htons(k->out ? dport : sport);
	memcpy(p + 16, &port, 2);
	p[19] = k->out ? BK_OUT : BK_IN;
	for (i = 0; i < BK_NKINDS; i++) {
		if (b->k[i] == 0)
			continue;
		if (b->last_id[i] >= 0 && tk_eq(&b->last[i], &k->key[i]))
			weigh(&b->dict[i], (uint32_t)b->last_id[i]);	/* as the one before */
		else {
			b->last[i] = k->key[i];
			b->last_id[i] = (int32_t)dict_row(&b->dict[i], &k->key[i],
			    tk_hash(&k->key[i]));
		}
		k->row[i] = b->dict[i].cnt + (size_t)b->last_id[i] * b->nstreams;
	}
}

/*
 * A key's row of counters is laid out state by state, each state's groups
 * side by side: a socket's increments (one state, the groups it is in) fall
 * in a cache line or two.
 */
static inline size_t
cell_of(const struct breakdown *b, size_t grp, int state)
{
	return (size_t)state * b->ngroups + grp;
}

/* One socket into one stream of a kind. */
static inline void
add_one(struct breakdown *b, int kind, size_t grp, int state, const struct bk_sock *k)
{
	k->row[kind][cell_of(b, grp, state)]++;
}

void
bk_add(struct breakdown *b, size_t grp, int state, const struct bk_sock *k)
{
	if (b->k[BK_CGROUP] > 0)
		add_one(b, BK_CGROUP, grp, state, k);
	if (b->k[BK_PEER] > 0) {
		add_one(b, BK_PEER, grp, state, k);
		if (k->out)
			add_one(b, BK_PEER, grp, BK_ANY, k);
	}
}

uint64_t
bk_key_cgroup(const struct tk_key *k)
{
	uint64_t id;

	memcpy(&id, k->b, sizeof(id));
	return id;
}

void
bk_key_peer(const struct tk_key *k, char *buf, size_t len, int *dir)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port;

	memcpy(&port, k->b + 16, 2);
	*dir = k->b[19];
	if (k->b[18] == 6) {
		inet_ntop(AF_INET6, k->b, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(port));
	} else {
		inet_ntop(AF_INET, k->b, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(port));
	}
}

static int
entry_before(const struct tk_entry *a, const struct tk_entry *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	return memcmp(&a->key, &b->key, sizeof(a->key)) < 0;
}

/* e into out[0..*got) sorted, keeping at most n. */
static void
keep(struct tk_entry *out, size_t n, size_t *got, const struct tk_entry *e)
{
	size_t j;

	if (*got == n && !entry_before(e, &out[n - 1]))
		return;
	j = *got < n ? (*got)++ : n - 1;
	while (j > 0 && entry_before(e, &out[j - 1])) {
		out[j] = out[j - 1];
		j--;
	}
	out[j] = *e;
}

size_t
bk_top(const struct breakdown *b, int kind, size_t grp, int state, struct tk_entry *out,
    size_t n, uint64_t *total)
{
	const struct bk_dict *d = &b->dict[kind];
	size_t cell = cell_of(b, grp, state), got = 0, i;
	struct tk_entry e;

	*total = 0;
	if (b->k[kind] == 0 || n == 0)
		return 0;
	memset(&e, 0, sizeof(e));
	for (i = 0; i < d->n; i++) {
		if ((e.count = d->cnt[i * b->nstreams + cell]) == 0)
			continue;
		*total += e.count;
		e.key = d->key[i];
		e.err = d->err[i] < e.count ? (uint32_t)d->err[i] : e.count;
		keep(out, n, &got, &e);
	}
	return got;
}
