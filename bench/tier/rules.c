/* numabench bench `tier`: the pure rules (see rules.h) — per-page history, time to home,
 * throughputs, baselines comparison, trial status, node choice and skip reason. */
#include "tier/rules.h"
#include "place.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void nb_tier_page_init(struct nb_tier_page *pg)
{
	pg->first = -1;
	pg->promoted = pg->wasted = pg->moved = pg->elsewhere = 0;
}

void nb_tier_page_moved(struct nb_tier_page *pg, int node, int start, int fast)
{
	if (node == start)
		return;
	pg->moved = 1;
	if (node != fast)
		pg->elsewhere = 1;
}

bool nb_tier_page_seen(struct nb_tier_page *pg, int node, const bool in_fast[NB_MAX_NODE_ID])
{
	if (pg->first < 0)
		pg->first = node;
	if (in_fast[node]) {
		if (!in_fast[pg->first])
			pg->promoted = 1;
		return true;
	}
	if (pg->promoted)
		pg->wasted = 1;
	return false;
}

double nb_tier_share(int fast, int present)
{
	return present ? (double)fast / present : 0;
}

bool nb_tier_home(double hot_fast_share)
{
	return hot_fast_share >= NB_TIER_HOME_SHARE;
}

double nb_tier_scale(int sampled, int npages, uint64_t total_pages)
{
	return npages ? (double)sampled * (double)total_pages / npages : 0;
}

double nb_tier_wasted(double promoted_then_demoted, double cold_promoted)
{
	return (isfinite(promoted_then_demoted) ? promoted_then_demoted : 0) +
	       (isfinite(cold_promoted) ? cold_promoted : 0);
}

double nb_tier_mbps(uint64_t bytes, double seconds)
{
	return seconds > 0 ? (double)bytes / seconds / 1e6 : NAN;
}

double nb_tier_mbps_after_home(uint64_t bytes, uint64_t bytes_home, double elapsed, double home)
{
	return isfinite(home) && elapsed > home
		   ? (double)(bytes - bytes_home) / (elapsed - home) / 1e6
		   : NAN;
}

double nb_tier_promote_mbps(int64_t pages, size_t page, double home, double elapsed)
{
	if (pages < 0 || !(elapsed > 0))
		return NAN;
	return (double)pages * (double)page / 1e6 / (isfinite(home) ? home : elapsed);
}

double nb_tier_accuracy_vs_baselines(double accuracy, double fast, double slow)
{
	return fast - slow > 0 ? (accuracy - slow) / (fast - slow) : NAN;
}

double nb_tier_throughput_vs_baselines(double thr, double fast, double slow)
{
	return fast - slow != 0 ? (thr - slow) / (fast - slow) : NAN;
}

/* A control (numa_balancing 0 or 1): the buffer's own pages (see rules.h). */
static enum nb_status control_verdict(const struct nb_tier_outcome *o, char *why, size_t len)
{
	int moved = o->hot_moved + o->cold_moved;
	if (o->buf_present <= 0) {
		snprintf(why, len,
			 "control (numa_balancing=%d): no sampled page of the buffer was present: "
			 "nothing to judge it by",
			 o->mode);
		return NB_UNTRUSTWORTHY;
	}
	if (o->mode == 0 && moved) {
		snprintf(
		    why, len,
		    "control (numa_balancing=0): %d sampled buffer pages left the node they were "
		    "placed on (hot %d, cold %d)",
		    moved, o->hot_moved, o->cold_moved);
		return NB_UNTRUSTWORTHY;
	}
	if (o->mode == 1 && (o->cold_moved || o->moved_elsewhere)) {
		snprintf(why, len,
			 "control (numa_balancing=1): %d sampled cold pages moved (untouched since "
			 "first touch), %d sampled pages went to a node other than the fast node",
			 o->cold_moved, o->moved_elsewhere);
		return NB_UNTRUSTWORTHY;
	}
	if (o->promoted > 0)
		snprintf(why, len,
			 "system-wide pgpromote_success %lld during the control is context, not "
			 "judged: the buffer's own pages %s",
			 (long long)o->promoted,
			 moved ? "moved only to the fast node (normal balancing)" : "stayed");
	return NB_OK;
}

enum nb_status nb_tier_verdict(const struct nb_tier_outcome *o, char *why, size_t len)
{
	int64_t dk = o->demoted_kswapd, dd = o->demoted_direct, prom = o->promoted;
	why[0] = 0;
	switch (o->scenario) {
	case NB_TIER_BASELINE: {
		double want = o->bound_fast ? 1.0 : 0.0;
		if (fabs(o->accuracy - want) > 1 - NB_PLACE_MIN_SHARE) {
			snprintf(why, len,
				 "hot set bound to the %s node, but %.1f%% on the fast tier",
				 o->bound_fast ? "fast" : "slow", 100 * o->accuracy);
			return NB_UNTRUSTWORTHY;
		}
		return NB_OK;
	}
	case NB_TIER_DEMOTION:
		if (dk < 0 && dd < 0) {
			snprintf(why, len, "pgdemote_kswapd/direct are absent from /proc/vmstat");
			return NB_UNTRUSTWORTHY;
		}
		if ((dk < 0 ? 0 : dk) + (dd < 0 ? 0 : dd) == 0) {
			snprintf(why, len,
				 "no page demoted although the filler took the fast node's free "
				 "memory plus %llu bytes",
				 (unsigned long long)o->fill_margin);
			return NB_UNTRUSTWORTHY;
		}
		return NB_OK;
	default:
		break;
	}
	if (o->mode == 0 || o->mode == 1)
		return control_verdict(o, why, len);
	if (prom < 0) {
		snprintf(why, len,
			 "pgpromote_success is absent from /proc/vmstat: promotions are known only "
			 "from the placement");
		return o->hot_promoted ? NB_OK : NB_UNTRUSTWORTHY;
	} else if (prom == 0 && o->scenario == NB_TIER_PROMOTION) {
		snprintf(why, len, "numa_balancing=%d promoted no page in %.1f s", o->mode,
			 o->elapsed);
		return NB_UNTRUSTWORTHY;
	}
	return NB_OK;
}

int nb_tier_fill_len(int fast, uint64_t fast_free, uint64_t margin, uint64_t fill_max,
		     uint64_t *bytes, char *why, size_t len)
{
	why[0] = 0;
	*bytes = fast_free + margin;
	if (*bytes <= fill_max)
		return 0;
	snprintf(
	    why, len,
	    "demotion needs a filler of the fast node %d's free memory %llu MiB plus fill_margin "
	    "%llu MiB, more than fill_max %llu MiB: raise fill_max to fill a node this large",
	    fast, (unsigned long long)(fast_free >> 20), (unsigned long long)(margin >> 20),
	    (unsigned long long)(fill_max >> 20));
	*bytes = 0;
	return -1;
}

int nb_tier_pick(const struct nb_tiering *tg, const int *cpu_nodes, int ncn, const int *mem,
		 int nmem, int *fast, int *slow, char *why, size_t len)
{
	*fast = *slow = -1;
	why[0] = 0;
	for (int i = 0; i < ncn && *slow < 0; i++) {
		int ti = nb_tiering_tier_of(tg, cpu_nodes[i]);
		if (ti != 0 && tg->ntiers)
			continue;
		*fast = cpu_nodes[i];
		*slow = nb_tiering_lower_node(tg, cpu_nodes[i], mem, nmem, why, len);
	}
	if (*fast < 0 && ncn) {
		*fast = cpu_nodes[0];
		nb_tiering_lower_node(tg, cpu_nodes[0], mem, nmem, why, len);
	}
	if (*slow < 0) {
		if (!ncn)
			snprintf(why, len, "no node with cpus in this run");
		return -1;
	}
	return 0;
}
