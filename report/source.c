/*
 * The databases of a report and their sources. A file holds one host; from
 * schema 5 a host row per network namespace. Each row is a source (query.h),
 * a set of series of its own labelled NAME or NAME/NETNS; --host and --netns
 * pick sources. Files are opened and checked here (dbread.c), refused files
 * named once, and the clashes between files (one host in two files, two
 * labels alike) settled before anything is read.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/db.h"
#include "query.h"

#define FDS_PER_FILE	3		/* the database, its -wal and -shm */

size_t
hist_good(const struct history *h)
{
	size_t i, n = 0;

	for (i = 0; i < h->nfiles; i++)
		n += h->files[i].why == NULL;
	return n;
}

int
hist_several(const struct history *h)
{
	return h->nfiles > 1 || h->n > 1;
}

/* 0 while some file is good; else -1 with the last reason. */
int
hist_some_good(struct history *h)
{
	size_t i;

	if (hist_good(h) > 0)
		return 0;
	for (i = h->nfiles; i-- > 0;)
		if (h->files[i].why != NULL) {
			snprintf(h->err, sizeof(h->err), "%s", h->files[i].why);
			return -1;
		}
	snprintf(h->err, sizeof(h->err), "no database");
	return -1;
}

int
hist_add(struct history *h, const char *path)
{
	struct hdbfile *nf;

	if (h->nfiles == MAX_DBS)
		return -1;
	if (h->nfiles == h->capfiles) {
		if ((nf = reallocarray(h->files, h->capfiles ? h->capfiles * 2 : 8,
		    sizeof(*nf))) == NULL)
			return -1;
		h->files = nf;
		h->capfiles = h->capfiles ? h->capfiles * 2 : 8;
	}
	memset(&h->files[h->nfiles], 0, sizeof(h->files[h->nfiles]));
	h->files[h->nfiles++].path = path;
	return 0;
}

/*
 * Enough descriptors for every file (up to 3 each): the soft limit raised
 * toward the hard one if need be; -1 with a message naming the limit.
 */
static int
fd_room(struct history *h)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)h->nfiles * (h->fleet ? 1 : FDS_PER_FILE) + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return 0;
	}
	snprintf(h->err, sizeof(h->err), "%zu databases need up to %llu open files, and "
	    "the limit is %llu (ulimit -n; hard limit %llu): raise it, or give fewer",
	    h->nfiles, (unsigned long long)need, (unsigned long long)rl.rlim_cur,
	    (unsigned long long)rl.rlim_max);
	return -1;
}

/* Whether x's file name is its host's: HOST.db. */
static int
named_for(const struct hdbfile *x, const char *host)
{
	const char *base = strrchr(x->path, '/') ? strrchr(x->path, '/') + 1 : x->path;
	size_t n = strlen(host);

	return strncmp(base, host, n) == 0 && strcmp(base + n, ".db") == 0;
}

/*
 * Two files that claim one host, or whose sources would read as one (host
 * 'a/b' and host a's namespace b: both "a/b"): the one named HOST.db is
 * kept, else neither.
 */
static void
clash(struct hdbfile *a, const struct hfile *as, struct hdbfile *b, const struct hfile *bs)
{
	int an = named_for(a, a->host), bn = named_for(b, b->host);

	if (as == NULL) {
		if (!an)
			hdb_refuse(a, "holds host '%s', as %s does; one file per host%s",
			    a->host, b->path, bn ? " (that one is named for it)" : "");
		if (!bn)
			hdb_refuse(b, "holds host '%s', as %s does; one file per host%s",
			    b->host, a->path, an ? " (that one is named for it)" : "");
		return;
	}
	if (!an)
		hdb_refuse(a, "host '%s', netns '%s' reads as '%s', as host '%s', netns '%s' "
		    "of %s does; one of the names is forged%s", a->host, as->netns, as->host,
		    b->host, bs->netns, b->path, bn ? " (that one is named for its host)" : "");
	if (!bn)
		hdb_refuse(b, "host '%s', netns '%s' reads as '%s', as host '%s', netns '%s' "
		    "of %s does; one of the names is forged%s", b->host, bs->netns, bs->host,
		    a->host, as->netns, a->path, an ? " (that one is named for its host)" : "");
}

static void
one_file_per_host(struct history *h)
{
	size_t i, j;

	for (i = 0; i < h->nfiles; i++)
		for (j = i + 1; j < h->nfiles; j++)
			if (h->files[i].db != NULL && h->files[j].db != NULL &&
			    strcmp(h->files[i].host, h->files[j].host) == 0)
				clash(&h->files[i], NULL, &h->files[j], NULL);
}

static int
by_label(const void *a, const void *b)
{
	const struct hfile *x = a, *y = b;

	return strcmp(x->host, y->host);
}

/* Sources of different files with one label (one_file_per_host has run). */
static void
one_label_per_source(struct history *h)
{
	size_t i;

	for (i = 1; i < h->n; i++)
		if (strcmp(h->f[i].host, h->f[i - 1].host) == 0 &&
		    h->f[i].file != h->f[i - 1].file)
			clash(h->f[i - 1].file, &h->f[i - 1], h->f[i].file, &h->f[i]);
}

/* Every good file's host rows as sources; -1 out of memory. */
static int
make_sources(struct history *h)
{
	struct hdbfile *x;
	struct hfile *f;
	size_t i, k;

	for (i = 0; i < h->nfiles; i++) {
		x = &h->files[i];
		if (x->why != NULL)
			continue;
		if (h->n + x->nns > MAX_SOURCES) {
			hdb_refuse(x, "the databases hold more than %d network namespaces in all",
			    MAX_SOURCES);
			continue;
		}
		if (h->n + x->nns > h->cap) {
			size_t cap = h->n + x->nns > h->cap * 2 ? h->n + x->nns : h->cap * 2;

			if ((f = reallocarray(h->f, cap, sizeof(*f))) == NULL)
				return -1;
			h->f = f;
			h->cap = cap;
		}
		for (k = 0; k < x->nns; k++) {
			f = &h->f[h->n++];
			memset(f, 0, sizeof(*f));
			f->file = x;
			f->path = x->path;
			f->db = x->db;
			f->schema = x->schema;
			f->host_id = x->ns[k].id;
			f->name = x->host;
			f->netns = x->ns[k].netns;
			if (strcmp(f->netns, "host") == 0)
				snprintf(f->host, sizeof(f->host), "%s", x->host);
			else
				snprintf(f->host, sizeof(f->host), "%s/%s", x->host, f->netns);
		}
	}
	return 0;
}

static int
by_id(const void *a, const void *b)
{
	const struct hsrcid *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * h->f down to the sources of good files that sel says to keep (0: all),
 * in label order; then each file's map of its sources by host id.
 */
static void
keep_sources(struct history *h, int sel)
{
	struct hdbfile *x;
	struct hfile *f;
	size_t i, n = 0;

	for (i = 0; i < h->n; i++) {
		f = &h->f[i];
		if (f->file->why != NULL || (sel && ((h->host != NULL &&
		    sqlite3_strglob(h->host, f->name) != 0) || (h->netns != NULL &&
		    sqlite3_strglob(h->netns, f->netns) != 0))))
			continue;
		h->f[n++] = *f;
	}
	h->n = n;
	if (n > 1)
		qsort(h->f, n, sizeof(*h->f), by_label);
	for (i = 0; i < h->nfiles; i++)
		h->files[i].nmap = 0;
	for (i = 0; i < n; i++) {
		x = h->f[i].file;
		/* nmap <= nns: the map was made that big */
		x->map[x->nmap].id = h->f[i].host_id;
		x->map[x->nmap++].src = i;
	}
	for (i = 0; i < h->nfiles; i++)
		if (h->files[i].nmap > 1)
			qsort(h->files[i].map, h->files[i].nmap, sizeof(*h->files[i].map), by_id);
}

void
hist_select(struct history *h)
{
	keep_sources(h, 1);
}

const struct hfile *
hist_source_id(const struct history *h, const struct hdbfile *x, int64_t id)
{
	struct hsrcid key = { id, 0 }, *m;

	if (x->nmap == 0 || (m = bsearch(&key, x->map, x->nmap, sizeof(*m), by_id)) == NULL)
		return NULL;
	return &h->f[m->src];
}

int
hist_open(struct history *h)
{
	struct hdbfile *x;
	size_t i;

	if (h->budget_ns <= 0)
		h->budget_ns = (int64_t)FILE_BUDGET_MS * 1000000;
	if (fd_room(h) == -1)
		return -1;
	for (i = 0; i < h->nfiles; i++)
		if (db_open_ro(&h->files[i], h->fleet ? RO_IMMUTABLE : 0, h->budget_ns) == -1 &&
		    errno == EMFILE) {
			fd_room(h);
			return -1;
		}
	one_file_per_host(h);
	if (make_sources(h) == -1)
		goto oom;
	for (i = 0; i < h->nfiles; i++) {
		x = &h->files[i];
		if (x->why == NULL && x->nns > 0 &&
		    (x->map = calloc(x->nns, sizeof(*x->map))) == NULL)
			goto oom;
	}
	if (h->n > 1)
		qsort(h->f, h->n, sizeof(*h->f), by_label);
	one_label_per_source(h);
	keep_sources(h, 0);
	/* a refused file's connection stays open until hist_close: its sources point at it */
	return hist_some_good(h);
oom:
	snprintf(h->err, sizeof(h->err), "out of memory");
	return -1;
}

void
hist_close(struct history *h)
{
	struct hdbfile *x;
	size_t i;

	for (i = 0; i < h->nfiles; i++) {
		x = &h->files[i];
		sqlite3_close(x->db);
		free(x->why);
		free(x->map);
		hdb_free_ns(x);
	}
	free(h->files);
	free(h->f);
	h->files = NULL;
	h->f = NULL;
	h->nfiles = h->capfiles = h->n = h->cap = 0;
}

const struct hfile *
hist_source(const struct history *h, const char *host)
{
	struct hfile key;

	if (h->n == 0 || strlen(host) >= sizeof(key.host))
		return NULL;
	memcpy(key.host, host, strlen(host) + 1);
	return bsearch(&key, h->f, h->n, sizeof(*h->f), by_label);
}

struct hfile *
hist_file_of(const struct history *h, const char *host)
{
	const struct hfile *f = hist_source(h, host);

	return f != NULL && f->file->why == NULL ? (struct hfile *)f : NULL;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Names into known (", " between, distinct from the last one listed). */
static void
list_name(char *known, size_t len, size_t *off, const char *name, const char **last)
{
	if (*last != NULL && strcmp(*last, name) == 0)
		return;
	if (*off < len - 1)
		*off += (size_t)snprintf(known + *off, len - *off, "%s%s", *off ? ", " : "",
		    name);
	*last = name;
}

/* host (a GLOB over names) or netns (over the labels of the hosts h->host matches). */
static int
source_has(struct history *h, int netns, const char *name, char *known, size_t len,
    size_t *off)
{
	const char *last = NULL, *v, **vals;
	size_t i, n = 0;
	int found = 0;

	if ((vals = calloc(h->n + 1, sizeof(*vals))) == NULL)
		return 0;
	for (i = 0; i < h->n; i++)
		if (h->f[i].file->why == NULL && (!netns || h->host == NULL ||
		    sqlite3_strglob(h->host, h->f[i].name) == 0))
			vals[n++] = netns ? h->f[i].netns : h->f[i].name;
	qsort(vals, n, sizeof(*vals), cmp_str);
	for (i = 0; i < n; i++) {
		v = vals[i];
		found |= sqlite3_strglob(name, v) == 0;
		list_name(known, len, off, v, &last);
	}
	free(vals);
	return found;
}

int
hist_has_name(struct history *h, const char *table, const char *name, int glob,
    char *known, size_t len)
{
	sqlite3_stmt *st;
	char sql[96];
	size_t i, off = 0;
	int found = 0, first = 1;

	known[0] = '\0';
	if (strcmp(table, "host") == 0 || strcmp(table, "netns") == 0)
		found = source_has(h, table[0] == 'n', name, known, len, &off);
	snprintf(sql, sizeof(sql), "SELECT name, name %s ?1 FROM %s ORDER BY name",
	    glob ? "GLOB" : "=", table);
	for (i = 0; i < h->nfiles && !found && strcmp(table, "grp") == 0; i++) {
		if (h->files[i].why != NULL)
			continue;
		if (sqlite3_prepare_v2(h->files[i].db, sql, -1, &st, NULL) != SQLITE_OK)
			continue;
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		hdb_begin(&h->files[i]);
		while (sqlite3_step(st) == SQLITE_ROW) {
			if (sqlite3_column_int(st, 1))
				found = 1;
			if ((glob || first) && off < len - 1)
				off += (size_t)snprintf(known + off, len - off, "%s%s",
				    off ? ", " : "", (const char *)sqlite3_column_text(st, 0));
		}
		hdb_end(&h->files[i]);
		sqlite3_finalize(st);
		first = 0;
	}
	if (off >= len - 1 && len > 5)
		strcpy(known + len - 5, " ...");
	return found;
}
