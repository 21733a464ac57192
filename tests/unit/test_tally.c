#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tally.h"
#include "naive_groups.h"

enum { G_WEB, G_V6, G_REMOTE10, G_MANY, G_COMBO, NG };

static struct portrange web_ports[] = { { 80, 80 }, { 443, 443 }, { 8000, 8099 } };
static struct portrange pg_port[] = { { 5432, 5432 } };
static struct portrange many_ports[1000];
static struct cidr net10, testnet;
static struct group groups[NG];
static struct config cfg;

static int
setup(void **state)
{
	const char *why;
	int i;

	(void)state;
	memset(groups, 0, sizeof(groups));
	assert_int_equal(cidr_parse("10.0.0.0/8", &net10, &why), 0);
	assert_int_equal(cidr_parse("192.0.2.0/24", &testnet, &why), 0);
	for (i = 0; i < 1000; i++)
		many_ports[i].lo = many_ports[i].hi = (uint16_t)(1001 + 2 * i);
	strcpy(groups[G_WEB].name, "web");
	groups[G_WEB].local_ports = web_ports;
	groups[G_WEB].nlocal_ports = 3;
	strcpy(groups[G_V6].name, "v6");
	groups[G_V6].family = FAM_IPV6;
	strcpy(groups[G_REMOTE10].name, "remote10");
	groups[G_REMOTE10].remote_addrs = &net10;
	groups[G_REMOTE10].nremote_addrs = 1;
	strcpy(groups[G_MANY].name, "many");
	groups[G_MANY].local_ports = many_ports;
	groups[G_MANY].nlocal_ports = 1000;
	strcpy(groups[G_COMBO].name, "combo");
	groups[G_COMBO].family = FAM_IPV4;
	groups[G_COMBO].remote_ports = pg_port;
	groups[G_COMBO].nremote_ports = 1;
	groups[G_COMBO].local_addrs = &testnet;
	groups[G_COMBO].nlocal_addrs = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.groups = groups;
	cfg.ngroups = NG;
	return 0;
}

struct fixture {
	struct matcher m;
	struct tally t;
	uint8_t src[16], dst[16];
};

static struct fixture *
fx_new(void)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(matcher_init(&f->m, &cfg), 0);
	assert_int_equal(tally_init(&f->t, NG + 1), 0);
	return f;
}

static void
fx_free(struct fixture *f)
{
	matcher_free(&f->m);
	tally_free(&f->t);
	free(f);
}

static void
add(struct fixture *f, int fam, int st, const char *src, int sport, const char *dst, int dport)
{
	struct tt_sock s;

	memset(f->src, 0, sizeof(f->src));
	memset(f->dst, 0, sizeof(f->dst));
	assert_int_equal(inet_pton(fam, src, f->src), 1);
	assert_int_equal(inet_pton(fam, dst, f->dst), 1);
	s.family = (uint8_t)fam;
	s.state = (uint8_t)st;
	s.sport = (uint16_t)sport;
	s.dport = (uint16_t)dport;
	s.src = f->src;
	s.dst = f->dst;
	tally_add(&f->t, &f->m, &s);
}

/* The groups (bit g = group g) a single socket landed in. */
static unsigned
groups_of(struct fixture *f, int st)
{
	unsigned mask = 0;
	int g;

	for (g = 0; g < NG; g++)
		if (f->t.count[g + 1][st] > 0)
			mask |= 1u << g;
	return mask;
}

static unsigned
one(int fam, int st, const char *src, int sport, const char *dst, int dport)
{
	struct fixture *f = fx_new();
	unsigned mask;

	add(f, fam, st, src, sport, dst, dport);
	assert_int_equal(f->t.count[0][st], 1);	/* `all` always counts */
	assert_int_equal(f->t.total, 1);
	mask = groups_of(f, st);
	fx_free(f);
	return mask;
}

#define B(g) (1u << (g))

static void
test_port_groups(void **state)
{
	(void)state;
	assert_int_equal(one(AF_INET, TT_ESTABLISHED, "127.0.0.1", 80, "127.0.0.1", 40000), B(G_WEB));
	assert_int_equal(one(AF_INET, TT_LISTEN, "0.0.0.0", 8099, "0.0.0.0", 0), B(G_WEB));
	assert_int_equal(one(AF_INET, TT_LISTEN, "0.0.0.0", 8100, "0.0.0.0", 0), 0);
	assert_int_equal(one(AF_INET, TT_LISTEN, "0.0.0.0", 7999, "0.0.0.0", 0), 0);
	/* remote port 80 is not a local port 80 */
	assert_int_equal(one(AF_INET, TT_ESTABLISHED, "127.0.0.1", 40000, "127.0.0.1", 80), 0);
	/* a long list costs one lookup; check its edges and its gaps */
	assert_int_equal(one(AF_INET, TT_LISTEN, "0.0.0.0", 1001, "0.0.0.0", 0), B(G_MANY));
	assert_int_equal(one(AF_INET, TT_LISTEN, "0.0.0.0", 2999, "0.0.0.0", 0), B(G_MANY));
	assert_int_equal(one(AF_INET, TT_LISTEN, "0.0.0.0", 2000, "0.0.0.0", 0), 0);
	assert_int_equal(one(AF_INET, TT_LISTEN, "0.0.0.0", 3001, "0.0.0.0", 0), 0);
}

static void
test_family_and_addr_groups(void **state)
{
	(void)state;
	assert_int_equal(one(AF_INET6, TT_TIME_WAIT, "::1", 8000, "::1", 50000), B(G_WEB) | B(G_V6));
	assert_int_equal(one(AF_INET6, TT_ESTABLISHED, "::1", 9, "::1", 9), B(G_V6));
	assert_int_equal(one(AF_INET, TT_CLOSE_WAIT, "127.0.0.1", 9, "10.9.8.7", 9), B(G_REMOTE10));
	assert_int_equal(one(AF_INET, TT_CLOSE_WAIT, "10.9.8.7", 9, "127.0.0.1", 9), 0);
	/* v4-mapped peers match IPv4 CIDRs; the socket is still IPv6 for `family` */
	assert_int_equal(one(AF_INET6, TT_ESTABLISHED, "::ffff:127.0.0.1", 9, "::ffff:10.0.0.1", 9),
	    B(G_REMOTE10) | B(G_V6));
	/* combo: ipv4 AND remote port 5432 AND local 192.0.2.0/24 */
	assert_int_equal(one(AF_INET, TT_ESTABLISHED, "192.0.2.5", 40000, "10.1.1.1", 5432),
	    B(G_COMBO) | B(G_REMOTE10));
	assert_int_equal(one(AF_INET, TT_ESTABLISHED, "192.0.3.5", 40000, "10.1.1.1", 5432),
	    B(G_REMOTE10));
	assert_int_equal(one(AF_INET, TT_ESTABLISHED, "192.0.2.5", 40000, "10.1.1.1", 5433),
	    B(G_REMOTE10));
	assert_int_equal(one(AF_INET6, TT_ESTABLISHED, "::ffff:192.0.2.5", 40000, "::1", 5432),
	    B(G_V6));
}

static void
test_totals_and_reset(void **state)
{
	struct fixture *f = fx_new();
	int i, st;

	(void)state;
	for (i = 0; i < 1000; i++) {
		int fam = i % 5 ? AF_INET : AF_INET6;
		const char *a = fam == AF_INET ? "127.0.0.1" : "::1";

		add(f, fam, 1 + i % TT_NSTATES, a, 8000 + i % 200, a, 40000);
	}
	assert_int_equal(f->t.total, 1000);
	for (st = 1, i = 0; st <= TT_NSTATES; st++)
		i += (int)f->t.count[0][st];
	assert_int_equal(i, 1000);
	/* ports 8000-8099 are half of 8000-8199 */
	for (st = 1, i = 0; st <= TT_NSTATES; st++)
		i += (int)f->t.count[1 + G_WEB][st];
	assert_int_equal(i, 500);
	tally_reset(&f->t);
	assert_int_equal(f->t.total, 0);
	for (st = 0; st <= TT_NSTATES; st++)
		assert_int_equal(f->t.count[1 + G_WEB][st], 0);
	fx_free(f);
}

static void
test_unknown_state(void **state)
{
	struct fixture *f = fx_new();

	(void)state;
	add(f, AF_INET, 12, "127.0.0.1", 80, "127.0.0.1", 1);
	add(f, AF_INET, 0, "127.0.0.1", 80, "127.0.0.1", 1);
	assert_int_equal(f->t.total, 2);
	assert_int_equal(f->t.unknown_state, 2);
	assert_int_equal(groups_of(f, TT_ESTABLISHED), 0);
	fx_free(f);
}

static void
test_no_groups(void **state)
{
	struct config none;
	struct matcher m;
	struct tally t;
	struct tt_sock s;
	uint8_t a[16] = { 127, 0, 0, 1 };

	(void)state;
	memset(&none, 0, sizeof(none));
	assert_int_equal(matcher_init(&m, &none), 0);
	assert_null(m.lcls);	/* nothing allocated for `all` alone */
	assert_int_equal(tally_init(&t, 1), 0);
	s.family = AF_INET;
	s.state = TT_LISTEN;
	s.sport = 22;
	s.dport = 0;
	s.src = s.dst = a;
	tally_add(&t, &m, &s);
	assert_int_equal(t.count[0][TT_LISTEN], 1);
	/* counts are 64-bit end to end: no wrap at 2^32 */
	assert_int_equal(sizeof(t.count[0][0]), 8);
	t.count[0][TT_LISTEN] = UINT32_MAX;
	tally_add(&t, &m, &s);
	assert_true(t.count[0][TT_LISTEN] == (uint64_t)UINT32_MAX + 1);
	tally_free(&t);
	matcher_free(&m);
}

/*
 * The compiled matcher (port classes, the cache of address masks) against
 * the definitions, over random sockets: ports at the edges of every range,
 * addresses from a pool larger than the cache (evictions, collisions),
 * v4-mapped IPv6, and a pool address coming back after it was evicted.
 */
static void
test_matcher_equals_definitions(void **state)
{
	static struct portrange edge[] = { { 0, 0 }, { 1023, 1024 }, { 32768, 60999 },
		{ 65535, 65535 } };
	static struct cidr la[2], ra[3];
	struct group gs[NG + 3];
	struct config c;
	struct matcher m;
	struct tt_sock s;
	uint8_t pool[1500][16], src[16], dst[16];
	uint64_t seed = 88172645463325252ULL, x, got;
	const char *why;
	size_t i, checked = 0, hits = 0;

	(void)state;
	memcpy(gs, groups, sizeof(groups));
	assert_int_equal(cidr_parse("127.0.0.0/8", &la[0], &why), 0);
	assert_int_equal(cidr_parse("fd00::/64", &la[1], &why), 0);
	assert_int_equal(cidr_parse("10.1.0.0/16", &ra[0], &why), 0);
	assert_int_equal(cidr_parse("::ffff:10.2.0.0/112", &ra[1], &why), 0);
	assert_int_equal(cidr_parse("2001:db8::/32", &ra[2], &why), 0);
	memset(&gs[NG], 0, 3 * sizeof(gs[0]));
	strcpy(gs[NG].name, "edges");
	gs[NG].local_ports = edge;
	gs[NG].nlocal_ports = 4;
	gs[NG].remote_addrs = ra;
	gs[NG].nremote_addrs = 3;
	strcpy(gs[NG + 1].name, "local");
	gs[NG + 1].local_addrs = la;
	gs[NG + 1].nlocal_addrs = 2;
	gs[NG + 1].remote_ports = edge;
	gs[NG + 1].nremote_ports = 2;
	strcpy(gs[NG + 2].name, "both");
	gs[NG + 2].local_addrs = la;
	gs[NG + 2].nlocal_addrs = 1;
	gs[NG + 2].remote_addrs = ra;
	gs[NG + 2].nremote_addrs = 2;
	memset(&c, 0, sizeof(c));
	c.groups = gs;
	c.ngroups = NG + 3;
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_false(m.lwide);	/* a handful of classes: 8 bits */
	for (i = 0; i < 1500; i++) {
		x = seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memset(pool[i], 0, 16);
		switch (i % 5) {
		case 0:	/* 10.1.x.y, 10.2.x.y, 10.3.x.y */
			pool[i][0] = 10, pool[i][1] = (uint8_t)(1 + (x >> 40) % 3);
			pool[i][2] = (uint8_t)(x >> 8), pool[i][3] = (uint8_t)(x >> 16);
			break;
		case 1:	/* 127.x.y.z */
			pool[i][0] = 127, memcpy(pool[i] + 1, &x, 3);
			break;
		case 2:	/* v4-mapped 10.2.x.y */
			pool[i][10] = pool[i][11] = 0xff, pool[i][12] = 10, pool[i][13] = 2;
			pool[i][14] = (uint8_t)x, pool[i][15] = (uint8_t)(x >> 8);
			break;
		case 3:	/* 2001:db8::/32 or beside it */
			pool[i][0] = 0x20, pool[i][1] = 0x01, pool[i][2] = 0x0d;
			pool[i][3] = (uint8_t)(0xb8 + (x >> 60) % 2);
			memcpy(pool[i] + 8, &x, 8);
			break;
		default:	/* fd00::/64 or fd00:0:0:1::/64 */
			pool[i][0] = 0xfd, pool[i][7] = (uint8_t)((x >> 50) % 2);
			memcpy(pool[i] + 8, &x, 8);
		}
	}
	for (i = 0; i < 200000; i++) {
		size_t a, b;

		x = seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		a = (size_t)(x % 1500);
		b = (size_t)((x >> 16) % 1500);
		if ((a % 5 < 2) != (b % 5 < 2))	/* both IPv4 or both IPv6 */
			b = a;
		memcpy(src, pool[a], 16);
		memcpy(dst, pool[b], 16);
		s.family = a % 5 < 2 ? AF_INET : AF_INET6;
		s.state = TT_ESTABLISHED;
		s.src = src;
		s.dst = dst;
		s.sport = (uint16_t)(x >> 32);
		s.dport = (uint16_t)(x >> 48);
		if ((x >> 20) % 4 == 0)	/* the edges of the ranges */
			s.sport = edge[(x >> 22) % 4].lo - (x >> 24) % 2;
		if ((x >> 25) % 4 == 0)
			s.dport = edge[(x >> 27) % 4].hi + (x >> 29) % 2;
		got = matcher_ports(&m, &s);
		if (got & m.has_addr)
			got &= matcher_addrs(&m, &s);
		assert_true(got == naive_groups(&c, &s));
		hits += got != 0;
		checked++;
	}
	assert_true(checked == 200000);
	assert_true(hits > 50000);	/* the sockets fell in groups, not only outside */
	matcher_free(&m);
}

/*
 * More than 256 distinct port masks (the classes go 16 bits wide): group g
 * takes the ports below 2048 whose bit g is set, locally, and bit g + 1
 * remotely.
 */
static void
test_matcher_wide_classes(void **state)
{
	static struct portrange lr[10][1024], rr[10][1024];
	struct group gs[10];
	struct config c;
	struct matcher m;
	struct tt_sock s;
	uint8_t a[16] = { 127, 0, 0, 1 };
	uint32_t sp, dp;
	size_t g, n;

	(void)state;
	memset(gs, 0, sizeof(gs));
	for (g = 0; g < 10; g++) {
		snprintf(gs[g].name, sizeof(gs[g].name), "bit%zu", g);
		for (n = 0, sp = 1u << g; sp < 2048; sp += 2u << g, n++) {
			lr[g][n].lo = (uint16_t)sp;
			lr[g][n].hi = (uint16_t)(sp + (1u << g) - 1);
		}
		gs[g].local_ports = lr[g];
		gs[g].nlocal_ports = n;
		for (n = 0, sp = 2u << g; sp < 2048; sp += 4u << g, n++) {
			rr[g][n].lo = (uint16_t)sp;
			rr[g][n].hi = (uint16_t)(sp + (2u << g) - 1);
		}
		gs[g].remote_ports = rr[g];
		gs[g].nremote_ports = n;
	}
	memset(&c, 0, sizeof(c));
	c.groups = gs;
	c.ngroups = 10;
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_true(m.lwide);	/* 1024 local classes */
	s.family = AF_INET;
	s.state = TT_ESTABLISHED;
	s.src = s.dst = a;
	for (sp = 0; sp < 65536; sp++)
		for (dp = sp % 7; dp < 65536; dp += 4099) {
			s.sport = (uint16_t)sp;
			s.dport = (uint16_t)dp;
			assert_true(matcher_ports(&m, &s) == naive_groups(&c, &s));
		}
	matcher_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_port_groups, setup),
		cmocka_unit_test_setup(test_family_and_addr_groups, setup),
		cmocka_unit_test_setup(test_totals_and_reset, setup),
		cmocka_unit_test_setup(test_unknown_state, setup),
		cmocka_unit_test_setup(test_no_groups, setup),
		cmocka_unit_test_setup(test_matcher_equals_definitions, setup),
		cmocka_unit_test_setup(test_matcher_wide_classes, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
