/* Text checks for labels that end up in tables, JSON and Nagios output. */
#include "tcptally/tcptally.h"

/* 1 if s[0..len) is valid UTF-8 with no control characters (C0 or DEL). */
int
text_printable(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	unsigned need, cp, min;

	while (p < end) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			need = 1, cp = *p & 0x1f, min = 0x80;
		else if ((*p & 0xf0) == 0xe0)
			need = 2, cp = *p & 0x0f, min = 0x800;
		else if ((*p & 0xf8) == 0xf0)
			need = 3, cp = *p & 0x07, min = 0x10000;
		else
			return 0;
		if ((size_t)(end - p) <= need)
			return 0;
		for (p++; need > 0; need--, p++) {
			if ((*p & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (*p & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp < 0xa0))
			return 0;
	}
	return 1;
}

size_t
text_label(char *dst, size_t len, const char *s)
{
	size_t off = 0;
	const char *esc;
	char one[2] = { 0, 0 };

	if (len > 0)
		dst[0] = '\0';
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			esc = "\\\\";
		else if (*s == '"')
			esc = "\\\"";
		else if (*s == '\n')
			esc = "\\n";
		else {
			one[0] = *s;
			esc = one;
		}
		for (; *esc != '\0'; esc++, off++)
			if (off + 1 < len) {
				dst[off] = *esc;
				dst[off + 1] = '\0';
			}
	}
	return off;
}
