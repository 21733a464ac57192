#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcptally/progress.h"

static const char *
fmt(uint64_t rows, double secs, int64_t done, int64_t total)
{
	static char buf[160];
	size_t n = progress_format(buf, sizeof(buf), "import", rows, secs, done, total);

	assert_int_equal(n, strlen(buf));
	return buf;
}

static void
test_rows_and_rate(void **state)
{
	(void)state;
	assert_string_equal(fmt(0, 0, 0, 0), "import: 0 rows, 0 rows/s");
	assert_string_equal(fmt(9999, 2, 0, 0), "import: 9999 rows, 5000 rows/s");
	assert_string_equal(fmt(12345, 1, 0, 0), "import: 12.3k rows, 12.3k rows/s");
	assert_string_equal(fmt(2470000, 1, 0, 0), "import: 2.5M rows, 2.5M rows/s");
	assert_string_equal(fmt(999999, 1, 0, 0), "import: 1.0M rows, 1.0M rows/s");
	assert_string_equal(fmt(3000000000ULL, 1.5, 0, 0), "import: 3.0G rows, 2.0G rows/s");
}

static void
test_percent_of_file(void **state)
{
	(void)state;
	assert_string_equal(fmt(40000, 1.25, 1048576, 4194304),
	    "import: 40.0k rows, 32.0k rows/s, 25% of 4.2MB");
	assert_string_equal(fmt(1, 1, 0, 512), "import: 1 rows, 1 rows/s, 0% of 512B");
	/* a file that grew while read: never past 100% */
	assert_string_equal(fmt(1, 1, 900, 512), "import: 1 rows, 1 rows/s, 100% of 512B");
}

static void
test_short_buffer(void **state)
{
	char buf[10];
	size_t n;

	(void)state;
	n = progress_format(buf, sizeof(buf), "export", 12345, 1, 0, 0);
	assert_int_equal(n, strlen("export: 12.3k rows, 12.3k rows/s"));
	assert_string_equal(buf, "export: 1");
}

/* Not a terminal (as under meson): silent, whatever is asked. */
static void
test_silent_without_terminal(void **state)
{
	struct progress p;

	(void)state;
	if (isatty(STDERR_FILENO))
		skip();
	progress_start(&p, "import", -1);
	assert_int_equal(p.on, 0);
	progress_update(&p, 1000000, 0);
	progress_end(&p);
	assert_int_equal(p.width, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_and_rate),
		cmocka_unit_test(test_percent_of_file),
		cmocka_unit_test(test_short_buffer),
		cmocka_unit_test(test_silent_without_terminal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
