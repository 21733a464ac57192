/*
 * cgroup v2 ids to paths. A socket's reply carries its owner's cgroup id,
 * which is the inode number of the cgroup's directory under the cgroup2
 * mount. One walk of that tree fills a cache of id -> path; an id missing
 * from it starts at most one more walk per sample (a cgroup made since),
 * and each walk starts from empty, so removed cgroups leave the cache.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/tcptally.h"
#include "cgroup.h"

#define CG_MAX		262144		/* cgroups cached; a walk stops there */
#define CG_DEPTH	64

/* mountinfo escapes space, tab, newline and backslash as \ooo */
static void
unescape(char *s)
{
	char *w = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*w++ = *s;
	}
	*w = '\0';
}

int
cgmap_find_mount(const char *mountinfo, char *out, size_t len)
{
	const char *line = mountinfo, *end, *sep;
	char buf[4096], *f[5], *save, *p;
	size_t n;
	int i;

	for (; *line != '\0'; line = *end != '\0' ? end + 1 : end) {
		if ((end = strchr(line, '\n')) == NULL)
			end = line + strlen(line);
		n = (size_t)(end - line);
		if (n >= sizeof(buf))
			continue;
		memcpy(buf, line, n);
		buf[n] = '\0';
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER */
		if ((sep = strstr(buf, " - ")) == NULL || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		for (i = 0, p = strtok_r(buf, " ", &save); p != NULL && i < 5;
		    p = strtok_r(NULL, " ", &save))
			f[i++] = p;
		if (i < 5 || strcmp(f[3], "/") != 0)	/* a bind of a subtree: paths would be off */
			continue;
		unescape(f[4]);
		if (strlen(f[4]) >= len)
			continue;
		strcpy(out, f[4]);
		return 0;
	}
	return -1;
}

static int
put(struct cgmap *m, uint64_t id, const char *path)
{
	size_t i, plen = strlen(path) + 1, cap;
	struct cgent *old;

	if (m->n >= CG_MAX)
		return -1;
	if ((m->n + 1) * 2 > (size_t)m->mask + 1) {
		cap = ((size_t)m->mask + 1) * 2;
		old = m->tab;
		if ((m->tab = calloc(cap, sizeof(*m->tab))) == NULL) {
			m->tab = old;
			return -1;
		}
		for (i = 0; i <= m->mask; i++)
			if (old[i].id != 0) {
				size_t j = old[i].id & (cap - 1);

				while (m->tab[j].id != 0)
					j = (j + 1) & (cap - 1);
				m->tab[j] = old[i];
			}
		free(old);
		m->mask = (uint32_t)(cap - 1);
	}
	if (m->nlen + plen > m->ncap) {
		size_t ncap = m->ncap * 2 > m->nlen + plen ? m->ncap * 2 : m->nlen + plen;
		char *nn = realloc(m->names, ncap);

		if (nn == NULL)
			return -1;
		m->names = nn;
		m->ncap = ncap;
	}
	for (i = id & m->mask; m->tab[i].id != 0 && m->tab[i].id != id; i = (i + 1) & m->mask)
		;
	if (m->tab[i].id == 0)
		m->n++;
	m->tab[i].id = id;
	m->tab[i].off = m->nlen;
	memcpy(m->names + m->nlen, path, plen);
	m->nlen += plen;
	return 0;
}

static void
walk(struct cgmap *m, int dfd, char *path, size_t plen, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;
	size_t n;

	if (depth > CG_DEPTH || (d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		n = strlen(de->d_name);
		if (plen + 1 + n >= CG_PATH_MAX)
			continue;
		if ((fd = openat(dirfd(d), de->d_name,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) == -1)
			continue;	/* removed meanwhile */
		if (fstat(fd, &st) == -1) {
			close(fd);
			continue;
		}
		path[plen] = '/';
		memcpy(path + plen + 1, de->d_name, n + 1);
		if (put(m, (uint64_t)st.st_ino, path) == -1) {
			close(fd);
			break;
		}
		walk(m, fd, path, plen + 1 + n, depth + 1);
		path[plen] = '\0';
	}
	closedir(d);
}

static void
walk_all(struct cgmap *m)
{
	char path[CG_PATH_MAX];
	struct stat st;
	int fd;

	memset(m->tab, 0, ((size_t)m->mask + 1) * sizeof(*m->tab));
	m->n = 0;
	m->nlen = 0;
	m->walks++;
	if ((fd = open(m->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == -1 || put(m, (uint64_t)st.st_ino, "/") == -1) {
		close(fd);
		return;
	}
	path[0] = '\0';
	walk(m, fd, path, 0, 0);
}

int
cgmap_open(struct cgmap *m, const char *root)
{
	memset(m, 0, sizeof(*m));
	if ((m->root = strdup(root)) == NULL ||
	    (m->tab = calloc(64, sizeof(*m->tab))) == NULL) {
		cgmap_close(m);
		return -1;
	}
	m->mask = 63;
	walk_all(m);
	m->walked = 1;
	return 0;
}

void
cgmap_close(struct cgmap *m)
{
	free(m->root);
	free(m->tab);
	free(m->names);
	memset(m, 0, sizeof(*m));
}

void
cgmap_round(struct cgmap *m)
{
	m->walked = 0;
}

const char *
cgmap_path(struct cgmap *m, uint64_t id)
{
	size_t i;
	int pass;

	if (id == 0 || m->root == NULL)
		return NULL;
	for (pass = 0; pass < 2; pass++) {
		for (i = id & m->mask; m->tab[i].id != 0; i = (i + 1) & m->mask)
			if (m->tab[i].id == id)
				return m->names + m->tab[i].off;
		if (m->walked)
			return NULL;
		walk_all(m);
		m->walked = 1;
	}
	return NULL;
}
