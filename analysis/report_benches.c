/* numabench analysis: what three benches need beyond the generic run: the loaded-latency
 * curves (loaded), the migration rates beside the rate balancing achieved (migrate), and the
 * tiering scores and promotion/demotion timelines (tier). */
#include "an_chart.h"
#include "an_json.h"
#include "an_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static bool is_bench(const json_t *run, const char *b)
{
	return !strcmp(str(run, "bench"), b);
}

/* ---- loaded: latency against achieved injector bandwidth ---- */

struct lpoint {
	double gbs, ns;
	char delay[32];
};

static int by_gbs(const void *a, const void *b)
{
	const struct lpoint *x = a, *y = b;
	return (x->gbs > y->gbs) - (x->gbs < y->gbs);
}

/* "0>1 mix=r3w1" (pages too when the run has more than one page size). */
static void loaded_name(const json_t *c, bool pages, char *buf, size_t len)
{
	snprintf(buf, len, "%lld>%lld mix=%s%s%s",
		 (long long)json_integer_value(json_object_get(c, "cpu_node")),
		 (long long)json_integer_value(json_object_get(c, "mem_node")),
		 *str(c, "mix") ? str(c, "mix") : "-", pages ? " pages=" : "",
		 pages ? str(c, "pages") : "");
}

static int loaded_points(const json_t *c, struct lpoint **out)
{
	const json_t *pts = json_object_get(c, "points");
	struct lpoint *p = calloc(json_array_size(pts) + 1, sizeof(*p));
	size_t i;
	json_t *x;
	int n = 0;
	if (!p)
		abort();
	json_array_foreach(pts, i, x)
	{
		double gbs = an_num(json_object_get(x, "bandwidth_gbs"));
		double ns = an_num(json_object_get(x, "latency_ns"));
		if (isnan(gbs) || isnan(ns))
			continue;
		p[n] = (struct lpoint){gbs, ns, ""};
		an_value_text(json_object_get(x, "delay"), p[n].delay, sizeof(p[n].delay));
		n++;
	}
	*out = p;
	return n;
}

static void loaded_curves(struct an_doc *d, const json_t *run)
{
	const json_t *cells = json_object_get(run, "cells");
	size_t i, n = json_array_size(cells);
	json_t *c;
	const char *pages0 = NULL;
	bool pages = false;
	json_array_foreach(cells, i, c)
	{
		if (!pages0)
			pages0 = str(c, "pages");
		else if (strcmp(pages0, str(c, "pages")))
			pages = true;
	}
	struct an_series *ss = calloc(n + 1, sizeof(*ss));
	char(*names)[128] = calloc(n + 1, sizeof(*names));
	int ns = 0;
	if (!ss || !names)
		abort();
	an_h(d, 3, "Loaded latency");
	an_p(d, AN_PLAIN,
	     "Chase latency against the bandwidth the injectors achieved, one line per cpu node > "
	     "memory node and mix; points from idle (no injection) through each delay between "
	     "injector steps (delay in spins per line, smaller: more traffic). Marks: %s.",
	     AN_MARK_LEGEND);
	json_array_foreach(cells, i, c)
	{
		struct lpoint *p;
		int k = loaded_points(c, &p);
		if (!k) {
			free(p);
			continue;
		}
		loaded_name(c, pages, names[ns], sizeof(names[ns]));
		if (d->fmt != AN_HTML) {
			struct an_table *t = an_table_new();
			const char *st = json_string_value(json_object_get(c, "status"));
			an_p(d, an_status_style(st), "%s%s", names[ns], an_status_mark(st));
			an_table_col(t, "delay");
			an_table_col(t, "GB/s");
			an_table_col(t, "ns");
			for (int j = 0; j < k; j++) {
				char g[64], l[64];
				an_fmt_num(p[j].gbs, g, sizeof(g));
				an_fmt_num(p[j].ns, l, sizeof(l));
				an_table_row(t);
				an_table_cell(t, AN_PLAIN, "%s", p[j].delay);
				an_table_cell(t, AN_PLAIN, "%s", g);
				an_table_cell(t, AN_PLAIN, "%s", l);
			}
			an_table_emit(d, t);
			free(p);
			continue;
		}
		qsort(p, (size_t)k, sizeof(*p), by_gbs);
		double *x = malloc(sizeof(double) * (size_t)k),
		       *y = malloc(sizeof(double) * (size_t)k);
		if (!x || !y)
			abort();
		for (int j = 0; j < k; j++)
			x[j] = p[j].gbs, y[j] = p[j].ns;
		ss[ns] = (struct an_series){names[ns], k, x, y};
		ns++;
		free(p);
	}
	if (d->fmt == AN_HTML && ns)
		an_lines(d, &(struct an_lines){"Loaded latency: latency against injector bandwidth",
					       "injector bandwidth (GB/s)", "latency (ns)", ns, ss,
					       false, 0, NULL, NULL});
	for (int k = 0; k < ns; k++) {
		free((void *)ss[k].x);
		free((void *)ss[k].y);
	}
	free(ss);
	free(names);
}

void an_report_vs_latency(const json_t *run, char *buf, size_t len)
{
	const json_t *v = json_object_get(run, "vs_latency");
	struct an_sb sb;
	an_sb_init(&sb, buf, len);
	if (!json_is_object(v))
		return;
	double worst = an_num(json_object_get(v, "worst_ratio"));
	double cells = an_num(json_object_get(v, "cells"));
	double agree = an_num(json_object_get(v, "agree"));
	an_sb_add(&sb, "vs latency bench: %s", *str(v, "status") ? str(v, "status") : "-");
	if (!isnan(worst))
		an_sb_add(&sb, ", worst ratio %.3f", worst);
	if (!isnan(worst) && !isnan(cells) && !isnan(agree))
		an_sb_add(&sb, " (%.0f of %.0f cells agree)", agree, cells);
}

/* ---- migrate: what the machine can move, and what balancing moved ---- */

static const char *metric_text(const json_t *c, const char *name, char *buf, size_t len)
{
	an_fmt_num(an_metric_median(json_object_get(json_object_get(c, "metrics"), name)), buf,
		   len);
	return buf;
}

/* The balance mode that says how fast balancing migrates: remote placement with balancing
 * on (else any mode with balancing on and pages migrated). Both shapes: modes[] (the bench)
 * and timeline[] of modes. */
static const json_t *balance_mode(const json_t *doc, const json_t **brun)
{
	const json_t *best = NULL;
	size_t i, j;
	json_t *r, *m;
	json_array_foreach(json_object_get(doc, "runs"), i, r)
	{
		if (!is_bench(r, "balance"))
			continue;
		*brun = r;
		const json_t *modes = json_object_get(r, "modes");
		if (!json_array_size(modes))
			modes = json_object_get(r, "timeline");
		json_array_foreach(modes, j, m)
		{
			if (an_num(json_object_get(m, "balancing")) > 0 &&
			    an_num(json_object_get(m, "pages_migrated")) > 0 &&
			    (!best || (!strcmp(str(m, "placement"), "remote") &&
				       strcmp(str(best, "placement"), "remote"))))
				best = m;
		}
		if (best)
			return best;
	}
	return NULL;
}

/* The fastest 4 KiB migration, preferring the node pair balancing moved pages over. */
static const json_t *fastest(const json_t *cells, long long src, long long dst)
{
	const json_t *best = NULL;
	double bv = -1;
	bool bmatch = false;
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
	{
		double v =
		    an_metric_median(json_object_get(json_object_get(c, "metrics"), "pages_per_s"));
		bool match = json_integer_value(json_object_get(c, "src_node")) == src &&
			     json_integer_value(json_object_get(c, "dst_node")) == dst;
		if (strcmp(str(c, "pages"), "4k") || isnan(v) || (bmatch && !match))
			continue;
		if ((match && !bmatch) || v > bv)
			best = c, bv = v, bmatch = match;
	}
	return best;
}

static void migrate_vs_balance(struct an_doc *d, const json_t *run, const json_t *doc)
{
	const json_t *brun = NULL, *m = balance_mode(doc, &brun);
	char a[64], b[64], label[AN_TEXT_MAX];
	if (!brun) {
		an_p(d, AN_PLAIN,
		     "No balance run in this file: no balancing migration rate to set beside "
		     "these.");
		return;
	}
	if (!m) {
		an_p(d, AN_PLAIN,
		     "The balance run here has no mode with balancing on that migrated pages: no "
		     "balancing migration rate to set beside these.");
		return;
	}
	double pages = an_num(json_object_get(m, "pages_migrated"));
	double conv = an_num(json_object_get(m, "convergence_s"));
	an_cell_label(m, NULL, label, sizeof(label));
	an_fmt_num(pages, a, sizeof(a));
	if (isnan(conv) || conv <= 0) {
		an_p(
		    d, AN_PLAIN,
		    "Balance (%s) migrated %s pages but did not converge: no migration rate during "
		    "convergence to set beside these.",
		    label, a);
		return;
	}
	double rate = pages / conv;
	an_fmt_num(rate, b, sizeof(b));
	const json_t *f = fastest(json_object_get(run, "cells"),
				  json_integer_value(json_object_get(m, "mem_node")),
				  json_integer_value(json_object_get(m, "cpu_node")));
	double fv = an_metric_median(json_object_get(json_object_get(f, "metrics"), "pages_per_s"));
	if (!f || !(fv > 0)) {
		an_p(d, AN_PLAIN,
		     "Balancing (balance, %s) migrated %s pages/s while converging (%s pages in "
		     "%.2f "
		     "s); no 4 KiB migrate cell to compare with.",
		     label, b, a, conv);
		return;
	}
	char fvs[64];
	an_fmt_num(fv, fvs, sizeof(fvs));
	an_p(d, rate < fv * 0.1 ? AN_WARN : AN_PLAIN,
	     "Balancing (balance, %s) migrated %s pages/s while converging (%s pages in %.2f s): "
	     "%.1f%% of the %s pages/s that %s moves 4 KiB pages from node %lld to %lld here.",
	     label, b, a, conv, 100 * rate / fv, fvs, str(f, "method"),
	     (long long)json_integer_value(json_object_get(f, "src_node")),
	     (long long)json_integer_value(json_object_get(f, "dst_node")));
}

static void migrate_table(struct an_doc *d, const json_t *run, const json_t *doc)
{
	struct an_table *t = an_table_new();
	size_t i;
	json_t *c;
	an_table_col(t, "src>dst");
	an_table_col(t, "pages");
	an_table_col(t, "method");
	an_table_col(t, "pages/s");
	an_table_col(t, "GB/s");
	an_table_col(t, "ns/page");
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		char v[3][64];
		const char *st = json_string_value(json_object_get(c, "status"));
		const char *mark = an_status_mark(st);
		enum an_style sty = *mark ? AN_WARN : AN_PLAIN;
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%lld>%lld",
			      (long long)json_integer_value(json_object_get(c, "src_node")),
			      (long long)json_integer_value(json_object_get(c, "dst_node")));
		an_table_cell(t, AN_PLAIN, "%s", str(c, "pages"));
		if (json_is_integer(json_object_get(c, "batch")))
			an_table_cell(t, AN_PLAIN, "%s (batch %lld)", str(c, "method"),
				      (long long)json_integer_value(json_object_get(c, "batch")));
		else
			an_table_cell(t, AN_PLAIN, "%s", str(c, "method"));
		an_table_cell(t, sty, "%s%s", metric_text(c, "pages_per_s", v[0], sizeof(v[0])),
			      mark);
		an_table_cell(t, sty, "%s%s", metric_text(c, "gbs", v[1], sizeof(v[1])), mark);
		an_table_cell(t, sty, "%s%s", metric_text(c, "ns_per_page", v[2], sizeof(v[2])),
			      mark);
	}
	an_h(d, 3, "Migration rates");
	an_p(d, AN_PLAIN, "Medians per source > destination node, page size and method. Marks: %s.",
	     AN_MARK_LEGEND);
	an_table_emit(d, t);
	migrate_vs_balance(d, run, doc);
}

/* ---- tier: scores and promotion/demotion timelines ---- */

static void tier_scores(struct an_doc *d, const json_t *scores)
{
	static const char *const cols[] = {"scenario",
					   "balancing",
					   "accuracy",
					   "time_to_home_s",
					   "wasted_migrations",
					   "accuracy_vs_baselines",
					   "throughput_vs_baselines",
					   "status"};
	struct an_table *t = an_table_new();
	size_t i;
	json_t *s;
	for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
		an_table_col(t, cols[k]);
	json_array_foreach(scores, i, s)
	{
		an_table_row(t);
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			const json_t *v = json_object_get(s, cols[k]);
			char buf[64];
			if (!strcmp(cols[k], "status")) {
				const char *st = json_string_value(v);
				an_table_cell(t, an_status_style(st), "%s%s", st ? st : "-",
					      an_status_mark(st));
			} else if (json_is_number(v)) {
				an_fmt_num(an_num(v), buf, sizeof(buf));
				an_table_cell(t, AN_PLAIN, "%s", buf);
			} else if (!strcmp(cols[k], "time_to_home_s") && json_is_null(v)) {
				an_table_cell(t, AN_PLAIN, "never");
			} else {
				an_value_text(v, buf, sizeof(buf));
				an_table_cell(t, AN_PLAIN, "%s", *buf ? buf : "-");
			}
		}
	}
	an_h(d, 3, "Tiering scores");
	an_p(d, AN_PLAIN,
	     "accuracy: share of the hot set on the fast node at the end; time_to_home_s: when it "
	     "got there (never: not within the run); wasted_migrations: promoted pages demoted "
	     "again or promoted while cold; *_vs_baselines: 0 = as bound to the slow node, 1 = as "
	     "bound to the fast node.");
	an_table_emit(d, t);
}

static void tier_timelines(struct an_doc *d, const json_t *run)
{
	json_t *units =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "t_s", "s", "hot_fast_share",
		      "fraction of the hot set on the fast node, 0-1", "cold_fast_share",
		      "fraction of the cold set on the fast node, 0-1", "hot", "sampled hot pages",
		      "cold", "sampled cold pages", "pgpromote_success", "pages, since the start",
		      "pgpromote_candidate", "pages, since the start", "pgdemote",
		      "pages, since the start", "numa_pages_migrated", "pages, since the start");
	an_report_timeline(d, "promotion and demotion", json_object_get(run, "cells"), units);
	json_decref(units);
}

bool an_report_bench_cells(struct an_doc *d, const json_t *run, const json_t *doc)
{
	const json_t *cells = json_object_get(run, "cells");
	if (!json_array_size(cells))
		return false;
	if (is_bench(run, "migrate")) {
		migrate_table(d, run, doc); /* the cells' own details follow */
		return false;
	}
	if (is_bench(run, "tier") && an_timeline_like(cells)) {
		if (json_array_size(json_object_get(run, "scores")))
			tier_scores(d, json_object_get(run, "scores"));
		tier_timelines(d, run);
		return true;
	}
	return false;
}

void an_report_bench_after_cells(struct an_doc *d, const json_t *run)
{
	size_t i;
	json_t *c;
	if (!is_bench(run, "loaded"))
		return;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		if (json_array_size(json_object_get(c, "points"))) {
			loaded_curves(d, run);
			return;
		}
	}
}

bool an_report_bench_handled(const json_t *run, const char *key)
{
	return is_bench(run, "tier") && !strcmp(key, "scores") &&
	       json_array_size(json_object_get(run, "cells")) &&
	       an_timeline_like(json_object_get(run, "cells"));
}
