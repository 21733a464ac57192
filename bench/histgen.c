/*
 * tcptally-histgen: synthetic history in the export CSV format
 * (ts,host,group,state,count), for --import and bench/history.sh.
 *
 *   tcptally-histgen --days N [--interval S] [--groups G] [--host H]
 *                    [--end EPOCH] [--seed N]
 *
 * Realistic shapes: a daily cycle of ESTABLISHED with a weekday/weekend
 * difference, TIME_WAIT following the connection rate with bursts of a few
 * minutes every few hours, a slow CLOSE_WAIT leak cleared by a weekly
 * "restart", a listener that vanishes for ten minutes every few days, and
 * noise in the small states.  Every value is a pure function of (seed, ts,
 * group), so a run is reproducible whatever the order.  Every state is
 * written for every sample, zeros included, as export writes them.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const states[11] = { "ESTABLISHED", "SYN_SENT", "SYN_RECV",
    "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
    "LISTEN", "CLOSING" };
static const char *const gnames[] = { "all", "web", "db", "api", "cache", "mq",
    "batch", "admin" };
static const double gshare[] = { 1.0, 0.6, 0.2, 0.12, 0.05, 0.02, 0.008, 0.002 };
#define NG_MAX (sizeof(gnames) / sizeof(gnames[0]))

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

/* Uniform in [0, 1) from (seed, ts, k). */
static double
rnd(uint64_t seed, int64_t ts, unsigned k)
{
	return (double)(mix(seed ^ mix((uint64_t)ts * 64 + k)) >> 11) / 9007199254740992.0;
}

/* The `all` group's counts at ts. */
static void
shape(uint64_t seed, int64_t ts, double *v)
{
	double day = (double)(ts % 86400) / 86400.0;
	int64_t dayno = ts / 86400, t3h = ts / 10800, wk = ts / 604800;
	int weekend = ((dayno + 4) % 7) >= 5;	/* 1970-01-01 was a Thursday */
	double load, burst = 0, since;
	double cycle = 0.5 - 0.5 * cos(2 * M_PI * (day - 0.1));	/* low at ~02:24 */

	load = (weekend ? 0.55 : 1.0) * (0.15 + 0.85 * cycle);
	load *= 1.0 + 0.05 * (rnd(seed, ts, 1) - 0.5);
	/* A TIME_WAIT burst of 2-6 min in about half of the 3-hour blocks. */
	if (rnd(seed, t3h, 2) < 0.5) {
		int64_t start = t3h * 10800 + (int64_t)(rnd(seed, t3h, 3) * 9000);
		int64_t len = 120 + (int64_t)(rnd(seed, t3h, 4) * 240);

		if (ts >= start && ts < start + len)
			burst = 18000.0 * (1.0 - (double)(ts - start) / (double)len);
	}
	since = (double)(ts - wk * 604800) / 3600.0;	/* hours since the restart */
	v[0] = 1800.0 * load + 40.0 * rnd(seed, ts, 5);			/* ESTABLISHED */
	v[1] = 6.0 * load * rnd(seed, ts, 6);				/* SYN_SENT */
	v[2] = 4.0 * load * rnd(seed, ts, 7);				/* SYN_RECV */
	v[3] = 12.0 * load * rnd(seed, ts, 8);				/* FIN_WAIT1 */
	v[4] = 40.0 + 120.0 * load * rnd(seed, ts, 9);			/* FIN_WAIT2 */
	v[5] = 2600.0 * load + burst + 100.0 * rnd(seed, ts, 10);	/* TIME_WAIT */
	v[6] = rnd(seed, ts, 11) < 0.01 ? 1 : 0;			/* CLOSE */
	v[7] = since * 0.6 + 3.0 * rnd(seed, ts, 12);			/* CLOSE_WAIT */
	v[8] = 3.0 * load * rnd(seed, ts, 13);				/* LAST_ACK */
	v[9] = 14;							/* LISTEN */
	if (rnd(seed, dayno / 3, 14) < 0.5 &&
	    ts % 259200 >= 50000 && ts % 259200 < 50600)
		v[9] = 13;	/* a listener gone for ten minutes */
	v[10] = rnd(seed, ts, 15) < 0.002 ? 1 : 0;			/* CLOSING */
}

static char *
put_u(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

static void
usage(void)
{
	fprintf(stderr, "usage: tcptally-histgen --days N [--interval S] [--groups G] "
	    "[--host H] [--end EPOCH] [--seed N]\n"
	    "  G: groups including `all`, 1..%zu (default 4)\n", NG_MAX);
	exit(2);
}

int
main(int argc, char **argv)
{
	int64_t days = -1, interval = 10, end = -1, ts, start;
	size_t ngroups = 4, g;
	uint64_t seed = 1;
	const char *host = "synthetic";
	static char buf[1 << 16];
	char *p;
	double v[11];
	int i, s;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (strcmp(argv[i], "--days") == 0)
			days = atoll(argv[++i]);
		else if (strcmp(argv[i], "--interval") == 0)
			interval = atoll(argv[++i]);
		else if (strcmp(argv[i], "--groups") == 0)
			ngroups = (size_t)atoll(argv[++i]);
		else if (strcmp(argv[i], "--host") == 0)
			host = argv[++i];
		else if (strcmp(argv[i], "--end") == 0)
			end = atoll(argv[++i]);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = (uint64_t)atoll(argv[++i]);
		else
			usage();
	}
	if (days <= 0 || interval <= 0 || ngroups < 1 || ngroups > NG_MAX)
		usage();
	if (end < 0)
		end = (int64_t)time(NULL);
	end = end / interval * interval;
	start = end - days * 86400 + interval;
	fputs("ts,host,group,state,count\n", stdout);
	for (ts = start; ts <= end; ts += interval) {
		p = buf;
		shape(seed, ts, v);
		for (g = 0; g < ngroups; g++)
			for (s = 0; s < 11; s++) {
				double x = v[s] * gshare[g];

				p = put_u(p, (uint64_t)ts);
				*p++ = ',';
				memcpy(p, host, strlen(host));
				p += strlen(host);
				*p++ = ',';
				memcpy(p, gnames[g], strlen(gnames[g]));
				p += strlen(gnames[g]);
				*p++ = ',';
				memcpy(p, states[s], strlen(states[s]));
				p += strlen(states[s]);
				*p++ = ',';
				p = put_u(p, (uint64_t)(x < 0 ? 0 : x + 0.5));
				*p++ = '\n';
			}
		if (fwrite(buf, 1, (size_t)(p - buf), stdout) != (size_t)(p - buf)) {
			perror("tcptally-histgen: write");
			return 1;
		}
	}
	if (fflush(stdout) == EOF) {
		perror("tcptally-histgen: write");
		return 1;
	}
	return 0;
}
