/*
 * The config file on disk: where it is looked for, the check that a root
 * collector does not take orders from a file anyone can write, the read,
 * and how its errors are shown. The parse itself is config.c's.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/config.h"
#include "cfgyaml.h"

#ifndef TT_SYSCONFDIR
#define TT_SYSCONFDIR	"/etc"
#endif
/* Where `meson install` put the example (its sysconfdir), then /etc. */
#define SYSTEM_CONFIG	TT_SYSCONFDIR "/tcptally/tcptally.yaml"
#define ETC_CONFIG	"/etc/tcptally/tcptally.yaml"

/* As root, a config others can write would let them pick what root writes to. */
static int
config_safe(const char *path, struct errlist *errs)
{
	struct stat st;

	if (geteuid() != 0 || stat(path, &st) == -1)
		return 1;
	if (st.st_mode & S_IWOTH) {
		errlist_add(errs, "%s: writable by any user; refusing it as root "
		    "(chmod o-w %s)", path, path);
		return 0;
	}
	return 1;
}

struct config *
config_open(const char *path, struct errlist *errs)
{
	struct config *c;
	char *buf;
	size_t len;

	if (!config_safe(path, errs))
		return NULL;
	if ((buf = cfg_read_file(path, &len)) == NULL) {
		errlist_add(errs, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	c = config_parse(buf, len, path, errs);
	free(buf);
	return c;
}

void
config_print_errors(const char *path, const struct errlist *errs)
{
	size_t i;

	for (i = 0; i < errs->n; i++)
		fprintf(stderr, "%s\n", errs->msg[i]);
	fprintf(stderr, "%s: %zu error%s\n", path, errs->n, errs->n == 1 ? "" : "s");
}

const char *
config_locate(const char *opt)
{
	const char *env;

	if (opt != NULL)
		return opt;
	if ((env = getenv("TCPTALLY_CONFIG")) != NULL && *env != '\0')
		return env;
	if (access(SYSTEM_CONFIG, F_OK) == 0)
		return SYSTEM_CONFIG;
	if (access(ETC_CONFIG, F_OK) == 0)
		return ETC_CONFIG;
	return NULL;
}

