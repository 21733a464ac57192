/* Durations, sizes and times as operators write them: pure, `now` injected. */
#ifndef TCPTALLY_TIMEUTIL_H
#define TCPTALLY_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* duration.c: "10s", "5m", "2h", "14d", and bare "0". */
int		 duration_parse(const char *s, int64_t *secs, const char **why);
int		 rate_parse(const char *s, double *per_sec, const char **why);
void		 duration_format(int64_t secs, char *buf, size_t len);
/* A span for people: "1d 2h 3m 4s", the units that are 0 left out; "0s" for 0 or less. */
void		 duration_span(int64_t secs, char *buf, size_t len);
/* "512M", "2G", bare 0 (no cap); binary units, at least 1M. */
int		 size_parse(const char *s, int64_t *bytes, const char **why);
void		 size_format(int64_t bytes, char *buf, size_t len);

/* timeparse.c */
/* T: 2026-11-23T18:00:00Z, 2026-11-23 18:00[:SS] (local), @EPOCH, -2h, now. */
int		 time_parse(const char *s, int64_t now, int64_t *out, const char **why);
/*
 * Cron-log timestamp lines: @EPOCH, ISO 8601 (Z or +hh:mm, or local), date(1)
 * C locale with UTC, an offset or the local zone's abbreviation (another one
 * is an error whose *why says so).
 */
int		 logtime_parse(const char *s, int64_t *out, const char **why);
void		 time_format_utc(int64_t ts, char *buf, size_t len);	/* 2026-11-23T18:00:00Z */

#endif
