/*
 * Kernel faults through diag_sample(): the socket I/O hooks of struct diag
 * replay recorded and crafted dumps (fixtures/), one dump per request sent,
 * with their seq and portid rewritten to the ones diag_sample expects. Each
 * fault must give a retried and then correct sample, a sample flagged
 * suspect, or -1 (the slot is recorded as missed): never wrong counts.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "collector.h"
#include "tcptally/db.h"

#define FIX		"fixtures/"
#define MAX_CHUNKS	64
#define MAX_STEPS	6

/* One recorded dump: the reply to one request. */
struct section {
	uint32_t	 seq, portid;	/* as recorded */
	size_t		 nchunks;
	size_t		 len[MAX_CHUNKS];
	unsigned char	*chunk[MAX_CHUNKS];
};

/* What the kernel does for one request. */
struct step {
	const struct section *dump;	/* NULL: the request is answered by nothing */
	int		 recv_errno;	/* one recv fails with this, then the dump goes on */
	size_t		 recv_after;	/* ... after this many chunks */
	int		 send_errno;	/* the send fails with this; no dump */
};

enum fixture {
	LEGACY, V2_INET, V2_INET6, ERROR, TRUNCATED, INTR, BADSEQ,
	V2_INET_INTR,	/* crafted here: V2_INET with DUMP_INTR on one message */
	NFIX
};
static const struct {
	const char	*file;
	int		 section;
} fixfiles[NFIX] = {
	[LEGACY] = { "dump_legacy.bin", 0 },
	[V2_INET] = { "dump_v2.bin", 0 },
	[V2_INET6] = { "dump_v2.bin", 1 },
	[ERROR] = { "dump_error.bin", 0 },
	[TRUNCATED] = { "dump_truncated.bin", 0 },
	[INTR] = { "dump_intr.bin", 0 },
	[BADSEQ] = { "dump_badseq.bin", 0 },
	[V2_INET_INTR] = { "dump_v2.bin", 0 },
};
static struct section fix[NFIX];

/* struct diag first, so that the hooks find the script from the diag they get. */
struct fake {
	struct diag	 d;
	struct step	 steps[MAX_STEPS];
	size_t		 nsteps, next;	/* next step: for the next request */
	const struct step *cur;		/* the step being answered */
	size_t		 chunk;
	int		 recv_failed;
	uint16_t	 sent_type[MAX_STEPS];
	uint8_t		 sent_family[MAX_STEPS];
};

static struct group fam_groups[2];
static struct config fam_cfg;
static uint32_t expect4[TT_NSTATES + 1], expect6[TT_NSTATES + 1];

static void
load_section(const char *file, int want, struct section *sec)
{
	FILE *f;
	uint32_t len;
	int at = -1;

	memset(sec, 0, sizeof(*sec));
	assert_non_null(f = fopen(file, "rb"));
	for (;;) {
		if (fread(&len, 4, 1, f) != 1)
			break;
		if (memcmp(&len, "TTNL", 4) == 0) {
			at++;
			assert_int_equal(fread(at == want ? &sec->seq : &len, 4, 1, f), 1);
			assert_int_equal(fread(at == want ? &sec->portid : &len, 4, 1, f), 1);
			continue;
		}
		if (at != want) {
			assert_int_equal(fseek(f, len, SEEK_CUR), 0);
			continue;
		}
		assert_true(sec->nchunks < MAX_CHUNKS);
		assert_non_null(sec->chunk[sec->nchunks] = malloc(len));
		assert_int_equal(fread(sec->chunk[sec->nchunks], 1, len, f), len);
		sec->len[sec->nchunks++] = len;
	}
	fclose(f);
	assert_true(at >= want);
	assert_true(sec->nchunks > 0);
}

static int
setup(void **state)
{
	FILE *f = fopen(FIX "dump_expected.txt", "r");
	char name[32], path[128];
	struct nlmsghdr *nlh;
	int i;

	(void)state;
	log_init("test_diag_sample", LOG_LVL_INFO);
	assert_non_null(f);
	for (i = 1; i <= TT_NSTATES; i++)
		assert_int_equal(fscanf(f, "%31s %u %u", name, &expect4[i], &expect6[i]), 3);
	fclose(f);
	for (i = 0; i < NFIX; i++) {
		snprintf(path, sizeof(path), FIX "%s", fixfiles[i].file);
		load_section(path, fixfiles[i].section, &fix[i]);
	}
	/* on the first message, well before the dump ends */
	nlh = (struct nlmsghdr *)fix[V2_INET_INTR].chunk[0];
	assert_true(fix[V2_INET_INTR].nchunks > 1 && nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	memset(fam_groups, 0, sizeof(fam_groups));
	strcpy(fam_groups[0].name, "v4");
	fam_groups[0].family = FAM_IPV4;
	strcpy(fam_groups[1].name, "v6");
	fam_groups[1].family = FAM_IPV6;
	fam_cfg.groups = fam_groups;
	fam_cfg.ngroups = 2;
	return 0;
}

static int
teardown(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < NFIX; i++)
		for (j = 0; j < fix[i].nchunks; j++)
			free(fix[i].chunk[j]);
	return 0;
}

static ssize_t
fake_send(struct diag *d, const void *buf, size_t len)
{
	struct fake *fk = (struct fake *)d;
	const struct nlmsghdr *nlh = buf;
	const uint8_t *req = mnl_nlmsg_get_payload(nlh);

	assert_true(len >= sizeof(*nlh) + 1 && nlh->nlmsg_len == len);
	assert_int_equal(nlh->nlmsg_seq, d->seq);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	assert_true(fk->next < fk->nsteps);	/* no request beyond the script */
	fk->sent_type[fk->next] = nlh->nlmsg_type;
	fk->sent_family[fk->next] = req[0];	/* idiag_family or sdiag_family */
	fk->cur = &fk->steps[fk->next++];
	fk->chunk = 0;
	fk->recv_failed = 0;
	if (fk->cur->send_errno != 0) {
		errno = fk->cur->send_errno;
		return -1;
	}
	return (ssize_t)len;
}

/* The next chunk of the current dump, as if the kernel had answered this request. */
static ssize_t
fake_recv(struct diag *d, void *buf, size_t len)
{
	struct fake *fk = (struct fake *)d;
	const struct section *sec;
	struct nlmsghdr *nlh;
	int left;

	assert_non_null(fk->cur);
	if (fk->cur->recv_errno != 0 && !fk->recv_failed &&
	    fk->chunk == fk->cur->recv_after) {
		fk->recv_failed = 1;
		errno = fk->cur->recv_errno;
		return -1;
	}
	sec = fk->cur->dump;
	/* diag_sample reads only until the dump ends or fails */
	assert_non_null(sec);
	assert_true(fk->chunk < sec->nchunks);
	assert_true(sec->len[fk->chunk] <= len);
	memcpy(buf, sec->chunk[fk->chunk], sec->len[fk->chunk]);
	left = (int)sec->len[fk->chunk];
	for (nlh = buf; mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
		nlh->nlmsg_seq = nlh->nlmsg_seq - sec->seq + d->seq;	/* a stray stays stray */
		if (nlh->nlmsg_pid == sec->portid)
			nlh->nlmsg_pid = d->portid;
	}
	return (ssize_t)sec->len[fk->chunk++];
}

struct outcome {
	int		 rc;
	unsigned	 flags;
	int		 err;		/* errno when rc is -1 */
	int		 mode;		/* d->mode afterwards */
};

struct sample_case {
	const char	*name;
	int		 mode;
	struct step	 steps[MAX_STEPS];
	struct outcome	 want;
};

static void
assert_counts_expected(const struct tally *t)
{
	uint64_t sum = 0;
	int st;

	for (st = 1; st <= TT_NSTATES; st++) {
		assert_int_equal(t->count[0][st], expect4[st] + expect6[st]);
		assert_int_equal(t->count[1][st], expect4[st]);
		assert_int_equal(t->count[2][st], expect6[st]);
		sum += expect4[st] + expect6[st];
	}
	assert_int_equal(t->total, sum);
	assert_true(sum > 400);
}

/* A whole AF_INET dump: the next v2 request is for AF_INET6. */
static int
inet_done(const struct step *st)
{
	return (st->dump == &fix[V2_INET] || st->dump == &fix[V2_INET_INTR]) &&
	    st->recv_errno != ENOBUFS && st->send_errno == 0;
}

/* Legacy requests until the kernel refuses one; then v2, AF_INET and AF_INET6 in turn. */
static void
check_requests(const struct fake *fk, const struct sample_case *c)
{
	size_t i;
	int v2 = c->mode == DIAG_V2, inet6 = 0;

	for (i = 0; i < fk->nsteps; i++) {
		if (!v2) {
			assert_int_equal(fk->sent_type[i], TCPDIAG_GETSOCK);
			v2 = fk->steps[i].dump == &fix[ERROR] && c->want.mode == DIAG_V2;
			continue;
		}
		assert_int_equal(fk->sent_type[i], SOCK_DIAG_BY_FAMILY);
		assert_int_equal(fk->sent_family[i], inet6 ? AF_INET6 : AF_INET);
		inet6 = !inet6 && inet_done(&fk->steps[i]);
	}
}

static void
run_case(const struct sample_case *c)
{
	struct fake fk;
	struct tally t;
	struct matcher m;
	unsigned flags = 0xff;
	int rc;

	memset(&fk, 0, sizeof(fk));
	/* a real socket, so that the reopen after a bad dump is the real one */
	assert_int_equal(diag_open(&fk.d, c->mode), 0);
	fk.d.send = fake_send;
	fk.d.recv = fake_recv;
	memcpy(fk.steps, c->steps, sizeof(fk.steps));
	while (fk.nsteps < MAX_STEPS &&
	    (fk.steps[fk.nsteps].dump != NULL || fk.steps[fk.nsteps].send_errno != 0))
		fk.nsteps++;
	assert_int_equal(matcher_init(&m, &fam_cfg), 0);
	assert_int_equal(tally_init(&t, 3), 0);

	errno = 0;
	rc = diag_sample(&fk.d, &t, &m, &flags);
	print_message("%-44s rc %2d flags %u%s%s%s, %zu request%s\n", c->name, rc, flags,
	    flags & SAMPLE_RETRIED ? " retried" : "", flags & SAMPLE_SUSPECT ? " suspect" : "",
	    rc == -1 ? " (slot missed)" : "", fk.next, fk.next == 1 ? "" : "s");
	assert_int_equal(rc, c->want.rc);
	assert_int_equal(flags, c->want.flags);
	assert_int_equal(fk.d.mode, c->want.mode);
	assert_int_equal(fk.next, fk.nsteps);	/* the whole script, nothing more */
	if (rc == 0)
		assert_counts_expected(&t);	/* never silently wrong */
	else
		assert_int_equal(errno, c->want.err);
	check_requests(&fk, c);
	/* a second sample on the same diag after the fault works as normal */
	memset(fk.steps, 0, sizeof(fk.steps));
	if (c->want.mode == DIAG_LEGACY) {
		fk.steps[0].dump = &fix[LEGACY];
		fk.nsteps = 1;
	} else {
		fk.steps[0].dump = &fix[V2_INET];
		fk.steps[1].dump = &fix[V2_INET6];
		fk.nsteps = 2;
	}
	fk.next = 0;
	assert_int_equal(diag_sample(&fk.d, &t, &m, &flags), 0);
	assert_int_equal(flags, 0);
	assert_counts_expected(&t);

	diag_close(&fk.d);
	tally_free(&t);
	matcher_free(&m);
}

#define L(f)		{ &fix[f], 0, 0, 0 }
#define RECV_ERR(f, e)	{ &fix[f], e, 0, 0 }
#define RECV_ERR_AT(f, e, n)	{ &fix[f], e, n, 0 }
#define SEND_ERR(e)	{ NULL, 0, 0, e }
#define V2OK		L(V2_INET), L(V2_INET6)

#define OK		{ 0, 0, 0, DIAG_LEGACY }
#define RETRIED		{ 0, SAMPLE_RETRIED, 0, DIAG_LEGACY }
#define SUSPECT		{ 0, SAMPLE_RETRIED | SAMPLE_SUSPECT, 0, DIAG_LEGACY }
#define MISSED(e)	{ -1, SAMPLE_RETRIED, e, DIAG_LEGACY }

static const struct sample_case cases[] = {
	{ "clean legacy dump", DIAG_LEGACY, { L(LEGACY) }, OK },
	{ "clean v2 dumps", DIAG_V2, { V2OK }, { 0, 0, 0, DIAG_V2 } },
	/* NLMSG_ERROR -EINVAL to the legacy request: fall back to v2, not a retry */
	{ "legacy refused (EINVAL): v2 fallback", DIAG_LEGACY,
	    { L(ERROR), V2OK }, { 0, 0, 0, DIAG_V2 } },
	{ "v2 fallback, then ENOBUFS on AF_INET6", DIAG_LEGACY,
	    { L(ERROR), L(V2_INET), RECV_ERR(V2_INET6, ENOBUFS), V2OK },
	    { 0, SAMPLE_RETRIED, 0, DIAG_V2 } },
	{ "NLMSG_ERROR in v2, then clean", DIAG_V2,
	    { L(ERROR), V2OK }, { 0, SAMPLE_RETRIED, 0, DIAG_V2 } },
	{ "NLMSG_ERROR twice in v2", DIAG_V2,
	    { L(ERROR), L(ERROR) }, { -1, SAMPLE_RETRIED, EINVAL, DIAG_V2 } },
	{ "v2 DUMP_INTR, then clean", DIAG_V2,
	    { L(V2_INET_INTR), L(V2_INET6), V2OK }, { 0, SAMPLE_RETRIED, 0, DIAG_V2 } },
	{ "v2 DUMP_INTR twice: kept, flagged suspect", DIAG_V2,
	    { L(V2_INET_INTR), L(V2_INET6), L(V2_INET_INTR), L(V2_INET6) },
	    { 0, SAMPLE_RETRIED | SAMPLE_SUSPECT, 0, DIAG_V2 } },
	{ "truncated, then clean", DIAG_LEGACY, { L(TRUNCATED), L(LEGACY) }, RETRIED },
	{ "truncated twice", DIAG_LEGACY, { L(TRUNCATED), L(TRUNCATED) }, MISSED(EBADMSG) },
	{ "DUMP_INTR, then clean", DIAG_LEGACY, { L(INTR), L(LEGACY) }, RETRIED },
	{ "DUMP_INTR twice: kept, flagged suspect", DIAG_LEGACY, { L(INTR), L(INTR) }, SUSPECT },
	{ "DUMP_INTR, then truncated", DIAG_LEGACY,
	    { L(INTR), L(TRUNCATED) }, MISSED(EBADMSG) },
	{ "wrong sequence number, then clean", DIAG_LEGACY, { L(BADSEQ), L(LEGACY) }, RETRIED },
	{ "wrong sequence number twice", DIAG_LEGACY, { L(BADSEQ), L(BADSEQ) }, MISSED(EPROTO) },
	/* EINTR restarts the read; it loses nothing, so it is not a retry */
	{ "EINTR from recv", DIAG_LEGACY, { RECV_ERR(LEGACY, EINTR) }, OK },
	{ "EINTR from recv in v2", DIAG_V2,
	    { RECV_ERR(V2_INET, EINTR), RECV_ERR(V2_INET6, EINTR) }, { 0, 0, 0, DIAG_V2 } },
	/* ENOBUFS: replies were dropped, the dump is incomplete */
	{ "ENOBUFS from recv, then clean", DIAG_LEGACY,
	    { RECV_ERR(LEGACY, ENOBUFS), L(LEGACY) }, RETRIED },
	{ "ENOBUFS mid-dump, then clean", DIAG_LEGACY,
	    { RECV_ERR_AT(LEGACY, ENOBUFS, 1), L(LEGACY) }, RETRIED },
	{ "EINTR mid-dump", DIAG_LEGACY, { RECV_ERR_AT(LEGACY, EINTR, 1) }, OK },
	{ "ENOBUFS twice", DIAG_LEGACY,
	    { RECV_ERR(LEGACY, ENOBUFS), RECV_ERR(LEGACY, ENOBUFS) }, MISSED(ENOBUFS) },
	{ "ENOBUFS in v2 AF_INET6, then clean", DIAG_V2,
	    { L(V2_INET), RECV_ERR(V2_INET6, ENOBUFS), V2OK },
	    { 0, SAMPLE_RETRIED, 0, DIAG_V2 } },
	{ "send fails, then clean", DIAG_LEGACY, { SEND_ERR(EAGAIN), L(LEGACY) }, RETRIED },
	{ "send fails twice", DIAG_LEGACY, { SEND_ERR(EAGAIN), SEND_ERR(EAGAIN) },
	    MISSED(EAGAIN) },
};

static void
test_case(void **state)
{
	run_case(*state);
}

int
main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0])];
	size_t i;

	memset(tests, 0, sizeof(tests));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tests[i].name = cases[i].name;
		tests[i].test_func = test_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
