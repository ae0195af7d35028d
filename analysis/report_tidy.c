/* numabench analysis: `report --format csv|json`: one row per metric of every run and cell,
 * then the summary's rows (node pairs and distance classes). */
#include "an_json.h"
#include "an_report.h"
#include "an_tidy.h"

#include <stdlib.h>
#include <string.h>

static const char *const cols[] = {"run",    "bench", "params",	   "cell",   "cpu_node", "mem_node",
				   "metric", "unit",  "direction", "median", "ci_lo",	 "ci_hi",
				   "ci_of",  "n",     "status",	   "reason", "emulated", NULL};

static json_t *node(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? json_incref((json_t *)v) : json_null();
}

static bool timing_unit(const char *u)
{
	static const char *const units[] = {"ns", "us", "ms", "s", "GB/s", "MB/s", "pages/s", NULL};
	for (int i = 0; u && units[i]; i++)
		if (!strcmp(u, units[i]))
			return true;
	return false;
}

static void metric_rows(json_t *rows, int run_idx, const json_t *run, const json_t *owner,
			bool is_cell, bool emulated)
{
	static const char *const node_fields[] = {"cpu_node", "mem_node", NULL};
	char params[AN_TEXT_MAX], cell[AN_TEXT_MAX];
	const char *name;
	json_t *m;
	an_params_text(json_object_get(run, "params"), params, sizeof(params));
	an_cell_label(owner, node_fields, cell, sizeof(cell));
	const json_t *st = json_object_get(is_cell ? owner : run, "status");
	const json_t *reason = json_object_get(is_cell ? owner : run, "reason");
	json_object_foreach(json_object_get(owner, "metrics"), name, m)
	{
		const json_t *ci = json_object_get(m, "ci95");
		const char *ci_of = json_string_value(json_object_get(m, "ci_of"));
		double *s;
		int n = an_metric_samples(m, &s);
		free(s);
		const json_t *nn = json_object_get(m, "n");
		json_t *r = json_object();
		json_object_set_new(r, "run", json_integer(run_idx));
		json_object_set(r, "bench", json_object_get(run, "bench"));
		json_object_set_new(r, "params", json_string(params));
		json_object_set_new(r, "cell", is_cell ? json_string(cell) : json_null());
		json_object_set_new(r, "cpu_node", node(owner, "cpu_node"));
		json_object_set_new(r, "mem_node", node(owner, "mem_node"));
		json_object_set_new(r, "metric", json_string(name));
		json_object_set_new(
		    r, "unit", json_string(json_string_value(json_object_get(m, "unit")) ?: ""));
		json_object_set_new(
		    r, "direction",
		    json_string(json_string_value(json_object_get(m, "direction")) ?: ""));
		json_object_set_new(r, "median", an_tidy_num(an_metric_median(m)));
		json_object_set_new(r, "ci_lo", an_tidy_num(an_num(json_array_get(ci, 0))));
		json_object_set_new(r, "ci_hi", an_tidy_num(an_num(json_array_get(ci, 1))));
		/* older results have a CI of the mean and no ci_of */
		json_object_set_new(r, "ci_of", json_string(ci_of ? ci_of : ci ? "mean" : ""));
		json_object_set_new(r, "n",
				    json_integer(json_is_integer(nn) ? json_integer_value(nn) : n));
		json_object_set_new(r, "status", json_string(json_string_value(st) ?: ""));
		json_object_set_new(r, "reason", json_string(json_string_value(reason) ?: ""));
		json_object_set_new(r, "emulated",
				    json_boolean(json_is_true(json_object_get(m, "emulated")) ||
						 (emulated && timing_unit(json_string_value(
								  json_object_get(m, "unit"))))));
		json_array_append_new(rows, r);
	}
}

void an_report_tidy(struct an_doc *d, const json_t *doc)
{
	json_t *rows = json_array(), *run, *c;
	bool emulated = an_doc_emulated(doc);
	size_t i, k;
	json_array_foreach(json_object_get(doc, "runs"), i, run)
	{
		metric_rows(rows, (int)i + 1, run, run, false, emulated);
		json_array_foreach(json_object_get(run, "cells"), k, c)
		{
			metric_rows(rows, (int)i + 1, run, c, true, emulated);
		}
	}
	an_report_summary_rows(rows, doc);
	an_tidy_emit(d, AN_REPORT_ROWS_SCHEMA, cols, rows);
	json_decref(rows);
}
