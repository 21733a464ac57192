/*
 * Opening a database to read it, as hostile input: a fleet file comes from
 * another host, and a compromised host controls its file completely.
 *
 * The connection is read-only and never creates a file (a copy in a fleet
 * directory is opened immutable: no locks, no -wal or -shm).  Before the
 * schema is used it runs with SQLITE_DBCONFIG_DEFENSIVE, no trusted schema,
 * views and triggers off, tight limits on lengths, depths and program size,
 * cell size checks, and a progress handler that gives up once the file has
 * used its time budget.  Then the file must be exactly what the migrations
 * make: application_id and user_version, every table, index, view and
 * trigger in sqlite_schema with the migrations' SQL (whitespace aside), one
 * valid host name (from schema 5 in a row per network namespace, each with
 * a valid label), valid group names, the 11 states.  Any difference
 * refuses the file with its name and the reason.  Costs a few small
 * queries per file.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tcptally/db.h"
#include "query.h"
#include "schema_ref.h"

#define BUSY_TIMEOUT_MS	1000
#define MAX_OBJECTS	64		/* in a schema the migrations make */
#define MAX_GROUPS	4096		/* group names a file may hold over its life */
#define NAME_CHARS	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-"

struct object {
	char		*type, *name, *tbl, *sql;	/* sql whitespace-normalised */
};

/*
 * The schema the migrations make, up to each version the report reads,
 * built once in memory when a file of it comes: a fleet upgrades host by
 * host, so a file of the schema before is read as it is (its samples have
 * no accept queues or kernel context).
 */
#define READ_MIN	2		/* the oldest schema read: tcptally 0.1.0's */
#define MAX_VERSIONS	16
static struct object	 refs[MAX_VERSIONS][MAX_OBJECTS];
static size_t		 nrefs[MAX_VERSIONS];

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
vrefuse(struct hdbfile *x, const char *fmt, va_list ap)
{
	char why[768];

	if (x->why != NULL)
		return -1;
	vsnprintf(why, sizeof(why), fmt, ap);
	if (asprintf(&x->why, "%s: %s", x->path, why) == -1)
		x->why = NULL;
	if (x->why == NULL)
		x->why = strdup("out of memory");
	return -1;
}

int
hdb_refuse(struct hdbfile *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(x, fmt, ap);
	va_end(ap);
	return -1;
}

int
hfile_refuse(const struct hfile *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(f->file, fmt, ap);
	va_end(ap);
	return -1;
}

int
hdb_fail(struct hdbfile *x)
{
	if (x->spent_ns > x->budget_ns || sqlite3_errcode(x->db) == SQLITE_INTERRUPT)
		return hdb_refuse(x, "gave up after %g s (its time budget)",
		    (double)x->budget_ns / 1e9);
	return hdb_refuse(x, "%s", sqlite3_errmsg(x->db));
}

int
hfile_fail(const struct hfile *f)
{
	return hdb_fail(f->file);
}

void
hdb_begin(struct hdbfile *x)
{
	x->t0 = mono_ns();
}

void
hdb_end(struct hdbfile *x)
{
	x->spent_ns += mono_ns() - x->t0;
	x->t0 = 0;
}

/* Every few thousand VM steps: stop once the file has used its budget. */
static int
over_budget(void *arg)
{
	struct hdbfile *x = arg;

	return x->t0 != 0 && x->spent_ns + (mono_ns() - x->t0) > x->budget_ns;
}

static char *
normalise(const char *s)
{
	char *out, *o;
	int space = 0;

	if (s == NULL || (out = malloc(strlen(s) + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
			space = o > out;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

static void
object_free(struct object *o)
{
	free(o->type);
	free(o->name);
	free(o->tbl);
	free(o->sql);
	memset(o, 0, sizeof(*o));
}

/* Row of SELECT type, name, tbl_name, sql into o; -1 if a column is not what it may be. */
static int
object_read(sqlite3_stmt *st, struct object *o)
{
	const char *c[4];
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < 4; i++) {
		if (sqlite3_column_type(st, i) != SQLITE_TEXT && (i < 3 ||
		    sqlite3_column_type(st, i) != SQLITE_NULL))
			return -1;
		c[i] = (const char *)sqlite3_column_text(st, i);
	}
	if ((o->type = strdup(c[0])) == NULL || (o->name = strdup(c[1])) == NULL ||
	    (o->tbl = strdup(c[2])) == NULL || (c[3] != NULL && (o->sql = normalise(c[3])) == NULL)) {
		object_free(o);
		return -1;
	}
	return 0;
}

static const char sql_schema[] =
    "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name";

/* The reference of schema v, from what the build made of the migrations. */
static int
build_ref(int v)
{
	struct object *o;
	size_t i;

	if (nrefs[v] > 0)
		return 0;
	for (i = 0; i < nschema_ref && nrefs[v] < MAX_OBJECTS; i++) {
		if (schema_ref[i].version != v)
			continue;
		o = &refs[v][nrefs[v]];
		if ((o->type = strdup(schema_ref[i].type)) == NULL ||
		    (o->name = strdup(schema_ref[i].name)) == NULL ||
		    (o->tbl = strdup(schema_ref[i].tbl)) == NULL ||
		    (schema_ref[i].sql != NULL && (o->sql = normalise(schema_ref[i].sql)) == NULL)) {
			object_free(o);
			return -1;
		}
		nrefs[v]++;
	}
	return nrefs[v] > 0 ? 0 : -1;
}

/* ANALYZE's tables change only the query plans; an operator may have run it. */
static int
allowed_extra(const struct object *o)
{
	return strcmp(o->type, "table") == 0 && o->sql != NULL &&
	    ((strcmp(o->name, "sqlite_stat1") == 0 &&
	    strcmp(o->sql, "CREATE TABLE sqlite_stat1(tbl,idx,stat)") == 0) ||
	    (strcmp(o->name, "sqlite_stat4") == 0 &&
	    strcmp(o->sql, "CREATE TABLE sqlite_stat4(tbl,idx,neq,nlt,ndlt,sample)") == 0));
}

static const struct object *
ref_find(int v, const char *name)
{
	size_t i;

	for (i = 0; i < nrefs[v]; i++)
		if (strcmp(refs[v][i].name, name) == 0)
			return &refs[v][i];
	return NULL;
}

static int
same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Every object in sqlite_schema is one the migrations make, and none is missing. */
static int
check_schema(struct hdbfile *f)
{
	const struct object *r;
	struct object o;
	sqlite3_stmt *st;
	size_t seen = 0;
	int rc, v = f->schema;

	if (build_ref(v) == -1)
		return hdb_refuse(f, "cannot build the reference schema");
	if (sqlite3_prepare_v2(f->db, sql_schema, -1, &st, NULL) != SQLITE_OK)
		return hdb_refuse(f, "not a tcptally database: %s", sqlite3_errmsg(f->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (object_read(st, &o) == -1) {
			sqlite3_finalize(st);
			return hdb_refuse(f, "not a tcptally database: a schema entry that is "
			    "not text");
		}
		if ((r = ref_find(v, o.name)) == NULL && allowed_extra(&o)) {
			object_free(&o);
			continue;
		}
		if (r == NULL || strcmp(r->type, o.type) != 0) {
			hdb_refuse(f, "not a tcptally database: unexpected %.16s '%.64s'",
			    o.type, o.name);
			object_free(&o);
			sqlite3_finalize(st);
			return -1;
		}
		if (!same(r->tbl, o.tbl) || !same(r->sql, o.sql)) {
			hdb_refuse(f, "not a tcptally database: %s '%s' is not what schema %d "
			    "makes", r->type, r->name, v);
			object_free(&o);
			sqlite3_finalize(st);
			return -1;
		}
		object_free(&o);
		seen++;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return hdb_refuse(f, "%s", sqlite3_errmsg(f->db));
	if (seen != nrefs[v])
		return hdb_refuse(f, "not a tcptally database: %zu of the %zu tables, "
		    "indexes, views and triggers of schema %d are missing", nrefs[v] - seen,
		    nrefs[v], v);
	return 0;
}

int
name_ok(sqlite3_stmt *st, int col, size_t max, int strict)
{
	const char *s;
	int len;

	if (sqlite3_column_type(st, col) != SQLITE_TEXT)
		return 0;
	s = (const char *)sqlite3_column_text(st, col);
	len = sqlite3_column_bytes(st, col);
	if (s == NULL || len < 1 || (size_t)len >= max || (int)strlen(s) != len)
		return 0;
	if (strict)
		return s[strspn(s, NAME_CHARS)] == '\0';
	return text_printable(s, (size_t)len);
}

static int
by_netns(const void *a, const void *b)
{
	const struct hns *const *x = a, *const *y = b;

	return strcmp((*x)->netns, (*y)->netns);
}

/* No id and no netns label twice: a forged file may break what UNIQUE keeps. */
static int
check_ns_unique(struct hdbfile *f)
{
	const struct hns **by;
	size_t i;
	int rc = 0;

	for (i = 1; i < f->nns; i++)
		if (f->ns[i].id <= f->ns[i - 1].id)
			return hdb_refuse(f, "its host table holds id %lld twice",
			    (long long)f->ns[i].id);
	if (f->nns < 2)
		return 0;
	if ((by = calloc(f->nns, sizeof(*by))) == NULL)
		return hdb_refuse(f, "out of memory");
	for (i = 0; i < f->nns; i++)
		by[i] = &f->ns[i];
	qsort(by, f->nns, sizeof(*by), by_netns);
	for (i = 1; i < f->nns && rc == 0; i++)
		if (strcmp(by[i]->netns, by[i - 1]->netns) == 0)
			rc = hdb_refuse(f, "its host table holds network namespace '%s' twice",
			    by[i]->netns);
	free(by);
	return rc;
}

/* Row n of the host table (id, name, netns) into f; -1 refuses f. */
static int
host_row(struct hdbfile *f, sqlite3_stmt *st, int n)
{
	const char *name = (const char *)sqlite3_column_text(st, 1);
	struct hns *ns;

	if (n > 1 && f->schema < SCHEMA_NETNS)
		return hdb_refuse(f, "holds more than one host; one file holds one host (split "
		    "it: see tcptally-report(1), FLEETS)");
	if (sqlite3_column_type(st, 0) != SQLITE_INTEGER || !name_ok(st, 1, TT_HOST_MAX, 0))
		return hdb_refuse(f, "its host name is not 1 to %d bytes of printable UTF-8",
		    TT_HOST_MAX - 1);
	if (!name_ok(st, 2, TT_HOST_MAX, 0))
		return hdb_refuse(f, "host %s: a network namespace label (host row %d) that is "
		    "not 1 to %d bytes of printable UTF-8", name, n, TT_HOST_MAX - 1);
	if (n == 1)
		snprintf(f->host, sizeof(f->host), "%s", name);
	else if (strcmp(name, f->host) != 0)
		return hdb_refuse(f, "holds two hosts, '%s' and '%s'; one file holds one host "
		    "(split it: see tcptally-report(1), FLEETS)", f->host, name);
	if (f->nns == MAX_NETNS)
		return hdb_refuse(f, "holds more than %d network namespaces of host %s",
		    MAX_NETNS, f->host);
	if ((ns = reallocarray(f->ns, f->nns + 1, sizeof(*ns))) == NULL)
		return hdb_refuse(f, "out of memory");
	f->ns = ns;
	ns = &f->ns[f->nns];
	ns->id = sqlite3_column_int64(st, 0);
	if ((ns->netns = strdup((const char *)sqlite3_column_text(st, 2))) == NULL)
		return hdb_refuse(f, "out of memory");
	f->nns++;
	return 0;
}

/*
 * One host, whose name is a name; from schema 5 a row per network namespace
 * of it, each labelled as a name is (at most MAX_NETNS, none twice); groups
 * that are names.
 */
static int
check_names(struct hdbfile *f)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(f->db, f->schema >= SCHEMA_NETNS ?
	    "SELECT id, name, netns FROM host ORDER BY id LIMIT " TT_SQL(MAX_NETNS) " + 1" :
	    "SELECT id, name, 'host' FROM host ORDER BY id LIMIT 3", -1, &st, NULL) != SQLITE_OK)
		return hdb_refuse(f, "%s", sqlite3_errmsg(f->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (host_row(f, st, ++n) == -1)
			break;
	sqlite3_finalize(st);
	if (f->why != NULL)
		return -1;
	if (rc != SQLITE_DONE)
		return hdb_refuse(f, "%s", sqlite3_errmsg(f->db));
	if (n == 0)
		return hdb_refuse(f, "holds no host yet; is it a collector's database?");
	if (check_ns_unique(f) == -1)
		return -1;
	if (sqlite3_prepare_v2(f->db, "SELECT id, name FROM grp", -1, &st, NULL) != SQLITE_OK)
		return hdb_refuse(f, "%s", sqlite3_errmsg(f->db));
	for (n = 0; (rc = sqlite3_step(st)) == SQLITE_ROW; n++)
		if (n >= MAX_GROUPS || sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    !name_ok(st, 1, TT_NAME_MAX, 1)) {
			sqlite3_finalize(st);
			return hdb_refuse(f, n >= MAX_GROUPS ? "more than %d groups" :
			    "a group name that is not 1 to 63 of A-Z a-z 0-9 _ . - (row %d)",
			    n >= MAX_GROUPS ? MAX_GROUPS : n + 1);
		}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return hdb_refuse(f, "%s", sqlite3_errmsg(f->db));
	return 0;
}

static int
check_states(struct hdbfile *f)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	if (sqlite3_prepare_v2(f->db, "SELECT id, name FROM state ORDER BY id", -1, &st,
	    NULL) != SQLITE_OK)
		return hdb_refuse(f, "%s", sqlite3_errmsg(f->db));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		n++;
		if (sqlite3_column_type(st, 0) != SQLITE_INTEGER ||
		    sqlite3_column_int64(st, 0) != n || n > TT_NSTATES ||
		    sqlite3_column_type(st, 1) != SQLITE_TEXT ||
		    strcmp((const char *)sqlite3_column_text(st, 1), state_name(n)) != 0)
			break;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || n != TT_NSTATES)
		return hdb_refuse(f, "its table of states is not the kernel's 11");
	return 0;
}

/* user_version and application_id: ours, of this version. */
static int
check_identity(struct hdbfile *f)
{
	int64_t ver, app, objects;

	ver = db_int(f->db, "PRAGMA user_version", NULL, -1);
	app = db_int(f->db, "PRAGMA application_id", NULL, -1);
	objects = db_int(f->db, "SELECT count(*) FROM sqlite_schema", NULL, -1);
	if (ver < 0 || app == -1 || objects < 0)
		return hdb_refuse(f, "cannot read it: %s", sqlite3_errmsg(f->db));
	if (ver == 0 && objects == 0)
		return hdb_refuse(f, "not a tcptally database yet (it holds no schema); point "
		    "-d at the collector's database, or let tcptally-collector create it");
	if (app != TT_APPLICATION_ID)
		return hdb_refuse(f, "not a tcptally database (application_id %#llx)",
		    (unsigned long long)app);
	if (ver > (int64_t)nmigrations)
		return hdb_refuse(f, "database schema version %lld is newer than this "
		    "tcptally %s understands (%d); upgrade tcptally or use another database",
		    (long long)ver,
		    TT_VERSION_STRING, (int)nmigrations);
	if (ver < READ_MIN || ver >= MAX_VERSIONS)
		return hdb_refuse(f, "database schema version %lld is older than %d, the "
		    "oldest this tcptally reads; run tcptally-collector --once on it to upgrade",
		    (long long)ver, READ_MIN);
	f->schema = (int)ver;
	return 0;
}

/* Before anything reads the schema: defensive, no views or triggers, tight limits. */
static int
harden(struct hdbfile *f, int fleet)
{
	static const struct { int id, v; } limits[] = {
		{ SQLITE_LIMIT_LENGTH, 1000000 },
		{ SQLITE_LIMIT_SQL_LENGTH, 100000 },
		{ SQLITE_LIMIT_COLUMN, 100 },
		{ SQLITE_LIMIT_EXPR_DEPTH, 100 },
		{ SQLITE_LIMIT_COMPOUND_SELECT, 4 },
		{ SQLITE_LIMIT_VDBE_OP, 100000 },
		{ SQLITE_LIMIT_FUNCTION_ARG, 8 },
		{ SQLITE_LIMIT_ATTACHED, 0 },
		{ SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1024 },
		{ SQLITE_LIMIT_VARIABLE_NUMBER, 32 },
		{ SQLITE_LIMIT_TRIGGER_DEPTH, 1 },
		{ SQLITE_LIMIT_WORKER_THREADS, 0 },
	};
	char err[256];
	size_t i;
	int on = 1, off = 0;

	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		sqlite3_limit(f->db, limits[i].id, limits[i].v);
	if (sqlite3_db_config(f->db, SQLITE_DBCONFIG_DEFENSIVE, on, NULL) != SQLITE_OK ||
	    sqlite3_db_config(f->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, off, NULL) != SQLITE_OK ||
	    sqlite3_db_config(f->db, SQLITE_DBCONFIG_ENABLE_VIEW, off, NULL) != SQLITE_OK ||
	    sqlite3_db_config(f->db, SQLITE_DBCONFIG_ENABLE_TRIGGER, off, NULL) != SQLITE_OK ||
	    sqlite3_db_config(f->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, off, NULL) !=
	    SQLITE_OK)
		return hdb_refuse(f, "cannot make the connection defensive");
	sqlite3_busy_timeout(f->db, BUSY_TIMEOUT_MS);
	sqlite3_progress_handler(f->db, 4000, over_budget, f);
	if (db_exec(f->db, fleet ? "PRAGMA query_only = 1; PRAGMA cell_size_check = 1;"
	    " PRAGMA cache_size = -512" : "PRAGMA query_only = 1; PRAGMA cell_size_check = 1",
	    err, sizeof(err)) == -1)
		return hdb_refuse(f, "%s", err);
	return 0;
}

/* "file:" URI of path, percent-encoding what a URI would misread. */
static int
uri_of(const char *path, int immutable, char *buf, size_t len)
{
	size_t o = 0;

	o += (size_t)snprintf(buf, len, "file:");
	for (; *path != '\0' && o + 4 < len; path++)
		if (*path == '%' || *path == '?' || *path == '#' || (unsigned char)*path < 0x21)
			o += (size_t)snprintf(buf + o, len - o, "%%%02X", (unsigned char)*path);
		else
			buf[o++] = *path;
	if (o + 20 >= len)
		return -1;
	snprintf(buf + o, len - o, "?mode=ro%s", immutable ? "&immutable=1" : "");
	return 0;
}

/* A regular file that starts as an SQLite database does. */
static int
check_file(struct hdbfile *f)
{
	static const char magic[16] = "SQLite format 3";
	struct stat st;
	char head[16];
	int fd;
	ssize_t n;

	if (stat(f->path, &st) == -1)
		return hdb_refuse(f, "no database there (%s); set `database:` in the config "
		    "or pass -d PATH", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return hdb_refuse(f, "not a database file (%s)", S_ISDIR(st.st_mode) ?
		    "a directory" : "not a regular file");
	if (st.st_size == 0)
		return hdb_refuse(f, "not a tcptally database yet (it holds no schema); point "
		    "-d at the collector's database, or let tcptally-collector create it");
	if ((fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return hdb_refuse(f, "cannot open: %s", strerror(errno));
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n != (ssize_t)sizeof(head) || memcmp(head, magic, sizeof(magic)) != 0)
		return hdb_refuse(f, "not an SQLite database");
	return 0;
}

static int
open_conn(struct hdbfile *f, int immutable)
{
	char uri[8192];
	int rc;

	if (uri_of(f->path, immutable, uri, sizeof(uri)) == -1)
		return hdb_refuse(f, "path too long");
	rc = sqlite3_open_v2(uri, &f->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	if (rc != SQLITE_OK) {
		hdb_refuse(f, "cannot open: %s", f->db ? sqlite3_errmsg(f->db) :
		    "out of memory");
		sqlite3_close(f->db);
		f->db = NULL;
		return -1;
	}
	return 0;
}

int
db_open_ro(struct hdbfile *f, int flags, int64_t budget_ns)
{
	int rc;

	f->budget_ns = budget_ns;
	if (check_file(f) == -1 || open_conn(f, flags & RO_IMMUTABLE) == -1)
		return -1;
	hdb_begin(f);
	rc = harden(f, flags & RO_IMMUTABLE);
	/*
	 * A WAL copy in a directory this user may not write cannot make its
	 * -shm: with no -wal beside it nobody writes it, so read it immutable.
	 */
	if (rc == 0 && !(flags & RO_IMMUTABLE) &&
	    db_int(f->db, "PRAGMA user_version", NULL, -1) == -1 &&
	    sqlite3_errcode(f->db) != SQLITE_INTERRUPT) {
		char wal[4096];

		snprintf(wal, sizeof(wal), "%s-wal", f->path);
		if (access(wal, F_OK) == -1) {
			sqlite3_close(f->db);
			f->db = NULL;
			rc = open_conn(f, 1) == -1 || harden(f, 1) == -1 ? -1 : 0;
		}
	}
	if (rc == 0)
		rc = check_identity(f);
	if (rc == 0)
		rc = check_schema(f);
	if (rc == 0)
		rc = check_names(f);
	if (rc == 0)
		rc = check_states(f);
	hdb_end(f);
	if (rc == 0 && f->spent_ns > f->budget_ns)
		rc = hdb_refuse(f, "gave up after %g s (its time budget)",
		    (double)f->budget_ns / 1e9);
	if (rc == -1 && f->db != NULL) {
		sqlite3_close(f->db);
		f->db = NULL;
	}
	return rc;
}

void
hdb_free_ns(struct hdbfile *f)
{
	size_t i;

	for (i = 0; i < f->nns; i++)
		free(f->ns[i].netns);
	free(f->ns);
	f->ns = NULL;
	f->nns = 0;
}

sqlite3 *
db_open_ro_path(const char *path, char *err, size_t errlen)
{
	struct hdbfile f;
	sqlite3 *db;

	memset(&f, 0, sizeof(f));
	f.path = path;
	if (db_open_ro(&f, 0, (int64_t)FILE_BUDGET_MS * 1000000) == -1) {
		snprintf(err, errlen, "%s", f.why ? f.why : "out of memory");
		free(f.why);
		hdb_free_ns(&f);
		return NULL;
	}
	sqlite3_progress_handler(f.db, 0, NULL, NULL);
	hdb_free_ns(&f);
	db = f.db;
	return db;
}
