/* tcptally-report: options, databases, and the command table. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "report.h"

enum {
	O_SINCE = 1 << 0, O_FROM = 1 << 1, O_TO = 1 << 2, O_STEP = 1 << 3, O_GROUP = 1 << 4,
	O_STATE = 1 << 5, O_DATE = 1 << 6, O_AROUND = 1 << 7, O_BASELINE = 1 << 8,
	O_AT = 1 << 9, O_ARG = 1 << 10, O_PERFDATA = 1 << 11,
};

static const struct command {
	const char	*name;
	int		(*run)(struct report *);
	int		 opts;
	const char	*synopsis;
} commands[] = {
	{ "now", cmd_now, O_GROUP, "now [--group G]...                    latest sample, group x state" },
	{ "trend", cmd_trend, O_SINCE | O_FROM | O_TO | O_STEP | O_GROUP | O_STATE,
	  "trend [--since DUR | --from T] [--to T] [--step DUR] [--group G] [--state S]..." },
	{ "daily", cmd_daily, O_DATE | O_GROUP,
	  "daily [--date YYYY-MM-DD] [--group G]...  peak, p95, avg, change vs day and week before" },
	{ "at", cmd_at, O_AROUND | O_GROUP | O_ARG,
	  "at T [--around DUR] [--group G]...    around T, against a day and a week earlier" },
	{ "diff", cmd_diff, O_FROM | O_TO | O_BASELINE | O_GROUP,
	  "diff --from T --to T [--baseline-from T --baseline-to T] [--group G]..." },
	{ "check", cmd_check, O_AT | O_PERFDATA,
	  "check [--at T] [--perfdata all|breaching|none]  0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" },
	{ "backtest", cmd_backtest, O_SINCE | O_FROM | O_TO,
	  "backtest [--since DUR | --from T] [--to T]  when each threshold would have fired" },
	{ "export", cmd_export, O_FROM | O_TO | O_GROUP,
	  "export [--from T] [--to T] [--group G] --format csv|json|openmetrics" },
	{ NULL, NULL, 0, NULL },
};

static const char *prog = "tcptally-report";

static void
usage(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: tcptally-report [-c FILE] [-d DB]... [--host H] "
	    "[--format table|csv|json|html] COMMAND\n\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %s\n", c->synopsis);
	fprintf(f, "\n"
	    "  -c, --config FILE   config (thresholds, database, interval); default as the collector\n"
	    "  -d, --db DB|DIR     a database to read (a directory: every *.db in it); repeat\n"
	    "                      for a report over several hosts\n"
	    "      --host H        only this host, or the hosts a pattern matches: 'web-*'\n"
	    "      --format F      table (default), csv, json; export also openmetrics,\n"
	    "                      daily also html\n"
	    "  -h, --help          this help; COMMAND --help (or help COMMAND): that\n"
	    "                      command's options and examples\n"
	    "  -V, --version       print the version\n"
	    "Times T: 2026-11-23T18:00:00Z, \"2026-11-23 18:00\" (local), @EPOCH, -2h, now.\n"
	    "Durations: Ns, Nm, Nh, Nd.\n"
	    "Exit: 0 ok, 1 runtime failure, 2 usage error; check: 0 OK, 1 WARNING,\n"
	    "2 CRITICAL, 3 UNKNOWN (also for its own errors).\n"
	    "\nExamples:\n"
	    "  tcptally-report trend --since 24h --state CLOSE_WAIT --state TIME_WAIT\n"
	    "  tcptally-report at '2026-11-23 03:12'\n"
	    "  tcptally-report check\n"
	    "  tcptally-report daily --date 2026-11-23 --format html > 2026-11-23.html\n");
}

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

static int
opt_time(struct report *r, const char *name, const char *s, int64_t *out, int *set)
{
	const char *why;

	if (time_parse(s, r->now, out, &why) == -1)
		return usage_err(r, "%s '%s': %s", name, s, why);
	*set = 1;
	return 0;
}

static int
opt_duration(struct report *r, const char *name, const char *s, int64_t *out, int *set)
{
	const char *why = NULL;

	if (duration_parse(s, out, &why) == -1 || *out == 0)
		return usage_err(r, "%s '%s': %s", name, s,
		    *out == 0 && why == NULL ? "must be longer than 0" : why);
	*set = 1;
	return 0;
}

static int
opt_format(struct report *r, const char *s)
{
	static const char *const names[] = { "table", "csv", "json", "openmetrics", "html",
	    NULL };
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(s, names[i]) == 0) {
			r->format = i;
			return 0;
		}
	return usage_err(r, "--format '%s': use table, csv or json (export: csv, json, "
	    "openmetrics; daily: also html)", s);
}

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "db", required_argument, NULL, 'd' },
	{ "host", required_argument, NULL, 'H' },
	{ "format", required_argument, NULL, 'f' },
	{ "since", required_argument, NULL, 's' },
	{ "from", required_argument, NULL, 'F' },
	{ "to", required_argument, NULL, 'T' },
	{ "step", required_argument, NULL, 'S' },
	{ "group", required_argument, NULL, 'g' },
	{ "state", required_argument, NULL, 'x' },
	{ "date", required_argument, NULL, 'D' },
	{ "around", required_argument, NULL, 'a' },
	{ "baseline-from", required_argument, NULL, 'b' },
	{ "baseline-to", required_argument, NULL, 'B' },
	{ "at", required_argument, NULL, 'A' },
	{ "perfdata", required_argument, NULL, 'P' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* One command-specific option: returns 0, or an exit code. */
static int
parse_cmd_opt(struct report *r, int ch, const char *arg, int *used)
{
	int st, dummy;

	switch (ch) {
	case 's':
		*used |= O_SINCE;
		return opt_duration(r, "--since", arg, &r->since, &r->since_set);
	case 'F':
		*used |= O_FROM;
		return opt_time(r, "--from", arg, &r->from, &r->from_set);
	case 'T':
		*used |= O_TO;
		return opt_time(r, "--to", arg, &r->to, &r->to_set);
	case 'S':
		*used |= O_STEP;
		return opt_duration(r, "--step", arg, &r->step, &r->step_set);
	case 'a':
		*used |= O_AROUND;
		return opt_duration(r, "--around", arg, &r->around, &r->around_set);
	case 'A':
		*used |= O_AT;
		return opt_time(r, "--at", arg, &r->at, &r->at_set);
	case 'b':
		*used |= O_BASELINE;
		r->baseline_set |= 1;
		return opt_time(r, "--baseline-from", arg, &r->baseline_from, &dummy);
	case 'B':
		*used |= O_BASELINE;
		r->baseline_set |= 2;
		return opt_time(r, "--baseline-to", arg, &r->baseline_to, &dummy);
	case 'D':
		*used |= O_DATE;
		r->date = arg;
		return 0;
	case 'P':
		*used |= O_PERFDATA;
		if (strcmp(arg, "all") == 0)
			r->perfdata = PERF_ALL;
		else if (strcmp(arg, "breaching") == 0)
			r->perfdata = PERF_BREACHING;
		else if (strcmp(arg, "none") == 0)
			r->perfdata = PERF_NONE;
		else
			return usage_err(r, "--perfdata '%s': use all, breaching or none", arg);
		return 0;
	case 'g':
		*used |= O_GROUP;
		for (st = 0; st < (int)r->ngroup; st++)
			if (strcmp(r->group[st], arg) == 0)
				return 0;	/* given twice: counted once */
		if (r->ngroup == MAX_FILTER)
			return usage_err(r, "at most %d --group options", MAX_FILTER);
		r->group[r->ngroup++] = arg;
		return 0;
	case 'x':
		*used |= O_STATE;
		if ((st = state_from_name(arg)) == -1)
			return usage_err(r, "--state '%s': unknown state; use one of: %s", arg,
			    state_names_list());
		if (r->nstate == MAX_FILTER)
			return usage_err(r, "at most %d --state options", MAX_FILTER);
		r->state[r->nstate++] = st;
		return 0;
	}
	return usage_err(r, "try 'tcptally-report --help'");
}

/* The paths found in -d directories; kept for the run. */
static char	**dir_dbs;
static size_t	  ndir_dbs;

static int
is_db_name(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 3 && strcmp(e->d_name + n - 3, ".db") == 0;
}

/* Take DIR/name if it is a regular file (counted in *added). 0, or an exit code. */
static int
add_dir_db(struct report *r, const char *dir, const char *name, int *added)
{
	struct stat st;
	char *path, **grown;

	if (asprintf(&path, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", name) == -1)
		return runtime_err(r, "out of memory");
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		free(path);
		return 0;
	}
	if (r->hist.n == MAX_DBS) {
		free(path);
		return usage_err(r, "-d %s: at most %d databases", dir, MAX_DBS);
	}
	if ((grown = reallocarray(dir_dbs, ndir_dbs + 1, sizeof(*dir_dbs))) == NULL) {
		free(path);
		return runtime_err(r, "out of memory");
	}
	dir_dbs = grown;
	dir_dbs[ndir_dbs++] = path;
	r->hist.path[r->hist.n++] = path;
	(*added)++;
	return 0;
}

/* -d DB, or -d DIR: every *.db file in DIR, in name order (a fleet's copies). */
static int
add_db(struct report *r, const char *arg)
{
	struct dirent **e;
	struct stat st;
	int i, n, added = 0, rc = 0;

	if (stat(arg, &st) == -1 || !S_ISDIR(st.st_mode)) {
		if (r->hist.n == MAX_DBS)
			return usage_err(r, "at most %d databases", MAX_DBS);
		r->hist.path[r->hist.n++] = arg;
		return 0;
	}
	if ((n = scandir(arg, &e, is_db_name, alphasort)) == -1)
		return usage_err(r, "-d %s: %s", arg, strerror(errno));
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = add_dir_db(r, arg, e[i]->d_name, &added);
		free(e[i]);
	}
	free(e);
	if (rc == 0 && added == 0)
		rc = usage_err(r, "-d %s: a directory with no *.db files; -d takes a database, "
		    "or a directory of them", arg);
	return rc;
}

static void
free_dir_dbs(void)
{
	size_t i;

	for (i = 0; i < ndir_dbs; i++)
		free(dir_dbs[i]);
	free(dir_dbs);
}

static const struct command *
find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* --help, `COMMAND --help` and `help [COMMAND]` print to stdout and exit 0. */
static int
show_help(struct report *r, const char *name)
{
	if (name == NULL || strcmp(name, "help") == 0)
		usage(stdout);
	else if (command_help(stdout, name) == -1)
		return usage_err(r, "help: unknown command '%s'; the commands are now, trend, "
		    "daily, at, diff, check, backtest, export", name);
	exit(0);
}

static int
parse_args(struct report *r, int argc, char *argv[], const struct command **cmd, int *used)
{
	const char *name = NULL;
	int ch, rc, help = 0;

	while ((ch = getopt_long(argc, argv, "c:d:hV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			r->config_path = optarg;
			break;
		case 'd':
			if ((rc = add_db(r, optarg)) != 0)
				return rc;
			break;
		case 'H':
			r->hist.host = optarg;
			break;
		case 'f':
			if ((rc = opt_format(r, optarg)) != 0)
				return rc;
			break;
		case 'h':
			help = 1;	/* after the loop: optind is then the command word */
			break;
		case 'V':
			printf("tcptally-report %s\n", TT_VERSION_STRING);
			exit(0);
		case '?':
			return usage_err(r, "try 'tcptally-report --help'");
		default:
			if ((rc = parse_cmd_opt(r, ch, optarg, used)) != 0)
				return rc;
		}
	}
	if (help)
		return show_help(r, optind < argc ? argv[optind] : NULL);
	if (optind < argc && strcmp(argv[optind], "help") == 0)
		return show_help(r, optind + 1 < argc ? argv[optind + 1] : NULL);
	if (optind >= argc)
		return usage_err(r, "no command; try 'tcptally-report --help'");
	name = argv[optind++];
	if ((*cmd = find_command(name)) == NULL)
		return usage_err(r, "unknown command '%s'; the commands are now, trend, daily, "
		    "at, diff, check, backtest, export", name);
	if (optind < argc && ((*cmd)->opts & O_ARG)) {
		r->arg = argv[optind++];
		*used |= O_ARG;
	}
	if (optind < argc)
		return usage_err(r, "%s: unexpected argument '%s'", name, argv[optind]);
	return 0;
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

int
report_fail(struct report *r)
{
	return runtime_err(r, "%s", r->hist.err);
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
	const char *path;
	size_t i;

	for (i = 0; i < r->hist.n; i++) {
		path = r->hist.path[i];
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
	return hist_open(&r->hist) == -1 ? report_fail(r) : 0;
}

/*
 * --host is a pattern (SQLite GLOB: *, ?, [...], case-sensitive) that must
 * match a host in some database; each --group must be a group in one.
 */
static int
check_filters(struct report *r)
{
	char known[1024];
	size_t g;

	if (r->hist.host != NULL &&
	    !hist_has_name(&r->hist, "host", r->hist.host, 1, known, sizeof(known)))
		return usage_err(r, "--host '%s' matches no host; %s: %s", r->hist.host,
		    r->hist.n > 1 ? "the databases have" : "the database has",
		    known[0] ? known : "none yet");
	for (g = 0; g < r->ngroup; g++)
		if (!hist_has_name(&r->hist, "grp", r->group[g], 0, known, sizeof(known)))
			return usage_err(r, "unknown group '%s'; the database has: %s",
			    r->group[g], known[0] ? known : "no groups yet");
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

/* Does this argument take the next one as its value? */
static int
takes_value(const char *a)
{
	const struct option *o;
	size_t n;

	if (strcmp(a, "-c") == 0 || strcmp(a, "-d") == 0)
		return 1;
	if (strncmp(a, "--", 2) != 0 || strchr(a, '=') != NULL)
		return 0;
	for (o = longopts; o->name != NULL; o++) {
		n = strlen(a + 2);
		if (n > 0 && strncmp(o->name, a + 2, n) == 0)	/* getopt takes prefixes */
			return o->has_arg == required_argument;
	}
	return 0;
}

/*
 * `at -2h`: a relative time looks like options to getopt. The first argument
 * after the command word `at` that is not an option or an option's value is
 * the time; when it reads as -DURATION it becomes @EPOCH before parsing.
 */
static void
absolute_at_arg(struct report *r, int argc, char *argv[], char *buf, size_t len)
{
	const char *why;
	int64_t t;
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "at") != 0; i++)
		if (strcmp(argv[i], "--") == 0 || takes_value(argv[i]))
			i += strcmp(argv[i], "--") != 0;
	for (i++; i < argc; i++) {
		if (takes_value(argv[i])) {
			i++;
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1] >= '0' && argv[i][1] <= '9' &&
		    time_parse(argv[i], r->now, &t, &why) == 0) {
			snprintf(buf, len, "@%lld", (long long)t);
			argv[i] = buf;
			return;
		}
		if (argv[i][0] != '-')
			return;
	}
}

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
	char atbuf[32];
	struct report r;
	const struct command *cmd = NULL;
	int rc, used = 0, i;

	memset(&r, 0, sizeof(r));
	r.now = (int64_t)time(NULL);
	r.tty = fancy_output();
	argv[0] = (char *)prog;		/* getopt's messages name the program, not its path */
	absolute_at_arg(&r, argc, argv, atbuf, sizeof(atbuf));
	for (i = 1; i < argc; i++)	/* check's errors exit 3, like a Nagios plugin's */
		if (strcmp(argv[i], "check") == 0)
			r.check = 1;
	if ((rc = parse_args(&r, argc, argv, &cmd, &used)) != 0)
		return rc;
	r.check = cmd->run == cmd_check;
	if (used & ~cmd->opts & ~O_ARG)
		return usage_err(&r, "%s: an option given does not apply to it; see "
		    "'tcptally-report %s --help'", cmd->name, cmd->name);
	if ((cmd->opts & O_ARG) && r.arg == NULL)
		return usage_err(&r, "%s needs a time, e.g. %s '2026-11-23 03:12'", cmd->name,
		    cmd->name);
	if (r.format == FMT_OPENMETRICS && cmd->run != cmd_export)
		return usage_err(&r, "--format openmetrics is for export only");
	if (r.format == FMT_HTML && cmd->run != cmd_daily)
		return usage_err(&r, "--format html is for daily only");
	if ((rc = load_config(&r)) != 0)
		return rc;
	if (r.hist.n == 0) {
		r.hist.path[r.hist.n++] = r.cfg->database;
		r.db_from_config = 1;
	}
	if ((rc = open_history(&r)) == 0 && (rc = check_filters(&r)) == 0) {
		set_interval(&r);
		rc = cmd->run(&r);
	}
	hist_close(&r.hist);
	config_free(r.cfg);
	free_dir_dbs();
	return rc;
}
