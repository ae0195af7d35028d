/* numabench analysis: charts. In HTML they are inline SVG drawn here (no script, no network);
 * in text and Markdown a heatmap is a matrix table and a line chart a table of sampled
 * values; bar charts only exist in HTML (their numbers are in the tables beside them). */
#ifndef AN_CHART_H
#define AN_CHART_H

#include "an_doc.h"

/* A node x node heatmap of values (row-major, NAN = no value). */
struct an_heatmap {
	const char *title;
	const char *row_name, *col_name; /* "cpu node", "memory node" */
	int nrows, ncols;
	const char *const *rows, *const *cols; /* labels */
	const double *v;
	/* Optional, per cell (row-major, NULL entries allowed): the cell's status (not "ok":
	 * marked with an_status_mark, hatched in HTML), a tooltip note (reason, n, CI) and an
	 * id for tests (data-cell). */
	const char *const *status, *const *note, *const *id;
	const char *scale; /* NULL: colour from min to max of the data */
};
void an_heatmap(struct an_doc *d, const struct an_heatmap *h);

/* Lines over a shared x axis: one series per mode or file. */
struct an_series {
	const char *name;
	int n;
	const double *x, *y;
};
struct an_lines {
	const char *title, *xlabel, *ylabel;
	int nseries;
	const struct an_series *s;
	/* Optional: x is log2 of a size in bytes (ticks read 4K, 1M, ...), and vertical marks at
	 * those x with their labels (cache sizes). */
	bool log2_bytes;
	int nmarks;
	const double *mark_x;
	const char *const *mark_label;
};
void an_lines(struct an_doc *d, const struct an_lines *c);

/* Horizontal bars from 0 with a whisker over [lo, hi] (NAN: none). */
struct an_bar {
	const char *label;
	double v, lo, hi;
	enum an_style st;
	const char *tip; /* tooltip text */
};
struct an_bars {
	const char *title, *xlabel;
	int n;
	const struct an_bar *b;
};
void an_bars(struct an_doc *d, const struct an_bars *c);

/* Rows a text or Markdown line table keeps (evenly spaced over x, ends included). */
#define AN_LINE_ROWS 11

#endif
