/* numabench bench `balance`: one run of the workload. Owns the shared control page and the
 * workload processes (spawn, wait until ready, stop, reap), the sampling loop and each
 * sample of the timeline (placement from numa_maps, vmstat deltas, per-thread sched fields,
 * throughput), the checks that make a run untrustworthy, and the repetition loop. */
#include "balance/balance.h"
#include "child.h"
#include "counters.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_TIMEOUT_NS (300 * SEC) /* first touch of a large buffer under QEMU TCG */
#define STOP_TIMEOUT_NS (20 * SEC)

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
		if (nb_child_gone(lv->pid[proc]) || nb_interrupted || nb_now_ns() > end) {
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
	c.bind_node = bal_spec_mem_node(b, s);
	c.unbind = s->place == PL_REMOTE || s->place == PL_LOCAL;
	c.free_move = s->free_move;
	for (int i = 0; i < b->procs; i++) {
		c.proc = i;
		c.setup = i == 0; /* the second process maps the buffer the first one placed */
		lv->pid[i] = nb_child_spawn(bal_wl_main, &c);
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
	while (!nb_interrupted && !nb_child_gone(pid) && nb_now_ns() < end)
		usleep(2000);
	if (nb_child_gone(pid))
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
	return nb_pages_per_node_json(pl->per_node, b->mem, b->nmem);
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
			json_object_set_new(s, k[i], nb_json_count(tr->d.v[f[i]]));
	tr->tp_ok = bal_tp_read(b, tr->tp);
	for (int e = 0; e < 3 && tr->tp_ok; e++)
		json_object_set_new(s, bal_tp_keys[e], nb_json_count(tr->tp[e]));
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
		for (int n = 0; n < NB_MAX_NODE_ID; n++) {
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
			    tr->n ? bal_jreal((work - lv->prev_work) / 1e6 / (t - lv->prev_t))
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
		if (nb_child_gone(lv->pid[i]))
			return false;
	return true;
}

/* Sample 0 is the placement before the workload starts; then one sample per interval. */
static int sample_run(struct bal *b, struct live *lv, int intended, struct trial *tr)
{
	nb_vmstat_read(&lv->v0);
	bal_tp_control(b, nb_counters_start);
	lv->t0 = nb_now_ns();
	if (take_sample(b, lv, intended, tr))
		return -1;
	atomic_store(&lv->ctl->phase, WL_GO);
	for (int k = 1; k <= b->nsamples; k++) {
		sleep_until(lv->t0 + (uint64_t)(k * b->interval * 1e9));
		if (nb_interrupted || !workload_alive(lv) || take_sample(b, lv, intended, tr)) {
			bal_tp_control(b, nb_counters_stop);
			return -1;
		}
	}
	bal_tp_control(b, nb_counters_stop);
	return 0;
}

/* Untrustworthy when the setup cannot be verified: placement, THP, the mode written, the
 * free variant's affinity. */
static void trial_verify(const struct bal *b, const struct spec *s, struct trial *tr,
			 const struct live *lv)
{
	int want = bal_spec_mem_node(b, s);
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

void bal_trial_run(struct bal *b, struct spec *s, struct trial *tr)
{
	struct live lv = {0};
	char err[256] = "";
	tr->timeline = json_array();
	if (bal_set_mode(
		b, s->mode,
		tr)) { /* before the workload exists: KERNEL-NOTES.md#KN-marked-ptes-persist */
		s->refused = true;
		tr->st = NB_SKIPPED;
		return;
	}
	int rc = live_open(b, &lv, err, sizeof(err));
	if (!rc)
		rc = spawn_workload(b, s, &lv, err, sizeof(err));
	if (!rc && sample_run(b, &lv, bal_spec_mem_node(b, s), tr)) {
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
		bal_trial_eval(tr);
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

static void run_one(struct bal *b, int si, int r, int done)
{
	struct spec *s = &b->specs[si];
	struct trial *tr = bal_trial_of(b, si, r);
	tr->rep = r;
	tr->order = done;
	tr->ran = true;
	tr->st = NB_FAILED;
	if (s->refused) { /* refused in repetition 0: say why again, do not retry */
		const struct trial *first = bal_trial_of(b, si, 0);
		tr->st = NB_SKIPPED;
		if (first != tr)
			memcpy(tr->reason, first->reason, sizeof(tr->reason));
		return;
	}
	if (trial_alloc(tr, b->nsamples + 1)) {
		snprintf(tr->reason, sizeof(tr->reason), "out of memory");
		return;
	}
	bal_trial_run(b, s, tr);
}

void bal_run_all(struct bal *b, json_t *order)
{
	int done = 0, total = b->nspecs * b->reps, idx[MAX_SPECS];
	for (int r = 0; r < b->reps; r++) {
		bal_rep_order(b, r, idx);
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
