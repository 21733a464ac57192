// SPDX-License-Identifier: ISC OR GPL-2.0-only
/*
 * The BPF backend's program: an iterator over the TCP sockets of the
 * network namespace its reader opened it in (iter/tcp, Linux 5.9+), which
 * counts each socket into group x state here, in the kernel, and copies
 * nothing per socket but the few user space must see whole (tally_bpf.h).
 *
 * It counts as sock_diag reports: a TIME_WAIT socket in its substate (an
 * orphaned FIN_WAIT2 is a timewait socket in FIN_WAIT2), a request socket
 * as SYN_RECV; ports and addresses from sock_common. The groups' port
 * conditions come as the user-space matcher's class tables, their address
 * conditions as two tries of prefixes (tally_bpf.h), both filled by
 * user space before the first walk.
 *
 * One reader walks at a time (user space reads each iterator to its end
 * before the next), so the counters need no atomics. A socket whose record
 * does not fit the read buffer is shown again on the next read: it counts
 * only once its record is written, and a counted socket writes nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

#include "tally_bpf.h"

/* The kernel needs a GPL-compatible licence for bpf_seq_write. */
char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define AF_INET		2
#define AF_INET6	10

/* Set by user space before load (read-only to the program). */
const volatile __u32 emit = TTB_EMIT_FEW;
const volatile __u64 fam[2];		/* groups accepting IPv4, IPv6 sockets */
const volatile __u64 has_addr[2];	/* groups with local, remote address conditions */
const volatile __u16 pcls[2][65536];	/* local, remote port -> class */
const volatile __u64 cmask[2][TTB_CLASSES];	/* class -> groups */

/* Reset by user space before each walk, read after it. */
__u64 counts[TTB_GROUPS + 1][TTB_STATES];
__u64 unknown;		/* counted sockets in a state outside 1..11 */
__u64 shown;		/* for the ticks */

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct ttb_key);
	__type(value, struct ttb_val);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, TTB_CIDRS);
} laddr SEC(".maps"), raddr SEC(".maps");

/* Bit scan: the lowest set bit of a nonzero mask (de Bruijn). */
static const __u8 debruijn[64] = {
	0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4,
	62, 55, 59, 36, 53, 51, 43, 22, 45, 39, 33, 30, 24, 18, 12, 5,
	63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23, 11,
	46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6,
};

static __always_inline __u32
lowest_bit(__u64 mask)
{
	return debruijn[(((mask & -mask) * 0x03f79d71b4cb0a89ULL) >> 58) & 63];
}

/* The groups whose address conditions on one side addr meets (a trie's key). */
static __always_inline __u64
side_mask(void *trie, int side, int v6, struct ttb_key *k)
{
	struct ttb_val *v = bpf_map_lookup_elem(trie, k);
	__u64 m = ~has_addr[side];

	if (v != NULL)
		m |= v->mask[v6 & 1];
	return m;
}

static __always_inline void
key_of(struct ttb_key *k, int v6, const __u8 *a)
{
	k->prefixlen = 128;
	if (v6) {
		__builtin_memcpy(k->addr, a, 16);
	} else {
		__builtin_memset(k->addr, 0, 10);
		k->addr[10] = 0xff;
		k->addr[11] = 0xff;
		__builtin_memcpy(k->addr + 12, a, 4);
	}
}

/* A full socket's inode, as sock_i_ino() reads it. */
static __always_inline __u32
inode_of(struct sock *sk)
{
	struct socket *so = BPF_CORE_READ(sk, sk_socket);
	struct socket_alloc *sa;
	unsigned long ino = 0;

	if (so == NULL)
		return 0;
	sa = (struct socket_alloc *)((char *)so - bpf_core_field_offset(struct socket_alloc, socket));
	bpf_probe_read_kernel(&ino, sizeof(ino), &sa->vfs_inode.i_ino);
	return (__u32)ino;
}

SEC("iter/tcp")
int tally(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct seq_file *seq = ctx->meta->seq;
	struct tcp_timewait_sock *tw;
	struct tcp_sock *tp;
	struct ttb_rec r = {};
	struct ttb_key k;
	__u64 mask;
	__u32 state, g, i;
	int v6;

	if (skc == NULL)
		return 0;
	state = skc->skc_state;
	if (state == TCP_TIME_WAIT) {
		tw = bpf_skc_to_tcp_timewait_sock(skc);
		if (tw != NULL)
			state = tw->tw_sk.tw_substate;
	} else if (state == TCP_NEW_SYN_RECV) {
		state = TCP_SYN_RECV;
	}
	r.family = (__u8)skc->skc_family;
	r.state = (__u8)state;
	r.sport = skc->skc_num;
	r.dport = bpf_ntohs(skc->skc_dport);
	v6 = r.family == AF_INET6;
	if (v6) {
		BPF_CORE_READ_INTO(&r.src, skc, skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO(&r.dst, skc, skc_v6_daddr);
	} else {
		__builtin_memcpy(r.src, &skc->skc_rcv_saddr, 4);
		__builtin_memcpy(r.dst, &skc->skc_daddr, 4);
	}

	if (emit == TTB_EMIT_ALL || state == TCP_CLOSE_WAIT || state == TCP_LISTEN) {
		/* Whole, as sock_diag says it: full sockets only have these. */
		tp = bpf_skc_to_tcp_sock(skc);
		if (tp != NULL) {
			struct sock *sk = &tp->inet_conn.icsk_inet.sk;

			if (state == TCP_LISTEN) {
				r.rqueue = sk->sk_ack_backlog;
				r.wqueue = sk->sk_max_ack_backlog;
			}
			r.uid = ctx->uid;
			r.inode = inode_of(sk);
			r.cgroup = BPF_CORE_READ(sk, sk_cgrp_data.cgroup, kn, id);
		}
		r.cookie = bpf_get_socket_cookie(skc);
		bpf_seq_write(seq, &r, sizeof(r));	/* on overflow: shown again */
		return 0;
	}

	/* A tick now and then, so that a long walk with no records is read in parts. */
	if ((++shown & 0xffff) == 0) {
		struct ttb_rec tick = {};

		if (bpf_seq_write(seq, &tick, sizeof(tick)) != 0)
			return 0;	/* shown again: not counted yet */
	}
	if (state < 1 || state >= TTB_STATES) {
		unknown++;
		return 0;
	}
	counts[0][state]++;
	mask = cmask[0][pcls[0][r.sport] & (TTB_CLASSES - 1)] &
	    cmask[1][pcls[1][r.dport] & (TTB_CLASSES - 1)] & fam[v6];
	if (mask & has_addr[0]) {
		key_of(&k, v6, r.src);
		mask &= side_mask(&laddr, 0, v6, &k);
	}
	if (mask & has_addr[1]) {
		key_of(&k, v6, r.dst);
		mask &= side_mask(&raddr, 1, v6, &k);
	}
	for (i = 0; i < TTB_GROUPS && mask != 0; i++) {
		g = lowest_bit(mask) & (TTB_GROUPS - 1);
		mask &= mask - 1;
		counts[g + 1][state]++;
	}
	return 0;
}
