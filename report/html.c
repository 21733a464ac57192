/*
 * daily --format html: one self-contained page, XHTML (polyglot HTML5:
 * well-formed XML that browsers also read as HTML).  No scripts, no links,
 * no fonts or style sheets from elsewhere: it has to open the same way from
 * a mail attachment in ten years.  Per host x group, an inline SVG chart of
 * the day's non-zero states, the config's above/below thresholds as dashed
 * lines; the daily tables come in as cmd_daily built them.
 *
 * A day of 1 s samples is 86400 points a state: the chart keeps, per pixel
 * column, the lowest and the highest sample in the order they came, so a
 * spike survives and the file stays small.  A gap of more than max_gap (the
 * collector was down) breaks the line: nothing is drawn where nothing was
 * measured.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcptally/timeutil.h"
#include "query.h"
#include "render.h"

/* Geometry of a chart, in SVG user units (= CSS px at 100%). */
#define CH_W		1100
#define CH_ML		64		/* left margin: y tick labels */
#define CH_MR		16
#define CH_MT		12
#define CH_PH		280		/* plot height */
#define CH_PW		(CH_W - CH_ML - CH_MR)
#define CH_LEGEND	(CH_MT + CH_PH + 46)	/* first legend row's baseline */
#define CH_ROW		20

static const char *const state_colour[TT_NSTATES + 1] = {
	NULL, "#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#ff7f0e",
	"#bcbd22", "#d62728", "#17becf", "#2ca02c", "#8a8a2e",
};

/* One vertex of a line: a sample; move starts a segment. */
struct cvertex {
	int64_t		 ts;
	double		 v;
	int		 move;
};

#define CH_MAXLINES	(TT_NSTATES + TT_NKSTATS)
#define CH_MAXMARKS	16

/* A legend entry, and a dashed horizontal line (a threshold). */
struct centry {
	char		 label[96];
	const char	*colour;
	int		 bold;
};
struct cmark {
	double		 v;
	char		 text[TT_NAME_MAX + 96];	/* "name: what > limit for 5m" */
	int		 critical;
};

struct chart {
	int64_t		 from, to;		/* the day, [from, to) */
	int64_t		 max_gap;		/* a longer gap breaks the lines */
	int		 ph;			/* plot height */
	double		 ymax, ystep, peak;
	int		 decimals;		/* of the y labels */
	int		 integral;		/* whole ticks only (counts) */
	double		 cap;			/* no value is above it (a fill: 100%); 0 none */
	const char	*unit;			/* after the y labels: "", "%", "/s" */
	struct centry	 line[CH_MAXLINES];
	size_t		 nline;
	struct cmark	 mark[CH_MAXMARKS];
	size_t		 nmark;
	char		 tzname[16];
};

static int
highlighted(int st)
{
	return st == TT_CLOSE_WAIT || st == TT_TIME_WAIT;
}

/*
 * Text for XML.  A name that is not clean UTF-8 (an old or edited database)
 * has its odd bytes written as \xNN: XML allows neither raw invalid bytes
 * nor C0 control characters, not even as character references.
 */
void
html_text(FILE *f, const char *s)
{
	int raw = !text_printable(s, strlen(s));

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '&')
			fputs("&amp;", f);
		else if (ch == '<')
			fputs("&lt;", f);
		else if (ch == '>')
			fputs("&gt;", f);
		else if (ch == '"')
			fputs("&quot;", f);
		else if (ch == '\'')
			fputs("&#39;", f);
		else if (ch < 0x20 || ch == 0x7f || (raw && ch >= 0x80))
			fprintf(f, "\\x%02x", ch);
		else
			fputc(ch, f);
	}
}

void
html_begin(FILE *f, const char *date, int64_t from, int64_t to, size_t samples)
{
	char a[32], b[32];

	fputs("<!DOCTYPE html>\n"
	    "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">\n"
	    "<head>\n<meta charset=\"utf-8\"/>\n<title>tcptally daily report ", f);
	html_text(f, date);
	fputs("</title>\n<style>\n"
	    "body { font-family: 'DejaVu Sans', Verdana, sans-serif; color: #222;\n"
	    "  margin: 20px 28px; max-width: 1120px; }\n"
	    "h1 { font-size: 22px; margin: 0 0 4px 0; }\n"
	    "h2 { font-size: 17px; margin: 28px 0 8px 0; padding-bottom: 3px;\n"
	    "  border-bottom: 1px solid #ccc; }\n"
	    "h3 { font-size: 14px; margin: 18px 0 4px 0; }\n"
	    "p { font-size: 13px; margin: 4px 0; }\n"
	    "p.meta { color: #555; }\n"
	    "svg { display: block; max-width: 100%; height: auto; }\n"
	    "table { border-collapse: collapse; font-size: 12px; }\n"
	    "th, td { padding: 3px 10px; border-bottom: 1px solid #e2e2e2; text-align: left;\n"
	    "  white-space: nowrap; }\n"
	    "th { background: #f2f2f2; border-bottom: 1px solid #bbb; }\n"
	    "td.num { text-align: right; font-variant-numeric: tabular-nums; }\n"
	    "tr.hot td { color: #a0001c; }\n"
	    "</style>\n</head>\n<body>\n<h1>tcptally daily report: ", f);
	html_text(f, date);
	fprintf(f, "</h1>\n<p class=\"meta\">Local day %s .. %s (UTC), %zu samples. "
	    "Charts in local time; table times in UTC. tcptally-report %s.</p>\n",
	    fmt_time(from, a, sizeof(a)), fmt_time(to, b, sizeof(b)), samples,
	    TT_VERSION_STRING);
}

void
html_end(FILE *f)
{
	fputs("</body>\n</html>\n", f);
}

void
html_heading(FILE *f, const char *text)
{
	fputs("<h2>", f);
	html_text(f, text);
	fputs("</h2>\n", f);
}

void
html_para(FILE *f, const char *text)
{
	fputs("<p>", f);
	html_text(f, text);
	fputs("</p>\n", f);
}

/* Rows as a table shows them, under their headings.  A critical firing's
 * row is marked. */
void
html_rows(FILE *f, const struct rows *t)
{
	char buf[TT_HOST_MAX * 2 + 8];	/* a number, or a source's label */
	size_t r, c;
	int hot;

	fputs("<table>\n<tr>", f);
	for (c = 0; c < t->ncol; c++)
		if (rows_shown(t, c, FMT_TABLE)) {
			fputs("<th>", f);
			html_text(f, t->col[c].head);
			fputs("</th>", f);
		}
	fputs("</tr>\n", f);
	for (r = 0; r < t->n; r++) {
		if (t->flags[r] & ROW_NOT_IN_TABLE)
			continue;
		for (c = 0, hot = 0; c < t->ncol; c++)
			hot |= rows_shown(t, c, FMT_TABLE) &&
			    strcmp(rows_text(t, r, c, buf, sizeof(buf)), "critical") == 0;
		fputs(hot ? "<tr class=\"hot\">" : "<tr>", f);
		for (c = 0; c < t->ncol; c++) {
			if (!rows_shown(t, c, FMT_TABLE))
				continue;
			fputs(t->col[c].right ? "<td class=\"num\">" : "<td>", f);
			html_text(f, rows_text(t, r, c, buf, sizeof(buf)));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
}

/*
 * One line, downsampled: pure.  Values go into `cols` equal columns of
 * [from, to); each column gives its lowest and highest value in time order
 * (one vertex when they are the same one).  A gap longer than max_gap (0:
 * none) between consecutive values starts a new segment (move).  A vertex
 * at the height of the two before it replaces the last of them, so a flat
 * stretch costs two vertices.  out holds 2 n; returns the count.
 */
static size_t
chart_line(const struct obs *p, size_t n, int64_t from, int64_t to, int cols,
    int64_t max_gap, struct cvertex *out)
{
	size_t i, k = 0, lo = 0, hi = 0, seg = 0, a, b;
	int64_t col, cur = -1;
	int move = 1, open = 0;

	for (i = 0; i <= n; i++) {
		int gap = i > 0 && i < n && max_gap > 0 && p[i].ts - p[i - 1].ts > max_gap;

		col = i < n ? (p[i].ts - from) * cols / (to - from) : -2;
		if (open && (i == n || gap || col != cur)) {
			a = lo < hi ? lo : hi;
			b = lo < hi ? hi : lo;
			for (; a <= b; a = a == b ? b + 1 : b) {
				struct cvertex v = { p[a].ts, p[a].v, move };

				if (!move && k >= seg + 2 && out[k - 1].v == v.v &&
				    out[k - 2].v == v.v)
					out[k - 1] = v;
				else {
					if (move)
						seg = k;
					out[k++] = v;
				}
				move = 0;
			}
			open = 0;
		}
		if (i == n)
			break;
		if (gap)
			move = 1;
		if (!open) {
			cur = col;
			lo = hi = i;
			open = 1;
		}
		if (p[i].v < p[lo].v)
			lo = i;
		if (p[i].v > p[hi].v)
			hi = i;
	}
	return k;
}

/* A round tick step (1, 2, 5 x 10^k) giving at most `ticks` steps up to max > 0,
 * and how many decimals its labels need. */
static double
nice_step(double max, int ticks, int *decimals)
{
	static const double mult[] = { 1, 2, 5 };
	double base = 1;
	int i, d = 0;

	while (base * ticks > max && base > 1e-9) {
		base /= 10;
		d++;
	}
	for (;;) {
		for (i = 0; i < 3; i++)
			if (base * mult[i] * ticks >= max) {
				*decimals = d;
				return base * mult[i];
			}
		base *= 10;
		if (d > 0)
			d--;
	}
}

/* Coordinates with at most one decimal, no trailing ".0". */
static void
coord(FILE *f, double v)
{
	long t = (long)(v * 10.0 + (v < 0 ? -0.5 : 0.5));

	if (t % 10 == 0)
		fprintf(f, "%ld", t / 10);
	else
		fprintf(f, "%s%ld.%ld", t < 0 && t > -10 ? "-" : "", t / 10, labs(t % 10));
}

static double
x_of(const struct chart *c, int64_t ts)
{
	return CH_ML + (double)(ts - c->from) * CH_PW / (double)(c->to - c->from);
}

static double
y_of(const struct chart *c, double v)
{
	return CH_MT + c->ph - v * c->ph / c->ymax;
}

/*
 * The y range: the data's peak, and the marks unless one is so far above it
 * that the data would be squashed flat (those are listed under the chart).
 * min_top: the least top (1 for counts, 100 for a fill in %).
 */
static void
chart_scale(struct chart *c, double min_top)
{
	double top = c->peak;
	size_t i;

	for (i = 0; i < c->nmark; i++)
		if (c->mark[i].v > top && (c->peak == 0 || c->mark[i].v <= 4 * c->peak))
			top = c->mark[i].v;
	if (top < min_top)
		top = min_top;
	if (top <= 0)
		top = 1;
	c->ystep = nice_step(top, 6, &c->decimals);
	if (c->integral && c->ystep < 1) {
		c->ystep = 1;
		c->decimals = 0;
	}
	c->ymax = ceil(top / c->ystep - 1e-9) * c->ystep;
	if (c->ymax <= top && top == c->peak)	/* room above the peak */
		c->ymax += c->ystep;
	if (c->cap > 0 && c->ymax > c->cap && top <= c->cap)
		c->ymax = c->cap;
}

static void
chart_axes(FILE *f, const struct chart *c)
{
	char lab[8];
	struct tm tm;
	time_t t;
	int64_t k, hours = (c->to - c->from + 1800) / 3600;
	double x, y, v;
	int i;

	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fcfcfc\" "
	    "stroke=\"#999\"/>\n", CH_ML, CH_MT, CH_PW, c->ph);
	fputs("<g font-size=\"12\" fill=\"#333\">\n", f);
	for (i = 0; (v = i * c->ystep) <= c->ymax * (1 + 1e-9); i++) {
		y = y_of(c, v);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"", CH_ML - 4, CH_ML + CH_PW);
		coord(f, y);
		fputs("\" y2=\"", f);
		coord(f, y);
		fprintf(f, "\" stroke=\"%s\"/><text x=\"%d\" y=\"", i ? "#e4e4e4" : "#999",
		    CH_ML - 7);
		coord(f, y + 4);
		fprintf(f, "\" text-anchor=\"end\">%.*f%s</text>\n", c->decimals, v, c->unit);
	}
	for (k = 0; k <= hours; k++) {
		t = (time_t)(k == hours ? c->to : c->from + k * 3600);
		if (k == hours)
			snprintf(lab, sizeof(lab), "24");
		else if (localtime_r(&t, &tm) == NULL || strftime(lab, sizeof(lab), "%H", &tm) == 0)
			snprintf(lab, sizeof(lab), "?");
		x = x_of(c, (int64_t)t);
		fputs("<line x1=\"", f);
		coord(f, x);
		fputs("\" x2=\"", f);
		coord(f, x);
		fprintf(f, "\" y1=\"%d\" y2=\"%d\" stroke=\"%s\"/><text x=\"", CH_MT,
		    CH_MT + c->ph + 4, k % 6 ? "#eeeeee" : "#d8d8d8");
		coord(f, x);
		fprintf(f, "\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", CH_MT + c->ph + 17,
		    lab);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">"
	    "hour of the day (local time, %s)</text>\n</g>\n", CH_ML + CH_PW / 2,
	    CH_MT + c->ph + 33, c->tzname);
}

/* One line's path. */
static void
chart_path(FILE *f, const struct chart *c, const struct obs *o, size_t n, const char *colour,
    int bold, struct cvertex *vx)
{
	size_t i, k = chart_line(o, n, c->from, c->to, CH_PW, c->max_gap, vx);

	fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
	    "stroke-linejoin=\"round\" stroke-linecap=\"round\" d=\"", colour,
	    bold ? "2.6" : "1.3");
	for (i = 0; i < k; i++) {
		fputs(vx[i].move ? (i ? " M" : "M") : " ", f);
		coord(f, x_of(c, vx[i].ts));
		fputc(' ', f);
		coord(f, y_of(c, vx[i].v));
		/* a lone sample between gaps: a dot (round cap) */
		if (vx[i].move && (i + 1 == k || vx[i + 1].move))
			fputs(" h0.01", f);
	}
	fputs("\"/>\n", f);
}

/* The dashed lines of the marks on the scale, labelled at the right. */
static void
chart_marks(FILE *f, const struct chart *c)
{
	const char *colour;
	double y;
	size_t i;

	for (i = 0; i < c->nmark; i++) {
		if (c->mark[i].v > c->ymax)
			continue;
		colour = c->mark[i].critical ? "#b00020" : "#b36b00";
		y = y_of(c, c->mark[i].v);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"", CH_ML, CH_ML + CH_PW);
		coord(f, y);
		fputs("\" y2=\"", f);
		coord(f, y);
		fprintf(f, "\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"7 5\"/>\n"
		    "<text x=\"%d\" y=\"", colour, CH_ML + CH_PW - 6);
		coord(f, y < CH_MT + 16 ? y + 14 : y - 5);
		fprintf(f, "\" text-anchor=\"end\" font-size=\"12\" font-weight=\"bold\" "
		    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">", colour);
		html_text(f, c->mark[i].text);
		fprintf(f, " (%s)</text>\n", c->mark[i].critical ? "critical" : "warning");
	}
}

/* Legend rows under the axis (f NULL: only measure); returns the SVG's height. */
static int
chart_legend(FILE *f, const struct chart *c)
{
	int x = CH_ML, y = CH_MT + c->ph + 46, w;
	size_t i;

	if (f != NULL)
		fputs("<g font-size=\"12\">\n", f);
	for (i = 0; i < c->nline; i++) {
		w = 28 + (int)strlen(c->line[i].label) * 8 + 20;
		if (x + w > CH_W && x > CH_ML) {
			x = CH_ML;
			y += CH_ROW;
		}
		if (f != NULL) {
			fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
			    "stroke-width=\"%s\"/><text x=\"%d\" y=\"%d\"%s>", x, x + 22, y - 4,
			    y - 4, c->line[i].colour, c->line[i].bold ? "4" : "2", x + 28, y,
			    c->line[i].bold ? " font-weight=\"bold\"" : "");
			html_text(f, c->line[i].label);
			fputs("</text>\n", f);
		}
		x += w;
	}
	if (f != NULL)
		fputs("</g>\n", f);
	return y + 10;
}

/* The zone's name over the day: "UTC", or "CEST/CET" on the day DST ends. */
static void
tz_names(int64_t from, int64_t to, char *buf, size_t len)
{
	char a[8], b[8];
	struct tm tm;
	time_t t0 = (time_t)from, t1 = (time_t)(to - 1);

	if (localtime_r(&t0, &tm) == NULL || strftime(a, sizeof(a), "%Z", &tm) == 0 ||
	    localtime_r(&t1, &tm) == NULL || strftime(b, sizeof(b), "%Z", &tm) == 0)
		snprintf(buf, len, "local");
	else if (strcmp(a, b) == 0)
		snprintf(buf, len, "%s", a);
	else
		snprintf(buf, len, "%s/%s", a, b);
}

/* The heading (host / what) and the SVG's start, its axes drawn. */
static void
chart_open(FILE *f, struct chart *c, const char *host, const char *what, double min_top)
{
	int h;

	tz_names(c->from, c->to, c->tzname, sizeof(c->tzname));
	chart_scale(c, min_top);
	fputs("<h3>", f);
	html_text(f, host);
	fputs(" / ", f);
	html_text(f, what);
	h = chart_legend(NULL, c);
	fprintf(f, "</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"'DejaVu Sans', Verdana, sans-serif\" "
	    "role=\"img\">\n", CH_W, h, CH_W, h);
	chart_axes(f, c);
}

/* The marks, a note when nothing was drawn, the legend, the SVG's end. */
static void
chart_close(FILE *f, const struct chart *c, const char *empty)
{
	chart_marks(f, c);
	if (c->nline == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
		    "fill=\"#555\">%s</text>\n", CH_ML + CH_PW / 2, CH_MT + c->ph / 2, empty);
	chart_legend(f, c);
	fputs("</svg>\n", f);
}

/* A growth rate in the unit that reads best: 100/min rather than 1.67/s. */
static const char *
rate_text(double per_sec, char *buf, size_t len)
{
	if (per_sec >= 1.0)
		snprintf(buf, len, "%.3g/s", per_sec);
	else if (per_sec * 60.0 >= 1.0)
		snprintf(buf, len, "%.3g/min", per_sec * 60.0);
	else
		snprintf(buf, len, "%.3g/h", per_sec * 3600.0);
	return buf;
}

/* A threshold as a mark's text: "tw-flood: TIME_WAIT > 500 for 5m". */
static void
mark_text(char *buf, size_t len, const struct threshold *th, const char *value)
{
	char d[32];

	d[0] = '\0';
	if (th->for_secs > 0) {
		memcpy(d, " for ", 6);
		duration_format(th->for_secs, d + 5, sizeof(d) - 5);
	}
	snprintf(buf, len, "%s: %s%s", th->name, value, d);
}

/* A count threshold drawn on group s's chart. */
static int
count_line(const struct threshold *th, const struct series *s)
{
	return th->kind == TH_COUNT && strcmp(th->group, s->group) == 0 &&
	    (th->has_above || th->has_below);
}

/* Under the chart: its group's growth thresholds, and lines off the scale. */
static void
chart_notes(FILE *f, const struct chart *c, const struct series *s,
    const struct threshold *th, size_t nth)
{
	char d[32], rate[32];
	size_t i;

	for (i = 0; i < nth; i++) {
		if (th[i].kind != TH_COUNT || strcmp(th[i].group, s->group) != 0)
			continue;
		if (th[i].has_growth) {
			fputs("<p>growth threshold ", f);
			html_text(f, th[i].name);
			duration_format(th[i].window, d, sizeof(d));
			fprintf(f, " (%s): %s rising %s or faster over %s</p>\n",
			    th[i].severity == SEV_CRITICAL ? "critical" : "warning",
			    state_name(th[i].state), rate_text(th[i].growth, rate, sizeof(rate)), d);
		}
	}
	for (i = 0; i < c->nmark; i++)
		if (c->mark[i].v > c->ymax) {
			fputs("<p>above the chart's scale: threshold ", f);
			html_text(f, c->mark[i].text);
			fputs("</p>\n", f);
		}
}

/*
 * The chart of one host x group's states over the local day [from, to),
 * with the config's count thresholds on that group: the states not 0 all
 * day, CLOSE_WAIT and TIME_WAIT bold and last, so on top. 0, or -1 out of
 * memory.
 */
int
html_chart(FILE *f, const struct series *s, int64_t from, int64_t to, int64_t max_gap,
    const struct threshold *th, size_t nth)
{
	struct chart c = { .from = from, .to = to, .max_gap = max_gap, .ph = CH_PH, .unit = "",
	    .integral = 1 };
	uint64_t speak[TT_NSTATES + 1] = { 0 };
	int order[TT_NSTATES], pass, st;
	char v[64];
	struct cvertex *vx;
	struct obs *o;
	size_t i, j;

	for (i = 0; i < s->n; i++)
		for (st = 1; st <= TT_NSTATES; st++)
			if (s->p[i].count[st] > speak[st])
				speak[st] = s->p[i].count[st];
	for (pass = 0; pass < 2; pass++)
		for (st = 1; st <= TT_NSTATES; st++)
			if (speak[st] > 0 && highlighted(st) == pass) {
				order[c.nline] = st;
				snprintf(c.line[c.nline].label, sizeof(c.line[0].label),
				    "%s (peak %llu)", state_name(st), (unsigned long long)speak[st]);
				c.line[c.nline].colour = state_colour[st];
				c.line[c.nline++].bold = highlighted(st);
				if ((double)speak[st] > c.peak)
					c.peak = (double)speak[st];
			}
	for (i = 0; i < nth && c.nmark < CH_MAXMARKS; i++) {
		if (!count_line(&th[i], s))
			continue;
		snprintf(v, sizeof(v), "%s %s %lld", state_name(th[i].state),
		    th[i].has_above ? ">" : "<",
		    (long long)(th[i].has_above ? th[i].above : th[i].below));
		c.mark[c.nmark].v = (double)(th[i].has_above ? th[i].above : th[i].below);
		c.mark[c.nmark].critical = th[i].severity == SEV_CRITICAL;
		mark_text(c.mark[c.nmark++].text, sizeof(c.mark[0].text), &th[i], v);
	}
	vx = calloc(2 * s->n + 2, sizeof(*vx));
	o = calloc(s->n + 1, sizeof(*o));
	if (vx == NULL || o == NULL) {
		free(vx);
		free(o);
		return -1;
	}
	chart_open(f, &c, s->host, s->group, 1);
	for (j = 0; j < c.nline; j++) {
		for (i = 0; i < s->n; i++) {
			o[i].ts = s->p[i].ts;
			o[i].v = (double)s->p[i].count[order[j]];
		}
		chart_path(f, &c, o, s->n, c.line[j].colour, c.line[j].bold, vx);
	}
	chart_close(f, &c, "every state was 0 all day");
	free(vx);
	free(o);
	chart_notes(f, &c, s, th, nth);
	return 0;
}

/* Colours for lines that are not states: groups, counters. */
static const char *const palette[] = {
	"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
	"#17becf", "#bcbd22", "#7f7f7f",
};
#define NPALETTE	(sizeof(palette) / sizeof(palette[0]))

int
html_chart_fill(FILE *f, const struct series *const *s, size_t n, int64_t from, int64_t to,
    int64_t max_gap, const struct threshold *th, size_t nth)
{
	struct chart c = { .from = from, .to = to, .max_gap = max_gap, .ph = 160, .unit = "%",
	    .cap = 100 };
	const struct series *shown[CH_MAXLINES];
	struct cvertex *vx = NULL;
	struct obs *o = NULL;
	char v[64];
	size_t i, j, k, most = 0;
	double peak;

	for (i = 0; i < n && c.nline < CH_MAXLINES; i++) {
		for (j = 0, peak = 0; j < s[i]->n; j++)
			if (s[i]->p[j].lq.have && s[i]->p[j].lq.max_fill > peak)
				peak = s[i]->p[j].lq.max_fill;
		if (peak <= 0)
			continue;
		shown[c.nline] = s[i];
		snprintf(c.line[c.nline].label, sizeof(c.line[0].label), "%s (peak %.0f%%)",
		    s[i]->group, peak * 100.0);
		c.line[c.nline].colour = palette[c.nline % NPALETTE];
		c.line[c.nline++].bold = strcmp(s[i]->group, "all") != 0;
		if (peak * 100.0 > c.peak)
			c.peak = peak * 100.0;
		if (s[i]->n > most)
			most = s[i]->n;
	}
	if (c.nline == 0)
		return 0;	/* no queue held a connection: nothing to draw */
	for (i = 0; i < nth && c.nmark < CH_MAXMARKS; i++) {
		for (k = 0; k < c.nline; k++)
			if (strcmp(th[i].group, shown[k]->group) == 0)
				break;
		if (th[i].kind != TH_FILL || k == c.nline)
			continue;
		snprintf(v, sizeof(v), "%s LISTEN fill > %.0f%%", th[i].group, th[i].limit * 100.0);
		c.mark[c.nmark].v = th[i].limit * 100.0;
		c.mark[c.nmark].critical = th[i].severity == SEV_CRITICAL;
		mark_text(c.mark[c.nmark++].text, sizeof(c.mark[0].text), &th[i], v);
	}
	if ((vx = calloc(2 * most + 2, sizeof(*vx))) == NULL ||
	    (o = calloc(most + 1, sizeof(*o))) == NULL) {
		free(vx);
		return -1;
	}
	chart_open(f, &c, s[0]->host, "the fullest accept queue of each group", 100);
	for (k = 0; k < c.nline; k++) {
		for (i = 0, j = 0; i < shown[k]->n; i++)
			if (shown[k]->p[i].lq.have) {
				o[j].ts = shown[k]->p[i].ts;
				o[j++].v = shown[k]->p[i].lq.max_fill * 100.0;
			}
		chart_path(f, &c, o, j, c.line[k].colour, c.line[k].bold, vx);
	}
	chart_close(f, &c, "");
	free(vx);
	free(o);
	return 0;
}

int
html_chart_rates(FILE *f, const struct series *ks, int64_t from, int64_t to, int64_t max_gap,
    const struct threshold *th, size_t nth)
{
	struct cvertex *vx;
	struct obs *o;
	char v[64], what[96], rate[32];
	size_t i, j, n;
	int stat, drawn = 0;

	vx = calloc(2 * ks->nk + 2, sizeof(*vx));
	o = calloc(ks->nk + 1, sizeof(*o));
	if (vx == NULL || o == NULL) {
		free(vx);
		free(o);
		return -1;
	}
	for (stat = 0; stat < TT_NKSTATS; stat++) {
		struct chart c = { .from = from, .to = to, .max_gap = max_gap, .ph = 120,
		    .unit = "/s" };

		if (kstat_kind(stat) != KS_COUNTER)
			continue;
		for (i = 1, n = 0; i < ks->nk; i++)
			if (!isnan(o[n].v = kernel_rate(ks->k, i, stat))) {
				o[n++].ts = ks->k[i].ts;
				if (o[n - 1].v > c.peak)
					c.peak = o[n - 1].v;
			}
		if (c.peak <= 0)
			continue;	/* the rates that were not 0 */
		snprintf(c.line[0].label, sizeof(c.line[0].label), "%s (peak %s)",
		    kstat_name(stat), rate_text(c.peak, rate, sizeof(rate)));
		c.line[0].colour = palette[drawn++ % NPALETTE];
		c.nline = 1;
		for (j = 0; j < nth && c.nmark < CH_MAXMARKS; j++) {
			if (th[j].kind != TH_RATE || th[j].metric != stat)
				continue;
			snprintf(v, sizeof(v), "%s rate > %.3g/s", kstat_name(stat), th[j].limit);
			c.mark[c.nmark].v = th[j].limit;
			c.mark[c.nmark].critical = th[j].severity == SEV_CRITICAL;
			mark_text(c.mark[c.nmark++].text, sizeof(c.mark[0].text), &th[j], v);
		}
		snprintf(what, sizeof(what), "%s per second", kstat_name(stat));
		chart_open(f, &c, ks->host, what, 0);
		chart_path(f, &c, o, n, c.line[0].colour, 1, vx);
		chart_close(f, &c, "");
	}
	free(vx);
	free(o);
	return drawn;
}
