/* numabench bench `balance`: what automatic NUMA balancing does on this kernel, how fast it
 * fixes a bad placement, and what it costs.
 *
 * A workload process (threads pinned on node A, or started there and then free to move)
 * streams over a buffer whose pages were placed on node B. The same workload runs with
 * kernel.numa_balancing set to each requested mode, in one invocation, in interleaved order,
 * repeated. The parent samples at a fixed interval: /proc/vmstat, the buffer's placement from
 * /proc/PID/numa_maps (a page-table walk that never takes a hinting fault, unlike move_pages
 * or get_mempolicy: harness/KERNEL-NOTES.md#KN-numa-maps-no-fault), each workload thread's
 * /proc/PID/task/TID/sched NUMA fields, and the workload's own throughput (a counter in shared
 * memory). A buffer that is already local gives the pure overhead (balancing off vs on);
 * buffers hard-bound local and remote give the baselines. Nothing here assumes what the kernel
 * will do: every figure is measured, and the JSON says when two independent readings of the
 * same thing disagree. README "The `balance` bench" is the method; this file owns the
 * parameters, the run and the descriptor (the other files: balance.h).
 */
#include "balance/balance.h"
#include "plan.h"
#include "tunables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_choice pattern_choices[] = {
    {"seq", BAL_SEQ, "lines in address order"},
    {"random", BAL_RANDOM, "lines in random order"},
    {NULL, 0, NULL},
};
static const struct nb_choice access_choices[] = {
    {"read", BAL_READ, "one load per line"},
    {"write", BAL_WRITE, "one store per line"},
    {NULL, 0, NULL},
};
static const struct nb_choice sharing_choices[] = {
    {"private", 1, "one process owns the buffer"},
    {"shared", 2, "two processes map one memfd buffer"},
    {NULL, 0, NULL},
};
static const struct nb_choice pinned_choices[] = {
    {"yes", BAL_PINNED_YES, "threads pinned to node A"},
    {"no", BAL_PINNED_NO, "threads started on node A, free to move"},
    {"both", BAL_PINNED_BOTH, "both variants"},
    {NULL, 0, NULL},
};
static const struct nb_choice thp_choices[] = {
    {"on", 1, "transparent huge pages"},
    {"off", 0, "base pages"},
    {NULL, 0, NULL},
};

static const struct nb_param_def params[] = {
    [BAL_P_SIZE] = {"size", NB_P_SIZE, "bytes", "64M", 1 << 21, 64.0 * (1ull << 30), NULL,
		    "workload buffer (rounded up to 2 MiB with thp=on)"},
    [BAL_P_THREADS] = {"threads", NB_P_INT, "threads", "2", 1, MAX_THREADS, NULL,
		       "workload threads per process, each on its own slice of the buffer"},
    [BAL_P_PATTERN] = {"pattern", NB_P_ENUM, "", "seq", 0, 0, pattern_choices,
		       "order in which a thread visits the cache lines of its slice"},
    [BAL_P_ACCESS] = {"access", NB_P_ENUM, "", "read", 0, 0, access_choices,
		      "one load or one store per line"},
    [BAL_P_SHARING] =
	{"sharing", NB_P_ENUM, "", "private", 0, 0, sharing_choices,
	 "private: one process owns the buffer; shared: two processes map one memfd buffer"},
    [BAL_P_DURATION_S] = NB_PARAM_DURATION_S("6", "length of each run of the workload"),
    [BAL_P_INTERVAL_MS] = NB_PARAM_INTERVAL_MS("100"),
    [BAL_P_MODES] =
	{"modes", NB_P_ENUMS, "", "", 0, 0, nb_choices_balancing,
	 "kernel.numa_balancing modes (default 0,1, and 2,3 when a memory-only node exists)"},
    [BAL_P_PINNED] =
	{"pinned", NB_P_ENUM, "", "yes", 0, 0, pinned_choices,
	 "workload threads pinned to node A, started there and free to move, or both variants"},
    [BAL_P_THP] = {"thp", NB_P_ENUM, "", "off", 0, 0, thp_choices,
		   "back the buffer with transparent huge pages"},
    [BAL_P_SCAN_MS] = NB_PARAM_SCAN_MS,
    [BAL_P_COUNT] = NB_PARAMS_END,
};

static void bal_free(struct bal *b)
{
	for (int i = 0; b->trials && i < b->nspecs * b->reps; i++) {
		free(b->trials[i].t);
		free(b->trials[i].work);
		free(b->trials[i].share);
		json_decref(b->trials[i].timeline);
	}
	free(b->trials);
	free(b->cfg.cpus);
	free(b->cfg.all);
	b->cfg.cpus = b->cfg.all = NULL;
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	static struct bal b; /* large: keep it off the stack */
	char why[256];
	memset(&b, 0, sizeof(b));
	b.ctx = ctx;
	b.knob = nb_tunable_find("numa_balancing");
	if (bal_pick_nodes(&b, why, sizeof(why))) {
		nb_run_reason(run, "%s", why);
		return NB_SKIPPED;
	}
	bal_cfg_init(&b, p);
	if (b.cfg.thp && !strcmp(ctx->caps->thp, "never")) {
		nb_run_reason(run, "THP is disabled (transparent_hugepage/enabled = never)");
		bal_free(&b);
		return NB_SKIPPED;
	}
	bal_plan(&b, p);
	b.trials = calloc((size_t)(b.nspecs * b.reps), sizeof(*b.trials));
	if (!b.trials) {
		nb_run_reason(run, "out of memory");
		bal_free(&b);
		return NB_FAILED;
	}
	json_t *order = json_array();
	json_object_set_new(run, "order", order);
	bal_describe(&b, run);
	bal_knobs_lower(&b, p);
	bal_tp_open(&b, run);
	bal_run_all(&b, order);
	if (!nb_interrupted)
		bal_knobs_restore(&b);
	/* the shape every bench shares (numabench.result/1 also wrote "tunables_bench") */
	json_object_set_new(run, "balancing_tunables", nb_scan_json(&b.scan));
	bal_tp_close(&b);
	enum nb_status st = bal_report(&b, run);
	bal_free(&b);
	return st;
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	uint64_t n = p->v[BAL_P_DURATION_S].u * 1000 / p->v[BAL_P_INTERVAL_MS].u;
	if (n > MAX_SAMPLES || n < 3) {
		snprintf(err, len,
			 "balance.duration_s / balance.interval_ms gives %llu samples per run "
			 "(valid: 3..%d)",
			 (unsigned long long)n, MAX_SAMPLES);
		return -1;
	}
	uint64_t threads = p->v[BAL_P_THREADS].u;
	if (p->v[BAL_P_THP].choice && p->v[BAL_P_SIZE].u < threads * THP_BYTES) {
		snprintf(err, len,
			 "balance.size=%s is too small for %llu threads with thp=on (valid: at "
			 "least 2M per thread)",
			 p->v[BAL_P_SIZE].text, (unsigned long long)threads);
		return -1;
	}
	return nb_ctx_check_mem(ctx, p->v[BAL_P_SIZE].u, "balance.size", err, len);
}

/* The plan: one cell per spec and repetition (bal_plan: the baselines, then remote and local
 * workloads per variant and mode), on node A's cpus with the buffer on the spec's node. Cost
 * model: each run of the workload duration_s, plus populating the buffer at 1 GB/s and 0.5 s
 * to start, settle and stop it. */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	struct bal *b = calloc(1, sizeof(*b));
	char why[256];
	json_t *pl = nb_plan_new();
	if (!b)
		return pl;
	b->ctx = (struct nb_ctx *)ctx;
	if (bal_pick_nodes(b, why, sizeof(why))) {
		free(b);
		return pl;
	}
	bal_cfg_init(b, p);
	bal_plan(b, p);
	double each = (double)p->v[BAL_P_DURATION_S].u + 0.5 + (double)b->cfg.size * b->procs / 1e9;
	for (int s = 0; s < b->nspecs; s++)
		for (int r = 0; r < b->reps; r++) {
			const struct spec *sp = &b->specs[s];
			int mem = bal_spec_mem_node(b, sp);
			json_t *cell = json_pack(
			    "{s:s,s:s,s:i,s:i,s:i,s:i,s:I}", "variant", sp->variant, "placement",
			    bal_place_names[sp->place], "mode", sp->mode, "rep", r, "cpu_node",
			    b->node_a, "mem_node", mem, "bytes", (json_int_t)b->cfg.size);
			for (int k = 0; k < b->cfg.ncpus; k++)
				nb_plan_cpu(cell, b->cfg.cpus[k], "worker");
			nb_plan_mem(pl, mem, b->cfg.size);
			nb_plan_add(pl, cell, each);
		}
	bal_free(b);
	free(b);
	return pl;
}

/* What names a mode: compare pairs modes by these (written as each run's "identity"). */
static const char *const identity[] = {"variant", "placement", "balancing", NULL};

const struct nb_bench nb_bench_balance = {
    .abi = NB_BENCH_ABI,
    .identity = identity,
    .identity_records = "modes",
    .headline = &bal_headline_rule,
    .name = "balance",
    .summary = "automatic NUMA balancing: convergence, migrations, overhead vs benefit per mode",
    .params = params,
    .nparams = BAL_P_COUNT,
    .req = NB_REQ_ROOT | NB_REQ_2NODES | NB_REQ_BALANCING,
    .run = run,
    .validate = validate,
    .plan = plan,
};
