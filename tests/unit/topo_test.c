/* Unit tests of the topology reader (harness/topo.c) on hwloc's captured machines
 * (tests/fixtures/topologies): memory-only nodes, NUMA-level distances, sources, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "runner.h"
#include "topo.h"

#include <stdlib.h>
#include <string.h>

#define CORPUS "tests/fixtures/topologies/"

static int load(struct nb_topo *t, const char *xml)
{
	setenv("NUMABENCH_TOPOLOGY", xml, 1);
	int rc = nb_topo_load(t);
	unsetenv("NUMABENCH_TOPOLOGY");
	return rc;
}

/* KNL SNC4 hybrid (hwloc 2 XML): hwloc gives MCDRAM nodes 4-7 their quadrant's cpus; the
 * kernel gives them none. The same machine as an hwloc 1.x file reads the same. */
static void test_knl_memory_only(void **state)
{
	(void)state;
	static const char *files[] = {CORPUS "64intel64-fakeKNL-SNC4-hybrid.xml",
				      CORPUS "64intel64-fakeKNL-SNC4-hybrid.v2tov1.xml"};
	for (size_t f = 0; f < 2; f++) {
		struct nb_topo t;
		assert_int_equal(load(&t, files[f]), 0);
		assert_int_equal(t.nnodes, 8);
		int total = 0;
		for (int i = 0; i < 8; i++) {
			assert_int_equal(t.nodes[i].id, i);
			assert_int_equal(t.nodes[i].ncpus, i < 4 ? 16 : 0);
			total += t.nodes[i].ncpus;
		}
		assert_int_equal(total, 64);
		assert_string_equal(t.nodes[5].kind, "MCDRAM");
		assert_int_equal(json_array_size(t.warnings), 0);
		assert_int_equal(strncmp(t.source, "xml:", 4), 0);
		char why[512];
		assert_non_null(nb_run_replay_refusal(&t, why, sizeof(why)));
		assert_non_null(strstr(why, "replayed"));
		nb_topo_free(&t);
	}
}

/* hwloc 1.x 16amd64-4distances: a Package matrix (diagonal 1: 1, 2, 4, 8) and the NUMA one
 * (latency_base 10: 10, 20); only the NUMA one is the kernel's. */
static void test_v1_numa_distances(void **state)
{
	(void)state;
	struct nb_topo t;
	assert_int_equal(load(&t, CORPUS "16amd64-4distances.v1.xml"), 0);
	assert_true(t.have_distances);
	for (int i = 0; i < t.nnodes; i++)
		assert_int_equal(t.distances[i][i], 10);
	assert_int_equal(t.distances[0][1], 20);
	nb_topo_free(&t);
}

/* hwloc 2 takes every 1.x matrix as big as the node count for a NUMA one: of a Socket matrix
 * (10/20) and the NUMA one (10/20/40/80) the file's relative_depth names the NUMA one; a 1.x
 * NUMA matrix that is no kernel one (diagonal not 10) is left out with a warning. */
static void test_v1_two_matrices(void **state)
{
	(void)state;
	struct nb_topo t;
	assert_int_equal(load(&t, CORPUS "16amd64-4distances.v2tov1.xml"), 0);
	assert_true(t.have_distances);
	assert_int_equal(t.distances[0][1], 20);
	assert_int_equal(t.distances[0][2], 80);
	assert_int_equal(t.distances[0][5], 40);
	assert_int_equal(json_array_size(t.warnings), 0);
	nb_topo_free(&t);
	assert_int_equal(load(&t, CORPUS "8ia64-2n2s2c+1n.v1.xml"), 0);
	assert_false(t.have_distances);
	assert_int_equal(json_array_size(t.warnings), 1);
	assert_non_null(strstr(json_string_value(json_array_get(t.warnings, 0)), "diagonal"));
	nb_topo_free(&t);
}

/* An hwloc 3.0 file is bad input naming the version; so is a missing file. */
static void test_too_new_xml(void **state)
{
	(void)state;
	struct nb_topo t;
	assert_int_equal(load(&t, CORPUS "cxlmem+dax.v3.xml"), NB_TOPO_BAD_INPUT);
	assert_int_equal(load(&t, CORPUS "nosuch.xml"), NB_TOPO_BAD_INPUT);
	assert_int_equal(load(&t, CORPUS "cxlmem+dax.v2.xml"), 0);
	assert_string_equal(t.nodes[0].kind, "");
	nb_topo_free(&t);
}

/* An XML replay's memory tiers are the file's MemoryTier infos (hwloc's tiers), never this
 * host's; a synthetic replay has none and says why. */
static void test_xml_tiers(void **state)
{
	(void)state;
	struct nb_topo t;
	assert_int_equal(load(&t, CORPUS "8intel64-4n2t-memattrs.xml"), 0);
	assert_true(t.tiering.present);
	assert_int_equal(t.tiering.ntiers, 2);
	assert_int_equal(t.tiering.tiers[0].id, 0);
	assert_int_equal(t.tiering.tiers[0].nnodes, 1);
	assert_int_equal(t.tiering.tiers[0].nodes[0], 1);
	assert_int_equal(t.tiering.tiers[1].nnodes, 3);
	assert_int_equal(nb_tiering_tier_of(&t.tiering, 3), 1);
	assert_int_equal(t.tiering.demotion_enabled, -1);
	json_t *j = nb_tiering_json(&t.tiering);
	assert_non_null(strstr(json_string_value(json_object_get(j, "source")), "MemoryTier"));
	assert_true(json_is_null(json_object_get(j, "demotion_source")));
	assert_null(json_object_get(j, "reason"));
	json_decref(j);
	nb_topo_free(&t);
	/* KNL SNC4 hybrid: MCDRAM nodes 4-7 in hwloc's tier 0 (bandwidth), DRAM 0-3 in tier 1 */
	assert_int_equal(load(&t, CORPUS "64intel64-fakeKNL-SNC4-hybrid.xml"), 0);
	assert_int_equal(t.tiering.ntiers, 2);
	assert_int_equal(t.tiering.tiers[0].nnodes, 4);
	assert_int_equal(t.tiering.tiers[0].nodes[0], 4);
	assert_int_equal(t.tiering.tiers[1].nodes[3], 3);
	nb_topo_free(&t);
	assert_int_equal(load(&t, "synthetic:numa:2 pu:2"), 0);
	assert_false(t.tiering.present);
	assert_int_equal(t.tiering.ntiers, 0);
	assert_non_null(strstr(t.tiering.reason, "synthetic"));
	nb_topo_free(&t);
}

/* This machine: source "live", run not refused. */
static void test_live(void **state)
{
	(void)state;
	struct nb_topo t;
	char why[512];
	assert_int_equal(nb_topo_load(&t), 0);
	assert_string_equal(t.source, "live");
	assert_null(nb_run_replay_refusal(&t, why, sizeof(why)));
	json_t *j = nb_topo_json(&t);
	assert_string_equal(json_string_value(json_object_get(j, "source")), "live");
	json_decref(j);
	nb_topo_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_knl_memory_only), cmocka_unit_test(test_v1_numa_distances),
	    cmocka_unit_test(test_v1_two_matrices), cmocka_unit_test(test_too_new_xml),
	    cmocka_unit_test(test_xml_tiers),	    cmocka_unit_test(test_live),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
