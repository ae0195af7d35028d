/* numabench analysis: comparing two sets of samples. */
#ifndef AN_STATS_H
#define AN_STATS_H

#include "nb.h"

/* splitmix64 (Steele, Lea, Flood 2014): tiny, fast, and the same sequence everywhere, so a
 * bootstrap with a fixed seed prints the same interval on every machine. */
struct an_rng {
	uint64_t s;
};
void an_rng_seed(struct an_rng *r, uint64_t seed);
uint64_t an_rng_next(struct an_rng *r);
/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; bias below 2^-32 for our n). */
uint64_t an_rng_below(struct an_rng *r, uint64_t n);

/* Median of n values (copied, not modified); NAN for n == 0. */
double an_median(const double *v, int n);

#define AN_BOOT_REPS 2000
#define AN_BOOT_SEED 20240611u

/*
 * 95% percentile-bootstrap interval of the relative change of medians,
 * (median(b) - median(a)) / |median(a)|, i.e. ratio of medians - 1 for positive data.
 * Each group is resampled with replacement `reps` times from an generator seeded with `seed`.
 * Writes lo/hi as fractions; NAN when undefined (an empty group, or a resample whose baseline
 * median is 0). If dist is not NULL it receives the `reps` resampled changes, sorted.
 */
void an_boot_change_ci(const double *a, int na, const double *b, int nb, int reps, uint64_t seed,
		       double *lo, double *hi, double *dist);

enum an_verdict {
	AN_V_NA,      /* no samples or a zero baseline: nothing to say */
	AN_V_SAME,    /* not significant */
	AN_V_BETTER,  /* significant, in the good direction */
	AN_V_WORSE,   /* significant, in the bad direction: a regression */
	AN_V_CHANGED, /* significant, but the metric has no direction */
};

struct an_cmp {
	int na, nb;
	double med_a, med_b;
	double change, lo, hi; /* relative change and its 95% CI, fractions; NAN if undefined */
	double p;	       /* Mann-Whitney U two-sided p-value */
	double min_change;     /* practical threshold, a fraction (input; 0: none) */
	bool stat_sig;	       /* p (or q) < AN_ALPHA and the CI excludes 0 */
	bool practical;	       /* |change| >= min_change */
	enum an_verdict verdict;
};

#define AN_ALPHA 0.05
/* compare's default practical threshold: a change smaller than this share is not reported as
 * significant however small its p (--practical PCT). */
#define AN_PRACTICAL_PCT 2.0

/* Compare samples b against the baseline a for a metric whose better direction is dir
 * (-1 lower, +1 higher, 0 unknown). Significant only if statistically significant (p <
 * AN_ALPHA and the CI excludes 0) and practically (|change| >= out->min_change, which the
 * caller sets before). stat_sig and practical say which held. */
void an_compare(const double *a, int na, const double *b, int nb, int dir, struct an_cmp *out);
/* The verdict from change, lo, hi, p and min_change of c. */
enum an_verdict an_judge(const struct an_cmp *c, int dir);
/* The two conditions, from the same fields. */
bool an_stat_sig(const struct an_cmp *c);
bool an_practical(const struct an_cmp *c);
const char *an_verdict_name(enum an_verdict v);
/* A significant regression whose change is beyond pct percent. */
bool an_beyond(const struct an_cmp *c, double pct);

#endif
