/* Replays recorded sock_diag dumps (the fixtures/ files) through the pure parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"

#define FIX "fixtures/"

struct replay {
	int		 rc;		/* last diag_parse result */
	int		 sections;
	struct dump_ctx	 ctx;
	struct tally	 t;
	struct matcher	 m;
};

static struct group fam_groups[2];
static struct config fam_cfg;
static uint32_t expect4[TT_NSTATES + 1], expect6[TT_NSTATES + 1];

static int
setup(void **state)
{
	FILE *f = fopen(FIX "dump_expected.txt", "r");
	char name[32];
	int i;

	(void)state;
	assert_non_null(f);
	for (i = 1; i <= TT_NSTATES; i++)
		assert_int_equal(fscanf(f, "%31s %u %u", name, &expect4[i], &expect6[i]), 3);
	fclose(f);
	memset(fam_groups, 0, sizeof(fam_groups));
	strcpy(fam_groups[0].name, "v4");
	fam_groups[0].family = FAM_IPV4;
	strcpy(fam_groups[1].name, "v6");
	fam_groups[1].family = FAM_IPV6;
	fam_cfg.groups = fam_groups;
	fam_cfg.ngroups = 2;
	return 0;
}

/* Feed a fixture file chunk by chunk, as recv() returned it, until the parser stops. */
static void
replay(const char *file, struct replay *r)
{
	FILE *f;
	char magic[4];
	uint32_t seq = 0, portid = 0, len;
	void *buf;

	memset(r, 0, sizeof(*r));
	assert_int_equal(matcher_init(&r->m, &fam_cfg), 0);
	assert_int_equal(tally_init(&r->t, 3), 0);
	r->ctx.tally = &r->t;
	r->ctx.matcher = &r->m;
	assert_non_null(f = fopen(file, "rb"));
	for (;;) {
		if (r->rc != 1) {	/* start of a dump: its header */
			if (fread(magic, 4, 1, f) != 1)
				break;
			assert_memory_equal(magic, "TTNL", 4);
			assert_int_equal(fread(&seq, 4, 1, f), 1);
			assert_int_equal(fread(&portid, 4, 1, f), 1);
			r->sections++;
			r->ctx.done = 0;
		}
		if (fread(&len, 4, 1, f) != 1)
			break;
		assert_non_null(buf = malloc(len));
		assert_int_equal(fread(buf, 1, len, f), len);
		r->rc = diag_parse(buf, len, seq, portid, &r->ctx);
		free(buf);
		if (r->rc == -1)
			break;
	}
	fclose(f);
}

static void
replay_free(struct replay *r)
{
	tally_free(&r->t);
	matcher_free(&r->m);
}

static void
assert_counts_expected(struct replay *r)
{
	uint64_t sum = 0;
	int st;

	for (st = 1; st <= TT_NSTATES; st++) {
		assert_int_equal(r->t.count[0][st], expect4[st] + expect6[st]);
		assert_int_equal(r->t.count[1][st], expect4[st]);
		assert_int_equal(r->t.count[2][st], expect6[st]);
		sum += expect4[st] + expect6[st];
	}
	assert_int_equal(r->t.total, sum);
	assert_true(sum > 400);	/* the fixture is a real population */
	assert_true(expect6[TT_ESTABLISHED] > 0 && expect4[TT_TIME_WAIT] > 0);
	assert_true(expect4[TT_CLOSE_WAIT] > 0 && expect6[TT_FIN_WAIT2] > 0);
	assert_true(expect4[TT_LISTEN] > 0 && expect6[TT_LISTEN] > 0);
}

static void
test_legacy_one_walk(void **state)
{
	struct replay r;

	(void)state;
	replay(FIX "dump_legacy.bin", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.sections, 1);	/* both families in one dump */
	assert_true(r.ctx.done);
	assert_false(r.ctx.intr);
	assert_counts_expected(&r);
	replay_free(&r);
}

static void
test_v2_two_walks(void **state)
{
	struct replay r;

	(void)state;
	replay(FIX "dump_v2.bin", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.sections, 2);
	assert_counts_expected(&r);
	replay_free(&r);
}

static void
test_truncated(void **state)
{
	struct replay r;

	(void)state;
	replay(FIX "dump_truncated.bin", &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ctx.err, EBADMSG);
	assert_string_equal(r.ctx.why, "truncated netlink message");
	assert_int_equal(r.t.total, 2);		/* the two whole messages before the cut */
	replay_free(&r);
}

static void
test_nlmsg_error(void **state)
{
	struct replay r;

	(void)state;
	replay(FIX "dump_error.bin", &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ctx.err, EINVAL);
	assert_string_equal(r.ctx.why, "the kernel refused the dump request");
	assert_int_equal(r.t.total, 0);
	replay_free(&r);
}

static void
test_dump_intr(void **state)
{
	struct replay r;

	(void)state;
	replay(FIX "dump_intr.bin", &r);
	assert_int_equal(r.rc, 0);
	assert_true(r.ctx.intr);	/* the caller retries, then flags the sample */
	assert_counts_expected(&r);
	replay_free(&r);
}

static void
test_wrong_seq(void **state)
{
	struct replay r;

	(void)state;
	replay(FIX "dump_badseq.bin", &r);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.ctx.err, EPROTO);
	assert_string_equal(r.ctx.why, "reply with a wrong sequence number or port id");
	replay_free(&r);
}

/* Crafted in memory: a message too short for inet_diag_msg, and DONE with an error. */
static void
test_short_payload_and_done_error(void **state)
{
	struct {
		struct nlmsghdr h;
		char payload[16];
	} msg;
	struct {
		struct nlmsghdr h;
		int status;
	} done;
	struct replay r;

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(tally_init(&r.t, 1), 0);
	r.ctx.tally = &r.t;
	r.ctx.matcher = &r.m;
	memset(&msg, 0, sizeof(msg));
	msg.h.nlmsg_len = sizeof(msg);
	msg.h.nlmsg_type = TCPDIAG_GETSOCK;
	msg.h.nlmsg_seq = 5;
	assert_int_equal(diag_parse(&msg, sizeof(msg), 5, 0, &r.ctx), -1);
	assert_string_equal(r.ctx.why, "truncated inet_diag_msg");
	memset(&done, 0, sizeof(done));
	done.h.nlmsg_len = sizeof(done);
	done.h.nlmsg_type = NLMSG_DONE;
	done.h.nlmsg_seq = 5;
	done.status = -ENOBUFS;
	assert_int_equal(diag_parse(&done, sizeof(done), 5, 0, &r.ctx), -1);
	assert_int_equal(r.ctx.err, ENOBUFS);
	done.status = 0;
	memset(&r.ctx.err, 0, sizeof(r.ctx.err));
	assert_int_equal(diag_parse(&done, sizeof(done), 5, 0, &r.ctx), 0);
	assert_true(r.ctx.done);
	/* zero bytes is "more to come", never a crash */
	assert_int_equal(diag_parse(&done, 0, 5, 0, &r.ctx), 1);
	/* a header claiming more than it holds */
	done.h.nlmsg_len = 4096;
	assert_int_equal(diag_parse(&done, sizeof(done), 5, 0, &r.ctx), -1);
	tally_free(&r.t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legacy_one_walk),
		cmocka_unit_test(test_v2_two_walks),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_nlmsg_error),
		cmocka_unit_test(test_dump_intr),
		cmocka_unit_test(test_wrong_seq),
		cmocka_unit_test(test_short_payload_and_done_error),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
