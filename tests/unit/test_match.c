#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/socket.h>
#include <arpa/inet.h>
#include <string.h>

#include "tcptally/config.h"

static struct cidr
C(const char *s)
{
	struct cidr c;
	const char *why = NULL;

	assert_int_equal(cidr_parse(s, &c, &why), 0);
	return c;
}

static int
m4(const char *cidr, const char *addr)
{
	struct cidr c = C(cidr);
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	return cidr_match(&c, AF_INET, a);
}

static int
m6(const char *cidr, const char *addr)
{
	struct cidr c = C(cidr);
	uint8_t a[16];

	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	return cidr_match(&c, AF_INET6, a);
}

static void
test_cidr_v4(void **state)
{
	(void)state;
	assert_true(m4("10.0.0.0/8", "10.255.1.2"));
	assert_false(m4("10.0.0.0/8", "11.0.0.1"));
	assert_true(m4("0.0.0.0/0", "192.0.2.1"));
	assert_true(m4("192.0.2.7", "192.0.2.7"));
	assert_false(m4("192.0.2.7", "192.0.2.6"));
	assert_true(m4("192.0.2.128/25", "192.0.2.200"));
	assert_false(m4("192.0.2.128/25", "192.0.2.127"));
	assert_true(m4("172.16.0.0/12", "172.31.255.255"));
	assert_false(m4("172.16.0.0/12", "172.32.0.0"));
	/* a v4 CIDR never matches a native v6 address, nor the reverse */
	assert_false(m6("10.0.0.0/8", "::a00:1"));
	assert_false(m4("::/0", "10.0.0.1"));
}

static void
test_cidr_v6(void **state)
{
	(void)state;
	assert_true(m6("fd00::/8", "fd12:3456::1"));
	assert_false(m6("fd00::/8", "fe80::1"));
	assert_true(m6("2001:db8::/33", "2001:db8:7fff::1"));
	assert_false(m6("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(m6("::1", "::1"));
	assert_true(m6("::/0", "2001:db8::1"));
}

static void
test_cidr_v4mapped(void **state)
{
	(void)state;
	/* a v4-mapped IPv6 address matches IPv4 CIDRs */
	assert_true(m6("10.0.0.0/8", "::ffff:10.1.2.3"));
	assert_false(m6("10.0.0.0/8", "::ffff:11.1.2.3"));
	assert_true(m6("127.0.0.1", "::ffff:127.0.0.1"));
	/* and, being v6, still matches the v6 form of itself */
	assert_true(m6("::ffff:0:0/96", "::ffff:10.1.2.3"));
	/* ::a01:203 (v4-compatible, deprecated) is not v4-mapped */
	assert_false(m6("10.0.0.0/8", "::10.1.2.3"));
}

static void
test_cidr_bad(void **state)
{
	struct cidr c;
	const char *why = NULL;

	(void)state;
	assert_int_equal(cidr_parse("10.0.0.0/33", &c, &why), -1);
	assert_string_equal(why, "IPv4 prefix length must be 0-32");
	assert_int_equal(cidr_parse("fd00::/129", &c, &why), -1);
	assert_string_equal(why, "IPv6 prefix length must be 0-128");
	assert_int_equal(cidr_parse("10.0.0/8", &c, &why), -1);
	assert_string_equal(why, "not an IPv4 or IPv6 address (expected e.g. 10.0.0.0/8 or fd00::/8)");
	assert_int_equal(cidr_parse("10.0.0.0/", &c, &why), -1);
	assert_string_equal(why, "prefix length must be a number");
	assert_int_equal(cidr_parse("10.0.0.0/8x", &c, &why), -1);
	assert_string_equal(why, "prefix length must be a number");
	assert_int_equal(cidr_parse("example.com", &c, &why), -1);
	assert_int_equal(cidr_parse("", &c, &why), -1);
}

static void
test_portrange(void **state)
{
	struct portrange r;
	const char *why = NULL;

	(void)state;
	assert_int_equal(portrange_parse("80", &r, &why), 0);
	assert_int_equal(r.lo, 80);
	assert_int_equal(r.hi, 80);
	assert_int_equal(portrange_parse("8000-8099", &r, &why), 0);
	assert_int_equal(r.lo, 8000);
	assert_int_equal(r.hi, 8099);
	assert_int_equal(portrange_parse("1-65535", &r, &why), 0);
	assert_int_equal(portrange_parse("0", &r, &why), -1);
	assert_string_equal(why, "port outside 1-65535");
	assert_int_equal(portrange_parse("65536", &r, &why), -1);
	assert_string_equal(why, "port outside 1-65535");
	assert_int_equal(portrange_parse("9000-8000", &r, &why), -1);
	assert_string_equal(why, "reversed port range; write the lower port first");
	assert_int_equal(portrange_parse("http", &r, &why), -1);
	assert_string_equal(why, "not a port; use a number 1-65535 or a range like \"8000-8099\"");
	assert_int_equal(portrange_parse("80-", &r, &why), -1);
	assert_string_equal(why, "not a port range; use \"LOW-HIGH\", e.g. \"8000-8099\"");
	assert_int_equal(portrange_parse("-80", &r, &why), -1);
	assert_int_equal(portrange_parse("80 ", &r, &why), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_v4),
		cmocka_unit_test(test_cidr_v6),
		cmocka_unit_test(test_cidr_v4mapped),
		cmocka_unit_test(test_cidr_bad),
		cmocka_unit_test(test_portrange),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
