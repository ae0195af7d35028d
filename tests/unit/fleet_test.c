/* Unit tests of the fleet's robust reference (analysis/fleet.c): the median and 1.4826 x MAD
 * of known values, an outlier that does not move them, and no values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "fleet.h"

#include <math.h>

static void test_robust_known_values(void **state)
{
	(void)state;
	/* median 5; |v - 5| = 4 3 2 1 0 1 2 3 4 -> MAD 2 */
	double v[9] = {9, 1, 8, 2, 5, 7, 3, 6, 4}, med, sp;
	fl_robust(v, 9, &med, &sp);
	assert_float_equal(med, 5, 1e-12);
	assert_float_equal(sp, 1.4826 * 2, 1e-12);
}

static void test_robust_ignores_one_outlier(void **state)
{
	(void)state;
	double a[7] = {10, 10.2, 9.8, 10.1, 9.9, 10, 10}, b[7], ma, sa, mb, sb;
	for (int i = 0; i < 7; i++)
		b[i] = a[i];
	b[3] = 6; /* a host 40% low */
	fl_robust(a, 7, &ma, &sa);
	fl_robust(b, 7, &mb, &sb);
	assert_float_equal(ma, mb, 1e-12);
	assert_true(sb <= 1.4826 * 0.2 + 1e-12);
	assert_true(fabs((6 - mb) / sb) > FL_Z_DEFAULT);
}

static void test_robust_empty(void **state)
{
	(void)state;
	double med, sp;
	fl_robust(NULL, 0, &med, &sp);
	assert_true(isnan(med));
	assert_true(isnan(sp));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_robust_known_values),
	    cmocka_unit_test(test_robust_ignores_one_outlier),
	    cmocka_unit_test(test_robust_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
