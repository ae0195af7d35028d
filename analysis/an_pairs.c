/* numabench analysis: node pairs of a result, their distance classes and the firmware order. */
#include "an_pairs.h"
#include "an_common.h"
#include "an_stats.h"
#include "an_tidy.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct an_val no_val = {NAN, NAN, NAN, NULL, ""};

static struct an_pair *pair_get(struct an_pairs *s, long long cpu, long long mem)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].cpu == cpu && s->p[i].mem == mem)
			return &s->p[i];
	s->p = realloc(s->p, sizeof(*s->p) * (s->n + 1));
	if (!s->p)
		abort();
	int i = s->n++;
	for (;
	     i > 0 && (s->p[i - 1].cpu > cpu || (s->p[i - 1].cpu == cpu && s->p[i - 1].mem > mem));
	     i--)
		s->p[i] = s->p[i - 1];
	s->p[i] = (struct an_pair){.cpu = cpu,
				   .mem = mem,
				   .lat4k = no_val,
				   .latthp = no_val,
				   .rd = no_val,
				   .triad = no_val,
				   .bw_threads = -1,
				   .lat_size = -1,
				   .slit = NAN,
				   .dist = NAN,
				   .hmat_lat = NAN,
				   .hmat_bw = NAN};
	return &s->p[i];
}

static const json_t *find_run(const json_t *doc, const char *bench)
{
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(doc, "runs"), i, r)
	{
		const char *b = json_string_value(json_object_get(r, "bench"));
		if (b && !strcmp(b, bench) && json_array_size(json_object_get(r, "cells")))
			return r;
	}
	return NULL;
}

static bool matrix(const json_t *c)
{
	return json_is_integer(json_object_get(c, "cpu_node")) &&
	       json_is_integer(json_object_get(c, "mem_node"));
}

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static struct an_pair *cell_pair(struct an_pairs *s, const json_t *c)
{
	return pair_get(s, json_integer_value(json_object_get(c, "cpu_node")),
			json_integer_value(json_object_get(c, "mem_node")));
}

static void put(struct an_pairs *s, struct an_val *v, const json_t *cell, const char *metric)
{
	const json_t *m = json_object_get(json_object_get(cell, "metrics"), metric);
	const json_t *ci = json_object_get(m, "ci95");
	double med = an_metric_median(m), lo = an_num(json_array_get(ci, 0)),
	       hi = an_num(json_array_get(ci, 1));
	/* a CI that does not hold the median (of the mean, skewed samples) is widened to it */
	const char *of = json_string_value(json_object_get(m, "ci_of"));
	*v = (struct an_val){med, isnan(lo) ? med : fmin(lo, med), isnan(hi) ? med : fmax(hi, med),
			     json_string_value(json_object_get(cell, "status")),
			     of	  ? of
			     : ci ? "mean"
				  : ""};
	if (json_is_true(json_object_get(m, "emulated")))
		s->emulated = true;
}

/* A field of the run's declared headline rule ("headline_rule", written by the bench); def for
 * files written before runs carried one (the rule the bench declared then). */
static const char *rule_field(const json_t *run, const char *key, const char *def)
{
	const json_t *r = json_object_get(run, "headline_rule");
	return r ? json_string_value(json_object_get(r, key)) : def;
}

/* The latency cells the bench's headline rule reads, 4 KiB and THP pages: its preferred value
 * of a field (the 256-byte stride) when measured, else that field's largest; per node pair,
 * the largest of its `largest` field (size) that pair was run with. */
static void latency(struct an_pairs *s, const json_t *run)
{
	const char *prefer = rule_field(run, "prefer", "stride=256"),
		   *largest = rule_field(run, "largest", "size_bytes");
	const char *eq = prefer ? strchr(prefer, '=') : NULL;
	char pf[32] = "";
	double want = NAN, stride = -1;
	bool has = false;
	if (eq) {
		snprintf(pf, sizeof(pf), "%.*s", (int)(eq - prefer), prefer);
		want = strtod(eq + 1, NULL);
	}
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		double st = pf[0] ? an_num(json_object_get(c, pf)) : NAN;
		has = has || st == want;
		stride = fmax(stride, st);
	}
	if (has)
		stride = want;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		double sz = largest ? an_num(json_object_get(c, largest)) : 0;
		double st = pf[0] ? an_num(json_object_get(c, pf)) : -1;
		if (!matrix(c) || (stride >= 0 && st != stride))
			continue;
		struct an_pair *p = cell_pair(s, c);
		sz = isnan(sz) ? 0 : sz;
		if (sz > p->lat_size) {
			p->lat_size = sz;
			p->lat4k = p->latthp = no_val;
		}
		if (sz != p->lat_size)
			continue;
		const char *pages = str(c, "pages");
		if (!strcmp(pages, "thp"))
			put(s, &p->latthp, c, "latency_ns");
		else if (!strcmp(pages, "4k") || !*pages)
			put(s, &p->lat4k, c, "latency_ns");
	}
}

/* The read and triad cells of each pair with the most threads that pair was run with: a node
 * with fewer cpus keeps its own figure instead of vanishing from a global maximum. */
static void bandwidth(struct an_pairs *s, const json_t *run)
{
	size_t i;
	json_t *c;
	const char *most = rule_field(run, "largest", "threads");
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		const char *k = str(c, "kernel");
		bool rd = !strcmp(k, "read"), triad = !strcmp(k, "triad");
		if (!matrix(c) || (!rd && !triad))
			continue;
		struct an_pair *p = cell_pair(s, c);
		double t = most ? an_num(json_object_get(c, most)) : 0;
		t = isnan(t) ? 0 : t;
		if (t > p->bw_threads) {
			p->bw_threads = t;
			p->rd = p->triad = no_val;
		}
		if (t == p->bw_threads)
			put(s, rd ? &p->rd : &p->triad, c, "bandwidth_gbs");
	}
}

/* Row index of node id in the topology (distances follow node order). */
static int node_index(const json_t *nodes, long long id)
{
	size_t i;
	json_t *n;
	json_array_foreach(nodes, i, n)
	{
		if (json_integer_value(json_object_get(n, "id")) == id)
			return (int)i;
	}
	return -1;
}

/* The node whose cpus include the first cpu of a range list ("0-3,8"), or -1. */
static long long node_of_cpus(const json_t *nodes, const json_t *cpus)
{
	long long cpu = -1;
	size_t i, k;
	json_t *n, *c;
	if (json_is_string(cpus))
		cpu = strtoll(json_string_value(cpus), NULL, 10);
	else if (json_array_size(cpus))
		cpu = json_integer_value(json_array_get(cpus, 0));
	json_array_foreach(nodes, i, n)
	{
		json_array_foreach(json_object_get(n, "cpus"), k, c)
		{
			if (json_integer_value(c) == cpu)
				return json_integer_value(json_object_get(n, "id"));
		}
	}
	return -1;
}

/* A node whose cpus array is present and empty. */
static bool memory_only(const json_t *nodes, int idx)
{
	const json_t *cpus = json_object_get(json_array_get(nodes, (size_t)idx), "cpus");
	return idx >= 0 && json_is_array(cpus) && !json_array_size(cpus);
}

static enum an_class classify(const struct an_pair *p, bool mem_only)
{
	if (p->cpu == p->mem)
		return AN_LOCAL;
	if (mem_only)
		return AN_MEM_ONLY;
	if (isnan(p->dist))
		return AN_REMOTE;
	return p->dist >= AN_OTHER_PACKAGE_DISTANCE ? AN_OTHER_PKG : AN_SAME_PKG;
}

static void firmware(struct an_pairs *s, const json_t *topo)
{
	const json_t *nodes = json_object_get(topo, "nodes"),
		     *dist = json_object_get(topo, "distances"),
		     *ma = json_object_get(topo, "memattrs");
	size_t i;
	json_t *e;
	for (int k = 0; k < s->n; k++) {
		struct an_pair *p = &s->p[k];
		int a = node_index(nodes, p->cpu), b = node_index(nodes, p->mem);
		const json_t *row = json_array_get(dist, a < 0 ? (size_t)-1 : (size_t)a);
		double local = an_num(json_array_get(row, a < 0 ? (size_t)-1 : (size_t)a));
		double d = an_num(json_array_get(row, b < 0 ? (size_t)-1 : (size_t)b));
		p->dist = d > 0 ? d : NAN;
		p->slit = local > 0 ? d / local : NAN;
		p->cls = classify(p, memory_only(nodes, b));
	}
	static const char *const attrs[] = {"latency", "read_latency", "bandwidth",
					    "read_bandwidth"};
	for (int a = 0; a < 4; a++)
		json_array_foreach(json_object_get(ma, attrs[a]), i, e)
		{
			long long ini = node_of_cpus(nodes, json_object_get(e, "initiator_cpus"));
			long long tgt = json_integer_value(json_object_get(e, "target"));
			for (int k = 0; k < s->n; k++) {
				struct an_pair *p = &s->p[k];
				double *slot = a < 2 ? &p->hmat_lat : &p->hmat_bw;
				if (p->cpu == ini && p->mem == tgt && isnan(*slot))
					*slot = an_num(json_object_get(e, "value"));
			}
		}
}

const struct an_val *an_pair_lat(const struct an_pair *p)
{
	return isnan(p->lat4k.v) ? &p->latthp : &p->lat4k;
}

/* p is nearer than q by the firmware figure (fp < fq) but measured slower beyond both CIs:
 * the intervals do not overlap, so noise cannot explain the order. */
static bool reversed(const struct an_pair *p, const struct an_pair *q, double fp, double fq)
{
	const struct an_val *a = an_pair_lat(p), *b = an_pair_lat(q);
	return !isnan(fp) && !isnan(fq) && fp < fq && a->lo > b->hi;
}

static void flag(struct an_pair *p, const char *what, const struct an_pair *other, double fp,
		 double fo)
{
	if (p->order == AN_ORD_REVERSED)
		return; /* the first contradiction is named; the row's others are alike */
	p->order = AN_ORD_REVERSED;
	double a = an_pair_lat(p)->v, b = an_pair_lat(other)->v;
	snprintf(p->why, sizeof(p->why), "%s %g %s %g of %lld>%lld, yet %s: %.4g vs %.4g ns", what,
		 fp, fp < fo ? "<" : ">", fo, other->cpu, other->mem, fp < fo ? "slower" : "faster",
		 a, b);
}

/* Every two pairs of one cpu node whose firmware figures differ: the one the firmware puts
 * nearer should not measure slower. SLIT (and HMAT) are distances from an initiator, so only
 * pairs of the same cpu node are ordered against each other. */
static void order(struct an_pairs *s)
{
	for (int i = 0; i < s->n; i++) {
		struct an_pair *p = &s->p[i];
		bool has = !isnan(an_pair_lat(p)->v);
		p->order = !has		      ? AN_ORD_NONE
			   : s->emulated      ? AN_ORD_EMULATED
			   : p->cpu == p->mem ? AN_ORD_LOCAL
					      : AN_ORD_AGREES;
	}
	if (s->emulated)
		return;
	for (int i = 0; i < s->n; i++)
		for (int j = 0; j < s->n; j++) {
			struct an_pair *p = &s->p[i], *q = &s->p[j];
			if (i == j || p->cpu != q->cpu || p->order == AN_ORD_NONE ||
			    q->order == AN_ORD_NONE)
				continue;
			if (reversed(p, q, p->dist, q->dist)) {
				flag(p, "SLIT", q, p->dist, q->dist);
				flag(q, "SLIT", p, q->dist, p->dist);
			}
			if (reversed(p, q, p->hmat_lat, q->hmat_lat)) {
				flag(p, "HMAT ns", q, p->hmat_lat, q->hmat_lat);
				flag(q, "HMAT ns", p, q->hmat_lat, p->hmat_lat);
			}
		}
}

void an_pairs_collect(struct an_pairs *s, const json_t *doc)
{
	const json_t *r;
	*s = (struct an_pairs){0};
	s->emulated = an_doc_emulated(doc);
	if ((r = find_run(doc, "latency")))
		latency(s, r);
	if ((r = find_run(doc, "bandwidth")))
		bandwidth(s, r);
	firmware(s, json_object_get(doc, "topology"));
	order(s);
}

void an_pairs_free(struct an_pairs *s)
{
	free(s->p);
	s->p = NULL;
	s->n = 0;
}

const struct an_pair *an_pairs_local(const struct an_pairs *s, long long cpu)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].cpu == cpu && s->p[i].mem == cpu)
			return &s->p[i];
	return NULL;
}

static const char *const class_names[] = {"local", "same package", "other package", "memory only",
					  "remote (no SLIT)"};
static const char *const class_ids[] = {"local", "same-package", "other-package", "memory-only",
					"remote"};

const char *an_class_name(enum an_class c)
{
	return class_names[c];
}

const char *an_class_id(enum an_class c)
{
	return class_ids[c];
}

const char *an_order_name(enum an_order o)
{
	static const char *const names[] = {"", "local", "agrees", "reversed",
					    "not compared (emulated)"};
	return names[o];
}

bool an_pair_in(const struct an_pair *p, const struct an_class_key *k)
{
	return p->cls == k->cls && (p->dist == k->dist || (isnan(p->dist) && isnan(k->dist)));
}

static int key_cmp(const void *a, const void *b)
{
	const struct an_class_key *x = a, *y = b;
	if (x->cls != y->cls)
		return x->cls < y->cls ? -1 : 1;
	if (isnan(x->dist) || isnan(y->dist))
		return isnan(x->dist) - isnan(y->dist);
	return (x->dist > y->dist) - (x->dist < y->dist);
}

int an_pairs_classes(const struct an_pairs *s, struct an_class_key *out, int max)
{
	int n = 0;
	for (int i = 0; i < s->n; i++) {
		int k = 0;
		while (k < n && !an_pair_in(&s->p[i], &out[k]))
			k++;
		if (k == n && n < max)
			out[n++] = (struct an_class_key){s->p[i].cls, s->p[i].dist};
	}
	qsort(out, (size_t)n, sizeof(*out), key_cmp);
	return n;
}

static json_t *row(const struct an_pairs *s, const char *cell, const struct an_pair *p,
		   const char *metric, const char *unit, const char *dir, double med, double lo,
		   double hi, const char *ci_of, int n, const char *status, const char *reason)
{
	json_t *r = json_object();
	json_object_set_new(r, "run", json_integer(0));
	json_object_set_new(r, "bench", json_string("summary"));
	json_object_set_new(r, "params", json_string(""));
	json_object_set_new(r, "cell", json_string(cell));
	json_object_set_new(r, "cpu_node", p ? json_integer(p->cpu) : json_null());
	json_object_set_new(r, "mem_node", p ? json_integer(p->mem) : json_null());
	json_object_set_new(r, "metric", json_string(metric));
	json_object_set_new(r, "unit", json_string(unit));
	json_object_set_new(r, "direction", json_string(dir));
	json_object_set_new(r, "median", an_tidy_num(med));
	json_object_set_new(r, "ci_lo", an_tidy_num(lo));
	json_object_set_new(r, "ci_hi", an_tidy_num(hi));
	json_object_set_new(r, "ci_of", json_string(ci_of));
	json_object_set_new(r, "n", json_integer(n));
	json_object_set_new(r, "status", json_string(status));
	json_object_set_new(r, "reason", json_string(reason));
	json_object_set_new(r, "emulated", json_boolean(s->emulated));
	return r;
}

/* The values a summary row is made of: latency in the pages it is ordered by, bandwidth. */
struct what {
	const char *metric, *unit, *dir, *label;
	size_t off;
};
static const struct what whats[] = {
    {"latency_ns", "ns", "lower", "pages=4k", offsetof(struct an_pair, lat4k)},
    {"latency_ns", "ns", "lower", "pages=thp", offsetof(struct an_pair, latthp)},
    {"bandwidth_gbs", "GB/s", "higher", "kernel=read", offsetof(struct an_pair, rd)},
    {"bandwidth_gbs", "GB/s", "higher", "kernel=triad", offsetof(struct an_pair, triad)},
};

static const struct an_val *val_of(const struct an_pair *p, const struct what *w)
{
	return (const struct an_val *)((const char *)p + w->off);
}

static void class_label(const struct an_class_key *k, char *buf, size_t len)
{
	if (isnan(k->dist))
		snprintf(buf, len, "class=%s", an_class_id(k->cls));
	else
		snprintf(buf, len, "class=%s slit=%g", an_class_id(k->cls), k->dist);
}

static void pair_rows(const struct an_pairs *s, json_t *rows)
{
	for (int i = 0; i < s->n; i++) {
		const struct an_pair *p = &s->p[i];
		struct an_class_key k = {p->cls, p->dist};
		char cls[96], cell[192];
		class_label(&k, cls, sizeof(cls));
		for (size_t w = 0; w < sizeof(whats) / sizeof(whats[0]); w++) {
			const struct an_val *v = val_of(p, &whats[w]);
			if (isnan(v->v))
				continue;
			bool lat = w < 2, ordered = lat && v == an_pair_lat(p);
			if (lat)
				snprintf(cell, sizeof(cell), "pair %s %s", cls, whats[w].label);
			else
				snprintf(cell, sizeof(cell), "pair %s %s threads=%g", cls,
					 whats[w].label, p->bw_threads);
			json_array_append_new(rows, row(s, cell, p, whats[w].metric, whats[w].unit,
							whats[w].dir, v->v, v->lo, v->hi, v->ci_of,
							1, ordered ? an_order_name(p->order) : "",
							ordered ? p->why : ""));
		}
	}
}

static void class_rows(const struct an_pairs *s, json_t *rows)
{
	struct an_class_key keys[64];
	int nk = an_pairs_classes(s, keys, 64);
	double *v = malloc(sizeof(double) * (size_t)(s->n + 1));
	if (!v)
		abort();
	for (int k = 0; k < nk; k++)
		for (size_t w = 0; w < sizeof(whats) / sizeof(whats[0]); w++) {
			int n = 0;
			double lo = INFINITY, hi = -INFINITY;
			for (int i = 0; i < s->n; i++) {
				const struct an_val *x = val_of(&s->p[i], &whats[w]);
				if (!an_pair_in(&s->p[i], &keys[k]) || isnan(x->v))
					continue;
				v[n++] = x->v;
				lo = fmin(lo, x->v);
				hi = fmax(hi, x->v);
			}
			if (!n)
				continue;
			char cls[96], cell[160];
			class_label(&keys[k], cls, sizeof(cls));
			snprintf(cell, sizeof(cell), "%s %s", cls, whats[w].label);
			json_array_append_new(
			    rows, row(s, cell, NULL, whats[w].metric, whats[w].unit, whats[w].dir,
				      an_median(v, n), lo, hi, "range", n, "", ""));
		}
	free(v);
}

void an_pairs_rows(const struct an_pairs *s, json_t *rows)
{
	pair_rows(s, rows);
	class_rows(s, rows);
}
