/*
 * The `thresholds` of the config. A threshold watches one series and has
 * exactly one condition:
 *	state S (group G): above N, below N (with for), or growth R (window W)
 *	state LISTEN (group G): fill_above F, the fullest accept queue (for)
 *	metric COUNTER: rate_above R, a kernel counter's rate (for)
 *	metric tw_buckets_used | orphans_used: above F, a share of the limit (for)
 *	(group G): peer_port_share_above F, the outbound peer with the largest
 *	  share of the local port range (for)
 *	state CLOSE_WAIT (group G): oldest_above DUR, the oldest socket's age (for)
 * Every mistake is reported with its place, and the others still are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/kernel.h"
#include "tcptally/timeutil.h"
#include "config_int.h"

enum { T_NAME, T_GROUP, T_STATE, T_METRIC, T_ABOVE, T_BELOW, T_GROWTH, T_RATE_ABOVE,
    T_FILL_ABOVE, T_PORT_SHARE, T_OLDEST, T_WINDOW, T_FOR, T_SEVERITY };
#define T_FIRST_COND	T_ABOVE
#define T_LAST_COND	T_OLDEST

static const char *const used_names[] = { "tw_buckets_used", "orphans_used", NULL };

static void
thr_name(struct ctx *x, const struct cfg_fields *f, const yaml_node_t *n, size_t i)
{
	struct cfgyaml *y = &x->y;
	struct threshold *t = x->c->thresholds;
	const char *s;
	size_t j;

	if (f->val[T_NAME] == NULL) {
		cfg_perr(y, n, "threshold has no 'name'; add one, e.g. name: close-wait-leak");
		return;
	}
	if ((s = cfg_get_name(y, f->val[T_NAME], "threshold")) == NULL)
		return;
	for (j = 0; j < i; j++)
		if (strcmp(t[j].name, s) == 0) {
			cfg_perr(y, f->val[T_NAME], "duplicate threshold name '%s' (first "
			    "defined at line %d); threshold names must be unique", s, t[j].line);
			break;
		}
	memcpy(t[i].name, s, strlen(s) + 1);
}

static void
thr_state(struct cfgyaml *y, const struct cfg_fields *f, const yaml_node_t *n,
    struct threshold *t, const char *label)
{
	const yaml_node_t *v = f->val[T_STATE];
	const char *names[TT_NSTATES + 1], *s, *hint;
	int i;

	if (v == NULL) {
		if (f->val[T_METRIC] == NULL && f->val[T_PORT_SHARE] == NULL)
			cfg_perr(y, n, "%s has no 'state'; add one of: %s", label,
			    state_names_list());
		return;
	}
	if (f->val[T_METRIC] != NULL) {
		cfg_perr(y, v, "%s: 'state' and 'metric' cannot be combined: a metric is the "
		    "host's, not a state's", label);
		return;
	}
	if ((s = cfg_scalar(y, v, "state", "a TCP state name")) == NULL ||
	    (t->state = state_from_name(s)) != -1)
		return;
	for (i = 0; i < TT_NSTATES; i++)
		names[i] = state_name(i + 1);
	names[TT_NSTATES] = NULL;
	if ((hint = cfg_closest(s, names)) != NULL)
		cfg_perr(y, v, "unknown state '%s' (did you mean '%s'?); use one of: %s", s,
		    hint, state_names_list());
	else
		cfg_perr(y, v, "unknown state '%s'; use one of: %s", s, state_names_list());
}

/* metric: a kernel counter (rate_above), or a gauge's share of its limit (above). */
static void
thr_metric(struct cfgyaml *y, const struct cfg_fields *f, struct threshold *t,
    const char *label)
{
	const char *names[TT_NKSTATS + 3], *s, *hint;
	const yaml_node_t *v = f->val[T_METRIC];
	int i, n = 0;

	if (v == NULL || (s = cfg_scalar(y, v, "metric", "a kernel counter's name")) == NULL)
		return;
	for (i = 0; used_names[i] != NULL; i++)
		if (strcmp(s, used_names[i]) == 0) {
			t->kind = TH_USED;
			t->metric = i;
			return;
		}
	if ((i = kstat_from_name(s)) != -1 && kstat_kind(i) == KS_COUNTER) {
		t->kind = TH_RATE;
		t->metric = i;
		return;
	}
	if (i != -1) {
		cfg_perr(y, v, "%s: %s is a gauge, not a counter: it has no rate%s", label, s,
		    i == KS_tcp_tw ? "; for TIME_WAIT buckets against their limit use metric: "
		    "tw_buckets_used with above: 0.8" : i == KS_tcp_orphan ? "; for orphans "
		    "against their limit use metric: orphans_used with above: 0.8" : "");
		return;
	}
	for (i = 0; i < TT_NKSTATS; i++)
		if (kstat_kind(i) == KS_COUNTER)
			names[n++] = kstat_name(i);
	names[n++] = used_names[0];
	names[n++] = used_names[1];
	names[n] = NULL;
	hint = cfg_closest(s, names);
	cfg_perr(y, v, "%s: unknown metric '%s'%s%s%s; use a counter (with rate_above), such "
	    "as ListenOverflows, or tw_buckets_used or orphans_used (with above, a share of the "
	    "limit)", label, s, hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
}

/* A fraction such as 0.8: 0 < f <= 1. */
static int
get_fraction(struct cfgyaml *y, const yaml_node_t *n, const char *key, double *out)
{
	const char *s;
	char *end;

	if ((s = cfg_scalar(y, n, key, "a fraction such as 0.9")) == NULL)
		return -1;
	*out = strtod(s, &end);
	if (*s == '\0' || *end != '\0' || !(*out > 0 && *out <= 1)) {
		cfg_perr(y, n, "'%s' must be a fraction above 0 and at most 1, such as 0.9, "
		    "not '%s'", key, s);
		return -1;
	}
	return 0;
}

static void
thr_misc(struct ctx *x, const struct cfg_fields *f, struct threshold *t, const char *label)
{
	struct cfgyaml *y = &x->y;
	const yaml_node_t *v;
	const char *s;

	if ((v = f->val[T_GROUP]) != NULL &&
	    (s = cfg_scalar(y, v, "group", "a group name")) != NULL) {
		if (f->val[T_METRIC] != NULL)
			cfg_perr(y, v, "%s: a metric is the host's: 'group' does not go with "
			    "it", label);
		else if (config_group_index(x->c, s) == -1)
			cfg_perr(y, v, "%s: group '%s' is not defined; add it under 'groups' or "
			    "use 'all'", label, s);
		else
			memcpy(t->group, s, strlen(s) + 1);
	}
	if ((v = f->val[T_SEVERITY]) != NULL &&
	    (s = cfg_scalar(y, v, "severity", "warning or critical")) != NULL) {
		if (strcmp(s, "warning") == 0)
			t->severity = SEV_WARNING;
		else if (strcmp(s, "critical") == 0)
			t->severity = SEV_CRITICAL;
		else
			cfg_perr(y, v, "severity must be warning or critical, not '%s'", s);
	}
	if (f->val[T_FOR] != NULL)
		cfg_get_duration(y, f->val[T_FOR], "for", &t->for_secs);
}

/* The one condition's value, by the kind metric and state made it. */
static void
thr_value(struct cfgyaml *y, const struct cfg_fields *f, struct threshold *t,
    const char *label)
{
	const yaml_node_t *v;
	const char *s, *why;

	if ((v = f->val[T_ABOVE]) != NULL) {
		if (t->kind == TH_USED)
			t->has_above = get_fraction(y, v, "above", &t->limit) == 0;
		else if (t->kind == TH_RATE)
			cfg_perr(y, v, "%s: a counter takes 'rate_above' (such as 1/min), not "
			    "'above'", label);
		else
			t->has_above = cfg_get_count(y, v, "above", &t->above) == 0;
	}
	if ((v = f->val[T_BELOW]) != NULL)
		t->has_below = cfg_get_count(y, v, "below", &t->below) == 0;
	if ((v = f->val[T_RATE_ABOVE]) != NULL &&
	    (s = cfg_scalar(y, v, "rate_above", "a rate like 1/min")) != NULL) {
		if (rate_parse(s, &t->limit, &why) == -1)
			cfg_perr(y, v, "bad rate '%s' for 'rate_above': %s", s, why);
		else
			t->has_above = 1;
	}
	if ((v = f->val[T_FILL_ABOVE]) != NULL) {
		if (t->state != TT_LISTEN)
			cfg_perr(y, v, "%s: 'fill_above' watches accept queues: it goes with "
			    "state: LISTEN", label);
		t->kind = TH_FILL;
		t->has_above = get_fraction(y, v, "fill_above", &t->limit) == 0;
	}
	if ((v = f->val[T_PORT_SHARE]) != NULL) {
		t->kind = TH_PORT_SHARE;
		t->has_above = get_fraction(y, v, "peer_port_share_above", &t->limit) == 0;
	}
	if ((v = f->val[T_OLDEST]) != NULL) {
		if (t->state != TT_CLOSE_WAIT)
			cfg_perr(y, v, "%s: 'oldest_above' watches how long sockets have been "
			    "stuck in CLOSE_WAIT: it goes with state: CLOSE_WAIT", label);
		t->kind = TH_OLDEST;
		if (cfg_get_duration(y, v, "oldest_above", &t->above) == 0) {
			if (t->above == 0)
				cfg_perr(y, v, "'oldest_above' must be longer than 0, e.g. "
				    "oldest_above: 10m");
			else {
				t->has_above = 1;
				t->limit = (double)t->above;
			}
		}
	}
	if ((v = f->val[T_GROWTH]) != NULL &&
	    (s = cfg_scalar(y, v, "growth", "a rate like 100/min")) != NULL) {
		if (rate_parse(s, &t->growth, &why) == -1)
			cfg_perr(y, v, "bad rate '%s' for 'growth': %s", s, why);
		else
			t->has_growth = 1;
	}
}

/* Which keys go with which: a metric's, a state's. */
static void
thr_fit(struct cfgyaml *y, const struct cfg_fields *f, const struct threshold *t,
    const char *label)
{
	yaml_node_t *const *k = f->key;
	int i;

	for (i = T_BELOW; i <= T_OLDEST; i++)
		if (k[i] != NULL && k[T_METRIC] != NULL && i != T_RATE_ABOVE)
			cfg_perr(y, k[i], "%s: '%s' does not go with a metric; a counter takes "
			    "rate_above, tw_buckets_used and orphans_used take above", label,
			    TEXT(k[i]));
	if (k[T_PORT_SHARE] != NULL && k[T_STATE] != NULL)
		cfg_perr(y, f->val[T_STATE], "%s: 'peer_port_share_above' counts a peer's "
		    "sockets in every state: no 'state' goes with it", label);
	if (k[T_RATE_ABOVE] != NULL && k[T_METRIC] == NULL)
		cfg_perr(y, k[T_RATE_ABOVE], "%s: 'rate_above' goes with a metric, such as "
		    "metric: ListenOverflows", label);
	if (k[T_RATE_ABOVE] != NULL && t->kind == TH_USED)
		cfg_perr(y, k[T_RATE_ABOVE], "%s: %s is a share of a limit: it takes 'above' "
		    "(such as 0.8), not 'rate_above'", label, used_names[t->metric]);
	if (k[T_METRIC] != NULL && k[T_ABOVE] == NULL && k[T_RATE_ABOVE] == NULL)
		cfg_perr(y, k[T_METRIC], "%s: a metric needs its condition: rate_above for a "
		    "counter, above for tw_buckets_used or orphans_used", label);
}

/* Exactly one condition, with only what goes with it. */
static void
thr_rule(struct cfgyaml *y, const struct cfg_fields *f, const yaml_node_t *n,
    const char *label)
{
	yaml_node_t *const *k = f->key;
	const yaml_node_t *first = NULL;
	int i;

	for (i = T_FIRST_COND; i <= T_LAST_COND; i++)
		if (k[i] != NULL && (first == NULL ||
		    k[i]->start_mark.index < first->start_mark.index))
			first = k[i];
	if (first == NULL && k[T_METRIC] == NULL)
		cfg_perr(y, n, "%s has no condition; add one of above, below, growth, "
		    "fill_above, oldest_above or peer_port_share_above", label);
	for (i = T_FIRST_COND; i <= T_LAST_COND; i++)
		if (k[i] != NULL && k[i] != first)
			cfg_perr(y, k[i], "%s: '%s' cannot be combined with '%s'; use one "
			    "threshold per condition", label, TEXT(k[i]), TEXT(first));
	if (k[T_GROWTH] != NULL && k[T_WINDOW] == NULL)
		cfg_perr(y, k[T_GROWTH], "%s: 'growth' needs a 'window' to measure it over, "
		    "e.g. window: 10m", label);
	if (k[T_WINDOW] != NULL && k[T_GROWTH] == NULL && first != NULL)
		cfg_perr(y, k[T_WINDOW], "%s: 'window' only goes with 'growth'; above and "
		    "below use 'for'", label);
	if (k[T_FOR] != NULL && k[T_GROWTH] != NULL && first == k[T_GROWTH])
		cfg_perr(y, k[T_FOR], "%s: 'for' only goes with 'above' or 'below'; growth "
		    "uses 'window'", label);
}

void
cfg_threshold(struct ctx *x, const yaml_node_t *n, size_t i)
{
	static const char *const keys[] = { "name", "group", "state", "metric", "above",
	    "below", "growth", "rate_above", "fill_above", "peer_port_share_above",
	    "oldest_above", "window", "for", "severity", NULL };
	struct cfgyaml *y = &x->y;
	struct threshold *t = &x->c->thresholds[i];
	struct cfg_fields f;
	char label[TT_NAME_MAX + 16];

	t->line = n->start_mark.line + 1;
	t->severity = SEV_WARNING;
	t->kind = TH_COUNT;
	strcpy(t->group, "all");
	if (cfg_fields(y, n, keys, &f, "each threshold in 'thresholds'") == -1)
		return;
	thr_name(x, &f, n, i);
	if (t->name[0] != '\0')
		snprintf(label, sizeof(label), "threshold '%s'", t->name);
	else
		snprintf(label, sizeof(label), "threshold #%zu", i + 1);
	thr_state(y, &f, n, t, label);
	thr_metric(y, &f, t, label);
	thr_misc(x, &f, t, label);
	thr_value(y, &f, t, label);
	thr_fit(y, &f, t, label);
	thr_rule(y, &f, n, label);
	if (f.val[T_WINDOW] != NULL &&
	    cfg_get_duration(y, f.val[T_WINDOW], "window", &t->window) == 0 &&
	    f.key[T_GROWTH] != NULL && t->window == 0)
		cfg_perr(y, f.val[T_WINDOW], "'window' must be longer than 0, e.g. window: 10m");
}
