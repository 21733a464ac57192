/*
 * cwage.c: how long the CLOSE_WAIT sockets have been stuck; pure, no I/O.
 *
 * Each CLOSE_WAIT socket is known by its cookie from one sample to the next
 * with the time of the first sample that saw it in CLOSE_WAIT. Two tables
 * of CW_CAP cookies: the last sample's, and the one being filled. The
 * sockets carried over always find room (room for all of the last sample's
 * is kept); a new one is tracked only while there is room beside them. A
 * socket first seen when there was none is never tracked, so with
 * `untracked` > 0 the oldest age is a lower bound.
 */
#ifndef COLLECTOR_CWAGE_H
#define COLLECTOR_CWAGE_H

#include <stddef.h>
#include <stdint.h>

#define CW_CAP		16384		/* cookies per table: 2 x 256 KiB */

struct cw_ent {
	uint64_t	 cookie;	/* 0 = empty (the kernel's cookies start at 1) */
	int64_t		 since;		/* the first sample that saw it in CLOSE_WAIT */
};

struct cwage {
	struct cw_ent	*prev, *cur;	/* [CW_CAP * 2]: at most half full */
	size_t		 nprev, ncur;
	size_t		 ncarried;	/* of cur, from prev */
	int64_t		 now;		/* this sample's time */
	int64_t		 first;		/* the first sample's: ages from it are lower bounds */
	uint64_t	 untracked;	/* this sample's CLOSE_WAIT sockets with no room */
};

int		 cwage_init(struct cwage *a);
void		 cwage_free(struct cwage *a);
/* A new sample at now: the last one's table becomes prev. */
void		 cwage_begin(struct cwage *a, int64_t now);
/* A CLOSE_WAIT socket: the time it was first seen so; -1 if it is not tracked. */
int64_t		 cwage_see(struct cwage *a, uint64_t cookie);

#endif
