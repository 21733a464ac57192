/*
 * Pure counting: one socket at a time into group x state.
 * Port conditions are precompiled into per-port group classes, so the cost
 * per socket is four table loads whatever the length of the port lists;
 * address conditions are matched once per address lately seen.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"

#define NPORTS 65536

static void
fill_ports(uint64_t *tab, const struct portrange *r, size_t n, uint64_t bit)
{
	size_t i;
	uint32_t p;

	if (n == 0) {
		for (p = 0; p < NPORTS; p++)
			tab[p] |= bit;
		return;
	}
	for (i = 0; i < n; i++)
		for (p = r[i].lo; p <= r[i].hi; p++)
			tab[p] |= bit;
}

/*
 * tab[65536] port -> mask into *cls (port -> class) and *mask (class ->
 * mask). Masks come in runs of ports, so a port whose mask is its
 * predecessor's takes its class; a new run looks its mask up in a hash.
 * Classes fit 8 bits when there are at most 256 of them (the table is
 * then 64 KiB), 16 bits always.
 */
static int
classify(const uint64_t *tab, void **cls, int *wide, uint64_t **mask)
{
	uint64_t *u = NULL, h;
	uint32_t *slot = NULL, hmask = 1, p, c = 0, i;
	uint16_t *cl16 = NULL;
	size_t n = 0, runs = 1;
	int rc = -1;

	for (p = 1; p < NPORTS; p++)
		runs += tab[p] != tab[p - 1];
	while (hmask + 1 < 2 * runs)
		hmask = hmask << 1 | 1;
	if ((u = malloc(runs * sizeof(*u))) == NULL ||
	    (slot = calloc((size_t)hmask + 1, sizeof(*slot))) == NULL ||
	    (cl16 = malloc(NPORTS * sizeof(*cl16))) == NULL)
		goto out;
	for (p = 0; p < NPORTS; p++) {
		if (p == 0 || tab[p] != tab[p - 1]) {
			h = tab[p] * 0x9e3779b97f4a7c15ULL;
			for (i = (uint32_t)(h >> 32) & hmask; slot[i] != 0 && u[slot[i] - 1] != tab[p];
			    i = (i + 1) & hmask)
				;
			if (slot[i] == 0) {
				u[n++] = tab[p];
				slot[i] = (uint32_t)n;
			}
			c = slot[i] - 1;
		}
		cl16[p] = (uint16_t)c;
	}
	*wide = n > 256;
	if (!*wide) {
		uint8_t *cl8 = (uint8_t *)cl16;	/* narrowed in place, front to back */

		for (p = 0; p < NPORTS; p++)
			cl8[p] = (uint8_t)cl16[p];
		void *r = realloc(cl16, NPORTS);

		*cls = r != NULL ? r : cl16;
	} else
		*cls = cl16;
	*mask = u;
	u = NULL;
	rc = 0;
out:
	free(u);
	free(slot);
	return rc;
}

int
matcher_init(struct matcher *m, const struct config *c)
{
	uint64_t *ltab = NULL, *rtab = NULL;
	size_t g;
	int rc = -1;

	memset(m, 0, sizeof(*m));
	if (c->ngroups > TT_MAX_GROUPS)
		return -1;
	m->ngroups = c->ngroups;
	m->groups = c->groups;
	if (m->ngroups == 0)
		return 0;
	ltab = calloc(NPORTS, sizeof(*ltab));
	rtab = calloc(NPORTS, sizeof(*rtab));
	m->acache = calloc(2 * MATCH_ACACHE, sizeof(*m->acache));
	if (ltab == NULL || rtab == NULL || m->acache == NULL)
		goto out;
	for (g = 0; g < m->ngroups; g++) {
		const struct group *gr = &c->groups[g];
		uint64_t bit = 1ULL << g;

		fill_ports(ltab, gr->local_ports, gr->nlocal_ports, bit);
		fill_ports(rtab, gr->remote_ports, gr->nremote_ports, bit);
		if (gr->family != FAM_IPV6)
			m->fam4 |= bit;
		if (gr->family != FAM_IPV4)
			m->fam6 |= bit;
		if (gr->nlocal_addrs > 0)
			m->has_laddr |= bit;
		if (gr->nremote_addrs > 0)
			m->has_raddr |= bit;
	}
	m->has_addr = m->has_laddr | m->has_raddr;
	if (classify(ltab, &m->lcls, &m->lwide, &m->lmask) == -1 ||
	    classify(rtab, &m->rcls, &m->rwide, &m->rmask) == -1)
		goto out;
	rc = 0;
out:
	free(ltab);
	free(rtab);
	if (rc == -1)
		matcher_free(m);
	return rc;
}

void
matcher_free(struct matcher *m)
{
	free(m->lcls);
	free(m->rcls);
	free(m->lmask);
	free(m->rmask);
	free(m->acache);
	memset(m, 0, sizeof(*m));
}

static inline uint32_t
class_of(const void *cls, int wide, uint16_t port)
{
	return wide ? ((const uint16_t *)cls)[port] : ((const uint8_t *)cls)[port];
}

uint64_t
matcher_ports(const struct matcher *m, const struct tt_sock *s)
{
	if (m->ngroups == 0)
		return 0;
	return m->lmask[class_of(m->lcls, m->lwide, s->sport)] &
	    m->rmask[class_of(m->rcls, m->rwide, s->dport)] &
	    (s->family == AF_INET ? m->fam4 : m->fam6);
}

/* The groups whose conditions on one side (0 local, 1 remote) addr meets. */
static uint64_t
side_mask(const struct matcher *m, int side, int family, const uint8_t *addr)
{
	uint64_t has = side ? m->has_raddr : m->has_laddr, mask = ~has, todo = has;
	const struct group *gr;
	unsigned g;

	while (todo != 0) {
		g = (unsigned)__builtin_ctzll(todo);
		todo &= todo - 1;
		gr = &m->groups[g];
		if (side ? cidr_list_match(gr->remote_addrs, gr->nremote_addrs, family, addr) :
		    cidr_list_match(gr->local_addrs, gr->nlocal_addrs, family, addr))
			mask |= 1ULL << g;
	}
	return mask;
}

static uint64_t
side_cached(const struct matcher *m, int side, int family, const uint8_t *addr)
{
	size_t alen = family == AF_INET ? 4 : 16;
	struct acache_ent *e;
	uint64_t h = 0;
	uint32_t w;
	size_t i;

	if (family != AF_INET && family != AF_INET6)	/* not from TCP's dump: uncached */
		return side_mask(m, side, family, addr);
	for (i = 0; i < alen; i += 4) {
		memcpy(&w, addr + i, 4);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	}
	e = &m->acache[(size_t)side * MATCH_ACACHE + (h >> 56)];	/* MATCH_ACACHE: 256 */
	if (e->family == (uint8_t)family && memcmp(e->addr, addr, alen) == 0)
		return e->mask;
	e->family = (uint8_t)family;
	memcpy(e->addr, addr, alen);
	e->mask = side_mask(m, side, family, addr);
	return e->mask;
}

uint64_t
matcher_addrs(const struct matcher *m, const struct tt_sock *s)
{
	uint64_t mask = ~0ULL;

	if (m->has_laddr != 0)
		mask &= side_cached(m, 0, s->family, s->src);
	if (m->has_raddr != 0)
		mask &= side_cached(m, 1, s->family, s->dst);
	return mask;
}

int
tally_init(struct tally *t, size_t ngroups)
{
	memset(t, 0, sizeof(*t));
	t->count = calloc(ngroups, sizeof(*t->count));
	t->listen = calloc(ngroups, sizeof(*t->listen));
	t->cw_since = calloc(ngroups, sizeof(*t->cw_since));
	t->cw_untracked = calloc(ngroups, sizeof(*t->cw_untracked));
	if (t->count == NULL || t->listen == NULL || t->cw_since == NULL ||
	    t->cw_untracked == NULL) {
		tally_free(t);
		return -1;
	}
	t->ngroups = ngroups;
	tally_reset(t);
	return 0;
}

void
tally_reset(struct tally *t)
{
	size_t i;

	memset(t->count, 0, t->ngroups * sizeof(*t->count));
	memset(t->listen, 0, t->ngroups * sizeof(*t->listen));
	t->total = 0;
	t->unknown_state = 0;
	for (i = 0; i < t->ngroups; i++)
		t->cw_since[i] = INT64_MAX;
	memset(t->cw_untracked, 0, t->ngroups * sizeof(*t->cw_untracked));
	if (t->bk != NULL)
		bk_reset(t->bk);
	if (t->ow != NULL)
		owners_reset(t->ow);
}

void
tally_begin(struct tally *t, int64_t now)
{
	if (t->cw != NULL)
		cwage_begin(t->cw, now);
}

void
tally_free(struct tally *t)
{
	free(t->count);
	free(t->listen);
	free(t->cw_since);
	free(t->cw_untracked);
	memset(t, 0, sizeof(*t));
}

double
listen_fill(uint32_t rqueue, uint32_t wqueue)
{
	return (double)rqueue / ((double)wqueue + 1.0);
}

static void
add_listener(struct listen_tally *l, const struct tt_sock *s)
{
	double fill = listen_fill(s->rqueue, s->wqueue);

	l->listeners++;
	l->queued += s->rqueue;
	l->backlog += s->wqueue;
	l->full += s->rqueue > s->wqueue;
	if (fill > l->max_fill)
		l->max_fill = fill;
}

/* A CLOSE_WAIT socket first seen at since (-1: not tracked) in group g. */
static void
add_age(struct tally *t, size_t g, int64_t since)
{
	if (since < 0)
		t->cw_untracked[g]++;
	else if (since < t->cw_since[g])
		t->cw_since[g] = since;
}

void
tally_add(struct tally *t, const struct matcher *m, const struct tt_sock *s)
{
	struct bk_sock k;
	uint64_t mask, cwgroups = 0;
	int64_t since = -1;
	unsigned g;

	t->total++;
	if (s->state < 1 || s->state > TT_NSTATES) {
		t->unknown_state++;
		return;
	}
	t->count[0][s->state]++;
	if (s->state == TT_LISTEN)
		add_listener(&t->listen[0], s);
	if (t->bk != NULL) {
		bk_keys(t->bk, s->family, s->state, s->sport, s->dport, s->dst, s->cgroup, &k);
		bk_add(t->bk, 0, s->state, &k);
	}
	if (s->state == TT_CLOSE_WAIT && t->cw != NULL) {
		since = cwage_see(t->cw, s->cookie);
		add_age(t, 0, since);
	}
	if (m->ngroups == 0)
		goto done;
	mask = matcher_ports(m, s);
	if (mask & m->has_addr)
		mask &= matcher_addrs(m, s);
	while (mask != 0) {
		g = (unsigned)__builtin_ctzll(mask);
		mask &= mask - 1;
		t->count[g + 1][s->state]++;
		if (t->bk != NULL)
			bk_add(t->bk, g + 1, s->state, &k);
		if (s->state == TT_CLOSE_WAIT && t->cw != NULL)
			add_age(t, g + 1, since);
		if (s->state == TT_CLOSE_WAIT)
			cwgroups |= 1ULL << g;
		if (s->state == TT_LISTEN)
			add_listener(&t->listen[g + 1], s);
	}
done:
	if (s->state == TT_CLOSE_WAIT && t->ow != NULL)
		owners_note(t->ow, s->inode, s->uid, cwgroups);
}
