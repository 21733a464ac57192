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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_csv_json),
		cmocka_unit_test(test_html),
		cmocka_unit_test(test_nagios),
		cmocka_unit_test(test_openmetrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
