/* numabench: the run machinery: the job list, the bench loop (budget shares, counters,
 * affinity), knobs, the results file. The run context is context.c, the stdout summary
 * summary.c, `run --plan` runplan.c. */
#include "runner.h"
#include "affinity.h"
#include "calib.h"
#include "child.h"
#include "counters.h"
#include "crosscheck.h"
#include "paths.h"
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
	if (nb_ctx_prepare(&ctx, &topo, &caps, o))
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
	nb_run_summary(json_object_get(doc, "runs"), path);
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
