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

	for (i = 0; i < d->n; i++)
		free(d->s[i].p);
	free(d->s);
	memset(d, 0, sizeof(*d));
}
