/* Unit tests of parameters, the metric record and the run command line (harness/params.c,
 * harness/metric.c, cli). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "cli.h"
#include "stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_parse(void **state)
{
	(void)state;
	uint64_t v;
	assert_int_equal(nb_parse_size("4K", &v), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(nb_parse_size("1GiB", &v), 0);
	assert_int_equal(v, 1ull << 30);
	assert_int_equal(nb_parse_size("12x", &v), -1);
	assert_int_equal(nb_parse_size("-1", &v), -1);
	assert_int_equal(nb_parse_size("99999999999999T", &v), -1);
	assert_int_equal(nb_parse_u64("12a", &v), -1);
	assert_int_equal(nb_parse_u64("", &v), -1);
	char buf[32];
	nb_fmt_size(3u << 20, buf, sizeof(buf));
	assert_string_equal(buf, "3M");
	nb_fmt_size(1000, buf, sizeof(buf));
	assert_string_equal(buf, "1000");
}

static void test_params(void **state)
{
	(void)state;
	const struct nb_bench *b = nb_bench_find("latency");
	struct nb_params p;
	char err[256];
	assert_non_null(b);
	assert_int_equal(nb_params_init(&p, b, err, sizeof(err)), 0);
	assert_true(nb_param_find(&p, "size")->nlist >= 3);
	assert_int_equal(nb_params_set(&p, "size", "4K,1M", err, sizeof(err)), 0);
	assert_int_equal(nb_param_find(&p, "size")->nlist, 2);
	assert_int_equal(nb_param_find(&p, "size")->list[1], 1 << 20);
	assert_int_equal(nb_params_set(&p, "pages", "thp", err, sizeof(err)), 0);
	assert_int_equal(nb_param_find(&p, "pages")->list[0], 1);
	assert_int_equal(nb_params_set(&p, "pages", "2m", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "4k|thp"));
	assert_int_equal(nb_params_set(&p, "size", "abc", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "abc"));
	assert_int_equal(nb_params_set(&p, "size", "1K", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(nb_params_set(&p, "bogus", "1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown parameter latency.bogus"));
	/* a failed set leaves the previous value */
	assert_int_equal(nb_param_find(&p, "size")->nlist, 2);
	json_t *j = nb_params_json(&p);
	assert_string_equal(json_string_value(json_object_get(j, "size")), "4K,1M");
	json_decref(j);
	/* A word of a size list stands for a value the bench computes. */
	assert_int_equal(nb_params_set(&p, "size", "32K,dram", err, sizeof(err)), 0);
	assert_int_equal(nb_param_word(nb_param_find(&p, "size")->list[0]), -1);
	assert_int_equal(nb_param_word(nb_param_find(&p, "size")->list[1]), 0);
	assert_int_equal(nb_params_set(&p, "size", "32K,sram", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "\"sram\""));
	nb_params_free(&p);
	/* bandwidth: threads takes counts, cores and pus; size takes dram. */
	assert_int_equal(nb_params_init(&p, nb_bench_find("bandwidth"), err, sizeof(err)), 0);
	assert_int_equal(nb_param_word(nb_param_find(&p, "size")->u), 0);
	assert_int_equal(nb_params_set(&p, "threads", "1,cores,pus,4", err, sizeof(err)), 0);
	const struct nb_param_val *t = nb_param_find(&p, "threads");
	assert_int_equal(t->nlist, 4);
	assert_int_equal(nb_param_word(t->list[0]), -1);
	assert_int_equal(nb_param_word(t->list[1]), 0);
	assert_int_equal(nb_param_word(t->list[2]), 1);
	assert_int_equal(t->list[3], 4);
	assert_int_equal(nb_params_set(&p, "threads", "0", err, sizeof(err)), -1);
	assert_int_equal(nb_params_set(&p, "size", "64M", err, sizeof(err)), 0);
	assert_int_equal(nb_param_find(&p, "size")->u, 64ull << 20);
	nb_params_free(&p);
}

static void test_metric_json(void **state)
{
	(void)state;
	double s[] = {1, 2, 3};
	json_t *m = nb_metric("ns", "lower", s, 3);
	assert_string_equal(json_string_value(json_object_get(m, "unit")), "ns");
	assert_string_equal(json_string_value(json_object_get(m, "direction")), "lower");
	assert_int_equal(json_array_size(json_object_get(m, "samples")), 3);
	assert_float_equal(json_real_value(json_object_get(m, "median")), 2, 0);
	assert_int_equal(json_array_size(json_object_get(m, "ci95")), 2);
	for (const char *const *k =
		 (const char *const[]){"min", "mean", "stddev", "cv", "p5", "p95", "mad", "spread",
				       "outliers", "ci_level", NULL};
	     *k; k++)
		assert_non_null(json_object_get(m, *k));
	json_decref(m);
}

static int parse(const char *line)
{
	char buf[512], *argv[32];
	int argc = 0;
	snprintf(buf, sizeof(buf), "%s", line);
	for (char *tok = strtok(buf, " "); tok && argc < 31; tok = strtok(NULL, " "))
		argv[argc++] = tok;
	argv[argc] = NULL;
	return nb_run_parse(argc, argv);
}

static void test_run_command_line(void **state)
{
	(void)state;
	assert_int_equal(parse("run latency fault --set latency.size=4K,1M -o x.json"), 0);
	assert_int_equal(parse("run -o x.json --repeat 5 --set fault.size=2M fault"), 0);
	assert_int_equal(parse("run --set knob.numa_balancing=1 fault"), 0);
	assert_int_equal(parse("run nosuch"), -1);
	assert_int_equal(parse("run latency --repeat 0"), -1);
	assert_int_equal(parse("run latency --repeat 65"), -1);
	assert_int_equal(parse("run latency --set latency"), -1);
	assert_int_equal(parse("run latency --set fault.size=2M"), -1); /* not in the run */
	assert_int_equal(parse("run latency --set knob.scan_size_mb=0"), -1);
	assert_int_equal(parse("run latency --bogus"), -1);
	assert_int_equal(parse("run latency -o"), -1);
	/* a suite from memory */
	const char *ok = "{\"benches\":[{\"bench\":\"fault\",\"params\":{\"size\":\"4M\"}}]}";
	assert_int_equal(nb_suite_parse(ok, strlen(ok)), 0);
	const char *bad = "{\"benches\":[{\"bench\":\"fault\",\"params\":{\"size\":[]}}]}";
	assert_int_equal(nb_suite_parse(bad, strlen(bad)), -1);
	const char *nob = "{\"benches\":{}}";
	assert_int_equal(nb_suite_parse(nob, strlen(nob)), -1);
}

/* The canonical parameters: sizes as numbers whatever the spelling, sweeps as sorted sets,
 * words and choices by name; two spellings of one run are equal, another run is not. */
static void test_params_canonical(void **state)
{
	(void)state;
	const struct nb_bench *b = nb_bench_find("latency");
	assert_non_null(b);
	struct nb_params p1, p2;
	char err[512];
	assert_int_equal(nb_params_init(&p1, b, err, sizeof(err)), 0);
	assert_int_equal(nb_params_init(&p2, b, err, sizeof(err)), 0);
	assert_int_equal(nb_params_set(&p1, "size", "1M,dram", err, sizeof(err)), 0);
	assert_int_equal(nb_params_set(&p2, "size", "1024K,dram", err, sizeof(err)), 0);
	assert_int_equal(nb_params_set(&p1, "stride", "64,256", err, sizeof(err)), 0);
	assert_int_equal(nb_params_set(&p2, "stride", "256,64", err, sizeof(err)), 0);
	assert_int_equal(nb_params_set(&p1, "pages", "thp,4k", err, sizeof(err)), 0);
	assert_int_equal(nb_params_set(&p2, "pages", "4k,thp", err, sizeof(err)), 0);
	json_t *c1 = nb_params_canonical(&p1), *c2 = nb_params_canonical(&p2);
	assert_true(json_equal(c1, c2));
	json_t *st = json_object_get(c1, "stride"), *sz = json_object_get(c1, "size");
	assert_int_equal(json_array_size(st), 2);
	assert_int_equal(json_integer_value(json_array_get(st, 0)), 64);
	assert_int_equal(json_integer_value(json_array_get(st, 1)), 256);
	assert_int_equal(json_array_size(sz), 2);
	assert_int_equal(json_integer_value(json_array_get(sz, 0)), 1 << 20);
	assert_string_equal(json_string_value(json_array_get(sz, 1)), "dram");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c1, "pages"), 0)),
			    "4k");
	assert_true(json_is_integer(json_object_get(c1, "tlb_group")));
	assert_int_equal(nb_params_set(&p2, "stride", "128,256", err, sizeof(err)), 0);
	json_t *c3 = nb_params_canonical(&p2);
	assert_false(json_equal(c1, c3));
	json_t *id = nb_identity_json(b);
	assert_string_equal(json_string_value(json_array_get(id, 4)), "stride");
	json_decref(id);
	json_decref(c1);
	json_decref(c2);
	json_decref(c3);
	nb_params_free(&p1);
	nb_params_free(&p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_params),
	    cmocka_unit_test(test_metric_json),
	    cmocka_unit_test(test_run_command_line),
	    cmocka_unit_test(test_params_canonical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
