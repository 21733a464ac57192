/*
 * --import's input, a line at a time from 1 MiB reads: no allocation per
 * line, and a line's end is always writable (the parsers work in place).
 * A line over 4096 bytes or with a NUL byte is not text: the import stops
 * there with FILE:LINE. On a terminal, a progress line after a second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

#define LINE_MAX_BYTES	4096
#define READ_CHUNK	(1 << 20)

int
reader_open(struct reader *r, FILE *f, const char *file, char *err, size_t errlen)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->file = file;
	r->err = err;
	r->errlen = errlen;
	if ((r->buf = malloc(READ_CHUNK + 1)) == NULL)
		return -1;
	r->cap = READ_CHUNK;
	progress_start(&r->progress, "import", fileno(f));
	return 0;
}

void
reader_close(struct reader *r)
{
	progress_end(&r->progress);
	free(r->buf);
	r->buf = NULL;
}

static int
bad(struct reader *r, size_t line, const char *why)
{
	snprintf(r->err, r->errlen, "%s:%zu: %s", r->file, line, why);
	return -1;
}

int
reader_line(struct reader *r, char **s, size_t *len, uint64_t rows)
{
	static const char too_long[] = "line longer than 4096 bytes; is this a text file?";
	char *nl;
	size_t n;

	for (;;) {
		if ((nl = memchr(r->buf + r->off, '\n', r->end - r->off)) != NULL ||
		    (r->eof && r->off < r->end)) {
			*s = r->buf + r->off;
			*len = nl != NULL ? (size_t)(nl - *s) : r->end - r->off;
			r->off += *len + (nl != NULL);
			r->lineno++;
			if (*len > LINE_MAX_BYTES)
				return bad(r, r->lineno, too_long);
			if (memchr(*s, '\0', *len) != NULL)
				return bad(r, r->lineno, "NUL byte in line; is this a "
				    "text file?");
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->end - r->off > LINE_MAX_BYTES)
			return bad(r, r->lineno + 1, too_long);
		memmove(r->buf, r->buf + r->off, r->end - r->off);
		r->end -= r->off;
		r->off = 0;
		n = fread(r->buf + r->end, 1, r->cap - r->end, r->f);
		r->end += n;
		r->bytes += (int64_t)n;
		progress_update(&r->progress, rows, r->bytes);
		if (n == 0 && ferror(r->f)) {
			snprintf(r->err, r->errlen, "%s: %s", r->file, strerror(errno));
			return -1;
		}
		r->eof = n == 0;
	}
}
