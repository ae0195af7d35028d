/* numabench fleet: the verdicts as text, Markdown, HTML (a host x metric heatmap of
 * deviations per class), CSV rows (one per cause) or one JSON document. */
#include "an_chart.h"
#include "an_json.h"
#include "an_tidy.h"
#include "fleet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FL_SCHEMA "numabench.fleet/1"
#define FL_ROWS_SCHEMA "numabench.fleet-rows/1"

static void summary(struct an_doc *d, const struct fleet *fl)
{
	int flagged = 0;
	for (int i = 0; i < fl->nh; i++)
		flagged += fl->h[i].ncause > 0;
	an_p(d, AN_PLAIN,
	     "%d results files read, %d skipped; %d hosts in %d hardware classes (cpu model, "
	     "node/cpu shape, suite and parameters); %d flagged.",
	     fl->nf, fl->nskip, fl->nh, fl->nc, flagged);
	an_p(d, AN_PLAIN,
	     "A cell is beyond its class when |z| > %.4g, z = (value - class median) / spread, "
	     "spread = 1.4826 x MAD over the class's hosts (at least %.0f%% of the median; classes "
	     "of %d hosts or more), and it differs from the median by more than %.4g%%; a host is "
	     "flagged for a metric on a node when at least half of those cells are. Configuration: "
	     "a host whose kernel, cmdline, distances, HMAT "
	     "or tunables differ from the class majority, or whose memory on a node is more than "
	     "%.0f%% from the class median. Trends: consecutive runs of a host, significant (as "
	     "compare judges) and beyond %.4g%%.",
	     fl->z, FL_SPREAD_FLOOR * 100, FL_MIN_HOSTS, fl->pct, FL_MEM_TOL * 100, fl->pct);
}

static void flagged(struct an_doc *d, const struct fleet *fl)
{
	struct an_table *t = an_table_new();
	an_h(d, 2, "Flagged hosts");
	an_table_col(t, "host");
	an_table_col(t, "class");
	an_table_col(t, "cause");
	for (int i = 0; i < fl->nh; i++)
		for (int j = 0; j < fl->h[i].ncause; j++) {
			an_table_row(t);
			an_table_cell(t, AN_PLAIN, "%s", fl->h[i].name);
			an_table_cell(t, AN_PLAIN, "%d", fl->h[i].cls + 1);
			an_table_cell(t, AN_BAD, "%s", fl->h[i].cause[j].text);
		}
	if (an_table_rows(t))
		an_table_emit(d, t);
	else {
		an_p(d, AN_GOOD, "No host differs from its class.");
		an_table_free(t);
	}
}

/* Hosts x groups (metric on a node). In HTML the groups are the rows: their labels are long
 * and a column label has the width of a cell. */
static void heatmap(struct an_doc *d, const struct fleet *fl, const struct fl_class *c)
{
	int nh = c->nhosts, ng = c->groups.n, n = nh * ng;
	bool t = d->fmt == AN_HTML;
	const char **hosts = calloc((size_t)nh + 1, sizeof(char *));
	double *v = calloc((size_t)n + 1, sizeof(double));
	char **ids = calloc((size_t)n + 1, sizeof(char *));
	if (!hosts || !v || !ids)
		abort();
	for (int i = 0; i < nh; i++) {
		const struct fl_host *h = &fl->h[c->hosts[i]];
		hosts[i] = h->name;
		for (int g = 0; g < ng; g++) {
			int k = t ? g * nh + i : i * ng + g;
			v[k] = h->gdev ? 100 * h->gdev[g] : NAN;
			if (asprintf(&ids[k], "%s|%s", h->name, c->groups.v[g]) < 0)
				abort();
		}
	}
	struct an_heatmap hm = {.title = "deviation from the class median, % (median over cells)",
				.row_name = t ? "" : "host",
				.col_name = t ? "host" : "",
				.nrows = t ? ng : nh,
				.ncols = t ? nh : ng,
				.rows = t ? (const char *const *)c->groups.v : hosts,
				.cols = t ? hosts : (const char *const *)c->groups.v,
				.v = v,
				.id = (const char *const *)ids};
	an_heatmap(d, &hm);
	for (int i = 0; i < n; i++)
		free(ids[i]);
	free(ids), free(v), free(hosts);
}

static void classes(struct an_doc *d, const struct fleet *fl)
{
	for (int i = 0; i < fl->nc; i++) {
		const struct fl_class *c = &fl->c[i];
		struct an_table *t = an_table_new();
		an_h(d, 2, "Class %d: %s, %s (%d host%s)", i + 1, c->cpu_model, c->shape, c->nhosts,
		     c->nhosts == 1 ? "" : "s");
		an_p(d, AN_PLAIN, "Suite: %s", c->suite);
		if (*c->notes)
			an_p(d, AN_WARN, "%s.", c->notes);
		an_table_col(t, "host");
		an_table_col(t, "files");
		an_table_col(t, "latest");
		an_table_col(t, "causes");
		for (int j = 0; j < c->nhosts; j++) {
			const struct fl_host *h = &fl->h[c->hosts[j]];
			an_table_row(t);
			an_table_cell(t, AN_PLAIN, "%s", h->name);
			an_table_cell(t, AN_PLAIN, "%d", h->nfiles);
			an_table_cell(t, AN_PLAIN, "%s", fl->f[h->latest].started);
			an_table_cell(t, h->ncause ? AN_BAD : AN_GOOD, "%d", h->ncause);
		}
		an_table_emit(d, t);
		if (c->groups.n && c->nhosts >= FL_MIN_HOSTS)
			heatmap(d, fl, c);
	}
}

static void trends(struct an_doc *d, const struct fleet *fl)
{
	struct an_table *t = an_table_new();
	an_h(d, 2, "Trends");
	for (const char *const *c =
		 (const char *const[]){"host", "from", "to", "cell", "before", "after", "change",
				       "95% CI", "verdict", NULL};
	     *c; c++)
		an_table_col(t, *c);
	for (int i = 0; i < fl->nt; i++) {
		const struct fl_trend *r = &fl->t[i];
		char a[64], b[64];
		an_fmt_num(r->a, a, sizeof(a));
		an_fmt_num(r->b, b, sizeof(b));
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", r->host);
		an_table_cell(t, AN_PLAIN, "%s", r->from);
		an_table_cell(t, AN_PLAIN, "%s", r->to);
		an_table_cell(t, AN_PLAIN, "%s", r->cell);
		an_table_cell(t, AN_PLAIN, "%s %s", a, r->unit);
		an_table_cell(t, AN_PLAIN, "%s %s", b, r->unit);
		an_table_cell(t, AN_PLAIN, "%+.1f%%", 100 * r->change);
		an_table_cell(t, AN_PLAIN, "[%+.1f%%, %+.1f%%]", 100 * r->lo, 100 * r->hi);
		an_table_cell(t, !strcmp(r->verdict, "worse") ? AN_BAD : AN_PLAIN, "%s",
			      r->verdict);
	}
	if (an_table_rows(t))
		an_table_emit(d, t);
	else {
		an_p(d, AN_PLAIN,
		     "No significant change beyond %.4g%% between consecutive runs of "
		     "a host.",
		     fl->pct);
		an_table_free(t);
	}
}

static void skipped(struct an_doc *d, const struct fleet *fl)
{
	struct an_table *t = an_table_new();
	if (!fl->nskip) {
		an_table_free(t);
		return;
	}
	an_h(d, 2, "Skipped files");
	an_table_col(t, "file");
	an_table_col(t, "reason");
	for (int i = 0; i < fl->nskip; i++) {
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", fl->skip[i].path);
		an_table_cell(t, AN_WARN, "%s", fl->skip[i].reason);
	}
	an_table_emit(d, t);
}

static json_t *cause_json(const struct fl_cause *c)
{
	json_t *o =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "kind", c->config ? "config" : "metric", "what",
		      c->what, "value", c->value, "class_value", c->ref, "text", c->text);
	json_object_set_new(o, "deviation", an_tidy_num(c->dev));
	if (!c->config) {
		json_object_set_new(o, "z", an_tidy_num(c->z));
		json_object_set_new(o, "cells", json_integer(c->cells));
		json_object_set_new(o, "of", json_integer(c->of));
		json_object_set_new(o, "worst_cell", json_string(c->cell));
	}
	return o;
}

static json_t *host_json(const struct fleet *fl, const struct fl_host *h)
{
	json_t *files = json_array(), *causes = json_array();
	for (int i = 0; i < h->nfiles; i++)
		json_array_append_new(files, json_string(fl->f[h->files[i]].path));
	for (int i = 0; i < h->ncause; i++)
		json_array_append_new(causes, cause_json(&h->cause[i]));
	return json_pack("{s:s, s:i, s:o, s:s, s:b, s:o}", "host", h->name, "class", h->cls + 1,
			 "files", files, "latest", fl->f[h->latest].path, "flagged", h->ncause > 0,
			 "causes", causes);
}

static json_t *class_json(const struct fleet *fl, int i)
{
	const struct fl_class *c = &fl->c[i];
	json_t *hosts = json_array();
	for (int j = 0; j < c->nhosts; j++)
		json_array_append_new(hosts, json_string(fl->h[c->hosts[j]].name));
	return json_pack("{s:i, s:s, s:s, s:s, s:o, s:b, s:s}", "class", i + 1, "cpu_model",
			 c->cpu_model, "shape", c->shape, "suite", c->suite, "hosts", hosts,
			 "single_host", c->nhosts == 1, "notes", c->notes);
}

static void json_doc(struct an_doc *d, const struct fleet *fl)
{
	json_t *cls = json_array(), *hosts = json_array(), *tr = json_array(), *sk = json_array();
	for (int i = 0; i < fl->nc; i++)
		json_array_append_new(cls, class_json(fl, i));
	for (int i = 0; i < fl->nh; i++)
		json_array_append_new(hosts, host_json(fl, &fl->h[i]));
	for (int i = 0; i < fl->nt; i++) {
		const struct fl_trend *t = &fl->t[i];
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "host", t->host, "from", t->from,
			      "to", t->to, "cell", t->cell, "unit", t->unit, "verdict", t->verdict);
		json_object_set_new(o, "before", an_tidy_num(t->a));
		json_object_set_new(o, "after", an_tidy_num(t->b));
		json_object_set_new(o, "change", an_tidy_num(t->change));
		json_object_set_new(o, "ci_lo", an_tidy_num(t->lo));
		json_object_set_new(o, "ci_hi", an_tidy_num(t->hi));
		json_object_set_new(o, "p", an_tidy_num(t->p));
		json_array_append_new(tr, o);
	}
	for (int i = 0; i < fl->nskip; i++)
		json_array_append_new(sk, json_pack("{s:s, s:s}", "file", fl->skip[i].path,
						    "reason", fl->skip[i].reason));
	json_t *doc =
	    json_pack("{s:s, s:f, s:f, s:f, s:i, s:i, s:o, s:o, s:o, s:o}", "schema", FL_SCHEMA,
		      "z_threshold", fl->z, "trend_pct", fl->pct, "spread_floor", FL_SPREAD_FLOOR,
		      "files_read", fl->nf, "files_skipped", fl->nskip, "classes", cls, "hosts",
		      hosts, "trends", tr, "skipped", sk);
	json_dumpf(doc, d->f, JSON_INDENT(1) | JSON_ENSURE_ASCII);
	fputc('\n', d->f);
	json_decref(doc);
}

/* CSV: one row per cause, and one per host without a cause. */
static void csv_rows(struct an_doc *d, const struct fleet *fl)
{
	static const char *const cols[] = {"host", "class",	 "flagged",	"kind",
					   "what", "value",	 "class_value", "deviation",
					   "z",	   "worst_cell", "text",	NULL};
	json_t *rows = json_array();
	for (int i = 0; i < fl->nh; i++) {
		const struct fl_host *h = &fl->h[i];
		for (int j = 0; j < (h->ncause ? h->ncause : 1); j++) {
			json_t *r = h->ncause ? cause_json(&h->cause[j]) : json_object();
			json_object_set_new(r, "host", json_string(h->name));
			json_object_set_new(r, "class", json_integer(h->cls + 1));
			json_object_set_new(r, "flagged", json_boolean(h->ncause > 0));
			json_array_append_new(rows, r);
		}
	}
	an_tidy_emit(d, FL_ROWS_SCHEMA, cols, rows);
	json_decref(rows);
}

void fl_render(struct an_doc *d, const struct fleet *fl)
{
	if (d->fmt == AN_JSON) {
		json_doc(d, fl);
		return;
	}
	if (d->fmt == AN_CSV) {
		csv_rows(d, fl);
		return;
	}
	summary(d, fl);
	an_toc_here(d);
	flagged(d, fl);
	classes(d, fl);
	trends(d, fl);
	skipped(d, fl);
}
