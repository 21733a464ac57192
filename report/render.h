/* The report's output: tables, CSV, JSON, sparklines (render.c), the HTML page (html.c). */
#ifndef REPORT_RENDER_H
#define REPORT_RENDER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcptally/config.h"
#include "series.h"

enum { FMT_TABLE, FMT_CSV, FMT_JSON, FMT_OPENMETRICS, FMT_HTML };

/*
 * render.c: the one output layer. A command describes its columns once and
 * builds its rows once; rows_print shows them as an aligned table, CSV or
 * JSON (and html.c as an HTML table). A column says how it shows in each
 * format: its table heading, CSV header and JSON member (NULL: not in that
 * format), and for numbers their printf format.
 */
enum { COL_TEXT, COL_INT, COL_REAL, COL_NUM, COL_TIME, COL_CLOCK, COL_HOST };
/* COL_REAL: fmt/tfmt printf it; COL_NUM: 12 or 12.5 (fmt_num);
 * COL_TIME: ISO UTC in tables and CSV, unix seconds in JSON;
 * COL_CLOCK: the same, but only HH:MM:SS (UTC) in tables;
 * COL_HOST: a host and its network namespace (cell_host): in tables the
 * series label, NAME or NAME/NETNS, a long NETNS shortened in its middle;
 * in JSON "host": NAME, "netns": NETNS; in CSV the host's name, and after
 * it a netns column when some row is of a namespace other than 'host'. */

struct column {
	const char	*head;		/* table heading; NULL: not in tables */
	const char	*csv;		/* CSV header; NULL: not in CSV */
	const char	*json;		/* JSON member; NULL: not in JSON */
	int		 type;		/* COL_* */
	const char	*tfmt;		/* COL_REAL in tables, e.g. "%.1f" */
	const char	*fmt;		/* COL_REAL in CSV and JSON, e.g. "%.2f" */
	int		 right;		/* right-aligned in tables */
	const char	*obj;		/* JSON: inside this member's object ("counts") */
	int		 jfirst;	/* JSON: before the other members */
};

/* One value; null shows as n/a, an empty CSV field, JSON null. */
struct cell {
	int		 null;
	const char	*s;		/* COL_TEXT */
	int64_t		 i;		/* COL_INT, COL_TIME */
	double		 d;		/* COL_REAL, COL_NUM */
	const char	*ns;		/* COL_HOST: the netns label; NULL: 'host' */
};

#define ROW_NOT_IN_TABLE	0x1	/* left out of tables (e.g. all zero) */

struct rows {
	const struct column *col;
	size_t		 ncol;
	uint64_t	 hide;		/* bit c: column c left out (e.g. one host) */
	struct cell	*cell;		/* n rows of ncol, texts copied */
	int		*flags;		/* ROW_* per row */
	size_t		 n, cap;
	size_t		 ntable;	/* rows shown in tables */
};

struct cell	 cell_text(const char *s);
struct cell	 cell_int(int64_t v);
struct cell	 cell_real(double v);
struct cell	 cell_null(void);
struct cell	 cell_host(const char *name, const char *netns);
/* A source's label as a table shows it: NAME, or NAME/NETNS with a long NETNS cut. */
const char	*host_label(const char *name, const char *netns, char *buf, size_t len);
void		 rows_init(struct rows *t, const struct column *col, size_t ncol);
/* ncol cells; -1 out of memory. */
int		 rows_add(struct rows *t, const struct cell *row, int flags);
void		 rows_free(struct rows *t);
void		 rows_table(const struct rows *t, FILE *f);
void		 rows_csv(const struct rows *t, FILE *f);	/* with its header */
/* [{...}, ...] with each row on its own line, indented; no newline after. */
void		 rows_json(const struct rows *t, FILE *f, int indent);
/* As the format wants: table, CSV, or a JSON array and a newline. */
void		 rows_print(const struct rows *t, int format, FILE *f);
/* The text of row r, column c, as a table shows it. */
const char	*rows_text(const struct rows *t, size_t r, size_t c, char *buf, size_t len);
int		 rows_shown(const struct rows *t, size_t c, int format);

/* Names for Nagios: a finding line's (control characters and '|' as \xNN) ... */
size_t		 nagios_text(char *buf, size_t len, const char *s);
/* ... and a perfdata label, quoted: '' for a quote, '=' and '|' as \xNN too. */
size_t		 nagios_label(char *buf, size_t len, const char *s);
void		 json_string(FILE *f, const char *s);
void		 csv_field(FILE *f, const char *s);
const char	*sparkline(const double *v, size_t n, char *buf, size_t len);
const char	*fmt_time(int64_t ts, char *buf, size_t len);	/* UTC ISO */
const char	*fmt_num(double v, char *buf, size_t len);
/* cur's change against before's average: "+12.5 (+8.3%)", "n/a". */
const char	*fmt_change(double cur, const struct summary *before, char *buf, size_t len);

/* html.c: daily --format html, one self-contained XHTML page */
void		 html_text(FILE *f, const char *s);	/* escaped for XML */
void		 html_begin(FILE *f, const char *date, int64_t from, int64_t to,
		     size_t samples);
void		 html_heading(FILE *f, const char *text);
void		 html_para(FILE *f, const char *text);
void		 html_rows(FILE *f, const struct rows *t);
int		 html_chart(FILE *f, const struct series *s, int64_t from, int64_t to,
		     int64_t max_gap, const struct threshold *th, size_t nth);
/* One host's fullest accept queue per group (series of that host), in %: the
 * groups whose queues held a connection; 0 (nothing drawn), or -1. */
int		 html_chart_fill(FILE *f, const struct series *const *s, size_t n, int64_t from,
		     int64_t to, int64_t max_gap, const struct threshold *th, size_t nth);
/* A small chart per counter of the host's kernel series ks whose rate was not
 * 0: how many, or -1 out of memory. */
int		 html_chart_rates(FILE *f, const struct series *ks, int64_t from, int64_t to,
		     int64_t max_gap, const struct threshold *th, size_t nth);
void		 html_end(FILE *f);

#endif
