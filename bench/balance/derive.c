/* numabench bench `balance`: the rules of rules.c applied to runs: each run's figures
 * (convergence, throughput, steady rate), the cross-check, and what compares a run with its
 * balancing-off twin and the bound baselines (overhead, benefit, break-even, ratios). */
#include "balance/balance.h"
#include <math.h>
#include <string.h>

/* Two independent readings of the migrations: pages that arrived on a node between two
 * samples, from numa_maps, against numa_pages_migrated (/proc/vmstat, system-wide); the
 * workload tasks' own numa_pages_migrated is a third (counted only while balancing is on:
 * KN-marked-ptes-persist). A page that moves and moves back within
 * one interval is seen by the counters only. */
json_t *bal_cross_check(const struct trial *tr)
{
	int64_t vm = tr->d.v[NB_VM_numa_pages_migrated];
	uint64_t pages = tr->first.pages_total;
	return json_pack("{s:I,s:o,s:I,s:I,s:b}", "numa_maps_pages_arrived",
			 (json_int_t)tr->arrived, "vmstat_numa_pages_migrated", nb_json_count(vm),
			 "task_numa_pages_migrated", (json_int_t)tr->task_migrated,
			 "tolerance_pages", (json_int_t)nb_bal_cross_tolerance(pages), "agree",
			 nb_bal_cross_agree(tr->arrived, vm, pages));
}

/* Figures of one run from its samples. The local share is filtered by a running median
 * (nb_bal_share_filtered): a free thread that the load balancer runs on another node for a
 * moment is not a change of placement, a sustained move is. */
void bal_trial_eval(struct trial *tr)
{
	int n = tr->n;
	double T = tr->t[n - 1];
	tr->thr = nb_bal_throughput(tr->t, tr->work, n);
	tr->steady = nb_bal_steady(tr->t, tr->work, n);
	tr->conv = nb_bal_convergence(tr->t, tr->share, n);
	tr->share_end = nb_bal_share_filtered(tr->share, n, n - 1);
	tr->migrated = (double)tr->d.v[NB_VM_numa_pages_migrated];
	tr->faults = (double)tr->d.v[NB_VM_numa_hint_faults];
	tr->pte_rate = T > 0 ? (double)tr->d.v[NB_VM_numa_pte_updates] / T : NAN;
}

bool bal_measured(const struct trial *tr)
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

/* Break-even run length of balancing on a remote buffer (nb_bal_break_even). */
static void break_even(struct trial *on, const struct trial *off)
{
	on->break_even = nb_bal_break_even(on->t, on->work, on->n, off->work, off->n, on->steady,
					   off->steady, &on->break_even_how);
}

void bal_derive_one(struct bal *b, int si, int r)
{
	const struct spec *s = &b->specs[si];
	struct trial *tr = bal_trial_of(b, si, r);
	int s0 = find_spec(b, s->place, s->free_move, 0);
	int sl = find_spec(b, PL_BOUND_LOCAL, false, 0),
	    sr = find_spec(b, PL_BOUND_REMOTE, false, 0);
	const struct trial *off = s0 >= 0 ? bal_trial_of(b, s0, r) : NULL;
	const struct trial *bl = bal_trial_of(b, sl, r), *br = bal_trial_of(b, sr, r);
	if (!bal_measured(tr))
		return;
	if (s->place == PL_REMOTE && bal_measured(bl)) {
		tr->vs_local = tr->steady / bl->steady;
		if (isfinite(tr->conv)) { /* work lost against a hard-bound local buffer */
			int i = 0;
			while (i < tr->n - 1 && tr->t[i] < tr->conv)
				i++;
			tr->lost = bl->steady * tr->conv - tr->work[i] / 1e6;
		}
	}
	if (s->place == PL_REMOTE && bal_measured(br))
		tr->vs_remote = tr->steady / br->steady;
	if (!s->mode || !off || !bal_measured(off))
		return;
	if (s->place == PL_LOCAL)
		tr->overhead = nb_bal_overhead_pct(tr->thr, off->thr);
	if (s->place == PL_REMOTE) {
		tr->benefit = nb_bal_benefit_pct(tr->thr, off->thr);
		break_even(tr, off);
	}
}
