/* numabench: the plan of a run (`numabench run --plan`): every cell a bench would measure, its
 * cpus and roles, memory node and bytes, the memory it needs per node, and a time estimate. A
 * bench's plan() is a pure function of the context (topology, run sets) and the parameters;
 * its run() executes exactly those cells. Working-set sizes from the caches live here too. */
#ifndef NB_PLAN_H
#define NB_PLAN_H

#include "bench.h"

/* A DRAM point's working set is at least this many times the last-level cache that can hold
 * it (STREAM's rule). */
#define NB_WSET_LLC_FACTOR 4

/* The working set of a bench's DRAM point, one value for every cell of the run (so cells stay
 * comparable): the largest need over the run's (cpu node, memory node) pairs, capped by the
 * smallest memory cap of the run's memory nodes. */
struct nb_wset {
	bool set;	     /* the size was given (--set, a suite): the rule did not apply */
	double mult;	     /* buffer bytes per byte of cache footprint (a chase: stride / 64) */
	uint64_t floor;	     /* the least the rule gives (also without cache information) */
	uint64_t need_bytes; /* the rule's size, before the cap */
	uint64_t cap_bytes;  /* the memory cap (0: unknown) */
	uint64_t bytes;	     /* what the cells use */
};
/* param: the parameter's value (a number: set; a word: the rule). */
void nb_wset_for(const struct nb_ctx *ctx, uint64_t param, double mult, uint64_t floor,
		 struct nb_wset *w);
/* The LLC bytes a cell of (cpu node, memory node) counts: the cpu node's LLC, plus the memory
 * node's when it is another node (AMD's L3 and remote caches hold remote lines too). */
uint64_t nb_wset_pair_llc(const struct nb_topo *t, int cpu_node, int mem_node);
/* cell["size_rule"]: {"rule":"set"|"4x_llc"|"floor", "llc_bytes", "need_bytes", "cap_bytes",
 * "capped"}; capped: the cap forced the size below this cell's need. Returns capped. */
bool nb_wset_cell(const struct nb_ctx *ctx, const struct nb_wset *w, int cpu_node, int mem_node,
		  json_t *cell);
/* A cell planned with a capped working set: an ok status turns untrustworthy with the reason
 * (the DRAM point may be cache-resident). */
enum nb_status nb_wset_judge(json_t *cell, enum nb_status st);

/* Memory a node can give a cell: a replay's node size; else its free memory and the memory
 * cgroup's headroom less NB_MEM_SLACK, the smaller. 0 when unknown. */
uint64_t nb_ctx_mem_cap(const struct nb_ctx *ctx, int node);

/* A plan: {"cells":[], "memory_per_node":{}, "estimate_s":0}. */
json_t *nb_plan_new(void);
/* cell["cpus"] += {"cpu": cpu, "role": role}. */
void nb_plan_cpu(json_t *cell, int cpu, const char *role);
/* Append cell to the plan with its estimate (seconds), and the memory it needs: bytes on each
 * node of nodes[0..n) (memory_per_node keeps the largest need of any cell: cells run one at a
 * time). */
void nb_plan_add(json_t *plan, json_t *cell, double estimate_s);
void nb_plan_mem(json_t *plan, int node, uint64_t bytes);
/* Seconds of a timing cell at the rule's minimum sample count: samples x per-sample seconds
 * plus setup (the documented cost model: see README, numabench run --plan). */
int nb_plan_samples(const struct nb_ctx *ctx);

/*
 * Pure: a sample sized by time, not by a fixed count (migrate's single-page cells): the units
 * (pages, calls) one sample takes so that it lasts about target_s when one unit costs unit_s,
 * rounded down to a power of two (so that runs on one host mostly pick the same size), at
 * least floor_units and at most cap_units (cap_units wins). unit_s <= 0 (not measured): the
 * cap.
 */
uint64_t nb_size_by_time(double target_s, double unit_s, uint64_t floor_units, uint64_t cap_units);
/* The time target of one sample of a cell under the run's budget: the bench's share left
 * (nb_budget_job_end_ns) over the cells_left it still has to measure, over the rule's samples
 * per cell (samples), when that is below want_s; else want_s. *from: "budget" or NULL. */
double nb_budget_sample_target(double want_s, int cells_left, int samples, const char **from);

/* A results cell from a planned one: a copy without the plan-only fields (estimate_s). */
json_t *nb_plan_cell_copy(json_t *planned);
/* cpus of a planned cell with role (NULL: any); returns the count. */
int nb_plan_cpus(json_t *cell, const char *role, int *out, int max);
/* The same into a new array of every such cpu (*n of them; the caller frees it; never NULL). */
int *nb_plan_cpus_new(json_t *cell, const char *role, int *n);

#endif
