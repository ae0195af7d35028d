/* numabench analysis: one document model rendered as text, Markdown or self-contained HTML.
 * Report and compare describe what to show once; each format decides how. */
#ifndef AN_DOC_H
#define AN_DOC_H

#include <stdio.h>

#include "nb.h"

/* CSV and JSON are not documents: report and compare write tidy rows for them instead. */
enum an_fmt { AN_TEXT, AN_MD, AN_HTML, AN_CSV, AN_JSON };
/* How a table cell or note is marked: colour on a terminal, bold in Markdown, a class in HTML. */
enum an_style { AN_PLAIN, AN_GOOD, AN_BAD, AN_WARN };

struct an_doc {
	enum an_fmt fmt;
	bool color; /* ANSI colour: text on a terminal only */
	FILE *f;    /* an in-memory stream: the whole document is written out at the end */
	char *buf;
	size_t len;
	int ncharts; /* numbers chart ids, unique in a document */
	long toc_at; /* where the table of contents goes (an_toc_here), or -1 */
	char **toc;  /* the level-2 headings, in order */
	int ntoc;
};

/* Start a document; 0, or -1 (no memory). */
int an_doc_open(struct an_doc *d, enum an_fmt fmt, bool color, const char *title);
/* Finish and write to path atomically (temp file + rename), or to stdout when path is NULL.
 * Returns NB_EXIT_OK or NB_EXIT_ENV after one error line. */
int an_doc_close(struct an_doc *d, const char *path);

/* The table of contents (the level-2 headings of the whole document) goes here. */
void an_toc_here(struct an_doc *d);
void an_h(struct an_doc *d, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void an_p(struct an_doc *d, enum an_style st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Text escaped for the document's format (control characters become spaces). */
void an_put(struct an_doc *d, const char *s);

/* A table: columns first, then rows of cells. Columns whose cells are all numeric (or "-")
 * are right-aligned. an_table_emit renders and frees it. */
struct an_table;
struct an_table *an_table_new(void);
void an_table_col(struct an_table *t, const char *name);
void an_table_row(struct an_table *t);
void an_table_cell(struct an_table *t, enum an_style st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int an_table_rows(const struct an_table *t);
void an_table_emit(struct an_doc *d, struct an_table *t);
void an_table_free(struct an_table *t);

/* Choose a format by name: 0, or -1 for an unknown name. */
int an_fmt_parse(const char *name, enum an_fmt *out);

#endif
