/*
 * The two import formats, one line at a time, without I/O: CSV as
 * `tcptally-report export --format csv` writes it, and cron logs of
 * `date; netstat -n | awk '/^tcp/ {++S[$NF]} END {for(a in S) print a, S[a]}'`.
 * Lines are parsed in place: CSV fields are unquoted and NUL-terminated
 * inside the caller's buffer, so a row costs no allocation.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tcptally/timeutil.h"
#include "import.h"

#define TS_MAX		253402300799LL	/* 9999-12-31T23:59:59Z, as logtime_parse */
#define CSV_FIELDS	6	/* at most: the header's 5, and netns */
#define SHOW_MAX	48
#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

int
import_is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)s[i]))
			return 0;
	return 1;
}

int
import_is_header(const char *s, size_t len)
{
	size_t n = sizeof(IMPORT_HEADER) - 1, nn = sizeof(IMPORT_HEADER_NETNS) - 1;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len == nn && memcmp(s, IMPORT_HEADER_NETNS, nn) == 0)
		return 2;
	return len == n && memcmp(s, IMPORT_HEADER, n) == 0;
}

int
import_csv_complete(const char *s, size_t len)
{
	const char *p, *end = s + len;
	int quotes = 0;

	for (p = s; (p = memchr(p, '"', (size_t)(end - p))) != NULL; p++)
		quotes++;
	return quotes % 2 == 0;
}

const char *
import_show(char *buf, size_t size, const char *s, size_t len)
{
	size_t i, n = len > SHOW_MAX ? SHOW_MAX : len;

	if (size < n + 6)
		n = size < 6 ? 0 : size - 6;
	buf[0] = '\'';
	for (i = 0; i < n; i++)
		buf[i + 1] = iscntrl((unsigned char)s[i]) ? '?' : s[i];
	if (n < len) {
		memcpy(buf + n + 1, "...'", 5);
		return buf;
	}
	buf[n + 1] = '\'';
	buf[n + 2] = '\0';
	return buf;
}

/* Digits only, at most max: 0, -1 not a whole number, -2 too large. */
static int
parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return -1;
	for (i = 0; i < len; i++) {
		if (v > (max - (uint64_t)(s[i] - '0')) / 10)
			return -2;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int
parse_ts(const char *s, size_t len, int64_t *ts, char *why, size_t whylen)
{
	char b[SHOW_MAX + 8];
	uint64_t v;

	switch (parse_uint(s, len, TS_MAX, &v)) {
	case 0:
		*ts = (int64_t)v;
		return 0;
	case -2:
		snprintf(why, whylen, "timestamp %s is out of range (0 to %lld)",
		    import_show(b, sizeof(b), s, len), TS_MAX);
		return -1;
	}
	snprintf(why, whylen, "bad timestamp %s: expected unix seconds, a whole number "
	    "such as 1795464350", import_show(b, sizeof(b), s, len));
	return -1;
}

/* s is NUL-terminated. */
static int
parse_state(const char *s, size_t len, int *state, char *why, size_t whylen)
{
	char b[SHOW_MAX + 8];
	int i;

	if ((*state = state_from_name(s)) != -1)
		return 0;
	for (i = 1; i <= TT_NSTATES; i++)
		if (strcasecmp(s, state_name(i)) == 0) {
			snprintf(why, whylen, "unknown state %s (did you mean '%s'?); the "
			    "states are %s", import_show(b, sizeof(b), s, len),
			    state_name(i), state_names_list());
			return -1;
		}
	snprintf(why, whylen, "unknown state %s; the states are %s",
	    import_show(b, sizeof(b), s, len), state_names_list());
	return -1;
}

static int
parse_count(const char *s, size_t len, int state, uint64_t *count, char *why,
    size_t whylen)
{
	char b[SHOW_MAX + 8];

	switch (parse_uint(s, len, TT_COUNT_MAX, count)) {
	case 0:
		return 0;
	case -2:
		snprintf(why, whylen, "count %s for %s is too large (at most %lld)",
		    import_show(b, sizeof(b), s, len), state_name(state), TT_COUNT_MAX);
		return -1;
	}
	snprintf(why, whylen, "bad count %s for %s: expected a whole number from 0 to %lld",
	    import_show(b, sizeof(b), s, len), state_name(state), TT_COUNT_MAX);
	return -1;
}

static const char *const listen_names[] = { "listeners", "queued", "backlog", "max_fill",
	"full" };

const char *
import_field_name(int f, char *buf, size_t len)
{
	int x = f - IMPORT_F(0);

	if (f >= 1 && f <= TT_NSTATES)
		snprintf(buf, len, "%s", state_name(f));
	else if (x >= IX_LISTENERS && x <= IX_FULL)
		snprintf(buf, len, "listen.%s", listen_names[x]);
	else if (x == IX_INTERVAL)
		snprintf(buf, len, "sample.interval");
	else if (x >= IX_KSTAT0 && x < IX_KLIMIT0)
		snprintf(buf, len, "kernel.%s", kstat_name(x - IX_KSTAT0));
	else if (x >= IX_KLIMIT0 && x < IX_N)
		snprintf(buf, len, "limit.%s", klimit_name(x - IX_KLIMIT0));
	else
		snprintf(buf, len, "?");
	return buf;
}

int
import_unit(int f)
{
	int x = f - IMPORT_F(0);

	return x <= IX_FULL ? IU_LISTEN : x < IX_KLIMIT0 ? IU_SAMPLE : IU_LIMIT;
}

/* The field a name beyond the states stands for, or -1. */
static int
extra_field(const char *s)
{
	size_t i;
	int k;

	if (strncmp(s, "listen.", 7) == 0) {
		for (i = 0; i < sizeof(listen_names) / sizeof(listen_names[0]); i++)
			if (strcmp(s + 7, listen_names[i]) == 0)
				return IMPORT_F(IX_LISTENERS + (int)i);
	} else if (strcmp(s, "sample.interval") == 0)
		return IMPORT_F(IX_INTERVAL);
	else if (strncmp(s, "kernel.", 7) == 0 && (k = kstat_from_name(s + 7)) != -1)
		return IMPORT_F(IX_KSTAT0 + k);
	else if (strncmp(s, "limit.", 6) == 0)
		for (k = 0; k < TT_NKLIMITS; k++)
			if (strcmp(s + 6, klimit_name(k)) == 0)
				return IMPORT_F(IX_KLIMIT0 + k);
	return -1;
}

/* A CSV row's field: a state, or what export writes after them. s is NUL-terminated. */
static int
parse_field(const char *s, size_t len, const char *group, int *f, char *why, size_t whylen)
{
	char b[SHOW_MAX + 8], n[64];

	if ((*f = extra_field(s)) == -1) {
		if (strchr(s, '.') == NULL)
			return parse_state(s, len, f, why, whylen);
		snprintf(why, whylen, "unknown field %s; after the states, export writes "
		    "listen.{listeners,queued,backlog,max_fill,full}, sample.interval, "
		    "kernel.NAME and limit.NAME (tcptally-report(1), EXPORT)",
		    import_show(b, sizeof(b), s, len));
		return -1;
	}
	if (import_unit(*f) != IU_LISTEN && strcmp(group, "all") != 0) {
		snprintf(why, whylen, "%s belongs to the host's sample, in group all, not "
		    "group '%s'", import_field_name(*f, n, sizeof(n)), group);
		return -1;
	}
	return 0;
}

/* A fill: a decimal number from 0 to IMPORT_FILL_MAX, as export writes it. */
static int
parse_fill(const char *s, size_t len, double *out, char *why, size_t whylen)
{
	char b[SHOW_MAX + 8], *end = NULL;
	size_t i;
	double v;

	for (i = 0; i < len; i++)
		if (!isdigit((unsigned char)s[i]) && s[i] != '.' && s[i] != 'e' && s[i] != 'E' &&
		    s[i] != '-' && s[i] != '+')
			break;
	v = len > 0 && i == len && isdigit((unsigned char)s[0]) ? strtod(s, &end) : -1;
	if (v >= 0 && end == s + len && v <= IMPORT_FILL_MAX) {
		*out = v;
		return 0;
	}
	snprintf(why, whylen, "bad listen.max_fill %s: expected a decimal number from 0 to "
	    "1000000 (the fullest queue / (its backlog + 1); 1 is full)",
	    import_show(b, sizeof(b), s, len));
	return -1;
}

/* A value of field f: its range, and for max_fill a real. */
static int
parse_value(const char *s, size_t len, int f, struct import_row *r, char *why, size_t whylen)
{
	char b[SHOW_MAX + 8], n[64];
	int x = f - IMPORT_F(0);
	uint64_t lo = 0, hi = TT_COUNT_MAX;

	if (f >= 1 && f <= TT_NSTATES)
		return parse_count(s, len, f, &r->count, why, whylen);
	if (x == IX_MAX_FILL)
		return parse_fill(s, len, &r->real, why, whylen);
	if (x == IX_INTERVAL) {
		lo = 1;
		hi = 3600;
	} else if (x >= IX_KSTAT0)
		hi = INT64_MAX;
	if (parse_uint(s, len, hi, &r->count) == 0 && r->count >= lo)
		return 0;
	snprintf(why, whylen, "bad %s %s: expected a whole number from %llu to %llu",
	    import_field_name(f, n, sizeof(n)), import_show(b, sizeof(b), s, len),
	    (unsigned long long)lo, (unsigned long long)hi);
	return -1;
}

int
import_group_ok(const char *g, char *why, size_t whylen)
{
	char b[SHOW_MAX + 8];
	size_t len = strlen(g);

	if (len == 0)
		snprintf(why, whylen, "empty group name; group names are 1 to %d characters "
		    "of A-Z a-z 0-9 _ . -", TT_NAME_MAX - 1);
	else if (len >= TT_NAME_MAX)
		snprintf(why, whylen, "group name %s is too long (at most %d characters)",
		    import_show(b, sizeof(b), g, len), TT_NAME_MAX - 1);
	else if (g[strspn(g, NAME_CHARS)] != '\0')
		snprintf(why, whylen, "group name %s has invalid characters; use only "
		    "A-Z a-z 0-9 _ . -", import_show(b, sizeof(b), g, len));
	else
		return 0;
	return -1;
}

int
import_future(int64_t ts, int64_t now, char *why, size_t whylen)
{
	char t[32], n[32], ahead[64];

	if (ts <= now + IMPORT_FUTURE_MAX)
		return 0;
	time_format_utc(ts, t, sizeof(t));
	time_format_utc(now, n, sizeof(n));
	duration_span(ts - now, ahead, sizeof(ahead));
	snprintf(why, whylen, "timestamp %s is %s ahead of this host's clock (%s; at "
	    "most %d s ahead is accepted): if the clock is right, fix the row's time or "
	    "drop the row; if the clock is behind, set it and import again", t, ahead, n,
	    IMPORT_FUTURE_MAX);
	return -1;
}

/* One quoted field at *pp, unquoted in place and NUL-terminated. */
static int
csv_quoted(char **pp, char *end, int n, size_t *flen, char *why, size_t whylen)
{
	char *p = *pp + 1, *o = *pp, *start = *pp;

	for (;;) {
		if (p == end) {
			snprintf(why, whylen, "field %d: unterminated quoted field", n);
			return -1;
		}
		if (*p == '"') {
			if (p + 1 < end && p[1] == '"') {
				*o++ = '"';
				p += 2;
				continue;
			}
			p++;
			break;
		}
		*o++ = *p++;
	}
	if (p < end && *p != ',') {
		snprintf(why, whylen, "field %d: '%c' after the closing quote; a quote "
		    "inside a quoted field is written \"\"", n, *p);
		return -1;
	}
	*o = '\0';
	*flen = (size_t)(o - start);
	*pp = p;
	return 0;
}

/*
 * Split s[0..len) into fields in place: quoted fields lose their quotes, ""
 * becomes ". Stores at most nf; returns how many there are, or -1.
 */
static int
csv_split(char *s, size_t len, char **f, size_t *flen, int nf, char *why, size_t whylen)
{
	char *p = s, *end = s + len, *q;
	size_t l;
	int n = 0;

	for (;;) {
		q = p;
		if (p < end && *p == '"') {
			if (csv_quoted(&p, end, n + 1, &l, why, whylen) == -1)
				return -1;
		} else {
			while (p < end && *p != ',' && *p != '"')
				p++;
			if (p < end && *p == '"') {
				snprintf(why, whylen, "field %d: stray '\"'; a field with "
				    "quotes must be quoted whole, e.g. \"a\"\"b\"", n + 1);
				return -1;
			}
			l = (size_t)(p - q);
		}
		if (n < nf) {
			f[n] = q;
			flen[n] = l;
		}
		n++;
		if (p == end) {
			q[l] = '\0';
			return n;
		}
		q[l] = '\0';		/* the comma, or inside a quoted field */
		p++;
	}
}

int
import_csv_row(char *s, size_t len, int netns, struct import_row *r, char *why, size_t whylen)
{
	char *f[CSV_FIELDS];
	size_t fl[CSV_FIELDS];
	int n, want = netns ? 6 : 5;

	if ((n = csv_split(s, len, f, fl, CSV_FIELDS, why, whylen)) == -1)
		return -1;
	if (n != want) {
		snprintf(why, whylen, "expected %d fields (%s), found %d", want,
		    netns ? IMPORT_HEADER_NETNS : IMPORT_HEADER, n);
		return -1;
	}
	if (parse_ts(f[0], fl[0], &r->ts, why, whylen) == -1)
		return -1;
	if (fl[1] == 0) {
		snprintf(why, whylen, "empty host name");
		return -1;
	}
	if (fl[1] >= TT_HOST_MAX) {
		snprintf(why, whylen, "host name is too long (%zu bytes, at most %d)",
		    fl[1], TT_HOST_MAX - 1);
		return -1;
	}
	if (!text_printable(f[1], fl[1])) {
		snprintf(why, whylen, "host name has control characters or is not UTF-8");
		return -1;
	}
	r->host = f[1];
	r->group = f[2];
	r->netns = "host";
	if (netns) {
		if (fl[5] == 0 || fl[5] >= TT_HOST_MAX || !text_printable(f[5], fl[5])) {
			snprintf(why, whylen, "netns is not 1 to %d bytes of printable UTF-8 (the "
			    "label of a network namespace: host, a name under /run/netns, a "
			    "cgroup, netns:INODE)", TT_HOST_MAX - 1);
			return -1;
		}
		r->netns = f[5];
	}
	if (import_group_ok(f[2], why, whylen) == -1 ||
	    parse_field(f[3], fl[3], f[2], &r->state, why, whylen) == -1 ||
	    parse_value(f[4], fl[4], r->state, r, why, whylen) == -1)
		return -1;
	return 0;
}

/* A count could be meant: digits, perhaps signed. */
static int
numeric(const char *s, size_t len)
{
	if (len > 1 && (*s == '-' || *s == '+')) {
		s++;
		len--;
	}
	if (len == 0)
		return 0;
	for (; len > 0; s++, len--)	/* all digits: "18:02:01" is a time, not a count */
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int
is_state(const char *s, size_t len)
{
	char b[16];

	if (len >= sizeof(b))
		return 0;
	memcpy(b, s, len);
	b[len] = '\0';
	return state_from_name(b) != -1;
}

/* "STATE COUNT"; tok[] as import_cron_line split them. */
static int
cron_count(char **tok, size_t *tlen, int ntok, struct cron_line *c, char *why,
    size_t whylen)
{
	if (ntok != 2) {
		snprintf(why, whylen, "expected 'STATE COUNT', found %d field%s", ntok,
		    ntok == 1 ? "" : "s");
		return -1;
	}
	tok[0][tlen[0]] = '\0';
	tok[1][tlen[1]] = '\0';
	if (parse_state(tok[0], tlen[0], &c->state, why, whylen) == -1 ||
	    parse_count(tok[1], tlen[1], c->state, &c->count, why, whylen) == -1)
		return -1;
	c->kind = CRON_COUNT;
	return 0;
}

/*
 * A state line is two words with a number second, or starts with a state
 * name; anything else must be a timestamp. No timestamp form looks like
 * either, so each error names what the line was meant to be.
 */
int
import_cron_line(char *s, size_t len, struct cron_line *c, char *why, size_t whylen)
{
	static const char spaces[] = " \t\r\v\f";
	char b[SHOW_MAX + 8], *p = s, *end, *tok[2] = { NULL, NULL };
	size_t tlen[2] = { 0, 0 };
	const char *lwhy;
	int ntok = 0;

	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	s[len] = '\0';
	end = s + len;
	while (p < end && isspace((unsigned char)*p))
		p++;
	for (; p < end; ntok++) {
		if (ntok < 2) {
			tok[ntok] = p;
			tlen[ntok] = strcspn(p, spaces);
		}
		p += strcspn(p, spaces);
		/* a NUL byte inside the line ends no token: skip it, or we would spin */
		while (p < end && (isspace((unsigned char)*p) || *p == '\0'))
			p++;
	}
	if (ntok == 0) {
		snprintf(why, whylen, "empty line");
		return -1;
	}
	if ((ntok == 2 && numeric(tok[1], tlen[1])) || is_state(tok[0], tlen[0]))
		return cron_count(tok, tlen, ntok, c, why, whylen);
	if (logtime_parse(tok[0], &c->ts, &lwhy) == -1) {
		snprintf(why, whylen, "bad timestamp %s: %s", import_show(b, sizeof(b),
		    tok[0], (size_t)(end - tok[0])), lwhy);
		return -1;
	}
	c->kind = CRON_STAMP;
	return 0;
}

void
import_sample_start(struct import_sample *s, int64_t ts, const char *host,
    const char *netns, const char *group, size_t line)
{
	memset(s->count, 0, sizeof(s->count));
	memset(s->line, 0, sizeof(s->line));
	s->ts = ts;
	snprintf(s->host, sizeof(s->host), "%s", host);
	snprintf(s->netns, sizeof(s->netns), "%s", netns);
	snprintf(s->group, sizeof(s->group), "%s", group);
	s->first = line;
	s->n = 0;
}

int
import_sample_same(const struct import_sample *s, int64_t ts, const char *host,
    const char *netns, const char *group)
{
	return s->ts == ts && strcmp(s->host, host) == 0 && strcmp(s->group, group) == 0 &&
	    strcmp(s->netns, netns) == 0;
}

static void
dup_msg(const struct import_sample *s, int state, size_t first, char *why,
    size_t whylen)
{
	char b[SHOW_MAX + 8], n[64], ns[SHOW_MAX + 16] = "";

	if (strcmp(s->netns, "host") != 0) {
		memcpy(ns, ", netns ", 8);
		import_show(ns + 8, sizeof(ns) - 8, s->netns, strlen(s->netns));
	}
	snprintf(why, whylen, "duplicate %s for ts %lld, host %s%s, group '%s' (first "
	    "given on line %zu)", import_field_name(state, n, sizeof(n)), (long long)s->ts,
	    import_show(b, sizeof(b), s->host, strlen(s->host)), ns, s->group, first);
}

int
import_sample_add(struct import_sample *s, int state, uint64_t count, size_t line,
    char *why, size_t whylen)
{
	if (s->line[state] != 0) {
		dup_msg(s, state, s->line[state], why, whylen);
		return -1;
	}
	s->count[state] = count;
	s->line[state] = line;
	s->n++;
	return 0;
}

int
import_sample_clash(const struct import_sample *s, const size_t *earlier, size_t *line,
    char *why, size_t whylen)
{
	int i, hit = 0;

	for (i = 1; i < IMPORT_NF; i++)
		if (s->line[i] != 0 && earlier[i] != 0 &&
		    (hit == 0 || s->line[i] < s->line[hit]))
			hit = i;
	if (hit == 0)
		return 0;
	*line = s->line[hit];
	dup_msg(s, hit, earlier[hit], why, whylen);
	return -1;
}

size_t
import_unit_line(const struct import_sample *s, int u)
{
	size_t line = 0;
	int f;

	for (f = IMPORT_F(0); f < IMPORT_NF; f++)
		if (import_unit(f) == u && s->line[f] != 0 && (line == 0 || s->line[f] < line))
			line = s->line[f];
	return line;
}

int
import_sample_whole(const struct import_sample *s, size_t *line, char *why, size_t whylen)
{
	char a[64], b[64];
	int f, given = -1, missing = -1;

	for (f = IMPORT_F(IX_LISTENERS); f <= IMPORT_F(IX_FULL); f++)
		if (s->line[f] != 0)
			given = f;
		else if (missing == -1)
			missing = f;
	if (given != -1 && missing != -1) {
		*line = s->line[given];
		snprintf(why, whylen, "%s without %s for ts %lld, group '%s': a group's accept "
		    "queues come as all five listen.* rows", import_field_name(given, a, sizeof(a)),
		    import_field_name(missing, b, sizeof(b)), (long long)s->ts, s->group);
		return -1;
	}
	for (f = IMPORT_F(IX_KSTAT0); f < IMPORT_F(IX_KLIMIT0); f++)
		if (s->line[f] != 0 && s->line[IMPORT_F(IX_INTERVAL)] == 0) {
			*line = s->line[f];
			snprintf(why, whylen, "%s without sample.interval for ts %lld: the kernel's "
			    "counters need the interval they were sampled at (a gap of more than 3 "
			    "ends a rate)", import_field_name(f, a, sizeof(a)), (long long)s->ts);
			return -1;
		}
	return 0;
}
