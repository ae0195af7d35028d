/* numabench bench `bandwidth`: sustained bandwidth matrix (CPU node x memory node) for the
 * stream kernels, over thread counts. Each thread owns a slice of the arrays and is its
 * first toucher. Every worker timestamps its own kernel, after the start gate and before it
 * reports done; a sample is max(end) - min(start) over the workers, so it covers all the work
 * and nothing but the work. The workers spin at the gate (a generation counter), never sleep
 * on a barrier: waking 100+ sleeping threads one after another cost tens of µs a sample. Worker 0
 * drives the repetitions itself: no extra timing thread competes with the workers for a cpu (one
 * that did was woken late from the start barrier when every cpu of the node ran a worker, and
 * reported impossible bandwidths). */
#include "bench.h"
#include "cells.h"
#include "classes.h"
#include "order.h"
#include "crosscheck.h"
#include "kernels.h"
#include "place.h"
#include "plan.h"
#include "stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { P_SIZE, P_THREADS, P_KERNEL, P_MIX, P_CI_MAX, P_PAIRS, P_COUNT };
/* Words of `threads`: a count the node's shape gives. */
enum { THREADS_CORES, THREADS_PUS };
static const struct nb_choice thread_words[] = {
    {"cores", THREADS_CORES, "one thread per core of the node"},
    {"pus", THREADS_PUS, "one thread per hardware thread of the node"},
    {NULL, 0, NULL},
};

static const struct nb_param_def params[] = {
    [P_SIZE] =
	{"size", NB_P_SIZE, "bytes", "dram", 3 * 65536, 64.0 * (1ull << 30), nb_choices_dram,
	 "working set of all arrays together (each kernel splits it over its arrays); dram: each "
	 "array >= 4x the last-level cache of the cell's nodes, at least 256M in all"},
    [P_THREADS] =
	{"threads", NB_P_INTS, "threads", "1,cores", 1, NB_CPU_PARAM_MAX, thread_words,
	 "thread counts, e.g. 1,2,4, or cores (one per core of the node) or pus (one per hardware "
	 "thread): counts up to the cores take one PU per core, spread evenly over the node's "
	 "last-level caches"},
    [P_KERNEL] = {"kernel", NB_P_ENUMS, "", "read,write,ntwrite,copy,triad", 0, 0, NULL,
		  "stream kernels", 0, NULL, NB_CHOICES_OF(nb_stream_kernels, NB_K_COUNT)},
    [P_MIX] =
	{"mix", NB_P_ENUMS, "", "", 0, 0, NULL,
	 "read/write mixes to run besides the kernels (MLC traffic types): all reads, 3:1, 2:1, "
	 "1:1 reads:writes, non-temporal writes (default: none)",
	 0, NULL, NB_CHOICES_OF(nb_mixes, NB_MIX_COUNT)},
    [P_CI_MAX] = NB_PARAM_CI_MAX("0.05"),
    [P_PAIRS] = NB_PARAM_PAIRS,
    [P_COUNT] = NB_PARAMS_END,
};

/* The mixes as stream kernels: one array, 64 B per line as the program sees it, the traffic
 * of the mix (a temporal write adds its write-allocate read). */
#define MIX_FN(k)                                                                                  \
	static double mix_##k(double *a, const double *b, const double *c, size_t n, double s)     \
	{                                                                                          \
		(void)b, (void)c, (void)s;                                                         \
		return nb_mix_run(a, n / 8, &nb_mixes[k], 0);                                      \
	}
MIX_FN(NB_MIX_READ)
MIX_FN(NB_MIX_R3W1)
MIX_FN(NB_MIX_R2W1)
MIX_FN(NB_MIX_R1W1)
MIX_FN(NB_MIX_NTWRITE)
static struct nb_stream_kernel mix_kernels[NB_MIX_COUNT] = {
    [NB_MIX_READ] = {"read", 8, 8, 0, 1, mix_NB_MIX_READ},
    [NB_MIX_R3W1] = {"r3w1", 8, 10, 0, 1, mix_NB_MIX_R3W1},
    [NB_MIX_R2W1] = {"r2w1", 8, 11, 0, 1, mix_NB_MIX_R2W1}, /* 10.67: see traffic_of */
    [NB_MIX_R1W1] = {"r1w1", 8, 12, 0, 1, mix_NB_MIX_R1W1},
    [NB_MIX_NTWRITE] = {"ntwrite", 8, 8, 0, 1, mix_NB_MIX_NTWRITE},
};

/* Traffic per element as the memory system sees it (a mix's may be fractional). */
static double traffic_of(const struct nb_stream_kernel *k)
{
	if (k >= mix_kernels && k < mix_kernels + NB_MIX_COUNT)
		return nb_mix_traffic_per_line(&nb_mixes[k - mix_kernels]) / 8;
	return k->traffic;
}

static bool is_mix(const struct nb_stream_kernel *k)
{
	return k >= mix_kernels && k < mix_kernels + NB_MIX_COUNT;
}

struct team;

struct worker {
	struct team *t;
	pthread_t th;
	int cpu;
	double *arr[3];
	size_t n; /* elements per array in this slice */
	int err;
	uint64_t t0, t1; /* this worker's kernel in the current sample */
};

struct team {
	const struct nb_stream_kernel *k;
	struct worker *w; /* nthreads of them */
	int nthreads;
	unsigned gate;	 /* start gate: a generation the driver bumps; workers spin on it */
	int done, ready; /* workers done with the current sample / past their first touch */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int go; /* 0 wait, 1 all threads exist: run, -1 one could not be created: exit */
	volatile int stop;
	double *base[3];
	size_t per_array; /* bytes per array, multiple of 64 * nthreads */
	/* Fresh allocations (stats.h refresh): the arrays, re-allocated every BW_REFRESH_EVERY
	 * samples and first-touched again by their owners (a gate round with `touch` set); each
	 * allocation's placement is added up before it is freed. */
	struct nb_buf *bufs;
	int mem_node, allocations, refresh_err, pl_err;
	volatile int touch;
	struct nb_placement pl;
	struct nb_rule rule;
	double s[64];	      /* GB/s per sample */
	double skew_us[64];   /* start skew: max(start) - min(start) per sample */
	double dur_us[64];    /* the sample's duration: max(end) - min(start) */
	double imbalance[64]; /* slowest / fastest worker's kernel time per sample - 1 */
	int n;
};

static void cpu_relax(void)
{
#if defined(__x86_64__)
	__asm__ volatile("pause" ::: "memory");
#else
	__asm__ volatile("" ::: "memory");
#endif
}

/* A sample whose start skew exceeds this share of its duration started late; above
 * SKEW_LATE_MAX of such samples the cell is untrustworthy. */
#define SKEW_LATE 0.01
#define SKEW_LATE_MAX 0.2

/* One pass of every worker; called by worker 0 only. */
static double one_sample(void *v)
{
	struct team *t = v;
	struct worker *w0 = &t->w[0];
	__atomic_store_n(&t->done, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->gate, 1, __ATOMIC_RELEASE);
	w0->t0 = nb_now_ns();
	if (!w0->err)
		t->k->fn(w0->arr[0], w0->arr[1], w0->arr[2], w0->n, 3.0);
	w0->t1 = nb_now_ns();
	while (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) < t->nthreads - 1)
		cpu_relax();
	uint64_t lo = w0->t0, hi = w0->t1, last_start = w0->t0;
	double dmin = (double)(w0->t1 - w0->t0), dmax = dmin;
	for (int i = 1; i < t->nthreads; i++) {
		const struct worker *w = &t->w[i];
		lo = w->t0 < lo ? w->t0 : lo;
		hi = w->t1 > hi ? w->t1 : hi;
		last_start = w->t0 > last_start ? w->t0 : last_start;
		double d = (double)(w->t1 - w->t0);
		dmin = d < dmin ? d : dmin;
		dmax = d > dmax ? d : dmax;
	}
	if (t->n < 64) {
		t->skew_us[t->n] = (double)(last_start - lo) / 1e3;
		t->dur_us[t->n] = (double)(hi - lo) / 1e3;
		t->imbalance[t->n] = dmin > 0 ? dmax / dmin - 1 : 0;
	}
	t->n++;
	double bytes = (double)t->k->bytes * (double)(t->per_array / sizeof(double));
	return bytes / (double)(hi - lo); /* bytes per ns = GB/s */
}

/* Samples per allocation: a first touch costs about ten passes of a stream kernel (4 KiB
 * faults at ~2 GB/s against 15-30 GB/s a pass), so a fresh allocation every 4 samples as
 * latency's doubled quick's bandwidth time (31 to 38 s of its 60 s) and starved the benches
 * after it; every 8, quick (6 samples) keeps one allocation and a full cell of 16-30 samples
 * gets 2-4. */
#define BW_REFRESH_EVERY 8

/* The owner's first touch of its slice of every array. */
static void first_touch(struct worker *w)
{
	for (int a = 0; a < w->t->k->arrays && !w->err; a++)
		for (size_t i = 0; i < w->n; i++)
			w->arr[a][i] = 1.0 + a;
}

static void placement_add(struct team *t)
{
	for (int a = 0; a < t->k->arrays && !t->pl_err; a++)
		if (nb_placement_add(t->bufs[a].p, t->bufs[a].len, t->mem_node, &t->pl))
			t->pl_err = errno ? errno : EIO;
}

/* The rule's fresh allocation, run by the driver between samples while the other workers
 * spin at the gate: the old arrays' placement counted and freed (first, so that a working
 * set sized to the node's free memory fits again), new ones allocated on the same node, and
 * every worker first-touches its slice of them. A failed allocation stops every kernel (no
 * worker touches freed memory), ends the sampling (the cell keeps only the samples taken
 * before it) and fails the cell. */
static int refresh(void *v)
{
	struct team *t = v;
	if (t->refresh_err)
		return -1;
	placement_add(t);
	for (int a = 0; a < t->k->arrays; a++)
		nb_buf_free(&t->bufs[a]);
	for (int a = 0; a < t->k->arrays; a++)
		if (nb_buf_alloc(&t->bufs[a], t->per_array, NB_BIND, t->mem_node, NB_PAGES_4K)) {
			t->refresh_err = errno ? errno : ENOMEM;
			for (int i = 0; i < t->nthreads; i++)
				t->w[i].err = t->refresh_err;
			while (a--)
				nb_buf_free(&t->bufs[a]);
			return -1;
		}
	size_t slice = t->per_array / (size_t)t->nthreads;
	for (int i = 0; i < t->nthreads; i++)
		for (int a = 0; a < t->k->arrays; a++)
			t->w[i].arr[a] = (double *)((char *)t->bufs[a].p + slice * i);
	t->allocations++;
	t->touch = 1;
	__atomic_store_n(&t->done, 0, __ATOMIC_RELAXED);
	__atomic_add_fetch(&t->gate, 1, __ATOMIC_RELEASE);
	first_touch(&t->w[0]);
	while (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) < t->nthreads - 1)
		cpu_relax();
	t->touch = 0;
	return 0;
}

static void *worker_main(void *v)
{
	struct worker *w = v;
	struct team *t = w->t;
	pthread_mutex_lock(&t->lock);
	while (!t->go)
		pthread_cond_wait(&t->cond, &t->lock);
	int go = t->go;
	pthread_mutex_unlock(&t->lock);
	if (go < 0)
		return NULL;
	if (nb_pin_self(&w->cpu, 1))
		w->err = errno ? errno : EINVAL;
	/* First touch by the owner thread: the slice lands where the policy says, and the
	 * page tables are populated before timing. */
	first_touch(w);
	if (w == &t->w[0]) {
		/* The driver: once every worker is at the gate, a warm-up pass, the samples,
		 * then release the others. */
		while (__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE) < t->nthreads - 1)
			cpu_relax();
		one_sample(t);
		t->n = 0;
		int n = nb_rule_sample(&t->rule, one_sample, t, t->s);
		t->n = n;
		t->stop = 1;
		__atomic_add_fetch(&t->gate, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	unsigned seen = 0;
	__atomic_add_fetch(&t->ready, 1, __ATOMIC_RELEASE);
	for (;;) {
		unsigned g;
		while ((g = __atomic_load_n(&t->gate, __ATOMIC_ACQUIRE)) == seen)
			cpu_relax();
		seen = g;
		if (t->stop)
			break;
		if (t->touch) {
			first_touch(w);
			__atomic_add_fetch(&t->done, 1, __ATOMIC_RELEASE);
			continue;
		}
		w->t0 = nb_now_ns();
		if (!w->err)
			t->k->fn(w->arr[0], w->arr[1], w->arr[2], w->n, 3.0);
		w->t1 = nb_now_ns();
		__atomic_add_fetch(&t->done, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

struct cell_key {
	int cpu_node, mem_node, threads;
	const struct nb_stream_kernel *k;
};

/* Start the workers; they run the whole measurement. Returns 0 once all have finished, or
 * -1 (errno) when a thread could not be created (the ones created exit without running). */
static int team_run(struct team *t, struct nb_buf *bufs, const int *cpus)
{
	size_t slice = t->per_array / (size_t)t->nthreads;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	for (int a = 0; a < t->k->arrays; a++)
		t->base[a] = bufs[a].p;
	int started = 0, rc = 0;
	for (int i = 0; i < t->nthreads; i++) {
		struct worker *w = &t->w[i];
		w->t = t;
		w->cpu = cpus[i];
		w->n = slice / sizeof(double);
		for (int a = 0; a < 3; a++)
			w->arr[a] =
			    a < t->k->arrays ? (double *)((char *)t->base[a] + slice * i) : NULL;
		if ((rc = pthread_create(&w->th, NULL, worker_main, w)) != 0)
			break;
		started++;
	}
	pthread_mutex_lock(&t->lock);
	t->go = rc ? -1 : 1;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	for (int i = 0; i < started; i++)
		pthread_join(t->w[i].th, NULL);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	errno = rc;
	return rc ? -1 : 0;
}

static enum nb_status verify(struct team *t, json_t *cell)
{
	placement_add(t);
	if (t->pl_err) {
		nb_run_reason(cell, "placement could not be verified: %s", strerror(t->pl_err));
		return NB_UNTRUSTWORTHY;
	}
	nb_placement_end(&t->pl, t->mem_node);
	return nb_cell_placement(cell, &t->pl, t->mem_node, NB_OK);
}

static enum nb_status run_cell(struct nb_ctx *ctx, const struct nb_params *p, struct cell_key c,
			       json_t *cell)
{
	static struct team t;
	int ncpus, *cpus = nb_plan_cpus_new(cell, "worker", &ncpus);
	struct nb_buf bufs[3];
	memset(&t, 0, sizeof(t));
	t.k = c.k;
	t.nthreads = c.threads;
	size_t align = 64 * sizeof(double) * (size_t)c.threads;
	t.per_array = (size_t)json_integer_value(json_object_get(cell, "bytes")) /
		      (size_t)c.k->arrays / align * align;
	for (int a = 0; a < c.k->arrays; a++) {
		if (nb_buf_alloc(&bufs[a], t.per_array, NB_BIND, c.mem_node, NB_PAGES_4K)) {
			nb_run_reason(cell, "cannot allocate on node %d: %s", c.mem_node,
				      strerror(errno));
			while (a--)
				nb_buf_free(&bufs[a]);
			free(cpus);
			return NB_FAILED;
		}
	}
	t.w = nb_xcalloc((size_t)c.threads, sizeof(*t.w));
	t.bufs = bufs;
	t.mem_node = c.mem_node;
	t.allocations = 1;
	/* Opened before the workers exist so they inherit the counters. */
	struct nb_counters *cc = nb_crosscheck_begin(ctx);
	nb_rule_for(&t.rule, ctx, p);
	t.rule.refresh = refresh;
	t.rule.refresh_every = BW_REFRESH_EVERY;
	if (nb_class_is_check(cell))
		nb_class_rule(ctx, &t.rule);
	if (team_run(&t, bufs, cpus)) {
		nb_run_reason(cell, "cannot start %d threads: %s", c.threads, strerror(errno));
		json_decref(nb_crosscheck_end(cc, false, 0));
		for (int a = 0; a < c.k->arrays; a++)
			nb_buf_free(&bufs[a]);
		free(cpus);
		free(t.w);
		t.w = NULL;
		return NB_FAILED;
	}
	int n = t.n;
	double *s = t.s;
	/* Declared traffic of the timed passes and the warm-up pass, plus the first touch
	 * (a store with its write-allocate read: 16 B per element of every array). */
	double elems = (double)(t.per_array / sizeof(double));
	double declared =
	    (n + 1) * traffic_of(c.k) * elems + 16.0 * c.k->arrays * elems * t.allocations;
	json_object_set_new(cell, "crosscheck",
			    nb_crosscheck_end(cc, c.cpu_node != c.mem_node, declared));
	enum nb_status st = NB_OK;
	json_object_set_new(cell, "allocations", json_integer(t.allocations));
	if (t.refresh_err) {
		nb_run_reason(cell, "a fresh allocation on node %d failed after %d: %s", c.mem_node,
			      t.allocations, strerror(t.refresh_err));
		st = NB_FAILED;
	}
	for (int i = 0; i < c.threads && st == NB_OK; i++)
		if (t.w[i].err) {
			nb_run_reason(cell, "thread could not be pinned to cpu %d: %s", t.w[i].cpu,
				      strerror(t.w[i].err));
			st = NB_FAILED;
		}
	if (st == NB_OK)
		st = verify(&t, cell);
	double traffic[64];
	for (int i = 0; i < n; i++)
		traffic[i] = s[i] * traffic_of(c.k) / c.k->bytes;
	json_t *bw = nb_metric("GB/s", "higher", s, n);
	json_object_set_new(cell, "metrics",
			    json_pack("{s:o,s:o}", "bandwidth_gbs", bw, "traffic_gbs",
				      nb_metric("GB/s", "higher", traffic, n)));
	json_object_set_new(cell, "bytes_per_element", json_integer(c.k->bytes));
	if (!is_mix(c.k))
		json_object_set_new(cell, "vector", json_string(nb_stream_vector()));
	json_object_set_new(cell, "traffic_per_element", json_real(traffic_of(c.k)));
	json_object_set_new(cell, "bytes_per_array", json_integer((json_int_t)t.per_array));
	/* How evenly the workers ran: the start skew (the last worker's start after the first)
	 * and the slowest worker's kernel time over the fastest's, medians over the samples. */
	struct nb_summary sk, im;
	nb_summarize(t.skew_us, n < 64 ? n : 64, &sk);
	nb_summarize(t.imbalance, n < 64 ? n : 64, &im);
	int late = 0, ns = n < 64 ? n : 64;
	for (int i = 0; i < ns; i++)
		late += t.skew_us[i] > SKEW_LATE * t.dur_us[i];
	double late_share = ns ? (double)late / ns : 0;
	json_object_set_new(cell, "thread_skew",
			    json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "start_us_median",
				      n ? sk.median : 0.0, "start_us_max", n ? sk.max : 0.0,
				      "duration_ratio_median", n ? 1 + im.median : 1.0,
				      "late_share", late_share, "late_above", SKEW_LATE,
				      "late_share_max", SKEW_LATE_MAX));
	st = nb_cell_spread(cell, &t.rule, s, n, st);
	if (st == NB_OK && c.threads > 1 && late_share > SKEW_LATE_MAX && !nb_timing_emulated) {
		nb_run_reason(cell,
			      "%d of %d samples started late (start skew > %.0f%% of the sample's "
			      "duration; at most %.0f%% may)",
			      late, ns, 100 * SKEW_LATE, 100 * SKEW_LATE_MAX);
		st = NB_UNTRUSTWORTHY;
	}
	st = nb_wset_judge(cell, st);
	if (!t.refresh_err)
		for (int a = 0; a < c.k->arrays; a++)
			nb_buf_free(&bufs[a]);
	free(cpus);
	free(t.w);
	t.w = NULL;
	return st;
}

/* Cost model: the warm-up pass and the rule's minimum samples, each moving the kernel's
 * traffic at 10 GB/s a thread (at most 100 GB/s), plus the first touch at 2 GB/s of each of
 * the rule's allocations (a fresh one every BW_REFRESH_EVERY samples). */
static double cell_cost(int samples, const struct nb_stream_kernel *k, uint64_t bytes, int threads)
{
	double gbs = threads * 10.0 < 100 ? threads * 10.0 : 100;
	double pass = (double)bytes / k->bytes * traffic_of(k) / (gbs * 1e9);
	int allocs = 1 + (samples - 1) / BW_REFRESH_EVERY; /* the rule's fresh allocations */
	return (samples + 1) * pass + allocs * (double)bytes / 2e9;
}

static int plan_threads(const struct nb_params *p, int ncores, int npus, int *out)
{
	const struct nb_param_val *v = &p->v[P_THREADS];
	int n = 0;
	for (int i = 0; i < v->nlist; i++) {
		int w = nb_param_word(v->list[i]);
		out[n++] = w == THREADS_CORES ? ncores : w == THREADS_PUS ? npus : (int)v->list[i];
	}
	return n;
}

/* A cell's point: a check cell's representative is the same point at the representative's
 * pair; the cells are measured coarse to fine over (point, pair class) (harness/order.h). */
static const char *const class_keys[] = {"kernel", "mix", "threads", NULL};

/* Cells: kernel x cpu node x thread count x memory node; the workers one per core first,
 * spread over the node's LLC domains (nb_place_spread), then the other PUs of each core. */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(ctx, cn);
	int nmn = nb_ctx_mem_nodes(ctx, mn);
	const struct nb_param_val *kernels = &p->v[P_KERNEL], *mixes = &p->v[P_MIX];
	const struct nb_stream_kernel *ks[NB_K_COUNT + NB_MIX_COUNT];
	int nks = 0;
	for (int k = 0; k < kernels->nlist; k++)
		ks[nks++] = &nb_stream_kernels[kernels->list[k]];
	for (int k = 0; k < mixes->nlist; k++)
		ks[nks++] = &mix_kernels[mixes->list[k]];
	json_t *pl = nb_plan_new();
	struct nb_pair_classes *pc = malloc(sizeof(*pc));
	nb_pair_classes_ctx(ctx, pc);
	int mode = nb_class_mode(p, pc);
	for (int k = 0; k < nks; k++) {
		struct nb_wset w;
		nb_wset_for(ctx, p->v[P_SIZE].u, ks[k]->arrays, 256ull << 20, &w);
		for (int i = 0; i < ncn; i++) {
			int *cpus = nb_ctx_cpu_list(ctx), *order = nb_ctx_cpu_list(ctx);
			int *tc = nb_xcalloc((size_t)p->v[P_THREADS].nlist, sizeof(int));
			int ncpu = nb_ctx_node_cpus(ctx, cn[i], cpus);
			int ncores = nb_place_spread(ctx->topo, cpus, ncpu, true, order);
			nb_place_spread(ctx->topo, cpus, ncpu, false, order);
			int ntc = plan_threads(p, ncores, ncpu, tc), xcheck = -1;
			for (int x = 0; x < ntc;
			     x++) /* the most threads planned: the check point */
				if (tc[x] <= ncpu && !(x && tc[x] == tc[x - 1]))
					xcheck = x;
			for (int x = 0; x < ntc; x++) {
				if (x && tc[x] == tc[x - 1])
					continue; /* "1,cores" on a one-core node */
				for (int j = 0; j < nmn; j++) {
					const struct nb_stream_kernel *kk = ks[k];
					json_t *cell =
					    json_pack("{s:i,s:i,s:i,s:s}", "cpu_node", cn[i],
						      "mem_node", mn[j], "threads", tc[x], "kernel",
						      is_mix(kk) ? "mix" : kk->name);
					if (is_mix(kk))
						json_object_set_new(cell, "mix",
								    json_string(kk->name));
					size_t align = 64 * sizeof(double) * (size_t)tc[x];
					uint64_t per =
					    w.bytes / (uint64_t)kk->arrays / align * align;
					uint64_t bytes = per * (uint64_t)kk->arrays;
					json_object_set_new(cell, "bytes",
							    json_integer((json_int_t)bytes));
					if (tc[x] > ncpu) {
						json_object_set_new(
						    cell, "skip",
						    json_sprintf(
							"%d threads but node %d has %d usable "
							"cpus (one thread per cpu)",
							tc[x], cn[i], ncpu));
						json_object_set_new(cell, "cpus", json_array());
						nb_plan_add(pl, cell, 0);
						continue;
					}
					for (int t = 0; t < tc[x]; t++)
						nb_plan_cpu(cell, order[t], "worker");
					/* More threads than cores: some share a core's PUs. */
					json_object_set_new(cell, "shares_cores",
							    json_boolean(tc[x] > ncores));
					nb_wset_cell(ctx, &w, cn[i], mn[j], cell);
					/* Other pairs of a class: checked with the first kernel at
					 * the most threads. */
					enum nb_class_role role = nb_class_cell(
					    cell, pc, mode, cn[i], mn[j], k == 0 && x == xcheck);
					if (role == NB_CLASS_COVERED) {
						nb_plan_add(pl, cell, 0);
						continue;
					}
					nb_plan_mem(pl, mn[j], bytes);
					nb_plan_add(pl, cell,
						    cell_cost(role == NB_CLASS_CHECK
								  ? nb_class_samples(ctx)
								  : nb_plan_samples(ctx),
							      kk, bytes, tc[x]));
				}
			}
			free(cpus);
			free(order);
			free(tc);
		}
	}
	free(pc);
	nb_plan_order(ctx, pl, "cpu_node", "mem_node", class_keys);
	return pl;
}

/* run["peak"]: per (cpu node, memory node), at the largest thread count measured there (all
 * cpus of the cpu node by default), each kernel's and mix's median and the best of them. */
static void peak_summary(json_t *run, json_t *cells)
{
	json_t *peak = json_array();
	size_t i, j;
	json_t *c, *c2;
	json_array_foreach(cells, i, c)
	{
		const char *st = json_string_value(json_object_get(c, "status"));
		if (!st || !strcmp(st, "skipped") || !strcmp(st, "failed"))
			continue;
		json_int_t cn = json_integer_value(json_object_get(c, "cpu_node"));
		json_int_t mn = json_integer_value(json_object_get(c, "mem_node"));
		bool seen = false;
		json_t *e;
		json_array_foreach(peak, j, e) seen |=
		    json_integer_value(json_object_get(e, "cpu_node")) == cn &&
		    json_integer_value(json_object_get(e, "mem_node")) == mn;
		if (seen)
			continue;
		json_int_t top = 0;
		json_array_foreach(cells, j, c2)
		{
			const char *s2 = json_string_value(json_object_get(c2, "status"));
			json_int_t t = json_integer_value(json_object_get(c2, "threads"));
			if (s2 && json_object_get(c2, "metrics") &&
			    json_integer_value(json_object_get(c2, "cpu_node")) == cn &&
			    json_integer_value(json_object_get(c2, "mem_node")) == mn && t > top)
				top = t;
		}
		json_t *by = json_object();
		double best = -1;
		const char *best_name = "";
		json_array_foreach(cells, j, c2)
		{
			json_t *m =
			    json_object_get(json_object_get(c2, "metrics"), "bandwidth_gbs");
			if (!m || json_integer_value(json_object_get(c2, "cpu_node")) != cn ||
			    json_integer_value(json_object_get(c2, "mem_node")) != mn ||
			    json_integer_value(json_object_get(c2, "threads")) != top)
				continue;
			const char *name = json_string_value(json_object_get(c2, "mix"));
			char key[32];
			snprintf(key, sizeof(key), "%s%s", name ? "mix:" : "",
				 name ? name : json_string_value(json_object_get(c2, "kernel")));
			double v = json_number_value(json_object_get(m, "median"));
			json_object_set_new(by, key, json_real(v));
			if (v > best) {
				best = v;
				best_name = json_string_value(json_object_get(c2, "kernel"));
				if (name)
					best_name = name;
			}
		}
		json_array_append_new(peak,
				      json_pack("{s:I,s:I,s:I,s:f,s:s,s:o}", "cpu_node", cn,
						"mem_node", mn, "threads", top, "best_gbs", best,
						"best", best_name, "bandwidth_gbs", by));
	}
	json_object_set_new(run, "peak", peak);
}

static const struct nb_stream_kernel *kernel_of(json_t *cell)
{
	const char *k = json_string_value(json_object_get(cell, "kernel"));
	const char *m = json_string_value(json_object_get(cell, "mix"));
	for (int i = 0; m && i < NB_MIX_COUNT; i++)
		if (!strcmp(mix_kernels[i].name, m))
			return &mix_kernels[i];
	for (int i = 0; k && i < NB_K_COUNT; i++)
		if (!strcmp(nb_stream_kernels[i].name, k))
			return &nb_stream_kernels[i];
	return NULL;
}

/* The headline: the read kernel, each pair's most threads. */
static const struct nb_headline_rule headline_rule = {.metric = "bandwidth_gbs",
						      .where = "kernel=read",
						      .largest = "threads",
						      .text = "read, most threads"};

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	struct nb_cells cl;
	json_t *pl = plan(ctx, p), *cells = json_object_get(pl, "cells");
	int *seq = nb_plan_sequence(cells);
	nb_cells_init(&cl, run);
	for (size_t q = 0; q < json_array_size(cells) && !nb_interrupted; q++) {
		size_t i = seq ? (size_t)seq[q] : q;
		json_t *cell = nb_plan_cell_copy(json_array_get(cells, i));
		struct cell_key c = {(int)json_integer_value(json_object_get(cell, "cpu_node")),
				     (int)json_integer_value(json_object_get(cell, "mem_node")),
				     (int)json_integer_value(json_object_get(cell, "threads")),
				     kernel_of(cell)};
		enum nb_status st;
		nb_progress("bandwidth: %s, %d thread(s), cpu node %d -> mem node %d", c.k->name,
			    c.threads, c.cpu_node, c.mem_node);
		json_t *skip = json_object_get(cell, "skip");
		if (skip) {
			nb_run_reason(cell, "%s", json_string_value(skip));
			json_object_del(cell, "skip");
			st = NB_SKIPPED;
		} else if (nb_class_has_role(cell, "covered")) {
			st = nb_class_covered(cell);
		} else {
			st = nb_cell_budget(cell) ? NB_SKIPPED : run_cell(ctx, p, c, cell);
			if (st != NB_SKIPPED && nb_class_is_check(cell))
				nb_class_judge(run, cl.arr, cell, "bandwidth_gbs", class_keys);
		}
		nb_cells_add_at(&cl, cell, st, (int)i);
	}
	free(seq);
	json_decref(pl);
	nb_run_headline_rule(run, &headline_rule);
	peak_summary(run, cl.arr);
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	uint64_t size = p->v[P_SIZE].u;
	const char *vec = getenv("NUMABENCH_VECTOR");
	if (vec && *vec && strcmp(vec, "auto") && strcmp(vec, "avx512") && strcmp(vec, "avx2") &&
	    strcmp(vec, "sse2")) {
		snprintf(err, len, "NUMABENCH_VECTOR=%s: valid are auto, avx512, avx2, sse2", vec);
		return -1;
	}
	return nb_param_word(size) >= 0 ? 0
					: nb_ctx_check_mem(ctx, size, "bandwidth.size", err, len);
}

/* What names a cell: compare pairs cells by these (written as each run's "identity"). */
static const char *const identity[] = {"cpu_node", "mem_node", "threads", "kernel", "mix", NULL};

const struct nb_bench nb_bench_bandwidth = {
    .abi = NB_BENCH_ABI,
    .name = "bandwidth",
    .identity = identity,
    .headline = &headline_rule,
    .summary = "bandwidth matrix (cpu node x memory node): read, write, ntwrite, copy, triad",
    .params = params,
    .nparams = P_COUNT,
    .run = run,
    .validate = validate,
    .plan = plan,
};
