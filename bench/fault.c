/* numabench bench `fault`: first-touch page fault cost per page, for every (CPU node,
 * memory node) pair and page size. The faults are counted (getrusage minor faults), not
 * assumed: a THP buffer should take one fault per 2 MiB, and the JSON says how many it took. */
#include "bench.h"
#include "cells.h"
#include "classes.h"
#include "order.h"
#include "kernels.h"
#include "place.h"
#include "plan.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

enum { P_SIZE, P_PAGES, P_CI_MAX, P_PAIRS, P_COUNT };

static const struct nb_param_def params[] = {
    [P_SIZE] = {"size", NB_P_SIZE, "bytes", "64M", 1 << 21, 64.0 * (1ull << 30), NULL,
		"buffer first-touched per sample"},
    [P_PAGES] = NB_PARAM_PAGES,
    [P_CI_MAX] = NB_PARAM_CI_MAX("0.05"),
    [P_PAIRS] = NB_PARAM_PAIRS,
    [P_COUNT] = NB_PARAMS_END,
};

struct cell_arg {
	size_t size;
	int node, thp;
	struct nb_rule rule;
	double ns_per_page[64], faults_per_page[64];
	int n;
	int err;
	int placed; /* 0 placement verified, else the errno of the failed query */
	struct nb_placement pl;
	double thp_share;
};

static long minflt_self(void)
{
	struct rusage ru;
	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/* One sample: a fresh buffer, first-touched page by page. */
static double one_sample(void *v)
{
	struct cell_arg *a = v;
	long psz = sysconf(_SC_PAGESIZE);
	struct nb_buf b;
	if (a->err ||
	    nb_buf_alloc(&b, a->size, NB_BIND, a->node, a->thp ? NB_PAGES_THP : NB_PAGES_4K)) {
		if (!a->err)
			a->err = errno ? errno : ENOMEM;
		return NAN;
	}
	double pages = (double)b.len / (double)psz;
	long f0 = minflt_self();
	uint64_t t0 = nb_now_ns();
	nb_touch_pages(b.p, b.len, (size_t)psz);
	uint64_t t1 = nb_now_ns();
	long f1 = minflt_self();
	a->faults_per_page[a->n] = (double)(f1 - f0) / pages;
	if (a->n == 0) {
		a->placed = nb_placement_query(b.p, b.len, a->node, &a->pl) ? errno : 0;
		a->thp_share = (double)nb_thp_bytes(b.p, b.len) / (double)b.len;
	}
	a->n++;
	nb_buf_free(&b);
	return (double)(t1 - t0) / pages;
}

static void measure(void *v)
{
	struct cell_arg *a = v;
	a->n = 0;
	int n = nb_rule_sample(&a->rule, one_sample, a, a->ns_per_page);
	a->n = n;
}

static enum nb_status run_cell(struct nb_ctx *ctx, const struct nb_params *p, int cpu_node,
			       int mem_node, int thp, json_t *cell)
{
	(void)cpu_node;
	int cpu = -1;
	nb_plan_cpus(cell, "toucher", &cpu, 1);
	if (thp && !ctx->caps->thp[0]) {
		nb_run_reason(cell,
			      "the kernel has no THP (no /sys/kernel/mm/transparent_hugepage: "
			      "CONFIG_TRANSPARENT_HUGEPAGE is not set)");
		return NB_SKIPPED;
	}
	if (thp && !strcmp(ctx->caps->thp, "never")) {
		nb_run_reason(cell, "THP is disabled (transparent_hugepage/enabled = never)");
		return NB_SKIPPED;
	}
	static struct cell_arg a;
	memset(&a, 0, sizeof(a));
	a.size = p->v[P_SIZE].u;
	a.node = mem_node;
	a.thp = thp;
	nb_rule_for(&a.rule, ctx, p);
	if (nb_class_is_check(cell))
		nb_class_rule(ctx, &a.rule);
	if (nb_run_pinned(&cpu, 1, measure, &a) || a.err) {
		nb_run_reason(cell, "measurement failed: %s", strerror(a.err ? a.err : errno));
		return NB_FAILED;
	}
	json_object_set_new(cell, "metrics",
			    json_pack("{s:o,s:o}", "fault_ns_per_page",
				      nb_metric("ns", "lower", a.ns_per_page, a.n),
				      "faults_per_page",
				      nb_metric("faults", "lower", a.faults_per_page, a.n)));
	enum nb_status st = NB_OK;
	if (a.placed) {
		nb_run_reason(cell, "placement could not be verified: %s", strerror(a.placed));
		st = NB_UNTRUSTWORTHY;
	} else {
		st = nb_cell_placement(cell, &a.pl, mem_node, st);
	}
	if (thp)
		st = nb_cell_thp(cell, a.thp_share, st);
	return nb_cell_spread(cell, &a.rule, a.ns_per_page, a.n, st);
}

/* A cell's point: a check cell's representative is the same point at the representative's
 * pair; the cells are measured coarse to fine over (point, pair class) (harness/order.h). */
static const char *const class_keys[] = {"pages", NULL};

/* Cells: pages x cpu node x memory node, each touched from the node's one cpu (the same as
 * latency's). Cost model: the rule's minimum samples of size bytes at 1 GB/s (4k faults) or
 * 4 GB/s (THP), plus one untimed pass. */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(ctx, cn);
	int nmn = nb_ctx_mem_nodes(ctx, mn);
	const struct nb_param_val *pages = &p->v[P_PAGES];
	uint64_t size = p->v[P_SIZE].u;
	json_t *pl = nb_plan_new();
	struct nb_pair_classes *pc = malloc(sizeof(*pc));
	nb_pair_classes_ctx(ctx, pc);
	int mode = nb_class_mode(p, pc);
	for (int pg = 0; pg < pages->nlist; pg++)
		for (int i = 0; i < ncn; i++)
			for (int j = 0; j < nmn; j++) {
				int thp = pages->list[pg] == NB_PAGES_THP;
				json_t *cell = json_pack(
				    "{s:i,s:i,s:s,s:I}", "cpu_node", cn[i], "mem_node", mn[j],
				    "pages",
				    nb_param_choice_name(&params[P_PAGES], (int)pages->list[pg]),
				    "bytes", (json_int_t)size);
				nb_plan_cpu(cell, nb_ctx_node_one_cpu(ctx, cn[i]), "toucher");
				/* Other pairs of a class: checked with the first page size. */
				enum nb_class_role role =
				    nb_class_cell(cell, pc, mode, cn[i], mn[j], pg == 0);
				if (role == NB_CLASS_COVERED) {
					nb_plan_add(pl, cell, 0);
					continue;
				}
				int n = role == NB_CLASS_CHECK ? nb_class_samples(ctx)
							       : nb_plan_samples(ctx);
				nb_plan_mem(pl, mn[j], size);
				nb_plan_add(pl, cell, (n + 1) * (double)size / (thp ? 4e9 : 1e9));
			}
	free(pc);
	nb_plan_order(ctx, pl, "cpu_node", "mem_node", class_keys);
	return pl;
}

static const struct nb_headline_rule headline_rule = {
    .metric = "fault_ns_per_page", .where = "pages=4k", .text = "4k first touch"};

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	json_t *pl = plan(ctx, p), *cells = json_object_get(pl, "cells");
	int *seq = nb_plan_sequence(cells);
	for (size_t q = 0; q < json_array_size(cells) && !nb_interrupted; q++) {
		size_t i = seq ? (size_t)seq[q] : q;
		json_t *cell = nb_plan_cell_copy(json_array_get(cells, i));
		int c = (int)json_integer_value(json_object_get(cell, "cpu_node"));
		int m = (int)json_integer_value(json_object_get(cell, "mem_node"));
		int thp = !strcmp(json_string_value(json_object_get(cell, "pages")), "thp");
		nb_progress("fault: cpu node %d -> mem node %d, %s", c, m, thp ? "thp" : "4k");
		enum nb_status st = nb_class_has_role(cell, "covered") ? nb_class_covered(cell)
				    : nb_cell_budget(cell)	       ? NB_SKIPPED
							   : run_cell(ctx, p, c, m, thp, cell);
		if (st != NB_SKIPPED && nb_class_is_check(cell))
			nb_class_judge(run, cl.arr, cell, "fault_ns_per_page", class_keys);
		nb_cells_add_at(&cl, cell, st, (int)i);
	}
	free(seq);
	json_decref(pl);
	nb_run_headline_rule(run, &headline_rule);
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	return nb_ctx_check_mem(ctx, p->v[P_SIZE].u, "fault.size", err, len);
}

/* What names a cell: compare pairs cells by these (written as each run's "identity"). */
static const char *const identity[] = {"cpu_node", "mem_node", "pages", NULL};

const struct nb_bench nb_bench_fault = {
    .abi = NB_BENCH_ABI,
    .name = "fault",
    .identity = identity,
    .headline = &headline_rule,
    .summary = "first-touch page fault cost per page (4 KiB and THP), every node pair",
    .params = params,
    .nparams = P_COUNT,
    .run = run,
    .validate = validate,
    .plan = plan,
};
