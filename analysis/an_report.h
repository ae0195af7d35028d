/* numabench analysis: pieces of a report shared between its files. */
#ifndef AN_REPORT_H
#define AN_REPORT_H

#include "an_common.h"

/* Matrix cells (cpu_node x mem_node) as heatmaps, any other cells as a table. */
/* run is the run's number (1-based), for the ids of marked cells in HTML. */
void an_report_cells(struct an_doc *d, const json_t *cells, int run, const json_t *topo);
/* Series over time (one per mode) as line charts, after a table of the modes. */
/* units: the run's timeline_units (field -> unit), or NULL. */
void an_report_timeline(struct an_doc *d, const char *name, const json_t *tl, const json_t *units);

/* The NUMA summary: node pairs (measured and firmware factors) and one line per bench. */
void an_report_summary(struct an_doc *d, const json_t *doc);

/* --format csv|json: one tidy row per metric (AN_REPORT_ROWS_SCHEMA). */
void an_report_tidy(struct an_doc *d, const json_t *doc);

/* One run of a report: params, status, metrics, counters, placement, cells, timeline. */
void an_report_run(struct an_doc *d, const json_t *run, int idx, const json_t *topo);

#endif
