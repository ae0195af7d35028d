/* numabench bench `balance`: the state its files share and the functions they call across
 * files. Files: balance.c (parameters, the run, the descriptor), workload.c (the workload
 * process), plan.c (nodes, specs, run order, tunables), tracepoints.c (NUMA tracepoint
 * counts), run.c (one run of the workload and its timeline), rules.c (the rules, pure),
 * derive.c (the rules applied to runs), results.c (figures and JSON). */
#ifndef NB_BALANCE_H
#define NB_BALANCE_H

#include "balance/rules.h"
#include "bench.h"
#include "kernels.h"
#include "place.h"
#include "sampler.h"
#include "scan.h"

#include <stdatomic.h>
#include <sys/types.h>

#define MAX_PROCS 2
#define MAX_THREADS 64
#define MAX_SPECS 40
#define MAX_SAMPLES 20000
#define THP_BYTES (2u << 20)
#define SEC 1000000000ull

struct nb_counters;

/* ---- the parameters (balance.c): p->v[BAL_P_*]; choices' values below ------------------- */

enum {
	BAL_P_SIZE,
	BAL_P_THREADS,
	BAL_P_PATTERN,
	BAL_P_ACCESS,
	BAL_P_SHARING,
	BAL_P_DURATION_S,
	BAL_P_INTERVAL_MS,
	BAL_P_MODES,
	BAL_P_PINNED,
	BAL_P_THP,
	BAL_P_SCAN_MS,
	BAL_P_COUNT
};
/* The headline's rule (balance.c; results.c applies it). */
extern const struct nb_headline_rule bal_headline_rule;
enum bal_pattern { BAL_SEQ, BAL_RANDOM };
enum bal_access { BAL_READ, BAL_WRITE };
enum bal_pinned { BAL_PINNED_YES, BAL_PINNED_NO, BAL_PINNED_BOTH };
/* sharing: the number of workload processes (private 1, shared 2); thp: on 1, off 0 */

/* ---- the workload (workload.c) ---------------------------------------------------------- */

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
	int *cpus, ncpus; /* node A (owned: bal_cfg_init allocates, the bench frees) */
	int *all, nall;	  /* every cpu of the run: the free variant after start */
};

/* Main of a workload process (nb_child_spawn). */
int bal_wl_main(void *arg);

/* ---- experiment plan -------------------------------------------------------------------- */

enum place { PL_REMOTE, PL_LOCAL, PL_BOUND_LOCAL, PL_BOUND_REMOTE };
extern const char *const bal_place_names[]; /* by enum place */

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
	struct nb_scan scan; /* numa_balancing and the scan tunables: before, lowered, restored */
	struct nb_counters **tp; /* one set per cpu: NUMA tracepoints, system-wide */
	int ntp;
	struct nb_placement sl[MAX_THREADS]; /* each slice at the last sample */
};

struct live {
	struct wl_ctl *ctl;
	pid_t pid[MAX_PROCS];
	int nprocs, fd;
	struct nb_vmstat v0;
	uint64_t t0;
	double prev_t, prev_work;
};

/* plan.c */
struct trial *bal_trial_of(struct bal *b, int spec, int rep);
int bal_spec_mem_node(const struct bal *b, const struct spec *s);
int bal_pick_nodes(struct bal *b, char *why, size_t len);
void bal_plan(struct bal *b, const struct nb_params *p);
void bal_cfg_init(struct bal *b, const struct nb_params *p);
void bal_rep_order(const struct bal *b, int r, int *idx);
int bal_set_mode(struct bal *b, int mode, struct trial *tr);
void bal_knobs_lower(struct bal *b, const struct nb_params *p);
void bal_knobs_restore(struct bal *b);
/* tracepoints.c */
extern const char *const bal_tp_keys[];
void bal_tp_open(struct bal *b, json_t *run);
void bal_tp_close(struct bal *b);
void bal_tp_control(struct bal *b, void (*fn)(struct nb_counters *));
bool bal_tp_read(struct bal *b, int64_t out[4]);
/* run.c */
void bal_run_all(struct bal *b, json_t *order);
/* derive.c */
bool bal_measured(const struct trial *tr);
void bal_trial_eval(struct trial *tr);
void bal_derive_one(struct bal *b, int si, int r);
json_t *bal_cross_check(const struct trial *tr);
/* results.c */
double bal_median(const double *v, int n);
json_t *bal_jreal(double v);
enum nb_status bal_report(struct bal *b, json_t *run);
void bal_describe(struct bal *b, json_t *run);

#endif
