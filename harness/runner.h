/* numabench: the run machinery: a list of jobs (bench + parameters) run under one context, the
 * tunables journaled and put back, the results file written. The command line that builds the
 * list (suites, --set, targets) is cli/cmd_run.c; this file knows no bench by name. */
#ifndef NB_RUNNER_H
#define NB_RUNNER_H

#include "bench.h"
#include "paths.h" /* nb_configs_dir */

#define NB_MAX_JOBS 64
#define NB_MAX_SETS 64

struct nb_job {
	const struct nb_bench *b;
	struct nb_params p;
};

struct nb_run_opts {
	const char *out;
	int repeat;
	bool quick;
	const char *sets[NB_MAX_SETS]; /* as given; knob.* ones are applied by nb_run_exec */
	int nsets;
	const char *nodes, *cpus, *events;
	bool plan, json; /* --plan: print the plan (--json: as numabench.plan/1), run nothing */
	struct nb_job jobs[NB_MAX_JOBS];
	int njobs;
	double budget_s;	 /* --budget, else the first suite's "budget"; 0: none */
	const char *budget_from; /* "--budget" or the suite's name */
};

/* Append a job for bench b with params (an object of string or integer values; src names the
 * origin in messages). 0, or -1 after one error line. */
int nb_run_add_job(struct nb_run_opts *o, const struct nb_bench *b, json_t *params,
		   const char *src);
void nb_run_free(struct nb_run_opts *o);
/* Why bench b cannot run in ctx (its declared requirements, then its probe), or NULL. */
const char *nb_bench_why(const struct nb_ctx *ctx, const struct nb_bench *b);
/* Why a run cannot measure on topology t, or NULL: a replayed topology (NUMABENCH_TOPOLOGY,
 * NUMABENCH_FSROOT) is another machine's, and its cpus and nodes are not this one's. A
 * placement-only plan (which measures nothing) is the one caller that may skip this check. */
const char *nb_run_replay_refusal(const struct nb_topo *t, char *why, size_t len);
/* Run the jobs; argc/argv is the command line recorded in the results. An nb_exit code
 * (NB_EXIT_USAGE, before anything runs or is written, on a replayed topology). */
int nb_run_exec(struct nb_run_opts *o, int argc, char **argv);
/* `run --plan`: every bench's plan on this topology (a replay included), printed; nothing runs,
 * no tunable changes, no results file is written. An nb_exit code. */
int nb_run_plan(struct nb_run_opts *o);
/* The plan document of the jobs under ctx ("schema": "numabench.plan/1"). */
json_t *nb_plan_doc(const struct nb_ctx *ctx, struct nb_run_opts *o);
/* The context of a run or a plan (context.c): the sets, the counters asked for, every bench's
 * parameters validated against them; -1 with the message said (exit 2). ctx is always set
 * (freeable). */
int nb_ctx_prepare(struct nb_ctx *ctx, struct nb_topo *topo, struct nb_caps *caps,
		   const struct nb_run_opts *o);
/* On stdout once a run ended (summary.c): a line per bench, then the untrustworthy cells of
 * runs and what to do next (path: the results file). */
void nb_run_summary(json_t *runs, const char *path);

#endif
