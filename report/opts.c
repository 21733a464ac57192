/*
 * tcptally-report's command line, as git and ip read theirs: global
 * options (-c, -d, --host, --netns, --format) anywhere, then the command word, and
 * each command's own options, from its table below, after it (or before
 * it: the word is found first).  A command that takes a time (at T) reads
 * `-2h` as that time, not as an option.  Long options may be abbreviated
 * to any unique prefix and take their value as --since=2h or --since 2h.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"

enum { G_CONFIG = O_NOPT, G_DB, G_HOST, G_NETNS, G_FORMAT, G_HELP, G_VERSION };

static const struct optdef {
	const char	*name;
	char		 letter;	/* the short form, or 0 */
	int		 arg;		/* takes a value */
	int		 id;		/* O_* (a command's) or G_* (global) */
} optdefs[] = {
	{ "config", 'c', 1, G_CONFIG },
	{ "db", 'd', 1, G_DB },
	{ "host", 0, 1, G_HOST },
	{ "netns", 0, 1, G_NETNS },
	{ "format", 0, 1, G_FORMAT },
	{ "help", 'h', 0, G_HELP },
	{ "version", 'V', 0, G_VERSION },
	{ "since", 0, 1, O_SINCE },
	{ "from", 0, 1, O_FROM },
	{ "to", 0, 1, O_TO },
	{ "step", 0, 1, O_STEP },
	{ "group", 0, 1, O_GROUP },
	{ "state", 0, 1, O_STATE },
	{ "date", 0, 1, O_DATE },
	{ "around", 0, 1, O_AROUND },
	{ "baseline-from", 0, 1, O_BASELINE_FROM },
	{ "baseline-to", 0, 1, O_BASELINE_TO },
	{ "at", 0, 1, O_AT },
	{ "perfdata", 0, 1, O_PERFDATA },
	{ "direction", 0, 1, O_DIRECTION },
	{ NULL, 0, 0, 0 },
};

#define OPTS(...)	(const int[]){ __VA_ARGS__, -1 }
static const struct command commands[] = {
	{ "now", cmd_now, OPTS(O_GROUP), 0,
	  "now [--group G]...                    latest sample, group x state" },
	{ "trend", cmd_trend, OPTS(O_SINCE, O_FROM, O_TO, O_STEP, O_GROUP, O_STATE), 0,
	  "trend [--since DUR | --from T] [--to T] [--step DUR] [--group G] [--state S]..." },
	{ "daily", cmd_daily, OPTS(O_DATE, O_GROUP), 0,
	  "daily [--date YYYY-MM-DD] [--group G]...  peak, p95, avg, change vs day and week before" },
	{ "at", cmd_at, OPTS(O_AROUND, O_GROUP), 1,
	  "at T [--around DUR] [--group G]...    around T, against a day and a week earlier" },
	{ "diff", cmd_diff, OPTS(O_FROM, O_TO, O_BASELINE_FROM, O_BASELINE_TO, O_GROUP), 0,
	  "diff --from T --to T [--baseline-from T --baseline-to T] [--group G]..." },
	{ "check", cmd_check, OPTS(O_AT, O_PERFDATA), 0,
	  "check [--at T] [--perfdata all|breaching|none]  0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN" },
	{ "backtest", cmd_backtest, OPTS(O_SINCE, O_FROM, O_TO), 0,
	  "backtest [--since DUR | --from T] [--to T]  when each threshold would have fired" },
	{ "export", cmd_export, OPTS(O_FROM, O_TO, O_GROUP), 0,
	  "export [--from T] [--to T] [--group G] --format csv|json|openmetrics" },
	{ "listeners", cmd_listeners, OPTS(O_GROUP, O_SINCE), 0,
	  "listeners [--group G]... [--since DUR]  accept queues now and their peak, drop rates" },
	{ "who", cmd_who, OPTS(O_STATE, O_GROUP, O_SINCE, O_AT), 0,
	  "who [--state S] [--group G] [--since DUR | --at T]  the cgroups holding sockets" },
	{ "peers", cmd_peers, OPTS(O_STATE, O_DIRECTION, O_GROUP, O_SINCE, O_AT), 0,
	  "peers [--state S] [--direction in|out] [--group G] [--since DUR | --at T]" },
	{ "owners", cmd_owners, OPTS(O_GROUP, O_SINCE), 0,
	  "owners [--group G] [--since DUR]      the processes holding CLOSE_WAIT sockets" },
	{ NULL, NULL, NULL, 0, NULL },
};
#undef OPTS

static const char command_list[] = "now, trend, daily, at, diff, check, backtest, export, "
    "listeners, who, peers, owners";

/* The paths found in -d directories; kept for the run. */
static char	**dir_dbs;
static size_t	  ndir_dbs;

void
usage(FILE *f)
{
	const struct command *c;

	fprintf(f, "usage: tcptally-report [-c FILE] [-d DB]... [--host H] [--netns N]\n"
	    "                       [--format table|csv|json|html] COMMAND\n\n");
	for (c = commands; c->name != NULL; c++)
		fprintf(f, "  %s\n", c->synopsis);
	fprintf(f, "\n"
	    "  -c, --config FILE   config (thresholds, database, interval); default as the collector\n"
	    "  -d, --db DB|DIR     a database to read (a directory: every *.db in it); repeat\n"
	    "                      for a report over several hosts\n"
	    "      --host H        only this host, or the hosts a pattern matches: 'web-*'\n"
	    "      --netns N       only this network namespace of each host, or those a\n"
	    "                      pattern matches: host (its own), 'ttns-*', '/kubepods*';\n"
	    "                      a namespace's series is labelled HOST/NETNS\n"
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

static const struct command *
find_command(const char *name)
{
	const struct command *c;

	for (c = commands; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int
takes(const struct command *c, int id)
{
	const int *o;

	for (o = c->opts; *o != -1; o++)
		if (*o == id)
			return 1;
	return 0;
}

/*
 * The option a (without its dashes, up to '=' or len) names: exactly, or as
 * the one option it is a prefix of. NULL, with the reason in why, if none.
 */
static const struct optdef *
find_long(const char *a, size_t len, char *why, size_t whylen)
{
	const struct optdef *d, *hit = NULL;
	size_t n = 0, off;

	for (d = optdefs; d->name != NULL; d++)
		if (strlen(d->name) == len && strncmp(d->name, a, len) == 0)
			return d;
	for (d = optdefs; d->name != NULL; d++)
		if (len > 0 && strncmp(d->name, a, len) == 0) {
			hit = d;
			n++;
		}
	if (n == 1)
		return hit;
	if (n == 0) {
		snprintf(why, whylen, "unrecognized option '--%.*s'", (int)len, a);
		return NULL;
	}
	off = (size_t)snprintf(why, whylen, "option '--%.*s' is ambiguous; possibilities:",
	    (int)len, a);
	for (d = optdefs; d->name != NULL && off < whylen; d++)
		if (strncmp(d->name, a, len) == 0)
			off += (size_t)snprintf(why + off, whylen - off, " '--%s'", d->name);
	return NULL;
}

static const struct optdef *
find_short(char letter)
{
	const struct optdef *d;

	for (d = optdefs; d->name != NULL; d++)
		if (d->letter == letter && letter != 0)
			return d;
	return NULL;
}

/* A relative time such as -2h: a command's argument, not an option. */
static int
is_negative_time(const char *a)
{
	return a[0] == '-' && a[1] >= '0' && a[1] <= '9';
}

/* One argument as an option: its definition and value (*i moves past it). */
struct parsed {
	const struct optdef *def;
	const char	*value;
	char		 shown[64];	/* as given: --since, -d */
};

static int
read_option(struct report *r, int argc, char *argv[], int *i, struct parsed *p)
{
	const char *a = argv[*i], *eq;
	char why[256];

	memset(p, 0, sizeof(*p));
	if (a[1] == '-') {
		eq = strchr(a + 2, '=');
		if ((p->def = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), why,
		    sizeof(why))) == NULL)
			return usage_err(r, "%s; try 'tcptally-report --help'", why);
		snprintf(p->shown, sizeof(p->shown), "--%s", p->def->name);
		if (eq != NULL && !p->def->arg)
			return usage_err(r, "option '%s' doesn't allow an argument", p->shown);
		if (eq != NULL)
			p->value = eq + 1;
	} else {
		if ((p->def = find_short(a[1])) == NULL)
			return usage_err(r, "invalid option -- '%c'; try 'tcptally-report --help'",
			    a[1]);
		snprintf(p->shown, sizeof(p->shown), "-%c", a[1]);
		if (a[2] != '\0' && !p->def->arg)
			return usage_err(r, "invalid option '%s'; try 'tcptally-report --help'", a);
		if (a[2] != '\0')
			p->value = a + 2;
	}
	if (p->def->arg && p->value == NULL) {
		if (*i + 1 >= argc)
			return usage_err(r, "option '%s' requires an argument", p->shown);
		p->value = argv[++*i];
	}
	return 0;
}

/*
 * The command word: the first argument that is neither an option nor an
 * option's value. -1 if there is none.
 */
static int
command_index(int argc, char *argv[])
{
	const struct optdef *d;
	char why[256];
	const char *a, *eq;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0)
			return i + 1 < argc ? i + 1 : -1;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (a[1] == '-') {
			eq = strchr(a + 2, '=');
			d = find_long(a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2), why,
			    sizeof(why));
			if (d != NULL && d->arg && eq == NULL)
				i++;
		} else if ((d = find_short(a[1])) != NULL && d->arg && a[2] == '\0')
			i++;
	}
	return -1;
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

static int
opt_perfdata(struct report *r, const char *arg)
{
	if (strcmp(arg, "all") == 0)
		r->perfdata = PERF_ALL;
	else if (strcmp(arg, "breaching") == 0)
		r->perfdata = PERF_BREACHING;
	else if (strcmp(arg, "none") == 0)
		r->perfdata = PERF_NONE;
	else
		return usage_err(r, "--perfdata '%s': use all, breaching or none", arg);
	return 0;
}

static int
opt_group(struct report *r, const char *arg)
{
	size_t g;

	for (g = 0; g < r->ngroup; g++)
		if (strcmp(r->group[g], arg) == 0)
			return 0;	/* given twice: counted once */
	if (r->ngroup == MAX_FILTER)
		return usage_err(r, "at most %d --group options", MAX_FILTER);
	r->group[r->ngroup++] = arg;
	return 0;
}

static int
opt_state(struct report *r, const char *arg)
{
	int st;

	if ((st = state_from_name(arg)) == -1)
		return usage_err(r, "--state '%s': unknown state; use one of: %s", arg,
		    state_names_list());
	if (r->nstate == MAX_FILTER)
		return usage_err(r, "at most %d --state options", MAX_FILTER);
	r->state[r->nstate++] = st;
	return 0;
}

/* One command option's value: 0, or an exit code. */
static int
set_cmd_opt(struct report *r, int id, const char *arg)
{
	int dummy;

	switch (id) {
	case O_SINCE:
		return opt_duration(r, "--since", arg, &r->since, &r->since_set);
	case O_FROM:
		return opt_time(r, "--from", arg, &r->from, &r->from_set);
	case O_TO:
		return opt_time(r, "--to", arg, &r->to, &r->to_set);
	case O_STEP:
		return opt_duration(r, "--step", arg, &r->step, &r->step_set);
	case O_AROUND:
		return opt_duration(r, "--around", arg, &r->around, &r->around_set);
	case O_AT:
		return opt_time(r, "--at", arg, &r->at, &r->at_set);
	case O_BASELINE_FROM:
		r->baseline_set |= 1;
		return opt_time(r, "--baseline-from", arg, &r->baseline_from, &dummy);
	case O_BASELINE_TO:
		r->baseline_set |= 2;
		return opt_time(r, "--baseline-to", arg, &r->baseline_to, &dummy);
	case O_DATE:
		r->date = arg;
		return 0;
	case O_PERFDATA:
		return opt_perfdata(r, arg);
	case O_GROUP:
		return opt_group(r, arg);
	case O_DIRECTION:
		if (strcmp(arg, "in") == 0 || strcmp(arg, "out") == 0) {
			r->direction = arg[0] == 'i' ? BKD_IN : BKD_OUT;
			return 0;
		}
		return usage_err(r, "--direction is in (clients of our services) or out (peers "
		    "we connected to), not '%s'", arg);
	default:
		return opt_state(r, arg);
	}
}

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
	if (r->hist.nfiles == MAX_DBS) {
		free(path);
		return usage_err(r, "-d %s: at most %d databases", dir, MAX_DBS);
	}
	if ((grown = reallocarray(dir_dbs, ndir_dbs + 1, sizeof(*dir_dbs))) == NULL ||
	    hist_add(&r->hist, path) == -1) {
		free(path);
		return runtime_err(r, "out of memory");
	}
	dir_dbs = grown;
	dir_dbs[ndir_dbs++] = path;
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
		if (r->hist.nfiles == MAX_DBS)
			return usage_err(r, "at most %d databases", MAX_DBS);
		if (hist_add(&r->hist, arg) == -1)
			return runtime_err(r, "out of memory");
		return 0;
	}
	/* a fleet's copies: nobody writes them, so they are read immutable */
	r->hist.fleet = 1;
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

void
opts_free(void)
{
	size_t i;

	for (i = 0; i < ndir_dbs; i++)
		free(dir_dbs[i]);
	free(dir_dbs);
	dir_dbs = NULL;
	ndir_dbs = 0;
}

/* A global option: 0, OPTS_DONE (--version printed), or an exit code. */
static int
set_global(struct report *r, const struct parsed *p, int *help)
{
	switch (p->def->id) {
	case G_CONFIG:
		r->config_path = p->value;
		return 0;
	case G_DB:
		return add_db(r, p->value);
	case G_HOST:
		r->hist.host = p->value;
		return 0;
	case G_NETNS:
		r->hist.netns = p->value;
		return 0;
	case G_FORMAT:
		return opt_format(r, p->value);
	case G_HELP:
		*help = 1;
		return 0;
	default:
		printf("tcptally-report %s\n", TT_VERSION_STRING);
		return OPTS_DONE;
	}
}

/* --help, `COMMAND --help` and `help [COMMAND]` print to stdout: OPTS_DONE. */
static int
show_help(struct report *r, const char *name)
{
	if (name == NULL || strcmp(name, "help") == 0)
		usage(stdout);
	else if (command_help(stdout, name) == -1)
		return usage_err(r, "help: unknown command '%s'; the commands are %s", name,
		    command_list);
	return OPTS_DONE;
}

/* Every argument but the command word (at ci): options, and the command's argument. */
static int
parse_rest(struct report *r, int argc, char *argv[], int ci, const struct command *c,
    int *help)
{
	struct parsed p;
	int i, rc, dashes = 0;

	for (i = 1; i < argc; i++) {
		if (i == ci)
			continue;
		if (!dashes && strcmp(argv[i], "--") == 0) {
			dashes = 1;
			continue;
		}
		if (dashes || argv[i][0] != '-' || argv[i][1] == '\0' ||
		    (c != NULL && c->arg && r->arg == NULL && i > ci &&
		    is_negative_time(argv[i]))) {
			if (c != NULL && c->arg && r->arg == NULL && i > ci) {
				r->arg = argv[i];
				continue;
			}
			if (c == NULL)	/* help's topic */
				continue;
			return usage_err(r, "%s: unexpected argument '%s'", c->name, argv[i]);
		}
		if ((rc = read_option(r, argc, argv, &i, &p)) != 0)
			return rc;
		if (p.def->id >= O_NOPT)
			rc = set_global(r, &p, help);
		else if (c != NULL && !takes(c, p.def->id))
			rc = usage_err(r, "%s: %s does not apply to it; see 'tcptally-report %s "
			    "--help'", c->name, p.shown, c->name);
		else if (c != NULL)
			rc = set_cmd_opt(r, p.def->id, p.value);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
opts_parse(struct report *r, int argc, char *argv[], const struct command **cmd)
{
	const char *word;
	int ci, rc, help = 0;

	*cmd = NULL;
	ci = command_index(argc, argv);
	word = ci > 0 ? argv[ci] : NULL;
	if (word != NULL && strcmp(word, "help") != 0 && (*cmd = find_command(word)) == NULL) {
		/* --help or --version before an unknown word still answer */
		if ((rc = parse_rest(r, ci, argv, -1, NULL, &help)) != 0)
			return rc;
		if (help)
			return show_help(r, word);
		return usage_err(r, "unknown command '%s'; the commands are %s", word,
		    command_list);
	}
	r->check = *cmd != NULL && (*cmd)->run == cmd_check;
	if ((rc = parse_rest(r, argc, argv, ci, *cmd, &help)) != 0)
		return rc;
	if (help)
		return show_help(r, word);
	if (word != NULL && strcmp(word, "help") == 0)
		return show_help(r, ci + 1 < argc ? argv[ci + 1] : NULL);
	if (*cmd == NULL)
		return usage_err(r, "no command; try 'tcptally-report --help'");
	if ((*cmd)->arg && r->arg == NULL)
		return usage_err(r, "%s needs a time, e.g. %s '2026-11-23 03:12'", word, word);
	if (r->format == FMT_OPENMETRICS && (*cmd)->run != cmd_export)
		return usage_err(r, "--format openmetrics is for export only");
	if (r->format == FMT_HTML && (*cmd)->run != cmd_daily)
		return usage_err(r, "--format html is for daily only");
	return 0;
}
