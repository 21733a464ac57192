/* Opening a database for writing, applying the embedded schema migrations, small queries. */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/tcptally.h"
#include "tcptally/db.h"

#define BUSY_TIMEOUT_MS	5000

int
db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int64_t
db_int_stmt(sqlite3_stmt *st, int64_t dflt)
{
	int64_t v = dflt;

	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return v;
}

int64_t
db_int(sqlite3 *db, const char *sql, const char *arg, int64_t dflt)
{
	sqlite3_stmt *st;
	int64_t v;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return dflt;
	if (arg != NULL)
		sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
	v = db_int_stmt(st, dflt);
	sqlite3_finalize(st);
	return v;
}

int
db_hosts(sqlite3 *db, char *buf, size_t len)
{
	sqlite3_stmt *st;
	int n = 0, rc;

	buf[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT name FROM host GROUP BY name ORDER BY min(id)", -1, &st, NULL) !=
	    SQLITE_OK)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (n++ == 0)
			snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? n : -1;
}

int64_t
db_host_id(sqlite3 *db, const char *name, const char *netns)
{
	sqlite3_stmt *st;
	int64_t v;

	if (sqlite3_prepare_v2(db, "INSERT INTO host (name, netns) VALUES (?1, ?2) "
	    "ON CONFLICT (name, netns) DO UPDATE SET name = name RETURNING id", -1, &st,
	    NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, netns, -1, SQLITE_STATIC);
	v = db_int_stmt(st, -1);
	sqlite3_finalize(st);
	return v;
}

int64_t
db_name_id(sqlite3 *db, const char *table, const char *name)
{
	char sql[128];

	if (strcmp(table, "host") == 0)
		return db_host_id(db, name, "host");
	snprintf(sql, sizeof(sql), "INSERT INTO %s (name) VALUES (?1) "
	    "ON CONFLICT (name) DO UPDATE SET name = name RETURNING id", table);
	return db_int(db, sql, name, -1);
}

int
db_user_version(sqlite3 *db)
{
	return (int)db_int(db, "PRAGMA user_version", NULL, -1);
}

int
db_check_identity(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	int ver, app, tables;

	ver = db_user_version(db);
	app = (int)db_int(db, "PRAGMA application_id", NULL, -1);
	if (ver < 0 || app == -1) {
		snprintf(err, errlen, "%s: cannot read the schema version: %s", path,
		    sqlite3_errmsg(db));
		return -1;
	}
	if (app != 0 && app != TT_APPLICATION_ID) {
		snprintf(err, errlen, "%s: not a tcptally database (application_id %#x); "
		    "point `database:` at a new file", path, (unsigned)app);
		return -1;
	}
	if (ver == 0) {
		tables = (int)db_int(db, "SELECT count(*) FROM sqlite_master", NULL, -1);
		if (tables > 0) {
			snprintf(err, errlen, "%s: not a tcptally database (it holds %d "
			    "other objects); point `database:` at a new file", path, tables);
			return -1;
		}
	}
	if (ver > (int)nmigrations) {
		snprintf(err, errlen, "%s: database schema version %d is newer than this "
		    "tcptally %s understands (%d); upgrade tcptally or use another database",
		    path, ver, TT_VERSION_STRING, (int)nmigrations);
		return -1;
	}
	return 0;
}

int
db_migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char sql[128], why[512];
	size_t i;
	int ver;

	if (db_check_identity(db, path, err, errlen) == -1)
		return -1;
	for (i = 0; i < nmigrations; i++) {
		if (db_exec(db, "BEGIN IMMEDIATE", why, sizeof(why)) == -1)
			goto fail;
		/* Re-read inside the write lock: another process may have migrated. */
		if ((ver = db_user_version(db)) >= migrations[i].version) {
			db_exec(db, "COMMIT", why, sizeof(why));
			continue;
		}
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d",
		    migrations[i].version, TT_APPLICATION_ID);
		if (db_exec(db, migrations[i].sql, why, sizeof(why)) == -1 ||
		    db_exec(db, sql, why, sizeof(why)) == -1 ||
		    db_exec(db, "COMMIT", why, sizeof(why)) == -1) {
			db_exec(db, "ROLLBACK", sql, sizeof(sql));
			snprintf(err, errlen, "%s: migration %04d_%s failed: %s", path,
			    migrations[i].version, migrations[i].name, why);
			return -1;
		}
	}
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

/*
 * Create the database's directory if it is missing, mode 0750 whatever the
 * umask. Only the last component: a missing parent is more likely a typo in
 * `database:` than a tree to build. An existing directory is left as it is.
 */
int
db_create_dir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *slash;
	struct stat st;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		return 0;			/* the working directory */
	while (slash > dir && slash[-1] == '/')
		slash--;
	if (slash == dir)
		return 0;			/* the root directory */
	*slash = '\0';
	if (stat(dir, &st) == 0 || errno != ENOENT)
		return 0;	/* there (or unreadable): opening the file will say */
	if (mkdir(dir, 0750) == -1) {
		if (errno == EEXIST)
			return 0;
		if (errno == ENOENT)
			snprintf(err, errlen, "%s: cannot create the directory %s: its parent "
			    "does not exist; create it (mkdir -p -m 0750 %s) or point "
			    "`database:` elsewhere", path, dir, dir);
		else
			snprintf(err, errlen, "%s: cannot create the directory %s: %s",
			    path, dir, strerror(errno));
		return -1;
	}
	if (chmod(dir, 0750) == -1) {
		snprintf(err, errlen, "%s: chmod %s: %s", path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

/* Create the file ourselves so its mode is 0640 whatever the umask. */
static int
create_file(const char *path, char *err, size_t errlen)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
	if (fd == -1) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, 0640) == -1) {
		snprintf(err, errlen, "%s: chmod: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

sqlite3 *
db_open_rw(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	char why[256] = "cannot keep the WAL";
	int persist = 1;

	if (db_create_dir(path, err, errlen) == -1 || create_file(path, err, errlen) == -1)
		return NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/*
	 * A new database frees the pages retention empties back to the file
	 * system in small steps (PRAGMA incremental_vacuum); this can only be
	 * chosen before the first table. Older databases reuse freed pages.
	 */
	if (db_int(db, "SELECT count(*) FROM sqlite_master", NULL, -1) == 0 &&
	    db_exec(db, "PRAGMA auto_vacuum = INCREMENTAL", why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	/*
	 * The -wal and -shm files stay when the writer closes (checkpointed, the
	 * WAL cut back to at most 4 MiB): a reader that may not create files in
	 * the directory, such as a monitoring user in the database's group, can
	 * then read the history while the collector is stopped.
	 */
	if (db_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    " PRAGMA journal_size_limit = 4194304", why, sizeof(why)) == -1 ||
	    sqlite3_file_control(db, "main", SQLITE_FCNTL_PERSIST_WAL, &persist) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, why);
		goto fail;
	}
	if (db_migrate(db, path, err, errlen) == -1)
		goto fail;
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}
