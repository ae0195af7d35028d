/* Memory tiers read from captured /sys trees (tests/fixtures/tiering, replayed through
 * NUMABENCH_FSROOT), the "lower tier" choice of the tier bench and its skip reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "topo.h"
#include "tunables.h"

static int read_fixture(const char *name, struct nb_tiering *t)
{
	char root[512];
	const char *src = getenv("NB_SRCDIR");
	snprintf(root, sizeof(root), "%s/tests/fixtures/tiering/%s", src ? src : ".", name);
	setenv("NUMABENCH_FSROOT", root, 1);
	int r = nb_tiering_read(t);
	unsetenv("NUMABENCH_FSROOT");
	return r;
}

static void test_3node_tier(void **state)
{
	(void)state;
	struct nb_tiering t;
	char why[256];
	int nodes[] = {0, 1, 2};
	assert_int_equal(read_fixture("6.12-3node-tier", &t), 0);
	assert_true(t.present);
	assert_int_equal(t.ntiers, 2);
	assert_int_equal(t.tiers[0].id, 4);
	assert_int_equal(t.tiers[0].nnodes, 2);
	assert_int_equal(t.tiers[0].nodes[0], 0);
	assert_int_equal(t.tiers[0].nodes[1], 1);
	assert_int_equal(t.tiers[1].id, 84);
	assert_int_equal(t.tiers[1].nnodes, 1);
	assert_int_equal(t.tiers[1].nodes[0], 2);
	assert_int_equal(t.demotion_enabled, 0);
	assert_int_equal(nb_tiering_tier_of(&t, 2), 1);
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 3, why, sizeof(why)), 2);
	assert_int_equal(nb_tiering_lower_node(&t, 1, nodes, 3, why, sizeof(why)), 2);
	assert_int_equal(nb_tiering_lower_node(&t, 2, nodes, 3, why, sizeof(why)), -1);
	assert_string_equal(why, "no memory tier below node 2: it is in the lowest tier 84");
	/* node 2 not allowed in the run */
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 2, why, sizeof(why)), -1);
	json_t *j = nb_tiering_json(&t);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(json_object_get(j, "tiers"), 1), "id")),
			 84);
	assert_true(json_is_false(json_object_get(j, "demotion_enabled")));
	assert_null(json_object_get(j, "reason"));
	json_decref(j);
}

static void test_two_slow_tiers(void **state)
{
	(void)state;
	struct nb_tiering t;
	char why[256];
	int nodes[] = {0, 1, 2, 3};
	assert_int_equal(read_fixture("two-slow-tiers", &t), 0);
	assert_int_equal(t.ntiers, 3);
	/* sorted by id numerically: 4, 28, 281 (not 28, 281, 4) */
	assert_int_equal(t.tiers[0].id, 4);
	assert_int_equal(t.tiers[1].id, 28);
	assert_int_equal(t.tiers[2].id, 281);
	assert_int_equal(t.tiers[0].nodes[1], 2);
	assert_int_equal(t.demotion_enabled, 1);
	assert_int_equal(nb_tiering_lower_node(&t, 2, nodes, 4, why, sizeof(why)), 1);
	assert_int_equal(nb_tiering_lower_node(&t, 1, nodes, 4, why, sizeof(why)), 3);
	int no1[] = {0, 2, 3}; /* the nearest lower tier is not usable: the next one is */
	assert_int_equal(nb_tiering_lower_node(&t, 0, no1, 3, why, sizeof(why)), 3);
}

static void test_one_tier_and_none(void **state)
{
	(void)state;
	struct nb_tiering t;
	char why[256];
	int nodes[] = {0, 1, 2};
	assert_int_equal(read_fixture("one-tier", &t), 0);
	assert_int_equal(t.ntiers, 1);
	assert_int_equal(t.tiers[0].nnodes, 3);
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 3, why, sizeof(why)), -1);
	assert_string_equal(why,
			    "no memory tier below node 0: the kernel assigned all nodes to tier 4");
	assert_int_equal(read_fixture("no-such-tree", &t), -1);
	assert_false(t.present);
	assert_int_equal(t.demotion_enabled, -1);
	assert_non_null(strstr(t.reason, "memory_tiering is absent"));
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 3, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no memory tier below node 0"));
	json_t *j = nb_tiering_json(&t);
	assert_true(json_is_null(json_object_get(j, "demotion_enabled")));
	assert_int_equal(json_array_size(json_object_get(j, "tiers")), 0);
	assert_non_null(json_object_get(j, "reason"));
	json_decref(j);
}

/* demotion_enabled is a journaled tunable: true/false (what the kernel prints) and 1/0. */
static void test_demotion_tunable(void **state)
{
	(void)state;
	char err[256];
	const struct nb_tunable *t = nb_tunable_find("demotion_enabled");
	assert_non_null(t);
	assert_int_equal(nb_tunable_check(t, "true", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "false", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "1", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "yes", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "valid: true|false|1|0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_3node_tier),
	    cmocka_unit_test(test_two_slow_tiers),
	    cmocka_unit_test(test_one_tier_and_none),
	    cmocka_unit_test(test_demotion_tunable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
