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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tcptally/timeutil.h"
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

/* One vertex of a state's line: a sample; move starts a segment. */
struct cvertex {
	int64_t		 ts;
	uint64_t	 v;
	int		 move;
};

struct chart {
	int64_t		 from, to;		/* the day, [from, to) */
	int64_t		 max_gap;		/* a longer gap breaks the lines */
	int64_t		 ymax, ystep, peak;
	int		 show[TT_NSTATES + 1];	/* drawn: not 0 all day */
	uint64_t	 speak[TT_NSTATES + 1];	/* each state's peak */
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
	char buf[64];
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
 * The line of one state, downsampled: pure.  Points go into `cols` equal
 * columns of [from, to); each column gives its lowest and highest sample in
 * time order (one vertex when they are the same sample).  A gap longer than
 * max_gap (0: none) between consecutive points starts a new segment (move).
 * A vertex at the height of the two before it replaces the last of them,
 * so a flat stretch costs two vertices.  out holds 2 n; returns the count.
 */
static size_t
chart_line(const struct point *p, size_t n, int st, int64_t from, int64_t to, int cols,
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
				struct cvertex v = { p[a].ts, p[a].count[st], move };

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
		if (p[i].count[st] < p[lo].count[st])
			lo = i;
		if (p[i].count[st] > p[hi].count[st])
			hi = i;
	}
	return k;
}

/* A round tick step (1, 2, 5 x 10^k) giving at most `ticks` steps up to max. */
static int64_t
nice_step(int64_t max, int ticks)
{
	static const int mult[] = { 2, 5, 10 };
	int64_t base = 1, step = 1;
	int i = 0;

	while (step * ticks < max) {
		step = base * mult[i];
		if (++i == 3) {
			i = 0;
			base *= 10;
		}
	}
	return step;
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
	return CH_MT + CH_PH - v * CH_PH / (double)c->ymax;
}

static int
threshold_line(const struct threshold *th, const struct series *s)
{
	return strcmp(th->group, s->group) == 0 && (th->has_above || th->has_below);
}

/* The y range: the data's peak, and the threshold lines unless one is so far
 * above it that the data would be squashed flat (those are listed instead). */
static void
chart_scale(struct chart *c, const struct series *s, const struct threshold *th, size_t nth)
{
	int64_t top = 0, v;
	size_t i;
	int st;

	for (i = 0; i < s->n; i++)
		for (st = 1; st <= TT_NSTATES; st++)
			if (c->show[st] && (int64_t)s->p[i].count[st] > top)
				top = (int64_t)s->p[i].count[st];
	c->peak = top;
	for (i = 0; i < nth; i++) {
		if (!threshold_line(&th[i], s))
			continue;
		v = th[i].has_above ? th[i].above : th[i].below;
		if (v > top && (c->peak == 0 || v <= 4 * c->peak))
			top = v;
	}
	if (top < 1)
		top = 1;
	c->ystep = nice_step(top, 6);
	c->ymax = (top + c->ystep - 1) / c->ystep * c->ystep;
	if (c->ymax == top && top == c->peak)	/* room above the peak */
		c->ymax += c->ystep;
}

static void
chart_axes(FILE *f, const struct chart *c)
{
	char lab[8];
	struct tm tm;
	time_t t;
	int64_t v, k, hours = (c->to - c->from + 1800) / 3600;
	double x, y;

	fprintf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fcfcfc\" "
	    "stroke=\"#999\"/>\n", CH_ML, CH_MT, CH_PW, CH_PH);
	fputs("<g font-size=\"12\" fill=\"#333\">\n", f);
	for (v = 0; v <= c->ymax; v += c->ystep) {
		y = y_of(c, (double)v);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"", CH_ML - 4, CH_ML + CH_PW);
		coord(f, y);
		fputs("\" y2=\"", f);
		coord(f, y);
		fprintf(f, "\" stroke=\"%s\"/><text x=\"%d\" y=\"", v ? "#e4e4e4" : "#999",
		    CH_ML - 7);
		coord(f, y + 4);
		fprintf(f, "\" text-anchor=\"end\">%lld</text>\n", (long long)v);
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
		    CH_MT + CH_PH + 4, k % 6 ? "#eeeeee" : "#d8d8d8");
		coord(f, x);
		fprintf(f, "\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", CH_MT + CH_PH + 17,
		    lab);
	}
	fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555\">"
	    "hour of the day (local time, %s)</text>\n</g>\n", CH_ML + CH_PW / 2,
	    CH_MT + CH_PH + 33, c->tzname);
}

static void
chart_state(FILE *f, const struct chart *c, const struct series *s, int st,
    struct cvertex *vx)
{
	size_t i, n = chart_line(s->p, s->n, st, c->from, c->to, CH_PW, c->max_gap, vx);

	fprintf(f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
	    "stroke-linejoin=\"round\" stroke-linecap=\"round\" d=\"", state_colour[st],
	    highlighted(st) ? "2.6" : "1.3");
	for (i = 0; i < n; i++) {
		fputs(vx[i].move ? (i ? " M" : "M") : " ", f);
		coord(f, x_of(c, vx[i].ts));
		fputc(' ', f);
		coord(f, y_of(c, vx[i].v));
		/* a lone sample between gaps: a dot (round cap) */
		if (vx[i].move && (i + 1 == n || vx[i + 1].move))
			fputs(" h0.01", f);
	}
	fputs("\"/>\n", f);
}

static void
threshold_text(FILE *f, const struct threshold *th)
{
	char d[32];

	html_text(f, th->name);
	fprintf(f, ": %s %s %lld", state_name(th->state), th->has_above ? "&gt;" : "&lt;",
	    (long long)(th->has_above ? th->above : th->below));
	if (th->for_secs > 0) {
		duration_format(th->for_secs, d, sizeof(d));
		fprintf(f, " for %s", d);
	}
}

static void
chart_thresholds(FILE *f, const struct chart *c, const struct series *s,
    const struct threshold *th, size_t nth)
{
	double y;
	size_t i;
	int64_t v;

	for (i = 0; i < nth; i++) {
		if (!threshold_line(&th[i], s))
			continue;
		v = th[i].has_above ? th[i].above : th[i].below;
		if (v > c->ymax)
			continue;
		y = y_of(c, (double)v);
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"", CH_ML, CH_ML + CH_PW);
		coord(f, y);
		fputs("\" y2=\"", f);
		coord(f, y);
		fprintf(f, "\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"7 5\"/>\n"
		    "<text x=\"%d\" y=\"", th[i].severity == SEV_CRITICAL ? "#b00020" : "#b36b00",
		    CH_ML + CH_PW - 6);
		coord(f, y < CH_MT + 16 ? y + 14 : y - 5);
		fprintf(f, "\" text-anchor=\"end\" font-size=\"12\" font-weight=\"bold\" "
		    "fill=\"%s\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">",
		    th[i].severity == SEV_CRITICAL ? "#b00020" : "#b36b00");
		threshold_text(f, &th[i]);
		fprintf(f, " (%s)</text>\n", th[i].severity == SEV_CRITICAL ? "critical" :
		    "warning");
	}
}

/* Legend rows under the axis (f NULL: only measure); returns the SVG's height. */
static int
chart_legend(FILE *f, const struct chart *c, const int *order, int nshow)
{
	char lab[64];
	int i, st, x = CH_ML, y = CH_LEGEND, w;

	if (f != NULL)
		fputs("<g font-size=\"12\">\n", f);
	for (i = 0; i < nshow; i++) {
		st = order[i];
		snprintf(lab, sizeof(lab), "%s (peak %llu)", state_name(st),
		    (unsigned long long)c->speak[st]);
		w = 28 + (int)strlen(lab) * 8 + 20;
		if (x + w > CH_W && x > CH_ML) {
			x = CH_ML;
			y += CH_ROW;
		}
		if (f != NULL)
			fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"%s\" "
			    "stroke-width=\"%s\"/><text x=\"%d\" y=\"%d\"%s>%s</text>\n", x,
			    x + 22, y - 4, y - 4, state_colour[st], highlighted(st) ? "4" : "2",
			    x + 28, y, highlighted(st) ? " font-weight=\"bold\"" : "", lab);
		x += w;
	}
	if (f != NULL)
		fputs("</g>\n", f);
	return y + 10;
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

/* Under the chart: its group's growth thresholds, and lines off the scale. */
static void
chart_notes(FILE *f, const struct chart *c, const struct series *s,
    const struct threshold *th, size_t nth)
{
	char d[32], rate[32];
	size_t i;

	for (i = 0; i < nth; i++) {
		if (strcmp(th[i].group, s->group) != 0)
			continue;
		if (th[i].has_growth) {
			fputs("<p>growth threshold ", f);
			html_text(f, th[i].name);
			duration_format(th[i].window, d, sizeof(d));
			fprintf(f, " (%s): %s rising %s or faster over %s</p>\n",
			    th[i].severity == SEV_CRITICAL ? "critical" : "warning",
			    state_name(th[i].state), rate_text(th[i].growth, rate, sizeof(rate)), d);
		} else if (threshold_line(&th[i], s) &&
		    (th[i].has_above ? th[i].above : th[i].below) > c->ymax) {
			fputs("<p>above the chart's scale: threshold ", f);
			threshold_text(f, &th[i]);
			fputs("</p>\n", f);
		}
	}
}

/* Which states to draw (not 0 all day), highlighted ones last so on top. */
static int
chart_states(struct chart *c, const struct series *s, int *order)
{
	int st, pass, nshow = 0;
	size_t i;

	memset(c->show, 0, sizeof(c->show));
	memset(c->speak, 0, sizeof(c->speak));
	for (i = 0; i < s->n; i++)
		for (st = 1; st <= TT_NSTATES; st++)
			if (s->p[i].count[st] > c->speak[st])
				c->speak[st] = s->p[i].count[st];
	for (pass = 0; pass < 2; pass++)
		for (st = 1; st <= TT_NSTATES; st++)
			if (c->speak[st] > 0 && highlighted(st) == pass) {
				c->show[st] = 1;
				order[nshow++] = st;
			}
	return nshow;
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

/*
 * The chart of one host x group over the local day [from, to), with the
 * config's thresholds on that group.  Returns 0, or -1 out of memory.
 */
int
html_chart(FILE *f, const struct series *s, int64_t from, int64_t to, int64_t max_gap,
    const struct threshold *th, size_t nth)
{
	struct chart c = { .from = from, .to = to, .max_gap = max_gap };
	struct cvertex *vx;
	int order[TT_NSTATES], nshow, h, i;

	tz_names(from, to, c.tzname, sizeof(c.tzname));
	nshow = chart_states(&c, s, order);
	chart_scale(&c, s, th, nth);
	if ((vx = calloc(2 * s->n + 2, sizeof(*vx))) == NULL)
		return -1;
	fputs("<h3>", f);
	html_text(f, s->host);
	fputs(" / ", f);
	html_text(f, s->group);
	h = chart_legend(NULL, &c, order, nshow);
	fprintf(f, "</h3>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" font-family=\"'DejaVu Sans', Verdana, sans-serif\" "
	    "role=\"img\">\n", CH_W, h, CH_W, h);
	chart_axes(f, &c);
	for (i = 0; i < nshow; i++)
		chart_state(f, &c, s, order[i], vx);
	chart_thresholds(f, &c, s, th, nth);
	if (nshow == 0)
		fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"14\" "
		    "fill=\"#555\">every state was 0 all day</text>\n", CH_ML + CH_PW / 2,
		    CH_MT + CH_PH / 2);
	chart_legend(f, &c, order, nshow);
	fputs("</svg>\n", f);
	free(vx);
	chart_notes(f, &c, s, th, nth);
	return 0;
}
