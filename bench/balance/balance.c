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
#include "tunables.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_param_def params[] = {
    {"size", NB_P_SIZE, "bytes", "64M", 1 << 21, 64.0 * (1ull << 30), NULL,
     "workload buffer (rounded up to 2 MiB with thp=on)"},
    {"threads", NB_P_INT, "threads", "2", 1, MAX_THREADS, NULL,
     "workload threads per process, each on its own slice of the buffer"},
    {"pattern", NB_P_ENUM, "", "seq", 0, 0, "seq|random",
     "order in which a thread visits the cache lines of its slice"},
    {"access", NB_P_ENUM, "", "read", 0, 0, "read|write", "one load or one store per line"},
    {"sharing", NB_P_ENUM, "", "private", 0, 0, "private|shared",
     "private: one process owns the buffer; shared: two processes map one memfd buffer"},
    {"duration_s", NB_P_INT, "s", "6", 1, 3600, NULL, "length of each run of the workload"},
    {"interval_ms", NB_P_INT, "ms", "100", 10, 60000, NULL, "sampling interval of the timeline"},
    {"modes", NB_P_ENUMS, "", "", 0, 0, "0|1|2|3",
     "kernel.numa_balancing modes (default 0,1, and 2,3 when a memory-only node exists)"},
    {"pinned", NB_P_ENUM, "", "yes", 0, 0, "yes|no|both",
     "workload threads pinned to node A, started there and free to move, or both variants"},
    {"thp", NB_P_ENUM, "", "off", 0, 0, "on|off", "back the buffer with transparent huge pages"},
    {"scan_ms", NB_P_INT, "ms", "100", 0, 3600000, NULL,
     "scan_delay_ms and scan_period_min_ms during the bench, journaled (0: leave them)"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL},
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
	bool restored = !nb_interrupted;
	if (restored)
		bal_knobs_restore(&b);
	/* tunables_bench: the older shape; balancing_tunables: the one every bench shares */
	json_object_set_new(run, "tunables_bench", bal_knobs_json(&b, p, restored));
	json_object_set_new(run, "balancing_tunables", nb_scan_json(&b.scan));
	bal_tp_close(&b);
	enum nb_status st = bal_report(&b, run);
	bal_free(&b);
	return st;
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	uint64_t n = nb_param_u64(p, "duration_s") * 1000 / nb_param_u64(p, "interval_ms");
	if (n > MAX_SAMPLES || n < 3) {
		snprintf(err, len,
			 "balance.duration_s / balance.interval_ms gives %llu samples per run "
			 "(valid: 3..%d)",
			 (unsigned long long)n, MAX_SAMPLES);
		return -1;
	}
	uint64_t threads = nb_param_u64(p, "threads");
	if (nb_param(p, "thp")->choice == 0 && nb_param_u64(p, "size") < threads * THP_BYTES) {
		snprintf(err, len,
			 "balance.size=%s is too small for %llu threads with thp=on (valid: at "
			 "least 2M per thread)",
			 nb_param_str(p, "size"), (unsigned long long)threads);
		return -1;
	}
	return nb_ctx_check_mem(ctx, nb_param_u64(p, "size"), "balance.size", err, len);
}

const struct nb_bench nb_bench_balance = {
    .abi = NB_BENCH_ABI,
    .name = "balance",
    .summary = "automatic NUMA balancing: convergence, migrations, overhead vs benefit per mode",
    .params = params,
    .req = NB_REQ_ROOT | NB_REQ_2NODES | NB_REQ_BALANCING,
    .run = run,
    .validate = validate,
};
