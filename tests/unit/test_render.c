/*
 * The output layer: the same hostile names through every output path.
 * None may print a raw control character, end a line, or break its
 * format's quoting (CSV, JSON, XML, Nagios perfdata, OpenMetrics).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "render.h"

static const char *const hostile[] = {
	"web\x1b[2J\x1b]0;pwned\x07",		/* ANSI: clear screen, set title */
	"web\r\nTCPTALLY OK: all fine",		/* a forged status line */
	"a'b=c;d|e f",				/* perfdata punctuation */
	"back\\slash\"quote\"",
	"bad\xff\xfe utf8 \xc3",		/* not UTF-8 */
	"c1\xc2\x9b" "31m",			/* a C1 control (CSI) */
	"ok-ünïcödé",				/* printable UTF-8 stays */
};
#define NHOSTILE	(sizeof(hostile) / sizeof(hostile[0]))

static const struct column cols[] = {
	{ "host", "host", "host", COL_TEXT, NULL, NULL, 0, NULL, 0 },
	{ "n", "n", "n", COL_INT, NULL, NULL, 1, NULL, 0 },
};

/* The whole of what f received. */
static char *
slurp(FILE *f, size_t *len)
{
	char *buf;
	long n;

	fflush(f);
	n = ftell(f);
	assert_true(n >= 0);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	rewind(f);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

/* No byte below 0x20 but the newlines the format itself writes; no DEL. */
static void
no_controls(const char *s, size_t len, size_t newlines)
{
	size_t i, nl = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n') {
			nl++;
			continue;
		}
		assert_false((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f);
		/* C1 as UTF-8 (U+0080..U+009F) */
		assert_false(i + 1 < len && (unsigned char)s[i] == 0xc2 &&
		    (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] < 0xa0);
	}
	assert_int_equal(nl, newlines);
}

static void
fill(struct rows *t)
{
	struct cell row[2];
	size_t i;

	rows_init(t, cols, 2);
	for (i = 0; i < NHOSTILE; i++) {
		row[0] = cell_text(hostile[i]);
		row[1] = cell_int((int64_t)i);
		assert_int_equal(rows_add(t, row, 0), 0);
	}
}

static void
test_table(void **state)
{
	struct rows t;
	FILE *f = tmpfile();
	size_t len;
	char *out;

	(void)state;
	fill(&t);
	rows_table(&t, f);
	out = slurp(f, &len);
	no_controls(out, len, NHOSTILE + 1);
	assert_non_null(strstr(out, "web\\x1b[2J\\x1b]0;pwned\\x07"));
	assert_non_null(strstr(out, "web\\x0d\\x0aTCPTALLY OK"));
	assert_non_null(strstr(out, "bad\\xff\\xfe utf8 \\xc3"));
	assert_non_null(strstr(out, "c1\\xc2\\x9b31m"));
	assert_non_null(strstr(out, "ok-ünïcödé"));
	free(out);
	fclose(f);
	rows_free(&t);
}

static void
test_csv_json(void **state)
{
	struct rows t;
	FILE *f = tmpfile(), *g = tmpfile();
	size_t len;
	char *out;

	(void)state;
	fill(&t);
	rows_csv(&t, f);
	out = slurp(f, &len);
	/* CSV quotes a field with a newline in it: the row stays one record */
	assert_non_null(strstr(out, "\"web\r\nTCPTALLY OK: all fine\",1\n"));
	assert_non_null(strstr(out, "\"back\\slash\"\"quote\"\"\",3\n"));
	free(out);
	rows_json(&t, g, 2);
	out = slurp(g, &len);
	no_controls(out, len, NHOSTILE + 1);
	assert_non_null(strstr(out, "\"host\": \"web\\u001b[2J\\u001b]0;pwned\\u0007\""));
	assert_non_null(strstr(out, "\"host\": \"web\\r\\nTCPTALLY OK: all fine\"") ||
	    strstr(out, "\"host\": \"web\\u000d\\u000aTCPTALLY OK: all fine\""));
	assert_non_null(strstr(out, "\"back\\\\slash\\\"quote\\\"\""));
	free(out);
	fclose(f);
	fclose(g);
	rows_free(&t);
}

static void
test_html(void **state)
{
	struct rows t;
	FILE *f = tmpfile();
	size_t len;
	char *out;

	(void)state;
	fill(&t);
	html_rows(f, &t);
	out = slurp(f, &len);
	no_controls(out, len, NHOSTILE + 3);
	assert_non_null(strstr(out, "a&#39;b=c;d|e f"));
	assert_non_null(strstr(out, "back\\slash&quot;quote&quot;"));
	assert_null(strstr(out, "<td>web\r"));
	free(out);
	fclose(f);
	rows_free(&t);
}

static void
test_nagios(void **state)
{
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		nagios_text(buf, sizeof(buf), hostile[i]);
		no_controls(buf, strlen(buf), 0);
		assert_null(strchr(buf, '|'));
		nagios_label(buf, sizeof(buf), hostile[i]);
		no_controls(buf, strlen(buf), 0);
		assert_null(strchr(buf, '|'));
		assert_null(strchr(buf, '='));
		assert_int_equal(buf[0], '\'');
		assert_int_equal(buf[strlen(buf) - 1], '\'');
	}
	nagios_label(buf, sizeof(buf), "a'b=c;d|e f");
	assert_string_equal(buf, "'a''b\\x3dc;d\\x7ce f'");
	nagios_text(buf, sizeof(buf), "web\r\nTCPTALLY OK: x|y");
	assert_string_equal(buf, "web\\x0d\\x0aTCPTALLY OK: x\\x7cy");
	/* cut short, a label still closes its quote */
	nagios_label(buf, 8, "abcdefghijkl");
	assert_string_equal(buf, "'abcde'");
}

static void
test_openmetrics(void **state)
{
	char buf[512];
	size_t i;

	(void)state;
	for (i = 0; i < NHOSTILE; i++) {
		text_label(buf, sizeof(buf), hostile[i]);
		no_controls(buf, strlen(buf), 0);
	}
	text_label(buf, sizeof(buf), "back\\slash\"quote\"\nx");
	assert_string_equal(buf, "back\\\\slash\\\"quote\\\"\\nx");
	text_label(buf, sizeof(buf), "esc\x1b" "cr\r");
	assert_string_equal(buf, "esc\xef\xbf\xbd" "cr\xef\xbf\xbd");
}

static const struct column hcols[] = {
	{ "host", "host", "host", COL_HOST, NULL, NULL, 0, NULL, 0 },
	{ "n", "n", "n", COL_INT, NULL, NULL, 1, NULL, 0 },
};

/* Rows of (host, netns, n) into t: netns NULL is the host's own. */
static void
hfill(struct rows *t, const char *const (*src)[2], size_t n)
{
	struct cell row[2];
	size_t i;

	rows_init(t, hcols, 2);
	for (i = 0; i < n; i++) {
		row[0] = cell_host(src[i][0], src[i][1]);
		row[1] = cell_int((int64_t)i);
		assert_int_equal(rows_add(t, row, 0), 0);
	}
}

static char *
print(const struct rows *t, int format, size_t *len)
{
	FILE *f = tmpfile();
	char *out;

	assert_non_null(f);
	if (format == FMT_HTML)
		html_rows(f, t);
	else
		rows_print(t, format, f);
	out = slurp(f, len);
	fclose(f);
	return out;
}

/*
 * A host column (COL_HOST): in tables the series label, a long netns cut in
 * its middle; in CSV the host name, and a netns column only when some row
 * is of another namespace than the host's own; in JSON always "netns".
 */
static void
test_host_column(void **state)
{
	static const char *const own[][2] = { { "web-1", NULL }, { "web-2", "host" } };
	static const char *const ns[][2] = {
		{ "web-1", NULL },
		{ "web-1", "ttns-a" },
		{ "web-1", "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234"
		    ".slice/cri-containerd-1a2b3c4d5e6f7a8b9c0d1e2f.scope" },
		{ "web-1", "ev\x1b[2Jil" },
	};
	struct rows t;
	size_t len;
	char *out, buf[600];

	(void)state;
	hfill(&t, own, 2);
	out = print(&t, FMT_CSV, &len);
	assert_string_equal(out, "host,n\nweb-1,0\nweb-2,1\n");
	free(out);
	out = print(&t, FMT_JSON, &len);
	assert_string_equal(out, "[\n  {\"host\": \"web-1\", \"netns\": \"host\", \"n\": 0},\n"
	    "  {\"host\": \"web-2\", \"netns\": \"host\", \"n\": 1}\n]\n");
	free(out);
	rows_free(&t);

	hfill(&t, ns, 4);
	out = print(&t, FMT_CSV, &len);
	assert_non_null(strstr(out, "host,netns,n\nweb-1,host,0\nweb-1,ttns-a,1\n"
	    "web-1,/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1234.slice/"
	    "cri-containerd-1a2b3c4d5e6f7a8b9c0d1e2f.scope,2\n"));
	free(out);
	out = print(&t, FMT_JSON, &len);
	no_controls(out, len, 6);
	assert_non_null(strstr(out, "{\"host\": \"web-1\", \"netns\": \"ttns-a\", \"n\": 1}"));
	assert_non_null(strstr(out, "\"netns\": \"/kubepods.slice/kubepods-burstable.slice/"
	    "kubepods-burstable-pod1234.slice/cri-containerd-1a2b3c4d5e6f7a8b9c0d1e2f.scope\""));
	free(out);
	out = print(&t, FMT_TABLE, &len);
	no_controls(out, len, 5);
	assert_non_null(strstr(out, "\nweb-1      "));
	assert_non_null(strstr(out, "\nweb-1/ttns-a  "));
	/* the start and the end of a long label, the middle cut */
	assert_non_null(strstr(out, "\nweb-1//kubepods.slice/kube\u2026"
	    "4d5e6f7a8b9c0d1e2f.scope  "));
	assert_null(strstr(out, "pod1234"));
	assert_non_null(strstr(out, "web-1/ev\\x1b[2Jil"));
	free(out);
	out = print(&t, FMT_HTML, &len);
	assert_non_null(strstr(out, "<td>web-1/ttns-a</td>"));
	assert_non_null(strstr(out, "<td>web-1//kubepods.slice/kube\u2026"
	    "4d5e6f7a8b9c0d1e2f.scope</td>"));
	free(out);
	rows_free(&t);

	/* the cut never splits a character */
	host_label("h", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
	    "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
	    "\u00e9\u00e9\u00e9\u00e9\u00e9", buf, sizeof(buf));
	assert_string_equal(buf, "h/\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
	    "\u00e9\u00e9\u2026\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"
	    "\u00e9\u00e9\u00e9");
	assert_string_equal(host_label("h", "host", buf, sizeof(buf)), "h");
	assert_string_equal(host_label("h", NULL, buf, sizeof(buf)), "h");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_csv_json),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_nagios),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_host_column),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
