/*
 * The kernel's counters, gauges and limits: the parsers over /proc files
 * recorded from a network namespace (kernel 6.18, after a listen(fd, 4)
 * flood), from an older kernel that lacks some counters, and with a header
 * and a value line that disagree; then the collector's reader of them, which
 * logs a bad or missing file once and goes on with the others.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/kernel.h"
#include "collector.h"

#define FIX	"fixtures/"

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;

	assert_non_null(f);
	assert_non_null(buf = malloc(65536));
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static int
parse_file(int file, const char *path, struct kstat *k, char *why, size_t whylen)
{
	size_t len;
	char *buf = slurp(path, &len);
	int rc;

	why[0] = '\0';
	rc = kstat_parse(file, buf, len, k, why, whylen);
	free(buf);
	return rc;
}

static int
has(const struct kstat *k, int i)
{
	return (k->have >> i) & 1;
}

/* Every counter and gauge of the recorded files, with the values they held. */
static void
test_recorded(void **state)
{
	struct kstat k;
	char why[256];
	int i;

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(parse_file(KS_NETSTAT, FIX "proc_netstat.txt", &k, why, sizeof(why)), 0);
	assert_int_equal(parse_file(KS_SNMP, FIX "proc_snmp.txt", &k, why, sizeof(why)), 0);
	assert_int_equal(parse_file(KS_SOCKSTAT, FIX "proc_sockstat.txt", &k, why, sizeof(why)), 0);
	assert_int_equal(parse_file(KS_SOCKSTAT6, FIX "proc_sockstat6.txt", &k, why,
	    sizeof(why)), 0);
	for (i = 0; i < TT_NKSTATS; i++)
		if (!has(&k, i))
			fail_msg("%s was not read", kstat_name(i));
	assert_int_equal(k.v[KS_ListenOverflows], 135);
	assert_int_equal(k.v[KS_ListenDrops], 135);
	assert_int_equal(k.v[KS_SyncookiesSent], 0);
	assert_int_equal(k.v[KS_TCPReqQFullDrop], 0);
	assert_int_equal(k.v[KS_ActiveOpens], 90);
	assert_int_equal(k.v[KS_PassiveOpens], 45);
	assert_int_equal(k.v[KS_RetransSegs], 90);
	assert_int_equal(k.v[KS_OutRsts], 0);
	assert_int_equal(k.v[KS_tcp_inuse], 108);
	assert_int_equal(k.v[KS_tcp_orphan], 1);
	assert_int_equal(k.v[KS_tcp_tw], 29);
	assert_int_equal(k.v[KS_tcp_alloc], 5115);
	assert_int_equal(k.v[KS_tcp_mem], 569);
	assert_int_equal(k.v[KS_tcp6_inuse], 0);
}

/* A kernel that lacks a counter: it is absent, not 0; the others are read. */
static void
test_older_kernel(void **state)
{
	struct kstat k;
	char why[256];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(parse_file(KS_NETSTAT, FIX "proc_netstat_2.6.32.txt", &k, why,
	    sizeof(why)), 0);
	assert_false(has(&k, KS_TCPTimeWaitOverflow));
	assert_false(has(&k, KS_TCPReqQFullDrop));
	assert_false(has(&k, KS_TCPBacklogDrop));
	assert_true(has(&k, KS_ListenOverflows) && k.v[KS_ListenOverflows] == 1207);
	assert_true(has(&k, KS_ListenDrops) && k.v[KS_ListenDrops] == 1207);
	assert_true(has(&k, KS_SyncookiesSent) && k.v[KS_SyncookiesSent] == 3);
	assert_true(has(&k, KS_TCPAbortOnData) && k.v[KS_TCPAbortOnData] == 88);
	assert_true(has(&k, KS_TCPAbortOnClose) && k.v[KS_TCPAbortOnClose] == 41);
	assert_true(has(&k, KS_TCPAbortOnMemory) && k.v[KS_TCPAbortOnMemory] == 0);
	assert_true(has(&k, KS_TCPAbortOnTimeout) && k.v[KS_TCPAbortOnTimeout] == 12);
	assert_false(has(&k, KS_ActiveOpens));	/* snmp's, not netstat's */
}

/* A value line one short of its header: a clear error, nothing of it taken. */
static void
test_mismatch(void **state)
{
	struct kstat k;
	char why[256];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(parse_file(KS_NETSTAT, FIX "proc_netstat_mismatch.txt", &k, why,
	    sizeof(why)), -1);
	assert_string_equal(why, "TcpExt: 135 names but 134 values");
	assert_false(has(&k, KS_ListenOverflows));
}

/* Odd texts: values that are not numbers or too large are absent; lines with no pair. */
static void
test_odd_values(void **state)
{
	static const char netstat[] =
	    "TcpExt: ListenOverflows ListenDrops SyncookiesSent TCPBacklogDrop\n"
	    "TcpExt: 18446744073709551615 -1 9223372036854775807 x1\n";
	static const char sockstat[] = "sockets: used 2\nTCP: inuse 7 orphan\nTCP6: inuse\n";
	static const char lonely[] = "TcpExt: ListenOverflows\n";
	struct kstat k;
	char why[256];

	(void)state;
	memset(&k, 0, sizeof(k));
	assert_int_equal(kstat_parse(KS_NETSTAT, netstat, sizeof(netstat) - 1, &k, why,
	    sizeof(why)), 0);
	assert_false(has(&k, KS_ListenOverflows));	/* past 2^63: not kept */
	assert_false(has(&k, KS_ListenDrops));
	assert_true(has(&k, KS_SyncookiesSent) && k.v[KS_SyncookiesSent] == INT64_MAX);
	assert_false(has(&k, KS_TCPBacklogDrop));
	memset(&k, 0, sizeof(k));
	assert_int_equal(kstat_parse(KS_SOCKSTAT, sockstat, sizeof(sockstat) - 1, &k, why,
	    sizeof(why)), 0);
	assert_true(has(&k, KS_tcp_inuse) && k.v[KS_tcp_inuse] == 7);
	assert_false(has(&k, KS_tcp_orphan));
	memset(&k, 0, sizeof(k));
	assert_int_equal(kstat_parse(KS_NETSTAT, lonely, sizeof(lonely) - 1, &k, why,
	    sizeof(why)), 0);
	assert_int_equal(k.have, 0);
	assert_int_equal(kstat_parse(KS_NETSTAT, "", 0, &k, why, sizeof(why)), 0);
}

static void
test_limits(void **state)
{
	int64_t v = -1;

#define klimit_parse(s, len, i, out)	klimit_parse(s, strlen(s), i, out)
	(void)state;
	assert_int_equal(klimit_parse("32768\t60999\n", 12, 0, &v), 0);
	assert_int_equal(v, 32768);
	assert_int_equal(klimit_parse("32768\t60999\n", 12, 1, &v), 0);
	assert_int_equal(v, 60999);
	assert_int_equal(klimit_parse("4096\n", 5, 1, &v), -1);
	assert_int_equal(klimit_parse("88374\t117833\t176748\n", 21, 2, &v), 0);
	assert_int_equal(v, 176748);
	assert_int_equal(klimit_parse("abc\n", 4, 0, &v), -1);
	assert_int_equal(klimit_parse("", 0, 0, &v), -1);
#undef klimit_parse
}

/* The rollup SQL names every counter and gauge of the table. */
static void
test_rollup_sql(void **state)
{
	char sql[8192];
	int i;

	(void)state;
	assert_true(kernel_rollup_sql(sql, sizeof(sql), 3600, 7200) < sizeof(sql));
	assert_non_null(strstr(sql, "DELETE FROM hourly_kernel WHERE ts >= 3600 AND ts < 7200;"));
	for (i = 0; i < TT_NKSTATS; i++)
		assert_non_null(strstr(sql, kstat_name(i)));
}

/*
 * The collector's reader over a directory standing in for /proc/self: a
 * netstat whose lines disagree and a missing sockstat6 are each logged
 * once, the other files are read, and a file that works again says so.
 */
static char dir[] = "/tmp/test_kernel.XXXXXX";

static void
put(const char *name, const char *from)
{
	char path[PATH_MAX], *buf;
	size_t len;
	FILE *f;

	buf = slurp(from, &len);
	snprintf(path, sizeof(path), "%s/net/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fwrite(buf, 1, len, f), len);
	fclose(f);
	free(buf);
}

static size_t
lines_of(const char *path, const char *needle)
{
	size_t len, n = 0;
	char *buf = slurp(path, &len), *p;

	for (p = buf; (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(buf);
	return n;
}

static void
test_reader(void **state)
{
	char path[PATH_MAX], log[PATH_MAX];
	struct context cx;
	struct klimits l;
	struct kstat k;
	int saved, fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/net", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	put("netstat", FIX "proc_netstat_mismatch.txt");
	put("snmp", FIX "proc_snmp.txt");
	put("sockstat", FIX "proc_sockstat.txt");
	snprintf(log, sizeof(log), "%s/stderr", dir);
	fflush(stderr);
	saved = dup(2);
	assert_true((fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600)) >= 0);
	dup2(fd, 2);
	close(fd);
	log_init("test_kernel", 0);
	assert_int_equal(context_init(&cx, dir), 0);
	context_read(&cx, &k, &l);
	context_read(&cx, &k, &l);		/* the same problems: not logged again */
	assert_false(has(&k, KS_ListenOverflows));
	assert_true(has(&k, KS_ActiveOpens) && k.v[KS_ActiveOpens] == 90);
	assert_true(has(&k, KS_tcp_tw) && k.v[KS_tcp_tw] == 29);
	assert_false(has(&k, KS_tcp6_inuse));
	put("netstat", FIX "proc_netstat.txt");
	context_read(&cx, &k, &l);
	assert_true(has(&k, KS_ListenOverflows) && k.v[KS_ListenOverflows] == 135);
	context_free(&cx);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_int_equal(lines_of(log, "net/netstat: TcpExt: 135 names but 134 values; samples "
	    "go on without what it holds (logged once)"), 1);
	assert_int_equal(lines_of(log, "net/sockstat6: No such file or directory; samples go on "
	    "without what it holds (logged once)"), 1);
	assert_int_equal(lines_of(log, "net/netstat: readable again"), 1);
	unlink(log);
	snprintf(path, sizeof(path), "%s/net/netstat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/net/snmp", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/net/sockstat", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/net", dir);
	rmdir(path);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recorded),
		cmocka_unit_test(test_older_kernel),
		cmocka_unit_test(test_mismatch),
		cmocka_unit_test(test_odd_values),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_rollup_sql),
		cmocka_unit_test(test_reader),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
