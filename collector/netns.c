/*
 * The network namespaces to sample, found again before each sample (see
 * netns.h). Discovery reads /run/netns (a stat per name) and, for `all` and
 * for the labels of namespaces without a name, each process's ns/net link
 * (a readlink per process): about a millisecond per thousand processes.
 */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netns.h"

#define NSFS_MAGIC_	0x6e736673	/* linux/magic.h NSFS_MAGIC */

uint64_t
ns_link_ino(const char *link)
{
	unsigned long long ino;
	char *end;

	if (strncmp(link, "net:[", 5) != 0 || link[5] < '0' || link[5] > '9')
		return 0;
	errno = 0;
	ino = strtoull(link + 5, &end, 10);
	if (errno != 0 || strcmp(end, "]") != 0)
		return 0;
	return ino;
}

static int
label_taken(const struct nsset *s, const char *label)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->e[i].label, label) == 0)
			return 1;
	return 0;
}

void
ns_label(const struct nsset *s, const struct nsfound *f, const char *cgroup, char *buf,
    size_t len)
{
	/* a label is stored and shown: printable text only, else the inode */
	if (f->self)
		snprintf(buf, len, "host");
	else if (f->name[0] != '\0' && strcmp(f->name, "host") != 0 &&
	    text_printable(f->name, strlen(f->name)) && !label_taken(s, f->name))
		snprintf(buf, len, "%s", f->name);
	else if (cgroup != NULL && cgroup[0] == '/' && cgroup[1] != '\0' &&
	    strlen(cgroup) < len && text_printable(cgroup, strlen(cgroup)) &&
	    !label_taken(s, cgroup))
		snprintf(buf, len, "%s", cgroup);
	else
		snprintf(buf, len, "netns:%" PRIu64, f->ino);
}

int
ns_beyond_host(const struct config *c)
{
	size_t i;

	for (i = 0; i < c->nnamespaces; i++)
		if (c->namespaces[i].kind != NS_HOST)
			return 1;
	return 0;
}

int
ns_init(struct nsset *s, const char *proc, const char *netnsdir)
{
	struct stat st;

	memset(s, 0, sizeof(*s));
	s->proc = proc;
	s->netnsdir = netnsdir;
	if ((s->selffd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	if (fstat(s->selffd, &st) == -1) {
		close(s->selffd);
		return -1;
	}
	s->selfino = st.st_ino;
	return 0;
}

static void
ent_close(struct nsent *e)
{
	if (e->fd != -1)
		close(e->fd);
	if (e->diag_ok)
		diag_close(&e->diag);
	if (e->cw != NULL)
		cwage_free(e->cw);
	free(e->cw);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}

void
ns_free(struct nsset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		ent_close(&s->e[i]);
	free(s->e);
	if (s->selffd > 0)
		close(s->selffd);
	memset(s, 0, sizeof(*s));
}

/* What one round found, inodes unique. */
struct found {
	struct nsfound	*f;
	size_t		 n, cap;
};

static struct nsfound *
found_add(struct found *fl, uint64_t ino)
{
	struct nsfound *nf;
	size_t i;

	for (i = 0; i < fl->n; i++)
		if (fl->f[i].ino == ino)
			return &fl->f[i];
	if (fl->n == fl->cap) {
		if ((nf = reallocarray(fl->f, fl->cap ? fl->cap * 2 : 16, sizeof(*nf))) == NULL)
			return NULL;
		fl->f = nf;
		fl->cap = fl->cap ? fl->cap * 2 : 16;
	}
	nf = &fl->f[fl->n++];
	memset(nf, 0, sizeof(*nf));
	nf->ino = ino;
	return nf;
}

/* The names under /run/netns with their inodes, sorted by name. */
struct nsname {
	char		 name[TT_HOST_MAX];
	uint64_t	 ino;
};

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct nsname *)a)->name, ((const struct nsname *)b)->name);
}

static int
read_names(const struct nsset *s, struct nsname **out, size_t *n)
{
	struct nsname *v = NULL, *nv;
	size_t cap = 0;
	char path[sizeof(((struct nsfound *)0)->path)];
	struct dirent *d;
	struct stat st;
	DIR *dir;

	*out = NULL;
	*n = 0;
	if ((dir = opendir(s->netnsdir)) == NULL)
		return errno == ENOENT ? 0 : -1;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= TT_HOST_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/%s", s->netnsdir, d->d_name);
		if (stat(path, &st) == -1)
			continue;
		if (*n == cap) {
			if ((nv = reallocarray(v, cap ? cap * 2 : 16, sizeof(*nv))) == NULL) {
				free(v);
				closedir(dir);
				return -1;
			}
			v = nv;
			cap = cap ? cap * 2 : 16;
		}
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", d->d_name);
		v[(*n)++].ino = st.st_ino;
	}
	closedir(dir);
	qsort(v, *n, sizeof(*v), name_cmp);
	*out = v;
	return 0;
}

/* The inode of process pid's network namespace; 0 if it cannot be read. */
static uint64_t
pid_ino(const struct nsset *s, long pid)
{
	char path[96], link[64];
	ssize_t len;

	snprintf(path, sizeof(path), "%s/%ld/ns/net", s->proc, pid);
	if ((len = readlink(path, link, sizeof(link) - 1)) <= 0)
		return 0;
	link[len] = '\0';
	return ns_link_ino(link);
}

/*
 * Every process's namespace (want 0), or only the lowest pid in namespace
 * want (then *lowpid). Processes come in pid order from /proc.
 */
static int
scan_procs(const struct nsset *s, struct found *fl, uint64_t want, long *lowpid)
{
	struct nsfound *f;
	struct dirent *d;
	uint64_t ino;
	char *end;
	long pid;
	DIR *dir;

	if ((dir = opendir(s->proc)) == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		pid = strtol(d->d_name, &end, 10);
		if (d->d_name[0] < '1' || d->d_name[0] > '9' || *end != '\0')
			continue;
		if ((ino = pid_ino(s, pid)) == 0)
			continue;
		if (want != 0) {
			if (ino == want && (*lowpid == 0 || pid < *lowpid))
				*lowpid = pid;
			continue;
		}
		if ((f = found_add(fl, ino)) == NULL) {
			closedir(dir);
			return -1;
		}
		if (f->lowpid == 0 || pid < f->lowpid) {	/* a name, if any, is put last */
			f->lowpid = pid;
			snprintf(f->path, sizeof(f->path), "%s/%ld/ns/net", s->proc, pid);
		}
	}
	closedir(dir);
	return 0;
}

/* The cgroup v2 path of pid, from /proc/PID/cgroup's "0::" line; "" if none. */
static void
pid_cgroup(const struct nsset *s, long pid, char *buf, size_t len)
{
	char path[96], line[4096];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%ld/cgroup", s->proc, pid);
	if ((f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "0::", 3) == 0) {
			line[strcspn(line, "\n")] = '\0';
			if (strlen(line + 3) < len)	/* longer: no label of it */
				memcpy(buf, line + 3, strlen(line + 3) + 1);
			break;
		}
	fclose(f);
}

static void
say_pid_missing(struct nsset *s, long pid)
{
	size_t i;

	for (i = 0; i < s->nwarned; i++)
		if (s->warned_pid[i] == (int)pid)
			return;
	if (s->nwarned < sizeof(s->warned_pid) / sizeof(s->warned_pid[0]))
		s->warned_pid[s->nwarned++] = (int)pid;
	log_warnx("namespaces: pid:%ld: cannot read %s/%ld/ns/net (no such process, or "
	    "another user's without CAP_SYS_PTRACE); nothing sampled for it", pid, s->proc, pid);
}

/* What c's namespaces name now, into fl. */
static int
collect(struct nsset *s, const struct config *c, struct found *fl)
{
	struct nsname *names = NULL;
	struct nsfound *f;
	size_t nnames = 0, i, j;
	int all = 0, rc = -1;
	uint64_t ino;

	if (read_names(s, &names, &nnames) == -1 && errno != EACCES)
		log_debug("%s: %s", s->netnsdir, strerror(errno));
	for (i = 0; i < c->nnamespaces; i++) {
		const struct nsspec *ns = &c->namespaces[i];

		switch (ns->kind) {
		case NS_HOST:
			if (found_add(fl, s->selfino) == NULL)
				goto out;
			break;
		case NS_ALL:
			all = 1;
			break;
		case NS_NAME:
			for (j = 0; j < nnames; j++)
				if (fnmatch(ns->glob, names[j].name, FNM_PERIOD) == 0 &&
				    found_add(fl, names[j].ino) == NULL)
					goto out;
			break;
		case NS_PID:
			if ((ino = pid_ino(s, ns->pid)) == 0) {
				say_pid_missing(s, ns->pid);
				break;
			}
			if ((f = found_add(fl, ino)) == NULL)
				goto out;
			if (f->path[0] == '\0')
				snprintf(f->path, sizeof(f->path), "%s/%ld/ns/net", s->proc, ns->pid);
			break;
		}
	}
	if (all) {
		if (found_add(fl, s->selfino) == NULL || scan_procs(s, fl, 0, NULL) == -1)
			goto out;
		for (j = 0; j < nnames; j++)
			if (found_add(fl, names[j].ino) == NULL)
				goto out;
	}
	/* names and paths: a namespace bound under /run/netns is opened there */
	for (i = 0; i < fl->n; i++) {
		f = &fl->f[i];
		f->self = f->ino == s->selfino;
		for (j = 0; j < nnames; j++)
			if (names[j].ino == f->ino) {
				snprintf(f->name, sizeof(f->name), "%s", names[j].name);
				snprintf(f->path, sizeof(f->path), "%s/%s", s->netnsdir,
				    names[j].name);
				break;
			}
	}
	rc = 0;
out:
	free(names);
	return rc;
}

static struct nsent *
ent_find(struct nsset *s, uint64_t ino)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->e[i].ino == ino)
			return &s->e[i];
	return NULL;
}

/* A namespace found for the first time: opened, checked, labelled; NULL out of memory. */
static struct nsent *
ent_new(struct nsset *s, const struct nsfound *f)
{
	char cgroup[TT_HOST_MAX];
	struct nsent *e, *ne;
	struct statfs sf;
	struct stat st;
	long lowpid = f->lowpid;

	if (s->n == s->cap) {
		if ((ne = reallocarray(s->e, s->cap ? s->cap * 2 : 8, sizeof(*ne))) == NULL)
			return NULL;
		s->e = ne;
		s->cap = s->cap ? s->cap * 2 : 8;
	}
	if (f->self) {	/* first, whenever it comes */
		memmove(&s->e[1], &s->e[0], s->n * sizeof(*s->e));
		e = &s->e[0];
	} else
		e = &s->e[s->n];
	s->n++;
	memset(e, 0, sizeof(*e));
	e->ino = f->ino;
	e->fd = -1;
	e->seen = 1;
	cgroup[0] = '\0';
	if (!f->self && f->name[0] == '\0') {
		if (lowpid == 0)
			scan_procs(s, NULL, f->ino, &lowpid);
		if (lowpid > 0)
			pid_cgroup(s, lowpid, cgroup, sizeof(cgroup));
	}
	ns_label(s, f, cgroup, e->label, sizeof(e->label));
	if (f->self) {
		e->self = 1;
		log_info("netns %s: the collector's own (inode %" PRIu64 "): sampling it",
		    e->label, e->ino);
		return e;
	}
	if ((e->fd = open(f->path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_warn("netns %s: cannot open %s%s; skipped while it lives", e->label, f->path,
		    errno == EACCES || errno == EPERM ? " (another user's process: that needs "
		    "CAP_SYS_PTRACE)" : "");
		e->bad = 1;
	} else if (fstat(e->fd, &st) == -1 || fstatfs(e->fd, &sf) == -1 ||
	    sf.f_type != NSFS_MAGIC_ || st.st_ino != f->ino) {
		log_warnx("netns %s: %s is not that network namespace any more (a name left "
		    "behind, or it just went); skipped while it lives", e->label, f->path);
		e->bad = 1;
	} else
		log_info("netns %s: found (inode %" PRIu64 ", %s): sampling it", e->label,
		    e->ino, f->path);
	return e;
}

int
ns_discover(struct nsset *s, const struct config *c)
{
	struct found fl = { 0 };
	struct nsent *e;
	size_t i, j;

	if (collect(s, c, &fl) == -1) {
		free(fl.f);
		return -1;
	}
	for (i = 0; i < s->n; i++)
		s->e[i].seen = 0;
	for (i = 0; i < fl.n; i++) {
		if ((e = ent_find(s, fl.f[i].ino)) != NULL)
			e->seen = 1;
		else if (ent_new(s, &fl.f[i]) == NULL) {
			free(fl.f);
			return -1;
		}
	}
	free(fl.f);
	for (i = j = 0; i < s->n; i++) {
		e = &s->e[i];
		if (!e->seen) {
			log_info("netns %s: gone (inode %" PRIu64 "); its samples stay", e->label,
			    e->ino);
			ent_close(e);
			continue;
		}
		if (i != j)
			s->e[j] = *e;
		j++;
	}
	s->n = j;
	return 0;
}

int
ns_enter(struct nsset *s, struct nsent *e)
{
	(void)s;
	if (e->bad)
		return -1;
	if (setns(e->fd, CLONE_NEWNET) == -1) {
		log_warn("netns %s: cannot enter it (setns into another network namespace "
		    "needs CAP_SYS_ADMIN); skipped while it lives", e->label);
		e->bad = 1;
		return -1;
	}
	return 0;
}

int
ns_leave(struct nsset *s)
{
	if (setns(s->selffd, CLONE_NEWNET) == -1) {
		log_warn("cannot return to the collector's own network namespace");
		return -1;
	}
	return 0;
}
