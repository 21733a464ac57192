/*
 * The loaded samples: one series per host x group.  A pointer into
 * d->s stays valid only until the next dataset_series that appends.
 * Names longer than the struct's fields are truncated, and found again
 * by their truncated form.
 */
#include <stdlib.h>
#include <string.h>

#include "tcptally/report.h"

/*
 * arr with room for element n (of `size` bytes): as it is while n < *cap,
 * else grown to twice *cap (first `first`); NULL, arr untouched, if out of
 * memory.
 */
static void *
grow(void *arr, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t ncap;
	void *na;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : first;
	if ((na = reallocarray(arr, ncap, size)) == NULL)
		return NULL;
	*cap = ncap;
	return na;
}

int
series_push(struct series *s, const struct point *pt)
{
	struct point *np;

	if ((np = grow(s->p, s->n, &s->cap, sizeof(*np), 64)) == NULL)
		return -1;
	s->p = np;
	s->p[s->n++] = *pt;
	return 0;
}

int
series_push_hour(struct series *s, const struct hour *h)
{
	struct hour *nh;

	if ((nh = grow(s->h, s->nh, &s->caph, sizeof(*nh), 64)) == NULL)
		return -1;
	s->h = nh;
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
	size_t i;

	for (i = 0; i < d->n; i++) {
		s = &d->s[i];
		if (strncmp(s->host, host, sizeof(s->host) - 1) == 0 &&
		    strncmp(s->group, group, sizeof(s->group) - 1) == 0)
			return s;
	}
	if ((ns = grow(d->s, d->n, &d->cap, sizeof(*ns), 8)) == NULL)
		return NULL;
	d->s = ns;
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
