/*
 * owners.c: the processes that hold a group's CLOSE_WAIT sockets, found on
 * demand (config `owners`): the dump notes each CLOSE_WAIT socket's inode,
 * uid and groups; when a group's CLOSE_WAIT passes the trigger, one scan of
 * /proc/PID/fd maps those inodes to processes.
 */
#ifndef COLLECTOR_OWNERS_H
#define COLLECTOR_OWNERS_H

#include <stddef.h>
#include <stdint.h>

#define OW_CAP		16384		/* CLOSE_WAIT sockets noted per sample */
#define OW_UIDS		16		/* distinct uids to filter processes by */
#define OW_COMM		16		/* as the kernel keeps it */
#define OW_CGROUP	256

/* What the dump notes of a CLOSE_WAIT socket. */
struct ow_sock {
	uint32_t	 inode;
	uint32_t	 uid;
	uint64_t	 groups;	/* bit g: user group g (the group all holds every one) */
};

struct ow_proc {
	int32_t		 pid;
	uint32_t	 count[65];	/* [0] all, [1 + g] user group g */
	char		 comm[OW_COMM + 1];
	char		 cgroup[OW_CGROUP];
};

struct owners {
	struct ow_sock	*s;		/* [OW_CAP] */
	size_t		 n;
	uint64_t	 dropped;	/* CLOSE_WAIT sockets with no room */
	uint32_t	*slot;		/* [2 OW_CAP] open addressing on inode: index + 1 */
	struct ow_proc	*p;		/* found processes */
	size_t		 np, capp;
	int		 warned;	/* the privilege message, once */
};

int		 owners_init(struct owners *o);
void		 owners_free(struct owners *o);
void		 owners_reset(struct owners *o);
/* From the dump: a CLOSE_WAIT socket. */
void		 owners_note(struct owners *o, uint32_t inode, uint32_t uid, uint64_t groups);
/*
 * Which processes hold the noted sockets of the groups in `want` (bit 0:
 * all; bit 1 + g: user group g): one scan of proc (normally "/proc"); the
 * processes found, with their counts, in o->p. Returns how many sockets
 * were found.
 */
size_t		 owners_scan(struct owners *o, const char *proc, const uint64_t want[2]);

/* Pure: the inode of "socket:[12345]"; 0 if it is not a socket. */
uint32_t	 owners_socket_inode(const char *link);
/* Pure: the cgroup v2 path in the text of /proc/PID/cgroup ("0::/path"). */
int		 owners_cgroup_line(const char *text, char *out, size_t len);

#endif
