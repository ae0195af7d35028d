/* numabench: statistics. */
#include "stats.h"

#include <math.h>
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

/* Two-sided 95% Student t critical values; df > 30 uses the normal approximation
 * refined by a Cornish-Fisher term (error < 1e-3). */
double nb_t95(int df)
{
	static const double t[] = {0,	  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365,
				   2.306, 2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
				   2.120, 2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069,
				   2.064, 2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
	if (df <= 0)
		return INFINITY;
	if (df <= 30)
		return t[df];
	double z = 1.959964;
	return z + (z * z * z + z) / (4.0 * df);
}

void nb_summarize(const double *samples, int n, struct nb_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->n = n;
	if (n <= 0) {
		s->min = s->max = s->median = s->mean = s->stddev = s->cv = s->p5 = s->p95 = NAN;
		s->ci95_lo = s->ci95_hi = NAN;
		return;
	}
	double *v = malloc(sizeof(double) * n);
	if (!v)
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
	s->mean = mean;
	s->stddev = n > 1 ? sqrt(ss / (n - 1)) : 0;
	s->cv = mean != 0 ? s->stddev / fabs(mean) : 0;
	double half = n > 1 ? nb_t95(n - 1) * s->stddev / sqrt(n) : 0;
	s->ci95_lo = mean - half;
	s->ci95_hi = mean + half;
	free(v);
}

double nb_rel_ci(const struct nb_summary *s)
{
	if (s->n < 2 || s->mean == 0)
		return INFINITY;
	return (s->ci95_hi - s->mean) / fabs(s->mean);
}

int nb_repeat_until(double (*fn)(void *arg), void *arg, double *out, int min_reps, int max_reps,
		    double target)
{
	int n = 0;
	struct nb_summary s;
	while (n < max_reps) {
		out[n++] = fn(arg);
		if (n >= min_reps) {
			nb_summarize(out, n, &s);
			if (nb_rel_ci(&s) <= target)
				break;
		}
	}
	return n;
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
