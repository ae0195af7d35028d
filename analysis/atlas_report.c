/* numabench atlas-report: an atlas (numabench atlas, harness/guest/atlas.c) as one table, a
 * row per behaviour, a column per kernel ordered by version; a cell whose class differs from
 * the previous kernel's is marked and summarised in one line per kernel; a kernel where a
 * forced GUP path left the target's PROT_NONE page accessible is a finding (AN_BAD, red).
 * --format csv|json: tidy rows (kernel, behaviour, value, changed, ...). README "Atlas". */
#include "an_doc.h"
#include "an_json.h"
#include "an_tidy.h"
#include "analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AN_ATLAS_ROWS_SCHEMA "numabench.atlas-rows/1"
#define MAX_K 128
#define MAX_ROWS 160

/* One behaviour of one kernel: what people read (text) and what a change is decided on
 * (cls: equal classes are the same behaviour; numbers are classed coarsely). */
struct acell {
	char text[128], cls[64];
	bool finding; /* PROT_NONE lost */
	double num;   /* a ratio row: changed when it differs by more than 2x (or from 0) */
	bool set;
};

struct arow {
	char group[24], name[96];
	struct acell k[MAX_K];
};

struct atab {
	struct arow *rows;
	int nrows, nk;
	const json_t *ks[MAX_K];
	char klabel[MAX_K][64];
};

static struct acell *cell_of(struct atab *t, const char *group, const char *name, int ki)
{
	for (int i = 0; i < t->nrows; i++)
		if (!strcmp(t->rows[i].group, group) && !strcmp(t->rows[i].name, name))
			return &t->rows[i].k[ki];
	if (t->nrows >= MAX_ROWS)
		return NULL;
	struct arow *r = &t->rows[t->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->group, sizeof(r->group), "%s", group);
	snprintf(r->name, sizeof(r->name), "%s", name);
	return &r->k[ki];
}

static void put(struct atab *t, int ki, const char *group, const char *name, const char *text,
		const char *cls)
{
	struct acell *c = cell_of(t, group, name, ki);
	if (!c)
		return;
	snprintf(c->text, sizeof(c->text), "%s", text);
	snprintf(c->cls, sizeof(c->cls), "%s", cls ? cls : text);
	c->num = NAN;
	c->set = true;
}

/* The share classes the gup verdicts use: >= 50% yes, < 5% no, else partial. */
static const char *share_cls(double s)
{
	return isnan(s) ? "?" : s >= 0.5 ? "yes" : s < 0.05 ? "no" : "partial";
}

static const json_t *run_of(const json_t *k, const char *name)
{
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(k, "runs"), i, r)
	{
		const char *n = json_string_value(json_object_get(r, "name"));
		if (n && !strcmp(n, name))
			return r;
	}
	return NULL;
}

static const json_t *bench_of(const json_t *run, const char *bench)
{
	size_t i;
	const json_t *b;
	json_array_foreach(json_object_get(json_object_get(run, "results"), "runs"), i, b)
	{
		const char *n = json_string_value(json_object_get(b, "bench"));
		if (n && !strcmp(n, bench))
			return b;
	}
	return NULL;
}

/* The scanner marked PTEs during a pass of this path's cross cell (pte_updates_during > 0):
 * its system-wide vmstat deltas count hinting faults that are not the path's, so its verdict
 * is not compared with other kernels'. */
static bool scan_during(const json_t *g, const json_t *v)
{
	size_t i, j;
	const json_t *c, *p;
	json_array_foreach(json_object_get(g, "cells"), i, c)
	{
		if (!json_equal(json_object_get(c, "path"), json_object_get(v, "path")) ||
		    !json_equal(json_object_get(c, "pair"), json_object_get(v, "pair")) ||
		    json_is_true(json_object_get(c, "force")) !=
			json_is_true(json_object_get(v, "force")) ||
		    json_is_true(json_object_get(c, "ptrace_attached")) !=
			json_is_true(json_object_get(v, "ptrace_attached")))
			continue;
		json_array_foreach(json_object_get(c, "passes"), j,
				   p) if (an_num(json_object_get(p, "pte_updates_during")) >
					  0) return true;
	}
	return false;
}

static void gup_rows(struct atab *t, int ki, const json_t *run, const char *mode)
{
	const json_t *g = bench_of(run, "gup"), *v, *c;
	size_t i;
	char name[96], text[96];
	if (!g)
		return;
	json_array_foreach(json_object_get(g, "verdicts"), i, v)
	{
		const char *pair = json_string_value(json_object_get(v, "pair"));
		if (!pair || strcmp(pair, "cross"))
			continue;
		bool force = json_is_true(json_object_get(v, "force"));
		bool att = json_is_true(json_object_get(v, "ptrace_attached"));
		const char *f = share_cls(an_num(json_object_get(v, "faulted_share")));
		const char *m = share_cls(an_num(json_object_get(v, "migrated_share")));
		snprintf(name, sizeof(name), "%s%s%s [override=%s]",
			 json_string_value(json_object_get(v, "path")), force ? " force" : "",
			 att ? " attached" : "", mode);
		bool noisy = scan_during(g, v);
		snprintf(text, sizeof(text), "fault:%s migrate:%s%s", f, m,
			 noisy ? " (scan during pass)" : "");
		put(t, ki, "gup", name, text, noisy ? "noisy" : NULL);
	}
	json_array_foreach(json_object_get(g, "cells"), i, c)
	{
		const json_t *h = json_object_get(c, "prot_none_holds");
		if (!json_is_true(json_object_get(c, "force")) || !h)
			continue;
		snprintf(name, sizeof(name), "PROT_NONE kept: %s%s [override=%s]",
			 json_string_value(json_object_get(c, "path")),
			 json_is_true(json_object_get(c, "ptrace_attached")) ? " attached" : "",
			 mode);
		const char *txt = json_is_true(h) ? "kept" : json_is_false(h) ? "LOST" : "unknown";
		put(t, ki, "prot_none", name, txt, NULL);
		struct acell *ac = cell_of(t, "prot_none", name, ki);
		if (ac)
			ac->finding = json_is_false(h);
	}
}

static void balance_rows(struct atab *t, int ki, const json_t *run)
{
	const json_t *b = bench_of(run, "balance"), *m;
	size_t i;
	char name[96], text[96];
	if (!b)
		return;
	double pages = an_num(json_object_get(b, "buffer_bytes")) / 4096.0;
	json_array_foreach(json_object_get(b, "modes"), i, m)
	{
		const char *var = json_string_value(json_object_get(m, "variant"));
		int bal = (int)an_ll(json_object_get(m, "balancing"), -1);
		if (!var || !strncmp(var, "bound", 5))
			continue;
		double mig = an_num(json_object_get(m, "pages_migrated"));
		double conv = an_num(json_object_get(m, "convergence_s"));
		double pte = an_num(json_object_get(m, "pte_updates"));
		snprintf(name, sizeof(name), "%s, balancing %d: pages migrated", var, bal);
		snprintf(text, sizeof(text), "%.0f", mig);
		put(t, ki, "balance", name, text, share_cls(pages > 0 ? mig / pages : NAN));
		snprintf(name, sizeof(name), "%s, balancing %d: converged after", var, bal);
		if (json_is_true(json_object_get(m, "converged")))
			snprintf(text, sizeof(text), "%.2f s", conv);
		else
			snprintf(text, sizeof(text), "no");
		/* Emulated timings: only converged or not is a behaviour. */
		put(t, ki, "balance", name, text,
		    json_is_true(json_object_get(m, "converged")) ? "converged" : "no");
		snprintf(name, sizeof(name), "%s, balancing %d: PTE updates per buffer page", var,
			 bal);
		double per = pages > 0 ? pte / pages : NAN;
		snprintf(text, sizeof(text), "%.1f", per);
		put(t, ki, "balance", name, text, isnan(per) ? "?" : "ratio");
		struct acell *pc = cell_of(t, "balance", name, ki);
		if (pc && !isnan(per))
			pc->num = per;
	}
}

static void fault_rows(struct atab *t, int ki, const json_t *run)
{
	const json_t *f = bench_of(run, "fault"), *c;
	size_t i;
	double thp = NAN, k4 = NAN;
	char text[64];
	if (!f)
		return;
	json_array_foreach(json_object_get(f, "cells"), i, c)
	{
		const char *pg = json_string_value(json_object_get(c, "pages"));
		double v = an_metric_median(
		    json_object_get(json_object_get(c, "metrics"), "faults_per_page"));
		if (pg && !strcmp(pg, "thp") && (isnan(thp) || v > thp))
			thp = v;
		if (pg && !strcmp(pg, "4k") && (isnan(k4) || v > k4))
			k4 = v;
	}
	snprintf(text, sizeof(text), "%.0f", thp * 512);
	put(t, ki, "fault", "THP first touch: faults per 2 MiB (max over node pairs)",
	    isnan(thp) ? "-" : text, NULL);
	snprintf(text, sizeof(text), "%.2f", k4);
	put(t, ki, "fault", "4 KiB first touch: faults per page", isnan(k4) ? "-" : text, NULL);
}

static void tier_rows(struct atab *t, int ki, const json_t *run)
{
	const json_t *tb = bench_of(run, "tier"), *x, *c;
	size_t i, j;
	char text[96];
	struct an_sb s;
	if (!run)
		return;
	if (!json_object_get(run, "results")) {
		put(t, ki, "tier", "memory tiers (tier:nodes)", "no run", NULL);
		return;
	}
	an_sb_init(&s, text, sizeof(text));
	const json_t *mt = json_object_get(
	    json_object_get(json_object_get(run, "results"), "topology"), "memory_tiers");
	json_array_foreach(json_object_get(mt, "tiers"), i, x)
	{
		an_sb_add(&s, "%s%lld:", i ? " " : "", an_ll(json_object_get(x, "id"), -1));
		const json_t *nd;
		json_array_foreach(json_object_get(x, "nodes"), j, nd)
		    an_sb_add(&s, "%s%lld", j ? "," : "", an_ll(nd, -1));
	}
	put(t, ki, "tier", "memory tiers (tier:nodes)", text[0] ? text : "none", NULL);
	if (!tb)
		return;
	for (int mode = 2; mode <= 3; mode++) {
		double p = NAN;
		const char *st = NULL, *why = NULL;
		json_array_foreach(json_object_get(tb, "cells"), i, c)
		{
			const char *sc = json_string_value(json_object_get(c, "scenario"));
			if (!sc || strcmp(sc, "promotion") ||
			    an_ll(json_object_get(c, "balancing"), -1) != mode)
				continue;
			p = an_num(
			    json_object_get(json_object_get(c, "vmstat"), "pgpromote_success"));
			st = json_string_value(json_object_get(c, "status"));
		}
		if (!st) {
			st = json_string_value(json_object_get(tb, "status"));
			why = json_string_value(json_object_get(tb, "reason"));
		}
		char name[64];
		snprintf(name, sizeof(name), "balancing %d: pages promoted", mode);
		if (!isnan(p))
			snprintf(text, sizeof(text), "%.0f", p);
		else
			snprintf(text, sizeof(text), "%s%s%.80s", st ? st : "-", why ? ": " : "",
				 why ? why : "");
		put(t, ki, "tier", name, text, !isnan(p) ? (p > 0 ? "yes" : "no") : st ? st : "-");
	}
}

static void kernel_rows(struct atab *t, int ki, const json_t *k)
{
	const char *st = json_string_value(json_object_get(k, "status"));
	const char *why = json_string_value(json_object_get(k, "reason"));
	char text[128];
	snprintf(text, sizeof(text), "%s%s%.110s", st ? st : "?", why ? ": " : "", why ? why : "");
	put(t, ki, "kernel", "status", text, st ? st : "?");
	const char *ver = json_string_value(json_object_get(k, "version"));
	put(t, ki, "kernel", "Debian version", ver && *ver ? ver : "-", "-");
	const json_t *cfg = json_object_get(k, "config"), *v;
	const char *key;
	json_object_foreach((json_t *)cfg, key, v)
	{
		const char *s = json_string_value(v);
		put(t, ki, "config", key, s ? s : "-", NULL);
	}
	const json_t *p = json_object_get(k, "proc_mem_force_override_param");
	put(t, ki, "kernel", "has proc_mem.force_override",
	    json_is_true(p)    ? "yes"
	    : json_is_false(p) ? "no"
			       : "-",
	    NULL);
	size_t i;
	const json_t *r;
	json_array_foreach(json_object_get(k, "runs"), i, r)
	{
		const char *n = json_string_value(json_object_get(r, "name"));
		double s = an_num(json_object_get(r, "guest_s"));
		char name[96];
		snprintf(name, sizeof(name), "guest %s: seconds (boot+run)", n ? n : "?");
		if (!isnan(s))
			snprintf(text, sizeof(text), "%.0f", s);
		else
			snprintf(text, sizeof(text), "%.60s",
				 json_string_value(json_object_get(r, "status")) ?: "-");
		put(t, ki, "time", name, text, "-"); /* a time: never a change */
	}
	const char *modes[] = {"never", "always", "ptrace"};
	for (int m = 0; m < 3; m++) {
		char rn[32];
		snprintf(rn, sizeof(rn), "2node-%s", modes[m]);
		const json_t *run = run_of(k, rn);
		if (!run)
			continue;
		gup_rows(t, ki, run, modes[m]);
		if (m == 1 || !run_of(k, "2node-always")) {
			balance_rows(t, ki, run);
			fault_rows(t, ki, run);
		}
	}
	tier_rows(t, ki, run_of(k, "3node-tier"));
}

static int kcmp_ver(const json_t *a, const json_t *b)
{
	const char *x = json_string_value(json_object_get(a, "version"));
	const char *y = json_string_value(json_object_get(b, "version"));
	if (!x || !*x || !y || !*y)
		return (!x || !*x) - (!y || !*y); /* no version (a user's image): last */
	return strverscmp(x, y);
}

static void sort_kernels(struct atab *t)
{
	for (int i = 1; i < t->nk; i++) /* insertion sort: stable, few kernels */
		for (int j = i; j > 0 && kcmp_ver(t->ks[j - 1], t->ks[j]) > 0; j--) {
			const json_t *tmp = t->ks[j];
			t->ks[j] = t->ks[j - 1];
			t->ks[j - 1] = tmp;
		}
	for (int i = 0; i < t->nk; i++) {
		/* linux-image-6.1.0-47-amd64 -> 6.1.0-47; a user's image: its label */
		const char *p = json_string_value(json_object_get(t->ks[i], "package"));
		const char *l = json_string_value(json_object_get(t->ks[i], "label"));
		const char *sp = json_string_value(json_object_get(t->ks[i], "spec"));
		if (p && !strncmp(p, "linux-image-", 12)) {
			size_t n = strlen(p + 12);
			if (n > 6 && !strcmp(p + 12 + n - 6, "-amd64"))
				n -= 6;
			snprintf(t->klabel[i], sizeof(t->klabel[i]), "%.*s", (int)n, p + 12);
		} else {
			snprintf(t->klabel[i], sizeof(t->klabel[i]), "%s",
				 l && *l ? l
				 : sp	 ? sp
					 : "?");
		}
	}
}

/* Changed: set in both, classes differ (a row's first kernel is never a change); a noisy
 * cell (scan_during) is never a change. */
static bool changed(const struct arow *r, int ki)
{
	const struct acell *a = &r->k[ki], *b = ki > 0 ? &r->k[ki - 1] : NULL;
	if (b && a->set && b->set && !isnan(a->num) && !isnan(b->num)) {
		double lo = fmin(a->num, b->num), hi = fmax(a->num, b->num);
		return lo == 0 ? hi > 0 : hi / lo > 2;
	}
	return ki > 0 && r->k[ki].set && r->k[ki - 1].set &&
	       strcmp(r->k[ki].cls, r->k[ki - 1].cls) && strcmp(r->k[ki].cls, "noisy") &&
	       strcmp(r->k[ki - 1].cls, "noisy");
}

static void summaries(struct an_doc *d, const struct atab *t)
{
	int any = 0;
	for (int ki = 1; ki < t->nk; ki++) {
		char line[2048];
		struct an_sb s;
		an_sb_init(&s, line, sizeof(line));
		int n = 0;
		for (int i = 0; i < t->nrows; i++) {
			const struct arow *r = &t->rows[i];
			if (!changed(r, ki) || !strcmp(r->group, "config"))
				continue;
			an_sb_add(&s, "%s%s: %s -> %s", n++ ? "; " : "", r->name, r->k[ki - 1].text,
				  r->k[ki].text);
		}
		for (int i = 0; i < t->nrows; i++) {
			const struct arow *r = &t->rows[i];
			if (changed(r, ki) && !strcmp(r->group, "config"))
				an_sb_add(&s, "%s%s %s -> %s", n++ ? "; " : "", r->name,
					  r->k[ki - 1].text, r->k[ki].text);
		}
		if (n) {
			an_p(d, AN_WARN, "%s (vs %s): %s", t->klabel[ki], t->klabel[ki - 1], line);
			any++;
		}
	}
	if (!any)
		an_p(d, AN_PLAIN, "No behaviour differs between consecutive kernels.");
}

static void doc_out(struct an_doc *d, const json_t *atlas, struct atab *t)
{
	static const char *const groups[] = {"kernel", "gup",	 "prot_none", "balance", "fault",
					     "tier",   "config", "time",      NULL};
	an_p(d, AN_PLAIN,
	     "%d kernels; created %s by numabench %s; force modes %s; a marked cell (*) differs "
	     "from the kernel before it",
	     t->nk, json_string_value(json_object_get(atlas, "created")) ?: "?",
	     json_string_value(json_object_get(atlas, "numabench")) ?: "?",
	     json_string_value(json_object_get(atlas, "force")) ?: "?");
	an_h(d, 2, "What changed");
	summaries(d, t);
	for (int ki = 0; ki < t->nk; ki++)
		for (int i = 0; i < t->nrows; i++)
			if (t->rows[i].k[ki].finding)
				an_p(d, AN_BAD,
				     "FINDING: %s: %s: the forced access left the target's "
				     "PROT_NONE page accessible to the target",
				     t->klabel[ki], t->rows[i].name);
	for (int g = 0; groups[g]; g++) {
		struct an_table *tb = an_table_new();
		an_table_col(tb, "behaviour");
		for (int ki = 0; ki < t->nk; ki++)
			an_table_col(tb, t->klabel[ki]);
		for (int i = 0; i < t->nrows; i++) {
			const struct arow *r = &t->rows[i];
			if (strcmp(r->group, groups[g]))
				continue;
			an_table_row(tb);
			an_table_cell(tb, AN_PLAIN, "%s", r->name);
			for (int ki = 0; ki < t->nk; ki++) {
				const struct acell *c = &r->k[ki];
				bool ch = changed(r, ki);
				an_table_cell(tb,
					      c->finding ? AN_BAD
					      : ch	 ? AN_WARN
							 : AN_PLAIN,
					      "%s%s", c->set ? c->text : "-", ch ? " *" : "");
			}
		}
		if (an_table_rows(tb)) {
			an_h(d, 2, "%s", groups[g]);
			an_table_emit(d, tb);
		} else {
			an_table_free(tb);
		}
	}
}

static void tidy_out(struct an_doc *d, struct atab *t)
{
	static const char *const cols[] = {"kernel",	"package", "version", "group",
					   "behaviour", "value",   "class",   "changed",
					   "previous",	"finding", NULL};
	json_t *rows = json_array();
	for (int i = 0; i < t->nrows; i++)
		for (int ki = 0; ki < t->nk; ki++) {
			const struct arow *r = &t->rows[i];
			if (!r->k[ki].set)
				continue;
			json_t *o = json_object();
			json_object_set_new(o, "kernel", json_string(t->klabel[ki]));
			json_object_set(o, "package",
					json_object_get(t->ks[ki], "package") ?: json_null());
			json_object_set(o, "version",
					json_object_get(t->ks[ki], "version") ?: json_null());
			json_object_set_new(o, "group", json_string(r->group));
			json_object_set_new(o, "behaviour", json_string(r->name));
			json_object_set_new(o, "value", json_string(r->k[ki].text));
			json_object_set_new(o, "class", json_string(r->k[ki].cls));
			json_object_set_new(o, "changed", json_boolean(changed(r, ki)));
			json_object_set_new(o, "previous",
					    ki > 0 && r->k[ki - 1].set
						? json_string(r->k[ki - 1].text)
						: json_null());
			json_object_set_new(o, "finding", json_boolean(r->k[ki].finding));
			json_array_append_new(rows, o);
		}
	an_tidy_emit(d, AN_ATLAS_ROWS_SCHEMA, cols, rows);
	json_decref(rows);
}

int an_run_atlas_report(const struct an_opts *o)
{
	json_error_t je;
	json_t *atlas = json_load_file(o->files[0], 0, &je);
	const json_t *ks = json_object_get(atlas, "kernels");
	if (!atlas || !json_is_array(ks) || !json_object_get(atlas, "atlas_format")) {
		nb_err(
		    "atlas-report: %s is not valid: %s (valid: an atlas JSON written by numabench "
		    "atlas)",
		    o->files[0], atlas ? "no atlas_format or kernels[]" : je.text);
		json_decref(atlas);
		return NB_EXIT_USAGE;
	}
	struct atab *t = calloc(1, sizeof(*t));
	if (t)
		t->rows = calloc(MAX_ROWS, sizeof(*t->rows));
	if (!t || !t->rows) {
		nb_err("atlas-report: out of memory");
		free(t);
		json_decref(atlas);
		return NB_EXIT_ENV;
	}
	size_t i;
	const json_t *k;
	json_array_foreach(ks, i, k) if (t->nk < MAX_K) t->ks[t->nk++] = k;
	sort_kernels(t);
	for (int ki = 0; ki < t->nk; ki++)
		kernel_rows(t, ki, t->ks[ki]);
	struct an_doc d;
	char title[512];
	snprintf(title, sizeof(title), "numabench atlas: %s", an_basename(o->files[0]));
	int rc = NB_EXIT_ENV;
	if (an_doc_open(&d, o->fmt, an_use_color(o), title) == 0) {
		if (o->fmt == AN_CSV || o->fmt == AN_JSON)
			tidy_out(&d, t);
		else
			doc_out(&d, atlas, t);
		rc = an_doc_close(&d, o->out);
	} else {
		nb_err("atlas-report: out of memory");
	}
	free(t->rows);
	free(t);
	json_decref(atlas);
	return rc;
}
