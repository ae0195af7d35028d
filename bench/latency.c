/* numabench bench `latency`: idle load-to-use latency matrix (CPU node x memory node) by
 * dependent-load pointer chase, swept over buffer sizes and page sizes. */
#include "bench.h"
#include "cells.h"
#include "crosscheck.h"
#include "kernels.h"
#include "place.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_param_def params[] = {
    {"size", NB_P_SIZES, "bytes", "16K,256K,4M,64M,256M,1G", 4096, 64.0 * (1ull << 30), NULL,
     "buffer sizes to sweep (L1 to DRAM)"},
    {"pages", NB_P_ENUMS, "", "4k,thp", 0, 0, "4k|thp", "page sizes backing the buffer"},
    {"stride", NB_P_SIZES, "bytes", "256", 64, 1 << 20, NULL,
     "one load per this many bytes (powers of two; 64 lets the adjacent-line prefetchers help)"},
    {"tlb_group", NB_P_SIZE, "bytes", "256K", 4096, 1ull << 30, NULL,
     "random order stays inside groups of this many bytes (bounds TLB misses)"},
    {"loads", NB_P_INT, "loads", "", 1000, 1e10, NULL,
     "dependent loads per sample (default: 2 passes over the buffer, 1M..8M)"},
    NB_PARAM_CI_MAX("0.05"),
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL},
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
};

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
 * seed), first-touched and warmed here, so that the samples cover placement and layout. */
static void refresh(void *v)
{
	struct cell_arg *a = v;
	struct nb_buf *b = a->buf;
	size_t len = b->len;
	nb_buf_free(b);
	if (nb_buf_alloc(b, len, b->policy, b->node, b->pages) ||
	    !(a->sink = nb_chase_build(b->p, len, a->stride, a->group, 0x5eed ^ len ^ ++a->gen))) {
		a->err = errno ? errno : ENOMEM;
		return;
	}
	uint64_t links = len / a->stride;
	a->sink = nb_chase_run(a->sink, links < (32u << 20) ? links : (32u << 20));
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
	int cpus[NB_MAX_CPUS], nc = nb_ctx_node_cpus(ctx, k.cpu_node, cpus);
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
			     .group = nb_param_u64(p, "tlb_group")};
	a.loads =
	    nb_param_u64(p, "loads") ? nb_param_u64(p, "loads") : default_loads(buf.len, a.stride);
	nb_rule_for(&a.rule, ctx, p);
	a.rule.refresh = refresh;
	a.rule.refresh_every = NB_REFRESH_EVERY;
	enum nb_status st = NB_OK;
	if (nb_run_pinned(cpus, nc, measure, &a) || a.err) {
		nb_run_reason(cell, "measurement failed: %s", strerror(a.err ? a.err : errno));
		nb_buf_free(&buf);
		return NB_FAILED;
	}
	struct nb_placement pl;
	json_t *m = nb_metric("ns", "lower", a.samples, a.n);
	json_object_set_new(cell, "metrics", json_pack("{s:o}", "latency_ns", m));
	json_object_set_new(cell, "loads_per_sample", json_integer((json_int_t)a.loads));
	json_object_set_new(cell, "stride", json_integer((json_int_t)a.stride));
	json_object_set_new(cell, "tlb_group", json_integer((json_int_t)a.group));
	json_object_set_new(cell, "crosscheck", a.crosscheck);
	if (nb_placement_query(buf.p, buf.len, k.mem_node, &pl) == 0) {
		st = nb_cell_placement(cell, &pl, k.mem_node, st);
	} else {
		nb_run_reason(cell, "placement could not be verified: %s", strerror(errno));
		st = NB_UNTRUSTWORTHY;
	}
	if (k.thp)
		st = nb_cell_thp(cell, (double)nb_thp_bytes(buf.p, buf.len) / (double)buf.len, st);
	st = nb_cell_spread(cell, &a.rule, a.samples, a.n, st);
	nb_buf_free(&buf);
	return st;
}

static bool headline_cell(json_t *cell, void *arg)
{
	const char *pg = json_string_value(json_object_get(cell, "pages"));
	return pg && !strcmp(pg, "4k") &&
	       (uintptr_t)json_integer_value(json_object_get(cell, "stride")) == (uintptr_t)arg;
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES];
	int ncn = nb_ctx_cpu_nodes(ctx, cn), nmn = nb_ctx_mem_nodes(ctx, mn);
	const struct nb_param_val *sizes = nb_param(p, "size"), *pages = nb_param(p, "pages");
	const struct nb_param_val *strides = nb_param(p, "stride");
	struct nb_cells cl;
	int done = 0, total = ncn * nmn * sizes->nlist * pages->nlist * strides->nlist;
	nb_cells_init(&cl, run);
	for (int st = 0; st < strides->nlist; st++)
		for (int pg = 0; pg < pages->nlist; pg++)
			for (int s = 0; s < sizes->nlist; s++)
				for (int i = 0; i < ncn * nmn && !nb_interrupted; i++) {
					struct cell_key k = {cn[i / nmn], mn[i % nmn],
							     sizes->list[s], (int)pages->list[pg],
							     strides->list[st]};
					char sz[32];
					nb_fmt_size(k.size, sz, sizeof(sz));
					nb_progress("latency: cpu node %d -> mem node %d, %s %s, "
						    "stride %llu (%d/%d)",
						    k.cpu_node, k.mem_node, sz,
						    k.thp ? "thp" : "4k",
						    (unsigned long long)k.stride, ++done, total);
					json_t *cell = json_pack(
					    "{s:i,s:i,s:s,s:I,s:s}", "cpu_node", k.cpu_node,
					    "mem_node", k.mem_node, "size", sz, "size_bytes",
					    (json_int_t)k.size, "pages", k.thp ? "thp" : "4k");
					enum nb_status cst = nb_cell_budget(cell)
								 ? NB_SKIPPED
								 : run_cell(ctx, p, k, cell);
					nb_cells_add(&cl, cell, cst);
				}
	/* The headline: 4 KiB pages, the largest size, the first stride asked for. */
	char label[64];
	snprintf(label, sizeof(label),
		 "4k, largest size, stride %llu:", (unsigned long long)strides->list[0]);
	nb_run_headline(run, "latency_ns", label, "size_bytes", headline_cell,
			(void *)(uintptr_t)strides->list[0]);
	json_object_set_new(run, "method",
			    json_string("dependent-load pointer chase, one load per stride bytes, "
					"random order inside TLB-locality groups (as multichase)"));
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	const struct nb_param_val *s = nb_param(p, "size");
	const struct nb_param_val *st = nb_param(p, "stride");
	uint64_t group = nb_param_u64(p, "tlb_group");
	for (int j = 0; j < st->nlist; j++) {
		uint64_t stride = st->list[j];
		if (stride & (stride - 1)) {
			snprintf(err, len,
				 "latency.stride=%s: %llu is not a power of two (valid: 64, 128, "
				 "256, ...)",
				 nb_param_str(p, "stride"), (unsigned long long)stride);
			return -1;
		}
		if (stride > group) {
			snprintf(err, len,
				 "latency.stride=%s: %llu is larger than latency.tlb_group=%s "
				 "(valid: a stride <= the group)",
				 nb_param_str(p, "stride"), (unsigned long long)stride,
				 nb_param_str(p, "tlb_group"));
			return -1;
		}
		for (int i = 0; i < s->nlist; i++) {
			if (s->list[i] < 2 * stride) {
				snprintf(err, len,
					 "latency.size=%s: %llu bytes hold fewer than 2 links of "
					 "stride %llu (valid: sizes >= 2 x latency.stride)",
					 nb_param_str(p, "size"), (unsigned long long)s->list[i],
					 (unsigned long long)stride);
				return -1;
			}
		}
	}
	for (int i = 0; i < s->nlist; i++)
		if (nb_ctx_check_mem(ctx, s->list[i], "latency.size", err, len))
			return -1;
	return 0;
}

const struct nb_bench nb_bench_latency = {
    .abi = NB_BENCH_ABI,
    .name = "latency",
    .summary = "load-to-use latency matrix (cpu node x memory node), pointer chase",
    .params = params,
    .run = run,
    .validate = validate,
};
