/*
 * bpfiter.c: the BPF backend. A BPF iterator over the TCP sockets counts
 * them into group x state in the kernel (collector/bpf/tally.bpf.c); only
 * the sockets user space must see whole (CLOSE_WAIT, LISTEN; every one
 * when breakdowns are on) are copied, as records, and tallied here.
 */
#ifndef COLLECTOR_BPFITER_H
#define COLLECTOR_BPFITER_H

#include <stddef.h>

#include "bpf/tally_bpf.h"
#include "tally.h"

struct bpfiter;

/* 1 when this build has the BPF backend (meson -Dbpf), else 0. */
int		 bpfiter_built(void);

/*
 * Load the program for matcher m (its groups) and attach the iterator.
 * all: copy every socket (breakdowns need each one's keys); cgroups: with
 * its cgroup id (the breakdown by cgroup); owners: CLOSE_WAIT sockets with
 * their inode and uid. NULL with a
 * reason in why (no BTF, too old a kernel, no privilege, the verifier's
 * refusal, or a build without it).
 */
struct bpfiter	*bpfiter_open(const struct matcher *m, int all, int cgroups, int owners,
		     char *why, size_t whylen);
void		 bpfiter_close(struct bpfiter *b);
/*
 * One walk of the TCP sockets of the calling thread's network namespace
 * into t: as diag_sample(). -1 with errno and a reason in why.
 */
int		 bpfiter_sample(struct bpfiter *b, struct tally *t, const struct matcher *m,
		     unsigned *flags, char *why, size_t whylen);
/* Pure: the kernel's mask slots' counts into t (`all` and each group of a mask). */
void		 bpfiter_slots(const struct ttb_mslot *slot, size_t n, struct tally *t);
/* Pure: the records in buf[0..len) into t; the bytes of a partial one at the end. */
size_t		 bpfiter_records(const void *buf, size_t len, struct tally *t,
		     const struct matcher *m, uint64_t *bad);

#endif
