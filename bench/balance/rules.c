/* numabench bench `balance`: the rules, pure (see rules.h). Owns convergence, steady rates,
 * break-even, the cross-check's tolerance, overhead and benefit (README "The `balance`
 * bench"); bench/balance/derive.c applies them to the trials. */
#include "balance/rules.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>

double nb_bal_share_filtered(const double *share, int n, int i)
{
	double v[NB_BAL_SMOOTH];
	struct nb_summary s;
	int k = 0;
	for (int j = i - NB_BAL_SMOOTH / 2; j <= i + NB_BAL_SMOOTH / 2; j++)
		if (j >= 0 && j < n)
			v[k++] = share[j];
	nb_summarize(v, k, &s);
	return s.median;
}

double nb_bal_convergence(const double *t, const double *share, int n)
{
	double conv = NAN;
	for (int i = n - 1; i >= 0 && nb_bal_share_filtered(share, n, i) >= NB_BAL_CONVERGED; i--)
		conv = t[i];
	return conv;
}

double nb_bal_throughput(const double *t, const double *work, int n)
{
	double T = t[n - 1];
	return T > 0 ? work[n - 1] / T / 1e6 : NAN;
}

double nb_bal_steady(const double *t, const double *work, int n)
{
	int k = 2 * (n - 1) / 3;
	return t[n - 1] > t[k] ? (work[n - 1] - work[k]) / (t[n - 1] - t[k]) / 1e6 : NAN;
}

double nb_bal_break_even(const double *t, const double *won, int n_on, const double *woff,
			 int n_off, double steady_on, double steady_off, const char **how)
{
	int n = n_on < n_off ? n_on : n_off, i = n;
	while (i > 1 && won[i - 1] >= woff[i - 1])
		i--;
	if (i < n) {
		*how = "measured";
		return t[i];
	}
	if (steady_on > steady_off) {
		double gap = (woff[n - 1] - won[n - 1]) / 1e6;
		*how = "extrapolated";
		return t[n - 1] + gap / (steady_on - steady_off);
	}
	*how = "never";
	return NAN;
}

int64_t nb_bal_cross_tolerance(uint64_t pages_total)
{
	return (int64_t)(pages_total / 100) > 32 ? (int64_t)(pages_total / 100) : 32;
}

bool nb_bal_cross_agree(int64_t arrived, int64_t vmstat_migrated, uint64_t pages_total)
{
	return vmstat_migrated >= 0 &&
	       llabs(arrived - vmstat_migrated) <= nb_bal_cross_tolerance(pages_total);
}

double nb_bal_overhead_pct(double thr_on, double thr_off)
{
	return 100 * (1 - thr_on / thr_off);
}

double nb_bal_benefit_pct(double thr_on, double thr_off)
{
	return 100 * (thr_on / thr_off - 1);
}

bool nb_bal_mode_converged(int converged_reps, int measured_reps)
{
	return measured_reps && converged_reps == measured_reps;
}
