/* numabench: coarse-to-fine order of a plan's cells (see order.h). */
#include "order.h"
#include "classes.h"

#include <stdlib.h>
#include <string.h>

void nb_order_rounds(const int *group, int n, int *pos)
{
	int *rank = calloc((size_t)n + 1, sizeof(int)), *seen = calloc((size_t)n + 1, sizeof(int));
	int rounds = 0, k = 0;
	if (!rank || !seen) { /* no memory: plan order */
		for (int i = 0; i < n; i++)
			pos[i] = i;
		free(rank);
		free(seen);
		return;
	}
	/* rank: how many cells of the group come before it in plan order (groups are < n). */
	for (int i = 0; i < n; i++) {
		int g = group[i];
		rank[i] = g >= 0 && g < n ? seen[g]++ : 0;
		rounds = rank[i] + 1 > rounds ? rank[i] + 1 : rounds;
	}
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			if (rank[i] == r)
				pos[i] = k++;
	free(rank);
	free(seen);
}

/* The cell's point: its point_keys' values as one JSON text (owned by the caller). */
static char *point_of(json_t *cell, const char *const *keys)
{
	json_t *a = json_array();
	for (int k = 0; keys && keys[k]; k++) {
		json_t *v = json_object_get(cell, keys[k]);
		json_array_append(a, v ? v : json_null());
	}
	char *s = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(a);
	return s;
}

void nb_plan_order(const struct nb_ctx *ctx, json_t *plan, const char *cpu_key, const char *mem_key,
		   const char *const *point_keys)
{
	json_t *cells = json_object_get(plan, "cells");
	int n = (int)json_array_size(cells);
	struct nb_pair_classes *pc = malloc(sizeof(*pc));
	int *group = calloc((size_t)n + 1, sizeof(int)), *cls = calloc((size_t)n + 1, sizeof(int));
	int *pos = calloc((size_t)n + 1, sizeof(int)), *first = calloc((size_t)n + 1, sizeof(int));
	char **pt = calloc((size_t)n + 1, sizeof(char *));
	if (!pc || !group || !cls || !pos || !first || !pt)
		goto out;
	nb_pair_classes_ctx(ctx, pc);
	int ngroups = 0;
	for (int i = 0; i < n; i++) {
		json_t *c = json_array_get(cells, (size_t)i);
		json_t *a = json_object_get(c, cpu_key), *b = json_object_get(c, mem_key);
		cls[i] = json_is_integer(a) && json_is_integer(b)
			     ? nb_pair_class_of(pc, (int)json_integer_value(a),
						(int)json_integer_value(b))
			     : -1;
		pt[i] = point_of(c, point_keys);
		group[i] = -1;
		if (cls[i] < 0 || !pt[i])
			continue;
		/* The group whose first cell has the same point and class, else a new one. */
		for (int g = 0; g < ngroups && group[i] < 0; g++)
			if (cls[first[g]] == cls[i] && !strcmp(pt[first[g]], pt[i]))
				group[i] = g;
		if (group[i] < 0) {
			first[ngroups] = i;
			group[i] = ngroups++;
		}
	}
	nb_order_rounds(group, n, pos);
	for (int i = 0; i < n; i++)
		json_object_set_new(json_array_get(cells, (size_t)i), "order",
				    json_integer(pos[i]));
out:
	for (int i = 0; pt && i < n; i++)
		free(pt[i]);
	free(pt);
	free(pos);
	free(first);
	free(cls);
	free(group);
	free(pc);
}

int *nb_plan_sequence(json_t *cells)
{
	size_t n = json_array_size(cells);
	int *seq = malloc(sizeof(int) * (n + 1));
	if (!seq)
		return NULL;
	for (size_t i = 0; i < n; i++)
		seq[i] = -1;
	bool perm = true;
	for (size_t i = 0; i < n && perm; i++) {
		json_t *o = json_object_get(json_array_get(cells, i), "order");
		json_int_t k = json_is_integer(o) ? json_integer_value(o) : -1;
		perm = k >= 0 && (size_t)k < n && seq[k] < 0;
		if (perm)
			seq[k] = (int)i;
	}
	for (size_t i = 0; i < n && !perm; i++)
		seq[i] = (int)i;
	/* the cells' shares of the bench's budget, by place in the order (stats.h) */
	double *est = malloc(sizeof(double) * (n + 1));
	for (size_t q = 0; est && q < n; q++)
		est[q] = json_number_value(
		    json_object_get(json_array_get(cells, (size_t)seq[q]), "estimate_s"));
	nb_budget_cells_arm(perm ? est : NULL, (int)n);
	free(est);
	return seq;
}
