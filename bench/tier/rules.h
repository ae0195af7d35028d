/* numabench bench `tier`: its rules as pure functions of numbers and of the tiering topology
 * (no kernel, no JSON), so that tests/unit/tier_test.c checks them row by row: the per-page
 * history (placement accuracy, promoted pages, wasted migrations), time to home, the
 * throughputs, the comparison with the two baselines, each trial's status, and which nodes
 * the bench uses or why it is skipped. */
#ifndef NB_TIER_RULES_H
#define NB_TIER_RULES_H

#include "nb.h"
#include "topo.h"

#define NB_TIER_HOME_SHARE 0.90 /* the definition: 90% of the hot set on the fast tier */

enum nb_tier_scenario { NB_TIER_PROMOTION, NB_TIER_BASELINE, NB_TIER_DEMOTION, NB_TIER_SWEEP };

/* One sampled page's history across the samples of a trial. */
struct nb_tier_page {
	int first;		 /* node at the first sample it was present, -1 before */
	unsigned char promoted;	 /* seen on the fast tier after starting on a lower one */
	unsigned char wasted;	 /* promoted, then seen on a lower tier again */
	unsigned char moved;	 /* seen off the node it was placed on (nb_tier_page_moved) */
	unsigned char elsewhere; /* seen on a node that is neither that one nor the fast node */
};

void nb_tier_page_init(struct nb_tier_page *pg);
/* Record the node of a present page at one sample; true when it is on the fast tier. */
bool nb_tier_page_seen(struct nb_tier_page *pg, int node, const bool in_fast[NB_MAX_NODE_ID]);
/* Record the node of a present page against start, the node it was placed on, and fast, the
 * node of the cpus that touch it (the one normal balancing moves a touched page to): the
 * buffer's own moves, which the controls are judged by (system-wide vmstat counts every
 * process, and pages the scanner marked before the trial). */
void nb_tier_page_moved(struct nb_tier_page *pg, int node, int start, int fast);
/* Share of the present sampled pages on the fast tier (0 when none is present). */
double nb_tier_share(int fast, int present);
/* "Home": the hot set's fast-tier share reached NB_TIER_HOME_SHARE. */
bool nb_tier_home(double hot_fast_share);
/* A count over the sampled pages scaled to the whole set (0 when nothing was sampled). */
double nb_tier_scale(int sampled, int npages, uint64_t total_pages);
/* Wasted migrations: pages promoted then demoted, plus cold pages promoted (NANs count 0). */
double nb_tier_wasted(double promoted_then_demoted, double cold_promoted);
/* MB/s of bytes over seconds; NAN when seconds <= 0. */
double nb_tier_mbps(uint64_t bytes, double seconds);
/* MB/s of the hot set after it got home (home NAN: never); NAN when undefined. */
double nb_tier_mbps_after_home(uint64_t bytes, uint64_t bytes_home, double elapsed, double home);
/* MB/s promoted: pages * page bytes over the time to home, or the whole trial when it never got
 * home; NAN when the counter is absent (pages < 0) or elapsed <= 0. */
double nb_tier_promote_mbps(int64_t pages, size_t page, double home, double elapsed);
/* Where v lies between the slow (0) and the fast (1) baseline. Accuracy needs fast > slow,
 * throughput fast != slow; NAN otherwise (and with any NAN input). */
double nb_tier_accuracy_vs_baselines(double accuracy, double fast, double slow);
double nb_tier_throughput_vs_baselines(double thr, double fast, double slow);

/* What one trial measured, for its status. Counters are vmstat deltas, -1 absent. */
struct nb_tier_outcome {
	enum nb_tier_scenario scenario;
	int mode;	 /* kernel.numa_balancing during the trial */
	bool bound_fast; /* baseline: the hot set bound to the fast node (else the slow one) */
	double accuracy; /* hot set's fast-tier share at the end */
	int64_t promoted, demoted_kswapd, demoted_direct;
	int hot_promoted; /* sampled hot pages seen promoted */
	double elapsed;	  /* s */
	uint64_t fill_margin;
	/* The buffer's own sampled pages (both sets): present at some sample; seen off the node
	 * they were placed on (hot, cold); of those, seen on a node other than the fast node. */
	int buf_present, hot_moved, cold_moved, moved_elsewhere;
};
/* The status of a trial that ran to its end, and why (why is "" when there is nothing to
 * say; an ok status may carry a reason). The status follows placement and counters, never an
 * (emulated) timing. The controls (numa_balancing 0 and 1) are judged by the buffer's own
 * pages: at 0 none may leave the node it was placed on; at 1 no cold page may move (nothing
 * touches it after first touch) and a hot page only to the fast node (normal balancing's
 * target). pgpromote_success, system-wide, is context there (a reason when it is > 0). */
enum nb_status nb_tier_verdict(const struct nb_tier_outcome *o, char *why, size_t len);

/* The demotion filler's size in *bytes: the fast node's free memory plus margin, so that it
 * pushes the node past its watermarks. 0, or -1 with why (the trial is skipped) when that is
 * more than fill_max: on a large node (1 TiB) filling it would take minutes of populating and
 * force the reclaim of other tenants' memory. */
int nb_tier_fill_len(int fast, uint64_t fast_free, uint64_t margin, uint64_t fill_max,
		     uint64_t *bytes, char *why, size_t len);

/* The fast node (the first of cpu_nodes in the top tier that has a usable lower tier) and the
 * slow node (the first of mem in the nearest tier below it). 0, or -1 with why: the reason the
 * bench is skipped. */
int nb_tier_pick(const struct nb_tiering *tg, const int *cpu_nodes, int ncn, const int *mem,
		 int nmem, int *fast, int *slow, char *why, size_t len);

#endif
