/* numabench: counter-derived cross-checks of what a bench believes it measured. */
#ifndef NB_CROSSCHECK_H
#define NB_CROSSCHECK_H

#include "bench.h"

struct nb_counters;

/* Counters for a cross-check (LLC misses, local and remote DRAM) opened on the calling
 * thread (inherit: threads it creates afterwards too) and started; NULL without a PMU. */
struct nb_counters *nb_crosscheck_begin(const struct nb_ctx *ctx);
/*
 * Stop and compare: the share of DRAM accesses that were remote against what the placement
 * requested (remote_expected), and, when expected_bytes > 0, counted memory traffic
 * (LLC misses x 64 B) against the bytes the kernel declares it moves. Returns an object
 * {available, reason?, remote_share, remote_expected, agrees, traffic_ratio}; frees c.
 */
json_t *nb_crosscheck_end(struct nb_counters *c, bool remote_expected, double expected_bytes);

#endif
