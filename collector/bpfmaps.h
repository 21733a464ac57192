/*
 * bpfmaps.c: what the BPF backend's program is handed for a config, made
 * from the user-space matcher and the groups; pure, no I/O. The unit test
 * checks the model below against the matcher, socket by socket.
 */
#ifndef COLLECTOR_BPFMAPS_H
#define COLLECTOR_BPFMAPS_H

#include <stddef.h>
#include <stdint.h>

#include "bpf/tally_bpf.h"
#include "tally.h"

struct bpf_tables {
	uint16_t	 pcls[2][65536];	/* local, remote port -> class */
	uint64_t	 cmask[2][TTB_CLASSES];	/* class -> groups */
	uint64_t	 fam[2];		/* groups accepting IPv4, IPv6 sockets */
	uint64_t	 has_addr[2];		/* groups with local, remote address lists */
	struct ttb_key	*key[2];		/* each side's trie: entries */
	struct ttb_val	*val[2];
	size_t		 n[2];
};

/* t from m (and the groups it holds). -1 with *why: too many classes or prefixes. */
int		 bpftab_build(struct bpf_tables *t, const struct matcher *m, const char **why);
void		 bpftab_free(struct bpf_tables *t);
/*
 * The program's matching over t, in C: the user groups a socket counts
 * in. The tries by a linear longest-prefix search.
 */
uint64_t	 bpftab_match(const struct bpf_tables *t, const struct tt_sock *s);

#endif
