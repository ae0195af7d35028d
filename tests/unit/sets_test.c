/* Unit tests of cpu and node sets: the range-list formatter, the numactl-syntax parser
 * (libnuma), numabench's id limits, and a replayed 512-cpu, 8-node topology whose every cpu and
 * node must reach the topology, the capabilities and the run's sets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "bench.h"
#include "place.h"
#include "sets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2 packages x 4 nodes x 32 cores x 2 PUs, numbered like Linux numbers SMT siblings: the first
 * PUs of all cores are 0-255, their siblings 256-511 (node 0: 0-31,256-287). */
#define REPLAY_512 "synthetic:package:2 numa:4 core:32 pu:2(indexes=2*256:1*2)"

static struct bitmask *set_of(const unsigned *ids, size_t n, unsigned nbits)
{
	struct bitmask *b = nb_set_new(nbits);
	for (size_t i = 0; i < n; i++)
		numa_bitmask_setbit(b, ids[i]);
	return b;
}

static void assert_set_str(const struct bitmask *b, const char *want)
{
	char *s = nb_set_str(b);
	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

static void test_format(void **state)
{
	(void)state;
	struct bitmask *b = set_of((const unsigned[]){0, 1, 2, 3, 5}, 5, 64);
	assert_set_str(b, "0-3,5");
	json_t *j = nb_set_json(b);
	assert_string_equal(json_string_value(j), "0-3,5");
	json_decref(j);
	numa_bitmask_free(b);
	assert_set_str(NULL, "");
	b = nb_set_new(8);
	assert_set_str(b, "");
	numa_bitmask_setbit(b, 7); /* the last bit of the mask */
	assert_set_str(b, "7");
	numa_bitmask_free(b);
	/* the 2x96-core SMT host: 384 cpus, never truncated */
	b = nb_set_new(384);
	for (unsigned i = 0; i < 384; i++)
		if (i < 96 || (i >= 192 && i < 288))
			numa_bitmask_setbit(b, i);
	assert_set_str(b, "0-95,192-287");
	numa_bitmask_setall(b);
	assert_set_str(b, "0-383");
	numa_bitmask_free(b);
	/* every other cpu of 1024: 512 single ids, a string of 2,000+ characters */
	b = nb_set_new(1024);
	for (unsigned i = 0; i < 1024; i += 2)
		numa_bitmask_setbit(b, i);
	char *s = nb_set_str(b);
	assert_non_null(s);
	assert_true(strlen(s) > 2000);
	assert_string_equal(s + strlen(s) - 9, "1020,1022");
	free(s);
	assert_int_equal(nb_set_count(b), 512);
	assert_int_equal(nb_set_last(b), 1022);
	numa_bitmask_free(b);
}

static void test_ids_limit(void **state)
{
	(void)state;
	int ids[4];
	char err[256];
	/* cpu ids have no limit (8191: Linux's largest NR_CPUS); only the list's room counts */
	struct bitmask *b = set_of((const unsigned[]){0, 1023, 1024, 8191}, 4, 8192);
	assert_int_equal(nb_set_ids(b, ids, 4, NB_SET_CPUS, err, sizeof(err)), 4);
	assert_int_equal(ids[2], 1024);
	assert_int_equal(ids[3], 8191);
	assert_int_equal(nb_set_ids(b, ids, 3, NB_SET_CPUS, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 3 cpus"));
	numa_bitmask_free(b);
	/* node ids are sparse up to the kernel's MAX_NUMNODES: 72 and 255 are kept as ids */
	b = set_of((const unsigned[]){0, 72, 255}, 3, 2048);
	assert_int_equal(nb_set_ids(b, ids, NB_MAX_NODES, NB_SET_NODES, err, sizeof(err)), 3);
	assert_int_equal(ids[1], 72);
	assert_int_equal(ids[2], 255);
	numa_bitmask_setbit(b, NB_MAX_NODE_ID);
	assert_int_equal(nb_set_ids(b, ids, NB_MAX_NODES, NB_SET_NODES, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "node 1024 is beyond"));
	numa_bitmask_free(b);
	b = set_of((const unsigned[]){0, 1, 2}, 3, 128); /* more ids than out[] holds */
	assert_int_equal(nb_set_ids(b, ids, 2, NB_SET_NODES, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 2 nodes"));
	numa_bitmask_free(b);
}

static void test_parse(void **state)
{
	(void)state;
	char err[256];
	bool named;
	long bad;
	int ncpus = numa_num_configured_cpus();
	struct bitmask *all = set_of((const unsigned[]){0, 700}, 2, 1024), *b;

	/* "0-3,5": the set where this host has cpus 0-5, else the first id out of range */
	b = nb_set_parse(NB_SET_CPUS, "0-3,5", all, &named, &bad, err, sizeof(err));
	assert_true(named);
	if (ncpus >= 6) {
		assert_non_null(b);
		assert_set_str(b, "0-3,5");
	} else {
		assert_null(b);
		assert_int_equal(bad, ncpus <= 3 ? 3 : 5);
		assert_non_null(strstr(err, "out of range"));
	}
	numa_bitmask_free(b);

	b = nb_set_parse(NB_SET_CPUS, "0", all, &named, &bad, err, sizeof(err));
	assert_non_null(b);
	assert_true(named);
	assert_set_str(b, "0");
	numa_bitmask_free(b);

	/* "all": the allowed set given, not libnuma's idea of this host */
	b = nb_set_parse(NB_SET_CPUS, "all", all, &named, &bad, err, sizeof(err));
	assert_non_null(b);
	assert_false(named);
	assert_set_str(b, "0,700");
	numa_bitmask_free(b);

	/* "!0": every cpu of this host but 0; the caller keeps only allowed ones */
	b = nb_set_parse(NB_SET_CPUS, "!0", all, &named, &bad, err, sizeof(err));
	assert_non_null(b);
	assert_false(named);
	assert_false(nb_set_has(b, 0));
	assert_int_equal(nb_set_count(b), (unsigned)ncpus - 1);
	numa_bitmask_free(b);

	/* "+0": the first cpu of this task's cpuset */
	b = nb_set_parse(NB_SET_CPUS, "+0", all, &named, &bad, err, sizeof(err));
	assert_non_null(b);
	assert_int_equal(nb_set_count(b), 1);
	numa_bitmask_free(b);

	/* bad values: libnuma's reason, the id it names, nothing but NULL */
	assert_null(nb_set_parse(NB_SET_CPUS, "abc", all, &named, &bad, err, sizeof(err)));
	assert_int_equal(bad, -1);
	assert_non_null(strstr(err, "libnuma: unparseable cpu description"));
	assert_null(nb_set_parse(NB_SET_CPUS, "1x", all, &named, &bad, err, sizeof(err)));
	assert_string_equal(err, "libnuma: cannot parse it");
	assert_null(nb_set_parse(NB_SET_CPUS, "0-4095", all, &named, &bad, err, sizeof(err)));
	assert_int_equal(bad, 4095);
	assert_null(nb_set_parse(NB_SET_CPUS, "3-", all, &named, &bad, err, sizeof(err)));
	assert_null(nb_set_parse(NB_SET_NODES, "99", all, &named, &bad, err, sizeof(err)));
	assert_int_equal(bad, 99);
	assert_null(nb_set_parse(NB_SET_NODES, "x", all, &named, &bad, err, sizeof(err)));
	assert_int_equal(bad, -1);
	b = nb_set_parse(NB_SET_NODES, "0", all, &named, &bad, err, sizeof(err));
	assert_non_null(b);
	assert_set_str(b, "0");
	numa_bitmask_free(b);
	numa_bitmask_free(all);
}

/* The run's sets on this host: every allowed cpu by default; bad values refused. */
static void test_ctx_setup_host(void **state)
{
	(void)state;
	struct nb_topo t;
	struct nb_caps c;
	struct nb_ctx ctx;
	assert_int_equal(nb_topo_load(&t), 0);
	assert_false(t.replayed);
	nb_caps_probe(&c, &t);
	memset(&ctx, 0, sizeof(ctx));
	ctx.topo = &t;
	ctx.caps = &c;
	assert_int_equal(nb_ctx_setup(&ctx, NULL, NULL), 0);
	assert_int_equal(ctx.ncpus, (int)nb_set_count(ctx.cpuset));
	assert_true(ctx.ncpus >= 1);
	for (int i = 0; i < ctx.ncpus; i++)
		assert_true(nb_set_has(c.allowed_cpus, ctx.cpus[i]));
	int n = ctx.ncpus;
	nb_ctx_free(&ctx);
	assert_int_equal(nb_ctx_setup(&ctx, "all", "all"), 0);
	assert_int_equal(ctx.ncpus, n);
	nb_ctx_free(&ctx);
	assert_int_equal(nb_ctx_setup(&ctx, NULL, "4095"), -1);
	nb_ctx_free(&ctx);
	assert_int_equal(nb_ctx_setup(&ctx, "99", NULL), -1);
	nb_ctx_free(&ctx);
	assert_int_equal(nb_ctx_setup(&ctx, NULL, "!all"), -1); /* selects nothing */
	nb_ctx_free(&ctx);
	nb_caps_free(&c);
	nb_topo_free(&t);
}

/* 512 cpus and 8 nodes replayed: each survives into topology, capabilities and the run. */
static void test_replay_512(void **state)
{
	(void)state;
	struct nb_topo t;
	struct nb_caps c;
	struct nb_ctx ctx;
	setenv("NUMABENCH_TOPOLOGY", REPLAY_512, 1);
	assert_int_equal(nb_topo_load(&t), 0);
	assert_true(t.replayed);
	assert_int_equal(t.nnodes, 8);
	assert_int_equal(t.ncpus, 512);
	struct bitmask *seen = nb_set_new(1024);
	for (int i = 0; i < t.nnodes; i++) {
		assert_int_equal(t.nodes[i].id, i);
		assert_int_equal(t.nodes[i].ncpus, 64);
		for (int k = 0; k < t.nodes[i].ncpus; k++) {
			assert_false(nb_set_has(seen, t.nodes[i].cpus[k]));
			numa_bitmask_setbit(seen, (unsigned)t.nodes[i].cpus[k]);
		}
	}
	assert_set_str(seen, "0-511");
	numa_bitmask_free(seen);
	assert_int_equal(nb_topo_cpu_node(&t, 287), 0);
	assert_int_equal(nb_topo_cpu_node(&t, 511), 7);
	assert_null(nb_topo_cpu_state(&t, 511));
	assert_string_equal(nb_topo_cpu_state(&t, 512), "does not exist");

	/* topology JSON: nodes[].cpus stay arrays of ids, all 512 of them */
	json_t *tj = nb_topo_json(&t), *n;
	size_t i, total = 0;
	json_array_foreach(json_object_get(tj, "nodes"), i, n) total +=
	    json_array_size(json_object_get(n, "cpus"));
	assert_int_equal(total, 512);
	json_t *cpus0 = json_object_get(json_array_get(json_object_get(tj, "nodes"), 0), "cpus");
	assert_int_equal(json_integer_value(json_array_get(cpus0, 32)), 256);
	json_decref(tj);

	nb_caps_probe(&c, &t);
	json_t *cj = nb_caps_json(&c);
	assert_string_equal(json_string_value(json_object_get(cj, "allowed_cpus")), "0-511");
	assert_string_equal(json_string_value(json_object_get(cj, "allowed_nodes")), "0-7");
	json_decref(cj);

	memset(&ctx, 0, sizeof(ctx));
	ctx.topo = &t;
	ctx.caps = &c;
	assert_int_equal(nb_ctx_setup(&ctx, NULL, NULL), 0);
	assert_int_equal(ctx.ncpus, 512);
	assert_int_equal(ctx.nnodes, 8);
	for (int k = 0; k < 512; k++)
		assert_int_equal(ctx.cpus[k], k);
	int *node_cpus = nb_ctx_cpu_list(&ctx), cn[NB_MAX_NODES];
	assert_int_equal(nb_ctx_node_cpus(&ctx, 7, node_cpus), 64);
	assert_int_equal(nb_ctx_node_cpus(&ctx, 7, NULL), 64);
	assert_int_equal(node_cpus[63], 511);
	assert_int_equal(nb_ctx_node_one_cpu(&ctx, 7), 224);
	free(node_cpus);
	assert_int_equal(nb_ctx_cpu_nodes(&ctx, cn), 8);
	nb_ctx_free(&ctx);
	assert_int_equal(nb_ctx_setup(&ctx, "all", "all"), 0);
	assert_int_equal(ctx.ncpus, 512);
	assert_int_equal(ctx.nnodes, 8);
	nb_ctx_free(&ctx);
	nb_caps_free(&c);
	nb_topo_free(&t);
	unsetenv("NUMABENCH_TOPOLOGY");
}

/* Beyond NB_MAX_NODES: an error, never a silently smaller topology; cpus have no ceiling. */
static void test_replay_limits(void **state)
{
	(void)state;
	struct nb_topo t;
	setenv("NUMABENCH_TOPOLOGY", "synthetic:numa:2 core:640 pu:1", 1); /* cpus 0-1279 */
	assert_int_equal(nb_topo_load(&t), 0);
	assert_int_equal(t.ncpus, 1280);
	assert_int_equal(t.cpu_slots, 1280);
	assert_int_equal(t.nodes[1].ncpus, 640);
	assert_int_equal(t.nodes[1].cpus[639], 1279);
	assert_int_equal(nb_topo_cpu_node(&t, 1279), 1);
	assert_int_equal(nb_topo_cpu_node(&t, 1280), -1);
	nb_topo_free(&t);
	setenv("NUMABENCH_TOPOLOGY", "synthetic:numa:65 pu:1", 1);
	assert_int_equal(nb_topo_load(&t), -1);
	setenv("NUMABENCH_TOPOLOGY", "synthetic:bogus", 1); /* bad input, exit 2 */
	assert_int_equal(nb_topo_load(&t), NB_TOPO_BAD_INPUT);
	assert_int_equal(nb_topo_exit_code(NB_TOPO_BAD_INPUT), NB_EXIT_USAGE);
	setenv("NUMABENCH_TOPOLOGY", "/nonexistent/t.xml", 1);
	assert_int_equal(nb_topo_load(&t), NB_TOPO_BAD_INPUT);
	unsetenv("NUMABENCH_TOPOLOGY");
}

static void count_call(void *arg)
{
	(*(int *)arg)++;
}

/* 4 nodes of 2048 PUs (8192 cpus, Linux's largest NR_CPUS): no ceiling at 1024 anywhere, from
 * the topology through the run's sets to placement; pinning never drops a cpu past 1023. */
static void test_replay_8192(void **state)
{
	(void)state;
	struct nb_topo t;
	struct nb_caps c;
	struct nb_ctx ctx;
	setenv("NUMABENCH_TOPOLOGY", "synthetic:numa:4 l3:4(size=32MiB) core:256 pu:2", 1);
	assert_int_equal(nb_topo_load(&t), 0);
	assert_int_equal(t.ncpus, 8192);
	assert_int_equal(t.cpu_slots, 8192);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(t.nodes[i].ncpus, 2048);
		for (int k = 0; k < 2048; k++)
			assert_int_equal(t.nodes[i].cpus[k], 2048 * i + k);
	}
	assert_int_equal(nb_topo_cpu_node(&t, 8191), 3);
	assert_int_equal(nb_topo_cpu_node(&t, 2047), 0);
	assert_string_equal(nb_topo_cpu_state(&t, 8192), "does not exist");
	json_t *tj = nb_topo_json(&t);
	json_t *c3 = json_object_get(json_array_get(json_object_get(tj, "nodes"), 3), "cpus");
	assert_int_equal(json_array_size(c3), 2048);
	assert_int_equal(json_integer_value(json_array_get(c3, 2047)), 8191);
	json_decref(tj);
	nb_caps_probe(&c, &t);
	json_t *cj = nb_caps_json(&c);
	assert_string_equal(json_string_value(json_object_get(cj, "allowed_cpus")), "0-8191");
	json_decref(cj);
	memset(&ctx, 0, sizeof(ctx));
	ctx.topo = &t;
	ctx.caps = &c;
	/* (--cpus/--nodes values are parsed by libnuma against this host's possible ids) */
	assert_int_equal(nb_ctx_setup(&ctx, NULL, NULL), 0);
	assert_int_equal(ctx.ncpus, 8192);
	assert_int_equal(ctx.cpus[8191], 8191);
	assert_int_equal(nb_ctx_node_cpus(&ctx, 3, NULL), 2048);
	assert_int_equal(nb_ctx_node_one_cpu(&ctx, 3), 6144);
	int cn[NB_MAX_NODES];
	assert_int_equal(nb_ctx_cpu_nodes(&ctx, cn), 4);
	/* one PU per core of node 3: 1024 cpus, round-robin over its 4 LLC domains */
	int *out = nb_ctx_cpu_list(&ctx);
	const struct nb_node *n3 = nb_topo_node(&t, 3);
	assert_int_equal(nb_place_spread(&t, n3->cpus, n3->ncpus, true, out), 1024);
	for (int k = 0; k < 1024; k++) {
		assert_int_equal(out[k] % 2, 0);
		assert_int_equal((out[k] - 6144) / 512, k % 4);
	}
	assert_int_equal(nb_place_node_llc(&t, 3), 4 * (32ull << 20));
	free(out);
	nb_ctx_free(&ctx);
	nb_caps_free(&c);
	nb_topo_free(&t);
	unsetenv("NUMABENCH_TOPOLOGY");
	/* a pin that names cpu 5000, which this host lacks, is refused (EINVAL), never cut to
	 * cpus 0-1023 (a cpu_set_t) and reported as held; cpu 0 alone holds */
	int cpus[2] = {0, 5000}, calls = 0;
	errno = 0;
	assert_int_equal(nb_run_pinned(cpus, 2, count_call, &calls), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(calls, 0);
	assert_int_equal(nb_run_pinned(cpus, 1, count_call, &calls), 0);
	assert_int_equal(calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),	cmocka_unit_test(test_ids_limit),
	    cmocka_unit_test(test_parse),	cmocka_unit_test(test_ctx_setup_host),
	    cmocka_unit_test(test_replay_512),	cmocka_unit_test(test_replay_limits),
	    cmocka_unit_test(test_replay_8192),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
