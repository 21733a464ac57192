/*
 * The schemas the report reads, as the migrations make them (sqlite_schema's
 * rows, in name order, per version): generated at build time by
 * schema/refgen.c, compared with each file by dbread.c.
 */
#ifndef REPORT_SCHEMA_REF_H
#define REPORT_SCHEMA_REF_H

#include <stddef.h>

struct schema_object {
	int		 version;
	const char	*type, *name, *tbl, *sql;	/* sql as SQLite keeps it; NULL: none */
};

extern const struct schema_object schema_ref[];
extern const size_t nschema_ref;

#endif
