/*
 * The kernel's TCP counters, gauges and limits: their names, and the pure
 * parsers of the /proc files they are read from (collector/context.c reads
 * the files). A value past INT64_MAX (a counter 2^63 events old) is taken as
 * absent: the database holds signed 64-bit integers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/kernel.h"
#include "tcptally/tcptally.h"

#define FIELDS_MAX	512		/* a line of /proc/net/netstat holds about 120 */

static const struct {
	const char	*name, *prefix, *field;
	int		 file, kind;
} kstats[TT_NKSTATS] = {
#define KSTAT_(name, file, prefix, field, kind)	{ #name, prefix, field, file, kind },
	TT_KSTATS(KSTAT_)
#undef KSTAT_
};

static const struct {
	const char	*name, *path;
	int		 index;
} klimits[TT_NKLIMITS] = {
#define KLIMIT_(name, path, index)	{ #name, path, index },
	TT_KLIMITS(KLIMIT_)
#undef KLIMIT_
};

const char *
kstat_name(int i)
{
	return i >= 0 && i < TT_NKSTATS ? kstats[i].name : NULL;
}

int
kstat_kind(int i)
{
	return kstats[i].kind;
}

int
kstat_file(int i)
{
	return kstats[i].file;
}

int
kstat_from_name(const char *name)
{
	int i;

	for (i = 0; i < TT_NKSTATS; i++)
		if (strcmp(kstats[i].name, name) == 0)
			return i;
	return -1;
}

const char *
klimit_name(int i)
{
	return i >= 0 && i < TT_NKLIMITS ? klimits[i].name : NULL;
}

const char *
klimit_path(int i)
{
	return klimits[i].path;
}

int
klimit_index(int i)
{
	return klimits[i].index;
}

size_t
kstat_sql(char *buf, size_t len, const char *sep, const char *tmpl, int first)
{
#define KSTAT_NAME_(name, file, prefix, field, kind)	#name,
	static const char *const names[TT_NKSTATS] = { TT_KSTATS(KSTAT_NAME_) };
#undef KSTAT_NAME_

	return sql_list(buf, len, sep, tmpl, first, names, TT_NKSTATS);
}

size_t
kernel_rollup_sql(char *buf, size_t len, int64_t from, int64_t to)
{
	char cols[2048], gcols[1024], sums[4096], gaggs[1024], inner[2048];
	size_t off = 0, c = 0, g = 0, ic = 0;
	int i;

	cols[0] = gcols[0] = sums[0] = gaggs[0] = inner[0] = '\0';
	for (i = 0; i < TT_NKSTATS; i++) {
		const char *n = kstats[i].name;

		if (kstats[i].kind == KS_COUNTER) {
			c += (size_t)snprintf(cols + c, sizeof(cols) - c, ", %s", n);
			off += (size_t)snprintf(sums + off, sizeof(sums) - off, ", sum(CASE WHEN "
			    "ts - pts <= 3 * iv AND %s >= p_%s THEN %s - p_%s END)", n, n, n, n);
			ic += (size_t)snprintf(inner + ic, sizeof(inner) - ic, ", %s, lag(%s) OVER w"
			    " AS p_%s", n, n, n);
		} else {
			g += (size_t)snprintf(gcols + g, sizeof(gcols) - g, ", %s_min, %s_max", n, n);
			snprintf(gaggs + strlen(gaggs), sizeof(gaggs) - strlen(gaggs),
			    ", min(%s), max(%s)", n, n);
			ic += (size_t)snprintf(inner + ic, sizeof(inner) - ic, ", %s", n);
		}
	}
	return (size_t)snprintf(buf, len, "DELETE FROM hourly_kernel WHERE ts >= %lld AND "
	    "ts < %lld; INSERT INTO hourly_kernel (ts, host, samples, secs%s%s) "
	    "SELECT ts - ts %% 3600, host, count(*), sum(CASE WHEN ts - pts <= 3 * iv THEN "
	    "ts - pts ELSE 0 END)%s%s FROM (SELECT ts, host, interval AS iv, lag(ts) OVER w "
	    "AS pts%s FROM sample_kernel WHERE ts >= %lld AND ts < %lld "
	    "WINDOW w AS (PARTITION BY host ORDER BY ts)) WHERE ts >= %lld "
	    "GROUP BY ts - ts %% 3600, host;", (long long)from, (long long)to, cols, gcols,
	    sums, gaggs, inner, (long long)(from - 3 * 3600), (long long)to, (long long)from);
}

/* A decimal number of up to INT64_MAX; -1 if it is not one (or too large). */
static int
number(const char *s, size_t len, int64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > (uint64_t)INT64_MAX)
		return -1;
	*out = (int64_t)v;
	return 0;
}

/* The whitespace-separated words of line[0..len) after its prefix; how many (at most max). */
static size_t
words(const char *line, size_t len, const char **w, size_t *wl, size_t max)
{
	const char *p = line, *end = line + len;
	size_t n = 0;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		if (n < max) {
			w[n] = p;
			while (p < end && *p != ' ' && *p != '\t')
				p++;
			wl[n] = (size_t)(p - w[n]);
		} else
			while (p < end && *p != ' ' && *p != '\t')
				p++;
		n++;
	}
	return n;
}

/* The kstat of this file, prefix and field, or -1. */
static int
lookup(int file, const char *prefix, size_t plen, const char *field, size_t flen)
{
	int i;

	for (i = 0; i < TT_NKSTATS; i++)
		if (kstats[i].file == file && strlen(kstats[i].prefix) == plen &&
		    memcmp(kstats[i].prefix, prefix, plen) == 0 &&
		    strlen(kstats[i].field) == flen && memcmp(kstats[i].field, field, flen) == 0)
			return i;
	return -1;
}

static void
set(struct kstat *k, int i, const char *s, size_t len)
{
	int64_t v;

	if (i >= 0 && number(s, len, &v) == 0) {
		k->v[i] = v;
		k->have |= 1u << i;
	}
}

/* "Prefix: names" and "Prefix: values": the pair's fields into k. */
static int
parse_pair(int file, const char *prefix, size_t plen, const char *names, size_t nlen,
    const char *vals, size_t vlen, struct kstat *k, char *why, size_t whylen)
{
	const char *nw[FIELDS_MAX], *vw[FIELDS_MAX];
	size_t nl[FIELDS_MAX], vl[FIELDS_MAX], nn, nv, i;

	nn = words(names, nlen, nw, nl, FIELDS_MAX);
	nv = words(vals, vlen, vw, vl, FIELDS_MAX);
	if (nn != nv || nn > FIELDS_MAX) {
		snprintf(why, whylen, "%.*s: %zu names but %zu values", (int)plen, prefix, nn, nv);
		return -1;
	}
	for (i = 0; i < nn; i++)
		set(k, lookup(file, prefix, plen, nw[i], nl[i]), vw[i], vl[i]);
	return 0;
}

/* "Prefix: name value name value ..." */
static void
parse_flat(int file, const char *prefix, size_t plen, const char *rest, size_t rlen,
    struct kstat *k)
{
	const char *w[FIELDS_MAX];
	size_t wl[FIELDS_MAX], n, i;

	n = words(rest, rlen, w, wl, FIELDS_MAX);
	for (i = 0; i + 1 < n && i + 1 < FIELDS_MAX; i += 2)
		set(k, lookup(file, prefix, plen, w[i], wl[i]), w[i + 1], wl[i + 1]);
}

int
kstat_parse(int file, const char *buf, size_t len, struct kstat *k, char *why, size_t whylen)
{
	const char *p = buf, *end = buf + len, *nl, *colon, *prev = NULL;
	size_t plen, prevlen = 0, prevplen = 0;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if ((colon = memchr(p, ':', (size_t)(nl - p))) == NULL)
			continue;
		plen = (size_t)(colon - p);
		if (file == KS_SOCKSTAT || file == KS_SOCKSTAT6) {
			parse_flat(file, p, plen, colon + 1, (size_t)(nl - colon - 1), k);
			continue;
		}
		/* names and values alternate: a line of the prefix the line before had */
		if (prev != NULL && prevplen == plen && memcmp(prev, p, plen) == 0) {
			if (parse_pair(file, p, plen, prev + plen + 1, prevlen - plen - 1,
			    colon + 1, (size_t)(nl - colon - 1), k, why, whylen) == -1)
				return -1;
			prev = NULL;
			continue;
		}
		prev = p;
		prevlen = (size_t)(nl - p);
		prevplen = plen;
		if (nl == end)
			break;
	}
	return 0;
}

int
klimit_parse(const char *buf, size_t len, int index, int64_t *out)
{
	const char *w[4];
	size_t wl[4], n, l = len;

	while (l > 0 && (buf[l - 1] == '\n' || buf[l - 1] == ' '))
		l--;
	n = words(buf, l, w, wl, 4);
	if (index < 0 || (size_t)index >= n || index >= 4)
		return -1;
	return number(w[index], wl[index], out);
}
