/* Unit tests of the node-pair classes (harness/classes.c) on synthetic topologies built by
 * hand: two sockets, an NPS4-like 2 x 4 nodes, a CXL memory-only node, sparse node ids, no
 * distances, an odd node out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "classes.h"
#include "topo.h"

#include <stdlib.h>
#include <string.h>

static struct nb_topo *topo;
static struct nb_node_shape shape[NB_MAX_NODES];
static struct nb_pair_classes pc;

/* ids[0..n): node ids; pkg: package of each; cpus: cpu count of each; dist: distance of (a, b)
 * from their packages (local 10, same package near, else far), or no distances when far = 0. */
static void build(const int *ids, const int *pkg, const int *cpus, int n, int near, int far)
{
	if (!topo)
		topo = calloc(1, sizeof(*topo));
	memset(topo, 0, sizeof(*topo));
	memset(shape, 0, sizeof(shape));
	topo->nnodes = n;
	topo->have_distances = far > 0;
	for (int a = 0; a < n; a++) {
		topo->nodes[a].id = ids[a];
		topo->nodes[a].ncpus = cpus[a];
		shape[a].ncpus = cpus[a];
		shape[a].llc = cpus[a] ? 32u << 20 : 0;
		shape[a].package = pkg[a];
		for (int b = 0; b < n && far; b++)
			topo->distances[a][b] = a == b		   ? 10
						: pkg[a] == pkg[b] ? (uint64_t)near
								   : (uint64_t)far;
	}
}

/* The classes of every cpu node x every node. */
static void classes(void)
{
	int cn[NB_MAX_NODES], mn[NB_MAX_NODES], ncn = 0;
	for (int a = 0; a < topo->nnodes; a++) {
		if (topo->nodes[a].ncpus)
			cn[ncn++] = topo->nodes[a].id;
		mn[a] = topo->nodes[a].id;
	}
	nb_pair_classes(topo, shape, cn, ncn, mn, topo->nnodes, &pc);
}

static int cls(int c, int m)
{
	return nb_pair_class_of(&pc, c, m);
}

static void test_two_socket(void **state)
{
	(void)state;
	int ids[] = {0, 1}, pkg[] = {0, 1}, cpus[] = {16, 16};
	build(ids, pkg, cpus, 2, 0, 21);
	classes();
	assert_int_equal(pc.nclasses, 2);
	assert_int_equal(cls(0, 0), cls(1, 1));
	assert_int_equal(cls(0, 1), cls(1, 0));
	assert_true(cls(0, 0) != cls(0, 1));
	assert_int_equal(pc.rep_cpu[cls(1, 0)], 0); /* the first pair in order */
	assert_int_equal(pc.rep_mem[cls(1, 0)], 1);
	assert_int_equal(pc.members[cls(0, 1)], 2);
	assert_int_equal(cls(0, 2), -1);
}

static void test_nps4(void **state)
{
	(void)state;
	int ids[8], pkg[8], cpus[8];
	for (int a = 0; a < 8; a++)
		ids[a] = a, pkg[a] = a / 4, cpus[a] = 16;
	build(ids, pkg, cpus, 8, 12, 32);
	classes();
	assert_int_equal(pc.nclasses, 3);
	int local = cls(0, 0), near = cls(0, 1), far = cls(0, 4);
	assert_int_equal(pc.members[local], 8);
	assert_int_equal(pc.members[near], 24);
	assert_int_equal(pc.members[far], 32);
	assert_int_equal(cls(7, 7), local);
	assert_int_equal(cls(5, 6), near);
	assert_int_equal(cls(6, 1), far);
	/* A node with another LLC size is a shape of its own: its pairs leave the classes. */
	shape[3].llc = 16u << 20;
	classes();
	assert_true(cls(3, 3) != cls(0, 0));
	assert_true(cls(0, 3) != cls(0, 1));
	assert_true(cls(3, 0) != cls(0, 1));
	assert_int_equal(cls(1, 2), cls(0, 1)); /* the others keep theirs */
	/* HMAT figures that differ for node 5 as target split node 5's pairs likewise. */
	shape[3].llc = 32u << 20;
	shape[5].hmat = 42;
	classes();
	assert_true(cls(4, 5) != cls(4, 6));
	assert_true(cls(0, 5) != cls(0, 4));
}

/* A memory-only node (CXL-like): its pairs form their own class even at a distance equal to a
 * DRAM node's. */
static void test_cxl(void **state)
{
	(void)state;
	int ids[] = {0, 1, 2}, pkg[] = {0, 1, 0}, cpus[] = {8, 8, 0};
	build(ids, pkg, cpus, 3, 21, 21);
	classes();
	assert_int_equal(pc.ncn, 2);
	assert_int_equal(pc.nmn, 3);
	assert_int_equal(cls(0, 0), cls(1, 1));
	assert_int_equal(cls(0, 1), cls(1, 0));
	assert_true(cls(0, 2) != cls(0, 1));
	assert_int_equal(cls(0, 2), cls(1, 2));
	assert_int_equal(pc.nclasses, 3);
	/* At another distance from node 1 than from node 0: two classes. */
	topo->distances[1][2] = topo->distances[2][1] = 30;
	classes();
	assert_true(cls(0, 2) != cls(1, 2));
}

/* Sparse node ids: classes and representatives by id, not index. */
static void test_sparse_ids(void **state)
{
	(void)state;
	int ids[] = {0, 2, 5, 7}, pkg[] = {0, 0, 1, 1}, cpus[] = {4, 4, 4, 4};
	build(ids, pkg, cpus, 4, 11, 20);
	classes();
	assert_int_equal(pc.nclasses, 3);
	assert_int_equal(cls(2, 0), cls(0, 2));
	assert_int_equal(cls(7, 5), cls(0, 2));
	assert_int_equal(cls(5, 0), cls(0, 5));
	int k = cls(7, 2);
	assert_int_equal(pc.rep_cpu[k], 0);
	assert_int_equal(pc.rep_mem[k], 5);
	assert_int_equal(cls(1, 1), -1);
	assert_int_equal(cls(3, 3), -1);
}

/* Without distances the package stands in: within or across, never one remote class. */
static void test_no_distances(void **state)
{
	(void)state;
	int ids[] = {0, 1, 2, 3}, pkg[] = {0, 0, 1, 1}, cpus[] = {4, 4, 4, 4};
	build(ids, pkg, cpus, 4, 0, 0);
	classes();
	assert_int_equal(pc.nclasses, 3);
	assert_int_equal(cls(0, 1), cls(3, 2));
	assert_true(cls(0, 1) != cls(0, 2));
	/* No package information: every remote pair is "across" (one class), the local ones
	 * another. */
	for (int a = 0; a < 4; a++)
		shape[a].package = -1;
	classes();
	assert_int_equal(pc.nclasses, 2);
}

/* Roles by mode: all measures everything; classes: the representative fully, the others checked
 * at the check point and covered elsewhere; reps: the others covered everywhere. */
static void test_roles(void **state)
{
	(void)state;
	int ids[8], pkg[8], cpus[8];
	for (int a = 0; a < 8; a++)
		ids[a] = a, pkg[a] = a / 4, cpus[a] = 16;
	build(ids, pkg, cpus, 8, 12, 32);
	classes();
	json_t *c = json_object();
	assert_int_equal(nb_class_cell(c, &pc, NB_CLASS_ALL, 2, 3, true), NB_CLASS_FULL);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "class"), "role")),
			    "full");
	assert_int_equal(nb_class_cell(c, &pc, NB_CLASS_CLASSES, 0, 1, false), NB_CLASS_REP);
	assert_int_equal(nb_class_cell(c, &pc, NB_CLASS_CLASSES, 2, 3, true), NB_CLASS_CHECK);
	assert_true(nb_class_is_check(c));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(c, "class"), "representative")),
	    "0>1");
	assert_int_equal(nb_class_cell(c, &pc, NB_CLASS_CLASSES, 2, 3, false), NB_CLASS_COVERED);
	assert_int_equal(nb_class_cell(c, &pc, NB_CLASS_REPS, 2, 3, true), NB_CLASS_COVERED);
	assert_int_equal(nb_class_cell(c, &pc, NB_CLASS_REPS, 0, 4, true), NB_CLASS_REP);
	assert_int_equal(nb_class_cell(c, &pc, NB_CLASS_CLASSES, 2, 3, false), NB_CLASS_COVERED);
	assert_string_equal(json_string_value(json_object_get(json_object_get(c, "class"), "pair")),
			    "2>3");
	assert_int_equal(nb_class_covered(c), NB_SKIPPED);
	const char *why = json_string_value(json_object_get(c, "reason"));
	assert_non_null(why);
	assert_non_null(strstr(why, "class: pair 2>3"));
	json_decref(c);
}

static double one(void *arg)
{
	(*(int *)arg)++;
	return 100.0 + *(int *)arg;
}

/* A check cell's rule takes exactly nb_class_samples samples, whatever the full rule's looks. */
static void test_check_rule(void **state)
{
	(void)state;
	struct nb_ctx ctx;
	memset(&ctx, 0, sizeof(ctx));
	struct nb_rule r;
	nb_rule_default(&r, 0, false, 0.05); /* looks at 8, 16, 30 */
	nb_class_rule(&ctx, &r);
	int calls = 0;
	double out[64];
	assert_int_equal(nb_class_samples(&ctx), NB_CLASS_CHECK_SAMPLES);
	assert_int_equal(nb_rule_sample(&r, one, &calls, out), NB_CLASS_CHECK_SAMPLES);
	assert_int_equal(calls, NB_CLASS_CHECK_SAMPLES);
	ctx.repeat = 3; /* a first look below 5: the check takes as many */
	assert_int_equal(nb_class_samples(&ctx), 3);
	nb_rule_default(&r, 0, false, 0.05);
}

static json_t *cell(int c, int m, const char *size, double lo, double hi, const char *rep)
{
	json_t *x = json_pack("{s:i,s:i,s:s,s:{s:{s:[f,f]}},s:{s:s,s:s}}", "cpu_node", c,
			      "mem_node", m, "size", size, "metrics", "latency_ns", "ci95", lo, hi,
			      "class", "representative", rep, "role", "check");
	return x;
}

/* Agreement is an overlap of the two CIs at the same point; a disagreement is noted in the cell
 * and listed in the run. */
static void test_judge(void **state)
{
	(void)state;
	static const char *const keys[] = {"size", "mix", NULL}; /* mix: absent in all */
	json_t *run = json_object(), *cells = json_array();
	json_array_append_new(cells, cell(0, 1, "16K", 5, 6, "0>1"));
	json_array_append_new(cells, cell(0, 1, "1G", 100, 110, "0>1"));
	json_t *ok = cell(2, 3, "1G", 108, 120, "0>1"), *bad = cell(3, 2, "1G", 111, 120, "0>1");
	json_t *none = cell(3, 2, "64M", 1, 2, "0>1");
	nb_class_judge(run, cells, ok, "latency_ns", keys);
	nb_class_judge(run, cells, bad, "latency_ns", keys);
	nb_class_judge(run, cells, none, "latency_ns", keys);
	assert_true(json_is_true(json_object_get(json_object_get(ok, "class"), "agrees")));
	assert_true(json_is_false(json_object_get(json_object_get(bad, "class"), "agrees")));
	assert_true(json_is_null(json_object_get(json_object_get(none, "class"), "agrees")));
	const char *note =
	    json_string_value(json_object_get(json_object_get(bad, "class"), "note"));
	assert_non_null(note);
	assert_non_null(strstr(note, "class check: 3>2 differs from representative 0>1"));
	json_t *cc = json_object_get(run, "class_checks");
	assert_int_equal(json_integer_value(json_object_get(cc, "checked")), 2);
	assert_int_equal(json_integer_value(json_object_get(cc, "agree")), 1);
	assert_int_equal(json_array_size(json_object_get(cc, "differ")), 1);
	json_decref(ok);
	json_decref(bad);
	json_decref(none);
	json_decref(cells);
	json_decref(run);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_two_socket),	 cmocka_unit_test(test_nps4),
	    cmocka_unit_test(test_cxl),		 cmocka_unit_test(test_sparse_ids),
	    cmocka_unit_test(test_no_distances), cmocka_unit_test(test_check_rule),
	    cmocka_unit_test(test_judge),	 cmocka_unit_test(test_roles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
