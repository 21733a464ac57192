/* The parsed config (config.c over cfgyaml.c) and the matching it compiles to (match.c). */
#ifndef TCPTALLY_CONFIG_H
#define TCPTALLY_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "tcptally/tcptally.h"

/* match.c: pure port and address matching. */
struct cidr {
	uint8_t		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 prefix;
	uint8_t		 addr[16];	/* network order; v4 uses the first 4 bytes */
};
struct portrange {
	uint16_t	 lo, hi;
};
int		 cidr_parse(const char *s, struct cidr *out, const char **why);
/* addr is 4 (AF_INET) or 16 (AF_INET6) bytes, network order. v4-mapped v6 matches v4 CIDRs. */
int		 cidr_match(const struct cidr *c, int family, const uint8_t *addr);
int		 cidr_list_match(const struct cidr *c, size_t n, int family, const uint8_t *addr);
/* "80", 80, "8000-8099": returns 0 and fills r, or -1 with *why. */
int		 portrange_parse(const char *s, struct portrange *r, const char **why);

/* config.c */
enum { FAM_ANY = 0, FAM_IPV4 = 4, FAM_IPV6 = 6 };
enum { SEV_WARNING = 1, SEV_CRITICAL = 2 };
/*
 * What a threshold watches: a state's count in a group (above, below,
 * growth), a group's fullest accept queue (fill_above), a kernel counter's
 * rate (metric + rate_above), or a gauge as a share of its limit (metric
 * tw_buckets_used or orphans_used + above), a group's outbound peer with
 * the largest share of the local port range (peer_port_share_above), the
 * age of a group's oldest CLOSE_WAIT socket (oldest_above, in seconds).
 */
enum { TH_COUNT, TH_FILL, TH_RATE, TH_USED, TH_PORT_SHARE, TH_OLDEST };
enum { USED_TW, USED_ORPHANS };

struct group {
	char		 name[TT_NAME_MAX];
	int		 family;		/* FAM_* */
	struct portrange *local_ports;	/* NULL/0 = no condition */
	size_t		 nlocal_ports;
	struct portrange *remote_ports;
	size_t		 nremote_ports;
	struct cidr	*local_addrs;
	size_t		 nlocal_addrs;
	struct cidr	*remote_addrs;
	size_t		 nremote_addrs;
};

struct threshold {
	char		 name[TT_NAME_MAX];
	char		 group[TT_NAME_MAX];	/* default "all" */
	int		 state;			/* enum tt_state */
	int		 has_above, has_below, has_growth;
	int64_t		 above, below;
	double		 growth;		/* per second */
	int64_t		 window;		/* seconds, for growth */
	int64_t		 for_secs;		/* seconds, for above/below; 0 = latest */
	int		 severity;		/* SEV_* */
	int		 line;			/* where it was defined */
	int		 kind;			/* TH_* */
	int		 metric;		/* TH_RATE: a kstat; TH_USED: USED_* */
	double		 limit;			/* TH_FILL, TH_RATE (per s), TH_USED,
						   TH_PORT_SHARE, TH_OLDEST (s):
						   a value above it breaches */
};

/* One form of `namespaces:`. */
enum { NS_HOST = 1, NS_NAME, NS_PID, NS_ALL };
#define TT_NETNS_DIR	"/run/netns"	/* where `ip netns add` binds them */
struct nsspec {
	int		 kind;			/* NS_* */
	char		*glob;			/* NS_NAME: over the names in TT_NETNS_DIR */
	long		 pid;			/* NS_PID */
	int		 line;			/* where it was given */
};

/* `backend:`, how the sockets are counted. */
enum { BACKEND_AUTO, BACKEND_SOCK_DIAG, BACKEND_BPF };

struct config {
	char		*path;			/* NULL for built-in defaults */
	char		*database;
	int64_t		 interval;		/* seconds, 1..3600 */
	char		*host;			/* "" = gethostname() */
	int64_t		 retention_raw;		/* seconds, 0 = forever */
	int64_t		 retention_hourly;
	int64_t		 max_size;		/* bytes, 0 = no cap */
	char		*textfile;		/* node_exporter textfile; NULL = off */
	int		 context;		/* the kernel's counters with each sample */
	int		 breakdown_cgroups;	/* top K per group x state; 0 = off */
	int		 breakdown_peers;
	int64_t		 owners_above;		/* CLOSE_WAIT per group that names owners; 0 off */
	int		 owners_top;		/* processes stored per group */
	struct nsspec	*namespaces;		/* what to sample; none given: [host] */
	size_t		 nnamespaces;
	int		 backend;		/* BACKEND_*; default auto */
	struct group	*groups;		/* user groups, `all` not included */
	size_t		 ngroups;
	struct threshold *thresholds;
	size_t		 nthresholds;
};

struct config	*config_default(void);
/* Pure: buf[0..len) parsed as the file `name`. NULL on error, with every problem in errs. */
struct config	*config_parse(const char *buf, size_t len, const char *name,
		     struct errlist *errs);
/*
 * The file at path: read, checked for safety (as root, a file any user can
 * write is refused: it picks what root writes to), parsed. NULL on error,
 * with every problem in errs.
 */
struct config	*config_open(const char *path, struct errlist *errs);
/* Each error on stderr, then "PATH: N errors". */
void		 config_print_errors(const char *path, const struct errlist *errs);
/* -c, else $TCPTALLY_CONFIG, else /etc/tcptally/tcptally.yaml if it exists, else NULL (defaults). */
const char	*config_locate(const char *opt);
void		 config_free(struct config *c);
/* "auto", "sock_diag", "bpf" -> BACKEND_*, -1 for anything else; and back. */
int		 backend_parse(const char *s);
const char	*backend_name(int backend);
int		 config_group_index(const struct config *c, const char *name); /* 0 = all, 1.. user, -1 */

#endif
