/*
 * The BPF backend: load tally.bpf.c's program (embedded by bpftool's
 * skeleton), hand it the groups' tables, and per sample open an iterator
 * in the current network namespace, read it to its end and add the
 * kernel's counts to the records' tally.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/capability.h>

#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/db.h"
#include "bpfiter.h"
#include "bpfmaps.h"

/* Pure: each slot's counts to `all` and to every group of its mask. */
void
bpfiter_slots(const struct ttb_mslot *slot, size_t n, struct tally *t)
{
	uint64_t mask, c;
	size_t i, s;
	unsigned g;

	for (i = 0; i < n; i++) {
		if (!slot[i].used)
			continue;
		for (s = 1; s <= TT_NSTATES; s++) {
			if ((c = slot[i].count[s]) == 0)
				continue;
			t->count[0][s] += c;
			t->total += c;
			for (mask = slot[i].mask; mask != 0; mask &= mask - 1) {
				g = (unsigned)__builtin_ctzll(mask);
				if (g + 1 < t->ngroups)
					t->count[g + 1][s] += c;
			}
		}
	}
}

/* Pure: the records of one read, tallied like sock_diag's replies. */
size_t
bpfiter_records(const void *buf, size_t len, struct tally *t, const struct matcher *m,
    uint64_t *bad)
{
	const uint8_t *p = buf;
	struct ttb_rec r;
	struct tt_sock s;

	for (; len >= sizeof(r); p += sizeof(r), len -= sizeof(r)) {
		memcpy(&r, p, sizeof(r));
		if (r.state == 0)	/* a tick */
			continue;
		if (r.family != AF_INET && r.family != AF_INET6) {
			(*bad)++;
			continue;
		}
		s.family = r.family;
		s.state = r.state;
		s.sport = r.sport;
		s.dport = r.dport;
		s.src = p + offsetof(struct ttb_rec, src);
		s.dst = p + offsetof(struct ttb_rec, dst);
		s.rqueue = r.rqueue;
		s.wqueue = r.wqueue;
		s.cgroup = r.cgroup;
		s.cookie = r.cookie;
		s.inode = r.inode;
		s.uid = r.uid;
		tally_add(t, m, &s);
	}
	return len;
}

#ifndef TT_HAVE_BPF

int
bpfiter_built(void)
{
	return 0;
}

struct bpfiter *
bpfiter_open(const struct matcher *m, int all, int cgroups, int owners, char *why,
    size_t whylen)
{
	(void)m;
	(void)all;
	(void)cgroups;
	(void)owners;
	snprintf(why, whylen, "this tcptally-collector was built without it (meson "
	    "-Dbpf: it needs clang, libbpf-dev and bpftool; see the meson summary)");
	errno = ENOTSUP;
	return NULL;
}

void
bpfiter_close(struct bpfiter *b)
{
	(void)b;
}

int
bpfiter_sample(struct bpfiter *b, struct tally *t, const struct matcher *m, unsigned *flags,
    char *why, size_t whylen)
{
	(void)b;
	(void)t;
	(void)m;
	(void)flags;
	snprintf(why, whylen, "no BPF backend in this build");
	errno = ENOTSUP;
	return -1;
}

#else

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tally.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON	38
#endif
#ifndef CAP_BPF
#define CAP_BPF		39
#endif

#define BTF_PATH	"/sys/kernel/btf/vmlinux"
#define RBUF		(sizeof(struct ttb_rec) * 1024)	/* the kernel's 32 KiB and more */

int
bpfiter_built(void)
{
	return 1;
}

struct bpfiter {
	struct tally_bpf *skel;
	struct bpf_link	*link;
	uint8_t		*buf;
	size_t		 have;		/* bytes of a partial record at buf's start */
};

/* libbpf's own messages: the debug log (the verifier's log is long). */
static int
libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char *text = NULL, *line, *next;

	if (level == LIBBPF_DEBUG || log_level() < LOG_LVL_DEBUG ||
	    vasprintf(&text, fmt, ap) == -1)
		return 0;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line != '\0')
			log_debug("%s", line);
	}
	free(text);
	return 0;
}

static int
cap_effective(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) == -1)
		return 0;
	return (data[CAP_TO_INDEX(cap)].effective & CAP_TO_MASK(cap)) != 0;
}

/* Why this kernel or process cannot run it, before trying: NULL if it may. */
static const char *
cannot(char *why, size_t whylen)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) == 0 && sscanf(u.release, "%d.%d", &major, &minor) == 2 &&
	    (major < 5 || (major == 5 && minor < 12))) {
		snprintf(why, whylen, "kernel %s is older than 5.12 (the TCP iterator "
		    "came in 5.9, socket cookies for it in 5.12)", u.release);
		return why;
	}
	if (access(BTF_PATH, R_OK) == -1) {
		snprintf(why, whylen, "the kernel has no BTF (%s: %s; CONFIG_DEBUG_INFO_BTF)",
		    BTF_PATH, strerror(errno));
		return why;
	}
	if (!cap_effective(CAP_SYS_ADMIN) &&
	    (!cap_effective(CAP_BPF) || !cap_effective(CAP_PERFMON))) {
		snprintf(why, whylen, "no privilege: loading it needs CAP_BPF and "
		    "CAP_PERFMON (or CAP_SYS_ADMIN)");
		return why;
	}
	return NULL;
}

static int
fill_tries(struct bpfiter *b, const struct bpf_tables *t, char *why, size_t whylen)
{
	struct bpf_map *map[2] = { b->skel->maps.laddr, b->skel->maps.raddr };
	size_t side, i;

	for (side = 0; side < 2; side++)
		for (i = 0; i < t->n[side]; i++)
			if (bpf_map_update_elem(bpf_map__fd(map[side]), &t->key[side][i],
			    &t->val[side][i], BPF_ANY) != 0) {
				snprintf(why, whylen, "cannot fill its address trie: %s",
				    strerror(errno));
				return -1;
			}
	return 0;
}

static int
set_tables(struct bpfiter *b, const struct matcher *m, int all, int cgroups, int owners,
    struct bpf_tables *t, char *why, size_t whylen)
{
	const char *e = NULL;
	size_t side;

	if (bpftab_build(t, m, &e) == -1) {
		snprintf(why, whylen, "%s", e);
		return -1;
	}
	b->skel->rodata->emit = all ? TTB_EMIT_ALL : TTB_EMIT_FEW;
	b->skel->rodata->want_cgroup = cgroups;
	b->skel->rodata->want_owner = owners;
	memcpy((void *)b->skel->rodata->fam, t->fam, sizeof(t->fam));
	memcpy((void *)b->skel->rodata->has_addr, t->has_addr, sizeof(t->has_addr));
	memcpy((void *)b->skel->rodata->pcls, t->pcls, sizeof(t->pcls));
	memcpy((void *)b->skel->rodata->cmask, t->cmask, sizeof(t->cmask));
	for (side = 0; side < 2; side++)
		if (bpf_map__set_max_entries(side ? b->skel->maps.raddr : b->skel->maps.laddr,
		    t->n[side] > 0 ? (uint32_t)t->n[side] : 1) != 0) {
			snprintf(why, whylen, "cannot size its address trie");
			return -1;
		}
	return 0;
}

struct bpfiter *
bpfiter_open(const struct matcher *m, int all, int cgroups, int owners, char *why,
    size_t whylen)
{
	struct bpf_tables *t = NULL;
	struct bpfiter *b;
	int err, fd;

	if (cannot(why, whylen) != NULL) {
		errno = EPERM;
		return NULL;
	}
	libbpf_set_print(libbpf_log);
	if ((b = calloc(1, sizeof(*b))) == NULL || (b->buf = malloc(RBUF)) == NULL ||
	    (t = malloc(sizeof(*t))) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto fail;
	}
	memset(t, 0, sizeof(*t));
	if ((b->skel = tally_bpf__open()) == NULL) {
		snprintf(why, whylen, "cannot open its embedded object: %s", strerror(errno));
		goto fail;
	}
	if (set_tables(b, m, all, cgroups, owners, t, why, whylen) == -1)
		goto fail;
	if ((err = tally_bpf__load(b->skel)) != 0) {
		err = -err;
		if (err == EPERM)	/* cannot() saw the capabilities */
			snprintf(why, whylen, "the kernel would not load it though the "
			    "capabilities are there (lockdown, or a security module?): %s",
			    strerror(err));
		else if (err == ESRCH || err == ENOENT || err == ENOTSUP || err == EOPNOTSUPP)
			snprintf(why, whylen, "the kernel has no TCP iterator it can attach to "
			    "(%s)", strerror(err));
		else
			snprintf(why, whylen, "the kernel refused the program: %s (run with -v "
			    "for the verifier's log)", strerror(err));
		goto fail;
	}
	if (fill_tries(b, t, why, whylen) == -1)
		goto fail;
	if ((b->link = bpf_program__attach_iter(b->skel->progs.tally, NULL)) == NULL) {
		snprintf(why, whylen, "cannot attach the TCP iterator: %s", strerror(errno));
		goto fail;
	}
	/* One iterator now: what would fail at the first sample fails here. */
	if ((fd = bpf_iter_create(bpf_link__fd(b->link))) < 0) {
		snprintf(why, whylen, "cannot open a TCP iterator: %s", strerror(errno));
		goto fail;
	}
	close(fd);
	bpftab_free(t);
	free(t);
	/* libbpf has freed the kernel's BTF (megabytes, for CO-RE): give it back */
	malloc_trim(0);
	return b;
fail:
	if (t != NULL)
		bpftab_free(t);
	free(t);
	bpfiter_close(b);
	return NULL;
}

void
bpfiter_close(struct bpfiter *b)
{
	if (b == NULL)
		return;
	bpf_link__destroy(b->link);
	tally_bpf__destroy(b->skel);
	free(b->buf);
	free(b);
}

/* The kernel's counts, after the walk, into t beside the records'. */
static void
add_counts(const struct bpfiter *b, struct tally *t)
{
	const struct tally_bpf__bss *k = b->skel->bss;
	size_t g, s;

	for (g = 0; g < t->ngroups && g <= TTB_GROUPS; g++)
		for (s = 1; s <= TT_NSTATES && s < TTB_STATES; s++) {
			t->count[g][s] += k->counts[g][s];
			if (g == 0)
				t->total += k->counts[0][s];
		}
	bpfiter_slots(k->mslots, TTB_MSLOTS, t);
	t->total += k->unknown;
	t->unknown_state += k->unknown;
}

int
bpfiter_sample(struct bpfiter *b, struct tally *t, const struct matcher *m, unsigned *flags,
    char *why, size_t whylen)
{
	struct tally_bpf__bss *k = b->skel->bss;
	uint64_t bad = 0;
	ssize_t n;
	size_t len;
	int fd, e;

	*flags = SAMPLE_BPF;
	tally_reset(t);
	memset(k->counts, 0, sizeof(k->counts));
	memset(k->mslots, 0, sizeof(k->mslots));
	k->unknown = 0;
	b->have = 0;
	if ((fd = bpf_iter_create(bpf_link__fd(b->link))) < 0) {
		e = errno;
		snprintf(why, whylen, "cannot open a TCP iterator: %s", strerror(e));
		errno = e;
		return -1;
	}
	for (;;) {
		n = read(fd, b->buf + b->have, RBUF - b->have);
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len = b->have + (size_t)n;
		b->have = bpfiter_records(b->buf, len, t, m, &bad);
		memmove(b->buf, b->buf + len - b->have, b->have);
	}
	e = errno;
	close(fd);
	if (n == -1) {
		snprintf(why, whylen, "cannot read the TCP iterator: %s", strerror(e));
		errno = e;
		return -1;
	}
	if (b->have != 0 || bad != 0) {
		snprintf(why, whylen, "the iterator wrote %s (%llu bad records, %zu bytes "
		    "over)", bad ? "records of an unknown family" : "a partial record",
		    (unsigned long long)bad, b->have);
		errno = EPROTO;
		return -1;
	}
	add_counts(b, t);
	if (t->unknown_state > 0)
		log_warnx("bpf: %llu sockets in a state outside 1-11 not counted",
		    (unsigned long long)t->unknown_state);
	return 0;
}

#endif
