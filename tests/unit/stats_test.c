/* Unit tests of the statistics rule (harness/stats.c) and of headlines: known samples,
 * outliers, n = 3, ties, large n, the repetition and the verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "cells.h"
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void test_summary_known_values(void **state)
{
	(void)state;
	double v[10] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
	struct nb_summary s;
	nb_summarize(v, 10, &s);
	assert_int_equal(s.n, 10);
	assert_float_equal(s.min, 1, 1e-12);
	assert_float_equal(s.max, 10, 1e-12);
	assert_float_equal(s.mean, 5.5, 1e-12);
	assert_float_equal(s.median, 5.5, 1e-12);
	assert_float_equal(s.stddev, 3.0276503540974917, 1e-12); /* sample stddev */
	assert_float_equal(s.p5, 1.45, 1e-12);			 /* linear interpolation */
	assert_float_equal(s.p95, 9.55, 1e-12);
	assert_float_equal(s.iqr, 7.75 - 3.25, 1e-12);
	/* |x - 5.5| = 0.5 0.5 1.5 1.5 2.5 2.5 3.5 3.5 4.5 4.5: MAD 2.5 */
	assert_float_equal(s.mad, 2.5, 1e-12);
	assert_float_equal(s.spread, 1.4826 * 2.5 / 5.5, 1e-12);
	assert_int_equal(s.outliers, 0);
	/* n = 10: P(B <= 1) = 11/1024 <= 2.5% < P(B <= 2) = 56/1024: ranks 2 and 9. */
	assert_float_equal(s.ci95_lo, 2, 0);
	assert_float_equal(s.ci95_hi, 9, 0);
	assert_float_equal(s.ci_level, 1 - 2 * 11.0 / 1024, 1e-12);
	assert_float_equal(v[0], 10, 0); /* input untouched */
}

/* The fault THP cell the issue quotes: a Student-t CI of the mean went below zero. */
static void test_summary_outlier(void **state)
{
	(void)state;
	double v[] = {6947, 238, 234, 225, 225};
	struct nb_summary s;
	nb_summarize(v, 5, &s);
	assert_float_equal(s.median, 234, 0);
	assert_float_equal(s.mad, 9, 0); /* |x - 234| = 6713 4 0 9 9 */
	assert_int_equal(s.outliers, 1);
	assert_true(s.spread < 0.06);
	/* n < 6: no order-statistic pair reaches 95%, the CI is [min, max] with its coverage. */
	assert_float_equal(s.ci95_lo, 225, 0);
	assert_float_equal(s.ci95_hi, 6947, 0);
	assert_float_equal(s.ci_level, 1 - 2.0 / 32, 1e-12);
	assert_true(s.cv > 1.5); /* the CV one outlier inflates: not what the rule judges */
}

static void test_summary_small_and_ties(void **state)
{
	(void)state;
	struct nb_summary s;
	double three[] = {3, 1, 2};
	nb_summarize(three, 3, &s);
	assert_float_equal(s.median, 2, 0);
	assert_float_equal(s.ci95_lo, 1, 0);
	assert_float_equal(s.ci95_hi, 3, 0);
	assert_float_equal(s.ci_level, 0.75, 1e-12);
	assert_int_equal(s.outliers, 0);
	/* Ties: MAD 0. The scale floor keeps equal samples from being outliers; 9 still is. */
	double ties[] = {5, 5, 5, 5, 9};
	nb_summarize(ties, 5, &s);
	assert_float_equal(s.mad, 0, 0);
	assert_float_equal(s.spread, 0, 0);
	assert_int_equal(s.outliers, 1);
	double same[] = {7, 7, 7, 7, 7, 7};
	nb_summarize(same, 6, &s);
	assert_int_equal(s.outliers, 0);
	assert_float_equal(s.ci95_lo, 7, 0);
	assert_float_equal(s.ci95_hi, 7, 0);
	nb_summarize(NULL, 0, &s);
	assert_true(isnan(s.median) && isnan(s.ci95_lo));
	double one = 42;
	nb_summarize(&one, 1, &s);
	assert_float_equal(s.median, 42, 0);
	assert_float_equal(s.ci95_lo, 42, 0);
	assert_float_equal(s.ci95_hi, 42, 0);
	assert_float_equal(s.ci_level, 0, 0);
	assert_true(isinf(nb_rel_ci(&s)));
}

static void test_median_ci_ranks(void **state)
{
	(void)state;
	double cov;
	/* Published tables (e.g. Conover): n = 6 -> (1, 6), n = 11 -> (2, 10), n = 20 -> (6, 15),
	 * n = 100 -> (40, 61). */
	assert_int_equal(nb_median_ci_rank(5, &cov), 1);
	assert_true(cov < 0.95);
	assert_int_equal(nb_median_ci_rank(6, &cov), 1);
	assert_float_equal(cov, 1 - 2.0 / 64, 1e-12);
	assert_int_equal(nb_median_ci_rank(11, &cov), 2);
	assert_int_equal(nb_median_ci_rank(20, &cov), 6);
	assert_true(cov >= 0.95);
	assert_int_equal(nb_median_ci_rank(100, &cov), 40);
	assert_true(cov >= 0.95 && cov < 0.97);
	assert_int_equal(nb_median_ci_rank(64, &cov) > 1, 1);
	/* Any samples: the CI lies in [min, max] around the median, never below a positive min. */
	srand(1);
	for (int trial = 0; trial < 200; trial++) {
		double v[64];
		int n = 1 + rand() % 64;
		for (int i = 0; i < n; i++)
			v[i] = 1e-3 + (rand() % 1000) * (rand() % 7 ? 1.0 : 50.0);
		struct nb_summary s;
		nb_summarize(v, n, &s);
		assert_true(s.ci95_lo >= s.min && s.ci95_hi <= s.max);
		assert_true(s.ci95_lo <= s.median && s.median <= s.ci95_hi);
		assert_true(s.ci95_lo > 0);
		assert_true(n < 6 || s.ci_level >= 0.95);
	}
}

static int calls;
static double steady(void *arg)
{
	(void)arg;
	calls++;
	return 100.0 + (calls % 2) * 0.1;
}
static double wild(void *arg)
{
	(void)arg;
	calls++;
	return calls % 2 ? 100.0 : 140.0;
}
static double one_spike(void *arg)
{
	(void)arg;
	return ++calls == 1 ? 5000.0 : 100.0 + (calls % 3) * 0.2;
}

static void test_rule(void **state)
{
	(void)state;
	double out[64];
	struct nb_rule r;
	char why[256] = "";
	nb_timing_emulated = false;
	nb_rule_default(&r, 0, false, 0.05);
	assert_int_equal(r.min_reps, 5);
	assert_int_equal(r.max_reps, 30);
	calls = 0;
	assert_int_equal(nb_rule_sample(&r, steady, NULL, out), 5); /* converged at the minimum */
	assert_int_equal(nb_rule_judge(&r, out, 5, why, sizeof(why)), NB_OK);
	/* A wide spread extends the repetition to the cap before any verdict. */
	calls = 0;
	int n = nb_rule_sample(&r, wild, NULL, out);
	assert_int_equal(n, 30);
	assert_int_equal(nb_rule_judge(&r, out, n, why, sizeof(why)), NB_UNTRUSTWORTHY);
	assert_non_null(strstr(why, "robust spread"));
	/* One spike: counted as an outlier, but not untrustworthy. */
	calls = 0;
	n = nb_rule_sample(&r, one_spike, NULL, out);
	assert_true(n >= 5 && n < 30);
	assert_int_equal(nb_rule_judge(&r, out, n, why, sizeof(why)), NB_OK);
	struct nb_summary s;
	nb_summarize(out, n, &s);
	assert_int_equal(s.outliers, 1);
	/* --repeat N: exactly N; --quick: 3..8. */
	nb_rule_default(&r, 7, false, 0.05);
	assert_true(r.min_reps == 7 && r.max_reps == 7);
	calls = 0;
	assert_int_equal(nb_rule_sample(&r, wild, NULL, out), 7);
	nb_rule_default(&r, 0, true, 0.05);
	assert_true(r.min_reps == 3 && r.max_reps == 8);
	/* Emulated timings: the minimum only, and the spread decides nothing. */
	nb_timing_emulated = true;
	nb_rule_default(&r, 0, false, 0.05);
	assert_true(r.emulated && r.max_reps == r.min_reps);
	calls = 0;
	n = nb_rule_sample(&r, wild, NULL, out);
	assert_int_equal(n, 5);
	assert_int_equal(nb_rule_judge(&r, out, n, why, sizeof(why)), NB_OK);
	json_t *m = nb_metric("ns", "lower", out, n);
	assert_true(json_is_true(json_object_get(m, "emulated")));
	json_decref(m);
	m = nb_metric("ptes/s", "lower", out, n); /* any rate per second is */
	assert_true(json_is_true(json_object_get(m, "emulated")));
	json_decref(m);
	m = nb_metric("faults", "lower", out, n); /* a count is not a timing */
	assert_null(json_object_get(m, "emulated"));
	json_decref(m);
	nb_timing_emulated = false;
	m = nb_metric("ns", "lower", out, n);
	assert_null(json_object_get(m, "emulated"));
	json_decref(m);
}

static json_t *cell(int c, int m, const char *pages, double median, const char *status)
{
	double s[3] = {median, median, median};
	json_t *o = json_pack("{s:i,s:i,s:s,s:I,s:s}", "cpu_node", c, "mem_node", m, "pages", pages,
			      "size_bytes", (json_int_t)(1 << 30), "status", status);
	json_object_set_new(o, "metrics",
			    json_pack("{s:o}", "latency_ns", nb_metric("ns", "lower", s, 3)));
	return o;
}

static void test_headline(void **state)
{
	(void)state;
	json_t *run = json_object(), *cells = json_array();
	json_object_set_new(run, "cells", cells);
	json_array_append_new(cells, cell(0, 0, "4k", 95.0, "ok"));
	json_array_append_new(cells, cell(0, 1, "4k", 150.0, "ok"));
	json_array_append_new(cells, cell(1, 0, "4k", 151.0, "ok"));
	json_array_append_new(cells, cell(1, 1, "4k", 95.4, "ok"));
	json_array_append_new(cells, cell(1, 1, "thp", 60.0, "ok"));		/* not picked */
	json_array_append_new(cells, cell(2, 2, "4k", 18.21, "untrustworthy")); /* not ok */
	nb_run_headline(run, "latency_ns", "4k:", "size_bytes", nb_cell_with, "pages=4k");
	const char *h = json_string_value(json_object_get(run, "headline"));
	assert_non_null(h);
	assert_string_equal(h, "4k: local 95.0-95.4 ns (nodes 0-1), remote 150-151 ns (1.58x)");
	json_decref(run);
	/* One node: the local figure, and no remote figure made up. */
	run = json_object();
	cells = json_array();
	json_object_set_new(run, "cells", cells);
	json_array_append_new(cells, cell(0, 0, "4k", 104.12, "ok"));
	nb_run_headline(run, "latency_ns", "4k:", NULL, nb_cell_with, "pages=4k");
	assert_string_equal(json_string_value(json_object_get(run, "headline")),
			    "4k: local 104 ns (node 0), no remote pair measured");
	json_decref(run);
	/* Only untrustworthy cells: a headline that says so. */
	run = json_object();
	cells = json_array();
	json_object_set_new(run, "cells", cells);
	json_array_append_new(cells, cell(0, 0, "4k", 104.12, "untrustworthy"));
	nb_run_headline(run, "latency_ns", "4k:", NULL, nb_cell_with, "pages=4k");
	assert_non_null(strstr(json_string_value(json_object_get(run, "headline")),
			       "[includes untrustworthy cells]"));
	json_decref(run);
	char b[32];
	nb_fmt_figure(0.000123, b, sizeof(b));
	assert_null(strchr(b, 'e'));
	nb_fmt_figure(123456789.0, b, sizeof(b));
	assert_string_equal(b, "123456789");
}

static bool any_cell(json_t *c, void *arg)
{
	(void)c;
	(void)arg;
	return true;
}

/* With a topology: non-local pairs by distance class (two packages of two nodes, SLIT
 * 10/12/32, node 3 memory-only), and maxkey per pair (node 1 has fewer cpus). */
static void test_headline_classes(void **state)
{
	(void)state;
	struct nb_topo *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	static const int d[4][4] = {
	    {10, 12, 32, 20}, {12, 10, 32, 24}, {32, 32, 10, 30}, {20, 24, 30, 10}};
	t->nnodes = 4;
	t->have_distances = true;
	for (int i = 0; i < 4; i++) {
		t->nodes[i].id = i;
		t->nodes[i].ncpus = i == 3 ? 0 : 2;
		for (int j = 0; j < 4; j++)
			t->distances[i][j] = (uint64_t)d[i][j];
	}
	nb_headline_topology(t);
	json_t *run = json_object(), *cells = json_array();
	json_object_set_new(run, "cells", cells);
	static const struct {
		int c, m;
		double v;
	} lat[] = {{0, 0, 100}, {0, 1, 112}, {0, 2, 190}, {0, 3, 250}, {1, 1, 100}, {1, 0, 112}};
	for (size_t i = 0; i < sizeof(lat) / sizeof(lat[0]); i++)
		json_array_append_new(cells, cell(lat[i].c, lat[i].m, "4k", lat[i].v, "ok"));
	nb_run_headline(run, "latency_ns", "4k:", "size_bytes", nb_cell_with, "pages=4k");
	assert_string_equal(json_string_value(json_object_get(run, "headline")),
			    "4k: local 100 ns (nodes 0-1), same package 112 ns (1.12x), other "
			    "package 190 ns (1.90x), memory only 250 ns (2.50x)");
	json_decref(run);
	/* threads per pair: node 0 ran 1 and 4 threads, node 1 only 2; one class: "remote" */
	run = json_object();
	cells = json_array();
	json_object_set_new(run, "cells", cells);
	static const struct {
		int c, m, threads;
		double v;
	} bw[] = {{0, 0, 1, 10}, {0, 0, 4, 40}, {1, 1, 2, 20}, {0, 2, 4, 20}};
	for (size_t i = 0; i < sizeof(bw) / sizeof(bw[0]); i++) {
		double s[3] = {bw[i].v, bw[i].v, bw[i].v};
		json_t *o = json_pack("{s:i,s:i,s:i,s:s}", "cpu_node", bw[i].c, "mem_node", bw[i].m,
				      "threads", bw[i].threads, "status", "ok");
		json_object_set_new(
		    o, "metrics",
		    json_pack("{s:o}", "bandwidth_gbs", nb_metric("GB/s", "higher", s, 3)));
		json_array_append_new(cells, o);
	}
	nb_run_headline(run, "bandwidth_gbs", "read:", "threads", any_cell, NULL);
	assert_string_equal(json_string_value(json_object_get(run, "headline")),
			    "read: local 20.0-40.0 GB/s (nodes 0-1), remote 20.0 GB/s (1.50x)");
	json_decref(run);
	nb_headline_topology(NULL);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_summary_known_values),
	    cmocka_unit_test(test_summary_outlier),
	    cmocka_unit_test(test_summary_small_and_ties),
	    cmocka_unit_test(test_median_ci_ranks),
	    cmocka_unit_test(test_rule),
	    cmocka_unit_test(test_headline),
	    cmocka_unit_test(test_headline_classes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
