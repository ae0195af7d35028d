/* Memory tiers read from captured /sys trees (tests/fixtures/tiering, replayed through
 * NUMABENCH_FSROOT), the "lower tier" choice of the tier bench and its skip reason, and the
 * bench's pure rules (bench/tier/rules.c), one table per rule: inputs -> expected answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tier/rules.h"
#include "topo.h"
#include "tunables.h"

#include <math.h>

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define NONE NAN

/* Equal, NAN included. */
static void assert_num(double got, double want)
{
	if (isnan(want))
		assert_true(isnan(got));
	else
		assert_true(fabs(got - want) < 1e-9);
}

static int read_fixture(const char *name, struct nb_tiering *t)
{
	char root[512];
	const char *src = getenv("NB_SRCDIR");
	snprintf(root, sizeof(root), "%s/tests/fixtures/tiering/%s", src ? src : ".", name);
	setenv("NUMABENCH_FSROOT", root, 1);
	int r = nb_tiering_read(t);
	unsetenv("NUMABENCH_FSROOT");
	return r;
}

static void test_3node_tier(void **state)
{
	(void)state;
	struct nb_tiering t;
	char why[256];
	int nodes[] = {0, 1, 2};
	assert_int_equal(read_fixture("6.12-3node-tier", &t), 0);
	assert_true(t.present);
	assert_int_equal(t.ntiers, 2);
	assert_int_equal(t.tiers[0].id, 4);
	assert_int_equal(t.tiers[0].nnodes, 2);
	assert_int_equal(t.tiers[0].nodes[0], 0);
	assert_int_equal(t.tiers[0].nodes[1], 1);
	assert_int_equal(t.tiers[1].id, 84);
	assert_int_equal(t.tiers[1].nnodes, 1);
	assert_int_equal(t.tiers[1].nodes[0], 2);
	assert_int_equal(t.demotion_enabled, 0);
	assert_int_equal(nb_tiering_tier_of(&t, 2), 1);
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 3, why, sizeof(why)), 2);
	assert_int_equal(nb_tiering_lower_node(&t, 1, nodes, 3, why, sizeof(why)), 2);
	assert_int_equal(nb_tiering_lower_node(&t, 2, nodes, 3, why, sizeof(why)), -1);
	assert_string_equal(why, "no memory tier below node 2: it is in the lowest tier 84");
	/* node 2 not allowed in the run */
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 2, why, sizeof(why)), -1);
	json_t *j = nb_tiering_json(&t);
	assert_int_equal(json_integer_value(
			     json_object_get(json_array_get(json_object_get(j, "tiers"), 1), "id")),
			 84);
	assert_true(json_is_false(json_object_get(j, "demotion_enabled")));
	assert_null(json_object_get(j, "reason"));
	json_decref(j);
}

static void test_two_slow_tiers(void **state)
{
	(void)state;
	struct nb_tiering t;
	char why[256];
	int nodes[] = {0, 1, 2, 3};
	assert_int_equal(read_fixture("two-slow-tiers", &t), 0);
	assert_int_equal(t.ntiers, 3);
	/* sorted by id numerically: 4, 28, 281 (not 28, 281, 4) */
	assert_int_equal(t.tiers[0].id, 4);
	assert_int_equal(t.tiers[1].id, 28);
	assert_int_equal(t.tiers[2].id, 281);
	assert_int_equal(t.tiers[0].nodes[1], 2);
	assert_int_equal(t.demotion_enabled, 1);
	assert_int_equal(nb_tiering_lower_node(&t, 2, nodes, 4, why, sizeof(why)), 1);
	assert_int_equal(nb_tiering_lower_node(&t, 1, nodes, 4, why, sizeof(why)), 3);
	int no1[] = {0, 2, 3}; /* the nearest lower tier is not usable: the next one is */
	assert_int_equal(nb_tiering_lower_node(&t, 0, no1, 3, why, sizeof(why)), 3);
}

static void test_one_tier_and_none(void **state)
{
	(void)state;
	struct nb_tiering t;
	char why[256];
	int nodes[] = {0, 1, 2};
	assert_int_equal(read_fixture("one-tier", &t), 0);
	assert_int_equal(t.ntiers, 1);
	assert_int_equal(t.tiers[0].nnodes, 3);
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 3, why, sizeof(why)), -1);
	assert_string_equal(why,
			    "no memory tier below node 0: the kernel assigned all nodes to tier 4");
	assert_int_equal(read_fixture("no-such-tree", &t), -1);
	assert_false(t.present);
	assert_int_equal(t.demotion_enabled, -1);
	assert_non_null(strstr(t.reason, "memory_tiering is absent"));
	assert_int_equal(nb_tiering_lower_node(&t, 0, nodes, 3, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "no memory tier below node 0"));
	json_t *j = nb_tiering_json(&t);
	assert_true(json_is_null(json_object_get(j, "demotion_enabled")));
	assert_int_equal(json_array_size(json_object_get(j, "tiers")), 0);
	assert_non_null(json_object_get(j, "reason"));
	json_decref(j);
}

/* demotion_enabled is a journaled tunable: true/false (what the kernel prints) and 1/0. */
static void test_demotion_tunable(void **state)
{
	(void)state;
	char err[256];
	const struct nb_tunable *t = nb_tunable_find("demotion_enabled");
	assert_non_null(t);
	assert_int_equal(nb_tunable_check(t, "true", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "false", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "1", err, sizeof(err)), 0);
	assert_int_equal(nb_tunable_check(t, "yes", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "valid: true|false|1|0"));
}

/* The fast node and the slow node, or the skip reason, from the tiering topology. */
static const struct {
	const char *fixture;
	int cpu[4], ncpu, mem[4], nmem;
	int fast, slow; /* slow -1: skipped */
	const char *why;
} picks[] = {
    {"6.12-3node-tier", {0, 1}, 2, {0, 1, 2}, 3, 0, 2, ""},
    /* node 1 is the first cpu node of the run */
    {"6.12-3node-tier", {1}, 1, {0, 1, 2}, 3, 1, 2, ""},
    /* the slow node is not a node of the run */
    {"6.12-3node-tier", {0, 1}, 2, {0, 1}, 2, 1, -1, "no memory tier below node 1"},
    /* the only cpu node is in the lowest tier: it is the fast node and has nothing below */
    {"6.12-3node-tier",
     {2},
     1,
     {0, 1, 2},
     3,
     2,
     -1,
     "no memory tier below node 2: it is in the lowest tier 84"},
    {"one-tier",
     {0},
     1,
     {0, 1, 2},
     3,
     0,
     -1,
     "no memory tier below node 0: the kernel assigned all nodes to tier 4"},
    {"no-such-tree", {0}, 1, {0, 1, 2}, 3, 0, -1, "no memory tier below node 0"},
    {"6.12-3node-tier", {0}, 0, {0, 1, 2}, 3, -1, -1, "no node with cpus in this run"},
    /* two slow tiers: node 1 (tier 28) is skipped as a fast node, node 0 picks tier 28 */
    {"two-slow-tiers", {1, 0}, 2, {0, 1, 2, 3}, 4, 0, 1, ""},
    /* the nearest lower tier is not in the run: the next one */
    {"two-slow-tiers", {0}, 1, {0, 2, 3}, 3, 0, 3, ""},
};

static void test_pick(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(picks); i++) {
		struct nb_tiering t;
		char why[256];
		int fast, slow;
		read_fixture(picks[i].fixture, &t);
		int r = nb_tier_pick(&t, picks[i].cpu, picks[i].ncpu, picks[i].mem, picks[i].nmem,
				     &fast, &slow, why, sizeof(why));
		print_message("pick row %zu: fast %d slow %d why '%s'\n", i, fast, slow, why);
		assert_int_equal(r, picks[i].slow < 0 ? -1 : 0);
		assert_int_equal(fast, picks[i].fast);
		assert_int_equal(slow, picks[i].slow);
		if (picks[i].slow < 0)
			assert_non_null(strstr(why, picks[i].why));
	}
}

/* One page's history over the samples: the fast tier is {0, 1}; -1 ends a row. */
static const struct {
	int nodes[6];
	int fast_samples, promoted, wasted;
} pages[] = {
    {{2, 2, 2, -1}, 0, 0, 0},	 /* stayed slow */
    {{0, 0, 0, -1}, 3, 0, 0},	 /* fast from the start: not a promotion */
    {{2, 2, 0, 0, -1}, 2, 1, 0}, /* promoted */
    {{2, 1, -1}, 1, 1, 0},	 /* promoted to another fast-tier node */
    {{2, 0, 2, -1}, 1, 1, 1},	 /* promoted then demoted: wasted */
    {{2, 0, 2, 0, -1}, 2, 1, 1}, /* and promoted again: still one wasted page */
    {{0, 2, 0, -1}, 2, 0, 0},	 /* started fast, demoted, back: no promotion counted */
    {{-1}, 0, 0, 0},		 /* never present */
};

/* The buffer's own moves: off the node a page was placed on (2), and of those off the fast node
 * (0) too. */
static const struct {
	int nodes[6];
	int moved, elsewhere;
} moves[] = {
    {{2, 2, 2, -1}, 0, 0}, /* stayed */
    {{2, 0, 0, -1}, 1, 0}, /* to the fast node */
    {{2, 1, 2, -1}, 1, 1}, /* to another node, and back: still moved */
    {{0, 0, -1}, 1, 0},	   /* on the fast node at the first sample: moved before it */
    {{-1}, 0, 0},	   /* never present */
};

static void test_page_moves(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(moves); i++) {
		struct nb_tier_page pg;
		nb_tier_page_init(&pg);
		for (int k = 0; moves[i].nodes[k] >= 0; k++)
			nb_tier_page_moved(&pg, moves[i].nodes[k], 2, 0);
		print_message("moves row %zu\n", i);
		assert_int_equal(pg.moved, moves[i].moved);
		assert_int_equal(pg.elsewhere, moves[i].elsewhere);
	}
}

static void test_page_history(void **state)
{
	(void)state;
	bool in_fast[NB_MAX_NODE_ID] = {true, true};
	for (size_t i = 0; i < N(pages); i++) {
		struct nb_tier_page pg;
		int fast = 0;
		nb_tier_page_init(&pg);
		for (int k = 0; pages[i].nodes[k] >= 0; k++)
			fast += nb_tier_page_seen(&pg, pages[i].nodes[k], in_fast);
		print_message("page row %zu\n", i);
		assert_int_equal(fast, pages[i].fast_samples);
		assert_int_equal(pg.promoted, pages[i].promoted);
		assert_int_equal(pg.wasted, pages[i].wasted);
	}
}

/* Accuracy (share on the fast tier), "home" at 90%, scaling of sampled counts. */
static const struct {
	int fast, present;
	double share;
	bool home;
} shares[] = {
    {0, 0, 0, false},  {9, 10, 0.9, true}, {899, 1000, 0.899, false},
    {10, 10, 1, true}, {0, 10, 0, false},
};

static const struct {
	int sampled, npages;
	uint64_t total;
	double want;
} scales[] = {
    {10, 4096, 4096, 10},
    {10, 4096, 8192, 20},
    {0, 4096, 8192, 0},
    {3, 0, 0, 0},
};

static void test_share_home_scale(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(shares); i++) {
		double s = nb_tier_share(shares[i].fast, shares[i].present);
		assert_num(s, shares[i].share);
		assert_int_equal(nb_tier_home(s), shares[i].home);
	}
	for (size_t i = 0; i < N(scales); i++)
		assert_num(nb_tier_scale(scales[i].sampled, scales[i].npages, scales[i].total),
			   scales[i].want);
}

/* Wasted migrations, throughputs, promotion rate, and the baselines comparison. */
static void test_scores(void **state)
{
	(void)state;
	static const struct {
		double demoted, cold, want;
	} wasted[] = {{2, 3, 5}, {NONE, 3, 3}, {2, NONE, 2}, {NONE, NONE, 0}, {0, 0, 0}};
	for (size_t i = 0; i < N(wasted); i++)
		assert_num(nb_tier_wasted(wasted[i].demoted, wasted[i].cold), wasted[i].want);

	static const struct {
		uint64_t bytes, bytes_home;
		double elapsed, home, mbps, after_home;
	} thr[] = {
	    {8000000, 2000000, 4, 1, 2, 2},    /* 6 MB in the 3 s after home */
	    {8000000, 0, 4, NONE, 2, NONE},    /* never home */
	    {8000000, 8000000, 4, 4, 2, NONE}, /* home at the very end */
	    {0, 0, 0, NONE, NONE, NONE},       /* no time */
	};
	for (size_t i = 0; i < N(thr); i++) {
		assert_num(nb_tier_mbps(thr[i].bytes, thr[i].elapsed), thr[i].mbps);
		assert_num(nb_tier_mbps_after_home(thr[i].bytes, thr[i].bytes_home, thr[i].elapsed,
						   thr[i].home),
			   thr[i].after_home);
	}

	static const struct {
		int64_t pages;
		double home, elapsed, want;
	} prom[] = {
	    {1000, 2, 8, 2.048},    /* 1000 4 KiB pages in the 2 s to home */
	    {1000, NONE, 8, 0.512}, /* never home: over the whole trial */
	    {-1, 2, 8, NONE},	    /* pgpromote_success absent */
	    {1000, NONE, 0, NONE},
	};
	for (size_t i = 0; i < N(prom); i++)
		assert_num(nb_tier_promote_mbps(prom[i].pages, 4096, prom[i].home, prom[i].elapsed),
			   prom[i].want);

	static const struct {
		double v, fast, slow, acc, thr;
	} base[] = {
	    {0.5, 1, 0, 0.5, 0.5},    {1, 1, 0, 1, 1},
	    {0.2, 0.6, 0.2, 0, 0},    {0.5, 0.5, 0.5, NONE, NONE}, /* baselines equal: no scale */
	    {0.5, 0, 1, NONE, 0.5}, /* slow above fast: accuracy undefined, throughput not */
	    {NONE, 1, 0, NONE, NONE},
	};
	for (size_t i = 0; i < N(base); i++) {
		assert_num(nb_tier_accuracy_vs_baselines(base[i].v, base[i].fast, base[i].slow),
			   base[i].acc);
		assert_num(nb_tier_throughput_vs_baselines(base[i].v, base[i].fast, base[i].slow),
			   base[i].thr);
	}
}

/* The status of a trial from its placement and counters. */
static const struct {
	struct nb_tier_outcome o;
	enum nb_status want;
	const char *why; /* substring, "" none */
} verdicts[] = {
    {{NB_TIER_BASELINE, 2, true, 0.97, 0, -1, -1, 0, 6, 0, 0, 0, 0, 0}, NB_OK, ""},
    {{NB_TIER_BASELINE, 2, true, 0.90, 0, -1, -1, 0, 6, 0, 0, 0, 0, 0},
     NB_UNTRUSTWORTHY,
     "bound to the fast node, but 90.0%"},
    {{NB_TIER_BASELINE, 2, false, 0.03, 5, -1, -1, 0, 6, 0, 0, 0, 0, 0}, NB_OK, ""},
    {{NB_TIER_BASELINE, 2, false, 0.10, 5, -1, -1, 0, 6, 0, 0, 0, 0, 0},
     NB_UNTRUSTWORTHY,
     "bound to the slow node"},
    {{NB_TIER_DEMOTION, 2, false, 1, 0, 10, 0, 0, 6, 1 << 25, 0, 0, 0, 0}, NB_OK, ""},
    {{NB_TIER_DEMOTION, 2, false, 1, 0, -1, 7, 0, 6, 1 << 25, 0, 0, 0, 0}, NB_OK, ""},
    {{NB_TIER_DEMOTION, 2, false, 1, 0, -1, -1, 0, 6, 1 << 25, 0, 0, 0, 0},
     NB_UNTRUSTWORTHY,
     "pgdemote_kswapd/direct are absent"},
    {{NB_TIER_DEMOTION, 2, false, 1, 0, 0, 0, 0, 6, 1 << 25, 0, 0, 0, 0},
     NB_UNTRUSTWORTHY,
     "no page demoted although the filler took the fast node's free memory plus 33554432"},
    /* the controls, judged by the buffer's own pages (6144 sampled present) */
    {{NB_TIER_PROMOTION, 0, false, 0, 0, 0, 0, 0, 6, 0, 6144, 0, 0, 0}, NB_OK, ""},
    {{NB_TIER_PROMOTION, 0, false, 0, -1, 0, 0, 0, 6, 0, 6144, 0, 0, 0}, NB_OK, ""},
    /* vmstat counted other tasks' promotions (system-wide): context, the buffer stayed */
    {{NB_TIER_PROMOTION, 0, false, 0, 3, 0, 0, 0, 6, 0, 6144, 0, 0, 0},
     NB_OK,
     "system-wide pgpromote_success 3 during the control is context, not judged: the "
     "buffer's own pages stayed"},
    {{NB_TIER_PROMOTION, 0, false, 0, 0, 0, 0, 0, 6, 0, 6144, 2, 0, 0},
     NB_UNTRUSTWORTHY,
     "numa_balancing=0): 2 sampled buffer pages left the node they were placed on (hot 2, cold "
     "0)"},
    {{NB_TIER_PROMOTION, 0, false, 0, 0, 0, 0, 0, 6, 0, 6144, 0, 1, 1},
     NB_UNTRUSTWORTHY,
     "(hot 0, cold 1)"},
    {{NB_TIER_PROMOTION, 0, false, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0},
     NB_UNTRUSTWORTHY,
     "numa_balancing=0): no sampled page of the buffer was present"},
    /* mode 1: normal balancing moves the hot set to the fast node, nothing else moves */
    {{NB_TIER_PROMOTION, 1, false, 1, 0, 0, 0, 2048, 6, 0, 6144, 2048, 0, 0}, NB_OK, ""},
    {{NB_TIER_PROMOTION, 1, false, 1, 5, 0, 0, 2048, 6, 0, 6144, 2048, 0, 0},
     NB_OK,
     "pgpromote_success 5 during the control is context, not judged: the buffer's own pages "
     "moved only to the fast node (normal balancing)"},
    {{NB_TIER_PROMOTION, 1, false, 1, 0, 0, 0, 2048, 6, 0, 6144, 2048, 3, 0},
     NB_UNTRUSTWORTHY,
     "numa_balancing=1): 3 sampled cold pages moved (untouched since first touch), 0 sampled "
     "pages went to a node other than the fast node"},
    {{NB_TIER_PROMOTION, 1, false, 1, 0, 0, 0, 2048, 6, 0, 6144, 2048, 0, 4},
     NB_UNTRUSTWORTHY,
     "4 sampled pages went to a node other than the fast node"},
    {{NB_TIER_PROMOTION, 2, false, 0.95, 1800, 0, 0, 1700, 6, 0, 0, 0, 0, 0}, NB_OK, ""},
    {{NB_TIER_PROMOTION, 2, false, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0},
     NB_UNTRUSTWORTHY,
     "numa_balancing=2 promoted no page in 6.0 s"},
    {{NB_TIER_PROMOTION, 3, false, 0.9, -1, 0, 0, 12, 6, 0, 0, 0, 0, 0},
     NB_OK,
     "pgpromote_success is absent"},
    {{NB_TIER_PROMOTION, 2, false, 0, -1, 0, 0, 0, 6, 0, 0, 0, 0, 0},
     NB_UNTRUSTWORTHY,
     "known only from the placement"},
    /* a sweep cell may promote nothing (a rate limit of 1 MB/s) */
    {{NB_TIER_SWEEP, 2, false, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0}, NB_OK, ""},
};

static void test_verdict(void **state)
{
	(void)state;
	for (size_t i = 0; i < N(verdicts); i++) {
		char why[256];
		enum nb_status st = nb_tier_verdict(&verdicts[i].o, why, sizeof(why));
		print_message("verdict row %zu: %d '%s'\n", i, st, why);
		assert_int_equal(st, verdicts[i].want);
		if (verdicts[i].why[0])
			assert_non_null(strstr(why, verdicts[i].why));
		else
			assert_string_equal(why, "");
	}
}

/* The demotion filler: free memory + margin within fill_max runs, beyond it is skipped with a
 * reason naming the free memory, the margin and fill_max. */
static void test_fill_max(void **state)
{
	(void)state;
	static const struct {
		uint64_t free, margin, max;
		int rc;
		uint64_t bytes;
		const char *why;
	} rows[] = {
	    {400ull << 20, 32ull << 20, 4ull << 30, 0, 432ull << 20, ""}, /* a guest node */
	    {(4ull << 30) - (32ull << 20), 32ull << 20, 4ull << 30, 0, 4ull << 30, ""}, /* at it */
	    {4ull << 30, 32ull << 20, 4ull << 30, -1, 0,
	     "free memory 4096 MiB plus fill_margin 32"},
	    {1ull << 40, 32ull << 20, 4ull << 30, -1, 0, "more than fill_max 4096 MiB"}, /* 1 TiB */
	    {1ull << 40, 0, 2ull << 40, 0, 1ull << 40, ""}, /* raised by the user */
	};
	for (size_t i = 0; i < N(rows); i++) {
		char why[256];
		uint64_t bytes = 7;
		int rc = nb_tier_fill_len(3, rows[i].free, rows[i].margin, rows[i].max, &bytes, why,
					  sizeof(why));
		print_message("fill row %zu: %d %llu '%s'\n", i, rc, (unsigned long long)bytes,
			      why);
		assert_int_equal(rc, rows[i].rc);
		assert_int_equal(bytes, rows[i].bytes);
		if (rows[i].why[0]) {
			assert_non_null(strstr(why, rows[i].why));
			assert_non_null(strstr(why, "fast node 3"));
		} else {
			assert_string_equal(why, "");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_3node_tier),
	    cmocka_unit_test(test_two_slow_tiers),
	    cmocka_unit_test(test_one_tier_and_none),
	    cmocka_unit_test(test_demotion_tunable),
	    cmocka_unit_test(test_pick),
	    cmocka_unit_test(test_page_history),
	    cmocka_unit_test(test_page_moves),
	    cmocka_unit_test(test_share_home_scale),
	    cmocka_unit_test(test_scores),
	    cmocka_unit_test(test_verdict),
	    cmocka_unit_test(test_fill_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
