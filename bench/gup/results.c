/* numabench bench `gup`: results. Owns the medians over passes, each cell's status and the
 * verdict lines (through the pure rules of rules.c), and every JSON field of the run:
 * cells[], passes[], verdicts[], force_effects[] and the run's facts. */
#include "gup/gup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const nb_gup_kind_names[] = {"path", "null", "positive_control"};

static json_t *err_json(int e)
{
	char b[16];
	return e == NOT_PROBED ? json_null() : json_string(gup_err_name(e, b, sizeof(b)));
}

static bool measured(const struct pass *p)
{
	return !p->fail[0];
}

static int64_t pass_value(const struct pass *p, int what, int b)
{
	switch (what) {
	case V_PTE:
		return p->pte_updates;
	case V_RMINFLT:
		return p->reader_minflt;
	case V_TMINFLT:
		return p->target_minflt;
	case V_MARKMS:
		return (int64_t)p->mark_wait_ms;
	case V_MOVED: /* pages that arrived on the reader's node */
		return b < 0 ? 0 : (int64_t)p->after.per_node[b] - (int64_t)p->before.per_node[b];
	default:
		return p->during.v[what];
	}
}

/* Lower median over the measured passes; false when there is none or the kernel lacks it. */
static bool median(const struct cell *c, int what, int64_t *out)
{
	int64_t v[MAX_REPEAT];
	int n = 0;
	for (int i = 0; i < c->npass; i++) {
		if (!measured(&c->pass[i]))
			continue;
		v[n] = pass_value(&c->pass[i], what, c->b);
		if (what >= 0 && v[n] < 0)
			return false;
		n++;
	}
	if (n == 0)
		return false;
	*out = nb_gup_lower_median(v, n);
	return true;
}

static json_t *median_json(const struct cell *c, int what)
{
	int64_t v;
	return median(c, what, &v) ? json_integer((json_int_t)v) : json_null();
}

/* Share of the buffer's pages, from a median; -1 when unknown. */
static double share(const struct gup *g, const struct cell *c, int what)
{
	int64_t v;
	return c && median(c, what, &v) ? (double)v / (double)g->pages : -1;
}

/* Node id -> pages, each node's median over the measured passes. */
static json_t *placement_json(const struct cell *c, bool after)
{
	uint64_t med[NB_MAX_NODE_ID] = {0};
	for (int n = 0; n < NB_MAX_NODE_ID; n++) {
		int64_t v[MAX_REPEAT];
		int k = 0;
		for (int i = 0; i < c->npass; i++)
			if (measured(&c->pass[i]))
				v[k++] = (int64_t)(after ? c->pass[i].after : c->pass[i].before)
					     .per_node[n];
		med[n] = k ? (uint64_t)nb_gup_lower_median(v, k) : 0;
	}
	return nb_pages_per_node_json(med, NULL, 0);
}

static const char *const pn_self_names[] = {
    [PN_UNKNOWN] = NULL, [PN_FAULTED] = "faulted", [PN_READABLE] = "readable"};

/* true: still PROT_NONE (maps ---p and the target's read faulted); false: either says it no
 * longer is; -1 unknown. */
static int pn_holds(const struct pass *p)
{
	bool perms_ok = p->pn_perms[0] && !strncmp(p->pn_perms, "---", 3);
	if (p->pn_self == PN_READABLE || (p->pn_perms[0] && !perms_ok))
		return 0;
	return p->pn_self == PN_FAULTED && perms_ok ? 1 : -1;
}

static json_t *pn_json(const struct pass *p)
{
	int h = pn_holds(p);
	const char *self = pn_self_names[p->pn_self];
	return json_pack("{s:o,s:o,s:o}", "perms",
			 p->pn_perms[0] ? json_string(p->pn_perms) : json_null(), "target_read",
			 self ? json_string(self) : json_null(), "holds",
			 h < 0 ? json_null() : json_boolean(h));
}

/* Over the cell's passes: false when any pass lost PROT_NONE, true when all kept it. */
static json_t *cell_pn_json(const struct cell *c)
{
	int n = 0, held = 0;
	for (int i = 0; i < c->npass; i++) {
		int h = c->pass[i].prot_none == NOT_PROBED ? -1 : pn_holds(&c->pass[i]);
		if (h == 0)
			return json_false();
		n += h >= 0;
		held += h == 1;
	}
	return n && held == n ? json_true() : json_null();
}

/* What a pass's `marked` rests on (README protocol point 5): "canary_faults" (every canary page
 * of the buffer's VMA took a hinting fault), "not_confirmed" (balancing on, no such check by
 * the timeout), "not_checked" (balancing off: nothing is waited for). */
static const char *mark_evidence(const struct cell *c, const struct pass *p)
{
	return !c->balancing ? "not_checked" : p->marked ? "canary_faults" : "not_confirmed";
}

static json_t *pass_mark_json(const struct cell *c, const struct pass *p)
{
	return json_pack("{s:s,s:o,s:i,s:o}", "evidence", mark_evidence(c, p), "canary_faults",
			 p->canary_faults < 0 ? json_null() : json_integer(p->canary_faults),
			 "checks", p->canary_checks, "scan_seq_rise",
			 p->seq_rise < 0 ? json_null() : json_integer((json_int_t)p->seq_rise));
}

static json_t *pass_json(const struct cell *c, const struct pass *p)
{
	char b[16];
	json_t *o =
	    json_pack("{s:b,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:f}", "marked", p->marked,
		      "pte_updates", (json_int_t)p->pte_updates, "hint_faults",
		      (json_int_t)p->during.v[NB_VM_numa_hint_faults], "hint_faults_local",
		      (json_int_t)p->during.v[NB_VM_numa_hint_faults_local], "pages_migrated",
		      (json_int_t)p->during.v[NB_VM_numa_pages_migrated], "pgmigrate_success",
		      (json_int_t)p->during.v[NB_VM_pgmigrate_success], "pgmigrate_fail",
		      (json_int_t)p->during.v[NB_VM_pgmigrate_fail], "reader_minflt",
		      (json_int_t)p->reader_minflt, "target_minflt", (json_int_t)p->target_minflt,
		      "pages_done", (json_int_t)p->done, "mark_wait_ms", p->mark_wait_ms);
	json_object_set_new(o, "placement_before",
			    nb_pages_per_node_json(p->before.per_node, NULL, 0));
	json_object_set_new(o, "placement_after",
			    nb_pages_per_node_json(p->after.per_node, NULL, 0));
	json_object_set_new(o, "pte_updates_during",
			    json_integer((json_int_t)p->during.v[NB_VM_numa_pte_updates]));
	json_object_set_new(o, "mark", pass_mark_json(c, p));
	json_object_set_new(o, "errno",
			    p->err ? json_string(gup_err_name(p->err, b, sizeof(b))) : json_null());
	if (p->fail[0])
		json_object_set_new(o, "fail", json_string(p->fail));
	if (p->data >= 0)
		json_object_set_new(o, "data_verified", json_boolean(p->data));
	if (c->kind == K_PATH)
		json_object_set_new(o, "probe",
				    json_pack("{s:o,s:o}", "prot_none", err_json(p->prot_none),
					      "read_only", err_json(p->read_only)));
	if (c->kind == K_PATH && p->prot_none != NOT_PROBED)
		json_object_set_new(o, "prot_none_after", pn_json(p));
	return o;
}

static void cell_probe_json(const struct cell *c, json_t *o)
{
	const struct pass *first = NULL;
	bool consistent = true;
	for (int i = 0; i < c->npass; i++) {
		int f = nb_gup_pass_force(nb_rpaths[c->path].write, c->pass[i].prot_none,
					  c->pass[i].read_only);
		if (f >= 0 && !first)
			first = &c->pass[i];
		consistent &= f < 0 || f == c->force;
	}
	json_object_set_new(o, "prot_none", first ? err_json(first->prot_none) : json_null());
	json_object_set_new(o, "read_only", first ? err_json(first->read_only) : json_null());
	json_object_set_new(o, "force_probed", json_boolean(c->force_probed));
	json_object_set_new(o, "force_consistent", json_boolean(consistent));
	json_object_set_new(o, "prot_none_holds", cell_pn_json(c));
}

static const char *cell_op(const struct cell *c)
{
	return c->kind == K_NULL				    ? "none"
	       : c->kind == K_POSITIVE || !nb_rpaths[c->path].write ? "read"
								    : "write";
}

const char *gup_cell_path(const struct cell *c)
{
	return c->kind == K_PATH ? nb_rpaths[c->path].name : nb_gup_kind_names[c->kind];
}

static const char *cell_errno(const struct cell *c, char *b, size_t len)
{
	for (int i = 0; i < c->npass; i++)
		if (c->pass[i].err)
			return gup_err_name(c->pass[i].err, b, len);
	return NULL;
}

static void cell_counts_json(const struct cell *c, json_t *o)
{
	char b[16];
	const char *e = cell_errno(c, b, sizeof(b));
	json_object_set_new(o, "pte_updates", median_json(c, V_PTE));
	json_object_set_new(o, "pte_updates_during", median_json(c, NB_VM_numa_pte_updates));
	json_object_set_new(o, "hint_faults", median_json(c, NB_VM_numa_hint_faults));
	json_object_set_new(o, "hint_faults_local", median_json(c, NB_VM_numa_hint_faults_local));
	json_object_set_new(o, "pages_migrated", median_json(c, NB_VM_numa_pages_migrated));
	json_object_set_new(o, "pgmigrate_success", median_json(c, NB_VM_pgmigrate_success));
	json_object_set_new(o, "pgmigrate_fail", median_json(c, NB_VM_pgmigrate_fail));
	json_object_set_new(o, "pgfault", median_json(c, NB_VM_pgfault));
	json_object_set_new(o, "reader_minflt", median_json(c, V_RMINFLT));
	json_object_set_new(o, "target_minflt", median_json(c, V_TMINFLT));
	json_object_set_new(o, "mark_wait_ms", median_json(c, V_MARKMS));
	json_object_set_new(o, "placement_before", placement_json(c, false));
	json_object_set_new(o, "placement_after", placement_json(c, true));
	json_object_set_new(o, "errno", e ? json_string(e) : json_null());
	if (c->nlat)
		json_object_set_new(o, "latency_ns",
				    nb_metric("ns", "lower", c->lat, (int)c->nlat));
	if (c->ntput)
		json_object_set_new(o, "throughput",
				    nb_metric("pages/s", "higher", c->tput, c->ntput));
}

static json_t *cell_json(const struct gup *g, const struct cell *c)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:b,s:b,s:I,s:I}", "path", gup_cell_path(c),
			      "op", cell_op(c), "kind", nb_gup_kind_names[c->kind], "pair", c->pair,
			      "balancing", c->balancing, "force", c->force, "ptrace_attached",
			      c->attached, "pages", (json_int_t)g->pages, "bytes_per_access",
			      (json_int_t)(c->kind == K_PATH && nb_rpaths[c->path].bytes
					       ? nb_rpaths[c->path].bytes
					       : g->psz));
	json_object_set_new(o, "reader_node", nb_json_count(c->b));
	json_object_set_new(o, "target_node", nb_json_count(c->a));
	json_object_set_new(o, "status", json_string(nb_status_name(c->status)));
	if (c->why[0])
		json_object_set_new(o, "reason", json_string(c->why));
	if (c->skip[0])
		return o;
	int marked = 0;
	json_t *passes = json_array();
	for (int i = 0; i < c->npass; i++) {
		marked += c->pass[i].marked;
		json_array_append_new(passes, pass_json(c, &c->pass[i]));
	}
	json_object_set_new(o, "passes", passes);
	json_object_set_new(o, "passes_marked", json_integer(marked));
	json_object_set_new(o, "mark_evidence",
			    json_string(c->balancing ? "canary_faults" : "not_checked"));
	cell_counts_json(c, o);
	if (c->kind == K_PATH)
		cell_probe_json(c, o);
	return o;
}

static json_t *force_effects_json(const struct gup *g)
{
	json_t *a = json_array();
	for (int i = 0; i < NB_RP_COUNT; i++)
		for (int m = 0; m < 2; m++) {
			const struct fprobe *f = &g->probe[i][m];
			int force = gup_probed_force(g, (enum nb_rpath)i, m);
			if (!f->ran)
				continue;
			json_t *o =
			    json_pack("{s:s,s:b,s:o,s:o}", "path", nb_rpaths[i].name,
				      "ptrace_attached", m, "prot_none", err_json(f->prot_none),
				      "read_only", err_json(f->read_only));
			json_object_set_new(o, "force",
					    force < 0 ? json_null() : json_boolean(force));
			json_array_append_new(a, o);
		}
	return a;
}

static const struct cell *control_of(const struct gup *g, const struct cell *c, enum kind k)
{
	for (int i = 0; i < g->ncells; i++) {
		const struct cell *x = &g->cells[i];
		if (x->kind == k && x->balancing == c->balancing && !strcmp(x->pair, c->pair))
			return x;
	}
	return NULL;
}

/* Share of pages that took a hinting fault in c, net of the null pass. */
static double faulted(const struct gup *g, const struct cell *c)
{
	return nb_gup_net_share(share(g, c, NB_VM_numa_hint_faults),
				share(g, control_of(g, c, K_NULL), NB_VM_numa_hint_faults));
}

static enum nb_status cell_status(const struct gup *g, const struct cell *c, char *why, size_t wl)
{
	struct nb_gup_tally t = {0};
	const struct pass *fail = NULL, *err = NULL;
	char b0[16], b1[16];
	for (int i = 0; i < c->npass; i++) {
		const struct pass *p = &c->pass[i];
		struct nb_gup_tally before = t;
		nb_gup_tally_add(&t, p->err, p->fail[0] != 0, c->balancing, p->marked,
				 p->pte_updates, p->before.on_intended, p->data);
		fail = !fail && t.failed > before.failed ? p : fail;
		err = !err && t.errs > before.errs ? p : err;
	}
	struct nb_gup_status_in in = {
	    .skip = c->skip,
	    .path = gup_cell_path(c),
	    .perm_err = c->npass ? gup_err_name(c->pass[0].err, b0, sizeof(b0)) : "",
	    .fail = fail ? fail->fail : NULL,
	    .err = err ? gup_err_name(err->err, b1, sizeof(b1)) : "",
	    .err_done = err ? err->done : 0,
	    .pages = g->pages,
	    .mark_timeout = g->mark_timeout_ms,
	    .node_a = c->a,
	    .positive_on = c->kind == K_POSITIVE && c->balancing,
	    .faulted = c->kind == K_POSITIVE && c->balancing ? faulted(g, c) : 0,
	};
	return nb_gup_status(&t, &in, why, wl);
}

/* What the pages did, in words: "faults and migrates toward reader", "no hinting fault"... */
static void verdict_text(const struct gup *g, const struct cell *c, char *out, size_t len)
{
	const struct cell *pos = control_of(g, c, K_POSITIVE);
	struct nb_gup_verdict_in in = {
	    .status = c->status,
	    .why = c->why,
	    .have_pos = pos != NULL,
	    .pos_status = pos ? pos->status : NB_SKIPPED,
	    .pos_why = pos ? pos->why : "",
	    .faulted = faulted(g, c),
	    .migrated = share(g, c, V_MOVED),
	    .pos_migrated = share(g, pos, V_MOVED),
	    .cross = c->a != c->b,
	};
	nb_gup_verdict(&in, out, len);
}

static json_t *verdicts_json(const struct gup *g, int *faulting, int *total)
{
	json_t *a = json_array();
	*faulting = *total = 0;
	for (int i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		char v[256];
		if (c->kind != K_PATH || c->balancing != 1 || c->skip[0])
			continue;
		verdict_text(g, c, v, sizeof(v));
		json_array_append_new(
		    a,
		    json_pack("{s:s,s:s,s:b,s:b,s:s,s:o,s:o,s:s,s:f,s:f}", "path", gup_cell_path(c),
			      "op", cell_op(c), "force", c->force, "ptrace_attached", c->attached,
			      "pair", c->pair, "reader_node", nb_json_count(c->b), "target_node",
			      nb_json_count(c->a), "verdict", v, "faulted_share", faulted(g, c),
			      "migrated_share", share(g, c, V_MOVED)));
		if (!strcmp(c->pair, "cross") || g->node_b < 0) {
			(*total)++;
			*faulting += !strncmp(v, "faults", 6);
		}
	}
	return a;
}

/* The last proc_mem.force_override= on the kernel command line (the kernel keeps the last). */
static json_t *force_override_json(void)
{
	static const char key[] = "proc_mem.force_override=";
	char buf[4096], *save = NULL, *found = NULL;
	if (nb_read_file("/proc/cmdline", buf, sizeof(buf)))
		return json_null();
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save))
		if (!strncmp(t, key, sizeof(key) - 1))
			found = t + sizeof(key) - 1;
	return found ? json_string(found) : json_null();
}

static enum nb_status cells_json(struct gup *g)
{
	json_t *cells = json_array();
	enum nb_status worst = NB_SKIPPED;
	int bad = 0, ran = 0;
	for (int i = 0; i < g->ncells; i++) {
		struct cell *c = &g->cells[i];
		c->status = cell_status(g, c, c->why, sizeof(c->why));
	}
	for (int i = 0; i < g->ncells; i++) {
		const struct cell *c = &g->cells[i];
		json_array_append_new(cells, cell_json(g, c));
		if (c->status == NB_SKIPPED)
			continue;
		ran++;
		worst = worst == NB_SKIPPED || c->status > worst ? c->status : worst;
		bad += c->status != NB_OK;
	}
	json_object_set_new(g->run, "cells", cells);
	if (!ran)
		nb_run_reason(g->run, "no cell can run here (see cells[].reason)");
	else if (bad)
		nb_run_reason(g->run, "%d of %d cells untrustworthy or failed (see cells[].reason)",
			      bad, ran);
	return worst;
}

static void run_facts(struct gup *g)
{
	json_t *r = g->run;
	const struct nb_caps *caps = g->ctx->caps;
	json_object_set_new(r, "proc_mem_force_override", force_override_json());
	json_object_set_new(r, "caps_proc_mem_force",
			    caps->proc_mem_force < 0 ? json_null()
						     : json_boolean(caps->proc_mem_force));
	json_object_set_new(r, "force_effects", force_effects_json(g));
	json_object_set_new(r, "target_node", json_integer(g->node_a));
	json_object_set_new(r, "reader_node", nb_json_count(g->node_b));
	json_object_set_new(r, "numa_balancing_at_start", json_integer(g->bal_start));
	json_object_set_new(r, "repeat", json_integer(g->repeat));
	json_object_set_new(
	    r, "mark_check",
	    json_pack("{s:s,s:i,s:s}", "evidence", "canary_faults", "canary_pages",
		      GUP_CANARY_PAGES, "rule",
		      "balancing on: a pass starts once each canary page, which ends the target's "
		      "buffer VMA and is read only by this check, took a hinting fault when the "
		      "target read it (checked after each rise of the target's mm->numa_scan_seq, "
		      "once numa_pte_updates covers the buffer); the canary pages are left out of "
		      "placements"));
	json_object_set_new(
	    r, "method",
	    json_string("fresh 2-thread target per pass, pinned to the target node, buffer "
			"first-touched there; balancing set before it starts; pass after the "
			"scanner marked the buffer, target frozen; reader pinned to the reader "
			"node; null pass and positive control in every run (see README.md, "
			"\"The gup bench: Protocol, and why\")"));
}

enum nb_status gup_results(struct gup *g)
{
	int faulting, total;
	enum nb_status st = cells_json(g);
	json_object_set_new(g->run, "verdicts", verdicts_json(g, &faulting, &total));
	run_facts(g);
	if (total) {
		char h[96];
		snprintf(h, sizeof(h), "%d of %d paths take hinting faults (balancing on)",
			 faulting, total);
		json_object_set_new(g->run, "headline", json_string(h));
	}
	return st;
}
