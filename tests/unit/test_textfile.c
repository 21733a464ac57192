#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/socket.h>
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
	size_t len = textfile_format(NULL, 0, &cfg, &t, NULL, 1795464350, 1234567);
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	assert_int_equal(textfile_format(buf, len + 1, &cfg, &t, NULL, 1795464350, 1234567), len);
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
		"tcptally_listen_queue_fill", "tcptally_listen_queued", "tcptally_listeners",
		"tcptally_listen_full", "tcptally_listen_backlog", "tcptally_sample_duration_seconds",
		"tcptally_sample_interval_seconds", "tcptally_sample_timestamp_seconds" };
	char *s = format(), want[128];
	size_t i;

	(void)state;
	assert_int_equal(strncmp(s, "# HELP tcptally_sockets ", 24), 0);
	assert_int_equal(count_lines(s, "# HELP "), 10);
	assert_int_equal(count_lines(s, "# TYPE "), 10);
	for (i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "\n# TYPE %s gauge\n%s", names[i], names[i]);
		assert_non_null(strstr(s, want));
	}
	assert_null(strstr(s, "host="));	/* node_exporter adds instance */
	assert_null(strstr(s, "_total"));	/* a gauge must not end in _total (promtool lint) */
	assert_int_equal(s[strlen(s) - 1], '\n');
	free(s);
}

/*
 * With the kernel's context: its counters as one counter family (the
 * samples end in _total), its gauges and limits as two gauge families,
 * each only with what was read; the listeners' queues per group.
 */
static void
test_context_families(void **state)
{
	struct kcontext kc;
	char *buf;
	size_t len;

	(void)state;
	memset(&kc, 0, sizeof(kc));
	kc.interval = 10;
	kc.k.v[KS_ListenOverflows] = 18446744073709551ULL;	/* 64-bit, whole */
	kc.k.v[KS_tcp_tw] = 4096;
	kc.k.have = 1u << KS_ListenOverflows | 1u << KS_tcp_tw;
	kc.l.v[KL_somaxconn] = 4096;
	kc.l.have = 1u << KL_somaxconn;
	t.listen[0].listeners = 3;
	t.listen[0].queued = 5;
	t.listen[0].backlog = 132;
	t.listen[0].max_fill = 1.0;
	t.listen[0].full = 1;
	len = textfile_format(NULL, 0, &cfg, &t, &kc, 1795464350, 1234567);
	buf = malloc(len + 1);
	assert_non_null(buf);
	assert_int_equal(textfile_format(buf, len + 1, &cfg, &t, &kc, 1795464350, 1234567), len);
	assert_non_null(strstr(buf, "\n# TYPE tcptally_kernel_total counter\n"
	    "tcptally_kernel_total{name=\"ListenOverflows\"} 18446744073709551\n"));
	assert_non_null(strstr(buf, "\n# TYPE tcptally_sockstat gauge\n"
	    "tcptally_sockstat{name=\"tcp_tw\"} 4096\n#"));
	assert_non_null(strstr(buf, "\n# TYPE tcptally_kernel_limit gauge\n"
	    "tcptally_kernel_limit{name=\"somaxconn\"} 4096\n"));
	assert_null(strstr(buf, "ListenDrops"));	/* not read: absent, not 0 */
	assert_null(strstr(buf, "tcp_orphan"));
	assert_non_null(strstr(buf, "\ntcptally_listen_queue_fill{group=\"all\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcptally_listen_queued{group=\"all\"} 5\n"));
	assert_non_null(strstr(buf, "\ntcptally_listeners{group=\"all\"} 3\n"));
	assert_non_null(strstr(buf, "\ntcptally_listen_full{group=\"all\"} 1\n"));
	assert_non_null(strstr(buf, "\ntcptally_listen_backlog{group=\"all\"} 132\n"));
	assert_non_null(strstr(buf, "\ntcptally_listen_queued{group=\"web\"} 0\n"));
	assert_int_equal(count_lines(buf, "# HELP "), 13);
	memset(&t.listen[0], 0, sizeof(t.listen[0]));
	free(buf);
}

/* The oldest CLOSE_WAIT per group holding some, and the top outbound peer's share. */
static void
test_breakdown_families(void **state)
{
	static const uint8_t peer[4] = { 10, 0, 0, 9 };
	struct breakdown b;
	struct bk_sock k;
	struct cwage a;
	char *buf;
	int i;

	(void)state;
	assert_int_equal(cwage_init(&a), 0);
	assert_int_equal(bk_init(&b, 3, 0, 5), 0);
	assert_int_equal(bk_set_port_range(&b, 40000, 40999), 0);
	for (i = 0; i < 600; i++) {	/* outbound toward 10.0.0.9:5432, in all and web */
		bk_keys(&b, AF_INET, TT_TIME_WAIT, (uint16_t)(40000 + i), 5432, peer, 0, &k);
		bk_add(&b, 0, TT_TIME_WAIT, &k);
		bk_add(&b, 1, TT_TIME_WAIT, &k);
	}
	a.now = 1000;
	t.cw = &a;
	t.bk = &b;
	t.cw_since[0] = 900;		/* all: 4e9 CLOSE_WAIT, the oldest 100 s old */
	t.cw_since[1] = INT64_MAX;	/* web: none */
	t.cw_since[2] = INT64_MAX;
	buf = format();
	assert_non_null(strstr(buf, "\n# TYPE tcptally_close_wait_oldest_seconds gauge\n"
	    "tcptally_close_wait_oldest_seconds{group=\"all\"} 100\n#"));
	assert_non_null(strstr(buf, "\n# TYPE tcptally_peer_port_share gauge\n"
	    "tcptally_peer_port_share{group=\"all\",peer=\"10.0.0.9:5432\"} 0.6\n"
	    "tcptally_peer_port_share{group=\"web\",peer=\"10.0.0.9:5432\"} 0.6\n#"));
	free(buf);
	t.cw = NULL;
	t.bk = NULL;
	bk_free(&b);
	cwage_free(&a);
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
	need = textfile_format(small, sizeof(small), &cfg, &t, NULL, 1795464350, 1234567);
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
	assert_int_equal(textfile_write(&cfg, &t, NULL, 1795464350, 1234567), 0);
	t.count[0][TT_ESTABLISHED] = 13;
	assert_int_equal(textfile_write(&cfg, &t, NULL, 1795464350, 1234567), 0);
	t.count[0][TT_ESTABLISHED] = 12;
	assert_int_equal(textfile_write(&cfg, &t, NULL, 1795464350, 1234567), 0);
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
	assert_int_equal(textfile_write(&cfg, &t, NULL, 1795464350, 1), -1);
	assert_int_equal(textfile_write(&cfg, &t, NULL, 1795464350, 1), -1);	/* logged once */
	cfg.textfile = NULL;
	assert_int_equal(textfile_write(&cfg, &t, NULL, 1795464350, 1), 0);	/* off */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_group_and_state),
		cmocka_unit_test(test_count_past_32_bits),
		cmocka_unit_test(test_help_and_type_once_each),
		cmocka_unit_test(test_context_families),
		cmocka_unit_test(test_breakdown_families),
		cmocka_unit_test(test_label_escaped),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_write_replaces_atomically),
		cmocka_unit_test(test_write_failure),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
