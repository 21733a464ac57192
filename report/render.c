/* Output: aligned tables, CSV, JSON strings, sparklines. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report.h"

int
table_init(struct table *t, size_t ncols, const char *const *header)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->ncols = ncols;
	if ((t->numeric = calloc(ncols, sizeof(int))) == NULL)
		return -1;
	if (header == NULL)
		return 0;
	if ((t->cell = malloc(sizeof(char **))) == NULL ||
	    (t->cell[0] = calloc(ncols, sizeof(char *))) == NULL)
		return -1;
	for (i = 0; i < ncols; i++)
		if ((t->cell[0][i] = strdup(header[i])) == NULL)
			return -1;
	t->nrows = 1;
	return 0;
}

int
table_row_v(struct table *t, const char *const *cells)
{
	char ***cell, **row;
	size_t i;

	if ((cell = realloc(t->cell, (t->nrows + 1) * sizeof(char **))) == NULL)
		return -1;
	t->cell = cell;
	if ((row = calloc(t->ncols, sizeof(char *))) == NULL)
		return -1;
	t->cell[t->nrows++] = row;
	for (i = 0; i < t->ncols; i++)
		if ((row[i] = strdup(cells[i])) == NULL)
			return -1;
	return 0;
}

/* Display width of UTF-8 text: count the bytes that start a character. */
static size_t
width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
table_print(const struct table *t, FILE *f)
{
	size_t *w, r, c, pad;

	if ((w = calloc(t->ncols, sizeof(*w))) == NULL)
		return;
	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++)
			if (width(t->cell[r][c]) > w[c])
				w[c] = width(t->cell[r][c]);
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			pad = w[c] - width(t->cell[r][c]);
			if (t->numeric[c] && r > 0)
				fprintf(f, "%*s%s", (int)pad, "", t->cell[r][c]);
			else if (c + 1 < t->ncols)
				fprintf(f, "%s%*s", t->cell[r][c], (int)pad, "");
			else
				fputs(t->cell[r][c], f);
			fputs(c + 1 < t->ncols ? "  " : "\n", f);
		}
	}
	free(w);
}

void
csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r") == NULL) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

void
table_print_csv(const struct table *t, FILE *f)
{
	size_t r, c;

	for (r = 0; r < t->nrows; r++)
		for (c = 0; c < t->ncols; c++) {
			csv_field(f, t->cell[r][c]);
			fputc(c + 1 < t->ncols ? ',' : '\n', f);
		}
}

void
table_free(struct table *t)
{
	size_t r, c;

	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			free(t->cell[r][c]);
		free(t->cell[r]);
	}
	free(t->cell);
	free(t->numeric);
	memset(t, 0, sizeof(*t));
}

/* Valid JSON whatever the bytes: a string that is not UTF-8 (an old or edited
 * database) has its high bytes written as \u00XX rather than passed through. */
void
json_string(FILE *f, const char *s)
{
	int raw = !text_printable(s, strlen(s));

	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f || (raw && ch >= 0x80))
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

const char *
sparkline(const double *v, size_t n, char *buf, size_t len)
{
	static const char *const bars[] = { "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
	double lo = 0, hi = 0;
	size_t i, off = 0;
	int b;

	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i == 0 || v[i] < lo)
			lo = v[i];
		if (i == 0 || v[i] > hi)
			hi = v[i];
	}
	for (i = 0; i < n && off + 4 < len; i++) {
		b = hi > lo ? (int)((v[i] - lo) / (hi - lo) * 7.0 + 0.5) : 0;
		off += (size_t)snprintf(buf + off, len - off, "%s", bars[b]);
	}
	return buf;
}

const char *
fmt_time(int64_t ts, char *buf, size_t len)
{
	time_format_utc(ts, buf, len);
	return buf;
}

const char *
fmt_num(double v, char *buf, size_t len)
{
	if (v == (double)(int64_t)v)
		snprintf(buf, len, "%lld", (long long)v);
	else
		snprintf(buf, len, "%.1f", v);
	return buf;
}

/* "+12.5 (+8.3%)"; "n/a" with nothing before; "(n/a)" % from 0. */
const char *
fmt_change(double cur, const struct summary *before, char *buf, size_t len)
{
	if (before->n == 0)
		snprintf(buf, len, "n/a");
	else if (before->avg == 0)
		snprintf(buf, len, "%+.1f (n/a)", cur - before->avg);
	else
		snprintf(buf, len, "%+.1f (%+.1f%%)", cur - before->avg,
		    (cur - before->avg) / before->avg * 100.0);
	return buf;
}
