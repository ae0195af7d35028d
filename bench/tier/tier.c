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
 * controls (pgpromote_success counts tiering promotions only, it must stay 0 there). baseline   the
 * hot set hard-bound to the fast node, and to the slow node. demotion   demotion_enabled=true,
 * numa_balancing=2; the hot set starts on the slow node, the cold set on the fast node, then a
 * child process bound to the fast node fills it past its watermarks: reclaim must demote
 * (pgdemote_*), and the per-page history tells pages promoted and then demoted again (wasted
 * migrations). sweep      the promotion scenario at mode 2 for each promote_rate_limit_MBps and
 * each hot_threshold_ms (debugfs; skipped with the reason when absent).
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
#include "tunables.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct nb_param_def params[] = {
    {"hot_size", NB_P_SIZE, "bytes", "16M", 1 << 16, 64.0 * (1ull << 30), NULL,
     "hot set, touched continuously"},
    {"cold_size", NB_P_SIZE, "bytes", "32M", 1 << 16, 64.0 * (1ull << 30), NULL,
     "cold set, touched once (first touch)"},
    {"hot_rate", NB_P_INT, "passes/s", "0", 0, 100000, NULL,
     "passes over the hot set per second (one load per cache line); 0: as fast as possible"},
    {"duration_s", NB_P_INT, "s", "8", 1, 3600, NULL, "length of each trial"},
    {"interval_ms", NB_P_INT, "ms", "200", 10, 60000, NULL, "sampling interval of the timeline"},
    {"modes", NB_P_ENUMS, "", "0,1,2,3", 0, 0, "0|1|2|3",
     "kernel.numa_balancing modes of the promotion scenario (0 and 1 are controls)"},
    {"scenarios", NB_P_ENUMS, "", "promotion,baseline,demotion,sweep", 0, 0,
     "promotion|baseline|demotion|sweep", "what to run"},
    {"rate_limits_MBps", NB_P_SIZES, "MB/s", "1,65536", 0, 0, NULL,
     "promote_rate_limit_MBps values of the sweep (plain numbers)"},
    {"hot_thresholds_ms", NB_P_SIZES, "ms", "10,1000", 0, 0, NULL,
     "hot_threshold_ms values of the sweep (plain numbers; needs debugfs)"},
    {"fill_margin", NB_P_SIZE, "bytes", "32M", 0, 64.0 * (1ull << 30), NULL,
     "demotion: the filler takes the fast node's free memory plus this much"},
    /* 4G: the test guests' fast nodes (512M-1G) fill in seconds even under TCG, a desktop's
     * spare memory is filled in well under FILL_TIMEOUT_NS, and a server node of hundreds of
     * GiB is not populated for minutes, forcing other tenants' memory out, unless asked */
    {"fill_max", NB_P_SIZE, "bytes", "4G", 1 << 20, 64.0 * (1ull << 40), NULL,
     "demotion: skipped when the filler (fast node free memory + fill_margin) would exceed this"},
    {"scan_ms", NB_P_INT, "ms", "100", 0, 3600000, NULL,
     "scan_delay_ms and scan_period_min_ms during the bench, journaled (0: leave them)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL},
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

static json_t *new_cell(const struct trial *tr)
{
	static const char *const sc[] = {"promotion", "baseline", "demotion", "sweep"};
	json_t *c = json_pack("{s:s,s:i}", "scenario", sc[tr->scenario], "balancing", tr->mode);
	if (tr->bound)
		json_object_set_new(c, "bound", json_string(tr->bound));
	return c;
}

static void do_trial(struct tier *t, struct nb_cells *cl, const struct trial *tr, json_t *cell)
{
	nb_progress("tier: %s", tr->label);
	enum nb_status st = tier_run_trial(t, tr, cell);
	json_object_set_new(cell, "label", json_string(tr->label));
	nb_cells_add(cl, cell, st);
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
	t.hot_size = (nb_param_u64(p, "hot_size") + page - 1) / page * page;
	t.cold_size = (nb_param_u64(p, "cold_size") + page - 1) / page * page;
	t.hot_rate = nb_param_u64(p, "hot_rate");
	t.fill_margin = nb_param_u64(p, "fill_margin");
	t.fill_max = nb_param_u64(p, "fill_max");
	t.scan_ms = nb_param_u64(p, "scan_ms");
	t.interval = (double)nb_param_u64(p, "interval_ms") / 1000.0;
	t.nsamples = (int)(nb_param_u64(p, "duration_s") * 1000 / nb_param_u64(p, "interval_ms"));
	t.cpus = nb_ctx_cpu_list(ctx);
	t.ncpus = nb_ctx_node_cpus(ctx, t.fast, t.cpus);
	if (nb_pin_self(t.cpus, t.ncpus)) {
		nb_run_reason(run, "pinning to the fast node %d: %s", t.fast, strerror(errno));
		free(t.cpus);
		t.cpus = NULL;
		return NB_FAILED;
	}
	const struct nb_param_val *sc = nb_param(p, "scenarios"), *modes = nb_param(p, "modes");
	bool want[4] = {false};
	for (int i = 0; i < sc->nlist; i++)
		want[sc->list[i]] = true;
	json_t *knobs = json_object();
	json_object_set_new(run, "tunables_bench", knobs);
	tier_knobs_begin(&t, knobs);
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	struct trial tr;
	if (want[NB_TIER_PROMOTION])
		for (int i = 0; i < modes->nlist && !nb_interrupted; i++) {
			tr = (struct trial){.scenario = NB_TIER_PROMOTION,
					    .mode = (int)modes->list[i]};
			snprintf(tr.label, sizeof(tr.label), "promotion, numa_balancing=%d",
				 tr.mode);
			do_trial(&t, &cl, &tr, new_cell(&tr));
		}
	if (want[NB_TIER_BASELINE])
		for (int i = 0; i < 2 && !nb_interrupted; i++) {
			tr = (struct trial){
			    .scenario = NB_TIER_BASELINE, .mode = 2, .bound = i ? "slow" : "fast"};
			snprintf(tr.label, sizeof(tr.label), "baseline, hot set bound to %s",
				 tr.bound);
			do_trial(&t, &cl, &tr, new_cell(&tr));
		}
	if (want[NB_TIER_DEMOTION] && !nb_interrupted) {
		tier_knobs_remember(knobs, "demotion_enabled");
		tr = (struct trial){.scenario = NB_TIER_DEMOTION, .mode = 2, .demote = true};
		snprintf(tr.label, sizeof(tr.label), "demotion, numa_balancing=2");
		json_t *cell = new_cell(&tr);
		json_object_set_new(cell, "demotion_enabled", json_string("true"));
		do_trial(&t, &cl, &tr, cell);
		char err[256], before[64];
		const char *b = json_string_value(
		    json_object_get(json_object_get(knobs, "demotion_enabled"), "before"));
		if (b) { /* the other scenarios run with the original setting */
			snprintf(before, sizeof(before), "%s", b);
			tier_set_knob("demotion_enabled", before, err, sizeof(err));
		}
	}
	if (want[NB_TIER_SWEEP]) {
		static const struct {
			const char *knob, *param, *key;
		} sw[] = {
		    {"promote_rate_limit_MBps", "rate_limits_MBps", "promote_rate_limit_MBps"},
		    {"hot_threshold_ms", "hot_thresholds_ms", "hot_threshold_ms"}};
		for (int s = 0; s < 2; s++) {
			const struct nb_param_val *vals = nb_param(p, sw[s].param);
			const struct nb_tunable *k = nb_tunable_find(sw[s].knob);
			char before[64], err[256], v[32];
			bool have = nb_tunable_get(k, before, sizeof(before)) == 0;
			tier_knobs_remember(knobs, sw[s].knob);
			for (int i = 0; i < vals->nlist && !nb_interrupted; i++) {
				tr = (struct trial){.scenario = NB_TIER_SWEEP, .mode = 2};
				snprintf(tr.label, sizeof(tr.label), "sweep, %s=%llu", sw[s].knob,
					 (unsigned long long)vals->list[i]);
				json_t *cell = new_cell(&tr);
				json_object_set_new(cell, sw[s].key,
						    json_integer((json_int_t)vals->list[i]));
				snprintf(v, sizeof(v), "%llu", (unsigned long long)vals->list[i]);
				if (!have) {
					nb_run_reason(cell, "%s is absent (%s%s)", sw[s].knob,
						      k->path,
						      strstr(k->needs, "debugfs")
							  ? ": debugfs is not mounted"
							  : ": the kernel has no such tunable");
					nb_cells_add(&cl, cell, NB_SKIPPED);
					continue;
				}
				if (nb_tunable_set(k, v, err, sizeof(err))) {
					nb_run_reason(cell, "%s", err);
					nb_cells_add(&cl, cell, NB_FAILED);
					continue;
				}
				do_trial(&t, &cl, &tr, cell);
			}
			if (have)
				nb_tunable_set(k, before, err, sizeof(err));
		}
	}
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
	return nb_ctx_check_mem(ctx, nb_param_u64(p, "hot_size") + nb_param_u64(p, "cold_size"),
				"tier.hot_size + tier.cold_size", err, len);
}

const struct nb_bench nb_bench_tier = {
    .abi = NB_BENCH_ABI,
    .name = "tier",
    .summary = "memory tiering: promotion of a hot set from a slow tier, demotion under "
	       "pressure, rate limit and hot threshold sweeps",
    .params = params,
    .req = NB_REQ_ROOT | NB_REQ_BALANCING,
    .probe = probe,
    .run = run,
    .validate = validate,
};
