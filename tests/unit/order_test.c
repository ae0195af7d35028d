/* Unit tests of the coarse-to-fine order of planned cells (harness/order.c) on a hand-made table
 * and on the plans of latency, fault and migrate on replayed topologies (a 2-socket one, an
 * NPS4-like 8-node one); cells put back in plan order (harness/cells.c); a sample sized by
 * time (harness/plan.c); and the plan's estimates of `run quick` and `run loaded` on an
 * 8-node, 256-cpu replay (issue 22: at most 5 and 10 minutes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cells.h"
#include "classes.h"
#include "order.h"
#include "plan.h"
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The replays of tests/host/plan.sh and place_test.c. */
#define TWO_SOCKET                                                                                 \
	"synthetic:package:2 [numa(memory=64GiB)] l3:1(size=32MiB) core:8 pu:2(indexes=2*16:1*2)"
#define NPS4 "synthetic:package:2 group:4 [numa(memory=32GiB)] l3:2(size=32MiB) core:4 pu:2"
#define BIG "synthetic:package:2 numa:4(memory=32GiB) l3:2(size=32MB) core:8 pu:2"

static void test_rounds_table(void **state)
{
	(void)state;
	/* Groups 0, 1, 2 and a cell of its own (-1): round 0 takes the first of each. */
	int group[] = {0, 1, 0, 1, 2, -1, 0}, pos[7];
	int want[] = {0, 1, 4, 5, 2, 3, 6};
	nb_order_rounds(group, 7, pos);
	for (int i = 0; i < 7; i++)
		assert_int_equal(pos[i], want[i]);
	int none[] = {-1, -1, -1}, p3[3];
	nb_order_rounds(none, 3, p3); /* no groups: plan order */
	for (int i = 0; i < 3; i++)
		assert_int_equal(p3[i], i);
	int one[] = {4, 4, 4}; /* a single group: plan order too */
	nb_order_rounds(one, 3, p3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(p3[i], i);
}

struct replay {
	struct nb_topo t;
	struct nb_caps c;
	struct nb_ctx ctx;
};

static void replay_open(struct replay *r, const char *desc)
{
	setenv("NUMABENCH_TOPOLOGY", desc, 1);
	assert_int_equal(nb_topo_load(&r->t), 0);
	unsetenv("NUMABENCH_TOPOLOGY");
	nb_caps_probe(&r->c, &r->t);
	memset(&r->ctx, 0, sizeof(r->ctx));
	r->ctx.topo = &r->t;
	r->ctx.caps = &r->c;
	assert_int_equal(nb_ctx_setup(&r->ctx, NULL, NULL), 0);
}

static void replay_close(struct replay *r)
{
	nb_ctx_free(&r->ctx);
	nb_caps_free(&r->c);
	nb_topo_free(&r->t);
}

/* The plan of bench `name` with sets "K=V" (NULL-terminated). */
static json_t *plan_of(struct replay *r, const char *name, const char *const *sets)
{
	char err[256];
	struct nb_params p;
	const struct nb_bench *b = nb_bench_find(name);
	assert_non_null(b);
	assert_int_equal(nb_params_init(&p, b, err, sizeof(err)), 0);
	for (int i = 0; sets && sets[i]; i++) {
		char k[64];
		const char *eq = strchr(sets[i], '=');
		snprintf(k, sizeof(k), "%.*s", (int)(eq - sets[i]), sets[i]);
		assert_int_equal(nb_params_set(&p, k, eq + 1, err, sizeof(err)), 0);
	}
	json_t *pl = b->plan(&r->ctx, &p);
	nb_params_free(&p);
	assert_non_null(pl);
	return pl;
}

/* A cell's group key as the order sees it: its point fields and its pair's class. */
static void key_of(json_t *c, const char *const *keys, const char *cpu, const char *mem,
		   const struct nb_pair_classes *pc, char *buf, size_t len)
{
	size_t w =
	    (size_t)snprintf(buf, len, "%d|",
			     nb_pair_class_of(pc, (int)json_integer_value(json_object_get(c, cpu)),
					      (int)json_integer_value(json_object_get(c, mem))));
	for (int k = 0; keys[k] && w < len; k++) {
		char *s = json_dumps(json_object_get(c, keys[k]), JSON_ENCODE_ANY);
		w += (size_t)snprintf(buf + w, len - w, "%s|", s ? s : "null");
		free(s);
	}
}

/*
 * The order's promises on a plan: the orders are a permutation (nb_plan_sequence inverts it);
 * the first ngroups cells measured are one of every (point, pair class), each its group's first
 * cell in plan order; within a group the plan order is kept; after any prefix no two groups
 * differ by more than one measured cell unless one is done. Returns the number of groups.
 */
static int check_order(struct replay *r, json_t *pl, const char *const *keys, const char *cpu,
		       const char *mem)
{
	json_t *cells = json_object_get(pl, "cells");
	int n = (int)json_array_size(cells);
	struct nb_pair_classes *pc = malloc(sizeof(*pc));
	nb_pair_classes_ctx(&r->ctx, pc);
	char(*key)[256] = calloc((size_t)n, sizeof(*key));
	int *grp = calloc((size_t)n, sizeof(int)), *size = calloc((size_t)n, sizeof(int));
	int *done = calloc((size_t)n, sizeof(int)), *seq = nb_plan_sequence(cells), ng = 0;
	for (int i = 0; i < n; i++) {
		json_t *c = json_array_get(cells, (size_t)i);
		assert_true(json_is_integer(json_object_get(c, "order")));
		key_of(c, keys, cpu, mem, pc, key[i], sizeof(key[i]));
		grp[i] = -1;
		for (int k = 0; k < i && grp[i] < 0; k++)
			if (!strcmp(key[k], key[i]))
				grp[i] = grp[k];
		if (grp[i] < 0)
			grp[i] = ng++;
		size[grp[i]]++;
	}
	int *seen = calloc((size_t)n, sizeof(int)), *last = calloc((size_t)n, sizeof(int));
	for (int q = 0; q < n; q++) {
		int i = seq[q];
		assert_int_equal(
		    json_integer_value(json_object_get(json_array_get(cells, (size_t)i), "order")),
		    q);
		assert_int_equal(seen[i]++, 0);
		int g = grp[i];
		if (q < ng) /* round 0: a new group each time */
			assert_int_equal(done[g], 0);
		if (done[g]) /* the plan order within a group */
			assert_true(i > last[g]);
		else
			for (int k = 0; k < i; k++) /* its first cell */
				assert_true(grp[k] != g);
		last[g] = i;
		done[g]++;
		for (int h = 0; h < ng; h++) /* round robin */
			assert_true(done[h] == size[h] || done[h] >= done[g] - 1);
	}
	free(seen);
	free(last);
	free(done);
	free(seq);
	free(size);
	free(grp);
	free(key);
	free(pc);
	return ng;
}

static const char *const lat_keys[] = {"size_bytes", "pages", "stride", NULL};

/* 2 sockets, every pair measured (4 pairs): the local and the remote class are both measured
 * at every size and page size before the second pair of either. */
static void test_latency_two_socket(void **state)
{
	(void)state;
	struct replay r;
	replay_open(&r, TWO_SOCKET);
	static const char *const sets[] = {"size=32K,dram", "pages=4k,thp", NULL};
	json_t *pl = plan_of(&r, "latency", sets);
	json_t *cells = json_object_get(pl, "cells");
	assert_int_equal(json_array_size(cells), 2 * 2 * 4);
	assert_int_equal(check_order(&r, pl, lat_keys, "cpu_node", "mem_node"), 2 * 2 * 2);
	/* The first half: one local and one remote pair at every point. */
	int local = 0, remote = 0, *seq = nb_plan_sequence(cells);
	for (int q = 0; q < 8; q++) {
		json_t *c = json_array_get(cells, (size_t)seq[q]);
		bool l = json_integer_value(json_object_get(c, "cpu_node")) ==
			 json_integer_value(json_object_get(c, "mem_node"));
		local += l;
		remote += !l;
	}
	assert_int_equal(local, 4);
	assert_int_equal(remote, 4);
	free(seq);
	json_decref(pl);
	replay_close(&r);
}

/* NPS4-like, 64 pairs in classes: every class's representative at every point first, each the
 * one its class names; the checks and covered pairs after them. */
static void test_latency_nps4(void **state)
{
	(void)state;
	struct replay r;
	replay_open(&r, NPS4);
	static const char *const sets[] = {"size=32K,dram", "pages=4k", NULL};
	json_t *pl = plan_of(&r, "latency", sets);
	json_t *cells = json_object_get(pl, "cells");
	int ng = check_order(&r, pl, lat_keys, "cpu_node", "mem_node");
	struct nb_pair_classes pc;
	nb_pair_classes_ctx(&r.ctx, &pc);
	assert_true(pc.nclasses >= 3);
	assert_int_equal(ng, 2 * pc.nclasses);
	int *seq = nb_plan_sequence(cells);
	for (int q = 0; q < (int)json_array_size(cells); q++) {
		json_t *c = json_array_get(cells, (size_t)seq[q]),
		       *cls = json_object_get(c, "class");
		const char *role = json_string_value(json_object_get(cls, "role"));
		if (q < ng)
			assert_string_equal(role, "representative");
		else
			assert_string_not_equal(role, "representative");
	}
	free(seq);
	json_decref(pl);
	/* pairs=all: 64 pairs at 2 points, still one of every class at every point first. */
	static const char *const all[] = {"size=32K,dram", "pages=4k", "pairs=all", NULL};
	pl = plan_of(&r, "latency", all);
	assert_int_equal(json_array_size(json_object_get(pl, "cells")), 64 * 2);
	assert_int_equal(check_order(&r, pl, lat_keys, "cpu_node", "mem_node"), 2 * pc.nclasses);
	json_decref(pl);
	replay_close(&r);
}

/* fault and migrate order their cells the same way: by (pages) and by (pages, method) with the
 * class of (source, target). */
static void test_fault_migrate_order(void **state)
{
	(void)state;
	struct replay r;
	replay_open(&r, NPS4);
	static const char *const fk[] = {"pages", NULL}, *const mk[] = {"pages", "method", NULL};
	json_t *pl = plan_of(&r, "fault", NULL);
	check_order(&r, pl, fk, "cpu_node", "mem_node");
	json_decref(pl);
	pl = plan_of(&r, "migrate", NULL);
	check_order(&r, pl, mk, "src_node", "dst_node");
	json_decref(pl);
	replay_close(&r);
}

/* migrate's plan: every (source, target) pair of distinct nodes per page size and method, one
 * mover cpu on the target node, both nodes' memory; single-page cells sized by time. */
static void test_migrate_plan(void **state)
{
	(void)state;
	struct replay r;
	replay_open(&r, NPS4);
	static const char *const all[] = {"pairs=all", NULL};
	json_t *pl = plan_of(&r, "migrate", all), *c;
	json_t *cells = json_object_get(pl, "cells");
	size_t i;
	assert_int_equal(json_array_size(cells), 8 * 7 * 2 * 4);
	json_array_foreach(cells, i, c)
	{
		int src = (int)json_integer_value(json_object_get(c, "src_node"));
		int dst = (int)json_integer_value(json_object_get(c, "dst_node"));
		assert_true(src != dst);
		int cpu = -1;
		assert_int_equal(nb_plan_cpus(c, "mover", &cpu, 1), 1);
		assert_int_equal(nb_topo_cpu_node(&r.t, cpu), dst);
		assert_true(json_number_value(json_object_get(c, "estimate_s")) > 0);
		json_t *rule = json_object_get(c, "size_rule");
		bool single =
		    !strcmp(json_string_value(json_object_get(c, "method")), "move_pages_single");
		assert_int_equal(rule != NULL, single);
		if (single) {
			assert_string_equal(json_string_value(json_object_get(rule, "rule")),
					    "time");
			assert_true(json_integer_value(json_object_get(rule, "model_bytes")) <=
				    json_integer_value(json_object_get(rule, "cap_bytes")));
		}
	}
	json_t *mem = json_object_get(pl, "memory_per_node");
	assert_int_equal(json_object_size(mem), 8);
	assert_true(json_number_value(json_object_get(pl, "estimate_s")) > 0);
	json_decref(pl);
	/* pairs=auto on 56 pairs: classes; the representatives measured fully, the other pairs
	 * checked at the first page size and method, covered (no cost) elsewhere. */
	pl = plan_of(&r, "migrate", NULL);
	int roles[4] = {0};
	json_array_foreach(json_object_get(pl, "cells"), i, c)
	{
		const char *role =
		    json_string_value(json_object_get(json_object_get(c, "class"), "role"));
		bool first =
		    !strcmp(json_string_value(json_object_get(c, "pages")), "4k") &&
		    !strcmp(json_string_value(json_object_get(c, "method")), "move_pages_single");
		int k = !strcmp(role, "representative") ? 0
			: !strcmp(role, "check")	? 1
			: !strcmp(role, "covered")	? 2
							: 3;
		roles[k]++;
		assert_true(k != 1 || first);
		assert_true(k != 2 ||
			    (!first && json_number_value(json_object_get(c, "estimate_s")) == 0));
	}
	assert_true(roles[0] > 0 && roles[1] > 0 && roles[2] > 0);
	assert_int_equal(roles[3], 0);
	json_decref(pl);
	/* single_ms=0: the whole size, no time rule. */
	static const char *const set[] = {"single_ms=0", "method=move_pages_single", NULL};
	pl = plan_of(&r, "migrate", set);
	json_array_foreach(json_object_get(pl, "cells"), i, c)
	    assert_null(json_object_get(c, "size_rule"));
	json_decref(pl);
	replay_close(&r);
}

/* balance's plan: the baselines and the remote and local workloads per mode, each repetition
 * a cell on node A's cpus, the buffer on node A or B, duration_s each plus setup. */
static void test_balance_plan(void **state)
{
	(void)state;
	struct replay r;
	replay_open(&r, TWO_SOCKET);
	static const char *const sets[] = {"modes=0,1", "duration_s=3", "size=16M", NULL};
	json_t *pl = plan_of(&r, "balance", sets), *c;
	json_t *cells = json_object_get(pl, "cells");
	size_t i;
	assert_int_equal(json_array_size(cells), (2 + 2 * 2) * 2); /* specs x 2 repetitions */
	int remote = 0;
	json_array_foreach(cells, i, c)
	{
		int cpu = -1;
		assert_true(nb_plan_cpus(c, "worker", &cpu, 1) == 1);
		assert_int_equal(nb_topo_cpu_node(&r.t, cpu), 0); /* node A */
		assert_int_equal(json_integer_value(json_object_get(c, "cpu_node")), 0);
		remote += json_integer_value(json_object_get(c, "mem_node")) == 1;
		double e = json_number_value(json_object_get(c, "estimate_s"));
		assert_true(e > 3 && e < 4);
	}
	assert_int_equal(remote, 3 * 2); /* bound-remote, remote x 2 modes; x 2 repetitions */
	json_decref(pl);
	replay_close(&r);
}

/* Cells measured out of plan order are put back in it; cells of no plan index go last. */
static void test_cells_plan_order(void **state)
{
	(void)state;
	json_t *run = json_object();
	struct nb_cells cl;
	nb_cells_init(&cl, run);
	int idx[] = {2, 0, 3, 1};
	for (int k = 0; k < 4; k++)
		nb_cells_add_at(&cl, json_pack("{s:i}", "i", idx[k]), NB_OK, idx[k]);
	nb_cells_add(&cl, json_pack("{s:i}", "i", 9), NB_SKIPPED);
	assert_int_equal(nb_cells_finish(&cl, run), NB_OK);
	json_t *cells = json_object_get(run, "cells");
	assert_int_equal(json_array_size(cells), 5);
	int want[] = {0, 1, 2, 3, 9};
	for (int k = 0; k < 5; k++)
		assert_int_equal(
		    json_integer_value(json_object_get(json_array_get(cells, (size_t)k), "i")),
		    want[k]);
	json_decref(run);
}

static void test_size_by_time(void **state)
{
	(void)state;
	/* 10 ms at 5 us a call: 2000 calls, 1024 as a power of two. */
	assert_int_equal(nb_size_by_time(10e-3, 5e-6, 64, 4096), 1024);
	assert_int_equal(nb_size_by_time(10e-3, 1e-6, 64, 4096), 4096); /* the cap */
	assert_int_equal(nb_size_by_time(10e-3, 1e-3, 64, 4096), 64);	/* the floor */
	assert_int_equal(nb_size_by_time(10e-3, 1e-3, 64, 16), 16);	/* the cap wins */
	assert_int_equal(nb_size_by_time(10e-3, 0, 64, 4096), 4096);	/* not measured */
	assert_int_equal(nb_size_by_time(1.0, 300e-6, 1, 8), 8);	/* THP: 16M */
	assert_int_equal(nb_size_by_time(2.1e-3, 1e-3, 1, 4096), 2);	/* 2.1 calls: 2 */
	const char *from = "x";
	nb_budget_job_end_ns = 0;
	assert_true(nb_budget_sample_target(0.01, 10, 8, &from) == 0.01);
	assert_null(from);
	nb_budget_job_end_ns = nb_now_ns() + 800000000ull; /* 0.8 s for 10 cells of 8 samples */
	double t = nb_budget_sample_target(0.02, 10, 8, &from);
	assert_true(t < 0.0101 && t > 0.009);
	assert_string_equal(from, "budget");
	nb_budget_job_end_ns = 0;
}

/* issue 22: on an 8-node, 256-cpu replay `run quick` is estimated at <= 5 min and `run loaded`
 * at <= 10 min, through the plan document as `run --plan --json` writes it; every bench of
 * quick that can run on a replay publishes a plan (so its cost counts). */
static double suite_estimate(struct replay *r, const char *suite, json_t **doc)
{
	struct nb_run_opts o;
	memset(&o, 0, sizeof(o));
	json_error_t e;
	char path[256];
	snprintf(path, sizeof(path), "configs/%s.json", suite);
	json_t *s = json_load_file(path, 0, &e), *b;
	size_t i;
	if (s) {
		json_array_foreach(json_object_get(s, "benches"), i, b)
		{
			const struct nb_bench *bb =
			    nb_bench_find(json_string_value(json_object_get(b, "bench")));
			assert_non_null(bb);
			assert_int_equal(nb_run_add_job(&o, bb, json_object_get(b, "params"), path),
					 0);
		}
	} else { /* a bench at its defaults */
		assert_int_equal(nb_run_add_job(&o, nb_bench_find(suite), NULL, suite), 0);
	}
	json_decref(s);
	*doc = nb_plan_doc(&r->ctx, &o);
	nb_run_free(&o);
	return json_number_value(json_object_get(*doc, "estimate_s"));
}

static void test_estimates_big(void **state)
{
	(void)state;
	struct replay r;
	replay_open(&r, BIG);
	assert_int_equal(r.ctx.nnodes, 8);
	assert_int_equal(r.ctx.ncpus, 256);
	json_t *doc, *b;
	size_t i;
	double q = suite_estimate(&r, "quick", &doc);
	print_message("quick on 8 nodes, 256 cpus: %.0f s\n", q);
	assert_true(q > 0 && q <= 300);
	json_array_foreach(json_object_get(doc, "benches"), i, b)
	{
		const char *name = json_string_value(json_object_get(b, "bench"));
		const char *st = json_string_value(json_object_get(b, "status"));
		/* latency, bandwidth, loaded, c2c, migrate and fault plan their cells */
		if (!strcmp(name, "migrate") || !strcmp(name, "latency") || !strcmp(name, "loaded"))
			assert_string_equal(st, "planned");
		print_message("  %s: %s %.1f s\n", name, st,
			      json_number_value(json_object_get(b, "estimate_s")));
	}
	json_decref(doc);
	double l = suite_estimate(&r, "loaded", &doc);
	print_message("loaded on 8 nodes, 256 cpus: %.0f s\n", l);
	assert_true(l > 0 && l <= 600);
	json_decref(doc);
	replay_close(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rounds_table), cmocka_unit_test(test_latency_two_socket),
	    cmocka_unit_test(test_latency_nps4), cmocka_unit_test(test_fault_migrate_order),
	    cmocka_unit_test(test_migrate_plan), cmocka_unit_test(test_cells_plan_order),
	    cmocka_unit_test(test_size_by_time), cmocka_unit_test(test_estimates_big),
	    cmocka_unit_test(test_balance_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
