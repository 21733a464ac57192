/*
 * What the BPF iterator program (tally.bpf.c) and user space (bpfiter.c,
 * bpfmaps.c) share: the sizes of its tables, the key and value of its
 * address tries, and the record it writes for the sockets user space
 * must see one by one. Plain fixed-width types, host byte order unless
 * said, so the layout is the same on both sides.
 */
#ifndef COLLECTOR_BPF_TALLY_BPF_H
#define COLLECTOR_BPF_TALLY_BPF_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define TTB_GROUPS	64	/* user groups (TT_MAX_GROUPS); row 0 of counts is `all` */
#define TTB_STATES	16	/* counts[g][state & 15]: state 1..11, the rest room for the verifier */
#define TTB_CLASSES	4096	/* port classes a side (more: the backend is refused) */
#define TTB_CIDRS	4096	/* trie entries a side */

/*
 * A key of a side's address trie: every address as IPv6, IPv4 ones as
 * v4-mapped (::ffff:a.b.c.d), so one trie holds both families.
 */
struct ttb_key {
	__u32		 prefixlen;	/* 0..128 */
	__u8		 addr[16];	/* network order */
};

/*
 * A trie entry's value: the groups whose address list on that side holds
 * this prefix or one that encloses it, for an IPv4 socket ([0]) and an
 * IPv6 one ([1]). An IPv4 CIDR counts for both (an IPv6 socket matches it
 * with a v4-mapped address); an IPv6 CIDR only for IPv6 sockets, even when
 * it encloses ::ffff:0:0/96.
 */
struct ttb_val {
	__u64		 mask[2];
};

/*
 * An entry of the program's address cache (direct-mapped, TTB_ACACHE a
 * side; the program's alone, zero at load): an address, as its trie key's
 * two words, and the trie's answer for it.
 */
#define TTB_ACACHE	256
struct ttb_acache {
	__u64		 a[2];
	__u64		 mask[2];	/* for IPv4, IPv6 sockets; 0 when no prefix holds it */
	__u64		 used;
};

/*
 * The program counts a socket into the slot of its groups' mask, one add a
 * socket; user space spreads each slot's counts over the mask's groups
 * after the walk. Open addressing, TTB_MSLOTS slots, TTB_MPROBE probes: a
 * socket that finds no slot (more distinct masks than that) is counted
 * group by group into counts[][] instead.
 */
#define TTB_MSLOTS	256
#define TTB_MPROBE	8
struct ttb_mslot {
	__u64		 mask;		/* the user groups (bit g: group g) */
	__u64		 used;
	__u64		 count[16];	/* [state], as counts[][] */
};

/*
 * The record of one socket that user space sees whole: CLOSE_WAIT (their
 * ages and owners), LISTEN (accept queues), and every socket when
 * breakdowns are on. 72 bytes: what sock_diag would have said of it.
 */
struct ttb_rec {
	__u8		 family;	/* AF_INET, AF_INET6 */
	__u8		 state;		/* 1..11, as sock_diag reports it */
	__u16		 sport, dport;	/* host order */
	__u16		 pad;
	__u32		 rqueue, wqueue;	/* LISTEN: accept queue, backlog */
	__u32		 inode, uid;
	__u64		 cookie;
	__u64		 cgroup;	/* cgroup v2 id, full sockets; else 0 */
	__u8		 src[16], dst[16];	/* network order; IPv4 in the first 4 */
};

/* When the program writes a record (.rodata `emit`). */
#define TTB_EMIT_FEW	0	/* CLOSE_WAIT and LISTEN only */
#define TTB_EMIT_ALL	1	/* every socket: breakdowns need each one's keys */

#endif
