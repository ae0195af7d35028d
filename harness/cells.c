/* numabench: cells of matrix benches. */
#include "cells.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void nb_cells_init(struct nb_cells *c, json_t *run)
{
	memset(c, 0, sizeof(*c));
	c->arr = json_array();
	json_object_set_new(run, "cells", c->arr);
}

static bool budget_reason(json_t *cell)
{
	const char *r = json_string_value(json_object_get(cell, "reason"));
	return r && !strncmp(r, "budget:", 7);
}

bool nb_cell_budget(json_t *cell)
{
	json_t *q = json_object_get(cell, "order");
	int at = json_is_integer(q) ? (int)json_integer_value(q) : -1;
	double left, need;
	nb_budget_cell_begin(at);
	if (nb_budget_spent()) {
		nb_run_reason(cell, "budget: the run's time budget for this bench was spent before "
				    "this cell (--budget)");
		return true;
	}
	if (!nb_budget_cell_late(at, &left, &need))
		return false;
	nb_run_reason(cell,
		      "budget: the run's time budget ends in %.2f s, before this cell's first look "
		      "(planned at %.2f s)",
		      left, need);
	return true;
}

void nb_cells_add(struct nb_cells *c, json_t *cell, enum nb_status st)
{
	nb_cells_add_at(c, cell, st, INT_MAX);
}

void nb_cells_add_at(struct nb_cells *c, json_t *cell, enum nb_status st, int index)
{
	if (c->nindex == c->capindex) {
		int cap = c->capindex ? 2 * c->capindex : 64;
		int *p = realloc(c->index, sizeof(int) * (size_t)cap);
		if (p) {
			c->index = p;
			c->capindex = cap;
		}
	}
	if (c->nindex < c->capindex)
		c->index[c->nindex++] = index;
	if (st == NB_SKIPPED && budget_reason(cell)) {
		json_object_del(cell, "metrics"); /* not measured: no figures */
		c->budget++;
	}
	c->skipped += st == NB_SKIPPED;
	json_object_set_new(cell, "status", json_string(nb_status_name(st)));
	json_array_append_new(c->arr, cell);
	c->total++;
	if (st != NB_SKIPPED && st > c->worst)
		c->worst = st;
	c->bad += st == NB_UNTRUSTWORTHY || st == NB_FAILED;
}

struct by_index {
	int index, arrival;
	json_t *cell;
};

static int cmp_index(const void *a, const void *b)
{
	const struct by_index *x = a, *y = b;
	if (x->index != y->index)
		return x->index < y->index ? -1 : 1;
	return x->arrival < y->arrival ? -1 : x->arrival > y->arrival;
}

/* The cells in plan order (arrival order among cells of no plan index). */
static void plan_order(struct nb_cells *c)
{
	size_t n = json_array_size(c->arr);
	struct by_index *v = (size_t)c->nindex == n ? malloc(sizeof(*v) * (n + 1)) : NULL;
	for (size_t i = 0; v && i < n; i++)
		v[i] =
		    (struct by_index){c->index[i], (int)i, json_incref(json_array_get(c->arr, i))};
	if (v) {
		qsort(v, n, sizeof(*v), cmp_index);
		json_array_clear(c->arr);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(c->arr, v[i].cell);
	}
	free(v);
	free(c->index);
	c->index = NULL;
	c->nindex = c->capindex = 0;
}

enum nb_status nb_cells_finish(struct nb_cells *c, json_t *run)
{
	plan_order(c);
	if (c->budget && c->skipped == c->total) {
		/* The others cannot run here at all (an absent relation, one node) and say why. */
		if (c->skipped > c->budget)
			nb_run_reason(run,
				      "budget: the time budget was spent before any cell (%d not "
				      "reached; the other %d cannot run here)",
				      c->budget, c->skipped - c->budget);
		else
			nb_run_reason(run,
				      "budget: the time budget was spent before any cell (%d cells "
				      "skipped)",
				      c->total);
		return NB_SKIPPED;
	}
	if (c->budget && c->worst == NB_OK)
		nb_run_reason(run, "budget: %d of %d cells not reached (skipped, reason budget)",
			      c->budget, c->total);
	if (c->worst != NB_OK)
		nb_run_reason(run, "%d of %d cells untrustworthy or failed (see cells[].reason)",
			      c->bad, c->total);
	return c->worst;
}

bool nb_cell_with(json_t *cell, void *arg)
{
	return nb_fields_match(cell, arg);
}

enum nb_status nb_cell_placement(json_t *cell, const struct nb_placement *pl, int node,
				 enum nb_status st)
{
	json_object_set_new(cell, "placement", nb_placement_json(pl, node, "move_pages"));
	if (pl->on_intended >= NB_PLACE_MIN_SHARE || st != NB_OK)
		return st;
	nb_run_reason(cell, "only %.1f%% of pages on node %d", 100 * pl->on_intended, node);
	return NB_UNTRUSTWORTHY;
}

enum nb_status nb_cell_thp(json_t *cell, double share, enum nb_status st)
{
	json_object_set_new(cell, "thp_share", json_real(share));
	if (share >= 0.9 || st != NB_OK)
		return st;
	nb_run_reason(cell, "THP requested but only %.0f%% of the buffer is huge", 100 * share);
	return NB_UNTRUSTWORTHY;
}

void nb_rule_for(struct nb_rule *r, const struct nb_ctx *ctx, const struct nb_params *p)
{
	const struct nb_param_val *ci = nb_param_find(p, "ci_max");
	nb_rule_default(r, ctx->repeat, ctx->quick, ci ? ci->d : 0.05);
}

enum nb_status nb_cell_spread(json_t *cell, const struct nb_rule *r, const double *s, int n,
			      enum nb_status st)
{
	char why[512];
	if (n == 0 && nb_budget_spent()) {
		json_object_del(cell, "reason");
		nb_cell_budget(cell);
		return NB_SKIPPED;
	}
	if (st != NB_OK || nb_rule_judge(r, s, n, why, sizeof(why)) == NB_OK)
		return st;
	nb_run_reason(cell, "%s", why);
	return NB_UNTRUSTWORTHY;
}
