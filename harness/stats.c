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

double nb_median_ci_miss(int n, int k)
{
	double cdf = 0;
	for (int j = 0; j < k && j <= n; j++)
		cdf += exp(lgamma(n + 1.0) - lgamma(j + 1.0) - lgamma(n - j + 1.0) - n * log(2.0));
	return 2 * cdf;
}

void nb_design_make(struct nb_design *d, const int *looks, int nlooks, double alpha)
{
	memset(d, 0, sizeof(*d));
	d->nlooks = nlooks < 1 ? 1 : nlooks > NB_MAX_LOOKS ? NB_MAX_LOOKS : nlooks;
	int last = nlooks < 1 ? 1 : looks[d->nlooks - 1];
	double spent = 0;
	for (int j = 0; j < d->nlooks; j++) {
		int n = nlooks < 1 ? 1 : looks[j];
		double budget = d->nlooks == 1 ? alpha : alpha * n / last;
		int k = 0;
		for (int t = 1; t <= (n + 1) / 2; t++) {
			if (spent + nb_median_ci_miss(n, t) > budget + 1e-12)
				break;
			k = t;
		}
		if (!k && j == d->nlooks - 1)
			k = 1;
		if (k)
			spent += nb_median_ci_miss(n, k);
		d->looks[j] = n;
		d->rank[j] = k;
	}
	d->level = spent < 1 ? 1 - spent : 0;
}

static struct nb_design current;
static bool current_set;

static void set_default_design(void)
{
	static const int looks[] = {8, 16, 30};
	nb_design_make(&current, looks, 3, NB_CI_ALPHA);
	current_set = true;
}

const struct nb_design *nb_design_current(void)
{
	if (!current_set)
		set_default_design();
	return &current;
}

/* The best split of sorted v into two groups (least within-group sum of squares), each with at
 * least max(NB_MODE_MIN, 15% of n) samples; bimodal when the groups are apart by Ashman's D >=
 * NB_BIMODAL_D and their medians by >= 5% of the overall median. */
static void bimodal(const double *v, int n, struct nb_summary *s)
{
	int m = (int)ceil(0.15 * n);
	if (m < NB_MODE_MIN)
		m = NB_MODE_MIN;
	if (n < 2 * m)
		return;
	double tot = 0, tot2 = 0, best = INFINITY;
	int split = 0;
	for (int i = 0; i < n; i++) {
		tot += v[i];
		tot2 += v[i] * v[i];
	}
	double a = 0, a2 = 0;
	for (int i = 1; i < n; i++) {
		a += v[i - 1];
		a2 += v[i - 1] * v[i - 1];
		if (i < m || n - i < m)
			continue;
		double b = tot - a, b2 = tot2 - a2;
		double sse = (a2 - a * a / i) + (b2 - b * b / (n - i));
		if (sse < best) {
			best = sse;
			split = i;
		}
	}
	if (!split)
		return;
	double m1 = 0, m2 = 0, v1 = 0, v2 = 0;
	int n1 = split, n2 = n - split;
	for (int i = 0; i < n1; i++)
		m1 += v[i] / n1;
	for (int i = split; i < n; i++)
		m2 += v[i] / n2;
	for (int i = 0; i < n1; i++)
		v1 += (v[i] - m1) * (v[i] - m1) / (n1 - 1);
	for (int i = split; i < n; i++)
		v2 += (v[i] - m2) * (v[i] - m2) / (n2 - 1);
	double sd = sqrt(v1 + v2);
	double d = sd > 0 ? sqrt(2.0) * (m2 - m1) / sd : (m2 > m1 ? INFINITY : 0);
	double med1 = nb_quantile_sorted(v, n1, 0.5), med2 = nb_quantile_sorted(v + split, n2, 0.5);
	if (d < NB_BIMODAL_D || med2 - med1 < 0.05 * fabs(s->median))
		return;
	s->bimodal = true;
	s->mode_median[0] = med1;
	s->mode_median[1] = med2;
	s->mode_n[0] = n1;
	s->mode_n[1] = n2;
}

void nb_bimodal_text(const struct nb_summary *s, const char *unit, char *buf, size_t len)
{
	const char *sp = unit && *unit ? " " : "";
	if (!s->bimodal) {
		if (len)
			buf[0] = 0;
		return;
	}
	snprintf(buf, len, "bimodal: %.4g%s%s x%d, %.4g%s%s x%d", s->mode_median[0], sp,
		 unit ? unit : "", s->mode_n[0], s->mode_median[1], sp, unit ? unit : "",
		 s->mode_n[1]);
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
	const struct nb_design *d = nb_design_current();
	int k = 0;
	for (int j = 0; j < d->nlooks; j++)
		if (d->looks[j] == n && d->rank[j] > 0) {
			k = d->rank[j];
			s->ci_level = d->level;
			s->sequential = d->nlooks > 1;
		}
	if (!k)
		k = nb_median_ci_rank(n, &s->ci_level);
	bimodal(v, n, s);
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

void nb_rule_default(struct nb_rule *r, int repeat, bool quick, double ci_max)
{
	static const int seq[] = {8, 16, 30};
	int one, nl = 1;
	const int *looks = &one;
	memset(r, 0, sizeof(*r));
	r->emulated = nb_timing_emulated;
	if (repeat)
		one = repeat > 64 ? 64 : repeat;
	else if (r->emulated)
		one = quick ? 3 : 5;
	else if (quick)
		one = 6;
	else {
		looks = seq;
		nl = 3;
	}
	nb_design_make(&r->design, looks, nl, NB_CI_ALPHA);
	current = r->design;
	current_set = true;
	r->min_reps = looks[0];
	r->max_reps = looks[nl - 1];
	r->ci_target = 0.01;
	r->ci_max = ci_max;
}

/* At look j with n samples: whether the look's CI is within the target. */
static bool look_narrow(const struct nb_rule *r, const double *out, int n, int k)
{
	double v[64];
	memcpy(v, out, sizeof(double) * n);
	qsort(v, n, sizeof(double), cmp_double);
	double med = nb_quantile_sorted(v, n, 0.5);
	return med != 0 && (v[n - k] - v[k - 1]) / 2 / fabs(med) <= r->ci_target;
}

uint64_t nb_budget_end_ns, nb_budget_job_end_ns;

bool nb_budget_spent(void)
{
	return nb_budget_job_end_ns && nb_now_ns() >= nb_budget_job_end_ns;
}

uint64_t nb_budget_cell_end_ns;
static double *cell_est;
static int cell_n;

void nb_budget_cells_arm(const double *est, int n)
{
	free(cell_est);
	cell_est = NULL;
	cell_n = 0;
	nb_budget_cell_end_ns = 0;
	if (!est || n < 1 || !(cell_est = malloc(sizeof(double) * (size_t)n)))
		return;
	memcpy(cell_est, est, sizeof(double) * (size_t)n);
	cell_n = n;
}

void nb_budget_cell_begin(int q)
{
	nb_budget_cell_end_ns = 0;
	if (!nb_budget_job_end_ns || q < 0 || q >= cell_n || !(cell_est[q] > 0))
		return;
	double rest = 0;
	for (int k = q; k < cell_n; k++)
		rest += cell_est[k] > 0 ? cell_est[k] : 0;
	uint64_t now = nb_now_ns();
	double left = now < nb_budget_job_end_ns ? (double)(nb_budget_job_end_ns - now) : 0;
	nb_budget_cell_end_ns = now + (uint64_t)(left * (cell_est[q] / rest));
}

bool nb_budget_cell_late(int q, double *left_s, double *need_s)
{
	if (!nb_budget_end_ns || q < 0 || q >= cell_n || !(cell_est[q] > 0))
		return false;
	uint64_t now = nb_now_ns();
	*left_s = now < nb_budget_end_ns ? (double)(nb_budget_end_ns - now) / 1e9 : 0;
	*need_s = cell_est[q];
	return *need_s > *left_s;
}

/* The end of what the running cell may use: its share, else the bench's. */
static uint64_t share_end(void)
{
	return nb_budget_cell_end_ns && nb_budget_cell_end_ns < nb_budget_job_end_ns
		   ? nb_budget_cell_end_ns
		   : nb_budget_job_end_ns;
}

bool nb_budget_fits(double est_s)
{
	if (!nb_budget_job_end_ns)
		return true;
	uint64_t now = nb_now_ns();
	return now < nb_budget_job_end_ns &&
	       (est_s <= 0 || est_s * 1e9 <= (double)(nb_budget_job_end_ns - now));
}

/* Past the run's end, or a next sample as long as the last one would end past it. */
static bool budget_over(uint64_t last_ns)
{
	return nb_budget_end_ns && nb_now_ns() + last_ns >= nb_budget_end_ns;
}

/* At look j after n samples taken since start: whether going on to the next look would, at the
 * samples' mean pace, end past the bench's share of the budget (then the cell stops here, at a
 * look, where the design's coverage holds, rather than run up to 22 samples past its share). */
static bool next_look_late(const struct nb_design *d, int j, int n, uint64_t start)
{
	if (!nb_budget_job_end_ns || j + 1 >= d->nlooks || n < 1)
		return false;
	uint64_t now = nb_now_ns();
	double per = (double)(now - start) / n;
	return now + (uint64_t)(per * (d->looks[j + 1] - n)) > share_end();
}

int nb_rule_sample(const struct nb_rule *r, double (*fn)(void *arg), void *arg, double *out)
{
	int n = 0, j = 0, max = r->max_reps > 64 ? 64 : r->max_reps < 1 ? 1 : r->max_reps;
	const struct nb_design *d = &r->design;
	uint64_t start = nb_now_ns();
	while (n < max && !nb_interrupted) {
		if (r->refresh && r->refresh_every > 0 && n > 0 && n % r->refresh_every == 0 &&
		    r->refresh(arg))
			break;
		uint64_t t0 = nb_now_ns();
		out[n++] = fn(arg);
		uint64_t last = nb_now_ns() - t0;
		while (j < d->nlooks && d->looks[j] < n)
			j++;
		bool look = j < d->nlooks && d->looks[j] == n;
		if (budget_over(last) ||
		    (look &&
		     (nb_budget_spent() || (nb_budget_job_end_ns && nb_now_ns() >= share_end()) ||
		      next_look_late(d, j, n, start))))
			break;
		if (look && j < d->nlooks - 1 && d->rank[j] > 0 &&
		    look_narrow(r, out, n, d->rank[j]))
			break;
	}
	return n;
}

enum nb_status nb_rule_judge(const struct nb_rule *r, const double *v, int n, char *why, size_t len)
{
	struct nb_summary s;
	/* Fewer than 3 samples are judged only when the rule asked for more (a budget cut them). */
	if (r->emulated || (n < 3 && r->max_reps < 3))
		return NB_OK;
	nb_summarize(v, n, &s);
	double rel = nb_rel_ci(&s);
	/* Stopped before its first look (the run's end or an interruption came inside the cell):
	 * however narrow its range, the CI of so few samples covers far less than the design's
	 * level. */
	if (n < r->min_reps && r->min_reps >= 3) {
		snprintf(why, len,
			 "%s ended this cell after %d of the %d samples of its first look: its CI "
			 "[%.4g, %.4g] covers the median with only %.1f%% confidence (median %.4g)",
			 nb_interrupted ? "an interruption" : "the run's time budget", n,
			 r->min_reps, s.ci95_lo, s.ci95_hi, 100 * s.ci_level, s.median);
		return NB_UNTRUSTWORTHY;
	}
	if (rel <= r->ci_max)
		return NB_OK;
	char bi[128];
	nb_bimodal_text(&s, "", bi, sizeof(bi));
	snprintf(why, len,
		 "the median is not known to within %.1f%%: its %.1f%% CI [%.4g, %.4g] is +-%.1f%% "
		 "after %d samples (median %.4g; p5 %.4g, p95 %.4g; robust spread %.1f%%%s%s)",
		 100 * r->ci_max, 100 * s.ci_level, s.ci95_lo, s.ci95_hi, 100 * rel, n, s.median,
		 s.p5, s.p95, 100 * s.spread, *bi ? "; " : "", bi);
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
