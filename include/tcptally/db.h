/* db.c: opening a database for writing, the embedded migrations, small query helpers. */
#ifndef TCPTALLY_DB_H
#define TCPTALLY_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define TT_APPLICATION_ID	0x54435454	/* "TCTT" */

/* Flags on a sample row (the schema's sample.flags). */
#define SAMPLE_RETRIED	0x01	/* the dump was interrupted once and retried */
#define SAMPLE_SUSPECT	0x02	/* interrupted twice: counts kept but may be off */
#define SAMPLE_MISSED	0x04	/* slot missed: no counts */
#define SAMPLE_IMPORTED	0x08	/* written by --import, not sampled here */
#define SAMPLE_BPF	0x10	/* counted by the BPF iterator backend, not sock_diag */
/* The same as SQL literals, for statements built at compile time. */
#define TT_SQL_(x)		#x
#define TT_SQL(x)		TT_SQL_(x)

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};
extern const struct migration migrations[];	/* schema.c, generated */
extern const size_t nmigrations;

/*
 * The directory of the database at path, made with mode 0750 if it is
 * missing (only the last component); 0, or -1 with the fix in err.
 */
int		 db_create_dir(const char *path, char *err, size_t errlen);
/* Open read-write, create with mode 0640 if absent, WAL, and migrate. */
sqlite3		*db_open_rw(const char *path, char *err, size_t errlen);
/* Refuse a database that is not tcptally's, or newer than this binary. */
int		 db_check_identity(sqlite3 *db, const char *path, char *err, size_t errlen);
int		 db_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
int		 db_user_version(sqlite3 *db);
int		 db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);
/*
 * The first column of the first row as an integer, or dflt when there is no
 * row or it is NULL (or the statement fails). db_int_stmt steps a prepared
 * statement once and resets it, keeping its bindings; db_int prepares sql,
 * binds ?1 to arg as text unless arg is NULL, and finalizes it.
 */
int64_t		 db_int_stmt(sqlite3_stmt *st, int64_t dflt);
int64_t		 db_int(sqlite3 *db, const char *sql, const char *arg, int64_t dflt);
/*
 * How many hosts the database holds (one file holds one host; more come
 * only from imports of older versions), the first one's name in buf; -1 on
 * error. The network namespaces of one host are one host.
 */
int		 db_hosts(sqlite3 *db, char *buf, size_t len);
/* The id of name in table (host or grp), inserted if missing; -1 on error. */
int64_t		 db_name_id(sqlite3 *db, const char *table, const char *name);
/* The id of host name's network namespace netns ("host": its own); inserted if missing. */
int64_t		 db_host_id(sqlite3 *db, const char *name, const char *netns);

#endif
