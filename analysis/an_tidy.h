/* numabench analysis: tidy rows (CSV or JSON) for --format csv|json. */
#ifndef AN_TIDY_H
#define AN_TIDY_H

#include <math.h>

#include "an_doc.h"

#define AN_REPORT_ROWS_SCHEMA "numabench.report-rows/1"
#define AN_COMPARE_ROWS_SCHEMA "numabench.compare-rows/1"

/* Write rows (objects; the columns named in cols, NULL-terminated, in that order) as the
 * document's format, AN_CSV or AN_JSON. */
void an_tidy_emit(struct an_doc *d, const char *schema, const char *const *cols, json_t *rows);
/* A real, or null for NAN and infinities (JSON has no NaN). */
json_t *an_tidy_num(double v);

#endif
