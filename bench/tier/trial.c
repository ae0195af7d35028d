/* numabench bench `tier`: one trial. Owns the trial's sequence: the numa_balancing mode (and
 * demotion_enabled), the workload process (spawn, wait until ready, stop, reap), the filler of
 * the demotion scenario, the sampling loop and its timeline (placement of both sets, vmstat
 * deltas), and the trial's cell: counts, time to home, accuracy, metrics, the buffer's own
 * moves (what the controls are judged by) and status (the rules are rules.c's). */
#include "tier/tier.h"
#include "child.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define READY_TIMEOUT_NS (300 * SEC)
#define STOP_TIMEOUT_NS (20 * SEC)

/* What the sampling loop leaves behind. */
struct loop {
	struct nb_vmstat v0, vlast;
	json_t *tl;
	json_t *first[2],
	    *last[2]; /* per-node pages of the hot and cold sets: first, last sample */
	double home, hot_share;
	uint64_t bytes_home, fill_len, fill_done_ns, t0;
	struct fill_ctl *fc;
	pid_t fpid;
	int qerr;
};

static struct set hot, cold;

/* Spawn the workload and wait until its sets are placed; NULL (reason in cell) on failure. */
static struct wl *start_workload(const struct tier *t, const struct trial *tr, json_t *cell,
				 pid_t *pid)
{
	bool baseline = tr->bound != NULL;
	struct wl *w =
	    mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		nb_run_reason(cell, "mmap: %s", strerror(errno));
		return NULL;
	}
	memset(w, 0, sizeof(*w));
	*w = (struct wl){.hot_len = t->hot_size,
			 .cold_len = t->cold_size,
			 .hot_node = baseline && !strcmp(tr->bound, "fast") ? t->fast : t->slow,
			 .cold_node = tr->demote ? t->fast : t->slow,
			 .keep = baseline,
			 .rate = t->hot_rate,
			 .cpus = t->cpus,
			 .ncpus = t->ncpus};
	*pid = nb_child_spawn(tier_wl_main, w);
	uint64_t ready_end = nb_now_ns() + READY_TIMEOUT_NS;
	while (*pid > 0 && atomic_load(&w->state) == 0 && !nb_child_gone(*pid) && !nb_interrupted &&
	       nb_now_ns() < ready_end)
		usleep(2000);
	if (*pid < 0 || atomic_load(&w->state) != 1) {
		nb_run_reason(cell, "workload setup failed: %s",
			      *pid < 0			    ? strerror(errno)
			      : atomic_load(&w->state) == 2 ? w->msg
							    : "the process exited, hung or was "
							      "interrupted before it was ready");
		if (*pid > 0)
			nb_child_kill(*pid);
		munmap(w, sizeof(*w));
		return NULL;
	}
	return w;
}

/* The timeline: a sample every interval until the trial's end (the demotion trial goes on
 * until the filler is done or gone, then a full duration). */
static void sample_loop(const struct tier *t, const struct trial *tr, pid_t pid, struct wl *w,
			struct loop *L)
{
	uint64_t dur_ns = (uint64_t)((double)t->nsamples * t->interval * 1e9);
	bool fc_ok = L->fc && L->fc != MAP_FAILED;
	nb_vmstat_read(&L->v0);
	L->vlast = L->v0;
	L->t0 = nb_now_ns();
	for (int i = 0; !nb_interrupted; i++) {
		uint64_t now = nb_now_ns() - L->t0;
		bool filling = tr->demote && fc_ok && L->fpid > 0 && !L->fill_done_ns &&
			       !nb_child_gone(L->fpid) && now < FILL_TIMEOUT_NS;
		uint64_t end = tr->demote && L->fill_done_ns ? L->fill_done_ns + dur_ns : dur_ns;
		if (i > 0 && now >= end && !filling)
			break;
		uint64_t due = L->t0 + (uint64_t)((double)i * t->interval * 1e9);
		while (nb_now_ns() < due && !nb_interrupted)
			usleep(2000);
		if (tr->demote && i == 1 && fc_ok) {
			static struct fill_arg fa;
			fa = (struct fill_arg){.ctl = L->fc, .len = L->fill_len, .node = t->fast};
			L->fpid = nb_child_spawn(tier_fill_main, &fa);
		}
		double ts = (double)(nb_now_ns() - L->t0) / 1e9;
		int hn[NB_MAX_NODE_ID] = {0}, cn[NB_MAX_NODE_ID] = {0}, hpres = 0, cpres = 0;
		int hf = tier_set_query(t, pid, &hot, hn, &hpres),
		    cf = tier_set_query(t, pid, &cold, cn, &cpres);
		if (hf < 0 || cf < 0) {
			L->qerr = errno;
			break;
		}
		struct nb_vmstat vs, d;
		nb_vmstat_read(&vs);
		L->vlast = vs;
		nb_vmstat_delta(&L->v0, &vs, &d);
		L->hot_share = nb_tier_share(hf, hpres);
		if (isnan(L->home) && nb_tier_home(L->hot_share)) {
			L->home = ts;
			L->bytes_home = atomic_load(&w->bytes);
		}
		json_t *nodes[2] = {tier_nodes_json(t, hn), tier_nodes_json(t, cn)};
		for (int k = 0; k < 2; k++) {
			if (!L->first[k])
				L->first[k] = json_deep_copy(nodes[k]);
			json_decref(L->last[k]);
			L->last[k] = json_deep_copy(nodes[k]);
		}
		json_t *s = json_pack("{s:f,s:o,s:o,s:f,s:f}", "t_s", ts, "hot", nodes[0], "cold",
				      nodes[1], "hot_fast_share", L->hot_share, "cold_fast_share",
				      nb_tier_share(cf, cpres));
		json_object_set_new(s, "pgpromote_success",
				    nb_json_count(d.v[NB_VM_pgpromote_success]));
		json_object_set_new(s, "pgpromote_candidate",
				    nb_json_count(d.v[NB_VM_pgpromote_candidate]));
		int64_t dk = d.v[NB_VM_pgdemote_kswapd], dd = d.v[NB_VM_pgdemote_direct];
		json_object_set_new(s, "pgdemote", nb_json_count(dk < 0 || dd < 0 ? -1 : dk + dd));
		json_object_set_new(s, "numa_pages_migrated",
				    nb_json_count(d.v[NB_VM_numa_pages_migrated]));
		if (fc_ok)
			json_object_set_new(s, "filler_bytes",
					    json_integer((json_int_t)atomic_load(&L->fc->touched)));
		if (json_array_size(L->tl) < MAX_TIMELINE)
			json_array_append_new(L->tl, s);
		else
			json_decref(s);
		if (fc_ok && !L->fill_done_ns && atomic_load(&L->fc->state) == 1)
			L->fill_done_ns = nb_now_ns() - L->t0;
	}
}

/* Stop and reap the workload; true when it had died before (the OOM killer?). */
static bool stop_workload(pid_t pid, struct wl *w)
{
	bool died = nb_child_gone(pid);
	atomic_store(&w->stop, 1);
	uint64_t stop_end = nb_now_ns() + STOP_TIMEOUT_NS;
	while (!nb_child_gone(pid) && nb_now_ns() < stop_end)
		usleep(2000);
	if (nb_child_gone(pid))
		nb_child_wait(pid);
	else
		nb_child_kill(pid);
	munmap(w, sizeof(*w));
	return died;
}

/* The filler: what happened to it, in filler; false when it never started. */
static bool filler_end(struct loop *L, json_t *filler)
{
	bool ok = L->fc && L->fc != MAP_FAILED && L->fpid >= 0;
	if (!ok) {
		json_object_set_new(filler, "error", json_string("could not start the filler"));
	} else {
		int fs = atomic_load(&L->fc->state);
		json_object_set_new(filler, "touched_bytes",
				    json_integer((json_int_t)atomic_load(&L->fc->touched)));
		json_object_set_new(filler, "completed", json_boolean(fs == 1));
		json_object_set_new(filler, "completed_s",
				    L->fill_done_ns ? json_real((double)L->fill_done_ns / 1e9)
						    : json_null());
		if (fs == 2)
			json_object_set_new(filler, "error", json_string(L->fc->msg));
		/* a filler gone before the end was killed (the OOM killer: reclaim could not
		 * make room on the fast node) */
		json_object_set_new(filler, "died_before_end",
				    json_boolean(nb_child_gone(L->fpid)));
		nb_child_kill(L->fpid);
	}
	if (L->fc && L->fc != MAP_FAILED)
		munmap(L->fc, sizeof(*L->fc));
	return ok;
}

/* The cell's counts, time to home, accuracy and metrics. */
static void trial_results(json_t *cell, const struct loop *L, const struct nb_vmstat *d,
			  double elapsed, uint64_t bytes)
{
	json_t *missing = NULL;
	json_object_set_new(cell, "vmstat", tier_vmstat_json(d, &missing));
	if (missing)
		json_object_set_new(cell, "vmstat_missing", missing);
	json_object_set_new(cell, "timeline", L->tl);
	int hot_wasted = tier_set_count(&hot, true), cold_wasted = tier_set_count(&cold, true);
	int cold_promoted = tier_set_count(&cold, false);
	int hot_promoted = tier_set_count(&hot, false);
	json_object_set_new(cell, "hot_promoted_pages",
			    json_real(nb_tier_scale(hot_promoted, hot.npages, hot.total_pages)));
	json_object_set_new(cell, "cold_promoted_pages",
			    json_real(nb_tier_scale(cold_promoted, cold.npages, cold.total_pages)));
	json_object_set_new(cell, "cold_promoted_share",
			    json_real(cold.npages ? (double)cold_promoted / cold.npages : 0));
	json_object_set_new(cell, "promoted_then_demoted_pages",
			    json_real(nb_tier_scale(hot_wasted, hot.npages, hot.total_pages) +
				      nb_tier_scale(cold_wasted, cold.npages, cold.total_pages)));
	double home = L->home, acc = L->hot_share;
	json_object_set_new(cell, "home", json_boolean(isfinite(home)));
	json_object_set_new(cell, "time_to_home_s", tier_jreal(home));
	json_object_set_new(cell, "accuracy", tier_jreal(acc));
	double thr = nb_tier_mbps(bytes, elapsed);
	double thr_home = nb_tier_mbps_after_home(bytes, L->bytes_home, elapsed, home);
	json_t *m = json_object();
	json_object_set_new(m, "accuracy", nb_metric("ratio", "higher", &acc, 1));
	if (isfinite(home))
		json_object_set_new(m, "time_to_home_s", nb_metric("s", "lower", &home, 1));
	if (isfinite(thr))
		json_object_set_new(m, "hot_MBps", nb_metric("MB/s", "higher", &thr, 1));
	if (isfinite(thr_home))
		json_object_set_new(m, "hot_MBps_after_home",
				    nb_metric("MB/s", "higher", &thr_home, 1));
	double mbps = nb_tier_promote_mbps(d->v[NB_VM_pgpromote_success],
					   (size_t)sysconf(_SC_PAGESIZE), home, elapsed);
	if (!isnan(mbps))
		json_object_set_new(m, "promote_MBps", nb_metric("MB/s", "higher", &mbps, 1));
	json_object_set_new(cell, "metrics", m);
}

/* The buffer's own pages (cell["buffer_pages"]): per set the node it was placed on, the sampled
 * pages present, per node at the first and the last sample, and how many were seen off their
 * node (elsewhere: not on the fast node either); the counts into o. The controls also get
 * cell["control"]: the rule they are judged by, with the system-wide counters as context. */
static void buffer_evidence(const struct tier *t, const struct trial *tr, json_t *cell,
			    struct loop *L, const struct nb_vmstat *d, struct nb_tier_outcome *o)
{
	int present[2], moved[2], elsewhere[2];
	json_t *b =
	    json_pack("{s:s,s:i}", "source",
		      "move_pages(2) query (no hinting fault) of the sampled pages at every "
		      "sample",
		      "fast_node", t->fast);
	for (int k = 0; k < 2; k++) {
		json_t *m =
		    tier_set_moves_json(k ? &cold : &hot, &present[k], &moved[k], &elsewhere[k]);
		json_object_set_new(m, "first", L->first[k] ? L->first[k] : json_null());
		json_object_set_new(m, "last", L->last[k] ? L->last[k] : json_null());
		L->first[k] = L->last[k] = NULL;
		json_object_set_new(b, k ? "cold" : "hot", m);
	}
	json_object_set_new(cell, "buffer_pages", b);
	o->buf_present = present[0] + present[1];
	o->hot_moved = moved[0];
	o->cold_moved = moved[1];
	o->moved_elsewhere = elsewhere[0] + elsewhere[1];
	if (tr->mode != 0 && tr->mode != 1)
		return;
	json_object_set_new(
	    cell, "control",
	    json_pack("{s:s,s:s,s:o,s:o,s:s}", "judged_by", "buffer_pages", "rule",
		      tr->mode == 0 ? "no sampled page of either set leaves the node it was "
				      "placed on"
				    : "no sampled cold page moves (untouched since first touch); a "
				      "hot page only to the fast node (normal balancing's target, "
				      "the node of the cpus that touch it)",
		      "vmstat_pgpromote_success", nb_json_count(d->v[NB_VM_pgpromote_success]),
		      "vmstat_numa_pages_migrated", nb_json_count(d->v[NB_VM_numa_pages_migrated]),
		      "vmstat_scope",
		      "system-wide: every process, and pages the scanner marked before the trial; "
		      "context, not judged"));
}

enum nb_status tier_run_trial(struct tier *t, const struct trial *tr, json_t *cell)
{
	char err[256], why[256];
	if (nb_scan_set(NB_SCAN_BALANCING, tr->mode, err, sizeof(err))) {
		nb_run_reason(cell, "%s", err);
		return strstr(err, "cannot write") ? NB_SKIPPED : NB_FAILED;
	}
	uint64_t fill;
	if (tr->demote && nb_tier_fill_len(t->fast, nb_node_free_bytes(t->fast), t->fill_margin,
					   t->fill_max, &fill, why, sizeof(why))) {
		nb_run_reason(cell, "%s", why);
		return NB_SKIPPED;
	}
	if (tr->demote && tier_set_knob("demotion_enabled", "true", err, sizeof(err))) {
		nb_run_reason(cell, "demotion_enabled: %s", err);
		return NB_SKIPPED;
	}
	pid_t pid;
	struct wl *w = start_workload(t, tr, cell, &pid);
	if (!w)
		return NB_FAILED;
	tier_set_init(&hot, (char *)w->hot, t->hot_size, w->hot_node, t->fast);
	tier_set_init(&cold, (char *)w->cold, t->cold_size, w->cold_node, t->fast);
	json_object_set_new(cell, "hot_node_start", json_integer(w->hot_node));
	json_object_set_new(cell, "cold_node_start", json_integer(w->cold_node));
	json_object_set_new(cell, "hot_pages", json_integer((json_int_t)hot.total_pages));
	json_object_set_new(cell, "cold_pages", json_integer((json_int_t)cold.total_pages));
	json_object_set_new(cell, "sampled_pages",
			    json_pack("{s:i,s:i}", "hot", hot.npages, "cold", cold.npages));

	/* the filler (demotion): sized from the fast node's free memory once the sets are placed */
	struct loop L = {.home = NAN, .fpid = -1, .tl = json_array()};
	json_t *filler = NULL;
	if (tr->demote) {
		L.fc = mmap(NULL, sizeof(*L.fc), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			    -1, 0);
		/* the free memory once the sets are placed: at most what was checked above */
		nb_tier_fill_len(t->fast, nb_node_free_bytes(t->fast), t->fill_margin, UINT64_MAX,
				 &L.fill_len, why, sizeof(why));
		filler =
		    json_pack("{s:I,s:I,s:I}", "free_before_bytes",
			      (json_int_t)nb_node_free_bytes(t->fast), "size_bytes",
			      (json_int_t)L.fill_len, "fill_max_bytes", (json_int_t)t->fill_max);
	}
	sample_loop(t, tr, pid, w, &L);
	double elapsed = (double)(nb_now_ns() - L.t0) / 1e9;
	uint64_t bytes = atomic_load(&w->bytes);
	enum nb_status st = NB_OK;
	if (stop_workload(pid, w)) {
		nb_run_reason(cell, "the workload process died during the trial (the OOM killer?)");
		st = NB_FAILED;
	}
	if (tr->demote) {
		if (!filler_end(&L, filler)) {
			st = NB_FAILED;
			nb_run_reason(cell, "could not start the filler process");
		}
		json_object_set_new(cell, "filler", filler);
	}
	struct nb_vmstat d;
	nb_vmstat_delta(&L.v0, &L.vlast, &d);
	trial_results(cell, &L, &d, elapsed, bytes);
	struct nb_tier_outcome o = {.scenario = tr->scenario,
				    .mode = tr->mode,
				    .bound_fast = tr->bound && !strcmp(tr->bound, "fast"),
				    .accuracy = L.hot_share,
				    .promoted = d.v[NB_VM_pgpromote_success],
				    .demoted_kswapd = d.v[NB_VM_pgdemote_kswapd],
				    .demoted_direct = d.v[NB_VM_pgdemote_direct],
				    .hot_promoted = tier_set_count(&hot, false),
				    .elapsed = elapsed,
				    .fill_margin = t->fill_margin};
	buffer_evidence(t, tr, cell, &L, &d, &o);
	if (L.qerr) {
		nb_run_reason(cell, "move_pages query failed: %s", strerror(L.qerr));
		return NB_FAILED;
	}
	if (nb_interrupted) {
		nb_run_reason(cell, "interrupted");
		return NB_FAILED;
	}
	if (st != NB_OK)
		return st;
	st = nb_tier_verdict(&o, why, sizeof(why));
	if (why[0])
		nb_run_reason(cell, "%s", why);
	return st;
}
