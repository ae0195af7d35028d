/* numabench: statistics over samples, and the one repetition/verdict rule every bench uses. */
#ifndef NB_STATS_H
#define NB_STATS_H

#include "nb.h"

/*
 * The rule (README "Statistics"):
 * - The headline figure is the median. Its 95% CI is distribution-free: the order statistics
 *   x(k) .. x(n-k+1) with the largest k whose binomial coverage is still >= 95%. With n < 6 no
 *   pair reaches 95%, so the CI is [min, max] and ci_level says the coverage it has. The CI
 *   therefore never leaves [min, max] and is never negative for a time.
 * - Spread is judged robustly: spread = 1.4826 * MAD / |median| (the MAD scaled to a standard
 *   deviation under normality, relative to the median). One outlier cannot inflate it.
 * - An outlier is a sample whose modified z-score |x - median| / (1.4826 * MAD) exceeds
 *   NB_OUTLIER_Z (Iglewicz and Hoaglin); the scale has a floor of NB_SCALE_FLOOR * |median| so
 *   ties (MAD = 0) do not turn every other sample into an outlier. Outliers stay in the samples
 *   and are counted.
 */
#define NB_OUTLIER_Z 3.5
#define NB_SCALE_FLOOR 0.005
#define NB_MAD_SCALE 1.4826

struct nb_summary {
	int n;
	double min, max, median, mean, stddev, cv, p5, p95;
	double mad;		 /* median absolute deviation from the median */
	double iqr;		 /* p75 - p25 */
	double spread;		 /* NB_MAD_SCALE * mad / |median| (0 for n < 2) */
	int outliers;		 /* samples with a modified z-score > NB_OUTLIER_Z */
	double ci95_lo, ci95_hi; /* distribution-free CI of the median, within [min, max] */
	double ci_level;	 /* coverage of that CI (>= 0.95 when n >= 6) */
};

/* Samples are not modified. n may be 0 (all fields NaN). */
void nb_summarize(const double *samples, int n, struct nb_summary *s);
/* Linear-interpolated quantile q in [0,1] of sorted data. */
double nb_quantile_sorted(const double *sorted, int n, double q);
/* Ranks (1-based) of the median's order-statistic CI for n samples and its coverage:
 * the largest k with P(Binomial(n, 1/2) <= k - 1) <= 2.5%, or k = 1 when none. */
int nb_median_ci_rank(int n, double *coverage);
/* Half-width of the median's CI relative to the median (inf for n < 2 or a zero median). */
double nb_rel_ci(const struct nb_summary *s);

/* How many samples to take and when a measurement is untrustworthy. */
struct nb_rule {
	int min_reps, max_reps;
	double ci_target;  /* stop once the median's CI half-width is within this share of it */
	double spread_max; /* robust spread above which the samples are untrustworthy */
	bool emulated;	   /* timings are emulated: min_reps samples, spread decides nothing */
};

/* Defaults: 5..30 samples (quick: 3..8; --repeat N: exactly N), CI target 1%. */
void nb_rule_default(struct nb_rule *r, int repeat, bool quick, double spread_max);

/*
 * Call fn until the rule is satisfied: at least min_reps samples; then stop as soon as the
 * median's CI is within ci_target and the spread within spread_max, else go on to max_reps
 * (a high spread or outliers extend the repetition before anything is called
 * untrustworthy). Returns the number of samples written to out (<= max_reps <= 64).
 */
int nb_rule_sample(const struct nb_rule *r, double (*fn)(void *arg), void *arg, double *out);

/* The verdict on a timing metric's samples: NB_OK, or NB_UNTRUSTWORTHY with a one-line reason
 * in why (spread above spread_max over n >= 3 samples). Emulated timings are never judged. */
enum nb_status nb_rule_judge(const struct nb_rule *r, const double *s, int n, char *why,
			     size_t len);

/* Mann-Whitney U two-sided p-value (normal approximation with tie correction). */
double nb_mann_whitney_p(const double *a, int na, const double *b, int nb);

#endif
