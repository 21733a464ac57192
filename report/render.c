/*
 * Output: rows of typed cells shown as an aligned table, CSV or JSON; CSV
 * fields, JSON strings, sparklines and number formats.  A table's widths
 * count UTF-8 characters, its numbers are right-aligned under left-aligned
 * headings.  JSON rows are one per line: [\n  {...},\n  {...}\n] (the
 * indent is the caller's), [] when there are none.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcptally/timeutil.h"
#include "render.h"

struct cell
cell_text(const char *s)
{
	struct cell c = { 0, s, 0, 0 };

	return c;
}

struct cell
cell_int(int64_t v)
{
	struct cell c = { 0, NULL, v, 0 };

	return c;
}

struct cell
cell_real(double v)
{
	struct cell c = { 0, NULL, 0, v };

	return c;
}

struct cell
cell_null(void)
{
	struct cell c = { 1, NULL, 0, 0 };

	return c;
}

struct cell
cell_host(const char *name, const char *netns)
{
	struct cell c = { 0, name, 0, 0, netns };

	return c;
}

/* 'host', or none: the host's own namespace. */
static int
own_netns(const char *ns)
{
	return ns == NULL || strcmp(ns, "host") == 0;
}

/* The byte offset of the character that holds byte i of s (UTF-8). */
static size_t
char_start(const char *s, size_t i)
{
	while (i > 0 && ((unsigned char)s[i] & 0xc0) == 0x80)
		i--;
	return i;
}

/*
 * A netns label longer than NETNS_SHOWN bytes (a cgroup path, mostly) keeps
 * its start and its end, where a container's id is: tables only.
 */
#define NETNS_SHOWN	48
#define NETNS_HEAD	20
#define NETNS_TAIL	24

const char *
host_label(const char *name, const char *netns, char *buf, size_t len)
{
	size_t n, head, tail;

	if (own_netns(netns)) {
		snprintf(buf, len, "%s", name);
		return buf;
	}
	if ((n = strlen(netns)) <= NETNS_SHOWN) {
		snprintf(buf, len, "%s/%s", name, netns);
		return buf;
	}
	head = char_start(netns, NETNS_HEAD);
	tail = char_start(netns, n - NETNS_TAIL);
	snprintf(buf, len, "%s/%.*s\u2026%s", name, (int)head, netns, netns + tail);
	return buf;
}

void
rows_init(struct rows *t, const struct column *col, size_t ncol)
{
	memset(t, 0, sizeof(*t));
	t->col = col;
	t->ncol = ncol;
}

static void
cell_free(const struct column *k, struct cell *v)
{
	if ((k->type == COL_TEXT || k->type == COL_HOST) && !v->null) {
		free((char *)v->s);
		free((char *)v->ns);
		v->s = v->ns = NULL;
	}
}

int
rows_add(struct rows *t, const struct cell *row, int flags)
{
	struct cell *nc;
	int *nf;
	size_t c, ncap;

	if (t->n == t->cap) {
		ncap = t->cap ? t->cap * 2 : 16;
		if ((nc = reallocarray(t->cell, ncap, t->ncol * sizeof(*nc))) == NULL)
			return -1;
		t->cell = nc;
		if ((nf = reallocarray(t->flags, ncap, sizeof(*nf))) == NULL)
			return -1;
		t->flags = nf;
		t->cap = ncap;
	}
	nc = &t->cell[t->n * t->ncol];
	for (c = 0; c < t->ncol; c++) {
		nc[c] = row[c];
		nc[c].ns = NULL;
		if ((t->col[c].type == COL_TEXT || t->col[c].type == COL_HOST) && !row[c].null &&
		    ((nc[c].s = strdup(row[c].s != NULL ? row[c].s : "")) == NULL ||
		    (t->col[c].type == COL_HOST && !own_netns(row[c].ns) &&
		    (nc[c].ns = strdup(row[c].ns)) == NULL))) {
			c++;
			while (c-- > 0)
				cell_free(&t->col[c], &nc[c]);
			return -1;
		}
	}
	t->flags[t->n++] = flags;
	if (!(flags & ROW_NOT_IN_TABLE))
		t->ntable++;
	return 0;
}

void
rows_free(struct rows *t)
{
	size_t r, c;

	for (r = 0; r < t->n; r++)
		for (c = 0; c < t->ncol; c++)
			cell_free(&t->col[c], &t->cell[r * t->ncol + c]);
	free(t->cell);
	free(t->flags);
	memset(t, 0, sizeof(*t));
}

int
rows_shown(const struct rows *t, size_t c, int format)
{
	const struct column *k = &t->col[c];

	if (c < 64 && (t->hide >> c) & 1)
		return 0;
	if (format == FMT_CSV)
		return k->csv != NULL;
	if (format == FMT_JSON)
		return k->json != NULL;
	return k->head != NULL;
}

/* A cell as text: in a table (or HTML), or in CSV (machine = 1). */
static const char *
cell_str(const struct column *k, const struct cell *v, int machine, char *buf, size_t len)
{
	if (v->null)
		return machine ? "" : "n/a";
	switch (k->type) {
	case COL_TEXT:
		return v->s;
	case COL_HOST:
		return machine ? v->s : host_label(v->s, v->ns, buf, len);
	case COL_INT:
		snprintf(buf, len, "%lld", (long long)v->i);
		return buf;
	case COL_REAL:
		snprintf(buf, len, machine ? k->fmt : k->tfmt, v->d);
		return buf;
	case COL_NUM:
		return fmt_num(v->d, buf, len);
	case COL_CLOCK:
		if (!machine) {
			fmt_time(v->i, buf, len);	/* 2026-11-29T22:30:38Z */
			if (strlen(buf) == 20) {
				memmove(buf, buf + 11, 8);
				buf[8] = '\0';
			}
			return buf;
		}
		/* FALLTHROUGH */
	default:
		return fmt_time(v->i, buf, len);
	}
}

const char *
rows_text(const struct rows *t, size_t r, size_t c, char *buf, size_t len)
{
	return cell_str(&t->col[c], &t->cell[r * t->ncol + c], 0, buf, len);
}

/* As a terminal shows it: a name's control characters as \xNN. */
static const char *
table_text(const struct rows *t, size_t r, size_t c, char *buf, size_t len)
{
	const struct cell *v = &t->cell[r * t->ncol + c];
	char label[TT_HOST_MAX * 2 + 8];

	if (t->col[c].type == COL_TEXT && !v->null) {
		text_escape(buf, len, v->s, NULL);
		return buf;
	}
	if (t->col[c].type == COL_HOST && !v->null) {
		text_escape(buf, len, host_label(v->s, v->ns, label, sizeof(label)), NULL);
		return buf;
	}
	return rows_text(t, r, c, buf, len);
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

/* One line of a table: heads (r == -1) or row r's cells, padded to w. */
static void
table_line(const struct rows *t, FILE *f, const size_t *w, size_t r, int head)
{
	char buf[4096];
	const char *s;
	size_t c, last = 0, pad;

	for (c = 0; c < t->ncol; c++)
		if (rows_shown(t, c, FMT_TABLE))
			last = c;
	for (c = 0; c < t->ncol; c++) {
		if (!rows_shown(t, c, FMT_TABLE))
			continue;
		s = head ? t->col[c].head : table_text(t, r, c, buf, sizeof(buf));
		pad = w[c] - width(s);
		if (t->col[c].right && !head)
			fprintf(f, "%*s%s", (int)pad, "", s);
		else if (c < last)
			fprintf(f, "%s%*s", s, (int)pad, "");
		else
			fputs(s, f);
		fputs(c < last ? "  " : "\n", f);
	}
}

void
rows_table(const struct rows *t, FILE *f)
{
	char buf[4096];
	size_t *w, r, c, n;

	if ((w = calloc(t->ncol, sizeof(*w))) == NULL)
		return;
	for (c = 0; c < t->ncol; c++) {
		if (!rows_shown(t, c, FMT_TABLE))
			continue;
		w[c] = width(t->col[c].head);
		for (r = 0; r < t->n; r++)
			if (!(t->flags[r] & ROW_NOT_IN_TABLE) &&
			    (n = width(table_text(t, r, c, buf, sizeof(buf)))) > w[c])
				w[c] = n;
	}
	table_line(t, f, w, 0, 1);
	for (r = 0; r < t->n; r++)
		if (!(t->flags[r] & ROW_NOT_IN_TABLE))
			table_line(t, f, w, r, 0);
	free(w);
}

/* Whether some row of t is of a network namespace other than the host's own. */
static int
any_netns(const struct rows *t)
{
	size_t r, c;

	for (c = 0; c < t->ncol; c++)
		for (r = 0; r < t->n && t->col[c].type == COL_HOST; r++)
			if (!own_netns(t->cell[r * t->ncol + c].ns))
				return 1;
	return 0;
}

void
rows_csv(const struct rows *t, FILE *f)
{
	const struct cell *v;
	char buf[64];
	size_t r, c;
	int first, ns = any_netns(t);

	for (c = 0, first = 1; c < t->ncol; c++)
		if (rows_shown(t, c, FMT_CSV)) {
			if (!first)
				fputc(',', f);
			csv_field(f, t->col[c].csv);
			if (ns && t->col[c].type == COL_HOST)
				fputs(",netns", f);
			first = 0;
		}
	fputc('\n', f);
	for (r = 0; r < t->n; r++) {
		for (c = 0, first = 1; c < t->ncol; c++)
			if (rows_shown(t, c, FMT_CSV)) {
				v = &t->cell[r * t->ncol + c];
				if (!first)
					fputc(',', f);
				csv_field(f, cell_str(&t->col[c], v, 1, buf, sizeof(buf)));
				if (ns && t->col[c].type == COL_HOST) {
					fputc(',', f);
					csv_field(f, v->null ? "" : own_netns(v->ns) ? "host" : v->ns);
				}
				first = 0;
			}
		fputc('\n', f);
	}
}

static void
json_value(FILE *f, const struct column *k, const struct cell *v)
{
	char buf[64];

	if (v->null)
		fputs("null", f);
	else if (k->type == COL_TEXT)
		json_string(f, v->s);
	else if (k->type == COL_HOST) {
		json_string(f, v->s);
		fputs(", \"netns\": ", f);
		json_string(f, own_netns(v->ns) ? "host" : v->ns);
	}
	else if (k->type == COL_INT || k->type == COL_TIME || k->type == COL_CLOCK)
		fprintf(f, "%lld", (long long)v->i);
	else
		fputs(cell_str(k, v, 1, buf, sizeof(buf)), f);
}

/* {"a": 1, "obj": {"b": 2, "c": 3}}: the jfirst columns, then the others. */
static void
json_row(const struct rows *t, FILE *f, size_t r)
{
	const struct column *k;
	const char *obj = NULL;
	size_t c, pass;
	int first = 1, inner = 0;

	fputc('{', f);
	for (pass = 0; pass < 2; pass++)
		for (c = 0; c < t->ncol; c++) {
			k = &t->col[c];
			if (!rows_shown(t, c, FMT_JSON) || (k->jfirst != 0) != (pass == 0))
				continue;
			if (obj != NULL && (k->obj == NULL || strcmp(k->obj, obj) != 0)) {
				fputc('}', f);
				obj = NULL;
			}
			if (k->obj != NULL && obj == NULL) {
				fprintf(f, "%s\"%s\": {", first ? "" : ", ", k->obj);
				obj = k->obj;
				first = 0;
				inner = 1;
			}
			fputs((obj != NULL ? inner : first) ? "" : ", ", f);
			inner = first = 0;
			fprintf(f, "\"%s\": ", k->json);
			json_value(f, k, &t->cell[r * t->ncol + c]);
		}
	fputs(obj != NULL ? "}}" : "}", f);
}

void
rows_json(const struct rows *t, FILE *f, int indent)
{
	size_t r;

	fputc('[', f);
	for (r = 0; r < t->n; r++) {
		fprintf(f, "%s\n%*s", r > 0 ? "," : "", indent, "");
		json_row(t, f, r);
	}
	if (t->n > 0)
		fprintf(f, "\n%*s", indent - 2, "");
	fputc(']', f);
}

void
rows_print(const struct rows *t, int format, FILE *f)
{
	if (format == FMT_CSV)
		rows_csv(t, f);
	else if (format == FMT_JSON) {
		rows_json(t, f, 2);
		fputc('\n', f);
	} else
		rows_table(t, f);
}

size_t
nagios_text(char *buf, size_t len, const char *s)
{
	return text_escape(buf, len, s, "|");
}

size_t
nagios_label(char *buf, size_t len, const char *s)
{
	char e[4096];
	const char *p;
	size_t o = 0;

	if (len < 3) {
		if (len > 0)
			buf[0] = '\0';
		return 0;
	}
	text_escape(e, sizeof(e), s, "=|");
	buf[o++] = '\'';
	for (p = e; *p != '\0' && o + 2 < len; p++) {	/* room for it, ' and NUL */
		if (*p == '\'') {
			if (o + 3 >= len)
				break;
			buf[o++] = '\'';
		}
		buf[o++] = *p;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return o;
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
