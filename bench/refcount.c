/*
 * tcptally-refcount: the floor. One walk of the kernel's TCP hash, a count per
 * state, nothing stored. Benchmarks time it against the collector; with
 * --record it also saves the raw replies as a test fixture.
 *
 * usage: tcptally-refcount [--v2] [--record FILE] [--repeat N]
 */
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

static const char *names[] = { "?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
	"FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING" };

static unsigned long counts[16];
static FILE *rec;

static int
on_msg(const struct nlmsghdr *nlh, void *data)
{
	const struct inet_diag_msg *r = mnl_nlmsg_get_payload(nlh);

	(void)data;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*r))
		return MNL_CB_ERROR;
	counts[r->idiag_state & 15]++;
	return MNL_CB_OK;
}

static void
dump(struct mnl_socket *nl, int v2, int family, uint32_t seq)
{
	static char buf[32768];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	uint32_t portid = mnl_socket_get_portid(nl), len;
	ssize_t n;
	int rc;

	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (v2) {
		struct inet_diag_req_v2 *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		r->sdiag_family = (uint8_t)family;
		r->sdiag_protocol = IPPROTO_TCP;
		r->idiag_states = 0xFFE;
	} else {
		struct inet_diag_req *r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		r->idiag_family = AF_INET;
		r->idiag_states = 0xFFE;
	}
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		perror("sendto");
		exit(1);
	}
	if (rec != NULL && (fwrite("TTNL", 4, 1, rec) != 1 || fwrite(&seq, 4, 1, rec) != 1 ||
	    fwrite(&portid, 4, 1, rec) != 1))
		exit(1);
	do {
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			perror("recv");
			exit(1);
		}
		if (rec != NULL) {
			len = (uint32_t)n;
			if (fwrite(&len, 4, 1, rec) != 1 || fwrite(buf, 1, len, rec) != len)
				exit(1);
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, on_msg, NULL);
	} while (rc > MNL_CB_STOP);
	if (rc == MNL_CB_ERROR) {
		perror("dump");
		exit(1);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "v2", no_argument, NULL, '2' }, { "record", required_argument, NULL, 'r' },
		{ "repeat", required_argument, NULL, 'n' }, { NULL, 0, NULL, 0 } };
	struct mnl_socket *nl;
	int ch, v2 = 0, i, repeat = 1;
	unsigned long total = 0;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch == '2')
			v2 = 1;
		else if (ch == 'r' && (rec = fopen(optarg, "wb")) == NULL) {
			perror(optarg);
			return 1;
		} else if (ch == 'n')
			repeat = atoi(optarg);
		else if (ch == '?') {
			fprintf(stderr, "usage: tcptally-refcount [--v2] [--record FILE] [--repeat N]\n");
			return 2;
		}
	}
	if ((nl = mnl_socket_open(NETLINK_SOCK_DIAG)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		perror("netlink");
		return 1;
	}
	for (i = 0; i < repeat; i++) {
		memset(counts, 0, sizeof(counts));
		if (v2) {
			dump(nl, 1, AF_INET, 1000 + 2 * (uint32_t)i);
			dump(nl, 1, AF_INET6, 1001 + 2 * (uint32_t)i);
		} else
			dump(nl, 0, AF_UNSPEC, 1000 + (uint32_t)i);
	}
	for (i = 1; i <= 11; i++) {
		printf("%s %lu\n", names[i], counts[i]);
		total += counts[i];
	}
	printf("TOTAL %lu\n", total);
	if (rec != NULL)
		fclose(rec);
	mnl_socket_close(nl);
	return 0;
}
