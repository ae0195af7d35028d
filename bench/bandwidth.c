/* numabench bench `bandwidth`: sustained bandwidth matrix (CPU node x memory node) for the
 * stream kernels, over thread counts. Each thread owns a slice of the arrays and is its
 * first toucher; the timed region runs from one barrier to the next, so a sample is the
 * time the slowest thread needed. */
#include "bench.h"
#include "cells.h"
#include "crosscheck.h"
#include "kernels.h"
#include "place.h"
#include "stats.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct nb_param_def params[] = {
    {"size", NB_P_SIZE, "bytes", "768M", 3 * 65536, 64.0 * (1ull << 30), NULL,
     "working set of all arrays together (each kernel splits it over its arrays)"},
    {"threads", NB_P_SIZES, "threads", "", 1, NB_MAX_CPUS, NULL,
     "thread counts to run, e.g. 1,2,4 (default: 1 and all cpus of the node)"},
    {"kernel", NB_P_ENUMS, "", "read,write,ntwrite,copy,triad", 0, 0,
     "read|write|ntwrite|copy|triad", "stream kernels"},
    {"cv_max", NB_P_DOUBLE, "ratio", "0.10", 0, 1, NULL,
     "a cell whose samples vary more than this is untrustworthy"},
    {NULL, 0, NULL, NULL, 0, 0, NULL, NULL},
};

struct team;

struct worker {
	struct team *t;
	pthread_t th;
	int cpu;
	double *arr[3];
	size_t n; /* elements per array in this slice */
	int err;
};

struct team {
	const struct nb_stream_kernel *k;
	struct worker w[NB_MAX_CPUS];
	int nthreads;
	pthread_barrier_t start, end;
	volatile int stop;
	double *base[3];
	size_t per_array; /* bytes per array, multiple of 64 * nthreads */
};

static void *worker_main(void *v)
{
	struct worker *w = v;
	struct team *t = w->t;
	if (nb_pin_self(&w->cpu, 1))
		w->err = errno ? errno : EINVAL;
	/* First touch by the owner thread: the slice lands where the policy says, and the
	 * page tables are populated before timing. */
	for (int a = 0; a < t->k->arrays && !w->err; a++)
		for (size_t i = 0; i < w->n; i++)
			w->arr[a][i] = 1.0 + a;
	for (;;) {
		pthread_barrier_wait(&t->start);
		if (t->stop)
			break;
		if (!w->err)
			t->k->fn(w->arr[0], w->arr[1], w->arr[2], w->n, 3.0);
		pthread_barrier_wait(&t->end);
	}
	return NULL;
}

static double one_sample(void *v)
{
	struct team *t = v;
	pthread_barrier_wait(&t->start);
	uint64_t t0 = nb_now_ns();
	pthread_barrier_wait(&t->end);
	uint64_t t1 = nb_now_ns();
	double bytes = (double)t->k->bytes * (double)(t->per_array / sizeof(double));
	return bytes / (double)(t1 - t0); /* bytes per ns = GB/s */
}

struct cell_key {
	int cpu_node, mem_node, threads;
	const struct nb_stream_kernel *k;
};

static int team_start(struct team *t, struct nb_buf *bufs, const int *cpus)
{
	size_t slice = t->per_array / (size_t)t->nthreads;
	pthread_barrier_init(&t->start, NULL, (unsigned)t->nthreads + 1);
	pthread_barrier_init(&t->end, NULL, (unsigned)t->nthreads + 1);
	for (int a = 0; a < t->k->arrays; a++)
		t->base[a] = bufs[a].p;
	for (int i = 0; i < t->nthreads; i++) {
		struct worker *w = &t->w[i];
		w->t = t;
		w->cpu = cpus[i];
		w->n = slice / sizeof(double);
		for (int a = 0; a < 3; a++)
			w->arr[a] =
			    a < t->k->arrays ? (double *)((char *)t->base[a] + slice * i) : NULL;
		if (pthread_create(&w->th, NULL, worker_main, w))
			return -1; /* cannot happen with sane limits; barrier would hang: abort */
	}
	return 0;
}

static void team_stop(struct team *t)
{
	t->stop = 1;
	pthread_barrier_wait(&t->start);
	for (int i = 0; i < t->nthreads; i++)
		pthread_join(t->w[i].th, NULL);
	pthread_barrier_destroy(&t->start);
	pthread_barrier_destroy(&t->end);
}

static enum nb_status verify(struct nb_buf *bufs, int arrays, int node, json_t *cell)
{
	struct nb_placement pl, sum;
	memset(&sum, 0, sizeof(sum));
	for (int a = 0; a < arrays; a++) {
		if (nb_placement_query(bufs[a].p, bufs[a].len, node, &pl)) {
			nb_run_reason(cell, "placement could not be verified: %s", strerror(errno));
			return NB_UNTRUSTWORTHY;
		}
		sum.pages_total += pl.pages_total;
		sum.pages_sampled += pl.pages_sampled;
		sum.not_present += pl.not_present;
		for (int n = 0; n < NB_MAX_NODES; n++)
			sum.per_node[n] += pl.per_node[n];
	}
	sum.on_intended = sum.pages_sampled ? (double)sum.per_node[node] / sum.pages_sampled : 0;
	return nb_cell_placement(cell, &sum, node, NB_OK);
}

static enum nb_status run_cell(struct nb_ctx *ctx, const struct nb_params *p, struct cell_key c,
			       json_t *cell)
{
	static struct team t;
	int cpus[NB_MAX_CPUS];
	nb_ctx_node_cpus(ctx, c.cpu_node, cpus);
	struct nb_buf bufs[3];
	memset(&t, 0, sizeof(t));
	t.k = c.k;
	t.nthreads = c.threads;
	size_t align = 64 * sizeof(double) * (size_t)c.threads;
	t.per_array = nb_param_u64(p, "size") / (size_t)c.k->arrays / align * align;
	for (int a = 0; a < c.k->arrays; a++) {
		if (nb_buf_alloc(&bufs[a], t.per_array, NB_BIND, c.mem_node, NB_PAGES_4K)) {
			nb_run_reason(cell, "cannot allocate on node %d: %s", c.mem_node,
				      strerror(errno));
			while (a--)
				nb_buf_free(&bufs[a]);
			return NB_FAILED;
		}
	}
	/* Opened before the workers exist so they inherit the counters. */
	struct nb_counters *cc = nb_crosscheck_begin(ctx);
	team_start(&t, bufs, cpus);
	one_sample(&t); /* warm-up pass */
	double s[64];
	int minr = ctx->repeat ? ctx->repeat : ctx->quick ? 3 : 5;
	int maxr = ctx->repeat ? ctx->repeat : ctx->quick ? 8 : 30;
	int n = nb_repeat_until(one_sample, &t, s, minr, maxr, 0.01);
	team_stop(&t);
	/* Declared traffic of the timed passes and the warm-up pass, plus the first touch
	 * (a store with its write-allocate read: 16 B per element of every array). */
	double elems = (double)(t.per_array / sizeof(double));
	double declared = (n + 1) * c.k->traffic * elems + 16.0 * c.k->arrays * elems;
	json_object_set_new(cell, "crosscheck",
			    nb_crosscheck_end(cc, c.cpu_node != c.mem_node, declared));
	enum nb_status st = NB_OK;
	for (int i = 0; i < c.threads; i++)
		if (t.w[i].err) {
			nb_run_reason(cell, "thread could not be pinned to cpu %d: %s", t.w[i].cpu,
				      strerror(t.w[i].err));
			st = NB_FAILED;
		}
	if (st == NB_OK)
		st = verify(bufs, c.k->arrays, c.mem_node, cell);
	double traffic[64];
	for (int i = 0; i < n; i++)
		traffic[i] = s[i] * c.k->traffic / c.k->bytes;
	json_t *bw = nb_metric("GB/s", "higher", s, n);
	json_object_set_new(cell, "metrics",
			    json_pack("{s:o,s:o}", "bandwidth_gbs", bw, "traffic_gbs",
				      nb_metric("GB/s", "higher", traffic, n)));
	json_object_set_new(cell, "bytes_per_element", json_integer(c.k->bytes));
	json_object_set_new(cell, "traffic_per_element", json_integer(c.k->traffic));
	json_object_set_new(cell, "bytes_per_array", json_integer((json_int_t)t.per_array));
	double cv = json_real_value(json_object_get(bw, "cv"));
	if (st == NB_OK && cv > nb_param_double(p, "cv_max")) {
		nb_run_reason(cell, "samples vary too much (CV %.1f%%)", 100 * cv);
		st = NB_UNTRUSTWORTHY;
	}
	for (int a = 0; a < c.k->arrays; a++)
		nb_buf_free(&bufs[a]);
	return st;
}

static int thread_counts(const struct nb_params *p, int ncpus, int *out)
{
	const struct nb_param_val *v = nb_param(p, "threads");
	int n = 0;
	if (v->nlist == 0) {
		out[n++] = 1;
		if (ncpus > 1)
			out[n++] = ncpus;
		return n;
	}
	for (int i = 0; i < v->nlist; i++)
		out[n++] = (int)v->list[i];
	return n;
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(ctx, cn);
	int nmn = nb_ctx_mem_nodes(ctx, mn);
	const struct nb_param_val *kernels = nb_param(p, "kernel");
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	for (int k = 0; k < kernels->nlist; k++)
		for (int i = 0; i < ncn; i++) {
			int cpus[NB_MAX_CPUS], tc[NB_MAX_CPUS];
			int ncpu = nb_ctx_node_cpus(ctx, cn[i], cpus),
			    ntc = thread_counts(p, ncpu, tc);
			for (int x = 0; x < ntc; x++)
				for (int j = 0; j < nmn && !nb_interrupted; j++) {
					struct cell_key c = {cn[i], mn[j], tc[x],
							     &nb_stream_kernels[kernels->list[k]]};
					json_t *cell = json_pack(
					    "{s:i,s:i,s:i,s:s}", "cpu_node", c.cpu_node, "mem_node",
					    c.mem_node, "threads", c.threads, "kernel", c.k->name);
					enum nb_status st;
					nb_progress(
					    "bandwidth: %s, %d thread(s), cpu node %d -> mem "
					    "node %d",
					    c.k->name, c.threads, c.cpu_node, c.mem_node);
					if (c.threads > ncpu) {
						nb_run_reason(
						    cell,
						    "%d threads but node %d has %d usable "
						    "cpus (one thread per cpu)",
						    c.threads, c.cpu_node, ncpu);
						st = NB_SKIPPED;
					} else {
						st = run_cell(ctx, p, c, cell);
					}
					nb_cells_add(&cl, cell, st);
				}
		}
	nb_run_headline(run, "bandwidth_gbs", "local read, most threads:", nb_cell_local_with,
			"kernel=read");
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	return nb_ctx_check_mem(ctx, nb_param_u64(p, "size"), "bandwidth.size", err, len);
}

const struct nb_bench nb_bench_bandwidth = {
    .abi = NB_BENCH_ABI,
    .name = "bandwidth",
    .summary = "bandwidth matrix (cpu node x memory node): read, write, ntwrite, copy, triad",
    .params = params,
    .run = run,
    .validate = validate,
};
