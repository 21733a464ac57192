/*
 * Opening a database to read it: read-only, never creating anything, and
 * refusing a file that is not a tcptally database of this version.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/db.h"
#include "query.h"

#define BUSY_TIMEOUT_MS	5000

sqlite3 *
db_open_ro(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int ver;

	if (access(path, F_OK) == -1) {
		snprintf(err, errlen, "%s: no database there (%s); set `database:` in the "
		    "config or pass -d PATH", path, strerror(errno));
		return NULL;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    db ? sqlite3_errmsg(db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (db_check_identity(db, path, err, errlen) == -1)
		goto fail;
	ver = db_user_version(db);
	if (ver == 0) {
		snprintf(err, errlen, "%s: not a tcptally database yet (it holds no schema); "
		    "point -d at the collector's database, or let tcptally-collector create it",
		    path);
		goto fail;
	}
	if (ver < (int)nmigrations) {
		snprintf(err, errlen, "%s: database schema version %d is older than %d; "
		    "run tcptally-collector --once on it to upgrade", path, ver,
		    (int)nmigrations);
		goto fail;
	}
	return db;
fail:
	sqlite3_close(db);
	return NULL;
}
