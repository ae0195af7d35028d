/* numabench analysis: `numabench compare A.json B.json...`, each result against the baseline A,
 * rendered as tables (and bar charts with CI whiskers in HTML). */
#include "analysis.h"
#include "an_chart.h"
#include "an_compare.h"
#include "an_json.h"
#include "an_tidy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fmt_pct(double frac, char *buf, size_t len)
{
	if (isnan(frac))
		snprintf(buf, len, "-");
	else if (fabs(frac) < 0.0005) /* rounds to zero: no sign */
		snprintf(buf, len, "0.0%%");
	else
		snprintf(buf, len, "%+.1f%%", frac * 100);
}

static void fmt_ci(const struct an_cmp *c, char *buf, size_t len)
{
	if (isnan(c->lo) || isnan(c->hi))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%+.1f%% .. %+.1f%%", c->lo * 100, c->hi * 100);
}

static void fmt_p(double p, char *buf, size_t len)
{
	if (isnan(p))
		snprintf(buf, len, "-");
	else if (p < 0.001)
		snprintf(buf, len, "<0.001");
	else
		snprintf(buf, len, "%.3f", p);
}

static enum an_style verdict_style(enum an_verdict v)
{
	return v == AN_V_WORSE	   ? AN_BAD
	       : v == AN_V_BETTER  ? AN_GOOD
	       : v == AN_V_CHANGED ? AN_WARN
				   : AN_PLAIN;
}

/* A row that is statistically significant but below the practical threshold says so (the
 * other case, large but not statistically significant, is what "no significant change" always
 * meant; the tidy rows carry both conditions). */
static const char *why_not(const struct an_row *r)
{
	return r->c.verdict == AN_V_SAME && r->c.stat_sig ? " (statistically only: below the "
							    "practical threshold)"
							  : "";
}

static void result_cell(struct an_table *t, const struct an_row *r)
{
	an_table_cell(t, verdict_style(r->c.verdict), "%s%s%s", an_verdict_name(r->c.verdict),
		      why_not(r), r->untrusted ? " ?" : "");
}

/* Whether w is a whole word of s. */
static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = s; (p = strstr(p, w)); p += n)
		if ((p == s || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

/* Whether a word of a cell id is in every cell of the group (pages=512 reader_node=1 say
 * nothing there). */
static bool everywhere(const struct an_cmp_set *k, int g, const char *word)
{
	for (int i = 0; i < k->nrows; i++)
		if (k->rows[i].group == g && !has_word(k->rows[i].cell, word))
			return false;
	return true;
}

/* A short cell id: its words that are not in every cell of the group (common: the others). */
static void short_cell(const struct an_cmp_set *k, int g, const char *cell, bool common, char *buf,
		       size_t len)
{
	struct an_sb sb;
	char word[AN_TEXT_MAX];
	an_sb_init(&sb, buf, len);
	for (const char *w = cell; *w;) {
		size_t n = strcspn(w, " ");
		snprintf(word, sizeof(word), "%.*s", (int)n, w);
		if (everywhere(k, g, word) == common)
			an_sb_add(&sb, "%s%s", sb.pos ? " " : "", word);
		w += n + (w[n] == ' ');
	}
	if (!sb.pos && !common)
		an_sb_add(&sb, "-");
}

/* A bar label: the short cell id, then the metric. */
static void bar_label(const struct an_cmp_set *k, int g, const struct an_row *r, char *buf,
		      size_t len)
{
	char cell[AN_TEXT_MAX];
	short_cell(k, g, r->cell, false, cell, sizeof(cell));
	an_fmt(buf, len, "%s%s%s", strcmp(cell, "-") ? cell : "", strcmp(cell, "-") ? " " : "",
	       r->metric);
}

static void row_cells(struct an_table *t, const struct an_cmp_set *k, const struct an_row *r)
{
	char ma[64], mb[64], ch[64], ci[64], p[64], cell[AN_TEXT_MAX];
	short_cell(k, r->group, r->cell, false, cell, sizeof(cell));
	an_fmt_num(r->c.med_a, ma, sizeof(ma));
	an_fmt_num(r->c.med_b, mb, sizeof(mb));
	fmt_pct(r->c.change, ch, sizeof(ch));
	fmt_ci(&r->c, ci, sizeof(ci));
	fmt_p(r->c.p, p, sizeof(p));
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "%s", cell);
	an_table_cell(t, AN_PLAIN, "%s", r->metric);
	an_table_cell(t, AN_PLAIN, "%s", *r->unit ? r->unit : "-");
	an_table_cell(t, AN_PLAIN, "%s", an_dir_text(r->dir));
	an_table_cell(t, AN_PLAIN, "%d/%d", r->c.na, r->c.nb);
	an_table_cell(t, AN_PLAIN, "%s", ma);
	an_table_cell(t, AN_PLAIN, "%s", mb);
	an_table_cell(t, AN_PLAIN, "%s", ch);
	an_table_cell(t, AN_PLAIN, "%s", ci);
	an_table_cell(t, AN_PLAIN, "%s", p);
	if (k->bh) {
		fmt_p(r->q, p, sizeof(p));
		an_table_cell(t, AN_PLAIN, "%s", p);
	}
	result_cell(t, r);
}

static void group_table(struct an_doc *d, const struct an_cmp_set *k, int g)
{
	static const char *const cols[] = {"cell",     "metric",   "unit",   "better", "n",
					   "baseline", "compared", "change", "95% CI", "p"};
	struct an_table *t = an_table_new();
	char common[AN_TEXT_MAX] = "";
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		an_table_col(t, cols[c]);
	if (k->bh)
		an_table_col(t, "q (BH)");
	an_table_col(t, "result");
	for (int i = 0; i < k->nrows; i++)
		if (k->rows[i].group == g) {
			if (!*common)
				short_cell(k, g, k->rows[i].cell, true, common, sizeof(common));
			row_cells(t, k, &k->rows[i]);
		}
	if (*common)
		an_p(d, AN_PLAIN, "Every cell here: %s", common);
	an_table_emit(d, t);
	for (int i = 0; i < k->nrows; i++)
		if (k->rows[i].group == g && k->rows[i].untrusted) {
			an_p(d, AN_PLAIN,
			     "? untrustworthy cell or run, or emulated timings, in either "
			     "file.");
			break;
		}
}

static int by_change(const void *a, const void *b)
{
	double x = fabs((*(const struct an_row *const *)a)->c.change),
	       y = fabs((*(const struct an_row *const *)b)->c.change);
	return x > y ? -1 : x < y;
}

/* The significant changes of a comparison, largest |change| first. */
static void top_changes(struct an_doc *d, const struct an_cmp_set *k)
{
	const struct an_row **v = calloc(k->nrows + 1, sizeof(*v));
	int n = 0;
	if (!v)
		abort();
	for (int i = 0; i < k->nrows; i++)
		if (k->rows[i].c.verdict >= AN_V_BETTER)
			v[n++] = &k->rows[i];
	qsort(v, n, sizeof(*v), by_change);
	an_h(d, 3, "Significant changes, largest first");
	if (!n) {
		an_p(d, AN_PLAIN, "None.");
		free(v);
		return;
	}
	struct an_table *t = an_table_new();
	static const char *const cols[] = {"run",    "cell", "metric", "change",
					   "95% CI", "p",    "result"};
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		an_table_col(t, cols[c]);
	for (int i = 0; i < n; i++) {
		const struct an_row *r = v[i];
		char cell[AN_TEXT_MAX], ch[64], ci[64], p[64], run[AN_TEXT_MAX];
		short_cell(k, r->group, r->cell, false, cell, sizeof(cell));
		fmt_pct(r->c.change, ch, sizeof(ch));
		fmt_ci(&r->c, ci, sizeof(ci));
		fmt_p(k->bh ? r->q : r->c.p, p, sizeof(p));
		snprintf(run, sizeof(run), "%.*s #%d", (int)strcspn(k->groups.v[r->group], " "),
			 k->groups.v[r->group], r->group + 1);
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", run);
		an_table_cell(t, AN_PLAIN, "%s", cell);
		an_table_cell(t, AN_PLAIN, "%s", r->metric);
		an_table_cell(t, verdict_style(r->c.verdict), "%s", ch);
		an_table_cell(t, AN_PLAIN, "%s", ci);
		an_table_cell(t, AN_PLAIN, "%s", p);
		result_cell(t, r);
	}
	an_table_emit(d, t);
	an_p(d, AN_PLAIN,
	     "run: bench and its number in the sections below; ? untrustworthy cell "
	     "or run in either file.");
	free(v);
}

static void group_changes(struct an_doc *d, const struct an_cmp_set *k, int g)
{
	struct an_table *t = an_table_new();
	an_table_col(t, "cell");
	an_table_col(t, "field");
	an_table_col(t, "baseline");
	an_table_col(t, "compared");
	for (int i = 0; i < k->nchanges; i++) {
		const struct an_change *c = &k->changes[i];
		if (c->group != g)
			continue;
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", c->cell);
		an_table_cell(t, AN_PLAIN, "%s", c->field);
		an_table_cell(t, AN_PLAIN, "%s", c->a);
		an_table_cell(t, AN_WARN, "%s", c->b);
	}
	if (!an_table_rows(t)) {
		an_table_free(t);
		return;
	}
	an_p(d, AN_PLAIN, "Values that changed in kind (zero to non-zero or back, another text):");
	an_table_emit(d, t);
}

static void group_bars(struct an_doc *d, const struct an_cmp_set *k, int g)
{
	struct an_bar *b = calloc(k->nrows + 1, sizeof(*b));
	char title[AN_TEXT_MAX + 64];
	int n = 0;
	if (!b)
		abort();
	for (int i = 0; i < k->nrows; i++) {
		const struct an_row *r = &k->rows[i];
		char ch[64], ci[64], p[64], lab[AN_TEXT_MAX], *label, *tip;
		if (r->group != g || isnan(r->c.change))
			continue;
		fmt_pct(r->c.change, ch, sizeof(ch));
		fmt_ci(&r->c, ci, sizeof(ci));
		fmt_p(r->c.p, p, sizeof(p));
		bar_label(k, g, r, lab, sizeof(lab));
		if (!(label = strdup(lab)) ||
		    asprintf(&tip, "%s%s%s: %s, 95%% CI %s, p %s: %s", r->cell, *r->cell ? " " : "",
			     r->metric, ch, ci, p, an_verdict_name(r->c.verdict)) < 0)
			abort();
		b[n++] = (struct an_bar){label,		r->c.change * 100,	     r->c.lo * 100,
					 r->c.hi * 100, verdict_style(r->c.verdict), tip};
	}
	an_fmt(title, sizeof(title), "%s against baseline: %s", k->bn, k->groups.v[g]);
	an_bars(d, &(struct an_bars){title, "change of the median, % (whisker: 95% CI)", n, b});
	for (int i = 0; i < n; i++) {
		free((void *)b[i].label);
		free((void *)b[i].tip);
	}
	free(b);
}

static const char *host_field(const json_t *doc, const char *k)
{
	const char *s = json_string_value(json_object_get(json_object_get(doc, "host"), k));
	return s ? s : "(unknown)";
}

static void dump(const json_t *v, char *buf, size_t len)
{
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
	snprintf(buf, len, "%s", s ? s : "");
	free(s);
}

static bool differ(const json_t *a, const json_t *b)
{
	char x[8192], y[8192];
	dump(a, x, sizeof(x));
	dump(b, y, sizeof(y));
	return strcmp(x, y) != 0;
}

/* "numa_balancing 1 -> 0, ..." for the tunables set differently before the runs. */
static void tunables_diff(const json_t *a, const json_t *b, char *buf, size_t len)
{
	struct an_sb sb;
	const char *name;
	json_t *va;
	char x[64], y[64];
	an_sb_init(&sb, buf, len);
	json_object_foreach((json_t *)a, name, va)
	{
		const json_t *vb = json_object_get(b, name);
		if (!vb || !differ(va, vb))
			continue;
		an_value_text(va, x, sizeof(x));
		an_value_text(vb, y, sizeof(y));
		an_sb_add(&sb, "%s%s %s -> %s", sb.pos ? ", " : "", name, x, y);
	}
}

/* What differs between the machines: the kernel may be the point of the comparison and is
 * only said; topology, tunables, command line and CPU model are warned about, since they
 * change what a cell measures. */
static void host_lines(struct an_doc *d, const struct an_cmp_set *k)
{
	const json_t *ta = json_object_get(k->a, "topology"),
		     *tb = json_object_get(k->b, "topology");
	size_t na = json_array_size(json_object_get(ta, "nodes")),
	       nb = json_array_size(json_object_get(tb, "nodes"));
	char tun[AN_TEXT_MAX];
	an_p(d, AN_PLAIN, "Baseline %s: host %s, kernel %s. Compared %s: host %s, kernel %s.",
	     k->an, host_field(k->a, "hostname"), host_field(k->a, "kernel"), k->bn,
	     host_field(k->b, "hostname"), host_field(k->b, "kernel"));
	if (strcmp(host_field(k->a, "hostname"), host_field(k->b, "hostname")))
		an_p(d, AN_WARN, "The hosts differ.");
	if (strcmp(host_field(k->a, "kernel"), host_field(k->b, "kernel")))
		an_p(d, AN_PLAIN, "The kernels differ.");
	if (na != nb)
		an_p(d, AN_WARN,
		     "The topologies differ: %zu nodes against %zu; cells of the same nodes are "
		     "compared, but a node's neighbours are not the same.",
		     na, nb);
	else if (differ(json_object_get(ta, "distances"), json_object_get(tb, "distances")))
		an_p(d, AN_WARN, "The node distances (SLIT) differ.");
	tunables_diff(json_object_get(json_object_get(k->a, "tunables"), "before"),
		      json_object_get(json_object_get(k->b, "tunables"), "before"), tun,
		      sizeof(tun));
	if (*tun)
		an_p(d, AN_WARN, "Tunables differ before the runs: %s.", tun);
	if (strcmp(host_field(k->a, "cmdline"), host_field(k->b, "cmdline")))
		an_p(d, AN_WARN, "The kernel command lines differ: \"%s\" against \"%s\".",
		     host_field(k->a, "cmdline"), host_field(k->b, "cmdline"));
	if (strcmp(host_field(k->a, "cpu_model"), host_field(k->b, "cpu_model")))
		an_p(d, AN_WARN, "The CPU models differ: %s against %s.",
		     host_field(k->a, "cpu_model"), host_field(k->b, "cpu_model"));
}

/* Whether a row counts for --threshold: untrustworthy ones only when asked. */
static bool counts(const struct an_cmp_set *k, const struct an_row *r, double threshold)
{
	return an_beyond(&r->c, threshold) && (k->count_untrusted || !r->untrusted);
}

static int count(const struct an_cmp_set *k, enum an_verdict v)
{
	int n = 0;
	for (int i = 0; i < k->nrows; i++)
		n += k->rows[i].c.verdict == v;
	return n;
}

static void summary(struct an_doc *d, const struct an_cmp_set *k, double threshold)
{
	int worse = count(k, AN_V_WORSE), beyond = 0, small = 0;
	for (int i = 0; i < k->nrows; i++)
		small += k->rows[i].c.verdict == AN_V_SAME && k->rows[i].c.stat_sig;
	an_p(d, worse ? AN_BAD : AN_PLAIN,
	     "%d metrics compared: %d regressions, %d improvements, %d changed (no direction), "
	     "%d without significant change (%d of them statistically significant but below the "
	     "practical threshold of %g%%), %d not comparable. %d other values changed in kind.",
	     k->nrows, worse, count(k, AN_V_BETTER), count(k, AN_V_CHANGED), count(k, AN_V_SAME),
	     small, k->practical * 100, count(k, AN_V_NA), k->nchanges);
	if (isnan(threshold))
		return;
	int skipped = 0;
	for (int i = 0; i < k->nrows; i++) {
		beyond += counts(k, &k->rows[i], threshold);
		skipped +=
		    an_beyond(&k->rows[i].c, threshold) && !counts(k, &k->rows[i], threshold);
	}
	an_p(d, beyond ? AN_BAD : AN_GOOD, "Threshold %g%%: %d significant regressions beyond it.",
	     threshold, beyond);
	if (skipped)
		an_p(d, AN_WARN,
		     "%d more on untrustworthy cells or runs or emulated timings, not counted "
		     "(--include-untrustworthy counts them).",
		     skipped);
}

static void render_pair(struct an_doc *d, const struct an_cmp_set *k, double threshold)
{
	an_h(d, 2, "%s against %s (baseline)", k->bn, k->an);
	host_lines(d, k);
	summary(d, k, threshold);
	if (k->bh)
		an_p(d, AN_PLAIN,
		     "Significance on Benjamini-Hochberg q-values over the %d metrics of this "
		     "comparison (false discovery rate %.2f).",
		     k->nrows, AN_ALPHA);
	top_changes(d, k);
	for (int g = 0; g < k->groups.n; g++) {
		int rows = 0, changes = 0;
		for (int i = 0; i < k->nrows; i++)
			rows += k->rows[i].group == g;
		for (int i = 0; i < k->nchanges; i++)
			changes += k->changes[i].group == g;
		if (!rows && !changes)
			continue;
		an_h(d, 3, "%s", k->groups.v[g]);
		if (rows)
			group_table(d, k, g);
		group_changes(d, k, g);
		group_bars(d, k, g);
	}
	if (!k->notes.n)
		return;
	an_h(d, 3, "Notes");
	for (int i = 0; i < k->notes.n; i++)
		an_p(d, AN_PLAIN, "%s", k->notes.v[i]);
}

static const struct an_row *find_row(const struct an_cmp_set *k, const char *group,
				     const struct an_row *like)
{
	for (int i = 0; i < k->nrows; i++) {
		const struct an_row *r = &k->rows[i];
		if (!strcmp(r->cell, like->cell) && !strcmp(r->metric, like->metric) &&
		    !strcmp(k->groups.v[r->group], group))
			return r;
	}
	return NULL;
}

/* 3+ files: one column per file (mmtests style), each change judged against the first. */
static void side_by_side(struct an_doc *d, const struct an_cmp_set *sets, int n)
{
	const struct an_cmp_set *k = &sets[0];
	struct an_table *t = an_table_new();
	char col[64];
	an_h(d, 2, "Side by side");
	char files[AN_TEXT_MAX];
	struct an_sb sb;
	an_sb_init(&sb, files, sizeof(files));
	an_sb_add(&sb, "A: %s (baseline)", k->an);
	for (int s = 0; s < n; s++)
		an_sb_add(&sb, ", %c: %s", 'B' + s, sets[s].bn);
	an_p(d, AN_PLAIN,
	     "%s. Medians, and each file's change against A; * marks a significant change (as in "
	     "the sections below), ? an untrustworthy cell or run.",
	     files);
	an_table_col(t, "run");
	an_table_col(t, "cell");
	an_table_col(t, "metric");
	an_table_col(t, "A");
	for (int s = 0; s < n; s++) {
		snprintf(col, sizeof(col), "%c", 'B' + s);
		an_table_col(t, col);
		snprintf(col, sizeof(col), "%c change", 'B' + s);
		an_table_col(t, col);
	}
	for (int i = 0; i < k->nrows; i++) {
		const struct an_row *r0 = &k->rows[i];
		const char *group = k->groups.v[r0->group];
		char cell[AN_TEXT_MAX], v[64];
		short_cell(k, r0->group, r0->cell, false, cell, sizeof(cell));
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%.*s #%d", (int)strcspn(group, " "), group,
			      r0->group + 1);
		an_table_cell(t, AN_PLAIN, "%s", cell);
		an_table_cell(t, AN_PLAIN, "%s", r0->metric);
		an_fmt_num(r0->c.med_a, v, sizeof(v));
		an_table_cell(t, AN_PLAIN, "%s", v);
		for (int s = 0; s < n; s++) {
			const struct an_row *r = find_row(&sets[s], group, r0);
			char ch[64];
			an_fmt_num(r ? r->c.med_b : NAN, v, sizeof(v));
			fmt_pct(r ? r->c.change : NAN, ch, sizeof(ch));
			an_table_cell(t, AN_PLAIN, "%s", v);
			an_table_cell(t, r ? verdict_style(r->c.verdict) : AN_PLAIN, "%s%s%s", ch,
				      r && r->c.verdict >= AN_V_BETTER ? "*" : "",
				      r && r->untrusted ? "?" : "");
		}
	}
	an_table_emit(d, t);
}

static void tidy(struct an_doc *d, const struct an_cmp_set *sets, int n)
{
	static const char *const cols[] = {"baseline",
					   "file",
					   "run",
					   "cell",
					   "metric",
					   "unit",
					   "direction",
					   "n_baseline",
					   "n",
					   "baseline_median",
					   "median",
					   "change",
					   "ci_lo",
					   "ci_hi",
					   "p",
					   "q",
					   "verdict",
					   "untrustworthy",
					   "statistically_significant",
					   "practically_significant",
					   NULL};
	json_t *rows = json_array();
	for (int s = 0; s < n; s++)
		for (int i = 0; i < sets[s].nrows; i++) {
			const struct an_row *r = &sets[s].rows[i];
			json_t *o = json_object();
			json_object_set_new(o, "baseline", json_string(sets[s].an));
			json_object_set_new(o, "file", json_string(sets[s].bn));
			json_object_set_new(o, "run", json_string(sets[s].groups.v[r->group]));
			json_object_set_new(o, "cell", json_string(r->cell));
			json_object_set_new(o, "metric", json_string(r->metric));
			json_object_set_new(o, "unit", json_string(r->unit));
			json_object_set_new(o, "direction", json_string(an_dir_text(r->dir)));
			json_object_set_new(o, "n_baseline", json_integer(r->c.na));
			json_object_set_new(o, "n", json_integer(r->c.nb));
			json_object_set_new(o, "baseline_median", an_tidy_num(r->c.med_a));
			json_object_set_new(o, "median", an_tidy_num(r->c.med_b));
			json_object_set_new(o, "change", an_tidy_num(r->c.change));
			json_object_set_new(o, "ci_lo", an_tidy_num(r->c.lo));
			json_object_set_new(o, "ci_hi", an_tidy_num(r->c.hi));
			json_object_set_new(o, "p", an_tidy_num(r->c.p));
			json_object_set_new(o, "q", an_tidy_num(r->q));
			json_object_set_new(o, "verdict",
					    json_string(an_verdict_name(r->c.verdict)));
			json_object_set_new(o, "untrustworthy", json_boolean(r->untrusted));
			json_object_set_new(o, "statistically_significant",
					    json_boolean(r->c.stat_sig));
			json_object_set_new(o, "practically_significant",
					    json_boolean(r->c.practical));
			json_array_append_new(rows, o);
		}
	an_tidy_emit(d, AN_COMPARE_ROWS_SCHEMA, cols, rows);
	json_decref(rows);
}

static void method(struct an_doc *d)
{
	an_p(d, AN_PLAIN,
	     "Change: median(compared) / median(baseline) - 1. 95%% CI: percentile bootstrap of "
	     "the ratio of medians, %d resamples of each side, fixed seed %u, so the same inputs "
	     "give the same output. p: two-sided Mann-Whitney U on the samples (normal "
	     "approximation, tie and continuity corrected). A change is significant only when "
	     "it is statistically significant (p < %.2f and the CI excludes 0) and practically "
	     "(|change| >= the practical threshold, --practical, default %g%%); a change that is "
	     "only statistically significant says so. Regression and improvement follow the "
	     "metric's "
	     "direction (lower or higher is better).",
	     AN_BOOT_REPS, AN_BOOT_SEED, AN_ALPHA, AN_PRACTICAL_PCT);
}

static long schema_major(const json_t *doc)
{
	const char *s = json_string_value(json_object_get(doc, "schema"));
	const char *slash = s ? strrchr(s, '/') : NULL;
	return slash ? strtol(slash + 1, NULL, 10) : -1;
}

/* Refuse different schema majors; warn on different hosts or node counts. */
static int check_docs(json_t **docs, char **files, int n)
{
	for (int i = 1; i < n; i++) {
		if (schema_major(docs[i]) != schema_major(docs[0])) {
			nb_err("compare: %s has schema major %ld but %s has %ld; refusing to "
			       "compare across schema versions",
			       files[i], schema_major(docs[i]), files[0], schema_major(docs[0]));
			return -1;
		}
		if (strcmp(host_field(docs[0], "hostname"), host_field(docs[i], "hostname")))
			nb_warn("compare: hosts differ: %s ran on %s, %s on %s", files[0],
				host_field(docs[0], "hostname"), files[i],
				host_field(docs[i], "hostname"));
		size_t n0 =
		    json_array_size(json_object_get(json_object_get(docs[0], "topology"), "nodes"));
		size_t ni =
		    json_array_size(json_object_get(json_object_get(docs[i], "topology"), "nodes"));
		if (n0 != ni)
			nb_warn("compare: topologies differ: %s has %zu nodes, %s has %zu",
				files[0], n0, files[i], ni);
	}
	return 0;
}

static int load_all(const struct an_opts *o, json_t **docs)
{
	for (int i = 0; i < o->nfiles; i++)
		if (!(docs[i] = an_load(o->files[i])))
			return -1;
	return check_docs(docs, o->files, o->nfiles);
}

static int build_all(const struct an_opts *o, json_t **docs, struct an_cmp_set *sets)
{
	for (int i = 1; i < o->nfiles; i++) {
		sets[i - 1] = (struct an_cmp_set){.a = docs[0],
						  .b = docs[i],
						  .an = an_basename(o->files[0]),
						  .bn = an_basename(o->files[i]),
						  .practical = o->practical / 100};
		if (an_cmp_build(&sets[i - 1]))
			return -1;
		sets[i - 1].count_untrusted = o->untrusted;
		sets[i - 1].bh = o->bh;
		if (o->bh)
			an_cmp_bh(&sets[i - 1]);
	}
	return 0;
}

/* The worst regression beyond the threshold, for the one line CI logs show. */
static int regressions(const struct an_cmp_set *sets, int n, double threshold)
{
	const struct an_row *worst = NULL;
	const struct an_cmp_set *in = NULL;
	int count = 0;
	for (int s = 0; s < n && !isnan(threshold); s++)
		for (int i = 0; i < sets[s].nrows; i++) {
			const struct an_row *r = &sets[s].rows[i];
			if (!counts(&sets[s], r, threshold))
				continue;
			count++;
			if (!worst || fabs(r->c.change) > fabs(worst->c.change))
				worst = r, in = &sets[s];
		}
	if (!count)
		return NB_EXIT_OK;
	nb_err("compare: %d significant regressions beyond %g%%; worst: %s%s%s %s %+.1f%% in %s",
	       count, threshold, in->groups.v[worst->group], *worst->cell ? ", " : "", worst->cell,
	       worst->metric, worst->c.change * 100, in->bn);
	return NB_EXIT_REGRESSION;
}

static int render(const struct an_opts *o, const struct an_cmp_set *sets)
{
	struct an_doc d;
	char title[512];
	snprintf(title, sizeof(title), "numabench compare: baseline %s", an_basename(o->files[0]));
	if (an_doc_open(&d, o->fmt, an_use_color(o), title)) {
		nb_err("compare: out of memory");
		return NB_EXIT_ENV;
	}
	if (o->fmt == AN_CSV || o->fmt == AN_JSON) {
		tidy(&d, sets, o->nfiles - 1);
		return an_doc_close(&d, o->out);
	}
	method(&d);
	an_toc_here(&d);
	if (o->nfiles > 2)
		side_by_side(&d, sets, o->nfiles - 1);
	for (int i = 0; i < o->nfiles - 1; i++)
		render_pair(&d, &sets[i], o->threshold);
	return an_doc_close(&d, o->out);
}

int an_run_compare(const struct an_opts *o)
{
	int rc;
	json_t **docs = calloc(o->nfiles, sizeof(*docs));
	struct an_cmp_set *sets = calloc(o->nfiles, sizeof(*sets));
	if (!docs || !sets)
		abort();
	rc = load_all(o, docs) || build_all(o, docs, sets) ? NB_EXIT_USAGE : render(o, sets);
	if (rc == NB_EXIT_OK)
		rc = regressions(sets, o->nfiles - 1, o->threshold);
	for (int i = 0; i < o->nfiles; i++) {
		an_cmp_free(&sets[i]);
		json_decref(docs[i]);
	}
	free(sets);
	free(docs);
	return rc;
}
