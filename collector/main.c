/* tcptally-collector: command line. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/db.h"
#include "collector.h"
#include "bpfiter.h"
#include "import.h"

static const char usage_text[] =
"usage: tcptally-collector [-c FILE] [--once | --samples N] [-v | -q]\n"
"       tcptally-collector [-c FILE] --check-config\n"
"       tcptally-collector [-c FILE] --import FILE|-\n"
"\n"
"Counts this network namespace's TCP sockets (and those of the namespaces the\n"
"config's `namespaces:` names) per state every `interval`, for the group `all`\n"
"and every configured group, and stores one sample in SQLite. The config's\n"
"`backend:` counts with a sock_diag dump, or with a BPF iterator inside the\n"
"kernel (auto, the default: BPF where it loads, else sock_diag; -V lists the\n"
"backends built in).\n"
"\n"
"  -c, --config FILE   config file (default: $TCPTALLY_CONFIG, then\n"
"                      /etc/tcptally/tcptally.yaml if present, else built-in\n"
"                      defaults: database tcptally.db, interval 10s)\n"
"      --once          take one sample now and exit\n"
"      --samples N     take N samples on aligned slots, then exit\n"
"      --check-config  validate the config and exit (0 ok, 2 errors)\n"
"      --import FILE   add history from FILE (- for stdin) to the database and\n"
"                      exit: CSV as `tcptally-report export --format csv`\n"
"                      writes it (header ts,host,group,state,count[,netns]),\n"
"                      or a cron log of `date; netstat -n | awk ...`\n"
"                      (timestamp lines, then STATE COUNT lines) stored as\n"
"                      group all of this host.\n"
"                      All or nothing; rows already stored are left as they are.\n"
"                      Refused while a collector runs on the database.\n"
"  -v, --verbose       log debugging detail\n"
"  -q, --quiet         log only warnings and errors (default: one line per sample)\n"
"  -V, --version       print the version\n"
"  -h, --help          this help\n"
"\n"
"Signals: SIGTERM/SIGINT finish the sample in flight and exit 0; SIGHUP reloads\n"
"the config and keeps the running one if the new one has errors.\n"
"One collector per database: a second one, or an --import, is refused while it\n"
"runs (it holds DATABASE.lock).\n"
"Exit: 0 ok, 1 runtime failure, 2 usage or config error (or bad --import input).\n"
"\n"
"Examples:\n"
"  tcptally-collector -c /etc/tcptally/tcptally.yaml\n"
"  tcptally-collector -c tcptally.yaml --check-config\n"
"  tcptally-report -d old.db export --format csv | tcptally-collector --import -\n"
"  sqlite3 tcptally.db \"SELECT state, count FROM state_counts WHERE grp='all'\n"
"      AND ts=(SELECT max(ts) FROM state_counts)\"\n";

static int
usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "tcptally-collector: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'tcptally-collector --help'.\n");
	return 2;
}

static struct config *
load_config(const char *path)
{
	struct errlist errs = { 0 };
	struct config *c;

	if (path == NULL)
		return config_default();
	if ((c = config_open(path, &errs)) == NULL)
		config_print_errors(path, &errs);
	errlist_free(&errs);
	return c;
}

/*
 * The database's lock, for the import's whole length: a collector running on
 * the database would wait for the import's transaction and miss slots.
 */
static int
import_lock(struct dblock *l, const char *database)
{
	char err[1024], who[64] = "a process that has not written its pid yet";
	long pid;
	int rc;

	if ((rc = dblock_take(l, database, &pid, err, sizeof(err))) == 0)
		return 0;
	if (pid > 0)
		snprintf(who, sizeof(who), "pid %ld", pid);
	if (rc == -1)
		fprintf(stderr, "tcptally-collector: %s\n", err);
	else
		fprintf(stderr, "tcptally-collector: %s is in use: %s holds %s.lock (a "
		    "running tcptally-collector, or another import). An import holds the "
		    "database's write lock for its whole length, so the collector would "
		    "miss slots: stop the collector, import, then start it again\n",
		    database, who, database);
	return -1;
}

/* --import: FILE:LINE errors and unreadable input exit 2, database failures 1. */
static int
run_import(struct config *cfg, const char *path)
{
	const char *name = strcmp(path, "-") == 0 ? "stdin" : path;
	struct import_stats st;
	struct dblock lock;
	char err[1024], host[TT_HOST_MAX];
	FILE *in = stdin;
	sqlite3 *db;
	int rc;

	if (strcmp(path, "-") != 0 && (in = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		config_free(cfg);
		return IMPORT_EINPUT;
	}
	if (import_lock(&lock, cfg->database) == -1)
		rc = IMPORT_EDB;
	else if ((db = db_open_rw(cfg->database, err, sizeof(err))) == NULL) {
		fprintf(stderr, "tcptally-collector: %s\n", err);
		rc = IMPORT_EDB;
	} else {
		rc = import_run(db, cfg->database, in, name,
		    resolve_host(cfg, host, sizeof(host)), &st, err, sizeof(err));
		if (rc == IMPORT_OK)
			fprintf(stderr, "imported %llu samples (%llu new, %llu already "
			    "present) from %s into %s\n", (unsigned long long)st.samples,
			    (unsigned long long)st.added, (unsigned long long)st.present,
			    name, cfg->database);
		else
			fprintf(stderr, "%s%s\n", rc == IMPORT_EDB ? "tcptally-collector: " : "",
			    err);
		if (sqlite3_close(db) != SQLITE_OK && rc == IMPORT_OK)
			rc = IMPORT_EDB;
	}
	dblock_release(&lock);
	if (in != stdin)
		fclose(in);
	config_free(cfg);
	return rc;
}

static int
parse_count(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return *s != '\0' && *end == '\0' && errno == 0 && *out > 0 ? 0 : -1;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "samples", required_argument, NULL, 'n' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "import", required_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct collector_opts o = { 0 };
	const char *opt_config = NULL, *import = NULL;
	int ch, check = 0, level = LOG_LVL_INFO;
	struct config *cfg;
	sigset_t hup;

	/*
	 * A SIGHUP before the daemon's handlers are in place (a reload sent
	 * while the config is parsed) would end the process: hold it until
	 * then; the daemon takes it as a reload at its first wait.
	 */
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	sigprocmask(SIG_BLOCK, &hup, NULL);
	while ((ch = getopt_long(argc, argv, "c:vqVh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opt_config = optarg;
			break;
		case 'o':
			o.once = 1;
			break;
		case 'n':
			if (parse_count(optarg, &o.samples) == -1)
				return usage_error("--samples needs a positive number, not '%s'",
				    optarg);
			break;
		case 'C':
			check = 1;
			break;
		case 'I':
			import = optarg;
			break;
		case 'v':
			level = LOG_LVL_DEBUG;
			break;
		case 'q':
			level = LOG_LVL_QUIET;
			break;
		case 'V':
			printf("tcptally-collector %s (backends: sock_diag%s)\n", TT_VERSION_STRING,
			    bpfiter_built() ? ", bpf" : "");
			return 0;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'tcptally-collector --help'.\n");
			return 2;
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (o.once && o.samples > 0)
		return usage_error("%s", "--once and --samples cannot be combined");
	if (check && (o.once || o.samples > 0))
		return usage_error("%s", "--check-config takes no sampling options");
	if (import != NULL && (check || o.once || o.samples > 0))
		return usage_error("%s", "--import cannot be combined with --once, "
		    "--samples or --check-config");
	log_init("tcptally-collector", level);
	o.config_path = config_locate(opt_config);
	if ((cfg = load_config(o.config_path)) == NULL)
		return 2;
	if (check) {
		if (o.config_path == NULL)
			printf("no config file; the built-in defaults are valid\n");
		else
			printf("%s: ok (%zu group%s, %zu threshold%s)\n", o.config_path,
			    cfg->ngroups, cfg->ngroups == 1 ? "" : "s", cfg->nthresholds,
			    cfg->nthresholds == 1 ? "" : "s");
		config_free(cfg);
		return 0;
	}
	if (import != NULL)
		return run_import(cfg, import);
	return collector_run(cfg, &o);
}
