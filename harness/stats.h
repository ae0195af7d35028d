/* numabench: statistics over samples. */
#ifndef NB_STATS_H
#define NB_STATS_H

#include "nb.h"

struct nb_summary {
	int n;
	double min, max, median, mean, stddev, cv, p5, p95;
	double ci95_lo, ci95_hi; /* 95% CI of the mean (Student t) */
};

/* Samples are not modified. n may be 0 (all fields NaN). */
void nb_summarize(const double *samples, int n, struct nb_summary *s);
/* Linear-interpolated quantile q in [0,1] of sorted data. */
double nb_quantile_sorted(const double *sorted, int n, double q);
/* Two-sided Student t critical value for 95% with df degrees of freedom. */
double nb_t95(int df);
/* Half-width of the 95% CI relative to the mean (inf for n < 2). */
double nb_rel_ci(const struct nb_summary *s);

/*
 * Adaptive repetition: call `fn` until the relative 95% CI half-width of the
 * samples is <= target, at least min_reps and at most max_reps times.
 * Returns the number of samples written to out (<= max_reps).
 */
int nb_repeat_until(double (*fn)(void *arg), void *arg, double *out, int min_reps, int max_reps,
		    double target);

/* Mann-Whitney U two-sided p-value (normal approximation with tie correction). */
double nb_mann_whitney_p(const double *a, int na, const double *b, int nb);

#endif
