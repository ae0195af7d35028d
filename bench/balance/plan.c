/* numabench bench `balance`: the plan. Owns the choice of nodes A and B, the specs (baselines,
 * then remote and local workloads per variant and mode), the run order of a repetition, and
 * the knobs: kernel.numa_balancing per run, the scan tunables lowered for the bench through
 * harness/scan.c and recorded. */
#include "balance/balance.h"
#include "tunables.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const bal_place_names[] = {"remote", "local", "bound-local", "bound-remote"};

struct trial *bal_trial_of(struct bal *b, int spec, int rep)
{
	return &b->trials[spec * b->reps + rep];
}

int bal_spec_mem_node(const struct bal *b, const struct spec *s)
{
	return s->place == PL_REMOTE || s->place == PL_BOUND_REMOTE ? b->node_b : b->node_a;
}

static int node_index(const struct nb_topo *t, int id)
{
	for (int i = 0; i < t->nnodes; i++)
		if (t->nodes[i].id == id)
			return i;
	return -1;
}

/* Node A: the first cpu node with memory. Node B: another memory node, a memory-only one if
 * the run has it (the only way to exercise tiering), else the farthest from A. */
int bal_pick_nodes(struct bal *b, char *why, size_t len)
{
	int cn[NB_MAX_NODES], ncn = nb_ctx_cpu_nodes(b->ctx, cn);
	const struct nb_topo *t = b->ctx->topo;
	b->nmem = nb_ctx_mem_nodes(b->ctx, b->mem);
	b->node_a = b->node_b = -1;
	for (int i = 0; i < ncn && b->node_a < 0; i++)
		for (int j = 0; j < b->nmem; j++)
			if (b->mem[j] == cn[i])
				b->node_a = cn[i];
	uint64_t best = 0;
	for (int j = 0; j < b->nmem && b->node_a >= 0; j++) {
		int id = b->mem[j], ia = node_index(t, b->node_a), ib = node_index(t, id);
		bool memonly = nb_ctx_node_cpus(b->ctx, id, NULL) == 0;
		uint64_t dist = ia >= 0 && ib >= 0 ? t->distances[ia][ib] : 0;
		uint64_t score = (memonly ? 1ull << 40 : 0) + 1 + dist;
		if (id != b->node_a && score > best) {
			best = score;
			b->node_b = id;
			b->memonly = memonly;
		}
	}
	if (b->node_a < 0 || b->node_b < 0) {
		snprintf(why, len, "needs a node with cpus and memory and a second memory node");
		return -1;
	}
	return 0;
}

static void add_spec(struct bal *b, enum place pl, bool free_move, int mode)
{
	struct spec *s = &b->specs[b->nspecs++];
	s->place = pl;
	s->free_move = free_move;
	s->mode = mode;
	snprintf(s->variant, sizeof(s->variant), "%s%s", bal_place_names[pl],
		 pl >= PL_BOUND_LOCAL ? ""
		 : free_move	      ? "-free"
				      : "-pinned");
}

/* Hard-bound baselines (balancing off), then remote and local workloads for each variant
 * and mode. */
void bal_plan(struct bal *b, const struct nb_params *p)
{
	const struct nb_param_val *mv = &p->v[BAL_P_MODES];
	int modes[4], nmodes = 0, pinned = p->v[BAL_P_PINNED].choice;
	bool seen[4] = {false};
	for (int i = 0; i < mv->nlist; i++)
		if (!seen[mv->list[i]]) { /* a list may repeat a mode: run it once */
			seen[mv->list[i]] = true;
			modes[nmodes++] = (int)mv->list[i];
		}
	if (!nmodes) {
		modes[nmodes++] = 0;
		modes[nmodes++] = 1;
		for (int i = 2; i < 4 && b->memonly; i++)
			modes[nmodes++] = i;
	}
	add_spec(b, PL_BOUND_LOCAL, false, 0);
	add_spec(b, PL_BOUND_REMOTE, false, 0);
	for (int v = 0; v < 2; v++) {
		if ((v == 0 && pinned == BAL_PINNED_NO) || (v == 1 && pinned == BAL_PINNED_YES))
			continue;
		for (int pl = PL_REMOTE; pl <= PL_LOCAL; pl++)
			for (int m = 0; m < nmodes; m++)
				add_spec(b, (enum place)pl, v == 1, modes[m]);
	}
}

void bal_cfg_init(struct bal *b, const struct nb_params *p)
{
	struct wl_cfg *c = &b->cfg;
	c->thp = p->v[BAL_P_THP].choice;
	size_t align = c->thp ? THP_BYTES : (size_t)sysconf(_SC_PAGESIZE);
	c->size = (p->v[BAL_P_SIZE].u + align - 1) / align * align;
	c->threads = (int)p->v[BAL_P_THREADS].u;
	c->random = p->v[BAL_P_PATTERN].choice == BAL_RANDOM;
	c->write = p->v[BAL_P_ACCESS].choice == BAL_WRITE;
	c->cpus = nb_ctx_cpu_list(b->ctx);
	c->all = nb_ctx_cpu_list(b->ctx);
	c->ncpus = nb_ctx_node_cpus(b->ctx, b->node_a, c->cpus);
	c->nall = b->ctx->ncpus;
	memcpy(c->all, b->ctx->cpus, sizeof(int) * (size_t)c->nall);
	b->procs = p->v[BAL_P_SHARING].choice;
	b->interval = (double)p->v[BAL_P_INTERVAL_MS].u / 1000.0;
	b->nsamples = (int)(p->v[BAL_P_DURATION_S].u * 1000 / p->v[BAL_P_INTERVAL_MS].u);
	b->reps = b->ctx->repeat ? b->ctx->repeat : b->ctx->quick ? 1 : 2;
}

/* Run order of one repetition: specs grouped by mode (stable), the whole list reversed on odd
 * repetitions (ABBA), so drift over time favours no mode. Grouping by mode keeps changes of
 * kernel.numa_balancing few: each one flips the sched_numa_balancing static key, i.e. patches
 * live kernel text (__set_numabalancing_state(), kernel/sched/core.c, 6.1 and 6.12;
 * KERNEL-NOTES.md#KN-numa-balancing-modes), and a
 * guest under QEMU TCG has been seen to oops on an int3 left by such patching. */
void bal_rep_order(const struct bal *b, int r, int *idx)
{
	int n = 0;
	for (int m = 0; m < 4; m++)
		for (int i = 0; i < b->nspecs; i++)
			if (b->specs[i].mode == m)
				idx[n++] = i;
	for (int i = 0; r % 2 && i < n / 2; i++) {
		int t = idx[i];
		idx[i] = idx[n - 1 - i];
		idx[n - 1 - i] = t;
	}
}

int bal_set_mode(struct bal *b, int mode, struct trial *tr)
{
	char v[16], err[256];
	snprintf(v, sizeof(v), "%d", mode);
	if (nb_tunable_set(b->knob, v, err, sizeof(err))) {
		snprintf(tr->reason, sizeof(tr->reason), "%s", err);
		return -1;
	}
	nb_tunable_get(b->knob, tr->mode_read, sizeof(tr->mode_read));
	return 0;
}

/* The kernel default scan delay and period are 1000 ms
 * (harness/KERNEL-NOTES.md#KN-scan-tunables): lowering them to scan_ms makes the scanner's work
 * visible in a few seconds. Journaled by the tunables table like any knob (harness/scan.c). */
void bal_knobs_lower(struct bal *b, const struct nb_params *p)
{
	long ms = (long)p->v[BAL_P_SCAN_MS].u;
	nb_scan_begin(&b->scan);
	for (int i = NB_SCAN_DELAY; ms && i <= NB_SCAN_PERIOD_MIN; i++)
		nb_scan_lower(&b->scan, (enum nb_scan_knob_id)i, ms, b->ctx->caps->root);
}

/* Put back what the bench changed, so later benches of the run see the run's settings. The
 * journal still holds the originals; the runner restores those at the end. */
void bal_knobs_restore(struct bal *b)
{
	nb_scan_restore(&b->scan);
}
