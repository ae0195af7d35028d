/* numabench bench `balance`: its rules as pure functions of the samples (no kernel, no JSON),
 * so that tests/unit/balance_test.c checks them row by row against README "The `balance`
 * bench": convergence, break-even, the cross-check, overhead and benefit. */
#ifndef NB_BAL_RULES_H
#define NB_BAL_RULES_H

#include "nb.h"

#define NB_BAL_CONVERGED 0.90 /* converged: 90% of the buffer local */
#define NB_BAL_SMOOTH 5	      /* samples in the running median of the local share */

/* Local share at sample i as the median of samples i-2..i+2 (fewer at the ends). */
double nb_bal_share_filtered(const double *share, int n, int i);
/* Time of the first sample from which the filtered share stays >= NB_BAL_CONVERGED to the
 * end of the run; NAN when it never does. */
double nb_bal_convergence(const double *t, const double *share, int n);
/* MB/s over the whole run (t[0] = 0) and over its last third; NAN when undefined. */
double nb_bal_throughput(const double *t, const double *work, int n);
double nb_bal_steady(const double *t, const double *work, int n);
/* Break-even of balancing on (t, won) against off (woff), same sample times: the first time
 * from which won stays >= woff ("measured"); past the run, extrapolated from the steady MB/s
 * when balancing's is higher ("extrapolated"); else NAN ("never"). */
double nb_bal_break_even(const double *t, const double *won, int n_on, const double *woff,
			 int n_off, double steady_on, double steady_off, const char **how);
/* Cross-check of numa_maps arrivals against vmstat numa_pages_migrated: tolerance 1% of the
 * buffer's pages, at least 32; vmstat < 0 (absent) never agrees. */
int64_t nb_bal_cross_tolerance(uint64_t pages_total);
bool nb_bal_cross_agree(int64_t arrived, int64_t vmstat_migrated, uint64_t pages_total);
/* Overhead (local workload) and benefit (remote workload) of balancing, in %. */
double nb_bal_overhead_pct(double thr_on, double thr_off);
double nb_bal_benefit_pct(double thr_on, double thr_off);
/* A mode converged when every measured repetition converged (and one was measured). */
bool nb_bal_mode_converged(int converged_reps, int measured_reps);

#endif
