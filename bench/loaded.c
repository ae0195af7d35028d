/* numabench bench `loaded`: latency under load (Intel MLC --loaded_latency, multichase with
 * memloads). A pointer chase (the latency bench's method and kernel) runs on one cpu of node X
 * over memory of node Y while injector threads (the other cpus of X by default) stream over
 * their own buffers on Y with a read/write mix and an injection delay between steps. Each
 * point of the sweep gives (delay, injector traffic GB/s during the chase, latency ns); the
 * first point is idle (injectors parked), the zero-injection point the `latency` bench
 * measures. The chaser timestamps its own samples and reads the injectors' line counters at
 * both ends, so the bandwidth is what the injectors achieved while the latency was taken. */
#include "bench.h"
#include "cells.h"
#include "classes.h"
#include "kernels.h"
#include "order.h"
#include "place.h"
#include "plan.h"
#include "stats.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IDLE_DELAY (-1)
#define CHUNK_LINES 256 /* lines an injector streams between looks at its flag */

enum {
	P_SIZE,
	P_STRIDE,
	P_TLB_GROUP,
	P_LOADS,
	P_INJ_SIZE,
	P_INJECTORS,
	P_MIX,
	P_DELAY,
	P_CI_MAX,
	P_PAIRS,
	P_COUNT
};

static const struct nb_param_def params[] = {
    [P_SIZE] =
	{"size", NB_P_SIZE, "bytes", "dram", 1 << 20, 64.0 * (1ull << 30), nb_choices_dram,
	 "pointer-chase buffer on the memory node (as latency.size; dram: latency's DRAM point)"},
    [P_STRIDE] = NB_PARAM_STRIDE(NB_P_SIZE),
    [P_TLB_GROUP] = NB_PARAM_TLB_GROUP,
    [P_LOADS] = {"loads", NB_P_INT, "loads", "2000000", 1000, 1e10, NULL,
		 "dependent loads per sample"},
    [P_INJ_SIZE] = {"inj_size", NB_P_SIZE, "bytes", "64M", 1 << 20, 64.0 * (1ull << 30), NULL,
		    "buffer each injector streams over (on the memory node, first-touched by it)"},
    [P_INJECTORS] =
	{"injectors", NB_P_INTS, "cpu ids", "", 0, NB_CPU_PARAM_MAX, NULL,
	 "injector cpus, comma list (default: one cpu per core of the chaser's node, the chaser's "
	 "core left out, SMT sibling included; when that leaves none, one per other core of the "
	 "run)"},
    [P_MIX] = {"mix", NB_P_ENUMS, "", "read,r3w1,r2w1,r1w1,ntwrite", 0, 0, NULL,
	       "injector traffic: all reads, 3:1, 2:1, 1:1 reads:writes, non-temporal writes", 0,
	       NULL, NB_CHOICES_OF(nb_mixes, NB_MIX_COUNT)},
    [P_DELAY] =
	{"delay", NB_P_INTS, "spins/line", "0,100,400,2000", 0, 1e7, NULL,
	 "injection delays to sweep: idle-loop iterations per line after each step (an idle "
	 "point, injectors parked, always comes first)"},
    [P_CI_MAX] = NB_PARAM_CI_MAX("0.05"),
    [P_PAIRS] = NB_PARAM_PAIRS,
    [P_COUNT] = NB_PARAMS_END,
};

struct injector {
	pthread_t th;
	int cpu, err;
	struct nb_buf buf;
	volatile uint64_t lines; /* published after every chunk */
	struct shared *s;
	double sink;
};

struct shared {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int gen;	    /* bumped for every new state */
	volatile int state; /* 0 parked, 1 running, 2 exit */
	const struct nb_mix *mix;
	unsigned delay;
	int ready;	      /* injectors that have touched their buffer */
	struct injector *inj; /* n of them */
	int n;
};

static void *injector_main(void *v)
{
	struct injector *in = v;
	struct shared *s = in->s;
	if (nb_pin_self(&in->cpu, 1))
		in->err = errno ? errno : EINVAL;
	else
		nb_touch_pages(in->buf.p, in->buf.len, 4096);
	pthread_mutex_lock(&s->lock);
	s->ready++;
	pthread_cond_broadcast(&s->cond);
	int seen = 0;
	for (;;) {
		while (s->gen == seen)
			pthread_cond_wait(&s->cond, &s->lock);
		seen = s->gen;
		if (s->state == 2)
			break;
		if (s->state != 1 || in->err)
			continue;
		const struct nb_mix *m = s->mix;
		unsigned delay = s->delay;
		pthread_mutex_unlock(&s->lock);
		size_t total = in->buf.len / NB_LINE, pos = 0;
		size_t step = (size_t)(m->reads + m->writes), chunk = CHUNK_LINES / step * step;
		while (s->state == 1) {
			if (pos + chunk > total)
				pos = 0;
			in->sink += nb_mix_run((char *)in->buf.p + pos * NB_LINE, chunk, m, delay);
			pos += chunk;
			__atomic_store_n(&in->lines, in->lines + chunk, __ATOMIC_RELAXED);
		}
		pthread_mutex_lock(&s->lock);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void set_state(struct shared *s, int state, const struct nb_mix *m, unsigned delay)
{
	pthread_mutex_lock(&s->lock);
	s->mix = m;
	s->delay = delay;
	s->state = state;
	s->gen++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static uint64_t lines_now(struct shared *s)
{
	uint64_t t = 0;
	for (int i = 0; i < s->n; i++)
		t += __atomic_load_n(&s->inj[i].lines, __ATOMIC_RELAXED);
	return t;
}

struct chaser {
	struct shared *s;
	struct nb_buf *buf;
	size_t stride, group;
	uint64_t loads;
	struct nb_rule rule;
	const struct nb_mix *mix;
	double traffic_per_line;
	double bw[64];
	int nbw;
	void *p;
	int err;
	/* per point */
	double lat[24][64], gbs[24][64];
	int n[24];
	long delays[24];
	int npoints;
};

static double one_sample(void *v)
{
	struct chaser *c = v;
	uint64_t l0 = lines_now(c->s), t0 = nb_now_ns();
	c->p = nb_chase_run(c->p, c->loads);
	uint64_t t1 = nb_now_ns(), l1 = lines_now(c->s);
	if (c->nbw < 64)
		c->bw[c->nbw++] = (double)(l1 - l0) * c->traffic_per_line / (double)(t1 - t0);
	return (double)(t1 - t0) / (double)c->loads;
}

/* The chaser thread, pinned to its cpu: builds the chain (first toucher), then the points. */
static void chase_points(void *v)
{
	struct chaser *c = v;
	c->p = nb_chase_build(c->buf->p, c->buf->len, c->stride, c->group, 0x5eed ^ c->buf->len);
	if (!c->p) {
		c->err = ENOMEM;
		return;
	}
	uint64_t links = c->buf->len / c->stride;
	c->p = nb_chase_run(c->p, links < (1u << 20) ? links : (1u << 20));
	for (int i = 0; i < c->npoints && !nb_interrupted; i++) {
		if (c->delays[i] != IDLE_DELAY) {
			set_state(c->s, 1, c->mix, (unsigned)c->delays[i]);
			/* Let every injector get going before the first sample. */
			uint64_t l0 = lines_now(c->s), t0 = nb_now_ns();
			while (lines_now(c->s) - l0 < (uint64_t)c->s->n * CHUNK_LINES &&
			       nb_now_ns() - t0 < 200000000ull)
				;
		}
		c->nbw = 0;
		c->n[i] = nb_rule_sample(&c->rule, one_sample, c, c->lat[i]);
		memcpy(c->gbs[i], c->bw, sizeof(double) * (size_t)c->nbw);
		if (c->delays[i] != IDLE_DELAY)
			set_state(c->s, 0, c->mix, 0);
	}
}

/* The injectors: as given (the chaser left out), else one cpu per core of the node other than
 * the chaser's core (its SMT sibling stays idle, as MLC keeps it), else of the run. */
static int default_injectors(const struct nb_ctx *ctx, const struct nb_params *p, int node,
			     int chase_cpu, int *out, const char **from)
{
	const struct nb_param_val *v = &p->v[P_INJECTORS];
	int n = 0;
	if (v->nlist) {
		*from = "param";
		for (int i = 0; i < v->nlist; i++)
			if ((int)v->list[i] != chase_cpu)
				out[n++] = (int)v->list[i];
		return n;
	}
	int *cpus = nb_ctx_cpu_list(ctx), *other = nb_ctx_cpu_list(ctx);
	int nc = nb_ctx_node_cpus(ctx, node, cpus);
	*from = "node";
	n = nb_place_other_cores(ctx->topo, cpus, nc, chase_cpu, other);
	n = nb_place_spread(ctx->topo, other, n, true, out);
	if (!n) {
		*from = "run";
		n = nb_place_other_cores(ctx->topo, ctx->cpus, ctx->ncpus, chase_cpu, other);
		n = nb_place_spread(ctx->topo, other, n, true, out);
	}
	free(cpus);
	free(other);
	return n;
}

/* The chaser: the node's one cpu (as latency's), else the first that is not an injector. */
static int chaser_cpu(const struct nb_ctx *ctx, const struct nb_params *p, int node)
{
	int *cpus = nb_ctx_cpu_list(ctx), nc = nb_ctx_node_cpus(ctx, node, cpus);
	const struct nb_param_val *inj = &p->v[P_INJECTORS];
	int one = nb_place_one_cpu(cpus, nc), best = -1;
	for (int i = 0; i < nc; i++) {
		bool taken = false;
		for (int j = 0; j < inj->nlist; j++)
			taken |= (int)inj->list[j] == cpus[i];
		if (!taken && (cpus[i] == one || best < 0 || (best != one && cpus[i] < best)))
			best = cpus[i];
	}
	free(cpus);
	return best;
}

#define DRAM_FLOOR (256ull << 20) /* as latency's */

/* A cell's point: a check cell's representative is the same point at the representative's
 * pair; the cells are measured coarse to fine over (point, pair class) (harness/order.h). */
static const char *const class_keys[] = {"mix", NULL};

/* Cells: mix x (cpu node, memory node); each needs its chase buffer and one inj_size buffer per
 * injector on the memory node (what memory_per_node reports and validate checks). Cost model:
 * the idle point and each delay, the rule's minimum samples of `loads` at 150 ns, plus
 * touching the buffers at 2 GB/s. */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES];
	int ncn = nb_ctx_cpu_nodes(ctx, cn), nmn = nb_ctx_mem_nodes(ctx, mn);
	const struct nb_param_val *mixes = &p->v[P_MIX];
	uint64_t stride = p->v[P_STRIDE].u, inj = p->v[P_INJ_SIZE].u;
	struct nb_wset w;
	nb_wset_for(ctx, p->v[P_SIZE].u, (double)stride / NB_LINE, DRAM_FLOOR, &w);
	char sz[32];
	nb_fmt_size(w.bytes, sz, sizeof(sz));
	json_t *pl = nb_plan_new();
	struct nb_pair_classes *pc = malloc(sizeof(*pc));
	nb_pair_classes_ctx(ctx, pc);
	int mode = nb_class_mode(p, pc);
	for (int m = 0; m < mixes->nlist; m++)
		for (int i = 0; i < ncn * nmn; i++) {
			int x = cn[i / nmn], y = mn[i % nmn];
			json_t *cell = json_pack(
			    "{s:i,s:i,s:s,s:s,s:s,s:I,s:I,s:I}", "cpu_node", x, "mem_node", y,
			    "mix", nb_mixes[mixes->list[m]].name, "pages", "4k", "size", sz,
			    "size_bytes", (json_int_t)w.bytes, "stride", (json_int_t)stride,
			    "tlb_group", (json_int_t)p->v[P_TLB_GROUP].u);
			int chase = chaser_cpu(ctx, p, x), n = 0;
			int *icpu = nb_xcalloc((size_t)ctx->ncpus + (size_t)p->v[P_INJECTORS].nlist,
					       sizeof(int));
			const char *from = "";
			if (chase < 0) {
				json_object_set_new(
				    cell, "skip",
				    json_sprintf(
					"every cpu of node %d is an injector: none left for "
					"the chase",
					x));
			} else {
				nb_plan_cpu(cell, chase, "chaser");
				n = default_injectors(ctx, p, x, chase, icpu, &from);
				for (int k = 0; k < n; k++)
					nb_plan_cpu(cell, icpu[k], "injector");
				json_object_set_new(cell, "injectors_from", json_string(from));
			}
			free(icpu);
			if (!json_object_get(cell, "cpus"))
				json_object_set_new(cell, "cpus", json_array());
			uint64_t bytes = chase < 0 ? 0 : w.bytes + (uint64_t)n * inj;
			json_object_set_new(cell, "bytes", json_integer((json_int_t)bytes));
			nb_wset_cell(ctx, &w, x, y, cell);
			/* Other pairs of a class: checked with the first mix, at the idle point
			 * and the first delay. */
			enum nb_class_role role = nb_class_cell(cell, pc, mode, x, y, m == 0);
			if (role == NB_CLASS_COVERED) {
				nb_plan_add(pl, cell, 0);
				continue;
			}
			nb_plan_mem(pl, y, bytes);
			bool check = role == NB_CLASS_CHECK;
			int points = 1 + (n ? (check ? 1 : p->v[P_DELAY].nlist) : 0);
			double est =
			    chase < 0
				? 0
				: points * (check ? nb_class_samples(ctx) : nb_plan_samples(ctx)) *
					  (double)p->v[P_LOADS].u * 150e-9 +
				      (double)bytes / 2e9;
			nb_plan_add(pl, cell, est);
		}
	free(pc);
	nb_plan_order(ctx, pl, "cpu_node", "mem_node", class_keys);
	return pl;
}

static enum nb_status verify(struct nb_buf *b, int node, json_t *cell, const char *key,
			     enum nb_status st)
{
	struct nb_placement pl;
	if (nb_placement_query(b->p, b->len, node, &pl)) {
		if (st == NB_OK)
			nb_run_reason(cell, "placement could not be verified: %s", strerror(errno));
		return st == NB_OK ? NB_UNTRUSTWORTHY : st;
	}
	json_object_set_new(cell, key, nb_placement_json(&pl, node, "move_pages"));
	if (pl.on_intended >= NB_PLACE_MIN_SHARE || st != NB_OK)
		return st;
	nb_run_reason(cell, "%s: only %.1f%% of pages on node %d", key, 100 * pl.on_intended, node);
	return NB_UNTRUSTWORTHY;
}

static enum nb_status run_cell(struct nb_ctx *ctx, const struct nb_params *p, int x, int y,
			       const struct nb_mix *mix, json_t *cell)
{
	(void)x;
	json_t *skip = json_object_get(cell, "skip");
	if (skip) {
		nb_run_reason(cell, "%s", json_string_value(skip));
		json_object_del(cell, "skip");
		return NB_SKIPPED;
	}
	static struct shared s;
	static struct chaser c;
	memset(&s, 0, sizeof(s));
	memset(&c, 0, sizeof(c));
	int chase_cpu = -1;
	nb_plan_cpus(cell, "chaser", &chase_cpu, 1);
	int *icpu = nb_plan_cpus_new(cell, "injector", &s.n);
	s.inj = nb_xcalloc((size_t)s.n, sizeof(*s.inj));
	json_t *ic = json_array();
	for (int i = 0; i < s.n; i++)
		json_array_append_new(ic, json_integer(icpu[i]));
	json_object_set_new(cell, "chase_cpu", json_integer(chase_cpu));
	json_object_set_new(cell, "injector_cpus", ic);
	struct nb_buf buf;
	if (nb_buf_alloc(&buf, (size_t)json_integer_value(json_object_get(cell, "size_bytes")),
			 NB_BIND, y, NB_PAGES_4K)) {
		nb_run_reason(cell, "cannot allocate the chase buffer on node %d: %s", y,
			      strerror(errno));
		free(icpu);
		free(s.inj);
		return NB_FAILED;
	}
	enum nb_status st = NB_OK;
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	int started = 0;
	for (int i = 0; i < s.n; i++) {
		struct injector *in = &s.inj[i];
		in->s = &s;
		in->cpu = icpu[i];
		if (nb_buf_alloc(&in->buf, p->v[P_INJ_SIZE].u, NB_BIND, y, NB_PAGES_4K) ||
		    pthread_create(&in->th, NULL, injector_main, in)) {
			nb_run_reason(cell, "cannot start injector %d on cpu %d: %s", i, in->cpu,
				      strerror(errno ? errno : EAGAIN));
			nb_buf_free(&in->buf);
			st = NB_FAILED;
			break;
		}
		started++;
	}
	s.n = started;
	pthread_mutex_lock(&s.lock);
	while (s.ready < started)
		pthread_cond_wait(&s.cond, &s.lock);
	pthread_mutex_unlock(&s.lock);
	for (int i = 0; i < started && st == NB_OK; i++)
		if (s.inj[i].err) {
			nb_run_reason(cell, "injector could not be pinned to cpu %d: %s",
				      s.inj[i].cpu, strerror(s.inj[i].err));
			st = NB_FAILED;
		}
	const struct nb_param_val *d = &p->v[P_DELAY];
	c.s = &s;
	c.buf = &buf;
	c.stride = p->v[P_STRIDE].u;
	c.group = p->v[P_TLB_GROUP].u;
	c.loads = p->v[P_LOADS].u;
	c.mix = mix;
	c.traffic_per_line = nb_mix_traffic_per_line(mix) * 1.0;
	c.delays[c.npoints++] = IDLE_DELAY;
	bool check = nb_class_is_check(cell); /* a class check: idle and the first delay only */
	if (started)
		for (int i = 0; i < d->nlist && c.npoints < 24 && !(check && i); i++)
			c.delays[c.npoints++] = (long)d->list[i];
	nb_rule_for(&c.rule, ctx, p);
	if (check)
		nb_class_rule(ctx, &c.rule);
	if (st == NB_OK && (nb_run_pinned(&chase_cpu, 1, chase_points, &c) || c.err)) {
		nb_run_reason(cell, "measurement failed: %s", strerror(c.err ? c.err : errno));
		st = NB_FAILED;
	}
	set_state(&s, 2, mix, 0);
	for (int i = 0; i < started; i++)
		pthread_join(s.inj[i].th, NULL);
	if (st == NB_OK) {
		json_t *pts = json_array();
		for (int i = 0; i < c.npoints; i++) {
			struct nb_summary ls, bs;
			nb_summarize(c.lat[i], c.n[i], &ls);
			nb_summarize(c.gbs[i], c.n[i], &bs);
			json_t *pt = json_pack(
			    "{s:o,s:f,s:f,s:o}", "delay",
			    c.delays[i] == IDLE_DELAY ? json_string("idle")
						      : json_integer(c.delays[i]),
			    "latency_ns", ls.median, "bandwidth_gbs", bs.median, "metrics",
			    json_pack("{s:o,s:o}", "latency_ns",
				      nb_metric("ns", "lower", c.lat[i], c.n[i]), "bandwidth_gbs",
				      nb_metric("GB/s", "higher", c.gbs[i], c.n[i])));
			json_array_append_new(pts, pt);
		}
		json_object_set_new(cell, "points", pts);
		/* The cell's metrics: the idle point (zero injection), the latency at the
		 * heaviest injection (delay 0 when swept) and the bandwidth there. */
		int hi = c.npoints > 1 ? 1 : 0;
		json_object_set_new(
		    cell, "metrics",
		    json_pack("{s:o,s:o,s:o}", "latency_ns",
			      nb_metric("ns", "lower", c.lat[0], c.n[0]), "loaded_latency_ns",
			      nb_metric("ns", "lower", c.lat[hi], c.n[hi]), "injector_gbs",
			      nb_metric("GB/s", "higher", c.gbs[hi], c.n[hi])));
		json_object_set_new(cell, "traffic_per_line", json_real(c.traffic_per_line));
		st = verify(&buf, y, cell, "placement", st);
		for (int i = 0; i < started; i++)
			st = verify(&s.inj[i].buf, y, cell, "injector_placement", st);
		st = nb_cell_spread(cell, &c.rule, c.lat[0], c.n[0], st);
		st = nb_wset_judge(cell, st);
		if (!started && st == NB_OK)
			json_object_set_new(cell, "note",
					    json_string("no cpu left for injectors: the idle "
							"point only"));
	}
	for (int i = 0; i < started; i++)
		nb_buf_free(&s.inj[i].buf);
	pthread_mutex_destroy(&s.lock);
	pthread_cond_destroy(&s.cond);
	nb_buf_free(&buf);
	free(icpu);
	free(s.inj);
	s.inj = NULL;
	return st;
}

/* The headline: the idle point (injectors parked) of the read mix. */
static const struct nb_headline_rule headline_rule = {
    .metric = "latency_ns", .where = "mix=read", .text = "idle (zero injection)"};

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	json_t *pl = plan(ctx, p), *cells = json_object_get(pl, "cells");
	int total = (int)json_array_size(cells), *seq = nb_plan_sequence(cells);
	for (int q = 0; q < total && !nb_interrupted; q++) {
		int i = seq ? seq[q] : q;
		json_t *cell = nb_plan_cell_copy(json_array_get(cells, (size_t)i));
		int x = (int)json_integer_value(json_object_get(cell, "cpu_node"));
		int y = (int)json_integer_value(json_object_get(cell, "mem_node"));
		const char *mname = json_string_value(json_object_get(cell, "mix"));
		const struct nb_mix *mix = &nb_mixes[0];
		for (int k = 0; k < NB_MIX_COUNT; k++)
			if (!strcmp(nb_mixes[k].name, mname))
				mix = &nb_mixes[k];
		nb_progress("loaded: %s, cpu node %d -> mem node %d (%d/%d)", mix->name, x, y,
			    q + 1, total);
		enum nb_status st = nb_class_has_role(cell, "covered") ? nb_class_covered(cell)
				    : nb_cell_budget(cell)	       ? NB_SKIPPED
							   : run_cell(ctx, p, x, y, mix, cell);
		if (st != NB_SKIPPED && nb_class_is_check(cell))
			nb_class_judge(run, cl.arr, cell, "loaded_latency_ns", class_keys);
		nb_cells_add_at(&cl, cell, st, i);
	}
	free(seq);
	json_decref(pl);
	nb_run_headline_rule(run, &headline_rule);
	json_object_set_new(
	    run, "method",
	    json_string("pointer chase as the latency bench on one cpu of the cpu node; injector "
			"threads stream a read/write mix over their own buffers on the memory "
			"node with an idle spin between steps; points: idle, then each delay"));
	return nb_cells_finish(&cl, run);
}

/* ---- the zero-injection point against the `latency` bench of the same invocation ---- */

#define AGREE_TOL 0.03

static double median_of(json_t *cell, const char *metric)
{
	json_t *m =
	    json_object_get(json_object_get(json_object_get(cell, "metrics"), metric), "median");
	return json_is_number(m) ? json_number_value(m) : NAN;
}

static bool same_int(json_t *a, json_t *b, const char *key)
{
	json_t *x = json_object_get(a, key), *y = json_object_get(b, key);
	return json_is_integer(x) && json_is_integer(y) &&
	       json_integer_value(x) == json_integer_value(y);
}

/* The latency cell at the loaded cell's key (cpu_node, mem_node, pages, size_bytes, stride),
 * from any latency run of `runs`; NULL with *why set (and *nlat the latency runs seen). */
static json_t *latency_cell(json_t *lc, json_t *runs, int *nlat, const char **skip_why)
{
	size_t i, j;
	json_t *r, *c;
	*nlat = 0;
	*skip_why = NULL;
	json_array_foreach(runs, i, r)
	{
		if (strcmp(json_string_value(json_object_get(r, "bench")) ?: "", "latency"))
			continue;
		(*nlat)++;
		if (!strcmp(json_string_value(json_object_get(r, "status")) ?: "", "skipped"))
			*skip_why = json_string_value(json_object_get(r, "reason")) ?: "skipped";
		json_array_foreach(json_object_get(r, "cells"), j, c)
		{
			const char *pg = json_string_value(json_object_get(c, "pages"));
			if (same_int(c, lc, "cpu_node") && same_int(c, lc, "mem_node") && pg &&
			    !strcmp(pg, "4k") && same_int(c, lc, "size_bytes") &&
			    same_int(c, lc, "stride"))
				return c;
		}
	}
	return NULL;
}

/* Record in loaded cell `lc` how its idle point compares with the latency cell of the same
 * key; returns the comparison's status. */
static const char *compare_cell(json_t *lc, json_t *runs)
{
	json_t *o = json_object();
	json_object_set_new(lc, "vs_latency", o);
	const char *status;
	int nlat;
	const char *skip_why;
	json_t *c = latency_cell(lc, runs, &nlat, &skip_why);
	double idle = median_of(lc, "latency_ns");
	char why[512];
	why[0] = 0;
	if (!isfinite(idle)) {
		status = "no_idle_point";
		snprintf(why, sizeof(why), "this cell has no idle point (cell status %s)",
			 json_string_value(json_object_get(lc, "status")) ?: "?");
	} else if (!nlat) {
		status = "no_latency_run";
		snprintf(why, sizeof(why),
			 "the latency bench did not run in this invocation; run it beside loaded "
			 "with latency.size=%s latency.pages=4k latency.stride=%lld",
			 json_string_value(json_object_get(lc, "size")) ?: "?",
			 (long long)json_integer_value(json_object_get(lc, "stride")));
	} else if (!c && skip_why) {
		status = "latency_skipped";
		snprintf(why, sizeof(why), "the latency bench was skipped: %s", skip_why);
	} else if (!c) {
		status = "no_matching_cell";
		snprintf(
		    why, sizeof(why),
		    "latency ran without a cell at cpu node %lld, mem node %lld, 4k pages, size "
		    "%s, stride %lld",
		    (long long)json_integer_value(json_object_get(lc, "cpu_node")),
		    (long long)json_integer_value(json_object_get(lc, "mem_node")),
		    json_string_value(json_object_get(lc, "size")) ?: "?",
		    (long long)json_integer_value(json_object_get(lc, "stride")));
	} else if (!isfinite(median_of(c, "latency_ns"))) {
		status = "latency_cell_has_no_figure";
		snprintf(why, sizeof(why), "the matching latency cell is %s: %s",
			 json_string_value(json_object_get(c, "status")) ?: "?",
			 json_string_value(json_object_get(c, "reason")) ?: "no latency_ns metric");
	} else if (json_object_get(c, "tlb_group") && !same_int(c, lc, "tlb_group")) {
		status = "not_comparable";
		snprintf(why, sizeof(why), "latency used tlb_group %lld, loaded %lld",
			 (long long)json_integer_value(json_object_get(c, "tlb_group")),
			 (long long)json_integer_value(json_object_get(lc, "tlb_group")));
	} else {
		double lat = median_of(c, "latency_ns"), ratio = idle / lat;
		bool within = fabs(ratio - 1) <= AGREE_TOL;
		json_object_set_new(o, "latency_ns", json_real(lat));
		json_object_set_new(o, "loaded_idle_ns", json_real(idle));
		json_object_set_new(o, "ratio", json_real(ratio));
		if (nb_timing_emulated) {
			status = "not_judged";
			json_object_set_new(o, "within_3pct", json_null());
			snprintf(why, sizeof(why), "timings are emulated: recorded, not judged");
		} else {
			status = within ? "agree" : "disagree";
			json_object_set_new(o, "within_3pct", json_boolean(within));
			if (!within)
				snprintf(why, sizeof(why),
					 "idle point %.1f ns vs latency %.1f ns: %+.1f%%, outside "
					 "+-3%%",
					 idle, lat, 100 * (ratio - 1));
		}
		/* A cell whose samples spread too much makes the comparison weaker: say so. */
		const char *ls = json_string_value(json_object_get(c, "status"));
		const char *ms = json_string_value(json_object_get(lc, "status"));
		size_t k = strlen(why);
		if (ls && strcmp(ls, "ok"))
			k += (size_t)snprintf(why + k, sizeof(why) - k, "%sthe latency cell is %s",
					      k ? "; " : "", ls);
		if (ms && strcmp(ms, "ok") && k < sizeof(why))
			snprintf(why + k, sizeof(why) - k, "%sthis cell is %s", k ? "; " : "", ms);
	}
	json_object_set_new(o, "status", json_string(status));
	if (why[0])
		json_object_set_new(o, "reason", json_string(why));
	return status;
}

/* The runner calls this once every bench ran: each cell's idle point against the latency
 * bench's cell of the same key; `vs_latency` in the run sums the cells up. */
static void compare(const struct nb_ctx *ctx, json_t *run, json_t *runs)
{
	(void)ctx;
	size_t i;
	json_t *cell;
	int n = 0, agree = 0, disagree = 0, judged = 0;
	double worst = NAN;
	const char *first_other = NULL;
	json_array_foreach(json_object_get(run, "cells"), i, cell)
	{
		const char *st = compare_cell(cell, runs);
		json_t *r = json_object_get(json_object_get(cell, "vs_latency"), "ratio");
		n++;
		if (json_is_number(r)) {
			double x = json_number_value(r);
			if (!isfinite(worst) || fabs(x - 1) > fabs(worst - 1))
				worst = x;
		}
		if (!strcmp(st, "agree"))
			agree++, judged++;
		else if (!strcmp(st, "disagree"))
			disagree++, judged++;
		else if (!first_other)
			first_other = json_string_value(
			    json_object_get(json_object_get(cell, "vs_latency"), "reason"));
	}
	const char *status = disagree				     ? "disagree"
			     : judged && agree == n		     ? "agree"
			     : nb_timing_emulated && isfinite(worst) ? "not_judged"
			     : judged				     ? "partial"
								     : "not_compared";
	json_t *o = json_pack("{s:s,s:i,s:i,s:i,s:f}", "status", status, "cells", n, "agree", agree,
			      "disagree", disagree, "tolerance", AGREE_TOL);
	json_object_set_new(o, "worst_ratio", isfinite(worst) ? json_real(worst) : json_null());
	if (first_other && strcmp(status, "agree"))
		json_object_set_new(o, "reason", json_string(first_other));
	json_object_set_new(run, "vs_latency", o);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	if (p->v[P_DELAY].nlist > 23) {
		snprintf(err, len, "loaded.delay=%s: more than 23 delays (valid: up to 23)",
			 p->v[P_DELAY].text);
		return -1;
	}
	const struct nb_param_val *inj = &p->v[P_INJECTORS];
	for (int i = 0; i < inj->nlist; i++) {
		bool found = false;
		for (int j = 0; j < ctx->ncpus; j++)
			found |= ctx->cpus[j] == (int)inj->list[i];
		if (!found) {
			snprintf(err, len,
				 "loaded.injectors=%s: cpu %llu is not a cpu of this run (valid: "
				 "cpus of --cpus and the cgroup)",
				 p->v[P_INJECTORS].text, (unsigned long long)inj->list[i]);
			return -1;
		}
	}
	/* What each cell uses (its chase buffer and its injectors' buffers on the memory node),
	 * against that node's memory: not the run's worst case on every node. */
	json_t *pl = plan(ctx, p);
	size_t i;
	json_t *c;
	int rc = 0;
	json_array_foreach(json_object_get(pl, "cells"), i, c)
	{
		int y = (int)json_integer_value(json_object_get(c, "mem_node"));
		uint64_t need = (uint64_t)json_integer_value(json_object_get(c, "bytes"));
		uint64_t cap = nb_ctx_mem_cap(ctx, y);
		if (!rc && cap && need > cap) {
			char a[32], b[32];
			nb_fmt_size(need, a, sizeof(a));
			nb_fmt_size(cap, b, sizeof(b));
			snprintf(
			    err, len,
			    "loaded.size + injectors x loaded.inj_size = %s on node %d (cpu node "
			    "%lld) is more than the %s it can give; valid: a smaller "
			    "loaded.inj_size or loaded.size, or fewer loaded.injectors",
			    a, y, (long long)json_integer_value(json_object_get(c, "cpu_node")), b);
			rc = -1;
		}
	}
	json_decref(pl);
	return rc;
}

/* What names a cell: compare pairs cells by these (written as each run's "identity"). */
static const char *const identity[] = {"cpu_node", "mem_node", "mix", "size_bytes",
				       "stride",   "pages",    NULL};

const struct nb_bench nb_bench_loaded = {
    .abi = NB_BENCH_ABI,
    .identity = identity,
    .headline = &headline_rule,
    .name = "loaded",
    .summary = "loaded latency: pointer chase under injected read/write traffic, latency vs "
	       "bandwidth curve per node pair and mix",
    .params = params,
    .nparams = P_COUNT,
    .run = run,
    .validate = validate,
    .compare = compare,
    .plan = plan,
};
