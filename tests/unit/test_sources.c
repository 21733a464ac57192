/*
 * The report's sources: a file of schema 5 holds one host in a row per
 * network namespace, and each namespace is a set of series of its own,
 * labelled NAME or NAME/NETNS, read by its host id; --host and --netns pick
 * them. A file whose rows name two hosts is refused, and of two files whose
 * series would read alike the one not named for its host.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "tcptally/db.h"

#define T0	1795464000LL

static char dir[64], paths[4][128];

static int
mkdir_tmp(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/tt-srctest-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int
rmdir_tmp(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

/*
 * dir/file: host's namespaces ns[0..n), three samples a minute apart from
 * T0, group all, ESTABLISHED 100 * i + k at sample k of namespace i.
 */
static const char *
mkfile(int slot, const char *file, const char *host, const char *const *ns, size_t n)
{
	char err[512] = "", sql[512];
	int64_t id, all;
	sqlite3 *db;
	size_t i, k;

	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, file);
	assert_non_null(db = db_open_rw(paths[slot], err, sizeof(err)));
	assert_true((all = db_name_id(db, "grp", "all")) > 0);
	for (i = 0; i < n; i++) {
		assert_true((id = db_host_id(db, host, ns[i])) > 0);
		for (k = 0; k < 3; k++) {
			snprintf(sql, sizeof(sql), "INSERT INTO sample (ts, host, flags) VALUES "
			    "(%lld, %lld, 0); INSERT INTO counts (ts, host, grp, established, syn_sent,"
			    " syn_recv, fin_wait1, fin_wait2, time_wait, close, close_wait, last_ack,"
			    " listen, closing) VALUES (%lld, %lld, %lld, %zu, 0, 0, 0, 0, 0, 0, 0, 0,"
			    " 0, 0)", T0 + 60 * (long long)k, (long long)id,
			    T0 + 60 * (long long)k, (long long)id, (long long)all, 100 * i + k);
			assert_int_equal(db_exec(db, sql, err, sizeof(err)), 0);
		}
	}
	sqlite3_close(db);
	return paths[slot];
}

static const struct series *
series_of(const struct dataset *d, const char *host)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->s[i].host, host) == 0)
			return &d->s[i];
	return NULL;
}

static void
test_labels_and_select(void **state)
{
	static const char *const ns[] = { "host", "ttns-a", "/kubepods.slice/x.scope" };
	struct history h;
	struct dataset d = { 0 };
	const struct series *s;
	const struct hfile *f;
	char known[256];

	(void)state;
	memset(&h, 0, sizeof(h));
	assert_int_equal(hist_add(&h, mkfile(0, "web-1.db", "web-1", ns, 3)), 0);
	assert_int_equal(hist_open(&h), 0);
	assert_int_equal(h.nfiles, 1);
	assert_int_equal(h.n, 3);
	/* in label order: the host's own first */
	assert_string_equal(h.f[0].host, "web-1");
	assert_string_equal(h.f[1].host, "web-1//kubepods.slice/x.scope");
	assert_string_equal(h.f[2].host, "web-1/ttns-a");
	assert_non_null(f = hist_source(&h, "web-1/ttns-a"));
	assert_string_equal(f->name, "web-1");
	assert_string_equal(f->netns, "ttns-a");
	assert_ptr_equal(f->file, &h.files[0]);
	assert_null(hist_source(&h, "web-1/ttns-b"));

	/* each source's newest sample, its own counts */
	assert_int_equal(hist_load_latest(&h, NULL, &d), 0);
	assert_int_equal(d.n, 3);
	assert_non_null(s = series_of(&d, "web-1/ttns-a"));
	assert_int_equal(s->n, 1);
	assert_int_equal(s->p[0].ts, T0 + 120);
	assert_int_equal(s->p[0].count[TT_ESTABLISHED], 102);
	assert_non_null(s = series_of(&d, "web-1//kubepods.slice/x.scope"));
	assert_int_equal(s->p[0].count[TT_ESTABLISHED], 202);
	assert_non_null(s = series_of(&d, "web-1"));
	assert_int_equal(s->p[0].count[TT_ESTABLISHED], 2);
	dataset_free(&d);

	assert_int_equal(hist_has_name(&h, "netns", "ttns-*", 1, known, sizeof(known)), 1);
	assert_int_equal(hist_has_name(&h, "netns", "nope", 1, known, sizeof(known)), 0);
	assert_string_equal(known, "/kubepods.slice/x.scope, host, ttns-a");
	assert_int_equal(hist_has_name(&h, "host", "web-*", 1, known, sizeof(known)), 1);
	h.host = "db-*";	/* the namespaces of no host */
	assert_int_equal(hist_has_name(&h, "netns", "host", 1, known, sizeof(known)), 0);
	assert_string_equal(known, "");

	/* --netns 'ttns-*': one source, read by its host id */
	h.host = NULL;
	h.netns = "ttns-*";
	hist_select(&h);
	assert_int_equal(h.n, 1);
	assert_string_equal(h.f[0].host, "web-1/ttns-a");
	assert_int_equal(hist_load(&h, ROWS_RAW, 0, INT64_MAX, "all", &d), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.s[0].host, "web-1/ttns-a");
	assert_int_equal(d.s[0].n, 3);
	assert_int_equal(d.s[0].p[0].count[TT_ESTABLISHED], 100);
	assert_int_equal(d.s[0].p[2].count[TT_ESTABLISHED], 102);
	dataset_free(&d);
	assert_int_equal(hist_latest(&h), T0 + 120);
	assert_int_equal(hist_first(&h), T0);
	assert_int_equal(hist_newest_at(&h, "web-1/ttns-a", T0 + 90), T0 + 60);
	assert_int_equal(hist_newest_at(&h, "web-1", T0 + 90), -1);	/* not selected */
	hist_close(&h);
}

static void
test_two_hosts_refused(void **state)
{
	static const char *const ns[] = { "host", "ttns-a" };
	char err[512], want[512];
	struct history h;
	sqlite3 *db;

	(void)state;
	memset(&h, 0, sizeof(h));
	mkfile(0, "mixed.db", "web-1", ns, 2);
	assert_int_equal(sqlite3_open(paths[0], &db), SQLITE_OK);
	assert_int_equal(db_exec(db, "INSERT INTO host (name, netns) VALUES ('web-2', 'ttns-b')",
	    err, sizeof(err)), 0);
	sqlite3_close(db);
	assert_int_equal(hist_add(&h, paths[0]), 0);
	assert_int_equal(hist_add(&h, mkfile(1, "web-3.db", "web-3", ns, 2)), 0);
	assert_int_equal(hist_open(&h), 0);
	snprintf(want, sizeof(want), "%s: holds two hosts, 'web-1' and 'web-2'; one file holds "
	    "one host (split it: see tcptally-report(1), FLEETS)", paths[0]);
	assert_non_null(h.files[0].why);
	assert_string_equal(h.files[0].why, want);
	assert_null(h.files[1].why);
	assert_int_equal(hist_good(&h), 1);
	assert_int_equal(h.n, 2);	/* web-3's, only */
	assert_string_equal(h.f[0].host, "web-3");
	assert_string_equal(h.f[1].host, "web-3/ttns-a");
	hist_close(&h);
}

static void
test_labels_clash(void **state)
{
	static const char *const ns[] = { "host", "ttns-a" }, *const own[] = { "host" };
	char want[768];
	struct history h;

	(void)state;
	memset(&h, 0, sizeof(h));
	/* host 'web-1/ttns-a' reads as web-1's ttns-a: web-1.db is named for its host */
	assert_int_equal(hist_add(&h, mkfile(0, "forged.db", "web-1/ttns-a", own, 1)), 0);
	assert_int_equal(hist_add(&h, mkfile(1, "web-1.db", "web-1", ns, 2)), 0);
	assert_int_equal(hist_open(&h), 0);
	snprintf(want, sizeof(want), "%s: host 'web-1/ttns-a', netns 'host' reads as "
	    "'web-1/ttns-a', as host 'web-1', netns 'ttns-a' of %s does; one of the names is "
	    "forged (that one is named for its host)", paths[0], paths[1]);
	assert_non_null(h.files[0].why);
	assert_string_equal(h.files[0].why, want);
	assert_null(h.files[1].why);
	assert_int_equal(h.n, 2);
	assert_ptr_equal(hist_source(&h, "web-1/ttns-a")->file, &h.files[1]);
	hist_close(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_labels_and_select, mkdir_tmp, rmdir_tmp),
		cmocka_unit_test_setup_teardown(test_two_hosts_refused, mkdir_tmp, rmdir_tmp),
		cmocka_unit_test_setup_teardown(test_labels_clash, mkdir_tmp, rmdir_tmp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
