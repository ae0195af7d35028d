/* numabench analysis: pieces shared by report and compare (an_common.c). */
#ifndef AN_COMMON_H
#define AN_COMMON_H

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
/* The mark a value of a cell with this status carries in every format: "" (ok), "?"
 * untrustworthy, "!" failed, "~" skipped (or another status). */
const char *an_status_mark(const char *status);
#define AN_MARK_LEGEND "? untrustworthy, ! failed, ~ skipped (the cell's reason says why)"
/* Whether the result's timings are emulated (QEMU TCG): host.timing_emulated when given,
 * else a virtualization name with "tcg". Metrics also say so one by one (emulated). */
bool an_doc_emulated(const json_t *doc);
/* A two-column field/value table of an object's leaves ("a.b" for nested objects; the
 * names in first lead, those in skip are left out); arrays of objects follow as tables.
 * Returns how many things it showed (0: nothing, the caller may say so). */
int an_kv(struct an_doc *d, const json_t *obj, const char *const *first, const char *const *skip);
/* A table with one row per object of arr and a column per field (identity fields first,
 * metrics as their medians); fields named in skip are left out. */
void an_object_table(struct an_doc *d, const json_t *arr, const char *const *skip);
/* Any value under a heading, whatever its shape. */
void an_generic(struct an_doc *d, const char *name, const json_t *v);

/* Whether v holds samples over time (objects with t_s): one array of them, or modes that
 * each carry one ("samples" or "timeline"), as an array or an object by name. */
bool an_timeline_like(const json_t *v);
/* The series of a timeline: one per mode (a mode object, or NULL), each an array of
 * samples (objects with t_s). */
struct an_tl_series {
	char name[256];
	const json_t *mode;
	const json_t *samples;
};
struct an_timeline {
	struct an_tl_series *s;
	int n;
};
/* Shapes taken: an array of modes (each with "samples" or "timeline"), an object of modes
 * or of sample arrays by name, or one array of samples. Free t->s after. */
void an_timeline_collect(const json_t *tl, struct an_timeline *t);

#endif
