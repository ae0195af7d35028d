/* numabench bench `tier`: how accurately and how fast the kernel keeps a known hot set on the
 * fast memory tier (issue 15).
 *
 * A hot set is touched continuously (one load per cache line, `hot_rate` passes per second, 0:
 * as fast as possible) by a thread pinned to a CPU node of the top tier (the fast node); a cold
 * set is touched once, at first touch, and never again. The slow node is the first node of the
 * nearest lower memory tier the kernel shows (/sys/devices/virtual/memory_tiering, recorded in
 * the topology); where there is none the bench is skipped with the kernel's tiers as reason.
 *
 * Scenarios, each a cell with its own status and reason:
 *   promotion  hot and cold sets first-touched on the slow node under MPOL_BIND, then unbound
 *              (MPOL_DEFAULT: the scanner skips a VMA whose policy lacks MPOL_F_MOF, as in
 *              bench/balance/workload.c), for each numa_balancing mode; modes 0 and 1 are the
 *              controls, judged by the sets' own sampled pages (at 0 none may move; at 1 no
 *              cold page, a hot one only to the fast node), not by the system-wide
 *              pgpromote_success (context: it counts every process, and pages marked before).
 *   baseline   the hot set hard-bound to the fast node, and to the slow node.
 *   demotion   demotion_enabled=true, numa_balancing=2; the hot set starts on the slow node,
 *              the cold set on the fast node, then a child process bound to the fast node
 *              fills it past its watermarks: reclaim must demote (pgdemote_*), and the
 *              per-page history tells pages promoted and then demoted again (wasted
 *              migrations).
 *   sweep      the promotion scenario at mode 2 for each promote_rate_limit_MBps and each
 *              hot_threshold_ms (debugfs; skipped with the reason when absent).
 *
 * Placement is read with move_pages(2) in query mode (nodes == NULL) over an evenly spaced
 * sample of each set's pages: a page-table lookup that never takes a NUMA hinting fault. Every
 * sampled page keeps its history, so "cold page promoted" and "promoted then demoted" are
 * counted per page, not guessed from system-wide counters. Counters are /proc/vmstat deltas;
 * a field the kernel lacks is null, with the reason in `vmstat_missing`.
 *
 * Tunables go through the journaled table (harness/tunables.c): numa_balancing, the scan
 * delay/period (lowered to scan_ms, as balance does), demotion_enabled,
 * promote_rate_limit_MBps and hot_threshold_ms; the bench puts back what it changed.
 *
 * This file owns the parameters, the choice of nodes, the plan of trials (scenarios, modes,
 * sweeps) and the descriptor; tier.h lists the other files.
 */
#include "tier/tier.h"
#include "cells.h"
#include "place.h"
#include "plan.h"
#include "tunables.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct nb_choice scenario_choices[] = {
    {"promotion", NB_TIER_PROMOTION, "hot set on the slow node: is it promoted"},
    {"baseline", NB_TIER_BASELINE, "hot set bound to either node: the bounds"},
    {"demotion", NB_TIER_DEMOTION, "the fast node filled: are cold pages demoted"},
    {"sweep", NB_TIER_SWEEP, "promotion with each rate limit and hot threshold"},
    {NULL, 0, NULL},
};

static const struct nb_param_def params[] = {
    [TIER_P_HOT_SIZE] = {"hot_size", NB_P_SIZE, "bytes", "16M", 1 << 16, 64.0 * (1ull << 30), NULL,
			 "hot set, touched continuously"},
    [TIER_P_COLD_SIZE] = {"cold_size", NB_P_SIZE, "bytes", "32M", 1 << 16, 64.0 * (1ull << 30),
			  NULL, "cold set, touched once (first touch)"},
    [TIER_P_HOT_RATE] =
	{"hot_rate", NB_P_INT, "passes/s", "0", 0, 100000, NULL,
	 "passes over the hot set per second (one load per cache line); 0: as fast as possible"},
    [TIER_P_DURATION_S] = NB_PARAM_DURATION_S("8", "length of each trial"),
    [TIER_P_INTERVAL_MS] = NB_PARAM_INTERVAL_MS("200"),
    [TIER_P_MODES] =
	{"modes", NB_P_ENUMS, "", "0,1,2,3", 0, 0, nb_choices_balancing,
	 "kernel.numa_balancing modes of the promotion scenario (0 and 1 are controls)"},
    [TIER_P_SCENARIOS] = {"scenarios", NB_P_ENUMS, "", "promotion,baseline,demotion,sweep", 0, 0,
			  scenario_choices, "what to run"},
    [TIER_P_RATE_LIMITS_MBPS] = {"rate_limits_MBps", NB_P_INTS, "MB/s", "1,65536", 0, 0, NULL,
				 "promote_rate_limit_MBps values of the sweep (plain numbers)"},
    [TIER_P_HOT_THRESHOLDS_MS] =
	{"hot_thresholds_ms", NB_P_INTS, "ms", "10,1000", 0, 0, NULL,
	 "hot_threshold_ms values of the sweep (plain numbers; needs debugfs)"},
    [TIER_P_FILL_MARGIN] =
	{"fill_margin", NB_P_SIZE, "bytes", "32M", 0, 64.0 * (1ull << 30), NULL,
	 "demotion: the filler takes the fast node's free memory plus this much"},
    /* 4G: the test guests' fast nodes (512M-1G) fill in seconds even under TCG, a desktop's
     * spare memory is filled in well under FILL_TIMEOUT_NS, and a server node of hundreds of
     * GiB is not populated for minutes, forcing other tenants' memory out, unless asked */
    [TIER_P_FILL_MAX] = {"fill_max", NB_P_SIZE, "bytes", "4G", 1 << 20, 64.0 * (1ull << 40), NULL,
			 "demotion: skipped when the filler (fast node free memory + fill_margin) "
			 "would exceed this"},
    [TIER_P_SCAN_MS] = NB_PARAM_SCAN_MS,
    [TIER_P_COUNT] = NB_PARAMS_END,
};

int tier_pick(const struct nb_ctx *ctx, struct tier *t, char *why, size_t len)
{
	const struct nb_tiering *tg = &ctx->topo->tiering;
	int cn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(ctx, cn);
	t->nmem = nb_ctx_mem_nodes(ctx, t->mem);
	if (nb_tier_pick(tg, cn, ncn, t->mem, t->nmem, &t->fast, &t->slow, why, len))
		return -1;
	t->fast_tier = nb_tiering_tier_of(tg, t->fast);
	t->slow_tier = nb_tiering_tier_of(tg, t->slow);
	memset(t->in_fast, 0, sizeof(t->in_fast));
	for (int k = 0; k < tg->tiers[t->fast_tier].nnodes; k++)
		t->in_fast[tg->tiers[t->fast_tier].nodes[k]] = true;
	return 0;
}

static char probe_why[256];

static const char *probe(const struct nb_ctx *ctx)
{
	struct tier t;
	memset(&t, 0, sizeof(t));
	t.ctx = (struct nb_ctx *)ctx;
	if (ctx->caps->numa_balancing < 0)
		return "the kernel has no automatic NUMA balancing (kernel.numa_balancing absent)";
	if (tier_pick(ctx, &t, probe_why, sizeof(probe_why)))
		return probe_why;
	return NULL;
}

static const char *const scenario_names[] = {"promotion", "baseline", "demotion", "sweep"};

/* The sweeps: each knob, the parameter with its values, the cell field that names the value. */
static const struct {
	const char *knob;
	int param;
} sweeps[] = {{"promote_rate_limit_MBps", TIER_P_RATE_LIMITS_MBPS},
	      {"hot_threshold_ms", TIER_P_HOT_THRESHOLDS_MS}};

/* A planned trial: scenario, balancing, bound, label, the fast node's cpus, the node the hot set
 * starts on, the bytes of both sets. */
static void plan_trial(json_t *pl, const struct tier *t, const char *scenario, int mode,
		       const char *bound, const char *label, double est)
{
	json_t *c = json_pack("{s:s,s:i,s:s,s:i,s:i,s:I}", "scenario", scenario, "balancing", mode,
			      "label", label, "cpu_node", t->fast, "mem_node",
			      bound && !strcmp(bound, "fast") ? t->fast : t->slow, "bytes",
			      (json_int_t)(t->hot_size + t->cold_size));
	if (bound)
		json_object_set_new(c, "bound", json_string(bound));
	for (int k = 0; k < t->ncpus; k++)
		nb_plan_cpu(c, t->cpus[k], "worker");
	nb_plan_mem(pl, t->slow, t->hot_size + t->cold_size);
	nb_plan_add(pl, c, est);
}

/* The trials in run order: promotion per mode, the two baselines, demotion, then each sweep
 * value. Cost model: each trial duration_s, plus populating both sets at 1 GB/s and 0.5 s to
 * start and stop; demotion also fills the fast node (its memory cap, at most fill_max) at
 * 1 GB/s. */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	static struct tier t;
	char why[256], label[64];
	json_t *pl = nb_plan_new();
	memset(&t, 0, sizeof(t));
	t.ctx = (struct nb_ctx *)ctx;
	if (tier_pick(ctx, &t, why, sizeof(why)))
		return pl;
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	t.hot_size = (p->v[TIER_P_HOT_SIZE].u + page - 1) / page * page;
	t.cold_size = (p->v[TIER_P_COLD_SIZE].u + page - 1) / page * page;
	t.cpus = nb_ctx_cpu_list(ctx);
	t.ncpus = nb_ctx_node_cpus(ctx, t.fast, t.cpus);
	const struct nb_param_val *sc = &p->v[TIER_P_SCENARIOS], *modes = &p->v[TIER_P_MODES];
	bool want[4] = {false};
	for (int i = 0; i < sc->nlist; i++)
		want[sc->list[i]] = true;
	double each =
	    (double)p->v[TIER_P_DURATION_S].u + 0.5 + (double)(t.hot_size + t.cold_size) / 1e9;
	for (int i = 0; want[NB_TIER_PROMOTION] && i < modes->nlist; i++) {
		snprintf(label, sizeof(label), "promotion, numa_balancing=%d", (int)modes->list[i]);
		plan_trial(pl, &t, "promotion", (int)modes->list[i], NULL, label, each);
	}
	for (int i = 0; want[NB_TIER_BASELINE] && i < 2; i++) {
		snprintf(label, sizeof(label), "baseline, hot set bound to %s",
			 i ? "slow" : "fast");
		plan_trial(pl, &t, "baseline", 2, i ? "slow" : "fast", label, each);
	}
	if (want[NB_TIER_DEMOTION]) {
		uint64_t cap = nb_ctx_mem_cap(ctx, t.fast), fmax = p->v[TIER_P_FILL_MAX].u;
		double fill = (double)(cap && cap < fmax ? cap : fmax) / 1e9;
		plan_trial(pl, &t, "demotion", 2, NULL, "demotion, numa_balancing=2", each + fill);
		json_t *cells = json_object_get(pl, "cells");
		json_object_set_new(json_array_get(cells, json_array_size(cells) - 1),
				    "demotion_enabled", json_string("true"));
	}
	for (int s = 0; want[NB_TIER_SWEEP] && s < 2; s++) {
		const struct nb_param_val *vals = &p->v[sweeps[s].param];
		for (int i = 0; i < vals->nlist; i++) {
			snprintf(label, sizeof(label), "sweep, %s=%llu", sweeps[s].knob,
				 (unsigned long long)vals->list[i]);
			plan_trial(pl, &t, "sweep", 2, NULL, label, each);
			json_t *cells = json_object_get(pl, "cells");
			json_object_set_new(json_array_get(cells, json_array_size(cells) - 1),
					    sweeps[s].knob,
					    json_integer((json_int_t)vals->list[i]));
		}
	}
	free(t.cpus);
	t.cpus = NULL;
	return pl;
}

/* The trial a planned cell describes. */
static void trial_of(json_t *cell, struct trial *tr)
{
	const char *sc = json_string_value(json_object_get(cell, "scenario"));
	memset(tr, 0, sizeof(*tr));
	for (int k = 0; k < 4; k++)
		if (!strcmp(sc, scenario_names[k]))
			tr->scenario = (enum nb_tier_scenario)k;
	tr->mode = (int)json_integer_value(json_object_get(cell, "balancing"));
	const char *b = json_string_value(json_object_get(cell, "bound"));
	tr->bound = !b ? NULL : !strcmp(b, "fast") ? "fast" : "slow";
	tr->demote = tr->scenario == NB_TIER_DEMOTION;
	snprintf(tr->label, sizeof(tr->label), "%s",
		 json_string_value(json_object_get(cell, "label")));
}

static void do_trial(struct tier *t, struct nb_cells *cl, const struct trial *tr, json_t *cell)
{
	nb_progress("tier: %s", tr->label);
	nb_cells_add(cl, cell, tier_run_trial(t, tr, cell));
}

/* A sweep knob: set to the cell's value (the first cell of the knob remembers it in knobs);
 * NB_OK, or the cell's status (skipped: the knob is absent; failed: it cannot be set). */
static enum nb_status sweep_set(json_t *knobs, json_t *cell, int s, char *before, size_t blen,
				bool *have, bool first)
{
	const struct nb_tunable *k = nb_tunable_find(sweeps[s].knob);
	char err[256], v[32];
	if (first) {
		*have = nb_tunable_get(k, before, blen) == 0;
		tier_knobs_remember(knobs, sweeps[s].knob);
	}
	if (!*have) {
		nb_run_reason(cell, "%s is absent (%s%s)", sweeps[s].knob, k->path,
			      strstr(k->needs, "debugfs") ? ": debugfs is not mounted"
							  : ": the kernel has no such tunable");
		return NB_SKIPPED;
	}
	snprintf(v, sizeof(v), "%lld",
		 (long long)json_integer_value(json_object_get(cell, sweeps[s].knob)));
	if (nb_tunable_set(k, v, err, sizeof(err))) {
		nb_run_reason(cell, "%s", err);
		return NB_FAILED;
	}
	return NB_OK;
}

static void sweep_restore(int s, const bool *have, char (*before)[64])
{
	char err[256];
	if (have[s])
		nb_tunable_set(nb_tunable_find(sweeps[s].knob), before[s], err, sizeof(err));
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	static struct tier t;
	char why[256];
	memset(&t, 0, sizeof(t));
	t.ctx = ctx;
	if (tier_pick(ctx, &t, why, sizeof(why))) {
		nb_run_reason(run, "%s", why);
		return NB_SKIPPED;
	}
	const struct nb_tiering *tg = &ctx->topo->tiering;
	json_object_set_new(run, "tiers",
			    json_pack("{s:i,s:i,s:i,s:i,s:o}", "fast_node", t.fast, "slow_node",
				      t.slow, "fast_tier", tg->tiers[t.fast_tier].id, "slow_tier",
				      tg->tiers[t.slow_tier].id, "memory_tiers",
				      nb_tiering_json(tg)));
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	t.hot_size = (p->v[TIER_P_HOT_SIZE].u + page - 1) / page * page;
	t.cold_size = (p->v[TIER_P_COLD_SIZE].u + page - 1) / page * page;
	t.hot_rate = p->v[TIER_P_HOT_RATE].u;
	t.fill_margin = p->v[TIER_P_FILL_MARGIN].u;
	t.fill_max = p->v[TIER_P_FILL_MAX].u;
	t.scan_ms = p->v[TIER_P_SCAN_MS].u;
	t.interval = (double)p->v[TIER_P_INTERVAL_MS].u / 1000.0;
	t.nsamples = (int)(p->v[TIER_P_DURATION_S].u * 1000 / p->v[TIER_P_INTERVAL_MS].u);
	t.cpus = nb_ctx_cpu_list(ctx);
	t.ncpus = nb_ctx_node_cpus(ctx, t.fast, t.cpus);
	if (nb_pin_self(t.cpus, t.ncpus)) {
		nb_run_reason(run, "pinning to the fast node %d: %s", t.fast, strerror(errno));
		free(t.cpus);
		t.cpus = NULL;
		return NB_FAILED;
	}
	json_t *knobs = json_object();
	json_object_set_new(run, "tunables_bench", knobs);
	tier_knobs_begin(&t);
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	json_t *pl = plan(ctx, p), *cells = json_object_get(pl, "cells");
	char before[2][64], err[256];
	bool have[2] = {false, false}, seen[2] = {false, false};
	int cur = -1; /* the sweep knob of the cells being run */
	for (size_t i = 0; i < json_array_size(cells) && !nb_interrupted; i++) {
		json_t *cell = nb_plan_cell_copy(json_array_get(cells, i));
		struct trial tr;
		trial_of(cell, &tr);
		if (tr.demote) {
			tier_knobs_remember(knobs, "demotion_enabled");
			do_trial(&t, &cl, &tr, cell);
			const char *b = json_string_value(
			    json_object_get(json_object_get(knobs, "demotion_enabled"), "before"));
			char was[64];
			if (b) { /* the other scenarios run with the original setting */
				snprintf(was, sizeof(was), "%s", b);
				tier_set_knob("demotion_enabled", was, err, sizeof(err));
			}
			continue;
		}
		int s = -1;
		for (int k = 0; k < 2 && tr.scenario == NB_TIER_SWEEP; k++)
			if (json_object_get(cell, sweeps[k].knob))
				s = k;
		if (cur >= 0 && s != cur) /* a knob's sweep is over: put it back before the next */
			sweep_restore(cur, have, before);
		cur = s;
		if (s >= 0) {
			enum nb_status st = sweep_set(knobs, cell, s, before[s], sizeof(before[s]),
						      &have[s], !seen[s]);
			seen[s] = true;
			if (st != NB_OK) {
				nb_cells_add(&cl, cell, st);
				continue;
			}
		}
		do_trial(&t, &cl, &tr, cell);
	}
	json_decref(pl);
	if (cur >= 0)
		sweep_restore(cur, have, before);
	tier_knobs_restore(&t, knobs, run);
	nb_progress_done();
	tier_scores(run);
	tier_headline(run, &t);
	free(t.cpus);
	t.cpus = NULL;
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	return nb_ctx_check_mem(ctx, p->v[TIER_P_HOT_SIZE].u + p->v[TIER_P_COLD_SIZE].u,
				"tier.hot_size + tier.cold_size", err, len);
}

/* What names a trial: compare pairs trials by these (written as each run's "identity"). */
static const char *const identity[] = {
    "scenario", "balancing", "bound", "promote_rate_limit_MBps", "hot_threshold_ms", NULL};

const struct nb_bench nb_bench_tier = {
    .abi = NB_BENCH_ABI,
    .identity = identity,
    .headline = &tier_headline_rule,
    .name = "tier",
    .summary = "memory tiering: promotion of a hot set from a slow tier, demotion under "
	       "pressure, rate limit and hot threshold sweeps",
    .params = params,
    .nparams = TIER_P_COUNT,
    .req = NB_REQ_ROOT | NB_REQ_BALANCING,
    .probe = probe,
    .run = run,
    .validate = validate,
    .plan = plan,
};
