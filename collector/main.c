/* tcptally-collector: command line. */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/collector.h"

static const char usage_text[] =
"usage: tcptally-collector [-c FILE] [--once | --samples N] [-v | -q]\n"
"       tcptally-collector [-c FILE] --check-config\n"
"\n"
"Counts this network namespace's TCP sockets per state every `interval`, for the\n"
"group `all` and every configured group, and stores one sample in SQLite.\n"
"\n"
"  -c, --config FILE   config file (default: $TCPTALLY_CONFIG, then\n"
"                      /etc/tcptally/tcptally.yaml if present, else built-in\n"
"                      defaults: database tcptally.db, interval 10s)\n"
"      --once          take one sample now and exit\n"
"      --samples N     take N samples on aligned slots, then exit\n"
"      --check-config  validate the config and exit (0 ok, 2 errors)\n"
"  -v, --verbose       log debugging detail\n"
"  -q, --quiet         log only warnings and errors (default: one line per sample)\n"
"  -V, --version       print the version\n"
"  -h, --help          this help\n"
"\n"
"Signals: SIGTERM/SIGINT finish the sample in flight and exit 0; SIGHUP reloads\n"
"the config and keeps the running one if the new one has errors.\n"
"Exit: 0 ok, 1 runtime failure, 2 usage or config error.\n"
"\n"
"Examples:\n"
"  tcptally-collector -c /etc/tcptally/tcptally.yaml\n"
"  tcptally-collector -c tcptally.yaml --check-config\n"
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

/* As root, a config others can write would let them pick what root writes to. */
static int
config_safe(const char *path)
{
	struct stat st;

	if (geteuid() != 0 || stat(path, &st) == -1)
		return 1;
	if (st.st_mode & S_IWOTH) {
		fprintf(stderr, "%s: writable by any user; refusing it as root "
		    "(chmod o-w %s)\n", path, path);
		return 0;
	}
	return 1;
}

static struct config *
load_config(const char *path)
{
	struct errlist errs = { 0 };
	struct config *c;
	size_t i;

	if (path == NULL)
		return config_default();
	if (!config_safe(path))
		return NULL;
	if ((c = config_load(path, &errs)) == NULL) {
		for (i = 0; i < errs.n; i++)
			fprintf(stderr, "%s\n", errs.msg[i]);
		fprintf(stderr, "%s: %zu error%s\n", path, errs.n, errs.n == 1 ? "" : "s");
	}
	errlist_free(&errs);
	return c;
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
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct collector_opts o = { 0 };
	const char *opt_config = NULL;
	int ch, check = 0, level = LOG_LVL_INFO;
	struct config *cfg;

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
		case 'v':
			level = LOG_LVL_DEBUG;
			break;
		case 'q':
			level = LOG_LVL_QUIET;
			break;
		case 'V':
			printf("tcptally-collector %s\n", TT_VERSION_STRING);
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
	return collector_run(cfg, &o);
}
