/* Database open and migrations, shared by collector and report. */
#ifndef TCPTALLY_DB_H
#define TCPTALLY_DB_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#define TT_APPLICATION_ID	0x54435454	/* "TCTT" */

/* Flags on a sample row. */
#define SAMPLE_RETRIED	0x01	/* the dump was interrupted once and retried */
#define SAMPLE_SUSPECT	0x02	/* interrupted twice: counts kept but may be off */
#define SAMPLE_MISSED	0x04	/* slot missed: no counts */
#define SAMPLE_IMPORTED	0x08	/* written by --import, not sampled here */

struct migration {
	int		 version;
	const char	*name;
	const char	*sql;
};
extern const struct migration migrations[];	/* schema.c, generated */
extern const size_t nmigrations;

/* db.c */
/* Open read-write, create with mode 0640 if absent, WAL, and migrate. */
sqlite3		*db_open_rw(const char *path, char *err, size_t errlen);
/* Open read-only; refuses an unknown or newer schema. */
sqlite3		*db_open_ro(const char *path, char *err, size_t errlen);
int		 db_migrate(sqlite3 *db, const char *path, char *err, size_t errlen);
int		 db_user_version(sqlite3 *db);
int		 db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen);

#endif
