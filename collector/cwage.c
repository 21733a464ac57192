/* The ages of CLOSE_WAIT sockets, by cookie across samples (see cwage.h). */
#include <stdlib.h>
#include <string.h>

#include "cwage.h"

#define NSLOTS		(CW_CAP * 2)

static size_t
slot(uint64_t cookie)
{
	cookie ^= cookie >> 33;
	cookie *= 0xff51afd7ed558ccdULL;
	cookie ^= cookie >> 33;
	return (size_t)cookie & (NSLOTS - 1);
}

static struct cw_ent *
find(struct cw_ent *t, uint64_t cookie)
{
	size_t i;

	for (i = slot(cookie); t[i].cookie != 0; i = (i + 1) & (NSLOTS - 1))
		if (t[i].cookie == cookie)
			return &t[i];
	return &t[i];	/* the empty slot where it would go */
}

int
cwage_init(struct cwage *a)
{
	memset(a, 0, sizeof(*a));
	a->prev = calloc(NSLOTS, sizeof(*a->prev));
	a->cur = calloc(NSLOTS, sizeof(*a->cur));
	if (a->prev == NULL || a->cur == NULL) {
		cwage_free(a);
		return -1;
	}
	return 0;
}

void
cwage_free(struct cwage *a)
{
	free(a->prev);
	free(a->cur);
	memset(a, 0, sizeof(*a));
}

void
cwage_begin(struct cwage *a, int64_t now)
{
	struct cw_ent *t = a->prev;
	size_t n = a->nprev;

	a->prev = a->cur;
	a->nprev = a->ncur;
	a->cur = t;
	if (n > 0)	/* untouched pages stay untouched while there is no CLOSE_WAIT */
		memset(a->cur, 0, NSLOTS * sizeof(*a->cur));
	a->ncur = 0;
	a->ncarried = 0;
	a->untracked = 0;
	a->now = now;
	if (a->first == 0)
		a->first = now;
}

int64_t
cwage_see(struct cwage *a, uint64_t cookie)
{
	struct cw_ent *e, *p;
	int64_t since;

	if (cookie == 0) {
		a->untracked++;
		return -1;
	}
	e = find(a->cur, cookie);
	if (e->cookie == cookie)	/* seen twice in one dump (a v2 walk per family) */
		return e->since;
	p = a->nprev > 0 ? find(a->prev, cookie) : NULL;
	if (p != NULL && p->cookie == cookie) {
		since = p->since;
		a->ncarried++;
	} else if (a->ncur - a->ncarried + a->nprev < CW_CAP) {
		since = a->now;	/* new: room is left for every socket carried over */
	} else {
		a->untracked++;
		return -1;
	}
	e->cookie = cookie;
	e->since = since;
	a->ncur++;
	return since;
}
