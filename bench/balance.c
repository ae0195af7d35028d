/* numabench bench `balance`: what automatic NUMA balancing does on this kernel, how fast it
 * fixes a bad placement, and what it costs.
 *
 * A workload process (threads pinned on node A, or started there and then free to move)
 * streams over a buffer whose pages were placed on node B. The same workload runs with
 * kernel.numa_balancing set to each requested mode, in one invocation, in interleaved order,
 * repeated. The parent samples at a fixed interval: /proc/vmstat, the buffer's placement from
 * /proc/PID/numa_maps (a page-table walk that never takes a hinting fault, unlike move_pages
 * or get_mempolicy), each workload thread's /proc/PID/task/TID/sched NUMA fields, and the
 * workload's own throughput (a counter in shared memory). A buffer that is already local gives
 * the pure overhead (balancing off vs on); buffers hard-bound local and remote give the
 * baselines. Nothing here assumes what the kernel will do: every figure is measured, and the
 * JSON says when two independent readings of the same thing disagree.
 */
#include "bench.h"
#include "child.h"
#include "counters.h"
#include "kernels.h"
#include "place.h"
#include "sampler.h"
#include "stats.h"
#include "tunables.h"

#include <errno.h>
#include <math.h>
#include <numaif.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 2
#define MAX_THREADS 64
#define MAX_SPECS 40
#define MAX_SAMPLES 20000
#define CHUNK (256u << 10) /* bytes a thread streams between two counter updates */
#define THP_BYTES (2u << 20)
#define CONVERGED 0.90 /* the definition: 90% of the buffer local */
#define SMOOTH 5       /* samples in the running median of the local share */
#define SEC 1000000000ull
#define READY_TIMEOUT_NS (300 * SEC) /* first touch of a large buffer under QEMU TCG */
#define STOP_TIMEOUT_NS (20 * SEC)

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

/* ---- the workload (child side) ------------------------------------------------------- */

enum { WL_WAIT, WL_GO, WL_STOP };
enum { P_INIT, P_READY, P_ERROR };

struct wl_slot {
	_Atomic uint64_t bytes; /* streamed so far: the workload's own throughput counter */
	uint64_t sink;
	char pad[NB_LINE - 16];
};

/* One shared page between the parent and the workload processes. */
struct wl_ctl {
	_Atomic int phase;
	struct {
		_Atomic int state;
		_Atomic int unpin_failed;
		pid_t tids[MAX_THREADS];
		char msg[192];
	} proc[MAX_PROCS];
	uintptr_t slice[MAX_THREADS]; /* thread i's slice in process 0: a VMA of its own */
	size_t slice_len[MAX_THREADS];
	double thp_share;
	struct wl_slot slot[MAX_PROCS * MAX_THREADS] __attribute__((aligned(NB_LINE)));
};

struct wl_cfg {
	struct wl_ctl *ctl;
	size_t size;
	int threads, proc, fd, bind_node;
	bool random, write, thp, free_move, setup, unbind;
	int cpus[NB_MAX_CPUS], ncpus; /* node A */
	int all[NB_MAX_CPUS], nall;   /* every cpu of the run: the free variant after start */
};

struct wl_worker {
	const struct wl_cfg *c;
	char *lo;
	size_t len;
	int idx;
	pthread_barrier_t *ready, *go;
	pthread_t th;
};

static int wl_fail(const struct wl_cfg *c, const char *what)
{
	snprintf(c->ctl->proc[c->proc].msg, sizeof(c->ctl->proc[0].msg), "%s: %s", what,
		 strerror(errno));
	atomic_store(&c->ctl->proc[c->proc].state, P_ERROR);
	return 1;
}

/* Thread i's share of the buffer: equal slices of whole (huge) pages, the last takes the rest. */
static size_t wl_slice_len(const struct wl_cfg *c, int i)
{
	size_t align = c->thp ? THP_BYTES : (size_t)sysconf(_SC_PAGESIZE);
	size_t len = c->size / (size_t)c->threads / align * align;
	return i == c->threads - 1 ? c->size - len * (size_t)(c->threads - 1) : len;
}

/* Each thread's slice gets a VMA of its own between PROT_NONE guard pages: numa_maps reports
 * per VMA, so the placement of every slice is known (a free thread may take its memory to
 * another node than its neighbour's), and an unbound (MPOL_DEFAULT) anonymous range cannot
 * merge with a neighbour. */
static int wl_map(const struct wl_cfg *c, char **sl)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), align = c->thp ? THP_BYTES : page, off = 0;
	size_t total = c->size + (size_t)c->threads * (align + page) + align;
	char *p = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	int flags = MAP_FIXED | (c->fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS);
	if (p == MAP_FAILED)
		return -1;
	p += page;
	for (int i = 0; i < c->threads; i++) {
		size_t len = wl_slice_len(c, i);
		p = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
		if (mmap(p, len, PROT_READ | PROT_WRITE, flags, c->fd, (off_t)off) == MAP_FAILED ||
		    madvise(p, len, c->thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
			return -1;
		sl[i] = p;
		p += len + page;
		off += len;
	}
	return 0;
}

static long wl_policy(void *p, size_t len, int mode, int node)
{
	unsigned long mask[NB_MAX_NODES / (8 * sizeof(unsigned long)) + 1] = {0};
	if (node < 0)
		return mbind(p, len, mode, NULL, 0, 0);
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
	return mbind(p, len, mode, mask, NB_MAX_NODES + 1, 0);
}

/* Bind to node B, first-touch, then unbind without moving a page. The unbinding matters: a VMA
 * with a policy of its own has no MPOL_F_MOF, and task_numa_work() skips every VMA for which
 * vma_policy_mof() is false (kernel/sched/fair.c, mm/mempolicy.c; 6.1 and 6.12). The hard-bound
 * baselines keep their policy on purpose. */
static int wl_setup(const struct wl_cfg *c, char **sl)
{
	uint64_t thp = 0;
	if (wl_map(c, sl))
		return wl_fail(c, "mapping the buffer");
	for (int i = 0; i < c->threads; i++) {
		size_t len = wl_slice_len(c, i);
		if (wl_policy(sl[i], len, MPOL_BIND, c->bind_node))
			return wl_fail(c, "mbind(MPOL_BIND)");
		nb_touch_pages(sl[i], len, (size_t)sysconf(_SC_PAGESIZE));
		thp += nb_thp_bytes(sl[i], len);
		if (c->unbind && wl_policy(sl[i], len, MPOL_DEFAULT, -1))
			return wl_fail(c, "mbind(MPOL_DEFAULT)");
		c->ctl->slice[i] = (uintptr_t)sl[i];
		c->ctl->slice_len[i] = len;
	}
	c->ctl->thp_share = (double)thp / (double)c->size;
	return 0;
}

static size_t wl_seq(char *lo, size_t len, size_t *off, bool wr, uint64_t *sink)
{
	size_t n = len - *off < CHUNK ? len - *off : CHUNK;
	char *p = lo + *off;
	for (size_t i = 0; i < n; i += NB_LINE) {
		uint64_t *q = (uint64_t *)(p + i);
		if (wr)
			*q = i;
		else
			*sink += *q;
	}
	*off = *off + n >= len ? 0 : *off + n;
	return n;
}

static size_t wl_random(char *lo, size_t len, uint64_t *seed, bool wr, uint64_t *sink)
{
	size_t lines = len / NB_LINE;
	for (size_t i = 0; i < CHUNK / NB_LINE; i++) {
		*seed ^= *seed << 13; /* xorshift64 */
		*seed ^= *seed >> 7;
		*seed ^= *seed << 17;
		uint64_t *q = (uint64_t *)(lo + (*seed % lines) * NB_LINE);
		if (wr)
			*q = i;
		else
			*sink += *q;
	}
	return CHUNK;
}

static void *wl_thread(void *v)
{
	struct wl_worker *w = v;
	const struct wl_cfg *c = w->c;
	struct wl_slot *slot = &c->ctl->slot[c->proc * MAX_THREADS + w->idx];
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ (uint64_t)(w->idx + 1), sink = 0;
	size_t off = 0;
	c->ctl->proc[c->proc].tids[w->idx] = gettid();
	pthread_barrier_wait(w->ready);
	pthread_barrier_wait(w->go);
	if (c->free_move && nb_pin_self(c->all, c->nall))
		atomic_store(&c->ctl->proc[c->proc].unpin_failed, 1);
	while (atomic_load_explicit(&c->ctl->phase, memory_order_relaxed) != WL_STOP) {
		size_t n = c->random ? wl_random(w->lo, w->len, &seed, c->write, &sink)
				     : wl_seq(w->lo, w->len, &off, c->write, &sink);
		atomic_fetch_add_explicit(&slot->bytes, n, memory_order_relaxed);
	}
	slot->sink = sink;
	return NULL;
}

static int wl_start_threads(const struct wl_cfg *c, char **sl, struct wl_worker *w,
			    pthread_barrier_t bar[2])
{
	for (int i = 0; i < c->threads; i++) {
		w[i] = (struct wl_worker){c, sl[i], wl_slice_len(c, i), i, &bar[0], &bar[1], 0};
		int e = pthread_create(&w[i].th, NULL, wl_thread, &w[i]);
		if (e) {
			errno = e;
			return -1;
		}
	}
	return 0;
}

/* Main of a workload process. Its threads inherit the node-A affinity of this thread. */
static int wl_main(void *arg)
{
	const struct wl_cfg *c = arg;
	static struct wl_worker w[MAX_THREADS];
	pthread_barrier_t bar[2]; /* threads ready (tids known), go */
	signal(SIGTERM, SIG_DFL); /* the parent's handler restores tunables: not ours to run */
	if (nb_pin_self(c->cpus, c->ncpus))
		return wl_fail(c, "pinning to node A");
	char *sl[MAX_THREADS];
	if (c->setup && wl_setup(c, sl))
		return 1;
	if (!c->setup && wl_map(c, sl)) /* the second process maps what the first one placed */
		return wl_fail(c, "mapping the shared buffer");
	for (int i = 0; i < 2; i++)
		pthread_barrier_init(&bar[i], NULL, (unsigned)c->threads + 1);
	if (wl_start_threads(c, sl, w, bar))
		return wl_fail(c, "starting workload threads");
	pthread_barrier_wait(&bar[0]);
	atomic_store(&c->ctl->proc[c->proc].state, P_READY);
	while (atomic_load(&c->ctl->phase) == WL_WAIT)
		usleep(1000);
	pthread_barrier_wait(&bar[1]);
	for (int i = 0; i < c->threads; i++)
		pthread_join(w[i].th, NULL);
	return 0;
}

/* ---- experiment plan ------------------------------------------------------------------ */

enum place { PL_REMOTE, PL_LOCAL, PL_BOUND_LOCAL, PL_BOUND_REMOTE };
static const char *const place_names[] = {"remote", "local", "bound-local", "bound-remote"};

struct spec {
	enum place place;
	bool free_move;
	int mode;
	char variant[32];
	bool refused; /* the kernel refused this numa_balancing mode */
};

/* One run of one spec. Doubles are NAN when not measured or not defined. */
struct trial {
	enum nb_status st;
	bool ran;
	char reason[256];
	int rep, order, n;
	double *t, *work, *share; /* per sample: seconds, bytes streamed, local share */
	json_t *timeline;
	struct nb_placement first, last;
	struct nb_vmstat d; /* /proc/vmstat delta from start to the last sample */
	int64_t task_migrated, tp[4], arrived;
	bool tp_ok;
	char mode_read[16];
	double conv, thr, steady, share0, share_end, thp_share, pte_rate, migrated, faults;
	double overhead, benefit, break_even, vs_local, vs_remote, lost;
	const char *break_even_how;
};

struct bal {
	struct nb_ctx *ctx;
	int node_a, node_b, procs, reps, nsamples, mem[NB_MAX_NODES], nmem;
	bool memonly;
	double interval;
	struct wl_cfg cfg;
	struct spec specs[MAX_SPECS];
	int nspecs;
	struct trial *trials; /* [spec * reps + rep] */
	const struct nb_tunable *knob;
	char knob_before[64];
	struct nb_counters **tp; /* one set per cpu: NUMA tracepoints, system-wide */
	int ntp;
	struct nb_placement sl[MAX_THREADS]; /* each slice at the last sample */
};

static const char *const tp_events[] = {"sched:sched_move_numa", "sched:sched_swap_numa",
					"sched:sched_stick_numa", "migrate:mm_migrate_pages"};
static const char *const tp_keys[] = {"sched_move_numa", "sched_swap_numa", "sched_stick_numa",
				      "mm_migrate_pages_calls"};

static struct trial *trial_of(struct bal *b, int spec, int rep)
{
	return &b->trials[spec * b->reps + rep];
}

static int spec_mem_node(const struct bal *b, const struct spec *s)
{
	return s->place == PL_REMOTE || s->place == PL_BOUND_REMOTE ? b->node_b : b->node_a;
}

static int node_index(const struct nb_topo *t, int id)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->nodes[i].id == id)
			return i;
	return -1;
}

/* Node A: the first cpu node with memory. Node B: another memory node, a memory-only one if
 * the run has it (the only way to exercise tiering), else the farthest from A. */
static int pick_nodes(struct bal *b, char *why, size_t len)
{
	int cn[NB_MAX_NODES], cpus[NB_MAX_CPUS], ncn = nb_ctx_cpu_nodes(b->ctx, cn);
	const struct nb_topo *t = b->ctx->topo;
	b->nmem = nb_ctx_mem_nodes(b->ctx, b->mem);
	b->node_a = b->node_b = -1;
	for (int i = 0; i < ncn && b->node_a < 0; i++)
		for (int j = 0; j < b->nmem; j++)
			if (b->mem[j] == cn[i])
				b->node_a = cn[i];
	uint64_t best = 0;
	for (int j = 0; j < b->nmem && b->node_a >= 0; j++) {
		int id = b->mem[j], ia = node_index(t, b->node_a), ib = node_index(t, id);
		bool memonly = nb_ctx_node_cpus(b->ctx, id, cpus) == 0;
		uint64_t dist = ia >= 0 && ib >= 0 ? t->distances[ia][ib] : 0;
		uint64_t score = (memonly ? 1ull << 40 : 0) + 1 + dist;
		if (id != b->node_a && score > best) {
			best = score;
			b->node_b = id;
			b->memonly = memonly;
		}
	}
	if (b->node_a < 0 || b->node_b < 0) {
		snprintf(why, len, "needs a node with cpus and memory and a second memory node");
		return -1;
	}
	return 0;
}

static void add_spec(struct bal *b, enum place pl, bool free_move, int mode)
{
	struct spec *s = &b->specs[b->nspecs++];
	s->place = pl;
	s->free_move = free_move;
	s->mode = mode;
	snprintf(s->variant, sizeof(s->variant), "%s%s", place_names[pl],
		 pl >= PL_BOUND_LOCAL ? ""
		 : free_move	      ? "-free"
				      : "-pinned");
}

/* Hard-bound baselines (balancing off), then remote and local workloads for each variant
 * and mode. */
static void plan(struct bal *b, const struct nb_params *p)
{
	const struct nb_param_val *mv = nb_param(p, "modes");
	int modes[4], nmodes = 0, pinned = nb_param(p, "pinned")->choice; /* yes|no|both */
	bool seen[4] = {false};
	for (int i = 0; i < mv->nlist; i++)
		if (!seen[mv->list[i]]) { /* a list may repeat a mode: run it once */
			seen[mv->list[i]] = true;
			modes[nmodes++] = (int)mv->list[i];
		}
	if (!nmodes) {
		modes[nmodes++] = 0;
		modes[nmodes++] = 1;
		for (int i = 2; i < 4 && b->memonly; i++)
			modes[nmodes++] = i;
	}
	add_spec(b, PL_BOUND_LOCAL, false, 0);
	add_spec(b, PL_BOUND_REMOTE, false, 0);
	for (int v = 0; v < 2; v++) {
		if ((v == 0 && pinned == 1) || (v == 1 && pinned == 0))
			continue;
		for (int pl = PL_REMOTE; pl <= PL_LOCAL; pl++)
			for (int m = 0; m < nmodes; m++)
				add_spec(b, (enum place)pl, v == 1, modes[m]);
	}
}

static void cfg_init(struct bal *b, const struct nb_params *p)
{
	struct wl_cfg *c = &b->cfg;
	c->thp = nb_param(p, "thp")->choice == 0;
	size_t align = c->thp ? THP_BYTES : (size_t)sysconf(_SC_PAGESIZE);
	c->size = (nb_param_u64(p, "size") + align - 1) / align * align;
	c->threads = (int)nb_param_u64(p, "threads");
	c->random = nb_param(p, "pattern")->choice == 1;
	c->write = nb_param(p, "access")->choice == 1;
	c->ncpus = nb_ctx_node_cpus(b->ctx, b->node_a, c->cpus);
	c->nall = b->ctx->ncpus;
	memcpy(c->all, b->ctx->cpus, sizeof(int) * (size_t)c->nall);
	b->procs = nb_param(p, "sharing")->choice == 1 ? 2 : 1;
	b->interval = (double)nb_param_u64(p, "interval_ms") / 1000.0;
	b->nsamples = (int)(nb_param_u64(p, "duration_s") * 1000 / nb_param_u64(p, "interval_ms"));
	b->reps = b->ctx->repeat ? b->ctx->repeat : b->ctx->quick ? 1 : 2;
}

/* ---- tunables: numa_balancing per run, faster scanning for the bench -------------------- */

static const char *const scan_knobs[] = {"scan_delay_ms", "scan_period_min_ms"};

/* The kernel default scan delay and period are 1000 ms (KERNEL-NOTES): lowering them makes
 * the scanner's work visible in a few seconds. Journaled by nb_tunable_set like any knob. */
static void knobs_lower(struct bal *b, const struct nb_params *p, json_t *out)
{
	char v[32], before[64], err[256];
	uint64_t ms = nb_param_u64(p, "scan_ms");
	snprintf(v, sizeof(v), "%llu", (unsigned long long)ms);
	for (size_t i = 0; i < sizeof(scan_knobs) / sizeof(scan_knobs[0]); i++) {
		const struct nb_tunable *t = nb_tunable_find(scan_knobs[i]);
		json_t *o = json_object();
		json_object_set_new(out, scan_knobs[i], o);
		if (nb_tunable_get(t, before, sizeof(before))) {
			json_object_set_new(
			    o, "error", json_string("absent (debugfs not mounted?): not lowered"));
			continue;
		}
		json_object_set_new(o, "before", json_string(before));
		if (!ms)
			continue;
		if (nb_tunable_set(t, v, err, sizeof(err)))
			json_object_set_new(o, "error", json_string(err));
		else
			json_object_set_new(o, "set", json_string(v));
	}
	/* the scan rate's other inputs, as they are (numa_pte_updates per second follows them) */
	static const char *const read_only[] = {"scan_size_mb", "scan_period_max_ms"};
	for (size_t i = 0; i < 2; i++)
		if (nb_tunable_get(nb_tunable_find(read_only[i]), before, sizeof(before)) == 0)
			json_object_set_new(out, read_only[i], json_pack("{s:s}", "value", before));
	nb_tunable_get(b->knob, b->knob_before, sizeof(b->knob_before));
	json_object_set_new(out, "numa_balancing", json_pack("{s:s}", "before", b->knob_before));
}

/* Put back what the bench changed, so later benches of the run see the run's settings. The
 * journal still holds the originals; the runner restores those at the end. */
static void knobs_restore(struct bal *b, json_t *out)
{
	char err[256];
	for (size_t i = 0; i < sizeof(scan_knobs) / sizeof(scan_knobs[0]); i++) {
		json_t *o = json_object_get(out, scan_knobs[i]);
		const char *before = json_string_value(json_object_get(o, "before"));
		if (!json_object_get(o, "set") || !before)
			continue;
		bool ok = !nb_tunable_set(nb_tunable_find(scan_knobs[i]), before, err, sizeof(err));
		json_object_set_new(o, "restored", json_boolean(ok));
	}
	bool ok = b->knob_before[0] && !nb_tunable_set(b->knob, b->knob_before, err, sizeof(err));
	json_object_set_new(json_object_get(out, "numa_balancing"), "restored", json_boolean(ok));
}

static int set_mode(struct bal *b, int mode, struct trial *tr)
{
	char v[16], err[256];
	snprintf(v, sizeof(v), "%d", mode);
	if (nb_tunable_set(b->knob, v, err, sizeof(err))) {
		snprintf(tr->reason, sizeof(tr->reason), "%s", err);
		return -1;
	}
	nb_tunable_get(b->knob, tr->mode_read, sizeof(tr->mode_read));
	return 0;
}

/* ---- tracepoint counts (task placement decisions, migrations) --------------------------- */

static void tp_open(struct bal *b, json_t *run)
{
	char err[256] = "";
	const char *why = NULL;
	char list[256];
	snprintf(list, sizeof(list), "%s,%s,%s,%s", tp_events[0], tp_events[1], tp_events[2],
		 tp_events[3]);
	b->tp = calloc((size_t)b->ctx->ncpus, sizeof(*b->tp));
	for (int i = 0; b->tp && i < b->ctx->ncpus && !why; i++) {
		struct nb_counters *c = nb_counters_new(list, err, sizeof(err));
		if (!c) {
			why = err;
			break;
		}
		b->tp[b->ntp++] = c;
		if (nb_counters_open(c, -1, b->ctx->cpus[i], false) <= 0) {
			json_t *all = nb_counters_json(c);
			const char *r =
			    json_string_value(json_object_get(json_array_get(all, 0), "reason"));
			snprintf(err, sizeof(err), "%s", r ? r : "tracepoints could not be opened");
			json_decref(all);
			why = err;
		}
	}
	json_t *o = json_pack("{s:s,s:b}", "scope", "system-wide, every cpu of the run",
			      "available", why == NULL);
	if (why) {
		json_object_set_new(o, "reason", json_string(why));
		for (int i = 0; i < b->ntp; i++)
			nb_counters_free(b->tp[i]);
		b->ntp = 0;
	}
	json_object_set_new(run, "tracepoints", o);
}

static void tp_close(struct bal *b)
{
	for (int i = 0; i < b->ntp; i++)
		nb_counters_free(b->tp[i]);
	free(b->tp);
	b->tp = NULL;
	b->ntp = 0;
}

static void tp_control(struct bal *b, void (*fn)(struct nb_counters *))
{
	for (int i = 0; i < b->ntp; i++)
		fn(b->tp[i]);
}

/* Counts since start, summed over cpus; false when unavailable. */
static bool tp_read(struct bal *b, int64_t out[4])
{
	if (!b->ntp)
		return false;
	memset(out, 0, 4 * sizeof(int64_t));
	for (int i = 0; i < b->ntp; i++) {
		nb_counters_read(b->tp[i]);
		for (int e = 0; e < 4; e++) {
			int64_t v = nb_counters_value(b->tp[i], tp_events[e]);
			out[e] = out[e] < 0 || v < 0 ? -1 : out[e] + v;
		}
	}
	return true;
}

/* ---- one run of the workload ----------------------------------------------------------- */

struct live {
	struct wl_ctl *ctl;
	pid_t pid[MAX_PROCS];
	int nprocs, fd;
	struct nb_vmstat v0;
	uint64_t t0;
	double prev_t, prev_work;
};

static double median(const double *v, int n)
{
	struct nb_summary s;
	nb_summarize(v, n, &s);
	return s.median;
}

static json_t *jint(int64_t v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static bool child_exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return errno == ECHILD;
	return si.si_pid == pid;
}

static int wait_ready(struct live *lv, int proc, char *err, size_t len)
{
	uint64_t end = nb_now_ns() + READY_TIMEOUT_NS;
	for (;;) {
		int st = atomic_load(&lv->ctl->proc[proc].state);
		if (st == P_READY)
			return 0;
		if (st == P_ERROR) {
			snprintf(err, len, "workload setup failed: %s", lv->ctl->proc[proc].msg);
			return -1;
		}
		if (child_exited(lv->pid[proc]) || nb_interrupted || nb_now_ns() > end) {
			snprintf(err, len, "workload process %s before it was ready",
				 nb_interrupted ? "interrupted" : "exited or hung");
			return -1;
		}
		usleep(2000);
	}
}

static int spawn_workload(struct bal *b, const struct spec *s, struct live *lv, char *err,
			  size_t len)
{
	static struct wl_cfg c; /* copied into each child by fork */
	c = b->cfg;
	c.ctl = lv->ctl;
	c.fd = lv->fd;
	c.bind_node = spec_mem_node(b, s);
	c.unbind = s->place == PL_REMOTE || s->place == PL_LOCAL;
	c.free_move = s->free_move;
	for (int i = 0; i < b->procs; i++) {
		c.proc = i;
		c.setup = i == 0; /* the second process maps the buffer the first one placed */
		lv->pid[i] = nb_child_spawn(wl_main, &c);
		if (lv->pid[i] < 0) {
			snprintf(err, len, "fork: %s", strerror(errno));
			return -1;
		}
		lv->nprocs = i + 1;
		if (wait_ready(lv, i, err, len))
			return -1;
	}
	return 0;
}

static int live_open(struct bal *b, struct live *lv, char *err, size_t len)
{
	lv->fd = -1;
	lv->ctl = mmap(NULL, sizeof(struct wl_ctl), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (lv->ctl == MAP_FAILED) {
		lv->ctl = NULL;
		snprintf(err, len, "mmap: %s", strerror(errno));
		return -1;
	}
	/* Two processes share one buffer through a memfd: shmem. Note that vma_policy_mof() is
	 * false for a shmem VMA without a shared MPOL_F_MOF policy, so the scanner may skip it;
	 * the bench measures what the kernel does instead of assuming it. */
	if (b->procs > 1 && ((lv->fd = memfd_create("numabench-balance", MFD_CLOEXEC)) < 0 ||
			     ftruncate(lv->fd, (off_t)b->cfg.size))) {
		snprintf(err, len, "memfd: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void reap(pid_t pid)
{
	uint64_t end = nb_now_ns() + STOP_TIMEOUT_NS;
	while (!nb_interrupted && !child_exited(pid) && nb_now_ns() < end)
		usleep(2000);
	if (child_exited(pid))
		nb_child_wait(pid);
	else
		nb_child_kill(pid);
}

static void live_close(struct live *lv)
{
	if (lv->ctl)
		atomic_store(&lv->ctl->phase, WL_STOP);
	for (int i = 0; i < lv->nprocs; i++)
		reap(lv->pid[i]);
	if (lv->ctl)
		munmap(lv->ctl, sizeof(struct wl_ctl));
	if (lv->fd >= 0)
		close(lv->fd);
}

static json_t *placement_json(const struct bal *b, const struct nb_placement *pl)
{
	json_t *o = json_object();
	for (int i = 0; i < b->nmem; i++) {
		char k[16];
		snprintf(k, sizeof(k), "%d", b->mem[i]);
		json_object_set_new(o, k, json_integer((json_int_t)pl->per_node[b->mem[i]]));
	}
	return o;
}

/* Thread fields of a sample; returns the share of each thread's slice that is on the node the
 * thread runs on, averaged over threads (for pinned threads: the buffer's share on node A). */
static double sample_threads(struct bal *b, struct live *lv, json_t *s, struct trial *tr)
{
	json_t *node = json_array(), *pref = json_array(), *grp = json_array();
	json_t *local = json_array();
	double share = 0;
	int n = 0;
	tr->task_migrated = 0;
	for (int p = 0; p < lv->nprocs; p++)
		for (int i = 0; i < b->cfg.threads; i++, n++) {
			struct nb_sched_numa sn = {
			    .cur_node = -1, .numa_preferred_nid = -1, .numa_group_id = -1};
			nb_sched_numa_read(lv->pid[p], lv->ctl->proc[p].tids[i], &sn);
			int at = sn.cur_node >= 0 ? sn.cur_node : b->node_a;
			const struct nb_placement *pl =
			    &b->sl[i]; /* the slice this thread streams */
			double mine =
			    pl->pages_total ? (double)pl->per_node[at] / pl->pages_total : 0;
			share += mine;
			json_array_append_new(local, json_real(mine));
			json_array_append_new(node, json_integer(sn.cur_node));
			json_array_append_new(pref, json_integer(sn.numa_preferred_nid));
			json_array_append_new(grp, json_integer(sn.numa_group_id));
			tr->task_migrated +=
			    sn.numa_pages_migrated > 0 ? sn.numa_pages_migrated : 0;
		}
	json_object_set_new(s, "thread_node", node);
	json_object_set_new(s, "preferred_nid", pref);
	json_object_set_new(s, "numa_group", grp);
	json_object_set_new(s, "thread_local_share", local);
	json_object_set_new(s, "task_pages_migrated", json_integer(tr->task_migrated));
	return n ? share / n : 0;
}

static void sample_counters(struct bal *b, struct trial *tr, json_t *s)
{
	static const int f[] = {NB_VM_numa_hint_faults, NB_VM_numa_hint_faults_local,
				NB_VM_numa_pages_migrated, NB_VM_numa_pte_updates,
				NB_VM_pgpromote_success};
	static const char *const k[] = {"hint_faults", "hint_faults_local", "pages_migrated",
					"pte_updates", "pgpromote_success"};
	for (int i = 0; i < 5; i++)
		if (i < 4 || tr->d.v[f[i]] >= 0)
			json_object_set_new(s, k[i], jint(tr->d.v[f[i]]));
	tr->tp_ok = tp_read(b, tr->tp);
	for (int e = 0; e < 3 && tr->tp_ok; e++)
		json_object_set_new(s, tp_keys[e], jint(tr->tp[e]));
}

static uint64_t work_bytes(const struct bal *b, const struct live *lv)
{
	uint64_t sum = 0;
	for (int p = 0; p < lv->nprocs; p++)
		for (int i = 0; i < b->cfg.threads; i++)
			sum += atomic_load_explicit(&lv->ctl->slot[p * MAX_THREADS + i].bytes,
						    memory_order_relaxed);
	return sum;
}

/* Placement of every slice (numa_maps) into b->sl, their sum into all; pages that arrived on a
 * node since the previous sample are added to tr->arrived. */
static int read_placement(struct bal *b, const struct live *lv, int intended, struct trial *tr,
			  struct nb_placement *all)
{
	memset(all, 0, sizeof(*all));
	for (int i = 0; i < b->cfg.threads; i++) {
		struct nb_placement *s = &b->sl[i], prev = *s;
		if (nb_placement_numa_maps(lv->pid[0], (void *)lv->ctl->slice[i],
					   lv->ctl->slice_len[i], intended, s))
			return -1;
		for (int n = 0; n < NB_MAX_NODES; n++) {
			if (tr->n && s->per_node[n] > prev.per_node[n])
				tr->arrived += (int64_t)(s->per_node[n] - prev.per_node[n]);
			all->per_node[n] += s->per_node[n];
		}
		all->pages_total += s->pages_total;
		all->pages_sampled += s->pages_sampled;
	}
	return 0;
}

static int take_sample(struct bal *b, struct live *lv, int intended, struct trial *tr)
{
	struct nb_placement pl;
	struct nb_vmstat v;
	double t = tr->n ? (double)(nb_now_ns() - lv->t0) / 1e9 : 0;
	if (read_placement(b, lv, intended, tr, &pl))
		return -1;
	nb_vmstat_read(&v);
	nb_vmstat_delta(&lv->v0, &v, &tr->d);
	double work = (double)work_bytes(b, lv);
	json_t *s = json_pack("{s:f,s:o}", "t_s", t, "placement", placement_json(b, &pl));
	double share = sample_threads(b, lv, s, tr);
	json_object_set_new(s, "local_share", json_real(share));
	json_object_set_new(s, "throughput",
			    tr->n ? jreal((work - lv->prev_work) / 1e6 / (t - lv->prev_t))
				  : json_null());
	sample_counters(b, tr, s);
	json_array_append_new(tr->timeline, s);
	tr->t[tr->n] = t;
	tr->work[tr->n] = work;
	tr->share[tr->n] = share;
	if (!tr->n)
		tr->first = pl;
	tr->last = pl;
	tr->n++;
	lv->prev_t = t;
	lv->prev_work = work;
	return 0;
}

static void sleep_until(uint64_t t)
{
	uint64_t now = nb_now_ns();
	if (t <= now)
		return;
	struct timespec ts = {(time_t)((t - now) / SEC), (long)((t - now) % SEC)};
	nanosleep(&ts, NULL);
}

static bool workload_alive(const struct live *lv)
{
	for (int i = 0; i < lv->nprocs; i++)
		if (child_exited(lv->pid[i]))
			return false;
	return true;
}

/* Sample 0 is the placement before the workload starts; then one sample per interval. */
static int sample_run(struct bal *b, struct live *lv, int intended, struct trial *tr)
{
	nb_vmstat_read(&lv->v0);
	tp_control(b, nb_counters_start);
	lv->t0 = nb_now_ns();
	if (take_sample(b, lv, intended, tr))
		return -1;
	atomic_store(&lv->ctl->phase, WL_GO);
	for (int k = 1; k <= b->nsamples; k++) {
		sleep_until(lv->t0 + (uint64_t)(k * b->interval * 1e9));
		if (nb_interrupted || !workload_alive(lv) || take_sample(b, lv, intended, tr)) {
			tp_control(b, nb_counters_stop);
			return -1;
		}
	}
	tp_control(b, nb_counters_stop);
	return 0;
}

/* Two independent readings of the migrations: pages that arrived on a node between two
 * samples, from numa_maps, against numa_pages_migrated (/proc/vmstat, system-wide); the
 * workload tasks' own numa_pages_migrated is a third. A page that moves and moves back within
 * one interval is seen by the counters only. */
static json_t *cross_check(const struct trial *tr)
{
	int64_t vm = tr->d.v[NB_VM_numa_pages_migrated];
	int64_t tol = (int64_t)(tr->first.pages_total / 100) > 32
			  ? (int64_t)(tr->first.pages_total / 100)
			  : 32;
	bool agree = vm >= 0 && llabs(tr->arrived - vm) <= tol;
	return json_pack("{s:I,s:o,s:I,s:I,s:b}", "numa_maps_pages_arrived",
			 (json_int_t)tr->arrived, "vmstat_numa_pages_migrated", jint(vm),
			 "task_numa_pages_migrated", (json_int_t)tr->task_migrated,
			 "tolerance_pages", (json_int_t)tol, "agree", agree);
}

/* Figures of one run from its samples. */
/* Local share at sample i, as the median of the samples i-2..i+2 (fewer at the ends): a free
 * thread that the load balancer runs on another node for a moment is not a change of
 * placement, a sustained move is. */
static double share_filtered(const struct trial *tr, int i)
{
	double v[SMOOTH];
	int n = 0;
	for (int j = i - SMOOTH / 2; j <= i + SMOOTH / 2; j++)
		if (j >= 0 && j < tr->n)
			v[n++] = tr->share[j];
	return median(v, n);
}

static void trial_eval(struct trial *tr)
{
	int n = tr->n, k = 2 * (n - 1) / 3;
	double T = tr->t[n - 1];
	tr->thr = T > 0 ? tr->work[n - 1] / T / 1e6 : NAN;
	tr->steady = tr->t[n - 1] > tr->t[k]
			 ? (tr->work[n - 1] - tr->work[k]) / (tr->t[n - 1] - tr->t[k]) / 1e6
			 : NAN;
	tr->conv = NAN; /* first sample from which the share stays at or above CONVERGED */
	for (int i = n - 1; i >= 0 && share_filtered(tr, i) >= CONVERGED; i--)
		tr->conv = tr->t[i];
	tr->share_end = share_filtered(tr, n - 1);
	tr->migrated = (double)tr->d.v[NB_VM_numa_pages_migrated];
	tr->faults = (double)tr->d.v[NB_VM_numa_hint_faults];
	tr->pte_rate = T > 0 ? (double)tr->d.v[NB_VM_numa_pte_updates] / T : NAN;
}

/* Untrustworthy when the setup cannot be verified: placement, THP, the mode written, the
 * free variant's affinity. */
static void trial_verify(const struct bal *b, const struct spec *s, struct trial *tr,
			 const struct live *lv)
{
	int want = spec_mem_node(b, s);
	tr->share0 = tr->first.pages_total
			 ? (double)tr->first.per_node[want] / (double)tr->first.pages_total
			 : 0;
	tr->thp_share = lv->ctl->thp_share;
	const char *why = NULL;
	char buf[256];
	if (tr->share0 < NB_PLACE_MIN_SHARE) {
		snprintf(buf, sizeof(buf), "only %.1f%% of the buffer on node %d at start",
			 100 * tr->share0, want);
		why = buf;
	} else if (b->cfg.thp && tr->thp_share < 0.9) {
		snprintf(buf, sizeof(buf), "THP requested but only %.0f%% of the buffer is huge",
			 100 * tr->thp_share);
		why = buf;
	} else if (atoi(tr->mode_read) != s->mode) {
		snprintf(buf, sizeof(buf), "numa_balancing reads %s after writing %d",
			 tr->mode_read, s->mode);
		why = buf;
	} else if (lv->ctl->proc[0].unpin_failed || lv->ctl->proc[MAX_PROCS - 1].unpin_failed) {
		why = "free variant: a thread could not widen its affinity";
	}
	if (why) {
		tr->st = NB_UNTRUSTWORTHY;
		snprintf(tr->reason, sizeof(tr->reason), "%s", why);
	}
}

static void trial_run(struct bal *b, struct spec *s, struct trial *tr)
{
	struct live lv = {0};
	char err[256] = "";
	tr->timeline = json_array();
	if (set_mode(b, s->mode, tr)) { /* before the workload exists (KERNEL-NOTES) */
		s->refused = true;
		tr->st = NB_SKIPPED;
		return;
	}
	int rc = live_open(b, &lv, err, sizeof(err));
	if (!rc)
		rc = spawn_workload(b, s, &lv, err, sizeof(err));
	if (!rc && sample_run(b, &lv, spec_mem_node(b, s), tr)) {
		rc = -1;
		snprintf(err, sizeof(err), "%s",
			 nb_interrupted		? "interrupted"
			 : !workload_alive(&lv) ? "the workload process exited during the run"
						: "cannot read the workload's numa_maps");
	}
	if (rc) {
		tr->st = NB_FAILED;
		snprintf(tr->reason, sizeof(tr->reason), "%s", err);
	} else {
		tr->st = NB_OK;
		trial_verify(b, s, tr, &lv);
		trial_eval(tr);
	}
	live_close(&lv);
}

static int trial_alloc(struct trial *tr, int n)
{
	tr->t = calloc((size_t)n, sizeof(double));
	tr->work = calloc((size_t)n, sizeof(double));
	tr->share = calloc((size_t)n, sizeof(double));
	double *nan_fields[] = {&tr->conv,	&tr->thr,	&tr->steady,   &tr->share0,
				&tr->share_end, &tr->thp_share, &tr->pte_rate, &tr->migrated,
				&tr->faults,	&tr->overhead,	&tr->benefit,  &tr->break_even,
				&tr->vs_local,	&tr->vs_remote, &tr->lost};
	for (size_t i = 0; i < sizeof(nan_fields) / sizeof(nan_fields[0]); i++)
		*nan_fields[i] = NAN;
	return tr->t && tr->work && tr->share ? 0 : -1;
}

/* Run order of one repetition: specs grouped by mode (stable), the whole list reversed on odd
 * repetitions (ABBA), so drift over time favours no mode. Grouping by mode keeps changes of
 * kernel.numa_balancing few: each one flips the sched_numa_balancing static key, i.e. patches
 * live kernel text (__set_numabalancing_state(), kernel/sched/core.c, 6.1 and 6.12), and a
 * guest under QEMU TCG has been seen to oops on an int3 left by such patching. */
static void rep_order(const struct bal *b, int r, int *idx)
{
	int n = 0;
	for (int m = 0; m < 4; m++)
		for (int i = 0; i < b->nspecs; i++)
			if (b->specs[i].mode == m)
				idx[n++] = i;
	for (int i = 0; r % 2 && i < n / 2; i++) {
		int t = idx[i];
		idx[i] = idx[n - 1 - i];
		idx[n - 1 - i] = t;
	}
}

static void run_one(struct bal *b, int si, int r, int done)
{
	struct spec *s = &b->specs[si];
	struct trial *tr = trial_of(b, si, r);
	tr->rep = r;
	tr->order = done;
	tr->ran = true;
	tr->st = NB_FAILED;
	if (s->refused) { /* refused in repetition 0: say why again, do not retry */
		const struct trial *first = trial_of(b, si, 0);
		tr->st = NB_SKIPPED;
		if (first != tr)
			memcpy(tr->reason, first->reason, sizeof(tr->reason));
		return;
	}
	if (trial_alloc(tr, b->nsamples + 1)) {
		snprintf(tr->reason, sizeof(tr->reason), "out of memory");
		return;
	}
	trial_run(b, s, tr);
}

static void run_all(struct bal *b, json_t *order)
{
	int done = 0, total = b->nspecs * b->reps, idx[MAX_SPECS];
	for (int r = 0; r < b->reps; r++) {
		rep_order(b, r, idx);
		for (int i = 0; i < b->nspecs && !nb_interrupted; i++) {
			const struct spec *s = &b->specs[idx[i]];
			nb_progress("balance: %s, balancing=%d, rep %d/%d (%d/%d)", s->variant,
				    s->mode, r + 1, b->reps, done + 1, total);
			run_one(b, idx[i], r, done++);
			json_array_append_new(
			    order, json_sprintf("%s/balancing=%d/rep=%d", s->variant, s->mode, r));
		}
	}
}

/* ---- overhead, benefit, break-even, baselines ----------------------------------------- */

static bool measured(const struct trial *tr)
{
	return (tr->st == NB_OK || tr->st == NB_UNTRUSTWORTHY) && tr->n > 1;
}

static int find_spec(const struct bal *b, enum place pl, bool free_move, int mode)
{
	for (int i = 0; i < b->nspecs; i++)
		if (b->specs[i].place == pl && b->specs[i].free_move == free_move &&
		    b->specs[i].mode == mode)
			return i;
	return -1;
}

/* Break-even run length of balancing on a remote buffer: the first time from which the work
 * done with balancing on stays ahead of the work done with it off. Past the end of the run,
 * extrapolated from the steady rates when balancing's rate is the higher one. */
static void break_even(struct trial *on, const struct trial *off)
{
	int n = on->n < off->n ? on->n : off->n, i = n;
	while (i > 1 && on->work[i - 1] >= off->work[i - 1])
		i--;
	if (i < n) {
		on->break_even = on->t[i];
		on->break_even_how = "measured";
	} else if (on->steady > off->steady) {
		double gap = (off->work[n - 1] - on->work[n - 1]) / 1e6;
		on->break_even = on->t[n - 1] + gap / (on->steady - off->steady);
		on->break_even_how = "extrapolated";
	} else {
		on->break_even_how = "never";
	}
}

static void derive_one(struct bal *b, int si, int r)
{
	const struct spec *s = &b->specs[si];
	struct trial *tr = trial_of(b, si, r);
	int s0 = find_spec(b, s->place, s->free_move, 0);
	int sl = find_spec(b, PL_BOUND_LOCAL, false, 0),
	    sr = find_spec(b, PL_BOUND_REMOTE, false, 0);
	const struct trial *off = s0 >= 0 ? trial_of(b, s0, r) : NULL;
	const struct trial *bl = trial_of(b, sl, r), *br = trial_of(b, sr, r);
	if (!measured(tr))
		return;
	if (s->place == PL_REMOTE && measured(bl)) {
		tr->vs_local = tr->steady / bl->steady;
		if (isfinite(tr->conv)) { /* work lost against a hard-bound local buffer */
			int i = 0;
			while (i < tr->n - 1 && tr->t[i] < tr->conv)
				i++;
			tr->lost = bl->steady * tr->conv - tr->work[i] / 1e6;
		}
	}
	if (s->place == PL_REMOTE && measured(br))
		tr->vs_remote = tr->steady / br->steady;
	if (!s->mode || !off || !measured(off))
		return;
	if (s->place == PL_LOCAL)
		tr->overhead = 100 * (1 - tr->thr / off->thr);
	if (s->place == PL_REMOTE) {
		tr->benefit = 100 * (tr->thr / off->thr - 1);
		break_even(tr, off);
	}
}

/* ---- results ---------------------------------------------------------------------------- */

static const struct mdef {
	const char *key, *unit, *dir;
	size_t off;
} mdefs[] = {
    {"convergence_s", "s", "lower", offsetof(struct trial, conv)},
    {"throughput_MBps", "MB/s", "higher", offsetof(struct trial, thr)},
    {"steady_MBps", "MB/s", "higher", offsetof(struct trial, steady)},
    {"local_share_end", "ratio", "higher", offsetof(struct trial, share_end)},
    {"pages_migrated", "pages", "lower", offsetof(struct trial, migrated)},
    {"hint_faults", "faults", "lower", offsetof(struct trial, faults)},
    {"pte_updates_per_s", "ptes/s", "lower", offsetof(struct trial, pte_rate)},
    {"overhead_pct", "%", "lower", offsetof(struct trial, overhead)},
    {"benefit_pct", "%", "higher", offsetof(struct trial, benefit)},
    {"break_even_s", "s", "lower", offsetof(struct trial, break_even)},
    {"steady_vs_bound_local", "ratio", "higher", offsetof(struct trial, vs_local)},
    {"steady_vs_bound_remote", "ratio", "higher", offsetof(struct trial, vs_remote)},
    {"work_lost_before_convergence_MB", "MB", "lower", offsetof(struct trial, lost)},
};
#define N_MDEFS (sizeof(mdefs) / sizeof(mdefs[0]))

static double field_of(const struct trial *tr, const struct mdef *m)
{
	return *(const double *)((const char *)tr + m->off);
}

/* Finite values of one field over the measured repetitions of a spec. */
static int collect(struct bal *b, int si, const struct mdef *m, double *out)
{
	int n = 0;
	for (int r = 0; r < b->reps; r++) {
		const struct trial *tr = trial_of(b, si, r);
		if (measured(tr) && isfinite(field_of(tr, m)))
			out[n++] = field_of(tr, m);
	}
	return n;
}

static json_t *rep_json(const struct bal *b, const struct trial *tr)
{
	json_t *o = json_pack("{s:i,s:i,s:s,s:b,s:s}", "rep", tr->rep, "order", tr->order, "status",
			      nb_status_name(tr->st), "converged", isfinite(tr->conv),
			      "balancing_read", tr->mode_read);
	if (tr->reason[0])
		json_object_set_new(o, "reason", json_string(tr->reason));
	for (size_t i = 0; i < N_MDEFS; i++)
		json_object_set_new(o, mdefs[i].key, jreal(field_of(tr, &mdefs[i])));
	json_object_set_new(o, "initial_share", jreal(tr->share0));
	if (b->cfg.thp)
		json_object_set_new(o, "thp_share", jreal(tr->thp_share));
	if (tr->break_even_how)
		json_object_set_new(o, "break_even_method", json_string(tr->break_even_how));
	if (!measured(tr))
		return o;
	json_object_set_new(o, "vmstat", nb_vmstat_json(&tr->d));
	json_object_set_new(o, "cross_check", cross_check(tr));
	for (int e = 0; e < 4 && tr->tp_ok; e++)
		json_object_set_new(o, tp_keys[e], jint(tr->tp[e]));
	return o;
}

/* Median over measured repetitions of a vmstat field, as an integer. */
static json_t *vm_median(struct bal *b, int si, int field)
{
	double v[64];
	int n = 0;
	for (int r = 0; r < b->reps && n < 64; r++) {
		const struct trial *tr = trial_of(b, si, r);
		if (measured(tr) && tr->d.v[field] >= 0)
			v[n++] = (double)tr->d.v[field];
	}
	return n ? json_integer((json_int_t)llround(median(v, n))) : json_null();
}

static void mode_figures(struct bal *b, int si, json_t *m)
{
	static const struct {
		const char *key;
		int field;
	} vm[] = {{"pages_migrated", NB_VM_numa_pages_migrated},
		  {"hint_faults", NB_VM_numa_hint_faults},
		  {"hint_faults_local", NB_VM_numa_hint_faults_local},
		  {"pte_updates", NB_VM_numa_pte_updates},
		  {"huge_pte_updates", NB_VM_numa_huge_pte_updates},
		  {"pgpromote_success", NB_VM_pgpromote_success}};
	double v[64];
	int conv = 0, meas = 0, agree = 0;
	for (size_t i = 0; i < N_MDEFS; i++) {
		int n = collect(b, si, &mdefs[i], v);
		if (n || !strcmp(mdefs[i].key, "convergence_s"))
			json_object_set_new(m, mdefs[i].key, n ? jreal(median(v, n)) : json_null());
	}
	for (size_t i = 0; i < sizeof(vm) / sizeof(vm[0]); i++)
		json_object_set_new(m, vm[i].key, vm_median(b, si, vm[i].field));
	for (int r = 0; r < b->reps; r++) {
		const struct trial *tr = trial_of(b, si, r);
		json_t *cc = measured(tr) ? cross_check(tr) : NULL;
		meas += measured(tr);
		conv += measured(tr) && isfinite(tr->conv);
		agree += cc && json_is_true(json_object_get(cc, "agree"));
		json_decref(cc);
	}
	/* converged only when every measured repetition converged; convergence_s is then the
	 * median, else null ("never" within duration_s) */
	if (conv < meas || !meas)
		json_object_set_new(m, "convergence_s", json_null());
	json_object_set_new(m, "converged", json_boolean(meas && conv == meas));
	json_object_set_new(m, "converged_reps", json_integer(conv));
	json_object_set_new(m, "measured_reps", json_integer(meas));
	json_object_set_new(m, "cross_check_agree", json_boolean(meas && agree == meas));
}

static json_t *mode_json(struct bal *b, int si, enum nb_status *status)
{
	const struct spec *s = &b->specs[si];
	enum nb_status worst = NB_OK;
	const char *reason = NULL;
	json_t *reps = json_array(), *timeline = NULL;
	for (int r = 0; r < b->reps; r++) {
		struct trial *tr = trial_of(b, si, r);
		if (!tr->ran)
			continue; /* not reached (interrupted) */
		json_array_append_new(reps, rep_json(b, tr));
		if (tr->st > worst || (tr->st != NB_OK && !reason)) {
			worst = tr->st > worst ? tr->st : worst;
			reason = tr->reason;
		}
		if (!timeline && measured(tr))
			timeline = json_incref(tr->timeline);
	}
	json_t *m = json_pack("{s:s,s:s,s:b,s:i,s:i,s:i,s:s}", "variant", s->variant, "placement",
			      place_names[s->place], "threads_pinned", !s->free_move, "balancing",
			      s->mode, "cpu_node", b->node_a, "mem_node", spec_mem_node(b, s),
			      "status", nb_status_name(worst));
	if (reason && reason[0])
		json_object_set_new(m, "reason", json_string(reason));
	mode_figures(b, si, m);
	json_object_set_new(m, "reps", reps);
	json_object_set_new(m, "timeline", timeline ? timeline : json_array());
	*status = worst;
	return m;
}

static void metrics(struct bal *b, json_t *run)
{
	double v[64];
	for (int si = 0; si < b->nspecs; si++)
		for (size_t i = 0; i < N_MDEFS; i++) {
			int n = collect(b, si, &mdefs[i], v);
			char key[128];
			snprintf(key, sizeof(key), "%s.%s.b%d", mdefs[i].key, b->specs[si].variant,
				 b->specs[si].mode);
			if (n)
				nb_run_metric(run, key,
					      nb_metric(mdefs[i].unit, mdefs[i].dir, v, n));
		}
}

static void headline(struct bal *b, json_t *run, json_t *modes)
{
	size_t i;
	json_t *m;
	json_array_foreach(modes, i, m)
	{
		const char *pl = json_string_value(json_object_get(m, "placement"));
		json_int_t mode = json_integer_value(json_object_get(m, "balancing"));
		if (strcmp(pl, "remote") || !mode)
			continue;
		json_t *c = json_object_get(m, "convergence_s");
		json_t *pm = json_object_get(m, "pages_migrated");
		char h[160];
		if (json_is_number(c))
			snprintf(h, sizeof(h), "remote, balancing=%d: 90%% local after %.2f s",
				 (int)mode, json_number_value(c));
		else
			snprintf(h, sizeof(h), "remote, balancing=%d: not 90%% local in %d s",
				 (int)mode, (int)(b->nsamples * b->interval + 0.5));
		snprintf(h + strlen(h), sizeof(h) - strlen(h), ", %lld pages migrated",
			 (long long)json_integer_value(pm));
		json_object_set_new(run, "headline", json_string(h));
		return;
	}
}

static enum nb_status report(struct bal *b, json_t *run)
{
	json_t *modes = json_array();
	enum nb_status worst = NB_OK;
	int bad = 0, total = 0;
	for (int si = 0; si < b->nspecs; si++)
		for (int r = 0; r < b->reps; r++)
			derive_one(b, si, r);
	for (int si = 0; si < b->nspecs; si++) {
		enum nb_status st;
		json_t *m = mode_json(b, si, &st);
		if (st != NB_SKIPPED && st > worst)
			worst = st;
		bad += st == NB_UNTRUSTWORTHY || st == NB_FAILED;
		total++;
		json_array_append_new(modes, m);
	}
	json_object_set_new(run, "modes", modes);
	metrics(b, run);
	headline(b, run, modes);
	if (worst != NB_OK)
		nb_run_reason(run, "%d of %d modes untrustworthy or failed (see modes[].reason)",
			      bad, total);
	return worst;
}

static void describe(struct bal *b, json_t *run)
{
	json_object_set_new(run, "nodes",
			    json_pack("{s:i,s:i,s:b}", "cpu_node", b->node_a, "mem_node", b->node_b,
				      "mem_node_memory_only", b->memonly));
	json_object_set_new(run, "buffer_bytes", json_integer((json_int_t)b->cfg.size));
	json_object_set_new(run, "processes", json_integer(b->procs));
	json_object_set_new(run, "repetitions", json_integer(b->reps));
	json_object_set_new(
	    run, "method",
	    json_string("workload threads on cpu_node stream over a buffer first-touched under "
			"MPOL_BIND on mem_node (remote) or cpu_node (local), then unbound with "
			"mbind(MPOL_DEFAULT); bound-* keep the binding (baselines, balancing off). "
			"Placement from /proc/PID/numa_maps, counters from /proc/vmstat deltas "
			"(system-wide), task fields from /proc/PID/task/TID/sched"));
	json_object_set_new(
	    run, "convergence_rule",
	    json_string(
		"first sample from which the share of each thread's slice on the node "
		"that thread runs on, averaged over threads and taken as a running median of "
		"5 samples, stays at or above 90%; null = never within duration_s. "
		"local_share_end is that median at the last sample"));
	json_object_set_new(
	    run, "cross_check_rule",
	    json_string("numa_maps pages arriving on a node between consecutive samples, summed, "
			"against the numa_pages_migrated delta of /proc/vmstat; agree when within "
			"tolerance_pages"));
	json_object_set_new(
	    run, "break_even_rule",
	    json_string("remote workload: first time from which bytes streamed with balancing on "
			"stay ahead of the same repetition with balancing 0; past the run, "
			"extrapolated from the steady (last third) rates"));
	json_object_set_new(run, "timeline_units",
			    json_pack("{s:s,s:s,s:s,s:s}", "t_s", "s since the workload started",
				      "placement", "pages per node", "throughput", "MB/s",
				      "counters", "cumulative since t_s=0 (system-wide)"));
}

static void bal_free(struct bal *b)
{
	for (int i = 0; b->trials && i < b->nspecs * b->reps; i++) {
		free(b->trials[i].t);
		free(b->trials[i].work);
		free(b->trials[i].share);
		json_decref(b->trials[i].timeline);
	}
	free(b->trials);
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	static struct bal b; /* large: keep it off the stack */
	char why[256];
	memset(&b, 0, sizeof(b));
	b.ctx = ctx;
	b.knob = nb_tunable_find("numa_balancing");
	if (pick_nodes(&b, why, sizeof(why))) {
		nb_run_reason(run, "%s", why);
		return NB_SKIPPED;
	}
	cfg_init(&b, p);
	if (b.cfg.thp && !strcmp(ctx->caps->thp, "never")) {
		nb_run_reason(run, "THP is disabled (transparent_hugepage/enabled = never)");
		return NB_SKIPPED;
	}
	plan(&b, p);
	b.trials = calloc((size_t)(b.nspecs * b.reps), sizeof(*b.trials));
	if (!b.trials) {
		nb_run_reason(run, "out of memory");
		return NB_FAILED;
	}
	json_t *knobs = json_object(), *order = json_array();
	json_object_set_new(run, "tunables_bench", knobs);
	json_object_set_new(run, "order", order);
	describe(&b, run);
	knobs_lower(&b, p, knobs);
	tp_open(&b, run);
	run_all(&b, order);
	if (!nb_interrupted)
		knobs_restore(&b, knobs);
	tp_close(&b);
	enum nb_status st = report(&b, run);
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
