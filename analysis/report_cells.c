/* numabench analysis: cells of matrix benches as heatmaps, other cells as a table. */
#include "an_chart.h"
#include "an_json.h"
#include "an_report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const node_fields[] = {"cpu_node", "mem_node", NULL};

static bool matrix_cell(const json_t *c)
{
	return json_is_integer(json_object_get(c, "cpu_node")) &&
	       json_is_integer(json_object_get(c, "mem_node"));
}

/* What a cell measures: its metrics, then numeric fields that are not identity fields and
 * not parameters (the same in every cell of each group: those go on one line). */
static void value_names(const json_t *cell, const struct an_names *consts, struct an_names *out)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(cell, "metrics"), k, v)
	{
		an_names_add(out, k);
	}
	json_object_foreach((json_t *)cell, k, v)
	{
		if (json_is_number(v) && an_ident_rank(k) < 0 && an_names_find(consts, k) < 0)
			an_names_add(out, k);
	}
}

static double cell_value(const json_t *cell, const char *name)
{
	const json_t *m = json_object_get(json_object_get(cell, "metrics"), name);
	return m ? an_metric_median(m) : an_num(json_object_get(cell, name));
}

/* Sorted distinct node ids. */
struct ids {
	long long *v;
	int n;
};

static int ids_find(const struct ids *s, long long x)
{
	for (int i = 0; i < s->n; i++)
		if (s->v[i] == x)
			return i;
	return -1;
}

static void ids_add(struct ids *s, long long x)
{
	int i = s->n;
	if (ids_find(s, x) >= 0)
		return;
	s->v = realloc(s->v, sizeof(*s->v) * (s->n + 1));
	if (!s->v)
		abort();
	for (; i > 0 && s->v[i - 1] > x; i--)
		s->v[i] = s->v[i - 1];
	s->v[i] = x;
	s->n++;
}

static char **id_labels(const struct ids *s)
{
	char **l = calloc(s->n + 1, sizeof(char *));
	if (!l)
		abort();
	for (int i = 0; i < s->n; i++)
		if (asprintf(&l[i], "%lld", s->v[i]) < 0)
			abort();
	return l;
}

static void labels_free(char **l, int n)
{
	for (int i = 0; i < n; i++)
		free(l[i]);
	free(l);
}

static bool in_group(const json_t *cell, const char *group, const char *name)
{
	char label[AN_TEXT_MAX];
	if (!matrix_cell(cell) || isnan(cell_value(cell, name)))
		return false;
	an_cell_label(cell, node_fields, label, sizeof(label));
	return !strcmp(label, group);
}

static long long node_of(const json_t *cell, const char *field)
{
	return (long long)json_integer_value(json_object_get(cell, field));
}

/* "latency_ns (median, ns, lower is better) size=4K pages=4k" from the first cell's metric. */
static void heat_title(const json_t *cells, const char *group, const char *name,
		       const struct an_names *per, char *buf, size_t len)
{
	struct an_sb s;
	size_t i;
	json_t *c;
	an_sb_init(&s, buf, len);
	an_sb_add(&s, "%s", name);
	json_array_foreach(cells, i, c)
	{
		const json_t *m = json_object_get(json_object_get(c, "metrics"), name);
		if (!m || !in_group(c, group, name))
			continue;
		const char *unit = json_string_value(json_object_get(m, "unit"));
		an_sb_add(&s, " (median%s%s", unit && *unit ? ", " : "", unit && *unit ? unit : "");
		if (an_metric_dir(m))
			an_sb_add(&s, ", %s is better", an_dir_text(an_metric_dir(m)));
		an_sb_add(&s, ")");
		break;
	}
	if (*group)
		an_sb_add(&s, " %s", group);
	json_array_foreach(cells, i, c) /* the group's own parameters, from its first cell */
	{
		if (!in_group(c, group, name))
			continue;
		for (int k = 0; k < per->n; k++) {
			char v[64];
			an_fmt_num(an_num(json_object_get(c, per->v[k])), v, sizeof(v));
			an_sb_add(&s, "%s%s=%s%s", k ? " " : " (", per->v[k], v,
				  k == per->n - 1 ? ")" : "");
		}
		break;
	}
}

/* "n 8, 95% CI of the median 5.9 .. 7.8: samples vary too much" for a tooltip. */
static char *cell_note(const json_t *c, const char *name)
{
	const json_t *m = json_object_get(json_object_get(c, "metrics"), name);
	const json_t *ci = json_object_get(m, "ci95");
	const char *reason = json_string_value(json_object_get(c, "reason"));
	const char *of = json_string_value(json_object_get(m, "ci_of"));
	char lo[64], hi[64], *s;
	an_fmt_num(an_num(json_array_get(ci, 0)), lo, sizeof(lo));
	an_fmt_num(an_num(json_array_get(ci, 1)), hi, sizeof(hi));
	if (asprintf(&s, "; n %lld, 95%% CI (%s) %s .. %s%s%s",
		     (long long)json_integer_value(json_object_get(m, "n")), of ? of : "mean", lo,
		     hi, reason ? ": " : "", reason ? reason : "") < 0)
		abort();
	return s;
}

static void heatmap_for(struct an_doc *d, const json_t *cells, const char *group, const char *name,
			int run, const struct an_names *per)
{
	struct ids rows = {0}, cols = {0};
	char title[AN_TEXT_MAX];
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
	{
		if (!in_group(c, group, name))
			continue;
		ids_add(&rows, node_of(c, "cpu_node"));
		ids_add(&cols, node_of(c, "mem_node"));
	}
	double *v = malloc(sizeof(double) * (rows.n * cols.n + 1));
	if (!v)
		abort();
	for (int k = 0; k < rows.n * cols.n; k++)
		v[k] = NAN;
	const char **st = calloc(rows.n * cols.n + 1, sizeof(char *));
	char **note = calloc(rows.n * cols.n + 1, sizeof(char *)),
	     **id = calloc(rows.n * cols.n + 1, sizeof(char *));
	if (!st || !note || !id)
		abort();
	json_array_foreach(cells, i, c)
	{
		if (!in_group(c, group, name))
			continue;
		int k = ids_find(&rows, node_of(c, "cpu_node")) * cols.n +
			ids_find(&cols, node_of(c, "mem_node"));
		v[k] = cell_value(c, name);
		st[k] = json_string_value(json_object_get(c, "status"));
		/* Two cells of a group on one node pair (a malformed file): the last wins. */
		free(note[k]);
		free(id[k]);
		note[k] = cell_note(c, name);
		if (asprintf(&id[k], "%d.%zu", run, i) < 0)
			abort();
	}
	char **rl = id_labels(&rows), **cl = id_labels(&cols);
	heat_title(cells, group, name, per, title, sizeof(title));
	struct an_heatmap h = {title,
			       "cpu node",
			       "mem node",
			       rows.n,
			       cols.n,
			       (const char *const *)rl,
			       (const char *const *)cl,
			       v,
			       st,
			       (const char *const *)note,
			       (const char *const *)id,
			       NULL};
	an_heatmap(d, &h);
	for (int k = 0; k < rows.n * cols.n; k++) {
		free(note[k]);
		free(id[k]);
	}
	free(st);
	free(note);
	free(id);
	labels_free(rl, rows.n);
	labels_free(cl, cols.n);
	free(rows.v);
	free(cols.v);
	free(v);
}

/* A metric whose every cell of the group has the value of an earlier metric of the same
 * group (traffic_gbs and bandwidth_gbs of a read kernel): that metric's name, or NULL. Pairs
 * before k have had their separator replaced by a NUL already. */
static const char *same_as_earlier(const json_t *cells, const struct an_names *pairs, int k)
{
	const char *group = pairs->v[k], *name = group + strlen(group) + 1;
	size_t i;
	json_t *c;
	for (int e = 0; e < k; e++) {
		const char *g = pairs->v[e], *n = g + strlen(g) + 1;
		bool same = !strcmp(g, group), any = false;
		json_array_foreach(cells, i, c)
		{
			if (!same)
				break;
			if (!in_group(c, group, name))
				continue;
			any = true;
			same = cell_value(c, name) == cell_value(c, n);
		}
		if (same && any)
			return n;
	}
	return NULL;
}

/* Non-metric numeric fields that are the same in every matrix cell of each group: run
 * parameters (loads_per_sample) or a group's (size_bytes), not measurements. */
static void constant_fields(const json_t *cells, struct an_names *consts, struct an_names *per,
			    char *line, size_t len)
{
	struct an_names cand = {0};
	struct an_sb sb;
	char group[AN_TEXT_MAX], g2[AN_TEXT_MAX];
	size_t i, j;
	const char *k;
	json_t *c, *x, *v;
	an_sb_init(&sb, line, len);
	json_array_foreach(cells, i, c)
	{
		json_object_foreach(c, k, v)
		{
			if (matrix_cell(c) && json_is_number(v) && an_ident_rank(k) < 0)
				an_names_add(&cand, k);
		}
	}
	for (int n = 0; n < cand.n; n++) {
		bool same = true, global = true;
		double first = NAN;
		json_array_foreach(cells, i, c)
		{
			if (!matrix_cell(c))
				continue;
			double a = an_num(json_object_get(c, cand.v[n]));
			global = global && (isnan(first) || a == first);
			if (isnan(first))
				first = a;
			an_cell_label(c, node_fields, group, sizeof(group));
			json_array_foreach(cells, j, x)
			{
				if (j <= i || !matrix_cell(x))
					continue;
				an_cell_label(x, node_fields, g2, sizeof(g2));
				double b = an_num(json_object_get(x, cand.v[n]));
				if (!strcmp(group, g2) && !(a == b || (isnan(a) && isnan(b))))
					same = false;
			}
		}
		if (!same)
			continue;
		an_names_add(consts, cand.v[n]);
		char val[64];
		an_fmt_num(first, val, sizeof(val));
		if (global)
			an_sb_add(&sb, "%s%s=%s", sb.pos ? " " : "", cand.v[n], val);
		else
			an_names_add(per, cand.v[n]);
	}
	an_names_free(&cand);
}

/* Latency against buffer size, one line per cpu>mem pair (and stride, when the run swept
 * it), one chart per page size; cache sizes from the topology marked. */
struct curve {
	char name[128], pages[32];
	double x[64], y[64];
	const char *status[64];
	int n;
};

static void curve_add(struct curve *cv, double x, double y, const char *st)
{
	int i = cv->n;
	if (cv->n >= 64)
		return;
	for (; i > 0 && cv->x[i - 1] > x; i--) {
		cv->x[i] = cv->x[i - 1];
		cv->y[i] = cv->y[i - 1];
		cv->status[i] = cv->status[i - 1];
	}
	cv->x[i] = x;
	cv->y[i] = y;
	cv->status[i] = st;
	cv->n++;
}

static void curve_table(struct an_doc *d, const struct curve *cv, int n, const char *pages,
			const struct ids *sizes)
{
	struct an_table *t = an_table_new();
	char h[64];
	an_table_col(t, "cpu>mem");
	for (int k = 0; k < sizes->n; k++) {
		double v = (double)sizes->v[k];
		int e = (int)lround(log2(v)), u = 0;
		while (e >= 10 && u < 3)
			e -= 10, u++;
		snprintf(h, sizeof(h), "%lld%s ns", 1LL << e,
			 (const char *[]){"", "K", "M", "G"}[u]);
		an_table_col(t, h);
	}
	for (int i = 0; i < n; i++) {
		if (strcmp(cv[i].pages, pages))
			continue;
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", cv[i].name);
		for (int k = 0; k < sizes->n; k++) {
			int j = 0;
			char v[64];
			while (j < cv[i].n && cv[i].x[j] != log2((double)sizes->v[k]))
				j++;
			const char *mark = an_status_mark(j < cv[i].n ? cv[i].status[j] : NULL);
			an_fmt_num(j < cv[i].n ? cv[i].y[j] : NAN, v, sizeof(v));
			an_table_cell(t, *mark ? AN_WARN : AN_PLAIN, "%s%s", v, mark);
		}
	}
	an_table_emit(d, t);
}

static void latency_curves(struct an_doc *d, const json_t *cells, const json_t *caches)
{
	struct curve *cv = NULL;
	struct ids sizes = {0}, strides = {0};
	struct an_names pages = {0};
	int n = 0;
	size_t i;
	json_t *c;
	json_array_foreach(cells, i, c)
	{
		double sz = an_num(json_object_get(c, "size_bytes"));
		if (matrix_cell(c) && sz > 0 && !isnan(cell_value(c, "latency_ns"))) {
			ids_add(&sizes, an_ll(json_object_get(c, "size_bytes"), -1));
			ids_add(&strides, an_ll(json_object_get(c, "stride"), -1));
		}
	}
	if (sizes.n < 2)
		goto out;
	json_array_foreach(cells, i, c)
	{
		double sz = an_num(json_object_get(c, "size_bytes")),
		       y = cell_value(c, "latency_ns");
		if (!matrix_cell(c) || !(sz > 0) || isnan(y))
			continue;
		char name[128], pg[32];
		const char *p = json_string_value(json_object_get(c, "pages"));
		snprintf(pg, sizeof(pg), "%s", p ? p : "4k");
		if (strides.n > 1)
			snprintf(name, sizeof(name), "%lld>%lld stride %lld",
				 node_of(c, "cpu_node"), node_of(c, "mem_node"),
				 an_ll(json_object_get(c, "stride"), -1));
		else
			snprintf(name, sizeof(name), "%lld>%lld", node_of(c, "cpu_node"),
				 node_of(c, "mem_node"));
		an_names_add(&pages, pg);
		int k = 0;
		while (k < n && (strcmp(cv[k].name, name) || strcmp(cv[k].pages, pg)))
			k++;
		if (k == n) {
			cv = realloc(cv, sizeof(*cv) * (n + 1));
			if (!cv)
				abort();
			memset(&cv[n], 0, sizeof(*cv));
			snprintf(cv[n].name, sizeof(cv[n].name), "%s", name);
			snprintf(cv[n].pages, sizeof(cv[n].pages), "%s", pg);
			n++;
		}
		curve_add(&cv[k], log2(sz), y, json_string_value(json_object_get(c, "status")));
	}
	double mx[8];
	char ml[8][32];
	const char *mlp[8];
	int nm = 0;
	json_array_foreach(caches, i, c)
	{
		double sz = an_num(json_object_get(c, "size_bytes"));
		if (nm < 8 && sz > 0) {
			char v[32];
			int e = (int)lround(log2(sz)), u = 0;
			while (e >= 10 && u < 3)
				e -= 10, u++;
			snprintf(v, sizeof(v), "%lld%s", 1LL << e,
				 (const char *[]){"", "K", "M", "G"}[u]);
			snprintf(ml[nm], sizeof(ml[nm]), "L%lld %s",
				 (long long)json_integer_value(json_object_get(c, "level")), v);
			mlp[nm] = ml[nm];
			mx[nm++] = log2(sz);
		}
	}
	an_h(d, 3, "Latency against size");
	if (nm) {
		char line[256];
		struct an_sb sb;
		an_sb_init(&sb, line, sizeof(line));
		for (int k = 0; k < nm; k++)
			an_sb_add(&sb, "%s%s", k ? ", " : "", ml[k]);
		an_p(d, AN_PLAIN, "Caches (per instance): %s.", line);
	}
	for (int p = 0; p < pages.n; p++) {
		char title[256];
		snprintf(title, sizeof(title),
			 "latency_ns against buffer size, %s pages, one line per cpu>mem",
			 pages.v[p]);
		if (d->fmt != AN_HTML) {
			an_p(d, AN_PLAIN, "%s (median ns)", title);
			curve_table(d, cv, n, pages.v[p], &sizes);
			continue;
		}
		struct an_series *ss = calloc(n + 1, sizeof(*ss));
		int ns = 0;
		if (!ss)
			abort();
		for (int k = 0; k < n; k++)
			if (!strcmp(cv[k].pages, pages.v[p]))
				ss[ns++] =
				    (struct an_series){cv[k].name, cv[k].n, cv[k].x, cv[k].y};
		an_lines(d,
			 &(struct an_lines){title, "buffer size (bytes, log2 scale)",
					    "latency_ns (ns, median)", ns, ss, true, nm, mx, mlp});
		free(ss);
	}
out:
	free(cv);
	free(sizes.v);
	free(strides.v);
	an_names_free(&pages);
}

/* Every matrix cell that is not ok, once, with its reason. */
static void marked_cells(struct an_doc *d, const json_t *cells)
{
	struct an_table *t = an_table_new();
	char label[AN_TEXT_MAX];
	size_t i;
	json_t *c;
	an_table_col(t, "cell");
	an_table_col(t, "cpu>mem");
	an_table_col(t, "status");
	an_table_col(t, "reason");
	json_array_foreach(cells, i, c)
	{
		const char *st = json_string_value(json_object_get(c, "status"));
		const char *reason = json_string_value(json_object_get(c, "reason"));
		if (!matrix_cell(c) || !*an_status_mark(st))
			continue;
		an_cell_label(c, node_fields, label, sizeof(label));
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", *label ? label : "-");
		an_table_cell(t, AN_PLAIN, "%lld>%lld", node_of(c, "cpu_node"),
			      node_of(c, "mem_node"));
		an_table_cell(t, an_status_style(st), "%s%s", st, an_status_mark(st));
		an_table_cell(t, AN_PLAIN, "%s", reason ? reason : "-");
	}
	if (!an_table_rows(t)) {
		an_table_free(t);
		return;
	}
	an_p(d, AN_PLAIN, "Marked cells (%d): %s.", an_table_rows(t), AN_MARK_LEGEND);
	an_table_emit(d, t);
}

void an_report_cells(struct an_doc *d, const json_t *cells, int run, const json_t *topo)
{
	struct an_names pairs = {0}, names = {0}, consts = {0}, per = {0};
	json_t *others = json_array(), *c;
	char group[AN_TEXT_MAX], line[AN_TEXT_MAX], *sep;
	size_t i;
	constant_fields(cells, &consts, &per, line, sizeof(line));
	json_array_foreach(cells, i, c)
	{
		if (!matrix_cell(c)) {
			json_array_append(others, c);
			continue;
		}
		an_cell_label(c, node_fields, group, sizeof(group));
		value_names(c, &consts, &names);
		for (int k = 0; k < names.n; k++) {
			char pair[2 * AN_TEXT_MAX];
			snprintf(pair, sizeof(pair), "%s\x1f%s", group, names.v[k]);
			an_names_add(&pairs, pair);
		}
		an_names_free(&names);
	}
	if (pairs.n) {
		an_h(d, 3, "Matrix: cpu node x memory node");
		if (*line)
			an_p(d, AN_PLAIN, "Parameters of every cell: %s.", line);
		an_p(
		    d, AN_PLAIN,
		    "Colours run from the smallest to the largest value of each matrix. Marks: %s.",
		    AN_MARK_LEGEND);
	}
	for (int k = 0; k < pairs.n; k++) {
		sep = strchr(pairs.v[k], '\x1f');
		*sep = 0;
		const char *same = same_as_earlier(cells, &pairs, k);
		if (same)
			an_p(d, AN_PLAIN, "%s %s: the same as %s in every cell (not repeated).",
			     sep + 1, pairs.v[k], same);
		else
			heatmap_for(d, cells, pairs.v[k], sep + 1, run, &per);
	}
	if (pairs.n) {
		latency_curves(d, cells, json_object_get(topo, "caches"));
		marked_cells(d, cells);
	}
	if (json_array_size(others)) {
		an_h(d, 3, "Cells");
		an_object_table(d, others, NULL);
	}
	an_names_free(&pairs);
	an_names_free(&consts);
	an_names_free(&per);
	json_decref(others);
}
