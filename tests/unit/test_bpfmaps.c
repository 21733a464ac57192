/*
 * The BPF backend's tables for a config (bpfmaps.c) against the user-space
 * matcher and the groups' definitions: the trie entries and their values
 * for a known config, the program's matching (as bpftab_match models it)
 * over random sockets, the limits; and what it hands over, tallied: the
 * records it copies and its mask slots.
 */
#include <sys/socket.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcptally/config.h"
#include "tcptally/tcptally.h"
#include "bpfiter.h"
#include "bpfmaps.h"
#include "tally.h"
#include "naive_groups.h"

static struct cidr
cidr(const char *s)
{
	struct cidr c;
	const char *why;

	assert_int_equal(cidr_parse(s, &c, &why), 0);
	return c;
}

static struct ttb_key
key(const char *s)
{
	struct cidr c = cidr(s);
	struct ttb_key k;

	memset(&k, 0, sizeof(k));
	if (c.family == AF_INET) {
		k.addr[10] = k.addr[11] = 0xff;
		memcpy(k.addr + 12, c.addr, 4);
		k.prefixlen = 96u + c.prefix;
	} else {
		memcpy(k.addr, c.addr, 16);
		k.prefixlen = c.prefix;
	}
	return k;
}

/* The value of the entry with key k on a side; fails if there is none. */
static const struct ttb_val *
entry(const struct bpf_tables *t, int side, const char *prefix)
{
	struct ttb_key k = key(prefix);
	size_t i;

	for (i = 0; i < t->n[side]; i++)
		if (t->key[side][i].prefixlen == k.prefixlen &&
		    memcmp(t->key[side][i].addr, k.addr, 16) == 0)
			return &t->val[side][i];
	fail_msg("no trie entry %s on side %d", prefix, side);
	return NULL;
}

/*
 * A config whose tries are known: nested prefixes of both families, one
 * listed by two groups, a v6 prefix over the v4-mapped space, ports.
 */
static void
test_known_tables(void **state)
{
	static struct cidr r0[1], r1[2], r2[1], r3[1], l4[2];
	static struct portrange web[] = { { 80, 80 }, { 8000, 8099 } }, db[] = { { 5432, 5432 } };
	struct group gs[5];
	struct config c;
	struct matcher m;
	struct bpf_tables *t = calloc(1, sizeof(*t));
	const struct ttb_val *v;
	const char *why = NULL;

	(void)state;
	assert_non_null(t);
	memset(gs, 0, sizeof(gs));
	r0[0] = cidr("10.0.0.0/8");
	r1[0] = cidr("10.1.0.0/16");
	r1[1] = cidr("10.0.0.0/8");	/* the same prefix as group 0's */
	r2[0] = cidr("::/0");
	r3[0] = cidr("::ffff:0:0/96");
	l4[0] = cidr("127.0.0.1");
	l4[1] = cidr("fd00::2");
	strcpy(gs[0].name, "ten");
	gs[0].remote_addrs = r0, gs[0].nremote_addrs = 1;
	strcpy(gs[1].name, "ten-one");
	gs[1].remote_addrs = r1, gs[1].nremote_addrs = 2;
	gs[1].local_ports = web, gs[1].nlocal_ports = 2;
	strcpy(gs[2].name, "any6");
	gs[2].remote_addrs = r2, gs[2].nremote_addrs = 1;
	strcpy(gs[3].name, "mapped");
	gs[3].remote_addrs = r3, gs[3].nremote_addrs = 1;
	gs[3].family = FAM_IPV6;
	strcpy(gs[4].name, "lo");
	gs[4].local_addrs = l4, gs[4].nlocal_addrs = 2;
	gs[4].remote_ports = db, gs[4].nremote_ports = 1;
	gs[4].family = FAM_IPV4;
	memset(&c, 0, sizeof(c));
	c.groups = gs;
	c.ngroups = 5;
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(bpftab_build(t, &m, &why), 0);

	/* families, and which groups have address lists on each side */
	assert_true(t->fam[0] == 0x17);	/* all but `mapped` take IPv4 sockets */
	assert_true(t->fam[1] == 0x0f);	/* all but `lo` take IPv6 ones */
	assert_true(t->has_addr[0] == 0x10);
	assert_true(t->has_addr[1] == 0x0f);
	/* ports: a class per run, its mask the groups a port meets */
	assert_true(t->cmask[0][t->pcls[0][80]] == 0x1f);
	assert_true(t->cmask[0][t->pcls[0][81]] == 0x1d);
	assert_true(t->cmask[0][t->pcls[0][8099]] == 0x1f);
	assert_true(t->cmask[0][t->pcls[0][8100]] == 0x1d);
	assert_true(t->cmask[1][t->pcls[1][5432]] == 0x1f);
	assert_true(t->cmask[1][t->pcls[1][5433]] == 0x0f);

	/* remote: 10/8 once though two groups list it; each valued with its enclosers */
	assert_int_equal(t->n[1], 4);
	v = entry(t, 1, "10.0.0.0/8");
	assert_true(v->mask[0] == 0x03 && v->mask[1] == 0x0f);
	v = entry(t, 1, "10.1.0.0/16");
	assert_true(v->mask[0] == 0x03 && v->mask[1] == 0x0f);
	v = entry(t, 1, "::/0");	/* an IPv6 prefix never holds an IPv4 socket */
	assert_true(v->mask[0] == 0 && v->mask[1] == 0x04);
	v = entry(t, 1, "::ffff:0:0/96");
	assert_true(v->mask[0] == 0 && v->mask[1] == 0x0c);
	/* local: a bare address of each family */
	assert_int_equal(t->n[0], 2);
	v = entry(t, 0, "127.0.0.1/32");
	assert_true(v->mask[0] == 0x10 && v->mask[1] == 0x10);
	v = entry(t, 0, "fd00::2/128");
	assert_true(v->mask[0] == 0 && v->mask[1] == 0x10);
	bpftab_free(t);
	free(t);
	matcher_free(&m);
}

/*
 * 16 groups of every kind; random sockets from an address pool of both
 * families, v4-mapped ones, nested and overlapping prefixes: the program's
 * tables answer as the matcher does, and as the definitions say.
 */
static void
test_match_equals_matcher(void **state)
{
	static struct portrange web[] = { { 80, 80 }, { 443, 443 }, { 8000, 8099 } },
		one[] = { { 8000, 8000 } }, srv[] = { { 8000, 8015 } },
		dbs[] = { { 5432, 5432 }, { 3306, 3306 }, { 9042, 9043 } },
		eph[] = { { 32768, 60999 } }, low[] = { { 1, 1023 } };
	static struct cidr alt4[1], alt6[2], rfc[3], lo4[1], lo6[1], mapped[1], nest[3],
		all4[1], combo[2];
	static const char *const names[16] = { "web", "srv-8000", "clients", "v4", "v6",
		"alt4", "alt6", "rfc1918", "db", "ephemeral", "loop4", "loop6", "combo",
		"mapped", "nest", "low-any4" };
	struct group gs[16];
	struct config c;
	struct matcher m;
	struct bpf_tables *t = calloc(1, sizeof(*t));
	struct tt_sock s;
	uint8_t pool[2000][16], src[16], dst[16];
	uint64_t seed = 0x9e3779b97f4a7c15ULL, x, want, got, kinds = 0;
	const char *why = NULL;
	size_t i, g;

	(void)state;
	assert_non_null(t);
	alt4[0] = cidr("127.1.0.0/16");
	alt6[0] = cidr("fd00::2"), alt6[1] = cidr("2001:db8:1::/48");
	rfc[0] = cidr("10.0.0.0/8"), rfc[1] = cidr("172.16.0.0/12"), rfc[2] = cidr("192.168.0.0/16");
	lo4[0] = cidr("127.0.0.0/8");
	lo6[0] = cidr("::1");
	mapped[0] = cidr("::ffff:0:0/96");
	nest[0] = cidr("10.1.0.0/16"), nest[1] = cidr("10.1.2.0/24"), nest[2] = cidr("2001:db8::/32");
	all4[0] = cidr("0.0.0.0/0");
	combo[0] = cidr("127.1.0.0/16"), combo[1] = cidr("192.0.2.0/24");
	memset(gs, 0, sizeof(gs));
	for (g = 0; g < 16; g++)
		strcpy(gs[g].name, names[g]);
	gs[0].local_ports = web, gs[0].nlocal_ports = 3;
	gs[1].local_ports = one, gs[1].nlocal_ports = 1;
	gs[2].remote_ports = srv, gs[2].nremote_ports = 1;
	gs[3].family = FAM_IPV4;
	gs[4].family = FAM_IPV6;
	gs[5].remote_addrs = alt4, gs[5].nremote_addrs = 1;
	gs[6].local_addrs = alt6, gs[6].nlocal_addrs = 2;
	gs[7].remote_addrs = rfc, gs[7].nremote_addrs = 3;
	gs[8].remote_ports = dbs, gs[8].nremote_ports = 3;
	gs[9].local_ports = eph, gs[9].nlocal_ports = 1;
	gs[10].local_addrs = lo4, gs[10].nlocal_addrs = 1;
	gs[11].local_addrs = lo6, gs[11].nlocal_addrs = 1;
	gs[12].family = FAM_IPV4, gs[12].local_ports = srv, gs[12].nlocal_ports = 1;
	gs[12].remote_addrs = combo, gs[12].nremote_addrs = 2;
	gs[13].remote_addrs = mapped, gs[13].nremote_addrs = 1;
	gs[14].local_addrs = nest, gs[14].nlocal_addrs = 3;
	gs[14].remote_addrs = rfc, gs[14].nremote_addrs = 1;
	gs[15].remote_ports = low, gs[15].nremote_ports = 1;
	gs[15].local_addrs = all4, gs[15].nlocal_addrs = 1;
	memset(&c, 0, sizeof(c));
	c.groups = gs;
	c.ngroups = 16;
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(bpftab_build(t, &m, &why), 0);

	for (i = 0; i < 2000; i++) {
		x = seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		memset(pool[i], 0, 16);
		switch (i % 6) {
		case 0:	/* 10.1.2.x, 10.1.x.y, 10.x.y.z, 192.0.2.x, 172.16-31.x.y */
			pool[i][0] = 10, pool[i][1] = (uint8_t)((x >> 40) % 3);
			pool[i][2] = (uint8_t)(2 + (x >> 44) % 2), pool[i][3] = (uint8_t)(x >> 16);
			if ((x >> 50) % 3 == 0)
				pool[i][0] = 192, pool[i][1] = 0, pool[i][2] = 2;
			else if ((x >> 50) % 3 == 1)
				pool[i][0] = 172, pool[i][1] = (uint8_t)(16 + (x >> 52) % 20);
			break;
		case 1:	/* 127.0.x.y, 127.1.x.y */
			pool[i][0] = 127, pool[i][1] = (uint8_t)((x >> 40) % 2);
			pool[i][2] = (uint8_t)x, pool[i][3] = (uint8_t)(x >> 8);
			break;
		case 2:	/* v4-mapped: 10.1.x.y, 127.1.x.y */
			pool[i][10] = pool[i][11] = 0xff;
			pool[i][12] = (x >> 40) % 2 ? 10 : 127, pool[i][13] = 1;
			pool[i][14] = (uint8_t)x, pool[i][15] = (uint8_t)(x >> 8);
			break;
		case 3:	/* 2001:db8::/32, 2001:db8:1::/48, or beside them */
			pool[i][0] = 0x20, pool[i][1] = 0x01, pool[i][2] = 0x0d;
			pool[i][3] = (uint8_t)(0xb8 + (x >> 60) % 2);
			pool[i][5] = (uint8_t)((x >> 56) % 2);
			memcpy(pool[i] + 8, &x, 8);
			break;
		case 4:	/* ::1, fd00::2 */
			if ((x >> 40) % 2)
				pool[i][15] = 1;
			else
				pool[i][0] = 0xfd, pool[i][15] = 2;
			break;
		default:	/* anything IPv4 */
			memcpy(pool[i], &x, 4);
		}
	}
	for (i = 0; i < 300000; i++) {
		size_t a, b;

		x = seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		a = (size_t)(x % 2000);
		b = (size_t)((x >> 16) % 2000);
		/* the same family on both sides: 0, 1, 5 are IPv4 */
		if ((a % 6 == 0 || a % 6 == 1 || a % 6 == 5) != (b % 6 == 0 || b % 6 == 1 || b % 6 == 5))
			b = a;
		memcpy(src, pool[a], 16);
		memcpy(dst, pool[b], 16);
		s.family = a % 6 == 0 || a % 6 == 1 || a % 6 == 5 ? AF_INET : AF_INET6;
		s.state = TT_ESTABLISHED;
		s.src = src;
		s.dst = dst;
		s.sport = (uint16_t)(x >> 32);
		s.dport = (uint16_t)(x >> 48);
		if ((x >> 20) % 3 == 0)
			s.sport = (uint16_t)(7998 + (x >> 22) % 20);
		if ((x >> 25) % 3 == 0)
			s.dport = (uint16_t)((x >> 27) % 2 ? 5432 : 7998 + (x >> 28) % 20);
		want = matcher_ports(&m, &s);
		if (want & m.has_addr)
			want &= matcher_addrs(&m, &s);
		got = bpftab_match(t, &s);
		if (got != want || want != naive_groups(&c, &s))
			fail_msg("socket %zu: program 0x%llx, matcher 0x%llx, definitions 0x%llx",
			    i, (unsigned long long)got, (unsigned long long)want,
			    (unsigned long long)naive_groups(&c, &s));
		kinds |= got;
	}
	assert_true(kinds == 0xffff);	/* every group got sockets */
	bpftab_free(t);
	free(t);
	matcher_free(&m);
}

/* More than the program takes: 4096 port classes, 4096 prefixes a side. */
static void
test_limits(void **state)
{
	static struct portrange r[13][4096];
	static struct cidr many[4097];
	struct group gs[13];
	struct config c;
	struct matcher m;
	struct bpf_tables *t = calloc(1, sizeof(*t));
	const char *why = NULL;
	uint32_t p;
	size_t g, n;

	(void)state;
	assert_non_null(t);
	/* group g: the ports below 8192 with bit g set: 8192 classes */
	memset(gs, 0, sizeof(gs));
	for (g = 0; g < 13; g++) {
		snprintf(gs[g].name, sizeof(gs[g].name), "bit%zu", g);
		for (n = 0, p = 1u << g; p < 8192; p += 2u << g, n++) {
			r[g][n].lo = (uint16_t)p;
			r[g][n].hi = (uint16_t)(p + (1u << g) - 1);
		}
		gs[g].local_ports = r[g];
		gs[g].nlocal_ports = n;
	}
	memset(&c, 0, sizeof(c));
	c.groups = gs;
	c.ngroups = 13;
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(bpftab_build(t, &m, &why), -1);
	assert_non_null(strstr(why, "4096 distinct port classes"));
	matcher_free(&m);

	memset(gs, 0, sizeof(gs));
	for (n = 0; n < 4097; n++) {
		many[n].family = AF_INET;
		many[n].prefix = 32;
		many[n].addr[0] = 10;
		many[n].addr[2] = (uint8_t)(n >> 8);
		many[n].addr[3] = (uint8_t)n;
	}
	strcpy(gs[0].name, "many");
	gs[0].remote_addrs = many;
	gs[0].nremote_addrs = 4097;
	c.ngroups = 1;
	assert_int_equal(matcher_init(&m, &c), 0);
	why = NULL;
	assert_int_equal(bpftab_build(t, &m, &why), -1);
	assert_non_null(strstr(why, "4096 address prefixes"));
	gs[0].nremote_addrs = 4096;	/* the most it takes */
	matcher_free(&m);
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(bpftab_build(t, &m, &why), 0);
	assert_int_equal(t->n[1], 4096);
	bpftab_free(t);
	free(t);
	matcher_free(&m);
}

static void
put_rec(uint8_t *p, uint8_t family, uint8_t state, uint16_t sport, uint64_t cookie)
{
	struct ttb_rec r;

	memset(&r, 0, sizeof(r));
	r.family = family;
	r.state = state;
	r.sport = sport;
	r.dport = 40000;
	r.cookie = cookie;
	r.src[0] = 127, r.src[3] = 1;
	r.dst[0] = 127, r.dst[3] = 1;
	if (state == TT_LISTEN)
		r.rqueue = 3, r.wqueue = 4;
	memcpy(p, &r, sizeof(r));
}

/* The records of one read: tallied as sock_diag's replies; ticks skipped; a partial one kept. */
static void
test_records(void **state)
{
	static struct portrange web[] = { { 80, 80 } };
	struct group gs[1];
	struct config c;
	struct matcher m;
	struct tally t;
	uint8_t buf[6 * sizeof(struct ttb_rec) + 10];
	uint64_t bad = 0;
	size_t left;

	(void)state;
	memset(gs, 0, sizeof(gs));
	strcpy(gs[0].name, "web");
	gs[0].local_ports = web, gs[0].nlocal_ports = 1;
	memset(&c, 0, sizeof(c));
	c.groups = gs;
	c.ngroups = 1;
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(tally_init(&t, 2), 0);
	memset(buf, 0, sizeof(buf));
	put_rec(buf, AF_INET, TT_LISTEN, 80, 0);
	put_rec(buf + 72, AF_INET, TT_CLOSE_WAIT, 80, 7);
	put_rec(buf + 144, 0, 0, 0, 0);			/* a tick */
	put_rec(buf + 216, AF_INET6, TT_CLOSE_WAIT, 81, 8);
	put_rec(buf + 288, 99, TT_ESTABLISHED, 80, 0);		/* not a family */
	put_rec(buf + 360, AF_INET, 12, 80, 0);			/* NEW_SYN_RECV unmapped */
	left = bpfiter_records(buf, sizeof(buf), &t, &m, &bad);
	assert_int_equal(left, 10);
	assert_true(bad == 1);
	assert_true(t.total == 4);
	assert_true(t.unknown_state == 1);
	assert_true(t.count[0][TT_LISTEN] == 1 && t.count[1][TT_LISTEN] == 1);
	assert_true(t.count[0][TT_CLOSE_WAIT] == 2 && t.count[1][TT_CLOSE_WAIT] == 1);
	assert_true(t.listen[1].listeners == 1 && t.listen[1].queued == 3 &&
	    t.listen[1].backlog == 4);
	tally_free(&t);
	matcher_free(&m);
}

/* The kernel's mask slots spread over `all` and each group of a mask; unused slots skipped. */
static void
test_slots(void **state)
{
	struct ttb_mslot slot[4];
	struct tally t;

	(void)state;
	assert_int_equal(tally_init(&t, 4), 0);	/* all + 3 groups */
	memset(slot, 0, sizeof(slot));
	slot[0].used = 1, slot[0].mask = 0x5, slot[0].count[TT_ESTABLISHED] = 3;
	slot[0].count[TT_LISTEN] = 1;
	slot[2].used = 1, slot[2].mask = 0, slot[2].count[TT_TIME_WAIT] = 2;
	slot[3].mask = 0x7, slot[3].count[TT_ESTABLISHED] = 100;	/* not used: stale */
	slot[1].used = 1, slot[1].mask = 0x2 | 1ULL << 40, slot[1].count[TT_ESTABLISHED] = 4;
	bpfiter_slots(slot, 4, &t);
	assert_true(t.total == 10);
	assert_true(t.count[0][TT_ESTABLISHED] == 7 && t.count[0][TT_TIME_WAIT] == 2);
	assert_true(t.count[0][TT_LISTEN] == 1);
	assert_true(t.count[1][TT_ESTABLISHED] == 3 && t.count[1][TT_LISTEN] == 1);
	assert_true(t.count[2][TT_ESTABLISHED] == 4);	/* bit 40: no such group */
	assert_true(t.count[3][TT_ESTABLISHED] == 3 && t.count[3][TT_TIME_WAIT] == 0);
	tally_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_tables),
		cmocka_unit_test(test_match_equals_matcher),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
