/* Text checks and escapes for names that end up in tables, labels and Nagios output. */
#include <stdio.h>
#include <string.h>

#include "tcptally/tcptally.h"

/* The length of the UTF-8 character at s (up to end), or 0 if it is not one or is C1. */
static size_t
utf8_char(const unsigned char *s, const unsigned char *end)
{
	size_t need, i;
	unsigned cp, min;

	if (*s < 0x80)
		return 1;
	if ((*s & 0xe0) == 0xc0)
		need = 1, cp = *s & 0x1f, min = 0x80;
	else if ((*s & 0xf0) == 0xe0)
		need = 2, cp = *s & 0x0f, min = 0x800;
	else if ((*s & 0xf8) == 0xf0)
		need = 3, cp = *s & 0x07, min = 0x10000;
	else
		return 0;
	if ((size_t)(end - s) <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (cp >= 0x80 && cp < 0xa0))
		return 0;
	return need + 1;
}

/* 1 if s[0..len) is valid UTF-8 with no control characters (C0, DEL or C1). */
int
text_printable(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	size_t n;

	while (p < end) {
		if (*p < 0x20 || *p == 0x7f || (n = utf8_char(p, end)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

/* Append n bytes of p to dst (len), at *off; *off counts what it would need. */
static void
put(char *dst, size_t len, size_t *off, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, (*off)++)
		if (*off + 1 < len) {
			dst[*off] = p[i];
			dst[*off + 1] = '\0';
		}
}

size_t
text_escape(char *dst, size_t len, const char *s, const char *extra)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t off = 0, n;
	char hex[8];

	if (len > 0)
		dst[0] = '\0';
	while (p < end) {
		n = utf8_char(p, end);
		if (n == 0 || *p < 0x20 || *p == 0x7f || (n == 1 && extra != NULL &&
		    strchr(extra, *p) != NULL)) {
			snprintf(hex, sizeof(hex), "\\x%02x", *p);
			put(dst, len, &off, hex, 4);
			p++;
			continue;
		}
		put(dst, len, &off, (const char *)p, n);
		p += n;
	}
	return off;
}

size_t
text_label(char *dst, size_t len, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);
	size_t off = 0, n;

	if (len > 0)
		dst[0] = '\0';
	while (p < end) {
		n = utf8_char(p, end);
		if (*p == '\\' || *p == '"')
			put(dst, len, &off, *p == '"' ? "\\\"" : "\\\\", 2);
		else if (*p == '\n')
			put(dst, len, &off, "\\n", 2);
		else if (n == 0 || *p < 0x20 || *p == 0x7f)
			put(dst, len, &off, "\xef\xbf\xbd", 3);	/* U+FFFD */
		else
			put(dst, len, &off, (const char *)p, n);
		p += n ? n : 1;
	}
	return off;
}
