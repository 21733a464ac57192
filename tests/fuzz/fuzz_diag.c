/*
 * Fuzz the sock_diag reply parser, diag_parse, as the collector calls it on
 * one recv() chunk.  Input: u32 seq, u32 portid (host order, as in the
 * recorded "TTNL" fixtures), then the chunk's bytes.  Sockets are counted
 * into a tally through a matcher built once from a config with port,
 * family and address conditions.  After any chunk the tally must add up and
 * a failure must say why.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

#define CHECK(cond)	do { if (!(cond)) fail(#cond, __LINE__); } while (0)

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char config_yaml[] =
    "groups:\n"
    "  - name: web\n"
    "    local_ports: [80, 443, \"8000-8099\"]\n"
    "    remote_addrs: [\"10.0.0.0/8\", \"127.0.0.0/8\", \"::1\"]\n"
    "  - name: v6\n"
    "    family: ipv6\n"
    "    local_addrs: [\"fd00::/8\", \"::1/128\"]\n"
    "  - name: v4-clients\n"
    "    family: ipv4\n"
    "    remote_ports: [\"1024-65535\"]\n"
    "  - name: anything\n";

static struct config *cfg;
static struct matcher matcher;
static struct tally tally;

static void
fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_diag.c:%d: check failed: %s\n", line, what);
	abort();
}

/* The real parser. */
static struct config *
load_config(void)
{
	struct errlist errs = { NULL, 0 };
	struct config *c;
	size_t i;

	c = config_parse(config_yaml, sizeof(config_yaml) - 1, "fuzz.yaml", &errs);
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "fuzz_diag: %s\n", errs.msg[i]);
	errlist_free(&errs);
	return c;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_diag", LOG_LVL_QUIET);
	if ((cfg = load_config()) == NULL || cfg->ngroups != 4 ||
	    matcher_init(&matcher, cfg) == -1 ||
	    tally_init(&tally, 1 + cfg->ngroups) == -1) {
		fprintf(stderr, "fuzz_diag: cannot set up the matcher\n");
		exit(1);
	}
	return 0;
}

static void
check_tally(const struct tally *t)
{
	uint64_t sum = 0;
	size_t g;
	int st;

	for (st = 1; st <= TT_NSTATES; st++) {
		sum += t->count[0][st];
		for (g = 1; g < t->ngroups; g++)
			CHECK(t->count[g][st] <= t->count[0][st]);
	}
	/* `anything` has no conditions: it counts what `all` counts. */
	for (st = 1; st <= TT_NSTATES; st++)
		CHECK(t->count[4][st] == t->count[0][st]);
	CHECK(sum + t->unknown_state == t->total);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dump_ctx ctx;
	uint32_t seq, portid;
	void *buf;
	size_t len;
	int rc;

	if (size < 8)
		return 0;
	memcpy(&seq, data, 4);
	memcpy(&portid, data + 4, 4);
	len = size - 8;
	/* The chunk alone, aligned like recv()'s buffer, its end where ASan sees it. */
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(buf, data + 8, len);
	memset(&ctx, 0, sizeof(ctx));
	ctx.tally = &tally;
	ctx.matcher = &matcher;
	tally_reset(&tally);
	rc = diag_parse(buf, len, seq, portid, &ctx);
	free(buf);
	CHECK(rc == -1 || rc == 0 || rc == 1);
	if (rc == -1)
		CHECK(ctx.err != 0 && ctx.why != NULL && !ctx.done);
	else
		CHECK(ctx.err == 0 && ctx.why == NULL);
	CHECK((rc == 0) == (ctx.done != 0));
	check_tally(&tally);
	return 0;
}
