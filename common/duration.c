/* Durations ("10s", "5m", "2h", "14d", bare "0") and rates ("100/min"). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/timeutil.h"

#define DURATION_MAX	(100LL * 365 * 86400)	/* a century is plenty */

static int
unit_secs(const char *u, int64_t *mult)
{
	if (strcmp(u, "s") == 0)
		*mult = 1;
	else if (strcmp(u, "m") == 0)
		*mult = 60;
	else if (strcmp(u, "h") == 0)
		*mult = 3600;
	else if (strcmp(u, "d") == 0)
		*mult = 86400;
	else
		return -1;
	return 0;
}

int
duration_parse(const char *s, int64_t *secs, const char **why)
{
	const char *p = s;
	int64_t n = 0, mult;

	if (s == NULL || *s == '\0') {
		*why = "empty duration; use Ns, Nm, Nh or Nd, e.g. 10s";
		return -1;
	}
	if (*p == '-') {
		*why = "a duration cannot be negative";
		return -1;
	}
	if (!isdigit((unsigned char)*p)) {
		*why = "not a duration; use Ns, Nm, Nh or Nd, e.g. 10s";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > DURATION_MAX) {
			*why = "duration too long (at most 36500d)";
			return -1;
		}
	}
	if (*p == '\0') {
		if (n == 0) {
			*secs = 0;
			return 0;
		}
		*why = "a duration needs a unit (s, m, h or d); only 0 may stand alone";
		return -1;
	}
	if (unit_secs(p, &mult) == -1) {
		*why = "unknown duration unit; use s, m, h or d, e.g. 10s";
		return -1;
	}
	if (n > DURATION_MAX / mult) {
		*why = "duration too long (at most 36500d)";
		return -1;
	}
	*secs = n * mult;
	return 0;
}

int
rate_parse(const char *s, double *per_sec, const char **why)
{
	char *end;
	const char *slash;
	double v;
	int64_t mult;

	if (s == NULL || (slash = strchr(s, '/')) == NULL) {
		*why = "a rate is COUNT/UNIT, e.g. 100/min (units s, min, h)";
		return -1;
	}
	errno = 0;
	v = strtod(s, &end);
	if (end != slash || end == s || errno != 0 || !(v > 0) || v > 1e12) {
		*why = "a rate needs a positive number before '/', e.g. 100/min";
		return -1;
	}
	slash++;
	if (strcmp(slash, "s") == 0 || strcmp(slash, "sec") == 0)
		mult = 1;
	else if (strcmp(slash, "min") == 0 || strcmp(slash, "m") == 0)
		mult = 60;
	else if (strcmp(slash, "h") == 0 || strcmp(slash, "hour") == 0)
		mult = 3600;
	else {
		*why = "unknown rate unit; use /s, /min or /h, e.g. 100/min";
		return -1;
	}
	*per_sec = v / (double)mult;
	return 0;
}

void
duration_format(int64_t secs, char *buf, size_t len)
{
	if (secs != 0 && secs % 86400 == 0)
		snprintf(buf, len, "%lldd", (long long)(secs / 86400));
	else if (secs != 0 && secs % 3600 == 0)
		snprintf(buf, len, "%lldh", (long long)(secs / 3600));
	else if (secs != 0 && secs % 60 == 0)
		snprintf(buf, len, "%lldm", (long long)(secs / 60));
	else
		snprintf(buf, len, "%llds", (long long)secs);
}

void
duration_span(int64_t secs, char *buf, size_t len)
{
	static const struct { int64_t secs; char unit; } units[] = {
		{ 86400, 'd' }, { 3600, 'h' }, { 60, 'm' }, { 1, 's' } };
	size_t off = 0, i;
	int64_t n;

	if (len == 0)
		return;
	buf[0] = '\0';
	if (secs <= 0) {
		snprintf(buf, len, "0s");
		return;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if ((n = secs / units[i].secs) == 0)
			continue;
		secs %= units[i].secs;
		off += (size_t)snprintf(off < len ? buf + off : NULL, off < len ? len - off : 0,
		    "%s%lld%c", off > 0 ? " " : "", (long long)n, units[i].unit);
	}
}

/*
 * Sizes: a byte count with an optional binary suffix, "512M", "2G", "1T"
 * (K, M, G, T are powers of 1024; a trailing "B" or "iB" is accepted).
 * Bare 0 means "no cap".  The smallest cap accepted is 1M: below that the
 * schema and one hour of samples do not fit.
 */
int
size_parse(const char *s, int64_t *bytes, const char **why)
{
	const char *p = s;
	int64_t n = 0, mult = 1;

	if (s == NULL || !isdigit((unsigned char)*s)) {
		*why = "not a size; use a number with K, M, G or T, e.g. 2G";
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (*p - '0');
		if (n > (1LL << 50)) {
			*why = "size too large (at most 1024T)";
			return -1;
		}
	}
	switch (*p) {
	case '\0':
		break;
	case 'K': case 'k':
		mult = 1LL << 10; p++;
		break;
	case 'M':
		mult = 1LL << 20; p++;
		break;
	case 'G':
		mult = 1LL << 30; p++;
		break;
	case 'T':
		mult = 1LL << 40; p++;
		break;
	default:
		*why = "unknown size unit; use K, M, G or T, e.g. 2G";
		return -1;
	}
	if (mult > 1 && (strcmp(p, "B") == 0 || strcmp(p, "iB") == 0))
		p += strlen(p);
	if (*p != '\0') {
		*why = "unknown size unit; use K, M, G or T, e.g. 2G";
		return -1;
	}
	if (n > (1LL << 50) / mult) {
		*why = "size too large (at most 1024T)";
		return -1;
	}
	n *= mult;
	if (n != 0 && n < (1LL << 20)) {
		*why = "a size cap below 1M cannot hold the schema and an hour of samples; "
		    "use 0 for no cap";
		return -1;
	}
	*bytes = n;
	return 0;
}

void
size_format(int64_t bytes, char *buf, size_t len)
{
	static const char u[] = "KMGT";
	int i;

	for (i = 3; i >= 0; i--)
		if (bytes != 0 && bytes % (1LL << (10 * (i + 1))) == 0) {
			snprintf(buf, len, "%lld%c",
			    (long long)(bytes >> (10 * (i + 1))), u[i]);
			return;
		}
	snprintf(buf, len, "%lld", (long long)bytes);
}
