/*
 * Breakdowns: Space-Saving top K (exact while the keys fit, its bound when
 * they do not, the rows adding up), the keys of a socket (outbound or
 * inbound at the edges of the port range, v4-mapped addresses), the cgroup
 * id -> path cache over a fake tree, and the cgroup2 mount in mountinfo.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "breakdown.h"
#include "cgroup.h"
#include "cwage.h"
#include "owners.h"
#include "tally.h"

/* One inbound socket of state st from client address n (host order) to port 80. */
static void
sock_from(struct breakdown *b, uint32_t n, int st)
{
	struct bk_sock k;
	uint32_t a = htonl(n);

	bk_keys(b, AF_INET, st, 80, 50000, (const uint8_t *)&a, 0, &k);
	bk_add(b, 0, st, &k);
}

static uint32_t
client_of(const struct tk_key *k)
{
	uint32_t a;

	memcpy(&a, k->b, sizeof(a));
	return ntohl(a);
}

/* While the distinct keys fit, every count is exact, ties by key. */
static void
test_exact(void **state)
{
	struct breakdown b;
	struct tk_entry top[8];
	uint64_t total;
	uint32_t i, j;
	size_t n;

	(void)state;
	assert_int_equal(bk_init(&b, 1, 0, 5), 0);
	/* client i has i sockets, 16 clients */
	for (i = 1; i <= 16; i++)
		for (j = 0; j < i; j++)
			sock_from(&b, i, TT_ESTABLISHED);
	n = bk_top(&b, BK_PEER, 0, TT_ESTABLISHED, top, 5, &total);
	assert_int_equal(n, 5);
	for (i = 0; i < 5; i++) {
		assert_int_equal(client_of(&top[i].key), 16 - i);
		assert_int_equal(top[i].count, 16 - i);
		assert_int_equal(top[i].err, 0);
	}
	assert_int_equal(total, 136);
	assert_int_equal(b.dict[BK_PEER].evicted, 0);
	/* the other states are untouched */
	assert_int_equal(bk_top(&b, BK_PEER, 0, TT_TIME_WAIT, top, 5, &total), 0);
	assert_int_equal(total, 0);
	/* ties: smaller key first */
	bk_reset(&b);
	for (i = 5; i >= 1; i--)
		sock_from(&b, i, TT_CLOSE_WAIT);
	n = bk_top(&b, BK_PEER, 0, TT_CLOSE_WAIT, top, 3, &total);
	assert_int_equal(n, 3);
	assert_int_equal(client_of(&top[0].key), 1);
	assert_int_equal(client_of(&top[2].key), 3);
	/* reset empties what was counted */
	bk_reset(&b);
	assert_int_equal(bk_top(&b, BK_PEER, 0, TT_CLOSE_WAIT, top, 3, &total), 0);
	assert_int_equal(b.dict[BK_PEER].n, 0);
	bk_free(&b);
}

/*
 * Keys overflow the rows: 100,000 clients of 1 socket each among 3 heavy
 * ones (30,000, 20,000 and 10,000 sockets). The counts still add up to the
 * total, each heavy client is found with its true count within
 * [count - err, count], and err <= sockets / rows.
 */
static void
test_overflow(void **state)
{
	static const uint32_t heavy[3] = { 1000001, 1000002, 1000003 };
	static const uint32_t every[3] = { 10, 5, 10 };	/* 1 in 10, 2 in 10, 1 in 10 */
	struct breakdown b;
	struct tk_entry top[3];
	uint64_t total = 0, got;
	uint32_t i, j, truth[3] = { 0 }, cap;
	size_t n;

	(void)state;
	assert_int_equal(bk_init(&b, 1, 0, 3), 0);
	cap = b.dict[BK_PEER].cap;
	/* interleaved: the heavy ones among the crowd, not first */
	for (i = 0; i < 100000; i++) {
		sock_from(&b, 2000000 + i, TT_TIME_WAIT);
		total++;
		for (j = 0; j < 3; j++)
			if (i % every[j] == j || (j == 0 && i % 10 == 7) || (j == 0 && i % 10 == 8)) {
				sock_from(&b, heavy[j], TT_TIME_WAIT);
				truth[j]++;
				total++;
			}
	}
	assert_int_equal(truth[0], 30000);
	assert_int_equal(truth[1], 20000);
	assert_int_equal(truth[2], 10000);
	assert_true(b.dict[BK_PEER].evicted > 0);
	n = bk_top(&b, BK_PEER, 0, TT_TIME_WAIT, top, 3, &got);
	assert_int_equal(got, total);		/* the rows still hold every socket once */
	assert_int_equal(n, 3);
	for (i = 0; i < 3; i++) {
		assert_int_equal(client_of(&top[i].key), heavy[i]);	/* the heaviest first */
		assert_true(top[i].count >= truth[i]);
		assert_true(top[i].count - top[i].err <= truth[i]);
		assert_true(top[i].err <= total / cap);
	}
	bk_free(&b);
}

static const uint8_t lo4[4] = { 127, 0, 0, 1 };
static const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3 };
static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

/* Outbound only when our port is inside the range, its edges included. */
static void
test_peer_direction(void **state)
{
	struct breakdown b;
	struct bk_sock k;
	char text[64];
	int dir;

	(void)state;
	assert_int_equal(bk_init(&b, 1, 0, 5), 0);
	assert_int_equal(bk_set_port_range(&b, 40000, 40999), 0);
	assert_int_equal(bk_port_range_size(&b), 1000);
	assert_int_equal(bk_set_port_range(&b, 5, 4), -1);
	assert_int_equal(bk_port_range_size(&b), 1000);

	bk_keys(&b, AF_INET, TT_TIME_WAIT, 40000, 9500, lo4, 0, &k);
	assert_true(k.out);
	bk_key_peer(&k.key[BK_PEER], text, sizeof(text), &dir);
	assert_string_equal(text, "127.0.0.1:9500");
	assert_int_equal(dir, BK_OUT);
	bk_keys(&b, AF_INET, TT_TIME_WAIT, 40999, 9500, lo4, 0, &k);
	assert_true(k.out);
	bk_keys(&b, AF_INET, TT_ESTABLISHED, 39999, 51234, lo4, 0, &k);
	assert_false(k.out);
	bk_key_peer(&k.key[BK_PEER], text, sizeof(text), &dir);
	assert_string_equal(text, "127.0.0.1:39999");	/* its address, our port */
	assert_int_equal(dir, BK_IN);
	bk_keys(&b, AF_INET, TT_ESTABLISHED, 41000, 51234, lo4, 0, &k);
	assert_false(k.out);
	/* a listener inside the range is still inbound */
	bk_keys(&b, AF_INET, TT_LISTEN, 40500, 0, (const uint8_t[4]){ 0 }, 0, &k);
	assert_false(k.out);
	/* v4-mapped shows as IPv4, and is the same key as the IPv4 one */
	bk_keys(&b, AF_INET6, TT_ESTABLISHED, 40001, 443, mapped, 0, &k);
	bk_key_peer(&k.key[BK_PEER], text, sizeof(text), &dir);
	assert_string_equal(text, "10.1.2.3:443");
	{
		struct bk_sock k4;

		bk_keys(&b, AF_INET, TT_ESTABLISHED, 40002, 443, mapped + 12, 0, &k4);
		assert_memory_equal(&k4.key[BK_PEER], &k.key[BK_PEER], sizeof(k.key[BK_PEER]));
	}
	bk_keys(&b, AF_INET6, TT_CLOSE_WAIT, 40001, 443, v6, 0, &k);
	bk_key_peer(&k.key[BK_PEER], text, sizeof(text), &dir);
	assert_string_equal(text, "[2001:db8::1]:443");
	bk_free(&b);
}

/* Through the tally: every group x state's top rows and the rest add up. */
static void
test_tally_breakdown(void **state)
{
	static struct portrange p80[] = { { 80, 80 } };
	struct group g[1];
	struct config c;
	struct matcher m;
	struct tally t;
	struct breakdown b;
	struct tk_entry top[2];
	struct tt_sock s;
	uint8_t dst[4] = { 10, 0, 0, 0 };
	uint64_t sum, total;
	size_t n, i;
	int st;

	(void)state;
	memset(g, 0, sizeof(g));
	memset(&c, 0, sizeof(c));
	strcpy(g[0].name, "web");
	g[0].local_ports = p80;
	g[0].nlocal_ports = 1;
	c.groups = g;
	c.ngroups = 1;
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(tally_init(&t, 2), 0);
	assert_int_equal(bk_init(&b, 2, 2, 2), 0);
	t.bk = &b;
	memset(&s, 0, sizeof(s));
	s.family = AF_INET;
	s.src = lo4;
	s.dst = dst;
	/* 30 CLOSE_WAIT on port 80 from 10 clients, owned by cgroups 7 (20) and 9 (10) */
	for (i = 0; i < 30; i++) {
		dst[3] = (uint8_t)(i % 10);
		s.state = TT_CLOSE_WAIT;
		s.sport = 80;
		s.dport = (uint16_t)(50000 + i);
		s.cgroup = i < 20 ? 7 : 9;
		tally_add(&t, &m, &s);
	}
	/* 5 TIME_WAIT outbound to 10.0.0.99:5432, no cgroup */
	dst[3] = 99;
	for (i = 0; i < 5; i++) {
		s.state = TT_TIME_WAIT;
		s.sport = (uint16_t)(33000 + i);
		s.dport = 5432;
		s.cgroup = 0;
		tally_add(&t, &m, &s);
	}
	for (i = 0; i < 2; i++)
		for (st = 1; st <= TT_NSTATES; st++) {
			n = bk_top(&b, BK_PEER, i, st, top, 2, &total);
			assert_int_equal(total, t.count[i][st]);
			sum = 0;
			while (n > 0)
				sum += top[--n].count;
			assert_true(sum <= t.count[i][st]);
			bk_top(&b, BK_CGROUP, i, st, top, 2, &total);
			assert_int_equal(total, t.count[i][st]);
		}
	/* cgroups of web's CLOSE_WAIT: 7 then 9, exact */
	assert_int_equal(bk_top(&b, BK_CGROUP, 1, TT_CLOSE_WAIT, top, 2, &total), 2);
	assert_int_equal(bk_key_cgroup(&top[0].key), 7);
	assert_int_equal(top[0].count, 20);
	assert_int_equal(top[0].err, 0);
	assert_int_equal(bk_key_cgroup(&top[1].key), 9);
	/* peers: 10 inbound keys of 3 each, exact; top 2 of them leave 24 for (other) */
	assert_int_equal(bk_top(&b, BK_PEER, 1, TT_CLOSE_WAIT, top, 2, &total), 2);
	assert_int_equal(top[0].count + top[1].count, 6);
	assert_int_equal(total, 30);
	/* TIME_WAIT: not in web; in all under (kernel), and outbound toward one peer */
	assert_int_equal(bk_top(&b, BK_CGROUP, 0, TT_TIME_WAIT, top, 2, &total), 1);
	assert_int_equal(bk_key_cgroup(&top[0].key), 0);
	assert_int_equal(bk_top(&b, BK_PEER, 0, BK_ANY, top, 2, &total), 1);
	assert_int_equal(top[0].count, 5);
	bk_top(&b, BK_PEER, 1, BK_ANY, top, 2, &total);
	assert_int_equal(total, 0);
	/* a new sample starts from nothing */
	tally_reset(&t);
	assert_int_equal(bk_top(&b, BK_PEER, 0, BK_ANY, top, 2, &total), 0);
	assert_int_equal(total, 0);
	assert_int_equal(bk_top(&b, BK_CGROUP, 0, TT_TIME_WAIT, top, 2, &total), 0);
	assert_int_equal(b.dict[BK_PEER].n, 0);
	bk_free(&b);
	tally_free(&t);
	matcher_free(&m);
}

/*
 * A heavy key that first comes once the rows are full takes a row from the
 * lightest key, and is found within its bound beside a heavy key that had
 * its row from the start; the stream's total stays exact.
 */
static void
test_late_heavy(void **state)
{
	struct breakdown b;
	struct tk_entry top[3];
	uint64_t total;
	uint32_t i, cap, heavy = 0;
	size_t n;

	(void)state;
	assert_int_equal(bk_init(&b, 1, 0, 3), 0);
	cap = b.dict[BK_PEER].cap;
	for (i = 0; i < 3000; i++)
		sock_from(&b, 7, TT_ESTABLISHED);
	for (i = 0; i < cap + 5000; i++) {
		sock_from(&b, 100000 + i, TT_ESTABLISHED);
		if (i > cap && i % 2 == 0 && heavy < 2000) {
			sock_from(&b, 9, TT_ESTABLISHED);
			heavy++;
		}
	}
	assert_int_equal(heavy, 2000);
	assert_int_equal(b.dict[BK_PEER].n, cap);
	n = bk_top(&b, BK_PEER, 0, TT_ESTABLISHED, top, 3, &total);
	assert_int_equal(n, 3);
	assert_int_equal(client_of(&top[0].key), 7);	/* the row it had from the start */
	assert_int_equal(top[0].count, 3000);
	assert_int_equal(top[0].err, 0);
	assert_int_equal(client_of(&top[1].key), 9);	/* the late one */
	assert_true(top[1].count >= 2000 && top[1].count - top[1].err <= 2000);
	assert_true(top[1].err <= total / cap);
	assert_int_equal(total, 3000 + cap + 5000 + 2000);
	bk_reset(&b);
	assert_int_equal(b.dict[BK_PEER].n, 0);
	assert_int_equal(b.dict[BK_PEER].heaped, 0);
	bk_free(&b);
}

static uint64_t
ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

/* A fake tree: known ids, a new one walked once, a removed one gone. */
static void
test_cgmap(void **state)
{
	char root[] = "/tmp/tt-cgmap.XXXXXX", p[256];
	struct cgmap m;
	uint64_t a, b, c;
	unsigned walks;

	(void)state;
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/system.slice", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/system.slice/nginx.service", root);
	assert_int_equal(mkdir(p, 0755), 0);
	a = ino_of(p);
	assert_int_equal(cgmap_open(&m, root), 0);
	assert_string_equal(cgmap_path(&m, a), "/system.slice/nginx.service");
	assert_string_equal(cgmap_path(&m, ino_of(root)), "/");
	assert_null(cgmap_path(&m, 0));
	walks = m.walks;

	/* a cgroup made since: found by one more walk in the next sample */
	snprintf(p, sizeof(p), "%s/user.slice", root);
	assert_int_equal(mkdir(p, 0755), 0);
	b = ino_of(p);
	assert_null(cgmap_path(&m, b));		/* this sample has walked already */
	cgmap_round(&m);
	assert_string_equal(cgmap_path(&m, b), "/user.slice");
	assert_int_equal(m.walks, walks + 1);
	/* an id nobody has: at most one walk a sample */
	c = 0xdeadbeefULL;
	cgmap_round(&m);
	assert_null(cgmap_path(&m, c));
	assert_null(cgmap_path(&m, c));
	assert_int_equal(m.walks, walks + 2);
	/* removed: gone after the next walk */
	assert_int_equal(rmdir(p), 0);
	cgmap_round(&m);
	assert_null(cgmap_path(&m, c));
	assert_null(cgmap_path(&m, b));
	assert_string_equal(cgmap_path(&m, a), "/system.slice/nginx.service");
	cgmap_close(&m);
	snprintf(p, sizeof(p), "%s/system.slice/nginx.service", root);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/system.slice", root);
	rmdir(p);
	rmdir(root);
}

/* Ages by cookie: carried with their first time, new ones at now, reset when gone. */
static void
test_cwage(void **state)
{
	struct cwage a;
	uint64_t c;

	(void)state;
	assert_int_equal(cwage_init(&a), 0);
	cwage_begin(&a, 100);
	assert_int_equal(cwage_see(&a, 7), 100);
	assert_int_equal(cwage_see(&a, 8), 100);
	assert_int_equal(cwage_see(&a, 7), 100);	/* twice in one dump: once */
	assert_int_equal(a.ncur, 2);
	cwage_begin(&a, 110);
	assert_int_equal(cwage_see(&a, 7), 100);	/* carried: still since 100 */
	assert_int_equal(cwage_see(&a, 9), 110);	/* 8 is gone */
	cwage_begin(&a, 120);
	assert_int_equal(cwage_see(&a, 9), 110);
	assert_int_equal(cwage_see(&a, 8), 120);	/* back: a new sighting */
	assert_int_equal(cwage_see(&a, 0), -1);		/* no cookie */
	assert_int_equal(a.untracked, 1);
	/* a table full of new ones leaves room for every socket carried over */
	cwage_begin(&a, 130);
	for (c = 1000; c < 1000 + CW_CAP; c++)
		cwage_see(&a, c);
	assert_int_equal(a.ncur, CW_CAP - 2);		/* room kept for 8 and 9 */
	assert_int_equal(a.untracked, 2);
	assert_int_equal(cwage_see(&a, 9), 110);
	assert_int_equal(cwage_see(&a, 8), 120);
	assert_int_equal(a.ncur, CW_CAP);
	/* the next sample: all are carried over, nothing new fits */
	cwage_begin(&a, 140);
	assert_int_equal(cwage_see(&a, 1000), 130);
	assert_int_equal(cwage_see(&a, 5), -1);
	assert_int_equal(cwage_see(&a, 9), 110);
	/* with the old ones gone, new ones are tracked again */
	cwage_begin(&a, 150);
	cwage_begin(&a, 160);
	assert_int_equal(cwage_see(&a, 5), 160);
	cwage_free(&a);
}

/* Through the tally: the oldest per group, and the untracked counted. */
static void
test_tally_cwage(void **state)
{
	struct cwage a;
	struct matcher m;
	struct config c;
	struct tally t;
	struct tt_sock s;
	uint8_t addr[4] = { 127, 0, 0, 1 };

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(matcher_init(&m, &c), 0);
	assert_int_equal(tally_init(&t, 1), 0);
	assert_int_equal(cwage_init(&a), 0);
	t.cw = &a;
	memset(&s, 0, sizeof(s));
	s.family = AF_INET;
	s.src = s.dst = addr;
	s.state = TT_CLOSE_WAIT;
	tally_begin(&t, 1000);
	tally_reset(&t);
	s.cookie = 1;
	tally_add(&t, &m, &s);
	assert_int_equal(t.cw_since[0], 1000);
	tally_begin(&t, 1010);
	tally_reset(&t);
	tally_add(&t, &m, &s);
	s.cookie = 2;
	tally_add(&t, &m, &s);
	s.cookie = 0;
	tally_add(&t, &m, &s);
	assert_int_equal(t.cw_since[0], 1000);		/* the oldest: 10 s old */
	assert_int_equal(t.cw_untracked[0], 1);
	/* the old one closed: the age drops to the next oldest */
	tally_begin(&t, 1020);
	tally_reset(&t);
	s.cookie = 2;
	tally_add(&t, &m, &s);
	assert_int_equal(t.cw_since[0], 1010);
	assert_int_equal(t.cw_untracked[0], 0);
	/* none at all */
	tally_begin(&t, 1030);
	tally_reset(&t);
	assert_int_equal(t.cw_since[0], INT64_MAX);
	cwage_free(&a);
	tally_free(&t);
	matcher_free(&m);
}

static void
test_owners_parse(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(owners_socket_inode("socket:[12345]"), 12345);
	assert_int_equal(owners_socket_inode("socket:[4294967295]"), 4294967295u);
	assert_int_equal(owners_socket_inode("socket:[4294967296]"), 0);
	assert_int_equal(owners_socket_inode("socket:[12]x"), 0);
	assert_int_equal(owners_socket_inode("socket:[]"), 0);
	assert_int_equal(owners_socket_inode("pipe:[12]"), 0);
	assert_int_equal(owners_socket_inode("/dev/null"), 0);
	assert_int_equal(owners_cgroup_line("0::/system.slice/app.service\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/system.slice/app.service");
	assert_int_equal(owners_cgroup_line("12:memory:/x\n1:name=systemd:/y\n0::/z", out,
	    sizeof(out)), 0);
	assert_string_equal(out, "/z");
	assert_int_equal(owners_cgroup_line("12:memory:/x\n", out, sizeof(out)), -1);
}

/* A fake /proc: two processes, one holding 3 of the noted sockets, one 1. */
static void
test_owners_scan(void **state)
{
	char root[] = "/tmp/tt-proc.XXXXXX", p[256];
	const uint64_t all[2] = { 1, 0 }, g1[2] = { 1u << 2, 0 };
	struct owners o;
	int fd, i;

	(void)state;
	assert_non_null(mkdtemp(root));
	for (i = 0; i < 2; i++) {
		snprintf(p, sizeof(p), "%s/%d", root, 100 + i);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/%d/fd", root, 100 + i);
		assert_int_equal(mkdir(p, 0755), 0);
		snprintf(p, sizeof(p), "%s/%d/comm", root, 100 + i);
		assert_true((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
		assert_true(write(fd, i ? "nginx\n" : "app\n", i ? 6 : 4) > 0);
		close(fd);
		snprintf(p, sizeof(p), "%s/%d/cgroup", root, 100 + i);
		assert_true((fd = open(p, O_WRONLY | O_CREAT, 0644)) >= 0);
		assert_true(write(fd, "0::/svc\n", 8) > 0);
		close(fd);
	}
	assert_int_equal(symlink("socket:[501]", (snprintf(p, sizeof(p), "%s/100/fd/3", root), p)), 0);
	assert_int_equal(symlink("socket:[502]", (snprintf(p, sizeof(p), "%s/100/fd/4", root), p)), 0);
	assert_int_equal(symlink("socket:[503]", (snprintf(p, sizeof(p), "%s/100/fd/5", root), p)), 0);
	assert_int_equal(symlink("pipe:[504]", (snprintf(p, sizeof(p), "%s/100/fd/6", root), p)), 0);
	assert_int_equal(symlink("socket:[601]", (snprintf(p, sizeof(p), "%s/101/fd/3", root), p)), 0);
	assert_int_equal(symlink("socket:[999]", (snprintf(p, sizeof(p), "%s/101/fd/4", root), p)), 0);
	assert_int_equal(owners_init(&o), 0);
	owners_note(&o, 501, 0, 0);
	owners_note(&o, 502, 0, 1u << 1);	/* in user group 1 too */
	owners_note(&o, 503, 0, 0);
	owners_note(&o, 601, 0, 1u << 1);
	owners_note(&o, 0, 0, 0);		/* no inode: not noted */
	assert_int_equal(o.dropped, 1);
	assert_int_equal(owners_scan(&o, root, all), 4);
	assert_int_equal(o.np, 2);
	for (i = 0; i < 2; i++) {
		const struct ow_proc *q = &o.p[i];

		if (q->pid == 100) {
			assert_string_equal(q->comm, "app");
			assert_int_equal(q->count[0], 3);
			assert_int_equal(q->count[2], 1);
		} else {
			assert_int_equal(q->pid, 101);
			assert_string_equal(q->comm, "nginx");
			assert_int_equal(q->count[0], 1);
		}
		assert_string_equal(q->cgroup, "/svc");
	}
	/* only user group 1's sockets: 502 and 601 */
	assert_int_equal(owners_scan(&o, root, g1), 2);
	owners_reset(&o);
	assert_int_equal(owners_scan(&o, root, all), 0);
	owners_free(&o);
	snprintf(p, sizeof(p), "rm -rf %s", root);
	assert_int_equal(system(p), 0);
}

static void
test_mountinfo(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(cgmap_find_mount(
	    "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
	    "25 22 0:23 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n",
	    out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup");
	/* hybrid systemd layout, an escaped space, optional fields */
	assert_int_equal(cgmap_find_mount(
	    "30 25 0:26 / /sys/fs/cgroup/unified rw shared:10 master:3 - cgroup2 cgroup2 rw\n",
	    out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	assert_int_equal(cgmap_find_mount(
	    "30 25 0:26 / /mnt/my\\040cg rw - cgroup2 none rw\n", out, sizeof(out)), 0);
	assert_string_equal(out, "/mnt/my cg");
	/* v1 only, or cgroup2 bound from a subtree: none */
	assert_int_equal(cgmap_find_mount(
	    "30 25 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
	    "31 25 0:27 /kubepods /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n", out, sizeof(out)), -1);
	assert_int_equal(cgmap_find_mount("", out, sizeof(out)), -1);
	assert_int_equal(cgmap_find_mount("garbage without separator\n- cgroup2", out,
	    sizeof(out)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_peer_direction),
		cmocka_unit_test(test_tally_breakdown),
		cmocka_unit_test(test_late_heavy),
		cmocka_unit_test(test_cgmap),
		cmocka_unit_test(test_mountinfo),
		cmocka_unit_test(test_cwage),
		cmocka_unit_test(test_owners_parse),
		cmocka_unit_test(test_owners_scan),
		cmocka_unit_test(test_tally_cwage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
