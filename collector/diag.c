/*
 * One sample = one walk of the kernel's TCP hash over NETLINK_SOCK_DIAG.
 * The legacy TCPDIAG_GETSOCK request dumps IPv4 and IPv6 in a single walk;
 * sock_diag v2 (SOCK_DIAG_BY_FAMILY) needs one walk per family and is the
 * fallback when the legacy request is refused.
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "tcptally/db.h"
#include "collector.h"

#define DIAG_BUFLEN	32768	/* the kernel sizes dump skbs up to 32 KiB to match */

/*
 * The owner's cgroup v2 id, which the kernel puts in every full socket's
 * reply; 0 if none. The attributes by hand: per socket, libmnl's calls cost
 * more than the walk.
 */
static uint64_t
cgroup_of(const struct nlmsghdr *nlh)
{
	const uint8_t *p = (const uint8_t *)nlh + NLMSG_HDRLEN +
	    NLMSG_ALIGN(sizeof(struct inet_diag_msg));
	const uint8_t *end = (const uint8_t *)nlh + nlh->nlmsg_len;
	struct nlattr a;
	uint64_t id = 0;

	while (end - p >= (ptrdiff_t)sizeof(a)) {
		memcpy(&a, p, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > end - p)
			break;
		if ((a.nla_type & NLA_TYPE_MASK) == INET_DIAG_CGROUP_ID &&
		    a.nla_len >= sizeof(a) + sizeof(id)) {
			memcpy(&id, p + sizeof(a), sizeof(id));
			break;
		}
		p += NLA_ALIGN(a.nla_len);
	}
	return id;
}

static void
count_one(struct dump_ctx *ctx, const struct nlmsghdr *nlh)
{
	const struct inet_diag_msg *r = mnl_nlmsg_get_payload(nlh);
	const struct breakdown *bk = ctx->tally->bk;
	struct tt_sock s;

	s.family = r->idiag_family;
	s.state = r->idiag_state;
	s.sport = ntohs(r->id.idiag_sport);
	s.dport = ntohs(r->id.idiag_dport);
	s.src = (const uint8_t *)r->id.idiag_src;
	s.dst = (const uint8_t *)r->id.idiag_dst;
	s.rqueue = r->idiag_rqueue;	/* LISTEN: tcp_diag_get_info's accept queue */
	s.wqueue = r->idiag_wqueue;	/* and backlog, in every reply */
	s.cgroup = bk != NULL && bk->k[BK_CGROUP] > 0 ? cgroup_of(nlh) : 0;
	s.cookie = (uint64_t)r->id.idiag_cookie[1] << 32 | r->id.idiag_cookie[0];
	s.inode = r->idiag_inode;
	s.uid = r->idiag_uid;
	tally_add(ctx->tally, ctx->matcher, &s);
}

static int
parse_fail(struct dump_ctx *ctx, int err, const char *why)
{
	ctx->err = err;
	ctx->why = why;
	return -1;
}

/* errno from a reply's negative status; nonsense (INT_MIN, > 4095) is EPROTO. */
static int
reply_errno(int status)
{
	return status < 0 && status >= -4095 ? -status : EPROTO;
}

static int
parse_done(struct dump_ctx *ctx, const struct nlmsghdr *nlh)
{
	int status;

	/* NLMSG_DONE may carry the dump's final status. */
	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
		memcpy(&status, mnl_nlmsg_get_payload(nlh), sizeof(status));
		if (status < 0)
			return parse_fail(ctx, reply_errno(status),
			    "the kernel ended the dump with an error");
	}
	ctx->done = 1;
	return 0;
}

static int
parse_error(struct dump_ctx *ctx, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return parse_fail(ctx, EBADMSG, "truncated NLMSG_ERROR");
	if (e->error == 0)	/* an ACK: not expected in a dump */
		return parse_fail(ctx, EPROTO, "unexpected ACK in a dump");
	return parse_fail(ctx, reply_errno(e->error), "the kernel refused the dump request");
}

/* Not mnl_nlmsg_ok: it compares (int)nlmsg_len, so a length of 2^31 or more passes. */
static int
msg_ok(const struct nlmsghdr *nlh, int left)
{
	return left >= (int)sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) &&
	    nlh->nlmsg_len <= (uint32_t)left;
}

int
diag_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid,
    struct dump_ctx *ctx)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len;

	if (len > (size_t)INT32_MAX)
		return parse_fail(ctx, EMSGSIZE, "reply too large");
	while (msg_ok(nlh, left)) {
		if (!mnl_nlmsg_seq_ok(nlh, seq) || !mnl_nlmsg_portid_ok(nlh, portid))
			return parse_fail(ctx, EPROTO,
			    "reply with a wrong sequence number or port id");
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			ctx->intr = 1;
		switch (nlh->nlmsg_type) {
		case NLMSG_DONE:
			return parse_done(ctx, nlh);
		case NLMSG_ERROR:
			return parse_error(ctx, nlh);
		case NLMSG_NOOP:
			break;
		case TCPDIAG_GETSOCK:
		case SOCK_DIAG_BY_FAMILY:
			if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct inet_diag_msg))
				return parse_fail(ctx, EBADMSG, "truncated inet_diag_msg");
			count_one(ctx, nlh);
			break;
		default:
			return parse_fail(ctx, EBADMSG, "unexpected netlink message type");
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (left != 0)
		return parse_fail(ctx, EBADMSG, "truncated netlink message");
	return 1;
}

static int diag_reopen(struct diag *);

static ssize_t
nl_send(struct diag *d, const void *buf, size_t len)
{
	if (d->nl == NULL && diag_reopen(d) == -1)	/* an earlier reopen failed */
		return -1;
	return mnl_socket_sendto(d->nl, buf, len);
}

static ssize_t
nl_recv(struct diag *d, void *buf, size_t len)
{
	return mnl_socket_recvfrom(d->nl, buf, len);
}

int
diag_open(struct diag *d, int mode)
{
	memset(d, 0, sizeof(*d));
	d->mode = mode;
	d->send = nl_send;
	d->recv = nl_recv;
	d->buflen = DIAG_BUFLEN;
	if ((d->buf = malloc(d->buflen)) == NULL)
		return -1;
	if ((d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		diag_close(d);
		return -1;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	d->seq = (uint32_t)getpid() << 8;
	return 0;
}

void
diag_close(struct diag *d)
{
	if (d->nl != NULL)
		mnl_socket_close(d->nl);
	free(d->buf);
	d->nl = NULL;
	d->buf = NULL;
}

/* Reopen the socket: after a bad reply the rest of that dump is not worth draining. */
static int
diag_reopen(struct diag *d)
{
	if (d->nl != NULL)
		mnl_socket_close(d->nl);
	if ((d->nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC)) == NULL)
		return -1;
	if (mnl_socket_bind(d->nl, 0, MNL_SOCKET_AUTOPID) == -1) {
		mnl_socket_close(d->nl);
		d->nl = NULL;
		return -1;
	}
	d->portid = mnl_socket_get_portid(d->nl);
	return 0;
}

static int
send_request(struct diag *d, int family)
{
	struct nlmsghdr *nlh;
	struct inet_diag_req *old;
	struct inet_diag_req_v2 *v2;

	nlh = mnl_nlmsg_put_header(d->buf);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++d->seq;
	if (d->mode == DIAG_LEGACY) {
		/* The kernel dumps TCPDIAG_GETSOCK as AF_UNSPEC: both families. */
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		old = mnl_nlmsg_put_extra_header(nlh, sizeof(*old));
		old->idiag_family = AF_INET;
		old->idiag_states = TT_STATE_MASK;
	} else {
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		v2 = mnl_nlmsg_put_extra_header(nlh, sizeof(*v2));
		v2->sdiag_family = (uint8_t)family;
		v2->sdiag_protocol = IPPROTO_TCP;
		v2->idiag_states = TT_STATE_MASK;
	}
	return d->send(d, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

static int
tap_chunk(FILE *f, const void *buf, size_t n)
{
	uint32_t len = (uint32_t)n;

	return fwrite(&len, sizeof(len), 1, f) == 1 && fwrite(buf, 1, n, f) == n ? 0 : -1;
}

int
diag_tap_header(FILE *f, uint32_t seq, uint32_t portid)
{
	return fwrite("TTNL", 4, 1, f) == 1 && fwrite(&seq, 4, 1, f) == 1 &&
	    fwrite(&portid, 4, 1, f) == 1 ? 0 : -1;
}

/* One dump of one family (AF_UNSPEC for legacy) into ctx. */
static int
dump_one(struct diag *d, int family, struct dump_ctx *ctx)
{
	ssize_t n;
	int rc;

	if (send_request(d, family) == -1)
		return parse_fail(ctx, errno, "cannot send the dump request");
	if (d->tap != NULL)
		diag_tap_header(d->tap, d->seq, d->portid);
	for (;;) {
		n = d->recv(d, d->buf, d->buflen);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return parse_fail(ctx, errno, "cannot read the dump");
		}
		if (d->tap != NULL)
			tap_chunk(d->tap, d->buf, (size_t)n);
		rc = diag_parse(d->buf, (size_t)n, d->seq, d->portid, ctx);
		if (rc <= 0)
			return rc;
	}
}

static int
dump_all(struct diag *d, struct tally *t, const struct matcher *m, struct dump_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->tally = t;
	ctx->matcher = m;
	tally_reset(t);
	if (d->mode == DIAG_LEGACY)
		return dump_one(d, AF_UNSPEC, ctx);
	if (dump_one(d, AF_INET, ctx) == -1)
		return -1;
	ctx->done = 0;
	return dump_one(d, AF_INET6, ctx);
}

int
diag_sample(struct diag *d, struct tally *t, const struct matcher *m, unsigned *flags)
{
	struct dump_ctx ctx;
	int attempt;

	*flags = 0;
	for (attempt = 0; attempt < 2; attempt++) {
		if (dump_all(d, t, m, &ctx) == -1) {
			if (d->mode == DIAG_LEGACY && t->total == 0 &&
			    (ctx.err == EINVAL || ctx.err == ENOENT || ctx.err == EOPNOTSUPP)) {
				log_info("legacy TCPDIAG_GETSOCK refused (%s); using sock_diag v2, "
				    "one dump per family", strerror(ctx.err));
				d->mode = DIAG_V2;
				attempt--;
				continue;
			}
			log_warnx("sock_diag: %s: %s", ctx.why, strerror(ctx.err));
			if (diag_reopen(d) == -1)
				log_warn("sock_diag: cannot reopen the netlink socket");
			if (attempt == 0) {
				*flags |= SAMPLE_RETRIED;
				continue;
			}
			errno = ctx.err;
			return -1;
		}
		if (t->unknown_state > 0)
			log_warnx("sock_diag: %llu sockets in a state outside 1-11 not counted",
			    (unsigned long long)t->unknown_state);
		if (!ctx.intr)
			return 0;
		*flags |= SAMPLE_RETRIED;
		log_info("sock_diag: dump interrupted by a table change%s",
		    attempt == 0 ? "; retrying" : "; keeping it, flagged suspect");
	}
	*flags |= SAMPLE_SUSPECT;
	return 0;
}
