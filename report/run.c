/*
 * A run of tcptally-report: the command line, the config, the databases
 * (refused ones named on stderr, and a run that refused any is not a
 * success), and the command. main.c only sets up the terminal facts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

#define SQLITE_HEAP_MAX	(512LL << 20)

static const char *prog = "tcptally-report";

static int
vreport_err(struct report *r, int code, const char *fmt, va_list ap)
{
	va_list copy;

	va_copy(copy, ap);
	fprintf(stderr, "%s: ", prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	if (r != NULL && r->check) {
		/* a Nagios plugin always owes one status line on stdout */
		printf("TCPTALLY UNKNOWN: ");
		vprintf(fmt, copy);
		putchar('\n');
		va_end(copy);
		return 3;
	}
	va_end(copy);
	return code;
}

int
usage_err(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport_err(r, EX_USAGE, fmt, ap);
	va_end(ap);
	return rc;
}

int
runtime_err(struct report *r, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vreport_err(r, EX_RUNTIME, fmt, ap);
	va_end(ap);
	return rc;
}

struct cell
host_cell(const struct report *r, const char *host)
{
	const struct hfile *f = hist_source(&r->hist, host);

	return f != NULL ? cell_host(f->name, f->netns) : cell_host(host, NULL);
}

/* The config gives thresholds, interval and the default database. */
static int
load_config(struct report *r)
{
	struct errlist errs = { 0 };

	r->config_path = config_locate(r->config_path);
	if (r->config_path == NULL) {
		r->cfg = config_default();
		return r->cfg == NULL ? runtime_err(r, "out of memory") : 0;
	}
	if ((r->cfg = config_open(r->config_path, &errs)) == NULL) {
		config_print_errors(r->config_path, &errs);
		errlist_free(&errs);
		return usage_err(r, "%s: fix the config, or pass -d DB to read a database "
		    "without it", r->config_path);
	}
	return 0;
}

/* The refused files not yet named, on stderr; how many there were. */
size_t
report_refused(struct report *r)
{
	struct hdbfile *f;
	size_t i, n = 0;

	for (i = 0; i < r->hist.nfiles; i++) {
		f = &r->hist.files[i];
		if (f->why == NULL)
			continue;
		n++;
		if (!f->told)
			fprintf(stderr, "%s: %s\n", prog, f->why);
		f->told = 1;
	}
	return n;
}

int
report_fail(struct report *r)
{
	if (report_refused(r) == 0 || hist_good(&r->hist) > 0)
		return runtime_err(r, "%s", r->hist.err);
	if (r->check)
		printf("TCPTALLY UNKNOWN: %s\n", r->hist.err);
	return r->check ? 3 : EX_RUNTIME;
}

int
report_load(struct report *r, int kind, int64_t from, int64_t to, const char *group,
    struct dataset *d)
{
	return hist_load(&r->hist, kind, from, to, group, d) == -1 ? report_fail(r) : 0;
}

int
report_load_latest(struct report *r, const char *group, struct dataset *d)
{
	return hist_load_latest(&r->hist, group, d) == -1 ? report_fail(r) : 0;
}

/*
 * Each database given (or the config's) is there: a missing one is a usage
 * error naming where its path came from. Then open them all.
 */
static int
open_history(struct report *r)
{
	const char *path, *s;
	size_t i;

	if (r->hist.nfiles == 0) {
		if (hist_add(&r->hist, r->cfg->database) == -1)
			return runtime_err(r, "out of memory");
		r->db_from_config = 1;
	}
	for (i = 0; i < r->hist.nfiles; i++) {
		path = r->hist.files[i].path;
		if (access(path, F_OK) == 0)
			continue;
		if (!r->db_from_config)
			return usage_err(r, "%s: no database there (given with -d)", path);
		if (r->config_path != NULL)
			return usage_err(r, "%s: no database there (`database:` in %s, "
			    "relative to the working directory); has tcptally-collector run?",
			    path, r->config_path);
		return usage_err(r, "%s: no database there; no config file was found "
		    "(-c, $TCPTALLY_CONFIG, /etc/tcptally/tcptally.yaml), so it looked "
		    "for tcptally.db in the working directory; pass -d DB or -c FILE", path);
	}
	if ((s = getenv("TCPTALLY_TEST_FILE_BUDGET_MS")) != NULL && *s != '\0')
		r->hist.budget_ns = strtoll(s, NULL, 10) * 1000000;
	return hist_open(&r->hist) == -1 ? report_fail(r) : 0;
}

/*
 * --host is a pattern (SQLite GLOB: *, ?, [...], case-sensitive) that must
 * match a host in some database, --netns one that must match a network
 * namespace of those hosts (files before schema 5 have only 'host'); each
 * --group must be a group in one. Then only the sources they match are read.
 */
static int
check_filters(struct report *r)
{
	char known[1024];
	size_t g;

	if (r->hist.host != NULL &&
	    !hist_has_name(&r->hist, "host", r->hist.host, 1, known, sizeof(known)))
		return usage_err(r, "--host '%s' matches no host; %s: %s", r->hist.host,
		    r->hist.nfiles > 1 ? "the databases have" : "the database has",
		    known[0] ? known : "none yet");
	if (r->hist.netns != NULL &&
	    !hist_has_name(&r->hist, "netns", r->hist.netns, 1, known, sizeof(known)))
		return usage_err(r, "--netns '%s' matches no network namespace%s; %s: %s",
		    r->hist.netns, r->hist.host ? " of the hosts --host matches" : "",
		    r->hist.host ? "they have" : r->hist.nfiles > 1 ? "the databases have" :
		    "the database has", known[0] ? known : "none yet");
	for (g = 0; g < r->ngroup; g++)
		if (!hist_has_name(&r->hist, "grp", r->group[g], 0, known, sizeof(known)))
			return usage_err(r, "unknown group '%s'; the database has: %s",
			    r->group[g], known[0] ? known : "no groups yet");
	hist_select(&r->hist);
	return 0;
}

/* The sampling interval: the config's, else the data's most common gap. */
static void
set_interval(struct report *r)
{
	int64_t gap = r->config_path != NULL ? -1 : hist_common_gap(&r->hist);

	r->interval = gap > 0 ? gap : r->cfg->interval;
	r->max_gap = STALE_INTERVALS * r->interval;
}

int
report_run(struct report *r, int argc, char *argv[])
{
	const struct command *cmd = NULL;
	int rc;

	/* A backstop under the per-file limits: SQLite's heap, all files together. */
	sqlite3_hard_heap_limit64(SQLITE_HEAP_MAX);
	if ((rc = opts_parse(r, argc, argv, &cmd)) != 0) {
		hist_close(&r->hist);	/* the -d files named before the error */
		opts_free();
		return rc == OPTS_DONE ? 0 : rc;
	}
	if ((rc = load_config(r)) == 0 && (rc = open_history(r)) == 0 &&
	    (rc = check_filters(r)) == 0) {
		set_interval(r);
		rc = cmd->run(r);
		/* the files refused on the way: named, and the run is not a success */
		if (report_refused(r) > 0 && rc == 0 && !r->check)
			rc = EX_RUNTIME;
	}
	hist_close(&r->hist);
	config_free(r->cfg);
	r->cfg = NULL;
	opts_free();
	return rc;
}
