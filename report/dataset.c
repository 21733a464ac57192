/*
 * The loaded samples: one series per host x group (a host: a source's label).  A pointer into
 * d->s stays valid only until the next dataset_series that appends.
 * Names longer than the struct's fields are truncated, and found again
 * by their truncated form.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "series.h"

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

/* arr (holding *n of *cap) with el of `size` bytes appended; NULL if out of memory. */
static void *
push(void *arr, size_t *n, size_t *cap, size_t size, const void *el)
{
	char *na;

	if ((na = grow(arr, *n, cap, size, 64)) == NULL)
		return NULL;
	memcpy(na + *n * size, el, size);
	(*n)++;
	return na;
}

int
series_push(struct series *s, const struct point *pt)
{
	struct point *np = push(s->p, &s->n, &s->cap, sizeof(*pt), pt);

	return np == NULL ? -1 : (s->p = np, 0);
}

int
series_push_hour(struct series *s, const struct hour *h)
{
	struct hour *nh = push(s->h, &s->nh, &s->caph, sizeof(*h), h);

	return nh == NULL ? -1 : (s->h = nh, 0);
}

int
series_push_kernel(struct series *s, const struct kpoint *k)
{
	struct kpoint *nk = push(s->k, &s->nk, &s->capk, sizeof(*k), k);

	return nk == NULL ? -1 : (s->k = nk, 0);
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

/* The series of d for host x group: d->s[*guess] if it is, else found or made. */
struct series *
series_for(struct dataset *d, size_t *guess, const char *host, const char *group)
{
	struct series *s;

	if (*guess < d->n && strncmp(d->s[*guess].host, host, sizeof(s->host) - 1) == 0 &&
	    strncmp(d->s[*guess].group, group, sizeof(s->group) - 1) == 0)
		s = &d->s[*guess];
	else if ((s = dataset_series(d, host, group)) == NULL)
		return NULL;
	*guess = (size_t)(s - d->s) + 1 < d->n ? (size_t)(s - d->s) + 1 : 0;
	return s;
}

/* dst's n elements of `size` bytes, with src's n2 appended; NULL if out of memory. */
static void *
append(void *dst, size_t *n, size_t *cap, const void *src, size_t n2, size_t size)
{
	char *na = dst;

	if (n2 == 0)
		return dst;
	if (*n + n2 > *cap) {
		if ((na = reallocarray(dst, *n + n2, size)) == NULL)
			return NULL;
		*cap = *n + n2;
	}
	memcpy(na + *n * size, src, n2 * size);
	*n += n2;
	return na;
}

int
dataset_take(struct dataset *d, struct dataset *from)
{
	struct series *s, *t;
	struct point *np;
	struct hour *nh;
	struct kpoint *nk;
	size_t i;

	for (i = 0; i < from->n; i++) {
		s = &from->s[i];
		if ((t = dataset_series(d, s->host, s->group)) == NULL)
			return -1;
		if ((np = append(t->p, &t->n, &t->cap, s->p, s->n, sizeof(*np))) == NULL &&
		    s->n > 0)
			return -1;
		t->p = np != NULL ? np : t->p;
		if ((nh = append(t->h, &t->nh, &t->caph, s->h, s->nh, sizeof(*nh))) == NULL &&
		    s->nh > 0)
			return -1;
		t->h = nh != NULL ? nh : t->h;
		if ((nk = append(t->k, &t->nk, &t->capk, s->k, s->nk, sizeof(*nk))) == NULL &&
		    s->nk > 0)
			return -1;
		t->k = nk != NULL ? nk : t->k;
	}
	return 0;
}

void
dataset_free(struct dataset *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->s[i].p);
		free(d->s[i].h);
		free(d->s[i].k);
	}
	free(d->s);
	memset(d, 0, sizeof(*d));
}

/* Points and hours both start with their int64_t ts. */
_Static_assert(offsetof(struct point, ts) == 0 && offsetof(struct hour, ts) == 0 &&
    offsetof(struct kpoint, ts) == 0, "ts leads struct point, hour and kpoint");

static int64_t
ts_of(const void *el)
{
	int64_t ts;

	memcpy(&ts, el, sizeof(ts));
	return ts;
}

static int
cmp_ts(const void *a, const void *b)
{
	int64_t x = ts_of(a), y = ts_of(b);

	return (x > y) - (x < y);
}

/*
 * Rows arrive in ts order per database; several databases may interleave, and
 * may hold the same host's samples twice (copies of one database): sort n
 * elements of `size` bytes by ts, keep one per ts, and return how many are left.
 */
static size_t
sort_unique(void *base, size_t n, size_t size)
{
	char *e = base;
	size_t k, out;

	for (k = 1; k < n; k++)
		if (ts_of(e + k * size) < ts_of(e + (k - 1) * size)) {
			qsort(base, n, size, cmp_ts);
			break;
		}
	for (k = 1, out = 1; k < n; k++)
		if (ts_of(e + k * size) != ts_of(e + (out - 1) * size))
			memmove(e + out++ * size, e + k * size, size);
	return n > 0 ? out : 0;
}

void
dataset_dedup(struct dataset *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		d->s[i].n = sort_unique(d->s[i].p, d->s[i].n, sizeof(struct point));
		d->s[i].nh = sort_unique(d->s[i].h, d->s[i].nh, sizeof(struct hour));
		d->s[i].nk = sort_unique(d->s[i].k, d->s[i].nk, sizeof(struct kpoint));
	}
}

/* By host, then its `all` group, then the other groups by name. */
static int
cmp_series(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int c;

	if ((c = strcmp(x->host, y->host)) != 0)
		return c;
	if ((c = (strcmp(y->group, "all") == 0) - (strcmp(x->group, "all") == 0)) != 0)
		return c;
	return strcmp(x->group, y->group);
}

const struct series *
find_series(const struct dataset *d, const struct series *like)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->s[i].host, like->host) == 0 &&
		    strcmp(d->s[i].group, like->group) == 0)
			return &d->s[i];
	return NULL;
}

/* Each host's samples (its series with the most points), summed over hosts. */
size_t
count_samples(const struct dataset *d, int *hosts)
{
	size_t i, best = 0, total = 0;

	*hosts = 0;
	for (i = 0; i < d->n; i++) {
		if (i == 0 || strcmp(d->s[i].host, d->s[i - 1].host) != 0) {
			total += best;
			best = 0;
			(*hosts)++;
		}
		if (series_samples(&d->s[i]) > best)
			best = series_samples(&d->s[i]);
	}
	return total + best;
}

void
dataset_sort(struct dataset *d)
{
	if (d->n > 1)	/* qsort of 0 elements may be handed a NULL base */
		qsort(d->s, d->n, sizeof(d->s[0]), cmp_series);
}
