// SPDX-License-Identifier: ISC OR GPL-2.0-only
/*
 * The BPF backend's program: an iterator over the TCP sockets of the
 * network namespace its reader opened it in (iter/tcp; Linux 5.12+, which
 * gave iterators bpf_get_socket_cookie), which
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
 * only once its record is written (or its tick), and it is either counted
 * here or written, never both.
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
const volatile __u32 want_cgroup;	/* records carry the cgroup id (breakdown by cgroup) */
const volatile __u32 want_owner;	/* CLOSE_WAIT records carry inode and uid (owners) */
const volatile __u64 fam[2];		/* groups accepting IPv4, IPv6 sockets */
const volatile __u64 has_addr[2];	/* groups with local, remote address conditions */
const volatile __u16 pcls[2][65536];	/* local, remote port -> class */
const volatile __u64 cmask[2][TTB_CLASSES];	/* class -> groups */

/* Reset by user space before each walk (but `shown`), read after it. */
struct ttb_mslot mslots[TTB_MSLOTS];
__u64 counts[TTB_GROUPS + 1][TTB_STATES];	/* the sockets no slot took */
__u64 unknown;		/* counted sockets in a state outside 1..11 */
__u64 shown;		/* for the ticks */

/*
 * The groups an address meets on each side, for the addresses seen
 * lately: most sockets share a few local addresses and often their
 * peers, so the tries are asked once per address, not once per socket.
 */
struct ttb_acache acache[2][TTB_ACACHE];

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

/*
 * The groups whose address conditions on one side the address (a trie
 * key's, as two words) meets: those with none there, and those the trie
 * says, through the cache.
 */
static __always_inline __u64
side_mask(void *trie, int side, int v6, __u64 a0, __u64 a1)
{
	struct ttb_acache *e;
	struct ttb_val *v;
	struct ttb_key k;
	__u64 h;

	h = ((a0 ^ (a0 >> 29)) + a1) * 0x9e3779b97f4a7c15ULL;
	e = &acache[side & 1][(h >> 56) & (TTB_ACACHE - 1)];
	if (!e->used || e->a[0] != a0 || e->a[1] != a1) {
		k.prefixlen = 128;
		__builtin_memcpy(k.addr, &a0, 8);
		__builtin_memcpy(k.addr + 8, &a1, 8);
		v = bpf_map_lookup_elem(trie, &k);
		e->a[0] = a0;
		e->a[1] = a1;
		e->mask[0] = v != NULL ? v->mask[0] : 0;
		e->mask[1] = v != NULL ? v->mask[1] : 0;
		e->used = 1;
	}
	return ~has_addr[side] | e->mask[v6 & 1];
}

/*
 * A port in host order, bounded where the verifier can see it: after a
 * byte swap some kernels know nothing of the value.
 */
static __always_inline __u32
port_of(__be16 p)
{
	__u32 v = bpf_ntohs(p);

	barrier_var(v);
	return v & 0xffff;
}

/* Two 32-bit words, in memory order, as one 64-bit one (endian-neutral). */
static __always_inline __u64
pair(__u32 w0, __u32 w1)
{
	__u32 w[2] = { w0, w1 };
	__u64 a;

	__builtin_memcpy(&a, w, 8);
	return a;
}

/* A side's address as its trie key's two words: IPv4 v4-mapped. */
static __always_inline void
local_words(struct sock_common *skc, int v6, __u64 *a0, __u64 *a1)
{
	if (v6) {
		*a0 = pair(skc->skc_v6_rcv_saddr.in6_u.u6_addr32[0],
		    skc->skc_v6_rcv_saddr.in6_u.u6_addr32[1]);
		*a1 = pair(skc->skc_v6_rcv_saddr.in6_u.u6_addr32[2],
		    skc->skc_v6_rcv_saddr.in6_u.u6_addr32[3]);
	} else {
		*a0 = 0;
		*a1 = pair(bpf_htonl(0xffff), skc->skc_rcv_saddr);
	}
}

static __always_inline void
remote_words(struct sock_common *skc, int v6, __u64 *a0, __u64 *a1)
{
	if (v6) {
		*a0 = pair(skc->skc_v6_daddr.in6_u.u6_addr32[0],
		    skc->skc_v6_daddr.in6_u.u6_addr32[1]);
		*a1 = pair(skc->skc_v6_daddr.in6_u.u6_addr32[2],
		    skc->skc_v6_daddr.in6_u.u6_addr32[3]);
	} else {
		*a0 = 0;
		*a1 = pair(bpf_htonl(0xffff), skc->skc_daddr);
	}
}

/*
 * A socket user space sees whole, with what it uses of it: a listener's
 * queue, a CLOSE_WAIT socket's cookie (its age), inode and uid (its
 * owners), and the cgroup when breakdowns want it. Full sockets only have
 * these; the others say 0, as sock_diag does. On overflow of the read
 * buffer it is not written, and shown again at the next read.
 */
static __always_inline void
emit_rec(struct bpf_iter__tcp *ctx, struct sock_common *skc, __u32 state, int v6)
{
	struct ttb_rec r = {};
	struct tcp_sock *tp;
	__u32 *w;

	r.family = v6 ? AF_INET6 : AF_INET;
	r.state = (__u8)state;
	r.sport = skc->skc_num;
	r.dport = port_of(skc->skc_dport);
	if (v6) {
		w = (__u32 *)r.src;
		w[0] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[0];
		w[1] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[1];
		w[2] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[2];
		w[3] = skc->skc_v6_rcv_saddr.in6_u.u6_addr32[3];
		w = (__u32 *)r.dst;
		w[0] = skc->skc_v6_daddr.in6_u.u6_addr32[0];
		w[1] = skc->skc_v6_daddr.in6_u.u6_addr32[1];
		w[2] = skc->skc_v6_daddr.in6_u.u6_addr32[2];
		w[3] = skc->skc_v6_daddr.in6_u.u6_addr32[3];
	} else {
		((__u32 *)r.src)[0] = skc->skc_rcv_saddr;
		((__u32 *)r.dst)[0] = skc->skc_daddr;
	}
	tp = bpf_skc_to_tcp_sock(skc);
	if (tp != NULL) {
		struct sock *sk = &tp->inet_conn.icsk_inet.sk;

		if (state == TCP_LISTEN) {
			r.rqueue = sk->sk_ack_backlog;
			r.wqueue = sk->sk_max_ack_backlog;
		}
		if (state == TCP_CLOSE_WAIT && want_owner) {
			struct socket *so = sk->sk_socket;

			r.uid = ctx->uid;
			/* the socket's inode is its file's (sock_alloc_file) */
			/* sock_i_ino(): the inode allocated with the socket */
			if (so != NULL) {
				struct socket_alloc *sa = (void *)((char *)so -
				    bpf_core_field_offset(struct socket_alloc, socket));
				unsigned long ino = 0;

				bpf_probe_read_kernel(&ino, sizeof(ino), &sa->vfs_inode.i_ino);
				r.inode = (__u32)ino;
			}
		}
		/* sock_cgroup_data holds a cgroup pointer since Linux 5.15 */
		if (want_cgroup && bpf_core_field_exists(sk->sk_cgrp_data.cgroup)) {
			struct cgroup *cg = sk->sk_cgrp_data.cgroup;

			if (cg != NULL)
				r.cgroup = cg->kn->id;
		}
	}
	if (state == TCP_CLOSE_WAIT)
		r.cookie = bpf_get_socket_cookie(skc);
	bpf_seq_write(ctx->meta->seq, &r, sizeof(r));
}

SEC("iter/tcp")
int tally(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct inet_timewait_sock *tw;
	struct ttb_mslot *e;
	__u64 mask, a0, a1;
	__u32 state, g, i, h;
	int v6;

	if (skc == NULL)
		return 0;
	state = skc->skc_state;
	if (state == TCP_TIME_WAIT) {
		/*
		 * A probe read, not bpf_skc_to_tcp_timewait_sock(): that knows
		 * IPv6 timewait sockets only when IPv6 is built in, not a module.
		 */
		tw = (void *)skc;
		state = BPF_CORE_READ(tw, tw_substate);
	} else if (state == TCP_NEW_SYN_RECV) {
		state = TCP_SYN_RECV;
	}
	v6 = skc->skc_family == AF_INET6;
	if (emit == TTB_EMIT_ALL || state == TCP_CLOSE_WAIT || state == TCP_LISTEN) {
		emit_rec(ctx, skc, state, v6);
		return 0;
	}

	/* A tick now and then, so that a long walk with no records is read in parts. */
	if ((++shown & 0xffff) == 0) {
		struct ttb_rec tick = {};

		if (bpf_seq_write(ctx->meta->seq, &tick, sizeof(tick)) != 0)
			return 0;	/* shown again: not counted yet */
	}
	if (state < 1 || state > 11) {
		unknown++;
		return 0;
	}
	/* The verifier may not see the test above in the register used below. */
	barrier_var(state);
	state &= TTB_STATES - 1;
	mask = cmask[0][pcls[0][skc->skc_num & 0xffff] & (TTB_CLASSES - 1)] &
	    cmask[1][pcls[1][port_of(skc->skc_dport)] & (TTB_CLASSES - 1)] & fam[v6];
	if (mask & has_addr[0]) {
		local_words(skc, v6, &a0, &a1);
		mask &= side_mask(&laddr, 0, v6, a0, a1);
	}
	if (mask & has_addr[1]) {
		remote_words(skc, v6, &a0, &a1);
		mask &= side_mask(&raddr, 1, v6, a0, a1);
	}
	h = (__u32)((mask * 0x9e3779b97f4a7c15ULL) >> 56);
	for (i = 0; i < TTB_MPROBE; i++) {
		e = &mslots[(h + i) & (TTB_MSLOTS - 1)];
		if (!e->used) {
			e->used = 1;
			e->mask = mask;
		} else if (e->mask != mask) {
			continue;
		}
		e->count[state]++;
		return 0;
	}
	/* No slot: group by group. */
	counts[0][state]++;
	for (i = 0; i < TTB_GROUPS && mask != 0; i++) {
		g = lowest_bit(mask) & (TTB_GROUPS - 1);
		mask &= mask - 1;
		counts[g + 1][state]++;
	}
	return 0;
}
