/* tcptally-report: the commands arrive with the report issue; until then, help. */
#include <stdio.h>
#include <string.h>

#include "tcptally/tcptally.h"

static const char usage_text[] =
"usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--format table|csv|json] COMMAND\n"
"\n"
"Not implemented yet in this version: the commands now, trend, daily, at, diff,\n"
"check, backtest and export are planned. Until then, query the public view:\n"
"\n"
"  sqlite3 tcptally.db \"SELECT ts, grp, state, count FROM state_counts\n"
"      WHERE ts = (SELECT max(ts) FROM state_counts)\"\n";

int
main(int argc, char *argv[])
{
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)) {
		printf("tcptally-report %s\n", TT_VERSION_STRING);
		return 0;
	}
	fputs(usage_text, stderr);
	return 2;
}
