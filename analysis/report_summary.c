/* numabench analysis: the NUMA summary that opens a report: per cpu->memory node pair the
 * idle latency and bandwidth, their ratio to local (the NUMA factor), their distance class
 * and whether their latency order agrees with the firmware's (SLIT, HMAT); the classes'
 * medians; and one line per bench with its answer. */
#include "an_chart.h"
#include "an_json.h"
#include "an_pairs.h"
#include "an_report.h"
#include "an_stats.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static void cell_val(struct an_table *t, const struct an_val *v)
{
	char num[64];
	an_fmt_num(v->v, num, sizeof(num));
	const char *mark = an_status_mark(v->status);
	an_table_cell(t, *mark ? AN_WARN : AN_PLAIN, "%s%s", num, mark);
}

/* The ratio of v to the local value of the same cpu node. */
static double factor(const struct an_val *v, const struct an_val *local)
{
	return local && local->v > 0 ? v->v / local->v : NAN;
}

static void cell_factor(struct an_table *t, double f)
{
	if (isnan(f))
		an_table_cell(t, AN_PLAIN, "-");
	else
		an_table_cell(t, AN_PLAIN, "%.2fx", f);
}

/* The firmware-order verdict: "reversed" names the pair and the figures that contradict. */
static void cell_check(struct an_table *t, const struct an_pair *p)
{
	switch (p->order) {
	case AN_ORD_NONE:
		an_table_cell(t, AN_PLAIN, "-");
		break;
	case AN_ORD_REVERSED:
		an_table_cell(t, AN_WARN, "reversed: %s", p->why);
		break;
	case AN_ORD_AGREES:
		an_table_cell(t, AN_GOOD, "%s", an_order_name(p->order));
		break;
	default:
		an_table_cell(t, AN_PLAIN, "%s", an_order_name(p->order));
	}
}

static bool any(const struct an_pairs *s, size_t off)
{
	for (int i = 0; i < s->n; i++)
		if (!isnan(((const struct an_val *)((const char *)&s->p[i] + off))->v))
			return true;
	return false;
}

static bool any_num(const struct an_pairs *s, size_t off)
{
	for (int i = 0; i < s->n; i++)
		if (!isnan(*(const double *)((const char *)&s->p[i] + off)))
			return true;
	return false;
}

static void pair_table(struct an_doc *d, const struct an_pairs *s)
{
	bool thp = any(s, offsetof(struct an_pair, latthp)),
	     rd = any(s, offsetof(struct an_pair, rd)),
	     tr = any(s, offsetof(struct an_pair, triad)),
	     lat = any(s, offsetof(struct an_pair, lat4k)),
	     hl = any_num(s, offsetof(struct an_pair, hmat_lat)),
	     hb = any_num(s, offsetof(struct an_pair, hmat_bw));
	struct an_table *t = an_table_new();
	an_table_col(t, "cpu>mem");
	an_table_col(t, "class");
	if (lat) {
		an_table_col(t, "4K ns");
		an_table_col(t, "x local");
	}
	if (thp) {
		an_table_col(t, "THP ns");
		an_table_col(t, "x local");
	}
	if (rd || tr)
		an_table_col(t, "threads");
	if (rd) {
		an_table_col(t, "read GB/s");
		an_table_col(t, "x local");
	}
	if (tr) {
		an_table_col(t, "triad GB/s");
		an_table_col(t, "x local");
	}
	an_table_col(t, "SLIT");
	if (hl)
		an_table_col(t, "HMAT ns");
	if (hb)
		an_table_col(t, "HMAT MiB/s");
	an_table_col(t, "vs firmware");
	for (int i = 0; i < s->n; i++) {
		const struct an_pair *p = &s->p[i], *l = an_pairs_local(s, p->cpu);
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%lld>%lld", p->cpu, p->mem);
		an_table_cell(t, AN_PLAIN, "%s", an_class_name(p->cls));
		if (lat) {
			cell_val(t, &p->lat4k);
			cell_factor(t, factor(&p->lat4k, l ? &l->lat4k : NULL));
		}
		if (thp) {
			cell_val(t, &p->latthp);
			cell_factor(t, factor(&p->latthp, l ? &l->latthp : NULL));
		}
		if (rd || tr) {
			if (p->bw_threads > 0)
				an_table_cell(t, AN_PLAIN, "%g", p->bw_threads);
			else
				an_table_cell(t, AN_PLAIN, "-");
		}
		if (rd) {
			cell_val(t, &p->rd);
			cell_factor(t, factor(&p->rd, l ? &l->rd : NULL));
		}
		if (tr) {
			cell_val(t, &p->triad);
			cell_factor(t, factor(&p->triad, l ? &l->triad : NULL));
		}
		if (isnan(p->dist))
			an_table_cell(t, AN_PLAIN, "-");
		else
			an_table_cell(t, AN_PLAIN, "%g", p->dist);
		if (hl) {
			char v[64];
			an_fmt_num(p->hmat_lat, v, sizeof(v));
			an_table_cell(t, AN_PLAIN, "%s", v);
		}
		if (hb) {
			char v[64];
			an_fmt_num(p->hmat_bw, v, sizeof(v));
			an_table_cell(t, AN_PLAIN, "%s", v);
		}
		cell_check(t, p);
	}
	an_table_emit(d, t);
}

/* The median and range over a class's pairs of one value ("95.2 (94.1-96.3)"), "-" without. */
static void class_cell(struct an_table *t, const struct an_pairs *s, const struct an_class_key *k,
		       size_t off, bool as_factor)
{
	double *v = malloc(sizeof(double) * (size_t)(s->n + 1));
	int n = 0;
	if (!v)
		abort();
	for (int i = 0; i < s->n; i++) {
		const struct an_pair *p = &s->p[i], *l = an_pairs_local(s, p->cpu);
		const struct an_val *x = (const struct an_val *)((const char *)p + off);
		double y =
		    as_factor ? factor(x, l ? (const struct an_val *)((const char *)l + off) : NULL)
			      : x->v;
		if (an_pair_in(p, k) && !isnan(y))
			v[n++] = y;
	}
	double lo = INFINITY, hi = -INFINITY, med = an_median(v, n);
	for (int i = 0; i < n; i++)
		lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
	free(v);
	char a[64], b[64], c[64];
	if (!n) {
		an_table_cell(t, AN_PLAIN, "-");
		return;
	}
	an_fmt_num(med, a, sizeof(a));
	an_fmt_num(lo, b, sizeof(b));
	an_fmt_num(hi, c, sizeof(c));
	if (as_factor)
		an_table_cell(t, AN_PLAIN, "%.2fx", med);
	else if (n > 1 && lo != hi)
		an_table_cell(t, AN_PLAIN, "%s (%s-%s)", a, b, c);
	else
		an_table_cell(t, AN_PLAIN, "%s", a);
}

/* One row per distance class (kind and SLIT value): how many pairs, their medians. */
static void class_table(struct an_doc *d, const struct an_pairs *s)
{
	struct an_class_key keys[64];
	int nk = an_pairs_classes(s, keys, 64);
	static const struct {
		const char *col;
		size_t off;
		bool factor;
	} cols[] = {{"4K ns", offsetof(struct an_pair, lat4k), false},
		    {"x local", offsetof(struct an_pair, lat4k), true},
		    {"THP ns", offsetof(struct an_pair, latthp), false},
		    {"read GB/s", offsetof(struct an_pair, rd), false},
		    {"triad GB/s", offsetof(struct an_pair, triad), false}};
	bool on[5];
	struct an_table *t = an_table_new();
	an_table_col(t, "class");
	an_table_col(t, "SLIT");
	an_table_col(t, "pairs");
	for (int c = 0; c < 5; c++)
		if ((on[c] = any(s, cols[c].off)))
			an_table_col(t, cols[c].col);
	for (int k = 0; k < nk; k++) {
		int n = 0;
		for (int i = 0; i < s->n; i++)
			n += an_pair_in(&s->p[i], &keys[k]);
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%s", an_class_name(keys[k].cls));
		if (isnan(keys[k].dist))
			an_table_cell(t, AN_PLAIN, "-");
		else
			an_table_cell(t, AN_PLAIN, "%g", keys[k].dist);
		an_table_cell(t, AN_PLAIN, "%d", n);
		for (int c = 0; c < 5; c++)
			if (on[c])
				class_cell(t, s, &keys[k], cols[c].off, cols[c].factor);
	}
	an_table_emit(d, t);
}

/* HTML: the node x node picture of the 4 KiB latency (the table holds the numbers). */
static void latency_map(struct an_doc *d, const struct an_pairs *s)
{
	long long rid[64], cid[64];
	int nr = 0, nc = 0;
	for (int i = 0; i < s->n; i++) {
		int r = 0, c = 0;
		while (r < nr && rid[r] != s->p[i].cpu)
			r++;
		if (r == nr && nr < 64)
			rid[nr++] = s->p[i].cpu;
		while (c < nc && cid[c] != s->p[i].mem)
			c++;
		if (c == nc && nc < 64)
			cid[nc++] = s->p[i].mem;
	}
	double *v = malloc(sizeof(double) * (nr * nc + 1));
	const char **st = calloc(nr * nc + 1, sizeof(char *));
	char **rl = calloc(nr + 1, sizeof(char *)), **cl = calloc(nc + 1, sizeof(char *));
	if (!v || !st || !rl || !cl)
		abort();
	for (int k = 0; k < nr * nc; k++)
		v[k] = NAN;
	for (int i = 0; i < s->n; i++)
		for (int r = 0; r < nr; r++)
			for (int c = 0; c < nc; c++)
				if (rid[r] == s->p[i].cpu && cid[c] == s->p[i].mem) {
					v[r * nc + c] = s->p[i].lat4k.v;
					st[r * nc + c] = s->p[i].lat4k.status;
				}
	for (int r = 0; r < nr; r++)
		if (asprintf(&rl[r], "%lld", rid[r]) < 0)
			abort();
	for (int c = 0; c < nc; c++)
		if (asprintf(&cl[c], "%lld", cid[c]) < 0)
			abort();
	struct an_heatmap h = {"Idle latency, largest size, 4 KiB pages (median ns)",
			       "cpu node",
			       "mem node",
			       nr,
			       nc,
			       (const char *const *)rl,
			       (const char *const *)cl,
			       v,
			       st,
			       NULL,
			       NULL,
			       NULL};
	an_heatmap(d, &h);
	for (int r = 0; r < nr; r++)
		free(rl[r]);
	for (int c = 0; c < nc; c++)
		free(cl[c]);
	free(rl);
	free(cl);
	free(st);
	free(v);
}

/* "node 3: memory only" for nodes without cpus: no row of the matrix starts there. */
static void memory_only(struct an_doc *d, const json_t *topo)
{
	char buf[256];
	struct an_sb sb;
	size_t i;
	json_t *n;
	an_sb_init(&sb, buf, sizeof(buf));
	json_array_foreach(json_object_get(topo, "nodes"), i, n)
	{
		if (json_is_array(json_object_get(n, "cpus")) &&
		    !json_array_size(json_object_get(n, "cpus")))
			an_sb_add(&sb, "%s%lld", sb.pos ? ", " : "",
				  (long long)json_integer_value(json_object_get(n, "id")));
	}
	if (sb.pos)
		an_p(d, AN_PLAIN,
		     "Memory-only node(s) %s: no cpus, so they appear as memory targets only.",
		     buf);
}

static void bench_lines(struct an_doc *d, const json_t *doc)
{
	struct an_table *t = an_table_new();
	size_t i;
	json_t *r;
	an_table_col(t, "#");
	an_table_col(t, "bench");
	an_table_col(t, "status");
	an_table_col(t, "answer");
	json_array_foreach(json_object_get(doc, "runs"), i, r)
	{
		const char *st = json_string_value(json_object_get(r, "status"));
		const char *h = json_string_value(json_object_get(r, "headline"));
		const char *reason = json_string_value(json_object_get(r, "reason"));
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%zu", i + 1);
		an_table_cell(t, AN_PLAIN, "%s",
			      json_string_value(json_object_get(r, "bench")) ?: "");
		an_table_cell(t, an_status_style(st), "%s", st ? st : "-");
		char vs[AN_TEXT_MAX];
		an_report_vs_latency(r, vs, sizeof(vs));
		if (h && *h && *vs)
			an_table_cell(t, AN_PLAIN, "%s; %s", h, vs);
		else if (*vs)
			an_table_cell(t, AN_PLAIN, "(no headline) %s", vs);
		else if (h && *h)
			an_table_cell(t, AN_PLAIN, "%s", h);
		else if (reason && *reason)
			an_table_cell(t, AN_PLAIN, "(no headline) %s", reason);
		else
			an_table_cell(t, AN_PLAIN, "(no headline recorded)");
	}
	if (an_table_rows(t))
		an_table_emit(d, t);
	else
		an_table_free(t);
}

void an_report_summary(struct an_doc *d, const json_t *doc)
{
	struct an_pairs s;
	an_h(d, 2, "NUMA summary");
	an_pairs_collect(&s, doc);
	if (s.n) {
		an_p(d, AN_PLAIN,
		     "Idle latency at the largest size (4 KiB and THP pages) and bandwidth with "
		     "the most threads each pair was run with (read, triad), per cpu node > memory "
		     "node; x local is the NUMA factor, the ratio to the cpu node's own memory. "
		     "Classes: same package below SLIT %d, other package from it, memory only for "
		     "a node without cpus (CXL, HBM). SLIT and HMAT are read as an order, not as "
		     "latency ratios: a pair is reversed when the firmware puts it nearer than "
		     "another pair of its cpu node but it measured slower, their 95%% CIs apart%s.",
		     AN_OTHER_PACKAGE_DISTANCE,
		     s.emulated ? " (not here: timings are emulated, QEMU TCG)" : "");
		pair_table(d, &s);
		an_p(d, AN_PLAIN, "Marks: %s", AN_MARK_LEGEND);
		an_p(d, AN_PLAIN, "By distance class (median over the pairs, their range):");
		class_table(d, &s);
		if (d->fmt == AN_HTML && any(&s, offsetof(struct an_pair, lat4k)))
			latency_map(d, &s);
	} else {
		an_p(d, AN_PLAIN, "No latency or bandwidth matrix in this result.");
	}
	memory_only(d, json_object_get(doc, "topology"));
	bench_lines(d, doc);
	an_pairs_free(&s);
}

void an_report_summary_rows(json_t *rows, const json_t *doc)
{
	struct an_pairs s;
	an_pairs_collect(&s, doc);
	an_pairs_rows(&s, rows);
	an_pairs_free(&s);
}
