/* Unit tests of the balance bench's rules (bench/balance/rules.c), one table per rule, each row
 * inputs -> expected answer, from README "The `balance` bench". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "balance/rules.h"

#include <math.h>
#include <string.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NEVER NAN

/*
 * README: "convergence_s (until a 5-sample running median of the local share stays >= 90%;
 * null with converged: false means never)". Samples every 0.1 s from t = 0.
 */
static const struct {
	int n;
	double share[12];
	double want; /* s, or NEVER */
} conv[] = {
    {5, {1, 1, 1, 1, 1}, 0.0},				 /* local from the start */
    {6, {0, 0, 0, 0.9, 0.9, 0.9}, 0.3},			 /* reaches exactly 90% */
    {6, {0, 0, 0, 0.89, 0.89, 0.89}, NEVER},		 /* never 90% */
    {8, {0, 0, 0.2, 0.95, 0.95, 0.95, 0.95, 0.95}, 0.3}, /* the median lags the step by one */
    {8, {0, 0, 0, 0, 0.95, 0.95, 0.95, 0.95}, 0.4},
    /* one low sample inside a local stretch is filtered out (a free thread's short trip) */
    {9, {0, 0, 0.95, 0.95, 0.1, 0.95, 0.95, 0.95, 0.95}, 0.3},
    /* local, then it left for good: "stays" fails */
    {8, {1, 1, 1, 1, 0, 0, 0, 0}, NEVER},
    /* two low samples in five still leave the median high; at t = 0.1 the window has only 4
     * samples (the start), whose median is the mean of the middle two, 52.5% */
    {7, {0.95, 0.95, 0.1, 0.1, 0.95, 0.95, 0.95}, 0.2},
    {3, {0, 0, 0}, NEVER},
};

static void test_convergence(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(conv); i++) {
		double t[12];
		for (int k = 0; k < conv[i].n; k++)
			t[k] = 0.1 * k;
		double got = nb_bal_convergence(t, conv[i].share, conv[i].n);
		if (isnan(conv[i].want) ? !isnan(got) : fabs(got - conv[i].want) > 1e-9)
			fail_msg("convergence row %zu: %g, want %g", i, got, conv[i].want);
	}
	/* "local_share_end is that median at the last sample" */
	double s[] = {0.2, 0.4, 0.6, 0.8, 1.0};
	assert_float_equal(nb_bal_share_filtered(s, 5, 4), 0.8, 1e-12); /* median of 0.6 .. 1 */
	assert_float_equal(nb_bal_share_filtered(s, 5, 0), 0.4, 1e-12); /* median of 0.2 .. 0.6 */
	assert_true(nb_bal_mode_converged(2, 2));
	/* "converged only when every measured repetition converged" */
	assert_false(nb_bal_mode_converged(1, 2));
	assert_false(nb_bal_mode_converged(0, 0));
}

/*
 * break_even_rule: "remote workload: first time from which bytes streamed with balancing on
 * stay ahead of the same repetition with balancing 0; past the run, extrapolated from the
 * steady (last third) rates". Work in bytes at t = 0, 1, 2, 3, 4 s; steady rates in MB/s.
 */
static const struct {
	double on[5], off[5], steady_on, steady_off, want;
	const char *how;
} be[] = {
    {{0, 1e6, 3e6, 6e6, 9e6}, {0, 2e6, 4e6, 6e6, 8e6}, 3, 2, 3, "measured"},
    {{0, 3e6, 6e6, 9e6, 12e6}, {0, 2e6, 4e6, 6e6, 8e6}, 3, 2, 1, "measured"},
    {{0, 1e6, 2e6, 3e6, 5e6}, {0, 2e6, 4e6, 6e6, 8e6}, 2, 2, NEVER, "never"},
    /* behind by 3 MB at 4 s, gaining 1 MB/s: 7 s */
    {{0, 1e6, 2e6, 3e6, 5e6}, {0, 2e6, 4e6, 6e6, 8e6}, 3, 2, 7, "extrapolated"},
    {{0, 1e6, 2e6, 3e6, 4e6}, {0, 2e6, 4e6, 6e6, 8e6}, 1, 2, NEVER, "never"},
    /* ahead, fell behind, ahead again from 3 s on: the last crossing counts */
    {{0, 3e6, 3e6, 7e6, 9e6}, {0, 2e6, 4e6, 6e6, 8e6}, 2, 2, 3, "measured"},
};

static void test_break_even(void **state)
{
	(void)state;
	double t[5] = {0, 1, 2, 3, 4};
	for (size_t i = 0; i < N(be); i++) {
		const char *how = NULL;
		double got = nb_bal_break_even(t, be[i].on, 5, be[i].off, 5, be[i].steady_on,
					       be[i].steady_off, &how);
		if ((isnan(be[i].want) ? !isnan(got) : fabs(got - be[i].want) > 1e-9) ||
		    strcmp(how, be[i].how))
			fail_msg("break-even row %zu: %g (%s), want %g (%s)", i, got, how,
				 be[i].want, be[i].how);
	}
}

/*
 * cross_check_rule: "numa_maps pages arriving on a node between consecutive samples, summed,
 * against the numa_pages_migrated delta of /proc/vmstat; agree when within tolerance_pages"
 * (1% of the buffer's pages, at least 32).
 */
static const struct {
	int64_t arrived, vm;
	uint64_t pages;
	int64_t tol;
	bool agree;
} cc[] = {
    {16384, 16386, 16384, 163, true},  {16384, 16547, 16384, 163, true},
    {16384, 16548, 16384, 163, false}, {8269, 0, 16384, 163, false},
    {0, 0, 16384, 163, true},	       {10, 42, 256, 32, true},
    {10, 43, 256, 32, false},	       {100, -1, 16384, 163, false}, /* vmstat field absent */
};

static void test_cross_check(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(cc); i++) {
		assert_int_equal(nb_bal_cross_tolerance(cc[i].pages), cc[i].tol);
		if (nb_bal_cross_agree(cc[i].arrived, cc[i].vm, cc[i].pages) != cc[i].agree)
			fail_msg("cross-check row %zu", i);
	}
}

/*
 * README: "overhead (local workload, balancing off vs on), benefit (remote workload off vs
 * on)", "steady throughput" over the last third of the run.
 */
static void test_rates(void **state)
{
	(void)state;
	static const struct {
		double on, off, overhead, benefit;
	} r[] = {{90, 100, 10, -10}, {100, 100, 0, 0}, {150, 100, -50, 50}};
	for (size_t i = 0; i < N(r); i++) {
		assert_float_equal(nb_bal_overhead_pct(r[i].on, r[i].off), r[i].overhead, 1e-9);
		assert_float_equal(nb_bal_benefit_pct(r[i].on, r[i].off), r[i].benefit, 1e-9);
	}
	double t[7] = {0, 1, 2, 3, 4, 5, 6}, w[7] = {0, 1e6, 2e6, 3e6, 4e6, 7e6, 10e6};
	assert_float_equal(nb_bal_throughput(t, w, 7), 10.0 / 6, 1e-9);
	assert_float_equal(nb_bal_steady(t, w, 7), 3, 1e-9); /* from t = 4: (10 - 4) / 2 */
	double t0[3] = {0, 0, 0};
	assert_true(isnan(nb_bal_throughput(t0, w, 3)));
	assert_true(isnan(nb_bal_steady(t0, w, 3)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_convergence),
	    cmocka_unit_test(test_break_even),
	    cmocka_unit_test(test_cross_check),
	    cmocka_unit_test(test_rates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
