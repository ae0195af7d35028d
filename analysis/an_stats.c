/* numabench analysis: bootstrap of the ratio of medians and the comparison verdict. */
#include "an_stats.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void an_rng_seed(struct an_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t an_rng_next(struct an_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint64_t an_rng_below(struct an_rng *r, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)an_rng_next(r) * n) >> 64);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* Sorts v in place: insertion sort for the small samples benches take (a bootstrap sorts
 * thousands of resamples per metric, where qsort's calls dominate), qsort beyond. */
static double median_inplace(double *v, int n)
{
	if (n > 64)
		qsort(v, n, sizeof(*v), cmp_double);
	for (int i = 1; n <= 64 && i < n; i++) {
		double x = v[i];
		int j = i;
		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return nb_quantile_sorted(v, n, 0.5);
}

double an_median(const double *v, int n)
{
	if (n <= 0)
		return NAN;
	double *c = malloc(sizeof(*c) * n);
	if (!c)
		abort();
	memcpy(c, v, sizeof(*c) * n);
	double m = median_inplace(c, n);
	free(c);
	return m;
}

static double resample_median(struct an_rng *r, const double *v, int n, double *tmp)
{
	for (int i = 0; i < n; i++)
		tmp[i] = v[an_rng_below(r, (uint64_t)n)];
	return median_inplace(tmp, n);
}

void an_boot_change_ci(const double *a, int na, const double *b, int nb, int reps, uint64_t seed,
		       double *lo, double *hi, double *dist)
{
	*lo = *hi = NAN;
	if (na < 1 || nb < 1 || reps < 1)
		return;
	double *tmp = malloc(sizeof(double) * (na > nb ? na : nb));
	double *ch = malloc(sizeof(double) * reps);
	if (!tmp || !ch)
		abort();
	struct an_rng r;
	an_rng_seed(&r, seed);
	bool ok = true;
	for (int i = 0; i < reps; i++) {
		double ma = resample_median(&r, a, na, tmp);
		double mb = resample_median(&r, b, nb, tmp);
		ch[i] = (mb - ma) / fabs(ma);
		ok = ok && ma != 0;
	}
	qsort(ch, reps, sizeof(*ch), cmp_double);
	if (ok) {
		*lo = nb_quantile_sorted(ch, reps, 0.025);
		*hi = nb_quantile_sorted(ch, reps, 0.975);
	}
	if (dist)
		memcpy(dist, ch, sizeof(*ch) * reps);
	free(tmp);
	free(ch);
}

bool an_stat_sig(const struct an_cmp *c)
{
	bool excl = c->lo > 0 || c->hi < 0; /* false when the CI is NAN */
	return c->p < AN_ALPHA && excl;
}

bool an_practical(const struct an_cmp *c)
{
	return !isnan(c->change) && !(fabs(c->change) < c->min_change);
}

enum an_verdict an_judge(const struct an_cmp *c, int dir)
{
	if (isnan(c->change))
		return AN_V_NA;
	if (!an_stat_sig(c) || !an_practical(c))
		return AN_V_SAME;
	if (!dir)
		return AN_V_CHANGED;
	return (c->change > 0) == (dir > 0) ? AN_V_BETTER : AN_V_WORSE;
}

void an_compare(const double *a, int na, const double *b, int nb, int dir, struct an_cmp *out)
{
	out->na = na;
	out->nb = nb;
	out->med_a = an_median(a, na);
	out->med_b = an_median(b, nb);
	out->change = out->med_a != 0 ? (out->med_b - out->med_a) / fabs(out->med_a) : NAN;
	an_boot_change_ci(a, na, b, nb, AN_BOOT_REPS, AN_BOOT_SEED, &out->lo, &out->hi, NULL);
	out->p = nb_mann_whitney_p(a, na, b, nb);
	out->stat_sig = an_stat_sig(out);
	out->practical = an_practical(out);
	out->verdict = an_judge(out, dir);
}

const char *an_verdict_name(enum an_verdict v)
{
	static const char *const names[] = {"n/a", "no significant change", "improvement",
					    "regression", "changed"};
	return names[v];
}

bool an_beyond(const struct an_cmp *c, double pct)
{
	return c->verdict == AN_V_WORSE && fabs(c->change) * 100 > pct;
}
