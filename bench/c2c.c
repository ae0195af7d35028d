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
#include "stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_param_def params[] = {
    {"lines", NB_P_INT, "lines", "64", 2, 4096, NULL,
     "cache lines the holder prepares and the reader chases per round"},
    {"stride", NB_P_SIZE, "bytes", "256", 64, 4096, NULL,
     "one line per this many bytes (a power of two; 256 keeps neighbour-line prefetches out)"},
    {"rounds", NB_P_INT, "rounds", "100", 1, 1e7, NULL,
     "rounds per sample (each: the holder prepares, the reader chases all lines)"},
    {"pingpong", NB_P_INT, "round trips", "2000", 0, 1e9, NULL,
     "ping-pong round trips per sample (0: no ping-pong)"},
    {"pairs", NB_P_INT, "pairs", "64", 1, 1e6, NULL,
     "at most this many ordered cpu pairs: all of them when there are fewer; else one per "
     "(holder node, reader node, relation) first, then evenly spaced others"},
    NB_PARAM_SPREAD_MAX("0.10"),
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL},
};

enum rel { R_SMT, R_NODE, R_CROSS, R_COUNT };
static const char *const rel_names[R_COUNT] = {"smt", "same_node", "cross_node"};

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

static bool smt_siblings(int a, int b)
{
	char pa[128], pb[128];
	long ca, cb, ka, kb;
	snprintf(pa, sizeof(pa), "/sys/devices/system/cpu/cpu%d/topology/core_id", a);
	snprintf(pb, sizeof(pb), "/sys/devices/system/cpu/cpu%d/topology/core_id", b);
	if (nb_read_long(pa, &ca) || nb_read_long(pb, &cb) || ca != cb)
		return false;
	snprintf(pa, sizeof(pa), "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", a);
	snprintf(pb, sizeof(pb), "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", b);
	return !nb_read_long(pa, &ka) && !nb_read_long(pb, &kb) && ka == kb;
}

struct pair {
	int h, r, hn, rn;
	enum rel rel;
	bool take;
};

static enum nb_status run_pair(struct nb_ctx *ctx, const struct nb_params *p, struct pair *pr,
			       json_t *cell)
{
	static struct pair_run r;
	memset(&r, 0, sizeof(r));
	size_t stride = nb_param_u64(p, "stride");
	r.lines = nb_param_u64(p, "lines");
	r.rounds = nb_param_u64(p, "rounds");
	r.pp_rounds = nb_param_u64(p, "pingpong");
	r.holder_cpu = pr->h;
	r.reader_cpu = pr->r;
	r.len = r.lines * stride;
	struct nb_buf b;
	if (nb_buf_alloc(&b, r.len + 4096, NB_BIND, pr->hn, NB_PAGES_4K)) {
		nb_run_reason(cell, "cannot allocate on node %d: %s", pr->hn, strerror(errno));
		return NB_FAILED;
	}
	r.buf = b.p;
	r.pp = (volatile uint64_t *)(r.buf + ((r.len + 63) & ~(size_t)63));
	/* The chain: one line per stride, random order (built here, before either thread). */
	r.start = nb_chase_build(r.buf, r.len, stride, r.len, 0xc2c ^ (uint64_t)pr->h);
	if (!r.start) {
		nb_buf_free(&b);
		nb_run_reason(cell, "cannot build the chain");
		return NB_FAILED;
	}
	nb_rule_for(&r.rule, ctx, p);
	pthread_t th;
	int e = pthread_create(&th, NULL, holder_main, &r);
	if (e) {
		nb_buf_free(&b);
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
		nb_buf_free(&b);
		return NB_FAILED;
	}
	json_t *m = json_pack("{s:o,s:o}", "hit_ns", nb_metric("ns", "lower", r.hit, r.nhit),
			      "hitm_ns", nb_metric("ns", "lower", r.hitm, r.nhitm));
	if (r.npong)
		json_object_set_new(m, "pingpong_ns", nb_metric("ns", "lower", r.pong, r.npong));
	json_object_set_new(cell, "metrics", m);
	struct nb_placement pl;
	if (nb_placement_query(b.p, b.len, pr->hn, &pl) == 0)
		st = nb_cell_placement(cell, &pl, pr->hn, st);
	else {
		nb_run_reason(cell, "placement could not be verified: %s", strerror(errno));
		st = NB_UNTRUSTWORTHY;
	}
	st = nb_cell_spread(cell, &r.rule, r.hitm, r.nhitm, st);
	st = nb_cell_spread(cell, &r.rule, r.hit, r.nhit, st);
	nb_buf_free(&b);
	return st;
}

static double median_of(json_t *cells, int hn, int rn, const char *metric, int *count)
{
	double v[4096];
	int n = 0;
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
	{
		const char *st = json_string_value(json_object_get(c, "status"));
		if (!st || (strcmp(st, "ok") && strcmp(st, "untrustworthy")) || n >= 4096 ||
		    json_integer_value(json_object_get(c, "mem_node")) != hn ||
		    json_integer_value(json_object_get(c, "cpu_node")) != rn)
			continue;
		json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
		if (m)
			v[n++] = json_real_value(json_object_get(m, "median"));
	}
	*count = n;
	struct nb_summary s;
	nb_summarize(v, n, &s);
	return s.median;
}

static bool not_smt(json_t *cell, void *arg)
{
	(void)arg;
	const char *r = json_string_value(json_object_get(cell, "relation"));
	return r && strcmp(r, "smt");
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	static struct pair all[NB_MAX_CPUS * 8];
	int n = 0, want = (int)nb_param_u64(p, "pairs");
	int cap = (int)(sizeof(all) / sizeof(all[0]));
	/* Ordered pairs (holder, reader); on huge machines only the first `cap` in a spread
	 * order are considered (the holder walks the cpus with a stride). */
	for (int i = 0; i < ctx->ncpus && n < cap; i++)
		for (int j = 0; j < ctx->ncpus && n < cap; j++) {
			if (i == j)
				continue;
			int h = ctx->cpus[i], rd = ctx->cpus[j];
			struct pair pr = {h,
					  rd,
					  nb_topo_cpu_node(ctx->topo, h),
					  nb_topo_cpu_node(ctx->topo, rd),
					  R_CROSS,
					  false};
			pr.rel = pr.hn != pr.rn ? R_CROSS : smt_siblings(h, rd) ? R_SMT : R_NODE;
			all[n++] = pr;
		}
	int taken = 0;
	if (n <= want) {
		for (int i = 0; i < n; i++)
			all[i].take = true;
		taken = n;
	} else {
		/* One per (holder node, reader node, relation) first. */
		for (int i = 0; i < n && taken < want; i++) {
			bool seen = false;
			for (int j = 0; j < i && !seen; j++)
				seen = all[j].take && all[j].hn == all[i].hn &&
				       all[j].rn == all[i].rn && all[j].rel == all[i].rel;
			if (!seen) {
				all[i].take = true;
				taken++;
			}
		}
		/* Then evenly spaced others. */
		int left = want - taken;
		for (int k = 0; k < left; k++) {
			int i = (int)((long)k * n / (left > 0 ? left : 1));
			while (i < n && all[i].take)
				i++;
			if (i < n) {
				all[i].take = true;
				taken++;
			}
		}
	}
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	int present[R_COUNT] = {0}, done = 0;
	for (int i = 0; i < n; i++)
		present[all[i].rel] += all[i].take;
	for (int i = 0; i < n && !nb_interrupted; i++) {
		if (!all[i].take)
			continue;
		nb_progress("c2c: holder cpu %d -> reader cpu %d (%d/%d)", all[i].h, all[i].r,
			    ++done, taken);
		json_t *cell = json_pack("{s:i,s:i,s:i,s:i,s:s}", "holder_cpu", all[i].h,
					 "reader_cpu", all[i].r, "mem_node", all[i].hn, "cpu_node",
					 all[i].rn, "relation", rel_names[all[i].rel]);
		nb_cells_add(&cl, cell, run_pair(ctx, p, &all[i], cell));
	}
	/* A relation no pair of this run has: a skipped cell that says why. */
	static const char *const why[R_COUNT] = {"no SMT siblings among the run's cpus",
						 "no node has 2 cpus in this run",
						 "needs at least 2 NUMA nodes with cpus"};
	for (int rl = 0; rl < R_COUNT; rl++)
		if (!present[rl]) {
			json_t *cell = json_pack("{s:s}", "relation", rel_names[rl]);
			nb_run_reason(cell, "%s", why[rl]);
			nb_cells_add(&cl, cell, NB_SKIPPED);
		}
	/* node x node summary: medians of the pairs' medians. */
	int cn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(ctx, cn);
	json_t *sum = json_array();
	for (int a = 0; a < ncn; a++)
		for (int b = 0; b < ncn; b++) {
			int k1, k2, k3;
			double hit = median_of(cl.arr, cn[a], cn[b], "hit_ns", &k1);
			double hitm = median_of(cl.arr, cn[a], cn[b], "hitm_ns", &k2);
			double pong = median_of(cl.arr, cn[a], cn[b], "pingpong_ns", &k3);
			if (!k1)
				continue;
			json_t *o =
			    json_pack("{s:i,s:i,s:i,s:f,s:f}", "holder_node", cn[a], "reader_node",
				      cn[b], "pairs", k1, "hit_ns", hit, "hitm_ns", hitm);
			if (k3)
				json_object_set_new(o, "pingpong_ns", json_real(pong));
			json_array_append_new(sum, o);
		}
	json_object_set_new(run, "summary", sum);
	json_object_set_new(run, "pairs_total", json_integer(n));
	json_object_set_new(run, "pairs_measured", json_integer(taken));
	nb_run_headline(run, "hitm_ns", "HITM, not SMT:", NULL, not_smt, NULL);
	json_object_set_new(
	    run, "method",
	    json_string("holder cpu leaves lines clean (read after clflush: HIT) or modified "
			"(rewritten: HITM) in its cache; reader cpu chases them and times its "
			"loads; ping-pong: one handoff of a modified line (round trip / 2)"));
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	uint64_t stride = nb_param_u64(p, "stride");
	(void)ctx;
	if (stride & (stride - 1)) {
		snprintf(err, len, "c2c.stride=%s: not a power of two (valid: 64, 128, 256, ...)",
			 nb_param_str(p, "stride"));
		return -1;
	}
	return 0;
}

const struct nb_bench nb_bench_c2c = {
    .abi = NB_BENCH_ABI,
    .name = "c2c",
    .summary = "cache-to-cache transfer latency per cpu pair (HIT clean, HITM modified, "
	       "ping-pong), summarised node x node",
    .params = params,
    .run = run,
    .validate = validate,
};
