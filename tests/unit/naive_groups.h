/*
 * For the matcher's tests (test_tally.c, test_bpfmaps.c): the user groups a
 * socket meets, read straight from their definitions, the slow plain way
 * the compiled tables must agree with.
 */
#ifndef TESTS_UNIT_NAIVE_GROUPS_H
#define TESTS_UNIT_NAIVE_GROUPS_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "tcptally/config.h"
#include "tally.h"

static int
ports_in(const struct portrange *r, size_t n, uint16_t port)
{
	size_t i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++)
		if (port >= r[i].lo && port <= r[i].hi)
			return 1;
	return 0;
}

static uint64_t
naive_groups(const struct config *c, const struct tt_sock *s)
{
	uint64_t mask = 0;
	size_t g;

	for (g = 0; g < c->ngroups; g++) {
		const struct group *gr = &c->groups[g];

		if ((gr->family == FAM_IPV4 && s->family != AF_INET) ||
		    (gr->family == FAM_IPV6 && s->family != AF_INET6))
			continue;
		if (!ports_in(gr->local_ports, gr->nlocal_ports, s->sport) ||
		    !ports_in(gr->remote_ports, gr->nremote_ports, s->dport))
			continue;
		if (gr->nlocal_addrs > 0 &&
		    !cidr_list_match(gr->local_addrs, gr->nlocal_addrs, s->family, s->src))
			continue;
		if (gr->nremote_addrs > 0 &&
		    !cidr_list_match(gr->remote_addrs, gr->nremote_addrs, s->family, s->dst))
			continue;
		mask |= 1ULL << g;
	}
	return mask;
}

#endif
