/* numabench analysis: `numabench compare A.json B.json...`, each result against the baseline A,
 * rendered as tables (and bar charts with CI whiskers in HTML). */
#include "analysis.h"
#include "an_chart.h"
#include "an_cli.h"
#include "an_compare.h"
#include "an_json.h"

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

static void result_cell(struct an_table *t, const struct an_row *r)
{
	an_table_cell(t, verdict_style(r->c.verdict), "%s%s", an_verdict_name(r->c.verdict),
		      r->untrusted ? " (untrustworthy run)" : "");
}

static void row_cells(struct an_table *t, const struct an_row *r)
{
	char ma[64], mb[64], ch[64], ci[64], p[64];
	an_fmt_num(r->c.med_a, ma, sizeof(ma));
	an_fmt_num(r->c.med_b, mb, sizeof(mb));
	fmt_pct(r->c.change, ch, sizeof(ch));
	fmt_ci(&r->c, ci, sizeof(ci));
	fmt_p(r->c.p, p, sizeof(p));
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "%s", *r->cell ? r->cell : "-");
	an_table_cell(t, AN_PLAIN, "%s", r->metric);
	an_table_cell(t, AN_PLAIN, "%s", *r->unit ? r->unit : "-");
	an_table_cell(t, AN_PLAIN, "%s", an_dir_text(r->dir));
	an_table_cell(t, AN_PLAIN, "%d/%d", r->c.na, r->c.nb);
	an_table_cell(t, AN_PLAIN, "%s", ma);
	an_table_cell(t, AN_PLAIN, "%s", mb);
	an_table_cell(t, AN_PLAIN, "%s", ch);
	an_table_cell(t, AN_PLAIN, "%s", ci);
	an_table_cell(t, AN_PLAIN, "%s", p);
	result_cell(t, r);
}

static void group_table(struct an_doc *d, const struct an_cmp_set *k, int g)
{
	static const char *const cols[] = {"cell",   "metric",	 "unit",     "better",
					   "n",	     "baseline", "compared", "change",
					   "95% CI", "p",	 "result"};
	struct an_table *t = an_table_new();
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++)
		an_table_col(t, cols[c]);
	for (int i = 0; i < k->nrows; i++)
		if (k->rows[i].group == g)
			row_cells(t, &k->rows[i]);
	an_table_emit(d, t);
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

/* Whether w is a whole word of s. */
static bool has_word(const char *s, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = s; (p = strstr(p, w)); p += n)
		if ((p == s || p[-1] == ' ') && (!p[n] || p[n] == ' '))
			return true;
	return false;
}

/* A bar label: the cell's words that are not in every cell of the group (pages=512
 * reader_node=1 say nothing there), then the metric. */
static void bar_label(const struct an_cmp_set *k, int g, const struct an_row *r, char *buf,
		      size_t len)
{
	struct an_sb sb;
	char word[AN_TEXT_MAX];
	an_sb_init(&sb, buf, len);
	for (const char *w = r->cell; *w;) {
		size_t n = strcspn(w, " ");
		bool everywhere = true;
		snprintf(word, sizeof(word), "%.*s", (int)n, w);
		for (int i = 0; i < k->nrows && everywhere; i++)
			everywhere = k->rows[i].group != g || has_word(k->rows[i].cell, word);
		if (!everywhere)
			an_sb_add(&sb, "%s ", word);
		w += n + (w[n] == ' ');
	}
	an_sb_add(&sb, "%s", r->metric);
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

/* Differences in host or kernel are allowed (that may be the point), but said loudly. */
static void host_lines(struct an_doc *d, const struct an_cmp_set *k)
{
	an_p(d, AN_PLAIN, "Baseline %s: host %s, kernel %s. Compared %s: host %s, kernel %s.",
	     k->an, host_field(k->a, "hostname"), host_field(k->a, "kernel"), k->bn,
	     host_field(k->b, "hostname"), host_field(k->b, "kernel"));
	if (strcmp(host_field(k->a, "hostname"), host_field(k->b, "hostname")))
		an_p(d, AN_WARN, "The hosts differ.");
	if (strcmp(host_field(k->a, "kernel"), host_field(k->b, "kernel")))
		an_p(d, AN_WARN, "The kernels differ.");
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
	int worse = count(k, AN_V_WORSE), beyond = 0;
	an_p(d, worse ? AN_BAD : AN_PLAIN,
	     "%d metrics compared: %d regressions, %d improvements, %d changed (no direction), "
	     "%d without significant change, %d not comparable. %d other values changed in "
	     "kind.",
	     k->nrows, worse, count(k, AN_V_BETTER), count(k, AN_V_CHANGED), count(k, AN_V_SAME),
	     count(k, AN_V_NA), k->nchanges);
	if (isnan(threshold))
		return;
	for (int i = 0; i < k->nrows; i++)
		beyond += an_beyond(&k->rows[i].c, threshold);
	an_p(d, beyond ? AN_BAD : AN_GOOD, "Threshold %g%%: %d significant regressions beyond it.",
	     threshold, beyond);
}

static void render_pair(struct an_doc *d, const struct an_cmp_set *k, double threshold)
{
	an_h(d, 2, "%s against %s (baseline)", k->bn, k->an);
	host_lines(d, k);
	summary(d, k, threshold);
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

static void method(struct an_doc *d)
{
	an_p(d, AN_PLAIN,
	     "Change: median(compared) / median(baseline) - 1. 95%% CI: percentile bootstrap of "
	     "the ratio of medians, %d resamples of each side, fixed seed %u, so the same inputs "
	     "give the same output. p: two-sided Mann-Whitney U on the samples (normal "
	     "approximation, tie and continuity corrected). A change is significant only when "
	     "p < %.2f and the CI excludes 0; regression and improvement follow the metric's "
	     "direction (lower or higher is better).",
	     AN_BOOT_REPS, AN_BOOT_SEED, AN_ALPHA);
}

static long schema_major(const json_t *doc)
{
	const char *s = json_string_value(json_object_get(doc, "schema"));
	const char *slash = s ? strrchr(s, '/') : NULL;
	return slash ? strtol(slash + 1, NULL, 10) : -1;
}

/* Refuse different schema majors; warn on different hosts or kernels. */
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
		if (strcmp(host_field(docs[0], "kernel"), host_field(docs[i], "kernel")))
			nb_warn("compare: kernels differ: %s ran %s, %s ran %s", files[0],
				host_field(docs[0], "kernel"), files[i],
				host_field(docs[i], "kernel"));
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
						  .bn = an_basename(o->files[i])};
		if (an_cmp_build(&sets[i - 1]))
			return -1;
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
			if (!an_beyond(&r->c, threshold))
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
	method(&d);
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
