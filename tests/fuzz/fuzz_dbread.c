/*
 * Fuzz the report's reader: each input is a whole database file (pages,
 * schema SQL, values, all mutated by the fuzzer from real databases), on
 * which the real report runs now, check, trend, listeners, at, export, who,
 * peers and owners, as a fleet file would be
 * read. Whatever the bytes, a run ends with an exit code of 0 to 3: no
 * crash, no leak, no hang past the file's time budget (set small here).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"

int	LLVMFuzzerInitialize(int *argc, char ***argv);
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The corpus' databases end at 2026-11-20T00:00:00Z, at 60 s. */
#define NOW	1795132860

static char dir[] = "/tmp/tcptally-fuzz-dbread-XXXXXX";
static char db[64], cfg[64], wal[80], shm[80];

static const char config_yaml[] =
    "interval: 60s\n"
    "groups:\n"
    "  - { name: web, local_ports: [80] }\n"
    "thresholds:\n"
    "  - { name: tw, state: TIME_WAIT, above: 100, for: 5m, severity: critical }\n"
    "  - { name: cw, state: CLOSE_WAIT, growth: 1/min, window: 10m }\n"
    "  - { name: ls, group: web, state: LISTEN, below: 1 }\n"
    "  - { name: q, group: web, state: LISTEN, fill_above: 0.5 }\n"
    "  - { name: o, metric: ListenOverflows, rate_above: 1/min, for: 2m }\n"
    "  - { name: u, metric: tw_buckets_used, above: 0.0001 }\n"
    "  - { name: p, peer_port_share_above: 0.01 }\n"
    "  - { name: a, state: CLOSE_WAIT, oldest_above: 5m }\n";

static void
cleanup(void)
{
	unlink(db);
	unlink(wal);
	unlink(shm);
	unlink(cfg);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *f;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "fuzz_dbread: %s: %s\n", dir, strerror(errno));
		exit(1);
	}
	snprintf(db, sizeof(db), "%s/fuzz.db", dir);
	snprintf(cfg, sizeof(cfg), "%s/fuzz.yaml", dir);
	snprintf(wal, sizeof(wal), "%s-wal", db);
	snprintf(shm, sizeof(shm), "%s-shm", db);
	if ((f = fopen(cfg, "w")) == NULL || fputs(config_yaml, f) == EOF || fclose(f) != 0) {
		fprintf(stderr, "fuzz_dbread: %s: %s\n", cfg, strerror(errno));
		exit(1);
	}
	atexit(cleanup);
	setenv("TCPTALLY_TEST_FILE_BUDGET_MS", "2000", 1);
	/* the reports' output; their messages on stderr: libFuzzer's -close_fd_mask=2 */
	if (getenv("FUZZ_VERBOSE") == NULL && freopen("/dev/null", "w", stdout) == NULL)
		exit(1);
	return 0;
}

static void
run(char *a0, char *a1, char *a2, char *a3)
{
	char *argv[] = { "tcptally-report", "-c", cfg, "-d", db, a0, a1, a2, a3, NULL };
	struct report r;
	int argc = 5, rc;

	while (argv[argc] != NULL)
		argc++;
	memset(&r, 0, sizeof(r));
	r.now = NOW;
	rc = report_run(&r, argc, argv);
	fflush(stdout);
	if (rc < 0 || rc > 3)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	unlink(wal);	/* each input alone: nothing of the one before */
	unlink(shm);
	if ((fd = open(db, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) == -1 ||
	    write(fd, data, size) != (ssize_t)size || close(fd) == -1)
		abort();
	run("now", NULL, NULL, NULL);
	run("check", NULL, NULL, NULL);
	run("trend", "--since", "3h", NULL);
	run("trend", "--since", "3d", NULL);
	run("listeners", NULL, NULL, NULL);
	run("at", "-90m", "--around", "1h");
	run("export", "--format", "csv", NULL);
	run("who", "--since", "3d", NULL);
	run("peers", "--since", "3d", NULL);
	run("owners", "--since", "3d", NULL);
	return 0;
}
