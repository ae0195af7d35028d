/* numabench: the run machinery: the context, the bench loop, knobs, the results file. */
#include "runner.h"
#include "affinity.h"
#include "calib.h"
#include "child.h"
#include "counters.h"
#include "crosscheck.h"
#include "memcg.h"
#include "paths.h"
#include "place.h"
#include "plan.h"
#include "results.h"
#include "stats.h"
#include "tunables.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef NB_DATADIR
#define NB_DATADIR "/usr/local/share/numabench"
#endif

int nb_run_add_job(struct nb_run_opts *o, const struct nb_bench *b, json_t *params, const char *src)
{
	char err[512];
	if (o->njobs >= NB_MAX_JOBS) {
		nb_err("too many benches in one run (at most %d)", NB_MAX_JOBS);
		return -1;
	}
	struct nb_job *j = &o->jobs[o->njobs];
	j->b = b;
	if (nb_params_init(&j->p, b, err, sizeof(err))) {
		nb_err("%s", err);
		return -1;
	}
	o->njobs++;
	const char *k;
	json_t *v;
	json_object_foreach(params, k, v)
	{
		char num[64];
		const char *val = json_string_value(v);
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			val = num;
		}
		if (!val) {
			nb_err("%s: %s.%s must be a string or an integer", src, b->name, k);
			return -1;
		}
		if (nb_params_set(&j->p, k, val, err, sizeof(err))) {
			nb_err("%s: %s", src, err);
			return -1;
		}
	}
	return 0;
}

void nb_run_free(struct nb_run_opts *o)
{
	for (int i = 0; i < o->njobs; i++)
		nb_params_free(&o->jobs[i].p);
	o->njobs = 0;
}

/* Why a named cpu cannot be used: the cpu's state, else the affinity. */
static const char *cpu_why(const struct nb_topo *t, int cpu)
{
	const char *st = nb_topo_cpu_state(t, cpu);
	return st ? st : "is not allowed by this process's cpuset or affinity";
}

static const char *node_why(const struct nb_topo *t, int node)
{
	return nb_topo_node(t, node) ? "is not allowed by the cgroup" : "does not exist";
}

/* A --cpus/--nodes value as a set within `usable` (printed as `valid`); NULL with one line on
 * stderr naming the bad value and what is valid. */
static struct bitmask *pick(const struct nb_ctx *ctx, enum nb_set_kind k, const char *arg,
			    const struct bitmask *usable, const char *valid)
{
	const bool cpus = k == NB_SET_CPUS;
	const char *opt = cpus ? "--cpus" : "--nodes", *what = cpus ? "cpu" : "node";
	const char *vname = cpus ? "allowed" : "valid nodes";
	char err[512];
	bool named;
	long bad;
	struct bitmask *b = nb_set_parse(k, arg, usable, &named, &bad, err, sizeof(err));
	if (!b && bad >= 0 && bad <= INT_MAX && !nb_set_has(usable, (int)bad)) {
		nb_err("%s %s: %s %ld %s (%s: %s)", opt, arg, what, bad,
		       cpus ? cpu_why(ctx->topo, (int)bad) : node_why(ctx->topo, (int)bad), vname,
		       valid);
		return NULL;
	}
	if (!b) {
		nb_err(
		    "%s %s: %s; expected numactl syntax like 0-3,5 or all or !1 or +0-1 (%s: %s)",
		    opt, arg, err, vname, valid);
		return NULL;
	}
	for (unsigned i = 0; i < b->size; i++) {
		if (!numa_bitmask_isbitset(b, i) || nb_set_has(usable, (int)i))
			continue;
		if (named) {
			nb_err("%s %s: %s %u %s (%s: %s)", opt, arg, what, i,
			       cpus ? cpu_why(ctx->topo, (int)i) : node_why(ctx->topo, (int)i),
			       vname, valid);
			numa_bitmask_free(b);
			return NULL;
		}
		numa_bitmask_clearbit(b, i); /* "all", "!": meant within the allowed set */
	}
	if (nb_set_count(b) == 0) {
		nb_err("%s %s: selects no %s this run may use (%s: %s)", opt, arg, what, vname,
		       valid);
		numa_bitmask_free(b);
		return NULL;
	}
	return b;
}

int nb_ctx_setup(struct nb_ctx *ctx, const char *nodes, const char *cpus)
{
	const struct nb_topo *t = ctx->topo;
	const struct nb_caps *c = ctx->caps;
	char err[512];
	int rc = -1;
	struct bitmask *unodes = nb_set_new(NB_MAX_NODE_ID),
		       *ucpus = nb_set_new((unsigned)(t->cpu_slots > 0 ? t->cpu_slots : 1));
	for (int i = 0; i < t->nnodes; i++)
		if (nb_set_has(c->allowed_nodes, t->nodes[i].id))
			numa_bitmask_setbit(unodes, (unsigned)t->nodes[i].id);
	for (unsigned i = 0; i < t->cpuset->size; i++)
		if (numa_bitmask_isbitset(t->cpuset, i) && nb_set_has(c->allowed_cpus, (int)i))
			numa_bitmask_setbit(ucpus, i);
	char *vn = nb_set_str(unodes), *vc = nb_set_str(ucpus);
	if (!vn || !vc) {
		nb_err("out of memory");
		goto out;
	}
	ctx->nodeset = nodes ? pick(ctx, NB_SET_NODES, nodes, unodes, vn) : nb_set_copy(unodes);
	ctx->cpuset = cpus ? pick(ctx, NB_SET_CPUS, cpus, ucpus, vc) : nb_set_copy(ucpus);
	if (!ctx->nodeset || !ctx->cpuset)
		goto out;
	ctx->nnodes =
	    nb_set_ids(ctx->nodeset, ctx->nodes, NB_MAX_NODES, NB_SET_NODES, err, sizeof(err));
	free(ctx->cpus);
	ctx->cpus = nb_xcalloc(nb_set_count(ctx->cpuset), sizeof(int));
	if (ctx->nnodes >= 0)
		ctx->ncpus = nb_set_ids(ctx->cpuset, ctx->cpus, (int)nb_set_count(ctx->cpuset),
					NB_SET_CPUS, err, sizeof(err));
	if (ctx->nnodes < 0 || ctx->ncpus < 0) {
		nb_err("%s", err);
		goto out;
	}
	rc = 0;
out:
	free(vn);
	free(vc);
	numa_bitmask_free(unodes);
	numa_bitmask_free(ucpus);
	return rc;
}

void nb_ctx_free(struct nb_ctx *ctx)
{
	numa_bitmask_free(ctx->cpuset);
	numa_bitmask_free(ctx->nodeset);
	free(ctx->cpus);
	ctx->cpus = NULL;
	ctx->cpuset = ctx->nodeset = NULL;
	ctx->ncpus = ctx->nnodes = 0;
}

static int check_output(const char *path)
{
	struct stat st;
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		nb_err("-o %s: is a symlink; refusing to write results through it", path);
		return -1;
	}
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		nb_err("-o %s: is a folder, expected a file name", path);
		return -1;
	}
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = 0; /* "/x.json" lives in "/" */
	else
		snprintf(dir, sizeof(dir), ".");
	if (access(dir, W_OK)) {
		nb_err("-o %s: folder %s is not writable: %s", path, dir, strerror(errno));
		return -1;
	}
	return 0;
}

const char *nb_bench_why(const struct nb_ctx *ctx, const struct nb_bench *b)
{
	int mem[NB_MAX_NODES];
	if ((b->req & NB_REQ_ROOT) && !ctx->caps->root)
		return "needs root";
	if ((b->req & NB_REQ_2NODES) && nb_ctx_mem_nodes(ctx, mem) < 2)
		return "needs at least 2 NUMA nodes with memory; this run has 1";
	if ((b->req & NB_REQ_BALANCING) && ctx->caps->numa_balancing < 0)
		return "kernel has no automatic NUMA balancing (CONFIG_NUMA_BALANCING)";
	if ((b->req & NB_REQ_DEBUGFS) && !ctx->caps->debugfs)
		return "debugfs is not mounted at /sys/kernel/debug";
	if ((b->req & NB_REQ_PMU) && !ctx->caps->pmu)
		return "no hardware PMU";
	return b->probe ? b->probe(ctx) : NULL;
}

/* Counters cover the whole bench run: opened on this thread with inherit before the bench
 * creates its threads and children, so their counts are included. The main thread's affinity
 * is put back after every bench: a bench that pins it (tier, gup) never leaves it to the next. */
static enum nb_status run_job(struct nb_ctx *ctx, struct nb_job *j, json_t *run)
{
	char err[512];
	const char *why = nb_bench_why(ctx, j->b);
	if (why) {
		nb_run_reason(run, "%s", why);
		return NB_SKIPPED;
	}
	struct nb_counters *c = nb_counters_new(ctx->events, err, sizeof(err));
	if (c) {
		nb_counters_open(c, 0, -1, true);
		nb_counters_start(c);
	}
	nb_crosscheck_attach(c);
	struct bitmask *aff = nb_affinity_save();
	enum nb_status st = j->b->run(ctx, &j->p, run);
	json_object_set_new(run, "affinity", nb_affinity_restore(aff));
	nb_crosscheck_attach(NULL);
	if (!c)
		return st;
	/* Reported per event; a counter that did not run all the time changes no status here:
	 * only a verdict that uses it does (the cross-checks'). */
	nb_counters_stop(c);
	json_object_set_new(run, "counters", nb_counters_json(c));
	nb_counters_free(c);
	return st;
}

static void set_knobs(const struct nb_run_opts *o, json_t *doc, int *fail)
{
	char err[512];
	for (int i = 0; i < o->nsets; i++) {
		if (strncmp(o->sets[i], "knob.", 5))
			continue;
		char name[64];
		const char *eq = strchr(o->sets[i], '=');
		snprintf(name, sizeof(name), "%.*s", (int)(eq - o->sets[i] - 5), o->sets[i] + 5);
		if (nb_tunable_set(nb_tunable_find(name), eq + 1, err, sizeof(err))) {
			nb_err("%s", err);
			*fail = 1;
			return;
		}
	}
	json_object_set_new(json_object_get(doc, "tunables"), "during", nb_tunables_json());
}

static const char *headline(json_t *run, char *buf, size_t len)
{
	json_t *ms = json_object_get(run, "metrics");
	const char *k;
	json_t *m;
	buf[0] = 0;
	if (json_is_string(json_object_get(run, "headline"))) {
		snprintf(buf, len, "%s", json_string_value(json_object_get(run, "headline")));
		return buf;
	}
	json_object_foreach(ms, k, m)
	{
		snprintf(buf, len, "%s %.4g %s", k, json_number_value(json_object_get(m, "median")),
			 json_string_value(json_object_get(m, "unit")));
		break;
	}
	return buf;
}

static void summary(json_t *runs)
{
	size_t i;
	json_t *r;
	printf("%-10s %-14s %-44s %s\n", "bench", "status", "headline (median)", "reason");
	json_array_foreach(runs, i, r)
	{
		char h[128];
		const char *reason = json_string_value(json_object_get(r, "reason"));
		printf("%-10s %-14s %-44s %s\n", json_string_value(json_object_get(r, "bench")),
		       json_string_value(json_object_get(r, "status")), headline(r, h, sizeof(h)),
		       reason ? reason : "");
	}
}

/* One line per untrustworthy cell (at most 20), then what to do next: a run whose figures are not
 * known says which and how to get them. */
static void untrustworthy_cells(json_t *runs, const char *path)
{
	size_t i, j;
	json_t *r, *c;
	int shown = 0, total = 0;
	const char *first = NULL;
	json_array_foreach(runs, i, r)
	{
		const char *b = json_string_value(json_object_get(r, "bench"));
		json_array_foreach(json_object_get(r, "cells"), j, c)
		{
			const char *st = json_string_value(json_object_get(c, "status"));
			if (!st || strcmp(st, nb_status_name(NB_UNTRUSTWORTHY)))
				continue;
			if (!total++) {
				printf("\nuntrustworthy cells (the figure is not known to the "
				       "precision the "
				       "rule asks for):\n");
				first = b;
			}
			if (shown >= 20)
				continue;
			char where[160] = "";
			size_t w = 0;
			const char *k;
			json_t *v;
			if (json_is_integer(json_object_get(c, "cpu_node")))
				w = snprintf(
				    where, sizeof(where), " cpu node %lld -> mem node %lld",
				    (long long)json_integer_value(json_object_get(c, "cpu_node")),
				    (long long)json_integer_value(json_object_get(c, "mem_node")));
			json_object_foreach(c, k, v)
			{
				if (w >= sizeof(where) - 1)
					break;
				if (json_is_string(v) && strcmp(k, "status") && strcmp(k, "reason"))
					w += snprintf(where + w, sizeof(where) - w, " %s=%s", k,
						      json_string_value(v));
				else if (json_is_integer(v) && !strcmp(k, "threads"))
					w += snprintf(where + w, sizeof(where) - w, " %s=%lld", k,
						      (long long)json_integer_value(v));
			}
			const char *why = json_string_value(json_object_get(c, "reason"));
			printf("  %-9s%s: %s\n", b, where, why ? why : "");
			shown++;
		}
	}
	if (!total)
		return;
	if (total > shown)
		printf("  ... and %d more (numabench report %s)\n", total - shown, path);
	printf("what to do next: run again with nothing else busy on this machine; take more "
	       "samples (numabench run %s --repeat 64); or accept a wider CI (--set "
	       "%s.ci_max=0.10). "
	       "The verdicts are in %s (cells[].status, cells[].reason).\n",
	       first, first, path);
}

/* The plan's estimate of a job (seconds), -1 when it has no plan or cannot run here. */
static double job_estimate(const struct nb_ctx *ctx, const struct nb_job *j)
{
	if (!j->b->plan || nb_bench_why(ctx, j->b))
		return -1;
	json_t *pl = j->b->plan(ctx, &j->p);
	double e = pl ? json_number_value(json_object_get(pl, "estimate_s")) : -1;
	json_decref(pl);
	return e;
}
/* The end of job i's share of the run's budget (0: no budget): the larger of its share of the
 * time left in proportion to the weights (estimates in seconds) and the run's end less what
 * the jobs after it are estimated to need. Weights of 0 (skipped benches) take nothing. */
static uint64_t budget_job_end(uint64_t t0, uint64_t end, const double *w, int i, int n)
{
	if (!end || t0 >= end)
		return end;
	double rest = 0, after = 0;
	for (int k = i; k < n; k++)
		rest += w[k];
	after = rest - w[i];
	double left = (double)(end - t0) / 1e9;
	double share = rest > 0 ? left * (w[i] / rest) : left;
	/* The later benches' estimates with 15% and 1 s kept for estimate error and the results
	 * file: a cell runs on to its next look after its share ends. */
	double reserve = after > 0 ? after * 1.15 + 1.0 : 0;
	if (left - reserve > share)
		share = left - reserve;
	return t0 + (uint64_t)(share * 1e9);
}

static int exec_jobs(struct nb_ctx *ctx, struct nb_run_opts *o, json_t *doc)
{
	json_t *runs = json_object_get(doc, "runs");
	enum nb_status worst = NB_OK;
	/* The budget counts from the process's start (start-up is inside it) and keeps back what
	 * the cross-bench checks, the results file, the summary and the exit take: 1% of it, 0.5
	 * to 2 s (0.24 s measured after a 6 s gup run on a 2-vCPU VM). */
	uint64_t start = nb_process_start_ns ? nb_process_start_ns : nb_now_ns();
	double tail = o->budget_s * 0.01 < 0.5 ? 0.5
		      : o->budget_s * 0.01 > 2 ? 2
					       : o->budget_s * 0.01;
	nb_budget_end_ns = o->budget_s > 0 ? start + (uint64_t)((o->budget_s - tail) * 1e9) : 0;
	/* Budget weights: each bench's estimate; a bench without one weighs the mean of the
	 * others' (1 when none has one). */
	double est[NB_MAX_JOBS], model[NB_MAX_JOBS], w[NB_MAX_JOBS], known = 0, total = 0;
	json_t *calib = nb_calib_load(nb_calib_dir()), *cinfo[NB_MAX_JOBS];
	int nknown = 0;
	for (int i = 0; i < o->njobs; i++) {
		model[i] = job_estimate(ctx, &o->jobs[i]);
		json_t *canon = nb_params_canonical(&o->jobs[i].p);
		cinfo[i] = NULL;
		est[i] = -1;
		if (!nb_bench_why(ctx, o->jobs[i].b))
			est[i] = nb_calib_estimate(calib, o->jobs[i].b->name, canon, model[i],
						   &cinfo[i]);
		json_decref(canon);
		if (est[i] > 0)
			known += est[i], nknown++;
		total += est[i] > 0 ? est[i] : 0;
	}
	/* A bench that will be skipped (too few nodes, no privilege) takes no share; one without an
	 * estimate takes the mean of the others'. */
	for (int i = 0; i < o->njobs; i++)
		w[i] = nb_bench_why(ctx, o->jobs[i].b) ? 0
		       : est[i] > 0		       ? est[i]
		       : nknown			       ? known / nknown
						       : 1;
	for (int i = 0; i < o->njobs; i++) {
		struct nb_job *j = &o->jobs[i];
		json_t *run =
		    json_pack("{s:s,s:o,s:o}", "bench", j->b->name, "params", nb_params_json(&j->p),
			      "params_canonical", nb_params_canonical(&j->p));
		enum nb_status st;
		if (j->b->identity)
			json_object_set_new(run, "identity", nb_identity_json(j->b));
		if (j->b->identity_records)
			json_object_set_new(run, "identity_records",
					    json_string(j->b->identity_records));
		if (j->b->headline)
			json_object_set_new(run, "headline_rule",
					    nb_headline_rule_json(j->b->headline));
		uint64_t t0 = nb_now_ns();
		/* Each bench gets a share of the time left in proportion to its estimate, or, when
		 * the estimates of the benches after it fit, everything but those (the slack goes
		 * to whoever needs it first, and a later bench still gets its estimate); what one
		 * leaves passes on. */
		nb_budget_job_end_ns = budget_job_end(t0, nb_budget_end_ns, w, i, o->njobs);
		nb_budget_cells_arm(NULL, 0);
		if (nb_interrupted) {
			st = NB_SKIPPED;
			nb_run_reason(run, "interrupted before it started");
		} else if (nb_budget_spent() && !nb_bench_why(ctx, j->b)) {
			st = NB_SKIPPED;
			nb_run_reason(run,
				      "budget: the run's time budget (%g s, from %s) was spent "
				      "before this bench",
				      o->budget_s, o->budget_from);
		} else {
			nb_progress("[%d/%d] %s", i + 1, o->njobs, j->b->name);
			st = run_job(ctx, j, run);
			nb_progress_done();
		}
		if (nb_interrupted && st == NB_OK) {
			st = NB_FAILED;
			nb_run_reason(run, "interrupted by a signal");
		}
		json_object_set_new(run, "status", json_string(nb_status_name(st)));
		json_object_set_new(run, "duration_s", json_real((nb_now_ns() - t0) / 1e9));
		json_object_set_new(run, "estimate_s",
				    est[i] >= 0 ? json_real(est[i]) : json_null());
		json_object_set_new(run, "estimate_model_s",
				    model[i] >= 0 ? json_real(model[i]) : json_null());
		if (cinfo[i])
			json_object_set_new(run, "calibration", cinfo[i]);
		json_array_append_new(runs, run);
		if (st != NB_SKIPPED && st > worst)
			worst = st;
	}
	/* Cross-bench checks, once every bench ran: whichever order the benches ran in, each
	 * sees the others' results (runs[i] is jobs[i]'s). */
	for (int i = 0; i < o->njobs; i++) {
		json_t *run = json_array_get(runs, (size_t)i);
		const char *s = json_string_value(json_object_get(run, "status"));
		if (o->jobs[i].b->compare && run && s && strcmp(s, nb_status_name(NB_SKIPPED)))
			o->jobs[i].b->compare(ctx, run, runs);
	}
	json_decref(calib);
	json_t *b = json_pack("{s:o,s:f,s:f}", "budget_s",
			      o->budget_s > 0 ? json_real(o->budget_s) : json_null(), "elapsed_s",
			      (nb_now_ns() - start) / 1e9, "estimate_s", total);
	if (o->budget_s > 0)
		json_object_set_new(b, "from", json_string(o->budget_from));
	json_object_set_new(doc, "budget", b);
	nb_budget_end_ns = nb_budget_job_end_ns = 0;
	nb_budget_cells_arm(NULL, 0);
	return worst == NB_FAILED	   ? NB_EXIT_FAILED
	       : worst == NB_UNTRUSTWORTHY ? NB_EXIT_UNTRUSTWORTHY
					   : NB_EXIT_OK;
}

const char *nb_run_replay_refusal(const struct nb_topo *t, char *why, size_t len)
{
	if (!t->replayed && !t->fsroot_replay)
		return NULL;
	snprintf(why, len,
		 "run: the topology is replayed (%s), not this machine: nothing can be measured "
		 "on it (unset NUMABENCH_TOPOLOGY and NUMABENCH_FSROOT; `topo` shows a replay)",
		 t->source);
	return why;
}

/* The context of a run or a plan: the sets, the counters asked for, every bench's parameters
 * validated against them; -1 with the message said (exit 2). ctx is always set (freeable). */
static int ctx_prepare(struct nb_ctx *ctx, struct nb_topo *topo, struct nb_caps *caps,
		       const struct nb_run_opts *o)
{
	char err[512];
	memset(ctx, 0, sizeof(*ctx));
	ctx->topo = topo;
	ctx->caps = caps;
	ctx->repeat = o->repeat;
	ctx->quick = o->quick;
	ctx->events = o->events;
	if (nb_ctx_setup(ctx, o->nodes, o->cpus))
		return -1;
	if (o->events) {
		struct nb_counters *c = nb_counters_new(o->events, err, sizeof(err));
		if (!c) {
			nb_err("--events: %s", err);
			return -1;
		}
		nb_counters_free(c);
	}
	for (int i = 0; i < o->njobs; i++) {
		if (nb_params_check(&o->jobs[i].p, err, sizeof(err))) {
			nb_err("%s", err);
			return -1;
		}
		if (o->jobs[i].b->validate &&
		    o->jobs[i].b->validate(ctx, &o->jobs[i].p, err, sizeof(err))) {
			nb_err("%s", err);
			return -1;
		}
	}
	return 0;
}

int nb_run_exec(struct nb_run_opts *o, int argc, char **argv)
{
	struct nb_topo topo;
	struct nb_caps caps;
	struct nb_ctx ctx;
	char err[512], path[PATH_MAX];
	int lrc = nb_topo_load(&topo);
	if (lrc)
		return nb_topo_exit_code(lrc);
	if (nb_run_replay_refusal(&topo, err, sizeof(err))) {
		nb_err("%s", err);
		nb_topo_free(&topo);
		return NB_EXIT_USAGE;
	}
	nb_caps_probe(&caps, &topo);
	/* Under QEMU TCG a timing is not a hardware measurement: the metrics say so. */
	if (nb_timing_detect(&caps, getenv("NUMABENCH_EMULATED"), err, sizeof(err))) {
		nb_err("%s", err);
		nb_caps_free(&caps);
		nb_topo_free(&topo);
		return NB_EXIT_USAGE;
	}
	nb_timing_emulated = caps.timing_emulated;
	nb_headline_topology(&topo);
	if (nb_timing_emulated)
		nb_info("%s", caps.timing_reason);
	/* A suite's budget is sized for hardware; emulated, only --budget applies. */
	if (nb_timing_emulated && o->budget_s > 0 && strcmp(o->budget_from, "--budget")) {
		nb_info("timings are emulated: suite %s's budget (%g s) does not apply (--budget "
			"does)",
			o->budget_from, o->budget_s);
		o->budget_s = 0;
	}
	int rc = NB_EXIT_USAGE;
	if (ctx_prepare(&ctx, &topo, &caps, o))
		goto out;
	if (o->out)
		snprintf(path, sizeof(path), "%s", o->out);
	else {
		mkdir("results", 0755);
		nb_result_default_path(path, sizeof(path));
	}
	if (check_output(path))
		goto out;
	json_t *doc = nb_result_new(&topo, &caps, argc, argv);
	json_t *tun = json_object_get(doc, "tunables");
	json_object_set_new(tun, "before", nb_tunables_json());
	int fail = 0;
	set_knobs(o, doc, &fail);
	/*
	 * Keep one counter set open for the whole run: the kernel enables software events and
	 * tracepoints through refcounted static keys, so per-bench open/close then never patches
	 * kernel text. Live text patching once oopsed a 6.12 TCG guest (int3 in __schedule at
	 * the perf_swevent_enabled key); this keeps the count of patches to one pair per run.
	 */
	char kerr[256];
	struct nb_counters *keep = nb_counters_new(ctx.events, kerr, sizeof(kerr));
	if (keep)
		nb_counters_open(keep, 0, -1, false);
	rc = fail ? NB_EXIT_ENV : exec_jobs(&ctx, o, doc);
	nb_counters_free(keep);
	nb_children_kill_all();
	if (nb_tunables_restore(false) < 0)
		rc = NB_EXIT_ENV;
	json_object_set_new(tun, "after", nb_tunables_json());
	if (nb_interrupted) {
		json_object_set_new(doc, "interrupted", json_true());
		rc = NB_EXIT_INTERRUPTED;
	}
	if (fail) {
		/* Nothing ran: keep whatever results file was there. */
		json_decref(doc);
		goto out;
	}
	summary(json_object_get(doc, "runs"));
	untrustworthy_cells(json_object_get(doc, "runs"), path);
	if (nb_result_write(path, doc, err, sizeof(err))) {
		nb_err("%s", err);
		rc = NB_EXIT_ENV;
	} else {
		fprintf(stderr, "numabench: results written to %s\n", path);
	}
	json_decref(doc);
out:
	nb_headline_topology(NULL);
	nb_ctx_free(&ctx);
	nb_caps_free(&caps);
	nb_topo_free(&topo);
	return rc;
}

/* ---- run --plan ---- */

/* The counters a bench run opens: the run's set (each event, its kind, what it needs and its
 * group on this host's PMU: nb_counters_plan); *groups: the grouping itself (the PMU, rotate,
 * groups, ...) without the events. */
static json_t *plan_counters(const struct nb_ctx *ctx, json_t **groups)
{
	char err[256];
	struct nb_counters *c = nb_counters_new(ctx->events, err, sizeof(err));
	json_t *g = nb_counters_plan(c, NULL), *a = json_incref(json_object_get(g, "events"));
	json_object_del(g, "events");
	*groups = g;
	nb_counters_free(c);
	return a ? a : json_array();
}

json_t *nb_plan_doc(const struct nb_ctx *ctx, struct nb_run_opts *o)
{
	json_t *benches = json_array();
	double total = 0;
	/* A replay is another machine: this host's results say nothing of its costs. */
	json_t *calib = ctx->topo->replayed || ctx->topo->fsroot_replay
			    ? json_array()
			    : nb_calib_load(nb_calib_dir());
	for (int i = 0; i < o->njobs; i++) {
		const struct nb_job *j = &o->jobs[i];
		json_t *b =
		    json_pack("{s:s,s:o}", "bench", j->b->name, "params", nb_params_json(&j->p));
		const char *why = nb_bench_why(ctx, j->b);
		json_t *pl = !why && j->b->plan ? j->b->plan(ctx, &j->p) : NULL;
		if (why) {
			json_object_set_new(b, "status", json_string("skipped"));
			json_object_set_new(b, "reason", json_string(why));
		} else if (!pl) {
			json_object_set_new(b, "status", json_string("no_plan"));
			json_object_set_new(b, "reason",
					    json_string("this bench does not publish a plan: its "
							"cells are decided while it runs"));
		} else {
			json_object_set_new(b, "status", json_string("planned"));
			json_object_update(b, pl);
		}
		if (!why) {
			json_t *canon = nb_params_canonical(&j->p), *info;
			double m = pl ? json_number_value(json_object_get(pl, "estimate_s")) : -1;
			double e = nb_calib_estimate(calib, j->b->name, canon, m, &info);
			json_decref(canon);
			json_object_set_new(b, "estimate_model_s",
					    m >= 0 ? json_real(m) : json_null());
			json_object_set_new(b, "estimate_s", e >= 0 ? json_real(e) : json_null());
			if (info)
				json_object_set_new(b, "calibration", info);
			total += e > 0 ? e : 0;
		}
		if (pl) {
			json_t *groups;
			json_object_set_new(b, "counters", plan_counters(ctx, &groups));
			json_object_set_new(b, "counter_groups", groups);
		}
		json_decref(pl);
		json_array_append_new(benches, b);
	}
	json_decref(calib);
	json_t *nodes = json_array(), *cpus = json_array();
	for (int i = 0; i < ctx->nnodes; i++)
		json_array_append_new(nodes, json_integer(ctx->nodes[i]));
	for (int i = 0; i < ctx->ncpus; i++)
		json_array_append_new(cpus, json_integer(ctx->cpus[i]));
	/* The tunables the run would set (--set knob.NAME=VALUE): listed, never applied. */
	json_t *knobs = json_object();
	for (int i = 0; i < o->nsets; i++) {
		const char *eq = strchr(o->sets[i], '=');
		if (strncmp(o->sets[i], "knob.", 5) || !eq)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - o->sets[i] - 5), o->sets[i] + 5);
		json_object_set_new(knobs, name, json_string(eq + 1));
	}
	return json_pack("{s:s,s:b,s:o,s:o,s:o,s:o,s:f}", "schema", "numabench.plan/1", "replayed",
			 ctx->topo->replayed, "nodes", nodes, "cpus", cpus, "benches", benches,
			 "knobs", knobs, "estimate_s", total);
}

static void plan_print(json_t *doc)
{
	size_t i, j, k;
	json_t *b, *c, *e;
	json_array_foreach(json_object_get(doc, "benches"), i, b)
	{
		printf("%s: %s", json_string_value(json_object_get(b, "bench")),
		       json_string_value(json_object_get(b, "status")));
		if (json_object_get(b, "reason"))
			printf(" (%s)", json_string_value(json_object_get(b, "reason")));
		json_t *cells = json_object_get(b, "cells"),
		       *cal = json_object_get(b, "calibration");
		if (cells)
			printf(", %zu cells", json_array_size(cells));
		if (json_is_number(json_object_get(b, "estimate_s")))
			printf(", about %.1f s",
			       json_number_value(json_object_get(b, "estimate_s")));
		if (cal)
			printf(" (%s %.1f s measured in %s)", cells ? "scaled to the" : "as the",
			       json_number_value(json_object_get(cal, "measured_s")),
			       json_string_value(json_object_get(cal, "file")));
		printf("\n");
		json_array_foreach(cells, j, c)
		{
			char sz[32];
			nb_fmt_size((uint64_t)json_integer_value(json_object_get(c, "bytes")), sz,
				    sizeof(sz));
			printf("  ");
			const char *key;
			json_t *v;
			json_object_foreach(c, key, v)
			{
				if (json_is_integer(v) && strcmp(key, "bytes") &&
				    strcmp(key, "size_bytes"))
					printf("%s=%lld ", key, (long long)json_integer_value(v));
				else if (json_is_string(v))
					printf("%s=%s ", key, json_string_value(v));
			}
			printf("bytes=%s cpus=", sz);
			json_array_foreach(json_object_get(c, "cpus"), k, e)
			    printf("%s%lld(%s)", k ? "," : "",
				   (long long)json_integer_value(json_object_get(e, "cpu")),
				   json_string_value(json_object_get(e, "role")));
			json_t *r = json_object_get(c, "size_rule");
			if (r)
				printf(" size_rule=%s%s",
				       json_string_value(json_object_get(r, "rule")),
				       json_is_true(json_object_get(r, "capped")) ? " (capped)"
										  : "");
			printf("\n");
		}
		const char *node;
		json_t *v;
		json_object_foreach(json_object_get(b, "memory_per_node"), node, v)
		{
			char sz[32];
			nb_fmt_size((uint64_t)json_integer_value(v), sz, sizeof(sz));
			printf("  memory on node %s: %s\n", node, sz);
		}
	}
	const char *kn;
	json_t *kv;
	json_object_foreach(json_object_get(doc, "knobs"), kn, kv)
	    printf("would set %s=%s (not applied by --plan)\n", kn, json_string_value(kv));
	printf("total: about %.1f s\n", json_number_value(json_object_get(doc, "estimate_s")));
}

int nb_run_plan(struct nb_run_opts *o)
{
	struct nb_topo topo;
	struct nb_caps caps;
	struct nb_ctx ctx;
	if (o->out) {
		nb_err(
		    "--plan writes no file (it prints the plan; --json > FILE keeps it): drop -o "
		    "%s",
		    o->out);
		return NB_EXIT_USAGE;
	}
	int lrc = nb_topo_load(&topo);
	if (lrc)
		return nb_topo_exit_code(lrc);
	nb_caps_probe(&caps, &topo);
	int rc = NB_EXIT_USAGE;
	if (ctx_prepare(&ctx, &topo, &caps, o))
		goto out;
	json_t *doc = nb_plan_doc(&ctx, o);
	if (o->json) {
		char *txt = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
		printf("%s\n", txt ? txt : "null");
		free(txt);
	} else {
		plan_print(doc);
	}
	json_decref(doc);
	rc = NB_EXIT_OK;
out:
	nb_ctx_free(&ctx);
	nb_caps_free(&caps);
	nb_topo_free(&topo);
	return rc;
}

/* ---- context helpers used by benches ---- */

static bool ctx_has_node(const struct nb_ctx *ctx, int id)
{
	for (int i = 0; i < ctx->nnodes; i++)
		if (ctx->nodes[i] == id)
			return true;
	return false;
}

int nb_ctx_mem_nodes(const struct nb_ctx *ctx, int *out)
{
	int n = 0;
	for (int i = 0; i < ctx->topo->nnodes; i++) {
		const struct nb_node *nd = &ctx->topo->nodes[i];
		if (nd->memory_bytes > 0 && ctx_has_node(ctx, nd->id))
			out[n++] = nd->id;
	}
	return n;
}

int nb_ctx_node_cpus(const struct nb_ctx *ctx, int node, int *out)
{
	const struct nb_node *nd = nb_topo_node(ctx->topo, node);
	int n = 0;
	for (int c = 0; nd && c < nd->ncpus; c++)
		if (nb_set_has(ctx->cpuset, nd->cpus[c])) {
			if (out)
				out[n] = nd->cpus[c];
			n++;
		}
	return n;
}

int *nb_ctx_cpu_list(const struct nb_ctx *ctx)
{
	return nb_xcalloc((size_t)ctx->ncpus, sizeof(int));
}

int nb_ctx_node_one_cpu(const struct nb_ctx *ctx, int node)
{
	int *cpus = nb_ctx_cpu_list(ctx);
	int one = nb_place_one_cpu(cpus, nb_ctx_node_cpus(ctx, node, cpus));
	free(cpus);
	return one;
}

int nb_ctx_cpu_nodes(const struct nb_ctx *ctx, int *out)
{
	int n = 0;
	for (int i = 0; i < ctx->topo->nnodes; i++) {
		int id = ctx->topo->nodes[i].id;
		if (ctx_has_node(ctx, id) && nb_ctx_node_cpus(ctx, id, NULL) > 0)
			out[n++] = id;
	}
	return n;
}

int nb_ctx_check_mem(const struct nb_ctx *ctx, uint64_t bytes, const char *what, char *err,
		     size_t errlen)
{
	int mem[NB_MAX_NODES], n = nb_ctx_mem_nodes(ctx, mem);
	/* A replay (run --plan): the replayed node's size; this machine's cgroup is not its. */
	bool replay = ctx->topo->replayed || ctx->topo->fsroot_replay;
	for (int i = 0; i < n; i++) {
		const struct nb_node *nd = nb_topo_node(ctx->topo, mem[i]);
		uint64_t fr = replay ? (nd ? nd->memory_bytes : 0) : nb_node_free_bytes(mem[i]);
		if (fr && bytes > fr) {
			char a[32], b[32];
			nb_fmt_size(bytes, a, sizeof(a));
			snprintf(b, sizeof(b), "%.1fM", fr / 1048576.0);
			snprintf(err, errlen,
				 "%s=%s is larger than node %d's free memory (%s); valid: a size "
				 "below that",
				 what, a, mem[i], b);
			return -1;
		}
	}
	struct nb_memcg m;
	if (!replay && nb_memcg_headroom(&m) != UINT64_MAX && bytes + NB_MEM_SLACK > m.headroom) {
		char a[32], l[32], u[32], h[32], s[32];
		nb_fmt_size(bytes, a, sizeof(a));
		snprintf(l, sizeof(l), "%.1fM", m.limit / 1048576.0);
		snprintf(u, sizeof(u), "%.1fM", m.usage / 1048576.0);
		snprintf(h, sizeof(h), "%.1fM",
			 m.headroom > NB_MEM_SLACK ? (m.headroom - NB_MEM_SLACK) / 1048576.0 : 0.0);
		snprintf(s, sizeof(s), "%lluM", (unsigned long long)(NB_MEM_SLACK >> 20));
		snprintf(err, errlen,
			 "%s=%s does not fit in memory cgroup %s (limit %s, in use %s, plus %s for "
			 "numabench itself); valid: a size below %s",
			 what, a, m.cgroup, l, u, s, h);
		return -1;
	}
	return 0;
}
