/* numabench: statistics. */
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double nb_quantile_sorted(const double *v, int n, double q)
{
	if (n <= 0)
		return NAN;
	double pos = q * (n - 1);
	int i = (int)floor(pos);
	if (i >= n - 1)
		return v[n - 1];
	double f = pos - i;
	return v[i] + f * (v[i + 1] - v[i]);
}

int nb_median_ci_rank(int n, double *coverage)
{
	/* cdf = P(B <= j) for B ~ Binomial(n, 1/2), from logs so that large n cannot overflow.
	 * [x(k), x(n-k+1)] misses the median with probability 2 * P(B <= k - 1). */
	int k = 1;
	double cdf = 0, tail = n > 0 ? exp(-n * log(2.0)) : 1;
	for (int j = 0; j < n; j++) {
		cdf += exp(lgamma(n + 1.0) - lgamma(j + 1.0) - lgamma(n - j + 1.0) - n * log(2.0));
		if (cdf > 0.025)
			break;
		k = j + 1;
		tail = cdf;
	}
	if (coverage)
		*coverage = 1 - 2 * tail;
	return k;
}

void nb_summarize(const double *samples, int n, struct nb_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	if (n <= 0) {
		s->min = s->max = s->median = s->mean = s->stddev = s->cv = s->p5 = s->p95 = NAN;
		s->mad = s->iqr = s->spread = s->ci95_lo = s->ci95_hi = s->ci_level = NAN;
		return;
	}
	double *v = malloc(sizeof(double) * n), *dev = malloc(sizeof(double) * n);
	if (!v || !dev)
		abort();
	memcpy(v, samples, sizeof(double) * n);
	qsort(v, n, sizeof(double), cmp_double);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	double mean = sum / n, ss = 0;
	for (int i = 0; i < n; i++)
		ss += (v[i] - mean) * (v[i] - mean);
	s->min = v[0];
	s->max = v[n - 1];
	s->median = nb_quantile_sorted(v, n, 0.5);
	s->p5 = nb_quantile_sorted(v, n, 0.05);
	s->p95 = nb_quantile_sorted(v, n, 0.95);
	s->iqr = nb_quantile_sorted(v, n, 0.75) - nb_quantile_sorted(v, n, 0.25);
	s->mean = mean;
	s->stddev = n > 1 ? sqrt(ss / (n - 1)) : 0;
	s->cv = mean != 0 ? s->stddev / fabs(mean) : 0;
	for (int i = 0; i < n; i++)
		dev[i] = fabs(v[i] - s->median);
	qsort(dev, n, sizeof(double), cmp_double);
	s->mad = nb_quantile_sorted(dev, n, 0.5);
	s->spread = n > 1 && s->median != 0 ? NB_MAD_SCALE * s->mad / fabs(s->median) : 0;
	double scale = fmax(NB_MAD_SCALE * s->mad, NB_SCALE_FLOOR * fabs(s->median));
	for (int i = 0; i < n && n > 2; i++)
		s->outliers +=
		    scale > 0 ? fabs(v[i] - s->median) / scale > NB_OUTLIER_Z : v[i] != s->median;
	int k = nb_median_ci_rank(n, &s->ci_level);
	s->ci95_lo = v[k - 1];
	s->ci95_hi = v[n - k];
	free(dev);
	free(v);
}

double nb_rel_ci(const struct nb_summary *s)
{
	if (s->n < 2 || s->median == 0 || !isfinite(s->median))
		return INFINITY;
	return (s->ci95_hi - s->ci95_lo) / 2 / fabs(s->median);
}

void nb_rule_default(struct nb_rule *r, int repeat, bool quick, double spread_max)
{
	r->min_reps = repeat ? repeat : quick ? 3 : 5;
	r->max_reps = repeat ? repeat : quick ? 8 : 30;
	r->ci_target = 0.01;
	r->spread_max = spread_max;
	r->emulated = nb_timing_emulated;
	if (r->emulated)
		r->max_reps = r->min_reps;
}

int nb_rule_sample(const struct nb_rule *r, double (*fn)(void *arg), void *arg, double *out)
{
	int n = 0, max = r->max_reps > 64 ? 64 : r->max_reps < 1 ? 1 : r->max_reps;
	struct nb_summary s;
	while (n < max && !nb_interrupted) {
		out[n++] = fn(arg);
		if (n >= r->min_reps) {
			nb_summarize(out, n, &s);
			if (nb_rel_ci(&s) <= r->ci_target && s.spread <= r->spread_max)
				break;
		}
	}
	return n;
}

enum nb_status nb_rule_judge(const struct nb_rule *r, const double *v, int n, char *why, size_t len)
{
	struct nb_summary s;
	if (r->emulated || n < 3)
		return NB_OK;
	nb_summarize(v, n, &s);
	if (s.spread <= r->spread_max)
		return NB_OK;
	snprintf(why, len,
		 "samples spread too much: robust spread %.1f%% > %.1f%% over %d samples "
		 "(%d outliers; median %.4g, min %.4g, max %.4g)",
		 100 * s.spread, 100 * r->spread_max, n, s.outliers, s.median, s.min, s.max);
	return NB_UNTRUSTWORTHY;
}

struct ranked {
	double v;
	int grp;
};

static int cmp_ranked(const void *a, const void *b)
{
	return cmp_double(&((const struct ranked *)a)->v, &((const struct ranked *)b)->v);
}

double nb_mann_whitney_p(const double *a, int na, const double *b, int nb)
{
	int n = na + nb;
	if (na < 1 || nb < 1)
		return NAN;
	struct ranked *r = malloc(sizeof(*r) * n);
	if (!r)
		abort();
	for (int i = 0; i < na; i++)
		r[i] = (struct ranked){a[i], 0};
	for (int i = 0; i < nb; i++)
		r[na + i] = (struct ranked){b[i], 1};
	qsort(r, n, sizeof(*r), cmp_ranked);
	double ra = 0, tie = 0;
	for (int i = 0; i < n;) {
		int j = i;
		while (j < n && r[j].v == r[i].v)
			j++;
		double rank = (i + 1 + j) / 2.0; /* average of ranks i+1..j */
		double t = j - i;
		tie += t * t * t - t;
		for (int k = i; k < j; k++)
			if (r[k].grp == 0)
				ra += rank;
		i = j;
	}
	free(r);
	double u = ra - na * (na + 1) / 2.0;
	double mu = na * (double)nb / 2.0;
	double sigma2 = na * (double)nb / 12.0 * ((n + 1) - tie / ((double)n * (n - 1)));
	if (sigma2 <= 0)
		return 1.0;
	double z = (fabs(u - mu) - 0.5) / sqrt(sigma2); /* continuity correction */
	if (z < 0)
		z = 0;
	return erfc(z / sqrt(2.0));
}
