/* tcptally-report: everything is in lib_report (run.c); this is the terminal's side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

/*
 * Sparklines (and any colour) only for a person at a terminal: not when
 * piped, not with NO_COLOR set to anything non-empty (no-color.org), not on
 * TERM=dumb.  Scripts get plain text.
 */
static int
fancy_output(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return isatty(STDOUT_FILENO) && (nc == NULL || *nc == '\0') &&
	    (term == NULL || strcmp(term, "dumb") != 0);
}

int
main(int argc, char *argv[])
{
	struct report r;

	memset(&r, 0, sizeof(r));
	r.now = (int64_t)time(NULL);
	r.tty = fancy_output();
	return report_run(&r, argc, argv);
}
