/* numabench analysis: one run in a report: metrics, counters, placement, cells, timeline. */
#include "an_chart.h"
#include "an_json.h"
#include "an_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void metric_row(struct an_table *t, const char *key, const json_t *m)
{
	char v[5][64];
	double *s;
	const json_t *ci = json_object_get(m, "ci95");
	int n = an_metric_samples(m, &s);
	free(s);
	an_fmt_num(an_metric_median(m), v[0], sizeof(v[0]));
	an_fmt_num(an_num(json_array_get(ci, 0)), v[1], sizeof(v[1]));
	an_fmt_num(an_num(json_array_get(ci, 1)), v[2], sizeof(v[2]));
	an_fmt_num(an_num(json_object_get(m, "p5")), v[3], sizeof(v[3]));
	an_fmt_num(an_num(json_object_get(m, "p95")), v[4], sizeof(v[4]));
	/* The robust spread (results since the statistics rule); older results have the CV. */
	const json_t *sp = json_object_get(m, "spread");
	double cv = an_num(sp ? sp : json_object_get(m, "cv"));
	bool emulated = json_is_true(json_object_get(m, "emulated"));
	const char *unit = json_string_value(json_object_get(m, "unit"));
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "%s", key);
	an_table_cell(t, AN_PLAIN, "%s", unit && *unit ? unit : "-");
	an_table_cell(t, AN_PLAIN, "%s", an_dir_text(an_metric_dir(m)));
	an_table_cell(t, AN_PLAIN, "%d", n);
	an_table_cell(t, AN_PLAIN, "%s", v[0]);
	if (json_array_size(ci) == 2)
		an_table_cell(t, AN_PLAIN, "%s .. %s", v[1], v[2]);
	else
		an_table_cell(t, AN_PLAIN, "-");
	if (isnan(cv))
		an_table_cell(t, AN_PLAIN, "-");
	else
		an_table_cell(t, AN_PLAIN, "%.1f%%%s%s", cv * 100, sp ? "" : " (CV)",
			      emulated ? " emulated" : "");
	an_table_cell(t, AN_PLAIN, "%s", v[3]);
	an_table_cell(t, AN_PLAIN, "%s", v[4]);
}

static void metrics_table(struct an_doc *d, const json_t *ms)
{
	static const char *const cols[] = {"metric", "unit",   "better", "n",  "median",
					   "95% CI", "spread", "p5",	 "p95"};
	const char *k;
	json_t *m;
	struct an_table *t = an_table_new();
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		an_table_col(t, cols[i]);
	json_object_foreach((json_t *)ms, k, m)
	{
		metric_row(t, k, m);
	}
	an_h(d, 3, "Metrics");
	an_table_emit(d, t);
}

static bool counter_like(const json_t *c)
{
	return json_is_object(c) &&
	       (json_object_get(c, "value") || json_object_get(c, "available"));
}

static void counter_row(struct an_table *t, const char *name, const json_t *c)
{
	char v[64];
	double en = an_num(json_object_get(c, "time_enabled"));
	double run = an_num(json_object_get(c, "time_running"));
	const json_t *avail = json_object_get(c, "available");
	const char *enc = json_string_value(json_object_get(c, "encoding"));
	const char *reason = json_string_value(json_object_get(c, "reason"));
	an_value_text(json_object_get(c, "value"), v, sizeof(v));
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "%s", name);
	an_table_cell(t, AN_PLAIN, "%s", enc ? enc : "-");
	an_table_cell(t, AN_PLAIN, "%s", v);
	if (en > 0 && !isnan(run))
		an_table_cell(t, AN_PLAIN, "%.1f%%", 100 * run / en);
	else
		an_table_cell(t, AN_PLAIN, "-");
	an_table_cell(t, json_is_true(json_object_get(c, "multiplexed")) ? AN_WARN : AN_PLAIN, "%s",
		      json_is_true(json_object_get(c, "multiplexed")) ? "yes" : "no");
	if (json_is_false(avail))
		an_table_cell(t, AN_WARN, "unavailable: %s", reason ? reason : "no reason given");
	else
		an_table_cell(t, AN_PLAIN, "%s", reason ? reason : "");
}

/* Counters are an object by name or an array of objects with "event"; any other shape is
 * shown as it is. */
static void counters(struct an_doc *d, const json_t *cs)
{
	static const char *const cols[] = {"counter", "encoding",    "value",
					   "running", "multiplexed", "note"};
	const char *k;
	size_t i;
	json_t *c;
	bool ok = json_object_size(cs) + json_array_size(cs) > 0;
	json_object_foreach((json_t *)cs, k, c)
	{
		ok = ok && counter_like(c);
	}
	json_array_foreach(cs, i, c)
	{
		ok = ok && counter_like(c);
	}
	if (!ok) {
		an_generic(d, "Counters", cs);
		return;
	}
	struct an_table *t = an_table_new();
	for (size_t n = 0; n < sizeof(cols) / sizeof(cols[0]); n++)
		an_table_col(t, cols[n]);
	json_object_foreach((json_t *)cs, k, c)
	{
		counter_row(t, k, c);
	}
	json_array_foreach(cs, i, c)
	{
		const char *ev = json_string_value(json_object_get(c, "event"));
		counter_row(t, ev ? ev : "-", c);
	}
	an_h(d, 3, "Counters");
	an_table_emit(d, t);
}

static bool placement_like(const json_t *p)
{
	return json_is_object(p) &&
	       (json_object_get(p, "pages_per_node") || json_object_get(p, "on_intended"));
}

/* "0: 99.8%  1: 0.2%" from pages per node. */
static void shares(const json_t *per, char *buf, size_t len)
{
	struct an_sb s;
	double total = 0;
	const char *k;
	json_t *v;
	an_sb_init(&s, buf, len);
	json_object_foreach((json_t *)per, k, v)
	{
		total += fmax(an_num(v), 0);
	}
	json_object_foreach((json_t *)per, k, v)
	{
		an_sb_add(&s, "%snode %s %.1f%%", s.pos ? ", " : "", k,
			  total > 0 ? 100 * an_num(v) / total : 0.0);
	}
	if (!s.pos)
		an_sb_add(&s, "-");
}

static void placement_row(struct an_table *t, const char *name, const json_t *p)
{
	char v[3][AN_TEXT_MAX];
	double on = an_num(json_object_get(p, "on_intended"));
	an_value_text(json_object_get(p, "intended_node"), v[0], sizeof(v[0]));
	shares(json_object_get(p, "pages_per_node"), v[1], sizeof(v[1]));
	an_value_text(json_object_get(p, "pages_total"), v[2], sizeof(v[2]));
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "%s", name);
	an_table_cell(t, AN_PLAIN, "%s", v[0]);
	if (isnan(on))
		an_table_cell(t, AN_PLAIN, "-");
	else
		an_table_cell(t, on < 0.95 ? AN_WARN : AN_PLAIN, "%.1f%%", on * 100);
	an_table_cell(t, AN_PLAIN, "%s", v[1]);
	an_table_cell(t, AN_PLAIN, "%s", v[2]);
	an_table_cell(t, AN_PLAIN, "%s", json_string_value(json_object_get(p, "method")) ?: "-");
}

/* One placement, an object of named placements, or an array of them. */
static void placement(struct an_doc *d, const json_t *pl)
{
	static const char *const cols[] = {"buffer",	     "intended node", "on intended",
					   "share per node", "pages",	      "method"};
	struct an_table *t = an_table_new();
	const char *k;
	char name[64];
	size_t i;
	json_t *p;
	for (size_t n = 0; n < sizeof(cols) / sizeof(cols[0]); n++)
		an_table_col(t, cols[n]);
	if (placement_like(pl))
		placement_row(t, "buffer", pl);
	else
		json_object_foreach((json_t *)pl, k, p)
		{
			if (placement_like(p))
				placement_row(t, k, p);
		}
	json_array_foreach(pl, i, p)
	{
		snprintf(name, sizeof(name), "#%zu", i + 1);
		if (placement_like(p))
			placement_row(t, json_string_value(json_object_get(p, "name")) ?: name, p);
	}
	if (!an_table_rows(t)) {
		an_table_free(t);
		an_generic(d, "Placement", pl);
		return;
	}
	an_h(d, 3, "Placement");
	an_table_emit(d, t);
}

static void run_status(struct an_doc *d, const json_t *run)
{
	const char *status = json_string_value(json_object_get(run, "status"));
	const char *reason = json_string_value(json_object_get(run, "reason"));
	char params[AN_TEXT_MAX];
	an_params_text(json_object_get(run, "params"), params, sizeof(params));
	an_p(d, AN_PLAIN, "Parameters: %s", params);
	if (reason && *reason)
		an_p(d, an_status_style(status), "Status: %s: %s", status ? status : "-", reason);
	else
		an_p(d, an_status_style(status), "Status: %s", status ? status : "-");
}

void an_report_run(struct an_doc *d, const json_t *run, int idx, const json_t *doc)
{
	const json_t *topo = json_object_get(doc, "topology");
	static const char *const known[] = {"bench", "params",	 "status",    "reason", "metrics",
					    "cells", "counters", "placement", NULL};
	const json_t *v;
	const char *k;
	json_t *x;
	an_h(d, 2, "Run %d: %s", idx, json_string_value(json_object_get(run, "bench")));
	run_status(d, run);
	if (json_object_size(v = json_object_get(run, "metrics")))
		metrics_table(d, v);
	if ((v = json_object_get(run, "placement")) && !json_is_null(v))
		placement(d, v);
	if (!an_report_bench_cells(d, run, doc) &&
	    json_array_size(v = json_object_get(run, "cells")))
		an_report_cells(d, v, idx, topo);
	an_report_bench_after_cells(d, run);
	json_object_foreach((json_t *)run, k, x)
	{
		bool skip = false;
		for (int i = 0; known[i]; i++)
			skip = skip || !strcmp(known[i], k);
		skip = skip || an_report_bench_handled(run, k);
		if (!skip && an_timeline_like(x))
			an_report_timeline(d, k, x, json_object_get(run, "timeline_units"));
		else if (!skip)
			an_generic(d, k, x);
	}
	/* Counters: how the run went, after what it measured. */
	if ((v = json_object_get(run, "counters")) && !json_is_null(v))
		counters(d, v);
}
