/*
 * The config file: YAML (libyaml) into struct config.  Every problem is
 * collected with its FILE:LINE:COL and reported in file order; any one of
 * them fails the load, so a bad reload never half-applies.  The generic
 * YAML handling is in cfgyaml.c; this file knows tcptally's keys and does
 * no I/O (config_file.c finds, checks and reads the file).
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "tcptally/config.h"
#include "tcptally/timeutil.h"
#include "cfgyaml.h"
#include "config_int.h"


int
cfg_get_duration(struct cfgyaml *y, const yaml_node_t *n, const char *key,
    int64_t *out)
{
	const char *s, *why;

	if ((s = cfg_scalar(y, n, key, "a duration like 10s")) == NULL)
		return -1;
	if (duration_parse(s, out, &why) == -1) {
		cfg_perr(y, n, "bad duration '%s' for '%s': %s", s, key, why);
		return -1;
	}
	return 0;
}

int
cfg_get_count(struct cfgyaml *y, const yaml_node_t *n, const char *key,
    int64_t *out)
{
	const char *s;
	char *end;

	if ((s = cfg_scalar(y, n, key, "a socket count")) == NULL)
		return -1;
	errno = 0;
	if (!isdigit((unsigned char)*s) ||
	    (*out = strtoll(s, &end, 10), *end != '\0') || errno == ERANGE) {
		cfg_perr(y, n, "'%s' must be a non-negative integer (a socket "
		    "count), not '%s'", key, s);
		return -1;
	}
	return 0;
}

/* Group and threshold names end up in SQL rows, labels and command lines. */
const char *
cfg_get_name(struct cfgyaml *y, const yaml_node_t *n, const char *what)
{
	const char *s;

	if ((s = cfg_scalar(y, n, "name", "a name")) == NULL)
		return NULL;
	if (*s == '\0')
		cfg_perr(y, n, "%s name is empty; give it a name such as '%s'",
		    what, strcmp(what, "group") == 0 ? "web" :
		    "close-wait-leak");
	else if (strlen(s) >= TT_NAME_MAX)
		cfg_perr(y, n, "%s name '%s' is too long (at most %d "
		    "characters)", what, s, TT_NAME_MAX - 1);
	else if (s[strspn(s, NAME_CHARS)] != '\0')
		cfg_perr(y, n, "%s name '%s' has invalid characters; use only "
		    "A-Z a-z 0-9 _ . -", what, s);
	else
		return s;
	return NULL;
}

static void
parse_ports(struct cfgyaml *y, const yaml_node_t *n, const char *key,
    struct portrange **out, size_t *nout)
{
	yaml_node_item_t *it;
	const char *s, *why;

	if ((*out = cfg_seq_alloc(y, n, key,
	    "ports, e.g. [80, 443, \"8000-8099\"]", sizeof(**out))) == NULL)
		return;
	for (it = ITEMS(n).start; it < ITEMS(n).top; it++) {
		if ((s = cfg_item(y, cfg_node(y, *it), key,
		    "a port or a \"LOW-HIGH\" range")) == NULL)
			continue;
		if (portrange_parse(s, &(*out)[*nout], &why) == -1)
			cfg_perr(y, cfg_node(y, *it), "bad port '%s' in %s: %s",
			    s, key, why);
		else
			(*nout)++;
	}
}

static void
parse_addrs(struct cfgyaml *y, const yaml_node_t *n, const char *key,
    int family, struct cidr **out, size_t *nout)
{
	static const char *const fam[] = { "IPv4", "IPv6" };
	yaml_node_item_t *it;
	yaml_node_t *v;
	struct cidr *c;
	const char *s, *why;
	int v6;

	if ((*out = cfg_seq_alloc(y, n, key, "CIDRs, e.g. [\"10.0.0.0/8\"]",
	    sizeof(**out))) == NULL)
		return;
	for (it = ITEMS(n).start; it < ITEMS(n).top; it++) {
		v = cfg_node(y, *it);
		c = &(*out)[*nout];
		if ((s = cfg_item(y, v, key,
		    "a CIDR such as \"10.0.0.0/8\"")) == NULL)
			continue;
		if (cidr_parse(s, c, &why) == -1) {
			cfg_perr(y, v, "bad CIDR '%s' in %s: %s", s, key, why);
			continue;
		}
		v6 = c->family == AF_INET6;
		/* Such an address could never match: a mistake, not a no-op. */
		if ((family == FAM_IPV4 && v6) || (family == FAM_IPV6 && !v6))
			cfg_perr(y, v, "'%s' in %s is %s, but this group has "
			    "family: %s; remove the address or use family: "
			    "any", s, key, fam[v6], v6 ? "ipv4" : "ipv6");
		else
			(*nout)++;
	}
}

static int
parse_family(struct cfgyaml *y, const yaml_node_t *n)
{
	const char *s;

	if ((s = cfg_scalar(y, n, "family", "any, ipv4 or ipv6")) == NULL)
		return FAM_ANY;
	if (strcmp(s, "ipv4") == 0)
		return FAM_IPV4;
	if (strcmp(s, "ipv6") == 0)
		return FAM_IPV6;
	if (strcmp(s, "any") != 0)
		cfg_perr(y, n, "family must be any, ipv4 or ipv6, not '%s'", s);
	return FAM_ANY;
}

static void
group_name(struct ctx *x, const yaml_node_t *n, const yaml_node_t *v, size_t i)
{
	struct cfgyaml *y = &x->y;
	const char *s;
	size_t j;

	if (v == NULL) {
		cfg_perr(y, n, "group has no 'name'; add one, e.g. name: web");
		return;
	}
	if ((s = cfg_get_name(y, v, "group")) == NULL)
		return;
	if (strcmp(s, "all") == 0) {
		cfg_perr(y, v, "group name 'all' is reserved for the built-in "
		    "group of every socket; choose another name");
		return;
	}
	for (j = 0; j < i; j++)
		if (strcmp(x->c->groups[j].name, s) == 0) {
			cfg_perr(y, v, "duplicate group name '%s' (first "
			    "defined at line %zu); group names must be "
			    "unique", s, x->gline[j]);
			break;
		}
	memcpy(x->c->groups[i].name, s, strlen(s) + 1);
}

enum { G_NAME, G_FAMILY, G_LPORTS, G_RPORTS, G_LADDRS, G_RADDRS };

static void
parse_group(struct ctx *x, const yaml_node_t *n, size_t i)
{
	static const char *const keys[] = { "name", "family", "local_ports",
	    "remote_ports", "local_addrs", "remote_addrs", NULL };
	struct cfgyaml *y = &x->y;
	struct group *g = &x->c->groups[i];
	struct cfg_fields f;

	x->gline[i] = n->start_mark.line + 1;
	if (cfg_fields(y, n, keys, &f, "each group in 'groups'") == -1)
		return;
	group_name(x, n, f.val[G_NAME], i);
	if (f.val[G_FAMILY] != NULL)
		g->family = parse_family(y, f.val[G_FAMILY]);
	parse_ports(y, f.val[G_LPORTS], "local_ports", &g->local_ports,
	    &g->nlocal_ports);
	parse_ports(y, f.val[G_RPORTS], "remote_ports", &g->remote_ports,
	    &g->nremote_ports);
	parse_addrs(y, f.val[G_LADDRS], "local_addrs", g->family,
	    &g->local_addrs, &g->nlocal_addrs);
	parse_addrs(y, f.val[G_RADDRS], "remote_addrs", g->family,
	    &g->remote_addrs, &g->nremote_addrs);
}

static void
parse_groups(struct ctx *x, const yaml_node_t *n)
{
	struct cfgyaml *y = &x->y;
	yaml_node_item_t *it;

	if ((x->c->groups = cfg_seq_alloc(y, n, "groups",
	    "groups (- name: web ...)", sizeof(*x->c->groups))) == NULL)
		return;
	if ((x->gline = calloc(NITEMS(n), sizeof(*x->gline))) == NULL) {
		cfg_oom(y);
		return;
	}
	/* Past the limit, keep checking so every error shows in one run. */
	for (it = ITEMS(n).start; it < ITEMS(n).top; it++) {
		if (x->c->ngroups == TT_MAX_GROUPS)
			cfg_perr(y, cfg_node(y, *it), "too many groups (at "
			    "most %d); merge or remove some", TT_MAX_GROUPS);
		parse_group(x, cfg_node(y, *it), x->c->ngroups++);
	}
}

enum { K_DATABASE, K_INTERVAL, K_HOST, K_RETENTION, K_MAX_SIZE, K_TEXTFILE,
    K_CONTEXT, K_BREAKDOWN, K_OWNERS, K_GROUPS, K_THRESHOLDS, K_NAMESPACES, K_BACKEND };

/* on or off (YAML's true, false, yes and no too); -1 after the error is noted. */
static int
get_switch(struct cfgyaml *y, const yaml_node_t *n, const char *key, int *out)
{
	static const char *const on[] = { "on", "true", "yes", NULL };
	static const char *const off[] = { "off", "false", "no", NULL };
	const char *s;
	int i;

	if ((s = cfg_scalar(y, n, key, "on or off")) == NULL)
		return -1;
	for (i = 0; on[i] != NULL; i++)
		if (strcmp(s, on[i]) == 0)
			return *out = 1, 0;
	for (i = 0; off[i] != NULL; i++)
		if (strcmp(s, off[i]) == 0)
			return *out = 0, 0;
	cfg_perr(y, n, "'%s' is on or off, not '%s'", key, s);
	return -1;
}

/* backend: auto | sock_diag | bpf */
static void
get_backend(struct cfgyaml *y, const yaml_node_t *n, int *out)
{
	const char *s;
	int b;

	if ((s = cfg_scalar(y, n, "backend", "auto, sock_diag or bpf")) == NULL)
		return;
	if ((b = backend_parse(s)) == -1)
		cfg_perr(y, n, "backend is auto, sock_diag or bpf, not '%s'", s);
	else
		*out = b;
}

/* breakdown: { cgroups: K, peers: K }, each 0 (off) .. TT_BREAKDOWN_MAX */
static void
parse_breakdown(struct cfgyaml *y, const yaml_node_t *v, struct config *c)
{
	static const char *const keys[] = { "cgroups", "peers", NULL };
	struct cfg_fields f;
	int *out[] = { &c->breakdown_cgroups, &c->breakdown_peers };
	int64_t k;
	int i;

	if (cfg_fields(y, v, keys, &f, "'breakdown'") == -1)
		return;
	for (i = 0; i < 2; i++) {
		if (f.val[i] == NULL)
			continue;
		if (cfg_get_count(y, f.val[i], keys[i], &k) == -1)
			continue;
		if (k > TT_BREAKDOWN_MAX)
			cfg_perr(y, f.val[i], "breakdown.%s keeps the top K per group and state, "
			    "0 (off) to %d, not %lld", keys[i], TT_BREAKDOWN_MAX, (long long)k);
		else
			*out[i] = (int)k;
	}
}

/* owners: { close_wait_above: N, top: N } */
static void
parse_owners(struct cfgyaml *y, const yaml_node_t *v, struct config *c)
{
	static const char *const keys[] = { "close_wait_above", "top", NULL };
	struct cfg_fields f;
	int64_t k;

	if (cfg_fields(y, v, keys, &f, "'owners'") == -1)
		return;
	if (f.val[0] != NULL)
		cfg_get_count(y, f.val[0], "close_wait_above", &c->owners_above);
	if (f.val[1] != NULL && cfg_get_count(y, f.val[1], "top", &k) == 0) {
		if (k < 1 || k > TT_OWNERS_MAX)
			cfg_perr(y, f.val[1], "owners.top is how many processes to name per "
			    "group, 1 to %d, not %lld", TT_OWNERS_MAX, (long long)k);
		else
			c->owners_top = (int)k;
	}
}

#define PID_MAX_LINUX	4194304		/* the kernel's PID_MAX_LIMIT on 64 bits */

/* One item of namespaces: host | all | name:GLOB | pid:N. 0, or -1 (reported). */
static int
parse_nsspec(struct cfgyaml *y, const yaml_node_t *v, struct nsspec *ns)
{
	const char *s, *arg;
	char *end;
	long pid;

	if ((s = cfg_item(y, v, "namespaces", "host, all, name:GLOB or pid:N")) == NULL)
		return -1;
	ns->line = (int)v->start_mark.line + 1;
	if (strcmp(s, "host") == 0)
		return ns->kind = NS_HOST, 0;
	if (strcmp(s, "all") == 0)
		return ns->kind = NS_ALL, 0;
	if (strncmp(s, "name:", 5) == 0) {
		arg = s + 5;
		if (*arg == '\0' || strchr(arg, '/') != NULL || strlen(arg) >= TT_NAME_MAX ||
		    !text_printable(arg, strlen(arg))) {
			cfg_perr(y, v, "'%s' in namespaces: after name: comes a glob over the names "
			    "in " TT_NETNS_DIR " (as `ip netns add NAME` makes them), 1 to %d "
			    "characters without '/', e.g. name:\"ttns-*\"", s, TT_NAME_MAX - 1);
			return -1;
		}
		ns->kind = NS_NAME;
		cfg_set_str(y, &ns->glob, arg);
		return 0;
	}
	if (strncmp(s, "pid:", 4) == 0) {
		arg = s + 4;
		errno = 0;
		pid = strtol(arg, &end, 10);
		if (*arg < '0' || *arg > '9' || *end != '\0' || errno != 0 || pid < 1 ||
		    pid > PID_MAX_LINUX) {
			cfg_perr(y, v, "'%s' in namespaces: after pid: comes a process id, 1 to %d, "
			    "e.g. pid:1234", s, PID_MAX_LINUX);
			return -1;
		}
		ns->kind = NS_PID;
		ns->pid = pid;
		return 0;
	}
	cfg_perr(y, v, "'%s' in namespaces is not host, all, name:GLOB or pid:N", s);
	return -1;
}

static int
nsspec_same(const struct nsspec *a, const struct nsspec *b)
{
	return a->kind == b->kind && a->pid == b->pid &&
	    (a->glob == NULL ? b->glob == NULL : b->glob != NULL && strcmp(a->glob, b->glob) == 0);
}

/* namespaces: [host, name:GLOB, pid:N, all] */
static void
parse_namespaces(struct cfgyaml *y, const yaml_node_t *v, struct config *c)
{
	yaml_node_item_t *it;
	struct nsspec *ns;
	size_t i;

	if (v->type == YAML_SEQUENCE_NODE && ITEMS(v).top == ITEMS(v).start) {
		cfg_perr(y, v, "namespaces: [] samples nothing; leave the key out to sample "
		    "the collector's own namespace ([host])");
		return;
	}
	if ((c->namespaces = cfg_seq_alloc(y, v, "namespaces",
	    "namespaces, e.g. [host, \"name:ttns-*\"]", sizeof(*c->namespaces))) == NULL)
		return;
	for (it = ITEMS(v).start; it < ITEMS(v).top; it++) {
		ns = &c->namespaces[c->nnamespaces];
		memset(ns, 0, sizeof(*ns));
		if (parse_nsspec(y, cfg_node(y, *it), ns) == -1)
			continue;
		for (i = 0; i < c->nnamespaces; i++)
			if (nsspec_same(&c->namespaces[i], ns))
				break;
		if (i < c->nnamespaces) {
			cfg_perr(y, cfg_node(y, *it), "namespaces lists '%s' twice (line %d)",
			    TEXT(cfg_node(y, *it)), c->namespaces[i].line);
			free(ns->glob);
			continue;
		}
		c->nnamespaces++;
	}
}

static void
parse_top(void *arg, const yaml_node_t *root)
{
	static const char *const keys[] = { "database", "interval", "host",
	    "retention", "max_size", "textfile", "context", "breakdown", "owners", "groups",
	    "thresholds", "namespaces", "backend", NULL };
	static const char *const rkeys[] = { "raw", "hourly", NULL };
	struct ctx *x = arg;
	struct cfgyaml *y = &x->y;
	struct config *c = x->c;
	const yaml_node_t *v;
	struct cfg_fields f, r;
	yaml_node_item_t *it;
	const char *s, *why;

	if (cfg_fields(y, root, keys, &f, "the config") == -1)
		return;
	if ((v = f.val[K_DATABASE]) != NULL &&
	    (s = cfg_scalar(y, v, "database", "a file path")) != NULL) {
		if (*s == '\0')
			cfg_perr(y, v, "database path is empty; give a file "
			    "path, e.g. database: tcptally.db");
		else
			cfg_set_str(y, &c->database, s);
	}
	if ((v = f.val[K_INTERVAL]) != NULL &&
	    cfg_get_duration(y, v, "interval", &c->interval) == 0 &&
	    (c->interval < 1 || c->interval > 3600))
		cfg_perr(y, v, "interval must be between 1s and 1h, not '%s'",
		    TEXT(v));
	if ((v = f.val[K_HOST]) != NULL &&
	    (s = cfg_scalar(y, v, "host",
	    "a label (\"\" = the hostname)")) != NULL) {
		if (strlen(s) >= TT_NAME_MAX)
			cfg_perr(y, v, "host label is too long (at most %d "
			    "characters)", TT_NAME_MAX - 1);
		else if (!text_printable(s, strlen(s)))
			cfg_perr(y, v, "host label has control characters");
		else
			cfg_set_str(y, &c->host, s);
	}
	if ((v = f.val[K_RETENTION]) != NULL &&
	    cfg_fields(y, v, rkeys, &r, "'retention'") == 0) {
		if (r.val[0] != NULL)
			cfg_get_duration(y, r.val[0], "retention.raw",
			    &c->retention_raw);
		if (r.val[1] != NULL)
			cfg_get_duration(y, r.val[1], "retention.hourly",
			    &c->retention_hourly);
	}
	if ((v = f.val[K_MAX_SIZE]) != NULL &&
	    (s = cfg_scalar(y, v, "max_size", "a size like 2G")) != NULL &&
	    size_parse(s, &c->max_size, &why) == -1)
		cfg_perr(y, v, "bad size '%s' for 'max_size': %s", s, why);
	if ((v = f.val[K_TEXTFILE]) != NULL &&
	    (s = cfg_scalar(y, v, "textfile", "a file path ending in .prom")) != NULL) {
		size_t len = strlen(s);

		if (len == 0)
			;	/* "" = off */
		else if (len < 6 || strcmp(s + len - 5, ".prom") != 0)
			cfg_perr(y, v, "textfile '%s' must end in .prom, or node_exporter's "
			    "textfile collector ignores it", s);
		else
			cfg_set_str(y, &c->textfile, s);
	}
	if ((v = f.val[K_CONTEXT]) != NULL)
		get_switch(y, v, "context", &c->context);
	if ((v = f.val[K_BREAKDOWN]) != NULL)
		parse_breakdown(y, v, c);
	if ((v = f.val[K_OWNERS]) != NULL)
		parse_owners(y, v, c);
	if ((v = f.val[K_NAMESPACES]) != NULL)
		parse_namespaces(y, v, c);
	if ((v = f.val[K_BACKEND]) != NULL)
		get_backend(y, v, &c->backend);
	/* Groups first: thresholds refer to them. */
	if ((v = f.val[K_GROUPS]) != NULL)
		parse_groups(x, v);
	if ((v = f.val[K_THRESHOLDS]) != NULL &&
	    (c->thresholds = cfg_seq_alloc(y, v, "thresholds",
	    "thresholds (- name: ...)", sizeof(*c->thresholds))) != NULL)
		for (it = ITEMS(v).start; it < ITEMS(v).top; it++)
			cfg_threshold(x, cfg_node(y, *it), c->nthresholds++);
}

int
backend_parse(const char *s)
{
	static const char *const names[] = { [BACKEND_AUTO] = "auto",
	    [BACKEND_SOCK_DIAG] = "sock_diag", [BACKEND_BPF] = "bpf" };
	int i;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

const char *
backend_name(int b)
{
	return b == BACKEND_BPF ? "bpf" : b == BACKEND_SOCK_DIAG ? "sock_diag" : "auto";
}

struct config *
config_default(void)
{
	struct config *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->interval = 10;
	c->context = 1;
	c->breakdown_cgroups = 20;
	c->breakdown_peers = 20;
	c->owners_top = 10;
	c->retention_raw = 14 * 86400;
	c->retention_hourly = 400 * 86400;
	if ((c->database = strdup("tcptally.db")) == NULL ||
	    (c->host = strdup("")) == NULL) {
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
config_parse(const char *buf, size_t len, const char *name, struct errlist *errs)
{
	struct ctx x;

	memset(&x, 0, sizeof(x));
	x.y.file = name;
	if ((x.c = config_default()) == NULL ||
	    (x.c->path = strdup(name)) == NULL)
		cfg_oom(&x.y);
	else
		cfg_parse(&x.y, buf, len, parse_top, &x);
	free(x.gline);
	cfg_flush(&x.y, errs);
	if (x.y.bad) {
		config_free(x.c);
		return NULL;
	}
	return x.c;
}

void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->ngroups; i++) {
		free(c->groups[i].local_ports);
		free(c->groups[i].remote_ports);
		free(c->groups[i].local_addrs);
		free(c->groups[i].remote_addrs);
	}
	free(c->groups);
	free(c->thresholds);
	for (i = 0; i < c->nnamespaces; i++)
		free(c->namespaces[i].glob);
	free(c->namespaces);
	free(c->path);
	free(c->database);
	free(c->textfile);
	free(c->host);
	free(c);
}

int
config_group_index(const struct config *c, const char *name)
{
	size_t i;

	if (strcmp(name, "all") == 0)
		return 0;
	if (c == NULL || *name == '\0')
		return -1;
	for (i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i].name, name) == 0)
			return (int)i + 1;
	return -1;
}
