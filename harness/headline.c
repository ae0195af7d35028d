/* numabench: figures as text and a run's headline: the rule a bench declares (its JSON, the
 * field tests), and the headline line built from the cells by node pair and distance class. */
#include "bench.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *nb_headline_rule_json(const struct nb_headline_rule *r)
{
	return json_pack("{s:s,s:s*,s:s*,s:s*,s:s*,s:s*}", "records",
			 r->records ? r->records : "cells", "metric", r->metric, "where", r->where,
			 "prefer", r->prefer, "largest", r->largest, "text", r->text);
}

/* Whether field k of rec has the value v (text): a number compares as a number. */
static bool field_is(json_t *rec, const char *k, const char *v)
{
	json_t *x = json_object_get(rec, k);
	if (json_is_string(x))
		return !strcmp(json_string_value(x), v);
	if (json_is_boolean(x))
		return !strcmp(v, json_is_true(x) ? "true" : "false");
	double d;
	return json_is_number(x) && !nb_parse_double(v, &d) && json_number_value(x) == d;
}

bool nb_fields_match(json_t *rec, const char *tests)
{
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", tests ? tests : "");
	for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		if (!eq)
			return false;
		bool neg = eq > t && eq[-1] == '!';
		eq[neg ? -1 : 0] = 0;
		const char *v = eq + 1;
		if (neg ? !json_object_get(rec, t) || field_is(rec, t, v) : !field_is(rec, t, v))
			return false;
	}
	return true;
}

/* A figure with the precision it deserves, never in e-notation: 3 significant digits. */
void nb_fmt_figure(double v, char *buf, size_t len)
{
	double a = fabs(v);
	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (a >= 100 || a == 0)
		snprintf(buf, len, "%.0f", v);
	else if (a >= 10)
		snprintf(buf, len, "%.1f", v);
	else if (a >= 1)
		snprintf(buf, len, "%.2f", v);
	else
		snprintf(buf, len, "%.3g", v);
}

/* "95.1 ns" or "95.1-96.3 ns" for the medians of a set of cells. */
static void fmt_range(double lo, double hi, const char *unit, char *buf, size_t len)
{
	char a[32], b[32];
	nb_fmt_figure(lo, a, sizeof(a));
	nb_fmt_figure(hi, b, sizeof(b));
	if (!strcmp(a, b))
		snprintf(buf, len, "%s %s", a, unit);
	else
		snprintf(buf, len, "%s-%s %s", a, b, unit);
}

struct side {
	int n;
	double lo, hi, v[NB_MAX_NODES * NB_MAX_NODES];
	uint64_t nodes; /* bitmask of the nodes involved (ids < 64) */
};

static void side_add(struct side *s, double v, int a, int b)
{
	if (s->n < NB_MAX_NODES * NB_MAX_NODES)
		s->v[s->n] = v;
	s->lo = s->n && s->lo < v ? s->lo : v;
	s->hi = s->n && s->hi > v ? s->hi : v;
	s->n++;
	s->nodes |= (a >= 0 && a < 64 ? 1ull << a : 0) | (b >= 0 && b < 64 ? 1ull << b : 0);
}

static double side_median(const struct side *s)
{
	struct nb_summary m;
	nb_summarize(s->v, s->n < NB_MAX_NODES * NB_MAX_NODES ? s->n : NB_MAX_NODES * NB_MAX_NODES,
		     &m);
	return m.median;
}

static void fmt_nodes(uint64_t set, char *buf, size_t len)
{
	size_t o = 0;
	int n = 0;
	buf[0] = 0;
	for (int i = 0; i < 64; i++) {
		if (!(set >> i & 1))
			continue;
		int j = i;
		while (j + 1 < 64 && (set >> (j + 1) & 1))
			j++;
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "%s%d", o ? "," : "", i);
		if (j > i)
			o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "-%d", j);
		n += j - i + 1;
		i = j;
	}
	(void)n;
}

static bool usable(json_t *c, bool ok_only)
{
	const char *st = json_string_value(json_object_get(c, "status"));
	return st && (!strcmp(st, "ok") || (!ok_only && !strcmp(st, "untrustworthy")));
}

/* The topology headlines classify node pairs by (NULL: every non-local pair is "remote"). */
static const struct nb_topo *headline_topo;

void nb_headline_topology(const struct nb_topo *t)
{
	headline_topo = t;
}

/* Non-local pairs by distance class, as the report groups them (analysis/an_pairs.h): memory
 * only (a target without cpus), other package (SLIT >= 20, Linux's REMOTE_DISTANCE), same
 * package; REMOTE without a topology or distances. */
enum hl_class { HL_LOCAL, HL_SAME, HL_OTHER, HL_MEMONLY, HL_REMOTE, HL_N };
static const char *const hl_names[HL_N] = {"local", "same package", "other package", "memory only",
					   "remote"};

static enum hl_class hl_class(int a, int b)
{
	const struct nb_topo *t = headline_topo;
	if (a == b)
		return HL_LOCAL;
	int ia = -1, ib = -1;
	for (int i = 0; t && i < t->nnodes; i++) {
		ia = t->nodes[i].id == a ? i : ia;
		ib = t->nodes[i].id == b ? i : ib;
	}
	if (ia < 0 || ib < 0)
		return HL_REMOTE;
	if (!t->nodes[ib].ncpus)
		return HL_MEMONLY;
	if (!t->have_distances || !t->distances[ia][ib])
		return HL_REMOTE;
	return t->distances[ia][ib] >= 20 ? HL_OTHER : HL_SAME;
}

static bool usable_pick(json_t *c, const char *metric, bool ok_only,
			bool (*pick)(json_t *cell, void *arg), void *arg)
{
	json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
	return m && json_is_number(json_object_get(m, "median")) && usable(c, ok_only) &&
	       pick(c, arg);
}

/* Whether c has the largest maxkey among the usable cells of its own node pair: a pair run
 * with fewer threads (a node with fewer cpus) keeps its figure. */
static bool pair_top(json_t *run, json_t *c, const char *metric, const char *maxkey, bool ok_only,
		     bool (*pick)(json_t *cell, void *arg), void *arg)
{
	size_t i;
	json_t *o;
	if (!maxkey)
		return true;
	double k = json_number_value(json_object_get(c, maxkey));
	json_int_t a = json_integer_value(json_object_get(c, "cpu_node")),
		   b = json_integer_value(json_object_get(c, "mem_node"));
	json_array_foreach(json_object_get(run, "cells"), i, o)
	{
		if (json_integer_value(json_object_get(o, "cpu_node")) == a &&
		    json_integer_value(json_object_get(o, "mem_node")) == b &&
		    json_number_value(json_object_get(o, maxkey)) > k &&
		    usable_pick(o, metric, ok_only, pick, arg))
			return false;
	}
	return true;
}

static bool headline(json_t *run, const char *metric, const char *label, const char *maxkey,
		     bool (*pick)(json_t *cell, void *arg), void *arg, bool ok_only)
{
	size_t i;
	json_t *c;
	const char *unit = NULL, *dir = "lower";
	/* ok cells first: an untrustworthy figure goes into a headline only when marked. */
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		if (usable_pick(c, metric, ok_only, pick, arg)) {
			json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
			unit = json_string_value(json_object_get(m, "unit"));
			dir = json_string_value(json_object_get(m, "direction"));
		}
	}
	if (!unit)
		return false;
	struct side *g = calloc(HL_N, sizeof(*g)), *loc = g;
	if (!g)
		return false;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		if (!usable_pick(c, metric, ok_only, pick, arg) ||
		    !pair_top(run, c, metric, maxkey, ok_only, pick, arg))
			continue;
		json_t *m = json_object_get(json_object_get(c, "metrics"), metric);
		int a = (int)json_integer_value(json_object_get(c, "cpu_node"));
		int b = (int)json_integer_value(json_object_get(c, "mem_node"));
		side_add(&g[hl_class(a, b)], json_number_value(json_object_get(m, "median")), a, b);
	}
	char l[64], r[64], nodes[128], buf[512];
	if (!loc->n) {
		free(g);
		return false;
	}
	fmt_range(loc->lo, loc->hi, unit, l, sizeof(l));
	fmt_nodes(loc->nodes, nodes, sizeof(nodes));
	int nclass = 0;
	for (int k = HL_SAME; k < HL_N; k++)
		nclass += g[k].n > 0;
	size_t o = (size_t)snprintf(buf, sizeof(buf), "%s local %s (node%s %s)", label, l,
				    strchr(nodes, ',') || strchr(nodes, '-') ? "s" : "", nodes);
	if (!nclass)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ", no remote pair measured");
	/* One class of non-local pairs: "remote"; more: each class by name, so same-package,
	 * cross-package and CXL figures are never averaged into one. */
	for (int k = HL_SAME; k < HL_N && o < sizeof(buf); k++) {
		if (!g[k].n)
			continue;
		double lm = side_median(loc), rm = side_median(&g[k]);
		/* The NUMA factor: how many times worse remote is (lower-is-better: r/l). */
		double f = dir && !strcmp(dir, "higher") ? lm / rm : rm / lm;
		fmt_range(g[k].lo, g[k].hi, unit, r, sizeof(r));
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, ", %s %s (%.2fx)",
				      nclass > 1 ? hl_names[k] : "remote", r, f);
	}
	if (!ok_only) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, " [includes untrustworthy cells]");
	}
	if (nb_timing_emulated) {
		size_t n = strlen(buf);
		snprintf(buf + n, sizeof(buf) - n, " [emulated timings]");
	}
	json_object_set_new(run, "headline", json_string(buf));
	free(g);
	return true;
}

void nb_run_headline(json_t *run, const char *metric, const char *label, const char *maxkey,
		     bool (*pick)(json_t *cell, void *arg), void *arg)
{
	if (!headline(run, metric, label, maxkey, pick, arg, true))
		headline(run, metric, label, maxkey, pick, arg, false);
}

/* A rule's pick: its field tests, then the preferred field's value. */
struct rule_pick {
	const struct nb_headline_rule *r;
	char field[32], value[32];
};

static bool rule_pick(json_t *cell, void *arg)
{
	const struct rule_pick *k = arg;
	return nb_fields_match(cell, k->r->where) &&
	       (!k->field[0] || field_is(cell, k->field, k->value));
}

void nb_run_headline_rule(json_t *run, const struct nb_headline_rule *r)
{
	struct rule_pick k = {.r = r};
	char label[128];
	const char *eq = r->prefer ? strchr(r->prefer, '=') : NULL;
	if (eq) {
		/* the preferred value if a cell the rule reads has it, else the largest measured */
		snprintf(k.field, sizeof(k.field), "%.*s", (int)(eq - r->prefer), r->prefer);
		size_t i;
		json_t *c;
		bool have = false, any = false;
		double max = 0;
		json_array_foreach(json_object_get(run, "cells"), i, c)
		{
			json_t *x = json_object_get(c, k.field);
			if (!nb_fields_match(c, r->where) || !x)
				continue;
			have |= field_is(c, k.field, eq + 1);
			if (json_is_number(x) && (!any || json_number_value(x) > max))
				max = json_number_value(x);
			any |= json_is_number(x);
		}
		if (have)
			snprintf(k.value, sizeof(k.value), "%s", eq + 1);
		else if (any)
			nb_fmt_figure(max, k.value, sizeof(k.value));
		else
			k.field[0] = 0;
	}
	if (k.field[0])
		snprintf(label, sizeof(label), "%s, %s %s:", r->text, k.field, k.value);
	else
		snprintf(label, sizeof(label), "%s:", r->text);
	nb_run_headline(run, r->metric, label, r->largest, rule_pick, &k);
}
