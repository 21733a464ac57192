/* Pure port-range and CIDR parsing and matching. */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tcptally/config.h"

static const uint8_t v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

int
cidr_parse(const char *s, struct cidr *out, const char **why)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	long len;
	int max;

	memset(out, 0, sizeof(*out));
	if (strlen(s) >= sizeof(buf)) {
		*why = "not an address or CIDR";
		return -1;
	}
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		max = 128;
	} else {
		*why = "not an IPv4 or IPv6 address (expected e.g. 10.0.0.0/8 or fd00::/8)";
		return -1;
	}
	if (slash == NULL) {
		out->prefix = max;
		return 0;
	}
	if (!isdigit((unsigned char)*slash)) {
		*why = "prefix length must be a number";
		return -1;
	}
	len = strtol(slash, &end, 10);
	if (*end != '\0') {
		*why = "prefix length must be a number";
		return -1;
	}
	if (len > max) {
		*why = max == 32 ? "IPv4 prefix length must be 0-32" :
		    "IPv6 prefix length must be 0-128";
		return -1;
	}
	out->prefix = (uint8_t)len;
	return 0;
}

static int
prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned bytes = bits / 8, rem = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (rem == 0)
		return 1;
	return ((a[bytes] ^ b[bytes]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

int
cidr_match(const struct cidr *c, int family, const uint8_t *addr)
{
	if (family == AF_INET6 && c->family == AF_INET &&
	    memcmp(addr, v4mapped, sizeof(v4mapped)) == 0)
		return prefix_eq(c->addr, addr + 12, c->prefix);
	if (family != c->family)
		return 0;
	return prefix_eq(c->addr, addr, c->prefix);
}

int
cidr_list_match(const struct cidr *c, size_t n, int family, const uint8_t *addr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (cidr_match(&c[i], family, addr))
			return 1;
	return 0;
}

static int
port_num(const char *s, const char **end, long *out)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return -1;
	*out = strtol(s, &e, 10);
	*end = e;
	return 0;
}

int
portrange_parse(const char *s, struct portrange *r, const char **why)
{
	const char *p;
	long lo, hi;

	if (port_num(s, &p, &lo) == -1) {
		*why = "not a port; use a number 1-65535 or a range like \"8000-8099\"";
		return -1;
	}
	hi = lo;
	if (*p == '-' && port_num(p + 1, &p, &hi) == -1) {
		*why = "not a port range; use \"LOW-HIGH\", e.g. \"8000-8099\"";
		return -1;
	}
	if (*p != '\0') {
		*why = "not a port; use a number 1-65535 or a range like \"8000-8099\"";
		return -1;
	}
	if (lo < 1 || lo > 65535 || hi < 1 || hi > 65535) {
		*why = "port outside 1-65535";
		return -1;
	}
	if (hi < lo) {
		*why = "reversed port range; write the lower port first";
		return -1;
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}
