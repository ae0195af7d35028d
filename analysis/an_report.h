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

/* The summary's tidy rows (bench "summary", run 0): pairs with class and firmware order,
 * classes with their medians (an_pairs.h). */
void an_report_summary_rows(json_t *rows, const json_t *doc);

/* --format csv|json: one tidy row per metric (AN_REPORT_ROWS_SCHEMA). */
void an_report_tidy(struct an_doc *d, const json_t *doc);

/* One run of a report: params, status, metrics, counters, placement, cells, timeline. */
/* doc: the whole result (a run may be set beside another: migrate beside balance). */
void an_report_run(struct an_doc *d, const json_t *run, int idx, const json_t *doc);

/* Benches with sections of their own (report_benches.c). Before the cells: migrate's rates
 * beside balance's, tier's scores and timelines (true: the cells are shown, skip them). */
bool an_report_bench_cells(struct an_doc *d, const json_t *run, const json_t *doc);
/* After the cells: loaded's latency against injector bandwidth. */
void an_report_bench_after_cells(struct an_doc *d, const json_t *run);
/* Whether a run field is shown by those sections (not again generically). */
bool an_report_bench_handled(const json_t *run, const char *key);
/* "vs latency bench: agree, worst ratio 1.020 (5 of 5 cells agree)" from a loaded run's
 * vs_latency, or "" without one. */
void an_report_vs_latency(const json_t *run, char *buf, size_t len);

#endif
