/* numabench bench `latency`: idle load-to-use latency matrix (CPU node x memory node) by
 * dependent-load pointer chase, swept over buffer sizes and page sizes. */
#include "bench.h"
#include "cells.h"
#include "classes.h"
#include "crosscheck.h"
#include "kernels.h"
#include "order.h"
#include "place.h"
#include "plan.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_SIZE, P_PAGES, P_STRIDE, P_TLB_GROUP, P_LOADS, P_CI_MAX, P_PAIRS, P_COUNT };

static const struct nb_param_def params[] = {
    [P_SIZE] =
	{"size", NB_P_SIZES, "bytes", "16K,256K,4M,64M,256M,dram", 4096, 64.0 * (1ull << 30),
	 nb_choices_dram,
	 "buffer sizes to sweep (L1 to DRAM); dram: the DRAM point from the caches, a chain whose "
	 "footprint (size / stride x 64) is >= 4x the last-level cache, at least 256M"},
    [P_PAGES] = NB_PARAM_PAGES,
    [P_STRIDE] = NB_PARAM_STRIDE(NB_P_SIZES),
    [P_TLB_GROUP] = NB_PARAM_TLB_GROUP,
    [P_LOADS] = {"loads", NB_P_INT, "loads", "", 1000, 1e10, NULL,
		 "dependent loads per sample (default: 2 passes over the buffer, 1M..8M)"},
    [P_CI_MAX] = NB_PARAM_CI_MAX("0.05"),
    [P_PAIRS] = NB_PARAM_PAIRS,
    [P_COUNT] = NB_PARAMS_END,
};

struct cell_arg {
	const struct nb_ctx *ctx;
	bool remote;
	json_t *crosscheck;
	struct nb_buf *buf;
	size_t stride, group;
	uint64_t loads;
	struct nb_rule rule;
	double samples[64];
	int n;
	int err;
	void *sink;
	unsigned gen; /* fresh allocations so far (the chain's seed) */
	/* placement and THP share summed over every allocation the samples came from */
	struct nb_placement pl;
	int pl_err;
	uint64_t thp_bytes, bytes;
};

static void account(struct cell_arg *a)
{
	struct nb_buf *b = a->buf;
	if (!a->pl_err && nb_placement_add(b->p, b->len, b->node, &a->pl))
		a->pl_err = errno ? errno : EIO;
	a->thp_bytes += nb_thp_bytes(b->p, b->len);
	a->bytes += b->len;
}

static double one_sample(void *v)
{
	struct cell_arg *a = v;
	if (a->err)
		return NAN;
	void *start = a->sink;
	uint64_t t0 = nb_now_ns();
	a->sink = nb_chase_run(start, a->loads);
	uint64_t t1 = nb_now_ns();
	return (double)(t1 - t0) / (double)a->loads;
}

/* Runs on a thread pinned to the CPU node: it builds the chain (so it is the first toucher
 * of every line), warms up, and measures. */
static void measure(void *v)
{
	struct cell_arg *a = v;
	a->sink = nb_chase_build(a->buf->p, a->buf->len, a->stride, a->group, 0x5eed ^ a->buf->len);
	if (!a->sink) {
		a->err = ENOMEM;
		return;
	}
	/* Warm-up: one whole pass over the chain (at most 32M links), as multichase and the
	 * reference chase do. A partial pass (1M links) left the first visit of the rest slower:
	 * at 1 GiB with a 64 B stride, samples read 165 ns on a first visit and 108 ns after. */
	uint64_t links = a->buf->len / a->stride;
	a->sink = nb_chase_run(a->sink, links < (32u << 20) ? links : (32u << 20));
	struct nb_counters *c = nb_crosscheck_begin(a->ctx);
	a->n = nb_rule_sample(&a->rule, one_sample, a, a->samples);
	a->crosscheck = nb_crosscheck_end(c, a->remote, 0);
}

/* The rule's fresh allocation (stats.h): a new buffer on the same node, a new chain (another
 * seed), first-touched and warmed here, so that the samples cover placement and layout. A
 * failure ends the sampling (no sample chases a freed buffer) and fails the cell. */
static int refresh(void *v)
{
	struct cell_arg *a = v;
	struct nb_buf *b = a->buf;
	size_t len = b->len;
	account(a);
	nb_buf_free(b);
	if (nb_buf_alloc(b, len, b->policy, b->node, b->pages) ||
	    !(a->sink = nb_chase_build(b->p, len, a->stride, a->group, 0x5eed ^ len ^ ++a->gen))) {
		a->err = errno ? errno : ENOMEM;
		return -1;
	}
	uint64_t links = len / a->stride;
	a->sink = nb_chase_run(a->sink, links < (32u << 20) ? links : (32u << 20));
	return 0;
}

static uint64_t default_loads(size_t len, size_t stride)
{
	uint64_t l = 2 * (len / stride);
	return l < (1u << 20) ? (1u << 20) : l > (8u << 20) ? (8u << 20) : l;
}

struct cell_key {
	int cpu_node, mem_node;
	uint64_t size;
	int thp;
	uint64_t stride;
};

static enum nb_status run_cell(struct nb_ctx *ctx, const struct nb_params *p, struct cell_key k,
			       json_t *cell)
{
	int cpu = -1;
	nb_plan_cpus(cell, "chaser", &cpu, 1);
	struct nb_buf buf;
	if (k.thp && !strcmp(ctx->caps->thp, "never")) {
		nb_run_reason(cell, "THP is disabled (transparent_hugepage/enabled = never)");
		return NB_SKIPPED;
	}
	if (nb_buf_alloc(&buf, k.size, NB_BIND, k.mem_node, k.thp ? NB_PAGES_THP : NB_PAGES_4K)) {
		nb_run_reason(cell, "cannot allocate %llu bytes on node %d: %s",
			      (unsigned long long)k.size, k.mem_node, strerror(errno));
		return NB_FAILED;
	}
	struct cell_arg a = {.ctx = ctx,
			     .remote = k.cpu_node != k.mem_node,
			     .buf = &buf,
			     .stride = k.stride,
			     .group = p->v[P_TLB_GROUP].u};
	a.loads = p->v[P_LOADS].u ? p->v[P_LOADS].u : default_loads(buf.len, a.stride);
	nb_rule_for(&a.rule, ctx, p);
	if (nb_class_is_check(cell))
		nb_class_rule(ctx, &a.rule);
	a.rule.refresh = refresh;
	a.rule.refresh_every = NB_REFRESH_EVERY;
	enum nb_status st = NB_OK;
	if (nb_run_pinned(&cpu, 1, measure, &a) || a.err) {
		nb_run_reason(cell, "measurement failed: %s", strerror(a.err ? a.err : errno));
		nb_buf_free(&buf);
		return NB_FAILED;
	}
	json_t *m = nb_metric("ns", "lower", a.samples, a.n);
	json_object_set_new(cell, "metrics", json_pack("{s:o}", "latency_ns", m));
	json_object_set_new(cell, "loads_per_sample", json_integer((json_int_t)a.loads));
	json_object_set_new(cell, "stride", json_integer((json_int_t)a.stride));
	json_object_set_new(cell, "tlb_group", json_integer((json_int_t)a.group));
	json_object_set_new(cell, "crosscheck", a.crosscheck);
	/* Placement and THP share over every allocation the samples came from (the last one
	 * here, the earlier ones as refresh freed them). */
	account(&a);
	json_object_set_new(cell, "allocations", json_integer((json_int_t)a.gen + 1));
	if (!a.pl_err) {
		nb_placement_end(&a.pl, k.mem_node);
		st = nb_cell_placement(cell, &a.pl, k.mem_node, st);
	} else {
		nb_run_reason(cell, "placement could not be verified: %s", strerror(a.pl_err));
		st = NB_UNTRUSTWORTHY;
	}
	if (k.thp)
		st = nb_cell_thp(cell, (double)a.thp_bytes / (double)a.bytes, st);
	st = nb_cell_spread(cell, &a.rule, a.samples, a.n, st);
	st = nb_wset_judge(cell, st);
	nb_buf_free(&buf);
	return st;
}

/* The headline: 4 KiB pages, each pair's largest size, the default stride (256 B) when it was
 * measured, else the largest stride swept; the report's summary reads the same rule. */
static const struct nb_headline_rule headline_rule = {.metric = "latency_ns",
						      .where = "pages=4k",
						      .prefer = "stride=256",
						      .largest = "size_bytes",
						      .text = "4k, largest size"};

/* The DRAM point's floor (the old default's DRAM size was 1G; the rule raises it). */
#define DRAM_FLOOR (256ull << 20)

/* Cost model: building the chain and one warm-up pass (120 ns a link) for each of the rule's
 * allocations (a fresh one every NB_REFRESH_EVERY samples), then the rule's minimum samples of
 * `loads` dependent loads at 100 ns (a footprint beyond the LLC) or 10 ns. */
static double cell_cost(int samples, uint64_t size, uint64_t stride, uint64_t loads, uint64_t llc)
{
	double links = (double)(size / stride),
	       per = size / stride * NB_LINE > llc ? 100e-9 : 10e-9;
	int allocs = 1 + (samples - 1) / NB_REFRESH_EVERY; /* the rule's fresh allocations */
	return allocs * links * 120e-9 + samples * (double)loads * per;
}

/* A cell's point: a check cell's representative is the same point at the representative's
 * pair; the cells are measured coarse to fine over (point, pair class) (harness/order.h). */
static const char *const class_keys[] = {"size_bytes", "pages", "stride", NULL};

/* Cells: stride x pages x size x (cpu node, memory node), each on the node's one chaser cpu. */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES];
	int ncn = nb_ctx_cpu_nodes(ctx, cn), nmn = nb_ctx_mem_nodes(ctx, mn);
	const struct nb_param_val *sizes = &p->v[P_SIZE], *pages = &p->v[P_PAGES];
	const struct nb_param_val *strides = &p->v[P_STRIDE];
	bool given = strcmp(sizes->text, params[P_SIZE].def) != 0;
	json_t *pl = nb_plan_new();
	struct nb_pair_classes *pc = malloc(sizeof(*pc));
	nb_pair_classes_ctx(ctx, pc);
	int mode = nb_class_mode(p, pc);
	for (int st = 0; st < strides->nlist; st++) {
		uint64_t stride = strides->list[st];
		struct nb_wset w;
		nb_wset_for(ctx, NB_PARAM_WORD(0), (double)stride / NB_LINE, DRAM_FLOOR, &w);
		for (int pg = 0; pg < pages->nlist; pg++)
			for (int s = 0; s < sizes->nlist; s++)
				for (int i = 0; i < ncn * nmn; i++) {
					int c = cn[i / nmn], m = mn[i % nmn];
					bool dram = nb_param_word(sizes->list[s]) >= 0, dup = false;
					uint64_t size = dram ? w.bytes : sizes->list[s];
					for (int q = 0; q < s; q++) /* 1G,dram where dram is 1G */
						dup |= (nb_param_word(sizes->list[q]) >= 0
							    ? w.bytes
							    : sizes->list[q]) == size;
					if (dup)
						continue;
					json_t *cell = json_pack(
					    "{s:i,s:i,s:I,s:s,s:I,s:I}", "cpu_node", c, "mem_node",
					    m, "size_bytes", (json_int_t)size, "pages",
					    nb_param_choice_name(&params[P_PAGES],
								 (int)pages->list[pg]),
					    "stride", (json_int_t)stride, "bytes",
					    (json_int_t)size);
					nb_plan_cpu(cell, nb_ctx_node_one_cpu(ctx, c), "chaser");
					if (dram)
						nb_wset_cell(ctx, &w, c, m, cell);
					else
						json_object_set_new(
						    cell, "size_rule",
						    json_pack("{s:s}", "rule",
							      given ? "set" : "fixed"));
					uint64_t loads = p->v[P_LOADS].u
							     ? p->v[P_LOADS].u
							     : default_loads(size, stride);
					enum nb_class_role role = nb_class_cell(
					    cell, pc, mode, c, m,
					    s == sizes->nlist - 1 && pg == 0 && st == 0);
					if (role == NB_CLASS_COVERED) {
						nb_plan_add(pl, cell, 0);
						continue;
					}
					nb_plan_mem(pl, m, size);
					nb_plan_add(pl, cell,
						    cell_cost(role == NB_CLASS_CHECK
								  ? nb_class_samples(ctx)
								  : nb_plan_samples(ctx),
							      size, stride, loads,
							      nb_wset_pair_llc(ctx->topo, c, m)));
				}
	}
	free(pc);
	nb_plan_order(ctx, pl, "cpu_node", "mem_node", class_keys);
	return pl;
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	struct nb_cells cl;
	json_t *pl = plan(ctx, p), *cells = json_object_get(pl, "cells");
	int total = (int)json_array_size(cells), *seq = nb_plan_sequence(cells);
	nb_cells_init(&cl, run);
	for (int q = 0; q < total && !nb_interrupted; q++) {
		int i = seq ? seq[q] : q;
		json_t *cell = nb_plan_cell_copy(json_array_get(cells, (size_t)i));
		struct cell_key k = {
		    (int)json_integer_value(json_object_get(cell, "cpu_node")),
		    (int)json_integer_value(json_object_get(cell, "mem_node")),
		    (uint64_t)json_integer_value(json_object_get(cell, "size_bytes")),
		    !strcmp(json_string_value(json_object_get(cell, "pages")), "thp"),
		    (uint64_t)json_integer_value(json_object_get(cell, "stride"))};
		char sz[32];
		nb_fmt_size(k.size, sz, sizeof(sz));
		nb_progress("latency: cpu node %d -> mem node %d, %s %s, stride %llu (%d/%d)",
			    k.cpu_node, k.mem_node, sz, k.thp ? "thp" : "4k",
			    (unsigned long long)k.stride, q + 1, total);
		enum nb_status cst = nb_class_has_role(cell, "covered") ? nb_class_covered(cell)
				     : nb_cell_budget(cell)		? NB_SKIPPED
									: run_cell(ctx, p, k, cell);
		if (cst != NB_SKIPPED && nb_class_is_check(cell))
			nb_class_judge(run, cl.arr, cell, "latency_ns", class_keys);
		nb_cells_add_at(&cl, cell, cst, i);
	}
	free(seq);
	json_decref(pl);
	nb_run_headline_rule(run, &headline_rule);
	json_object_set_new(run, "method",
			    json_string("dependent-load pointer chase, one load per stride bytes, "
					"random order inside TLB-locality groups (as multichase)"));
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	const struct nb_param_val *s = &p->v[P_SIZE];
	const struct nb_param_val *st = &p->v[P_STRIDE];
	/* powers of two, at most tlb_group: the parameter layer's flags */
	for (int j = 0; j < st->nlist; j++) {
		uint64_t stride = st->list[j];
		for (int i = 0; i < s->nlist; i++) {
			if (s->list[i] < 2 * stride) {
				snprintf(err, len,
					 "latency.size=%s: %llu bytes hold fewer than 2 links of "
					 "stride %llu (valid: sizes >= 2 x latency.stride)",
					 p->v[P_SIZE].text, (unsigned long long)s->list[i],
					 (unsigned long long)stride);
				return -1;
			}
		}
	}
	for (int i = 0; i < s->nlist; i++)
		if (nb_param_word(s->list[i]) < 0 &&
		    nb_ctx_check_mem(ctx, s->list[i], "latency.size", err, len))
			return -1;
	return 0;
}

/* What names a cell: compare pairs cells by these (written as each run's "identity"). */
static const char *const identity[] = {"cpu_node", "mem_node", "size_bytes",
				       "pages",	   "stride",   NULL};

const struct nb_bench nb_bench_latency = {
    .abi = NB_BENCH_ABI,
    .name = "latency",
    .identity = identity,
    .headline = &headline_rule,
    .summary = "load-to-use latency matrix (cpu node x memory node), pointer chase",
    .params = params,
    .nparams = P_COUNT,
    .run = run,
    .validate = validate,
    .plan = plan,
};
