/* numabench bench `balance`: results. Owns the per-repetition and per-mode figures (medians
 * over repetitions), the metrics, the headline, and the JSON text that describes the method
 * and the rules. */
#include "balance/balance.h"
#include "stats.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

double bal_median(const double *v, int n)
{
	struct nb_summary s;
	nb_summarize(v, n, &s);
	return s.median;
}

json_t *bal_jreal(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

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
		const struct trial *tr = bal_trial_of(b, si, r);
		if (bal_measured(tr) && isfinite(field_of(tr, m)))
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
		json_object_set_new(o, mdefs[i].key, bal_jreal(field_of(tr, &mdefs[i])));
	json_object_set_new(o, "initial_share", bal_jreal(tr->share0));
	if (b->cfg.thp)
		json_object_set_new(o, "thp_share", bal_jreal(tr->thp_share));
	if (tr->break_even_how)
		json_object_set_new(o, "break_even_method", json_string(tr->break_even_how));
	if (!bal_measured(tr))
		return o;
	json_object_set_new(o, "vmstat", nb_vmstat_json(&tr->d));
	json_object_set_new(o, "cross_check", bal_cross_check(tr));
	for (int e = 0; e < 4 && tr->tp_ok; e++)
		json_object_set_new(o, bal_tp_keys[e], nb_json_count(tr->tp[e]));
	return o;
}

/* Median over measured repetitions of a vmstat field, as an integer. */
static json_t *vm_median(struct bal *b, int si, int field)
{
	double v[64];
	int n = 0;
	for (int r = 0; r < b->reps && n < 64; r++) {
		const struct trial *tr = bal_trial_of(b, si, r);
		if (bal_measured(tr) && tr->d.v[field] >= 0)
			v[n++] = (double)tr->d.v[field];
	}
	return n ? json_integer((json_int_t)llround(bal_median(v, n))) : json_null();
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
			json_object_set_new(m, mdefs[i].key,
					    n ? bal_jreal(bal_median(v, n)) : json_null());
	}
	for (size_t i = 0; i < sizeof(vm) / sizeof(vm[0]); i++)
		json_object_set_new(m, vm[i].key, vm_median(b, si, vm[i].field));
	for (int r = 0; r < b->reps; r++) {
		const struct trial *tr = bal_trial_of(b, si, r);
		json_t *cc = bal_measured(tr) ? bal_cross_check(tr) : NULL;
		meas += bal_measured(tr);
		conv += bal_measured(tr) && isfinite(tr->conv);
		agree += cc && json_is_true(json_object_get(cc, "agree"));
		json_decref(cc);
	}
	/* converged only when every measured repetition converged; convergence_s is then the
	 * median, else null ("never" within duration_s) */
	if (conv < meas || !meas)
		json_object_set_new(m, "convergence_s", json_null());
	json_object_set_new(m, "converged", json_boolean(nb_bal_mode_converged(conv, meas)));
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
		struct trial *tr = bal_trial_of(b, si, r);
		if (!tr->ran)
			continue; /* not reached (interrupted) */
		json_array_append_new(reps, rep_json(b, tr));
		if (tr->st > worst || (tr->st != NB_OK && !reason)) {
			worst = tr->st > worst ? tr->st : worst;
			reason = tr->reason;
		}
		if (!timeline && bal_measured(tr))
			timeline = json_incref(tr->timeline);
	}
	json_t *m = json_pack("{s:s,s:s,s:b,s:i,s:i,s:i,s:s}", "variant", s->variant, "placement",
			      bal_place_names[s->place], "threads_pinned", !s->free_move,
			      "balancing", s->mode, "cpu_node", b->node_a, "mem_node",
			      bal_spec_mem_node(b, s), "status", nb_status_name(worst));
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

/* The headline: the first remote mode with balancing on, its convergence. */
const struct nb_headline_rule bal_headline_rule = {.records = "modes",
						   .metric = "convergence_s",
						   .where = "placement=remote balancing!=0",
						   .text = "remote, balancing on"};

static void headline(struct bal *b, json_t *run, json_t *modes)
{
	size_t i;
	json_t *m;
	json_array_foreach(modes, i, m)
	{
		json_int_t mode = json_integer_value(json_object_get(m, "balancing"));
		if (!nb_fields_match(m, bal_headline_rule.where))
			continue;
		json_t *c = json_object_get(m, bal_headline_rule.metric);
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

enum nb_status bal_report(struct bal *b, json_t *run)
{
	json_t *modes = json_array();
	enum nb_status worst = NB_OK;
	int bad = 0, total = 0;
	for (int si = 0; si < b->nspecs; si++)
		for (int r = 0; r < b->reps; r++)
			bal_derive_one(b, si, r);
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

void bal_describe(struct bal *b, json_t *run)
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
