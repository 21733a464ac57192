#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"

static struct group groups[2];
static struct config cfg;
static struct tally t;

static int
setup(void **state)
{
	(void)state;
	memset(groups, 0, sizeof(groups));
	strcpy(groups[0].name, "web");
	strcpy(groups[1].name, "we\"ird\\na\nme");	/* the config forbids it; escaped anyway */
	memset(&cfg, 0, sizeof(cfg));
	cfg.groups = groups;
	cfg.ngroups = 2;
	cfg.interval = 10;
	assert_int_equal(tally_init(&t, 3), 0);
	t.count[0][TT_ESTABLISHED] = 12;
	t.count[0][TT_LISTEN] = 3;
	t.count[0][TT_CLOSE_WAIT] = 4000000000u;
	t.count[1][TT_ESTABLISHED] = 7;
	t.total = 4000000015u;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	tally_free(&t);
	return 0;
}

static char *
format(void)
{
	size_t len = textfile_format(NULL, 0, &cfg, &t, 1795464350, 1234567);
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	assert_int_equal(textfile_format(buf, len + 1, &cfg, &t, 1795464350, 1234567), len);
	assert_int_equal(strlen(buf), len);
	return buf;
}

/* Counts are 64-bit: one past 2^32 is written whole. */
static void
test_count_past_32_bits(void **state)
{
	char *s;

	(void)state;
	t.count[1][TT_SYN_RECV] = (uint64_t)TT_COUNT_MAX;
	s = format();
	t.count[1][TT_SYN_RECV] = 0;
	assert_non_null(strstr(s, "\ntcptally_sockets{group=\"web\",state=\"SYN_RECV\"} "
	    "1000000000000\n"));
	free(s);
}

static size_t
count_lines(const char *s, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	for (; *s; s = strchr(s, '\n') + 1) {
		if (strncmp(s, prefix, plen) == 0)
			n++;
		assert_non_null(strchr(s, '\n'));
	}
	return n;
}

static void
test_every_group_and_state(void **state)
{
	char *s = format();

	(void)state;
	assert_int_equal(count_lines(s, "tcptally_sockets{"), 3 * TT_NSTATES);
	assert_int_equal(count_lines(s, "tcptally_sockets{group=\"all\","), TT_NSTATES);
	assert_non_null(strstr(s, "\ntcptally_sockets{group=\"all\",state=\"ESTABLISHED\"} 12\n"));
	assert_non_null(strstr(s, "\ntcptally_sockets{group=\"all\",state=\"CLOSE_WAIT\"} 4000000000\n"));
	assert_non_null(strstr(s, "\ntcptally_sockets{group=\"all\",state=\"CLOSING\"} 0\n"));
	assert_non_null(strstr(s, "\ntcptally_sockets{group=\"web\",state=\"ESTABLISHED\"} 7\n"));
	assert_non_null(strstr(s, "\ntcptally_sockets{group=\"web\",state=\"SYN_RECV\"} 0\n"));
	assert_non_null(strstr(s, "\ntcptally_sample_sockets 4000000015\n"));
	assert_non_null(strstr(s, "\ntcptally_sample_duration_seconds 0.001235\n"));
	assert_non_null(strstr(s, "\ntcptally_sample_interval_seconds 10\n"));
	assert_non_null(strstr(s, "\ntcptally_sample_timestamp_seconds 1795464350\n"));
	free(s);
}

static void
test_help_and_type_once_each(void **state)
{
	static const char *const names[] = { "tcptally_sockets", "tcptally_sample_sockets",
		"tcptally_sample_duration_seconds", "tcptally_sample_interval_seconds",
		"tcptally_sample_timestamp_seconds" };
	char *s = format(), want[128];
	size_t i;

	(void)state;
	assert_int_equal(strncmp(s, "# HELP tcptally_sockets ", 24), 0);
	assert_int_equal(count_lines(s, "# HELP "), 5);
	assert_int_equal(count_lines(s, "# TYPE "), 5);
	for (i = 0; i < 5; i++) {
		snprintf(want, sizeof(want), "\n# TYPE %s gauge\n%s", names[i], names[i]);
		assert_non_null(strstr(s, want));
	}
	assert_null(strstr(s, "host="));	/* node_exporter adds instance */
	assert_null(strstr(s, "_total"));	/* a gauge must not end in _total (promtool lint) */
	assert_int_equal(s[strlen(s) - 1], '\n');
	free(s);
}

static void
test_label_escaped(void **state)
{
	char *s = format();

	(void)state;
	assert_non_null(strstr(s, "{group=\"we\\\"ird\\\\na\\nme\",state=\"LISTEN\"} 0\n"));
	free(s);
}

/* A short buffer: truncated, NUL-terminated, and the size needed is returned. */
static void
test_short_buffer(void **state)
{
	char *full = format(), small[40];
	size_t need;

	(void)state;
	need = textfile_format(small, sizeof(small), &cfg, &t, 1795464350, 1234567);
	assert_int_equal(need, strlen(full));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(strncmp(small, full, sizeof(small) - 1), 0);
	free(full);
}

static void
test_write_replaces_atomically(void **state)
{
	char dir[] = "/tmp/tt-textfile.XXXXXX", path[256], buf[8192];
	struct dirent *e;
	struct stat st;
	FILE *f;
	DIR *d;
	char *want = format();
	size_t n;
	mode_t old = umask(077);

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/tcptally.prom", dir);
	cfg.textfile = path;
	assert_int_equal(textfile_write(&cfg, &t, 1795464350, 1234567), 0);
	t.count[0][TT_ESTABLISHED] = 13;
	assert_int_equal(textfile_write(&cfg, &t, 1795464350, 1234567), 0);
	t.count[0][TT_ESTABLISHED] = 12;
	assert_int_equal(textfile_write(&cfg, &t, 1795464350, 1234567), 0);
	umask(old);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);	/* node_exporter may run as another user */
	assert_non_null(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, want);
	assert_non_null(d = opendir(dir));
	n = 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	assert_int_equal(n, 1);			/* no temporary file left */
	unlink(path);
	rmdir(dir);
	free(want);
	cfg.textfile = NULL;
}

static void
test_write_failure(void **state)
{
	(void)state;
	cfg.textfile = "/nonexistent-tcptally-dir/tcptally.prom";
	assert_int_equal(textfile_write(&cfg, &t, 1795464350, 1), -1);
	assert_int_equal(textfile_write(&cfg, &t, 1795464350, 1), -1);	/* logged once */
	cfg.textfile = NULL;
	assert_int_equal(textfile_write(&cfg, &t, 1795464350, 1), 0);	/* off */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_group_and_state),
		cmocka_unit_test(test_count_past_32_bits),
		cmocka_unit_test(test_help_and_type_once_each),
		cmocka_unit_test(test_label_escaped),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_write_replaces_atomically),
		cmocka_unit_test(test_write_failure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
