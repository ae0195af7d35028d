/* numabench analysis: pieces of a report shared between its files. */
#ifndef AN_REPORT_H
#define AN_REPORT_H

#include "an_doc.h"

/* A list of distinct names in first-seen order. */
struct an_names {
	char **v;
	int n;
};
/* Index of name, added if new. */
int an_names_add(struct an_names *s, const char *name);
int an_names_find(const struct an_names *s, const char *name);
void an_names_free(struct an_names *s);
/* Order by rank, keeping first-seen order among equal ranks. */
void an_names_sort(struct an_names *s, int (*rank)(const char *));

enum an_style an_status_style(const char *status);
/* A two-column field/value table of an object's leaves ("a.b" for nested objects; the
 * names in first lead, those in skip are left out); arrays of objects follow as tables.
 * Returns how many things it showed (0: nothing, the caller may say so). */
int an_kv(struct an_doc *d, const json_t *obj, const char *const *first, const char *const *skip);
/* A table with one row per object of arr and a column per field (identity fields first,
 * metrics as their medians); fields named in skip are left out. */
void an_object_table(struct an_doc *d, const json_t *arr, const char *const *skip);
/* Any value under a heading, whatever its shape. */
void an_generic(struct an_doc *d, const char *name, const json_t *v);

/* Matrix cells (cpu_node x mem_node) as heatmaps, any other cells as a table. */
void an_report_cells(struct an_doc *d, const json_t *cells);
/* Whether v holds samples over time (objects with t_s): one array of them, or modes that
 * each carry one ("samples" or "timeline"), as an array or an object by name. */
bool an_timeline_like(const json_t *v);
/* Series over time (one per mode) as line charts, after a table of the modes. */
void an_report_timeline(struct an_doc *d, const char *name, const json_t *tl);

/* One run of a report: params, status, metrics, counters, placement, cells, timeline. */
void an_report_run(struct an_doc *d, const json_t *run, int idx);

#endif
