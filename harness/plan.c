/* numabench: the plan of a run and working sets from the caches (see plan.h). */
#include "plan.h"
#include "memcg.h"
#include "place.h"
#include "stats.h"

#include <string.h>

uint64_t nb_ctx_mem_cap(const struct nb_ctx *ctx, int node)
{
	const struct nb_node *nd = nb_topo_node(ctx->topo, node);
	if (ctx->topo->replayed || ctx->topo->fsroot_replay)
		return nd ? nd->memory_bytes : 0;
	uint64_t cap = nb_node_free_bytes(node);
	struct nb_memcg m;
	uint64_t h = nb_memcg_headroom(&m);
	if (h != UINT64_MAX) {
		h = h > NB_MEM_SLACK ? h - NB_MEM_SLACK : 0;
		cap = cap && cap < h ? cap : h;
	}
	return cap;
}

uint64_t nb_wset_pair_llc(const struct nb_topo *t, int cpu_node, int mem_node)
{
	uint64_t l = nb_place_node_llc(t, cpu_node);
	return cpu_node == mem_node ? l : l + nb_place_node_llc(t, mem_node);
}

static uint64_t pair_need(const struct nb_topo *t, const struct nb_wset *w, int cn, int mn)
{
	double need = NB_WSET_LLC_FACTOR * (double)nb_wset_pair_llc(t, cn, mn) * w->mult;
	uint64_t n = (uint64_t)need;
	n = (n + (2u << 20) - 1) / (2u << 20) * (2u << 20); /* whole huge pages */
	return n > w->floor ? n : w->floor;
}

void nb_wset_for(const struct nb_ctx *ctx, uint64_t param, double mult, uint64_t floor,
		 struct nb_wset *w)
{
	memset(w, 0, sizeof(*w));
	w->mult = mult;
	w->floor = floor;
	if (nb_param_word(param) < 0) {
		w->set = true;
		w->bytes = w->need_bytes = param;
		return;
	}
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES];
	int ncn = nb_ctx_cpu_nodes(ctx, cn), nmn = nb_ctx_mem_nodes(ctx, mn);
	w->need_bytes = floor;
	for (int i = 0; i < ncn; i++)
		for (int j = 0; j < nmn; j++) {
			uint64_t n = pair_need(ctx->topo, w, cn[i], mn[j]);
			w->need_bytes = n > w->need_bytes ? n : w->need_bytes;
		}
	for (int j = 0; j < nmn; j++) {
		uint64_t c = nb_ctx_mem_cap(ctx, mn[j]);
		if (c && (!w->cap_bytes || c < w->cap_bytes))
			w->cap_bytes = c;
	}
	w->bytes = w->need_bytes;
	if (w->cap_bytes && w->bytes > w->cap_bytes / 2) /* half: leave the node room */
		w->bytes = w->cap_bytes / 2 / (2u << 20) * (2u << 20);
	if (w->bytes < (2u << 20))
		w->bytes = 2u << 20;
}

bool nb_wset_cell(const struct nb_ctx *ctx, const struct nb_wset *w, int cpu_node, int mem_node,
		  json_t *cell)
{
	uint64_t llc = nb_wset_pair_llc(ctx->topo, cpu_node, mem_node);
	uint64_t need = w->set ? w->bytes : pair_need(ctx->topo, w, cpu_node, mem_node);
	bool capped = !w->set && w->bytes < need;
	const char *rule = w->set ? "set" : need > w->floor ? "4x_llc" : "floor";
	json_object_set_new(cell, "size_rule",
			    json_pack("{s:s,s:I,s:I,s:I,s:b}", "rule", rule, "llc_bytes",
				      (json_int_t)llc, "need_bytes", (json_int_t)need, "cap_bytes",
				      (json_int_t)w->cap_bytes, "capped", capped));
	return capped;
}

enum nb_status nb_wset_judge(json_t *cell, enum nb_status st)
{
	json_t *r = json_object_get(cell, "size_rule");
	if (!json_is_true(json_object_get(r, "capped")) || st != NB_OK)
		return st;
	nb_run_reason(cell,
		      "working set capped at %lld bytes by free memory, below %d x the last-level "
		      "cache (%lld bytes): the DRAM point may be cache-resident",
		      (long long)json_integer_value(json_object_get(cell, "size_bytes")),
		      NB_WSET_LLC_FACTOR,
		      (long long)json_integer_value(json_object_get(r, "llc_bytes")));
	return NB_UNTRUSTWORTHY;
}

json_t *nb_plan_new(void)
{
	return json_pack("{s:[],s:{},s:f}", "cells", "memory_per_node", "estimate_s", 0.0);
}

void nb_plan_cpu(json_t *cell, int cpu, const char *role)
{
	json_t *a = json_object_get(cell, "cpus");
	if (!a) {
		a = json_array();
		json_object_set_new(cell, "cpus", a);
	}
	json_array_append_new(a, json_pack("{s:i,s:s}", "cpu", cpu, "role", role));
}

void nb_plan_mem(json_t *plan, int node, uint64_t bytes)
{
	char k[16];
	snprintf(k, sizeof(k), "%d", node);
	json_t *m = json_object_get(plan, "memory_per_node");
	json_int_t was = json_integer_value(json_object_get(m, k));
	if ((json_int_t)bytes > was || !json_object_get(m, k))
		json_object_set_new(m, k, json_integer((json_int_t)bytes));
}

void nb_plan_add(json_t *plan, json_t *cell, double estimate_s)
{
	json_object_set_new(cell, "estimate_s", json_real(estimate_s));
	json_array_append_new(json_object_get(plan, "cells"), cell);
	double t = json_real_value(json_object_get(plan, "estimate_s"));
	json_object_set_new(plan, "estimate_s", json_real(t + estimate_s));
}

int nb_plan_samples(const struct nb_ctx *ctx)
{
	struct nb_rule r;
	nb_rule_default(&r, ctx->repeat, ctx->quick, 0.1);
	return r.min_reps;
}

uint64_t nb_size_by_time(double target_s, double unit_s, uint64_t floor_units, uint64_t cap_units)
{
	if (unit_s <= 0 || target_s <= 0)
		return cap_units;
	double want = target_s / unit_s;
	uint64_t u = 1;
	while ((double)(u * 2) <= want && u < (1ull << 40))
		u *= 2;
	u = u < floor_units ? floor_units : u;
	return u < cap_units ? u : cap_units;
}

double nb_budget_sample_target(double want_s, int cells_left, int samples, const char **from)
{
	*from = NULL;
	if (!nb_budget_job_end_ns || cells_left < 1 || samples < 1)
		return want_s;
	uint64_t now = nb_now_ns();
	double left = now < nb_budget_job_end_ns ? (nb_budget_job_end_ns - now) / 1e9 : 0;
	double t = left / cells_left / samples;
	if (t >= want_s)
		return want_s;
	*from = "budget";
	return t;
}

json_t *nb_plan_cell_copy(json_t *planned)
{
	json_t *c = json_deep_copy(planned);
	json_object_del(c, "estimate_s");
	return c;
}

int nb_plan_cpus(json_t *cell, const char *role, int *out, int max)
{
	size_t i;
	json_t *e;
	int n = 0;
	json_array_foreach(json_object_get(cell, "cpus"), i, e)
	{
		const char *r = json_string_value(json_object_get(e, "role"));
		if (n < max && (!role || (r && !strcmp(r, role))))
			out[n++] = (int)json_integer_value(json_object_get(e, "cpu"));
	}
	return n;
}

int *nb_plan_cpus_new(json_t *cell, const char *role, int *n)
{
	size_t max = json_array_size(json_object_get(cell, "cpus"));
	int *out = nb_xcalloc(max, sizeof(int));
	*n = nb_plan_cpus(cell, role, out, (int)max);
	return out;
}
