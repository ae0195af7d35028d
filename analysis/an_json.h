/* numabench analysis: reading result documents (schema numabench.result/2, and /1) for people. */
#ifndef AN_JSON_H
#define AN_JSON_H

#include "nb.h"

/* Room for one rendered value; longer text is cut and ends with "...". */
#define AN_TEXT_MAX 1024

/* A bounded string builder: appends never overflow, a cut string ends with "...". */
struct an_sb {
	char *buf;
	size_t len, pos;
	bool cut;
};
void an_sb_init(struct an_sb *s, char *buf, size_t len);
void an_sb_add(struct an_sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* snprintf that marks a cut with "..." (labels and field paths may be long). */
void an_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The number in an integer or real; NAN for anything else (null, string, missing). */
double an_num(const json_t *v);
/* The number as a long long when it is finite and representable (an integer's value, a real's
 * truncated), else dflt: a malformed file's NAN or 1e300 never reaches a cast. */
long long an_ll(const json_t *v, long long dflt);
/* For people: integers exactly, others to 4 significant digits, NAN as "-". */
void an_fmt_num(double v, char *buf, size_t len);
bool an_is_scalar(const json_t *v);
/* A value as text: strings as they are, true/false as yes/no, null as "-", numbers with
 * an_fmt_num, arrays joined with "," (strings with " "; arrays of objects as a count),
 * objects as "k=v k=v" (a summary, with a median, as the median and unit). */
void an_value_text(const json_t *v, char *buf, size_t len);

/* Fields that say which cell (or mode) a measurement belongs to (size, pages, cpu_node,
 * path, balancing, ...), in the order labels show them; NULL-terminated. Only scalar values
 * identify: a "placement" object is a measurement, a "placement" string a variant. */
extern const char *const an_ident_fields[];
/* The rank of key in an_ident_fields, or -1. */
int an_ident_rank(const char *key);
/* "size=4K pages=4k cpu_node=0": the identity fields of a cell in a fixed order, leaving out
 * those named in skip (NULL-terminated list, or NULL). */
void an_cell_label(const json_t *cell, const char *const *skip, char *buf, size_t len);
/* "k=v k=v" of a run's params, sorted by name; "-" when there are none. */
void an_params_text(const json_t *params, char *buf, size_t len);

/* A metric's median (its "median", else the median of its numeric samples), or NAN. */
double an_metric_median(const json_t *m);
/* The numeric samples of a metric (nulls skipped) into a new array; returns the count. */
int an_metric_samples(const json_t *m, double **out);
/* -1 lower is better, +1 higher is better, 0 unknown. */
int an_metric_dir(const json_t *m);
const char *an_dir_text(int dir);

/* Check the contract fields report and compare rely on. 0, or -1 with "where: what" in err. */
int an_check_result(const json_t *doc, char *err, size_t len);
/* Read, check the schema (nb_result_read) and the fields above; NULL after one error line. */
json_t *an_load(const char *path);
const char *an_basename(const char *path);

#endif
