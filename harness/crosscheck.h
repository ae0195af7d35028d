/* numabench: counter-derived cross-checks of what a bench believes it measured. */
#ifndef NB_CROSSCHECK_H
#define NB_CROSSCHECK_H

#include "bench.h"

struct nb_counters;

/* The run's counter set (opened with inherit by the runner around each bench), which the
 * cross-checks read; NULL detaches it. */
void nb_crosscheck_attach(struct nb_counters *run);
/* A view of the run's LLC-miss and local/remote DRAM counters (nb_counters_view), started:
 * the cell's counts are what the run's set counted between begin and end, over every thread
 * of the bench. NULL without a PMU or when the run's set has none of them. */
struct nb_counters *nb_crosscheck_begin(const struct nb_ctx *ctx);
/*
 * Stop and compare: the share of DRAM accesses that were remote against what the placement
 * requested (remote_expected), and, when expected_bytes > 0, counted memory traffic
 * (LLC misses x 64 B) against the bytes the kernel declares it moves. A comparison whose
 * counters ran < NB_COUNTERS_MIN_RUNNING of the cell is left out, with the reason. Returns an
 * object {available, reason?, counters, remote_share, remote_expected, agrees, traffic_ratio};
 * frees c.
 */
json_t *nb_crosscheck_end(struct nb_counters *c, bool remote_expected, double expected_bytes);

#endif
