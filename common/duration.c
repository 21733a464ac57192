/* Durations ("10s", "5m", "2h", "14d", bare "0") and rates ("100/min"). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/tcptally.h"

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
