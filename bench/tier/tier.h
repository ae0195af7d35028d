/* numabench bench `tier`: the state its files share and the functions they call across files.
 * Files: tier.c (parameters, the plan of trials, the descriptor), workload.c (the workload and
 * filler processes), sample.c (placement of the sets page by page, the vmstat fields), trial.c
 * (one trial and its timeline), knobs.c (the tunables it changes and puts back), results.c
 * (scores against the baselines, the headline), rules.c (the rules, pure). */
#ifndef NB_TIER_H
#define NB_TIER_H

#include "bench.h"
#include "sampler.h"
#include "scan.h"
#include "tier/rules.h"

#include <stdatomic.h>
#include <sys/types.h>

#define MAX_SAMPLE_PAGES 4096
#define MAX_TIMELINE 2000
#define SEC 1000000000ull
#define FILL_TIMEOUT_NS (240 * SEC)

/* ---- the processes (workload.c) ---------------------------------------------------------- */

/* The workload: one shared page between the parent and a fresh child process per trial. */
/* The parameters (tier.c): p->v[TIER_P_*]. */
enum {
	TIER_P_HOT_SIZE,
	TIER_P_COLD_SIZE,
	TIER_P_HOT_RATE,
	TIER_P_DURATION_S,
	TIER_P_INTERVAL_MS,
	TIER_P_MODES,
	TIER_P_SCENARIOS,
	TIER_P_RATE_LIMITS_MBPS,
	TIER_P_HOT_THRESHOLDS_MS,
	TIER_P_FILL_MARGIN,
	TIER_P_FILL_MAX,
	TIER_P_SCAN_MS,
	TIER_P_COUNT
};

/* The headline's rule (tier.c; results.c applies it). */
extern const struct nb_headline_rule tier_headline_rule;

struct wl {
	_Atomic int state; /* 0 setting up, 1 ready, 2 failed */
	_Atomic int stop;
	_Atomic uint64_t bytes; /* hot-set bytes read so far */
	uintptr_t hot, cold;	/* the sets, in the child */
	size_t hot_len, cold_len;
	int hot_node, cold_node, keep;
	uint64_t rate;
	const int *cpus; /* the parent's (struct tier), read by the forked workload */
	int ncpus;
	char msg[160];
};

/* The filler of the demotion scenario (a child: the OOM killer would pick it). */
struct fill_ctl {
	_Atomic int state; /* 0 filling, 1 done, 2 failed */
	_Atomic uint64_t touched;
	char msg[160];
};

struct fill_arg {
	struct fill_ctl *ctl;
	size_t len;
	int node;
};

int tier_wl_main(void *v);
int tier_fill_main(void *v);

/* ---- shared state ------------------------------------------------------------------------ */

/* A set (hot or cold) in the workload process, and its sampled pages. */
struct set {
	char *p;
	size_t len;
	int start;  /* the node it was placed on */
	int fast;   /* the node of the cpus that touch it */
	int npages; /* sampled */
	void *addr[MAX_SAMPLE_PAGES];
	int status[MAX_SAMPLE_PAGES];
	struct nb_tier_page page[MAX_SAMPLE_PAGES];
	uint64_t total_pages;
};

struct tier {
	struct nb_ctx *ctx;
	int fast, slow, fast_tier, slow_tier;
	bool in_fast[NB_MAX_NODE_ID];
	int mem[NB_MAX_NODES], nmem;
	int *cpus, ncpus; /* the fast node's; owned by the bench's run */
	size_t hot_size, cold_size;
	uint64_t hot_rate, fill_margin, fill_max, scan_ms;
	double interval;
	int nsamples;
	struct nb_scan scan; /* numa_balancing and the scan tunables: before, lowered, restored */
};

struct trial {
	enum nb_tier_scenario scenario;
	int mode;
	const char *bound; /* baseline: "fast" / "slow", else NULL */
	bool demote;
	char label[64];
};

/* tier.c */
int tier_pick(const struct nb_ctx *ctx, struct tier *t, char *why, size_t len);
/* sample.c */
void tier_set_init(struct set *s, char *p, size_t len, int start, int fast);
int tier_set_query(const struct tier *t, pid_t pid, struct set *s, int per_node[NB_MAX_NODE_ID],
		   int *present);
int tier_set_count(const struct set *s, bool wasted);
json_t *tier_set_moves_json(const struct set *s, int *present, int *moved, int *elsewhere);
json_t *tier_nodes_json(const struct tier *t, const int per_node[NB_MAX_NODE_ID]);
json_t *tier_jreal(double v);
json_t *tier_vmstat_json(const struct nb_vmstat *d, json_t **missing);
/* trial.c */
enum nb_status tier_run_trial(struct tier *t, const struct trial *tr, json_t *cell);
/* knobs.c */
int tier_set_knob(const char *name, const char *value, char *err, size_t len);
void tier_knobs_begin(struct tier *t);
void tier_knobs_remember(json_t *knobs, const char *name);
void tier_knobs_restore(struct tier *t, json_t *knobs, json_t *run);
/* results.c */
void tier_scores(json_t *run);
void tier_headline(json_t *run, const struct tier *t);

#endif
