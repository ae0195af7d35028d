/* numabench analysis: charts as inline SVG (HTML) or as tables (text, Markdown). */
#include "an_chart.h"
#include "an_common.h"
#include "an_json.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Okabe-Ito: distinguishable with the common colour-vision deficiencies. */
static const char *const series_color[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7",
					   "#E69F00", "#56B4E9", "#000000", "#999999"};
#define NCOLORS (int)(sizeof(series_color) / sizeof(series_color[0]))

/* Sequential light-to-dark scale for heatmaps (ColorBrewer YlGnBu). */
static const unsigned char heat_stops[][3] = {{0xff, 0xff, 0xd9},
					      {0xc7, 0xe9, 0xb4},
					      {0x41, 0xb6, 0xc4},
					      {0x22, 0x5e, 0xa8},
					      {0x08, 0x1d, 0x58}};
#define NSTOPS (int)(sizeof(heat_stops) / sizeof(heat_stops[0]))

static const char *const bar_color[] = {"#9e9e9e", "#009E73", "#D55E00", "#E69F00"};

enum { HEAT_CW = 72, HEAT_CH = 32 };

/* Room for a bold 13px title (about 7.5 px a character), with the margins. */
static int title_width(const char *title)
{
	return 16 + (int)(7.5 * strlen(title));
}

struct axis {
	double lo, hi, step;
};

/* Round tick steps (1, 2, 5 x 10^k) covering [min, max] with about n intervals. */
static struct axis nice_axis(double min, double max, int n)
{
	if (!(max > min)) {
		double pad = fabs(min) > 0 ? fabs(min) * 0.1 : 1;
		min -= pad;
		max += pad;
	}
	double raw = (max - min) / n, mag = pow(10, floor(log10(raw))), f = raw / mag;
	double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
	return (struct axis){floor(min / step) * step, ceil(max / step) * step, step};
}

static double scale(const struct axis *a, double v, double p0, double p1)
{
	return p0 + (v - a->lo) / (a->hi - a->lo) * (p1 - p0);
}

/* Tick labels: SI suffix from 10^4, decimals as the step needs. */
static void tick_text(double v, double step, char *buf, size_t len)
{
	static const char sfx[] = "kMGTP";
	int k = -1;
	while (fabs(v) >= 1e4 && k < 4) {
		v /= 1000;
		step /= 1000;
		k++;
	}
	int dec = 0; /* a NaN, zero or tiny step (a degenerate axis) must not reach the cast */
	if (step > 0 && step < 1)
		dec = step > 1e-6 ? (int)ceil(-log10(step) - 1e-9) : 6;
	snprintf(buf, len, "%.*f%.*s", dec > 6 ? 6 : dec, fabs(v) < step / 2 ? 0.0 : v, k >= 0,
		 k >= 0 ? &sfx[k] : "");
}

static void cut(const char *s, int max, char *buf, size_t len)
{
	if ((int)strlen(s) <= max)
		snprintf(buf, len, "%s", s);
	else
		snprintf(buf, len, "%.*s...", max - 3, s);
}

static void text_at(struct an_doc *d, double x, double y, const char *anchor, const char *attrs,
		    const char *s)
{
	fprintf(d->f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\"%s>", x, y, anchor, attrs);
	an_put(d, s);
	fputs("</text>\n", d->f);
}

static void svg_open(struct an_doc *d, const char *kind, const char *title, int w, int h)
{
	d->ncharts++;
	fprintf(d->f,
		"<figure class=\"chart\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
		"width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
		"font-family=\"sans-serif\" font-size=\"11\" data-chart=\"%s\" aria-label=\"",
		w, h, w, h, kind);
	an_put(d, title);
	fputs("\">\n<title>", d->f);
	an_put(d, title);
	fputs("</title>\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n", d->f);
	text_at(d, 8, 17, "start", " font-size=\"13\" font-weight=\"bold\"", title);
}

static void svg_close(struct an_doc *d)
{
	fputs("</svg>\n</figure>\n", d->f);
}

static void heat_rgb(double t, char *buf, size_t len)
{
	t = t > 0 ? (t > 1 ? 1 : t) : 0; /* NaN (inf - inf in a hand-edited file) too */
	double pos = t * (NSTOPS - 1);
	int i = pos >= NSTOPS - 1 ? NSTOPS - 2 : (int)pos;
	double f = pos - i;
	int c[3];
	for (int k = 0; k < 3; k++)
		c[k] =
		    (int)lround(heat_stops[i][k] + f * (heat_stops[i + 1][k] - heat_stops[i][k]));
	snprintf(buf, len, "#%02x%02x%02x", c[0], c[1], c[2]);
}

static void value_range(const double *v, int n, double *min, double *max)
{
	*min = INFINITY;
	*max = -INFINITY;
	for (int i = 0; i < n; i++)
		if (isfinite(v[i])) {
			*min = fmin(*min, v[i]);
			*max = fmax(*max, v[i]);
		}
}

static void heat_legend(struct an_doc *d, double x, double y, double w, double min, double max)
{
	char id[32], c[16], lo[64], hi[64];
	snprintf(id, sizeof(id), "heat%d", d->ncharts);
	fprintf(d->f, "<defs><linearGradient id=\"%s\">", id);
	for (int i = 0; i < NSTOPS; i++) {
		heat_rgb((double)i / (NSTOPS - 1), c, sizeof(c));
		fprintf(d->f, "<stop offset=\"%d%%\" stop-color=\"%s\"/>", 100 * i / (NSTOPS - 1),
			c);
	}
	fprintf(d->f,
		"</linearGradient></defs>\n<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		"height=\"10\" fill=\"url(#%s)\" stroke=\"#888\"/>\n",
		x, y, w, id);
	an_fmt_num(min, lo, sizeof(lo));
	an_fmt_num(max, hi, sizeof(hi));
	text_at(d, x, y + 23, "start", "", lo);
	text_at(d, x + w, y + 23, "end", "", hi);
}

static const char *cell_of(const char *const *v, const struct an_heatmap *h, int r, int c)
{
	return v ? v[r * h->ncols + c] : NULL;
}

static void heat_cell(struct an_doc *d, const struct an_heatmap *h, int r, int c, double x,
		      double y, double t)
{
	char fill[16], val[64];
	double v = h->v[r * h->ncols + c];
	const char *st = cell_of(h->status, h, r, c), *note = cell_of(h->note, h, r, c),
		   *id = cell_of(h->id, h, r, c), *mark = an_status_mark(st);
	char *tip;
	an_fmt_num(v, val, sizeof(val));
	heat_rgb(t, fill, sizeof(fill));
	if (asprintf(&tip, "%s %s, %s %s: %s%s%s%s%s", h->row_name, h->rows[r], h->col_name,
		     h->cols[c], val, *mark ? " (" : "", *mark ? st : "", *mark ? ")" : "",
		     note ? note : "") < 0)
		abort();
	fputs("<g", d->f);
	if (*mark)
		fprintf(d->f, " data-status=\"%s\"", st);
	if (id)
		fprintf(d->f, " data-cell=\"%s\"", id);
	fputs("><title>", d->f);
	an_put(d, tip);
	fprintf(d->f,
		"</title><rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"%s\" "
		"stroke=\"#ffffff\"/>\n",
		x, y, HEAT_CW, HEAT_CH, isfinite(v) ? fill : "#eeeeee");
	if (*mark) /* hatching over the colour, and a mark after the value */
		fprintf(d->f,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" "
			"fill=\"url(#hatch%d)\" stroke=\"%s\" stroke-width=\"2\"/>\n",
			x + 1, y + 1, HEAT_CW - 2, HEAT_CH - 2, d->ncharts,
			!strcmp(st, "failed") ? "#b00020" : "#9a5b00");
	snprintf(fill, sizeof(fill), "%s%s", val, mark);
	text_at(d, x + HEAT_CW / 2.0, y + 19, "middle",
		t > 0.55 ? " fill=\"#ffffff\" font-weight=\"bold\"" : " font-weight=\"bold\"",
		strlen(val) + strlen(mark) < sizeof(fill) ? fill : val);
	fputs("</g>\n", d->f);
	free(tip);
}

static void heatmap_svg(struct an_doc *d, const struct an_heatmap *h)
{
	const int cw = HEAT_CW, ch = HEAT_CH, left = 110, top = 58;
	int w = left + h->ncols * cw + 20, ht = top + h->nrows * ch + 44;
	double min, max;
	char lab[128];
	value_range(h->v, h->nrows * h->ncols, &min, &max);
	svg_open(d, "heatmap", h->title, w > title_width(h->title) ? w : title_width(h->title), ht);
	fprintf(d->f,
		"<defs><pattern id=\"hatch%d\" width=\"6\" height=\"6\" "
		"patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\">"
		"<rect width=\"2\" height=\"6\" fill=\"#000000\" fill-opacity=\"0.22\"/>"
		"</pattern></defs>\n",
		d->ncharts);
	text_at(d, left + h->ncols * cw / 2.0, 36, "middle", " font-style=\"italic\"", h->col_name);
	text_at(d, left - 8, top - 6, "end", " font-style=\"italic\"", h->row_name);
	for (int c = 0; c < h->ncols; c++)
		text_at(d, left + c * cw + cw / 2.0, top - 6, "middle", "", h->cols[c]);
	for (int r = 0; r < h->nrows; r++) {
		cut(h->rows[r], 16, lab, sizeof(lab));
		text_at(d, left - 8, top + r * ch + 19, "end", "", lab);
		for (int c = 0; c < h->ncols; c++) {
			double v = h->v[r * h->ncols + c];
			double t = max > min ? (v - min) / (max - min) : 0.5;
			heat_cell(d, h, r, c, left + c * cw, top + r * ch, t);
		}
	}
	if (max >= min)
		heat_legend(d, left, top + h->nrows * ch + 8, fmin(240, h->ncols * cw), min, max);
	svg_close(d);
}

static void heatmap_table(struct an_doc *d, const struct an_heatmap *h)
{
	struct an_table *t = an_table_new();
	char head[256], v[64];
	an_p(d, AN_PLAIN, "%s", h->title);
	snprintf(head, sizeof(head), "%s\\%s", h->row_name, h->col_name);
	an_table_col(t, head);
	for (int c = 0; c < h->ncols; c++) {
		snprintf(head, sizeof(head), "%s %s", h->col_name, h->cols[c]);
		an_table_col(t, head);
	}
	for (int r = 0; r < h->nrows; r++) {
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s %s", h->row_name, h->rows[r]);
		for (int c = 0; c < h->ncols; c++) {
			const char *mark = an_status_mark(cell_of(h->status, h, r, c));
			an_fmt_num(h->v[r * h->ncols + c], v, sizeof(v));
			an_table_cell(t, *mark ? AN_WARN : AN_PLAIN, "%s%s", v, mark);
		}
	}
	an_table_emit(d, t);
}

void an_heatmap(struct an_doc *d, const struct an_heatmap *h)
{
	if (d->fmt == AN_HTML)
		heatmap_svg(d, h);
	else
		heatmap_table(d, h);
}

static void lines_range(const struct an_lines *c, double *xmin, double *xmax, double *ymin,
			double *ymax)
{
	*xmin = *ymin = INFINITY;
	*xmax = *ymax = -INFINITY;
	for (int s = 0; s < c->nseries; s++)
		for (int i = 0; i < c->s[s].n; i++) {
			if (!isfinite(c->s[s].x[i]) || !isfinite(c->s[s].y[i]))
				continue;
			*xmin = fmin(*xmin, c->s[s].x[i]);
			*xmax = fmax(*xmax, c->s[s].x[i]);
			*ymin = fmin(*ymin, c->s[s].y[i]);
			*ymax = fmax(*ymax, c->s[s].y[i]);
		}
	if (*ymin >= 0) /* counts and shares: start at zero */
		*ymin = 0;
}

struct plot {
	struct axis x, y;
	double x0, x1, y0, y1; /* pixel box: y0 bottom, y1 top */
};

static void size_text(double log2v, char *buf, size_t len);

static void plot_axes(struct an_doc *d, const struct plot *p, const char *xlabel,
		      const char *ylabel, bool log2_bytes)
{
	char t[64];
	for (double v = p->y.lo; v <= p->y.hi + p->y.step / 2; v += p->y.step) {
		double y = scale(&p->y, v, p->y0, p->y1);
		fprintf(
		    d->f,
		    "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#e0e0e0\"/>\n",
		    p->x0, y, p->x1, y);
		tick_text(v, p->y.step, t, sizeof(t));
		text_at(d, p->x0 - 6, y + 4, "end", "", t);
	}
	for (double v = p->x.lo; v <= p->x.hi + p->x.step / 2; v += p->x.step) {
		double x = scale(&p->x, v, p->x0, p->x1);
		if (log2_bytes)
			size_text(v, t, sizeof(t));
		else
			tick_text(v, p->x.step, t, sizeof(t));
		text_at(d, x, p->y0 + 15, "middle", "", t);
	}
	fprintf(d->f, "<path d=\"M%.1f %.1fV%.1fH%.1f\" fill=\"none\" stroke=\"#444\"/>\n", p->x0,
		p->y1, p->y0, p->x1);
	text_at(d, (p->x0 + p->x1) / 2, p->y0 + 32, "middle", "", xlabel);
	fprintf(d->f, "<g transform=\"translate(14 %.1f) rotate(-90)\">", (p->y0 + p->y1) / 2);
	text_at(d, 0, 0, "middle", "", ylabel);
	fputs("</g>\n", d->f);
}

static void series_path(struct an_doc *d, const struct plot *p, const struct an_series *s,
			const char *color, const char *dash)
{
	bool pen = false;
	fprintf(d->f, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s d=\"", color, dash);
	for (int i = 0; i < s->n; i++) {
		if (!isfinite(s->x[i]) || !isfinite(s->y[i])) {
			pen = false;
			continue;
		}
		fprintf(d->f, "%s%.1f %.1f", pen ? "L" : "M", scale(&p->x, s->x[i], p->x0, p->x1),
			scale(&p->y, s->y[i], p->y0, p->y1));
		pen = true;
	}
	fputs("\"/>\n", d->f);
	for (int i = 0; s->n <= 40 && i < s->n; i++)
		if (isfinite(s->x[i]) && isfinite(s->y[i]))
			fprintf(d->f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.2\" fill=\"%s\"/>\n",
				scale(&p->x, s->x[i], p->x0, p->x1),
				scale(&p->y, s->y[i], p->y0, p->y1), color);
}

/* The legend sits right of the plot, one row per series; the chart grows to hold it. */
static void size_text(double log2v, char *buf, size_t len)
{
	static const char *const sfx[] = {"", "K", "M", "G", "T"};
	int e = (int)lround(log2v), k = 0;
	while (e >= 10 && k < 4)
		e -= 10, k++;
	snprintf(buf, len, "%lld%s", 1LL << (e < 0 ? 0 : e), sfx[k]);
}

/* The legend is right of the plot, one row per series, never cut: the chart widens to hold
 * the longest label (about 6.5 px a character at 11 px). */
static void lines_svg(struct an_doc *d, const struct an_lines *c)
{
	int longest = 0;
	for (int s = 0; s < c->nseries; s++)
		longest = (int)fmax(longest, strlen(c->s[s].name));
	const int legend = 50 + (int)(6.5 * longest), w = 610 + (legend > 250 ? legend : 250);
	const int h = 60 + (c->nseries > 13 ? c->nseries * 16 : 210);
	double xmin, xmax, ymin, ymax;
	lines_range(c, &xmin, &xmax, &ymin, &ymax);
	if (xmin > xmax)
		xmin = xmax = ymin = ymax = 0;
	struct plot p = {
	    nice_axis(xmin, xmax, 8), nice_axis(ymin, ymax, 5), 70, w - legend, h - 46, 36};
	if (c->log2_bytes) /* one tick per power of two, or per 2^k when they crowd */
		p.x = (struct axis){floor(xmin), ceil(xmax), fmax(1, ceil((xmax - xmin) / 10))};
	if (p.x.hi <= p.x.lo)
		p.x.hi = p.x.lo + 1;
	svg_open(d, "lines", c->title, w, h);
	plot_axes(d, &p, c->xlabel, c->ylabel, c->log2_bytes);
	for (int m = 0; m < c->nmarks; m++) {
		double x = scale(&p.x, c->mark_x[m], p.x0, p.x1);
		if (x < p.x0 || x > p.x1)
			continue;
		fprintf(d->f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\" "
			"stroke-dasharray=\"3 3\"/>\n",
			x, p.y0, x, p.y1);
		text_at(d, x + 3, p.y1 + 10 + 12 * (m % 3), "start", " fill=\"#555\"",
			c->mark_label[m]);
	}
	for (int s = 0; s < c->nseries; s++) {
		const char *color = series_color[s % NCOLORS];
		/* past the palette, dashes tell series of one colour apart */
		const char *dash = s >= NCOLORS ? " stroke-dasharray=\"6 3\"" : "";
		double ly = p.y1 + 6 + s * 16;
		series_path(d, &p, &c->s[s], color, dash);
		fprintf(d->f,
			"<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			"stroke-width=\"3\"%s/>\n",
			p.x1 + 14, ly, p.x1 + 32, ly, color, dash);
		text_at(d, p.x1 + 38, ly + 4, "start", " class=\"legend\"", c->s[s].name);
	}
	svg_close(d);
}

/* The last y at or before x in a series sorted by x; NAN outside the series' span. */
static double value_at(const struct an_series *s, double x, double eps)
{
	double y = NAN;
	if (!s->n || x < s->x[0] - eps || x > s->x[s->n - 1] + eps)
		return NAN;
	for (int i = 0; i < s->n && s->x[i] <= x + eps; i++)
		y = s->y[i];
	return y;
}

/* Decimals that print every multiple of step exactly (at most 3). */
static int decimals(double step)
{
	for (int d = 0; d < 3; d++) {
		double s = step * pow(10, d);
		if (fabs(s - round(s)) < 1e-6 * fmax(1, s))
			return d;
	}
	return 3;
}

static void lines_table(struct an_doc *d, const struct an_lines *c)
{
	double xmin, xmax, ymin, ymax;
	char v[64];
	lines_range(c, &xmin, &xmax, &ymin, &ymax);
	if (xmin > xmax)
		return;
	int rows = xmax > xmin ? AN_LINE_ROWS : 1;
	double eps = (xmax - xmin) * 1e-9, step = rows > 1 ? (xmax - xmin) / (rows - 1) : 1;
	struct an_table *t = an_table_new();
	an_p(d, AN_PLAIN, "%s (value at or before each time)", c->title);
	an_table_col(t, c->xlabel);
	for (int s = 0; s < c->nseries; s++)
		an_table_col(t, c->s[s].name);
	for (int r = 0; r < rows; r++) {
		double x = xmin + step * r;
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%.*f", decimals(step), x);
		for (int s = 0; s < c->nseries; s++) {
			an_fmt_num(value_at(&c->s[s], x, eps), v, sizeof(v));
			an_table_cell(t, AN_PLAIN, "%s", v);
		}
	}
	an_table_emit(d, t);
}

void an_lines(struct an_doc *d, const struct an_lines *c)
{
	if (d->fmt == AN_HTML)
		lines_svg(d, c);
	else
		lines_table(d, c);
}

static void bar_row(struct an_doc *d, const struct plot *p, const struct an_bar *b, double y)
{
	char lab[128];
	double x0 = scale(&p->x, 0, p->x0, p->x1);
	double xv = scale(&p->x, isfinite(b->v) ? b->v : 0, p->x0, p->x1);
	fputs("<g><title>", d->f);
	an_put(d, b->tip ? b->tip : b->label);
	fputs("</title>\n", d->f);
	cut(b->label, 64, lab, sizeof(lab));
	text_at(d, p->x0 - 8, y + 4, "end", "", lab);
	fprintf(d->f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"12\" fill=\"%s\"/>\n",
		fmin(x0, xv), y - 6, fabs(xv - x0), bar_color[b->st]);
	if (isfinite(b->lo) && isfinite(b->hi)) {
		double lo = scale(&p->x, b->lo, p->x0, p->x1),
		       hi = scale(&p->x, b->hi, p->x0, p->x1);
		fprintf(d->f,
			"<path d=\"M%.1f %.1fH%.1fM%.1f %.1fv8M%.1f %.1fv8\" stroke=\"#222\" "
			"fill=\"none\"/>\n",
			lo, y, hi, lo, y - 4, hi, y - 4);
	}
	fputs("</g>\n", d->f);
}

static void bars_svg(struct an_doc *d, const struct an_bars *c)
{
	const int w = 960, left = 410, top = 34, rowh = 20;
	int h = top + c->n * rowh + 44;
	double min = 0, max = 0;
	char t[64];
	for (int i = 0; i < c->n; i++) {
		const double v[] = {c->b[i].v, c->b[i].lo, c->b[i].hi};
		for (int k = 0; k < 3; k++)
			if (isfinite(v[k])) {
				min = fmin(min, v[k]);
				max = fmax(max, v[k]);
			}
	}
	struct plot p = {nice_axis(min, max, 6), {0, 1, 1}, left, w - 30, top + c->n * rowh, top};
	svg_open(d, "bars", c->title, w, h);
	for (double v = p.x.lo; v <= p.x.hi + p.x.step / 2; v += p.x.step) {
		double x = scale(&p.x, v, p.x0, p.x1);
		fprintf(d->f,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n", x,
			top - 4, x, p.y0, fabs(v) < p.x.step / 2 ? "#444" : "#e0e0e0");
		tick_text(v, p.x.step, t, sizeof(t));
		text_at(d, x, p.y0 + 15, "middle", "", t);
	}
	for (int i = 0; i < c->n; i++)
		bar_row(d, &p, &c->b[i], top + i * rowh + rowh / 2.0);
	text_at(d, (p.x0 + p.x1) / 2, p.y0 + 32, "middle", "", c->xlabel);
	svg_close(d);
}

void an_bars(struct an_doc *d, const struct an_bars *c)
{
	if (d->fmt == AN_HTML && c->n > 0)
		bars_svg(d, c);
}
