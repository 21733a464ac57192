/*
 * Pure counting: one socket at a time into group x state.
 * Port conditions are precompiled into per-port group bitmasks, so the cost
 * per socket is two table loads whatever the length of the port lists.
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

int
matcher_init(struct matcher *m, const struct config *c)
{
	size_t g;

	memset(m, 0, sizeof(*m));
	if (c->ngroups > TT_MAX_GROUPS)
		return -1;
	m->ngroups = c->ngroups;
	m->groups = c->groups;
	if (m->ngroups == 0)
		return 0;
	m->lport = calloc(NPORTS, sizeof(*m->lport));
	m->rport = calloc(NPORTS, sizeof(*m->rport));
	if (m->lport == NULL || m->rport == NULL) {
		matcher_free(m);
		return -1;
	}
	for (g = 0; g < m->ngroups; g++) {
		const struct group *gr = &c->groups[g];
		uint64_t bit = 1ULL << g;

		fill_ports(m->lport, gr->local_ports, gr->nlocal_ports, bit);
		fill_ports(m->rport, gr->remote_ports, gr->nremote_ports, bit);
		if (gr->family != FAM_IPV6)
			m->fam4 |= bit;
		if (gr->family != FAM_IPV4)
			m->fam6 |= bit;
		if (gr->nlocal_addrs > 0 || gr->nremote_addrs > 0)
			m->has_addr |= bit;
	}
	return 0;
}

void
matcher_free(struct matcher *m)
{
	free(m->lport);
	free(m->rport);
	memset(m, 0, sizeof(*m));
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

static int
addrs_match(const struct group *g, const struct tt_sock *s)
{
	if (g->nlocal_addrs > 0 &&
	    !cidr_list_match(g->local_addrs, g->nlocal_addrs, s->family, s->src))
		return 0;
	if (g->nremote_addrs > 0 &&
	    !cidr_list_match(g->remote_addrs, g->nremote_addrs, s->family, s->dst))
		return 0;
	return 1;
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
	mask = m->lport[s->sport] & m->rport[s->dport] &
	    (s->family == AF_INET ? m->fam4 : m->fam6);
	while (mask != 0) {
		g = (unsigned)__builtin_ctzll(mask);
		mask &= mask - 1;
		if ((m->has_addr >> g) & 1 && !addrs_match(&m->groups[g], s))
			continue;
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
