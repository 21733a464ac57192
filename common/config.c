/*
 * The config file: YAML (libyaml) into struct config.  Every problem is
 * collected with its FILE:LINE:COL and reported in file order; any one of
 * them fails the load, so a bad reload never half-applies.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "tcptally/tcptally.h"

#define SYSTEM_CONFIG	"/etc/tcptally/tcptally.yaml"
#define MAX_SIZE	(16 * 1024 * 1024)	/* stops -c /dev/zero */
#define MAX_KEYS	10
#define HINT_MAX	32			/* longest word checked for typos */
#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"abcdefghijklmnopqrstuvwxyz0123456789_.-"
#define ITEMS(n)	((n)->data.sequence.items)
#define NITEMS(n)	((size_t)(ITEMS(n).top - ITEMS(n).start))
#define TEXT(n)		((const char *)(n)->data.scalar.value)
#define LC(c)		tolower((unsigned char)(c))

struct perr {
	size_t		 line, col, seq;	/* line 0: no position */
	char		*msg;
};

struct ctx {
	const char	*file;
	yaml_document_t	 doc;
	struct config	*c;
	struct perr	*err;
	size_t		 nerr;
	int		 bad;
	size_t		*gline;		/* where each group starts */
};

/* The key and value nodes of one mapping, indexed like its key table. */
struct fields {
	yaml_node_t	*key[MAX_KEYS], *val[MAX_KEYS];
};

static void	perr_at(struct ctx *, size_t, size_t, const char *, ...)
		    __attribute__((format(printf, 4, 5)));

/* libyaml marks are 0-based; operators count from 1. */
#define perr(x, n, ...)	perr_at((x), (n)->start_mark.line + 1, \
			    (n)->start_mark.column + 1, __VA_ARGS__)
#define oom(x)		perr_at((x), 0, 0, "out of memory")

static void
perr_at(struct ctx *x, size_t line, size_t col, const char *fmt, ...)
{
	struct perr *e;
	va_list ap;
	char *msg;
	int r;

	x->bad = 1;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r == -1)
		return;
	if ((e = reallocarray(x->err, x->nerr + 1, sizeof(*e))) == NULL) {
		free(msg);
		return;
	}
	x->err = e;
	e[x->nerr] = (struct perr){ line, col, x->nerr, msg };
	x->nerr++;
}

static int
perr_cmp(const void *a, const void *b)
{
	const struct perr *p = a, *q = b;

	if (p->line != q->line)
		return p->line < q->line ? -1 : 1;
	if (p->col != q->col)
		return p->col < q->col ? -1 : 1;
	return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static void
perr_flush(struct ctx *x, struct errlist *errs)
{
	size_t i;

	if (x->nerr > 0)
		qsort(x->err, x->nerr, sizeof(*x->err), perr_cmp);
	for (i = 0; i < x->nerr; i++) {
		if (x->err[i].line == 0)
			errlist_add(errs, "%s: %s", x->file, x->err[i].msg);
		else
			errlist_add(errs, "%s:%zu:%zu: %s", x->file,
			    x->err[i].line, x->err[i].col, x->err[i].msg);
		free(x->err[i].msg);
	}
	free(x->err);
}

/* Optimal string alignment distance, ignoring case: typos and swaps. */
static size_t
distance(const char *a, const char *b)
{
	size_t d[3][HINT_MAX + 1], la = strlen(a), lb = strlen(b), i, j, v;
	size_t *cur, *p, *pp;

	if (la > HINT_MAX || lb > HINT_MAX)
		return SIZE_MAX;
	memset(d, 0, sizeof(d));
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++) {
		cur = d[i % 3], p = d[(i + 2) % 3], pp = d[(i + 1) % 3];
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			v = p[j - 1] + (LC(a[i - 1]) != LC(b[j - 1]));
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && LC(a[i - 1]) == LC(b[j - 2]) &&
			    LC(a[i - 2]) == LC(b[j - 1]) && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
		}
	}
	return d[la % 3][lb];
}

/* The candidate at most 2 edits away, for "did you mean". */
static const char *
closest(const char *word, const char *const *cands)
{
	const char *best = NULL;
	size_t i, d, bestd = 3;

	for (i = 0; cands[i] != NULL; i++)
		if ((d = distance(word, cands[i])) < bestd) {
			bestd = d;
			best = cands[i];
		}
	return best;
}

static const char *
kind(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return "a single value";
}

static int
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	v = TEXT(n);
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	    strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0;
}

/* The text of a scalar, "" for null; NULL (reported) for anything else. */
static const char *
scalar(struct ctx *x, const yaml_node_t *n, const char *key, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		perr(x, n, "'%s' must be %s, not %s", key, what, kind(n));
		return NULL;
	}
	if (strlen(TEXT(n)) != n->data.scalar.length) {
		perr(x, n, "'%s' contains a NUL character", key);
		return NULL;
	}
	return is_null(n) ? "" : TEXT(n);
}

/* A list item must be a scalar too. */
static const char *
item(struct ctx *x, const yaml_node_t *n, const char *key, const char *what)
{
	if (n->type != YAML_SCALAR_NODE) {
		perr(x, n, "each item of '%s' must be %s, not %s", key, what,
		    kind(n));
		return NULL;
	}
	return scalar(x, n, key, what);
}

static yaml_node_t *
node(struct ctx *x, int id)
{
	return yaml_document_get_node(&x->doc, id);
}

static void
unknown_key(struct ctx *x, const yaml_node_t *k, const char *const *keys)
{
	char list[256];
	const char *hint;
	size_t i, off = 0;

	if ((hint = closest(TEXT(k), keys)) != NULL) {
		perr(x, k, "unknown key '%s' (did you mean '%s'?)", TEXT(k), hint);
		return;
	}
	list[0] = '\0';
	for (i = 0; keys[i] != NULL && off < sizeof(list); i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%s",
		    i > 0 ? ", " : "", keys[i]);
	perr(x, k, "unknown key '%s' (valid keys here: %s)", TEXT(k), list);
}

/* A mapping's pairs into f by key; unknown and repeated keys are errors. */
static int
fields_get(struct ctx *x, const yaml_node_t *n, const char *const *keys,
    struct fields *f, const char *what)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	size_t i;

	memset(f, 0, sizeof(*f));
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE) {
		perr(x, n, "%s must be a mapping of keys, not %s", what, kind(n));
		return -1;
	}
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		k = node(x, p->key);
		if (k->type != YAML_SCALAR_NODE) {
			perr(x, k, "a key must be a plain name, not %s", kind(k));
			continue;
		}
		for (i = 0; keys[i] != NULL && strcmp(keys[i], TEXT(k)) != 0; i++)
			;
		if (keys[i] == NULL)
			unknown_key(x, k, keys);
		else if (f->key[i] != NULL)
			perr(x, k, "duplicate key '%s' (already set at line %zu); "
			    "keep only one", TEXT(k), f->key[i]->start_mark.line + 1);
		else {
			f->key[i] = k;
			f->val[i] = node(x, p->value);
		}
	}
	return 0;
}

/* One zeroed element per list item; NULL for an empty list or not a list. */
static void *
seq_alloc(struct ctx *x, const yaml_node_t *n, const char *key,
    const char *what, size_t size)
{
	void *p;

	if (n == NULL || is_null(n))
		return NULL;
	if (n->type != YAML_SEQUENCE_NODE) {
		perr(x, n, "'%s' must be a list of %s, not %s", key, what, kind(n));
		return NULL;
	}
	if (NITEMS(n) == 0)
		return NULL;
	if ((p = calloc(NITEMS(n), size)) == NULL)
		oom(x);
	return p;
}

static void
set_str(struct ctx *x, char **dst, const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL) {
		oom(x);
		return;
	}
	free(*dst);
	*dst = d;
}

static int
get_duration(struct ctx *x, const yaml_node_t *n, const char *key, int64_t *out)
{
	const char *s, *why;

	if ((s = scalar(x, n, key, "a duration like 10s")) == NULL)
		return -1;
	if (duration_parse(s, out, &why) == -1) {
		perr(x, n, "bad duration '%s' for '%s': %s", s, key, why);
		return -1;
	}
	return 0;
}

static int
get_count(struct ctx *x, const yaml_node_t *n, const char *key, int64_t *out)
{
	const char *s;
	char *end;

	if ((s = scalar(x, n, key, "a socket count")) == NULL)
		return -1;
	errno = 0;
	if (!isdigit((unsigned char)*s) ||
	    (*out = strtoll(s, &end, 10), *end != '\0') || errno == ERANGE) {
		perr(x, n, "'%s' must be a non-negative integer (a socket "
		    "count), not '%s'", key, s);
		return -1;
	}
	return 0;
}

/* Group and threshold names end up in SQL rows, labels and command lines. */
static const char *
get_name(struct ctx *x, const yaml_node_t *n, const char *what)
{
	const char *s;

	if ((s = scalar(x, n, "name", "a name")) == NULL)
		return NULL;
	if (*s == '\0')
		perr(x, n, "%s name is empty; give it a name such as '%s'", what,
		    strcmp(what, "group") == 0 ? "web" : "close-wait-leak");
	else if (strlen(s) >= TT_NAME_MAX)
		perr(x, n, "%s name '%s' is too long (at most %d characters)",
		    what, s, TT_NAME_MAX - 1);
	else if (s[strspn(s, NAME_CHARS)] != '\0')
		perr(x, n, "%s name '%s' has invalid characters; use only "
		    "A-Z a-z 0-9 _ . -", what, s);
	else
		return s;
	return NULL;
}

static void
parse_ports(struct ctx *x, const yaml_node_t *n, const char *key,
    struct portrange **out, size_t *nout)
{
	yaml_node_item_t *it;
	const char *s, *why;

	if ((*out = seq_alloc(x, n, key, "ports, e.g. [80, 443, \"8000-8099\"]",
	    sizeof(**out))) == NULL)
		return;
	for (it = ITEMS(n).start; it < ITEMS(n).top; it++) {
		if ((s = item(x, node(x, *it), key,
		    "a port or a \"LOW-HIGH\" range")) == NULL)
			continue;
		if (portrange_parse(s, &(*out)[*nout], &why) == -1)
			perr(x, node(x, *it), "bad port '%s' in %s: %s", s, key,
			    why);
		else
			(*nout)++;
	}
}

static void
parse_addrs(struct ctx *x, const yaml_node_t *n, const char *key, int family,
    struct cidr **out, size_t *nout)
{
	static const char *const fam[] = { "IPv4", "IPv6" };
	yaml_node_item_t *it;
	yaml_node_t *v;
	struct cidr *c;
	const char *s, *why;
	int v6;

	if ((*out = seq_alloc(x, n, key, "CIDRs, e.g. [\"10.0.0.0/8\"]",
	    sizeof(**out))) == NULL)
		return;
	for (it = ITEMS(n).start; it < ITEMS(n).top; it++) {
		v = node(x, *it);
		c = &(*out)[*nout];
		if ((s = item(x, v, key, "a CIDR such as \"10.0.0.0/8\"")) == NULL)
			continue;
		if (cidr_parse(s, c, &why) == -1) {
			perr(x, v, "bad CIDR '%s' in %s: %s", s, key, why);
			continue;
		}
		v6 = c->family == AF_INET6;
		/* Such an address could never match: a mistake, not a no-op. */
		if ((family == FAM_IPV4 && v6) || (family == FAM_IPV6 && !v6))
			perr(x, v, "'%s' in %s is %s, but this group has family: "
			    "%s; remove the address or use family: any", s, key,
			    fam[v6], v6 ? "ipv4" : "ipv6");
		else
			(*nout)++;
	}
}

static int
parse_family(struct ctx *x, const yaml_node_t *n)
{
	const char *s;

	if ((s = scalar(x, n, "family", "any, ipv4 or ipv6")) == NULL)
		return FAM_ANY;
	if (strcmp(s, "ipv4") == 0)
		return FAM_IPV4;
	if (strcmp(s, "ipv6") == 0)
		return FAM_IPV6;
	if (strcmp(s, "any") != 0)
		perr(x, n, "family must be any, ipv4 or ipv6, not '%s'", s);
	return FAM_ANY;
}

static void
group_name(struct ctx *x, const yaml_node_t *n, const yaml_node_t *v, size_t i)
{
	const char *s;
	size_t j;

	if (v == NULL) {
		perr(x, n, "group has no 'name'; add one, e.g. name: web");
		return;
	}
	if ((s = get_name(x, v, "group")) == NULL)
		return;
	if (strcmp(s, "all") == 0) {
		perr(x, v, "group name 'all' is reserved for the built-in group "
		    "of every socket; choose another name");
		return;
	}
	for (j = 0; j < i; j++)
		if (strcmp(x->c->groups[j].name, s) == 0) {
			perr(x, v, "duplicate group name '%s' (first defined at "
			    "line %zu); group names must be unique", s,
			    x->gline[j]);
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
	struct group *g = &x->c->groups[i];
	struct fields f;

	x->gline[i] = n->start_mark.line + 1;
	if (fields_get(x, n, keys, &f, "each group in 'groups'") == -1)
		return;
	group_name(x, n, f.val[G_NAME], i);
	if (f.val[G_FAMILY] != NULL)
		g->family = parse_family(x, f.val[G_FAMILY]);
	parse_ports(x, f.val[G_LPORTS], "local_ports", &g->local_ports,
	    &g->nlocal_ports);
	parse_ports(x, f.val[G_RPORTS], "remote_ports", &g->remote_ports,
	    &g->nremote_ports);
	parse_addrs(x, f.val[G_LADDRS], "local_addrs", g->family,
	    &g->local_addrs, &g->nlocal_addrs);
	parse_addrs(x, f.val[G_RADDRS], "remote_addrs", g->family,
	    &g->remote_addrs, &g->nremote_addrs);
}

static void
parse_groups(struct ctx *x, const yaml_node_t *n)
{
	yaml_node_item_t *it;

	if ((x->c->groups = seq_alloc(x, n, "groups",
	    "groups (- name: web ...)", sizeof(*x->c->groups))) == NULL)
		return;
	if ((x->gline = calloc(NITEMS(n), sizeof(*x->gline))) == NULL) {
		oom(x);
		return;
	}
	/* Past the limit, keep checking so every error shows in one run. */
	for (it = ITEMS(n).start; it < ITEMS(n).top; it++) {
		if (x->c->ngroups == TT_MAX_GROUPS)
			perr(x, node(x, *it), "too many groups (at most %d); "
			    "merge or remove some", TT_MAX_GROUPS);
		parse_group(x, node(x, *it), x->c->ngroups++);
	}
}

enum { T_NAME, T_GROUP, T_STATE, T_ABOVE, T_BELOW, T_GROWTH, T_WINDOW, T_FOR,
    T_SEVERITY };

static void
thr_name(struct ctx *x, const struct fields *f, const yaml_node_t *n, size_t i)
{
	struct threshold *t = x->c->thresholds;
	const char *s;
	size_t j;

	if (f->val[T_NAME] == NULL) {
		perr(x, n, "threshold has no 'name'; add one, e.g. "
		    "name: close-wait-leak");
		return;
	}
	if ((s = get_name(x, f->val[T_NAME], "threshold")) == NULL)
		return;
	for (j = 0; j < i; j++)
		if (strcmp(t[j].name, s) == 0) {
			perr(x, f->val[T_NAME], "duplicate threshold name '%s' "
			    "(first defined at line %d); threshold names must be "
			    "unique", s, t[j].line);
			break;
		}
	memcpy(t[i].name, s, strlen(s) + 1);
}

static void
thr_state(struct ctx *x, const struct fields *f, const yaml_node_t *n,
    struct threshold *t, const char *label)
{
	const yaml_node_t *v = f->val[T_STATE];
	const char *names[TT_NSTATES + 1], *s, *hint;
	int i;

	if (v == NULL) {
		perr(x, n, "%s has no 'state'; add one of: %s", label,
		    state_names_list());
		return;
	}
	if ((s = scalar(x, v, "state", "a TCP state name")) == NULL ||
	    (t->state = state_from_name(s)) != -1)
		return;
	for (i = 0; i < TT_NSTATES; i++)
		names[i] = state_name(i + 1);
	names[TT_NSTATES] = NULL;
	if ((hint = closest(s, names)) != NULL)
		perr(x, v, "unknown state '%s' (did you mean '%s'?); use one of: "
		    "%s", s, hint, state_names_list());
	else
		perr(x, v, "unknown state '%s'; use one of: %s", s,
		    state_names_list());
}

static void
thr_misc(struct ctx *x, const struct fields *f, struct threshold *t,
    const char *label)
{
	const yaml_node_t *v;
	const char *s;

	if ((v = f->val[T_GROUP]) != NULL &&
	    (s = scalar(x, v, "group", "a group name")) != NULL) {
		if (config_group_index(x->c, s) == -1)
			perr(x, v, "%s: group '%s' is not defined; add it under "
			    "'groups' or use 'all'", label, s);
		else
			memcpy(t->group, s, strlen(s) + 1);
	}
	if ((v = f->val[T_SEVERITY]) != NULL &&
	    (s = scalar(x, v, "severity", "warning or critical")) != NULL) {
		if (strcmp(s, "warning") == 0)
			t->severity = SEV_WARNING;
		else if (strcmp(s, "critical") == 0)
			t->severity = SEV_CRITICAL;
		else
			perr(x, v, "severity must be warning or critical, not '%s'",
			    s);
	}
	if ((v = f->val[T_ABOVE]) != NULL)
		t->has_above = get_count(x, v, "above", &t->above) == 0;
	if ((v = f->val[T_BELOW]) != NULL)
		t->has_below = get_count(x, v, "below", &t->below) == 0;
	if (f->val[T_FOR] != NULL)
		get_duration(x, f->val[T_FOR], "for", &t->for_secs);
}

/* Exactly one of above, below and growth, with only what goes with it. */
static void
thr_rule(struct ctx *x, const struct fields *f, const yaml_node_t *n,
    struct threshold *t, const char *label)
{
	yaml_node_t *const *k = f->key;
	const yaml_node_t *first = NULL, *v;
	const char *s, *why;
	int i;

	for (i = T_ABOVE; i <= T_GROWTH; i++)
		if (k[i] != NULL && (first == NULL ||
		    k[i]->start_mark.index < first->start_mark.index))
			first = k[i];
	if (first == NULL)
		perr(x, n, "%s has no condition; add one of above, below or "
		    "growth", label);
	for (i = T_ABOVE; i <= T_GROWTH; i++)
		if (k[i] != NULL && k[i] != first)
			perr(x, k[i], "%s: '%s' cannot be combined with '%s'; use "
			    "one threshold per condition", label, TEXT(k[i]),
			    TEXT(first));
	if ((v = f->val[T_GROWTH]) != NULL &&
	    (s = scalar(x, v, "growth", "a rate like 100/min")) != NULL) {
		if (rate_parse(s, &t->growth, &why) == -1)
			perr(x, v, "bad rate '%s' for 'growth': %s", s, why);
		else
			t->has_growth = 1;
	}
	if (k[T_GROWTH] != NULL && k[T_WINDOW] == NULL)
		perr(x, k[T_GROWTH], "%s: 'growth' needs a 'window' to measure "
		    "it over, e.g. window: 10m", label);
	if ((v = f->val[T_WINDOW]) != NULL &&
	    get_duration(x, v, "window", &t->window) == 0 &&
	    k[T_GROWTH] != NULL && t->window == 0)
		perr(x, v, "'window' must be longer than 0, e.g. window: 10m");
	if (k[T_WINDOW] != NULL && k[T_GROWTH] == NULL && first != NULL)
		perr(x, k[T_WINDOW], "%s: 'window' only goes with 'growth'; "
		    "above and below use 'for'", label);
	if (k[T_FOR] != NULL && k[T_GROWTH] != NULL && k[T_ABOVE] == NULL &&
	    k[T_BELOW] == NULL)
		perr(x, k[T_FOR], "%s: 'for' only goes with 'above' or 'below'; "
		    "growth uses 'window'", label);
}

static void
parse_threshold(struct ctx *x, const yaml_node_t *n, size_t i)
{
	static const char *const keys[] = { "name", "group", "state", "above",
	    "below", "growth", "window", "for", "severity", NULL };
	struct threshold *t = &x->c->thresholds[i];
	struct fields f;
	char label[TT_NAME_MAX + 16];

	t->line = n->start_mark.line + 1;
	t->severity = SEV_WARNING;
	strcpy(t->group, "all");
	if (fields_get(x, n, keys, &f, "each threshold in 'thresholds'") == -1)
		return;
	thr_name(x, &f, n, i);
	if (t->name[0] != '\0')
		snprintf(label, sizeof(label), "threshold '%s'", t->name);
	else
		snprintf(label, sizeof(label), "threshold #%zu", i + 1);
	thr_state(x, &f, n, t, label);
	thr_misc(x, &f, t, label);
	thr_rule(x, &f, n, t, label);
}

enum { K_DATABASE, K_INTERVAL, K_HOST, K_RETENTION, K_GROUPS, K_THRESHOLDS };

static void
parse_top(struct ctx *x, const yaml_node_t *root)
{
	static const char *const keys[] = { "database", "interval", "host",
	    "retention", "groups", "thresholds", NULL };
	static const char *const rkeys[] = { "raw", "hourly", NULL };
	struct config *c = x->c;
	const yaml_node_t *v;
	struct fields f, r;
	yaml_node_item_t *it;
	const char *s;

	if (fields_get(x, root, keys, &f, "the config") == -1)
		return;
	if ((v = f.val[K_DATABASE]) != NULL &&
	    (s = scalar(x, v, "database", "a file path")) != NULL) {
		if (*s == '\0')
			perr(x, v, "database path is empty; give a file path, "
			    "e.g. database: tcptally.db");
		else
			set_str(x, &c->database, s);
	}
	if ((v = f.val[K_INTERVAL]) != NULL &&
	    get_duration(x, v, "interval", &c->interval) == 0 &&
	    (c->interval < 1 || c->interval > 3600))
		perr(x, v, "interval must be between 1s and 1h, not '%s'", TEXT(v));
	if ((v = f.val[K_HOST]) != NULL &&
	    (s = scalar(x, v, "host", "a label (\"\" = the hostname)")) != NULL) {
		if (strlen(s) >= TT_NAME_MAX)
			perr(x, v, "host label is too long (at most %d "
			    "characters)", TT_NAME_MAX - 1);
		else
			set_str(x, &c->host, s);
	}
	if ((v = f.val[K_RETENTION]) != NULL &&
	    fields_get(x, v, rkeys, &r, "'retention'") == 0) {
		if (r.val[0] != NULL)
			get_duration(x, r.val[0], "retention.raw",
			    &c->retention_raw);
		if (r.val[1] != NULL)
			get_duration(x, r.val[1], "retention.hourly",
			    &c->retention_hourly);
	}
	/* Groups first: thresholds refer to them. */
	if ((v = f.val[K_GROUPS]) != NULL)
		parse_groups(x, v);
	if ((v = f.val[K_THRESHOLDS]) != NULL && (c->thresholds = seq_alloc(x,
	    v, "thresholds", "thresholds (- name: ...)",
	    sizeof(*c->thresholds))) != NULL)
		for (it = ITEMS(v).start; it < ITEMS(v).top; it++)
			parse_threshold(x, node(x, *it), c->nthresholds++);
}

static void
syntax_error(struct ctx *x, const yaml_parser_t *p, const char *buf, size_t len)
{
	const yaml_mark_t *m = &p->problem_mark;
	const char *problem = p->problem != NULL ? p->problem : "unknown error";
	size_t line = 1, col = 1, i;

	if (p->error == YAML_MEMORY_ERROR)
		oom(x);
	else if (p->error == YAML_READER_ERROR) {
		/* The reader only knows a byte offset. */
		for (i = 0; i < p->problem_offset && i < len; i++, col++)
			if (buf[i] == '\n') {
				line++;
				col = 0;
			}
		perr_at(x, line, col, "not valid YAML text: %s; the file must "
		    "be UTF-8", problem);
	} else if (m->index < len && buf[m->index] == '\t')
		perr_at(x, m->line + 1, m->column + 1, "YAML syntax error: %s; "
		    "indent with spaces, not tabs", problem);
	else if (p->context != NULL && p->context_mark.line != m->line)
		perr_at(x, m->line + 1, m->column + 1, "YAML syntax error: %s "
		    "(%s started at line %zu)", problem, p->context,
		    p->context_mark.line + 1);
	else
		perr_at(x, m->line + 1, m->column + 1, "YAML syntax error: %s",
		    problem);
}

static void
parse_buf(struct ctx *x, const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_document_t extra;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&p)) {
		oom(x);
		return;
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &x->doc)) {
		syntax_error(x, &p, buf, len);
		yaml_parser_delete(&p);
		return;
	}
	/* An empty file, or only comments, is all defaults. */
	if ((root = yaml_document_get_root_node(&x->doc)) != NULL) {
		if (!is_null(root))
			parse_top(x, root);
		if (!yaml_parser_load(&p, &extra))
			syntax_error(x, &p, buf, len);
		else {
			if ((root = yaml_document_get_root_node(&extra)) != NULL)
				perr(x, root, "a second YAML document; put the "
				    "whole config in one document");
			yaml_document_delete(&extra);
		}
	}
	yaml_document_delete(&x->doc);
	yaml_parser_delete(&p);
}

/* The whole file, so syntax errors can be located in it. */
static char *
read_file(const char *path, size_t *lenp)
{
	FILE *fp;
	char *buf = NULL, *nb;
	size_t cap = 0, n;
	int saved;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	for (*lenp = 0;; *lenp += n) {
		if (*lenp == cap) {
			if (cap >= MAX_SIZE) {
				errno = EFBIG;
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			if ((nb = realloc(buf, cap)) == NULL)
				goto fail;
			buf = nb;
		}
		if ((n = fread(buf + *lenp, 1, cap - *lenp, fp)) == 0)
			break;
	}
	if (!ferror(fp)) {
		fclose(fp);
		return buf;
	}
fail:
	saved = errno;
	free(buf);
	fclose(fp);
	errno = saved;
	return NULL;
}

struct config *
config_default(void)
{
	struct config *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->interval = 10;
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
config_load(const char *path, struct errlist *errs)
{
	struct ctx x;
	char *buf;
	size_t len;

	memset(&x, 0, sizeof(x));
	x.file = path;
	if ((buf = read_file(path, &len)) == NULL) {
		errlist_add(errs, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if ((x.c = config_default()) == NULL ||
	    (x.c->path = strdup(path)) == NULL)
		oom(&x);
	else
		parse_buf(&x, buf, len);
	free(buf);
	free(x.gline);
	perr_flush(&x, errs);
	if (x.bad) {
		config_free(x.c);
		return NULL;
	}
	return x.c;
}

const char *
config_locate(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("TCPTALLY_CONFIG")) != NULL && *env != '\0')
		return env;
	if (access(SYSTEM_CONFIG, F_OK) == 0)
		return SYSTEM_CONFIG;
	return NULL;
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
	free(c->path);
	free(c->database);
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
