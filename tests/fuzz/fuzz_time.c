/*
 * Fuzz the string parsers of the command line, the config and cron logs:
 * time_parse, logtime_parse, duration_parse, rate_parse, cidr_parse and
 * portrange_parse, each on the whole input as one string.  Besides "no
 * crash", what each accepts must be in its documented range, and a time or
 * duration formatted back must parse to the same value; a cron-log time in
 * date(1) form is accepted only with UTC or the local zone (CET, CEST).
 */
#include <sys/socket.h>

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/config.h"
#include "tcptally/timeutil.h"

#define INPUT_MAX	512
#define NOW		1795464350LL		/* 2026-11-23T18:05:50Z */
#define EPOCH_MAX	253402300799LL		/* 9999-12-31T23:59:59Z */
#define DURATION_MAX	(100LL * 365 * 86400)

#define CHECK(cond)	do { if (!(cond)) fail(#cond, __LINE__, s); } while (0)

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, int line, const char *s)
{
	fprintf(stderr, "fuzz_time.c:%d: check failed: %s, input '%s'\n", line,
	    what, s);
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* The local forms go through mktime: use a zone with DST, the same everywhere. */
	setenv("TZ", "Europe/Berlin", 1);
	return 0;
}

/* A time in range, formatted as UTC, must read back as the same second. */
static void
round_trip(const char *s, int64_t t)
{
	char buf[64];
	const char *why;
	int64_t back;

	if (t < 0 || t > EPOCH_MAX)
		return;
	time_format_utc(t, buf, sizeof(buf));
	CHECK(time_parse(buf, NOW, &back, &why) == 0 && back == t);
	CHECK(logtime_parse(buf, &back, &why) == 0 && back == t);
}

/*
 * The word before the year of date(1) output, if it is letters: accepted,
 * it is UTC or the local zone's (CET, CEST here); any other is refused with
 * the reason that names the fix.
 */
static void
zone_word(const char *s, int accepted, const char *why)
{
	static const char *const known[] = { "UTC", "GMT", "UT", "Z", "CET", "CEST", NULL };
	const char *b = s, *e = s + strlen(s), *z;
	size_t len, i;
	int letters = 1, ok = 0;

	while (b < e && isspace((unsigned char)*b))
		b++;
	while (e > b && isspace((unsigned char)e[-1]))
		e--;
	if (b == e || !isalpha((unsigned char)*b))
		return;
	while (e > b && e[-1] != ' ')	/* the year */
		e--;
	if (e == b)
		return;
	z = --e;
	while (z > b && z[-1] != ' ')
		z--;
	if ((len = (size_t)(e - z)) == 0)
		return;
	for (i = 0; i < len; i++)
		letters &= isalpha((unsigned char)z[i]) != 0;
	for (i = 0; known[i] != NULL; i++)
		ok |= strlen(known[i]) == len && strncmp(known[i], z, len) == 0;
	if (accepted)
		CHECK(!letters || ok);
	else if (strncmp(why, "time zone '", 11) == 0) {
		CHECK(letters && !ok);
		CHECK(strstr(why, "`LC_ALL=C TZ=UTC date`") != NULL);
	}
}

static void
times(const char *s)
{
	const char *why;
	int64_t t;

	why = NULL;
	if (time_parse(s, NOW, &t, &why) == 0) {
		if (s[0] == '-')
			CHECK(NOW - t >= 0 && NOW - t <= DURATION_MAX);
		else if (strcmp(s, "now") != 0)
			CHECK(t >= 0 && t <= EPOCH_MAX);
		round_trip(s, t);
	} else
		CHECK(why != NULL);
	why = NULL;
	if (logtime_parse(s, &t, &why) == 0) {
		CHECK(t >= 0 && t <= EPOCH_MAX);
		round_trip(s, t);
		zone_word(s, 1, NULL);
	} else {
		CHECK(why != NULL);
		zone_word(s, 0, why);
	}
}

static void
durations(const char *s)
{
	char buf[32];
	const char *why;
	int64_t secs, back;
	double rate;

	why = NULL;
	if (duration_parse(s, &secs, &why) == 0) {
		CHECK(secs >= 0 && secs <= DURATION_MAX);
		duration_format(secs, buf, sizeof(buf));
		CHECK(duration_parse(buf, &back, &why) == 0 && back == secs);
	} else
		CHECK(why != NULL);
	why = NULL;
	if (rate_parse(s, &rate, &why) == 0)
		CHECK(rate > 0 && isfinite(rate));
	else
		CHECK(why != NULL);
}

static void
addrs(const char *s, const uint8_t *data, size_t size)
{
	static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	struct cidr c;
	struct portrange r;
	uint8_t addr[16];
	const char *why;

	why = NULL;
	if (cidr_parse(s, &c, &why) == 0) {
		CHECK((c.family == AF_INET && c.prefix <= 32) ||
		    (c.family == AF_INET6 && c.prefix <= 128));
		/* A network contains its own address, also v4-mapped. */
		CHECK(cidr_match(&c, c.family, c.addr));
		if (c.family == AF_INET) {
			memcpy(addr, v4mapped, sizeof(v4mapped));
			memcpy(addr + 12, c.addr, 4);
			CHECK(cidr_match(&c, AF_INET6, addr));
		}
		memset(addr, 0, sizeof(addr));
		memcpy(addr, data, size < sizeof(addr) ? size : sizeof(addr));
		(void)cidr_list_match(&c, 1, AF_INET, addr);
		(void)cidr_list_match(&c, 1, AF_INET6, addr);
	} else
		CHECK(why != NULL);
	why = NULL;
	if (portrange_parse(s, &r, &why) == 0)
		CHECK(r.lo >= 1 && r.lo <= r.hi);
	else
		CHECK(why != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;

	if (size > INPUT_MAX)
		return 0;
	/* Exactly the string's bytes, so ASan sees any read past its end. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	times(s);
	durations(s);
	addrs(s, data, size);
	free(s);
	return 0;
}
