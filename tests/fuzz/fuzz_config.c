/*
 * Fuzz the YAML config loader through its pure entry point, config_parse
 * (config_open is only the file read and the permission check around it).
 * A load must fail with at least one message, each naming the file, or
 * succeed with a config that keeps every rule the loader promises.
 */
#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/config.h"

#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"
#define DURATION_MAX	(100LL * 365 * 86400)

#define CHECK(cond)	do { if (!(cond)) fail(#cond, __LINE__); } while (0)

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char path[] = "fuzz.yaml";

static void
fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_config.c:%d: check failed: %s\n", line, what);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_config", LOG_LVL_QUIET);
	return 0;
}

static int
name_ok(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len < TT_NAME_MAX && s[strspn(s, NAME_CHARS)] == '\0';
}

static int
port_ok(const struct portrange *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].lo < 1 || r[i].lo > r[i].hi)
			return 0;
	return 1;
}

static int
cidr_ok(const struct cidr *c, size_t n, int family)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (c[i].family != AF_INET && c[i].family != AF_INET6)
			return 0;
		if (c[i].prefix > (c[i].family == AF_INET ? 32 : 128))
			return 0;
		if ((family == FAM_IPV4 && c[i].family != AF_INET) ||
		    (family == FAM_IPV6 && c[i].family != AF_INET6))
			return 0;
	}
	return 1;
}

static void
check_groups(const struct config *c)
{
	const struct group *g;
	size_t i, j;

	CHECK(c->ngroups <= TT_MAX_GROUPS);
	CHECK(c->ngroups == 0 || c->groups != NULL);
	for (i = 0; i < c->ngroups; i++) {
		g = &c->groups[i];
		CHECK(name_ok(g->name) && strcmp(g->name, "all") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->groups[j].name, g->name) != 0);
		CHECK(config_group_index(c, g->name) == (int)i + 1);
		CHECK(g->family == FAM_ANY || g->family == FAM_IPV4 || g->family == FAM_IPV6);
		CHECK(port_ok(g->local_ports, g->nlocal_ports));
		CHECK(port_ok(g->remote_ports, g->nremote_ports));
		CHECK(cidr_ok(g->local_addrs, g->nlocal_addrs, g->family));
		CHECK(cidr_ok(g->remote_addrs, g->nremote_addrs, g->family));
	}
}

static void
check_thresholds(const struct config *c)
{
	const struct threshold *t;
	size_t i, j;

	for (i = 0; i < c->nthresholds; i++) {
		t = &c->thresholds[i];
		CHECK(name_ok(t->name));
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->thresholds[j].name, t->name) != 0);
		CHECK(config_group_index(c, t->group) >= 0);
		CHECK(state_name(t->state) != NULL);
		CHECK(t->severity == SEV_WARNING || t->severity == SEV_CRITICAL);
		CHECK(t->has_above + t->has_below + t->has_growth == 1);
		CHECK(!t->has_above || t->above >= 0);
		CHECK(!t->has_below || t->below >= 0);
		CHECK(!t->has_growth || (t->growth > 0 && t->window > 0));
		CHECK(t->window >= 0 && t->window <= DURATION_MAX);
		CHECK(t->for_secs >= 0 && t->for_secs <= DURATION_MAX);
	}
}

static void
check(const struct config *c)
{
	CHECK(c->path != NULL && strcmp(c->path, path) == 0);
	CHECK(c->database != NULL && c->database[0] != '\0');
	CHECK(c->host != NULL && strlen(c->host) < TT_NAME_MAX &&
	    text_printable(c->host, strlen(c->host)));
	CHECK(c->interval >= 1 && c->interval <= 3600);
	CHECK(c->retention_raw >= 0 && c->retention_raw <= DURATION_MAX);
	CHECK(c->retention_hourly >= 0 && c->retention_hourly <= DURATION_MAX);
	check_groups(c);
	check_thresholds(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct errlist errs = { NULL, 0 };
	struct config *c;
	size_t i;

	c = config_parse((const char *)data, size, path, &errs);
	if (c == NULL)
		CHECK(errs.n > 0);
	else {
		CHECK(errs.n == 0);
		check(c);
		config_free(c);
	}
	for (i = 0; i < errs.n; i++)
		CHECK(strncmp(errs.msg[i], path, strlen(path)) == 0);
	errlist_free(&errs);
	return 0;
}
