/* The 11 TCP state names, spelled as the kernel and netstat spell them, and their columns. */
#include <stdio.h>
#include <string.h>

#include "tcptally/tcptally.h"

#define NAME_(name, col)	#name,
#define COLUMN_(name, col)	#col,
#define LIST_(name, col)	", " #name

static const char *const names[TT_NSTATES + 1] = { NULL, TT_STATES(NAME_) };
static const char *const columns[TT_NSTATES + 1] = { NULL, TT_STATES(COLUMN_) };
static const char names_list[] = TT_STATES(LIST_);	/* ", ESTABLISHED, ..." */

const char *
state_name(int state)
{
	if (state < 1 || state > TT_NSTATES)
		return NULL;
	return names[state];
}

const char *
state_column(int state)
{
	if (state < 1 || state > TT_NSTATES)
		return NULL;
	return columns[state];
}

int
state_from_name(const char *name)
{
	int i;

	for (i = 1; i <= TT_NSTATES; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

const char *
state_names_list(void)
{
	return names_list + 2;
}

size_t
sql_list(char *buf, size_t len, const char *sep, const char *tmpl, int first,
    const char *const *list, size_t n)
{
	size_t off = 0, i;
	const char *p;
	char piece[48];

	if (len > 0)
		buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0)
			off += (size_t)snprintf(off < len ? buf + off : NULL,
			    off < len ? len - off : 0, "%s", sep);
		for (p = tmpl; *p != '\0'; p++) {
			if (strncmp(p, "{c}", 3) == 0) {
				snprintf(piece, sizeof(piece), "%s", list[i]);
				p += 2;
			} else if (strncmp(p, "{n}", 3) == 0) {
				snprintf(piece, sizeof(piece), "%d", first + (int)i);
				p += 2;
			} else
				snprintf(piece, sizeof(piece), "%c", *p);
			off += (size_t)snprintf(off < len ? buf + off : NULL,
			    off < len ? len - off : 0, "%s", piece);
		}
	}
	return off;
}

size_t
state_sql(char *buf, size_t len, const char *sep, const char *tmpl, int first)
{
	return sql_list(buf, len, sep, tmpl, first, columns + 1, TT_NSTATES);
}
