/* numabench: statistics over samples, and the one repetition/verdict rule every bench uses. */
#ifndef NB_STATS_H
#define NB_STATS_H

#include "nb.h"

/*
 * The rule (README "Statistics"):
 * - The headline figure is the median. Its CI is distribution-free: the order statistics
 *   x(k) .. x(n-k+1). With a fixed number of samples k is the largest whose binomial coverage is
 *   still >= 95%; with n < 6 no pair reaches 95%, so the CI is [min, max] and ci_level says the
 *   coverage it has. The CI therefore never leaves [min, max] and is never negative for a time.
 * - Sequential sampling looks at the CI at a few fixed sample counts only (the design's looks)
 *   and spends the 5% error over them (alpha spending, union bound): the CI reported at a look
 *   has ranks whose miss probabilities, summed over every look, stay <= 5%, so the CI a run
 *   reports covers the median with at least the design's level whichever look it stopped at.
 * - Spread is described robustly: spread = 1.4826 * MAD / |median|, and p5/p50/p95. It is a
 *   result, not a verdict: a cell is untrustworthy only when the CI of its median stays wider
 *   than ci_max after the last look.
 * - An outlier is a sample whose modified z-score |x - median| / (1.4826 * MAD) exceeds
 *   NB_OUTLIER_Z (Iglewicz and Hoaglin); the scale has a floor of NB_SCALE_FLOOR * |median| so
 *   ties (MAD = 0) do not turn every other sample into an outlier. Outliers stay in the samples
 *   and are counted.
 * - Two clusters (the best split of the sorted samples into two groups, each >= NB_MODE_MIN
 *   samples and >= 15% of them, separated by Ashman's D >= NB_BIMODAL_D and by >= 5% of the
 *   median) are reported as bimodal with each mode's median and count.
 */
#define NB_OUTLIER_Z 3.5
#define NB_SCALE_FLOOR 0.005
#define NB_MAD_SCALE 1.4826
#define NB_CI_ALPHA 0.05
#define NB_MAX_LOOKS 4
#define NB_BIMODAL_D 5.0
#define NB_MODE_MIN 3

/* A sampling design: the sample counts at which the CI is looked at, the CI's lower rank at
 * each look, and the coverage the design guarantees (1 - the sum of every look's miss). */
struct nb_design {
	int nlooks;
	int looks[NB_MAX_LOOKS];
	int rank[NB_MAX_LOOKS];
	double level;
};

struct nb_summary {
	int n;
	double min, max, median, mean, stddev, cv, p5, p95;
	double mad;		 /* median absolute deviation from the median */
	double iqr;		 /* p75 - p25 */
	double spread;		 /* NB_MAD_SCALE * mad / |median| (0 for n < 2) */
	int outliers;		 /* samples with a modified z-score > NB_OUTLIER_Z */
	double ci95_lo, ci95_hi; /* distribution-free CI of the median, within [min, max] */
	double ci_level;	 /* coverage of that CI (>= 0.95 when n >= 6) */
	bool sequential;	 /* n is a look of the current design: ranks and level are its */
	bool bimodal;		 /* two clusters: mode_median[0] < mode_median[1] */
	double mode_median[2];
	int mode_n[2];
};

/* Samples are not modified. n may be 0 (all fields NaN). The CI is the current design's when n
 * is one of its looks (nb_design_current), else the fixed-n 95% one. */
void nb_summarize(const double *samples, int n, struct nb_summary *s);
/* Linear-interpolated quantile q in [0,1] of sorted data. */
double nb_quantile_sorted(const double *sorted, int n, double q);
/* Ranks (1-based) of the median's order-statistic CI for n samples and its coverage:
 * the largest k with P(Binomial(n, 1/2) <= k - 1) <= 2.5%, or k = 1 when none. */
int nb_median_ci_rank(int n, double *coverage);
/* 2 * P(Binomial(n, 1/2) <= k - 1): the probability that [x(k), x(n-k+1)] misses the median. */
double nb_median_ci_miss(int n, int k);
/* The design with these looks (increasing, <= 64): alpha spent in proportion to the sample
 * count (look j may spend alpha * looks[j] / looks[last] in all); a single look spends all of it.
 * A look where even [min, max] would overspend gets rank 0 (the rule does not stop there),
 * except the last, which gets [min, max]. */
void nb_design_make(struct nb_design *d, const int *looks, int nlooks, double alpha);
/* The design nb_summarize uses (set by nb_rule_default; before that the default rule's). */
const struct nb_design *nb_design_current(void);
/* Half-width of the median's CI relative to the median (inf for n < 2 or a zero median). */
double nb_rel_ci(const struct nb_summary *s);

/* How many samples to take and when a measurement is untrustworthy. */
struct nb_rule {
	int min_reps, max_reps; /* the first and the last look */
	double ci_target; /* stop at a look once the median's CI half-width is within this share */
	double ci_max;	  /* CI half-width (share of the median) above which it is untrustworthy */
	bool emulated;	  /* timings are emulated: min_reps samples, the CI decides nothing */
	struct nb_design design;
	/* Fresh allocations: when set, called before samples refresh_every, 2*refresh_every, ...
	 * so that the samples come from several allocations (new buffer, new first touch). A
	 * nonzero return (the allocation failed and nothing is left to measure) ends the
	 * sampling there: the samples taken before it are the cell's. */
	int (*refresh)(void *arg);
	int refresh_every;
};

/* Samples per allocation for a bench that sets refresh: 8 samples come from 2 allocations, 30
 * from 8. */
#define NB_REFRESH_EVERY 4

/* Defaults: looks at 8, 16 and 30 samples (quick: 6; --repeat N: exactly N; emulated: 5, quick
 * 3), CI target 1%. Sets the current design. */
void nb_rule_default(struct nb_rule *r, int repeat, bool quick, double ci_max);

/*
 * Call fn until the rule is satisfied: up to the first look, then at each look stop if the
 * median's CI (the look's ranks) is within ci_target, else go on to the next, up to the last.
 * Returns the number of samples written to out (<= max_reps <= 64).
 */
int nb_rule_sample(const struct nb_rule *r, double (*fn)(void *arg), void *arg, double *out);

/* The verdict on a timing metric's samples: NB_OK, or NB_UNTRUSTWORTHY with a one-line reason
 * in why (the median's CI half-width above ci_max; fewer than 3 samples only when the rule
 * asked for more). Emulated timings are never judged. */
enum nb_status nb_rule_judge(const struct nb_rule *r, const double *s, int n, char *why,
			     size_t len);
/* "bimodal: 100 ns x18, 140 ns x12" for a bimodal summary, else an empty string. */
void nb_bimodal_text(const struct nb_summary *s, const char *unit, char *buf, size_t len);

/*
 * The run's time budget (runner.c sets it; 0: none). The runner gives each bench a share of
 * the time left in proportion to its planned estimate (nb_budget_job_end_ns); nb_rule_sample
 * stops at the next look (where the design's coverage holds) once the share is spent, and
 * before a sample that, as long as the last one, would end past the run's end
 * (nb_budget_end_ns). Cells not started when the share is spent are skipped (nb_cell_budget).
 */
extern uint64_t nb_budget_end_ns, nb_budget_job_end_ns;
/* Whether the current bench's share of the budget is spent. */
bool nb_budget_spent(void);
/* Cell shares inside the bench's share: nb_plan_sequence arms them with each planned cell's
 * estimate by its place in the order (est[q], seconds; NULL or n 0 disarms; copied), and
 * nb_cell_budget gives the cell at place q the bench's time left in proportion to est[q] over
 * the estimates from q on (nb_budget_cell_end_ns; 0: none). nb_rule_sample then stops at a look
 * once the cell's share is spent, so that one slow cell (a DRAM cell that runs to its last
 * look) does not take the time of the cells after it; what a cell leaves passes on. */
extern uint64_t nb_budget_cell_end_ns;
void nb_budget_cells_arm(const double *est, int n);
void nb_budget_cell_begin(int q);
/* Whether the cell at place q, started now, could not take its first look before the run's
 * end even at its planned estimate (a lower bound: the models leave out the page faults and
 * the chain build): such a cell would end after a sample or two, untrustworthy, in time that
 * a smaller cell after it can use. Sets the run's time left and the cell's estimate. */
bool nb_budget_cell_late(int q, double *left_s, double *need_s);
/* Whether work expected to take est_s seconds, started now, ends within the current bench's
 * share (true without a budget): a bench whose units are long (gup's cells) asks before each. */
bool nb_budget_fits(double est_s);

/* Mann-Whitney U two-sided p-value (normal approximation with tie correction). */
double nb_mann_whitney_p(const double *a, int na, const double *b, int nb);

#endif
