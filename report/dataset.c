/*
 * The loaded samples: one series per host x group.  A pointer into
 * d->s stays valid only until the next dataset_series that appends.
 * Names longer than the struct's fields are truncated, and found again
 * by their truncated form.
 */
#include <stdlib.h>
#include <string.h>

#include "tcptally/report.h"

int
series_push(struct series *s, const struct point *pt)
{
	struct point *np;
	size_t ncap;

	if (s->n == s->cap) {
		ncap = s->cap ? s->cap * 2 : 64;
		if ((np = reallocarray(s->p, ncap, sizeof(*np))) == NULL)
			return -1;
		s->p = np;
		s->cap = ncap;
	}
	s->p[s->n++] = *pt;
	return 0;
}

int
series_push_hour(struct series *s, const struct hour *h)
{
	struct hour *nh;
	size_t ncap;

	if (s->nh == s->caph) {
		ncap = s->caph ? s->caph * 2 : 64;
		if ((nh = reallocarray(s->h, ncap, sizeof(*nh))) == NULL)
			return -1;
		s->h = nh;
		s->caph = ncap;
	}
	s->h[s->nh++] = *h;
	return 0;
}

/* Samples in the series: raw points, or summed over its hours. */
size_t
series_samples(const struct series *s)
{
	size_t i, n = s->n;

	for (i = 0; i < s->nh; i++)
		n += s->h[i].n;
	return n;
}

static void
copy_name(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

struct series *
dataset_series(struct dataset *d, const char *host, const char *group)
{
	struct series *s, *ns;
	size_t i, ncap;

	for (i = 0; i < d->n; i++) {
		s = &d->s[i];
		if (strncmp(s->host, host, sizeof(s->host) - 1) == 0 &&
		    strncmp(s->group, group, sizeof(s->group) - 1) == 0)
			return s;
	}
	if (d->n == d->cap) {
		ncap = d->cap ? d->cap * 2 : 8;
		if ((ns = reallocarray(d->s, ncap, sizeof(*ns))) == NULL)
			return NULL;
		d->s = ns;
		d->cap = ncap;
	}
	s = &d->s[d->n++];
	memset(s, 0, sizeof(*s));
	copy_name(s->host, sizeof(s->host), host);
	copy_name(s->group, sizeof(s->group), group);
	return s;
}

void
dataset_free(struct dataset *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->s[i].p);
		free(d->s[i].h);
	}
	free(d->s);
	memset(d, 0, sizeof(*d));
}
