/* numabench: a run's context: the --nodes/--cpus sets within what this process may use, the
 * context prepared for a run or a plan (sets, counters, every bench's parameters checked),
 * and the helpers benches ask it (memory nodes, a node's cpus, memory that fits). */
#include "counters.h"
#include "memcg.h"
#include "place.h"
#include "runner.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Why a named cpu cannot be used: the cpu's state, else the affinity. */
static const char *cpu_why(const struct nb_topo *t, int cpu)
{
	const char *st = nb_topo_cpu_state(t, cpu);
	return st ? st : "is not allowed by this process's cpuset or affinity";
}

static const char *node_why(const struct nb_topo *t, int node)
{
	return nb_topo_node(t, node) ? "is not allowed by the cgroup" : "does not exist";
}

/* A --cpus/--nodes value as a set within `usable` (printed as `valid`); NULL with one line on
 * stderr naming the bad value and what is valid. */
static struct bitmask *pick(const struct nb_ctx *ctx, enum nb_set_kind k, const char *arg,
			    const struct bitmask *usable, const char *valid)
{
	const bool cpus = k == NB_SET_CPUS;
	const char *opt = cpus ? "--cpus" : "--nodes", *what = cpus ? "cpu" : "node";
	const char *vname = cpus ? "allowed" : "valid nodes";
	char err[512];
	bool named;
	long bad;
	struct bitmask *b = nb_set_parse(k, arg, usable, &named, &bad, err, sizeof(err));
	if (!b && bad >= 0 && bad <= INT_MAX && !nb_set_has(usable, (int)bad)) {
		nb_err("%s %s: %s %ld %s (%s: %s)", opt, arg, what, bad,
		       cpus ? cpu_why(ctx->topo, (int)bad) : node_why(ctx->topo, (int)bad), vname,
		       valid);
		return NULL;
	}
	if (!b) {
		nb_err(
		    "%s %s: %s; expected numactl syntax like 0-3,5 or all or !1 or +0-1 (%s: %s)",
		    opt, arg, err, vname, valid);
		return NULL;
	}
	for (unsigned i = 0; i < b->size; i++) {
		if (!numa_bitmask_isbitset(b, i) || nb_set_has(usable, (int)i))
			continue;
		if (named) {
			nb_err("%s %s: %s %u %s (%s: %s)", opt, arg, what, i,
			       cpus ? cpu_why(ctx->topo, (int)i) : node_why(ctx->topo, (int)i),
			       vname, valid);
			numa_bitmask_free(b);
			return NULL;
		}
		numa_bitmask_clearbit(b, i); /* "all", "!": meant within the allowed set */
	}
	if (nb_set_count(b) == 0) {
		nb_err("%s %s: selects no %s this run may use (%s: %s)", opt, arg, what, vname,
		       valid);
		numa_bitmask_free(b);
		return NULL;
	}
	return b;
}

int nb_ctx_setup(struct nb_ctx *ctx, const char *nodes, const char *cpus)
{
	const struct nb_topo *t = ctx->topo;
	const struct nb_caps *c = ctx->caps;
	char err[512];
	int rc = -1;
	struct bitmask *unodes = nb_set_new(NB_MAX_NODE_ID),
		       *ucpus = nb_set_new((unsigned)(t->cpu_slots > 0 ? t->cpu_slots : 1));
	for (int i = 0; i < t->nnodes; i++)
		if (nb_set_has(c->allowed_nodes, t->nodes[i].id))
			numa_bitmask_setbit(unodes, (unsigned)t->nodes[i].id);
	for (unsigned i = 0; i < t->cpuset->size; i++)
		if (numa_bitmask_isbitset(t->cpuset, i) && nb_set_has(c->allowed_cpus, (int)i))
			numa_bitmask_setbit(ucpus, i);
	char *vn = nb_set_str(unodes), *vc = nb_set_str(ucpus);
	if (!vn || !vc) {
		nb_err("out of memory");
		goto out;
	}
	ctx->nodeset = nodes ? pick(ctx, NB_SET_NODES, nodes, unodes, vn) : nb_set_copy(unodes);
	ctx->cpuset = cpus ? pick(ctx, NB_SET_CPUS, cpus, ucpus, vc) : nb_set_copy(ucpus);
	if (!ctx->nodeset || !ctx->cpuset)
		goto out;
	ctx->nnodes =
	    nb_set_ids(ctx->nodeset, ctx->nodes, NB_MAX_NODES, NB_SET_NODES, err, sizeof(err));
	free(ctx->cpus);
	ctx->cpus = nb_xcalloc(nb_set_count(ctx->cpuset), sizeof(int));
	if (ctx->nnodes >= 0)
		ctx->ncpus = nb_set_ids(ctx->cpuset, ctx->cpus, (int)nb_set_count(ctx->cpuset),
					NB_SET_CPUS, err, sizeof(err));
	if (ctx->nnodes < 0 || ctx->ncpus < 0) {
		nb_err("%s", err);
		goto out;
	}
	rc = 0;
out:
	free(vn);
	free(vc);
	numa_bitmask_free(unodes);
	numa_bitmask_free(ucpus);
	return rc;
}

void nb_ctx_free(struct nb_ctx *ctx)
{
	numa_bitmask_free(ctx->cpuset);
	numa_bitmask_free(ctx->nodeset);
	free(ctx->cpus);
	ctx->cpus = NULL;
	ctx->cpuset = ctx->nodeset = NULL;
	ctx->ncpus = ctx->nnodes = 0;
}

/* The context of a run or a plan: the sets, the counters asked for, every bench's parameters
 * validated against them; -1 with the message said (exit 2). ctx is always set (freeable). */
int nb_ctx_prepare(struct nb_ctx *ctx, struct nb_topo *topo, struct nb_caps *caps,
		   const struct nb_run_opts *o)
{
	char err[512];
	memset(ctx, 0, sizeof(*ctx));
	ctx->topo = topo;
	ctx->caps = caps;
	ctx->repeat = o->repeat;
	ctx->quick = o->quick;
	ctx->events = o->events;
	if (nb_ctx_setup(ctx, o->nodes, o->cpus))
		return -1;
	if (o->events) {
		struct nb_counters *c = nb_counters_new(o->events, err, sizeof(err));
		if (!c) {
			nb_err("--events: %s", err);
			return -1;
		}
		nb_counters_free(c);
	}
	for (int i = 0; i < o->njobs; i++) {
		if (nb_params_check(&o->jobs[i].p, err, sizeof(err))) {
			nb_err("%s", err);
			return -1;
		}
		if (o->jobs[i].b->validate &&
		    o->jobs[i].b->validate(ctx, &o->jobs[i].p, err, sizeof(err))) {
			nb_err("%s", err);
			return -1;
		}
	}
	return 0;
}

/* ---- context helpers used by benches ---- */

static bool ctx_has_node(const struct nb_ctx *ctx, int id)
{
	for (int i = 0; i < ctx->nnodes; i++)
		if (ctx->nodes[i] == id)
			return true;
	return false;
}

int nb_ctx_mem_nodes(const struct nb_ctx *ctx, int *out)
{
	int n = 0;
	for (int i = 0; i < ctx->topo->nnodes; i++) {
		const struct nb_node *nd = &ctx->topo->nodes[i];
		if (nd->memory_bytes > 0 && ctx_has_node(ctx, nd->id))
			out[n++] = nd->id;
	}
	return n;
}

int nb_ctx_node_cpus(const struct nb_ctx *ctx, int node, int *out)
{
	const struct nb_node *nd = nb_topo_node(ctx->topo, node);
	int n = 0;
	for (int c = 0; nd && c < nd->ncpus; c++)
		if (nb_set_has(ctx->cpuset, nd->cpus[c])) {
			if (out)
				out[n] = nd->cpus[c];
			n++;
		}
	return n;
}

int *nb_ctx_cpu_list(const struct nb_ctx *ctx)
{
	return nb_xcalloc((size_t)ctx->ncpus, sizeof(int));
}

int nb_ctx_node_one_cpu(const struct nb_ctx *ctx, int node)
{
	int *cpus = nb_ctx_cpu_list(ctx);
	int one = nb_place_one_cpu(cpus, nb_ctx_node_cpus(ctx, node, cpus));
	free(cpus);
	return one;
}

int nb_ctx_cpu_nodes(const struct nb_ctx *ctx, int *out)
{
	int n = 0;
	for (int i = 0; i < ctx->topo->nnodes; i++) {
		int id = ctx->topo->nodes[i].id;
		if (ctx_has_node(ctx, id) && nb_ctx_node_cpus(ctx, id, NULL) > 0)
			out[n++] = id;
	}
	return n;
}

int nb_ctx_check_mem(const struct nb_ctx *ctx, uint64_t bytes, const char *what, char *err,
		     size_t errlen)
{
	int mem[NB_MAX_NODES], n = nb_ctx_mem_nodes(ctx, mem);
	/* A replay (run --plan): the replayed node's size; this machine's cgroup is not its. */
	bool replay = ctx->topo->replayed || ctx->topo->fsroot_replay;
	for (int i = 0; i < n; i++) {
		const struct nb_node *nd = nb_topo_node(ctx->topo, mem[i]);
		uint64_t fr = replay ? (nd ? nd->memory_bytes : 0) : nb_node_free_bytes(mem[i]);
		if (fr && bytes > fr) {
			char a[32], b[32];
			nb_fmt_size(bytes, a, sizeof(a));
			snprintf(b, sizeof(b), "%.1fM", fr / 1048576.0);
			snprintf(err, errlen,
				 "%s=%s is larger than node %d's free memory (%s); valid: a size "
				 "below that",
				 what, a, mem[i], b);
			return -1;
		}
	}
	struct nb_memcg m;
	if (!replay && nb_memcg_headroom(&m) != UINT64_MAX && bytes + NB_MEM_SLACK > m.headroom) {
		char a[32], l[32], u[32], h[32], s[32];
		nb_fmt_size(bytes, a, sizeof(a));
		snprintf(l, sizeof(l), "%.1fM", m.limit / 1048576.0);
		snprintf(u, sizeof(u), "%.1fM", m.usage / 1048576.0);
		snprintf(h, sizeof(h), "%.1fM",
			 m.headroom > NB_MEM_SLACK ? (m.headroom - NB_MEM_SLACK) / 1048576.0 : 0.0);
		snprintf(s, sizeof(s), "%lluM", (unsigned long long)(NB_MEM_SLACK >> 20));
		snprintf(err, errlen,
			 "%s=%s does not fit in memory cgroup %s (limit %s, in use %s, plus %s for "
			 "numabench itself); valid: a size below %s",
			 what, a, m.cgroup, l, u, s, h);
		return -1;
	}
	return 0;
}
