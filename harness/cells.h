/* numabench: cells of matrix benches (one per cpu node x memory node x parameters). */
#ifndef NB_CELLS_H
#define NB_CELLS_H

#include "bench.h"
#include "place.h"
#include "stats.h"

struct nb_cells {
	json_t *arr; /* owned by the run */
	enum nb_status worst;
	int bad, total;
	int budget; /* cells skipped because the time budget was spent */
	int skipped;
	int *index; /* plan index of each cell added (nb_cells_add_at), in arrival order */
	int nindex, capindex;
};

void nb_cells_init(struct nb_cells *c, json_t *run);
/* Record the cell's status and append it. */
void nb_cells_add(struct nb_cells *c, json_t *cell, enum nb_status st);
/* The same for planned cell number `index` of the plan, measured out of plan order
 * (harness/order.h): nb_cells_finish puts the cells back in plan order (cells added with
 * nb_cells_add after them). */
void nb_cells_add_at(struct nb_cells *c, json_t *cell, enum nb_status st, int index);
/* The run's status from its cells (skipped cells do not count), with a reason when not ok.
 * The cells are put in plan order here. */
enum nb_status nb_cells_finish(struct nb_cells *c, json_t *run);
/* Headline picker: a cell passing the field tests arg ("KEY=VALUE ...", nb_fields_match). */
bool nb_cell_with(json_t *cell, void *arg);
/* Record a placement in the cell; below NB_PLACE_MIN_SHARE an ok status turns untrustworthy. */
enum nb_status nb_cell_placement(json_t *cell, const struct nb_placement *pl, int node,
				 enum nb_status st);
/* Record the THP share; below 90% an ok status turns untrustworthy. */
enum nb_status nb_cell_thp(json_t *cell, double share, enum nb_status st);

/* Whether the bench's share of the run's time budget is spent: then the cell is marked skipped
 * with reason budget (call before measuring it). */
bool nb_cell_budget(json_t *cell);

/* The statistics rule of a bench run: --repeat/--quick and the bench's `ci_max`. */
void nb_rule_for(struct nb_rule *r, const struct nb_ctx *ctx, const struct nb_params *p);
/* The rule's verdict on a timing metric's samples, recorded in the cell: an ok status turns
 * untrustworthy (with the reason) when the median's CI is wider than the rule's ci_max. */
enum nb_status nb_cell_spread(json_t *cell, const struct nb_rule *r, const double *s, int n,
			      enum nb_status st);

#endif
