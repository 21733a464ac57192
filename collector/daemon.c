/*
 * The sampling loop. Slots are aligned to the wall clock (ts % interval == 0);
 * the wait is measured on the monotonic clock with a timerfd, so a wall-clock
 * step never makes us sleep for an hour or sample twice. Whatever the history
 * holds, sampling goes on: a slot whose second is already stored is skipped,
 * any other is written, earlier than the newest stored sample or not; a
 * future-dated row (an import, a clock once set ahead) must not stop it.
 * Signals are blocked except inside ppoll(), and their handlers only set flags.
 */
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <linux/capability.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcptally/db.h"
#include "tcptally/timeutil.h"
#include "collector.h"
#include "bpfiter.h"
#include "cgroup.h"
#include "netns.h"

#define MISSED_MAX	8640	/* missed slots remembered while the store is failing */

static volatile sig_atomic_t quit, reload;
static int stop;	/* could not come back to our own network namespace: exit 1 */

/* The cgroup2 tree, for the cgroups breakdown: one per process, kept over reloads. */
static struct cgmap cgmap;
static int cg_state;		/* 0 not looked for yet, 1 found, -1 none */
/* The CLOSE_WAIT sockets' first sightings, kept over reloads too. */
static struct cwage cwage;
static int cw_ready;
/* The network namespaces sampled beside ours, and their sockets: over reloads too. */
static struct nsset nsset;
static int ns_ready;

static const char *
cg_name(void *arg, uint64_t id)
{
	(void)arg;
	return cg_state == 1 ? cgmap_path(&cgmap, id) : NULL;
}

/* A /proc file whole (they have no size), at most 4 MB; NULL on error. */
static char *
read_proc(const char *path)
{
	size_t len = 0, cap = 65536;
	char *buf = NULL, *nb;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "re")) == NULL)
		return NULL;
	do {
		if ((nb = realloc(buf, cap + 1)) == NULL) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = nb;
		len += n = fread(buf + len, 1, cap - len, f);
		if (len == cap)
			cap *= 2;
	} while (n > 0 && cap <= 4 << 20);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

/* Once, when cgroups are first wanted: where cgroup2 is mounted. */
static void
cg_find(void)
{
	char mount[CG_PATH_MAX], *buf;

	if (cg_state != 0)
		return;
	cg_state = -1;
	if ((buf = read_proc("/proc/self/mountinfo")) == NULL) {
		log_warn("/proc/self/mountinfo: cannot read it; cgroups are shown by id");
		return;
	}
	if (cgmap_find_mount(buf, mount, sizeof(mount)) == -1)
		log_warnx("no cgroup2 file system is mounted (/proc/self/mountinfo): sockets "
		    "are counted by cgroup id, without paths");
	else if (cgmap_open(&cgmap, mount) == -1)
		log_warnx("out of memory");
	else {
		cg_state = 1;
		log_debug("cgroup2 at %s: %zu cgroups", mount, cgmap.n);
	}
	free(buf);
}

/* net.ipv4.ip_local_port_range of this namespace: it tells outbound peers from inbound. */
static void
read_port_range(struct context *cx, struct breakdown *b)
{
	static int failing;
	int64_t lo, hi;
	int ok;

	ok = context_port_range(cx, &lo, &hi) == 0 && lo >= 0 && hi <= 65535 &&
	    bk_set_port_range(b, (uint32_t)lo, (uint32_t)hi) == 0;
	if (!ok && !failing)
		log_warnx("/proc/sys/net/ipv4/ip_local_port_range: cannot read it; peers are "
		    "told apart with the range %u-%u", b->port_lo, b->port_hi);
	failing = !ok;
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		quit = 1;
}

struct collector {
	struct config	*cfg;
	const char	*config_path;
	struct dblock	 lock;		/* of cfg->database */
	struct diag	 diag;
	struct store	 store;
	struct retain	 retain;
	int		 retain_failing;
	struct matcher	 matcher;
	struct tally	 tally;
	struct breakdown *bk;		/* NULL: breakdowns off */
	struct owners	*ow;		/* NULL: owners off */
	struct bpfiter	*bpf;		/* NULL: sock_diag counts */
	struct context	 context;	/* the kernel's counters, when cfg->context */
	struct kcontext	 kc;
	char		 host[TT_HOST_MAX];
	int		 tfd;
	int64_t		 last_slot;	/* last slot handled, taken or missed */
	long		 skipped;	/* slots in a row whose second was already stored */
	int64_t		 missed[MISSED_MAX];
	size_t		 nmissed;
	int		 store_failing;
	long		 taken;
};

static int64_t
clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const char *
resolve_host(const struct config *c, char *buf, size_t len)
{
	if (c->host != NULL && c->host[0] != '\0') {
		snprintf(buf, len, "%s", c->host);
		return buf;
	}
	if (gethostname(buf, len) == -1 || buf[0] == '\0')
		snprintf(buf, len, "localhost");
	buf[len - 1] = '\0';
	return buf;
}

static void
log_sample(const struct collector *co, const char *netns, int64_t ts, int64_t dur_us,
    unsigned flags)
{
	char line[512], when[32];
	size_t off = 0;
	time_t t = (time_t)ts;
	struct tm tm;
	int i;

	if (log_level() < LOG_LVL_INFO)
		return;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	for (i = 1; i <= TT_NSTATES && off < sizeof(line); i++)
		if (co->tally.count[0][i] != 0)
			off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%llu",
			    state_name(i), (unsigned long long)co->tally.count[0][i]);
	log_info("sample %s%s%s: %llu sockets in %.1f ms%s%s%s", when,
	    netns != NULL ? ", netns " : "", netns != NULL ? netns : "",
	    (unsigned long long)co->tally.total, (double)dur_us / 1000.0,
	    flags & SAMPLE_RETRIED ? " (retried)" : "",
	    flags & SAMPLE_SUSPECT ? " (suspect)" : "", off ? line : "");
}

static void
note_missed(struct collector *co, int64_t slot)
{
	if (co->nmissed < MISSED_MAX)
		co->missed[co->nmissed++] = slot;
}

static void
flush_missed(struct collector *co)
{
	size_t i;

	if (co->nmissed == 0)
		return;
	/* a slot missed is missed in every namespace sampled */
	for (i = 0; ns_ready && i < nsset.n; i++)
		if (!nsset.e[i].self && !nsset.e[i].bad &&
		    (store_source(&co->store, nsset.e[i].label) == -1 ||
		    store_missed(&co->store, co->missed, co->nmissed) == -1))
			return;
	if ((!ns_ready || store_source(&co->store, "host") == 0) &&
	    store_missed(&co->store, co->missed, co->nmissed) == 0) {
		log_info("recorded %zu missed slot%s", co->nmissed, co->nmissed == 1 ? "" : "s");
		co->nmissed = 0;
	}
}

/*
 * The groups whose CLOSE_WAIT passed owners.close_wait_above: which
 * processes hold those sockets, one scan of /proc, for the store.
 */
static void
find_owners(struct collector *co)
{
	uint64_t want[2] = { 0, 0 };
	size_t g;

	co->store.ow = NULL;
	if (co->ow == NULL)
		return;
	for (g = 0; g < co->tally.ngroups && g < 128; g++)
		if (co->tally.count[g][TT_CLOSE_WAIT] > (uint64_t)co->cfg->owners_above)
			want[g / 64] |= 1ULL << (g % 64);
	if (want[0] == 0 && want[1] == 0)
		return;
	owners_scan(co->ow, "/proc", want);
	co->store.ow = co->ow;
	co->store.ow_want[0] = want[0];
	co->store.ow_want[1] = want[1];
	co->store.ow_top = co->cfg->owners_top;
}

/*
 * One walk of the current namespace's sockets into co->tally, by the
 * backend in use. A failed BPF walk is tried once more, as a dump is; when
 * that fails too and the config said auto, the rest of the process counts
 * with sock_diag, from this sample on.
 */
static int
count_sockets(struct collector *co, struct diag *d, unsigned *flags)
{
	char why[512];

	if (co->bpf == NULL)
		return diag_sample(d, &co->tally, &co->matcher, flags);
	if (bpfiter_sample(co->bpf, &co->tally, &co->matcher, flags, why, sizeof(why)) == 0)
		return 0;
	log_warnx("backend %s: %s; trying once more", backend_name(co->cfg->backend), why);
	if (bpfiter_sample(co->bpf, &co->tally, &co->matcher, flags, why, sizeof(why)) == 0) {
		*flags |= SAMPLE_RETRIED;
		return 0;
	}
	if (co->cfg->backend == BACKEND_BPF) {
		log_warnx("backend bpf: %s", why);
		return -1;
	}
	log_warnx("backend auto: the BPF iterator failed again (%s); counting with sock_diag "
	    "from now on", why);
	bpfiter_close(co->bpf);
	co->bpf = NULL;
	return diag_sample(d, &co->tally, &co->matcher, flags);
}

/*
 * Take and store the sample of one namespace for slot ts, from d (a netlink
 * socket made in it), when the process is in it. netns: its label, NULL for
 * the collector's own. 0 ok, 1 a sample for that second is already stored
 * (not overwritten), -1 failed (slot noted as missed). *dump_ns: the dump's
 * time.
 */
static int
sample_one(struct collector *co, int64_t ts, struct diag *d, struct cwage *cw,
    const char *netns, int64_t *dump_ns)
{
	int64_t t0 = clock_ns(CLOCK_MONOTONIC), dur;
	const struct kcontext *kc = NULL;
	unsigned flags;
	int rc;

	*dump_ns = 0;
	if (store_source(&co->store, netns != NULL ? netns : "host") == -1) {
		log_warnx("%s: netns %s: %s", co->store.path, netns, store_errmsg(&co->store));
		return -1;
	}
	if (co->bk != NULL)
		read_port_range(&co->context, co->bk);
	co->tally.cw = cw;
	tally_begin(&co->tally, ts);
	rc = count_sockets(co, d, &flags);
	*dump_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	if (rc == -1) {
		log_warn("sample %lld%s%s: socket dump failed; slot recorded as missed",
		    (long long)ts, netns != NULL ? ", netns " : "", netns != NULL ? netns : "");
		if (netns != NULL)	/* its own slot; take_sample records ours */
			store_missed(&co->store, &ts, 1);
		else
			note_missed(co, ts);
		return -1;
	}
	if (co->cfg->context) {	/* in the dump's slot: the counters of the same moment */
		context_read(&co->context, &co->kc.k, &co->kc.l);
		co->kc.interval = co->cfg->interval;
		kc = &co->kc;
	}
	find_owners(co);
	dur = (clock_ns(CLOCK_MONOTONIC) - t0) / 1000;
	rc = store_sample(&co->store, ts, &co->tally, kc, flags, dur);
	if (rc == 1)
		return 1;
	if (rc == -1) {
		if (!co->store_failing)
			log_warnx("%s: cannot store samples: %s; slots are kept as missed until "
			    "it works again", co->store.path, store_errmsg(&co->store));
		co->store_failing = 1;
		if (netns == NULL)
			note_missed(co, ts);
		return -1;
	}
	if (co->store_failing)
		log_warnx("%s: storing works again", co->store.path);
	co->store_failing = 0;
	if (netns == NULL)	/* the textfile is of the collector's own namespace */
		textfile_write(co->cfg, &co->tally, kc, ts, clock_ns(CLOCK_MONOTONIC) - t0);
	log_sample(co, netns, ts, dur, flags);
	return 0;
}

/* The sample of namespace e, entered: its socket made there the first time. */
static int
sample_in(struct collector *co, struct nsent *e, int64_t ts, int64_t *dump_ns)
{
	if (!e->diag_ok && diag_open(&e->diag, co->diag.mode) == -1) {
		log_warn("netns %s: cannot open a NETLINK_SOCK_DIAG socket in it", e->label);
		return -1;
	}
	e->diag_ok = 1;
	if (e->cw == NULL && (e->cw = calloc(1, sizeof(*e->cw))) != NULL &&
	    cwage_init(e->cw) == -1) {
		free(e->cw);
		e->cw = NULL;
	}
	return sample_one(co, ts, &e->diag, e->cw, e->label, dump_ns);
}

/*
 * The namespaces' samples for slot ts (ours too, when listed): each other
 * one entered in turn, dumped with its own socket, stored under its label.
 * 0 some stored, 1 all already stored, -1 some failed; -2 the process could
 * not come back to its own namespace (it must stop).
 */
static int
sample_namespaces(struct collector *co, int64_t ts, int64_t *dump_ns)
{
	struct nsent *e;
	int64_t dns;
	size_t i, stored = 0, skipped = 0, failed = 0;
	int rc;

	if (!ns_ready) {
		if (ns_init(&nsset, "/proc", TT_NETNS_DIR) == -1) {
			log_warn("/proc/self/ns/net");
			return -1;
		}
		ns_ready = 1;
	}
	if (ns_discover(&nsset, co->cfg) == -1) {
		log_warnx("out of memory");
		return -1;
	}
	for (i = 0; i < nsset.n; i++) {
		e = &nsset.e[i];
		if (e->self)
			rc = sample_one(co, ts, &co->diag, cw_ready ? &cwage : NULL, NULL, &dns);
		else if (e->bad || ns_enter(&nsset, e) == -1)
			continue;
		else {
			rc = sample_in(co, e, ts, &dns);
			if (ns_leave(&nsset) == -1)
				return -2;
		}
		*dump_ns += dns;
		stored += rc == 0;
		skipped += rc == 1;
		failed += rc == -1;
	}
	if (store_source(&co->store, "host") == -1)
		failed++;
	if (failed > 0)
		return -1;
	return stored == 0 && skipped > 0 ? 1 : 0;
}

/*
 * Take and store the sample for slot ts. 0 ok, 1 a sample for that second is
 * already stored (not overwritten), -1 failed (slot noted as missed), -2 stop.
 */
static int
take_sample(struct collector *co, int64_t ts)
{
	static int slow_said;
	int64_t dump_ns = 0;
	int rc;

	if (co->bk != NULL)
		cgmap_round(&cgmap);
	if (!ns_beyond_host(co->cfg))
		rc = sample_one(co, ts, &co->diag, cw_ready ? &cwage : NULL, NULL, &dump_ns);
	else
		rc = sample_namespaces(co, ts, &dump_ns);
	if (rc != -2 && dump_ns > co->cfg->interval * 500000000LL && !slow_said) {
		slow_said = 1;
		log_warnx("the dumps of one sample took %.2f s, over half the interval (%llds): "
		    "each dump walks the socket hash that its namespace shares with the "
		    "others, so N namespaces cost about N walks of the whole host; lengthen "
		    "`interval`, or give new namespaces their own hash "
		    "(net.ipv4.tcp_child_ehash_entries, see tcptally-collector(8))",
		    (double)dump_ns / 1e9, (long long)co->cfg->interval);
	}
	if (rc != -2)	/* the slots missed, ours: in every namespace without a sample then */
		flush_missed(co);
	if (rc == 0)
		co->taken++;
	return rc;
}

/*
 * sock_diag needs no capability for TCP. With CAP_NET_ADMIN the kernel adds
 * attributes (mark, class id) to every socket's reply: about 7% more bytes and
 * CPU per dump. Drop it for good; nothing here needs it.
 */
static void
drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];
	unsigned idx = CAP_TO_INDEX(CAP_NET_ADMIN), bit = CAP_TO_MASK(CAP_NET_ADMIN);

	if (syscall(SYS_capget, &hdr, data) == -1)
		return;
	if (!(data[idx].effective & bit) && !(data[idx].permitted & bit))
		return;
	data[idx].effective &= ~bit;
	data[idx].permitted &= ~bit;
	data[idx].inheritable &= ~bit;
	if (syscall(SYS_capset, &hdr, data) == -1)
		log_warn("cannot drop CAP_NET_ADMIN");
	else
		log_debug("dropped CAP_NET_ADMIN: sock_diag replies are smaller without it");
}

/* TCPTALLY_SOCK_DIAG=v2 skips the legacy one-walk request (for kernels that mishandle it). */
static int
diag_mode(void)
{
	const char *m = getenv("TCPTALLY_SOCK_DIAG");

	if (m != NULL && strcmp(m, "v2") == 0) {
		log_info("TCPTALLY_SOCK_DIAG=v2: one sock_diag v2 dump per family");
		return DIAG_V2;
	}
	return DIAG_LEGACY;
}

/*
 * backend: auto tries the BPF iterator and says once why it cannot; bpf
 * must have it. Its tables are the groups', so a reload loads it anew.
 */
static int
open_backend(struct collector *co, const struct config *cfg)
{
	static char said[512];
	char why[512];

	if (cfg->backend == BACKEND_SOCK_DIAG)
		return 0;
	co->bpf = bpfiter_open(&co->matcher, co->bk != NULL, cfg->breakdown_cgroups > 0,
	    cfg->owners_above > 0, why, sizeof(why));
	if (co->bpf != NULL) {
		said[0] = '\0';	/* a later failure is said again */
		return 0;
	}
	if (cfg->backend == BACKEND_BPF) {
		log_warnx("backend bpf: cannot use the BPF iterator: %s; use `backend: auto` "
		    "or `backend: sock_diag` to count with sock_diag instead", why);
		return -1;
	}
	if (strcmp(said, why) != 0)
		log_warnx("backend auto: the BPF iterator is not available (%s); counting "
		    "with sock_diag", why);
	snprintf(said, sizeof(said), "%s", why);
	return 0;
}

static int
setup(struct collector *co, struct config *cfg)
{
	char err[1024];

	co->cfg = cfg;
	resolve_host(cfg, co->host, sizeof(co->host));
	if (matcher_init(&co->matcher, cfg) == -1 ||
	    tally_init(&co->tally, cfg->ngroups + 1) == -1) {
		log_warnx("out of memory");
		return -1;
	}
	if (cfg->owners_above > 0) {
		if ((co->ow = malloc(sizeof(*co->ow))) == NULL || owners_init(co->ow) == -1) {
			free(co->ow);
			co->ow = NULL;
			log_warnx("out of memory");
			return -1;
		}
		co->tally.ow = co->ow;
	}
	if (!cw_ready && cwage_init(&cwage) == 0)
		cw_ready = 1;
	if (cfg->breakdown_cgroups > 0 || cfg->breakdown_peers > 0) {
		if ((co->bk = malloc(sizeof(*co->bk))) == NULL ||
		    bk_init(co->bk, cfg->ngroups + 1, (uint32_t)cfg->breakdown_cgroups,
		    (uint32_t)cfg->breakdown_peers) == -1) {
			free(co->bk);
			co->bk = NULL;
			log_warnx("out of memory");
			return -1;
		}
		co->tally.bk = co->bk;
		if (cfg->breakdown_cgroups > 0)
			cg_find();
	}
	if (open_backend(co, cfg) == -1)
		return -1;
	if (store_open(&co->store, cfg->database, co->host, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	co->store.cgname = cg_name;
	if (store_set_groups(&co->store, cfg) == -1) {
		log_warnx("%s: %s", cfg->database, store_errmsg(&co->store));
		return -1;
	}
	if (retain_open(&co->retain, co->store.db) == -1) {
		log_warnx("%s: %s", cfg->database, store_errmsg(&co->store));
		return -1;
	}
	return 0;
}

static void
teardown(struct collector *co)
{
	retain_close(&co->retain);
	store_close(&co->store);
	bpfiter_close(co->bpf);
	co->bpf = NULL;
	matcher_free(&co->matcher);
	tally_free(&co->tally);
	if (co->bk != NULL)
		bk_free(co->bk);
	free(co->bk);
	co->bk = NULL;
	if (co->ow != NULL)
		owners_free(co->ow);
	free(co->ow);
	co->ow = NULL;
}

/* The lock of database; -1, logged, if another process holds it or it cannot be had. */
static int
lock_db(struct dblock *l, const char *database, const char *when)
{
	char err[1024], who[64] = "a process that has not written its pid yet";
	long pid;
	int rc;

	if ((rc = dblock_take(l, database, &pid, err, sizeof(err))) == 0)
		return 0;
	if (pid > 0)
		snprintf(who, sizeof(who), "pid %ld", pid);
	if (rc == -1)
		log_warnx("%s%s", when, err);
	else
		log_warnx("%s%s is in use: %s holds %s.lock (another tcptally-collector, or "
		    "an --import); stop it first, or point `database:` at another file",
		    when, database, who, database);
	return -1;
}

/*
 * SIGHUP: build everything from the new config first; on any failure keep the
 * old. A new database is locked before the switch; the old lock goes after it.
 */
static void
do_reload(struct collector *co)
{
	struct errlist errs = { 0 };
	struct dblock lock = { -1 };
	struct collector *nw;
	struct config *cfg;

	if (co->config_path == NULL) {
		log_info("SIGHUP: running on built-in defaults, nothing to reload");
		return;
	}
	if ((cfg = config_open(co->config_path, &errs)) == NULL) {
		config_print_errors(co->config_path, &errs);
		log_warnx("SIGHUP: %s has errors; keeping the running config", co->config_path);
		errlist_free(&errs);
		return;
	}
	if (!dblock_covers(&co->lock, cfg->database) &&
	    lock_db(&lock, cfg->database, "SIGHUP: ") == -1) {
		log_warnx("SIGHUP: keeping the running config and its database %s",
		    co->cfg->database);
		config_free(cfg);
		return;
	}
	if ((nw = calloc(1, sizeof(*nw))) == NULL || setup(nw, cfg) == -1) {
		log_warnx("SIGHUP: cannot apply %s; keeping the running config",
		    co->config_path);
		if (nw != NULL)
			teardown(nw);
		free(nw);
		dblock_release(&lock);
		config_free(cfg);
		return;
	}
	teardown(co);
	if (lock.fd != -1) {
		dblock_release(&co->lock);
		co->lock = lock;
	}
	config_free(co->cfg);
	co->cfg = cfg;
	co->store = nw->store;
	co->retain = nw->retain;
	co->matcher = nw->matcher;
	co->tally = nw->tally;
	co->bk = nw->bk;
	co->ow = nw->ow;
	co->bpf = nw->bpf;
	memcpy(co->host, nw->host, sizeof(co->host));
	free(nw);
	log_info("SIGHUP: reloaded %s: database %s, interval %llds, %zu group%s, counting "
	    "with %s", co->config_path, cfg->database, (long long)cfg->interval,
	    cfg->ngroups, cfg->ngroups == 1 ? "" : "s",
	    co->bpf != NULL ? "the BPF iterator" : "sock_diag");
}

static int
install_signals(sigset_t *oldmask)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &block, oldmask) == -1 ||
	    sigaction(SIGTERM, &sa, NULL) == -1 || sigaction(SIGINT, &sa, NULL) == -1 ||
	    sigaction(SIGHUP, &sa, NULL) == -1)
		return -1;
	sigdelset(oldmask, SIGTERM);
	sigdelset(oldmask, SIGINT);
	sigdelset(oldmask, SIGHUP);
	return 0;
}

/* A slot whose second is already stored is skipped: said once per run of them. */
static void
note_skip(struct collector *co, int64_t slot, int rc)
{
	char when[32];

	time_format_utc(slot, when, sizeof(when));
	if (rc == 1 && co->skipped++ == 0)
		log_warnx("slot %s: a sample for this second is already stored (an earlier "
		    "run, an import, or a clock that was ahead); not overwriting it, and "
		    "skipping every slot already stored until one is free", when);
	else if (rc == 0 && co->skipped > 0) {
		log_warnx("sampling resumed at %s after %ld slot%s already stored", when,
		    co->skipped, co->skipped == 1 ? "" : "s");
		co->skipped = 0;
	}
}

/* The timer fired: work out which slot this is and take it. */
static void
on_tick(struct collector *co)
{
	int64_t step = co->cfg->interval, now = clock_real_ns() / 1000000;
	int64_t slot = (now + step * 500) / (step * 1000) * step, s, n = 0;
	char from[32], to[32];
	int rc;

	if (slot == co->last_slot)
		return;		/* a small step back: this slot is handled */
	if (co->last_slot >= 0 && slot < co->last_slot) {
		time_format_utc(co->last_slot, from, sizeof(from));
		time_format_utc(slot, to, sizeof(to));
		log_warnx("the wall clock stepped back from %s to %s; sampling goes on from "
		    "there, skipping any second already stored", from, to);
	} else if (co->last_slot >= 0)
		for (s = co->last_slot + step; s < slot; s += step, n++)
			note_missed(co, s);
	if (n > 0)
		log_warnx("%lld slot%s missed before %lld (woke late or the clock jumped)",
		    (long long)n, n == 1 ? "" : "s", (long long)slot);
	co->last_slot = slot;
	if ((rc = take_sample(co, slot)) == -2)
		quit = stop = 1;
	else
		note_skip(co, slot, rc);
}

/*
 * Retention and max_size, in steps of one short transaction each, while the
 * slot's budget lasts: at most RETAIN_BUDGET_MS, and at most half the time
 * left before the next slot.  A backlog carries over to the next slots.
 */
#define RETAIN_BUDGET_MS 250
static void
retain_run(struct collector *co, int64_t slot)
{
	int64_t step = co->cfg->interval * 1000000000LL, now = clock_real_ns();
	int64_t left = ((now / step + 1) * step - now) / 2, t0, t1, t2 = 0, budget;
	int64_t longest = 0;
	int rc, steps = 0;

	budget = left < RETAIN_BUDGET_MS * 1000000LL ? left : RETAIN_BUDGET_MS * 1000000LL;
	t0 = clock_ns(CLOCK_MONOTONIC);
	do {
		t1 = clock_ns(CLOCK_MONOTONIC);
		rc = retain_step(&co->retain, co->cfg, slot, co->store.path);
		t2 = clock_ns(CLOCK_MONOTONIC);
		if (t2 - t1 > longest)
			longest = t2 - t1;
		steps++;
	} while (rc == 1 && !quit && !reload && t2 - t0 < budget);
	if (steps > 1)
		log_debug("retention: %d steps in %.1f ms, the longest %.1f ms%s", steps,
		    (double)(t2 - t0) / 1e6, (double)longest / 1e6,
		    rc == 1 ? "; more after the next sample" : "");
	if (rc == -1 && !co->retain_failing)
		log_warnx("%s: retention: %s; trying again after the next sample",
		    co->store.path, co->retain.err);
	co->retain_failing = rc == -1;
}

/* Arm for the next slot after now, and after the slot just handled. */
static int
rearm(struct collector *co)
{
	struct itimerspec its;
	int64_t step = co->cfg->interval * 1000000000LL, now = clock_real_ns();
	int64_t next = (now / step + 1) * step, delay;

	if (next == co->last_slot * 1000000000LL)
		next += step;	/* woke a little early: that slot is handled */
	delay = next - now;
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = delay / 1000000000;
	its.it_value.tv_nsec = delay % 1000000000;
	return timerfd_settime(co->tfd, 0, &its, NULL);
}

static int
run_loop(struct collector *co, const struct collector_opts *o, const sigset_t *mask)
{
	struct pollfd pfd;
	uint64_t expirations;

	if ((co->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC)) == -1 ||
	    rearm(co) == -1) {
		log_warn("cannot set up the timer");
		return 1;
	}
	pfd.fd = co->tfd;
	pfd.events = POLLIN;
	while (!quit) {
		if (ppoll(&pfd, 1, NULL, mask) == -1 && errno != EINTR) {
			log_warn("ppoll");
			return 1;
		}
		if (reload) {
			reload = 0;
			do_reload(co);
			rearm(co);
		}
		if (quit || !(pfd.revents & POLLIN))
			continue;
		if (read(co->tfd, &expirations, sizeof(expirations)) == -1 && errno != EAGAIN)
			log_warn("timerfd read");
		on_tick(co);
		if (co->last_slot >= 0)
			retain_run(co, co->last_slot);
		if (o->samples > 0 && co->taken >= o->samples)
			break;
		rearm(co);
	}
	if (stop)
		log_warnx("stopping: a sample in another network namespace could not come "
		    "back to the collector's own");
	else if (quit)
		log_info("stopping on signal after %ld sample%s", co->taken,
		    co->taken == 1 ? "" : "s");
	close(co->tfd);
	return stop ? 1 : 0;
}

/* --once: now, not on a slot; only a sample at this very second stops it. */
static int
run_once(struct collector *co)
{
	int64_t now = clock_real_ns() / 1000000000;
	char when[32];
	int rc;

	if ((rc = take_sample(co, now)) == 1) {
		time_format_utc(now, when, sizeof(when));
		log_warnx("%s already holds a sample of host %s at %s, this very second; "
		    "--once does not overwrite it: run it again in a second",
		    co->cfg->database, co->host, when);
	}
	if (rc != 0)
		return 1;
	retain_run(co, now);
	return 0;
}

int
collector_run(struct config *cfg, const struct collector_opts *o)
{
	struct collector *co;
	sigset_t mask;
	int rc = 1;

	/* First of all, so that a signal during start-up is held, not fatal. */
	if (install_signals(&mask) == -1) {
		log_warn("cannot set up signal handling");
		config_free(cfg);
		return 1;
	}
	if ((co = calloc(1, sizeof(*co))) == NULL) {
		log_warnx("out of memory");
		config_free(cfg);
		return 1;
	}
	co->config_path = o->config_path;
	co->last_slot = -1;
	co->lock.fd = -1;
	co->cfg = cfg;
	if (lock_db(&co->lock, cfg->database, "") == -1 || setup(co, cfg) == -1)
		goto out;
	drop_net_admin();
	if (diag_open(&co->diag, diag_mode()) == -1) {
		log_warn("cannot open a NETLINK_SOCK_DIAG socket");
		goto out;
	}
	if (context_init(&co->context, "/proc/self") == -1) {
		log_warnx("out of memory");
		goto out;
	}
	log_info("tcptally-collector %s: database %s, host %s, interval %llds, %zu group%s, "
	    "counting with %s", TT_VERSION_STRING, co->cfg->database, co->host,
	    (long long)co->cfg->interval, co->cfg->ngroups, co->cfg->ngroups == 1 ? "" : "s",
	    co->bpf != NULL ? "the BPF iterator" : "sock_diag");
	future_report(co->store.db, co->cfg->database,
	    (clock_real_ns() + 500000000) / 1000000000);
	if (o->once) {
		rc = run_once(co);
		goto out;
	}
	rc = run_loop(co, o, &mask);
	if (co->nmissed > 0)
		log_warnx("%zu missed slot%s could not be recorded", co->nmissed,
		    co->nmissed == 1 ? "" : "s");
out:
	diag_close(&co->diag);
	context_free(&co->context);
	teardown(co);
	cgmap_close(&cgmap);
	if (cw_ready)
		cwage_free(&cwage);
	cw_ready = 0;
	if (ns_ready)
		ns_free(&nsset);
	ns_ready = 0;
	dblock_release(&co->lock);
	config_free(co->cfg);
	free(co);
	return rc;
}
