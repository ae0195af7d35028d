/* numabench bench `migrate`: what moving a page between nodes costs, per (source, target)
 * node pair, for 4 KiB pages and THP, by each way a program can ask for it: move_pages(2) one
 * page per call and batched, migrate_pages(2), and mbind(2) with MPOL_MF_MOVE.
 *
 * Each sample is one fresh buffer in one forked child: the parent maps it (bound to the
 * source node) but never touches it; the child, pinned to a cpu, first-touches it (so every
 * page is the child's alone: mapcount 1, what MPOL_MF_MOVE moves), counts where its pages
 * are, then times the migration calls, and counts again with a move_pages(2) query of every
 * page. The parent reads /proc/vmstat around the timed calls and the child's numa_maps after
 * them: the pages moved are checked against the pages asked from both. A child because
 * migrate_pages(2) moves every page of a process on the source node: in a child that holds
 * little else, with CAP_SYS_NICE dropped (root would move shared pages: MPOL_MF_MOVE_ALL),
 * the other pages it moves are few, and they are reported (`other_pages_moved`). */
#include "bench.h"
#include "cells.h"
#include "classes.h"
#include "order.h"
#include "place.h"
#include "plan.h"
#include "sampler.h"
#include "stats.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <math.h>
#include <numa.h>
#include <numaif.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HUGE_SZ (2u << 20)
/* move_pages_single's size by time: the trial's calls and the fewest pages a sample moves. */
#define TRIAL_UNITS(thp) ((thp) ? 2u : 64u)
#define FLOOR_UNITS(thp) ((thp) ? 1u : 64u)
/* The cost model's cost of one move_pages_single call (seconds), before the trial measures
 * it. */
#define CALL_MODEL_S(thp) ((thp) ? 1e-3 : 20e-6)

enum method { M_SINGLE, M_BATCH, M_MIGRATE, M_MBIND, M_COUNT };
static const struct nb_choice method_choices[] = {
    {"move_pages_single", M_SINGLE, "move_pages(2), one page per call"},
    {"move_pages_batch", M_BATCH, "move_pages(2), `batch` pages per call"},
    {"migrate_pages", M_MIGRATE, "migrate_pages(2) of the process"},
    {"mbind", M_MBIND, "mbind(2) MPOL_BIND with MPOL_MF_MOVE"},
    {NULL, 0, NULL},
};

enum { P_SIZE, P_PAGES, P_METHOD, P_BATCH, P_SINGLE_MS, P_CI_MAX, P_PAIRS, P_COUNT };

static const struct nb_param_def params[] = {
    [P_SIZE] = {"size", NB_P_SIZE, "bytes", "64M", 2 << 20, 64.0 * (1ull << 30), NULL,
		"buffer migrated per sample (a fresh one each time)"},
    [P_PAGES] = NB_PARAM_PAGES,
    [P_METHOD] =
	{"method", NB_P_ENUMS, "", "move_pages_single,move_pages_batch,migrate_pages,mbind", 0, 0,
	 method_choices,
	 "how the move is asked: move_pages(2) one page per call, move_pages(2) `batch` pages per "
	 "call, migrate_pages(2) of the process, mbind(2) MPOL_BIND with MPOL_MF_MOVE"},
    [P_BATCH] = {"batch", NB_P_INT, "pages", "512", 2, 1 << 20, NULL,
		 "pages per move_pages(2) call in move_pages_batch (a THP counts as one page)"},
    [P_SINGLE_MS] = {"single_ms", NB_P_DOUBLE, "ms", "10", 0, 60000, NULL,
		     "move_pages_single's samples are sized by time: a trial of a few calls "
		     "measures one call's cost, and a sample moves as many pages (a power of two, "
		     "at most `size`) as take about this long, less under a budget when the cell's "
		     "share is smaller; 0: the whole `size`"},
    [P_CI_MAX] = NB_PARAM_CI_MAX("0.05"),
    [P_PAIRS] = NB_PARAM_PAIRS,
    [P_COUNT] = NB_PARAMS_END,
};

static const char *method_name(enum method m)
{
	return nb_param_choice_name(&params[P_METHOD], (int)m);
}

/* What the child reports, in a shared page. Counts are base (4 KiB) pages. */
struct report {
	int err; /* errno of a failed step, 0 */
	char step[32];
	uint64_t t_ns;	/* the timed calls */
	uint64_t calls; /* syscalls made */
	int64_t failed; /* calls that returned -1, or migrate_pages' "not moved" count */
	uint64_t before_src, before_total;
	uint64_t status_dst; /* move_pages: pages whose status says the target node */
	uint64_t on_dst, on_src, on_other, absent; /* query of every page after */
};

struct cell_arg {
	int src, dst, thp;
	enum method m;
	size_t size;
	uint64_t batch;
	int *cpus, ncpus; /* room for every cpu of the run */
	struct nb_rule rule;
	struct report *rep; /* MAP_SHARED */
	void **addrs;	    /* batch work arrays, allocated before fork */
	int *nodes, *status;
	/* per sample */
	double ns_page[64];
	int n;
	/* accumulated */
	struct nb_vmstat vm;
	uint64_t asked, moved, status_dst, maps_dst, maps_total, calls, before_src;
	int64_t failed;
	uint64_t other_moved;
	double worst_share; /* lowest share on the target over the samples */
	struct nb_placement last_maps;
	double thp_share;
	int err;
	char errstep[64];
};

static void set_bit(unsigned long *mask, int node)
{
	mask[node / (8 * sizeof(long))] |= 1ul << (node % (8 * sizeof(long)));
}

/* Drop CAP_SYS_NICE from the effective set: migrate_pages(2) then uses MPOL_MF_MOVE (pages
 * this process alone maps), not MPOL_MF_MOVE_ALL. */
static void drop_sys_nice(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		return;
	d[CAP_SYS_NICE / 32].effective &= ~(1u << (CAP_SYS_NICE % 32));
	syscall(SYS_capset, &h, d);
}

/* Where every base page of [p, p+len) is (move_pages query, in chunks). */
static void count_pages(char *p, size_t len, int src, int dst, struct report *r, bool after)
{
	enum { CH = 512 };
	void *pg[CH];
	int st[CH];
	size_t n = len / 4096;
	for (size_t i = 0; i < n; i += CH) {
		unsigned k = (unsigned)(n - i < CH ? n - i : CH);
		for (unsigned j = 0; j < k; j++)
			pg[j] = p + (i + j) * 4096;
		if (syscall(SYS_move_pages, 0, (unsigned long)k, pg, NULL, st, 0)) {
			r->err = errno;
			snprintf(r->step, sizeof(r->step), "move_pages query");
			return;
		}
		for (unsigned j = 0; j < k; j++) {
			if (!after) {
				r->before_total++;
				r->before_src += st[j] == src;
			} else if (st[j] == dst) {
				r->on_dst++;
			} else if (st[j] == src) {
				r->on_src++;
			} else if (st[j] >= 0) {
				r->on_other++;
			} else {
				r->absent++;
			}
		}
	}
}

static void child(struct cell_arg *a, struct nb_buf *b, int go_fd, int ready_fd)
{
	struct report *r = a->rep;
	if (a->ncpus && nb_pin_self(a->cpus, a->ncpus)) {
		r->err = errno;
		snprintf(r->step, sizeof(r->step), "pin");
	}
	char *p = b->p;
	size_t unit = a->thp ? HUGE_SZ : 4096, len = a->thp ? b->maplen : b->len;
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	count_pages(p, len, a->src, a->dst, r, false);
	if (a->m == M_MIGRATE)
		drop_sys_nice();
	char c = 'r';
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(1);
	unsigned long from[NB_MAX_NODE_ID / (8 * sizeof(long)) + 1] = {0};
	unsigned long to[NB_MAX_NODE_ID / (8 * sizeof(long)) + 1] = {0};
	set_bit(from, a->src);
	set_bit(to, a->dst);
	size_t units = len / unit;
	uint64_t t0 = nb_now_ns();
	if (a->m == M_SINGLE || a->m == M_BATCH) {
		size_t per = a->m == M_SINGLE ? 1 : a->batch;
		for (size_t i = 0; i < units; i += per) {
			unsigned long k = units - i < per ? units - i : per;
			for (unsigned long j = 0; j < k; j++) {
				a->addrs[j] = p + (i + j) * unit;
				a->nodes[j] = a->dst;
			}
			r->calls++;
			if (syscall(SYS_move_pages, 0, k, a->addrs, a->nodes, a->status,
				    MPOL_MF_MOVE)) {
				r->failed++;
				r->err = errno;
				snprintf(r->step, sizeof(r->step), "move_pages");
			}
			for (unsigned long j = 0; j < k; j++)
				r->status_dst += a->status[j] == a->dst ? unit / 4096 : 0;
		}
	} else if (a->m == M_MIGRATE) {
		r->calls = 1;
		long left =
		    syscall(SYS_migrate_pages, 0, (unsigned long)NB_MAX_NODE_ID + 1, from, to);
		if (left < 0) {
			r->err = errno;
			snprintf(r->step, sizeof(r->step), "migrate_pages");
		} else {
			r->failed = left;
		}
	} else {
		r->calls = 1;
		if (syscall(SYS_mbind, p, len, MPOL_BIND, to, (unsigned long)NB_MAX_NODE_ID + 1,
			    MPOL_MF_MOVE | MPOL_MF_STRICT)) {
			r->failed = 1;
			r->err = errno;
			snprintf(r->step, sizeof(r->step), "mbind");
		}
	}
	r->t_ns = nb_now_ns() - t0;
	count_pages(p, len, a->src, a->dst, r, true);
	/* Wait while the parent reads numa_maps and smaps, then go. */
	if (write(ready_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		_exit(1);
	_exit(0);
}

static void fail(struct cell_arg *a, const char *step, int e)
{
	if (!a->err) {
		a->err = e ? e : EIO;
		snprintf(a->errstep, sizeof(a->errstep), "%s", step);
	}
}

/* One sample: a fresh buffer, a fresh child. Returns ns per base page. */
static double one_sample(void *v)
{
	struct cell_arg *a = v;
	struct nb_buf b;
	if (a->err)
		return NAN;
	if (nb_buf_alloc(&b, a->size, NB_BIND, a->src, a->thp ? NB_PAGES_THP : NB_PAGES_4K)) {
		fail(a, "allocate", errno);
		return NAN;
	}
	memset(a->rep, 0, sizeof(*a->rep));
	int go[2], ready[2];
	if (pipe2(go, O_CLOEXEC) || pipe2(ready, O_CLOEXEC)) {
		fail(a, "pipe", errno);
		nb_buf_free(&b);
		return NAN;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		child(a, &b, go[0], ready[1]);
	}
	close(go[0]);
	close(ready[1]);
	double res = NAN;
	char c = 'g';
	struct nb_vmstat v0, v1, d;
	size_t len = a->thp ? b.maplen : b.len;
	if (pid < 0) {
		fail(a, "fork", errno);
		goto out;
	}
	if (read(ready[0], &c, 1) != 1) {
		fail(a, "child exited before the move", a->rep->err);
		goto reap;
	}
	nb_vmstat_read(&v0);
	if (write(go[1], &c, 1) != 1 || read(ready[0], &c, 1) != 1) {
		fail(a, "child exited during the move", a->rep->err);
		goto reap;
	}
	nb_vmstat_read(&v1);
	nb_vmstat_delta(&v0, &v1, &d);
	struct report *r = a->rep;
	if (r->err && a->m != M_MBIND && a->m != M_SINGLE && a->m != M_BATCH) {
		fail(a, r->step, r->err);
		goto reap;
	}
	if (r->err && !strcmp(r->step, "move_pages query")) {
		fail(a, r->step, r->err);
		goto reap;
	}
	struct nb_placement pm;
	if (nb_placement_numa_maps(pid, b.p, len, a->dst, &pm) == 0) {
		a->maps_dst += pm.per_node[a->dst];
		a->maps_total += pm.pages_sampled;
		a->last_maps = pm;
	}
	if (a->thp && a->n == 0)
		a->thp_share = (double)nb_thp_bytes_pid(pid, b.p, len) / (double)len;
	for (int i = 0; i < NB_VM_COUNT; i++)
		a->vm.v[i] = d.v[i] < 0 || a->vm.v[i] < 0 ? -1 : a->vm.v[i] + d.v[i];
	uint64_t asked = r->before_total;
	a->asked += asked;
	a->before_src += r->before_src;
	a->moved += r->on_dst;
	a->status_dst += r->status_dst;
	a->calls += r->calls;
	a->failed += r->failed;
	if (d.v[NB_VM_pgmigrate_success] > (int64_t)r->on_dst)
		a->other_moved += (uint64_t)d.v[NB_VM_pgmigrate_success] - r->on_dst;
	double share = asked ? (double)r->on_dst / (double)asked : 0;
	if (a->n == 0 || share < a->worst_share)
		a->worst_share = share;
	a->n++;
	res = (double)r->t_ns / (double)(asked ? asked : 1);
reap:
	if (write(go[1], &c, 1) < 0) {
		/* the child is gone already */
	}
	int wst;
	waitpid(pid, &wst, 0);
out:
	close(go[1]);
	close(ready[0]);
	nb_buf_free(&b);
	return res;
}

/* move_pages_single's buffer sized by time (nb_size_by_time): one trial sample of
 * TRIAL_UNITS calls measures a call's cost, then a sample moves as many pages as take the
 * target time (single_ms, or the cell's share of the budget left), recorded in
 * cell["size_rule"]. -1 when the trial failed (a->err says why). */
static int size_single(const struct nb_params *p, struct cell_arg *a, json_t *cell, int cells_left)
{
	static struct cell_arg keep;
	size_t unit = a->thp ? HUGE_SZ : 4096;
	uint64_t cap = a->size / unit ? a->size / unit : 1;
	double want = p->v[P_SINGLE_MS].d / 1e3;
	if (want <= 0) {
		json_object_set_new(cell, "size_rule", json_pack("{s:s}", "rule", "set"));
		return 0;
	}
	uint64_t trial = cap < TRIAL_UNITS(a->thp) ? cap : TRIAL_UNITS(a->thp);
	keep = *a;
	a->size = trial * unit;
	double ns_page = one_sample(a);
	int err = a->err;
	char step[sizeof(a->errstep)];
	memcpy(step, a->errstep, sizeof(step));
	*a = keep; /* the trial's counts are not the cell's */
	if (err) {
		fail(a, step, err);
		return -1;
	}
	double call_s = ns_page * (double)(unit / 4096) / 1e9;
	const char *from;
	double target = nb_budget_sample_target(want, cells_left, a->rule.min_reps, &from);
	uint64_t units = nb_size_by_time(target, call_s, FLOOR_UNITS(a->thp), cap);
	a->size = units * unit;
	json_object_set_new(cell, "size_bytes", json_integer((json_int_t)a->size));
	json_object_set_new(cell, "size_rule",
			    json_pack("{s:s,s:f,s:s,s:f,s:I,s:I,s:I,s:b}", "rule", "time",
				      "target_s", target, "target_from", from ? from : "single_ms",
				      "call_ns", call_s * 1e9, "trial_calls", (json_int_t)trial,
				      "calls_per_sample", (json_int_t)units, "cap_bytes",
				      (json_int_t)(cap * unit), "capped",
				      units == cap && call_s > 0 && target / call_s > (double)cap));
	return 0;
}

static enum nb_status run_cell(struct nb_ctx *ctx, const struct nb_params *p, struct cell_arg *a,
			       json_t *cell, int cells_left)
{
	if (a->thp && !strcmp(ctx->caps->thp, "never")) {
		nb_run_reason(cell, "THP is disabled (transparent_hugepage/enabled = never)");
		return NB_SKIPPED;
	}
	nb_rule_for(&a->rule, ctx, p);
	if (nb_class_is_check(cell))
		nb_class_rule(ctx, &a->rule);
	for (int i = 0; i < NB_VM_COUNT; i++)
		a->vm.v[i] = 0;
	if (a->m == M_SINGLE && size_single(p, a, cell, cells_left)) {
		nb_run_reason(cell, "%s failed: %s", a->errstep, strerror(a->err));
		return NB_FAILED;
	}
	double samples[64];
	int n = nb_rule_sample(&a->rule, one_sample, a, samples);
	if (a->err) {
		nb_run_reason(cell, "%s failed: %s", a->errstep, strerror(a->err));
		return NB_FAILED;
	}
	double pps[64], gbs[64], per_call[64];
	double calls_per_sample = a->n ? (double)a->calls / a->n : 0;
	double pages_per_sample = a->n ? (double)a->asked / a->n : 0;
	for (int i = 0; i < n; i++) {
		pps[i] = 1e9 / samples[i];
		gbs[i] = 4096.0 / samples[i];
		per_call[i] =
		    samples[i] * pages_per_sample / (calls_per_sample ? calls_per_sample : 1);
	}
	json_object_set_new(cell, "metrics",
			    json_pack("{s:o,s:o,s:o,s:o}", "ns_per_page",
				      nb_metric("ns", "lower", samples, n), "pages_per_s",
				      nb_metric("pages/s", "higher", pps, n), "gbs",
				      nb_metric("GB/s", "higher", gbs, n), "ns_per_call",
				      nb_metric("ns", "lower", per_call, n)));
	json_object_set_new(cell, "pages_asked", json_integer((json_int_t)a->asked));
	json_object_set_new(cell, "pages_on_source_before",
			    json_integer((json_int_t)a->before_src));
	json_object_set_new(cell, "pages_moved", json_integer((json_int_t)a->moved));
	if (a->m == M_SINGLE || a->m == M_BATCH)
		json_object_set_new(cell, "pages_moved_by_status",
				    json_integer((json_int_t)a->status_dst));
	json_object_set_new(cell, "pages_on_target_numa_maps",
			    json_integer((json_int_t)a->maps_dst));
	json_object_set_new(cell, "calls", json_integer((json_int_t)a->calls));
	json_object_set_new(cell, "calls_failed", json_integer((json_int_t)a->failed));
	json_object_set_new(cell, "other_pages_moved", json_integer((json_int_t)a->other_moved));
	json_object_set_new(cell, "samples_taken", json_integer(a->n));
	json_object_set_new(cell, "vmstat", nb_vmstat_json(&a->vm));
	json_object_set_new(cell, "placement_after",
			    nb_placement_json(&a->last_maps, a->dst, "numa_maps"));
	json_object_set_new(cell, "on_target_min", json_real(a->worst_share));
	enum nb_status st = NB_OK;
	if (a->before_src != a->asked) {
		nb_run_reason(
		    cell, "only %llu of %llu pages were on source node %d before the move",
		    (unsigned long long)a->before_src, (unsigned long long)a->asked, a->src);
		st = NB_UNTRUSTWORTHY;
	} else if (a->worst_share < 0.99) {
		nb_run_reason(cell, "only %.1f%% of the pages reached node %d (%s)",
			      100 * a->worst_share, a->dst, method_name(a->m));
		st = NB_UNTRUSTWORTHY;
	} else if (a->moved != a->asked) {
		nb_run_reason(cell, "moved %llu pages of the %llu asked",
			      (unsigned long long)a->moved, (unsigned long long)a->asked);
		st = NB_UNTRUSTWORTHY;
	} else if (a->maps_total && a->maps_dst != a->moved) {
		nb_run_reason(cell, "numa_maps counts %llu pages on node %d, the query %llu",
			      (unsigned long long)a->maps_dst, a->dst,
			      (unsigned long long)a->moved);
		st = NB_UNTRUSTWORTHY;
	}
	if (a->thp)
		st = nb_cell_thp(cell, a->thp_share, st);
	return nb_cell_spread(cell, &a->rule, samples, n, st);
}

/* "4k move_pages_batch 0.85 GB/s (208k pages/s), thp ... over pairs 0->1, 1->0" from the
 * medians of the ok cells. */
/* The headline: move_pages(2) batched, each page size, medians over the node pairs. */
static const struct nb_headline_rule headline_rule = {
    .metric = "gbs", .where = "method=move_pages_batch", .text = "move_pages batched"};

static void headline(json_t *run, json_t *cells)
{
	char out[512] = "", fig[32], fig2[32];
	size_t len = 0;
	const char *want[] = {"4k", "thp"};
	for (int w = 0; w < 2; w++) {
		double v[256], pp[256];
		int n = 0;
		size_t i;
		json_t *c;
		json_array_foreach(cells, i, c)
		{
			const char *st = json_string_value(json_object_get(c, "status"));
			const char *pg = json_string_value(json_object_get(c, "pages"));
			if (!st || strcmp(st, "ok") || !pg || strcmp(pg, want[w]) ||
			    !nb_fields_match(c, headline_rule.where) || n >= 256)
				continue;
			json_t *ms = json_object_get(c, "metrics");
			v[n] = json_real_value(
			    json_object_get(json_object_get(ms, headline_rule.metric), "median"));
			pp[n++] = json_real_value(
			    json_object_get(json_object_get(ms, "pages_per_s"), "median"));
		}
		if (!n)
			continue;
		struct nb_summary s, s2;
		nb_summarize(v, n, &s);
		nb_summarize(pp, n, &s2);
		nb_fmt_figure(s.median, fig, sizeof(fig));
		nb_fmt_figure(s2.median, fig2, sizeof(fig2));
		len += (size_t)snprintf(out + len, sizeof(out) - len, "%s%s%s %s GB/s (%s pages/s)",
					len ? ", " : headline_rule.text, len ? "" : ": ", want[w],
					fig, fig2);
	}
	if (len)
		json_object_set_new(run, "headline", json_string(out));
}

/* The cpu that asks for a move and first-touches the buffer: one of the target node (as a
 * NUMA balancing fault would), else of the source, else of the run (the same one as latency
 * and fault use on that node); *node: its node (-1: the run's). */
static int mover_cpu(const struct nb_ctx *ctx, int src, int dst, int *node)
{
	*node = dst;
	if (!nb_ctx_node_cpus(ctx, dst, NULL))
		*node = src;
	if (!nb_ctx_node_cpus(ctx, *node, NULL)) {
		*node = -1;
		return nb_place_one_cpu(ctx->cpus, ctx->ncpus);
	}
	return nb_ctx_node_one_cpu(ctx, *node);
}

/* A sample's cost in the model: fork and buffer (1 ms), the child's first touch (as fault's:
 * 1 GB/s with 4k pages, 4 GB/s with THP), two move_pages(2) queries of every 4k page (100 ns
 * a page), and the move: move_pages_single CALL_MODEL_S a call, the others 1 GB/s (4k) or
 * 3 GB/s (THP). */
static double sample_cost(uint64_t bytes, int thp, enum method m)
{
	double touch = (double)bytes / (thp ? 4e9 : 1e9),
	       query = 2.0 * (double)(bytes / 4096) * 1e-7;
	double move = m == M_SINGLE ? (double)(bytes / (thp ? HUGE_SZ : 4096)) * CALL_MODEL_S(thp)
				    : (double)bytes / (thp ? 3e9 : 1e9);
	return 1e-3 + touch + query + move;
}

/* A cell's point: the cells are measured coarse to fine over (point, pair class of (source,
 * target)) (harness/order.h). */
static const char *const point_keys[] = {"pages", "method", NULL};

/* Cells: pages x method x (source, target) pairs of the run's memory nodes, each moved by one
 * cpu (mover_cpu), in pair classes of (source, target) as the other benches' (pairs=; checked
 * at the first page size and method, on ns_per_page). move_pages_single's size is decided by
 * time in the run (size_single): the plan gives the cap and the model's size for the
 * estimate. */
static json_t *plan(const struct nb_ctx *ctx, const struct nb_params *p)
{
	int mn[NB_MAX_NODES], nmn = nb_ctx_mem_nodes(ctx, mn);
	const struct nb_param_val *pages = &p->v[P_PAGES], *methods = &p->v[P_METHOD];
	uint64_t size = p->v[P_SIZE].u, batch = p->v[P_BATCH].u;
	double single = p->v[P_SINGLE_MS].d / 1e3;
	json_t *pl = nb_plan_new();
	struct nb_pair_classes *pc = malloc(sizeof(*pc));
	nb_pair_classes_ctx(ctx, pc);
	int mode = nb_class_mode(p, pc);
	for (int pg = 0; pg < pages->nlist; pg++)
		for (int m = 0; m < methods->nlist; m++)
			for (int i = 0; i < nmn * nmn; i++) {
				int src = mn[i / nmn], dst = mn[i % nmn], node,
				    thp = pages->list[pg] == NB_PAGES_THP;
				enum method me = (enum method)methods->list[m];
				if (src == dst)
					continue;
				int cpu = mover_cpu(ctx, src, dst, &node);
				json_t *cell = json_pack(
				    "{s:i,s:i,s:i,s:s,s:s,s:I,s:I}", "src_node", src, "dst_node",
				    dst, "cpu_node", node, "pages", thp ? "thp" : "4k", "method",
				    method_name(me), "size_bytes", (json_int_t)size, "bytes",
				    (json_int_t)size);
				if (me == M_BATCH)
					json_object_set_new(cell, "batch",
							    json_integer((json_int_t)batch));
				nb_plan_cpu(cell, cpu, "mover");
				enum nb_class_role role =
				    nb_class_cell(cell, pc, mode, src, dst, pg == 0 && m == 0);
				if (role == NB_CLASS_COVERED) {
					nb_plan_add(pl, cell, 0);
					continue;
				}
				int samples = role == NB_CLASS_CHECK ? nb_class_samples(ctx)
								     : nb_plan_samples(ctx);
				size_t unit = thp ? HUGE_SZ : 4096;
				uint64_t cap = size / unit ? size / unit : 1, bytes = size;
				double est = 0;
				if (me == M_SINGLE && single > 0) {
					uint64_t u = nb_size_by_time(single, CALL_MODEL_S(thp),
								     FLOOR_UNITS(thp), cap);
					uint64_t t =
					    cap < TRIAL_UNITS(thp) ? cap : TRIAL_UNITS(thp);
					bytes = u * unit;
					est = sample_cost(t * unit, thp, me);
					json_object_set_new(
					    cell, "size_rule",
					    json_pack("{s:s,s:f,s:I,s:I}", "rule", "time",
						      "target_s", single, "cap_bytes",
						      (json_int_t)(cap * unit), "model_bytes",
						      (json_int_t)bytes));
				}
				est += samples * sample_cost(bytes, thp, me);
				nb_plan_mem(pl, src, size);
				nb_plan_mem(pl, dst, size);
				nb_plan_add(pl, cell, est);
			}
	free(pc);
	nb_plan_order(ctx, pl, "src_node", "dst_node", point_keys);
	return pl;
}

static enum nb_status run(struct nb_ctx *ctx, const struct nb_params *p, json_t *run)
{
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	static struct cell_arg a;
	int *cpus = nb_ctx_cpu_list(ctx);
	uint64_t batch = p->v[P_BATCH].u;
	struct report *rep =
	    mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void **addrs = malloc(sizeof(void *) * batch);
	int *nodes = malloc(sizeof(int) * batch), *status = malloc(sizeof(int) * batch);
	if (rep == MAP_FAILED || !addrs || !nodes || !status) {
		nb_run_reason(run, "cannot allocate the work arrays: %s", strerror(errno));
		free(addrs), free(nodes), free(status), free(cpus);
		if (rep != MAP_FAILED)
			munmap(rep, 4096);
		return NB_FAILED;
	}
	json_t *pl = plan(ctx, p), *cells = json_object_get(pl, "cells");
	int total = (int)json_array_size(cells), *seq = nb_plan_sequence(cells), cells_left = 0;
	for (int q = 0; q < total; q++) /* the cells to measure, for a budget's share of each */
		cells_left += !nb_class_has_role(json_array_get(cells, (size_t)q), "covered");
	for (int q = 0; q < total && !nb_interrupted; q++) {
		int i = seq ? seq[q] : q;
		json_t *cell = nb_plan_cell_copy(json_array_get(cells, (size_t)i));
		const char *mname = json_string_value(json_object_get(cell, "method"));
		memset(&a, 0, sizeof(a));
		a.cpus = cpus;
		a.src = (int)json_integer_value(json_object_get(cell, "src_node"));
		a.dst = (int)json_integer_value(json_object_get(cell, "dst_node"));
		a.thp = !strcmp(json_string_value(json_object_get(cell, "pages")), "thp");
		for (int k = 0; k < M_COUNT; k++)
			if (!strcmp(method_name((enum method)k), mname))
				a.m = (enum method)k;
		a.size = (size_t)json_integer_value(json_object_get(cell, "size_bytes"));
		a.batch = batch;
		a.rep = rep;
		a.addrs = addrs;
		a.nodes = nodes;
		a.status = status;
		a.ncpus = nb_plan_cpus(cell, "mover", a.cpus, 1);
		nb_progress("migrate: %s %s, node %d -> %d (%d/%d)", method_name(a.m),
			    a.thp ? "thp" : "4k", a.src, a.dst, q + 1, total);
		bool covered = nb_class_has_role(cell, "covered");
		enum nb_status st = covered		   ? nb_class_covered(cell)
				    : nb_cell_budget(cell) ? NB_SKIPPED
							   : run_cell(ctx, p, &a, cell, cells_left);
		cells_left -= !covered;
		if (st != NB_SKIPPED && nb_class_is_check(cell))
			nb_class_judge(run, cl.arr, cell, "ns_per_page", point_keys);
		nb_cells_add_at(&cl, cell, st, i);
	}
	free(seq);
	json_decref(pl);
	free(addrs), free(nodes), free(status), free(cpus);
	munmap(rep, 4096);
	headline(run, cl.arr);
	json_object_set_new(
	    run, "method",
	    json_string("per sample a fresh buffer bound to the source node, first-touched by a "
			"forked child pinned to a cpu of the target node, moved by the method; "
			"pages counted before and after with a move_pages(2) query of every page "
			"and from the child's numa_maps; /proc/vmstat deltas around the calls"));
	return nb_cells_finish(&cl, run);
}

static int validate(const struct nb_ctx *ctx, const struct nb_params *p, char *err, size_t len)
{
	return nb_ctx_check_mem(ctx, p->v[P_SIZE].u, "migrate.size", err, len);
}

/* What names a cell: compare pairs cells by these (written as each run's "identity"). */
static const char *const identity[] = {"src_node", "dst_node",	 "pages",
				       "method",   "size_bytes", NULL};

const struct nb_bench nb_bench_migrate = {
    .abi = NB_BENCH_ABI,
    .identity = identity,
    .headline = &headline_rule,
    .name = "migrate",
    .summary = "page migration cost per node pair (4 KiB and THP): move_pages, migrate_pages, "
	       "mbind MPOL_MF_MOVE",
    .params = params,
    .nparams = P_COUNT,
    .req = NB_REQ_2NODES,
    .run = run,
    .validate = validate,
    .plan = plan,
};
