/* Unit tests of the results writer and reader (harness/results.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "results.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_results_roundtrip(void **state)
{
	(void)state;
	struct nb_topo t;
	struct nb_caps c;
	char err[512], dir[] = "/tmp/nbtestXXXXXX", path[256], link[256];
	assert_int_equal(nb_topo_load(&t), 0);
	memset(&c, 0, sizeof(c));
	strcpy(c.virt, "none");
	char *argv[] = {"numabench", "run"};
	json_t *doc = nb_result_new(&t, &c, 2, argv);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/r.json", dir);
	assert_int_equal(nb_result_write(path, doc, err, sizeof(err)), 0);
	json_t *back = nb_result_read(path, err, sizeof(err));
	assert_non_null(back);
	assert_true(json_equal(doc, back));
	/* a symlink is refused and the target stays intact */
	snprintf(link, sizeof(link), "%s/l.json", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(nb_result_write(link, doc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "symlink"));
	/* the older major is still read; an unknown (newer or zero) major version, garbage,
	 * truncation are not */
	json_object_set_new(doc, "schema", json_string("numabench.result/1"));
	char *txt = json_dumps(doc, 0);
	json_t *old = nb_result_parse(txt, strlen(txt), err, sizeof(err));
	assert_non_null(old);
	json_decref(old);
	free(txt);
	json_object_set_new(doc, "schema", json_string("numabench.result/0"));
	txt = json_dumps(doc, 0);
	assert_null(nb_result_parse(txt, strlen(txt), err, sizeof(err)));
	assert_non_null(strstr(err, "major version 0"));
	free(txt);
	json_object_set_new(doc, "schema", json_string("numabench.result/3"));
	txt = json_dumps(doc, 0);
	assert_null(nb_result_parse(txt, strlen(txt), err, sizeof(err)));
	assert_non_null(strstr(err, "major version 3"));
	assert_null(nb_result_parse(txt, strlen(txt) / 2, err, sizeof(err)));
	assert_non_null(strstr(err, "invalid JSON"));
	assert_null(nb_result_parse("{\"schema\":\"other/1\",\"runs\":[]}", 30, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown schema"));
	assert_null(nb_result_parse("[1]", 3, err, sizeof(err)));
	free(txt);
	unlink(link);
	unlink(path);
	rmdir(dir);
	json_decref(doc);
	json_decref(back);
	nb_topo_free(&t);
}

/* Write TEXT to ROOT/REL, creating the folders on the way. */

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_results_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
