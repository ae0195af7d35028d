/* numabench bench `gup`: the plan. Owns the choice of nodes A and B, the force probe that
 * runs before the cells (protocol point 9), and the cells: (pair x balancing) x (null, positive
 * control, each path mode), with the reason a cell cannot run here. */
#include "gup/gup.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int node_index(const struct nb_topo *t, int id)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->nodes[i].id == id)
			return i;
	return -1;
}

static bool in_set(const int *v, int n, int x)
{
	for (int i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

/* A = first node of the run with cpus and memory; B = the nearest other such node. */
int gup_pick_nodes(struct gup *g)
{
	const struct nb_ctx *ctx = g->ctx;
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES], ok[NB_MAX_NODES], n = 0;
	int ncn = nb_ctx_cpu_nodes(ctx, cn), nmn = nb_ctx_mem_nodes(ctx, mn);
	for (int i = 0; i < ncn; i++)
		if (in_set(mn, nmn, cn[i]))
			ok[n++] = cn[i];
	if (n == 0)
		return -1;
	g->node_a = ok[0];
	g->node_b = -1;
	uint64_t best = UINT64_MAX;
	int ia = node_index(ctx->topo, g->node_a);
	for (int i = 1; i < n; i++) {
		int ib = node_index(ctx->topo, ok[i]);
		uint64_t d = ctx->topo->have_distances ? ctx->topo->distances[ia][ib] : (uint64_t)i;
		if (d < best) {
			best = d;
			g->node_b = ok[i];
		}
	}
	if (g->node_b < 0)
		snprintf(g->no_cross, sizeof(g->no_cross),
			 "cross-node cells need 2 nodes with cpus and memory; this run has 1");
	return 0;
}

/* Force of a probed mode: a read path reading PROT_NONE, a write path writing read-only. */
int gup_probed_force(const struct gup *g, enum nb_rpath p, bool attached)
{
	const struct fprobe *f = &g->probe[p][attached];
	return nb_gup_probe_force(nb_rpaths[p].write, f->ran, f->prot_none, f->read_only);
}

/* Force when the probe could not tell: what the kernel applies
 * (harness/KERNEL-NOTES.md#KN-gup-foll-force, #KN-proc-mem-force-override). */
static bool expected_force(const struct gup *g, enum nb_rpath p, bool attached)
{
	return nb_gup_expected_force(nb_rpaths[p].ptrace, nb_rpaths[p].memfd, attached,
				     g->ctx->caps->proc_mem_force);
}

/* A cell of kind k like tmpl (pair, nodes, balancing, skip reason). */
static struct cell *cell_add(struct gup *g, const struct cell *tmpl, enum kind k, enum nb_rpath p,
			     bool attached)
{
	if (g->ncells >= MAX_CELLS)
		return NULL;
	struct cell *c = &g->cells[g->ncells++];
	memset(c, 0, sizeof(*c));
	c->kind = k;
	c->path = p;
	c->attached = attached;
	c->balancing = tmpl->balancing;
	c->pair = tmpl->pair;
	c->a = tmpl->a;
	c->b = tmpl->b;
	snprintf(c->skip, sizeof(c->skip), "%s", tmpl->skip);
	if (k == K_PATH) {
		int f = gup_probed_force(g, p, attached);
		c->force_probed = f >= 0;
		c->force = f >= 0 ? f : expected_force(g, p, attached);
	}
	return c;
}

/* The modes of one path: process_vm unattached, ptrace attached; /proc/PID/mem unattached,
 * and attached too when the attach changes the force the kernel applies. */
static void path_cells(struct gup *g, enum nb_rpath p, const struct cell *tmpl)
{
	bool unattached, attached;
	nb_gup_path_modes(nb_rpaths[p].ptrace, nb_rpaths[p].memfd, gup_probed_force(g, p, false),
			  gup_probed_force(g, p, true), &unattached, &attached);
	if (unattached)
		cell_add(g, tmpl, K_PATH, p, false);
	if (attached)
		cell_add(g, tmpl, K_PATH, p, true);
}

static void why_not(const struct gup *g, struct cell *t, bool cross)
{
	long now = nb_scan_value(NB_SCAN_BALANCING);
	t->skip[0] = 0;
	if (cross && g->node_b < 0)
		snprintf(t->skip, sizeof(t->skip), "%s", g->no_cross);
	else if (!g->can_set_bal && now != t->balancing)
		snprintf(t->skip, sizeof(t->skip),
			 "needs root to set kernel.numa_balancing=%d (it is %ld here)",
			 t->balancing, now);
	else if (g->setup_fail[0])
		snprintf(t->skip, sizeof(t->skip), "%s", g->setup_fail);
}

void gup_cells_build(struct gup *g)
{
	for (int pi = 0; pi < g->pairs->nlist; pi++)
		for (int bi = 0; bi < g->modes->nlist; bi++) {
			bool cross = g->pairs->list[pi] == GUP_CROSS;
			struct cell t = {.pair = cross ? "cross" : "local",
					 .balancing = (int)g->modes->list[bi],
					 .a = g->node_a,
					 .b = cross ? g->node_b : g->node_a};
			why_not(g, &t, cross);
			cell_add(g, &t, K_NULL, 0, false);
			cell_add(g, &t, K_POSITIVE, 0, false);
			for (int i = 0; i < g->paths->nlist; i++)
				path_cells(g, (enum nb_rpath)g->paths->list[i], &t);
		}
}

/* ---- force probe ------------------------------------------------------------------------ */

static void probe_mode(struct gup *g, const struct target *t, bool attached, int attach_err)
{
	struct nb_remote r = {t->pid, gup_open_mem(t->pid), g->scratch, g->psz};
	int memerr = r.memfd < 0 ? errno : 0;
	for (int i = 0; i < NB_RP_COUNT; i++) {
		enum nb_rpath p = (enum nb_rpath)i;
		struct fprobe *f = &g->probe[p][attached];
		if (!nb_rpaths[p].memfd && nb_rpaths[p].ptrace != attached)
			continue; /* process_vm is probed unattached, ptrace attached */
		int pre = attach_err ? attach_err : nb_rpaths[p].memfd ? memerr : 0;
		f->ran = true;
		f->prot_none = pre ? pre : nb_remote_access(p, &r, t->r.prot_none);
		f->read_only = pre ? pre : nb_remote_access(p, &r, t->r.ro);
	}
	if (r.memfd >= 0)
		close(r.memfd);
}

/* Which force each path gets here, from the user-visible side (point 9). */
void gup_probe_paths(struct gup *g)
{
	struct target t = {.pid = -1, .sock = -1};
	char why[160];
	if (gup_spec_for(g, g->node_a, g->node_a, 1) ||
	    gup_target_start(&t, &g->spec, why, sizeof(why)) || gup_target_sigstop(&t)) {
		snprintf(g->setup_fail, sizeof(g->setup_fail), "force probe: %s",
			 t.pid > 0 ? strerror(errno) : why);
		gup_target_stop(&t);
		return;
	}
	probe_mode(g, &t, false, 0);
	probe_mode(g, &t, true, gup_target_attach(&t) ? errno : 0);
	gup_target_stop(&t);
}
