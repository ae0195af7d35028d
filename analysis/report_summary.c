/* numabench analysis: the NUMA summary that opens a report: per cpu->memory node pair the
 * idle latency and bandwidth, their ratio to local (the NUMA factor) beside the firmware's
 * SLIT ratio and HMAT values, and one line per bench with its answer. */
#include "an_chart.h"
#include "an_json.h"
#include "an_report.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Measured and firmware factors further apart than this (relative) are flagged. */
#define AN_FIRMWARE_MARGIN 0.25

/* One value of a pair: the cell's median and status (NULL: no cell). */
struct val {
	double v;
	const char *status;
};

struct pair {
	long long cpu, mem;
	struct val lat4k, latthp, rd, triad;
	double slit, hmat_lat, hmat_bw; /* SLIT ratio to local; HMAT ns and MiB/s */
};

struct summary {
	struct pair *p;
	int n;
	bool emulated;
};

static struct pair *pair_get(struct summary *s, long long cpu, long long mem)
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
	s->p[i] = (struct pair){cpu,	     mem, {NAN, NULL}, {NAN, NULL}, {NAN, NULL},
				{NAN, NULL}, NAN, NAN,	       NAN};
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

/* A timing under emulation is not a hardware measurement: the host says so
 * (timing_emulated), or it runs under TCG, or a metric carries emulated: true. */
static void note_emulated(struct summary *s, const json_t *m)
{
	if (json_is_true(json_object_get(m, "emulated")))
		s->emulated = true;
}

static void put(struct summary *s, struct val *v, const json_t *cell, const char *metric)
{
	const json_t *m = json_object_get(json_object_get(cell, "metrics"), metric);
	*v = (struct val){an_metric_median(m), json_string_value(json_object_get(cell, "status"))};
	note_emulated(s, m);
}

/* The latency cells of the largest size (and the 256-byte stride, or the largest, when the
 * run swept strides), 4 KiB and THP pages. */
static void latency(struct summary *s, const json_t *run)
{
	double size = -1, stride = -1;
	bool has256 = false;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		size = fmax(size, an_num(json_object_get(c, "size_bytes")));
		double st = an_num(json_object_get(c, "stride"));
		has256 = has256 || st == 256;
		stride = fmax(stride, st);
	}
	if (has256)
		stride = 256;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		double sz = an_num(json_object_get(c, "size_bytes"));
		double st = an_num(json_object_get(c, "stride"));
		if (!matrix(c) || (size >= 0 && sz != size) || (stride >= 0 && st != stride))
			continue;
		struct pair *p = pair_get(s, json_integer_value(json_object_get(c, "cpu_node")),
					  json_integer_value(json_object_get(c, "mem_node")));
		const char *pages = str(c, "pages");
		if (!strcmp(pages, "thp"))
			put(s, &p->latthp, c, "latency_ns");
		else if (!strcmp(pages, "4k") || !*pages)
			put(s, &p->lat4k, c, "latency_ns");
	}
}

/* The bandwidth cells of the most threads, read and triad kernels. */
static void bandwidth(struct summary *s, const json_t *run)
{
	double threads = -1;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		threads = fmax(threads, an_num(json_object_get(c, "threads")));
	}
	json_array_foreach(json_object_get(run, "cells"), i, c)
	{
		double t = an_num(json_object_get(c, "threads"));
		if (!matrix(c) || (threads >= 0 && t != threads))
			continue;
		const char *k = str(c, "kernel");
		bool rd = !strcmp(k, "read"), triad = !strcmp(k, "triad");
		if (!rd && !triad)
			continue;
		struct pair *p = pair_get(s, json_integer_value(json_object_get(c, "cpu_node")),
					  json_integer_value(json_object_get(c, "mem_node")));
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

static void firmware(struct summary *s, const json_t *topo)
{
	const json_t *nodes = json_object_get(topo, "nodes"),
		     *dist = json_object_get(topo, "distances"),
		     *ma = json_object_get(topo, "memattrs");
	size_t i;
	json_t *e;
	for (int k = 0; k < s->n; k++) {
		struct pair *p = &s->p[k];
		int a = node_index(nodes, p->cpu), b = node_index(nodes, p->mem);
		const json_t *row = json_array_get(dist, a < 0 ? (size_t)-1 : (size_t)a);
		double local = an_num(json_array_get(row, a < 0 ? (size_t)-1 : (size_t)a));
		double d = an_num(json_array_get(row, b < 0 ? (size_t)-1 : (size_t)b));
		p->slit = local > 0 ? d / local : NAN;
	}
	static const char *const attrs[] = {"latency", "read_latency", "bandwidth",
					    "read_bandwidth"};
	for (int a = 0; a < 4; a++)
		json_array_foreach(json_object_get(ma, attrs[a]), i, e)
		{
			long long ini = node_of_cpus(nodes, json_object_get(e, "initiator_cpus"));
			long long tgt = json_integer_value(json_object_get(e, "target"));
			for (int k = 0; k < s->n; k++) {
				struct pair *p = &s->p[k];
				double *slot = a < 2 ? &p->hmat_lat : &p->hmat_bw;
				if (p->cpu == ini && p->mem == tgt && isnan(*slot))
					*slot = an_num(json_object_get(e, "value"));
			}
		}
}

static const struct pair *local_of(const struct summary *s, long long cpu)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].cpu == cpu && s->p[i].mem == cpu)
			return &s->p[i];
	return NULL;
}

static void cell_val(struct an_table *t, const struct val *v)
{
	char num[64];
	an_fmt_num(v->v, num, sizeof(num));
	const char *mark = an_status_mark(v->status);
	an_table_cell(t, *mark ? AN_WARN : AN_PLAIN, "%s%s", num, mark);
}

/* The ratio of v to the local value of the same cpu node. */
static double factor(const struct val *v, const struct val *local)
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

/* Where measured and firmware ratios disagree by more than the margin. */
static void cell_check(struct an_table *t, const struct summary *s, const struct pair *p,
		       double measured, double hmat_f)
{
	char why[160] = "";
	struct an_sb sb;
	an_sb_init(&sb, why, sizeof(why));
	if (p->cpu == p->mem) {
		an_table_cell(t, AN_PLAIN, "local");
		return;
	}
	if (isnan(measured)) {
		an_table_cell(t, AN_PLAIN, "-");
		return;
	}
	if (s->emulated) {
		an_table_cell(t, AN_PLAIN, "not compared (emulated)");
		return;
	}
	if (!isnan(p->slit) && fabs(measured / p->slit - 1) > AN_FIRMWARE_MARGIN)
		an_sb_add(&sb, "SLIT %.2fx", p->slit);
	if (!isnan(hmat_f) && fabs(measured / hmat_f - 1) > AN_FIRMWARE_MARGIN)
		an_sb_add(&sb, "%sHMAT %.2fx", sb.pos ? ", " : "", hmat_f);
	if (sb.pos)
		an_table_cell(t, AN_WARN, "differs: %s", why);
	else
		an_table_cell(t, AN_GOOD, "agrees");
}

static bool any(const struct summary *s, size_t off)
{
	for (int i = 0; i < s->n; i++)
		if (!isnan(((const struct val *)((const char *)&s->p[i] + off))->v))
			return true;
	return false;
}

static bool any_num(const struct summary *s, size_t off)
{
	for (int i = 0; i < s->n; i++)
		if (!isnan(*(const double *)((const char *)&s->p[i] + off)))
			return true;
	return false;
}

static void pair_table(struct an_doc *d, const struct summary *s)
{
	bool thp = any(s, offsetof(struct pair, latthp)), rd = any(s, offsetof(struct pair, rd)),
	     tr = any(s, offsetof(struct pair, triad)), lat = any(s, offsetof(struct pair, lat4k)),
	     hl = any_num(s, offsetof(struct pair, hmat_lat)),
	     hb = any_num(s, offsetof(struct pair, hmat_bw));
	struct an_table *t = an_table_new();
	an_table_col(t, "cpu>mem");
	if (lat) {
		an_table_col(t, "4K ns");
		an_table_col(t, "x local");
	}
	if (thp) {
		an_table_col(t, "THP ns");
		an_table_col(t, "x local");
	}
	if (rd) {
		an_table_col(t, "read GB/s");
		an_table_col(t, "x local");
	}
	if (tr) {
		an_table_col(t, "triad GB/s");
		an_table_col(t, "x local");
	}
	an_table_col(t, "SLIT x");
	if (hl)
		an_table_col(t, "HMAT ns");
	if (hb)
		an_table_col(t, "HMAT MiB/s");
	an_table_col(t, "vs firmware");
	for (int i = 0; i < s->n; i++) {
		const struct pair *p = &s->p[i], *l = local_of(s, p->cpu);
		double f = factor(&p->lat4k, l ? &l->lat4k : NULL), hf = NAN;
		if (isnan(f))
			f = factor(&p->latthp, l ? &l->latthp : NULL);
		if (l && l->hmat_lat > 0)
			hf = p->hmat_lat / l->hmat_lat;
		an_table_row(t);
		an_table_cell(t, AN_PLAIN, "%lld>%lld", p->cpu, p->mem);
		if (lat) {
			cell_val(t, &p->lat4k);
			cell_factor(t, factor(&p->lat4k, l ? &l->lat4k : NULL));
		}
		if (thp) {
			cell_val(t, &p->latthp);
			cell_factor(t, factor(&p->latthp, l ? &l->latthp : NULL));
		}
		if (rd) {
			cell_val(t, &p->rd);
			cell_factor(t, factor(&p->rd, l ? &l->rd : NULL));
		}
		if (tr) {
			cell_val(t, &p->triad);
			cell_factor(t, factor(&p->triad, l ? &l->triad : NULL));
		}
		cell_factor(t, p->slit);
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
		cell_check(t, s, p, f, hf);
	}
	an_table_emit(d, t);
}

/* HTML: the node x node picture of the 4 KiB latency (the table holds the numbers). */
static void latency_map(struct an_doc *d, const struct summary *s)
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
		an_table_cell(t, AN_PLAIN, "%s", str(r, "bench"));
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
	struct summary s = {0};
	const json_t *r;
	an_h(d, 2, "NUMA summary");
	s.emulated = an_doc_emulated(doc);
	if ((r = find_run(doc, "latency")))
		latency(&s, r);
	if ((r = find_run(doc, "bandwidth")))
		bandwidth(&s, r);
	firmware(&s, json_object_get(doc, "topology"));
	if (s.n) {
		an_p(
		    d, AN_PLAIN,
		    "Idle latency at the largest size (4 KiB and THP pages) and bandwidth with "
		    "the most threads (read, triad), per cpu node > memory node; x local is the "
		    "NUMA factor, the ratio to the cpu node's own memory. SLIT x is the firmware's "
		    "distance ratio; pairs whose measured latency factor is more than %.0f%% from "
		    "SLIT or HMAT are flagged%s.",
		    AN_FIRMWARE_MARGIN * 100,
		    s.emulated ? " (not here: timings are emulated, QEMU TCG)" : "");
		pair_table(d, &s);
		an_p(d, AN_PLAIN, "Marks: %s", AN_MARK_LEGEND);
		if (d->fmt == AN_HTML && any(&s, offsetof(struct pair, lat4k)))
			latency_map(d, &s);
	} else {
		an_p(d, AN_PLAIN, "No latency or bandwidth matrix in this result.");
	}
	memory_only(d, json_object_get(doc, "topology"));
	bench_lines(d, doc);
	free(s.p);
}
