/*
 * Times on the report's command line and timestamp lines of cron logs.
 *
 * time_parse accepts
 *	2026-11-23T18:00:00Z		UTC
 *	2026-11-23T18:00:00+01:00	an offset from UTC (also +0100, +01)
 *	2026-11-23T18:00:00		local time (ISO 8601 without a zone)
 *	2026-11-23 18:00[:05]		local time
 *	2026-11-23			local midnight
 *	@1795464350			seconds since the epoch
 *	-2h, -30m, -7d, -90s		that long before `now`
 *	now
 * logtime_parse accepts @EPOCH, the ISO forms above with seconds, and
 * date(1)'s default C-locale output, "Mon Nov 23 18:00:01 UTC 2026"
 * ("Nov  3" with two spaces, or without a zone as ctime(3) prints it).
 * There UTC, GMT, UT and Z mean UTC and "+01"/"+0100" is an offset;
 * any other abbreviation must be the local zone's, tzname[0] or tzname[1]
 * of the process's TZ: the time is local, and the abbreviation says
 * whether DST applies (the repeated hour in autumn). Another one (EST
 * under TZ=UTC) is an error: abbreviations are ambiguous (IST, CST), and
 * read as local time it would silently be off by hours.
 *
 * Only the local forms depend on TZ (mktime with tm_isdst = -1); a
 * local time in a DST gap is normalised by mktime (02:30 -> 03:30).
 * Fractional seconds are not accepted.  Years run from 1970 to 9999.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tcptally/timeutil.h"

#define EPOCH_MAX	253402300799LL		/* 9999-12-31T23:59:59Z */

static const char time_why[] = "not a time; use 2026-11-23T18:00:00Z, "
    "\"2026-11-23 18:00\" (local), @EPOCH, -2h or now";
static const char logtime_why[] = "not a timestamp; use @EPOCH, "
    "2026-11-23T18:00:01Z (or +01:00, or no zone for local time), "
    "\"2026-11-23 18:00:01\" (local) or date(1) output like "
    "\"Mon Nov 23 18:00:01 UTC 2026\"";

static char zone_why[512];	/* logtime_parse's reason for an unknown zone */

static const char *const wdays[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", NULL };
static const char *const months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec", NULL };

/* A broken-down time and how to read it. */
struct when {
	struct tm	 tm;
	int		 utc;		/* else local time */
	long		 off;		/* seconds east of UTC, if utc */
	int		 isdst;		/* for local time: -1 unknown */
};

/* Exactly n digits. */
static int
digits(const char **pp, int n, int *v)
{
	const char *p = *pp;

	*v = 0;
	for (; n > 0; n--, p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		*v = *v * 10 + (*p - '0');
	}
	*pp = p;
	return 0;
}

static int
lookup(const char *const *names, const char *p)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strncmp(p, names[i], 3) == 0)
			return i;
	return -1;
}

static int
month_days(int year, int mon)
{
	static const int mdays[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mdays[mon] + (mon == 1 && leap);
}

static int
tm_valid(const struct tm *tm)
{
	int year = tm->tm_year + 1900;

	return year >= 1970 && year <= 9999 &&
	    tm->tm_mon >= 0 && tm->tm_mon <= 11 &&
	    tm->tm_mday >= 1 && tm->tm_mday <= month_days(year, tm->tm_mon) &&
	    tm->tm_hour >= 0 && tm->tm_hour < 24 &&
	    tm->tm_min >= 0 && tm->tm_min < 60 &&
	    tm->tm_sec >= 0 && tm->tm_sec <= 60;
}

static int
when_epoch(struct when *w, int64_t *out)
{
	time_t t;

	if (!tm_valid(&w->tm))
		return -1;
	if (w->utc) {
		if ((t = timegm(&w->tm)) == (time_t)-1)
			return -1;	/* 1969 is out of range: an overflow */
		*out = (int64_t)t - w->off;
		/* an offset can push the edges of the range over */
		return *out < 0 || *out > EPOCH_MAX ? -1 : 0;
	}
	w->tm.tm_isdst = w->isdst;
	errno = 0;
	t = mktime(&w->tm);
	if (t == (time_t)-1 && errno != 0)
		return -1;
	*out = (int64_t)t;
	return *out < 0 || *out > EPOCH_MAX ? -1 : 0;
}

/* "+01:00", "+0100", "+01", or the same with '-'. */
static int
zone_offset(const char **pp, long *off)
{
	const char *p = *pp;
	int sign, hh, mm = 0;

	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (digits(&p, 2, &hh) == -1 || hh > 23)
		return -1;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &mm) == -1)
			return -1;
	} else if (isdigit((unsigned char)*p) && digits(&p, 2, &mm) == -1)
		return -1;
	if (mm > 59)
		return -1;
	*off = sign * (hh * 3600L + mm * 60L);
	*pp = p;
	return 0;
}

/* HH:MM[:SS], seconds required if need_sec. */
static int
parse_hms(const char **pp, struct tm *tm, int need_sec)
{
	const char *p = *pp;

	if (digits(&p, 2, &tm->tm_hour) == -1 || *p++ != ':' ||
	    digits(&p, 2, &tm->tm_min) == -1)
		return -1;
	tm->tm_sec = 0;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &tm->tm_sec) == -1)
			return -1;
	} else if (need_sec)
		return -1;
	*pp = p;
	return 0;
}

/*
 * YYYY-MM-DD[(T| )HH:MM[:SS][Z|+hh:mm]]; the whole string.  A bare
 * date only if date_only, seconds required if need_sec.
 */
static int
parse_iso(const char *s, struct when *w, int date_only, int need_sec)
{
	const char *p = s;
	int year, mon;

	memset(w, 0, sizeof(*w));
	w->isdst = -1;
	if (digits(&p, 4, &year) == -1 || *p++ != '-' ||
	    digits(&p, 2, &mon) == -1 || *p++ != '-' ||
	    digits(&p, 2, &w->tm.tm_mday) == -1)
		return -1;
	w->tm.tm_year = year - 1900;
	w->tm.tm_mon = mon - 1;
	if (*p == '\0')
		return date_only ? 0 : -1;
	if (*p != 'T' && *p != ' ')
		return -1;
	p++;
	if (parse_hms(&p, &w->tm, need_sec) == -1)
		return -1;
	if (*p == 'Z') {
		w->utc = 1;
		p++;
	} else if (*p == '+' || *p == '-') {
		if (zone_offset(&p, &w->off) == -1)
			return -1;
		w->utc = 1;
	}
	return *p == '\0' ? 0 : -1;
}

/* @EPOCH, the whole string. */
static int
parse_epoch(const char *s, int64_t *out)
{
	const char *p = s + 1;
	int64_t v = 0;

	if (*s != '@' || !isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		v = v * 10 + (*p - '0');
		if (v > EPOCH_MAX)
			return -1;
	}
	if (*p != '\0')
		return -1;
	*out = v;
	return 0;
}

int
time_parse(const char *s, int64_t now, int64_t *out, const char **why)
{
	struct when w;
	int64_t secs;
	const char *dwhy;

	*why = time_why;
	if (s == NULL)
		return -1;
	if (strcmp(s, "now") == 0) {
		*out = now;
		return 0;
	}
	if (*s == '@')
		return parse_epoch(s, out);
	if (*s == '-') {
		if (duration_parse(s + 1, &secs, &dwhy) == -1)
			return -1;
		*out = now - secs;
		return 0;
	}
	if (parse_iso(s, &w, 1, 0) == -1)
		return -1;
	return when_epoch(&w, out);
}

/* The reason for a zone abbreviation that is neither UTC nor the local one. */
static void
zone_unknown(const char *z, size_t len)
{
	char local[64];

	if (strcmp(tzname[0], tzname[1]) == 0)
		snprintf(local, sizeof(local), "%s", tzname[0]);
	else
		snprintf(local, sizeof(local), "%s or %s", tzname[0], tzname[1]);
	snprintf(zone_why, sizeof(zone_why), "time zone '%.*s' is neither UTC nor "
	    "the local zone (%s, from TZ), so the time cannot be placed; re-log with "
	    "`LC_ALL=C TZ=UTC date`, or run the import with TZ set to the log's zone "
	    "(such as TZ=America/New_York)", (int)len, z, local);
}

/*
 * The zone word of date(1): UTC-likes, an offset, or the local zone's
 * abbreviation. -1 not a zone, -2 a zone that is none of those.
 */
static int
date_zone(const char *z, size_t len, struct when *w)
{
	static const char *const utc[] = { "UTC", "GMT", "UT", "Z", NULL };
	const char *p = z;
	size_t i;

	for (i = 0; utc[i] != NULL; i++)
		if (len == strlen(utc[i]) && strncmp(z, utc[i], len) == 0) {
			w->utc = 1;
			return 0;
		}
	if (*z == '+' || *z == '-') {
		if (zone_offset(&p, &w->off) == -1 || p != z + len)
			return -1;
		w->utc = 1;
		return 0;
	}
	if (len > 10)
		return -1;
	for (i = 0; i < len; i++)
		if (!isalpha((unsigned char)z[i]))
			return -1;
	tzset();
	for (i = 0; i < 2; i++)
		if (tzname[i] != NULL && strlen(tzname[i]) == len &&
		    strncmp(tzname[i], z, len) == 0)
			w->isdst = (int)i;
	if (w->isdst != -1)
		return 0;
	zone_unknown(z, len);
	return -2;
}

/* "Mon Nov 23 18:00:01 [ZONE ]2026", the whole string; -2 an unknown zone. */
static int
parse_date1(const char *s, struct when *w)
{
	const char *p = s, *z;
	int year, mon, zone = 0;

	memset(w, 0, sizeof(*w));
	w->isdst = -1;
	if (lookup(wdays, p) == -1 || p[3] != ' ')
		return -1;
	p += 4;
	if ((mon = lookup(months, p)) == -1 || p[3] != ' ')
		return -1;
	w->tm.tm_mon = mon;
	p += 4;
	if (*p == ' ')
		p++;
	if (digits(&p, isdigit((unsigned char)p[1]) ? 2 : 1,
	    &w->tm.tm_mday) == -1 || *p++ != ' ')
		return -1;
	if (parse_hms(&p, &w->tm, 1) == -1 || *p++ != ' ')
		return -1;
	if (!isdigit((unsigned char)*p)) {
		for (z = p; *p != ' ' && *p != '\0'; p++)
			;
		if (*p != ' ' || (zone = date_zone(z, (size_t)(p - z), w)) == -1)
			return -1;
		p++;
	}
	if (digits(&p, 4, &year) == -1 || *p != '\0')
		return -1;
	w->tm.tm_year = year - 1900;
	return zone;
}

int
logtime_parse(const char *s, int64_t *out, const char **why)
{
	char buf[64];
	struct when w;
	size_t len;
	int rc;

	*why = logtime_why;
	if (s == NULL)
		return -1;
	while (isspace((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] == '@')
		return parse_epoch(buf, out);
	if (isdigit((unsigned char)buf[0])) {
		if (parse_iso(buf, &w, 0, 1) == -1)
			return -1;
	} else if ((rc = parse_date1(buf, &w)) < 0) {
		if (rc == -2)
			*why = zone_why;
		return -1;
	}
	return when_epoch(&w, out);
}

void
time_format_utc(int64_t ts, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)ts;

	if (len == 0)
		return;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "@%lld", (long long)ts);
}
