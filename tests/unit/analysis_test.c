/* Unit tests of the analysis code: the generator, the bootstrap, verdicts, formatting,
 * validation and the document renderings. Known values come from the reference splitmix64,
 * from exact bootstrap distributions of tiny samples, and from hand computation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "an_common.h"
#include "an_compare.h"
#include "an_doc.h"
#include "an_json.h"
#include "an_pairs.h"
#include "an_stats.h"
#include "stats.h"

static void rng_reference_sequence(void **state)
{
	(void)state;
	struct an_rng r;
	an_rng_seed(&r, 0); /* published splitmix64 outputs for seed 0 */
	assert_true(an_rng_next(&r) == 0xe220a8397b1dcdafull);
	assert_true(an_rng_next(&r) == 0x6e789e6aa1b965f4ull);
	assert_true(an_rng_next(&r) == 0x06c45d188009454full);
}

static void rng_below_is_uniform(void **state)
{
	(void)state;
	struct an_rng r;
	int count[3] = {0};
	an_rng_seed(&r, 7);
	for (int i = 0; i < 30000; i++) {
		uint64_t v = an_rng_below(&r, 3);
		assert_true(v < 3);
		count[v]++;
	}
	for (int i = 0; i < 3; i++) /* 10000 expected, sd about 82 */
		assert_in_range(count[i], 9600, 10400);
}

static void median_odd_even_empty(void **state)
{
	(void)state;
	const double odd[] = {5, 1, 3}, even[] = {4, 1, 3, 2};
	assert_float_equal(an_median(odd, 3), 3, 0);
	assert_float_equal(an_median(even, 4), 2.5, 0);
	assert_true(isnan(an_median(odd, 0)));
}

static void boot_constant_samples(void **state)
{
	(void)state;
	const double a[] = {10, 10, 10}, b[] = {20, 20, 20};
	double lo, hi;
	an_boot_change_ci(a, 3, b, 3, 500, 1, &lo, &hi, NULL);
	assert_float_equal(lo, 1.0, 1e-12);
	assert_float_equal(hi, 1.0, 1e-12);
}

/* A = {1}, B = {1, 3}: a resample of B has median 1, 2 or 3 with probabilities 1/4, 1/2,
 * 1/4, so the change is 0, 1 or 2 and the 95% interval is exactly [0, 2]. */
static void boot_exact_distribution(void **state)
{
	(void)state;
	const double a[] = {1}, b[] = {1, 3};
	double lo, hi, dist[4000];
	int n[3] = {0};
	an_boot_change_ci(a, 1, b, 2, 4000, AN_BOOT_SEED, &lo, &hi, dist);
	assert_float_equal(lo, 0.0, 0);
	assert_float_equal(hi, 2.0, 0);
	for (int i = 0; i < 4000; i++) {
		assert_true(dist[i] == 0 || dist[i] == 1 || dist[i] == 2);
		n[(int)dist[i]]++;
	}
	assert_in_range(n[0], 900, 1100); /* 1000 expected, sd 27 */
	assert_in_range(n[1], 1850, 2150);
	assert_in_range(n[2], 900, 1100);
}

static void boot_is_reproducible_and_bounded(void **state)
{
	(void)state;
	const double a[] = {100, 102, 98, 101, 99, 103, 97}, b[] = {110, 108, 112, 109, 111};
	double lo1, hi1, lo2, hi2;
	an_boot_change_ci(a, 7, b, 5, AN_BOOT_REPS, AN_BOOT_SEED, &lo1, &hi1, NULL);
	an_boot_change_ci(a, 7, b, 5, AN_BOOT_REPS, AN_BOOT_SEED, &lo2, &hi2, NULL);
	assert_true(lo1 == lo2 && hi1 == hi2);
	/* A ratio of medians cannot leave [min b / max a, max b / min a]. */
	assert_true(lo1 >= 108.0 / 103 - 1 && hi1 <= 112.0 / 97 - 1);
	assert_true(lo1 > 0 && lo1 < 0.10 && hi1 > 0.10);
}

static void boot_zero_baseline_is_undefined(void **state)
{
	(void)state;
	const double a[] = {0, 0, 5}, b[] = {1, 2, 3};
	double lo, hi;
	an_boot_change_ci(a, 3, b, 3, 200, 1, &lo, &hi, NULL);
	assert_true(isnan(lo) && isnan(hi));
	an_boot_change_ci(a, 0, b, 3, 200, 1, &lo, &hi, NULL);
	assert_true(isnan(lo) && isnan(hi));
}

static void mann_whitney_known_value(void **state)
{
	(void)state;
	const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
	/* U = 0, z = (12.5 - 0.5) / sqrt(25 * 11 / 12) = 2.50672; p = erfc(z / sqrt 2) */
	assert_float_equal(nb_mann_whitney_p(a, 5, b, 5), 0.0121858, 1e-6);
}

static void compare_verdicts_follow_direction(void **state)
{
	(void)state;
	const double a[] = {10, 10.1, 9.9, 10.2, 9.8, 10.05, 9.95};
	const double b[] = {12, 12.1, 11.9, 12.2, 11.8, 12.05, 11.95};
	struct an_cmp c = {.min_change = 0.02};
	an_compare(a, 7, b, 7, -1, &c);
	assert_true(c.stat_sig && c.practical);
	assert_float_equal(c.change, 0.2, 1e-12);
	assert_true(c.p < 0.01 && c.lo > 0);
	assert_int_equal(c.verdict, AN_V_WORSE);
	assert_true(an_beyond(&c, 19.9));
	assert_false(an_beyond(&c, 20.1));
	an_compare(a, 7, b, 7, 1, &c);
	assert_int_equal(c.verdict, AN_V_BETTER);
	assert_false(an_beyond(&c, 0));
	an_compare(a, 7, b, 7, 0, &c);
	assert_int_equal(c.verdict, AN_V_CHANGED);
	an_compare(a, 7, a, 7, -1, &c);
	assert_int_equal(c.verdict, AN_V_SAME);
	an_compare(a, 0, b, 7, -1, &c);
	assert_int_equal(c.verdict, AN_V_NA);
}

static void judge_needs_both_tests(void **state)
{
	(void)state;
	struct an_cmp c = {.change = 0.1, .lo = -0.01, .hi = 0.2, .p = 0.01};
	assert_int_equal(an_judge(&c, -1), AN_V_SAME); /* p small, CI holds 0 */
	c.lo = 0.05;
	c.p = 0.2;
	assert_int_equal(an_judge(&c, -1), AN_V_SAME); /* CI excludes 0, p large */
	c.p = 0.01;
	assert_int_equal(an_judge(&c, -1), AN_V_WORSE);
	c.lo = c.hi = NAN;
	assert_int_equal(an_judge(&c, -1), AN_V_SAME);
}

/* Significant only when statistically significant and beyond the practical threshold; the
 * two conditions are reported. */
static void judge_needs_practical_size(void **state)
{
	(void)state;
	/* A 1% shift, very consistent: p tiny, CI excludes 0, but below 2%. */
	double a[30], b[30];
	for (int i = 0; i < 30; i++) {
		a[i] = 100 + (i % 5) * 0.01;
		b[i] = 101 + (i % 5) * 0.01;
	}
	struct an_cmp c = {.min_change = 0.02};
	an_compare(a, 30, b, 30, -1, &c);
	assert_true(c.stat_sig);
	assert_false(c.practical);
	assert_int_equal(c.verdict, AN_V_SAME);
	c = (struct an_cmp){.min_change = 0.005};
	an_compare(a, 30, b, 30, -1, &c);
	assert_true(c.stat_sig && c.practical);
	assert_int_equal(c.verdict, AN_V_WORSE);
	/* Beyond 2% but not statistically significant: not significant either. */
	c = (struct an_cmp){.change = 0.05, .lo = -0.01, .hi = 0.1, .p = 0.3, .min_change = 0.02};
	assert_false(an_stat_sig(&c));
	assert_true(an_practical(&c));
	assert_int_equal(an_judge(&c, -1), AN_V_SAME);
}

static void fmt_num_cases(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *s;
	} cases[] = {{1.2, "1.200"},	     {95.214, "95.21"},	  {16384, "16384"},
		     {1234.56, "1235"},	     {0.99812, "0.9981"}, {-3.5, "-3.500"},
		     {0.00001, "1.000e-05"}, {NAN, "-"},	  {INFINITY, "inf"}};
	char buf[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		an_fmt_num(cases[i].v, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].s);
	}
}

static void value_text_shapes(void **state)
{
	(void)state;
	char buf[AN_TEXT_MAX], small[12];
	json_t *v = json_loads("{\"a\":[\"x\",\"y\"],\"b\":[[1,2],[3]],\"m\":{\"median\":12.5,"
			       "\"unit\":\"ns\"},\"t\":true,\"n\":null}",
			       0, NULL);
	an_value_text(json_object_get(v, "a"), buf, sizeof(buf));
	assert_string_equal(buf, "x y");
	an_value_text(json_object_get(v, "b"), buf, sizeof(buf));
	assert_string_equal(buf, "[1,2],[3]");
	an_value_text(json_object_get(v, "m"), buf, sizeof(buf));
	assert_string_equal(buf, "12.50 ns");
	an_value_text(json_object_get(v, "t"), buf, sizeof(buf));
	assert_string_equal(buf, "yes");
	an_value_text(json_object_get(v, "n"), buf, sizeof(buf));
	assert_string_equal(buf, "-");
	an_value_text(json_object_get(v, "a"), small, 3);
	assert_string_equal(small, "x ");
	json_t *s = json_string("a long string that is cut");
	an_value_text(s, small, sizeof(small));
	assert_string_equal(small, "a long s...");
	json_decref(s);
	json_decref(v);
}

static void cell_labels(void **state)
{
	(void)state;
	static const char *const skip[] = {"cpu_node", "mem_node", NULL};
	char buf[256];
	json_t *c = json_loads("{\"mem_node\":1,\"metrics\":{},\"cpu_node\":0,\"pages\":\"4k\","
			       "\"size\":1073741824,\"value\":3}",
			       0, NULL);
	an_cell_label(c, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "size=1G pages=4k cpu_node=0 mem_node=1");
	an_cell_label(c, skip, buf, sizeof(buf));
	assert_string_equal(buf, "size=1G pages=4k");
	json_decref(c);
}

static int check(const char *text, char *err, size_t len)
{
	json_t *doc = json_loads(text, 0, NULL);
	assert_non_null(doc);
	int rc = an_check_result(doc, err, len);
	json_decref(doc);
	return rc;
}

static void validation_names_the_field(void **state)
{
	(void)state;
	char err[256];
	assert_int_equal(
	    check("{\"runs\":[{\"bench\":\"x\",\"new\":1}],\"other\":2}", err, sizeof(err)), 0);
	assert_int_equal(
	    check("{\"runs\":[{\"bench\":\"x\"},{\"status\":\"ok\"}]}", err, sizeof(err)), -1);
	assert_string_equal(err, "runs[1].bench: a string expected");
	assert_int_equal(check("{\"runs\":[{\"bench\":\"x\",\"cells\":[{\"metrics\":{\"m\":"
			       "{\"direction\":\"faster\"}}}]}]}",
			       err, sizeof(err)),
			 -1);
	assert_string_equal(
	    err, "runs[0].cells[0].metrics.m.direction: \"lower\" or \"higher\" expected");
	assert_int_equal(check("{\"runs\":{}}", err, sizeof(err)), -1);
	assert_string_equal(err, "runs: an array expected");
	assert_int_equal(check("{\"runs\":[],\"host\":[]}", err, sizeof(err)), -1);
	assert_string_equal(err, "host: an object expected");
}

/* Render a small document to a file and return its text. */
static char *render(enum an_fmt fmt, void (*body)(struct an_doc *))
{
	char path[] = "/tmp/analysis_test.XXXXXX", *text = NULL;
	size_t len = 0;
	int fd = mkstemp(path);
	struct an_doc d;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(an_doc_open(&d, fmt, false, "T"), 0);
	body(&d);
	assert_int_equal(an_doc_close(&d, path), NB_EXIT_OK);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &len, 0, f) > 0);
	fclose(f);
	unlink(path);
	return text;
}

static void table_body(struct an_doc *d)
{
	struct an_table *t = an_table_new();
	an_table_col(t, "name");
	an_table_col(t, "value");
	an_table_col(t, "note");
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "a|b_c _d");
	an_table_cell(t, AN_PLAIN, "1.5");
	an_table_cell(t, AN_BAD, "<&>");
	an_table_row(t);
	an_table_cell(t, AN_PLAIN, "long name");
	an_table_cell(t, AN_PLAIN, "-");
	an_table_emit(d, t);
}

static void table_text(void **state)
{
	(void)state;
	char *s = render(AN_TEXT, table_body);
	assert_string_equal(s, "T\n=\n\n"
			       "name       value  note\n"
			       "---------  -----  ----\n"
			       "a|b_c _d     1.5  <&>\n"
			       "long name      -\n\n");
	free(s);
}

static void table_markdown(void **state)
{
	(void)state;
	char *s = render(AN_MD, table_body);
	assert_string_equal(s, "# T\n\n"
			       "| name | value | note |\n"
			       "| --- | ---: | --- |\n"
			       "| a\\|b_c \\_d | 1.5 | **<&>** |\n"
			       "| long name | - |  |\n\n");
	free(s);
}

static void table_html(void **state)
{
	(void)state;
	char *s = render(AN_HTML, table_body);
	assert_non_null(strstr(s, "<td class=\"bad\">&#60;&#38;&#62;</td>"));
	assert_non_null(strstr(s, "<td class=\"num\">1.5</td>"));
	assert_null(strstr(s, "<script"));
	assert_non_null(strstr(s, "</html>\n"));
	free(s);
}

/* Benjamini-Hochberg: q_(i) = min over j >= i of p_(j) m / j, in the rows' own order. */
static void bh_known_values(void **state)
{
	(void)state;
	static const double p[] = {0.01, 0.04, 0.03, 0.005, NAN};
	static const double q[] = {0.02, 0.04, 0.04, 0.02};
	struct an_row rows[5];
	struct an_cmp_set k = {.rows = rows, .nrows = 5};
	for (int i = 0; i < 5; i++)
		rows[i] = (struct an_row){
		    .dir = -1, .q = NAN, .c = {.change = 0.1, .lo = 0.05, .hi = 0.2, .p = p[i]}};
	an_cmp_bh(&k);
	for (int i = 0; i < 4; i++)
		assert_true(fabs(rows[i].q - q[i]) < 1e-12);
	assert_true(isnan(rows[4].q));
	assert_int_equal(rows[1].c.verdict, AN_V_WORSE); /* q 0.04 < 0.05: still significant */
	/* p 0.049 and 0.3: the smaller's q is min(0.049 * 2 / 1, 0.3 * 2 / 2) = 0.098 */
	rows[0].c.p = 0.049;
	rows[1].c.p = 0.3;
	k.nrows = 2;
	an_cmp_bh(&k);
	assert_true(fabs(rows[0].q - 0.098) < 1e-12);	/* 0.049 * 2 / 1 */
	assert_int_equal(rows[0].c.verdict, AN_V_SAME); /* significant on p, not on q */
}

static void status_marks(void **state)
{
	(void)state;
	assert_string_equal(an_status_mark("ok"), "");
	assert_string_equal(an_status_mark(NULL), "");
	assert_string_equal(an_status_mark("untrustworthy"), "?");
	assert_string_equal(an_status_mark("failed"), "!");
	assert_string_equal(an_status_mark("skipped"), "~");
}

static void wide_body(struct an_doc *d)
{
	struct an_table *t = an_table_new();
	char name[16];
	for (int c = 0; c < 30; c++) {
		snprintf(name, sizeof(name), "column_%02d", c);
		an_table_col(t, name);
	}
	an_table_row(t);
	for (int c = 0; c < 30; c++)
		an_table_cell(t, AN_PLAIN, "%s",
			      c == 1 ? "a long value that has to wrap over "
				       "more than one line of the table, at spaces"
				     : "x");
	an_table_emit(d, t);
}

/* A table of 30 columns: every line within 120 columns, the key column in every block. */
static void table_text_width(void **state)
{
	(void)state;
	char *s = render(AN_TEXT, wide_body), *save = NULL;
	int blocks = 0;
	for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(l) <= 120);
		blocks += !strncmp(l, "column_00", 9);
	}
	assert_true(blocks >= 2);
	free(s);
}

static void unwritable_output_is_env_error(void **state)
{
	(void)state;
	struct an_doc d;
	assert_int_equal(an_doc_open(&d, AN_TEXT, false, "T"), 0);
	assert_int_equal(an_doc_close(&d, "/nonexistent-dir/report.txt"), NB_EXIT_ENV);
}

/* A mode of a balance run: its identity fields, a field outside the identity that differs
 * between the files (cpu_node), and one metric with samples. */
static json_t *bal_mode(const char *variant, const char *placement, int mode, int cpu)
{
	return json_pack("{s:s,s:s,s:i,s:i,s:s,s:{s:{s:s,s:s,s:[f,f,f,f,f]}}}", "variant", variant,
			 "placement", placement, "balancing", mode, "cpu_node", cpu, "status", "ok",
			 "metrics", "convergence_s", "unit", "s", "direction", "lower", "samples",
			 1.0, 1.1, 1.2, 1.0, 1.1);
}

static json_t *bal_doc(int cpu, bool reversed)
{
	json_t *modes = json_array();
	json_t *m1 = bal_mode("pinned", "remote", 1, cpu), *m2 = bal_mode("free", "local", 2, cpu);
	json_array_append_new(modes, reversed ? m2 : m1);
	json_array_append_new(modes, reversed ? m1 : m2);
	json_t *run =
	    json_pack("{s:s,s:{},s:{},s:s,s:[s,s,s],s:s,s:o}", "bench", "balance", "params",
		      "params_canonical", "status", "ok", "identity", "variant", "placement",
		      "balancing", "identity_records", "modes", "modes", modes);
	return json_pack("{s:[o]}", "runs", run);
}

/* compare pairs a run's modes by the identity it declares (identity_records: modes), in any
 * order, though a field of the built-in list (cpu_node) differs between the files. */
static void compare_declared_identity_of_modes(void **state)
{
	(void)state;
	json_t *a = bal_doc(0, false), *b = bal_doc(1, true);
	struct an_cmp_set k = {.a = a, .b = b, .an = "a.json", .bn = "b.json"};
	assert_int_equal(an_cmp_build(&k), 0);
	assert_int_equal(k.nrows, 2);
	assert_int_equal(k.notes.n, 0);
	bool seen = false;
	for (int i = 0; i < k.nrows; i++)
		seen |= !strcmp(k.rows[i].cell, "variant=pinned placement=remote balancing=1");
	assert_true(seen);
	an_cmp_free(&k);
	/* without the declaration (older files) the built-in list includes cpu_node: no pair */
	json_object_del(json_array_get(json_object_get(a, "runs"), 0), "identity");
	json_object_del(json_array_get(json_object_get(b, "runs"), 0), "identity");
	struct an_cmp_set k2 = {.a = a, .b = b, .an = "a.json", .bn = "b.json"};
	assert_int_equal(an_cmp_build(&k2), 0);
	assert_int_equal(k2.nrows, 0);
	an_cmp_free(&k2);
	json_decref(a);
	json_decref(b);
}

static json_t *lat_cell(int c, int m, int stride, int size, double ns)
{
	return json_pack("{s:i,s:i,s:s,s:i,s:i,s:s,s:{s:{s:f}}}", "cpu_node", c, "mem_node", m,
			 "pages", "4k", "stride", stride, "size_bytes", size, "status", "ok",
			 "metrics", "latency_ns", "median", ns);
}

static const struct an_pair *pair_of(const struct an_pairs *s, long long c, long long m)
{
	for (int i = 0; i < s->n; i++)
		if (s->p[i].cpu == c && s->p[i].mem == m)
			return &s->p[i];
	return NULL;
}

/* The report's pairs read the latency run's declared headline rule: its preferred stride, each
 * pair's largest size; files without a rule get the rule latency declares (256 B). */
static void pairs_follow_headline_rule(void **state)
{
	(void)state;
	json_t *cells = json_array();
	json_array_append_new(cells, lat_cell(0, 0, 64, 1 << 20, 10));
	json_array_append_new(cells, lat_cell(0, 0, 256, 1 << 20, 20));
	json_array_append_new(cells, lat_cell(0, 0, 256, 1 << 30, 30));
	json_array_append_new(cells, lat_cell(0, 1, 256, 1 << 20, 40)); /* run at 1M only */
	json_t *doc = json_pack("{s:[{s:s,s:o}]}", "runs", "bench", "latency", "cells", cells);
	struct an_pairs s;
	an_pairs_collect(&s, doc);
	assert_float_equal(pair_of(&s, 0, 0)->lat4k.v, 30, 0);
	assert_float_equal(pair_of(&s, 0, 1)->lat4k.v, 40, 0); /* its own largest size */
	an_pairs_free(&s);
	json_object_set_new(json_array_get(json_object_get(doc, "runs"), 0), "headline_rule",
			    json_pack("{s:s,s:s}", "prefer", "stride=64", "largest", "size_bytes"));
	an_pairs_collect(&s, doc);
	assert_float_equal(pair_of(&s, 0, 0)->lat4k.v, 10, 0);
	assert_true(!pair_of(&s, 0, 1) || isnan(pair_of(&s, 0, 1)->lat4k.v));
	an_pairs_free(&s);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rng_reference_sequence),
	    cmocka_unit_test(rng_below_is_uniform),
	    cmocka_unit_test(median_odd_even_empty),
	    cmocka_unit_test(boot_constant_samples),
	    cmocka_unit_test(boot_exact_distribution),
	    cmocka_unit_test(boot_is_reproducible_and_bounded),
	    cmocka_unit_test(boot_zero_baseline_is_undefined),
	    cmocka_unit_test(mann_whitney_known_value),
	    cmocka_unit_test(compare_verdicts_follow_direction),
	    cmocka_unit_test(judge_needs_both_tests),
	    cmocka_unit_test(judge_needs_practical_size),
	    cmocka_unit_test(fmt_num_cases),
	    cmocka_unit_test(value_text_shapes),
	    cmocka_unit_test(cell_labels),
	    cmocka_unit_test(validation_names_the_field),
	    cmocka_unit_test(table_text),
	    cmocka_unit_test(table_markdown),
	    cmocka_unit_test(table_html),
	    cmocka_unit_test(bh_known_values),
	    cmocka_unit_test(status_marks),
	    cmocka_unit_test(table_text_width),
	    cmocka_unit_test(unwritable_output_is_env_error),
	    cmocka_unit_test(compare_declared_identity_of_modes),
	    cmocka_unit_test(pairs_follow_headline_rule),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
