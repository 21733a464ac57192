/* The processes holding CLOSE_WAIT sockets (see owners.h). */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/tcptally.h"
#include "owners.h"

#define NSLOTS	(OW_CAP * 2)

uint32_t
owners_socket_inode(const char *link)
{
	unsigned long v;
	char *end;

	if (strncmp(link, "socket:[", 8) != 0 || !isdigit((unsigned char)link[8]))
		return 0;
	v = strtoul(link + 8, &end, 10);
	return strcmp(end, "]") == 0 && v <= UINT32_MAX ? (uint32_t)v : 0;
}

int
owners_cgroup_line(const char *text, char *out, size_t len)
{
	const char *line = text, *end;
	size_t n;

	for (; *line != '\0'; line = *end ? end + 1 : end) {
		if ((end = strchr(line, '\n')) == NULL)
			end = line + strlen(line);
		if (strncmp(line, "0::", 3) != 0)
			continue;
		n = (size_t)(end - line - 3);
		if (n >= len)
			n = len - 1;
		memcpy(out, line + 3, n);
		out[n] = '\0';
		return 0;
	}
	return -1;
}

int
owners_init(struct owners *o)
{
	memset(o, 0, sizeof(*o));
	o->s = calloc(OW_CAP, sizeof(*o->s));
	o->slot = calloc(NSLOTS, sizeof(*o->slot));
	if (o->s == NULL || o->slot == NULL) {
		owners_free(o);
		return -1;
	}
	return 0;
}

void
owners_free(struct owners *o)
{
	free(o->s);
	free(o->slot);
	free(o->p);
	memset(o, 0, sizeof(*o));
}

void
owners_reset(struct owners *o)
{
	o->n = 0;
	o->dropped = 0;
	o->np = 0;
}

void
owners_note(struct owners *o, uint32_t inode, uint32_t uid, uint64_t groups)
{
	if (o->n == OW_CAP || inode == 0) {
		o->dropped++;
		return;
	}
	o->s[o->n].inode = inode;
	o->s[o->n].uid = uid;
	o->s[o->n++].groups = groups;
}

static size_t
slot(uint32_t inode)
{
	return (size_t)((inode * 2654435761u) & (NSLOTS - 1));
}

/* The noted socket of inode, or -1. */
static long
find(const struct owners *o, uint32_t inode)
{
	size_t i;
	uint32_t x;

	for (i = slot(inode); (x = o->slot[i]) != 0; i = (i + 1) & (NSLOTS - 1))
		if (o->s[x - 1].inode == inode)
			return (long)x - 1;
	return -1;
}

static int
wanted(const struct ow_sock *s, const uint64_t want[2])
{
	return (want[0] & 1) || ((want[0] >> 1) & s->groups) ||
	    ((want[1] & 1) && (s->groups >> 63));
}

static struct ow_proc *
new_proc(struct owners *o, int32_t pid)
{
	struct ow_proc *p;

	if (o->np == o->capp) {
		size_t cap = o->capp ? o->capp * 2 : 16;

		if ((p = realloc(o->p, cap * sizeof(*p))) == NULL)
			return NULL;
		o->p = p;
		o->capp = cap;
	}
	p = &o->p[o->np++];
	memset(p, 0, sizeof(*p));
	p->pid = pid;
	return p;
}

/* A small file of /proc/PID into buf; "" if it cannot be read. */
static void
read_small(int dfd, const char *name, char *buf, size_t len)
{
	ssize_t n = -1;
	int fd;

	if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC)) != -1) {
		n = read(fd, buf, len - 1);
		close(fd);
	}
	buf[n > 0 ? n : 0] = '\0';
}

static void
describe(struct ow_proc *p, int pdfd)
{
	char buf[4096];
	size_t n;

	read_small(pdfd, "comm", p->comm, sizeof(p->comm));
	if ((n = strlen(p->comm)) > 0 && p->comm[n - 1] == '\n')
		p->comm[n - 1] = '\0';
	read_small(pdfd, "cgroup", buf, sizeof(buf));
	if (owners_cgroup_line(buf, p->cgroup, sizeof(p->cgroup)) == -1)
		p->cgroup[0] = '\0';
}

/* The sockets of one process; -1 if its fds cannot be read for lack of privilege. */
static int
scan_proc(struct owners *o, int pdfd, int32_t pid, unsigned char *found, size_t *nfound)
{
	char link[64];
	struct dirent *de;
	struct ow_proc *p = NULL;
	struct ow_sock *s;
	ssize_t n;
	long x;
	int fdd, g;
	DIR *d;

	if ((fdd = openat(pdfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == EACCES ? -1 : 0;
	if ((d = fdopendir(fdd)) == NULL) {
		close(fdd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if ((n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1)) <= 0)
			continue;
		link[n] = '\0';
		if ((x = find(o, owners_socket_inode(link))) < 0 || found[x])
			continue;
		found[x] = 1;	/* shared by several processes: the first one found */
		(*nfound)++;
		if (p == NULL && (p = new_proc(o, pid)) == NULL)
			break;
		s = &o->s[x];
		p->count[0]++;
		for (g = 0; g < 64; g++)
			if ((s->groups >> g) & 1)
				p->count[1 + g]++;
	}
	closedir(d);
	if (p != NULL)
		describe(p, pdfd);
	return 0;
}

size_t
owners_scan(struct owners *o, const char *proc, const uint64_t want[2])
{
	uint32_t uids[OW_UIDS];
	unsigned char *found;
	size_t i, j, nuids = 0, total = 0, nfound = 0;
	int filter = 1, pfd, pdfd, denied = 0;
	struct dirent *de;
	struct stat st;
	char *end;
	long pid;
	DIR *d;

	o->np = 0;
	memset(o->slot, 0, NSLOTS * sizeof(*o->slot));
	for (i = 0; i < o->n; i++) {
		if (!wanted(&o->s[i], want))
			continue;
		for (j = slot(o->s[i].inode); o->slot[j] != 0; j = (j + 1) & (NSLOTS - 1))
			;
		o->slot[j] = (uint32_t)i + 1;
		total++;
		for (j = 0; j < nuids && uids[j] != o->s[i].uid; j++)
			;
		if (j == nuids && nuids < OW_UIDS)
			uids[nuids++] = o->s[i].uid;
		else if (j == nuids)
			filter = 0;	/* too many owners to tell processes apart by uid */
	}
	if (total == 0 || (found = calloc(o->n, 1)) == NULL)
		return 0;
	if ((pfd = open(proc, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (d = fdopendir(pfd)) == NULL) {
		if (pfd != -1)
			close(pfd);
		free(found);
		return 0;
	}
	while (nfound < total && (de = readdir(d)) != NULL) {
		pid = strtol(de->d_name, &end, 10);
		if (*end != '\0' || pid <= 0 || pid > INT32_MAX)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) == -1)
			continue;	/* gone */
		for (j = 0; filter && j < nuids && uids[j] != st.st_uid; j++)
			;
		if (filter && j == nuids)
			continue;	/* its uid owns none of the sockets */
		if ((pdfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			continue;
		if (scan_proc(o, pdfd, (int32_t)pid, found, &nfound) == -1 &&
		    st.st_uid != geteuid())
			denied++;
		close(pdfd);
	}
	closedir(d);
	free(found);
	if (denied > 0 && !o->warned) {
		log_warnx("owners: cannot read the open files of %d process%s of other users: "
		    "finding which process holds a socket needs CAP_SYS_PTRACE and "
		    "CAP_DAC_READ_SEARCH (see tcptally-collector(8)); CLOSE_WAIT owners go "
		    "unnamed", denied, denied == 1 ? "" : "es");
		o->warned = 1;
	}
	return nfound;
}
