/*
 * netns.c: the network namespaces `namespaces:` names, found again before
 * each sample, each entered to dump its own sockets.
 *
 * A dump returns the sockets of the namespace its netlink socket was made
 * in, so each namespace keeps one socket, made inside it, for its life.
 * Identity is the namespace's inode. A namespace is alive for us while
 * what named it still does (its name under /run/netns, its pid, a process
 * in it for `all`): the socket and the descriptor we hold would keep it
 * alive in the kernel after everyone else let go.
 */
#ifndef COLLECTOR_NETNS_H
#define COLLECTOR_NETNS_H

#include <stddef.h>
#include <stdint.h>

#include "tcptally/config.h"
#include "collector.h"
#include "cwage.h"

/* What one round of discovery found: a namespace and how it is known. */
struct nsfound {
	uint64_t	 ino;
	char		 name[TT_HOST_MAX];	/* under /run/netns; "" if none */
	long		 lowpid;	/* the lowest pid seen in it; 0 none */
	int		 self;		/* the collector's own */
	char		 path[64 + TT_HOST_MAX];	/* to open it by */
};

struct nsent {
	uint64_t	 ino;
	char		 label[TT_HOST_MAX];	/* stable for its life */
	int		 self;		/* the collector's own: no setns, the main socket */
	int		 fd;		/* the namespace, open; -1 for self */
	struct diag	 diag;		/* made inside it; unused for self */
	int		 diag_ok;
	struct cwage	*cw;		/* its CLOSE_WAIT ages; NULL until wanted */
	int		 bad;		/* cannot be entered: said once, skipped */
	int		 seen;		/* found this round */
};

struct nsset {
	struct nsent	*e;
	size_t		 n, cap;
	int		 selffd;	/* to come back to */
	uint64_t	 selfino;
	const char	*proc, *netnsdir;	/* "/proc", TT_NETNS_DIR (tests: a tree) */
	int		 warned_pid[8];	/* pids said missing, at most a few */
	size_t		 nwarned;
};

int		 ns_init(struct nsset *s, const char *proc, const char *netnsdir);
void		 ns_free(struct nsset *s);
/*
 * One round: what c's namespaces name now. New namespaces are added and
 * gone ones ended, each said once. 0, or -1 (out of memory).
 */
int		 ns_discover(struct nsset *s, const struct config *c);
/* Into e's namespace (not for self): 0, or -1 (said once; e is skipped). */
int		 ns_enter(struct nsset *s, struct nsent *e);
/* Back to ours: 0, or -1: the process is in the wrong namespace, stop. */
int		 ns_leave(struct nsset *s);
/* Whether c samples anything but the collector's own namespace. */
int		 ns_beyond_host(const struct config *c);

/*
 * Pure: the label of a namespace found: "host" for self, its name under
 * /run/netns, else cgroup (the path of its lowest pid's cgroup v2, when
 * not "/" and not taken by another of s), else "netns:INODE".
 */
void		 ns_label(const struct nsset *s, const struct nsfound *f, const char *cgroup,
		     char *buf, size_t len);
/* Pure: the inode in a /proc/PID/ns/net link's text, "net:[4026531840]"; 0 if not one. */
uint64_t	 ns_link_ino(const char *link);

#endif
