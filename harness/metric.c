/* numabench: a run's reason and metrics: the metric JSON of a set of samples (statistics from
 * stats.c) and the emulated-timing rule (a timing or rate per second under TCG says so). */
#include "bench.h"
#include "stats.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void nb_run_reason(json_t *run, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	json_object_set_new(run, "reason", json_string(buf));
}

static json_t *num(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* Units whose figures are timings or rates per second: emulated under TCG. */
static bool timing_unit(const char *unit)
{
	static const char *const u[] = {"ns", "us", "ms", "s", "GB/s", "MB/s", "pages/s"};
	for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++)
		if (!strcmp(unit, u[i]))
			return true;
	size_t n = strlen(unit); /* any rate per second ("ptes/s") is a timing too */
	return n > 2 && !strcmp(unit + n - 2, "/s");
}

json_t *nb_metric(const char *unit, const char *direction, const double *samples, int n)
{
	struct nb_summary s;
	nb_summarize(samples, n, &s);
	json_t *arr = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(arr, num(samples[i]));
	json_t *m = json_pack("{s:s,s:s,s:o,s:i}", "unit", unit, "direction", direction, "samples",
			      arr, "n", n);
	json_object_set_new(m, "min", num(s.min));
	json_object_set_new(m, "max", num(s.max));
	json_object_set_new(m, "median", num(s.median));
	json_object_set_new(m, "mean", num(s.mean));
	json_object_set_new(m, "stddev", num(s.stddev));
	json_object_set_new(m, "cv", num(s.cv));
	json_object_set_new(m, "p5", num(s.p5));
	json_object_set_new(m, "p95", num(s.p95));
	json_object_set_new(m, "mad", num(s.mad));
	json_object_set_new(m, "iqr", num(s.iqr));
	json_object_set_new(m, "spread", num(s.spread));
	json_object_set_new(m, "outliers", json_integer(s.outliers));
	json_object_set_new(m, "ci95", json_pack("[o,o]", num(s.ci95_lo), num(s.ci95_hi)));
	json_object_set_new(m, "ci_level", num(s.ci_level));
	json_object_set_new(m, "ci_of", json_string("median"));
	json_t *looks = json_array();
	const struct nb_design *d = nb_design_current();
	for (int j = 0; s.sequential && j < d->nlooks; j++)
		json_array_append_new(looks, json_integer(d->looks[j]));
	if (!s.sequential)
		json_array_append_new(looks, json_integer(n));
	json_object_set_new(m, "ci_looks", looks);
	if (s.bimodal) {
		char txt[160];
		nb_bimodal_text(&s, unit, txt, sizeof(txt));
		json_object_set_new(m, "bimodal",
				    json_pack("{s:s,s:[{s:o,s:i},{s:o,s:i}]}", "summary", txt,
					      "modes", "median", num(s.mode_median[0]), "n",
					      s.mode_n[0], "median", num(s.mode_median[1]), "n",
					      s.mode_n[1]));
	}
	if (nb_timing_emulated && timing_unit(unit))
		json_object_set_new(m, "emulated", json_true());
	return m;
}

void nb_run_metric(json_t *run, const char *key, json_t *metric)
{
	json_t *ms = json_object_get(run, "metrics");
	if (!ms) {
		ms = json_object();
		json_object_set_new(run, "metrics", ms);
	}
	json_object_set_new(ms, key, metric);
}
