/* Unit tests of the plan's calibration by this host's earlier results (harness/calib.c): a
 * planned bench's model scaled by measured / model of the newest matching run, a bench without
 * a plan estimated by its measured duration, and what must not count: another host, a replay,
 * a run cut by the budget, other parameters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "calib.h"
#include "results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static char dir[] = "/tmp/nbcalib.XXXXXX";

static json_t *run(const char *bench, int size, const char *status, const char *reason, double dur,
		   double model)
{
	json_t *r = json_pack("{s:s,s:{s:i},s:s,s:f}", "bench", bench, "params_canonical", "size",
			      size, "status", status, "duration_s", dur);
	if (reason)
		json_object_set_new(r, "reason", json_string(reason));
	if (model >= 0)
		json_object_set_new(r, "estimate_model_s", json_real(model));
	return r;
}

/* A results file of host h (this host's when NULL), topology source src, written mtime
 * seconds ago. */
static void write_doc(const char *name, json_t *h, const char *src, json_t *runs, int age)
{
	char p[256];
	json_t *doc = json_pack("{s:s,s:o,s:{s:s},s:o}", "schema", "numabench.result/1", "host",
				h ? h : nb_result_host(), "topology", "source", src, "runs", runs);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	assert_int_equal(json_dump_file(doc, p, 0), 0);
	json_decref(doc);
	struct utimbuf t = {time(NULL) - age, time(NULL) - age};
	utime(p, &t);
}

static int setup(void **state)
{
	(void)state;
	assert_non_null(mkdtemp(dir));
	json_t *other = nb_result_host();
	json_object_set_new(other, "hostname", json_string("some-other-host"));
	/* Newest: this host, latency size 1 measured 40 s against a model of 10 s; gup 30 s;
	 * latency size 2 cut by the budget. */
	write_doc("a.json", NULL, "live",
		  json_pack("[o,o,o,o]", run("latency", 1, "ok", NULL, 40, 10),
			    run("gup", 1, "ok", NULL, 30, -1),
			    run("latency", 2, "ok", "budget: 3 of 4 cells not reached", 5, 20),
			    run("fault", 5, "ok", NULL, 80, 10)),
		  10);
	/* Older: this host, latency size 1 at another factor (the newest must win). */
	write_doc("b.json", NULL, "live",
		  json_pack("[o,o]", run("latency", 1, "ok", NULL, 10, 10),
			    run("fault", 5, "ok", NULL, 10, 10)),
		  100);
	/* Oldest: fault size 5 at factor 2. With a.json's 8 (a busy machine) and b.json's 1, the
	 * median of the three, 2, sets the estimate, not the newest. */
	write_doc("e.json", NULL, "live", json_pack("[o]", run("fault", 5, "ok", NULL, 20, 10)),
		  200);
	/* Another host and a replay: never counted. */
	write_doc("c.json", other, "live", json_pack("[o]", run("fault", 1, "ok", NULL, 99, 1)), 5);
	write_doc("d.json", NULL, "xml:x.xml", json_pack("[o]", run("c2c", 1, "ok", NULL, 99, 1)),
		  5);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	const char *n[] = {"a.json", "b.json", "c.json", "d.json", "e.json"};
	char p[256];
	for (size_t i = 0; i < 5; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, n[i]);
		unlink(p);
	}
	rmdir(dir);
	return 0;
}

static double est(json_t *calib, const char *bench, int size, double model, json_t **info)
{
	json_t *canon = json_pack("{s:i}", "size", size);
	double e = nb_calib_estimate(calib, bench, canon, model, info);
	json_decref(canon);
	return e;
}

static void test_scaled_and_measured(void **state)
{
	(void)state;
	json_t *calib = nb_calib_load(dir), *info;
	/* The model said 12 s now; the newest run measured 4x its model. */
	assert_float_equal(est(calib, "latency", 1, 12, &info), 48, 1e-9);
	assert_non_null(info);
	assert_float_equal(json_number_value(json_object_get(info, "factor")), 4, 1e-9);
	json_decref(info);
	/* Three matching runs: their median factor (2), not the newest (8). */
	assert_float_equal(est(calib, "fault", 5, 3, &info), 6, 1e-9);
	assert_int_equal(json_integer_value(json_object_get(info, "runs")), 3);
	json_decref(info);
	/* No plan: the measured duration. */
	assert_float_equal(est(calib, "gup", 1, -1, &info), 30, 1e-9);
	assert_true(json_is_null(json_object_get(info, "factor")));
	json_decref(info);
	json_decref(calib);
}

static void test_what_does_not_count(void **state)
{
	(void)state;
	json_t *calib = nb_calib_load(dir), *info;
	/* Cut by the budget: its duration is not the bench's. */
	assert_float_equal(est(calib, "latency", 2, 7, &info), 7, 1e-9);
	assert_null(info);
	/* Other parameters, another host, a replay, an unknown bench. */
	assert_float_equal(est(calib, "latency", 3, 5, &info), 5, 1e-9);
	assert_null(info);
	assert_float_equal(est(calib, "fault", 1, 2, &info), 2, 1e-9);
	assert_null(info);
	assert_float_equal(est(calib, "c2c", 1, 2, &info), 2, 1e-9);
	assert_null(info);
	assert_float_equal(est(calib, "gup", 2, -1, &info), -1, 1e-9);
	assert_null(info);
	json_decref(calib);
	/* A missing folder and "off": nothing. */
	calib = nb_calib_load("/nonexistent/numabench");
	assert_int_equal(json_array_size(calib), 0);
	json_decref(calib);
	setenv("NUMABENCH_CALIBRATION", "off", 1);
	assert_null(nb_calib_dir());
	unsetenv("NUMABENCH_CALIBRATION");
	assert_string_equal(nb_calib_dir(), "results");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scaled_and_measured),
	    cmocka_unit_test(test_what_does_not_count),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
