/* Unit tests of the main thread's affinity kept across a bench (harness/affinity.c): a bench
 * that pins the thread is undone, and the record says what it left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "affinity.h"

#include <string.h>

static const char *field(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A "bench" that pins the thread to its first allowed cpu: restored after, and recorded. */
static void test_pinning_bench_restored(void **state)
{
	(void)state;
	struct bitmask *before = nb_affinity_save(), *check = nb_affinity_save();
	assert_non_null(before);
	if (numa_bitmask_weight(before) < 2) {
		numa_free_cpumask(before);
		numa_free_cpumask(check);
		skip(); /* one allowed cpu: pinning to it changes nothing to undo */
	}
	struct bitmask *one = numa_allocate_cpumask();
	for (unsigned i = 0; i < before->size; i++)
		if (numa_bitmask_isbitset(before, i)) {
			numa_bitmask_setbit(one, i);
			break;
		}
	assert_int_equal(numa_sched_setaffinity(0, one), 0);
	json_t *rec = nb_affinity_restore(before);
	struct bitmask *after = nb_affinity_save();
	assert_true(numa_bitmask_equal(after, check));
	assert_true(json_is_true(json_object_get(rec, "restored")));
	assert_string_not_equal(field(rec, "bench_left"), field(rec, "main_thread"));
	json_decref(rec);
	numa_free_cpumask(one);
	numa_free_cpumask(after);
	numa_free_cpumask(check);
}

/* A bench that leaves the affinity alone: the record says so. */
static void test_untouched_recorded_same(void **state)
{
	(void)state;
	json_t *rec = nb_affinity_restore(nb_affinity_save());
	assert_true(json_is_true(json_object_get(rec, "restored")));
	assert_string_equal(field(rec, "bench_left"), field(rec, "main_thread"));
	json_decref(rec);
	rec = nb_affinity_restore(NULL);
	assert_true(json_is_null(rec));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pinning_bench_restored),
	    cmocka_unit_test(test_untouched_recorded_same),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
