/* Unit tests of the headline rule (harness/headline.c): field tests, the preferred value or the
 * largest, the largest per node pair, and the rule as written in a run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"

#include <string.h>

static json_t *cell(int c, int m, const char *pages, int stride, int size, double ns)
{
	return json_pack("{s:i,s:i,s:s,s:i,s:i,s:s,s:{s:{s:f,s:s,s:s}}}", "cpu_node", c, "mem_node",
			 m, "pages", pages, "stride", stride, "size_bytes", size, "status", "ok",
			 "metrics", "latency_ns", "median", ns, "unit", "ns", "direction", "lower");
}

static const struct nb_headline_rule lat = {.metric = "latency_ns",
					    .where = "pages=4k",
					    .prefer = "stride=256",
					    .largest = "size_bytes",
					    .text = "4k, largest size"};

static void test_fields_match(void **state)
{
	(void)state;
	json_t *c = json_pack("{s:s,s:i,s:b}", "placement", "remote", "balancing", 2, "ok", 1);
	assert_true(nb_fields_match(c, NULL));
	assert_true(nb_fields_match(c, "placement=remote"));
	assert_true(nb_fields_match(c, "placement=remote balancing!=0"));
	assert_false(nb_fields_match(c, "placement=local"));
	assert_false(nb_fields_match(c, "balancing!=2"));
	assert_true(nb_fields_match(c, "balancing=2.0"));
	assert_true(nb_fields_match(c, "ok=true"));
	assert_false(nb_fields_match(c, "relation!=smt")); /* != needs the field */
	assert_false(nb_fields_match(c, "placement"));	   /* not a test */
	json_decref(c);
}

/* The preferred stride when it was swept, in either order; else the largest swept; each
 * pair's largest size; thp cells left out. */
static void test_rule_headline(void **state)
{
	(void)state;
	nb_headline_topology(NULL);
	const int orders[2][2] = {{64, 256}, {256, 64}};
	for (int o = 0; o < 2; o++) {
		json_t *cells = json_array();
		for (int k = 0; k < 2; k++) {
			int st = orders[o][k];
			double f = st == 256 ? 1 : 2; /* the 64 B cells read twice as slow */
			json_array_append_new(cells, cell(0, 0, "4k", st, 1 << 20, 50 * f));
			json_array_append_new(cells, cell(0, 0, "4k", st, 1 << 30, 100 * f));
			json_array_append_new(cells, cell(0, 1, "4k", st, 1 << 30, 150 * f));
			json_array_append_new(cells, cell(0, 1, "thp", st, 1 << 30, 10));
		}
		json_t *run = json_pack("{s:o}", "cells", cells);
		nb_run_headline_rule(run, &lat);
		assert_string_equal(json_string_value(json_object_get(run, "headline")),
				    "4k, largest size, stride 256: local 100 ns (node 0), remote "
				    "150 ns (1.50x)");
		json_decref(run);
	}
	/* no 256 B stride: the largest one swept */
	json_t *cells = json_array();
	json_array_append_new(cells, cell(0, 0, "4k", 64, 1 << 20, 80));
	json_array_append_new(cells, cell(0, 1, "4k", 64, 1 << 20, 120));
	json_array_append_new(cells, cell(0, 0, "4k", 128, 1 << 20, 90));
	json_array_append_new(cells, cell(0, 1, "4k", 128, 1 << 20, 180));
	json_t *run = json_pack("{s:o}", "cells", cells);
	nb_run_headline_rule(run, &lat);
	assert_string_equal(json_string_value(json_object_get(run, "headline")),
			    "4k, largest size, stride 128: local 90.0 ns (node 0), remote 180 ns "
			    "(2.00x)");
	json_decref(run);
}

static void test_rule_json(void **state)
{
	(void)state;
	json_t *j = nb_headline_rule_json(&lat);
	assert_string_equal(json_string_value(json_object_get(j, "records")), "cells");
	assert_string_equal(json_string_value(json_object_get(j, "prefer")), "stride=256");
	assert_string_equal(json_string_value(json_object_get(j, "largest")), "size_bytes");
	json_decref(j);
	/* every bench declares its identity and its headline rule */
	for (int i = 0; nb_benches[i]; i++) {
		const struct nb_bench *b = nb_benches[i];
		assert_non_null(b->identity);
		assert_non_null(b->identity[0]);
		assert_non_null(b->headline);
		assert_non_null(b->headline->metric);
		assert_non_null(b->headline->text);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fields_match),
	    cmocka_unit_test(test_rule_headline),
	    cmocka_unit_test(test_rule_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
