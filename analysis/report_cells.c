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

/* What a cell measures: its metrics, then numeric fields that are not identity fields. */
static void value_names(const json_t *cell, struct an_names *out)
{
	const char *k;
	json_t *v;
	json_object_foreach(json_object_get(cell, "metrics"), k, v)
	{
		an_names_add(out, k);
	}
	json_object_foreach((json_t *)cell, k, v)
	{
		if (json_is_number(v) && an_ident_rank(k) < 0)
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
static void heat_title(const json_t *cells, const char *group, const char *name, char *buf,
		       size_t len)
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
}

static void heatmap_for(struct an_doc *d, const json_t *cells, const char *group, const char *name)
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
	json_array_foreach(cells, i, c)
	{
		if (in_group(c, group, name))
			v[ids_find(&rows, node_of(c, "cpu_node")) * cols.n +
			  ids_find(&cols, node_of(c, "mem_node"))] = cell_value(c, name);
	}
	char **rl = id_labels(&rows), **cl = id_labels(&cols);
	heat_title(cells, group, name, title, sizeof(title));
	struct an_heatmap h = {title,
			       "cpu node",
			       "mem node",
			       rows.n,
			       cols.n,
			       (const char *const *)rl,
			       (const char *const *)cl,
			       v};
	an_heatmap(d, &h);
	labels_free(rl, rows.n);
	labels_free(cl, cols.n);
	free(rows.v);
	free(cols.v);
	free(v);
}

void an_report_cells(struct an_doc *d, const json_t *cells)
{
	struct an_names pairs = {0}, names = {0};
	json_t *others = json_array(), *c;
	char group[AN_TEXT_MAX], *sep;
	size_t i;
	json_array_foreach(cells, i, c)
	{
		if (!matrix_cell(c)) {
			json_array_append(others, c);
			continue;
		}
		an_cell_label(c, node_fields, group, sizeof(group));
		value_names(c, &names);
		for (int k = 0; k < names.n; k++) {
			char pair[2 * AN_TEXT_MAX];
			snprintf(pair, sizeof(pair), "%s\x1f%s", group, names.v[k]);
			an_names_add(&pairs, pair);
		}
		an_names_free(&names);
	}
	if (pairs.n)
		an_h(d, 3, "Matrix: cpu node x memory node");
	for (int k = 0; k < pairs.n; k++) {
		sep = strchr(pairs.v[k], '\x1f');
		*sep = 0;
		heatmap_for(d, cells, pairs.v[k], sep + 1);
	}
	if (json_array_size(others)) {
		an_h(d, 3, "Cells");
		an_object_table(d, others, NULL);
	}
	an_names_free(&pairs);
	json_decref(others);
}
