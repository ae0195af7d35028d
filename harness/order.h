/* numabench: the order a bench measures its planned cells in, coarse to fine. Under a time
 * budget a cut then leaves a coarse answer for every class of node pairs at every parameter
 * point, not a full answer for the first pairs and nothing for the others (README: coarse to
 * fine). The results keep the plan's order; each cell says its measured position ("order"). */
#ifndef NB_ORDER_H
#define NB_ORDER_H

#include "bench.h"

/*
 * Pure: the measured position pos[i] of each of n cells given in plan order. group[i] is the
 * cell's group (its parameter point and pair class), or -1 for a cell in a group of its own.
 * The cells are taken in rounds: round r holds the r-th cell (in plan order) of every group,
 * and each round is taken in plan order. So round 0 is one cell of every (point, class), the
 * first of its group (a class's representative: the plan lists pairs in the classes' order),
 * and after any prefix no group has more than one cell more than another unless it is done.
 */
void nb_order_rounds(const int *group, int n, int *pos);

/*
 * Set each planned cell's "order" (its measured position, nb_order_rounds) in plan. A cell's
 * point is the values of point_keys (NULL-terminated; absent: null); its class is the pair
 * class (harness/classes.h) of the node pair (cell[cpu_key], cell[mem_key]) among the run's
 * cpu nodes x memory nodes, and a cell whose pair is in no class is a group of its own.
 */
void nb_plan_order(const struct nb_ctx *ctx, json_t *plan, const char *cpu_key, const char *mem_key,
		   const char *const *point_keys);

/* The plan indexes of cells in measured order (from their "order"; plan order where a cell has
 * none or the orders are not a permutation). Returns a malloc'd array of json_array_size(cells)
 * entries (NULL only without memory: then plan order). */
int *nb_plan_sequence(json_t *cells);

#endif
