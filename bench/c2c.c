/* numabench bench `c2c`: cache-to-cache transfer latency per cpu pair (Intel MLC
 * --c2c_latency, multichase pingpong). A holder thread on one cpu leaves a set of lines in its
 * cache, clean (read after a clflush: HIT) or modified (rewritten: HITM); a reader thread on
 * the other cpu then chases a pointer chain through them and timestamps its own loads. The
 * ping-pong figure is one handoff of a modified line bouncing between the two (a round trip
 * over two). Pairs: SMT siblings, same node, cross-node; sampled with `pairs` on large machines;
 * results per pair and summarised node x node (holder node x reader node). */
#include "bench.h"
#include "cells.h"
#include "kernels.h"
#include "place.h"
#include "plan.h"
#include "stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_LINES, P_STRIDE, P_ROUNDS, P_PINGPONG, P_PAIRS, P_CI_MAX, P_COUNT };

static const struct nb_param_def params[] = {
    [P_LINES] = {"lines", NB_P_INT, "lines", "64", 2, 4096, NULL,
		 "cache lines the holder prepares and the reader chases per round"},
    [P_STRIDE] =
	{"stride", NB_P_SIZE, "bytes", "256", 64, 4096, NULL,
	 "one line per this many bytes (a power of two; 256 keeps neighbour-line prefetches out)",
	 NB_PF_POW2},
    [P_ROUNDS] = {"rounds", NB_P_INT, "rounds", "100", 1, 1e7, NULL,
		  "rounds per sample (each: the holder prepares, the reader chases all lines)"},
    [P_PINGPONG] = {"pingpong", NB_P_INT, "round trips", "2000", 0, 1e9, NULL,
		    "ping-pong round trips per sample (0: no ping-pong)"},
    [P_PAIRS] =
	{"pairs", NB_P_INT, "pairs", "64", 1, 1e6, NULL,
	 "at most this many ordered cpu pairs: all of them when there are fewer; else one per "
	 "(holder node, reader node, relation) first, then evenly spaced others"},
    [P_CI_MAX] = NB_PARAM_CI_MAX("0.05"),
    [P_COUNT] = NB_PARAMS_END,
};

/* same_l3 / other_l3: same node, same or another last-level cache domain (AMD CCXs, SNC);
 * same_node: the topology has no cache objects to tell. */
enum rel { R_SMT, R_L3, R_OTHER_L3, R_CROSS, R_NODE, R_COUNT };
static const char *const rel_names[R_COUNT] = {"smt", "same_l3", "other_l3", "cross_node",
					       "same_node"};

enum { CMD_CLEAN = 1, CMD_MODIFIED, CMD_PINGPONG, CMD_EXIT };

struct pair_run {
	char *buf;
	size_t len;
	void *start;
	uint64_t lines, rounds, pp_rounds;
	volatile uint64_t *pp; /* its own line */
	volatile int cmd, seq, done;
	int holder_cpu, reader_cpu, err;
	int kind; /* CMD_CLEAN or CMD_MODIFIED while sampling */
	/* The current allocation, and what the rule's fresh allocations need: the samples come
	 * from several buffers (new pages, new lines, so on Intel other L3 slices, a new chain),
	 * each one's placement added up before it is freed. */
	struct nb_buf b;
	size_t stride;
	int home, allocations, refresh_err;
	uint64_t gen;
	struct nb_placement pl;
	int pl_err;
	struct nb_rule rule;
	double hit[64], hitm[64], pong[64];
	int nhit, nhitm, npong;
};

static void cpu_relax(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pause" ::: "memory");
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

static void *holder_main(void *v)
{
	struct pair_run *r = v;
	if (nb_pin_self(&r->holder_cpu, 1)) {
		r->err = errno ? errno : EINVAL;
		__atomic_store_n(&r->done, -1, __ATOMIC_RELEASE);
		return NULL;
	}
	int seen = 0;
	for (;;) {
		int s;
		while ((s = __atomic_load_n(&r->seq, __ATOMIC_ACQUIRE)) == seen)
			cpu_relax();
		seen = s;
		int cmd = r->cmd;
		if (cmd == CMD_EXIT)
			break;
		if (cmd == CMD_PINGPONG) {
			__atomic_store_n(&r->done, seen, __ATOMIC_RELEASE);
			nb_pingpong(r->pp, 0, r->pp_rounds);
			continue;
		}
		nb_c2c_flush(r->buf, r->len);
		nb_c2c_prepare(r->start, r->lines, cmd == CMD_MODIFIED);
		__atomic_store_n(&r->done, seen, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* Reader side: ask the holder for cmd and wait until it is done. */
static void ask(struct pair_run *r, int cmd)
{
	r->cmd = cmd;
	int s = r->seq + 1;
	__atomic_store_n(&r->seq, s, __ATOMIC_RELEASE);
	while (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) != s)
		cpu_relax();
}

/* Add the current buffer's placement to the cell's (sampled pages, pages per node). */
static void placement_add(struct pair_run *r)
{
	if (!r->pl_err && nb_placement_add(r->b.p, r->b.len, r->home, &r->pl))
		r->pl_err = errno ? errno : EIO;
}

/* The rule's fresh allocation (stats.h), run by the reader between samples while the holder
 * waits for its next command: a new buffer on the same node and a new chain (another seed),
 * then the old buffer goes. A failed allocation keeps the old one (the cell says so). */
static int refresh(void *v)
{
	struct pair_run *r = v;
	struct nb_buf nb;
	if (nb_buf_alloc(&nb, r->b.len, NB_BIND, r->home, NB_PAGES_4K)) {
		r->refresh_err = errno ? errno : ENOMEM;
		return 0;
	}
	void *start = nb_chase_build(nb.p, r->len, r->stride, r->len,
				     0xc2c ^ (uint64_t)r->holder_cpu ^ (++r->gen << 32));
	if (!start) {
		nb_buf_free(&nb);
		r->refresh_err = ENOMEM;
		return 0;
	}
	placement_add(r);
	nb_buf_free(&r->b);
	r->b = nb;
	r->buf = nb.p;
	r->start = start;
	r->pp = (volatile uint64_t *)(r->buf + ((r->len + 63) & ~(size_t)63));
	r->allocations++;
	return 0;
}

static double sample_lines(void *v)
{
	struct pair_run *r = v;
	uint64_t total = 0;
	for (uint64_t i = 0; i < r->rounds; i++) {
		ask(r, r->kind);
		uint64_t t0 = nb_now_ns();
		void *p = nb_chase_run(r->start, r->lines);
		total += nb_now_ns() - t0;
		__asm__ volatile("" ::"r"(p) : "memory");
	}
	return (double)total / (double)(r->rounds * r->lines);
}

static double sample_pong(void *v)
{
	struct pair_run *r = v;
	*r->pp = 0;
	ask(r, CMD_PINGPONG);
	uint64_t t0 = nb_now_ns();
	nb_pingpong(r->pp, 1, r->pp_rounds);
	/* The holder's last increment ends the last round trip. */
	while (*r->pp != 2 * r->pp_rounds)
		cpu_relax();
	return (double)(nb_now_ns() - t0) / (2.0 * (double)r->pp_rounds);
}

static void reader_main(void *v)
{
	struct pair_run *r = v;
	r->kind = CMD_CLEAN;
	r->nhit = nb_rule_sample(&r->rule, sample_lines, r, r->hit);
	r->kind = CMD_MODIFIED;
	r->nhitm = nb_rule_sample(&r->rule, sample_lines, r, r->hitm);
	if (r->pp_rounds)
		r->npong = nb_rule_sample(&r->rule, sample_pong, r, r->pong);
}

struct pair {
	int h, r, hn, rn, home; /* home: the node the lines are on */
	enum rel rel;
};

/* Node, core and LLC domain of each cpu of the run (by index in ctx->cpus), looked up once per
 * choose_pairs (which allocates and frees them). */
static int *cpu_node_of, *cpu_core, *cpu_llc;

static enum rel relation(int i, int j)
{
	if (cpu_node_of[i] != cpu_node_of[j])
		return R_CROSS;
	if (cpu_core[i] >= 0 && cpu_core[i] == cpu_core[j])
		return R_SMT;
	if (cpu_llc[i] < 0 || cpu_llc[j] < 0)
		return R_NODE;
	return cpu_llc[i] == cpu_llc[j] ? R_L3 : R_OTHER_L3;
}

/* The pairs: one per (holder node, reader node, relation) first, in cpu order, then others
 * evenly spaced over all ordered pairs up to `want` in all (all of them when there are fewer).
 * Returns the count; *total: every ordered pair of the run. */
static int choose_pairs(const struct nb_ctx *ctx, int want, struct pair *out, int cap, long *total)
{
	static unsigned char seen[NB_MAX_NODES][NB_MAX_NODES][R_COUNT];
	const struct nb_topo *t = ctx->topo;
	int n = 0, nc = ctx->ncpus;
	long all = (long)nc * (nc - 1);
	*total = all;
	memset(seen, 0, sizeof(seen));
	cpu_node_of = nb_ctx_cpu_list(ctx);
	cpu_core = nb_ctx_cpu_list(ctx);
	cpu_llc = nb_ctx_cpu_list(ctx);
	int *pos = nb_ctx_cpu_list(ctx); /* the node's position in the topology: seen's index */
	for (int i = 0; i < nc; i++) {
		cpu_node_of[i] = nb_topo_cpu_node(t, ctx->cpus[i]);
		for (int k = 0; k < t->nnodes; k++)
			if (t->nodes[k].id == cpu_node_of[i])
				pos[i] = k;
		cpu_core[i] = nb_place_core_of(t, ctx->cpus[i]);
		cpu_llc[i] = nb_place_llc_of(t, ctx->cpus[i], NULL);
	}
	for (long k = 0; k < all && n < cap; k++) {
		int i = (int)(k / (nc - 1)), j = (int)(k % (nc - 1));
		j += j >= i;
		int h = ctx->cpus[i], r = ctx->cpus[j];
		int hn = cpu_node_of[i], rn = cpu_node_of[j];
		enum rel rl = relation(i, j);
		if (all > want && seen[pos[i]][pos[j]][rl])
			continue;
		seen[pos[i]][pos[j]][rl] = 1;
		out[n++] = (struct pair){h, r, hn, rn, hn, rl};
	}
	int left = want - n;
	for (int x = 0; x < left && all > want && n < cap; x++) {
		long k = (long)((double)x * (double)all / left);
		for (; k < all; k++) {
			int i = (int)(k / (nc - 1)), j = (int)(k % (nc - 1));
			j += j >= i;
			bool dup = false;
			for (int q = 0; q < n && !dup; q++)
				dup = out[q].h == ctx->cpus[i] && out[q].r == ctx->cpus[j];
			if (dup)
				continue;
			int h = ctx->cpus[i], r = ctx->cpus[j];
			out[n++] = (struct pair){
			    h, r, cpu_node_of[i], cpu_node_of[j], cpu_node_of[i], relation(i, j)};
			break;
		}
	}
	free(cpu_node_of);
	free(cpu_core);
	free(cpu_llc);
	free(pos);
	cpu_node_of = cpu_core = cpu_llc = NULL;
	return n;
}

/* Cells: each pair with the lines on the holder's node; a cross-node pair also with them on
 * the reader's node (MLC's two remote HITM figures). Cost model: the rule's minimum samples of
 * `rounds` x `lines` loads and `pingpong` round trips at 200 ns each, twice (HIT, HITM). */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	/* Every pair when there are at most `pairs`; else one per (node, node, relation) and
	 * `pairs` more at most. */
	long total;
	int want = (int)p->v[P_PAIRS].u;
	int cap = want + ctx->topo->nnodes * ctx->topo->nnodes * R_COUNT;
	struct pair *prs = nb_xcalloc((size_t)cap, sizeof(*prs));
	int n = choose_pairs(ctx, want, prs, cap, &total);
	json_t *pl = nb_plan_new();
	uint64_t bytes = p->v[P_LINES].u * p->v[P_STRIDE].u + 4096;
	double est =
	    nb_plan_samples(ctx) *
	    (2.0 * (double)(p->v[P_ROUNDS].u * p->v[P_LINES].u) + (double)p->v[P_PINGPONG].u) *
	    200e-9;
	for (int i = 0; i < n; i++)
		for (int home = 0; home < (prs[i].rel == R_CROSS ? 2 : 1); home++) {
			int hn = home ? prs[i].rn : prs[i].hn;
			json_t *cell =
			    json_pack("{s:i,s:i,s:i,s:i,s:i,s:i,s:s,s:s,s:I}", "holder_cpu",
				      prs[i].h, "reader_cpu", prs[i].r, "holder_node", prs[i].hn,
				      "reader_node", prs[i].rn, "mem_node", hn, "cpu_node",
				      prs[i].rn, "relation", rel_names[prs[i].rel], "home",
				      home ? "reader" : "holder", "bytes", (json_int_t)bytes);
			nb_plan_cpu(cell, prs[i].h, "holder");
			nb_plan_cpu(cell, prs[i].r, "reader");
			nb_plan_mem(pl, hn, bytes);
			nb_plan_add(pl, cell, est);
		}
	json_object_set_new(pl, "pairs_total", json_integer(total));
	json_object_set_new(pl, "pairs_measured", json_integer(n));
	free(prs);
	return pl;
}

static enum nb_status run_pair(struct nb_ctx *ctx, const struct nb_params *p, struct pair *pr,
			       json_t *cell)
{
	static struct pair_run r;
	memset(&r, 0, sizeof(r));
	size_t stride = p->v[P_STRIDE].u;
	r.lines = p->v[P_LINES].u;
	r.rounds = p->v[P_ROUNDS].u;
	r.pp_rounds = p->v[P_PINGPONG].u;
	r.holder_cpu = pr->h;
	r.reader_cpu = pr->r;
	r.len = r.lines * stride;
	r.stride = stride;
	r.home = pr->home;
	if (nb_buf_alloc(&r.b, r.len + 4096, NB_BIND, pr->home, NB_PAGES_4K)) {
		nb_run_reason(cell, "cannot allocate on node %d: %s", pr->home, strerror(errno));
		return NB_FAILED;
	}
	r.allocations = 1;
	r.buf = r.b.p;
	r.pp = (volatile uint64_t *)(r.buf + ((r.len + 63) & ~(size_t)63));
	/* The chain: one line per stride, random order (built here, before either thread). */
	r.start = nb_chase_build(r.buf, r.len, stride, r.len, 0xc2c ^ (uint64_t)pr->h);
	if (!r.start) {
		nb_buf_free(&r.b);
		nb_run_reason(cell, "cannot build the chain");
		return NB_FAILED;
	}
	nb_rule_for(&r.rule, ctx, p);
	r.rule.refresh = refresh;
	r.rule.refresh_every = NB_REFRESH_EVERY;
	pthread_t th;
	int e = pthread_create(&th, NULL, holder_main, &r);
	if (e) {
		nb_buf_free(&r.b);
		nb_run_reason(cell, "cannot start the holder thread: %s", strerror(e));
		return NB_FAILED;
	}
	int rc = nb_run_pinned(&r.reader_cpu, 1, reader_main, &r);
	int rerr = rc ? errno : 0;
	r.cmd = CMD_EXIT;
	__atomic_store_n(&r.seq, r.seq + 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	enum nb_status st = NB_OK;
	if (rc || r.err) {
		nb_run_reason(cell, "could not pin to cpu %d: %s", rc ? pr->r : pr->h,
			      strerror(rc ? rerr : r.err));
		nb_buf_free(&r.b);
		return NB_FAILED;
	}
	json_t *m = json_pack("{s:o,s:o}", "hit_ns", nb_metric("ns", "lower", r.hit, r.nhit),
			      "hitm_ns", nb_metric("ns", "lower", r.hitm, r.nhitm));
	if (r.npong)
		json_object_set_new(m, "pingpong_ns", nb_metric("ns", "lower", r.pong, r.npong));
	json_object_set_new(cell, "metrics", m);
	json_object_set_new(cell, "allocations", json_integer(r.allocations));
	placement_add(&r);
	if (r.refresh_err) {
		nb_run_reason(cell, "a fresh allocation failed (%s): %d allocations",
			      strerror(r.refresh_err), r.allocations);
		st = NB_UNTRUSTWORTHY;
	}
	if (!r.pl_err) {
		nb_placement_end(&r.pl, pr->home);
		st = nb_cell_placement(cell, &r.pl, pr->home, st);
	} else {
		nb_run_reason(cell, "placement could not be verified: %s", strerror(r.pl_err));
		st = NB_UNTRUSTWORTHY;
	}
	st = nb_cell_spread(cell, &r.rule, r.hitm, r.nhitm, st);
	st = nb_cell_spread(cell, &r.rule, r.hit, r.nhit, st);
	nb_buf_free(&r.b);
	return st;
}

static double median_of(json_t *cells, int hn, int rn, const char *home, const char *metric,
			int *count)
{
	size_t max = json_array_size(cells);
	double *v = nb_xcalloc(max, sizeof(double));
	int n = 0;
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
	{
		const char *st = json_string_value(json_object_get(c, "status"));
		const char *h = json_string_value(json_object_get(c, "home"));
		if (!st || (strcmp(st, "ok") && strcmp(st, "untrustworthy")) || (size_t)n >= max ||
		    !h || strcmp(h, home) ||
		    json_integer_value(json_object_get(c, "holder_node")) != hn ||
		    json_integer_value(json_object_get(c, "reader_node")) != rn)
			continue;
		json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
		if (m)
			v[n++] = json_real_value(json_object_get(m, "median"));
	}
	*count = n;
	struct nb_summary s;
	nb_summarize(v, n, &s);
	free(v);
	return s.median;
}

/* The headline: modified lines, pairs that are not SMT siblings. */
static const struct nb_headline_rule headline_rule = {
    .metric = "hitm_ns", .where = "relation!=smt", .text = "HITM, not SMT"};

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	json_t *pl = plan(ctx, p), *cells = json_object_get(pl, "cells");
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	int present[R_COUNT] = {0}, total = (int)json_array_size(cells);
	for (int i = 0; i < total && !nb_interrupted; i++) {
		json_t *cell = nb_plan_cell_copy(json_array_get(cells, (size_t)i));
		struct pair pr = {(int)json_integer_value(json_object_get(cell, "holder_cpu")),
				  (int)json_integer_value(json_object_get(cell, "reader_cpu")),
				  (int)json_integer_value(json_object_get(cell, "holder_node")),
				  (int)json_integer_value(json_object_get(cell, "reader_node")),
				  (int)json_integer_value(json_object_get(cell, "mem_node")),
				  R_CROSS};
		const char *rn = json_string_value(json_object_get(cell, "relation"));
		for (int k = 0; k < R_COUNT; k++)
			if (!strcmp(rn, rel_names[k]))
				pr.rel = (enum rel)k;
		present[pr.rel]++;
		nb_progress("c2c: holder cpu %d -> reader cpu %d, lines on node %d (%d/%d)", pr.h,
			    pr.r, pr.home, i + 1, total);
		nb_cells_add(&cl, cell,
			     nb_cell_budget(cell) ? NB_SKIPPED : run_pair(ctx, p, &pr, cell));
	}
	json_object_set(run, "pairs_total", json_object_get(pl, "pairs_total"));
	json_object_set(run, "pairs_measured", json_object_get(pl, "pairs_measured"));
	json_decref(pl);
	/* A relation no pair of this run has: a skipped cell that says why (same_node only
	 * stands in for the two L3 relations on a topology without cache objects). */
	static const char *const why[R_COUNT] = {"no SMT siblings among the run's cpus",
						 "no two cores of a node share an L3 here",
						 "no node has cpus on two last-level caches",
						 "needs at least 2 NUMA nodes with cpus", NULL};
	for (int rl = 0; rl < R_COUNT; rl++)
		if (!present[rl] && why[rl]) {
			json_t *cell = json_pack("{s:s}", "relation", rel_names[rl]);
			nb_run_reason(cell, "%s%s", why[rl],
				      present[R_NODE] && (rl == R_L3 || rl == R_OTHER_L3)
					  ? " (the topology has no last-level cache objects: "
					    "same-node pairs are same_node)"
					  : "");
			nb_cells_add(&cl, cell, NB_SKIPPED);
		}
	/* holder node x reader node summary, per home of the lines: medians of the pairs'. */
	int cn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(ctx, cn);
	json_t *sum = json_array();
	static const char *const homes[2] = {"holder", "reader"};
	for (int a = 0; a < ncn; a++)
		for (int b = 0; b < ncn; b++)
			for (int hm = 0; hm < 2; hm++) {
				int k1, k2, k3;
				const char *h = homes[hm];
				double hit = median_of(cl.arr, cn[a], cn[b], h, "hit_ns", &k1);
				double hitm = median_of(cl.arr, cn[a], cn[b], h, "hitm_ns", &k2);
				double pong =
				    median_of(cl.arr, cn[a], cn[b], h, "pingpong_ns", &k3);
				if (!k1)
					continue;
				json_t *o = json_pack("{s:i,s:i,s:s,s:i,s:i,s:f,s:f}",
						      "holder_node", cn[a], "reader_node", cn[b],
						      "home", h, "mem_node", hm ? cn[b] : cn[a],
						      "pairs", k1, "hit_ns", hit, "hitm_ns", hitm);
				if (k3)
					json_object_set_new(o, "pingpong_ns", json_real(pong));
				json_array_append_new(sum, o);
			}
	json_object_set_new(run, "summary", sum);
	nb_run_headline_rule(run, &headline_rule);
	json_object_set_new(
	    run, "method",
	    json_string("holder cpu leaves lines clean (read after clflush: HIT) or modified "
			"(rewritten: HITM) in its cache; reader cpu chases them and times its "
			"loads; ping-pong: one handoff of a modified line (round trip / 2)"));
	return nb_cells_finish(&cl, run);
}

/* What names a cell: compare pairs cells by these (written as each run's "identity"). */
static const char *const identity[] = {"holder_cpu", "reader_cpu", "relation", "home", NULL};

const struct nb_bench nb_bench_c2c = {
    .abi = NB_BENCH_ABI,
    .name = "c2c",
    .identity = identity,
    .headline = &headline_rule,
    .summary = "cache-to-cache transfer latency per cpu pair (HIT clean, HITM modified, "
	       "ping-pong), summarised node x node",
    .params = params,
    .nparams = P_COUNT,
    .run = run,
    .plan = plan,
};
