/* Unit tests of tunables validation and the crash-safe journal (harness/tunables.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tunables.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void test_tunables_validation(void **state)
{
	(void)state;
	char err[256];
	const struct nb_tunable *t = nb_tunable_find("scan_size_mb");
	assert_non_null(t);
	assert_int_equal(nb_tunable_check(t, "0", err, sizeof(err)), -1); /* crashed kernels */
	assert_non_null(strstr(err, "scan_size_mb=0"));
	assert_int_equal(nb_tunable_check(t, "256", err, sizeof(err)), 0);
	t = nb_tunable_find("numa_balancing");
	assert_int_equal(nb_tunable_check(t, "4", err, sizeof(err)), -1);
	assert_int_equal(nb_tunable_check(t, "3", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "1x", err, sizeof(err)), -1);
	t = nb_tunable_find("thp_enabled");
	assert_int_equal(nb_tunable_check(t, "madvise", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "mad", err, sizeof(err)), -1);
	assert_null(nb_tunable_find("../../etc/passwd"));
}

/* Journal: set a real tunable, "crash" (forget in-process state by restoring from the file
 * as a fresh invocation would), and check the original value is back. Root only. */
static void test_journal_restore(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		skip();
	}
	char err[256], orig[64], now[64], jpath[] = "/tmp/nbjournalXXXXXX";
	int fd = mkstemp(jpath);
	close(fd);
	unlink(jpath);
	setenv("NUMABENCH_JOURNAL", jpath, 1);
	const struct nb_tunable *t = nb_tunable_find("zone_reclaim_mode");
	assert_int_equal(nb_tunable_get(t, orig, sizeof(orig)), 0);
	const char *other = strcmp(orig, "1") ? "1" : "0";
	assert_int_equal(nb_tunable_set(t, other, err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_set(t, other, err, sizeof(err)), 0); /* journaled once */
	nb_tunable_get(t, now, sizeof(now));
	assert_string_equal(now, other);
	assert_int_equal(access(jpath, F_OK), 0);
	assert_int_equal(nb_tunables_restore(false), 1);
	nb_tunable_get(t, now, sizeof(now));
	assert_string_equal(now, orig);
	assert_int_equal(access(jpath, F_OK), -1); /* journal cleared */
	unsetenv("NUMABENCH_JOURNAL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tunables_validation),
	    cmocka_unit_test(test_journal_restore),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
