/* Unit tests of the statistics rule (harness/stats.c) and of headlines: known samples,
 * outliers, n = 3, ties, large n, the repetition and the verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "cells.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_summary_known_values(void **state)
{
	(void)state;
	double v[10] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	struct nb_summary s;
	nb_summarize(v, 10, &s);
	assert_int_equal(s.n, 10);
	assert_float_equal(s.min, 1, 1e-12);
	assert_float_equal(s.max, 10, 1e-12);
	assert_float_equal(s.mean, 5.5, 1e-12);
	assert_float_equal(s.median, 5.5, 1e-12);
	assert_float_equal(s.stddev, 3.0276503540974917, 1e-12); /* sample stddev */
	assert_float_equal(s.p5, 1.45, 1e-12);			 /* linear interpolation */
	assert_float_equal(s.p95, 9.55, 1e-12);
	assert_float_equal(s.iqr, 7.75 - 3.25, 1e-12);
	/* |x - 5.5| = 0.5 0.5 1.5 1.5 2.5 2.5 3.5 3.5 4.5 4.5: MAD 2.5 */
	assert_float_equal(s.mad, 2.5, 1e-12);
	assert_float_equal(s.spread, 1.4826 * 2.5 / 5.5, 1e-12);
	assert_int_equal(s.outliers, 0);
	/* n = 10: P(B <= 1) = 11/1024 <= 2.5% < P(B <= 2) = 56/1024: ranks 2 and 9. */
	assert_float_equal(s.ci95_lo, 2, 0);
	assert_float_equal(s.ci95_hi, 9, 0);
	assert_float_equal(s.ci_level, 1 - 2 * 11.0 / 1024, 1e-12);
	assert_float_equal(v[0], 10, 0); /* input untouched */
}

/* The fault THP cell the issue quotes: a Student-t CI of the mean went below zero. */
static void test_summary_outlier(void **state)
{
	(void)state;
	double v[] = {6947, 238, 234, 225, 225};
	struct nb_summary s;
	nb_summarize(v, 5, &s);
	assert_float_equal(s.median, 234, 0);
	assert_float_equal(s.mad, 9, 0); /* |x - 234| = 6713 4 0 9 9 */
	assert_int_equal(s.outliers, 1);
	assert_true(s.spread < 0.06);
	/* n < 6: no order-statistic pair reaches 95%, the CI is [min, max] with its coverage. */
	assert_float_equal(s.ci95_lo, 225, 0);
	assert_float_equal(s.ci95_hi, 6947, 0);
	assert_float_equal(s.ci_level, 1 - 2.0 / 32, 1e-12);
	assert_true(s.cv > 1.5); /* the CV one outlier inflates: not what the rule judges */
}

static void test_summary_small_and_ties(void **state)
{
	(void)state;
	struct nb_summary s;
	double three[] = {3, 1, 2};
	nb_summarize(three, 3, &s);
	assert_float_equal(s.median, 2, 0);
	assert_float_equal(s.ci95_lo, 1, 0);
	assert_float_equal(s.ci95_hi, 3, 0);
	assert_float_equal(s.ci_level, 0.75, 1e-12);
	assert_int_equal(s.outliers, 0);
	/* Ties: MAD 0. The scale floor keeps equal samples from being outliers; 9 still is. */
	double ties[] = {5, 5, 5, 5, 9};
	nb_summarize(ties, 5, &s);
	assert_float_equal(s.mad, 0, 0);
	assert_float_equal(s.spread, 0, 0);
	assert_int_equal(s.outliers, 1);
	double same[] = {7, 7, 7, 7, 7, 7};
	nb_summarize(same, 6, &s);
	assert_int_equal(s.outliers, 0);
	assert_float_equal(s.ci95_lo, 7, 0);
	assert_float_equal(s.ci95_hi, 7, 0);
	nb_summarize(NULL, 0, &s);
	assert_true(isnan(s.median) && isnan(s.ci95_lo));
	double one = 42;
	nb_summarize(&one, 1, &s);
	assert_float_equal(s.median, 42, 0);
	assert_float_equal(s.ci95_lo, 42, 0);
	assert_float_equal(s.ci95_hi, 42, 0);
	assert_float_equal(s.ci_level, 0, 0);
	assert_true(isinf(nb_rel_ci(&s)));
}

static void test_median_ci_ranks(void **state)
{
	(void)state;
	double cov;
	/* Published tables (e.g. Conover): n = 6 -> (1, 6), n = 11 -> (2, 10), n = 20 -> (6, 15),
	 * n = 100 -> (40, 61). */
	assert_int_equal(nb_median_ci_rank(5, &cov), 1);
	assert_true(cov < 0.95);
	assert_int_equal(nb_median_ci_rank(6, &cov), 1);
	assert_float_equal(cov, 1 - 2.0 / 64, 1e-12);
	assert_int_equal(nb_median_ci_rank(11, &cov), 2);
	assert_int_equal(nb_median_ci_rank(20, &cov), 6);
	assert_true(cov >= 0.95);
	assert_int_equal(nb_median_ci_rank(100, &cov), 40);
	assert_true(cov >= 0.95 && cov < 0.97);
	assert_int_equal(nb_median_ci_rank(64, &cov) > 1, 1);
	/* Any samples: the CI lies in [min, max] around the median, never below a positive min. */
	srand(1);
	for (int trial = 0; trial < 200; trial++) {
		double v[64];
		int n = 1 + rand() % 64;
		for (int i = 0; i < n; i++)
			v[i] = 1e-3 + (rand() % 1000) * (rand() % 7 ? 1.0 : 50.0);
		struct nb_summary s;
		nb_summarize(v, n, &s);
		assert_true(s.ci95_lo >= s.min && s.ci95_hi <= s.max);
		assert_true(s.ci95_lo <= s.median && s.median <= s.ci95_hi);
		assert_true(s.ci95_lo > 0);
		assert_true(n < 6 || s.ci_level >= 0.95);
	}
}

static int calls;
static double steady(void *arg)
{
	(void)arg;
	calls++;
	return 100.0 + (calls % 2) * 0.1;
}
static double wild(void *arg)
{
	(void)arg;
	calls++;
	return calls % 2 ? 100.0 : 140.0;
}
static double one_spike(void *arg)
{
	(void)arg;
	return ++calls == 1 ? 5000.0 : 100.0 + (calls % 3) * 0.2;
}

static int refreshes, refresh_at[64], fail_at_refresh;
static int count_refresh(void *arg)
{
	(void)arg;
	refresh_at[refreshes++] = calls;
	return refreshes == fail_at_refresh; /* a failed fresh allocation, where asked */
}

static void test_rule(void **state)
{
	(void)state;
	double out[64];
	struct nb_rule r;
	char why[512] = "";
	nb_timing_emulated = false;
	nb_rule_default(&r, 0, false, 0.05);
	assert_int_equal(r.min_reps, 8);
	assert_int_equal(r.max_reps, 30);
	assert_int_equal(r.design.nlooks, 3);
	calls = 0;
	assert_int_equal(nb_rule_sample(&r, steady, NULL, out),
			 8); /* converged at the first look */
	assert_int_equal(nb_rule_judge(&r, out, 8, why, sizeof(why)), NB_OK);
	/* Two clusters: the CI stays wide to the cap, so the median is not known; reported as
	 * bimodal. */
	calls = 0;
	int n = nb_rule_sample(&r, wild, NULL, out);
	assert_int_equal(n, 30);
	assert_int_equal(nb_rule_judge(&r, out, n, why, sizeof(why)), NB_UNTRUSTWORTHY);
	assert_non_null(strstr(why, "not known to within 5.0%"));
	assert_non_null(strstr(why, "bimodal: 100 x15, 140 x15"));
	/* One spike: counted as an outlier, but not untrustworthy. */
	calls = 0;
	n = nb_rule_sample(&r, one_spike, NULL, out);
	assert_int_equal(n, 16); /* [min, max] at 8 includes the spike; x(3)..x(14) at 16 not */
	assert_int_equal(nb_rule_judge(&r, out, n, why, sizeof(why)), NB_OK);
	struct nb_summary s;
	nb_summarize(out, n, &s);
	assert_int_equal(s.outliers, 1);
	assert_true(s.sequential);
	assert_true(s.ci_level >= 0.95);
	/* Cut by the budget before the first look (8): two close samples are no "ok" figure,
	 * their [min, max] covers the median with only 50% confidence. */
	double two[2] = {100.0, 100.1};
	assert_int_equal(nb_rule_judge(&r, two, 2, why, sizeof(why)), NB_UNTRUSTWORTHY);
	assert_non_null(strstr(why, "after 2 of the 8 samples of its first look"));
	assert_non_null(strstr(why, "only 50.0% confidence"));
	/* Fresh allocations: refresh before samples 4, 8, ... (so 30 samples: 7 refreshes). */
	r.refresh = count_refresh;
	r.refresh_every = NB_REFRESH_EVERY;
	calls = refreshes = 0;
	n = nb_rule_sample(&r, wild, NULL, out);
	assert_int_equal(n, 30);
	assert_int_equal(refreshes, (30 - 1) / NB_REFRESH_EVERY);
	assert_int_equal(refresh_at[0], NB_REFRESH_EVERY);
	/* The second fresh allocation fails: sampling ends before it, with the samples of the
	 * first two allocations only. */
	calls = refreshes = 0;
	fail_at_refresh = 2;
	n = nb_rule_sample(&r, wild, NULL, out);
	assert_int_equal(n, 2 * NB_REFRESH_EVERY);
	assert_int_equal(calls, 2 * NB_REFRESH_EVERY);
	fail_at_refresh = 0;
	/* --repeat N: exactly N; --quick: a fixed 6. */
	nb_rule_default(&r, 7, false, 0.05);
	assert_true(r.min_reps == 7 && r.max_reps == 7);
	calls = 0;
	assert_int_equal(nb_rule_sample(&r, wild, NULL, out), 7);
	nb_rule_default(&r, 0, true, 0.05);
	assert_true(r.min_reps == 6 && r.max_reps == 6);
	/* Emulated timings: the minimum only, and the CI decides nothing. */
	nb_timing_emulated = true;
	nb_rule_default(&r, 0, false, 0.05);
	assert_true(r.emulated && r.max_reps == r.min_reps);
	calls = 0;
	n = nb_rule_sample(&r, wild, NULL, out);
	assert_int_equal(n, 5);
	assert_int_equal(nb_rule_judge(&r, out, n, why, sizeof(why)), NB_OK);
	json_t *m = nb_metric("ns", "lower", out, n);
	assert_true(json_is_true(json_object_get(m, "emulated")));
	json_decref(m);
	m = nb_metric("ptes/s", "lower", out, n); /* any rate per second is */
	assert_true(json_is_true(json_object_get(m, "emulated")));
	json_decref(m);
	m = nb_metric("faults", "lower", out, n); /* a count is not a timing */
	assert_null(json_object_get(m, "emulated"));
	json_decref(m);
	nb_timing_emulated = false;
	m = nb_metric("ns", "lower", out, n);
	assert_null(json_object_get(m, "emulated"));
	json_decref(m);
	nb_rule_default(&r, 0, false, 0.05); /* back to the default design */
}

/* A widely spread distribution whose median is well estimated is not untrustworthy: the
 * verdict is on the CI, not on the spread (first-touch THP cost is such a distribution). */
static double wide_but_known(void *arg)
{
	(void)arg;
	calls++;
	return 200 + (calls % 10) * 0.3 + (calls % 7 == 0 ? 300 : 0) + (calls % 5 == 0 ? -40 : 0);
}

static void test_verdict_on_ci(void **state)
{
	(void)state;
	double out[64];
	struct nb_rule r;
	char why[512] = "";
	nb_timing_emulated = false;
	nb_rule_default(&r, 0, false, 0.05);
	calls = 0;
	int n = nb_rule_sample(&r, wide_but_known, NULL, out);
	struct nb_summary s;
	nb_summarize(out, n, &s);
	assert_true((s.p95 - s.p5) / s.median > 0.5); /* samples widely spread */
	assert_true(nb_rel_ci(&s) < 0.05);	      /* median well estimated */
	assert_int_equal(nb_rule_judge(&r, out, n, why, sizeof(why)), NB_OK);
	json_t *m = nb_metric("ns", "lower", out, n);
	assert_float_equal(json_number_value(json_object_get(m, "median")), s.median, 0);
	assert_null(json_object_get(m, "p50")); /* retired in numabench.result/2: it was median */
	assert_non_null(json_object_get(m, "p5"));
	assert_null(json_object_get(m, "bimodal"));
	assert_int_equal(json_array_size(json_object_get(m, "ci_looks")), 3);
	json_decref(m);
	/* The example: 18 samples at 100 ns, 12 at 140 ns. */
	double bi[30];
	for (int i = 0; i < 30; i++)
		bi[i] = (i % 5 < 3 ? 100 : 140) + (i % 3) * 0.5;
	m = nb_metric("ns", "lower", bi, 30);
	json_t *b = json_object_get(m, "bimodal");
	assert_non_null(b);
	assert_string_equal(json_string_value(json_object_get(b, "summary")),
			    "bimodal: 100.5 ns x18, 140.5 ns x12");
	assert_int_equal(json_array_size(json_object_get(b, "modes")), 2);
	json_decref(m);
}

/* ---- coverage of the reported CI under the rule actually used, by simulation ---- */

static uint64_t rng_s;
static double urand(void)
{
	uint64_t z = (rng_s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	z ^= z >> 31;
	return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}
static double nrand(void)
{
	return sqrt(-2 * log(urand())) * cos(2 * M_PI * urand());
}

enum dist { D_NORMAL, D_LOGNORMAL, D_BIMODAL, D_NDIST };
struct stream {
	enum dist d;
	double sd; /* relative */
};
/* Medians: normal 100; lognormal exp(log 100) = 100; bimodal 60% N(100, sd), 40% N(140, sd):
 * the median is where 0.6 * Phi((m - 100) / sd) + 0.4 * Phi((m - 140) / sd) = 0.5 (solved
 * below by bisection). */
static double draw(void *arg)
{
	const struct stream *st = arg;
	switch (st->d) {
	case D_NORMAL:
		return 100 * (1 + st->sd * nrand());
	case D_LOGNORMAL:
		return 100 * exp(st->sd * nrand());
	default:
		return (urand() < 0.6 ? 100 : 140) + 100 * st->sd * nrand();
	}
}
static double true_median(const struct stream *st)
{
	if (st->d != D_BIMODAL)
		return 100;
	double lo = 90, hi = 150, s = 100 * st->sd;
	for (int i = 0; i < 100; i++) {
		double m = (lo + hi) / 2;
		double f = 0.6 * 0.5 * erfc(-(m - 100) / s / sqrt(2)) +
			   0.4 * 0.5 * erfc(-(m - 140) / s / sqrt(2));
		if (f < 0.5)
			lo = m;
		else
			hi = m;
	}
	return (lo + hi) / 2;
}

/* The naive rule this replaced: a look after every sample from 5, standard 95% ranks. */
static int naive_sample(const struct stream *st, double *out)
{
	int n = 0;
	struct nb_design fixed;
	while (n < 30) {
		out[n++] = draw((void *)st);
		if (n < 5)
			continue;
		int one = n;
		nb_design_make(&fixed, &one, 1, NB_CI_ALPHA);
		double v[64];
		memcpy(v, out, sizeof(double) * n);
		for (int i = 1; i < n; i++)
			for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
				double t = v[j];
				v[j] = v[j - 1];
				v[j - 1] = t;
			}
		int k = fixed.rank[0];
		if ((v[n - k] - v[k - 1]) / 2 / nb_quantile_sorted(v, n, 0.5) <= 0.01)
			break;
	}
	return n;
}

#define STREAMS 4000

static void test_coverage_simulated(void **state)
{
	(void)state;
	nb_timing_emulated = false;
	struct nb_rule r;
	nb_rule_default(&r, 0, false, 0.05);
	const double level = r.design.level;
	assert_true(level >= 0.95);
	/* Binomial standard error of a coverage estimate over STREAMS streams at the stated
	 * level, and a 3-sigma tolerance (a false failure about once in 700 runs; seeded, so
	 * deterministic here). */
	const double tol = 3 * sqrt(0.95 * 0.05 / STREAMS);
	/* Relative sds chosen so that the rule stops at every look: 0.5% mostly at 8, 1.5% at 16
	 * or 30, 5% at 30. */
	const struct stream streams[] = {
	    {D_NORMAL, 0.005},	  {D_NORMAL, 0.015},  {D_NORMAL, 0.05},
	    {D_LOGNORMAL, 0.005}, {D_LOGNORMAL, 0.3}, {D_BIMODAL, 0.005},
	};
	double worst_naive = 1;
	for (size_t t = 0; t < sizeof(streams) / sizeof(streams[0]); t++) {
		const struct stream *st = &streams[t];
		double med = true_median(st), out[64];
		int covered = 0, naive_covered = 0, stops[65] = {0};
		rng_s = 0x5eed0000u + t;
		for (int i = 0; i < STREAMS; i++) {
			int n = nb_rule_sample(&r, draw, (void *)st, out);
			stops[n]++;
			struct nb_summary s;
			nb_summarize(out, n, &s);
			assert_true(s.ci_level >= level - 1e-12);
			covered += s.ci95_lo <= med && med <= s.ci95_hi;
			n = naive_sample(st, out);
			nb_summarize(out, n, &s);
			int one = n;
			struct nb_design fixed;
			nb_design_make(&fixed, &one, 1, NB_CI_ALPHA);
			double v[64];
			memcpy(v, out, sizeof(double) * n);
			for (int a = 1; a < n; a++)
				for (int b = a; b > 0 && v[b - 1] > v[b]; b--) {
					double x = v[b];
					v[b] = v[b - 1];
					v[b - 1] = x;
				}
			naive_covered += v[fixed.rank[0] - 1] <= med && med <= v[n - fixed.rank[0]];
		}
		double cov = (double)covered / STREAMS, ncov = (double)naive_covered / STREAMS;
		print_message("coverage %d (dist %d, sd %.3f): %.4f (stated %.4f, tolerance %.4f; "
			      "stops at 8/16/30: %d/%d/%d); naive rule %.4f\n",
			      (int)t, st->d, st->sd, cov, level, tol, stops[8], stops[16],
			      stops[30], ncov);
		assert_true(cov >= level - tol);
		if (ncov < worst_naive)
			worst_naive = ncov;
	}
	/* The check can fail: the rule it replaced (optional stopping after every sample)
	 * under-covers on these same streams. */
	assert_true(worst_naive < 0.95 - tol);
}

/* Bimodal detection on streams: rare on one-mode streams, usual on two-mode ones. */
static void test_bimodal_rates(void **state)
{
	(void)state;
	const struct stream one[] = {{D_NORMAL, 0.05}, {D_LOGNORMAL, 0.3}};
	const struct stream two = {D_BIMODAL, 0.02};
	double v[30];
	rng_s = 77;
	for (size_t t = 0; t < 2; t++) {
		int hits = 0;
		for (int i = 0; i < 2000; i++) {
			for (int j = 0; j < 30; j++)
				v[j] = draw((void *)&one[t]);
			struct nb_summary s;
			nb_summarize(v, 30, &s);
			hits += s.bimodal;
		}
		print_message("bimodal on one-mode stream %d: %d of 2000\n", (int)t, hits);
		assert_true(hits < 20);
	}
	int hits = 0;
	for (int i = 0; i < 2000; i++) {
		for (int j = 0; j < 30; j++)
			v[j] = draw((void *)&two);
		struct nb_summary s;
		nb_summarize(v, 30, &s);
		hits += s.bimodal;
	}
	print_message("bimodal on the two-mode stream: %d of 2000\n", hits);
	assert_true(hits > 1900);
}

/* --budget's durations, and the budget the rule obeys. */
static void test_budget(void **state)
{
	(void)state;
	double s;
	assert_int_equal(nb_parse_duration("90", &s), 0);
	assert_float_equal(s, 90, 0);
	assert_int_equal(nb_parse_duration("60s", &s), 0);
	assert_float_equal(s, 60, 0);
	assert_int_equal(nb_parse_duration("5m", &s), 0);
	assert_float_equal(s, 300, 0);
	assert_int_equal(nb_parse_duration("1.5h", &s), 0);
	assert_float_equal(s, 5400, 0);
	const char *bad[] = {"", "0", "-5s", "5x", "s", "m5", "8d", "nan", "1e9", " 5"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(nb_parse_duration(bad[i], &s), -1);
	/* A spent share: the rule stops at its first look; past the end, after one sample. */
	struct nb_rule r;
	double out[64];
	nb_timing_emulated = false;
	nb_rule_default(&r, 0, false, 0.05);
	nb_budget_job_end_ns = nb_now_ns();
	nb_budget_end_ns = nb_now_ns() + 60000000000ull;
	calls = 0;
	assert_int_equal(nb_rule_sample(&r, wild, NULL, out), 8);
	assert_true(nb_budget_spent());
	json_t *cell = json_object();
	assert_true(nb_cell_budget(cell));
	assert_non_null(strstr(json_string_value(json_object_get(cell, "reason")), "budget:"));
	json_decref(cell);
	nb_budget_end_ns = nb_now_ns();
	assert_int_equal(nb_rule_sample(&r, wild, NULL, out), 1);
	char why[512];
	assert_int_equal(nb_rule_judge(&r, out, 1, why, sizeof(why)), NB_UNTRUSTWORTHY);
	nb_budget_end_ns = nb_budget_job_end_ns = 0;
	assert_false(nb_budget_spent());
	assert_true(nb_budget_fits(1e6)); /* no budget: everything fits */
	assert_int_equal(nb_rule_sample(&r, wild, NULL, out), 30);
	/* A share with 2 s left: a 1 s unit fits, a 3 s one does not; a spent share fits none. */
	nb_budget_job_end_ns = nb_now_ns() + 2000000000ull;
	assert_true(nb_budget_fits(0));
	assert_true(nb_budget_fits(1.0));
	assert_false(nb_budget_fits(3.0));
	nb_budget_job_end_ns = nb_now_ns();
	assert_false(nb_budget_fits(0));
	/* Cell shares: 4 s left over cells estimated 1, 1 and 2 s: the first gets a quarter, the
	 * last (from place 2 on) all that is left; a cell without an estimate gets no share. */
	const double est[] = {1, 1, 2};
	uint64_t now = nb_now_ns();
	nb_budget_job_end_ns = now + 4000000000ull;
	nb_budget_cells_arm(est, 3);
	nb_budget_cell_begin(0);
	assert_true(nb_budget_cell_end_ns >= now + 900000000ull &&
		    nb_budget_cell_end_ns <= now + 1100000000ull);
	nb_budget_cell_begin(2);
	assert_true(nb_budget_cell_end_ns >= now + 3900000000ull &&
		    nb_budget_cell_end_ns <= nb_budget_job_end_ns);
	nb_budget_cell_begin(3);
	assert_int_equal(nb_budget_cell_end_ns, 0);
	/* 1.5 s left in the run: the 2 s cell cannot take its first look (skipped, reason
	 * budget), the 1 s cells still can; without a run's end nothing is late. */
	double left, need;
	nb_budget_end_ns = nb_now_ns() + 1500000000ull;
	assert_true(nb_budget_cell_late(2, &left, &need));
	assert_true(left > 1.4 && left <= 1.5 && need == 2);
	assert_false(nb_budget_cell_late(1, &left, &need));
	assert_false(nb_budget_cell_late(3, &left, &need)); /* no estimate */
	json_t *late = json_pack("{s:i}", "order", 2);
	assert_true(nb_cell_budget(late));
	assert_non_null(strstr(json_string_value(json_object_get(late, "reason")),
			       "budget: the run's time budget ends in"));
	json_decref(late);
	nb_budget_end_ns = 0;
	assert_false(nb_budget_cell_late(2, &left, &need));
	/* a spent cell share stops the rule at its first look although the bench's is not */
	nb_budget_cell_begin(0);
	nb_budget_cell_end_ns = nb_now_ns();
	assert_int_equal(nb_rule_sample(&r, wild, NULL, out), 8);
	nb_budget_cells_arm(NULL, 0);
	assert_int_equal(nb_budget_cell_end_ns, 0);
	nb_budget_job_end_ns = 0;
}

static void test_design(void **state)
{
	(void)state;
	struct nb_design d;
	const int looks[] = {8, 16, 30};
	nb_design_make(&d, looks, 3, 0.05);
	/* 8: [min, max] misses 2/256; 16: x(3)..x(14) misses 2 * 137/65536; 30: x(9)..x(22). */
	assert_int_equal(d.rank[0], 1);
	assert_int_equal(d.rank[1], 3);
	assert_int_equal(d.rank[2], 9);
	double miss = nb_median_ci_miss(8, 1) + nb_median_ci_miss(16, 3) + nb_median_ci_miss(30, 9);
	assert_float_equal(d.level, 1 - miss, 1e-12);
	assert_true(d.level >= 0.95);
	assert_float_equal(nb_median_ci_miss(8, 1), 2.0 / 256, 1e-12);
	/* One look: the fixed-n rank. */
	for (int n = 1; n <= 64; n++) {
		double cov;
		nb_design_make(&d, &n, 1, 0.05);
		assert_int_equal(d.rank[0], nb_median_ci_rank(n, &cov));
		assert_float_equal(d.level, cov, 1e-9);
	}
}

static json_t *cell(int c, int m, const char *pages, double median, const char *status)
{
	double s[3] = {median, median, median};
	json_t *o = json_pack("{s:i,s:i,s:s,s:I,s:s}", "cpu_node", c, "mem_node", m, "pages", pages,
			      "size_bytes", (json_int_t)(1 << 30), "status", status);
	json_object_set_new(o, "metrics",
			    json_pack("{s:o}", "latency_ns", nb_metric("ns", "lower", s, 3)));
	return o;
}

static void test_headline(void **state)
{
	(void)state;
	json_t *run = json_object(), *cells = json_array();
	json_object_set_new(run, "cells", cells);
	json_array_append_new(cells, cell(0, 0, "4k", 95.0, "ok"));
	json_array_append_new(cells, cell(0, 1, "4k", 150.0, "ok"));
	json_array_append_new(cells, cell(1, 0, "4k", 151.0, "ok"));
	json_array_append_new(cells, cell(1, 1, "4k", 95.4, "ok"));
	json_array_append_new(cells, cell(1, 1, "thp", 60.0, "ok"));		/* not picked */
	json_array_append_new(cells, cell(2, 2, "4k", 18.21, "untrustworthy")); /* not ok */
	nb_run_headline(run, "latency_ns", "4k:", "size_bytes", nb_cell_with, "pages=4k");
	const char *h = json_string_value(json_object_get(run, "headline"));
	assert_non_null(h);
	assert_string_equal(h, "4k: local 95.0-95.4 ns (nodes 0-1), remote 150-151 ns (1.58x)");
	json_decref(run);
	/* One node: the local figure, and no remote figure made up. */
	run = json_object();
	cells = json_array();
	json_object_set_new(run, "cells", cells);
	json_array_append_new(cells, cell(0, 0, "4k", 104.12, "ok"));
	nb_run_headline(run, "latency_ns", "4k:", NULL, nb_cell_with, "pages=4k");
	assert_string_equal(json_string_value(json_object_get(run, "headline")),
			    "4k: local 104 ns (node 0), no remote pair measured");
	json_decref(run);
	/* Only untrustworthy cells: a headline that says so. */
	run = json_object();
	cells = json_array();
	json_object_set_new(run, "cells", cells);
	json_array_append_new(cells, cell(0, 0, "4k", 104.12, "untrustworthy"));
	nb_run_headline(run, "latency_ns", "4k:", NULL, nb_cell_with, "pages=4k");
	assert_non_null(strstr(json_string_value(json_object_get(run, "headline")),
			       "[includes untrustworthy cells]"));
	json_decref(run);
	char b[32];
	nb_fmt_figure(0.000123, b, sizeof(b));
	assert_null(strchr(b, 'e'));
	nb_fmt_figure(123456789.0, b, sizeof(b));
	assert_string_equal(b, "123456789");
}

static bool any_cell(json_t *c, void *arg)
{
	(void)c;
	(void)arg;
	return true;
}

/* With a topology: non-local pairs by distance class (two packages of two nodes, SLIT
 * 10/12/32, node 3 memory-only), and maxkey per pair (node 1 has fewer cpus). */
static void test_headline_classes(void **state)
{
	(void)state;
	struct nb_topo *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	static const int d[4][4] = {
	    {10, 12, 32, 20}, {12, 10, 32, 24}, {32, 32, 10, 30}, {20, 24, 30, 10}};
	t->nnodes = 4;
	t->have_distances = true;
	for (int i = 0; i < 4; i++) {
		t->nodes[i].id = i;
		t->nodes[i].ncpus = i == 3 ? 0 : 2;
		for (int j = 0; j < 4; j++)
			t->distances[i][j] = (uint64_t)d[i][j];
	}
	nb_headline_topology(t);
	json_t *run = json_object(), *cells = json_array();
	json_object_set_new(run, "cells", cells);
	static const struct {
		int c, m;
		double v;
	} lat[] = {{0, 0, 100}, {0, 1, 112}, {0, 2, 190}, {0, 3, 250}, {1, 1, 100}, {1, 0, 112}};
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++)
		json_array_append_new(cells, cell(lat[i].c, lat[i].m, "4k", lat[i].v, "ok"));
	nb_run_headline(run, "latency_ns", "4k:", "size_bytes", nb_cell_with, "pages=4k");
	assert_string_equal(json_string_value(json_object_get(run, "headline")),
			    "4k: local 100 ns (nodes 0-1), same package 112 ns (1.12x), other "
			    "package 190 ns (1.90x), memory only 250 ns (2.50x)");
	json_decref(run);
	/* threads per pair: node 0 ran 1 and 4 threads, node 1 only 2; one class: "remote" */
	run = json_object();
	cells = json_array();
	json_object_set_new(run, "cells", cells);
	static const struct {
		int c, m, threads;
		double v;
	} bw[] = {{0, 0, 1, 10}, {0, 0, 4, 40}, {1, 1, 2, 20}, {0, 2, 4, 20}};
	for (size_t i = 0; i < sizeof(bw) / sizeof(bw[0]); i++) {
		double s[3] = {bw[i].v, bw[i].v, bw[i].v};
		json_t *o = json_pack("{s:i,s:i,s:i,s:s}", "cpu_node", bw[i].c, "mem_node", bw[i].m,
				      "threads", bw[i].threads, "status", "ok");
		json_object_set_new(
		    o, "metrics",
		    json_pack("{s:o}", "bandwidth_gbs", nb_metric("GB/s", "higher", s, 3)));
		json_array_append_new(cells, o);
	}
	nb_run_headline(run, "bandwidth_gbs", "read:", "threads", any_cell, NULL);
	assert_string_equal(json_string_value(json_object_get(run, "headline")),
			    "read: local 20.0-40.0 GB/s (nodes 0-1), remote 20.0 GB/s (1.50x)");
	json_decref(run);
	nb_headline_topology(NULL);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_summary_known_values),
	    cmocka_unit_test(test_summary_outlier),
	    cmocka_unit_test(test_summary_small_and_ties),
	    cmocka_unit_test(test_median_ci_ranks),
	    cmocka_unit_test(test_rule),
	    cmocka_unit_test(test_verdict_on_ci),
	    cmocka_unit_test(test_design),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_coverage_simulated),
	    cmocka_unit_test(test_bimodal_rates),
	    cmocka_unit_test(test_headline),
	    cmocka_unit_test(test_headline_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
