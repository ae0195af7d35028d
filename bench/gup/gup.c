/* numabench bench `gup`: when a debugger, profiler or checkpointer reads another process's
 * memory through process_vm_readv/writev, /proc/PID/mem or ptrace, does get_user_pages take NUMA
 * hinting faults on the target's pages and migrate them toward the reader? It depends on the
 * path, on FOLL_FORCE and on the kernel (harness/KERNEL-NOTES.md#KN-gup-foll-force); this bench
 * measures it and writes no expectation down.
 *
 * The protocol, and why each step is there, is README.md "Protocol, and why" (points 1-10, the
 * one copy); the points are cited by number in bench/gup/. This file owns the parameters, the
 * run (scan tunables, the bench thread's pass loop: `repeat` passes per cell, rep-major in a
 * rotated cell order, point 10) and the bench descriptor. The rest: gup.h.
 */
#include "gup/gup.h"
#include "stats.h"
#include "tunables.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* numa_balancing 0 and 1: the modes whose hinting faults the bench reads */
static const struct nb_choice gup_balancing[] = {
    {"0", 0, "off"},
    {"1", 1, "NUMA balancing"},
    {NULL, 0, NULL},
};
static const struct nb_choice pair_choices[] = {
    {"cross", GUP_CROSS, "target on node A, reader on the nearest other node B"},
    {"local", GUP_LOCAL, "target and reader on node A"},
    {NULL, 0, NULL},
};

static const struct nb_param_def params[] = {
    [GUP_P_SIZE] = {"size", NB_P_SIZE, "bytes", "1M", 64 * 1024, 256.0 * (1 << 20), NULL,
		    "target buffer (4 KiB pages); every page is accessed once per pass"},
    [GUP_P_REPEAT] = {"repeat", NB_P_INT, "passes", "5", 1, MAX_REPEAT, NULL,
		      "passes per cell, in interleaved order (--repeat overrides)"},
    /* the choices are the kernels' paths (kernels/remote.c); the default names all of them */
    [GUP_P_PATHS] =
	{"paths", NB_P_ENUMS, "",
	 "process_vm_readv,process_vm_writev,proc_mem_pread,proc_mem_pwrite,ptrace_peek,"
	 "ptrace_poke",
	 0, 0, NULL, "access paths", 0, NULL, NB_CHOICES_OF(nb_rpaths, NB_RP_COUNT)},
    [GUP_P_BALANCING] = {"balancing", NB_P_ENUMS, "", "0,1", 0, 0, gup_balancing,
			 "kernel.numa_balancing modes (each set before its target starts)"},
    [GUP_P_PAIRS] = {"pairs", NB_P_ENUMS, "", "cross,local", 0, 0, pair_choices,
		     "cross: target on node A, reader on the nearest other node B; local: A = B"},
    [GUP_P_SCAN_DELAY_MS] =
	{"scan_delay_ms", NB_P_INT, "ms", "100", 0, 3600000, NULL,
	 "scan delay during the bench (root; debugfs or old sysctl): a new target's first scan "
	 "comes after this much of its cpu time, best just after its setup"},
    [GUP_P_SCAN_PERIOD_MIN_MS] = {"scan_period_min_ms", NB_P_INT, "ms", "0", 0, 3600000, NULL,
				  "shortest scan period during the bench; 0 leaves it as it is"},
    [GUP_P_MARK_TIMEOUT_MS] = {"mark_timeout_ms", NB_P_INT, "ms", "60000", 100, 3600000, NULL,
			       "longest wait for the scanner to mark the buffer"},
    [GUP_P_SETTLE_MS] = {"settle_ms", NB_P_INT, "ms", "100", 0, 60000, NULL,
			 "shortest wait between target start and pass, in every cell"},
    [GUP_P_COUNT] = NB_PARAMS_END,
};

static int reader_buffers(struct gup *g)
{
	g->scratch = aligned_alloc(g->psz, g->psz);
	g->addrs = calloc(g->pages, sizeof(*g->addrs));
	g->ns = calloc(g->pages, sizeof(*g->ns));
	if (!g->scratch || !g->addrs || !g->ns)
		return -1;
	for (size_t i = 0; i < g->psz; i++) /* what the write paths write */
		g->scratch[i] = (char)(0xa5 ^ i);
	return 0;
}

/* The bench thread: probe force, build the cells, then every pass, rep-major and rotated. */
static void orchestrate(void *v)
{
	struct gup *g = v;
	if (reader_buffers(g))
		snprintf(g->setup_fail, sizeof(g->setup_fail), "out of memory");
	else
		gup_probe_paths(g);
	gup_cells_build(g);
	/* A cell's pass is indivisible (a target process, a settle, every page): under a budget
	 * a cell starts only when one as long as the longest so far still ends in the share (the
	 * balancing-1 cells, which wait for the scanner, come after the balancing-0 ones). */
	uint64_t longest_ns = 0;
	for (int r = 0; r < g->repeat && !nb_interrupted; r++)
		for (int i = 0; i < g->ncells && !nb_interrupted; i++) {
			struct cell *c = &g->cells[(i + r) % g->ncells];
			double next_s = (double)longest_ns / 1e9;
			if (c->skip[0])
				continue;
			if (!nb_budget_fits(next_s)) {
				if (r) /* a later pass is cut; each cell keeps its first */
					break;
				snprintf(c->skip, sizeof(c->skip),
					 "budget: the run's time budget for this bench was spent "
					 "before this cell, or a cell as long as the longest so "
					 "far (%.1f s) would end past it (--budget)",
					 next_s);
				continue;
			}
			nb_progress("gup: pass %d/%d, %s %s balancing=%d (%d/%d)", r + 1, g->repeat,
				    c->pair, gup_cell_path(c), c->balancing, i + 1, g->ncells);
			uint64_t t0 = nb_now_ns();
			gup_run_pass(g, c, &c->pass[c->npass]);
			gup_collect(g, c, &c->pass[c->npass]);
			c->npass++;
			if (nb_now_ns() - t0 > longest_ns)
				longest_ns = nb_now_ns() - t0;
		}
}

static int gup_init(struct gup *g, struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	const struct nb_tunable *bal = nb_tunable_find("numa_balancing");
	g->ctx = ctx;
	g->run = run;
	g->psz = (size_t)sysconf(_SC_PAGESIZE);
	g->pages = p->v[GUP_P_SIZE].u / g->psz;
	g->repeat = ctx->repeat ? ctx->repeat : (int)p->v[GUP_P_REPEAT].u;
	g->repeat = g->repeat > MAX_REPEAT ? MAX_REPEAT : g->repeat;
	g->mark_timeout_ms = p->v[GUP_P_MARK_TIMEOUT_MS].u;
	g->settle_ms = p->v[GUP_P_SETTLE_MS].u;
	g->paths = &p->v[GUP_P_PATHS];
	g->modes = &p->v[GUP_P_BALANCING];
	g->pairs = &p->v[GUP_P_PAIRS];
	g->bal_start = nb_scan_value(NB_SCAN_BALANCING);
	g->can_set_bal = ctx->caps->root && bal && nb_tunable_path(bal);
	g->cells = calloc(MAX_CELLS, sizeof(*g->cells));
	return g->cells ? 0 : -1;
}

static void gup_free(struct gup *g)
{
	for (int i = 0; g->cells && i < g->ncells; i++)
		free(g->cells[i].lat);
	free(g->cells);
	free(g->spec.cpus_a);
	free(g->spec.cpus_b);
	free(g->scratch);
	free(g->addrs);
	free(g->ns);
	free(g);
}

/* Lower the scan tunables for the bench (protocol point 4; harness/scan.c). */
static void scan_lower(struct gup *g, const struct nb_params *p)
{
	long period = (long)p->v[GUP_P_SCAN_PERIOD_MIN_MS].u;
	bool root = g->ctx->caps->root;
	nb_scan_begin(&g->scan);
	nb_scan_lower(&g->scan, NB_SCAN_DELAY, (long)p->v[GUP_P_SCAN_DELAY_MS].u, root);
	nb_scan_lower(&g->scan, NB_SCAN_PERIOD_MIN, period ? period : -1, root);
}

/* What was done: run["balancing_tunables"], the shape every bench shares (numabench.result/1
 * also wrote it as run["scan_tunables"]). */
static void scan_json(struct gup *g)
{
	json_object_set_new(g->run, "balancing_tunables", nb_scan_json(&g->scan));
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	struct gup *g = calloc(1, sizeof(*g));
	enum nb_status st = NB_FAILED;
	if (!g || gup_init(g, ctx, p, run)) {
		nb_run_reason(run, "out of memory");
	} else if (gup_pick_nodes(g)) {
		nb_run_reason(run, "no node of this run has both cpus and memory");
		st = NB_SKIPPED;
	} else {
		scan_lower(g, p);
		if (nb_run_pinned(ctx->cpus, ctx->ncpus, orchestrate, g))
			snprintf(g->setup_fail, sizeof(g->setup_fail),
				 "cannot start the reader thread: %s", strerror(errno));
		nb_scan_restore(&g->scan); /* the runner's journal restores the boot values later */
		scan_json(g);
		st = gup_results(g);
	}
	if (g)
		gup_free(g);
	return st;
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	return nb_ctx_check_mem(ctx, p->v[GUP_P_SIZE].u, "gup.size", err, len);
}

/* The headline: of the path verdicts (balancing 1), how many take hinting faults. */
static const struct nb_headline_rule headline_rule = {
    .records = "verdicts",
    .metric = "verdict",
    .text = "paths that take hinting faults (balancing on)"};

/* What names a cell: compare pairs cells by these (written as each run's "identity"). */
static const char *const identity[] = {"pair",	"balancing",	   "path", "op",
				       "force", "ptrace_attached", NULL};

const struct nb_bench nb_bench_gup = {
    .abi = NB_BENCH_ABI,
    .identity = identity,
    .headline = &headline_rule,
    .name = "gup",
    .summary = "remote access (process_vm, /proc/PID/mem, ptrace): NUMA hinting faults and "
	       "migration it causes, with and without FOLL_FORCE",
    .params = params,
    .nparams = GUP_P_COUNT,
    .req = NB_REQ_BALANCING,
    .run = run,
    .validate = validate,
};
