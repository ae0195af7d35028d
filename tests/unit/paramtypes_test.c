/* Unit tests of the parameter layer (harness/params.c): choices read as values, integer lists
 * apart from size lists, constraints checked by flags, and every bench's table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "kernels.h"
#include "remote.h"

#include <stdio.h>
#include <string.h>

/* A bench of the test's own, never registered: each kind of parameter the layer knows. */
enum { T_MODE, T_COUNTS, T_STRIDE, T_GROUP, T_MIX, T_SIZE, T_COUNT };
enum { MODE_ON = 7, MODE_OFF = 3 }; /* values that are not the choices' indexes */
static const struct nb_choice modes[] = {
    {"on", MODE_ON, "enabled"},
    {"off", MODE_OFF, "disabled"},
    {NULL, 0, NULL},
};
static const struct nb_choice words[] = {
    {"all", 5, "every one"},
    {NULL, 0, NULL},
};
static const struct nb_param_def tparams[] = {
    [T_MODE] = {"mode", NB_P_ENUM, "", "off", 0, 0, modes, "a choice"},
    [T_COUNTS] = {"counts", NB_P_INTS, "threads", "1,all", 1, 64, words, "counts"},
    [T_STRIDE] = {"stride", NB_P_SIZES, "bytes", "256", 64, 1 << 20, NULL, "strides", NB_PF_POW2,
		  "group"},
    [T_GROUP] = {"group", NB_P_SIZE, "bytes", "4K", 4096, 1 << 30, NULL, "group"},
    [T_MIX] = {"mix", NB_P_ENUMS, "", "read", 0, 0, NULL, "mixes", 0, NULL,
	       NB_CHOICES_OF(nb_mixes, NB_MIX_COUNT)},
    [T_SIZE] = {"size", NB_P_SIZE, "bytes", "dram", 4096, 1 << 30, nb_choices_dram, "size"},
    [T_COUNT] = NB_PARAMS_END,
};
static const struct nb_bench tbench = {
    .abi = NB_BENCH_ABI, .name = "t", .params = tparams, .nparams = T_COUNT};

static void test_choices_are_values(void **state)
{
	(void)state;
	struct nb_params p;
	char err[256];
	assert_int_equal(nb_params_init(&p, &tbench, err, sizeof(err)), 0);
	assert_int_equal(p.v[T_MODE].choice, MODE_OFF);
	assert_int_equal(nb_params_set(&p, "mode", "on", err, sizeof(err)), 0);
	assert_int_equal(p.v[T_MODE].choice, MODE_ON);
	assert_int_equal(nb_params_set(&p, "mode", "maybe", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.mode: unknown value \"maybe\" (valid: on|off)"));
	/* a failed set keeps the previous value */
	assert_int_equal(p.v[T_MODE].choice, MODE_ON);
	/* choices from a kernels' table: the kernels' enum */
	assert_int_equal(nb_params_set(&p, "mix", "ntwrite,r1w1", err, sizeof(err)), 0);
	assert_int_equal(p.v[T_MIX].list[0], NB_MIX_NTWRITE);
	assert_int_equal(p.v[T_MIX].list[1], NB_MIX_R1W1);
	assert_int_equal(nb_params_set(&p, "mix", "r4w1", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "read|r3w1|r2w1|r1w1|ntwrite"));
	/* the canonical JSON names choices, never their values */
	json_t *c = nb_params_canonical(&p);
	assert_string_equal(json_string_value(json_object_get(c, "mode")), "on");
	assert_string_equal(json_string_value(json_array_get(json_object_get(c, "mix"), 0)),
			    "ntwrite");
	assert_string_equal(json_string_value(json_object_get(c, "size")), "dram");
	json_decref(c);
	assert_string_equal(nb_param_choice_name(&tparams[T_MODE], MODE_ON), "on");
	assert_null(nb_param_choice_name(&tparams[T_MODE], 0));
	char buf[64];
	nb_param_choices_text(&tparams[T_MIX], buf, sizeof(buf));
	assert_string_equal(buf, "read|r3w1|r2w1|r1w1|ntwrite");
	nb_params_free(&p);
}

static void test_int_lists_are_not_sizes(void **state)
{
	(void)state;
	struct nb_params p;
	char err[256];
	assert_int_equal(nb_params_init(&p, &tbench, err, sizeof(err)), 0);
	assert_int_equal(p.v[T_COUNTS].nlist, 2);
	assert_int_equal(p.v[T_COUNTS].list[0], 1);
	assert_int_equal(nb_param_word(p.v[T_COUNTS].list[1]), 5); /* the word's value */
	assert_int_equal(nb_params_set(&p, "counts", "1K", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.counts: \"1K\" is not a whole number"));
	assert_non_null(strstr(err, "all"));
	assert_int_equal(nb_params_set(&p, "counts", "65", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "out of range"));
	assert_int_equal(nb_params_set(&p, "counts", "2,64", err, sizeof(err)), 0);
	assert_int_equal(p.v[T_COUNTS].list[1], 64);
	/* a size list takes suffixes */
	assert_int_equal(nb_params_set(&p, "stride", "1K", err, sizeof(err)), 0);
	assert_int_equal(p.v[T_STRIDE].list[0], 1024);
	nb_params_free(&p);
	/* the real benches: thread counts, cpu ids and sweep values are whole numbers */
	static const char *const ints[][3] = {{"bandwidth", "threads", "1,cores"},
					      {"loaded", "injectors", "0"},
					      {"loaded", "delay", "0,100"},
					      {"tier", "rate_limits_MBps", "1,65536"},
					      {"tier", "hot_thresholds_ms", "10"}};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		assert_int_equal(nb_params_init(&p, nb_bench_find(ints[i][0]), err, sizeof(err)),
				 0);
		assert_int_equal(nb_params_set(&p, ints[i][1], "1K", err, sizeof(err)), -1);
		assert_non_null(strstr(err, "is not a whole number"));
		assert_int_equal(nb_params_set(&p, ints[i][1], ints[i][2], err, sizeof(err)), 0);
		nb_params_free(&p);
	}
}

static void test_constraints(void **state)
{
	(void)state;
	struct nb_params p;
	char err[256];
	assert_int_equal(nb_params_init(&p, &tbench, err, sizeof(err)), 0);
	/* power of two: refused when set */
	assert_int_equal(nb_params_set(&p, "stride", "64,96", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.stride=96: 96 is not a power of two"));
	/* at most another parameter: checked once every value is set, in either order */
	assert_int_equal(nb_params_set(&p, "stride", "64,8K", err, sizeof(err)), 0);
	assert_int_equal(nb_params_check(&p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "t.stride=64,8K: 8192 is larger than t.group=4K"));
	assert_int_equal(nb_params_set(&p, "group", "8K", err, sizeof(err)), 0);
	assert_int_equal(nb_params_check(&p, err, sizeof(err)), 0);
	nb_params_free(&p);
	/* the shared stride of latency and loaded carries both rules */
	const char *const chase[] = {"latency", "loaded"};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(nb_params_init(&p, nb_bench_find(chase[i]), err, sizeof(err)), 0);
		assert_int_equal(nb_params_set(&p, "stride", "192", err, sizeof(err)), -1);
		assert_non_null(strstr(err, "not a power of two"));
		assert_int_equal(nb_params_set(&p, "stride", "512K", err, sizeof(err)), 0);
		assert_int_equal(nb_params_check(&p, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "larger than"));
		assert_int_equal(nb_params_set(&p, "tlb_group", "1M", err, sizeof(err)), 0);
		assert_int_equal(nb_params_check(&p, err, sizeof(err)), 0);
		nb_params_free(&p);
	}
	/* c2c's stride: a power of two, no group */
	assert_int_equal(nb_params_init(&p, nb_bench_find("c2c"), err, sizeof(err)), 0);
	assert_int_equal(nb_params_set(&p, "stride", "320", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "c2c.stride=320: 320 is not a power of two"));
	nb_params_free(&p);
}

/* A descriptor whose table has a hole, or was built for another version, is refused. */
static void test_descriptor_checks(void **state)
{
	(void)state;
	struct nb_params p;
	char err[256];
	struct nb_bench b = tbench;
	b.nparams = T_COUNT - 1; /* the table has one row more than declared */
	assert_int_equal(nb_params_init(&p, &b, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "internal"));
	nb_params_free(&p);
	b = tbench;
	b.abi = NB_BENCH_ABI + 1;
	assert_int_equal(nb_params_init(&p, &b, err, sizeof(err)), -1);
	nb_params_free(&p);
}

/* Every bench: its defaults parse, its table has nparams rows, each constraint names one of
 * its parameters, every choice has a unique name and value. */
static void test_every_bench(void **state)
{
	(void)state;
	for (int i = 0; nb_benches[i]; i++) {
		const struct nb_bench *b = nb_benches[i];
		struct nb_params p;
		char err[256];
		assert_int_equal(nb_params_init(&p, b, err, sizeof(err)), 0);
		assert_int_equal(nb_params_check(&p, err, sizeof(err)), 0);
		nb_params_free(&p);
		assert_true(b->nparams > 0);
		assert_null(b->params[b->nparams].name);
		for (int k = 0; k < b->nparams; k++) {
			const struct nb_param_def *d = &b->params[k];
			assert_non_null(d->name);
			if (d->le) {
				bool found = false;
				for (int j = 0; j < b->nparams; j++)
					found |= j != k && !strcmp(b->params[j].name, d->le);
				assert_true(found);
			}
			if (d->type == NB_P_ENUM || d->type == NB_P_ENUMS)
				assert_true(d->choices || d->from.tab);
			struct nb_choice c1, c2;
			for (int x = 0; !nb_param_choice_at(d, x, &c1); x++)
				for (int y = x + 1; !nb_param_choice_at(d, y, &c2); y++) {
					assert_true(strcmp(c1.name, c2.name) != 0);
					assert_int_not_equal(c1.value, c2.value);
				}
		}
	}
}

/* gup's paths are the kernels' paths, by name and by value. */
static void test_gup_paths_from_kernels(void **state)
{
	(void)state;
	const struct nb_bench *b = nb_bench_find("gup");
	const struct nb_param_def *d = NULL;
	for (int k = 0; k < b->nparams; k++)
		if (!strcmp(b->params[k].name, "paths"))
			d = &b->params[k];
	assert_non_null(d);
	struct nb_choice c;
	int n = 0;
	for (; !nb_param_choice_at(d, n, &c); n++) {
		assert_string_equal(c.name, nb_rpaths[c.value].name);
		assert_int_equal(c.value, n);
	}
	assert_int_equal(n, NB_RP_COUNT);
	struct nb_params p;
	char err[256];
	assert_int_equal(nb_params_init(&p, b, err, sizeof(err)), 0);
	assert_int_equal(nb_param_find(&p, "paths")->nlist, NB_RP_COUNT); /* default: all */
	assert_int_equal(nb_params_set(&p, "paths", "ptrace_poke", err, sizeof(err)), 0);
	assert_int_equal(nb_param_find(&p, "paths")->list[0], NB_RP_POKE);
	nb_params_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_choices_are_values),
	    cmocka_unit_test(test_int_lists_are_not_sizes),
	    cmocka_unit_test(test_constraints),
	    cmocka_unit_test(test_descriptor_checks),
	    cmocka_unit_test(test_every_bench),
	    cmocka_unit_test(test_gup_paths_from_kernels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
